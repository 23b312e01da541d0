/* SPDX-License-Identifier: MIT
 *
 * interop.c - running client programs, byte transformations and the two
 * daemons for the interoperability suites.
 *
 * A client runs in its own process group with stdout and stderr on one pipe,
 * read with poll() until it exits or its time is up; then the group we
 * created is killed, so a hung client fails its test instead of hanging the
 * suite. The daemons are started once per test case by an unchecked fixture
 * (in the runner process, not in the forked test): a test that fails half-way
 * therefore never leaves a daemon behind, and the fixture's teardown stops
 * both by PID.
 *
 * Standards:  RFC 5321 §4.4, RFC 5322 §2.2.3, RFC 1939 §3, RFC 6409 §3.1
 * Threads:    single-threaded (the relay in interop_wire.c has its own thread).
 * Read next:  tests/interop/interop_wire.c, tests/support/harness.c.
 */
#include "tests/interop/interop.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "maildir/maildir.h"

#define OUTPUT_CAP (16u * 1024 * 1024)

/* ---- buffers and files ---- */

void interop_buffer_append(struct interop_buffer *b, const void *data, size_t len)
{
        if (b->len + len + 1 > b->cap) {
                size_t cap = b->cap == 0 ? 4096 : b->cap;
                while (cap < b->len + len + 1)
                        cap *= 2;
                char *grown = realloc(b->data, cap);
                if (grown == NULL)
                        abort();
                b->data = grown;
                b->cap = cap;
        }
        if (len > 0)
                memcpy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = '\0';
}

void interop_buffer_free(struct interop_buffer *b)
{
        free(b->data);
        b->data = NULL;
        b->len = 0;
        b->cap = 0;
}

bool interop_contains(const void *haystack, size_t len, const char *needle)
{
        /* memmem() is not in POSIX.1-2008; a plain scan is enough here. */
        const char *h = haystack;
        size_t n = strlen(needle);
        if (h == NULL || n > len)
                return false;
        for (size_t i = 0; i + n <= len; i++)
                if (h[i] == needle[0] && memcmp(h + i, needle, n) == 0)
                        return true;
        return n == 0;
}

int interop_write_file(const char *path, const void *data, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
                return -1;
        const char *p = data;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        close(fd);
                        return -1;
                }
                p += n;
                len -= (size_t)n;
        }
        return close(fd);
}

char *interop_read_file(const char *path, size_t *len_out)
{
        int fd = open(path, O_RDONLY);
        if (fd < 0)
                return NULL;
        struct interop_buffer b = { 0 };
        char chunk[65536];
        for (;;) {
                ssize_t n = read(fd, chunk, sizeof chunk);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        close(fd);
                        interop_buffer_free(&b);
                        return NULL;
                }
                if (n == 0)
                        break;
                interop_buffer_append(&b, chunk, (size_t)n);
        }
        close(fd);
        interop_buffer_append(&b, "", 0);
        *len_out = b.len;
        return b.data;
}

void interop_clear_maildirs(const char *mail_root)
{
        static const char *const users[] = { "student", "alice", "bob" };
        static const char *const subs[] = { "new", "cur", "tmp" };
        char path[1024];

        for (size_t u = 0; u < 3; u++) {
                for (size_t s = 0; s < 3; s++) {
                        snprintf(path, sizeof path, "%s/%s/%s", mail_root, users[u], subs[s]);
                        DIR *dir = opendir(path);
                        if (dir == NULL)
                                continue;
                        struct dirent *entry;
                        while ((entry = readdir(dir)) != NULL) {
                                if (entry->d_name[0] == '.')
                                        continue;
                                char file[1400];
                                snprintf(file, sizeof file, "%s/%s", path, entry->d_name);
                                unlink(file);
                        }
                        closedir(dir);
                }
        }
}

/* ---- running clients ---- */

bool interop_have_program(const char *program)
{
        const char *path = getenv("PATH");
        if (path == NULL)
                path = "/usr/bin:/bin";
        while (*path != '\0') {
                const char *end = strchr(path, ':');
                size_t len = end == NULL ? strlen(path) : (size_t)(end - path);
                char candidate[1024];
                snprintf(candidate, sizeof candidate, "%.*s/%s", (int)len, path, program);
                if (len > 0 && access(candidate, X_OK) == 0)
                        return true;
                path += len;
                if (*path == ':')
                        path++;
        }
        return false;
}

