/* SPDX-License-Identifier: MIT
 *
 * check_interop_clients.c - smtpd with the command-line mail tools students
 * use: swaks (plain, pipelined, each AUTH mechanism, an attachment, a 5 MB
 * message), msmtp (configured by the test), and s-nail reading the Maildir
 * that smtpd wrote, which shows the stored files are valid Maildir.
 *
 * As in check_interop_smtp.c, the recording relay is the witness: what the
 * tool sent after DATA (unstuffed, CRLF -> LF) must be exactly what follows
 * the trace fields in every recipient's Maildir (RFC 5321 §4.4, §4.5.2).
 *
 * Standards:  RFC 5321 §4.4, RFC 5321 §4.5.2, RFC 2920 §3.1, RFC 4954 §4, RFC 6409 §3.1,
 *             RFC 3848 §2
 * Threads:    Check's fork mode; the relay runs one thread inside the test.
 * Read next:  tests/interop/check_interop_pop3.c.
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
                fprintf(stderr, "interop clients: %s\n", world.error);
}

static void world_down(void)
{
        interop_world_stop(&world);
}

static void fresh(void)
{
        ck_assert_msg(world.smtp_started && world.smtp.submission_port != 0,
                      "smtpd is not running: %s", world.error);
        interop_clear_maildirs(world.smtp.mail_root);
}

/* A message as a file on disk (LF line ends: the tools convert to CRLF).
 * No "%TOKEN%" and no backslash-n, which swaks would expand, and no lone
 * "." at the end, which swaks takes for the end of data. swaks adds a line
 * end after its data, so its copy of the file leaves out the last LF. */
static const char file_message[] =
        "From: Student <student@localhost>\n"
        "To: alice@localhost\n"
        "Subject: interop tool send\n"
        "Date: Mon, 01 Jan 2024 12:00:00 +0000\n"
        "Message-ID: <interop-tool@localhost>\n"
        "\n"
        "Hello from a command-line tool.\n"
        ".a line with a leading dot\n"
        "..and two\n"
        "\n"
        "Bye.\n";

static void run_client(const char *what, const char *const argv[], const char *stdin_path,
                       struct interop_result *r)
{
        interop_run(argv, stdin_path, world.smtp.root, INTEROP_CLIENT_SECONDS, r);
        ck_assert_msg(r->status == 0, "%s failed (status %d):\n%s", what, r->status,
                      interop_tail(r, 3000));
}

static void check_stored(const char *user, const char *expected, size_t len, const char *what)
{
        size_t stored_len;
        free(interop_check_stored(&world, user, "student@localhost", expected, len, what,
                                  &stored_len));
}

static void write_message(const char *name, bool for_swaks, char *path, size_t size)
{
        interop_path(&world, name, path, size);
        ck_assert_int_eq(interop_write_file(path, file_message,
                                            strlen(file_message) - (for_swaks ? 1 : 0)), 0);
}

/* ---- swaks ---- */

struct swaks_case {
        const char *name;
        bool submission;            /* submission port with AUTH */
        const char *extra[4];       /* more swaks options */
        const char *expect_sent;    /* the relay must see this, if not NULL */
        const char *expect_received;
        const char *expect_output;  /* and swaks must print this */
};

static const struct swaks_case swaks_cases[] = {
        { .name = "plain" },
        /* RFC 2920 §3.1: PIPELINING is offered and swaks uses it: its
         * transcript shows MAIL, RCPT and DATA sent before any reply. */
        { .name = "pipeline", .extra = { "--pipeline" }, .expect_received = "PIPELINING",
          .expect_output = " -> MAIL FROM:<student@localhost>\n -> RCPT TO:<alice@localhost>\n"
                           " -> DATA\n<-  250 " },
        { .name = "auth PLAIN", .submission = true, .extra = { "-a", "PLAIN" },
          .expect_sent = "AUTH PLAIN" },
        { .name = "auth LOGIN", .submission = true, .extra = { "-a", "LOGIN" },
          .expect_sent = "AUTH LOGIN" },
        { .name = "auth CRAM-MD5", .submission = true, .extra = { "-a", "CRAM-MD5" },
          .expect_sent = "AUTH CRAM-MD5" },
};

