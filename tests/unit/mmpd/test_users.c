// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for MMP user accounts (services/mmpd/users.c, services/mmpd/cmd_user.c):
 * hashing, every password rule accepting and refusing, history, expiry,
 * duty hours, the login check with lockout and unlock, and the user
 * commands run through the command engine. Every clock is a fixed value
 * (TZ=UTC); nothing sleeps.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/pwhash.h"
#include "lib/clock.h"
#include "lib/mem.h"
#include "lib/cmd.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/upload.h"
#include "services/mmpd/users.h"
#include "tests/unit/tap.h"

/* Sat 2024-06-15 12:00:00 UTC. */
#define T0 ((time_t)1718452800)
#define DAY MMP_DAY_SECONDS

static char upload_dir[] = "/tmp/test_users.XXXXXX";
/* The handlers' upload directory: mmp_local_ops on upload_dir. */
static struct mmp_local_dir updir = { .dirfd = -1 };
static struct mmp_env env = { .ops = &mmp_local_ops, .opaque = &updir };

static json_object *new_doc(void)
{
	json_object *doc = json_object_new_object();

	mmp_users_defaults(doc);
	return doc;
}

static void set_rule(json_object *doc, const char *name, unsigned long v)
{
	struct strbuf err = STRBUF_INIT;

	if (mmp_user_rule_set(doc, mmp_user_rule_find(name), v, &err) < 0)
		printf("# set_rule %s: %s", name, sb_str(&err));
	sb_free(&err);
}

/* Runs the rule checks; returns the violation lines ("" when accepted).
 * The result is static. */
static const char *check(json_object *doc, const char *user, const char *pw, const char *old,
			 bool is_new, time_t now)
{
	static char buf[4096];
	struct mmp_pw_change c = { user, pw, old, &env, now, is_new };
	struct strbuf err = STRBUF_INIT;
	int r = mmp_pw_check(doc, &c, &err);

	snprintf(buf, sizeof(buf), "%s", sb_str(&err));
	if ((r < 0) != (buf[0] != '\0'))
		snprintf(buf, sizeof(buf), "result %d disagrees with the message", r);
	sb_free(&err);
	return buf;
}

/* True when the check of pw refuses it naming rule (and nothing else). */
static bool refused_by(json_object *doc, const char *user, const char *pw, const char *rule)
{
	const char *m = check(doc, user, pw, NULL, true, T0);
	char tag[64];

	snprintf(tag, sizeof(tag), "(%s)\n", rule);
	if (!strstr(m, tag) || strchr(m, '\n') != m + strlen(m) - 1) {
		printf("# got: %s", m);
		return false;
	}
	return true;
}

static bool accepted(json_object *doc, const char *user, const char *pw)
{
	const char *m = check(doc, user, pw, NULL, true, T0);

	if (m[0])
		printf("# got: %s", m);
	return m[0] == '\0';
}

static void write_file(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", upload_dir, name);
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(path);
}

static void test_hashing(void)
{
	char *h1 = NULL, *h2 = NULL;

	ok(cv_pw_hash("Secret.123", &h1) == 0, "hash a password");
	ok(h1 && strncmp(h1, "$y$", 3) == 0, "the hash is yescrypt ($y$)");
	ok(cv_pw_hash("Secret.123", &h2) == 0 && strcmp(h1, h2) != 0,
	   "two hashes of one password differ (fresh salt)");
	ok(cv_pw_verify("Secret.123", h1), "the right password verifies");
	ok(!cv_pw_verify("Secret.124", h1), "a wrong password does not");
	ok(!cv_pw_verify("", h1), "an empty password does not");
	ok(!cv_pw_verify("Secret.123", NULL), "a missing hash verifies nothing");
	/* crypt("admin", "gaYVtWOEm1Uu6") would compute traditional DES. */
	ok(!cv_pw_verify("admin", "gaYVtWOEm1Uu6"), "a DES hash is refused");
	ok(cv_pw_verify("admin",
			 "$6$abc$P6yIxESFrlWU3nxdnlf.KBBBE05eZvSkNklUihdVYMYkLC.WSHUU1FF5d75"
			 "FZfMUeOtyvM1wnaDtTm4FjaP/K0"),
	   "a SHA-512 ($6$) hash verifies (the fallback)");
	ok(!cv_pw_verify("admin",
			  "$6$abc$P6yIxESFrlWU3nxdnlf.KBBBE05eZvSkNklUihdVYMYkLC.WSHUU1FF5d75"
			  "FZfMUeOtyvM1wnaDtTm4FjaP/K1"),
	   "a SHA-512 hash with one changed character does not");
	free(h1);
	free(h2);
}

static void test_defaults(void)
{
	json_object *doc = new_doc(), *admin = mmp_user_get(doc, "admin"), *v;
	unsigned role = 0;
	const char *hash;

	ok(admin != NULL, "defaults create admin");
	ok(mmp_user_role(doc, "admin", &role) == 0 && role == MMP_ROLE_ADMIN,
	   "admin has role admin");
	ok(mmp_user_role(doc, "nobody", &role) == -ENOENT, "no role for an unknown user");
	json_object_object_get_ex(admin, "hash", &v);
	hash = json_object_get_string(v);
	ok(strncmp(hash, "$y$", 3) == 0 && strstr(hash, "admin") == NULL,
	   "the admin password is stored hashed");
	ok(cv_pw_verify("admin", hash), "the factory password is admin");
	json_object_object_get_ex(admin, "must_change", &v);
	ok(json_object_get_boolean(v), "admin must change the password at first login");
	mmp_user_set_password(doc, "admin", "Other.pw1", T0);
	mmp_users_defaults(doc);
	json_object_object_get_ex(mmp_user_get(doc, "admin"), "hash", &v);
	ok(cv_pw_verify("Other.pw1", json_object_get_string(v)),
	   "defaults leave an existing user list alone");
	json_object_put(doc);
}

static void test_rules_table(void)
{
	json_object *doc = json_object_new_object(), *rules, *v;
	struct strbuf err = STRBUF_INIT;

	ok(mmp_n_user_rules == 17, "17 rules");
	ok(mmp_user_rule_value(doc, "password_age") == 180, "password_age defaults to 180 days");
	ok(mmp_user_rule_value(doc, "min_length") == 0, "other rules default to off");
	ok(mmp_user_rule_set(doc, mmp_user_rule_find("min_length"), 257, &err) == -ERANGE,
	   "min_length 257 is out of range");
	is_str(sb_str(&err), "Invalid value \"257\" for min_length: it must be 0-256\n",
	       "the range message");
	ok(mmp_user_rule_set(doc, mmp_user_rule_find("max_history"), 25, &err) == -ERANGE,
	   "max_history 25 is out of range");
	ok(mmp_user_rule_set(doc, mmp_user_rule_find("no_palindrome"), 1, &err) == 0 &&
		   mmp_user_rule_value(doc, "no_palindrome") == 1,
	   "set a boolean rule");
	json_object_object_get_ex(doc, "user_rules", &rules);
	ok(json_object_object_get_ex(rules, "no_palindrome", &v) &&
		   json_object_is_type(v, json_type_boolean),
	   "booleans are stored as JSON booleans");
	set_rule(doc, "password_age", 0);
	ok(mmp_user_rule_value(doc, "password_age") == 0, "password_age 0 is kept (never expires)");
	json_object_object_add(rules, "min_length", json_object_new_int(100000));
	ok(mmp_user_rule_value(doc, "min_length") == 0,
	   "an out-of-range stored value reads as the default");
	sb_free(&err);
	json_object_put(doc);
}

