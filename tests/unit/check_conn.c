/* SPDX-License-Identifier: MIT
 *
 * check_conn.c - unit tests for common/conn.c over socketpair() and pipes.
 *
 * Each line-reader row runs three ways: all bytes at once, one byte per
 * read, and split in two at every position. To make the reader really see
 * the pieces separately, a writer thread sends one piece and waits until the
 * reader's socket has no unread bytes (FIONREAD) before the next: by then
 * conn_read_line() has read the piece and is waiting in poll(). After the
 * last piece the writer closes, so every row ends with CONN_EOF.
 *
 * Standards:  RFC 5321 §4.5.3.1.4, RFC 5321 §2.3.8, RFC 2920 §3.1
 * Threads:    Check's fork mode; some tests start one writer thread.
 * Read next:  common/conn.c.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/conn.h"

struct bytes {
        const char *data;
        size_t len;
};
#define B(literal) { literal, sizeof(literal) - 1 }

/* ---- Helpers ---- */

static struct conn *conn_new(int fd, int shutdown_fd, int timeout_seconds)
{
        struct conn *c = malloc(sizeof(*c));    /* too big for a test's stack */

        ck_assert_ptr_nonnull(c);
        conn_init(c, fd, shutdown_fd, timeout_seconds);
        return c;
}

static void make_socketpair(int fds[2])
{
        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
}

/* A pair whose buffers fill after a few KiB: fds[1] plays a peer that
 * never reads. */
static void make_small_socketpair(int fds[2])
{
        int small = 4096;

        make_socketpair(fds);
        setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
        setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
}

static void close_pair(int fds[2])
{
        close(fds[0]);
        close(fds[1]);
}

static void write_all(int fd, const char *data, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, data, len);

                if (n < 0 && errno == EINTR)
                        continue;
                ck_assert_int_gt(n, 0);
                data += n;
                len -= (size_t)n;
        }
}

static void pause_briefly(void)
{
        struct timespec ts = { .tv_sec = 0, .tv_nsec = 100000 };

        nanosleep(&ts, NULL);
}

struct writer {
        pthread_t thread;
        int fd;              /* our end: written, then closed */
        int reader_fd;       /* the conn's end: watched with FIONREAD */
        struct bytes input;
        size_t first;        /* bytes in the first piece */
        size_t step;         /* bytes in each later piece (0: the rest) */
};

/* Wait (bounded: about 20 s) until the reader has read everything sent. */
static void wait_until_drained(const struct writer *w)
{
        for (int i = 0; i < 200000; i++) {
                int unread = 0;

                if (ioctl(w->reader_fd, FIONREAD, &unread) < 0 || unread == 0)
                        return;
                pause_briefly();
        }
}

static void *writer_main(void *arg)
{
        struct writer *w = arg;
        size_t pos = 0;
        bool first = true;

        while (pos < w->input.len) {
                size_t want = first ? w->first : w->step;
                size_t left = w->input.len - pos;
                size_t len = (want == 0 || want > left) ? left : want;

                write_all(w->fd, w->input.data + pos, len);
                pos += len;
                first = false;
                wait_until_drained(w);
        }
        close(w->fd);
        return NULL;
}

static void writer_start(struct writer *w, int fd, int reader_fd, struct bytes input,
                         size_t first, size_t step)
{
        w->fd = fd;
        w->reader_fd = reader_fd;
        w->input = input;
        w->first = first;
        w->step = step;
        ck_assert_int_eq(pthread_create(&w->thread, NULL, writer_main, w), 0);
}

/* ---- conn_read_line: the table ---- */

struct expect {
        enum conn_result result;
        struct bytes line;   /* for CONN_LINE */
};

#define EXPECT_MAX 4

struct line_case {
        const char *name;
        struct bytes input;
        size_t max;
        struct expect expect[EXPECT_MAX];  /* up to and including CONN_EOF */
};

#define LINE(literal) { .result = CONN_LINE, .line = B(literal) }
#define TOO_LONG { .result = CONN_TOO_LONG }
#define END { .result = CONN_EOF }

