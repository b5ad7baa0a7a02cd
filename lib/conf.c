// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The configuration document: dotted-path access, schema migration and
 * crash-safe saving.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "file.h"
#include "mem.h"

json_object *cv_conf_new(void)
{
	json_object *doc = json_object_new_object();

	json_object_object_add(doc, "schema", json_object_new_int(CV_CONF_SCHEMA));
	return doc;
}

/*
 * Migrations, one per version step. Version 0 documents (the first
 * development format) kept the interface map inside the document; since
 * version 1 it lives in the state directory, so it is dropped here.
 */
static int migrate_0_to_1(json_object *doc, char *err, size_t errlen)
{
	json_object_object_del(doc, "ifmap");
	return 0;
}

static int (*const migrations[])(json_object *, char *, size_t) = {
	migrate_0_to_1,
};

int cv_conf_migrate(json_object *doc, char *err, size_t errlen)
{
	json_object *v;
	int64_t ver = 0;

	if (!json_object_is_type(doc, json_type_object)) {
		snprintf(err, errlen, "document is not a JSON object");
		return -EINVAL;
	}
	if (json_object_object_get_ex(doc, "schema", &v)) {
		if (!json_object_is_type(v, json_type_int)) {
			snprintf(err, errlen, "schema version is not a number");
			return -EINVAL;
		}
		ver = json_object_get_int64(v);
	}
	if (ver < 0 || ver > CV_CONF_SCHEMA) {
		snprintf(err, errlen, "schema version %lld is not supported by this build (max %d)",
			 (long long)ver, CV_CONF_SCHEMA);
		return -EINVAL;
	}
	for (; ver < CV_CONF_SCHEMA; ver++) {
		int r = migrations[ver](doc, err, errlen);

		if (r < 0)
			return r;
		json_object_object_add(doc, "schema", json_object_new_int((int32_t)ver + 1));
	}
	return 0;
}

int cv_conf_read(const char *path, json_object **ret, char *err, size_t errlen)
{
	struct json_tokener *tok;
	json_object *doc;
	char *text;
	size_t len;
	int r;

	r = cv_file_read(path, CV_CONF_MAX, &text, &len);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	tok = json_tokener_new();
	doc = json_tokener_parse_ex(tok, text, (int)len);
	if (!doc || json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(doc, json_type_object)) {
		snprintf(err, errlen, "%s: not a JSON object", path);
		json_object_put(doc);
		r = -EINVAL;
	} else {
		*ret = doc;
	}
	json_tokener_free(tok);
	free(text);
	return r;
}

int cv_conf_load(const char *path, json_object **ret_doc, char *err, size_t errlen)
{
	json_object *doc;
	int r = cv_conf_read(path, &doc, err, errlen);

	if (r < 0)
		return r;
	r = cv_conf_migrate(doc, err, errlen);
	if (r < 0) {
		json_object_put(doc);
		return r;
	}
	*ret_doc = doc;
	return 0;
}

int cv_conf_save(const char *path, json_object *doc)
{
	size_t len;
	const char *text =
		json_object_to_json_string_length(doc, JSON_C_TO_STRING_PRETTY, &len);
	char *withnl = xasprintf("%s\n", text);
	int r = cv_file_write(path, withnl, len + 1, 0600);

	free(withnl);
	return r;
}

/* Walks a dotted path; with create, makes missing objects on the way.
 * Returns the parent object and points *ret_key at the last component,
 * copied into keybuf. */
static json_object *walk(json_object *doc, const char *path, bool create, char *keybuf,
			 size_t keylen)
{
	json_object *cur = doc;
	const char *p = path;

	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		json_object *next;

		if (n == 0 || n >= keylen)
			return NULL;
		memcpy(keybuf, p, n);
		keybuf[n] = '\0';
		if (!dot)
			return cur;
		if (!json_object_object_get_ex(cur, keybuf, &next) ||
		    !json_object_is_type(next, json_type_object)) {
			if (!create)
				return NULL;
			next = json_object_new_object();
			json_object_object_add(cur, keybuf, next);
		}
		cur = next;
		p = dot + 1;
	}
}

json_object *cv_conf_get(json_object *doc, const char *path)
{
	char key[128];
	json_object *parent = walk(doc, path, false, key, sizeof(key));
	json_object *v;

	if (!parent || !json_object_object_get_ex(parent, key, &v))
		return NULL;
	return v;
}

const char *cv_conf_get_str(json_object *doc, const char *path, const char *dflt)
{
	json_object *v = cv_conf_get(doc, path);

	if (!v || !json_object_is_type(v, json_type_string))
		return dflt;
	return json_object_get_string(v);
}

int64_t cv_conf_get_int(json_object *doc, const char *path, int64_t dflt)
{
	json_object *v = cv_conf_get(doc, path);

	if (!v || !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}

bool cv_conf_get_bool(json_object *doc, const char *path, bool dflt)
{
	json_object *v = cv_conf_get(doc, path);

	if (!v || !json_object_is_type(v, json_type_boolean))
		return dflt;
	return json_object_get_boolean(v);
}

void cv_conf_set(json_object *doc, const char *path, json_object *val)
{
	char key[128];
	json_object *parent = walk(doc, path, true, key, sizeof(key));

	if (!parent) {
		json_object_put(val);
		return;
	}
	json_object_object_add(parent, key, val);
}

void cv_conf_set_str(json_object *doc, const char *path, const char *s)
{
	cv_conf_set(doc, path, json_object_new_string(s));
}

void cv_conf_set_int(json_object *doc, const char *path, int64_t v)
{
	cv_conf_set(doc, path, json_object_new_int64(v));
}

void cv_conf_set_bool(json_object *doc, const char *path, bool v)
{
	cv_conf_set(doc, path, json_object_new_boolean(v));
}

void cv_conf_del(json_object *doc, const char *path)
{
	char key[128];
	json_object *parent = walk(doc, path, false, key, sizeof(key));

	if (parent)
		json_object_object_del(parent, key);
}
