/* SPDX-License-Identifier: MIT
 *
 * bench_smtp.c - smtpd under load: delivery throughput, and many idle
 * sessions held at once.
 *
 * Throughput: --threads client connections share --count messages of
 * --size octets. In per-message mode each message gets its own connection
 * (greeting, EHLO, transaction, QUIT), as a stream of independent senders
 * would; in reuse mode each connection sends message after message, as one
 * busy relay would. MAIL, RCPT and DATA go in one write (RFC 2920 §3.1: DATA
 * ends the group). The clock runs from the first connect until the last file
 * is in new/: the 250 after the data already promises that (RFC 5321 §4.1.1.4),
 * and the count of new/ confirms it.
 *
 * Idle: --sessions connections are opened, at most --window of them still
 * waiting for their greeting at a time, and all are held open. For each we
 * measure connect-to-greeting latency (RFC 5321 §3.1: the server greets
 * first); then the daemon's memory is read from /proc/<pid>/status.
 *
 * Standards:  RFC 5321 §3.1, RFC 5321 §4.1.1.4, RFC 5321 §4.2, RFC 2920 §3.1
 * Threads:    throughput: --threads workers with atomic counters; idle: one
 *             thread polling every socket.
 * Read next:  tests/bench/bench_pop3.c.
 */
#include "tests/bench/bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- throughput ---- */

struct smtp_shared {
        const struct bench_options *options;
        pthread_barrier_t start;
        atomic_uint next;          /* next message to send */
        atomic_uint delivered;     /* 250 after the data */
        atomic_uint failed;
        double deadline;
        char *envelope;            /* MAIL, RCPT, DATA in one write */
        size_t envelope_len;
        char *message;             /* the data, ".\r\n" included */
        size_t message_len;
};

/* Greeting and EHLO. Returns 0 or -1. */
static int smtp_open(struct bench_conn *c, const struct smtp_shared *s)
{
        static const char ehlo[] = "EHLO bench.example.test\r\n";
        if (bench_connect(c, s->options->port) != 0)
                return -1;
        if (bench_smtp_reply(c, s->deadline) != 220 ||
            bench_send(c, ehlo, sizeof ehlo - 1, s->deadline) != 0 ||
            bench_smtp_reply(c, s->deadline) != 250) {
                bench_close(c);
                return -1;
        }
        return 0;
}

static int smtp_transaction(struct bench_conn *c, const struct smtp_shared *s)
{
        if (bench_send(c, s->envelope, s->envelope_len, s->deadline) != 0 ||
            bench_smtp_reply(c, s->deadline) != 250 || bench_smtp_reply(c, s->deadline) != 250 ||
            bench_smtp_reply(c, s->deadline) != 354)
                return -1;
        if (bench_send(c, s->message, s->message_len, s->deadline) != 0 ||
            bench_smtp_reply(c, s->deadline) != 250)
                return -1;
        return 0;
}

static void smtp_quit(struct bench_conn *c, const struct smtp_shared *s)
{
        static const char quit[] = "QUIT\r\n";
        if (bench_send(c, quit, sizeof quit - 1, s->deadline) == 0)
                bench_smtp_reply(c, s->deadline);
        bench_close(c);
}

static void *smtp_thread(void *arg)
{
        struct smtp_shared *s = arg;
        bool reuse = strcmp(s->options->mode, "reuse") == 0;
        struct bench_conn *c = malloc(sizeof *c);
        if (c == NULL)
                bench_fail("out of memory");
        c->fd = -1;
        pthread_barrier_wait(&s->start);
        for (;;) {
                unsigned n = atomic_fetch_add(&s->next, 1);
                if (n >= s->options->count || bench_left(s->deadline) <= 0)
                        break;
                if (c->fd < 0 && smtp_open(c, s) != 0) {
                        atomic_fetch_add(&s->failed, 1);
                        continue;
                }
                if (smtp_transaction(c, s) == 0) {
                        atomic_fetch_add(&s->delivered, 1);
                } else {
                        atomic_fetch_add(&s->failed, 1);
                        bench_close(c);
                        continue;
                }
                if (!reuse)
                        smtp_quit(c, s);
        }
        if (c->fd >= 0)
                smtp_quit(c, s);
        free(c);
        return NULL;
}