static void test_basic_password(void)
{
	json_object *doc = new_doc();
	char big[MMP_PASSWORD_MAX + 2];

	ok(accepted(doc, "bob", "x"), "no rules: any non-empty password");
	ok(strcmp(check(doc, "bob", "", NULL, true, T0), "Password must not be empty\n") == 0,
	   "an empty password is refused");
	is_str(check(doc, "bob", "ab\x01" "cd", NULL, true, T0),
	       "Password must not contain control characters\n", "control characters are refused");
	is_str(check(doc, "bob", "ab\xc3(", NULL, true, T0), "Password is not valid UTF-8\n",
	       "invalid UTF-8 is refused");
	is_str(check(doc, "bob", "\xc0\xaf", NULL, true, T0), "Password is not valid UTF-8\n",
	       "overlong UTF-8 is refused");
	memset(big, 'a', sizeof(big));
	big[MMP_PASSWORD_MAX] = '\0';
	ok(accepted(doc, "bob", big), "256 characters are accepted");
	big[MMP_PASSWORD_MAX] = 'b';
	big[MMP_PASSWORD_MAX + 1] = '\0';
	is_str(check(doc, "bob", big, NULL, true, T0),
	       "Password must be at most 256 characters long\n", "257 characters are refused");
	json_object_put(doc);
}

static void test_each_rule(void)
{
	json_object *doc;

	doc = new_doc();
	set_rule(doc, "min_length", 8);
	ok(refused_by(doc, "bob", "abc1234", "min_length"), "min_length refuses 7 characters");
	is_str(check(doc, "bob", "abc", NULL, true, T0),
	       "Password must be at least 8 characters long (min_length)\n", "min_length message");
	ok(accepted(doc, "bob", "abcd1234"), "min_length accepts 8");
	ok(accepted(doc, "bob", "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"),
	   "min_length counts characters, not bytes (8 x U+00E4)");
	ok(refused_by(doc, "bob", "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4", "min_length"),
	   "4 two-byte characters are 4 characters");
	json_object_put(doc);

	doc = new_doc();
	set_rule(doc, "min_special", 2);
	ok(refused_by(doc, "bob", "abc!def", "min_special"), "min_special refuses one special");
	ok(refused_by(doc, "bob", "abc-~[]{}def", "min_special"),
	   "min_special does not count characters outside its set");
	ok(accepted(doc, "bob", "a!b?"), "min_special accepts two");
	set_rule(doc, "min_special", 21);
	ok(accepted(doc, "bob", MMP_SPECIAL_CHARS), "every character of the set counts");
	set_rule(doc, "min_special", 1);
	is_str(check(doc, "bob", "abc", NULL, true, T0),
	       "Password must contain at least 1 special character from !@#$%^&*()_+=?><,.\"\\/ "
	       "(min_special)\n",
	       "min_special message");
	json_object_put(doc);

	doc = new_doc();
	set_rule(doc, "min_uppercase", 2);
	ok(refused_by(doc, "bob", "Abcdef", "min_uppercase"), "min_uppercase refuses one");
	ok(accepted(doc, "bob", "AbcdeF"), "min_uppercase accepts two");
	is_str(check(doc, "bob", "abc", NULL, true, T0),
	       "Password must contain at least 2 uppercase letters (min_uppercase)\n",
	       "min_uppercase message");
	json_object_put(doc);

	doc = new_doc();
	set_rule(doc, "min_lowercase", 3);
	ok(refused_by(doc, "bob", "ABcd12", "min_lowercase"), "min_lowercase refuses two");
	ok(accepted(doc, "bob", "ABcde12"), "min_lowercase accepts three");
	json_object_put(doc);

	doc = new_doc();
	set_rule(doc, "min_digits", 2);
	ok(refused_by(doc, "bob", "abc1", "min_digits"), "min_digits refuses one");
	ok(accepted(doc, "bob", "1abc2"), "min_digits accepts two");
	is_str(check(doc, "bob", "abc", NULL, true, T0),
	       "Password must contain at least 2 digits (min_digits)\n", "min_digits message");
	json_object_put(doc);

	doc = new_doc();
	set_rule(doc, "longest_digits_run", 3);
	ok(refused_by(doc, "bob", "ab1234", "longest_digits_run"),
	   "longest_digits_run refuses 4 digits in a row");
	ok(accepted(doc, "bob", "a123b456c789"), "longest_digits_run accepts runs of 3");
	is_str(check(doc, "bob", "12345", NULL, true, T0),
	       "Password must not contain more than 3 consecutive digits (longest_digits_run)\n",
	       "longest_digits_run message");
	json_object_put(doc);

	doc = new_doc();
	set_rule(doc, "max_repeated_char", 2);
	ok(refused_by(doc, "bob", "abbbc", "max_repeated_char"), "max_repeated_char refuses bbb");
	ok(accepted(doc, "bob", "aabbccaa"), "max_repeated_char accepts pairs");
	ok(refused_by(doc, "bob", "x\xc3\xa4\xc3\xa4\xc3\xa4", "max_repeated_char"),
	   "max_repeated_char sees repeated multibyte characters");
	json_object_put(doc);

	doc = new_doc();
	set_rule(doc, "only_ascii", 1);
	ok(refused_by(doc, "bob", "p\xc3\xa4ssword", "only_ascii"), "only_ascii refuses U+00E4");
	ok(accepted(doc, "bob", "password!"), "only_ascii accepts ASCII");
	set_rule(doc, "only_ascii", 0);
	ok(accepted(doc, "bob", "p\xc3\xa4ssword"), "only_ascii false accepts U+00E4");
	json_object_put(doc);

	doc = new_doc();
	set_rule(doc, "no_username", 1);
	ok(refused_by(doc, "bob", "xxBoBxx", "no_username"),
	   "no_username refuses the name in any case");
	ok(accepted(doc, "bob", "robert"), "no_username accepts other words");
	json_object_put(doc);

	doc = new_doc();
	set_rule(doc, "no_palindrome", 1);
	ok(refused_by(doc, "bob", "abcCBA", "no_palindrome"), "no_palindrome refuses abcCBA");
	ok(refused_by(doc, "bob", "racecar", "no_palindrome"), "no_palindrome refuses racecar");
	ok(accepted(doc, "bob", "abcd"), "no_palindrome accepts abcd");
	json_object_put(doc);

	doc = new_doc();
	write_file(MMP_DICTIONARY_FILE, "secret\r\n  Dragon  \n\nab\n");
	set_rule(doc, "check_dictionary", 1);
	ok(refused_by(doc, "bob", "SECRET", "check_dictionary"),
	   "check_dictionary refuses a word, ignoring case");
	ok(refused_by(doc, "bob", "my-dragon-1", "check_dictionary"),
	   "check_dictionary refuses a contained word");
	ok(refused_by(doc, "bob", "Ab", "check_dictionary"),
	   "check_dictionary refuses a short word as the whole password");
	ok(accepted(doc, "bob", "xaby!"), "a short word inside the password is allowed");
	ok(accepted(doc, "bob", "Tr0ub4dor"), "check_dictionary accepts other passwords");
	{
		char *p = xasprintf("%s/%s", upload_dir, MMP_DICTIONARY_FILE);
		int fd;
		struct strbuf err = STRBUF_INIT;

		unlink(p);
		is_str(check(doc, "bob", "Tr0ub4dor", NULL, true, T0),
		       "The file \"dictionary\" has not been uploaded (check_dictionary)\n",
		       "a missing dictionary fails closed");
		ok(mmp_dictionary_usable(&env, &err) == -ENOENT,
		   "mmp_dictionary_usable: missing");
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		ok(fd >= 0 && ftruncate(fd, MMP_DICTIONARY_MAX + 1) == 0, "make a big dictionary");
		if (fd >= 0)
			close(fd);
		is_str(check(doc, "bob", "Tr0ub4dor", NULL, true, T0),
		       "The file \"dictionary\" is larger than 4 MiB (check_dictionary)\n",
		       "an oversized dictionary is refused");
		unlink(p);
		free(p);
		sb_free(&err);
	}
	json_object_put(doc);

	doc = new_doc();
	set_rule(doc, "min_changed_characters", 3);
	is_str(check(doc, "admin", "abcdxy", "abcdef", false, T0),
	       "Password must differ from the current one in at least 3 positions "
	       "(min_changed_characters)\n",
	       "min_changed_characters refuses 2 changed positions");
	is_str(check(doc, "admin", "abcxyz", "abcdef", false, T0), "",
	       "min_changed_characters accepts 3");
	is_str(check(doc, "admin", "abcdefgh1", "abcdef", false, T0), "",
	       "added positions count as changed");
	is_str(check(doc, "admin", "abcdxy", NULL, false, T0), "",
	       "without the old password the rule cannot apply");
	json_object_put(doc);

	doc = new_doc();
	set_rule(doc, "min_length", 10);
	set_rule(doc, "min_digits", 1);
	set_rule(doc, "no_username", 1);
	is_str(check(doc, "bob", "bobby", NULL, true, T0),
	       "Password must be at least 10 characters long (min_length)\n"
	       "Password must contain at least 1 digit (min_digits)\n"
	       "Password must not contain the user name (no_username)\n",
	       "every violated rule is reported, one line each");
	json_object_put(doc);
}

