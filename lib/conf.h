/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The appliance configuration document (DESIGN.md section 5): one JSON
 * object, a schema version, migrations from older versions, and atomic
 * saves (temporary file, fsync, rename, fsync of the directory), so a crash
 * at any instant leaves either the old or the new document.
 *
 * Paths are dotted: "turn.listen", "ipv4.a.address". Getters borrow;
 * setters take ownership of the json_object they are given.
 */
#ifndef CV_CONF_H
#define CV_CONF_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The schema this build writes. Version 0 is a document with no "schema" key. */
#define CV_CONF_SCHEMA 1
/* Cap on a config document read from disk. */
#define CV_CONF_MAX (4u << 20)

/* A new, empty document at the current schema. Caller owns it. */
json_object *cv_conf_new(void);
/* Loads and migrates path. -ENOENT when it does not exist; -EINVAL (with a
 * reason in err) when it cannot be parsed, is newer than this build or fails
 * migration. */
int cv_conf_load(const char *path, json_object **ret_doc, char *err, size_t errlen);
/* Reads path (at most CV_CONF_MAX bytes) as one JSON object, nothing
 * after it: the documents mmpd writes (its own, the services' rendered
 * configs). A sentence in err on failure. */
int cv_conf_read(const char *path, json_object **ret, char *err, size_t errlen);
/* Writes doc to path atomically and durably. */
int cv_conf_save(const char *path, json_object *doc);
/* Brings doc up to CV_CONF_SCHEMA in place. */
int cv_conf_migrate(json_object *doc, char *err, size_t errlen);

json_object *cv_conf_get(json_object *doc, const char *path);
const char *cv_conf_get_str(json_object *doc, const char *path, const char *dflt);
int64_t cv_conf_get_int(json_object *doc, const char *path, int64_t dflt);
bool cv_conf_get_bool(json_object *doc, const char *path, bool dflt);
/* Sets path to val (taking it), creating intermediate objects. */
void cv_conf_set(json_object *doc, const char *path, json_object *val);
void cv_conf_set_str(json_object *doc, const char *path, const char *s);
void cv_conf_set_int(json_object *doc, const char *path, int64_t v);
void cv_conf_set_bool(json_object *doc, const char *path, bool v);
/* Removes path if present. */
void cv_conf_del(json_object *doc, const char *path);

#endif
