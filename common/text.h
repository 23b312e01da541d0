/* SPDX-License-Identifier: MIT
 *
 * text.h - small string tools used by every parser: strict numbers,
 * case-insensitive verbs, bounded copies and escaping of untrusted bytes.
 */
#ifndef COMMON_TEXT_H
#define COMMON_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Parse all of s[0..len) as a decimal number: digits only (no sign, no
 * space, no empty string), no overflow, value <= max. Returns true and
 * stores the value in *value_out; false on any junk ("LIST 4294967297"
 * is an error, never message 1). */
bool text_parse_uint(const char *s, size_t len, unsigned long long max,
                     unsigned long long *value_out);

/* True when word[0..len) equals verb, ignoring ASCII case (RFC 5321 §2.4:
 * verbs are case-insensitive). verb is NUL-terminated. */
bool text_verb_equals(const char *word, size_t len, const char *verb);

/* ASCII case-insensitive compare of two NUL-terminated strings, like
 * strcasecmp but independent of the locale. */
int text_casecmp(const char *a, const char *b);

/* Copy the NUL-terminated src into dst[size]. Always NUL-terminates when
 * size > 0. Returns false if src did not fit (dst then holds a prefix). */
bool text_copy(char *dst, size_t size, const char *src);

/* Write src[0..len) into dst[size] with every byte outside printable ASCII
 * (0x20..0x7e) and the backslash written as \xNN, so that client bytes can go
 * into a log line or a trace without forging new lines. Always
 * NUL-terminates; an escape that would not fit is dropped whole and "..."
 * ends the output. Returns dst. */
char *text_escape(char *dst, size_t size, const char *src, size_t len);

#endif
