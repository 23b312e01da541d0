/* SPDX-License-Identifier: MIT
 *
 * check_interop_pop3_tools.c - pop3d with the command-line POP3 clients:
 * curl pop3:// (LIST, RETR, -X UIDL, -X TOP, -X DELE, --login-options),
 * mpop fetching into a Maildir and fetchmail handing messages to an MDA.
 *
 * The maildrop is the one of interop_maildrop.c. What each tool hands over
 * must be the stored message: curl prints it with CRLF (RFC 1939 §3); mpop
 * writes it into a Maildir with LF, byte for byte the file pop3d served;
 * fetchmail adds its own Received: field and nothing else. Every RETR that
 * crossed the relay is checked against the stuffed form as well.
 *
 * Standards:  RFC 1939 §3, RFC 1939 §6, RFC 1939 §7, RFC 5034 §4, RFC 2449 §5
 * Threads:    Check's fork mode; the relay runs one thread inside the test.
 * Read next:  tests/interop/check_interop_e2e.c.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/interop/interop.h"

#define COUNT INTEROP_MAILDROP_SIZE

static struct interop_world world;
static struct interop_maildrop drop;
/* uid_by_number[n]: the UIDL of message n, learnt from the server. */
static char uid_store[COUNT + 1][256];
static const char *uid_by_number[COUNT + 1];

static void world_up(void)
{
        if (interop_world_start(&world, true) != 0)
                fprintf(stderr, "interop pop3 tools: %s\n", world.error);
}

static void world_down(void)
{
        interop_world_stop(&world);
}

static void run_client(const char *what, const char *const argv[], struct interop_result *r)
{
        interop_run(argv, NULL, world.smtp.root, INTEROP_CLIENT_SECONDS, r);
        ck_assert_msg(r->status == 0, "%s failed (status %d):\n%s", what, r->status,
                      interop_tail(r, 3000));
}

/* Parse "n uid" lines (a UIDL listing, RFC 1939 §7) into uid_by_number. */
static void learn_uids(const char *listing, size_t len)
{
        memset(uid_store, 0, sizeof uid_store);
        memset(uid_by_number, 0, sizeof uid_by_number);
        char *copy = malloc(len + 1);
        ck_assert_ptr_nonnull(copy);
        memcpy(copy, listing, len);
        copy[len] = '\0';
        for (char *line = strtok(copy, "\r\n"); line != NULL; line = strtok(NULL, "\r\n")) {
                unsigned n;
                char uid[256];
                if (sscanf(line, "%u %255s", &n, uid) == 2 && n >= 1 && n <= COUNT) {
                        snprintf(uid_store[n], sizeof uid_store[n], "%s", uid);
                        uid_by_number[n] = uid_store[n];
                }
        }
        free(copy);
        for (unsigned n = 1; n <= COUNT; n++) {
                ck_assert_msg(uid_by_number[n] != NULL, "no UIDL for message %u", n);
                interop_maildrop_index(&drop, uid_by_number[n]);
        }
}

/* Store the maildrop for user and learn its numbering with curl -X UIDL. */
static void fresh(const char *user, const char *password)
{
        INTEROP_REQUIRE("curl");
        ck_assert_msg(world.smtp_started && world.pop3_started, "daemons not running: %s",
                      world.error);
        interop_maildrop_fill(&drop, &world, user);
        char url[128], credentials[128];
        snprintf(url, sizeof url, "pop3://127.0.0.1:%u/", world.pop3.port);
        snprintf(credentials, sizeof credentials, "%s:%s", user, password);
        /* AUTH=PLAIN: curl's own choice, CRAM-MD5, cannot work for {CRYPT} users. */
        const char *argv[] = { "curl", "-q", "-sS", "--login-options", "AUTH=PLAIN",
                               "-u", credentials, "-X", "UIDL", url, NULL };
        struct interop_result r;
        run_client("curl -X UIDL", argv, &r);
        learn_uids(r.output, r.output_len);
        interop_result_free(&r);
}

static void check_same(const char *what, const char *got, size_t got_len,
                       const struct interop_buffer *expected)
{
        char why[1024];
        ck_assert_msg(interop_same(got, got_len, expected->data, expected->len, why, sizeof why),
                      "%s: %s", what, why);
}

/* ---- curl pop3:// ---- */

enum curl_kind { CURL_LIST, CURL_RETR, CURL_UIDL, CURL_TOP, CURL_DELE };

struct curl_case {
        const char *name;
        enum curl_kind kind;
        const char *path;        /* URL path: "/" or "/<message number>" */
        const char *request;     /* -X, or NULL */
};

