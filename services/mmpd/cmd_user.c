// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The user commands (spec/mmp.md section 5; area table mmp_area_user):
 * user add/del/list/info/evict/expire/unlock/host/duty/rule and passwd. The
 * account logic lives in users.c; these handlers check the arguments
 * against the document, call it and render the screens.
 *
 * Decisions:
 * - Every error about a missing account reads `No such user "<name>"`.
 * - "user list" prints LOGGED IN "yes" for a user with a login session
 *   (console, SSH, SFTP: mmpd_sessions.c), with an mmp connection from the
 *   user's own uid, or running the command; the snapshot of the command's
 *   start (ctx->env->logins) says who.
 * - "user evict" ends every login session of the user (its process gets
 *   SIGHUP, then SIGKILL) and closes the user's mmp connections, which
 *   tells mmp to end. mmpd does it once the reply is sent (ctx->evict), so
 *   the count printed is that of the sessions open when the command
 *   started. Evicting an account locks nothing: the user may log in again.
 * - "user unlock" of an account that is not locked succeeds quietly (it
 *   still resets the failure count).
 * - Successful commands print nothing, as MMP configuration commands do.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pwhash.h"
#include "lib/clock.h"
#include "lib/mem.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/screen.h"
#include "services/mmpd/users.h"

#define INFO_COL 22
#define RULE_COL 23

/* The argument of type t. Not mmp_arg(ctx, "user") or "host": those find
 * the keywords "user" and "host" of the command, which have the same
 * names as the placeholders. */
static const char *arg_of_type(const struct mmp_ctx *ctx, enum mmp_arg_type t)
{
	for (size_t i = 0; i < ctx->nvals; i++)
		if (ctx->vals[i].type == t)
			return ctx->vals[i].str;
	return "";
}

static const char *user_arg(const struct mmp_ctx *ctx)
{
	return arg_of_type(ctx, MMP_T_USER);
}

static json_object *need_user(struct mmp_ctx *ctx, const char *name)
{
	json_object *u = mmp_user_get(ctx->doc, name);

	if (!u)
		mmp_fail(ctx, "No such user \"%s\"", name);
	return u;
}

