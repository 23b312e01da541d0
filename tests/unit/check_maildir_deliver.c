/* SPDX-License-Identifier: MIT
 *
 * check_maildir_deliver.c - unit tests for maildir/deliver.c.
 *
 * What is on disk after a commit is exactly what was written, under a name
 * whose ,S= and ,W= are right; one message to several users is one inode
 * linked into each new/; tmp/ is empty after commit and after abort; eight
 * threads delivering at once lose nothing; and every failure (a broken
 * recipient Maildir, a file size limit) leaves no file anywhere: all or
 * nothing, the rule behind smtpd's 250.
 *
 * Standards:  RFC 5321 §4.1.1.4, RFC 1939 §7, RFC 1939 §11
 * Threads:    Check's fork mode; one process per test. The concurrency test
 *             starts 8 threads, the file-size test forks a child.
 * Read next:  maildir/deliver.c.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/dot.h"
#include "maildir/maildir.h"
#include "tests/support/harness.h"

/* ---- temporary directories and small file tools ---- */

static char temp_root[64];

static void temp_setup(void)
{
        snprintf(temp_root, sizeof(temp_root), "/tmp/check_maildir_deliver.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(temp_root));
}

static void temp_teardown(void)
{
        harness_remove_tree(temp_root);
}

/* Names in <root>/<user>/<dir>, not counting dot files. The first one goes
 * to first_out (may be NULL). */
static size_t count_files(const char *user, const char *dir, char *first_out, size_t size)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s/%s", temp_root, user, dir);
        DIR *directory = opendir(path);
        if (directory == NULL)
                return 0;
        size_t count = 0;
        struct dirent *item;
        while ((item = readdir(directory)) != NULL) {
                if (item->d_name[0] == '.')
                        continue;
                if (count == 0 && first_out != NULL)
                        snprintf(first_out, size, "%s", item->d_name);
                count++;
        }
        closedir(directory);
        return count;
}

/* The whole file into a malloc'ed buffer; *length_out its size. */
static char *read_whole(const char *path, size_t *length_out)
{
        FILE *file = fopen(path, "rb");
        ck_assert_msg(file != NULL, "%s: %s", path, strerror(errno));
        size_t capacity = 4096;
        size_t length = 0;
        char *data = malloc(capacity);
        size_t got;
        while ((got = fread(data + length, 1, capacity - length, file)) > 0) {
                length += got;
                if (length == capacity)
                        data = realloc(data, capacity *= 2);
        }
        fclose(file);
        *length_out = length;
        return data;
}

static uint64_t reference_wire_size(const char *data, size_t length)
{
        struct dot_wire_size wire = { 0 };
        dot_wire_size_add(&wire, data, length);
        return dot_wire_size_total(&wire);
}

static void create_users(const char *const users[], size_t count)
{
        for (size_t i = 0; i < count; i++)
                ck_assert_int_eq(maildir_create(temp_root, users[i]), 0);
}

/* ---- the bytes and the name ---- */

struct message_case {
        const char *data;
        size_t length;
        uint64_t wire_size;     /* worked out by hand: LF counts as CRLF */
};

#define TEXT(s) s, sizeof(s) - 1

static const struct message_case message_cases[] = {
        { TEXT("Subject: hi\n\nhello\n"), 22 },
        { TEXT("a\nb\n"), 6 },
        { TEXT("a\r\nb\r\n"), 6 },
        /* No final line end: the wire form gets one. */
        { TEXT("a\r\nb"), 6 },
        { TEXT("x"), 3 },
        { TEXT("\n\n"), 4 },
        /* A leading dot is stored as is; the stuffing dot is not counted. */
        { TEXT(".\n..\n"), 7 },
        /* Binary bytes and a NUL go through untouched. */
        { TEXT("\x00\xff\r\x80\n"), 6 },
};

/* Deliver row->data in one write (whole) or one byte per write, so that a
 * CR and its LF arrive in different writes. */
