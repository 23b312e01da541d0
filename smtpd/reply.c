/* SPDX-License-Identifier: MIT
 *
 * reply.c - how the server speaks: reply lines, multi-line replies and the
 * enhanced status codes.
 *
 * A reply is a three-digit code, then (after EHLO) an enhanced status code
 * "class.subject.detail", then text. Call sites pass the code and the
 * enhanced code as separate arguments (Dovecot's reply API) so that this
 * file alone decides when the enhanced code may appear and checks that its
 * class agrees with the code. Multi-line replies are built one line at a
 * time; the builder holds each line back until it knows whether another
 * follows, and so writes the dashes itself. Every line also goes to the
 * transcript, with a short explanation of the code for --trace=explain.
 *
 * Standards:  RFC 5321 §4.2, RFC 5321 §4.2.1, RFC 5321 §4.2.2, RFC 5321 §4.5.3.1.5,
 *             RFC 2034 §3, RFC 2034 §4, RFC 3463 §2, RFC 4954 §6, RFC 1870 §6,
 *             RFC 2920 §3.1
 * Threads:    runs in the session's thread; the explanation table is constant.
 * Read next:  smtpd/session.c (who calls this and when the replies are flushed).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "common/log.h"
#include "smtpd/reply.h"

/* What each reply code means and where it is defined, for learners
 * watching the transcript with --trace=explain. */
static const struct {
        int code;
        const char *text;
} smtp_reply_explanations[] = {
        { 214, "RFC 5321 §4.2.2: help message" },
        { 220, "RFC 5321 §4.2.2: service ready (greeting)" },
        { 221, "RFC 5321 §4.2.2: closing the transmission channel" },
        { 235, "RFC 4954 §6: authentication succeeded" },
        { 250, "RFC 5321 §4.2.2: requested action okay, completed" },
        { 252, "RFC 5321 §4.2.2: cannot verify the user, will accept and try delivery" },
        { 334, "RFC 4954 §6: server challenge, base64 (send a response)" },
        { 354, "RFC 5321 §4.2.2: start mail input; end with CRLF . CRLF" },
        { 421, "RFC 5321 §4.2.2: service not available, closing the channel" },
        { 450, "RFC 5321 §4.2.2: mailbox unavailable (temporary)" },
        { 451, "RFC 5321 §4.2.2: local error in processing (temporary)" },
        { 452, "RFC 5321 §4.2.2: insufficient storage or too many recipients (temporary)" },
        { 500, "RFC 5321 §4.2.2: syntax error, command unrecognized or line too long" },
        { 501, "RFC 5321 §4.2.2: syntax error in parameters or arguments" },
        { 502, "RFC 5321 §4.2.2: command not implemented" },
        { 503, "RFC 5321 §4.2.2: bad sequence of commands" },
        { 504, "RFC 5321 §4.2.2: command parameter not implemented" },
        { 530, "RFC 4954 §6: authentication required" },
        { 535, "RFC 4954 §6: authentication credentials invalid" },
        { 538, "RFC 4954 §6: encryption required for this mechanism" },
        { 550, "RFC 5321 §4.2.2: mailbox unavailable or policy refusal" },
        { 552, "RFC 1870 §6: message size exceeds the fixed limit" },
        { 554, "RFC 5321 §4.2.2: transaction failed" },
        { 555, "RFC 5321 §4.2.2: MAIL/RCPT parameters not recognized" },
};

const char *smtp_reply_explain(int code)
{
        for (size_t i = 0; i < sizeof smtp_reply_explanations / sizeof smtp_reply_explanations[0];
             i++) {
                if (smtp_reply_explanations[i].code == code)
                        return smtp_reply_explanations[i].text;
        }
        return NULL;
}

/* RFC 2034 §3: enhanced codes appear only once the client has said EHLO and
 * the extension was offered. RFC 2034 §4: only on 2xx, 4xx and 5xx replies
 * (never on 3xx: 334 and 354 carry data or instructions). */
static bool smtp_reply_enhanced_allowed(const struct smtp_session *s, int code,
                                        const char *enhanced)
{
        if (enhanced == NULL || !s->seen_ehlo)
                return false;
        if (!config_smtp_extension_enabled(s->cfg, "ENHANCEDSTATUSCODES"))
                return false;
        int class = code / 100;
        if (class != 2 && class != 4 && class != 5)
                return false;
        /* RFC 3463 §2: the class digit of the enhanced code must agree with
         * the reply code. A mismatch is a bug in the caller: log it loudly. */
        if (enhanced[0] != (char)('0' + class))
                log_err(s->id, "reply %d carries enhanced code %s of another class",
                        code, enhanced);
        return true;
}

/* Write one finished line: "code" separator [enhanced " "] text CRLF.
 * separator is '-' for all but the last line of a reply (RFC 5321 §4.2.1). */
static void smtp_reply_write(struct smtp_session *s, int code, char separator,
                             const char *enhanced, const char *text, bool is_last)
{
        char line[SMTP_REPLY_LINE_MAX];
        int n;

        if (enhanced != NULL)
                n = snprintf(line, sizeof line, "%03d%c%s %s", code, separator, enhanced, text);
        else
                n = snprintf(line, sizeof line, "%03d%c%s", code, separator, text);
        /* RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets with CRLF.
         * Our texts are short; a longer one is a bug, cut and logged. */
        size_t len = n < 0 ? 0 : (size_t)n;
        if (len > sizeof line - 3) {
                log_err(s->id, "reply line for %d truncated", code);
                len = sizeof line - 3;
        }
        line[len] = '\0';
        trace_server(s->id, line, len, is_last ? smtp_reply_explain(code) : NULL);
        conn_write(&s->conn, line, len);
        conn_write(&s->conn, "\r\n", 2);
        if (is_last)
                s->last_code = code;
}

void smtp_reply(struct smtp_session *s, int code, const char *enhanced, const char *fmt, ...)
{
        char text[SMTP_REPLY_LINE_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        if (!smtp_reply_enhanced_allowed(s, code, enhanced))
                enhanced = NULL;
        smtp_reply_write(s, code, ' ', enhanced, text, true);
}

void smtp_reply_begin(struct smtp_session *s, int code, const char *enhanced)
{
        s->reply_code = code;
        s->reply_enhanced[0] = '\0';
        if (smtp_reply_enhanced_allowed(s, code, enhanced))
                snprintf(s->reply_enhanced, sizeof s->reply_enhanced, "%s", enhanced);
        s->reply_has_pending = false;
}

void smtp_reply_line(struct smtp_session *s, const char *fmt, ...)
{
        va_list ap;

        /* The line held back is not the last one: it gets the dash. */
        if (s->reply_has_pending)
                smtp_reply_write(s, s->reply_code, '-',
                                 s->reply_enhanced[0] != '\0' ? s->reply_enhanced : NULL,
                                 s->reply_pending, false);
        va_start(ap, fmt);
        vsnprintf(s->reply_pending, sizeof s->reply_pending, fmt, ap);
        va_end(ap);
        s->reply_has_pending = true;
}

void smtp_reply_end(struct smtp_session *s)
{
        const char *enhanced = s->reply_enhanced[0] != '\0' ? s->reply_enhanced : NULL;

        if (!s->reply_has_pending)
                s->reply_pending[0] = '\0';
        smtp_reply_write(s, s->reply_code, ' ', enhanced, s->reply_pending, true);
        s->reply_has_pending = false;
}
