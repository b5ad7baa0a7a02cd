// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * System commands (spec/mmp.md sections 3.1, 10 and 12): syslog, the
 * database cluster status, version, health_check, backup, factory_reset,
 * reboot, shutdown and help.
 *
 * Remote syslog servers are stored here; forwarding to them is mmpd's log
 * store's job. "syslog follow" only marks the command as streaming
 * (ctx->follow) and mmpd then streams the log to the shell until Ctrl-C.
 * Reboot and shutdown are asked for in ctx->system_action, which mmpd
 * carries out after the reply (and after committing the config).
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/base64.h"
#include "lib/clock.h"
#include "lib/conf.h"
#include "lib/file.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "services/mmpd/backup.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/cmd_services.h"
#include "services/mmpd/screen.h"
#include "services/mmpd/upload.h"

#define MAX_SYSLOG 8
#define SYSLOG_PORT 514
#define BACKUP_NAME_MAX 64
#define DISK_WARN_PCT 90

/* --- syslog (spec/mmp.md 3.1) ------------------------------------------- */

static json_object *syslog_servers(json_object *doc, bool create)
{
	json_object *a = cv_conf_get(doc, "syslog.servers");

	if (a && json_object_is_type(a, json_type_array))
		return a;
	if (!create)
		return NULL;
	a = json_object_new_array();
	cv_conf_set(doc, "syslog.servers", a);
	return a;
}

/* Index of the stored "host:port" entry whose host is host, or -1. */
static int syslog_find(json_object *a, const char *host)
{
	size_t len = a ? json_object_array_length(a) : 0;

	for (size_t i = 0; i < len; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(a, i));
		const char *colon = strrchr(s, ':');
		size_t n = colon ? (size_t)(colon - s) : strlen(s);

		if (strlen(host) == n && strncasecmp(s, host, n) == 0)
			return (int)i;
	}
	return -1;
}

static int cmd_syslog_show(struct mmp_ctx *ctx)
{
	json_object *a = syslog_servers(ctx->doc, false);
	size_t n = a ? json_object_array_length(a) : 0;
	struct strbuf sb = STRBUF_INIT;

	/* Decision (no CMS screen is known): the colon at column 16 and the
	 * servers space-separated, like the services' listen lists. */
	for (size_t i = 0; i < n; i++)
		sb_printf(&sb, "%s%s", i ? " " : "",
			  json_object_get_string(json_object_array_get_idx(a, i)));
	mmp_screen_kv(&ctx->out, 16, "Enabled",
		      cv_conf_get_bool(ctx->doc, "syslog.enabled", false) ? "true" : "false");
	mmp_screen_kv(&ctx->out, 16, "Servers", n ? sb_str(&sb) : "none");
	sb_free(&sb);
	return 0;
}

static int cmd_syslog_add(struct mmp_ctx *ctx)
{
	const char *arg = mmp_arg(ctx, "host[:port]");
	const char *colon = strrchr(arg, ':');
	char host[CV_HOSTNAME_MAX + 1];
	uint16_t port = SYSLOG_PORT;
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
	json_object *a;
	char *entry;

	if (n == 0 || n > CV_HOSTNAME_MAX)
		return mmp_fail(ctx, "Invalid host \"%.*s\"", (int)(n > 80 ? 80 : n), arg);
	memcpy(host, arg, n);
	host[n] = '\0';
	if (cv_parse_host(host) < 0)
		return mmp_fail(ctx, "Invalid host \"%s\"", host);
	if (colon && cv_parse_port(colon + 1, &port) < 0)
		return mmp_fail(ctx, "Invalid port \"%s\"", colon + 1);
	a = syslog_servers(ctx->doc, true);
	if (syslog_find(a, host) >= 0)
		return mmp_fail(ctx, "Syslog server %s is already configured", host);
	if (json_object_array_length(a) >= MAX_SYSLOG)
		return mmp_fail(ctx, "Too many syslog servers (at most %d)", MAX_SYSLOG);
	/* Stored as "host:port" with the default port made explicit. */
	entry = xasprintf("%s:%u", host, port);
	json_object_array_add(a, json_object_new_string(entry));
	free(entry);
	ctx->changed = true;
	return 0;
}

