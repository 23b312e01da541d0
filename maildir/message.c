/* SPDX-License-Identifier: MIT
 *
 * message.c - one scanned message: open it, mark it seen, remove it.
 *
 * A scan is a snapshot, and the directory may change under it: a mail client
 * using the Maildir directly, or a POP3 session that outlived its lock, can
 * move a message from new/ to cur/ or change its flags. The unique name (the
 * part before ':') never changes, so when a file is not where the snapshot
 * says, we look the unique name up again in cur/ and new/ and carry on with
 * the name found there (entry->filename is updated).
 *
 * Seen messages move to cur/ with the info ":2,S" (RFC 1939 does not ask for
 * this; it lets a mail client that reads the Maildir directly see what POP3
 * already fetched). Flags after ":2," are kept in ASCII order, as the Maildir
 * convention asks, so "FS" and never "SF".
 *
 * Standards:  RFC 1939 §5, RFC 1939 §6
 * Threads:    no shared state; an entry belongs to one session.
 * Read next:  maildir/lock.c (why two sessions do not race on one Maildir).
 */
#include "maildir/maildir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* SECURITY: path traversal. An entry's filename must be "new/<name>" or
 * "cur/<name>" with no further '/' and no dot file, whoever filled it in. */
static bool filename_valid(const char *filename)
{
        if (filename == NULL ||
            (strncmp(filename, "new/", 4) != 0 && strncmp(filename, "cur/", 4) != 0))
                return false;
        return filename[4] != '\0' && filename[4] != '.' && strchr(filename + 4, '/') == NULL;
}

/* "<root>/<user>/<filename>" into path[PATH_MAX]. */
static int build_path(char *path, const char *root, const char *user, const char *filename)
{
        if (root == NULL || !maildir_user_valid(user) || !filename_valid(filename)) {
                errno = EINVAL;
                return -1;
        }
        int length = snprintf(path, PATH_MAX, "%s/%s/%s", root, user, filename);
        if (length < 0 || length >= PATH_MAX) {
                errno = ENAMETOOLONG;
                return -1;
        }
        return 0;
}

/* Replace entry->filename with "<dir>/<name>". */
static int set_filename(struct maildir_entry *entry, const char *dir, const char *name)
{
        size_t length = strlen(dir) + 1 + strlen(name) + 1;
        char *filename = malloc(length);
        if (filename == NULL)
                return -1;
        snprintf(filename, length, "%s/%s", dir, name);
        free(entry->filename);
        entry->filename = filename;
        return 0;
}

/* Find entry->unique again in cur/ or new/ and update entry->filename.
 * Returns 0, or -1 with ENOENT when the message is gone. */
static int look_up_again(const char *root, const char *user, struct maildir_entry *entry)
{
        static const char *const dirs[] = { "cur", "new" };
        size_t unique_length = strlen(entry->unique);
        char path[PATH_MAX];

        for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
                int length = snprintf(path, sizeof(path), "%s/%s/%s", root, user, dirs[d]);
                if (length < 0 || (size_t)length >= sizeof(path)) {
                        errno = ENAMETOOLONG;
                        return -1;
                }
                DIR *directory = opendir(path);
                if (directory == NULL) {
                        if (errno == ENOENT)
                                continue;
                        return -1;
                }
                struct dirent *item;
                while ((item = readdir(directory)) != NULL) {
                        const char *name = item->d_name;
                        if (strncmp(name, entry->unique, unique_length) != 0 ||
                            (name[unique_length] != '\0' && name[unique_length] != ':'))
                                continue;
                        int result = set_filename(entry, dirs[d], name);
                        int saved = errno;
                        closedir(directory);
                        errno = saved;
                        return result;
                }
                closedir(directory);
        }
        errno = ENOENT;
        return -1;
}

/* SECURITY: path traversal. O_NOFOLLOW: a symbolic link planted in new/ or
 * cur/ must not make pop3d serve whatever file it points to. */
#define MAILDIR_MESSAGE_OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOFOLLOW)

int maildir_open_message(const char *root, const char *user, struct maildir_entry *entry)
{
        char path[PATH_MAX];

        if (build_path(path, root, user, entry->filename) != 0)
                return -1;
        int fd = open(path, MAILDIR_MESSAGE_OPEN_FLAGS);
        if (fd >= 0 || errno != ENOENT)
                return fd;
        /* Moved since the scan: one more try under its current name. */
        if (look_up_again(root, user, entry) != 0 ||
            build_path(path, root, user, entry->filename) != 0)
                return -1;
        return open(path, MAILDIR_MESSAGE_OPEN_FLAGS);
}

