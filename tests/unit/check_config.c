/* SPDX-License-Identifier: MIT
 *
 * check_config.c - the configuration file (common/config): the embedded
 * defaults, every key, and a table of files that must be refused with
 * "FILE:LINE: reason".
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"

/* Write text to a fresh temporary file; its name into path[size]. */
static void write_temp(char *path, size_t size, const char *text)
{
        snprintf(path, size, "/tmp/check_config.XXXXXX");
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        size_t len = strlen(text);
        ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
        close(fd);
}

static int load_text(struct config *cfg, const char *text, char *path, size_t path_size,
                     char *err, size_t err_size)
{
        write_temp(path, path_size, text);
        int result = config_load(cfg, path, err, err_size);
        unlink(path);
        return result;
}

/* A key's current value as text, in the syntax of the file, so that one
 * table can say "after this value, the key reads back as that". */
static void field_text(const struct config *cfg, const char *key, char *out, size_t size)
{
        out[0] = '\0';
#define APPEND(...) snprintf(out + strlen(out), size - strlen(out), __VA_ARGS__)
#define LIST(count, items) \
        for (size_t i = 0; i < (count); i++) APPEND("%s%s", i ? " " : "", (items)[i])
#define LISTEN(l) \
        for (size_t i = 0; i < (l).count; i++) \
                APPEND(strchr((l).items[i].host, ':') ? "%s[%s]:%u" : "%s%s:%u", \
                       i ? " " : "", (l).items[i].host, (l).items[i].port)
        if (strcmp(key, "hostname") == 0) APPEND("%s", cfg->hostname);
        else if (strcmp(key, "domains") == 0) LIST(cfg->domain_count, cfg->domains);
        else if (strcmp(key, "smtp_listen") == 0) LISTEN(cfg->smtp_listen);
        else if (strcmp(key, "submission_listen") == 0) LISTEN(cfg->submission_listen);
        else if (strcmp(key, "pop3_listen") == 0) LISTEN(cfg->pop3_listen);
        else if (strcmp(key, "mail_root") == 0) APPEND("%s", cfg->mail_root);
        else if (strcmp(key, "users_file") == 0) APPEND("%s", cfg->users_file);
        else if (strcmp(key, "aliases_file") == 0) APPEND("%s", cfg->aliases_file);
        else if (strcmp(key, "max_message_size") == 0) APPEND("%llu", cfg->max_message_size);
        else if (strcmp(key, "max_connections") == 0) APPEND("%u", cfg->max_connections);
        else if (strcmp(key, "max_recipients") == 0) APPEND("%u", cfg->max_recipients);
        else if (strcmp(key, "max_errors") == 0) APPEND("%u", cfg->max_errors);
        else if (strcmp(key, "command_timeout") == 0) APPEND("%u", cfg->command_timeout);
        else if (strcmp(key, "data_timeout") == 0) APPEND("%u", cfg->data_timeout);
        else if (strcmp(key, "pop3_timeout") == 0) APPEND("%u", cfg->pop3_timeout);
        else if (strcmp(key, "trace") == 0)
                APPEND("%s", cfg->trace == LOG_TRACE_OFF ? "no" :
                             cfg->trace == LOG_TRACE_ON ? "yes" : "explain");
        else if (strcmp(key, "auth_mechanisms") == 0)
                LIST(cfg->mechanism_count, cfg->mechanisms);
        else if (strcmp(key, "plaintext_auth") == 0)
                APPEND("%s", cfg->plaintext_auth ? "yes" : "no");
        else if (strcmp(key, "auth_failure_delay_ms") == 0)
                APPEND("%u", cfg->auth_failure_delay_ms);
        else if (strcmp(key, "smtp_auth_failures_max") == 0)
                APPEND("%u", cfg->smtp_auth_failures_max);
        else if (strcmp(key, "pop3_auth_failures_max") == 0)
                APPEND("%u", cfg->pop3_auth_failures_max);
        else if (strcmp(key, "vrfy") == 0) APPEND("%s", cfg->vrfy ? "yes" : "no");
        else if (strcmp(key, "expn") == 0) APPEND("%s", cfg->expn ? "yes" : "no");
        else if (strcmp(key, "apop") == 0) APPEND("%s", cfg->apop ? "yes" : "no");
        else if (strcmp(key, "run_user") == 0) APPEND("%s", cfg->run_user);
        else if (strcmp(key, "smtp_extensions") == 0)
                LIST(cfg->smtp_extension_count, cfg->smtp_extensions);
        else if (strcmp(key, "pop3_capabilities") == 0)
                LIST(cfg->pop3_capability_count, cfg->pop3_capabilities);
        else if (strcmp(key, "smtp_line_endings") == 0)
                APPEND("%s", cfg->smtp_lenient_line_endings ? "lenient-unsafe" : "strict");
        else
                ck_abort_msg("no field for %s", key);
#undef APPEND
#undef LIST
#undef LISTEN
}

