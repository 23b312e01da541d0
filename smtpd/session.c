/* SPDX-License-Identifier: MIT
 *
 * session.c - the SMTP session: the command table, the dispatcher and the
 * loop that reads one command after another.
 *
 * The table below lists every command with the states in which it is
 * allowed, whether it takes an argument, whether it ends a pipelined group
 * and its handler. The dispatcher checks all of that before any handler
 * runs, so a handler only does its command's own work and cannot be reached
 * in the wrong state (STYLE.md §4.5). Each step of the dispatcher answers
 * with one reply: RFC 5321 §4.2 pairs every command with exactly one reply,
 * and that pairing is what keeps a pipelining client in step.
 *
 * Standards:  RFC 5321 §2.3.8, RFC 5321 §2.4, RFC 5321 §3.8, RFC 5321 §4.1.1.1,
 *             RFC 5321 §4.1.1.2, RFC 5321 §4.1.1.3, RFC 5321 §4.1.1.4, RFC 5321 §4.1.1.5,
 *             RFC 5321 §4.1.1.6, RFC 5321 §4.1.1.7, RFC 5321 §4.1.1.8, RFC 5321 §4.1.1.9,
 *             RFC 5321 §4.1.1.10, RFC 5321 §4.1.4, RFC 5321 §4.2, RFC 5321 §4.2.2,
 *             RFC 5321 §4.3.2, RFC 5321 §4.5.3.1.4, RFC 5321 §4.5.3.2.7,
 *             RFC 2920 §3.1, RFC 4954 §4, RFC 3463 §3.8, RFC 2034 §3
 * Threads:    each session runs in its own thread; all its state is in one
 *             heap-allocated struct smtp_session. Nothing here is shared.
 * Read next:  smtpd/commands.c (the handlers), smtpd/data.c (DATA), common/conn.c.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/log.h"
#include "common/text.h"
#include "smtpd/reply.h"
#include "smtpd/session.h"

/* RFC 5321 §4.1.4: HELO/EHLO, RSET, VRFY, EXPN, HELP, NOOP and QUIT may come
 * at any time; MAIL only outside a transaction, RCPT only after MAIL, DATA
 * only after a recipient was accepted. A command used out of order gets 503
 * from the table, before its handler ever runs.
 *
 * ends_group: RFC 2920 §3.1 "EHLO, DATA, VRFY, EXPN, TURN, QUIT, and NOOP"
 * can only be the last command of a pipelined group, because the client
 * waits for their answer; AUTH too (RFC 4954 §4), since it may continue with
 * a challenge. After such a command we flush even if more input waits. */
static const struct smtp_command smtp_commands[] = {
        { "HELO", SMTP_STATE_ANY, ARGS_REQUIRED, true, smtp_cmd_helo,
          "RFC 5321 §4.1.1.1", NULL },
        { "EHLO", SMTP_STATE_ANY, ARGS_REQUIRED, true, smtp_cmd_ehlo,
          "RFC 5321 §4.1.1.1", NULL },
        { "MAIL", SMTP_STATE_GREETED, ARGS_REQUIRED, false, smtp_cmd_mail,
          "RFC 5321 §4.1.1.2", "Sender already specified (nested MAIL)" },
        { "RCPT", SMTP_STATE_MAIL | SMTP_STATE_RCPT, ARGS_REQUIRED, false, smtp_cmd_rcpt,
          "RFC 5321 §4.1.1.3", "Need MAIL before RCPT" },
        { "DATA", SMTP_STATE_RCPT, ARGS_NONE, true, smtp_cmd_data,
          "RFC 5321 §4.1.1.4", "Need RCPT before DATA" },
        { "RSET", SMTP_STATE_ANY, ARGS_NONE, false, smtp_cmd_rset,
          "RFC 5321 §4.1.1.5", NULL },
        { "VRFY", SMTP_STATE_ANY, ARGS_REQUIRED, true, smtp_cmd_vrfy,
          "RFC 5321 §4.1.1.6", NULL },
        { "EXPN", SMTP_STATE_ANY, ARGS_REQUIRED, true, smtp_cmd_expn,
          "RFC 5321 §4.1.1.7", NULL },
        { "HELP", SMTP_STATE_ANY, ARGS_OPTIONAL, false, smtp_cmd_help,
          "RFC 5321 §4.1.1.8", NULL },
        /* RFC 5321 §4.1.1.9: NOOP may carry a string, which is ignored. */
        { "NOOP", SMTP_STATE_ANY, ARGS_OPTIONAL, true, smtp_cmd_noop,
          "RFC 5321 §4.1.1.9", NULL },
        { "QUIT", SMTP_STATE_ANY, ARGS_NONE, true, smtp_cmd_quit,
          "RFC 5321 §4.1.1.10", NULL },
        /* RFC 4954 §4: "The AUTH command is not permitted during a mail
         * transaction." Only after EHLO: the handler checks that flag. */
        { "AUTH", SMTP_STATE_GREETED, ARGS_REQUIRED, true, smtp_cmd_auth,
          "RFC 4954 §4", "AUTH is not permitted during a mail transaction" },
};

