/* SPDX-License-Identifier: MIT
 *
 * sasl.c - the server side of three SASL mechanisms, as step functions.
 *
 * SMTP AUTH (RFC 4954 §4) and POP3 AUTH (RFC 5034 §4) share one exchange:
 * the server sends a challenge, the client answers, until the server
 * decides. Only the framing differs ("334 " or "+ "), so the daemons frame
 * and base64-code the lines and this file sees decoded bytes only:
 *
 *   PLAIN     one message: [authzid] NUL authcid NUL passwd (RFC 4616 §2).
 *             Its first challenge is empty, so the client usually sends the
 *             message at once as the initial response.
 *   LOGIN     "Username:", then "Password:" (draft-murchison-sasl-login,
 *             never an RFC, but every mail client still speaks it).
 *   CRAM-MD5  the server sends a unique msg-id, the client answers with its
 *             user name and HMAC-MD5(secret, challenge) in hex (RFC 2195 §2).
 *             The password never crosses the wire, but the server must keep
 *             it in the clear: only {PLAIN} users can use it (DESIGN.md §7).
 *
 * Passwords are copied into fixed buffers, used, and wiped before the step
 * returns; nothing here logs, so nothing here can log a secret.
 *
 * Standards:  RFC 4616 §2, RFC 2195 §2, RFC 4954 §4, RFC 5034 §4, RFC 4648 §4,
 *             RFC 2104 §2
 * Threads:    runs in the session's thread; the only shared state touched
 *             is the users table, through users.h, and a counter (atomic).
 * Read next:  common/users.c (the password checks), smtpd/ and pop3d/ auth
 *             code (the framing).
 */
#include "common/sasl.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/base64.h"
#include "common/hmac.h"
#include "common/text.h"
#include "common/users.h"

#define SASL_CRAM_DIGEST_HEX (2 * MD5_DIGEST_SIZE)

static const char sasl_login_user_prompt[] = "Username:";
static const char sasl_login_password_prompt[] = "Password:";

/* Overwrite a secret; explicit_bzero() is not dropped as a dead store. */
static void sasl_wipe(void *p, size_t len)
{
        explicit_bzero(p, len);
}

bool sasl_mechanism_from_name(const char *name, enum sasl_mechanism *mechanism_out)
{
        /* RFC 4954 §4: mechanism names are case-insensitive. */
        static const enum sasl_mechanism all[] = { SASL_PLAIN, SASL_LOGIN, SASL_CRAM_MD5 };
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
                if (text_casecmp(name, sasl_mechanism_name(all[i])) == 0) {
                        *mechanism_out = all[i];
                        return true;
                }
        }
        return false;
}

const char *sasl_mechanism_name(enum sasl_mechanism mechanism)
{
        switch (mechanism) {
        case SASL_PLAIN:
                return "PLAIN";
        case SASL_LOGIN:
                return "LOGIN";
        case SASL_CRAM_MD5:
                return "CRAM-MD5";
        }
        return "UNKNOWN";
}

/* 64 unpredictable bits for the CRAM-MD5 challenge. /dev/urandom is POSIX
 * enough and never blocks once the system is up; if it cannot be read we
 * fall back to the clock, the pid and a counter, which keep the challenge
 * unique (what RFC 2195 §2 requires) though no longer unpredictable. */
static unsigned long long sasl_random(void)
{
        static atomic_ulong counter;
        unsigned long long value = 0;
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                ssize_t got = read(fd, &value, sizeof value);
                close(fd);
                if (got == (ssize_t)sizeof value)
                        return value;
        }
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        return ((unsigned long long)now.tv_nsec * 1000003ULL) ^
               ((unsigned long long)getpid() << 32) ^ atomic_fetch_add(&counter, 1);
}

void sasl_start(struct sasl_session *s, enum sasl_mechanism mechanism, const char *hostname)
{
        memset(s, 0, sizeof *s);
        s->mechanism = mechanism;
        if (mechanism != SASL_CRAM_MD5)
                return;
        /* RFC 2195 §2: the challenge has the form of an RFC 5322 msg-id,
         * "<random digits.timestamp@fully-qualified host name>", and must
         * differ every time, so that a recorded answer cannot be replayed.
         * A host name too long for the buffer is cut rather than the
         * random part. */
        unsigned long long random = sasl_random();
        long long seconds = (long long)time(NULL);
        char numbers[48];
        int len = snprintf(numbers, sizeof numbers, "%llu.%lld", random, seconds);
        int room = (int)sizeof s->challenge - len - 4;   /* '<', '@', '>', NUL */
        snprintf(s->challenge, sizeof s->challenge, "<%s@%.*s>", numbers, room,
                 hostname != NULL && hostname[0] != '\0' ? hostname : "localhost");
}

