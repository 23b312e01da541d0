/* SPDX-License-Identifier: MIT
 *
 * check_pop3_update.c - what is removed, when, and who may look: the
 * UPDATE state, the maildrop lock and the stability of UIDs, against the
 * real pop3d.
 *
 * RFC 1939 §6: only QUIT in TRANSACTION removes the marked messages. A
 * dropped connection, the idle timeout and a server shutdown remove
 * nothing (STYLE.md classic bug "Deleting on a dropped POP3 connection").
 * The maildrop lock (DESIGN.md §5) refuses a second session with [IN-USE],
 * from the same daemon and from a second daemon process.
 *
 * Standards:  RFC 1939 §3, RFC 1939 §4, RFC 1939 §5, RFC 1939 §6, RFC 1939 §7,
 *             RFC 2449 §8
 * Threads:    Check's fork mode; each test starts its own daemon(s).
 * Read next:  check_pop3_messages.c (sizes and bytes of the messages).
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_pop3.h"

static const char message[] = "Subject: keep me\n\nbody\n";

static void deliver(struct harness *h, size_t count)
{
        for (size_t i = 0; i < count; i++)
                pop3t_deliver(h, "student", message, strlen(message));
}

START_TEST(test_quit_in_transaction_removes_marked)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, NULL);
        deliver(&h, 3);
        pop3t_login(&p, h.port, "student", "student");
        ck_assert_int_eq(pop3t_command(&p, "DELE 1"), 1);
        ck_assert_int_eq(pop3t_command(&p, "DELE 3"), 1);
        /* RFC 1939 §5: marked messages vanish from the listings at once. */
        ck_assert_int_eq(pop3t_command(&p, "STAT"), 1);
        ck_assert_int_eq(strncmp(p.status, "+OK 1 ", 6), 0);
        ck_assert_int_eq(pop3t_command(&p, "RETR 1"), 0);
        ck_assert_str_eq(p.status, "-ERR No such message");
        ck_assert_int_eq(pop3t_command(&p, "TOP 3 0"), 0);
        ck_assert_int_eq(pop3t_command(&p, "UIDL 1"), 0);
        ck_assert_int_eq(pop3t_command(&p, "LIST 3"), 0);
        ck_assert_int_eq(pop3t_command(&p, "DELE 1"), 0);
        ck_assert_str_eq(p.status, "-ERR No such message");
        size_t count;

        ck_assert_int_eq(pop3t_command(&p, "LIST"), 1);
        free(pop3t_multiline(&p, false, NULL, &count));
        ck_assert_uint_eq(count, 1);
        /* Nothing is removed before QUIT. */
        ck_assert_int_eq(pop3t_count_messages(&h, "student"), 3);
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        ck_assert_str_eq(p.status, "+OK Bye, 2 messages deleted");
        ck_assert(pop3t_closed(&p));
        pop3t_close(&p);
        ck_assert_int_eq(pop3t_count_messages(&h, "student"), 1);
        harness_cleanup(&h);
}
END_TEST

START_TEST(test_rset_unmarks)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, NULL);
        deliver(&h, 2);
        pop3t_login(&p, h.port, "student", "student");
        ck_assert_int_eq(pop3t_command(&p, "DELE 1"), 1);
        ck_assert_int_eq(pop3t_command(&p, "DELE 2"), 1);
        ck_assert_int_eq(pop3t_command(&p, "STAT"), 1);
        ck_assert_str_eq(p.status, "+OK 0 0");
        ck_assert_int_eq(pop3t_command(&p, "RSET"), 1);
        ck_assert_int_eq(pop3t_command(&p, "STAT"), 1);
        ck_assert_int_eq(strncmp(p.status, "+OK 2 ", 6), 0);
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        ck_assert_str_eq(p.status, "+OK Bye, 0 messages deleted");
        pop3t_close(&p);
        ck_assert_int_eq(pop3t_count_messages(&h, "student"), 2);
        harness_cleanup(&h);
}
END_TEST

/* RFC 1939 §4: QUIT before login touches nothing. */
START_TEST(test_quit_in_authorization_touches_nothing)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, NULL);
        deliver(&h, 1);
        pop3t_connect(&p, h.port);
        ck_assert_int_eq(pop3t_command(&p, "USER student"), 1);
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        ck_assert_str_eq(p.status, "+OK Bye");
        ck_assert(pop3t_closed(&p));
        pop3t_close(&p);
        ck_assert_int_eq(pop3t_count_messages(&h, "student"), 1);
        harness_cleanup(&h);
}
END_TEST

