/* SPDX-License-Identifier: MIT
 *
 * base64.h - base64 of RFC 4648 §4, with strict decoding (SASL, RFC 4954 §4).
 */
#ifndef COMMON_BASE64_H
#define COMMON_BASE64_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes needed to encode len bytes, NUL included. */
#define BASE64_ENCODED_SIZE(len) ((((len) + 2) / 3) * 4 + 1)

/* Encode in[0..len) into out (BASE64_ENCODED_SIZE(len) bytes), NUL-terminated.
 * Returns the length written without the NUL. */
size_t base64_encode(const void *in, size_t len, char *out);

/* Strict decode of in[0..len) into out[out_size]: only the RFC 4648 §4
 * alphabet, length a multiple of 4, "=" padding only at the end and with
 * zero bits before it (RFC 4648 §3.5), no white space. Returns false on any
 * error or if out is too small; *out_len_out is the decoded length. */
bool base64_decode(const char *in, size_t len, void *out, size_t out_size,
                   size_t *out_len_out);

#endif
