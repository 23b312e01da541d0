/* SPDX-License-Identifier: MIT
 *
 * mailbench.c - the load generator of `make bench`: one scenario per run,
 * one result line on stdout ("scenario key=value ..."), which
 * tests/bench/run.sh collects into a table.
 *
 *   mailbench disk  --dir D --threads T --count N --size S [--library]
 *   mailbench smtp  --port P --maildir D/new --threads C --count N --size S
 *                   --mode per-message|reuse [--rcpt ADDR]
 *   mailbench idle  --port P --sessions K --pid PID [--window W]
 *   mailbench fill  --dir D --user U [--users K] --count N --size S
 *   mailbench pop3  --port P --user U --password W --mode login|retr|multi
 *                   [--users K] [--window W]
 *   every scenario: [--timeout SECONDS] (default 300)
 *
 * Standards:  RFC 5321 §4.1.1.4, RFC 1939 §5
 * Threads:    see each scenario's file.
 * Read next:  tests/bench/run.sh, tests/bench/bench_disk.c.
 */
#include "tests/bench/bench.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT 300.0

static unsigned parse_number(const char *name, const char *value)
{
        char *end;
        unsigned long number = strtoul(value, &end, 10);
        if (*value == '\0' || *end != '\0' || number > 4000000000ul)
                bench_fail("%s: not a number: %s", name, value);
        return (unsigned)number;
}

static void usage(void)
{
        fprintf(stderr,
                "usage: mailbench disk|smtp|idle|fill|pop3 [--name value ...]\n"
                "see the comment at the top of tests/bench/mailbench.c\n");
        exit(64);
}

static void parse_options(int argc, char **argv, struct bench_options *o)
{
        memset(o, 0, sizeof *o);
        o->timeout = DEFAULT_TIMEOUT;
        o->size = 2048;
        for (int i = 2; i < argc; i++) {
                const char *name = argv[i];
                if (strcmp(name, "--library") == 0) {
                        o->library = true;
                        continue;
                }
                if (i + 1 >= argc)
                        usage();
                const char *value = argv[++i];
                if (strcmp(name, "--dir") == 0)
                        o->dir = value;
                else if (strcmp(name, "--maildir") == 0)
                        o->maildir = value;
                else if (strcmp(name, "--mode") == 0)
                        o->mode = value;
                else if (strcmp(name, "--user") == 0)
                        o->user = value;
                else if (strcmp(name, "--password") == 0)
                        o->password = value;
                else if (strcmp(name, "--rcpt") == 0)
                        o->rcpt = value;
                else if (strcmp(name, "--port") == 0)
                        o->port = parse_number(name, value);
                else if (strcmp(name, "--threads") == 0)
                        o->threads = parse_number(name, value);
                else if (strcmp(name, "--count") == 0)
                        o->count = parse_number(name, value);
                else if (strcmp(name, "--size") == 0)
                        o->size = parse_number(name, value);
                else if (strcmp(name, "--sessions") == 0)
                        o->sessions = parse_number(name, value);
                else if (strcmp(name, "--window") == 0)
                        o->window = parse_number(name, value);
                else if (strcmp(name, "--users") == 0)
                        o->users = parse_number(name, value);
                else if (strcmp(name, "--pid") == 0)
                        o->pid = (pid_t)parse_number(name, value);
                else if (strcmp(name, "--timeout") == 0)
                        o->timeout = parse_number(name, value);
                else
                        usage();
        }
}

int main(int argc, char **argv)
{
        if (argc < 2)
                usage();
        struct bench_options options;
        parse_options(argc, argv, &options);
        /* A daemon that closes on us must not kill the benchmark. */
        signal(SIGPIPE, SIG_IGN);
        setvbuf(stdout, NULL, _IOLBF, 0);
        const char *scenario = argv[1];
        if (strcmp(scenario, "disk") == 0)
                return bench_disk(&options);
        if (strcmp(scenario, "smtp") == 0)
                return bench_smtp(&options);
        if (strcmp(scenario, "idle") == 0)
                return bench_idle(&options);
        if (strcmp(scenario, "fill") == 0)
                return bench_fill(&options);
        if (strcmp(scenario, "pop3") == 0)
                return bench_pop3(&options);
        usage();
}
