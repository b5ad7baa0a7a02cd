// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The CMS REST API of cb_api.h: the router, the handlers and the rules of
 * spec/api.md sections 1, 2 and 7, driven by the descriptor tables of
 * cb_obj.c over the store of cb_db.h. No I/O but the store's.
 *
 * Decisions (services/callbridge/README.md, "The API core", says why):
 * - a path id that is not a GUID names no object: 404 <xDoesNotExist/>;
 * - unknown parameters, parameters not settable by the method, and bad
 *   values: 400 <parameterError parameter="p" error="..."/>;
 * - a repeated key: the last value wins (spec 7);
 * - lists: at most CB_API_LIMIT_MAX entries, ordered by creation;
 * - dialling out (a callLeg or participant with remoteParty) is not in
 *   this build: 400 <parameterError parameter="remoteParty"
 *   error="unsupported"/>, and nothing is created;
 * - a second call on a space: 400 <invalidOperation/> (one call per space).
 * Every write is one store transaction; a failed request rolls back and
 * changes nothing.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "lib/base64.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "lib/pwhash.h"
#include "services/xmpp/xmpp_sasl.h"
#include "services/callbridge/cb_api.h"
#include "services/callbridge/cb_db.h"
#include "services/callbridge/cb_form.h"
#include "services/callbridge/cb_obj.h"
#include "services/callbridge/cb_xml.h"

/* spec 1.4: "Our server cap: 20 objects per page". */
#define CB_API_LIMIT_MAX 20
#define CB_API_PATH_MAX 512
#define CB_API_SEGS_MAX 6
/* spec 2.1: auto callId "typically 9 digits long". */
#define CALLID_DIGITS 9
#define TRACE_MAX_SECONDS 86400

struct wb_state {
	char id[CB_ID_LEN + 1];
	char status[24];
};

struct cb_api {
	struct cb_db *db;
	char *name;
	struct timespec opened; /* CLOCK_MONOTONIC: uptimeSeconds */
	char host_id[CB_ID_LEN + 1];
	int64_t trace_until;
	long legs_max_active, legs_completed;
	struct wb_state *wbs;
	size_t nwbs;
	/* The XMPP link (cb_xmpp_link.c): what /system/status shows of it,
	 * NULL until the link reports, and who hears of settings changes. */
	char *xmpp_status[CB_API_XMPP_NFIELDS];
	bool xmpp_reported;
	void (*xmpp_changed)(void *arg);
	void *xmpp_changed_arg;
};

/* ---- responses ---- */

void cb_response_init(struct cb_response *resp)
{
	resp->status = 500;
	resp->location[0] = '\0';
	sb_init(&resp->body);
}

void cb_response_free(struct cb_response *resp)
{
	sb_free(&resp->body);
}

static void fail(struct cb_response *resp, int status, const char *reason)
{
	resp->status = status;
	resp->location[0] = '\0';
	sb_reset(&resp->body);
	cb_xml_failure(&resp->body, reason, NULL, NULL);
}

static void fail_param(struct cb_response *resp, const char *param, const char *error)
{
	resp->status = 400;
	resp->location[0] = '\0';
	sb_reset(&resp->body);
	cb_xml_failure(&resp->body, "parameterError", param && *param ? param : NULL, error);
}

/* A store error: spec 1.6 databaseNotReady is the 503 a client retries. */
static void fail_db(struct cb_response *resp, int r)
{
	cv_warn("API: database error: %s", strerror(-r));
	fail(resp, 503, "databaseNotReady");
}

static void ok_empty(struct cb_response *resp)
{
	resp->status = 200;
	sb_reset(&resp->body);
}

/* ---- helpers ---- */

static const char *user_of(const struct cb_request *req)
{
	return req->user && *req->user ? req->user : "(unknown)";
}

/* seed 003: "172.19.233.174: API user "admin" created new participant
 * ..." - the client's address first, when the HTTP layer gave it:
 * "%s%sAPI user" with from_addr() and from_sep(). */
static const char *from_addr(const struct cb_request *req)
{
	return req->from && *req->from ? req->from : "";
}

static const char *from_sep(const struct cb_request *req)
{
	return req->from && *req->from ? ": " : "";
}

/* The words of the log lines ("created new space ..."). */
static const char *word_of(const struct cb_obj *o)
{
	static const struct {
		const struct cb_obj *o;
		const char *w;
	} words[] = {
		{ &cb_obj_cospaces, "space" },
		{ &cb_obj_access_methods, "access method" },
		{ &cb_obj_cospace_users, "space member" },
		{ &cb_obj_call_leg_profiles, "call leg profile" },
		{ &cb_obj_calls, "call" },
		{ &cb_obj_call_legs, "call leg" },
		{ &cb_obj_participants, "participant" },
		{ &cb_obj_users, "user" },
		{ &cb_obj_web_bridges, "web bridge" },
		{ &cb_obj_web_bridge_profiles, "web bridge profile" },
		{ &cb_obj_turn_servers, "TURN server" },
		{ &cb_obj_call_bridges, "call bridge" },
		{ &cb_obj_call_bridge_groups, "call bridge group" },
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (words[i].o == o)
			return words[i].w;
	return o->elem;
}

static const struct cb_obj *obj_by_coll(const char *coll)
{
	for (size_t i = 0; cb_objs[i]; i++)
		if (strcmp(cb_objs[i]->coll, coll) == 0)
			return cb_objs[i];
	return NULL;
}

static int field_of(const struct cb_obj *o, const char *name)
{
	int i = cb_obj_field(o, name);

	if (i < 0)
		abort(); /* a descriptor table and this file disagree */
	return i;
}

static void random_bytes(void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom((char *)buf + got, n - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			abort();
		}
		got += (size_t)r;
	}
}

/* spec 2.1: a secret is 16 random bytes in base64url, 22 characters. */
static char *new_secret(void)
{
	unsigned char b[16];
	char out[CV_BASE64_LEN(16) + 1];
	size_t n;

	random_bytes(b, sizeof(b));
	n = cv_base64_encode(b, sizeof(b), out);
	while (n > 0 && out[n - 1] == '=')
		out[--n] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return xstrdup(out);
}

static char *new_call_id(void)
{
	char out[CALLID_DIGITS + 1];

	for (int i = 0; i < CALLID_DIGITS; i++) {
		unsigned char c;

		/* Rejection sampling: no modulo bias. */
		do
			random_bytes(&c, 1);
		while (c >= 250);
		out[i] = (char)('0' + c % 10);
	}
	out[CALLID_DIGITS] = '\0';
	return xstrdup(out);
}

static long count_eq(struct cb_api *api, const struct cb_obj *o, const char *field,
		     const char *value)
{
	struct cb_query q;
	struct cb_rows rows;

	cb_query_init(&q);
	q.eq_field = field_of(o, field);
	q.eq_value = value;
	q.limit = 0;
	if (api->db->ops->list(api->db, o, &q, &rows) < 0)
		return 0;
	return rows.total;
}

static long count_all(struct cb_api *api, const struct cb_obj *o)
{
	struct cb_query q;
	struct cb_rows rows;

	cb_query_init(&q);
	q.limit = 0;
	if (api->db->ops->list(api->db, o, &q, &rows) < 0)
		return 0;
	return rows.total;
}

static void set_val(char **vals, int i, char *v)
{
	free(vals[i]);
	vals[i] = v;
}

static char *num_str(long long n)
{
	return xasprintf("%lld", n);
}

/* ---- rendering ---- */

static const char *shown(const struct cb_field *f, const char *v)
{
	return v ? v : f->def;
}

static bool visible(const struct cb_field *f, unsigned which, const char *v)
{
	if (!(f->flags & which) || (f->flags & CB_F_HIDDEN))
		return false;
	/* Write-only by type, whatever the flags say. */
	if (f->type == CB_T_PASSWORD || f->type == CB_T_SECRET)
		return false;
	return shown(f, v) || (f->flags & CB_F_SHOWEMPTY);
}

