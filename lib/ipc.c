// SPDX-License-Identifier: GPL-2.0-or-later
/* Length-prefixed JSON framing for the mmp <-> mmpd socket. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"
#include "mem.h"

char *cv_ipc_encode(json_object *msg, size_t *ret_len)
{
	size_t n;
	const char *s = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &n);
	char *frame = xmalloc(n + 4);

	frame[0] = (char)((n >> 24) & 0xff);
	frame[1] = (char)((n >> 16) & 0xff);
	frame[2] = (char)((n >> 8) & 0xff);
	frame[3] = (char)(n & 0xff);
	memcpy(frame + 4, s, n);
	*ret_len = n + 4;
	return frame;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, uint8_t *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		got += (size_t)n;
	}
	return 0;
}

int cv_ipc_write(int fd, json_object *msg)
{
	size_t len;
	char *frame = cv_ipc_encode(msg, &len);
	int r;

	if (len - 4 > CV_IPC_MAX)
		r = -EMSGSIZE;
	else
		r = write_all(fd, frame, len);
	free(frame);
	return r;
}

static json_object *parse_object(const uint8_t *p, size_t n)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *o = json_tokener_parse_ex(tok, (const char *)p, (int)n);

	if (o && (json_tokener_get_parse_end(tok) != n ||
		  !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static uint32_t frame_len(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int cv_ipc_read(int fd, json_object **ret_msg)
{
	uint8_t hdr[4];
	uint8_t *body;
	uint32_t n;
	json_object *o;
	int r;

	r = read_all(fd, hdr, 4);
	if (r < 0)
		return r;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (n > CV_IPC_MAX)
		return -EMSGSIZE;
	body = xmalloc(n ? n : 1);
	r = read_all(fd, body, n);
	if (r < 0) {
		free(body);
		return r == -EPIPE ? -EBADMSG : r;
	}
	o = parse_object(body, n);
	free(body);
	if (!o)
		return -EBADMSG;
	*ret_msg = o;
	return 0;
}

/* --- frames with a descriptor ------------------------------------------------------ */

void cv_ipc_put_fd(struct msghdr *mh, void *cbuf, int fd)
{
	struct cmsghdr *c;

	memset(cbuf, 0, CMSG_SPACE(sizeof(int)));
	mh->msg_control = cbuf;
	mh->msg_controllen = CMSG_SPACE(sizeof(int));
	c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
}

void cv_ipc_take_fds(struct msghdr *mh, int *fd)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t nfd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int x;

			memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd < 0)
				*fd = x;
			else
				close(x);
		}
	}
}

int cv_ipc_send_fd(int sock, json_object *msg, int fd, size_t max)
{
	size_t len;
	char *frame = cv_ipc_encode(msg, &len);
	char cbuf[CV_IPC_CMSG_SPACE];
	struct iovec iov = { frame, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	int r = 0;

	if (len - 4 > max) {
		free(frame);
		return -EMSGSIZE;
	}
	if (fd >= 0)
		cv_ipc_put_fd(&mh, cbuf, fd);
	/* The descriptor goes with the first bytes; the rest follows. */
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		r = -errno;
	else if ((size_t)n < len)
		r = write_all(sock, frame + n, len - (size_t)n);
	free(frame);
	return r;
}

/* Reads len bytes; a descriptor that comes with them lands in *fd (the
 * first one; later ones are closed). */
static int recv_all_fd(int sock, uint8_t *p, size_t len, int *fd)
{
	size_t got = 0;

	while (got < len) {
		char cbuf[CV_IPC_CMSG_SPACE];
		struct iovec iov = { p + got, len - got };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		cv_ipc_take_fds(&mh, fd);
		if (n == 0)
			return -EPIPE;
		got += (size_t)n;
	}
	return 0;
}

int cv_ipc_recv_fd(int sock, json_object **ret_msg, int *ret_fd, size_t max)
{
	uint8_t hdr[4], *body;
	uint32_t n;
	json_object *o;
	int fd = -1, r;

	r = recv_all_fd(sock, hdr, 4, &fd);
	if (r < 0)
		goto fail;
	n = frame_len(hdr);
	if (n > max) {
		r = -EMSGSIZE;
		goto fail;
	}
	body = xmalloc(n ? n : 1);
	r = recv_all_fd(sock, body, n, &fd);
	if (r < 0) {
		free(body);
		r = r == -EPIPE ? -EBADMSG : r;
		goto fail;
	}
	o = parse_object(body, n);
	free(body);
	if (!o) {
		r = -EBADMSG;
		goto fail;
	}
	*ret_msg = o;
	*ret_fd = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return r;
}

void cv_ipc_rx_init_max(struct cv_ipc_rx *rx, size_t max)
{
	rx->buf = NULL;
	rx->len = 0;
	rx->cap = 0;
	rx->max = max;
}

void cv_ipc_rx_init(struct cv_ipc_rx *rx)
{
	cv_ipc_rx_init_max(rx, CV_IPC_MAX);
}

void cv_ipc_rx_free(struct cv_ipc_rx *rx)
{
	free(rx->buf);
	cv_ipc_rx_init_max(rx, rx->max);
}

int cv_ipc_rx_feed(struct cv_ipc_rx *rx, const void *data, size_t n)
{
	if (rx->len >= 4 && frame_len(rx->buf) > rx->max)
		return -EMSGSIZE;
	/* Never hold more than one maximal frame and the start of the next. */
	if (rx->len + n > 2 * (rx->max + 4))
		return -EMSGSIZE;
	if (rx->len + n > rx->cap) {
		size_t cap = rx->cap ? rx->cap : 4096;

		while (cap < rx->len + n)
			cap *= 2;
		rx->buf = xrealloc(rx->buf, cap);
		rx->cap = cap;
	}
	memcpy(rx->buf + rx->len, data, n);
	rx->len += n;
	if (rx->len >= 4 && frame_len(rx->buf) > rx->max)
		return -EMSGSIZE;
	return 0;
}

int cv_ipc_rx_next(struct cv_ipc_rx *rx, json_object **ret_msg)
{
	uint32_t n;
	json_object *o;

	if (rx->len < 4)
		return 0;
	n = frame_len(rx->buf);
	if (n > rx->max)
		return -EMSGSIZE;
	if (rx->len < 4 + (size_t)n)
		return 0;
	o = parse_object(rx->buf + 4, n);
	memmove(rx->buf, rx->buf + 4 + n, rx->len - 4 - n);
	rx->len -= 4 + n;
	if (!o)
		return -EBADMSG;
	*ret_msg = o;
	return 1;
}

static int unix_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

int cv_ipc_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd, r = unix_addr(path, &sun);

	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* --- one bounded request (the login programs) ------------------------------------ */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd has events (or an error) before deadline; -ETIMEDOUT. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int64_t left = deadline - now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			return 0;
	}
}

