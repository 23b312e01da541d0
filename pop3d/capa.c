/* SPDX-License-Identifier: MIT
 *
 * capa.c - CAPA, the one command besides QUIT valid in both states.
 *
 * RFC 2449 §5: CAPA lists the server's capabilities, one per line, in a
 * multi-line response. What we list is what works: USER only while
 * plaintext logins are allowed, SASL only with at least one usable
 * mechanism (PLAIN and LOGIN drop out with plaintext_auth = no), and every
 * line can be switched off with pop3_capabilities for the labs.
 * Thunderbird looks only at UIDL here (THUNDERBIRD.md §4), but other
 * clients read the rest.
 *
 * Standards:  RFC 2449 §5, RFC 2449 §6, RFC 2449 §8, RFC 1939 §7, RFC 5034 §3,
 *             RFC 3206 §6
 * Threads:    runs in the session's thread; reads only the configuration.
 * Read next:  pop3d/auth.c (what USER and SASL lead to).
 */
#include <string.h>
#include "common/config.h"
#include "common/text.h"
#include "pop3d/reply.h"
#include "pop3d/session.h"

/* RFC 5034 §3: "SASL" followed by the mechanisms, space separated. */
static void pop3_capa_sasl(struct pop3_session *s)
{
        const struct config *cfg = s->cfg;
        char line[POP3_RESPONSE_LINE_MAX] = "SASL";
        size_t len = strlen(line);
        size_t listed = 0;

        for (size_t i = 0; i < cfg->mechanism_count; i++) {
                const char *name = cfg->mechanisms[i];
                bool is_plaintext = text_casecmp(name, "PLAIN") == 0 ||
                                    text_casecmp(name, "LOGIN") == 0;
                size_t name_len = strlen(name);

                if ((is_plaintext && !cfg->plaintext_auth) || len + 1 + name_len >= sizeof(line))
                        continue;
                line[len++] = ' ';
                memcpy(line + len, name, name_len + 1);
                len += name_len;
                listed++;
        }
        if (listed > 0)
                pop3_reply_line(s, "%s", line);
}

void pop3_cmd_capa(struct pop3_session *s, const struct pop3_args *args)
{
        const struct config *cfg = s->cfg;

        (void)args;
        pop3_reply_ok(s, "Capability list follows");
        /* RFC 2449 §6.1: TOP; RFC 2449 §6.8: UIDL (both RFC 1939 §7). */
        if (config_pop3_capability_enabled(cfg, "TOP"))
                pop3_reply_line(s, "TOP");
        if (config_pop3_capability_enabled(cfg, "UIDL"))
                pop3_reply_line(s, "UIDL");
        /* RFC 2449 §6.2: USER means USER/PASS is accepted. */
        if (config_pop3_capability_enabled(cfg, "USER") && cfg->plaintext_auth)
                pop3_reply_line(s, "USER");
        /* RFC 2449 §6.4 RESP-CODES: -ERR texts may start with [CODE]; RFC 3206
         * §6 AUTH-RESP-CODE: failed logins carry [AUTH] or [SYS/...]. */
        if (config_pop3_capability_enabled(cfg, "RESP-CODES"))
                pop3_reply_line(s, "RESP-CODES");
        if (config_pop3_capability_enabled(cfg, "AUTH-RESP-CODE"))
                pop3_reply_line(s, "AUTH-RESP-CODE");
        /* RFC 2449 §6.6: the session answers a batch of commands in order
         * and flushes once (session.c). */
        if (config_pop3_capability_enabled(cfg, "PIPELINING"))
                pop3_reply_line(s, "PIPELINING");
        /* RFC 2449 §6.3, RFC 5034 §3: the AUTH mechanisms. */
        if (config_pop3_capability_enabled(cfg, "SASL"))
                pop3_capa_sasl(s);
        /* RFC 2449 §6.9: free text naming the implementation. */
        if (config_pop3_capability_enabled(cfg, "IMPLEMENTATION"))
                pop3_reply_line(s, "IMPLEMENTATION pop3d %s", VERSION);
        pop3_reply_end(s);
}