static void deliver_and_check(const struct message_case *row, bool byte_at_a_time)
{
        static const char *const users[] = { "alice" };
        char name[MAILDIR_NAME_MAX + 1];
        char listed[MAILDIR_NAME_MAX + 1];
        char path[512];

        create_users(users, 1);
        struct maildir_delivery *d = maildir_delivery_begin(temp_root, "alice");
        ck_assert_ptr_nonnull(d);
        if (byte_at_a_time) {
                for (size_t i = 0; i < row->length; i++)
                        ck_assert_int_eq(maildir_delivery_write(d, row->data + i, 1), MAILDIR_OK);
        } else {
                ck_assert_int_eq(maildir_delivery_write(d, row->data, row->length), MAILDIR_OK);
        }
        ck_assert_int_eq(maildir_delivery_commit(d, users, 1, name, sizeof(name)), MAILDIR_OK);

        ck_assert_uint_eq(count_files("alice", "new", listed, sizeof(listed)), 1);
        ck_assert_str_eq(listed, name);
        ck_assert_uint_eq(count_files("alice", "tmp", NULL, 0), 0);

        snprintf(path, sizeof(path), "%s/alice/new/%s", temp_root, name);
        size_t length;
        char *data = read_whole(path, &length);
        ck_assert_uint_eq(length, row->length);
        ck_assert(memcmp(data, row->data, length) == 0);
        free(data);

        struct maildir_name parsed;
        ck_assert(maildir_name_parse(name, &parsed));
        ck_assert(parsed.has_size && parsed.has_wire_size);
        ck_assert_uint_eq(parsed.size, row->length);
        ck_assert_uint_eq(parsed.wire_size, row->wire_size);
        ck_assert_uint_eq(parsed.wire_size, reference_wire_size(row->data, row->length));
        /* RFC 1939 §7: the UIDL (everything before ':') fits in 70 octets. */
        ck_assert_uint_le(strlen(parsed.unique), 70);

        struct stat st;
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_int_eq(st.st_mode & 0777, 0600);
}

START_TEST(test_delivered_bytes_and_sizes_whole)
{
        deliver_and_check(&message_cases[_i], false);
}
END_TEST

START_TEST(test_delivered_bytes_and_sizes_byte_at_a_time)
{
        deliver_and_check(&message_cases[_i], true);
}
END_TEST

START_TEST(test_large_message_name_stays_a_uidl)
{
        static const char *const users[] = { "alice" };
        char name[MAILDIR_NAME_MAX + 1];
        size_t length = 3 * 1024 * 1024;
        char *data = malloc(length);

        memset(data, 'x', length);
        for (size_t i = 99; i < length; i += 100)
                data[i] = '\n';
        create_users(users, 1);
        struct maildir_delivery *d = maildir_delivery_begin(temp_root, "alice");
        ck_assert_ptr_nonnull(d);
        ck_assert_int_eq(maildir_delivery_write(d, data, length), MAILDIR_OK);
        ck_assert_int_eq(maildir_delivery_commit(d, users, 1, name, sizeof(name)), MAILDIR_OK);
        struct maildir_name parsed;
        ck_assert(maildir_name_parse(name, &parsed));
        ck_assert_uint_eq(parsed.size, length);
        /* 31457 LFs become CRLF, and the last line gets its CRLF. */
        ck_assert_uint_eq(parsed.wire_size, length + length / 100 + 2);
        ck_assert_uint_le(strlen(parsed.unique), 70);
        free(data);
}
END_TEST

/* ---- several recipients ---- */

START_TEST(test_one_message_three_users_hard_linked)
{
        static const char *const users[] = { "alice", "bob", "carol" };
        static const char message[] = "Subject: to three\n\nbody\n";
        char name[MAILDIR_NAME_MAX + 1];
        char path[512];
        struct stat first;

        create_users(users, 3);
        struct maildir_delivery *d = maildir_delivery_begin(temp_root, "alice");
        ck_assert_ptr_nonnull(d);
        ck_assert_int_eq(maildir_delivery_write(d, message, sizeof(message) - 1), MAILDIR_OK);
        ck_assert_int_eq(maildir_delivery_commit(d, users, 3, name, sizeof(name)), MAILDIR_OK);

        for (size_t i = 0; i < 3; i++) {
                struct stat st;
                snprintf(path, sizeof(path), "%s/%s/new/%s", temp_root, users[i], name);
                ck_assert_msg(stat(path, &st) == 0, "%s: %s", path, strerror(errno));
                if (i == 0)
                        first = st;
                ck_assert_uint_eq(st.st_ino, first.st_ino);
                ck_assert_uint_eq(st.st_dev, first.st_dev);
                /* Three names, and the tmp/ one is gone. */
                ck_assert_uint_eq(st.st_nlink, 3);
                ck_assert_uint_eq(count_files(users[i], "new", NULL, 0), 1);
                ck_assert_uint_eq(count_files(users[i], "tmp", NULL, 0), 0);
        }
}
END_TEST

