/* SPDX-License-Identifier: MIT
 *
 * bench_pop3.c - pop3d under load: a big maildrop's first login, retrieving
 * all of it in one session, and many users retrieving at once.
 *
 * fill writes the maildrops directly (as a fast MDA would, without fsync:
 * this is set-up, not a measurement), with ",S=" and ",W=" in every name,
 * through libmaildir's own unique names. Then:
 *   login  USER, PASS, STAT, UIDL and LIST on the maildrop (RFC 1939 §5, §7):
 *          the time from connect to the end of LIST. The first login after
 *          the daemon started has no cache to lean on: the names carry the
 *          sizes, so no file is opened or stat()ed.
 *   retr   every message with RETR in one session (RFC 1939 §5), --window
 *          commands in flight (1: one at a time; the server offers
 *          PIPELINING, RFC 2449 §6.6).
 *   multi  --threads users at once, each logging in and retrieving its
 *          whole maildrop one RETR at a time; the time until the last ends.
 *
 * Standards:  RFC 1939 §5, RFC 1939 §7, RFC 2449 §6.6
 * Threads:    multi: one thread per user; otherwise one.
 * Read next:  tests/bench/run.sh (how the scenarios are put together).
 */
#include "tests/bench/bench.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maildir/maildir.h"

/* ---- fill ---- */

static void user_name(const struct bench_options *o, unsigned index, char *out, size_t size)
{
        if (o->users == 0)
                snprintf(out, size, "%s", o->user);
        else
                snprintf(out, size, "%s%u", o->user, index + 1);
}

int bench_fill(const struct bench_options *o)
{
        if (o->dir == NULL || o->user == NULL || o->count == 0)
                bench_fail("fill needs --dir, --user and --count");
        double began = bench_now();
        unsigned users = o->users == 0 ? 1 : o->users;
        for (unsigned u = 0; u < users; u++) {
                char user[128];
                user_name(o, u, user, sizeof user);
                if (maildir_create(o->dir, user) != 0)
                        bench_fail("maildir_create %s/%s: %s", o->dir, user, strerror(errno));
                for (unsigned i = 0; i < o->count; i++) {
                        size_t len, wire;
                        char *message = bench_message_lf(o->size, i + 1, &len, &wire);
                        char unique[MAILDIR_NAME_MAX + 1], path[PATH_MAX];
                        if (maildir_unique_name(unique, sizeof unique) != 0)
                                bench_fail("maildir_unique_name: %s", strerror(errno));
                        snprintf(path, sizeof path, "%s/%s/new/%s,S=%zu,W=%zu", o->dir, user,
                                 unique, len, wire);
                        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
                        if (fd < 0 || write(fd, message, len) != (ssize_t)len || close(fd) != 0)
                                bench_fail("write %s: %s", path, strerror(errno));
                        free(message);
                }
        }
        printf("fill users=%u count=%u size=%u seconds=%.3f\n", users, o->count, o->size,
               bench_now() - began);
        return 0;
}

/* ---- sessions ---- */

static int pop3_command(struct bench_conn *c, const char *command, double deadline)
{
        char line[256];
        int n = snprintf(line, sizeof line, "%s\r\n", command);
        if (bench_send(c, line, (size_t)n, deadline) != 0)
                return -1;
        return bench_pop3_status(c, deadline);
}

/* Connect and log in; *count_out from STAT. Returns 0 or -1. */
static int pop3_login(struct bench_conn *c, const struct bench_options *o, const char *user,
                      unsigned *count_out, double deadline)
{
        char command[192];
        if (bench_connect(c, o->port) != 0 || bench_pop3_status(c, deadline) != 1)
                return -1;
        snprintf(command, sizeof command, "USER %s", user);
        if (pop3_command(c, command, deadline) != 1)
                return -1;
        snprintf(command, sizeof command, "PASS %s", o->password);
        if (pop3_command(c, command, deadline) != 1)
                return -1;
        if (bench_send(c, "STAT\r\n", 6, deadline) != 0)
                return -1;
        const char *line;
        long len = bench_read_line(c, &line, deadline);
        unsigned count;
        if (len < 5 || strncmp(line, "+OK ", 4) != 0 || sscanf(line + 4, "%u", &count) != 1)
                return -1;
        *count_out = count;
        return 0;
}

/* RETR 1..count with up to window commands outstanding. Returns the
 * messages received, and their octets in *octets_out. */
static unsigned pop3_retrieve_all(struct bench_conn *c, unsigned count, unsigned window,
                                  unsigned long long *octets_out, double deadline)
{
        unsigned sent = 0, received = 0;
        unsigned long long octets = 0;
        if (window == 0)
                window = 1;
        while (received < count) {
                while (sent < count && sent - received < window) {
                        char command[32];
                        int n = snprintf(command, sizeof command, "RETR %u\r\n", sent + 1);
                        if (bench_send(c, command, (size_t)n, deadline) != 0)
                                return received;
                        sent++;
                }
                if (bench_pop3_status(c, deadline) != 1)
                        return received;
                long body = bench_pop3_body(c, deadline);
                if (body < 0)
                        return received;
                octets += (unsigned long long)body;
                received++;
        }
        *octets_out = octets;
        return received;
}

