// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The system users applier, enabled by mmpd --system-users (the appliance
 * image). Every MMP user except the "api" role gets a Unix account, so that
 * OpenSSH checks the MMP password and starts mmp as the login shell:
 *
 *   passwd  NAME:x:UID:2000:Convene MMP user:<state-dir>/home/NAME:/usr/bin/mmp
 *   shadow  NAME:HASH:::::::   (the MMP hash itself, yescrypt or SHA-512;
 *                               "!" before it while the account is locked)
 *   group   mmp:x:2000:       (every MMP user's primary group)
 *           mmp-files:x:1999:alice,carl   (admin and crypto accounts)
 *           mmp-admin:x:1998:alice        (admin accounts)
 *
 * The document records each account's uid in its user's record ("uid"):
 * mmpd knows a connection's user by it (mmpd_users_by_uid).
 *
 * Accounts of MMP users are the passwd lines with a uid in
 * MMPD_USERS_UID_MIN..MMPD_USERS_UID_MAX; every other line of the three
 * files (root, sshd, nobody of the image) is kept as it is. A user keeps
 * the uid it has in passwd; a new one gets the lowest free uid. An MMP user
 * named like an existing system account (root, sshd...) gets no account.
 * The aging fields of shadow stay empty: expiry and the forced change at
 * first login are MMP rules that mmp enforces (it asks mmpd with "hello"),
 * and an sshd that saw an expired shadow entry would try to run passwd(1).
 *
 * It also prepares the folders the accounts use: <state-dir> becomes 0711
 * (others may pass through, not list), <state-dir>/files (the upload
 * directory, SFTP's start folder) root:mmp-files 02770, and each user's
 * home <state-dir>/home/NAME 0700 (mmp keeps its history there).
 *
 * Who may do what in the upload directory (issue 14; CMS gives SFTP to
 * admin users, and crypto users handle the keys and certificates):
 *   - admin and crypto accounts (group mmp-files) may enter it, upload,
 *     download and replace files; audit and appadmin accounts may not enter
 *     it at all, so they read no private key and replace nothing that a
 *     service or a rollback uses;
 *   - files mmpd writes belong to root with the directory's group: private
 *     keys 0600 (no account downloads a key made on the appliance),
 *     certificates and requests 0640;
 *   - backups (*.bak) are root:mmp-admin 0640: admins download them, crypto
 *     users cannot (a backup holds every password hash); a rollback takes
 *     only a backup written by mmpd or an admin (mmpd_ops.c).
 *
 * The files are rendered from the document and rewritten (atomically) only
 * when they differ from what is on disk, so the applier costs three small
 * reads for commands that do not touch users; taking a change back is
 * rendering the old document.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "services/mmpd/mmpd.h"
#include "services/mmpd/mmpd_users.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/users.h"

#define NUIDS (MMPD_USERS_UID_MAX - MMPD_USERS_UID_MIN + 1)
#define ETC_FILE_MAX (1u << 20)

static bool managed_uid(long uid)
{
	return uid >= MMPD_USERS_UID_MIN && uid <= MMPD_USERS_UID_MAX;
}

void mmpd_users_enable(struct mmpd *d, const char *dir)
{
	free(d->etc_dir);
	d->etc_dir = xstrdup(dir);
}

const char *mmpd_users_by_uid(struct mmpd *d, uid_t uid)
{
	json_object *users;

	/* Without --system-users no account of this machine is an MMP user's:
	 * a uid in the range may belong to anybody. */
	if (!d->etc_dir || !managed_uid((long)uid) || !d->doc ||
	    !json_object_object_get_ex(d->doc, "users", &users) ||
	    !json_object_is_type(users, json_type_object))
		return NULL;
	json_object_object_foreach(users, name, u) {
		json_object *v;

		if (json_object_is_type(u, json_type_object) &&
		    json_object_object_get_ex(u, "uid", &v) && json_object_is_type(v, json_type_int) &&
		    json_object_get_int64(v) == (int64_t)uid)
			return name;
	}
	return NULL;
}

struct lines {
	char **v;
	size_t n;
};

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Reads path as lines (without newlines, empty ones dropped); a missing
 * file is an empty one. */
static int lines_read(const char *path, struct lines *l, char **ret_text)
{
	char *text = NULL, *p;
	size_t len = 0;
	int r = cv_file_read(path, ETC_FILE_MAX, &text, &len);

	l->v = NULL;
	l->n = 0;
	if (r == -ENOENT) {
		*ret_text = xstrdup("");
		return 0;
	}
	if (r < 0)
		return r;
	p = text;
	while (p < text + len) {
		char *nl = memchr(p, '\n', (size_t)(text + len - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(text + len - p);

		if (n > 0) {
			l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
			l->v[l->n++] = xstrndup(p, n);
		}
		p += n + 1;
	}
	*ret_text = text;
	return 0;
}

/* The first field of a colon-separated line, in buf. */
static const char *field0(const char *line, char *buf, size_t size)
{
	const char *c = strchr(line, ':');
	size_t n = c ? (size_t)(c - line) : strlen(line);

	if (n >= size)
		n = size - 1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	return buf;
}

/* The uid (third field) of a passwd line, or -1. */
static long passwd_uid(const char *line)
{
	const char *p = strchr(line, ':');
	char *end;
	long uid;

	if (!p || !(p = strchr(p + 1, ':')))
		return -1;
	errno = 0;
	uid = strtol(p + 1, &end, 10);
	if (errno || end == p + 1 || *end != ':')
		return -1;
	return uid;
}

struct acct {
	const char *name;
	json_object *rec; /* the user's record in the document */
	unsigned role;
	long uid;
	const char *hash;
	bool locked;
};

/* The uid line i of passwd gives to name when it is an account of an MMP
 * user, else -1. */
static long old_uid(const struct lines *pw, const char *name)
{
	char buf[64];

	for (size_t i = 0; i < pw->n; i++) {
		long uid = passwd_uid(pw->v[i]);

		if (managed_uid(uid) && strcmp(field0(pw->v[i], buf, sizeof(buf)), name) == 0)
			return uid;
	}
	return -1;
}

/* True when a line of pw that is not an MMP account is named name. */
static bool system_name(const struct lines *pw, const char *name)
{
	char buf[64];

	for (size_t i = 0; i < pw->n; i++)
		if (!managed_uid(passwd_uid(pw->v[i])) &&
		    strcmp(field0(pw->v[i], buf, sizeof(buf)), name) == 0)
			return true;
	return false;
}

static bool usable_hash(const char *h)
{
	return h && (strncmp(h, "$y$", 3) == 0 || strncmp(h, "$6$", 3) == 0) &&
	       !strpbrk(h, ":\n");
}

/* The accounts the document asks for, with their uids. The names are
 * borrowed from *ret_names, which the caller puts. A uid written in passwd
 * for a user who is gone is free again. */
static size_t wanted_accounts(json_object *doc, const struct lines *pw, struct acct **ret,
			      json_object **ret_names)
{
	json_object *names = mmp_users_names(doc);
	size_t n = json_object_array_length(names), k = 0;
	struct acct *a = xcalloc(n ? n : 1, sizeof(*a));
	bool used[NUIDS] = { false };

	for (size_t i = 0; i < n; i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(names, i));
		json_object *u = mmp_user_get(doc, name), *v;
		unsigned role = 0;

		if (!u || mmp_user_role(doc, name, &role) < 0 || role == MMP_ROLE_API)
			continue;
		if (system_name(pw, name)) {
			cv_warn("MMP user %s has the name of a system account: no login for it",
				name);
			continue;
		}
		a[k].name = name;
		a[k].rec = u;
		a[k].role = role;
		/* The uid the record carries (assigned here earlier), else the
		 * one passwd has (an older document), else a new one below. */
		a[k].uid = json_object_object_get_ex(u, "uid", &v) &&
				   json_object_is_type(v, json_type_int) &&
				   managed_uid((long)json_object_get_int64(v))
			   ? (long)json_object_get_int64(v)
			   : old_uid(pw, name);
		if (a[k].uid >= 0) {
			if (used[a[k].uid - MMPD_USERS_UID_MIN])
				a[k].uid = -1;
			else
				used[a[k].uid - MMPD_USERS_UID_MIN] = true;
		}
		if (json_object_object_get_ex(u, "hash", &v) &&
		    json_object_is_type(v, json_type_string))
			a[k].hash = json_object_get_string(v);
		a[k].locked = json_object_object_get_ex(u, "locked", NULL);
		k++;
	}
	for (size_t i = 0, next = 0; i < k; i++) {
		if (a[i].uid >= 0)
			continue;
		while (next < NUIDS && used[next])
			next++;
		if (next == NUIDS)
			break; /* MMP_USERS_MAX is far below NUIDS */
		used[next] = true;
		a[i].uid = MMPD_USERS_UID_MIN + (long)next;
	}
	/* The document records each account's uid: mmpd knows a connection's
	 * user by it (mmpd_users_by_uid), never by a name that a system
	 * account could share. Users without an account carry none. */
	for (size_t i = 0; i < n; i++) {
		json_object *u = mmp_user_get(doc, json_object_get_string(
							   json_object_array_get_idx(names, i)));

		if (u)
			json_object_object_del(u, "uid");
	}
	for (size_t i = 0; i < k; i++)
		if (a[i].uid >= 0)
			json_object_object_add(a[i].rec, "uid", json_object_new_int64(a[i].uid));
	*ret_names = names;
	*ret = a;
	return k;
}

/* "NAME:x:GID:member,member" with the accounts whose role is in roles. */
static void group_line(struct strbuf *sb, const char *name, int gid, const struct acct *a,
		       size_t n, unsigned roles)
{
	bool first = true;

	sb_printf(sb, "%s:x:%d:", name, gid);
	for (size_t i = 0; i < n; i++) {
		if (a[i].uid < 0 || !(a[i].role & roles))
			continue;
		sb_printf(sb, "%s%s", first ? "" : ",", a[i].name);
		first = false;
	}
	sb_putc(sb, '\n');
}

static bool wanted(const struct acct *a, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i].name, name) == 0 && a[i].uid >= 0)
			return true;
	return false;
}