static const struct line_case line_cases[] = {
        { .name = "crlf", .input = B("HELO x\r\n"), .max = 512,
          .expect = { LINE("HELO x"), END } },
        /* DEVIATION: RFC 5321 §2.3.8: a bare LF ends a command line. */
        { .name = "bare lf", .input = B("HELO x\n"), .max = 512,
          .expect = { LINE("HELO x"), END } },
        { .name = "one cr stripped", .input = B("a\r\r\n"), .max = 512,
          .expect = { LINE("a\r"), END } },
        { .name = "cr inside kept", .input = B("a\rb\r\n"), .max = 512,
          .expect = { LINE("a\rb"), END } },
        { .name = "empty crlf", .input = B("\r\n"), .max = 512, .expect = { LINE(""), END } },
        { .name = "empty lf", .input = B("\n"), .max = 512, .expect = { LINE(""), END } },
        { .name = "nul inside", .input = B("a\0b\r\n"), .max = 512,
          .expect = { LINE("a\0b"), END } },
        /* RFC 5321 §4.5.3.1.4: max counts the CRLF. */
        { .name = "exactly max", .input = B("12345678\r\n"), .max = 10,
          .expect = { LINE("12345678"), END } },
        { .name = "max plus one", .input = B("123456789\r\nNOOP\r\n"), .max = 10,
          .expect = { TOO_LONG, LINE("NOOP"), END } },
        { .name = "exactly max bare lf", .input = B("12345678\n"), .max = 10,
          .expect = { LINE("12345678"), END } },
        { .name = "max plus one bare lf", .input = B("123456789\nNOOP\n"), .max = 10,
          .expect = { TOO_LONG, LINE("NOOP"), END } },
        { .name = "overlong then next", .input = B("MAIL FROM:<aaaaaaaaaaaa>\r\nRSET\r\n"),
          .max = 10, .expect = { TOO_LONG, LINE("RSET"), END } },
        { .name = "two overlong", .input = B("aaaaaaaaaaaaaaa\r\nbbbbbbbbbbbbbbbbb\nok\r\n"),
          .max = 10, .expect = { TOO_LONG, TOO_LONG, LINE("ok"), END } },
        { .name = "max 2 empty only", .input = B("\r\nx\r\n"), .max = 2,
          .expect = { LINE(""), TOO_LONG, END } },
        /* RFC 2920 §3.1: pipelined commands come one by one. */
        { .name = "pipelined", .input = B("A\r\nB\nC\r\n"), .max = 512,
          .expect = { LINE("A"), LINE("B"), LINE("C"), END } },
        /* A fragment before EOF is never dispatched. */
        { .name = "eof partial", .input = B("QUIT"), .max = 512, .expect = { END } },
        { .name = "eof partial after line", .input = B("NOOP\r\nQUI"), .max = 512,
          .expect = { LINE("NOOP"), END } },
        { .name = "eof in overlong", .input = B("aaaaaaaaaaaaaaaaaaaa"), .max = 10,
          .expect = { END } },
        { .name = "eof after cr", .input = B("NOOP\r"), .max = 512, .expect = { END } },
};

#define LINE_CASES (sizeof(line_cases) / sizeof(line_cases[0]))

static void check_expectations(struct conn *c, const struct line_case *row, const char *mode,
                               size_t split)
{
        char *line = malloc(row->max);

        ck_assert_ptr_nonnull(line);
        for (size_t k = 0; k < EXPECT_MAX; k++) {
                const struct expect *want = &row->expect[k];
                size_t len = 12345;
                enum conn_result got = conn_read_line(c, line, row->max, &len);

                ck_assert_msg(got == want->result, "%s (%s %zu): step %zu: got %d, want %d",
                              row->name, mode, split, k, (int)got, (int)want->result);
                if (got == CONN_LINE) {
                        ck_assert_msg(len == want->line.len &&
                                      memcmp(line, want->line.data, len) == 0,
                                      "%s (%s %zu): step %zu: wrong line", row->name, mode,
                                      split, k);
                        ck_assert_int_eq(line[len], '\0');
                }
                if (got == CONN_EOF)
                        break;
        }
        free(line);
}

