/* SPDX-License-Identifier: MIT
 *
 * fuzz_addr.c - libFuzzer entry point for the RFC 5321 path parser
 * (common/addr.c): everything after "MAIL" and "RCPT" comes from the
 * network, so it is the first place a hostile client pokes.
 *
 * The input is cut at its first NUL (smtpd refuses a command line with a
 * NUL before it parses anything) and handed to all four entry points.
 * Checked, beyond "no crash and no sanitizer report":
 *   - an accepted path keeps the RFC 5321 §4.5.3.1 limits (local part 64,
 *     domain 255, path 256), and its mailbox has no control character,
 *     because it goes into Return-Path: and the log;
 *   - the mailbox is canonical: "<mailbox>" parses again to the same
 *     mailbox (the re-quoting of the local part is right);
 *   - *params_out points into the arguments;
 *   - addr_next_param() always moves forward, and its copies fit.
 * Not built by default; `make fuzz` builds and runs it.
 *
 * Standards:  RFC 5321 §4.1.2, §4.1.3, §4.5.3.1
 * Threads:    single-threaded.
 * Read next:  tests/unit/check_addr.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const char *args, const struct mail_path *path, const char *params,
                       bool reverse)
{
        if (params < args || params > args + strlen(args))
                abort();
        if (strlen(path->local) > SMTP_LOCAL_PART_MAX || strlen(path->domain) > SMTP_DOMAIN_MAX ||
            strlen(path->mailbox) > SMTP_PATH_MAX)
                abort();
        for (const char *p = path->mailbox; *p != '\0'; p++) {
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        abort();
        }
        if (path->is_null) {
                if (!reverse || path->mailbox[0] != '\0')
                        abort();
                return;
        }

        /* Canonical: the mailbox, sent back in angle brackets, is read as
         * the same mailbox. */
        char again[SMTP_PATH_MAX + 16];
        struct mail_path second;
        const char *second_params;
        snprintf(again, sizeof again, "%s<%s>", reverse ? "FROM:" : "TO:", path->mailbox);
        enum addr_result result = reverse
                ? addr_parse_reverse_path(again, &second, &second_params)
                : addr_parse_forward_path(again, &second, &second_params);
        if (result != ADDR_OK || strcmp(second.mailbox, path->mailbox) != 0 ||
            strcmp(second.local, path->local) != 0 || strcmp(second.domain, path->domain) != 0)
                abort();
}

static void check_params(const char *params)
{
        const char *cursor = params;
        char key[64];
        char value[128];
        bool syntax_error = false;

        while (addr_next_param(&cursor, key, sizeof key, value, sizeof value, &syntax_error)) {
                if (strlen(key) >= sizeof key || strlen(value) >= sizeof value)
                        abort();
                if (cursor <= params || cursor > params + strlen(params))
                        abort();
                params = cursor;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *args = malloc(size + 1);
        struct mail_path path;
        const char *params;

        if (args == NULL)
                return 0;
        memcpy(args, data, size);
        args[size] = '\0';

        if (addr_parse_reverse_path(args, &path, &params) == ADDR_OK) {
                check_path(args, &path, params, true);
                check_params(params);
        }
        if (addr_parse_forward_path(args, &path, &params) == ADDR_OK) {
                check_path(args, &path, params, false);
                check_params(params);
        }
        (void)addr_valid_domain_or_literal(args);
        check_params(args);
        free(args);
        return 0;
}
