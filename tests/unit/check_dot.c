/* SPDX-License-Identifier: MIT
 *
 * check_dot.c - unit tests for common/dot.c, the dot codec.
 *
 * Every decoder row runs three ways: the whole input in one call, one byte
 * per call, and split in two at every position (Dovecot's
 * test-istream-dot.c habit), checking the output, the end, the flags and
 * what is left unread after the end. The SMTP smuggling payloads are rows.
 * The encoder rows run the same ways; a property test with a fixed seed
 * checks that dot_wire_size agrees with the encoder and that decoding what
 * the encoder produced gives the message back.
 *
 * Standards:  RFC 5321 §4.5.2, RFC 5321 §4.1.1.4, RFC 5321 §4.5.3.1.6,
 *             RFC 1939 §3, RFC 1939 §5, RFC 1939 §7
 * Threads:    Check's fork mode; one process per test.
 * Read next:  common/dot.c.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/dot.h"
#include "common/limits.h"

struct bytes {
        const char *data;
        size_t len;
};
#define B(literal) { literal, sizeof(literal) - 1 }

#define GUARD 16        /* canary bytes after the promised output room */

/* ---- Decoder ---- */

struct decode_case {
        const char *name;
        struct bytes input;
        struct bytes output;
        bool ends;
        bool bare;           /* bare_line_ending_seen */
        size_t leftover;     /* input bytes not consumed after DOT_END */
};

static const struct decode_case decode_cases[] = {
        /* RFC 5321 §4.1.1.4: the message start counts as after a CRLF. */
        { .name = "empty message", .input = B(".\r\n"), .output = B(""), .ends = true },
        { .name = "simple", .input = B("Subject: x\r\n\r\nbody\r\n.\r\n"),
          .output = B("Subject: x\n\nbody\n"), .ends = true },
        { .name = "empty first line", .input = B("\r\n.\r\n"), .output = B("\n"), .ends = true },
        /* RFC 5321 §4.5.2: the first "." of a line starting with "." goes. */
        { .name = "stuffed dot", .input = B("..x\r\n.\r\n"), .output = B(".x\n"), .ends = true },
        { .name = "dot line", .input = B("..\r\n.\r\n"), .output = B(".\n"), .ends = true },
        { .name = "three dots", .input = B("...\r\n.\r\n"), .output = B("..\n"), .ends = true },
        { .name = "unstuffed dot removed", .input = B(".x\r\n.\r\n"), .output = B("x\n"),
          .ends = true },
        { .name = "dot inside line", .input = B("a.b\r\n.\r\n"), .output = B("a.b\n"),
          .ends = true },
        { .name = "dot at end of line", .input = B("a.\r\n.\r\n"), .output = B("a.\n"),
          .ends = true },
        { .name = "nul kept", .input = B("a\0b\r\n.\r\n"), .output = B("a\0b\n"), .ends = true },
        /* Pipelining: the next command stays unread. */
        { .name = "leftover command", .input = B("a\r\n.\r\nQUIT\r\n"), .output = B("a\n"),
          .ends = true, .leftover = 6 },
        { .name = "leftover second end", .input = B(".\r\n.\r\n"), .output = B(""), .ends = true,
          .leftover = 3 },
        { .name = "no end yet", .input = B("abc\r\n"), .output = B("abc\n") },
        { .name = "end half seen", .input = B("abc\r\n.\r"), .output = B("abc\n") },
        { .name = "cr held", .input = B("abc\r"), .output = B("abc") },
        /* SECURITY: SMTP smuggling: none of these ends the data. */
        { .name = "smuggle lf dot lf", .input = B("a\n.\nb\r\n.\r\n"), .output = B("a\n.\nb\n"),
          .ends = true, .bare = true },
        { .name = "smuggle cr dot cr", .input = B("a\r.\rb\r\n.\r\n"), .output = B("a\r.\rb\n"),
          .ends = true, .bare = true },
        { .name = "smuggle crlf dot lf", .input = B("a\r\n.\nb\r\n.\r\n"), .output = B("a\n\nb\n"),
          .ends = true, .bare = true },
        { .name = "smuggle lf dot crlf", .input = B("a\n.\r\nb\r\n.\r\n"), .output = B("a\n.\nb\n"),
          .ends = true, .bare = true },
        { .name = "smuggle crlf dot cr", .input = B("a\r\n.\rb\r\n.\r\n"), .output = B("a\n\rb\n"),
          .ends = true, .bare = true },
        { .name = "smuggle crlf dot cr cr lf", .input = B("a\r\n.\r\r\n.\r\n"),
          .output = B("a\n\r\n"), .ends = true, .bare = true },
        { .name = "smuggle cr dot crlf", .input = B("a\r.\r\nb\r\n.\r\n"), .output = B("a\r.\nb\n"),
          .ends = true, .bare = true },
        { .name = "smuggle at start lf", .input = B(".\nMAIL FROM:<x>\r\n.\r\n"),
          .output = B("\nMAIL FROM:<x>\n"), .ends = true, .bare = true },
        { .name = "smuggle lf then dot crlf at start", .input = B("\n.\r\n"), .output = B("\n.\n"),
          .bare = true },
        { .name = "smuggle payload unterminated", .input = B("x\r\n\n.\nRCPT TO:<y>\r\n"),
          .output = B("x\n\n.\nRCPT TO:<y>\n"), .bare = true },
        { .name = "bare cr then crlf", .input = B("a\r\r\n.\r\n"), .output = B("a\r\n"),
          .ends = true, .bare = true },
        { .name = "bare lf only", .input = B("a\nb\r\n.\r\n"), .output = B("a\nb\n"), .ends = true,
          .bare = true },
};