static const struct curl_case curl_cases[] = {
        { "list", CURL_LIST, "/", NULL },
        { "retrieve 2", CURL_RETR, "/2", NULL },
        { "-X UIDL", CURL_UIDL, "/", "UIDL" },
        { "-X 'TOP 1 0'", CURL_TOP, "/", "TOP 1 0" },
        { "-X DELE", CURL_DELE, "/1", "DELE" },
};

START_TEST(test_curl_pop3_commands)
{
        const struct curl_case *row = &curl_cases[_i];
        fresh("student", "student");
        struct interop_proxy proxy;
        ck_assert_int_eq(interop_proxy_start(&proxy, world.pop3.port), 0);
        char url[128];
        snprintf(url, sizeof url, "pop3://127.0.0.1:%u%s", proxy.port, row->path);
        const char *argv[12] = { "curl", "-q", "-sS", "-u", "student:student", url };
        size_t argc = 6;
        if (row->request != NULL) {
                argv[argc++] = "-X";
                argv[argc++] = row->request;
        }
        /* DELE answers one line: -I tells curl to expect no message. */
        if (row->kind == CURL_DELE)
                argv[argc++] = "-I";
        argv[argc] = NULL;
        struct interop_result r;
        run_client(row->name, argv, &r);
        interop_proxy_stop(&proxy);

        struct interop_buffer expected = { 0 };
        char line[400];
        switch (row->kind) {
        case CURL_LIST:
        case CURL_UIDL:
                for (unsigned n = 1; n <= COUNT; n++) {
                        size_t index = interop_maildrop_index(&drop, uid_by_number[n]);
                        struct interop_buffer wire = { 0 };
                        interop_maildrop_retr_form(&drop, index, &wire);
                        /* RFC 1939 §5, §7: exactly one space, CRLF. */
                        int len = row->kind == CURL_LIST
                                          ? snprintf(line, sizeof line, "%u %zu\r\n", n, wire.len)
                                          : snprintf(line, sizeof line, "%u %s\r\n", n,
                                                     uid_by_number[n]);
                        interop_buffer_append(&expected, line, (size_t)len);
                        interop_buffer_free(&wire);
                }
                break;
        case CURL_RETR:
                interop_maildrop_retr_form(&drop, interop_maildrop_index(&drop, uid_by_number[2]),
                                           &expected);
                ck_assert_uint_eq(interop_maildrop_check_wire(&drop, &proxy, uid_by_number,
                                                              COUNT + 1), 1);
                break;
        case CURL_TOP:
                interop_maildrop_top_form(&drop,
                                          interop_maildrop_index(&drop, uid_by_number[1]), 0,
                                          &expected);
                break;
        case CURL_DELE:
                interop_buffer_append(&expected, "", 0);
                ck_assert(interop_sent_contains(&proxy, "DELE 1\r\n"));
                /* RFC 1939 §6: curl's QUIT applied the mark. */
                ck_assert_int_eq(interop_maildrop_count(&world, "student"), COUNT - 1);
                ck_assert(!interop_maildrop_has(&world, "student", uid_by_number[1]));
                break;
        }
        check_same(row->name, r.output, r.output_len, &expected);
        interop_buffer_free(&expected);
        interop_proxy_free(&proxy);
        interop_result_free(&r);
        interop_maildrop_free(&drop);
}
END_TEST

struct login_option_case {
        const char *user;
        const char *password;
        const char *option;
        const char *expect_sent;
};

static const struct login_option_case login_option_cases[] = {
        { "student", "student", "AUTH=PLAIN", "AUTH PLAIN" },
        { "student", "student", "AUTH=LOGIN", "AUTH LOGIN" },
        { "student", "student", "AUTH=CRAM-MD5", "AUTH CRAM-MD5" },
        { "student", "student", "AUTH=+APOP", "APOP student " },
        { "alice", "secret", "AUTH=PLAIN", "AUTH PLAIN" },
};

