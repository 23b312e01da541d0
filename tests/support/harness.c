/* SPDX-License-Identifier: MIT
 *
 * harness.c - start the real daemons for integration tests.
 *
 * Redis's test suite starts a fresh server per test file; OpenSMTPD's
 * smtpscript drives a real daemon. We do the same: harness_init() makes a
 * temporary root with users, aliases and Maildirs; harness_start() writes a
 * config that listens on 127.0.0.1 port 0, runs build/<daemon> -f -c CONFIG
 * with its log in a file, and reads the kernel-chosen ports back from the
 * "listening on HOST:PORT (label)" lines the daemon logs. Every wait is
 * bounded, and the harness only ever signals the PID it started.
 *
 * No Check macros here: benchmark and interoperability code use it too.
 *
 * Standards:  none (test support).
 * Threads:    single-threaded test processes only (uses crypt(3)).
 * Read next:  tests/support/client.c, common/server.c (the log line).
 */
#define _GNU_SOURCE     /* nftw's FTW_DEPTH/FTW_PHYS, crypt.h */
#include "tests/support/harness.h"

#include <crypt.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "maildir/maildir.h"

#ifndef BUILD_DIR
#define BUILD_DIR "build"
#endif

#define HARNESS_START_TIMEOUT_MS 10000
#define HARNESS_STOP_TIMEOUT_MS 15000
#define HARNESS_POLL_MS 20

static void sleep_ms(long ms)
{
        struct timespec delay = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
        while (nanosleep(&delay, &delay) != 0 && errno == EINTR)
                continue;
}

static int write_file(const char *path, const char *text, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0)
                return -1;
        size_t len = strlen(text);
        ssize_t written = write(fd, text, len);
        int closed = close(fd);
        return written == (ssize_t)len && closed == 0 ? 0 : -1;
}

/* Read a whole file into a malloc'd, NUL-terminated buffer. */
static char *read_file(const char *path, size_t *len_out)
{
        FILE *file = fopen(path, "r");
        if (file == NULL)
                return NULL;
        size_t capacity = 4096;
        size_t len = 0;
        char *data = malloc(capacity);
        while (data != NULL) {
                if (capacity - len < 2) {
                        char *grown = realloc(data, capacity * 2);
                        if (grown == NULL) {
                                free(data);
                                data = NULL;
                                break;
                        }
                        data = grown;
                        capacity *= 2;
                }
                size_t got = fread(data + len, 1, capacity - len - 1, file);
                len += got;
                if (got == 0)
                        break;
        }
        fclose(file);
        if (data == NULL)
                return NULL;
        data[len] = '\0';
        if (len_out != NULL)
                *len_out = len;
        return data;
}

const char *harness_program(const char *name, char *buf, size_t size)
{
        /* build/<name>; if that is not a program (build/smtpd is also the
         * folder of smtpd's objects), build/bin/<name>. */
        struct stat st;
        snprintf(buf, size, "%s/bin/%s", BUILD_DIR, name);
        if (stat(buf, &st) == 0 && S_ISREG(st.st_mode))
                return buf;
        snprintf(buf, size, "%s/%s", BUILD_DIR, name);
        return buf;
}

