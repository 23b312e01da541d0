/* SPDX-License-Identifier: MIT
 *
 * check_smtp_commands.c - every SMTP command in every state, against the
 * real daemon: the command table's 503/500/501 answers, EHLO keywords,
 * enhanced status codes only after EHLO, HELO/EHLO arguments, MAIL and RCPT
 * parameters and recipients, HELP, VRFY and EXPN policies.
 *
 * Standards:  RFC 5321 §4.1.4, RFC 5321 §4.1.1.1, RFC 5321 §4.1.1.2, RFC 5321 §4.1.1.3,
 *             RFC 5321 §4.1.1.11, RFC 5321 §3.5.2, RFC 5321 §3.5.3, RFC 5321 §4.5.1,
 *             RFC 2034 §3, RFC 1870 §6, RFC 6152 §3, RFC 4954 §5
 */
#include "tests/integration/check_smtp.h"

/* ---- the state x command table (RFC 5321 §4.1.4) ---- */

enum test_state { AT_CONNECTED, AT_GREETED, AT_MAIL, AT_RCPT };

struct state_case {
        enum test_state state;
        const char *command;
        int expected;
        int then_mail;     /* if non-zero: a MAIL afterwards gets this code */
};

#define ROWS_FOR(st, mail_code, rcpt_code, data_code, auth_code, after_greet_mail) \
        { st, "HELO client.example.test", 250, after_greet_mail },                  \
        { st, "EHLO client.example.test", 250, after_greet_mail },                  \
        { st, "MAIL FROM:<alice@localhost>", mail_code, 0 },                        \
        { st, "RCPT TO:<student@localhost>", rcpt_code, 0 },                        \
        { st, "DATA", data_code, 0 },                                               \
        { st, "RSET", 250, 0 },                                                     \
        { st, "VRFY student", 252, 0 },                                             \
        { st, "EXPN team", 502, 0 },                                                \
        { st, "HELP", 214, 0 },                                                     \
        { st, "NOOP", 250, 0 },                                                     \
        { st, "QUIT", 221, 0 },                                                     \
        { st, "AUTH PLAIN AHN0dWRlbnQAc3R1ZGVudA==", auth_code, 0 },                \
        { st, "FROB", 500, 0 }

static const struct state_case state_cases[] = {
        ROWS_FOR(AT_CONNECTED, 503, 503, 503, 503, 250),
        ROWS_FOR(AT_GREETED, 250, 503, 503, 235, 250),
        ROWS_FOR(AT_MAIL, 503, 250, 503, 503, 250),
        ROWS_FOR(AT_RCPT, 503, 250, 354, 503, 250),
};

START_TEST(test_command_in_every_state)
{
        const struct state_case *row = &state_cases[_i];
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_connect(&h);
        if (row->state >= AT_GREETED)
                ck_assert_int_eq(client_smtp_command(c, "EHLO client.example.test"), 250);
        if (row->state >= AT_MAIL)
                ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<bob@localhost>"), 250);
        if (row->state >= AT_RCPT)
                ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<alice@localhost>"), 250);

        int code = client_smtp_command(c, "%s", row->command);
        ck_assert_msg(code == row->expected, "state %d, \"%s\": got %d, want %d (%s)",
                      row->state, row->command, code, row->expected, c->last);
        if (code == 503 && row->state != AT_CONNECTED)
                ck_assert_msg(smtp_test_last_has(c, " 5.5.1 "), "%s", c->last);
        if (code == 221)
                ck_assert(client_wait_closed(c));
        /* HELO/EHLO reset the transaction (RFC 5321 §4.1.4): MAIL works again. */
        if (row->then_mail != 0)
                ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<bob@localhost>"),
                                 row->then_mail);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* The four out-of-sequence cases the issue names, with their texts. */
