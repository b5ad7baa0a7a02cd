// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The privileged side's fixed operations (OpenSSH's monitor: mon_dispatch).
 * A command runs in an unprivileged worker (mmpd_job.c); what it needs of
 * the system it asks for here, one operation of this table at a time, and
 * each request is checked against the role of the MMP user the command
 * runs for before mmp_local_ops (upload.c, lib/file.h) does it:
 *
 *   open    name            a read-only descriptor of a regular upload file
 *   write   name mode excl  + a sealed memfd: its bytes become the file
 *   remove  name
 *   list                    the regular files, with size and time
 *   disk                    use of the state directory's file system
 *   log     level msg       a line in the log store
 *
 * Who may do what in the upload directory (the decision of issue 14; CMS
 * gives SFTP to admin users):
 *   - admin: everything;
 *   - crypto (the pki role): open, write, remove and list, except backups
 *     (*.bak hold every password hash: admin only); and a backup is opened
 *     only when root or an admin's account owns it (a crypto user may put a
 *     file of that name in the directory over SFTP);
 *   - audit, appadmin and api users: open the password dictionary (their
 *     "passwd" checks a new password against it), nothing else. They read
 *     no key, write nothing a service or a rollback uses.
 * A write is at most MMPD_WRITE_MAX bytes; the mode is one of 0600, 0640
 * or 0644 (a command never makes a file executable or others-writable).
 *
 * The worker's memory is its own: an operation never trusts a length, a
 * name or a descriptor it sends. Names go through cv_parse_filename();
 * the memfd of a write must be sealed against shrinking and writing, so
 * that mapping it cannot fault when the worker changes it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "services/mmpd/backup.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/mmpd.h"
#include "services/mmpd/mmpd_users.h"
#include "services/mmpd/users.h"

/* Largest file a command writes: a backup of MMP_BACKUP_FILES_MAX of
 * files in base64 and the configuration. */
#define MMPD_WRITE_MAX (96u << 20)
_Static_assert(MMPD_WRITE_MAX >= MMP_BACKUP_MAX, "a backup snapshot must fit one write");

/* --- the snapshot a command starts with -------------------------------------------- */

void mmpd_env_snapshot(struct mmpd *d, struct mmp_env *env)
{
	memset(env, 0, sizeof(*env));
	if (d->upload.dirfd >= 0) {
		env->ops = &mmp_local_ops;
		env->opaque = &d->upload;
	}
	for (int i = 0; i < 4; i++)
		snprintf(env->ifmap[i], sizeof(env->ifmap[i]), "%s", d->ifmap[i]);
	for (size_t i = 0; mmp_service_names[i] && i < MMP_MAX_SVC; i++)
		mmpd_super_state(d->super, mmp_service_names[i], &env->svc[i]);
	mmpd_super_state(d->super, "media", &env->media);
	env->can_act = true;
}

struct mmp_login *mmpd_env_login(struct mmp_env *env, const char *user)
{
	struct mmp_login *l;

	if (cv_parse_username(user) < 0)
		return NULL;
	for (size_t i = 0; i < env->nlogins; i++)
		if (strcmp(env->logins[i].user, user) == 0)
			return &env->logins[i];
	if (env->nlogins == MMP_MAX_LOGINS)
		return NULL;
	l = &env->logins[env->nlogins++];
	memset(l, 0, sizeof(*l));
	snprintf(l->user, sizeof(l->user), "%s", user);
	return l;
}

static json_object *svc_to_json(const struct mmp_svc_state *st)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "installed", json_object_new_boolean(st->installed));
	json_object_object_add(e, "wanted", json_object_new_boolean(st->wanted));
	json_object_object_add(e, "running", json_object_new_boolean(st->running));
	json_object_object_add(e, "failed", json_object_new_boolean(st->failed));
	json_object_object_add(e, "pid", json_object_new_int(st->pid));
	json_object_object_add(e, "restarts", json_object_new_int((int)st->restarts));
	json_object_object_add(e, "last_exit", json_object_new_string(st->last_exit));
	json_object_object_add(e, "status", json_object_new_string(st->status));
	return e;
}

