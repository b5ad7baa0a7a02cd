// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MMP user accounts (spec/mmp.md section 5): crypt(3) hashing, the password
 * rules, expiry, duty hours, allowed hosts and the login check. See users.h
 * for the document layout and the meaning of every result.
 *
 * Decisions (spec/mmp.md leaves them open):
 * - A rule that is unset has its default: password_age 180 days (the
 *   6-month expiry of [S10]); every other rule is off. A number rule set to
 *   0 is off; password_age 0 means passwords never expire (10000-Dec-31).
 * - Characters are Unicode code points of the UTF-8 password; the classes
 *   of min_uppercase/min_lowercase/min_digits are the ASCII ones.
 *   Passwords are 1-256 characters of valid UTF-8 without control
 *   characters, whatever the rules say.
 * - max_history n refuses the current password and the n-1 before it; the
 *   record keeps exactly those hashes, so raising the rule protects only
 *   passwords set from then on.
 * - min_password_age does not hold back a change that is due (must_change
 *   after "user expire" or first login, or an expired password).
 * - no_username and check_dictionary compare ignoring ASCII case;
 *   dictionary words shorter than MMP_DICTIONARY_MIN_WORD only match the
 *   whole password, and the file is read up to MMP_DICTIONARY_MAX.
 * - A login's origin is "console" or an address: bare (PAM_RHOST) or with
 *   its port ("192.0.2.1:22", "[2001:db8::1]:22"; brackets for IPv6, so
 *   that a bare IPv6 address is never read as one with a port). Allowed
 *   hosts compare addresses, not text; a name entry allows what it
 *   resolves to, IPv4 or IPv6. A host name as the origin is refused.
 * - Hashing blocks the caller (mmpd's loop) for one yescrypt run per hash,
 *   about 20 ms at libxcrypt's default cost; max_history 24 at passwd is
 *   the worst case (25 runs).
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/clock.h"
#include "lib/conf.h"
#include "lib/file.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "lib/pwhash.h"
#include "lib/cmd.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/upload.h"
#include "services/mmpd/users.h"

/* --- rules ---------------------------------------------------------------- */

/* Bounds: passwords have at most MMP_PASSWORD_MAX characters, so larger
 * counts could never be met; 24 remembered passwords is the common upper
 * bound of password-history policies; 36500 days is a century. */
const struct mmp_user_rule mmp_user_rules[] = {
	{ "max_history", MMP_RULE_NUM, 24, 0, "Refuses reuse of the last n passwords" },
	{ "password_age", MMP_RULE_DAYS, 36500, MMP_PASSWORD_AGE_DEFAULT,
	  "Days until a password expires (0: never)" },
	{ "min_password_age", MMP_RULE_DAYS, 36500, 0,
	  "Days before a password may be changed again" },
	{ "min_length", MMP_RULE_NUM, MMP_PASSWORD_MAX, 0, "Minimum password length" },
	{ "min_special", MMP_RULE_NUM, MMP_PASSWORD_MAX, 0,
	  "Minimum number of characters from " MMP_SPECIAL_CHARS },
	{ "min_uppercase", MMP_RULE_NUM, MMP_PASSWORD_MAX, 0,
	  "Minimum number of uppercase letters" },
	{ "min_lowercase", MMP_RULE_NUM, MMP_PASSWORD_MAX, 0,
	  "Minimum number of lowercase letters" },
	{ "min_digits", MMP_RULE_NUM, MMP_PASSWORD_MAX, 0, "Minimum number of digits" },
	{ "longest_digits_run", MMP_RULE_NUM, MMP_PASSWORD_MAX, 0,
	  "Maximum run of consecutive digits (0: no limit)" },
	{ "max_repeated_char", MMP_RULE_NUM, MMP_PASSWORD_MAX, 0,
	  "Maximum run of one repeated character (0: no limit)" },
	{ "min_changed_characters", MMP_RULE_NUM, MMP_PASSWORD_MAX, 0,
	  "Character positions that must differ from the old password" },
	{ "only_ascii", MMP_RULE_BOOL, 1, 0, "Allows only ASCII passwords" },
	{ "no_username", MMP_RULE_BOOL, 1, 0, "Refuses passwords containing the user name" },
	{ "no_palindrome", MMP_RULE_BOOL, 1, 0, "Refuses palindromes" },
	{ "check_dictionary", MMP_RULE_BOOL, 1, 0,
	  "Refuses words of the uploaded file \"dictionary\"" },
	{ "max_failed_logins", MMP_RULE_NUM, 1000, 0,
	  "Locks an account after n failed logins (0: never)" },
	{ "max_idle", MMP_RULE_DAYS, 36500, 0,
	  "Locks an account after n days without login (0: never)" },
};

const size_t mmp_n_user_rules = sizeof(mmp_user_rules) / sizeof(mmp_user_rules[0]);

const struct mmp_user_rule *mmp_user_rule_find(const char *name)
{
	for (size_t i = 0; i < mmp_n_user_rules; i++)
		if (strcmp(mmp_user_rules[i].name, name) == 0)
			return &mmp_user_rules[i];
	return NULL;
}

long mmp_user_rule_value(json_object *doc, const char *name)
{
	const struct mmp_user_rule *r = mmp_user_rule_find(name);
	json_object *rules, *v;
	int64_t n;

	if (!r)
		return 0;
	if (!json_object_object_get_ex(doc, "user_rules", &rules) ||
	    !json_object_object_get_ex(rules, name, &v))
		return r->dflt;
	if (r->kind == MMP_RULE_BOOL)
		return json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v)
								 : r->dflt;
	if (!json_object_is_type(v, json_type_int))
		return r->dflt;
	n = json_object_get_int64(v);
	/* A hand-edited document cannot push a rule past its bounds. */
	if (n < 0 || (uint64_t)n > r->max)
		return r->dflt;
	return (long)n;
}

