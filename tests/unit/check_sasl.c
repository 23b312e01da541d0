/* SPDX-License-Identifier: MIT
 *
 * check_sasl.c - common/sasl: PLAIN (RFC 4616 §2) as a table of messages,
 * LOGIN's two steps, CRAM-MD5 (RFC 2195 §2) with the RFC's own example and
 * with {PLAIN} and {CRYPT} users, and sasl_decode_response() (RFC 4954 §4).
 */
#include <check.h>
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hmac.h"
#include "common/sasl.h"
#include "common/users.h"
#include "tests/vectors/apop_vectors.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static char dir[64];
static char users_path[128];

/* Users: tim (the RFC 2195 example, {PLAIN}), alice ({CRYPT} "wonderland"),
 * bob ({PLAIN} "builder"). */
static void setup(void)
{
        char err[256] = "";
        strcpy(dir, "/tmp/check_sasl.XX" "XXXX");      /* mkdtemp template */
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(users_path, sizeof users_path, "%s/users", dir);
        struct crypt_data *data = calloc(1, sizeof *data);
        ck_assert_ptr_nonnull(data);
        const char *hash = crypt_r("wonderland", "$6$rounds=1000$testsalt", data);
        ck_assert_ptr_nonnull(hash);
        FILE *f = fopen(users_path, "w");
        ck_assert_ptr_nonnull(f);
        fprintf(f, "tim:{PLAIN}tanstaaftanstaaf\nalice:{CRYPT}%s\nbob:{PLAIN}builder\n", hash);
        fclose(f);
        free(data);
        ck_assert_msg(users_init(users_path, "", err, sizeof err) == 0, "%s", err);
}

static void teardown(void)
{
        users_shutdown();
        unlink(users_path);
        rmdir(dir);
}

START_TEST(test_sasl_mechanism_names)
{
        enum sasl_mechanism m;
        ck_assert(sasl_mechanism_from_name("plain", &m) && m == SASL_PLAIN);
        ck_assert(sasl_mechanism_from_name("LOGIN", &m) && m == SASL_LOGIN);
        ck_assert(sasl_mechanism_from_name("Cram-Md5", &m) && m == SASL_CRAM_MD5);
        ck_assert(!sasl_mechanism_from_name("DIGEST-MD5", &m));
        ck_assert(!sasl_mechanism_from_name("", &m));
        ck_assert_str_eq(sasl_mechanism_name(SASL_CRAM_MD5), "CRAM-MD5");
}
END_TEST

/* ---- PLAIN ------------------------------------------------------------------ */

#define MSG(s) s, sizeof(s) - 1     /* a literal with NULs and its length */

static const struct {
        const char *message;
        size_t len;
        enum sasl_result result;
        const char *user;               /* after SASL_SUCCESS */
} plain_cases[] = {
        { MSG("\0tim\0tanstaaftanstaaf"), SASL_SUCCESS, "tim" },
        { MSG("tim\0tim\0tanstaaftanstaaf"), SASL_SUCCESS, "tim" },     /* authzid = authcid */
        { MSG("\0alice\0wonderland"), SASL_SUCCESS, "alice" },          /* {CRYPT} */
        { MSG("\0tim\0wrong"), SASL_FAILURE, NULL },
        { MSG("\0alice\0Wonderland"), SASL_FAILURE, NULL },
        { MSG("\0nobody\0tanstaaftanstaaf"), SASL_FAILURE, NULL },
        { MSG("bob\0tim\0tanstaaftanstaaf"), SASL_FAILURE, NULL },      /* authzid mismatch */
        { MSG("\0Tim\0tanstaaftanstaaf"), SASL_FAILURE, NULL },
        { MSG("\0tim\0tanstaaf\0tanstaaf"), SASL_MALFORMED, NULL },     /* three NULs */
        { MSG("\0\0tim\0tanstaaftanstaaf"), SASL_MALFORMED, NULL },
        { MSG("tim tanstaaftanstaaf"), SASL_MALFORMED, NULL },          /* no NUL */
        { MSG("\0tim tanstaaftanstaaf"), SASL_MALFORMED, NULL },        /* one NUL */
        { MSG("\0\0tanstaaftanstaaf"), SASL_MALFORMED, NULL },          /* empty authcid */
        { MSG("\0tim\0"), SASL_MALFORMED, NULL },                       /* empty passwd */
        { MSG(""), SASL_MALFORMED, NULL },
        { MSG("\0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\0x"),
          SASL_FAILURE, NULL },                                         /* name of 65 */
};

