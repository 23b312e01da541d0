/* SPDX-License-Identifier: MIT
 *
 * config_file.c - reading the configuration file (DESIGN.md §10).
 *
 * The file is a list of "key = value" lines; '#' starts a comment (at the
 * start of a line or after a space), blank lines are ignored, and a value
 * that is a list is separated by spaces. Each value goes through the same
 * table and parsers as the -o option (config.c). The reader is strict on
 * purpose: an unknown key, a key given twice, a bad value or a line that is
 * too long stops the daemon with "FILE:LINE: what is wrong" instead of
 * being guessed at, and a file with an error leaves the configuration as it
 * was. Checks that involve several keys run once the whole file is read.
 *
 * Standards:  none beyond DESIGN.md §10 (the file format is ours).
 * Threads:    start-up only (main thread).
 * Read next:  common/config.c (the keys and their values), common/mail.conf.5.
 */
#include "common/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "common/config_internal.h"

/* Split one line (comment already cut) into key and value. Returns 1 for a
 * pair, 0 for a blank line, -1 for a syntax error. */
static int split_line(char *line, char **key_out, char **value_out)
{
        char *p = line;
        while (config_is_space(*p))
                p++;
        if (*p == '\0')
                return 0;
        char *key = p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
               (*p >= '0' && *p <= '9') || *p == '_')
                p++;
        char *key_end = p;
        while (config_is_space(*p))
                p++;
        if (key_end == key || *p != '=')
                return -1;
        *key_end = '\0';
        *key_out = key;
        *value_out = p + 1;
        return 1;
}

/* '#' starts a comment at the start of a line or after a space or tab, so
 * "hostname = mx   # our name" works and a '#' inside a word stays. */
static void cut_comment(char *line)
{
        for (char *p = line; *p != '\0'; p++) {
                if (*p == '#' && (p == line || config_is_space(p[-1]))) {
                        *p = '\0';
                        return;
                }
        }
}

/* Read every line of file into cfg. line_of_key[i] receives the line
 * number of config_keys[i], 0 when the file does not set it. */
static int load_stream(struct config *cfg, FILE *file, const char *path,
                       unsigned long line_of_key[CONFIG_KEYS_MAX], char *err, size_t err_size)
{
        char *line = NULL;
        size_t capacity = 0;
        unsigned long number = 0;
        ssize_t got;
        int result = 0;
        char reason[512];

        while ((got = getline(&line, &capacity, file)) >= 0) {
                number++;
                size_t len = (size_t)got;
                if (len > CONFIG_LINE_MAX) {
                        result = config_error(err, err_size, "%s:%lu: line longer than %d bytes",
                                              path, number, CONFIG_LINE_MAX);
                        break;
                }
                if (strlen(line) != len) {
                        result = config_error(err, err_size, "%s:%lu: NUL byte in line",
                                              path, number);
                        break;
                }
                /* A CRLF file edited on another system reads the same. */
                while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                        line[--len] = '\0';
                cut_comment(line);

                char *key;
                char *value;
                int kind = split_line(line, &key, &value);
                if (kind == 0)
                        continue;
                if (kind < 0) {
                        result = config_error(err, err_size, "%s:%lu: expected \"key = value\"",
                                              path, number);
                        break;
                }
                const struct config_key *row = config_find_key(key);
                if (row == NULL) {
                        result = config_error(err, err_size, "%s:%lu: unknown key %s",
                                              path, number, key);
                        break;
                }
                size_t index = (size_t)(row - config_keys);
                if (line_of_key[index] != 0) {
                        result = config_error(err, err_size, "%s:%lu: duplicate key %s",
                                              path, number, key);
                        break;
                }
                line_of_key[index] = number;
                if (config_set_key(cfg, row, value, reason, sizeof reason) != 0) {
                        result = config_error(err, err_size, "%s:%lu: %s", path, number,
                                              reason);
                        break;
                }
        }
        if (result == 0 && ferror(file))
                result = config_error(err, err_size, "%s: %s", path, strerror(errno));
        free(line);
        return result;
}

int config_load(struct config *cfg, const char *path, char *err, size_t err_size)
{
        FILE *file = fopen(path, "r");
        if (file == NULL)
                return config_error(err, err_size, "%s: %s", path, strerror(errno));

        /* Work on a copy: a file with an error leaves *cfg as it was. */
        struct config *work = malloc(sizeof *work);
        if (work == NULL) {
                fclose(file);
                return config_error(err, err_size, "%s: out of memory", path);
        }
        *work = *cfg;
        char reason[512];
        unsigned long line_of_key[CONFIG_KEYS_MAX] = { 0 };
        int result = load_stream(work, file, path, line_of_key, err, err_size);
        fclose(file);
        /* The guard runs once the whole file is read, so the order of the
         * smtp_line_endings and *_listen lines does not matter. The error
         * names the smtp_line_endings line (none if set before the file). */
        if (result == 0 && config_check_lenient(work, reason, sizeof reason) != 0) {
                size_t index = (size_t)(config_find_key("smtp_line_endings") - config_keys);
                unsigned long line = line_of_key[index];
                if (line != 0)
                        result = config_error(err, err_size, "%s:%lu: %s", path, line, reason);
                else
                        result = config_error(err, err_size, "%s: %s", path, reason);
        }
        if (result == 0)
                *cfg = *work;
        free(work);
        return result;
}
