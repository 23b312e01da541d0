/* SPDX-License-Identifier: MIT
 *
 * commands.c - the SMTP command handlers except DATA and AUTH, in the order
 * of RFC 5321 §4.1.1: HELO, EHLO, MAIL, RCPT, RSET, VRFY, EXPN, HELP, NOOP,
 * QUIT, and the EHLO keyword list.
 *
 * The dispatcher in session.c has already checked the state and whether an
 * argument is present, so each handler here parses its argument, does its
 * one job and sends exactly one reply. Recipients are resolved at RCPT time
 * through the users and aliases tables, so an unknown user is refused while
 * the client can still react (550 5.1.1), and this server never accepts
 * mail for another domain (550 5.7.1: no open relay).
 *
 * Standards:  RFC 5321 §3.3, RFC 5321 §3.5.2, RFC 5321 §3.5.3, RFC 5321 §4.1.1.1,
 *             RFC 5321 §4.1.1.2, RFC 5321 §4.1.1.3, RFC 5321 §4.1.1.5, RFC 5321 §4.1.1.6,
 *             RFC 5321 §2.4, RFC 5321 §4.1.1.7, RFC 5321 §4.1.1.8, RFC 5321 §4.1.1.9,
 *             RFC 5321 §4.1.1.10,
 *             RFC 5321 §4.1.1.11, RFC 5321 §4.1.3, RFC 5321 §4.1.4, RFC 5321 §4.5.1,
 *             RFC 5321 §4.5.3.1.9, RFC 5321 §4.5.3.1.10, RFC 5321 §7.3,
 *             RFC 1870 §4, RFC 1870 §6, RFC 6152 §2, RFC 6152 §3, RFC 2920 §3.1,
 *             RFC 2034 §3, RFC 4954 §3, RFC 4954 §5, RFC 4954 §6, RFC 6409 §4.3
 * Threads:    runs in the session's thread; reads the users table through
 *             common/users (which takes its own read lock).
 * Read next:  smtpd/data.c (what happens after the last RCPT), common/addr.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/addr.h"
#include "common/log.h"
#include "common/text.h"
#include "common/users.h"
#include "smtpd/reply.h"
#include "smtpd/session.h"

/* ---- HELO and EHLO (RFC 5321 §4.1.1.1) ---- */

/* Shared by HELO and EHLO. Returns false (after replying) when the argument
 * is not a domain or an address literal. */
static bool smtp_greet(struct smtp_session *s, const char *args, bool is_ehlo)
{
        /* SECURITY: header injection. The name goes into the Received:
         * header, so only a syntactically valid domain or address literal
         * (RFC 5321 §4.1.3: "[127.0.0.1]", "[IPv6:::1]") is kept. */
        if (strlen(args) > SMTP_DOMAIN_MAX || !addr_valid_domain_or_literal(args)) {
                smtp_reply(s, 501, "5.5.4",
                           "Syntax error: expected a domain or an address literal");
                return false;
        }
        text_copy(s->helo, sizeof s->helo, args);
        /* RFC 5321 §4.1.4: HELO/EHLO in a transaction resets it, like RSET. */
        smtp_transaction_reset(s);
        s->seen_ehlo = is_ehlo;
        smtp_set_state(s, SMTP_STATE_GREETED);
        return true;
}

void smtp_cmd_helo(struct smtp_session *s, char *args)
{
        if (!smtp_greet(s, args, false))
                return;
        /* RFC 2034 §3: no enhanced code on the HELO/EHLO answer. */
        smtp_reply(s, 250, NULL, "%s Hello [%s]", s->cfg->hostname, s->peer);
}

bool smtp_mechanism_usable(const struct smtp_session *s, const char *mechanism)
{
        if (!config_has_mechanism(s->cfg, mechanism))
                return false;
        /* RFC 4954 §4: PLAIN and LOGIN send the password in the clear. Without
         * TLS and with plaintext_auth = no they can never succeed, so EHLO
         * does not offer them (AUTH answers 538 if a client tries anyway). */
        if (!s->cfg->plaintext_auth &&
            (text_casecmp(mechanism, "PLAIN") == 0 || text_casecmp(mechanism, "LOGIN") == 0))
                return false;
        return true;
}