/* curl --login-options on POP3 (RFC 5034 §4), then RETR 1. */
START_TEST(test_curl_pop3_login_options)
{
        const struct login_option_case *row = &login_option_cases[_i];
        fresh(row->user, row->password);
        struct interop_proxy proxy;
        ck_assert_int_eq(interop_proxy_start(&proxy, world.pop3.port), 0);
        char url[128], credentials[128];
        snprintf(url, sizeof url, "pop3://127.0.0.1:%u/1", proxy.port);
        snprintf(credentials, sizeof credentials, "%s:%s", row->user, row->password);
        const char *argv[] = { "curl", "-q", "-sS", "--login-options", row->option,
                               "-u", credentials, url, NULL };
        struct interop_result r;
        run_client(row->option, argv, &r);
        interop_proxy_stop(&proxy);

        ck_assert_msg(interop_sent_contains(&proxy, row->expect_sent), "curl did not send %s",
                      row->expect_sent);
        struct interop_buffer expected = { 0 };
        interop_maildrop_retr_form(&drop, interop_maildrop_index(&drop, uid_by_number[1]),
                                   &expected);
        check_same(row->option, r.output, r.output_len, &expected);
        ck_assert_uint_eq(interop_maildrop_check_wire(&drop, &proxy, uid_by_number, COUNT + 1),
                          1);
        interop_buffer_free(&expected);
        interop_proxy_free(&proxy);
        interop_result_free(&r);
        interop_maildrop_free(&drop);
}
END_TEST

/* ---- mpop and fetchmail ---- */

/* Read every file of dir (not dot files) into files[], at most max. */
static size_t read_dir_files(const char *dir, struct interop_buffer files[], size_t max)
{
        size_t count = 0;
        DIR *d = opendir(dir);
        ck_assert_msg(d != NULL, "cannot open %s", dir);
        struct dirent *entry;
        while ((entry = readdir(d)) != NULL && count < max) {
                if (entry->d_name[0] == '.')
                        continue;
                char path[1400];
                snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
                size_t len;
                char *data = interop_read_file(path, &len);
                ck_assert_ptr_nonnull(data);
                files[count] = (struct interop_buffer){ .data = data, .len = len, .cap = len + 1 };
                count++;
        }
        closedir(d);
        return count;
}

/* Each of the files equals a different stored message. */
static void match_all(const char *what, struct interop_buffer files[], size_t count)
{
        ck_assert_msg(count == COUNT, "%s delivered %zu messages, expected %d", what, count,
                      COUNT);
        bool used[COUNT] = { false };
        for (size_t f = 0; f < count; f++) {
                bool matched = false;
                for (size_t i = 0; i < COUNT && !matched; i++) {
                        if (!used[i] && files[f].len == drop.messages[i].len &&
                            memcmp(files[f].data, drop.messages[i].data, files[f].len) == 0)
                                used[i] = matched = true;
                }
                ck_assert_msg(matched, "%s: delivered message %zu (%zu octets) is none of the "
                              "stored ones:\n%.300s", what, f + 1, files[f].len, files[f].data);
        }
}

START_TEST(test_mpop_into_maildir)
{
        INTEROP_REQUIRE("mpop");
        fresh("student", "student");
        char out[400], sub[500], config_path[400], uidls[400], config[1024];
        interop_path(&world, "mpop-maildir", out, sizeof out);
        mkdir(out, 0700);
        static const char *const subs[] = { "new", "cur", "tmp" };
        for (size_t i = 0; i < 3; i++) {
                snprintf(sub, sizeof sub, "%s/%s", out, subs[i]);
                mkdir(sub, 0700);
        }
        interop_path(&world, "mpoprc", config_path, sizeof config_path);
        interop_path(&world, "mpop-uidls", uidls, sizeof uidls);
        struct interop_proxy proxy;
        ck_assert_int_eq(interop_proxy_start(&proxy, world.pop3.port), 0);
        /* Loopback without TLS, USER/PASS; keep nothing on the server; no
         * header of mpop's own, so the files must be the stored bytes. */
        int n = snprintf(config, sizeof config,
                         "defaults\ntls off\n\naccount interop\nhost 127.0.0.1\nport %u\n"
                         "user student\npassword student\nauth user\n"
                         "delivery maildir %s\nreceived_header off\nkeep off\n"
                         "uidls_file %s\n", proxy.port, out, uidls);
        ck_assert_int_eq(interop_write_file(config_path, config, (size_t)n), 0);
        const char *argv[] = { "mpop", "-C", config_path, "interop", NULL };
        struct interop_result r;
        run_client("mpop", argv, &r);
        interop_proxy_stop(&proxy);

        struct interop_buffer files[COUNT + 2];
        snprintf(sub, sizeof sub, "%s/new", out);
        size_t count = read_dir_files(sub, files, COUNT + 2);
        match_all("mpop", files, count);
        for (size_t i = 0; i < count; i++)
                interop_buffer_free(&files[i]);
        ck_assert_uint_eq(interop_maildrop_check_wire(&drop, &proxy, uid_by_number, COUNT + 1),
                          COUNT);
        ck_assert_int_eq(interop_maildrop_count(&world, "student"), 0);
        interop_proxy_free(&proxy);
        interop_result_free(&r);
        interop_maildrop_free(&drop);
}
END_TEST