int harness_init(struct harness *h)
{
        memset(h, 0, sizeof *h);
        const char *tmp = getenv("TMPDIR");
        snprintf(h->root, sizeof h->root, "%s/mailtest.XXXXXX",
                 tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
        if (mkdtemp(h->root) == NULL) {
                h->root[0] = '\0';
                return -1;
        }
        snprintf(h->config_path, sizeof h->config_path, "%s/mail.conf", h->root);
        snprintf(h->mail_root, sizeof h->mail_root, "%s/mail", h->root);
        snprintf(h->users_path, sizeof h->users_path, "%s/users", h->root);
        snprintf(h->aliases_path, sizeof h->aliases_path, "%s/aliases", h->root);
        snprintf(h->log_path, sizeof h->log_path, "%s/daemon.log", h->root);

        /* alice's password is stored as a crypt(3) SHA-512 hash, so the
         * {CRYPT} path is exercised; she cannot use APOP or CRAM-MD5. */
        const char *hash = crypt("secret", "$6$harnesssalt$");
        if (hash == NULL || hash[0] == '*')
                return -1;
        char users[1024];
        snprintf(users, sizeof users,
                 "# test users\nstudent:{PLAIN}student\nalice:{CRYPT}%s\nbob:{PLAIN}bobpass\n",
                 hash);
        if (write_file(h->users_path, users, 0600) != 0 ||
            write_file(h->aliases_path, "postmaster: student\nteam: alice, bob\n", 0600) != 0)
                return -1;
        static const char *const names[] = { "student", "alice", "bob" };
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (maildir_create(h->mail_root, names[i]) != 0)
                        return -1;
        return 0;
}

/* True when extra_config sets key (a line "key =" or "key="). */
static bool extra_sets(const struct harness *h, const char *key)
{
        size_t key_len = strlen(key);
        const char *line = h->extra_config;
        while (*line != '\0') {
                while (*line == ' ' || *line == '\t')
                        line++;
                if (strncmp(line, key, key_len) == 0) {
                        const char *p = line + key_len;
                        while (*p == ' ' || *p == '\t')
                                p++;
                        if (*p == '=')
                                return true;
                }
                const char *next = strchr(line, '\n');
                if (next == NULL)
                        break;
                line = next + 1;
        }
        return false;
}

/* True when the list key is non-empty in the final config. */
static bool listen_enabled(const struct harness *h, const char *key)
{
        if (!extra_sets(h, key))
                return true;      /* our default: 127.0.0.1:0 */
        size_t key_len = strlen(key);
        const char *line = h->extra_config;
        for (;;) {
                while (*line == ' ' || *line == '\t')
                        line++;
                if (strncmp(line, key, key_len) == 0) {
                        const char *p = line + key_len;
                        while (*p == ' ' || *p == '\t' || *p == '=')
                                p++;
                        return *p != '\n' && *p != '\0' && *p != '#' && *p != '\r';
                }
                const char *next = strchr(line, '\n');
                if (next == NULL)
                        return false;
                line = next + 1;
        }
}

/* The user the daemon runs as. Not root: a daemon started as root binds
 * and then drops to run_user, and refuses to "drop" to root. So as root
 * the tests run the daemon as nobody, which exercises the privilege drop,
 * and hand it the temporary tree (see give_tree_to). */
static const char *daemon_user(void)
{
        if (geteuid() == 0)
                return "nobody";
        struct passwd *me = getpwuid(geteuid());
        return me != NULL ? me->pw_name : "nobody";
}

static uid_t tree_uid;
static gid_t tree_gid;

static int chown_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return lchown(path, tree_uid, tree_gid) == 0 ? 0 : -1;
}

/* As root, give the whole temporary tree to the daemon's user so that it
 * can still read the users file and write the Maildirs after the drop. */
static int give_tree_to(const struct harness *h)
{
        if (geteuid() != 0 || extra_sets(h, "run_user"))
                return 0;
        struct passwd *user = getpwnam(daemon_user());
        if (user == NULL)
                return -1;
        tree_uid = user->pw_uid;
        tree_gid = user->pw_gid;
        return nftw(h->root, chown_entry, 16, FTW_PHYS) == 0 ? 0 : -1;
}

/* The config: our values for every key extra_config does not set (a key
 * given twice is an error), then extra_config itself. */
