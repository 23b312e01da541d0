/* SPDX-License-Identifier: MIT
 *
 * users.c - loading and reloading the users and aliases files, and the
 * password checks (DESIGN.md §7).
 *
 * Both files are read whole into two sorted tables (users by exact name,
 * aliases by name ignoring ASCII case) that every session looks up under a
 * shared read lock. A reload builds fresh tables without any lock held and
 * only swaps a pointer under the write lock, so sessions never wait for file
 * I/O. A file with any bad line is refused whole, with "FILE:LINE: reason":
 * a half-loaded users file would lock people out without saying why. The
 * lines of the aliases file and alias resolution are in users_aliases.c;
 * writing the users file is in users_file.c. postmaster must exist
 * (RFC 5321 §4.5.1): a load without it logs a warning.
 *
 * Standards:  RFC 5321 §4.5.1
 * Threads:    any thread; shared tables behind users_lock (see LOCKING).
 * Read next:  common/users_aliases.c (aliases), common/sasl.c (SASL
 *             mechanisms on top of these checks), common/users_file.c
 *             (adding a user).
 */
#include "common/users.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hmac.h"
#include "common/log.h"
#include "common/text.h"
#include "common/users_internal.h"

#define USERS_LINE_MAX 1024          /* longest line in either file */

/* SECURITY: user enumeration. Checked against when there is no {CRYPT}
 * user whose hash could serve as the dummy (struct users_tables). */
static const char users_fallback_dummy_hash[] =
        "$6$usersdummysalt$quigx3xpgNVxhvMUz43BWGb.lV1Qff9jKVMql5nRijXxufRgnLri"
        "eD/HbtIT56i2CDyy8vdWkVT6RwFvwIH6w/";

/* What a file looked like when it was last loaded (users_reload_if_changed). */
struct users_file_identity {
        bool exists;
        dev_t device;
        ino_t inode;
        off_t size;
        struct timespec modified;
};

/* LOCKING: users_lock protects users_current. Lookups (here and in
 * users_aliases.c) hold it for reading while they copy out what they need;
 * users_install() holds it for writing only to swap the pointer. Never held
 * across crypt(3) or file I/O. */
pthread_rwlock_t users_lock = PTHREAD_RWLOCK_INITIALIZER;
struct users_tables *users_current;

/* LOCKING: users_reload_mutex protects everything below it and is held for a
 * whole load, so only one thread reads the files at a time. Taken before
 * users_lock, never the other way round. */
static pthread_mutex_t users_reload_mutex = PTHREAD_MUTEX_INITIALIZER;
static bool users_loaded;
static char users_file_path[PATH_MAX];
static char aliases_file_path[PATH_MAX];
static struct users_file_identity users_identity;
static struct users_file_identity aliases_identity;

/* Overwrite secrets so they do not linger in freed memory or on the stack
 * (qmail-popup zeroes passwords the same way). explicit_bzero() is not
 * removed by the optimiser as a dead store. */
static void users_wipe(void *p, size_t len)
{
        explicit_bzero(p, len);
}

/* Format "FILE:LINE: reason" (or "FILE: reason" for line 0) into err. */
void users_load_error(char *err, size_t err_size, const char *path, unsigned line,
                      const char *fmt, ...)
{
        int used = line > 0 ? snprintf(err, err_size, "%s:%u: ", path, line)
                            : snprintf(err, err_size, "%s: ", path);
        if (used < 0 || (size_t)used >= err_size)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + used, err_size - (size_t)used, fmt, ap);
        va_end(ap);
}

/* SECURITY: path traversal. The same rule as maildir_user_valid(), kept here
 * because common/ may not include maildir/: 1..64 bytes of [A-Za-z0-9._-],
 * not starting with '.' or '-', so a name is always a safe directory name. */
bool users_name_valid(const char *name)
{
        size_t len = strlen(name);
        if (len == 0 || len > USER_NAME_MAX || name[0] == '.' || name[0] == '-')
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = name[i];
                bool is_ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                             (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
                if (!is_ok)
                        return false;
        }
        return true;
}

