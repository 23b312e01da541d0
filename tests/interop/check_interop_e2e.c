/* SPDX-License-Identifier: MIT
 *
 * check_interop_e2e.c - end to end: what Python's smtplib sends through
 * smtpd comes back byte-identical, apart from the trace fields smtpd adds,
 * through poplib's RETR from pop3d on the same Maildir.
 *
 * The bodies are the ones that break naive code: lines that are only ".",
 * or start with dots (stuffing on the way in, RFC 5321 §4.5.2, and on the
 * way out, RFC 1939 §3); every octet from 0x80 to 0xFF under BODY=8BITMIME
 * (RFC 6152 §3); lines of 998 octets, the longest RFC 5321 §4.5.3.1.6
 * allows. At each hop the test compares bytes: the relay's record of the
 * SMTP data, the Maildir file, the POP3 bytes on the wire, and what poplib
 * returned.
 *
 * Standards:  RFC 5321 §4.4, RFC 5321 §4.5.2, RFC 5321 §4.5.3.1.6, RFC 6152 §3,
 *             RFC 1939 §3, RFC 1939 §6
 * Threads:    Check's fork mode; the relays run one thread each inside the test.
 * Read next:  tests/interop/interop_wire.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/interop/interop.h"

static struct interop_world world;

static void world_up(void)
{
        if (interop_world_start(&world, true) != 0)
                fprintf(stderr, "interop e2e: %s\n", world.error);
}

static void world_down(void)
{
        interop_world_stop(&world);
}

enum body_kind { BODY_DOTS, BODY_EIGHT_BIT, BODY_LONG_LINES, BODY_LONG_DOT_LINE, BODY_ALL };

static const char *const body_names[] = { "leading dots", "8-bit octets", "998-octet lines",
                                          "998-octet line starting with a dot", "all of them" };

static void append(struct interop_buffer *b, const char *text)
{
        interop_buffer_append(b, text, strlen(text));
}

static void append_repeated(struct interop_buffer *b, char c, size_t count)
{
        for (size_t i = 0; i < count; i++)
                interop_buffer_append(b, &c, 1);
}

/* The message smtplib is given: CRLF line ends, ending in CRLF. */
static void build_message(enum body_kind kind, struct interop_buffer *m)
{
        char header[256];
        snprintf(header, sizeof header,
                 "From: Student <student@localhost>\r\nTo: student@localhost\r\n"
                 "Subject: end to end: %s\r\nMessage-ID: <e2e-%d@localhost>\r\n"
                 "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
                 "Content-Transfer-Encoding: 8bit\r\n\r\n", body_names[kind], (int)kind);
        append(m, header);
        if (kind == BODY_DOTS || kind == BODY_ALL)
                append(m, ".\r\n..\r\n...\r\n.x\r\n. space after a dot\r\nmiddle\r\n"
                          "..leading two\r\n.\r\n");
        if (kind == BODY_EIGHT_BIT || kind == BODY_ALL) {
                for (int c = 0x80; c <= 0xff; c++) {
                        char octet = (char)c;
                        interop_buffer_append(m, &octet, 1);
                        if (c == 0xbf || c == 0xff)
                                append(m, "\r\n");
                }
                append(m, "Gr\xfc\xdf" "e, na\xefve caf\xe9\r\n");
        }
        if (kind == BODY_LONG_LINES || kind == BODY_ALL) {
                append_repeated(m, 'a', 998);
                append(m, "\r\n");
                append_repeated(m, 'c', 500);
                append(m, " \t trailing white space \t \r\n");
        }
        /* RFC 5321 §4.5.3.1.6: the 1000-octet limit does "not count the
         * leading dot duplicated for transparency", so this line is 1001
         * octets on the wire and still legal. */
        if (kind == BODY_LONG_DOT_LINE || kind == BODY_ALL) {
                append(m, ".");
                append_repeated(m, 'b', 997);
                append(m, "\r\n");
        }
        append(m, "\r\nlast line\r\n");
}