/* An alias list that names one mailbox twice delivers one copy. */
START_TEST(test_duplicate_recipient_gets_one_copy)
{
        static const char *const users[] = { "alice", "bob", "alice" };

        create_users(users, 2);
        struct maildir_delivery *d = maildir_delivery_begin(temp_root, "alice");
        ck_assert_ptr_nonnull(d);
        ck_assert_int_eq(maildir_delivery_write(d, "x\n", 2), MAILDIR_OK);
        ck_assert_int_eq(maildir_delivery_commit(d, users, 3, NULL, 0), MAILDIR_OK);
        ck_assert_uint_eq(count_files("alice", "new", NULL, 0), 1);
        ck_assert_uint_eq(count_files("bob", "new", NULL, 0), 1);
}
END_TEST

/* A recipient on another file system cannot get a hard link (EXDEV): it
 * gets a copy with the same name and bytes. /dev/shm is usually tmpfs while
 * /tmp is a disk; where they are one file system the link is tested. */
START_TEST(test_other_file_system_gets_a_copy)
{
        static const char *const users[] = { "alice", "remote" };
        static const char message[] = "copied\n";
        char elsewhere[] = "/dev/shm/check_maildir_deliver.XXXXXX";
        char link_path[512];
        char path[512];
        char name[MAILDIR_NAME_MAX + 1];
        struct stat local;
        struct stat remote;

        if (mkdtemp(elsewhere) == NULL) {
                fprintf(stderr, "test_other_file_system_gets_a_copy: no /dev/shm, skipped\n");
                return;
        }
        create_users(users, 1);
        ck_assert_int_eq(maildir_create(elsewhere, "remote"), 0);
        snprintf(link_path, sizeof(link_path), "%s/remote", temp_root);
        snprintf(path, sizeof(path), "%s/remote", elsewhere);
        ck_assert_int_eq(symlink(path, link_path), 0);

        struct maildir_delivery *d = maildir_delivery_begin(temp_root, "alice");
        ck_assert_ptr_nonnull(d);
        ck_assert_int_eq(maildir_delivery_write(d, message, sizeof(message) - 1), MAILDIR_OK);
        enum maildir_result result = maildir_delivery_commit(d, users, 2, name, sizeof(name));
        int error = errno;

        snprintf(path, sizeof(path), "%s/alice/new/%s", temp_root, name);
        bool have_local = stat(path, &local) == 0;
        snprintf(path, sizeof(path), "%s/remote/new/%s", elsewhere, name);
        bool have_remote = stat(path, &remote) == 0;
        size_t length = 0;
        char *data = have_remote ? read_whole(path, &length) : NULL;
        /* The copy was made in remote's tmp/ and renamed into new/: no
         * half-written file ever stood in new/, and none is left in tmp/. */
        snprintf(path, sizeof(path), "%s/remote/tmp", elsewhere);
        DIR *remote_tmp = opendir(path);
        int remote_tmp_files = 0;
        for (struct dirent *e; remote_tmp != NULL && (e = readdir(remote_tmp)) != NULL;)
                remote_tmp_files += e->d_name[0] != '.';
        if (remote_tmp != NULL)
                closedir(remote_tmp);
        harness_remove_tree(elsewhere);
        ck_assert_int_eq(remote_tmp_files, 0);

        ck_assert_msg(result == MAILDIR_OK, "commit: %s", strerror(error));
        ck_assert(have_local && have_remote);
        ck_assert_uint_eq(length, sizeof(message) - 1);
        ck_assert(memcmp(data, message, length) == 0);
        if (local.st_dev != remote.st_dev)
                ck_assert_uint_eq(remote.st_nlink, 1);
        else
                ck_assert_uint_eq(remote.st_ino, local.st_ino);
        free(data);
        ck_assert_uint_eq(count_files("alice", "tmp", NULL, 0), 0);
}
END_TEST

/* ---- abort ---- */

START_TEST(test_abort_leaves_nothing)
{
        create_users((const char *const[]){ "alice" }, 1);
        struct maildir_delivery *d = maildir_delivery_begin(temp_root, "alice");
        ck_assert_ptr_nonnull(d);
        ck_assert_uint_eq(count_files("alice", "tmp", NULL, 0), 1);
        ck_assert_int_eq(maildir_delivery_write(d, "half a mess", 11), MAILDIR_OK);
        maildir_delivery_abort(d);
        ck_assert_uint_eq(count_files("alice", "tmp", NULL, 0), 0);
        ck_assert_uint_eq(count_files("alice", "new", NULL, 0), 0);
        maildir_delivery_abort(NULL);
}
END_TEST

