// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The service supervisor. mmpd keeps each wanted service running: it renders
 * the service's config to <state-dir>/run/<svc>.json, starts
 *
 *   <service-dir>/convene-<svc> --config <state-dir>/run/<svc>.json
 *
 * with the write end of a readiness pipe as fd 3 (CONVENE_READY_FD=3) and
 * stdout/stderr on pipes, and marks it running once it writes "READY\n" on
 * fd 3. Its output lines ("<level>: <message>") go to the log store under
 * the service's tag. A wanted service that exits is restarted with
 * exponential back-off (0.5 s, doubling to at most 30 s, back to 0.5 s after
 * 60 s of health); one that does not report ready within 30 s is killed and
 * counts as a crash. One that stops SUPER_MAX_CRASHES times in a row is
 * given up and reported as failed, with its last exit reason, until an
 * operator enables or restarts it. Stopping sends SIGTERM, then SIGKILL
 * after 5 s, to the service's whole process group (it runs in a session of
 * its own), and whatever is left of the group when the service exits is
 * killed too.
 *
 * Everything runs on mmpd's libuv loop: uv_spawn for the children, uv_pipe_t
 * for their output and readiness, uv_timer_t for the deadlines. No threads.
 *
 * Each spawned process is a "run" that owns its process handle, its pipes
 * and their line buffers; it lives until all of its handles are closed, which
 * may be after the service has already been started again (a pipe can still
 * hold the last lines of the previous process).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/conf.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "lib/service.h"
#include "services/mmpd/mmpd.h"
#include "services/mmpd/cmd_areas.h"

/* Back-off (before CONVENE_BACKOFF_SCALE): first delay, cap, and how long a
 * service must have been ready for the next crash to start over. */
#define SUPER_BACKOFF_FIRST_MS 500
#define SUPER_BACKOFF_MAX_MS 30000
#define SUPER_HEALTHY_MS 60000
/* A service must report ready this soon after it was started. */
#define SUPER_READY_TIMEOUT_MS 30000
/* SIGKILL follows SIGTERM after this long. */
#define SUPER_KILL_TIMEOUT_MS 5000
/* A service that crashes this many times in a row (no healthy stretch
 * between) is given up: reported as failed with its last exit reason
 * until an operator's enable or restart. */
#define SUPER_MAX_CRASHES 8

#define SUPER_READY_MSG "READY\n"

/* The services are the command language's (mmp_service_names, ended by
 * NULL); SUPER_MAX_SVC bounds the table. */
#define SUPER_MAX_SVC 8

/* The MMP services that another service's process serves: the call bridge
 * hosts the Web Admin listener and the REST API on it, as in CMS
 * (services/callbridge/README.md). "webadmin enable" and "callbridge
 * enable" each start the one process convene-callbridge; its rendered
 * config says which of the two are enabled (the "hosted" section). */
static const struct {
	const char *svc, *host;
} super_hosted[] = {
	{ "webadmin", "callbridge" },
};

/* Processes that are not MMP services but run beside one: the media engine
 * runs while the call bridge (the MMP service, not Web Admin) is enabled
 * ("callbridge enable" brings both up, issue 12), is restarted with it
 * and supervised like any service (services/media/README.md). */
static const struct {
	const char *svc, *owner;
} super_companions[] = {
	{ "media", "callbridge" },
};

/* The media engine's UDP port until a setting says otherwise. */
#define SUPER_MEDIA_PORT 10000

/* One output stream of a child, cut into lines of at most CV_LOG_LINE_MAX - 1
 * bytes; the rest of a longer line is dropped. */
struct linebuf {
	char buf[CV_LOG_LINE_MAX];
	size_t len;
	bool skipping; /* inside the cut-off tail of a long line */
};

struct super_svc;

/* One spawned process and its pipes. */
struct super_run {
	struct super_run *next; /* in mmpd_super.runs */
	struct mmpd_super *s;	/* NULL once the supervisor is freed */
	struct super_svc *v;	/* NULL once the supervisor is freed */
	uv_process_t proc;
	int pid;	/* also its process group (a session of its own) */
	uv_pipe_t out, err, ready;
	bool out_open, err_open, ready_open; /* the pipe handles were initialized */
	struct linebuf lout, lerr;
	char rbuf[16]; /* what came on the readiness pipe */
	size_t rlen;
	bool exited;
	int nhandles; /* handles not closed yet */
};

struct super_svc {
	struct mmpd_super *s;
	const char *name;
	/* A service served by another's process (webadmin by the call
	 * bridge's, as in CMS): it has no process of its own; its enable is
	 * "enabled" here and its host's process runs while the host or any
	 * of its guests is enabled. NULL for a service with its own process. */
	struct super_svc *host;
	/* A companion process (super_companions): its enable follows this
	 * MMP service's. NULL for the MMP services. */
	struct super_svc *owner;
	bool enabled; /* the operator's enable of this MMP service */
	struct super_run *run; /* the current process, NULL if none */
	bool wanted;	       /* mmpd keeps it running */
	bool running;	       /* the current process reported ready */
	bool term_sent;	       /* SIGTERM sent to the current process */
	bool start_after_exit; /* a restart waits for the current process to exit */
	bool ready_timed_out;
	int pid;
	unsigned restarts;
	unsigned crashes;    /* in a row, without a healthy stretch */
	bool failed;	     /* given up after SUPER_MAX_CRASHES */
	uint64_t ready_at;   /* uv_now() when it reported ready */
	uint64_t backoff_ms; /* delay before the next restart after a crash */
	char last_exit[128];
	uv_timer_t restart_timer, ready_timer, kill_timer;
};

