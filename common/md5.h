/* SPDX-License-Identifier: MIT
 *
 * md5.h - MD5 message digest (RFC 1321), for APOP (RFC 1939 §7) and
 * HMAC-MD5 (RFC 2104) in CRAM-MD5 (RFC 2195).
 */
#ifndef COMMON_MD5_H
#define COMMON_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MD5_DIGEST_SIZE 16
#define MD5_BLOCK_SIZE 64

struct md5_context {
        uint32_t state[4];
        uint64_t length;                 /* bytes hashed so far */
        unsigned char buffer[MD5_BLOCK_SIZE];
};

void md5_init(struct md5_context *ctx);
void md5_update(struct md5_context *ctx, const void *data, size_t len);
void md5_final(struct md5_context *ctx, unsigned char digest[MD5_DIGEST_SIZE]);
/* One call: digest of data[0..len). */
void md5(const void *data, size_t len, unsigned char digest[MD5_DIGEST_SIZE]);
/* Lower-case hex of a digest into hex[33]. */
void md5_hex(const unsigned char digest[MD5_DIGEST_SIZE], char hex[2 * MD5_DIGEST_SIZE + 1]);

#endif
