/* SPDX-License-Identifier: MIT
 *
 * deliver.c - crash-safe delivery: tmp/ -> fsync -> link into every new/.
 *
 * The Maildir promise is that a reader never sees half a message and a
 * crash never loses one that was acknowledged. The steps, in this order:
 *
 *   1. create <root>/<first user>/tmp/<unique> with O_CREAT|O_EXCL, mode 0600
 *      (O_EXCL: we never write into someone else's file);
 *   2. write the message, counting its octets on disk (,S=) and on the
 *      POP3 wire with CRLF line ends (,W=, the count of common/dot's
 *      struct dot_wire_size);
 *   3. fsync the file and check close(), so a full disk or a quota reports
 *      here and not later;
 *   4. link the file into <root>/<user>/new/<unique>,S=<s>,W=<w> for every
 *      recipient: one copy on disk, one name per Maildir. Where a link is
 *      refused (another file system, EXDEV; a file system without hard
 *      links, EPERM) the file is copied into that Maildir's tmp/, fsynced
 *      and renamed into new/ instead;
 *   5. fsync every new/ directory, because a link is a change to the
 *      directory and lives only in memory until the directory is synced;
 *   6. remove the tmp/ name.
 *
 * Only after step 5 may smtpd answer 250 (RFC 5321 §4.1.1.4: the 250 means
 * the server "is accepting responsibility" for the message, RFC 5321 §6.1). If any
 * step fails, every link already made and the tmp/ file are removed, so
 * either all recipients have the message or none does: smtpd answers 451 or
 * 452 and the client retries the whole message later.
 *
 * Standards:  RFC 5321 §4.1.1.4, RFC 5321 §6.1, RFC 1939 §7
 * Threads:    a struct maildir_delivery belongs to one thread; different
 *             deliveries may run at once in any threads or processes (names
 *             are unique, see name.c).
 * Read next:  maildir/scan.c (how POP3 finds what was delivered here).
 */
#include "maildir/maildir.h"

#include "common/dot.h"
#include "common/limits.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* RFC 1939 §7: a unique-id is at most 70 characters. */
#define UNIQUE_MAX 70
/* How often begin() tries another name when O_EXCL finds one taken. */
#define CREATE_ATTEMPTS 3
#define COPY_BUFFER_SIZE 16384

struct maildir_delivery {
        int fd;                         /* the tmp/ file, -1 once closed */
        bool failed;                    /* a write failed: commit must fail too */
        int failed_errno;
        uint64_t size;                  /* octets written: ,S= */
        struct dot_wire_size wire;      /* octets on the wire: ,W= */
        char root[PATH_MAX];
        char unique[MAILDIR_NAME_MAX + 1];
        char tmp_path[PATH_MAX];
};

/* ENOSPC, EDQUOT and EFBIG may pass (space is freed, a quota raised), so
 * smtpd says 452 4.3.1 and the client tries again; anything else is 451. */
static enum maildir_result result_from_errno(int error)
{
        switch (error) {
        case ENOSPC:
#ifdef EDQUOT
        case EDQUOT:
#endif
        case EFBIG:
                return MAILDIR_ERR_TEMP;
        default:
                return MAILDIR_ERR_IO;
        }
}

/* "<root>/<user>/<dir>/<name>" (name may be NULL) into path[PATH_MAX]. */
static int build_path(char *path, const char *root, const char *user, const char *dir,
                      const char *name)
{
        int length = name != NULL
                ? snprintf(path, PATH_MAX, "%s/%s/%s/%s", root, user, dir, name)
                : snprintf(path, PATH_MAX, "%s/%s/%s", root, user, dir);
        if (length < 0 || length >= PATH_MAX) {
                errno = ENAMETOOLONG;
                return -1;
        }
        return 0;
}

/* write() until everything is written: a write may be partial (a signal, a
 * full pipe, a file size limit reached half-way) and may be interrupted. */
static int write_all(int fd, const char *data, size_t length)
{
        while (length > 0) {
                size_t chunk = length > (size_t)SSIZE_MAX ? (size_t)SSIZE_MAX : length;
                ssize_t written = write(fd, data, chunk);
                if (written < 0) {
                        if (errno == EINTR)
                                continue;
                        return -1;
                }
                data += written;
                length -= (size_t)written;
        }
        return 0;
}

/* Step 1. The tmp/ file lives in the first recipient's Maildir, so that the
 * link() of step 4 stays on one file system in the usual layout (one mail
 * root on one disk). Mode 0600: a message is readable by its owner only. */
struct maildir_delivery *maildir_delivery_begin(const char *root, const char *first_user)
{
        /* SECURITY: path traversal. The callers validate too; the library
         * does not trust them to. */
        if (root == NULL || !maildir_user_valid(first_user)) {
                errno = EINVAL;
                return NULL;
        }
        struct maildir_delivery *d = calloc(1, sizeof(*d));
        if (d == NULL)
                return NULL;
        d->fd = -1;
        size_t root_length = strlen(root);
        if (root_length >= sizeof(d->root)) {
                free(d);
                errno = ENAMETOOLONG;
                return NULL;
        }
        memcpy(d->root, root, root_length + 1);

