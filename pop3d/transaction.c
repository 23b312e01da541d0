/* SPDX-License-Identifier: MIT
 *
 * transaction.c - the TRANSACTION state: STAT, LIST, RETR, DELE, NOOP, RSET,
 * TOP, UIDL, and QUIT with its UPDATE step.
 *
 * Every command here works on the session's snapshot (maildrop.c), fixed at
 * login: message numbers do not change during the session, a message marked
 * by DELE disappears from every listing and cannot be named again, and RSET
 * brings the marks back. Sizes are the wire sizes from the Maildir names, so
 * STAT and LIST never open a file. RETR and TOP stream the file through
 * common/dot, which turns LF into CRLF, doubles leading dots and writes the
 * terminating "."; they read 64 KiB at a time, so a 10 MB message costs no
 * more memory than a small one.
 *
 * Only QUIT in this state removes anything (RFC 1939 §6): the session loop
 * ends every other way without calling pop3_maildrop_update().
 *
 * Standards:  RFC 1939 §3, RFC 1939 §5, RFC 1939 §6, RFC 1939 §7, RFC 1939 §11,
 *             RFC 3206 §4
 * Threads:    runs in the session's thread; the maildrop lock taken at login
 *             keeps other POP3 sessions out of this Maildir.
 * Read next:  pop3d/maildrop.c (the snapshot), common/dot.c (the encoder).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include "common/dot.h"
#include "common/log.h"
#include "common/text.h"
#include "maildir/maildir.h"
#include "pop3d/reply.h"
#include "pop3d/session.h"

/* Find the message named by a message-number argument, or answer -ERR.
 * RFC 1939 §5: numbers refer to messages not marked deleted. */
static struct pop3_message *pop3_message_arg(struct pop3_session *s, const struct pop3_args *args,
                                             size_t index, size_t *number_out)
{
        struct pop3_message *m = NULL;

        switch (pop3_maildrop_find(&s->maildrop, args->values[index], args->lengths[index],
                                   number_out, &m)) {
        case POP3_LOOKUP_OK:
                return m;
        case POP3_LOOKUP_SYNTAX:
                pop3_reply_err(s, POP3_CODE_NONE, "Invalid message number");
                return NULL;
        case POP3_LOOKUP_NO_SUCH:
                pop3_reply_err(s, POP3_CODE_NONE, "No such message");
                return NULL;
        }
        return NULL;
}

/* RFC 1939 §5 STAT: '"+OK" followed by a single space, the number of
 * messages in the maildrop, a single space, and the size of the maildrop in
 * octets'. Nothing follows, so simple parsers can split on spaces. */
void pop3_cmd_stat(struct pop3_session *s, const struct pop3_args *args)
{
        (void)args;
        pop3_reply_ok(s, "%zu %llu", pop3_maildrop_visible_count(&s->maildrop),
                      (unsigned long long)pop3_maildrop_visible_octets(&s->maildrop));
}

/* RFC 1939 §5 LIST [msg]: a "scan listing" is the number, one space, the
 * exact size in octets. Thunderbird splits these lines on single spaces
 * (THUNDERBIRD.md §6). */
void pop3_cmd_list(struct pop3_session *s, const struct pop3_args *args)
{
        size_t number;

        if (args->count == 1) {
                struct pop3_message *m = pop3_message_arg(s, args, 0, &number);

                if (m != NULL)
                        pop3_reply_ok(s, "%zu %llu", number,
                                      (unsigned long long)m->entry->wire_size);
                return;
        }
        pop3_reply_ok(s, "%zu messages (%llu octets)", pop3_maildrop_visible_count(&s->maildrop),
                      (unsigned long long)pop3_maildrop_visible_octets(&s->maildrop));
        for (number = 1; number <= s->maildrop.count; number++) {
                struct pop3_message *m = pop3_maildrop_get(&s->maildrop, number);

                /* RFC 1939 §5: "messages marked as deleted are not listed". */
                if (!m->is_deleted)
                        pop3_reply_line(s, "%zu %llu", number,
                                        (unsigned long long)m->entry->wire_size);
        }
        pop3_reply_end(s);
}