#define SMTP_COMMAND_COUNT (sizeof smtp_commands / sizeof smtp_commands[0])

const struct smtp_command *smtp_command_find(const char *verb, size_t len)
{
        for (size_t i = 0; i < SMTP_COMMAND_COUNT; i++) {
                /* RFC 5321 §2.4: verbs are case-insensitive. */
                if (text_verb_equals(verb, len, smtp_commands[i].verb))
                        return &smtp_commands[i];
        }
        return NULL;
}

size_t smtp_command_count(void)
{
        return SMTP_COMMAND_COUNT;
}

const struct smtp_command *smtp_command_at(size_t index)
{
        return index < SMTP_COMMAND_COUNT ? &smtp_commands[index] : NULL;
}

const char *smtp_state_name(unsigned state)
{
        switch (state) {
        case SMTP_STATE_CONNECTED: return "CONNECTED";
        case SMTP_STATE_GREETED:   return "GREETED";
        case SMTP_STATE_MAIL:      return "MAIL";
        case SMTP_STATE_RCPT:      return "RCPT";
        default:                   return "?";
        }
}

void smtp_set_state(struct smtp_session *s, unsigned state)
{
        if (s->state != state && log_trace_mode() != LOG_TRACE_OFF)
                log_info(s->id, "state %s -> %s", smtp_state_name(s->state),
                         smtp_state_name(state));
        s->state = state;
}

void smtp_transaction_reset(struct smtp_session *s)
{
        s->tx.reverse_path[0] = '\0';
        s->tx.body = SMTP_BODY_7BIT;
        s->tx.declared_size = 0;
        s->tx.recipient_count = 0;
        s->tx.user_count = 0;
}

/* The length of the part of an AUTH line that may appear in the trace:
 * "AUTH MECHANISM"; the initial response after it is a secret. */
static size_t smtp_auth_visible_length(const char *line, size_t len)
{
        size_t i = 5;

        while (i < len && line[i] == ' ')
                i++;
        while (i < len && line[i] != ' ')
                i++;
        return i;
}

/* Steps 2 to 4 of STYLE.md §4.5 for one line: split, look up, check, call.
 * Returns the table row used, or NULL when the line was refused before any
 * handler ran. */