static void test_history_and_age(void)
{
	json_object *doc = new_doc(), *u, *hist;

	set_rule(doc, "max_history", 3);
	ok(mmp_user_create(doc, "bob", MMP_ROLE_ADMIN, "pw-one", T0) == 0, "create bob");
	ok(mmp_user_create(doc, "bob", MMP_ROLE_ADMIN, "pw-one", T0) == -EEXIST,
	   "create refuses a duplicate");
	mmp_user_set_password(doc, "bob", "pw-two", T0 + 1 * DAY);
	mmp_user_set_password(doc, "bob", "pw-three", T0 + 2 * DAY);
	u = mmp_user_get(doc, "bob");
	ok(json_object_object_get_ex(u, "history", &hist) && json_object_array_length(hist) == 2,
	   "history keeps max_history - 1 earlier hashes");
	is_str(check(doc, "bob", "pw-three", NULL, false, T0 + 3 * DAY),
	       "Password must not be one of the last 3 passwords (max_history)\n",
	       "the current password is refused");
	ok(strstr(check(doc, "bob", "pw-one", NULL, false, T0 + 3 * DAY), "(max_history)") != NULL,
	   "the password from two changes ago is refused");
	is_str(check(doc, "bob", "pw-four", NULL, false, T0 + 3 * DAY), "",
	       "a new password is accepted");
	mmp_user_set_password(doc, "bob", "pw-four", T0 + 3 * DAY);
	is_str(check(doc, "bob", "pw-one", NULL, false, T0 + 4 * DAY), "",
	       "a password older than the last 3 is accepted again");
	ok(json_object_object_get_ex(u, "history", &hist) && json_object_array_length(hist) == 2,
	   "the history stays at 2 earlier hashes");
	set_rule(doc, "max_history", 1);
	is_str(check(doc, "bob", "pw-four", NULL, false, T0 + 4 * DAY),
	       "Password must differ from the current one (max_history)\n",
	       "max_history 1 refuses only the current password");
	is_str(check(doc, "bob", "pw-three", NULL, false, T0 + 4 * DAY), "",
	       "max_history 1 accepts the one before");
	mmp_user_set_password(doc, "bob", "pw-five", T0 + 4 * DAY);
	ok(!json_object_object_get_ex(u, "history", &hist), "max_history 1 keeps no history");
	set_rule(doc, "max_history", 0);
	is_str(check(doc, "bob", "pw-five", NULL, false, T0 + 4 * DAY), "",
	       "max_history 0 allows the current password");

	/* min_password_age: last change at T0 + 4 days. */
	set_rule(doc, "min_password_age", 2);
	is_str(check(doc, "bob", "pw-six", NULL, false, T0 + 5 * DAY),
	       "Password was changed less than 2 days ago and cannot be changed yet "
	       "(min_password_age)\n",
	       "min_password_age refuses a change after 1 day");
	is_str(check(doc, "bob", "pw-six", NULL, false, T0 + 6 * DAY), "",
	       "min_password_age accepts after 2 days");
	is_str(check(doc, "newbie", "pw-six", NULL, true, T0 + 5 * DAY), "",
	       "min_password_age does not apply to a new user");
	json_object_object_add(u, "must_change", json_object_new_boolean(true));
	is_str(check(doc, "bob", "pw-six", NULL, false, T0 + 5 * DAY), "",
	       "user expire overrides min_password_age");
	json_object_object_add(u, "must_change", json_object_new_boolean(false));
	set_rule(doc, "password_age", 1);
	is_str(check(doc, "bob", "pw-six", NULL, false, T0 + 5 * DAY), "",
	       "an expired password may be changed whatever min_password_age says");
	json_object_put(doc);
}

