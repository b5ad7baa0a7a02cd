// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the mmp <-> mmpd framing (lib/ipc.h): encoding, the
 * incremental receiver fed whole, split and byte by byte, the size cap
 * (-EMSGSIZE), bad frames (-EBADMSG) and the blocking read/write pair over
 * a socketpair, plus cv_ipc_connect against a socket in a private
 * temporary directory, and the bounded one-shot cv_ipc_call against a
 * child that answers, answers too much, hangs up or never answers.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/ipc.h"
#include "lib/mem.h"
#include "tests/unit/tap.h"

static json_object *msg_run(const char *line)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string("run"));
	json_object_object_add(o, "line", json_object_new_string(line));
	return o;
}

static const char *op_of(json_object *o)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, "line", &v))
		return NULL;
	return json_object_get_string(v);
}

/* A raw frame: 4-byte big-endian length, then body. */
static size_t raw_frame(uint8_t *buf, uint32_t announced, const char *body, size_t n)
{
	buf[0] = (uint8_t)(announced >> 24);
	buf[1] = (uint8_t)(announced >> 16);
	buf[2] = (uint8_t)(announced >> 8);
	buf[3] = (uint8_t)announced;
	memcpy(buf + 4, body, n);
	return n + 4;
}

static void test_encode(void)
{
	json_object *m = msg_run("turn listen a b"), *back = NULL;
	size_t len = 0;
	char *f = cv_ipc_encode(m, &len);
	uint32_t n;
	struct cv_ipc_rx rx;

	n = (uint32_t)(uint8_t)f[0] << 24 | (uint32_t)(uint8_t)f[1] << 16 |
	    (uint32_t)(uint8_t)f[2] << 8 | (uint8_t)f[3];
	ok(len > 4 && n == len - 4, "frame header holds the body length (%u)", n);
	ok(f[4] == '{' && f[len - 1] == '}', "the body is one JSON object");
	cv_ipc_rx_init(&rx);
	is_int(cv_ipc_rx_feed(&rx, f, len), 0, "feed a whole frame");
	is_int(cv_ipc_rx_next(&rx, &back), 1, "next yields it");
	ok(back && json_object_equal(m, back), "decoded equals encoded");
	is_int(cv_ipc_rx_next(&rx, &back), 0, "then nothing is pending");
	json_object_put(back);
	cv_ipc_rx_free(&rx);
	free(f);
	json_object_put(m);
}

