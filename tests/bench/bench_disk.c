/* SPDX-License-Identifier: MIT
 *
 * bench_disk.c - the disk's own limit: how fast can anything deliver into a
 * Maildir on this file system, with the durability smtpd promises?
 *
 * The bare loop does per message what a careful MDA must do and nothing
 * else: create in tmp/ (O_EXCL), write, fsync the file, rename into new/,
 * fsync new/. No protocol, no parsing. smtpd's rate is then printed as a
 * fraction of this one at a matching concurrency, because absolute figures
 * drift with the machine while the fraction says how much the server itself
 * costs. --library runs the same count through libmaildir's delivery
 * (link instead of rename, ,S= and ,W= counted while writing) to separate
 * the library's share from the daemon's.
 *
 * Standards:  RFC 5321 §4.1.1.4, RFC 5321 §6.1
 * Threads:    --threads workers, each with its own names; they share only the
 *             start barrier and the directory.
 * Read next:  maildir/deliver.c (the real delivery), tests/bench/bench_smtp.c.
 */
#include "tests/bench/bench.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "maildir/maildir.h"

#define DISK_USER "bench"

struct disk_worker {
        const struct bench_options *options;
        pthread_barrier_t *start;
        unsigned index;
        unsigned count;
        const char *message;
        size_t len;
        double deadline;
        unsigned done;
        char error[256];
};

/* "<a>/<b>" into out[size]; the benchmark stops on a path too long. */
static void join(char *out, size_t size, const char *a, const char *b)
{
        int n = snprintf(out, size, "%s/%s", a, b);
        if (n < 0 || (size_t)n >= size)
                bench_fail("path too long: %s/%s", a, b);
}

static int write_all(int fd, const char *data, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, data, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -1;
                data += n;
                len -= (size_t)n;
        }
        return 0;
}

/* One message the bare way. Returns 0 or -1 with errno. */
static int bare_delivery(const char *user_dir, int new_fd, const char *name,
                         const char *message, size_t len)
{
        char tmp_dir[PATH_MAX], new_dir[PATH_MAX], tmp_path[PATH_MAX], new_path[PATH_MAX];
        join(tmp_dir, sizeof tmp_dir, user_dir, "tmp");
        join(new_dir, sizeof new_dir, user_dir, "new");
        join(tmp_path, sizeof tmp_path, tmp_dir, name);
        join(new_path, sizeof new_path, new_dir, name);
        int fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0)
                return -1;
        if (write_all(fd, message, len) != 0 || fsync(fd) != 0) {
                close(fd);
                unlink(tmp_path);
                return -1;
        }
        if (close(fd) != 0 || rename(tmp_path, new_path) != 0)
                return -1;
        /* The rename is a change to new/: durable only once new/ is synced. */
        return fsync(new_fd);
}

static int library_delivery(const char *root, const char *message, size_t len)
{
        struct maildir_delivery *d = maildir_delivery_begin(root, DISK_USER);
        if (d == NULL)
                return -1;
        if (maildir_delivery_write(d, message, len) != MAILDIR_OK) {
                maildir_delivery_abort(d);
                return -1;
        }
        const char *const users[] = { DISK_USER };
        return maildir_delivery_commit(d, users, 1, NULL, 0) == MAILDIR_OK ? 0 : -1;
}

static void *disk_thread(void *arg)
{
        struct disk_worker *w = arg;
        const struct bench_options *o = w->options;
        char user_dir[PATH_MAX], new_dir[PATH_MAX];
        join(user_dir, sizeof user_dir, o->dir, DISK_USER);
        join(new_dir, sizeof new_dir, user_dir, "new");
        int new_fd = open(new_dir, O_RDONLY | O_DIRECTORY);
        if (new_fd < 0)
                snprintf(w->error, sizeof w->error, "open new/: %s", strerror(errno));
        pthread_barrier_wait(w->start);
        if (new_fd < 0)
                return NULL;
        for (unsigned i = 0; i < w->count && bench_left(w->deadline) > 0; i++) {
                int rc;
                if (o->library) {
                        rc = library_delivery(o->dir, w->message, w->len);
                } else {
                        char name[128];
                        snprintf(name, sizeof name, "%ld.T%uN%u.bench", (long)time(NULL),
                                 w->index, i);
                        rc = bare_delivery(user_dir, new_fd, name, w->message, w->len);
                }
                if (rc != 0) {
                        snprintf(w->error, sizeof w->error, "delivery: %s", strerror(errno));
                        break;
                }
                w->done++;
        }
        close(new_fd);
        return NULL;
}

int bench_disk(const struct bench_options *o)
{
        if (o->dir == NULL || o->threads == 0 || o->count == 0)
                bench_fail("disk needs --dir, --threads and --count");
        if (maildir_create(o->dir, DISK_USER) != 0)
                bench_fail("cannot create the Maildir under %s: %s", o->dir, strerror(errno));
        size_t len, wire;
        char *message = bench_message_lf(o->size, 1, &len, &wire);
        struct disk_worker *workers = calloc(o->threads, sizeof *workers);
        pthread_t *threads = calloc(o->threads, sizeof *threads);
        pthread_barrier_t start;
        if (workers == NULL || threads == NULL)
                bench_fail("out of memory");
        pthread_barrier_init(&start, NULL, o->threads + 1);
        double deadline = bench_now() + o->timeout;
        for (unsigned t = 0; t < o->threads; t++) {
                workers[t] = (struct disk_worker){
                        .options = o, .start = &start, .index = t, .message = message,
                        .len = len, .deadline = deadline,
                        .count = o->count / o->threads + (t < o->count % o->threads ? 1 : 0) };
                if (pthread_create(&threads[t], NULL, disk_thread, &workers[t]) != 0)
                        bench_fail("pthread_create failed");
        }
        pthread_barrier_wait(&start);
        double began = bench_now();
        unsigned done = 0;
        for (unsigned t = 0; t < o->threads; t++) {
                pthread_join(threads[t], NULL);
                done += workers[t].done;
                if (workers[t].error[0] != '\0')
                        fprintf(stderr, "mailbench: disk thread %u: %s\n", t, workers[t].error);
        }
        double seconds = bench_now() - began;
        pthread_barrier_destroy(&start);
        printf("disk loop=%s threads=%u count=%u size=%zu done=%u seconds=%.3f rate=%.1f\n",
               o->library ? "libmaildir" : "bare", o->threads, o->count, wire, done, seconds,
               seconds > 0 ? done / seconds : 0.0);
        free(message);
        free(workers);
        free(threads);
        return done == o->count ? 0 : 1;
}
