/* SPDX-License-Identifier: MIT
 *
 * fuzz_sasl.c - libFuzzer entry point for what AUTH reads from the network
 * (common/base64.c, common/sasl.c): a base64 line, then the decoded
 * response fed to the PLAIN, LOGIN and CRAM-MD5 step functions.
 *
 * Checked, beyond "no crash and no sanitizer report":
 *   - base64 decoding is strict (RFC 4648 §3.5): whatever it accepts
 *     encodes back to exactly the same text, and whatever is encoded
 *     decodes back to the same bytes;
 *   - sasl_decode_response() stays within its output buffer;
 *   - no step succeeds for a password the users file does not hold:
 *     the only user is "fuzz", whose password the input never sees.
 * The users file is written once, to a temporary directory, at start-up.
 * Not built by default; `make fuzz` builds and runs it.
 *
 * Standards:  RFC 4648 §4, RFC 4954 §4, RFC 4616 §2, RFC 2195 §2
 * Threads:    single-threaded.
 * Read next:  tests/unit/check_sasl.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/base64.h"
#include "common/sasl.h"
#include "common/users.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 64 random-looking characters: a fuzzer that finds this password by
 * chance has found a bug in the fuzzer, not in the server. */
#define FUZZ_PASSWORD "kT3vQ9xLm2Rw8ZpY4sHc7NdB1gFj6UaE0oViXyKtWq5MnJr3LhGbDf8PzCe2SuAo"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        char dir[] = "/tmp/fuzz_sasl.XXXXXX";
        char path[64];
        char err[256];

        (void)argc;
        (void)argv;
        if (mkdtemp(dir) == NULL)
                abort();
        snprintf(path, sizeof path, "%s/users", dir);
        FILE *f = fopen(path, "w");
        if (f == NULL)
                abort();
        fprintf(f, "fuzz:{PLAIN}%s\n", FUZZ_PASSWORD);
        fclose(f);
        if (users_init(path, "", err, sizeof err) != 0) {
                fprintf(stderr, "fuzz_sasl: %s\n", err);
                abort();
        }
        /* The tables are in memory now; the file is not needed. */
        unlink(path);
        rmdir(dir);
        return 0;
}

static void check_base64(const char *in, size_t len)
{
        unsigned char decoded[1024];
        char encoded[BASE64_ENCODED_SIZE(sizeof decoded)];
        size_t decoded_len = 0;

        if (base64_decode(in, len, decoded, sizeof decoded, &decoded_len)) {
                if (decoded_len > sizeof decoded)
                        abort();
                size_t encoded_len = base64_encode(decoded, decoded_len, encoded);
                if (encoded_len != len || memcmp(encoded, in, len) != 0)
                        abort();
        }
        if (len <= sizeof decoded) {
                size_t encoded_len = base64_encode(in, len, encoded);
                if (!base64_decode(encoded, encoded_len, decoded, sizeof decoded, &decoded_len) ||
                    decoded_len != len || memcmp(decoded, in, len) != 0)
                        abort();
        }
}

/* Feed the same bytes, step after step, to one mechanism, as a client
 * repeating itself would. */
static void check_mechanism(enum sasl_mechanism mechanism, const char *in, size_t len)
{
        struct sasl_session s;
        char challenge[512];

        sasl_start(&s, mechanism, "fuzz.example");
        for (int step = 0; step < 3; step++) {
                enum sasl_result result = sasl_step(&s, in, len, challenge, sizeof challenge);
                if (result == SASL_SUCCESS)
                        abort();
                if (result != SASL_CONTINUE)
                        return;
                if (strnlen(challenge, sizeof challenge) == sizeof challenge)
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *line = malloc(size + 1);
        char decoded[SASL_LINE_MAX];
        size_t decoded_len = 0;

        if (line == NULL)
                return 0;
        memcpy(line, data, size);
        line[size] = '\0';

        check_base64(line, size);
        if (sasl_decode_response(line, size, decoded, sizeof decoded, &decoded_len) == 1 &&
            decoded_len > sizeof decoded)
                abort();
        /* The raw bytes as a decoded response: NULs and all. */
        check_mechanism(SASL_PLAIN, line, size);
        check_mechanism(SASL_LOGIN, line, size);
        check_mechanism(SASL_CRAM_MD5, line, size);
        free(line);
        return 0;
}
