/* SPDX-License-Identifier: MIT
 *
 * auth.c - the AUTHORIZATION state: the greeting, USER and PASS, APOP, AUTH,
 * and the step into TRANSACTION.
 *
 * RFC 1939 §4: the client identifies itself with USER/PASS or APOP; RFC 5034
 * adds AUTH with a SASL mechanism (PLAIN, LOGIN, CRAM-MD5 from common/sasl).
 * Every way in ends in pop3_login(), which opens the maildrop: validate the
 * name for use as a path, create the Maildir if missing, take the lock
 * (RFC 1939 §4 asks for an exclusive lock; [IN-USE] of RFC 2449 §8.1.2 when
 * another session holds it), clean tmp/, scan the messages into the
 * session's snapshot. Every way out on bad credentials goes through
 * pop3_session_login_failed() in session.c: the same delay and the same
 * "-ERR [AUTH]" text for a wrong password, an unknown user and a mechanism
 * the user cannot use.
 *
 * APOP and CRAM-MD5 need the password in clear on the server ({PLAIN}
 * users): the price of never sending it over the wire. That trade-off is
 * the lesson of DESIGN.md §7.
 *
 * Standards:  RFC 1939 §4, RFC 1939 §7, RFC 1321 §3, RFC 5034 §4,
 *             RFC 4616 §2, RFC 2195 §2, RFC 2449 §8, RFC 3206 §5
 * Threads:    runs in the session's thread. users_* take the users table's
 *             read lock; maildir_lock() is the only other shared state.
 * Read next:  common/sasl.c (the mechanisms), pop3d/maildrop.c (the snapshot).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "common/base64.h"
#include "common/hmac.h"
#include "common/log.h"
#include "common/md5.h"
#include "common/sasl.h"
#include "common/text.h"
#include "common/users.h"
#include "maildir/maildir.h"
#include "pop3d/reply.h"
#include "pop3d/session.h"

/* RFC 1939 §7: "the POP3 server ... includes a timestamp in its banner
 * greeting. The syntax of the timestamp corresponds to the `msg-id' [of the
 * message format], and MUST be different each time the POP3 server issues a
 * banner greeting." pid, clock and the session number (unique in the process)
 * make it so. Without APOP the greeting carries no timestamp, which also
 * tells Thunderbird not to try APOP (THUNDERBIRD.md §2). */
void pop3_greeting(struct pop3_session *s)
{
        s->explain = "RFC 1939 §4";
        if (s->cfg->apop) {
                snprintf(s->timestamp, sizeof(s->timestamp), "<%ld.%lld.%lu@%s>",
                         (long)getpid(), (long long)time(NULL), s->id, s->cfg->hostname);
                pop3_reply_ok(s, "POP3 server ready %s", s->timestamp);
        } else {
                s->timestamp[0] = '\0';
                pop3_reply_ok(s, "POP3 server ready");
        }
}

/* Open user's maildrop and enter TRANSACTION, or answer why not. Called only
 * after the credentials were checked. */
static void pop3_login(struct pop3_session *s, const char *user, const char *how)
{
        const char *root = s->cfg->mail_root;
        struct maildir_list list;

        /* SECURITY: path traversal. The users file might hold a name that is
         * not safe as a directory name; it never reaches a path. */
        if (!maildir_user_valid(user)) {
                log_warn(s->id, "user name not usable as a Maildir name");
                pop3_reply_err(s, POP3_CODE_SYS_PERM, "Maildrop name not usable");
                return;
        }
        if (maildir_create(root, user) < 0) {
                log_err(s->id, "cannot create the Maildir of %s: %s", user, strerror(errno));
                pop3_reply_err(s, POP3_CODE_SYS_TEMP, "Cannot open maildrop");
                return;
        }
        /* RFC 1939 §4: "the POP3 server then acquires an exclusive-access
         * lock on the maildrop". flock() on a lock file works between the
         * threads of this daemon and other processes alike (DESIGN.md §5). */
        int lock_fd = maildir_lock(root, user);

        if (lock_fd == -2) {
                /* RFC 2449 §8.1.2: [IN-USE] - authenticated, but the maildrop
                 * is locked. We stay in AUTHORIZATION; the client may retry. */
                log_info(s->id, "%s: maildrop of %s is locked", how, user);
                pop3_reply_err(s, POP3_CODE_IN_USE, "Maildrop is locked by another session");
                return;
        }
        if (lock_fd < 0) {
                log_err(s->id, "cannot lock the Maildir of %s: %s", user, strerror(errno));
                pop3_reply_err(s, POP3_CODE_SYS_TEMP, "Cannot lock maildrop");
                return;
        }
        if (maildir_clean_tmp(root, user, time(NULL)) < 0)
                log_warn(s->id, "cannot clean tmp/ of %s: %s", user, strerror(errno));
        if (maildir_scan(root, user, &list) < 0) {
                log_err(s->id, "cannot scan the Maildir of %s: %s", user, strerror(errno));
                maildir_unlock(lock_fd);
                pop3_reply_err(s, POP3_CODE_SYS_TEMP, "Cannot read maildrop");
                return;
        }
        if (pop3_maildrop_init(&s->maildrop, &list) < 0) {
                log_err(s->id, "out of memory for %zu messages", list.count);
                maildir_list_free(&list);
                maildir_unlock(lock_fd);
                pop3_reply_err(s, POP3_CODE_SYS_TEMP, "Cannot read maildrop");
                return;
        }
        s->lock_fd = lock_fd;
        text_copy(s->login, sizeof(s->login), user);
        s->state = POP3_STATE_TRANSACTION;
        log_info(s->id, "%s logged in with %s, %zu messages, state AUTHORIZATION -> TRANSACTION",
                 user, how, s->maildrop.count);
        pop3_reply_ok(s, "Logged in, %zu messages", s->maildrop.count);
}

