/* SPDX-License-Identifier: MIT
 *
 * check_smtp_data.c - DATA against the real daemon: byte-exact storage,
 * dot-unstuffing, the trace header fields, one file linked into several
 * Maildirs, aliases, SMTP smuggling payloads, size and line limits, disk
 * errors, and the lab's unsafe lenient mode.
 *
 * Standards:  RFC 5321 §4.1.1.4, RFC 5321 §4.5.2, RFC 5321 §2.3.8, RFC 5321 §4.4,
 *             RFC 5321 §4.5.3.1.6, RFC 5321 §4.5.1, RFC 1870 §6, RFC 2920 §3.1
 */
#include <signal.h>
#include "tests/integration/check_smtp.h"

/* Bytes as sent (stuffed, CRLF) and as they must be stored (LF). */
START_TEST(test_byte_exact_storage)
{
        static const char sent[] =
                "From: Alice <alice@localhost>\r\n"
                "Subject: exact\r\n"
                "\r\n"
                "first line\r\n"
                "..leading dot\r\n"
                "...two dots\r\n"
                ". space after dot\r\n"
                "\r\n"
                "tab\there, 8-bit \xc3\xa9\xff\x01 bytes\r\n"
                "..\r\n"
                "last line without anything special\r\n"
                ".\r\n";
        static const char stored[] =
                "From: Alice <alice@localhost>\n"
                "Subject: exact\n"
                "\n"
                "first line\n"
                ".leading dot\n"
                "..two dots\n"
                " space after dot\n"
                "\n"
                "tab\there, 8-bit \xc3\xa9\xff\x01 bytes\n"
                ".\n"
                "last line without anything special\n";
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<alice@localhost> BODY=8BITMIME"),
                         250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<student@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "DATA"), 354);
        ck_assert(smtp_test_last_has(c, "354 Start mail input"));
        ck_assert_int_eq(client_send(c, sent, sizeof sent - 1), 0);
        ck_assert_int_eq(client_smtp_reply(c), 250);
        ck_assert(smtp_test_last_has(c, "250 2.0.0 OK queued as "));
        ck_assert_int_eq(smtp_test_wait_files(&h, "student", "new", 1), 1);

        size_t len;
        char *message = harness_read_message(&h, "student", "new", &len);
        ck_assert_ptr_nonnull(message);
        ck_assert(strncmp(message, "Return-Path: <alice@localhost>\n", 31) == 0);
        const char *body = smtp_test_body(message);
        ck_assert_ptr_nonnull(body);
        ck_assert_uint_eq(len - (size_t)(body - message), sizeof stored - 1);
        ck_assert(memcmp(body, stored, sizeof stored - 1) == 0);
        free(message);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* The same message fed one byte per write: the decoder's state must carry
 * across reads. */
START_TEST(test_byte_at_a_time)
{
        static const char sent[] = "Subject: slow\r\n\r\n..a\r\nb\r\n.\r\n";
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<alice@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<student@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "DATA"), 354);
        for (size_t i = 0; i < sizeof sent - 1; i++) {
                ck_assert_int_eq(client_send(c, sent + i, 1), 0);
                struct timespec pause = { 0, 2 * 1000000L };
                nanosleep(&pause, NULL);
        }
        ck_assert_int_eq(client_smtp_reply(c), 250);
        size_t len;
        ck_assert_int_eq(smtp_test_wait_files(&h, "student", "new", 1), 1);
        char *message = harness_read_message(&h, "student", "new", &len);
        ck_assert_ptr_nonnull(message);
        ck_assert_str_eq(smtp_test_body(message), "Subject: slow\n\n.a\nb\n");
        free(message);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

START_TEST(test_empty_message)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(smtp_test_send(c, "alice@localhost", "student@localhost", ".\r\n"), 250);
        size_t len;
        ck_assert_int_eq(smtp_test_wait_files(&h, "student", "new", 1), 1);
        char *message = harness_read_message(&h, "student", "new", &len);
        ck_assert_ptr_nonnull(message);
        ck_assert_str_eq(smtp_test_body(message), "");
        free(message);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* RFC 5321 §4.4: Return-Path: with the reverse-path ("<>" for bounces) and
 * a Received: line naming the HELO name, the address literal, us and the
 * one recipient. */
