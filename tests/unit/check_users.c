/* SPDX-License-Identifier: MIT
 *
 * check_users.c - common/users: the file parsers (a table of bad lines, each
 * with its FILE:LINE), both password schemes, unknown users, reloads,
 * alias resolution (postmaster, lists, nesting, loops, refused targets),
 * users_file_set(), and password checks racing 50 reloads (for TSan).
 */
#include <check.h>
#include <crypt.h>
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/users.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static char dir[64];
static char users_path[128];
static char aliases_path[128];

static void setup(void)
{
        strcpy(dir, "/tmp/check_users.XX" "XXXX");     /* mkdtemp template */
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(users_path, sizeof users_path, "%s/users", dir);
        snprintf(aliases_path, sizeof aliases_path, "%s/aliases", dir);
}

static void teardown(void)
{
        users_shutdown();
        DIR *d = opendir(dir);
        if (d == NULL)
                return;
        struct dirent *e;
        char path[512];
        while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                unlink(path);
        }
        closedir(d);
        rmdir(dir);
}

static void write_file(const char *path, const char *content)
{
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(content, f);
        ck_assert_int_eq(fclose(f), 0);
}

/* A fast SHA-512 crypt hash (1000 rounds) so that tests stay quick. */
static void hash_of(const char *password, char *hash, size_t size)
{
        struct crypt_data *data = calloc(1, sizeof *data);
        ck_assert_ptr_nonnull(data);
        const char *h = crypt_r(password, "$6$rounds=1000$testsalt", data);
        ck_assert_ptr_nonnull(h);
        ck_assert_uint_lt(strlen(h), size);
        strcpy(hash, h);
        free(data);
}

static void init_ok(const char *users, const char *aliases)
{
        char err[256] = "";
        write_file(users_path, users);
        if (aliases != NULL)
                write_file(aliases_path, aliases);
        ck_assert_msg(users_init(users_path, aliases_path, err, sizeof err) == 0, "%s", err);
}

/* ---- parsers --------------------------------------------------------------- */

static const struct {
        const char *users;
        const char *aliases;            /* NULL: no aliases file */
        const char *where;              /* "users:3" or "aliases:1" */
        const char *reason;             /* a piece of the message */
} bad_files[] = {
        { "alice\n", NULL, "users:1:", "missing ':'" },
        { "alice:{MD5}abc\n", NULL, "users:1:", "unknown scheme" },
        { "alice:{plain}abc\n", NULL, "users:1:", "unknown scheme" },
        { "alice:secret\n", NULL, "users:1:", "unknown scheme" },
        { "# comment\n\n.alice:{PLAIN}x\n", NULL, "users:3:", "invalid user name" },
        { "-bob:{PLAIN}x\n", NULL, "users:1:", "invalid user name" },
        { "a/b:{PLAIN}x\n", NULL, "users:1:", "invalid user name" },
        { "..:{PLAIN}x\n", NULL, "users:1:", "invalid user name" },
        { ":{PLAIN}x\n", NULL, "users:1:", "invalid user name" },
        { "al ice:{PLAIN}x\n", NULL, "users:1:", "invalid user name" },
        { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:{PLAIN}x\n",
          NULL, "users:1:", "invalid user name" },
        { "alice:{PLAIN}\n", NULL, "users:1:", "secret must be" },
        { "alice:{CRYPT}\n", NULL, "users:1:", "secret must be" },
        { "alice:{PLAIN}a\nbob:{PLAIN}b\nalice:{PLAIN}c\n", NULL, "users:3:",
          "duplicate user 'alice' (also on line 1)" },
        { "alice:{PLAIN}a\n", "postmaster alice\n", "aliases:1:", "missing ':'" },
        { "alice:{PLAIN}a\n", "# x\nlist: alice, |/usr/bin/prog\n", "aliases:2:",
          "not supported" },
        { "alice:{PLAIN}a\n", "list: /var/mail/spool\n", "aliases:1:", "not supported" },
        { "alice:{PLAIN}a\n", "list: :include:/etc/list\n", "aliases:1:", "not supported" },
        { "alice:{PLAIN}a\n", "list: alice,, bob\n", "aliases:1:", "empty alias target" },
        { "alice:{PLAIN}a\n", "list:\n", "aliases:1:", "empty alias target" },
        { "alice:{PLAIN}a\n", "list: ../etc\n", "aliases:1:", "not a local user" },
        { "alice:{PLAIN}a\n", "list: al ice\n", "aliases:1:", "not a local user" },
        { "alice:{PLAIN}a\n", "a/b: alice\n", "aliases:1:", "invalid alias name" },
        { "alice:{PLAIN}a\n", "List: alice\nx: alice\nlist: alice\n", "aliases:3:",
          "duplicate alias" },
};

