/* SPDX-License-Identifier: MIT
 *
 * check_pop3_thunderbird.c - the exact command sequences Thunderbird 153
 * sends (THUNDERBIRD.md, POP3 part), against the real pop3d.
 *
 * Each test replays one observed sequence: CAPA first, then AUTH PLAIN
 * with the empty "+ " continuation, USER/PASS, AUTH LOGIN, AUTH CRAM-MD5 or
 * APOP; STAT, LIST, UIDL; RETR and DELE per message; QUIT. The variants
 * are leave-on-server (a second session sees the same UIDLs), headers only
 * (TOP n 0), an empty maildrop, and a wrong password tried with three
 * mechanisms on one connection.
 *
 * Standards:  RFC 1939 §5, RFC 1939 §7, RFC 2449 §5, RFC 5034 §4, RFC 4616 §2,
 *             RFC 2195 §2, RFC 1321 §3
 * Threads:    Check's fork mode; each test starts its own daemon.
 * Read next:  check_pop3_commands.c (every command in every state).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_pop3.h"
#include "common/base64.h"
#include "common/hmac.h"
#include "common/md5.h"

static const char *const bodies[] = {
        "From: a@example.test\nSubject: one\n\nfirst message\n",
        "From: b@example.test\nSubject: two\n\nsecond\n.leading dot\n",
        "From: c@example.test\nSubject: three\n\nthird\n",
};
#define BODY_COUNT 3

static void deliver_three(struct harness *h)
{
        for (size_t i = 0; i < BODY_COUNT; i++)
                pop3t_deliver(h, "student", bodies[i], strlen(bodies[i]));
}

/* The LF-stored message as RETR must send it, unstuffed: CRLF line ends. */
static char *as_crlf(const char *text)
{
        char *out = malloc(2 * strlen(text) + 3);
        size_t len = 0;

        ck_assert_ptr_nonnull(out);
        for (const char *c = text; *c != '\0'; c++) {
                if (*c == '\n')
                        out[len++] = '\r';
                out[len++] = *c;
        }
        out[len] = '\0';
        return out;
}

/* CAPA as Thunderbird reads it: must list UIDL (THUNDERBIRD.md §4). */
static void capa(struct pop3t *p)
{
        ck_assert_int_eq(pop3t_command(p, "CAPA"), 1);
        char *list = pop3t_multiline(p, true, NULL, NULL);

        ck_assert_ptr_nonnull(strstr(list, "UIDL\r\n"));
        free(list);
}

static void auth_plain(struct pop3t *p, const char *user, const char *password, int expect)
{
        char response[512];

        /* THUNDERBIRD.md: no initial response; it waits for "+ ". */
        ck_assert_int_eq(pop3t_command(p, "AUTH PLAIN"), 2);
        ck_assert_str_eq(p->status, "+ ");
        pop3t_plain_response(user, password, response, sizeof(response));
        ck_assert_int_eq(pop3t_command(p, "%s", response), expect);
}

/* STAT, LIST, UIDL: returns the UIDL listing (malloc'd). */
static char *stat_list_uidl(struct pop3t *p, size_t messages)
{
        size_t count;
        unsigned long long total = 0;
        char expected[64];

        for (size_t i = 0; i < messages; i++) {
                char *crlf = as_crlf(bodies[i]);

                total += strlen(crlf);
                free(crlf);
        }
        ck_assert_int_eq(pop3t_command(p, "STAT"), 1);
        snprintf(expected, sizeof(expected), "+OK %zu %llu", messages, total);
        ck_assert_str_eq(p->status, expected);
        ck_assert_int_eq(pop3t_command(p, "LIST"), 1);
        char *list = pop3t_multiline(p, true, NULL, &count);

        ck_assert_uint_eq(count, messages);
        free(list);
        ck_assert_int_eq(pop3t_command(p, "UIDL"), 1);
        char *uidl = pop3t_multiline(p, true, NULL, &count);

        ck_assert_uint_eq(count, messages);
        return uidl;
}

static void retr_and_dele_all(struct pop3t *p, struct harness *h)
{
        for (size_t i = 0; i < BODY_COUNT; i++) {
                char *expected = as_crlf(bodies[i]);
                char status[64];
                size_t len;

                ck_assert_int_eq(pop3t_command(p, "RETR %zu", i + 1), 1);
                snprintf(status, sizeof(status), "+OK %zu octets", strlen(expected));
                ck_assert_str_eq(p->status, status);
                char *message = pop3t_multiline(p, true, &len, NULL);

                ck_assert_str_eq(message, expected);
                free(message);
                free(expected);
                ck_assert_int_eq(pop3t_command(p, "DELE %zu", i + 1), 1);
        }
        ck_assert_int_eq(pop3t_command(p, "QUIT"), 1);
        ck_assert(pop3t_closed(p));
        pop3t_close(p);
        ck_assert_int_eq(pop3t_count_messages(h, "student"), 0);
}