START_TEST(test_bad_sequence_503)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_connect(&h);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<a@localhost>"), 503);
        ck_assert_int_eq(client_smtp_command(c, "EHLO client.example.test"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<student@localhost>"), 503);
        ck_assert(smtp_test_last_has(c, "503 5.5.1 "));
        ck_assert_int_eq(client_smtp_command(c, "DATA"), 503);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<a@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<a@localhost>"), 503);
        ck_assert_int_eq(client_smtp_command(c, "DATA"), 503);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<student@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<a@localhost>"), 503);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

START_TEST(test_ehlo_keywords)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_connect(&h);
        ck_assert_int_eq(client_smtp_command(c, "EHLO [127.0.0.1]"), 250);
        static const char *const keywords[] = {
                "250-localhost ", "\r\n250-SIZE 10485760\r\n", "\r\n250-8BITMIME\r\n",
                "\r\n250-PIPELINING\r\n", "\r\n250-ENHANCEDSTATUSCODES\r\n", "\r\n250-HELP\r\n",
                "\r\n250 AUTH PLAIN LOGIN CRAM-MD5\r\n",
        };
        for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
                ck_assert_msg(smtp_test_last_has(c, keywords[i]), "missing %s in %s",
                              keywords[i], c->last);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* Labs switch keywords off; a switched-off SIZE is then an unknown
 * parameter (RFC 5321 §4.1.1.11: 555). */
START_TEST(test_ehlo_keywords_configurable)
{
        struct harness h;

        smtp_test_start(&h, "smtp_extensions = PIPELINING HELP\n", 0);
        struct client *c = smtp_test_connect(&h);
        ck_assert_int_eq(client_smtp_command(c, "EHLO [127.0.0.1]"), 250);
        ck_assert(!smtp_test_last_has(c, "SIZE"));
        ck_assert(!smtp_test_last_has(c, "AUTH"));
        ck_assert(smtp_test_last_has(c, "250-PIPELINING\r\n250 HELP\r\n"));
        /* Without ENHANCEDSTATUSCODES no reply carries an enhanced code. */
        ck_assert_int_eq(client_smtp_command(c, "NOOP"), 250);
        ck_assert_str_eq(c->last, "250 OK\r\n");
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<a@localhost> SIZE=10"), 555);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* RFC 2034 §3: enhanced codes only after EHLO, never on the greeting or
 * the EHLO/HELO answer itself. */
START_TEST(test_enhanced_codes_only_after_ehlo)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_connect(&h);
        ck_assert_str_eq(c->last, "220 localhost ESMTP ready\r\n");
        ck_assert_int_eq(client_smtp_command(c, "NOOP"), 250);
        ck_assert_str_eq(c->last, "250 OK\r\n");
        ck_assert_int_eq(client_smtp_command(c, "HELO client.example.test"), 250);
        ck_assert_int_eq(client_smtp_command(c, "NOOP"), 250);
        ck_assert_str_eq(c->last, "250 OK\r\n");
        ck_assert_int_eq(client_smtp_command(c, "EHLO client.example.test"), 250);
        ck_assert(!smtp_test_last_has(c, "2.0.0"));
        ck_assert_int_eq(client_smtp_command(c, "NOOP"), 250);
        ck_assert_str_eq(c->last, "250 2.0.0 OK\r\n");
        ck_assert_int_eq(client_smtp_command(c, "FROB"), 500);
        ck_assert(smtp_test_last_has(c, "500 5.5.2 "));
        /* A HELO after EHLO switches the extensions off again. */
        ck_assert_int_eq(client_smtp_command(c, "HELO client.example.test"), 250);
        ck_assert_int_eq(client_smtp_command(c, "NOOP"), 250);
        ck_assert_str_eq(c->last, "250 OK\r\n");
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* ---- HELO/EHLO arguments (RFC 5321 §4.1.1.1, §4.1.3) ---- */

static const struct {
        const char *argument;
        int expected;
} greet_cases[] = {
        { "[127.0.0.1]", 250 },           /* Thunderbird over IPv4 */
        { "[IPV6:::1]", 250 },            /* Thunderbird over IPv6 */
        { "[IPv6:::1]", 250 },
        { "client.example.test", 250 },
        { "localhost", 250 },
        { "bad_name!", 501 },
        { "two words", 501 },
        { "[999.1.1.1]", 501 },
        { "evil.example.test (X-Injected: yes)", 501 },
        { "<script>", 501 },
};

START_TEST(test_ehlo_arguments)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_connect(&h);
        int code = client_smtp_command(c, "EHLO %s", greet_cases[_i].argument);
        ck_assert_msg(code == greet_cases[_i].expected, "EHLO %s: %d",
                      greet_cases[_i].argument, code);
        code = client_smtp_command(c, "HELO %s", greet_cases[_i].argument);
        ck_assert_msg(code == greet_cases[_i].expected, "HELO %s: %d",
                      greet_cases[_i].argument, code);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* SECURITY: header injection. A HELO name with anything but a domain is
 * refused, so the Received: line only ever holds the validated name. */
START_TEST(test_header_injection_in_helo)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_connect(&h);
        static const char evil[] = "EHLO evil.example.test\rX-Injected: yes\r\n";
        ck_assert_int_eq(client_send(c, evil, sizeof evil - 1), 0);
        ck_assert_int_eq(client_smtp_reply(c), 500);
        ck_assert_int_eq(client_smtp_command(c, "EHLO evil.example.test X-Injected: yes"), 501);
        ck_assert_int_eq(client_smtp_command(c, "EHLO good.example.test"), 250);
        ck_assert_int_eq(smtp_test_send(c, "a@localhost", "student@localhost",
                                        "Subject: hi\r\n\r\nbody\r\n.\r\n"), 250);
        ck_assert_int_eq(smtp_test_wait_files(&h, "student", "new", 1), 1);
        size_t len;
        char *message = harness_read_message(&h, "student", "new", &len);
        ck_assert_ptr_nonnull(message);
        ck_assert_ptr_null(strstr(message, "X-Injected"));
        ck_assert_ptr_nonnull(strstr(message, "Received: from good.example.test ([127.0.0.1])"));
        free(message);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* RFC 5321 §4.4: Return-Path: carries the reverse-path as received; a quoted
 * local part keeps its spaces and backslash pairs (balanced quotes). */
START_TEST(test_return_path_keeps_quoted_local_part)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(smtp_test_send(c, "\"x\\\"y z\"@example.org", "student@localhost",
                                        "Subject: q\r\n\r\nbody\r\n.\r\n"), 250);
        ck_assert_int_eq(smtp_test_wait_files(&h, "student", "new", 1), 1);
        size_t len;
        char *message = harness_read_message(&h, "student", "new", &len);
        ck_assert_ptr_nonnull(message);
        static const char expected[] = "Return-Path: <\"x\\\"y z\"@example.org>\n";
        ck_assert_msg(strncmp(message, expected, sizeof expected - 1) == 0,
                      "stored: %.60s", message);
        free(message);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* Thunderbird: a 5xx to EHLO makes it fall back to HELO and a plain MAIL. */
START_TEST(test_helo_fallback)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_connect(&h);
        ck_assert_int_eq(client_smtp_command(c, "EHLO"), 501);
        ck_assert_int_eq(client_smtp_command(c, "HELO [127.0.0.1]"), 250);
        ck_assert(!smtp_test_last_has(c, "SIZE"));
        ck_assert_int_eq(smtp_test_send(c, "alice@localhost", "student@localhost",
                                        "Subject: helo\r\n\r\nvia HELO\r\n.\r\n"), 250);
        ck_assert_int_eq(smtp_test_wait_files(&h, "student", "new", 1), 1);
        size_t len;
        char *message = harness_read_message(&h, "student", "new", &len);
        ck_assert_ptr_nonnull(message);
        ck_assert_ptr_nonnull(strstr(message, "with SMTP id"));
        free(message);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* ---- the dispatcher's own checks (STYLE.md §4.5) ---- */

static const struct {
        const char *line;       /* sent as is, without CRLF */
        size_t len;
        int expected;
        const char *enhanced;
} dispatch_cases[] = {
        { "FROB", 4, 500, "5.5.2" },
        { "NOOP\0hidden", 11, 500, "5.5.2" },
        { "NOOP a\rb", 8, 500, "5.5.2" },
        { "RSET now", 8, 501, "5.5.4" },
        { "QUIT now", 8, 501, "5.5.4" },
        { "DATA x", 6, 503, "5.5.1" },
        { "MAIL", 4, 501, "5.5.4" },
        { "VRFY", 4, 501, "5.5.4" },
        { "NOOP with an argument", 21, 250, "2.0.0" },
        { "noop", 4, 250, "2.0.0" },
        { "NoOp   ", 7, 250, "2.0.0" },
        { "MAIL FROM:<bad", 14, 501, "5.1.7" },
        { "MAIL FROM:<a@localhost> FOO=bar", 31, 555, "5.5.4" },
        { "", 0, 500, "5.5.2" },
};

START_TEST(test_dispatcher_checks)
{
        struct harness h;
        char line[128];

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        memcpy(line, dispatch_cases[_i].line, dispatch_cases[_i].len);
        memcpy(line + dispatch_cases[_i].len, "\r\n", 2);
        ck_assert_int_eq(client_send(c, line, dispatch_cases[_i].len + 2), 0);
        int code = client_smtp_reply(c);
        ck_assert_msg(code == dispatch_cases[_i].expected, "case %d: %d %s", _i, code, c->last);
        ck_assert_msg(smtp_test_last_has(c, dispatch_cases[_i].enhanced), "%s", c->last);
        /* The session is still in step: garbage, then NOOP (Redis's idea). */
        ck_assert_int_eq(client_smtp_command(c, "NOOP"), 250);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

START_TEST(test_nul_in_command_rejected)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        /* Cut at the NUL, this would be a valid QUIT: it must not be. */
        static const char line[] = "QUIT\0 and more\r\n";
        ck_assert_int_eq(client_send(c, line, sizeof line - 1), 0);
        ck_assert_int_eq(client_smtp_reply(c), 500);
        ck_assert(smtp_test_last_has(c, "500 5.5.2 "));
        ck_assert_int_eq(client_smtp_command(c, "NOOP"), 250);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* Client bytes reach the log only escaped: a CR cannot start a forged
 * line and an escape sequence cannot reach a terminal. */
START_TEST(test_log_injection_escaped)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        static const char line[] = "NOOP x\rFORGED-LINE \x1b[31m\r\n";
        ck_assert_int_eq(client_send(c, line, sizeof line - 1), 0);
        ck_assert_int_eq(client_smtp_reply(c), 500);
        ck_assert_int_eq(client_smtp_command(c, "QUIT"), 221);
        ck_assert(client_wait_closed(c));
        ck_assert(harness_log_contains(&h, "FORGED-LINE"));
        ck_assert(!harness_log_contains(&h, "\rFORGED-LINE"));
        ck_assert(!harness_log_contains(&h, "\x1b[31m"));
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* ---- MAIL parameters (RFC 1870 §6, RFC 6152 §3, RFC 4954 §5) ---- */

static const struct {
        const char *command;
        int expected;
        const char *enhanced;
} mail_cases[] = {
        { "MAIL FROM:<a@localhost>", 250, "2.1.0" },
        { "MAIL FROM:<>", 250, "2.1.0" },
        { "mail from:<a@localhost>", 250, "2.1.0" },
        { "MAIL FROM:<\"quoted local\"@localhost>", 250, "2.1.0" },
        { "MAIL FROM:<@relay.example:a@localhost>", 250, "2.1.0" },
        { "MAIL FROM:<a@localhost> SIZE=100", 250, "2.1.0" },
        { "MAIL FROM:<a@localhost> SIZE=10485760", 250, "2.1.0" },
        { "MAIL FROM:<a@localhost> SIZE=10485761", 552, "5.3.4" },
        { "MAIL FROM:<a@localhost> SIZE=99999999999999999999999", 501, "5.5.4" },
        { "MAIL FROM:<a@localhost> SIZE=12x", 501, "5.5.4" },
        { "MAIL FROM:<a@localhost> BODY=8BITMIME", 250, "2.1.0" },
        { "MAIL FROM:<a@localhost> BODY=7BIT SIZE=5", 250, "2.1.0" },
        { "MAIL FROM:<a@localhost> BODY=BINARYMIME", 501, "5.5.4" },
        { "MAIL FROM:<a@localhost> AUTH=<>", 250, "2.1.0" },
        { "MAIL FROM:<a@localhost> AUTH=alice+40localhost", 250, "2.1.0" },
        { "MAIL FROM:<a@localhost> SMTPUTF8", 555, "5.5.4" },
        { "MAIL FROM:a@localhost", 501, "5.1.7" },
        { "MAIL TO:<a@localhost>", 501, "5.1.7" },
};

START_TEST(test_mail_parameters)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        int code = client_smtp_command(c, "%s", mail_cases[_i].command);
        ck_assert_msg(code == mail_cases[_i].expected, "%s: %s", mail_cases[_i].command, c->last);
        ck_assert_msg(smtp_test_last_has(c, mail_cases[_i].enhanced), "%s", c->last);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* ---- RCPT (RFC 5321 §4.1.1.3, §4.5.1) ---- */

static const struct {
        const char *path;
        int expected;
        const char *enhanced;
} rcpt_cases[] = {
        { "<student@localhost>", 250, "2.1.5" },
        { "<student@LOCALHOST>", 250, "2.1.5" },
        { "<alice@example.test>", 250, "2.1.5" },
        { "<Postmaster>", 250, "2.1.5" },
        { "<postmaster@localhost>", 250, "2.1.5" },
        { "<team@localhost>", 250, "2.1.5" },
        { "<student@[127.0.0.1]>", 250, "2.1.5" },
        { "<nobody@localhost>", 550, "5.1.1" },
        { "<student@example.org>", 550, "5.7.1" },
        { "<student@[10.0.0.1]>", 550, "5.7.1" },
        { "<@relay.example:student@localhost>", 250, "2.1.5" },
        { "<>", 501, "5.1.3" },
        { "<student@localhost> NOTIFY=NEVER", 555, "5.5.4" },
};

START_TEST(test_rcpt_recipients)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<a@example.org>"), 250);
        int code = client_smtp_command(c, "RCPT TO:%s", rcpt_cases[_i].path);
        ck_assert_msg(code == rcpt_cases[_i].expected, "%s: %s", rcpt_cases[_i].path, c->last);
        ck_assert_msg(smtp_test_last_has(c, rcpt_cases[_i].enhanced), "%s", c->last);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* Relaying is refused for authenticated clients too, for now. */
START_TEST(test_no_relay_when_authenticated)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "AUTH PLAIN AHN0dWRlbnQAc3R1ZGVudA=="), 235);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<student@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<someone@example.org>"), 550);
        ck_assert(smtp_test_last_has(c, "550 5.7.1 "));
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

START_TEST(test_rset_clears_transaction)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<a@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<student@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "RSET"), 250);
        ck_assert_str_eq(c->last, "250 2.0.0 OK\r\n");
        ck_assert_int_eq(client_smtp_command(c, "DATA"), 503);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<student@localhost>"), 503);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<a@localhost>"), 250);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

