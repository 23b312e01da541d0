/* SPDX-License-Identifier: MIT
 *
 * data.c - the SMTP DATA command: receive, unstuff and deliver one message.
 *
 * After the 354 reply the client sends the message, dot-stuffed, and ends it
 * with CRLF "." CRLF. We feed the bytes through the decoder of common/dot,
 * which undoes the stuffing, turns CRLF into LF for the Maildir and notes
 * what is wrong with the data (a bare CR or LF, a line over 1000 octets).
 * The decoded bytes stream straight into a file in the first recipient's
 * tmp/, after the Return-Path: and Received: lines. Nothing is decided
 * before the end of the data: whatever goes wrong, we keep reading up to
 * the terminator so that the client and we agree where the message ended,
 * then refuse it, remove the file and keep the session. Only when the file
 * is fsynced and linked into every recipient's new/ do we say 250.
 *
 * Standards:  RFC 5321 §2.3.8, RFC 5321 §3.3, RFC 5321 §4.1.1.4, RFC 5321 §4.2.2,
 *             RFC 5321 §4.2.5, RFC 5321 §4.3.2, RFC 5321 §4.4, RFC 5321 §4.5.2,
 *             RFC 5321 §4.5.3.1.6, RFC 5321 §4.5.3.1.9, RFC 5321 §4.5.3.2.6,
 *             RFC 1870 §3, RFC 1870 §6, RFC 3463 §3.4, RFC 3463 §3.7, RFC 2920 §3.1
 * Threads:    runs in the session's thread; touches no shared state.
 * Read next:  common/dot.c (the decoder), maildir/deliver.c (durability).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common/dot.h"
#include "common/log.h"
#include "maildir/maildir.h"
#include "smtpd/reply.h"
#include "smtpd/session.h"

/* How a DATA phase ended, before the reply is chosen. */
struct smtp_data_outcome {
        enum conn_result connection;    /* CONN_LINE when the terminator arrived */
        bool too_big;                   /* more octets than max_message_size */
        enum maildir_result write_error;
        int write_errno;
        bool bare_line_ending;
        bool long_line;
};

/* DEVIATION: RFC 5321 §2.3.8 — only with smtp_line_endings = lenient-unsafe
 * (a lab switch, loopback only, announced in the greeting): a bare LF in the
 * data counts as CRLF, as vulnerable servers did, so LF "." LF ends the
 * message and what follows is read as commands. We get that by rewriting
 * each bare LF of raw[0..len) into CRLF before the strict decoder sees it.
 * *previous_cr carries "the last byte was CR" across chunks. */
static size_t smtp_data_lenient_translate(const char *raw, size_t len, bool *previous_cr,
                                          char *out)
{
        size_t n = 0;
        bool cr = *previous_cr;

        for (size_t i = 0; i < len; i++) {
                if (raw[i] == '\n' && !cr)
                        out[n++] = '\r';
                out[n++] = raw[i];
                cr = raw[i] == '\r';
        }
        *previous_cr = cr;
        return n;
}

/* How many raw bytes produced the first `translated` bytes of the lenient
 * translation (the decoder stops inside a chunk at the terminator, and the
 * bytes after it must stay unread for the next command). */
static size_t smtp_data_lenient_raw_length(const char *raw, size_t len, bool previous_cr,
                                           size_t translated)
{
        size_t produced = 0, i = 0;

        for (; i < len && produced < translated; i++) {
                produced += (raw[i] == '\n' && !previous_cr) ? 2 : 1;
                previous_cr = raw[i] == '\r';
        }
        return i;
}

/* Store decoded bytes unless the message is already doomed. */
static void smtp_data_store(struct smtp_session *s, struct maildir_delivery *delivery,
                            struct smtp_data_outcome *outcome, const char *data, size_t len)
{
        if (len == 0 || outcome->too_big || outcome->write_error != MAILDIR_OK)
                return;
        enum maildir_result result = maildir_delivery_write(delivery, data, len);
        if (result != MAILDIR_OK) {
                outcome->write_error = result;
                outcome->write_errno = errno;
                log_warn(s->id, "writing the message failed: %s", strerror(errno));
        }
}

