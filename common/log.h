/* SPDX-License-Identifier: MIT
 *
 * log.h - log lines and the C:/S: protocol transcript.
 *
 * Every line carries the time, a level and the session id (0 for the
 * daemon itself). Client bytes are escaped (text_escape) before they are
 * written, so a client cannot forge log lines. Lines go to stderr in the
 * foreground and to syslog(3) when daemonized.
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_trace_mode {
        LOG_TRACE_OFF,
        LOG_TRACE_ON,       /* print every protocol line */
        LOG_TRACE_EXPLAIN,  /* and, after each reply, the RFC section that defines it */
};

/* Call once at start-up, before any thread starts. ident is "smtpd" or
 * "pop3d". */
void log_init(const char *ident, bool use_syslog, enum log_trace_mode trace);
enum log_trace_mode log_trace_mode(void);

void log_info(unsigned long session, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void log_warn(unsigned long session, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void log_err(unsigned long session, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Transcript lines, printed only when tracing is on. line[0..len) is the
 * protocol line without CRLF; it is escaped here. trace_client_masked()
 * prints the first `visible` bytes (the verb, e.g. "AUTH PLAIN") and then
 * " ****": secrets never reach the transcript. explain may be NULL; in
 * LOG_TRACE_EXPLAIN mode it is printed after a server line in brackets. */
void trace_client(unsigned long session, const char *line, size_t len);
void trace_client_masked(unsigned long session, const char *line, size_t len,
                         size_t visible);
void trace_server(unsigned long session, const char *line, size_t len,
                  const char *explain);

#endif
