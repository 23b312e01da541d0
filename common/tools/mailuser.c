/* SPDX-License-Identifier: MIT
 *
 * mailuser.c - add a mail user, or change a user's password, in one command.
 *
 *     mailuser [-u users_file] [-m mail_root] [-s crypt|plain] [-p password] NAME
 *
 * DESIGN.md §7 promises that adding a user is one command: this is it (and
 * `make user NAME=...` runs it). It creates the user's Maildir first, then
 * writes the users file with users_file_set(), which replaces the file
 * atomically; running daemons notice the new file at the next login.
 *
 * The scheme is the lesson of DESIGN.md §7. {CRYPT} (the default) stores
 * only a salted crypt(3) hash, so a stolen users file does not reveal the
 * password, but the server can then only check passwords that are sent to
 * it. {PLAIN} stores the secret itself, which the shared-secret mechanisms
 * need: APOP (RFC 1939 §7) and CRAM-MD5 (RFC 2195 §2) prove knowledge of
 * the secret without sending it, so the server must hold it to compare.
 *
 * The password comes from -p (visible to other users in ps(1), so only
 * for scripts and labs), or from standard input: asked twice without echo
 * on a terminal, else read as one line.
 *
 * Standards:  RFC 1939 §7, RFC 2195 §2
 * Threads:    a single-threaded program.
 * Read next:  common/users_file.c (the atomic rewrite), mailuser.8.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include "common/limits.h"
#include "common/users.h"
#include "maildir/maildir.h"

#ifndef VERSION
#define VERSION "unknown"
#endif

/* The terminal settings to restore if the user presses Ctrl-C at the
 * password prompt, which would otherwise leave echo switched off. */
static struct termios saved_terminal;
static volatile sig_atomic_t is_echo_off;

static void restore_terminal_and_die(int signal_number)
{
        if (is_echo_off)
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_terminal);
        signal(signal_number, SIG_DFL);
        raise(signal_number);
}

static void usage(FILE *out)
{
        fprintf(out,
                "usage: mailuser [-u users_file] [-m mail_root] [-s crypt|plain] "
                "[-p password] NAME\n"
                "       mailuser -h | -V\n"
                "Adds NAME to the users file, or changes its password, and creates\n"
                "its Maildir. Defaults: -u var/users -m var/mail -s crypt.\n"
                "Without -p the password is read from standard input.\n");
}

/* Read one line into buffer[size] without its line end. Returns 0, or -1 at
 * end of input or when the line does not fit. */
static int read_line(FILE *in, char *buffer, size_t size)
{
        if (fgets(buffer, (int)size, in) == NULL)
                return -1;
        size_t len = strcspn(buffer, "\r\n");
        bool has_end = buffer[len] != '\0' || feof(in);
        buffer[len] = '\0';
        return has_end ? 0 : -1;
}

/* Ask for the password on a terminal, twice, with echo off. Returns 0, -1
 * when nothing was read, -2 when the two answers differ. */
static int read_password_tty(const char *name, char *password, size_t size)
{
        char again[USER_SECRET_MAX + 2];
        struct termios quiet;
        struct sigaction action = { .sa_handler = restore_terminal_and_die };
        sigemptyset(&action.sa_mask);

        if (tcgetattr(STDIN_FILENO, &saved_terminal) != 0)
                return -1;
        sigaction(SIGINT, &action, NULL);
        sigaction(SIGTERM, &action, NULL);
        quiet = saved_terminal;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        is_echo_off = 1;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);

        fprintf(stderr, "Password for %s: ", name);
        int result = read_line(stdin, password, size);
        if (result == 0) {
                fprintf(stderr, "\nAgain: ");
                result = read_line(stdin, again, sizeof again);
        }
        fputc('\n', stderr);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_terminal);
        is_echo_off = 0;
        if (result == 0 && strcmp(password, again) != 0)
                result = -2;
        explicit_bzero(again, sizeof again);
        return result;
}