static void run_line_case(const struct line_case *row, size_t first, size_t step,
                          const char *mode)
{
        int fds[2];
        struct writer w;
        struct conn *c;

        make_socketpair(fds);
        c = conn_new(fds[0], -1, 20);
        writer_start(&w, fds[1], fds[0], row->input, first, step);
        check_expectations(c, row, mode, first);
        ck_assert_int_eq(pthread_join(w.thread, NULL), 0);
        close(fds[0]);
        free(c);
}

START_TEST(test_read_line_whole)
{
        run_line_case(&line_cases[_i], 0, 0, "whole");
}
END_TEST

START_TEST(test_read_line_byte_at_a_time)
{
        run_line_case(&line_cases[_i], 1, 1, "bytes");
}
END_TEST

START_TEST(test_read_line_split_everywhere)
{
        const struct line_case *row = &line_cases[_i];

        for (size_t split = 1; split < row->input.len; split++)
                run_line_case(row, split, 0, "split");
}
END_TEST

/* ---- conn_read_line: the classic bugs ---- */

/* An over-long line is consumed up to its LF and reported once; the text
 * after its first 512 octets is never read as a command (OpenSMTPD and
 * popa3d-era bugs: a truncated line becomes a different command). The line
 * is larger than the input buffer, so discarding spans many reads. */
START_TEST(test_overlong_line_not_dispatched)
{
        size_t filler = 3 * CONN_INPUT_BUFFER_SIZE + 17;
        const char tail[] = "QUIT\r\nNOOP\r\n";
        char *input = malloc(filler + sizeof(tail));
        char line[SMTP_COMMAND_LINE_MAX];
        size_t len;
        int fds[2];
        struct writer w;
        struct conn *c;

        ck_assert_ptr_nonnull(input);
        memset(input, 'A', filler);
        /* "QUIT" exactly where a 512-byte truncation would start a line. */
        memcpy(input + SMTP_COMMAND_LINE_MAX - 2, "QUIT", 4);
        memcpy(input + filler, tail, sizeof(tail));
        for (size_t step = 0; step <= 1000; step += 1000) {
                make_socketpair(fds);
                c = conn_new(fds[0], -1, 20);
                writer_start(&w, fds[1], fds[0],
                             (struct bytes){ input, filler + sizeof(tail) - 1 }, step, step);
                ck_assert_int_eq(conn_read_line(c, line, sizeof(line), &len), CONN_TOO_LONG);
                ck_assert_int_eq(conn_read_line(c, line, sizeof(line), &len), CONN_LINE);
                ck_assert_str_eq(line, "NOOP");
                ck_assert_int_eq(conn_read_line(c, line, sizeof(line), &len), CONN_EOF);
                pthread_join(w.thread, NULL);
                close(fds[0]);
                free(c);
        }
        free(input);
}
END_TEST

START_TEST(test_pipelined_lines_stay_buffered)
{
        static const char batch[] = "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n";
        int fds[2];
        char line[64];
        size_t len;
        struct conn *c;

        make_socketpair(fds);
        c = conn_new(fds[0], -1, 20);
        ck_assert(!conn_has_buffered_input(c));
        write_all(fds[1], batch, sizeof(batch) - 1);
        ck_assert_int_eq(conn_read_line(c, line, sizeof(line), &len), CONN_LINE);
        ck_assert_str_eq(line, "MAIL FROM:<a@b>");
        /* RFC 2920 §3.1: more input is waiting, so the reply may wait too. */
        ck_assert(conn_has_buffered_input(c));
        ck_assert_int_eq(conn_read_line(c, line, sizeof(line), &len), CONN_LINE);
        ck_assert(conn_has_buffered_input(c));
        ck_assert_int_eq(conn_read_line(c, line, sizeof(line), &len), CONN_LINE);
        ck_assert_str_eq(line, "DATA");
        ck_assert(!conn_has_buffered_input(c));
        close_pair(fds);
        free(c);
}
END_TEST

