/* SPDX-License-Identifier: MIT
 *
 * session.h - one POP3 session: its state, its connection and its maildrop.
 *
 * A session is created by pop3_session_run() in the connection's own thread
 * and freed when the connection ends; nothing in it is shared with other
 * sessions. The handlers in auth.c, transaction.c and capa.c receive it as
 * `s` and send their replies through reply.h.
 */
#ifndef POP3D_SESSION_H
#define POP3D_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include "common/conn.h"
#include "common/config.h"
#include "common/dot.h"
#include "common/limits.h"
#include "common/server.h"
#include "pop3d/maildrop.h"

#ifndef VERSION
#define VERSION "unknown"
#endif

/* RFC 1939 §3: the two states in which commands arrive. UPDATE is entered by
 * QUIT and ends the session, so no command is ever dispatched in it. A bit
 * per state so a table row can allow both. */
enum pop3_state {
        POP3_STATE_AUTHORIZATION = 1 << 0,
        POP3_STATE_TRANSACTION   = 1 << 1,
};
#define POP3_STATE_ANY (POP3_STATE_AUTHORIZATION | POP3_STATE_TRANSACTION)

/* RFC 1939 §3: "each argument may be up to 40 characters long". */
#define POP3_ARGUMENTS_MAX 2

/* The arguments of one command, split by the dispatcher. For the REST rule
 * values[0] is everything after the first space, spaces included. */
struct pop3_args {
        size_t count;
        char *values[POP3_ARGUMENTS_MAX];
        size_t lengths[POP3_ARGUMENTS_MAX];
};

/* RFC 1939 §7: "<process-ID.clock@hostname>", plus a counter. */
#define POP3_TIMESTAMP_MAX (CONFIG_NAME_MAX + 64)
/* Chunk of a message read per read(2) for RETR and TOP. */
#define POP3_FILE_CHUNK (64 * 1024)

struct pop3_session {
        unsigned long id;                /* server_session id: logs and trace */
        const struct config *cfg;
        enum pop3_state state;
        const char *explain;             /* RFC tag of the running command (--trace=explain) */
        bool is_closing;                 /* end the session after this command */
        char peer[64];

        /* AUTHORIZATION */
        char timestamp[POP3_TIMESTAMP_MAX];  /* APOP timestamp; "" when APOP is off */
        bool seen_user;                      /* USER accepted, PASS may follow */
        char user[USER_NAME_MAX + 1];        /* the USER argument */
        unsigned auth_failures;

        /* TRANSACTION: valid once state is POP3_STATE_TRANSACTION */
        char login[USER_NAME_MAX + 1];       /* the authenticated user */
        int lock_fd;                         /* maildir_lock(); -1 when not held */
        struct pop3_maildrop maildrop;

        /* Buffers, in the heap-allocated session rather than on the thread's
         * small stack. */
        char line[SASL_LINE_MAX];
        char sasl_decoded[SASL_LINE_MAX];    /* a decoded SASL response */
        char file_chunk[POP3_FILE_CHUNK];
        char encoded[2 * POP3_FILE_CHUNK + 8];
        struct conn conn;
};

/* A handler does the command's own work and sends its reply; the table has
 * already checked the state and the arguments. */
typedef void (*pop3_cmd_fn)(struct pop3_session *s, const struct pop3_args *args);

/* The server_session_fn for server_run(): runs one whole session in the
 * calling thread; session->context is the const struct config. */
void pop3_session_run(const struct server_session *session);

/* The same on any connected socket (tests run it over a socketpair). Closes
 * fd before returning. shutdown_fd may be -1. */
void pop3_session_serve(int fd, int shutdown_fd, unsigned long id, const char *peer,
                        const struct config *cfg);

/* Line input for handlers that read more than their command line (AUTH
 * continuations, RFC 5034 §4): flushes pending replies, reads one line of up
 * to max octets into s->line. On EOF, timeout or shutdown it sets
 * s->is_closing (answering a shutdown) and returns false; CONN_TOO_LONG is
 * returned as true with *too_long_out set. */
bool pop3_session_read_line(struct pop3_session *s, size_t max, size_t *len_out,
                            bool *too_long_out);

/* A failed login (RFC 1939 §4, RFC 5034 §4): sleep auth_failure_delay_ms in
 * this thread only and answer -ERR [AUTH]. */
void pop3_session_login_failed(struct pop3_session *s, const char *how);

/* Called first by PASS, APOP and AUTH: once pop3_auth_failures_max logins
 * have failed, answer -ERR [AUTH], mark the session closing and return true;
 * otherwise return false. QUIT and CAPA stay available after the last
 * failure. */
bool pop3_session_login_refused(struct pop3_session *s);

/* ---- handlers (auth.c) ---- */
void pop3_greeting(struct pop3_session *s);
void pop3_cmd_user(struct pop3_session *s, const struct pop3_args *args);
void pop3_cmd_pass(struct pop3_session *s, const struct pop3_args *args);
void pop3_cmd_apop(struct pop3_session *s, const struct pop3_args *args);
void pop3_cmd_auth(struct pop3_session *s, const struct pop3_args *args);

/* ---- handlers (transaction.c) ---- */
void pop3_cmd_stat(struct pop3_session *s, const struct pop3_args *args);
void pop3_cmd_list(struct pop3_session *s, const struct pop3_args *args);
void pop3_cmd_retr(struct pop3_session *s, const struct pop3_args *args);
void pop3_cmd_dele(struct pop3_session *s, const struct pop3_args *args);
void pop3_cmd_noop(struct pop3_session *s, const struct pop3_args *args);
void pop3_cmd_rset(struct pop3_session *s, const struct pop3_args *args);
void pop3_cmd_top(struct pop3_session *s, const struct pop3_args *args);
void pop3_cmd_uidl(struct pop3_session *s, const struct pop3_args *args);
/* QUIT in both states; in TRANSACTION it enters UPDATE (RFC 1939 §6). */
void pop3_cmd_quit(struct pop3_session *s, const struct pop3_args *args);

/* ---- handlers (capa.c) ---- */
void pop3_cmd_capa(struct pop3_session *s, const struct pop3_args *args);

#endif
