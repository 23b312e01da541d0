/* SPDX-License-Identifier: MIT
 *
 * apop_vectors.h - the worked examples of the two shared-secret mail
 * logins: APOP (RFC 1939 §7) and CRAM-MD5 (RFC 2195 §2).
 */
#ifndef TESTS_VECTORS_APOP_VECTORS_H
#define TESTS_VECTORS_APOP_VECTORS_H

/* APOP: digest = MD5(timestamp from the greeting, then the secret). */
struct apop_vector {
        const char *rfc;
        const char *timestamp;
        const char *secret;
        const char *digest_hex;
};

static const struct apop_vector apop_vectors[] = {
        { "RFC 1939 §7", "<1896.697170952@dbc.mtview.ca.us>", "tanstaaf",
          "c4c9334bac560ecc979e58001b3e22fb" },
};

/* CRAM-MD5: response = user SP hex(HMAC-MD5(secret, challenge)). The base64
 * forms are what travels on the wire in the RFC's example. */
struct cram_md5_vector {
        const char *rfc;
        const char *user;
        const char *secret;
        const char *challenge;
        const char *challenge_base64;
        const char *digest_hex;
        const char *response_base64;
};

static const struct cram_md5_vector cram_md5_vectors[] = {
        { "RFC 2195 §2", "tim", "tanstaaftanstaaf",
          "<1896.697170952@postoffice.reston.mci.net>",
          "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+",
          "b913a602c7eda7a495b4e6e7334d3890",
          "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw" },
};

#endif
