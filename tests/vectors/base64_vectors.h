/* SPDX-License-Identifier: MIT
 *
 * base64_vectors.h - the base64 test vectors of RFC 4648 §10.
 */
#ifndef TESTS_VECTORS_BASE64_VECTORS_H
#define TESTS_VECTORS_BASE64_VECTORS_H

struct base64_vector {
        const char *rfc;
        const char *decoded;
        const char *encoded;
};

static const struct base64_vector base64_vectors[] = {
        { "RFC 4648 §10", "", "" },
        { "RFC 4648 §10", "f", "Zg==" },
        { "RFC 4648 §10", "fo", "Zm8=" },
        { "RFC 4648 §10", "foo", "Zm9v" },
        { "RFC 4648 §10", "foob", "Zm9vYg==" },
        { "RFC 4648 §10", "fooba", "Zm9vYmE=" },
        { "RFC 4648 §10", "foobar", "Zm9vYmFy" },
};

#endif