int bench_smtp(const struct bench_options *o)
{
        if (o->port == 0 || o->maildir == NULL || o->threads == 0 || o->mode == NULL)
                bench_fail("smtp needs --port, --maildir, --threads and --mode");
        if (strcmp(o->mode, "reuse") != 0 && strcmp(o->mode, "per-message") != 0)
                bench_fail("--mode is per-message or reuse");
        struct smtp_shared *s = calloc(1, sizeof *s);
        if (s == NULL)
                bench_fail("out of memory");
        s->options = o;
        char envelope[512];
        int n = snprintf(envelope, sizeof envelope,
                         "MAIL FROM:<bench@localhost> SIZE=%u\r\nRCPT TO:<%s>\r\nDATA\r\n",
                         o->size, o->rcpt != NULL ? o->rcpt : "bench@localhost");
        s->envelope = envelope;
        s->envelope_len = (size_t)n;
        char *body = bench_message(o->size, 1);
        size_t body_len = strlen(body);
        s->message = malloc(body_len + 4);
        if (s->message == NULL)
                bench_fail("out of memory");
        memcpy(s->message, body, body_len);
        memcpy(s->message + body_len, ".\r\n", 3);
        s->message_len = body_len + 3;
        free(body);

        long before = bench_count_files(o->maildir);
        if (before < 0)
                bench_fail("cannot read %s", o->maildir);
        pthread_t *threads = calloc(o->threads, sizeof *threads);
        if (threads == NULL)
                bench_fail("out of memory");
        pthread_barrier_init(&s->start, NULL, o->threads + 1);
        s->deadline = bench_now() + o->timeout;
        for (unsigned t = 0; t < o->threads; t++)
                if (pthread_create(&threads[t], NULL, smtp_thread, s) != 0)
                        bench_fail("pthread_create failed");
        pthread_barrier_wait(&s->start);
        double began = bench_now();
        for (unsigned t = 0; t < o->threads; t++)
                pthread_join(threads[t], NULL);
        unsigned delivered = atomic_load(&s->delivered);
        /* Until the last file is in new/ (already true after each 250). */
        long files = bench_count_files(o->maildir) - before;
        while (files < (long)delivered && bench_left(s->deadline) > 0) {
                struct timespec pause = { 0, 1000000 };
                nanosleep(&pause, NULL);
                files = bench_count_files(o->maildir) - before;
        }
        double seconds = bench_now() - began;
        printf("smtp mode=%s conns=%u count=%u size=%u delivered=%u failed=%u files=%ld "
               "seconds=%.3f rate=%.1f\n", o->mode, o->threads, o->count, o->size, delivered,
               atomic_load(&s->failed), files, seconds,
               seconds > 0 ? (double)files / seconds : 0.0);
        pthread_barrier_destroy(&s->start);
        free(s->message);
        free(s);
        free(threads);
        return files == (long)o->count ? 0 : 1;
}

/* ---- idle sessions ---- */

enum idle_state { IDLE_UNUSED, IDLE_CONNECTING, IDLE_GREETING, IDLE_GREETED, IDLE_FAILED };

struct idle_session {
        int fd;
        enum idle_state state;
        double started;
        float latency;           /* seconds from connect() to the greeting's end */
        unsigned short used;
        char buf[254];
};

static int idle_connect(struct idle_session *s, unsigned port)
{
        s->fd = socket(AF_INET, SOCK_STREAM, 0);
        if (s->fd < 0)
                return -1;
        fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        s->started = bench_now();
        if (connect(s->fd, (struct sockaddr *)&sin, sizeof sin) != 0 && errno != EINPROGRESS) {
                close(s->fd);
                s->fd = -1;
                return -1;
        }
        s->state = IDLE_CONNECTING;
        return 0;
}

/* Read what arrived; true when the session left IDLE_GREETING. A greeting
 * may span lines ("220-"); it ends with "220 " (RFC 5321 §4.2). */
static bool idle_read(struct idle_session *s, unsigned *refused)
{
        ssize_t n = read(s->fd, s->buf + s->used, sizeof s->buf - 1 - s->used);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return false;
        if (n <= 0) {
                s->state = IDLE_FAILED;
                return true;
        }
        s->used += (unsigned short)n;
        s->buf[s->used] = '\0';
        char *line = s->buf;
        char *lf;
        while ((lf = strchr(line, '\n')) != NULL) {
                if (strncmp(line, "220 ", 4) == 0) {
                        s->latency = (float)(bench_now() - s->started);
                        s->state = IDLE_GREETED;
                        return true;
                }
                if (strncmp(line, "220-", 4) != 0) {
                        /* 421 4.3.2: the connection cap refused us. */
                        (*refused)++;
                        s->state = IDLE_FAILED;
                        return true;
                }
                line = lf + 1;
        }
        if (s->used >= sizeof s->buf - 1)
                s->used = 0;
        return false;
}

static int compare_float(const void *a, const void *b)
{
        float x = *(const float *)a, y = *(const float *)b;
        return x < y ? -1 : x > y;
}

/* NOOP on every 100th held session: each must still answer 250. */
static unsigned idle_probe(struct idle_session *sessions, unsigned count, unsigned *probed,
                           double deadline)
{
        unsigned ok = 0;
        *probed = 0;
        for (unsigned i = 0; i < count; i += 100) {
                if (sessions[i].state != IDLE_GREETED)
                        continue;
                (*probed)++;
                struct bench_conn *c = malloc(sizeof *c);
                if (c == NULL)
                        bench_fail("out of memory");
                c->fd = sessions[i].fd;
                c->start = c->end = 0;
                if (bench_send(c, "NOOP\r\n", 6, deadline) == 0 &&
                    bench_smtp_reply(c, deadline) == 250)
                        ok++;
                free(c);
        }
        return ok;
}

