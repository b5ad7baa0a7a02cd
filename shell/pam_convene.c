// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pam_convene.so: SSH and SFTP logins under every MMP account rule (issue
 * 14 item 5; DESIGN.md section 4 lists libpam for it). sshd (UsePAM yes)
 * calls it for each stage, and each stage is one request to mmpd, which
 * decides (the module decides nothing and keeps no state of its own):
 *
 *   auth     pam_sm_authenticate: the user, the password (pam_get_authtok)
 *            and PAM_RHOST -> {"op":"login"}: the password and every rule
 *            (lock, allowed hosts, duty hours), failures counted and the
 *            account locked at max_failed_logins, in mmpd's worker.
 *            PAM_SUCCESS, PAM_AUTH_ERR, or PAM_AUTHINFO_UNAVAIL when mmpd
 *            cannot be asked. pam_sm_setcred has nothing to set.
 *   account  pam_sm_acct_mgmt -> {"op":"account"}: the same rules without a
 *            password (for logins that gave none), counting no failure.
 *            PAM_NEW_AUTHTOK_REQD when the password must be changed (first
 *            login, "user expire", password_age): sshd then runs no shell
 *            and no SFTP; on a terminal it runs passwd(1), which on the
 *            appliance is mmp's forced change (images/README.md).
 *            PAM_PERM_DENIED when a rule refuses.
 *   session  pam_sm_open_session -> {"op":"session_open"} with the pid of
 *            the caller (sshd's per-connection monitor, whose SIGHUP ends
 *            the session: mmpd's "user evict") and PAM_TTY; the session id
 *            is kept with pam_set_data for pam_sm_close_session ->
 *            {"op":"session_close"}.
 *   password not provided: passwords change in mmp (passwd); the image's
 *            PAM configuration has pam_deny.so there.
 *
 * Arguments: socket=PATH (mmpd's socket, default /run/convene/mmpd.sock),
 * timeout=SECONDS (1-120, default 30: one request, connect to reply). An
 * unknown argument is a configuration error (PAM_SERVICE_ERR): a typo must
 * not quietly change where the module asks.
 *
 * A login with no PAM_RHOST is refused: the module serves remote logins,
 * and a missing origin must not pass for the console (the recovery path
 * that mmpd lets past the allowed hosts). mmpd takes the origin as sshd
 * gives it with UseDNS no, a bare IPv4 or IPv6 address; a host name is
 * refused by mmpd.
 *
 * It runs inside sshd's privileged monitor: every request is bounded in
 * time and size (cv_ipc_call: one deadline for connect, send and receive,
 * a capped reply, no SIGPIPE), nothing read from the socket is used
 * without its type checked, and only the pam_sm_* symbols are exported
 * (pam_convene.sym), so the copies of lib/ipc.c and lib/mem.c linked in
 * never meet sshd's own symbols.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "lib/ipc.h"

#define DEFAULT_TIMEOUT_S 30
#define MAX_TIMEOUT_S 120
/* mmpd's replies to these requests are a few dozen bytes. */
#define REPLY_MAX 4096
/* Where the session id waits for pam_sm_close_session. */
#define SESSION_DATA "pam_convene_session"

struct args {
	const char *socket;
	int timeout_ms;
};

/* 0, or -EINVAL after logging the argument that is not understood. */
static int parse_args(pam_handle_t *pamh, int argc, const char **argv, struct args *ret)
{
	struct args a = { CV_DEFAULT_SOCKET, DEFAULT_TIMEOUT_S * 1000 };

	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "socket=", 7) == 0 && argv[i][7] == '/') {
			a.socket = argv[i] + 7;
		} else if (strncmp(argv[i], "timeout=", 8) == 0) {
			char *end;
			long s;

			errno = 0;
			s = strtol(argv[i] + 8, &end, 10);
			if (errno || end == argv[i] + 8 || *end || s < 1 || s > MAX_TIMEOUT_S) {
				pam_syslog(pamh, LOG_ERR, "bad argument \"%s\" (1-%d seconds)",
					   argv[i], MAX_TIMEOUT_S);
				return -EINVAL;
			}
			a.timeout_ms = (int)s * 1000;
		} else {
			pam_syslog(pamh, LOG_ERR, "unknown argument \"%s\"", argv[i]);
			return -EINVAL;
		}
	}
	*ret = a;
	return 0;
}

/* The PAM item item as a string, or NULL when unset or empty. */
static const char *item_str(pam_handle_t *pamh, int item)
{
	const void *v = NULL;

	if (pam_get_item(pamh, item, &v) != PAM_SUCCESS || !v || !*(const char *)v)
		return NULL;
	return v;
}

/* A request for user from PAM_RHOST: NULL (logged) when either is missing. */
static json_object *request(pam_handle_t *pamh, const char *op, const char **ret_user)
{
	const char *user = NULL, *rhost;
	json_object *o;

	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user || !*user)
		return NULL;
	rhost = item_str(pamh, PAM_RHOST);
	if (!rhost) {
		pam_syslog(pamh, LOG_NOTICE, "refusing %s of %s: no PAM_RHOST (remote host)", op,
			   user);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "op", json_object_new_string(op));
	json_object_object_add(o, "user", json_object_new_string(user));
	json_object_object_add(o, "from", json_object_new_string(rhost));
	if (ret_user)
		*ret_user = user;
	return o;
}

/* Sends req (taken) to mmpd: 0 and its status in *ret_status (0: granted,
 * else refused) and the reply in *ret_reply (NULL: not wanted), or a
 * negative errno (logged) when mmpd could not be asked. */