static double now_seconds(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The child: its own process group (so the time limit can stop whatever it
 * starts), stdin from a file, stdout and stderr into the pipe. */
static void run_child(const char *const argv[], const char *stdin_path, const char *home,
                      int out_fd)
{
        setpgid(0, 0);
        int in_fd = open(stdin_path != NULL ? stdin_path : "/dev/null", O_RDONLY);
        if (in_fd < 0 || dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
                _exit(126);
        if (home != NULL)
                setenv("HOME", home, 1);
        /* Clients must not pick up the developer's own configuration. */
        setenv("MAILRC", "/dev/null", 1);
        unsetenv("MAIL");
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
}

int interop_run(const char *const argv[], const char *stdin_path, const char *home,
                unsigned seconds, struct interop_result *result_out)
{
        struct interop_buffer out = { 0 };
        int fds[2];

        interop_buffer_append(&out, "", 0);
        result_out->status = -1;
        result_out->output = out.data;
        result_out->output_len = 0;
        if (pipe(fds) != 0)
                return -1;
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return -1;
        }
        if (pid == 0) {
                close(fds[0]);
                run_child(argv, stdin_path, home, fds[1]);
        }
        setpgid(pid, pid);
        close(fds[1]);

        double deadline = now_seconds() + seconds;
        bool killed = false;
        for (;;) {
                double left = deadline - now_seconds();
                if (left <= 0) {
                        kill(-pid, SIGKILL);
                        killed = true;
                        break;
                }
                struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
                int ready = poll(&pfd, 1, (int)(left * 1000) + 1);
                if (ready < 0 && errno == EINTR)
                        continue;
                if (ready <= 0)
                        continue;
                char chunk[65536];
                ssize_t n = read(fds[0], chunk, sizeof chunk);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (out.len < OUTPUT_CAP)
                        interop_buffer_append(&out, chunk, (size_t)n);
        }
        close(fds[0]);

        /* The output ended; the client should exit at once. Until it is
         * reaped its process group is certainly ours, so only then may the
         * group be killed (a client that hangs after closing its output). */
        int status = 0;
        pid_t done = 0;
        while (!killed && (done = waitpid(pid, &status, WNOHANG)) == 0 &&
               now_seconds() < deadline) {
                struct timespec pause = { 0, 10000000 };
                nanosleep(&pause, NULL);
        }
        if (done != pid) {
                if (!killed)
                        kill(-pid, SIGKILL);
                killed = true;
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        continue;
        }
        if (killed)
                result_out->status = -2;
        else if (WIFEXITED(status))
                result_out->status = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
                result_out->status = 128 + WTERMSIG(status);
        result_out->output = out.data;
        result_out->output_len = out.len;
        return result_out->status;
}

void interop_result_free(struct interop_result *result)
{
        free(result->output);
        result->output = NULL;
        result->output_len = 0;
}

const char *interop_tail(const struct interop_result *result, size_t max_len)
{
        static char tail[4096];
        if (max_len >= sizeof tail)
                max_len = sizeof tail - 1;
        if (result->output == NULL)
                return "";
        size_t start = result->output_len > max_len ? result->output_len - max_len : 0;
        size_t n = 0;
        for (size_t i = start; i < result->output_len && n < max_len; i++) {
                unsigned char c = (unsigned char)result->output[i];
                tail[n++] = (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) ? (char)c : '?';
        }
        tail[n] = '\0';
        return tail;
}

const char *interop_script(const char *name, char *buf, size_t size)
{
        snprintf(buf, size, "%s/tests/interop/py/%s", SOURCE_DIR, name);
        return buf;
}

/* ---- byte transformations ---- */

void interop_crlf_to_lf(const char *in, size_t len, struct interop_buffer *out)
{
        size_t start = 0;
        for (size_t i = 0; i + 1 < len; i++) {
                if (in[i] == '\r' && in[i + 1] == '\n') {
                        interop_buffer_append(out, in + start, i - start);
                        start = i + 1;
                }
        }
        interop_buffer_append(out, in + start, len - start);
}

static void encode_lines(const char *in, size_t len, bool stuff, struct interop_buffer *out)
{
        size_t start = 0;
        while (start < len) {
                const char *lf = memchr(in + start, '\n', len - start);
                size_t end = lf == NULL ? len : (size_t)(lf - in);
                if (stuff && in[start] == '.')
                        interop_buffer_append(out, ".", 1);
                interop_buffer_append(out, in + start, end - start);
                interop_buffer_append(out, "\r\n", 2);
                start = end + 1;
        }
}

void interop_lf_to_crlf(const char *in, size_t len, struct interop_buffer *out)
{
        encode_lines(in, len, false, out);
}

void interop_pop3_encode(const char *in, size_t len, struct interop_buffer *out)
{
        encode_lines(in, len, true, out);
}

/* Length of the line at offset (LF included), 0 at the end. */
static size_t line_length(const char *s, size_t len, size_t offset)
{
        if (offset >= len)
                return 0;
        const char *lf = memchr(s + offset, '\n', len - offset);
        return lf == NULL ? len - offset : (size_t)(lf - (s + offset)) + 1;
}

bool interop_trace_end(const char *stored, size_t len, const char *return_path,
                       size_t *offset_out, char *why, size_t why_size)
{
        char expected[512];
        snprintf(expected, sizeof expected, "Return-Path: <%s>\n", return_path);
        size_t first = line_length(stored, len, 0);
        if (first != strlen(expected) || memcmp(stored, expected, first) != 0) {
                snprintf(why, why_size, "stored message does not start with \"%.*s\": %.*s",
                         (int)strlen(expected) - 1, expected, (int)(first > 200 ? 200 : first),
                         stored);
                return false;
        }
        size_t offset = first;
        if (len - offset < 9 || strncmp(stored + offset, "Received:", 9) != 0) {
                snprintf(why, why_size, "no Received: field after Return-Path");
                return false;
        }
        offset += line_length(stored, len, offset);
        /* RFC 5322 §2.2.3 folding: continuation lines start with white space. */
        while (offset < len && (stored[offset] == ' ' || stored[offset] == '\t'))
                offset += line_length(stored, len, offset);
        *offset_out = offset;
        return true;
}

static void escape_into(char *out, size_t size, const char *s, size_t len)
{
        size_t n = 0;
        for (size_t i = 0; i < len && n + 5 < size; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c == '\r')
                        n += (size_t)snprintf(out + n, size - n, "\\r");
                else if (c == '\n')
                        n += (size_t)snprintf(out + n, size - n, "\\n");
                else if (c < 0x20 || c >= 0x7f || c == '\\')
                        n += (size_t)snprintf(out + n, size - n, "\\x%02x", c);
                else
                        out[n++] = (char)c;
        }
        out[n < size ? n : size - 1] = '\0';
}

