// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmpd's IPC server: the Unix socket that mmp talks to (protocol in
 * lib/ipc.h). Each connection is one struct conn; requests are handled one
 * at a time on the loop. The caller is identified with SO_PEERCRED and its
 * MMP role checked before any command runs; every command is audit-logged
 * (spec/mmp.md 1.1). Commands run on a copy of the document, which is
 * committed durably before the reply is sent.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
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
#include "services/mmpd/mmpd.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/users.h"

/* Connections beyond this are refused: a shell per operator is plenty. */
#define MAX_CONNS 64
/* Longest answer to a prompt. */
#define MAX_ANSWER 1024

struct conn {
	uv_pipe_t pipe;
	struct mmpd *d;
	struct cv_ipc_rx rx;
	uid_t uid;
	bool following;
	bool closing;
	char pending[16]; /* system action to run once the reply is out */
};

struct wreq {
	uv_write_t req;
	char *frame;
	struct conn *c;
};

static unsigned nconns;

static void conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	cv_ipc_rx_free(&c->rx);
	free(c);
	nconns--;
}

static void conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	if (c->following)
		mmpd_logstore_unfollow(c->d->logs, c);
	c->following = false;
	uv_close((uv_handle_t *)&c->pipe, conn_closed);
}

static void run_pending(struct mmpd *d, const char *action);

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

	if (c->closing) {
		json_object_put(msg);
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->frame = cv_ipc_encode(msg, &len);
	w->c = c;
	json_object_put(msg);
	buf = uv_buf_init(w->frame, (unsigned)len);
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

/* The MMP user and role of the caller. Root may act as any MMP user (the
 * login path and the tests use this); root with no user is "admin". Other
 * callers are the MMP user of their login name. */
static int caller(struct conn *c, json_object *req, const char **ret_user, unsigned *ret_role)
{
	static char pwname[64];
	const char *user = NULL;
	json_object *v;

	if (c->uid == 0) {
		user = "admin";
		if (json_object_object_get_ex(req, "user", &v) &&
		    json_object_is_type(v, json_type_string))
			user = json_object_get_string(v);
		if (strcmp(user, "admin") == 0 &&
		    mmp_user_role(c->d->doc, user, ret_role) < 0) {
			/* The superuser is an administrator even when the
			 * admin account has been removed. */
			*ret_role = MMP_ROLE_ADMIN;
			*ret_user = user;
			return 0;
		}
	} else {
		struct passwd pw, *res = NULL;
		char buf[1024];

		if (getpwuid_r(c->uid, &pw, buf, sizeof(buf), &res) != 0 || !res)
			return -ENOENT;
		snprintf(pwname, sizeof(pwname), "%s", res->pw_name);
		user = pwname;
	}
	if (mmp_user_role(c->d->doc, user, ret_role) < 0)
		return -ENOENT;
	*ret_user = user;
	return 0;
}

static void audit(struct mmpd *d, const char *user, const char *from, const char *line,
		  bool granted)
{
	char buf[CV_LOG_LINE_MAX + 256];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	cv_log_format_audit(buf, sizeof(buf), &ts, mmpd_hostname(d), user, from, line, granted);
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

static void do_actions(struct mmpd *d, const struct mmp_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nactions; i++) {
		const struct mmp_svc_action *a = &ctx->actions[i];

		switch (a->op) {
		case MMP_SVC_START:
			mmpd_super_start(d->super, a->svc);
			break;
		case MMP_SVC_STOP:
			mmpd_super_stop(d->super, a->svc);
			break;
		case MMP_SVC_RESTART:
			mmpd_super_restart(d->super, a->svc);
			break;
		}
	}
}

static int read_input(json_object *req, const char **input, size_t max, size_t *ret_n)
{
	json_object *arr;
	size_t n;

	*ret_n = 0;
	if (!json_object_object_get_ex(req, "input", &arr))
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return -EINVAL;
	n = json_object_array_length(arr);
	if (n > max)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(s, json_type_string) ||
		    strlen(json_object_get_string(s)) > MAX_ANSWER)
			return -EINVAL;
		input[i] = json_object_get_string(s);
	}
	*ret_n = n;
	return 1;
}

