/* SPDX-License-Identifier: MIT
 *
 * interop.h - what the interoperability suites share: running a client
 * program with a time limit, a recording relay between client and daemon,
 * parsers that pull the messages out of the recorded SMTP and POP3 bytes,
 * and the byte transformations a stored message goes through (LF in the
 * Maildir, CRLF and dot-stuffing on the wire).
 *
 * The point of the suite is that nobody here wrote the clients. So every
 * check compares three independent things: what the client put on the wire
 * (recorded by the relay), what the Maildir holds, and what a client fetched.
 */
#ifndef TESTS_INTEROP_INTEROP_H
#define TESTS_INTEROP_INTEROP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tests/support/harness.h"

/* Every interop test case gets this much time (Check's timeout, seconds). */
#define INTEROP_TIMEOUT 120
/* A single client run is killed after this many seconds. */
#define INTEROP_CLIENT_SECONDS 60

/* ---- growing byte buffers ---- */

struct interop_buffer {
        char *data;      /* NUL-terminated for convenience; may contain NULs */
        size_t len;
        size_t cap;
};

void interop_buffer_append(struct interop_buffer *b, const void *data, size_t len);
void interop_buffer_free(struct interop_buffer *b);
bool interop_contains(const void *haystack, size_t len, const char *needle);

/* ---- files ---- */

int interop_write_file(const char *path, const void *data, size_t len);
/* The whole file, malloc'd and NUL-terminated; NULL if it cannot be read. */
char *interop_read_file(const char *path, size_t *len_out);
/* Remove every file in <root>/<user>/{new,cur,tmp} of the three harness users. */
void interop_clear_maildirs(const char *mail_root);

/* ---- running clients ---- */

struct interop_result {
        int status;              /* exit code; -1 could not start; -2 killed (time limit);
                                  * 128 + n for signal n */
        char *output;            /* stdout and stderr interleaved, NUL-terminated */
        size_t output_len;
};

/* True when program is found in PATH (executable). */
bool interop_have_program(const char *program);

/* Fail the current test with the one command that installs program. */
#define INTEROP_REQUIRE(program)                                                        \
        ck_assert_msg(interop_have_program(program),                                   \
                      "client \"%s\" is not installed; `make check` installs it, or "  \
                      "run: sh tests/tools/deps.sh", program)

/* Run argv[0] (searched in PATH) with stdin from stdin_path (NULL: /dev/null)
 * and HOME set to home (NULL: unchanged), in its own process group, killed
 * after seconds. Output is capped at 16 MiB (the rest is drained). Returns
 * result->status. */
int interop_run(const char *const argv[], const char *stdin_path, const char *home,
                unsigned seconds, struct interop_result *result_out);
void interop_result_free(struct interop_result *result);
/* The output's last max_len bytes, for failure messages (static storage). */
const char *interop_tail(const struct interop_result *result, size_t max_len);

/* Path of tests/interop/py/<name> in the source tree, written to buf[size];
 * returns buf. */
const char *interop_script(const char *name, char *buf, size_t size);

/* ---- byte transformations ---- */

/* CRLF -> LF (a lone CR or LF is copied as it is). */
void interop_crlf_to_lf(const char *in, size_t len, struct interop_buffer *out);
/* LF -> CRLF, as POP3 sends a stored message (RFC 1939 §3); a final line
 * without LF gets CRLF. */
void interop_lf_to_crlf(const char *in, size_t len, struct interop_buffer *out);
/* LF -> CRLF and a leading "." doubled on every line (RFC 1939 §3): the body
 * of a RETR response as it must appear on the wire, without the final ".". */
void interop_pop3_encode(const char *in, size_t len, struct interop_buffer *out);

/* RFC 5321 §4.4: a stored message starts with "Return-Path: <sender>" and a
 * Received: field (possibly folded). Sets *offset_out to the first byte after
 * them and returns true; false (with the reason in why) when they are not
 * there or the Return-Path differs from "<return_path>". */
bool interop_trace_end(const char *stored, size_t len, const char *return_path,
                       size_t *offset_out, char *why, size_t why_size);

/* True when a and b are the same bytes; otherwise why describes the first
 * difference (offset, lengths, escaped context). */
bool interop_same(const char *a, size_t a_len, const char *b, size_t b_len,
                  char *why, size_t why_size);

/* ---- the recording relay ---- */

#define INTEROP_PROXY_CONNECTIONS 16

struct interop_stream {
        struct interop_buffer up;      /* client -> server */
        struct interop_buffer down;    /* server -> client */
};

/* Accepts on 127.0.0.1:port and connects each client to 127.0.0.1:target,
 * copying bytes both ways and recording them per connection. */
struct interop_proxy {
        int listen_fd;
        unsigned port;
        unsigned target;
        int wake[2];                   /* pipe: tells the thread to stop */
        pthread_t thread;
        bool running;
        /* LOCKING: none; the relay thread writes these, the test reads them
         * only after interop_proxy_stop() has joined the thread. */
        size_t connection_count;
        struct interop_stream streams[INTEROP_PROXY_CONNECTIONS];
};

int interop_proxy_start(struct interop_proxy *p, unsigned target_port);
/* Stop accepting, let open connections finish (up to 5 s), join the thread.
 * The recordings stay in p->streams until interop_proxy_free(). */
