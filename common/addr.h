/* SPDX-License-Identifier: MIT
 *
 * addr.h - RFC 5321 §4.1.2 paths: "MAIL FROM:<path> params" and
 * "RCPT TO:<path> params", parsed into a struct whose only constructors
 * validate (STYLE.md: no branch skips the validator).
 */
#ifndef COMMON_ADDR_H
#define COMMON_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include "common/limits.h"

struct mail_path {
        bool is_null;                            /* "<>": the null reverse-path */
        char local[SMTP_LOCAL_PART_MAX + 1];     /* as sent, quotes removed */
        char domain[SMTP_DOMAIN_MAX + 1];        /* domain or address literal with [] */
        /* The mailbox as it goes into Return-Path: and the Maildir, local part
         * re-quoted when it needs quotes: "local@domain" or "" for <>. */
        char mailbox[SMTP_PATH_MAX + 1];
};

enum addr_result {
        ADDR_OK,
        ADDR_SYNTAX,       /* 501 5.1.7 (MAIL) / 501 5.1.3 (RCPT) */
        ADDR_TOO_LONG,     /* a part over its RFC 5321 §4.5.3.1 limit: 501 5.5.4
                              (RFC 5321 §4.5.3.1.10) */
};

/* args is what follows the verb, e.g. "FROM:<a@b> SIZE=10". The "FROM:"
 * keyword is matched case-insensitively; one space after the colon is
 * tolerated (DEVIATION: RFC 5321 §4.1.1.2 forbids it; many clients send it).
 * On ADDR_OK *params_out points into args at the ESMTP parameters (after the
 * '>' and any spaces; "" when none). Source routes are accepted and
 * dropped (RFC 5321 §C). */
enum addr_result addr_parse_reverse_path(const char *args, struct mail_path *path_out,
                                         const char **params_out);
/* Same for "TO:<path>"; "<Postmaster>" without a domain is accepted
 * (RFC 5321 §4.1.1.3) and reported with domain "". The null path is a
 * syntax error here. */
enum addr_result addr_parse_forward_path(const char *args, struct mail_path *path_out,
                                         const char **params_out);

/* True when s is a syntactically valid domain (RFC 5321 §4.1.2 Domain) or an
 * address literal ("[127.0.0.1]", "[IPv6:::1]", RFC 5321 §4.1.3). Used for
 * the HELO/EHLO argument (SECURITY: header injection). */
bool addr_valid_domain_or_literal(const char *s);

/* Split one ESMTP parameter "KEY=VALUE" or "KEY" (RFC 5321 §4.1.2
 * esmtp-param) from *cursor, advancing it past trailing spaces. Returns
 * false at the end, or (with *syntax_error_out) when a parameter is malformed.
 * key and value are NUL-terminated copies (value "" when absent). */
bool addr_next_param(const char **cursor, char *key, size_t key_size,
                     char *value, size_t value_size, bool *syntax_error_out);

#endif
