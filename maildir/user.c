/* SPDX-License-Identifier: MIT
 *
 * user.c - which user names may become directories, and making a Maildir.
 *
 * A user name arrives from the network (RCPT TO, USER, AUTH) and ends up as
 * a path component under the mail root. Before it touches a path it must
 * pass maildir_user_valid(): a short whitelist of characters, no '/', and no
 * leading '.' (which also rules out "." and "..") or '-' (which would look
 * like an option to every shell tool a student points at the directory).
 *
 * maildir_create() is "mkdir -p" for <root>/<user>/{tmp,new,cur}, mode 0700,
 * and is idempotent: delivery calls it for every recipient before each
 * message, so on the common path it only stat()s the three subdirectories
 * and creates nothing. A directory it does create is fsynced in its parent,
 * so that the first message of a new Maildir is as durable as the rest.
 *
 * Standards:  none (the Maildir layout is described in maildir.5)
 * Threads:    no shared state; safe from any thread.
 * Read next:  maildir/name.c (file names inside the Maildir).
 */
#include "maildir/maildir.h"

#include "common/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

bool maildir_user_valid(const char *name)
{
        if (name == NULL)
                return false;
        size_t length = strlen(name);
        if (length == 0 || length > USER_NAME_MAX)
                return false;
        /* SECURITY: path traversal. "..", ".x" and "-x" are refused by the
         * first character, '/' and everything else by the whitelist. */
        if (name[0] == '.' || name[0] == '-')
                return false;
        for (size_t i = 0; i < length; i++) {
                char c = name[i];
                bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                               (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
                if (!allowed)
                        return false;
        }
        return true;
}

int maildir_sync_directory(const char *path)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return -1;
        int result = fsync(fd);
        if (result != 0 && errno == EINVAL)
                result = 0;
        int saved = errno;
        close(fd);
        errno = saved;
        return result;
}

/* fsync the directory that holds path, so that a directory just created
 * in it survives a crash: the first message to a new Maildir is
 * acknowledged only after new/ is synced (deliver.c), which is worth
 * little if new/ itself could vanish. */
static int sync_parent(const char *path)
{
        char parent[PATH_MAX];
        const char *slash = strrchr(path, '/');
        size_t length = slash == NULL ? 0 : (size_t)(slash - path);

        if (length >= sizeof(parent)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        if (slash == NULL)
                memcpy(parent, ".", 2);
        else if (length == 0)
                memcpy(parent, "/", 2);
        else {
                memcpy(parent, path, length);
                parent[length] = '\0';
        }
        return maildir_sync_directory(parent);
}

/* mkdir that accepts an existing directory (but not an existing file). A
 * directory it creates is made durable in its parent. */
static int make_directory(const char *path)
{
        if (mkdir(path, 0700) == 0)
                return sync_parent(path);
        if (errno != EEXIST)
                return -1;
        struct stat st;
        if (stat(path, &st) != 0)
                return -1;
        if (!S_ISDIR(st.st_mode)) {
                errno = ENOTDIR;
                return -1;
        }
        return 0;
}

/* Create every missing component of path, like "mkdir -p". */
static int make_directory_parents(const char *path)
{
        char buffer[PATH_MAX];
        size_t length = strlen(path);

        if (length == 0 || length >= sizeof(buffer)) {
                errno = length == 0 ? ENOENT : ENAMETOOLONG;
                return -1;
        }
        memcpy(buffer, path, length + 1);
        for (size_t i = 1; i < length; i++) {
                if (buffer[i] != '/' || buffer[i - 1] == '/')
                        continue;
                buffer[i] = '\0';
                int result = make_directory(buffer);
                buffer[i] = '/';
                if (result != 0)
                        return -1;
        }
        return make_directory(buffer);
}

/* True when <root>/<user>/{tmp,new,cur} are all directories already. smtpd
 * calls maildir_create() for every recipient of every message, so the
 * usual case, a complete Maildir, costs three stat() calls instead of
 * four mkdir() refused with EEXIST and four stat() calls. */
static bool maildir_complete(const char *root, const char *user)
{
        static const char *const parts[] = { "tmp", "new", "cur" };
        char path[PATH_MAX];
        struct stat st;

        for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
                int length = snprintf(path, sizeof(path), "%s/%s/%s", root, user, parts[i]);
                if (length < 0 || (size_t)length >= sizeof(path) || stat(path, &st) != 0 ||
                    !S_ISDIR(st.st_mode))
                        return false;
        }
        return true;
}

int maildir_create(const char *root, const char *user)
{
        static const char *const parts[] = { "", "/tmp", "/new", "/cur" };
        char path[PATH_MAX];

        if (root == NULL || !maildir_user_valid(user)) {
                errno = EINVAL;
                return -1;
        }
        if (maildir_complete(root, user))
                return 0;
        for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
                int length = snprintf(path, sizeof(path), "%s/%s%s", root, user, parts[i]);
                if (length < 0 || (size_t)length >= sizeof(path)) {
                        errno = ENAMETOOLONG;
                        return -1;
                }
                if (make_directory(path) == 0)
                        continue;
                /* Only the first mkdir can miss its parent: the root itself. */
                if (i != 0 || errno != ENOENT || make_directory_parents(root) != 0 ||
                    make_directory(path) != 0)
                        return -1;
        }
        return 0;
}