START_TEST(test_thunderbird_auth_plain_fetch_and_delete)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, NULL);
        deliver_three(&h);
        pop3t_connect(&p, h.port);
        capa(&p);
        auth_plain(&p, "student", "student", 1);
        free(stat_list_uidl(&p, BODY_COUNT));
        retr_and_dele_all(&p, &h);
        harness_cleanup(&h);
}
END_TEST

START_TEST(test_thunderbird_user_pass)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, NULL);
        deliver_three(&h);
        pop3t_connect(&p, h.port);
        capa(&p);
        ck_assert_int_eq(pop3t_command(&p, "USER student"), 1);
        ck_assert_int_eq(pop3t_command(&p, "PASS student"), 1);
        free(stat_list_uidl(&p, BODY_COUNT));
        retr_and_dele_all(&p, &h);
        harness_cleanup(&h);
}
END_TEST

/* A {CRYPT} user logs in with PLAIN too. */
START_TEST(test_thunderbird_auth_plain_crypt_user)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, NULL);
        pop3t_connect(&p, h.port);
        capa(&p);
        auth_plain(&p, "alice", "secret", 1);
        ck_assert_int_eq(pop3t_command(&p, "STAT"), 1);
        ck_assert_str_eq(p.status, "+OK 0 0");
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

START_TEST(test_thunderbird_auth_login)
{
        struct harness h;
        struct pop3t p;
        char encoded[64];

        pop3t_start(&h, NULL);
        deliver_three(&h);
        pop3t_connect(&p, h.port);
        capa(&p);
        /* THUNDERBIRD.md: "+ VXNlcm5hbWU6", user, "+ UGFzc3dvcmQ6", password. */
        ck_assert_int_eq(pop3t_command(&p, "AUTH LOGIN"), 2);
        ck_assert_str_eq(p.status, "+ VXNlcm5hbWU6");
        base64_encode("student", 7, encoded);
        ck_assert_int_eq(pop3t_command(&p, "%s", encoded), 2);
        ck_assert_str_eq(p.status, "+ UGFzc3dvcmQ6");
        base64_encode("student", 7, encoded);
        ck_assert_int_eq(pop3t_command(&p, "%s", encoded), 1);
        free(stat_list_uidl(&p, BODY_COUNT));
        retr_and_dele_all(&p, &h);
        harness_cleanup(&h);
}
END_TEST

START_TEST(test_thunderbird_auth_cram_md5)
{
        struct harness h;
        struct pop3t p;
        char challenge[512];
        size_t challenge_len;
        unsigned char digest[MD5_DIGEST_SIZE];
        char hex[2 * MD5_DIGEST_SIZE + 1];
        char response[256];
        char encoded[BASE64_ENCODED_SIZE(256)];

        pop3t_start(&h, NULL);
        deliver_three(&h);
        pop3t_connect(&p, h.port);
        capa(&p);
        ck_assert_int_eq(pop3t_command(&p, "AUTH CRAM-MD5"), 2);
        ck_assert(base64_decode(p.status + 2, strlen(p.status + 2), challenge,
                                sizeof(challenge) - 1, &challenge_len));
        challenge[challenge_len] = '\0';
        /* RFC 2195 §2: the challenge is a msg-id, "<...@host>". */
        ck_assert_msg(challenge[0] == '<' && strchr(challenge, '@') != NULL &&
                      challenge[challenge_len - 1] == '>', "challenge %s", challenge);
        hmac_md5("student", 7, challenge, challenge_len, digest);
        md5_hex(digest, hex);
        snprintf(response, sizeof(response), "student %s", hex);
        base64_encode(response, strlen(response), encoded);
        ck_assert_int_eq(pop3t_command(&p, "%s", encoded), 1);
        free(stat_list_uidl(&p, BODY_COUNT));
        retr_and_dele_all(&p, &h);
        harness_cleanup(&h);
}
END_TEST

/* RFC 1939 §7: digest = MD5(timestamp + secret) in lower-case hex. */
static void apop_digest(const char *greeting, const char *secret, char hex[33])
{
        const char *start = strchr(greeting, '<');
        const char *end = strchr(greeting, '>');
        struct md5_context ctx;
        unsigned char digest[MD5_DIGEST_SIZE];

        ck_assert(start != NULL && end != NULL && end > start);
        md5_init(&ctx);
        md5_update(&ctx, start, (size_t)(end - start + 1));
        md5_update(&ctx, secret, strlen(secret));
        md5_final(&ctx, digest);
        md5_hex(digest, hex);
}

