/* SPDX-License-Identifier: MIT
 *
 * check_maildir_scan.c - unit tests for maildir/scan.c, message.c, lock.c
 * and clean.c: what a POP3 session does with a Maildir.
 *
 * The scan is fed 10,000 empty files whose names carry S= and W=: the sizes
 * it reports can only come from the names, which is the "no stat per file"
 * promise. Foreign names without sizes are measured from the file. Marking
 * seen keeps the unique name (the UIDL of RFC 1939 §7) and sorts the flags;
 * messages moved behind the session's back are found again; the session lock
 * excludes a second opener in this process and in another one; clean_tmp
 * removes only what is older than 36 hours.
 *
 * Standards:  RFC 1939 §4, RFC 1939 §7, RFC 1939 §11
 * Threads:    Check's fork mode; one process per test; the lock test forks.
 * Read next:  maildir/scan.c, maildir/message.c, maildir/lock.c.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/limits.h"
#include "maildir/maildir.h"
#include "tests/support/harness.h"

/* ---- temporary directories and small file tools ---- */

static char temp_root[64];

static void temp_setup(void)
{
        snprintf(temp_root, sizeof(temp_root), "/tmp/check_maildir_scan.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(temp_root));
        ck_assert_int_eq(maildir_create(temp_root, "alice"), 0);
}

static void temp_teardown(void)
{
        harness_remove_tree(temp_root);
}

/* Write <root>/alice/<relative> with the given bytes. */
static void put_file(const char *relative, const char *data)
{
        char path[1024];
        snprintf(path, sizeof(path), "%s/alice/%s", temp_root, relative);
        int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
        ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
        size_t length = strlen(data);
        ck_assert_int_eq(write(fd, data, length), (ssize_t)length);
        close(fd);
}

static bool exists(const char *relative)
{
        char path[1024];
        struct stat st;
        snprintf(path, sizeof(path), "%s/alice/%s", temp_root, relative);
        return lstat(path, &st) == 0;
}

static void remove_file(const char *relative)
{
        char path[1024];
        snprintf(path, sizeof(path), "%s/alice/%s", temp_root, relative);
        ck_assert_int_eq(unlink(path), 0);
}

static void move(const char *from, const char *to)
{
        char old_path[1024];
        char new_path[1024];
        snprintf(old_path, sizeof(old_path), "%s/alice/%s", temp_root, from);
        snprintf(new_path, sizeof(new_path), "%s/alice/%s", temp_root, to);
        ck_assert_int_eq(rename(old_path, new_path), 0);
}

/* ---- scan ---- */

#define SCAN_MESSAGES 10000

START_TEST(test_scan_ten_thousand_from_names_only)
{
        char name[256];
        struct maildir_list list;

        /* Times decrease as i grows, so creation order is not the answer;
         * messages share their second in pairs, to exercise the tie-break;
         * a third live in cur/ with flags. */
        for (int i = 0; i < SCAN_MESSAGES; i++) {
                long seconds = 1700000000L - (i / 2) * 3;
                const char *dir = i % 3 == 0 ? "cur" : "new";
                const char *info = i % 3 == 0 ? ":2,S" : "";
                snprintf(name, sizeof(name), "%s/%ld.M%dP1Q%d.host,S=%d,W=%d%s", dir, seconds,
                         i, i, i + 10, i + 20, info);
                put_file(name, "");
        }
        put_file("new/.editor-backup", "junk");
        put_file("cur/.hidden,S=1,W=1", "junk");
        char path[1024];
        snprintf(path, sizeof(path), "%s/alice/new/1.M0P0Q0.dir,S=1,W=1", temp_root);
        ck_assert_int_eq(mkdir(path, 0700), 0);

        ck_assert_int_eq(maildir_scan(temp_root, "alice", &list), 0);
        ck_assert_uint_eq(list.count, SCAN_MESSAGES);
        long previous_seconds = 0;
        const char *previous_unique = "";
        for (size_t k = 0; k < list.count; k++) {
                const struct maildir_entry *entry = &list.entries[k];
                struct maildir_name parsed;
                const char *base = strchr(entry->filename, '/') + 1;
                ck_assert(maildir_name_parse(base, &parsed));
                ck_assert_str_eq(parsed.unique, entry->unique);
                /* The files are empty: these sizes came from the names. */
                ck_assert_uint_eq(entry->size, parsed.size);
                ck_assert_uint_eq(entry->wire_size, entry->size + 10);
                ck_assert(strncmp(entry->filename, parsed.flags[0] == 'S' ? "cur/" : "new/",
                                  4) == 0);
                /* Oldest first; the same second ordered by unique name. */
                ck_assert((long)parsed.seconds >= previous_seconds);
                if ((long)parsed.seconds == previous_seconds)
                        ck_assert(strcmp(previous_unique, entry->unique) < 0);
                previous_seconds = (long)parsed.seconds;
                previous_unique = entry->unique;
        }
        maildir_list_free(&list);
        ck_assert_uint_eq(list.count, 0);
        ck_assert_ptr_null(list.entries);
}
END_TEST

struct foreign_case {
        const char *filename;
        const char *content;
        uint64_t size;
        uint64_t wire_size;
};

static const struct foreign_case foreign_cases[] = {
        /* qmail-style: no sizes, both measured. */
        { "new/1600000000.12345.host", "a\nb\n", 4, 6 },
        { "cur/1600000000.12346.host:2,S", "a\r\nb", 4, 6 },
        /* W= known, S from stat. */
        { "new/1600000000.M1P1.host,W=77", "abc", 3, 77 },
        /* S= without W=: the file is read anyway, and what is read wins. */
        { "new/1600000000.M2P1.host,S=999", "x\n", 2, 3 },
        /* Malformed W: measured. */
        { "new/1600000000.M3P1.host,S=2,W=z", "x\n", 2, 3 },
};

START_TEST(test_scan_foreign_names_measured)
{
        const struct foreign_case *row = &foreign_cases[_i];
        struct maildir_list list;

        put_file(row->filename, row->content);
        ck_assert_int_eq(maildir_scan(temp_root, "alice", &list), 0);
        ck_assert_uint_eq(list.count, 1);
        ck_assert_str_eq(list.entries[0].filename, row->filename);
        ck_assert_uint_eq(list.entries[0].size, row->size);
        ck_assert_uint_eq(list.entries[0].wire_size, row->wire_size);
        maildir_list_free(&list);
}
END_TEST

/* A message moved from new/ to cur/ while the scan ran is seen in both:
 * one entry remains, the cur/ one. */
START_TEST(test_scan_same_message_in_new_and_cur_listed_once)
{
        struct maildir_list list;

        put_file("new/1700000000.M1P1Q1.h,S=2,W=3", "x\n");
        put_file("cur/1700000000.M1P1Q1.h,S=2,W=3:2,S", "x\n");
        put_file("new/1700000001.M1P1Q2.h,S=2,W=3", "y\n");
        ck_assert_int_eq(maildir_scan(temp_root, "alice", &list), 0);
        ck_assert_uint_eq(list.count, 2);
        ck_assert_str_eq(list.entries[0].filename, "cur/1700000000.M1P1Q1.h,S=2,W=3:2,S");
        ck_assert_str_eq(list.entries[0].unique, "1700000000.M1P1Q1.h,S=2,W=3");
        ck_assert_str_eq(list.entries[1].unique, "1700000001.M1P1Q2.h,S=2,W=3");
        maildir_list_free(&list);
}
END_TEST

START_TEST(test_scan_empty_missing_and_invalid)
{
        struct maildir_list list;

        ck_assert_int_eq(maildir_scan(temp_root, "alice", &list), 0);
        ck_assert_uint_eq(list.count, 0);
        maildir_list_free(&list);
        /* Nobody delivered to bob yet: an empty maildrop, not an error. */
        ck_assert_int_eq(maildir_scan(temp_root, "bob", &list), 0);
        ck_assert_uint_eq(list.count, 0);
        maildir_list_free(&list);
        ck_assert_int_eq(maildir_scan(temp_root, "../alice", &list), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_uint_eq(list.count, 0);
}
END_TEST

/* Delivery and scan agree: what deliver wrote is what scan reports. */
START_TEST(test_scan_sees_delivered_message)
{
        static const char *const users[] = { "alice" };
        char name[MAILDIR_NAME_MAX + 1];
        struct maildir_list list;

        struct maildir_delivery *d = maildir_delivery_begin(temp_root, "alice");
        ck_assert_ptr_nonnull(d);
        ck_assert_int_eq(maildir_delivery_write(d, "a\nbc\n", 5), MAILDIR_OK);
        ck_assert_int_eq(maildir_delivery_commit(d, users, 1, name, sizeof(name)), MAILDIR_OK);
        ck_assert_int_eq(maildir_scan(temp_root, "alice", &list), 0);
        ck_assert_uint_eq(list.count, 1);
        ck_assert_str_eq(list.entries[0].unique, name);
        ck_assert_uint_eq(list.entries[0].size, 5);
        ck_assert_uint_eq(list.entries[0].wire_size, 7);
        maildir_list_free(&list);
}
END_TEST

/* ---- message: open, mark seen, remove ---- */

/* One entry for a file put at `filename` (as a scan would make it). */
static struct maildir_list scan_one(const char *filename, const char *content)
{
        struct maildir_list list;
        put_file(filename, content);
        ck_assert_int_eq(maildir_scan(temp_root, "alice", &list), 0);
        ck_assert_uint_eq(list.count, 1);
        return list;
}

START_TEST(test_open_reads_message_and_follows_a_move)
{
        struct maildir_list list = scan_one("new/1700000000.M1P1Q1.h,S=6,W=8", "hello\n");
        struct maildir_entry *entry = &list.entries[0];
        char buffer[16];

        int fd = maildir_open_message(temp_root, "alice", entry);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(read(fd, buffer, sizeof(buffer)), 6);
        ck_assert(memcmp(buffer, "hello\n", 6) == 0);
        ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
        close(fd);

        /* Another reader moved it to cur/ with flags. */
        move("new/1700000000.M1P1Q1.h,S=6,W=8", "cur/1700000000.M1P1Q1.h,S=6,W=8:2,RS");
        fd = maildir_open_message(temp_root, "alice", entry);
        ck_assert_int_ge(fd, 0);
        close(fd);
        ck_assert_str_eq(entry->filename, "cur/1700000000.M1P1Q1.h,S=6,W=8:2,RS");

        /* Gone altogether. */
        remove_file(entry->filename);
        ck_assert_int_eq(maildir_open_message(temp_root, "alice", entry), -1);
        ck_assert_int_eq(errno, ENOENT);
        maildir_list_free(&list);
}
END_TEST

/* SECURITY: path traversal. A symbolic link planted in new/ (its name
 * carries S= and W=, so the scan never opens it) must not be served. */
START_TEST(test_open_refuses_planted_symlink)
{
        char target[1024], link_path[1024];
        struct maildir_list list;

        snprintf(target, sizeof(target), "%s/secret", temp_root);
        int fd = open(target, O_CREAT | O_WRONLY, 0600);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, "secret\n", 7), 7);
        close(fd);
        snprintf(link_path, sizeof(link_path), "%s/alice/new/1700000000.M1P1Q1.h,S=7,W=8",
                 temp_root);
        ck_assert_int_eq(symlink(target, link_path), 0);
        ck_assert_int_eq(maildir_scan(temp_root, "alice", &list), 0);
        ck_assert_uint_eq(list.count, 1);
        ck_assert_int_eq(maildir_open_message(temp_root, "alice", &list.entries[0]), -1);
        ck_assert_int_eq(errno, ELOOP);
        maildir_list_free(&list);
}
END_TEST

