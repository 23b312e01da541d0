/* SPDX-License-Identifier: MIT
 *
 * check_pop3_commands.c - every command in every state, every error reply,
 * and the hostile lines of STYLE.md's "Classic bugs" table, against the
 * real pop3d.
 *
 * The state tables are rows of (line, expected status, multi-line?); each
 * row runs on a fresh daemon and, after the row, the session must still
 * answer (Redis's "garbage then PING" habit). CAPA is checked with and
 * without the configuration switches that shape it.
 *
 * Standards:  RFC 1939 §3, RFC 1939 §4, RFC 1939 §5, RFC 1939 §7,
 *             RFC 2449 §4, RFC 2449 §5, RFC 2449 §6.6, RFC 5034 §4
 * Threads:    Check's fork mode; each test starts its own daemon.
 * Read next:  check_pop3_update.c (what QUIT removes and what it does not).
 */
#include <check.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_pop3.h"

enum expect { OK, ERR, OK_MULTI, OK_CLOSE, ERR_CLOSE };

struct row {
        const char *line;
        enum expect expect;
        const char *text;      /* the exact status line, or NULL */
};

static const char message_one[] = "Subject: one\n\nbody one\n";
static const char message_two[] = "Subject: two\n\nbody two\n";

/* RFC 1939 §4: what AUTHORIZATION accepts and refuses. */
static const struct row authorization_rows[] = {
        { "STAT", ERR, "-ERR Command not valid in this state" },
        { "LIST", ERR, "-ERR Command not valid in this state" },
        { "LIST 1", ERR, "-ERR Command not valid in this state" },
        { "RETR 1", ERR, "-ERR Command not valid in this state" },
        { "DELE 1", ERR, "-ERR Command not valid in this state" },
        { "NOOP", ERR, "-ERR Command not valid in this state" },
        { "RSET", ERR, "-ERR Command not valid in this state" },
        { "TOP 1 0", ERR, "-ERR Command not valid in this state" },
        { "UIDL", ERR, "-ERR Command not valid in this state" },
        { "CAPA", OK_MULTI, "+OK Capability list follows" },
        { "capa", OK_MULTI, "+OK Capability list follows" },
        { "USER student", OK, "+OK Send PASS" },
        { "USER nosuchuser", OK, "+OK Send PASS" },
        { "USER", ERR, "-ERR Syntax error in arguments" },
        { "USER a b", ERR, "-ERR Syntax error in arguments" },
        { "USER 01234567890123456789012345678901234567890", ERR, "-ERR Argument too long" },
        { "PASS student", ERR, "-ERR Send USER first" },
        { "PASS", ERR, "-ERR Syntax error in arguments" },
        { "APOP student", ERR, "-ERR Syntax error in arguments" },
        { "APOP student 0123456789abcdef0123456789abcdef", ERR,
          "-ERR [AUTH] Authentication failed" },
        { "AUTH", ERR, "-ERR Syntax error in arguments" },
        { "AUTH FOO", ERR, "-ERR Unsupported authentication mechanism" },
        { "AUTH PLAIN =", ERR, "-ERR Malformed authentication response" },
        { "AUTH PLAIN !!!!", ERR, "-ERR Invalid base64 in response" },
        { "AUTH PLAIN *", ERR, "-ERR Authentication cancelled" },
        { "AUTH CRAM-MD5 AAAA", ERR, "-ERR CRAM-MD5 does not take an initial response" },
        { "AUTH PLAIN AHN0dWRlbnQAd3Jvbmc=", ERR, "-ERR [AUTH] Authentication failed" },
        { "XYZZY", ERR, "-ERR Unknown command" },
        { "", ERR, "-ERR Unknown command" },
        { "QUIT", OK_CLOSE, "+OK Bye" },
        { "quit", OK_CLOSE, "+OK Bye" },
        { "QUIT now", ERR, "-ERR Syntax error in arguments" },
};

