/* SPDX-License-Identifier: MIT
 *
 * client.c - a tiny SMTP/POP3 client for tests.
 *
 * Every wait is a poll() with a timeout, so a server that hangs fails the
 * test instead of hanging the suite: 5 s for a reply line, 10 s of
 * inactivity while a long multi-line body streams in. Input is buffered
 * in struct client; lines are found in the buffer, never read byte by byte.
 *
 * No Check macros here: benchmark and interoperability code use it too.
 *
 * Standards:  RFC 5321 §4.2 (reply lines), RFC 1939 §3 (status lines and
 *             multi-line responses).
 * Threads:    one struct client per thread.
 * Read next:  tests/support/harness.c.
 */
#include "tests/support/client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CLIENT_REPLY_TIMEOUT_MS 5000
#define CLIENT_BODY_TIMEOUT_MS 10000
#define CLIENT_REPLY_LINES_MAX 1000

int client_connect(struct client *c, const char *host, unsigned port)
{
        c->fd = -1;
        c->len = 0;
        c->last[0] = '\0';
        struct sockaddr_storage address;
        socklen_t address_len;
        memset(&address, 0, sizeof address);
        struct sockaddr_in *v4 = (struct sockaddr_in *)&address;
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&address;
        if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
                v4->sin_family = AF_INET;
                v4->sin_port = htons((unsigned short)port);
                address_len = sizeof *v4;
        } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
                v6->sin6_family = AF_INET6;
                v6->sin6_port = htons((unsigned short)port);
                address_len = sizeof *v6;
        } else {
                return -1;
        }
        int fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        /* Connect without blocking, then wait with a timeout. */
        int flags = fcntl(fd, F_GETFL);
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        if (connect(fd, (struct sockaddr *)&address, address_len) != 0) {
                if (errno != EINPROGRESS) {
                        close(fd);
                        return -1;
                }
                struct pollfd p = { .fd = fd, .events = POLLOUT };
                int error = 0;
                socklen_t error_len = sizeof error;
                if (poll(&p, 1, CLIENT_REPLY_TIMEOUT_MS) != 1 ||
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_len) != 0 || error != 0) {
                        close(fd);
                        return -1;
                }
        }
        fcntl(fd, F_SETFL, flags);
        c->fd = fd;
        return 0;
}

void client_close(struct client *c)
{
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        c->len = 0;
}

int client_send(struct client *c, const void *data, size_t len)
{
        const char *p = data;
        while (len > 0) {
                /* MSG_NOSIGNAL: a server that closed must fail the send,
                 * not kill the test process with SIGPIPE. */
                ssize_t sent = send(c->fd, p, len, MSG_NOSIGNAL);
                if (sent < 0) {
                        if (errno == EINTR)
                                continue;
                        return -1;
                }
                p += sent;
                len -= (size_t)sent;
        }
        return 0;
}

/* Format a line and append CRLF; malloc'd so long test lines fit. */
static char *format_line(const char *fmt, va_list ap, size_t *len_out)
{
        va_list copy;
        va_copy(copy, ap);
        int len = vsnprintf(NULL, 0, fmt, copy);
        va_end(copy);
        if (len < 0)
                return NULL;
        char *line = malloc((size_t)len + 3);
        if (line == NULL)
                return NULL;
        vsnprintf(line, (size_t)len + 1, fmt, ap);
        memcpy(line + len, "\r\n", 3);
        *len_out = (size_t)len + 2;
        return line;
}

int client_sendf(struct client *c, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        size_t len = 0;
        char *line = format_line(fmt, ap, &len);
        va_end(ap);
        if (line == NULL)
                return -1;
        int result = client_send(c, line, len);
        free(line);
        return result;
}

/* Read more input into the buffer. Returns the bytes read, 0 on EOF, -1 on
 * error or when nothing came within timeout_ms. */