static int cmd_syslog_del(struct mmp_ctx *ctx)
{
	const char *host = mmp_arg(ctx, "host");
	json_object *a = syslog_servers(ctx->doc, false);
	int idx = syslog_find(a, host);

	if (idx < 0)
		return mmp_fail(ctx, "Syslog server %s is not configured", host);
	json_object_array_del_idx(a, (size_t)idx, 1);
	ctx->changed = true;
	return 0;
}

static int cmd_syslog_enable(struct mmp_ctx *ctx)
{
	/* Enabling with no server is allowed: forwarding starts with the
	 * first "syslog server add". */
	cv_conf_set_bool(ctx->doc, "syslog.enabled", mmp_has(ctx, "enable"));
	ctx->changed = true;
	return 0;
}

static int cmd_syslog_follow(struct mmp_ctx *ctx)
{
	ctx->follow = true;
	return 0;
}

/* --- database cluster (spec/mmp.md 10) ------------------------------------ */

static int cmd_db_status(struct mmp_ctx *ctx)
{
	static const struct {
		const char *label, *key;
	} certs[] = {
		{ "  Server Key", "database.certs.server_key" },
		{ "  Server Certificate", "database.certs.server_crt" },
		{ "  Client Key", "database.certs.client_key" },
		{ "  Client Certificate", "database.certs.client_crt" },
		{ "  CA Certificate", "database.certs.ca_crt" },
	};
	struct strbuf *o = &ctx->out;

	/*
	 * Clustering is a later issue: this node is never in a cluster, so
	 * the screen is the "no cluster" form (spec/mmp.md 10, our extra
	 * state): Status Disabled, no Nodes block, unset values "none", and
	 * "Last command : none" since no cluster command has run. The keys
	 * read here (database.interface, database.certs.*) are the ones the
	 * "database cluster localnode/certs" commands will write.
	 */
	mmp_screen_kv(o, 25, "Status", "Disabled");
	sb_putc(o, '\n');
	mmp_screen_kv(o, 25, "Interface", cv_conf_get_str(ctx->doc, "database.interface", "none"));
	sb_putc(o, '\n');
	sb_puts(o, "Certificates\n");
	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
		mmp_screen_kv(o, 25, certs[i].label,
			      cv_conf_get_str(ctx->doc, certs[i].key, "none"));
	sb_putc(o, '\n');
	mmp_screen_kv(o, 25, "Last command", "none");
	return 0;
}

/* --- version, health_check -------------------------------------------------- */

static int cmd_version(struct mmp_ctx *ctx)
{
	mmp_printf(ctx, "%s\n", CONVENE_VERSION);
	return 0;
}

/*
 * spec/mmp.md 12 (proposed): the enable-time checks of every enabled
 * service, its runtime state, and the disk use of the state directory.
 * NTP synchronisation and the database cluster are not checked: there is no
 * NTP client or cluster yet, and a line claiming them would be a guess.
 */
