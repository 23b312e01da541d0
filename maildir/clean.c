/* SPDX-License-Identifier: MIT
 *
 * clean.c - remove what crashed deliveries left in tmp/.
 *
 * A delivery that dies between creating its tmp/ file and linking it into
 * new/ (a crash, a power cut, a kill -9) leaves the file behind. Nobody will
 * ever link it: the client got no 250 and sends the message again. qmail's
 * rule, kept by every Maildir program since, is that a tmp/ file untouched
 * for 36 hours is garbage. The age is far longer than any delivery can take,
 * so we never remove a file that a slow delivery is still writing.
 *
 * Only regular files are removed; a directory or a symlink someone put in
 * tmp/ is left alone (unlinkat() would not follow the symlink anyway, but a
 * Maildir with surprises in it deserves a human look).
 *
 * Standards:  none (the Maildir convention, see maildir.5)
 * Threads:    no shared state; safe from any thread. Concurrent cleaners
 *             may both try a file: the loser's ENOENT is ignored.
 * Read next:  maildir/maildir.5 (the on-disk format as a whole).
 */
#include "maildir/maildir.h"

#include "common/limits.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int maildir_clean_tmp(const char *root, const char *user, time_t now)
{
        char path[PATH_MAX];

        /* SECURITY: path traversal. */
        if (root == NULL || !maildir_user_valid(user)) {
                errno = EINVAL;
                return -1;
        }
        int length = snprintf(path, sizeof(path), "%s/%s/tmp", root, user);
        if (length < 0 || (size_t)length >= sizeof(path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        DIR *directory = opendir(path);
        if (directory == NULL)
                return -1;

        time_t oldest_kept = now - MAILDIR_TMP_MAX_AGE_SECONDS;
        int removed = 0;
        int error = 0;
        for (;;) {
                errno = 0;
                struct dirent *item = readdir(directory);
                if (item == NULL) {
                        if (errno != 0)
                                error = errno;
                        break;
                }
                struct stat st;
                if (fstatat(dirfd(directory), item->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
                        continue;       /* removed by someone else meanwhile */
                if (!S_ISREG(st.st_mode) || st.st_mtime >= oldest_kept)
                        continue;
                if (unlinkat(dirfd(directory), item->d_name, 0) == 0)
                        removed++;
                else if (errno != ENOENT)
                        error = errno;  /* keep going: remove what we can */
        }
        closedir(directory);
        if (error != 0) {
                errno = error;
                return -1;
        }
        return removed;
}