struct mmpd_super {
	struct mmpd *d;
	struct super_svc svc[SUPER_MAX_SVC];
	size_t nsvc;
	struct super_run *runs; /* every run with open handles */
	uint64_t backoff_first_ms, backoff_max_ms, healthy_ms;
	bool shutting_down;
	void (*shutdown_done)(struct mmpd *d);
	int nclosing; /* timers still closing after mmpd_super_free */
};

static int svc_start_now(struct super_svc *v);
static void svc_restart_due(uv_timer_t *t);


static void super_log(struct mmpd_super *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void super_log(struct mmpd_super *s, int level, const char *fmt, ...)
{
	char msg[CV_LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s->d->logs)
		mmpd_logstore_log(s->d->logs, "mmpd", level, msg);
	else
		cv_log(level, "%s", msg);
}

/* "0.5", "1.0", "0.05", "30.0": seconds with at least one decimal. */
static void fmt_secs(char *buf, size_t size, uint64_t ms)
{
	size_t n;

	snprintf(buf, size, "%llu.%03llu", (unsigned long long)(ms / 1000),
		 (unsigned long long)(ms % 1000));
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0' && buf[n - 2] != '.')
		buf[--n] = '\0';
}

static struct super_svc *super_find(struct mmpd_super *s, const char *name)
{
	if (!s || !name)
		return NULL;
	for (size_t i = 0; i < s->nsvc; i++)
		if (strcmp(s->svc[i].name, name) == 0)
			return &s->svc[i];
	return NULL;
}

/* dir made absolute against the current directory: the service's cwd and
 * mmpd's may differ, and the service reads its config path as given. */
/* mmpd_main.c made every directory absolute before it could detach. */
static char *svc_program(const struct super_svc *v)
{
	return xasprintf("%s/convene-%s", v->s->d->service_dir,
			 (v->host ? v->host : v)->name);
}

/*
 * Pid files. Services run in their own sessions, so when mmpd itself is
 * killed (kill -9, OOM) they keep running with nobody reading their pipes.
 * Each running service has <state-dir>/run/<svc>.pid; a new mmpd ends any
 * process still named there whose program is the service's program before
 * it starts its own (it cannot adopt it: the pipes died with the old mmpd).
 */
static char *pidfile_path(const struct super_svc *v)
{
	return xasprintf("%s/run/%s.pid", v->s->d->state_dir, v->name);
}

static void pidfile_write(const struct super_svc *v, int pid)
{
	char *path = pidfile_path(v);
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", pid);

	cv_file_write(path, buf, (size_t)n, 0600);
	free(path);
}

static void pidfile_remove(const struct super_svc *v)
{
	char *path = pidfile_path(v);

	unlink(path);
	free(path);
}

static void svc_reap_stale(struct super_svc *v, const char *prog)
{
	char *path = pidfile_path(v), *text = NULL;
	char exe[PATH_MAX], real[PATH_MAX], link[64];
	unsigned long pid;
	ssize_t n;

	if (cv_file_read(path, 64, &text, NULL) < 0)
		goto out;
	text[strcspn(text, "\n")] = '\0';
	if (cv_parse_ulong(text, 2, 4194304, &pid) < 0)
		goto out;
	snprintf(link, sizeof(link), "/proc/%lu/exe", pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0)
		goto out;
	exe[n] = '\0';
	/* The program may be a link (tests link one program under several
	 * names): compare what both resolve to. */
	if (!realpath(prog, real) || strcmp(exe, real) != 0)
		goto out;
	super_log(v->s, CV_LOG_WARNING,
		  "service %s (pid %lu) was left running by a previous mmpd; stopping it", v->name,
		  pid);
	/* Its own session and process group: end the whole group. */
	kill(-(pid_t)pid, SIGKILL);
	kill((pid_t)pid, SIGKILL);
out:
	unlink(path);
	free(text);
	free(path);
}

bool mmpd_super_installed(struct mmpd_super *s, const char *svc)
{
	struct super_svc *v = super_find(s, svc);
	struct stat st;
	char *prog;
	bool ok;

	if (!v)
		return false;
	prog = svc_program(v);
	ok = stat(prog, &st) == 0 && S_ISREG(st.st_mode) && access(prog, X_OK) == 0;
	free(prog);
	return ok;
}

/* --- the rendered config --- */

static json_object *copy_or_empty(json_object *o)
{
	json_object *copy = NULL;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    json_object_deep_copy(o, &copy, NULL) < 0)
		return json_object_new_object();
	return copy;
}

/*
 * Services that keep data of their own (the call bridge's database) get
 * <state-dir>/services/<svc>: mode 0700 and owned by convene-<svc>, so that
 * no other service and no MMP account reads it. <state-dir>/services is
 * root's, mode 0711 (the state directory is 0711 too: mmpd_users.c), and
 * neither is entered through a symbolic link. Made before each start, so
 * that a directory removed or changed by hand is put right.
 */
/* media: its directory is unused, but making it makes <state>/services,
 * where its control socket goes (render_media). */
static const char *const super_data_services[] = { "callbridge", "xmpp", "media", NULL };

