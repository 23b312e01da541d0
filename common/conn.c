/* SPDX-License-Identifier: MIT
 *
 * conn.c - one connection's buffered, time-limited line I/O.
 *
 * Input: one buffer per connection, filled by read(2) only after poll(2)
 * said the socket is readable within the timeout. Lines are found in the
 * buffer with memchr(), so a client typing one byte at a time costs one
 * read per byte but a pipelining client costs one read per batch, and the
 * bytes after a line stay buffered for the next call (RFC 2920 §3.1).
 *
 * Output: one buffer, sent by conn_flush() or when it fills. A peer that
 * stops reading cannot hold a thread: every send waits with poll(2) and the
 * same timeout, and after the first failure output is dropped.
 *
 * Shutdown: the server makes shutdown_fd readable when it wants to stop.
 * Between commands we return CONN_SHUTDOWN at once; in the middle of DATA
 * (conn_peek) the peer gets SERVER_SHUTDOWN_GRACE_SECONDS to finish.
 *
 * Standards:  RFC 5321 §4.5.3.1.4, RFC 5321 §2.3.8, RFC 5321 §4.5.3.2,
 *             RFC 2920 §3.1, RFC 1939 §3
 * Threads:    a struct conn belongs to one session thread; no shared state.
 * Read next:  common/dot.c (what DATA does with conn_peek), smtpd/session.c.
 */
#include "common/conn.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Both flags exist on Linux and the BSDs. Where one is missing, the daemon
 * has to ignore SIGPIPE itself and send() may block on a full socket. */
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif
#ifndef MSG_DONTWAIT
#define MSG_DONTWAIT 0
#endif

static long long conn_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void conn_set_timeout(struct conn *c, int timeout_seconds)
{
        /* RFC 5321 §4.5.3.2 and RFC 1939 §3 want minutes; tests use seconds.
         * A negative value means no timeout at all (poll's -1). */
        if (timeout_seconds < 0)
                c->timeout_ms = -1;
        else if (timeout_seconds > INT_MAX / 1000)
                c->timeout_ms = INT_MAX;
        else
                c->timeout_ms = timeout_seconds * 1000;
}

void conn_init(struct conn *c, int fd, int shutdown_fd, int timeout_seconds)
{
        c->fd = fd;
        c->shutdown_fd = shutdown_fd;
        c->shutdown_seen = false;
        c->shutdown_deadline_ms = 0;
        c->write_failed = false;
        c->in_start = 0;
        c->in_end = 0;
        c->out_len = 0;
        conn_set_timeout(c, timeout_seconds);
}

/* Milliseconds left until deadline_ms (-1: none), for poll(). */
static int conn_remaining_ms(long long deadline_ms)
{
        long long left;

        if (deadline_ms < 0)
                return -1;
        left = deadline_ms - conn_now_ms();
        if (left <= 0)
                return 0;
        return left > INT_MAX ? INT_MAX : (int)left;
}

/* Read once into the free end of the input buffer. Returns CONN_LINE when
 * bytes were added, CONN_EOF or CONN_ERROR otherwise. */
static enum conn_result conn_read_some(struct conn *c)
{
        /* Compact: move the unread bytes to the front when the free space at
         * the end is gone. Lines are at most the buffer size, so this keeps
         * any line that can fit. */
        if (c->in_start == c->in_end) {
                c->in_start = 0;
                c->in_end = 0;
        } else if (c->in_end == sizeof(c->in) && c->in_start > 0) {
                memmove(c->in, c->in + c->in_start, c->in_end - c->in_start);
                c->in_end -= c->in_start;
                c->in_start = 0;
        }
        if (c->in_end == sizeof(c->in))
                return CONN_LINE;       /* full: the caller decides (too long) */
        for (;;) {
                ssize_t n = read(c->fd, c->in + c->in_end, sizeof(c->in) - c->in_end);

                if (n > 0) {
                        c->in_end += (size_t)n;
                        return CONN_LINE;
                }
                if (n == 0)
                        return CONN_EOF;
                if (errno == EINTR)
                        continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                        return CONN_LINE;       /* spurious wake-up: poll again */
                return CONN_ERROR;
        }
}

/* One poll() on the peer (for events) and, until the shutdown was seen, on
 * the shutdown pipe. That pipe stays readable once written, so it is
 * polled only until seen; seeing it starts the grace period. Returns what
 * poll() returns; *peer_ready says whether the peer's descriptor fired and
 * *shutdown_now whether this call saw the shutdown. */
