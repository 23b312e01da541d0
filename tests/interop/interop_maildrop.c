/* SPDX-License-Identifier: MIT
 *
 * interop_maildrop.c - the three-message maildrop the POP3 interop tests
 * fetch, and what RETR and TOP must return for it.
 *
 * The messages are stored through libmaildir as smtpd stores them (LF line
 * ends, ",S=" and ",W=" in the name), so the tests know the exact stored
 * bytes without a running smtpd. The expected forms are computed here from
 * the RFC, not from pop3d: LF -> CRLF for what the client gets and a doubled
 * leading dot on the wire (RFC 1939 §3); for TOP the header, the blank line
 * and n body lines (RFC 1939 §7).
 *
 * Standards:  RFC 1939 §3, RFC 1939 §7, RFC 5321 §4.5.3.1.6
 * Threads:    Check's fork mode; one process per test.
 * Read next:  tests/interop/check_interop_pop3.c.
 */
#include "tests/interop/interop.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void append_text(struct interop_buffer *b, const char *text)
{
        interop_buffer_append(b, text, strlen(text));
}

static void build(struct interop_maildrop *m)
{
        append_text(&m->messages[0],
                    "From: alice@localhost\nTo: student@localhost\nSubject: first\n"
                    "Message-ID: <pop3-1@localhost>\n\nA short message.\n");

        struct interop_buffer *second = &m->messages[1];
        append_text(second,
                    "From: bob@localhost\nTo: student@localhost\nSubject: dots and 8-bit\n"
                    "Content-Type: text/plain; charset=utf-8\n"
                    "Content-Transfer-Encoding: 8bit\n\n"
                    ".\n..\n.leading dot\n...three\n"
                    "Gr\xc3\xbc\xc3\x9f" "e, na\xc3\xafve caf\xc3\xa9\n");
        char octets[128];
        for (size_t i = 0; i < sizeof octets; i++)
                octets[i] = (char)(0x80 + i);
        interop_buffer_append(second, octets, sizeof octets);
        append_text(second, "\n");
        /* RFC 5321 §4.5.3.1.6: 998 octets plus CRLF is the longest text line. */
        for (size_t i = 0; i < 998; i++)
                append_text(second, i % 2 == 0 ? "x" : "y");
        append_text(second, "\n.end\n");

        append_text(&m->messages[2],
                    "From: alice@localhost\nTo: student@localhost\nSubject: twenty lines\n\n");
        for (int line = 1; line <= 20; line++) {
                char text[64];
                snprintf(text, sizeof text, "%sbody line %02d\n", line == 2 ? "." : "", line);
                append_text(&m->messages[2], text);
        }
}

void interop_maildrop_fill(struct interop_maildrop *m, const struct interop_world *w,
                           const char *user)
{
        memset(m, 0, sizeof *m);
        interop_clear_maildirs(w->smtp.mail_root);
        build(m);
        for (size_t i = 0; i < INTEROP_MAILDROP_SIZE; i++)
                ck_assert_msg(interop_store(w, user, m->messages[i].data, m->messages[i].len,
                                            m->uids[i], sizeof m->uids[i]) == 0,
                              "cannot store message %zu for %s", i + 1, user);
}

void interop_maildrop_free(struct interop_maildrop *m)
{
        for (size_t i = 0; i < INTEROP_MAILDROP_SIZE; i++)
                interop_buffer_free(&m->messages[i]);
}

size_t interop_maildrop_index(const struct interop_maildrop *m, const char *uid)
{
        for (size_t i = 0; i < INTEROP_MAILDROP_SIZE; i++)
                if (strcmp(m->uids[i], uid) == 0)
                        return i;
        ck_abort_msg("UIDL \"%s\" is not one of the stored messages", uid);
        return 0;
}

void interop_maildrop_retr_form(const struct interop_maildrop *m, size_t index,
                                struct interop_buffer *out)
{
        interop_lf_to_crlf(m->messages[index].data, m->messages[index].len, out);
}

void interop_maildrop_top_form(const struct interop_maildrop *m, size_t index, unsigned lines,
                               struct interop_buffer *out)
{
        const char *text = m->messages[index].data;
        size_t len = m->messages[index].len;
        size_t end = 0;
        while (end + 1 < len && !(text[end] == '\n' && text[end + 1] == '\n'))
                end++;
        end += 2;
        for (unsigned n = 0; n < lines && end < len; n++) {
                const char *lf = memchr(text + end, '\n', len - end);
                end = lf == NULL ? len : (size_t)(lf - text) + 1;
        }
        interop_lf_to_crlf(text, end, out);
}

int interop_maildrop_count(const struct interop_world *w, const char *user)
{
        return harness_count_files(&w->smtp, user, "new") +
               harness_count_files(&w->smtp, user, "cur");
}

bool interop_maildrop_has(const struct interop_world *w, const char *user, const char *uid)
{
        static const char *const subs[] = { "new", "cur" };
        size_t uid_len = strlen(uid);
        bool found = false;
        for (size_t s = 0; s < 2; s++) {
                char path[600];
                snprintf(path, sizeof path, "%s/%s/%s", w->smtp.mail_root, user, subs[s]);
                DIR *dir = opendir(path);
                if (dir == NULL)
                        continue;
                struct dirent *entry;
                while ((entry = readdir(dir)) != NULL)
                        if (strncmp(entry->d_name, uid, uid_len) == 0 &&
                            (entry->d_name[uid_len] == '\0' || entry->d_name[uid_len] == ':'))
                                found = true;
                closedir(dir);
        }
        return found;
}

size_t interop_maildrop_check_wire(const struct interop_maildrop *m,
                                   const struct interop_proxy *proxy,
                                   const char *const uid_by_number[], size_t numbers)
{
        enum { EXCHANGES_MAX = 64 };
        struct interop_pop3_exchange *x = calloc(EXCHANGES_MAX, sizeof *x);
        ck_assert_ptr_nonnull(x);
        size_t seen = 0;
        for (size_t c = 0; c < proxy->connection_count; c++) {
                size_t count = interop_pop3_exchanges(&proxy->streams[c], x, EXCHANGES_MAX);
                for (size_t i = 0; i < count; i++) {
                        unsigned n;
                        if (x[i].is_multiline && sscanf(x[i].command, "RETR %u", &n) == 1 &&
                            n >= 1 && n < numbers && uid_by_number[n] != NULL) {
                                size_t index = interop_maildrop_index(m, uid_by_number[n]);
                                struct interop_buffer expected = { 0 };
                                interop_pop3_encode(m->messages[index].data,
                                                    m->messages[index].len, &expected);
                                char why[1024];
                                ck_assert_msg(interop_same(x[i].body.data, x[i].body.len,
                                                           expected.data, expected.len, why,
                                                           sizeof why),
                                              "RETR %u as it crossed the wire: %s", n, why);
                                interop_buffer_free(&expected);
                                seen++;
                        }
                        interop_buffer_free(&x[i].body);
                }
        }
        free(x);
        return seen;
}
