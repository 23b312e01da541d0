/* SPDX-License-Identifier: MIT
 *
 * maildir.h - the only public header of maildir/: unique names, crash-safe
 * delivery, scanning, reading, marking seen, removing, locking, cleaning.
 *
 * Layout (DESIGN.md §6): <root>/<user>/{tmp,new,cur}, mode 0700.
 * A message's file name is
 *     <secs>.M<usecs>P<pid>Q<n>.<host>,S=<octets on disk>,W=<octets on the wire>
 * in new/, plus ":2,<flags>" once it is in cur/. The part before the first
 * ':' is the message's unique id (POP3 UIDL). Files are stored with LF line
 * ends. This library knows nothing about sockets, SMTP, POP3 or the users
 * file: it receives validated user names and bytes.
 */
#ifndef MAILDIR_MAILDIR_H
#define MAILDIR_MAILDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define MAILDIR_NAME_MAX 255

/* ---- user.c ---- */

/* SECURITY: path traversal. True when name may become a directory name:
 * 1..64 bytes of [A-Za-z0-9._-], not starting with '.' or '-'. */
bool maildir_user_valid(const char *name);

/* Create <root>/<user> and its tmp/ new/ cur/ (mode 0700) if missing.
 * root itself is created too. Returns 0 or -1 with errno. */
int maildir_create(const char *root, const char *user);

/* open + fsync + close the directory path, so that the names created,
 * moved or removed in it survive a crash. Some file systems cannot sync a
 * directory and say EINVAL; there is nothing more to do on them, so that
 * counts as success. Returns 0 or -1 with errno. */
int maildir_sync_directory(const char *path);

/* ---- name.c ---- */

struct maildir_name {
        char unique[MAILDIR_NAME_MAX + 1];  /* before ':' : the UIDL */
        bool has_size;                      /* ",S=" present */
        uint64_t size;
        bool has_wire_size;                 /* ",W=" present */
        uint64_t wire_size;
        char flags[32];                     /* after ":2," ("" when none) */
        time_t seconds;                     /* leading <secs>, 0 if not numeric */
};

/* Parse a file name from new/ or cur/ (any Maildir writer's, not only ours).
 * Returns false for names that are not messages (start with '.', empty,
 * too long). */
bool maildir_name_parse(const char *filename, struct maildir_name *name_out);

/* A fresh unique base name "<secs>.M<usecs>P<pid>Q<n>.<host>" into
 * out[size]; unique across the threads of this process (atomic counter
 * Q<n>) and across processes (pid). Characters of host that would break the
 * name ('/' and ':') are replaced as the Maildir convention asks. */
int maildir_unique_name(char *out, size_t size);

/* ---- deliver.c ---- */

/* One message being delivered: created in tmp/ by maildir_delivery_begin(),
 * written in pieces, then committed into every recipient's new/ at once or
 * aborted. */
struct maildir_delivery;

enum maildir_result {
        MAILDIR_OK,
        MAILDIR_ERR_TEMP,     /* ENOSPC, EDQUOT, EFBIG: 452 4.3.1 */
        MAILDIR_ERR_IO,       /* any other failure: 451 4.3.0 */
};

/* Create a file in <root>/<first_user>/tmp with O_EXCL. Returns NULL with
 * errno on failure. Neither this nor commit creates Maildirs: call
 * maildir_create() for every recipient first (it is idempotent and cheap). */
struct maildir_delivery *maildir_delivery_begin(const char *root, const char *first_user);

/* Append bytes (LF line ends). Also counts ,S= and ,W=. */
enum maildir_result maildir_delivery_write(struct maildir_delivery *d, const void *data,
                                           size_t len);

/* fsync and close the file, link it into <root>/<user>/new/ for each of
 * users[0..count) under one name with ,S= and ,W=, fsync every new/
 * directory, remove the tmp name. All or nothing: on failure every link
 * made is removed. Frees d. On success the final name is copied to
 * name_out[name_size] (may be NULL). errno tells the cause on failure. */
enum maildir_result maildir_delivery_commit(struct maildir_delivery *d, const char *const users[],
                                            size_t count, char *name_out, size_t name_size);

/* Remove the tmp file and free d. */
void maildir_delivery_abort(struct maildir_delivery *d);

/* ---- scan.c ---- */

struct maildir_entry {
        char *filename;          /* "new/<name>" or "cur/<name>", relative to the user's Maildir */
        char *unique;            /* UIDL: the name before ':' */
        uint64_t size;           /* octets on disk */
        uint64_t wire_size;      /* octets on the wire (CRLF), RFC 1939 §11 exact size */
};

struct maildir_list {
        size_t count;
        struct maildir_entry *entries;   /* oldest first (by <secs>, then name) */
};

/* List new/ and cur/ of <root>/<user>. Sizes come from ,S= and ,W= in the
 * name; when a name lacks them the file is stat()ed or read. Returns 0 or
 * -1 with errno. */
int maildir_scan(const char *root, const char *user, struct maildir_list *list_out);
void maildir_list_free(struct maildir_list *list);

/* ---- message.c ---- */

/* Open a scanned message for reading. If the file moved between new/ and
 * cur/ (another reader), it is looked up again by unique name. Returns an
 * fd or -1 with errno. */
int maildir_open_message(const char *root, const char *user, struct maildir_entry *entry);

/* Move a message from new/ to cur/ with ":2,S" (or add S to the flags of one
 * already in cur/), updating entry->filename. The unique name does not
 * change. Returns 0 or -1 with errno. */
int maildir_mark_seen(const char *root, const char *user, struct maildir_entry *entry);

/* Remove a message (wherever it is now). ENOENT counts as removed.
 * Returns 0 or -1 with errno. */
int maildir_remove(const char *root, const char *user, struct maildir_entry *entry);

/* Make removals and moves in new/ and cur/ of <root>/<user> durable:
 * fsync both directories. pop3d calls it after UPDATE, before +OK to QUIT,
 * so that a crash cannot bring deleted messages back. Returns 0 or -1 with
 * errno. */
int maildir_sync(const char *root, const char *user);

/* ---- lock.c ---- */

/* Take the session lock: flock(LOCK_EX|LOCK_NB) on <root>/<user>/.pop3.lock
 * (works between threads of one process and between processes). Returns an
 * fd (>= 0), -2 when another session holds it, -1 with errno on error. */
int maildir_lock(const char *root, const char *user);
void maildir_unlock(int lock_fd);

/* ---- clean.c ---- */

/* Remove files in <root>/<user>/tmp older than MAILDIR_TMP_MAX_AGE_SECONDS
 * measured from now (qmail's 36-hour rule). Returns the number removed, or
 * -1 with errno. */
int maildir_clean_tmp(const char *root, const char *user, time_t now);

#endif