START_TEST(test_help)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "HELP"), 214);
        ck_assert(smtp_test_last_has(c, "214-2.0.0 Commands: HELO EHLO MAIL RCPT DATA"));
        ck_assert(smtp_test_last_has(c, "\r\n214 2.0.0 "));
        ck_assert_int_eq(client_smtp_command(c, "HELP rcpt"), 214);
        ck_assert(smtp_test_last_has(c, "RCPT is defined in RFC 5321 section 4.1.1.3"));
        ck_assert_int_eq(client_smtp_command(c, "HELP FROB"), 504);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* SECURITY: user enumeration. By default VRFY says 252 for everyone and
 * EXPN is off (RFC 5321 §3.5.3, §7.3). */
START_TEST(test_vrfy_expn_default)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "VRFY student"), 252);
        ck_assert(smtp_test_last_has(c, "252 2.5.2 "));
        char known[sizeof c->last];
        snprintf(known, sizeof known, "%s", c->last);
        ck_assert_int_eq(client_smtp_command(c, "VRFY nosuchuser"), 252);
        ck_assert_str_eq(c->last, known);
        ck_assert_int_eq(client_smtp_command(c, "EXPN team"), 502);
        ck_assert(smtp_test_last_has(c, "502 5.5.1 "));
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

START_TEST(test_vrfy_expn_enabled)
{
        struct harness h;

        smtp_test_start(&h, "vrfy = yes\nexpn = yes\n", 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "VRFY student"), 250);
        ck_assert_str_eq(c->last, "250 2.1.5 <student@localhost>\r\n");
        ck_assert_int_eq(client_smtp_command(c, "VRFY <alice@example.test>"), 250);
        ck_assert_str_eq(c->last, "250 2.1.5 <alice@example.test>\r\n");
        ck_assert_int_eq(client_smtp_command(c, "VRFY nosuchuser"), 550);
        ck_assert(smtp_test_last_has(c, "550 5.1.1 "));
        ck_assert_int_eq(client_smtp_command(c, "VRFY student@example.org"), 550);
        /* RFC 5321 §3.5.2: one member per line. */
        ck_assert_int_eq(client_smtp_command(c, "EXPN team"), 250);
        ck_assert_str_eq(c->last, "250-2.1.5 <alice@localhost>\r\n250 2.1.5 <bob@localhost>\r\n");
        ck_assert_int_eq(client_smtp_command(c, "EXPN student"), 550);
        ck_assert_int_eq(client_smtp_command(c, "EXPN nosuchlist"), 550);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