START_TEST(test_users_bad_lines_refused_with_file_and_line)
{
        char err[256] = "";
        char expected[160];
        write_file(users_path, bad_files[_i].users);
        if (bad_files[_i].aliases != NULL)
                write_file(aliases_path, bad_files[_i].aliases);
        ck_assert_int_eq(users_init(users_path, aliases_path, err, sizeof err), -1);
        snprintf(expected, sizeof expected, "%s/%s", dir, bad_files[_i].where);
        ck_assert_msg(strstr(err, expected) == err, "row %d: \"%s\" lacks \"%s\"", _i, err,
                      expected);
        ck_assert_msg(strstr(err, bad_files[_i].reason) != NULL, "row %d: \"%s\" lacks \"%s\"",
                      _i, err, bad_files[_i].reason);
        ck_assert(!users_exists("alice"));
}
END_TEST

START_TEST(test_users_missing_users_file_is_an_error)
{
        char err[256] = "";
        ck_assert_int_eq(users_init(users_path, aliases_path, err, sizeof err), -1);
        ck_assert_ptr_nonnull(strstr(err, users_path));
}
END_TEST

START_TEST(test_users_comments_blank_lines_and_crlf)
{
        /* A missing aliases file is allowed (no aliases). */
        init_ok("# the users\n\n   \n\t# indented comment\nalice:{PLAIN}one\r\n"
                "bob:{PLAIN}two two\n", NULL);
        ck_assert(users_exists("alice"));
        ck_assert(users_exists("bob"));
        ck_assert(!users_exists("Alice"));      /* user names are case-sensitive */
        ck_assert(!users_exists("carol"));
        ck_assert(users_check_password("alice", "one"));        /* CR is not part of it */
        ck_assert(users_check_password("bob", "two two"));      /* spaces are */
}
END_TEST

/* ---- passwords -------------------------------------------------------------- */

START_TEST(test_users_both_schemes)
{
        char hash[256], content[512];
        hash_of("wonderland", hash, sizeof hash);
        snprintf(content, sizeof content, "alice:{CRYPT}%s\ntim:{PLAIN}tanstaaftanstaaf\n", hash);
        init_ok(content, NULL);
        ck_assert(users_check_password("alice", "wonderland"));
        ck_assert(!users_check_password("alice", "Wonderland"));
        ck_assert(!users_check_password("alice", ""));
        ck_assert(!users_check_password("alice", hash));        /* the hash is not the password */
        ck_assert(users_check_password("tim", "tanstaaftanstaaf"));
        ck_assert(!users_check_password("tim", "tanstaaf"));    /* a prefix */
        ck_assert(!users_check_password("tim", "tanstaaftanstaafx"));
        ck_assert(!users_check_password("tim", ""));
}
END_TEST

START_TEST(test_users_unknown_user_is_false)
{
        init_ok("tim:{PLAIN}secret\n", NULL);
        ck_assert(!users_check_password("nobody", "secret"));
        ck_assert(!users_check_password("", "secret"));
        ck_assert(!users_check_password("TIM", "secret"));
        ck_assert(!users_check_password("tim/../tim", "secret"));
}
END_TEST

START_TEST(test_users_plain_secret_only_for_plain_users)
{
        char hash[256], content[512], secret[64];
        hash_of("wonderland", hash, sizeof hash);
        snprintf(content, sizeof content, "alice:{CRYPT}%s\ntim:{PLAIN}tanstaaftanstaaf\n", hash);
        init_ok(content, NULL);
        ck_assert(users_plain_secret("tim", secret, sizeof secret));
        ck_assert_str_eq(secret, "tanstaaftanstaaf");
        ck_assert(!users_plain_secret("alice", secret, sizeof secret));
        ck_assert(!users_plain_secret("nobody", secret, sizeof secret));
        ck_assert(!users_plain_secret("tim", secret, 8));       /* does not fit */
}
END_TEST

/* ---- reloads ------------------------------------------------------------------ */

