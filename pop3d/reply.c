/* SPDX-License-Identifier: MIT
 *
 * reply.c - the one place that writes POP3 status lines and multi-line
 * responses.
 *
 * RFC 1939 §3: a response is a status indicator, "+OK" or "-ERR", possibly
 * followed by text, ended by CRLF; a multi-line response ends with a line
 * holding only "." and every other line that starts with "." gets a second
 * one. Thunderbird matches status lines with a pattern that requires the CR,
 * so no reply may end in a bare LF (THUNDERBIRD.md §1). Extended response
 * codes follow RFC 2449 §8: the first word of the -ERR text, in brackets.
 * Every line is copied to the trace with the running command's RFC tag, so
 * `--trace=explain` can say which section defines it.
 *
 * Standards:  RFC 1939 §3, RFC 2449 §4, RFC 2449 §8, RFC 3206 §4, RFC 3206 §5,
 *             RFC 5034 §4
 * Threads:    runs in the session's thread; touches no shared state.
 * Read next:  pop3d/session.c (the dispatcher that calls the handlers).
 */
#include "pop3d/reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "common/conn.h"
#include "common/limits.h"
#include "common/log.h"
#include "pop3d/session.h"

static const char *const pop3_code_names[] = {
        [POP3_CODE_NONE] = NULL,
        [POP3_CODE_AUTH] = "AUTH",
        [POP3_CODE_IN_USE] = "IN-USE",
        [POP3_CODE_SYS_TEMP] = "SYS/TEMP",
        [POP3_CODE_SYS_PERM] = "SYS/PERM",
};

/* Write line[0..len) plus CRLF and trace it. RFC 2449 §4: a response line is
 * at most 512 octets with its CRLF; our texts are short and the callers'
 * buffers are POP3_RESPONSE_LINE_MAX, so a longer one cannot be built. */
static void pop3_reply_send(struct pop3_session *s, const char *line, size_t len)
{
        trace_server(s->id, line, len, s->explain);
        conn_write(&s->conn, line, len);
        conn_write(&s->conn, "\r\n", 2);
}

/* Format prefix + text into buf (POP3_RESPONSE_LINE_MAX - 2 octets without
 * CRLF), cutting the text if it would not fit. Returns the length. */
static size_t pop3_reply_format(char *buf, size_t size, const char *prefix, const char *fmt,
                                va_list ap)
{
        int prefix_len = snprintf(buf, size, "%s", prefix);
        size_t len = (size_t)prefix_len;
        char text[POP3_RESPONSE_LINE_MAX];
        int text_len = vsnprintf(text, sizeof(text), fmt, ap);

        if (text_len > 0) {
                size_t wanted = strlen(text);

                if (len + 1 + wanted >= size)
                        wanted = size - len - 2;
                buf[len++] = ' ';
                memcpy(buf + len, text, wanted);
                len += wanted;
        }
        buf[len] = '\0';
        return len;
}

void pop3_reply_ok(struct pop3_session *s, const char *fmt, ...)
{
        char line[POP3_RESPONSE_LINE_MAX - 2];
        va_list ap;

        va_start(ap, fmt);
        size_t len = pop3_reply_format(line, sizeof(line), "+OK", fmt, ap);
        va_end(ap);
        pop3_reply_send(s, line, len);
}

void pop3_reply_err(struct pop3_session *s, enum pop3_code code, const char *fmt, ...)
{
        char prefix[32];
        char line[POP3_RESPONSE_LINE_MAX - 2];
        va_list ap;

        /* RFC 2449 §8: "-ERR [IN-USE] text"; the code is the first word. */
        if (code != POP3_CODE_NONE)
                snprintf(prefix, sizeof(prefix), "-ERR [%s]", pop3_code_names[code]);
        else
                snprintf(prefix, sizeof(prefix), "-ERR");
        va_start(ap, fmt);
        size_t len = pop3_reply_format(line, sizeof(line), prefix, fmt, ap);
        va_end(ap);
        pop3_reply_send(s, line, len);
}

/* RFC 5034 §4: 'a server challenge ... consists of a "+" followed by a
 * single space and a string encoded using Base64'. With an empty challenge
 * the line is "+ " exactly: Thunderbird waits for it after AUTH PLAIN. */
void pop3_reply_continue(struct pop3_session *s, const char *base64)
{
        char line[POP3_RESPONSE_LINE_MAX];
        int len = snprintf(line, sizeof(line) - 2, "+ %s", base64);

        if (len < 0 || (size_t)len >= sizeof(line) - 2)
                len = (int)strlen(line);
        pop3_reply_send(s, line, (size_t)len);
}

/* RFC 1939 §3: "If any line of the multi-line response begins with the
 * termination octet, the line is "byte-stuffed" by pre-pending the
 * termination octet to that line of the response." */
void pop3_reply_line(struct pop3_session *s, const char *fmt, ...)
{
        char line[POP3_RESPONSE_LINE_MAX];
        va_list ap;

        line[0] = '.';
        va_start(ap, fmt);
        vsnprintf(line + 1, sizeof(line) - 3, fmt, ap);
        va_end(ap);
        const char *start = line[1] == '.' ? line : line + 1;

        pop3_reply_send(s, start, strlen(start));
}

void pop3_reply_end(struct pop3_session *s)
{
        pop3_reply_send(s, ".", 1);
}
