/* SPDX-License-Identifier: MIT
 *
 * bench.h - the load generator behind `make bench` (tests/bench/run.sh).
 *
 * mailbench is a benchmark, never a test: it measures and prints, and
 * asserts nothing about time. Every scenario is bounded in count (options)
 * and in time (--timeout, checked in every wait), and talks to 127.0.0.1 only.
 */
#ifndef TESTS_BENCH_BENCH_H
#define TESTS_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Everything a scenario may be told on the command line ("--name value"). */
struct bench_options {
        const char *dir;          /* disk, fill: the Maildir root to write into */
        const char *maildir;      /* smtp: the new/ directory deliveries land in */
        const char *mode;         /* smtp: per-message | reuse; pop3: login | retr | multi */
        const char *user;         /* pop3 user, or the prefix of the multi users */
        const char *password;
        const char *rcpt;         /* smtp recipient */
        bool library;             /* disk: libmaildir's delivery instead of the bare loop */
        unsigned port;
        unsigned threads;         /* disk threads, smtp connections, pop3 users */
        unsigned count;           /* messages (per user for fill/multi) */
        unsigned size;            /* octets per message */
        unsigned sessions;        /* idle: sessions to hold */
        unsigned window;          /* idle: connects in flight; retr: RETRs in flight */
        unsigned users;           /* fill: how many users (user1..userN), 0: just user */
        pid_t pid;                /* idle: the daemon whose memory is reported */
        double timeout;           /* seconds for the whole scenario */
};

/* ---- bench_util.c ---- */

double bench_now(void);
/* Seconds left before the scenario's deadline (never negative). */
double bench_left(double deadline);
/* Print "mailbench: <message>" to stderr and exit 1. */
void bench_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A message of exactly size octets on the SMTP wire (CRLF line ends, no line
 * starting with "."), NUL-terminated; the caller frees it. */
char *bench_message(size_t size, unsigned serial);
/* The same message as stored in a Maildir (LF line ends); *wire_size_out gets
 * its CRLF size. */
char *bench_message_lf(size_t size, unsigned serial, size_t *len_out, size_t *wire_size_out);

/* Files in dir, not counting dot files; -1 if it cannot be read. */
long bench_count_files(const char *dir);

/* A number from /proc/<pid>/status ("VmRSS", "VmHWM", "Threads"), in the
 * unit written there (kB for memory); -1 when unavailable. */
long bench_proc_status(pid_t pid, const char *field);

/* Raise RLIMIT_NOFILE so that at least want descriptors fit; returns the
 * new soft limit. */
unsigned long bench_raise_fd_limit(unsigned long want);

/* A blocking TCP connection to 127.0.0.1:port with buffered input. */
struct bench_conn {
        int fd;
        size_t start;
        size_t end;
        char buf[65536];
};

int bench_connect(struct bench_conn *c, unsigned port);
void bench_close(struct bench_conn *c);
/* Send all of data before deadline. Returns 0 or -1. */
int bench_send(struct bench_conn *c, const void *data, size_t len, double deadline);
/* The next line (CRLF removed) at *line_out, valid until the next read.
 * Returns its length, or -1 on EOF, error or deadline. */
long bench_read_line(struct bench_conn *c, const char **line_out, double deadline);
/* An SMTP reply: its code (last line), or -1. */
int bench_smtp_reply(struct bench_conn *c, double deadline);
/* A POP3 status line: 1 for +OK, 0 for -ERR, -1 on error. */
int bench_pop3_status(struct bench_conn *c, double deadline);
/* Read a POP3 multi-line body to its "." line; returns the octets read
 * (stuffed, CRLF included), or -1. */
long bench_pop3_body(struct bench_conn *c, double deadline);

/* ---- the scenarios (each prints one "key=value ..." result line) ---- */

int bench_disk(const struct bench_options *o);
int bench_smtp(const struct bench_options *o);
int bench_idle(const struct bench_options *o);
int bench_fill(const struct bench_options *o);
int bench_pop3(const struct bench_options *o);

#endif
