// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Jobs and workers: every command and every login check that mmpd runs for
 * a client runs in a worker process (OpenSSH's privilege separation: a
 * monitor and an unprivileged child). This is mmpd's side; the worker is
 * mmpd_worker.c.
 *
 * mmpd starts a worker with posix_spawn() (a vfork: nothing of mmpd's
 * memory is copied, and the worker gets a fresh address space and layout)
 * as "mmpd --worker UID GID" with its end of a socketpair as fd 3. The
 * worker drops to the helper user before it reads anything, then takes
 * jobs: each is one frame holding the committed document as it is now,
 * who asks, the command line and answers (or the login) and a snapshot of
 * the system; the worker runs it, asks for what it needs of the system one
 * fixed operation at a time (mmpd_ops_call), and answers {"op":"done"}.
 *
 * A worker serves one identity only: the MMP user (with its role, and the
 * uid of the connection) of its first job, or the login checks. It is kept
 * for that identity's next jobs and ends after MMPD_WORKER_IDLE_MS without
 * one. So a worker that a malicious file or DNS answer took over can only
 * do what that user's own commands could, and never sees another user's
 * job; and a command costs no process start (tens of milliseconds on the
 * 2-CPU machines this runs on) once its user has a worker. One spare
 * worker, started ahead and given no identity yet, serves a new identity
 * at once. (The first version forked mmpd for every command: each page mmpd
 * wrote afterwards became a copy-on-write fault with a TLB shootdown, about
 * 10 ms of mmpd's time per command, and the shell benchmark went from 1.2
 * to 17 ms.)
 *
 * So the parsing of untrusted input (uploaded PEM and PKCS #12 files,
 * backups, DNS answers, the login's host names) and the slow work (key
 * generation, password hashing, DNS lookups) never happen in mmpd, which
 * keeps answering other clients meanwhile. mmpd decides what to do with
 * a result (mmpd_ipc.c): it commits a changed document only after its own
 * checks.
 *
 * Protocol on the socketpair: lib/ipc.h frames of at most MMPD_JOB_FRAME_MAX
 * bytes. A descriptor rides with a frame as SCM_RIGHTS: mmpd hands the
 * worker a read-only descriptor of an upload file it opened ("open"), and
 * the worker hands mmpd a sealed memfd holding what it wants written
 * ("write"). mmpd never parses a file: it opens and copies.
 *
 * mmpd's side is non-blocking on its loop: uv_poll_t on the socket (its
 * own recvmsg and sendmsg, for the descriptors), uv_poll_t on a pidfd for
 * the exit, and a timer: the job's deadline (the worker is killed) or the
 * idle time (the worker is told to go).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/service.h"
#include "lib/mem.h"
#include "services/mmpd/mmpd.h"

/* A job that has not finished after this long: its worker is killed. */
#define JOB_DEADLINE_MS 120000
/* A worker with no job for this long ends. */
#define MMPD_WORKER_IDLE_MS 60000
/* Workers kept idle, at most, in all. */
#define MMPD_WORKERS_IDLE_MAX 8

struct mmpd_job {
	struct mmpd *d;
	struct mmpd_job *next; /* in d->jobs: every worker, busy or not */
	pid_t pid;
	int sock;	       /* mmpd's end of the socketpair */
	int pidfd;
	uv_poll_t sock_poll, pid_poll;
	uv_timer_t timer;      /* the job's deadline, or the idle time */
	int nhandles;	       /* handles not closed yet */
	struct cv_ipc_rx rx;
	int rx_fd;	       /* a descriptor that came with the frame being read */
	char *out;	       /* the frame being sent, and where it is */
	size_t out_len, out_off;
	int out_fd;	       /* the descriptor that goes with its first byte */
	bool bound;	       /* it has an identity (who) */
	struct mmpd_caller who;
	bool busy;	       /* a job is running: done is still due */
	mmpd_job_done_fn done;
	void *opaque;
	bool sock_done;	       /* the socket was closed */
	bool exited;
	int wstatus;
	bool killed_late;      /* killed at the deadline */
	uint64_t idle_since;
};

static void job_poll_update(struct mmpd_job *w);
static int spare_start(struct mmpd *d);

/* --- one worker --------------------------------------------------------------------- */

static void worker_unlink(struct mmpd_job *w)
{
	for (struct mmpd_job **pp = &w->d->jobs; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
}

static void worker_handle_closed(uv_handle_t *h)
{
	struct mmpd_job *w = h->data;

	if (--w->nhandles > 0)
		return;
	if (w->sock >= 0)
		close(w->sock);
	if (w->pidfd >= 0)
		close(w->pidfd);
	if (w->rx_fd >= 0)
		close(w->rx_fd);
	if (w->out_fd >= 0)
		close(w->out_fd);
	cv_ipc_rx_free(&w->rx);
	free(w->out);
	worker_unlink(w);
	free(w);
}

static void worker_close_handle(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, worker_handle_closed);
}