        /* O_EXCL: if the name exists after all (a clock step back, a pid
         * reused), take the next one rather than share a file. */
        for (int attempt = 0; attempt < CREATE_ATTEMPTS && d->fd < 0; attempt++) {
                if (maildir_unique_name(d->unique, sizeof(d->unique)) != 0 ||
                    build_path(d->tmp_path, root, first_user, "tmp", d->unique) != 0)
                        break;
                d->fd = open(d->tmp_path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
                if (d->fd < 0 && errno != EEXIST)
                        break;
        }
        if (d->fd < 0) {
                int saved = errno;
                free(d);
                errno = saved;
                return NULL;
        }
        return d;
}

/* Step 2. A failed write poisons the delivery: a file with a hole in it
 * must never be linked, so the error is remembered and commit returns it
 * again. The sizes count only bytes that reached the file; the wire size is
 * kept as a running state because a CR and its LF may arrive in different
 * calls. */
enum maildir_result maildir_delivery_write(struct maildir_delivery *d, const void *data,
                                           size_t len)
{
        if (d->failed) {
                errno = d->failed_errno;
                return result_from_errno(d->failed_errno);
        }
        if (write_all(d->fd, data, len) != 0) {
                d->failed = true;
                d->failed_errno = errno;
                return result_from_errno(errno);
        }
        d->size += len;
        dot_wire_size_add(&d->wire, data, len);
        return MAILDIR_OK;
}

/* The name in new/: the tmp/ name plus ",S=<s>,W=<w>". RFC 1939 §7 limits a
 * UIDL to 70 characters and the UIDL is everything before ':', sizes
 * included; when the sizes would push it past 70 the host part (after the
 * second '.') is shortened, never inside a "\ooo" escape. The time, pid and
 * counter before it keep the name unique. */
static void build_final_name(const struct maildir_delivery *d, char *out, size_t size)
{
        char sizes[64];
        int sizes_length = snprintf(sizes, sizeof(sizes), ",S=%" PRIu64 ",W=%" PRIu64, d->size,
                                    dot_wire_size_total(&d->wire));
        size_t base_length = strlen(d->unique);
        const char *first_dot = strchr(d->unique, '.');
        const char *host = first_dot != NULL ? strchr(first_dot + 1, '.') : NULL;

        if (host != NULL && base_length + (size_t)sizes_length > UNIQUE_MAX) {
                size_t host_start = (size_t)(host - d->unique) + 1;
                size_t keep = UNIQUE_MAX > (size_t)sizes_length
                        ? UNIQUE_MAX - (size_t)sizes_length : 0;
                if (keep < host_start)
                        keep = host_start;
                /* Do not leave a partial "\057": back up to its backslash. */
                for (size_t i = keep; i > host_start && i + 3 > keep; i--) {
                        if (d->unique[i - 1] == '\\') {
                                keep = i - 1;
                                break;
                        }
                }
                if (keep < base_length)
                        base_length = keep;
        }
        snprintf(out, size, "%.*s%s", (int)base_length, d->unique, sizes);
}

/* Copy the committed tmp/ file to target (a new name, O_EXCL). The copy is
 * fsynced like the original; on failure it is removed. */
static int copy_file(const char *source, const char *target)
{
        /* On the heap: inlined into maildir_delivery_commit(), a 16 KiB
         * array would push every delivery 25 KiB down the session thread's
         * stack for a path that almost never runs; those pages are then
         * released at thread exit (glibc keeps only the top 16 KiB) and
         * faulted in again by the next session. */
        char *buffer = malloc(COPY_BUFFER_SIZE);
        if (buffer == NULL)
                return -1;
        int in = open(source, O_RDONLY | O_CLOEXEC);
        if (in < 0) {
                free(buffer);
                return -1;
        }
        int out = open(target, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
        if (out < 0) {
                int saved = errno;
                close(in);
                free(buffer);
                errno = saved;
                return -1;
        }
        int result = 0;
        for (;;) {
                ssize_t got = read(in, buffer, COPY_BUFFER_SIZE);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got <= 0) {
                        result = got < 0 ? -1 : 0;
                        break;
                }
                if (write_all(out, buffer, (size_t)got) != 0) {
                        result = -1;
                        break;
                }
        }
        if (result == 0 && fsync(out) != 0)
                result = -1;
        int saved = errno;
        if (close(out) != 0 && result == 0) {
                result = -1;
                saved = errno;
        }
        close(in);
        free(buffer);
        if (result != 0)
                unlink(target);
        errno = saved;
        return result;
}

/* The fallback of step 4 when link() is refused: copy the message into the
 * recipient's own tmp/ under its final name, fsynced, then rename() it
 * into new/. A reader of new/ therefore never sees half a message, which a
 * copy written straight into new/ would show (the Maildir rule: only whole
 * files appear in new/). The unique name makes a collision in new/
 * impossible in practice; rename() is used because the file system that
 * refused link() with EPERM cannot link either. */
static int copy_into_new(const struct maildir_delivery *d, const char *user,
                         const char *final_name, const char *new_path)
{
        char copy_path[PATH_MAX];

        if (build_path(copy_path, d->root, user, "tmp", final_name) != 0 ||
            copy_file(d->tmp_path, copy_path) != 0)
                return -1;
        if (rename(copy_path, new_path) != 0) {
                int saved = errno;
                unlink(copy_path);
                errno = saved;
                return -1;
        }
        return 0;
}

/* True when users[index] already appeared earlier in the list: an alias
 * that expands to the same mailbox twice gets the message once. */
static bool seen_before(const char *const users[], size_t index)
{
        for (size_t i = 0; i < index; i++) {
                if (strcmp(users[i], users[index]) == 0)
                        return true;
        }
        return false;
}

enum maildir_result maildir_delivery_commit(struct maildir_delivery *d, const char *const users[],
                                            size_t count, char *name_out, size_t name_size)
{
        char final_name[MAILDIR_NAME_MAX + 1] = "";
        char path[PATH_MAX];
        bool *linked = NULL;
        int error = 0;
        int fd;

        if (d->failed) {
                error = d->failed_errno;
                goto fail;
        }
        if (count == 0) {
                error = EINVAL;
                goto fail;
        }
        for (size_t i = 0; i < count; i++) {
                /* SECURITY: path traversal. */
                if (!maildir_user_valid(users[i])) {
                        error = EINVAL;
                        goto fail;
                }
        }
        linked = calloc(count, sizeof(*linked));
        if (linked == NULL) {
                error = errno;
                goto fail;
        }

        /* Step 3: the data is on disk before any name points to it. close()
         * is checked because some file systems (NFS) report write errors
         * only there. */
        if (fsync(d->fd) != 0) {
                error = errno;
                goto fail;
        }
        fd = d->fd;
        d->fd = -1;
        if (close(fd) != 0) {
                error = errno;
                goto fail;
        }

        /* Step 4: one name per recipient, all pointing at the same inode. */
        build_final_name(d, final_name, sizeof(final_name));
        for (size_t i = 0; i < count; i++) {
                if (seen_before(users, i))
                        continue;
                /* link() never replaces an existing name: a collision fails
                 * with EEXIST instead of overwriting someone's message. */
                if (build_path(path, d->root, users[i], "new", final_name) != 0) {
                        error = errno;
                        goto fail;
                }
                if (link(d->tmp_path, path) != 0) {
                        if ((errno != EXDEV && errno != EPERM) ||
                            copy_into_new(d, users[i], final_name, path) != 0) {
                                error = errno;
                                goto fail;
                        }
                }
                linked[i] = true;
        }

        /* Step 5: make the new names durable; only now is the message
         * delivered. */
        for (size_t i = 0; i < count; i++) {
                if (!linked[i])
                        continue;
                if (build_path(path, d->root, users[i], "new", NULL) != 0 ||
                    maildir_sync_directory(path) != 0) {
                        error = errno;
                        goto fail;
                }
        }

        /* Step 6. The message is delivered whatever happens here; a tmp/ name
         * left behind is removed by maildir_clean_tmp() after 36 hours. */
        if (unlink(d->tmp_path) != 0)
                log_warn(0, "maildir: cannot remove %s: %s", d->tmp_path, strerror(errno));
        if (name_out != NULL && name_size > 0)
                snprintf(name_out, name_size, "%s", final_name);
        free(linked);
        free(d);
        return MAILDIR_OK;

fail:
        /* All or nothing: take back every name given out so far. A link that
         * cannot be removed is logged, because it is a message a recipient
         * will see although the client was told it failed. */
        for (size_t i = 0; linked != NULL && i < count; i++) {
                if (!linked[i])
                        continue;
                if (build_path(path, d->root, users[i], "new", final_name) == 0 &&
                    unlink(path) != 0)
                        log_err(0, "maildir: cannot take back %s: %s", path, strerror(errno));
        }
        free(linked);
        maildir_delivery_abort(d);
        errno = error;
        return result_from_errno(error);
}

/* smtpd aborts when the message turns out to be unacceptable after begin()
 * (too big, a bare LF): nothing is linked yet, so removing the tmp/ name is
 * all there is to undo. errno is kept for the caller's report. */
void maildir_delivery_abort(struct maildir_delivery *d)
{
        if (d == NULL)
                return;
        int saved = errno;
        if (d->fd >= 0)
                close(d->fd);
        if (unlink(d->tmp_path) != 0 && errno != ENOENT)
                log_warn(0, "maildir: cannot remove %s: %s", d->tmp_path, strerror(errno));
        free(d);
        errno = saved;
}