json_object *mmpd_env_to_json(const struct mmp_env *env)
{
	json_object *o = json_object_new_object(), *ifs = json_object_new_array(),
		    *svcs = json_object_new_array(), *logins = json_object_new_array();

	for (int i = 0; i < 4; i++)
		json_object_array_add(ifs, json_object_new_string(env->ifmap[i]));
	for (size_t i = 0; i < MMP_MAX_SVC; i++)
		json_object_array_add(svcs, svc_to_json(&env->svc[i]));
	json_object_object_add(o, "ifmap", ifs);
	json_object_object_add(o, "svc", svcs);
	json_object_object_add(o, "media", svc_to_json(&env->media));
	json_object_object_add(o, "can_act", json_object_new_boolean(env->can_act));
	for (size_t i = 0; i < env->nlogins; i++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "user", json_object_new_string(env->logins[i].user));
		json_object_object_add(e, "sessions",
				       json_object_new_int64(env->logins[i].sessions));
		json_object_object_add(e, "conns", json_object_new_int64(env->logins[i].conns));
		json_object_array_add(logins, e);
	}
	json_object_object_add(o, "logins", logins);
	return o;
}

static bool jbool(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

/* A count of the snapshot: 0..UINT_MAX, 0 when missing or not a number. */
static int64_t jcount(json_object *o, const char *key)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	n = json_object_get_int64(v);
	return n < 0 || n > UINT_MAX ? 0 : n;
}

static void svc_from_json(json_object *e, struct mmp_svc_state *st)
{
	json_object *v;

	st->installed = jbool(e, "installed");
	st->wanted = jbool(e, "wanted");
	st->running = jbool(e, "running");
	st->failed = jbool(e, "failed");
	if (json_object_object_get_ex(e, "pid", &v))
		st->pid = json_object_get_int(v);
	if (json_object_object_get_ex(e, "restarts", &v))
		st->restarts = (unsigned)json_object_get_int(v);
	if (json_object_object_get_ex(e, "last_exit", &v))
		snprintf(st->last_exit, sizeof(st->last_exit), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(e, "status", &v))
		snprintf(st->status, sizeof(st->status), "%s", json_object_get_string(v));
}

void mmpd_env_from_json(json_object *o, struct mmp_env *env)
{
	json_object *ifs, *svcs, *v;

	memset(env, 0, sizeof(*env));
	if (json_object_object_get_ex(o, "ifmap", &ifs) && json_object_is_type(ifs, json_type_array))
		for (size_t i = 0; i < 4 && i < json_object_array_length(ifs); i++)
			snprintf(env->ifmap[i], sizeof(env->ifmap[i]), "%s",
				 json_object_get_string(json_object_array_get_idx(ifs, i)));
	if (json_object_object_get_ex(o, "svc", &svcs) && json_object_is_type(svcs, json_type_array))
		for (size_t i = 0; i < MMP_MAX_SVC && i < json_object_array_length(svcs); i++)
			svc_from_json(json_object_array_get_idx(svcs, i), &env->svc[i]);
	if (json_object_object_get_ex(o, "media", &v))
		svc_from_json(v, &env->media);
	env->can_act = jbool(o, "can_act");
	if (json_object_object_get_ex(o, "logins", &v) && json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i), *u;
			struct mmp_login *l;

			if (!json_object_object_get_ex(e, "user", &u) ||
			    !json_object_is_type(u, json_type_string))
				continue;
			l = mmpd_env_login(env, json_object_get_string(u));
			if (!l)
				continue;
			l->sessions = (unsigned)jcount(e, "sessions");
			l->conns = (unsigned)jcount(e, "conns");
		}
}

json_object *mmpd_upload_names(struct mmpd *d)
{
	json_object *arr = json_object_new_array();
	struct mmp_upfile *files = NULL;
	size_t n = 0;

	if (d->upload.dirfd >= 0 && mmp_local_ops.list(&d->upload, &files, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, json_object_new_string(files[i].name));
		mmp_upfiles_free(files, n);
	}
	return arr;
}