static size_t count_prompts(const struct mmp_cmd *cmd)
{
	size_t n = 0;

	while (cmd->prompts && cmd->prompts[n].text)
		n++;
	return n;
}

static void handle_run(struct conn *c, json_object *req, const char *user, unsigned role,
		       const char *from)
{
	struct mmpd *d = c->d;
	const char *line = "";
	const char *input[8];
	struct strbuf err = STRBUF_INIT;
	struct mmp_match m;
	struct mmp_ctx ctx;
	struct mmp_env env;
	char *logged = NULL;
	json_object *v, *r;
	size_t ninput, nprompts;
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

		if (mmp_tokenize(line, &buf, argv, &argc) == 0 && argc > 0)
			logged = xasprintf("%s%s%s%s", argv[0], argc > 1 ? " " : "",
					   argc > 1 ? argv[1] : "", argc > 2 ? " ..." : "");
		audit(d, user, from, logged ? logged : "...", true);
		free(logged);
		free(buf);
		reply_text(c, 1, sb_str(&err));
		sb_free(&err);
		return;
	}
	sb_free(&err);
	logged = audit_line(&m);
	if (!(m.cmd->roles & role)) {
		audit(d, user, from, logged, false);
		reply_text(c, 1, "Permission denied\n");
		goto out;
	}
	nprompts = count_prompts(m.cmd);
	rc = read_input(req, input, sizeof(input) / sizeof(input[0]), &ninput);
	if (rc < 0 || (rc == 1 && ninput != nprompts)) {
		reply_text(c, 1, "Bad answers to the command's prompts\n");
		goto out;
	}
	if (nprompts && rc == 0) {
		json_object *arr = json_object_new_array();

		r = json_object_new_object();
		for (size_t i = 0; i < nprompts; i++) {
			json_object *p = json_object_new_object();

			json_object_object_add(p, "text",
					       json_object_new_string(m.cmd->prompts[i].text));
			json_object_object_add(p, "secret",
					       json_object_new_boolean(m.cmd->prompts[i].secret));
			json_object_array_add(arr, p);
		}
		json_object_object_add(r, "status", json_object_new_int(0));
		json_object_object_add(r, "prompts", arr);
		conn_send(c, r);
		goto out;
	}
	audit(d, user, from, logged, true);
	mmp_ctx_init(&ctx);
	ctx.doc = NULL;
	if (json_object_deep_copy(d->doc, &ctx.doc, NULL) < 0) {
		reply_text(c, 1, "FAILURE: internal error copying the configuration\n");
		mmp_ctx_free(&ctx);
		goto out;
	}
	ctx.user = user;
	ctx.role = role;
	ctx.from = from;
	mmpd_env_snapshot(d, &env);
	ctx.env = &env;
	ctx.input = input;
	ctx.ninput = ninput;
	mmp_exec(&ctx, &m);
	/* Remembered on the connection and run once the reply has been
	 * queued, so the operator sees the command's output first. */
	snprintf(c->pending, sizeof(c->pending), "%s", ctx.system_action);
	if (!ctx.failed && ctx.changed) {
		/* The system first: a setting the kernel refuses is never
		 * committed, and the system stays as it was. */
		struct strbuf aerr = STRBUF_INIT;
		json_object *newdoc = ctx.doc;

		if (mmpd_apply(d, d->doc, newdoc, &aerr) < 0) {
			sb_puts(&ctx.out, sb_str(&aerr));
			ctx.failed = true;
		} else {
			json_object *olddoc = json_object_get(d->doc);

			ctx.doc = NULL;
			rc = mmpd_store_commit(d, newdoc);
			if (rc < 0) {
				struct strbuf e2 = STRBUF_INIT;

				mmpd_apply(d, NULL, olddoc, &e2);
				sb_free(&e2);
				sb_reset(&ctx.out);
				sb_printf(&ctx.out,
					  "FAILURE: could not save the configuration: %s\n",
					  strerror(-rc));
				ctx.failed = true;
			}
			json_object_put(olddoc);
		}
		sb_free(&aerr);
		if (ctx.failed)
			c->pending[0] = '\0';
	}
	json_object_put(ctx.doc);
	if (!ctx.failed)
		do_actions(d, &ctx);
	if (ctx.failed)
		c->pending[0] = '\0';
	r = json_object_new_object();
	json_object_object_add(r, "status", json_object_new_int(ctx.failed ? 1 : 0));
	json_object_object_add(r, "output", json_object_new_string(sb_str(&ctx.out)));
	if (ctx.follow && !ctx.failed) {
		json_object_object_add(r, "follow", json_object_new_boolean(true));
		conn_send(c, r);
		if (!c->following) {
			c->following = true;
			mmpd_logstore_follow(d->logs, follow_line, c);
		}
	} else {
		conn_send(c, r);
	}
	mmp_ctx_free(&ctx);
	if (c->pending[0]) {
		char action[16];

		snprintf(action, sizeof(action), "%s", c->pending);
		c->pending[0] = '\0';
		run_pending(d, action);
	}
