/* SPDX-License-Identifier: MIT
 *
 * check_maildrop.c - unit tests for pop3d/maildrop.c, without sockets.
 *
 * A temporary Maildir holds a few messages written directly as files with
 * ,S= and ,W= in their names; maildir_scan() lists them and the snapshot is
 * checked: numbering from 1 in scan order, sizes, strict message-number
 * lookup (RFC 1939 §5; "4294967297" is never message 1), deleted marks,
 * RSET, the UIDs of RFC 1939 §7 and the UPDATE step of RFC 1939 §6.
 *
 * Standards:  RFC 1939 §5, RFC 1939 §6, RFC 1939 §7
 * Threads:    Check's fork mode; one process per test.
 * Read next:  pop3d/maildrop.c.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maildir/maildir.h"
#include "pop3d/maildrop.h"

static char root[256];

/* Three messages: two in new/, one already in cur/ with flags. */
static const struct {
        const char *name;
        const char *body;
        unsigned long long wire;
} messages[] = {
        { "new/1000000001.M1P1Q1.host,S=5,W=7", "a\nbc\n", 7 },
        { "cur/1000000002.M1P1Q2.host,S=3,W=4:2,S", "xy\n", 4 },
        { "new/1000000003.M1P1Q3.host,S=1,W=3", "z", 3 },
};
#define MESSAGE_COUNT (sizeof(messages) / sizeof(messages[0]))

static void write_file(const char *user, const char *name, const char *body)
{
        char path[600];

        snprintf(path, sizeof(path), "%s/%s/%s", root, user, name);
        FILE *f = fopen(path, "w");

        ck_assert_ptr_nonnull(f);
        fputs(body, f);
        ck_assert_int_eq(fclose(f), 0);
}

static bool file_exists(const char *user, const char *name)
{
        char path[600];
        struct stat st;

        snprintf(path, sizeof(path), "%s/%s/%s", root, user, name);
        return stat(path, &st) == 0;
}

