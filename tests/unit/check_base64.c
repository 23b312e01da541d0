/* SPDX-License-Identifier: MIT
 *
 * check_base64.c - common/base64: RFC 4648 §10 both ways, a round trip of
 * every byte value at every tail length, and a table of inputs the strict
 * decoder must refuse (bad characters, bad or misplaced padding, non-zero
 * pad bits, white space, wrong length, output buffer too small).
 */
#include <check.h>
#include <string.h>

#include "common/base64.h"
#include "tests/vectors/base64_vectors.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_base64_encode_rfc4648_vectors)
{
        const struct base64_vector *v = &base64_vectors[_i];
        char out[BASE64_ENCODED_SIZE(6)];
        memset(out, 'x', sizeof out);
        size_t len = base64_encode(v->decoded, strlen(v->decoded), out);
        ck_assert_msg(strcmp(out, v->encoded) == 0, "%s: \"%s\" gave \"%s\"", v->rfc,
                      v->decoded, out);
        ck_assert_uint_eq(len, strlen(v->encoded));
}
END_TEST

START_TEST(test_base64_decode_rfc4648_vectors)
{
        const struct base64_vector *v = &base64_vectors[_i];
        char out[16];
        size_t len = 99;
        ck_assert(base64_decode(v->encoded, strlen(v->encoded), out, sizeof out, &len));
        ck_assert_uint_eq(len, strlen(v->decoded));
        ck_assert(memcmp(out, v->decoded, len) == 0);
        /* An output buffer of exactly the decoded size is enough. */
        ck_assert(base64_decode(v->encoded, strlen(v->encoded), out, strlen(v->decoded), &len));
}
END_TEST

START_TEST(test_base64_round_trip_all_bytes)
{
        unsigned char in[256], back[256];
        char encoded[BASE64_ENCODED_SIZE(256)];
        for (size_t i = 0; i < sizeof in; i++)
                in[i] = (unsigned char)(255 - i);
        /* Every length 0..256 exercises each of the three tail cases. */
        for (size_t len = 0; len <= sizeof in; len++) {
                size_t encoded_len = base64_encode(in, len, encoded);
                ck_assert_uint_eq(encoded_len, BASE64_ENCODED_SIZE(len) - 1);
                size_t back_len = 0;
                ck_assert_msg(base64_decode(encoded, encoded_len, back, sizeof back, &back_len),
                              "length %zu", len);
                ck_assert_uint_eq(back_len, len);
                ck_assert(memcmp(in, back, len) == 0);
        }
}
END_TEST

static const struct {
        const char *input;
        const char *why;
} base64_rejects[] = {
        { "QQ=", "length not a multiple of 4 (RFC 4648 §3.2)" },
        { "QQ", "padding missing" },
        { "Q===", "three pad characters carry no whole byte" },
        { "====", "padding only" },
        { "QR==", "non-zero pad bits (RFC 4648 §3.5)" },
        { "Zm9=", "non-zero pad bits before one '='" },
        { "Q=Q=", "'=' in the middle of a group" },
        { "Zg=A", "'=' followed by a letter" },
        { "Zg==Zg==", "padding before the end" },
        { "=Zm9", "leading '='" },
        { "Zm9v YmFy", "space inside" },
        { "Zm9vYmFy\r\n", "line break at the end (RFC 4648 §3.1)" },
        { "Zm9v\tYmF", "tab inside" },
        { "Zm9-", "URL-safe alphabet (RFC 4648 §5) is not ours" },
        { "Zm9_", "URL-safe alphabet" },
        { "Zm9\xc3\xa9", "8-bit bytes" },
        { "Zm9.", "punctuation" },
};

START_TEST(test_base64_strict_rejects)
{
        const char *in = base64_rejects[_i].input;
        char out[64];
        size_t len = 42;
        ck_assert_msg(!base64_decode(in, strlen(in), out, sizeof out, &len), "accepted: %s",
                      base64_rejects[_i].why);
        ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(test_base64_output_too_small)
{
        char out[8];
        size_t len = 0;
        ck_assert(!base64_decode("Zm9vYmFy", 8, out, 5, &len));
        ck_assert(!base64_decode("Zm9vYmE=", 8, out, 4, &len));
        ck_assert(!base64_decode("Zg==", 4, out, 0, &len));
        ck_assert(base64_decode("Zm9vYmE=", 8, out, 5, &len));
        ck_assert_uint_eq(len, 5);
}
END_TEST

START_TEST(test_base64_embedded_nul_is_data)
{
        /* SASL PLAIN (RFC 4616 §2) carries NULs inside the decoded bytes. */
        char encoded[BASE64_ENCODED_SIZE(9)], out[16];
        size_t len = 0;
        base64_encode("\0tim\0pass", 9, encoded);
        ck_assert_str_eq(encoded, "AHRpbQBwYXNz");
        ck_assert(base64_decode(encoded, strlen(encoded), out, sizeof out, &len));
        ck_assert_uint_eq(len, 9);
        ck_assert(memcmp(out, "\0tim\0pass", 9) == 0);
}
END_TEST

Suite *base64_suite(void)
{
        Suite *suite = suite_create("base64");
        TCase *tc = tcase_create("rfc4648");
        tcase_set_timeout(tc, 30);
        tcase_add_loop_test(tc, test_base64_encode_rfc4648_vectors, 0,
                            (int)COUNT(base64_vectors));
        tcase_add_loop_test(tc, test_base64_decode_rfc4648_vectors, 0,
                            (int)COUNT(base64_vectors));
        tcase_add_test(tc, test_base64_round_trip_all_bytes);
        tcase_add_loop_test(tc, test_base64_strict_rejects, 0, (int)COUNT(base64_rejects));
        tcase_add_test(tc, test_base64_output_too_small);
        tcase_add_test(tc, test_base64_embedded_nul_is_data);
        suite_add_tcase(suite, tc);
        return suite;
}