/* Writes text to dir/name with mode unless the file already holds it. */
static int update_file(const char *etc_dir, const char *name, const char *old, const char *text, mode_t mode,
		       struct strbuf *err)
{
	char *path = xasprintf("%s/%s", etc_dir, name);
	int r = 0;

	if (strcmp(old, text) != 0) {
		r = cv_file_write(path, text, strlen(text), mode);
		if (r == 0 && chmod(path, mode) < 0)
			r = -errno;
		if (r < 0)
			sb_printf(err, "FAILURE: cannot update the system users (%s): %s\n", path,
				  strerror(-r));
	}
	free(path);
	return r;
}

static void set_mode(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return;
	if ((st.st_uid != uid || st.st_gid != gid) && chown(path, uid, gid) < 0)
		cv_warn("cannot chown %s: %s", path, strerror(errno));
	if ((st.st_mode & 07777) != mode && chmod(path, mode) < 0)
		cv_warn("cannot chmod %s: %s", path, strerror(errno));
}

/* The folders the accounts use (see the top of this file). Problems are
 * logged: they cost a login its history or SFTP, not the configuration. */
static void prepare_dirs(struct mmpd *d, const struct lines *oldpw, const struct acct *a,
			 size_t n)
{
	char *homes = xasprintf("%s/home", d->state_dir);
	char buf[64];

	set_mode(d->state_dir, 0, 0, 0711);
	set_mode(d->upload_dir, 0, MMPD_FILES_GID, 02770);
	if (mkdir(homes, 0711) < 0 && errno != EEXIST)
		cv_warn("cannot create %s: %s", homes, strerror(errno));
	set_mode(homes, 0, 0, 0711);
	for (size_t i = 0; i < n; i++) {
		char *home;

		if (a[i].uid < 0)
			continue;
		home = xasprintf("%s/%s", homes, a[i].name);
		if (mkdir(home, 0700) < 0 && errno != EEXIST)
			cv_warn("cannot create %s: %s", home, strerror(errno));
		set_mode(home, (uid_t)a[i].uid, MMPD_USERS_GID, 0700);
		free(home);
	}
	/* Homes of removed users go, so that a later user of the same name
	 * does not inherit a history (best effort: mmp only writes that). */
	for (size_t i = 0; i < oldpw->n; i++) {
		const char *name = field0(oldpw->v[i], buf, sizeof(buf));
		char *home, *hist;

		if (!managed_uid(passwd_uid(oldpw->v[i])) || wanted(a, n, name) ||
		    cv_parse_username(name) < 0)
			continue;
		home = xasprintf("%s/%s", homes, name);
		hist = xasprintf("%s/.mmp_history", home);
		unlink(hist);
		rmdir(home);
		free(hist);
		free(home);
	}
	free(homes);
}