static const char *str_of(json_object *u, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(u, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t int_of(json_object *u, const char *key, int64_t dflt)
{
	json_object *v;

	if (!json_object_object_get_ex(u, key, &v) || !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}

static bool bool_of(json_object *u, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(u, key, &v) && json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
}

/* Runs the rule checks; on a violation prints them and fails. */
static int check_password(struct mmp_ctx *ctx, const char *user, const char *password,
			  const char *old, bool is_new)
{
	struct mmp_pw_change c = {
		.user = user,
		.password = password,
		.old_password = old,
		.env = ctx->env,
		.now = cv_now(),
		.is_new_user = is_new,
	};
	struct strbuf err = STRBUF_INIT;
	int r = mmp_pw_check(ctx->doc, &c, &err);

	if (r < 0) {
		/* Every violated rule, one line each. */
		mmp_fail(ctx, "%s", sb_str(&err));
	}
	sb_free(&err);
	return r < 0 ? -1 : 0;
}

static int cmd_add(struct mmp_ctx *ctx)
{
	const char *name = user_arg(ctx);
	const char *role_name = ctx->vals[3].str;
	unsigned role;
	int r;

	if (mmp_role_parse(role_name, &role) < 0)
		return mmp_fail(ctx, "Invalid role \"%s\"", role_name);
	if (mmp_user_get(ctx->doc, name))
		return mmp_fail(ctx, "User \"%s\" already exists", name);
	if (ctx->ninput < 2)
		return mmp_fail(ctx, "No password given");
	if (strcmp(ctx->input[0], ctx->input[1]) != 0)
		return mmp_fail(ctx, "Passwords do not match");
	if (check_password(ctx, name, ctx->input[0], NULL, true) < 0)
		return -1;
	r = mmp_user_create(ctx->doc, name, role, ctx->input[0], cv_now());
	if (r == -ENOSPC)
		return mmp_fail(ctx, "Too many users (at most %d)", MMP_USERS_MAX);
	if (r < 0)
		return mmp_fail(ctx, "Cannot add user \"%s\": %s", name, strerror(-r));
	ctx->changed = true;
	return 0;
}

static int cmd_del(struct mmp_ctx *ctx)
{
	const char *name = user_arg(ctx);
	json_object *users;
	unsigned role;

	if (!need_user(ctx, name))
		return -1;
	if (ctx->user && strcmp(ctx->user, name) == 0)
		return mmp_fail(ctx, "You cannot delete your own account");
	if (mmp_user_role(ctx->doc, name, &role) == 0 && role == MMP_ROLE_ADMIN &&
	    mmp_users_count_role(ctx->doc, MMP_ROLE_ADMIN) <= 1)
		return mmp_fail(ctx, "Cannot delete the last admin user");
	json_object_object_get_ex(ctx->doc, "users", &users);
	json_object_object_del(users, name);
	ctx->changed = true;
	return 0;
}

/* A left-aligned column of width w, with at least one space after it
 * (S12 splits the rows on whitespace). */
static void column(struct mmp_ctx *ctx, const char *s, int w)
{
	int len = (int)strlen(s);

	mmp_printf(ctx, "%s%*s", s, len < w ? w - len : 1, "");
}

/* What the snapshot knows of name's logins, or NULL. */
static const struct mmp_login *login_of(const struct mmp_ctx *ctx, const char *name)
{
	for (size_t i = 0; ctx->env && i < ctx->env->nlogins; i++)
		if (strcmp(ctx->env->logins[i].user, name) == 0)
			return &ctx->env->logins[i];
	return NULL;
}

static bool logged_in(const struct mmp_ctx *ctx, const char *name)
{
	const struct mmp_login *l = login_of(ctx, name);

	return (ctx->user && strcmp(ctx->user, name) == 0) || (l && (l->sessions || l->conns));
}

static int cmd_list(struct mmp_ctx *ctx)
{
	json_object *names = mmp_users_names(ctx->doc);

	/* spec/mmp.md section 5: columns 16 / 10 / 17 / *. */
	column(ctx, "USERNAME", 16);
	column(ctx, "ROLE", 10);
	column(ctx, "PASSWORD EXPIRY", 17);
	mmp_printf(ctx, "LOGGED IN\n");
	for (size_t i = 0; i < json_object_array_length(names); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(names, i));
		json_object *u = mmp_user_get(ctx->doc, name);
		const char *role = str_of(u, "role");
		char date[16];

		mmp_user_format_date(mmp_user_expiry(ctx->doc, u), date, sizeof(date));
		column(ctx, name, 16);
		column(ctx, role ? role : "none", 10);
		column(ctx, date, 17);
		mmp_printf(ctx, "%s\n", logged_in(ctx, name) ? "yes" : "no");
	}
	json_object_put(names);
	return 0;
}

static int cmd_info(struct mmp_ctx *ctx)
{
	const char *name = user_arg(ctx);
	json_object *u = need_user(ctx, name), *hosts;
	const char *role, *from, *locked, *duty;
	char buf[32];
	int64_t t, expiry;
	struct strbuf hl = STRBUF_INIT;
	time_t now = cv_now();

	if (!u)
		return -1;
	role = str_of(u, "role");
	mmp_screen_kv(&ctx->out, INFO_COL, "Username", name);
	mmp_screen_kv(&ctx->out, INFO_COL, "Role", role ? role : "none");
	t = int_of(u, "last_login", -1);
	if (t >= 0)
		mmp_user_format_time(t, buf, sizeof(buf));
	mmp_screen_kv(&ctx->out, INFO_COL, "Last login", t >= 0 ? buf : "never");
	from = str_of(u, "last_login_from");
	mmp_screen_kv(&ctx->out, INFO_COL, "Last login from", from ? from : "none");
	mmp_screen_kvf(&ctx->out, INFO_COL, "Failed login attempts", "%lld",
		       (long long)int_of(u, "failed_logins", 0));
	t = int_of(u, "pw_changed", -1);
	if (t >= 0)
		mmp_user_format_time(t, buf, sizeof(buf));
	mmp_screen_kv(&ctx->out, INFO_COL, "Last password change", t >= 0 ? buf : "never");
	expiry = mmp_user_expiry(ctx->doc, u);
	mmp_user_format_date(expiry, buf, sizeof(buf));
	mmp_screen_kv(&ctx->out, INFO_COL, "Password expiry", buf);
	mmp_screen_kv(&ctx->out, INFO_COL, "Must change password",
		      bool_of(u, "must_change") || expiry <= (int64_t)now ? "yes" : "no");
	locked = str_of(u, "locked");
	if (!locked)
		mmp_screen_kv(&ctx->out, INFO_COL, "Locked", "no");
	else
		mmp_screen_kvf(&ctx->out, INFO_COL, "Locked", "yes (%s)",
			       strcmp(locked, "idle") == 0 ? "max_idle" : "max_failed_logins");
	if (json_object_object_get_ex(u, "hosts", &hosts) &&
	    json_object_is_type(hosts, json_type_array))
		for (size_t i = 0; i < json_object_array_length(hosts); i++)
			sb_printf(&hl, "%s%s", i ? " " : "",
				  json_object_get_string(json_object_array_get_idx(hosts, i)));
	mmp_screen_kv(&ctx->out, INFO_COL, "Allowed hosts", hl.len ? sb_str(&hl) : "any");
	sb_free(&hl);
	duty = str_of(u, "duty");
	mmp_screen_kv(&ctx->out, INFO_COL, "Duty hours", duty ? duty : "any");
	return 0;
}

static int cmd_evict(struct mmp_ctx *ctx)
{
	const char *name = user_arg(ctx);
	const struct mmp_login *l;

	if (!need_user(ctx, name))
		return -1;
	l = login_of(ctx, name);
	snprintf(ctx->evict, sizeof(ctx->evict), "%s", name);
	mmp_printf(ctx, "Ended %u session%s of %s\n", l ? l->sessions : 0,
		   l && l->sessions == 1 ? "" : "s", name);
	if (l && l->conns)
		mmp_printf(ctx, "Closed %u mmp connection%s of %s\n", l->conns,
			   l->conns == 1 ? "" : "s", name);
	return 0;
}

static int cmd_expire(struct mmp_ctx *ctx)
{
	const char *name = user_arg(ctx);
	json_object *u = need_user(ctx, name);
	unsigned role;

	if (!u)
		return -1;
	/* spec/mmp.md section 5: not valid for api users. */
	if (mmp_user_role(ctx->doc, name, &role) == 0 && role == MMP_ROLE_API)
		return mmp_fail(ctx, "user expire is not valid for api users");
	json_object_object_add(u, "must_change", json_object_new_boolean(true));
	ctx->changed = true;
	return 0;
}

static int cmd_unlock(struct mmp_ctx *ctx)
{
	const char *name = user_arg(ctx);

	if (!need_user(ctx, name))
		return -1;
	mmp_user_unlock(ctx->doc, name, cv_now());
	ctx->changed = true;
	return 0;
}

static int cmd_host(struct mmp_ctx *ctx)
{
	const char *name = user_arg(ctx);
	const char *typed = arg_of_type(ctx, MMP_T_HOST);
	json_object *u = need_user(ctx, name), *hosts, *nh;
	char *host;
	size_t n, found = SIZE_MAX;

	if (!u)
		return -1;
	/* Host names compare without case; store them in lower case. */
	host = xstrdup(typed);
	for (char *p = host; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	if (!json_object_object_get_ex(u, "hosts", &hosts) ||
	    !json_object_is_type(hosts, json_type_array))
		hosts = NULL;
	n = hosts ? json_object_array_length(hosts) : 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(hosts, i)), host) == 0)
			found = i;
	if (mmp_has(ctx, "add")) {
		if (found != SIZE_MAX) {
			mmp_fail(ctx, "Host \"%s\" is already allowed for user \"%s\"", typed,
				 name);
			goto out;
		}
		if (n >= MMP_USER_HOSTS_MAX) {
			mmp_fail(ctx, "User \"%s\" already has %d allowed hosts", name,
				 MMP_USER_HOSTS_MAX);
			goto out;
		}
		if (!hosts) {
			hosts = json_object_new_array();
			json_object_object_add(u, "hosts", hosts);
		}
		json_object_array_add(hosts, json_object_new_string(host));
	} else {
		if (found == SIZE_MAX) {
			mmp_fail(ctx, "Host \"%s\" is not allowed for user \"%s\"", typed, name);
			goto out;
		}
		nh = json_object_new_array();
		for (size_t i = 0; i < n; i++)
			if (i != found)
				json_object_array_add(
					nh, json_object_get(json_object_array_get_idx(hosts, i)));
		if (json_object_array_length(nh) > 0)
			json_object_object_add(u, "hosts", nh);
		else {
			json_object_put(nh);
			json_object_object_del(u, "hosts");
		}
	}
	ctx->changed = true;
out:
	free(host);
	return ctx->failed ? -1 : 0;
}

