/* SPDX-License-Identifier: MIT
 *
 * check_pop3_messages.c - the bytes RETR and TOP send and the sizes STAT
 * and LIST announce, against the real pop3d.
 *
 * RFC 1939 §11: sizes count each line end as CRLF; RFC 1939 §3: lines that
 * start with "." are sent with a second one. Covered here: a message without
 * a final newline, byte-stuffing, TOP with 0, some and more lines than the
 * body has, a 10 MB message compared byte for byte, and a maildrop of
 * 10,000 messages.
 *
 * Standards:  RFC 1939 §3, RFC 1939 §5, RFC 1939 §7, RFC 1939 §11
 * Threads:    Check's fork mode; each test starts its own daemon.
 * Read next:  check_pop3_auth.c (logins and users).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_pop3.h"

/* text with every LF turned into CRLF (a LF-stored message as sent). */
static char *crlf(const char *text, size_t len, size_t *len_out)
{
        char *out = malloc(2 * len + 3);
        size_t n = 0;

        ck_assert_ptr_nonnull(out);
        for (size_t i = 0; i < len; i++) {
                if (text[i] == '\n')
                        out[n++] = '\r';
                out[n++] = text[i];
        }
        out[n] = '\0';
        *len_out = n;
        return out;
}

/* RETR n: checks "+OK <size> octets" against LIST and the bytes that
 * follow; returns the unstuffed message (malloc'd). */
static char *retr(struct pop3t *p, size_t n, size_t *len_out)
{
        char expected[64];
        unsigned long long listed;

        ck_assert_int_eq(pop3t_command(p, "LIST %zu", n), 1);
        ck_assert_int_eq(sscanf(p->status, "+OK %*u %llu", &listed), 1);
        ck_assert_int_eq(pop3t_command(p, "RETR %zu", n), 1);
        snprintf(expected, sizeof(expected), "+OK %llu octets", listed);
        ck_assert_str_eq(p->status, expected);
        char *message = pop3t_multiline(p, true, len_out, NULL);

        /* RFC 1939 §11: the size given is exactly what RETR sends before
         * byte-stuffing. */
        ck_assert_uint_eq(*len_out, listed);
        return message;
}

