/* SPDX-License-Identifier: MIT
 *
 * dot.c - the dot codec: SMTP DATA in (decode), POP3 RETR/TOP out (encode).
 *
 * SMTP and POP3 both end a multi-line transfer with a line holding a single
 * ".", and both double a "." that starts a line so that it cannot be taken
 * for that end ("dot-stuffing"). The decoder is an explicit state machine,
 * one state per "what have we just seen" (qmail's blast(), Dovecot's
 * istream-dot), fed any number of bytes at a time: the socket decides how
 * the message arrives, not us. It ends only on CRLF "." CRLF and merely
 * notes bare CRs and LFs: the DATA code refuses such a message after its end
 * so that the session stays in step. The encoder turns the stored LF lines
 * back into CRLF lines and can stop after n body lines for TOP.
 *
 * Standards:  RFC 5321 §4.5.2, RFC 5321 §4.1.1.4, RFC 5321 §2.3.8,
 *             RFC 5321 §4.5.3.1.6, RFC 1939 §3, RFC 1939 §5, RFC 1939 §7
 * Threads:    pure functions on caller-owned state.
 * Read next:  smtpd/data.c (uses the decoder), pop3d/ (uses the encoder).
 */
#include <string.h>
#include "common/dot.h"

#include "common/limits.h"

void dot_decoder_init(struct dot_decoder *d)
{
        /* RFC 5321 §4.1.1.4: the data starts right after the 354 reply, so
         * the first byte is at a line start and ".\r\n" at once ends an
         * empty message. */
        d->state = DOT_STATE_LINE_START;
        d->bare_line_ending_seen = false;
        d->long_line_seen = false;
        d->line_length = 0;
        d->octets_out = 0;
}

/* Output bound. A call writes at most one byte per input byte, plus bytes
 * held back by the previous call because their meaning depended on what
 * came next: a CR (is an LF next?) and a line-start "." (stuffing, or the
 * end?). Those are at most two (DOT_STATE_SEEN_DOT_CR holds both), hence
 * the in_len + 2 of dot.h. The stuffing dot is never written, so in practice
 * only the CR is ever released late, but the contract keeps room for both
 * so callers do not depend on that choice. */