bool interop_same(const char *a, size_t a_len, const char *b, size_t b_len,
                  char *why, size_t why_size)
{
        size_t i = 0;
        while (i < a_len && i < b_len && a[i] == b[i])
                i++;
        if (i == a_len && i == b_len)
                return true;
        size_t from = i > 40 ? i - 40 : 0;
        char left[400], right[400];
        escape_into(left, sizeof left, a + from, (a_len - from) > 80 ? 80 : a_len - from);
        escape_into(right, sizeof right, b + from, (b_len - from) > 80 ? 80 : b_len - from);
        snprintf(why, why_size, "lengths %zu and %zu, first difference at offset %zu:\n"
                 "  got      ...%s\n  expected ...%s", a_len, b_len, i, left, right);
        return false;
}

/* ---- the daemons ---- */

int interop_world_start(struct interop_world *w, bool with_pop3)
{
        memset(w, 0, sizeof *w);
        if (harness_init(&w->smtp) != 0) {
                snprintf(w->error, sizeof w->error, "harness_init failed for smtpd");
                return -1;
        }
        /* RFC 6409 §3.1: the submission port, where AUTH comes before MAIL. */
        snprintf(w->smtp.extra_config, sizeof w->smtp.extra_config,
                 "submission_listen = 127.0.0.1:0\n");
        if (harness_start(&w->smtp, "smtpd", 0) != 0) {
                snprintf(w->error, sizeof w->error, "smtpd did not start (log: %s)",
                         w->smtp.log_path);
                return -1;
        }
        w->smtp_started = true;
        if (w->smtp.submission_port == 0) {
                snprintf(w->error, sizeof w->error, "smtpd has no submission listener");
                return -1;
        }
        if (!with_pop3)
                return 0;
        if (harness_init(&w->pop3) != 0) {
                snprintf(w->error, sizeof w->error, "harness_init failed for pop3d");
                return -1;
        }
        /* One mail root for both daemons: what smtpd stores, pop3d serves. */
        snprintf(w->pop3.extra_config, sizeof w->pop3.extra_config,
                 "mail_root = %s\nusers_file = %s\naliases_file = %s\n",
                 w->smtp.mail_root, w->smtp.users_path, w->smtp.aliases_path);
        if (harness_start(&w->pop3, "pop3d", 0) != 0) {
                snprintf(w->error, sizeof w->error, "pop3d did not start (log: %s)",
                         w->pop3.log_path);
                return -1;
        }
        w->pop3_started = true;
        return 0;
}

