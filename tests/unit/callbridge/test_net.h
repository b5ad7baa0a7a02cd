/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test peers for the call bridge's unit tests, all on loopback or a Unix
 * socket in a temporary directory: a fake mmpd that answers service_login
 * from a fixed table, and a raw HTTP client with bounded waits.
 */
#ifndef CB_TEST_NET_H
#define CB_TEST_NET_H

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/ipc.h"

/* --- the fake mmpd --- */

struct fake_user {
	const char *user, *password, *role;
};

struct fake_mmpd {
	char dir[32], path[64];
	int fd;
	pthread_t th;
	const struct fake_user *users;
	int calls;	    /* service_login requests seen */
	int bad_requests;   /* requests not shaped as the brief says */
	char last_from[64];
	pthread_mutex_t mu;
};

static void *fake_mmpd_run(void *arg)
{
	struct fake_mmpd *m = arg;

	for (;;) {
		int c = accept(m->fd, NULL, NULL);
		json_object *req = NULL, *reply, *v;
		const char *u = NULL, *p = NULL, *role = NULL;

		if (c < 0)
			break;
		reply = json_object_new_object();
		if (cv_ipc_read(c, &req) == 0) {
			pthread_mutex_lock(&m->mu);
			m->calls++;
			if (!json_object_object_get_ex(req, "op", &v) ||
			    strcmp(json_object_get_string(v), "service_login") != 0)
				m->bad_requests++;
			if (json_object_object_get_ex(req, "user", &v))
				u = json_object_get_string(v);
			if (json_object_object_get_ex(req, "password", &v))
				p = json_object_get_string(v);
			if (json_object_object_get_ex(req, "from", &v))
				snprintf(m->last_from, sizeof(m->last_from), "%s",
					 json_object_get_string(v));
			else
				m->bad_requests++;
			pthread_mutex_unlock(&m->mu);
			for (const struct fake_user *f = m->users; u && p && f->user; f++)
				if (!strcmp(f->user, u) && !strcmp(f->password, p))
					role = f->role;
			json_object_object_add(reply, "status", json_object_new_int(role ? 0 : 1));
			if (role)
				json_object_object_add(reply, "role", json_object_new_string(role));
			else
				json_object_object_add(reply, "output",
						       json_object_new_string("login refused"));
			cv_ipc_write(c, reply);
		}
		json_object_put(req);
		json_object_put(reply);
		close(c);
	}
	return NULL;
}

static inline int fake_mmpd_start(struct fake_mmpd *m, const struct fake_user *users)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->mu, NULL);
	m->users = users;
	snprintf(m->dir, sizeof(m->dir), "/tmp/cbtest.XXXXXX");
	if (!mkdtemp(m->dir))
		return -errno;
	snprintf(m->path, sizeof(m->path), "%s/mmpd.sock", m->dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", m->path);
	m->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (m->fd < 0 || bind(m->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(m->fd, 64) < 0)
		return -errno;
	return -pthread_create(&m->th, NULL, fake_mmpd_run, m);
}

static inline int fake_mmpd_calls(struct fake_mmpd *m)
{
	int n;

	pthread_mutex_lock(&m->mu);
	n = m->calls;
	pthread_mutex_unlock(&m->mu);
	return n;
}

static inline void fake_mmpd_stop(struct fake_mmpd *m)
{
	shutdown(m->fd, SHUT_RDWR);
	pthread_join(m->th, NULL);
	close(m->fd);
	unlink(m->path);
	rmdir(m->dir);
}

/* --- a raw HTTP client --- */

/* Connects to 127.0.0.1:port with 10 s send and receive timeouts. */
static inline int http_connect(unsigned port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static inline int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one response (headers and a Content-Length body) into buf; returns
 * the status, 0 on a clean close before any byte, -1 on error or timeout. */
static inline int http_read(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	char *hend = NULL;
	long clen = -1;

	buf[0] = '\0';
	for (;;) {
		ssize_t n;

		if (hend) {
			size_t have = len - (size_t)(hend + 4 - buf);

			if (clen >= 0 && have >= (size_t)clen)
				break;
		}
		if (len + 1 >= cap)
			return -1;
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0)
			return -1;
		if (n == 0) {
			if (!len)
				return 0;
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (!hend && (hend = strstr(buf, "\r\n\r\n"))) {
			char *cl = strcasestr(buf, "\r\nContent-Length:");

			clen = cl && cl < hend ? strtol(cl + 17, NULL, 10) : 0;
		}
	}
	if (strncmp(buf, "HTTP/1.", 7) != 0)
		return -1;
	return (int)strtol(buf + 9, NULL, 10);
}

/* One request on a fresh connection; the response is in buf. */
static inline int http_once(unsigned port, const char *request, size_t len, char *buf, size_t cap)
{
	int fd = http_connect(port), st;

	if (fd < 0)
		return -1;
	if (send_all(fd, request, len) < 0) {
		close(fd);
		return -1;
	}
	st = http_read(fd, buf, cap);
	close(fd);
	return st;
}

#endif
