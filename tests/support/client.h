/* SPDX-License-Identifier: MIT
 *
 * client.h - a tiny protocol client for tests: connect, send raw bytes or
 * a line, read a (multi-line) reply, with timeouts so a hung server fails
 * a test instead of hanging it.
 */
#ifndef TESTS_SUPPORT_CLIENT_H
#define TESTS_SUPPORT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct client {
        int fd;
        size_t len;
        char buf[65536];         /* unread input */
        char last[65536];        /* last reply read, all lines, CRLFs kept */
};

/* Connect to host:port (IPv4 or IPv6 literal). Returns 0 or -1. */
int client_connect(struct client *c, const char *host, unsigned port);
void client_close(struct client *c);

/* Send bytes exactly as given. Returns 0 or -1. */
int client_send(struct client *c, const void *data, size_t len);
/* Send a line with CRLF appended (printf format). */
int client_sendf(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read one line (up to 5 s), CRLF removed, into line[size]. Returns its
 * length, or -1 on EOF/timeout. */
int client_read_line(struct client *c, char *line, size_t size);

/* SMTP: read a whole reply (all "NNN-" lines up to "NNN "), store it in
 * c->last and return the code, or -1 on EOF/timeout. */
int client_smtp_reply(struct client *c);
/* Send a command line and return the reply code. */
int client_smtp_command(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* POP3: read one status line into c->last; returns 1 for +OK, 0 for -ERR,
 * 2 for a "+ " continuation, -1 on EOF/timeout. */
int client_pop3_status(struct client *c);
/* Read a multi-line body up to the "." line into a malloc'd buffer, lines
 * kept byte-stuffed as on the wire unless unstuff is true. NULL on error. */
char *client_pop3_multiline(struct client *c, bool unstuff, size_t *len_out);

/* True when the connection was closed by the server (EOF within 5 s). */
bool client_wait_closed(struct client *c);

#endif
