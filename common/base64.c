/* SPDX-License-Identifier: MIT
 *
 * base64.c - base64 encoding and strict decoding (RFC 4648 §4).
 *
 * SASL exchanges in SMTP (RFC 4954 §4) and POP3 (RFC 5034 §4) carry every
 * challenge and response in base64. Three bytes become four characters of
 * a 64-letter alphabet; "=" pads the last group. The decoder is strict on
 * purpose: RFC 4648 §3.3 lets a specification reject characters outside
 * the alphabet, and RFC 4954 §4 says a response that is not valid base64
 * is an error, so we accept exactly one spelling of each byte string (the
 * canonical one of RFC 4648 §3.5) and nothing else: no line breaks
 * (§3.1), no white space, no missing or misplaced padding (§3.2).
 *
 * Standards:  RFC 4648 §3.1, RFC 4648 §3.2, RFC 4648 §3.3, RFC 4648 §3.5,
 *             RFC 4648 §4, RFC 4648 §10, RFC 4954 §4, RFC 5034 §4
 * Threads:    pure functions; no shared state.
 * Read next:  common/sasl.c (sasl_decode_response).
 */
#include "common/base64.h"

#include <stdint.h>

/* RFC 4648 §4, Table 1: value 0..63 to character. */
static const char base64_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64_encode(const void *in, size_t len, char *out)
{
        const unsigned char *bytes = in;
        size_t written = 0;

        /* Whole groups of three bytes: 24 bits, four 6-bit values. */
        while (len >= 3) {
                uint32_t group = (uint32_t)bytes[0] << 16 | (uint32_t)bytes[1] << 8 | bytes[2];
                out[written++] = base64_alphabet[(group >> 18) & 0x3f];
                out[written++] = base64_alphabet[(group >> 12) & 0x3f];
                out[written++] = base64_alphabet[(group >> 6) & 0x3f];
                out[written++] = base64_alphabet[group & 0x3f];
                bytes += 3;
                len -= 3;
        }
        /* RFC 4648 §4: a final group of one or two bytes is completed with
         * zero bits and then "==" or "=" so the output stays a multiple of
         * four characters. */
        if (len > 0) {
                uint32_t group = (uint32_t)bytes[0] << 16;
                if (len == 2)
                        group |= (uint32_t)bytes[1] << 8;
                out[written++] = base64_alphabet[(group >> 18) & 0x3f];
                out[written++] = base64_alphabet[(group >> 12) & 0x3f];
                out[written++] = len == 2 ? base64_alphabet[(group >> 6) & 0x3f] : '=';
                out[written++] = '=';
        }
        out[written] = '\0';
        return written;
}

/* The value of one alphabet character, or -1 for anything else ("=",
 * white space, the URL-safe "-" and "_" of RFC 4648 §5, 8-bit bytes). */
static int base64_value(unsigned char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

bool base64_decode(const char *in, size_t len, void *out, size_t out_size,
                   size_t *out_len_out)
{
        unsigned char *bytes = out;
        size_t written = 0;

        *out_len_out = 0;
        /* RFC 4648 §3.2: with padding, encoded data is always a multiple of
         * four characters. */
        if (len % 4 != 0)
                return false;

        for (size_t i = 0; i < len; i += 4) {
                bool is_last = i + 4 == len;
                /* RFC 4648 §3.2, §4: "=" may only end the data: "xx==" or
                 * "xxx=". Anywhere else it is an error, as is a lone "=" in
                 * the third place followed by a letter. */
                size_t padding = 0;
                if (is_last && in[i + 3] == '=')
                        padding = in[i + 2] == '=' ? 2 : 1;

                int values[4] = { 0 };
                for (size_t j = 0; j < 4 - padding; j++) {
                        values[j] = base64_value((unsigned char)in[i + j]);
                        /* RFC 4648 §3.3: characters outside the alphabet
                         * are rejected, not skipped. This also refuses
                         * "x===" and "====", which carry less than a byte. */
                        if (values[j] < 0)
                                return false;
                }

                size_t count = 3 - padding;
                if (written + count > out_size)
                        return false;

                uint32_t group = (uint32_t)values[0] << 18 | (uint32_t)values[1] << 12;
                if (padding < 2)
                        group |= (uint32_t)values[2] << 6;
                if (padding < 1)
                        group |= (uint32_t)values[3];

                /* RFC 4648 §3.5: the bits that pad the last character to 6
                 * bits must be zero ("QR==" is not "QQ=="), otherwise two
                 * strings would decode to the same bytes. */
                if (padding == 2 && (group & 0xffff) != 0)
                        return false;
                if (padding == 1 && (group & 0xff) != 0)
                        return false;

                bytes[written++] = (unsigned char)(group >> 16);
                if (count > 1)
                        bytes[written++] = (unsigned char)(group >> 8);
                if (count > 2)
                        bytes[written++] = (unsigned char)group;
        }
        *out_len_out = written;
        return true;
}
