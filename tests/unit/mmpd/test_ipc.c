// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for mmpd's IPC server (services/mmpd/mmpd_ipc.c) on a real
 * libuv loop: mmpd_ipc_listen on a socket in a temporary state folder,
 * with the config store, the log store, a supervisor and real workers
 * (this program is also the worker: "--worker" goes to mmpd_worker_main,
 * as in mmpd_main.c). The clients are sockets of this process, driven
 * while the loop turns, so the test sees mmpd's state between the steps;
 * and children that become uid 65534 for the per-uid limit.
 *
 * What tests/integration/ipc.sh does from outside (hang-ups at every
 * point, 1,000 connections, roles by uid through --system-users) is not
 * repeated; here: the order of replies on one connection (the second
 * request waits for the first), that a command whose client left still
 * commits, the audit lines, prompts and their answers, a role's
 * "Permission denied" with nothing committed, malformed and oversized
 * frames, the frame and idle deadlines (CONVENE_BACKOFF_SCALE=0.002: 21 ms
 * and 3.6 s), the per-uid limit and that a uid's count comes back when
 * its connections close, the log stream and its end, and reboot asked for
 * after the reply.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/file.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/mmpd.h"
#include "tests/unit/mmpd/mmpd_test.h"
#include "tests/unit/tap.h"

#define SCALE "0.002"
#define NOBODY 65534

static char tmpdir[] = "/tmp/cv-ipc-XXXXXX";
static struct mmpd d;
static char actions[64]; /* what mmpd_system_action was asked for */

/* mmpd_main.c's, which this test does not link: what was asked is kept. */
void mmpd_system_action(struct mmpd *dd, const char *action)
{
	snprintf(actions + strlen(actions), sizeof(actions) - strlen(actions), "%s;", action);
}

#define WAIT_UNTIL(cond, ms) TEST_WAIT(d.loop, cond, ms)

static void log_sink(int level, const char *msg, void *opaque)
{
	mmpd_logstore_log(d.logs, "mmpd", level, msg);
}

/* --- a client in this process -------------------------------------------------------- */

struct client {
	int fd;
	struct cv_ipc_rx rx;
	bool eof;
};

static bool client_open(struct client *c)
{
	memset(c, 0, sizeof(*c));
	cv_ipc_rx_init(&c->rx);
	c->fd = cv_ipc_connect(d.socket_path);
	if (c->fd < 0)
		return false;
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	return true;
}

static void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	cv_ipc_rx_free(&c->rx);
}

/* Writes raw bytes, turning the loop while the socket is full. */
static void client_write(struct client *c, const void *buf, size_t len)
{
	const char *p = buf;
	uint64_t dl = test_now_ms() + 5000;

	while (len > 0 && test_now_ms() < dl) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			return;
		} else {
			uv_run(d.loop, UV_RUN_ONCE);
		}
	}
}

static void client_send(struct client *c, const char *json)
{
	json_object *o = json_tokener_parse(json);
	size_t len;
	char *frame = cv_ipc_encode(o, &len);

	client_write(c, frame, len);
	free(frame);
	json_object_put(o);
}