START_TEST(test_message_without_final_newline)
{
        struct harness h;
        struct pop3t p;
        static const char text[] = "Subject: no newline\n\nlast line has no LF";
        size_t len;

        pop3t_start(&h, NULL);
        pop3t_deliver(&h, "student", text, sizeof(text) - 1);
        pop3t_login(&p, h.port, "student", "student");
        char *message = retr(&p, 1, &len);

        /* The server ends the last line with CRLF so the "." can follow. */
        ck_assert_str_eq(message, "Subject: no newline\r\n\r\nlast line has no LF\r\n");
        free(message);
        ck_assert_int_eq(pop3t_command(&p, "STAT"), 1);
        ck_assert_str_eq(p.status, "+OK 1 44");
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* RFC 1939 §3: byte-stuffing; the client side undoes it. */
START_TEST(test_byte_stuffing_of_dot_lines)
{
        struct harness h;
        struct pop3t p;
        static const char text[] = "Subject: dots\n\n.\n..\n.x\nx.\n. \n.\r\nend\n.";
        size_t len;
        size_t expected_len;

        pop3t_start(&h, NULL);
        pop3t_deliver(&h, "student", text, sizeof(text) - 1);
        pop3t_login(&p, h.port, "student", "student");
        ck_assert_int_eq(pop3t_command(&p, "RETR 1"), 1);
        char *wire = pop3t_multiline(&p, false, &len, NULL);

        ck_assert_str_eq(wire, "Subject: dots\r\n\r\n..\r\n...\r\n..x\r\nx.\r\n.. \r\n..\r\n"
                               "end\r\n..\r\n");
        free(wire);
        char *message = retr(&p, 1, &len);
        static const char unstuffed[] = "Subject: dots\n\n.\n..\n.x\nx.\n. \n.\nend\n.\n";
        char *expected = crlf(unstuffed, sizeof(unstuffed) - 1, &expected_len);

        ck_assert_str_eq(message, expected);
        free(message);
        free(expected);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* RFC 1939 §7 TOP msg n: the header, the blank line, n lines of body. */
static const struct {
        const char *command;
        const char *expected;
} top_cases[] = {
        { "TOP 1 0", "From: a\r\nSubject: top\r\n\r\n" },
        { "TOP 1 1", "From: a\r\nSubject: top\r\n\r\nline 1\r\n" },
        { "TOP 1 3", "From: a\r\nSubject: top\r\n\r\nline 1\r\n.dot line 2\r\nline 3\r\n" },
        { "TOP 1 5", "From: a\r\nSubject: top\r\n\r\nline 1\r\n.dot line 2\r\nline 3\r\n"
                     "\r\nline 5\r\n" },
        { "TOP 1 6", "From: a\r\nSubject: top\r\n\r\nline 1\r\n.dot line 2\r\nline 3\r\n"
                     "\r\nline 5\r\nline 6\r\n" },
        { "TOP 1 4294967297", "From: a\r\nSubject: top\r\n\r\nline 1\r\n.dot line 2\r\n"
                              "line 3\r\n\r\nline 5\r\nline 6\r\n" },
        { "TOP 2 0", "Subject: header only, no body\r\n" },
        { "TOP 2 10", "Subject: header only, no body\r\n" },
};

START_TEST(test_top_zero_and_many_lines)
{
        struct harness h;
        struct pop3t p;
        static const char text[] =
                "From: a\nSubject: top\n\nline 1\n.dot line 2\nline 3\n\nline 5\nline 6\n";
        static const char header_only[] = "Subject: header only, no body\n";

        pop3t_start(&h, NULL);
        pop3t_deliver(&h, "student", text, sizeof(text) - 1);
        pop3t_deliver(&h, "student", header_only, sizeof(header_only) - 1);
        pop3t_login(&p, h.port, "student", "student");
        ck_assert_int_eq(pop3t_command(&p, "%s", top_cases[_i].command), 1);
        char *top = pop3t_multiline(&p, true, NULL, NULL);

        ck_assert_str_eq(top, top_cases[_i].expected);
        free(top);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* A 10 MB message, with long lines, dot lines and 8-bit bytes, comes back
 * exactly. */
START_TEST(test_ten_megabyte_message_byte_exact)
{
        struct harness h;
        struct pop3t p;
        const size_t size = 10 * 1024 * 1024;
        char *text = malloc(size);
        size_t len = 0;
        unsigned seed = 12345;

        ck_assert_ptr_nonnull(text);
        len += (size_t)snprintf(text, size, "Subject: big\n\n");
        while (len < size - 1) {
                seed = seed * 1103515245u + 12345u;
                size_t line = (seed >> 8) % 3000;

                if ((seed & 7) == 0 && len < size - 2)
                        text[len++] = '.';
                for (size_t i = 0; i < line && len < size - 1; i++) {
                        seed = seed * 1103515245u + 12345u;
                        unsigned char c = (unsigned char)(32 + (seed >> 16) % 224);

                        text[len++] = (char)(c == 127 ? 'x' : c);
                }
                text[len++] = '\n';
        }
        pop3t_start(&h, NULL);
        pop3t_deliver(&h, "student", text, len);
        pop3t_login(&p, h.port, "student", "student");
        size_t got_len;
        size_t expected_len;
        char *got = retr(&p, 1, &got_len);
        char *expected = crlf(text, len, &expected_len);

        ck_assert_uint_eq(got_len, expected_len);
        ck_assert(memcmp(got, expected, got_len) == 0);
        free(got);
        free(expected);
        free(text);
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* 10,000 messages: STAT, LIST and UIDL agree, UIDs are distinct. */
START_TEST(test_ten_thousand_messages)
{
        struct harness h;
        struct pop3t p;
        const size_t total = 10000;
        char expected[64];
        size_t count;

        pop3t_start(&h, "trace = no\n");
        unsigned long long octets = pop3t_make_messages(&h, "student", total);

        pop3t_login(&p, h.port, "student", "student");
        ck_assert_str_eq(p.status, "+OK Logged in, 10000 messages");
        ck_assert_int_eq(pop3t_command(&p, "STAT"), 1);
        snprintf(expected, sizeof(expected), "+OK %zu %llu", total, octets);
        ck_assert_str_eq(p.status, expected);
        ck_assert_int_eq(pop3t_command(&p, "LIST"), 1);
        char *list = pop3t_multiline(&p, false, NULL, &count);

        ck_assert_uint_eq(count, total);
        unsigned long long sum = 0;
        size_t number = 0;

        for (char *line = strtok(list, "\r\n"); line != NULL; line = strtok(NULL, "\r\n")) {
                size_t n;
                unsigned long long octets_one;

                ck_assert_int_eq(sscanf(line, "%zu %llu", &n, &octets_one), 2);
                ck_assert_uint_eq(n, ++number);
                sum += octets_one;
        }
        ck_assert_uint_eq(sum, octets);
        free(list);
        ck_assert_int_eq(pop3t_command(&p, "UIDL"), 1);
        char *uidl = pop3t_multiline(&p, false, NULL, &count);

        ck_assert_uint_eq(count, total);
        /* Our names carry the message index: distinct by construction, so
         * check that each appears once. */
        ck_assert_ptr_nonnull(strstr(uidl, "\r\n10000 1600000000.M009999P1Q9999.test,"));
        free(uidl);
        ck_assert_int_eq(pop3t_command(&p, "RETR 10000"), 1);
        char *last = pop3t_multiline(&p, true, NULL, NULL);

        ck_assert_str_eq(last, "Subject: message 9999\r\n\r\nbody 9999\r\n");
        free(last);
        ck_assert_int_eq(pop3t_command(&p, "LIST 10001"), 0);
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

Suite *pop3_messages_suite(void)
{
        Suite *suite = suite_create("pop3_messages");
        TCase *tc = tcase_create("bytes");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_message_without_final_newline);
        tcase_add_test(tc, test_byte_stuffing_of_dot_lines);
        tcase_add_loop_test(tc, test_top_zero_and_many_lines, 0,
                            sizeof(top_cases) / sizeof(top_cases[0]));
        suite_add_tcase(suite, tc);

        TCase *big = tcase_create("big");

        tcase_set_timeout(big, 300);
        tcase_add_test(big, test_ten_megabyte_message_byte_exact);
        tcase_add_test(big, test_ten_thousand_messages);
        suite_add_tcase(suite, big);
        return suite;
}