static int cmd_health_check(struct mmp_ctx *ctx)
{
	const struct mmp_env *env = ctx->env;
	bool failed = false;
	struct mmp_disk_usage du;
	int r;

	for (const char *const *s = mmp_service_names; *s; s++) {
		const struct mmp_svc_state *st = mmp_svc_snapshot(ctx, *s);
		char path[64], title[32];

		snprintf(path, sizeof(path), "%s.enabled", *s);
		if (!cv_conf_get_bool(ctx->doc, path, false))
			continue;
		/* "<Svc> configuration not complete", as "<svc> enable" says it
		 * (spec/mmp.md 1.4). */
		snprintf(title, sizeof(title), "%c%s", toupper((unsigned char)**s), *s + 1);
		if (mmp_services_check(ctx, *s) < 0) {
			mmp_printf(ctx, "FAILURE: %s configuration not complete\n", title);
			failed = true;
		} else {
			mmp_printf(ctx, "SUCCESS: %s configuration complete\n", title);
		}
		if (st->running) {
			mmp_printf(ctx, "SUCCESS: %s running\n", *s);
		} else if (st->failed) {
			mmp_printf(ctx, "FAILURE: %s failed and is not restarted (%s); \"%s "
					"restart\" tries again\n",
				   *s, st->last_exit, *s);
			failed = true;
		} else {
			mmp_printf(ctx, "FAILURE: %s not running%s%s%s\n", *s,
				   st->last_exit[0] ? " (" : "", st->last_exit,
				   st->last_exit[0] ? ")" : "");
			failed = true;
		}
	}
	r = env && env->ops ? env->ops->disk_usage(env->opaque, &du) : -ENOENT;
	if (r == -ENOENT) {
		mmp_printf(ctx, "WARNING: disk usage unknown (no state directory)\n");
	} else if (r < 0) {
		mmp_printf(ctx, "WARNING: disk usage unknown (%s)\n", strerror(-r));
	} else {
		mmp_printf(ctx, "%s: disk usage %u%%\n",
			   du.state_pct > DISK_WARN_PCT ? "WARNING" : "SUCCESS", du.state_pct);
		/* Decision (issue 14): the upload directory, which operators
		 * fill over SFTP, should be a file system of its own (the image
		 * and the sandbox mount one), so that uploads cannot fill the
		 * disk that holds the configuration. */
		if (du.upload_apart)
			mmp_printf(ctx, "%s: upload directory usage %u%% (a file system of its own)\n",
				   du.upload_pct > DISK_WARN_PCT ? "WARNING" : "SUCCESS",
				   du.upload_pct);
		else
			mmp_printf(ctx, "WARNING: the upload directory shares the configuration's "
					"file system: uploads can fill it\n");
	}
	if (failed) {
		ctx->failed = true;
		return -1;
	}
	return 0;
}

/* --- backup (spec/mmp.md 12) --------------------------------------------------- */

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

/* A backup name: letters, digits, '.', '_' and '-', not starting with '.',
 * so "<name>.bak" is always a plain file of the upload directory. A
 * trailing ".bak" is accepted and dropped. Returns the bare name
 * (caller frees) or NULL. */
static char *backup_name(const char *s)
{
	size_t n = strlen(s);

	if (has_suffix(s, ".bak"))
		n -= 4;
	if (n == 0 || n > BACKUP_NAME_MAX || s[0] == '.')
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("._-", s[i])))
			return NULL;
	return xstrndup(s, n);
}

