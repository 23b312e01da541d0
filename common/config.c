/* SPDX-License-Identifier: MIT
 *
 * config.c - the configuration keys: their values, defaults and checks
 * (DESIGN.md §10).
 *
 * Every key has a compiled-in default (config_defaults), so `make run` works
 * without a file. One table, below, lists every key with the function that
 * parses its value; the parsers are strict on purpose: a number with junk
 * after it, an unknown word or a value that is too long is an error, not a
 * guess. config_set() is the single place a value enters struct config, for
 * the daemons' -o option here and for each line of the file in
 * config_file.c. The lenient-unsafe guard, also here, keeps the SMTP
 * smuggling lab on loopback.
 *
 * Standards:  RFC 5321 §4.5.3.1.8, RFC 5321 §4.5.3.2, RFC 1939 §3, RFC 1870 §4
 * Threads:    start-up only (main thread); the struct is read-only afterwards.
 * Read next:  common/config_file.c (reading the file), common/server.c (uses
 *             the listen lists), smtpd/main.c.
 */
#include "common/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/config_internal.h"
#include "common/text.h"

/* ---- small helpers ---------------------------------------------------- */

int config_error(char *err, size_t err_size, const char *fmt, ...)
{
        if (err != NULL && err_size > 0) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(err, err_size, fmt, ap);
                va_end(ap);
        }
        return -1;
}

bool config_is_space(char c)
{
        return c == ' ' || c == '\t';
}

/* Copy the next space-separated word of *cursor into word[size] and advance.
 * Returns the word's length, 0 at the end of the value; *too_long_out is set
 * when the word did not fit (it is still consumed). */
static size_t next_word(const char **cursor, char *word, size_t size, bool *too_long_out)
{
        const char *p = *cursor;
        while (config_is_space(*p))
                p++;
        const char *start = p;
        while (*p != '\0' && !config_is_space(*p))
                p++;
        size_t len = (size_t)(p - start);
        *too_long_out = len >= size;
        size_t copy = *too_long_out ? size - 1 : len;
        memcpy(word, start, copy);
        word[copy] = '\0';
        *cursor = p;
        return len;
}

static void upper_case(char *s)
{
        for (; *s != '\0'; s++)
                if (*s >= 'a' && *s <= 'z')
                        *s = (char)(*s - 'a' + 'A');
}

/* A host name or mail domain as the config accepts it: letters, digits,
 * '-' and '.', 1..255 bytes. The SMTP grammar proper lives in common/addr;
 * here we only keep spaces, brackets and control bytes out of the greeting
 * and Received: lines. */
static bool valid_host_name(const char *s)
{
        size_t len = strlen(s);
        if (len == 0 || len > SMTP_DOMAIN_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '.';
                if (!ok)
                        return false;
        }
        return true;
}

/* ---- value parsers, one per kind of key -------------------------------- */

/* Every parser has the type config_parse_fn and receives its row of
 * config_keys (struct config_key in config_internal.h); FIELD finds the
 * row's field in struct config from its offset. */
#define FIELD(cfg, key, type) ((type *)(void *)((char *)(cfg) + (key)->offset))

