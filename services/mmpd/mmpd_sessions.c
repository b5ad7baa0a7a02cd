// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Login sessions: who is logged in, and how to end it ("user list",
 * "user evict"; issue 14 item 5). A session is recorded when a login
 * program opens one (IPC op "session_open", root only): the PAM module
 * pam_convene.so for SSH and SFTP (shell/pam_convene.c) and mmp-login on
 * the console. It is forgotten when the program closes it ("session_close")
 * or when its process has gone.
 *
 * A record holds the session process: its pid and its start time (field 22
 * of /proc/PID/stat, clock ticks after boot), read when the session opens.
 * A pid is reused once its process has gone; the start time of the new
 * process differs, so a record is alive only while the pid has that start
 * time. Records are checked on use (before a snapshot for a command, before
 * an eviction, when a new session opens): there is no polling.
 *
 * What the session process is, and what ending it needs:
 *  - sshd (UsePAM yes) opens the PAM session in its per-connection monitor
 *    process, "sshd: USER [priv]", running as root: the PAM module's
 *    caller. On SIGHUP or SIGTERM the monitor passes the signal to its
 *    unprivileged child, which then ends and takes the connection, the
 *    shell and internal-sftp with it; the monitor closes the PAM session
 *    and exits. So the recorded pid is the monitor's.
 *  - mmp-login forks: the child becomes the user and runs mmp; the parent
 *    records the child's pid, waits for it and closes the session.
 * Evicting a session sends SIGHUP to its process and, if it is still there
 * MMPD_EVICT_KILL_MS later, SIGKILL. Both go through a pidfd opened and
 * then checked against the recorded start time, so a signal can never
 * reach a process that merely reuses the pid.
 *
 * Sessions are runtime state: kept in memory only, never in the
 * configuration document; a restarted mmpd starts with none (the mmp
 * connections of the users still show, and "user evict" still closes
 * them, which ends their shells).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "services/mmpd/mmpd.h"

/* Sessions recorded at once, at most. */
#define MMPD_SESSIONS_MAX 1024
/* After SIGHUP, how long an evicted session has before SIGKILL. */
#define MMPD_EVICT_KILL_MS 2000

struct mmpd_session {
	uint64_t id;
	pid_t pid;
	unsigned long long start; /* of pid: clock ticks after boot */
	char user[MMP_USER_MAX + 1];
	char from[MMPD_FROM_MAX];
	char tty[MMPD_TTY_MAX + 1];
};

struct mmpd_sessions {
	struct mmpd_session *v;
	size_t n;
	uint64_t next_id;
};

/* A process being evicted: SIGKILL follows unless it has gone. */
struct evicting {
	uv_timer_t timer;
	int pidfd;
};

int mmpd_proc_start(pid_t pid, unsigned long long *ret_start)
{
	char path[32], buf[1024], *p;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* "pid (comm) state ppid ...": comm may hold anything, ')' too, so
	 * the fields start after the last ')'. State is field 3, the start
	 * time field 22 (proc(5)). */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -EIO;
	/* A zombie has ended: nothing is left to end. */
	if (p[2] == 'Z' || p[2] == 'X')
		return -ESRCH;
	p += 2;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EIO;
		p++;
	}
	{
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno || end == p || (*end != ' ' && *end != '\0' && *end != '\n'))
			return -EIO;
		*ret_start = v;
	}
	return 0;
}

static struct mmpd_sessions *sessions(struct mmpd *d)
{
	if (!d->sessions) {
		d->sessions = xcalloc(1, sizeof(*d->sessions));
		d->sessions->next_id = 1;
	}
	return d->sessions;
}

/* Is the recorded process still the one that opened the session? */
static bool session_alive(const struct mmpd_session *s)
{
	unsigned long long start;

	return mmpd_proc_start(s->pid, &start) == 0 && start == s->start;
}

static void session_remove(struct mmpd_sessions *ss, size_t i)
{
	ss->v[i] = ss->v[--ss->n];
}

void mmpd_sessions_prune(struct mmpd *d)
{
	struct mmpd_sessions *ss = sessions(d);

	for (size_t i = 0; i < ss->n;) {
		if (session_alive(&ss->v[i])) {
			i++;
			continue;
		}
		cv_info("session %llu of %s ended: its process %d has gone",
			(unsigned long long)ss->v[i].id, ss->v[i].user, (int)ss->v[i].pid);
		session_remove(ss, i);
	}
}

