/* SPDX-License-Identifier: MIT
 *
 * users.c - the users file, the aliases file, password checks and alias
 * resolution (DESIGN.md §7). Writing the users file is in users_file.c.
 *
 * Both files are read whole into two sorted tables (users by exact name,
 * aliases by name ignoring ASCII case) that every session looks up under a
 * shared read lock. A reload builds fresh tables without any lock held and
 * only swaps a pointer under the write lock, so sessions never wait for file
 * I/O. A file with any bad line is refused whole, with "FILE:LINE: reason":
 * a half-loaded users file would lock people out without saying why.
 *
 * Aliases map a name to local users or to other aliases. Command ("|prog")
 * and file ("/path") targets of the sendmail format are refused at load
 * time, because this server never runs programs or writes files for mail.
 * A target "name@domain" is read as the local name: remote forwarding is
 * not supported. An alias is looked up before a user of the same name, so
 * "student: student, tutor" keeps a copy and sends one on; the alias being
 * expanded is not expanded again inside itself, which also ends loops.
 * postmaster must exist (RFC 5321 §4.5.1); the embedded default aliases
 * file maps it, and a load without it logs a warning.
 *
 * Standards:  RFC 5321 §4.5.1, RFC 5321 §3.5.2
 * Threads:    any thread; shared tables behind users_lock (see LOCKING).
 * Read next:  common/sasl.c (SASL mechanisms on top of these checks),
 *             common/users_file.c (adding a user).
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

#define USERS_LINE_MAX 1024          /* longest line in either file */
#define USERS_ALIAS_DEPTH_MAX 8      /* aliases of aliases, this deep at most */

/* SECURITY: user enumeration. Checked against when there is no {CRYPT}
 * user whose hash could serve as the dummy (struct users_tables). */
static const char users_fallback_dummy_hash[] =
        "$6$usersdummysalt$quigx3xpgNVxhvMUz43BWGb.lV1Qff9jKVMql5nRijXxufRgnLri"
        "eD/HbtIT56i2CDyy8vdWkVT6RwFvwIH6w/";

struct users_entry {
        char name[USER_NAME_MAX + 1];
        enum users_scheme scheme;
        char secret[USER_SECRET_MAX + 1];    /* crypt(3) hash or plain secret */
        unsigned line;
};

struct users_alias_member {
        char written[SMTP_PATH_MAX + 1];     /* as in the file, for EXPN */
        char local[USER_NAME_MAX + 1];       /* without "@domain" */
};

struct users_alias {
        char name[USER_NAME_MAX + 1];
        size_t member_count;
        struct users_alias_member *members;
        unsigned line;
};

struct users_tables {
        struct users_entry *users;           /* sorted by strcmp */
        size_t user_count;
        struct users_alias *aliases;         /* sorted by text_casecmp */
        size_t alias_count;
        /* The hash an unknown user's password is checked against: the first
         * {CRYPT} user's, so that it costs what a real check costs. */
        char dummy_hash[USER_SECRET_MAX + 1];
};

/* What a file looked like when it was last loaded (users_reload_if_changed). */
struct users_file_identity {
        bool exists;
        dev_t device;
        ino_t inode;
        off_t size;
        struct timespec modified;
};

/* LOCKING: users_lock protects users_current. Lookups hold it for reading
 * while they copy out what they need; users_install() holds it for writing
 * only to swap the pointer. Never held across crypt(3) or file I/O. */
static pthread_rwlock_t users_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct users_tables *users_current;

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

