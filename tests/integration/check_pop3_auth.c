/* SPDX-License-Identifier: MIT
 *
 * check_pop3_auth.c - failed logins, the users file while the daemon runs,
 * and many users at once, against the real pop3d.
 *
 * A failed login is answered -ERR [AUTH] with one text for every cause
 * (SECURITY: user enumeration), after a delay that only the failing session
 * waits for; after pop3_auth_failures_max failures the next login attempt
 * closes the connection (QUIT is still answered).
 * The users file is re-read when it changes and on SIGHUP, without dropping
 * sessions. One hundred users hold sessions at the same time.
 *
 * Standards:  RFC 1939 §4, RFC 1939 §7, RFC 3206 §5, RFC 5034 §4
 * Threads:    Check's fork mode; each test starts its own daemon.
 * Read next:  pop3d/auth.c, common/users.c.
 */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check_pop3.h"

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SECURITY: user enumeration: the same reply for an unknown user, a wrong
 * password, and each mechanism. */
START_TEST(test_failed_login_same_reply_for_every_cause)
{
        struct harness h;
        struct pop3t p;
        char response[256];

        pop3t_start(&h, "pop3_auth_failures_max = 10\n");
        pop3t_connect(&p, h.port);
        ck_assert_int_eq(pop3t_command(&p, "USER nosuchuser"), 1);
        ck_assert_int_eq(pop3t_command(&p, "PASS whatever"), 0);
        ck_assert_str_eq(p.status, "-ERR [AUTH] Authentication failed");
        ck_assert_int_eq(pop3t_command(&p, "USER student"), 1);
        ck_assert_int_eq(pop3t_command(&p, "PASS wrong"), 0);
        ck_assert_str_eq(p.status, "-ERR [AUTH] Authentication failed");
        pop3t_plain_response("nosuchuser", "x", response, sizeof(response));
        ck_assert_int_eq(pop3t_command(&p, "AUTH PLAIN %s", response), 0);
        ck_assert_str_eq(p.status, "-ERR [AUTH] Authentication failed");
        /* SECURITY: path traversal: the name never becomes a path. */
        ck_assert_int_eq(pop3t_command(&p, "USER ../student"), 1);
        ck_assert_int_eq(pop3t_command(&p, "PASS student"), 0);
        ck_assert_str_eq(p.status, "-ERR [AUTH] Authentication failed");
        ck_assert_int_eq(pop3t_command(&p, "USER student"), 1);
        ck_assert_int_eq(pop3t_command(&p, "PASS student"), 1);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* DESIGN.md §5: a delay after each failed login. Only a lower bound is
 * checked, which no slow machine can break. */
START_TEST(test_failed_login_is_delayed)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, "auth_failure_delay_ms = 400\n");
        pop3t_connect(&p, h.port);
        ck_assert_int_eq(pop3t_command(&p, "USER student"), 1);
        long long start = now_ms();

        ck_assert_int_eq(pop3t_command(&p, "PASS wrong"), 0);
        ck_assert_int_ge(now_ms() - start, 400);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* The delay holds only the failing session's thread: another client is
 * served completely while the first still waits for its -ERR. */
START_TEST(test_failed_login_delay_blocks_nobody_else)
{
        struct harness h;
        struct pop3t slow;
        struct pop3t fast;

        pop3t_start(&h, "auth_failure_delay_ms = 8000\n");
        pop3t_connect(&slow, h.port);
        ck_assert_int_eq(pop3t_command(&slow, "USER student"), 1);
        pop3t_send(&slow, "PASS wrong\r\n", 12);
        pop3t_login(&fast, h.port, "bob", "bobpass");
        ck_assert_int_eq(pop3t_command(&fast, "STAT"), 1);
        ck_assert_int_eq(pop3t_command(&fast, "QUIT"), 1);
        pop3t_close(&fast);
        struct pollfd pfd = { .fd = slow.fd, .events = POLLIN };

        ck_assert_int_eq(poll(&pfd, 1, 0), 0);
        ck_assert_int_eq(pop3t_status(&slow), 0);
        ck_assert_str_eq(slow.status, "-ERR [AUTH] Authentication failed");
        pop3t_close(&slow);
        harness_cleanup(&h);
}
END_TEST

/* After pop3_auth_failures_max failures the session still answers QUIT
 * (Thunderbird sends it after its "Login failed" dialog), and the next
 * attempt to log in is refused and closes the connection. */
