/* SPDX-License-Identifier: MIT
 *
 * name.c - Maildir file names: making unique ones and parsing anyone's.
 *
 * A message's name is its identity. We make it from the time (seconds and
 * microseconds), the process id, a per-process counter and the host name:
 *     <secs>.M<usecs>P<pid>Q<n>.<host>
 * The counter is a C11 atomic, so two threads of one process that ask in the
 * same microsecond still get different names; the pid separates processes and
 * the host separates machines sharing a Maildir. Delivery adds ",S=<octets on
 * disk>,W=<octets on the wire>" and cur/ adds ":2,<flags>" (see maildir.5).
 *
 * Everything before the first ':' is the message's unique id, which POP3
 * hands out as its UIDL, so we keep it inside the UIDL alphabet: host bytes
 * outside 0x21..0x7e are dropped, and '/', ':' and ',' are written as the
 * three-digit octal escapes "\057", "\072" and "\054" (',' would otherwise
 * start a field of the name), and the whole unique name is at most 70 octets.
 *
 * The parser accepts names written by other Maildir programs too: fields it
 * does not know are ignored, and a name without ,S= or ,W= simply says so.
 *
 * Standards:  RFC 1939 §7
 * Threads:    maildir_unique_name() is safe from any thread (atomic counter);
 *             maildir_name_parse() is pure.
 * Read next:  maildir/deliver.c, which gives names to new messages.
 */
#include "maildir/maildir.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* RFC 1939 §7: a unique-id is "1 to 70 characters in the range 0x21 to 0x7E". */
#define UNIQUE_MAX 70

/* The per-process delivery counter. Starts at 0 in every process; the pid in
 * the name tells processes apart. LOCKING: none needed, atomic_fetch_add. */
static atomic_uint_fast64_t name_counter;

/* Append the host name, made safe for a file name and a UIDL, to out[used..]
 * without going past `limit` octets in total. An escape is never cut in half.
 * Returns the new length. */
static size_t append_host(char *out, size_t used, size_t limit, const char *host)
{
        for (const unsigned char *p = (const unsigned char *)host; *p != '\0'; p++) {
                const char *piece;
                char single[2] = { (char)*p, '\0' };

                if (*p == '/')
                        piece = "\\057";
                else if (*p == ':')
                        piece = "\\072";
                else if (*p == ',')
                        piece = "\\054";
                else if (*p < 0x21 || *p > 0x7e)
                        continue;       /* RFC 1939 §7: outside the UIDL alphabet */
                else
                        piece = single;

                size_t piece_length = strlen(piece);
                if (used + piece_length > limit)
                        break;
                memcpy(out + used, piece, piece_length);
                used += piece_length;
        }
        out[used] = '\0';
        return used;
}

int maildir_unique_name(char *out, size_t size)
{
        struct timeval now;
        char host[256];
        char buffer[UNIQUE_MAX + 1];

        if (out == NULL || size == 0) {
                errno = EINVAL;
                return -1;
        }
        if (gettimeofday(&now, NULL) != 0)
                return -1;
        if (gethostname(host, sizeof(host)) != 0)
                strcpy(host, "localhost");
        host[sizeof(host) - 1] = '\0';   /* POSIX leaves truncation unterminated */

        uint_fast64_t sequence = atomic_fetch_add(&name_counter, 1);
        int prefix = snprintf(buffer, sizeof(buffer), "%jd.M%06ldP%jdQ%" PRIuFAST64 ".",
                              (intmax_t)now.tv_sec, (long)now.tv_usec,
                              (intmax_t)getpid(), sequence);
        if (prefix < 0 || (size_t)prefix >= sizeof(buffer)) {
                errno = EOVERFLOW;
                return -1;
        }
        size_t length = append_host(buffer, (size_t)prefix, UNIQUE_MAX, host);
        if (length == (size_t)prefix)
                length = append_host(buffer, length, UNIQUE_MAX, "localhost");
        if (length >= size) {
                errno = ERANGE;
                return -1;
        }
        memcpy(out, buffer, length + 1);
        return 0;
}

/* Strict decimal: digits only, no overflow. text[0..length). */
static bool parse_decimal(const char *text, size_t length, uint64_t *value_out)
{
        uint64_t value = 0;

        if (length == 0)
                return false;
        for (size_t i = 0; i < length; i++) {
                if (text[i] < '0' || text[i] > '9')
                        return false;
                unsigned digit = (unsigned)(text[i] - '0');
                if (value > (UINT64_MAX - digit) / 10)
                        return false;
                value = value * 10 + digit;
        }
        *value_out = value;
        return true;
}

bool maildir_name_parse(const char *filename, struct maildir_name *name_out)
{
        memset(name_out, 0, sizeof(*name_out));

        size_t total = strlen(filename);
        if (total == 0 || total > MAILDIR_NAME_MAX || filename[0] == '.')
                return false;
        if (strchr(filename, '/') != NULL)
                return false;

        const char *colon = strchr(filename, ':');
        size_t unique_length = colon != NULL ? (size_t)(colon - filename) : total;
        if (unique_length == 0)
                return false;
        memcpy(name_out->unique, filename, unique_length);
        name_out->unique[unique_length] = '\0';

        /* The info after ':' means something only in version 2: ":2,<flags>".
         * Longer flag sets than we have room for are kept out rather than cut. */
        if (colon != NULL && strncmp(colon, ":2,", 3) == 0) {
                size_t flags_length = strlen(colon + 3);
                if (flags_length < sizeof(name_out->flags))
                        memcpy(name_out->flags, colon + 3, flags_length + 1);
        }

        /* Fields of the unique name after its first ',' look like "X=value";
         * we know S= and W= (Dovecot writes the same two) and skip the rest. */
        const char *field = memchr(filename, ',', unique_length);
        const char *unique_end = filename + unique_length;
        while (field != NULL && field < unique_end) {
                const char *start = field + 1;
                const char *next = memchr(start, ',', (size_t)(unique_end - start));
                const char *end = next != NULL ? next : unique_end;
                size_t field_length = (size_t)(end - start);

                if (field_length > 2 && start[1] == '=') {
                        if (start[0] == 'S')
                                name_out->has_size = parse_decimal(start + 2, field_length - 2,
                                                                   &name_out->size);
                        else if (start[0] == 'W')
                                name_out->has_wire_size =
                                        parse_decimal(start + 2, field_length - 2,
                                                      &name_out->wire_size);
                }
                field = next;
        }

        /* The leading <secs> orders messages; a name without one sorts first. */
        const char *dot = memchr(filename, '.', unique_length);
        uint64_t seconds;
        if (dot != NULL && parse_decimal(filename, (size_t)(dot - filename), &seconds) &&
            (time_t)seconds >= 0 && (uint64_t)(time_t)seconds == seconds)
                name_out->seconds = (time_t)seconds;
        return true;
}