static void test_incremental(void)
{
	json_object *m1 = msg_run("turn"), *m2 = msg_run("webbridge3 c2w listen a:6000");
	json_object *got[2] = { NULL, NULL };
	size_t l1, l2, ngot = 0, first_at = 0, second_at = 0;
	char *f1 = cv_ipc_encode(m1, &l1), *f2 = cv_ipc_encode(m2, &l2);
	uint8_t *both = xmalloc(l1 + l2);
	struct cv_ipc_rx rx;
	bool early = false, feed_err = false;

	memcpy(both, f1, l1);
	memcpy(both + l1, f2, l2);

	/* Byte by byte: a frame appears exactly when its last byte arrives. */
	cv_ipc_rx_init(&rx);
	for (size_t i = 0; i < l1 + l2; i++) {
		json_object *o = NULL;
		int r;

		if (cv_ipc_rx_feed(&rx, both + i, 1) < 0)
			feed_err = true;
		while ((r = cv_ipc_rx_next(&rx, &o)) == 1) {
			if (ngot < 2)
				got[ngot] = o;
			else
				json_object_put(o);
			if (ngot == 0)
				first_at = i + 1;
			else
				second_at = i + 1;
			ngot++;
		}
		if (r < 0)
			early = true;
	}
	ok(!feed_err && !early, "byte-by-byte feed raises no error");
	is_int(ngot, 2, "byte-by-byte feed yields two messages");
	is_int(first_at, l1, "the first appears with its last byte");
	is_int(second_at, l1 + l2, "the second appears with its last byte");
	is_str(op_of(got[0]), "turn", "first message intact");
	is_str(op_of(got[1]), "webbridge3 c2w listen a:6000", "second message intact");
	json_object_put(got[0]);
	json_object_put(got[1]);
	cv_ipc_rx_free(&rx);

	/* Split across a frame boundary: frame 1 + 3 bytes of frame 2, then the rest. */
	cv_ipc_rx_init(&rx);
	{
		json_object *o = NULL;
		int r1, r2, r3;

		cv_ipc_rx_feed(&rx, both, l1 + 3);
		r1 = cv_ipc_rx_next(&rx, &o);
		ok(r1 == 1 && strcmp(op_of(o), "turn") == 0, "split: first frame complete");
		json_object_put(o);
		o = NULL;
		r2 = cv_ipc_rx_next(&rx, &o);
		is_int(r2, 0, "split: the partial header waits for more");
		cv_ipc_rx_feed(&rx, both + l1 + 3, l2 - 3);
		r3 = cv_ipc_rx_next(&rx, &o);
		ok(r3 == 1 && o && strcmp(op_of(o), "webbridge3 c2w listen a:6000") == 0,
		   "split: second frame complete after the rest");
		json_object_put(o);
		is_int(rx.len, 0, "split: nothing left buffered");
	}
	cv_ipc_rx_free(&rx);

	/* Many frames in one feed. */
	cv_ipc_rx_init(&rx);
	{
		json_object *o = NULL;
		int n = 0;

		for (int i = 0; i < 50; i++)
			cv_ipc_rx_feed(&rx, i % 2 ? f2 : f1, i % 2 ? l2 : l1);
		while (cv_ipc_rx_next(&rx, &o) == 1 && n < 100) {
			json_object_put(o);
			n++;
		}
		is_int(n, 50, "fifty frames fed back to back yield fifty messages");
	}
	cv_ipc_rx_free(&rx);

	free(both);
	free(f1);
	free(f2);
	json_object_put(m1);
	json_object_put(m2);
}