bool smtp_auth_available(const struct smtp_session *s)
{
        if (!config_smtp_extension_enabled(s->cfg, "AUTH"))
                return false;
        for (size_t i = 0; i < s->cfg->mechanism_count; i++) {
                if (smtp_mechanism_usable(s, s->cfg->mechanisms[i]))
                        return true;
        }
        return false;
}

void smtp_cmd_ehlo(struct smtp_session *s, char *args)
{
        if (!smtp_greet(s, args, true))
                return;
        /* RFC 5321 §4.1.1.1: the first line names us, then one extension
         * keyword per line, in the order of the configuration (the labs
         * switch keywords off to watch clients react). */
        smtp_reply_begin(s, 250, NULL);
        smtp_reply_line(s, "%s Hello [%s]", s->cfg->hostname, s->peer);
        for (size_t i = 0; i < s->cfg->smtp_extension_count; i++) {
                const char *keyword = s->cfg->smtp_extensions[i];

                if (text_casecmp(keyword, "SIZE") == 0) {
                        /* RFC 1870 §4: SIZE with our fixed maximum. */
                        smtp_reply_line(s, "SIZE %llu", s->cfg->max_message_size);
                } else if (text_casecmp(keyword, "AUTH") == 0) {
                        /* RFC 4954 §3: "AUTH" and the mechanisms, only those
                         * that can work here. */
                        if (!smtp_auth_available(s))
                                continue;
                        char mechanisms[CONFIG_MECHANISMS_MAX * 17 + 1] = "";
                        for (size_t m = 0; m < s->cfg->mechanism_count; m++) {
                                if (!smtp_mechanism_usable(s, s->cfg->mechanisms[m]))
                                        continue;
                                strcat(mechanisms, " ");
                                strcat(mechanisms, s->cfg->mechanisms[m]);
                        }
                        smtp_reply_line(s, "AUTH%s", mechanisms);
                } else if (text_casecmp(keyword, "8BITMIME") == 0 ||
                           text_casecmp(keyword, "PIPELINING") == 0 ||
                           text_casecmp(keyword, "ENHANCEDSTATUSCODES") == 0 ||
                           text_casecmp(keyword, "HELP") == 0) {
                        smtp_reply_line(s, "%s", keyword);
                }
        }
        smtp_reply_end(s);
}

/* ---- MAIL (RFC 5321 §4.1.1.2) ---- */

/* The MAIL parameters we know. Returns false after replying on any
 * problem. A parameter whose extension is switched off is unknown. */
static bool smtp_mail_parameters(struct smtp_session *s, const char *params)
{
        char key[32], value[SMTP_PATH_MAX + 1];
        bool syntax_error = false;

        while (addr_next_param(&params, key, sizeof key, value, sizeof value, &syntax_error)) {
                if (text_casecmp(key, "SIZE") == 0 &&
                    config_smtp_extension_enabled(s->cfg, "SIZE")) {
                        /* RFC 1870 §6: SIZE=<octets>; refuse at once what
                         * could never be accepted, before any data flows. */
                        unsigned long long size;
                        if (!text_parse_uint(value, strlen(value), ~0ULL, &size)) {
                                smtp_reply(s, 501, "5.5.4", "Syntax error in SIZE parameter");
                                return false;
                        }
                        if (size > s->cfg->max_message_size) {
                                smtp_reply(s, 552, "5.3.4",
                                           "Message size exceeds fixed maximum message size");
                                return false;
                        }
                        s->tx.declared_size = size;
                } else if (text_casecmp(key, "BODY") == 0 &&
                           config_smtp_extension_enabled(s->cfg, "8BITMIME")) {
                        /* RFC 6152 §3: BODY=7BIT or BODY=8BITMIME. We store
                         * bytes as they come, so both need no conversion. */
                        if (text_casecmp(value, "7BIT") == 0) {
                                s->tx.body = SMTP_BODY_7BIT;
                        } else if (text_casecmp(value, "8BITMIME") == 0) {
                                s->tx.body = SMTP_BODY_8BITMIME;
                        } else {
                                smtp_reply(s, 501, "5.5.4", "Syntax error in BODY parameter");
                                return false;
                        }
                } else if (text_casecmp(key, "AUTH") == 0 && smtp_auth_available(s)) {
                        /* RFC 4954 §5: AUTH=<> or AUTH=xtext names who
                         * submitted the message originally. We do not relay,
                         * so the value has nowhere to go: accepted, ignored. */
                        continue;
                } else {
                        /* RFC 5321 §4.1.1.11: an unknown parameter is 555. */
                        char shown[64];
                        smtp_reply(s, 555, "5.5.4", "Unsupported parameter %s",
                                   text_escape(shown, sizeof shown, key, strlen(key)));
                        return false;
                }
        }
        if (syntax_error) {
                smtp_reply(s, 501, "5.5.4", "Syntax error in parameters");
                return false;
        }
        return true;
}

