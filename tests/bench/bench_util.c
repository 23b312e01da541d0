/* SPDX-License-Identifier: MIT
 *
 * bench_util.c - clocks, messages, sockets and /proc for the benchmark.
 *
 * The client side of the benchmark must not be the bottleneck it measures,
 * so input is buffered (one read() fills 64 KiB; lines are found in the
 * buffer) and every wait is a poll() bounded by the scenario's deadline, so a
 * stuck daemon ends the run with a message instead of hanging `make bench`.
 *
 * Standards:  RFC 5321 §4.2, RFC 5321 §4.5.2, RFC 1939 §3
 * Threads:    everything here is per connection or pure; safe from any thread.
 * Read next:  tests/bench/bench_smtp.c.
 */
#include "tests/bench/bench.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

double bench_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_left(double deadline)
{
        double left = deadline - bench_now();
        return left > 0 ? left : 0;
}

void bench_fail(const char *fmt, ...)
{
        va_list args;
        va_start(args, fmt);
        fprintf(stderr, "mailbench: ");
        vfprintf(stderr, fmt, args);
        fprintf(stderr, "\n");
        va_end(args);
        exit(1);
}

/* Lines of at most 76 characters plus the line end, filling the message to
 * exactly size octets on the wire. No line starts with "." (RFC 5321 §4.5.2
 * stuffing would change the size on the wire). */
static char *build_message(size_t size, unsigned serial, bool crlf, size_t *len_out,
                           size_t *wire_out)
{
        const char *eol = crlf ? "\r\n" : "\n";
        size_t eol_len = crlf ? 2 : 1;
        char header[512];
        int header_len = snprintf(header, sizeof header,
                                  "From: bench@localhost%sTo: bench@localhost%s"
                                  "Subject: bench message %u%sMessage-ID: <bench-%u@localhost>%s%s",
                                  eol, eol, serial, eol, serial, eol, eol);
        size_t header_lines = 5;
        size_t header_wire = (size_t)header_len + (crlf ? 0 : header_lines);
        size_t capacity = (size < header_wire ? header_wire : size) + 256;
        char *out = malloc(capacity);
        if (out == NULL)
                bench_fail("out of memory");
        memcpy(out, header, (size_t)header_len);
        size_t len = (size_t)header_len;
        size_t wire = header_wire;
        unsigned column = serial;
        while (size > wire + 1) {
                size_t remaining = size - wire;
                size_t text = remaining - 2 < 76 ? remaining - 2 : 76;
                if (remaining - (text + 2) == 1)
                        text--;
                for (size_t i = 0; i < text; i++)
                        out[len++] = (char)('a' + (column + i) % 26);
                column += 7;
                memcpy(out + len, eol, eol_len);
                len += eol_len;
                wire += text + 2;
        }
        out[len] = '\0';
        *len_out = len;
        *wire_out = wire;
        return out;
}

char *bench_message(size_t size, unsigned serial)
{
        size_t len, wire;
        return build_message(size, serial, true, &len, &wire);
}

char *bench_message_lf(size_t size, unsigned serial, size_t *len_out, size_t *wire_size_out)
{
        return build_message(size, serial, false, len_out, wire_size_out);
}

long bench_count_files(const char *dir)
{
        DIR *d = opendir(dir);
        if (d == NULL)
                return -1;
        long count = 0;
        struct dirent *entry;
        while ((entry = readdir(d)) != NULL)
                if (entry->d_name[0] != '.')
                        count++;
        closedir(d);
        return count;
}

long bench_proc_status(pid_t pid, const char *field)
{
        char path[64], line[256];
        snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
        FILE *f = fopen(path, "r");
        if (f == NULL)
                return -1;
        long value = -1;
        size_t field_len = strlen(field);
        while (fgets(line, sizeof line, f) != NULL) {
                if (strncmp(line, field, field_len) == 0 && line[field_len] == ':') {
                        value = strtol(line + field_len + 1, NULL, 10);
                        break;
                }
        }
        fclose(f);
        return value;
}

unsigned long bench_raise_fd_limit(unsigned long want)
{
        struct rlimit limit;
        if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
                return 0;
        if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < want) {
                /* Only root may raise the hard limit; others keep what they have. */
                struct rlimit higher = { .rlim_cur = want, .rlim_max = want };
                if (setrlimit(RLIMIT_NOFILE, &higher) == 0)
                        return want;
        }
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
        return (unsigned long)limit.rlim_cur;
}

int bench_connect(struct bench_conn *c, unsigned port)
{
        c->start = 0;
        c->end = 0;
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        if (c->fd < 0)
                return -1;
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(c->fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
                close(c->fd);
                c->fd = -1;
                return -1;
        }
        /* Commands are small writes answered one by one: no Nagle delay. */
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return 0;
}

void bench_close(struct bench_conn *c)
{
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
}

static bool wait_for(int fd, short events, double deadline)
{
        for (;;) {
                double left = bench_left(deadline);
                if (left <= 0)
                        return false;
                struct pollfd pfd = { .fd = fd, .events = events };
                int ready = poll(&pfd, 1, (int)(left * 1000) + 1);
                if (ready > 0)
                        return true;
                if (ready < 0 && errno != EINTR)
                        return false;
        }
}

int bench_send(struct bench_conn *c, const void *data, size_t len, double deadline)
{
        const char *p = data;
        while (len > 0) {
                if (!wait_for(c->fd, POLLOUT, deadline))
                        return -1;
                ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (n <= 0)
                        return -1;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

long bench_read_line(struct bench_conn *c, const char **line_out, double deadline)
{
        for (;;) {
                char *lf = memchr(c->buf + c->start, '\n', c->end - c->start);
                if (lf != NULL) {
                        char *line = c->buf + c->start;
                        size_t len = (size_t)(lf - line);
                        c->start += len + 1;
                        if (len > 0 && line[len - 1] == '\r')
                                len--;
                        *line_out = line;
                        return (long)len;
                }
                if (c->start > 0) {
                        memmove(c->buf, c->buf + c->start, c->end - c->start);
                        c->end -= c->start;
                        c->start = 0;
                }
                if (c->end == sizeof c->buf)
                        return -1;     /* a line longer than the buffer */
                if (!wait_for(c->fd, POLLIN, deadline))
                        return -1;
                ssize_t n = read(c->fd, c->buf + c->end, sizeof c->buf - c->end);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -1;
                c->end += (size_t)n;
        }
}

/* RFC 5321 §4.2: "NNN-text" lines continue a reply, "NNN text" ends it. */
int bench_smtp_reply(struct bench_conn *c, double deadline)
{
        for (;;) {
                const char *line;
                long len = bench_read_line(c, &line, deadline);
                if (len < 3)
                        return -1;
                if (len == 3 || line[3] != '-')
                        return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        }
}

int bench_pop3_status(struct bench_conn *c, double deadline)
{
        const char *line;
        long len = bench_read_line(c, &line, deadline);
        if (len < 0)
                return -1;
        if (len >= 3 && strncmp(line, "+OK", 3) == 0)
                return 1;
        return 0;
}

/* RFC 1939 §3: a multi-line response ends with a line of one ".". */
long bench_pop3_body(struct bench_conn *c, double deadline)
{
        long total = 0;
        for (;;) {
                const char *line;
                long len = bench_read_line(c, &line, deadline);
                if (len < 0)
                        return -1;
                if (len == 1 && line[0] == '.')
                        return total;
                total += len + 2;
        }
}
