/* SPDX-License-Identifier: MIT
 *
 * check_addr.c - RFC 5321 §4.1.2 paths and ESMTP parameters (common/addr).
 *
 * One table of valid and hostile MAIL/RCPT arguments; each row is its own
 * test. Every row is also parsed at every truncated length, each copy in
 * a buffer of exactly that size, so that AddressSanitizer catches any read
 * past the end of a short argument.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"

enum direction { FROM, TO };

struct path_case {
        const char *name;
        enum direction direction;
        const char *args;
        enum addr_result result;
        bool is_null;
        const char *local;       /* expected on ADDR_OK */
        const char *domain;
        const char *mailbox;
        const char *params;
};

/* Long parts built at start-up: 64/65-byte local parts, long domains, and
 * paths of exactly 256 and 257 bytes. */
static char local_64[200], local_65[200], domain_252[400], domain_256[400];
static char path_256[800], path_257[800];

static void make_label_domain(char *out, size_t len)
{
        /* "aaa...a.aaa...a" of exactly len bytes, labels <= 63. */
        for (size_t i = 0; i < len; i++)
                out[i] = (i % 62 == 61) ? '.' : 'a';
        if (out[len - 1] == '.')
                out[len - 1] = 'b';
        out[len] = '\0';
}

static void build_long_inputs(void)
{
        char local[80];
        memset(local, 'x', 65);
        local[64] = '\0';
        snprintf(local_64, sizeof local_64, "FROM:<%s@b.test>", local);
        local[64] = 'x';
        local[65] = '\0';
        snprintf(local_65, sizeof local_65, "FROM:<%s@b.test>", local);

        char domain[300];
        /* "<a@" + 252 + ">" is a 256-byte path: the longest domain a path
         * can carry, because the path limit is reached before 255. */
        make_label_domain(domain, 252);
        snprintf(domain_252, sizeof domain_252, "TO:<a@%s>", domain);
        make_label_domain(domain, 256);
        snprintf(domain_256, sizeof domain_256, "TO:<a@%s>", domain);

        /* Path limit 256 including '<' and '>': "<" 60 "@" 193 ">" = 256,
         * reached with a source route so no single part is over its own limit. */
        char route[200];
        make_label_domain(route, 120);
        make_label_domain(domain, 70);
        /* "<@" route "," "@" route2 ":" "u@" domain ">" */
        char route2[200];
        size_t fixed = 1 + 1 + 120 + 1 + 1 + 1 + 2 + 70 + 1;   /* 198 */
        make_label_domain(route2, 256 - fixed);
        snprintf(path_256, sizeof path_256, "TO:<@%s,@%s:u@%s>", route, route2, domain);
        make_label_domain(route2, 257 - fixed);
        snprintf(path_257, sizeof path_257, "TO:<@%s,@%s:u@%s>", route, route2, domain);
}