void smtp_cmd_mail(struct smtp_session *s, char *args)
{
        struct mail_path path;
        const char *params = NULL;

        /* RFC 6409 §4.3 and RFC 4954 §6: on the submission port a client must
         * authenticate before it may start a transaction. */
        if (s->listener == SMTP_LISTENER_SUBMISSION && s->user[0] == '\0') {
                smtp_reply(s, 530, "5.7.0", "Authentication required");
                return;
        }
        /* A new user added since the session began can receive mail now:
         * the check is two stat calls. */
        users_reload_if_changed();

        switch (addr_parse_reverse_path(args, &path, &params)) {
        case ADDR_OK:
                break;
        case ADDR_TOO_LONG:
                /* RFC 5321 §4.5.3.1.9: "501 Path too long". */
                smtp_reply(s, 501, "5.5.4", "Path too long");
                return;
        case ADDR_SYNTAX:
        default:
                smtp_reply(s, 501, "5.1.7", "Bad sender address syntax");
                return;
        }
        smtp_transaction_reset(s);
        if (!smtp_mail_parameters(s, params)) {
                smtp_transaction_reset(s);
                return;
        }
        text_copy(s->tx.reverse_path, sizeof s->tx.reverse_path, path.is_null ? "" : path.mailbox);
        s->tx.number++;
        smtp_set_state(s, SMTP_STATE_MAIL);
        smtp_reply(s, 250, "2.1.0", "Sender OK");
}

/* ---- RCPT (RFC 5321 §4.1.1.3) ---- */

/* True when domain is one of ours: a configured domain, or an address
 * literal of the address the client connected to (RFC 5321 §4.1.3). */
static bool smtp_domain_is_local(const struct smtp_session *s, const char *domain)
{
        char literal[80];

        if (config_is_local_domain(s->cfg, domain))
                return true;
        if (strchr(s->local, ':') != NULL)
                snprintf(literal, sizeof literal, "[IPv6:%s]", s->local);
        else
                snprintf(literal, sizeof literal, "[%s]", s->local);
        return s->local[0] != '\0' && text_casecmp(domain, literal) == 0;
}

/* Add the users found for one recipient to the transaction, skipping those
 * already there: one copy per Maildir even when two recipients (or an alias
 * and its member) name the same person. Returns false when out of memory. */
static bool smtp_add_users(struct smtp_session *s, size_t count)
{
        for (size_t i = 0; i < count; i++) {
                const char *user = s->users_scratch[i];
                bool seen = false;

                for (size_t j = 0; j < s->tx.user_count && !seen; j++)
                        seen = strcmp(s->tx.users[j], user) == 0;
                if (seen)
                        continue;
                if (s->tx.user_count == s->tx.user_capacity) {
                        size_t capacity = s->tx.user_capacity == 0 ? 8 : 2 * s->tx.user_capacity;
                        void *grown = realloc(s->tx.users, capacity * sizeof s->tx.users[0]);
                        if (grown == NULL)
                                return false;
                        s->tx.users = grown;
                        s->tx.user_capacity = capacity;
                }
                text_copy(s->tx.users[s->tx.user_count++], USER_NAME_MAX + 1, user);
        }
        return true;
}