START_TEST(test_users_reload_if_changed_picks_up_new_content)
{
        init_ok("alice:{PLAIN}one\n", NULL);
        ck_assert(!users_exists("bob"));
        users_reload_if_changed();              /* nothing changed: still the same */
        ck_assert(users_exists("alice"));

        write_file(users_path, "alice:{PLAIN}one\nbob:{PLAIN}two\n");
        users_reload_if_changed();
        ck_assert(users_exists("bob"));
        ck_assert(users_check_password("bob", "two"));

        /* A broken edit keeps the old tables. */
        write_file(users_path, "alice:{PLAIN}one\nbroken line\n");
        users_reload_if_changed();
        ck_assert(users_exists("bob"));

        /* Creating the aliases file counts as a change too. */
        write_file(users_path, "alice:{PLAIN}one\n");
        write_file(aliases_path, "postmaster: alice\n");
        users_reload_if_changed();
        ck_assert(!users_exists("bob"));
        char found[2][USER_NAME_MAX + 1];
        ck_assert_int_eq(users_resolve("postmaster", found, 2), 1);
}
END_TEST

START_TEST(test_users_reload_error_keeps_old_tables)
{
        char err[256] = "";
        init_ok("alice:{PLAIN}one\n", NULL);
        write_file(users_path, "alice:{PLAIN}one\nalice:{PLAIN}two\n");
        ck_assert_int_eq(users_reload(err, sizeof err), -1);
        ck_assert_ptr_nonnull(strstr(err, ":2: duplicate user"));
        ck_assert(users_check_password("alice", "one"));
        write_file(users_path, "alice:{PLAIN}three\n");
        ck_assert_int_eq(users_reload(err, sizeof err), 0);
        ck_assert(users_check_password("alice", "three"));
}
END_TEST

/* ---- aliases ------------------------------------------------------------------- */

static const char alias_users[] =
        "alice:{PLAIN}a\nbob:{PLAIN}b\ncarol:{PLAIN}c\ndave:{PLAIN}d\npostmaster:{PLAIN}p\n";
static const char alias_table[] =
        "# aliases\n"
        "team: alice, bob@example.test\n"
        "all: team, carol\n"
        "dup: alice, team, alice\n"
        "loop1: loop2\n"
        "loop2: loop1\n"
        "loopy: loop3, carol\n"
        "loop3: loopy\n"
        "dave: dave, carol\n"
        "ghost: nobody\n"
        "l1: l2\nl2: l3\nl3: l4\nl4: l5\nl5: l6\nl6: l7\nl7: l8\nl8: alice\n"
        "m1: m2\nm2: m3\nm3: m4\nm4: m5\nm5: m6\nm6: m7\nm7: m8\nm8: m9\nm9: alice\n";

static const struct {
        const char *local;
        int count;
        const char *users[3];
} resolve_cases[] = {
        { "alice", 1, { "alice" } },
        { "Alice", 0, { NULL } },               /* users are case-sensitive */
        { "nobody", 0, { NULL } },
        { "team", 2, { "alice", "bob" } },      /* a list of 2; "@domain" dropped */
        { "TEAM", 2, { "alice", "bob" } },      /* alias names ignore case */
        { "all", 3, { "alice", "bob", "carol" } },     /* nested */
        { "dup", 2, { "alice", "bob" } },       /* duplicates removed */
        { "loop1", 0, { NULL } },               /* a: b, b: a ends, with nobody */
        { "loopy", 1, { "carol" } },            /* a loop beside a real target */
        { "dave", 2, { "dave", "carol" } },     /* alias over the user of that name */
        { "ghost", 0, { NULL } },               /* names no existing user */
        { "l1", 1, { "alice" } },               /* 8 levels: the limit */
        { "m1", 0, { NULL } },                  /* 9 levels: cut off, no hang */
        { "postmaster", 1, { "postmaster" } },  /* RFC 5321 §4.5.1, as a user */
        { "PostMaster", 1, { "postmaster" } },
};

START_TEST(test_users_resolve_table)
{
        char found[8][USER_NAME_MAX + 1];
        init_ok(alias_users, alias_table);
        int count = users_resolve(resolve_cases[_i].local, found, 8);
        ck_assert_msg(count == resolve_cases[_i].count, "%s: %d", resolve_cases[_i].local, count);
        for (int i = 0; i < count; i++)
                ck_assert_str_eq(found[i], resolve_cases[_i].users[i]);
}
END_TEST