static int cmd_duty(struct mmp_ctx *ctx)
{
	const char *name = user_arg(ctx);
	const char *spec = mmp_arg(ctx, "duty-spec");
	json_object *u = need_user(ctx, name);
	struct mmp_duty_term terms[MMP_DUTY_TERMS_MAX];
	char why[160];
	size_t n;

	if (!u)
		return -1;
	if (!spec) {
		json_object_object_del(u, "duty");
		ctx->changed = true;
		return 0;
	}
	if (mmp_duty_parse(spec, terms, MMP_DUTY_TERMS_MAX, &n, why, sizeof(why)) < 0)
		return mmp_fail(ctx, "Invalid duty hours \"%s\": %s", spec, why);
	json_object_object_add(u, "duty", json_object_new_string(spec));
	ctx->changed = true;
	return 0;
}

static int cmd_rules(struct mmp_ctx *ctx)
{
	for (size_t i = 0; i < mmp_n_user_rules; i++) {
		const struct mmp_user_rule *r = &mmp_user_rules[i];
		long v = mmp_user_rule_value(ctx->doc, r->name);

		if (r->kind == MMP_RULE_BOOL)
			mmp_screen_kv(&ctx->out, RULE_COL, r->name, v ? "true" : "false");
		else
			mmp_screen_kvf(&ctx->out, RULE_COL, r->name, "%ld", v);
	}
	return 0;
}