static bool same_group(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static void render_object(struct cb_xml *x, const struct cb_obj *o, const char *id,
			  char *const *vals, unsigned which)
{
	const char *group = NULL;
	bool any = false;

	for (size_t i = 0; i < o->nfields && !any; i++)
		any = visible(&o->fields[i], which, vals[i]);
	if (!any) {
		cb_xml_empty(x, o->elem, id ? "id" : NULL, id);
		return;
	}
	cb_xml_open(x, o->elem, id ? "id" : NULL, id);
	for (size_t i = 0; i < o->nfields; i++) {
		const struct cb_field *f = &o->fields[i];

		if (!visible(f, which, vals[i]))
			continue;
		if (!same_group(group, f->group)) {
			if (group)
				cb_xml_close(x, group);
			if (f->group)
				cb_xml_open(x, f->group, NULL, NULL);
			group = f->group;
		}
		cb_xml_leaf(x, f->name, shown(f, vals[i]));
	}
	if (group)
		cb_xml_close(x, group);
	cb_xml_close(x, o->elem);
}

/* Fills the computed (CB_T_COUNT, no column) fields of a detail view. */
static void fill_computed(struct cb_api *api, const struct cb_obj *o, struct cb_row *row)
{
	time_t now = time(NULL);

	if (o == &cb_obj_cospaces) {
		set_val(row->vals, field_of(o, "numAccessMethods"),
			num_str(count_eq(api, &cb_obj_access_methods, "coSpace", row->id)));
	} else if (o == &cb_obj_calls) {
		const char *st = row->vals[field_of(o, "startTime")];

		set_val(row->vals, field_of(o, "durationSeconds"),
			num_str(st ? (long long)(now - strtoll(st, NULL, 10)) : 0));
		set_val(row->vals, field_of(o, "numCallLegs"),
			num_str(count_eq(api, &cb_obj_call_legs, "call", row->id)));
		set_val(row->vals, field_of(o, "numParticipantsLocal"),
			num_str(count_eq(api, &cb_obj_participants, "call", row->id)));
		/* No cluster peer links in this build: nothing remote. */
		set_val(row->vals, field_of(o, "numParticipantsRemote"), xstrdup("0"));
		set_val(row->vals, field_of(o, "numDistributedInstances"), xstrdup("0"));
	} else if (o == &cb_obj_call_legs) {
		const char *st = row->vals[field_of(o, "startTime")];

		set_val(row->vals, field_of(o, "durationSeconds"),
			num_str(st ? (long long)(now - strtoll(st, NULL, 10)) : 0));
	} else if (o == &cb_obj_participants) {
		set_val(row->vals, field_of(o, "numCallLegs"),
			num_str(count_eq(api, &cb_obj_call_legs, "participant", row->id)));
	}
}

/* ---- parameters ---- */

/* The object a REF field names must exist: 0, or the reason. */
static const char *check_ref(struct cb_api *api, const struct cb_field *f, const char *v)
{
	const struct cb_obj *r = obj_by_coll(f->ref);
	struct cb_row row;

	if (!r)
		return cb_obj_missing_reason(f->ref);
	if (api->db->ops->get(api->db, r, v, &row) < 0)
		return r->missing;
	cb_row_free(&row);
	return NULL;
}

/*
 * Applies a form to vals/set: each key must be a field settable by this
 * method; "" unsets; values are checked by type; references must exist.
 * On failure resp holds the answer and -EINVAL is returned.
 */
static int apply_form(struct cb_api *api, const struct cb_obj *o, const struct cb_form *form,
		      bool put, char **vals, bool *set, struct cb_response *resp)
{
	unsigned need = put ? CB_F_PUT : CB_F_POST;

	for (size_t k = 0; k < form->n; k++) {
		const char *key = form->pairs[k].key, *v = form->pairs[k].value;
		int i = cb_obj_field(o, key);
		const struct cb_field *f;
		const char *err;

		if (i < 0) {
			fail_param(resp, key, "unknownParameter");
			return -EINVAL;
		}
		f = &o->fields[i];
		if (!(f->flags & need) || (f->flags & CB_F_HIDDEN)) {
			fail_param(resp, key, "notSettable");
			return -EINVAL;
		}
		set[i] = true;
		if (!*v) {
			set_val(vals, i, NULL);
			continue;
		}
		if (cb_field_check(f, v, &err) < 0) {
			fail_param(resp, key, err);
			return -EINVAL;
		}
		set_val(vals, i, xstrdup(v));
	}
	for (size_t i = 0; i < o->nfields; i++) {
		const struct cb_field *f = &o->fields[i];
		const char *reason;

		if (!set[i] || !vals[i])
			continue;
		if (f->type == CB_T_REF && (reason = check_ref(api, f, vals[i])) != NULL) {
			fail(resp, 400, reason);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * URIs and call IDs of spaces and their access methods share one
 * namespace (spec 1.6, 2.1, 7): across spaces a value is unique
 * (duplicateCoSpaceUri / duplicateCoSpaceId); within one space (the space
 * and its own access methods) a value may repeat with another passcode,
 * the host-PIN/guest-PIN use of spec 2.5, and only the (value, passcode)
 * pair is unique (duplicateCoSpaceUriPasscode / duplicateCoSpaceIdPasscode).
 */
struct ns_member {
	const struct cb_obj *o;
	const char *field;
};
static const struct ns_member uri_ns[] = {
	{ &cb_obj_cospaces, "uri" },
	{ &cb_obj_cospaces, "secondaryUri" },
	{ &cb_obj_access_methods, "uri" },
};
static const struct ns_member callid_ns[] = {
	{ &cb_obj_cospaces, "callId" },
	{ &cb_obj_access_methods, "callId" },
};

#define NS_FREE 0
#define NS_TAKEN 1	    /* by another space */
#define NS_PAIR_TAKEN 2 /* in the same space, with the same passcode */

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Where v stands in the namespace for an object self (NULL: new) of space
 * owner (NULL: a new space) with passcode: NS_*, or a negative errno. */
static int ns_taken(struct cb_api *api, const struct ns_member *ns, size_t n, const char *v,
		    const char *self, const char *owner, const char *passcode)
{
	int r = NS_FREE;

	for (size_t k = 0; k < n && r != NS_TAKEN; k++) {
		const struct cb_obj *o = ns[k].o;
		struct cb_query q;
		struct cb_rows rows;
		int e;

		cb_query_init(&q);
		q.eq_field = field_of(o, ns[k].field);
		q.eq_value = v;
		q.limit = 64;
		if ((e = api->db->ops->list(api->db, o, &q, &rows)) < 0)
			return e;
		for (size_t i = 0; i < rows.n; i++) {
			const struct cb_row *row = &rows.rows[i];
			const char *their_owner = o == &cb_obj_cospaces
							  ? row->id
							  : row->vals[field_of(o, "coSpace")];

			if (self && strcmp(row->id, self) == 0)
				continue;
			if (!owner || !same_str(owner, their_owner)) {
				r = NS_TAKEN;
				break;
			}
			if (same_str(passcode, row->vals[field_of(o, "passcode")]))
				r = NS_PAIR_TAKEN;
		}
		/* More rows than a page: all of one space, or taken. */
		cb_rows_free(&rows);
	}
	return r;
}

/* The namespace check of a space or access method being written. */
static const char *check_ns(struct cb_api *api, const struct cb_obj *o, char *const *vals,
			    const bool *set, const char *self, int *ret_err)
{
	bool cs = o == &cb_obj_cospaces;
	const char *owner = cs ? self : vals[field_of(o, "coSpace")];
	int pc = field_of(o, "passcode");

	for (size_t i = 0; i < o->nfields; i++) {
		const struct cb_field *f = &o->fields[i];
		bool is_uri = f->type == CB_T_URIUSER, is_cid = strcmp(f->name, "callId") == 0;
		int r;

		if ((!is_uri && !is_cid) || !vals[i] || (!set[i] && !set[pc]))
			continue;
		r = is_uri ? ns_taken(api, uri_ns, 3, vals[i], self, owner, vals[pc])
			   : ns_taken(api, callid_ns, 2, vals[i], self, owner, vals[pc]);
		if (r < 0) {
			*ret_err = r;
			return NULL;
		}
		if (r == NS_TAKEN)
			return is_uri ? "duplicateCoSpaceUri" : "duplicateCoSpaceId";
		if (r == NS_PAIR_TAKEN)
			return is_uri ? "duplicateCoSpaceUriPasscode"
				      : "duplicateCoSpaceIdPasscode";
	}
	return NULL;
}

/* Checks the unique fields of vals against the store: NULL, or the
 * failure reason of the first clash. *ret_err gets a store error. */
static const char *check_unique(struct cb_api *api, const struct cb_obj *o, char *const *vals,
				const bool *set, const char *self, int *ret_err)
{
	*ret_err = 0;
	if (o == &cb_obj_cospaces || o == &cb_obj_access_methods) {
		const char *dup = check_ns(api, o, vals, set, self, ret_err);

		if (dup || *ret_err)
			return dup;
		/* The same value as uri and secondaryUri of one space. */
		if (o == &cb_obj_cospaces) {
			const char *u = vals[field_of(o, "uri")];
			const char *s = vals[field_of(o, "secondaryUri")];

			if (u && s && strcmp(u, s) == 0)
				return "duplicateCoSpaceUri";
		}
		return NULL;
	}
	for (size_t i = 0; i < o->nfields; i++) {
		const struct cb_field *f = &o->fields[i];
		char id[CB_ID_LEN + 1];
		int r;

		if (!(f->flags & CB_F_UNIQUE) || !set[i] || !vals[i])
			continue;
		r = api->db->ops->find(api->db, o, (int)i, vals[i], id);
		if (r == 0 && (!self || strcmp(id, self) != 0))
			return f->dup;
		if (r < 0 && r != -ENOENT) {
			*ret_err = r;
			return NULL;
		}
	}
	return NULL;
}

/* A fresh callId nothing else uses. */
static int unique_call_id(struct cb_api *api, char **ret)
{
	for (int tries = 0; tries < 32; tries++) {
		char *c = new_call_id();
		int r = ns_taken(api, callid_ns, 2, c, NULL, NULL, NULL);

		if (r == NS_FREE) {
			*ret = c;
			return 0;
		}
		free(c);
		if (r < 0)
			return r;
	}
	return -EAGAIN;
}

static bool is_true(const char *v)
{
	return v && strcmp(v, "true") == 0;
}

/*
 * The object-specific rules of a create or modify, after the form:
 * generated call IDs and secrets, owners, password hashes. row holds the
 * merged values (for PUT: stored values with the form's changes); set
 * marks what will be written. 0, or resp filled and negative.
 */
static int object_rules(struct cb_api *api, const struct cb_obj *o, char **vals, bool *set,
			bool put, struct cb_response *resp)
{
	int r;

	if (o == &cb_obj_cospaces || o == &cb_obj_access_methods) {
		int cid = field_of(o, "callId"), sec = field_of(o, "secret");
		int regen = field_of(o, "regenerateSecret");

		if (o == &cb_obj_cospaces) {
			int req = field_of(o, "requireCallId");

			/* spec 2.1: requireCallId=true and no callId -> one is made. */
			if (is_true(vals[req]) && !vals[cid]) {
				char *c;

				if ((r = unique_call_id(api, &c)) < 0) {
					fail_db(resp, r);
					return r;
				}
				set_val(vals, cid, c);
				set[cid] = true;
			}
		}
		/* spec 2.1: a secret is chosen when absent and callId set;
		 * regenerateSecret=true makes a new one. */
		if ((vals[cid] && !vals[sec] && !(set[sec] && put)) || is_true(vals[regen])) {
			set_val(vals, sec, new_secret());
			set[sec] = true;
		}
	}
	if (o == &cb_obj_cospaces) {
		int jid = field_of(o, "ownerJid"), oid = field_of(o, "ownerId");

		if (set[jid]) {
			char id[CB_ID_LEN + 1];

			/* ownerId: the user whose userJid this is, if any. */
			set[oid] = true;
			if (vals[jid] && api->db->ops->find(api->db, &cb_obj_users,
							     field_of(&cb_obj_users, "userJid"),
							     vals[jid], id) == 0)
				set_val(vals, oid, xstrdup(id));
			else
				set_val(vals, oid, NULL);
		}
	}
	if (o == &cb_obj_cospace_users) {
		int jid = field_of(o, "userJid"), uid = field_of(o, "userId");
		char id[CB_ID_LEN + 1];

		if (!put) {
			if (api->db->ops->find(api->db, &cb_obj_users,
					       field_of(&cb_obj_users, "userJid"), vals[jid],
					       id) < 0) {
				fail(resp, 400, "userDoesNotExist");
				return -EINVAL;
			}
			set_val(vals, uid, xstrdup(id));
			set[uid] = true;
		}
	}
	if (o == &cb_obj_users) {
		int pw = field_of(o, "password");

		if (set[pw] && vals[pw]) {
			char *hash = NULL;

			if (cv_pw_hash(vals[pw], &hash) < 0) {
				fail_db(resp, -EIO);
				return -EIO;
			}
			/* The XMPP server's SCRAM logins need keys derived
			 * from the clear password (cb_api_scram_encode). */
			for (int m = 0; m < 2; m++) {
				int sf = field_of(o, m ? "scramSha256" : "scramSha1");
				char *enc = NULL;

				if (cb_api_scram_encode(m ? XMPP_SASL_SCRAM_SHA_256
							  : XMPP_SASL_SCRAM_SHA_1,
							vals[pw], &enc) < 0) {
					free(hash);
					fail_db(resp, -EIO);
					return -EIO;
				}
				set_val(vals, sf, enc);
				set[sf] = true;
			}
			/* The clear password is gone from here on. */
			explicit_bzero(vals[pw], strlen(vals[pw]));
			set_val(vals, pw, hash);
		} else if (set[pw]) {
			/* Password unset: no SCRAM keys either. */
			for (int m = 0; m < 2; m++) {
				int sf = field_of(o, m ? "scramSha256" : "scramSha1");

				set_val(vals, sf, NULL);
				set[sf] = true;
			}
		}
	}
	return 0;
}

static int required_missing(const struct cb_obj *o, char *const *vals, struct cb_response *resp)
{
	for (size_t i = 0; i < o->nfields; i++)
		if ((o->fields[i].flags & CB_F_REQUIRED) && !vals[i]) {
			fail_param(resp, o->fields[i].name, "required");
			return -EINVAL;
		}
	return 0;
}

/* ---- handlers ---- */

struct route {
	const struct cb_obj *o;
	const char *parent_id; /* list/create under a parent, or NULL */
	int parent_field;      /* the child's field holding parent_id */
	const char *id;        /* object id, or NULL for the collection */
};

static int parse_form(const struct cb_request *req, const char *s, size_t len,
		      struct cb_form *form, struct cb_response *resp)
{
	int r = cb_form_parse(s ? s : "", s ? len : 0, CB_API_BODY_MAX, 0, form);

	if (r == -E2BIG && len > CB_API_BODY_MAX) {
		fail(resp, 413, "parameterError");
		return r;
	}
	if (r < 0) {
		fail_param(resp, form->bad_key, form->reason ? form->reason : "invalidValue");
		return r;
	}
	(void)req;
	return 0;
}

static void handle_list(struct cb_api *api, const struct cb_request *req, const struct route *rt,
			struct cb_response *resp)
{
	const struct cb_obj *o = rt->o;
	struct cb_form form;
	struct cb_query q;
	struct cb_rows rows;
	struct cb_xml x;
	int r;

	if (parse_form(req, req->query, req->query ? strlen(req->query) : 0, &form, resp) < 0)
		goto out;
	cb_query_init(&q);
	q.limit = CB_API_LIMIT_MAX;
	if (rt->parent_id) {
		q.eq_field = rt->parent_field;
		q.eq_value = rt->parent_id;
	}
	for (size_t k = 0; k < form.n; k++) {
		const char *key = form.pairs[k].key, *v = form.pairs[k].value;
		unsigned long n;
		bool known = false;

		if (strcmp(key, "offset") == 0) {
			if (cv_parse_ulong(v, 0, 1000000000, &n) < 0) {
				fail_param(resp, key, "invalidValue");
				goto out;
			}
			q.offset = (long)n;
			continue;
		}
		if (strcmp(key, "limit") == 0) {
			if (cv_parse_ulong(v, 0, 1000000000, &n) < 0) {
				fail_param(resp, key, "invalidValue");
				goto out;
			}
			/* spec 1.4: the lower of the client's and ours. */
			q.limit = n < CB_API_LIMIT_MAX ? (long)n : CB_API_LIMIT_MAX;
			continue;
		}
		if (strcmp(key, "filter") == 0) {
			q.filter = *v ? v : NULL;
			continue;
		}
		for (size_t i = 0; i < o->nfields; i++) {
			if (!o->fields[i].filter || strcmp(o->fields[i].filter, key) != 0)
				continue;
			known = true;
			if (!*v)
				continue; /* an empty filter filters nothing */
			if (q.eq_field < 0) {
				q.eq_field = (int)i;
				q.eq_value = v;
			} else if (q.eq_field == (int)i && !rt->parent_id) {
				q.eq_value = v; /* a repeated key: the last wins */
			} else {
				/* Another condition (also a filter on the
				 * parent link: both must hold). */
				size_t j;

				for (j = 0; j < q.nmore; j++)
					if (q.more[j].field == (int)i)
						break;
				if (j == q.nmore) {
					if (q.nmore == CB_QUERY_EQ_MAX) {
						fail_param(resp, key, "unknownParameter");
						goto out;
					}
					q.more[q.nmore++].field = (int)i;
				}
				q.more[j].value = v;
			}
		}
		if (!known) {
			fail_param(resp, key, "unknownParameter");
			goto out;
		}
	}
	/* Entries show the CB_F_LIST fields only. */
	q.list_cols = true;
	r = api->db->ops->list(api->db, o, &q, &rows);
	if (r < 0) {
		fail_db(resp, r);
		goto out;
	}
	ok_empty(resp);
	cb_xml_begin(&x, &resp->body);
	{
		char total[24];

		snprintf(total, sizeof(total), "%ld", rows.total);
		if (rows.n == 0) {
			cb_xml_empty(&x, o->coll, "total", total);
		} else {
			cb_xml_open(&x, o->coll, "total", total);
			for (size_t i = 0; i < rows.n; i++)
				render_object(&x, o, rows.rows[i].id, rows.rows[i].vals, CB_F_LIST);
			cb_xml_close(&x, o->coll);
		}
	}
	cb_rows_free(&rows);
out:
	cb_form_free(&form);
}

/* Gets the object of rt (which must belong to rt's parent, if any). */
static int load(struct cb_api *api, const struct route *rt, struct cb_row *row,
		struct cb_response *resp)
{
	int r;

	if (!cb_guid_valid(rt->id)) {
		fail(resp, 404, rt->o->missing);
		return -ENOENT;
	}
	r = api->db->ops->get(api->db, rt->o, rt->id, row);
	if (r == -ENOENT || (r == 0 && rt->parent_id &&
			     (!row->vals[rt->parent_field] ||
			      strcmp(row->vals[rt->parent_field], rt->parent_id) != 0))) {
		if (r == 0)
			cb_row_free(row);
		fail(resp, 404, rt->o->missing);
		return -ENOENT;
	}
	if (r < 0)
		fail_db(resp, r);
	return r;
}

static void handle_get(struct cb_api *api, const struct route *rt, struct cb_response *resp)
{
	struct cb_row row;
	struct cb_xml x;

	if (load(api, rt, &row, resp) < 0)
		return;
	fill_computed(api, rt->o, &row);
	ok_empty(resp);
	cb_xml_begin(&x, &resp->body);
	render_object(&x, rt->o, row.id, row.vals, CB_F_DETAIL);
	cb_row_free(&row);
}

static void log_change(const struct cb_request *req, const char *verb, const struct cb_obj *o,
		       const char *id, const struct route *rt)
{
	if (rt && rt->parent_id) {
		const struct cb_obj *p = o == &cb_obj_participants ? &cb_obj_calls
								    : &cb_obj_cospaces;

		cv_info("%s%sAPI user \"%s\" %s %s %s, %s %s", from_addr(req), from_sep(req),
			user_of(req), verb, word_of(o), id, word_of(p), rt->parent_id);
	} else {
		cv_info("%s%sAPI user \"%s\" %s %s %s", from_addr(req), from_sep(req), user_of(req),
			verb, word_of(o), id);
	}
}

/* The seed 004 lines of a call's start: the space, its correlator and
 * the call's own id ("Internal GUID"). */
static void log_call_start(const char *name, const char *cospace, const char *corr,
			   const char *call)
{
	cv_info("API \"%s\" Space GUID: %s <--> Call Correlator GUID: %s <--> Internal GUID: %s",
		name ? name : "", cospace ? cospace : "", corr, call);
	cv_info("conference %s named \"%s\"", call, name ? name : "");
}

/* Rules of a call's creation (spec 2.2): one of coSpace or name; a space's
 * call takes its name; correlator and start time. */
static int call_rules(struct cb_api *api, char **vals, bool *set, struct cb_response *resp)
{
	const struct cb_obj *o = &cb_obj_calls;
	int cs = field_of(o, "coSpace"), nm = field_of(o, "name");

	if (!vals[cs] && !vals[nm]) {
		fail_param(resp, "coSpace", "required");
		return -EINVAL;
	}
	if (vals[cs] && !vals[nm]) {
		struct cb_row row;

		if (api->db->ops->get(api->db, &cb_obj_cospaces, vals[cs], &row) == 0) {
			int n = field_of(&cb_obj_cospaces, "name");

			if (row.vals[n])
				set_val(vals, nm, xstrdup(row.vals[n]));
			cb_row_free(&row);
		}
	}
	set_val(vals, field_of(o, "callType"), xstrdup(vals[cs] ? "coSpace" : "adHoc"));
	{
		char corr[CB_ID_LEN + 1];

		cb_guid_new(corr);
		set_val(vals, field_of(o, "callCorrelator"), xstrdup(corr));
	}
	set_val(vals, field_of(o, "startTime"), num_str((long long)time(NULL)));
	for (size_t i = 0; i < o->nfields; i++)
		set[i] = true;
	return 0;
}

/*
 * The end of a create or a modify, inside the caller's transaction: the
 * unique checks (self: the object's own id, which a modify's values may
 * keep), the row written (updated when update, else inserted), the unique
 * index's reason when another writer of a shared store came first, and
 * the commit. 0 once committed; else resp holds the failure and the
 * caller rolls back.
 */
static int write_row(struct cb_api *api, const struct cb_obj *o, const char *id, char **vals,
		     const bool *set, bool update, const char *self, struct cb_response *resp)
{
	const char *dup;
	int r, err;

	dup = check_unique(api, o, vals, set, self, &err);
	if (err < 0) {
		fail_db(resp, err);
		return err;
	}
	if (dup) {
		fail(resp, 400, dup);
		return -EEXIST;
	}
	r = update ? api->db->ops->update(api->db, o, id, vals, set)
		   : api->db->ops->insert(api->db, o, id, vals);
	if (r == -EEXIST) {
		/* A create names every unique field it has; a modify the
		 * ones it changed. */
		for (size_t i = 0; i < o->nfields; i++)
			if ((o->fields[i].flags & CB_F_UNIQUE) && (!self || set[i])) {
				fail(resp, 400, o->fields[i].dup);
				break;
			}
		return r;
	}
	if (r < 0 || (r = api->db->ops->commit(api->db)) < 0) {
		fail_db(resp, r);
		return r;
	}
	return 0;
}

static void handle_create(struct cb_api *api, const struct cb_request *req,
			  const struct route *rt, struct cb_response *resp)
{
	const struct cb_obj *o = rt->o;
	struct cb_form form;
	char **vals = xcalloc(o->nfields, sizeof(char *));
	bool *set = xcalloc(o->nfields, sizeof(bool));
	char id[CB_ID_LEN + 1];
	int r;
	bool tx = false;

	if (parse_form(req, req->body, req->body_len, &form, resp) < 0)
		goto out;
	if ((r = api->db->ops->begin(api->db)) < 0) {
		fail_db(resp, r);
		goto out;
	}
	tx = true;
	if (apply_form(api, o, &form, false, vals, set, resp) < 0)
		goto out;
	if (rt->parent_id) {
		set_val(vals, rt->parent_field, xstrdup(rt->parent_id));
		set[rt->parent_field] = true;
	}
	if (required_missing(o, vals, resp) < 0)
		goto out;
	if (o == &cb_obj_calls && call_rules(api, vals, set, resp) < 0)
		goto out;
	if (object_rules(api, o, vals, set, false, resp) < 0)
		goto out;
	cb_guid_new(id);
	if (write_row(api, o, id, vals, set, false, NULL, resp) < 0)
		goto out;
	tx = false;
	ok_empty(resp);
	if (rt->parent_id)
		snprintf(resp->location, sizeof(resp->location), "/api/v1/coSpaces/%s/%s/%s",
			 rt->parent_id, o->coll, id);
	else
		snprintf(resp->location, sizeof(resp->location), "/api/v1/%s/%s", o->coll, id);
	log_change(req, "created new", o, id, rt);
	if (o == &cb_obj_calls)
		log_call_start(vals[field_of(o, "name")], vals[field_of(o, "coSpace")],
			       vals[field_of(o, "callCorrelator")], id);
out:
	if (tx)
		api->db->ops->rollback(api->db);
	for (size_t i = 0; i < o->nfields; i++)
		free(vals[i]);
	free(vals);
	free(set);
	cb_form_free(&form);
}

/* PUT of an object or a singleton (rt->id NULL: the singleton's row). */
static void handle_modify(struct cb_api *api, const struct cb_request *req,
			  const struct route *rt, struct cb_response *resp)
{
	const struct cb_obj *o = rt->o;
	bool single = o->flags & CB_O_SINGLETON;
	const char *id = single ? CB_DB_SINGLETON_ID : rt->id;
	struct cb_form form;
	struct cb_row row = { .vals = NULL };
	bool *set = xcalloc(o->nfields, sizeof(bool));
	bool tx = false, exists = true;
	int r;

	if (parse_form(req, req->body, req->body_len, &form, resp) < 0)
		goto out;
	if ((r = api->db->ops->begin(api->db)) < 0) {
		fail_db(resp, r);
		goto out;
	}
	tx = true;
	if (single) {
		r = api->db->ops->get(api->db, o, id, &row);
		if (r == -ENOENT) {
			exists = false;
			cb_row_init(&row, o);
		} else if (r < 0) {
			fail_db(resp, r);
			goto out;
		}
	} else if (load(api, rt, &row, resp) < 0) {
		goto out;
	}
	if (apply_form(api, o, &form, true, row.vals, set, resp) < 0)
		goto out;
	for (size_t i = 0; i < o->nfields; i++)
		if (set[i] && (o->fields[i].flags & CB_F_REQUIRED) && !row.vals[i]) {
			fail_param(resp, o->fields[i].name, "required");
			goto out;
		}
	if (object_rules(api, o, row.vals, set, true, resp) < 0)
		goto out;
	if (write_row(api, o, id, row.vals, set, exists, id, resp) < 0)
		goto out;
	tx = false;
	ok_empty(resp);
	if (single)
		cv_info("%s%sAPI user \"%s\" modified %s configuration", from_addr(req),
			from_sep(req), user_of(req), o->elem);
	else
		log_change(req, "modified", o, id, NULL);
	/* The link reads the new settings and reconnects (after the
	 * commit: it reads them from the store). */
	if (o == &cb_obj_xmpp && api->xmpp_changed)
		api->xmpp_changed(api->xmpp_changed_arg);
out:
	if (tx)
		api->db->ops->rollback(api->db);
	cb_row_free(&row);
	free(set);
	cb_form_free(&form);
}

/* A deleted user is no longer a member of any space, nor its owner
 * (the memberships and ownerId name the user by id without a foreign
 * key: the user may come from LDAP in CMS). Inside the caller's
 * transaction. */
static int forget_user(struct cb_api *api, const char *user_id)
{
	const struct cb_obj *cu = &cb_obj_cospace_users, *cs = &cb_obj_cospaces;
	int r = 0;

	for (int pass = 0; pass < 2 && r == 0; pass++) {
		const struct cb_obj *o = pass ? cs : cu;
		int f = field_of(o, pass ? "ownerId" : "userId");
		char **vals = xcalloc(o->nfields, sizeof(char *));
		bool *set = xcalloc(o->nfields, sizeof(bool));

		set[f] = true; /* ownerId unset */
		while (r == 0) {
			struct cb_query q;
			struct cb_rows rows;

			cb_query_init(&q);
			q.eq_field = f;
			q.eq_value = user_id;
			q.limit = 100;
			if ((r = api->db->ops->list(api->db, o, &q, &rows)) < 0 || rows.n == 0)
				break;
			for (size_t i = 0; i < rows.n && r == 0; i++) {
				const char *id = rows.rows[i].id;

				r = pass ? api->db->ops->update(api->db, o, id, vals, set)
					 : api->db->ops->remove(api->db, o, id);
			}
			cb_rows_free(&rows);
		}
		free(vals);
		free(set);
	}
	return r;
}

static void handle_delete(struct cb_api *api, const struct cb_request *req,
			  const struct route *rt, struct cb_response *resp)
{
	struct cb_row row;
	char call_id[CB_ID_LEN + 1] = "";
	long legs = 0;
	int r;

	if ((r = api->db->ops->begin(api->db)) < 0) {
		fail_db(resp, r);
		return;
	}
	if (load(api, rt, &row, resp) < 0) {
		api->db->ops->rollback(api->db);
		return;
	}
	if (rt->o == &cb_obj_cospaces)
		api->db->ops->find(api->db, &cb_obj_calls, field_of(&cb_obj_calls, "coSpace"),
				   row.id, call_id);
	if (rt->o == &cb_obj_call_legs)
		legs = 1;
	else if (rt->o == &cb_obj_participants)
		legs = count_eq(api, &cb_obj_call_legs, "participant", row.id);
	else if (rt->o == &cb_obj_calls)
		legs = count_eq(api, &cb_obj_call_legs, "call", row.id);
	else if (call_id[0])
		legs = count_eq(api, &cb_obj_call_legs, "call", call_id);
	r = rt->o == &cb_obj_users ? forget_user(api, row.id) : 0;
	if (r == 0)
		r = api->db->ops->remove(api->db, rt->o, row.id);
	if (r == 0)
		r = api->db->ops->commit(api->db);
	if (r < 0) {
		api->db->ops->rollback(api->db);
		fail_db(resp, r);
		cb_row_free(&row);
		return;
	}
	api->legs_completed += legs;
	ok_empty(resp);
	log_change(req, "deleted", rt->o, row.id, NULL);
	if (rt->o == &cb_obj_calls)
		cv_info("conference %s destroyed", row.id);
	else if (call_id[0])
		cv_info("conference %s destroyed (its space was deleted)", call_id);
	cb_row_free(&row);
}

/* PUT /calls/<id>/participants/"*": spec 2.4, the same change to every
 * participant of the call; rxAudioMute & co and layout (chosenLayout) go to
 * their call legs, importance & co to the participants. */
static void handle_bulk(struct cb_api *api, const struct cb_request *req, const char *call_id,
			struct cb_response *resp)
{
	const struct cb_obj *po = &cb_obj_participants, *lo = &cb_obj_call_legs;
	struct cb_form form, pform = { 0 }, lform = { 0 };
	char **pv = xcalloc(po->nfields, sizeof(char *));
	char **lv = xcalloc(lo->nfields, sizeof(char *));
	bool *ps = xcalloc(po->nfields, sizeof(bool)), *ls = xcalloc(lo->nfields, sizeof(bool));
	struct cb_row call;
	struct route crt = { .o = &cb_obj_calls, .id = call_id };
	bool tx = false;
	int r;

	pform.pairs = xcalloc(CB_FORM_FIELDS_MAX, sizeof(*pform.pairs));
	lform.pairs = xcalloc(CB_FORM_FIELDS_MAX, sizeof(*lform.pairs));
	if (parse_form(req, req->body, req->body_len, &form, resp) < 0)
		goto out;
	if ((r = api->db->ops->begin(api->db)) < 0) {
		fail_db(resp, r);
		goto out;
	}
	tx = true;
	if (load(api, &crt, &call, resp) < 0)
		goto out;
	cb_row_free(&call);
	/* Split the form by which object takes each key (borrowed pairs). */
	for (size_t k = 0; k < form.n; k++) {
		const char *key = form.pairs[k].key;
		int i = cb_obj_field(po, key);

		if (i >= 0 && (po->fields[i].flags & CB_F_PUT)) {
			pform.pairs[pform.n++] = form.pairs[k];
			continue;
		}
		if (strcmp(key, "layout") == 0) {
			const struct cb_field *cl = &lo->fields[field_of(lo, "chosenLayout")];
			const char *err;

			/* Checked here so that the error names what was sent. */
			if (*form.pairs[k].value &&
			    cb_field_check(cl, form.pairs[k].value, &err) < 0) {
				fail_param(resp, key, err);
				goto out;
			}
			lform.pairs[lform.n].key = (char *)"chosenLayout";
			lform.pairs[lform.n++].value = form.pairs[k].value;
			continue;
		}
		i = cb_obj_field(lo, key);
		if (i >= 0 && (lo->fields[i].flags & CB_F_PUT) &&
		    same_group(lo->fields[i].group, "configuration")) {
			lform.pairs[lform.n++] = form.pairs[k];
			continue;
		}
		fail_param(resp, key, "unknownParameter");
		goto out;
	}
	if (apply_form(api, po, &pform, true, pv, ps, resp) < 0 ||
	    apply_form(api, lo, &lform, true, lv, ls, resp) < 0)
		goto out;
	for (int pass = 0; pass < 2; pass++) {
		const struct cb_obj *o = pass ? lo : po;
		struct cb_query q;
		struct cb_rows rows;

		cb_query_init(&q);
		q.eq_field = field_of(o, "call");
		q.eq_value = call_id;
		q.limit = 1000000;
		if ((r = api->db->ops->list(api->db, o, &q, &rows)) < 0) {
			fail_db(resp, r);
			goto out;
		}
		for (size_t i = 0; i < rows.n && r == 0; i++)
			r = api->db->ops->update(api->db, o, rows.rows[i].id, pass ? lv : pv,
						 pass ? ls : ps);
		cb_rows_free(&rows);
		if (r < 0) {
			fail_db(resp, r);
			goto out;
		}
	}
	if ((r = api->db->ops->commit(api->db)) < 0) {
		fail_db(resp, r);
		goto out;
	}
	tx = false;
	ok_empty(resp);
	cv_info("%s%sAPI user \"%s\" modified all participants of call %s", from_addr(req),
		from_sep(req), user_of(req), call_id);
out:
	if (tx)
		api->db->ops->rollback(api->db);
	for (size_t i = 0; i < po->nfields; i++)
		free(pv[i]);
	for (size_t i = 0; i < lo->nfields; i++)
		free(lv[i]);
	free(pv);
	free(lv);
	free(ps);
	free(ls);
	free(pform.pairs);
	free(lform.pairs);
	cb_form_free(&form);
}

/* POST /calls/<id>/participants and /calls/<id>/callLegs: dialling out
 * to SIP and moving participants are not in this build. The call must
 * exist; the answer names the parameter that asks for what is missing. */
static void handle_dial_out(struct cb_api *api, const struct cb_request *req,
			    const char *call_id, struct cb_response *resp)
{
	struct route crt = { .o = &cb_obj_calls, .id = call_id };
	struct cb_form form;
	struct cb_row call;

	if (parse_form(req, req->body, req->body_len, &form, resp) < 0)
		goto out;
	if (load(api, &crt, &call, resp) < 0)
		goto out;
	cb_row_free(&call);
	if (cb_form_get(&form, "movedParticipant"))
		fail_param(resp, "movedParticipant", "unsupported");
	else if (cb_form_get(&form, "remoteParty"))
		fail_param(resp, "remoteParty", "unsupported");
	else
		fail_param(resp, "remoteParty", "required");
out:
	cb_form_free(&form);
}

static void handle_status(struct cb_api *api, struct cb_response *resp)
{
	struct timespec now;
	struct cb_xml x;
	char buf[32];
	time_t t = time(NULL);
	struct tm tm;
	long legs = count_all(api, &cb_obj_call_legs);

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (legs > api->legs_max_active)
		api->legs_max_active = legs;
	ok_empty(resp);
	cb_xml_begin(&x, &resp->body);
	cb_xml_open(&x, "status", NULL, NULL);
	cb_xml_leaf(&x, "hostId", api->host_id);
	cb_xml_leaf(&x, "softwareVersion", CONVENE_VERSION);
	snprintf(buf, sizeof(buf), "%lld", (long long)(now.tv_sec - api->opened.tv_sec));
	cb_xml_leaf(&x, "uptimeSeconds", buf);
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	cb_xml_leaf(&x, "cdrTime", buf);
	cb_xml_leaf(&x, "activated", "true");
	cb_xml_leaf(&x, "clusterEnabled", count_all(api, &cb_obj_call_bridges) > 0 ? "true"
										   : "false");
	/* No CDRs are sent by this build. */
	cb_xml_leaf(&x, "cdrCorrelatorIndex", "0");
	snprintf(buf, sizeof(buf), "%ld", legs);
	cb_xml_leaf(&x, "callLegsActive", buf);
	snprintf(buf, sizeof(buf), "%ld", api->legs_max_active);
	cb_xml_leaf(&x, "callLegsMaxActive", buf);
	snprintf(buf, sizeof(buf), "%ld", api->legs_completed);
	cb_xml_leaf(&x, "callLegsCompleted", buf);
	/* No media engine yet: no media flows, and the counters say so. */
	cb_xml_leaf(&x, "audioBitRateOutgoing", "0");
	cb_xml_leaf(&x, "audioBitRateIncoming", "0");
	cb_xml_leaf(&x, "videoBitRateOutgoing", "0");
	cb_xml_leaf(&x, "videoBitRateIncoming", "0");
	snprintf(buf, sizeof(buf), "%ld", count_all(api, &cb_obj_calls));
	cb_xml_leaf(&x, "callsActive", buf);
	/* The XMPP link, once the program runs one (cb_api_set_xmpp_status):
	 * Convene extensions, spec/api.md 2.11 has no XMPP fields. */
	if (api->xmpp_reported)
		for (int i = 0; i < CB_API_XMPP_NFIELDS; i++)
			if (api->xmpp_status[i] && *api->xmpp_status[i])
				cb_xml_leaf(&x, cb_api_xmpp_fields[i], api->xmpp_status[i]);
	cb_xml_close(&x, "status");
}

static void handle_singleton_get(struct cb_api *api, const struct cb_obj *o,
				 struct cb_response *resp)
{
	struct cb_row row;
	struct cb_xml x;
	int r = api->db->ops->get(api->db, o, CB_DB_SINGLETON_ID, &row);

	if (r == -ENOENT) {
		cb_row_init(&row, o);
	} else if (r < 0) {
		fail_db(resp, r);
		return;
	}
	if (o == &cb_obj_cluster) {
		int u = field_of(o, "uniqueName");

		if (!row.vals[u])
			row.vals[u] = xstrdup(api->name);
	}
	ok_empty(resp);
	cb_xml_begin(&x, &resp->body);
	render_object(&x, o, NULL, row.vals, CB_F_DETAIL);
	cb_row_free(&row);
}

static int64_t trace_left(struct cb_api *api)
{
	int64_t left = api->trace_until - (int64_t)time(NULL);

	return left > 0 ? left : 0;
}

static void handle_tracing(struct cb_api *api, const struct cb_request *req, bool write,
			   struct cb_response *resp)
{
	struct cb_form form = { 0 };
	struct cb_xml x;
	char buf[24];

	if (write) {
		const char *v;
		unsigned long n;
		int r;

		if (parse_form(req, req->body, req->body_len, &form, resp) < 0)
			goto out;
		for (size_t k = 0; k < form.n; k++)
			if (strcmp(form.pairs[k].key, "apiTracing") != 0) {
				fail_param(resp, form.pairs[k].key, "unknownParameter");
				goto out;
			}
		v = cb_form_get(&form, "apiTracing");
		if (v) {
			if (*v && cv_parse_ulong(v, 0, TRACE_MAX_SECONDS, &n) < 0) {
				fail_param(resp, "apiTracing", "invalidValue");
				goto out;
			}
			r = cb_api_set_trace_until(api, *v && n ? (int64_t)time(NULL) + (int64_t)n
								: 0);
			if (r < 0) {
				fail_db(resp, r);
				goto out;
			}
			cv_info("%s%sAPI user \"%s\" set API tracing for %lu seconds",
				from_addr(req), from_sep(req), user_of(req),
				*v ? n : 0);
		}
		ok_empty(resp);
		goto out;
	}
	ok_empty(resp);
	cb_xml_begin(&x, &resp->body);
	cb_xml_open(&x, "tracing", NULL, NULL);
	snprintf(buf, sizeof(buf), "%lld", (long long)trace_left(api));
	cb_xml_leaf(&x, "apiTracing", buf);
	cb_xml_close(&x, "tracing");
out:
	cb_form_free(&form);
}

static const char *wb_status(struct cb_api *api, const char *id)
{
	for (size_t i = 0; i < api->nwbs; i++)
		if (strcmp(api->wbs[i].id, id) == 0)
			return api->wbs[i].status;
	return "unused";
}

static void handle_wb_status(struct cb_api *api, const char *id, struct cb_response *resp)
{
	struct route rt = { .o = &cb_obj_web_bridges, .id = id };
	struct cb_row row;
	struct cb_xml x;

	if (load(api, &rt, &row, resp) < 0)
		return;
	cb_row_free(&row);
	ok_empty(resp);
	cb_xml_begin(&x, &resp->body);
	cb_xml_open(&x, "webBridge", "id", id);
	cb_xml_leaf(&x, "status", wb_status(api, id));
	cb_xml_close(&x, "webBridge");
}

/* GET /coSpaces/<id>/meetingEntryDetail (spec 2.1): how to join the
 * space, its uri and callId. */
static void handle_entry_detail(struct cb_api *api, const char *id, struct cb_response *resp)
{
	struct route rt = { .o = &cb_obj_cospaces, .id = id };
	const struct cb_obj *o = &cb_obj_cospaces;
	struct cb_row row;
	struct cb_xml x;
	const char *uri, *cid;

	if (load(api, &rt, &row, resp) < 0)
		return;
	uri = row.vals[field_of(o, "uri")];
	cid = row.vals[field_of(o, "callId")];
	ok_empty(resp);
	cb_xml_begin(&x, &resp->body);
	if (!uri && !cid) {
		cb_xml_empty(&x, "meetingEntryDetail", NULL, NULL);
	} else {
		cb_xml_open(&x, "meetingEntryDetail", NULL, NULL);
		if (uri)
			cb_xml_leaf(&x, "uri", uri);
		if (cid)
			cb_xml_leaf(&x, "callId", cid);
		cb_xml_close(&x, "meetingEntryDetail");
	}
	cb_row_free(&row);
}

/* ---- routing ---- */

static bool is(const char *seg, const char *name)
{
	return strcasecmp(seg, name) == 0;
}

static void method_not_allowed(struct cb_response *resp)
{
	fail(resp, 405, "invalidOperation");
}

static void route_system(struct cb_api *api, const struct cb_request *req, char **seg, int n,
			 struct cb_response *resp)
{
	const char *m = req->method;
	bool get = strcmp(m, "GET") == 0;
	bool write = strcmp(m, "PUT") == 0 || strcmp(m, "POST") == 0;

	if (n == 2 && is(seg[1], "status")) {
		if (get)
			handle_status(api, resp);
		else
			method_not_allowed(resp);
		return;
	}
	if (n == 2 && is(seg[1], "load")) {
		/* spec 2.11: the media processing load; no media engine runs
		 * in this build, so there is none. */
		if (get) {
			struct cb_xml x;

			ok_empty(resp);
			cb_xml_begin(&x, &resp->body);
			cb_xml_open(&x, "load", NULL, NULL);
			cb_xml_leaf(&x, "mediaProcessingLoad", "0");
			cb_xml_close(&x, "load");
		} else {
			method_not_allowed(resp);
		}
		return;
	}
	if (n == 3 && is(seg[1], "configuration")) {
		const struct cb_obj *o = NULL;

		if (is(seg[2], "tracing")) {
			if (get || write)
				handle_tracing(api, req, write, resp);
			else
				method_not_allowed(resp);
			return;
		}
		if (is(seg[2], "xmpp"))
			o = &cb_obj_xmpp;
		else if (is(seg[2], "cluster"))
			o = &cb_obj_cluster;
		if (o) {
			struct route rt = { .o = o };

			/* spec 1.3: PUT or POST modify these two. */
			if (get)
				handle_singleton_get(api, o, resp);
			else if (write)
				handle_modify(api, req, &rt, resp);
			else
				method_not_allowed(resp);
			return;
		}
	}
	fail(resp, 404, "unrecognizedObject");
}

/* Splits path into at most CB_API_SEGS_MAX segments (in buf). */
static int split(const char *path, char *buf, size_t buflen, char **seg)
{
	size_t len = strlen(path);
	int n = 0;
	char *p;

	if (path[0] != '/' || len >= buflen)
		return -EINVAL;
	memcpy(buf, path + 1, len);
	/* One trailing '/' is tolerated ("/coSpaces/"). */
	if (len > 1 && buf[len - 2] == '/')
		buf[len - 2] = '\0';
	p = buf;
	while (1) {
		char *slash = strchr(p, '/');

		if (n == CB_API_SEGS_MAX)
			return -EINVAL;
		seg[n++] = p;
		if (!*p)
			return -EINVAL; /* "//" or an empty path */
		if (!slash)
			break;
		*slash = '\0';
		p = slash + 1;
	}
	for (int i = 0; i < n; i++)
		if (strcmp(seg[i], "%2A") == 0 || strcmp(seg[i], "%2a") == 0)
			seg[i] = (char *)"*";
	return n;
}

void cb_api_handle(struct cb_api *api, const struct cb_request *req, struct cb_response *resp)
{
	char buf[CB_API_PATH_MAX + 1];
	char *seg[CB_API_SEGS_MAX];
	const char *m = req->method ? req->method : "";
	bool get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0;
	bool put = strcmp(m, "PUT") == 0, del = strcmp(m, "DELETE") == 0;
	const struct cb_obj *o;
	int n;

	resp->status = 500;
	resp->location[0] = '\0';
	sb_reset(&resp->body);
	if (req->body_len > CB_API_BODY_MAX) {
		fail(resp, 413, "parameterError");
		return;
	}
	n = split(req->path ? req->path : "", buf, sizeof(buf), seg);
	if (n <= 0) {
		fail(resp, 404, "unrecognizedObject");
		return;
	}
	if (!get && !post && !put && !del) {
		method_not_allowed(resp);
		return;
	}
	if (is(seg[0], "system")) {
		route_system(api, req, seg, n, resp);
		return;
	}
	o = cb_obj_find(seg[0], false);
	if (!o) {
		fail(resp, 404, "unrecognizedObject");
		return;
	}
	if (n == 1) {
		struct route rt = { .o = o };

		if (get)
			handle_list(api, req, &rt, resp);
		else if (post && (o == &cb_obj_call_legs || o == &cb_obj_participants))
			/* CMS creates these under a call only (spec 2.3, 2.4). */
			method_not_allowed(resp);
		else if (post)
			handle_create(api, req, &rt, resp);
		else
			method_not_allowed(resp);
		return;
	}
	if (n == 2) {
		struct route rt = { .o = o, .id = seg[1] };

		if (get)
			handle_get(api, &rt, resp);
		else if (put)
			handle_modify(api, req, &rt, resp);
		else if (del)
			handle_delete(api, req, &rt, resp);
		else
			method_not_allowed(resp);
		return;
	}
	/* Sub-resources: /<coll>/<id>/<sub>[/<id>]. The parent must exist. */
	{
		struct route prt = { .o = o, .id = seg[1] };
		const struct cb_obj *sub = NULL;
		struct cb_row prow;
		struct route rt;

		if (o == &cb_obj_cospaces && n == 3 && is(seg[2], "meetingEntryDetail")) {
			if (get)
				handle_entry_detail(api, seg[1], resp);
			else
				method_not_allowed(resp);
			return;
		}
		if (o == &cb_obj_cospaces)
			sub = cb_obj_find(seg[2], true);
		else if ((o == &cb_obj_calls && (is(seg[2], "participants") ||
						 is(seg[2], "callLegs"))) ||
			 (o == &cb_obj_participants && is(seg[2], "callLegs")) ||
			 (o == &cb_obj_web_bridges && is(seg[2], "status")))
			sub = o; /* known; handled below */
		if (!sub || n > 4) {
			fail(resp, 404, "unrecognizedObject");
			return;
		}
		if (o == &cb_obj_web_bridges) {
			if (n != 3)
				fail(resp, 404, "unrecognizedObject");
			else if (get)
				handle_wb_status(api, seg[1], resp);
			else
				method_not_allowed(resp);
			return;
		}
		if (o == &cb_obj_calls && n == 4) {
			if (!is(seg[2], "participants") || strcmp(seg[3], "*") != 0)
				fail(resp, 404, "unrecognizedObject");
			else if (put)
				handle_bulk(api, req, seg[1], resp);
			else
				method_not_allowed(resp);
			return;
		}
		if (o != &cb_obj_cospaces && n == 4) {
			fail(resp, 404, "unrecognizedObject");
			return;
		}
		if (load(api, &prt, &prow, resp) < 0)
			return;
		cb_row_free(&prow);
		if (o == &cb_obj_calls) {
			rt = (struct route){ .o = is(seg[2], "participants") ? &cb_obj_participants
									     : &cb_obj_call_legs,
					     .parent_id = seg[1] };
			rt.parent_field = field_of(rt.o, "call");
			if (get)
				handle_list(api, req, &rt, resp);
			else if (post)
				handle_dial_out(api, req, seg[1], resp);
			else
				method_not_allowed(resp);
			return;
		}
		if (o == &cb_obj_participants) {
			rt = (struct route){ .o = &cb_obj_call_legs, .parent_id = seg[1] };
			rt.parent_field = field_of(rt.o, "participant");
			if (get)
				handle_list(api, req, &rt, resp);
			else
				method_not_allowed(resp);
			return;
		}
		/* coSpaces/<id>/accessMethods|coSpaceUsers[/<id>] */
		rt = (struct route){ .o = sub, .parent_id = seg[1], .id = n == 4 ? seg[3] : NULL };
		rt.parent_field = field_of(sub, "coSpace");
		if (n == 3) {
			if (get)
				handle_list(api, req, &rt, resp);
			else if (post)
				handle_create(api, req, &rt, resp);
			else
				method_not_allowed(resp);
		} else {
			if (get)
				handle_get(api, &rt, resp);
			else if (put)
				handle_modify(api, req, &rt, resp);
			else if (del)
				handle_delete(api, req, &rt, resp);
			else
				method_not_allowed(resp);
		}
	}
}

/* ---- open, close, tracing ---- */

/* Calls, participants and call legs are live state: a call bridge that
 * starts again has none (its media went with the old process), so the
 * rows a previous run left are removed, and their end logged. In a
 * database cluster (a later issue) this must only touch this bridge's
 * calls. */
static int end_stale_calls(struct cb_api *api)
{
	struct cb_query q;
	struct cb_rows rows;
	int r;

	cb_query_init(&q);
	q.limit = 0;
	if ((r = api->db->ops->list(api->db, &cb_obj_calls, &q, &rows)) < 0)
		return r;
	if (rows.total == 0)
		return 0;
	if ((r = api->db->ops->begin(api->db)) < 0)
		return r;
	while (r == 0) {
		cb_query_init(&q);
		q.limit = 20;
		if ((r = api->db->ops->list(api->db, &cb_obj_calls, &q, &rows)) < 0 || rows.n == 0)
			break;
		for (size_t i = 0; i < rows.n && r == 0; i++) {
			r = api->db->ops->remove(api->db, &cb_obj_calls, rows.rows[i].id);
			if (r == 0)
				cv_info("conference %s destroyed (call bridge restarted)",
					rows.rows[i].id);
		}
		cb_rows_free(&rows);
	}
	if (r < 0) {
		api->db->ops->rollback(api->db);
		return r;
	}
	return api->db->ops->commit(api->db);
}

int cb_api_open(const char *db_path, const char *name, struct cb_api **ret, char *err,
		size_t errlen)
{
	struct cb_api *api = xcalloc(1, sizeof(*api));
	char *v = NULL;
	int r;

	r = cb_db_open(db_path, &api->db, err, errlen);
	if (r < 0) {
		free(api);
		return r;
	}
	api->name = xstrdup(name ? name : "");
	clock_gettime(CLOCK_MONOTONIC, &api->opened);
	/* hostId (spec 2.11): made once, kept in the store. */
	if (api->db->ops->meta_get(api->db, "hostId", &v) == 0 && cb_guid_valid(v)) {
		snprintf(api->host_id, sizeof(api->host_id), "%s", v);
	} else {
		cb_guid_new(api->host_id);
		r = api->db->ops->meta_set(api->db, "hostId", api->host_id);
		if (r < 0) {
			snprintf(err, errlen, "cannot store the host id in %s", db_path);
			free(v);
			cb_api_close(api);
			return r;
		}
	}
	free(v);
	v = NULL;
	if (api->db->ops->meta_get(api->db, "traceUntil", &v) == 0)
		api->trace_until = strtoll(v, NULL, 10);
	free(v);
	if ((r = end_stale_calls(api)) < 0) {
		snprintf(err, errlen, "cannot end the calls of the previous run in %s", db_path);
		cb_api_close(api);
		return r;
	}
	*ret = api;
	return 0;
}

const char *const cb_api_xmpp_fields[CB_API_XMPP_NFIELDS] = {
	"xmppState", "xmppServer", "xmppServerAddress", "xmppReason", "xmppDetail",
};

void cb_api_set_xmpp_status(struct cb_api *api, const char *const vals[CB_API_XMPP_NFIELDS])
{
	for (int i = 0; i < CB_API_XMPP_NFIELDS; i++) {
		free(api->xmpp_status[i]);
		api->xmpp_status[i] = vals[i] && *vals[i] ? xstrdup(vals[i]) : NULL;
	}
	api->xmpp_reported = true;
}

const char *cb_api_xmpp_status(struct cb_api *api, int field)
{
	if (field < 0 || field >= CB_API_XMPP_NFIELDS || !api->xmpp_status[field])
		return "";
	return api->xmpp_status[field];
}

void cb_api_on_xmpp_change(struct cb_api *api, void (*fn)(void *arg), void *arg)
{
	api->xmpp_changed = fn;
	api->xmpp_changed_arg = arg;
}

int cb_api_scram_encode(int mech, const char *password, char **ret)
{
	struct xmpp_scram_creds c;
	uint8_t salt[CB_API_SCRAM_SALT];
	size_t hl = mech == XMPP_SASL_SCRAM_SHA_256 ? 32 : 20;
	char s64[CV_BASE64_LEN(CB_API_SCRAM_SALT) + 1];
	char k1[CV_BASE64_LEN(XMPP_SCRAM_HASH_MAX) + 1], k2[CV_BASE64_LEN(XMPP_SCRAM_HASH_MAX) + 1];

	if (getrandom(salt, sizeof(salt), 0) != (ssize_t)sizeof(salt))
		return -EIO;
	if (xmpp_scram_derive((enum xmpp_sasl_mech)mech, password, salt, sizeof(salt),
			      CB_API_SCRAM_ITERATIONS, &c) < 0)
		return -EIO;
	cv_base64_encode(salt, sizeof(salt), s64);
	cv_base64_encode(c.stored_key, hl, k1);
	cv_base64_encode(c.server_key, hl, k2);
	*ret = xasprintf("%u,%s,%s,%s", c.iterations, s64, k1, k2);
	explicit_bzero(&c, sizeof(c));
	return 0;
}

void cb_api_close(struct cb_api *api)
{
	if (!api)
		return;
	for (int i = 0; i < CB_API_XMPP_NFIELDS; i++)
		free(api->xmpp_status[i]);
	cb_db_close(api->db);
	free(api->name);
	free(api->wbs);
	free(api);
}

struct cb_db *cb_api_db(struct cb_api *api)
{
	return api->db;
}

int64_t cb_api_trace_until(struct cb_api *api)
{
	return api->trace_until;
}

int cb_api_set_trace_until(struct cb_api *api, int64_t until)
{
	char buf[24];
	int r;

	if (until < 0)
		return -EINVAL;
	/* At most TRACE_MAX_SECONDS from now, as the API field allows. */
	if (until > (int64_t)time(NULL) + TRACE_MAX_SECONDS)
		until = (int64_t)time(NULL) + TRACE_MAX_SECONDS;
	snprintf(buf, sizeof(buf), "%lld", (long long)until);
	r = api->db->ops->meta_set(api->db, "traceUntil", buf);
	if (r < 0)
		return r;
	api->trace_until = until;
	return 0;
}

int cb_api_webbridge_set_status(struct cb_api *api, const char *id, const char *status)
{
	static const char *const ok[] = { "unused", "success", "connectionFailure", "dnsFailure" };
	bool valid = false;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		valid |= strcmp(ok[i], status) == 0;
	struct cb_row row;
	int r;

	if (!valid || !cb_guid_valid(id))
		return -EINVAL;
	r = api->db->ops->get(api->db, &cb_obj_web_bridges, id, &row);
	if (r < 0)
		return r;
	cb_row_free(&row);
	for (size_t i = 0; i < api->nwbs; i++)
		if (strcmp(api->wbs[i].id, id) == 0) {
			snprintf(api->wbs[i].status, sizeof(api->wbs[i].status), "%s", status);
			return 0;
		}
	api->wbs = xrealloc(api->wbs, (api->nwbs + 1) * sizeof(*api->wbs));
	snprintf(api->wbs[api->nwbs].id, sizeof(api->wbs[0].id), "%s", id);
	snprintf(api->wbs[api->nwbs].status, sizeof(api->wbs[0].status), "%s", status);
	api->nwbs++;
	return 0;
}

/* ---- the call bridge's own changes ---- */

int cb_api_call_start(struct cb_api *api, const char *cospace_id, char ret_call_id[37])
{
	const struct cb_obj *o = &cb_obj_calls;
	char **vals = xcalloc(o->nfields, sizeof(char *));
	bool *set = xcalloc(o->nfields, sizeof(bool));
	struct cb_response resp;
	struct cb_row row;
	char id[CB_ID_LEN + 1];
	int r;

	cb_response_init(&resp);
	if (!cb_guid_valid(cospace_id)) {
		r = -ENOENT;
		goto out;
	}
	if ((r = api->db->ops->begin(api->db)) < 0)
		goto out;
	r = api->db->ops->get(api->db, &cb_obj_cospaces, cospace_id, &row);
	if (r < 0)
		goto rollback;
	cb_row_free(&row);
	if (api->db->ops->find(api->db, o, field_of(o, "coSpace"), cospace_id, id) == 0) {
		snprintf(ret_call_id, CB_ID_LEN + 1, "%s", id);
		r = -EEXIST;
		goto rollback;
	}
	vals[field_of(o, "coSpace")] = xstrdup(cospace_id);
	if ((r = call_rules(api, vals, set, &resp)) < 0)
		goto rollback;
	cb_guid_new(id);
	if ((r = api->db->ops->insert(api->db, o, id, vals)) < 0)
		goto rollback;
	if ((r = api->db->ops->commit(api->db)) < 0)
		goto rollback;
	snprintf(ret_call_id, CB_ID_LEN + 1, "%s", id);
	log_call_start(vals[field_of(o, "name")], cospace_id, vals[field_of(o, "callCorrelator")],
		       id);
	goto out;
rollback:
	api->db->ops->rollback(api->db);
out:
	for (size_t i = 0; i < o->nfields; i++)
		free(vals[i]);
	free(vals);
	free(set);
	cb_response_free(&resp);
	return r;
}

int cb_api_participant_add(struct cb_api *api, const char *call_id, const char *name,
			   const char *user, char ret_participant_id[37], char ret_leg_id[37])
{
	const struct cb_obj *po = &cb_obj_participants, *lo = &cb_obj_call_legs;
	char **pv = xcalloc(po->nfields, sizeof(char *));
	char **lv = xcalloc(lo->nfields, sizeof(char *));
	char pid[CB_ID_LEN + 1], lid[CB_ID_LEN + 1];
	struct cb_row call;
	long legs;
	int r;

	if (!cb_guid_valid(call_id)) {
		r = -ENOENT;
		goto out;
	}
	if ((r = api->db->ops->begin(api->db)) < 0)
		goto out;
	if ((r = api->db->ops->get(api->db, &cb_obj_calls, call_id, &call)) < 0)
		goto rollback;
	cb_row_free(&call);
	cb_guid_new(pid);
	cb_guid_new(lid);
	pv[field_of(po, "name")] = name ? xstrdup(name) : NULL;
	pv[field_of(po, "userJid")] = user ? xstrdup(user) : NULL;
	pv[field_of(po, "call")] = xstrdup(call_id);
	pv[field_of(po, "state")] = xstrdup("initial");
	lv[field_of(lo, "name")] = name ? xstrdup(name) : NULL;
	lv[field_of(lo, "remoteParty")] = user ? xstrdup(user) : NULL;
	lv[field_of(lo, "call")] = xstrdup(call_id);
	lv[field_of(lo, "participant")] = xstrdup(pid);
	lv[field_of(lo, "type")] = xstrdup("acano");
	lv[field_of(lo, "direction")] = xstrdup("incoming");
	lv[field_of(lo, "state")] = xstrdup("initial");
	lv[field_of(lo, "startTime")] = num_str((long long)time(NULL));
	if ((r = api->db->ops->insert(api->db, po, pid, pv)) < 0 ||
	    (r = api->db->ops->insert(api->db, lo, lid, lv)) < 0 ||
	    (r = api->db->ops->commit(api->db)) < 0)
		goto rollback;
	snprintf(ret_participant_id, CB_ID_LEN + 1, "%s", pid);
	snprintf(ret_leg_id, CB_ID_LEN + 1, "%s", lid);
	/* seed 004: "API call leg <leg> in call <call> (API call <call>)" */
	cv_info("API call leg %s in call %s (API call %s)", lid, call_id, call_id);
	legs = count_all(api, lo);
	if (legs > api->legs_max_active)
		api->legs_max_active = legs;
	goto out;
rollback:
	api->db->ops->rollback(api->db);
out:
	for (size_t i = 0; i < po->nfields; i++)
		free(pv[i]);
	for (size_t i = 0; i < lo->nfields; i++)
		free(lv[i]);
	free(pv);
	free(lv);
	return r;
}

int cb_api_participant_set_state(struct cb_api *api, const char *participant_id,
				 const char *state)
{
	const struct cb_field *sf = &cb_obj_participants.fields[field_of(&cb_obj_participants,
									  "state")];
	const char *err;
	int r;

	if (!cb_guid_valid(participant_id))
		return -ENOENT;
	if (cb_field_check(sf, state, &err) < 0)
		return -EINVAL;
	if ((r = api->db->ops->begin(api->db)) < 0)
		return r;
	for (int pass = 0; pass < 2; pass++) {
		const struct cb_obj *o = pass ? &cb_obj_call_legs : &cb_obj_participants;
		char **vals = xcalloc(o->nfields, sizeof(char *));
		bool *set = xcalloc(o->nfields, sizeof(bool));
		int st = field_of(o, "state");

		vals[st] = xstrdup(state);
		set[st] = true;
		if (pass == 0) {
			r = api->db->ops->update(api->db, o, participant_id, vals, set);
		} else {
			struct cb_query q;
			struct cb_rows rows;

			cb_query_init(&q);
			q.eq_field = field_of(o, "participant");
			q.eq_value = participant_id;
			q.limit = 1000;
			r = api->db->ops->list(api->db, o, &q, &rows);
			if (r == 0) {
				for (size_t i = 0; r == 0 && i < rows.n; i++)
					r = api->db->ops->update(api->db, o, rows.rows[i].id, vals,
								 set);
				cb_rows_free(&rows);
			}
		}
		free(vals[st]);
		free(vals);
		free(set);
		if (r < 0) {
			api->db->ops->rollback(api->db);
			return r;
		}
	}
	return api->db->ops->commit(api->db);
}

int cb_api_participant_remove(struct cb_api *api, const char *participant_id)
{
	long legs;
	int r;

	if (!cb_guid_valid(participant_id))
		return -ENOENT;
	if ((r = api->db->ops->begin(api->db)) < 0)
		return r;
	legs = count_eq(api, &cb_obj_call_legs, "participant", participant_id);
	r = api->db->ops->remove(api->db, &cb_obj_participants, participant_id);
	if (r == 0)
		r = api->db->ops->commit(api->db);
	if (r < 0) {
		api->db->ops->rollback(api->db);
		return r;
	}
	api->legs_completed += legs;
	cv_info("participant %s left (%ld call legs destroyed)", participant_id, legs);
	return 0;
}
