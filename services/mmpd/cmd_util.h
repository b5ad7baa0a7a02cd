/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers the command areas share: dotted paths per interface and
 * typed reads of json-c objects and arrays.
 */
#ifndef MMP_CMD_UTIL_H
#define MMP_CMD_UTIL_H

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/conf.h"
#include "lib/cmd.h"

/* "<area>.<if>.<key>" (or "<area>.<if>" when key is NULL). */
static inline const char *ipath(char *buf, size_t n, const char *area, char ifc, const char *key)
{
	if (key)
		snprintf(buf, n, "%s.%c.%s", area, ifc, key);
	else
		snprintf(buf, n, "%s.%c", area, ifc);
	return buf;
}

static inline char arg_iface(const struct mmp_ctx *ctx)
{
	const struct mmp_val *v = mmp_val(ctx, "if");

	return v ? v->u.iface : 'a';
}

/* The array at path; with create, a missing or mistyped value becomes an
 * empty array. NULL when absent and !create. */
static inline json_object *conf_array(json_object *doc, const char *path, bool create)
{
	json_object *a = cv_conf_get(doc, path);

	if (a && json_object_is_type(a, json_type_array))
		return a;
	if (!create)
		return NULL;
	a = json_object_new_array();
	cv_conf_set(doc, path, a);
	return a;
}

static inline size_t arr_len(json_object *a)
{
	return a ? json_object_array_length(a) : 0;
}

static inline const char *obj_str(json_object *o, const char *key, const char *dflt)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return dflt;
	return json_object_get_string(v);
}

static inline int64_t obj_int(json_object *o, const char *key, int64_t dflt)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}

/* Index of the string s in array a (ignoring case with nocase), or -1. */
static inline int arr_find_str(json_object *a, const char *s, bool nocase)
{
	for (size_t i = 0; i < arr_len(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		const char *v;

		if (!json_object_is_type(e, json_type_string))
			continue;
		v = json_object_get_string(e);
		if (nocase ? strcasecmp(v, s) == 0 : strcmp(v, s) == 0)
			return (int)i;
	}
	return -1;
}

static inline void ntop(struct in_addr a, char *buf)
{
	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static inline unsigned mask_to_plen(struct in_addr mask)
{
	uint32_t m = ntohl(mask.s_addr);
	unsigned n = 0;

	while (m & 0x80000000u) {
		n++;
		m <<= 1;
	}
	return n;
}

#endif