int mmpd_users_apply(struct mmpd *d, json_object *old_doc, json_object *new_doc,
		     struct strbuf *err)
{
	struct lines pw, sh, gr;
	char *pw_text = NULL, *sh_text = NULL, *gr_text = NULL, *path;
	struct strbuf npw = STRBUF_INIT, nsh = STRBUF_INIT, ngr = STRBUF_INIT;
	struct acct *a = NULL;
	json_object *names = NULL;
	size_t n;
	char buf[64];
	int r;

	(void)old_doc; /* the files on disk are the "old" state */
	if (!d->etc_dir)
		return 0;
	path = xasprintf("%s/passwd", d->etc_dir);
	r = lines_read(path, &pw, &pw_text);
	free(path);
	if (r == 0) {
		path = xasprintf("%s/shadow", d->etc_dir);
		r = lines_read(path, &sh, &sh_text);
		free(path);
		if (r < 0)
			lines_free(&pw);
	}
	if (r == 0) {
		path = xasprintf("%s/group", d->etc_dir);
		r = lines_read(path, &gr, &gr_text);
		free(path);
		if (r < 0) {
			lines_free(&pw);
			lines_free(&sh);
		}
	}
	if (r < 0) {
		sb_printf(err, "FAILURE: cannot read the system users in %s: %s\n", d->etc_dir,
			  strerror(-r));
		free(pw_text);
		free(sh_text);
		return r;
	}

