/* SPDX-License-Identifier: MIT
 *
 * limits.h - every protocol limit, timeout and tunable in one place.
 *
 * xv6 keeps its tunables in param.h and popa3d in params.h; we do the same so
 * that a student can see at a glance what the server refuses and why. Each
 * constant names the RFC sentence it comes from. Values a deployment may want
 * to change are only the defaults: common/config.c reads the real values.
 *
 * Standards:  RFC 5321 §4.5.3.1, RFC 5321 §4.5.3.2, RFC 1939 §3, RFC 2449 §4
 */
#ifndef COMMON_LIMITS_H
#define COMMON_LIMITS_H

/* ---- SMTP sizes (RFC 5321 §4.5.3.1) ---- */

/* RFC 5321 §4.5.3.1.1 (MUST): "The maximum total length of a user name or
 * other local-part is 64 octets." */
#define SMTP_LOCAL_PART_MAX 64
/* RFC 5321 §4.5.3.1.2 (MUST): "255 octets" for a domain name or number. */
#define SMTP_DOMAIN_MAX 255
/* RFC 5321 §4.5.3.1.3 (MUST): a path, "<" and ">" included, is at most 256. */
#define SMTP_PATH_MAX 256
/* RFC 5321 §4.5.3.1.4 (MUST): a command line is 512 octets, CRLF included. */
#define SMTP_COMMAND_LINE_MAX 512
/* RFC 5321 §4.5.3.1.6 (MUST): a text line is 1000 octets, CRLF included. */
#define SMTP_TEXT_LINE_MAX 1000
/* RFC 5321 §4.5.3.1.8 (MUST): accept at least 100 recipients. */
#define SMTP_RECIPIENTS_MIN 100
#define SMTP_RECIPIENTS_DEFAULT 100
/* RFC 4954 §4: an AUTH line carries a base64 initial response; 12288 octets
 * leave room for any response our mechanisms accept (RFC 4954 §4 raises the
 * 512-octet limit for AUTH and its continuation lines). */
#define SASL_LINE_MAX 12288
/* Default for max_message_size, advertised with SIZE (RFC 1870 §4). */
#define SMTP_MESSAGE_SIZE_DEFAULT 10485760UL
/* Errors tolerated in one session before 421 4.7.0 and close (Postfix's
 * smtpd_hard_error_limit idea). */
#define SMTP_ERRORS_MAX_DEFAULT 20

/* ---- Timeouts (seconds) ---- */

/* RFC 5321 §4.5.3.2.7 (SHOULD): wait for the next command at least 5 minutes. */
#define SMTP_COMMAND_TIMEOUT_DEFAULT 300
/* RFC 5321 §4.5.3.2.6 (SHOULD): 10 minutes between DATA blocks. */
#define SMTP_DATA_TIMEOUT_DEFAULT 600
/* RFC 1939 §3 (MUST): an inactivity timer of at least 10 minutes. */
#define POP3_IDLE_TIMEOUT_DEFAULT 600
/* After SIGTERM, sessions busy with a command get this long to finish. */
#define SERVER_SHUTDOWN_GRACE_SECONDS 5

/* ---- POP3 sizes ---- */

/* RFC 1939 §3: "Keywords and arguments ... each argument may be up to 40
 * characters long." */
#define POP3_ARGUMENT_MAX 40
/* RFC 2449 §4 (MUST): command lines up to 255 octets including CRLF. */
#define POP3_COMMAND_LINE_MAX 255
/* RFC 2449 §4: responses may be up to 512 octets including CRLF. */
#define POP3_RESPONSE_LINE_MAX 512
/* Failed logins before the connection is closed. */
#define POP3_AUTH_FAILURES_MAX_DEFAULT 3

/* ---- Authentication (both daemons) ---- */

/* Delay after each failed login: slows guessing; only the session's own
 * thread sleeps. */
#define AUTH_FAILURE_DELAY_MS_DEFAULT 1000
/* SMTP sessions are closed with 421 4.7.0 after this many failed AUTHs. */
#define SMTP_AUTH_FAILURES_MAX_DEFAULT 3
/* Longest user name and secret we store (users file, SASL). */
#define USER_NAME_MAX 64
#define USER_SECRET_MAX 256

/* ---- Process ---- */

#define SERVER_MAX_CONNECTIONS_DEFAULT 1000
/* Stack of each session thread: buffers live in the heap-allocated session,
 * so the stack needs little; crypt(3) is the deepest caller. Keep the paths
 * every session runs within about 16 KiB of the top: at thread exit glibc
 * hands all but the top PTHREAD_STACK_MIN back to the kernel (madvise), and
 * each deeper page a session touched costs a TLB flush at exit and a page
 * fault in the next session (see the heap buffers in maildir/). */
#define SERVER_THREAD_STACK_SIZE (256 * 1024)
#define SERVER_LISTENERS_MAX 8
/* Connection I/O buffers (common/conn). The input buffer must hold the
 * longest line any state accepts (SASL_LINE_MAX) plus slack. */
#define CONN_INPUT_BUFFER_SIZE (SASL_LINE_MAX + 1024)
#define CONN_OUTPUT_BUFFER_SIZE 16384

/* ---- Maildir ---- */

/* qmail's rule: a tmp/ file untouched for 36 hours is garbage. */
#define MAILDIR_TMP_MAX_AGE_SECONDS (36 * 60 * 60)

#endif