/* Ends the job in flight: done gets the result, or NULL and the reason. */
static void job_finish(struct mmpd_job *w, json_object *result)
{
	mmpd_job_done_fn done = w->done;
	char why[160] = "";

	if (!w->busy)
		return;
	w->busy = false;
	w->done = NULL;
	if (!result) {
		if (w->killed_late)
			snprintf(why, sizeof(why), "it ran longer than %d s and was stopped",
				 JOB_DEADLINE_MS / 1000);
		else if (w->exited && WIFSIGNALED(w->wstatus))
			snprintf(why, sizeof(why), "its worker was killed by signal %d",
				 WTERMSIG(w->wstatus));
		else if (w->exited)
			snprintf(why, sizeof(why), "its worker exited with status %d",
				 WEXITSTATUS(w->wstatus));
		else
			snprintf(why, sizeof(why), "its worker broke the protocol");
		cv_err("a command of %s did not complete: %s", w->who.user, why);
	}
	if (done)
		done(w->d, result, why, w->opaque);
}

/* Both the socket and the process are done: free everything. */
static void worker_maybe_free(struct mmpd_job *w)
{
	if (!w->sock_done || !w->exited)
		return;
	job_finish(w, NULL);
	uv_timer_stop(&w->timer);
	worker_close_handle((uv_handle_t *)&w->sock_poll);
	worker_close_handle((uv_handle_t *)&w->pid_poll);
	worker_close_handle((uv_handle_t *)&w->timer);
}

/* No more talking to this worker: it is killed unless it is idle (then
 * the closed socket tells it to go). */
static void worker_sock_end(struct mmpd_job *w)
{
	if (w->sock_done)
		return;
	w->sock_done = true;
	uv_poll_stop(&w->sock_poll);
	shutdown(w->sock, SHUT_RDWR);
	if (!w->exited && w->busy)
		kill(w->pid, SIGKILL);
	worker_maybe_free(w);
}

static void worker_kill(struct mmpd_job *w)
{
	if (!w->exited)
		kill(w->pid, SIGKILL);
	worker_sock_end(w);
}

/* Sends as much of the queued frame as the socket takes. */
static void worker_flush(struct mmpd_job *w)
{
	while (w->out && w->out_off < w->out_len) {
		char cbuf[CV_IPC_CMSG_SPACE];
		struct iovec iov = { w->out + w->out_off, w->out_len - w->out_off };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		if (w->out_fd >= 0)
			cv_ipc_put_fd(&mh, cbuf, w->out_fd);
		n = sendmsg(w->sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			worker_kill(w);
			return;
		}
		if (w->out_fd >= 0) {
			close(w->out_fd);
			w->out_fd = -1;
		}
		w->out_off += (size_t)n;
	}
	if (w->out && w->out_off == w->out_len) {
		free(w->out);
		w->out = NULL;
	}
	job_poll_update(w);
}

/* Queues a frame (taken) and the descriptor that goes with it. */
static void worker_send(struct mmpd_job *w, json_object *msg, int fd)
{
	if (w->out || w->sock_done) {
		/* One frame at a time: the worker waits for each answer, and
		 * a job goes only to a worker that has answered the last. */
		json_object_put(msg);
		if (fd >= 0)
			close(fd);
		worker_kill(w);
		return;
	}
	w->out = cv_ipc_encode(msg, &w->out_len);
	w->out_off = 0;
	w->out_fd = fd;
	json_object_put(msg);
	worker_flush(w);
}

static void worker_idle_cb(uv_timer_t *t);

/* The job is answered: the worker waits for its identity's next one. */
static void worker_set_idle(struct mmpd_job *w)
{
	struct mmpd *d = w->d;
	struct mmpd_job *oldest = NULL;
	size_t idle = 0;

	w->idle_since = uv_now(d->loop);
	uv_timer_start(&w->timer, worker_idle_cb, (uint64_t)(MMPD_WORKER_IDLE_MS * cv_delay_scale()),
		       0);
	for (struct mmpd_job *x = d->jobs; x; x = x->next) {
		if (x->busy || x->sock_done || !x->bound)
			continue;
		idle++;
		if (!oldest || x->idle_since < oldest->idle_since)
			oldest = x;
	}
	if (idle > MMPD_WORKERS_IDLE_MAX && oldest)
		worker_sock_end(oldest);
}

