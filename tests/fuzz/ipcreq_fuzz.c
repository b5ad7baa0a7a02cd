// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for what clients and workers send mmpd, past the
 * framing (ipc_fuzz.c covers that): the checks of services/mmpd/
 * mmpd_check.c and the privileged operations of mmpd_ops.c, called the way
 * mmpd_ipc.c and mmpd_job.c call them, with a fixed committed document.
 *
 * An input is four bytes of choices and then one JSON object (the frame's
 * body):
 *
 *   byte 0  what: 0 a client's request, 1 a worker's result of a command,
 *           2 a worker's result of a login or account check, 3 a worker's
 *           operation
 *   byte 1  the caller's role bits (results and operations)
 *   byte 2  who: for a request the connection's uid (0, the uid of one of
 *           the users below, a uid in their range nobody has, 65534, 1);
 *           otherwise the MMP user the command or the check is of
 *   byte 3  bit 0: an operation comes with a sealed memfd (a "write");
 *           bit 1: a request's connection is of process 1, else of 4242
 *           (the default pid of a session_open)
 *
 * Each call is checked against the rules of services/mmpd/README.md,
 * written again here rather than calling the code under test: a request
 * names one of the nine ops; a caller is who its uid or root's "user"
 * says, with the role of the record; the ops of the login paths (login,
 * account, session_open, session_close) are root's only and act for no
 * MMP user; "from" is "console" or an address, bare or with a port, and
 * anything else is refused; a session_open names a user with a record, a
 * short terminal name of plain characters and a pid from 2 up; a command
 * runs only for a role it has and, for a user whose password must change,
 * only when it is passwd; a non-admin's document, and a login or account
 * check's, differs from the committed one in nothing but that user's
 * password and login records; reboot, shutdown and an eviction (of a
 * valid user name) only for admins, the log stream for admins and audit
 * users, at most eight actions on known services; an operation on an
 * upload file only for a role the table of mmpd_ops.c allows, a
 * descriptor only for a successful open, read-only. A breach aborts.
 * The operations work on a real temporary upload directory (a key, a
 * backup, the dictionary, a link, a FIFO, a directory), put back after
 * every write or remove.
 *
 * Seeds: tests/fuzz/ipcreq_seeds.py writes tests/fuzz/corpus/ipcreq/.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/file.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/mmpd.h"
#include "services/mmpd/users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The clock of the checks: the records below changed their passwords a
 * day before, so only a must_change flag holds anyone. */
#define FUZZ_NOW 1718452800

/* The users of the committed document (tests/fuzz/ipcreq_seeds.py has the
 * same table: keep them in step). uid 0: no system account. */
static const struct fuzz_user {
	const char *name;
	const char *role;
	unsigned bit;
	unsigned uid;
	bool must_change;
} fuzz_users[] = {
	{ "admin", "admin", MMP_ROLE_ADMIN, 0, false },
	{ "alice", "admin", MMP_ROLE_ADMIN, 2001, false },
	{ "carl", "crypto", MMP_ROLE_CRYPTO, 2002, false },
	{ "aude", "audit", MMP_ROLE_AUDIT, 2003, true },
	{ "appy", "appadmin", MMP_ROLE_APPADMIN, 2004, false },
	{ "apiu", "api", MMP_ROLE_API, 0, false },
	{ "mallory", NULL, 0, 0, false }, /* no record */
};
#define NUSERS (sizeof(fuzz_users) / sizeof(fuzz_users[0]))

/* The requests (README.md, IPC), and those of the login paths. */
static const char *const requests[] = { "hello", "run", "complete", "help", "unfollow",
					"login", "account", "session_open", "session_close",
					"service_login" };
#define NLOGIN_PATH 5 /* the last five */
#define NREQUESTS (sizeof(requests) / sizeof(requests[0]))

/* What a non-admin may change of its own record (README.md, Process model). */
static const char *const own_fields[] = { "hash",	   "history",	  "pw_changed",
					  "must_change",   "last_login",  "last_login_from",
					  "failed_logins", "locked",	  "unlocked" };

static struct mmpd d = { .upload = { .dirfd = -1 } };
static json_object *committed;
static char tmpdir[64];
static int memfd = -1;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "ipcreq_fuzz: %s:%d: %s\n", __FILE__, __LINE__, #cond);    \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* --- the fixed world ------------------------------------------------------------------- */

static void discard_log(int level, const char *msg, void *opaque)
{
}