/* Send message m as a multi-line response: the whole of it for RETR
 * (body_lines -1) or the header and body_lines lines of the body for TOP.
 * Returns true when the whole response was sent. */
static bool pop3_send_message(struct pop3_session *s, struct pop3_message *m, long body_lines)
{
        int fd = maildir_open_message(s->cfg->mail_root, s->login, m->entry);
        struct dot_encoder encoder;
        size_t out_len;

        if (fd < 0) {
                log_err(s->id, "cannot open a message of %s: %s", s->login, strerror(errno));
                pop3_reply_err(s, POP3_CODE_SYS_TEMP, "Cannot read message");
                return false;
        }
        if (body_lines < 0)
                pop3_reply_ok(s, "%llu octets", (unsigned long long)m->entry->wire_size);
        else
                pop3_reply_ok(s, "Top of message follows");
        /* RFC 1939 §3: the lines are byte-stuffed and the response ends with
         * "." CRLF; common/dot does both, and adds a CRLF when the stored
         * message does not end with a line end. */
        dot_encoder_init(&encoder, body_lines);
        for (;;) {
                ssize_t n = read(fd, s->file_chunk, sizeof(s->file_chunk));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        /* After "+OK" there is no way to say -ERR. Closing
                         * without the terminator shows the client that the
                         * response is incomplete, instead of handing it a
                         * silently truncated message. */
                        log_err(s->id, "read error in a message of %s: %s", s->login,
                                strerror(errno));
                        close(fd);
                        s->is_closing = true;
                        return false;
                }
                if (n == 0)
                        break;
                out_len = dot_encode(&encoder, s->file_chunk, (size_t)n, s->encoded);
                if (conn_write(&s->conn, s->encoded, out_len) < 0) {
                        close(fd);
                        s->is_closing = true;
                        return false;
                }
                if (encoder.stopped)
                        break;
        }
        close(fd);
        out_len = dot_encode_finish(&encoder, s->encoded);
        conn_write(&s->conn, s->encoded, out_len);
        trace_server(s->id, ".", 1, s->explain);
        return true;
}

/* RFC 1939 §5 RETR msg. The size in the status line is the one LIST gave,
 * the octets that follow before byte-stuffing. */
void pop3_cmd_retr(struct pop3_session *s, const struct pop3_args *args)
{
        size_t number;
        struct pop3_message *m = pop3_message_arg(s, args, 0, &number);

        if (m == NULL || !pop3_send_message(s, m, -1))
                return;
        /* DESIGN.md §6: a retrieved message moves to cur/ with the S (seen)
         * flag, so other Maildir readers show it as read. The unique part
         * of the name, and with it the UIDL, stays the same. TOP does not
         * mark: the client has not read the message. */
        const char *filename = m->entry->filename;
        const char *info = strstr(filename, ":2,");
        bool is_seen = strncmp(filename, "cur/", 4) == 0 && info != NULL &&
                       strchr(info + 3, 'S') != NULL;

        if (!is_seen && maildir_mark_seen(s->cfg->mail_root, s->login, m->entry) < 0)
                log_warn(s->id, "cannot mark message %zu of %s seen: %s", number, s->login,
                         strerror(errno));
}

/* RFC 1939 §5 DELE msg: only a mark; "The POP3 server does not actually
 * delete the message until the POP3 session enters the UPDATE state." */
void pop3_cmd_dele(struct pop3_session *s, const struct pop3_args *args)
{
        size_t number;
        struct pop3_message *m = pop3_message_arg(s, args, 0, &number);

        if (m == NULL)
                return;
        pop3_maildrop_delete(&s->maildrop, m);
        pop3_reply_ok(s, "Message %zu marked to be deleted", number);
}