START_TEST(test_sasl_plain_table)
{
        struct sasl_session s;
        char challenge[64];
        sasl_start(&s, SASL_PLAIN, "mx.example.test");
        ck_assert_str_eq(sasl_first_challenge(&s), "");
        enum sasl_result r = sasl_step(&s, plain_cases[_i].message, plain_cases[_i].len,
                                       challenge, sizeof challenge);
        ck_assert_msg(r == plain_cases[_i].result, "row %d: %d", _i, (int)r);
        ck_assert_str_eq(s.user, plain_cases[_i].user != NULL ? plain_cases[_i].user : "");
}
END_TEST

START_TEST(test_sasl_plain_huge_input)
{
        struct sasl_session s;
        char challenge[64];
        size_t len = 100000;
        char *big = malloc(len);
        ck_assert_ptr_nonnull(big);
        memset(big, 'a', len);
        sasl_start(&s, SASL_PLAIN, "localhost");
        ck_assert_int_eq(sasl_step(&s, big, len, challenge, sizeof challenge), SASL_MALFORMED);
        /* Two NULs, but fields far beyond any name or secret. */
        big[0] = '\0';
        big[len / 2] = '\0';
        sasl_start(&s, SASL_PLAIN, "localhost");
        ck_assert_int_eq(sasl_step(&s, big, len, challenge, sizeof challenge), SASL_FAILURE);
        ck_assert_str_eq(s.user, "");
        free(big);
}
END_TEST

START_TEST(test_sasl_plain_second_step_is_malformed)
{
        struct sasl_session s;
        char challenge[64];
        sasl_start(&s, SASL_PLAIN, "localhost");
        ck_assert_int_eq(sasl_step(&s, MSG("\0tim\0wrong"), challenge, sizeof challenge),
                         SASL_FAILURE);
        ck_assert_int_eq(sasl_step(&s, MSG("\0tim\0tanstaaftanstaaf"), challenge,
                                   sizeof challenge), SASL_MALFORMED);
}
END_TEST

/* ---- LOGIN ------------------------------------------------------------------- */

static const struct {
        const char *user;
        const char *password;
        enum sasl_result result;
} login_cases[] = {
        { "tim", "tanstaaftanstaaf", SASL_SUCCESS },
        { "alice", "wonderland", SASL_SUCCESS },
        { "tim", "tanstaaf", SASL_FAILURE },
        { "nobody", "tanstaaftanstaaf", SASL_FAILURE },
        { "", "tanstaaftanstaaf", SASL_FAILURE },
        { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "x",
          SASL_FAILURE },
};

START_TEST(test_sasl_login_two_steps)
{
        struct sasl_session s;
        char challenge[64] = "";
        sasl_start(&s, SASL_LOGIN, "localhost");
        ck_assert_str_eq(sasl_first_challenge(&s), "Username:");
        /* The password is asked for whether or not the user exists. */
        ck_assert_int_eq(sasl_step(&s, login_cases[_i].user, strlen(login_cases[_i].user),
                                   challenge, sizeof challenge), SASL_CONTINUE);
        ck_assert_str_eq(challenge, "Password:");
        enum sasl_result r = sasl_step(&s, login_cases[_i].password,
                                       strlen(login_cases[_i].password), challenge,
                                       sizeof challenge);
        ck_assert_int_eq(r, login_cases[_i].result);
        ck_assert_str_eq(s.user, r == SASL_SUCCESS ? login_cases[_i].user : "");
        /* Nothing follows the password. */
        ck_assert_int_eq(sasl_step(&s, "x", 1, challenge, sizeof challenge), SASL_MALFORMED);
}
END_TEST