/* Takes what the socket holds; true when a whole frame waits in rx. */
static bool client_poll(struct client *c)
{
	char buf[65536];
	ssize_t n;

	while ((n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		if (cv_ipc_rx_feed(&c->rx, buf, (size_t)n) < 0)
			c->eof = true;
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		c->eof = true;
	return c->rx.len >= 4 &&
	       c->rx.len >= 4 + ((size_t)c->rx.buf[0] << 24 | (size_t)c->rx.buf[1] << 16 |
				 (size_t)c->rx.buf[2] << 8 | c->rx.buf[3]);
}

/* The next message (caller puts it), or NULL after ms or at the end. */
static json_object *client_recv(struct client *c, int ms)
{
	json_object *msg = NULL;

	if (!WAIT_UNTIL(client_poll(c) || c->eof, ms) || cv_ipc_rx_next(&c->rx, &msg) != 1)
		return NULL;
	return msg;
}

/* The connection was closed by mmpd within ms. */
static bool client_closed(struct client *c, int ms)
{
	return WAIT_UNTIL((client_poll(c), c->eof), ms);
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static int jint(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : -999;
}

/* One request, its reply (caller puts it). */
static json_object *ask(const char *json)
{
	struct client c;
	json_object *r = NULL;

	if (client_open(&c)) {
		client_send(&c, json);
		r = client_recv(&c, 30000);
	}
	client_close(&c);
	return r;
}

/* The output of a request (caller frees), "" on no reply; its status. */
static char *ask_output(const char *json, int *ret_status)
{
	json_object *r = ask(json);
	char *out = xstrdup(r && jstr(r, "output") ? jstr(r, "output") : "");

	*ret_status = r ? jint(r, "status") : -1;
	json_object_put(r);
	return out;
}

/* --- the tests -------------------------------------------------------------------------- */

static void test_hello(void)
{
	json_object *r = ask("{\"op\":\"hello\"}");

	ok(r && jint(r, "status") == 0, "hello as root");
	is_str(r ? jstr(r, "user") : NULL, "admin", "root is admin by default");
	is_str(r ? jstr(r, "role") : NULL, "admin", "with the admin role");
	is_str(r ? jstr(r, "hostname") : NULL, "CMS", "and the host name");
	is_str(r ? jstr(r, "must_change") : NULL, "true",
	       "a new admin's password must change (hello says so; root is not held)");
	json_object_put(r);
	r = ask("{\"op\":\"hello\",\"user\":\"nobody\"}");
	is_str(r ? jstr(r, "output") : NULL, "Permission denied\n",
	       "root acting as a user that does not exist is refused");
	json_object_put(r);
	r = ask("{\"op\":\"frobnicate\"}");
	is_str(r ? jstr(r, "output") : NULL, "Unknown request\n", "an unknown op");
	json_object_put(r);
}

static void test_run_commits(void)
{
	uint64_t gen = d.gen;
	char *out, *disk = NULL;
	int status;

	out = ask_output("{\"op\":\"run\",\"line\":\"hostname cms9\",\"from\":\"192.0.2.9:2222\"}",
			 &status);
	is_str(out, "A reboot is required for the change to take effect\n",
	       "a command that changes the document runs in a worker");
	is_int(status, 0, "status 0");
	free(out);
	is_str(cv_conf_get_str(d.doc, "hostname", NULL), "cms9", "the document is committed");
	is_int(d.gen, gen + 1, "once");
	cv_file_read(d.conf_path, CV_CONF_MAX, &disk, NULL);
	ok(disk && strstr(disk, "\"hostname\":\"cms9\""), "and saved in config.json");
	free(disk);
	ok(test_logged_has("cli: User admin from 192.0.2.9:2222 issued command < hostname cms9>: "
			   "permission granted"),
	   "the audit line names the user, the address and the command");

	out = ask_output("{\"op\":\"run\",\"line\":\"version\",\"from\":\"x; rm -rf /\"}", &status);
	is_str(out, CONVENE_VERSION "\n", "a command that changes nothing");
	free(out);
	is_int(d.gen, gen + 1, "commits nothing");
	ok(test_logged_has("cli: User admin from console issued command < version>"),
	   "a \"from\" that is no address counts as console");

	out = ask_output("{\"op\":\"run\",\"line\":\"hostname bad_name!\"}", &status);
	is_int(status, 1, "a command that fails");
	is_str(cv_conf_get_str(d.doc, "hostname", NULL), "cms9", "changes nothing");
	free(out);
	out = ask_output("{\"op\":\"run\",\"line\":\"\"}", &status);
	ok(status == 0 && strcmp(out, "") == 0, "an empty line answers nothing");
	free(out);
}

static void test_prompts(void)
{
	json_object *r, *p;
	char *out;
	int status;

	r = ask("{\"op\":\"run\",\"line\":\"backup rollback snap\"}");
	p = r ? json_object_object_get(r, "prompts") : NULL;
	ok(p && json_object_array_length(p) == 1 &&
		   strstr(jstr(json_object_array_get_idx(p, 0), "text"), "Continue? (Y/n)") &&
		   strcmp(jstr(json_object_array_get_idx(p, 0), "secret"), "false") == 0,
	   "a command with a prompt, without answers: the prompt comes back");
	is_int(mmpd_jobs_running(&d), 0, "and no worker runs it");
	json_object_put(r);
	out = ask_output("{\"op\":\"run\",\"line\":\"backup rollback snap\",\"input\":[\"n\"]}",
			 &status);
	is_str(out, "Rollback cancelled\n", "with the answer it runs");
	free(out);
	out = ask_output("{\"op\":\"run\",\"line\":\"backup rollback snap\",\"input\":[\"Y\",\"Y\"]}",
			 &status);
	is_str(out, "Bad answers to the command's prompts\n", "two answers to one prompt");
	free(out);
	out = ask_output("{\"op\":\"run\",\"line\":\"version\",\"input\":\"Y\"}", &status);
	is_str(out, "Bad answers to the command's prompts\n", "answers that are not a list");
	free(out);
}

static void test_roles(void)
{
	json_object *users = json_object_object_get(d.doc, "users"), *aude;
	uint64_t gen = d.gen;
	char *out;
	int status;

	/* An audit user, as "user add" makes one (the test edits the
	 * committed document in place; nothing is saved). */
	aude = json_object_new_object();
	json_object_object_add(aude, "role", json_object_new_string("audit"));
	json_object_object_add(aude, "hash", json_object_new_string("!"));
	json_object_object_add(aude, "pw_changed", json_object_new_int64(time(NULL)));
	json_object_object_add(users, "aude", aude);

	out = ask_output("{\"op\":\"run\",\"line\":\"hostname owned\",\"user\":\"aude\"}", &status);
	is_str(out, "Permission denied\n", "a command not for the audit role");
	is_int(status, 1, "fails");
	free(out);
	ok(d.gen == gen && strcmp(cv_conf_get_str(d.doc, "hostname", ""), "cms9") == 0,
	   "and nothing is committed");
	ok(test_logged_has("cli: User aude from console issued command < hostname owned>: "
			   "permission denied"),
	   "the audit line says denied");
	out = ask_output("{\"op\":\"run\",\"line\":\"version\",\"user\":\"aude\"}", &status);
	is_str(out, CONVENE_VERSION "\n", "a command for every role runs for aude");
	free(out);
}

static void test_one_in_flight(void)
{
	struct client c;
	json_object *r1, *r2;
	char both[512];
	size_t n = 0, len;
	const char *reqs[] = { "{\"op\":\"run\",\"line\":\"hostname cms10\"}", "{\"op\":\"hello\"}" };

	/* Two frames in one write: mmpd must answer the first (which goes
	 * to a worker) before it even reads the second. */
	for (int i = 0; i < 2; i++) {
		json_object *o = json_tokener_parse(reqs[i]);
		char *f = cv_ipc_encode(o, &len);

		memcpy(both + n, f, len);
		n += len;
		free(f);
		json_object_put(o);
	}
	ok(client_open(&c), "a connection");
	client_write(&c, both, n);
	r1 = client_recv(&c, 30000);
	r2 = client_recv(&c, 30000);
	is_str(r1 ? jstr(r1, "output") : NULL,
	       "A reboot is required for the change to take effect\n",
	       "two requests in one write: the command is answered first");
	is_str(r2 ? jstr(r2, "hostname") : NULL, "cms10",
	       "the hello after it, handled once the command had committed");
	json_object_put(r1);
	json_object_put(r2);
	client_close(&c);
}

/* A new connection that sends len bytes is closed by mmpd, which logs
 * why (NULL: no line to look for). */
static void closes(const char *bytes, size_t len, const char *why, const char *what)
{
	struct client c;
	bool opened = client_open(&c);

	if (opened)
		client_write(&c, bytes, len);
	ok(opened && client_closed(&c, 5000), "%s", what);
	if (why)
		ok(test_logged_has(why), "and the log says why: %s", why);
	client_close(&c);
}

static void test_bad_frames(void)
{
	struct client c, other;
	json_object *r;

	closes("\0\0\0\5xxxxx", 9, "closing an IPC connection (uid 0) that sent a malformed frame",
	       "a frame that is not JSON closes the connection");
	closes("\0\0\0\2[]", 6, NULL, "a frame that is JSON but no object closes it too");
	closes("\0\x20\0\0{", 5, "closing an IPC connection (uid 0) that sent an oversized frame",
	       "a frame announcing 2 MiB closes it at once");

	/* Hang-up in the middle of a frame, and after a request whose
	 * command is still to run. */
	ok(client_open(&c), "a connection");
	client_write(&c, "\0\0", 2);
	client_close(&c);
	ok(client_open(&c), "a connection");
	client_send(&c, "{\"op\":\"run\",\"line\":\"hostname cmsgone\"}");
	client_close(&c);
	ok(WAIT_UNTIL(strcmp(cv_conf_get_str(d.doc, "hostname", ""), "cmsgone") == 0, 30000),
	   "a command whose client hung up still completes and commits");
	ok(client_open(&other), "mmpd takes connections after all of it");
	client_send(&other, "{\"op\":\"hello\"}");
	r = client_recv(&other, 10000);
	is_str(r ? jstr(r, "hostname") : NULL, "cmsgone", "and answers them");
	json_object_put(r);
	client_close(&other);
}

static void test_deadlines(void)
{
	struct client c;

	closes("\0\0\0\40{\"op\":", 10,
	       "closing an IPC connection (uid 0): a request did not arrive whole in time",
	       "half a frame and silence: closed (frame deadline, scaled)");
	ok(client_open(&c), "a connection");
	ok(!client_closed(&c, 500), "an idle connection stays open a while");
	ok(client_closed(&c, 15000), "and is closed after the idle time (scaled)");
	ok(test_logged_has("closing an IPC connection (uid 0): idle"), "the log says why");
	client_close(&c);
}

static void test_follow(void)
{
	struct client c;
	json_object *r;

	ok(client_open(&c), "a connection");
	client_send(&c, "{\"op\":\"run\",\"line\":\"syslog follow\"}");
	r = client_recv(&c, 30000);
	ok(r && jint(r, "status") == 0 && r && jstr(r, "follow") &&
		   strcmp(jstr(r, "follow"), "true") == 0,
	   "syslog follow: the reply says the stream follows");
	json_object_put(r);
	cv_info("a line for the follower");
	r = client_recv(&c, 5000);
	ok(r && jstr(r, "line") && strstr(jstr(r, "line"), "mmpd: INFO : a line for the follower"),
	   "a line written to the log comes as {\"line\":...}");
	json_object_put(r);
	ok(!client_closed(&c, 4500), "a following connection is not idle");
	client_send(&c, "{\"op\":\"unfollow\"}");
	r = client_recv(&c, 5000);
	ok(r && jint(r, "status") == 0 && !jstr(r, "line"), "unfollow is answered");
	json_object_put(r);
	cv_info("a line nobody follows");
	r = client_recv(&c, 300);
	ok(!r, "no line comes after it");
	json_object_put(r);
	client_send(&c, "{\"op\":\"run\",\"line\":\"syslog follow\"}");
	json_object_put(client_recv(&c, 30000));
	client_close(&c);
	/* Its connection is gone: the next lines have nobody to go to. */
	(void)WAIT_UNTIL(false, 100);
	cv_info("a line after the follower hung up");
	r = ask("{\"op\":\"hello\"}");
	ok(r && test_logged_has("a line after the follower hung up"),
	   "a follower that hung up is dropped: the next line is written, mmpd answers");
	json_object_put(r);
}

static void test_reboot(void)
{
	json_object *r;

	actions[0] = '\0';
	r = ask("{\"op\":\"run\",\"line\":\"reboot\"}");
	ok(r && jint(r, "status") == 0, "reboot is answered");
	json_object_put(r);
	ok(WAIT_UNTIL(actions[0], 1000), "and then asked of mmpd");
	is_str(actions, "reboot;", "once");
	actions[0] = '\0';
}

/* A child that becomes uid 65534, opens n connections and tells how many
 * mmpd kept open; it holds them until the parent writes to go. */
static pid_t nobody_connects(int n, int *ret_held, int *ret_go)
{
	int held[2], go[2];
	pid_t pid;

	if (pipe(held) < 0 || pipe(go) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int fds[64], open_n = 0;
		char c;
		uint64_t dl;

		close(held[0]);
		close(go[1]);
		if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
		    setresuid(NOBODY, NOBODY, NOBODY) < 0)
			_exit(100);
		for (int i = 0; i < n; i++)
			fds[i] = cv_ipc_connect(d.socket_path);
		/* Those mmpd refused are closed at once; the others stay. */
		dl = test_now_ms() + 10000;
		do {
			open_n = 0;
			for (int i = 0; i < n; i++) {
				struct pollfd p = { fds[i], POLLIN, 0 };

				if (fds[i] >= 0 && poll(&p, 1, 0) == 0)
					open_n++;
			}
			usleep(20000);
		} while (open_n > 16 && test_now_ms() < dl);
		c = (char)open_n;
		write(held[1], &c, 1);
		read(go[0], &c, 1);
		_exit(0);
	}
	close(held[1]);
	close(go[0]);
	*ret_held = held[0];
	*ret_go = go[1];
	return pid;
}

/* pid was reaped (its status in *status); true again once it was. */
static bool reaped(pid_t pid, int *status, bool *done)
{
	if (!*done && waitpid(pid, status, WNOHANG) == pid)
		*done = true;
	return *done;
}

static bool readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) > 0;
}