/* Decoded bytes gather here and go to the file once the buffer is full:
 * one write() per SMTP_DATA_BUFFER octets instead of one per chunk of the
 * socket. It exists only during DATA, so idle sessions stay small; without
 * it (no memory) each chunk is written from the session's own buffer. */
#define SMTP_DATA_BUFFER (256 * 1024)

struct smtp_data_buffer {
        char *data;             /* NULL: write each chunk from s->data_decoded */
        size_t length;
};

/* Write out what the buffer holds. */
static void smtp_data_flush(struct smtp_session *s, struct maildir_delivery *delivery,
                            struct smtp_data_outcome *outcome, struct smtp_data_buffer *buffer)
{
        if (buffer->data != NULL)
                smtp_data_store(s, delivery, outcome, buffer->data, buffer->length);
        buffer->length = 0;
}

/* Read the message up to CRLF "." CRLF (or the end of the connection),
 * decoding and storing as it comes. Memory is bounded by the chunk size
 * and the DATA buffer, whatever the size of the message. */
static void smtp_data_receive(struct smtp_session *s, struct maildir_delivery *delivery,
                              struct smtp_data_outcome *outcome)
{
        struct dot_decoder decoder;
        struct dot_wire_size size = { 0 };
        bool lenient = s->cfg->smtp_lenient_line_endings;
        bool previous_cr = false;
        struct smtp_data_buffer buffer = { .data = malloc(SMTP_DATA_BUFFER), .length = 0 };

        dot_decoder_init(&decoder);
        for (;;) {
                const char *raw;
                size_t raw_len;
                enum conn_result result = conn_peek(&s->conn, &raw, &raw_len);

                if (result != CONN_LINE) {
                        /* The message is lost: nothing more to write. */
                        free(buffer.data);
                        outcome->connection = result;
                        return;
                }
                if (raw_len > SMTP_DATA_CHUNK)
                        raw_len = SMTP_DATA_CHUNK;

                const char *in = raw;
                size_t in_len = raw_len;
                bool chunk_previous_cr = previous_cr;
                if (lenient) {
                        in_len = smtp_data_lenient_translate(raw, raw_len, &previous_cr,
                                                             s->data_translated);
                        in = s->data_translated;
                }

                /* dot.h: decoding in_len bytes writes at most in_len + 2. */
                char *out = s->data_decoded;
                if (buffer.data != NULL) {
                        if (SMTP_DATA_BUFFER - buffer.length < in_len + 2)
                                smtp_data_flush(s, delivery, outcome, &buffer);
                        out = buffer.data + buffer.length;
                }
                size_t consumed = 0, decoded = 0;
                enum dot_result end = dot_decode(&decoder, in, in_len, &consumed, out,
                                                 &decoded);
                /* RFC 1870 §6 and RFC 5321 §4.5.3.1.9: over the size limit we
                 * stop storing but keep reading to the end, then say 552.
                 * The size is the one SIZE announces (RFC 1870 §3): octets
                 * with CRLF line ends, without the stuffing dots and the
                 * terminator; we store LF, so each LF counts twice. */
                dot_wire_size_add(&size, out, decoded);
                if (size.octets > s->cfg->max_message_size && !outcome->too_big) {
                        outcome->too_big = true;
                        log_info(s->id, "message over %llu octets, reading to its end",
                                 s->cfg->max_message_size);
                }
                if (buffer.data != NULL)
                        buffer.length += decoded;
                else
                        smtp_data_store(s, delivery, outcome, out, decoded);

                /* Raw bytes used: in lenient mode the decoder counted
                 * translated bytes, which we map back. */
                size_t raw_used = consumed;
                if (lenient) {
                        raw_used = consumed >= in_len
                                   ? raw_len
                                   : smtp_data_lenient_raw_length(raw, raw_len,
                                                                  chunk_previous_cr, consumed);
                        previous_cr = raw_used > 0 ? raw[raw_used - 1] == '\r'
                                                   : chunk_previous_cr;
                }
                /* At the end, what follows the terminator stays in the
                 * buffer: it is the next pipelined command (RFC 2920 §3.1). */
                conn_consume(&s->conn, raw_used);
                if (end == DOT_END) {
                        smtp_data_flush(s, delivery, outcome, &buffer);
                        free(buffer.data);
                        outcome->connection = CONN_LINE;
                        outcome->bare_line_ending = decoder.bare_line_ending_seen;
                        outcome->long_line = decoder.long_line_seen;
                        return;
                }
        }
}