static const struct smtp_command *smtp_dispatch(struct smtp_session *s, char *line, size_t len)
{
        size_t verb_len = 0;

        while (verb_len < len && line[verb_len] != ' ')
                verb_len++;
        bool is_auth = text_verb_equals(line, verb_len, "AUTH");

        /* SECURITY: secrets never reach the transcript (RFC 4954 §4 initial
         * responses ride on the AUTH line). */
        size_t visible = is_auth ? smtp_auth_visible_length(line, len) : len;
        if (visible < len)
                trace_client_masked(s->id, line, len, visible);
        else
                trace_client(s->id, line, len);

        /* A NUL would cut the line short for every string function below and
         * a lone CR is not a line ending (RFC 5321 §2.3.8): refuse both
         * rather than guess what the client meant. */
        if (memchr(line, '\0', len) != NULL || memchr(line, '\r', len) != NULL) {
                smtp_reply(s, 500, "5.5.2", "Syntax error: NUL or bare CR in command");
                return NULL;
        }
        /* RFC 5321 §4.5.3.1.4: a command line is at most 512 octets with its
         * CRLF. Every line is read with the larger SASL limit so that an AUTH
         * initial response fits (RFC 4954 §4); other verbs are held to 512
         * here, and the over-long line is never dispatched. */
        if (!is_auth && len + 2 > SMTP_COMMAND_LINE_MAX) {
                smtp_reply(s, 500, "5.5.2", "Line too long");
                return NULL;
        }

        const struct smtp_command *command = smtp_command_find(line, verb_len);
        if (command == NULL) {
                smtp_reply(s, 500, "5.5.2", "Command unrecognized");
                return NULL;
        }
        if ((command->states & s->state) == 0) {
                /* RFC 5321 §4.1.4 and §4.2.2: 503 bad sequence of commands. */
                if (s->state == SMTP_STATE_CONNECTED)
                        smtp_reply(s, 503, "5.5.1", "Send EHLO or HELO first");
                else
                        smtp_reply(s, 503, "5.5.1", "%s", command->sequence_hint != NULL
                                   ? command->sequence_hint : "Bad sequence of commands");
                return NULL;
        }

        /* The argument: everything after the verb and its spaces, trailing
         * spaces removed. "NOOP " counts as no argument. */
        char *args = line + verb_len;
        while (*args == ' ')
                args++;
        size_t args_len = strlen(args);
        while (args_len > 0 && args[args_len - 1] == ' ')
                args[--args_len] = '\0';
        if (args_len == 0)
                args = NULL;
        if (command->args == ARGS_REQUIRED && args == NULL) {
                smtp_reply(s, 501, "5.5.4", "Syntax error: %s needs an argument", command->verb);
                return NULL;
        }
        if (command->args == ARGS_NONE && args != NULL) {
                smtp_reply(s, 501, "5.5.4", "Syntax error: %s takes no argument", command->verb);
                return NULL;
        }
        command->handler(s, args);
        return command;
}

/* Step 1 of STYLE.md §4.5: read one command line and turn the conditions
 * that are not a line into their replies. Returns true when a line is in
 * s->line for the dispatcher. */
static bool smtp_read_command(struct smtp_session *s, size_t *len_out)
{
        enum conn_result result = conn_read_line(&s->conn, s->line, sizeof s->line, len_out);

        switch (result) {
        case CONN_LINE:
                return true;
        case CONN_TOO_LONG:
                /* RFC 5321 §4.5.3.1.4: consumed up to its LF by conn, never
                 * split into two commands, answered once. */
                log_info(s->id, "over-long command line discarded");
                smtp_reply(s, 500, "5.5.2", "Line too long");
                return false;
        case CONN_TIMEOUT:
                /* RFC 5321 §4.5.3.2.7: the server may close an idle session;
                 * §3.8 asks for a 421 before closing. */
                smtp_reply(s, 421, "4.4.2", "%s Timeout waiting for a command, closing",
                           s->cfg->hostname);
                s->is_closing = true;
                return false;
        case CONN_SHUTDOWN:
                smtp_reply(s, 421, "4.3.2", "%s Service shutting down", s->cfg->hostname);
                s->is_closing = true;
                return false;
        case CONN_EOF:
                log_info(s->id, "client closed the connection");
                s->is_closing = true;
                return false;
        case CONN_ERROR:
        default:
                log_info(s->id, "connection error");
                s->is_closing = true;
                return false;
        }
}