static void users_tables_free(struct users_tables *t)
{
        if (t == NULL)
                return;
        if (t->users != NULL) {
                users_wipe(t->users, t->user_count * sizeof *t->users);
                free(t->users);
        }
        for (size_t i = 0; i < t->alias_count; i++)
                free(t->aliases[i].members);
        free(t->aliases);
        users_wipe(t, sizeof *t);
        free(t);
}

/* Grow *array (of *capacity elements of size bytes) so one more fits. */
bool users_grow(void **array, size_t *capacity, size_t count, size_t size)
{
        if (count < *capacity)
                return true;
        size_t wanted = *capacity == 0 ? 16 : *capacity * 2;
        void *bigger = realloc(*array, wanted * size);
        if (bigger == NULL)
                return false;
        *array = bigger;
        *capacity = wanted;
        return true;
}

/* One line of the users file: name:{CRYPT}hash or name:{PLAIN}secret.
 * The name ends at the first ':'; everything after the scheme tag is the
 * secret, spaces and colons included, so no quoting is ever needed. The tag
 * is matched exactly: "{plain}" is a typo to report, not a synonym. */
static int users_parse_user(struct users_tables *t, size_t *capacity, const char *path,
                            unsigned line_number, char *line, char *err, size_t err_size)
{
        char *colon = strchr(line, ':');
        if (colon == NULL) {
                users_load_error(err, err_size, path, line_number,
                                 "missing ':' after the user name");
                return -1;
        }
        *colon = '\0';
        if (!users_name_valid(line)) {
                users_load_error(err, err_size, path, line_number,
                                 "invalid user name (1 to %d of A-Z a-z 0-9 . _ -, not "
                                 "starting with '.' or '-')", USER_NAME_MAX);
                return -1;
        }
        const char *value = colon + 1;
        enum users_scheme scheme;
        if (strncmp(value, "{CRYPT}", 7) == 0) {
                scheme = USERS_SCHEME_CRYPT;
        } else if (strncmp(value, "{PLAIN}", 7) == 0) {
                scheme = USERS_SCHEME_PLAIN;
        } else {
                users_load_error(err, err_size, path, line_number,
                                 "unknown scheme (expected {CRYPT} or {PLAIN})");
                return -1;
        }
        const char *secret = value + 7;
        size_t secret_len = strlen(secret);
        if (secret_len == 0 || secret_len > USER_SECRET_MAX) {
                users_load_error(err, err_size, path, line_number,
                                 "the secret must be 1 to %d bytes long", USER_SECRET_MAX);
                return -1;
        }
        if (!users_grow((void **)&t->users, capacity, t->user_count, sizeof *t->users)) {
                users_load_error(err, err_size, path, line_number, "out of memory");
                return -1;
        }
        struct users_entry *entry = &t->users[t->user_count++];
        memset(entry, 0, sizeof *entry);
        memcpy(entry->name, line, strlen(line));
        entry->scheme = scheme;
        memcpy(entry->secret, secret, secret_len);
        entry->line = line_number;
        return 0;
}

typedef int users_line_fn(struct users_tables *t, size_t *capacity, const char *path,
                          unsigned line_number, char *line, char *err, size_t err_size);

/* Read path line by line into t with parse. A missing file is an error
 * unless may_be_missing. Records the identity of the file actually read
 * (fstat on the open descriptor, not a second stat of the name, so a file
 * replaced meanwhile is noticed at the next users_reload_if_changed()).
 * CRLF line ends are accepted: the files may be edited on any system. */