/* STYLE.md classic bug: deleting on a dropped POP3 connection. */
START_TEST(test_dropped_connection_deletes_nothing)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, NULL);
        deliver(&h, 2);
        pop3t_login(&p, h.port, "student", "student");
        ck_assert_int_eq(pop3t_command(&p, "DELE 1"), 1);
        ck_assert_int_eq(pop3t_command(&p, "DELE 2"), 1);
        pop3t_close(&p);
        /* The next login succeeds only once the old session has ended and
         * released the lock, so it sees what that session left behind. */
        ck_assert_int_eq(pop3t_login_when_unlocked(&p, h.port, "student", "student"), 1);
        ck_assert_int_eq(pop3t_command(&p, "STAT"), 1);
        ck_assert_int_eq(strncmp(p.status, "+OK 2 ", 6), 0);
        pop3t_close(&p);
        ck_assert_int_eq(pop3t_count_messages(&h, "student"), 2);
        harness_cleanup(&h);
}
END_TEST

/* RFC 1939 §3: the autologout timer closes without UPDATE and without a
 * response. */
START_TEST(test_timeout_deletes_nothing)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, "pop3_timeout = 1\n");
        deliver(&h, 1);
        pop3t_login(&p, h.port, "student", "student");
        ck_assert_int_eq(pop3t_command(&p, "DELE 1"), 1);
        /* No response at all: the next thing is the close. */
        ck_assert_int_eq(pop3t_status(&p), -1);
        pop3t_close(&p);
        ck_assert_int_eq(pop3t_login_when_unlocked(&p, h.port, "student", "student"), 1);
        ck_assert_int_eq(pop3t_command(&p, "STAT"), 1);
        ck_assert_int_eq(strncmp(p.status, "+OK 1 ", 6), 0);
        pop3t_close(&p);
        ck_assert_int_eq(pop3t_count_messages(&h, "student"), 1);
        harness_cleanup(&h);
}
END_TEST

/* DESIGN.md §2: on SIGTERM sessions are closed with -ERR [SYS/TEMP] and
 * nothing marked is removed; the daemon exits 0. */
START_TEST(test_sigterm_deletes_nothing)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, NULL);
        deliver(&h, 2);
        pop3t_login(&p, h.port, "student", "student");
        ck_assert_int_eq(pop3t_command(&p, "DELE 1"), 1);
        ck_assert_int_eq(pop3t_command(&p, "DELE 2"), 1);
        int status = harness_stop(&h);

        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
        ck_assert_int_eq(pop3t_status(&p), 0);
        ck_assert_str_eq(p.status, "-ERR [SYS/TEMP] Server shutting down");
        ck_assert(pop3t_closed(&p));
        pop3t_close(&p);
        ck_assert_int_eq(pop3t_count_messages(&h, "student"), 2);
        harness_cleanup(&h);
}
END_TEST

/* DESIGN.md §2: SIGTERM finishes sessions, but a client that stops reading
 * in the middle of a RETR cannot hold its session until pop3_timeout
 * (600 s here): the write gives up at the end of the grace period
 * (SERVER_SHUTDOWN_GRACE_SECONDS), the session ends, and the daemon stops
 * cleanly, instead of exiting under a session still blocked in a write
 * ("still running after the grace period" in the log). */
START_TEST(test_sigterm_client_not_reading)
{
        struct harness h;
        struct pop3t p;
        static const char line[] = "X-Filler: a line to fill the socket buffers of a client\n";
        size_t line_len = sizeof line - 1;
        /* Far more than loopback socket buffers hold (a few MiB). */
        size_t size = (32u << 20) / line_len * line_len;
        char *big = malloc(size);

        ck_assert_ptr_nonnull(big);
        for (size_t i = 0; i < size; i += line_len)
                memcpy(big + i, line, line_len);
        pop3t_start(&h, "pop3_timeout = 600\n");
        pop3t_deliver(&h, "student", big, size);
        free(big);
        pop3t_login(&p, h.port, "student", "student");
        /* The "+OK" shows the session is inside RETR, writing, before the
         * signal; then the client reads nothing more. */
        ck_assert_int_eq(pop3t_command(&p, "RETR 1"), 1);
        int status = harness_stop(&h);

        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
        ck_assert(harness_log_contains(&h, "session closed"));
        ck_assert(!harness_log_contains(&h, "still running after the grace period"));
        ck_assert(harness_log_contains(&h, "stopped"));
        pop3t_close(&p);
        ck_assert_int_eq(pop3t_count_messages(&h, "student"), 1);
        harness_cleanup(&h);
}
END_TEST

/* RFC 2449 §8.1.2: a second session for a locked maildrop gets [IN-USE]
 * and stays in AUTHORIZATION. */
