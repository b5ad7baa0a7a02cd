// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The worker: "mmpd --worker UID GID", started by mmpd for one command or
 * one login check (mmpd_job.c). Before it reads anything it
 *
 *   - keeps fd 3 (its end of the socketpair with mmpd) and /dev/null as 0,
 *     1 and 2, and nothing else;
 *   - becomes UID:GID (the helper user, MMPD_HELPER_USER) with no
 *     supplementary group and no capability, sets PR_SET_NO_NEW_PRIVS, is
 *     not dumpable and leaves no core, so it can read no file of the state
 *     directory and no other process of that user can attach to it.
 *
 * Then it takes jobs, one after the other, all of one MMP user (mmpd_job.c
 * says why), until mmpd closes the socket: it runs each with the command
 * handlers (lib/cmd.h, mmpd's tables), whose struct mmp_env operations are
 * requests to mmpd (mmpd_ops.c), and sends {"op":"done", ...} with the
 * result. Its log lines go to mmpd's log store through the "log"
 * operation.
 *
 * Results:
 *   run:   {"status":0|1, "output", "changed", "doc" (when changed),
 *           "actions":[{"svc","op"}], "follow", "system_action", "evict"}
 *   login, account: {"rc": 0 or -errno of mmp_user_login() or
 *           mmp_user_account(), "msg", "changed", "doc" (when changed)}
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/file.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/mmpd.h"
#include "services/mmpd/users.h"

/* What a command's output may take of mmpd's reply frame to the client. */
#define OUTPUT_MAX (CV_IPC_MAX - 4096)

static void __attribute__((noreturn)) worker_fail(void);

/* --- requests to mmpd ------------------------------------------------------------ */

/* One request and its answer, blocking. mmpd gone: nothing left to do. */
static json_object *worker_call(json_object *req, int send_fd, int *ret_fd)
{
	json_object *reply = NULL;
	int fd = -1;

	if (cv_ipc_send_fd(MMPD_JOB_FD, req, send_fd, MMPD_JOB_FRAME_MAX) < 0 ||
	    cv_ipc_recv_fd(MMPD_JOB_FD, &reply, &fd, MMPD_JOB_FRAME_MAX) < 0)
		_exit(3);
	json_object_put(req);
	if (ret_fd)
		*ret_fd = fd;
	else if (fd >= 0)
		close(fd);
	return reply;
}

static json_object *op_req(const char *op)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string(op));
	return o;
}

/* The status of a reply: 0 or a negative errno. */
static int reply_rc(json_object *reply)
{
	json_object *v;
	int rc = -EIO;

	if (json_object_object_get_ex(reply, "status", &v) && json_object_is_type(v, json_type_int))
		rc = json_object_get_int(v);
	if (rc > 0 || rc < -4095)
		rc = -EIO;
	return rc;
}

static int w_open(void *opaque, const char *name, int *ret_fd, size_t *ret_size)
{
	json_object *req = op_req("open"), *reply, *v;
	int fd = -1, rc;

	json_object_object_add(req, "name", json_object_new_string(name));
	reply = worker_call(req, -1, &fd);
	rc = reply_rc(reply);
	if (rc == 0 && fd >= 0 && json_object_object_get_ex(reply, "size", &v)) {
		*ret_fd = fd;
		*ret_size = (size_t)json_object_get_int64(v);
		fd = -1;
	} else if (rc == 0) {
		rc = -EIO;
	}
	if (fd >= 0)
		close(fd);
	json_object_put(reply);
	return rc;
}

