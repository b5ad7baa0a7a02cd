/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The call bridge's store: one narrow interface (a table of operations)
 * over the objects of cb_obj.h, so that the API code (cb_api.c) never sees
 * SQL. SQLite (cb_db_sqlite.c) is the embedded default; a PostgreSQL back
 * end for a database cluster implements the same struct cb_db_ops.
 *
 * Values travel as strings, one per field of the object's descriptor
 * (index = field index), NULL meaning unset; fields flagged CB_F_NOCOL
 * have no storage and are always NULL here. Every function returns 0 or a
 * negative errno: -ENOENT (no such object), -EEXIST (a unique field
 * clashes; nothing changed), -EIO (the store failed), -EINVAL.
 */
#ifndef CB_DB_H
#define CB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/callbridge/cb_obj.h"

/* The schema version this build writes (cb_db_sqlite.c lists the steps). */
#define CB_DB_SCHEMA_VERSION 3

/* Fixed id of a singleton object's row. */
#define CB_DB_SINGLETON_ID "00000000-0000-0000-0000-000000000000"

struct cb_row {
	char id[CB_ID_LEN + 1];
	char **vals; /* nfields entries, owned by the row */
	size_t n;
};

struct cb_rows {
	struct cb_row *rows;
	size_t n;
	long total; /* objects matching the query, whatever offset and limit */
};

#define CB_QUERY_EQ_MAX 4

struct cb_query {
	int eq_field;         /* -1, or a field that must equal eq_value */
	const char *eq_value;
	struct {
		int field;
		const char *value;
	} more[CB_QUERY_EQ_MAX]; /* further fields that must equal values */
	size_t nmore;
	const char *filter;   /* NULL, or a case-insensitive substring of a CB_F_FILTER field */
	long offset, limit;   /* limit 0: count only */
	bool list_cols;       /* read only the CB_F_LIST columns, the others are NULL */
};

struct cb_db;

struct cb_db_ops {
	const char *name;
	void (*close)(struct cb_db *db);
	int (*begin)(struct cb_db *db);
	int (*commit)(struct cb_db *db);
	int (*rollback)(struct cb_db *db);
	int (*insert)(struct cb_db *db, const struct cb_obj *o, const char *id,
		      char *const *vals);
	/* Writes the fields whose set[i] is true (vals[i] NULL = unset). */
	int (*update)(struct cb_db *db, const struct cb_obj *o, const char *id,
		      char *const *vals, const bool *set);
	/* Removes the object and (foreign keys, ON DELETE CASCADE) what hangs
	 * from it: a space's access methods, a call's participants... */
	int (*remove)(struct cb_db *db, const struct cb_obj *o, const char *id);
	int (*get)(struct cb_db *db, const struct cb_obj *o, const char *id, struct cb_row *ret);
	int (*list)(struct cb_db *db, const struct cb_obj *o, const struct cb_query *q,
		    struct cb_rows *ret);
	/* The id of the object whose field equals value (unique fields). */
	int (*find)(struct cb_db *db, const struct cb_obj *o, int field, const char *value,
		    char ret_id[CB_ID_LEN + 1]);
	/* Small key/value settings of the store itself (hostId). */
	int (*meta_get)(struct cb_db *db, const char *key, char **ret_value);
	int (*meta_set)(struct cb_db *db, const char *key, const char *value);
};

struct cb_db {
	const struct cb_db_ops *ops;
};

/* Opens the store at location: a file path (or ":memory:") is SQLite; a
 * "postgresql://" URI names a PostgreSQL store (not in this build:
 * -EPROTONOSUPPORT). The API opens its store through this only. */
int cb_db_open(const char *location, struct cb_db **ret, char *err, size_t errlen);

/* Opens (creates, migrates to CB_DB_SCHEMA_VERSION) the SQLite store at
 * path (":memory:" for a private one). err gets a sentence on failure.
 * The handle belongs to one thread at a time (SQLite's multi-thread mode:
 * no mutex per call). */
int cb_db_sqlite_open(const char *path, struct cb_db **ret, char *err, size_t errlen);
/* For tests of the migrations: opens and migrates only up to version. */
int cb_db_sqlite_open_version(const char *path, int version, struct cb_db **ret, char *err,
			      size_t errlen);
/* For the plan test: the SQL list() runs for o and q (the caller frees
 * it), so EXPLAIN QUERY PLAN can be checked. count selects the total's
 * statement instead of the page's. */
char *cb_db_sqlite_list_sql(const struct cb_obj *o, const struct cb_query *q, bool count);
/* The underlying sqlite3 handle, for tests only. */
void *cb_db_sqlite_handle(struct cb_db *db);

static inline void cb_db_close(struct cb_db *db)
{
	if (db)
		db->ops->close(db);
}

void cb_row_init(struct cb_row *row, const struct cb_obj *o);
void cb_row_free(struct cb_row *row);
void cb_rows_free(struct cb_rows *rows);
void cb_query_init(struct cb_query *q);

#endif
