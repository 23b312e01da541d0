/* SPDX-License-Identifier: MIT
 *
 * fuzz_session.c - libFuzzer entry point for whole sessions of smtpd and
 * pop3d: the input is everything a client sends, from the first byte to
 * the end of the connection, so the command tables, every handler, AUTH,
 * DATA, delivery and the POP3 UPDATE state all see hostile bytes in
 * hostile order.
 *
 * Each input runs one real session (smtp_session_run() or
 * pop3_session_serve(), as the daemons do) in a thread of its own on one
 * end of a socket pair. This thread writes the input into the other end,
 * closes its half, and reads every reply until the session closes. The
 * first byte chooses the daemon (bit 1), for smtpd the listener (bit 0:
 * MTA or submission), and whether this harness logs in first (bit 2:
 * "USER"/"PASS" for pop3d, "EHLO" and "AUTH PLAIN" for smtpd), so that the
 * states after a login are reached without a corpus; the rest is the
 * client's bytes.
 * Checked, beyond "no crash, no hang, no sanitizer report":
 *   - the session ends when the client does (the join returns);
 *   - smtpd: every reply line is a code from 200 to 599, then SP, "-" or
 *     CRLF, ends in CRLF (RFC 5321 §4.2) and is at most 512 octets
 *     (RFC 5321 §4.5.3.1.5);
 *   - smtpd: no 235 (RFC 4954 §6) but the one for this harness's own
 *     login: the fuzzer never sees the password;
 *   - smtpd: each "250 ... OK queued as" left exactly one more file in new/
 *     (a 250 after DATA means the message is on disk);
 *   - pop3d: a session whose input has no QUIT deletes nothing (RFC 1939
 *     §6: only QUIT in TRANSACTION enters UPDATE);
 *   - nothing is left in tmp/ when a session ends.
 * Mail lives in a Maildir under /dev/shm (or /tmp); smtpd's deliveries are
 * removed and pop3d's maildrop of three messages is made again after each
 * input. Not built by default; `make fuzz` builds and runs it.
 *
 * Standards:  RFC 5321 §4.1, §4.2, §4.3.2; RFC 4954 §6; RFC 1939 §6
 * Threads:    the fuzzer's thread and one session thread per input.
 * Read next:  tests/integration/check_smtp_commands.c,
 *             tests/integration/check_pop3_update.c.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/base64.h"
#include "common/config.h"
#include "common/log.h"
#include "common/server.h"
#include "common/users.h"
#include "maildir/maildir.h"
#include "pop3d/session.h"
#include "smtpd/session.h"
#include "tests/support/harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Never in a fuzzer's input by chance (see fuzz_sasl.c). */
#define FUZZ_PASSWORD "Wq5MnJr3LhGbDf8PzCe2SuAokT3vQ9xLm2Rw8ZpY4sHc7NdB1gFj6UaE0oViXyKt"

static struct config cfg;
static char root[64];
static char new_dir[PATH_MAX];
static char cur_dir[PATH_MAX];
static char tmp_dir[PATH_MAX];

static char smtp_login[256];
static char pop3_login[256];

/* pop3d's maildrop: this many messages before each POP3 input. */
#define MAILDROP_MESSAGES 3

static void fail(const char *what)
{
        fprintf(stderr, "fuzz_session: %s\n", what);
        abort();
}

static void write_text(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0)
                fail(path);
}