static int w_write(void *opaque, const char *name, const void *data, size_t len, mode_t mode,
		   bool excl)
{
	json_object *req, *reply;
	int mfd = memfd_create("convene-upload", MFD_CLOEXEC | MFD_ALLOW_SEALING), rc;

	if (mfd < 0)
		return -errno;
	rc = cv_write_all(mfd, data, len);
	/* mmpd maps it: sealed, it can no longer change under the mapping. */
	if (rc == 0 &&
	    fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		rc = -errno;
	if (rc < 0) {
		close(mfd);
		return rc;
	}
	req = op_req("write");
	json_object_object_add(req, "name", json_object_new_string(name));
	json_object_object_add(req, "mode", json_object_new_int((int)(mode & 07777)));
	json_object_object_add(req, "excl", json_object_new_boolean(excl));
	reply = worker_call(req, mfd, NULL);
	close(mfd);
	rc = reply_rc(reply);
	json_object_put(reply);
	return rc;
}

static int w_remove(void *opaque, const char *name)
{
	json_object *req = op_req("remove"), *reply;
	int rc;

	json_object_object_add(req, "name", json_object_new_string(name));
	reply = worker_call(req, -1, NULL);
	rc = reply_rc(reply);
	json_object_put(reply);
	return rc;
}

static int w_list(void *opaque, struct mmp_upfile **ret, size_t *ret_n)
{
	json_object *reply = worker_call(op_req("list"), -1, NULL), *arr;
	struct mmp_upfile *files = NULL;
	size_t n = 0;
	int rc = reply_rc(reply);

	if (rc == 0 && json_object_object_get_ex(reply, "files", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		size_t len = json_object_array_length(arr);

		files = xcalloc(len + 1, sizeof(*files));
		for (size_t i = 0; i < len; i++) {
			json_object *e = json_object_array_get_idx(arr, i), *v;
			const char *name = NULL;

			if (json_object_object_get_ex(e, "name", &v))
				name = json_object_get_string(v);
			if (!name || cv_parse_filename(name) < 0)
				continue;
			files[n].name = xstrdup(name);
			if (json_object_object_get_ex(e, "size", &v))
				files[n].size = (off_t)json_object_get_int64(v);
			if (json_object_object_get_ex(e, "sec", &v))
				files[n].mtime.tv_sec = (time_t)json_object_get_int64(v);
			if (json_object_object_get_ex(e, "nsec", &v))
				files[n].mtime.tv_nsec = (long)json_object_get_int64(v);
			n++;
		}
		*ret = files;
		*ret_n = n;
	} else if (rc == 0) {
		rc = -EIO;
	}
	json_object_put(reply);
	return rc;
}

static int w_disk_usage(void *opaque, struct mmp_disk_usage *ret)
{
	json_object *reply = worker_call(op_req("disk"), -1, NULL), *v;
	int rc = reply_rc(reply);

	if (rc == 0 && json_object_object_get_ex(reply, "state_pct", &v)) {
		ret->state_pct = (unsigned)json_object_get_int(v);
		ret->upload_apart = json_object_object_get_ex(reply, "upload_apart", &v) &&
				    json_object_get_boolean(v);
		ret->upload_pct = json_object_object_get_ex(reply, "upload_pct", &v)
					  ? (unsigned)json_object_get_int(v)
					  : 0;
	} else if (rc == 0) {
		rc = -EIO;
	}
	json_object_put(reply);
	return rc;
}

static const struct mmp_ops worker_ops = {
	.open = w_open,
	.write = w_write,
	.remove = w_remove,
	.list = w_list,
	.disk_usage = w_disk_usage,
};

/* The worker's log lines go to mmpd's log store. */
static void worker_log(int level, const char *msg, void *opaque)
{
	json_object *req = op_req("log"), *reply;

	json_object_object_add(req, "level", json_object_new_int(level));
	json_object_object_add(req, "msg", json_object_new_string(msg));
	reply = worker_call(req, -1, NULL);
	json_object_put(reply);
}

/* --- the jobs --------------------------------------------------------------------- */

static const char *init_str(json_object *init, const char *key, const char *dflt)
{
	json_object *v;

	if (!json_object_object_get_ex(init, key, &v) || !json_object_is_type(v, json_type_string))
		return dflt;
	return json_object_get_string(v);
}

static json_object *run_command(json_object *init, json_object *doc, const struct mmp_env *env)
{
	json_object *res = json_object_new_object(), *acts = json_object_new_array(), *arr, *v;
	struct strbuf err = STRBUF_INIT;
	const char *input[8];
	struct mmp_match m;
	struct mmp_ctx ctx;
	const char *out;
	size_t ninput = 0;

	mmp_ctx_init(&ctx);
	if (json_object_object_get_ex(init, "input", &arr) &&
	    json_object_is_type(arr, json_type_array))
		for (size_t i = 0; i < json_object_array_length(arr) && i < 8; i++)
			input[ninput++] = json_object_get_string(json_object_array_get_idx(arr, i));
	if (mmp_match_line(init_str(init, "line", ""), &m, &err) < 0) {
		/* mmpd matched the same line with the same tables. */
		json_object_object_add(res, "status", json_object_new_int(1));
		json_object_object_add(res, "output", json_object_new_string(sb_str(&err)));
		sb_free(&err);
		json_object_put(acts);
		return res;
	}
	sb_free(&err);
	ctx.doc = doc;
	ctx.user = init_str(init, "user", "");
	ctx.role = json_object_object_get_ex(init, "role", &v) ? (unsigned)json_object_get_int(v)
							       : 0;
	ctx.from = init_str(init, "from", "console");
	ctx.env = env;
	ctx.input = input;
	ctx.ninput = ninput;
	mmp_exec(&ctx, &m);
	out = sb_str(&ctx.out);
	if (ctx.out.len > OUTPUT_MAX)
		out = "FAILURE: the output of this command is too large to show\n";
	json_object_object_add(res, "status", json_object_new_int(ctx.failed ? 1 : 0));
	json_object_object_add(res, "output", json_object_new_string(out));
	json_object_object_add(res, "changed", json_object_new_boolean(ctx.changed));
	if (ctx.changed)
		json_object_object_add(res, "doc", json_object_get(ctx.doc));
	for (size_t i = 0; i < ctx.nactions; i++) {
		json_object *a = json_object_new_object();

		json_object_object_add(a, "svc", json_object_new_string(ctx.actions[i].svc));
		json_object_object_add(a, "op", json_object_new_int((int)ctx.actions[i].op));
		json_object_array_add(acts, a);
	}
	json_object_object_add(res, "actions", acts);
	json_object_object_add(res, "follow", json_object_new_boolean(ctx.follow));
	json_object_object_add(res, "system_action", json_object_new_string(ctx.system_action));
	json_object_object_add(res, "evict", json_object_new_string(ctx.evict));
	mmp_ctx_free(&ctx);
	mmp_match_free(&m);
	return res;
}

/* A login check ("login": the rules, with the allowed hosts' name
 * lookups, and the password hash) or an account check ("account": the
 * rules only), off mmpd's loop. The document goes back when the user's
 * record changed. */
static json_object *run_check(json_object *init, json_object *doc, bool password)
{
	json_object *res = json_object_new_object(), *before = NULL, *u;
	const char *user = init_str(init, "login_user", ""), *from = init_str(init, "from", "");
	char msg[256] = "";
	bool changed;
	int rc;

	u = mmp_user_get(doc, user);
	if (u && json_object_deep_copy(u, &before, NULL) < 0)
		worker_fail();
	if (password)
		rc = mmp_user_login(doc, user, init_str(init, "password", ""), cv_now(), from, msg,
				    sizeof(msg));
	else
		rc = mmp_user_account(doc, user, cv_now(), from, msg, sizeof(msg));
	changed = u && !json_object_equal(before, u);
	json_object_put(before);
	json_object_object_add(res, "rc", json_object_new_int(rc));
	json_object_object_add(res, "msg", json_object_new_string(msg));
	json_object_object_add(res, "changed", json_object_new_boolean(changed));
	if (changed)
		json_object_object_add(res, "doc", json_object_get(doc));
	return res;
}

/* --- main ------------------------------------------------------------------------- */

static void __attribute__((noreturn)) worker_fail(void)
{
	/* stderr is /dev/null: the exit status tells mmpd. */
	_exit(4);
}

/* Becomes uid:gid for good: no groups, no capabilities, no way back. */
static void worker_drop(uid_t uid, gid_t gid)
{
	if (geteuid() != 0)
		return; /* mmpd itself is unprivileged (a developer's run) */
	if (uid == 0 || gid == 0 || setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		worker_fail();
	if (setuid(0) == 0 || geteuid() == 0)
		worker_fail();
}

int mmpd_worker_main(int argc, char **argv)
{
	struct rlimit nocore = { 0, 0 };
	unsigned long uid, gid;
	json_object *init = NULL, *doc, *result;
	struct mmp_env env;
	const char *kind;
	int fd = -1, null;

	signal(SIGPIPE, SIG_IGN);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 ||
	    close_range(MMPD_JOB_FD + 1, ~0U, 0) < 0)
		worker_fail();
	setrlimit(RLIMIT_CORE, &nocore);
	if (argc != 4 || cv_parse_ulong(argv[2], 0, 0xfffffffe, &uid) < 0 ||
	    cv_parse_ulong(argv[3], 0, 0xfffffffe, &gid) < 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		worker_fail();
	worker_drop((uid_t)uid, (gid_t)gid);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		worker_fail();
	cv_log_open("mmpd");
	cv_log_set_sink(worker_log, NULL);

	mmp_engine_init(mmp_areas, mmp_nareas);
	/* One job after the other, all of one identity (mmpd_job.c), until
	 * mmpd closes the socket. */
	for (;;) {
		int r = cv_ipc_recv_fd(MMPD_JOB_FD, &init, &fd, MMPD_JOB_FRAME_MAX);

		if (r == -EPIPE)
			_exit(0);
		if (r < 0 || fd >= 0 || !json_object_object_get_ex(init, "doc", &doc) ||
		    !json_object_is_type(doc, json_type_object))
			worker_fail();
		mmpd_env_from_json(json_object_object_get(init, "env"), &env);
		env.ops = &worker_ops;
		env.opaque = NULL;
		kind = init_str(init, "kind", "");
		if (strcmp(kind, "run") == 0)
			result = run_command(init, doc, &env);
		else if (strcmp(kind, "login") == 0 || strcmp(kind, "account") == 0)
			result = run_check(init, doc, strcmp(kind, "login") == 0);
		else
			worker_fail();
		json_object_object_add(result, "op", json_object_new_string("done"));
		if (cv_ipc_send_fd(MMPD_JOB_FD, result, -1, MMPD_JOB_FRAME_MAX) < 0)
			_exit(3);
		json_object_put(result);
		json_object_put(init);
		init = NULL;
	}
	_exit(0);
}