static void put_file(const char *name, const char *text)
{
	char *p = xasprintf("%s/files/%s", tmpdir, name);

	cv_file_write(p, text, strlen(text), 0640);
	free(p);
}

/* The upload directory as every input finds it. */
static void fixtures(void)
{
	char *p;

	put_file(MMP_DICTIONARY_FILE, "password\n123456\n");
	put_file("a.key", "-----BEGIN PRIVATE KEY-----\n");
	put_file("b.bak", "{}");
	p = xasprintf("%s/files/c.crt", tmpdir);
	symlink("/etc/hostname", p);
	free(p);
	p = xasprintf("%s/files/d.crt", tmpdir);
	mkfifo(p, 0600);
	free(p);
	p = xasprintf("%s/files/e.crt", tmpdir);
	mkdir(p, 0700);
	free(p);
}

/* Empties the upload directory (of this program's temporary folder). */
static void clear_files(void)
{
	/* Not a dup(): that would share the offset of the last listing. */
	int fd = openat(d.upload.dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(d.upload.dirfd, de->d_name, 0) < 0)
			unlinkat(d.upload.dirfd, de->d_name, AT_REMOVEDIR);
	}
	closedir(dir);
}

/* Puts the upload directory back after a write or a remove: a write may
 * have replaced the link or made a new file. */
static void fixtures_restore(void)
{
	clear_files();
	fixtures();
}

static void cleanup(void)
{
	if (d.upload.dirfd < 0)
		return;
	clear_files();
	mmp_local_close(&d.upload);
	rmdir(d.upload_dir);
	rmdir(tmpdir);
}

static json_object *committed_doc(void)
{
	json_object *doc = json_object_new_object(), *users = json_object_new_object();

	json_object_object_add(doc, "schema", json_object_new_int(1));
	json_object_object_add(doc, "hostname", json_object_new_string("cms1"));
	json_object_object_add(doc, "turn", json_tokener_parse("{\"listen\":[\"a\"],\"enabled\":true}"));
	json_object_object_add(doc, "syslog", json_tokener_parse("{\"servers\":[\"192.0.2.7:514\"]}"));
	for (size_t i = 0; i < NUSERS; i++) {
		const struct fuzz_user *u = &fuzz_users[i];
		json_object *r;

		if (!u->role)
			continue;
		r = json_object_new_object();
		json_object_object_add(r, "role", json_object_new_string(u->role));
		json_object_object_add(r, "hash", json_object_new_string("$y$j9T$fuzz$fuzz"));
		json_object_object_add(r, "created", json_object_new_int64(FUZZ_NOW - 86400));
		json_object_object_add(r, "pw_changed", json_object_new_int64(FUZZ_NOW - 86400));
		json_object_object_add(r, "must_change", json_object_new_boolean(u->must_change));
		json_object_object_add(r, "failed_logins", json_object_new_int(0));
		if (u->uid)
			json_object_object_add(r, "uid", json_object_new_int64(u->uid));
		json_object_object_add(users, u->name, r);
	}
	json_object_object_add(doc, "users", users);
	return doc;
}

static void world_init(void)
{
	static const char content[] = "written by ipcreq_fuzz\n";
	const char *t = getenv("TMPDIR");
	char *files;

	if (committed)
		return;
	cv_log_set_sink(discard_log, NULL);
	mmp_engine_init(mmp_areas, mmp_nareas);
	committed = committed_doc();
	snprintf(tmpdir, sizeof(tmpdir), "%s/ipcreq-XXXXXX", t && strlen(t) < 40 ? t : "/tmp");
	CHECK(mkdtemp(tmpdir));
	files = xasprintf("%s/files", tmpdir);
	CHECK(mkdir(files, 0750) == 0);
	d.doc = committed;
	d.state_dir = tmpdir;
	d.upload_dir = files;
	/* mmpd_users_by_uid maps uids only with --system-users; the folder
	 * is never opened by the checks. */
	d.etc_dir = "/nonexistent";
	CHECK(mmp_local_open(&d.upload, files, tmpdir) == 0);
	atexit(cleanup);
	fixtures();
	memfd = memfd_create("ipcreq", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	CHECK(memfd >= 0 && write(memfd, content, sizeof(content) - 1) > 0);
	CHECK(fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) == 0);
}

/* --- the rules, written again ------------------------------------------------------------ */

static const struct fuzz_user *user_named(const char *name)
{
	for (size_t i = 0; i < NUSERS; i++)
		if (fuzz_users[i].role && strcmp(fuzz_users[i].name, name) == 0)
			return &fuzz_users[i];
	return NULL;
}

