/* SPDX-License-Identifier: MIT
 *
 * session.h - one SMTP session: its states, its transaction and the command
 * handlers that the table in session.c dispatches to.
 *
 * Everything a session needs lives in one heap-allocated struct smtp_session
 * owned by the session's thread; nothing here is shared between sessions.
 */
#ifndef SMTPD_SESSION_H
#define SMTPD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include "common/config.h"
#include "common/conn.h"
#include "common/limits.h"
#include "common/server.h"

/* RFC 5321 §4.1.4: which commands may come when. A bit per state so a row
 * of the command table can allow several. */
enum smtp_state {
        SMTP_STATE_CONNECTED = 1 << 0,  /* greeting sent, no HELO/EHLO yet */
        SMTP_STATE_GREETED   = 1 << 1,  /* HELO/EHLO done, no transaction */
        SMTP_STATE_MAIL      = 1 << 2,  /* MAIL accepted, no recipient yet */
        SMTP_STATE_RCPT      = 1 << 3,  /* at least one RCPT accepted */
};
#define SMTP_STATE_ANY (SMTP_STATE_CONNECTED | SMTP_STATE_GREETED | \
                        SMTP_STATE_MAIL | SMTP_STATE_RCPT)

/* The listener tags given to server_listen(): the MTA port takes mail for
 * local users from anyone; the submission port (RFC 6409) wants AUTH first. */
enum smtp_listener {
        SMTP_LISTENER_MTA = 1,
        SMTP_LISTENER_SUBMISSION = 2,
};

/* RFC 6152 §3: the BODY= parameter of MAIL. */
enum smtp_body { SMTP_BODY_7BIT, SMTP_BODY_8BITMIME };

/* Users one recipient may expand to through aliases. A list bigger than
 * this is refused at RCPT time (550 5.5.3) rather than silently cut. */
#define SMTP_RECIPIENT_USERS_MAX 64

/* A reply line: RFC 5321 §4.5.3.1.5, 512 octets with the CRLF. */
#define SMTP_REPLY_LINE_MAX 512

/* Bytes of DATA handed to the decoder at once. */
#define SMTP_DATA_CHUNK 8192

struct smtp_recipient {
        char mailbox[SMTP_PATH_MAX + 1];        /* the forward-path as accepted */
};

/* One mail transaction (RFC 5321 §3.3): MAIL, then RCPTs, then DATA. */
struct smtp_transaction {
        char reverse_path[SMTP_PATH_MAX + 1];   /* mailbox, "" for the null path <> */
        enum smtp_body body;
        unsigned long long declared_size;       /* SIZE=, 0 when not given (RFC 1870 §6) */
        size_t recipient_count;
        struct smtp_recipient *recipients;      /* cfg->max_recipients entries */
        /* The mailbox owners after alias expansion, without duplicates: the
         * message is written once and linked into each of these Maildirs. */
        size_t user_count;
        size_t user_capacity;
        char (*users)[USER_NAME_MAX + 1];
        unsigned long number;                   /* counts transactions in the session */
};

struct smtp_session {
        const struct config *cfg;
        struct conn conn;
        unsigned long id;                       /* session id in logs and the trace */
        enum smtp_listener listener;
        char peer[64];                          /* client address literal, no brackets */
        char local[64];                         /* our address on this connection */
        unsigned state;                         /* one bit of enum smtp_state */
        bool seen_ehlo;                         /* EHLO (not HELO): extensions are on */
        bool is_closing;                        /* QUIT, 421: leave the loop after flushing */
        char helo[SMTP_DOMAIN_MAX + 1];         /* validated HELO/EHLO argument */
        char user[USER_NAME_MAX + 1];           /* authenticated user, "" if none */
        unsigned error_count;                   /* 5xx replies in a row */
        unsigned auth_failures;
        int last_code;                          /* the last reply's code, for counting */

        /* The multi-line reply being built (reply.c): one line is held back
         * until we know whether it is the last. */
        int reply_code;
        char reply_enhanced[16];
        bool reply_has_pending;
        char reply_pending[SMTP_REPLY_LINE_MAX];

        char line[SASL_LINE_MAX];               /* the command line being handled */
        char users_scratch[SMTP_RECIPIENT_USERS_MAX][USER_NAME_MAX + 1];
        char data_translated[2 * SMTP_DATA_CHUNK];
        char data_decoded[2 * SMTP_DATA_CHUNK + 2];

        /* Everything below is reset by RSET, HELO, EHLO and after each DATA
         * (RFC 5321 §4.1.1.5). */
        struct smtp_transaction tx;
};

/* One row of the command table (session.c). */
enum smtp_args { ARGS_NONE, ARGS_OPTIONAL, ARGS_REQUIRED };
typedef void (*smtp_cmd_fn)(struct smtp_session *s, char *args);
struct smtp_command {
        const char *verb;        /* as written in the RFC */
        unsigned states;         /* where it is allowed: bits of enum smtp_state */
        enum smtp_args args;
        bool ends_group;         /* RFC 2920 §3.1: must be last in a pipelined group */
        smtp_cmd_fn handler;
        const char *rfc;         /* shown by HELP <verb> */
        const char *sequence_hint;  /* text of the 503 when used out of order */
};

/* The session thread's body (server_session_fn); context is the config. */
void smtp_session_run(const struct server_session *session);

/* Change state; the transition is logged when tracing (OpenSMTPD's
 * enter_state idea). */
void smtp_set_state(struct smtp_session *s, unsigned state);
const char *smtp_state_name(unsigned state);

/* Forget the current transaction (RFC 5321 §4.1.1.5); keeps allocations. */
void smtp_transaction_reset(struct smtp_session *s);

/* The command table, for HELP. NULL when verb[0..len) is no command. */
const struct smtp_command *smtp_command_find(const char *verb, size_t len);
size_t smtp_command_count(void);
const struct smtp_command *smtp_command_at(size_t index);

/* True when the AUTH keyword is offered and at least one mechanism can be
 * used (commands.c; EHLO and AUTH agree through it). */
bool smtp_auth_available(const struct smtp_session *s);
bool smtp_mechanism_usable(const struct smtp_session *s, const char *mechanism);

/* Build Return-Path: and Received: (trace.c) into out[size], LF line ends.
 * Returns the length, or 0 if it did not fit. */
size_t smtp_trace_headers(const struct smtp_session *s, char *out, size_t size);

/* Handlers: one reply each (RFC 5321 §4.2), state changes through
 * smtp_set_state(). args is NULL when the line had no argument. */
void smtp_cmd_helo(struct smtp_session *s, char *args);
void smtp_cmd_ehlo(struct smtp_session *s, char *args);
void smtp_cmd_mail(struct smtp_session *s, char *args);
void smtp_cmd_rcpt(struct smtp_session *s, char *args);
void smtp_cmd_data(struct smtp_session *s, char *args);
void smtp_cmd_rset(struct smtp_session *s, char *args);
void smtp_cmd_vrfy(struct smtp_session *s, char *args);
void smtp_cmd_expn(struct smtp_session *s, char *args);
void smtp_cmd_help(struct smtp_session *s, char *args);
void smtp_cmd_noop(struct smtp_session *s, char *args);
void smtp_cmd_quit(struct smtp_session *s, char *args);
void smtp_cmd_auth(struct smtp_session *s, char *args);

#endif