/* The reply after the final ".", or none when the connection is gone.
 * Returns true when the message may be committed. */
static bool smtp_data_refuse(struct smtp_session *s, const struct smtp_data_outcome *outcome)
{
        switch (outcome->connection) {
        case CONN_LINE:
                break;
        case CONN_TIMEOUT:
                /* RFC 5321 §4.5.3.2.6: we waited data_timeout for the next
                 * block; say why before closing (RFC 5321 §4.2.2, 421). */
                smtp_reply(s, 421, "4.4.2", "%s Timeout during DATA, message discarded",
                           s->cfg->hostname);
                s->is_closing = true;
                return false;
        case CONN_SHUTDOWN:
                smtp_reply(s, 421, "4.3.2", "%s Service shutting down, message discarded",
                           s->cfg->hostname);
                s->is_closing = true;
                return false;
        default:
                log_info(s->id, "connection lost during DATA, message discarded");
                s->is_closing = true;
                return false;
        }
        if (outcome->too_big) {
                /* RFC 1870 §6 (and RFC 3463 §3.4: 5.3.4 message too big). */
                smtp_reply(s, 552, "5.3.4", "Message size exceeds fixed maximum message size");
                return false;
        }
        if (outcome->bare_line_ending && !s->cfg->smtp_lenient_line_endings) {
                /* SECURITY: SMTP smuggling. RFC 5321 §2.3.8: CR and LF only
                 * ever come as CRLF. A bare one is where servers disagree on
                 * the end of the data, so the message is refused whole.
                 * 554 is a reply RFC 5321 §4.3.2 lists after the data;
                 * 5.6.0 (RFC 3463 §3.7) says the content is at fault. */
                smtp_reply(s, 554, "5.6.0",
                           "Message refused: bare CR or LF in the data");
                return false;
        }
        if (outcome->long_line) {
                /* RFC 5321 §4.5.3.1.6: text lines are at most 1000 octets.
                 * §4.5.3.1.9 suggests "500 Line too long", but 500 is not
                 * among the replies RFC 5321 §4.3.2 allows after the data, so
                 * we use 554 5.6.0 like the other content refusals. */
                smtp_reply(s, 554, "5.6.0",
                           "Message refused: a line is longer than 1000 octets");
                return false;
        }
        if (outcome->write_error == MAILDIR_ERR_TEMP) {
                smtp_reply(s, 452, "4.3.1", "Insufficient system storage: %s",
                           strerror(outcome->write_errno));
                return false;
        }
        if (outcome->write_error == MAILDIR_ERR_IO) {
                smtp_reply(s, 451, "4.3.0", "Local error in processing: %s",
                           strerror(outcome->write_errno));
                return false;
        }
        return true;
}

/* Reply for a failed Maildir operation; errno tells temporary from not. */
static void smtp_data_storage_error(struct smtp_session *s, int error)
{
        if (error == ENOSPC || error == EDQUOT || error == EFBIG)
                smtp_reply(s, 452, "4.3.1", "Insufficient system storage: %s", strerror(error));
        else
                smtp_reply(s, 451, "4.3.0", "Local error in processing: %s", strerror(error));
}

/* Create every recipient's Maildir and the tmp/ file. Returns NULL after
 * replying when that fails (before the 354, so no data is sent for nothing). */