START_TEST(test_trace_headers)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(smtp_test_send(c, "", "student@localhost", "x\r\n.\r\n"), 250);
        size_t len;
        ck_assert_int_eq(smtp_test_wait_files(&h, "student", "new", 1), 1);
        char *message = harness_read_message(&h, "student", "new", &len);
        ck_assert_ptr_nonnull(message);
        ck_assert(strncmp(message, "Return-Path: <>\nReceived: from client.example.test "
                                   "([127.0.0.1])\n\tby localhost with ESMTP id ", 86) == 0);
        ck_assert_ptr_nonnull(strstr(message, "\n\tfor <student@localhost>; "));
        ck_assert_str_eq(smtp_test_body(message), "x\n");
        free(message);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* DESIGN.md §4: written once, linked into each Maildir (same inode), and
 * the Received: line does not list the recipients. */
START_TEST(test_three_recipients_hard_linked)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<x@example.org>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<student@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<alice@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<bob@example.test>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "DATA"), 354);
        ck_assert_int_eq(smtp_test_send_literal(c, "Subject: three\r\n\r\nhi\r\n.\r\n"), 0);
        ck_assert_int_eq(client_smtp_reply(c), 250);
        static const char *const users[] = { "student", "alice", "bob" };
        for (size_t i = 0; i < 3; i++)
                ck_assert_int_eq(smtp_test_wait_files(&h, users[i], "new", 1), 1);
        ino_t inode = smtp_test_inode(&h, "student");
        ck_assert(inode != 0);
        ck_assert(smtp_test_inode(&h, "alice") == inode);
        ck_assert(smtp_test_inode(&h, "bob") == inode);
        size_t len;
        char *message = harness_read_message(&h, "alice", "new", &len);
        ck_assert_ptr_nonnull(message);
        ck_assert_ptr_null(strstr(message, "\tfor <"));
        free(message);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* Aliases expand to their members; the same person named twice (directly
 * and through postmaster) gets one copy. */
START_TEST(test_alias_and_postmaster_delivery)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<x@example.org>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<team@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<Postmaster>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<student@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<alice@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "DATA"), 354);
        ck_assert_int_eq(smtp_test_send_literal(c, "hello team\r\n.\r\n"), 0);
        ck_assert_int_eq(client_smtp_reply(c), 250);
        ck_assert_int_eq(smtp_test_wait_files(&h, "alice", "new", 1), 1);
        ck_assert_int_eq(smtp_test_wait_files(&h, "bob", "new", 1), 1);
        ck_assert_int_eq(smtp_test_wait_files(&h, "student", "new", 1), 1);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* ---- SMTP smuggling (CVE-2023-51764 family) ---- */

static const struct {
        const char *name;
        const char *fake_end;
} smuggling_cases[] = {
        { "LF.LF", "\n.\n" },
        { "CR.CR", "\r.\r" },
        { "CRLF.LF", "\r\n.\n" },
        { "LF.CRLF", "\n.\r\n" },
        { "CR.CRLF", "\r.\r\n" },
        { "CRLF.CR", "\r\n.\r" },
};

/* Build: a message, the fake end, a smuggled second transaction, the real
 * end. A server that takes the fake end for the real one would store two
 * messages and run the smuggled commands. */
static size_t smuggling_payload(char *out, size_t size, const char *fake_end)
{
        return (size_t)snprintf(out, size,
                                "Subject: outer\r\n\r\nouter body%s"
                                "MAIL FROM:<ceo@example.test>\r\n"
                                "RCPT TO:<student@localhost>\r\n"
                                "DATA\r\n"
                                "Subject: smuggled\r\n\r\nsmuggled body\r\n"
                                "\r\n.\r\n",
                                fake_end);
}