/* ---- failures: all or nothing ---- */

enum broken_kind {
        BROKEN_FILE_INSTEAD_OF_MAILDIR,   /* <root>/<user> is a regular file */
        BROKEN_MISSING_NEW,               /* <root>/<user>/new does not exist */
        BROKEN_NEW_IS_FILE,               /* <root>/<user>/new is a regular file */
        BROKEN_NO_MAILDIR,                /* <root>/<user> does not exist */
};

struct broken_case {
        enum broken_kind kind;
        size_t position;                  /* where the broken user is in the list */
        int expected_errno;
};

static const struct broken_case broken_cases[] = {
        { BROKEN_FILE_INSTEAD_OF_MAILDIR, 2, ENOTDIR },
        { BROKEN_FILE_INSTEAD_OF_MAILDIR, 1, ENOTDIR },
        { BROKEN_MISSING_NEW, 2, ENOENT },
        { BROKEN_NEW_IS_FILE, 2, ENOTDIR },
        { BROKEN_NO_MAILDIR, 2, ENOENT },
        { BROKEN_NO_MAILDIR, 1, ENOENT },
};

static void touch(const char *path)
{
        int fd = open(path, O_CREAT | O_WRONLY, 0600);
        ck_assert_int_ge(fd, 0);
        close(fd);
}

START_TEST(test_failed_link_takes_back_every_copy)
{
        const struct broken_case *row = &broken_cases[_i];
        const char *users[3] = { "alice", "bob", "carol" };
        char path[512];

        users[row->position] = "broken";
        create_users((const char *const[]){ "alice", "bob", "carol" }, 3);
        snprintf(path, sizeof(path), "%s/broken", temp_root);
        switch (row->kind) {
        case BROKEN_FILE_INSTEAD_OF_MAILDIR:
                touch(path);
                break;
        case BROKEN_MISSING_NEW:
                ck_assert_int_eq(maildir_create(temp_root, "broken"), 0);
                snprintf(path, sizeof(path), "%s/broken/new", temp_root);
                ck_assert_int_eq(rmdir(path), 0);
                break;
        case BROKEN_NEW_IS_FILE:
                ck_assert_int_eq(maildir_create(temp_root, "broken"), 0);
                snprintf(path, sizeof(path), "%s/broken/new", temp_root);
                ck_assert_int_eq(rmdir(path), 0);
                touch(path);
                break;
        case BROKEN_NO_MAILDIR:
                break;
        }

        struct maildir_delivery *d = maildir_delivery_begin(temp_root, "alice");
        ck_assert_ptr_nonnull(d);
        ck_assert_int_eq(maildir_delivery_write(d, "m\n", 2), MAILDIR_OK);
        ck_assert_int_eq(maildir_delivery_commit(d, users, 3, NULL, 0), MAILDIR_ERR_IO);
        ck_assert_int_eq(errno, row->expected_errno);

        static const char *const healthy[] = { "alice", "bob", "carol" };
        for (size_t i = 0; i < 3; i++) {
                ck_assert_msg(count_files(healthy[i], "new", NULL, 0) == 0,
                              "a copy was left in %s/new", healthy[i]);
                ck_assert_uint_eq(count_files(healthy[i], "tmp", NULL, 0), 0);
        }
}
END_TEST

START_TEST(test_invalid_recipient_refused_without_trace)
{
        static const char *const users[] = { "alice", "../alice" };

        create_users(users, 1);
        struct maildir_delivery *d = maildir_delivery_begin(temp_root, "alice");
        ck_assert_ptr_nonnull(d);
        ck_assert_int_eq(maildir_delivery_write(d, "m\n", 2), MAILDIR_OK);
        ck_assert_int_eq(maildir_delivery_commit(d, users, 2, NULL, 0), MAILDIR_ERR_IO);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_uint_eq(count_files("alice", "new", NULL, 0), 0);
        ck_assert_uint_eq(count_files("alice", "tmp", NULL, 0), 0);

        d = maildir_delivery_begin(temp_root, "alice");
        ck_assert_ptr_nonnull(d);
        ck_assert_int_eq(maildir_delivery_commit(d, users, 0, NULL, 0), MAILDIR_ERR_IO);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_uint_eq(count_files("alice", "tmp", NULL, 0), 0);
}
END_TEST