START_TEST(test_disconnect_after_too_many_failures)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, "pop3_auth_failures_max = 2\n");
        pop3t_connect(&p, h.port);
        ck_assert_int_eq(pop3t_command(&p, "USER student"), 1);
        ck_assert_int_eq(pop3t_command(&p, "PASS wrong1"), 0);
        ck_assert_int_eq(pop3t_command(&p, "USER student"), 1);
        ck_assert_int_eq(pop3t_command(&p, "PASS wrong2"), 0);
        ck_assert_str_eq(p.status, "-ERR [AUTH] Authentication failed");
        /* A third attempt, even with the right password, is refused. */
        ck_assert_int_eq(pop3t_command(&p, "USER student"), 1);
        ck_assert_int_eq(pop3t_command(&p, "PASS student"), 0);
        ck_assert_str_eq(p.status, "-ERR [AUTH] Too many failed logins");
        ck_assert(pop3t_closed(&p));
        pop3t_close(&p);
        ck_assert(harness_log_contains(&h, "too many failed logins"));
        harness_cleanup(&h);
}
END_TEST

START_TEST(test_quit_answered_after_last_failure)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, "pop3_auth_failures_max = 1\n");
        pop3t_connect(&p, h.port);
        ck_assert_int_eq(pop3t_command(&p, "AUTH PLAIN AHN0dWRlbnQAd3Jvbmc="), 0);
        ck_assert_str_eq(p.status, "-ERR [AUTH] Authentication failed");
        ck_assert_int_eq(pop3t_command(&p, "CAPA"), 1);
        free(pop3t_multiline(&p, false, NULL, NULL));
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        ck_assert(pop3t_closed(&p));
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* SECURITY: secrets never reach the transcript, also on a PASS line that
 * is refused for a bare CR or a NUL (DESIGN.md §7). */
START_TEST(test_refused_pass_line_is_masked)
{
        struct harness h;
        struct pop3t p;
        static const char bare_cr[] = "PASS hunter2\r\r\n";
        static const char nul[] = "PASS s\0cr3t\r\n";

        pop3t_start(&h, NULL);
        pop3t_connect(&p, h.port);
        ck_assert_int_eq(pop3t_command(&p, "USER student"), 1);
        pop3t_send(&p, bare_cr, sizeof bare_cr - 1);
        ck_assert_int_eq(pop3t_status(&p), 0);
        pop3t_send(&p, nul, sizeof nul - 1);
        ck_assert_int_eq(pop3t_status(&p), 0);
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        pop3t_close(&p);
        ck_assert(harness_log_contains(&h, "C: PASS ****"));
        ck_assert(!harness_log_contains(&h, "hunter2"));
        ck_assert(!harness_log_contains(&h, "cr3t"));
        harness_cleanup(&h);
}
END_TEST

/* common/users.h: the daemon re-reads the users file when it changed. */
START_TEST(test_users_file_changed_while_running)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, NULL);
        pop3t_connect(&p, h.port);
        ck_assert_int_eq(pop3t_command(&p, "USER carol"), 1);
        ck_assert_int_eq(pop3t_command(&p, "PASS carolpw"), 0);
        pop3t_close(&p);
        FILE *users = fopen(h.users_path, "a");

        ck_assert_ptr_nonnull(users);
        fputs("carol:{PLAIN}carolpw\n", users);
        ck_assert_int_eq(fclose(users), 0);
        pop3t_login(&p, h.port, "carol", "carolpw");
        ck_assert_int_eq(pop3t_command(&p, "STAT"), 1);
        ck_assert_str_eq(p.status, "+OK 0 0");
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* SIGHUP re-reads the users file even when its size and mtime look the
 * same, and the session already running is not dropped. */
