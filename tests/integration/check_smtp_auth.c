/* SPDX-License-Identifier: MIT
 *
 * check_smtp_auth.c - SMTP AUTH (RFC 4954) against the real daemon: each
 * mechanism right and wrong, with and without an initial response, cancel,
 * bad base64, the sequence rules, the failure limit, plaintext_auth = no,
 * the submission port, ESMTPA in Received: and the masked transcript.
 *
 * Harness users: student {PLAIN}student, alice {CRYPT} of "secret",
 * bob {PLAIN}bobpass.
 *
 * Standards:  RFC 4954 §4, RFC 4954 §5, RFC 4954 §6, RFC 4616 §2, RFC 2195 §2,
 *             RFC 6409 §4.3, RFC 3848 §1
 */
#include "common/base64.h"
#include "common/hmac.h"
#include "tests/integration/check_smtp.h"

/* base64 of raw[0..len) into out (BASE64_ENCODED_SIZE(len) bytes). */
static const char *b64(const void *raw, size_t len, char *out)
{
        base64_encode(raw, len, out);
        return out;
}

/* PLAIN's message: authzid NUL authcid NUL password (RFC 4616 §2). */
static const char *plain_response(const char *user, const char *password, char *out)
{
        char raw[256];
        size_t len = (size_t)snprintf(raw, sizeof raw, "%c%s%c%s", 0, user, 0, password);
        return b64(raw, len, out);
}

/* Answer a 334 CRAM-MD5 challenge in c->last (RFC 2195 §2). */
static const char *cram_response(const struct client *c, const char *user,
                                 const char *secret, char *out)
{
        char challenge[512];
        size_t challenge_len = 0;
        const char *encoded = c->last + 4;
        size_t encoded_len = strcspn(encoded, "\r\n");
        ck_assert(base64_decode(encoded, encoded_len, challenge, sizeof challenge,
                                &challenge_len));
        unsigned char digest[MD5_DIGEST_SIZE];
        hmac_md5(secret, strlen(secret), challenge, challenge_len, digest);
        char raw[256];
        size_t len = (size_t)snprintf(raw, sizeof raw, "%s ", user);
        for (size_t i = 0; i < MD5_DIGEST_SIZE; i++)
                len += (size_t)snprintf(raw + len, sizeof raw - len, "%02x", digest[i]);
        return b64(raw, len, out);
}

enum auth_way { PLAIN_IR, PLAIN_NO_IR, LOGIN_NO_IR, LOGIN_IR, CRAM };

static const struct {
        enum auth_way way;
        const char *user;
        const char *password;
        int expected;
} auth_cases[] = {
        { PLAIN_IR, "student", "student", 235 },
        { PLAIN_IR, "student", "wrong", 535 },
        { PLAIN_IR, "alice", "secret", 235 },       /* {CRYPT} user */
        { PLAIN_IR, "nobody", "secret", 535 },
        { PLAIN_NO_IR, "bob", "bobpass", 235 },
        { PLAIN_NO_IR, "bob", "bobpas", 535 },
        { LOGIN_NO_IR, "alice", "secret", 235 },
        { LOGIN_NO_IR, "alice", "Secret", 535 },
        { LOGIN_IR, "student", "student", 235 },
        { LOGIN_IR, "student", "", 535 },
        { CRAM, "bob", "bobpass", 235 },
        { CRAM, "bob", "wrong", 535 },
        { CRAM, "alice", "secret", 535 },           /* {CRYPT}: cannot use CRAM-MD5 */
};