static void test_per_uid_limit(void)
{
	for (int round = 1; round <= 2; round++) {
		int held = -1, go = -1, status;
		bool done = false;
		char n = 0;
		pid_t pid = nobody_connects(24, &held, &go);
		json_object *r;

		ok(pid > 0 && WAIT_UNTIL(readable(held), 15000),
		   "round %d: a local user (uid %d) opens 24 connections", round, NOBODY);
		if (held >= 0)
			read(held, &n, 1);
		is_int(n, 16, "mmpd keeps 16 of them open");
		r = ask("{\"op\":\"hello\"}");
		ok(r && jint(r, "status") == 0, "root is answered meanwhile");
		json_object_put(r);
		if (go >= 0)
			write(go, "x", 1);
		ok(WAIT_UNTIL(reaped(pid, &status, &done), 10000), "the user hangs up");
		if (!done && pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
		if (held >= 0)
			close(held);
		if (go >= 0)
			close(go);
		/* Round 2 finds the uid's count back at 0. */
		(void)WAIT_UNTIL(false, 200);
	}
	{
		struct client c[20];
		bool all = true;

		for (int i = 0; i < 20; i++)
			all = client_open(&c[i]) && all;
		(void)WAIT_UNTIL(false, 200);
		for (int i = 0; i < 20; i++) {
			all = all && !c[i].eof;
			client_poll(&c[i]);
			all = all && !c[i].eof;
			client_close(&c[i]);
		}
		ok(all, "root is never limited: 20 connections stay open");
	}
}

int main(int argc, char **argv)
{
	char *state;
	int r;

	/* The workers mmpd starts are this program (/proc/self/exe). */
	if (argc >= 2 && strcmp(argv[1], "--worker") == 0)
		return mmpd_worker_main(argc, argv);
	setenv("CONVENE_BACKOFF_SCALE", SCALE, 1);
	signal(SIGPIPE, SIG_IGN);
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (SO_PEERCRED roles, a client as uid %d)\n", NOBODY);
		return 0;
	}
	if ((r = mmpd_helper_lookup(&d)) < 0) {
		printf("1..0 # SKIP the user %s is missing (scripts/install-users): %s\n",
		       MMPD_HELPER_USER, strerror(-r));
		return 0;
	}
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! mkdtemp failed\n");
		return 1;
	}
	/* uid 65534 reaches the socket (0666) through it. */
	chmod(tmpdir, 0711);
	state = xasprintf("%s/state", tmpdir);
	d.state_dir = state;
	d.upload_dir = xasprintf("%s/files", state);
	d.conf_path = xasprintf("%s/config.json", state);
	d.log_path = xasprintf("%s/log/convene.log", state);
	d.socket_path = xasprintf("%s/mmpd.sock", tmpdir);
	d.service_dir = xasprintf("%s/svc", tmpdir);
	mkdir(state, 0700);
	mkdir(d.upload_dir, 0750);
	mkdir(d.service_dir, 0755);
	d.loop = xcalloc(1, sizeof(*d.loop));
	uv_loop_init(d.loop);
	test_tick_start(d.loop, 5);
	cv_log_open("mmpd");
	if (mmpd_store_open(&d) < 0) {
		printf("Bail out! mmpd_store_open failed\n");
		return 1;
	}
	d.logs = mmpd_logstore_open(&d, d.log_path, 0, 0);
	cv_log_set_sink(log_sink, NULL);
	mmpd_logstore_follow(d.logs, test_log_capture, NULL);
	d.upload.dirfd = -1;
	mmp_local_open(&d.upload, d.upload_dir, d.state_dir);
	mmp_engine_init(mmp_areas, mmp_nareas);
	d.super = mmpd_super_new(&d);
	ok(mmpd_ipc_listen(&d) == 0, "mmpd_ipc_listen on %s", d.socket_path);
	mmpd_jobs_start(&d);

	test_hello();
	test_run_commits();
	test_prompts();
	test_roles();
	test_one_in_flight();
	test_bad_frames();
	test_deadlines();
	test_follow();
	test_reboot();
	test_per_uid_limit();

	/* As mmpd stops: no more clients, the workers are sent away. */
	d.stopping = true;
	mmpd_ipc_close(&d);
	mmpd_jobs_stop(&d);
	ok(WAIT_UNTIL(d.jobs == NULL, 15000), "every worker has ended");
	mmpd_super_free(d.super);
	mmpd_sessions_free(&d);
	test_tick_stop();
	for (int i = 0; i < 50 && uv_loop_alive(d.loop); i++)
		uv_run(d.loop, UV_RUN_NOWAIT);
	is_int(uv_loop_close(d.loop), 0, "every handle of the loop is closed");
	cv_log_set_sink(NULL, NULL);
	mmpd_logstore_close(d.logs);
	mmp_local_close(&d.upload);
	{
		/* What the test made, by name. */
		static const char *const files[] = { "state/config.json", "state/log/convene.log",
						     "mmpd.sock" };
		static const char *const dirs[] = { "state/files", "state/log", "state/run",
						    "state", "svc" };

		ok(test_cleanup(tmpdir, files, sizeof(files) / sizeof(files[0]), dirs,
				sizeof(dirs) / sizeof(dirs[0])),
		   "the test leaves nothing behind");
	}
	json_object_put(d.doc);
	sb_free(&test_logged);
	return tap_done();
}
