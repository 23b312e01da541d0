/* SPDX-License-Identifier: MIT
 *
 * check_smtp_options.c - the daemons' command line (common/daemon.c): -h,
 * -V, bad options, bad configuration (file and -o), each with its sysexits
 * code. Every test runs once for smtpd and once for pop3d (the loop index).
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <sysexits.h>
#include "tests/integration/check_smtp.h"

static const char *const daemons[] = { "smtpd", "pop3d" };
#define DAEMON_COUNT ((int)(sizeof daemons / sizeof daemons[0]))

/* Run build/<daemon> with up to 6 arguments, output to /dev/null; returns
 * the exit code, or -1 when it did not exit by itself within 10 s. */
static int run_daemon(const char *daemon, const char *a1, const char *a2, const char *a3,
                      const char *a4, const char *a5, const char *a6)
{
        char program[512];
        harness_program(daemon, program, sizeof program);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);
                if (null >= 0) {
                        dup2(null, STDOUT_FILENO);
                        dup2(null, STDERR_FILENO);
                }
                execl(program, daemon, a1, a2, a3, a4, a5, a6, (char *)NULL);
                _exit(127);
        }
        for (int i = 0; i < 200; i++) {
                int status;
                if (waitpid(pid, &status, WNOHANG) == pid)
                        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                struct timespec pause = { 0, 50 * 1000000L };
                nanosleep(&pause, NULL);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
}

START_TEST(test_help_and_version)
{
        ck_assert_int_eq(run_daemon(daemons[_i], "-h", NULL, NULL, NULL, NULL, NULL), 0);
        ck_assert_int_eq(run_daemon(daemons[_i], "-V", NULL, NULL, NULL, NULL, NULL), 0);
}
END_TEST

START_TEST(test_bad_usage)
{
        ck_assert_int_eq(run_daemon(daemons[_i], "-x", NULL, NULL, NULL, NULL, NULL), EX_USAGE);
        ck_assert_int_eq(run_daemon(daemons[_i], "-c", NULL, NULL, NULL, NULL, NULL), EX_USAGE);
        ck_assert_int_eq(run_daemon(daemons[_i], "-f", "-o", "novalue", NULL, NULL, NULL), EX_USAGE);
}
END_TEST

/* A wrong configuration stops the daemon before it binds anything. */
START_TEST(test_bad_configuration)
{
        struct harness h;

        smtp_test_start(&h, NULL, 0);
        ck_assert_int_eq(harness_stop(&h), 0);
        ck_assert_int_eq(run_daemon(daemons[_i], "-f", "-c", "/nonexistent/smtpd.conf", NULL, NULL, NULL),
                         EX_CONFIG);
        ck_assert_int_eq(run_daemon(daemons[_i], "-f", "-c", h.config_path, "-o", "max_errors=lots", NULL),
                         EX_CONFIG);
        ck_assert_int_eq(run_daemon(daemons[_i], "-f", "-c", h.config_path, "-o", "no_such_key=1", NULL),
                         EX_CONFIG);
        /* A broken users file is a configuration error too. */
        FILE *users = fopen(h.users_path, "a");
        ck_assert_ptr_nonnull(users);
        fputs("this line has no colon\n", users);
        ck_assert_int_eq(fclose(users), 0);
        ck_assert_int_eq(run_daemon(daemons[_i], "-f", "-c", h.config_path, NULL, NULL, NULL), EX_CONFIG);
        harness_cleanup(&h);
}
END_TEST

Suite *smtp_options_suite(void)
{
        Suite *suite = suite_create("smtp_options");
        TCase *tc = tcase_create("options");

        tcase_set_timeout(tc, SMTP_TEST_TIMEOUT);
        tcase_add_loop_test(tc, test_help_and_version, 0, DAEMON_COUNT);
        tcase_add_loop_test(tc, test_bad_usage, 0, DAEMON_COUNT);
        tcase_add_loop_test(tc, test_bad_configuration, 0, DAEMON_COUNT);
        suite_add_tcase(suite, tc);
        return suite;
}