void interop_world_stop(struct interop_world *w)
{
        if (w->pop3.root[0] != '\0')
                harness_cleanup(&w->pop3);
        if (w->smtp.root[0] != '\0')
                harness_cleanup(&w->smtp);
        w->smtp_started = false;
        w->pop3_started = false;
}

const char *interop_path(const struct interop_world *w, const char *name, char *buf,
                         size_t size)
{
        snprintf(buf, size, "%s/%s", w->smtp.root, name);
        return buf;
}

int interop_store(const struct interop_world *w, const char *user, const void *message,
                  size_t len, char *unique_out, size_t unique_size)
{
        if (maildir_create(w->smtp.mail_root, user) != 0)
                return -1;
        struct maildir_delivery *d = maildir_delivery_begin(w->smtp.mail_root, user);
        if (d == NULL)
                return -1;
        if (maildir_delivery_write(d, message, len) != MAILDIR_OK) {
                maildir_delivery_abort(d);
                return -1;
        }
        const char *const users[] = { user };
        char name[MAILDIR_NAME_MAX + 1];
        if (maildir_delivery_commit(d, users, 1, name, sizeof name) != MAILDIR_OK)
                return -1;
        struct maildir_name parsed;
        if (!maildir_name_parse(name, &parsed))
                return -1;
        /* The daemon may run as another user (privileges dropped after
         * bind): the file belongs to whoever owns the Maildir. */
        char dir[1024], file[1400];
        struct stat owner;
        snprintf(dir, sizeof dir, "%s/%s", w->smtp.mail_root, user);
        snprintf(file, sizeof file, "%s/new/%s", dir, name);
        if (stat(dir, &owner) == 0 && owner.st_uid != geteuid() &&
            chown(file, owner.st_uid, owner.st_gid) != 0)
                return -1;
        snprintf(unique_out, unique_size, "%s", parsed.unique);
        return 0;
}

char *interop_stored(const struct interop_world *w, const char *user, const char *sub,
                     size_t *len_out)
{
        int count = harness_count_files(&w->smtp, user, sub);
        ck_assert_msg(count == 1, "expected exactly one message in %s/%s/%s, found %d",
                      w->smtp.mail_root, user, sub, count);
        char *data = harness_read_message(&w->smtp, user, sub, len_out);
        ck_assert_msg(data != NULL, "cannot read the message in %s/%s", user, sub);
        return data;
}

char *interop_check_stored(const struct interop_world *w, const char *user, const char *sender,
                           const char *expected, size_t len, const char *what,
                           size_t *len_out)
{
        size_t stored_len = 0;
        char *stored = interop_stored(w, user, "new", &stored_len);
        size_t offset = 0;
        char why[1024];
        ck_assert_msg(interop_trace_end(stored, stored_len, sender, &offset, why, sizeof why),
                      "%s: %s/new: %s", what, user, why);
        ck_assert_msg(interop_same(stored + offset, stored_len - offset, expected, len, why,
                                   sizeof why),
                      "%s: %s/new differs from what was sent (trace fields aside): %s",
                      what, user, why);
        *len_out = stored_len;
        return stored;
}

void interop_check_sent(const struct interop_proxy *p, const char *expected, size_t len,
                        const char *what)
{
        struct interop_buffer messages[4] = { { 0 } };
        size_t count = 0;
        for (size_t i = 0; i < p->connection_count && count < 4; i++)
                count += interop_smtp_messages(&p->streams[i].up, messages + count, 4 - count);
        ck_assert_msg(count == 1, "%s: the relay saw %zu messages after DATA, expected 1",
                      what, count);
        char why[1024];
        bool same = interop_same(messages[0].data, messages[0].len, expected, len, why,
                                 sizeof why);
        for (size_t i = 0; i < count; i++)
                interop_buffer_free(&messages[i]);
        ck_assert_msg(same, "%s: what went over the wire differs from the input: %s", what,
                      why);
}

bool interop_sent_contains(const struct interop_proxy *p, const char *needle)
{
        for (size_t i = 0; i < p->connection_count; i++)
                if (interop_contains(p->streams[i].up.data, p->streams[i].up.len, needle))
                        return true;
        return false;
}

bool interop_received_contains(const struct interop_proxy *p, const char *needle)
{
        for (size_t i = 0; i < p->connection_count; i++)
                if (interop_contains(p->streams[i].down.data, p->streams[i].down.len, needle))
                        return true;
        return false;
}
