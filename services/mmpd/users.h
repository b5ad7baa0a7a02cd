/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MMP user accounts (spec/mmp.md section 5): password hashing with crypt(3)
 * from libxcrypt, the password policy ("user rule ..."), expiry, login hours
 * ("user duty"), allowed hosts ("user host") and the login check with
 * lockout. Everything works on the config document; nothing here does I/O
 * except reading the uploaded "dictionary" file (through mmpd's fixed
 * operations, upload.h) and, in mmp_user_login, host name lookups for
 * allowed hosts given by name.
 *
 * Document layout (DESIGN.md section 5: secrets are stored hashed):
 *   users.<name>.role           "admin" | "crypto" | "audit" | "appadmin" | "api"
 *   users.<name>.hash           crypt(3) hash of the current password ("$y$" or "$6$")
 *   users.<name>.history        [hash, ...] earlier passwords, newest first
 *   users.<name>.created        epoch seconds
 *   users.<name>.pw_changed     epoch seconds of the last password change
 *   users.<name>.must_change    true: the next login must change the password
 *   users.<name>.last_login     epoch seconds (absent: never)
 *   users.<name>.last_login_from  the host of the last login
 *   users.<name>.failed_logins  failed attempts since the last good login
 *   users.<name>.locked         "failed_logins" | "idle" (absent: not locked)
 *   users.<name>.unlocked       epoch seconds of the last "user unlock"
 *   users.<name>.hosts          [host, ...] allowed login sources (absent: any)
 *   users.<name>.duty           duty-hour spec (absent: any time)
 *   user_rules.<rule>           the password policy (absent: the default)
 *
 * User names may contain '.', so user records are reached with
 * mmp_user_get(), never with the dotted paths of lib/conf.h.
 *
 * Pointers returned as json_object are borrowed from the document.
 */
#ifndef MMP_USERS_H
#define MMP_USERS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/cmd.h"
#include "lib/strbuf.h"

#define MMP_DAY_SECONDS 86400
/* The longest password accepted, in characters. */
#define MMP_PASSWORD_MAX 256
/* Cap on the uploaded "dictionary" file read by check_dictionary. */
#define MMP_DICTIONARY_MAX (4u << 20)
#define MMP_DICTIONARY_FILE "dictionary"
/* Dictionary words shorter than this only match the whole password (a
 * contained "a" or "to" would refuse almost everything). */
#define MMP_DICTIONARY_MIN_WORD 4
#define MMP_USERS_MAX 256
#define MMP_USER_HOSTS_MAX 32
#define MMP_DUTY_MAX 256
#define MMP_DUTY_TERMS_MAX 16
/* "Never" for expiries: printed as 10000-Dec-31 (spec/mmp.md section 5). */
#define MMP_NEVER INT64_MAX
/* Default password_age when the rule is unset: 6 months [S10]. */
#define MMP_PASSWORD_AGE_DEFAULT 180
/* The characters min_special counts (spec/mmp.md section 5). */
#define MMP_SPECIAL_CHARS "!@#$%^&*()_+=?><,.\"\\/"

/* --- the password policy ("user rule") ------------------------------------ */

enum mmp_rule_kind {
	MMP_RULE_NUM,  /* a count; 0 switches the rule off */
	MMP_RULE_DAYS, /* a number of days; 0 switches the rule off */
	MMP_RULE_BOOL,
};

struct mmp_user_rule {
	const char *name;
	enum mmp_rule_kind kind;
	unsigned long max; /* numbers: accepted values are 0..max */
	long dflt;	   /* the value when user_rules has no entry */
	const char *help;
};

/* The rules in display order (every rule of the spec/mmp.md section 5 table). */
extern const struct mmp_user_rule mmp_user_rules[];
extern const size_t mmp_n_user_rules;

const struct mmp_user_rule *mmp_user_rule_find(const char *name);
/* The value of rule name in doc, or its default (booleans are 0/1). */
long mmp_user_rule_value(json_object *doc, const char *name);
/* Stores a rule value after checking its range; -ERANGE with a message in
 * err ("Invalid value ...") when out of range. */
int mmp_user_rule_set(json_object *doc, const struct mmp_user_rule *r, unsigned long v,
		      struct strbuf *err);

/* --- user records ----------------------------------------------------------- */

/* The record of user name, or NULL. Borrowed. */
json_object *mmp_user_get(json_object *doc, const char *name);
/* Number of users with role (a MMP_ROLE_* bit). */
size_t mmp_users_count_role(json_object *doc, unsigned role);
/* Sorted user names (a json array of strings; caller puts it). */
json_object *mmp_users_names(json_object *doc);

/* What a password check needs to know. */
struct mmp_pw_change {
	const char *user;
	const char *password;	  /* the new password */
	const char *old_password; /* typed by the user (passwd), else NULL */
	const struct mmp_env *env; /* where "dictionary" is read; NULL: none */
	time_t now;
	bool is_new_user;	  /* user add: no min_password_age, no history */
};

/* Checks the new password against every rule. Appends one line per
 * violation to err, each naming its rule, for example
 * "Password must be at least 8 characters long (min_length)", and returns
 * -EINVAL; 0 when the password is acceptable. */
int mmp_pw_check(json_object *doc, const struct mmp_pw_change *c, struct strbuf *err);
/* 0 when the uploaded dictionary can be used by check_dictionary; else a
 * negative errno and a line naming the problem in err. */