static void test_expiry(void)
{
	json_object *doc = new_doc(), *u;
	char buf[32];

	mmp_user_create(doc, "bob", MMP_ROLE_API, "pw", T0);
	u = mmp_user_get(doc, "bob");
	ok(mmp_user_expiry(doc, u) == (int64_t)T0 + 180 * DAY, "default expiry is 180 days");
	mmp_user_format_date(mmp_user_expiry(doc, u), buf, sizeof(buf));
	is_str(buf, "2024-Dec-12", "expiry date format %%Y-%%b-%%d");
	set_rule(doc, "password_age", 30);
	ok(mmp_user_expiry(doc, u) == (int64_t)T0 + 30 * DAY, "password_age 30");
	mmp_user_set_password(doc, "bob", "pw2", T0 + 10 * DAY);
	ok(mmp_user_expiry(doc, u) == (int64_t)T0 + 40 * DAY, "a change restarts the clock");
	set_rule(doc, "password_age", 0);
	ok(mmp_user_expiry(doc, u) == MMP_NEVER, "password_age 0: never");
	mmp_user_format_date(MMP_NEVER, buf, sizeof(buf));
	is_str(buf, "10000-Dec-31", "never prints 10000-Dec-31");
	mmp_user_format_time(T0, buf, sizeof(buf));
	is_str(buf, "2024-Jun-15 12:00:00", "time format");
	json_object_put(doc);
}

static bool duty_ok(const char *spec)
{
	struct mmp_duty_term t[MMP_DUTY_TERMS_MAX];
	char msg[160];
	size_t n;

	return mmp_duty_parse(spec, t, MMP_DUTY_TERMS_MAX, &n, msg, sizeof(msg)) == 0;
}

/* Does spec allow day (0 = Sunday) at hh:mm? */
static bool duty_at(const char *spec, int day, int hh, int mm)
{
	struct mmp_duty_term t[MMP_DUTY_TERMS_MAX];
	char msg[160];
	size_t n;

	if (mmp_duty_parse(spec, t, MMP_DUTY_TERMS_MAX, &n, msg, sizeof(msg)) < 0)
		return false;
	return mmp_duty_allows(t, n, day, hh * 60 + mm);
}

static void test_duty(void)
{
	static const char *const good[] = {
		"MoTu1200-1400|We1400-1500", "!Wk0900-1700", "Al0000-2400", "AlSaSu0800-1800",
		"Fr2200-0200", "Wd0000-2359", "SuMoTuWeThFrSa0100-0200",
	};
	static const char *const bad[] = {
		"", "Xx1200-1300", "Mo1200", "Mo1260-1300", "Mo2400-0100", "Mo1200-1200",
		"MoMo1200-1300", "1200-1300", "Mo1200-1300|", "|Mo1200-1300", "mo1200-1300",
		"Mo12001300", "Mo1200-13000", "Mo1200-1300||Tu1200-1300", "!!Mo1200-1300",
		"Mo1200-2401", "Mo-1200-1300", "M1200-1300", "Mo1200-130a",
	};
	struct mmp_duty_term t[MMP_DUTY_TERMS_MAX];
	char msg[160], many[400] = "";
	size_t n = 0;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(duty_ok(good[i]), "duty spec \"%s\" is valid", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!duty_ok(bad[i]), "duty spec \"%s\" is refused", bad[i]);
	for (int i = 0; i < 17; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%sMo1200-1300",
			 i ? "|" : "");
	ok(!duty_ok(many), "17 alternatives are refused");
	mmp_duty_parse("Xy1200-1300", t, MMP_DUTY_TERMS_MAX, &n, msg, sizeof(msg));
	is_str(msg, "unknown day code \"Xy\"", "the reason names the bad day code");
	mmp_duty_parse("MoMo1200-1300", t, MMP_DUTY_TERMS_MAX, &n, msg, sizeof(msg));
	is_str(msg, "\"MoMo1200-1300\" selects no day (a repeated day unsets it)",
	       "the reason for an empty day set");
	ok(mmp_duty_parse("MoTu1200-1400|!We1400-1500", t, MMP_DUTY_TERMS_MAX, &n, msg,
			  sizeof(msg)) == 0 &&
		   n == 2 && t[0].days == 0x06 && t[0].start == 720 && t[0].end == 840 &&
		   t[1].negate && t[1].days == 0x08,
	   "parsed terms");

	ok(duty_at("MoTu1200-1400", 1, 12, 0), "Mo 12:00 in MoTu1200-1400");
	ok(duty_at("MoTu1200-1400", 2, 13, 59), "Tu 13:59 in");
	ok(!duty_at("MoTu1200-1400", 1, 14, 0), "Mo 14:00 out (the end is exclusive)");
	ok(!duty_at("MoTu1200-1400", 1, 11, 59), "Mo 11:59 out");
	ok(!duty_at("MoTu1200-1400", 3, 12, 30), "We 12:30 out");
	ok(duty_at("MoTu1200-1400|We1400-1500", 3, 14, 30), "We 14:30 in the second alternative");
	ok(duty_at("Fr2200-0200", 5, 23, 0), "Fr 23:00 in Fr2200-0200");
	ok(duty_at("Fr2200-0200", 6, 1, 59), "Sa 01:59 in (past midnight)");
	ok(!duty_at("Fr2200-0200", 6, 2, 0), "Sa 02:00 out");
	ok(!duty_at("Fr2200-0200", 5, 1, 0), "Fr 01:00 out (Thursday is not chosen)");
	ok(!duty_at("Fr2200-0200", 4, 23, 0), "Th 23:00 out");
	ok(duty_at("Su2200-0200", 1, 0, 30), "Mo 00:30 in Su2200-0200 (the week wraps)");
	ok(!duty_at("!Wk0900-1700", 1, 10, 0), "Mo 10:00 out of !Wk0900-1700");
	ok(duty_at("!Wk0900-1700", 1, 18, 0), "Mo 18:00 in !Wk0900-1700");
	ok(duty_at("!Wk0900-1700", 6, 10, 0), "Sa 10:00 in !Wk0900-1700");
	ok(!duty_at("AlSaSu0800-1800", 6, 10, 0), "Sa 10:00 out of AlSaSu (days toggle)");
	ok(duty_at("AlSaSu0800-1800", 1, 10, 0), "Mo 10:00 in AlSaSu");
	ok(duty_at("Al0000-2400", 0, 23, 59), "Su 23:59 in Al0000-2400");
	ok(duty_at("Wd0000-2400", 0, 12, 0) && duty_at("Wd0000-2400", 6, 12, 0) &&
		   !duty_at("Wd0000-2400", 5, 12, 0),
	   "Wd is Saturday and Sunday");
}