static int conn_poll(struct conn *c, short events, int wait_ms, bool *peer_ready,
                     bool *shutdown_now)
{
        struct pollfd fds[2];
        nfds_t nfds = 1;

        fds[0].fd = c->fd;
        fds[0].events = events;
        fds[0].revents = 0;
        if (c->shutdown_fd >= 0 && !c->shutdown_seen) {
                fds[1].fd = c->shutdown_fd;
                fds[1].events = POLLIN;
                fds[1].revents = 0;
                nfds = 2;
        }
        *peer_ready = false;
        *shutdown_now = false;
        int ready = poll(fds, nfds, wait_ms);
        if (ready <= 0)
                return ready;
        if (nfds == 2 && fds[1].revents != 0) {
                c->shutdown_seen = true;
                c->shutdown_deadline_ms = conn_now_ms() + SERVER_SHUTDOWN_GRACE_SECONDS * 1000LL;
                *shutdown_now = true;
        }
        *peer_ready = fds[0].revents != 0;
        return ready;
}

/* Wait until the peer sends something, then read it. while_busy is true in
 * the middle of a DATA transfer: a shutdown then starts the grace period
 * instead of ending the wait. Returns CONN_LINE when bytes were read (or
 * when a spurious wake-up means the caller should look and call again). */
static enum conn_result conn_fill(struct conn *c, bool while_busy)
{
        long long deadline = c->timeout_ms < 0 ? -1 : conn_now_ms() + c->timeout_ms;

        for (;;) {
                bool grace_limits = false;
                bool peer_ready, shutdown_now;
                int wait_ms = conn_remaining_ms(deadline);

                if (c->shutdown_seen) {
                        /* Between commands: stop now. In DATA: wait, but
                         * never past the end of the grace period. */
                        int grace_ms = conn_remaining_ms(c->shutdown_deadline_ms);
                        if (!while_busy || grace_ms == 0)
                                return CONN_SHUTDOWN;
                        if (wait_ms < 0 || grace_ms < wait_ms) {
                                wait_ms = grace_ms;
                                grace_limits = true;
                        }
                }
                int ready = conn_poll(c, POLLIN, wait_ms, &peer_ready, &shutdown_now);
                if (ready < 0) {
                        if (errno == EINTR)
                                continue;
                        return CONN_ERROR;
                }
                if (peer_ready)
                        return conn_read_some(c);
                if (shutdown_now) {
                        if (!while_busy)
                                return CONN_SHUTDOWN;
                        continue;
                }
                if (ready == 0)
                        return grace_limits ? CONN_SHUTDOWN : CONN_TIMEOUT;
        }
}

/* Hand out the line ending at in[newline] (the LF): strip one CR before
 * it, check the length, copy, consume through the LF. */
static enum conn_result conn_take_line(struct conn *c, size_t newline, char *line,
                                       size_t text_max, size_t *len_out)
{
        size_t len = newline - c->in_start;

        if (len > 0 && c->in[newline - 1] == '\r')
                len--;
        if (len > text_max) {
                c->in_start = newline + 1;
                return CONN_TOO_LONG;
        }
        memcpy(line, c->in + c->in_start, len);
        line[len] = '\0';
        *len_out = len;
        c->in_start = newline + 1;
        return CONN_LINE;
}

enum conn_result conn_read_line(struct conn *c, char *line, size_t max, size_t *len_out)
{
        /* RFC 5321 §4.5.3.1.4 (MUST): the limit counts the CRLF, so the text
         * of a line may be max - 2 octets. A bare-LF line gets the same
         * text limit, so what fits does not depend on how it was typed. */
        size_t text_max = max >= 2 ? max - 2 : 0;
        size_t scanned = 0;     /* bytes after in_start known to hold no LF */
        bool discarding = false;

        *len_out = 0;
        if (max == 0) {
                errno = EINVAL;
                return CONN_ERROR;
        }
        for (;;) {
                const char *start = c->in + c->in_start + scanned;
                size_t unscanned = c->in_end - c->in_start - scanned;
                const char *lf = memchr(start, '\n', unscanned);

                if (lf != NULL) {
                        size_t newline = (size_t)(lf - c->in);

                        /* DEVIATION: RFC 5321 §2.3.8 — a bare LF ends a
                         * command line too, because students type with nc;
                         * never inside DATA (common/dot.c is strict). */
                        if (discarding) {
                                c->in_start = newline + 1;
                                return CONN_TOO_LONG;
                        }
                        return conn_take_line(c, newline, line, text_max, len_out);
                }
                scanned += unscanned;
                /* No LF yet. With more than text_max + 1 bytes (the +1 for a
                 * CR that may still turn out to precede the LF) the line is
                 * already too long: discard what we have and keep reading
                 * up to its LF, so its tail is never taken for a command. */
                if (discarding || scanned > text_max + 1 || scanned == sizeof(c->in)) {
                        discarding = true;
                        c->in_start = c->in_end;
                        scanned = 0;
                }
                enum conn_result r = conn_fill(c, false);
                /* EOF with a partial line: the fragment is not a command. */
                if (r != CONN_LINE)
                        return r;
        }
}

