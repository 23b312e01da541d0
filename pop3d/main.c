/* SPDX-License-Identifier: MIT
 *
 * main.c - pop3d: options, configuration, listeners, then the server loop.
 *
 * Kept small on purpose: everything a test needs lives in libpop3d.a
 * (session.c and friends) and common/. Start-up order matters: read the
 * configuration and the users file, bind the listeners (port 110, where
 * RFC 1939 §3 says the service listens, needs root and is named in the
 * configuration file; the embedded default is 1100 for everyone), drop
 * privileges, block the termination signals before any thread
 * exists so that only the signal thread of common/server receives them,
 * and hand each connection to pop3_session_run().
 *
 * Standards:  RFC 1939 §3 (port 110), RFC 2449 §8
 * Threads:    the main thread only, before and around server_run().
 * Read next:  pop3d/session.c (one session), common/server.c (the loop).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include "common/config.h"
#include "common/log.h"
#include "common/server.h"
#include "common/users.h"
#include "pop3d/session.h"

#define POP3_OVERRIDES_MAX 32

static void pop3_usage(FILE *out)
{
        fprintf(out,
                "usage: pop3d [-f] [-c FILE] [-o key=value]... [--trace[=explain]]\n"
                "       pop3d -h | -V\n"
                "  -c FILE            configuration file (default: compiled-in settings)\n"
                "  -f                 stay in the foreground, log to stderr\n"
                "  -o key=value       override one configuration key\n"
                "  --trace            print the C:/S: protocol transcript\n"
                "  --trace=explain    ... with the RFC section behind each reply\n"
                "  -h                 this help\n"
                "  -V                 print the version\n");
}

/* Past the cap, one line and the server closes the socket (DESIGN.md §2);
 * RFC 2449 §8 response code SYS/TEMP (RFC 3206) tells the client to retry. */
static void pop3_refuse(int fd)
{
        static const char line[] = "-ERR [SYS/TEMP] Too many connections\r\n";
        ssize_t written = write(fd, line, sizeof(line) - 1);

        (void)written;
}

/* SIGHUP: re-read the users and aliases files; sessions keep running. */
static void pop3_reload(void)
{
        char err[512];

        if (users_reload(err, sizeof(err)) < 0)
                log_err(0, "reload failed, keeping the old users: %s", err);
        else
                log_info(0, "users and aliases reloaded");
}

int main(int argc, char **argv)
{
        static struct config cfg;
        const char *config_path = NULL;
        const char *overrides[POP3_OVERRIDES_MAX];
        size_t override_count = 0;
        bool is_foreground = false;
        bool has_trace_option = false;
        enum log_trace_mode trace = LOG_TRACE_OFF;
        char err[512];

        for (int i = 1; i < argc; i++) {
                const char *arg = argv[i];

                if (strcmp(arg, "-f") == 0) {
                        is_foreground = true;
                } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
                        pop3_usage(stdout);
                        return EX_OK;
                } else if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
                        printf("pop3d %s\n", VERSION);
                        return EX_OK;
                } else if (strcmp(arg, "--trace") == 0) {
                        has_trace_option = true;
                        trace = LOG_TRACE_ON;
                } else if (strcmp(arg, "--trace=explain") == 0) {
                        has_trace_option = true;
                        trace = LOG_TRACE_EXPLAIN;
                } else if (strcmp(arg, "-c") == 0 && i + 1 < argc) {
                        config_path = argv[++i];
                } else if (strcmp(arg, "-o") == 0 && i + 1 < argc &&
                           override_count < POP3_OVERRIDES_MAX) {
                        overrides[override_count++] = argv[++i];
                } else {
                        fprintf(stderr, "pop3d: bad option: %s\n", arg);
                        pop3_usage(stderr);
                        return EX_USAGE;
                }
        }

        config_defaults(&cfg);
        if (config_path != NULL && config_load(&cfg, config_path, err, sizeof(err)) < 0) {
                fprintf(stderr, "pop3d: %s\n", err);
                return EX_CONFIG;
        }
        for (size_t i = 0; i < override_count; i++) {
                char key[64];
                const char *equals = strchr(overrides[i], '=');
                size_t key_len = equals != NULL ? (size_t)(equals - overrides[i]) : 0;

                if (key_len == 0 || key_len >= sizeof(key)) {
                        fprintf(stderr, "pop3d: -o wants key=value: %s\n", overrides[i]);
                        return EX_USAGE;
                }
                memcpy(key, overrides[i], key_len);
                key[key_len] = '\0';
                if (config_set(&cfg, key, equals + 1, err, sizeof(err)) < 0) {
                        fprintf(stderr, "pop3d: -o %s: %s\n", overrides[i], err);
                        return EX_CONFIG;
                }
        }
        if (has_trace_option)
                cfg.trace = trace;

        log_init("pop3d", !is_foreground, cfg.trace);
        if (users_init(cfg.users_file, cfg.aliases_file, err, sizeof(err)) < 0) {
                log_err(0, "%s", err);
                return EX_CONFIG;
        }
        server_raise_fd_limit();

        struct server srv;

        memset(&srv, 0, sizeof(srv));
        if (server_listen(&srv, &cfg.pop3_listen, 0, "pop3", err, sizeof(err)) < 0) {
                log_err(0, "%s", err);
                return EX_UNAVAILABLE;
        }
        if (server_drop_privileges(cfg.run_user, err, sizeof(err)) < 0) {
                log_err(0, "%s", err);
                return EX_NOPERM;
        }
        /* Keep the working directory: mail_root and users_file may be
         * relative (var/mail in `make run`). */
        if (!is_foreground && daemon(1, 0) < 0) {
                log_err(0, "cannot become a daemon");
                return EX_OSERR;
        }
        server_block_signals();
        log_info(0, "pop3d %s started", VERSION);
        int result = server_run(&srv, cfg.max_connections, pop3_session_run, pop3_refuse,
                                pop3_reload, &cfg);

        users_shutdown();
        log_info(0, "pop3d stopped");
        return result == 0 ? EX_OK : EX_SOFTWARE;
}