static void test_login(void)
{
	json_object *doc = new_doc(), *u, *v;
	char msg[160];
	/* Mon 2024-06-17 10:00 UTC. */
	const time_t mon10 = 1718618400;

	mmp_user_create(doc, "bob", MMP_ROLE_ADMIN, "Secret.123", T0);
	u = mmp_user_get(doc, "bob");
	ok(mmp_user_login(doc, "nobody", "x", T0, NULL, msg, sizeof(msg)) == -ENOENT,
	   "unknown user: -ENOENT");
	ok(mmp_user_login(doc, "bob", "Secret.123", T0, "192.0.2.1:40000", msg, sizeof(msg)) ==
		   -EKEYEXPIRED,
	   "first login: the password must be changed");
	ok(json_object_object_get_ex(u, "last_login", &v) && json_object_get_int64(v) == T0,
	   "the first login is recorded");
	mmp_user_set_password(doc, "bob", "Secret.456", T0);
	ok(mmp_user_login(doc, "bob", "Secret.456", T0, NULL, msg, sizeof(msg)) == 0,
	   "login with the new password");
	is_str(msg, "Logged in", "message");

	/* No lockout rule: failures are only counted. */
	for (int i = 0; i < 5; i++)
		mmp_user_login(doc, "bob", "wrong", T0, NULL, msg, sizeof(msg));
	json_object_object_get_ex(u, "failed_logins", &v);
	ok(json_object_get_int64(v) == 5, "5 failures counted");
	ok(mmp_user_login(doc, "bob", "Secret.456", T0, NULL, msg, sizeof(msg)) == 0,
	   "no lockout without max_failed_logins");
	json_object_object_get_ex(u, "failed_logins", &v);
	ok(json_object_get_int64(v) == 0, "a good login resets the count");

	set_rule(doc, "max_failed_logins", 3);
	ok(mmp_user_login(doc, "bob", "wrong", T0, NULL, msg, sizeof(msg)) == -EACCES,
	   "wrong password: -EACCES");
	is_str(msg, "Wrong password", "message");
	ok(mmp_user_login(doc, "bob", "wrong", T0, NULL, msg, sizeof(msg)) == -EACCES,
	   "2nd failure");
	ok(!json_object_object_get_ex(u, "locked", &v), "not locked after 2");
	ok(mmp_user_login(doc, "bob", "wrong", T0, NULL, msg, sizeof(msg)) == -EACCES,
	   "3rd failure");
	ok(json_object_object_get_ex(u, "locked", &v), "locked after 3");
	ok(mmp_user_login(doc, "bob", "Secret.456", T0, NULL, msg, sizeof(msg)) == -EPERM,
	   "a locked account refuses the right password");
	is_str(msg, "Account locked (max_failed_logins)", "message");
	ok(mmp_user_unlock(doc, "bob", T0) == 0, "unlock");
	ok(mmp_user_unlock(doc, "nobody", T0) == -ENOENT, "unlock an unknown user");
	ok(mmp_user_login(doc, "bob", "Secret.456", T0, NULL, msg, sizeof(msg)) == 0,
	   "login after unlock");

	/* Allowed hosts. */
	json_object_object_add(u, "hosts", json_object_new_array());
	json_object_array_add(json_object_object_get(u, "hosts"),
			      json_object_new_string("192.0.2.10"));
	ok(mmp_user_host_allowed(u, "192.0.2.10:5555"), "listed address with a port");
	ok(mmp_user_host_allowed(u, "192.0.2.10"), "listed address");
	ok(!mmp_user_host_allowed(u, "192.0.2.11"), "other address");
	ok(mmp_user_host_allowed(u, "console") && mmp_user_host_allowed(u, NULL),
	   "the console is always allowed");
	ok(mmp_user_login(doc, "bob", "Secret.456", T0, "192.0.2.11:22", msg, sizeof(msg)) ==
		   -EADDRNOTAVAIL,
	   "login from another host: -EADDRNOTAVAIL");
	json_object_object_get_ex(u, "failed_logins", &v);
	ok(json_object_get_int64(v) == 0, "a host refusal is not a password failure");
	ok(mmp_user_login(doc, "bob", "Secret.456", T0, "192.0.2.10:22", msg, sizeof(msg)) == 0,
	   "login from the allowed host");
	json_object_object_get_ex(u, "last_login_from", &v);
	is_str(json_object_get_string(v), "192.0.2.10:22", "last login source recorded");
	json_object_object_del(u, "hosts");

	/* Duty hours (TZ=UTC). */
	json_object_object_add(u, "duty", json_object_new_string("Mo0900-1700"));
	ok(mmp_user_login(doc, "bob", "Secret.456", mon10, NULL, msg, sizeof(msg)) == 0,
	   "Monday 10:00 in Mo0900-1700");
	ok(mmp_user_login(doc, "bob", "Secret.456", mon10 + 8 * 3600, NULL, msg, sizeof(msg)) ==
		   -ETIME,
	   "Monday 18:00: -ETIME");
	ok(mmp_user_login(doc, "bob", "Secret.456", T0, NULL, msg, sizeof(msg)) == -ETIME,
	   "Saturday: -ETIME");
	json_object_object_add(u, "duty", json_object_new_string("garbage"));
	ok(mmp_user_login(doc, "bob", "Secret.456", mon10, NULL, msg, sizeof(msg)) == -ETIME,
	   "a corrupt duty spec fails closed");
	json_object_object_del(u, "duty");

	/* Expiry: the password was set at T0. */
	set_rule(doc, "password_age", 30);
	ok(mmp_user_login(doc, "bob", "Secret.456", T0 + 29 * DAY, NULL, msg, sizeof(msg)) == 0,
	   "day 29 of password_age 30: fine");
	ok(mmp_user_login(doc, "bob", "Secret.456", T0 + 30 * DAY, NULL, msg, sizeof(msg)) ==
		   -EKEYEXPIRED,
	   "day 30: expired");
	is_str(msg, "The password has expired and must be changed now", "message");
	set_rule(doc, "password_age", 0);
	json_object_object_add(u, "must_change", json_object_new_boolean(true));
	ok(mmp_user_login(doc, "bob", "Secret.456", T0 + 30 * DAY, NULL, msg, sizeof(msg)) ==
		   -EKEYEXPIRED,
	   "user expire forces a change at the next login");
	json_object_object_add(u, "must_change", json_object_new_boolean(false));

	/* max_idle: the last login was at T0 + 30 days. */
	set_rule(doc, "max_idle", 10);
	ok(mmp_user_login(doc, "bob", "Secret.456", T0 + 39 * DAY, NULL, msg, sizeof(msg)) == 0,
	   "9 idle days: fine");
	ok(mmp_user_login(doc, "bob", "Secret.456", T0 + 49 * DAY, NULL, msg, sizeof(msg)) ==
	       -EPERM,
	   "10 idle days: locked");
	is_str(msg, "Account locked: no login for 10 days (max_idle)", "message");
	json_object_object_get_ex(u, "locked", &v);
	is_str(json_object_get_string(v), "idle", "the lock reason is recorded");
	ok(mmp_user_login(doc, "bob", "Secret.456", T0 + 49 * DAY, NULL, msg, sizeof(msg)) ==
	       -EPERM,
	   "still locked");
	mmp_user_unlock(doc, "bob", T0 + 50 * DAY);
	ok(mmp_user_login(doc, "bob", "Secret.456", T0 + 50 * DAY, NULL, msg, sizeof(msg)) == 0,
	   "unlock restarts the idle clock");
	json_object_put(doc);
}