START_TEST(test_sasl_login_nul_is_malformed)
{
        struct sasl_session s;
        char challenge[64];
        sasl_start(&s, SASL_LOGIN, "localhost");
        ck_assert_int_eq(sasl_step(&s, MSG("tim\0x"), challenge, sizeof challenge),
                         SASL_MALFORMED);
}
END_TEST

/* ---- CRAM-MD5 -------------------------------------------------------------------- */

START_TEST(test_sasl_cram_md5_challenge_form)
{
        struct sasl_session a, b;
        sasl_start(&a, SASL_CRAM_MD5, "mx.example.test");
        sasl_start(&b, SASL_CRAM_MD5, "mx.example.test");
        const char *c = sasl_first_challenge(&a);
        size_t len = strlen(c);
        /* RFC 2195 §2: "<digits.timestamp@host>", different every time. */
        ck_assert_int_eq(c[0], '<');
        ck_assert_int_eq(c[len - 1], '>');
        ck_assert_ptr_nonnull(strstr(c, "@mx.example.test>"));
        ck_assert_uint_gt(strspn(c + 1, "0123456789"), 0);
        ck_assert_int_eq(c[1 + strspn(c + 1, "0123456789")], '.');
        ck_assert_str_ne(c, sasl_first_challenge(&b));
}
END_TEST

START_TEST(test_sasl_cram_md5_long_hostname_fits)
{
        struct sasl_session s;
        char host[400];
        memset(host, 'h', sizeof host - 1);
        host[sizeof host - 1] = '\0';
        sasl_start(&s, SASL_CRAM_MD5, host);
        size_t len = strlen(s.challenge);
        ck_assert_uint_lt(len, sizeof s.challenge);
        ck_assert_int_eq(s.challenge[len - 1], '>');
}
END_TEST

START_TEST(test_sasl_cram_md5_rfc2195_example)
{
        const struct cram_md5_vector *v = &cram_md5_vectors[_i];
        struct sasl_session s;
        char challenge[64], response[128];
        sasl_start(&s, SASL_CRAM_MD5, "postoffice.reston.mci.net");
        strcpy(s.challenge, v->challenge);      /* replay the RFC's exchange */
        snprintf(response, sizeof response, "%s %s", v->user, v->digest_hex);
        ck_assert_int_eq(sasl_step(&s, response, strlen(response), challenge,
                                   sizeof challenge), SASL_SUCCESS);
        ck_assert_str_eq(s.user, v->user);
}
END_TEST

/* The response a client with this secret would send to s's challenge. */
static void cram_response(const struct sasl_session *s, const char *user, const char *secret,
                          char *response, size_t size)
{
        unsigned char mac[MD5_DIGEST_SIZE];
        char hex[33];
        hmac_md5(secret, strlen(secret), s->challenge, strlen(s->challenge), mac);
        md5_hex(mac, hex);
        snprintf(response, size, "%s %s", user, hex);
}

static const struct {
        const char *user;
        const char *secret;
        enum sasl_result result;
} cram_cases[] = {
        { "bob", "builder", SASL_SUCCESS },
        { "bob", "Builder", SASL_FAILURE },
        { "tim", "builder", SASL_FAILURE },
        { "alice", "wonderland", SASL_FAILURE },        /* {CRYPT}: no shared secret */
        { "nobody", "", SASL_FAILURE },
        { "", "builder", SASL_FAILURE },                /* " <hex>": empty user name */
};

START_TEST(test_sasl_cram_md5_users)
{
        struct sasl_session s;
        char challenge[64], response[160];
        sasl_start(&s, SASL_CRAM_MD5, "localhost");
        cram_response(&s, cram_cases[_i].user, cram_cases[_i].secret, response, sizeof response);
        ck_assert_int_eq(sasl_step(&s, response, strlen(response), challenge, sizeof challenge),
                         cram_cases[_i].result);
        ck_assert_str_eq(s.user, cram_cases[_i].result == SASL_SUCCESS ? cram_cases[_i].user : "");
}
END_TEST