START_TEST(test_begin_refuses_bad_user_and_missing_tmp)
{
        errno = 0;
        ck_assert_ptr_null(maildir_delivery_begin(temp_root, "../etc"));
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_ptr_null(maildir_delivery_begin(temp_root, ".x"));
        ck_assert_int_eq(errno, EINVAL);
        /* Callers create the Maildir first; begin() does not. */
        ck_assert_ptr_null(maildir_delivery_begin(temp_root, "nobody"));
        ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* RLIMIT_FSIZE makes write() fail with EFBIG once the file reaches the
 * limit (SIGXFSZ ignored, or it would kill the process): the same path as a
 * full disk. The child reports both results in its exit status. */
START_TEST(test_file_too_big_is_temporary_and_leaves_nothing)
{
        static const char *const users[] = { "alice", "bob" };
        create_users(users, 2);

        pid_t child = fork();
        ck_assert_int_ge(child, 0);
        if (child == 0) {
                struct rlimit limit = { .rlim_cur = 4096, .rlim_max = RLIM_INFINITY };
                char chunk[1000];
                enum maildir_result write_result = MAILDIR_OK;

                signal(SIGXFSZ, SIG_IGN);
                if (setrlimit(RLIMIT_FSIZE, &limit) != 0)
                        _exit(100);
                memset(chunk, 'y', sizeof(chunk));
                chunk[sizeof(chunk) - 1] = '\n';
                struct maildir_delivery *d = maildir_delivery_begin(temp_root, "alice");
                if (d == NULL)
                        _exit(101);
                for (int i = 0; i < 64 && write_result == MAILDIR_OK; i++)
                        write_result = maildir_delivery_write(d, chunk, sizeof(chunk));
                if (write_result != MAILDIR_OK && errno != EFBIG)
                        _exit(102);
                enum maildir_result commit_result =
                        maildir_delivery_commit(d, users, 2, NULL, 0);
                if (commit_result != MAILDIR_OK && errno != EFBIG)
                        _exit(103);
                _exit((int)write_result * 10 + (int)commit_result);
        }
        int status;
        ck_assert_int_eq(waitpid(child, &status, 0), child);
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), MAILDIR_ERR_TEMP * 10 + MAILDIR_ERR_TEMP);
        for (size_t i = 0; i < 2; i++) {
                ck_assert_uint_eq(count_files(users[i], "new", NULL, 0), 0);
                ck_assert_uint_eq(count_files(users[i], "tmp", NULL, 0), 0);
        }
}
END_TEST

/* ---- many deliveries at once ---- */

#define DELIVERY_THREADS 8
#define DELIVERIES_PER_THREAD 200

struct delivery_worker {
        int number;
        int failures;
};

static void *deliver_many(void *argument)
{
        struct delivery_worker *worker = argument;
        static const char *const users[] = { "alice", "bob" };
        char body[64];

        for (int i = 0; i < DELIVERIES_PER_THREAD; i++) {
                int length = snprintf(body, sizeof(body), "thread %d message %d\n",
                                      worker->number, i);
                struct maildir_delivery *d = maildir_delivery_begin(temp_root, "alice");
                if (d == NULL ||
                    maildir_delivery_write(d, body, (size_t)length) != MAILDIR_OK ||
                    maildir_delivery_commit(d, users, 2, NULL, 0) != MAILDIR_OK)
                        worker->failures++;
        }
        return NULL;
}