static void users_error(char *err, size_t err_size, const char *path, unsigned line,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Format "FILE:LINE: reason" (or "FILE: reason" for line 0) into err. */
static void users_error(char *err, size_t err_size, const char *path, unsigned line,
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
static bool users_grow(void **array, size_t *capacity, size_t count, size_t size)
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
                users_error(err, err_size, path, line_number, "missing ':' after the user name");
                return -1;
        }
        *colon = '\0';
        if (!users_name_valid(line)) {
                users_error(err, err_size, path, line_number,
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
                users_error(err, err_size, path, line_number,
                            "unknown scheme (expected {CRYPT} or {PLAIN})");
                return -1;
        }
        const char *secret = value + 7;
        size_t secret_len = strlen(secret);
        if (secret_len == 0 || secret_len > USER_SECRET_MAX) {
                users_error(err, err_size, path, line_number,
                            "the secret must be 1 to %d bytes long", USER_SECRET_MAX);
                return -1;
        }
        if (!users_grow((void **)&t->users, capacity, t->user_count, sizeof *t->users)) {
                users_error(err, err_size, path, line_number, "out of memory");
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

/* One target of an alias line, already trimmed, into member. */
static int users_parse_target(struct users_alias_member *member, const char *target,
                              const char *path, unsigned line_number, char *err,
                              size_t err_size)
{
        char shown[96];
        size_t len = strlen(target);
        text_escape(shown, sizeof shown, target, len);
        if (len == 0) {
                users_error(err, err_size, path, line_number, "empty alias target");
                return -1;
        }
        /* SECURITY: command execution. The sendmail alias format can pipe
         * mail into a program or append it to a file; we never do either. */
        if (target[0] == '|' || target[0] == '/' || target[0] == ':' || target[0] == '"') {
                users_error(err, err_size, path, line_number,
                            "target '%s': command, file and include targets are not "
                            "supported", shown);
                return -1;
        }
        if (len > SMTP_PATH_MAX) {
                users_error(err, err_size, path, line_number, "target too long");
                return -1;
        }
        memcpy(member->written, target, len + 1);
        size_t local_len = strcspn(target, "@");
        if (local_len <= USER_NAME_MAX) {
                memcpy(member->local, target, local_len);
                member->local[local_len] = '\0';
        }
        if (local_len > USER_NAME_MAX || !users_name_valid(member->local)) {
                users_error(err, err_size, path, line_number,
                            "target '%s' is not a local user or alias name", shown);
                return -1;
        }
        return 0;
}

/* One line of the aliases file: name: target, target, ... Targets are
 * separated by commas, with optional blanks around them; an empty target
 * (",,") is more likely a typo than intent, so it is an error. */
static int users_parse_alias(struct users_tables *t, size_t *capacity, const char *path,
                             unsigned line_number, char *line, char *err, size_t err_size)
{
        char *colon = strchr(line, ':');
        if (colon == NULL) {
                users_error(err, err_size, path, line_number, "missing ':' after the alias name");
                return -1;
        }
        *colon = '\0';
        if (!users_name_valid(line)) {
                users_error(err, err_size, path, line_number, "invalid alias name");
                return -1;
        }
        if (!users_grow((void **)&t->aliases, capacity, t->alias_count, sizeof *t->aliases)) {
                users_error(err, err_size, path, line_number, "out of memory");
                return -1;
        }
        struct users_alias *alias = &t->aliases[t->alias_count++];
        memset(alias, 0, sizeof *alias);
        memcpy(alias->name, line, strlen(line) + 1);
        alias->line = line_number;

        size_t member_capacity = 0;
        char *rest = colon + 1;
        for (;;) {
                char *comma = strchr(rest, ',');
                if (comma != NULL)
                        *comma = '\0';
                while (*rest == ' ' || *rest == '\t')
                        rest++;
                size_t len = strlen(rest);
                while (len > 0 && (rest[len - 1] == ' ' || rest[len - 1] == '\t'))
                        rest[--len] = '\0';
                if (!users_grow((void **)&alias->members, &member_capacity,
                                alias->member_count, sizeof *alias->members)) {
                        users_error(err, err_size, path, line_number, "out of memory");
                        return -1;
                }
                struct users_alias_member *member = &alias->members[alias->member_count];
                memset(member, 0, sizeof *member);
                if (users_parse_target(member, rest, path, line_number, err, err_size) != 0)
                        return -1;
                alias->member_count++;
                if (comma == NULL)
                        return 0;
                rest = comma + 1;
        }
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
                users_error(err, err_size, path, 0, "%s", strerror(errno));
                return -1;
        }
        struct stat st;
        FILE *f = fstat(fd, &st) == 0 ? fdopen(fd, "r") : NULL;
        if (f == NULL) {
                users_error(err, err_size, path, 0, "%s", strerror(errno));
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
                        users_error(err, err_size, path, line_number, "line too long");
                        result = -1;
                } else if (strlen(line) != len) {
                        users_error(err, err_size, path, line_number, "NUL byte in line");
                        result = -1;
                } else {
                        size_t blank = strspn(line, " \t");
                        if (line[blank] != '\0' && line[blank] != '#')
                                result = parse(t, &table_capacity, path, line_number, line,
                                               err, err_size);
                }
        }
        if (result == 0 && ferror(f)) {
                users_error(err, err_size, path, 0, "read error");
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

static int users_compare_aliases(const void *a, const void *b)
{
        return text_casecmp(((const struct users_alias *)a)->name,
                            ((const struct users_alias *)b)->name);
}

/* Read both files into fresh tables: sorted, duplicates refused. */
static int users_load(const char *users_path, const char *aliases_path,
                      struct users_tables **tables_out, struct users_file_identity *users_id_out,
                      struct users_file_identity *aliases_id_out, char *err, size_t err_size)
{
        struct users_tables *t = calloc(1, sizeof *t);
        if (t == NULL) {
                users_error(err, err_size, users_path, 0, "out of memory");
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
                        users_error(err, err_size, users_path,
                                    a->line > b->line ? a->line : b->line,
                                    "duplicate user '%s' (also on line %u)", a->name,
                                    a->line < b->line ? a->line : b->line);
                        users_tables_free(t);
                        return -1;
                }
        }
        if (t->alias_count > 0)
                qsort(t->aliases, t->alias_count, sizeof *t->aliases, users_compare_aliases);
        for (size_t i = 1; i < t->alias_count; i++) {
                const struct users_alias *a = &t->aliases[i - 1], *b = &t->aliases[i];
                if (text_casecmp(a->name, b->name) == 0) {
                        users_error(err, err_size, aliases_path,
                                    a->line > b->line ? a->line : b->line,
                                    "duplicate alias '%s' (also on line %u)", b->name,
                                    a->line < b->line ? a->line : b->line);
                        users_tables_free(t);
                        return -1;
                }
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

static const struct users_entry *users_find_user(const struct users_tables *t, const char *name)
{
        if (t == NULL || t->user_count == 0)
                return NULL;
        struct users_entry key;
        if (!text_copy(key.name, sizeof key.name, name))
                return NULL;
        return bsearch(&key, t->users, t->user_count, sizeof *t->users, users_compare_users);
}

static const struct users_alias *users_find_alias(const struct users_tables *t, const char *name)
{
        if (t == NULL || t->alias_count == 0)
                return NULL;
        struct users_alias key;
        if (!text_copy(key.name, sizeof key.name, name))
                return NULL;
        return bsearch(&key, t->aliases, t->alias_count, sizeof *t->aliases,
                       users_compare_aliases);
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
                users_error(err, err_size, users_path, 0, "path too long");
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

/* The state of one users_resolve() call. path holds the aliases being
 * expanded, outermost first, for loop detection. */
struct users_resolution {
        const struct users_tables *tables;
        char (*users)[USER_NAME_MAX + 1];
        size_t max;
        size_t count;
        bool is_overflow;
        bool is_too_deep;
        const struct users_alias *path[USERS_ALIAS_DEPTH_MAX];
        size_t depth;
};

/* Depth-first expansion of name into r->users. An alias is replaced by its
 * members; a name that is already being expanded (it is on r->path) is
 * taken as a user name instead, which both ends loops and lets an alias
 * list the user it shadows. Anything else must be a user, or adds nothing. */
static void users_resolve_name(struct users_resolution *r, const char *name)
{
        const struct users_alias *alias = users_find_alias(r->tables, name);
        for (size_t i = 0; alias != NULL && i < r->depth; i++)
                if (r->path[i] == alias)
                        alias = NULL;   /* inside its own expansion: a user or nothing */
        if (alias != NULL) {
                if (r->depth == USERS_ALIAS_DEPTH_MAX) {
                        r->is_too_deep = true;
                        return;
                }
                r->path[r->depth++] = alias;
                for (size_t i = 0; i < alias->member_count; i++)
                        users_resolve_name(r, alias->members[i].local);
                r->depth--;
                return;
        }
        const struct users_entry *user = users_find_user(r->tables, name);
        if (user == NULL)
                return;         /* a target that names nobody delivers nowhere */
        for (size_t i = 0; i < r->count; i++)
                if (strcmp(r->users[i], user->name) == 0)
                        return;
        if (r->count == r->max) {
                r->is_overflow = true;
                return;
        }
        memcpy(r->users[r->count++], user->name, sizeof user->name);
}

int users_resolve(const char *local, char users_out[][USER_NAME_MAX + 1], size_t max)
{
        /* RFC 5321 §4.5.1: "postmaster" is recognised in any case, even when
         * it is a user rather than an alias. */
        if (text_casecmp(local, "postmaster") == 0)
                local = "postmaster";
        struct users_resolution r = { .users = users_out, .max = max };
        pthread_rwlock_rdlock(&users_lock);
        r.tables = users_current;
        users_resolve_name(&r, local);
        pthread_rwlock_unlock(&users_lock);
        if (r.is_too_deep) {
                char shown[96];
                log_warn(0, "alias '%s' nests deeper than %d levels; the rest is ignored",
                         text_escape(shown, sizeof shown, local, strlen(local)),
                         USERS_ALIAS_DEPTH_MAX);
        }
        return r.is_overflow ? -1 : (int)r.count;
}

int users_alias_members(const char *local, char members_out[][SMTP_PATH_MAX + 1], size_t max)
{
        /* RFC 5321 §3.5.2: EXPN lists the members of a mailing list. */
        size_t count = 0;
        pthread_rwlock_rdlock(&users_lock);
        const struct users_alias *alias = users_find_alias(users_current, local);
        for (; alias != NULL && count < alias->member_count && count < max; count++)
                memcpy(members_out[count], alias->members[count].written,
                       sizeof members_out[count]);
        pthread_rwlock_unlock(&users_lock);
        return (int)count;
}
