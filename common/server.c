/* SPDX-License-Identifier: MIT
 *
 * server.c - listeners, the accept loop, one detached thread per
 * connection, the connection cap, signals and graceful shutdown.
 *
 * The shape (DESIGN.md §2), with the threads a running daemon has:
 *
 *     main thread      server_listen() for each address, then server_run():
 *                      poll() on every listener and on a wake-up pipe,
 *                      accept4(), one new thread per connection.
 *     signal thread    sigwait() for SIGHUP (reload the users file) and
 *                      SIGTERM/SIGINT (shut down). Signals are blocked in
 *                      every other thread, so no code ever runs inside an
 *                      asynchronous signal handler.
 *     session threads  one per client, detached, with a small explicit
 *                      stack; each runs the daemon's session function and
 *                      then frees its struct server_session.
 *
 * Shutdown uses two pipes (the "self-pipe" pattern). The signal thread
 * writes a byte into the wake pipe so the main thread's poll() returns.
 * The main thread then closes the listeners and writes a byte into the
 * shutdown pipe, whose read end every session received as shutdown_fd:
 * nobody ever reads that byte, so the pipe stays readable and every
 * session's poll() (common/conn) sees it, lets the current command finish
 * and says goodbye (421 / -ERR). The main thread waits, bounded in time,
 * until the session counter reaches zero.
 *
 * Shared state is all in this file and all atomic: the session counter,
 * the next session id and the shutdown flag. Nothing else is shared
 * between sessions here.
 *
 * Standards:  RFC 1122 §4.2.3.4 (Nagle, switched off per connection); RFC 5321
 *             §4.5.3.2 and RFC 1939 §3 timeouts are applied by common/conn.
 * Threads:    see above; the counters are C11 atomics.
 * Read next:  common/conn.c (what a session does with its fd), smtpd/main.c.
 */
#define _GNU_SOURCE     /* accept4() and SOCK_CLOEXEC: no fd leaks past exec */
#include "common/server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define LISTEN_BACKLOG 1024
/* Pause after a resource error in accept(): long enough that a full file
 * table is not polled in a busy loop, short enough to be unnoticeable. */
#define ACCEPT_BACKOFF_MS 100
/* Connections taken from one listener before poll() is called again. */
#define ACCEPT_BATCH_MAX 64

static atomic_uint active_sessions;
static atomic_ulong next_session_id;
static atomic_bool shutting_down;

/* Pipes, created by server_run(); [0] read end, [1] write end. */
static int wake_pipe[2] = { -1, -1 };
static int shutdown_pipe[2] = { -1, -1 };

struct server_signal_args {
        server_reload_fn reload;
};

static void sleep_ms(long ms)
{
        struct timespec delay = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
        while (nanosleep(&delay, &delay) != 0 && errno == EINTR)
                continue;
}

/* ---- addresses ------------------------------------------------------------------ */

/* The numeric host of addr into host[size]. A v4-mapped IPv6 address
 * ("::ffff:127.0.0.1") is written as plain IPv4 so logs and Received:
 * lines show one spelling per client. */
static void address_literal(const struct sockaddr_storage *addr, socklen_t len,
                            char *host, size_t size)
{
        struct sockaddr_in mapped;
        const struct sockaddr *sa = (const struct sockaddr *)addr;
        if (addr->ss_family == AF_INET6) {
                const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)addr;
                if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
                        memset(&mapped, 0, sizeof mapped);
                        mapped.sin_family = AF_INET;
                        mapped.sin_port = v6->sin6_port;
                        memcpy(&mapped.sin_addr, &v6->sin6_addr.s6_addr[12], 4);
                        sa = (const struct sockaddr *)&mapped;
                        len = sizeof mapped;
                }
        }
        if (getnameinfo(sa, len, host, (socklen_t)size, NULL, 0, NI_NUMERICHOST) != 0)
                snprintf(host, size, "unknown");
}

/* ---- listeners ------------------------------------------------------------------- */

