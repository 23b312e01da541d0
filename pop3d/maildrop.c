/* SPDX-License-Identifier: MIT
 *
 * maildrop.c - the session's snapshot of a maildrop: numbers, sizes, UIDs,
 * deleted marks, and UPDATE.
 *
 * At login the session scans the Maildir once (maildir_scan) and hands the
 * list to pop3_maildrop_init(). From then on the numbering never changes
 * during the session: RFC 1939 §5 says message numbers stay valid for the
 * whole TRANSACTION state, and a message that arrives meanwhile appears at
 * the next login. DELE only sets a flag in memory; the files are removed
 * by pop3_maildrop_update(), which the session calls only after QUIT in
 * TRANSACTION. A dropped connection, a timeout or a shutdown frees the
 * snapshot and removes nothing (RFC 1939 §6, the rule qmail and popa3d keep).
 *
 * Sizes are the entries' wire_size: the octets RETR sends with CRLF line
 * ends, before byte-stuffing (RFC 1939 §11 asks for exact counts).
 *
 * Standards:  RFC 1939 §5, RFC 1939 §6, RFC 1939 §7, RFC 1939 §11
 * Threads:    owned by one session thread; no shared state.
 * Read next:  pop3d/transaction.c (the commands that use it).
 */
#include "pop3d/maildrop.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "common/log.h"
#include "common/md5.h"
#include "common/text.h"

/* RFC 1939 §7: "The unique-id of a message is an arbitrary server-determined
 * string, consisting of one to 70 characters in the range 0x21 to 0x7E".
 * Our own Maildir names always qualify; names written by other software or
 * on hosts with very long names may not, and then the MD5 of the name is
 * used: still stable across sessions and across the new/ -> cur/ move,
 * because it depends only on the unique part of the name. */
void pop3_maildrop_uid(const char *unique, char *uid_out)
{
        size_t len = strlen(unique);
        bool is_valid = len >= 1 && len <= POP3_UID_MAX;

        for (size_t i = 0; is_valid && i < len; i++) {
                unsigned char c = (unsigned char)unique[i];

                if (c < 0x21 || c > 0x7e)
                        is_valid = false;
        }
        if (is_valid) {
                memcpy(uid_out, unique, len + 1);
                return;
        }
        unsigned char digest[MD5_DIGEST_SIZE];
        char hex[2 * MD5_DIGEST_SIZE + 1];

        md5(unique, len, digest);
        md5_hex(digest, hex);
        memcpy(uid_out, hex, sizeof(hex));
}

int pop3_maildrop_init(struct pop3_maildrop *d, struct maildir_list *list)
{
        memset(d, 0, sizeof(*d));
        if (list->count > 0) {
                d->messages = calloc(list->count, sizeof(d->messages[0]));
                if (d->messages == NULL)
                        return -1;
        }
        d->list = *list;
        list->count = 0;
        list->entries = NULL;
        d->count = d->list.count;
        for (size_t i = 0; i < d->count; i++) {
                struct pop3_message *m = &d->messages[i];

                m->entry = &d->list.entries[i];
                pop3_maildrop_uid(m->entry->unique, m->uid);
                d->octets += m->entry->wire_size;
        }
        return 0;
}

void pop3_maildrop_free(struct pop3_maildrop *d)
{
        maildir_list_free(&d->list);
        free(d->messages);
        memset(d, 0, sizeof(*d));
}

size_t pop3_maildrop_visible_count(const struct pop3_maildrop *d)
{
        return d->count - d->deleted_count;
}

uint64_t pop3_maildrop_visible_octets(const struct pop3_maildrop *d)
{
        return d->octets;
}

struct pop3_message *pop3_maildrop_get(struct pop3_maildrop *d, size_t n)
{
        if (n == 0 || n > d->count)
                return NULL;
        return &d->messages[n - 1];
}

/* RFC 1939 §5: "a message-number argument ... may NOT refer to a message
 * marked as deleted". The number goes through text_parse_uint(), which
 * refuses signs, spaces, trailing junk and overflow: "4294967297" is an
 * error here, never message 1 after a wrap to 32 bits. */
enum pop3_lookup pop3_maildrop_find(struct pop3_maildrop *d, const char *arg, size_t len,
                                    size_t *number_out, struct pop3_message **message_out)
{
        unsigned long long number;

        if (!text_parse_uint(arg, len, SIZE_MAX, &number))
                return POP3_LOOKUP_SYNTAX;
        struct pop3_message *m = pop3_maildrop_get(d, (size_t)number);

        if (m == NULL || m->is_deleted)
                return POP3_LOOKUP_NO_SUCH;
        *number_out = (size_t)number;
        *message_out = m;
        return POP3_LOOKUP_OK;
}

void pop3_maildrop_delete(struct pop3_maildrop *d, struct pop3_message *m)
{
        if (m->is_deleted)
                return;
        m->is_deleted = true;
        d->deleted_count++;
        d->octets -= m->entry->wire_size;
}

/* RFC 1939 §5 RSET: "any messages marked as deleted by the POP3 server are
 * unmarked". */
void pop3_maildrop_reset(struct pop3_maildrop *d)
{
        for (size_t i = 0; i < d->count; i++) {
                struct pop3_message *m = &d->messages[i];

                if (m->is_deleted) {
                        m->is_deleted = false;
                        d->octets += m->entry->wire_size;
                }
        }
        d->deleted_count = 0;
}

/* RFC 1939 §6: "the POP3 server removes all messages marked as deleted from
 * the maildrop". If one removal fails we still try the others: what was
 * removed stays removed, and the caller answers -ERR so the client knows
 * (RFC 1939 §6: "If there is an error ... the response to QUIT ... is
 * -ERR"). */
int pop3_maildrop_update(struct pop3_maildrop *d, const char *root, const char *user,
                         size_t *removed_out)
{
        size_t removed = 0;
        int result = 0;

        for (size_t i = 0; i < d->count; i++) {
                struct pop3_message *m = &d->messages[i];

                if (!m->is_deleted)
                        continue;
                if (maildir_remove(root, user, m->entry) == 0) {
                        removed++;
                } else {
                        log_err(0, "cannot remove message %zu of %s: %s", i + 1, user,
                                strerror(errno));
                        result = -1;
                }
        }
        /* The +OK to QUIT promises the messages are gone: make the unlinks
         * durable first, or a crash could bring them back to be fetched
         * again. */
        if (removed > 0 && maildir_sync(root, user) != 0) {
                log_err(0, "cannot sync the maildrop of %s: %s", user, strerror(errno));
                result = -1;
        }
        *removed_out = removed;
        return result;
}
