/* SPDX-License-Identifier: MIT
 *
 * check_interop_smtp.c - smtpd with SMTP clients nobody here wrote: Python's
 * smtplib, curl, swaks and msmtp.
 *
 * Every client talks to smtpd through the recording relay of interop_wire.c.
 * Each test then checks three things byte for byte: the relay saw the message
 * the test gave the client (unstuffed, CRLF -> LF); each recipient's Maildir
 * holds "Return-Path:", "Received:" and exactly those bytes (RFC 5321 §4.4);
 * and, where the client chose an authentication mechanism, the relay saw that
 * mechanism being used (RFC 4954 §4). The daemons run once per test case
 * (unchecked fixture); each test starts by emptying the Maildirs.
 *
 * Standards:  RFC 5321 §4.4, RFC 5321 §4.5.2, RFC 4954 §4, RFC 6152 §3, RFC 2920 §3.1,
 *             RFC 6409 §3.1, RFC 3848 §2
 * Threads:    Check's fork mode; the relay runs one thread inside the test.
 * Read next:  tests/interop/check_interop_pop3.c, tests/interop/py/smtp_send.py.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/interop/interop.h"

static struct interop_world world;

static void world_up(void)
{
        if (interop_world_start(&world, false) != 0)
                fprintf(stderr, "interop smtp: %s\n", world.error);
}

static void world_down(void)
{
        interop_world_stop(&world);
}

static void fresh(void)
{
        INTEROP_REQUIRE("python3");
        ck_assert_msg(world.smtp_started && world.smtp.submission_port != 0,
                      "smtpd is not running: %s", world.error);
        interop_clear_maildirs(world.smtp.mail_root);
}

/* A message as a client hands it over: CRLF line ends, lines that start with
 * a dot (one of them only "."), so the client has to stuff them. */
static const char plain_message[] =
        "From: Student <student@localhost>\r\n"
        "To: alice@localhost, bob@localhost\r\n"
        "Subject: interop plain send\r\n"
        "Date: Mon, 01 Jan 2024 12:00:00 +0000\r\n"
        "Message-ID: <interop-plain@localhost>\r\n"
        "\r\n"
        "First line.\r\n"
        ".\r\n"
        "..two dots\r\n"
        ".leading dot\r\n"
        "\r\n"
        "Last line.\r\n";

/* The stored form: CRLF -> LF. */
static void lf_form(const char *crlf, struct interop_buffer *out)
{
        interop_crlf_to_lf(crlf, strlen(crlf), out);
}

static void run_client(const char *what, const char *const argv[], const char *stdin_path,
                       struct interop_result *r)
{
        interop_run(argv, stdin_path, world.smtp.root, INTEROP_CLIENT_SECONDS, r);
        ck_assert_msg(r->status == 0, "%s failed (status %d):\n%s", what, r->status,
                      interop_tail(r, 3000));
}

static void check_recipients(const char *const users[], size_t count, const char *sender,
                             const struct interop_buffer *expected, const char *what)
{
        for (size_t i = 0; i < count; i++) {
                size_t len;
                char *stored = interop_check_stored(&world, users[i], sender, expected->data,
                                                    expected->len, what, &len);
                free(stored);
        }
}

/* RFC 3848 §2: an authenticated session is recorded "with ESMTPA". */
static void check_esmtpa(const char *user, const char *what)
{
        size_t len;
        char *stored = interop_stored(&world, user, "new", &len);
        ck_assert_msg(interop_contains(stored, len, "ESMTPA"),
                      "%s: Received: of an authenticated session lacks \"with ESMTPA\"", what);
        free(stored);
}

/* ---- Python smtplib ---- */