void interop_proxy_stop(struct interop_proxy *p);
void interop_proxy_free(struct interop_proxy *p);

/* ---- what the recordings contain ---- */

/* The messages a client sent after DATA in stream->up, each unstuffed and
 * with CRLF turned into LF: exactly what must follow the trace fields in the
 * Maildir (RFC 5321 §4.5.2). Returns how many were found (at most max). */
size_t interop_smtp_messages(const struct interop_buffer *up, struct interop_buffer out[],
                             size_t max);

/* One POP3 command and its reply, recovered from a recorded session. */
struct interop_pop3_exchange {
        char command[128];             /* as sent, without CRLF */
        char status[256];              /* the first reply line, without CRLF */
        bool is_multiline;             /* body holds the lines up to the "." */
        struct interop_buffer body;    /* raw, still byte-stuffed, CRLFs kept */
};

/* Pair the commands of up with the replies of down (RFC 1939 §3: multi-line
 * replies for CAPA, LIST and UIDL without argument, RETR, TOP; "+ "
 * continuations of AUTH take one client line). Returns the number of
 * exchanges (at most max); free each with interop_buffer_free(&x.body). */
size_t interop_pop3_exchanges(const struct interop_stream *stream,
                              struct interop_pop3_exchange out[], size_t max);

/* ---- the daemons ---- */

/* smtpd (MTA and submission listeners) and pop3d over one mail root. */
struct interop_world {
        struct harness smtp;
        struct harness pop3;
        bool smtp_started;
        bool pop3_started;
        char error[512];
};

/* Start smtpd, and pop3d on the same mail root, users and aliases when
 * with_pop3. Returns 0, or -1 with the reason in w->error. */
int interop_world_start(struct interop_world *w, bool with_pop3);
void interop_world_stop(struct interop_world *w);

/* "<smtpd's temporary root>/<name>": scratch files of the current test. */
const char *interop_path(const struct interop_world *w, const char *name, char *buf,
                         size_t size);

/* Store a message (LF line ends) into <mail_root>/<user>/new the way smtpd
 * does, through libmaildir; its unique name (the POP3 UIDL) goes to
 * unique_out[unique_size]. Returns 0 or -1. */
int interop_store(const struct interop_world *w, const char *user, const void *message,
                  size_t len, char *unique_out, size_t unique_size);

/* The one message in <user>/<sub> (the test fails if there is not exactly
 * one); the caller frees it. */
char *interop_stored(const struct interop_world *w, const char *user, const char *sub,
                     size_t *len_out);

/* The test fails unless <user>/new holds exactly one message that is
 * "Return-Path: <sender>", a Received: field, then expected[0..len)
 * byte for byte. what names the client in the failure message. Returns the
 * stored bytes (caller frees) and their length in *len_out. */
char *interop_check_stored(const struct interop_world *w, const char *user, const char *sender,
                           const char *expected, size_t len, const char *what,
                           size_t *len_out);

/* The test fails unless the relay recorded exactly one message (over all
 * its connections) and, unstuffed with LF line ends, it is expected[0..len). */
void interop_check_sent(const struct interop_proxy *p, const char *expected, size_t len,
                        const char *what);

/* True when some connection's client -> server bytes contain needle. */
bool interop_sent_contains(const struct interop_proxy *p, const char *needle);
/* True when some connection's server -> client bytes contain needle. */
bool interop_received_contains(const struct interop_proxy *p, const char *needle);

/* ---- a maildrop for the POP3 tests (interop_maildrop.c) ---- */

#define INTEROP_MAILDROP_SIZE 3

/* Three messages stored for one user through libmaildir, exactly as smtpd
 * stores them (LF): a plain one; one with dot lines, 8-bit octets and a
 * 998-octet line; one with twenty body lines for TOP. */
struct interop_maildrop {
        struct interop_buffer messages[INTEROP_MAILDROP_SIZE];
        char uids[INTEROP_MAILDROP_SIZE][256];
};

/* Empty the Maildirs, then store the three messages for user (the test
 * fails if that is impossible). */
void interop_maildrop_fill(struct interop_maildrop *m, const struct interop_world *w,
                           const char *user);
void interop_maildrop_free(struct interop_maildrop *m);
/* Which stored message has this UIDL (the test fails if none). */
size_t interop_maildrop_index(const struct interop_maildrop *m, const char *uid);
/* Message index with CRLF line ends: what RETR must deliver (RFC 1939 §3). */
void interop_maildrop_retr_form(const struct interop_maildrop *m, size_t index,
                                struct interop_buffer *out);
/* RFC 1939 §7: its header, the blank line and `lines` body lines, CRLF. */
void interop_maildrop_top_form(const struct interop_maildrop *m, size_t index, unsigned lines,
                               struct interop_buffer *out);
/* Messages in <user>/new and <user>/cur together. */
int interop_maildrop_count(const struct interop_world *w, const char *user);
/* True when a file of that unique name is in <user>/new or <user>/cur. */
bool interop_maildrop_has(const struct interop_world *w, const char *user, const char *uid);
/* Check every RETR the relay saw against the stored bytes (CRLF, stuffed);
 * uid_by_number[n] is the UIDL of message n. Returns how many were seen. */
size_t interop_maildrop_check_wire(const struct interop_maildrop *m,
                                   const struct interop_proxy *proxy,
                                   const char *const uid_by_number[], size_t numbers);

#endif
