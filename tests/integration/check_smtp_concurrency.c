/* SPDX-License-Identifier: MIT
 *
 * check_smtp_concurrency.c - smtpd as a process: many clients at once, the
 * connection cap, SIGTERM while sessions run, SIGHUP reloading the users
 * file under a running session.
 *
 * Standards:  RFC 5321 §3.8, RFC 5321 §4.2.2
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include "tests/integration/check_smtp.h"

#define CLIENTS 200

struct delivery_job {
        const struct harness *h;
        int index;
        int result;      /* the reply to the final dot, or -1 */
};

/* One client's whole session, in its own thread. */
static void *deliver_one(void *argument)
{
        struct delivery_job *job = argument;
        struct client *c = calloc(1, sizeof *c);

        job->result = -1;
        if (c == NULL)
                return NULL;
        if (client_connect(c, "127.0.0.1", job->h->port) == 0 && client_smtp_reply(c) == 220 &&
            client_smtp_command(c, "EHLO client%d.example.test", job->index) == 250 &&
            client_smtp_command(c, "MAIL FROM:<c%d@example.org>", job->index) == 250 &&
            client_smtp_command(c, "RCPT TO:<student@localhost>") == 250 &&
            client_smtp_command(c, "DATA") == 354 &&
            client_sendf(c, "Subject: %d\r\n\r\nmessage %d\r\n.", job->index, job->index) == 0) {
                job->result = client_smtp_reply(c);
                client_smtp_command(c, "QUIT");
        }
        client_close(c);
        free(c);
        return NULL;
}

/* 200 clients at once, each delivering one message: 200 replies of 250
 * and 200 files. */
START_TEST(test_concurrent_clients_deliver)
{
        struct harness h;
        static pthread_t threads[CLIENTS];
        static struct delivery_job jobs[CLIENTS];

        smtp_test_start(&h, NULL, 0);
        for (int i = 0; i < CLIENTS; i++) {
                jobs[i] = (struct delivery_job){ .h = &h, .index = i, .result = -1 };
                ck_assert_int_eq(pthread_create(&threads[i], NULL, deliver_one, &jobs[i]), 0);
        }
        int delivered = 0;
        for (int i = 0; i < CLIENTS; i++) {
                pthread_join(threads[i], NULL);
                delivered += jobs[i].result == 250;
        }
        ck_assert_int_eq(delivered, CLIENTS);
        ck_assert_int_eq(smtp_test_wait_files(&h, "student", "new", CLIENTS), CLIENTS);
        ck_assert_int_eq(harness_count_files(&h, "student", "tmp"), 0);
        harness_cleanup(&h);
}
END_TEST

/* Past max_connections a client gets one line, 421 4.3.2, and the close. */
START_TEST(test_connection_limit)
{
        struct harness h;

        smtp_test_start(&h, "max_connections = 2\n", 0);
        struct client *first = smtp_test_session(&h);
        struct client *second = smtp_test_session(&h);
        struct client *third = calloc(1, sizeof *third);
        ck_assert_ptr_nonnull(third);
        ck_assert_int_eq(client_connect(third, "127.0.0.1", h.port), 0);
        ck_assert_int_eq(client_smtp_reply(third), 421);
        ck_assert_str_eq(third->last, "421 4.3.2 Too many connections, try again later\r\n");
        ck_assert(client_wait_closed(third));
        smtp_test_close(third);
        /* The first two are unaffected, and a slot freed is usable again. */
        ck_assert_int_eq(client_smtp_command(first, "NOOP"), 250);
        ck_assert_int_eq(client_smtp_command(second, "QUIT"), 221);
        ck_assert(client_wait_closed(second));
        smtp_test_close(second);
        struct client *again = NULL;
        for (int attempt = 0; attempt < 50 && again == NULL; attempt++) {
                struct client *probe = calloc(1, sizeof *probe);
                ck_assert_ptr_nonnull(probe);
                ck_assert_int_eq(client_connect(probe, "127.0.0.1", h.port), 0);
                if (client_smtp_reply(probe) == 220) {
                        again = probe;
                } else {
                        smtp_test_close(probe);
                        struct timespec pause = { 0, 100 * 1000000L };
                        nanosleep(&pause, NULL);
                }
        }
        ck_assert_ptr_nonnull(again);
        smtp_test_close(again);
        smtp_test_close(first);
        harness_cleanup(&h);
}
END_TEST

/* SIGTERM: an idle session gets 421, a message in the middle of DATA is
 * not stored, and the daemon exits 0. */
START_TEST(test_sigterm_during_sessions)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *idle = smtp_test_session(&h);
        struct client *busy = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(busy, "MAIL FROM:<alice@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(busy, "RCPT TO:<student@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(busy, "DATA"), 354);
        ck_assert_int_eq(smtp_test_send_literal(busy, "Subject: cut\r\n\r\nnever finished\r\n"), 0);

        int status = harness_stop(&h);
        ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "exit status %d", status);
        ck_assert_int_eq(client_smtp_reply(idle), 421);
        ck_assert(smtp_test_last_has(idle, "421 4.3.2 "));
        ck_assert(client_wait_closed(idle));
        int code = client_smtp_reply(busy);
        ck_assert_msg(code == 421 || code == -1, "mid-DATA client got %d", code);
        ck_assert_int_eq(harness_count_files(&h, "student", "new"), 0);
        smtp_test_close(idle);
        smtp_test_close(busy);
        harness_cleanup(&h);
}
END_TEST

/* A user added to the users file becomes deliverable after SIGHUP, while
 * an earlier session keeps running. */
START_TEST(test_sighup_reload_users)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<a@example.org>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<carol@localhost>"), 550);

        FILE *users = fopen(h.users_path, "a");
        ck_assert_ptr_nonnull(users);
        fputs("carol:{PLAIN}carolpass\n", users);
        ck_assert_int_eq(fclose(users), 0);
        ck_assert_int_eq(kill(h.pid, SIGHUP), 0);
        bool reloaded = false;
        for (int i = 0; i < 100 && !reloaded; i++) {
                reloaded = harness_log_contains(&h, "reloaded");
                struct timespec pause = { 0, 50 * 1000000L };
                nanosleep(&pause, NULL);
        }
        ck_assert(reloaded);

        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<carol@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "DATA"), 354);
        ck_assert_int_eq(smtp_test_send_literal(c, "for carol\r\n.\r\n"), 0);
        ck_assert_int_eq(client_smtp_reply(c), 250);
        ck_assert_int_eq(smtp_test_wait_files(&h, "carol", "new", 1), 1);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

Suite *smtp_concurrency_suite(void)
{
        Suite *suite = suite_create("smtp_concurrency");
        TCase *tc = tcase_create("clients");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_concurrent_clients_deliver);
        tcase_add_test(tc, test_connection_limit);
        suite_add_tcase(suite, tc);

        tc = tcase_create("signals");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_sigterm_during_sessions);
        tcase_add_test(tc, test_sighup_reload_users);
        suite_add_tcase(suite, tc);
        return suite;
}
