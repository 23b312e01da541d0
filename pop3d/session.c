/* SPDX-License-Identifier: MIT
 *
 * session.c - the POP3 command table, the dispatcher and the session loop.
 *
 * A session is a loop: read a line, check it against the table below, call
 * the handler, flush when the client has nothing more buffered. The table
 * says in which state (RFC 1939 §3: AUTHORIZATION, TRANSACTION) each
 * command is allowed and how many arguments it takes, so no handler runs
 * unless the state and the arguments are right; handlers only do their
 * command's own work and send exactly one response. UPDATE is not a state
 * a command can arrive in: QUIT in TRANSACTION enters it and ends the
 * session (transaction.c). Any other end of the session (EOF, timeout,
 * shutdown, a write error) simply frees the snapshot: nothing is deleted.
 *
 * Line limits: RFC 2449 §4 allows command lines of 255 octets with CRLF,
 * but RFC 5034 §4 lets an AUTH command and its continuation lines carry a
 * base64 response of any length. We read every line with room for
 * SASL_LINE_MAX and then refuse any line but AUTH longer than 255 octets,
 * so the AUTH initial response needs no second read path; a line longer
 * than SASL_LINE_MAX is consumed by common/conn and answered once.
 *
 * Standards:  RFC 1939 §3, RFC 1939 §4, RFC 1939 §5, RFC 1939 §6, RFC 1939 §7,
 *             RFC 2449 §4, RFC 2449 §5, RFC 2449 §6.6, RFC 3206 §5, RFC 5034 §4
 * Threads:    one session per thread; the session struct is private to it.
 *             The users table and the Maildir lock are the shared state, both
 *             behind their own modules (common/users.c, maildir/lock.c).
 * Read next:  pop3d/auth.c (AUTHORIZATION), pop3d/transaction.c (TRANSACTION).
 */
#include "pop3d/session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "common/log.h"
#include "common/text.h"
#include "maildir/maildir.h"
#include "pop3d/reply.h"

/* How the dispatcher splits the rest of the line after the verb. */
enum pop3_arg_rule {
        POP3_ARGS_NONE,          /* STAT, NOOP, ... */
        POP3_ARGS_ONE,           /* USER name, RETR msg, DELE msg */
        POP3_ARGS_ONE_OPTIONAL,  /* LIST [msg], UIDL [msg] */
        POP3_ARGS_ONE_OR_TWO,    /* AUTH mechanism [initial-response] (RFC 5034 §4) */
        POP3_ARGS_TWO,           /* TOP msg n, APOP name digest */
        POP3_ARGS_REST,          /* PASS: the rest of the line, spaces included */
};

struct pop3_command {
        const char *verb;
        unsigned states;             /* bits of enum pop3_state */
        enum pop3_arg_rule args;
        bool is_sasl;                /* AUTH: long line, second argument not limited to 40 */
        size_t trace_visible_words;  /* >0: mask the line after this many words */
        pop3_cmd_fn handler;
        const char *rfc;             /* shown by --trace=explain */
        /* The CAPA line that announces this command (RFC 2449 §6), or NULL.
         * When pop3_capabilities withdraws that line (a teaching switch),
         * the command is withdrawn too, so a client really has to do
         * without it, as Thunderbird does when UIDL or TOP fail
         * (THUNDERBIRD.md §6, §7). */
        const char *capability;
};

/* RFC 1939 §4-§7, RFC 2449 §5, RFC 5034 §4: every command, where it is
 * allowed and what it takes. QUIT and CAPA are valid in both states;
 * QUIT's handler tells them apart. */