static const char *const cram_malformed[] = {
        "",
        "bob",
        "bob ",
        "bob B913A602C7EDA7A495B4E6E7334D3890",         /* upper-case hex */
        "bob b913a602c7eda7a495b4e6e7334d389",          /* 31 digits */
        "bob b913a602c7eda7a495b4e6e7334d38900",        /* 33 digits */
        "bob b913a602c7eda7a495b4e6e7334d389g",
        "bobb913a602c7eda7a495b4e6e7334d3890",
};

START_TEST(test_sasl_cram_md5_malformed)
{
        struct sasl_session s;
        char challenge[64];
        sasl_start(&s, SASL_CRAM_MD5, "localhost");
        ck_assert_int_eq(sasl_step(&s, cram_malformed[_i], strlen(cram_malformed[_i]), challenge,
                                   sizeof challenge), SASL_MALFORMED);
}
END_TEST

/* ---- sasl_decode_response ------------------------------------------------------------ */

static const struct {
        const char *line;
        int result;
        const char *decoded;
} decode_cases[] = {
        { "*", 0, "" },                 /* RFC 4954 §4: cancel */
        { "=", 1, "" },                 /* RFC 4954 §4: empty initial response */
        { "", 1, "" },
        { "dGlt", 1, "tim" },
        { "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw", 1,
          "tim b913a602c7eda7a495b4e6e7334d3890" },   /* RFC 2195 §2 */
        { "**", -1, "" },
        { "==", -1, "" },
        { "dGl", -1, "" },
        { "dGlt\r", -1, "" },
        { " dGlt", -1, "" },
};

START_TEST(test_sasl_decode_response_table)
{
        char out[64];
        size_t len = 99;
        int r = sasl_decode_response(decode_cases[_i].line, strlen(decode_cases[_i].line), out,
                                     sizeof out, &len);
        ck_assert_int_eq(r, decode_cases[_i].result);
        if (r == 1) {
                ck_assert_uint_eq(len, strlen(decode_cases[_i].decoded));
                ck_assert(memcmp(out, decode_cases[_i].decoded, len) == 0);
        }
}
END_TEST

START_TEST(test_sasl_decode_response_too_small)
{
        char out[4];
        size_t len;
        /* "dGlt" is 3 bytes; with the terminator it needs 4. */
        ck_assert_int_eq(sasl_decode_response("dGlt", 4, out, 3, &len), -1);
        ck_assert_int_eq(sasl_decode_response("dGlt", 4, out, 4, &len), 1);
        ck_assert_str_eq(out, "tim");
}
END_TEST

Suite *sasl_suite(void)
{
        Suite *suite = suite_create("sasl");
        TCase *tc = tcase_create("mechanisms");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_sasl_mechanism_names);
        tcase_add_loop_test(tc, test_sasl_plain_table, 0, (int)COUNT(plain_cases));
        tcase_add_test(tc, test_sasl_plain_huge_input);
        tcase_add_test(tc, test_sasl_plain_second_step_is_malformed);
        tcase_add_loop_test(tc, test_sasl_login_two_steps, 0, (int)COUNT(login_cases));
        tcase_add_test(tc, test_sasl_login_nul_is_malformed);
        tcase_add_test(tc, test_sasl_cram_md5_challenge_form);
        tcase_add_test(tc, test_sasl_cram_md5_long_hostname_fits);
        tcase_add_loop_test(tc, test_sasl_cram_md5_rfc2195_example, 0,
                            (int)COUNT(cram_md5_vectors));
        tcase_add_loop_test(tc, test_sasl_cram_md5_users, 0, (int)COUNT(cram_cases));
        tcase_add_loop_test(tc, test_sasl_cram_md5_malformed, 0, (int)COUNT(cram_malformed));
        suite_add_tcase(suite, tc);

        tc = tcase_create("decode");
        tcase_add_loop_test(tc, test_sasl_decode_response_table, 0, (int)COUNT(decode_cases));
        tcase_add_test(tc, test_sasl_decode_response_too_small);
        suite_add_tcase(suite, tc);
        return suite;
}
