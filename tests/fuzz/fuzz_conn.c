/* SPDX-License-Identifier: MIT
 *
 * fuzz_conn.c - libFuzzer entry point for the line reader (common/conn.c).
 *
 * The first input byte chooses the line limit; the rest is what a client
 * sends, written into a socketpair whose writing end is then closed. Every
 * line handed out must fit the limit, be NUL-terminated and hold no LF, and
 * the reader must reach CONN_EOF. Not built by default; from the repository
 * root:
 *
 *   clang -std=c11 -I. -D_DEFAULT_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *         tests/fuzz/fuzz_conn.c common/conn.c -o build/fuzz_conn
 *   mkdir -p build/corpus-conn && build/fuzz_conn -max_len=65536 -max_total_time=60 \
 *         build/corpus-conn
 *
 * Standards:  RFC 5321 §4.5.3.1.4, RFC 5321 §2.3.8
 * Threads:    single-threaded.
 * Read next:  tests/unit/check_conn.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct conn c;
        static char line[SMTP_COMMAND_LINE_MAX];
        int fds[2];
        size_t max;
        size_t lines = 0;

        /* Larger inputs would not fit the socket buffer before we read. */
        if (size == 0 || size > 65536)
                return 0;
        max = 1 + (data[0] * 2u) % sizeof(line);
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
                abort();
        if (write(fds[1], data + 1, size - 1) != (ssize_t)(size - 1))
                abort();
        close(fds[1]);
        conn_init(&c, fds[0], -1, 5);
        for (;;) {
                size_t len = 0;
                enum conn_result r = conn_read_line(&c, line, max, &len);

                if (r == CONN_EOF)
                        break;
                if (r == CONN_LINE) {
                        if (len + 2 > max && !(max < 2 && len == 0))
                                abort();
                        if (line[len] != '\0' || memchr(line, '\n', len) != NULL)
                                abort();
                } else if (r != CONN_TOO_LONG) {
                        abort();
                }
                /* Each result consumes at least one LF. */
                if (++lines > size)
                        abort();
        }
        close(fds[0]);
        return 0;
}
