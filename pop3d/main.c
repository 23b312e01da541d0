/* SPDX-License-Identifier: MIT
 *
 * main.c - pop3d's start-up: options and configuration (common/daemon),
 * the listener, then the server loop of common/server with
 * pop3_session_run() for each client.
 *
 * Kept small on purpose: everything a test needs lives in libpop3d.a
 * (session.c and friends) and common/. The port comes from the
 * configuration only: RFC 1939 §3 names port 110, which needs root and is
 * set in the configuration file; the embedded default is 1100 for everyone.
 *
 * Standards:  RFC 1939 §3, RFC 2449 §8, RFC 3206 §4
 * Threads:    the main thread; server_run() starts the others.
 * Read next:  pop3d/session.c (one session), common/daemon.c.
 */
#include <sysexits.h>
#include <unistd.h>
#include "common/daemon.h"
#include "common/log.h"
#include "pop3d/session.h"

/* Past the cap, one line and the server closes the socket (DESIGN.md §2);
 * the RFC 2449 §8 response code SYS/TEMP (RFC 3206 §4) tells the client
 * to try again later. */
static void pop3_refuse(int fd)
{
        static const char line[] = "-ERR [SYS/TEMP] Too many connections\r\n";

        if (write(fd, line, sizeof line - 1) < 0)
                return;
}

int main(int argc, char **argv)
{
        static struct config cfg;
        static struct server srv;
        bool foreground;
        char err[512];

        int result = daemon_setup("pop3d", argc, argv, &cfg, &foreground);
        if (result != DAEMON_CONTINUE)
                return result;
        if (server_listen(&srv, &cfg.pop3_listen, 0, "pop3", err, sizeof err) != 0) {
                log_err(0, "%s", err);
                return EX_UNAVAILABLE;
        }
        return daemon_serve("pop3d", &cfg, foreground, &srv, pop3_session_run, pop3_refuse);
}
