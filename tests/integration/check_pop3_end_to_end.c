/* SPDX-License-Identifier: MIT
 *
 * check_pop3_end_to_end.c - a message sent through smtpd comes back through
 * pop3d with the same bytes, apart from the trace headers smtpd prepends.
 *
 * Two daemons share one mail_root and users file: smtpd from one harness,
 * pop3d from a second whose configuration points at the first one's files.
 * The body carries leading dots (stuffed twice on the way: SMTP DATA in,
 * POP3 RETR out), 8-bit octets and a long line.
 *
 * Standards:  RFC 5321 §4.5.2, RFC 5321 §4.4, RFC 1939 §3, RFC 1939 §11
 * Threads:    Check's fork mode; the test starts both daemons.
 * Read next:  smtpd/data.c (DATA in), pop3d/transaction.c (RETR out).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_pop3.h"
#include "tests/support/client.h"

START_TEST(test_smtp_in_pop3_out_byte_identical)
{
        struct harness smtp;
        struct harness pop3;
        struct client c;
        struct pop3t p;
        char extra[2048];
        static char body[8192];
        size_t len = 0;

        /* The message as the client means it, CRLF line ends. */
        len += (size_t)snprintf(body + len, sizeof(body) - len,
                                "From: sender@example.test\r\nTo: student@localhost\r\n"
                                "Subject: end to end\r\n\r\n.leading dot\r\n..two dots\r\n"
                                ".\r\n8-bit: caf\xc3\xa9 \xff\xfe\r\n");
        memset(body + len, 'L', 990);
        len += 990;
        len += (size_t)snprintf(body + len, sizeof(body) - len, "\r\nlast line\r\n");

        ck_assert_int_eq(harness_init(&smtp), 0);
        ck_assert_int_eq(harness_start(&smtp, "smtpd", 0), 0);
        ck_assert_int_eq(harness_init(&pop3), 0);
        snprintf(extra, sizeof(extra), "mail_root = %s\nusers_file = %s\naliases_file = %s\n",
                 smtp.mail_root, smtp.users_path, smtp.aliases_path);
        snprintf(pop3.extra_config, sizeof(pop3.extra_config), "%s", extra);
        pop3t_own(&pop3);
        ck_assert_int_eq(harness_start(&pop3, "pop3d", 0), 0);

        ck_assert_int_eq(client_connect(&c, "127.0.0.1", smtp.port), 0);
        ck_assert_int_eq(client_smtp_reply(&c), 220);
        ck_assert_int_eq(client_smtp_command(&c, "EHLO [127.0.0.1]"), 250);
        ck_assert_int_eq(client_smtp_command(&c, "MAIL FROM:<sender@example.test>"), 250);
        ck_assert_int_eq(client_smtp_command(&c, "RCPT TO:<student@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(&c, "DATA"), 354);
        /* RFC 5321 §4.5.2: the client doubles each leading dot. */
        for (size_t i = 0; i < len;) {
                const char *end = strstr(body + i, "\r\n");
                size_t line_len = (size_t)(end - (body + i)) + 2;

                if (body[i] == '.')
                        ck_assert_int_eq(client_send(&c, ".", 1), 0);
                ck_assert_int_eq(client_send(&c, body + i, line_len), 0);
                i += line_len;
        }
        ck_assert_int_eq(client_send(&c, ".\r\n", 3), 0);
        ck_assert_int_eq(client_smtp_reply(&c), 250);
        ck_assert_int_eq(client_smtp_command(&c, "QUIT"), 221);
        client_close(&c);

        pop3t_login(&p, pop3.port, "student", "student");
        ck_assert_str_eq(p.status, "+OK Logged in, 1 messages");
        ck_assert_int_eq(pop3t_command(&p, "RETR 1"), 1);
        size_t got_len;
        unsigned long long announced;

        ck_assert_int_eq(sscanf(p.status, "+OK %llu octets", &announced), 1);
        char *got = pop3t_multiline(&p, true, &got_len, NULL);

        ck_assert_uint_eq(got_len, announced);
        /* smtpd prepends Return-Path: and Received: (RFC 5321 §4.4); the
         * rest is the message exactly as sent. */
        ck_assert_uint_ge(got_len, len);
        ck_assert_int_eq(strncmp(got, "Return-Path: <sender@example.test>\r\n", 36), 0);
        ck_assert(memcmp(got + got_len - len, body, len) == 0);
        free(got);
        ck_assert_int_eq(pop3t_command(&p, "DELE 1"), 1);
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        pop3t_close(&p);
        ck_assert_int_eq(pop3t_count_messages(&smtp, "student"), 0);
        harness_cleanup(&pop3);
        harness_cleanup(&smtp);
}
END_TEST

Suite *pop3_end_to_end_suite(void)
{
        Suite *suite = suite_create("pop3_end_to_end");
        TCase *tc = tcase_create("smtp_to_pop3");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_smtp_in_pop3_out_byte_identical);
        suite_add_tcase(suite, tc);
        return suite;
}