START_TEST(test_swaks_send)
{
        const struct swaks_case *row = &swaks_cases[_i];
        INTEROP_REQUIRE("swaks");
        fresh();
        char message_path[400], data[410], port[16];
        write_message("swaks.eml", true, message_path, sizeof message_path);
        snprintf(data, sizeof data, "@%s", message_path);
        struct interop_proxy proxy;
        ck_assert_int_eq(interop_proxy_start(&proxy, row->submission ? world.smtp.submission_port
                                                                     : world.smtp.port), 0);
        snprintf(port, sizeof port, "%u", proxy.port);
        const char *argv[24] = { "swaks", "--server", "127.0.0.1", "--port", port,
                                 "--helo", "client.example.test", "--from", "student@localhost",
                                 "--to", "alice@localhost", "--data", data };
        size_t argc = 13;
        if (row->submission) {
                argv[argc++] = "--auth-user";
                argv[argc++] = "student";
                argv[argc++] = "--auth-password";
                argv[argc++] = "student";
        }
        for (size_t i = 0; i < 4 && row->extra[i] != NULL; i++)
                argv[argc++] = row->extra[i];
        argv[argc] = NULL;
        struct interop_result r;
        run_client(row->name, argv, NULL, &r);
        interop_proxy_stop(&proxy);

        if (row->expect_sent != NULL)
                ck_assert_msg(interop_sent_contains(&proxy, row->expect_sent),
                              "swaks %s: the relay did not see \"%s\"", row->name,
                              row->expect_sent);
        if (row->expect_received != NULL)
                ck_assert(interop_received_contains(&proxy, row->expect_received));
        if (row->expect_output != NULL)
                ck_assert_msg(interop_contains(r.output, r.output_len, row->expect_output),
                              "swaks %s did not pipeline:\n%s", row->name,
                              interop_tail(&r, 2000));
        interop_check_sent(&proxy, file_message, strlen(file_message), "swaks");
        check_stored("alice", file_message, strlen(file_message), row->name);
        if (row->submission) {
                size_t len;
                char *stored = interop_stored(&world, "alice", "new", &len);
                /* RFC 3848 §2 */
                ck_assert_msg(interop_contains(stored, len, "ESMTPA"),
                              "Received: of an authenticated session lacks ESMTPA");
                free(stored);
        }
        interop_proxy_free(&proxy);
        interop_result_free(&r);
}
END_TEST

/* The one message the relay recorded, as the Maildir must hold it. */
static void sent_message(const struct interop_proxy *proxy, struct interop_buffer *out)
{
        size_t count = 0;
        for (size_t i = 0; i < proxy->connection_count && count == 0; i++)
                count = interop_smtp_messages(&proxy->streams[i].up, out, 1);
        ck_assert_msg(count == 1, "the relay saw no message after DATA");
}

/* --attach makes a multipart/mixed message with a binary part: the stored
 * file equals what swaks sent, and the part decodes to the file. */
START_TEST(test_swaks_attach_binary)
{
        INTEROP_REQUIRE("swaks");
        fresh();
        char blob_path[400], attach[410], stored_path[400], script[400], port[16];
        interop_path(&world, "swaks-blob.bin", blob_path, sizeof blob_path);
        interop_path(&world, "swaks-stored.eml", stored_path, sizeof stored_path);
        unsigned char blob[4096];
        for (size_t i = 0; i < sizeof blob; i++)
                blob[i] = (unsigned char)((i * 7 + 3) % 256);
        ck_assert_int_eq(interop_write_file(blob_path, blob, sizeof blob), 0);
        snprintf(attach, sizeof attach, "@%s", blob_path);

        struct interop_proxy proxy;
        ck_assert_int_eq(interop_proxy_start(&proxy, world.smtp.port), 0);
        snprintf(port, sizeof port, "%u", proxy.port);
        const char *argv[] = { "swaks", "--server", "127.0.0.1", "--port", port,
                               "--helo", "client.example.test", "--from", "student@localhost",
                               "--to", "bob@localhost", "--attach-type",
                               "application/octet-stream", "--attach", attach,
                               "--suppress-data", NULL };
        struct interop_result r;
        run_client("swaks --attach", argv, NULL, &r);
        interop_proxy_stop(&proxy);

        struct interop_buffer expected = { 0 };
        sent_message(&proxy, &expected);
        ck_assert(interop_contains(expected.data, expected.len, "multipart/mixed"));
        size_t stored_len;
        char *stored = interop_check_stored(&world, "bob", "student@localhost", expected.data,
                                            expected.len, "swaks --attach", &stored_len);
        ck_assert_int_eq(interop_write_file(stored_path, stored, stored_len), 0);
        const char *check[] = { "python3", interop_script("mime_check.py", script, sizeof script),
                                stored_path, blob_path, NULL };
        struct interop_result parsed;
        run_client("mime_check.py on swaks' stored message", check, NULL, &parsed);
        free(stored);
        interop_buffer_free(&expected);
        interop_proxy_free(&proxy);
        interop_result_free(&r);
        interop_result_free(&parsed);
}
END_TEST