static int users_read_file(const char *path, bool may_be_missing, users_line_fn *parse,
                           struct users_tables *t, struct users_file_identity *identity_out,
                           char *err, size_t err_size)
{
        memset(identity_out, 0, sizeof *identity_out);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT && may_be_missing)
                        return 0;
                users_load_error(err, err_size, path, 0, "%s", strerror(errno));
                return -1;
        }
        struct stat st;
        FILE *f = fstat(fd, &st) == 0 ? fdopen(fd, "r") : NULL;
        if (f == NULL) {
                users_load_error(err, err_size, path, 0, "%s", strerror(errno));
                close(fd);
                return -1;
        }
        *identity_out = (struct users_file_identity){
                .exists = true, .device = st.st_dev, .inode = st.st_ino,
                .size = st.st_size, .modified = st.st_mtim,
        };

        char *line = NULL;
        size_t line_capacity = 0, table_capacity = 0;
        unsigned line_number = 0;
        int result = 0;
        ssize_t got;
        while (result == 0 && (got = getline(&line, &line_capacity, f)) >= 0) {
                size_t len = (size_t)got;
                line_number++;
                if (len > 0 && line[len - 1] == '\n')
                        line[--len] = '\0';
                if (len > 0 && line[len - 1] == '\r')
                        line[--len] = '\0';
                if (len > USERS_LINE_MAX) {
                        users_load_error(err, err_size, path, line_number, "line too long");
                        result = -1;
                } else if (strlen(line) != len) {
                        users_load_error(err, err_size, path, line_number, "NUL byte in line");
                        result = -1;
                } else {
                        size_t blank = strspn(line, " \t");
                        if (line[blank] != '\0' && line[blank] != '#')
                                result = parse(t, &table_capacity, path, line_number, line,
                                               err, err_size);
                }
        }
        if (result == 0 && ferror(f)) {
                users_load_error(err, err_size, path, 0, "read error");
                result = -1;
        }
        if (line != NULL) {
                users_wipe(line, line_capacity);
                free(line);
        }
        fclose(f);
        return result;
}

static int users_compare_users(const void *a, const void *b)
{
        return strcmp(((const struct users_entry *)a)->name,
                      ((const struct users_entry *)b)->name);
}

/* Read both files into fresh tables: sorted, duplicates refused. */
static int users_load(const char *users_path, const char *aliases_path,
                      struct users_tables **tables_out, struct users_file_identity *users_id_out,
                      struct users_file_identity *aliases_id_out, char *err, size_t err_size)
{
        struct users_tables *t = calloc(1, sizeof *t);
        if (t == NULL) {
                users_load_error(err, err_size, users_path, 0, "out of memory");
                return -1;
        }
        if (users_read_file(users_path, false, users_parse_user, t, users_id_out,
                            err, err_size) != 0 ||
            users_read_file(aliases_path, true, users_parse_alias, t, aliases_id_out,
                            err, err_size) != 0) {
                users_tables_free(t);
                return -1;
        }
        if (t->user_count > 0)
                qsort(t->users, t->user_count, sizeof *t->users, users_compare_users);
        for (size_t i = 1; i < t->user_count; i++) {
                const struct users_entry *a = &t->users[i - 1], *b = &t->users[i];
                if (strcmp(a->name, b->name) == 0) {
                        users_load_error(err, err_size, users_path,
                                         a->line > b->line ? a->line : b->line,
                                         "duplicate user '%s' (also on line %u)", a->name,
                                         a->line < b->line ? a->line : b->line);
                        users_tables_free(t);
                        return -1;
                }
        }
        if (users_sort_aliases(t, aliases_path, err, err_size) != 0) {
                users_tables_free(t);
                return -1;
        }
        memcpy(t->dummy_hash, users_fallback_dummy_hash, sizeof users_fallback_dummy_hash);
        for (size_t i = 0; i < t->user_count; i++) {
                if (t->users[i].scheme == USERS_SCHEME_CRYPT) {
                        memcpy(t->dummy_hash, t->users[i].secret, sizeof t->dummy_hash);
                        break;
                }
        }
        *tables_out = t;
        return 0;
}

/* Swap in new tables; free the old ones once no reader can see them. Readers
 * copy what they need before unlocking, so after the write lock has been
 * held once, no thread holds a pointer into the old tables. */
static void users_install(struct users_tables *t)
{
        pthread_rwlock_wrlock(&users_lock);
        struct users_tables *old = users_current;
        users_current = t;
        pthread_rwlock_unlock(&users_lock);
        users_tables_free(old);
}

const struct users_entry *users_find_user(const struct users_tables *t, const char *name)
{
        if (t == NULL || t->user_count == 0)
                return NULL;
        struct users_entry key;
        if (!text_copy(key.name, sizeof key.name, name))
                return NULL;
        return bsearch(&key, t->users, t->user_count, sizeof *t->users, users_compare_users);
}