START_TEST(test_peek_and_consume)
{
        int fds[2];
        char line[64];
        const char *data;
        size_t len;
        struct conn *c;

        make_socketpair(fds);
        c = conn_new(fds[0], -1, 20);
        write_all(fds[1], "HELO x\r\nabc", 11);
        ck_assert_int_eq(conn_read_line(c, line, sizeof(line), &len), CONN_LINE);
        ck_assert_int_eq(conn_peek(c, &data, &len), CONN_LINE);
        ck_assert_uint_eq(len, 3);
        ck_assert(memcmp(data, "abc", 3) == 0);
        conn_consume(c, 1);
        ck_assert_int_eq(conn_peek(c, &data, &len), CONN_LINE);
        ck_assert_uint_eq(len, 2);
        ck_assert(memcmp(data, "bc", 2) == 0);
        conn_consume(c, 2);
        ck_assert(!conn_has_buffered_input(c));
        write_all(fds[1], "d", 1);
        ck_assert_int_eq(conn_peek(c, &data, &len), CONN_LINE);
        ck_assert_uint_eq(len, 1);
        conn_consume(c, 1);
        close(fds[1]);
        ck_assert_int_eq(conn_peek(c, &data, &len), CONN_EOF);
        close(fds[0]);
        free(c);
}
END_TEST

/* ---- Timeouts and shutdown ---- */

START_TEST(test_timeout)
{
        int fds[2];
        char line[64];
        const char *data;
        size_t len;
        struct conn *c;

        make_socketpair(fds);
        c = conn_new(fds[0], -1, 1);
        ck_assert_int_eq(conn_read_line(c, line, sizeof(line), &len), CONN_TIMEOUT);
        /* A partial line does not stop the clock either. */
        write_all(fds[1], "HEL", 3);
        ck_assert_int_eq(conn_read_line(c, line, sizeof(line), &len), CONN_TIMEOUT);
        conn_consume(c, 3);
        ck_assert_int_eq(conn_peek(c, &data, &len), CONN_TIMEOUT);
        close_pair(fds);
        free(c);
}
END_TEST

START_TEST(test_shutdown_between_commands)
{
        int fds[2];
        int stop[2];
        char line[64];
        size_t len;
        struct conn *c;

        make_socketpair(fds);
        ck_assert_int_eq(pipe(stop), 0);
        c = conn_new(fds[0], stop[0], 60);
        write_all(fds[1], "NOOP\r\nQU", 8);
        ck_assert_int_eq(conn_read_line(c, line, sizeof(line), &len), CONN_LINE);
        write_all(stop[1], "x", 1);
        /* Only a fragment is buffered: no command to finish. */
        ck_assert_int_eq(conn_read_line(c, line, sizeof(line), &len), CONN_SHUTDOWN);
        ck_assert(c->shutdown_seen);
        /* Once shutdown is seen, nothing new is waited for or read. */
        write_all(fds[1], "IT\r\n", 4);
        ck_assert_int_eq(conn_read_line(c, line, sizeof(line), &len), CONN_SHUTDOWN);
        close_pair(fds);
        close_pair(stop);
        free(c);
}
END_TEST

START_TEST(test_shutdown_line_buffered_first)
{
        int fds[2];
        int stop[2];
        char line[64];
        size_t len;
        struct conn *c;

        make_socketpair(fds);
        ck_assert_int_eq(pipe(stop), 0);
        c = conn_new(fds[0], stop[0], 60);
        write_all(fds[1], "NOOP\r\nQUIT\r\n", 12);
        ck_assert_int_eq(conn_read_line(c, line, sizeof(line), &len), CONN_LINE);
        write_all(stop[1], "x", 1);
        ck_assert_int_eq(conn_read_line(c, line, sizeof(line), &len), CONN_LINE);
        ck_assert_str_eq(line, "QUIT");
        ck_assert_int_eq(conn_read_line(c, line, sizeof(line), &len), CONN_SHUTDOWN);
        close_pair(fds);
        close_pair(stop);
        free(c);
}
END_TEST

/* In DATA the peer gets SERVER_SHUTDOWN_GRACE_SECONDS to finish; bytes that
 * arrive are still delivered, then the wait ends with CONN_SHUTDOWN. */