START_TEST(test_smtplib_sendmail_two_recipients)
{
        fresh();
        char message_path[400], script[400], port[16];
        interop_path(&world, "plain.eml", message_path, sizeof message_path);
        ck_assert_int_eq(interop_write_file(message_path, plain_message,
                                            strlen(plain_message)), 0);
        struct interop_proxy proxy;
        ck_assert_int_eq(interop_proxy_start(&proxy, world.smtp.port), 0);
        snprintf(port, sizeof port, "%u", proxy.port);
        const char *argv[] = { "python3", interop_script("smtp_send.py", script, sizeof script),
                               "--port", port, "--from", "student@localhost",
                               "--to", "alice@localhost", "--to", "bob@localhost",
                               "--message", message_path, NULL };
        struct interop_result r;
        run_client("smtplib sendmail", argv, NULL, &r);
        interop_proxy_stop(&proxy);

        struct interop_buffer expected = { 0 };
        lf_form(plain_message, &expected);
        interop_check_sent(&proxy, expected.data, expected.len, "smtplib");
        /* RFC 5321 §4.5.2: the client doubled the leading dots on the wire. */
        ck_assert(interop_sent_contains(&proxy, "\r\n..\r\n...two dots\r\n..leading dot\r\n"));
        const char *const users[] = { "alice", "bob" };
        check_recipients(users, 2, "student@localhost", &expected, "smtplib sendmail");
        interop_buffer_free(&expected);
        interop_proxy_free(&proxy);
        interop_result_free(&r);
}
END_TEST

/* send_message() of a MIME message: 8-bit UTF-8 text, an 8-bit text
 * attachment and a binary attachment, announced with BODY=8BITMIME. */
START_TEST(test_smtplib_send_message_mime_8bit)
{
        fresh();
        char flat_path[400], blob_path[400], stored_path[400], script[400], port[16];
        interop_path(&world, "mime-flat.eml", flat_path, sizeof flat_path);
        interop_path(&world, "blob.bin", blob_path, sizeof blob_path);
        interop_path(&world, "mime-stored.eml", stored_path, sizeof stored_path);
        unsigned char blob[3 * 256];
        for (size_t i = 0; i < sizeof blob; i++)
                blob[i] = (unsigned char)(255 - i % 256);
        ck_assert_int_eq(interop_write_file(blob_path, blob, sizeof blob), 0);

        struct interop_proxy proxy;
        ck_assert_int_eq(interop_proxy_start(&proxy, world.smtp.port), 0);
        snprintf(port, sizeof port, "%u", proxy.port);
        const char *argv[] = { "python3", interop_script("smtp_send.py", script, sizeof script),
                               "--port", port, "--from", "student@localhost",
                               "--to", "alice@localhost", "--mime", flat_path,
                               "--attach", blob_path, NULL };
        struct interop_result r;
        run_client("smtplib send_message", argv, NULL, &r);
        interop_proxy_stop(&proxy);

        /* RFC 6152 §3: the 8-bit body was announced on MAIL. */
        ck_assert_msg(interop_sent_contains(&proxy, "BODY=8BITMIME"),
                      "smtplib did not send BODY=8BITMIME");
        size_t flat_len;
        char *flat = interop_read_file(flat_path, &flat_len);
        ck_assert_ptr_nonnull(flat);
        struct interop_buffer expected = { 0 };
        interop_crlf_to_lf(flat, flat_len, &expected);
        interop_check_sent(&proxy, expected.data, expected.len, "smtplib send_message");
        size_t stored_len;
        char *stored = interop_check_stored(&world, "alice", "student@localhost", expected.data,
                                            expected.len, "smtplib send_message", &stored_len);

        /* The parts decode to what was attached (Python's email parser). */
        ck_assert_int_eq(interop_write_file(stored_path, stored, stored_len), 0);
        const char *check[] = { "python3", interop_script("mime_check.py", script, sizeof script),
                                stored_path, blob_path, "--smtplib", NULL };
        struct interop_result parsed;
        run_client("mime_check.py on the stored message", check, NULL, &parsed);
        free(stored);
        free(flat);
        interop_buffer_free(&expected);
        interop_proxy_free(&proxy);
        interop_result_free(&r);
        interop_result_free(&parsed);
}
END_TEST

struct login_case {
        const char *user;
        const char *password;
        const char *mechanism;      /* "any": smtplib's own order */
        bool initial_response;
        bool succeeds;
        const char *expect_sent[3]; /* AUTH lines the relay must see */
};