static const struct pop3_command pop3_commands[] = {
        { "USER", POP3_STATE_AUTHORIZATION, POP3_ARGS_ONE, false, 0, pop3_cmd_user,
          "RFC 1939 §7", "USER" },
        { "PASS", POP3_STATE_AUTHORIZATION, POP3_ARGS_REST, false, 1, pop3_cmd_pass,
          "RFC 1939 §7", "USER" },
        { "APOP", POP3_STATE_AUTHORIZATION, POP3_ARGS_TWO, false, 2, pop3_cmd_apop,
          "RFC 1939 §7", NULL },
        { "AUTH", POP3_STATE_AUTHORIZATION, POP3_ARGS_ONE_OR_TWO, true, 2, pop3_cmd_auth,
          "RFC 5034 §4", "SASL" },
        { "CAPA", POP3_STATE_ANY, POP3_ARGS_NONE, false, 0, pop3_cmd_capa, "RFC 2449 §5", NULL },
        { "QUIT", POP3_STATE_ANY, POP3_ARGS_NONE, false, 0, pop3_cmd_quit, "RFC 1939 §6", NULL },
        { "STAT", POP3_STATE_TRANSACTION, POP3_ARGS_NONE, false, 0, pop3_cmd_stat,
          "RFC 1939 §5", NULL },
        { "LIST", POP3_STATE_TRANSACTION, POP3_ARGS_ONE_OPTIONAL, false, 0, pop3_cmd_list,
          "RFC 1939 §5", NULL },
        { "RETR", POP3_STATE_TRANSACTION, POP3_ARGS_ONE, false, 0, pop3_cmd_retr,
          "RFC 1939 §5", NULL },
        { "DELE", POP3_STATE_TRANSACTION, POP3_ARGS_ONE, false, 0, pop3_cmd_dele,
          "RFC 1939 §5", NULL },
        { "NOOP", POP3_STATE_TRANSACTION, POP3_ARGS_NONE, false, 0, pop3_cmd_noop,
          "RFC 1939 §5", NULL },
        { "RSET", POP3_STATE_TRANSACTION, POP3_ARGS_NONE, false, 0, pop3_cmd_rset,
          "RFC 1939 §5", NULL },
        { "TOP", POP3_STATE_TRANSACTION, POP3_ARGS_TWO, false, 0, pop3_cmd_top,
          "RFC 1939 §7", "TOP" },
        { "UIDL", POP3_STATE_TRANSACTION, POP3_ARGS_ONE_OPTIONAL, false, 0, pop3_cmd_uidl,
          "RFC 1939 §7", "UIDL" },
};

#define POP3_COMMAND_COUNT (sizeof(pop3_commands) / sizeof(pop3_commands[0]))

static const struct pop3_command *pop3_command_find(const char *verb, size_t len)
{
        for (size_t i = 0; i < POP3_COMMAND_COUNT; i++) {
                /* RFC 1939 §3: "keywords ... are case-insensitive". */
                if (text_verb_equals(verb, len, pop3_commands[i].verb))
                        return &pop3_commands[i];
        }
        return NULL;
}

/* Copy the client's line to the trace. PASS, APOP and AUTH carry secrets:
 * only their first words are shown, then "****" (DESIGN.md §7). */
static void pop3_trace_command(struct pop3_session *s, const struct pop3_command *cmd,
                               size_t len)
{
        if (cmd != NULL && cmd->trace_visible_words > 0) {
                size_t words = 0;

                for (size_t i = 0; i < len; i++) {
                        if (s->line[i] == ' ' && ++words == cmd->trace_visible_words) {
                                trace_client_masked(s->id, s->line, len, i);
                                return;
                        }
                }
        }
        trace_client(s->id, s->line, len);
}

/* Split line[start..len) into the arguments the rule asks for. Arguments
 * are separated by single spaces (RFC 1939 §3); a trailing space is
 * forgiven, an empty argument is not. Returns false on a count mismatch. */
static bool pop3_split_args(struct pop3_session *s, const struct pop3_command *cmd,
                            size_t start, size_t len, struct pop3_args *args)
{
        char *line = s->line;

        memset(args, 0, sizeof(*args));
        if (cmd->args == POP3_ARGS_REST) {
                if (start >= len)
                        return false;
                args->count = 1;
                args->values[0] = line + start;
                args->lengths[0] = len - start;
                return true;
        }
        while (len > start && line[len - 1] == ' ')
                line[--len] = '\0';
        size_t pos = start;

        while (pos < len) {
                char *space = memchr(line + pos, ' ', len - pos);
                size_t end = space != NULL ? (size_t)(space - line) : len;

                if (end == pos || args->count == POP3_ARGUMENTS_MAX)
                        return false;
                line[end] = '\0';
                args->values[args->count] = line + pos;
                args->lengths[args->count] = end - pos;
                args->count++;
                pos = end + 1;
        }
        switch (cmd->args) {
        case POP3_ARGS_NONE:
                return args->count == 0;
        case POP3_ARGS_ONE:
                return args->count == 1;
        case POP3_ARGS_ONE_OPTIONAL:
                return args->count <= 1;
        case POP3_ARGS_ONE_OR_TWO:
                return args->count >= 1;
        case POP3_ARGS_TWO:
                return args->count == 2;
        case POP3_ARGS_REST:
                break;
        }
        return false;
}

