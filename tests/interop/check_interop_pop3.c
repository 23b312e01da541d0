/* SPDX-License-Identifier: MIT
 *
 * check_interop_pop3.c - pop3d with Python's poplib, a POP3 client nobody
 * here wrote (curl, mpop and fetchmail are in check_interop_pop3_tools.c).
 *
 * Each test stores the three messages of interop_maildrop.c (dot lines, 8-bit
 * octets, a 998-octet line, twenty body lines for TOP); poplib fetches them
 * through the recording relay, and the test checks:
 *   - what the client got is the stored file with LF -> CRLF (RFC 1939 §3);
 *   - what crossed the wire is that, byte-stuffed, ended by "." (RFC 1939 §3);
 *   - LIST and STAT sizes are those CRLF octet counts (RFC 1939 §5);
 *   - UIDL is the Maildir unique name (RFC 1939 §7);
 *   - DELE removes only at QUIT, a dropped session removes nothing (§6).
 *
 * Standards:  RFC 1939 §3, RFC 1939 §5, RFC 1939 §6, RFC 1939 §7, RFC 2449 §5,
 *             RFC 3206 §4, RFC 5034 §4, RFC 6856 §3
 * Threads:    Check's fork mode; the relay runs one thread inside the test.
 * Read next:  tests/interop/py/pop3_fetch.py, tests/interop/check_interop_pop3_tools.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/interop/interop.h"

#define MESSAGE_COUNT INTEROP_MAILDROP_SIZE

static struct interop_world world;
static struct interop_maildrop drop;

static void world_up(void)
{
        if (interop_world_start(&world, true) != 0)
                fprintf(stderr, "interop pop3: %s\n", world.error);
}

static void world_down(void)
{
        interop_world_stop(&world);
}

static void fresh(const char *user)
{
        INTEROP_REQUIRE("python3");
        ck_assert_msg(world.smtp_started && world.pop3_started, "daemons not running: %s",
                      world.error);
        interop_maildrop_fill(&drop, &world, user);
}

/* ---- the poplib report ---- */

struct report {
        unsigned stat_count;
        unsigned long long stat_octets;
        unsigned long long list[MESSAGE_COUNT + 1];    /* by message number */
        char uidl[MESSAGE_COUNT + 1][256];
        unsigned long long retr[MESSAGE_COUNT + 1];
        char utf8[256];
        char capa[1024];                               /* capability names, space separated */
};

static void read_report(const char *dir, struct report *r)
{
        char path[600];
        snprintf(path, sizeof path, "%s/report.txt", dir);
        size_t len;
        char *text = interop_read_file(path, &len);
        ck_assert_msg(text != NULL, "poplib wrote no report");
        memset(r, 0, sizeof *r);
        for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
                unsigned n;
                unsigned long long value;
                char word[256];
                if (sscanf(line, "stat %u %llu", &r->stat_count, &r->stat_octets) == 2)
                        continue;
                if (sscanf(line, "list %u %llu", &n, &value) == 2 && n <= MESSAGE_COUNT)
                        r->list[n] = value;
                else if (sscanf(line, "uidl %u %255s", &n, word) == 2 && n <= MESSAGE_COUNT)
                        snprintf(r->uidl[n], sizeof r->uidl[n], "%s", word);
                else if (sscanf(line, "retr %u %llu", &n, &value) == 2 && n <= MESSAGE_COUNT)
                        r->retr[n] = value;
                else if (strncmp(line, "utf8 ", 5) == 0)
                        snprintf(r->utf8, sizeof r->utf8, "%s", line + 5);
                else if (sscanf(line, "capa %255s", word) == 1 &&
                         strlen(r->capa) + strlen(word) + 2 < sizeof r->capa) {
                        strcat(r->capa, word);
                        strcat(r->capa, " ");
                }
        }
        free(text);
}

static bool has_capability(const struct report *r, const char *name)
{
        char needle[64];
        snprintf(needle, sizeof needle, "%s ", name);
        return strncmp(r->capa, needle, strlen(needle)) == 0 ||
               (snprintf(needle, sizeof needle, " %s ", name) > 0 && strstr(r->capa, needle));
}

/* Sizes and UIDs from the report against the maildrop; fetched files (when
 * retrieved) against the stored bytes. */