enum dot_result dot_decode(struct dot_decoder *d, const char *in, size_t in_len,
                           size_t *consumed_out, char *out, size_t *out_len_out)
{
        size_t i = 0;
        size_t n = 0;

        while (i < in_len && d->state != DOT_STATE_DONE) {
                /* Fast path: inside a line, every byte up to the next CR or
                 * LF is copied as it is, so we find that run with memchr
                 * and copy it whole. It does what the switch below would do
                 * byte by byte: count the bytes into line_length (noting a
                 * line over the limit) and write them out; the CR or LF
                 * that ends the run is left to the state machine. */
                if (d->state == DOT_STATE_IN_LINE) {
                        size_t rest = in_len - i;
                        const char *cr = memchr(in + i, '\r', rest);
                        size_t run = cr != NULL ? (size_t)(cr - (in + i)) : rest;
                        const char *lf = memchr(in + i, '\n', run);
                        if (lf != NULL)
                                run = (size_t)(lf - (in + i));
                        if (run > 0) {
                                memcpy(out + n, in + i, run);
                                n += run;
                                i += run;
                                d->line_length += run;
                                if (d->line_length > SMTP_TEXT_LINE_MAX)
                                        d->long_line_seen = true;
                                continue;
                        }
                }

                char c = in[i++];

                /* RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets
                 * with its CRLF, "not counting the leading dot duplicated
                 * for transparency". We only note it: the caller decides. */
                bool is_stuffing_dot = d->state == DOT_STATE_LINE_START && c == '.';
                if (!is_stuffing_dot && ++d->line_length > SMTP_TEXT_LINE_MAX)
                        d->long_line_seen = true;

                switch (d->state) {
                case DOT_STATE_LINE_START:
                        if (c == '.') {
                                d->state = DOT_STATE_SEEN_DOT;
                        } else if (c == '\r') {
                                d->state = DOT_STATE_SEEN_CR;
                        } else if (c == '\n') {
                                /* SECURITY: SMTP smuggling: a bare LF is no
                                 * line end, so a "." after it is no end. */
                                d->bare_line_ending_seen = true;
                                out[n++] = c;
                                d->line_length = 0;
                                d->state = DOT_STATE_IN_LINE;
                        } else {
                                out[n++] = c;
                                d->state = DOT_STATE_IN_LINE;
                        }
                        break;

                case DOT_STATE_IN_LINE:
                        if (c == '\r') {
                                d->state = DOT_STATE_SEEN_CR;
                        } else {
                                if (c == '\n') {
                                        /* SECURITY: SMTP smuggling: bare LF
                                         * (RFC 5321 §2.3.8): kept, noted,
                                         * and not a line start. */
                                        d->bare_line_ending_seen = true;
                                        d->line_length = 0;
                                }
                                out[n++] = c;
                        }
                        break;

                case DOT_STATE_SEEN_CR:
                        if (c == '\n') {
                                /* CRLF: the only line end; stored as LF. */
                                out[n++] = '\n';
                                d->line_length = 0;
                                d->state = DOT_STATE_LINE_START;
                        } else if (c == '\r') {
                                /* The held CR was bare; hold the new one. */
                                d->bare_line_ending_seen = true;
                                out[n++] = '\r';
                        } else {
                                /* SECURITY: SMTP smuggling: a bare CR is
                                 * kept and noted, and does not end a line. */
                                d->bare_line_ending_seen = true;
                                out[n++] = '\r';
                                out[n++] = c;
                                d->state = DOT_STATE_IN_LINE;
                        }
                        break;

                case DOT_STATE_SEEN_DOT:
                        /* RFC 5321 §4.5.2: "If the first character is a
                         * period and there are other characters on the
                         * line, the first character is deleted." The held
                         * dot is therefore dropped in every branch. */
                        if (c == '\r') {
                                d->state = DOT_STATE_SEEN_DOT_CR;
                        } else if (c == '\n') {
                                /* SECURITY: SMTP smuggling: CRLF "." LF is
                                 * not the end of data. */
                                d->bare_line_ending_seen = true;
                                out[n++] = c;
                                d->line_length = 0;
                                d->state = DOT_STATE_IN_LINE;
                        } else {
                                out[n++] = c;
                                d->state = DOT_STATE_IN_LINE;
                        }
                        break;

                case DOT_STATE_SEEN_DOT_CR:
                        if (c == '\n') {
                                /* RFC 5321 §4.1.1.4: CRLF "." CRLF, the end
                                 * of mail data. The CRLF before the dot was
                                 * the last line's end, already written. */
                                d->line_length = 0;
                                d->state = DOT_STATE_DONE;
                        } else if (c == '\r') {
                                /* SECURITY: SMTP smuggling: CRLF "." CR CR
                                 * is not the end; the first CR was bare. */
                                d->bare_line_ending_seen = true;
                                out[n++] = '\r';
                                d->state = DOT_STATE_SEEN_CR;
                        } else {
                                /* SECURITY: SMTP smuggling: CRLF "." CR x. */
                                d->bare_line_ending_seen = true;
                                out[n++] = '\r';
                                out[n++] = c;
                                d->state = DOT_STATE_IN_LINE;
                        }
                        break;

                case DOT_STATE_DONE:
                        break;
                }
        }
        *consumed_out = i;
        *out_len_out = n;
        d->octets_out += n;
        return d->state == DOT_STATE_DONE ? DOT_END : DOT_MORE;
}