START_TEST(test_sighup_reloads_users)
{
        struct harness h;
        struct pop3t p;
        struct pop3t running;
        struct stat before;

        pop3t_start(&h, "pop3_auth_failures_max = 10\n");
        pop3t_login(&running, h.port, "student", "student");
        ck_assert_int_eq(stat(h.users_path, &before), 0);
        FILE *file = fopen(h.users_path, "r");
        static char text[4096];
        size_t len = fread(text, 1, sizeof(text) - 1, file);

        fclose(file);
        text[len] = '\0';
        char *bob = strstr(text, "bob:{PLAIN}bobpass");

        ck_assert_ptr_nonnull(bob);
        bob[strlen("bob:{PLAIN}bobpas")] = 'X';
        file = fopen(h.users_path, "w");
        ck_assert_uint_eq(fwrite(text, 1, len, file), len);
        ck_assert_int_eq(fclose(file), 0);
        const struct timespec times[2] = { before.st_atim, before.st_mtim };

        ck_assert_int_eq(utimensat(AT_FDCWD, h.users_path, times, 0), 0);
        pop3t_connect(&p, h.port);
        ck_assert_int_eq(pop3t_command(&p, "USER bob"), 1);
        ck_assert_int_eq(pop3t_command(&p, "PASS bobpasX"), 0);
        ck_assert_int_eq(kill(h.pid, SIGHUP), 0);
        for (int i = 0; i < 300 && !harness_log_contains(&h, "users and aliases reloaded"); i++) {
                struct timespec pause = { .tv_sec = 0, .tv_nsec = 100 * 1000 * 1000 };

                nanosleep(&pause, NULL);
        }
        ck_assert(harness_log_contains(&h, "users and aliases reloaded"));
        ck_assert_int_eq(pop3t_command(&p, "USER bob"), 1);
        ck_assert_int_eq(pop3t_command(&p, "PASS bobpasX"), 1);
        pop3t_close(&p);
        /* The session from before the reload still works. */
        ck_assert_int_eq(pop3t_command(&running, "STAT"), 1);
        ck_assert_int_eq(pop3t_command(&running, "QUIT"), 1);
        pop3t_close(&running);
        harness_cleanup(&h);
}
END_TEST

/* One hundred users, each with a session open at the same time. */
START_TEST(test_hundred_concurrent_sessions)
{
        enum { USERS = 100 };
        struct harness h;
        static struct pop3t sessions[USERS];
        char name[32];
        char password[32];
        char text[128];

        ck_assert_int_eq(harness_init(&h), 0);
        FILE *users = fopen(h.users_path, "a");

        ck_assert_ptr_nonnull(users);
        for (int i = 0; i < USERS; i++)
                fprintf(users, "user%d:{PLAIN}pw%d\n", i, i);
        ck_assert_int_eq(fclose(users), 0);
        snprintf(h.extra_config, sizeof(h.extra_config), "trace = no\n");
        ck_assert_int_eq(harness_start(&h, "pop3d", 0), 0);
        for (int i = 0; i < USERS; i++) {
                snprintf(name, sizeof(name), "user%d", i);
                int len = snprintf(text, sizeof(text), "Subject: for %s\n\nhello %s\n", name,
                                   name);

                pop3t_deliver(&h, name, text, (size_t)len);
        }
        for (int i = 0; i < USERS; i++) {
                snprintf(name, sizeof(name), "user%d", i);
                snprintf(password, sizeof(password), "pw%d", i);
                pop3t_login(&sessions[i], h.port, name, password);
        }
        for (int i = 0; i < USERS; i++) {
                char expected[128];

                snprintf(name, sizeof(name), "user%d", i);
                ck_assert_int_eq(pop3t_command(&sessions[i], "RETR 1"), 1);
                char *message = pop3t_multiline(&sessions[i], true, NULL, NULL);

                snprintf(expected, sizeof(expected), "Subject: for %s\r\n\r\nhello %s\r\n",
                         name, name);
                ck_assert_str_eq(message, expected);
                free(message);
                ck_assert_int_eq(pop3t_command(&sessions[i], "DELE 1"), 1);
        }
        for (int i = USERS - 1; i >= 0; i--) {
                ck_assert_int_eq(pop3t_command(&sessions[i], "QUIT"), 1);
                ck_assert_str_eq(sessions[i].status, "+OK Bye, 1 messages deleted");
                pop3t_close(&sessions[i]);
        }
        for (int i = 0; i < USERS; i++) {
                snprintf(name, sizeof(name), "user%d", i);
                ck_assert_int_eq(pop3t_count_messages(&h, name), 0);
        }
        harness_cleanup(&h);
}
END_TEST

Suite *pop3_auth_suite(void)
{
        Suite *suite = suite_create("pop3_auth");
        TCase *failures = tcase_create("failures");

        tcase_set_timeout(failures, 120);
        tcase_add_test(failures, test_failed_login_same_reply_for_every_cause);
        tcase_add_test(failures, test_failed_login_is_delayed);
        tcase_add_test(failures, test_failed_login_delay_blocks_nobody_else);
        tcase_add_test(failures, test_disconnect_after_too_many_failures);
        tcase_add_test(failures, test_quit_answered_after_last_failure);
        tcase_add_test(failures, test_refused_pass_line_is_masked);
        suite_add_tcase(suite, failures);

        TCase *users = tcase_create("users");

        tcase_set_timeout(users, 180);
        tcase_add_test(users, test_users_file_changed_while_running);
        tcase_add_test(users, test_sighup_reloads_users);
        tcase_add_test(users, test_hundred_concurrent_sessions);
        suite_add_tcase(suite, users);
        return suite;
}
