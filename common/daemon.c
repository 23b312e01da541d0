/* SPDX-License-Identifier: MIT
 *
 * daemon.c - the start-up and shut-down both daemons share.
 *
 * The order is the lesson here (DESIGN.md §2, §9): read and check
 * everything that can be wrong (options, configuration, users file) before
 * binding anything, so that a mistake stops the daemon with a clear message
 * and a sysexits(3) code; bind the listeners (the daemon's main.c does that,
 * as root if the ports need it); block the termination signals before the
 * first thread exists, so that only the signal thread of common/server
 * receives them; drop root privileges; detach; serve.
 *
 * Standards:  (none: the POSIX daemon conventions of DESIGN.md §9)
 * Threads:    the main thread only, before and after server_run().
 * Read next:  common/server.c (the accept loop), smtpd/main.c, pop3d/main.c.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include "common/daemon.h"
#include "common/log.h"
#include "common/users.h"

#ifndef VERSION
#define VERSION "unknown"
#endif

#define DAEMON_OVERRIDES_MAX 64

static void daemon_usage(const char *ident, FILE *out)
{
        fprintf(out,
                "usage: %s [-f] [-c FILE] [-o key=value]... [--trace[=explain]]\n"
                "       %s -h | -V\n"
                "  -c FILE          configuration file (default: the compiled-in settings)\n"
                "  -f               stay in the foreground, log to stderr\n"
                "  -o key=value     set one configuration key after reading FILE\n"
                "  --trace          print the C:/S: protocol transcript\n"
                "  --trace=explain  ... with the RFC section behind each reply\n"
                "  -h               this help\n"
                "  -V               print the version\n",
                ident, ident);
}

/* Apply one "-o key=value" (spaces around '=' allowed). */
static int daemon_override(const char *ident, struct config *cfg, const char *option)
{
        char key[128];
        char err[512];
        const char *equals = strchr(option, '=');
        size_t key_len = equals != NULL ? (size_t)(equals - option) : 0;

        while (key_len > 0 && option[key_len - 1] == ' ')
                key_len--;
        if (equals == NULL || key_len == 0 || key_len >= sizeof key) {
                fprintf(stderr, "%s: -o wants key=value: %s\n", ident, option);
                return EX_USAGE;
        }
        memcpy(key, option, key_len);
        key[key_len] = '\0';
        const char *value = equals + 1;
        while (*value == ' ')
                value++;
        if (config_set(cfg, key, value, err, sizeof err) != 0) {
                fprintf(stderr, "%s: -o %s: %s\n", ident, option, err);
                return EX_CONFIG;
        }
        return DAEMON_CONTINUE;
}

int daemon_setup(const char *ident, int argc, char **argv, struct config *cfg,
                 bool *foreground_out)
{
        const char *config_path = NULL;
        const char *overrides[DAEMON_OVERRIDES_MAX];
        size_t override_count = 0;
        bool trace_given = false;
        enum log_trace_mode trace = LOG_TRACE_OFF;
        char err[1024];

        *foreground_out = false;
        for (int i = 1; i < argc; i++) {
                const char *arg = argv[i];

                if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
                        daemon_usage(ident, stdout);
                        return EX_OK;
                } else if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
                        printf("%s %s\n", ident, VERSION);
                        return EX_OK;
                } else if (strcmp(arg, "-f") == 0) {
                        *foreground_out = true;
                } else if (strcmp(arg, "-c") == 0 && i + 1 < argc) {
                        config_path = argv[++i];
                } else if (strcmp(arg, "-o") == 0 && i + 1 < argc &&
                           override_count < DAEMON_OVERRIDES_MAX) {
                        overrides[override_count++] = argv[++i];
                } else if (strcmp(arg, "--trace") == 0) {
                        trace_given = true;
                        trace = LOG_TRACE_ON;
                } else if (strcmp(arg, "--trace=explain") == 0) {
                        trace_given = true;
                        trace = LOG_TRACE_EXPLAIN;
                } else {
                        fprintf(stderr, "%s: bad option or missing value: %s\n", ident, arg);
                        daemon_usage(ident, stderr);
                        return EX_USAGE;
                }
        }

        /* Defaults first, then the file, then -o: the later one wins. */
        config_defaults(cfg);
        if (config_path != NULL && config_load(cfg, config_path, err, sizeof err) != 0) {
                fprintf(stderr, "%s: %s\n", ident, err);
                return EX_CONFIG;
        }
        for (size_t i = 0; i < override_count; i++) {
                int result = daemon_override(ident, cfg, overrides[i]);
                if (result != DAEMON_CONTINUE)
                        return result;
        }
        if (trace_given)
                cfg->trace = trace;

        log_init(ident, !*foreground_out, cfg->trace);
        if (users_init(cfg->users_file, cfg->aliases_file, err, sizeof err) != 0) {
                fprintf(stderr, "%s: %s\n", ident, err);
                log_err(0, "%s", err);
                return EX_CONFIG;
        }
        return DAEMON_CONTINUE;
}

/* SIGHUP, from the signal thread: re-read the users and aliases files;
 * sessions keep running with the old tables until the swap. */
static void daemon_reload_users(void)
{
        char err[512];

        if (users_reload(err, sizeof err) != 0)
                log_err(0, "reload failed, keeping the old tables: %s", err);
        else
                log_info(0, "users and aliases reloaded");
}

/* Detach from the terminal: fork (the parent exits), a new session,
 * standard descriptors on /dev/null. The working directory stays, so the
 * relative paths of the embedded default (var/mail) keep their meaning. */
static int daemon_detach(void)
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

int daemon_serve(const char *ident, const struct config *cfg, bool foreground,
                 struct server *srv, server_session_fn session, server_refuse_fn refuse)
{
        char err[512];

        server_raise_fd_limit();
        /* Before any thread exists, so that every thread inherits the mask
         * and only the signal thread sees SIGTERM, SIGINT and SIGHUP. */
        server_block_signals();
        if (geteuid() == 0 && server_drop_privileges(cfg->run_user, err, sizeof err) != 0) {
                fprintf(stderr, "%s: %s\n", ident, err);
                log_err(0, "%s", err);
                return EX_NOPERM;
        }
        if (!foreground && daemon_detach() != 0) {
                log_err(0, "cannot become a daemon");
                return EX_OSERR;
        }
        log_info(0, "%s %s started", ident, VERSION);
        int result = server_run(srv, cfg->max_connections, session, refuse,
                                daemon_reload_users, (void *)cfg);
        users_shutdown();
        log_info(0, "%s stopped", ident);
        return result == 0 ? EX_OK : EX_SOFTWARE;
}