static void pop3_quit(struct bench_conn *c, double deadline)
{
        pop3_command(c, "QUIT", deadline);
        bench_close(c);
}

static int mode_login(const struct bench_options *o, struct bench_conn *c, double deadline)
{
        double began = bench_now();
        unsigned count;
        if (pop3_login(c, o, o->user, &count, deadline) != 0)
                bench_fail("login as %s failed", o->user);
        if (pop3_command(c, "UIDL", deadline) != 1 || bench_pop3_body(c, deadline) < 0 ||
            pop3_command(c, "LIST", deadline) != 1 || bench_pop3_body(c, deadline) < 0)
                bench_fail("UIDL or LIST failed");
        double seconds = bench_now() - began;
        pop3_quit(c, deadline);
        printf("pop3 mode=login messages=%u seconds=%.4f ms=%.1f\n", count, seconds,
               seconds * 1000.0);
        return 0;
}

static int mode_retr(const struct bench_options *o, struct bench_conn *c, double deadline)
{
        unsigned count;
        if (pop3_login(c, o, o->user, &count, deadline) != 0)
                bench_fail("login as %s failed", o->user);
        unsigned long long octets = 0;
        double began = bench_now();
        unsigned received = pop3_retrieve_all(c, count, o->window, &octets, deadline);
        double seconds = bench_now() - began;
        pop3_quit(c, deadline);
        printf("pop3 mode=retr window=%u messages=%u received=%u octets=%llu seconds=%.3f "
               "rate=%.1f\n", o->window ? o->window : 1, count, received, octets, seconds,
               seconds > 0 ? received / seconds : 0.0);
        return received == count ? 0 : 1;
}

struct multi_worker {
        const struct bench_options *options;
        pthread_barrier_t *start;
        unsigned index;
        double deadline;
        unsigned count;
        unsigned received;
        bool failed;
};

static void *multi_thread(void *arg)
{
        struct multi_worker *w = arg;
        struct bench_conn *c = malloc(sizeof *c);
        if (c == NULL)
                bench_fail("out of memory");
        char user[128];
        user_name(w->options, w->index, user, sizeof user);
        pthread_barrier_wait(w->start);
        unsigned long long octets = 0;
        if (pop3_login(c, w->options, user, &w->count, w->deadline) != 0) {
                w->failed = true;
        } else {
                w->received = pop3_retrieve_all(c, w->count, 1, &octets, w->deadline);
                pop3_quit(c, w->deadline);
        }
        bench_close(c);
        free(c);
        return NULL;
}

static int mode_multi(const struct bench_options *o, double deadline)
{
        unsigned users = o->users == 0 ? 1 : o->users;
        struct multi_worker *workers = calloc(users, sizeof *workers);
        pthread_t *threads = calloc(users, sizeof *threads);
        pthread_barrier_t start;
        if (workers == NULL || threads == NULL)
                bench_fail("out of memory");
        pthread_barrier_init(&start, NULL, users + 1);
        for (unsigned u = 0; u < users; u++) {
                workers[u] = (struct multi_worker){ .options = o, .start = &start, .index = u,
                                                    .deadline = deadline };
                if (pthread_create(&threads[u], NULL, multi_thread, &workers[u]) != 0)
                        bench_fail("pthread_create failed");
        }
        pthread_barrier_wait(&start);
        double began = bench_now();
        unsigned total = 0, received = 0, failed = 0;
        for (unsigned u = 0; u < users; u++) {
                pthread_join(threads[u], NULL);
                total += workers[u].count;
                received += workers[u].received;
                failed += workers[u].failed;
        }
        double seconds = bench_now() - began;
        printf("pop3 mode=multi users=%u messages=%u received=%u failed_logins=%u "
               "seconds=%.3f rate=%.1f\n", users, total, received, failed, seconds,
               seconds > 0 ? received / seconds : 0.0);
        pthread_barrier_destroy(&start);
        free(workers);
        free(threads);
        return received == total && failed == 0 ? 0 : 1;
}

int bench_pop3(const struct bench_options *o)
{
        if (o->port == 0 || o->user == NULL || o->password == NULL || o->mode == NULL)
                bench_fail("pop3 needs --port, --user, --password and --mode");
        double deadline = bench_now() + o->timeout;
        if (strcmp(o->mode, "multi") == 0)
                return mode_multi(o, deadline);
        struct bench_conn *c = malloc(sizeof *c);
        if (c == NULL)
                bench_fail("out of memory");
        int rc;
        if (strcmp(o->mode, "login") == 0)
                rc = mode_login(o, c, deadline);
        else if (strcmp(o->mode, "retr") == 0)
                rc = mode_retr(o, c, deadline);
        else
                bench_fail("--mode is login, retr or multi");
        free(c);
        return rc;
}
