/* SPDX-License-Identifier: MIT
 *
 * check_hmac.c - common/hmac: the seven HMAC-MD5 cases of RFC 2202 §2, the
 * CRAM-MD5 example of RFC 2195 §2, and hmac_equal() on equal and unequal
 * inputs (differences at the first and at the last byte).
 */
#include <check.h>
#include <string.h>

#include "common/hmac.h"
#include "tests/vectors/apop_vectors.h"
#include "tests/vectors/hmac_vectors.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Expand a vector's byte description into buffer; returns the length. */
static size_t bytes_of(const struct hmac_bytes *b, unsigned char *buffer, size_t size)
{
        if (b->text != NULL) {
                size_t len = strlen(b->text);
                ck_assert_uint_le(len, size);
                memcpy(buffer, b->text, len);
                return len;
        }
        ck_assert_uint_le(b->count, size);
        for (size_t i = 0; i < b->count; i++)
                buffer[i] = b->is_counting ? (unsigned char)(i + 1) : b->fill;
        return b->count;
}

START_TEST(test_hmac_rfc2202_vectors)
{
        const struct hmac_vector *v = &hmac_vectors[_i];
        unsigned char key[128], data[128], digest[MD5_DIGEST_SIZE];
        char hex[33];
        size_t key_len = bytes_of(&v->key, key, sizeof key);
        size_t data_len = bytes_of(&v->data, data, sizeof data);
        hmac_md5(key, key_len, data, data_len, digest);
        md5_hex(digest, hex);
        ck_assert_msg(strcmp(hex, v->digest_hex) == 0, "%s case %d: got %s", v->rfc,
                      v->test_case, hex);
}
END_TEST

START_TEST(test_hmac_cram_md5_example)
{
        const struct cram_md5_vector *v = &cram_md5_vectors[_i];
        unsigned char digest[MD5_DIGEST_SIZE];
        char hex[33];
        hmac_md5(v->secret, strlen(v->secret), v->challenge, strlen(v->challenge), digest);
        md5_hex(digest, hex);
        ck_assert_msg(strcmp(hex, v->digest_hex) == 0, "%s: got %s", v->rfc, hex);
}
END_TEST

START_TEST(test_hmac_empty_key_and_data)
{
        /* Not an RFC vector: checks only that the zero-length edges work and
         * differ from a one-byte key. */
        unsigned char a[MD5_DIGEST_SIZE], b[MD5_DIGEST_SIZE];
        hmac_md5("", 0, "", 0, a);
        hmac_md5("x", 1, "", 0, b);
        ck_assert(memcmp(a, b, sizeof a) != 0);
}
END_TEST

static const struct {
        const char *a;
        const char *b;
        size_t len;
        bool is_equal;
} equal_cases[] = {
        { "", "", 0, true },
        { "abcdef", "abcdef", 6, true },
        { "xbcdef", "abcdef", 6, false },     /* first byte differs */
        { "abcdex", "abcdef", 6, false },     /* last byte differs */
        { "abcdex", "abcdef", 5, true },      /* only len bytes are compared */
        { "\x80", "\x00", 1, false },         /* high bit */
};

START_TEST(test_hmac_equal_table)
{
        ck_assert_int_eq(hmac_equal(equal_cases[_i].a, equal_cases[_i].b, equal_cases[_i].len),
                         equal_cases[_i].is_equal);
}
END_TEST

Suite *hmac_suite(void)
{
        Suite *suite = suite_create("hmac");
        TCase *tc = tcase_create("rfc2202");
        tcase_set_timeout(tc, 30);
        tcase_add_loop_test(tc, test_hmac_rfc2202_vectors, 0, (int)COUNT(hmac_vectors));
        tcase_add_loop_test(tc, test_hmac_cram_md5_example, 0, (int)COUNT(cram_md5_vectors));
        tcase_add_test(tc, test_hmac_empty_key_and_data);
        tcase_add_loop_test(tc, test_hmac_equal_table, 0, (int)COUNT(equal_cases));
        suite_add_tcase(suite, tc);
        return suite;
}