static int svc_data_dir(struct super_svc *v, char **ret_path)
{
	struct mmpd *d = v->s->d;
	char user[64], pwbuf[1024];
	struct passwd pw, *res = NULL;
	struct stat st;
	int dfd, sfd = -1, fd = -1, r = 0;

	dfd = open(d->state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	/* The service's user passes through the state directory (0711, as
	 * mmpd_users.c makes it when it manages system users; without them
	 * it may still be 0700). */
	if (fstat(dfd, &st) < 0 ||
	    ((st.st_mode & 0011) != 0011 && fchmod(dfd, (st.st_mode & 07777) | 0011) < 0)) {
		r = -errno;
		goto out;
	}
	if ((mkdirat(dfd, "services", 0711) < 0 && errno != EEXIST) ||
	    (sfd = openat(dfd, "services", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fstat(sfd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (st.st_uid != 0 && fchown(sfd, 0, 0) < 0) {
		r = -errno;
		goto out;
	}
	if ((st.st_mode & 07777) != 0711 && fchmod(sfd, 0711) < 0) {
		r = -errno;
		goto out;
	}
	if ((mkdirat(sfd, v->name, 0700) < 0 && errno != EEXIST) ||
	    (fd = openat(sfd, v->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		r = -errno;
		goto out;
	}
	snprintf(user, sizeof(user), CV_SERVICE_USER_PREFIX "%s", v->name);
	/* Without its user (a build tree run by hand) the service stays
	 * root and so does its directory. */
	if (getpwnam_r(user, &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res &&
	    fchown(fd, res->pw_uid, res->pw_gid) < 0) {
		r = -errno;
		goto out;
	}
	if (fchmod(fd, 0700) < 0) {
		r = -errno;
		goto out;
	}
	*ret_path = xasprintf("%s/services/%s", d->state_dir, v->name);
out:
	if (fd >= 0)
		close(fd);
	if (sfd >= 0)
		close(sfd);
	close(dfd);
	return r;
}

/* The "hosted" section of a process's config: for each service it serves
 * besides its own, whether it is enabled and its part of the document. */
static json_object *render_hosted(struct super_svc *p)
{
	struct mmpd_super *s = p->s;
	json_object *hosted = json_object_new_object();

	for (size_t i = 0; i < s->nsvc; i++) {
		struct super_svc *g = &s->svc[i];
		json_object *o;

		if (g->host != p)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "enabled", json_object_new_boolean(g->enabled));
		json_object_object_add(o, "config", copy_or_empty(cv_conf_get(s->d->doc, g->name)));
		json_object_object_add(hosted, g->name, o);
	}
	return hosted;
}

/* Writes <state-dir>/run/<svc>.json (mode 0600: it may hold secrets) and
 * returns its absolute path. */
/*
 * The media engine's config: it listens where the call bridge does
 * ("callbridge listen": the first interface's address), on one UDP port,
 * and serves its control socket to the call bridge's user. The socket is
 * <state>/services/media.sock: that directory is root's, mode 0711, so the
 * call bridge reaches the socket, which the engine makes 0600 and hands
 * to convene-callbridge (services/media/README.md).
 */
static json_object *render_media(struct mmpd *d)
{
	json_object *c = json_object_new_object(), *l = cv_conf_get(d->doc, "callbridge.listen");
	char *ctl = xasprintf("%s/services/media.sock", d->state_dir);
	json_object *copy = NULL;

	if (!l || !json_object_is_type(l, json_type_array) ||
	    json_object_deep_copy(l, &copy, NULL) < 0)
		copy = json_object_new_array();
	json_object_object_add(c, "listen", copy);
	json_object_object_add(c, "port",
			       json_object_new_int64(cv_conf_get_int(d->doc, "media.port",
								    SUPER_MEDIA_PORT)));
	json_object_object_add(c, "control", json_object_new_string(ctl));
	json_object_object_add(c, "control_user",
			       json_object_new_string(CV_SERVICE_USER_PREFIX "callbridge"));
	free(ctl);
	return c;
}

static int render_config(struct super_svc *v, char **ret_path)
{
	struct mmpd *d = v->s->d;
	json_object *root = json_object_new_object();
	json_object *ifs = json_object_new_object();
	char *rundir = xasprintf("%s/run", d->state_dir);
	char *path = xasprintf("%s/%s.json", rundir, v->name);
	const char *text;
	int r;

	json_object_object_add(root, "service", json_object_new_string(v->name));
	json_object_object_add(root, "config", strcmp(v->name, "media") == 0
						       ? render_media(d)
						       : copy_or_empty(cv_conf_get(d->doc, v->name)));
	json_object_object_add(root, "tls", copy_or_empty(cv_conf_get(d->doc, "tls")));
	/* The resolver settings ("dns add forwardzone", "dns add rr"): every
	 * service builds its resolver from them with cv_dns_config_from_json(),
	 * the same code "dns lookup" runs (lib/resolver.h). */
	json_object_object_add(root, "dns", copy_or_empty(cv_conf_get(d->doc, "dns")));
	for (int i = 0; i < 4; i++) {
		char key[32];
		const char *addr;
		json_object *o;

		snprintf(key, sizeof(key), "ipv4.%c.address", CV_IFACES[i]);
		addr = cv_conf_get_str(d->doc, key, NULL);
		if (!addr)
			continue;
		snprintf(key, sizeof(key), "ipv4.%c.prefixlen", CV_IFACES[i]);
		o = json_object_new_object();
		json_object_object_add(o, "address", json_object_new_string(addr));
		json_object_object_add(o, "prefixlen",
				       json_object_new_int64(cv_conf_get_int(d->doc, key, 32)));
		json_object_object_add(o, "kernel",
				       d->ifmap[i][0] ? json_object_new_string(d->ifmap[i]) : NULL);
		json_object_object_add(ifs, (char[]){CV_IFACES[i], '\0'}, o);
	}
	json_object_object_add(root, "interfaces", ifs);
	if (d->upload_dir)
		json_object_object_add(root, "upload_dir", json_object_new_string(d->upload_dir));
	json_object_object_add(root, "hostname", json_object_new_string(mmpd_hostname(d)));
	json_object_object_add(root, "enabled", json_object_new_boolean(v->enabled));
	json_object_object_add(root, "hosted", render_hosted(v));
	/* mmpd's socket: services that check MMP logins ask mmpd there
	 * ("service_login", services/mmpd/README.md). */
	if (d->socket_path)
		json_object_object_add(root, "socket", json_object_new_string(d->socket_path));
	for (size_t i = 0; super_data_services[i]; i++) {
		char *dir = NULL;

		if (strcmp(super_data_services[i], v->name) != 0)
			continue;
		r = svc_data_dir(v, &dir);
		if (r < 0) {
			super_log(v->s, CV_LOG_ERR, "cannot make the data directory of %s: %s",
				  v->name, strerror(-r));
			goto out;
		}
		json_object_object_add(root, "data_dir", json_object_new_string(dir));
		free(dir);
	}

	if (mkdir(rundir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		goto out;
	}
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							JSON_C_TO_STRING_NOSLASHESCAPE);
	r = cv_file_write(path, text, strlen(text), 0600);
	if (r == 0) {
		*ret_path = path;
		path = NULL;
	}
out:
	json_object_put(root);
	free(path);
	free(rundir);
	return r;
}

/* Signals the whole process group of a run: a service runs in its own
 * session (UV_PROCESS_DETACHED), so whatever it started goes with it. */
static void run_kill(struct super_run *run, int sig)
{
	if (run->exited || run->pid <= 0)
		return;
	if (kill(-run->pid, sig) < 0)
		kill(run->pid, sig);
}

/* --- runs: a child's handles and output --- */

static void run_unlink(struct super_run *run)
{
	if (!run->s)
		return;
	for (struct super_run **pp = &run->s->runs; *pp; pp = &(*pp)->next) {
		if (*pp == run) {
			*pp = run->next;
			break;
		}
	}
}

static void run_handle_closed(uv_handle_t *h)
{
	struct super_run *run = h->data;

	if (--run->nhandles > 0)
		return;
	run_unlink(run);
	free(run);
}

static void run_close(struct super_run *run, uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, run_handle_closed);
}

/* One complete line of service output: strip, sanitize, store. */
static void run_emit(struct super_run *run, struct linebuf *lb)
{
	const char *msg;
	int level;

	while (lb->len > 0 && lb->buf[lb->len - 1] == '\r')
		lb->len--;
	/* Control characters are escaped by the log store, like every line;
	 * a NUL would end the string there. */
	for (size_t i = 0; i < lb->len; i++)
		if (lb->buf[i] == '\0')
			lb->buf[i] = ' ';
	lb->buf[lb->len] = '\0';
	lb->len = 0;
	if (!run->v || lb->buf[0] == '\0')
		return;
	level = cv_log_parse_level(lb->buf, &msg);
	if (run->s->d->logs)
		mmpd_logstore_log(run->s->d->logs, run->v->name, level, msg);
	else
		cv_log(level, "%s: %s", run->v->name, msg);
}

static void run_feed(struct super_run *run, struct linebuf *lb, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if (!lb->skipping)
				run_emit(run, lb);
			lb->skipping = false;
			lb->len = 0;
		} else if (lb->skipping) {
			continue;
		} else if (lb->len < sizeof(lb->buf) - 1) {
			lb->buf[lb->len++] = p[i];
		} else {
			/* Longer than CV_LOG_LINE_MAX: keep the head, drop the tail. */
			run_emit(run, lb);
			lb->skipping = true;
		}
	}
}

static void run_flush(struct super_run *run, struct linebuf *lb)
{
	if (lb->len > 0 && !lb->skipping)
		run_emit(run, lb);
	lb->len = 0;
	lb->skipping = false;
}

static void run_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char space[65536];

	buf->base = space;
	buf->len = sizeof(space);
}

static void run_output(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct super_run *run = st->data;
	struct linebuf *lb = st == (uv_stream_t *)&run->out ? &run->lout : &run->lerr;

	if (n > 0) {
		run_feed(run, lb, buf->base, (size_t)n);
	} else if (n < 0) {
		/* UV_EOF or an error: the stream is done either way. */
		run_flush(run, lb);
		run_close(run, (uv_handle_t *)st);
	}
}

/* Reads what is already in a pipe, so that a service's last lines are
 * stored before mmpd's line about its exit. */
static void run_drain(struct super_run *run, uv_pipe_t *p, struct linebuf *lb)
{
	char buf[4096];
	uv_os_fd_t fd;

	if (uv_is_closing((uv_handle_t *)p) || uv_fileno((uv_handle_t *)p, &fd) < 0)
		return;
	for (int i = 0; i < 256; i++) {
		/* These are socketpairs made by uv_spawn; MSG_DONTWAIT never blocks. */
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0) {
			run_feed(run, lb, buf, (size_t)n);
			continue;
		}
		if (n == 0) {
			run_flush(run, lb);
			run_close(run, (uv_handle_t *)p);
		}
		break;
	}
}

static void svc_ready(struct super_svc *v)
{
	v->running = true;
	v->ready_at = uv_now(v->s->d->loop);
	uv_timer_stop(&v->ready_timer);
	super_log(v->s, CV_LOG_INFO, "service %s is running (pid %d)", v->name, v->pid);
}

static void run_ready_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct super_run *run = st->data;
	struct super_svc *v = run->v;
	size_t take;

	if (n < 0) {
		run_close(run, (uv_handle_t *)st);
		return;
	}
	if (n == 0 || !v || v->run != run || v->running)
		return;
	take = (size_t)n;
	if (take > sizeof(run->rbuf) - run->rlen)
		take = sizeof(run->rbuf) - run->rlen;
	memcpy(run->rbuf + run->rlen, buf->base, take);
	run->rlen += take;
	if (run->rlen < strlen(SUPER_READY_MSG)) {
		if (memcmp(run->rbuf, SUPER_READY_MSG, run->rlen) != 0)
			goto bad;
		return;
	}
	if (memcmp(run->rbuf, SUPER_READY_MSG, strlen(SUPER_READY_MSG)) != 0)
		goto bad;
	svc_ready(v);
	return;
bad:
	super_log(v->s, CV_LOG_WARNING,
		  "service %s wrote something other than READY on its readiness pipe", v->name);
	run_close(run, (uv_handle_t *)st);
}

/* --- state changes --- */

static bool super_any_alive(const struct mmpd_super *s)
{
	for (size_t i = 0; i < s->nsvc; i++)
		if (s->svc[i].run)
			return true;
	return false;
}

static void super_check_shutdown(struct mmpd_super *s)
{
	void (*done)(struct mmpd *) = s->shutdown_done;

	if (!done || super_any_alive(s))
		return;
	s->shutdown_done = NULL;
	super_log(s, CV_LOG_INFO, "all services stopped");
	done(s->d);
}

/* After a crash (or a failed start) of a wanted service. */
static void svc_schedule_restart(struct super_svc *v, const char *what)
{
	struct mmpd_super *s = v->s;
	uint64_t delay = v->backoff_ms;
	char secs[32];

	v->backoff_ms =
	    v->backoff_ms * 2 > s->backoff_max_ms ? s->backoff_max_ms : v->backoff_ms * 2;
	v->restarts++;
	fmt_secs(secs, sizeof(secs), delay);
	super_log(s, CV_LOG_WARNING, "service %s %s; restarting in %s s (restart %u)", v->name,
		  what, secs, v->restarts);
	uv_timer_start(&v->restart_timer, svc_restart_due, delay, 0);
}

static void run_exited(uv_process_t *p, int64_t status, int sig)
{
	struct super_run *run = p->data;
	struct super_svc *v = run->v;
	bool was_ready;

	run->exited = true;
	/* What the service started and left behind goes with it (libuv has
	 * reaped the service: its pid cannot be reused while the group has a
	 * member left). */
	if (run->pid > 0)
		kill(-run->pid, SIGKILL);
	if (v && v->run == run)
		pidfile_remove(v);
	run_drain(run, &run->out, &run->lout);
	run_drain(run, &run->err, &run->lerr);
	run_close(run, (uv_handle_t *)p);
	if (run->ready_open)
		run_close(run, (uv_handle_t *)&run->ready);
	if (!v || v->run != run)
		return;

	v->run = NULL;
	v->pid = 0;
	was_ready = v->running;
	v->running = false;
	v->term_sent = false;
	uv_timer_stop(&v->ready_timer);
	uv_timer_stop(&v->kill_timer);
	if (sig)
		snprintf(v->last_exit, sizeof(v->last_exit), "killed by signal %d%s", sig,
			 v->ready_timed_out ? " (not ready in time)" : "");
	else
		snprintf(v->last_exit, sizeof(v->last_exit), "exited with status %lld",
			 (long long)status);
	v->ready_timed_out = false;

	if (v->wanted && v->start_after_exit) {
		v->start_after_exit = false;
		super_log(v->s, CV_LOG_INFO, "service %s stopped (%s); starting it again", v->name,
			  v->last_exit);
		svc_start_now(v);
	} else if (v->wanted) {
		/* Back to the first delay, and the count of crashes in a row
		 * back to nothing, after a healthy stretch. */
		if (was_ready && uv_now(v->s->d->loop) - v->ready_at >= v->s->healthy_ms) {
			v->backoff_ms = v->s->backoff_first_ms;
			v->crashes = 0;
		}
		if (++v->crashes >= SUPER_MAX_CRASHES) {
			v->failed = true;
			super_log(v->s, CV_LOG_ERR,
				  "service %s failed: it stopped %u times in a row, last %s; not "
				  "restarting it (%s enable or %s restart tries again)",
				  v->name, v->crashes, v->last_exit, v->name, v->name);
		} else {
			svc_schedule_restart(v, v->last_exit);
		}
	} else {
		super_log(v->s, CV_LOG_INFO, "service %s stopped (%s)", v->name, v->last_exit);
	}
	super_check_shutdown(v->s);
}

static void svc_restart_due(uv_timer_t *t)
{
	struct super_svc *v = t->data;

	if (v->wanted && !v->run && !v->s->shutting_down)
		svc_start_now(v);
}

static void svc_ready_timeout(uv_timer_t *t)
{
	struct super_svc *v = t->data;

	if (!v->run || v->running)
		return;
	super_log(v->s, CV_LOG_ERR, "service %s did not report ready within %d s; killing it",
		  v->name, SUPER_READY_TIMEOUT_MS / 1000);
	v->ready_timed_out = true;
	run_kill(v->run, SIGKILL);
}

static void svc_kill_timeout(uv_timer_t *t)
{
	struct super_svc *v = t->data;

	if (!v->run)
		return;
	super_log(v->s, CV_LOG_WARNING, "service %s did not stop within %d s; killing it", v->name,
		  SUPER_KILL_TIMEOUT_MS / 1000);
	run_kill(v->run, SIGKILL);
}

/* mmpd's environment, with CONVENE_READY_FD set for the child. */
static char **child_env(void)
{
	extern char **environ;
	size_t n = 0, j = 0;
	char **env;

	while (environ[n])
		n++;
	env = xcalloc(n + 2, sizeof(*env));
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "CONVENE_READY_FD=", 17) != 0)
			env[j++] = environ[i];
	env[j++] = "CONVENE_READY_FD=3";
	env[j] = NULL;
	return env;
}

