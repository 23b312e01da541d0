/* SPDX-License-Identifier: MIT
 *
 * check_server.c - unit tests for the per-connection socket set-up in
 * common/server.c.
 *
 * A loopback TCP pair is made by hand (listen on 127.0.0.1 port 0, connect,
 * accept), so the test sees exactly the kind of socket the accept loop
 * hands to a session. The accept loop itself, the connection cap and
 * shutdown are exercised against the real daemons in tests/integration.
 *
 * Standards:  RFC 1122 §4.2.3.4
 * Threads:    Check's fork mode; one process per test.
 * Read next:  common/server.c.
 */
#include <check.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/server.h"

/* Connect to a fresh loopback listener; returns the accepted end and puts
 * the client end in *client. */
static int accepted_loopback_socket(int *client)
{
        struct sockaddr_in address = { .sin_family = AF_INET };
        socklen_t length = sizeof address;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

        int listener = socket(AF_INET, SOCK_STREAM, 0);
        ck_assert_int_ge(listener, 0);
        ck_assert_int_eq(bind(listener, (struct sockaddr *)&address, sizeof address), 0);
        ck_assert_int_eq(listen(listener, 1), 0);
        ck_assert_int_eq(getsockname(listener, (struct sockaddr *)&address, &length), 0);
        *client = socket(AF_INET, SOCK_STREAM, 0);
        ck_assert_int_ge(*client, 0);
        ck_assert_int_eq(connect(*client, (struct sockaddr *)&address, sizeof address), 0);
        int accepted = accept(listener, NULL, NULL);
        ck_assert_int_ge(accepted, 0);
        close(listener);
        return accepted;
}

static int nodelay(int fd)
{
        int value = -1;
        socklen_t length = sizeof value;
        ck_assert_int_eq(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &length), 0);
        return value;
}

/* Long multi-line responses must not wait for the client's delayed ACK. */
START_TEST(test_accepted_connection_has_nagle_off)
{
        int client;
        int fd = accepted_loopback_socket(&client);

        ck_assert_int_eq(nodelay(fd), 0);       /* the kernel's default: Nagle on */
        ck_assert(server_tune_connection(fd));
        ck_assert_int_ne(nodelay(fd), 0);
        close(fd);
        close(client);
}
END_TEST

/* A socket that is not TCP is reported, not a crash or a silent success. */
START_TEST(test_tune_reports_a_socket_that_is_not_tcp)
{
        int pair[2];

        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
        ck_assert(!server_tune_connection(pair[0]));
        close(pair[0]);
        close(pair[1]);
        ck_assert(!server_tune_connection(-1));
}
END_TEST

Suite *server_suite(void)
{
        Suite *suite = suite_create("server");
        TCase *tcase = tcase_create("connection");

        tcase_add_test(tcase, test_accepted_connection_has_nagle_off);
        tcase_add_test(tcase, test_tune_reports_a_socket_that_is_not_tcp);
        suite_add_tcase(suite, tcase);
        return suite;
}