START_TEST(test_quit_closes)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "QUIT"), 221);
        ck_assert(smtp_test_last_has(c, "221 2.0.0 "));
        ck_assert(client_wait_closed(c));
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

Suite *smtp_commands_suite(void)
{
        Suite *suite = suite_create("smtp_commands");
        TCase *tc = tcase_create("states");

        tcase_set_timeout(tc, SMTP_TEST_TIMEOUT);
        tcase_add_loop_test(tc, test_command_in_every_state, 0,
                            (int)(sizeof state_cases / sizeof state_cases[0]));
        tcase_add_test(tc, test_bad_sequence_503);
        suite_add_tcase(suite, tc);

        tc = tcase_create("greeting");
        tcase_set_timeout(tc, SMTP_TEST_TIMEOUT);
        tcase_add_test(tc, test_ehlo_keywords);
        tcase_add_test(tc, test_ehlo_keywords_configurable);
        tcase_add_test(tc, test_enhanced_codes_only_after_ehlo);
        tcase_add_loop_test(tc, test_ehlo_arguments, 0,
                            (int)(sizeof greet_cases / sizeof greet_cases[0]));
        tcase_add_test(tc, test_header_injection_in_helo);
        tcase_add_test(tc, test_helo_fallback);
        tcase_add_test(tc, test_return_path_keeps_quoted_local_part);
        suite_add_tcase(suite, tc);

        tc = tcase_create("dispatcher");
        tcase_set_timeout(tc, SMTP_TEST_TIMEOUT);
        tcase_add_loop_test(tc, test_dispatcher_checks, 0,
                            (int)(sizeof dispatch_cases / sizeof dispatch_cases[0]));
        tcase_add_test(tc, test_nul_in_command_rejected);
        tcase_add_test(tc, test_log_injection_escaped);
        suite_add_tcase(suite, tc);

        tc = tcase_create("envelope");
        tcase_set_timeout(tc, SMTP_TEST_TIMEOUT);
        tcase_add_loop_test(tc, test_mail_parameters, 0,
                            (int)(sizeof mail_cases / sizeof mail_cases[0]));
        tcase_add_loop_test(tc, test_rcpt_recipients, 0,
                            (int)(sizeof rcpt_cases / sizeof rcpt_cases[0]));
        tcase_add_test(tc, test_no_relay_when_authenticated);
        tcase_add_test(tc, test_rset_clears_transaction);
        suite_add_tcase(suite, tc);

        tc = tcase_create("misc");
        tcase_set_timeout(tc, SMTP_TEST_TIMEOUT);
        tcase_add_test(tc, test_help);
        tcase_add_test(tc, test_vrfy_expn_default);
        tcase_add_test(tc, test_vrfy_expn_enabled);
        tcase_add_test(tc, test_quit_closes);
        suite_add_tcase(suite, tc);
        return suite;
}
