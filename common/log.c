/* SPDX-License-Identifier: MIT
 *
 * log.c - log lines and the C:/S: protocol transcript.
 *
 * A log line looks like
 *
 *     2026-11-23T10:49:44Z smtpd[1234]: info #12: message
 *
 * (UTC time, daemon, pid, level, session id; #0 is the daemon itself) and
 * goes to stderr, or to syslog(3) when the daemon runs in the background.
 * Transcript lines ("#12 C: EHLO x", "#12 S: 250 ok") always go to stderr.
 * Each line is built whole in a local buffer and written with one write(2)
 * under a mutex, so lines from different session threads never interleave.
 *
 * Callers escape client bytes with text_escape() before formatting them;
 * as a second line of defence, any control byte left in a formatted message
 * is written as \xNN so that one call is always exactly one line.
 *
 * Standards:  none (syslog(3) and POSIX write(2) only)
 * Threads:    any thread; the globals are set by log_init() before threads
 *             start and only read afterwards.
 * Read next:  common/text.c (escaping), common/conn.c (the main caller).
 */
#include "common/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/text.h"

/* Long enough for a traced SASL line after escaping is truncated to it. */
#define LOG_LINE_MAX 4096
#define LOG_MESSAGE_MAX 2048

/* Written once by log_init() before any thread starts, read-only after. */
static const char *log_ident = "mail";
static bool log_use_syslog;
static enum log_trace_mode log_trace = LOG_TRACE_OFF;

/* LOCKING: log_write_lock serialises the write(2) calls to stderr so that a
 * line written in several pieces (a partial write) stays one line. */
static pthread_mutex_t log_write_lock = PTHREAD_MUTEX_INITIALIZER;

void log_init(const char *ident, bool use_syslog, enum log_trace_mode trace)
{
        log_ident = ident != NULL ? ident : "mail";
        log_use_syslog = use_syslog;
        log_trace = trace;
        if (use_syslog)
                openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

enum log_trace_mode log_trace_mode(void)
{
        return log_trace;
}

static void log_write_stderr(const char *line, size_t len)
{
        int saved_errno = errno;

        pthread_mutex_lock(&log_write_lock);
        while (len > 0) {
                ssize_t n = write(STDERR_FILENO, line, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;  /* nowhere left to report a failing stderr */
                line += n;
                len -= (size_t)n;
        }
        pthread_mutex_unlock(&log_write_lock);
        errno = saved_errno;
}

/* Copy src into dst[size]: printable bytes, backslashes and 8-bit bytes
 * stay (the caller may have escaped already, and escaping twice would turn
 * "\x0d" into "\x5cx0d"), anything below 0x20 and DEL becomes \xNN. */
static void log_neutralise(char *dst, size_t size, const char *src)
{
        static const char hex[] = "0123456789abcdef";
        size_t pos = 0;

        for (; *src != '\0'; src++) {
                unsigned char c = (unsigned char)*src;

                if (c >= 0x20 && c != 0x7f) {
                        if (pos + 1 >= size)
                                break;
                        dst[pos++] = (char)c;
                        continue;
                }
                if (pos + 4 >= size)
                        break;
                dst[pos++] = '\\';
                dst[pos++] = 'x';
                dst[pos++] = hex[c >> 4];
                dst[pos++] = hex[c & 0x0f];
        }
        dst[pos] = '\0';
}

static void log_emit(int priority, const char *level, unsigned long session,
                     const char *fmt, va_list args)
        __attribute__((format(printf, 4, 0)));

static void log_emit(int priority, const char *level, unsigned long session,
                     const char *fmt, va_list args)
{
        char raw[LOG_MESSAGE_MAX];
        char message[LOG_MESSAGE_MAX];
        char line[LOG_LINE_MAX];
        char stamp[32];
        struct tm tm;
        time_t now = time(NULL);
        int saved_errno = errno;    /* the caller's errno survives logging */
        int n;

        vsnprintf(raw, sizeof(raw), fmt, args);
        log_neutralise(message, sizeof(message), raw);

        if (log_use_syslog) {
                syslog(priority, "%s #%lu: %s", level, session, message);
                errno = saved_errno;
                return;
        }
        if (gmtime_r(&now, &tm) == NULL ||
            strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                text_copy(stamp, sizeof(stamp), "-");
        n = snprintf(line, sizeof(line), "%s %s[%ld]: %s #%lu: %s\n", stamp, log_ident,
                     (long)getpid(), level, session, message);
        if (n < 0)
                return;
        if ((size_t)n >= sizeof(line)) {
                /* Truncated: keep the line a line. */
                n = (int)sizeof(line) - 1;
                line[n - 1] = '\n';
        }
        log_write_stderr(line, (size_t)n);
        errno = saved_errno;
}

void log_info(unsigned long session, const char *fmt, ...)
{
        va_list args;

        va_start(args, fmt);
        log_emit(LOG_INFO, "info", session, fmt, args);
        va_end(args);
}

void log_warn(unsigned long session, const char *fmt, ...)
{
        va_list args;

        va_start(args, fmt);
        log_emit(LOG_WARNING, "warn", session, fmt, args);
        va_end(args);
}

void log_err(unsigned long session, const char *fmt, ...)
{
        va_list args;

        va_start(args, fmt);
        log_emit(LOG_ERR, "err", session, fmt, args);
        va_end(args);
}

/* One transcript line: "#<session> <who>: <escaped text>[   [explain]]". */
static void trace_emit(unsigned long session, char who, const char *line, size_t len,
                       const char *suffix, const char *explain)
{
        char escaped[LOG_LINE_MAX / 2];
        char out[LOG_LINE_MAX];
        int n;

        text_escape(escaped, sizeof(escaped), line, len);
        if (explain != NULL && log_trace == LOG_TRACE_EXPLAIN)
                n = snprintf(out, sizeof(out), "#%lu %c: %s%s   [%s]\n", session, who,
                             escaped, suffix, explain);
        else
                n = snprintf(out, sizeof(out), "#%lu %c: %s%s\n", session, who, escaped,
                             suffix);
        if (n < 0)
                return;
        if ((size_t)n >= sizeof(out)) {
                n = (int)sizeof(out) - 1;
                out[n - 1] = '\n';
        }
        log_write_stderr(out, (size_t)n);
}

void trace_client(unsigned long session, const char *line, size_t len)
{
        if (log_trace == LOG_TRACE_OFF)
                return;
        trace_emit(session, 'C', line, len, "", NULL);
}

/* SECURITY: credential disclosure: only the verb part of an AUTH line or a
 * SASL response ever reaches the transcript. */
void trace_client_masked(unsigned long session, const char *line, size_t len,
                         size_t visible)
{
        if (log_trace == LOG_TRACE_OFF)
                return;
        if (visible > len)
                visible = len;
        trace_emit(session, 'C', line, visible, visible > 0 ? " ****" : "****", NULL);
}

void trace_server(unsigned long session, const char *line, size_t len,
                  const char *explain)
{
        if (log_trace == LOG_TRACE_OFF)
                return;
        trace_emit(session, 'S', line, len, "", explain);
}
