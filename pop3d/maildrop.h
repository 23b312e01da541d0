/* SPDX-License-Identifier: MIT
 *
 * maildrop.h - a POP3 session's snapshot of one maildrop (RFC 1939 §5, §6):
 * message numbers, exact sizes, unique ids and deleted marks, fixed at login,
 * and the UPDATE step that removes the marked messages after QUIT.
 *
 * Owned by one session; nothing here is shared or touches a socket.
 */
#ifndef POP3D_MAILDROP_H
#define POP3D_MAILDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "maildir/maildir.h"

/* RFC 1939 §7: a unique-id is 1 to 70 characters in 0x21..0x7E. */
#define POP3_UID_MAX 70

struct pop3_message {
        struct maildir_entry *entry;     /* in the maildrop's list */
        char uid[POP3_UID_MAX + 1];      /* UIDL answer */
        bool is_deleted;                 /* DELE mark, cleared by RSET */
};

struct pop3_maildrop {
        struct maildir_list list;        /* owned: freed by pop3_maildrop_free() */
        struct pop3_message *messages;   /* messages[n - 1] is message number n */
        size_t count;                    /* all messages, deleted ones included */
        size_t deleted_count;
        uint64_t octets;                 /* wire octets of the messages not deleted */
};

enum pop3_lookup {
        POP3_LOOKUP_OK,
        POP3_LOOKUP_SYNTAX,      /* not a plain decimal number */
        POP3_LOOKUP_NO_SUCH,     /* 0, past the end, or marked deleted */
};

/* Take over *list (emptied on return) and number its entries from 1 in the
 * order given. Returns 0, or -1 with errno (ENOMEM) with *list untouched. */
int pop3_maildrop_init(struct pop3_maildrop *d, struct maildir_list *list);
void pop3_maildrop_free(struct pop3_maildrop *d);

/* STAT (RFC 1939 §5): messages not marked deleted, and their octets. */
size_t pop3_maildrop_visible_count(const struct pop3_maildrop *d);
uint64_t pop3_maildrop_visible_octets(const struct pop3_maildrop *d);

/* Parse a message-number argument arg[0..len) strictly and find the message.
 * On POP3_LOOKUP_OK *number_out is its number and *message_out the
 * message. */
enum pop3_lookup pop3_maildrop_find(struct pop3_maildrop *d, const char *arg, size_t len,
                                    size_t *number_out, struct pop3_message **message_out);

/* The message numbered n, deleted or not; NULL when n is out of range. */
struct pop3_message *pop3_maildrop_get(struct pop3_maildrop *d, size_t n);

/* DELE: mark m (not yet marked). RSET: clear every mark. */
void pop3_maildrop_delete(struct pop3_maildrop *d, struct pop3_message *m);
void pop3_maildrop_reset(struct pop3_maildrop *d);

/* UPDATE (RFC 1939 §6): remove every marked message from <root>/<user>.
 * Keeps going after a failure; *removed_out counts the messages removed.
 * Returns 0 when all were removed, -1 when any removal failed. */
int pop3_maildrop_update(struct pop3_maildrop *d, const char *root, const char *user,
                         size_t *removed_out);

/* The UID of a Maildir unique name (RFC 1939 §7): the name itself when it is
 * 1..70 octets of 0x21..0x7E, else the MD5 hex of it. uid_out has
 * POP3_UID_MAX + 1 bytes. */
void pop3_maildrop_uid(const char *unique, char *uid_out);

#endif
