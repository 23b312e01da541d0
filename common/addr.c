/* SPDX-License-Identifier: MIT
 *
 * addr.c - RFC 5321 §4.1.2 paths: the argument of MAIL FROM: and RCPT TO:.
 *
 * The grammar is small enough to follow by hand, one function per rule:
 *
 *     Reverse-path = Path / "<>"            Path = "<" [ A-d-l ":" ] Mailbox ">"
 *     Forward-path = Path                   A-d-l = At-domain *( "," At-domain )
 *     Mailbox      = Local-part "@" ( Domain / address-literal )
 *     Local-part   = Dot-string / Quoted-string
 *     Domain       = sub-domain *( "." sub-domain )
 *
 * Every function takes a cursor into the NUL-terminated argument and looks
 * at one byte at a time, so no rule ever reads past the end of a short
 * input (STYLE.md: "fixed offset before a length check"). The parse is
 * done in two passes: first the syntax, recording where each part starts
 * and ends; then the length limits of RFC 5321 §4.5.3.1; only then is
 * anything copied into struct mail_path, which therefore never holds an
 * unvalidated path (STYLE.md: "validation skipped on one branch").
 *
 * Standards:  RFC 5321 §4.1.2, RFC 5321 §4.1.3, RFC 5321 §4.1.1.2, RFC 5321 §4.1.1.3,
 *             RFC 5321 §4.5.3.1, RFC 5321 §C, RFC 5322 §3.2.3, RFC 1035 §2.3.4
 * Threads:    pure functions; no shared state.
 * Read next:  smtpd/transaction.c (MAIL and RCPT use these).
 */
#include "common/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "common/text.h"

/* RFC 1035 §2.3.4: a label (our sub-domain) is at most 63 octets. */
#define ADDR_LABEL_MAX 63

/* ---- character classes ----------------------------------------------------- */