const char *sasl_first_challenge(const struct sasl_session *s)
{
        switch (s->mechanism) {
        case SASL_PLAIN:
                /* RFC 4616 §2: the client speaks first; an empty challenge
                 * ("334 " / "+ ") invites it when it sent no initial response. */
                return "";
        case SASL_LOGIN:
                return sasl_login_user_prompt;
        case SASL_CRAM_MD5:
                return s->challenge;
        }
        return "";
}

/* PLAIN: the one and only message. */
static enum sasl_result sasl_step_plain(struct sasl_session *s, const char *in, size_t len)
{
        /* RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd.
         * Exactly two NULs; the fields are what lies between them. */
        const char *first = memchr(in, '\0', len);
        const char *second = first != NULL ? memchr(first + 1, '\0', len - (size_t)(first + 1 - in))
                                           : NULL;
        if (second == NULL || memchr(second + 1, '\0', len - (size_t)(second + 1 - in)) != NULL)
                return SASL_MALFORMED;

        const char *authzid = in;
        size_t authzid_len = (size_t)(first - in);
        const char *authcid = first + 1;
        size_t authcid_len = (size_t)(second - authcid);
        const char *passwd = second + 1;
        size_t passwd_len = len - (size_t)(passwd - in);

        /* RFC 4616 §2: authcid and passwd are 1*SAFE, so an empty one breaks
         * the syntax: MALFORMED (501 / -ERR), not a wrong password. */
        if (authcid_len == 0 || passwd_len == 0)
                return SASL_MALFORMED;
        /* RFC 4616 §2 (MUST) accepts up to 255 octets in each field; names
         * longer than ours and passwords longer than any stored secret can
         * only be wrong. */
        if (authcid_len > USER_NAME_MAX || passwd_len > USER_SECRET_MAX)
                return SASL_FAILURE;
        /* RFC 4616 §2: an authzid asks to act as someone else. We allow only
         * "yourself", so a different one fails whatever the password. */
        if (authzid_len > 0 &&
            (authzid_len != authcid_len || memcmp(authzid, authcid, authcid_len) != 0))
                return SASL_FAILURE;

        char user[USER_NAME_MAX + 1];
        char password[USER_SECRET_MAX + 1];
        memcpy(user, authcid, authcid_len);
        user[authcid_len] = '\0';
        memcpy(password, passwd, passwd_len);
        password[passwd_len] = '\0';
        bool is_valid = users_check_password(user, password);
        sasl_wipe(password, sizeof password);
        if (!is_valid)
                return SASL_FAILURE;
        memcpy(s->user, user, authcid_len + 1);
        return SASL_SUCCESS;
}

/* LOGIN: step 0 is the user name, step 1 the password. */
static enum sasl_result sasl_step_login(struct sasl_session *s, const char *in, size_t len,
                                        char *challenge_out, size_t challenge_size)
{
        if (memchr(in, '\0', len) != NULL)
                return SASL_MALFORMED;
        if (s->step == 0) {
                /* Ask for the password even when the name cannot exist, so
                 * the exchange does not tell which names are valid
                 * (SECURITY: user enumeration). An empty s->user marks such
                 * a name; it fails at the next step. */
                if (len <= USER_NAME_MAX) {
                        memcpy(s->user, in, len);
                        s->user[len] = '\0';
                }
                s->step = 1;
                if (!text_copy(challenge_out, challenge_size, sasl_login_password_prompt))
                        return SASL_MALFORMED;
                return SASL_CONTINUE;
        }
        if (s->step != 1)
                return SASL_MALFORMED;
        s->step = 2;
        if (len > USER_SECRET_MAX)
                return SASL_FAILURE;
        char password[USER_SECRET_MAX + 1];
        memcpy(password, in, len);
        password[len] = '\0';
        /* An empty name is nobody's: users_check_password() then does the
         * dummy work of an unknown user and says no. */
        bool is_valid = users_check_password(s->user, password) && s->user[0] != '\0';
        sasl_wipe(password, sizeof password);
        return is_valid ? SASL_SUCCESS : SASL_FAILURE;
}

