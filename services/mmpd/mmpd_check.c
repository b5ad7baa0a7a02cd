// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What clients and workers send mmpd, checked without I/O: the fields of
 * a client's request (which request, who asks, from where, the answers to
 * a command's prompts, whether the command may run, what a login session
 * is) and the result a worker sends back (the document it changed, the
 * services it asks for, reboot, shutdown, an eviction and the log stream,
 * and the outcome of a login or account check). mmpd_ipc.c reads the
 * socket, calls these and acts on what they decide; the fuzz target
 * tests/fuzz/ipcreq_fuzz.c calls them with arbitrary requests and results.
 * See README.md (Clients, IPC) for the rules.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/parse.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/mmpd.h"
#include "services/mmpd/mmpd_users.h"
#include "services/mmpd/users.h"

static const char *req_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool req_bool(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
}

/* --- the client's request -------------------------------------------------------------- */

/* The requests, by enum mmpd_req. The login paths' are root's only and run
 * for no MMP user: their "user" is the one logging in. */
static const struct {
	const char *name;
	bool login_path;
	bool by_service; /* a service user of d->pwcheck_uids may ask too */
} requests[MMPD_REQ_COUNT] = {
	[MMPD_REQ_HELLO] = { "hello", false },
	[MMPD_REQ_RUN] = { "run", false },
	[MMPD_REQ_COMPLETE] = { "complete", false },
	[MMPD_REQ_HELP] = { "help", false },
	[MMPD_REQ_UNFOLLOW] = { "unfollow", false },
	[MMPD_REQ_LOGIN] = { "login", true },
	[MMPD_REQ_ACCOUNT] = { "account", true },
	[MMPD_REQ_SESSION_OPEN] = { "session_open", true },
	[MMPD_REQ_SESSION_CLOSE] = { "session_close", true },
	[MMPD_REQ_SERVICE_LOGIN] = { "service_login", true, true },
};

int mmpd_req_of(json_object *req, enum mmpd_req *ret)
{
	const char *name = req_str(req, "op");

	for (size_t i = 0; name && i < MMPD_REQ_COUNT; i++)
		if (strcmp(requests[i].name, name) == 0) {
			*ret = (enum mmpd_req)i;
			return 0;
		}
	return -EINVAL;
}

bool mmpd_req_login_path(enum mmpd_req op)
{
	return requests[op].login_path;
}

/* Root may act as any user ("user" in the request; "admin" by default, an
 * administrator even when that account was removed); anyone else is the
 * user the uid was given to. */
int mmpd_caller_of(struct mmpd *d, uid_t uid, json_object *req, struct mmpd_caller *ret)
{
	const char *user = NULL;

	memset(ret, 0, sizeof(*ret));
	ret->uid = uid;
	if (uid == 0) {
		user = req_str(req, "user");
		if (!user)
			user = "admin";
		if (cv_parse_username(user) < 0)
			return -ENOENT;
		snprintf(ret->user, sizeof(ret->user), "%s", user);
		if (mmp_user_role(d->doc, user, &ret->role) < 0) {
			if (strcmp(user, "admin") != 0)
				return -ENOENT;
			ret->role = MMP_ROLE_ADMIN;
		}
		return 0;
	}
	user = mmpd_users_by_uid(d, uid);
	if (!user || mmp_user_role(d->doc, user, &ret->role) < 0)
		return -ENOENT;
	snprintf(ret->user, sizeof(ret->user), "%s", user);
	return 0;
}

int mmpd_req_caller(struct mmpd *d, enum mmpd_req op, uid_t uid, json_object *req,
		   struct mmpd_caller *ret)
{
	bool service = false;

	if (!mmpd_req_login_path(op))
		return mmpd_caller_of(d, uid, req, ret);
	for (size_t i = 0; requests[op].by_service && i < d->npwcheck; i++)
		service |= d->pwcheck_uids[i] == uid;
	if (uid != 0 && !service)
		return -EPERM;
	memset(ret, 0, sizeof(*ret));
	ret->uid = uid;
	snprintf(ret->user, sizeof(ret->user), "%s", "login");
	return 0;
}