out:
	free(logged);
	mmp_match_free(&m);
}

/*
 * {"op":"login","user":U,"password":P} from root only (the console login
 * and sshd's password check run as root): verifies the password with every
 * account rule (lock, allowed hosts, duty hours, expiry, failure count) and
 * commits what the attempt changed (last login, failures, lockout).
 * Replies {"status":0,"must_change":bool} or {"status":1,"output":reason}.
 */
static void handle_login(struct conn *c, json_object *req, const char *from)
{
	struct mmpd *d = c->d;
	const char *user = NULL, *password = NULL;
	char msg[256] = "";
	json_object *v, *doc = NULL, *r;
	int rc;

	if (c->uid != 0) {
		reply_text(c, 1, "Permission denied\n");
		return;
	}
	if (json_object_object_get_ex(req, "user", &v) && json_object_is_type(v, json_type_string))
		user = json_object_get_string(v);
	if (json_object_object_get_ex(req, "password", &v) &&
	    json_object_is_type(v, json_type_string))
		password = json_object_get_string(v);
	if (!user || !password || strlen(password) > MAX_ANSWER) {
		reply_text(c, 1, "Login incorrect\n");
		return;
	}
	if (json_object_deep_copy(d->doc, &doc, NULL) < 0) {
		reply_text(c, 1, "Login incorrect\n");
		return;
	}
	rc = mmp_user_login(doc, user, password, cv_now(), from, msg, sizeof(msg));
	if (rc != -ENOENT) {
		/* Through the appliers like any change: a lockout reaches the
		 * system's account files (--system-users) at once. */
		struct strbuf aerr = STRBUF_INIT;

		if (mmpd_apply(d, d->doc, doc, &aerr) < 0) {
			cv_err("could not apply the login record of %s: %s", user, sb_str(&aerr));
		} else {
			if (mmpd_store_commit(d, doc) < 0)
				cv_err("could not record the login of %s", user);
			doc = NULL; /* taken by the commit, or freed by it on failure */
		}
		sb_free(&aerr);
	}
	json_object_put(doc);
	if (rc < 0 && rc != -EKEYEXPIRED) {
		/* The reason goes to the log; the caller learns only that it
		 * failed (no hint which accounts exist). */
		cv_info("login of %s from %s refused: %s", user, from, msg[0] ? msg : "bad password");
		reply_text(c, 1, "Login incorrect\n");
		return;
	}
	cv_info("login of %s from %s", user, from);
	r = json_object_new_object();
	json_object_object_add(r, "status", json_object_new_int(0));
	json_object_object_add(r, "must_change", json_object_new_boolean(rc == -EKEYEXPIRED));
	conn_send(c, r);
}