struct key_case {
        const char *key;
        const char *default_text;   /* DESIGN.md §10 */
        const char *value;          /* a different value to set */
        const char *expected;       /* how it reads back */
};

static const struct key_case key_cases[] = {
        { .key = "hostname", .default_text = "localhost", .value = "mx.example.test",
          .expected = "mx.example.test" },
        { .key = "domains", .default_text = "localhost example.test",
          .value = " a.test   B.test ", .expected = "a.test B.test" },
        { .key = "smtp_listen", .default_text = "127.0.0.1:2525 [::1]:2525",
          .value = "0.0.0.0:25 [::]:25", .expected = "0.0.0.0:25 [::]:25" },
        { .key = "submission_listen", .default_text = "127.0.0.1:2587 [::1]:2587",
          .value = "", .expected = "" },
        { .key = "pop3_listen", .default_text = "127.0.0.1:1100 [::1]:1100",
          .value = "127.0.0.1:0", .expected = "127.0.0.1:0" },
        { .key = "mail_root", .default_text = "var/mail", .value = "/srv/mail",
          .expected = "/srv/mail" },
        { .key = "users_file", .default_text = "var/users", .value = "/etc/mail/users",
          .expected = "/etc/mail/users" },
        { .key = "aliases_file", .default_text = "var/aliases", .value = "/etc/mail/aliases",
          .expected = "/etc/mail/aliases" },
        { .key = "max_message_size", .default_text = "10485760", .value = "5000000000",
          .expected = "5000000000" },
        { .key = "max_connections", .default_text = "1000", .value = "5", .expected = "5" },
        { .key = "max_recipients", .default_text = "100", .value = "250", .expected = "250" },
        { .key = "max_errors", .default_text = "20", .value = "3", .expected = "3" },
        { .key = "command_timeout", .default_text = "300", .value = "10", .expected = "10" },
        { .key = "data_timeout", .default_text = "600", .value = "1", .expected = "1" },
        { .key = "pop3_timeout", .default_text = "600", .value = "86400", .expected = "86400" },
        { .key = "trace", .default_text = "no", .value = "explain", .expected = "explain" },
        { .key = "auth_mechanisms", .default_text = "PLAIN LOGIN CRAM-MD5",
          .value = "cram-md5 plain", .expected = "CRAM-MD5 PLAIN" },
        { .key = "plaintext_auth", .default_text = "yes", .value = "no", .expected = "no" },
        { .key = "auth_failure_delay_ms", .default_text = "1000", .value = "0",
          .expected = "0" },
        { .key = "smtp_auth_failures_max", .default_text = "3", .value = "7", .expected = "7" },
        { .key = "pop3_auth_failures_max", .default_text = "3", .value = "1", .expected = "1" },
        { .key = "vrfy", .default_text = "no", .value = "yes", .expected = "yes" },
        { .key = "expn", .default_text = "no", .value = "yes", .expected = "yes" },
        { .key = "apop", .default_text = "yes", .value = "no", .expected = "no" },
        { .key = "run_user", .default_text = "nobody", .value = "mail", .expected = "mail" },
        { .key = "smtp_extensions",
          .default_text = "SIZE 8BITMIME PIPELINING ENHANCEDSTATUSCODES HELP AUTH",
          .value = "pipelining size", .expected = "PIPELINING SIZE" },
        { .key = "pop3_capabilities",
          .default_text = "TOP UIDL USER RESP-CODES AUTH-RESP-CODE PIPELINING SASL "
                          "IMPLEMENTATION",
          .value = "UIDL", .expected = "UIDL" },
        { .key = "smtp_line_endings", .default_text = "strict", .value = "lenient-unsafe",
          .expected = "lenient-unsafe" },
};

#define KEY_CASE_COUNT ((int)(sizeof key_cases / sizeof key_cases[0]))

START_TEST(test_default)
{
        const struct key_case *c = &key_cases[_i];
        struct config cfg;
        char text[8192];
        config_defaults(&cfg);
        field_text(&cfg, c->key, text, sizeof text);
        ck_assert_str_eq(text, c->default_text);
}
END_TEST

