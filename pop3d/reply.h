/* SPDX-License-Identifier: MIT
 *
 * reply.h - POP3 replies: "+OK text", "-ERR [CODE] text", "+ challenge", and
 * the lines of a multi-line response with its "." terminator (RFC 1939 §3).
 * Every line ends in CRLF and is copied to the trace.
 */
#ifndef POP3D_REPLY_H
#define POP3D_REPLY_H

#include <stddef.h>

struct pop3_session;

/* RFC 2449 §8 and RFC 3206: the extended response codes we send. */
enum pop3_code {
        POP3_CODE_NONE,
        POP3_CODE_AUTH,        /* [AUTH]: the credentials were wrong (RFC 3206 §5) */
        POP3_CODE_IN_USE,      /* [IN-USE]: the maildrop is locked (RFC 2449 §8.1.2) */
        POP3_CODE_SYS_TEMP,    /* [SYS/TEMP]: a server fault that may go away (RFC 3206 §4) */
        POP3_CODE_SYS_PERM,    /* [SYS/PERM]: a server fault that will not (RFC 3206 §4) */
};

/* "+OK" and, when the formatted text is not empty, a space and the text. */
void pop3_reply_ok(struct pop3_session *s, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* "-ERR", the code in brackets unless POP3_CODE_NONE, then the text. */
void pop3_reply_err(struct pop3_session *s, enum pop3_code code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* A SASL continuation (RFC 5034 §4): "+ " and the base64 challenge, which
 * may be empty: then exactly "+ " CRLF. */
void pop3_reply_continue(struct pop3_session *s, const char *base64);

/* One line of a multi-line response; a leading "." is doubled (RFC 1939 §3). */
void pop3_reply_line(struct pop3_session *s, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* The terminating "." line of a multi-line response. */
void pop3_reply_end(struct pop3_session *s);

#endif
