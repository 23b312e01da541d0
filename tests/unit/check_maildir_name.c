/* SPDX-License-Identifier: MIT
 *
 * check_maildir_name.c - unit tests for maildir/name.c and maildir/user.c.
 *
 * A table of file names (ours, other programs', junk) through the parser;
 * unique names checked for the UIDL alphabet and length of RFC 1939 §7 and
 * for uniqueness across threads; the user-name whitelist that stands
 * between a network string and a path; maildir_create().
 *
 * Standards:  RFC 1939 §7
 * Threads:    Check's fork mode; one process per test. The uniqueness test
 *             starts 8 threads of its own.
 * Read next:  maildir/name.c, maildir/user.c.
 */
#ifdef __linux__
#define _GNU_SOURCE     /* unshare(CLONE_NEWUTS), to test odd host names */
#endif
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sched.h>
#endif

#include "maildir/maildir.h"
#include "tests/support/harness.h"

/* ---- temporary directories ---- */

static char temp_root[64];

static void temp_setup(void)
{
        snprintf(temp_root, sizeof(temp_root), "/tmp/check_maildir_name.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(temp_root));
}

static void temp_teardown(void)
{
        harness_remove_tree(temp_root);
}

/* ---- maildir_name_parse ---- */

struct parse_case {
        const char *filename;
        bool ok;
        const char *unique;
        bool has_size;
        uint64_t size;
        bool has_wire_size;
        uint64_t wire_size;
        const char *flags;
        time_t seconds;
};

static const struct parse_case parse_cases[] = {
        /* Ours, in new/ and in cur/. */
        { .filename = "1700000000.M123456P42Q7.mail.example,S=120,W=125", .ok = true,
          .unique = "1700000000.M123456P42Q7.mail.example,S=120,W=125",
          .has_size = true, .size = 120, .has_wire_size = true, .wire_size = 125,
          .flags = "", .seconds = 1700000000 },
        { .filename = "1700000000.M123456P42Q7.mail.example,S=120,W=125:2,S", .ok = true,
          .unique = "1700000000.M123456P42Q7.mail.example,S=120,W=125",
          .has_size = true, .size = 120, .has_wire_size = true, .wire_size = 125,
          .flags = "S", .seconds = 1700000000 },
        { .filename = "1700000001.M1P2Q3.h,S=0,W=0:2,FS", .ok = true,
          .unique = "1700000001.M1P2Q3.h,S=0,W=0", .has_size = true, .size = 0,
          .has_wire_size = true, .wire_size = 0, .flags = "FS", .seconds = 1700000001 },
        /* Escaped host characters are part of the unique name. */
        { .filename = "5.M0P1Q0.a\\057b\\072c,S=1,W=3", .ok = true,
          .unique = "5.M0P1Q0.a\\057b\\072c,S=1,W=3", .has_size = true, .size = 1,
          .has_wire_size = true, .wire_size = 3, .flags = "", .seconds = 5 },
        /* Other writers: qmail (no sizes), Dovecot (S only, W before S). */
        { .filename = "1234567890.12345.host.example", .ok = true,
          .unique = "1234567890.12345.host.example", .flags = "", .seconds = 1234567890 },
        { .filename = "1234567890.M1P2.host,S=300:2,RS", .ok = true,
          .unique = "1234567890.M1P2.host,S=300", .has_size = true, .size = 300,
          .flags = "RS", .seconds = 1234567890 },
        { .filename = "1234567890.M1P2.host,W=310,S=300:2,", .ok = true,
          .unique = "1234567890.M1P2.host,W=310,S=300", .has_size = true, .size = 300,
          .has_wire_size = true, .wire_size = 310, .flags = "", .seconds = 1234567890 },
        { .filename = "1234567890.M1P2.host,X=1,S=4", .ok = true,
          .unique = "1234567890.M1P2.host,X=1,S=4", .has_size = true, .size = 4,
          .flags = "", .seconds = 1234567890 },
        /* Experimental info ":1," carries no flags we understand. */
        { .filename = "1234567890.x.host:1,abc", .ok = true, .unique = "1234567890.x.host",
          .flags = "", .seconds = 1234567890 },
        /* Malformed sizes are "absent", never a wrong number. */
        { .filename = "1.M1P1Q1.h,S=12x,W=5", .ok = true, .unique = "1.M1P1Q1.h,S=12x,W=5",
          .has_wire_size = true, .wire_size = 5, .flags = "", .seconds = 1 },
        { .filename = "1.M1P1Q1.h,S=,W=-5", .ok = true, .unique = "1.M1P1Q1.h,S=,W=-5",
          .flags = "", .seconds = 1 },
        { .filename = "1.h,S=99999999999999999999999", .ok = true,
          .unique = "1.h,S=99999999999999999999999", .flags = "", .seconds = 1 },
        /* A ',' after ':' is not a size field. */
        { .filename = "1.h:2,S,S=7", .ok = true, .unique = "1.h", .flags = "S,S=7",
          .seconds = 1 },
        /* Junk names still parse, with no time: they sort first. */
        { .filename = "notes", .ok = true, .unique = "notes", .flags = "", .seconds = 0 },
        { .filename = "abc.def", .ok = true, .unique = "abc.def", .flags = "", .seconds = 0 },
        { .filename = "12a.x", .ok = true, .unique = "12a.x", .flags = "", .seconds = 0 },
        /* Not messages at all. */
        { .filename = "", .ok = false },
        { .filename = ".", .ok = false },
        { .filename = "..", .ok = false },
        { .filename = ".hidden,S=3", .ok = false },
        { .filename = ".pop3.lock", .ok = false },
        { .filename = ":2,S", .ok = false },
        { .filename = "a/b", .ok = false },
};

START_TEST(test_name_parse_table)
{
        const struct parse_case *row = &parse_cases[_i];
        struct maildir_name name;

        bool ok = maildir_name_parse(row->filename, &name);
        ck_assert_msg(ok == row->ok, "\"%s\": expected %s", row->filename,
                      row->ok ? "a message" : "not a message");
        if (!ok)
                return;
        ck_assert_str_eq(name.unique, row->unique);
        ck_assert_int_eq(name.has_size, row->has_size);
        if (row->has_size)
                ck_assert_uint_eq(name.size, row->size);
        ck_assert_int_eq(name.has_wire_size, row->has_wire_size);
        if (row->has_wire_size)
                ck_assert_uint_eq(name.wire_size, row->wire_size);
        ck_assert_str_eq(name.flags, row->flags);
        ck_assert_int_eq((long long)name.seconds, (long long)row->seconds);
}
END_TEST

START_TEST(test_name_parse_length_limit)
{
        char name[MAILDIR_NAME_MAX + 2];
        struct maildir_name parsed;

        memset(name, 'a', sizeof(name) - 1);
        name[0] = '1';
        name[1] = '.';
        name[MAILDIR_NAME_MAX] = '\0';          /* 255 octets: the longest file name */
        ck_assert(maildir_name_parse(name, &parsed));
        ck_assert_uint_eq(strlen(parsed.unique), MAILDIR_NAME_MAX);
        name[MAILDIR_NAME_MAX] = 'a';
        name[MAILDIR_NAME_MAX + 1] = '\0';      /* 256: cannot be a file name */
        ck_assert(!maildir_name_parse(name, &parsed));
}
END_TEST

/* Every prefix of a name parses without reading past its end (run under
 * ASan this is the byte-at-a-time test of a parser that takes whole names). */
START_TEST(test_name_parse_every_prefix)
{
        const char *full = "1700000000.M123456P42Q7.host,S=120,W=125:2,FS";
        char prefix[128];
        struct maildir_name name;

        for (size_t length = 1; length <= strlen(full); length++) {
                memcpy(prefix, full, length);
                prefix[length] = '\0';
                ck_assert_msg(maildir_name_parse(prefix, &name), "prefix %zu", length);
                ck_assert(strncmp(name.unique, full, strlen(name.unique)) == 0);
        }
}
END_TEST

/* ---- maildir_unique_name ---- */

/* RFC 1939 §7: 1 to 70 characters in 0x21..0x7E. */
static void assert_valid_uidl(const char *unique)
{
        size_t length = strlen(unique);
        ck_assert_msg(length >= 1 && length <= 70, "\"%s\" has length %zu", unique, length);
        for (size_t i = 0; i < length; i++) {
                unsigned char c = (unsigned char)unique[i];
                ck_assert_msg(c >= 0x21 && c <= 0x7e, "byte 0x%02x in \"%s\"", c, unique);
                ck_assert_msg(c != '/' && c != ':' && c != ',', "'%c' in \"%s\"", c, unique);
        }
}

START_TEST(test_unique_name_shape)
{
        char unique[MAILDIR_NAME_MAX + 1];
        char expected_pid[32];
        struct maildir_name name;

        ck_assert_int_eq(maildir_unique_name(unique, sizeof(unique)), 0);
        assert_valid_uidl(unique);
        ck_assert(maildir_name_parse(unique, &name));
        ck_assert_str_eq(name.unique, unique);
        ck_assert(name.seconds > 1000000000);
        ck_assert(!name.has_size && !name.has_wire_size);
        snprintf(expected_pid, sizeof(expected_pid), "P%ldQ", (long)getpid());
        ck_assert_ptr_nonnull(strstr(unique, expected_pid));
        ck_assert_ptr_nonnull(strstr(unique, ".M"));
        /* Too small an output buffer is an error, not a truncated name. */
        ck_assert_int_eq(maildir_unique_name(unique, 8), -1);
        ck_assert_int_eq(errno, ERANGE);
}
END_TEST

#define UNIQUE_THREADS 8
#define UNIQUE_PER_THREAD 1000

struct unique_slice {
        char (*names)[MAILDIR_NAME_MAX + 1];
        int failures;
};

static void *make_names(void *argument)
{
        struct unique_slice *slice = argument;
        for (int i = 0; i < UNIQUE_PER_THREAD; i++) {
                if (maildir_unique_name(slice->names[i], sizeof(slice->names[i])) != 0)
                        slice->failures++;
        }
        return NULL;
}

static int compare_names(const void *left, const void *right)
{
        return strcmp(left, right);
}

START_TEST(test_unique_name_no_duplicates_across_threads)
{
        static char names[UNIQUE_THREADS * UNIQUE_PER_THREAD][MAILDIR_NAME_MAX + 1];
        pthread_t threads[UNIQUE_THREADS];
        struct unique_slice slices[UNIQUE_THREADS];

        for (int t = 0; t < UNIQUE_THREADS; t++) {
                slices[t].names = &names[t * UNIQUE_PER_THREAD];
                slices[t].failures = 0;
                ck_assert_int_eq(pthread_create(&threads[t], NULL, make_names, &slices[t]), 0);
        }
        for (int t = 0; t < UNIQUE_THREADS; t++) {
                pthread_join(threads[t], NULL);
                ck_assert_int_eq(slices[t].failures, 0);
        }
        size_t count = UNIQUE_THREADS * UNIQUE_PER_THREAD;
        qsort(names, count, sizeof(names[0]), compare_names);
        for (size_t i = 1; i < count; i++)
                ck_assert_msg(strcmp(names[i - 1], names[i]) != 0, "duplicate %s", names[i]);
}
END_TEST

#ifdef __linux__
struct host_case {
        const char *host;
        const char *expected_suffix;    /* the host part as it must appear */
};

static const struct host_case host_cases[] = {
        { "mail.example", ".mail.example" },
        { "a/b:c,d", ".a\\057b\\072c\\054d" },
        { "sp ace\x7f\x01x", ".spacex" },
        /* 64 slashes (the longest host name Linux allows): cut at 70 octets
         * in all, and only between escapes. */
        { "////////////////////////////////////////////////////////////////", NULL },
};

/* A private UTS namespace lets the test give the process any host name
 * without touching the machine's. Without the privilege the row passes
 * vacuously (said on stderr). */
START_TEST(test_unique_name_host_escaping)
{
        const struct host_case *row = &host_cases[_i];
        char unique[MAILDIR_NAME_MAX + 1];

        if (unshare(CLONE_NEWUTS) != 0 || sethostname(row->host, strlen(row->host)) != 0) {
                fprintf(stderr, "test_unique_name_host_escaping: no UTS namespace, skipped\n");
                return;
        }
        ck_assert_int_eq(maildir_unique_name(unique, sizeof(unique)), 0);
        assert_valid_uidl(unique);
        if (row->expected_suffix != NULL) {
                size_t length = strlen(unique);
                size_t suffix_length = strlen(row->expected_suffix);
                ck_assert_uint_ge(length, suffix_length);
                ck_assert_str_eq(unique + length - suffix_length, row->expected_suffix);
        } else {
                const char *host = strchr(strchr(unique, '.') + 1, '.') + 1;
                ck_assert_uint_eq(strlen(unique), 70 - (70 - (size_t)(host - unique)) % 4);
                ck_assert_uint_eq(strlen(host) % 4, 0);
                for (size_t i = 0; host[i] != '\0'; i += 4)
                        ck_assert(strncmp(host + i, "\\057", 4) == 0);
        }
}
END_TEST
#endif

/* ---- maildir_user_valid ---- */

struct user_case {
        const char *name;
        bool valid;
};

static const struct user_case user_cases[] = {
        { "ok.name_1", true },
        { "student", true },
        { "A-b.C_d9", true },
        { "x", true },
        { "../x", false },
        { "..", false },
        { ".", false },
        { "a/b", false },
        { "/etc", false },
        { ".hidden", false },
        { "-x", false },
        { "", false },
        { "a b", false },
        { "a\nb", false },
        { "caf\xc3\xa9", false },
        { "a:b", false },
        { "a\\b", false },
        { "a%2fb", false },
        { "1234567890123456789012345678901234567890123456789012345678901234", true },
        { "12345678901234567890123456789012345678901234567890123456789012345", false },
};

START_TEST(test_path_traversal_user_names)
{
        const struct user_case *row = &user_cases[_i];
        ck_assert_msg(maildir_user_valid(row->name) == row->valid, "\"%s\": expected %s",
                      row->name, row->valid ? "valid" : "invalid");
}
END_TEST

START_TEST(test_user_valid_null)
{
        ck_assert(!maildir_user_valid(NULL));
}
END_TEST

/* ---- maildir_create ---- */

static void assert_directory_0700(const char *path)
{
        struct stat st;
        ck_assert_msg(stat(path, &st) == 0, "%s: %s", path, strerror(errno));
        ck_assert(S_ISDIR(st.st_mode));
        ck_assert_int_eq(st.st_mode & 0777, 0700);
}

START_TEST(test_create_makes_tree_and_is_idempotent)
{
        char root[256];
        char path[512];
        static const char *const parts[] = { "", "/tmp", "/new", "/cur" };

        snprintf(root, sizeof(root), "%s/var/mail", temp_root);
        ck_assert_int_eq(maildir_create(root, "alice"), 0);
        assert_directory_0700(root);
        for (size_t i = 0; i < 4; i++) {
                snprintf(path, sizeof(path), "%s/alice%s", root, parts[i]);
                assert_directory_0700(path);
        }
        /* Existing Maildir: fine, and nothing else changes. */
        ck_assert_int_eq(maildir_create(root, "alice"), 0);
        ck_assert_int_eq(maildir_create(root, "bob"), 0);
}
END_TEST

START_TEST(test_create_refuses_bad_names_and_files)
{
        char path[512];

        ck_assert_int_eq(maildir_create(temp_root, "../escape"), -1);
        ck_assert_int_eq(errno, EINVAL);
        snprintf(path, sizeof(path), "%s/../escape", temp_root);
        struct stat st;
        ck_assert_int_ne(stat(path, &st), 0);

        /* A file where the Maildir should be. */
        snprintf(path, sizeof(path), "%s/carol", temp_root);
        FILE *file = fopen(path, "w");
        ck_assert_ptr_nonnull(file);
        fclose(file);
        ck_assert_int_eq(maildir_create(temp_root, "carol"), -1);
        ck_assert_int_eq(errno, ENOTDIR);

        /* A file where new/ should be. */
        ck_assert_int_eq(maildir_create(temp_root, "dave"), 0);
        snprintf(path, sizeof(path), "%s/dave/new", temp_root);
        ck_assert_int_eq(rmdir(path), 0);
        file = fopen(path, "w");
        ck_assert_ptr_nonnull(file);
        fclose(file);
        ck_assert_int_eq(maildir_create(temp_root, "dave"), -1);
        ck_assert_int_eq(errno, ENOTDIR);
}
END_TEST

Suite *maildir_name_suite(void)
{
        Suite *suite = suite_create("maildir_name");

        TCase *parse = tcase_create("parse");
        tcase_add_loop_test(parse, test_name_parse_table, 0,
                            (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
        tcase_add_test(parse, test_name_parse_length_limit);
        tcase_add_test(parse, test_name_parse_every_prefix);
        suite_add_tcase(suite, parse);

        TCase *unique = tcase_create("unique");
        tcase_set_timeout(unique, 60);
        tcase_add_test(unique, test_unique_name_shape);
        tcase_add_test(unique, test_unique_name_no_duplicates_across_threads);
#ifdef __linux__
        tcase_add_loop_test(unique, test_unique_name_host_escaping, 0,
                            (int)(sizeof(host_cases) / sizeof(host_cases[0])));
#endif
        suite_add_tcase(suite, unique);

        TCase *user = tcase_create("user");
        tcase_add_checked_fixture(user, temp_setup, temp_teardown);
        tcase_add_loop_test(user, test_path_traversal_user_names, 0,
                            (int)(sizeof(user_cases) / sizeof(user_cases[0])));
        tcase_add_test(user, test_user_valid_null);
        tcase_add_test(user, test_create_makes_tree_and_is_idempotent);
        tcase_add_test(user, test_create_refuses_bad_names_and_files);
        suite_add_tcase(suite, user);
        return suite;
}