/* Remove the one header field fetchmail adds ("Received: from 127.0.0.1 ...
 * by ... with POP3 (fetchmail-...)", folded) from message[0..*len). */
static void remove_fetchmail_field(struct interop_buffer *message)
{
        char *text = message->data;
        size_t start = 0;
        while (start < message->len && strncmp(text + start, "Received: from 127.0.0.1", 24) != 0) {
                const char *lf = memchr(text + start, '\n', message->len - start);
                ck_assert_msg(lf != NULL && lf[1] != '\n', "no Received: field from fetchmail");
                start = (size_t)(lf - text) + 1;
        }
        size_t end = start;
        do {
                const char *lf = memchr(text + end, '\n', message->len - end);
                ck_assert_ptr_nonnull(lf);
                end = (size_t)(lf - text) + 1;
        } while (end < message->len && (text[end] == ' ' || text[end] == '\t'));
        ck_assert_msg(interop_contains(text + start, end - start, "fetchmail"),
                      "the Received: field is not fetchmail's: %.*s", (int)(end - start),
                      text + start);
        memmove(text + start, text + end, message->len - end);
        message->len -= end - start;
        text[message->len] = '\0';
}

START_TEST(test_fetchmail_to_mda)
{
        INTEROP_REQUIRE("fetchmail");
        fresh("student", "student");
        char out[400], rc_path[400], idfile[400], rc[1024];
        interop_path(&world, "fetchmail-out", out, sizeof out);
        mkdir(out, 0700);
        interop_path(&world, "fetchmailrc", rc_path, sizeof rc_path);
        interop_path(&world, "fetchids", idfile, sizeof idfile);
        struct interop_proxy proxy;
        ck_assert_int_eq(interop_proxy_start(&proxy, world.pop3.port), 0);
        /* Each message to its own file through an MDA; fetch all, keep none,
         * rewrite no address; sslproto '' because fetchmail 6.4 otherwise
         * insists on TLS, and this is loopback. */
        int n = snprintf(rc, sizeof rc,
                         "set no bouncemail\nset no syslog\n"
                         "poll 127.0.0.1 service %u protocol pop3 auth password\n"
                         "    user \"student\" there with password \"student\"\n"
                         "    fetchall nokeep no rewrite sslproto ''\n"
                         "    mda \"/bin/sh -c 'cat > $(mktemp %s/msg.XXXXXX)'\"\n",
                         proxy.port, out);
        ck_assert_int_eq(interop_write_file(rc_path, rc, (size_t)n), 0);
        const char *argv[] = { "fetchmail", "-f", rc_path, "--idfile", idfile, NULL };
        struct interop_result r;
        run_client("fetchmail", argv, &r);
        interop_proxy_stop(&proxy);

        struct interop_buffer files[COUNT + 2];
        size_t count = read_dir_files(out, files, COUNT + 2);
        for (size_t i = 0; i < count; i++)
                remove_fetchmail_field(&files[i]);
        match_all("fetchmail", files, count);
        for (size_t i = 0; i < count; i++)
                interop_buffer_free(&files[i]);
        ck_assert_uint_eq(interop_maildrop_check_wire(&drop, &proxy, uid_by_number, COUNT + 1),
                          COUNT);
        ck_assert_int_eq(interop_maildrop_count(&world, "student"), 0);
        interop_proxy_free(&proxy);
        interop_result_free(&r);
        interop_maildrop_free(&drop);
}
END_TEST

Suite *interop_pop3_tools_suite(void)
{
        Suite *suite = suite_create("interop_pop3_tools");

        TCase *curl = tcase_create("curl_pop3");
        tcase_add_unchecked_fixture(curl, world_up, world_down);
        tcase_set_timeout(curl, INTEROP_TIMEOUT);
        tcase_add_loop_test(curl, test_curl_pop3_commands, 0,
                            (int)(sizeof curl_cases / sizeof curl_cases[0]));
        tcase_add_loop_test(curl, test_curl_pop3_login_options, 0,
                            (int)(sizeof login_option_cases / sizeof login_option_cases[0]));
        suite_add_tcase(suite, curl);

        TCase *fetchers = tcase_create("mpop_fetchmail");
        tcase_add_unchecked_fixture(fetchers, world_up, world_down);
        tcase_set_timeout(fetchers, INTEROP_TIMEOUT);
        tcase_add_test(fetchers, test_mpop_into_maildir);
        tcase_add_test(fetchers, test_fetchmail_to_mda);
        suite_add_tcase(suite, fetchers);
        return suite;
}