static void check_report(const struct report *r, const char *dir, bool retrieved)
{
        unsigned long long total = 0;
        ck_assert_uint_eq(r->stat_count, MESSAGE_COUNT);
        for (unsigned n = 1; n <= MESSAGE_COUNT; n++) {
                size_t index = interop_maildrop_index(&drop, r->uidl[n]);
                struct interop_buffer expected = { 0 };
                interop_maildrop_retr_form(&drop, index, &expected);
                /* RFC 1939 §5: LIST gives the exact size as sent, CRLF counted. */
                ck_assert_msg(r->list[n] == expected.len, "LIST %u says %llu, expected %zu", n,
                              r->list[n], expected.len);
                total += expected.len;
                if (retrieved) {
                        char path[700], why[1024];
                        snprintf(path, sizeof path, "%s/retr-%u.eml", dir, n);
                        size_t len;
                        char *got = interop_read_file(path, &len);
                        ck_assert_msg(got != NULL, "poplib did not retrieve message %u", n);
                        ck_assert_msg(interop_same(got, len, expected.data, expected.len, why,
                                                   sizeof why),
                                      "poplib RETR %u differs from the stored message: %s", n,
                                      why);
                        ck_assert_uint_eq(r->retr[n], expected.len);
                        free(got);
                }
                interop_buffer_free(&expected);
        }
        ck_assert_uint_eq(r->stat_octets, total);
}

static void run_poplib(const struct interop_proxy *proxy, const char *dir, const char *user,
                       const char *password, const char *auth, const char *const extra[],
                       struct interop_result *r)
{
        char script[400], port[16];
        snprintf(port, sizeof port, "%u", proxy->port);
        const char *argv[32] = { "python3", interop_script("pop3_fetch.py", script, sizeof script),
                                 "--port", port, "--user", user, "--password", password,
                                 "--auth", auth, "--out", dir };
        size_t argc = 12;
        for (size_t i = 0; extra[i] != NULL && argc < 31; i++)
                argv[argc++] = extra[i];
        argv[argc] = NULL;
        mkdir(dir, 0700);
        interop_run(argv, NULL, NULL, INTEROP_CLIENT_SECONDS, r);
}

/* ---- poplib ---- */

START_TEST(test_poplib_user_pass_top_retr_dele)
{
        fresh("student");
        char dir[400];
        interop_path(&world, "poplib-out", dir, sizeof dir);
        struct interop_proxy proxy;
        ck_assert_int_eq(interop_proxy_start(&proxy, world.pop3.port), 0);
        const char *extra[] = { "--top", "1:0", "--top", "3:3", "--retr", "--dele", "1", NULL };
        struct interop_result r;
        run_poplib(&proxy, dir, "student", "student", "user", extra, &r);
        interop_proxy_stop(&proxy);
        ck_assert_msg(r.status == 0, "poplib failed:\n%s", interop_tail(&r, 3000));

        struct report report;
        read_report(dir, &report);
        /* RFC 2449 §5: what Thunderbird and poplib look for in CAPA. */
        ck_assert_msg(has_capability(&report, "TOP") && has_capability(&report, "UIDL") &&
                      has_capability(&report, "USER"), "CAPA lacks TOP/UIDL/USER: %s",
                      report.capa);
        check_report(&report, dir, true);
        const char *const by_number[MESSAGE_COUNT + 1] = { NULL, report.uidl[1],
                                                           report.uidl[2], report.uidl[3] };
        ck_assert_uint_eq(interop_maildrop_check_wire(&drop, &proxy, by_number,
                                                      MESSAGE_COUNT + 1), MESSAGE_COUNT);

        static const struct { unsigned number, lines; } tops[] = { { 1, 0 }, { 3, 3 } };
        for (size_t t = 0; t < 2; t++) {
                char path[700], why[1024];
                snprintf(path, sizeof path, "%s/top-%u-%u.eml", dir, tops[t].number,
                         tops[t].lines);
                size_t len;
                char *got = interop_read_file(path, &len);
                ck_assert_ptr_nonnull(got);
                struct interop_buffer expected = { 0 };
                size_t index = interop_maildrop_index(&drop, by_number[tops[t].number]);
                interop_maildrop_top_form(&drop, index, tops[t].lines, &expected);
                ck_assert_msg(interop_same(got, len, expected.data, expected.len, why,
                                           sizeof why),
                              "TOP %u %u: %s", tops[t].number, tops[t].lines, why);
                interop_buffer_free(&expected);
                free(got);
        }
        /* RFC 1939 §6: DELE 1 took effect at QUIT, and only for message 1. */
        ck_assert_int_eq(interop_maildrop_count(&world, "student"), MESSAGE_COUNT - 1);
        ck_assert_msg(!interop_maildrop_has(&world, "student", by_number[1]),
                      "message 1 was not removed");
        ck_assert(interop_maildrop_has(&world, "student", by_number[2]));
        ck_assert(interop_maildrop_has(&world, "student", by_number[3]));
        /* Retrieved messages are marked seen in cur/ for other Maildir readers. */
        ck_assert_msg(harness_count_files(&world.smtp, "student", "cur") == MESSAGE_COUNT - 1,
                      "retrieved messages were not moved to cur/");
        interop_proxy_free(&proxy);
        interop_result_free(&r);
}
END_TEST

struct login_case {
        const char *user;
        const char *password;
        const char *auth;            /* user | apop | plain (RFC 5034 §4) */
        bool succeeds;
        const char *expect_sent;
};

