/* SPDX-License-Identifier: MIT
 *
 * check_lab10.c - the test of lab 10: LOGIN-DELAY and EXPIRE in POP3 CAPA.
 *
 * The exercise (labs/10-extend-the-server/README.md) adds two policy
 * announcements of the POP3 extension mechanism: LOGIN-DELAY, the minimum
 * number of seconds between two logins of a user, and EXPIRE, how many days
 * the server keeps mail that a client leaves on it. Two configuration keys
 * set them; CAPA lists them only when they are set, so the default CAPA
 * (and every other test) stays as it was; pop3_capabilities can withdraw
 * them like any other line.
 *
 * This file lives under labs/, not tests/, so `make check` never runs it:
 * until the exercise is done, the tests marked "red" below fail. `make lab10`
 * builds it against the libraries and the daemons and runs it. Each test
 * starts its own pop3d through tests/support/harness (127.0.0.1, port 0).
 *
 * Standards:  RFC 2449 §5, RFC 2449 §6.5, RFC 2449 §6.7
 * Threads:    Check's fork mode; each test runs in its own process.
 * Read next:  pop3d/capa.c, common/config.c (where the exercise happens).
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "tests/support/client.h"
#include "tests/support/harness.h"

/* Check's fork mode ends a failed test with _exit(), so nothing runs after a
 * failed ck_assert: every test stops its daemon before it asserts anything
 * about what the daemon said. */

/* The last line pop3d wrote to its log, e.g. why it refused to start. */
static void lab_last_log_line(const struct harness *h, char *line, size_t size)
{
        FILE *log = fopen(h->log_path, "r");
        char buf[512];

        snprintf(line, size, "(no log)");
        if (log == NULL)
                return;
        while (fgets(buf, sizeof buf, log) != NULL) {
                buf[strcspn(buf, "\n")] = '\0';
                if (buf[0] != '\0')
                        snprintf(line, size, "%s", buf);
        }
        fclose(log);
}

/* Start pop3d with extra configuration lines; fail the test with pop3d's
 * own words when it refuses them (an unknown key stops it at start-up). */
static void lab_start(struct harness *h, const char *extra)
{
        char why[512];

        ck_assert_int_eq(harness_init(h), 0);
        ck_assert_uint_lt(strlen(extra), sizeof h->extra_config);
        memcpy(h->extra_config, extra, strlen(extra) + 1);
        if (harness_start(h, "pop3d", 0) != 0) {
                lab_last_log_line(h, why, sizeof why);
                harness_cleanup(h);
                ck_abort_msg("pop3d refused to start with this configuration: %s", why);
        }
}

/* The CAPA lines as one string "\nTOP\nUIDL\n...\n", from a logged-in
 * session when logged_in is true; NULL when the dialogue went wrong. The
 * daemon is stopped and its directory removed before returning. */
static char *lab_capa(struct harness *h, bool logged_in)
{
        struct client c;
        size_t len = 0;
        char *body = NULL;
        bool ok = client_connect(&c, "127.0.0.1", h->port) == 0;

        if (ok) {
                ok = client_pop3_status(&c) == 1;
                if (ok && logged_in)
                        ok = client_sendf(&c, "USER student") == 0 &&
                             client_pop3_status(&c) == 1 &&
                             client_sendf(&c, "PASS student") == 0 &&
                             client_pop3_status(&c) == 1;
                if (ok)
                        ok = client_sendf(&c, "CAPA") == 0 && client_pop3_status(&c) == 1;
                if (ok)
                        body = client_pop3_multiline(&c, true, &len);
                client_sendf(&c, "QUIT");
                client_close(&c);
        }
        harness_cleanup(h);
        if (body == NULL)
                return NULL;
        /* One line per capability, LF separated, for simple searching. */
        char *out = malloc(len + 2);
        if (out != NULL) {
                size_t n = 0;
                out[n++] = '\n';
                for (size_t i = 0; i < len; i++)
                        if (body[i] != '\r')
                                out[n++] = body[i];
                out[n] = '\0';
        }
        free(body);
        return out;
}

/* True when the CAPA text has exactly this line. */
static bool has_line(const char *capa, const char *line)
{
        char needle[128];

        snprintf(needle, sizeof needle, "\n%s\n", line);
        return strstr(capa, needle) != NULL;
}

/* True when some line starts with word followed by a space or the end. */
static bool has_word(const char *capa, const char *word)
{
        char with_space[64], alone[64];

        snprintf(with_space, sizeof with_space, "\n%s ", word);
        snprintf(alone, sizeof alone, "\n%s\n", word);
        return strstr(capa, with_space) != NULL || strstr(capa, alone) != NULL;
}

/* Green from the start: the harness works and the existing lines are there,
 * so a red test below fails because of the exercise, not the set-up. */
START_TEST(test_capa_lists_the_existing_capabilities)
{
        struct harness h;

        lab_start(&h, "");
        char *capa = lab_capa(&h, false);
        ck_assert_msg(capa != NULL, "the CAPA dialogue failed");
        ck_assert_msg(has_line(capa, "TOP") && has_line(capa, "UIDL") && has_line(capa, "USER"),
                      "CAPA lost TOP, UIDL or USER:%s", capa);
        free(capa);
}
END_TEST