/* plaintext_auth = no turns off every mechanism that sends the password
 * itself: USER/PASS, PLAIN and LOGIN. */
static bool pop3_plaintext_refused(struct pop3_session *s)
{
        if (s->cfg->plaintext_auth)
                return false;
        pop3_reply_err(s, POP3_CODE_AUTH, "Plaintext authentication is disabled");
        return true;
}

/* RFC 1939 §7 USER: remember the name and always answer +OK. SECURITY: user
 * enumeration: RFC 1939 lets a server reject an unknown name here, but that
 * tells a stranger which names exist, so the answer comes only after PASS
 * and is the same for every failure. */
void pop3_cmd_user(struct pop3_session *s, const struct pop3_args *args)
{
        s->seen_user = false;
        if (pop3_plaintext_refused(s))
                return;
        text_copy(s->user, sizeof(s->user), args->values[0]);
        s->seen_user = true;
        pop3_reply_ok(s, "Send PASS");
}

/* RFC 1939 §7 PASS: "the POP3 server uses the argument pair from the USER
 * and PASS commands to determine if the client should be given access". The
 * argument is the rest of the line: "Since the PASS command has exactly one
 * argument, a POP3 server may treat spaces in the argument as part of the
 * password". */
void pop3_cmd_pass(struct pop3_session *s, const struct pop3_args *args)
{
        char *password = args->values[0];

        if (pop3_session_login_refused(s) || pop3_plaintext_refused(s)) {
                explicit_bzero(password, args->lengths[0]);
                return;
        }
        if (!s->seen_user) {
                explicit_bzero(password, args->lengths[0]);
                pop3_reply_err(s, POP3_CODE_NONE, "Send USER first");
                return;
        }
        /* RFC 1939 §7: after a failed PASS the client starts again with USER
         * or another command. */
        s->seen_user = false;
        users_reload_if_changed();
        bool is_valid = users_check_password(s->user, password);

        explicit_bzero(password, args->lengths[0]);
        if (is_valid)
                pop3_login(s, s->user, "USER/PASS");
        else
                pop3_session_login_failed(s, "USER/PASS");
}

/* RFC 1939 §7 APOP name digest: digest is the MD5 (RFC 1321 §3) of the
 * greeting's timestamp followed by the shared secret, in lower-case hex. */