/* mmp takes "from" from SSH_CLIENT, the PAM module from PAM_RHOST: any
 * local user can claim any address there, but it can never be more than
 * an address. */
int mmpd_request_from(json_object *req, char *buf, size_t size)
{
	const char *from = "console";
	json_object *v;

	if (json_object_object_get_ex(req, "from", &v)) {
		from = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
		if (strlen(from) >= size || !mmp_from_valid(from)) {
			snprintf(buf, size, "console");
			return -EINVAL;
		}
	}
	snprintf(buf, size, "%s", from);
	return 0;
}

int mmpd_read_input(json_object *req, const char **input, size_t max, size_t *ret_n)
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
		    strlen(json_object_get_string(s)) > MMPD_ANSWER_MAX)
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

enum mmpd_admit mmpd_run_admit(json_object *doc, const struct mmpd_caller *who,
			       const struct mmp_cmd *cmd, json_object *req, time_t now)
{
	const char *input[MMPD_INPUT_MAX];
	size_t nprompts = count_prompts(cmd), ninput;
	int rc = mmpd_read_input(req, input, MMPD_INPUT_MAX, &ninput);

	if (!(cmd->roles & who->role))
		return MMPD_ADMIT_DENIED;
	/* Checked here, not only by mmp: a client that skips the change gets
	 * nothing else done. Root acting as a user (the login paths, tests)
	 * is not held. */
	if (who->uid != 0 && strcmp(cmd->syntax, "passwd") != 0 &&
	    mmp_user_must_change(doc, who->user, now))
		return MMPD_ADMIT_MUST_CHANGE;
	if (rc < 0 || (rc == 1 && ninput != nprompts))
		return MMPD_ADMIT_BAD_ANSWERS;
	if (nprompts && rc == 0)
		return MMPD_ADMIT_PROMPTS;
	return MMPD_ADMIT_RUN;
}

/* A terminal name as a login program gives it ("pts/0", "ttyS0", "ssh"):
 * short, and nothing a log line could be made to show. */
static bool tty_valid(const char *s)
{
	size_t n = strlen(s);

	return n <= MMPD_TTY_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._:-") == n;
}

const char *mmpd_login_user(json_object *req)
{
	const char *user = req_str(req, "user");

	return user && cv_parse_username(user) == 0 ? user : NULL;
}

enum mmpd_session_check mmpd_session_open_check(json_object *doc, json_object *req,
						const char *from, pid_t peer,
						struct mmpd_session_req *ret)
{
	const char *user = mmpd_login_user(req), *tty = "";
	int64_t pid = peer;
	json_object *v;

	if (json_object_object_get_ex(req, "tty", &v))
		tty = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "?";
	if (json_object_object_get_ex(req, "pid", &v))
		pid = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
	if (!user || !mmp_user_get(doc, user))
		return MMPD_SESSION_NO_USER;
	if (!from)
		return MMPD_SESSION_BAD_FROM;
	if (!tty_valid(tty))
		return MMPD_SESSION_BAD_TTY;
	if (pid <= 1 || pid > INT32_MAX)
		return MMPD_SESSION_BAD_PID;
	ret->user = user;
	ret->tty = tty;
	ret->pid = (pid_t)pid;
	return MMPD_SESSION_OK;
}

/* --- the worker's result ------------------------------------------------------------- */

/* Removes from a copy of doc what a non-admin may change of user's own
 * record: the password and its history, and the login records. */
static json_object *without_own_fields(json_object *doc, const char *user)
{
	static const char *const own[] = { "hash",	    "history",	       "pw_changed",
					   "must_change",   "last_login",      "last_login_from",
					   "failed_logins", "locked",	       "unlocked" };
	json_object *copy = NULL, *u;

	if (json_object_deep_copy(doc, &copy, NULL) < 0)
		return NULL;
	u = mmp_user_get(copy, user);
	for (size_t i = 0; u && i < sizeof(own) / sizeof(own[0]); i++)
		json_object_object_del(u, own[i]);
	return copy;
}