/* Greeting, then one command after another until QUIT, an error that
 * closes, or the client going away. */
static void smtp_session_loop(struct smtp_session *s)
{
        /* RFC 5321 §4.2: the greeting is 220 and the first word is our name.
         * No enhanced code: the client has not said EHLO yet (RFC 2034 §3). */
        if (s->cfg->smtp_lenient_line_endings) {
                smtp_reply_begin(s, 220, NULL);
                smtp_reply_line(s, "%s ESMTP ready", s->cfg->hostname);
                smtp_reply_line(s, "WARNING: UNSAFE lab mode, LF.LF ends DATA "
                                "(SMTP smuggling possible)");
                smtp_reply_end(s);
        } else {
                smtp_reply(s, 220, NULL, "%s ESMTP ready", s->cfg->hostname);
        }
        conn_flush(&s->conn);

        while (!s->is_closing) {
                size_t len = 0;
                const struct smtp_command *command = NULL;

                s->last_code = 0;
                if (smtp_read_command(s, &len))
                        command = smtp_dispatch(s, s->line, len);

                /* Step 5: count errors. A 5xx means the client did something
                 * wrong; a success forgives (Dovecot's bad_counter). Past the
                 * limit the client is most likely not speaking SMTP at all. */
                if (s->last_code >= 500) {
                        s->error_count++;
                        if (s->cfg->max_errors > 0 && s->error_count >= s->cfg->max_errors &&
                            !s->is_closing) {
                                log_info(s->id, "too many errors, closing");
                                smtp_reply(s, 421, "4.7.0", "%s Too many errors, closing",
                                           s->cfg->hostname);
                                s->is_closing = true;
                        }
                } else if (s->last_code >= 200 && s->last_code < 400) {
                        s->error_count = 0;
                }

                /* Step 6, RFC 2920 §3.1: answer a pipelined group in one
                 * write; flush at the group's end or when no input waits. */
                if (s->is_closing || (command != NULL && command->ends_group) ||
                    !conn_has_buffered_input(&s->conn))
                        conn_flush(&s->conn);
        }
}

/* server_refuse_fn is in main.c; this is the thread body of one session. */
void smtp_session_run(const struct server_session *session)
{
        const struct config *cfg = session->context;
        struct smtp_session *s = calloc(1, sizeof *s);
        struct smtp_recipient *recipients =
                calloc(cfg->max_recipients > 0 ? cfg->max_recipients : 1, sizeof *recipients);

        if (s == NULL || recipients == NULL) {
                static const char busy[] = "421 4.3.0 Out of memory, try again later\r\n";
                log_err(session->id, "out of memory for a new session");
                if (write(session->fd, busy, sizeof busy - 1) < 0)
                        log_err(session->id, "write failed");
                free(s);
                free(recipients);
                close(session->fd);
                return;
        }
        s->cfg = cfg;
        s->id = session->id;
        s->listener = session->listener_tag == SMTP_LISTENER_SUBMISSION
                      ? SMTP_LISTENER_SUBMISSION : SMTP_LISTENER_MTA;
        text_copy(s->peer, sizeof s->peer, session->peer);
        text_copy(s->local, sizeof s->local, session->local);
        s->state = SMTP_STATE_CONNECTED;
        s->tx.recipients = recipients;
        smtp_transaction_reset(s);
        conn_init(&s->conn, session->fd, session->shutdown_fd, (int)cfg->command_timeout);
        log_info(s->id, "connection from %s (%s)", s->peer,
                 s->listener == SMTP_LISTENER_SUBMISSION ? "submission" : "smtp");

        smtp_session_loop(s);

        conn_flush(&s->conn);
        log_info(s->id, "session closed");
        close(session->fd);
        free(s->tx.users);
        free(s->tx.recipients);
        free(s);
}