/* THUNDERBIRD.md §2: with "Encrypted password", a CAPA without CRAM-MD5
 * and a timestamp in the greeting, Thunderbird sends APOP. */
START_TEST(test_thunderbird_apop)
{
        struct harness h;
        struct pop3t p;
        char greeting[1024];
        char hex[33];

        pop3t_start(&h, "auth_mechanisms = PLAIN LOGIN\n");
        deliver_three(&h);
        pop3t_connect(&p, h.port);
        snprintf(greeting, sizeof(greeting), "%s", p.status);
        ck_assert_int_eq(pop3t_command(&p, "CAPA"), 1);
        char *list = pop3t_multiline(&p, true, NULL, NULL);

        ck_assert_ptr_null(strstr(list, "CRAM-MD5"));
        ck_assert_ptr_nonnull(strstr(list, "SASL PLAIN LOGIN\r\n"));
        free(list);
        apop_digest(greeting, "student", hex);
        ck_assert_int_eq(pop3t_command(&p, "APOP student %s", hex), 1);
        free(stat_list_uidl(&p, BODY_COUNT));
        retr_and_dele_all(&p, &h);
        harness_cleanup(&h);
}
END_TEST

/* DESIGN.md §7: APOP needs a {PLAIN} user. A {CRYPT} user, an unknown user
 * and a wrong digest fail alike (SECURITY: user enumeration). */
START_TEST(test_apop_needs_plain_user)
{
        struct harness h;
        struct pop3t p;
        char greeting[1024];
        char hex[33];

        pop3t_start(&h, "pop3_auth_failures_max = 10\n");
        pop3t_connect(&p, h.port);
        snprintf(greeting, sizeof(greeting), "%s", p.status);
        apop_digest(greeting, "secret", hex);
        ck_assert_int_eq(pop3t_command(&p, "APOP alice %s", hex), 0);
        ck_assert_str_eq(p.status, "-ERR [AUTH] Authentication failed");
        apop_digest(greeting, "", hex);
        ck_assert_int_eq(pop3t_command(&p, "APOP nosuchuser %s", hex), 0);
        ck_assert_str_eq(p.status, "-ERR [AUTH] Authentication failed");
        apop_digest(greeting, "wrong", hex);
        ck_assert_int_eq(pop3t_command(&p, "APOP student %s", hex), 0);
        ck_assert_str_eq(p.status, "-ERR [AUTH] Authentication failed");
        ck_assert_int_eq(pop3t_command(&p, "APOP student short"), 0);
        ck_assert_str_eq(p.status, "-ERR [AUTH] Authentication failed");
        /* The digest in upper case is the same digest. */
        apop_digest(greeting, "student", hex);
        for (char *c = hex; *c != '\0'; c++)
                if (*c >= 'a' && *c <= 'f')
                        *c = (char)(*c - 'a' + 'A');
        ck_assert_int_eq(pop3t_command(&p, "APOP student %s", hex), 1);
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* apop = no: no timestamp in the greeting, and APOP is refused. */
START_TEST(test_apop_off_without_timestamp)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, "apop = no\n");
        pop3t_connect(&p, h.port);
        ck_assert_str_eq(p.status, "+OK POP3 server ready");
        ck_assert_int_eq(pop3t_command(&p, "APOP student 0123456789abcdef0123456789abcdef"), 0);
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* THUNDERBIRD.md "Leave on server": the first fetch retrieves without DELE,
 * later fetches only compare UIDLs; nothing may change in between. */
START_TEST(test_thunderbird_leave_on_server)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, NULL);
        deliver_three(&h);
        pop3t_connect(&p, h.port);
        capa(&p);
        auth_plain(&p, "student", "student", 1);
        char *first = stat_list_uidl(&p, BODY_COUNT);

        ck_assert_int_eq(pop3t_command(&p, "RETR 1"), 1);
        free(pop3t_multiline(&p, true, NULL, NULL));
        ck_assert_int_eq(pop3t_command(&p, "RETR 2"), 1);
        free(pop3t_multiline(&p, true, NULL, NULL));
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        ck_assert(pop3t_closed(&p));
        pop3t_close(&p);

        for (int fetch = 0; fetch < 2; fetch++) {
                pop3t_connect(&p, h.port);
                capa(&p);
                auth_plain(&p, "student", "student", 1);
                char *again = stat_list_uidl(&p, BODY_COUNT);

                ck_assert_str_eq(again, first);
                free(again);
                ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
                ck_assert(pop3t_closed(&p));
                pop3t_close(&p);
        }
        free(first);
        ck_assert_int_eq(pop3t_count_messages(&h, "student"), BODY_COUNT);
        harness_cleanup(&h);
}
END_TEST