static const struct path_case path_cases[] = {
        /* ---- valid ---- */
        { .name = "simple", .direction = FROM, .args = "FROM:<alice@example.test>",
          .result = ADDR_OK, .local = "alice", .domain = "example.test",
          .mailbox = "alice@example.test", .params = "" },
        { .name = "keyword case", .direction = FROM, .args = "from:<a@b>",
          .result = ADDR_OK, .local = "a", .domain = "b", .mailbox = "a@b", .params = "" },
        { .name = "null reverse path", .direction = FROM, .args = "FROM:<>",
          .result = ADDR_OK, .is_null = true, .local = "", .domain = "", .mailbox = "",
          .params = "" },
        { .name = "null with params", .direction = FROM, .args = "FROM:<> SIZE=100",
          .result = ADDR_OK, .is_null = true, .local = "", .domain = "", .mailbox = "",
          .params = "SIZE=100" },
        { .name = "one space deviation", .direction = FROM, .args = "FROM: <a@b.test>",
          .result = ADDR_OK, .local = "a", .domain = "b.test", .mailbox = "a@b.test",
          .params = "" },
        { .name = "params", .direction = FROM,
          .args = "FROM:<a@b.test> SIZE=100 BODY=8BITMIME", .result = ADDR_OK,
          .local = "a", .domain = "b.test", .mailbox = "a@b.test",
          .params = "SIZE=100 BODY=8BITMIME" },
        { .name = "params after spaces", .direction = TO, .args = "TO:<a@b>   X=1",
          .result = ADDR_OK, .local = "a", .domain = "b", .mailbox = "a@b", .params = "X=1" },
        { .name = "dot string with atext", .direction = TO,
          .args = "TO:<o'neil+tag.x_y=z!#$%&*/?^`{|}~-@ex-ample.test>", .result = ADDR_OK,
          .local = "o'neil+tag.x_y=z!#$%&*/?^`{|}~-", .domain = "ex-ample.test",
          .mailbox = "o'neil+tag.x_y=z!#$%&*/?^`{|}~-@ex-ample.test", .params = "" },
        { .name = "quoted local with space", .direction = TO, .args = "TO:<\"john doe\"@b.test>",
          .result = ADDR_OK, .local = "john doe", .domain = "b.test",
          .mailbox = "\"john doe\"@b.test", .params = "" },
        { .name = "quoted pair quote", .direction = TO, .args = "TO:<\"a\\\"b\"@b.test>",
          .result = ADDR_OK, .local = "a\"b", .domain = "b.test",
          .mailbox = "\"a\\\"b\"@b.test", .params = "" },
        { .name = "quoted pair backslash", .direction = TO, .args = "TO:<\"a\\\\b\"@b>",
          .result = ADDR_OK, .local = "a\\b", .domain = "b", .mailbox = "\"a\\\\b\"@b",
          .params = "" },
        { .name = "needless quotes dropped", .direction = TO, .args = "TO:<\"joe\"@b.test>",
          .result = ADDR_OK, .local = "joe", .domain = "b.test", .mailbox = "joe@b.test",
          .params = "" },
        { .name = "quoted empty", .direction = TO, .args = "TO:<\"\"@b>",
          .result = ADDR_OK, .local = "", .domain = "b", .mailbox = "\"\"@b", .params = "" },
        { .name = "quoted with at sign", .direction = TO, .args = "TO:<\"a@b\"@c>",
          .result = ADDR_OK, .local = "a@b", .domain = "c", .mailbox = "\"a@b\"@c",
          .params = "" },
        { .name = "source route", .direction = TO, .args = "TO:<@a,@b:u@c>",
          .result = ADDR_OK, .local = "u", .domain = "c", .mailbox = "u@c", .params = "" },
        { .name = "source route one hop", .direction = FROM, .args = "FROM:<@relay.test:u@c>",
          .result = ADDR_OK, .local = "u", .domain = "c", .mailbox = "u@c", .params = "" },
        { .name = "ipv4 literal", .direction = TO, .args = "TO:<u@[127.0.0.1]>",
          .result = ADDR_OK, .local = "u", .domain = "[127.0.0.1]",
          .mailbox = "u@[127.0.0.1]", .params = "" },
        { .name = "ipv6 literal", .direction = TO, .args = "TO:<u@[IPv6:::1]>",
          .result = ADDR_OK, .local = "u", .domain = "[IPv6:::1]",
          .mailbox = "u@[IPv6:::1]", .params = "" },
        { .name = "ipv6 tag case", .direction = TO, .args = "TO:<u@[ipv6:2001:db8::1]>",
          .result = ADDR_OK, .local = "u", .domain = "[ipv6:2001:db8::1]",
          .mailbox = "u@[ipv6:2001:db8::1]", .params = "" },
        { .name = "postmaster", .direction = TO, .args = "TO:<Postmaster>",
          .result = ADDR_OK, .local = "Postmaster", .domain = "", .mailbox = "Postmaster",
          .params = "" },
        { .name = "postmaster case", .direction = TO, .args = "to:<POSTMASTER> X=y",
          .result = ADDR_OK, .local = "POSTMASTER", .domain = "", .mailbox = "POSTMASTER",
          .params = "X=y" },
        { .name = "numeric domain", .direction = TO, .args = "TO:<u@123.example>",
          .result = ADDR_OK, .local = "u", .domain = "123.example",
          .mailbox = "u@123.example", .params = "" },

        /* ---- hostile or malformed ---- */
        { .name = "empty", .direction = FROM, .args = "", .result = ADDR_SYNTAX },
        { .name = "F", .direction = FROM, .args = "F", .result = ADDR_SYNTAX },
        { .name = "FROM", .direction = FROM, .args = "FROM", .result = ADDR_SYNTAX },
        { .name = "FROM colon", .direction = FROM, .args = "FROM:", .result = ADDR_SYNTAX },
        { .name = "FROM colon space", .direction = FROM, .args = "FROM: ", .result = ADDR_SYNTAX },
        { .name = "T", .direction = TO, .args = "T", .result = ADDR_SYNTAX },
        { .name = "TO colon lt", .direction = TO, .args = "TO:<", .result = ADDR_SYNTAX },
        { .name = "wrong keyword", .direction = TO, .args = "FROM:<a@b>", .result = ADDR_SYNTAX },
        { .name = "missing brackets", .direction = FROM, .args = "FROM:a@b",
          .result = ADDR_SYNTAX },
        { .name = "missing close", .direction = FROM, .args = "FROM:<a@b",
          .result = ADDR_SYNTAX },
        { .name = "two spaces", .direction = FROM, .args = "FROM:  <a@b>",
          .result = ADDR_SYNTAX },
        { .name = "double close", .direction = FROM, .args = "FROM:<a@b>>",
          .result = ADDR_SYNTAX },
        { .name = "trailing junk", .direction = FROM, .args = "FROM:<a@b>junk",
          .result = ADDR_SYNTAX },
        { .name = "space in domain", .direction = TO, .args = "TO:<a@b c>",
          .result = ADDR_SYNTAX },
        { .name = "space in local", .direction = TO, .args = "TO:<a b@c>",
          .result = ADDR_SYNTAX },
        { .name = "null forward path", .direction = TO, .args = "TO:<>", .result = ADDR_SYNTAX },
        { .name = "no domain", .direction = TO, .args = "TO:<alice>", .result = ADDR_SYNTAX },
        { .name = "postmaster in reverse", .direction = FROM, .args = "FROM:<Postmaster>",
          .result = ADDR_SYNTAX },
        { .name = "postmaster after route", .direction = TO, .args = "TO:<@a:Postmaster>",
          .result = ADDR_SYNTAX },
        { .name = "empty domain", .direction = TO, .args = "TO:<a@>", .result = ADDR_SYNTAX },
        { .name = "empty local", .direction = TO, .args = "TO:<@b>", .result = ADDR_SYNTAX },
        { .name = "trailing dot domain", .direction = TO, .args = "TO:<a@b.test.>",
          .result = ADDR_SYNTAX },
        { .name = "double dot domain", .direction = TO, .args = "TO:<a@b..test>",
          .result = ADDR_SYNTAX },
        { .name = "hyphen edge label", .direction = TO, .args = "TO:<a@-b.test>",
          .result = ADDR_SYNTAX },
        { .name = "label ends hyphen", .direction = TO, .args = "TO:<a@b-.test>",
          .result = ADDR_SYNTAX },
        { .name = "leading dot local", .direction = TO, .args = "TO:<.a@b>",
          .result = ADDR_SYNTAX },
        { .name = "double dot local", .direction = TO, .args = "TO:<a..b@c>",
          .result = ADDR_SYNTAX },
        { .name = "unbalanced quote", .direction = TO, .args = "TO:<\"abc@b>",
          .result = ADDR_SYNTAX },
        { .name = "quote then text", .direction = TO, .args = "TO:<\"a\"b@c>",
          .result = ADDR_SYNTAX },
        { .name = "escape at end", .direction = TO, .args = "TO:<\"a\\", .result = ADDR_SYNTAX },
        { .name = "CR in local", .direction = TO, .args = "TO:<a\rb@c>", .result = ADDR_SYNTAX },
        { .name = "LF in domain", .direction = TO, .args = "TO:<a@b\nc>", .result = ADDR_SYNTAX },
        { .name = "CRLF in quotes", .direction = TO, .args = "TO:<\"a\r\nRCPT\"@c>",
          .result = ADDR_SYNTAX },
        { .name = "quoted pair CR", .direction = TO, .args = "TO:<\"a\\\r\"@c>",
          .result = ADDR_SYNTAX },
        { .name = "tab in quotes", .direction = TO, .args = "TO:<\"a\tb\"@c>",
          .result = ADDR_SYNTAX },
        { .name = "control in local", .direction = TO, .args = "TO:<a\x01@c>",
          .result = ADDR_SYNTAX },
        { .name = "DEL in local", .direction = TO, .args = "TO:<a\x7f@c>",
          .result = ADDR_SYNTAX },
        { .name = "eight bit local", .direction = TO, .args = "TO:<j\xc3\xb6rg@c>",
          .result = ADDR_SYNTAX },
        { .name = "route without colon", .direction = TO, .args = "TO:<@a,@b u@c>",
          .result = ADDR_SYNTAX },
        { .name = "route empty hop", .direction = TO, .args = "TO:<@a,:u@c>",
          .result = ADDR_SYNTAX },
        { .name = "route literal hop", .direction = TO, .args = "TO:<@[1.2.3.4]:u@c>",
          .result = ADDR_SYNTAX },
        { .name = "bad ipv4 literal", .direction = TO, .args = "TO:<u@[256.0.0.1]>",
          .result = ADDR_SYNTAX },
        { .name = "short ipv4 literal", .direction = TO, .args = "TO:<u@[127.1]>",
          .result = ADDR_SYNTAX },
        { .name = "bad ipv6 literal", .direction = TO, .args = "TO:<u@[IPv6:::1::2]>",
          .result = ADDR_SYNTAX },
        { .name = "ipv6 without tag", .direction = TO, .args = "TO:<u@[::1]>",
          .result = ADDR_SYNTAX },
        { .name = "general literal", .direction = TO, .args = "TO:<u@[x-tag:abc]>",
          .result = ADDR_SYNTAX },
        { .name = "unclosed literal", .direction = TO, .args = "TO:<u@[127.0.0.1>",
          .result = ADDR_SYNTAX },
        { .name = "nested brackets", .direction = TO, .args = "TO:<u@[[127.0.0.1]]>",
          .result = ADDR_SYNTAX },
        { .name = "two at signs", .direction = TO, .args = "TO:<a@b@c>", .result = ADDR_SYNTAX },
        { .name = "angle inside", .direction = TO, .args = "TO:<a<b@c>", .result = ADDR_SYNTAX },
};