static bool is_own_field(const char *key)
{
	for (size_t i = 0; i < sizeof(own_fields) / sizeof(own_fields[0]); i++)
		if (strcmp(key, own_fields[i]) == 0)
			return true;
	return false;
}

/* a[key] and b[key] are equal, or both missing, for every key of a and b
 * but those skip() names. */
static bool same_keys_but(json_object *a, json_object *b, bool (*skip)(const char *, void *),
			  void *opaque)
{
	json_object *objs[2] = { a, b };

	for (int k = 0; k < 2; k++) {
		json_object_object_foreach(objs[k], key, v) {
			json_object *other;

			(void)v;
			if (skip && skip(key, opaque))
				continue;
			if (!json_object_object_get_ex(objs[1 - k], key, &other) ||
			    !json_object_equal(v, other))
				return false;
		}
	}
	return true;
}

static bool skip_own(const char *key, void *opaque)
{
	return is_own_field(key);
}

static bool skip_user(const char *key, void *opaque)
{
	return strcmp(key, opaque) == 0;
}

static bool skip_users(const char *key, void *opaque)
{
	return strcmp(key, "users") == 0;
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* doc differs from the committed document in user's own records at most. */
static bool only_own_changes(json_object *doc, const char *user)
{
	json_object *cu = member(committed, "users"), *du = member(doc, "users"), *a, *b;

	if (!json_object_is_type(doc, json_type_object) ||
	    !same_keys_but(committed, doc, skip_users, NULL))
		return false;
	if (!json_object_is_type(du, json_type_object))
		return false; /* the committed users are an object */
	if (!same_keys_but(cu, du, skip_user, (void *)user))
		return false;
	a = member(cu, user);
	b = member(du, user);
	if (json_object_is_type(a, json_type_object) && json_object_is_type(b, json_type_object))
		return same_keys_but(a, b, skip_own, NULL);
	if (json_object_is_type(a, json_type_object))
		return false; /* a record the user had is gone or no longer a record */
	/* No record before (mallory): none after, or the same non-record. */
	return json_object_equal(a, b);
}

static bool valid_upload_name(const char *name)
{
	return name && cv_parse_filename(name) == 0 && name[0] != '.';
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v = member(o, key);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/* A user name: 1 to 32 of [a-z0-9_.-], starting with [a-z_]. */
static bool valid_user_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= 32 && strchr("abcdefghijklmnopqrstuvwxyz_", s[0]) &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* A port: 1 to 65535 in decimal, without a leading zero. */
static bool valid_port(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 5 && s[0] != '0' && strspn(s, "0123456789") == n &&
	       atol(s) <= 65535;
}

/* len bytes of s are an address of family; an IPv6 address may end in a
 * zone ("%eth0": 1 to 15 of [A-Za-z0-9_.-]). */
static bool valid_address(int family, const char *s, size_t len)
{
	char buf[128], *zone;
	unsigned char a[16];

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	zone = family == AF_INET6 ? strchr(buf, '%') : NULL;
	if (zone) {
		size_t z = strlen(zone + 1);

		if (z < 1 || z > 15 || strspn(zone + 1, ALNUM "_.-") != z)
			return false;
		*zone = '\0';
	}
	return inet_pton(family, buf, a) == 1;
}

/* An origin: an IPv4 or IPv6 address, bare or with a port ("<IPv4>:<port>",
 * "[<IPv6>]:<port>"). Not "console", not a host name. */
static bool valid_origin(const char *s)
{
	size_t n = strlen(s);
	const char *colon = strrchr(s, ':');

	if (valid_address(AF_INET, s, n) || valid_address(AF_INET6, s, n))
		return true;
	if (s[0] == '[')
		return colon && colon > s + 1 && colon[-1] == ']' && valid_port(colon + 1) &&
		       valid_address(AF_INET6, s + 1, (size_t)(colon - 1 - (s + 1)));
	return colon && valid_port(colon + 1) && valid_address(AF_INET, s, (size_t)(colon - s));
}

static bool is_login_path(const char *op)
{
	for (size_t i = NREQUESTS - NLOGIN_PATH; op && i < NREQUESTS; i++)
		if (strcmp(op, requests[i]) == 0)
			return true;
	return false;
}

static bool is_request(const char *op)
{
	for (size_t i = 0; op && i < NREQUESTS; i++)
		if (strcmp(op, requests[i]) == 0)
			return true;
	return false;
}

/* --- the four kinds of input ----------------------------------------------------------------- */

static uid_t uid_choice(uint8_t b)
{
	static const uid_t uids[] = { 0, 2001, 2002, 2003, 2004, 2005, 65534, 1 };

	return uids[b % (sizeof(uids) / sizeof(uids[0]))];
}

/* "from": none is the console; a string that is "console" or an origin
 * and fits is itself; anything else is refused, and "console" to the
 * audit line. Returns what a request of the login paths gets (NULL:
 * refused). */
static const char *request_from(json_object *req, char *from, size_t size)
{
	json_object *v = member(req, "from");
	const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
	bool ok = !v || (strlen(s) < MMPD_FROM_MAX && (!strcmp(s, "console") || valid_origin(s)));
	int rc = mmpd_request_from(req, from, size);

	CHECK(strlen(from) < size);
	CHECK((rc == 0) == ok);
	CHECK(rc == 0 || rc == -EINVAL);
	CHECK(strcmp(from, ok && v ? s : "console") == 0);
	return ok ? from : NULL;
}

/* A session_open: a user with a record, an origin, a terminal name ("" by
 * default) of at most 32 plain characters, a pid from 2 to INT32_MAX (the
 * connection's by default). */
static void session_open(json_object *req, const char *from, pid_t peer)
{
	const char *user = str_of(req, "user"), *tty = "";
	json_object *t = member(req, "tty"), *p = member(req, "pid");
	int64_t pid = peer;
	enum mmpd_session_check want, got;
	struct mmpd_session_req r = { .user = "unset", .tty = "unset", .pid = -7 };

	if (t)
		tty = str_of(req, "tty");
	if (p)
		pid = json_object_is_type(p, json_type_int) ? json_object_get_int64(p) : -1;
	if (!valid_user_name(user) || !user_named(user))
		want = MMPD_SESSION_NO_USER;
	else if (!from)
		want = MMPD_SESSION_BAD_FROM;
	else if (!tty || strlen(tty) > 32 || strspn(tty, ALNUM "/._:-") != strlen(tty))
		want = MMPD_SESSION_BAD_TTY;
	else if (pid < 2 || pid > INT32_MAX)
		want = MMPD_SESSION_BAD_PID;
	else
		want = MMPD_SESSION_OK;
	got = mmpd_session_open_check(committed, req, from, peer, &r);
	CHECK(got == want);
	if (got == MMPD_SESSION_OK)
		CHECK(strcmp(r.user, user) == 0 && strcmp(r.tty, tty) == 0 && r.pid == pid);
	else
		CHECK(strcmp(r.user, "unset") == 0 && r.pid == -7);
}

/* The request's op: the login paths' are root's, for no MMP user; the
 * others' caller is the one mmpd_caller_of gave (rc, who). */
static void request_op(json_object *req, uid_t uid, int rc, const struct mmpd_caller *who)
{
	const char *name = str_of(req, "op");
	struct mmpd_caller got;
	enum mmpd_req op;
	int r;

	if (mmpd_req_of(req, &op) < 0) {
		CHECK(!is_request(name));
		return;
	}
	CHECK(is_request(name) && mmpd_req_login_path(op) == is_login_path(name));
	memset(&got, 0xa5, sizeof(got));
	r = mmpd_req_caller(&d, op, uid, req, &got);
	if (is_login_path(name)) {
		CHECK(uid == 0 ? r == 0 : r == -EPERM);
		if (r == 0)
			CHECK(strcmp(got.user, "login") == 0 && got.role == 0 && got.uid == 0);
	} else {
		CHECK(r == rc);
		if (r == 0)
			CHECK(strcmp(got.user, who->user) == 0 && got.role == who->role &&
			      got.uid == who->uid);
	}
}

static void client_request(json_object *req, uid_t uid, pid_t peer)
{
	struct mmpd_caller who;
	char from[MMPD_FROM_MAX];
	const char *input[MMPD_INPUT_MAX], *line = str_of(req, "line");
	const char *login_from;
	const struct fuzz_user *u = NULL;
	struct strbuf err = STRBUF_INIT;
	struct mmp_match m;
	size_t ninput = 99;
	int rc;

	login_from = request_from(req, from, sizeof(from));
	session_open(req, login_from, peer);
	CHECK(mmpd_login_user(req) == (valid_user_name(str_of(req, "user")) ? str_of(req, "user")
									      : NULL));

	rc = mmpd_read_input(req, input, MMPD_INPUT_MAX, &ninput);
	CHECK(rc == 0 || rc == 1 || rc == -EINVAL);
	CHECK(rc == 1 ? ninput <= MMPD_INPUT_MAX : ninput == 0);
	for (size_t i = 0; rc == 1 && i < ninput; i++)
		CHECK(strlen(input[i]) <= MMPD_ANSWER_MAX);

	rc = mmpd_caller_of(&d, uid, req, &who);
	if (uid == 0) {
		const char *name = str_of(req, "user") ? str_of(req, "user") : "admin";

		u = user_named(name);
		if (rc == 0 && !u)
			CHECK(strcmp(name, "admin") == 0 && who.role == MMP_ROLE_ADMIN);
		if (rc == 0)
			CHECK(strcmp(who.user, name) == 0);
		if (u)
			CHECK(rc == 0);
	} else {
		for (size_t i = 0; i < NUSERS; i++)
			if (fuzz_users[i].uid == uid)
				u = &fuzz_users[i];
		CHECK((rc == 0) == (u != NULL));
		if (u)
			CHECK(strcmp(who.user, u->name) == 0);
	}
	if (rc == 0) {
		CHECK(who.uid == uid);
		if (u)
			CHECK(who.role == u->bit);
	}

	request_op(req, uid, rc, &who);
	if (rc < 0)
		return;

	if (!line || mmp_match_line(line, &m, &err) < 0) {
		sb_free(&err);
		return;
	}
	switch (mmpd_run_admit(committed, &who, m.cmd, req, FUZZ_NOW)) {
	case MMPD_ADMIT_RUN:
		rc = mmpd_read_input(req, input, MMPD_INPUT_MAX, &ninput);
		CHECK(rc >= 0);
		for (size_t n = 0; m.cmd->prompts && m.cmd->prompts[n].text; n++)
			CHECK(rc == 1 && n < ninput);
		/* fall through */
	case MMPD_ADMIT_PROMPTS:
	case MMPD_ADMIT_BAD_ANSWERS:
		CHECK(m.cmd->roles & who.role);
		CHECK(uid == 0 || !u || !u->must_change || strcmp(m.cmd->syntax, "passwd") == 0);
		break;
	case MMPD_ADMIT_MUST_CHANGE:
		CHECK(uid != 0 && u && u->must_change);
		break;
	case MMPD_ADMIT_DENIED:
		CHECK(!(m.cmd->roles & who.role));
		break;
	default:
		CHECK(0);
	}
	mmp_match_free(&m);
	sb_free(&err);
}

static void command_result(json_object *res, const struct mmpd_caller *who)
{
	struct mmpd_result v;
	json_object *status = member(res, "status");

	mmpd_result_check(committed, who, res, &v);
	if (!json_object_is_type(status, json_type_int) || json_object_get_int(status) != 0)
		CHECK(v.failed);
	if (v.refused)
		CHECK(v.failed && !v.doc);
	if (v.doc) {
		CHECK(!v.failed && json_object_is_type(v.doc, json_type_object));
		CHECK(v.doc == member(res, "doc"));
		if (!(who->role & MMP_ROLE_ADMIN))
			CHECK(only_own_changes(v.doc, who->user));
	}
	CHECK(v.nactions <= MMPD_ACTIONS_MAX);
	for (size_t i = 0; i < v.nactions; i++) {
		bool known = false;

		for (size_t k = 0; mmp_service_names[k]; k++)
			known = known || v.actions[i].svc == mmp_service_names[k];
		CHECK(known);
		CHECK(v.actions[i].op == MMP_SVC_START || v.actions[i].op == MMP_SVC_STOP ||
		      v.actions[i].op == MMP_SVC_RESTART);
	}
	if (v.system_action)
		CHECK((who->role & MMP_ROLE_ADMIN) && (strcmp(v.system_action, "reboot") == 0 ||
						       strcmp(v.system_action, "shutdown") == 0));
	if (v.follow)
		CHECK(who->role & (MMP_ROLE_ADMIN | MMP_ROLE_AUDIT));
	/* user evict: an admin's, of a user name (any: evicting a user that
	 * has no record ends nothing). */
	if (v.evict)
		CHECK(v.evict == str_of(res, "evict") && valid_user_name(v.evict) &&
		      (who->role & MMP_ROLE_ADMIN));
	else
		CHECK(!(who->role & MMP_ROLE_ADMIN) || !valid_user_name(str_of(res, "evict")));
}

/* A login check's result, or an account check's: the same rules. */
static void login_result(json_object *res, const char *login_user)
{
	json_object *doc = (json_object *)1, *rcv = member(res, "rc");
	int want = json_object_is_type(rcv, json_type_int) ? json_object_get_int(rcv) : -EIO;
	int rc = 1;
	bool ok = mmpd_login_result_check(committed, login_user, res, &rc, &doc);

	if (!ok)
		CHECK(rc == -EIO && !doc);
	else
		CHECK(rc == want);
	if (doc)
		CHECK(ok && only_own_changes(doc, login_user) && doc == member(res, "doc"));
}

/* May role touch the upload file name (mmpd_ops.c's table and policy)? */
static bool file_op_allowed(const char *op, unsigned role, const char *name)
{
	bool backup = has_suffix(name, ".bak");

	if (role & MMP_ROLE_ADMIN)
		return true;
	if (strcmp(op, "open") == 0)
		return !backup && ((role & MMP_ROLE_CRYPTO) ||
				   (role && strcmp(name, MMP_DICTIONARY_FILE) == 0));
	return !backup && (role & MMP_ROLE_CRYPTO);
}

static void operation(json_object *req, const struct mmpd_caller *who, int in_fd)
{
	const char *op = str_of(req, "op") ? str_of(req, "op") : "";
	const char *name = str_of(req, "name");
	json_object *reply, *status;
	int fd = -2, rc;

	reply = mmpd_ops_call(&d, who, op, req, in_fd, &fd);
	status = member(reply, "status");
	CHECK(json_object_is_type(status, json_type_int));
	rc = json_object_get_int(status);
	CHECK(rc <= 0);
	if (fd != -1) {
		int fl = fcntl(fd, F_GETFL);
		struct stat st;

		CHECK(fd >= 0 && rc == 0 && strcmp(op, "open") == 0);
		CHECK(fl >= 0 && (fl & O_ACCMODE) == O_RDONLY);
		CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode));
		close(fd);
	}
	if (rc == 0) {
		if (!strcmp(op, "open") || !strcmp(op, "write") || !strcmp(op, "remove")) {
			CHECK(valid_upload_name(name));
			CHECK(file_op_allowed(op, who->role, name));
		} else if (!strcmp(op, "list")) {
			json_object *files = member(reply, "files");

			CHECK(who->role & (MMP_ROLE_ADMIN | MMP_ROLE_CRYPTO));
			for (size_t i = 0; i < json_object_array_length(files); i++) {
				const char *f = str_of(json_object_array_get_idx(files, i), "name");

				/* Regular files only: not the link, the FIFO or the
				 * directory. */
				CHECK(valid_upload_name(f) && strcmp(f, "c.crt") && strcmp(f, "d.crt") &&
				      strcmp(f, "e.crt"));
			}
		} else if (!strcmp(op, "disk")) {
			CHECK(who->role & MMP_ROLE_ADMIN);
		} else {
			CHECK(!strcmp(op, "log"));
		}
	}
	if (rc == 0 && !strcmp(op, "write")) {
		json_object *mode = member(req, "mode");
		struct stat st;

		CHECK(fstatat(d.upload.dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0);
		CHECK(S_ISREG(st.st_mode) && (int)(st.st_mode & 07777) == json_object_get_int(mode));
	}
	if (rc == 0 && (!strcmp(op, "write") || !strcmp(op, "remove")))
		fixtures_restore();
	json_object_put(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok;
	struct mmpd_caller who;
	const struct fuzz_user *u;
	json_object *obj;

	if (size < 4)
		return 0;
	world_init();
	tok = json_tokener_new();
	obj = json_tokener_parse_ex(tok, (const char *)data + 4, (int)(size - 4));
	/* What cv_ipc_rx_next() lets through: one whole object. */
	if (!obj || json_tokener_get_parse_end(tok) != size - 4 ||
	    !json_object_is_type(obj, json_type_object))
		goto out;
	u = &fuzz_users[data[2] % NUSERS];
	memset(&who, 0, sizeof(who));
	snprintf(who.user, sizeof(who.user), "%s", u->name);
	who.role = data[1] & MMP_ROLES_ALL;
	who.uid = u->uid;
	switch (data[0] % 4) {
	case 0:
		client_request(obj, uid_choice(data[2]), data[3] & 2 ? 1 : 4242);
		break;
	case 1:
		command_result(obj, &who);
		break;
	case 2:
		login_result(obj, u->name);
		break;
	case 3:
		operation(obj, &who, data[3] & 1 ? memfd : -1);
		break;
	}
out:
	json_object_put(obj);
	json_tokener_free(tok);
	return 0;
}
