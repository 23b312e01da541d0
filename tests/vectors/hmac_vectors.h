/* SPDX-License-Identifier: MIT
 *
 * hmac_vectors.h - the seven HMAC-MD5 test cases of RFC 2202 §2.
 *
 * Most keys and data in RFC 2202 are one byte repeated ("0xaa repeated 80
 * times"), so a byte string is written as either literal text or a fill
 * byte and a count, the way the RFC states them; case 4's key counts up
 * from 0x01 to 0x19.
 */
#ifndef TESTS_VECTORS_HMAC_VECTORS_H
#define TESTS_VECTORS_HMAC_VECTORS_H

#include <stdbool.h>
#include <stddef.h>

struct hmac_bytes {
        const char *text;       /* literal bytes, or NULL for the fill form */
        unsigned char fill;     /* the byte repeated ... */
        size_t count;           /* ... this many times */
        bool is_counting;       /* 0x01, 0x02, ... 0x<count> instead of fill */
};

struct hmac_vector {
        const char *rfc;
        int test_case;
        struct hmac_bytes key;
        struct hmac_bytes data;
        const char *digest_hex;
};

static const struct hmac_vector hmac_vectors[] = {
        { "RFC 2202 §2", 1, { .fill = 0x0b, .count = 16 }, { .text = "Hi There" },
          "9294727a3638bb1c13f48ef8158bfc9d" },
        { "RFC 2202 §2", 2, { .text = "Jefe" }, { .text = "what do ya want for nothing?" },
          "750c783e6ab0b503eaa86e310a5db738" },
        { "RFC 2202 §2", 3, { .fill = 0xaa, .count = 16 }, { .fill = 0xdd, .count = 50 },
          "56be34521d144c88dbb8c733f0e8b3f6" },
        { "RFC 2202 §2", 4, { .count = 25, .is_counting = true }, { .fill = 0xcd, .count = 50 },
          "697eaf0aca3a3aea3a75164746ffaa79" },
        { "RFC 2202 §2", 5, { .fill = 0x0c, .count = 16 }, { .text = "Test With Truncation" },
          "56461ef2342edc00f9bab995690efd4c" },
        { "RFC 2202 §2", 6, { .fill = 0xaa, .count = 80 },
          { .text = "Test Using Larger Than Block-Size Key - Hash Key First" },
          "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd" },
        { "RFC 2202 §2", 7, { .fill = 0xaa, .count = 80 },
          { .text = "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data" },
          "6f630fad67cda0ee1fb1f562db3aa53e" },
};

#endif