static int ask(pam_handle_t *pamh, const struct args *a, json_object *req, int *ret_status,
	       json_object **ret_reply)
{
	json_object *reply = NULL, *v;
	int r = cv_ipc_call(a->socket, req, a->timeout_ms, REPLY_MAX, &reply);

	json_object_put(req);
	if (r == 0 && (!json_object_object_get_ex(reply, "status", &v) ||
		       !json_object_is_type(v, json_type_int)))
		r = -EBADMSG;
	if (r < 0) {
		json_object_put(reply);
		pam_syslog(pamh, LOG_ERR, "cannot ask mmpd at %s: %s", a->socket, strerror(-r));
		return r;
	}
	*ret_status = json_object_get_int(v);
	if (ret_reply)
		*ret_reply = reply;
	else
		json_object_put(reply);
	return 0;
}

/* What every stage does first: its arguments, and a request op for the
 * user from PAM_RHOST. PAM_SUCCESS, or the code to return: fail_code
 * when the request cannot be made. */
static int begin(pam_handle_t *pamh, int argc, const char **argv, const char *op, int fail_code,
		 struct args *ret_args, json_object **ret_req, const char **ret_user)
{
	if (parse_args(pamh, argc, argv, ret_args) < 0)
		return PAM_SERVICE_ERR;
	*ret_req = request(pamh, op, ret_user);
	return *ret_req ? PAM_SUCCESS : fail_code;
}

static bool reply_bool(json_object *reply, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(reply, key, &v) &&
	       json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const char *password = NULL, *user = NULL;
	json_object *req;
	struct args a;
	int r, status;

	r = begin(pamh, argc, argv, "login", PAM_AUTH_ERR, &a, &req, &user);
	if (r != PAM_SUCCESS)
		return r;
	r = pam_get_authtok(pamh, PAM_AUTHTOK, &password, NULL);
	if (r != PAM_SUCCESS || !password) {
		json_object_put(req);
		return r == PAM_CONV_AGAIN ? PAM_INCOMPLETE : PAM_AUTH_ERR;
	}
	json_object_object_add(req, "password", json_object_new_string(password));
	if (ask(pamh, &a, req, &status, NULL) < 0)
		return PAM_AUTHINFO_UNAVAIL;
	if (status != 0) {
		/* mmpd logged the reason; this is sshd's log. */
		pam_syslog(pamh, LOG_NOTICE, "mmpd refused the login of %s", user);
		return PAM_AUTH_ERR;
	}
	return PAM_SUCCESS;
}

int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_SUCCESS;
}

int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const char *user = NULL;
	json_object *req, *reply = NULL;
	struct args a;
	int status, r;

	r = begin(pamh, argc, argv, "account", PAM_PERM_DENIED, &a, &req, &user);
	if (r != PAM_SUCCESS)
		return r;
	if (ask(pamh, &a, req, &status, &reply) < 0)
		return PAM_AUTHINFO_UNAVAIL;
	if (status != 0) {
		pam_syslog(pamh, LOG_NOTICE, "mmpd refused the account of %s", user);
		r = PAM_PERM_DENIED;
	} else if (reply_bool(reply, "must_change")) {
		r = PAM_NEW_AUTHTOK_REQD;
	} else {
		r = PAM_SUCCESS;
	}
	json_object_put(reply);
	return r;
}

static void free_id(pam_handle_t *pamh, void *data, int error_status)
{
	free(data);
}

int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const char *tty, *user = NULL;
	json_object *req, *reply = NULL, *v;
	struct args a;
	int64_t *id;
	int status, r;

	r = begin(pamh, argc, argv, "session_open", PAM_SESSION_ERR, &a, &req, &user);
	if (r != PAM_SUCCESS)
		return r;
	/* The caller is the session: sshd's monitor, which ends the session
	 * when it gets SIGHUP. */
	json_object_object_add(req, "pid", json_object_new_int64(getpid()));
	tty = item_str(pamh, PAM_TTY);
	if (tty && strncmp(tty, "/dev/", 5) == 0)
		tty += 5;
	json_object_object_add(req, "tty", json_object_new_string(tty ? tty : ""));
	if (ask(pamh, &a, req, &status, &reply) < 0)
		return PAM_SESSION_ERR;
	if (status != 0 || !json_object_object_get_ex(reply, "id", &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int64(v) <= 0) {
		pam_syslog(pamh, LOG_ERR, "mmpd did not record the session of %s", user);
		json_object_put(reply);
		return PAM_SESSION_ERR;
	}
	id = malloc(sizeof(*id));
	if (!id) {
		json_object_put(reply);
		return PAM_BUF_ERR;
	}
	*id = json_object_get_int64(v);
	json_object_put(reply);
	if (pam_set_data(pamh, SESSION_DATA, id, free_id) != PAM_SUCCESS) {
		free(id);
		return PAM_SESSION_ERR;
	}
	return PAM_SUCCESS;
}

int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *data = NULL;
	json_object *req;
	struct args a;
	int status;

	if (parse_args(pamh, argc, argv, &a) < 0)
		return PAM_SERVICE_ERR;
	/* No session was opened by this handle: nothing to close. */
	if (pam_get_data(pamh, SESSION_DATA, &data) != PAM_SUCCESS || !data)
		return PAM_SUCCESS;
	req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("session_close"));
	json_object_object_add(req, "id", json_object_new_int64(*(const int64_t *)data));
	if (ask(pamh, &a, req, &status, NULL) < 0)
		return PAM_SESSION_ERR;
	/* Status 1: mmpd no longer knows it (it restarted, or saw the
	 * process end first): closed either way. */
	pam_set_data(pamh, SESSION_DATA, NULL, NULL);
	return PAM_SUCCESS;
}