/* maildir_sync: both folders of a valid Maildir; bad names and missing
 * Maildirs are errors, never a path outside the root. */
START_TEST(test_sync_after_removal)
{
        struct maildir_list list = scan_one("new/1700000000.M1P1Q1.h,S=6,W=8", "hello\n");

        ck_assert_int_eq(maildir_remove(temp_root, "alice", &list.entries[0]), 0);
        ck_assert_int_eq(maildir_sync(temp_root, "alice"), 0);
        ck_assert(!exists("new/1700000000.M1P1Q1.h,S=6,W=8"));
        ck_assert_int_eq(maildir_sync(temp_root, "../alice"), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_int_eq(maildir_sync(temp_root, "nobody"), -1);
        ck_assert_int_eq(errno, ENOENT);
        maildir_list_free(&list);
}
END_TEST

struct seen_case {
        const char *before;
        const char *after;
};

static const struct seen_case seen_cases[] = {
        { "new/1700000000.M1P1Q1.h,S=1,W=3", "cur/1700000000.M1P1Q1.h,S=1,W=3:2,S" },
        { "cur/1700000000.M1P1Q1.h,S=1,W=3", "cur/1700000000.M1P1Q1.h,S=1,W=3:2,S" },
        { "cur/1700000000.M1P1Q1.h,S=1,W=3:2,", "cur/1700000000.M1P1Q1.h,S=1,W=3:2,S" },
        { "cur/1700000000.M1P1Q1.h,S=1,W=3:2,F", "cur/1700000000.M1P1Q1.h,S=1,W=3:2,FS" },
        { "cur/1700000000.M1P1Q1.h,S=1,W=3:2,T", "cur/1700000000.M1P1Q1.h,S=1,W=3:2,ST" },
        { "cur/1700000000.M1P1Q1.h,S=1,W=3:2,DFRT",
          "cur/1700000000.M1P1Q1.h,S=1,W=3:2,DFRST" },
        /* Lower-case (experimental) flags sort after the upper-case ones. */
        { "cur/1700000000.M1P1Q1.h,S=1,W=3:2,Fa", "cur/1700000000.M1P1Q1.h,S=1,W=3:2,FSa" },
        /* Already seen: nothing changes. */
        { "cur/1700000000.M1P1Q1.h,S=1,W=3:2,FS", "cur/1700000000.M1P1Q1.h,S=1,W=3:2,FS" },
        /* A writer that put info on a name in new/. */
        { "new/1700000000.M1P1Q1.h,S=1,W=3:2,F", "cur/1700000000.M1P1Q1.h,S=1,W=3:2,FS" },
        { "new/1700000000.M1P1Q1.h,S=1,W=3:2,S", "cur/1700000000.M1P1Q1.h,S=1,W=3:2,S" },
        /* Foreign name without sizes. */
        { "new/1600000000.12345.host", "cur/1600000000.12345.host:2,S" },
};

START_TEST(test_mark_seen_keeps_unique_and_sorts_flags)
{
        const struct seen_case *row = &seen_cases[_i];
        struct maildir_list list = scan_one(row->before, "x");
        struct maildir_entry *entry = &list.entries[0];
        char unique[MAILDIR_NAME_MAX + 1];

        snprintf(unique, sizeof(unique), "%s", entry->unique);
        ck_assert_int_eq(maildir_mark_seen(temp_root, "alice", entry), 0);
        ck_assert_str_eq(entry->filename, row->after);
        ck_assert_str_eq(entry->unique, unique);
        ck_assert(exists(row->after));
        if (strcmp(row->before, row->after) != 0)
                ck_assert(!exists(row->before));
        /* Twice is the same as once. */
        ck_assert_int_eq(maildir_mark_seen(temp_root, "alice", entry), 0);
        ck_assert_str_eq(entry->filename, row->after);
        maildir_list_free(&list);

        /* A new scan gives the same UIDL. */
        ck_assert_int_eq(maildir_scan(temp_root, "alice", &list), 0);
        ck_assert_uint_eq(list.count, 1);
        ck_assert_str_eq(list.entries[0].unique, unique);
        maildir_list_free(&list);
}
END_TEST

START_TEST(test_mark_seen_after_message_moved)
{
        struct maildir_list list = scan_one("new/1700000000.M1P1Q1.h,S=1,W=3", "x");
        struct maildir_entry *entry = &list.entries[0];

        move("new/1700000000.M1P1Q1.h,S=1,W=3", "cur/1700000000.M1P1Q1.h,S=1,W=3:2,F");
        ck_assert_int_eq(maildir_mark_seen(temp_root, "alice", entry), 0);
        ck_assert_str_eq(entry->filename, "cur/1700000000.M1P1Q1.h,S=1,W=3:2,FS");
        ck_assert(exists("cur/1700000000.M1P1Q1.h,S=1,W=3:2,FS"));

        maildir_list_free(&list);
        remove_file("cur/1700000000.M1P1Q1.h,S=1,W=3:2,FS");

        /* Gone altogether: an error, and the entry is left as it was. */
        list = scan_one("new/1700000001.M1P1Q2.h,S=1,W=3", "y");
        remove_file("new/1700000001.M1P1Q2.h,S=1,W=3");
        ck_assert_int_eq(maildir_mark_seen(temp_root, "alice", &list.entries[0]), -1);
        ck_assert_int_eq(errno, ENOENT);
        ck_assert_str_eq(list.entries[0].filename, "new/1700000001.M1P1Q2.h,S=1,W=3");
        maildir_list_free(&list);
}
END_TEST

START_TEST(test_remove_wherever_it_is)
{
        put_file("new/1700000000.M1P1Q1.h,S=1,W=3", "x");
        put_file("new/1700000000.M1P1Q2.h,S=1,W=3", "y");
        struct maildir_list list;
        ck_assert_int_eq(maildir_scan(temp_root, "alice", &list), 0);
        ck_assert_uint_eq(list.count, 2);

        ck_assert_int_eq(maildir_remove(temp_root, "alice", &list.entries[0]), 0);
        ck_assert(!exists("new/1700000000.M1P1Q1.h,S=1,W=3"));
        /* Already gone: removing again is fine (RFC 1939 §6 wants it gone). */
        ck_assert_int_eq(maildir_remove(temp_root, "alice", &list.entries[0]), 0);

        /* Moved and flagged by someone else: still found and removed, and the
         * similarly named neighbour is untouched. */
        move("new/1700000000.M1P1Q2.h,S=1,W=3", "cur/1700000000.M1P1Q2.h,S=1,W=3:2,S");
        put_file("cur/1700000000.M1P1Q2.h,S=1,W=3x", "z");
        ck_assert_int_eq(maildir_remove(temp_root, "alice", &list.entries[1]), 0);
        ck_assert(!exists("cur/1700000000.M1P1Q2.h,S=1,W=3:2,S"));
        ck_assert(exists("cur/1700000000.M1P1Q2.h,S=1,W=3x"));
        maildir_list_free(&list);
}
END_TEST

/* SECURITY: path traversal. A forged entry cannot reach outside the Maildir. */
START_TEST(test_entry_path_traversal_refused)
{
        char filename[] = "new/../../secret";
        char unique[] = "x";
        struct maildir_entry entry = { .filename = filename, .unique = unique };

        ck_assert_int_eq(maildir_open_message(temp_root, "alice", &entry), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_int_eq(maildir_remove(temp_root, "alice", &entry), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_int_eq(maildir_mark_seen(temp_root, "alice", &entry), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_int_eq(maildir_open_message(temp_root, "..", &entry), -1);
        ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* ---- lock ---- */

START_TEST(test_lock_excludes_second_session_in_process)
{
        int first = maildir_lock(temp_root, "alice");
        ck_assert_int_ge(first, 0);
        ck_assert(exists(".pop3.lock"));
        ck_assert_int_eq(maildir_lock(temp_root, "alice"), -2);
        maildir_unlock(first);
        int again = maildir_lock(temp_root, "alice");
        ck_assert_int_ge(again, 0);
        maildir_unlock(again);
        ck_assert_int_eq(maildir_lock(temp_root, "../alice"), -1);
        ck_assert_int_eq(errno, EINVAL);
        /* The lock file never shows up as a message. */
        struct maildir_list list;
        ck_assert_int_eq(maildir_scan(temp_root, "alice", &list), 0);
        ck_assert_uint_eq(list.count, 0);
        maildir_list_free(&list);
}
END_TEST

/* Exit status of a child that tries the lock: 0 got it, 2 busy, 1 error. */
static int lock_in_child(void)
{
        pid_t child = fork();
        ck_assert_int_ge(child, 0);
        if (child == 0) {
                int fd = maildir_lock(temp_root, "alice");
                _exit(fd >= 0 ? 0 : fd == -2 ? 2 : 1);
        }
        int status;
        ck_assert_int_eq(waitpid(child, &status, 0), child);
        ck_assert(WIFEXITED(status));
        return WEXITSTATUS(status);
}

START_TEST(test_lock_excludes_other_process_and_dies_with_it)
{
        int fd = maildir_lock(temp_root, "alice");
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(lock_in_child(), 2);
        maildir_unlock(fd);
        ck_assert_int_eq(lock_in_child(), 0);

        /* A child holds the lock until it exits; its death releases it. */
        int ready[2];
        int release[2];
        ck_assert_int_eq(pipe(ready), 0);
        ck_assert_int_eq(pipe(release), 0);
        pid_t holder = fork();
        ck_assert_int_ge(holder, 0);
        if (holder == 0) {
                char byte = maildir_lock(temp_root, "alice") >= 0 ? 'y' : 'n';
                if (write(ready[1], &byte, 1) != 1)
                        _exit(1);
                if (read(release[0], &byte, 1) < 0)
                        _exit(1);
                _exit(0);       /* no unlock: exiting must release it */
        }
        char byte = 0;
        ck_assert_int_eq(read(ready[0], &byte, 1), 1);
        ck_assert_int_eq(byte, 'y');
        ck_assert_int_eq(maildir_lock(temp_root, "alice"), -2);
        ck_assert_int_eq(write(release[1], "x", 1), 1);
        int status;
        ck_assert_int_eq(waitpid(holder, &status, 0), holder);
        fd = maildir_lock(temp_root, "alice");
        ck_assert_int_ge(fd, 0);
        maildir_unlock(fd);
}
END_TEST

/* ---- clean ---- */

static void age_file(const char *relative, time_t mtime)
{
        char path[1024];
        struct timespec times[2] = { { .tv_sec = mtime }, { .tv_sec = mtime } };
        snprintf(path, sizeof(path), "%s/alice/%s", temp_root, relative);
        ck_assert_int_eq(utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW), 0);
}

START_TEST(test_clean_tmp_removes_only_old_files)
{
        time_t now = time(NULL);
        time_t limit = now - MAILDIR_TMP_MAX_AGE_SECONDS;
        char path[1024];

        put_file("tmp/old", "x");
        age_file("tmp/old", limit - 3600);
        put_file("tmp/just-old", "x");
        age_file("tmp/just-old", limit - 1);
        put_file("tmp/at-limit", "x");
        age_file("tmp/at-limit", limit);
        put_file("tmp/fresh", "x");
        put_file("tmp/.old-dot-file", "x");
        age_file("tmp/.old-dot-file", limit - 3600);
        snprintf(path, sizeof(path), "%s/alice/tmp/old-directory", temp_root);
        ck_assert_int_eq(mkdir(path, 0700), 0);
        age_file("tmp/old-directory", limit - 3600);
        /* Messages in new/ are never the cleaner's business. */
        put_file("new/1.M1P1Q1.h,S=1,W=3", "x");
        age_file("new/1.M1P1Q1.h,S=1,W=3", limit - 3600);

        ck_assert_int_eq(maildir_clean_tmp(temp_root, "alice", now), 3);
        ck_assert(!exists("tmp/old"));
        ck_assert(!exists("tmp/just-old"));
        ck_assert(!exists("tmp/.old-dot-file"));
        ck_assert(exists("tmp/at-limit"));
        ck_assert(exists("tmp/fresh"));
        ck_assert(exists("tmp/old-directory"));
        ck_assert(exists("new/1.M1P1Q1.h,S=1,W=3"));
        ck_assert_int_eq(maildir_clean_tmp(temp_root, "alice", now), 0);

        ck_assert_int_eq(maildir_clean_tmp(temp_root, "a/b", now), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_int_eq(maildir_clean_tmp(temp_root, "nobody", now), -1);
        ck_assert_int_eq(errno, ENOENT);
}
END_TEST

Suite *maildir_scan_suite(void)
{
        Suite *suite = suite_create("maildir_scan");

        TCase *scan = tcase_create("scan");
        tcase_add_checked_fixture(scan, temp_setup, temp_teardown);
        tcase_set_timeout(scan, 120);
        tcase_add_test(scan, test_scan_ten_thousand_from_names_only);
        tcase_add_loop_test(scan, test_scan_foreign_names_measured, 0,
                            (int)(sizeof(foreign_cases) / sizeof(foreign_cases[0])));
        tcase_add_test(scan, test_scan_same_message_in_new_and_cur_listed_once);
        tcase_add_test(scan, test_scan_empty_missing_and_invalid);
        tcase_add_test(scan, test_scan_sees_delivered_message);
        suite_add_tcase(suite, scan);

        TCase *message = tcase_create("message");
        tcase_add_checked_fixture(message, temp_setup, temp_teardown);
        tcase_set_timeout(message, 60);
        tcase_add_test(message, test_open_reads_message_and_follows_a_move);
        tcase_add_loop_test(message, test_mark_seen_keeps_unique_and_sorts_flags, 0,
                            (int)(sizeof(seen_cases) / sizeof(seen_cases[0])));
        tcase_add_test(message, test_mark_seen_after_message_moved);
        tcase_add_test(message, test_remove_wherever_it_is);
        tcase_add_test(message, test_entry_path_traversal_refused);
        tcase_add_test(message, test_open_refuses_planted_symlink);
        tcase_add_test(message, test_sync_after_removal);
        suite_add_tcase(suite, message);

        TCase *lock = tcase_create("lock");
        tcase_add_checked_fixture(lock, temp_setup, temp_teardown);
        tcase_set_timeout(lock, 60);
        tcase_add_test(lock, test_lock_excludes_second_session_in_process);
        tcase_add_test(lock, test_lock_excludes_other_process_and_dies_with_it);
        suite_add_tcase(suite, lock);

        TCase *clean = tcase_create("clean");
        tcase_add_checked_fixture(clean, temp_setup, temp_teardown);
        tcase_set_timeout(clean, 60);
        tcase_add_test(clean, test_clean_tmp_removes_only_old_files);
        suite_add_tcase(suite, clean);
        return suite;
}