START_TEST(test_set_key)
{
        const struct key_case *c = &key_cases[_i];
        struct config cfg;
        char text[8192];
        char err[256];
        config_defaults(&cfg);
        ck_assert_msg(config_set(&cfg, c->key, c->value, err, sizeof err) == 0, "%s", err);
        field_text(&cfg, c->key, text, sizeof text);
        ck_assert_str_eq(text, c->expected);
}
END_TEST

START_TEST(test_load_key)
{
        /* The same through a file, with a comment after the value. */
        const struct key_case *c = &key_cases[_i];
        struct config cfg;
        char line[512];
        char path[64];
        char err[256];
        char text[8192];
        config_defaults(&cfg);
        snprintf(line, sizeof line, "# comment\n\n  %s = %s   # why\n", c->key, c->value);
        ck_assert_msg(load_text(&cfg, line, path, sizeof path, err, sizeof err) == 0, "%s", err);
        field_text(&cfg, c->key, text, sizeof text);
        ck_assert_str_eq(text, c->expected);
}
END_TEST

struct bad_case {
        const char *name;
        const char *text;
        const char *message;     /* expected after "FILE:" */
};

static const struct bad_case bad_cases[] = {
        { "unknown key", "hostname = a\nrelay = yes\n", "2: unknown key relay" },
        { "duplicate key", "trace = yes\n\ntrace = no\n", "3: duplicate key trace" },
        { "no equals", "hostname localhost\n", "1: expected \"key = value\"" },
        { "empty key", " = x\n", "1: expected \"key = value\"" },
        { "bad number", "max_connections = 10x\n", "1: max_connections: expected a number" },
        { "negative number", "command_timeout = -1\n", "1: command_timeout: expected a number" },
        { "number overflow", "max_errors = 99999999999999999999999\n", "1: max_errors" },
        { "number with sign", "max_errors = +5\n", "1: max_errors" },
        { "timeout zero", "data_timeout = 0\n", "1: data_timeout: expected a number from 1" },
        { "recipients under 100", "max_recipients = 99\n",
          "1: max_recipients: expected a number from 100" },
        { "empty number", "pop3_timeout =\n", "1: pop3_timeout" },
        { "bad bool", "vrfy = true\n", "1: vrfy: expected yes or no" },
        { "bad trace", "trace = verbose\n", "1: trace: expected no, yes or explain" },
        { "bad mechanism", "auth_mechanisms = PLAIN GSSAPI\n", "1: auth_mechanisms: unknown" },
        { "twice mechanism", "auth_mechanisms = PLAIN plain\n", "1: auth_mechanisms: PLAIN" },
        { "bad extension", "smtp_extensions = CHUNKING\n", "1: smtp_extensions: unknown" },
        { "bad capability", "pop3_capabilities = STLS\n", "1: pop3_capabilities: unknown" },
        { "listen no port", "smtp_listen = 127.0.0.1\n", "1: smtp_listen: expected HOST:PORT" },
        { "listen name", "smtp_listen = localhost:25\n", "1: smtp_listen: expected" },
        { "listen v6 no brackets", "pop3_listen = ::1:110\n", "1: pop3_listen: expected" },
        { "listen port big", "pop3_listen = 127.0.0.1:65536\n", "1: pop3_listen: expected" },
        { "listen empty port", "pop3_listen = 127.0.0.1:\n", "1: pop3_listen: expected" },
        { "listen unclosed", "smtp_listen = [::1:25\n", "1: smtp_listen: expected" },
        { "listen too many", "smtp_listen = 127.0.0.1:1 127.0.0.1:2 127.0.0.1:3 127.0.0.1:4 "
          "127.0.0.1:5 127.0.0.1:6 127.0.0.1:7 127.0.0.1:8 127.0.0.1:9\n",
          "1: smtp_listen: more than" },
        { "hostname space", "hostname = a b\n", "1: hostname: not a host name" },
        { "no domains", "domains =\n", "1: domains: at least one" },
        { "bad domain", "domains = a.test b/c\n", "1: domains: not a domain" },
        { "run_user two words", "run_user = a b\n", "1: run_user: one word" },
        { "empty path", "mail_root =\n", "1: mail_root: empty" },
        { "bad line endings", "smtp_line_endings = lenient\n", "1: smtp_line_endings" },
        { "lenient on any address",
          "smtp_line_endings = lenient-unsafe\nsmtp_listen = 0.0.0.0:2525\n",
          "1: smtp_line_endings = lenient-unsafe needs every smtp_listen" },
        { "lenient on public submission",
          "submission_listen = [::]:587\nsmtp_line_endings = lenient-unsafe\n",
          "2: smtp_line_endings = lenient-unsafe needs every" },
        { "lenient on 10/8", "smtp_listen = 10.0.0.1:25\nsmtp_line_endings = lenient-unsafe\n",
          "2: smtp_line_endings = lenient-unsafe needs every" },
};