/* The origins a request may give: strict, and unambiguous for IPv6. */
static void test_from(void)
{
	static const char *const good[] = {
		"console", "192.0.2.1", "192.0.2.1:22", "2001:db8::1", "::1",
		"[2001:db8::1]:22", "[::1]:65535", "::ffff:192.0.2.1", "fe80::1%eth0",
		"[fe80::1%eth0]:22",
	};
	static const char *const bad[] = {
		"", "consolex", "host.example", "192.0.2.1:", "192.0.2.1:0", "192.0.2.1:65536",
		"192.0.2.256", "[2001:db8::1]", "[2001:db8::1]:", "[192.0.2.1]:22",
		"2001:db8::1]:22", "[2001:db8::1:22", "192.0.2.1 ", " 192.0.2.1", "1.2.3.4:22:22",
		"fe80::1%", "fe80::1%eth/0", "192.0.2.1%eth0", "192.0.2.1:22x",
	};
	json_object *u = json_object_new_object(), *hosts = json_object_new_array();

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(mmp_from_valid(good[i]), "from \"%s\" is valid", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!mmp_from_valid(bad[i]), "from \"%s\" is refused", bad[i]);

	json_object_object_add(u, "hosts", hosts);
	json_object_array_add(hosts, json_object_new_string("192.0.2.10"));
	json_object_array_add(hosts, json_object_new_string("2001:db8::10"));
	json_object_array_add(hosts, json_object_new_string("localhost"));
	ok(mmp_user_host_allowed(u, "192.0.2.10"), "a bare IPv4 address (PAM_RHOST)");
	ok(mmp_user_host_allowed(u, "::ffff:192.0.2.10"), "the same address mapped into IPv6");
	ok(mmp_user_host_allowed(u, "2001:db8::10"), "a bare IPv6 address");
	ok(mmp_user_host_allowed(u, "2001:DB8:0::10"), "compared as addresses, not as text");
	ok(mmp_user_host_allowed(u, "[2001:db8::10]:22"), "an IPv6 address with a port");
	ok(!mmp_user_host_allowed(u, "2001:db8::1:22"), "not an address with its port glued on");
	ok(!mmp_user_host_allowed(u, "192.0.2.11"), "another IPv4 address");
	ok(mmp_user_host_allowed(u, "127.0.0.1"), "a name entry allows the address it resolves to");
	ok(!mmp_user_host_allowed(u, "host.example"), "a from that is not an address fails closed");
	json_object_put(u);
}

/* The account check of PAM's account stage: the rules without a password. */
static void test_account(void)
{
	json_object *doc = new_doc(), *u, *v, *before = NULL;
	char msg[160];
	const time_t mon10 = 1718618400; /* Mon 2024-06-17 10:00 UTC */

	mmp_user_create(doc, "bob", MMP_ROLE_ADMIN, "Secret.123", T0);
	u = mmp_user_get(doc, "bob");
	ok(mmp_user_account(doc, "nobody", T0, "192.0.2.1", msg, sizeof(msg)) == -ENOENT,
	   "account: unknown user");
	ok(mmp_user_account(doc, "bob", T0, "192.0.2.1", msg, sizeof(msg)) == -EKEYEXPIRED,
	   "account: the first password must be changed");
	mmp_user_set_password(doc, "bob", "Secret.456", T0);
	json_object_deep_copy(u, &before, NULL);
	ok(mmp_user_account(doc, "bob", T0, "192.0.2.1", msg, sizeof(msg)) == 0,
	   "account: usable");
	is_str(msg, "Account usable", "message");
	ok(json_object_equal(before, u), "an account check records nothing");
	json_object_put(before);

	json_object_object_add(u, "hosts", json_object_new_array());
	json_object_array_add(json_object_object_get(u, "hosts"),
			      json_object_new_string("192.0.2.10"));
	ok(mmp_user_account(doc, "bob", T0, "192.0.2.11", msg, sizeof(msg)) == -EADDRNOTAVAIL,
	   "account: from a host not allowed");
	ok(mmp_user_account(doc, "bob", T0, "192.0.2.10", msg, sizeof(msg)) == 0,
	   "account: from the allowed host");
	ok(mmp_user_account(doc, "bob", T0, "console", msg, sizeof(msg)) == 0,
	   "account: the console");
	json_object_object_del(u, "hosts");

	json_object_object_add(u, "duty", json_object_new_string("Mo0900-1700"));
	ok(mmp_user_account(doc, "bob", mon10, "192.0.2.1", msg, sizeof(msg)) == 0,
	   "account: inside the duty hours");
	ok(mmp_user_account(doc, "bob", T0, "192.0.2.1", msg, sizeof(msg)) == -ETIME,
	   "account: outside the duty hours");
	json_object_object_del(u, "duty");

	json_object_object_add(u, "locked", json_object_new_string("failed_logins"));
	ok(mmp_user_account(doc, "bob", T0, "192.0.2.1", msg, sizeof(msg)) == -EPERM,
	   "account: locked");
	mmp_user_unlock(doc, "bob", T0);

	set_rule(doc, "password_age", 30);
	ok(mmp_user_account(doc, "bob", T0 + 30 * DAY, "192.0.2.1", msg, sizeof(msg)) ==
		   -EKEYEXPIRED,
	   "account: an expired password must be changed");
	set_rule(doc, "password_age", 0);
	set_rule(doc, "max_idle", 10);
	ok(mmp_user_account(doc, "bob", T0 + 10 * DAY, "192.0.2.1", msg, sizeof(msg)) == -EPERM,
	   "account: max_idle locks");
	ok(json_object_object_get_ex(u, "locked", &v) &&
		   strcmp(json_object_get_string(v), "idle") == 0,
	   "and records the lock");
	json_object_object_get_ex(u, "failed_logins", &v);
	ok(json_object_get_int64(v) == 0, "an account check never counts a failure");
	json_object_put(doc);
}

/* --- the commands through the engine --------------------------------------------- */

/* Non-zero: the role of the caller, whatever the document says. */
static unsigned force_role;

/* Runs line as user (role from the document) with the prompt answers;
 * returns the exit status and leaves the output in out. */
static int run(json_object **doc, const char *user, const char *line, const char *in1,
	       const char *in2, const char *in3, char *out, size_t outlen)
{
	struct mmp_match m;
	struct mmp_ctx ctx;
	struct strbuf err = STRBUF_INIT;
	const char *input[3] = { in1, in2, in3 };
	unsigned role = 0;
	int r;

	if (mmp_match_line(line, &m, &err) < 0) {
		snprintf(out, outlen, "%s", sb_str(&err));
		sb_free(&err);
		return 1;
	}
	if (force_role)
		role = force_role;
	else if (mmp_user_role(*doc, user, &role) < 0)
		role = 0;
	if (!(m.cmd->roles & role)) {
		snprintf(out, outlen, "Permission denied\n");
		mmp_match_free(&m);
		return 1;
	}
	mmp_ctx_init(&ctx);
	ctx.doc = NULL;
	json_object_deep_copy(*doc, &ctx.doc, NULL);
	ctx.user = user;
	ctx.role = role;
	ctx.env = &env;
	ctx.input = input;
	ctx.ninput = in3 ? 3 : in2 ? 2 : in1 ? 1 : 0;
	r = mmp_exec(&ctx, &m);
	snprintf(out, outlen, "%s", sb_str(&ctx.out));
	if (r == 0 && ctx.changed) {
		json_object_put(*doc);
		*doc = ctx.doc;
	} else {
		json_object_put(ctx.doc);
	}
	mmp_ctx_free(&ctx);
	mmp_match_free(&m);
	return r < 0 ? 1 : 0;
}

