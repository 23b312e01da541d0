/* SPDX-License-Identifier: MIT
 *
 * users_file.c - add or change one user in the users file (the mailuser
 * tool, `make user`), without ever leaving a half-written file behind.
 *
 * The whole file is read, the user's line replaced (or appended), and the
 * result written to a temporary file next to it that is fsynced and then
 * renamed over the original: rename(2) is atomic, so a daemon reloading at
 * that moment sees the old file or the new one. Passwords for {CRYPT} are
 * hashed with a fresh random salt from crypt_gensalt_rn(3). Two runs of the
 * tool at the same moment can lose one of the two changes (last rename
 * wins); the daemons only ever read the file. Reading the file lives in
 * users.c.
 *
 * Standards:  none beyond DESIGN.md §7 (the file format is ours).
 * Threads:    any thread; touches no shared state (the daemons notice the
 *             new file through users_reload_if_changed()).
 * Read next:  common/tools/mailuser.c (the command that calls this).
 */
#include "common/users.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/text.h"
#include "common/users_internal.h"

/* Buffers that held passwords or hashes are cleared before they are freed;
 * explicit_bzero() is not removed by the optimiser as a dead store. */
static void users_wipe(void *p, size_t len)
{
        explicit_bzero(p, len);
}

/* Read all of path into a fresh NUL-terminated buffer (empty if the file
 * does not exist). */
static int users_slurp(const char *path, char **data_out, size_t *len_out, char *err,
                       size_t err_size)
{
        *data_out = NULL;
        *len_out = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && errno != ENOENT) {
                users_load_error(err, err_size, path, 0, "%s", strerror(errno));
                return -1;
        }
        size_t capacity = 4096, len = 0;
        char *data = malloc(capacity);
        while (data != NULL && fd >= 0) {
                if (len + 1 == capacity) {
                        char *bigger = malloc(capacity * 2);
                        if (bigger != NULL)
                                memcpy(bigger, data, len);
                        users_wipe(data, capacity);
                        free(data);
                        data = bigger;
                        capacity *= 2;
                        continue;
                }
                ssize_t got = read(fd, data + len, capacity - 1 - len);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0) {
                        users_load_error(err, err_size, path, 0, "%s", strerror(errno));
                        users_wipe(data, capacity);
                        free(data);
                        close(fd);
                        return -1;
                }
                if (got == 0)
                        break;
                len += (size_t)got;
        }
        if (fd >= 0)
                close(fd);
        if (data == NULL) {
                users_load_error(err, err_size, path, 0, "out of memory");
                return -1;
        }
        data[len] = '\0';
        *data_out = data;
        *len_out = len;
        return 0;
}

/* Write data to a new file next to path and rename it over path: readers
 * see the old file or the new one, never a half-written one. The file,
 * then the directory, are fsynced so the change survives a crash. */
static int users_replace_file(const char *path, const char *data, size_t len, char *err,
                              size_t err_size)
{
        char tmp_path[PATH_MAX];
        int n = snprintf(tmp_path, sizeof tmp_path, "%s.tmp.%ld", path, (long)getpid());
        if (n < 0 || (size_t)n >= sizeof tmp_path) {
                users_load_error(err, err_size, path, 0, "path too long");
                return -1;
        }
        /* O_EXCL: never follow a symbolic link someone planted at tmp_path.
         * A leftover from a crashed run with the same pid is removed once. */
        int fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST && unlink(tmp_path) == 0)
                fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
                users_load_error(err, err_size, tmp_path, 0, "%s", strerror(errno));
                return -1;
        }
        size_t done = 0;
        while (done < len) {
                ssize_t put = write(fd, data + done, len - done);
                if (put < 0 && errno == EINTR)
                        continue;
                if (put < 0)
                        break;
                done += (size_t)put;
        }
        if (done < len || fsync(fd) != 0) {
                users_load_error(err, err_size, tmp_path, 0, "%s", strerror(errno));
                close(fd);
                unlink(tmp_path);
                return -1;
        }
        if (close(fd) != 0 || rename(tmp_path, path) != 0) {
                users_load_error(err, err_size, path, 0, "%s", strerror(errno));
                unlink(tmp_path);
                return -1;
        }
        char dir[PATH_MAX];
        const char *slash = strrchr(path, '/');
        if (slash == NULL)
                text_copy(dir, sizeof dir, ".");
        else if (slash == path)
                text_copy(dir, sizeof dir, "/");
        else
                snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
        int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0 || fsync(dir_fd) != 0) {
                users_load_error(err, err_size, dir, 0, "fsync: %s", strerror(errno));
                if (dir_fd >= 0)
                        close(dir_fd);
                return -1;
        }
        close(dir_fd);
        return 0;
}