static int parse_string(struct config *cfg, const struct config_key *key, const char *value,
                        char *err, size_t err_size)
{
        if (value[0] == '\0')
                return config_error(err, err_size, "%s: empty value", key->name);
        for (const char *p = value; *p != '\0'; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        return config_error(err, err_size, "%s: control character", key->name);
        if (strlen(value) >= key->size)
                return config_error(err, err_size, "%s: value too long", key->name);
        text_copy(FIELD(cfg, key, char), key->size, value);
        return 0;
}

static int parse_word(struct config *cfg, const struct config_key *key, const char *value,
                      char *err, size_t err_size)
{
        for (const char *p = value; *p != '\0'; p++)
                if (config_is_space(*p))
                        return config_error(err, err_size, "%s: one word expected", key->name);
        return parse_string(cfg, key, value, err, err_size);
}

static int parse_hostname(struct config *cfg, const struct config_key *key, const char *value,
                          char *err, size_t err_size)
{
        if (!valid_host_name(value))
                return config_error(err, err_size, "%s: not a host name: %s", key->name, value);
        return parse_string(cfg, key, value, err, err_size);
}

static int parse_uint(struct config *cfg, const struct config_key *key, const char *value,
                      char *err, size_t err_size)
{
        unsigned long long number;
        /* One strict parser for every number (STYLE: numbers that wrap). */
        if (!text_parse_uint(value, strlen(value), key->max, &number) || number < key->min)
                return config_error(err, err_size, "%s: expected a number from %llu to %llu",
                                    key->name, key->min, key->max);
        if (key->size == sizeof(unsigned long long))
                *FIELD(cfg, key, unsigned long long) = number;
        else
                *FIELD(cfg, key, unsigned) = (unsigned)number;
        return 0;
}

static int parse_bool(struct config *cfg, const struct config_key *key, const char *value,
                      char *err, size_t err_size)
{
        if (strcmp(value, "yes") == 0)
                *FIELD(cfg, key, bool) = true;
        else if (strcmp(value, "no") == 0)
                *FIELD(cfg, key, bool) = false;
        else
                return config_error(err, err_size, "%s: expected yes or no", key->name);
        return 0;
}

static int parse_trace(struct config *cfg, const struct config_key *key, const char *value,
                       char *err, size_t err_size)
{
        if (strcmp(value, "no") == 0)
                cfg->trace = LOG_TRACE_OFF;
        else if (strcmp(value, "yes") == 0)
                cfg->trace = LOG_TRACE_ON;
        else if (strcmp(value, "explain") == 0)
                cfg->trace = LOG_TRACE_EXPLAIN;
        else
                return config_error(err, err_size, "%s: expected no, yes or explain", key->name);
        return 0;
}

static int parse_line_endings(struct config *cfg, const struct config_key *key,
                              const char *value, char *err, size_t err_size)
{
        if (strcmp(value, "strict") == 0)
                cfg->smtp_lenient_line_endings = false;
        else if (strcmp(value, "lenient-unsafe") == 0)
                cfg->smtp_lenient_line_endings = true;
        else
                return config_error(err, err_size, "%s: expected strict or lenient-unsafe",
                                    key->name);
        return 0;
}

static int parse_domains(struct config *cfg, const struct config_key *key, const char *value,
                         char *err, size_t err_size)
{
        size_t count = 0;
        char word[CONFIG_NAME_MAX];
        bool too_long;
        const char *cursor = value;

        /* Parse into a copy first so that a bad list leaves the old one. */
        char parsed[CONFIG_DOMAINS_MAX][CONFIG_NAME_MAX];
        memset(parsed, 0, sizeof parsed);
        while (next_word(&cursor, word, sizeof word, &too_long) > 0) {
                if (too_long || !valid_host_name(word))
                        return config_error(err, err_size, "%s: not a domain: %s",
                                            key->name, word);
                if (count == CONFIG_DOMAINS_MAX)
                        return config_error(err, err_size, "%s: more than %d domains",
                                            key->name, CONFIG_DOMAINS_MAX);
                text_copy(parsed[count++], sizeof parsed[0], word);
        }
        if (count == 0)
                return config_error(err, err_size, "%s: at least one domain needed", key->name);
        memcpy(cfg->domains, parsed, count * sizeof parsed[0]);
        cfg->domain_count = count;
        return 0;
}

/* One listen address: "127.0.0.1:2525" or "[::1]:2525". The host must be a
 * numeric address (no DNS at start-up, DESIGN.md §2); the port 0..65535,
 * where 0 lets the kernel choose (the test harness reads it back). */
static bool parse_listen_entry(const char *word, struct config_listen *out)
{
        const char *colon = strrchr(word, ':');
        if (colon == NULL)
                return false;
        char host[sizeof out->host];
        size_t host_len;
        int family;
        if (word[0] == '[') {
                if (colon == word || colon[-1] != ']')
                        return false;
                host_len = (size_t)(colon - word) - 2;
                if (host_len >= sizeof host)
                        return false;
                memcpy(host, word + 1, host_len);
                family = AF_INET6;
        } else {
                host_len = (size_t)(colon - word);
                if (host_len >= sizeof host)
                        return false;
                memcpy(host, word, host_len);
                family = AF_INET;
        }
        host[host_len] = '\0';
        unsigned char address[sizeof(struct in6_addr)];
        if (host_len == 0 || inet_pton(family, host, address) != 1)
                return false;
        unsigned long long port;
        if (!text_parse_uint(colon + 1, strlen(colon + 1), 65535, &port))
                return false;
        memcpy(out->host, host, host_len + 1);
        out->port = (unsigned)port;
        return true;
}

static int parse_listen(struct config *cfg, const struct config_key *key, const char *value,
                        char *err, size_t err_size)
{
        struct config_listen_list list = { .count = 0 };
        char word[96];
        bool too_long;
        const char *cursor = value;

        /* An empty list is allowed: it switches that listener off (for
         * example submission_listen = for a smtpd without port 587). */
        while (next_word(&cursor, word, sizeof word, &too_long) > 0) {
                if (list.count == SERVER_LISTENERS_MAX)
                        return config_error(err, err_size, "%s: more than %d addresses",
                                            key->name, SERVER_LISTENERS_MAX);
                if (too_long || !parse_listen_entry(word, &list.items[list.count]))
                        return config_error(err, err_size,
                                            "%s: expected HOST:PORT or [IPV6]:PORT, got %s",
                                            key->name, word);
                list.count++;
        }
        *FIELD(cfg, key, struct config_listen_list) = list;
        return 0;
}

/* A list of upper-case words, each from a fixed vocabulary, none twice. */
static int parse_word_list(const char *name, const char *value, const char *const *allowed,
                           size_t max, size_t width, char *out, size_t *count_out,
                           char *err, size_t err_size)
{
        char parsed[CONFIG_EXTENSIONS_MAX][24];
        size_t count = 0;
        memset(parsed, 0, sizeof parsed);
        char word[24];
        bool too_long;
        const char *cursor = value;

        while (next_word(&cursor, word, sizeof word, &too_long) > 0) {
                upper_case(word);
                bool known = false;
                for (size_t i = 0; allowed[i] != NULL && !too_long; i++)
                        known = known || strcmp(word, allowed[i]) == 0;
                if (!known)
                        return config_error(err, err_size, "%s: unknown word %s", name, word);
                for (size_t i = 0; i < count; i++)
                        if (strcmp(parsed[i], word) == 0)
                                return config_error(err, err_size, "%s: %s listed twice",
                                                    name, word);
                if (count == max)
                        return config_error(err, err_size, "%s: too many words", name);
                text_copy(parsed[count++], sizeof parsed[0], word);
        }
        memset(out, 0, max * width);
        for (size_t i = 0; i < count; i++)
                text_copy(out + i * width, width, parsed[i]);
        *count_out = count;
        return 0;
}

static int parse_mechanisms(struct config *cfg, const struct config_key *key, const char *value,
                            char *err, size_t err_size)
{
        /* RFC 4954 and RFC 5034 mechanisms common/sasl implements. */
        static const char *const known[] = { "PLAIN", "LOGIN", "CRAM-MD5", NULL };
        return parse_word_list(key->name, value, known, CONFIG_MECHANISMS_MAX,
                               sizeof cfg->mechanisms[0], cfg->mechanisms[0],
                               &cfg->mechanism_count, err, err_size);
}

/* The vocabularies, in the default order; NULL-terminated for the parser. */
static const char *const smtp_extension_words[] = {
        "SIZE", "8BITMIME", "PIPELINING", "ENHANCEDSTATUSCODES", "HELP", "AUTH", NULL
};
#define SMTP_EXTENSION_COUNT 6
static const char *const pop3_capability_words[] = {
        "TOP", "UIDL", "USER", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "SASL",
        "IMPLEMENTATION", NULL
};
#define POP3_CAPABILITY_COUNT 8

static int parse_smtp_extensions(struct config *cfg, const struct config_key *key,
                                 const char *value, char *err, size_t err_size)
{
        return parse_word_list(key->name, value, smtp_extension_words, CONFIG_EXTENSIONS_MAX,
                               sizeof cfg->smtp_extensions[0], cfg->smtp_extensions[0],
                               &cfg->smtp_extension_count, err, err_size);
}

static int parse_pop3_capabilities(struct config *cfg, const struct config_key *key,
                                   const char *value, char *err, size_t err_size)
{
        return parse_word_list(key->name, value, pop3_capability_words, CONFIG_EXTENSIONS_MAX,
                               sizeof cfg->pop3_capabilities[0], cfg->pop3_capabilities[0],
                               &cfg->pop3_capability_count, err, err_size);
}

/* ---- the table of keys ------------------------------------------------- */

#define STRING_KEY(name, fn) \
        { #name, fn, offsetof(struct config, name), sizeof(((struct config *)0)->name), 0, 0 }
#define NUMBER_KEY(name, lo, hi) \
        { #name, parse_uint, offsetof(struct config, name), \
          sizeof(((struct config *)0)->name), lo, hi }
#define OTHER_KEY(name, fn) { #name, fn, offsetof(struct config, name), 0, 0, 0 }

/* Timeouts are bounded by one day; below the RFC's minimum (RFC 5321
 * §4.5.3.2 five and ten minutes, RFC 1939 §3 ten minutes) is allowed so
 * tests and labs can watch a timeout happen in seconds. The defaults obey
 * the RFCs. */
#define TIMEOUT_MAX 86400

const struct config_key config_keys[] = {
        STRING_KEY(hostname, parse_hostname),
        OTHER_KEY(domains, parse_domains),
        OTHER_KEY(smtp_listen, parse_listen),
        OTHER_KEY(submission_listen, parse_listen),
        OTHER_KEY(pop3_listen, parse_listen),
        STRING_KEY(mail_root, parse_string),
        STRING_KEY(users_file, parse_string),
        STRING_KEY(aliases_file, parse_string),
        /* RFC 1870 §4: the SIZE value; at most 1 TiB keeps every sum in range. */
        NUMBER_KEY(max_message_size, 1, 1ULL << 40),
        NUMBER_KEY(max_connections, 1, 1000000),
        /* RFC 5321 §4.5.3.1.8 (MUST): at least 100 recipients are accepted. */
        NUMBER_KEY(max_recipients, SMTP_RECIPIENTS_MIN, 100000),
        NUMBER_KEY(max_errors, 1, 10000),
        NUMBER_KEY(command_timeout, 1, TIMEOUT_MAX),
        NUMBER_KEY(data_timeout, 1, TIMEOUT_MAX),
        NUMBER_KEY(pop3_timeout, 1, TIMEOUT_MAX),
        OTHER_KEY(trace, parse_trace),
        { "auth_mechanisms", parse_mechanisms, 0, 0, 0, 0 },
        OTHER_KEY(plaintext_auth, parse_bool),
        NUMBER_KEY(auth_failure_delay_ms, 0, 60000),
        NUMBER_KEY(smtp_auth_failures_max, 1, 1000),
        NUMBER_KEY(pop3_auth_failures_max, 1, 1000),
        OTHER_KEY(vrfy, parse_bool),
        OTHER_KEY(expn, parse_bool),
        OTHER_KEY(apop, parse_bool),
        STRING_KEY(run_user, parse_word),
        OTHER_KEY(smtp_extensions, parse_smtp_extensions),
        OTHER_KEY(pop3_capabilities, parse_pop3_capabilities),
        { "smtp_line_endings", parse_line_endings, 0, 0, 0, 0 },
};

#define CONFIG_KEY_COUNT (sizeof config_keys / sizeof config_keys[0])
/* config_file.c numbers the lines of each key in an array of this size. */
_Static_assert(CONFIG_KEY_COUNT <= CONFIG_KEYS_MAX, "raise CONFIG_KEYS_MAX in config_internal.h");

/* ---- defaults ----------------------------------------------------------- */

static void set_listen(struct config_listen_list *list, unsigned port)
{
        list->count = 2;
        text_copy(list->items[0].host, sizeof list->items[0].host, "127.0.0.1");
        list->items[0].port = port;
        text_copy(list->items[1].host, sizeof list->items[1].host, "::1");
        list->items[1].port = port;
}

/* Copy words[0..count) into a fixed-width array of the struct. */
static void set_words(char *out, size_t width, size_t *count_out, const char *const *words,
                      size_t count)
{
        for (size_t i = 0; i < count; i++)
                text_copy(out + i * width, width, words[i]);
        *count_out = count;
}

void config_defaults(struct config *cfg)
{
        static const char *const domains[] = { "localhost", "example.test" };
        static const char *const mechanisms[] = { "PLAIN", "LOGIN", "CRAM-MD5" };

        memset(cfg, 0, sizeof *cfg);
        text_copy(cfg->hostname, sizeof cfg->hostname, "localhost");
        set_words(cfg->domains[0], sizeof cfg->domains[0], &cfg->domain_count, domains, 2);
        /* Unprivileged ports; main.c substitutes 25/587/110 when run as root. */
        set_listen(&cfg->smtp_listen, 2525);
        set_listen(&cfg->submission_listen, 2587);
        set_listen(&cfg->pop3_listen, 1100);
        text_copy(cfg->mail_root, sizeof cfg->mail_root, "var/mail");
        text_copy(cfg->users_file, sizeof cfg->users_file, "var/users");
        text_copy(cfg->aliases_file, sizeof cfg->aliases_file, "var/aliases");
        cfg->max_message_size = SMTP_MESSAGE_SIZE_DEFAULT;
        cfg->max_connections = SERVER_MAX_CONNECTIONS_DEFAULT;
        cfg->max_recipients = SMTP_RECIPIENTS_DEFAULT;
        cfg->max_errors = SMTP_ERRORS_MAX_DEFAULT;
        cfg->command_timeout = SMTP_COMMAND_TIMEOUT_DEFAULT;
        cfg->data_timeout = SMTP_DATA_TIMEOUT_DEFAULT;
        cfg->pop3_timeout = POP3_IDLE_TIMEOUT_DEFAULT;
        cfg->trace = LOG_TRACE_OFF;
        set_words(cfg->mechanisms[0], sizeof cfg->mechanisms[0], &cfg->mechanism_count,
                  mechanisms, 3);
        cfg->plaintext_auth = true;
        cfg->auth_failure_delay_ms = AUTH_FAILURE_DELAY_MS_DEFAULT;
        cfg->smtp_auth_failures_max = SMTP_AUTH_FAILURES_MAX_DEFAULT;
        cfg->pop3_auth_failures_max = POP3_AUTH_FAILURES_MAX_DEFAULT;
        cfg->vrfy = false;
        cfg->expn = false;
        cfg->apop = true;
        text_copy(cfg->run_user, sizeof cfg->run_user, "nobody");
        /* Everything we implement is offered (config.h lists the order). */
        set_words(cfg->smtp_extensions[0], sizeof cfg->smtp_extensions[0],
                  &cfg->smtp_extension_count, smtp_extension_words, SMTP_EXTENSION_COUNT);
        set_words(cfg->pop3_capabilities[0], sizeof cfg->pop3_capabilities[0],
                  &cfg->pop3_capability_count, pop3_capability_words, POP3_CAPABILITY_COUNT);
        cfg->smtp_lenient_line_endings = false;
}

/* ---- the lenient-unsafe guard --------------------------------------------- */

static bool is_loopback(const char *host)
{
        struct in_addr v4;
        struct in6_addr v6;
        if (inet_pton(AF_INET, host, &v4) == 1)
                return (ntohl(v4.s_addr) >> 24) == 127;     /* 127.0.0.0/8 */
        if (inet_pton(AF_INET6, host, &v6) == 1)
                return memcmp(&v6, &in6addr_loopback, sizeof v6) == 0;
        return false;
}

static bool list_is_loopback(const struct config_listen_list *list)
{
        for (size_t i = 0; i < list->count; i++)
                if (!is_loopback(list->items[i].host))
                        return false;
        return true;
}

/* SECURITY: SMTP smuggling. lenient-unsafe accepts LF "." LF as the end of
 * DATA, which lets a message hide a second one inside it when another
 * server on the path reads line ends differently. It exists for a lab that
 * shows the attack, so it may only be reached from this machine: every SMTP
 * and submission listener must be a loopback address. */
int config_check_lenient(const struct config *cfg, char *err, size_t err_size)
{
        if (!cfg->smtp_lenient_line_endings)
                return 0;
        if (!list_is_loopback(&cfg->smtp_listen) || !list_is_loopback(&cfg->submission_listen))
                return config_error(err, err_size,
                                    "smtp_line_endings = lenient-unsafe needs every "
                                    "smtp_listen and submission_listen address on loopback "
                                    "(127.0.0.0/8 or ::1)");
        return 0;
}

/* ---- setting one key ------------------------------------------------------ */

const struct config_key *config_find_key(const char *name)
{
        for (size_t i = 0; i < CONFIG_KEY_COUNT; i++)
                if (strcmp(config_keys[i].name, name) == 0)
                        return &config_keys[i];
        return NULL;
}

/* Trim spaces around value into buf[size]. */
static bool trim_value(const char *value, char *buf, size_t size)
{
        while (config_is_space(*value))
                value++;
        size_t len = strlen(value);
        while (len > 0 && config_is_space(value[len - 1]))
                len--;
        if (len >= size)
                return false;
        memcpy(buf, value, len);
        buf[len] = '\0';
        return true;
}

int config_set_key(struct config *cfg, const struct config_key *key, const char *value,
                   char *err, size_t err_size)
{
        char trimmed[CONFIG_LINE_MAX];
        if (!trim_value(value, trimmed, sizeof trimmed))
                return config_error(err, err_size, "%s: value too long", key->name);
        return key->parse(cfg, key, trimmed, err, err_size);
}

int config_set(struct config *cfg, const char *key, const char *value,
               char *err, size_t err_size)
{
        const struct config_key *row = config_find_key(key);
        if (row == NULL)
                return config_error(err, err_size, "unknown key %s", key);

        /* Alone (the -o option) there is no "end of file" to wait for, so
         * the lenient-unsafe guard checks the lists as they are now; a
         * refused value leaves *cfg unchanged. */
        struct config_listen_list smtp = cfg->smtp_listen;
        struct config_listen_list submission = cfg->submission_listen;
        bool lenient = cfg->smtp_lenient_line_endings;
        if (config_set_key(cfg, row, value, err, err_size) != 0)
                return -1;
        if (config_check_lenient(cfg, err, err_size) != 0) {
                cfg->smtp_listen = smtp;
                cfg->submission_listen = submission;
                cfg->smtp_lenient_line_endings = lenient;
                return -1;
        }
        return 0;
}

/* ---- queries --------------------------------------------------------------- */

/* True when word is one of items[0..count), each width bytes apart. */
static bool in_list(const char *items, size_t count, size_t width, const char *word)
{
        for (size_t i = 0; i < count; i++)
                if (text_casecmp(items + i * width, word) == 0)
                        return true;
        return false;
}

bool config_is_local_domain(const struct config *cfg, const char *domain)
{
        return in_list(cfg->domains[0], cfg->domain_count, sizeof cfg->domains[0], domain);
}

bool config_has_mechanism(const struct config *cfg, const char *mechanism)
{
        return in_list(cfg->mechanisms[0], cfg->mechanism_count, sizeof cfg->mechanisms[0],
                       mechanism);
}

bool config_smtp_extension_enabled(const struct config *cfg, const char *keyword)
{
        return in_list(cfg->smtp_extensions[0], cfg->smtp_extension_count,
                       sizeof cfg->smtp_extensions[0], keyword);
}

bool config_pop3_capability_enabled(const struct config *cfg, const char *capability)
{
        return in_list(cfg->pop3_capabilities[0], cfg->pop3_capability_count,
                       sizeof cfg->pop3_capabilities[0], capability);
}