int mmp_dictionary_usable(const struct mmp_env *env, struct strbuf *err);
/* Creates user name with role and password (checked by the caller), to be
 * changed at first login (not for api users, which cannot answer the
 * change prompt). -EEXIST if the user exists. */
int mmp_user_create(json_object *doc, const char *name, unsigned role, const char *password,
		    time_t now);
/* Sets a new password for an existing user: hashes it, keeps the
 * history the max_history rule needs, stamps pw_changed and clears
 * must_change. -ENOENT for an unknown user. */
int mmp_user_set_password(json_object *doc, const char *name, const char *password, time_t now);

/* When the password of user expires: pw_changed + password_age days, or
 * MMP_NEVER when password_age is 0. A user flagged must_change is due at
 * once, but this still reports the date. */
int64_t mmp_user_expiry(json_object *doc, json_object *user);
/* True when user name must change the password before anything else: the
 * record says so (first login, "user expire"), or the password is past its
 * expiry at now. mmpd enforces it on every connection of the user (not
 * only mmp does). */
bool mmp_user_must_change(json_object *doc, const char *name, time_t now);
/* "2024-Jun-15" (spec/mmp.md section 5, %Y-%b-%d in the C locale, local
 * time); MMP_NEVER prints "10000-Dec-31". buf must hold 16 bytes. */
void mmp_user_format_date(int64_t t, char *buf, size_t len);
/* "2024-Jun-15 12:00:00", local time. buf must hold 32 bytes. */
void mmp_user_format_time(int64_t t, char *buf, size_t len);

/* --- duty hours ("user duty") ---------------------------------------------------
 * spec := term ('|' term)*
 * term := ['!'] day+ HHMM '-' HHMM
 * day  := Mo | Tu | We | Th | Fr | Sa | Su | Wk (Mo-Fr) | Wd (Sa Su) | Al (all)
 * A day named twice is unset again (days toggle: "AlSaSu" = weekdays).
 * HH is 00-23, MM 00-59; the end may be 2400. An end before the start runs
 * past midnight into the next day. '!' means "any time except this".
 * Login is allowed when any term matches. */
struct mmp_duty_term {
	bool negate;
	uint8_t days;	/* bit d = struct tm tm_wday d (0 = Sunday) */
	uint16_t start; /* minutes after midnight */
	uint16_t end;	/* minutes after midnight, 1..1440 */
};

/* Parses spec strictly. On error returns -EINVAL and writes the reason
 * ("unknown day code \"Xy\"") to msg. */
int mmp_duty_parse(const char *spec, struct mmp_duty_term *terms, size_t max, size_t *ret_n,
		   char *msg, size_t msglen);
/* True when the terms allow a login on weekday wday (0 = Sunday) at minute
 * (0..1439) of that day. */
bool mmp_duty_allows(const struct mmp_duty_term *terms, size_t n, int wday, int minute);

/* --- login ---------------------------------------------------------------------- */

/* True when from is what a request may give as its origin: "console", a
 * bare IPv4 or IPv6 address (the PAM module, from PAM_RHOST), or
 * "<IPv4>:<port>" or "[<IPv6>]:<port>" (mmp, from SSH_CLIENT). Host names
 * and anything else are refused: they would reach the audit line and the
 * log as they came, and a login from them could not be checked. */
bool mmp_from_valid(const char *from);

/* True when user may log in from from (see mmp_from_valid): no "hosts"
 * list, or an entry that is its address, or a name entry that resolves to
 * it (IPv4 or IPv6). NULL or "console" (the local console) is always
 * allowed: the console is the recovery path when the list is wrong. A from
 * that is not an address is refused. */
bool mmp_user_host_allowed(json_object *user, const char *from);

/* Checks a login of name with password at now from from (see
 * mmp_user_host_allowed), in this order, and writes an operator-facing
 * reason to msg:
 *   -ENOENT        no such user
 *   -EPERM         the account is locked (failed logins, or idle for
 *                  max_idle days, which locks it here)
 *   -EADDRNOTAVAIL from is not in the user's allowed hosts
 *   -ETIME         outside the user's duty hours
 *   -EACCES        wrong password: counts a failure and locks the account
 *                  when max_failed_logins is reached
 *   -EKEYEXPIRED   the password is right but must be changed now (first
 *                  login, "user expire", or past its expiry): the login is
 *                  recorded and the caller must run the change before
 *                  anything else
 *   0              logged in: last login recorded, failures reset
 * The document changes in every case but -ENOENT (counters, lock, last
 * login), so callers commit it whatever the result. */
int mmp_user_login(json_object *doc, const char *name, const char *password, time_t now,
		   const char *from, char *msg, size_t msglen);

/* The account check of a login that gives no password (PAM's account
 * stage, after any authentication): the same checks as mmp_user_login
 * before the password (-ENOENT, -EPERM, -EADDRNOTAVAIL, -ETIME), then
 * -EKEYEXPIRED when the password must be changed now; 0 when the account
 * may be used. Counts no failure and records no login; the document
 * changes only when max_idle locks the account (-EPERM). */
int mmp_user_account(json_object *doc, const char *name, time_t now, const char *from, char *msg,
		     size_t msglen);

/* Unlocks user: clears the lock and the failure count and restarts the
 * max_idle clock. -ENOENT for an unknown user. */
int mmp_user_unlock(json_object *doc, const char *name, time_t now);


#endif
