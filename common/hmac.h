/* SPDX-License-Identifier: MIT
 *
 * hmac.h - HMAC-MD5 (RFC 2104), checked against RFC 2202's vectors.
 */
#ifndef COMMON_HMAC_H
#define COMMON_HMAC_H

#include <stdbool.h>
#include <stddef.h>
#include "common/md5.h"

void hmac_md5(const void *key, size_t key_len, const void *data, size_t data_len,
              unsigned char digest[MD5_DIGEST_SIZE]);

/* Constant-time comparison of a[0..len) and b[0..len): the time does not
 * depend on where they differ. */
bool hmac_equal(const void *a, const void *b, size_t len);

#endif