static struct maildir_delivery *smtp_data_begin(struct smtp_session *s)
{
        for (size_t i = 0; i < s->tx.user_count; i++) {
                if (maildir_create(s->cfg->mail_root, s->tx.users[i]) != 0) {
                        int error = errno;
                        log_err(s->id, "cannot create the Maildir of %s: %s", s->tx.users[i],
                                strerror(error));
                        smtp_data_storage_error(s, error);
                        return NULL;
                }
        }
        struct maildir_delivery *delivery =
                maildir_delivery_begin(s->cfg->mail_root, s->tx.users[0]);
        if (delivery == NULL) {
                int error = errno;
                log_err(s->id, "cannot create a file in tmp/: %s", strerror(error));
                smtp_data_storage_error(s, error);
        }
        return delivery;
}

void smtp_cmd_data(struct smtp_session *s, char *args)
{
        (void)args;
        struct smtp_data_outcome outcome = { .connection = CONN_LINE,
                                             .write_error = MAILDIR_OK };
        struct maildir_delivery *delivery = smtp_data_begin(s);
        char name[MAILDIR_NAME_MAX + 1];

        if (delivery == NULL) {
                smtp_transaction_reset(s);
                smtp_set_state(s, SMTP_STATE_GREETED);
                return;
        }
        /* RFC 5321 §4.1.1.4: 354, then the data. The 354 must reach the
         * client before we wait for the data (RFC 2920 §3.1). */
        smtp_reply(s, 354, NULL, "Start mail input; end with <CRLF>.<CRLF>");
        conn_flush(&s->conn);
        conn_set_timeout(&s->conn, (int)s->cfg->data_timeout);

        /* RFC 5321 §4.4: the trace lines come first, then the message. */
        char headers[2048];
        size_t headers_len = smtp_trace_headers(s, headers, sizeof headers);
        smtp_data_store(s, delivery, &outcome, headers, headers_len);

        smtp_data_receive(s, delivery, &outcome);
        conn_set_timeout(&s->conn, (int)s->cfg->command_timeout);

        if (!smtp_data_refuse(s, &outcome)) {
                maildir_delivery_abort(delivery);
        } else {
                /* The 250 waits for the commit: the file and every new/
                 * directory are fsynced by then (RFC 5321 §4.1.1.4: the
                 * server takes responsibility with its 250). */
                const char *users[SMTP_RECIPIENT_USERS_MAX];
                const char **user_list = users;
                const char **allocated = NULL;
                if (s->tx.user_count > SMTP_RECIPIENT_USERS_MAX) {
                        allocated = calloc(s->tx.user_count, sizeof *allocated);
                        user_list = allocated;
                }
                if (user_list == NULL) {
                        maildir_delivery_abort(delivery);
                        smtp_reply(s, 451, "4.3.0", "Local error in processing: out of memory");
                } else {
                        for (size_t i = 0; i < s->tx.user_count; i++)
                                user_list[i] = s->tx.users[i];
                        enum maildir_result result = maildir_delivery_commit(
                                delivery, user_list, s->tx.user_count, name, sizeof name);
                        int error = errno;
                        if (result == MAILDIR_OK) {
                                name[strcspn(name, ",:")] = '\0';
                                log_info(s->id, "delivered %s to %zu mailbox(es)", name,
                                         s->tx.user_count);
                                smtp_reply(s, 250, "2.0.0", "OK queued as %s", name);
                        } else if (result == MAILDIR_ERR_TEMP) {
                                smtp_reply(s, 452, "4.3.1", "Insufficient system storage: %s",
                                           strerror(error));
                        } else {
                                smtp_reply(s, 451, "4.3.0", "Local error in processing: %s",
                                           strerror(error));
                        }
                }
                free(allocated);
        }
        /* RFC 5321 §4.1.1.4: whatever the outcome, the transaction is over. */
        smtp_transaction_reset(s);
        smtp_set_state(s, SMTP_STATE_GREETED);
}
