/* SPDX-License-Identifier: MIT
 *
 * check_smtp.h - small helpers shared by the check_smtp_*.c integration
 * suites: start smtpd with extra configuration, open a greeted session,
 * send a whole message, look at the Maildirs.
 *
 * All functions are static inline so that each suite file stays
 * self-contained and an unused helper costs nothing.
 */
#ifndef TESTS_INTEGRATION_CHECK_SMTP_H
#define TESTS_INTEGRATION_CHECK_SMTP_H

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "tests/support/client.h"
#include "tests/support/harness.h"

/* Generous: sanitizer builds are slow and some tests wait for timeouts. */
#define SMTP_TEST_TIMEOUT 90

/* Start smtpd for one test with extra "key = value" lines (or NULL). */
static inline void smtp_test_start(struct harness *h, const char *extra, long fsize_limit)
{
        ck_assert_int_eq(harness_init(h), 0);
        if (extra != NULL)
                snprintf(h->extra_config, sizeof h->extra_config, "%s", extra);
        ck_assert_msg(harness_start(h, "smtpd", fsize_limit) == 0, "smtpd did not start");
}

/* Connect and read the 220 greeting. */
static inline struct client *smtp_test_connect_port(unsigned port)
{
        struct client *c = calloc(1, sizeof *c);

        ck_assert_ptr_nonnull(c);
        ck_assert_int_eq(client_connect(c, "127.0.0.1", port), 0);
        ck_assert_int_eq(client_smtp_reply(c), 220);
        return c;
}

static inline struct client *smtp_test_connect(const struct harness *h)
{
        return smtp_test_connect_port(h->port);
}

/* Connect and say EHLO. */
static inline struct client *smtp_test_session(const struct harness *h)
{
        struct client *c = smtp_test_connect(h);

        ck_assert_int_eq(client_smtp_command(c, "EHLO client.example.test"), 250);
        return c;
}

static inline void smtp_test_close(struct client *c)
{
        client_close(c);
        free(c);
}

/* Send a string literal without its NUL. */
#define smtp_test_send_literal(c, literal) client_send((c), (literal), sizeof(literal) - 1)

/* True when the last reply read contains text. */
static inline bool smtp_test_last_has(const struct client *c, const char *text)
{
        return strstr(c->last, text) != NULL;
}

/* MAIL, RCPT, DATA and the raw (already stuffed) body ending in
 * "\r\n.\r\n"; returns the reply code after the final dot. */
static inline int smtp_test_send(struct client *c, const char *from, const char *to,
                                 const char *raw_body)
{
        ck_assert_int_eq(client_smtp_command(c, "MAIL FROM:<%s>", from), 250);
        ck_assert_int_eq(client_smtp_command(c, "RCPT TO:<%s>", to), 250);
        ck_assert_int_eq(client_smtp_command(c, "DATA"), 354);
        ck_assert_int_eq(client_send(c, raw_body, strlen(raw_body)), 0);
        return client_smtp_reply(c);
}

/* Files in <user>/<sub>, waiting (bounded) until there are `expected`. */
static inline int smtp_test_wait_files(const struct harness *h, const char *user,
                                       const char *sub, int expected)
{
        int count = harness_count_files(h, user, sub);

        for (int i = 0; i < 100 && count < expected; i++) {
                struct timespec pause = { 0, 100 * 1000000L };
                nanosleep(&pause, NULL);
                count = harness_count_files(h, user, sub);
        }
        return count;
}

/* Inode of the only (first) message file in <user>/new, 0 if none. */
static inline ino_t smtp_test_inode(const struct harness *h, const char *user)
{
        char path[700];
        ino_t inode = 0;

        snprintf(path, sizeof path, "%s/%s/new", h->mail_root, user);
        DIR *dir = opendir(path);
        if (dir == NULL)
                return 0;
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL && inode == 0) {
                if (entry->d_name[0] == '.')
                        continue;
                char file[1000];
                struct stat st;
                snprintf(file, sizeof file, "%s/%s", path, entry->d_name);
                if (stat(file, &st) == 0)
                        inode = st.st_ino;
        }
        closedir(dir);
        return inode;
}

/* The body of a stored message: what follows Return-Path: and the
 * Received: field with its tab-indented continuation lines. NULL if the
 * message does not start with those two fields. */
static inline const char *smtp_test_body(const char *message)
{
        if (strncmp(message, "Return-Path: <", 14) != 0)
                return NULL;
        const char *p = strchr(message, '\n');
        if (p == NULL || strncmp(p + 1, "Received: ", 10) != 0)
                return NULL;
        p = strchr(p + 1, '\n');
        while (p != NULL && p[1] == '\t')
                p = strchr(p + 1, '\n');
        return p != NULL ? p + 1 : NULL;
}

#endif