void smtp_cmd_rcpt(struct smtp_session *s, char *args)
{
        struct mail_path path;
        const char *params = NULL;

        /* RFC 5321 §4.5.3.1.10: past our recipient limit the answer is 452,
         * so the client sends the rest in another transaction. */
        if (s->tx.recipient_count >= s->cfg->max_recipients) {
                smtp_reply(s, 452, "4.5.3", "Too many recipients");
                return;
        }
        switch (addr_parse_forward_path(args, &path, &params)) {
        case ADDR_OK:
                break;
        case ADDR_TOO_LONG:
                smtp_reply(s, 501, "5.5.4", "Path too long");
                return;
        case ADDR_SYNTAX:
        default:
                smtp_reply(s, 501, "5.1.3", "Bad recipient address syntax");
                return;
        }
        /* RFC 5321 §4.1.1.11: we define no RCPT parameters. */
        if (params != NULL && params[0] != '\0') {
                smtp_reply(s, 555, "5.5.4", "RCPT parameters not supported");
                return;
        }
        /* RFC 5321 §4.5.1: "<Postmaster>" without a domain is always ours.
         * SECURITY: open relay. Anything not in our domains is refused, from
         * authenticated clients too, until relaying is implemented. */
        if (path.domain[0] != '\0' && !smtp_domain_is_local(s, path.domain)) {
                smtp_reply(s, 550, "5.7.1", "Relaying denied");
                return;
        }
        int found = users_resolve(path.local, s->users_scratch, SMTP_RECIPIENT_USERS_MAX);
        if (found == 0) {
                smtp_reply(s, 550, "5.1.1", "No such user here");
                return;
        }
        if (found < 0) {
                smtp_reply(s, 550, "5.5.3", "Alias expands to too many recipients");
                return;
        }
        if (!smtp_add_users(s, (size_t)found)) {
                smtp_reply(s, 451, "4.3.0", "Out of memory");
                return;
        }
        text_copy(s->tx.recipients[s->tx.recipient_count++].mailbox, SMTP_PATH_MAX + 1,
                  path.domain[0] != '\0' ? path.mailbox : path.local);
        smtp_set_state(s, SMTP_STATE_RCPT);
        smtp_reply(s, 250, "2.1.5", "Recipient OK");
}

/* ---- RSET (RFC 5321 §4.1.1.5) ---- */

void smtp_cmd_rset(struct smtp_session *s, char *args)
{
        (void)args;
        smtp_transaction_reset(s);
        /* Before HELO there is nothing to return to but CONNECTED. */
        if (s->state != SMTP_STATE_CONNECTED)
                smtp_set_state(s, SMTP_STATE_GREETED);
        smtp_reply(s, 250, "2.0.0", "OK");
}

/* ---- VRFY and EXPN (RFC 5321 §4.1.1.6, §4.1.1.7, §3.5) ---- */

/* Take "user", "user@domain" or "<user@domain>" apart into local[size] and
 * domain[SMTP_DOMAIN_MAX + 1]; *domain_out is the domain to show (ours when
 * none was given). Returns false when the domain is not ours or the text is
 * odd. */
static bool smtp_split_mailbox(const struct smtp_session *s, const char *args,
                               char *local, size_t size, char *domain, const char **domain_out)
{
        size_t len = strlen(args);

        if (len >= 2 && args[0] == '<' && args[len - 1] == '>') {
                args++;
                len -= 2;
        }
        const char *at = memchr(args, '@', len);
        size_t local_len = at != NULL ? (size_t)(at - args) : len;
        if (local_len == 0 || local_len >= size || local_len > SMTP_LOCAL_PART_MAX)
                return false;
        memcpy(local, args, local_len);
        local[local_len] = '\0';
        *domain_out = s->cfg->domain_count > 0 ? s->cfg->domains[0] : s->cfg->hostname;
        if (at != NULL) {
                size_t domain_len = len - local_len - 1;
                if (domain_len == 0 || domain_len > SMTP_DOMAIN_MAX)
                        return false;
                memcpy(domain, at + 1, domain_len);
                domain[domain_len] = '\0';
                if (!smtp_domain_is_local(s, domain))
                        return false;
                *domain_out = s->cfg->domain_count > 0 ? domain : s->cfg->hostname;
        }
        for (const char *p = local; *p != '\0'; p++) {
                if (*p <= ' ' || *p >= 0x7f || *p == '<' || *p == '>')
                        return false;
        }
        return true;
}