int main(int argc, char **argv)
{
        const char *users_file = "var/users";
        const char *mail_root = "var/mail";
        enum users_scheme scheme = USERS_SCHEME_CRYPT;
        const char *password_argument = NULL;
        int option;

        while ((option = getopt(argc, argv, "u:m:s:p:hV")) != -1) {
                switch (option) {
                case 'u':
                        users_file = optarg;
                        break;
                case 'm':
                        mail_root = optarg;
                        break;
                case 's':
                        if (strcmp(optarg, "crypt") == 0) {
                                scheme = USERS_SCHEME_CRYPT;
                        } else if (strcmp(optarg, "plain") == 0) {
                                scheme = USERS_SCHEME_PLAIN;
                        } else {
                                fprintf(stderr, "mailuser: -s takes crypt or plain\n");
                                return EX_USAGE;
                        }
                        break;
                case 'p':
                        password_argument = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return EX_OK;
                case 'V':
                        printf("mailuser %s\n", VERSION);
                        return EX_OK;
                default:
                        usage(stderr);
                        return EX_USAGE;
                }
        }
        if (optind != argc - 1) {
                usage(stderr);
                return EX_USAGE;
        }
        const char *name = argv[optind];
        /* SECURITY: path traversal. The name becomes <mail_root>/<name>. */
        if (!maildir_user_valid(name) || !users_name_valid(name)) {
                fprintf(stderr, "mailuser: invalid user name (1 to %d of A-Z a-z 0-9 . _ -, "
                        "not starting with '.' or '-')\n", USER_NAME_MAX);
                return EX_DATAERR;
        }

        char password[USER_SECRET_MAX + 2];
        int read_result;
        if (password_argument != NULL) {
                read_result = strlen(password_argument) < sizeof password ? 0 : -1;
                if (read_result == 0)
                        strcpy(password, password_argument);
        } else if (isatty(STDIN_FILENO)) {
                read_result = read_password_tty(name, password, sizeof password);
        } else {
                read_result = read_line(stdin, password, sizeof password);
        }
        if (read_result != 0) {
                if (read_result == -2)
                        fprintf(stderr, "mailuser: the passwords differ\n");
                else
                        fprintf(stderr, "mailuser: no password read (at most %d bytes, "
                                "one line)\n", USER_SECRET_MAX);
                explicit_bzero(password, sizeof password);
                return EX_DATAERR;
        }

        /* users_file_set() checks these too; asking here first separates
         * a bad password (EX_DATAERR) from a failed write (EX_IOERR). */
        if (password[0] == '\0' || strlen(password) > USER_SECRET_MAX ||
            (scheme == USERS_SCHEME_PLAIN && strpbrk(password, ":\r\n") != NULL)) {
                fprintf(stderr, "mailuser: the password must be 1 to %d bytes, without "
                        "':' when -s plain\n", USER_SECRET_MAX);
                explicit_bzero(password, sizeof password);
                return EX_DATAERR;
        }

        /* The Maildir first: a user in the file without a Maildir would have
         * mail refused; a Maildir without a user is harmless. */
        if (maildir_create(mail_root, name) != 0) {
                fprintf(stderr, "mailuser: cannot create the Maildir %s/%s: %s\n", mail_root,
                        name, strerror(errno));
                explicit_bzero(password, sizeof password);
                return EX_CANTCREAT;
        }
        char err[512];
        int result = users_file_set(users_file, name, scheme, password, err, sizeof err);
        explicit_bzero(password, sizeof password);
        if (result != 0) {
                fprintf(stderr, "mailuser: %s\n", err);
                return EX_IOERR;
        }
        printf("mailuser: %s is set in %s as {%s}, Maildir %s/%s\n", name, users_file,
               scheme == USERS_SCHEME_CRYPT ? "CRYPT" : "PLAIN", mail_root, name);
        return EX_OK;
}
