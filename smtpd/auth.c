/* SPDX-License-Identifier: MIT
 *
 * auth.c - the SMTP AUTH command (RFC 4954): SASL PLAIN, LOGIN and CRAM-MD5
 * over SMTP.
 *
 * The mechanisms themselves live in common/sasl, shared with pop3d; this
 * file does SMTP's framing around them. The client names a mechanism and may
 * add an initial response on the same line; each server challenge goes out
 * base64-encoded after "334 ", each client response comes back as one
 * base64 line, "*" cancels. The exchange ends with 235 (success), 535 (wrong
 * credentials, after a delay that slows password guessing) or a 5xx for a
 * protocol error. After smtp_auth_failures_max failures the session ends
 * with 421. Secrets never reach the transcript: the AUTH line is masked
 * after the mechanism name and every continuation line is masked whole,
 * and the buffers that held them are wiped.
 *
 * Standards:  RFC 4954 §4, RFC 4954 §6, RFC 4954 §9, RFC 4616 §2, RFC 2195 §2,
 *             RFC 4648 §4, RFC 3463 §3.8, RFC 5321 §4.2.2, RFC 5321 §4.5.3.2.7
 * Threads:    runs in the session's thread; the failure delay sleeps only
 *             this thread. The users table is read through common/users.
 * Read next:  common/sasl.c (the mechanisms), common/users.c (password checks).
 */
#include <string.h>
#include <time.h>
#include "common/base64.h"
#include "common/log.h"
#include "common/sasl.h"
#include "common/text.h"
#include "smtpd/reply.h"
#include "smtpd/session.h"

/* Decoded responses are at most 3/4 of the longest line. */
#define SMTP_AUTH_DECODED_MAX (SASL_LINE_MAX / 4 * 3 + 3)
/* The size of struct sasl_session's challenge: the longest we send. */
#define SMTP_AUTH_CHALLENGE_MAX 256

/* Overwrite a secret so that it does not linger in memory; volatile keeps
 * the compiler from dropping stores to a buffer that is about to die. */
static void smtp_auth_wipe(void *buffer, size_t len)
{
        volatile unsigned char *p = buffer;

        while (len-- > 0)
                *p++ = 0;
}

/* Wrong credentials or a malformed exchange: wait, count, answer. The
 * delay slows guessing without holding up anyone else (only this thread
 * sleeps). After the configured number of failures the client is most
 * likely guessing: RFC 4954 §4 lets us end the session, with 421 4.7.0. */
static void smtp_auth_failed(struct smtp_session *s, int code, const char *enhanced,
                             const char *text)
{
        struct timespec delay = {
                .tv_sec = s->cfg->auth_failure_delay_ms / 1000,
                .tv_nsec = (long)(s->cfg->auth_failure_delay_ms % 1000) * 1000000L,
        };

        while (nanosleep(&delay, &delay) != 0)
                continue;
        s->auth_failures++;
        if (s->cfg->smtp_auth_failures_max > 0 &&
            s->auth_failures >= s->cfg->smtp_auth_failures_max) {
                log_info(s->id, "too many authentication failures, closing");
                smtp_reply(s, 421, "4.7.0", "%s Too many authentication failures, closing",
                           s->cfg->hostname);
                s->is_closing = true;
                return;
        }
        smtp_reply(s, code, enhanced, "%s", text);
}

/* Send a challenge: "334 " and its base64 (RFC 4954 §4). An empty
 * challenge is "334 " with nothing after the space. */
static void smtp_auth_challenge(struct smtp_session *s, const char *challenge)
{
        char encoded[BASE64_ENCODED_SIZE(SMTP_AUTH_CHALLENGE_MAX)];
        size_t len = strlen(challenge);

        if (len > SMTP_AUTH_CHALLENGE_MAX)
                len = SMTP_AUTH_CHALLENGE_MAX;
        base64_encode(challenge, len, encoded);
        smtp_reply(s, 334, NULL, "%s", encoded);
        conn_flush(&s->conn);
}

/* Read one continuation line and decode it into decoded[size]. Returns 1
 * with *len_out set, or 0 after the reply that ends the exchange. */
static int smtp_auth_read_response(struct smtp_session *s, char *decoded, size_t size,
                                   size_t *len_out)
{
        size_t len = 0;
        enum conn_result result = conn_read_line(&s->conn, s->line, sizeof s->line, &len);

        switch (result) {
        case CONN_LINE:
                break;
        case CONN_TOO_LONG:
                /* RFC 4954 §4: 500 5.5.6 for an over-long exchange line. */
                smtp_reply(s, 500, "5.5.6", "Authentication exchange line is too long");
                return 0;
        case CONN_TIMEOUT:
                smtp_reply(s, 421, "4.4.2", "%s Timeout during AUTH, closing",
                           s->cfg->hostname);
                s->is_closing = true;
                return 0;
        case CONN_SHUTDOWN:
                smtp_reply(s, 421, "4.3.2", "%s Service shutting down", s->cfg->hostname);
                s->is_closing = true;
                return 0;
        default:
                s->is_closing = true;
                return 0;
        }
        /* SECURITY: credentials in the transcript. The whole line is masked. */
        trace_client_masked(s->id, s->line, len, 0);
        int decode = sasl_decode_response(s->line, len, decoded, size, len_out);
        smtp_auth_wipe(s->line, len);
        if (decode == 0) {
                /* RFC 4954 §4: "*" cancels; the server answers 501. */
                smtp_reply(s, 501, "5.0.0", "Authentication cancelled");
                return 0;
        }
        if (decode < 0) {
                /* RFC 4954 §4: a response that is not valid base64 is 501. */
                smtp_reply(s, 501, "5.5.2", "Invalid base64 in authentication response");
                return 0;
        }
        return 1;
}