static void test_commands(void)
{
	json_object *doc = json_object_new_object();
	char out[4096];

	mmp_users_defaults(doc);

	ok(run(&doc, "admin", "user add bob crypto", "Pw.12345", "Pw.12346", NULL, out,
	       sizeof(out)) == 1,
	   "user add with mismatched passwords fails");
	is_str(out, "Passwords do not match\n", "mismatch message");
	ok(run(&doc, "admin", "user add bob boss", "a", "a", NULL, out, sizeof(out)) == 1,
	   "a bad role fails");
	is_str(out, "Usage: user add <user> (admin|crypto|audit|appadmin|api)\n", "bad role usage");
	ok(run(&doc, "admin", "user add bob crypto", "Pw.12345", "Pw.12345", NULL, out,
	       sizeof(out)) == 0,
	   "user add bob crypto");
	is_str(out, "", "user add prints nothing");
	ok(run(&doc, "admin", "user add bob api", "Pw.12345", "Pw.12345", NULL, out, sizeof(out)) ==
		   1,
	   "duplicate user fails");
	is_str(out, "User \"bob\" already exists\n", "duplicate message");
	ok(run(&doc, "admin", "user add carol api", "Pw.12345", "Pw.12345", NULL, out,
	       sizeof(out)) == 0,
	   "user add carol api");

	ok(run(&doc, "admin", "user rule password_age 0", NULL, NULL, NULL, out, sizeof(out)) == 0,
	   "user rule password_age 0");
	ok(run(&doc, "admin", "user list", NULL, NULL, NULL, out, sizeof(out)) == 0, "user list");
	is_str(out,
	       "USERNAME        ROLE      PASSWORD EXPIRY  LOGGED IN\n"
	       "admin           admin     10000-Dec-31     yes\n"
	       "bob             crypto    10000-Dec-31     no\n"
	       "carol           api       10000-Dec-31     no\n",
	       "user list screen");
	ok(run(&doc, "bob", "user list", NULL, NULL, NULL, out, sizeof(out)) == 1 &&
		   strcmp(out, "Permission denied\n") == 0,
	   "a crypto user may not list users");

	ok(run(&doc, "admin", "user info nobody", NULL, NULL, NULL, out, sizeof(out)) == 1,
	   "user info of an unknown user fails");
	is_str(out, "No such user \"nobody\"\n", "unknown user message");
	ok(run(&doc, "admin", "user host bob add 192.0.2.7", NULL, NULL, NULL, out, sizeof(out)) ==
		   0,
	   "user host add");
	ok(run(&doc, "admin", "user host bob add Jump.Example.com", NULL, NULL, NULL, out,
	       sizeof(out)) == 0,
	   "user host add a name");
	ok(run(&doc, "admin", "user host bob add jump.example.com", NULL, NULL, NULL, out,
	       sizeof(out)) == 1,
	   "a duplicate host fails");
	is_str(out, "Host \"jump.example.com\" is already allowed for user \"bob\"\n",
	       "duplicate host message");
	ok(run(&doc, "admin", "user duty bob MoTu1200-1400|We1400-1500", NULL, NULL, NULL, out,
	       sizeof(out)) == 0,
	   "user duty");
	ok(run(&doc, "admin", "user duty bob MoXx1200-1400", NULL, NULL, NULL, out, sizeof(out)) ==
	       1,
	   "a bad duty spec fails");
	is_str(out, "Invalid duty hours \"MoXx1200-1400\": unknown day code \"Xx\"\n",
	       "duty message");
	ok(run(&doc, "admin", "user info bob", NULL, NULL, NULL, out, sizeof(out)) == 0,
	   "user info");
	is_str(out,
	       "Username              : bob\n"
	       "Role                  : crypto\n"
	       "Last login            : never\n"
	       "Last login from       : none\n"
	       "Failed login attempts : 0\n"
	       "Last password change  : 2024-Jun-15 12:00:00\n"
	       "Password expiry       : 10000-Dec-31\n"
	       "Must change password  : yes\n"
	       "Locked                : no\n"
	       "Allowed hosts         : 192.0.2.7 jump.example.com\n"
	       "Duty hours            : MoTu1200-1400|We1400-1500\n",
	       "user info screen");
	ok(run(&doc, "admin", "user host bob delete 192.0.2.8", NULL, NULL, NULL, out,
	       sizeof(out)) == 1,
	   "deleting a host that is not listed fails");
	is_str(out, "Host \"192.0.2.8\" is not allowed for user \"bob\"\n", "message");
	ok(run(&doc, "admin", "user host bob delete 192.0.2.7", NULL, NULL, NULL, out,
	       sizeof(out)) == 0 &&
	       run(&doc, "admin", "user host bob delete jump.example.com", NULL, NULL, NULL, out,
		   sizeof(out)) == 0 &&
	       run(&doc, "admin", "user duty bob none", NULL, NULL, NULL, out, sizeof(out)) == 0,
	   "remove the hosts and duty hours");
	run(&doc, "admin", "user info bob", NULL, NULL, NULL, out, sizeof(out));
	ok(strstr(out, "Allowed hosts         : any\nDuty hours            : any\n") != NULL,
	   "no hosts and no duty hours read \"any\"");

	ok(run(&doc, "admin", "user expire carol", NULL, NULL, NULL, out, sizeof(out)) == 1,
	   "user expire of an api user fails");
	is_str(out, "user expire is not valid for api users\n", "message");
	ok(run(&doc, "admin", "user expire bob", NULL, NULL, NULL, out, sizeof(out)) == 0,
	   "user expire bob");
	ok(run(&doc, "admin", "user unlock bob", NULL, NULL, NULL, out, sizeof(out)) == 0,
	   "user unlock of an unlocked user succeeds");

	/* Rules. */
	ok(run(&doc, "admin", "user rule min_length 300", NULL, NULL, NULL, out, sizeof(out)) == 1,
	   "an out-of-range rule value fails");
	is_str(out, "Invalid value \"300\" for min_length: it must be 0-256\n", "message");
	ok(run(&doc, "admin", "user rule min_length x", NULL, NULL, NULL, out, sizeof(out)) == 1,
	   "a non-number fails");
	is_str(out, "Invalid number \"x\"\n", "message");
	ok(run(&doc, "admin", "user rule only_ascii maybe", NULL, NULL, NULL, out, sizeof(out)) ==
	       1,
	   "a non-boolean fails");
	ok(run(&doc, "admin", "user rule check_dictionary true", NULL, NULL, NULL, out,
	       sizeof(out)) == 1,
	   "check_dictionary without a dictionary fails");
	is_str(out, "The file \"dictionary\" has not been uploaded (check_dictionary)\n",
	       "message");
	ok(run(&doc, "admin", "user rule min_length 8", NULL, NULL, NULL, out, sizeof(out)) == 0 &&
		   run(&doc, "admin", "user rule no_palindrome true", NULL, NULL, NULL, out,
		       sizeof(out)) == 0,
	   "set rules");
	ok(run(&doc, "admin", "user rule", NULL, NULL, NULL, out, sizeof(out)) == 0, "user rule");
	is_str(out,
	       "max_history            : 0\n"
	       "password_age           : 0\n"
	       "min_password_age       : 0\n"
	       "min_length             : 8\n"
	       "min_special            : 0\n"
	       "min_uppercase          : 0\n"
	       "min_lowercase          : 0\n"
	       "min_digits             : 0\n"
	       "longest_digits_run     : 0\n"
	       "max_repeated_char      : 0\n"
	       "min_changed_characters : 0\n"
	       "only_ascii             : false\n"
	       "no_username            : false\n"
	       "no_palindrome          : true\n"
	       "check_dictionary       : false\n"
	       "max_failed_logins      : 0\n"
	       "max_idle               : 0\n",
	       "user rule screen");
	ok(run(&doc, "admin", "user add dave audit", "aba", "aba", NULL, out, sizeof(out)) == 1,
	   "user add with a short palindrome fails");
	is_str(out,
	       "Password must be at least 8 characters long (min_length)\n"
	       "Password must not be a palindrome (no_palindrome)\n",
	       "both violations are shown");

	/* passwd as bob (crypto). */
	ok(run(&doc, "bob", "passwd", "wrong", "New.pass1", "New.pass1", out, sizeof(out)) == 1,
	   "passwd with a wrong current password fails");
	is_str(out, "Current password is incorrect\n", "message");
	ok(run(&doc, "bob", "passwd", "Pw.12345", "New.pass1", "New.pass2", out, sizeof(out)) == 1,
	   "passwd with mismatched new passwords fails");
	is_str(out, "Passwords do not match\n", "message");
	ok(run(&doc, "bob", "passwd", "Pw.12345", "short", "short", out, sizeof(out)) == 1,
	   "passwd enforces the rules");
	is_str(out, "Password must be at least 8 characters long (min_length)\n", "message");
	ok(run(&doc, "bob", "passwd", "Pw.12345", "New.pass1", "New.pass1", out, sizeof(out)) == 0,
	   "passwd");
	ok(cv_pw_verify("New.pass1",
			 json_object_get_string(json_object_object_get(mmp_user_get(doc, "bob"),
								       "hash"))),
	   "the new password is stored");
	ok(!json_object_get_boolean(
	       json_object_object_get(mmp_user_get(doc, "bob"), "must_change")),
	   "passwd clears must_change");
	ok(run(&doc, "carol", "passwd", "Pw.12345", "Api.pass1", "Api.pass1", out, sizeof(out)) ==
	       0,
	   "an api user may run passwd");

	/* Deleting. */
	ok(run(&doc, "admin", "user del admin", NULL, NULL, NULL, out, sizeof(out)) == 1,
	   "deleting yourself fails");
	is_str(out, "You cannot delete your own account\n", "message");
	ok(run(&doc, "admin", "user add root2 admin", "Adm.pass9", "Adm.pass9", NULL, out,
	       sizeof(out)) == 0,
	   "add a second admin");
	ok(run(&doc, "root2", "user del admin", NULL, NULL, NULL, out, sizeof(out)) == 0,
	   "another admin deletes admin");
	ok(mmp_user_get(doc, "admin") == NULL, "admin is gone");
	ok(run(&doc, "root2", "user del nobody", NULL, NULL, NULL, out, sizeof(out)) == 1,
	   "deleting an unknown user fails");
	is_str(out, "No such user \"nobody\"\n", "message");
	/* The last admin can only be reached by a caller that is not that
	 * admin: root acting under a name without a record. */
	force_role = MMP_ROLE_ADMIN;
	ok(run(&doc, "operator", "user del root2", NULL, NULL, NULL, out, sizeof(out)) == 1,
	   "the last admin cannot be deleted");
	is_str(out, "Cannot delete the last admin user\n", "message");
	ok(run(&doc, "operator", "user del carol", NULL, NULL, NULL, out, sizeof(out)) == 0,
	   "deleting a non-admin works");
	ok(run(&doc, "operator", "passwd", "x", "y", "y", out, sizeof(out)) == 1,
	   "passwd for a caller without a record fails");
	is_str(out, "No such user \"operator\"\n", "message");
	force_role = 0;
	json_object_put(doc);
}