/* Hash password with a fresh salt: yescrypt where libcrypt has it, else
 * SHA-512 crypt. hash_out must hold CRYPT_OUTPUT_SIZE bytes. */
static int users_hash_password(const char *password, char *hash_out, char *err,
                               size_t err_size)
{
        char setting[CRYPT_GENSALT_OUTPUT_SIZE];
        if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof setting) == NULL &&
            crypt_gensalt_rn("$6$", 0, NULL, 0, setting, sizeof setting) == NULL) {
                text_copy(err, err_size, "crypt_gensalt: no usable hashing method");
                return -1;
        }
        struct crypt_data *data = calloc(1, sizeof *data);
        if (data == NULL) {
                text_copy(err, err_size, "out of memory");
                return -1;
        }
        const char *hash = crypt_r(password, setting, data);
        int result = -1;
        if (hash == NULL || hash[0] == '*')
                text_copy(err, err_size, "crypt: hashing failed");
        else if (!text_copy(hash_out, CRYPT_OUTPUT_SIZE, hash) || strlen(hash) > USER_SECRET_MAX)
                text_copy(err, err_size, "crypt: hash too long for the users file");
        else
                result = 0;
        users_wipe(data, sizeof *data);
        free(data);
        return result;
}

int users_file_set(const char *path, const char *name, enum users_scheme scheme,
                   const char *password, char *err, size_t err_size)
{
        if (!users_name_valid(name)) {
                users_load_error(err, err_size, path, 0,
                                 "invalid user name (1 to %d of A-Z a-z 0-9 . _ -, "
                                 "not starting with '.' or '-')", USER_NAME_MAX);
                return -1;
        }
        size_t password_len = strlen(password);
        if (password_len == 0 || password_len > USER_SECRET_MAX) {
                users_load_error(err, err_size, path, 0,
                                 "the password must be 1 to %d bytes long", USER_SECRET_MAX);
                return -1;
        }
        /* A {PLAIN} secret is stored as written: a line break would end the
         * line early, and ':' is kept out so the file reads unambiguously. */
        if (scheme == USERS_SCHEME_PLAIN && strpbrk(password, ":\r\n") != NULL) {
                users_load_error(err, err_size, path, 0,
                                 "a {PLAIN} password may not contain ':' or a line break");
                return -1;
        }

        char new_line[USER_NAME_MAX + 8 + CRYPT_OUTPUT_SIZE + 2];
        char hash[CRYPT_OUTPUT_SIZE];
        if (scheme == USERS_SCHEME_CRYPT) {
                if (users_hash_password(password, hash, err, err_size) != 0)
                        return -1;
                snprintf(new_line, sizeof new_line, "%s:{CRYPT}%s\n", name, hash);
                users_wipe(hash, sizeof hash);
        } else {
                snprintf(new_line, sizeof new_line, "%s:{PLAIN}%s\n", name, password);
        }
        size_t new_line_len = strlen(new_line);

        char *old = NULL;
        size_t old_len = 0;
        if (users_slurp(path, &old, &old_len, err, err_size) != 0) {
                users_wipe(new_line, sizeof new_line);
                return -1;
        }
        /* The new file: every old line except this user's, whose first
         * occurrence is replaced in place; appended if there was none. */
        size_t out_size = old_len + new_line_len + 2;
        char *out = malloc(out_size);
        int result = -1;
        if (out == NULL) {
                users_load_error(err, err_size, path, 0, "out of memory");
        } else {
                size_t name_len = strlen(name), out_len = 0;
                bool is_replaced = false;
                for (char *line = old; *line != '\0';) {
                        char *end = strchr(line, '\n');
                        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
                        bool is_this_user = strncmp(line, name, name_len) == 0 &&
                                            line[name_len] == ':';
                        if (!is_this_user) {
                                memcpy(out + out_len, line, len);
                                out_len += len;
                                out[out_len++] = '\n';
                        } else if (!is_replaced) {
                                memcpy(out + out_len, new_line, new_line_len);
                                out_len += new_line_len;
                                is_replaced = true;
                        }
                        line += end != NULL ? len + 1 : len;
                }
                if (!is_replaced) {
                        memcpy(out + out_len, new_line, new_line_len);
                        out_len += new_line_len;
                }
                result = users_replace_file(path, out, out_len, err, err_size);
                users_wipe(out, out_size);
                free(out);
        }
        users_wipe(old, old_len + 1);
        free(old);
        users_wipe(new_line, sizeof new_line);
        return result;
}