START_TEST(test_users_resolve_postmaster_alias_any_case)
{
        char found[2][USER_NAME_MAX + 1];
        init_ok("alice:{PLAIN}a\n", "postmaster: alice\n");
        ck_assert_int_eq(users_resolve("postmaster", found, 2), 1);
        ck_assert_str_eq(found[0], "alice");
        ck_assert_int_eq(users_resolve("POSTMASTER", found, 2), 1);
        ck_assert_str_eq(found[0], "alice");
}
END_TEST

START_TEST(test_users_resolve_overflow)
{
        char found[1][USER_NAME_MAX + 1];
        init_ok(alias_users, alias_table);
        ck_assert_int_eq(users_resolve("team", found, 1), -1);
        ck_assert_int_eq(users_resolve("alice", found, 1), 1);
}
END_TEST

START_TEST(test_users_alias_members_as_written)
{
        char members[4][SMTP_PATH_MAX + 1];
        init_ok(alias_users, alias_table);
        ck_assert_int_eq(users_alias_members("team", members, 4), 2);
        ck_assert_str_eq(members[0], "alice");
        ck_assert_str_eq(members[1], "bob@example.test");
        ck_assert_int_eq(users_alias_members("Team", members, 1), 1);
        ck_assert_int_eq(users_alias_members("alice", members, 4), 0);
}
END_TEST

/* ---- users_file_set ---------------------------------------------------------------- */

START_TEST(test_users_file_set_then_check_both_schemes)
{
        char err[256] = "";
        struct stat st;
        ck_assert_msg(users_file_set(users_path, "alice", USERS_SCHEME_CRYPT, "wonderland",
                                     err, sizeof err) == 0, "%s", err);
        ck_assert_int_eq(stat(users_path, &st), 0);
        ck_assert_int_eq(st.st_mode & 0777, 0600);
        ck_assert_msg(users_file_set(users_path, "tim", USERS_SCHEME_PLAIN, "tanstaaf",
                                     err, sizeof err) == 0, "%s", err);
        ck_assert_int_eq(users_init(users_path, aliases_path, err, sizeof err), 0);
        ck_assert(users_check_password("alice", "wonderland"));
        ck_assert(!users_check_password("alice", "wonderlan"));
        ck_assert(users_check_password("tim", "tanstaaf"));
        ck_assert(!users_check_password("tim", "wonderland"));

        /* Change alice's password and scheme: one line replaced, the rest
         * (comments included) kept; the running tables follow the file. */
        FILE *f = fopen(users_path, "a");
        ck_assert_ptr_nonnull(f);
        fputs("# a comment\n", f);
        fclose(f);
        ck_assert_int_eq(users_file_set(users_path, "alice", USERS_SCHEME_PLAIN, "rabbit",
                                        err, sizeof err), 0);
        users_reload_if_changed();
        ck_assert(users_check_password("alice", "rabbit"));
        ck_assert(!users_check_password("alice", "wonderland"));
        ck_assert(users_check_password("tim", "tanstaaf"));

        char content[1024] = "";
        f = fopen(users_path, "r");
        ck_assert_ptr_nonnull(f);
        size_t n = fread(content, 1, sizeof content - 1, f);
        fclose(f);
        content[n] = '\0';
        ck_assert_str_eq(content, "alice:{PLAIN}rabbit\ntim:{PLAIN}tanstaaf\n# a comment\n");
}
END_TEST

static const struct {
        const char *name;
        enum users_scheme scheme;
        const char *password;
} file_set_rejects[] = {
        { "../etc", USERS_SCHEME_CRYPT, "x" },
        { ".hidden", USERS_SCHEME_CRYPT, "x" },
        { "", USERS_SCHEME_CRYPT, "x" },
        { "a:b", USERS_SCHEME_PLAIN, "x" },
        { "alice", USERS_SCHEME_PLAIN, "" },
        { "alice", USERS_SCHEME_PLAIN, "pass:word" },
        { "alice", USERS_SCHEME_PLAIN, "pass\nbob:{PLAIN}x" },
        { "alice", USERS_SCHEME_PLAIN, "pass\r" },
};

START_TEST(test_users_file_set_rejects)
{
        char err[256] = "";
        ck_assert_int_eq(users_file_set(users_path, file_set_rejects[_i].name,
                                        file_set_rejects[_i].scheme,
                                        file_set_rejects[_i].password, err, sizeof err), -1);
        ck_assert(err[0] != '\0');
        ck_assert_int_eq(access(users_path, F_OK), -1);        /* nothing written */
}
END_TEST