static int cmd_rule(struct mmp_ctx *ctx)
{
	const struct mmp_user_rule *r = mmp_user_rule_find(ctx->vals[2].str);
	const struct mmp_val *v;
	unsigned long value;
	struct strbuf err = STRBUF_INIT;

	if (!r)
		return mmp_fail(ctx, "Unknown rule \"%s\"", ctx->vals[2].str);
	if (r->kind == MMP_RULE_BOOL) {
		value = mmp_has(ctx, "true");
	} else {
		v = mmp_val(ctx, r->kind == MMP_RULE_DAYS ? "days" : "n");
		if (!v)
			return mmp_fail(ctx, "Missing value for %s", r->name);
		value = v->u.num;
	}
	/* Fail closed: a dictionary check without a dictionary would refuse
	 * every password, so the file must be there first. */
	if (r->kind == MMP_RULE_BOOL && value && strcmp(r->name, "check_dictionary") == 0 &&
	    mmp_dictionary_usable(ctx->env, &err) < 0)
		goto fail;
	if (mmp_user_rule_set(ctx->doc, r, value, &err) < 0)
		goto fail;
	sb_free(&err);
	ctx->changed = true;
	return 0;
fail:
	mmp_fail(ctx, "%s", sb_str(&err));
	sb_free(&err);
	return -1;
}

static int cmd_passwd(struct mmp_ctx *ctx)
{
	const char *name = ctx->user;
	json_object *u;
	int r;

	if (!name)
		return mmp_fail(ctx, "No such user \"\"");
	u = need_user(ctx, name);
	if (!u)
		return -1;
	if (ctx->ninput < 3)
		return mmp_fail(ctx, "No password given");
	if (!cv_pw_verify(ctx->input[0], str_of(u, "hash")))
		return mmp_fail(ctx, "Current password is incorrect");
	if (strcmp(ctx->input[1], ctx->input[2]) != 0)
		return mmp_fail(ctx, "Passwords do not match");
	if (check_password(ctx, name, ctx->input[1], ctx->input[0], false) < 0)
		return -1;
	r = mmp_user_set_password(ctx->doc, name, ctx->input[1], cv_now());
	if (r < 0)
		return mmp_fail(ctx, "Cannot change the password: %s", strerror(-r));
	ctx->changed = true;
	return 0;
}