/* Green from the start, and must stay green: nothing is announced by default. */
START_TEST(test_capa_default_announces_no_policy)
{
        struct harness h;

        lab_start(&h, "");
        char *capa = lab_capa(&h, false);
        ck_assert_msg(capa != NULL, "the CAPA dialogue failed");
        ck_assert_msg(!has_word(capa, "LOGIN-DELAY") && !has_word(capa, "EXPIRE"),
                      "with neither key set, CAPA must not announce a policy:%s", capa);
        free(capa);
}
END_TEST

/* Red: RFC 2449 §6.5, "LOGIN-DELAY" SP seconds. */
START_TEST(test_capa_login_delay_advertised)
{
        struct harness h;

        lab_start(&h, "pop3_login_delay = 900\n");
        char *capa = lab_capa(&h, false);
        ck_assert_msg(capa != NULL, "the CAPA dialogue failed");
        ck_assert_msg(has_line(capa, "LOGIN-DELAY 900"), "no \"LOGIN-DELAY 900\" line:%s", capa);
        free(capa);
}
END_TEST

/* Red: RFC 2449 §6.7, "EXPIRE" SP days, or "EXPIRE NEVER". */
START_TEST(test_capa_expire_days_advertised)
{
        struct harness h;

        lab_start(&h, "pop3_expire = 30\n");
        char *capa = lab_capa(&h, false);
        ck_assert_msg(capa != NULL, "the CAPA dialogue failed");
        ck_assert_msg(has_line(capa, "EXPIRE 30"), "no \"EXPIRE 30\" line:%s", capa);
        free(capa);
}
END_TEST

START_TEST(test_capa_expire_never_advertised)
{
        struct harness h;

        lab_start(&h, "pop3_expire = never\n");
        char *capa = lab_capa(&h, false);
        ck_assert_msg(capa != NULL, "the CAPA dialogue failed");
        ck_assert_msg(has_line(capa, "EXPIRE NEVER"), "no \"EXPIRE NEVER\" line:%s", capa);
        free(capa);
}
END_TEST

/* Red: RFC 2449 §5, CAPA is valid in both states and the policy holds in both. */
START_TEST(test_capa_policy_after_login)
{
        struct harness h;

        lab_start(&h, "pop3_login_delay = 60\npop3_expire = 7\n");
        char *capa = lab_capa(&h, true);
        ck_assert_msg(capa != NULL, "login or CAPA failed");
        ck_assert_msg(has_line(capa, "LOGIN-DELAY 60") && has_line(capa, "EXPIRE 7"),
                      "after login CAPA must still announce the policy:%s", capa);
        free(capa);
}
END_TEST

/* Red: the teaching switch withdraws the new lines like any other. */
START_TEST(test_capa_switch_withdraws_policy)
{
        struct harness h;

        lab_start(&h, "pop3_login_delay = 60\npop3_expire = 7\npop3_capabilities = USER EXPIRE\n");
        char *capa = lab_capa(&h, false);
        ck_assert_msg(capa != NULL, "the CAPA dialogue failed");
        ck_assert_msg(has_line(capa, "USER") && has_line(capa, "EXPIRE 7") &&
                      !has_word(capa, "LOGIN-DELAY") && !has_word(capa, "TOP"),
                      "pop3_capabilities = USER EXPIRE must list exactly those:%s", capa);
        free(capa);
}
END_TEST

/* Red: the keys exist and refuse nonsense (a config error stops the daemon). */
START_TEST(test_config_checks_the_values)
{
        struct config cfg;
        char err[256];

        config_defaults(&cfg);
        ck_assert_msg(config_set(&cfg, "pop3_login_delay", "900", err, sizeof err) == 0,
                      "pop3_login_delay = 900 refused: %s", err);
        ck_assert_msg(config_set(&cfg, "pop3_expire", "never", err, sizeof err) == 0,
                      "pop3_expire = never refused: %s", err);
        ck_assert_msg(config_set(&cfg, "pop3_expire", "30", err, sizeof err) == 0,
                      "pop3_expire = 30 refused: %s", err);
        ck_assert(config_set(&cfg, "pop3_login_delay", "-1", err, sizeof err) != 0);
        ck_assert(config_set(&cfg, "pop3_login_delay", "soon", err, sizeof err) != 0);
        ck_assert(config_set(&cfg, "pop3_expire", "sometimes", err, sizeof err) != 0);
        ck_assert(config_set(&cfg, "pop3_expire", "-3", err, sizeof err) != 0);
}
END_TEST

static Suite *lab10_suite(void)
{
        Suite *suite = suite_create("lab10");
        TCase *green = tcase_create("green");
        TCase *red = tcase_create("red");

        tcase_set_timeout(green, 60);
        tcase_set_timeout(red, 60);
        tcase_add_test(green, test_capa_lists_the_existing_capabilities);
        tcase_add_test(green, test_capa_default_announces_no_policy);
        tcase_add_test(red, test_capa_login_delay_advertised);
        tcase_add_test(red, test_capa_expire_days_advertised);
        tcase_add_test(red, test_capa_expire_never_advertised);
        tcase_add_test(red, test_capa_policy_after_login);
        tcase_add_test(red, test_capa_switch_withdraws_policy);
        tcase_add_test(red, test_config_checks_the_values);
        suite_add_tcase(suite, green);
        suite_add_tcase(suite, red);
        return suite;
}

int main(void)
{
        SRunner *runner = srunner_create(lab10_suite());

        srunner_run_all(runner, CK_VERBOSE);
        int failed = srunner_ntests_failed(runner);
        srunner_free(runner);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