#define BAD_CASE_COUNT ((int)(sizeof bad_cases / sizeof bad_cases[0]))

START_TEST(test_bad_file)
{
        const struct bad_case *c = &bad_cases[_i];
        struct config cfg;
        struct config before;
        char path[64];
        char err[512];
        char expected[600];
        config_defaults(&cfg);
        memcpy(&before, &cfg, sizeof before);
        ck_assert_msg(load_text(&cfg, c->text, path, sizeof path, err, sizeof err) == -1,
                      "%s: accepted", c->name);
        snprintf(expected, sizeof expected, "%s:%s", path, c->message);
        ck_assert_msg(strncmp(err, expected, strlen(expected)) == 0, "%s: got \"%s\"",
                      c->name, err);
        /* A refused file changes nothing. */
        ck_assert(memcmp(&cfg, &before, sizeof cfg) == 0);
}
END_TEST

/* STYLE.md classic bug: an over-long line must not be cut into a
 * different, shorter line that then parses. */
START_TEST(test_overlong_line_not_dispatched)
{
        char text[3000];
        char path[64];
        char err[512];
        char expected[128];
        struct config cfg;
        config_defaults(&cfg);
        /* 2000 spaces, then a valid-looking tail: a parser that read the
         * line in 1 KiB pieces would see "trace = yes" alone. */
        memset(text, ' ', 2000);
        strcpy(text + 2000, "trace = yes\n");
        ck_assert_int_eq(load_text(&cfg, text, path, sizeof path, err, sizeof err), -1);
        snprintf(expected, sizeof expected, "%s:1: line longer than", path);
        ck_assert_msg(strncmp(err, expected, strlen(expected)) == 0, "%s", err);
        ck_assert_int_eq(cfg.trace, LOG_TRACE_OFF);
}
END_TEST

START_TEST(test_nul_byte_refused)
{
        char path[64];
        char err[256];
        struct config cfg;
        config_defaults(&cfg);
        snprintf(path, sizeof path, "/tmp/check_config.XXXXXX");
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, "hostname = a\0b\n", 15), 15);
        close(fd);
        ck_assert_int_eq(config_load(&cfg, path, err, sizeof err), -1);
        unlink(path);
        ck_assert_ptr_nonnull(strstr(err, ":1: NUL byte"));
}
END_TEST

START_TEST(test_whole_file)
{
        const char *text =
                "# a complete file, CRLF line ends on one line\n"
                "hostname = mail.example.test\r\n"
                "domains = example.test\n"
                "\t\n"
                "smtp_listen = [::1]:0 127.0.0.1:0\n"
                "trace = yes # comment after a value\n"
                "mail_root = /srv/mail#box\n";
        struct config cfg;
        char path[64];
        char err[256];
        config_defaults(&cfg);
        ck_assert_msg(load_text(&cfg, text, path, sizeof path, err, sizeof err) == 0, "%s", err);
        ck_assert_str_eq(cfg.hostname, "mail.example.test");
        ck_assert_uint_eq(cfg.domain_count, 1);
        ck_assert_uint_eq(cfg.smtp_listen.count, 2);
        ck_assert_str_eq(cfg.smtp_listen.items[0].host, "::1");
        ck_assert_uint_eq(cfg.smtp_listen.items[1].port, 0);
        ck_assert_int_eq(cfg.trace, LOG_TRACE_ON);
        /* '#' inside a word is not a comment. */
        ck_assert_str_eq(cfg.mail_root, "/srv/mail#box");
        /* Keys not in the file keep their defaults. */
        ck_assert_uint_eq(cfg.max_recipients, 100);
}
END_TEST

START_TEST(test_missing_file)
{
        struct config cfg;
        char err[256];
        config_defaults(&cfg);
        ck_assert_int_eq(config_load(&cfg, "/nonexistent/mail.conf", err, sizeof err), -1);
        ck_assert_ptr_nonnull(strstr(err, "/nonexistent/mail.conf: "));
}
END_TEST