/* CRAM-MD5: the single response "user SP digest". */
static enum sasl_result sasl_step_cram(struct sasl_session *s, const char *in, size_t len)
{
        /* RFC 2195 §2: the response is the user name, a space, and the
         * digest as 32 lower-case hex digits. We split at the last space,
         * since only the name could contain one. */
        const char *space = NULL;
        for (size_t i = len; i > 0; i--) {
                if (in[i - 1] == ' ') {
                        space = in + i - 1;
                        break;
                }
        }
        if (space == NULL || memchr(in, '\0', len) != NULL)
                return SASL_MALFORMED;
        const char *digest = space + 1;
        size_t digest_len = len - (size_t)(digest - in);
        if (digest_len != SASL_CRAM_DIGEST_HEX)
                return SASL_MALFORMED;
        for (size_t i = 0; i < digest_len; i++) {
                bool is_hex = (digest[i] >= '0' && digest[i] <= '9') ||
                              (digest[i] >= 'a' && digest[i] <= 'f');
                if (!is_hex)
                        return SASL_MALFORMED;
        }

        size_t user_len = (size_t)(space - in);
        char user[USER_NAME_MAX + 1] = "";
        if (user_len > 0 && user_len <= USER_NAME_MAX) {
                memcpy(user, in, user_len);
                user[user_len] = '\0';
        }
        /* Only a {PLAIN} user has the shared secret HMAC needs. For anyone
         * else (unknown, or {CRYPT}) we compute an HMAC with an empty key
         * and compare it all the same, so the answer takes as long
         * (SECURITY: user enumeration) and then fails. */
        char secret[USER_SECRET_MAX + 1];
        bool has_secret = user[0] != '\0' && users_plain_secret(user, secret, sizeof secret);
        if (!has_secret)
                secret[0] = '\0';

        /* RFC 2104 §2: the key is the secret, the text is the challenge. */
        unsigned char mac[MD5_DIGEST_SIZE];
        char expected[SASL_CRAM_DIGEST_HEX + 1];
        hmac_md5(secret, strlen(secret), s->challenge, strlen(s->challenge), mac);
        md5_hex(mac, expected);
        bool is_equal = hmac_equal(expected, digest, SASL_CRAM_DIGEST_HEX);
        sasl_wipe(secret, sizeof secret);
        sasl_wipe(mac, sizeof mac);
        sasl_wipe(expected, sizeof expected);
        if (!has_secret || !is_equal)
                return SASL_FAILURE;
        memcpy(s->user, user, user_len + 1);
        return SASL_SUCCESS;
}

enum sasl_result sasl_step(struct sasl_session *s, const char *in, size_t len,
                           char *challenge_out, size_t challenge_size)
{
        enum sasl_result result = SASL_MALFORMED;
        switch (s->mechanism) {
        case SASL_PLAIN:
                /* One message only; a second step means the daemon or the
                 * client lost track. */
                if (s->step++ == 0)
                        result = sasl_step_plain(s, in, len);
                break;
        case SASL_LOGIN:
                result = sasl_step_login(s, in, len, challenge_out, challenge_size);
                break;
        case SASL_CRAM_MD5:
                if (s->step++ == 0)
                        result = sasl_step_cram(s, in, len);
                break;
        }
        /* s->user names the authenticated user only after SASL_SUCCESS. */
        if (result == SASL_FAILURE || result == SASL_MALFORMED)
                s->user[0] = '\0';
        return result;
}

int sasl_decode_response(const char *line, size_t len, char *out, size_t out_size,
                         size_t *out_len_out)
{
        *out_len_out = 0;
        /* RFC 4954 §4, RFC 5034 §4: a single "*" cancels the exchange. */
        if (len == 1 && line[0] == '*')
                return 0;
        /* RFC 4954 §4: "=" is an initial response of zero length. An empty
         * line, as an answer to a challenge, is an empty response too. */
        if (len == 0 || (len == 1 && line[0] == '=')) {
                if (out_size > 0)
                        out[0] = '\0';
                return 1;
        }
        /* RFC 4954 §4: anything else must be valid base64 (RFC 4648 §4);
         * the decoder is strict. One byte is kept for a NUL terminator,
         * which the mechanisms do not need but callers printing a user
         * name do. */
        if (out_size == 0 || !base64_decode(line, len, out, out_size - 1, out_len_out))
                return -1;
        out[*out_len_out] = '\0';
        return 1;
}