void smtp_cmd_vrfy(struct smtp_session *s, char *args)
{
        char local[SMTP_LOCAL_PART_MAX + 1], domain_given[SMTP_DOMAIN_MAX + 1];
        const char *domain = NULL;

        /* SECURITY: user enumeration. RFC 5321 §3.5.3 allows 252 "cannot
         * verify, but will accept and try": the default answers that for
         * every name, so VRFY reveals nothing. */
        if (!s->cfg->vrfy) {
                smtp_reply(s, 252, "2.5.2", "Cannot VRFY user, but will accept message");
                return;
        }
        users_reload_if_changed();
        if (!smtp_split_mailbox(s, args, local, sizeof local, domain_given, &domain) ||
            users_resolve(local, s->users_scratch, SMTP_RECIPIENT_USERS_MAX) == 0) {
                smtp_reply(s, 550, "5.1.1", "No such user here");
                return;
        }
        smtp_reply(s, 250, "2.1.5", "<%s@%s>", local, domain);
}

void smtp_cmd_expn(struct smtp_session *s, char *args)
{
        char local[SMTP_LOCAL_PART_MAX + 1], domain_given[SMTP_DOMAIN_MAX + 1];
        const char *domain = NULL;
        static const size_t members_max = 32;

        /* RFC 5321 §7.3: sites may disable EXPN for privacy; ours is off
         * unless the configuration says expn = yes. */
        if (!s->cfg->expn) {
                smtp_reply(s, 502, "5.5.1", "EXPN not available");
                return;
        }
        users_reload_if_changed();
        char (*members)[SMTP_PATH_MAX + 1] = calloc(members_max, sizeof *members);
        if (members == NULL) {
                smtp_reply(s, 451, "4.3.0", "Out of memory");
                return;
        }
        int count = 0;
        if (smtp_split_mailbox(s, args, local, sizeof local, domain_given, &domain))
                count = users_alias_members(local, members, members_max);
        if (count <= 0) {
                smtp_reply(s, 550, "5.1.1", "No such mailing list");
                free(members);
                return;
        }
        /* RFC 5321 §3.5.2: one member per line of a multi-line 250. Members
         * are printed as mailboxes; a local name gets our domain. */
        smtp_reply_begin(s, 250, "2.1.5");
        for (int i = 0; i < count; i++) {
                char shown[SMTP_PATH_MAX * 4 + 1];
                text_escape(shown, sizeof shown, members[i], strlen(members[i]));
                if (strchr(members[i], '@') != NULL)
                        smtp_reply_line(s, "<%s>", shown);
                else
                        smtp_reply_line(s, "<%s@%s>", shown, domain);
        }
        smtp_reply_end(s);
        free(members);
}

/* ---- HELP, NOOP, QUIT (RFC 5321 §4.1.1.8 to §4.1.1.10) ---- */

void smtp_cmd_help(struct smtp_session *s, char *args)
{
        if (args != NULL) {
                const struct smtp_command *command = smtp_command_find(args, strlen(args));
                if (command == NULL) {
                        smtp_reply(s, 504, "5.5.4", "HELP: no such command");
                        return;
                }
                /* Replies are ASCII (RFC 5321 §2.4): the section sign of
                 * the table's tag is spelled out. */
                char rfc[64];
                size_t n = 0;
                for (const char *p = command->rfc; *p != '\0' && n + 9 < sizeof rfc; p++) {
                        if ((unsigned char)*p == 0xc2 && (unsigned char)p[1] == 0xa7) {
                                memcpy(rfc + n, "section ", 8);
                                n += 8;
                                p++;
                        } else {
                                rfc[n++] = *p;
                        }
                }
                rfc[n] = '\0';
                smtp_reply(s, 214, "2.0.0", "%s is defined in %s", command->verb, rfc);
                return;
        }
        char verbs[128] = "";
        for (size_t i = 0; i < smtp_command_count(); i++) {
                strcat(verbs, " ");
                strcat(verbs, smtp_command_at(i)->verb);
        }
        smtp_reply_begin(s, 214, "2.0.0");
        smtp_reply_line(s, "Commands:%s", verbs);
        smtp_reply_line(s, "HELP <command> names the RFC section that defines it");
        smtp_reply_line(s, "End of HELP info");
        smtp_reply_end(s);
}

void smtp_cmd_noop(struct smtp_session *s, char *args)
{
        (void)args;
        smtp_reply(s, 250, "2.0.0", "OK");
}

void smtp_cmd_quit(struct smtp_session *s, char *args)
{
        (void)args;
        smtp_reply(s, 221, "2.0.0", "%s closing connection", s->cfg->hostname);
        s->is_closing = true;
}