enum conn_result conn_peek(struct conn *c, const char **data_out, size_t *len_out)
{
        *data_out = NULL;
        *len_out = 0;
        while (c->in_start == c->in_end) {
                enum conn_result r = conn_fill(c, true);

                if (r != CONN_LINE)
                        return r;
        }
        *data_out = c->in + c->in_start;
        *len_out = c->in_end - c->in_start;
        return CONN_LINE;
}

void conn_consume(struct conn *c, size_t n)
{
        size_t buffered = c->in_end - c->in_start;

        c->in_start += n < buffered ? n : buffered;
}

bool conn_has_buffered_input(const struct conn *c)
{
        return c->in_start < c->in_end;
}

/* Mark the connection dead for output: later writes are dropped so that a
 * session can finish its bookkeeping without checking every reply. */
static int conn_write_failure(struct conn *c)
{
        c->write_failed = true;
        c->out_len = 0;
        return -1;
}

/* Wait until the peer can take more output, at most the timeout: a client
 * that never reads must not hold a session thread forever. Nor may it hold
 * up a shutdown: once the server shuts down, the wait ends with the grace
 * period, as a DATA transfer does in conn_fill(). */
static int conn_wait_writable(struct conn *c)
{
        for (;;) {
                bool peer_ready, shutdown_now;
                int wait_ms = c->timeout_ms;

                if (c->shutdown_seen) {
                        int grace_ms = conn_remaining_ms(c->shutdown_deadline_ms);
                        if (wait_ms < 0 || grace_ms < wait_ms)
                                wait_ms = grace_ms;
                }
                int ready = conn_poll(c, POLLOUT, wait_ms, &peer_ready, &shutdown_now);
                if (ready < 0) {
                        if (errno == EINTR)
                                continue;
                        return -1;
                }
                if (peer_ready)
                        return 0;
                if (ready == 0) {
                        errno = ETIMEDOUT;
                        return -1;
                }
        }
}

int conn_flush(struct conn *c)
{
        bool is_socket = true;
        size_t sent = 0;

        if (c->write_failed)
                return -1;
        while (sent < c->out_len) {
                size_t left = c->out_len - sent;
                ssize_t n;

                if (is_socket) {
                        /* MSG_NOSIGNAL: a peer that closed gives EPIPE, not a
                         * SIGPIPE that would kill every session of the
                         * daemon. MSG_DONTWAIT: never block in send(); wait
                         * in poll() where the timeout applies. */
                        n = send(c->fd, c->out + sent, left, MSG_NOSIGNAL | MSG_DONTWAIT);
                        if (n < 0 && errno == ENOTSOCK) {
                                is_socket = false;
                                continue;
                        }
                } else {
                        /* A pipe (the tests): after POLLOUT a write of at
                         * most PIPE_BUF bytes does not block. */
                        if (conn_wait_writable(c) < 0)
                                return conn_write_failure(c);
                        n = write(c->fd, c->out + sent, left < PIPE_BUF ? left : PIPE_BUF);
                }
                if (n > 0) {
                        sent += (size_t)n;
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        if (is_socket && conn_wait_writable(c) < 0)
                                return conn_write_failure(c);
                        continue;
                }
                if (n == 0)
                        errno = EIO;
                return conn_write_failure(c);
        }
        c->out_len = 0;
        return 0;
}

int conn_write(struct conn *c, const void *data, size_t len)
{
        const char *bytes = data;

        if (c->write_failed)
                return -1;
        while (len > 0) {
                size_t room = sizeof(c->out) - c->out_len;
                size_t chunk = len < room ? len : room;

                memcpy(c->out + c->out_len, bytes, chunk);
                c->out_len += chunk;
                bytes += chunk;
                len -= chunk;
                if (c->out_len == sizeof(c->out) && conn_flush(c) < 0)
                        return -1;
        }
        return 0;
}

int conn_printf(struct conn *c, const char *fmt, ...)
{
        char small[1024];
        va_list args;
        int n;

        if (c->write_failed)
                return -1;
        va_start(args, fmt);
        n = vsnprintf(small, sizeof(small), fmt, args);
        va_end(args);
        if (n < 0)
                return -1;
        if ((size_t)n < sizeof(small))
                return conn_write(c, small, (size_t)n);

        /* Rare: a long reply (a big multi-line LIST is sent line by line). */
        char *big = malloc((size_t)n + 1);
        int result;

        if (big == NULL)
                return -1;
        va_start(args, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, args);
        va_end(args);
        result = conn_write(c, big, (size_t)n);
        free(big);
        return result;
}