	n = wanted_accounts(new_doc, &pw, &a, &names);
	for (size_t i = 0; i < pw.n; i++)
		if (!managed_uid(passwd_uid(pw.v[i])))
			sb_printf(&npw, "%s\n", pw.v[i]);
	for (size_t i = 0; i < n; i++)
		if (a[i].uid >= 0)
			sb_printf(&npw, "%s:x:%ld:%d:Convene MMP user:%s/home/%s:%s\n", a[i].name,
				  a[i].uid, MMPD_USERS_GID, d->state_dir, a[i].name,
				  MMPD_USERS_SHELL);
	/* shadow: drop the entries of MMP accounts, old and new. */
	for (size_t i = 0; i < sh.n; i++) {
		const char *name = field0(sh.v[i], buf, sizeof(buf));

		if (wanted(a, n, name) || old_uid(&pw, name) >= 0)
			continue;
		sb_printf(&nsh, "%s\n", sh.v[i]);
	}
	for (size_t i = 0; i < n; i++) {
		if (a[i].uid < 0)
			continue;
		if (usable_hash(a[i].hash))
			sb_printf(&nsh, "%s:%s%s:::::::\n", a[i].name, a[i].locked ? "!" : "",
				  a[i].hash);
		else
			sb_printf(&nsh, "%s:!:::::::\n", a[i].name);
	}
	for (size_t i = 0; i < gr.n; i++) {
		field0(gr.v[i], buf, sizeof(buf));
		if (strcmp(buf, MMPD_USERS_GROUP) != 0 && strcmp(buf, MMPD_FILES_GROUP) != 0 &&
		    strcmp(buf, MMPD_ADMIN_GROUP) != 0)
			sb_printf(&ngr, "%s\n", gr.v[i]);
	}
	sb_printf(&ngr, "%s:x:%d:\n", MMPD_USERS_GROUP, MMPD_USERS_GID);
	group_line(&ngr, MMPD_FILES_GROUP, MMPD_FILES_GID, a, n,
		   MMP_ROLE_ADMIN | MMP_ROLE_CRYPTO);
	group_line(&ngr, MMPD_ADMIN_GROUP, MMPD_ADMIN_GID, a, n, MMP_ROLE_ADMIN);

	/* group first: passwd names it; shadow before passwd, so that a new
	 * account never exists without its password entry. */
	r = update_file(d->etc_dir, "group", gr_text, sb_str(&ngr), 0644, err);
	if (r == 0)
		r = update_file(d->etc_dir, "shadow", sh_text, sb_str(&nsh), 0600, err);
	if (r == 0)
		r = update_file(d->etc_dir, "passwd", pw_text, sb_str(&npw), 0644, err);
	if (r == 0)
		prepare_dirs(d, &pw, a, n);

	free(a);
	json_object_put(names);
	sb_free(&npw);
	sb_free(&nsh);
	sb_free(&ngr);
	lines_free(&pw);
	lines_free(&sh);
	lines_free(&gr);
	free(pw_text);
	free(sh_text);
	free(gr_text);
	return r;
}
