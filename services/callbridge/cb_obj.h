/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One descriptor table per API object (spec/api.md sections 2 and 7): the
 * fields in the order the XML shows them, each with its type, default,
 * where it may be set (POST, PUT), where it is shown (list summary,
 * object detail), uniqueness and the failureDetails reason of a clash,
 * and bounds. The same tables drive form validation (cb_api.c), the
 * SQLite schema (cb_db_sqlite.c) and the XML output, so a field added
 * here is parsed, stored and shown with no other change.
 */
#ifndef CB_OBJ_H
#define CB_OBJ_H

#include <stdbool.h>
#include <stddef.h>

/* A GUID as text: 8-4-4-4-12 lowercase hex. */
#define CB_ID_LEN 36
/* The longest string value any field takes, unless the field says less. */
#define CB_VALUE_MAX 255

enum cb_ftype {
	CB_T_STRING,   /* UTF-8 text, at most max bytes (CB_VALUE_MAX if 0) */
	CB_T_URIUSER,  /* user part of a SIP URI (no '@', no space) */
	CB_T_DIGITS,   /* numeric string: callId, passcode */
	CB_T_BOOL,     /* "true" / "false" */
	CB_T_INT,      /* decimal integer in [min, max] */
	CB_T_ENUM,     /* one of enums */
	CB_T_REF,      /* GUID of an object of collection ref */
	CB_T_GUID,     /* GUID made by the server */
	CB_T_URL,      /* http:// or https:// URL */
	CB_T_C2W,      /* c2w://host:port (spec 2.7) */
	CB_T_HOST,     /* host name or IPv4 address */
	CB_T_HOSTPORT, /* host[:port], [v6][:port] (cb_xmpp_override_parse) */
	CB_T_SECRET,   /* stored as given (used by the call bridge), never shown */
	CB_T_PASSWORD, /* stored as a cv_pw_hash() hash, never shown */
	CB_T_COUNT,    /* a number computed when shown; no column */
};

/* Field flags. */
#define CB_F_POST 0x0001      /* settable on create (C) */
#define CB_F_PUT 0x0002       /* settable on modify (M) */
#define CB_F_LIST 0x0004      /* shown in list entries */
#define CB_F_DETAIL 0x0008    /* shown in the object's GET (R) */
#define CB_F_UNIQUE 0x0010    /* unique among objects of this kind; dup = reason */
#define CB_F_NOCOL 0x0020     /* no column: computed, or an action (regenerateSecret) */
#define CB_F_HIDDEN 0x0040    /* a column the API never shows (links, timestamps) */
#define CB_F_SHOWEMPTY 0x0080 /* shown as <name/> when unset (spec 2.9 cluster example) */
#define CB_F_FILTER 0x0100    /* searched by the filter= substring match (spec 1.4) */
#define CB_F_REQUIRED 0x0200  /* a POST without it is a parameterError */
#define CB_F_INDEX 0x0400     /* indexed with creation order (typed filters, links) */
#define CB_F_CASCADE 0x0800   /* CB_T_REF to the owner: deleting it deletes this */

#define CB_F_CM (CB_F_POST | CB_F_PUT)
#define CB_F_CMR (CB_F_POST | CB_F_PUT | CB_F_DETAIL)

struct cb_field {
	const char *name;  /* API name, element name, column name */
	enum cb_ftype type;
	unsigned flags;
	const char *def;   /* shown when unset (NULL: omitted) */
	const char *group; /* NULL, or "configuration" / "status": nested element */
	const char *const *enums;
	const char *ref;   /* CB_T_REF: referenced collection (cb_obj coll) */
	const char *dup;   /* CB_F_UNIQUE: failureDetails reason of a clash */
	const char *filter; /* typed list filter parameter (exact match), or NULL */
	long min, max;     /* CB_T_INT bounds; string types: max length (0: default) */
};

/* Object flags. */
#define CB_O_SINGLETON 0x1 /* one row, no id: /system/configuration/... */
#define CB_O_SUB 0x2       /* only under its parent's path (accessMethods) */

struct cb_obj {
	const char *coll;    /* collection name in paths: "coSpaces" */
	const char *elem;    /* element name: "coSpace" */
	const char *table;   /* SQL table */
	const char *missing; /* failureDetails reason for an unknown id */
	const char *alias;   /* another accepted path name, or NULL */
	unsigned flags;
	const struct cb_field *fields;
	size_t nfields;
};

extern const struct cb_obj cb_obj_cospaces, cb_obj_access_methods, cb_obj_cospace_users,
	cb_obj_call_leg_profiles, cb_obj_calls, cb_obj_call_legs, cb_obj_participants,
	cb_obj_users, cb_obj_web_bridges, cb_obj_web_bridge_profiles, cb_obj_turn_servers,
	cb_obj_call_bridges, cb_obj_call_bridge_groups, cb_obj_xmpp, cb_obj_cluster;

/* Every object with a table, NULL-terminated (the schema is made from it). */
extern const struct cb_obj *const cb_objs[];

/* The object whose coll (or alias) equals name, ignoring ASCII case
 * (spec 1.2: clients send "calllegprofiles"); only objects reachable at
 * the top level unless sub is true. NULL when none. */
const struct cb_obj *cb_obj_find(const char *name, bool sub);
/* Index of the field called name (exact case, as forms are), or -1. */
int cb_obj_field(const struct cb_obj *o, const char *name);
/* The reason for an unknown id of collection coll: "<elem>DoesNotExist";
 * for collections this build does not hold (tenants, callProfiles...),
 * the name by the same rule from a small table. */
const char *cb_obj_missing_reason(const char *coll);

/* Checks value against the field's type and bounds (not references or
 * uniqueness). 0, or -EINVAL with *ret_error the parameterError word. */
int cb_field_check(const struct cb_field *f, const char *value, const char **ret_error);

/* Lowercase 8-4-4-4-12 GUID check. */
bool cb_guid_valid(const char *s);
/* A random GUID (version 4 layout) from getrandom(); out holds 37 bytes. */
void cb_guid_new(char *out);

#endif
