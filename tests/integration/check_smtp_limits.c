/* SPDX-License-Identifier: MIT
 *
 * check_smtp_limits.c - the limits of one session against the real
 * daemon: command line length, recipients per message, errors per session,
 * command and DATA timeouts, and PIPELINING (replies in order, in one
 * write's worth).
 *
 * Standards:  RFC 5321 §4.5.3.1.4, RFC 5321 §4.5.3.1.8, RFC 5321 §4.5.3.1.10,
 *             RFC 5321 §4.5.3.2.7, RFC 5321 §4.5.3.2.6, RFC 2920 §3.1
 */
#include "tests/integration/check_smtp.h"

/* RFC 5321 §4.5.3.1.4: 512 octets with CRLF is the longest command line.
 * A longer one is consumed whole and answered once; its tail is never run
 * as a command of its own. */
START_TEST(test_overlong_line_not_dispatched)
{
        struct harness h;
        char line[20100];

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        /* 510 octets + CRLF = 512: accepted. */
        memcpy(line, "NOOP ", 5);
        memset(line + 5, 'x', 505);
        memcpy(line + 510, "\r\n", 2);
        ck_assert_int_eq(client_send(c, line, 512), 0);
        ck_assert_int_eq(client_smtp_reply(c), 250);
        /* 513: refused, and the "QUIT" at its end is not executed. */
        memset(line + 5, 'x', 502);
        memcpy(line + 507, "QUIT\r\n", 6);
        ck_assert_int_eq(client_send(c, line, 513), 0);
        ck_assert_int_eq(client_smtp_reply(c), 500);
        ck_assert_str_eq(c->last, "500 5.5.2 Line too long\r\n");
        ck_assert_int_eq(client_smtp_command(c, "NOOP"), 250);
        /* Far longer than any buffer: still one reply, then in step. */
        memcpy(line, "MAIL FROM:<", 11);
        memset(line + 11, 'a', 20000);
        memcpy(line + 20011, "\r\nQUIT\r\n", 8);
        ck_assert_int_eq(client_send(c, line, 20011), 0);
        ck_assert_int_eq(smtp_test_send_literal(c, "\r\nNOOP\r\n"), 0);
        ck_assert_int_eq(client_smtp_reply(c), 500);
        ck_assert_int_eq(client_smtp_reply(c), 250);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<a@localhost>"), 250);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* RFC 5321 §4.5.3.1.8: at least 100 recipients; the 101st gets 452
 * (RFC 5321 §4.5.3.1.10) and the transaction still completes. */
START_TEST(test_recipient_limit)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<a@example.org>"), 250);
        for (int i = 0; i < 100; i++)
                ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<student@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<alice@localhost>"), 452);
        ck_assert(smtp_test_last_has(c, "452 4.5.3 "));
        ck_assert_int_eq(client_smtp_command(c, "DATA"), 354);
        ck_assert_int_eq(smtp_test_send_literal(c, "hundred\r\n.\r\n"), 0);
        ck_assert_int_eq(client_smtp_reply(c), 250);
        /* Named 100 times, stored once. */
        ck_assert_int_eq(smtp_test_wait_files(&h, "student", "new", 1), 1);
        ck_assert_int_eq(harness_count_files(&h, "alice", "new"), 0);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

START_TEST(test_recipient_limit_configurable)
{
        struct harness h;

        smtp_test_start(&h, "max_recipients = 150\n", 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<a@example.org>"), 250);
        for (int i = 0; i < 150; i++)
                ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<bob@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<bob@localhost>"), 452);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* Errors in a row: at max_errors the session ends with 421 4.7.0; a
 * success in between starts the count again. */
START_TEST(test_too_many_errors_closes)
{
        struct harness h;

        smtp_test_start(&h, "max_errors = 5\n", 0);
        struct client *c = smtp_test_session(&h);
        for (int i = 0; i < 4; i++)
                ck_assert_int_eq(client_smtp_command(c, "FROB"), 500);
        ck_assert_int_eq(client_smtp_command(c, "NOOP"), 250);
        for (int i = 0; i < 4; i++)
                ck_assert_int_eq(client_smtp_command(c, "FROB"), 500);
        ck_assert_int_eq(client_smtp_command(c, "FROB"), 500);
        ck_assert_int_eq(client_smtp_reply(c), 421);
        ck_assert(smtp_test_last_has(c, "421 4.7.0 "));
        ck_assert(client_wait_closed(c));
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* RFC 5321 §4.5.3.2.7: an idle client is dropped after command_timeout,
 * with 421 4.4.2. */
START_TEST(test_command_timeout)
{
        struct harness h;

        smtp_test_start(&h, "command_timeout = 1\n", 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_reply(c), 421);
        ck_assert(smtp_test_last_has(c, "421 4.4.2 "));
        ck_assert(client_wait_closed(c));
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* RFC 5321 §4.5.3.2.6: a client that stops in the middle of DATA is
 * dropped after data_timeout; the half message is not stored. */
START_TEST(test_data_timeout_stores_nothing)
{
        struct harness h;

        smtp_test_start(&h, "data_timeout = 1\n", 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<a@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<student@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "DATA"), 354);
        ck_assert_int_eq(smtp_test_send_literal(c, "Subject: half\r\n\r\nhalf"), 0);
        ck_assert_int_eq(client_smtp_reply(c), 421);
        ck_assert(smtp_test_last_has(c, "421 4.4.2 "));
        ck_assert(client_wait_closed(c));
        ck_assert_int_eq(harness_count_files(&h, "student", "new"), 0);
        ck_assert_int_eq(harness_count_files(&h, "student", "tmp"), 0);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* RFC 2920 §3.1: a whole transaction in one write gets every reply, in
 * order. */
START_TEST(test_pipelined_transaction)
{
        struct harness h;
        static const char batch[] =
                "MAIL FROM:<alice@localhost>\r\n"
                "RCPT TO:<student@localhost>\r\n"
                "RCPT TO:<nobody@localhost>\r\n"
                "RCPT TO:<bob@localhost>\r\n"
                "DATA\r\n";
        static const int codes[] = { 250, 250, 550, 250, 354 };

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_send(c, batch, sizeof batch - 1), 0);
        for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
                ck_assert_int_eq(client_smtp_reply(c), codes[i]);
        static const char rest[] = "Subject: piped\r\n\r\nbody\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n";
        ck_assert_int_eq(client_send(c, rest, sizeof rest - 1), 0);
        ck_assert_int_eq(client_smtp_reply(c), 250);
        ck_assert_int_eq(client_smtp_reply(c), 250);
        ck_assert_int_eq(client_smtp_reply(c), 250);
        ck_assert_int_eq(client_smtp_reply(c), 221);
        ck_assert(client_wait_closed(c));
        ck_assert_int_eq(smtp_test_wait_files(&h, "student", "new", 1), 1);
        ck_assert_int_eq(smtp_test_wait_files(&h, "bob", "new", 1), 1);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* Two transactions, data included, in one write (swaks --pipe does this).
 * The bytes after the first message's end are the next commands. */
START_TEST(test_two_pipelined_transactions)
{
        struct harness h;
        static const char batch[] =
                "MAIL FROM:<alice@localhost>\r\n"
                "RCPT TO:<student@localhost>\r\n"
                "DATA\r\n"
                "Subject: one\r\n\r\nfirst\r\n.\r\n"
                "MAIL FROM:<bob@localhost>\r\n"
                "RCPT TO:<alice@localhost>\r\n"
                "DATA\r\n"
                "Subject: two\r\n\r\nsecond\r\n..\r\n.\r\n"
                "NOOP\r\n";
        static const int codes[] = { 250, 250, 354, 250, 250, 250, 354, 250, 250 };

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_send(c, batch, sizeof batch - 1), 0);
        for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
                int code = client_smtp_reply(c);
                ck_assert_msg(code == codes[i], "reply %zu: %s", i, c->last);
        }
        ck_assert_int_eq(smtp_test_wait_files(&h, "student", "new", 1), 1);
        ck_assert_int_eq(smtp_test_wait_files(&h, "alice", "new", 1), 1);
        size_t len;
        char *message = harness_read_message(&h, "alice", "new", &len);
        ck_assert_ptr_nonnull(message);
        ck_assert_str_eq(smtp_test_body(message), "Subject: two\n\nsecond\n.\n");
        free(message);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

Suite *smtp_limits_suite(void)
{
        Suite *suite = suite_create("smtp_limits");
        TCase *tc = tcase_create("lines");

        tcase_set_timeout(tc, SMTP_TEST_TIMEOUT);
        tcase_add_test(tc, test_overlong_line_not_dispatched);
        suite_add_tcase(suite, tc);

        tc = tcase_create("session");
        tcase_set_timeout(tc, SMTP_TEST_TIMEOUT);
        tcase_add_test(tc, test_recipient_limit);
        tcase_add_test(tc, test_recipient_limit_configurable);
        tcase_add_test(tc, test_too_many_errors_closes);
        tcase_add_test(tc, test_command_timeout);
        tcase_add_test(tc, test_data_timeout_stores_nothing);
        suite_add_tcase(suite, tc);

        tc = tcase_create("pipelining");
        tcase_set_timeout(tc, SMTP_TEST_TIMEOUT);
        tcase_add_test(tc, test_pipelined_transaction);
        tcase_add_test(tc, test_two_pipelined_transactions);
        suite_add_tcase(suite, tc);
        return suite;
}