void pop3_cmd_apop(struct pop3_session *s, const struct pop3_args *args)
{
        char secret[USER_SECRET_MAX + 1];
        char given[2 * MD5_DIGEST_SIZE + 1] = "";
        char expected[2 * MD5_DIGEST_SIZE + 1];
        unsigned char digest[MD5_DIGEST_SIZE];
        struct md5_context md5_ctx;

        s->seen_user = false;
        if (pop3_session_login_refused(s))
                return;
        if (s->timestamp[0] == '\0') {
                pop3_reply_err(s, POP3_CODE_NONE, "APOP is not offered by this server");
                return;
        }
        users_reload_if_changed();
        /* SECURITY: user enumeration: an unknown user and a {CRYPT} user get
         * an empty secret and the same MD5 work, so they fail like a wrong
         * digest, in the same time. */
        bool has_secret = users_plain_secret(args->values[0], secret, sizeof(secret));

        if (!has_secret)
                secret[0] = '\0';
        md5_init(&md5_ctx);
        md5_update(&md5_ctx, s->timestamp, strlen(s->timestamp));
        md5_update(&md5_ctx, secret, strlen(secret));
        md5_final(&md5_ctx, digest);
        md5_hex(digest, expected);
        explicit_bzero(secret, sizeof(secret));
        explicit_bzero(&md5_ctx, sizeof(md5_ctx));

        /* The RFC writes the digest in lower case; accept upper case too. */
        if (args->lengths[1] == 2 * MD5_DIGEST_SIZE) {
                for (size_t i = 0; i < 2 * MD5_DIGEST_SIZE; i++) {
                        char c = args->values[1][i];

                        given[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
                }
                given[2 * MD5_DIGEST_SIZE] = '\0';
        }
        bool is_valid = has_secret && args->lengths[1] == 2 * MD5_DIGEST_SIZE &&
                        hmac_equal(given, expected, 2 * MD5_DIGEST_SIZE);

        explicit_bzero(expected, sizeof(expected));
        if (is_valid)
                pop3_login(s, args->values[0], "APOP");
        else
                pop3_session_login_failed(s, "APOP");
}

/* The longest challenge a mechanism produces (struct sasl_session). */
#define POP3_SASL_CHALLENGE_SIZE sizeof(((struct sasl_session *)NULL)->challenge)

/* Send a SASL challenge: "+ " and its base64 (RFC 5034 §4). */
static void pop3_sasl_challenge(struct pop3_session *s, const char *challenge)
{
        char encoded[BASE64_ENCODED_SIZE(POP3_SASL_CHALLENGE_SIZE)];
        size_t len = strnlen(challenge, POP3_SASL_CHALLENGE_SIZE);

        base64_encode(challenge, len, encoded);
        pop3_reply_continue(s, encoded);
}

/* Decode a client response line (RFC 5034 §4) and give it to the mechanism.
 * Returns true when the exchange goes on (a new challenge was sent). */
static bool pop3_sasl_feed(struct pop3_session *s, struct sasl_session *sasl,
                           const char *line, size_t len)
{
        char challenge[POP3_SASL_CHALLENGE_SIZE + 1];
        size_t decoded_len;
        int decoded = sasl_decode_response(line, len, s->sasl_decoded, sizeof(s->sasl_decoded),
                                           &decoded_len);

        if (decoded == 0) {
                /* RFC 5034 §4: 'a line with a single "*"' cancels; the server
                 * "MUST reject the AUTH command by sending an -ERR reply". */
                pop3_reply_err(s, POP3_CODE_NONE, "Authentication cancelled");
                return false;
        }
        if (decoded < 0) {
                /* RFC 5034 §4: "If the server cannot Base64 decode any client
                 * response, it MUST reject the AUTH command". */
                pop3_reply_err(s, POP3_CODE_NONE, "Invalid base64 in response");
                return false;
        }
        enum sasl_result result = sasl_step(sasl, s->sasl_decoded, decoded_len, challenge,
                                            sizeof(challenge));

        explicit_bzero(s->sasl_decoded, decoded_len);
        switch (result) {
        case SASL_CONTINUE:
                pop3_sasl_challenge(s, challenge);
                return true;
        case SASL_SUCCESS:
                pop3_login(s, sasl->user, sasl_mechanism_name(sasl->mechanism));
                return false;
        case SASL_FAILURE:
                pop3_session_login_failed(s, sasl_mechanism_name(sasl->mechanism));
                return false;
        case SASL_MALFORMED:
                pop3_reply_err(s, POP3_CODE_NONE, "Malformed authentication response");
                return false;
        }
        return false;
}

/* RFC 5034 §4 AUTH mechanism [initial-response]. */
void pop3_cmd_auth(struct pop3_session *s, const struct pop3_args *args)
{
        enum sasl_mechanism mechanism;
        struct sasl_session sasl;

        s->seen_user = false;
        if (pop3_session_login_refused(s))
                return;
        if (!sasl_mechanism_from_name(args->values[0], &mechanism) ||
            !config_has_mechanism(s->cfg, sasl_mechanism_name(mechanism))) {
                /* RFC 5034 §4: "If the requested authentication mechanism is
                 * not supported, the server rejects the AUTH command". */
                pop3_reply_err(s, POP3_CODE_NONE, "Unsupported authentication mechanism");
                return;
        }
        if (mechanism != SASL_CRAM_MD5 && pop3_plaintext_refused(s))
                return;
        users_reload_if_changed();
        sasl_start(&sasl, mechanism, s->cfg->hostname);

        bool is_going_on;

        if (args->count == 2) {
                /* RFC 5034 §4: the initial response saves a round trip; "="
                 * stands for an empty one. CRAM-MD5 starts with the server's
                 * challenge, so a response before it makes no sense. */
                if (mechanism == SASL_CRAM_MD5) {
                        pop3_reply_err(s, POP3_CODE_NONE,
                                       "CRAM-MD5 does not take an initial response");
                        return;
                }
                is_going_on = pop3_sasl_feed(s, &sasl, args->values[1], args->lengths[1]);
        } else {
                pop3_sasl_challenge(s, sasl_first_challenge(&sasl));
                is_going_on = true;
        }
        while (is_going_on) {
                size_t len;
                bool is_too_long;

                if (!pop3_session_read_line(s, sizeof(s->line), &len, &is_too_long))
                        break;
                if (is_too_long) {
                        pop3_reply_err(s, POP3_CODE_NONE, "Line too long");
                        break;
                }
                trace_client_masked(s->id, s->line, len, 0);
                is_going_on = pop3_sasl_feed(s, &sasl, s->line, len);
                explicit_bzero(s->line, len);
        }
        explicit_bzero(&sasl, sizeof(sasl));
}
