/* SPDX-License-Identifier: MIT
 *
 * conn.h - one connection's buffered, time-limited line I/O.
 *
 * Reads fill a buffer with read(2) after poll(2) with a timeout; lines are
 * found in the buffer, never read one byte at a time. Writes are buffered
 * and sent by conn_flush() (or when the buffer fills). A struct conn is
 * owned by one session thread; nothing in it is shared.
 */
#ifndef COMMON_CONN_H
#define COMMON_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include "common/limits.h"

enum conn_result {
        CONN_LINE,      /* a whole line (or some bytes, for conn_peek) is ready */
        CONN_TOO_LONG,  /* the line was longer than allowed; it was consumed up to its LF */
        CONN_EOF,       /* the peer closed the connection */
        CONN_TIMEOUT,   /* no byte arrived within the timeout */
        CONN_SHUTDOWN,  /* the server is shutting down (see conn_init) */
        CONN_ERROR,     /* read/write failed; errno is set */
};

struct conn {
        int fd;
        int shutdown_fd;       /* readable once the server shuts down; -1: none */
        int timeout_ms;        /* for each wait on the peer */
        bool shutdown_seen;
        long long shutdown_deadline_ms;  /* grace end for conn_peek and writes, once seen */
        bool write_failed;     /* a write failed: later writes are dropped */
        size_t in_start, in_end;
        size_t out_len;
        char in[CONN_INPUT_BUFFER_SIZE];
        char out[CONN_OUTPUT_BUFFER_SIZE];
};

/* Prepare c for the socket fd. shutdown_fd (or -1) becomes readable when
 * the server begins to shut down: conn_read_line() then returns
 * CONN_SHUTDOWN instead of waiting for a new command, and conn_peek() gives
 * the peer SERVER_SHUTDOWN_GRACE_SECONDS to finish what it is sending. */
void conn_init(struct conn *c, int fd, int shutdown_fd, int timeout_seconds);
void conn_set_timeout(struct conn *c, int timeout_seconds);

/* Read one line into line[max], without its line ending, NUL-terminated;
 * *len_out is its length (the line may contain NUL bytes: callers check
 * memchr(line, 0, len)). max counts the CRLF, as RFC 5321 §4.5.3.1.4 does:
 * a line of max-2 octets plus CRLF fits, and line[] must have room for max
 * bytes. A line longer than that is consumed up to its LF and reported as
 * CONN_TOO_LONG, never split into two commands. A bare LF ends a line too
 * (DEVIATION: RFC 5321 §2.3.8, for people typing with nc); a CR before the
 * LF is removed, any other CR stays in the line for the caller to refuse. */
enum conn_result conn_read_line(struct conn *c, char *line, size_t max,
                                size_t *len_out);

/* Make at least one unread byte available and point *data_out at the
 * buffered bytes (*len_out of them) without consuming them; use
 * conn_consume() for what was used. For DATA, whose decoder must stop
 * exactly at the end of the message so that a pipelined command after it
 * stays in the buffer. */
enum conn_result conn_peek(struct conn *c, const char **data_out, size_t *len_out);
void conn_consume(struct conn *c, size_t n);

/* True when input is already buffered: the session should not flush yet
 * (RFC 2920 §3.1: replies to a pipelined group may go in one write). */
bool conn_has_buffered_input(const struct conn *c);

/* Buffered writes. They return 0, or -1 once any write to the peer has
 * failed (then nothing more is sent). A peer that stops reading fails the
 * write after the timeout, or at the end of the grace period once the
 * server shuts down. */
int conn_write(struct conn *c, const void *data, size_t len);
int conn_printf(struct conn *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
int conn_flush(struct conn *c);

#endif