#define PATH_CASE_COUNT ((int)(sizeof path_cases / sizeof path_cases[0]))

static enum addr_result parse(enum direction direction, const char *args,
                              struct mail_path *path, const char **params)
{
        return direction == FROM ? addr_parse_reverse_path(args, path, params)
                                 : addr_parse_forward_path(args, path, params);
}

START_TEST(test_path_table)
{
        const struct path_case *c = &path_cases[_i];
        struct mail_path path;
        const char *params = NULL;
        enum addr_result result = parse(c->direction, c->args, &path, &params);
        ck_assert_msg(result == c->result, "%s: got %d, want %d", c->name, result, c->result);
        if (result != ADDR_OK)
                return;
        ck_assert_msg(path.is_null == c->is_null, "%s: is_null", c->name);
        ck_assert_str_eq(path.local, c->local);
        ck_assert_str_eq(path.domain, c->domain);
        ck_assert_str_eq(path.mailbox, c->mailbox);
        ck_assert_str_eq(params, c->params);
        /* params points into args, not into a copy. */
        ck_assert(params >= c->args && params <= c->args + strlen(c->args));
}
END_TEST

/* STYLE.md classic bug: "fixed offset before a length check". Every
 * prefix of every row, each in a heap buffer of exactly its size; the
 * parser must return without reading past the NUL (ASan would report it). */