int server_listen(struct server *srv, const struct config_listen_list *list, int tag,
                  const char *label, char *err, size_t err_size)
{
        for (size_t i = 0; i < list->count; i++) {
                const struct config_listen *item = &list->items[i];
                if (srv->listener_count == SERVER_LISTENERS_MAX) {
                        snprintf(err, err_size, "more than %d listeners", SERVER_LISTENERS_MAX);
                        return -1;
                }
                char port[16];
                snprintf(port, sizeof port, "%u", item->port);
                /* Numeric only: no DNS look-up at start-up (DESIGN.md §2). */
                struct addrinfo hints = {
                        .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                        .ai_family = AF_UNSPEC,
                        .ai_socktype = SOCK_STREAM,
                };
                struct addrinfo *info;
                int rc = getaddrinfo(item->host, port, &hints, &info);
                if (rc != 0) {
                        snprintf(err, err_size, "%s port %u: %s", item->host, item->port,
                                 gai_strerror(rc));
                        return -1;
                }
                /* Non-blocking, so that the accept loop can drain the
                 * backlog and stop at EAGAIN instead of blocking. */
                int fd = socket(info->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                int one = 1;
                bool ok = fd >= 0 &&
                          setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0;
                /* One socket per family: "::" must not also take IPv4, or a
                 * separate 0.0.0.0 listener on the same port would fail. */
                if (ok && info->ai_family == AF_INET6)
                        ok = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) == 0;
                int backlog = SOMAXCONN > LISTEN_BACKLOG ? SOMAXCONN : LISTEN_BACKLOG;
                ok = ok && bind(fd, info->ai_addr, info->ai_addrlen) == 0 &&
                     listen(fd, backlog) == 0;
                freeaddrinfo(info);

                struct sockaddr_storage bound;
                socklen_t bound_len = sizeof bound;
                ok = ok && getsockname(fd, (struct sockaddr *)&bound, &bound_len) == 0;
                if (!ok) {
                        int saved = errno;
                        if (fd >= 0)
                                close(fd);
                        snprintf(err, err_size, "listen on %s port %u: %s", item->host,
                                 item->port, strerror(saved));
                        return -1;
                }
                /* Port 0 asked the kernel for a free port: log the real one,
                 * which is how the test harness learns it. */
                char host[64];
                address_literal(&bound, bound_len, host, sizeof host);
                unsigned real_port = ntohs(bound.ss_family == AF_INET6 ?
                        ((struct sockaddr_in6 *)&bound)->sin6_port :
                        ((struct sockaddr_in *)&bound)->sin_port);
                char *name = srv->listener_names[srv->listener_count];
                size_t name_size = sizeof srv->listener_names[0];
                if (bound.ss_family == AF_INET6)
                        snprintf(name, name_size, "[%s]:%u", host, real_port);
                else
                        snprintf(name, name_size, "%s:%u", host, real_port);
                srv->listener_fds[srv->listener_count] = fd;
                srv->listener_tags[srv->listener_count] = tag;
                srv->listener_count++;
                log_info(0, "listening on %s (%s)", name, label);
        }
        return 0;
}

/* ---- process set-up -------------------------------------------------------------- */

int server_drop_privileges(const char *run_user, char *err, size_t err_size)
{
        if (geteuid() != 0)
                return 0;
        struct passwd entry;
        struct passwd *found = NULL;
        long size = sysconf(_SC_GETPW_R_SIZE_MAX);
        if (size < 16384)
                size = 16384;
        char *buffer = malloc((size_t)size);
        if (buffer == NULL) {
                snprintf(err, err_size, "out of memory");
                return -1;
        }
        int rc = getpwnam_r(run_user, &entry, buffer, (size_t)size, &found);
        if (found == NULL) {
                snprintf(err, err_size, "run_user %s: %s", run_user,
                         rc != 0 ? strerror(rc) : "no such user");
                free(buffer);
                return -1;
        }
        uid_t uid = entry.pw_uid;
        gid_t gid = entry.pw_gid;
        free(buffer);
        if (uid == 0) {
                snprintf(err, err_size, "run_user %s is root", run_user);
                return -1;
        }
        /* Order matters: supplementary groups and the group while we still
         * may change them, the user last. */
        if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
                snprintf(err, err_size, "switch to %s: %s", run_user, strerror(errno));
                return -1;
        }
        /* SECURITY: privilege escalation. Prove the drop is permanent:
         * a process that can become root again has not dropped anything. */
        if (setuid(0) == 0) {
                snprintf(err, err_size, "setuid(0) still works after dropping to %s", run_user);
                return -1;
        }
        log_info(0, "running as %s (uid %lu)", run_user, (unsigned long)uid);
        return 0;
}

void server_raise_fd_limit(void)
{
        struct rlimit limit;
        if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
                return;
        rlim_t before = limit.rlim_cur;
        limit.rlim_cur = limit.rlim_max;
        if (limit.rlim_cur != before && setrlimit(RLIMIT_NOFILE, &limit) != 0) {
                log_warn(0, "cannot raise open files limit from %llu: %s",
                         (unsigned long long)before, strerror(errno));
                return;
        }
        log_info(0, "open files limit %llu", (unsigned long long)limit.rlim_cur);
}