/* RFC 1939 §5 and §7 in TRANSACTION, with two messages in the maildrop. */
static const struct row transaction_rows[] = {
        { "STAT", OK, "+OK 2 52" },
        { "stat", OK, "+OK 2 52" },
        { "STAT 1", ERR, "-ERR Syntax error in arguments" },
        { "LIST", OK_MULTI, "+OK 2 messages (52 octets)" },
        { "LIST 1", OK, "+OK 1 26" },
        { "LIST 2", OK, "+OK 2 26" },
        { "LIST 3", ERR, "-ERR No such message" },
        { "LIST 0", ERR, "-ERR No such message" },
        { "LIST 4294967297", ERR, "-ERR No such message" },
        { "LIST 18446744073709551617", ERR, "-ERR Invalid message number" },
        { "LIST 1x", ERR, "-ERR Invalid message number" },
        { "LIST -1", ERR, "-ERR Invalid message number" },
        { "LIST +1", ERR, "-ERR Invalid message number" },
        { "LIST 1 2", ERR, "-ERR Syntax error in arguments" },
        { "LIST  1", ERR, "-ERR Syntax error in arguments" },
        { "RETR 1", OK_MULTI, "+OK 26 octets" },
        { "RETR", ERR, "-ERR Syntax error in arguments" },
        { "RETR 3", ERR, "-ERR No such message" },
        { "RETR 1 2", ERR, "-ERR Syntax error in arguments" },
        { "DELE 1", OK, "+OK Message 1 marked to be deleted" },
        { "DELE 0", ERR, "-ERR No such message" },
        { "DELE", ERR, "-ERR Syntax error in arguments" },
        { "NOOP", OK, "+OK" },
        { "NOOP 1", ERR, "-ERR Syntax error in arguments" },
        { "RSET", OK, "+OK Maildrop has 2 messages (52 octets)" },
        { "TOP 1 0", OK_MULTI, "+OK Top of message follows" },
        { "TOP 1 100", OK_MULTI, "+OK Top of message follows" },
        { "TOP 1", ERR, "-ERR Syntax error in arguments" },
        { "TOP 1 -1", ERR, "-ERR Invalid number of lines" },
        { "TOP 1 x", ERR, "-ERR Invalid number of lines" },
        { "TOP 3 0", ERR, "-ERR No such message" },
        { "TOP x 0", ERR, "-ERR Invalid message number" },
        { "UIDL", OK_MULTI, "+OK Unique-id listing follows" },
        { "UIDL 4294967297", ERR, "-ERR No such message" },
        { "UIDL 0", ERR, "-ERR No such message" },
        { "CAPA", OK_MULTI, "+OK Capability list follows" },
        { "USER student", ERR, "-ERR Command not valid in this state" },
        { "PASS student", ERR, "-ERR Command not valid in this state" },
        { "APOP student 0123456789abcdef0123456789abcdef", ERR,
          "-ERR Command not valid in this state" },
        { "AUTH PLAIN", ERR, "-ERR Command not valid in this state" },
        { "XYZZY", ERR, "-ERR Unknown command" },
        { "QUIT", OK_CLOSE, "+OK Bye, 0 messages deleted" },
};

#define ROWS(table) (sizeof(table) / sizeof(table[0]))

static void run_row(struct pop3t *p, const struct row *row, const char *after, int after_status)
{
        int status = pop3t_command(p, "%s", row->line);

        ck_assert_msg(status == (row->expect == OK || row->expect == OK_MULTI ||
                                 row->expect == OK_CLOSE),
                      "\"%s\" answered \"%s\"", row->line, p->status);
        if (row->text != NULL)
                ck_assert_msg(strcmp(p->status, row->text) == 0, "\"%s\" answered \"%s\"",
                              row->line, p->status);
        if (row->expect == OK_MULTI)
                free(pop3t_multiline(p, true, NULL, NULL));
        if (row->expect == OK_CLOSE || row->expect == ERR_CLOSE) {
                ck_assert(pop3t_closed(p));
                return;
        }
        /* After any row, good or hostile, the session still works. */
        ck_assert_msg(pop3t_command(p, "%s", after) == after_status, "then %s: %s", after,
                      p->status);
        if (after_status == 1 && strcmp(after, "CAPA") == 0)
                free(pop3t_multiline(p, true, NULL, NULL));
}

START_TEST(test_authorization_state_table)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, "pop3_auth_failures_max = 10\n");
        pop3t_connect(&p, h.port);
        run_row(&p, &authorization_rows[_i], "CAPA", 1);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

START_TEST(test_transaction_state_table)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, NULL);
        pop3t_deliver(&h, "student", message_one, strlen(message_one));
        pop3t_deliver(&h, "student", message_two, strlen(message_two));
        pop3t_login(&p, h.port, "student", "student");
        run_row(&p, &transaction_rows[_i], "NOOP", 1);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* STYLE.md classic bug: an over-long line truncated into a different
 * command. The tail "QUIT" must never be dispatched. */