/* Renders the config and spawns the process. On failure the service stays
 * wanted and is retried with back-off, like a crash. */
static int svc_start_now(struct super_svc *v)
{
	struct mmpd_super *s = v->s;
	uv_loop_t *loop = s->d->loop;
	uv_process_options_t opt = {0};
	uv_stdio_container_t stdio[4];
	struct super_run *run;
	char *prog = svc_program(v);
	char *conf = NULL;
	char **env = NULL;
	int pfd[2] = {-1, -1};
	int r;

	r = render_config(v, &conf);
	if (r < 0) {
		super_log(s, CV_LOG_ERR, "cannot write the config of service %s: %s", v->name,
			  strerror(-r));
		snprintf(v->last_exit, sizeof(v->last_exit), "could not be started");
		svc_schedule_restart(v, "could not be started");
		goto out;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		r = -errno;
		super_log(s, CV_LOG_ERR, "cannot start service %s: pipe: %s", v->name,
			  strerror(-r));
		snprintf(v->last_exit, sizeof(v->last_exit), "could not be started");
		svc_schedule_restart(v, "could not be started");
		goto out;
	}

	run = xcalloc(1, sizeof(*run));
	run->s = s;
	run->v = v;
	run->proc.data = run;
	run->out.data = run;
	run->err.data = run;
	run->ready.data = run;
	uv_pipe_init(loop, &run->out, 0);
	uv_pipe_init(loop, &run->err, 0);
	run->out_open = run->err_open = true;
	run->nhandles = 3; /* out, err, proc */
	run->next = s->runs;
	s->runs = run;

	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)&run->out;
	stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[2].data.stream = (uv_stream_t *)&run->err;
	/* fd 3 in the child, as CONVENE_READY_FD says (child_env). */
	stdio[3].flags = UV_INHERIT_FD;
	stdio[3].data.fd = pfd[1];
	env = child_env();
	opt.file = prog;
	opt.args = (char *[]){prog, "--config", conf, NULL};
	opt.env = env;
	opt.stdio = stdio;
	opt.stdio_count = 4;
	opt.exit_cb = run_exited;
	/* Its own session: a terminal's ^C reaches mmpd, which stops it in order. */
	opt.flags = UV_PROCESS_DETACHED;
	/* Root for now: services bind, then drop privileges themselves. */
	r = uv_spawn(loop, &run->proc, &opt);
	close(pfd[1]);
	if (r < 0) {
		close(pfd[0]);
		run->exited = true;
		run_close(run, (uv_handle_t *)&run->out);
		run_close(run, (uv_handle_t *)&run->err);
		run_close(run, (uv_handle_t *)&run->proc);
		super_log(s, CV_LOG_ERR, "cannot start service %s: %s: %s", v->name, prog,
			  uv_strerror(r));
		snprintf(v->last_exit, sizeof(v->last_exit), "could not be started: %s",
			 uv_strerror(r));
		svc_schedule_restart(v, "could not be started");
		goto out; /* libuv's codes are negative errnos on Unix */
	}

	uv_pipe_init(loop, &run->ready, 0);
	run->ready_open = true;
	run->nhandles++;
	if (uv_pipe_open(&run->ready, pfd[0]) < 0) {
		close(pfd[0]);
		run_close(run, (uv_handle_t *)&run->ready);
	} else {
		uv_read_start((uv_stream_t *)&run->ready, run_alloc, run_ready_read);
	}
	uv_read_start((uv_stream_t *)&run->out, run_alloc, run_output);
	uv_read_start((uv_stream_t *)&run->err, run_alloc, run_output);

	v->run = run;
	run->pid = run->proc.pid;
	v->pid = run->proc.pid;
	pidfile_write(v, v->pid);
	v->running = false;
	v->term_sent = false;
	v->ready_timed_out = false;
	uv_timer_start(&v->ready_timer, svc_ready_timeout, SUPER_READY_TIMEOUT_MS, 0);
	super_log(s, CV_LOG_INFO, "service %s started (pid %d)", v->name, v->pid);
	r = 0;