static void setup(void)
{
        snprintf(root, sizeof(root), "/tmp/check_maildrop.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(root));
        ck_assert_int_eq(maildir_create(root, "alice"), 0);
        for (size_t i = 0; i < MESSAGE_COUNT; i++)
                write_file("alice", messages[i].name, messages[i].body);
}

static void teardown(void)
{
        char command[400];

        snprintf(command, sizeof(command), "rm -rf '%s'", root);
        ck_assert_int_eq(system(command), 0);
}

static void load(struct pop3_maildrop *d)
{
        struct maildir_list list;

        ck_assert_int_eq(maildir_scan(root, "alice", &list), 0);
        ck_assert_int_eq(pop3_maildrop_init(d, &list), 0);
        ck_assert_uint_eq(list.count, 0);
        ck_assert_ptr_null(list.entries);
}

START_TEST(test_numbering_and_sizes)
{
        struct pop3_maildrop d;

        load(&d);
        ck_assert_uint_eq(d.count, MESSAGE_COUNT);
        ck_assert_uint_eq(pop3_maildrop_visible_count(&d), MESSAGE_COUNT);
        ck_assert_uint_eq(pop3_maildrop_visible_octets(&d), 7 + 4 + 3);
        for (size_t n = 1; n <= MESSAGE_COUNT; n++) {
                struct pop3_message *m = pop3_maildrop_get(&d, n);

                ck_assert_ptr_nonnull(m);
                ck_assert_uint_eq(m->entry->wire_size, messages[n - 1].wire);
                ck_assert_ptr_nonnull(strstr(messages[n - 1].name, m->uid));
        }
        ck_assert_ptr_null(pop3_maildrop_get(&d, 0));
        ck_assert_ptr_null(pop3_maildrop_get(&d, MESSAGE_COUNT + 1));
        pop3_maildrop_free(&d);
}
END_TEST

/* RFC 1939 §5: the message-number argument, as the table's rows show. The
 * classic bug: a parser that wraps 4294967297 to 1 on 32 bits. */
static const struct {
        const char *arg;
        enum pop3_lookup result;
        size_t number;
} lookup_cases[] = {
        { "1", POP3_LOOKUP_OK, 1 },
        { "3", POP3_LOOKUP_OK, 3 },
        { "01", POP3_LOOKUP_OK, 1 },
        { "0", POP3_LOOKUP_NO_SUCH, 0 },
        { "4", POP3_LOOKUP_NO_SUCH, 0 },
        { "4294967297", POP3_LOOKUP_NO_SUCH, 0 },
        { "4294967296", POP3_LOOKUP_NO_SUCH, 0 },
        { "18446744073709551617", POP3_LOOKUP_SYNTAX, 0 },
        { "99999999999999999999999999", POP3_LOOKUP_SYNTAX, 0 },
        { "", POP3_LOOKUP_SYNTAX, 0 },
        { "1x", POP3_LOOKUP_SYNTAX, 0 },
        { "x1", POP3_LOOKUP_SYNTAX, 0 },
        { "-1", POP3_LOOKUP_SYNTAX, 0 },
        { "+1", POP3_LOOKUP_SYNTAX, 0 },
        { " 1", POP3_LOOKUP_SYNTAX, 0 },
        { "1 ", POP3_LOOKUP_SYNTAX, 0 },
        { "0x1", POP3_LOOKUP_SYNTAX, 0 },
};

START_TEST(test_list_4294967297_is_not_message_1)
{
        struct pop3_maildrop d;
        struct pop3_message *m = NULL;
        size_t number = 0;
        const char *arg = lookup_cases[_i].arg;

        load(&d);
        enum pop3_lookup result = pop3_maildrop_find(&d, arg, strlen(arg), &number, &m);

        ck_assert_msg(result == lookup_cases[_i].result, "\"%s\": got %d", arg, (int)result);
        if (result == POP3_LOOKUP_OK) {
                ck_assert_uint_eq(number, lookup_cases[_i].number);
                ck_assert_ptr_eq(m, pop3_maildrop_get(&d, number));
        }
        pop3_maildrop_free(&d);
}
END_TEST

START_TEST(test_delete_hides_and_rset_restores)
{
        struct pop3_maildrop d;
        struct pop3_message *m = NULL;
        size_t number;

        load(&d);
        ck_assert_int_eq(pop3_maildrop_find(&d, "2", 1, &number, &m), POP3_LOOKUP_OK);
        pop3_maildrop_delete(&d, m);
        ck_assert_uint_eq(pop3_maildrop_visible_count(&d), 2);
        ck_assert_uint_eq(pop3_maildrop_visible_octets(&d), 7 + 3);
        /* RFC 1939 §5: a deleted message cannot be named again. */
        ck_assert_int_eq(pop3_maildrop_find(&d, "2", 1, &number, &m), POP3_LOOKUP_NO_SUCH);
        /* Marking twice changes nothing. */
        pop3_maildrop_delete(&d, pop3_maildrop_get(&d, 2));
        ck_assert_uint_eq(d.deleted_count, 1);
        ck_assert_uint_eq(pop3_maildrop_visible_octets(&d), 7 + 3);
        /* Numbers of the others do not move. */
        ck_assert_int_eq(pop3_maildrop_find(&d, "3", 1, &number, &m), POP3_LOOKUP_OK);
        ck_assert_uint_eq(m->entry->wire_size, 3);
        pop3_maildrop_reset(&d);
        ck_assert_uint_eq(pop3_maildrop_visible_count(&d), 3);
        ck_assert_uint_eq(pop3_maildrop_visible_octets(&d), 14);
        ck_assert_int_eq(pop3_maildrop_find(&d, "2", 1, &number, &m), POP3_LOOKUP_OK);
        pop3_maildrop_free(&d);
}
END_TEST

START_TEST(test_update_removes_only_marked)
{
        struct pop3_maildrop d;
        size_t removed = 99;

        load(&d);
        pop3_maildrop_delete(&d, pop3_maildrop_get(&d, 1));
        pop3_maildrop_delete(&d, pop3_maildrop_get(&d, 3));
        ck_assert_int_eq(pop3_maildrop_update(&d, root, "alice", &removed), 0);
        ck_assert_uint_eq(removed, 2);
        ck_assert(!file_exists("alice", messages[0].name));
        ck_assert(file_exists("alice", messages[1].name));
        ck_assert(!file_exists("alice", messages[2].name));
        pop3_maildrop_free(&d);
}
END_TEST

START_TEST(test_no_update_without_marks)
{
        struct pop3_maildrop d;
        size_t removed = 99;

        load(&d);
        pop3_maildrop_delete(&d, pop3_maildrop_get(&d, 1));
        pop3_maildrop_reset(&d);
        ck_assert_int_eq(pop3_maildrop_update(&d, root, "alice", &removed), 0);
        ck_assert_uint_eq(removed, 0);
        for (size_t i = 0; i < MESSAGE_COUNT; i++)
                ck_assert(file_exists("alice", messages[i].name));
        pop3_maildrop_free(&d);
}
END_TEST

START_TEST(test_empty_maildrop)
{
        struct pop3_maildrop d;
        struct maildir_list list;
        struct pop3_message *m = NULL;
        size_t number;

        ck_assert_int_eq(maildir_create(root, "empty"), 0);
        ck_assert_int_eq(maildir_scan(root, "empty", &list), 0);
        ck_assert_int_eq(pop3_maildrop_init(&d, &list), 0);
        ck_assert_uint_eq(pop3_maildrop_visible_count(&d), 0);
        ck_assert_uint_eq(pop3_maildrop_visible_octets(&d), 0);
        ck_assert_int_eq(pop3_maildrop_find(&d, "1", 1, &number, &m), POP3_LOOKUP_NO_SUCH);
        pop3_maildrop_free(&d);
}
END_TEST

/* RFC 1939 §7: 1..70 characters in 0x21..0x7E; anything else is replaced by
 * its MD5 in hex, which is stable and qualifies. */
static const struct {
        const char *unique;
        bool kept;
} uid_cases[] = {
        { "1000000001.M1P1Q1.host,S=6,W=8", true },
        { "a", true },
        { "!~", true },
        { "0123456789012345678901234567890123456789012345678901234567890123456789", true },
        { "01234567890123456789012345678901234567890123456789012345678901234567890", false },
        { "with space", false },
        { "tab\there", false },
        { "high\xc3\xa9", false },
        { "", false },
};

START_TEST(test_uid_rules)
{
        char uid[POP3_UID_MAX + 1];
        const char *unique = uid_cases[_i].unique;

        pop3_maildrop_uid(unique, uid);
        if (uid_cases[_i].kept) {
                ck_assert_str_eq(uid, unique);
                return;
        }
        ck_assert_uint_eq(strlen(uid), 32);
        for (size_t i = 0; i < 32; i++)
                ck_assert(strchr("0123456789abcdef", uid[i]) != NULL);
        /* The same name always gives the same UID. */
        char again[POP3_UID_MAX + 1];

        pop3_maildrop_uid(unique, again);
        ck_assert_str_eq(uid, again);
}
END_TEST

Suite *maildrop_suite(void)
{
        Suite *suite = suite_create("maildrop");
        TCase *tc = tcase_create("snapshot");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_numbering_and_sizes);
        tcase_add_loop_test(tc, test_list_4294967297_is_not_message_1, 0,
                            sizeof(lookup_cases) / sizeof(lookup_cases[0]));
        tcase_add_test(tc, test_delete_hides_and_rset_restores);
        tcase_add_test(tc, test_update_removes_only_marked);
        tcase_add_test(tc, test_no_update_without_marks);
        tcase_add_test(tc, test_empty_maildrop);
        suite_add_tcase(suite, tc);

        TCase *uid = tcase_create("uid");

        tcase_add_loop_test(uid, test_uid_rules, 0, sizeof(uid_cases) / sizeof(uid_cases[0]));
        suite_add_tcase(suite, uid);
        return suite;
}
