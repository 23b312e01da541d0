/* SPDX-License-Identifier: MIT
 *
 * config.h - the one configuration file both daemons read (DESIGN.md §10).
 *
 * Every key has a compiled-in default, so `make run` needs no file. The
 * struct is filled once at start-up and read-only afterwards; sessions get
 * a const pointer.
 */
#ifndef COMMON_CONFIG_H
#define COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <limits.h>
#include "common/limits.h"
#include "common/log.h"

#define CONFIG_DOMAINS_MAX 32
#define CONFIG_NAME_MAX 256
#define CONFIG_MECHANISMS_MAX 8
#define CONFIG_EXTENSIONS_MAX 16

struct config_listen {
        char host[64];      /* "127.0.0.1", "::1", "0.0.0.0", "::" */
        unsigned port;      /* 0: any free port (tests) */
};

struct config_listen_list {
        size_t count;
        struct config_listen items[SERVER_LISTENERS_MAX];
};

struct config {
        char hostname[CONFIG_NAME_MAX];            /* greeting, Received: */
        size_t domain_count;
        char domains[CONFIG_DOMAINS_MAX][CONFIG_NAME_MAX];  /* local mail domains */
        struct config_listen_list smtp_listen;
        struct config_listen_list submission_listen;
        struct config_listen_list pop3_listen;
        char mail_root[PATH_MAX];
        char users_file[PATH_MAX];
        char aliases_file[PATH_MAX];
        unsigned long long max_message_size;       /* SIZE, RFC 1870 */
        unsigned max_connections;
        unsigned max_recipients;
        unsigned max_errors;                       /* SMTP errors before 421 */
        unsigned command_timeout;                  /* seconds, SMTP per command */
        unsigned data_timeout;                     /* seconds, SMTP between DATA blocks */
        unsigned pop3_timeout;                     /* seconds, POP3 idle */
        enum log_trace_mode trace;
        /* Authentication (RFC 4954, RFC 5034) */
        size_t mechanism_count;                    /* offered SASL mechanisms, in order */
        char mechanisms[CONFIG_MECHANISMS_MAX][16];/* "PLAIN" "LOGIN" "CRAM-MD5" */
        bool plaintext_auth;     /* no: PLAIN/LOGIN/USER/PASS answer 538 5.7.11 / -ERR */
        unsigned auth_failure_delay_ms;
        unsigned smtp_auth_failures_max;
        unsigned pop3_auth_failures_max;
        bool vrfy;               /* yes: VRFY says 250/550 instead of 252 */
        bool expn;               /* yes: EXPN lists alias members instead of 502 */
        bool apop;               /* yes: the POP3 greeting carries the APOP timestamp */
        char run_user[CONFIG_NAME_MAX];  /* privileges dropped to this user when started as root */
        /* Teaching switches (labs): which EHLO keywords and CAPA lines are
         * offered. Default: all we implement, in this order:
         * smtp_extensions   = SIZE 8BITMIME PIPELINING ENHANCEDSTATUSCODES HELP AUTH
         * pop3_capabilities = TOP UIDL USER RESP-CODES AUTH-RESP-CODE PIPELINING SASL
         *                     IMPLEMENTATION
         * (AUTH / SASL are offered only when mechanism_count > 0.) */
        size_t smtp_extension_count;
        char smtp_extensions[CONFIG_EXTENSIONS_MAX][24];
        size_t pop3_capability_count;
        char pop3_capabilities[CONFIG_EXTENSIONS_MAX][24];
        /* smtp_line_endings = strict (default) | lenient-unsafe: the second
         * accepts LF "." LF as the end of DATA like vulnerable servers did;
         * allowed only when every SMTP listener is a loopback address, and
         * then announced in a start-up warning and in every greeting. */
        bool smtp_lenient_line_endings;
};

/* True when keyword (e.g. "PIPELINING") is in cfg->smtp_extensions, ignoring case. */
bool config_smtp_extension_enabled(const struct config *cfg, const char *keyword);
/* True when capability (e.g. "UIDL") is in cfg->pop3_capabilities, ignoring case. */
bool config_pop3_capability_enabled(const struct config *cfg, const char *capability);

/* Fill *cfg with the compiled-in defaults (DESIGN.md §10). */
void config_defaults(struct config *cfg);

/* Read path over the values already in *cfg. Returns 0, or -1 with a
 * message "FILE:LINE: what is wrong" in err[err_size] (unknown key, bad
 * value, duplicate key, line too long): the daemons refuse to start. */
int config_load(struct config *cfg, const char *path, char *err, size_t err_size);

/* Parse one "key = value" pair, as config_load() does for each line; used by
 * the daemons' -o key=value option and by tests. */
int config_set(struct config *cfg, const char *key, const char *value,
               char *err, size_t err_size);

/* True when domain (no brackets) is one of cfg->domains, ignoring ASCII case. */
bool config_is_local_domain(const struct config *cfg, const char *domain);

/* True when the mechanism (upper case) is in cfg->mechanisms. */
bool config_has_mechanism(const struct config *cfg, const char *mechanism);

#endif