void server_block_signals(void)
{
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        /* A write to a socket the client closed must be an EPIPE error, not
         * the end of the process; a file over RLIMIT_FSIZE must be EFBIG
         * (a 452 to the client), not SIGXFSZ. */
        struct sigaction ignore = { .sa_handler = SIG_IGN };
        sigemptyset(&ignore.sa_mask);
        sigaction(SIGPIPE, &ignore, NULL);
        sigaction(SIGXFSZ, &ignore, NULL);
}

unsigned server_active_sessions(void)
{
        return atomic_load(&active_sessions);
}

/* ---- the signal thread ------------------------------------------------------------ */

/* Runs until SIGTERM or SIGINT. sigwait() takes the signal synchronously,
 * so reload() is an ordinary function call and may take locks and log. */
static void *signal_thread(void *arg)
{
        const struct server_signal_args *args = arg;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        for (;;) {
                int sig;
                if (sigwait(&set, &sig) != 0)
                        continue;
                if (sig == SIGHUP) {
                        log_info(0, "SIGHUP: reloading");
                        if (args->reload != NULL)
                                args->reload();
                        continue;
                }
                log_info(0, "%s: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
                atomic_store(&shutting_down, true);
                char byte = 0;
                while (write(wake_pipe[1], &byte, 1) < 0 && errno == EINTR)
                        continue;
                return NULL;
        }
}

/* ---- session threads --------------------------------------------------------------- */

struct session_start {
        struct server_session session;
        server_session_fn run;
};

static void *session_thread(void *arg)
{
        struct session_start *start = arg;
        start->run(&start->session);
        free(start);
        /* Last: once the counter drops, the main thread may return and
         * the process exit. */
        atomic_fetch_sub(&active_sessions, 1);
        return NULL;
}

/* Hand fd to a new detached thread. The slot in the session counter was
 * taken by the caller; on failure the caller refuses and releases it. */
static bool start_session(int fd, int tag, const struct sockaddr_storage *peer,
                          socklen_t peer_len, server_session_fn run, void *context)
{
        struct session_start *start = calloc(1, sizeof *start);
        if (start == NULL)
                return false;
        start->run = run;
        start->session.fd = fd;
        start->session.id = atomic_fetch_add(&next_session_id, 1) + 1;
        start->session.listener_tag = tag;
        start->session.shutdown_fd = shutdown_pipe[0];
        start->session.context = context;
        address_literal(peer, peer_len, start->session.peer, sizeof start->session.peer);
        struct sockaddr_storage local;
        socklen_t local_len = sizeof local;
        if (getsockname(fd, (struct sockaddr *)&local, &local_len) == 0)
                address_literal(&local, local_len, start->session.local,
                                sizeof start->session.local);
        else
                snprintf(start->session.local, sizeof start->session.local, "unknown");

        /* Detached: nobody joins a session, its resources go back to the
         * system when it returns (STYLE.md: thread leaks). The stack size
         * is explicit and small because session buffers live in the heap. */
        pthread_attr_t attr;
        pthread_t thread;
        bool ok = pthread_attr_init(&attr) == 0;
        if (ok) {
                ok = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
                     pthread_attr_setstacksize(&attr, SERVER_THREAD_STACK_SIZE) == 0 &&
                     pthread_create(&thread, &attr, session_thread, start) == 0;
                pthread_attr_destroy(&attr);
        }
        if (!ok)
                free(start);
        return ok;
}

/* RFC 1122 §4.2.3.4: Nagle's algorithm holds back a short segment while
 * earlier data is unacknowledged. common/conn already gathers each reply
 * into one write, so there is nothing left for Nagle to merge; all it did
 * was hold the tail of a long multi-line response (a 10,000-line POP3
 * LIST) until the client's delayed ACK came, up to 40 ms later (RFC 1122
 * §4.2.3.2). A failure only costs that latency, so it is not an error. */
bool server_tune_connection(int fd)
{
        int one = 1;
        return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0;
}

/* Accept the pending connections on one listener: until EAGAIN, or
 * ACCEPT_BATCH_MAX of them so a flood cannot keep the loop from seeing the
 * shutdown flag. Never fails: a server must not die on a transient error
 * (STYLE.md). */
static void accept_pending(const struct server *srv, size_t index, unsigned max_connections,
                           server_session_fn session, server_refuse_fn refuse, void *context,
                           bool *in_error_burst)
{
        for (int accepted = 0; accepted < ACCEPT_BATCH_MAX; accepted++) {
                struct sockaddr_storage peer;
                socklen_t peer_len = sizeof peer;
                /* On Linux the new socket does not inherit O_NONBLOCK from
                 * the listener: sessions get an ordinary blocking fd and
                 * bound their waits with poll(). */
                int fd = accept4(srv->listener_fds[index], (struct sockaddr *)&peer, &peer_len,
                                 SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                return;
                        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                                continue;   /* the client gave up; next one */
                        /* Out of descriptors or memory: the connection waits
                         * in the backlog. Log once per burst, pause, and go
                         * back to poll() so the signal pipe is still seen. */
                        if (!*in_error_burst)
                                log_warn(0, "accept on %s: %s; backing off",
                                         srv->listener_names[index], strerror(errno));
                        *in_error_burst = true;
                        sleep_ms(ACCEPT_BACKOFF_MS);
                        return;
                }
                *in_error_burst = false;
                server_tune_connection(fd);

                /* Take a slot first, then check: two accepts can never both
                 * see "one slot left". Past the cap the client gets one
                 * line; a fresh socket's send buffer is empty, so the
                 * short write cannot block the accept loop. */
                unsigned before = atomic_fetch_add(&active_sessions, 1);
                if (before >= max_connections) {
                        atomic_fetch_sub(&active_sessions, 1);
                        log_warn(0, "too many connections (%u); refusing one", before);
                        if (refuse != NULL)
                                refuse(fd);
                        close(fd);
                        continue;
                }
                if (!start_session(fd, srv->listener_tags[index], &peer, peer_len, session,
                                   context)) {
                        atomic_fetch_sub(&active_sessions, 1);
                        log_err(0, "cannot start a session thread; refusing one connection");
                        if (refuse != NULL)
                                refuse(fd);
                        close(fd);
                }
        }
}

static double monotonic_seconds(void)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

int server_run(struct server *srv, unsigned max_connections, server_session_fn session,
               server_refuse_fn refuse, server_reload_fn reload, void *context)
{
        /* Idempotent; protects a caller that forgot. Threads created below
         * inherit the mask, so only the signal thread takes the signals. */
        server_block_signals();
        if (pipe2(wake_pipe, O_CLOEXEC) != 0 || pipe2(shutdown_pipe, O_CLOEXEC) != 0) {
                log_err(0, "pipe: %s", strerror(errno));
                return -1;
        }
        struct server_signal_args signal_args = { .reload = reload };
        pthread_t signals;
        if (pthread_create(&signals, NULL, signal_thread, &signal_args) != 0) {
                log_err(0, "cannot start the signal thread");
                return -1;
        }

        struct pollfd fds[SERVER_LISTENERS_MAX + 1];
        size_t count = srv->listener_count;
        for (size_t i = 0; i < count; i++)
                fds[i] = (struct pollfd){ .fd = srv->listener_fds[i], .events = POLLIN };
        fds[count] = (struct pollfd){ .fd = wake_pipe[0], .events = POLLIN };

        bool in_error_burst = false;
        while (!atomic_load(&shutting_down)) {
                int ready = poll(fds, (nfds_t)count + 1, -1);
                if (ready < 0) {
                        if (errno != EINTR) {
                                log_warn(0, "poll: %s", strerror(errno));
                                sleep_ms(ACCEPT_BACKOFF_MS);
                        }
                        continue;
                }
                for (size_t i = 0; i < count && !atomic_load(&shutting_down); i++)
                        if (fds[i].revents & POLLIN)
                                accept_pending(srv, i, max_connections, session, refuse,
                                               context, &in_error_burst);
        }

        /* Stop accepting first, then tell the sessions: no connection can
         * arrive after the sessions were told to finish. */
        for (size_t i = 0; i < count; i++)
                close(srv->listener_fds[i]);
        srv->listener_count = 0;
        char byte = 0;
        while (write(shutdown_pipe[1], &byte, 1) < 0 && errno == EINTR)
                continue;
        unsigned running = atomic_load(&active_sessions);
        if (running > 0)
                log_info(0, "waiting for %u session(s) to finish", running);

        /* Sessions get SERVER_SHUTDOWN_GRACE_SECONDS to finish a command
         * (common/conn), plus two seconds to say goodbye and close. */
        double deadline = monotonic_seconds() + SERVER_SHUTDOWN_GRACE_SECONDS + 2;
        while (atomic_load(&active_sessions) > 0 && monotonic_seconds() < deadline)
                sleep_ms(20);
        pthread_join(signals, NULL);

        running = atomic_load(&active_sessions);
        if (running > 0) {
                /* The pipes stay open: a late session may still poll them
                 * until the process exits. */
                log_warn(0, "%u session(s) still running after the grace period", running);
        } else {
                close(wake_pipe[0]);
                close(wake_pipe[1]);
                close(shutdown_pipe[0]);
                close(shutdown_pipe[1]);
                wake_pipe[0] = wake_pipe[1] = shutdown_pipe[0] = shutdown_pipe[1] = -1;
                log_info(0, "stopped");
        }
        return 0;
}