static ssize_t fill(struct client *c, int timeout_ms)
{
        if (c->len == sizeof c->buf)
                return -1;
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        int ready;
        while ((ready = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
                continue;
        if (ready != 1)
                return -1;
        ssize_t got;
        while ((got = read(c->fd, c->buf + c->len, sizeof c->buf - c->len)) < 0 &&
               errno == EINTR)
                continue;
        if (got > 0)
                c->len += (size_t)got;
        return got;
}

/* Make sure one whole line (through its LF) is buffered. Returns its
 * length including the LF; when the buffer is full without an LF, returns
 * the whole buffer as one piece (*complete_out false). -1 on EOF/timeout. */
static ssize_t buffered_line(struct client *c, int timeout_ms, bool *complete_out)
{
        size_t scanned = 0;
        for (;;) {
                char *lf = memchr(c->buf + scanned, '\n', c->len - scanned);
                if (lf != NULL) {
                        *complete_out = true;
                        return lf - c->buf + 1;
                }
                scanned = c->len;
                if (c->len == sizeof c->buf) {
                        *complete_out = false;
                        return (ssize_t)c->len;
                }
                if (fill(c, timeout_ms) <= 0)
                        return -1;
        }
}

static void consume(struct client *c, size_t n)
{
        memmove(c->buf, c->buf + n, c->len - n);
        c->len -= n;
}

/* Strip the line end: CRLF, or a bare LF (reported by the tests that care,
 * through c->last, which keeps the bytes as received). */
static size_t content_length(const char *line, size_t len)
{
        if (len > 0 && line[len - 1] == '\n')
                len--;
        if (len > 0 && line[len - 1] == '\r')
                len--;
        return len;
}

int client_read_line(struct client *c, char *line, size_t size)
{
        bool complete;
        ssize_t len = buffered_line(c, CLIENT_REPLY_TIMEOUT_MS, &complete);
        if (len < 0)
                return -1;
        size_t content = content_length(c->buf, (size_t)len);
        size_t copy = content < size ? content : size - 1;
        if (size > 0) {
                memcpy(line, c->buf, copy);
                line[copy] = '\0';
        }
        consume(c, (size_t)len);
        return (int)copy;
}

/* Append a received line, as received (CRLF kept), to c->last. */
static void remember(struct client *c, const char *line, size_t len, bool reset)
{
        size_t used = reset ? 0 : strlen(c->last);
        size_t room = sizeof c->last - used - 1;
        size_t copy = len < room ? len : room;
        memcpy(c->last + used, line, copy);
        c->last[used + copy] = '\0';
}

int client_smtp_reply(struct client *c)
{
        c->last[0] = '\0';
        /* RFC 5321 §4.2: "NNN-text" continues, "NNN text" (or "NNN") ends. */
        for (int lines = 0; lines < CLIENT_REPLY_LINES_MAX; lines++) {
                bool complete;
                ssize_t len = buffered_line(c, CLIENT_REPLY_TIMEOUT_MS, &complete);
                if (len < 0)
                        return -1;
                char head[5] = { 0 };
                memcpy(head, c->buf, len < 4 ? (size_t)len : 4);
                remember(c, c->buf, (size_t)len, lines == 0);
                consume(c, (size_t)len);
                if (len < 4 || head[0] < '2' || head[0] > '5' || head[1] < '0' || head[1] > '9' ||
                    head[2] < '0' || head[2] > '9')
                        return -1;
                if (head[3] != '-')
                        return (head[0] - '0') * 100 + (head[1] - '0') * 10 + (head[2] - '0');
        }
        return -1;
}

int client_smtp_command(struct client *c, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        size_t len = 0;
        char *line = format_line(fmt, ap, &len);
        va_end(ap);
        if (line == NULL)
                return -1;
        int sent = client_send(c, line, len);
        free(line);
        return sent == 0 ? client_smtp_reply(c) : -1;
}

int client_pop3_status(struct client *c)
{
        c->last[0] = '\0';
        bool complete;
        ssize_t len = buffered_line(c, CLIENT_REPLY_TIMEOUT_MS, &complete);
        if (len < 0)
                return -1;
        remember(c, c->buf, (size_t)len, true);
        size_t content = content_length(c->buf, (size_t)len);
        const char *line = c->buf;
        int result = -1;
        /* RFC 1939 §3: "+OK" or "-ERR", then a space and text, or nothing. */
        if (content >= 3 && memcmp(line, "+OK", 3) == 0 && (content == 3 || line[3] == ' '))
                result = 1;
        else if (content >= 4 && memcmp(line, "-ERR", 4) == 0 &&
                 (content == 4 || line[4] == ' '))
                result = 0;
        else if (content >= 1 && line[0] == '+' && (content == 1 || line[1] == ' '))
                result = 2;     /* RFC 5034 §4: a SASL continuation "+ " */
        consume(c, (size_t)len);
        return result;
}

char *client_pop3_multiline(struct client *c, bool unstuff, size_t *len_out)
{
        size_t capacity = 65536;
        size_t used = 0;
        char *body = malloc(capacity);
        bool at_line_start = true;
        while (body != NULL) {
                bool complete;
                ssize_t got = buffered_line(c, CLIENT_BODY_TIMEOUT_MS, &complete);
                if (got < 0)
                        break;
                size_t len = (size_t)got;
                const char *line = c->buf;
                /* RFC 1939 §3: the body ends with a line of one ".", and a
                 * line starting with "." was sent with another "." first. */
                if (at_line_start && complete && len == 3 && memcmp(line, ".\r\n", 3) == 0) {
                        consume(c, len);
                        body[used] = '\0';
                        if (len_out != NULL)
                                *len_out = used;
                        return body;
                }
                size_t skip = 0;
                if (at_line_start && unstuff && len >= 2 && line[0] == '.' && line[1] == '.')
                        skip = 1;
                if (capacity - used <= len) {
                        size_t grown_size = capacity * 2 + len;
                        char *grown = realloc(body, grown_size);
                        if (grown == NULL)
                                break;
                        body = grown;
                        capacity = grown_size;
                }
                memcpy(body + used, line + skip, len - skip);
                used += len - skip;
                consume(c, len);
                at_line_start = complete;
        }
        free(body);
        return NULL;
}

bool client_wait_closed(struct client *c)
{
        c->len = 0;
        errno = 0;
        for (int reads = 0; reads < 10000; reads++) {
                ssize_t got = fill(c, CLIENT_REPLY_TIMEOUT_MS);
                if (got == 0)
                        return true;
                if (got < 0)
                        return errno == ECONNRESET;
                c->len = 0;     /* discard whatever the server still sent */
                errno = 0;
        }
        return false;
}
