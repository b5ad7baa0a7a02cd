// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmpd's IPC server: the Unix socket that mmp, mmp-login and the PAM module
 * talk to (protocol in lib/ipc.h). Any local user may connect; what a
 * connection may do depends on who it is:
 *
 *  - Identity is by uid (SO_PEERCRED), never by a login name: root may act
 *    as any MMP user (the login paths and the tests); any other uid is the
 *    MMP user whose record carries that uid, which the system users applier
 *    (mmpd_users.c, --system-users) assigned when it made the account.
 *    Without --system-users no uid but root maps to a user.
 *  - A command runs in a worker process (mmpd_job.c), never on this loop:
 *    the loop matches the line (for the role check and the audit line),
 *    starts the worker and, when its result comes, applies and commits
 *    what it changed. A worker of a non-admin user may change nothing but
 *    that user's own password and login records.
 *  - Every client is bounded: at most MMPD_CONN_PER_UID connections per
 *    uid and MMPD_CONN_MAX in all (root is counted but never refused, so
 *    an administrator is never locked out), one request in flight per
 *    connection, MMPD_JOBS_MAX workers at once (further requests wait in
 *    line), a frame must arrive whole within MMPD_FRAME_MS, an idle
 *    connection is closed after MMPD_IDLE_MS, and a connection whose
 *    queued output passes MMPD_QUEUE_MAX (a `syslog follow` that stopped
 *    reading) is cut off.
 *  - The requests of the login paths ("login", "account", "session_open",
 *    "session_close": mmp-login and the PAM module) are root's only, act
 *    for no MMP user, and are refused when their "from" is not an origin;
 *    the checks run in workers like commands, the sessions are
 *    mmpd_sessions.c's. "user evict" closes the connections of the user's
 *    uid after a last {"evicted":true} frame (mmpd_ipc_evict).
 *  - What clients and workers send is checked by mmpd_check.c, without
 *    I/O (which request, who asks, from where, whether a command may run,
 *    what a worker's result may change); this file acts on its answers.
 *  - A client may hang up at any instant: mmpd ignores SIGPIPE (mmpd_main.c),
 *    a write to a closed peer only closes the connection, and a command
 *    whose client left still completes and commits.
 *
 * Every command is audit-logged (spec/mmp.md 1.1) before it runs.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/mmpd.h"
#include "services/mmpd/mmpd_users.h"
#include "services/mmpd/users.h"

/* Connections in all, and of one uid. */
#define MMPD_CONN_MAX 1024
#define MMPD_CONN_PER_UID 16
/* A frame must be complete this long after its first byte. */
#define MMPD_FRAME_MS 10000
/* A connection with nothing to do is closed after this long. */
#define MMPD_IDLE_MS (30 * 60 * 1000)
/* Output queued for one connection before it is cut off. */
#define MMPD_QUEUE_MAX (4u << 20)

struct conn;

/* What a run is: a command, or a check of the login paths. */
enum run_kind {
	RUN_COMMAND,
	RUN_LOGIN,   /* "login": the password and every account rule */
	RUN_ACCOUNT, /* "account": the account rules without a password */
	RUN_SERVICE_LOGIN, /* "service_login": a login, answered with the role */
};

/* One request that runs in a worker: a command, or a login check. */
struct run {
	struct mmpd *d;
	struct conn *c;	       /* NULL once the client left */
	struct run *next_wait; /* waiting for a worker slot */
	enum run_kind kind;
	json_object *req;      /* the request */
	char *logged;	       /* the audit form of the line */
	char from[MMPD_FROM_MAX];
	char login_user[64];
	struct mmpd_caller who;
	uint64_t gen;	       /* d->gen when the worker was started */
	bool exclusive;	       /* runs again, alone (another commit came first) */
};

struct conn {
	uv_pipe_t pipe;
	struct mmpd *d;
	struct conn *prev, *next; /* in mmpd_ipc.conns, until closed */
	struct cv_ipc_rx rx;
	uv_timer_t timer; /* frame and idle deadlines */
	uid_t uid;
	pid_t pid;	  /* of the process that connected (SO_PEERCRED) */
	struct run *run;  /* the request in flight */
	bool following;
	bool closing;
	int nhandles;
};

struct wreq {
	uv_write_t req;
	char *frame;
};

struct uid_count {
	uid_t uid;
	unsigned n;
};

struct mmpd_ipc {
	uv_pipe_t server;
	uint64_t frame_ms, idle_ms; /* MMPD_FRAME_MS, MMPD_IDLE_MS (test builds scale them) */
	unsigned nconns;
	struct conn *conns; /* every open connection */
	struct uid_count uids[MMPD_CONN_MAX];
	size_t nuids;
	struct run *wait_head, *wait_tail;
};

static void run_free(struct run *run);
static void run_start(struct run *run);

/* --- connection accounting ------------------------------------------------------ */

static struct uid_count *uid_slot(struct mmpd_ipc *ipc, uid_t uid, bool create)
{
	for (size_t i = 0; i < ipc->nuids; i++)
		if (ipc->uids[i].uid == uid)
			return &ipc->uids[i];
	if (!create || ipc->nuids == MMPD_CONN_MAX)
		return NULL;
	ipc->uids[ipc->nuids] = (struct uid_count){ uid, 0 };
	return &ipc->uids[ipc->nuids++];
}

static void uid_release(struct mmpd_ipc *ipc, uid_t uid)
{
	struct uid_count *u = uid_slot(ipc, uid, false);

	if (!u || --u->n > 0)
		return;
	*u = ipc->uids[--ipc->nuids];
}

/* --- connections ----------------------------------------------------------------- */

static void conn_handle_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->nhandles > 0)
		return;
	cv_ipc_rx_free(&c->rx);
	free(c);
}