START_TEST(test_lenient_allowed_on_loopback)
{
        struct config cfg;
        char path[64];
        char err[256];
        config_defaults(&cfg);
        /* Listen lines after the switch: the check waits for the whole file. */
        const char *text = "smtp_line_endings = lenient-unsafe\n"
                           "smtp_listen = 127.0.0.2:2525 [::1]:2525\n"
                           "submission_listen = 127.0.0.1:0\n"
                           "pop3_listen = 0.0.0.0:110\n";
        ck_assert_msg(load_text(&cfg, text, path, sizeof path, err, sizeof err) == 0, "%s", err);
        ck_assert(cfg.smtp_lenient_line_endings);
}
END_TEST

START_TEST(test_lenient_config_set)
{
        struct config cfg;
        char err[256];
        config_defaults(&cfg);
        /* Defaults are loopback: allowed. */
        ck_assert_int_eq(config_set(&cfg, "smtp_line_endings", "lenient-unsafe", err,
                                    sizeof err), 0);
        /* Then a public listener is refused and nothing changes. */
        ck_assert_int_eq(config_set(&cfg, "smtp_listen", "0.0.0.0:25", err, sizeof err), -1);
        ck_assert_str_eq(cfg.smtp_listen.items[0].host, "127.0.0.1");
        ck_assert_uint_eq(cfg.smtp_listen.items[0].port, 2525);
        /* The other order: a public listener first, then the switch. */
        config_defaults(&cfg);
        ck_assert_int_eq(config_set(&cfg, "submission_listen", "192.0.2.1:587", err,
                                    sizeof err), 0);
        ck_assert_int_eq(config_set(&cfg, "smtp_line_endings", "lenient-unsafe", err,
                                    sizeof err), -1);
        ck_assert(!cfg.smtp_lenient_line_endings);
}
END_TEST

START_TEST(test_config_set_unknown_key)
{
        struct config cfg;
        char err[256];
        config_defaults(&cfg);
        ck_assert_int_eq(config_set(&cfg, "open_relay", "yes", err, sizeof err), -1);
        ck_assert_str_eq(err, "unknown key open_relay");
}
END_TEST

START_TEST(test_queries)
{
        struct config cfg;
        char err[256];
        config_defaults(&cfg);
        ck_assert(config_is_local_domain(&cfg, "EXAMPLE.test"));
        ck_assert(config_is_local_domain(&cfg, "localhost"));
        ck_assert(!config_is_local_domain(&cfg, "example.org"));
        ck_assert(!config_is_local_domain(&cfg, ""));
        ck_assert(config_has_mechanism(&cfg, "CRAM-MD5"));
        ck_assert(config_has_mechanism(&cfg, "plain"));
        ck_assert(!config_has_mechanism(&cfg, "GSSAPI"));
        ck_assert(config_smtp_extension_enabled(&cfg, "pipelining"));
        ck_assert(!config_smtp_extension_enabled(&cfg, "CHUNKING"));
        ck_assert(config_pop3_capability_enabled(&cfg, "uidl"));
        ck_assert_int_eq(config_set(&cfg, "auth_mechanisms", "", err, sizeof err), 0);
        ck_assert_uint_eq(cfg.mechanism_count, 0);
        ck_assert(!config_has_mechanism(&cfg, "PLAIN"));
        ck_assert_int_eq(config_set(&cfg, "pop3_capabilities", "TOP", err, sizeof err), 0);
        ck_assert(!config_pop3_capability_enabled(&cfg, "UIDL"));
}
END_TEST

Suite *config_suite(void)
{
        Suite *suite = suite_create("config");
        TCase *keys = tcase_create("keys");
        tcase_set_timeout(keys, 60);
        tcase_add_loop_test(keys, test_default, 0, KEY_CASE_COUNT);
        tcase_add_loop_test(keys, test_set_key, 0, KEY_CASE_COUNT);
        tcase_add_loop_test(keys, test_load_key, 0, KEY_CASE_COUNT);
        tcase_add_test(keys, test_whole_file);
        tcase_add_test(keys, test_queries);
        suite_add_tcase(suite, keys);

        TCase *errors = tcase_create("errors");
        tcase_set_timeout(errors, 60);
        tcase_add_loop_test(errors, test_bad_file, 0, BAD_CASE_COUNT);
        tcase_add_test(errors, test_overlong_line_not_dispatched);
        tcase_add_test(errors, test_nul_byte_refused);
        tcase_add_test(errors, test_missing_file);
        tcase_add_test(errors, test_config_set_unknown_key);
        suite_add_tcase(suite, errors);

        TCase *lenient = tcase_create("lenient");
        tcase_set_timeout(lenient, 60);
        tcase_add_test(lenient, test_lenient_allowed_on_loopback);
        tcase_add_test(lenient, test_lenient_config_set);
        suite_add_tcase(suite, lenient);
        return suite;
}