int mmp_user_rule_set(json_object *doc, const struct mmp_user_rule *r, unsigned long v,
		      struct strbuf *err)
{
	json_object *rules;

	if (v > r->max) {
		sb_printf(err, "Invalid value \"%lu\" for %s: it must be 0-%lu\n", v, r->name,
			  r->max);
		return -ERANGE;
	}
	if (!json_object_object_get_ex(doc, "user_rules", &rules) ||
	    !json_object_is_type(rules, json_type_object)) {
		rules = json_object_new_object();
		json_object_object_add(doc, "user_rules", rules);
	}
	if (r->kind == MMP_RULE_BOOL)
		json_object_object_add(rules, r->name, json_object_new_boolean(v != 0));
	else
		json_object_object_add(rules, r->name, json_object_new_int64((int64_t)v));
	return 0;
}

/* --- records ---------------------------------------------------------------- */

static json_object *users_obj(json_object *doc, bool create)
{
	json_object *u;

	if (json_object_object_get_ex(doc, "users", &u) && json_object_is_type(u, json_type_object))
		return u;
	if (!create)
		return NULL;
	u = json_object_new_object();
	json_object_object_add(doc, "users", u);
	return u;
}

json_object *mmp_user_get(json_object *doc, const char *name)
{
	json_object *users = users_obj(doc, false), *u;

	if (!users || !json_object_object_get_ex(users, name, &u) ||
	    !json_object_is_type(u, json_type_object))
		return NULL;
	return u;
}

