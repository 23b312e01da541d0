/* SPDX-License-Identifier: MIT
 *
 * daemon.h - what smtpd and pop3d do the same way around their server loop:
 * the command line (DESIGN.md §9), the configuration, the users file,
 * privileges and detaching. Each daemon's main.c only binds its own
 * listeners in between.
 */
#ifndef COMMON_DAEMON_H
#define COMMON_DAEMON_H

#include <stdbool.h>
#include "common/config.h"
#include "common/server.h"

/* Returned by daemon_setup() when main() should go on. */
#define DAEMON_CONTINUE (-1)

/* Parse "-c FILE -f -o key=value --trace[=explain] -h -V" for ident
 * ("smtpd", "pop3d"), fill *cfg (defaults, then the file, then each -o),
 * start logging and load the users and aliases files. Returns
 * DAEMON_CONTINUE, or the exit code main() should return at once: EX_OK
 * after -h or -V, EX_USAGE, EX_CONFIG (a bad file or value is reported on
 * stderr; the daemon refuses to start). *foreground_out is set for -f. */
int daemon_setup(const char *ident, int argc, char **argv, struct config *cfg,
                 bool *foreground_out);

/* After the listeners are bound: block the signals (before any thread),
 * drop root privileges to cfg->run_user, detach unless foreground, run the
 * server until SIGTERM/SIGINT with SIGHUP reloading the users file, then
 * release the users tables. Returns main()'s exit code. */
int daemon_serve(const char *ident, const struct config *cfg, bool foreground,
                 struct server *srv, server_session_fn session, server_refuse_fn refuse);

#endif