/* RFC 5321 §4.5.1 (MUST): every domain must accept "postmaster", in any
 * case; warn the administrator at load time rather than bounce later.
 * Called with users_reload_mutex held (it reads aliases_file_path). */
static void users_warn_without_postmaster(void)
{
        char found[1][USER_NAME_MAX + 1];
        if (users_resolve("postmaster", found, 1) == 0)
                log_warn(0, "no postmaster: add a line 'postmaster: <user>' to %s",
                         aliases_file_path[0] != '\0' ? aliases_file_path : "the aliases file");
}

int users_init(const char *users_path, const char *aliases_path, char *err, size_t err_size)
{
        pthread_mutex_lock(&users_reload_mutex);
        int result = -1;
        struct users_tables *t = NULL;
        if (!text_copy(users_file_path, sizeof users_file_path, users_path) ||
            !text_copy(aliases_file_path, sizeof aliases_file_path,
                       aliases_path != NULL ? aliases_path : "")) {
                users_load_error(err, err_size, users_path, 0, "path too long");
        } else if (users_load(users_file_path, aliases_file_path, &t, &users_identity,
                              &aliases_identity, err, err_size) == 0) {
                users_install(t);
                users_loaded = true;
                users_warn_without_postmaster();
                result = 0;
        }
        pthread_mutex_unlock(&users_reload_mutex);
        return result;
}

int users_reload(char *err, size_t err_size)
{
        pthread_mutex_lock(&users_reload_mutex);
        int result = -1;
        struct users_tables *t = NULL;
        if (!users_loaded) {
                text_copy(err, err_size, "users_init() was not called");
        } else if (users_load(users_file_path, aliases_file_path, &t, &users_identity,
                              &aliases_identity, err, err_size) == 0) {
                users_install(t);
                users_warn_without_postmaster();
                result = 0;
        }
        pthread_mutex_unlock(&users_reload_mutex);
        return result;
}

/* The identity of path now; a missing file is a state too. */
static void users_identity_of(const char *path, struct users_file_identity *identity_out)
{
        struct stat st;
        memset(identity_out, 0, sizeof *identity_out);
        if (stat(path, &st) == 0)
                *identity_out = (struct users_file_identity){
                        .exists = true, .device = st.st_dev, .inode = st.st_ino,
                        .size = st.st_size, .modified = st.st_mtim,
                };
}

/* Has path changed since identity was recorded? The inode catches a file
 * replaced by rename (users_file_set) within one mtime tick; the size and
 * the nanosecond mtime catch an editor writing in place. */
static bool users_file_changed(const char *path, const struct users_file_identity *identity)
{
        struct users_file_identity now;
        users_identity_of(path, &now);
        return now.exists != identity->exists || now.device != identity->device ||
               now.inode != identity->inode || now.size != identity->size ||
               now.modified.tv_sec != identity->modified.tv_sec ||
               now.modified.tv_nsec != identity->modified.tv_nsec;
}

void users_reload_if_changed(void)
{
        char err[512];
        pthread_mutex_lock(&users_reload_mutex);
        if (users_loaded && (users_file_changed(users_file_path, &users_identity) ||
                             users_file_changed(aliases_file_path, &aliases_identity))) {
                struct users_tables *t = NULL;
                struct users_file_identity users_id, aliases_id;
                if (users_load(users_file_path, aliases_file_path, &t, &users_id, &aliases_id,
                               err, sizeof err) == 0) {
                        users_install(t);
                        log_info(0, "reloaded %s and %s", users_file_path, aliases_file_path);
                        users_warn_without_postmaster();
                } else {
                        /* Keep the old tables. Remember the broken files'
                         * identities so the error is logged once per edit,
                         * not at every login until someone fixes it. */
                        log_warn(0, "not reloaded, keeping the old tables: %s", err);
                        users_identity_of(users_file_path, &users_id);
                        users_identity_of(aliases_file_path, &aliases_id);
                }
                users_identity = users_id;
                aliases_identity = aliases_id;
        }
        pthread_mutex_unlock(&users_reload_mutex);
}

void users_shutdown(void)
{
        pthread_mutex_lock(&users_reload_mutex);
        users_install(NULL);
        users_loaded = false;
        memset(&users_identity, 0, sizeof users_identity);
        memset(&aliases_identity, 0, sizeof aliases_identity);
        pthread_mutex_unlock(&users_reload_mutex);
}