static int64_t rec_int(json_object *user, const char *key, int64_t dflt)
{
	json_object *v;

	if (!json_object_object_get_ex(user, key, &v) || !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}

static void rec_set_int(json_object *user, const char *key, int64_t v)
{
	json_object_object_add(user, key, json_object_new_int64(v));
}

static bool rec_bool(json_object *user, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(user, key, &v) &&
	       json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

static const char *rec_str(json_object *user, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(user, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int mmp_user_role(json_object *doc, const char *name, unsigned *ret_role)
{
	json_object *u = mmp_user_get(doc, name);
	const char *role;

	if (!u)
		return -ENOENT;
	role = rec_str(u, "role");
	if (!role)
		return -EINVAL;
	return mmp_role_parse(role, ret_role);
}

size_t mmp_users_count_role(json_object *doc, unsigned role)
{
	json_object *users = users_obj(doc, false);
	size_t n = 0;

	if (!users)
		return 0;
	json_object_object_foreach(users, name, rec)
	{
		unsigned r;

		(void)rec;
		if (mmp_user_role(doc, name, &r) == 0 && r == role)
			n++;
	}
	return n;
}

static int cmp_json_str(const void *a, const void *b)
{
	json_object *const *x = a, *const *y = b;

	return strcmp(json_object_get_string(*x), json_object_get_string(*y));
}

json_object *mmp_users_names(json_object *doc)
{
	json_object *users = users_obj(doc, false), *arr = json_object_new_array();

	if (users) {
		json_object_object_foreach(users, name, rec)
		{
			if (json_object_is_type(rec, json_type_object))
				json_object_array_add(arr, json_object_new_string(name));
		}
	}
	json_object_array_sort(arr, cmp_json_str);
	return arr;
}

int mmp_user_create(json_object *doc, const char *name, unsigned role, const char *password,
		    time_t now)
{
	json_object *users = users_obj(doc, true), *u;
	const char *rname = mmp_role_name(role);
	char *hash = NULL;
	int r;

	if (!rname || cv_parse_username(name) < 0)
		return -EINVAL;
	if (mmp_user_get(doc, name))
		return -EEXIST;
	if ((size_t)json_object_object_length(users) >= MMP_USERS_MAX)
		return -ENOSPC;
	r = cv_pw_hash(password, &hash);
	if (r < 0)
		return r;
	u = json_object_new_object();
	json_object_object_add(u, "role", json_object_new_string(rname));
	json_object_object_add(u, "hash", json_object_new_string(hash));
	rec_set_int(u, "created", now);
	rec_set_int(u, "pw_changed", now);
	/* spec/mmp.md section 5: the user must change the password at
	 * first login. Not for api users: they authenticate to the REST API,
	 * which cannot ask for a new password ("user expire" is not valid for
	 * them either). */
	json_object_object_add(u, "must_change", json_object_new_boolean(role != MMP_ROLE_API));
	rec_set_int(u, "failed_logins", 0);
	json_object_object_add(users, name, u);
	free(hash);
	return 0;
}

int mmp_user_set_password(json_object *doc, const char *name, const char *password, time_t now)
{
	json_object *u = mmp_user_get(doc, name), *old, *hist, *nh;
	long keep = mmp_user_rule_value(doc, "max_history") - 1;
	const char *cur;
	char *hash = NULL;
	int r;

	if (!u)
		return -ENOENT;
	r = cv_pw_hash(password, &hash);
	if (r < 0)
		return r;
	/* The new history: the password being replaced, then the older
	 * ones, cut to the max_history - 1 that the rule compares. */
	nh = json_object_new_array();
	cur = rec_str(u, "hash");
	if (keep > 0 && cur)
		json_object_array_add(nh, json_object_new_string(cur));
	if (json_object_object_get_ex(u, "history", &old) &&
	    json_object_is_type(old, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(old); i++) {
			if ((long)json_object_array_length(nh) >= keep)
				break;
			hist = json_object_array_get_idx(old, i);
			if (json_object_is_type(hist, json_type_string))
				json_object_array_add(nh, json_object_get(hist));
		}
	}
	if (json_object_array_length(nh) > 0)
		json_object_object_add(u, "history", nh);
	else {
		json_object_put(nh);
		json_object_object_del(u, "history");
	}
	json_object_object_add(u, "hash", json_object_new_string(hash));
	rec_set_int(u, "pw_changed", now);
	json_object_object_add(u, "must_change", json_object_new_boolean(false));
	free(hash);
	return 0;
}

void mmp_users_defaults(json_object *doc)
{
	/* CMS factory credentials admin/admin, changed at first login
	 * (spec/mmp.md section 1.1). Only a document without users gets
	 * them: deleting users never brings them back. */
	if (users_obj(doc, false))
		return;
	/* Only crypt(3) itself can fail here. Then the document has no
	 * users; root still acts as admin (mmpd) and can add them. */
	if (mmp_user_create(doc, "admin", MMP_ROLE_ADMIN, "admin", cv_now()) < 0)
		json_object_object_del(doc, "users");
}

/* --- expiry and dates ---------------------------------------------------------- */

int64_t mmp_user_expiry(json_object *doc, json_object *user)
{
	long age = mmp_user_rule_value(doc, "password_age");

	if (age == 0)
		return MMP_NEVER;
	return rec_int(user, "pw_changed", 0) + (int64_t)age * MMP_DAY_SECONDS;
}

bool mmp_user_must_change(json_object *doc, const char *name, time_t now)
{
	json_object *u = mmp_user_get(doc, name), *v;

	if (!u)
		return false;
	if (json_object_object_get_ex(u, "must_change", &v) && json_object_get_boolean(v))
		return true;
	return mmp_user_expiry(doc, u) <= (int64_t)now;
}

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Month names from a table, not strftime("%b"): the output must not
 * depend on the locale mmpd runs in. */
static bool local_tm(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;

	return localtime_r(&tt, tm) != NULL && tm->tm_mon >= 0 && tm->tm_mon < 12;
}

void mmp_user_format_date(int64_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == MMP_NEVER || !local_tm(t, &tm) || tm.tm_year + 1900 > 9999) {
		snprintf(buf, len, "10000-Dec-31");
		return;
	}
	snprintf(buf, len, "%04d-%s-%02d", tm.tm_year + 1900, months[tm.tm_mon], tm.tm_mday);
}

void mmp_user_format_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!local_tm(t, &tm)) {
		snprintf(buf, len, "unknown");
		return;
	}
	snprintf(buf, len, "%04d-%s-%02d %02d:%02d:%02d", tm.tm_year + 1900, months[tm.tm_mon],
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* --- password checks -------------------------------------------------------------- */

/* Strict UTF-8 (no overlong forms, surrogates or values past U+10FFFF). */
static int utf8_decode(const char *s, uint32_t *cps, size_t max, size_t *ret_n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (*p) {
		uint32_t c = *p, min;
		int more;

		if (c < 0x80) {
			more = 0;
			min = 0;
		} else if ((c & 0xe0) == 0xc0) {
			c &= 0x1f;
			more = 1;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			c &= 0x0f;
			more = 2;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			c &= 0x07;
			more = 3;
			min = 0x10000;
		} else {
			return -EINVAL;
		}
		p++;
		for (int i = 0; i < more; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return -EINVAL;
			c = (c << 6) | (*p & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return -EINVAL;
		if (n == max)
			return -E2BIG;
		cps[n++] = c;
	}
	*ret_n = n;
	return 0;
}

static const char *plural(long n)
{
	return n == 1 ? "" : "s";
}

static uint32_t ascii_lower(uint32_t c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool is_palindrome(const uint32_t *cps, size_t n)
{
	for (size_t i = 0; i < n / 2; i++)
		if (ascii_lower(cps[i]) != ascii_lower(cps[n - 1 - i]))
			return false;
	return true;
}

/* Longest run of digits (digits true) or of one repeated code point. */
static size_t longest_run(const uint32_t *cps, size_t n, bool digits)
{
	size_t best = 0, run = 0;

	for (size_t i = 0; i < n; i++) {
		if (digits)
			run = (cps[i] >= '0' && cps[i] <= '9') ? run + 1 : 0;
		else
			run = (i > 0 && cps[i] == cps[i - 1]) ? run + 1 : 1;
		if (run > best)
			best = run;
	}
	return best;
}

/* 1 when password is, or contains, a word of the dictionary file; 0 when
 * not; a negative errno (with a line in err) when the file is unusable. */
static int dictionary_match(const struct mmp_env *env, const char *password, struct strbuf *err)
{
	char *text = NULL, *line, *save = NULL;
	int r;

	r = mmp_upload_read(env, MMP_DICTIONARY_FILE, MMP_DICTIONARY_MAX, &text, NULL);
	if (r == -ENOENT) {
		sb_puts(err, "The file \"" MMP_DICTIONARY_FILE
			     "\" has not been uploaded (check_dictionary)\n");
		return r;
	}
	if (r == -EFBIG) {
		sb_printf(err,
			  "The file \"" MMP_DICTIONARY_FILE
			  "\" is larger than %u MiB (check_dictionary)\n",
			  MMP_DICTIONARY_MAX >> 20);
		return r;
	}
	if (r < 0) {
		sb_printf(err,
			  "The file \"" MMP_DICTIONARY_FILE
			  "\" cannot be read: %s (check_dictionary)\n",
			  strerror(-r));
		return r;
	}
	r = 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t len;

		while (*line == ' ' || *line == '\t')
			line++;
		len = strlen(line);
		while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
				   line[len - 1] == '\t'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (strcasecmp(line, password) == 0 ||
		    (len >= MMP_DICTIONARY_MIN_WORD && strcasestr(password, line))) {
			r = 1;
			break;
		}
	}
	free(text);
	return r;
}

int mmp_dictionary_usable(const struct mmp_env *env, struct strbuf *err)
{
	int r = dictionary_match(env, "", err);

	return r < 0 ? r : 0;
}

/* True when password is the user's current one or one of the
 * max_history - 1 before it. */
static bool in_history(json_object *user, const char *password, long n)
{
	json_object *hist;
	const char *cur = rec_str(user, "hash");

	if (cur && cv_pw_verify(password, cur))
		return true;
	if (!json_object_object_get_ex(user, "history", &hist) ||
	    !json_object_is_type(hist, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(hist) && (long)i < n - 1; i++) {
		json_object *h = json_object_array_get_idx(hist, i);

		if (json_object_is_type(h, json_type_string) &&
		    cv_pw_verify(password, json_object_get_string(h)))
			return true;
	}
	return false;
}

static bool change_due(json_object *doc, json_object *user, time_t now)
{
	return rec_bool(user, "must_change") || mmp_user_expiry(doc, user) <= (int64_t)now;
}

int mmp_pw_check(json_object *doc, const struct mmp_pw_change *c, struct strbuf *err)
{
	uint32_t cps[MMP_PASSWORD_MAX];
	json_object *user = c->is_new_user ? NULL : mmp_user_get(doc, c->user);
	size_t n = 0, upper = 0, lower = 0, digits = 0, special = 0, start = err->len;
	bool ascii = true;
	long v;
	int r;

	r = utf8_decode(c->password, cps, MMP_PASSWORD_MAX, &n);
	if (r == -E2BIG) {
		sb_printf(err, "Password must be at most %d characters long\n", MMP_PASSWORD_MAX);
		return -EINVAL;
	}
	if (r < 0) {
		sb_puts(err, "Password is not valid UTF-8\n");
		return -EINVAL;
	}
	if (n == 0) {
		sb_puts(err, "Password must not be empty\n");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t ch = cps[i];

		if (ch < 0x20 || ch == 0x7f || (ch >= 0x80 && ch < 0xa0)) {
			sb_puts(err, "Password must not contain control characters\n");
			return -EINVAL;
		}
		upper += ch >= 'A' && ch <= 'Z';
		lower += ch >= 'a' && ch <= 'z';
		digits += ch >= '0' && ch <= '9';
		special += ch < 0x80 && strchr(MMP_SPECIAL_CHARS, (int)ch) != NULL;
		ascii = ascii && ch < 0x80;
	}

	/* In the order of the rule table. */
	v = mmp_user_rule_value(doc, "max_history");
	if (v > 0 && user && in_history(user, c->password, v)) {
		if (v == 1)
			sb_puts(err, "Password must differ from the current one (max_history)\n");
		else
			sb_printf(err,
				  "Password must not be one of the last %ld passwords "
				  "(max_history)\n",
				  v);
	}
	v = mmp_user_rule_value(doc, "min_password_age");
	if (v > 0 && user && !change_due(doc, user, c->now) &&
	    (int64_t)c->now - rec_int(user, "pw_changed", 0) < (int64_t)v * MMP_DAY_SECONDS)
		sb_printf(err,
			  "Password was changed less than %ld day%s ago and cannot be changed yet "
			  "(min_password_age)\n",
			  v, plural(v));
	v = mmp_user_rule_value(doc, "min_length");
	if ((long)n < v)
		sb_printf(err, "Password must be at least %ld character%s long (min_length)\n", v,
			  plural(v));
	v = mmp_user_rule_value(doc, "min_special");
	if ((long)special < v)
		sb_printf(err,
			  "Password must contain at least %ld special character%s from %s "
			  "(min_special)\n",
			  v, plural(v), MMP_SPECIAL_CHARS);
	v = mmp_user_rule_value(doc, "min_uppercase");
	if ((long)upper < v)
		sb_printf(err,
			  "Password must contain at least %ld uppercase letter%s (min_uppercase)\n",
			  v, plural(v));
	v = mmp_user_rule_value(doc, "min_lowercase");
	if ((long)lower < v)
		sb_printf(err,
			  "Password must contain at least %ld lowercase letter%s (min_lowercase)\n",
			  v, plural(v));
	v = mmp_user_rule_value(doc, "min_digits");
	if ((long)digits < v)
		sb_printf(err, "Password must contain at least %ld digit%s (min_digits)\n", v,
			  plural(v));
	v = mmp_user_rule_value(doc, "longest_digits_run");
	if (v > 0 && (long)longest_run(cps, n, true) > v)
		sb_printf(err,
			  "Password must not contain more than %ld consecutive digit%s "
			  "(longest_digits_run)\n",
			  v, plural(v));
	v = mmp_user_rule_value(doc, "max_repeated_char");
	if (v > 0 && (long)longest_run(cps, n, false) > v)
		sb_printf(err,
			  "Password must not repeat a character more than %ld time%s in a row "
			  "(max_repeated_char)\n",
			  v, plural(v));
	v = mmp_user_rule_value(doc, "min_changed_characters");
	if (v > 0 && c->old_password) {
		uint32_t old[MMP_PASSWORD_MAX];
		size_t on = 0, changed = 0;

		/* Positions past the end of the shorter one count as changed. */
		if (utf8_decode(c->old_password, old, MMP_PASSWORD_MAX, &on) < 0)
			on = 0;
		for (size_t i = 0; i < n || i < on; i++)
			changed += i >= n || i >= on || cps[i] != old[i];
		if ((long)changed < v)
			sb_printf(err,
				  "Password must differ from the current one in at least %ld "
				  "position%s (min_changed_characters)\n",
				  v, plural(v));
		explicit_bzero(old, sizeof(old));
	}
	if (mmp_user_rule_value(doc, "only_ascii") && !ascii)
		sb_puts(err, "Password must contain only ASCII characters (only_ascii)\n");
	if (mmp_user_rule_value(doc, "no_username") && c->user && c->user[0] &&
	    strcasestr(c->password, c->user))
		sb_puts(err, "Password must not contain the user name (no_username)\n");
	if (mmp_user_rule_value(doc, "no_palindrome") && is_palindrome(cps, n))
		sb_puts(err, "Password must not be a palindrome (no_palindrome)\n");
	if (mmp_user_rule_value(doc, "check_dictionary") &&
	    dictionary_match(c->env, c->password, err) == 1)
		sb_puts(err,
			"Password must not be or contain a dictionary word (check_dictionary)\n");
	explicit_bzero(cps, sizeof(cps));
	return err->len > start ? -EINVAL : 0;
}

/* --- duty hours ------------------------------------------------------------------- */

static const struct {
	const char code[3];
	uint8_t days;
} day_codes[] = {
	{ "Su", 1u << 0 }, { "Mo", 1u << 1 }, { "Tu", 1u << 2 }, { "We", 1u << 3 },
	{ "Th", 1u << 4 }, { "Fr", 1u << 5 }, { "Sa", 1u << 6 }, { "Wk", 0x3e },
	{ "Wd", 0x41 },	   { "Al", 0x7f },
};

/* Four digits HHMM: 0000-2359, or 2400 when end is true. */
static int parse_hhmm(const char *s, bool end, uint16_t *ret)
{
	unsigned hh, mm;

	for (int i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	hh = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
	mm = (unsigned)(s[2] - '0') * 10 + (unsigned)(s[3] - '0');
	if (mm > 59 || hh > 24 || (hh == 24 && (mm != 0 || !end)))
		return -EINVAL;
	*ret = (uint16_t)(hh * 60 + mm);
	return 0;
}

static int parse_term(const char *s, size_t len, struct mmp_duty_term *t, char *msg, size_t msglen)
{
	const char *p = s, *e = s + len;
	bool any = false;

	memset(t, 0, sizeof(*t));
	if (p < e && *p == '!') {
		t->negate = true;
		p++;
	}
	while (p + 1 < e && isalpha((unsigned char)*p)) {
		size_t i;

		for (i = 0; i < sizeof(day_codes) / sizeof(day_codes[0]); i++)
			if (p[0] == day_codes[i].code[0] && p[1] == day_codes[i].code[1])
				break;
		if (i == sizeof(day_codes) / sizeof(day_codes[0])) {
			snprintf(msg, msglen, "unknown day code \"%.2s\"", p);
			return -EINVAL;
		}
		/* A day named again is unset (spec/mmp.md section 5). */
		t->days ^= day_codes[i].days;
		any = true;
		p += 2;
	}
	if (!any) {
		snprintf(msg, msglen, "\"%.*s\" does not start with a day code", (int)len, s);
		return -EINVAL;
	}
	if (t->days == 0) {
		snprintf(msg, msglen, "\"%.*s\" selects no day (a repeated day unsets it)",
			 (int)len, s);
		return -EINVAL;
	}
	if (e - p != 9 || p[4] != '-' || parse_hhmm(p, false, &t->start) < 0 ||
	    parse_hhmm(p + 5, true, &t->end) < 0) {
		snprintf(msg, msglen, "\"%.*s\" needs a time range HHMM-HHMM after the days",
			 (int)len, s);
		return -EINVAL;
	}
	if (t->start == t->end) {
		snprintf(msg, msglen, "\"%.*s\" has an empty time range", (int)len, s);
		return -EINVAL;
	}
	return 0;
}

int mmp_duty_parse(const char *spec, struct mmp_duty_term *terms, size_t max, size_t *ret_n,
		   char *msg, size_t msglen)
{
	size_t n = 0, len = strlen(spec);
	const char *p = spec;

	if (len == 0 || len > MMP_DUTY_MAX) {
		snprintf(msg, msglen, "it must be 1-%d characters long", MMP_DUTY_MAX);
		return -EINVAL;
	}
	for (;;) {
		const char *bar = strchr(p, '|');
		size_t tl = bar ? (size_t)(bar - p) : strlen(p);

		if (tl == 0) {
			snprintf(msg, msglen, "empty alternative");
			return -EINVAL;
		}
		if (n == max) {
			snprintf(msg, msglen, "more than %zu alternatives", max);
			return -EINVAL;
		}
		if (parse_term(p, tl, &terms[n], msg, msglen) < 0)
			return -EINVAL;
		n++;
		if (!bar)
			break;
		p = bar + 1;
	}
	*ret_n = n;
	return 0;
}

static bool term_matches(const struct mmp_duty_term *t, int wday, int minute)
{
	int prev = (wday + 6) % 7;

	if (t->start < t->end)
		return (t->days & (1u << wday)) && minute >= t->start && minute < t->end;
	/* Past midnight: the evening of a chosen day, or the early hours of
	 * the day after one. */
	return ((t->days & (1u << wday)) && minute >= t->start) ||
	       ((t->days & (1u << prev)) && minute < t->end);
}

bool mmp_duty_allows(const struct mmp_duty_term *terms, size_t n, int wday, int minute)
{
	for (size_t i = 0; i < n; i++)
		if (term_matches(&terms[i], wday, minute) != terms[i].negate)
			return true;
	return false;
}

/* --- hosts and login ------------------------------------------------------------ */

/* A login's source address. */
struct mmp_addr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char b[sizeof(struct in6_addr)];
};

/* inet_pton(AF_INET6) of s, which may end in a zone ("%eth0", RFC 4007
 * section 11: what sshd gives for a link-local peer); the zone is checked
 * and left out of the comparison. s is changed. */
static bool parse_ipv6(char *s, unsigned char *ret)
{
	char *zone = strchr(s, '%');

	if (zone) {
		size_t n = strlen(zone + 1);

		if (n == 0 || n >= IF_NAMESIZE || strspn(zone + 1, "abcdefghijklmnopqrstuvwxyz"
						  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n)
			return false;
		*zone = '\0';
	}
	return inet_pton(AF_INET6, s, ret) == 1;
}

/* The address of from: a bare IPv4 or IPv6 address (PAM_RHOST), "<IPv4>:<port>"
 * or "[<IPv6>]:<port>" (mmp, from SSH_CLIENT). An IPv4-mapped IPv6 address
 * is its IPv4 address. -EINVAL for anything else, "console" included. */
static int from_address(const char *from, struct mmp_addr *ret)
{
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 8];
	char *end;
	uint16_t port;
	size_t n = strlen(from);
	struct mmp_addr a = { 0 };

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, from, n + 1);
	if (buf[0] == '[') {
		/* "[v6]:port": the brackets of RFC 5952 section 6. */
		end = strchr(buf, ']');
		if (!end || end[1] != ':' || cv_parse_port(end + 2, &port) < 0)
			return -EINVAL;
		*end = '\0';
		if (!parse_ipv6(buf + 1, a.b))
			return -EINVAL;
		a.family = AF_INET6;
	} else if (strchr(buf, ':') != strrchr(buf, ':')) {
		/* Two colons or more: only a bare IPv6 address. */
		if (!parse_ipv6(buf, a.b))
			return -EINVAL;
		a.family = AF_INET6;
	} else {
		char *colon = strchr(buf, ':');

		if (colon) {
			if (cv_parse_port(colon + 1, &port) < 0)
				return -EINVAL;
			*colon = '\0';
		}
		if (inet_pton(AF_INET, buf, a.b) != 1)
			return -EINVAL;
		a.family = AF_INET;
	}
	if (a.family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a.b)) {
		memmove(a.b, a.b + 12, 4);
		a.family = AF_INET;
	}
	*ret = a;
	return 0;
}

bool mmp_from_valid(const char *from)
{
	struct mmp_addr a;

	return strcmp(from, "console") == 0 || from_address(from, &a) == 0;
}

static bool addr_equal(const struct mmp_addr *a, int family, const void *b)
{
	return a->family == family && memcmp(a->b, b, family == AF_INET ? 4 : 16) == 0;
}

/* Does the allowed-hosts entry h (an address or a host name) stand for a? */
static bool host_matches(const char *h, const struct mmp_addr *a)
{
	unsigned char b[sizeof(struct in6_addr)];
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	bool hit = false;

	if (inet_pton(AF_INET, h, b) == 1)
		return addr_equal(a, AF_INET, b);
	if (inet_pton(AF_INET6, h, b) == 1)
		return addr_equal(a, AF_INET6, b);
	/* A name entry allows the addresses it resolves to, of either family. */
	if (getaddrinfo(h, NULL, &hints, &res) != 0)
		return false;
	for (struct addrinfo *ai = res; ai && !hit; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			hit = addr_equal(a, AF_INET,
					 &((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr);
		else if (ai->ai_family == AF_INET6)
			hit = addr_equal(
				a, AF_INET6,
				&((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr);
	}
	freeaddrinfo(res);
	return hit;
}

bool mmp_user_host_allowed(json_object *user, const char *from)
{
	json_object *hosts;
	struct mmp_addr a;

	if (!json_object_object_get_ex(user, "hosts", &hosts) ||
	    !json_object_is_type(hosts, json_type_array) || json_object_array_length(hosts) == 0)
		return true;
	if (!from || strcmp(from, "console") == 0)
		return true;
	/* Anything but an address fails closed. */
	if (from_address(from, &a) < 0)
		return false;
	for (size_t i = 0; i < json_object_array_length(hosts); i++) {
		const char *h = json_object_get_string(json_object_array_get_idx(hosts, i));

		if (h && host_matches(h, &a))
			return true;
	}
	return false;
}

int mmp_user_unlock(json_object *doc, const char *name, time_t now)
{
	json_object *u = mmp_user_get(doc, name);

	if (!u)
		return -ENOENT;
	json_object_object_del(u, "locked");
	rec_set_int(u, "failed_logins", 0);
	rec_set_int(u, "unlocked", now);
	return 0;
}

/* The checks a login passes before its password: the lock (max_idle locks
 * here), the allowed hosts and the duty hours. */
static int login_allowed(json_object *doc, json_object *u, time_t now, const char *from,
			 char *msg, size_t msglen)
{
	const char *locked = rec_str(u, "locked"), *duty;
	long max_idle;

	if (locked) {
		snprintf(msg, msglen, "Account locked (%s)",
			 strcmp(locked, "idle") == 0 ? "max_idle" : "max_failed_logins");
		return -EPERM;
	}
	max_idle = mmp_user_rule_value(doc, "max_idle");
	if (max_idle > 0) {
		/* Idle since the last login, or since the account was created
		 * or unlocked when that is later. */
		int64_t ref = rec_int(u, "last_login", 0);

		if (rec_int(u, "created", 0) > ref)
			ref = rec_int(u, "created", 0);
		if (rec_int(u, "unlocked", 0) > ref)
			ref = rec_int(u, "unlocked", 0);
		if (ref > 0 && (int64_t)now - ref >= (int64_t)max_idle * MMP_DAY_SECONDS) {
			json_object_object_add(u, "locked", json_object_new_string("idle"));
			snprintf(msg, msglen, "Account locked: no login for %ld days (max_idle)",
				 max_idle);
			return -EPERM;
		}
	}
	if (!mmp_user_host_allowed(u, from)) {
		snprintf(msg, msglen, "Login from %s is not allowed for this user", from);
		return -EADDRNOTAVAIL;
	}
	duty = rec_str(u, "duty");
	if (duty) {
		struct mmp_duty_term terms[MMP_DUTY_TERMS_MAX];
		char why[128];
		size_t n;
		struct tm tm;
		time_t tt = now;

		/* An unparsable stored spec fails closed. */
		if (mmp_duty_parse(duty, terms, MMP_DUTY_TERMS_MAX, &n, why, sizeof(why)) < 0 ||
		    !localtime_r(&tt, &tm) ||
		    !mmp_duty_allows(terms, n, tm.tm_wday, tm.tm_hour * 60 + tm.tm_min)) {
			snprintf(msg, msglen, "Login is not allowed at this time (duty hours)");
			return -ETIME;
		}
	}
	return 0;
}

/* -EKEYEXPIRED when the password must be changed before anything else. */
static int change_now(json_object *doc, json_object *u, time_t now, char *msg, size_t msglen)
{
	if (rec_bool(u, "must_change")) {
		snprintf(msg, msglen, "The password must be changed now");
		return -EKEYEXPIRED;
	}
	if (mmp_user_expiry(doc, u) <= (int64_t)now) {
		snprintf(msg, msglen, "The password has expired and must be changed now");
		return -EKEYEXPIRED;
	}
	return 0;
}

int mmp_user_login(json_object *doc, const char *name, const char *password, time_t now,
		   const char *from, char *msg, size_t msglen)
{
	json_object *u = mmp_user_get(doc, name);
	long max_failed;
	int64_t failed;
	int r;

	if (!u) {
		snprintf(msg, msglen, "No such user \"%s\"", name);
		return -ENOENT;
	}
	r = login_allowed(doc, u, now, from, msg, msglen);
	if (r < 0)
		return r;
	if (!cv_pw_verify(password, rec_str(u, "hash"))) {
		failed = rec_int(u, "failed_logins", 0) + 1;
		rec_set_int(u, "failed_logins", failed);
		max_failed = mmp_user_rule_value(doc, "max_failed_logins");
		if (max_failed > 0 && failed >= max_failed)
			json_object_object_add(u, "locked",
					       json_object_new_string("failed_logins"));
		snprintf(msg, msglen, "Wrong password");
		return -EACCES;
	}
	rec_set_int(u, "failed_logins", 0);
	rec_set_int(u, "last_login", now);
	if (from)
		json_object_object_add(u, "last_login_from", json_object_new_string(from));
	r = change_now(doc, u, now, msg, msglen);
	if (r == 0)
		snprintf(msg, msglen, "Logged in");
	return r;
}

int mmp_user_account(json_object *doc, const char *name, time_t now, const char *from, char *msg,
		     size_t msglen)
{
	json_object *u = mmp_user_get(doc, name);
	int r;

	if (!u) {
		snprintf(msg, msglen, "No such user \"%s\"", name);
		return -ENOENT;
	}
	r = login_allowed(doc, u, now, from, msg, msglen);
	if (r == 0)
		r = change_now(doc, u, now, msg, msglen);
	if (r == 0)
		snprintf(msg, msglen, "Account usable");
	return r;
}