static bool is_alpha(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* Let-dig = ALPHA / DIGIT */
static bool is_let_dig(char c)
{
        return is_alpha(c) || is_digit(c);
}

/* RFC 5322 §3.2.3 atext: letters, digits and these specials. No space,
 * no control byte, no byte above 126 (we do not offer SMTPUTF8). */
static bool is_atext(char c)
{
        return is_let_dig(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* qtextSMTP = %d32-33 / %d35-91 / %d93-126: printable, not '"' or '\'. */
static bool is_qtext(char c)
{
        return c >= 32 && c <= 126 && c != '"' && c != '\\';
}

/* ---- Domain and address-literal ---------------------------------------------- */

/* Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str].
 * Ldh-str ends in a Let-dig, so a label neither starts nor ends with '-',
 * and a trailing dot is not part of the grammar. Returns the end, or NULL. */
static const char *scan_domain(const char *p)
{
        for (;;) {
                const char *label = p;
                if (!is_let_dig(*p))
                        return NULL;
                while (is_let_dig(*p) || *p == '-')
                        p++;
                if (p[-1] == '-' || (size_t)(p - label) > ADDR_LABEL_MAX)
                        return NULL;
                if (*p != '.')
                        return p;
                p++;
        }
}

/* IPv4-address-literal = Snum 3("." Snum); Snum = 1*3DIGIT, 0..255.
 * Written out rather than left to inet_pton because the grammar allows
 * leading zeros ("010") that some inet_pton versions refuse. */
static bool valid_ipv4_literal(const char *s, size_t len)
{
        size_t i = 0;
        for (int part = 0; part < 4; part++) {
                if (part > 0) {
                        if (i >= len || s[i] != '.')
                                return false;
                        i++;
                }
                unsigned value = 0;
                size_t digits = 0;
                while (i < len && is_digit(s[i]) && digits < 3) {
                        value = value * 10 + (unsigned)(s[i] - '0');
                        i++;
                        digits++;
                }
                if (digits == 0 || value > 255)
                        return false;
        }
        return i == len;
}

/* address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
 * General-address-literal ) "]" (RFC 5321 §4.1.3). p points at '['.
 * "IPv6:" is matched ignoring case; the address itself is checked by
 * inet_pton. General-address-literal (a registered tag other than IPv6) is
 * refused: none is registered that we could deliver to. Returns the byte
 * after ']', or NULL. */
static const char *scan_address_literal(const char *p)
{
        const char *start = p + 1;
        const char *end = start;
        while (*end != '\0' && *end != ']' && *end != '[')
                end++;
        if (*end != ']')
                return NULL;
        size_t len = (size_t)(end - start);
        if (len > 5 && text_verb_equals(start, 5, "IPv6:")) {
                char address[INET6_ADDRSTRLEN + 1];
                struct in6_addr binary;
                if (len - 5 >= sizeof address)
                        return NULL;
                memcpy(address, start + 5, len - 5);
                address[len - 5] = '\0';
                if (inet_pton(AF_INET6, address, &binary) != 1)
                        return NULL;
        } else if (!valid_ipv4_literal(start, len)) {
                return NULL;
        }
        return end + 1;
}

static const char *scan_domain_or_literal(const char *p)
{
        return *p == '[' ? scan_address_literal(p) : scan_domain(p);
}

bool addr_valid_domain_or_literal(const char *s)
{
        const char *end = scan_domain_or_literal(s);
        return end != NULL && *end == '\0' && (size_t)(end - s) <= SMTP_DOMAIN_MAX;
}

/* ---- Local-part ------------------------------------------------------------------ */

/* Dot-string = Atom *("." Atom); Atom = 1*atext. */
static const char *scan_dot_string(const char *p)
{
        for (;;) {
                if (!is_atext(*p))
                        return NULL;
                while (is_atext(*p))
                        p++;
                if (*p != '.')
                        return p;
                p++;
        }
}

/* Quoted-string = DQUOTE *QcontentSMTP DQUOTE, where a quoted-pairSMTP is
 * '\' followed by any printable byte or space (%d32-126). p points at the
 * opening quote. A CR, LF, NUL or other control byte ends the scan with an
 * error: it can never hide inside quotes. */
static const char *scan_quoted_string(const char *p)
{
        p++;
        for (;;) {
                if (*p == '"')
                        return p + 1;
                if (*p == '\\') {
                        if (p[1] < 32 || p[1] > 126)
                                return NULL;
                        p += 2;
                } else if (is_qtext(*p)) {
                        p++;
                } else {
                        return NULL;
                }
        }
}

/* True when s is a Dot-string: then it needs no quotes in the mailbox. */
static bool is_dot_string(const char *s)
{
        const char *end = scan_dot_string(s);
        return end != NULL && *end == '\0';
}

/* ---- Path ----------------------------------------------------------------------- */

/* Where the parts of a path are in the argument, from the syntax pass. */
struct path_span {
        const char *open;          /* '<' */
        const char *close;         /* '>' */
        const char *local;
        const char *local_end;
        const char *domain;        /* NULL for <Postmaster> */
        const char *domain_end;
};

/* Path = "<" [ A-d-l ":" ] Mailbox ">". p points at '<'. With
 * allow_postmaster, "<Postmaster>" without a domain is also a Path
 * (RFC 5321 §4.1.1.3). Returns the byte after '>', or NULL. */
static const char *scan_path(const char *p, bool allow_postmaster, struct path_span *span)
{
        span->open = p++;
        /* RFC 5321 §C: a source route "@a,@b:" is accepted and ignored; the
         * mail goes to the mailbox at its end. */
        if (*p == '@') {
                for (;;) {
                        p = scan_domain(p + 1);
                        if (p == NULL)
                                return NULL;
                        if (*p == ':')
                                break;
                        if (*p != ',' || p[1] != '@')
                                return NULL;
                        p++;
                }
                p++;
        }
        span->local = p;
        p = *p == '"' ? scan_quoted_string(p) : scan_dot_string(p);
        if (p == NULL)
                return NULL;
        span->local_end = p;
        if (*p == '>' && allow_postmaster && span->local == span->open + 1 &&
            text_verb_equals(span->local, (size_t)(p - span->local), "Postmaster")) {
                span->domain = NULL;
                span->domain_end = NULL;
        } else {
                if (*p != '@')
                        return NULL;
                span->domain = p + 1;
                p = scan_domain_or_literal(span->domain);
                if (p == NULL)
                        return NULL;
                span->domain_end = p;
        }
        if (*p != '>')
                return NULL;
        span->close = p;
        return p + 1;
}

/* Copy the local part without its quotes and quoted-pair backslashes. */
static void unquote_local(const char *p, const char *end, char *out)
{
        if (*p != '"') {
                memcpy(out, p, (size_t)(end - p));
                out[end - p] = '\0';
                return;
        }
        p++;
        end--;
        while (p < end) {
                if (*p == '\\')
                        p++;
                *out++ = *p++;
        }
        *out = '\0';
}

/* The mailbox for Return-Path: and the Maildir: the local part bare when
 * it is a Dot-string ("\"joe\"@x" becomes joe@x), otherwise quoted again
 * with '"' and '\' escaped. It never grows beyond the local part as sent,
 * which the path limit of 256 already bounds. */
static void build_mailbox(struct mail_path *path)
{
        char *out = path->mailbox;
        if (is_dot_string(path->local)) {
                size_t len = strlen(path->local);
                memcpy(out, path->local, len);
                out += len;
        } else {
                *out++ = '"';
                for (const char *p = path->local; *p != '\0'; p++) {
                        if (*p == '"' || *p == '\\')
                                *out++ = '\\';
                        *out++ = *p;
                }
                *out++ = '"';
        }
        if (path->domain[0] != '\0') {
                *out++ = '@';
                size_t len = strlen(path->domain);
                memcpy(out, path->domain, len);
                out += len;
        }
        *out = '\0';
}

/* Shared by both directions: keyword ("FROM:" or "TO:"), optional space,
 * then the path, then either the end or spaces and parameters. */
static enum addr_result parse_path_argument(const char *args, const char *keyword,
                                            bool is_forward, struct mail_path *path_out,
                                            const char **params_out)
{
        memset(path_out, 0, sizeof *path_out);
        /* The keyword is compared byte by byte up to its own length, and
         * the comparison stops at the argument's NUL, so "", "F" and "FROM"
         * are plain syntax errors (STYLE.md: fixed offset before a length
         * check). */
        size_t keyword_len = strlen(keyword);
        if (strnlen(args, keyword_len) < keyword_len ||
            !text_verb_equals(args, keyword_len, keyword))
                return ADDR_SYNTAX;
        const char *p = args + keyword_len;
        /* DEVIATION: RFC 5321 §4.1.1.2 — "MAIL FROM: <a@b>" has a space the
         * grammar does not allow; many clients send it, so one is skipped. */
        if (*p == ' ')
                p++;
        if (*p != '<')
                return ADDR_SYNTAX;

        struct path_span span;
        const char *after;
        bool is_null = false;
        if (!is_forward && p[1] == '>') {
                /* RFC 5321 §4.1.1.2: "<>" is the null reverse-path, used by
                 * bounces so that they never bounce again. */
                is_null = true;
                after = p + 2;
        } else {
                after = scan_path(p, is_forward, &span);
                if (after == NULL)
                        return ADDR_SYNTAX;
        }
        /* After '>': the end, or SP and Mail-parameters. Anything else
         * ("<a@b>>", "<a@b>x") is junk, never silently ignored. */
        if (*after != '\0' && *after != ' ')
                return ADDR_SYNTAX;
        while (*after == ' ')
                after++;

        if (!is_null) {
                /* RFC 5321 §4.5.3.1: the limits, checked before any copy. */
                size_t local_len = (size_t)(span.local_end - span.local);
                size_t domain_len = span.domain == NULL ? 0 :
                                    (size_t)(span.domain_end - span.domain);
                size_t path_len = (size_t)(span.close - span.open) + 1;
                if (local_len > SMTP_LOCAL_PART_MAX || domain_len > SMTP_DOMAIN_MAX ||
                    path_len > SMTP_PATH_MAX)
                        return ADDR_TOO_LONG;
                unquote_local(span.local, span.local_end, path_out->local);
                if (span.domain != NULL) {
                        memcpy(path_out->domain, span.domain, domain_len);
                        path_out->domain[domain_len] = '\0';
                }
                build_mailbox(path_out);
        }
        path_out->is_null = is_null;
        *params_out = after;
        return ADDR_OK;
}

enum addr_result addr_parse_reverse_path(const char *args, struct mail_path *path_out,
                                         const char **params_out)
{
        return parse_path_argument(args, "FROM:", false, path_out, params_out);
}

enum addr_result addr_parse_forward_path(const char *args, struct mail_path *path_out,
                                         const char **params_out)
{
        return parse_path_argument(args, "TO:", true, path_out, params_out);
}

/* ---- ESMTP parameters -------------------------------------------------------------- */

/* esmtp-param   = esmtp-keyword ["=" esmtp-value]
 * esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
 * esmtp-value   = 1*(%d33-60 / %d62-126)     ; no '=', no space, no control
 * (RFC 5321 §4.1.2). The caller decides which keywords it knows. */
bool addr_next_param(const char **cursor, char *key, size_t key_size,
                     char *value, size_t value_size, bool *syntax_error_out)
{
        const char *p = *cursor;
        *syntax_error_out = false;
        if (key_size > 0)
                key[0] = '\0';
        if (value_size > 0)
                value[0] = '\0';
        if (*p == '\0')
                return false;

        const char *key_start = p;
        if (!is_let_dig(*p))
                goto syntax;
        while (is_let_dig(*p) || *p == '-')
                p++;
        size_t key_len = (size_t)(p - key_start);

        const char *value_start = p;
        size_t value_len = 0;
        if (*p == '=') {
                value_start = ++p;
                while (*p >= 33 && *p <= 126 && *p != '=')
                        p++;
                value_len = (size_t)(p - value_start);
                if (value_len == 0)
                        goto syntax;
        }
        if (*p != '\0' && *p != ' ')
                goto syntax;
        if (key_len >= key_size || value_len >= value_size)
                goto syntax;
        memcpy(key, key_start, key_len);
        key[key_len] = '\0';
        memcpy(value, value_start, value_len);
        value[value_len] = '\0';
        while (*p == ' ')
                p++;
        *cursor = p;
        return true;

syntax:
        *syntax_error_out = true;
        return false;
}
