/* SPDX-License-Identifier: MIT
 *
 * check_pop3.h - a strict little POP3 client for the pop3d integration
 * tests (check_pop3_*.c), and helpers to start the daemon with mail in it.
 *
 * Unlike a forgiving client, every line it reads must end in CRLF and hold
 * no other CR or LF (THUNDERBIRD.md §1: Thunderbird rejects a status line
 * without the CR), so every test checks the line endings of every reply for
 * free. Implemented in check_pop3_support.c.
 */
#ifndef TESTS_INTEGRATION_CHECK_POP3_H
#define TESTS_INTEGRATION_CHECK_POP3_H

#include <stdbool.h>
#include <stddef.h>
#include "tests/support/harness.h"

/* Seconds a test waits for any one reply before it fails. */
#define POP3T_TIMEOUT_SECONDS 60

struct pop3t {
        int fd;
        size_t len;
        char buf[1 << 16];       /* unread input */
        char status[1024];       /* last status line, CRLF removed */
};

/* Connect to 127.0.0.1:port and read the greeting (must be +OK). */
void pop3t_connect(struct pop3t *p, unsigned port);
/* The same without asserting: 0, or -1 when the connection failed. */
int pop3t_try_connect(struct pop3t *p, unsigned port);
void pop3t_close(struct pop3t *p);

/* Read one line (CRLF required and removed) into line[size]. Returns its
 * length, or -1 on EOF or timeout. Fails the test on a bare CR or LF. */
long pop3t_read_line(struct pop3t *p, char *line, size_t size);

/* Read a status line into p->status: 1 "+OK", 0 "-ERR", 2 "+ "
 * continuation, -1 EOF/timeout. Fails the test on anything else. */
int pop3t_status(struct pop3t *p);

/* Send a line (CRLF appended) and read the status line. */
int pop3t_command(struct pop3t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Send bytes exactly as given. */
void pop3t_send(struct pop3t *p, const void *data, size_t len);

/* After a +OK, read a multi-line body up to the "." line into a malloc'd
 * buffer (NUL-terminated), each line followed by CRLF; with unstuff a
 * leading dot is removed as a client does (RFC 1939 §3). *count_out (may be
 * NULL) gets the number of lines. Fails the test on EOF. */
char *pop3t_multiline(struct pop3t *p, bool unstuff, size_t *len_out, size_t *count_out);

/* True when the server closes the connection within the timeout (any
 * bytes before the close are discarded). */
bool pop3t_closed(struct pop3t *p);

/* Connect and log in with USER/PASS; asserts success. */
void pop3t_login(struct pop3t *p, unsigned port, const char *user, const char *password);

/* Log in, retrying while the maildrop is still locked by a session the
 * server has not finished closing yet; returns the status of PASS. */
int pop3t_login_when_unlocked(struct pop3t *p, unsigned port, const char *user,
                              const char *password);

/* harness_init(), extra configuration (may be NULL), harness_start("pop3d"). */
void pop3t_start(struct harness *h, const char *extra);

/* Deliver data[0..len) into user's Maildir with maildir/ (as smtpd does). */
void pop3t_deliver(const struct harness *h, const char *user, const char *data, size_t len);

/* Write count small messages straight into user's new/ (for big maildrops).
 * Returns the total wire size. */
unsigned long long pop3t_make_messages(const struct harness *h, const char *user, size_t count);

/* Give the test root to the daemon's run_user when the tests run as root
 * (the daemon drops its privileges after binding). */
void pop3t_own(const struct harness *h);

/* Messages in new/ plus cur/ of user. */
int pop3t_count_messages(const struct harness *h, const char *user);

/* The PLAIN initial response for user/password, base64, into out[size]. */
void pop3t_plain_response(const char *user, const char *password, char *out, size_t size);

#endif