static const struct login_case login_cases[] = {
        { "student", "student", "CRAM-MD5", true, true, { "AUTH CRAM-MD5\r\n" } },
        { "student", "student", "PLAIN", true, true, { "AUTH PLAIN " } },
        { "student", "student", "PLAIN", false, true, { "AUTH PLAIN\r\n" } },
        { "student", "student", "LOGIN", true, true, { "AUTH LOGIN " } },
        { "student", "student", "LOGIN", false, true, { "AUTH LOGIN\r\n" } },
        { "alice", "secret", "PLAIN", true, true, { "AUTH PLAIN " } },
        { "alice", "secret", "LOGIN", true, true, { "AUTH LOGIN " } },
        /* smtplib tries CRAM-MD5 first; a {CRYPT} user cannot use it, so the
         * server refuses and smtplib falls back to PLAIN. */
        { "alice", "secret", "any", true, true, { "AUTH CRAM-MD5\r\n", "AUTH PLAIN " } },
        { "student", "student", "any", true, true, { "AUTH CRAM-MD5\r\n" } },
        { "student", "wrong", "PLAIN", true, false, { "AUTH PLAIN " } },
        { "alice", "secret", "CRAM-MD5", true, false, { "AUTH CRAM-MD5\r\n" } },
};

/* smtplib.login() with each mechanism on the submission port (RFC 6409 §3.1). */
START_TEST(test_smtplib_login_each_mechanism)
{
        const struct login_case *row = &login_cases[_i];
        fresh();
        char message_path[400], script[400], port[16];
        interop_path(&world, "login.eml", message_path, sizeof message_path);
        ck_assert_int_eq(interop_write_file(message_path, plain_message,
                                            strlen(plain_message)), 0);
        struct interop_proxy proxy;
        ck_assert_int_eq(interop_proxy_start(&proxy, world.smtp.submission_port), 0);
        snprintf(port, sizeof port, "%u", proxy.port);
        const char *argv[] = { "python3", interop_script("smtp_send.py", script, sizeof script),
                               "--port", port, "--from", "student@localhost",
                               "--to", "bob@localhost", "--message", message_path,
                               "--login", row->user, row->password, "--mech", row->mechanism,
                               row->initial_response ? NULL : "--no-initial-response", NULL };
        struct interop_result r;
        interop_run(argv, NULL, NULL, INTEROP_CLIENT_SECONDS, &r);
        interop_proxy_stop(&proxy);

        for (size_t i = 0; i < 3 && row->expect_sent[i] != NULL; i++)
                ck_assert_msg(interop_sent_contains(&proxy, row->expect_sent[i]),
                              "%s/%s: the relay did not see \"%s\":\n%s", row->user,
                              row->mechanism, row->expect_sent[i], interop_tail(&r, 2000));
        if (!row->succeeds) {
                ck_assert_msg(r.status == 1, "login should have failed:\n%s",
                              interop_tail(&r, 2000));
                /* RFC 4954 §6: 535 5.7.8 for bad credentials. */
                ck_assert(interop_received_contains(&proxy, "535 5.7.8"));
                ck_assert_int_eq(harness_count_files(&world.smtp, "bob", "new"), 0);
        } else {
                ck_assert_msg(r.status == 0, "smtplib login %s/%s failed (status %d):\n%s",
                              row->user, row->mechanism, r.status, interop_tail(&r, 2000));
                ck_assert(interop_received_contains(&proxy, "235 2.7.0"));
                struct interop_buffer expected = { 0 };
                lf_form(plain_message, &expected);
                const char *const users[] = { "bob" };
                check_recipients(users, 1, "student@localhost", &expected, "smtplib login");
                check_esmtpa("bob", "smtplib login");
                interop_buffer_free(&expected);
        }
        interop_proxy_free(&proxy);
        interop_result_free(&r);
}
END_TEST

/* ---- curl smtp:// ---- */