static void worker_message(struct mmpd_job *w, json_object *msg, int fd)
{
	json_object *v, *reply;
	const char *op = "";
	int out_fd = -1;

	if (json_object_object_get_ex(msg, "op", &v) && json_object_is_type(v, json_type_string))
		op = json_object_get_string(v);
	if (!w->busy) {
		/* An idle worker has nothing to ask. */
		json_object_put(msg);
		if (fd >= 0)
			close(fd);
		worker_kill(w);
		return;
	}
	if (strcmp(op, "done") == 0) {
		if (fd >= 0)
			close(fd);
		uv_timer_stop(&w->timer);
		w->killed_late = false;
		job_finish(w, msg);
		json_object_put(msg);
		if (!w->sock_done)
			worker_set_idle(w);
		return;
	}
	reply = mmpd_ops_call(w->d, &w->who, op, msg, fd, &out_fd);
	json_object_put(msg);
	if (fd >= 0)
		close(fd);
	worker_send(w, reply, out_fd);
}

static void worker_readable(struct mmpd_job *w)
{
	for (int rounds = 0; rounds < 64 && !w->sock_done; rounds++) {
		char cbuf[CV_IPC_CMSG_SPACE];
		static char buf[65536];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		json_object *msg;
		ssize_t n = recvmsg(w->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		/* One descriptor per request: any other is closed. */
		if (n >= 0)
			cv_ipc_take_fds(&mh, &w->rx_fd);
		if (n <= 0) {
			worker_sock_end(w);
			return;
		}
		if (cv_ipc_rx_feed(&w->rx, buf, (size_t)n) < 0) {
			cv_warn("a worker sent an oversized frame; stopping it");
			worker_kill(w);
			return;
		}
		while (!w->sock_done && (r = cv_ipc_rx_next(&w->rx, &msg)) != 0) {
			int fd = w->rx_fd;

			if (r < 0) {
				cv_warn("a worker sent a malformed frame; stopping it");
				worker_kill(w);
				return;
			}
			w->rx_fd = -1;
			worker_message(w, msg, fd);
		}
	}
}

static void worker_sock_cb(uv_poll_t *p, int status, int events)
{
	struct mmpd_job *w = p->data;

	if (status < 0) {
		worker_sock_end(w);
		return;
	}
	if (events & UV_WRITABLE)
		worker_flush(w);
	if (!w->sock_done && (events & (UV_READABLE | UV_DISCONNECT)))
		worker_readable(w);
}

static void job_poll_update(struct mmpd_job *w)
{
	int ev = UV_READABLE;

	if (w->sock_done)
		return;
	if (w->out)
		ev |= UV_WRITABLE;
	uv_poll_start(&w->sock_poll, ev, worker_sock_cb);
}

static void worker_pid_cb(uv_poll_t *p, int status, int events)
{
	struct mmpd_job *w = p->data;
	pid_t r;

	do
		r = waitpid(w->pid, &w->wstatus, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return; /* not yet */
	w->exited = true;
	uv_poll_stop(&w->pid_poll);
	/* Whatever is still in the socket is read before the end counts. */
	if (!w->sock_done)
		worker_readable(w);
	worker_sock_end(w);
	worker_maybe_free(w);
	if (!w->bound)
		cv_warn("a spare worker ended before it got a job (status %d)", w->wstatus);
}

static void worker_deadline_cb(uv_timer_t *t)
{
	struct mmpd_job *w = t->data;

	w->killed_late = true;
	worker_kill(w);
}

static void worker_idle_cb(uv_timer_t *t)
{
	worker_sock_end(t->data);
}

/* A new worker, with no identity and no job yet. */
static struct mmpd_job *worker_spawn(struct mmpd *d)
{
	extern char **environ;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct mmpd_job *w;
	char uid[16], gid[16];
	char *argv[] = { "mmpd", "--worker", uid, gid, NULL };
	sigset_t none, all;
	int sv[2], r;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		cv_err("cannot start a worker: socketpair: %s", strerror(errno));
		return NULL;
	}
	snprintf(uid, sizeof(uid), "%u", (unsigned)d->helper_uid);
	snprintf(gid, sizeof(gid), "%u", (unsigned)d->helper_gid);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	/* fd 3 is the worker's end; every other descriptor of mmpd is
	 * O_CLOEXEC and stays behind. Signals as a fresh process has them. */
	posix_spawn_file_actions_adddup2(&fa, sv[1], MMPD_JOB_FD);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	r = posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(sv[1]);
	if (r != 0) {
		cv_err("cannot start a worker: %s", strerror(r));
		close(sv[0]);
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->d = d;
	w->pid = pid;
	w->sock = sv[0];
	w->rx_fd = -1;
	w->out_fd = -1;
	cv_ipc_rx_init_max(&w->rx, MMPD_JOB_FRAME_MAX);
	w->pidfd = pidfd_open(pid, 0);
	if (w->pidfd < 0) {
		cv_err("cannot start a worker: pidfd_open: %s", strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(w->sock);
		cv_ipc_rx_free(&w->rx);
		free(w);
		return NULL;
	}
	fcntl(w->sock, F_SETFL, O_NONBLOCK);
	w->next = d->jobs;
	d->jobs = w;
	uv_poll_init(d->loop, &w->sock_poll, w->sock);
	uv_poll_init(d->loop, &w->pid_poll, w->pidfd);
	uv_timer_init(d->loop, &w->timer);
	w->sock_poll.data = w->pid_poll.data = w->timer.data = w;
	w->nhandles = 3;
	job_poll_update(w);
	uv_poll_start(&w->pid_poll, UV_READABLE, worker_pid_cb);
	return w;
}

/* --- the pool ------------------------------------------------------------------------ */

static bool same_identity(const struct mmpd_caller *a, const struct mmpd_caller *b)
{
	return a->uid == b->uid && a->role == b->role && strcmp(a->user, b->user) == 0;
}

/* Keeps one spare worker ready for an identity that has none. */
static int spare_start(struct mmpd *d)
{
	size_t workers = 0;

	for (struct mmpd_job *x = d->jobs; x; x = x->next) {
		if (x->sock_done)
			continue;
		if (!x->bound)
			return 0; /* there is one */
		workers++;
	}
	if (d->stopping || workers >= MMPD_JOBS_MAX + MMPD_WORKERS_IDLE_MAX)
		return 0;
	return worker_spawn(d) ? 0 : -EAGAIN;
}

int mmpd_job_start(struct mmpd *d, const struct mmpd_caller *who, json_object *init,
		   mmpd_job_done_fn done, void *opaque)
{
	struct mmpd_job *w = NULL, *spare = NULL;

	for (struct mmpd_job *x = d->jobs; x && !w; x = x->next) {
		if (x->busy || x->sock_done || x->out)
			continue;
		if (x->bound && same_identity(&x->who, who))
			w = x;
		else if (!x->bound && !spare)
			spare = x;
	}
	if (!w)
		w = spare ? spare : worker_spawn(d);
	if (!w) {
		json_object_put(init);
		return -EAGAIN;
	}
	if (!w->bound) {
		w->bound = true;
		w->who = *who;
	}
	w->busy = true;
	w->done = done;
	w->opaque = opaque;
	w->killed_late = false;
	uv_timer_start(&w->timer, worker_deadline_cb, JOB_DEADLINE_MS, 0);
	worker_send(w, init, -1);
	/* The next new identity finds a worker ready. */
	spare_start(d);
	return 0;
}

void mmpd_job_forget(struct mmpd *d, void *opaque)
{
	for (struct mmpd_job *w = d->jobs; w; w = w->next)
		if (w->busy && w->opaque == opaque)
			w->done = NULL;
}

size_t mmpd_jobs_running(const struct mmpd *d)
{
	size_t n = 0;

	for (const struct mmpd_job *w = d->jobs; w; w = w->next)
		if (w->busy)
			n++;
	return n;
}

void mmpd_jobs_start(struct mmpd *d)
{
	spare_start(d);
}

void mmpd_jobs_stop(struct mmpd *d)
{
	for (struct mmpd_job *w = d->jobs; w; w = w->next)
		if (!w->busy)
			worker_sock_end(w);
}

const char *const mmpd_pwcheck_services[] = { "callbridge", NULL };

/* The uids of mmpd_pwcheck_services' users; a missing user is skipped (its
 * service cannot run as it either). */
static void pwcheck_lookup(struct mmpd *d)
{
	d->npwcheck = 0;
	for (size_t i = 0; mmpd_pwcheck_services[i]; i++) {
		struct passwd pw, *res = NULL;
		char buf[1024], name[64];

		snprintf(name, sizeof(name), CV_SERVICE_USER_PREFIX "%s", mmpd_pwcheck_services[i]);
		if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || !res || res->pw_uid == 0)
			continue;
		if (d->npwcheck < sizeof(d->pwcheck_uids) / sizeof(d->pwcheck_uids[0]))
			d->pwcheck_uids[d->npwcheck++] = res->pw_uid;
	}
}

int mmpd_helper_lookup(struct mmpd *d)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	pwcheck_lookup(d);
	if (geteuid() != 0) {
		d->helper_uid = geteuid();
		d->helper_gid = getegid();
		return 0;
	}
	if (getpwnam_r(MMPD_HELPER_USER, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return -ENOENT;
	if (res->pw_uid == 0 || res->pw_gid == 0)
		return -EPERM;
	d->helper_uid = res->pw_uid;
	d->helper_gid = res->pw_gid;
	return 0;
}
