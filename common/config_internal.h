/* SPDX-License-Identifier: MIT
 *
 * config_internal.h - private to common/config*.c: the table of keys and the
 * helpers that config.c (values, defaults, config_set) and config_file.c
 * (reading the file) share. Nothing outside common/config*.c includes it;
 * the daemons and tests use common/config.h.
 */
#ifndef COMMON_CONFIG_INTERNAL_H
#define COMMON_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"

/* Longest line the file may contain, newline included. */
#define CONFIG_LINE_MAX 1024

/* Room for this many rows of config_keys; config.c checks at compile time
 * that the table fits, so adding a key needs no change here. */
#define CONFIG_KEYS_MAX 64

/* Every parser receives the key's row, so a row can carry its field's
 * offset and range; the value is already trimmed of surrounding spaces. */
struct config_key;
typedef int (*config_parse_fn)(struct config *cfg, const struct config_key *key,
                               const char *value, char *err, size_t err_size);

struct config_key {
        const char *name;
        config_parse_fn parse;
        size_t offset;              /* of the field in struct config */
        size_t size;                /* of that field (strings) */
        unsigned long long min;     /* numbers */
        unsigned long long max;
};

/* Every key, with the function that parses its value (config.c). */
extern const struct config_key config_keys[];

/* Format the reason into err[err_size] (when err is not NULL); returns -1 so
 * callers can write `return config_error(...)`. */
int config_error(char *err, size_t err_size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* A blank inside a line: space or tab. */
bool config_is_space(char c);

/* The row of config_keys named name, NULL for an unknown key. */
const struct config_key *config_find_key(const char *name);

/* Trim value and hand it to the row's parser. Returns 0, or -1 with err. */
int config_set_key(struct config *cfg, const struct config_key *key, const char *value,
                   char *err, size_t err_size);

/* The lenient-unsafe guard (config.c): returns 0 unless smtp_line_endings is
 * lenient-unsafe while an SMTP or submission listener is not on loopback. */
int config_check_lenient(const struct config *cfg, char *err, size_t err_size);

#endif