void dot_encoder_init(struct dot_encoder *e, long body_lines_max)
{
        e->at_line_start = true;
        e->pending_cr = false;
        e->in_body = false;
        e->header_line_empty = true;
        e->body_lines_max = body_lines_max;
        e->body_lines_sent = 0;
        /* RFC 1939 §7: even "TOP msg 0" sends the header and the blank
         * line, so nothing is stopped before the body starts. */
        e->stopped = false;
        e->wrote_any = false;
}

/* A line ended (its CRLF is written): track the header/body boundary and
 * the TOP line count. */
static void dot_encode_line_end(struct dot_encoder *e)
{
        if (!e->in_body) {
                /* RFC 1939 §7: the header, then "the blank line separating
                 * the headers from the body", then n lines of the body. */
                if (e->header_line_empty)
                        e->in_body = true;
        } else {
                e->body_lines_sent++;
        }
        if (e->in_body && e->body_lines_max >= 0 &&
            e->body_lines_sent >= e->body_lines_max)
                e->stopped = true;
        e->at_line_start = true;
        e->header_line_empty = true;
}

size_t dot_encode(struct dot_encoder *e, const char *in, size_t in_len, char *out)
{
        size_t n = 0;

        for (size_t i = 0; i < in_len && !e->stopped; i++) {
                char c = in[i];

                if (c == '\n') {
                        /* Maildir lines end in LF; RFC 1939 §3 lines end
                         * in CRLF. A stored CRLF stays one CRLF. */
                        e->pending_cr = false;
                        out[n++] = '\r';
                        out[n++] = '\n';
                        e->wrote_any = true;
                        dot_encode_line_end(e);
                        continue;
                }
                if (e->pending_cr) {
                        /* The CR held back was not before an LF: a bare
                         * CR, sent as it is and counted so by
                         * dot_wire_size. */
                        out[n++] = '\r';
                        e->pending_cr = false;
                        e->at_line_start = false;
                        e->header_line_empty = false;
                }
                if (c == '\r') {
                        e->pending_cr = true;
                        e->wrote_any = true;
                        continue;
                }
                if (c == '.' && e->at_line_start) {
                        /* RFC 1939 §3: a line beginning with the
                         * termination octet is byte-stuffed. */
                        out[n++] = '.';
                }
                out[n++] = c;
                e->wrote_any = true;
                e->at_line_start = false;
                e->header_line_empty = false;
        }
        return n;
}

size_t dot_encode_finish(struct dot_encoder *e, char *out)
{
        size_t n = 0;

        if (e->pending_cr) {
                out[n++] = '\r';
                e->pending_cr = false;
                e->at_line_start = false;
        }
        /* RFC 1939 §3: the terminating line must follow a CRLF; a message
         * whose last line had no line end gets one. */
        if (e->wrote_any && !e->at_line_start && !e->stopped) {
                out[n++] = '\r';
                out[n++] = '\n';
        }
        out[n++] = '.';
        out[n++] = '\r';
        out[n++] = '\n';
        return n;
}

/* RFC 1939 §5: sizes in STAT and LIST are octets as sent, CRLF line ends
 * included; our Maildir stores LF, so every bare LF counts two. */
/* Every byte counts once, and every LF not preceded by a CR once more (it
 * goes out as CRLF). The loop jumps from LF to LF with memchr() rather than
 * looking at each byte: smtpd and maildir/deliver.c count whole messages of
 * up to max_message_size this way. */
void dot_wire_size_add(struct dot_wire_size *w, const char *in, size_t len)
{
        const char *end = in + len;
        const char *p = in;
        const char *lf;

        if (len == 0)
                return;
        w->octets += len;
        while ((lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
                char before = lf > in ? lf[-1] : w->last;
                if (before != '\r')
                        w->octets += 1;
                p = lf + 1;
                if (p == end)
                        break;
        }
        w->last = in[len - 1];
        w->any = true;
}

uint64_t dot_wire_size_total(const struct dot_wire_size *w)
{
        if (w->any && w->last != '\n')
                return w->octets + 2;
        return w->octets;
}