static const struct login_case login_cases[] = {
        { "student", "student", "apop", true, "APOP student " },
        { "bob", "bobpass", "apop", true, "APOP bob " },
        { "alice", "secret", "user", true, "PASS secret" },
        { "student", "student", "plain", true, "AUTH PLAIN\r\n" },
        { "alice", "secret", "plain", true, "AUTH PLAIN\r\n" },
        /* A {CRYPT} user cannot use APOP: it fails like a wrong password. */
        { "alice", "secret", "apop", false, "APOP alice " },
        { "student", "wrong", "user", false, "PASS wrong" },
        { "student", "wrong", "apop", false, "APOP student " },
};

START_TEST(test_poplib_login_methods)
{
        const struct login_case *row = &login_cases[_i];
        fresh(row->user);
        char dir[400];
        interop_path(&world, "poplib-login", dir, sizeof dir);
        struct interop_proxy proxy;
        ck_assert_int_eq(interop_proxy_start(&proxy, world.pop3.port), 0);
        const char *extra[] = { "--retr", NULL };
        struct interop_result r;
        run_poplib(&proxy, dir, row->user, row->password, row->auth, extra, &r);
        interop_proxy_stop(&proxy);

        ck_assert_msg(interop_sent_contains(&proxy, row->expect_sent),
                      "poplib did not send \"%s\":\n%s", row->expect_sent, interop_tail(&r, 2000));
        if (!row->succeeds) {
                ck_assert_msg(r.status == 1, "login should fail:\n%s", interop_tail(&r, 2000));
                /* RFC 3206 §4: a credentials failure says [AUTH]. */
                ck_assert(interop_received_contains(&proxy, "-ERR [AUTH]"));
        } else {
                ck_assert_msg(r.status == 0, "poplib %s/%s failed:\n%s", row->user, row->auth,
                              interop_tail(&r, 3000));
                struct report report;
                read_report(dir, &report);
                check_report(&report, dir, true);
        }
        /* Nothing was deleted. */
        ck_assert_int_eq(interop_maildrop_count(&world, row->user), MESSAGE_COUNT);
        interop_proxy_free(&proxy);
        interop_result_free(&r);
}
END_TEST

/* poplib's utf8() sends UTF8 (RFC 6856 §3), which this server does not
 * offer: -ERR, and the session goes on in ASCII mode. */
START_TEST(test_poplib_utf8_off)
{
        fresh("student");
        char dir[400];
        interop_path(&world, "poplib-utf8", dir, sizeof dir);
        struct interop_proxy proxy;
        ck_assert_int_eq(interop_proxy_start(&proxy, world.pop3.port), 0);
        const char *extra[] = { "--utf8", "--retr", NULL };
        struct interop_result r;
        run_poplib(&proxy, dir, "student", "student", "user", extra, &r);
        interop_proxy_stop(&proxy);
        ck_assert_msg(r.status == 0, "poplib failed:\n%s", interop_tail(&r, 3000));
        struct report report;
        read_report(dir, &report);
        ck_assert_msg(!has_capability(&report, "UTF8"), "CAPA offers UTF8: %s", report.capa);
        ck_assert_msg(strncmp(report.utf8, "-ERR", 4) == 0, "UTF8 answered: %s", report.utf8);
        check_report(&report, dir, true);
        interop_proxy_free(&proxy);
        interop_result_free(&r);
}
END_TEST

/* RFC 1939 §6: marks are only applied by QUIT; a dropped session keeps all. */
START_TEST(test_poplib_dropped_session_deletes_nothing)
{
        fresh("student");
        char dir[400];
        interop_path(&world, "poplib-drop", dir, sizeof dir);
        struct interop_proxy proxy;
        ck_assert_int_eq(interop_proxy_start(&proxy, world.pop3.port), 0);
        const char *extra[] = { "--dele", "all", "--no-quit", NULL };
        struct interop_result r;
        run_poplib(&proxy, dir, "student", "student", "user", extra, &r);
        interop_proxy_stop(&proxy);
        ck_assert_msg(r.status == 0, "poplib failed:\n%s", interop_tail(&r, 3000));
        ck_assert_int_eq(interop_maildrop_count(&world, "student"), MESSAGE_COUNT);
        interop_proxy_free(&proxy);
        interop_result_free(&r);
}
END_TEST

Suite *interop_pop3_suite(void)
{
        Suite *suite = suite_create("interop_pop3");

        TCase *poplib = tcase_create("poplib");
        tcase_add_unchecked_fixture(poplib, world_up, world_down);
        tcase_set_timeout(poplib, INTEROP_TIMEOUT);
        tcase_add_test(poplib, test_poplib_user_pass_top_retr_dele);
        tcase_add_loop_test(poplib, test_poplib_login_methods, 0,
                            (int)(sizeof login_cases / sizeof login_cases[0]));
        tcase_add_test(poplib, test_poplib_utf8_off);
        tcase_add_test(poplib, test_poplib_dropped_session_deletes_nothing);
        suite_add_tcase(suite, poplib);
        return suite;
}
