/* SPDX-License-Identifier: MIT
 *
 * main.c - smtpd's start-up: options, configuration, listeners, then the
 * server loop of common/server with smtp_session_run() for each client.
 *
 * Kept small on purpose: everything a test may want to exercise lives in
 * libsmtpd.a. The order matters: the configuration and the users file are
 * checked before anything is bound, the signals are blocked before any
 * thread exists (so that only the signal thread receives them), privileges
 * are dropped after binding (ports 25 and 587 need root) and before any
 * client is served. The ports come from the configuration only: the
 * embedded default is 2525 and 2587 even for root, so that `make run`
 * behaves the same for everyone; a real MTA names 25 (RFC 5321 §4.5.4.2)
 * and 587 (RFC 6409 §3.1) in its file (common/mail.conf.example).
 *
 * Standards:  RFC 5321 §4.5.4.2, RFC 6409 §3.1
 * Threads:    the main thread; server_run() starts the others.
 * Read next:  smtpd/session.c (what each connection runs), common/server.c.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include "common/config.h"
#include "common/log.h"
#include "common/server.h"
#include "common/users.h"
#include "smtpd/session.h"

#ifndef VERSION
#define VERSION "unknown"
#endif

#define SMTPD_OVERRIDES_MAX 64

static void smtpd_usage(FILE *out)
{
        fprintf(out,
                "usage: smtpd [-f] [-c FILE] [-o key=value]... [--trace[=explain]]\n"
                "       smtpd -h | -V\n"
                "  -c FILE          configuration file (default: the built-in defaults)\n"
                "  -f               stay in the foreground, log to stderr\n"
                "  -o key=value     set a configuration key after reading FILE\n"
                "  --trace          print the C:/S: transcript\n"
                "  --trace=explain  and name the RFC section of each reply\n"
                "  -h               this help\n"
                "  -V               print the version\n");
}

/* Written to a client refused past max_connections (before any EHLO). */
static void smtpd_refuse(int fd)
{
        static const char line[] = "421 4.3.2 Too many connections, try again later\r\n";

        if (write(fd, line, sizeof line - 1) < 0)
                return;
}

/* SIGHUP: re-read the users and aliases files; sessions keep running. */
static void smtpd_reload(void)
{
        char err[512];

        if (users_reload(err, sizeof err) != 0)
                log_err(0, "reload failed, keeping the old tables: %s", err);
        else
                log_info(0, "users and aliases reloaded");
}

/* Detach from the terminal: fork (the parent exits), new session, standard
 * descriptors on /dev/null. The working directory stays, so relative paths
 * in the configuration (var/mail) keep their meaning. */
static int smtpd_daemonize(void)
{
        pid_t pid = fork();

        if (pid < 0)
                return -1;
        if (pid > 0)
                _exit(EXIT_SUCCESS);
        if (setsid() < 0)
                return -1;
        int fd = open("/dev/null", O_RDWR);
        if (fd < 0)
                return -1;
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
                close(fd);
        return 0;
}

int main(int argc, char **argv)
{
        static struct config cfg;
        static struct server srv;
        const char *config_path = NULL;
        const char *overrides[SMTPD_OVERRIDES_MAX];
        size_t override_count = 0;
        bool foreground = false, trace_given = false;
        enum log_trace_mode trace = LOG_TRACE_OFF;
        char err[1024];

        for (int i = 1; i < argc; i++) {
                const char *arg = argv[i];
                if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
                        smtpd_usage(stdout);
                        return EXIT_SUCCESS;
                } else if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
                        printf("smtpd %s\n", VERSION);
                        return EXIT_SUCCESS;
                } else if (strcmp(arg, "-f") == 0) {
                        foreground = true;
                } else if (strcmp(arg, "-c") == 0 && i + 1 < argc) {
                        config_path = argv[++i];
                } else if (strcmp(arg, "-o") == 0 && i + 1 < argc &&
                           override_count < SMTPD_OVERRIDES_MAX) {
                        overrides[override_count++] = argv[++i];
                } else if (strcmp(arg, "--trace") == 0) {
                        trace_given = true;
                        trace = LOG_TRACE_ON;
                } else if (strcmp(arg, "--trace=explain") == 0) {
                        trace_given = true;
                        trace = LOG_TRACE_EXPLAIN;
                } else {
                        fprintf(stderr, "smtpd: bad option or missing value: %s\n", arg);
                        smtpd_usage(stderr);
                        return EX_USAGE;
                }
        }

        config_defaults(&cfg);
        if (config_path != NULL && config_load(&cfg, config_path, err, sizeof err) != 0) {
                fprintf(stderr, "smtpd: %s\n", err);
                return EX_CONFIG;
        }
        for (size_t i = 0; i < override_count; i++) {
                char key[128];
                const char *equals = strchr(overrides[i], '=');
                size_t key_len = equals != NULL ? (size_t)(equals - overrides[i]) : 0;
                while (key_len > 0 && overrides[i][key_len - 1] == ' ')
                        key_len--;
                if (equals == NULL || key_len == 0 || key_len >= sizeof key) {
                        fprintf(stderr, "smtpd: -o wants key=value: %s\n", overrides[i]);
                        return EX_USAGE;
                }
                memcpy(key, overrides[i], key_len);
                key[key_len] = '\0';
                const char *value = equals + 1;
                while (*value == ' ')
                        value++;
                if (config_set(&cfg, key, value, err, sizeof err) != 0) {
                        fprintf(stderr, "smtpd: -o %s: %s\n", overrides[i], err);
                        return EX_CONFIG;
                }
        }
        if (trace_given)
                cfg.trace = trace;

        log_init("smtpd", !foreground, cfg.trace);
        if (cfg.smtp_lenient_line_endings)
                log_warn(0, "smtp_line_endings = lenient-unsafe: LF.LF ends DATA, "
                            "SMTP smuggling is possible (lab mode)");
        if (users_init(cfg.users_file, cfg.aliases_file, err, sizeof err) != 0) {
                fprintf(stderr, "smtpd: %s\n", err);
                log_err(0, "%s", err);
                return EX_CONFIG;
        }

        server_raise_fd_limit();
        /* Before any thread exists, so that every thread inherits the mask
         * and only the signal thread sees SIGTERM, SIGINT and SIGHUP. */
        server_block_signals();
        if (server_listen(&srv, &cfg.smtp_listen, SMTP_LISTENER_MTA, "smtp",
                          err, sizeof err) != 0 ||
            server_listen(&srv, &cfg.submission_listen, SMTP_LISTENER_SUBMISSION, "submission",
                          err, sizeof err) != 0) {
                fprintf(stderr, "smtpd: %s\n", err);
                log_err(0, "%s", err);
                return EX_OSERR;
        }
        if (geteuid() == 0 && server_drop_privileges(cfg.run_user, err, sizeof err) != 0) {
                fprintf(stderr, "smtpd: %s\n", err);
                log_err(0, "%s", err);
                return EX_OSERR;
        }
        if (!foreground && smtpd_daemonize() != 0) {
                log_err(0, "cannot become a daemon");
                return EX_OSERR;
        }

        int result = server_run(&srv, cfg.max_connections, smtp_session_run, smtpd_refuse,
                                smtpd_reload, &cfg);
        users_shutdown();
        return result == 0 ? EXIT_SUCCESS : EX_OSERR;
}
