/* SPDX-License-Identifier: MIT
 *
 * main.c - smtpd's start-up: options and configuration (common/daemon),
 * the two listeners, then the server loop of common/server with
 * smtp_session_run() for each client.
 *
 * Kept small on purpose: everything a test may want to exercise lives in
 * libsmtpd.a. smtpd listens twice: the MTA port takes mail for local users
 * from anyone, the submission port (RFC 6409 §3.1) requires AUTH first; the
 * session learns which one from the listener tag. The ports come from the
 * configuration only: the embedded default is 2525 and 2587 even for root,
 * so that `make run` behaves the same for everyone; a real MTA names 25
 * (RFC 5321 §4.5.4.2) and 587 in its file (common/mail.conf.example).
 *
 * Standards:  RFC 5321 §4.5.4.2, RFC 5321 §3.8, RFC 6409 §3.1, RFC 3463 §3.4
 * Threads:    the main thread; server_run() starts the others.
 * Read next:  smtpd/session.c (what each connection runs), common/daemon.c.
 */
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>
#include "common/daemon.h"
#include "common/log.h"
#include "smtpd/session.h"

/* Written to a client refused past max_connections (DESIGN.md §2): RFC 5321
 * §3.8 allows 421 at any time; 4.3.2 is "system not accepting network
 * messages" (RFC 3463 §3.4). */
static void smtpd_refuse(int fd)
{
        static const char line[] = "421 4.3.2 Too many connections, try again later\r\n";

        if (write(fd, line, sizeof line - 1) < 0)
                return;
}

int main(int argc, char **argv)
{
        static struct config cfg;
        static struct server srv;
        bool foreground;
        char err[512];

        int result = daemon_setup("smtpd", argc, argv, &cfg, &foreground);
        if (result != DAEMON_CONTINUE)
                return result;
        if (cfg.smtp_lenient_line_endings)
                log_warn(0, "smtp_line_endings = lenient-unsafe: LF.LF ends DATA, "
                            "SMTP smuggling is possible (lab mode)");
        if (server_listen(&srv, &cfg.smtp_listen, SMTP_LISTENER_MTA, "smtp",
                          err, sizeof err) != 0 ||
            server_listen(&srv, &cfg.submission_listen, SMTP_LISTENER_SUBMISSION, "submission",
                          err, sizeof err) != 0) {
                log_err(0, "%s", err);
                return EX_UNAVAILABLE;
        }
        return daemon_serve("smtpd", &cfg, foreground, &srv, smtp_session_run, smtpd_refuse);
}