#define DECODE_CASES (sizeof(decode_cases) / sizeof(decode_cases[0]))

struct decode_result {
        char *output;
        size_t output_len;
        bool ends;
        size_t consumed;
        struct dot_decoder decoder;
};

/* Feed the input in chunks: first `first` bytes, then `step` bytes per call
 * (0: everything left). Checks the out[] bound of dot.h on every call. */
static void decode_in_chunks(const struct bytes *input, size_t first, size_t step,
                             struct decode_result *r)
{
        size_t pos = 0;
        size_t chunk_number = 0;

        r->output = malloc(input->len * 2 + GUARD);
        ck_assert_ptr_nonnull(r->output);
        r->output_len = 0;
        r->ends = false;
        dot_decoder_init(&r->decoder);
        while (pos < input->len && !r->ends) {
                size_t want = chunk_number++ == 0 ? first : step;
                size_t left = input->len - pos;
                size_t len = (want == 0 || want > left) ? left : want;
                char *out = malloc(len + 2 + GUARD);
                size_t consumed = 0;
                size_t out_len = 0;

                ck_assert_ptr_nonnull(out);
                memset(out, 'Z', len + 2 + GUARD);
                r->ends = dot_decode(&r->decoder, input->data + pos, len, &consumed,
                                     out, &out_len) == DOT_END;
                ck_assert_uint_le(consumed, len);
                ck_assert_uint_le(out_len, len + 2);
                for (size_t g = len + 2; g < len + 2 + GUARD; g++)
                        ck_assert_int_eq(out[g], 'Z');
                if (!r->ends)
                        ck_assert_uint_eq(consumed, len);  /* all used until the end */
                memcpy(r->output + r->output_len, out, out_len);
                r->output_len += out_len;
                free(out);
                pos += consumed;
        }
        r->consumed = pos;
}

static void decode_check(const struct decode_case *row, size_t first, size_t step)
{
        struct decode_result r;

        decode_in_chunks(&row->input, first, step, &r);
        ck_assert_msg(r.ends == row->ends, "%s (first %zu, step %zu): ends %d", row->name,
                      first, step, r.ends);
        ck_assert_msg(r.output_len == row->output.len &&
                      memcmp(r.output, row->output.data, r.output_len) == 0,
                      "%s (first %zu, step %zu): wrong output (%zu bytes)", row->name,
                      first, step, r.output_len);
        ck_assert_msg(r.decoder.bare_line_ending_seen == row->bare, "%s: bare flag",
                      row->name);
        ck_assert(!r.decoder.long_line_seen);
        ck_assert_uint_eq(r.decoder.octets_out, r.output_len);
        ck_assert_uint_eq(row->input.len - r.consumed, row->leftover);
        free(r.output);
}

START_TEST(test_decode_whole)
{
        decode_check(&decode_cases[_i], 0, 0);
}
END_TEST

START_TEST(test_decode_byte_at_a_time)
{
        decode_check(&decode_cases[_i], 1, 1);
}
END_TEST

START_TEST(test_decode_split_everywhere)
{
        const struct decode_case *row = &decode_cases[_i];

        for (size_t split = 1; split < row->input.len; split++)
                decode_check(row, split, 0);
}
END_TEST

