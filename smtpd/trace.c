/* SPDX-License-Identifier: MIT
 *
 * trace.c - the trace header fields every delivered message gets:
 * Return-Path: and Received: (RFC 5321 §4.4).
 *
 * Received: records who handed us the message and when, so that a reader
 * of the stored message can follow its path. Its fields come from the
 * client (the HELO name, the addresses), so they are dangerous: a CR or LF
 * in any of them would let a client write its own header lines. Two
 * defences stand in line: the HELO argument and the paths were validated
 * when they arrived (commands.c, common/addr), and here every field is
 * copied through a whitelist of characters, anything else becoming '?'
 * (qmail's safeput habit). The client is named by its address literal only:
 * no DNS look-up, so nothing leaves the machine (DESIGN.md §2).
 *
 * Standards:  RFC 5321 §4.4, RFC 5321 §4.1.2, RFC 5321 §4.1.3, RFC 5322 §3.3, RFC 5322 §3.6.7,
 *             RFC 3848 §1
 * Threads:    runs in the session's thread; localtime_r only.
 * Read next:  smtpd/data.c (which writes these lines before the message).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "smtpd/session.h"

/* SECURITY: header injection. Copy src into dst[size] keeping only the
 * characters of domains, address literals and ordinary mailboxes; every
 * other byte (CR, LF, controls, 8-bit, and the space and backslash that only
 * a quoted local part may hold) becomes '?'. */
static void smtp_trace_safe_copy(char *dst, size_t size, const char *src)
{
        static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789.-_+=:[]@!#$%&'*/?^`{|}~\"";
        size_t i = 0;

        for (; src[i] != '\0' && i + 1 < size; i++)
                dst[i] = strchr(allowed, src[i]) != NULL ? src[i] : '?';
        if (size > 0)
                dst[i] = '\0';
}

/* SECURITY: header injection. A path was validated by common/addr when it
 * arrived, and a quoted local part (RFC 5321 §4.1.2 Quoted-string) may hold
 * spaces and backslash pairs such as "x\"y z": turning those into '?' would
 * leave unbalanced quotes. So paths keep every printable ASCII byte; CR, LF,
 * controls and 8-bit bytes still become '?'. */
static void smtp_trace_safe_path(char *dst, size_t size, const char *src)
{
        size_t i = 0;

        for (; src[i] != '\0' && i + 1 < size; i++)
                dst[i] = src[i] >= 0x20 && src[i] <= 0x7e ? src[i] : '?';
        if (size > 0)
                dst[i] = '\0';
}

/* RFC 5322 §3.3 date-time, e.g. "Tue, 09 Jan 2024 13:05:00 +0100", built by
 * hand so that the locale cannot change the day and month names. */
static void smtp_trace_date(char *out, size_t size)
{
        static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
        static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        time_t now = time(NULL);
        struct tm tm;

        localtime_r(&now, &tm);
        long offset = tm.tm_gmtoff / 60;
        char sign = offset < 0 ? '-' : '+';
        if (offset < 0)
                offset = -offset;
        snprintf(out, size, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
                 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, sign, offset / 60, offset % 60);
}

/* The two header fields, for example:
 *
 *   Return-Path: <alice@example.test>
 *   Received: from client.example.test ([127.0.0.1])
 *           by localhost with ESMTPA id 12.1
 *           for <student@localhost>; Tue, 09 Jan 2024 13:05:00 +0100
 *
 * (continuation lines start with a tab). "with" is SMTP after HELO, ESMTP
 * after EHLO and ESMTPA when the client authenticated (RFC 3848 §1). "for"
 * names the recipient only when there is exactly one, so that a message to
 * several people does not tell each of them who else got it. The id is the
 * session id and the transaction number, as in the log lines. */
size_t smtp_trace_headers(const struct smtp_session *s, char *out, size_t size)
{
        char reverse[SMTP_PATH_MAX + 1], helo[SMTP_DOMAIN_MAX + 1];
        char hostname[CONFIG_NAME_MAX], peer[sizeof s->peer], recipient[SMTP_PATH_MAX + 1];
        char date[64], literal[sizeof s->peer + 8];
        const char *with = !s->seen_ehlo ? "SMTP" : s->user[0] != '\0' ? "ESMTPA" : "ESMTP";

        smtp_trace_safe_path(reverse, sizeof reverse, s->tx.reverse_path);
        smtp_trace_safe_copy(helo, sizeof helo, s->helo);
        smtp_trace_safe_copy(hostname, sizeof hostname, s->cfg->hostname);
        smtp_trace_safe_copy(peer, sizeof peer, s->peer);
        /* RFC 5321 §4.1.3: IPv6 literals are written "[IPv6:...]". */
        snprintf(literal, sizeof literal, "[%s%s]", strchr(peer, ':') != NULL ? "IPv6:" : "",
                 peer);
        smtp_trace_date(date, sizeof date);

        /* RFC 5321 §4.4: Return-Path: holds the reverse-path, "<>" for the
         * null path of bounces. */
        int n;
        if (s->tx.recipient_count == 1) {
                smtp_trace_safe_path(recipient, sizeof recipient,
                                     s->tx.recipients[0].mailbox);
                n = snprintf(out, size,
                             "Return-Path: <%s>\nReceived: from %s (%s)\n"
                             "\tby %s with %s id %lu.%lu\n\tfor <%s>; %s\n",
                             reverse, helo, literal, hostname, with, s->id, s->tx.number,
                             recipient, date);
        } else {
                n = snprintf(out, size,
                             "Return-Path: <%s>\nReceived: from %s (%s)\n"
                             "\tby %s with %s id %lu.%lu;\n\t%s\n",
                             reverse, helo, literal, hostname, with, s->id, s->tx.number, date);
        }
        if (n < 0 || (size_t)n >= size)
                return 0;
        return (size_t)n;
}
