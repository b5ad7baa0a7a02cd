// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fw_probe: the traffic peer of tests/integration/firewall.sh. Test-only,
 * never installed.
 *
 *   fw_probe listen ADDR PORT[/udp]...
 *       binds TCP listeners (and UDP sockets for PORT/udp) on ADDR, prints
 *       "READY" once all are bound, and answers every TCP connection and
 *       every UDP datagram with "ok <port>\n" until SIGTERM.
 *   fw_probe connect [--from SRC] ADDR PORT[/udp] TIMEOUT_MS
 *       connects (TCP) or sends a datagram (UDP) from SRC (any when not
 *       given), and waits at most TIMEOUT_MS for the answer. Prints "open",
 *       "refused" or "timeout" and exits 0 for open, 1 otherwise.
 *
 * The timeout bounds the wait only; no test asserts anything about time.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 16

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: fw_probe listen ADDR PORT[/udp]...\n"
			"       fw_probe connect [--from SRC] ADDR PORT[/udp] TIMEOUT_MS\n");
	return 2;
}

/* "PORT" or "PORT/udp" (also "PORT/tcp"). */
static int parse_port(const char *s, uint16_t *ret_port, bool *ret_udp)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v < 1 || v > 65535)
		return -1;
	if (*end == '\0' || strcmp(end, "/tcp") == 0)
		*ret_udp = false;
	else if (strcmp(end, "/udp") == 0)
		*ret_udp = true;
	else
		return -1;
	*ret_port = (uint16_t)v;
	return 0;
}

static int parse_addr(const char *s, struct sockaddr_in *sa, uint16_t port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	return inet_pton(AF_INET, s, &sa->sin_addr) == 1 ? 0 : -1;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int do_listen(int argc, char **argv)
{
	struct pollfd pfd[MAX_PORTS];
	uint16_t ports[MAX_PORTS];
	bool udp[MAX_PORTS];
	int n = 0, one = 1;
	struct sigaction sa = {.sa_handler = on_term};

	if (argc < 2 || argc - 1 > MAX_PORTS)
		return usage();
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 1; i < argc; i++, n++) {
		struct sockaddr_in addr;
		int fd;

		if (parse_port(argv[i], &ports[n], &udp[n]) < 0 ||
		    parse_addr(argv[0], &addr, ports[n]) < 0)
			return usage();
		fd = socket(AF_INET, (udp[n] ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			perror("fw_probe: socket");
			return 1;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
		    (!udp[n] && listen(fd, 16) < 0)) {
			fprintf(stderr, "fw_probe: bind %s:%s: %s\n", argv[0], argv[i],
				strerror(errno));
			return 1;
		}
		pfd[n] = (struct pollfd){.fd = fd, .events = POLLIN};
	}
	printf("READY\n");
	fflush(stdout);
	while (!stop) {
		int r = poll(pfd, (nfds_t)n, 1000);

		if (r < 0 && errno != EINTR)
			return 1;
		for (int i = 0; r > 0 && i < n; i++) {
			char msg[32], buf[64];
			int len;

			if (!(pfd[i].revents & POLLIN))
				continue;
			len = snprintf(msg, sizeof(msg), "ok %u\n", ports[i]);
			if (udp[i]) {
				struct sockaddr_in from;
				socklen_t fl = sizeof(from);

				if (recvfrom(pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT,
					     (struct sockaddr *)&from, &fl) >= 0)
					sendto(pfd[i].fd, msg, (size_t)len, 0,
					       (struct sockaddr *)&from, fl);
			} else {
				int c = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC);

				if (c >= 0) {
					if (write(c, msg, (size_t)len) < 0) {
						/* the peer went away: nothing to do */
					}
					close(c);
				}
			}
		}
	}
	return 0;
}

static int do_connect(int argc, char **argv)
{
	const char *from = NULL;
	struct sockaddr_in dst, src;
	uint16_t port;
	bool udp;
	long timeout, deadline;
	char *end, buf[64];
	int fd, r;
	const char *result = "timeout";

	if (argc >= 2 && strcmp(argv[0], "--from") == 0) {
		from = argv[1];
		argc -= 2;
		argv += 2;
	}
	if (argc != 3 || parse_port(argv[1], &port, &udp) < 0 ||
	    parse_addr(argv[0], &dst, port) < 0)
		return usage();
	timeout = strtol(argv[2], &end, 10);
	if (*end || timeout < 1 || timeout > 60000)
		return usage();
	fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		perror("fw_probe: socket");
		return 2;
	}
	if (from) {
		if (parse_addr(from, &src, 0) < 0)
			return usage();
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
			fprintf(stderr, "fw_probe: bind %s: %s\n", from, strerror(errno));
			return 2;
		}
	}
	deadline = now_ms() + timeout;
	r = connect(fd, (struct sockaddr *)&dst, sizeof(dst));
	if (r < 0 && errno != EINPROGRESS) {
		result = errno == ECONNREFUSED ? "refused" : "timeout";
		goto out;
	}
	if (udp) {
		/* A few tries inside the timeout: a datagram may be lost. */
		long next_send = 0;

		while (now_ms() < deadline) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			long left = deadline - now_ms();

			if (now_ms() >= next_send) {
				if (send(fd, "ping", 4, 0) < 0 && errno == ECONNREFUSED) {
					result = "refused";
					goto out;
				}
				next_send = now_ms() + 300;
			}
			if (poll(&p, 1, (int)(left < 300 ? left : 300)) > 0) {
				ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

				if (n > 0) {
					result = "open";
					goto out;
				}
				if (n < 0 && errno == ECONNREFUSED) {
					result = "refused";
					goto out;
				}
			}
		}
		goto out;
	}
	while (now_ms() < deadline) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, (int)(deadline - now_ms())) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			result = "open";
			break;
		}
		if (n < 0 && errno == ECONNREFUSED) {
			result = "refused";
			break;
		}
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			result = "refused";
			break;
		}
	}
out:
	close(fd);
	printf("%s\n", result);
	return strcmp(result, "open") == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "listen") == 0)
		return do_listen(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "connect") == 0)
		return do_connect(argc - 2, argv + 2);
	return usage();
}