/* RFC 1939 §3: "each argument may be up to 40 characters long". PASS is
 * exempt because a password may contain spaces and be longer (its line is
 * still limited to 255 octets), and so is the SASL initial response of
 * AUTH (RFC 5034 §4). */
static bool pop3_args_short_enough(const struct pop3_command *cmd, const struct pop3_args *args)
{
        if (cmd->args == POP3_ARGS_REST)
                return true;
        for (size_t i = 0; i < args->count; i++) {
                if (cmd->is_sasl && i == 1)
                        continue;
                if (args->lengths[i] > POP3_ARGUMENT_MAX)
                        return false;
        }
        return true;
}

/* One command line in s->line[0..len): the checks of the table, in order,
 * each with its own -ERR, then the handler. */
static void pop3_dispatch(struct pop3_session *s, size_t len)
{
        struct pop3_args args;

        s->explain = "RFC 1939 §3";
        char *space = memchr(s->line, ' ', len);
        size_t verb_len = space != NULL ? (size_t)(space - s->line) : len;
        const struct pop3_command *cmd = pop3_command_find(s->line, verb_len);

        /* Traced first, masked by the verb's row (PASS, APOP, AUTH), so that
         * a password is hidden even on a line refused below. */
        pop3_trace_command(s, cmd, len);
        /* A NUL could hide the rest of a line from a C string function and a
         * bare CR is not a line end: refuse both instead of guessing. */
        if (memchr(s->line, '\0', len) != NULL || memchr(s->line, '\r', len) != NULL) {
                pop3_reply_err(s, POP3_CODE_NONE, "Invalid character in command");
                return;
        }
        if (cmd == NULL) {
                pop3_reply_err(s, POP3_CODE_NONE, "Unknown command");
                return;
        }
        s->explain = cmd->rfc;
        if (cmd->capability != NULL &&
            !config_pop3_capability_enabled(s->cfg, cmd->capability)) {
                pop3_reply_err(s, POP3_CODE_NONE, "%s is switched off on this server "
                               "(pop3_capabilities)", cmd->verb);
                return;
        }
        /* RFC 2449 §4: 255 octets with CRLF, except AUTH (RFC 5034 §4). */
        if (!cmd->is_sasl && len + 2 > POP3_COMMAND_LINE_MAX) {
                pop3_reply_err(s, POP3_CODE_NONE, "Line too long");
                return;
        }
        if ((cmd->states & s->state) == 0) {
                pop3_reply_err(s, POP3_CODE_NONE, "Command not valid in this state");
                return;
        }
        if (!pop3_split_args(s, cmd, verb_len + 1, len, &args)) {
                pop3_reply_err(s, POP3_CODE_NONE, "Syntax error in arguments");
                return;
        }
        if (!pop3_args_short_enough(cmd, &args)) {
                pop3_reply_err(s, POP3_CODE_NONE, "Argument too long");
                return;
        }
        cmd->handler(s, &args);
}