out:
	free(env);
	free(conf);
	free(prog);
	return r;
}

/* SIGTERM now, SIGKILL after SUPER_KILL_TIMEOUT_MS. */
static void svc_terminate(struct super_svc *v)
{
	if (!v->run || v->term_sent)
		return;
	super_log(v->s, CV_LOG_INFO, "service %s stopping (pid %d)", v->name, v->pid);
	v->term_sent = true;
	run_kill(v->run, SIGTERM);
	uv_timer_start(&v->kill_timer, svc_kill_timeout, SUPER_KILL_TIMEOUT_MS, 0);
}

static int svc_check_installed(struct super_svc *v)
{
	char *prog;

	if (mmpd_super_installed(v->s, v->name))
		return 0;
	prog = svc_program(v);
	super_log(v->s, CV_LOG_ERR, "service %s is not installed (no program %s)", v->name, prog);
	free(prog);
	return -ENOENT;
}

/* --- the API (mmpd.h) --- */

static uint64_t scaled(double ms, double scale)
{
	double v = ms * scale;

	return v < 1 ? 1 : (uint64_t)(v + 0.5);
}

struct mmpd_super *mmpd_super_new(struct mmpd *d)
{
	struct mmpd_super *s = xcalloc(1, sizeof(*s));
	double scale;
	size_t nmmp;

