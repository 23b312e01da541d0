/* SPDX-License-Identifier: MIT
 *
 * users_internal.h - private to common/users*.c: the in-memory tables that
 * users.c loads and users_aliases.c resolves against, and the few helpers
 * both need. Nothing outside common/users*.c includes it; the daemons and
 * tests use common/users.h.
 */
#ifndef COMMON_USERS_INTERNAL_H
#define COMMON_USERS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/limits.h"
#include "common/users.h"

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

/* The tables every lookup reads, defined in users.c. LOCKING: users_lock
 * protects users_current (see its definition in users.c): hold it for
 * reading while copying out what is needed, never across crypt(3) or I/O. */
extern pthread_rwlock_t users_lock;
extern struct users_tables *users_current;

/* Format "FILE:LINE: reason" (or "FILE: reason" for line 0) into err. */
void users_load_error(char *err, size_t err_size, const char *path, unsigned line,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Grow *array (of *capacity elements of size bytes) so one more fits. */
bool users_grow(void **array, size_t *capacity, size_t count, size_t size);

/* The user named name (exact case) in t, or NULL; t may be NULL. */
const struct users_entry *users_find_user(const struct users_tables *t, const char *name);

/* One line of the aliases file into t (users_aliases.c); the signature of
 * users.c's line parsers. Returns 0, or -1 with "FILE:LINE: reason". */
int users_parse_alias(struct users_tables *t, size_t *capacity, const char *path,
                      unsigned line_number, char *line, char *err, size_t err_size);

/* Sort t's aliases for lookup and refuse duplicates (users_aliases.c).
 * Returns 0, or -1 with "FILE:LINE: reason" in err. */
int users_sort_aliases(struct users_tables *t, const char *path, char *err, size_t err_size);

#endif