int bench_idle(const struct bench_options *o)
{
        if (o->port == 0 || o->sessions == 0 || o->pid <= 0)
                bench_fail("idle needs --port, --sessions and --pid");
        unsigned long limit = bench_raise_fd_limit(o->sessions + 64ul);
        if (limit < o->sessions + 16ul)
                bench_fail("only %lu descriptors allowed; %u sessions need more (ulimit -n)",
                           limit, o->sessions);
        unsigned window = o->window > 0 ? o->window : 100;
        struct idle_session *sessions = calloc(o->sessions, sizeof *sessions);
        unsigned *flight = calloc(window, sizeof *flight);
        struct pollfd *pfds = calloc(window, sizeof *pfds);
        if (sessions == NULL || flight == NULL || pfds == NULL)
                bench_fail("out of memory");
        long rss_before = bench_proc_status(o->pid, "VmRSS");
        long threads_before = bench_proc_status(o->pid, "Threads");
        double deadline = bench_now() + o->timeout;
        double began = bench_now();
        unsigned next = 0, in_flight = 0, greeted = 0, failed = 0, refused = 0;

        while ((next < o->sessions || in_flight > 0) && bench_left(deadline) > 0) {
                while (in_flight < window && next < o->sessions) {
                        if (idle_connect(&sessions[next], o->port) == 0) {
                                flight[in_flight++] = next;
                        } else {
                                sessions[next].state = IDLE_FAILED;
                                failed++;
                        }
                        next++;
                }
                for (unsigned i = 0; i < in_flight; i++) {
                        struct idle_session *s = &sessions[flight[i]];
                        pfds[i] = (struct pollfd){ .fd = s->fd,
                                                   .events = s->state == IDLE_CONNECTING
                                                                     ? POLLOUT : POLLIN };
                }
                if (poll(pfds, in_flight, 100) <= 0)
                        continue;
                for (unsigned i = 0; i < in_flight;) {
                        struct idle_session *s = &sessions[flight[i]];
                        bool done = false;
                        if (pfds[i].revents != 0 && s->state == IDLE_CONNECTING) {
                                int error = 0;
                                socklen_t len = sizeof error;
                                getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &error, &len);
                                s->state = error == 0 ? IDLE_GREETING : IDLE_FAILED;
                                done = error != 0;
                        } else if (pfds[i].revents != 0) {
                                done = idle_read(s, &refused);
                        }
                        if (!done) {
                                i++;
                                continue;
                        }
                        if (s->state == IDLE_GREETED)
                                greeted++;
                        else
                                failed++;
                        /* Keep flight[] and pfds[] in step: move the last one here. */
                        in_flight--;
                        flight[i] = flight[in_flight];
                        pfds[i] = pfds[in_flight];
                }
        }
        double established = bench_now() - began;

        /* Let the daemon's threads settle, then read its memory. */
        struct timespec settle = { 1, 0 };
        nanosleep(&settle, NULL);
        long rss = bench_proc_status(o->pid, "VmRSS");
        long hwm = bench_proc_status(o->pid, "VmHWM");
        long threads = bench_proc_status(o->pid, "Threads");
        unsigned probed;
        unsigned alive = idle_probe(sessions, o->sessions, &probed, bench_now() + 30);

        float *latencies = calloc(greeted + 1, sizeof *latencies);
        unsigned slow = 0, k = 0;
        for (unsigned i = 0; i < o->sessions && latencies != NULL; i++) {
                if (sessions[i].state != IDLE_GREETED)
                        continue;
                latencies[k++] = sessions[i].latency;
                slow += sessions[i].latency > 1.0f;
        }
        if (latencies == NULL)
                bench_fail("out of memory");
        qsort(latencies, k, sizeof *latencies, compare_float);

        /* Close everything and time how long the daemon takes to let go. */
        double closing = bench_now();
        for (unsigned i = 0; i < o->sessions; i++)
                if (sessions[i].state != IDLE_UNUSED && sessions[i].fd >= 0)
                        close(sessions[i].fd);
        long threads_after = bench_proc_status(o->pid, "Threads");
        while (threads_after > threads_before + 2 && bench_now() - closing < 30) {
                struct timespec pause = { 0, 50000000 };
                nanosleep(&pause, NULL);
                threads_after = bench_proc_status(o->pid, "Threads");
        }
        printf("idle sessions=%u greeted=%u failed=%u refused=%u over_1s=%u "
               "p50_ms=%.1f p99_ms=%.1f max_ms=%.1f establish_seconds=%.2f "
               "rss_before_kb=%ld rss_kb=%ld hwm_kb=%ld threads=%ld per_session_kb=%.1f "
               "noop_ok=%u noop_probed=%u release_seconds=%.2f\n",
               o->sessions, greeted, failed, refused, slow,
               k ? latencies[k / 2] * 1000.0 : 0.0,
               k ? latencies[(k * 99) / 100] * 1000.0 : 0.0,
               k ? latencies[k - 1] * 1000.0 : 0.0, established, rss_before, rss, hwm, threads,
               greeted ? (double)(rss - rss_before) / greeted : 0.0, alive, probed,
               bench_now() - closing);
        free(latencies);
        free(sessions);
        free(flight);
        free(pfds);
        return greeted == o->sessions ? 0 : 1;
}
