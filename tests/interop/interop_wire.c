/* SPDX-License-Identifier: MIT
 *
 * interop_wire.c - a recording relay between a client and a daemon, and the
 * parsers that read the recordings back.
 *
 * The relay is the independent witness of the interop tests: it is not part
 * of any client and shares no code with the daemons, so "what the client
 * sent" and "what the server answered" are the bytes that crossed it. One
 * thread polls the listening socket and every open pair; each pair copies
 * client -> server and server -> client and appends what it copied to the
 * connection's recording. An end of file on one side is passed on as a
 * half-close (shutdown SHUT_WR), so QUIT and the server's close behave as
 * they would without the relay.
 *
 * The parsers are written from the RFCs, not from the daemons: SMTP data
 * runs from the line "DATA" to the line "." with leading dots removed
 * (RFC 5321 §4.5.2); POP3 multi-line replies run to the line "." and stay
 * stuffed here, so the tests can compare the stuffing too (RFC 1939 §3).
 *
 * Standards:  RFC 5321 §4.5.2, RFC 5321 §4.1.1.4, RFC 1939 §3, RFC 2449 §5, RFC 5034 §4
 * Threads:    one relay thread per proxy; the recordings are read only after
 *             interop_proxy_stop() has joined it.
 * Read next:  tests/interop/check_interop_smtp.c (how the recordings are used).
 */
#include "tests/interop/interop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* After interop_proxy_stop(), open connections get this long to end. */
#define PROXY_DRAIN_SECONDS 5

struct pair {
        int client;
        int server;
        bool client_done;      /* client sent EOF (or failed) */
        bool server_done;
        struct interop_stream *stream;
};

static int connect_loopback(unsigned port)
{
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
                return -1;
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
                close(fd);
                return -1;
        }
        return fd;
}

static bool send_all(int fd, const char *data, size_t len)
{
        while (len > 0) {
                ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return false;
                data += n;
                len -= (size_t)n;
        }
        return true;
}

static void pair_close(struct pair *p)
{
        close(p->client);
        close(p->server);
        p->client = -1;
        p->server = -1;
}

/* Copy what is readable on one side to the other and record it. Returns
 * false when the pair is finished. */
static bool pair_move(struct pair *p, bool from_client)
{
        char chunk[65536];
        int from = from_client ? p->client : p->server;
        int to = from_client ? p->server : p->client;
        ssize_t n = recv(from, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR)
                return true;
        if (n <= 0) {
                shutdown(to, SHUT_WR);
                if (from_client)
                        p->client_done = true;
                else
                        p->server_done = true;
                return !(p->client_done && p->server_done);
        }
        interop_buffer_append(from_client ? &p->stream->up : &p->stream->down, chunk,
                              (size_t)n);
        return send_all(to, chunk, (size_t)n);
}