static void test_tables_agree(void)
{
	for (size_t i = 0; i < mmp_n_user_rules; i++) {
		const struct mmp_user_rule *r = &mmp_user_rules[i];
		const char *arg = r->kind == MMP_RULE_BOOL   ? "(true|false)"
				  : r->kind == MMP_RULE_DAYS ? "<days>"
							     : "<n>";
		char *want = xasprintf("user rule %s %s", r->name, arg);
		bool found = false;

		for (size_t k = 0; k < mmp_ncmds(); k++) {
			const struct mmp_cmd *c = mmp_cmd_at(k);

			if (strcmp(c->syntax, want) == 0)
				found = strcmp(c->help, r->help) == 0 &&
					c->roles == MMP_ROLE_ADMIN;
		}
		ok(found, "command \"%s\" exists with the rule's help, admin only", want);
		free(want);
	}
	for (size_t k = 0; k < mmp_ncmds(); k++) {
		const struct mmp_cmd *c = mmp_cmd_at(k);

		if (strcmp(c->syntax, "passwd") == 0)
			ok(c->roles == MMP_ROLES_ALL && c->prompts && c->prompts[2].secret &&
				   !c->prompts[3].text,
			   "passwd: every role, three secret prompts");
		if (strncmp(c->syntax, "user ", 5) == 0 && c->roles != MMP_ROLE_ADMIN)
			ok(0, "\"%s\" is not admin only", c->syntax);
	}
}

int main(void)
{
	char *cmd;

	setenv("TZ", "UTC", 1);
	tzset();
	setenv("CONVENE_TEST_NOW", "1718452800", 1);
	if (!mkdtemp(upload_dir) || mmp_local_open(&updir, upload_dir, NULL) < 0) {
		perror("mkdtemp");
		return 1;
	}
	mmp_engine_init(mmp_areas, mmp_nareas);
	ok(cv_now() == T0, "CONVENE_TEST_NOW pins the clock");
	test_hashing();
	test_defaults();
	test_rules_table();
	test_basic_password();
	test_each_rule();
	test_history_and_age();
	test_expiry();
	test_duty();
	test_login();
	test_from();
	test_account();
	test_commands();
	test_tables_agree();
	mmp_local_close(&updir);
	cmd = xasprintf("%s/%s", upload_dir, MMP_DICTIONARY_FILE);
	unlink(cmd);
	free(cmd);
	rmdir(upload_dir);
	return tap_done();
}