static void remove_root(void)
{
        harness_remove_tree(root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        char path[PATH_MAX];
        char err[512];

        (void)argc;
        (void)argv;
        snprintf(root, sizeof root, "%s/fuzz_session.XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (mkdtemp(root) == NULL)
                fail("mkdtemp");
        atexit(remove_root);
        log_init("fuzz_session", false, LOG_TRACE_OFF);
        config_defaults(&cfg);
        snprintf(path, sizeof path, "%s/users", root);
        write_text(path, "student:{PLAIN}" FUZZ_PASSWORD "\n");
        if (config_set(&cfg, "users_file", path, err, sizeof err) != 0)
                fail(err);
        snprintf(path, sizeof path, "%s/aliases", root);
        write_text(path, "postmaster: student\nteam: student, student\n");
        if (config_set(&cfg, "aliases_file", path, err, sizeof err) != 0)
                fail(err);
        snprintf(path, sizeof path, "%s/mail", root);
        if (mkdir(path, 0700) != 0)
                fail("mkdir mail");
        const char *settings[][2] = {
                { "mail_root", path },
                { "hostname", "fuzz.example" },
                { "domains", "localhost example.test" },
                { "max_message_size", "65536" },
                { "max_recipients", "100" },
                { "command_timeout", "5" },
                { "data_timeout", "5" },
                { "pop3_timeout", "5" },
                { "apop", "yes" },
                { "auth_failure_delay_ms", "0" },
                { "vrfy", "yes" },
                { "expn", "yes" },
        };
        for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
                if (config_set(&cfg, settings[i][0], settings[i][1], err, sizeof err) != 0)
                        fail(err);
        }
        if (users_init(cfg.users_file, cfg.aliases_file, err, sizeof err) != 0)
                fail(err);
        snprintf(new_dir, sizeof new_dir, "%s/student/new", cfg.mail_root);
        snprintf(cur_dir, sizeof cur_dir, "%s/student/cur", cfg.mail_root);
        snprintf(tmp_dir, sizeof tmp_dir, "%s/student/tmp", cfg.mail_root);
        if (maildir_create(cfg.mail_root, "student") != 0)
                fail("maildir_create");

        /* RFC 4616 §2: [authzid] NUL authcid NUL passwd. */
        static const char credentials[] = "\0student\0" FUZZ_PASSWORD;
        char encoded[BASE64_ENCODED_SIZE(sizeof credentials)];
        base64_encode(credentials, sizeof credentials - 1, encoded);
        snprintf(smtp_login, sizeof smtp_login, "EHLO fuzz.example\r\nAUTH PLAIN %s\r\n", encoded);
        snprintf(pop3_login, sizeof pop3_login, "USER student\r\nPASS %s\r\n", FUZZ_PASSWORD);
        return 0;
}

/* Files in dir; with remove, delete them too. */
static long count_files(const char *dir, bool remove)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char path[PATH_MAX + 256];
        long count = 0;

        if (d == NULL)
                return 0;
        while ((e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.')
                        continue;
                count++;
                if (remove) {
                        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                        unlink(path);
                }
        }
        closedir(d);
        return count;
}

static void *smtp_thread(void *arg)
{
        smtp_session_run(arg);
        return NULL;
}

static void *pop3_thread(void *arg)
{
        const struct server_session *session = arg;

        pop3_session_serve(session->fd, -1, session->id, session->peer, &cfg);
        return NULL;
}

/* The maildrop pop3d starts from: MAILDROP_MESSAGES small messages. */
static void make_maildrop(void)
{
        static const char message[] = "From: a@example.test\nSubject: fuzz\n\n.dot\nbody\n";
        const char *users[] = { "student" };

        count_files(new_dir, true);
        count_files(cur_dir, true);
        count_files(tmp_dir, true);
        for (int i = 0; i < MAILDROP_MESSAGES; i++) {
                struct maildir_delivery *d = maildir_delivery_begin(cfg.mail_root, "student");
                if (d == NULL ||
                    maildir_delivery_write(d, message, sizeof message - 1) != MAILDIR_OK ||
                    maildir_delivery_commit(d, users, 1, NULL, 0) != MAILDIR_OK)
                        fail("cannot make the maildrop");
        }
}

/* Does the client's input hold a QUIT (any case)? */
static bool has_quit(const uint8_t *data, size_t size)
{
        for (size_t i = 0; i + 4 <= size; i++) {
                if ((data[i] | 0x20) == 'q' && (data[i + 1] | 0x20) == 'u' &&
                    (data[i + 2] | 0x20) == 'i' && (data[i + 3] | 0x20) == 't')
                        return true;
        }
        return false;
}

static void send_all(int fd, const uint8_t *data, size_t size)
{
        while (size > 0) {
                ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
                if (n <= 0)
                        return;    /* the session closed early (421): fine */
                data += n;
                size -= (size_t)n;
        }
}

static bool contains(const char *text, size_t len, const char *needle)
{
        size_t needle_len = strlen(needle);

        for (size_t i = 0; i + needle_len <= len; i++) {
                if (memcmp(text + i, needle, needle_len) == 0)
                        return true;
        }
        return false;
}

/* Read and drop everything until the session closes (pop3d: its
 * multi-line responses make a line check depend on the command). */
static void drain(int fd)
{
        char buffer[65536];

        while (recv(fd, buffer, sizeof buffer, 0) > 0)
                continue;
}

/* Read every reply until the session closes; check each line. */
static void check_replies(int fd, long *data_accepted_out, long *authenticated_out)
{
        static char buffer[1 << 16];
        size_t len = 0;
        ssize_t n;

        while ((n = recv(fd, buffer + len, sizeof buffer - len, 0)) > 0) {
                len += (size_t)n;
                /* Check whole lines as they come, then keep the rest. */
                size_t start = 0;
                char *lf;
                while ((lf = memchr(buffer + start, '\n', len - start)) != NULL) {
                        size_t line_len = (size_t)(lf - (buffer + start));
                        const char *line = buffer + start;
                        /* RFC 5321 §4.5.3.1.5: a reply line is at most 512
                         * octets, CRLF included. */
                        if (line_len + 1 > SMTP_REPLY_LINE_MAX)
                                fail("a reply line over 512 octets");
                        if (line_len < 4 || line[line_len - 1] != '\r' || line[0] < '2' ||
                            line[0] > '5' || line[1] < '0' || line[1] > '9' || line[2] < '0' ||
                            line[2] > '9' || (line[3] != ' ' && line[3] != '-' &&
                                              line[3] != '\r'))
                                fail("a reply line that is not CODE SP/- text CRLF");
                        if (memcmp(line, "235", 3) == 0)
                                (*authenticated_out)++;
                        /* "250 2.0.0 OK queued as NAME", the enhanced code
                         * only after EHLO (smtpd/data.c). */
                        if (memcmp(line, "250 ", 4) == 0 &&
                            contains(line, line_len, " OK queued as "))
                                (*data_accepted_out)++;
                        start += line_len + 1;
                }
                memmove(buffer, buffer + start, len - start);
                len -= start;
                if (len == sizeof buffer)
                        fail("a reply line with no end");
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct server_session session = { .id = 1, .shutdown_fd = -1, .context = &cfg };
        int fds[2];
        pthread_t thread;
        long accepted = 0;
        long authenticated = 0;

        if (size == 0)
                return 0;
        bool pop3 = (data[0] & 2) != 0;
        bool login = (data[0] & 4) != 0;
        if (pop3 && count_files(new_dir, false) + count_files(cur_dir, false) != MAILDROP_MESSAGES)
                make_maildrop();
        if (!pop3) {
                count_files(new_dir, true);
                count_files(cur_dir, true);
        }
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
                fail("socketpair");
        session.fd = fds[0];
        session.listener_tag = data[0] & 1 ? SMTP_LISTENER_SUBMISSION : SMTP_LISTENER_MTA;
        snprintf(session.peer, sizeof session.peer, "127.0.0.1");
        snprintf(session.local, sizeof session.local, "127.0.0.1");
        if (pthread_create(&thread, NULL, pop3 ? pop3_thread : smtp_thread, &session) != 0)
                fail("pthread_create");

        /* The session reads while we write and we read after: with a
         * large input and many replies both buffers could fill, so the
         * replies are read by this thread only once everything is sent,
         * and the input is small enough (-max_len) for the socket. */
        if (login) {
                const char *prefix = pop3 ? pop3_login : smtp_login;
                send_all(fds[1], (const uint8_t *)prefix, strlen(prefix));
        }
        send_all(fds[1], data + 1, size - 1);
        shutdown(fds[1], SHUT_WR);
        if (pop3)
                drain(fds[1]);
        else
                check_replies(fds[1], &accepted, &authenticated);
        pthread_join(thread, NULL);
        close(fds[1]);

        if (count_files(tmp_dir, false) != 0)
                fail("a session left a file in tmp/");
        if (pop3) {
                long left = count_files(new_dir, false) + count_files(cur_dir, false);
                if (!has_quit(data + 1, size - 1) && left != MAILDROP_MESSAGES)
                        fail("a POP3 session without QUIT deleted messages");
                return 0;
        }
        if (count_files(new_dir, false) != accepted)
                fail("the number of 250 replies after DATA is not the number of new files");
        if (authenticated > (login ? 1 : 0))
                fail("235: authenticated without the password");
        return 0;
}