static const struct mmp_prompt new_pw_prompts[] = {
	{ "Please enter new password: ", true },
	{ "Please enter new password again: ", true },
	{ NULL, false },
};

static const struct mmp_prompt passwd_prompts[] = {
	{ "Current password: ", true },
	{ "New password: ", true },
	{ "New password again: ", true },
	{ NULL, false },
};

/* One entry per rule of users.c (the unit test checks they agree). */
#define RULE_NUM(name, help) { "user rule " name " <n>", help, MMP_ROLE_ADMIN, cmd_rule, NULL }
#define RULE_DAYS(name, help) { "user rule " name " <days>", help, MMP_ROLE_ADMIN, cmd_rule, NULL }
#define RULE_BOOL(name, help)                                                                      \
	{ "user rule " name " (true|false)", help, MMP_ROLE_ADMIN, cmd_rule, NULL }

static const struct mmp_cmd cmds[] = {
	{ "user add <user> (admin|crypto|audit|appadmin|api)",
	  "Adds a user; asks for the password twice", MMP_ROLE_ADMIN, cmd_add, new_pw_prompts },
	{ "user del <user>", "Deletes a user", MMP_ROLE_ADMIN, cmd_del, NULL },
	{ "user list", "Lists the users", MMP_ROLE_ADMIN, cmd_list, NULL },
	{ "user info <user>", "Shows a user's account details", MMP_ROLE_ADMIN, cmd_info, NULL },
	{ "user evict <user>", "Logs a user out: ends every session and mmp connection",
	  MMP_ROLE_ADMIN, cmd_evict, NULL },
	{ "user expire <user>", "Forces a password change at the next login", MMP_ROLE_ADMIN,
	  cmd_expire, NULL },
	{ "user unlock <user>", "Unlocks a locked account", MMP_ROLE_ADMIN, cmd_unlock, NULL },
	{ "user host <user> (add|delete) <host>", "Sets the hosts a user may log in from",
	  MMP_ROLE_ADMIN, cmd_host, NULL },
	{ "user duty <user> (<duty-spec>|none)",
	  "Sets a user's login hours, for example MoTu1200-1400|We1400-1500", MMP_ROLE_ADMIN,
	  cmd_duty, NULL },
	{ "user rule", "Shows the password rules", MMP_ROLE_ADMIN, cmd_rules, NULL },
	RULE_NUM("max_history", "Refuses reuse of the last n passwords"),
	RULE_DAYS("password_age", "Days until a password expires (0: never)"),
	RULE_DAYS("min_password_age", "Days before a password may be changed again"),
	RULE_NUM("min_length", "Minimum password length"),
	RULE_NUM("min_special", "Minimum number of characters from " MMP_SPECIAL_CHARS),
	RULE_NUM("min_uppercase", "Minimum number of uppercase letters"),
	RULE_NUM("min_lowercase", "Minimum number of lowercase letters"),
	RULE_NUM("min_digits", "Minimum number of digits"),
	RULE_NUM("longest_digits_run", "Maximum run of consecutive digits (0: no limit)"),
	RULE_NUM("max_repeated_char", "Maximum run of one repeated character (0: no limit)"),
	RULE_NUM("min_changed_characters",
		 "Character positions that must differ from the old password"),
	RULE_BOOL("only_ascii", "Allows only ASCII passwords"),
	RULE_BOOL("no_username", "Refuses passwords containing the user name"),
	RULE_BOOL("no_palindrome", "Refuses palindromes"),
	RULE_BOOL("check_dictionary", "Refuses words of the uploaded file \"dictionary\""),
	RULE_NUM("max_failed_logins", "Locks an account after n failed logins (0: never)"),
	RULE_DAYS("max_idle", "Locks an account after n days without login (0: never)"),
	{ "passwd", "Changes your password", MMP_ROLES_ALL, cmd_passwd, passwd_prompts },
};

MMP_AREA(mmp_area_user, "user", cmds);
