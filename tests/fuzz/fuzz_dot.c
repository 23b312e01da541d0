/* SPDX-License-Identifier: MIT
 *
 * fuzz_dot.c - libFuzzer entry point for the dot codec (common/dot.c).
 *
 * The first input byte chooses where the DATA bytes are split into two
 * decoder calls and how many body lines TOP asks for; the rest is the
 * message. Checked: the output bounds of dot.h, that the decoder ends
 * exactly after CRLF "." CRLF, and that the decoder reads back whatever the
 * encoder produced. Not built by default; from the repository root:
 *
 *   clang -std=c11 -I. -D_DEFAULT_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *         tests/fuzz/fuzz_dot.c common/dot.c -o build/fuzz_dot
 *   mkdir -p build/corpus-dot && build/fuzz_dot -max_total_time=60 build/corpus-dot
 *
 * Standards:  RFC 5321 §4.5.2, RFC 1939 §3
 * Threads:    single-threaded.
 * Read next:  tests/unit/check_dot.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/dot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_decode(const char *in, size_t len, size_t split)
{
        struct dot_decoder d;
        char *out = malloc(len + 2);
        size_t pos = 0;
        size_t total = 0;
        enum dot_result result = DOT_MORE;

        if (out == NULL)
                return;
        dot_decoder_init(&d);
        for (int call = 0; call < 2 && pos < len && result == DOT_MORE; call++) {
                size_t chunk = call == 0 && split < len ? split : len - pos;
                size_t consumed = 0;
                size_t n = 0;

                result = dot_decode(&d, in + pos, chunk, &consumed, out, &n);
                if (consumed > chunk || n > chunk + 2)
                        abort();
                if (result == DOT_MORE && consumed != chunk)
                        abort();
                /* The end is consumed exactly: the last bytes are CRLF "." CRLF
                 * or the message began with ".\r\n". */
                if (result == DOT_END) {
                        size_t end = pos + consumed;

                        if (end < 3 || memcmp(in + end - 3, ".\r\n", 3) != 0)
                                abort();
                        if (end > 3 && (end < 5 || memcmp(in + end - 5, "\r\n", 2) != 0))
                                abort();
                }
                pos += consumed;
                total += n;
        }
        if (d.octets_out != total)
                abort();
        free(out);
}

static void fuzz_encode(const char *in, size_t len, long top)
{
        struct dot_encoder e;
        struct dot_decoder d;
        char *wire = malloc(2 * len + 8);
        char *back = malloc(2 * len + 10);
        size_t wire_len;
        size_t consumed = 0;
        size_t back_len = 0;

        if (wire == NULL || back == NULL) {
                free(wire);
                free(back);
                return;
        }
        dot_encoder_init(&e, top);
        wire_len = dot_encode(&e, in, len, wire);
        if (wire_len > 2 * len)
                abort();
        wire_len += dot_encode_finish(&e, wire + wire_len);
        dot_decoder_init(&d);
        /* Whatever we send, a client's decoder must find its end there. */
        if (dot_decode(&d, wire, wire_len, &consumed, back, &back_len) != DOT_END ||
            consumed != wire_len)
                abort();
        free(wire);
        free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *in;
        size_t len;

        if (size == 0)
                return 0;
        in = (const char *)data + 1;
        len = size - 1;
        fuzz_decode(in, len, data[0]);
        fuzz_encode(in, len, data[0] < 128 ? -1 : (long)(data[0] - 128));
        return 0;
}