START_TEST(test_in_use_same_daemon)
{
        struct harness h;
        struct pop3t first;
        struct pop3t second;

        pop3t_start(&h, NULL);
        deliver(&h, 1);
        pop3t_login(&first, h.port, "student", "student");
        pop3t_connect(&second, h.port);
        ck_assert_int_eq(pop3t_command(&second, "USER student"), 1);
        ck_assert_int_eq(pop3t_command(&second, "PASS student"), 0);
        ck_assert_str_eq(second.status, "-ERR [IN-USE] Maildrop is locked by another session");
        ck_assert_int_eq(pop3t_command(&second, "STAT"), 0);
        ck_assert_str_eq(second.status, "-ERR Command not valid in this state");
        /* Another user is not affected. */
        struct pop3t other;

        pop3t_login(&other, h.port, "bob", "bobpass");
        ck_assert_int_eq(pop3t_command(&other, "QUIT"), 1);
        pop3t_close(&other);
        /* Once the first session quits, the second may log in. */
        ck_assert_int_eq(pop3t_command(&first, "QUIT"), 1);
        ck_assert(pop3t_closed(&first));
        pop3t_close(&first);
        char response[256];

        pop3t_plain_response("student", "student", response, sizeof(response));
        ck_assert_int_eq(pop3t_command(&second, "AUTH PLAIN %s", response), 1);
        pop3t_close(&second);
        harness_cleanup(&h);
}
END_TEST

/* DESIGN.md §5: flock() works across processes: a second pop3d on the same
 * mail_root sees the lock of the first. */
START_TEST(test_in_use_across_processes)
{
        struct harness h;
        struct harness other;
        struct pop3t first;
        struct pop3t second;
        char extra[2048];

        pop3t_start(&h, NULL);
        deliver(&h, 1);
        snprintf(extra, sizeof(extra), "mail_root = %s\nusers_file = %s\n", h.mail_root,
                 h.users_path);
        pop3t_start(&other, extra);
        pop3t_login(&first, h.port, "student", "student");
        pop3t_connect(&second, other.port);
        ck_assert_int_eq(pop3t_command(&second, "USER student"), 1);
        ck_assert_int_eq(pop3t_command(&second, "PASS student"), 0);
        ck_assert_str_eq(second.status, "-ERR [IN-USE] Maildrop is locked by another session");
        ck_assert_int_eq(pop3t_command(&first, "QUIT"), 1);
        ck_assert(pop3t_closed(&first));
        pop3t_close(&first);
        ck_assert_int_eq(pop3t_command(&second, "USER student"), 1);
        ck_assert_int_eq(pop3t_command(&second, "PASS student"), 1);
        ck_assert_str_eq(second.status, "+OK Logged in, 1 messages");
        pop3t_close(&second);
        harness_cleanup(&other);
        harness_cleanup(&h);
}
END_TEST

/* RFC 1939 §7 and DESIGN.md §5: UIDs stay the same across sessions and
 * when RETR moves a message from new/ to cur/; new mail appears at the
 * next login, after the old ones. */
START_TEST(test_uidl_stable_across_sessions_and_move)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, NULL);
        deliver(&h, 2);
        pop3t_login(&p, h.port, "student", "student");
        ck_assert_int_eq(pop3t_command(&p, "UIDL"), 1);
        char *before = pop3t_multiline(&p, false, NULL, NULL);

        ck_assert_int_eq(pop3t_command(&p, "RETR 1"), 1);
        free(pop3t_multiline(&p, true, NULL, NULL));
        /* New mail during the session is not seen by it. */
        deliver(&h, 1);
        ck_assert_int_eq(pop3t_command(&p, "UIDL"), 1);
        char *during = pop3t_multiline(&p, false, NULL, NULL);

        ck_assert_str_eq(during, before);
        free(during);
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        ck_assert(pop3t_closed(&p));
        pop3t_close(&p);
        /* RETR moved message 1 to cur/ with the S flag. */
        ck_assert_int_eq(harness_count_files(&h, "student", "cur"), 1);
        ck_assert_int_eq(harness_count_files(&h, "student", "new"), 2);

        pop3t_login(&p, h.port, "student", "student");
        ck_assert_int_eq(pop3t_command(&p, "UIDL"), 1);
        size_t count;
        char *after = pop3t_multiline(&p, false, NULL, &count);

        ck_assert_uint_eq(count, 3);
        /* Every UID of the first session is still there (numbers may
         * differ between sessions; UIDs may not). */
        for (char *line = strtok(before, "\r\n"); line != NULL; line = strtok(NULL, "\r\n")) {
                char needle[128];

                snprintf(needle, sizeof(needle), " %s\r\n", strchr(line, ' ') + 1);
                ck_assert_msg(strstr(after, needle) != NULL, "UID of %s lost", line);
        }
        free(after);
        free(before);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* RFC 1939 §6: when a removal fails, QUIT answers -ERR and what could be
 * removed is gone. The daemon never runs as root, so taking the write
 * permission from new/ makes unlink() fail there. */