/* A 5 MB message (below the default 10 MB SIZE limit), lines of 78 octets,
 * some starting with a dot. */
START_TEST(test_swaks_five_megabytes)
{
        INTEROP_REQUIRE("swaks");
        fresh();
        struct interop_buffer big = { 0 };
        interop_buffer_append(&big, file_message, strlen(file_message));
        for (size_t line = 0; big.len < 5u * 1024 * 1024; line++) {
                char text[96];
                int n = snprintf(text, sizeof text, "%s%08zu %s\n", line % 50 == 0 ? "." : "",
                                 line,
                                 "abcdefghijklmnopqrstuvwxyz0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "+=_");
                interop_buffer_append(&big, text, (size_t)n);
        }
        char message_path[400], data[410], port[16];
        interop_path(&world, "five.eml", message_path, sizeof message_path);
        ck_assert_int_eq(interop_write_file(message_path, big.data, big.len - 1), 0);
        snprintf(data, sizeof data, "@%s", message_path);

        struct interop_proxy proxy;
        ck_assert_int_eq(interop_proxy_start(&proxy, world.smtp.port), 0);
        snprintf(port, sizeof port, "%u", proxy.port);
        const char *argv[] = { "swaks", "--server", "127.0.0.1", "--port", port,
                               "--helo", "client.example.test", "--from", "student@localhost",
                               "--to", "alice@localhost", "--data", data, "--suppress-data",
                               NULL };
        struct interop_result r;
        run_client("swaks 5 MB", argv, NULL, &r);
        interop_proxy_stop(&proxy);

        interop_check_sent(&proxy, big.data, big.len, "swaks 5 MB");
        check_stored("alice", big.data, big.len, "swaks 5 MB");
        interop_buffer_free(&big);
        interop_proxy_free(&proxy);
        interop_result_free(&r);
}
END_TEST

/* ---- msmtp ---- */

struct msmtp_case {
        const char *auth;           /* msmtp's "auth" value */
        bool submission;
        const char *expect_sent;
};

static const struct msmtp_case msmtp_cases[] = {
        { "off", false, NULL },
        { "plain", true, "AUTH PLAIN" },
        { "login", true, "AUTH LOGIN" },
        { "cram-md5", true, "AUTH CRAM-MD5" },
};

START_TEST(test_msmtp_send)
{
        const struct msmtp_case *row = &msmtp_cases[_i];
        INTEROP_REQUIRE("msmtp");
        fresh();
        char message_path[400], config_path[400], config[1024];
        write_message("msmtp.eml", false, message_path, sizeof message_path);
        interop_path(&world, "msmtprc", config_path, sizeof config_path);

        struct interop_proxy proxy;
        ck_assert_int_eq(interop_proxy_start(&proxy, row->submission ? world.smtp.submission_port
                                                                     : world.smtp.port), 0);
        /* Loopback, so no TLS; the password is in the file (mode 0600). */
        int n = snprintf(config, sizeof config,
                         "defaults\ntls off\n\naccount interop\nhost 127.0.0.1\nport %u\n"
                         "from student@localhost\ndomain client.example.test\nauth %s\n",
                         proxy.port, row->auth);
        if (row->submission)
                n += snprintf(config + n, sizeof config - (size_t)n,
                              "user student\npassword student\n");
        ck_assert_int_eq(interop_write_file(config_path, config, (size_t)n), 0);
        const char *argv[] = { "msmtp", "-C", config_path, "-a", "interop", "--",
                               "alice@localhost", "bob@localhost", NULL };
        struct interop_result r;
        run_client("msmtp", argv, message_path, &r);
        interop_proxy_stop(&proxy);

        if (row->expect_sent != NULL)
                ck_assert_msg(interop_sent_contains(&proxy, row->expect_sent),
                              "msmtp did not send %s", row->expect_sent);
        interop_check_sent(&proxy, file_message, strlen(file_message), "msmtp");
        check_stored("alice", file_message, strlen(file_message), "msmtp");
        check_stored("bob", file_message, strlen(file_message), "msmtp");
        interop_proxy_free(&proxy);
        interop_result_free(&r);
}
END_TEST

/* ---- s-nail reading the Maildir ---- */

/* Two messages through smtpd, then s-nail opens <mail_root>/student as a
 * Maildir: its header summary lists both subjects, and "type" shows a body
 * line, so what smtpd writes is a Maildir other programs read. */
START_TEST(test_snail_reads_maildir)
{
        INTEROP_REQUIRE("s-nail");
        INTEROP_REQUIRE("python3");
        fresh();
        static const char *const subjects[] = { "First for s-nail", "Second for s-nail" };
        char message_path[400], script[400], port[16], message[512];
        interop_path(&world, "snail.eml", message_path, sizeof message_path);
        snprintf(port, sizeof port, "%u", world.smtp.port);
        for (size_t i = 0; i < 2; i++) {
                int n = snprintf(message, sizeof message,
                                 "From: alice@localhost\r\nTo: student@localhost\r\n"
                                 "Subject: %s\r\n\r\nBody of message %zu.\r\n", subjects[i],
                                 i + 1);
                ck_assert_int_eq(interop_write_file(message_path, message, (size_t)n), 0);
                const char *argv[] = { "python3",
                                       interop_script("smtp_send.py", script, sizeof script),
                                       "--port", port, "--from", "alice@localhost",
                                       "--to", "student@localhost", "--message", message_path,
                                       NULL };
                struct interop_result r;
                run_client("smtplib", argv, NULL, &r);
                interop_result_free(&r);
        }
        ck_assert_int_eq(harness_count_files(&world.smtp, "student", "new"), 2);

        char folder[400];
        snprintf(folder, sizeof folder, "maildir://%s/student", world.smtp.mail_root);
        /* -:/ loads no configuration; -R opens the folder read-only. */
        const char *headers[] = { "s-nail", "-:/", "-R", "-H", "-f", folder, NULL };
        struct interop_result r;
        run_client("s-nail -H", headers, NULL, &r);
        for (size_t i = 0; i < 2; i++)
                ck_assert_msg(interop_contains(r.output, r.output_len, subjects[i]),
                              "s-nail does not list \"%s\":\n%s", subjects[i],
                              interop_tail(&r, 2000));
        interop_result_free(&r);

        char commands_path[400];
        interop_path(&world, "snail-commands", commands_path, sizeof commands_path);
        ck_assert_int_eq(interop_write_file(commands_path, "type 2\nquit\n", 12), 0);
        const char *type[] = { "s-nail", "-:/", "-#", "-R", "-f", folder, NULL };
        run_client("s-nail type", type, commands_path, &r);
        ck_assert_msg(interop_contains(r.output, r.output_len, "Body of message 2."),
                      "s-nail did not show the body:\n%s", interop_tail(&r, 2000));
        interop_result_free(&r);
        /* Read-only: the messages are still new. */
        ck_assert_int_eq(harness_count_files(&world.smtp, "student", "new"), 2);
}
END_TEST

Suite *interop_clients_suite(void)
{
        Suite *suite = suite_create("interop_clients");

        TCase *swaks = tcase_create("swaks");
        tcase_add_unchecked_fixture(swaks, world_up, world_down);
        tcase_set_timeout(swaks, INTEROP_TIMEOUT);
        tcase_add_loop_test(swaks, test_swaks_send, 0,
                            (int)(sizeof swaks_cases / sizeof swaks_cases[0]));
        tcase_add_test(swaks, test_swaks_attach_binary);
        tcase_add_test(swaks, test_swaks_five_megabytes);
        suite_add_tcase(suite, swaks);

        TCase *msmtp = tcase_create("msmtp");
        tcase_add_unchecked_fixture(msmtp, world_up, world_down);
        tcase_set_timeout(msmtp, INTEROP_TIMEOUT);
        tcase_add_loop_test(msmtp, test_msmtp_send, 0,
                            (int)(sizeof msmtp_cases / sizeof msmtp_cases[0]));
        suite_add_tcase(suite, msmtp);

        TCase *snail = tcase_create("s_nail");
        tcase_add_unchecked_fixture(snail, world_up, world_down);
        tcase_set_timeout(snail, INTEROP_TIMEOUT);
        tcase_add_test(snail, test_snail_reads_maildir);
        suite_add_tcase(suite, snail);
        return suite;
}
