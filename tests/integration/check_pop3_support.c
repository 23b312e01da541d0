/* SPDX-License-Identifier: MIT
 *
 * check_pop3_support.c - the strict POP3 test client and the mail helpers
 * shared by the check_pop3_*.c suites (declared in check_pop3.h).
 *
 * Reads go through poll() with a generous timeout so a hung server fails a
 * test instead of hanging it. Every line must end in CRLF (RFC 1939 §3);
 * a multi-line body is read up to the "." line and optionally unstuffed.
 *
 * Standards:  RFC 1939 §3, RFC 4616 §2, RFC 4648 §4
 * Threads:    used from one test process at a time.
 * Read next:  check_pop3_thunderbird.c (the sequences a real client sends).
 */
#define _GNU_SOURCE
#include "check_pop3.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/base64.h"
#include "common/dot.h"
#include "maildir/maildir.h"

int pop3t_try_connect(struct pop3t *p, unsigned port)
{
        struct sockaddr_in addr;

        memset(p, 0, sizeof(*p));
        memset(&addr, 0, sizeof(addr));
        addr.sin_family = AF_INET;
        addr.sin_port = htons((unsigned short)port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        p->fd = socket(AF_INET, SOCK_STREAM, 0);
        if (p->fd < 0)
                return -1;
        if (connect(p->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
                close(p->fd);
                p->fd = -1;
                return -1;
        }
        return 0;
}

void pop3t_connect(struct pop3t *p, unsigned port)
{
        ck_assert_int_eq(pop3t_try_connect(p, port), 0);
        ck_assert_int_eq(pop3t_status(p), 1);
        ck_assert_msg(strncmp(p->status, "+OK POP3 server ready", 21) == 0, "greeting: %s",
                      p->status);
}

void pop3t_close(struct pop3t *p)
{
        if (p->fd >= 0)
                close(p->fd);
        p->fd = -1;
}

/* Read more bytes into the buffer; false on EOF, error or timeout. */
static bool pop3t_fill(struct pop3t *p)
{
        struct pollfd pfd = { .fd = p->fd, .events = POLLIN };

        if (p->len == sizeof(p->buf))
                return false;
        for (;;) {
                int ready = poll(&pfd, 1, POP3T_TIMEOUT_SECONDS * 1000);

                if (ready < 0 && errno == EINTR)
                        continue;
                if (ready <= 0)
                        return false;
                ssize_t n = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return false;
                p->len += (size_t)n;
                return true;
        }
}

long pop3t_read_line(struct pop3t *p, char *line, size_t size)
{
        char *lf;

        while ((lf = memchr(p->buf, '\n', p->len)) == NULL) {
                if (!pop3t_fill(p))
                        return -1;
        }
        size_t total = (size_t)(lf - p->buf) + 1;

        /* THUNDERBIRD.md §1: CRLF on every line, never a bare LF. */
        ck_assert_msg(total >= 2 && p->buf[total - 2] == '\r', "line without CRLF: %.*s",
                      (int)total, p->buf);
        ck_assert_msg(memchr(p->buf, '\r', total - 2) == NULL, "bare CR inside a line");
        size_t len = total - 2;

        ck_assert_msg(len < size, "line of %zu octets too long for the test buffer", len);
        memcpy(line, p->buf, len);
        line[len] = '\0';
        memmove(p->buf, p->buf + total, p->len - total);
        p->len -= total;
        return (long)len;
}

int pop3t_status(struct pop3t *p)
{
        long len = pop3t_read_line(p, p->status, sizeof(p->status));

        if (len < 0) {
                p->status[0] = '\0';
                return -1;
        }
        /* RFC 2449 §4: a response line is at most 512 octets with CRLF. */
        ck_assert_int_le(len + 2, 512);
        if (strcmp(p->status, "+OK") == 0 || strncmp(p->status, "+OK ", 4) == 0)
                return 1;
        if (strcmp(p->status, "-ERR") == 0 || strncmp(p->status, "-ERR ", 5) == 0)
                return 0;
        if (strncmp(p->status, "+ ", 2) == 0)
                return 2;
        ck_abort_msg("not a status line: %s", p->status);
        return -1;
}

void pop3t_send(struct pop3t *p, const void *data, size_t len)
{
        const char *bytes = data;

        while (len > 0) {
                ssize_t n = write(p->fd, bytes, len);

                if (n < 0 && errno == EINTR)
                        continue;
                ck_assert_msg(n > 0, "write: %s", strerror(errno));
                bytes += n;
                len -= (size_t)n;
        }
}

int pop3t_command(struct pop3t *p, const char *fmt, ...)
{
        char line[16384];
        va_list ap;

        va_start(ap, fmt);
        int len = vsnprintf(line, sizeof(line) - 2, fmt, ap);
        va_end(ap);
        ck_assert(len >= 0 && (size_t)len < sizeof(line) - 2);
        memcpy(line + len, "\r\n", 2);
        pop3t_send(p, line, (size_t)len + 2);
        return pop3t_status(p);
}

char *pop3t_multiline(struct pop3t *p, bool unstuff, size_t *len_out, size_t *count_out)
{
        size_t cap = 65536;
        size_t len = 0;
        size_t count = 0;
        char *out = malloc(cap);
        static char line[1 << 16];

        ck_assert_ptr_nonnull(out);
        for (;;) {
                long n = pop3t_read_line(p, line, sizeof(line));

                ck_assert_msg(n >= 0, "connection closed inside a multi-line response");
                if (n == 1 && line[0] == '.')
                        break;
                const char *start = line;

                if (unstuff && line[0] == '.') {
                        start++;
                        n--;
                }
                while (len + (size_t)n + 3 > cap) {
                        cap *= 2;
                        out = realloc(out, cap);
                        ck_assert_ptr_nonnull(out);
                }
                memcpy(out + len, start, (size_t)n);
                len += (size_t)n;
                memcpy(out + len, "\r\n", 2);
                len += 2;
                count++;
        }
        out[len] = '\0';
        if (len_out != NULL)
                *len_out = len;
        if (count_out != NULL)
                *count_out = count;
        return out;
}

bool pop3t_closed(struct pop3t *p)
{
        for (;;) {
                p->len = 0;
                struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
                int ready = poll(&pfd, 1, POP3T_TIMEOUT_SECONDS * 1000);

                if (ready < 0 && errno == EINTR)
                        continue;
                if (ready <= 0)
                        return false;
                ssize_t n = read(p->fd, p->buf, sizeof(p->buf));

                if (n == 0 || (n < 0 && errno == ECONNRESET))
                        return true;
                if (n < 0 && errno != EINTR)
                        return false;
        }
}

void pop3t_login(struct pop3t *p, unsigned port, const char *user, const char *password)
{
        pop3t_connect(p, port);
        ck_assert_int_eq(pop3t_command(p, "USER %s", user), 1);
        ck_assert_msg(pop3t_command(p, "PASS %s", password) == 1, "PASS: %s", p->status);
        ck_assert_msg(strncmp(p->status, "+OK Logged in, ", 15) == 0, "%s", p->status);
}

int pop3t_login_when_unlocked(struct pop3t *p, unsigned port, const char *user,
                              const char *password)
{
        /* Bounded: 300 tries of 100 ms. The previous session's thread ends
         * as soon as it sees the EOF, so one or two tries are the rule. */
        for (int attempt = 0; attempt < 300; attempt++) {
                pop3t_connect(p, port);
                ck_assert_int_eq(pop3t_command(p, "USER %s", user), 1);
                int result = pop3t_command(p, "PASS %s", password);

                if (result == 1 || strstr(p->status, "[IN-USE]") == NULL)
                        return result;
                pop3t_command(p, "QUIT");
                pop3t_close(p);
                struct timespec pause = { .tv_sec = 0, .tv_nsec = 100 * 1000 * 1000 };

                nanosleep(&pause, NULL);
        }
        return 0;
}

void pop3t_start(struct harness *h, const char *extra)
{
        ck_assert_int_eq(harness_init(h), 0);
        if (extra != NULL) {
                size_t used = strlen(h->extra_config);

                ck_assert_uint_lt(used + strlen(extra), sizeof(h->extra_config));
                memcpy(h->extra_config + used, extra, strlen(extra) + 1);
        }
        pop3t_own(h);
        ck_assert_int_eq(harness_start(h, "pop3d", 0), 0);
}

void pop3t_deliver(const struct harness *h, const char *user, const char *data, size_t len)
{
        const char *users[] = { user };

        ck_assert_int_eq(maildir_create(h->mail_root, user), 0);
        struct maildir_delivery *d = maildir_delivery_begin(h->mail_root, user);

        ck_assert_ptr_nonnull(d);
        ck_assert_int_eq(maildir_delivery_write(d, data, len), MAILDIR_OK);
        ck_assert_int_eq(maildir_delivery_commit(d, users, 1, NULL, 0), MAILDIR_OK);
        pop3t_own(h);
}

unsigned long long pop3t_make_messages(const struct harness *h, const char *user, size_t count)
{
        char path[1024];
        unsigned long long total = 0;

        ck_assert_int_eq(maildir_create(h->mail_root, user), 0);
        for (size_t i = 0; i < count; i++) {
                char body[128];
                int len = snprintf(body, sizeof(body), "Subject: message %zu\n\nbody %zu\n", i, i);
                struct dot_wire_size wire;

                memset(&wire, 0, sizeof(wire));
                dot_wire_size_add(&wire, body, (size_t)len);
                unsigned long long wire_size = dot_wire_size_total(&wire);

                snprintf(path, sizeof(path), "%s/%s/new/1600000000.M%06zuP1Q%zu.test,S=%d,W=%llu",
                         h->mail_root, user, i, i, len, wire_size);
                int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

                ck_assert_int_ge(fd, 0);
                ck_assert_int_eq(write(fd, body, (size_t)len), len);
                ck_assert_int_eq(close(fd), 0);
                total += wire_size;
        }
        pop3t_own(h);
        return total;
}

static uid_t pop3t_owner_uid;
static gid_t pop3t_owner_gid;

static int pop3t_chown_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st;
        (void)type;
        (void)ftw;
        if (lchown(path, pop3t_owner_uid, pop3t_owner_gid) != 0)
                return -1;
        return 0;
}

void pop3t_own(const struct harness *h)
{
        if (geteuid() != 0)
                return;
        /* The daemon runs as the configured run_user (default nobody). */
        struct passwd *pw = getpwnam("nobody");

        ck_assert_ptr_nonnull(pw);
        pop3t_owner_uid = pw->pw_uid;
        pop3t_owner_gid = pw->pw_gid;
        ck_assert_int_eq(lchown(h->root, pop3t_owner_uid, pop3t_owner_gid), 0);
        ck_assert_int_eq(nftw(h->root, pop3t_chown_one, 32, FTW_PHYS), 0);
}

int pop3t_count_messages(const struct harness *h, const char *user)
{
        return harness_count_files(h, user, "new") + harness_count_files(h, user, "cur");
}

void pop3t_plain_response(const char *user, const char *password, char *out, size_t size)
{
        char raw[512];
        size_t user_len = strlen(user);
        size_t password_len = strlen(password);

        /* RFC 4616 §2: authzid NUL authcid NUL passwd; an empty authzid. */
        ck_assert_uint_lt(2 + user_len + password_len, sizeof(raw));
        raw[0] = '\0';
        memcpy(raw + 1, user, user_len);
        raw[1 + user_len] = '\0';
        memcpy(raw + 2 + user_len, password, password_len);
        ck_assert_uint_le(BASE64_ENCODED_SIZE(2 + user_len + password_len), size);
        base64_encode(raw, 2 + user_len + password_len, out);
}
