/* SPDX-License-Identifier: MIT
 *
 * sasl.h - the server side of SASL PLAIN (RFC 4616), LOGIN
 * (draft-murchison-sasl-login) and CRAM-MD5 (RFC 2195), as step functions:
 * decoded bytes in, a challenge or a result out. Framing ("334 " on SMTP,
 * "+ " on POP3), base64 and the "*" cancel are the daemons' business
 * (RFC 4954 §4, RFC 5034 §4); sasl_decode_response() helps with both.
 */
#ifndef COMMON_SASL_H
#define COMMON_SASL_H

#include <stdbool.h>
#include <stddef.h>
#include "common/limits.h"

enum sasl_mechanism { SASL_PLAIN, SASL_LOGIN, SASL_CRAM_MD5 };

enum sasl_result {
        SASL_CONTINUE,    /* send *challenge_out (base64 it) and wait for a response */
        SASL_SUCCESS,     /* authenticated as session->user */
        SASL_FAILURE,     /* wrong credentials, or a mechanism the user cannot use */
        SASL_MALFORMED,   /* the response broke the mechanism's syntax (501 / -ERR) */
};

struct sasl_session {
        enum sasl_mechanism mechanism;
        int step;
        char user[USER_NAME_MAX + 1];
        char challenge[256];     /* CRAM-MD5: the "<...@host>" msg-id we sent */
};

/* Map "PLAIN", "LOGIN", "CRAM-MD5" (any case) to a mechanism. */
bool sasl_mechanism_from_name(const char *name, enum sasl_mechanism *mechanism_out);
const char *sasl_mechanism_name(enum sasl_mechanism mechanism);

/* Begin. hostname goes into the CRAM-MD5 challenge. For PLAIN and LOGIN the
 * first challenge is empty / "Username:"; for CRAM-MD5 it is the msg-id. */
void sasl_start(struct sasl_session *s, enum sasl_mechanism mechanism, const char *hostname);

/* The server's first challenge (decoded), which may be empty. */
const char *sasl_first_challenge(const struct sasl_session *s);

/* Feed one decoded client response (in[0..len), may contain NULs). On
 * SASL_CONTINUE the next challenge is copied to challenge_out[size]. The
 * password check goes through users_check_password() or, for CRAM-MD5,
 * users_plain_secret() + HMAC-MD5 compared in constant time. Secrets are
 * wiped from memory before returning. */
enum sasl_result sasl_step(struct sasl_session *s, const char *in, size_t len,
                           char *challenge_out, size_t challenge_size);

/* Decode one base64 response line from the client (RFC 4954 §4): "*" is a
 * cancel, "=" an empty initial response. Returns 1 decoded, 0 cancelled,
 * -1 malformed. */
int sasl_decode_response(const char *line, size_t len, char *out, size_t out_size,
                         size_t *out_len_out);

#endif
