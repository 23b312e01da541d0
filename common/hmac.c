/* SPDX-License-Identifier: MIT
 *
 * hmac.c - HMAC-MD5 and a constant-time comparison for secrets.
 *
 * HMAC turns a hash into a keyed message authentication code by hashing
 * twice with the key mixed in through two different pads. CRAM-MD5
 * (RFC 2195 §2) is HMAC-MD5 keyed with the user's shared secret over the
 * server's challenge. tests/unit/check_hmac.c checks the seven HMAC-MD5
 * cases of RFC 2202 §2 and the RFC 2195 §2 example.
 *
 * hmac_equal() is here because whoever computes a MAC must also compare it:
 * memcmp() stops at the first differing byte, so its running time tells an
 * attacker how many leading bytes of a guess were right.
 *
 * Standards:  RFC 2104 §2, RFC 2104 §3, RFC 2202 §2, RFC 2195 §2
 * Threads:    pure functions; no shared state.
 * Read next:  common/sasl.c (CRAM-MD5), common/users.c (password checks).
 */
#include "common/hmac.h"

#include <string.h>

/* Overwrite key material in a way the compiler may not drop as a dead
 * store: the writes go through a volatile pointer. */
static void hmac_wipe(void *p, size_t len)
{
        volatile unsigned char *bytes = p;
        while (len-- > 0)
                *bytes++ = 0;
}

void hmac_md5(const void *key, size_t key_len, const void *data, size_t data_len,
              unsigned char digest[MD5_DIGEST_SIZE])
{
        unsigned char block_key[MD5_BLOCK_SIZE] = { 0 };
        unsigned char pad[MD5_BLOCK_SIZE];
        unsigned char inner[MD5_DIGEST_SIZE];
        struct md5_context ctx;

        /* RFC 2104 §2: a key longer than the block size B (64 for MD5) is
         * first replaced by its hash; any key is then padded with zeros to
         * B bytes. RFC 2104 §3 recommends keys of at least L (16) bytes. */
        if (key_len > MD5_BLOCK_SIZE)
                md5(key, key_len, block_key);
        else if (key_len > 0)
                memcpy(block_key, key, key_len);

        /* RFC 2104 §2: H(K XOR ipad, text) with ipad = 0x36 repeated ... */
        for (size_t i = 0; i < MD5_BLOCK_SIZE; i++)
                pad[i] = block_key[i] ^ 0x36;
        md5_init(&ctx);
        md5_update(&ctx, pad, sizeof pad);
        md5_update(&ctx, data, data_len);
        md5_final(&ctx, inner);

        /* ... then H(K XOR opad, inner) with opad = 0x5c repeated. */
        for (size_t i = 0; i < MD5_BLOCK_SIZE; i++)
                pad[i] = block_key[i] ^ 0x5c;
        md5_init(&ctx);
        md5_update(&ctx, pad, sizeof pad);
        md5_update(&ctx, inner, sizeof inner);
        md5_final(&ctx, digest);

        /* The padded key and the inner hash are as good as the key itself. */
        hmac_wipe(block_key, sizeof block_key);
        hmac_wipe(pad, sizeof pad);
        hmac_wipe(inner, sizeof inner);
}

bool hmac_equal(const void *a, const void *b, size_t len)
{
        /* SECURITY: timing attack. Every byte is visited whatever the data;
         * differences are OR-ed together and tested once at the end. The
         * volatile accumulator keeps the compiler from adding an early exit. */
        const unsigned char *x = a, *y = b;
        volatile unsigned char difference = 0;
        for (size_t i = 0; i < len; i++)
                difference |= x[i] ^ y[i];
        return difference == 0;
}