/* --- the policy ----------------------------------------------------------------- */

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

/* May who touch the upload file name (open, write, remove)? */
static bool file_allowed(const struct mmpd_caller *who, const char *name, bool writing)
{
	if (who->role & MMP_ROLE_ADMIN)
		return true;
	if (has_suffix(name, ".bak"))
		return false;
	if (who->role & MMP_ROLE_CRYPTO)
		return true;
	return !writing && strcmp(name, MMP_DICTIONARY_FILE) == 0;
}

/* A backup is taken when root (mmpd's snapshot) or an admin's account
 * (uploaded over SFTP) owns it. */
static bool backup_owner_ok(struct mmpd *d, int fd)
{
	const char *user;
	struct stat st;
	unsigned role;

	if (fstat(fd, &st) < 0)
		return false;
	if (st.st_uid == 0)
		return true;
	user = mmpd_users_by_uid(d, st.st_uid);
	return user && mmp_user_role(d->doc, user, &role) == 0 && role == MMP_ROLE_ADMIN;
}

static const char *req_str(json_object *req, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(req, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A name of the upload directory the caller may use, or NULL. */
static const char *req_name(const struct mmpd_caller *who, json_object *req, bool writing,
			    int *ret_rc)
{
	const char *name = req_str(req, "name");

	if (!name || cv_parse_filename(name) < 0 || name[0] == '.') {
		*ret_rc = -EINVAL;
		return NULL;
	}
	if (!file_allowed(who, name, writing)) {
		*ret_rc = -EACCES;
		return NULL;
	}
	return name;
}

/* --- the operations --------------------------------------------------------------- */

static int op_open(struct mmpd *d, const struct mmpd_caller *who, json_object *req, int in_fd,
		   json_object *reply, int *ret_fd)
{
	size_t size;
	int rc = 0, fd;
	const char *name = req_name(who, req, false, &rc);

	if (!name)
		return rc;
	rc = mmp_local_ops.open(&d->upload, name, &fd, &size);
	if (rc < 0)
		return rc;
	if (has_suffix(name, ".bak") && !backup_owner_ok(d, fd)) {
		/* A crypto user can put a file of this name in the directory
		 * (its group may write there); rolling it back would make
		 * that user an admin. */
		close(fd);
		return -EPERM;
	}
	json_object_object_add(reply, "size", json_object_new_int64((int64_t)size));
	*ret_fd = fd;
	return 0;
}

static int op_write(struct mmpd *d, const struct mmpd_caller *who, json_object *req, int in_fd,
		    json_object *reply, int *ret_fd)
{
	const unsigned need = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	json_object *v;
	struct stat st;
	void *map = NULL;
	int rc = 0, mode, seals;
	bool excl = false;
	const char *name = req_name(who, req, true, &rc);

	if (!name)
		return rc;
	if (!json_object_object_get_ex(req, "mode", &v) || !json_object_is_type(v, json_type_int))
		return -EINVAL;
	mode = json_object_get_int(v);
	if (mode != 0600 && mode != 0640 && mode != 0644)
		return -EINVAL;
	if (json_object_object_get_ex(req, "excl", &v))
		excl = json_object_get_boolean(v);
	if (in_fd < 0 || fstat(in_fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -EBADF;
	/* Sealed: the worker can no longer shrink it, so the mapping below
	 * never faults. */
	seals = fcntl(in_fd, F_GET_SEALS);
	if (seals < 0 || ((unsigned)seals & need) != need)
		return -EPERM;
	if ((uint64_t)st.st_size > MMPD_WRITE_MAX)
		return -EFBIG;
	if (st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, in_fd, 0);
		if (map == MAP_FAILED)
			return -errno;
	}
	rc = mmp_local_ops.write(&d->upload, name, map ? map : "", (size_t)st.st_size,
				 (mode_t)mode, excl);
	if (map)
		munmap(map, (size_t)st.st_size);
	return rc;
}

static int op_remove(struct mmpd *d, const struct mmpd_caller *who, json_object *req, int in_fd,
		     json_object *reply, int *ret_fd)
{
	int rc = 0;
	const char *name = req_name(who, req, true, &rc);

	return name ? mmp_local_ops.remove(&d->upload, name) : rc;
}

static int op_list(struct mmpd *d, const struct mmpd_caller *who, json_object *req, int in_fd,
		   json_object *reply, int *ret_fd)
{
	struct mmp_upfile *files = NULL;
	json_object *arr;
	size_t n = 0;
	int rc = mmp_local_ops.list(&d->upload, &files, &n);

	if (rc < 0)
		return rc;
	arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "name", json_object_new_string(files[i].name));
		json_object_object_add(e, "size", json_object_new_int64((int64_t)files[i].size));
		json_object_object_add(e, "sec", json_object_new_int64((int64_t)files[i].mtime.tv_sec));
		json_object_object_add(e, "nsec", json_object_new_int64(files[i].mtime.tv_nsec));
		json_object_array_add(arr, e);
	}
	mmp_upfiles_free(files, n);
	json_object_object_add(reply, "files", arr);
	return 0;
}

static int op_disk(struct mmpd *d, const struct mmpd_caller *who, json_object *req, int in_fd,
		   json_object *reply, int *ret_fd)
{
	struct mmp_disk_usage du;
	int rc = mmp_local_ops.disk_usage(&d->upload, &du);

	if (rc == 0) {
		json_object_object_add(reply, "state_pct", json_object_new_int((int)du.state_pct));
		json_object_object_add(reply, "upload_apart",
				       json_object_new_boolean(du.upload_apart));
		json_object_object_add(reply, "upload_pct", json_object_new_int((int)du.upload_pct));
	}
	return rc;
}

static int op_log(struct mmpd *d, const struct mmpd_caller *who, json_object *req, int in_fd,
		  json_object *reply, int *ret_fd)
{
	const char *msg = req_str(req, "msg");
	json_object *v;
	int level = CV_LOG_INFO;

	if (!msg)
		return -EINVAL;
	if (json_object_object_get_ex(req, "level", &v) && json_object_is_type(v, json_type_int) &&
	    json_object_get_int(v) >= CV_LOG_ERR && json_object_get_int(v) <= CV_LOG_DEBUG)
		level = json_object_get_int(v);
	/* The log store escapes control characters. */
	cv_log(level, "%s", msg);
	return 0;
}

#define ANY MMP_ROLES_ALL
#define FILES (MMP_ROLE_ADMIN | MMP_ROLE_CRYPTO)

static const struct mmpd_op {
	const char *name;
	unsigned roles; /* who may ask at all (file_allowed() narrows it) */
	bool needs_upload_dir;
	int (*fn)(struct mmpd *d, const struct mmpd_caller *who, json_object *req, int in_fd,
		  json_object *reply, int *ret_fd);
} ops[] = {
	{ "open", ANY, true, op_open },
	{ "write", FILES, true, op_write },
	{ "remove", FILES, true, op_remove },
	{ "list", FILES, true, op_list },
	{ "disk", MMP_ROLE_ADMIN, true, op_disk },
	{ "log", 0, false, op_log }, /* 0: anyone, a login check too */
};

json_object *mmpd_ops_call(struct mmpd *d, const struct mmpd_caller *who, const char *op,
			   json_object *req, int in_fd, int *ret_fd)
{
	json_object *reply = json_object_new_object();
	int rc = -ENOSYS;

	*ret_fd = -1;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(ops[i].name, op) != 0)
			continue;
		if (ops[i].roles && !(ops[i].roles & who->role))
			rc = -EACCES;
		else if (ops[i].needs_upload_dir && d->upload.dirfd < 0)
			rc = -ENOENT;
		else
			rc = ops[i].fn(d, who, req, in_fd, reply, ret_fd);
		break;
	}
	if (rc == -EACCES)
		cv_warn("refused operation %s of a command of %s (%s)", op, who->user,
			mmp_role_name(who->role) ? mmp_role_name(who->role) : "?");
	json_object_object_add(reply, "status", json_object_new_int(rc));
	return reply;
}