static void conn_close(struct conn *c)
{
	struct mmpd_ipc *ipc = c->d->ipc;

	if (c->closing)
		return;
	c->closing = true;
	if (c->following)
		mmpd_logstore_unfollow(c->d->logs, c);
	c->following = false;
	/* A command in flight completes without its client. */
	if (c->run)
		c->run->c = NULL;
	c->run = NULL;
	ipc->nconns--;
	if (c->prev)
		c->prev->next = c->next;
	else
		ipc->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	uid_release(ipc, c->uid);
	uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
	uv_close((uv_handle_t *)&c->pipe, conn_handle_closed);
}

static void write_done(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;

	free(w->frame);
	free(w);
}

static void conn_send(struct conn *c, json_object *msg)
{
	struct wreq *w;
	uv_buf_t buf;
	size_t len;

	if (!c || c->closing) {
		json_object_put(msg);
		return;
	}
	/* A client that does not read what it asked for is cut off rather
	 * than buffered without end. */
	if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) > MMPD_QUEUE_MAX) {
		json_object_put(msg);
		/* Closed (and no longer following) before the line about it is
		 * logged: that line must not come back here. */
		conn_close(c);
		cv_warn("closed an IPC connection (uid %u) that stopped reading", (unsigned)c->uid);
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->frame = cv_ipc_encode(msg, &len);
	json_object_put(msg);
	buf = uv_buf_init(w->frame, (unsigned)len);
	/* A peer that hung up fails this write (EPIPE; SIGPIPE is ignored),
	 * which only ends the connection. */
	if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &buf, 1, write_done) < 0) {
		free(w->frame);
		free(w);
		conn_close(c);
	}
}

static void reply_text(struct conn *c, int status, const char *output)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "status", json_object_new_int(status));
	json_object_object_add(r, "output", json_object_new_string(output));
	conn_send(c, r);
}

static void conn_timeout(uv_timer_t *t)
{
	struct conn *c = t->data;

	cv_info("closing an IPC connection (uid %u): %s", (unsigned)c->uid,
		c->rx.len ? "a request did not arrive whole in time" : "idle");
	conn_close(c);
}

/* The deadline that applies now: none while a command runs or the log is
 * streamed, MMPD_FRAME_MS inside a frame, MMPD_IDLE_MS otherwise. */
static void conn_rearm(struct conn *c)
{
	if (c->closing)
		return;
	if (c->run || c->following)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, conn_timeout,
			       c->rx.len ? c->d->ipc->frame_ms : c->d->ipc->idle_ms, 0);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);
static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void conn_process(struct conn *c);

/* Reads again once the request in flight is answered, starting with what
 * already waits in rx. */
static void conn_resume(struct conn *c)
{
	if (!c || c->closing)
		return;
	c->run = NULL;
	uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, read_cb);
	conn_process(c);
}

/* --- who is asking ------------------------------------------------------------------ */

static void audit(struct mmpd *d, const struct mmpd_caller *who, const char *from,
		  const char *line, bool granted)
{
	char buf[CV_LOG_LINE_MAX + 256];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	cv_log_format_audit(buf, sizeof(buf), &ts, mmpd_hostname(d), who->user, from, line,
			    granted);
	mmpd_logstore_write(d->logs, buf);
}

/* The line as the audit log shows it: every token matched by a <password>
 * or <secret> argument is masked (DESIGN.md section 6: secrets never
 * appear in logs). Each matched token is one value, in order. */
static char *audit_line(const struct mmp_match *m)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < m->nvals; i++) {
		const char *name = m->vals[i].name;
		bool secret = m->vals[i].type != MMP_T_LITERAL &&
			      (strcmp(name, "password") == 0 || strcmp(name, "secret") == 0);

		if (i)
			sb_putc(&sb, ' ');
		sb_puts(&sb, secret ? "********" : m->vals[i].str);
	}
	return sb_steal(&sb);
}

static void follow_line(const char *line, void *opaque)
{
	struct conn *c = opaque;
	json_object *m = json_object_new_object();

	json_object_object_add(m, "line", json_object_new_string(line));
	conn_send(c, m);
}

/* --- mmpd's side of a run ------------------------------------------------------------ */

static bool res_bool(json_object *res, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(res, key, &v) && json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
}