START_TEST(test_update_failure_removes_what_it_could)
{
        struct harness h;
        struct pop3t p;
        char new_dir[600];

        pop3t_start(&h, NULL);
        deliver(&h, 2);
        pop3t_login(&p, h.port, "student", "student");
        /* RETR moves message 1 to cur/, which stays writable. */
        ck_assert_int_eq(pop3t_command(&p, "RETR 1"), 1);
        free(pop3t_multiline(&p, true, NULL, NULL));
        ck_assert_int_eq(pop3t_command(&p, "DELE 1"), 1);
        ck_assert_int_eq(pop3t_command(&p, "DELE 2"), 1);
        snprintf(new_dir, sizeof(new_dir), "%s/student/new", h.mail_root);
        ck_assert_int_eq(chmod(new_dir, 0500), 0);
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 0);
        ck_assert_str_eq(p.status, "-ERR [SYS/TEMP] Some deleted messages not removed");
        ck_assert(pop3t_closed(&p));
        pop3t_close(&p);
        ck_assert_int_eq(chmod(new_dir, 0700), 0);
        ck_assert_int_eq(harness_count_files(&h, "student", "cur"), 0);
        ck_assert_int_eq(harness_count_files(&h, "student", "new"), 1);
        harness_cleanup(&h);
}
END_TEST

/* A message that cannot be opened: -ERR [SYS/TEMP], the session goes on. */
START_TEST(test_unreadable_message_is_sys_temp)
{
        struct harness h;
        struct pop3t p;
        char command[700];

        pop3t_start(&h, NULL);
        deliver(&h, 1);
        snprintf(command, sizeof(command), "chmod 000 %s/student/new/*", h.mail_root);
        ck_assert_int_eq(system(command), 0);
        pop3t_login(&p, h.port, "student", "student");
        ck_assert_int_eq(pop3t_command(&p, "RETR 1"), 0);
        ck_assert_str_eq(p.status, "-ERR [SYS/TEMP] Cannot read message");
        ck_assert_int_eq(pop3t_command(&p, "TOP 1 0"), 0);
        ck_assert_int_eq(pop3t_command(&p, "NOOP"), 1);
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* DESIGN.md §2: past max_connections the client gets one -ERR line. */
START_TEST(test_too_many_connections_refused)
{
        struct harness h;
        struct pop3t first;
        struct pop3t second;

        pop3t_start(&h, "max_connections = 1\n");
        pop3t_connect(&first, h.port);
        ck_assert_int_eq(pop3t_try_connect(&second, h.port), 0);
        ck_assert_int_eq(pop3t_status(&second), 0);
        ck_assert_str_eq(second.status, "-ERR [SYS/TEMP] Too many connections");
        ck_assert(pop3t_closed(&second));
        pop3t_close(&second);
        ck_assert_int_eq(pop3t_command(&first, "QUIT"), 1);
        pop3t_close(&first);
        harness_cleanup(&h);
}
END_TEST

Suite *pop3_update_suite(void)
{
        Suite *suite = suite_create("pop3_update");
        TCase *update = tcase_create("update");

        tcase_set_timeout(update, 120);
        tcase_add_test(update, test_quit_in_transaction_removes_marked);
        tcase_add_test(update, test_rset_unmarks);
        tcase_add_test(update, test_quit_in_authorization_touches_nothing);
        tcase_add_test(update, test_dropped_connection_deletes_nothing);
        tcase_add_test(update, test_timeout_deletes_nothing);
        tcase_add_test(update, test_sigterm_deletes_nothing);
        tcase_add_test(update, test_sigterm_client_not_reading);
        suite_add_tcase(suite, update);

        TCase *lock = tcase_create("lock_and_uidl");

        tcase_set_timeout(lock, 120);
        tcase_add_test(lock, test_in_use_same_daemon);
        tcase_add_test(lock, test_in_use_across_processes);
        tcase_add_test(lock, test_uidl_stable_across_sessions_and_move);
        suite_add_tcase(suite, lock);

        TCase *faults = tcase_create("faults");

        tcase_set_timeout(faults, 120);
        tcase_add_test(faults, test_update_failure_removes_what_it_could);
        tcase_add_test(faults, test_unreadable_message_is_sys_temp);
        tcase_add_test(faults, test_too_many_connections_refused);
        suite_add_tcase(suite, faults);
        return suite;
}