START_TEST(test_fixed_offset_before_a_length_check)
{
        const struct path_case *c = &path_cases[_i];
        size_t len = strlen(c->args);
        for (size_t cut = 0; cut <= len; cut++) {
                char *copy = malloc(cut + 1);
                ck_assert_ptr_nonnull(copy);
                memcpy(copy, c->args, cut);
                copy[cut] = '\0';
                struct mail_path path;
                const char *params;
                enum addr_result result = parse(c->direction, copy, &path, &params);
                ck_assert(result == ADDR_OK || result == ADDR_SYNTAX || result == ADDR_TOO_LONG);
                /* A path cut before its '>' can never be accepted. */
                const char *close = strchr(c->args, '>');
                if (close != NULL && cut <= (size_t)(close - c->args))
                        ck_assert_msg(result != ADDR_OK, "%s cut at %zu accepted", c->name, cut);
                free(copy);
        }
}
END_TEST

START_TEST(test_length_limits)
{
        build_long_inputs();
        struct mail_path path;
        const char *params;
        ck_assert_int_eq(addr_parse_reverse_path(local_64, &path, &params), ADDR_OK);
        ck_assert_uint_eq(strlen(path.local), 64);
        ck_assert_int_eq(addr_parse_reverse_path(local_65, &path, &params), ADDR_TOO_LONG);
        ck_assert_int_eq(addr_parse_forward_path(domain_252, &path, &params), ADDR_OK);
        ck_assert_uint_eq(strlen(path.domain), 252);
        ck_assert_int_eq(addr_parse_forward_path(domain_256, &path, &params), ADDR_TOO_LONG);
        ck_assert_uint_eq(strlen(path_256) - 3, 256);
        ck_assert_int_eq(addr_parse_forward_path(path_256, &path, &params), ADDR_OK);
        ck_assert_int_eq(addr_parse_forward_path(path_257, &path, &params), ADDR_TOO_LONG);
}
END_TEST

