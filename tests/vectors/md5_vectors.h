/* SPDX-License-Identifier: MIT
 *
 * md5_vectors.h - the MD5 test suite of RFC 1321 §A.5, as a table.
 */
#ifndef TESTS_VECTORS_MD5_VECTORS_H
#define TESTS_VECTORS_MD5_VECTORS_H

struct md5_vector {
        const char *rfc;        /* where the row comes from */
        const char *message;
        const char *digest_hex;
};

static const struct md5_vector md5_vectors[] = {
        { "RFC 1321 §A.5", "", "d41d8cd98f00b204e9800998ecf8427e" },
        { "RFC 1321 §A.5", "a", "0cc175b9c0f1b6a831c399e269772661" },
        { "RFC 1321 §A.5", "abc", "900150983cd24fb0d6963f7d28e17f72" },
        { "RFC 1321 §A.5", "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
        { "RFC 1321 §A.5", "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
        { "RFC 1321 §A.5", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
          "d174ab98d277d9f5a5611c2c9f419d9f" },
        { "RFC 1321 §A.5",
          "1234567890123456789012345678901234567890"
          "1234567890123456789012345678901234567890",
          "57edf4a22be3c955ac49da2e2107b67a" },
};

#endif