START_TEST(test_shutdown_grace_in_peek)
{
        int fds[2];
        int stop[2];
        const char *data;
        size_t len;
        struct conn *c;

        make_socketpair(fds);
        ck_assert_int_eq(pipe(stop), 0);
        c = conn_new(fds[0], stop[0], 60);
        write_all(stop[1], "x", 1);
        write_all(fds[1], "body", 4);
        ck_assert_int_eq(conn_peek(c, &data, &len), CONN_LINE);
        ck_assert_uint_eq(len, 4);
        conn_consume(c, len);
        ck_assert_int_eq(conn_peek(c, &data, &len), CONN_SHUTDOWN);
        ck_assert(c->shutdown_seen);
        close_pair(fds);
        close_pair(stop);
        free(c);
}
END_TEST

/* ---- Output ---- */

START_TEST(test_output_buffered_until_flush)
{
        int fds[2];
        char got[64];
        struct conn *c;

        make_socketpair(fds);
        c = conn_new(fds[0], -1, 20);
        ck_assert_int_eq(conn_write(c, "250-first\r\n", 11), 0);
        ck_assert_int_eq(conn_printf(c, "%d %s\r\n", 250, "last"), 0);
        /* Nothing sent yet: one write for the whole group (RFC 2920 §3.1). */
        ck_assert_int_eq(recv(fds[1], got, sizeof(got), MSG_DONTWAIT), -1);
        ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);
        ck_assert_int_eq(conn_flush(c), 0);
        ck_assert_int_eq(recv(fds[1], got, sizeof(got), 0), 21);
        ck_assert(memcmp(got, "250-first\r\n250 last\r\n", 21) == 0);
        ck_assert_int_eq(conn_flush(c), 0);     /* nothing pending: fine */
        close_pair(fds);
        free(c);
}
END_TEST

struct drain {
        pthread_t thread;
        int fd;
        size_t total;
        bool pattern_ok;
};

static void *drain_main(void *arg)
{
        struct drain *d = arg;
        char buffer[4096];
        ssize_t n;

        d->pattern_ok = true;
        while ((n = read(d->fd, buffer, sizeof(buffer))) > 0) {
                for (ssize_t i = 0; i < n; i++) {
                        if (buffer[i] != (char)('a' + (d->total + (size_t)i) % 26))
                                d->pattern_ok = false;
                }
                d->total += (size_t)n;
        }
        return NULL;
}

/* Writes larger than the buffer flush by themselves, in order; printf
 * output longer than its stack buffer works too. Run over a socket and
 * over a pipe (not a socket: the write(2) path). */
static void check_large_output(int conn_fd, int peer_fd)
{
        size_t total = 5 * CONN_OUTPUT_BUFFER_SIZE + 123;
        char *data = malloc(total);
        struct drain d = { .fd = peer_fd, .total = 0 };
        struct conn *c = conn_new(conn_fd, -1, 20);

        ck_assert_ptr_nonnull(data);
        for (size_t i = 0; i < total; i++)
                data[i] = (char)('a' + i % 26);
        ck_assert_int_eq(pthread_create(&d.thread, NULL, drain_main, &d), 0);
        ck_assert_int_eq(conn_write(c, data, 1000), 0);
        ck_assert_int_eq(conn_printf(c, "%.*s", 3000, data + 1000), 0);
        ck_assert_int_eq(conn_write(c, data + 4000, total - 4000), 0);
        ck_assert_int_eq(conn_flush(c), 0);
        close(conn_fd);
        pthread_join(d.thread, NULL);
        ck_assert_uint_eq(d.total, total);
        ck_assert(d.pattern_ok);
        close(peer_fd);
        free(data);
        free(c);
}

START_TEST(test_large_output_socket)
{
        int fds[2];

        make_socketpair(fds);
        check_large_output(fds[0], fds[1]);
}
END_TEST

START_TEST(test_large_output_pipe)
{
        int fds[2];

        ck_assert_int_eq(pipe(fds), 0);
        check_large_output(fds[1], fds[0]);
}
END_TEST

