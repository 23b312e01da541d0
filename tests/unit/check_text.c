/* SPDX-License-Identifier: MIT
 *
 * check_text.c - unit tests for common/text.c.
 *
 * Tables of inputs for the strict number parser (the POP3 message numbers
 * of RFC 1939 §3 go through it), verb comparison, bounded copy and the
 * escaping that keeps client bytes from forging log lines.
 *
 * Standards:  RFC 1939 §3, RFC 5321 §2.4
 * Threads:    Check's fork mode; one process per test.
 * Read next:  common/text.c.
 */
#include <check.h>
#include <limits.h>
#include <string.h>

#include "common/text.h"

struct uint_case {
        const char *input;
        unsigned long long max;
        bool ok;
        unsigned long long value;
};

static const struct uint_case uint_cases[] = {
        { .input = "0", .max = 10, .ok = true, .value = 0 },
        { .input = "1", .max = 10, .ok = true, .value = 1 },
        { .input = "10", .max = 10, .ok = true, .value = 10 },
        { .input = "11", .max = 10, .ok = false },
        { .input = "007", .max = 10, .ok = true, .value = 7 },
        { .input = "4294967295", .max = UINT_MAX, .ok = true, .value = 4294967295ULL },
        /* "LIST 4294967297" must not become message 1. */
        { .input = "4294967297", .max = UINT_MAX, .ok = false },
        { .input = "4294967296", .max = UINT_MAX, .ok = false },
        { .input = "18446744073709551615", .max = ULLONG_MAX, .ok = true,
          .value = 18446744073709551615ULL },
        { .input = "18446744073709551616", .max = ULLONG_MAX, .ok = false },
        { .input = "99999999999999999999999", .max = ULLONG_MAX, .ok = false },
        { .input = "", .max = 10, .ok = false },
        { .input = "+1", .max = 10, .ok = false },
        { .input = "-1", .max = 10, .ok = false },
        { .input = " 1", .max = 10, .ok = false },
        { .input = "1 ", .max = 10, .ok = false },
        { .input = "1a", .max = 10, .ok = false },
        { .input = "0x1", .max = 10, .ok = false },
        { .input = "1.0", .max = 10, .ok = false },
};

START_TEST(test_parse_uint_table)
{
        const struct uint_case *row = &uint_cases[_i];
        unsigned long long value = 12345;
        bool ok = text_parse_uint(row->input, strlen(row->input), row->max, &value);

        ck_assert_msg(ok == row->ok, "\"%s\": expected %s", row->input,
                      row->ok ? "ok" : "error");
        if (row->ok)
                ck_assert_uint_eq(value, row->value);
        else
                ck_assert_uint_eq(value, 12345);        /* untouched on error */
}
END_TEST

START_TEST(test_parse_uint_uses_len_only)
{
        unsigned long long value = 0;

        /* Only s[0..len) counts: "12" of "123", and a NUL inside is junk. */
        ck_assert(text_parse_uint("123", 2, 1000, &value));
        ck_assert_uint_eq(value, 12);
        ck_assert(!text_parse_uint("1\0" "2", 3, 1000, &value));
}
END_TEST

START_TEST(test_verb_equals)
{
        ck_assert(text_verb_equals("ehlo", 4, "EHLO"));
        ck_assert(text_verb_equals("EhLo x", 4, "EHLO"));
        ck_assert(!text_verb_equals("EHL", 3, "EHLO"));
        ck_assert(!text_verb_equals("EHLOO", 5, "EHLO"));
        ck_assert(!text_verb_equals("EHL\0", 4, "EHLO"));
        ck_assert(text_verb_equals("", 0, ""));
}
END_TEST

START_TEST(test_casecmp)
{
        ck_assert_int_eq(text_casecmp("Example.TEST", "example.test"), 0);
        ck_assert_int_lt(text_casecmp("a", "b"), 0);
        ck_assert_int_gt(text_casecmp("B", "a"), 0);
        ck_assert_int_lt(text_casecmp("abc", "abcd"), 0);
        ck_assert_int_gt(text_casecmp("abcd", "ABC"), 0);
}
END_TEST

START_TEST(test_copy)
{
        char small[4];

        ck_assert(text_copy(small, sizeof(small), "abc"));
        ck_assert_str_eq(small, "abc");
        ck_assert(!text_copy(small, sizeof(small), "abcd"));
        ck_assert_str_eq(small, "abc");
        ck_assert(text_copy(small, 1, ""));
        ck_assert(!text_copy(small, 0, ""));
}
END_TEST

struct escape_case {
        const char *input;
        size_t len;
        size_t size;
        const char *expected;
};

static const struct escape_case escape_cases[] = {
        { .input = "EHLO x", .len = 6, .size = 64, .expected = "EHLO x" },
        { .input = "a\r\nb", .len = 4, .size = 64, .expected = "a\\x0d\\x0ab" },
        { .input = "back\\slash", .len = 10, .size = 64, .expected = "back\\x5cslash" },
        { .input = "nul\0!", .len = 5, .size = 64, .expected = "nul\\x00!" },
        { .input = "\xff\x7f", .len = 2, .size = 64, .expected = "\\xff\\x7f" },
        /* Exactly fits: 6 bytes and the NUL. */
        { .input = "abcdef", .len = 6, .size = 7, .expected = "abcdef" },
        /* One too many: whole bytes that fit, then "...". */
        { .input = "abcdefg", .len = 7, .size = 7, .expected = "abc..." },
        /* An escape that would not fit whole is dropped whole. */
        { .input = "ab\ncdef", .len = 7, .size = 8, .expected = "ab..." },
        { .input = "abcdef", .len = 6, .size = 3, .expected = ".." },
        { .input = "abcdef", .len = 6, .size = 1, .expected = "" },
};

START_TEST(test_escape_table)
{
        const struct escape_case *row = &escape_cases[_i];
        char out[72];

        ck_assert_uint_lt(row->size, sizeof(out));
        memset(out, 'Z', sizeof(out));
        ck_assert_ptr_eq(text_escape(out, row->size, row->input, row->len), out);
        ck_assert_str_eq(out, row->expected);
        ck_assert_uint_lt(strlen(out), row->size);
        ck_assert_int_eq(out[row->size], 'Z');  /* nothing written past size */
}
END_TEST

Suite *text_suite(void)
{
        Suite *suite = suite_create("text");
        TCase *parse = tcase_create("parse_uint");
        TCase *strings = tcase_create("strings");

        tcase_add_loop_test(parse, test_parse_uint_table, 0,
                            (int)(sizeof(uint_cases) / sizeof(uint_cases[0])));
        tcase_add_test(parse, test_parse_uint_uses_len_only);
        suite_add_tcase(suite, parse);

        tcase_add_test(strings, test_verb_equals);
        tcase_add_test(strings, test_casecmp);
        tcase_add_test(strings, test_copy);
        tcase_add_loop_test(strings, test_escape_table, 0,
                            (int)(sizeof(escape_cases) / sizeof(escape_cases[0])));
        suite_add_tcase(suite, strings);
        return suite;
}