static double now_seconds(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *proxy_thread(void *arg)
{
        struct interop_proxy *proxy = arg;
        struct pair pairs[INTEROP_PROXY_CONNECTIONS];
        size_t pair_count = 0;
        bool stopping = false;
        double deadline = 0;

        for (;;) {
                struct pollfd fds[2 + 2 * INTEROP_PROXY_CONNECTIONS];
                struct pair *owner[2 + 2 * INTEROP_PROXY_CONNECTIONS];
                size_t nfds = 0;
                size_t open_pairs = 0;

                fds[nfds].fd = proxy->wake[0];
                fds[nfds].events = POLLIN;
                owner[nfds++] = NULL;
                if (!stopping) {
                        fds[nfds].fd = proxy->listen_fd;
                        fds[nfds].events = POLLIN;
                        owner[nfds++] = NULL;
                }
                for (size_t i = 0; i < pair_count; i++) {
                        if (pairs[i].client < 0)
                                continue;
                        open_pairs++;
                        if (!pairs[i].client_done) {
                                fds[nfds] = (struct pollfd){ .fd = pairs[i].client,
                                                             .events = POLLIN };
                                owner[nfds++] = &pairs[i];
                        }
                        if (!pairs[i].server_done) {
                                fds[nfds] = (struct pollfd){ .fd = pairs[i].server,
                                                             .events = POLLIN };
                                owner[nfds++] = &pairs[i];
                        }
                }
                if (stopping && (open_pairs == 0 || now_seconds() > deadline))
                        break;
                if (poll(fds, nfds, 200) <= 0)
                        continue;
                for (size_t i = 0; i < nfds; i++) {
                        if (fds[i].revents == 0)
                                continue;
                        if (fds[i].fd == proxy->wake[0]) {
                                stopping = true;
                                deadline = now_seconds() + PROXY_DRAIN_SECONDS;
                                char byte;
                                (void)!read(proxy->wake[0], &byte, 1);
                        } else if (owner[i] == NULL) {
                                int client = accept(proxy->listen_fd, NULL, NULL);
                                if (client < 0)
                                        continue;
                                int server = connect_loopback(proxy->target);
                                if (server < 0 || pair_count == INTEROP_PROXY_CONNECTIONS) {
                                        close(client);
                                        if (server >= 0)
                                                close(server);
                                        continue;
                                }
                                pairs[pair_count] = (struct pair){
                                        .client = client, .server = server,
                                        .stream = &proxy->streams[pair_count] };
                                pair_count++;
                                proxy->connection_count = pair_count;
                        } else if (owner[i]->client >= 0) {
                                bool from_client = fds[i].fd == owner[i]->client;
                                if (!pair_move(owner[i], from_client))
                                        pair_close(owner[i]);
                        }
                }
        }
        for (size_t i = 0; i < pair_count; i++)
                if (pairs[i].client >= 0)
                        pair_close(&pairs[i]);
        return NULL;
}

int interop_proxy_start(struct interop_proxy *p, unsigned target_port)
{
        memset(p, 0, sizeof *p);
        p->target = target_port;
        p->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
        if (p->listen_fd < 0)
                return -1;
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = 0 };
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t sin_len = sizeof sin;
        if (bind(p->listen_fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
            listen(p->listen_fd, 16) != 0 ||
            getsockname(p->listen_fd, (struct sockaddr *)&sin, &sin_len) != 0 ||
            pipe(p->wake) != 0) {
                close(p->listen_fd);
                return -1;
        }
        p->port = ntohs(sin.sin_port);
        if (pthread_create(&p->thread, NULL, proxy_thread, p) != 0) {
                close(p->listen_fd);
                close(p->wake[0]);
                close(p->wake[1]);
                return -1;
        }
        p->running = true;
        return 0;
}

void interop_proxy_stop(struct interop_proxy *p)
{
        if (!p->running)
                return;
        (void)!write(p->wake[1], "x", 1);
        pthread_join(p->thread, NULL);
        close(p->listen_fd);
        close(p->wake[0]);
        close(p->wake[1]);
        p->running = false;
}

void interop_proxy_free(struct interop_proxy *p)
{
        interop_proxy_stop(p);
        for (size_t i = 0; i < INTEROP_PROXY_CONNECTIONS; i++) {
                interop_buffer_free(&p->streams[i].up);
                interop_buffer_free(&p->streams[i].down);
        }
}

/* ---- reading the recordings ---- */

/* The next line of b from *offset: sets *line and *len (without CR LF),
 * advances *offset past the LF. False at the end and for an unfinished
 * last line. */
static bool next_line(const struct interop_buffer *b, size_t *offset, const char **line,
                      size_t *len)
{
        if (b->data == NULL || *offset >= b->len)
                return false;
        const char *start = b->data + *offset;
        const char *lf = memchr(start, '\n', b->len - *offset);
        if (lf == NULL)
                return false;
        *line = start;
        *len = (size_t)(lf - start);
        if (*len > 0 && start[*len - 1] == '\r')
                (*len)--;
        *offset = (size_t)(lf - b->data) + 1;
        return true;
}

size_t interop_smtp_messages(const struct interop_buffer *up, struct interop_buffer out[],
                             size_t max)
{
        size_t count = 0;
        size_t offset = 0;
        bool in_data = false;
        struct interop_buffer current = { 0 };
        const char *line;
        size_t len;

        while (next_line(up, &offset, &line, &len)) {
                if (!in_data) {
                        /* RFC 5321 §4.1.1.4: "DATA" alone, in any case. */
                        if (len == 4 && strncasecmp(line, "DATA", 4) == 0) {
                                in_data = true;
                                interop_buffer_append(&current, "", 0);
                        }
                        continue;
                }
                if (len == 1 && line[0] == '.') {
                        if (count < max)
                                out[count++] = current;
                        else
                                interop_buffer_free(&current);
                        current = (struct interop_buffer){ 0 };
                        in_data = false;
                        continue;
                }
                /* RFC 5321 §4.5.2: the receiver deletes the first "." of a line. */
                size_t skip = len > 0 && line[0] == '.' ? 1 : 0;
                interop_buffer_append(&current, line + skip, len - skip);
                interop_buffer_append(&current, "\n", 1);
        }
        interop_buffer_free(&current);
        return count;
}

/* RFC 1939 §3 and RFC 2449 §5: the commands whose +OK starts a multi-line reply. */
static bool is_multiline_command(const char *command)
{
        char verb[8] = "";
        size_t i = 0;
        while (command[i] != '\0' && command[i] != ' ' && i < sizeof verb - 1) {
                verb[i] = command[i];
                i++;
        }
        verb[i] = '\0';
        bool has_argument = command[i] == ' ';
        if (strcasecmp(verb, "RETR") == 0 || strcasecmp(verb, "TOP") == 0 ||
            strcasecmp(verb, "CAPA") == 0)
                return true;
        return (strcasecmp(verb, "LIST") == 0 || strcasecmp(verb, "UIDL") == 0) &&
               !has_argument;
}

size_t interop_pop3_exchanges(const struct interop_stream *stream,
                              struct interop_pop3_exchange out[], size_t max)
{
        size_t up_offset = 0;
        size_t down_offset = 0;
        size_t count = 0;
        bool continuation = false;
        const char *line;
        size_t len;

        /* RFC 1939 §4: the greeting comes before any command. */
        if (!next_line(&stream->down, &down_offset, &line, &len))
                return 0;
        while (count < max && next_line(&stream->up, &up_offset, &line, &len)) {
                struct interop_pop3_exchange *x = &out[count];
                memset(x, 0, sizeof *x);
                snprintf(x->command, sizeof x->command, "%.*s", (int)len, line);
                /* RFC 5034 §4: after "+ " the client line is a SASL response. */
                bool is_response = continuation;
                if (!next_line(&stream->down, &down_offset, &line, &len))
                        break;
                snprintf(x->status, sizeof x->status, "%.*s", (int)len, line);
                count++;
                continuation = len >= 1 && line[0] == '+' && (len == 1 || line[1] == ' ');
                if (is_response || strncmp(x->status, "+OK", 3) != 0 ||
                    !is_multiline_command(x->command))
                        continue;
                x->is_multiline = true;
                interop_buffer_append(&x->body, "", 0);
                while (next_line(&stream->down, &down_offset, &line, &len)) {
                        if (len == 1 && line[0] == '.')
                                break;
                        /* Keep the line exactly as sent, CR LF included. */
                        size_t raw = (size_t)(stream->down.data + down_offset - line);
                        interop_buffer_append(&x->body, line, raw);
                }
        }
        return count;
}
