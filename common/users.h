/* SPDX-License-Identifier: MIT
 *
 * users.h - the users file and the aliases file (DESIGN.md §7), shared by
 * both daemons.
 *
 * users file:   name:{SCHEME}secret     ({CRYPT} crypt(3) hash, or {PLAIN})
 * aliases file: name: target, target    (local users or other aliases)
 * Lines starting with '#' and empty lines are ignored.
 *
 * The tables are process-wide shared state, guarded by one reader/writer
 * lock (LOCKING: users_lock in users.c): sessions take it for reading;
 * users_reload() builds new tables outside the lock and swaps them in
 * under the write lock, so a reload never drops a session.
 */
#ifndef COMMON_USERS_H
#define COMMON_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include "common/limits.h"

enum users_scheme { USERS_SCHEME_CRYPT, USERS_SCHEME_PLAIN };

/* Load both files (aliases_path may name a missing file: no aliases). Returns
 * 0, or -1 with "FILE:LINE: reason" in err. Call once at start-up. */
int users_init(const char *users_path, const char *aliases_path, char *err, size_t err_size);

/* Re-read both files; on error keep the old tables and return -1 with the
 * reason in err. Safe while sessions run (SIGHUP handler, add-user tool). */
int users_reload(char *err, size_t err_size);

/* Re-read if either file's mtime or size changed since the last load.
 * Cheap (two stat calls); the daemons call it at each login. */
void users_reload_if_changed(void);

/* Free the tables (tests). */
void users_shutdown(void);

/* True when name may be a user or alias name: 1..USER_NAME_MAX bytes of
 * [A-Za-z0-9._-], not starting with '.' or '-' (the rule of
 * maildir_user_valid(), so a user name is always a safe directory name). */
bool users_name_valid(const char *name);

/* True when name is a user in the users file (case-sensitive). */
bool users_exists(const char *name);

/* Check a password. For a user that does not exist, the same work (a crypt
 * of a dummy hash) is done so the time does not reveal which users exist
 * (SECURITY: user enumeration). Compares in constant time. */
bool users_check_password(const char *name, const char *password);

/* For shared-secret mechanisms (APOP, CRAM-MD5): copy the {PLAIN} secret of
 * name into secret[size] and return true; false for unknown users and for
 * {CRYPT} users (the caller fails the login exactly as for a wrong password). */
bool users_plain_secret(const char *name, char *secret, size_t size);

/* Resolve a local part to mailbox owners (users), following aliases
 * recursively (loop-safe, depth-limited), case-insensitively for the alias
 * names and "postmaster" (RFC 5321 §4.5.1). Writes up to max user names
 * into users_out (each USER_NAME_MAX + 1 bytes), duplicates removed.
 * Returns the number found (0: no such user or alias), or -1 if the
 * expansion exceeded max. */
int users_resolve(const char *local, char users_out[][USER_NAME_MAX + 1], size_t max);

/* The direct members of an alias as written in the file (for EXPN, RFC 5321
 * §3.5.2), up to max of them, each up to SMTP_PATH_MAX bytes. Returns the
 * count, 0 when local is not an alias. */
int users_alias_members(const char *local, char members_out[][SMTP_PATH_MAX + 1], size_t max);

/* Add or replace a user in the users file at path, atomically (write a
 * temporary file, fsync, rename). With scheme USERS_SCHEME_CRYPT the
 * password is hashed with crypt(3) and a fresh salt (yescrypt "$y$" where
 * the C library has it, else SHA-512 "$6$"). Returns 0, or -1 with err. */
int users_file_set(const char *path, const char *name, enum users_scheme scheme,
                   const char *password, char *err, size_t err_size);

#endif