static int write_config(const struct harness *h)
{
        const struct { const char *key; const char *value; } defaults[] = {
                { "hostname", "localhost" },
                { "domains", "localhost example.test" },
                { "smtp_listen", "127.0.0.1:0" },
                { "submission_listen", "127.0.0.1:0" },
                { "pop3_listen", "127.0.0.1:0" },
                { "mail_root", h->mail_root },
                { "users_file", h->users_path },
                { "aliases_file", h->aliases_path },
                { "trace", "yes" },
                { "command_timeout", "10" },
                { "data_timeout", "10" },
                { "pop3_timeout", "10" },
                { "auth_failure_delay_ms", "50" },
                { "run_user", daemon_user() },
        };
        size_t size = 8192 + sizeof h->extra_config;
        char *text = malloc(size);
        if (text == NULL)
                return -1;
        size_t len = (size_t)snprintf(text, size, "# written by tests/support/harness.c\n");
        for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
                if (!extra_sets(h, defaults[i].key))
                        len += (size_t)snprintf(text + len, size - len, "%s = %s\n",
                                                defaults[i].key, defaults[i].value);
        snprintf(text + len, size - len, "%s\n", h->extra_config);
        int result = write_file(h->config_path, text, 0600);
        free(text);
        return result;
}

/* Find "listening on HOST:PORT (label)" in log text; the port of the first. */
static bool find_port(const char *log, const char *label, unsigned *port_out)
{
        char suffix[64];
        snprintf(suffix, sizeof suffix, " (%s)", label);
        for (const char *p = strstr(log, "listening on "); p != NULL;
             p = strstr(p + 1, "listening on ")) {
                const char *address = p + strlen("listening on ");
                const char *space = strchr(address, ' ');
                if (space == NULL || strncmp(space, suffix, strlen(suffix)) != 0)
                        continue;
                const char *colon = space;
                while (colon > address && colon[-1] != ':')
                        colon--;
                if (colon == address)
                        continue;
                *port_out = (unsigned)strtoul(colon, NULL, 10);
                return true;
        }
        return false;
}

static void print_log(const struct harness *h)
{
        char *log = read_file(h->log_path, NULL);
        fprintf(stderr, "---- %s ----\n%s---- end of log ----\n", h->log_path,
                log != NULL ? log : "(no log)\n");
        free(log);
}