	s->d = d;
	scale = cv_delay_scale();
	s->backoff_first_ms = scaled(SUPER_BACKOFF_FIRST_MS, scale);
	s->backoff_max_ms = scaled(SUPER_BACKOFF_MAX_MS, scale);
	s->healthy_ms = scaled(SUPER_HEALTHY_MS, scale);
	if (scale != 1.0)
		super_log(s, CV_LOG_INFO, "service back-off scaled by %g", scale);
	while (mmp_service_names[s->nsvc] && s->nsvc < SUPER_MAX_SVC)
		s->nsvc++;
	nmmp = s->nsvc;
	for (size_t i = 0; i < sizeof(super_companions) / sizeof(super_companions[0]) &&
			   s->nsvc < SUPER_MAX_SVC;
	     i++)
		s->nsvc++;
	for (size_t i = 0; i < s->nsvc; i++) {
		struct super_svc *v = &s->svc[i];

		v->s = s;
		v->name = i < nmmp ? mmp_service_names[i] : super_companions[i - nmmp].svc;
		v->backoff_ms = s->backoff_first_ms;
		uv_timer_init(d->loop, &v->restart_timer);
		uv_timer_init(d->loop, &v->ready_timer);
		uv_timer_init(d->loop, &v->kill_timer);
		v->restart_timer.data = v;
		v->ready_timer.data = v;
		v->kill_timer.data = v;
	}
	for (size_t i = 0; i < sizeof(super_hosted) / sizeof(super_hosted[0]); i++) {
		struct super_svc *v = super_find(s, super_hosted[i].svc);

		if (v)
			v->host = super_find(s, super_hosted[i].host);
	}
	for (size_t i = nmmp; i < s->nsvc; i++)
		s->svc[i].owner = super_find(s, super_companions[i - nmmp].owner);
	for (size_t i = 0; i < s->nsvc; i++) {
		struct super_svc *v = &s->svc[i];
		char *prog;

		if (v->host)
			continue;
		prog = svc_program(v);
		svc_reap_stale(v, prog);
		free(prog);
	}
	return s;
}