/* The checks before an exchange starts. Returns false after replying. */
static bool smtp_auth_allowed(struct smtp_session *s, const char *name,
                              enum sasl_mechanism *mechanism_out)
{
        if (!config_smtp_extension_enabled(s->cfg, "AUTH") || s->cfg->mechanism_count == 0) {
                smtp_reply(s, 502, "5.5.1", "AUTH not available");
                return false;
        }
        /* RFC 4954 §4: AUTH belongs to the EHLO extension mechanism. */
        if (!s->seen_ehlo) {
                smtp_reply(s, 503, "5.5.1", "Send EHLO before AUTH");
                return false;
        }
        /* RFC 4954 §4 (MUST): after a successful AUTH, further AUTH commands
         * get 503. A flag, not a protocol state, so it is checked here. */
        if (s->user[0] != '\0') {
                smtp_reply(s, 503, "5.5.1", "Already authenticated");
                return false;
        }
        if (!sasl_mechanism_from_name(name, mechanism_out) ||
            !config_has_mechanism(s->cfg, sasl_mechanism_name(*mechanism_out))) {
                /* RFC 4954 §4: an unknown or unoffered mechanism is 504. */
                smtp_reply(s, 504, "5.5.4", "Unrecognized authentication type");
                return false;
        }
        /* RFC 4954 §6: 538 5.7.11 when the mechanism needs a secure channel.
         * We have none, so with plaintext_auth = no PLAIN and LOGIN, which
         * carry the password itself, are refused this way. */
        if (!smtp_mechanism_usable(s, sasl_mechanism_name(*mechanism_out))) {
                smtp_reply(s, 538, "5.7.11",
                           "Encryption required for requested authentication mechanism");
                return false;
        }
        return true;
}

/* Run the exchange; the response decoded so far is in decoded[0..len). */
static void smtp_auth_exchange(struct smtp_session *s, struct sasl_session *sasl,
                               char *decoded, size_t len)
{
        char challenge[SMTP_AUTH_CHALLENGE_MAX + 1];

        for (;;) {
                enum sasl_result result = sasl_step(sasl, decoded, len, challenge,
                                                    sizeof challenge);
                smtp_auth_wipe(decoded, len);
                switch (result) {
                case SASL_SUCCESS:
                        text_copy(s->user, sizeof s->user, sasl->user);
                        log_info(s->id, "authenticated as %s with %s", s->user,
                                 sasl_mechanism_name(sasl->mechanism));
                        smtp_reply(s, 235, "2.7.0", "Authentication successful");
                        return;
                case SASL_FAILURE: {
                        char shown[USER_NAME_MAX * 4 + 1];
                        log_info(s->id, "authentication with %s failed for \"%s\"",
                                 sasl_mechanism_name(sasl->mechanism),
                                 text_escape(shown, sizeof shown, sasl->user,
                                             strlen(sasl->user)));
                        smtp_auth_failed(s, 535, "5.7.8", "Authentication credentials invalid");
                        return;
                }
                case SASL_MALFORMED:
                        smtp_auth_failed(s, 501, "5.5.2", "Malformed authentication response");
                        return;
                case SASL_CONTINUE:
                default:
                        smtp_auth_challenge(s, challenge);
                        if (smtp_auth_read_response(s, decoded, SMTP_AUTH_DECODED_MAX,
                                                    &len) == 0)
                                return;
                        break;
                }
        }
}

void smtp_cmd_auth(struct smtp_session *s, char *args)
{
        char decoded[SMTP_AUTH_DECODED_MAX];
        struct sasl_session sasl;
        enum sasl_mechanism mechanism;
        size_t len = 0;

        /* "AUTH mechanism [initial-response]" (RFC 4954 §4). */
        char *response = strchr(args, ' ');
        if (response != NULL) {
                *response++ = '\0';
                while (*response == ' ')
                        response++;
        }
        if (!smtp_auth_allowed(s, args, &mechanism))
                goto out;

        memset(&sasl, 0, sizeof sasl);
        sasl_start(&sasl, mechanism, s->cfg->hostname);
        if (response != NULL && *response != '\0') {
                /* CRAM-MD5 starts with the server's challenge, so a response
                 * before it cannot be meant for it (RFC 2195 §2). */
                if (mechanism == SASL_CRAM_MD5) {
                        smtp_reply(s, 501, "5.5.4", "CRAM-MD5 takes no initial response");
                        goto out;
                }
                /* RFC 4954 §4: "=" is an empty initial response, "*" cancels. */
                int decode = sasl_decode_response(response, strlen(response), decoded,
                                                  sizeof decoded, &len);
                if (decode == 0) {
                        smtp_reply(s, 501, "5.0.0", "Authentication cancelled");
                        goto out;
                }
                if (decode < 0) {
                        smtp_reply(s, 501, "5.5.2", "Invalid base64 in initial response");
                        goto out;
                }
        } else {
                smtp_auth_challenge(s, sasl_first_challenge(&sasl));
                if (smtp_auth_read_response(s, decoded, sizeof decoded, &len) == 0)
                        goto out;
        }
        smtp_auth_exchange(s, &sasl, decoded, len);
out:
        smtp_auth_wipe(decoded, sizeof decoded);
        smtp_auth_wipe(&sasl, sizeof sasl);
        /* SECURITY: the initial response was in the command line buffer. */
        smtp_auth_wipe(s->line, sizeof s->line);
}