START_TEST(test_decode_after_end)
{
        struct dot_decoder d;
        char out[16];
        size_t consumed = 99;
        size_t out_len = 99;

        dot_decoder_init(&d);
        ck_assert_int_eq(dot_decode(&d, ".\r\n", 3, &consumed, out, &out_len), DOT_END);
        ck_assert_int_eq(dot_decode(&d, "x\r\n", 3, &consumed, out, &out_len), DOT_END);
        ck_assert_uint_eq(consumed, 0);
        ck_assert_uint_eq(out_len, 0);
}
END_TEST

/* RFC 5321 §4.5.3.1.6: 1000 octets with the CRLF is the longest text line,
 * "not counting the leading dot duplicated for transparency". Row _i: the
 * text length (of the decoded line), whether the line starts with a dot (so
 * the wire carries one more, stuffed), and whether it is too long. */
static const struct {
        size_t text_len;
        bool is_dot_line;
        bool is_long;
} long_line_cases[] = {
        { SMTP_TEXT_LINE_MAX - 2, false, false },
        { SMTP_TEXT_LINE_MAX - 1, false, true },
        { SMTP_TEXT_LINE_MAX + 500, false, true },
        { SMTP_TEXT_LINE_MAX - 2, true, false },
        { SMTP_TEXT_LINE_MAX - 1, true, true },
};

START_TEST(test_decode_long_line)
{
        size_t text_len = long_line_cases[_i].text_len;
        size_t stuffing = long_line_cases[_i].is_dot_line ? 1 : 0;
        char *input = malloc(text_len + stuffing + 16);
        struct bytes bytes;

        ck_assert_ptr_nonnull(input);
        memset(input, 'x', text_len + stuffing);
        if (stuffing)
                memcpy(input, "..", 2);
        memcpy(input + stuffing + text_len, "\r\nshort\r\n.\r\n", 12);
        bytes.data = input;
        bytes.len = stuffing + text_len + 12;
        for (size_t step = 0; step <= 1; step++) {
                struct decode_result r;

                decode_in_chunks(&bytes, step, step, &r);
                ck_assert(r.ends);
                ck_assert_uint_eq(r.output_len, text_len + 7);
                ck_assert(r.decoder.long_line_seen == long_line_cases[_i].is_long);
                ck_assert(!r.decoder.bare_line_ending_seen);
                free(r.output);
        }
        free(input);
}
END_TEST

/* ---- Encoder ---- */

struct encode_case {
        const char *name;
        struct bytes input;
        long top;            /* body_lines_max: -1 for RETR */
        struct bytes output; /* with the terminator */
};

static const struct encode_case encode_cases[] = {
        { .name = "retr", .input = B("Subject: x\n\nbody\n"), .top = -1,
          .output = B("Subject: x\r\n\r\nbody\r\n.\r\n") },
        { .name = "no final newline", .input = B("Subject: x\n\nbody"), .top = -1,
          .output = B("Subject: x\r\n\r\nbody\r\n.\r\n") },
        { .name = "dot lines", .input = B("a\n.\n..x\n"), .top = -1,
          .output = B("a\r\n..\r\n...x\r\n.\r\n") },
        { .name = "dot first", .input = B(".\n"), .top = -1, .output = B("..\r\n.\r\n") },
        { .name = "dot only, no newline", .input = B("."), .top = -1, .output = B("..\r\n.\r\n") },
        { .name = "crlf input", .input = B("a\r\nb\r\n"), .top = -1,
          .output = B("a\r\nb\r\n.\r\n") },
        { .name = "mixed input", .input = B("a\r\nb\nc"), .top = -1,
          .output = B("a\r\nb\r\nc\r\n.\r\n") },
        { .name = "empty", .input = B(""), .top = -1, .output = B(".\r\n") },
        { .name = "bare cr kept", .input = B("a\rb\n"), .top = -1, .output = B("a\rb\r\n.\r\n") },
        { .name = "final cr", .input = B("a\r"), .top = -1, .output = B("a\r\r\n.\r\n") },
        { .name = "cr then dot", .input = B("\r.\n"), .top = -1, .output = B("\r.\r\n.\r\n") },
        /* RFC 1939 §7: header, blank line, then n body lines. */
        { .name = "top 0", .input = B("H: 1\nH: 2\n\nl1\nl2\n"), .top = 0,
          .output = B("H: 1\r\nH: 2\r\n\r\n.\r\n") },
        { .name = "top 1", .input = B("H: 1\nH: 2\n\nl1\nl2\n"), .top = 1,
          .output = B("H: 1\r\nH: 2\r\n\r\nl1\r\n.\r\n") },
        { .name = "top more than lines", .input = B("H: 1\n\nl1\nl2\n"), .top = 5,
          .output = B("H: 1\r\n\r\nl1\r\nl2\r\n.\r\n") },
        { .name = "top crlf input", .input = B("H: 1\r\n\r\nl1\r\nl2\r\n"), .top = 1,
          .output = B("H: 1\r\n\r\nl1\r\n.\r\n") },
        { .name = "top no final newline", .input = B("H\n\nl1\nl2"), .top = 2,
          .output = B("H\r\n\r\nl1\r\nl2\r\n.\r\n") },
        { .name = "top stuffed body", .input = B("H\n\n.l1\nl2\n"), .top = 1,
          .output = B("H\r\n\r\n..l1\r\n.\r\n") },
        { .name = "top header only", .input = B("H: 1\nH: 2"), .top = 0,
          .output = B("H: 1\r\nH: 2\r\n.\r\n") },
        { .name = "top empty body lines", .input = B("H\n\n\n\nx\n"), .top = 2,
          .output = B("H\r\n\r\n\r\n\r\n.\r\n") },
        { .name = "top 0 no header", .input = B("\nbody\n"), .top = 0, .output = B("\r\n.\r\n") },
};