START_TEST(test_auth_mechanisms)
{
        struct harness h;
        char encoded[512];
        const char *user = auth_cases[_i].user, *password = auth_cases[_i].password;

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        int code = -1;
        switch (auth_cases[_i].way) {
        case PLAIN_IR:
                code = client_smtp_command(c, "AUTH PLAIN %s",
                                           plain_response(user, password, encoded));
                break;
        case PLAIN_NO_IR:
                ck_assert_int_eq(client_smtp_command(c, "AUTH PLAIN"), 334);
                /* RFC 4954 §4: an empty challenge is "334 " and nothing. */
                ck_assert_str_eq(c->last, "334 \r\n");
                code = client_smtp_command(c, "%s", plain_response(user, password, encoded));
                break;
        case LOGIN_NO_IR:
                ck_assert_int_eq(client_smtp_command(c, "AUTH LOGIN"), 334);
                ck_assert_str_eq(c->last, "334 VXNlcm5hbWU6\r\n");
                ck_assert_int_eq(client_smtp_command(c, "%s", b64(user, strlen(user), encoded)),
                                 334);
                ck_assert_str_eq(c->last, "334 UGFzc3dvcmQ6\r\n");
                code = client_smtp_command(c, "%s", b64(password, strlen(password), encoded));
                break;
        case LOGIN_IR:
                ck_assert_int_eq(client_smtp_command(c, "AUTH LOGIN %s",
                                                     b64(user, strlen(user), encoded)), 334);
                ck_assert_str_eq(c->last, "334 UGFzc3dvcmQ6\r\n");
                code = client_smtp_command(c, "%s", password[0] != '\0'
                                           ? b64(password, strlen(password), encoded) : "=");
                break;
        case CRAM:
                ck_assert_int_eq(client_smtp_command(c, "AUTH CRAM-MD5"), 334);
                code = client_smtp_command(c, "%s", cram_response(c, user, password, encoded));
                break;
        }
        ck_assert_msg(code == auth_cases[_i].expected, "case %d: %s", _i, c->last);
        if (code == 235)
                ck_assert_str_eq(c->last, "235 2.7.0 Authentication successful\r\n");
        else
                ck_assert(smtp_test_last_has(c, "535 5.7.8 "));
        ck_assert_int_eq(client_smtp_command(c, "NOOP"), 250);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* The protocol errors around the exchange. */
START_TEST(test_auth_protocol_errors)
{
        struct harness h;
        char encoded[512];

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_connect(&h);
        /* Only after EHLO. */
        ck_assert_int_eq(client_smtp_command(c, "AUTH PLAIN"), 503);
        ck_assert_int_eq(client_smtp_command(c, "HELO client.example.test"), 250);
        ck_assert_int_eq(client_smtp_command(c, "AUTH PLAIN"), 503);
        ck_assert_int_eq(client_smtp_command(c, "EHLO client.example.test"), 250);
        /* Unknown mechanism. */
        ck_assert_int_eq(client_smtp_command(c, "AUTH GSSAPI"), 504);
        ck_assert(smtp_test_last_has(c, "504 5.5.4 "));
        /* "*" cancels, at the first challenge and as an initial response. */
        ck_assert_int_eq(client_smtp_command(c, "AUTH LOGIN"), 334);
        ck_assert_int_eq(client_smtp_command(c, "*"), 501);
        ck_assert(smtp_test_last_has(c, "501 5.0.0 "));
        ck_assert_int_eq(client_smtp_command(c, "AUTH PLAIN *"), 501);
        /* Bad base64, on the line and in a continuation. */
        ck_assert_int_eq(client_smtp_command(c, "AUTH PLAIN !!!!"), 501);
        ck_assert(smtp_test_last_has(c, "501 5.5.2 "));
        ck_assert_int_eq(client_smtp_command(c, "AUTH PLAIN"), 334);
        ck_assert_int_eq(client_smtp_command(c, "AGFsaWNl=AHNlY3JldA"), 501);
        /* "=" is an empty initial response: PLAIN then fails as malformed
         * or as wrong credentials, never succeeds. */
        int code = client_smtp_command(c, "AUTH PLAIN =");
        ck_assert(code == 501 || code == 535);
        /* Not inside a transaction. */
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<a@localhost>"), 250);
        ck_assert_int_eq(client_smtp_command(c, "AUTH PLAIN %s",
                                             plain_response("bob", "bobpass", encoded)), 503);
        ck_assert_int_eq(client_smtp_command(c, "RSET"), 250);
        /* Success, then a second AUTH is 503. */
        ck_assert_int_eq(client_smtp_command(c, "AUTH PLAIN %s",
                                             plain_response("bob", "bobpass", encoded)), 235);
        ck_assert_int_eq(client_smtp_command(c, "AUTH PLAIN %s",
                                             plain_response("bob", "bobpass", encoded)), 503);
        ck_assert(smtp_test_last_has(c, "503 5.5.1 "));
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* After smtp_auth_failures_max failures: 421 4.7.0 and the end. */
START_TEST(test_auth_failures_disconnect)
{
        struct harness h;
        char encoded[512];

        smtp_test_start(&h, "smtp_auth_failures_max = 3\n", 0);
        struct client *c = smtp_test_session(&h);
        plain_response("student", "guess", encoded);
        ck_assert_int_eq(client_smtp_command(c, "AUTH PLAIN %s", encoded), 535);
        ck_assert_int_eq(client_smtp_command(c, "AUTH PLAIN %s", encoded), 535);
        ck_assert_int_eq(client_smtp_command(c, "AUTH PLAIN %s", encoded), 421);
        ck_assert(smtp_test_last_has(c, "421 4.7.0 "));
        ck_assert(client_wait_closed(c));
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* The failure delay sleeps only the failing session's thread: while it
 * waits, another session is served (no time is asserted). */
START_TEST(test_auth_failure_delay_does_not_block_others)
{
        struct harness h;
        char encoded[512];

        smtp_test_start(&h, "auth_failure_delay_ms = 3000\n", 0);
        struct client *slow = smtp_test_session(&h);
        plain_response("student", "guess", encoded);
        ck_assert_int_eq(client_sendf(slow, "AUTH PLAIN %s", encoded), 0);
        /* While the first session sleeps, another one is served. */
        struct client *other = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(other, "NOOP"), 250);
        ck_assert_int_eq(client_smtp_reply(slow), 535);
        smtp_test_close(other);
        smtp_test_close(slow);
        harness_cleanup(&h);
}
END_TEST

/* plaintext_auth = no: PLAIN and LOGIN are not offered and answer 538. */
START_TEST(test_plaintext_auth_disabled)
{
        struct harness h;

        smtp_test_start(&h, "plaintext_auth = no\n", 0);
        struct client *c = smtp_test_session(&h);
        ck_assert(smtp_test_last_has(c, "\r\n250 AUTH CRAM-MD5\r\n"));
        ck_assert_int_eq(client_smtp_command(c, "AUTH PLAIN AHN0dWRlbnQAc3R1ZGVudA=="), 538);
        ck_assert(smtp_test_last_has(c, "538 5.7.11 "));
        ck_assert_int_eq(client_smtp_command(c, "AUTH LOGIN"), 538);
        ck_assert_int_eq(client_smtp_command(c, "AUTH CRAM-MD5"), 334);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* Only configured mechanisms are offered and accepted. */
START_TEST(test_mechanisms_configurable)
{
        struct harness h;

        smtp_test_start(&h, "auth_mechanisms = PLAIN\n", 0);
        struct client *c = smtp_test_session(&h);
        ck_assert(smtp_test_last_has(c, "\r\n250 AUTH PLAIN\r\n"));
        ck_assert_int_eq(client_smtp_command(c, "AUTH CRAM-MD5"), 504);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* RFC 6409 §4.3: the submission port wants AUTH before MAIL; afterwards
 * the message is stored with "with ESMTPA" (RFC 3848 §1). */
START_TEST(test_submission_requires_auth)
{
        struct harness h;
        char encoded[512];

        smtp_test_start(&h, NULL, 0);
        ck_assert_uint_ne(h.submission_port, 0);
        struct client *c = smtp_test_connect_port(h.submission_port);
        ck_assert_int_eq(client_smtp_command(c, "EHLO [127.0.0.1]"), 250);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<alice@localhost>"), 530);
        ck_assert_str_eq(c->last, "530 5.7.0 Authentication required\r\n");
        ck_assert_int_eq(client_smtp_command(c, "AUTH PLAIN %s",
                                             plain_response("alice", "secret", encoded)), 235);
        ck_assert_int_eq(smtp_test_send(c, "alice@localhost", "student@localhost",
                                        "Subject: submitted\r\n\r\nhi\r\n.\r\n"), 250);
        ck_assert_int_eq(smtp_test_wait_files(&h, "student", "new", 1), 1);
        size_t len;
        char *message = harness_read_message(&h, "student", "new", &len);
        ck_assert_ptr_nonnull(message);
        ck_assert_ptr_nonnull(strstr(message, "\tby localhost with ESMTPA id "));
        free(message);
        smtp_test_close(c);
        /* The MTA port takes mail for local users without AUTH. */
        c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<alice@localhost>"), 250);
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

/* SECURITY: secrets in the transcript. The initial response and every
 * continuation line are masked; the mechanism stays readable. */
START_TEST(test_transcript_masks_secrets)
{
        struct harness h;
        char encoded[512], user64[64], pass64[64];

        smtp_test_start(&h, NULL, 0);
        struct client *c = smtp_test_session(&h);
        plain_response("student", "student", encoded);
        ck_assert_int_eq(client_smtp_command(c, "AUTH PLAIN %s", encoded), 235);
        smtp_test_close(c);
        c = smtp_test_session(&h);
        ck_assert_int_eq(client_smtp_command(c, "AUTH LOGIN"), 334);
        ck_assert_int_eq(client_smtp_command(c, "%s", b64("alice", 5, user64)), 334);
        ck_assert_int_eq(client_smtp_command(c, "%s", b64("secret", 6, pass64)), 235);
        ck_assert_int_eq(client_smtp_command(c, "QUIT"), 221);
        ck_assert(client_wait_closed(c));
        ck_assert(harness_log_contains(&h, "C: AUTH PLAIN ****"));
        ck_assert(harness_log_contains(&h, "C: AUTH LOGIN"));
        ck_assert(!harness_log_contains(&h, encoded));
        ck_assert(!harness_log_contains(&h, pass64));
        ck_assert(!harness_log_contains(&h, user64));
        ck_assert(!harness_log_contains(&h, "secret"));
        smtp_test_close(c);
        harness_cleanup(&h);
}
END_TEST

Suite *smtp_auth_suite(void)
{
        Suite *suite = suite_create("smtp_auth");
        TCase *tc = tcase_create("mechanisms");

        tcase_set_timeout(tc, SMTP_TEST_TIMEOUT);
        tcase_add_loop_test(tc, test_auth_mechanisms, 0,
                            (int)(sizeof auth_cases / sizeof auth_cases[0]));
        tcase_add_test(tc, test_mechanisms_configurable);
        tcase_add_test(tc, test_plaintext_auth_disabled);
        suite_add_tcase(suite, tc);

        tc = tcase_create("protocol");
        tcase_set_timeout(tc, SMTP_TEST_TIMEOUT);
        tcase_add_test(tc, test_auth_protocol_errors);
        tcase_add_test(tc, test_auth_failures_disconnect);
        tcase_add_test(tc, test_auth_failure_delay_does_not_block_others);
        tcase_add_test(tc, test_transcript_masks_secrets);
        suite_add_tcase(suite, tc);

        tc = tcase_create("submission");
        tcase_set_timeout(tc, SMTP_TEST_TIMEOUT);
        tcase_add_test(tc, test_submission_requires_auth);
        suite_add_tcase(suite, tc);
        return suite;
}