static void super_timer_closed(uv_handle_t *h)
{
	struct super_svc *v = h->data;
	struct mmpd_super *s = v->s;

	if (--s->nclosing == 0)
		free(s);
}

void mmpd_super_free(struct mmpd_super *s)
{
	struct super_run *run, *next;

	if (!s)
		return;
	/* Runs outlive the supervisor until their handles are closed. The
	 * supervisor itself is freed once its timers are closed: at once if
	 * mmpd closed them already, else on the next turn of the loop. */
	for (run = s->runs; run; run = next) {
		next = run->next;
		run->s = NULL;
		run->v = NULL;
		run->next = NULL;
		if (!run->exited && !uv_is_closing((uv_handle_t *)&run->proc))
			run_kill(run, SIGKILL);
		run_close(run, (uv_handle_t *)&run->proc);
		if (run->out_open)
			run_close(run, (uv_handle_t *)&run->out);
		if (run->err_open)
			run_close(run, (uv_handle_t *)&run->err);
		if (run->ready_open)
			run_close(run, (uv_handle_t *)&run->ready);
	}
	s->runs = NULL;
	for (size_t i = 0; i < s->nsvc; i++) {
		struct super_svc *v = &s->svc[i];
		uv_timer_t *timers[] = {&v->restart_timer, &v->ready_timer, &v->kill_timer};

		v->run = NULL;
		for (size_t j = 0; j < sizeof(timers) / sizeof(timers[0]); j++) {
			/* mmpd may have closed every handle already (uv_walk). */
			if (uv_is_closing((uv_handle_t *)timers[j]))
				continue;
			s->nclosing++;
			uv_close((uv_handle_t *)timers[j], super_timer_closed);
		}
	}
	if (s->nclosing == 0)
		free(s);
}

/* The process that serves v: its host's, or its own. */
static struct super_svc *svc_proc(struct super_svc *v)
{
	return v->host ? v->host : v;
}

/* Whether the process p must run: p's own service or one it hosts is
 * enabled. */
static bool proc_wanted(const struct mmpd_super *s, const struct super_svc *p)
{
	if (p->enabled)
		return true;
	for (size_t i = 0; i < s->nsvc; i++)
		if (s->svc[i].host == p && s->svc[i].enabled)
			return true;
	return false;
}

/* The service svc, if it may be started now: it exists, mmpd is not
 * shutting down and its program is installed. */
static int svc_startable(struct mmpd_super *s, const char *svc, struct super_svc **ret_v)
{
	struct super_svc *v = super_find(s, svc);
	int r;

	if (!v)
		return -EINVAL;
	if (s->shutting_down)
		return -ECANCELED;
	r = svc_check_installed(v);
	if (r < 0)
		return r;
	*ret_v = v;
	return 0;
}

/* Starts the process p (a service with its own process). */
static int proc_start(struct mmpd_super *s, struct super_svc *v)
{
	if (!v->wanted || v->failed) {
		/* A new enable: the counts and the back-off start over. */
		v->restarts = 0;
		v->crashes = 0;
		v->failed = false;
		v->backoff_ms = s->backoff_first_ms;
	}
	v->wanted = true;
	if (v->run) {
		/* Still stopping: start again once it has exited. */
		if (v->term_sent)
			v->start_after_exit = true;
		return 0;
	}
	if (uv_is_active((uv_handle_t *)&v->restart_timer))
		return 0; /* a restart after a crash is already due */
	return svc_start_now(v);
}

static void proc_stop(struct mmpd_super *s, struct super_svc *v)
{
	if (v->wanted && !v->run)
		super_log(s, CV_LOG_INFO, "service %s stopped", v->name);
	v->wanted = false;
	v->failed = false;
	v->start_after_exit = false;
	uv_timer_stop(&v->restart_timer);
	svc_terminate(v);
}

static int proc_restart(struct mmpd_super *s, struct super_svc *v)
{
	if (!v->wanted)
		v->restarts = 0;
	v->wanted = true;
	v->failed = false;
	v->crashes = 0;
	/* An operator's restart is not a crash: back-off starts over. */
	v->backoff_ms = s->backoff_first_ms;
	uv_timer_stop(&v->restart_timer);
	if (v->run) {
		super_log(s, CV_LOG_INFO, "service %s restarting", v->name);
		v->start_after_exit = true;
		svc_terminate(v);
		return 0;
	}
	return svc_start_now(v);
}