/* SIGPIPE keeps its default action here: if send() raised it, the test
 * process would die and Check would report an error. */
START_TEST(test_write_to_closed_peer)
{
        int fds[2];
        struct conn *c;

        make_socketpair(fds);
        c = conn_new(fds[0], -1, 20);
        close(fds[1]);
        ck_assert_int_eq(conn_write(c, "221 bye\r\n", 9), 0);
        ck_assert_int_eq(conn_flush(c), -1);
        ck_assert(c->write_failed);
        ck_assert_int_eq(conn_write(c, "more\r\n", 6), -1);
        ck_assert_int_eq(conn_printf(c, "%s", "more"), -1);
        ck_assert_int_eq(conn_flush(c), -1);
        close(fds[0]);
        free(c);
}
END_TEST

/* A client that never reads cannot hold the thread: the flush gives up
 * after the timeout. */
START_TEST(test_flush_peer_not_reading)
{
        int fds[2];
        char *data = calloc(1, 1 << 20);
        struct conn *c;

        ck_assert_ptr_nonnull(data);
        make_small_socketpair(fds);
        c = conn_new(fds[0], -1, 1);
        ck_assert_int_eq(conn_write(c, data, 1 << 20), -1);
        ck_assert(c->write_failed);
        close(fds[1]);
        close(fds[0]);
        free(data);
        free(c);
}
END_TEST

/* Nor can it hold up a shutdown: with a long timeout, the flush gives up
 * at the end of the grace period once the shutdown pipe is readable. The
 * timeout of 600 s would outlast the test case's own limit of 60 s, so
 * failing the write at all shows that the grace period ended it. */
START_TEST(test_flush_peer_not_reading_shutdown)
{
        int fds[2];
        int stop[2];
        char *data = calloc(1, 1 << 20);
        struct conn *c;

        ck_assert_ptr_nonnull(data);
        make_small_socketpair(fds);
        ck_assert_int_eq(pipe(stop), 0);
        c = conn_new(fds[0], stop[0], 600);
        write_all(stop[1], "x", 1);
        ck_assert_int_eq(conn_write(c, data, 1 << 20), -1);
        ck_assert(c->write_failed);
        ck_assert(c->shutdown_seen);
        ck_assert_int_eq(errno, ETIMEDOUT);
        close_pair(fds);
        close_pair(stop);
        free(data);
        free(c);
}
END_TEST

Suite *conn_suite(void)
{
        Suite *suite = suite_create("conn");
        TCase *lines = tcase_create("read_line");
        TCase *waits = tcase_create("timeouts");
        TCase *output = tcase_create("output");

        tcase_set_timeout(lines, 120);
        tcase_add_loop_test(lines, test_read_line_whole, 0, (int)LINE_CASES);
        tcase_add_loop_test(lines, test_read_line_byte_at_a_time, 0, (int)LINE_CASES);
        tcase_add_loop_test(lines, test_read_line_split_everywhere, 0, (int)LINE_CASES);
        tcase_add_test(lines, test_overlong_line_not_dispatched);
        tcase_add_test(lines, test_pipelined_lines_stay_buffered);
        tcase_add_test(lines, test_peek_and_consume);
        suite_add_tcase(suite, lines);

        tcase_set_timeout(waits, 60);
        tcase_add_test(waits, test_timeout);
        tcase_add_test(waits, test_shutdown_between_commands);
        tcase_add_test(waits, test_shutdown_line_buffered_first);
        tcase_add_test(waits, test_shutdown_grace_in_peek);
        suite_add_tcase(suite, waits);

        tcase_set_timeout(output, 60);
        tcase_add_test(output, test_output_buffered_until_flush);
        tcase_add_test(output, test_large_output_socket);
        tcase_add_test(output, test_large_output_pipe);
        tcase_add_test(output, test_write_to_closed_peer);
        tcase_add_test(output, test_flush_peer_not_reading);
        tcase_add_test(output, test_flush_peer_not_reading_shutdown);
        suite_add_tcase(suite, output);
        return suite;
}