int mmpd_session_open(struct mmpd *d, const char *user, const char *from, const char *tty,
		      pid_t pid, uint64_t *ret_id)
{
	struct mmpd_sessions *ss = sessions(d);
	struct mmpd_session s = { 0 };
	int r;

	if (pid <= 1)
		return -EINVAL;
	r = mmpd_proc_start(pid, &s.start);
	if (r < 0)
		return r;
	mmpd_sessions_prune(d);
	if (ss->n >= MMPD_SESSIONS_MAX)
		return -ENOSPC;
	if (ss->n % 16 == 0)
		ss->v = xrealloc(ss->v, (ss->n + 16) * sizeof(*ss->v));
	s.id = ss->next_id++;
	s.pid = pid;
	snprintf(s.user, sizeof(s.user), "%s", user);
	snprintf(s.from, sizeof(s.from), "%s", from);
	snprintf(s.tty, sizeof(s.tty), "%s", tty);
	ss->v[ss->n++] = s;
	cv_info("session %llu of %s from %s opened (pid %d, %s)", (unsigned long long)s.id, user,
		from, (int)pid, tty[0] ? tty : "no tty");
	*ret_id = s.id;
	return 0;
}

int mmpd_session_close(struct mmpd *d, uint64_t id)
{
	struct mmpd_sessions *ss = sessions(d);

	for (size_t i = 0; i < ss->n; i++) {
		if (ss->v[i].id != id)
			continue;
		cv_info("session %llu of %s closed", (unsigned long long)id, ss->v[i].user);
		session_remove(ss, i);
		return 0;
	}
	return -ENOENT;
}

void mmpd_sessions_count(struct mmpd *d, struct mmp_env *env)
{
	struct mmpd_sessions *ss = sessions(d);

	mmpd_sessions_prune(d);
	for (size_t i = 0; i < ss->n; i++) {
		struct mmp_login *l = mmpd_env_login(env, ss->v[i].user);

		if (l)
			l->sessions++;
	}
}

/* --- eviction ----------------------------------------------------------------------- */

static void evicting_closed(uv_handle_t *h)
{
	struct evicting *e = h->data;

	close(e->pidfd);
	free(e);
}

static void evicting_timeout(uv_timer_t *t)
{
	struct evicting *e = t->data;

	/* The pidfd names the process itself: if it has ended meanwhile,
	 * this reaches nobody (ESRCH), never a successor of its pid. */
	if (pidfd_send_signal(e->pidfd, SIGKILL, NULL, 0) == 0)
		cv_warn("an evicted session outlived SIGHUP; sent SIGKILL");
	uv_close((uv_handle_t *)&e->timer, evicting_closed);
}

/* SIGHUP to the session's process now, SIGKILL later: true when the
 * process was there to be signalled. */
static bool session_end(struct mmpd *d, const struct mmpd_session *s)
{
	unsigned long long start;
	struct evicting *e;
	int pidfd = pidfd_open(s->pid, 0);

	if (pidfd < 0)
		return false;
	/* Checked after the pidfd was opened: if the start time matches now,
	 * the pidfd is the recorded process, whatever happens to the pid. */
	if (mmpd_proc_start(s->pid, &start) < 0 || start != s->start ||
	    pidfd_send_signal(pidfd, SIGHUP, NULL, 0) < 0) {
		close(pidfd);
		return false;
	}
	e = xcalloc(1, sizeof(*e));
	e->pidfd = pidfd;
	uv_timer_init(d->loop, &e->timer);
	e->timer.data = e;
	/* A pending SIGKILL does not hold mmpd's shutdown. */
	uv_unref((uv_handle_t *)&e->timer);
	uv_timer_start(&e->timer, evicting_timeout,
		       (uint64_t)(MMPD_EVICT_KILL_MS * cv_delay_scale()) + 1, 0);
	return true;
}

unsigned mmpd_sessions_evict(struct mmpd *d, const char *user)
{
	struct mmpd_sessions *ss = sessions(d);
	unsigned n = 0;

	for (size_t i = 0; i < ss->n;) {
		struct mmpd_session *s = &ss->v[i];

		if (strcmp(s->user, user) != 0) {
			i++;
			continue;
		}
		if (session_end(d, s)) {
			cv_info("session %llu of %s evicted: SIGHUP to pid %d",
				(unsigned long long)s->id, user, (int)s->pid);
			n++;
		} else {
			cv_info("session %llu of %s ended: its process %d has gone",
				(unsigned long long)s->id, user, (int)s->pid);
		}
		session_remove(ss, i);
	}
	return n;
}

void mmpd_sessions_free(struct mmpd *d)
{
	if (!d->sessions)
		return;
	free(d->sessions->v);
	free(d->sessions);
	d->sessions = NULL;
}
