/* SPDX-License-Identifier: MIT
 *
 * check_md5.c - common/md5 against RFC 1321 §A.5 and the APOP example of
 * RFC 1939 §7, fed whole, one byte at a time and split at every position;
 * plus the padding boundaries (55, 56, 64 bytes ...), where an off-by-one
 * in RFC 1321 §3.1 shows.
 */
#include <check.h>
#include <string.h>

#include "common/md5.h"
#include "tests/vectors/apop_vectors.h"
#include "tests/vectors/md5_vectors.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void digest_hex_of(const struct md5_context *done_ctx, char hex[33])
{
        struct md5_context ctx = *done_ctx;
        unsigned char digest[MD5_DIGEST_SIZE];
        md5_final(&ctx, digest);
        md5_hex(digest, hex);
}

START_TEST(test_md5_rfc1321_vectors_whole)
{
        const struct md5_vector *v = &md5_vectors[_i];
        unsigned char digest[MD5_DIGEST_SIZE];
        char hex[33];
        md5(v->message, strlen(v->message), digest);
        md5_hex(digest, hex);
        ck_assert_msg(strcmp(hex, v->digest_hex) == 0, "%s \"%s\": got %s", v->rfc,
                      v->message, hex);
}
END_TEST

START_TEST(test_md5_rfc1321_vectors_byte_at_a_time)
{
        const struct md5_vector *v = &md5_vectors[_i];
        struct md5_context ctx;
        char hex[33];
        md5_init(&ctx);
        for (size_t i = 0; v->message[i] != '\0'; i++)
                md5_update(&ctx, v->message + i, 1);
        digest_hex_of(&ctx, hex);
        ck_assert_str_eq(hex, v->digest_hex);
}
END_TEST

START_TEST(test_md5_rfc1321_vectors_split_everywhere)
{
        const struct md5_vector *v = &md5_vectors[_i];
        size_t len = strlen(v->message);
        for (size_t split = 0; split <= len; split++) {
                struct md5_context ctx;
                char hex[33];
                md5_init(&ctx);
                md5_update(&ctx, v->message, split);
                md5_update(&ctx, v->message + split, len - split);
                digest_hex_of(&ctx, hex);
                ck_assert_msg(strcmp(hex, v->digest_hex) == 0, "split at %zu", split);
        }
}
END_TEST

/* Digests of n times "a", from Python's hashlib: the lengths around the
 * 56-byte padding boundary and whole blocks. */
static const struct {
        size_t length;
        const char *digest_hex;
} md5_boundaries[] = {
        { 55, "ef1772b6dff9a122358552954ad0df65" },
        { 56, "3b0c8ac703f828b04c6c197006d17218" },
        { 57, "652b906d60af96844ebd21b674f35e93" },
        { 63, "b06521f39153d618550606be297466d5" },
        { 64, "014842d480b571495a4a0363793f7367" },
        { 65, "c743a45e0d2e6a95cb859adae0248435" },
        { 119, "8a7bd0732ed6a28ce75f6dabc90e1613" },
        { 120, "5f61c0ccad4cac44c75ff505e1f1e537" },
        { 128, "e510683b3f5ffe4093d021808bc6ff70" },
        { 1000, "cabe45dcc9ae5b66ba86600cca6b8ba8" },
};

START_TEST(test_md5_padding_boundaries)
{
        char message[1000];
        unsigned char digest[MD5_DIGEST_SIZE];
        char hex[33];
        memset(message, 'a', sizeof message);
        md5(message, md5_boundaries[_i].length, digest);
        md5_hex(digest, hex);
        ck_assert_msg(strcmp(hex, md5_boundaries[_i].digest_hex) == 0, "length %zu: %s",
                      md5_boundaries[_i].length, hex);
}
END_TEST

START_TEST(test_md5_apop_example)
{
        /* RFC 1939 §7: the APOP digest is MD5 over the greeting's timestamp
         * immediately followed by the shared secret. */
        const struct apop_vector *v = &apop_vectors[_i];
        struct md5_context ctx;
        char hex[33];
        md5_init(&ctx);
        md5_update(&ctx, v->timestamp, strlen(v->timestamp));
        md5_update(&ctx, v->secret, strlen(v->secret));
        digest_hex_of(&ctx, hex);
        ck_assert_msg(strcmp(hex, v->digest_hex) == 0, "%s: got %s", v->rfc, hex);
}
END_TEST

START_TEST(test_md5_hex_is_lower_case)
{
        unsigned char digest[MD5_DIGEST_SIZE];
        char hex[33];
        memset(digest, 0xab, sizeof digest);
        hex[32] = 'x';
        md5_hex(digest, hex);
        ck_assert_str_eq(hex, "abababababababababababababababab");
        ck_assert_int_eq(hex[32], '\0');
}
END_TEST

Suite *md5_suite(void)
{
        Suite *suite = suite_create("md5");
        TCase *tc = tcase_create("rfc1321");
        tcase_set_timeout(tc, 30);
        tcase_add_loop_test(tc, test_md5_rfc1321_vectors_whole, 0, (int)COUNT(md5_vectors));
        tcase_add_loop_test(tc, test_md5_rfc1321_vectors_byte_at_a_time, 0,
                            (int)COUNT(md5_vectors));
        tcase_add_loop_test(tc, test_md5_rfc1321_vectors_split_everywhere, 0,
                            (int)COUNT(md5_vectors));
        tcase_add_loop_test(tc, test_md5_padding_boundaries, 0, (int)COUNT(md5_boundaries));
        tcase_add_loop_test(tc, test_md5_apop_example, 0, (int)COUNT(apop_vectors));
        tcase_add_test(tc, test_md5_hex_is_lower_case);
        suite_add_tcase(suite, tc);
        return suite;
}
