/* SPDX-License-Identifier: MIT
 *
 * check_log.c - unit tests for common/log.c.
 *
 * Each test sends stderr to a temporary file (Check forks per test, so the
 * redirection stays inside the test) and reads the lines back: the format,
 * the escaping of forged line ends, the masking of secrets, and that lines
 * written by several threads at once never interleave.
 *
 * Standards:  none implemented; RFC 5321 §4.1.1.1 and RFC 1939 §7 appear as
 *             sample explanations only.
 * Threads:    Check's fork mode; one test starts writer threads.
 * Read next:  common/log.c.
 */
#include <check.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

/* Point stderr at a fresh temporary file; returns it for reading back. */
static FILE *capture_stderr(void)
{
        FILE *file = tmpfile();

        ck_assert_ptr_nonnull(file);
        ck_assert_int_ge(dup2(fileno(file), STDERR_FILENO), 0);
        return file;
}

/* Everything written so far, NUL-terminated; free() it. */
static char *captured(FILE *file)
{
        long size;
        char *text;

        ck_assert_int_eq(fseek(file, 0, SEEK_END), 0);
        size = ftell(file);
        ck_assert_int_ge(size, 0);
        rewind(file);
        text = malloc((size_t)size + 1);
        ck_assert_ptr_nonnull(text);
        ck_assert_uint_eq(fread(text, 1, (size_t)size, file), (size_t)size);
        text[size] = '\0';
        return text;
}

static bool matches(const char *pattern, const char *text)
{
        regex_t re;
        bool ok;

        ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB | REG_NEWLINE), 0);
        ok = regexec(&re, text, 0, NULL, 0) == 0;
        regfree(&re);
        return ok;
}

START_TEST(test_log_line_format)
{
        FILE *file = capture_stderr();
        char pattern[256];
        char *text;

        log_init("smtpd", false, LOG_TRACE_OFF);
        log_info(12, "accepted %s", "127.0.0.1");
        log_warn(0, "forged\nline");
        log_err(3, "disk %d", 7);
        text = captured(file);
        snprintf(pattern, sizeof(pattern),
                 "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z smtpd\\[%ld\\]: "
                 "info #12: accepted 127\\.0\\.0\\.1\n"
                 "[^\n]+ smtpd\\[%ld\\]: warn #0: forged\\\\x0aline\n"
                 "[^\n]+ err #3: disk 7\n$", (long)getpid(), (long)getpid());
        ck_assert_msg(matches(pattern, text), "got: %s", text);
        free(text);
        fclose(file);
}
END_TEST

START_TEST(test_trace_lines)
{
        FILE *file = capture_stderr();
        char *text;

        log_init("smtpd", false, LOG_TRACE_EXPLAIN);
        ck_assert_int_eq(log_trace_mode(), LOG_TRACE_EXPLAIN);
        trace_client(12, "EHLO x\r\nforged", 14);
        trace_server(12, "250 ok", 6, "RFC 5321 §4.1.1.1");
        trace_server(12, "354 go", 6, NULL);
        trace_client_masked(12, "AUTH PLAIN c2VjcmV0", 19, 10);
        text = captured(file);
        ck_assert_str_eq(text, "#12 C: EHLO x\\x0d\\x0aforged\n"
                               "#12 S: 250 ok   [RFC 5321 §4.1.1.1]\n"
                               "#12 S: 354 go\n"
                               "#12 C: AUTH PLAIN ****\n");
        ck_assert_ptr_null(strstr(text, "c2VjcmV0"));
        free(text);
        fclose(file);
}
END_TEST

START_TEST(test_trace_off_and_plain)
{
        FILE *file = capture_stderr();
        char *text;

        log_init("pop3d", false, LOG_TRACE_OFF);
        trace_client(1, "USER a", 6);
        log_init("pop3d", false, LOG_TRACE_ON);
        trace_server(1, "+OK", 3, "RFC 1939 §7");   /* explain only in EXPLAIN mode */
        text = captured(file);
        ck_assert_str_eq(text, "#1 S: +OK\n");
        free(text);
        fclose(file);
}
END_TEST

#define LOG_THREADS 4
#define LOG_LINES_PER_THREAD 300

static void *log_thread_main(void *arg)
{
        unsigned long id = (unsigned long)(size_t)arg;

        for (int i = 0; i < LOG_LINES_PER_THREAD; i++)
                log_info(id, "line %d of thread %lu with some padding to make it longer", i, id);
        return NULL;
}

START_TEST(test_lines_never_interleave)
{
        FILE *file = capture_stderr();
        pthread_t threads[LOG_THREADS];
        char *text;
        size_t lines = 0;

        log_init("smtpd", false, LOG_TRACE_OFF);
        for (size_t t = 0; t < LOG_THREADS; t++)
                ck_assert_int_eq(pthread_create(&threads[t], NULL, log_thread_main,
                                                (void *)(t + 1)), 0);
        for (size_t t = 0; t < LOG_THREADS; t++)
                pthread_join(threads[t], NULL);
        text = captured(file);
        for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
                unsigned long session = 0;
                unsigned long thread = 99;

                ck_assert_msg(matches("^[0-9TZ:-]+ smtpd\\[[0-9]+\\]: info #[1-4]: line "
                                      "[0-9]+ of thread [1-4] with some padding to make it "
                                      "longer$", line), "mangled: %s", line);
                ck_assert_int_eq(sscanf(strstr(line, " #"), " #%lu: line %*d of thread %lu",
                                        &session, &thread), 2);
                ck_assert_uint_eq(session, thread);
                lines++;
        }
        ck_assert_uint_eq(lines, LOG_THREADS * LOG_LINES_PER_THREAD);
        free(text);
        fclose(file);
}
END_TEST

Suite *log_suite(void)
{
        Suite *suite = suite_create("log");
        TCase *lines = tcase_create("lines");

        tcase_set_timeout(lines, 60);
        tcase_add_test(lines, test_log_line_format);
        tcase_add_test(lines, test_trace_lines);
        tcase_add_test(lines, test_trace_off_and_plain);
        tcase_add_test(lines, test_lines_never_interleave);
        suite_add_tcase(suite, lines);
        return suite;
}