/* Moves len bytes to (writing) or from the non-blocking fd before deadline. */
static int io_deadline(int fd, void *buf, size_t len, bool writing, int64_t deadline)
{
	uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = writing ? send(fd, p + done, len - done, MSG_NOSIGNAL)
				    : recv(fd, p + done, len - done, 0);
		int r;

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n == 0)
			return -EPIPE;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		r = wait_fd(fd, writing ? POLLOUT : POLLIN, deadline);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A non-blocking connection to path before deadline. A listener whose
 * backlog is full answers EAGAIN at once (Unix sockets do not wait): it is
 * asked again until the deadline. */
static int connect_deadline(const char *path, int64_t deadline)
{
	struct sockaddr_un sun;
	int fd, r = unix_addr(path, &sun);

	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
		r = -errno;
		if (r == -EINTR)
			continue;
		if (r == -EINPROGRESS) {
			socklen_t len = sizeof(int);
			int err = 0;

			r = wait_fd(fd, POLLOUT, deadline);
			if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
				r = -errno;
			else if (r == 0 && err)
				r = -err;
			if (r == 0)
				return fd;
			break;
		}
		if (r != -EAGAIN || now_ms() >= deadline)
			break;
		poll(NULL, 0, 10);
	}
	close(fd);
	return r == -EAGAIN ? -ETIMEDOUT : r;
}

int cv_ipc_call(const char *path, json_object *req, int timeout_ms, size_t max,
		json_object **ret_reply)
{
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 1);
	uint8_t hdr[4], *body = NULL;
	size_t len;
	char *frame = cv_ipc_encode(req, &len);
	json_object *o;
	uint32_t n;
	int fd, r;

	if (len - 4 > CV_IPC_MAX) {
		free(frame);
		return -EMSGSIZE;
	}
	fd = connect_deadline(path, deadline);
	if (fd < 0) {
		free(frame);
		return fd;
	}
	r = io_deadline(fd, frame, len, true, deadline);
	free(frame);
	if (r < 0)
		goto out;
	r = io_deadline(fd, hdr, 4, false, deadline);
	if (r < 0)
		goto out;
	n = frame_len(hdr);
	if (n > max || n > CV_IPC_MAX) {
		r = -EMSGSIZE;
		goto out;
	}
	body = xmalloc(n ? n : 1);
	r = io_deadline(fd, body, n, false, deadline);
	if (r < 0) {
		r = r == -EPIPE ? -EBADMSG : r;
		goto out;
	}
	o = parse_object(body, n);
	if (!o) {
		r = -EBADMSG;
		goto out;
	}
	*ret_reply = o;
out:
	free(body);
	close(fd);
	return r;
}