bool pop3_session_read_line(struct pop3_session *s, size_t max, size_t *len_out,
                            bool *too_long_out)
{
        *too_long_out = false;
        /* RFC 2449 §6.6: a pipelining client may send several commands at
         * once; answer them in one write by flushing only when nothing more
         * is waiting. */
        if (!conn_has_buffered_input(&s->conn) && conn_flush(&s->conn) < 0) {
                s->is_closing = true;
                return false;
        }
        switch (conn_read_line(&s->conn, s->line, max, len_out)) {
        case CONN_LINE:
                return true;
        case CONN_TOO_LONG:
                *too_long_out = true;
                return true;
        case CONN_TIMEOUT:
                /* RFC 1939 §3: the autologout timer closes the connection
                 * "without removing any messages or sending any response". */
                log_info(s->id, "idle timeout, closing without UPDATE");
                break;
        case CONN_SHUTDOWN:
                s->explain = "RFC 1939 §3";
                pop3_reply_err(s, POP3_CODE_SYS_TEMP, "Server shutting down");
                log_info(s->id, "server shutting down, closing without UPDATE");
                break;
        case CONN_EOF:
                log_info(s->id, "client closed the connection");
                break;
        case CONN_ERROR:
                log_info(s->id, "read error: %s", strerror(errno));
                break;
        }
        s->is_closing = true;
        return false;
}

void pop3_session_login_failed(struct pop3_session *s, const char *how)
{
        unsigned delay_ms = s->cfg->auth_failure_delay_ms;
        struct timespec delay = {
                .tv_sec = delay_ms / 1000,
                .tv_nsec = (long)(delay_ms % 1000) * 1000000L,
        };

        s->auth_failures++;
        log_info(s->id, "%s login failed (%u of %u)", how, s->auth_failures,
                 s->cfg->pop3_auth_failures_max);
        /* Slows password guessing; only this thread sleeps (DESIGN.md §5). */
        while (nanosleep(&delay, &delay) != 0 && errno == EINTR)
                ;
        /* RFC 3206 §5: [AUTH] says the credentials were wrong. SECURITY: user
         * enumeration: the same text whether or not the user exists. */
        pop3_reply_err(s, POP3_CODE_AUTH, "Authentication failed");
}

bool pop3_session_login_refused(struct pop3_session *s)
{
        /* The connection is not closed on the failure that reaches the
         * limit: Thunderbird tries PLAIN, LOGIN and USER/PASS on one
         * connection, then shows its "Login failed" dialog and sends QUIT
         * (THUNDERBIRD.md §3, §5). Closing right after the third -ERR made it
         * see the close first and show the dialog twice. So the session stays
         * open for QUIT, and the next attempt to log in ends it. */
        if (s->cfg->pop3_auth_failures_max == 0 ||
            s->auth_failures < s->cfg->pop3_auth_failures_max)
                return false;
        log_info(s->id, "too many failed logins, closing");
        pop3_reply_err(s, POP3_CODE_AUTH, "Too many failed logins");
        s->is_closing = true;
        return true;
}

void pop3_session_serve(int fd, int shutdown_fd, unsigned long id, const char *peer,
                        const struct config *cfg)
{
        struct pop3_session *s = calloc(1, sizeof(*s));

        if (s == NULL) {
                log_err(id, "out of memory for a session");
                close(fd);
                return;
        }
        s->id = id;
        s->cfg = cfg;
        s->state = POP3_STATE_AUTHORIZATION;
        s->lock_fd = -1;
        text_copy(s->peer, sizeof(s->peer), peer);
        conn_init(&s->conn, fd, shutdown_fd, (int)cfg->pop3_timeout);
        log_info(s->id, "connection from %s", s->peer);

        pop3_greeting(s);
        while (!s->is_closing) {
                size_t len;
                bool is_too_long;

                if (!pop3_session_read_line(s, sizeof(s->line), &len, &is_too_long))
                        break;
                if (is_too_long) {
                        /* The line was consumed to its LF by common/conn and
                         * is never dispatched, so no fragment of it can be
                         * taken for a command. */
                        s->explain = "RFC 2449 §4";
                        pop3_reply_err(s, POP3_CODE_NONE, "Line too long");
                        continue;
                }
                pop3_dispatch(s, len);
        }

        conn_flush(&s->conn);
        if (s->lock_fd >= 0)
                maildir_unlock(s->lock_fd);
        pop3_maildrop_free(&s->maildrop);
        close(fd);
        log_info(s->id, "session closed");
        /* The buffers may have held a password; explicit_bzero is not
         * optimised away as a store before free() may be. */
        explicit_bzero(s, sizeof(*s));
        free(s);
}

void pop3_session_run(const struct server_session *session)
{
        pop3_session_serve(session->fd, session->shutdown_fd, session->id, session->peer,
                           session->context);
}