START_TEST(test_smuggling_refused)
{
        struct harness h;
        char payload[1024];

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<alice@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<student@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "DATA"), 354);
        size_t len = smuggling_payload(payload, sizeof payload, smuggling_cases[_i].fake_end);
        ck_assert_int_eq(client_send(c, payload, len), 0);
        /* One reply, the refusal; no 250 for any smuggled command. */
        ck_assert_int_eq(client_smtp_reply(c), 554);
        ck_assert_msg(smtp_test_last_has(c, "554 5.6.0 "), "%s: %s", smuggling_cases[_i].name,
                      c->last);
        /* The session is alive and in step, and nothing was stored. */
        ck_assert_int_eq(client_smtp_command(c, "NOOP"), 250);
        ck_assert_str_eq(c->last, "250 2.0.0 OK\r\n");
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<student@localhost>"), 503);
        ck_assert_int_eq(harness_count_files(&h, "student", "new"), 0);
        ck_assert_int_eq(harness_count_files(&h, "student", "tmp"), 0);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* The lab's switch: with smtp_line_endings = lenient-unsafe a bare LF is a
 * line end, so "\n.\n" ends the message and the smuggled transaction is
 * run, as on vulnerable servers. The greeting says so. */
START_TEST(test_smuggling_lenient_mode_is_vulnerable)
{
        struct harness h;
        char payload[1024];

        smtp_test_start(&h, "smtp_line_endings = lenient-unsafe\n", 0);
        struct client *c = smtp_test_connect(&h);
        ck_assert(smtp_test_last_has(c, "220-localhost ESMTP ready\r\n"));
        ck_assert(smtp_test_last_has(c, "UNSAFE"));
        ck_assert_int_eq(client_smtp_command(c, "EHLO client.example.test"), 250);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<alice@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<student@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "DATA"), 354);
        size_t len = smuggling_payload(payload, sizeof payload, "\n.\n");
        ck_assert_int_eq(client_send(c, payload, len), 0);
        ck_assert_int_eq(client_smtp_reply(c), 250);
        ck_assert_int_eq(client_smtp_reply(c), 250);
        ck_assert_int_eq(client_smtp_reply(c), 250);
        ck_assert_int_eq(client_smtp_reply(c), 354);
        ck_assert_int_eq(client_smtp_reply(c), 250);
        ck_assert_int_eq(smtp_test_wait_files(&h, "student", "new", 2), 2);
        ck_assert_int_eq(client_smtp_command(c, "NOOP"), 250);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* RFC 5321 §4.5.3.1.6: 1000 octets with CRLF is the longest text line. */
