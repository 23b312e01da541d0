/* SPDX-License-Identifier: MIT
 *
 * text.c - strict numbers, case-insensitive verbs, bounded copies, escaping.
 *
 * Every parser in the server leans on these few functions, so they are
 * deliberately strict: a number is digits and nothing else, a copy reports
 * truncation instead of hiding it, and untrusted bytes are escaped before
 * they reach a log line or a reply. None of them depends on the locale, so a
 * server started under any LANG behaves the same.
 *
 * Standards:  RFC 5321 §2.4, RFC 1939 §3
 * Threads:    pure functions; safe from any thread.
 * Read next:  common/log.c (the main user of text_escape).
 */
#include "common/text.h"

#include <string.h>

static unsigned char text_lower(unsigned char c)
{
        return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* RFC 1939 §3: message numbers and counts are decimal. popa3d's
 * pop_get_int() and Dovecot's get_msgnum() refuse anything that is not a
 * plain digit string; so do we, and we check for overflow before each
 * multiply and add so that "4294967297" can never wrap around to 1. */
bool text_parse_uint(const char *s, size_t len, unsigned long long max,
                     unsigned long long *value_out)
{
        unsigned long long value = 0;

        if (s == NULL || len == 0)
                return false;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c < '0' || c > '9')
                        return false;
                unsigned digit = c - '0';
                if (value > max / 10)
                        return false;
                value *= 10;
                if (value > max - digit)
                        return false;
                value += digit;
        }
        *value_out = value;
        return true;
}

/* RFC 5321 §2.4: "Verbs and argument values ... are not case sensitive". */
bool text_verb_equals(const char *word, size_t len, const char *verb)
{
        size_t verb_len = strlen(verb);

        if (len != verb_len)
                return false;
        for (size_t i = 0; i < len; i++) {
                if (text_lower((unsigned char)word[i]) != text_lower((unsigned char)verb[i]))
                        return false;
        }
        return true;
}

int text_casecmp(const char *a, const char *b)
{
        for (;; a++, b++) {
                unsigned char ca = text_lower((unsigned char)*a);
                unsigned char cb = text_lower((unsigned char)*b);

                if (ca != cb || ca == '\0')
                        return (int)ca - (int)cb;
        }
}

bool text_copy(char *dst, size_t size, const char *src)
{
        size_t len = strlen(src);

        if (size == 0)
                return false;   /* not even the NUL fits */
        if (len < size) {
                memcpy(dst, src, len + 1);
                return true;
        }
        memcpy(dst, src, size - 1);
        dst[size - 1] = '\0';
        return false;
}

/* Bytes written for one input byte: 1 if printable, 4 for \xNN. */
static size_t text_escaped_width(unsigned char c)
{
        return (c >= 0x20 && c <= 0x7e && c != '\\') ? 1 : 4;
}

static size_t text_put_escaped(char *dst, unsigned char c)
{
        static const char hex[] = "0123456789abcdef";

        if (text_escaped_width(c) == 1) {
                dst[0] = (char)c;
                return 1;
        }
        dst[0] = '\\';
        dst[1] = 'x';
        dst[2] = hex[c >> 4];
        dst[3] = hex[c & 0x0f];
        return 4;
}

/* A CR or LF copied raw into a log line would let a client start a line of
 * its own; everything outside printable ASCII is therefore written as \xNN,
 * and the backslash too so that an escape in the output is unambiguous. */
char *text_escape(char *dst, size_t size, const char *src, size_t len)
{
        static const char ellipsis[] = "...";
        size_t total = 0;
        size_t pos = 0;
        size_t limit;

        if (size == 0)
                return dst;
        for (size_t i = 0; i < len; i++)
                total += text_escaped_width((unsigned char)src[i]);
        if (total < size) {
                for (size_t i = 0; i < len; i++)
                        pos += text_put_escaped(dst + pos, (unsigned char)src[i]);
                dst[pos] = '\0';
                return dst;
        }
        /* Truncated: keep whole escapes only and leave room for "...". */
        limit = size - 1 > 3 ? size - 1 - 3 : 0;
        for (size_t i = 0; i < len; i++) {
                size_t width = text_escaped_width((unsigned char)src[i]);

                if (pos + width > limit)
                        break;
                pos += text_put_escaped(dst + pos, (unsigned char)src[i]);
        }
        for (size_t i = 0; ellipsis[i] != '\0' && pos < size - 1; i++)
                dst[pos++] = ellipsis[i];
        dst[pos] = '\0';
        return dst;
}