static void handle(struct conn *c, json_object *req)
{
	struct mmpd *d = c->d;
	const char *op = "", *user, *from = "console", *line = "";
	unsigned role;
	json_object *v, *r;

	if (json_object_object_get_ex(req, "op", &v) && json_object_is_type(v, json_type_string))
		op = json_object_get_string(v);
	if (json_object_object_get_ex(req, "from", &v) && json_object_is_type(v, json_type_string) &&
	    strlen(json_object_get_string(v)) < 64)
		from = json_object_get_string(v);
	if (json_object_object_get_ex(req, "line", &v) && json_object_is_type(v, json_type_string))
		line = json_object_get_string(v);
	if (caller(c, req, &user, &role) < 0) {
		reply_text(c, 1, "Permission denied\n");
		return;
	}
	if (strcmp(op, "hello") == 0) {
		r = json_object_new_object();
		json_object_object_add(r, "status", json_object_new_int(0));
		json_object_object_add(r, "hostname", json_object_new_string(mmpd_hostname(d)));
		json_object_object_add(r, "user", json_object_new_string(user));
		json_object_object_add(r, "role", json_object_new_string(mmp_role_name(role)));
		{
			json_object *u = mmp_user_get(d->doc, user), *mc;

			json_object_object_add(
				r, "must_change",
				json_object_new_boolean(
					u && json_object_object_get_ex(u, "must_change", &mc) &&
					json_object_get_boolean(mc)));
		}
		conn_send(c, r);
	} else if (strcmp(op, "run") == 0) {
		handle_run(c, req, user, role, from);
	} else if (strcmp(op, "complete") == 0) {
		r = json_object_new_object();
		json_object_object_add(r, "status", json_object_new_int(0));
		json_object *files = mmpd_upload_names(d);

		json_object_object_add(r, "matches", mmp_complete(line, role, files));
		json_object_put(files);
		conn_send(c, r);
	} else if (strcmp(op, "help") == 0) {
		struct strbuf out = STRBUF_INIT;

		mmp_help_next(line, role, &out);
		reply_text(c, 0, sb_str(&out));
		sb_free(&out);
	} else if (strcmp(op, "login") == 0) {
		handle_login(c, req, from);
	} else if (strcmp(op, "unfollow") == 0) {
		if (c->following)
			mmpd_logstore_unfollow(d->logs, c);
		c->following = false;
		reply_text(c, 0, "");
	} else {
		reply_text(c, 1, "Unknown request\n");
	}
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char slab[65536];

	buf->base = slab;
	buf->len = sizeof(slab);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	json_object *req;
	int r;

	if (n < 0) {
		conn_close(c);
		return;
	}
	if (n == 0)
		return;
	if (cv_ipc_rx_feed(&c->rx, buf->base, (size_t)n) < 0) {
		cv_warn("closing an IPC connection that sent an oversized frame");
		conn_close(c);
		return;
	}
	while (!c->closing && (r = cv_ipc_rx_next(&c->rx, &req)) != 0) {
		if (r < 0) {
			cv_warn("closing an IPC connection that sent a malformed frame");
			conn_close(c);
			return;
		}
		handle(c, req);
		json_object_put(req);
	}
}

static void accept_cb(uv_stream_t *server, int status)
{
	struct mmpd *d = server->data;
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
	c->pipe.data = c;
	nconns++;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
		conn_close(c);
		return;
	}
	if (nconns > MAX_CONNS || uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		conn_close(c);
		return;
	}
	c->uid = cred.uid;
	uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, read_cb);
}

int mmpd_ipc_listen(struct mmpd *d)
{
	int r;

	unlink(d->socket_path);
	uv_pipe_init(d->loop, &d->server, 0);
	d->server.data = d;
	r = uv_pipe_bind(&d->server, d->socket_path);
	if (r < 0) {
		cv_err("cannot bind %s: %s", d->socket_path, uv_strerror(r));
		return r;
	}
	/* Any local user may connect; SO_PEERCRED and the MMP user table
	 * decide what they may do. */
	chmod(d->socket_path, 0666);
	r = uv_listen((uv_stream_t *)&d->server, 16, accept_cb);
	if (r < 0) {
		cv_err("cannot listen on %s: %s", d->socket_path, uv_strerror(r));
		return r;
	}
	return 0;
}

void mmpd_ipc_close(struct mmpd *d)
{
	if (!uv_is_closing((uv_handle_t *)&d->server))
		uv_close((uv_handle_t *)&d->server, NULL);
	unlink(d->socket_path);
}

static void run_pending(struct mmpd *d, const char *action)
{
	mmpd_system_action(d, action);
}