bool users_exists(const char *name)
{
        pthread_rwlock_rdlock(&users_lock);
        bool exists = users_find_user(users_current, name) != NULL;
        pthread_rwlock_unlock(&users_lock);
        return exists;
}

/* Constant-time equality of a typed password and a {PLAIN} secret. Both are
 * copied into zero-padded buffers of the same fixed size so the comparison
 * visits the same number of bytes whatever either length is. */
static bool users_plain_equal(const char *given, const char *secret)
{
        char padded_given[USER_SECRET_MAX + 1] = { 0 };
        char padded_secret[USER_SECRET_MAX + 1] = { 0 };
        size_t given_len = strnlen(given, USER_SECRET_MAX + 1);
        size_t secret_len = strnlen(secret, USER_SECRET_MAX);
        bool lengths_equal = given_len == secret_len;
        memcpy(padded_given, given, given_len <= USER_SECRET_MAX ? given_len : USER_SECRET_MAX);
        memcpy(padded_secret, secret, secret_len);
        bool bytes_equal = hmac_equal(padded_given, padded_secret, sizeof padded_given);
        users_wipe(padded_given, sizeof padded_given);
        users_wipe(padded_secret, sizeof padded_secret);
        return lengths_equal & bytes_equal;
}

bool users_check_password(const char *name, const char *password)
{
        if (name == NULL || password == NULL)
                return false;

        /* Copy out what we need and drop the lock before crypt(3), which is
         * slow on purpose: a reload must not wait for it. */
        bool found = false;
        enum users_scheme scheme = USERS_SCHEME_CRYPT;
        char secret[USER_SECRET_MAX + 1];
        char dummy[USER_SECRET_MAX + 1];
        memcpy(dummy, users_fallback_dummy_hash, sizeof users_fallback_dummy_hash);
        pthread_rwlock_rdlock(&users_lock);
        const struct users_entry *entry = users_find_user(users_current, name);
        if (entry != NULL) {
                found = true;
                scheme = entry->scheme;
                memcpy(secret, entry->secret, sizeof secret);
        }
        if (users_current != NULL)
                memcpy(dummy, users_current->dummy_hash, sizeof dummy);
        pthread_rwlock_unlock(&users_lock);

        /* struct crypt_data is about 32 KiB: too big for a session thread's
         * small stack (SERVER_THREAD_STACK_SIZE), so it lives on the heap. */
        struct crypt_data *data = calloc(1, sizeof *data);
        if (data == NULL) {
                log_err(0, "password check: out of memory");
                if (found)
                        users_wipe(secret, sizeof secret);
                return false;
        }

        bool is_valid = false;
        if (found && scheme == USERS_SCHEME_CRYPT) {
                /* crypt_r() reads the algorithm and salt from the stored hash
                 * and returns the hash of the typed password in the same
                 * form; a failure is NULL or a string starting with '*'. */
                const char *hash = crypt_r(password, secret, data);
                size_t secret_len = strlen(secret);
                is_valid = hash != NULL && hash[0] != '*' && strlen(hash) == secret_len &&
                           hmac_equal(hash, secret, secret_len);
        } else {
                /* SECURITY: user enumeration. An unknown user costs one
                 * crypt(3) like a real one (popa3d's dummy salt); so does a
                 * {PLAIN} user, so neither answer comes back faster. */
                (void)crypt_r(password, dummy, data);
                if (found)
                        is_valid = users_plain_equal(password, secret);
        }
        users_wipe(data, sizeof *data);
        free(data);
        if (found)
                users_wipe(secret, sizeof secret);
        return is_valid;
}

bool users_plain_secret(const char *name, char *secret, size_t size)
{
        bool copied = false;
        pthread_rwlock_rdlock(&users_lock);
        const struct users_entry *entry = users_find_user(users_current, name);
        if (entry != NULL && entry->scheme == USERS_SCHEME_PLAIN)
                copied = text_copy(secret, size, entry->secret);
        pthread_rwlock_unlock(&users_lock);
        if (!copied && size > 0)
                users_wipe(secret, size);
        return copied;
}