int harness_start(struct harness *h, const char *daemon, long fsize_limit)
{
        char program[512];
        harness_program(daemon, program, sizeof program);
        if (write_config(h) != 0 || give_tree_to(h) != 0)
                return -1;
        int log_fd = open(h->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (log_fd < 0)
                return -1;
        /* A restarted daemon appends: look for listener lines after here. */
        off_t log_start = lseek(log_fd, 0, SEEK_END);

        pid_t pid = fork();
        if (pid < 0) {
                close(log_fd);
                return -1;
        }
        if (pid == 0) {
                int null_fd = open("/dev/null", O_RDONLY);
                if (null_fd >= 0)
                        dup2(null_fd, 0);
                dup2(log_fd, 1);
                dup2(log_fd, 2);
                if (fsize_limit > 0) {
                        struct rlimit limit = { .rlim_cur = (rlim_t)fsize_limit,
                                                .rlim_max = (rlim_t)fsize_limit };
                        setrlimit(RLIMIT_FSIZE, &limit);
                }
                execl(program, program, "-f", "-c", h->config_path, (char *)NULL);
                fprintf(stderr, "harness: exec %s: %s\n", program, strerror(errno));
                _exit(127);
        }
        close(log_fd);
        h->pid = pid;
        h->port = 0;
        h->submission_port = 0;

        bool is_smtp = strcmp(daemon, "smtpd") == 0;
        const char *primary = is_smtp ? "smtp" : "pop3";
        bool want_primary = listen_enabled(h, is_smtp ? "smtp_listen" : "pop3_listen");
        bool want_submission = is_smtp && listen_enabled(h, "submission_listen");
        for (int waited = 0; waited < HARNESS_START_TIMEOUT_MS; waited += HARNESS_POLL_MS) {
                int status;
                if (waitpid(pid, &status, WNOHANG) == pid) {
                        h->pid = 0;
                        fprintf(stderr, "harness: %s exited during start-up (status %d)\n",
                                daemon, status);
                        print_log(h);
                        return -1;
                }
                size_t len;
                char *log = read_file(h->log_path, &len);
                if (log != NULL && (size_t)log_start <= len) {
                        const char *fresh = log + log_start;
                        bool have_primary = !want_primary || find_port(fresh, primary, &h->port);
                        bool have_submission = !want_submission ||
                                               find_port(fresh, "submission",
                                                         &h->submission_port);
                        free(log);
                        if (have_primary && have_submission)
                                return 0;
                } else {
                        free(log);
                }
                sleep_ms(HARNESS_POLL_MS);
        }
        fprintf(stderr, "harness: %s did not log its listeners within %d ms\n", daemon,
                HARNESS_START_TIMEOUT_MS);
        print_log(h);
        harness_stop(h);
        return -1;
}

int harness_stop(struct harness *h)
{
        if (h->pid <= 0)
                return -1;
        pid_t pid = h->pid;
        int status = 0;
        kill(pid, SIGTERM);
        for (int waited = 0; waited < HARNESS_STOP_TIMEOUT_MS; waited += HARNESS_POLL_MS) {
                pid_t done = waitpid(pid, &status, WNOHANG);
                if (done == pid || (done < 0 && errno != EINTR)) {
                        h->pid = 0;
                        return done == pid ? status : -1;
                }
                sleep_ms(HARNESS_POLL_MS);
        }
        fprintf(stderr, "harness: pid %ld ignored SIGTERM for %d ms; killing it\n",
                (long)pid, HARNESS_STOP_TIMEOUT_MS);
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                continue;
        h->pid = 0;
        return status;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        remove(path);
        return 0;
}

void harness_remove_tree(const char *path)
{
        /* Depth first, and never following a symbolic link out of the tree. */
        nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void harness_cleanup(struct harness *h)
{
        if (h->pid > 0)
                harness_stop(h);
        /* Only ever the directory mkdtemp() made. */
        if (h->root[0] == '/' && strstr(h->root, "/mailtest.") != NULL)
                harness_remove_tree(h->root);
        h->root[0] = '\0';
}

int harness_count_files(const struct harness *h, const char *user, const char *sub)
{
        char path[600];
        snprintf(path, sizeof path, "%s/%s/%s", h->mail_root, user, sub);
        DIR *dir = opendir(path);
        if (dir == NULL)
                return -1;
        int count = 0;
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL)
                if (entry->d_name[0] != '.')
                        count++;
        closedir(dir);
        return count;
}

char *harness_read_message(const struct harness *h, const char *user, const char *sub,
                           size_t *len_out)
{
        char path[600];
        snprintf(path, sizeof path, "%s/%s/%s", h->mail_root, user, sub);
        DIR *dir = opendir(path);
        if (dir == NULL)
                return NULL;
        /* The oldest by name: names start with the delivery time. */
        char best[MAILDIR_NAME_MAX + 1] = "";
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL) {
                if (entry->d_name[0] == '.' || strlen(entry->d_name) > MAILDIR_NAME_MAX)
                        continue;
                if (best[0] == '\0' || strcmp(entry->d_name, best) < 0)
                        snprintf(best, sizeof best, "%s", entry->d_name);
        }
        closedir(dir);
        if (best[0] == '\0')
                return NULL;
        char file[900];
        snprintf(file, sizeof file, "%s/%s", path, best);
        size_t len = 0;
        char *data = read_file(file, &len);
        if (data != NULL && len_out != NULL)
                *len_out = len;
        return data;
}

bool harness_log_contains(const struct harness *h, const char *needle)
{
        size_t len;
        char *log = read_file(h->log_path, &len);
        if (log == NULL)
                return false;
        /* The log is text (client bytes are escaped), but search by length
         * anyway so a stray NUL cannot hide what follows it. */
        size_t needle_len = strlen(needle);
        bool found = false;
        for (size_t i = 0; !found && needle_len <= len && i <= len - needle_len; i++)
                found = memcmp(log + i, needle, needle_len) == 0;
        free(log);
        return found;
}