#define ENCODE_CASES (sizeof(encode_cases) / sizeof(encode_cases[0]))

/* Encode in chunks (as decode_in_chunks); returns a malloc'ed output. */
static char *encode_in_chunks(const struct bytes *input, long top, size_t first, size_t step,
                              size_t *len_out)
{
        struct dot_encoder e;
        char *output = malloc(input->len * 2 + 16);
        size_t output_len = 0;
        size_t pos = 0;
        size_t chunk_number = 0;

        ck_assert_ptr_nonnull(output);
        dot_encoder_init(&e, top);
        while (pos < input->len) {
                size_t want = chunk_number++ == 0 ? first : step;
                size_t left = input->len - pos;
                size_t len = (want == 0 || want > left) ? left : want;
                char *out = malloc(2 * len + 2 + GUARD);
                size_t n;

                ck_assert_ptr_nonnull(out);
                memset(out, 'Z', 2 * len + 2 + GUARD);
                n = dot_encode(&e, input->data + pos, len, out);
                ck_assert_uint_le(n, 2 * len + 2);
                for (size_t g = 2 * len + 2; g < 2 * len + 2 + GUARD; g++)
                        ck_assert_int_eq(out[g], 'Z');
                memcpy(output + output_len, out, n);
                output_len += n;
                free(out);
                pos += len;
        }
        output_len += dot_encode_finish(&e, output + output_len);
        *len_out = output_len;
        return output;
}

static void encode_check(const struct encode_case *row, size_t first, size_t step)
{
        size_t len;
        char *output = encode_in_chunks(&row->input, row->top, first, step, &len);

        ck_assert_msg(len == row->output.len && memcmp(output, row->output.data, len) == 0,
                      "%s (first %zu, step %zu): got %zu bytes \"%.*s\"", row->name, first,
                      step, len, (int)len, output);
        free(output);
}

START_TEST(test_encode_whole)
{
        encode_check(&encode_cases[_i], 0, 0);
}
END_TEST

START_TEST(test_encode_byte_at_a_time)
{
        encode_check(&encode_cases[_i], 1, 1);
}
END_TEST

START_TEST(test_encode_split_everywhere)
{
        const struct encode_case *row = &encode_cases[_i];

        for (size_t split = 1; split < row->input.len; split++)
                encode_check(row, split, 0);
}
END_TEST

START_TEST(test_encode_finish_room)
{
        struct dot_encoder e;
        char out[8 + GUARD];

        /* dot.h: finish needs at most 8 bytes; the worst case is a held CR. */
        memset(out, 'Z', sizeof(out));
        dot_encoder_init(&e, -1);
        ck_assert_uint_eq(dot_encode(&e, "x\r", 2, out), 1);
        ck_assert_uint_le(dot_encode_finish(&e, out), 8);
        for (size_t g = 8; g < sizeof(out); g++)
                ck_assert_int_eq(out[g], 'Z');
}
END_TEST

/* ---- Properties with a fixed seed ---- */

