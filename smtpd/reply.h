/* SPDX-License-Identifier: MIT
 *
 * reply.h - SMTP replies: one-line and multi-line, with the enhanced status
 * code of RFC 2034 added only where it belongs, every line echoed to the
 * transcript.
 */
#ifndef SMTPD_REPLY_H
#define SMTPD_REPLY_H

#include "smtpd/session.h"

/* Queue "code enhanced text" CRLF on the session's connection (flushing is
 * the dispatcher's job). enhanced ("2.1.5") is written only after EHLO when
 * ENHANCEDSTATUSCODES is offered and the code is 2xx/4xx/5xx; pass NULL for
 * the greeting, the HELO/EHLO answers and 3xx replies. A class mismatch
 * (4xx with "5.x.x") is logged as a bug and the reply still sent. */
void smtp_reply(struct smtp_session *s, int code, const char *enhanced,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Multi-line reply: begin, one call per line, end. The builder writes
 * "code-" on every line but the last and "code " on the last, and the
 * enhanced code (when allowed) on every line (RFC 2034 §4). */
void smtp_reply_begin(struct smtp_session *s, int code, const char *enhanced);
void smtp_reply_line(struct smtp_session *s, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void smtp_reply_end(struct smtp_session *s);

/* A short "RFC n §x: meaning" for a reply code (--trace=explain), or NULL. */
const char *smtp_reply_explain(int code);

#endif