START_TEST(test_overlong_line_not_dispatched)
{
        struct harness h;
        struct pop3t p;
        static char line[20000];

        pop3t_start(&h, NULL);
        pop3t_login(&p, h.port, "student", "student");
        /* Past the 255 of RFC 2449 §4, and past the SASL buffer. */
        const size_t lengths[] = { 254, 300, 12280, sizeof(line) - 10 };

        for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
                memset(line, 'x', lengths[i]);
                memcpy(line, "NOOP ", 5);
                memcpy(line + lengths[i] - 4, "QUIT", 4);
                memcpy(line + lengths[i], "\r\n", 2);
                pop3t_send(&p, line, lengths[i] + 2);
                ck_assert_int_eq(pop3t_status(&p), 0);
                if (lengths[i] + 2 > 255)
                        ck_assert_str_eq(p.status, "-ERR Line too long");
                ck_assert_int_eq(pop3t_command(&p, "NOOP"), 1);
        }
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* RFC 2449 §4: 255 octets with CRLF are accepted, one more is not. */
START_TEST(test_line_limit_is_255_with_crlf)
{
        struct harness h;
        struct pop3t p;
        char line[300];

        pop3t_start(&h, NULL);
        pop3t_connect(&p, h.port);
        /* "PASS " + 248 octets + CRLF = 255: PASS arguments may be long. */
        ck_assert_int_eq(pop3t_command(&p, "USER student"), 1);
        memset(line, 'p', sizeof(line));
        memcpy(line, "PASS ", 5);
        memcpy(line + 253, "\r\n", 2);
        pop3t_send(&p, line, 255);
        ck_assert_int_eq(pop3t_status(&p), 0);
        ck_assert_str_eq(p.status, "-ERR [AUTH] Authentication failed");
        ck_assert_int_eq(pop3t_command(&p, "USER student"), 1);
        memcpy(line + 253, "p\r\n", 3);
        pop3t_send(&p, line, 256);
        ck_assert_int_eq(pop3t_status(&p), 0);
        ck_assert_str_eq(p.status, "-ERR Line too long");
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* RFC 5034 §4: an AUTH line may be longer than 255 octets. */
START_TEST(test_auth_initial_response_may_exceed_255)
{
        struct harness h;
        struct pop3t p;
        static char response[1200];

        pop3t_start(&h, NULL);
        pop3t_connect(&p, h.port);
        memset(response, 'A', 1000);
        response[1000] = '\0';
        ck_assert_int_eq(pop3t_command(&p, "AUTH PLAIN %s", response), 0);
        ck_assert_str_eq(p.status, "-ERR Malformed authentication response");
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* STYLE.md classic bug: a NUL inside a command; and a bare CR. */
static const struct {
        const char *bytes;
        size_t len;
} hostile_lines[] = {
        { "LIST 1\0QUIT\r\n", 13 },
        { "\0\r\n", 3 },
        { "NOOP\rQUIT\r\n", 11 },
        { "QUIT\r \r\n", 8 },
};

START_TEST(test_nul_in_command_rejected)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, NULL);
        pop3t_login(&p, h.port, "student", "student");
        pop3t_send(&p, hostile_lines[_i].bytes, hostile_lines[_i].len);
        ck_assert_int_eq(pop3t_status(&p), 0);
        ck_assert_str_eq(p.status, "-ERR Invalid character in command");
        ck_assert_int_eq(pop3t_command(&p, "NOOP"), 1);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* THUNDERBIRD.md §1: every line the server sends ends in CRLF, with no bare
 * LF or CR anywhere; read raw bytes of a whole session. */
START_TEST(test_crlf_on_every_reply_line)
{
        struct harness h;
        struct pop3t p;
        static const char script[] =
                "CAPA\r\nUSER student\r\nPASS student\r\nSTAT\r\nLIST\r\nUIDL\r\n"
                "RETR 1\r\nTOP 1 1\r\nLIST 9\r\nDELE 1\r\nRSET\r\nNOOP\r\nQUIT\r\n";
        static char raw[65536];
        size_t len = 0;

        pop3t_start(&h, NULL);
        pop3t_deliver(&h, "student", "a\nb\n\nc\nno newline at end", 24);
        ck_assert_int_eq(pop3t_try_connect(&p, h.port), 0);
        pop3t_send(&p, script, sizeof(script) - 1);
        /* Read until the server closes after QUIT. */
        while (len < sizeof(raw)) {
                char line[4096];
                long n = pop3t_read_line(&p, line, sizeof(line));

                if (n < 0)
                        break;
                memcpy(raw + len, line, (size_t)n);
                len += (size_t)n;
                raw[len++] = '\n';
                if (strncmp(line, "+OK Bye", 7) == 0)
                        break;
        }
        /* pop3t_read_line() failed the test on any line without CRLF; check
         * that the whole session was read (the last line is the QUIT reply). */
        ck_assert_ptr_nonnull(strstr(raw, "+OK Bye, 0 messages deleted\n"));
        ck_assert_ptr_nonnull(strstr(raw, "\nno newline at end\n.\n"));
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* THUNDERBIRD.md §6: LIST and UIDL lines split on single spaces. */
START_TEST(test_list_and_uidl_lines_have_one_space)
{
        struct harness h;
        struct pop3t p;
        regex_t list_re;
        regex_t uidl_re;
        size_t count;

        ck_assert_int_eq(regcomp(&list_re, "^[1-9][0-9]* [0-9]+$", REG_EXTENDED | REG_NOSUB), 0);
        ck_assert_int_eq(regcomp(&uidl_re, "^[1-9][0-9]* [!-~]{1,70}$",
                                 REG_EXTENDED | REG_NOSUB), 0);
        pop3t_start(&h, NULL);
        for (int i = 0; i < 5; i++)
                pop3t_deliver(&h, "student", message_one, strlen(message_one));
        pop3t_login(&p, h.port, "student", "student");
        ck_assert_int_eq(pop3t_command(&p, "LIST"), 1);
        char *list = pop3t_multiline(&p, false, NULL, &count);

        ck_assert_uint_eq(count, 5);
        for (char *line = strtok(list, "\r\n"); line != NULL; line = strtok(NULL, "\r\n"))
                ck_assert_msg(regexec(&list_re, line, 0, NULL, 0) == 0, "LIST line %s", line);
        free(list);
        ck_assert_int_eq(pop3t_command(&p, "UIDL"), 1);
        char *uidl = pop3t_multiline(&p, false, NULL, &count);

        ck_assert_uint_eq(count, 5);
        for (char *line = strtok(uidl, "\r\n"); line != NULL; line = strtok(NULL, "\r\n"))
                ck_assert_msg(regexec(&uidl_re, line, 0, NULL, 0) == 0, "UIDL line %s", line);
        free(uidl);
        ck_assert_int_eq(pop3t_command(&p, "UIDL 3"), 1);
        ck_assert_msg(regexec(&uidl_re, p.status + 4, 0, NULL, 0) == 0, "%s", p.status);
        ck_assert_int_eq(pop3t_command(&p, "LIST 3"), 1);
        ck_assert_msg(regexec(&list_re, p.status + 4, 0, NULL, 0) == 0, "%s", p.status);
        ck_assert_int_eq(pop3t_command(&p, "STAT"), 1);
        ck_assert_msg(regexec(&list_re, p.status + 4, 0, NULL, 0) == 0, "%s", p.status);
        regfree(&list_re);
        regfree(&uidl_re);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* RFC 2449 §6.6: a batch of commands in one write gets its replies in
 * order, nothing lost or merged. */
START_TEST(test_pipelined_commands_answered_in_order)
{
        struct harness h;
        struct pop3t p;
        static const char batch[] = "USER student\r\nPASS student\r\nSTAT\r\nLIST\r\nNOOP\r\n"
                                    "UIDL 1\r\nRSET\r\nQUIT\r\n";

        pop3t_start(&h, NULL);
        pop3t_deliver(&h, "student", message_one, strlen(message_one));
        ck_assert_int_eq(pop3t_try_connect(&p, h.port), 0);
        ck_assert_int_eq(pop3t_status(&p), 1);
        pop3t_send(&p, batch, sizeof(batch) - 1);
        ck_assert_int_eq(pop3t_status(&p), 1);
        ck_assert_int_eq(pop3t_status(&p), 1);
        ck_assert_int_eq(pop3t_status(&p), 1);
        ck_assert_str_eq(p.status, "+OK 1 26");
        ck_assert_int_eq(pop3t_status(&p), 1);
        free(pop3t_multiline(&p, false, NULL, NULL));
        ck_assert_int_eq(pop3t_status(&p), 1);
        ck_assert_str_eq(p.status, "+OK");
        ck_assert_int_eq(pop3t_status(&p), 1);
        ck_assert_int_eq(pop3t_status(&p), 1);
        ck_assert_int_eq(pop3t_status(&p), 1);
        ck_assert_str_eq(p.status, "+OK Bye, 0 messages deleted");
        ck_assert(pop3t_closed(&p));
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

static char *capa_of(struct harness *h, const char *extra, char *greeting, size_t size)
{
        struct pop3t p;

        pop3t_start(h, extra);
        pop3t_connect(&p, h->port);
        snprintf(greeting, size, "%s", p.status);
        ck_assert_int_eq(pop3t_command(&p, "CAPA"), 1);
        char *list = pop3t_multiline(&p, true, NULL, NULL);

        pop3t_close(&p);
        return list;
}

/* RFC 2449 §5 with the default configuration: exactly this list. */
START_TEST(test_capa_default)
{
        struct harness h;
        char greeting[1024];
        char *list = capa_of(&h, NULL, greeting, sizeof(greeting));

        ck_assert_str_eq(list, "TOP\r\nUIDL\r\nUSER\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
                               "PIPELINING\r\nSASL PLAIN LOGIN CRAM-MD5\r\n"
                               "IMPLEMENTATION pop3d " VERSION "\r\n");
        free(list);
        harness_cleanup(&h);
}
END_TEST

/* plaintext_auth = no: no USER, no PLAIN or LOGIN; the commands refuse. */
START_TEST(test_capa_without_plaintext)
{
        struct harness h;
        struct pop3t p;
        char greeting[1024];
        char *list = capa_of(&h, "plaintext_auth = no\n", greeting, sizeof(greeting));

        ck_assert_ptr_null(strstr(list, "USER"));
        ck_assert_ptr_nonnull(strstr(list, "\r\nSASL CRAM-MD5\r\n"));
        free(list);
        pop3t_connect(&p, h.port);
        ck_assert_int_eq(pop3t_command(&p, "USER student"), 0);
        ck_assert_str_eq(p.status, "-ERR [AUTH] Plaintext authentication is disabled");
        ck_assert_int_eq(pop3t_command(&p, "PASS student"), 0);
        ck_assert_int_eq(pop3t_command(&p, "AUTH PLAIN"), 0);
        ck_assert_int_eq(pop3t_command(&p, "AUTH LOGIN"), 0);
        ck_assert_int_eq(pop3t_command(&p, "AUTH CRAM-MD5"), 2);
        ck_assert_int_eq(pop3t_command(&p, "*"), 0);
        ck_assert_str_eq(p.status, "-ERR Authentication cancelled");
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* The labs' switches: only what pop3_capabilities lists. */
START_TEST(test_capa_switches)
{
        struct harness h;
        char greeting[1024];
        char *list = capa_of(&h, "pop3_capabilities = UIDL TOP\n", greeting, sizeof(greeting));

        ck_assert_str_eq(list, "TOP\r\nUIDL\r\n");
        free(list);
        harness_cleanup(&h);
}
END_TEST

/* A withdrawn CAPA line withdraws its command too, so that a lab can watch
 * Thunderbird do without UIDL or TOP (THUNDERBIRD.md §6, §7). */
START_TEST(test_capa_withdrawn_commands)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, "pop3_capabilities = USER IMPLEMENTATION\n");
        pop3t_deliver(&h, "student", "Subject: x\n\nbody\n", 18);
        pop3t_connect(&p, h.port);
        ck_assert_int_eq(pop3t_command(&p, "AUTH PLAIN"), 0);
        ck_assert_str_eq(p.status, "-ERR AUTH is switched off on this server (pop3_capabilities)");
        ck_assert_int_eq(pop3t_command(&p, "USER student"), 1);
        ck_assert_int_eq(pop3t_command(&p, "PASS student"), 1);
        ck_assert_int_eq(pop3t_command(&p, "TOP 1 0"), 0);
        ck_assert_str_eq(p.status, "-ERR TOP is switched off on this server (pop3_capabilities)");
        ck_assert_int_eq(pop3t_command(&p, "UIDL"), 0);
        ck_assert_int_eq(pop3t_command(&p, "UIDL 1"), 0);
        ck_assert_int_eq(pop3t_command(&p, "LIST 1"), 1);
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        pop3t_close(&p);
        harness_cleanup(&h);

        pop3t_start(&h, "pop3_capabilities = SASL\n");
        pop3t_connect(&p, h.port);
        ck_assert_int_eq(pop3t_command(&p, "USER student"), 0);
        ck_assert_int_eq(pop3t_command(&p, "PASS student"), 0);
        ck_assert_int_eq(pop3t_command(&p, "AUTH PLAIN AHN0dWRlbnQAc3R1ZGVudA=="), 1);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* CAPA is valid in TRANSACTION as well (RFC 2449 §5). */
START_TEST(test_capa_in_transaction)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, NULL);
        pop3t_login(&p, h.port, "student", "student");
        ck_assert_int_eq(pop3t_command(&p, "CAPA"), 1);
        char *list = pop3t_multiline(&p, true, NULL, NULL);

        ck_assert_ptr_nonnull(strstr(list, "UIDL\r\n"));
        ck_assert_ptr_nonnull(strstr(list, "TOP\r\n"));
        free(list);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* RFC 5034 §4: "*" cancels an exchange and the session goes on. */
START_TEST(test_auth_cancel_then_user_pass)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, NULL);
        pop3t_connect(&p, h.port);
        ck_assert_int_eq(pop3t_command(&p, "AUTH PLAIN"), 2);
        ck_assert_int_eq(pop3t_command(&p, "*"), 0);
        ck_assert_int_eq(pop3t_command(&p, "AUTH LOGIN"), 2);
        ck_assert_int_eq(pop3t_command(&p, "not base64!"), 0);
        ck_assert_str_eq(p.status, "-ERR Invalid base64 in response");
        ck_assert_int_eq(pop3t_command(&p, "USER student"), 1);
        ck_assert_int_eq(pop3t_command(&p, "PASS student"), 1);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* RFC 5034 §4: an initial response on the AUTH line saves a round trip. */
START_TEST(test_auth_plain_initial_response)
{
        struct harness h;
        struct pop3t p;
        char response[256];

        pop3t_start(&h, NULL);
        pop3t_connect(&p, h.port);
        pop3t_plain_response("student", "student", response, sizeof(response));
        ck_assert_int_eq(pop3t_command(&p, "AUTH PLAIN %s", response), 1);
        ck_assert_str_eq(p.status, "+OK Logged in, 0 messages");
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

Suite *pop3_commands_suite(void)
{
        Suite *suite = suite_create("pop3_commands");
        TCase *states = tcase_create("states");

        tcase_set_timeout(states, 120);
        tcase_add_loop_test(states, test_authorization_state_table, 0, ROWS(authorization_rows));
        tcase_add_loop_test(states, test_transaction_state_table, 0, ROWS(transaction_rows));
        suite_add_tcase(suite, states);

        TCase *lines = tcase_create("lines");

        tcase_set_timeout(lines, 120);
        tcase_add_test(lines, test_overlong_line_not_dispatched);
        tcase_add_test(lines, test_line_limit_is_255_with_crlf);
        tcase_add_test(lines, test_auth_initial_response_may_exceed_255);
        tcase_add_loop_test(lines, test_nul_in_command_rejected, 0,
                            sizeof(hostile_lines) / sizeof(hostile_lines[0]));
        tcase_add_test(lines, test_crlf_on_every_reply_line);
        tcase_add_test(lines, test_list_and_uidl_lines_have_one_space);
        tcase_add_test(lines, test_pipelined_commands_answered_in_order);
        suite_add_tcase(suite, lines);

        TCase *capa = tcase_create("capa_and_auth");

        tcase_set_timeout(capa, 120);
        tcase_add_test(capa, test_capa_default);
        tcase_add_test(capa, test_capa_without_plaintext);
        tcase_add_test(capa, test_capa_switches);
        tcase_add_test(capa, test_capa_withdrawn_commands);
        tcase_add_test(capa, test_capa_in_transaction);
        tcase_add_test(capa, test_auth_cancel_then_user_pass);
        tcase_add_test(capa, test_auth_plain_initial_response);
        suite_add_tcase(suite, capa);
        return suite;
}