static void test_bad_frames(void)
{
	uint8_t buf[256];
	struct cv_ipc_rx rx;
	json_object *o = NULL;
	size_t n;
	int r;

	/* Oversize announcement. */
	cv_ipc_rx_init(&rx);
	n = raw_frame(buf, CV_IPC_MAX + 1, "{}", 2);
	r = cv_ipc_rx_feed(&rx, buf, n);
	is_int(r, -EMSGSIZE, "feed of a frame announcing CV_IPC_MAX+1: -EMSGSIZE");
	is_int(cv_ipc_rx_next(&rx, &o), -EMSGSIZE, "next on it: -EMSGSIZE");
	cv_ipc_rx_free(&rx);

	cv_ipc_rx_init(&rx);
	n = raw_frame(buf, 0xffffffffu, "", 0);
	is_int(cv_ipc_rx_feed(&rx, buf, 2), 0, "half a header is not judged yet");
	is_int(cv_ipc_rx_feed(&rx, buf + 2, 2), -EMSGSIZE, "the whole 4 GiB header: -EMSGSIZE");
	cv_ipc_rx_free(&rx);

	cv_ipc_rx_init(&rx);
	n = raw_frame(buf, CV_IPC_MAX, "{", 1);
	is_int(cv_ipc_rx_feed(&rx, buf, n), 0, "a frame of exactly CV_IPC_MAX is accepted");
	is_int(cv_ipc_rx_next(&rx, &o), 0, "and waits for its body");
	cv_ipc_rx_free(&rx);

	static const struct {
		const char *body, *why;
	} bad[] = {
		{ "not json", "garbage" },
		{ "[1,2]", "an array" },
		{ "\"str\"", "a string" },
		{ "{} {}", "two objects in one frame" },
		{ "{\"op\":", "a truncated object" },
		{ "", "an empty body" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_object *good = msg_run("version");
		size_t gl;
		char *gf = cv_ipc_encode(good, &gl);

		cv_ipc_rx_init(&rx);
		n = raw_frame(buf, (uint32_t)strlen(bad[i].body), bad[i].body, strlen(bad[i].body));
		cv_ipc_rx_feed(&rx, buf, n);
		cv_ipc_rx_feed(&rx, gf, gl);
		o = NULL;
		r = cv_ipc_rx_next(&rx, &o);
		ok(r == -EBADMSG && o == NULL, "%s: -EBADMSG", bad[i].why);
		r = cv_ipc_rx_next(&rx, &o);
		ok(r == 1 && strcmp(op_of(o), "version") == 0, "%s: the next frame still decodes",
		   bad[i].why);
		json_object_put(o);
		cv_ipc_rx_free(&rx);
		free(gf);
		json_object_put(good);
	}
}

static void test_socketpair(void)
{
	int sv[2];
	json_object *m, *back = NULL;
	uint8_t buf[64];
	size_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		printf("Bail out! socketpair: %s\n", strerror(errno));
		exit(1);
	}
	m = msg_run("webbridge3 https listen a:445 b:445");
	is_int(cv_ipc_write(sv[0], m), 0, "write a message");
	is_int(cv_ipc_read(sv[1], &back), 0, "read it on the other end");
	ok(back && json_object_equal(m, back), "round trip preserves the message");
	json_object_put(back);
	back = NULL;
	json_object_put(m);

	/* A 64 KiB message fits the socket buffer, so one thread can do both ends. */
	{
		char *big = xmalloc(65536 + 1);

		memset(big, 'x', 65536);
		big[65536] = '\0';
		m = msg_run(big);
		is_int(cv_ipc_write(sv[0], m), 0, "write a 64 KiB message");
		is_int(cv_ipc_read(sv[1], &back), 0, "read a 64 KiB message");
		ok(back && json_object_equal(m, back), "64 KiB message intact");
		json_object_put(back);
		back = NULL;
		json_object_put(m);
		free(big);
	}

	/* Too large to send: refused before anything is written. */
	{
		char *huge = xmalloc(CV_IPC_MAX + 16);

		memset(huge, 'y', CV_IPC_MAX + 15);
		huge[CV_IPC_MAX + 15] = '\0';
		m = msg_run(huge);
		is_int(cv_ipc_write(sv[0], m), -EMSGSIZE, "write of a message over CV_IPC_MAX");
		json_object_put(m);
		free(huge);
	}

	n = raw_frame(buf, CV_IPC_MAX + 1, "", 0);
	ok(write(sv[0], buf, n) == (ssize_t)n, "sent an oversize header");
	is_int(cv_ipc_read(sv[1], &back), -EMSGSIZE, "read of an oversize header: -EMSGSIZE");

	n = raw_frame(buf, 5, "[1,2]", 5);
	ok(write(sv[0], buf, n) == (ssize_t)n, "sent a non-object frame");
	is_int(cv_ipc_read(sv[1], &back), -EBADMSG, "read of a non-object: -EBADMSG");

	n = raw_frame(buf, 20, "{\"op\":", 6);
	ok(write(sv[0], buf, n) == (ssize_t)n, "sent a frame cut short");
	close(sv[0]);
	is_int(cv_ipc_read(sv[1], &back), -EBADMSG, "peer closes inside a frame: -EBADMSG");
	is_int(cv_ipc_read(sv[1], &back), -EPIPE, "read at a clean end of stream: -EPIPE");
	close(sv[1]);
}

static void test_connect(void)
{
	char dir[] = "/tmp/cv-ipc-XXXXXX";
	char path[128], longp[200];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd, fd;

	if (!mkdtemp(dir)) {
		skip("cannot create a temporary directory");
		return;
	}
	snprintf(path, sizeof(path), "%s/mmpd.sock", dir);
	ok(cv_ipc_connect(path) < 0, "connect to a missing socket fails");
	memset(longp, 'l', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	is_int(cv_ipc_connect(longp), -ENAMETOOLONG, "connect to an over-long path: -ENAMETOOLONG");

	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lfd >= 0 && bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    listen(lfd, 4) == 0) {
		fd = cv_ipc_connect(path);
		ok(fd >= 0, "connect to a listening socket");
		if (fd >= 0) {
			json_object *m = msg_run("version"), *back = NULL;
			int afd = accept(lfd, NULL, NULL);

			is_int(cv_ipc_write(fd, m), 0, "write over the connection");
			ok(afd >= 0 && cv_ipc_read(afd, &back) == 0 && json_object_equal(m, back),
			   "the listener reads it");
			json_object_put(back);
			json_object_put(m);
			if (afd >= 0)
				close(afd);
			close(fd);
		}
	} else {
		skip("cannot listen on a Unix socket here");
	}
	if (lfd >= 0)
		close(lfd);
	unlink(path);
	rmdir(dir);
}