/* ---- concurrency ------------------------------------------------------------------ */

#define CHECKER_THREADS 4
static atomic_bool reloads_done;
static atomic_int wrong_answers;
static atomic_int checks_made;

static void *checker(void *arg)
{
        (void)arg;
        /* Keep checking until the reloader is done; at least a few rounds. */
        for (int round = 0; round < 5 || !atomic_load(&reloads_done); round++) {
                if (!users_check_password("alice", "wonderland") ||
                    !users_check_password("tim", "tanstaaf") ||
                    users_check_password("tim", "wrong") ||
                    users_check_password("nobody", "x"))
                        atomic_fetch_add(&wrong_answers, 1);
                users_reload_if_changed();
                atomic_fetch_add(&checks_made, 1);
        }
        return NULL;
}

START_TEST(test_users_check_password_during_reloads)
{
        char hash[256], content[2][512], err[256];
        hash_of("wonderland", hash, sizeof hash);
        snprintf(content[0], sizeof content[0], "alice:{CRYPT}%s\ntim:{PLAIN}tanstaaf\n", hash);
        snprintf(content[1], sizeof content[1], "tim:{PLAIN}tanstaaf\nalice:{CRYPT}%s\n"
                 "carol:{PLAIN}c\n", hash);
        init_ok(content[0], "postmaster: alice\n");

        pthread_t threads[CHECKER_THREADS];
        for (int i = 0; i < CHECKER_THREADS; i++)
                ck_assert_int_eq(pthread_create(&threads[i], NULL, checker, NULL), 0);
        /* Replace the file atomically (as users_file_set does): a file
         * rewritten in place can be read half-written, and a truncated
         * users file is a valid one with fewer users. */
        char tmp_path[160];
        snprintf(tmp_path, sizeof tmp_path, "%s.new", users_path);
        int reload_failures = 0;
        for (int i = 0; i < 50; i++) {
                write_file(tmp_path, content[i % 2]);
                ck_assert_int_eq(rename(tmp_path, users_path), 0);
                if (users_reload(err, sizeof err) != 0)
                        reload_failures++;
        }
        atomic_store(&reloads_done, true);
        for (int i = 0; i < CHECKER_THREADS; i++)
                pthread_join(threads[i], NULL);
        ck_assert_int_eq(reload_failures, 0);
        ck_assert_int_eq(atomic_load(&wrong_answers), 0);
        ck_assert_int_ge(atomic_load(&checks_made), CHECKER_THREADS * 5);
}
END_TEST

Suite *users_suite(void)
{
        Suite *suite = suite_create("users");
        TCase *tc = tcase_create("parse");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_loop_test(tc, test_users_bad_lines_refused_with_file_and_line, 0,
                            (int)COUNT(bad_files));
        tcase_add_test(tc, test_users_missing_users_file_is_an_error);
        tcase_add_test(tc, test_users_comments_blank_lines_and_crlf);
        suite_add_tcase(suite, tc);

        tc = tcase_create("passwords");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_users_both_schemes);
        tcase_add_test(tc, test_users_unknown_user_is_false);
        tcase_add_test(tc, test_users_plain_secret_only_for_plain_users);
        tcase_add_test(tc, test_users_reload_if_changed_picks_up_new_content);
        tcase_add_test(tc, test_users_reload_error_keeps_old_tables);
        suite_add_tcase(suite, tc);

        tc = tcase_create("aliases");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_loop_test(tc, test_users_resolve_table, 0, (int)COUNT(resolve_cases));
        tcase_add_test(tc, test_users_resolve_postmaster_alias_any_case);
        tcase_add_test(tc, test_users_resolve_overflow);
        tcase_add_test(tc, test_users_alias_members_as_written);
        suite_add_tcase(suite, tc);

        tc = tcase_create("file_set");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_users_file_set_then_check_both_schemes);
        tcase_add_loop_test(tc, test_users_file_set_rejects, 0, (int)COUNT(file_set_rejects));
        suite_add_tcase(suite, tc);

        tc = tcase_create("threads");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 300);
        tcase_add_test(tc, test_users_check_password_during_reloads);
        suite_add_tcase(suite, tc);
        return suite;
}