/* The set of enabled services a running process serves changed: it reads
 * that set from its rendered config, so it starts again with a new one. */
static int proc_members_changed(struct mmpd_super *s, struct super_svc *p)
{
	if (!proc_wanted(s, p)) {
		proc_stop(s, p);
		return 0;
	}
	if (p->run)
		return proc_restart(s, p);
	return proc_start(s, p);
}

/* The companions of owner follow its enable: started (or restarted, when
 * restart) while it is enabled and installed, stopped otherwise. A
 * companion that is not installed is left out without failing the
 * owner's command (its absence is logged once by svc_check_installed). */
static void companions_follow(struct mmpd_super *s, struct super_svc *owner, bool restart)
{
	for (size_t i = 0; i < s->nsvc; i++) {
		struct super_svc *c = &s->svc[i];

		if (c->owner != owner)
			continue;
		c->enabled = owner->enabled && !s->shutting_down;
		if (!c->enabled) {
			proc_stop(s, c);
			continue;
		}
		if (svc_check_installed(c) < 0)
			continue;
		if (restart)
			proc_restart(s, c);
		else
			proc_start(s, c);
	}
}

int mmpd_super_start(struct mmpd_super *s, const char *svc)
{
	struct super_svc *v, *p;
	bool was;
	int r = svc_startable(s, svc, &v);

	if (r < 0)
		return r;
	p = svc_proc(v);
	was = v->enabled;
	v->enabled = true;
	companions_follow(s, v, false);
	if (!was && p->run && !p->term_sent)
		return proc_members_changed(s, p);
	return proc_start(s, p);
}

int mmpd_super_stop(struct mmpd_super *s, const char *svc)
{
	struct super_svc *v = super_find(s, svc), *p;

	if (!v)
		return -EINVAL;
	p = svc_proc(v);
	v->enabled = false;
	companions_follow(s, v, false);
	if (proc_wanted(s, p) && !s->shutting_down)
		return proc_members_changed(s, p);
	proc_stop(s, p);
	return 0;
}

int mmpd_super_restart(struct mmpd_super *s, const char *svc)
{
	struct super_svc *v;
	int r = svc_startable(s, svc, &v);

	if (r < 0)
		return r;
	v->enabled = true;
	companions_follow(s, v, true);
	return proc_restart(s, svc_proc(v));
}

/*
 * The line a service writes about itself in <state>/services/<svc>/status
 * (the XMPP server: the call bridges connected to it), for its MMP screen.
 * The directory is the service user's, so the file is untrusted: never
 * followed through a symbolic link, only a regular file with one link,
 * owned by the directory's owner, at most MMP_SVC_STATUS_MAX - 1 bytes,
 * and anything but printable ASCII is shown as '?'.
 */
static void svc_status_line(struct mmpd *d, const char *svc, char *buf, size_t len)
{
	char path[PATH_MAX];
	struct stat dst, st;
	int dfd, fd = -1;
	ssize_t n = 0;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/services/%s", d->state_dir, svc);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return;
	if (fstat(dfd, &dst) == 0)
		fd = openat(dfd, "status", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
	    st.st_uid == dst.st_uid && (size_t)st.st_size < len)
		n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n' && !p[1])
			*p = '\0';
		else if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	if (fd >= 0)
		close(fd);
	close(dfd);
}

void mmpd_super_state(struct mmpd_super *s, const char *svc, struct mmp_svc_state *ret)
{
	struct super_svc *v = super_find(s, svc), *p;

	memset(ret, 0, sizeof(*ret));
	if (!v)
		return;
	p = svc_proc(v);
	ret->installed = mmpd_super_installed(s, svc);
	/* A hosted service runs when it is enabled and its host's process
	 * does: the screens of both show the one process's state. */
	ret->wanted = p->wanted && v->enabled;
	ret->running = p->running && v->enabled;
	ret->pid = p->run && (!v->host || v->enabled) ? p->pid : 0;
	ret->restarts = p->restarts;
	ret->failed = p->failed && v->enabled;
	snprintf(ret->last_exit, sizeof(ret->last_exit), "%s", p->last_exit);
	if (ret->running)
		svc_status_line(s->d, svc, ret->status, sizeof(ret->status));
}

void mmpd_super_boot(struct mmpd_super *s)
{
	/* Every enable first, then each process once: a process that serves
	 * two enabled services starts once with both. */
	for (size_t i = 0; i < s->nsvc; i++) {
		char key[64];

		snprintf(key, sizeof(key), "%s.enabled", s->svc[i].name);
		s->svc[i].enabled = cv_conf_get_bool(s->d->doc, key, false);
	}
	for (size_t i = 0; i < s->nsvc; i++)
		if (s->svc[i].owner)
			s->svc[i].enabled = s->svc[i].owner->enabled;
	for (size_t i = 0; i < s->nsvc; i++) {
		struct super_svc *v = &s->svc[i];

		if (v->host || !proc_wanted(s, v))
			continue;
		/* svc_check_installed logs "not installed" for an enabled
		 * service whose program is missing. */
		if (svc_check_installed(v) == 0)
			proc_start(s, v);
	}
}

void mmpd_super_shutdown(struct mmpd_super *s, void (*done)(struct mmpd *d))
{
	s->shutting_down = true;
	s->shutdown_done = done;
	for (size_t i = 0; i < s->nsvc; i++) {
		struct super_svc *v = &s->svc[i];

		v->wanted = false;
		v->start_after_exit = false;
		uv_timer_stop(&v->restart_timer);
		svc_terminate(v);
	}
	super_check_shutdown(s);
}