START_TEST(test_long_text_line)
{
        struct harness h;
        char body[2100];

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        memset(body, 'a', 998);
        memcpy(body + 998, "\r\n.\r\n", 6);
        ck_assert_int_eq(smtp_test_send(c, "alice@localhost", "student@localhost", body), 250);
        memset(body, 'b', 999);
        memcpy(body + 999, "\r\n.\r\n", 6);
        ck_assert_int_eq(smtp_test_send(c, "alice@localhost", "student@localhost", body), 554);
        ck_assert(smtp_test_last_has(c, "554 5.6.0 "));
        ck_assert_int_eq(client_smtp_command(c, "NOOP"), 250);
        ck_assert_int_eq(smtp_test_wait_files(&h, "student", "new", 1), 1);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* RFC 1870 §6: over max_message_size the data is read to its end, then
 * 552; nothing is stored and the session goes on. */
START_TEST(test_message_too_big)
{
        struct harness h;
        static char body[8000];

        smtp_test_start(&h, "max_message_size = 1000\n", 0);
        struct client *c = smtp_test_session(&h);
        ck_assert(smtp_test_last_has(c, "250-SIZE 1000\r\n"));
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<a@localhost> SIZE=1001"), 552);
        for (size_t i = 0; i < 70; i++) {
                memset(body + i * 100, '0' + (char)(i % 10), 98);
                memcpy(body + i * 100 + 98, "\r\n", 2);
        }
        memcpy(body + 7000, ".\r\n", 4);
        ck_assert_int_eq(smtp_test_send(c, "alice@localhost", "student@localhost", body), 552);
        ck_assert(smtp_test_last_has(c, "552 5.3.4 "));
        ck_assert_int_eq(client_smtp_command(c, "NOOP"), 250);
        ck_assert_int_eq(harness_count_files(&h, "student", "new"), 0);
        ck_assert_int_eq(harness_count_files(&h, "student", "tmp"), 0);
        /* RFC 1870 §3: the limit counts the message as sent, CRLF line
         * ends included (not the terminator): 1000 octets are fine, 1001
         * are not. */
        memset(body, 'x', 500);
        memcpy(body + 500, "\r\n", 2);
        memset(body + 502, 'y', 497);
        memcpy(body + 999, "\r\n.\r\n", 6);
        ck_assert_int_eq(smtp_test_send(c, "alice@localhost", "student@localhost", body), 552);
        memcpy(body + 998, "\r\n.\r\n", 6);
        ck_assert_int_eq(smtp_test_send(c, "alice@localhost", "student@localhost", body), 250);
        /* Many short lines: stored LF would be 750 octets, the wire has 1000
         * plus CRLFs, so it is refused. */
        for (size_t i = 0; i < 250; i++)
                memcpy(body + i * 4, "ab\r\n", 4);
        memcpy(body + 1000, "x\r\n.\r\n", 7);
        ck_assert_int_eq(smtp_test_send(c, "alice@localhost", "student@localhost", body), 552);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* A disk error (here RLIMIT_FSIZE: EFBIG) answers 452 with the reason,
 * leaves no file behind, and keeps the session. */
START_TEST(test_disk_error_temporary)
{
        struct harness h;
        static char body[40100];

        smtp_test_start(&h, NULL, 16384);
        struct client *c = smtp_test_session(&h);
        for (size_t i = 0; i < 400; i++) {
                memset(body + i * 100, 'z', 98);
                memcpy(body + i * 100 + 98, "\r\n", 2);
        }
        memcpy(body + 40000, ".\r\n", 4);
        int code = smtp_test_send(c, "alice@localhost", "student@localhost", body);
        ck_assert_msg(code == 452, "%s", c->last);
        ck_assert(smtp_test_last_has(c, "452 4.3.1 "));
        ck_assert_int_eq(harness_count_files(&h, "student", "new"), 0);
        ck_assert_int_eq(harness_count_files(&h, "student", "tmp"), 0);
        ck_assert_int_eq(client_smtp_command(c, "NOOP"), 250);
        /* A small message still goes through. */
        ck_assert_int_eq(smtp_test_send(c, "alice@localhost", "student@localhost",
                                        "small\r\n.\r\n"), 250);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* kill -9 in the middle of DATA: nothing appears in new/. */
START_TEST(test_kill_during_data_stores_nothing)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<alice@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<student@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "DATA"), 354);
        ck_assert_int_eq(smtp_test_send_literal(c, "Subject: half\r\n\r\nhalf a message\r\n"), 0);
        struct timespec pause = { 0, 200 * 1000000L };
        nanosleep(&pause, NULL);
        ck_assert_int_eq(kill(h.pid, SIGKILL), 0);
        ck_assert(client_wait_closed(c));
        ck_assert_int_eq(harness_count_files(&h, "student", "new"), 0);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

Suite *smtp_data_suite(void)
{
        Suite *suite = suite_create("smtp_data");
        TCase *tc = tcase_create("storage");

        tcase_set_timeout(tc, SMTP_TEST_TIMEOUT);
        tcase_add_test(tc, test_byte_exact_storage);
        tcase_add_test(tc, test_byte_at_a_time);
        tcase_add_test(tc, test_empty_message);
        tcase_add_test(tc, test_trace_headers);
        tcase_add_test(tc, test_three_recipients_hard_linked);
        tcase_add_test(tc, test_alias_and_postmaster_delivery);
        suite_add_tcase(suite, tc);

        tc = tcase_create("smuggling");
        tcase_set_timeout(tc, SMTP_TEST_TIMEOUT);
        tcase_add_loop_test(tc, test_smuggling_refused, 0,
                            (int)(sizeof smuggling_cases / sizeof smuggling_cases[0]));
        tcase_add_test(tc, test_smuggling_lenient_mode_is_vulnerable);
        suite_add_tcase(suite, tc);

        tc = tcase_create("limits");
        tcase_set_timeout(tc, SMTP_TEST_TIMEOUT);
        tcase_add_test(tc, test_long_text_line);
        tcase_add_test(tc, test_message_too_big);
        tcase_add_test(tc, test_disk_error_temporary);
        tcase_add_test(tc, test_kill_during_data_stores_nothing);
        suite_add_tcase(suite, tc);
        return suite;
}