START_TEST(test_concurrent_deliveries_lose_nothing)
{
        enum { TOTAL = DELIVERY_THREADS * DELIVERIES_PER_THREAD };
        static const char *const users[] = { "alice", "bob" };
        pthread_t threads[DELIVERY_THREADS];
        struct delivery_worker workers[DELIVERY_THREADS];
        static bool seen[DELIVERY_THREADS][DELIVERIES_PER_THREAD];

        create_users(users, 2);
        for (int t = 0; t < DELIVERY_THREADS; t++) {
                workers[t] = (struct delivery_worker){ .number = t };
                ck_assert_int_eq(pthread_create(&threads[t], NULL, deliver_many, &workers[t]),
                                 0);
        }
        for (int t = 0; t < DELIVERY_THREADS; t++) {
                pthread_join(threads[t], NULL);
                ck_assert_int_eq(workers[t].failures, 0);
        }

        for (size_t u = 0; u < 2; u++) {
                char path[512];
                memset(seen, 0, sizeof(seen));
                ck_assert_uint_eq(count_files(users[u], "new", NULL, 0), TOTAL);
                ck_assert_uint_eq(count_files(users[u], "tmp", NULL, 0), 0);
                snprintf(path, sizeof(path), "%s/%s/new", temp_root, users[u]);
                DIR *directory = opendir(path);
                ck_assert_ptr_nonnull(directory);
                struct dirent *item;
                while ((item = readdir(directory)) != NULL) {
                        if (item->d_name[0] == '.')
                                continue;
                        char file[1024];
                        snprintf(file, sizeof(file), "%s/%s", path, item->d_name);
                        size_t length;
                        char *data = read_whole(file, &length);
                        int thread;
                        int message;
                        ck_assert_int_eq(sscanf(data, "thread %d message %d", &thread,
                                                &message), 2);
                        ck_assert(thread >= 0 && thread < DELIVERY_THREADS);
                        ck_assert(message >= 0 && message < DELIVERIES_PER_THREAD);
                        ck_assert_msg(!seen[thread][message], "delivered twice");
                        seen[thread][message] = true;
                        free(data);
                }
                closedir(directory);
                /* TOTAL distinct files, each a distinct message: none lost. */
        }
}
END_TEST

/* The one directory fsync of maildir/ (delivery, UPDATE, new Maildirs): a
 * directory syncs; what is not a directory is reported, not ignored. */
START_TEST(test_sync_directory_reports_what_is_not_a_directory)
{
        char path[128];

        ck_assert_int_eq(maildir_sync_directory(temp_root), 0);
        snprintf(path, sizeof(path), "%s/missing", temp_root);
        errno = 0;
        ck_assert_int_eq(maildir_sync_directory(path), -1);
        ck_assert_int_eq(errno, ENOENT);
        snprintf(path, sizeof(path), "%s/file", temp_root);
        FILE *file = fopen(path, "w");
        ck_assert_ptr_nonnull(file);
        fclose(file);
        errno = 0;
        ck_assert_int_eq(maildir_sync_directory(path), -1);
        ck_assert_int_eq(errno, ENOTDIR);
}
END_TEST

Suite *maildir_deliver_suite(void)
{
        Suite *suite = suite_create("maildir_deliver");
        int message_count = (int)(sizeof(message_cases) / sizeof(message_cases[0]));

        TCase *bytes = tcase_create("bytes");
        tcase_add_checked_fixture(bytes, temp_setup, temp_teardown);
        tcase_set_timeout(bytes, 60);
        tcase_add_loop_test(bytes, test_delivered_bytes_and_sizes_whole, 0, message_count);
        tcase_add_loop_test(bytes, test_delivered_bytes_and_sizes_byte_at_a_time, 0,
                            message_count);
        tcase_add_test(bytes, test_large_message_name_stays_a_uidl);
        suite_add_tcase(suite, bytes);

        TCase *recipients = tcase_create("recipients");
        tcase_add_checked_fixture(recipients, temp_setup, temp_teardown);
        tcase_set_timeout(recipients, 60);
        tcase_add_test(recipients, test_one_message_three_users_hard_linked);
        tcase_add_test(recipients, test_duplicate_recipient_gets_one_copy);
        tcase_add_test(recipients, test_other_file_system_gets_a_copy);
        tcase_add_test(recipients, test_abort_leaves_nothing);
        suite_add_tcase(suite, recipients);

        TCase *failures = tcase_create("failures");
        tcase_add_checked_fixture(failures, temp_setup, temp_teardown);
        tcase_set_timeout(failures, 60);
        tcase_add_loop_test(failures, test_failed_link_takes_back_every_copy, 0,
                            (int)(sizeof(broken_cases) / sizeof(broken_cases[0])));
        tcase_add_test(failures, test_invalid_recipient_refused_without_trace);
        tcase_add_test(failures, test_begin_refuses_bad_user_and_missing_tmp);
        tcase_add_test(failures, test_file_too_big_is_temporary_and_leaves_nothing);
        tcase_add_test(failures, test_sync_directory_reports_what_is_not_a_directory);
        suite_add_tcase(suite, failures);

        TCase *concurrency = tcase_create("concurrency");
        tcase_add_checked_fixture(concurrency, temp_setup, temp_teardown);
        tcase_set_timeout(concurrency, 300);
        tcase_add_test(concurrency, test_concurrent_deliveries_lose_nothing);
        suite_add_tcase(suite, concurrency);
        return suite;
}