bool mmpd_change_allowed(json_object *committed, json_object *doc, const char *user, bool any)
{
	json_object *a, *b;
	bool same;

	if (!json_object_is_type(doc, json_type_object))
		return false;
	if (any)
		return true;
	a = without_own_fields(committed, user);
	b = without_own_fields(doc, user);
	same = a && b && json_object_equal(a, b);
	json_object_put(a);
	json_object_put(b);
	return same;
}

/* The services a worker asks for: the first MMPD_ACTIONS_MAX entries, of
 * services that exist, with an operation that does. */
static void result_actions(json_object *acts, struct mmpd_result *ret)
{
	size_t n = json_object_is_type(acts, json_type_array) ? json_object_array_length(acts) : 0;

	for (size_t i = 0; i < n && i < MMPD_ACTIONS_MAX; i++) {
		json_object *a = json_object_array_get_idx(acts, i), *v;
		const char *svc = req_str(a, "svc"), *known = NULL;
		int op = -1;

		if (json_object_object_get_ex(a, "op", &v) && json_object_is_type(v, json_type_int))
			op = json_object_get_int(v);
		for (size_t k = 0; svc && mmp_service_names[k]; k++)
			if (strcmp(mmp_service_names[k], svc) == 0)
				known = mmp_service_names[k];
		if (!known || (op != MMP_SVC_START && op != MMP_SVC_STOP && op != MMP_SVC_RESTART))
			continue;
		ret->actions[ret->nactions].svc = known;
		ret->actions[ret->nactions].op = (enum mmp_svc_op)op;
		ret->nactions++;
	}
}

void mmpd_result_check(json_object *committed, const struct mmpd_caller *who, json_object *res,
		       struct mmpd_result *ret)
{
	const char *action = req_str(res, "system_action"), *evict = req_str(res, "evict");
	json_object *v, *doc = NULL;

	memset(ret, 0, sizeof(*ret));
	ret->failed = true;
	if (json_object_object_get_ex(res, "status", &v) && json_object_is_type(v, json_type_int))
		ret->failed = json_object_get_int(v) != 0;
	ret->output = req_str(res, "output");
	if (!ret->failed && req_bool(res, "changed")) {
		/* An admin's command may change anything (that is the admin's
		 * power); anyone else's only the user's own password and login
		 * records. */
		if (!json_object_object_get_ex(res, "doc", &doc) ||
		    !mmpd_change_allowed(committed, doc, who->user, who->role & MMP_ROLE_ADMIN)) {
			ret->refused = true;
			ret->failed = true;
		} else {
			ret->doc = doc;
		}
	}
	result_actions(json_object_object_get(res, "actions"), ret);
	/* Reboot, shutdown and streaming are what admins (and audit users,
	 * for the log) ask for; a worker cannot ask for them otherwise. */
	if (action && (who->role & MMP_ROLE_ADMIN) &&
	    (strcmp(action, "reboot") == 0 || strcmp(action, "shutdown") == 0))
		ret->system_action = action;
	/* So is an eviction (user evict): an admin's, of a user name. */
	if (evict && (who->role & MMP_ROLE_ADMIN) && cv_parse_username(evict) == 0)
		ret->evict = evict;
	ret->follow = req_bool(res, "follow") && (who->role & (MMP_ROLE_ADMIN | MMP_ROLE_AUDIT));
}

/* A login check and an account check alike run for no MMP user, even when
 * the user logging in is an admin: what they may change is that user's
 * password and login records (failures, lock, last login) and nothing
 * else. */
bool mmpd_login_result_check(json_object *committed, const char *login_user, json_object *res,
			     int *ret_rc, json_object **ret_doc)
{
	json_object *v, *doc = NULL;

	*ret_rc = -EIO;
	*ret_doc = NULL;
	if (json_object_object_get_ex(res, "rc", &v) && json_object_is_type(v, json_type_int))
		*ret_rc = json_object_get_int(v);
	if (req_bool(res, "changed") && json_object_object_get_ex(res, "doc", &doc)) {
		if (!mmpd_change_allowed(committed, doc, login_user, false)) {
			*ret_rc = -EIO;
			return false;
		}
		*ret_doc = doc;
	}
	return true;
}
