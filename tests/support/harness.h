/* SPDX-License-Identifier: MIT
 *
 * harness.h - start the real daemons for integration tests (Redis's
 * start_server idea): a temporary root with a config, users and aliases
 * file and a Maildir; the daemon on 127.0.0.1 port 0; its port read back
 * from its log; stopped by PID.
 */
#ifndef TESTS_SUPPORT_HARNESS_H
#define TESTS_SUPPORT_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct harness {
        char root[256];          /* temporary directory, removed by harness_cleanup() */
        char config_path[300];
        char mail_root[300];     /* <root>/mail */
        char users_path[300];
        char aliases_path[300];
        char log_path[300];      /* the daemon's stderr */
        char extra_config[4096]; /* appended to the config file: "key = value\n" lines */
        pid_t pid;
        unsigned port;           /* first listener's port (smtp_listen / pop3_listen) */
        unsigned submission_port;/* smtpd's submission listener, when configured */
};

/* Make the temporary root with users "student" ({PLAIN}student), "alice"
 * ({CRYPT} of "secret"), "bob" ({PLAIN}bobpass), aliases "postmaster: student"
 * and "team: alice, bob", and a config that listens on 127.0.0.1:0 with
 * trace on and short timeouts (command/pop3 10 s, auth delay 50 ms).
 * Returns 0 or -1. Set h->extra_config before harness_start() to change keys. */
int harness_init(struct harness *h);

/* Write the config and start build/<daemon> ("smtpd" or "pop3d") with
 * "-f -c <config>" and its stderr to log_path; wait (up to 10 s) until it
 * logs its listeners and store the ports. fsize_limit > 0 sets RLIMIT_FSIZE
 * in the child (the disk-error tests). Returns 0 or -1. */
int harness_start(struct harness *h, const char *daemon, long fsize_limit);

/* SIGTERM the daemon and wait for it (up to 15 s, then SIGKILL). Returns its
 * exit status as from waitpid, or -1. */
int harness_stop(struct harness *h);

/* Stop if running and remove the temporary root. */
void harness_cleanup(struct harness *h);

/* Remove path and everything under it (a test's own temporary directory). */
void harness_remove_tree(const char *path);

/* Path of a built program: build/<name> under the build directory the tests
 * were built in (BUILD_DIR from the Makefile). */
const char *harness_program(const char *name, char *buf, size_t size);

/* Files in <mail_root>/<user>/<sub> ("new" or "cur"), not counting dot files. */
int harness_count_files(const struct harness *h, const char *user, const char *sub);

/* Read the one file (or the oldest, by name) in <mail_root>/<user>/<sub> into a
 * malloc'd, NUL-terminated buffer; *len_out its length. NULL if none. */
char *harness_read_message(const struct harness *h, const char *user, const char *sub,
                           size_t *len_out);

/* True when the daemon's log contains needle. */
bool harness_log_contains(const struct harness *h, const char *needle);

#endif
