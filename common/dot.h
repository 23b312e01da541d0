/* SPDX-License-Identifier: MIT
 *
 * dot.h - the dot codec of RFC 5321 §4.5.2 and RFC 1939 §3, in pure functions.
 *
 * Decoder (SMTP DATA): network bytes in, unstuffed message bytes with LF
 * line ends out; ends only on CRLF "." CRLF. Encoder (POP3 RETR/TOP): stored
 * bytes (LF or CRLF line ends) in, CRLF lines with leading dots doubled out,
 * then the terminating ".". Neither touches a socket or a file.
 */
#ifndef COMMON_DOT_H
#define COMMON_DOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Decoder ---- */

enum dot_decode_state {
        DOT_STATE_LINE_START,     /* at the start of a line (after CRLF, or at the beginning) */
        DOT_STATE_IN_LINE,        /* inside a line */
        DOT_STATE_SEEN_CR,        /* inside a line, a CR was the last byte */
        DOT_STATE_SEEN_DOT,       /* a "." at the start of a line */
        DOT_STATE_SEEN_DOT_CR,    /* "." CR at the start of a line */
        DOT_STATE_DONE,           /* CRLF "." CRLF seen */
};

enum dot_result { DOT_MORE, DOT_END };

struct dot_decoder {
        enum dot_decode_state state;
        bool bare_line_ending_seen;   /* a CR or LF not part of CRLF: SMTP smuggling */
        bool long_line_seen;          /* a line over SMTP_TEXT_LINE_MAX octets with CRLF */
        size_t line_length;           /* octets of the current line so far */
        uint64_t octets_out;          /* decoded octets produced so far */
};

void dot_decoder_init(struct dot_decoder *d);

/* Decode in[0..in_len). Writes at most in_len + 2 bytes to out (room the
 * caller provides), sets *consumed_out to the input bytes used and
 * *out_len_out to the bytes written. Returns DOT_END when the end of data
 * was consumed; bytes after it are not consumed. */
enum dot_result dot_decode(struct dot_decoder *d, const char *in, size_t in_len,
                           size_t *consumed_out, char *out, size_t *out_len_out);

/* ---- Encoder ---- */

struct dot_encoder {
        bool at_line_start;
        bool pending_cr;          /* a CR was read; its LF may be in the next chunk */
        bool in_body;             /* the empty line after the header was passed */
        bool header_line_empty;   /* current line is empty so far (for the header end) */
        long body_lines_max;      /* TOP: lines of body to send; -1 = all (RETR) */
        long body_lines_sent;
        bool stopped;             /* TOP limit reached: ignore the rest */
        bool wrote_any;
};

/* body_lines_max: -1 for RETR, n for "TOP msg n" (RFC 1939 §7). */
void dot_encoder_init(struct dot_encoder *e, long body_lines_max);

/* Encode in[0..in_len) into out, which must have room for
 * 2 * in_len + 2 bytes; returns the bytes written. */
size_t dot_encode(struct dot_encoder *e, const char *in, size_t in_len, char *out);

/* Finish: a CRLF if the message did not end with a line end, then ".\r\n".
 * out needs 8 bytes. Returns the bytes written. */
size_t dot_encode_finish(struct dot_encoder *e, char *out);

/* The octets a message occupies on the wire before byte-stuffing: each LF
 * not preceded by CR counts as CRLF, and a final CRLF is added when the
 * message does not end with a line end. This is exactly what dot_encode()
 * without the stuffing dots and the terminator produces for RETR, and what
 * POP3 STAT and LIST report (RFC 1939 §5). Stateful so it can be fed in
 * chunks: start with a zeroed struct dot_wire_size. */
struct dot_wire_size {
        uint64_t octets;
        char last;        /* last input byte, 0 before any */
        bool any;
};
void dot_wire_size_add(struct dot_wire_size *w, const char *in, size_t len);
uint64_t dot_wire_size_total(const struct dot_wire_size *w);

#endif