/* How the child of test_call serves its one connection. */
enum serve { SERVE_ECHO, SERVE_SILENT, SERVE_HUGE, SERVE_HANGUP, SERVE_HALF };

/* Accepts one connection on lfd in a child and serves it as how says;
 * returns the child's pid. */
static pid_t serve_one(int lfd, enum serve how)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = accept(lfd, NULL, NULL);
		json_object *req = NULL;
		uint8_t buf[64];

		if (fd < 0 || cv_ipc_read(fd, &req) < 0)
			_exit(1);
		if (how == SERVE_ECHO) {
			cv_ipc_write(fd, req);
		} else if (how == SERVE_HUGE) {
			/* Announces 1 KiB more than the caller takes. */
			raw_frame(buf, 64 + 1024, "", 0);
			(void)!write(fd, buf, 4);
		} else if (how == SERVE_HALF) {
			raw_frame(buf, 100, "{\"a\":", 5);
			(void)!write(fd, buf, 9);
		} else if (how == SERVE_SILENT) {
			/* Until the caller gives up and closes. */
			while (read(fd, buf, sizeof(buf)) > 0)
				;
		}
		_exit(0);
	}
	return pid;
}

static void test_call(void)
{
	static const struct {
		enum serve how;
		int timeout_ms;
		size_t max;
		int want;
		const char *what;
	} fails[] = {
		{ SERVE_HUGE, 30000, 64, -EMSGSIZE, "a reply larger than the cap: -EMSGSIZE" },
		{ SERVE_HALF, 30000, 4096, -EBADMSG, "the peer closes inside the reply: -EBADMSG" },
		{ SERVE_HANGUP, 30000, 4096, -EPIPE, "the peer closes without a reply: -EPIPE" },
		{ SERVE_SILENT, 200, 4096, -ETIMEDOUT, "a peer that never answers: -ETIMEDOUT" },
	};
	char dir[] = "/tmp/cv-ipc-XXXXXX";
	char path[128];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	json_object *m = msg_run("hello"), *back = NULL;
	int lfd, st;
	pid_t pid;

	if (!mkdtemp(dir)) {
		skip("cannot create a temporary directory");
		return;
	}
	snprintf(path, sizeof(path), "%s/mmpd.sock", dir);
	is_int(cv_ipc_call(path, m, 1000, 64, &back), -ENOENT, "call: no socket: -ENOENT");
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(lfd, 4) < 0) {
		skip("cannot listen on a Unix socket here");
		goto out;
	}
	pid = serve_one(lfd, SERVE_ECHO);
	is_int(cv_ipc_call(path, m, 30000, 4096, &back), 0, "call: a reply");
	ok(back && json_object_equal(back, m), "call: the reply is the peer's frame");
	json_object_put(back);
	back = NULL;
	waitpid(pid, &st, 0);
	for (size_t i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
		pid = serve_one(lfd, fails[i].how);
		is_int(cv_ipc_call(path, m, fails[i].timeout_ms, fails[i].max, &back),
		       fails[i].want, "call: %s", fails[i].what);
		waitpid(pid, &st, 0);
	}
	ok(back == NULL, "call: nothing is returned on a failure");
out:
	if (lfd >= 0)
		close(lfd);
	json_object_put(m);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_encode();
	test_incremental();
	test_bad_frames();
	test_socketpair();
	test_connect();
	test_call();
	return tap_done();
}
