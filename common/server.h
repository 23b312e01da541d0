/* SPDX-License-Identifier: MIT
 *
 * server.h - listeners, the accept loop with one detached thread per
 * connection, the connection cap, signals and graceful shutdown
 * (DESIGN.md §2). Knows nothing about SMTP or POP3.
 */
#ifndef COMMON_SERVER_H
#define COMMON_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include "common/config.h"

/* What a session thread receives. It owns fd and must close it. */
struct server_session {
        int fd;
        unsigned long id;            /* unique in this process, from 1 */
        int listener_tag;            /* the tag given with the listener */
        int shutdown_fd;             /* pass to conn_init() */
        char peer[64];               /* address literal of the client: "127.0.0.1", "::1" */
        char local[64];              /* our own address on this connection */
        void *context;               /* server_run()'s context argument */
};

typedef void (*server_session_fn)(const struct server_session *session);

/* Called when there are too many connections: write one line to fd
 * (421 4.3.2 / -ERR [SYS/TEMP]) before the server closes it. */
typedef void (*server_refuse_fn)(int fd);

/* Called from the signal thread on SIGHUP (users file reload). May be NULL. */
typedef void (*server_reload_fn)(void);

struct server {
        size_t listener_count;
        int listener_fds[SERVER_LISTENERS_MAX];
        int listener_tags[SERVER_LISTENERS_MAX];
        char listener_names[SERVER_LISTENERS_MAX][80];  /* "127.0.0.1:2525" with the real port */
};

/* Bind and listen on every address in list (IPv6 sockets are IPV6_V6ONLY).
 * Tag each listener with tag. Returns 0, or -1 with a message in err. Call
 * before server_drop_privileges(). Logs "listening on HOST:PORT (label)"
 * for each, e.g. "listening on 127.0.0.1:40312 (smtp)", with the real port
 * when the configuration said 0: the test harness reads it back. */
int server_listen(struct server *srv, const struct config_listen_list *list, int tag,
                  const char *label, char *err, size_t err_size);

/* When running as root, switch to user run_user (setgroups, setgid, setuid).
 * Returns 0, or -1 with a message. Does nothing for a non-root process. */
int server_drop_privileges(const char *run_user, char *err, size_t err_size);

/* Raise RLIMIT_NOFILE to its hard limit; logs the result. */
void server_raise_fd_limit(void);

/* Block SIGTERM, SIGINT, SIGHUP (and ignore SIGPIPE, SIGXFSZ) in the calling
 * thread; call before any other thread starts so all threads inherit it. */
void server_block_signals(void);

/* Accept connections until SIGTERM/SIGINT, run session() in a new detached
 * thread for each, refuse past max_connections with refuse(), call reload()
 * on SIGHUP. On shutdown: close the listeners, make every session's
 * shutdown_fd readable, wait for the sessions (at most
 * SERVER_SHUTDOWN_GRACE_SECONDS + 2 s), return 0. */
int server_run(struct server *srv, unsigned max_connections, server_session_fn session,
               server_refuse_fn refuse, server_reload_fn reload, void *context);

/* Switch Nagle's algorithm off on an accepted TCP connection (replies leave
 * whole from common/conn). Returns false when the socket refused, e.g. a
 * socket that is not TCP. */
bool server_tune_connection(int fd);

/* Number of sessions now running (C11 atomic counter). */
unsigned server_active_sessions(void);

#endif