static uint32_t prng_next(uint32_t *state)
{
        /* xorshift32: reproducible everywhere, unlike rand(). */
        uint32_t x = *state;

        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *state = x;
        return x;
}

static size_t random_message(uint32_t *seed, const char *alphabet, char *buffer, size_t max)
{
        size_t len = prng_next(seed) % max;
        size_t symbols = strlen(alphabet);

        for (size_t i = 0; i < len; i++)
                buffer[i] = alphabet[prng_next(seed) % symbols];
        return len;
}

/* Stuffing dots in an encoded RETR: a "." at the start of an output line
 * (the terminator excluded) is always the added one. */
static size_t count_stuffing(const char *out, size_t len)
{
        size_t count = 0;

        for (size_t i = 0; i + 3 < len; i++) {
                if (out[i] == '.' && (i == 0 || out[i - 1] == '\n'))
                        count++;
        }
        return count;
}

/* RFC 1939 §5: LIST and STAT report what RETR sends, minus the stuffing
 * and the terminator. */
START_TEST(test_wire_size_matches_encoder)
{
        uint32_t seed = 0x5eed1939u;
        char message[300];

        for (int round = 0; round < 2000; round++) {
                struct bytes input;
                struct dot_wire_size w = { 0 };
                size_t len;
                size_t step = 1 + prng_next(&seed) % 7;
                char *out;

                input.len = random_message(&seed, "ab.\r\n\n", message, sizeof(message));
                input.data = message;
                out = encode_in_chunks(&input, -1, step, step, &len);
                for (size_t pos = 0; pos < input.len; pos += step)
                        dot_wire_size_add(&w, message + pos,
                                          input.len - pos < step ? input.len - pos : step);
                ck_assert_uint_eq(dot_wire_size_total(&w), len - 3 - count_stuffing(out, len));
                free(out);
        }
}
END_TEST

/* What the encoder sends, the decoder reads back: the stored message with
 * a final LF added if it lacked one. */
START_TEST(test_encode_decode_round_trip)
{
        uint32_t seed = 0x00c0ffeeu;
        char message[300];

        for (int round = 0; round < 2000; round++) {
                struct bytes input;
                struct decode_result r;
                size_t len;
                char *wire;

                input.len = random_message(&seed, "ab..\n", message, sizeof(message));
                input.data = message;
                wire = encode_in_chunks(&input, -1, 0, 0, &len);
                struct bytes encoded = { wire, len };
                decode_in_chunks(&encoded, 3, 5, &r);
                ck_assert(r.ends);
                ck_assert_uint_eq(r.consumed, len);
                ck_assert(!r.decoder.bare_line_ending_seen);
                bool add_lf = input.len > 0 && message[input.len - 1] != '\n';
                ck_assert_uint_eq(r.output_len, input.len + (add_lf ? 1 : 0));
                ck_assert(memcmp(r.output, message, input.len) == 0);
                if (add_lf)
                        ck_assert_int_eq(r.output[input.len], '\n');
                free(r.output);
                free(wire);
        }
}
END_TEST

Suite *dot_suite(void)
{
        Suite *suite = suite_create("dot");
        TCase *decode = tcase_create("decode");
        TCase *encode = tcase_create("encode");
        TCase *property = tcase_create("property");

        tcase_add_loop_test(decode, test_decode_whole, 0, (int)DECODE_CASES);
        tcase_add_loop_test(decode, test_decode_byte_at_a_time, 0, (int)DECODE_CASES);
        tcase_add_loop_test(decode, test_decode_split_everywhere, 0, (int)DECODE_CASES);
        tcase_add_test(decode, test_decode_after_end);
        tcase_add_loop_test(decode, test_decode_long_line, 0,
                            (int)(sizeof(long_line_cases) / sizeof(long_line_cases[0])));
        suite_add_tcase(suite, decode);

        tcase_add_loop_test(encode, test_encode_whole, 0, (int)ENCODE_CASES);
        tcase_add_loop_test(encode, test_encode_byte_at_a_time, 0, (int)ENCODE_CASES);
        tcase_add_loop_test(encode, test_encode_split_everywhere, 0, (int)ENCODE_CASES);
        tcase_add_test(encode, test_encode_finish_room);
        suite_add_tcase(suite, encode);

        tcase_set_timeout(property, 60);
        tcase_add_test(property, test_wire_size_matches_encoder);
        tcase_add_test(property, test_encode_decode_round_trip);
        suite_add_tcase(suite, property);
        return suite;
}
