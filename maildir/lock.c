/* SPDX-License-Identifier: MIT
 *
 * lock.c - the POP3 session lock: one session per maildrop at a time.
 *
 * RFC 1939 §4 asks for "an exclusive-access lock on the maildrop" from login
 * until the UPDATE state, so that two sessions never hand out different
 * message numbers for one Maildir and then delete each other's messages.
 * We flock() a file <root>/<user>/.pop3.lock (a dot file: scans skip it).
 *
 * Why flock() and not fcntl() record locks: an fcntl lock belongs to the
 * process, so two threads of pop3d (two sessions) would both "get" it, and
 * closing any descriptor of the file drops it. An flock lock belongs to the
 * open file description: every maildir_lock() call opens the file anew, so
 * two sessions conflict whether they are threads of one process or
 * different processes. The kernel releases the lock when the descriptor is
 * closed, also when the process dies, so a crash leaves no stale lock.
 * (flock over NFS is emulated or absent on some systems; the mail root is
 * meant to be local.)
 *
 * Standards:  RFC 1939 §4, RFC 2449 §8.1.2
 * Threads:    safe from any thread; the lock is the shared state, kept by the
 *             kernel.
 * Read next:  maildir/clean.c.
 */
#include "maildir/maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

int maildir_lock(const char *root, const char *user)
{
        char path[PATH_MAX];

        /* SECURITY: path traversal. */
        if (root == NULL || !maildir_user_valid(user)) {
                errno = EINVAL;
                return -1;
        }
        int length = snprintf(path, sizeof(path), "%s/%s/.pop3.lock", root, user);
        if (length < 0 || (size_t)length >= sizeof(path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        /* O_NOFOLLOW: a symlink planted in the Maildir does not make us
         * create or open a file elsewhere. */
        int fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -1;
        for (;;) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        return fd;
                if (errno != EINTR)
                        break;
        }
        int saved = errno;
        close(fd);
        /* RFC 2449 §8.1.2: the caller answers "-ERR [IN-USE]" for this case. */
        if (saved == EWOULDBLOCK)
                return -2;
        errno = saved;
        return -1;
}

void maildir_unlock(int lock_fd)
{
        if (lock_fd < 0)
                return;
        /* Closing the only descriptor of the open file description releases
         * the lock; the explicit LOCK_UN also covers a descriptor inherited
         * by a forked child that still holds a copy. */
        flock(lock_fd, LOCK_UN);
        close(lock_fd);
}
