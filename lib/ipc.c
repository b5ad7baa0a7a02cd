// SPDX-License-Identifier: GPL-2.0-or-later
/* Length-prefixed JSON framing for the mmp <-> mmpd socket. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
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

void cv_ipc_rx_init(struct cv_ipc_rx *rx)
{
	rx->buf = NULL;
	rx->len = 0;
	rx->cap = 0;
}

void cv_ipc_rx_free(struct cv_ipc_rx *rx)
{
	free(rx->buf);
	cv_ipc_rx_init(rx);
}

static uint32_t frame_len(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int cv_ipc_rx_feed(struct cv_ipc_rx *rx, const void *data, size_t n)
{
	if (rx->len >= 4 && frame_len(rx->buf) > CV_IPC_MAX)
		return -EMSGSIZE;
	/* Never hold more than one maximal frame and the start of the next. */
	if (rx->len + n > 2 * ((size_t)CV_IPC_MAX + 4))
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
	if (rx->len >= 4 && frame_len(rx->buf) > CV_IPC_MAX)
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
	if (n > CV_IPC_MAX)
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

int cv_ipc_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}