START_TEST(test_quoted_local_part_limit_counts_quotes)
{
        /* 62 x's in quotes: 64 octets as sent, accepted; 63 in quotes: 65. */
        char args[128];
        snprintf(args, sizeof args, "TO:<\"%.*s\"@b>", 62,
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        struct mail_path path;
        const char *params;
        ck_assert_int_eq(addr_parse_forward_path(args, &path, &params), ADDR_OK);
        snprintf(args, sizeof args, "TO:<\"%.*s\"@b>", 63,
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        ck_assert_int_eq(addr_parse_forward_path(args, &path, &params), ADDR_TOO_LONG);
}
END_TEST

/* ---- addr_valid_domain_or_literal (HELO/EHLO argument) ---- */

struct domain_case {
        const char *text;
        bool valid;
};

static const struct domain_case domain_cases[] = {
        { .text = "localhost", .valid = true },
        { .text = "mail.example.test", .valid = true },
        { .text = "a-b.c1", .valid = true },
        { .text = "[127.0.0.1]", .valid = true },
        { .text = "[IPv6:::1]", .valid = true },
        { .text = "[IPV6:fe80::1]", .valid = true },
        { .text = "", .valid = false },
        { .text = "example.test.", .valid = false },
        { .text = ".example", .valid = false },
        { .text = "a..b", .valid = false },
        { .text = "-a.b", .valid = false },
        { .text = "a b", .valid = false },
        { .text = "a\r\nReceived: x", .valid = false },
        { .text = "a_b", .valid = false },
        { .text = "[127.0.0.1", .valid = false },
        { .text = "[1.2.3]", .valid = false },
        { .text = "[IPv6:zz]", .valid = false },
        { .text = "[127.0.0.1]x", .valid = false },
        { .text = "a@b", .valid = false },
};

START_TEST(test_domain_table)
{
        const struct domain_case *c = &domain_cases[_i];
        ck_assert_msg(addr_valid_domain_or_literal(c->text) == c->valid, "%s", c->text);
}
END_TEST

START_TEST(test_domain_over_255_refused)
{
        char domain[300];
        make_label_domain(domain, 255);
        ck_assert(addr_valid_domain_or_literal(domain));
        make_label_domain(domain, 256);
        ck_assert(!addr_valid_domain_or_literal(domain));
        /* A 64-byte label is over the RFC 1035 label limit. */
        memset(domain, 'a', 64);
        strcpy(domain + 64, ".test");
        ck_assert(!addr_valid_domain_or_literal(domain));
}
END_TEST

/* ---- addr_next_param ---- */

struct param_case {
        const char *input;
        int count;                 /* parameters returned before the end or the error */
        bool syntax_error;
        const char *keys[4];
        const char *values[4];
};

static const struct param_case param_cases[] = {
        { .input = "", .count = 0 },
        { .input = "SIZE=100 BODY=8BITMIME", .count = 2, .keys = { "SIZE", "BODY" },
          .values = { "100", "8BITMIME" } },
        { .input = "BODY", .count = 1, .keys = { "BODY" }, .values = { "" } },
        { .input = "A-1=x  B=y ", .count = 2, .keys = { "A-1", "B" }, .values = { "x", "y" } },
        { .input = "KEY=va lue", .count = 2, .keys = { "KEY", "lue" }, .values = { "va", "" } },
        { .input = "=x", .count = 0, .syntax_error = true },
        { .input = "-A=1", .count = 0, .syntax_error = true },
        { .input = "SIZE=", .count = 0, .syntax_error = true },
        { .input = "SIZE=1=2", .count = 0, .syntax_error = true },
        { .input = "A=1 B=\x01", .count = 1, .syntax_error = true, .keys = { "A" },
          .values = { "1" } },
        { .input = "A=1\r\nRCPT", .count = 0, .syntax_error = true },
        { .input = "K_Y=1", .count = 0, .syntax_error = true },
        { .input = "X=\xff", .count = 0, .syntax_error = true },
        { .input = "ENVID=a+2Bb", .count = 1, .keys = { "ENVID" }, .values = { "a+2Bb" } },
};

START_TEST(test_param_table)
{
        const struct param_case *c = &param_cases[_i];
        const char *cursor = c->input;
        char key[32];
        char value[32];
        bool syntax_error = true;
        int count = 0;
        while (count < 8 && addr_next_param(&cursor, key, sizeof key, value, sizeof value,
                                            &syntax_error)) {
                ck_assert_int_lt(count, c->count);
                ck_assert_str_eq(key, c->keys[count]);
                ck_assert_str_eq(value, c->values[count]);
                count++;
        }
        ck_assert_msg(count == c->count, "%s: %d params", c->input, count);
        ck_assert_msg(syntax_error == c->syntax_error, "%s: syntax error flag", c->input);
}
END_TEST

START_TEST(test_param_too_long_for_buffer)
{
        const char *cursor = "ABCDEFGH=1";
        char key[4];
        char value[8];
        bool syntax_error = false;
        ck_assert(!addr_next_param(&cursor, key, sizeof key, value, sizeof value,
                                   &syntax_error));
        ck_assert(syntax_error);
}
END_TEST

Suite *addr_suite(void)
{
        Suite *suite = suite_create("addr");
        TCase *paths = tcase_create("paths");
        tcase_set_timeout(paths, 60);
        tcase_add_loop_test(paths, test_path_table, 0, PATH_CASE_COUNT);
        tcase_add_loop_test(paths, test_fixed_offset_before_a_length_check, 0, PATH_CASE_COUNT);
        tcase_add_test(paths, test_length_limits);
        tcase_add_test(paths, test_quoted_local_part_limit_counts_quotes);
        suite_add_tcase(suite, paths);

        TCase *domains = tcase_create("domains");
        tcase_set_timeout(domains, 60);
        tcase_add_loop_test(domains, test_domain_table, 0,
                            (int)(sizeof domain_cases / sizeof domain_cases[0]));
        tcase_add_test(domains, test_domain_over_255_refused);
        suite_add_tcase(suite, domains);

        TCase *params = tcase_create("params");
        tcase_set_timeout(params, 60);
        tcase_add_loop_test(params, test_param_table, 0,
                            (int)(sizeof param_cases / sizeof param_cases[0]));
        tcase_add_test(params, test_param_too_long_for_buffer);
        suite_add_tcase(suite, params);
        return suite;
}