static const char *res_str(json_object *res, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(res, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Applies and commits doc (taken); 0, or -1 with the reason in out. */
static int commit_doc(struct mmpd *d, json_object *doc, struct strbuf *out)
{
	struct strbuf aerr = STRBUF_INIT;
	json_object *olddoc;
	int rc;

	/* The system first: a setting the kernel refuses is never committed,
	 * and the system stays as it was. */
	if (mmpd_apply(d, d->doc, doc, &aerr) < 0) {
		sb_puts(out, sb_str(&aerr));
		sb_free(&aerr);
		json_object_put(doc);
		return -1;
	}
	sb_free(&aerr);
	olddoc = json_object_get(d->doc);
	rc = mmpd_store_commit(d, doc);
	if (rc < 0) {
		struct strbuf e2 = STRBUF_INIT;

		mmpd_apply(d, NULL, olddoc, &e2);
		sb_free(&e2);
		sb_printf(out, "FAILURE: could not save the configuration: %s\n", strerror(-rc));
	}
	json_object_put(olddoc);
	return rc < 0 ? -1 : 0;
}

static void do_actions(struct mmpd *d, const struct mmpd_result *v)
{
	for (size_t i = 0; i < v->nactions; i++) {
		if (v->actions[i].op == MMP_SVC_START)
			mmpd_super_start(d->super, v->actions[i].svc);
		else if (v->actions[i].op == MMP_SVC_STOP)
			mmpd_super_stop(d->super, v->actions[i].svc);
		else if (v->actions[i].op == MMP_SVC_RESTART)
			mmpd_super_restart(d->super, v->actions[i].svc);
	}
}

/*
 * A changed document whose base is no longer the committed one (another
 * session's command committed while this one ran): the request runs again
 * on the new document, this time alone, so that it cannot lose again.
 * Commands that change nothing never wait for anybody. True when it was
 * restarted.
 */
static bool run_retry(struct run *run, json_object *res)
{
	struct mmpd *d = run->d;

	if (!res_bool(res, "changed") || run->gen == d->gen)
		return false;
	if (run->exclusive) {
		/* Nothing else ran: a commit came from outside the runs (the
		 * firewall's confirm window, say). Once more, alone. */
		cv_warn("the configuration changed under a command of %s that ran alone",
			run->who.user);
	}
	run->exclusive = true;
	run_start(run);
	return true;
}

/* The end of a login or account check: commits what it changed of the
 * user's records (failures, lock, last login) and answers the login
 * program. */
static void check_finish(struct run *run, json_object *res)
{
	struct mmpd *d = run->d;
	json_object *doc, *r;
	const char *msg = res_str(res, "msg");
	const char *what = run->kind == RUN_LOGIN	       ? "login"
			   : run->kind == RUN_SERVICE_LOGIN ? "service login"
							    : "account check";
	enum mmp_role role = 0;
	int rc;

	if (!mmpd_login_result_check(d->doc, run->login_user, res, &rc, &doc)) {
		cv_err("a %s of %s changed more than its records; ignored", what,
		       run->login_user);
	} else if (doc) {
		struct strbuf err = STRBUF_INIT;

		/* Through the appliers like any change: a lockout reaches the
		 * system's account files (--system-users) at once. */
		if (commit_doc(d, json_object_get(doc), &err) < 0)
			cv_err("could not record the %s of %s: %s", what, run->login_user,
			       sb_str(&err));
		sb_free(&err);
	}
	/* A service cannot offer the change of an expired password (the API,
	 * Web Admin): such a login is refused there, and mmp-login or SSH is
	 * where the password is changed. */
	if (run->kind == RUN_SERVICE_LOGIN && rc == -EKEYEXPIRED)
		msg = "the password has expired", rc = -EACCES;
	if (run->kind == RUN_SERVICE_LOGIN && rc == 0 &&
	    mmp_user_role(d->doc, run->login_user, &role) < 0)
		msg = "no such user", rc = -ENOENT;
	if (rc < 0 && rc != -EKEYEXPIRED) {
		/* The reason goes to the log; the caller learns only that it
		 * failed (no hint which accounts exist). */
		cv_info("%s of %s from %s refused: %s", what, run->login_user, run->from,
			msg && msg[0] ? msg : "bad password");
		reply_text(run->c, 1, "Login incorrect\n");
		return;
	}
	/* An account check that passes is part of a login already logged. */
	if (run->kind != RUN_ACCOUNT)
		cv_info("%s of %s from %s", what, run->login_user, run->from);
	r = json_object_new_object();
	json_object_object_add(r, "status", json_object_new_int(0));
	if (run->kind == RUN_SERVICE_LOGIN)
		json_object_object_add(r, "role", json_object_new_string(mmp_role_name(role)));
	else
		json_object_object_add(r, "must_change",
				       json_object_new_boolean(rc == -EKEYEXPIRED));
	conn_send(run->c, r);
}

static void command_finish(struct run *run, json_object *res)
{
	struct mmpd *d = run->d;
	struct strbuf out = STRBUF_INIT;
	struct mmpd_result v;
	json_object *r;

	mmpd_result_check(d->doc, &run->who, res, &v);
	sb_puts(&out, v.output ? v.output : "");
	if (v.refused) {
		cv_err("a command of %s (%s) changed what its role may not; nothing was changed",
		       run->who.user, run->logged);
		sb_reset(&out);
		sb_puts(&out, "FAILURE: internal error: the command changed what it may "
			      "not; nothing was changed\n");
	} else if (v.doc && commit_doc(d, json_object_get(v.doc), &out) < 0) {
		v.failed = true;
	}
	if (!v.failed)
		do_actions(d, &v);
	r = json_object_new_object();
	json_object_object_add(r, "status", json_object_new_int(v.failed ? 1 : 0));
	json_object_object_add(r, "output", json_object_new_string(sb_str(&out)));
	sb_free(&out);
	if (v.follow && !v.failed && run->c) {
		json_object_object_add(r, "follow", json_object_new_boolean(true));
		conn_send(run->c, r);
		if (run->c && !run->c->closing && !run->c->following) {
			run->c->following = true;
			mmpd_logstore_follow(d->logs, follow_line, run->c);
		}
	} else {
		conn_send(run->c, r);
	}
	/* After the reply, so that the operator sees the command's output
	 * first (an admin who evicts his own user too). */
	if (v.evict && !v.failed) {
		unsigned n = mmpd_sessions_evict(d, v.evict);
		unsigned k = mmpd_ipc_evict(d, v.evict);

		cv_info("user evict %s: ended %u sessions, closed %u connections", v.evict, n, k);
	}
	if (v.system_action && !v.failed)
		mmpd_system_action(d, v.system_action);
}

static void run_next_waiting(struct mmpd *d);

static void run_done(struct mmpd *d, json_object *res, const char *why, void *opaque)
{
	struct run *run = opaque;
	struct conn *c = run->c;

	if (res && run_retry(run, res))
		return;
	if (!res) {
		if (run->kind != RUN_COMMAND) {
			reply_text(c, 1, "Login incorrect\n");
		} else {
			char *msg = xasprintf("FAILURE: the command did not complete: %s\n", why);

			reply_text(c, 1, msg);
			free(msg);
		}
	} else if (run->kind != RUN_COMMAND) {
		check_finish(run, res);
	} else {
		command_finish(run, res);
	}
	if (run->c)
		conn_resume(run->c);
	run_free(run);
	run_next_waiting(d);
}

static void run_free(struct run *run)
{
	json_object_put(run->req);
	free(run->logged);
	free(run);
}

static void run_wait(struct mmpd_ipc *ipc, struct run *run, bool first)
{
	run->next_wait = NULL;
	if (first) {
		run->next_wait = ipc->wait_head;
		ipc->wait_head = run;
		if (!ipc->wait_tail)
			ipc->wait_tail = run;
	} else if (ipc->wait_tail) {
		ipc->wait_tail->next_wait = run;
		ipc->wait_tail = run;
	} else {
		ipc->wait_head = ipc->wait_tail = run;
	}
}

/* The job kinds of the worker (mmpd_worker.c), by run_kind. */
static const char *const run_kinds[] = { [RUN_COMMAND] = "run", [RUN_LOGIN] = "login",
					 [RUN_ACCOUNT] = "account", [RUN_SERVICE_LOGIN] = "login" };

/* The job as the worker gets it (mmpd_job_start): the committed document
 * as it is now, who asks, the request and the snapshot of the system. */
static json_object *run_init(struct run *run)
{
	struct mmpd *d = run->d;
	json_object *init = json_object_new_object(), *v;
	struct mmp_env env;

	json_object_object_add(init, "kind", json_object_new_string(run_kinds[run->kind]));
	json_object_object_add(init, "doc", json_object_get(d->doc));
	json_object_object_add(init, "user", json_object_new_string(run->who.user));
	json_object_object_add(init, "role", json_object_new_int((int)run->who.role));
	json_object_object_add(init, "from", json_object_new_string(run->from));
	if (run->kind != RUN_COMMAND) {
		json_object_object_add(init, "login_user", json_object_new_string(run->login_user));
		if (run->kind != RUN_ACCOUNT && json_object_object_get_ex(run->req, "password", &v))
			json_object_object_add(init, "password", json_object_get(v));
	} else {
		if (json_object_object_get_ex(run->req, "line", &v))
			json_object_object_add(init, "line", json_object_get(v));
		if (json_object_object_get_ex(run->req, "input", &v))
			json_object_object_add(init, "input", json_object_get(v));
	}
	mmpd_env_snapshot(d, &env);
	/* Who is logged in ("user list", "user evict"): added here, so that
	 * mmpd_ops.c needs nothing of the IPC server. */
	mmpd_sessions_count(d, &env);
	mmpd_ipc_count(d, &env);
	json_object_object_add(init, "env", mmpd_env_to_json(&env));
	return init;
}

static void run_launch(struct run *run)
{
	struct mmpd *d = run->d;
	int r;

	run->gen = d->gen;
	r = mmpd_job_start(d, &run->who, run_init(run), run_done, run);
	if (r < 0) {
		char why[96];

		snprintf(why, sizeof(why), "no worker could be started: %s", strerror(-r));
		run_done(d, NULL, why, run);
	}
}

/* Starts a worker for run now, or queues it: behind MMPD_JOBS_MAX running
 * workers and behind whatever waits already; an exclusive run goes first
 * and starts once no other worker runs. */
static void run_start(struct run *run)
{
	struct mmpd_ipc *ipc = run->d->ipc;
	size_t running = mmpd_jobs_running(run->d);

	if (run->exclusive ? running > 0 : running >= MMPD_JOBS_MAX || ipc->wait_head)
		run_wait(ipc, run, run->exclusive);
	else
		run_launch(run);
}

static void run_next_waiting(struct mmpd *d)
{
	struct mmpd_ipc *ipc = d->ipc;

	while (ipc->wait_head) {
		struct run *run = ipc->wait_head;
		size_t running = mmpd_jobs_running(d);

		if (run->exclusive ? running > 0 : running >= MMPD_JOBS_MAX)
			return;
		ipc->wait_head = run->next_wait;
		if (!ipc->wait_head)
			ipc->wait_tail = NULL;
		run_launch(run);
		if (run->exclusive)
			return; /* it runs alone */
	}
}

/* Takes the request in flight for c: reading stops until it is answered. */
static struct run *run_new(struct conn *c, json_object *req, const struct mmpd_caller *who,
			   const char *from)
{
	struct run *run = xcalloc(1, sizeof(*run));

	run->d = c->d;
	run->c = c;
	run->req = json_object_get(req);
	run->who = *who;
	snprintf(run->from, sizeof(run->from), "%s", from);
	c->run = run;
	uv_read_stop((uv_stream_t *)&c->pipe);
	conn_rearm(c);
	return run;
}

/* --- the requests ------------------------------------------------------------------ */

static size_t count_prompts(const struct mmp_cmd *cmd)
{
	size_t n = 0;

	while (cmd->prompts && cmd->prompts[n].text)
		n++;
	return n;
}

static void reply_prompts(struct conn *c, const struct mmp_cmd *cmd, size_t nprompts)
{
	json_object *arr = json_object_new_array(), *r = json_object_new_object();

	for (size_t i = 0; i < nprompts; i++) {
		json_object *p = json_object_new_object();

		json_object_object_add(p, "text", json_object_new_string(cmd->prompts[i].text));
		json_object_object_add(p, "secret", json_object_new_boolean(cmd->prompts[i].secret));
		json_object_array_add(arr, p);
	}
	json_object_object_add(r, "status", json_object_new_int(0));
	json_object_object_add(r, "prompts", arr);
	conn_send(c, r);
}

static void op_run(struct conn *c, json_object *req, const struct mmpd_caller *who,
		   const char *from)
{
	struct mmpd *d = c->d;
	const char *line = "";
	struct strbuf err = STRBUF_INIT;
	struct mmp_match m;
	struct run *run;
	json_object *v;
	char *logged;
	int rc;

	if (json_object_object_get_ex(req, "line", &v) && json_object_is_type(v, json_type_string))
		line = json_object_get_string(v);
	rc = mmp_match_line(line, &m, &err);
	if (rc == -ENOENT) {
		reply_text(c, 0, "");
		sb_free(&err);
		return;
	}
	if (rc < 0) {
		/* A line that is not a command may hold a mistyped secret:
		 * the audit log gets its first two tokens only. */
		const char *argv[MMP_MAX_TOKENS];
		char *buf = NULL;
		size_t argc = 0;

		logged = NULL;
		if (mmp_tokenize(line, &buf, argv, &argc) == 0 && argc > 0)
			logged = xasprintf("%s%s%s%s", argv[0], argc > 1 ? " " : "",
					   argc > 1 ? argv[1] : "", argc > 2 ? " ..." : "");
		audit(d, who, from, logged ? logged : "...", true);
		free(logged);
		free(buf);
		reply_text(c, 1, sb_str(&err));
		sb_free(&err);
		return;
	}
	sb_free(&err);
	logged = audit_line(&m);
	switch (mmpd_run_admit(d->doc, who, m.cmd, req, cv_now())) {
	case MMPD_ADMIT_DENIED:
		audit(d, who, from, logged, false);
		reply_text(c, 1, "Permission denied\n");
		break;
	case MMPD_ADMIT_MUST_CHANGE:
		audit(d, who, from, logged, false);
		reply_text(c, 1, "Your password must be changed first: run passwd\n");
		break;
	case MMPD_ADMIT_BAD_ANSWERS:
		reply_text(c, 1, "Bad answers to the command's prompts\n");
		break;
	case MMPD_ADMIT_PROMPTS:
		reply_prompts(c, m.cmd, count_prompts(m.cmd));
		break;
	case MMPD_ADMIT_RUN:
		audit(d, who, from, logged, true);
		run = run_new(c, req, who, from);
		run->logged = logged;
		mmp_match_free(&m);
		run_start(run);
		return;
	}
	free(logged);
	mmp_match_free(&m);
}

/* A login or account check in a worker (the rules may look up the allowed
 * hosts' names, and a password is hashed): kind and the user. */
static void check_start(struct conn *c, json_object *req, const struct mmpd_caller *who,
			const char *from, enum run_kind kind, const char *user)
{
	struct run *run = run_new(c, req, who, from);

	run->kind = kind;
	snprintf(run->login_user, sizeof(run->login_user), "%s", user);
	run_start(run);
}

/*
 * {"op":"login","user":U,"password":P,"from":F} (the console login and the
 * PAM module's authentication): checks the password with every account
 * rule (lock, allowed hosts, duty hours, expiry, failure count) in a worker
 * and commits what the attempt changed (last login, failures, lockout).
 * Replies {"status":0,"must_change":bool} or {"status":1,"output":reason}.
 */
static void login_request(struct conn *c, json_object *req, const struct mmpd_caller *who,
			  const char *from, enum run_kind kind)
{
	const char *user = mmpd_login_user(req), *password = NULL;
	json_object *v;

	if (json_object_object_get_ex(req, "password", &v) &&
	    json_object_is_type(v, json_type_string))
		password = json_object_get_string(v);
	if (!user || !password || !from || strlen(password) > MMPD_ANSWER_MAX) {
		reply_text(c, 1, "Login incorrect\n");
		return;
	}
	check_start(c, req, who, from, kind, user);
}

static void op_login(struct conn *c, json_object *req, const struct mmpd_caller *who,
		     const char *from)
{
	login_request(c, req, who, from, RUN_LOGIN);
}

/*
 * {"op":"service_login","user":U,"password":P,"from":F} (the call bridge's
 * API and Web Admin logins, from root or a user of d->pwcheck_uids): a
 * login with every account rule, as "login" (its failures count towards
 * the lockout of "user rule"), answered {"status":0,"role":R} with the
 * user's MMP role, which the service checks; an expired password is
 * refused. The service never reads a hash.
 */
static void op_service_login(struct conn *c, json_object *req, const struct mmpd_caller *who,
			     const char *from)
{
	login_request(c, req, who, from, RUN_SERVICE_LOGIN);
}

/*
 * {"op":"account","user":U,"from":F} (the PAM module's account stage):
 * the rules of a login without its password (lock, max_idle, allowed
 * hosts, duty hours, then whether the password must be changed), in a
 * worker like a login. Counts no failure. Replies as "login".
 */
static void op_account(struct conn *c, json_object *req, const struct mmpd_caller *who,
		       const char *from)
{
	const char *user = mmpd_login_user(req);

	if (!user || !from) {
		reply_text(c, 1, "Login incorrect\n");
		return;
	}
	check_start(c, req, who, from, RUN_ACCOUNT, user);
}

/*
 * {"op":"session_open","user":U,"from":F,"pid":P,"tty":T} (the PAM
 * module's session, mmp-login): records a login session of U whose
 * process is P (default: the caller's own, SO_PEERCRED), for "user list"
 * and "user evict" (mmpd_sessions.c); mmpd_session_open_check says which
 * requests are refused. Replies {"status":0,"id":N}.
 */
static void op_session_open(struct conn *c, json_object *req, const struct mmpd_caller *who,
			    const char *from)
{
	/* By enum mmpd_session_check. */
	static const char *const refused[] = {
		[MMPD_SESSION_NO_USER] = "No such user\n",
		[MMPD_SESSION_BAD_FROM] = "Invalid from\n",
		[MMPD_SESSION_BAD_TTY] = "Invalid tty\n",
		[MMPD_SESSION_BAD_PID] = "Invalid pid\n",
	};
	struct mmpd_session_req s;
	enum mmpd_session_check chk = mmpd_session_open_check(c->d->doc, req, from, c->pid, &s);
	json_object *r;
	uint64_t id;
	int rc;

	if (chk != MMPD_SESSION_OK) {
		reply_text(c, 1, refused[chk]);
		return;
	}
	rc = mmpd_session_open(c->d, s.user, from, s.tty, s.pid, &id);
	if (rc < 0) {
		reply_text(c, 1, rc == -ESRCH    ? "No such process\n"
				 : rc == -ENOSPC ? "Too many sessions\n"
						 : "Invalid pid\n");
		return;
	}
	r = json_object_new_object();
	json_object_object_add(r, "status", json_object_new_int(0));
	json_object_object_add(r, "id", json_object_new_int64((int64_t)id));
	conn_send(c, r);
}

/* {"op":"session_close","id":N}: forgets session N. */
static void op_session_close(struct conn *c, json_object *req, const struct mmpd_caller *who,
			     const char *from)
{
	json_object *v;

	if (!json_object_object_get_ex(req, "id", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) <= 0 ||
	    mmpd_session_close(c->d, (uint64_t)json_object_get_int64(v)) < 0) {
		reply_text(c, 1, "No such session\n");
		return;
	}
	reply_text(c, 0, "");
}

static void op_hello(struct conn *c, json_object *req, const struct mmpd_caller *who,
		     const char *from)
{
	struct mmpd *d = c->d;
	json_object *r = json_object_new_object();

	json_object_object_add(r, "status", json_object_new_int(0));
	json_object_object_add(r, "hostname", json_object_new_string(mmpd_hostname(d)));
	json_object_object_add(r, "user", json_object_new_string(who->user));
	json_object_object_add(r, "role", json_object_new_string(mmp_role_name(who->role)));
	json_object_object_add(r, "must_change", json_object_new_boolean(mmp_user_must_change(
							 d->doc, who->user, cv_now())));
	conn_send(c, r);
}

static const char *req_line(json_object *req)
{
	json_object *v;

	if (json_object_object_get_ex(req, "line", &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return "";
}

static void op_complete(struct conn *c, json_object *req, const struct mmpd_caller *who,
			const char *from)
{
	json_object *files = (who->role & (MMP_ROLE_ADMIN | MMP_ROLE_CRYPTO))
				     ? mmpd_upload_names(c->d)
				     : NULL;
	json_object *r = json_object_new_object();

	json_object_object_add(r, "status", json_object_new_int(0));
	json_object_object_add(r, "matches", mmp_complete(req_line(req), who->role, files));
	json_object_put(files);
	conn_send(c, r);
}

static void op_help(struct conn *c, json_object *req, const struct mmpd_caller *who,
		    const char *from)
{
	struct strbuf out = STRBUF_INIT;

	mmp_help_next(req_line(req), who->role, &out);
	reply_text(c, 0, sb_str(&out));
	sb_free(&out);
}

static void op_unfollow(struct conn *c, json_object *req, const struct mmpd_caller *who,
			const char *from)
{
	if (c->following)
		mmpd_logstore_unfollow(c->d->logs, c);
	c->following = false;
	reply_text(c, 0, "");
	conn_rearm(c);
}

/* The requests, by enum mmpd_req (mmpd_check.c has their names and says
 * which are the login paths'). Those of the login paths get a NULL from
 * when their "from" is not an origin, which refuses them, where a
 * command's audit line would show "console". */
static void (*const ipc_ops[MMPD_REQ_COUNT])(struct conn *c, json_object *req,
					     const struct mmpd_caller *who, const char *from) = {
	[MMPD_REQ_HELLO] = op_hello,
	[MMPD_REQ_RUN] = op_run,
	[MMPD_REQ_COMPLETE] = op_complete,
	[MMPD_REQ_HELP] = op_help,
	[MMPD_REQ_UNFOLLOW] = op_unfollow,
	[MMPD_REQ_LOGIN] = op_login,
	[MMPD_REQ_ACCOUNT] = op_account,
	[MMPD_REQ_SESSION_OPEN] = op_session_open,
	[MMPD_REQ_SESSION_CLOSE] = op_session_close,
	[MMPD_REQ_SERVICE_LOGIN] = op_service_login,
};

static void handle(struct conn *c, json_object *req)
{
	enum mmpd_req op;
	struct mmpd_caller who;
	char from[MMPD_FROM_MAX];
	bool from_ok;

	if (mmpd_req_of(req, &op) < 0) {
		reply_text(c, 1, "Unknown request\n");
		return;
	}
	from_ok = mmpd_request_from(req, from, sizeof(from)) == 0;
	if (mmpd_req_caller(c->d, op, c->uid, req, &who) < 0) {
		reply_text(c, 1, "Permission denied\n");
		return;
	}
	if (!from_ok && mmpd_req_login_path(op)) {
		cv_warn("a %s request gave an invalid origin; refused",
			json_object_get_string(json_object_object_get(req, "op")));
		ipc_ops[op](c, req, &who, NULL);
		return;
	}
	ipc_ops[op](c, req, &who, from);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char slab[65536];

	buf->base = slab;
	buf->len = sizeof(slab);
}

/* Handles the whole requests in rx, one at a time: what comes after a
 * request that starts a worker waits in rx until its answer is out. */
static void conn_process(struct conn *c)
{
	json_object *req;
	int r;

	while (!c->closing && !c->run && (r = cv_ipc_rx_next(&c->rx, &req)) != 0) {
		if (r < 0) {
			cv_warn("closing an IPC connection (uid %u) that sent a malformed frame",
				(unsigned)c->uid);
			conn_close(c);
			return;
		}
		handle(c, req);
		json_object_put(req);
	}
	conn_rearm(c);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = s->data;

	if (n < 0) {
		conn_close(c);
		return;
	}
	if (n == 0)
		return;
	if (cv_ipc_rx_feed(&c->rx, buf->base, (size_t)n) < 0) {
		cv_warn("closing an IPC connection (uid %u) that sent an oversized frame",
			(unsigned)c->uid);
		conn_close(c);
		return;
	}
	conn_process(c);
}

static void accept_cb(uv_stream_t *server, int status)
{
	struct mmpd *d = server->data;
	struct mmpd_ipc *ipc = d->ipc;
	struct uid_count *u;
	struct conn *c;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uv_os_fd_t fd;

	if (status < 0)
		return;
	c = xcalloc(1, sizeof(*c));
	c->d = d;
	cv_ipc_rx_init(&c->rx);
	uv_pipe_init(d->loop, &c->pipe, 0);
	uv_timer_init(d->loop, &c->timer);
	c->pipe.data = c->timer.data = c;
	c->nhandles = 2;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0 ||
	    uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		c->closing = true;
		uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
		uv_close((uv_handle_t *)&c->pipe, conn_handle_closed);
		return;
	}
	c->uid = cred.uid;
	u = uid_slot(ipc, c->uid, true);
	/* Root is never refused: an administrator must always get in. */
	if (c->uid != 0 &&
	    (!u || u->n >= MMPD_CONN_PER_UID || ipc->nconns >= MMPD_CONN_MAX)) {
		if (u && u->n == 0)
			*u = ipc->uids[--ipc->nuids];
		c->closing = true;
		uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
		uv_close((uv_handle_t *)&c->pipe, conn_handle_closed);
		return;
	}
	if (u)
		u->n++;
	ipc->nconns++;
	c->pid = cred.pid;
	c->next = ipc->conns;
	if (ipc->conns)
		ipc->conns->prev = c;
	ipc->conns = c;
	uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, read_cb);
	conn_rearm(c);
}

int mmpd_ipc_listen(struct mmpd *d)
{
	struct mmpd_ipc *ipc = xcalloc(1, sizeof(*ipc));
	int r;

	d->ipc = ipc;
	ipc->frame_ms = (uint64_t)(MMPD_FRAME_MS * cv_delay_scale()) + 1;
	ipc->idle_ms = (uint64_t)(MMPD_IDLE_MS * cv_delay_scale()) + 1;
	unlink(d->socket_path);
	uv_pipe_init(d->loop, &ipc->server, 0);
	ipc->server.data = d;
	r = uv_pipe_bind(&ipc->server, d->socket_path);
	if (r < 0) {
		cv_err("cannot bind %s: %s", d->socket_path, uv_strerror(r));
		return r;
	}
	/* Any local user may connect; SO_PEERCRED and the MMP user table
	 * decide what they may do. */
	chmod(d->socket_path, 0666);
	r = uv_listen((uv_stream_t *)&ipc->server, 1024, accept_cb);
	if (r < 0) {
		cv_err("cannot listen on %s: %s", d->socket_path, uv_strerror(r));
		return r;
	}
	return 0;
}

void mmpd_ipc_close(struct mmpd *d)
{
	if (!d->ipc)
		return;
	if (!uv_is_closing((uv_handle_t *)&d->ipc->server))
		uv_close((uv_handle_t *)&d->ipc->server, NULL);
	unlink(d->socket_path);
}

/* --- who is connected ------------------------------------------------------------ */

void mmpd_ipc_count(struct mmpd *d, struct mmp_env *env)
{
	struct mmpd_ipc *ipc = d->ipc;

	/* One slot per uid: root acts for anybody and is nobody's login. */
	for (size_t i = 0; ipc && i < ipc->nuids; i++) {
		const char *user;
		struct mmp_login *l;

		if (ipc->uids[i].uid == 0 || ipc->uids[i].n == 0)
			continue;
		user = mmpd_users_by_uid(d, ipc->uids[i].uid);
		l = user ? mmpd_env_login(env, user) : NULL;
		if (l)
			l->conns += ipc->uids[i].n;
	}
}

unsigned mmpd_ipc_evict(struct mmpd *d, const char *user)
{
	struct mmpd_ipc *ipc = d->ipc;
	struct conn *c, *next;
	unsigned n = 0;

	for (c = ipc ? ipc->conns : NULL; c; c = next) {
		const char *u = c->uid ? mmpd_users_by_uid(d, c->uid) : NULL;
		json_object *bye;
		char *frame;
		size_t len;
		uv_buf_t buf;

		next = c->next;
		if (!u || strcmp(u, user) != 0 || c->closing)
			continue;
		/* mmp reconnects when a connection closes under it; this frame
		 * tells it to end instead. Written now or never: what is
		 * queued behind it would be cancelled by the close anyway. */
		bye = json_object_new_object();
		json_object_object_add(bye, "status", json_object_new_int(1));
		json_object_object_add(bye, "output",
				       json_object_new_string("Logged out by an administrator\n"));
		json_object_object_add(bye, "evicted", json_object_new_boolean(true));
		frame = cv_ipc_encode(bye, &len);
		json_object_put(bye);
		buf = uv_buf_init(frame, (unsigned)len);
		uv_try_write((uv_stream_t *)&c->pipe, &buf, 1);
		free(frame);
		conn_close(c);
		n++;
	}
	return n;
}