START_TEST(test_curl_upload_several_recipients)
{
        INTEROP_REQUIRE("curl");
        fresh();
        char message_path[400], url[128];
        interop_path(&world, "curl.eml", message_path, sizeof message_path);
        ck_assert_int_eq(interop_write_file(message_path, plain_message,
                                            strlen(plain_message)), 0);
        struct interop_proxy proxy;
        ck_assert_int_eq(interop_proxy_start(&proxy, world.smtp.port), 0);
        snprintf(url, sizeof url, "smtp://127.0.0.1:%u/client.example.test", proxy.port);
        const char *argv[] = { "curl", "-q", "-sS", "--url", url,
                               "--mail-from", "student@localhost",
                               "--mail-rcpt", "alice@localhost", "--mail-rcpt", "bob@localhost",
                               "--mail-rcpt", "student@localhost",
                               "-T", message_path, NULL };
        struct interop_result r;
        run_client("curl smtp upload", argv, NULL, &r);
        interop_proxy_stop(&proxy);

        struct interop_buffer expected = { 0 };
        lf_form(plain_message, &expected);
        interop_check_sent(&proxy, expected.data, expected.len, "curl");
        const char *const users[] = { "alice", "bob", "student" };
        check_recipients(users, 3, "student@localhost", &expected, "curl smtp");
        interop_buffer_free(&expected);
        interop_proxy_free(&proxy);
        interop_result_free(&r);
}
END_TEST

static const char *const mechanisms[] = { "PLAIN", "LOGIN", "CRAM-MD5" };

START_TEST(test_curl_login_options_each_mechanism)
{
        INTEROP_REQUIRE("curl");
        fresh();
        const char *mechanism = mechanisms[_i];
        char message_path[400], url[128], options[64], auth_line[64];
        interop_path(&world, "curl-auth.eml", message_path, sizeof message_path);
        ck_assert_int_eq(interop_write_file(message_path, plain_message,
                                            strlen(plain_message)), 0);
        struct interop_proxy proxy;
        ck_assert_int_eq(interop_proxy_start(&proxy, world.smtp.submission_port), 0);
        snprintf(url, sizeof url, "smtp://127.0.0.1:%u/client.example.test", proxy.port);
        snprintf(options, sizeof options, "AUTH=%s", mechanism);
        const char *argv[] = { "curl", "-q", "-sS", "--url", url, "--login-options", options,
                               "-u", "student:student", "--mail-from", "student@localhost",
                               "--mail-rcpt", "bob@localhost", "-T", message_path, NULL };
        struct interop_result r;
        run_client("curl smtp with --login-options", argv, NULL, &r);
        interop_proxy_stop(&proxy);

        snprintf(auth_line, sizeof auth_line, "AUTH %s", mechanism);
        ck_assert_msg(interop_sent_contains(&proxy, auth_line), "curl did not send %s",
                      auth_line);
        struct interop_buffer expected = { 0 };
        lf_form(plain_message, &expected);
        interop_check_sent(&proxy, expected.data, expected.len, "curl AUTH");
        const char *const users[] = { "bob" };
        check_recipients(users, 1, "student@localhost", &expected, "curl AUTH");
        check_esmtpa("bob", "curl AUTH");
        interop_buffer_free(&expected);
        interop_proxy_free(&proxy);
        interop_result_free(&r);
}
END_TEST

Suite *interop_smtp_suite(void)
{
        Suite *suite = suite_create("interop_smtp");

        TCase *smtplib = tcase_create("smtplib");
        tcase_add_unchecked_fixture(smtplib, world_up, world_down);
        tcase_set_timeout(smtplib, INTEROP_TIMEOUT);
        tcase_add_test(smtplib, test_smtplib_sendmail_two_recipients);
        tcase_add_test(smtplib, test_smtplib_send_message_mime_8bit);
        tcase_add_loop_test(smtplib, test_smtplib_login_each_mechanism, 0,
                            (int)(sizeof login_cases / sizeof login_cases[0]));
        suite_add_tcase(suite, smtplib);

        TCase *curl = tcase_create("curl_smtp");
        tcase_add_unchecked_fixture(curl, world_up, world_down);
        tcase_set_timeout(curl, INTEROP_TIMEOUT);
        tcase_add_test(curl, test_curl_upload_several_recipients);
        tcase_add_loop_test(curl, test_curl_login_options_each_mechanism, 0,
                            (int)(sizeof mechanisms / sizeof mechanisms[0]));
        suite_add_tcase(suite, curl);
        return suite;
}