static int cmd_backup_snapshot(struct mmp_ctx *ctx)
{
	char *name = backup_name(mmp_arg(ctx, "name"));
	struct mmp_upfile *files = NULL;
	size_t nfiles = 0, total = 0, len;
	char *bak = NULL, created[32];
	json_object *root = NULL, *jfiles;
	const char *text;
	struct tm tm;
	time_t now = cv_now();
	int r, ret = -1;

	if (!name)
		return mmp_fail(ctx, "Invalid backup name \"%s\"", mmp_arg(ctx, "name"));
	r = mmp_upload_list(ctx->env, &files, &nfiles);
	if (r < 0) {
		mmp_fail(ctx, "FAILURE: cannot read the upload directory: %s", strerror(-r));
		goto out;
	}
	gmtime_r(&now, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	root = json_object_new_object();
	jfiles = json_object_new_object();
	json_object_object_add(root, "product", json_object_new_string("convene"));
	json_object_object_add(root, "version", json_object_new_string(CONVENE_VERSION));
	json_object_object_add(root, "created", json_object_new_string(created));
	json_object_object_add(root, "config", json_object_get(ctx->doc));
	json_object_object_add(root, "files", jfiles);
	for (size_t i = 0; i < nfiles; i++) {
		char *data = NULL, *enc;
		size_t flen, elen;

		if (!mmp_backup_carries(files[i].name))
			continue;
		if ((uint64_t)files[i].size > MMP_BACKUP_FILES_MAX - total) {
			mmp_fail(ctx,
				 "FAILURE: the upload directory holds more than %u MiB; "
				 "backup not written",
				 MMP_BACKUP_FILES_MAX >> 20);
			goto out;
		}
		r = mmp_upload_read(ctx->env, files[i].name, MMP_BACKUP_FILES_MAX - total, &data,
				    &flen);
		if (r == -ENOENT)
			continue; /* removed since it was listed */
		if (r < 0) {
			mmp_fail(ctx, "FAILURE: Unable to read file %s", files[i].name);
			goto out;
		}
		total += flen;
		enc = xmalloc(CV_BASE64_LEN(flen) + 1);
		elen = cv_base64_encode(data, flen, enc);
		free(data);
		json_object_object_add(jfiles, files[i].name,
				       json_object_new_string_len(enc, (int)elen));
		free(enc);
	}
	text = json_object_to_json_string_length(
		root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	bak = xasprintf("%s.bak", name);
	/* Decision: a snapshot of an existing name replaces it (atomically,
	 * so a failed write leaves the old one). 0640, and with system
	 * accounts the group of the admins only: the backup holds private
	 * keys and password hashes. */
	r = mmp_upload_write(ctx->env, bak, text, len, 0640, false);
	if (r < 0) {
		mmp_fail(ctx, "FAILURE: cannot write %s: %s", bak, strerror(-r));
		goto out;
	}
	mmp_printf(ctx, "Backup file %s ready for download\n", bak);
	ret = 0;
out:
	json_object_put(root);
	mmp_upfiles_free(files, nfiles);
	free(bak);
	free(name);
	return ret;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_backup(const char *name)
{
	return name[0] != '.' && has_suffix(name, ".bak") && cv_parse_filename(name) == 0;
}

static int cmd_backup_list(struct mmp_ctx *ctx)
{
	struct mmp_upfile *files = NULL;
	size_t n = 0;
	char **names;
	size_t k = 0;
	int r = mmp_upload_list(ctx->env, &files, &n);

	if (r < 0)
		return mmp_fail(ctx, "FAILURE: cannot read the upload directory: %s", strerror(-r));
	/* One name per line, sorted by name; nothing when there is no backup. */
	names = xcalloc(n + 1, sizeof(*names));
	for (size_t i = 0; i < n; i++)
		if (is_backup(files[i].name))
			names[k++] = files[i].name;
	qsort(names, k, sizeof(*names), cmp_cstr);
	for (size_t i = 0; i < k; i++)
		mmp_printf(ctx, "%s\n", names[i]);
	free(names);
	mmp_upfiles_free(files, n);
	return 0;
}

/* The answer to the command's confirmation prompt is exactly "Y"
 * (spec/mmp.md 12: only a capital Y proceeds). */
static bool confirmed(const struct mmp_ctx *ctx)
{
	return ctx->ninput >= 1 && ctx->input[0] && strcmp(ctx->input[0], "Y") == 0;
}

static bool can_act(const struct mmp_ctx *ctx)
{
	return ctx->env && ctx->env->can_act;
}

/* Replaces the contents of doc by those of src (deep copies). */
static void doc_replace(json_object *doc, json_object *src)
{
	json_object *keys = json_object_new_array();

	json_object_object_foreach(doc, k, v) {
		(void)v;
		json_object_array_add(keys, json_object_new_string(k));
	}
	for (size_t i = 0; i < json_object_array_length(keys); i++)
		json_object_object_del(doc,
				       json_object_get_string(json_object_array_get_idx(keys, i)));
	json_object_put(keys);
	json_object_object_foreach(src, k2, v2) {
		json_object *copy = NULL;

		if (json_object_deep_copy(v2, &copy, NULL) == 0)
			json_object_object_add(doc, k2, copy);
	}
}

static int cmd_backup_rollback(struct mmp_ctx *ctx)
{
	char *name = backup_name(mmp_arg(ctx, "name")), *bak = NULL, *text = NULL;
	struct strbuf err = STRBUF_INIT;
	struct mmp_backup b = { 0 };
	size_t len;
	int r, ret = -1;

	if (!name)
		return mmp_fail(ctx, "Invalid backup name \"%s\"", mmp_arg(ctx, "name"));
	if (!confirmed(ctx)) {
		mmp_printf(ctx, "Rollback cancelled\n");
		ret = 0;
		goto out;
	}
	if (!can_act(ctx)) {
		mmp_fail(ctx, "FAILURE: reboot is not available");
		goto out;
	}
	bak = xasprintf("%s.bak", name);
	r = mmp_upload_read(ctx->env, bak, MMP_BACKUP_MAX, &text, &len);
	if (r == -EPERM) {
		/* mmpd_ops.c: a backup must come from mmpd or an admin. */
		mmp_fail(ctx, "FAILURE: %s.bak was not written by mmpd or an admin user", name);
		goto out;
	}
	if (r < 0) {
		mmp_fail(ctx, "FAILURE: Unable to read file %s.bak", name);
		goto out;
	}
	/* Everything is checked before anything is written. */
	if (mmp_backup_parse(name, text, len, &b, &err) < 0) {
		mmp_fail(ctx, "%s", sb_str(&err));
		goto out;
	}
	/* Files first: if the config commit fails afterwards, the files are
	 * those of the backup and the config is the current one; a second
	 * rollback completes it. Files present now but not in the backup
	 * stay. */
	for (size_t i = 0; i < b.nfiles; i++) {
		r = mmp_upload_write(ctx->env, b.files[i].name, b.files[i].data, b.files[i].len,
				     0600, false);
		if (r < 0) {
			mmp_fail(ctx, "FAILURE: cannot restore file %s: %s", b.files[i].name,
				 strerror(-r));
			goto out;
		}
	}
	doc_replace(ctx->doc, b.config);
	ctx->changed = true;
	snprintf(ctx->system_action, sizeof(ctx->system_action), "reboot");
	ret = 0;
out:
	mmp_backup_free(&b);
	sb_free(&err);
	free(text);
	free(bak);
	free(name);
	return ret;
}

/* --- factory_reset, reboot, shutdown (spec/mmp.md 12) ---------------------------- */

/* What "factory_reset app" keeps: the platform (network, firewall, time,
 * remote syslog) and the MMP users, so the appliance comes back reachable,
 * protected and with its accounts; the application services are reset. */
static const char *const app_keeps[] = {
	"hostname", "ipv4",  "iface",	   "dns",	 "ntp",	   "timezone",
	"firewall", "syslog", "users", "user_rules", "schema",
};

static bool kept(const char *key, bool full)
{
	if (strcmp(key, "schema") == 0)
		return true;
	if (full)
		return false;
	for (size_t i = 0; i < sizeof(app_keeps) / sizeof(app_keeps[0]); i++)
		if (strcmp(key, app_keeps[i]) == 0)
			return true;
	return false;
}

static int cmd_factory_reset(struct mmp_ctx *ctx)
{
	bool full = mmp_has(ctx, "full");
	json_object *drop;

	if (!confirmed(ctx)) {
		mmp_printf(ctx, "Factory reset cancelled\n");
		return 0;
	}
	if (!can_act(ctx))
		return mmp_fail(ctx, "FAILURE: reboot is not available");
	drop = json_object_new_array();
	json_object_object_foreach(ctx->doc, k, v) {
		(void)v;
		if (!kept(k, full))
			json_object_array_add(drop, json_object_new_string(k));
	}
	for (size_t i = 0; i < json_object_array_length(drop); i++)
		json_object_object_del(ctx->doc,
				       json_object_get_string(json_object_array_get_idx(drop, i)));
	json_object_put(drop);
	/* A full reset brings back the first-boot admin/admin account and
	 * empties the upload directory: keys, certificates and backups (which
	 * hold the old password hashes) do not outlive it. An app reset keeps
	 * the files. */
	if (full) {
		struct mmp_upfile *files = NULL;
		size_t n = 0;

		if (mmp_upload_list(ctx->env, &files, &n) == 0)
			for (size_t i = 0; i < n; i++)
				if (mmp_upload_remove(ctx->env, files[i].name) < 0)
					mmp_printf(ctx, "WARNING: could not remove %s\n",
						   files[i].name);
		mmp_upfiles_free(files, n);
		mmp_users_defaults(ctx->doc);
	}
	ctx->changed = true;
	snprintf(ctx->system_action, sizeof(ctx->system_action), "reboot");
	return 0;
}

/* Decision: reboot and shutdown print nothing (the session simply ends, as
 * on CMS); the action runs after the reply has been sent. */
static int cmd_power(struct mmp_ctx *ctx)
{
	const char *action = mmp_has(ctx, "shutdown") ? "shutdown" : "reboot";

	if (!can_act(ctx))
		return mmp_fail(ctx, "FAILURE: %s is not available", action);
	snprintf(ctx->system_action, sizeof(ctx->system_action), "%s", action);
	return 0;
}

static int cmd_help(struct mmp_ctx *ctx)
{
	const char *topic = mmp_arg(ctx, "command");

	mmp_help_list(topic ? topic : "", ctx->role, &ctx->out);
	return 0;
}

/* --- the table --------------------------------------------------------------- */

static const struct mmp_prompt rollback_prompt[] = {
	{ "This will restore the configuration and reboot. Continue? (Y/n)", false },
	{ NULL, false },
};

static const struct mmp_prompt reset_app_prompt[] = {
	{ "This will delete the application configuration and reboot. Continue? (Y/n)", false },
	{ NULL, false },
};

static const struct mmp_prompt reset_full_prompt[] = {
	{ "This will delete all configuration, including the network settings and the MMP "
	  "users, and reboot. Continue? (Y/n)",
	  false },
	{ NULL, false },
};

#define A MMP_ROLE_ADMIN

static const struct mmp_cmd cmds[] = {
	{ "syslog", "Shows the remote syslog settings", A, cmd_syslog_show },
	{ "syslog server add <host[:port]>", "Adds a remote syslog server (port 514 by default)", A,
	  cmd_syslog_add },
	{ "syslog server del <host>", "Removes a remote syslog server", A, cmd_syslog_del },
	{ "syslog (enable|disable)", "Enables or disables forwarding to the syslog servers", A,
	  cmd_syslog_enable },
	{ "syslog follow", "Shows the log as it is written, until Ctrl-C",
	  MMP_ROLE_ADMIN | MMP_ROLE_AUDIT, cmd_syslog_follow },

	{ "database cluster status", "Shows the database cluster status", A, cmd_db_status },

	{ "version", "Shows the software version", MMP_ROLES_ALL, cmd_version },
	{ "health_check", "Checks the enabled services and the disk", A, cmd_health_check },

	{ "backup snapshot <name>", "Writes <name>.bak (configuration and files) for download", A,
	  cmd_backup_snapshot },
	{ "backup list", "Lists the backups", A, cmd_backup_list },
	{ "backup rollback <name>", "Restores a backup and reboots", A, cmd_backup_rollback,
	  rollback_prompt },

	{ "factory_reset app", "Deletes the application configuration and reboots", A,
	  cmd_factory_reset, reset_app_prompt },
	{ "factory_reset full", "Deletes all configuration and users and reboots", A,
	  cmd_factory_reset, reset_full_prompt },
	{ "reboot", "Restarts the appliance", A, cmd_power },
	{ "shutdown", "Powers the appliance off", A, cmd_power },

	{ "help [<command>]", "Lists the commands, or those of one command", MMP_ROLES_ALL,
	  cmd_help },
};

MMP_AREA(mmp_area_system, "system", cmds);
