/* SPDX-License-Identifier: MIT
 *
 * md5.c - the MD5 message digest, written from the description in RFC 1321.
 *
 * MD5 is broken for collision resistance, but two mail mechanisms still
 * use it and a teaching server should show how: APOP (RFC 1939 §7) hashes
 * the greeting's timestamp followed by a shared secret, and CRAM-MD5
 * (RFC 2195 §2) uses it inside HMAC (RFC 2104 §2). The code follows the
 * RFC's steps one by one (padding, length, buffer, rounds, output) rather
 * than unrolling the 64 operations, so it can be read next to §3.4.
 * common/hmac.c builds on it; tests/unit/check_md5.c runs the RFC 1321 §A.5
 * test suite and the RFC 1939 §7 APOP example.
 *
 * Standards:  RFC 1321 §3.1, RFC 1321 §3.2, RFC 1321 §3.3, RFC 1321 §3.4,
 *             RFC 1321 §3.5, RFC 1321 §A.5, RFC 1939 §7, RFC 2195 §2, RFC 2104 §2
 * Threads:    pure functions on caller-owned contexts; no shared state.
 * Read next:  common/hmac.c (HMAC-MD5), common/sasl.c (CRAM-MD5).
 */
#include "common/md5.h"

#include <string.h>

/* RFC 1321 §3.4: T[i] is the integer part of 4294967296 * abs(sin(i)) for
 * i = 1..64 (radians). Written out so that no floating point is involved. */
static const uint32_t md5_sine[64] = {
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a,
        0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
        0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
        0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
        0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
        0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
        0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
        0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
        0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
        0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
        0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* RFC 1321 §3.4: the left-rotation amounts, four per round. */
static const unsigned md5_shift[4][4] = {
        { 7, 12, 17, 22 },
        { 5, 9, 14, 20 },
        { 4, 11, 16, 23 },
        { 6, 10, 15, 21 },
};

static uint32_t md5_rotate_left(uint32_t x, unsigned n)
{
        return (x << n) | (x >> (32 - n));
}

/* RFC 1321 §3.4: process one 64-byte block. The block is read as sixteen
 * little-endian 32-bit words (§2: "low-order byte first"), so the result
 * does not depend on the machine's byte order. */
static void md5_transform(uint32_t state[4], const unsigned char block[MD5_BLOCK_SIZE])
{
        uint32_t x[16];
        for (unsigned i = 0; i < 16; i++)
                x[i] = (uint32_t)block[4 * i] | (uint32_t)block[4 * i + 1] << 8 |
                       (uint32_t)block[4 * i + 2] << 16 | (uint32_t)block[4 * i + 3] << 24;

        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        for (unsigned i = 0; i < 64; i++) {
                unsigned round = i / 16;
                uint32_t f;
                unsigned k;     /* which word of the block this operation reads */
                switch (round) {
                case 0:         /* F(X,Y,Z) = XY v not(X) Z */
                        f = (b & c) | (~b & d);
                        k = i;
                        break;
                case 1:         /* G(X,Y,Z) = XZ v Y not(Z) */
                        f = (b & d) | (c & ~d);
                        k = (5 * i + 1) % 16;
                        break;
                case 2:         /* H(X,Y,Z) = X xor Y xor Z */
                        f = b ^ c ^ d;
                        k = (3 * i + 5) % 16;
                        break;
                default:        /* I(X,Y,Z) = Y xor (X v not(Z)) */
                        f = c ^ (b | ~d);
                        k = (7 * i) % 16;
                        break;
                }
                /* "a = b + ((a + f(b,c,d) + X[k] + T[i]) <<< s)", then the
                 * four registers rotate so the next step updates d. */
                uint32_t next = b + md5_rotate_left(a + f + x[k] + md5_sine[i],
                                                    md5_shift[round][i % 4]);
                a = d;
                d = c;
                c = b;
                b = next;
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
}

void md5_init(struct md5_context *ctx)
{
        /* RFC 1321 §3.3: the four-word buffer starts with these constants
         * (the RFC lists them byte by byte, low-order first). */
        ctx->state[0] = 0x67452301;
        ctx->state[1] = 0xefcdab89;
        ctx->state[2] = 0x98badcfe;
        ctx->state[3] = 0x10325476;
        ctx->length = 0;
}

void md5_update(struct md5_context *ctx, const void *data, size_t len)
{
        const unsigned char *in = data;
        size_t used = (size_t)(ctx->length % MD5_BLOCK_SIZE);

        ctx->length += len;
        /* Top up a partly filled block first, then hash whole blocks
         * straight from the input, and keep the tail for next time. */
        if (used > 0) {
                size_t room = MD5_BLOCK_SIZE - used;
                size_t take = len < room ? len : room;
                memcpy(ctx->buffer + used, in, take);
                in += take;
                len -= take;
                if (used + take < MD5_BLOCK_SIZE)
                        return;
                md5_transform(ctx->state, ctx->buffer);
        }
        while (len >= MD5_BLOCK_SIZE) {
                md5_transform(ctx->state, in);
                in += MD5_BLOCK_SIZE;
                len -= MD5_BLOCK_SIZE;
        }
        if (len > 0)
                memcpy(ctx->buffer, in, len);
}

void md5_final(struct md5_context *ctx, unsigned char digest[MD5_DIGEST_SIZE])
{
        /* RFC 1321 §3.2: the message length in bits, modulo 2^64, appended
         * low-order byte first. Taken before the padding changes length. */
        uint64_t bits = ctx->length * 8;
        unsigned char length_bytes[8];
        for (unsigned i = 0; i < 8; i++)
                length_bytes[i] = (unsigned char)(bits >> (8 * i));

        /* RFC 1321 §3.1: a single 1 bit, then 0 bits until the length is 56
         * modulo 64 bytes; padding is always added, 1 to 64 bytes of it. */
        static const unsigned char padding[MD5_BLOCK_SIZE] = { 0x80 };
        size_t used = (size_t)(ctx->length % MD5_BLOCK_SIZE);
        size_t pad_len = used < 56 ? 56 - used : 120 - used;
        md5_update(ctx, padding, pad_len);
        md5_update(ctx, length_bytes, sizeof length_bytes);

        /* RFC 1321 §3.5: the digest is A, B, C, D, each low-order byte first. */
        for (unsigned i = 0; i < 4; i++)
                for (unsigned j = 0; j < 4; j++)
                        digest[4 * i + j] = (unsigned char)(ctx->state[i] >> (8 * j));
        memset(ctx, 0, sizeof *ctx);
}

void md5(const void *data, size_t len, unsigned char digest[MD5_DIGEST_SIZE])
{
        struct md5_context ctx;
        md5_init(&ctx);
        md5_update(&ctx, data, len);
        md5_final(&ctx, digest);
}

void md5_hex(const unsigned char digest[MD5_DIGEST_SIZE], char hex[2 * MD5_DIGEST_SIZE + 1])
{
        /* Lower case: APOP (RFC 1939 §7) and CRAM-MD5 (RFC 2195 §2) both
         * send the digest as 32 lower-case hex digits. */
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < MD5_DIGEST_SIZE; i++) {
                hex[2 * i] = digits[digest[i] >> 4];
                hex[2 * i + 1] = digits[digest[i] & 0x0f];
        }
        hex[2 * MD5_DIGEST_SIZE] = '\0';
}