/* RFC 1939 §5 NOOP: "The POP3 server does nothing, it merely replies with a
 * positive response." Thunderbird sends it to keep long sessions alive. */
void pop3_cmd_noop(struct pop3_session *s, const struct pop3_args *args)
{
        (void)args;
        pop3_reply_ok(s, "%s", "");
}

/* RFC 1939 §5 RSET: unmark every message marked as deleted. */
void pop3_cmd_rset(struct pop3_session *s, const struct pop3_args *args)
{
        (void)args;
        pop3_maildrop_reset(&s->maildrop);
        pop3_reply_ok(s, "Maildrop has %zu messages (%llu octets)",
                      pop3_maildrop_visible_count(&s->maildrop),
                      (unsigned long long)pop3_maildrop_visible_octets(&s->maildrop));
}

/* RFC 1939 §7 TOP msg n: the header, the blank line, and the first n lines
 * of the body; "n" must be a non-negative number. Thunderbird uses TOP n 0
 * for "headers only" and TOP n 20 for messages over its size limit
 * (THUNDERBIRD.md §7). */
void pop3_cmd_top(struct pop3_session *s, const struct pop3_args *args)
{
        unsigned long long lines;
        size_t number;

        if (!text_parse_uint(args->values[1], args->lengths[1], LONG_MAX, &lines)) {
                pop3_reply_err(s, POP3_CODE_NONE, "Invalid number of lines");
                return;
        }
        struct pop3_message *m = pop3_message_arg(s, args, 0, &number);

        if (m != NULL)
                pop3_send_message(s, m, (long)lines);
}

/* RFC 1939 §7 UIDL [msg]: "a unique-id listing" is the number, one space,
 * the unique-id. The id is the Maildir name before ':' (DESIGN.md §5), so it
 * is the same in every session and survives the move to cur/. */
void pop3_cmd_uidl(struct pop3_session *s, const struct pop3_args *args)
{
        size_t number;

        if (args->count == 1) {
                struct pop3_message *m = pop3_message_arg(s, args, 0, &number);

                if (m != NULL)
                        pop3_reply_ok(s, "%zu %s", number, m->uid);
                return;
        }
        pop3_reply_ok(s, "Unique-id listing follows");
        for (number = 1; number <= s->maildrop.count; number++) {
                struct pop3_message *m = pop3_maildrop_get(&s->maildrop, number);

                if (!m->is_deleted)
                        pop3_reply_line(s, "%zu %s", number, m->uid);
        }
        pop3_reply_end(s);
}

/* RFC 1939 §6 UPDATE: remove what was marked, then say how it went. The
 * +OK comes only after the files are gone. */
static void pop3_update(struct pop3_session *s)
{
        size_t marked = s->maildrop.deleted_count;
        size_t removed = 0;

        log_info(s->id, "state TRANSACTION -> UPDATE, %zu messages marked", marked);
        if (pop3_maildrop_update(&s->maildrop, s->cfg->mail_root, s->login, &removed) < 0) {
                /* RFC 3206 §4: SYS/TEMP, the client may try again later; the
                 * messages not removed are still marked in no session. */
                pop3_reply_err(s, POP3_CODE_SYS_TEMP, "Some deleted messages not removed");
        } else {
                pop3_reply_ok(s, "Bye, %zu messages deleted", removed);
        }
        log_info(s->id, "%s: %zu of %zu marked messages removed", s->login, removed, marked);
}

/* RFC 1939 §4 and §6 QUIT. In AUTHORIZATION nothing has been opened, so
 * nothing is touched; in TRANSACTION QUIT is the only way into UPDATE. */
void pop3_cmd_quit(struct pop3_session *s, const struct pop3_args *args)
{
        (void)args;
        if (s->state == POP3_STATE_TRANSACTION)
                pop3_update(s);
        else
                pop3_reply_ok(s, "Bye");
        s->is_closing = true;
}