/* THUNDERBIRD.md "Headers only": TOP n 0 for each message. */
START_TEST(test_thunderbird_headers_only)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, NULL);
        deliver_three(&h);
        pop3t_connect(&p, h.port);
        capa(&p);
        auth_plain(&p, "student", "student", 1);
        free(stat_list_uidl(&p, BODY_COUNT));
        for (size_t i = 0; i < BODY_COUNT; i++) {
                char *full = as_crlf(bodies[i]);
                char *blank = strstr(full, "\r\n\r\n");

                blank[4] = '\0';
                ck_assert_int_eq(pop3t_command(&p, "TOP %zu 0", i + 1), 1);
                char *top = pop3t_multiline(&p, true, NULL, NULL);

                ck_assert_str_eq(top, full);
                free(top);
                free(full);
        }
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        pop3t_close(&p);
        /* TOP does not mark anything read: all still in new/. */
        ck_assert_int_eq(harness_count_files(&h, "student", "new"), BODY_COUNT);
        harness_cleanup(&h);
}
END_TEST

/* THUNDERBIRD.md "Empty mailbox": CAPA, AUTH PLAIN, STAT (+OK 0 0), QUIT. */
START_TEST(test_thunderbird_empty_maildrop)
{
        struct harness h;
        struct pop3t p;

        pop3t_start(&h, NULL);
        pop3t_connect(&p, h.port);
        capa(&p);
        auth_plain(&p, "student", "student", 1);
        ck_assert_int_eq(pop3t_command(&p, "STAT"), 1);
        ck_assert_str_eq(p.status, "+OK 0 0");
        ck_assert_int_eq(pop3t_command(&p, "QUIT"), 1);
        ck_assert(pop3t_closed(&p));
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

/* THUNDERBIRD.md §3: with a wrong password Thunderbird tries AUTH PLAIN,
 * AUTH LOGIN and USER/PASS on one connection. With the default of three
 * failures, the third attempt still gets its -ERR [AUTH] before the close. */
START_TEST(test_thunderbird_wrong_password_three_mechanisms)
{
        struct harness h;
        struct pop3t p;
        char encoded[64];

        pop3t_start(&h, "pop3_auth_failures_max = 3\n");
        pop3t_connect(&p, h.port);
        capa(&p);
        auth_plain(&p, "student", "wrong", 0);
        ck_assert_str_eq(p.status, "-ERR [AUTH] Authentication failed");
        ck_assert_int_eq(pop3t_command(&p, "AUTH LOGIN"), 2);
        base64_encode("student", 7, encoded);
        ck_assert_int_eq(pop3t_command(&p, "%s", encoded), 2);
        base64_encode("wrong", 5, encoded);
        ck_assert_int_eq(pop3t_command(&p, "%s", encoded), 0);
        ck_assert_str_eq(p.status, "-ERR [AUTH] Authentication failed");
        ck_assert_int_eq(pop3t_command(&p, "USER student"), 1);
        ck_assert_int_eq(pop3t_command(&p, "PASS wrong"), 0);
        ck_assert_str_eq(p.status, "-ERR [AUTH] Authentication failed");
        ck_assert(pop3t_closed(&p));
        pop3t_close(&p);
        harness_cleanup(&h);
}
END_TEST

Suite *pop3_thunderbird_suite(void)
{
        Suite *suite = suite_create("pop3_thunderbird");
        TCase *tc = tcase_create("sequences");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_thunderbird_auth_plain_fetch_and_delete);
        tcase_add_test(tc, test_thunderbird_user_pass);
        tcase_add_test(tc, test_thunderbird_auth_plain_crypt_user);
        tcase_add_test(tc, test_thunderbird_auth_login);
        tcase_add_test(tc, test_thunderbird_auth_cram_md5);
        tcase_add_test(tc, test_thunderbird_apop);
        tcase_add_test(tc, test_apop_needs_plain_user);
        tcase_add_test(tc, test_apop_off_without_timestamp);
        tcase_add_test(tc, test_thunderbird_leave_on_server);
        tcase_add_test(tc, test_thunderbird_headers_only);
        tcase_add_test(tc, test_thunderbird_empty_maildrop);
        tcase_add_test(tc, test_thunderbird_wrong_password_three_mechanisms);
        suite_add_tcase(suite, tc);
        return suite;
}