/* The cur/ name of a seen message: "cur/<unique>:2,<flags with S>", flags
 * in ASCII order. Sets *unchanged_out when filename already is that. */
static int seen_filename(const struct maildir_entry *entry, char *out, size_t size,
                         bool *unchanged_out)
{
        const char *base = entry->filename + 4;
        const char *colon = strchr(base, ':');
        char flags[MAILDIR_NAME_MAX + 2] = "";

        *unchanged_out = false;
        if (colon != NULL && strncmp(colon, ":2,", 3) == 0) {
                const char *old_flags = colon + 3;
                if (strchr(old_flags, 'S') != NULL && strncmp(entry->filename, "cur/", 4) == 0) {
                        *unchanged_out = true;
                        return 0;
                }
                /* Insert 'S' before the first flag that sorts after it. */
                size_t at = 0;
                while (old_flags[at] != '\0' && (unsigned char)old_flags[at] < 'S')
                        at++;
                if (strlen(old_flags) + 1 >= sizeof(flags)) {
                        errno = ENAMETOOLONG;
                        return -1;
                }
                snprintf(flags, sizeof(flags), "%.*sS%s", (int)at, old_flags,
                         old_flags + at + (old_flags[at] == 'S' ? 1 : 0));
        } else {
                /* No info, or a version other than 2 we cannot interpret. */
                strcpy(flags, "S");
        }
        size_t base_length = colon != NULL ? (size_t)(colon - base) : strlen(base);
        int length = snprintf(out, size, "cur/%.*s:2,%s", (int)base_length, base, flags);
        if (length < 0 || (size_t)length >= size || (size_t)length - 4 > MAILDIR_NAME_MAX) {
                errno = ENAMETOOLONG;
                return -1;
        }
        return 0;
}

int maildir_mark_seen(const char *root, const char *user, struct maildir_entry *entry)
{
        char old_path[PATH_MAX];
        char new_path[PATH_MAX];
        char new_filename[MAILDIR_NAME_MAX + 8];
        bool unchanged;

        for (int attempt = 0; attempt < 2; attempt++) {
                if (build_path(old_path, root, user, entry->filename) != 0 ||
                    seen_filename(entry, new_filename, sizeof(new_filename), &unchanged) != 0)
                        return -1;
                if (unchanged)
                        return 0;
                if (build_path(new_path, root, user, new_filename) != 0)
                        return -1;
                /* rename() within one Maildir is atomic: a reader sees the
                 * message under the old name or the new one, never neither. */
                if (rename(old_path, new_path) == 0) {
                        char *filename = strdup(new_filename);
                        if (filename == NULL)
                                return -1;
                        free(entry->filename);
                        entry->filename = filename;
                        return 0;
                }
                if (errno != ENOENT || attempt > 0 || look_up_again(root, user, entry) != 0)
                        return -1;
        }
        errno = ENOENT;
        return -1;
}

int maildir_remove(const char *root, const char *user, struct maildir_entry *entry)
{
        char path[PATH_MAX];

        for (int attempt = 0; attempt < 2; attempt++) {
                if (build_path(path, root, user, entry->filename) != 0)
                        return -1;
                if (unlink(path) == 0)
                        return 0;
                if (errno != ENOENT)
                        return -1;
                /* RFC 1939 §6: the message must go; if someone moved it, remove
                 * it under its new name, and if it is gone already, so be it. */
                if (look_up_again(root, user, entry) != 0)
                        return errno == ENOENT ? 0 : -1;
        }
        return 0;
}

int maildir_sync(const char *root, const char *user)
{
        static const char *const folders[] = { "new", "cur" };
        char path[PATH_MAX];

        if (root == NULL || !maildir_user_valid(user)) {
                errno = EINVAL;
                return -1;
        }
        for (size_t i = 0; i < sizeof folders / sizeof folders[0]; i++) {
                int length = snprintf(path, sizeof path, "%s/%s/%s", root, user, folders[i]);
                if (length < 0 || (size_t)length >= sizeof path) {
                        errno = ENAMETOOLONG;
                        return -1;
                }
                if (maildir_sync_directory(path) != 0)
                        return -1;
        }
        return 0;
}