START_TEST(test_smtplib_to_poplib_byte_identical)
{
        enum body_kind kind = (enum body_kind)_i;
        INTEROP_REQUIRE("python3");
        ck_assert_msg(world.smtp_started && world.pop3_started, "daemons not running: %s",
                      world.error);
        interop_clear_maildirs(world.smtp.mail_root);
        struct interop_buffer message = { 0 };
        build_message(kind, &message);
        char message_path[400], out[400], script[400], port[16];
        interop_path(&world, "e2e.eml", message_path, sizeof message_path);
        interop_path(&world, "e2e-out", out, sizeof out);
        mkdir(out, 0700);
        ck_assert_int_eq(interop_write_file(message_path, message.data, message.len), 0);

        /* Hop 1: smtplib -> smtpd. */
        struct interop_proxy smtp;
        ck_assert_int_eq(interop_proxy_start(&smtp, world.smtp.port), 0);
        snprintf(port, sizeof port, "%u", smtp.port);
        const char *send[] = { "python3", interop_script("smtp_send.py", script, sizeof script),
                               "--port", port, "--from", "student@localhost",
                               "--to", "student@localhost", "--8bitmime",
                               "--message", message_path, NULL };
        struct interop_result r;
        interop_run(send, NULL, NULL, INTEROP_CLIENT_SECONDS, &r);
        interop_proxy_stop(&smtp);
        ck_assert_msg(r.status == 0, "smtplib (%s) failed:\n%s", body_names[kind],
                      interop_tail(&r, 3000));
        interop_result_free(&r);
        struct interop_buffer lf = { 0 };
        interop_crlf_to_lf(message.data, message.len, &lf);
        interop_check_sent(&smtp, lf.data, lf.len, "smtplib");
        size_t stored_len;
        char *stored = interop_check_stored(&world, "student", "student@localhost", lf.data,
                                            lf.len, body_names[kind], &stored_len);

        /* Hop 2: pop3d -> poplib, RETR then DELE and QUIT. */
        struct interop_proxy pop3;
        ck_assert_int_eq(interop_proxy_start(&pop3, world.pop3.port), 0);
        snprintf(port, sizeof port, "%u", pop3.port);
        const char *fetch[] = { "python3", interop_script("pop3_fetch.py", script, sizeof script),
                                "--port", port, "--user", "student", "--password", "student",
                                "--out", out, "--retr", "--dele", "all", NULL };
        interop_run(fetch, NULL, NULL, INTEROP_CLIENT_SECONDS, &r);
        interop_proxy_stop(&pop3);
        ck_assert_msg(r.status == 0, "poplib (%s) failed:\n%s", body_names[kind],
                      interop_tail(&r, 3000));

        char path[600], why[1024];
        snprintf(path, sizeof path, "%s/retr-1.eml", out);
        size_t fetched_len;
        char *fetched = interop_read_file(path, &fetched_len);
        ck_assert_ptr_nonnull(fetched);
        struct interop_buffer crlf = { 0 };
        interop_lf_to_crlf(stored, stored_len, &crlf);
        ck_assert_msg(interop_same(fetched, fetched_len, crlf.data, crlf.len, why, sizeof why),
                      "%s: RETR differs from the Maildir file: %s", body_names[kind], why);

        /* The trace fields, CRLF, then exactly what smtplib was given. */
        size_t trace_end = 0;
        ck_assert(interop_trace_end(stored, stored_len, "student@localhost", &trace_end, why,
                                    sizeof why));
        struct interop_buffer trace = { 0 };
        interop_lf_to_crlf(stored, trace_end, &trace);
        ck_assert(fetched_len >= trace.len && memcmp(fetched, trace.data, trace.len) == 0);
        ck_assert_msg(interop_same(fetched + trace.len, fetched_len - trace.len, message.data,
                                   message.len, why, sizeof why),
                      "%s: what poplib got is not what smtplib sent: %s", body_names[kind], why);

        /* And on the POP3 wire: stuffed, in one RETR. */
        struct interop_pop3_exchange x[16];
        size_t count = interop_pop3_exchanges(&pop3.streams[0], x, 16);
        bool seen = false;
        for (size_t i = 0; i < count; i++) {
                if (x[i].is_multiline && strcmp(x[i].command, "RETR 1") == 0) {
                        struct interop_buffer stuffed = { 0 };
                        interop_pop3_encode(stored, stored_len, &stuffed);
                        ck_assert_msg(interop_same(x[i].body.data, x[i].body.len, stuffed.data,
                                                   stuffed.len, why, sizeof why),
                                      "%s: RETR on the wire: %s", body_names[kind], why);
                        interop_buffer_free(&stuffed);
                        seen = true;
                }
                interop_buffer_free(&x[i].body);
        }
        ck_assert_msg(seen, "the relay saw no RETR 1");
        /* RFC 1939 §6: DELE and QUIT removed it. */
        ck_assert_int_eq(harness_count_files(&world.smtp, "student", "new") +
                         harness_count_files(&world.smtp, "student", "cur"), 0);

        free(fetched);
        free(stored);
        interop_buffer_free(&trace);
        interop_buffer_free(&crlf);
        interop_buffer_free(&lf);
        interop_buffer_free(&message);
        interop_proxy_free(&smtp);
        interop_proxy_free(&pop3);
        interop_result_free(&r);
}
END_TEST

Suite *interop_e2e_suite(void)
{
        Suite *suite = suite_create("interop_e2e");
        TCase *e2e = tcase_create("smtplib_to_poplib");
        tcase_add_unchecked_fixture(e2e, world_up, world_down);
        tcase_set_timeout(e2e, INTEROP_TIMEOUT);
        tcase_add_loop_test(e2e, test_smtplib_to_poplib_byte_identical, 0,
                            (int)(sizeof body_names / sizeof body_names[0]));
        suite_add_tcase(suite, e2e);
        return suite;
}
