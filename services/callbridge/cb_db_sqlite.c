// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite store behind cb_db.h. Tables are made from the descriptor
 * tables (cb_obj.c): one table per object, "seq" (the rowid, creation
 * order, what lists are sorted by), "id" (the GUID) and one TEXT column per
 * stored field. Durability: WAL with synchronous=FULL, so a COMMIT that
 * returned is on disk (the WAL is fsynced at every commit) and survives
 * kill -9 and power loss; foreign keys on.
 *
 * Lists stay flat with the number of rows: every list is "ORDER BY seq
 * LIMIT n", which walks the rowid b-tree (or a (column, seq) index for a
 * typed filter or a parent link) and stops after n rows; totals are
 * count(*) over the same index (a count kept by triggers when nothing
 * filters); the filter= substring match goes through
 * an FTS5 trigram index (contentless-style external content table kept in
 * step by triggers) when it has 3 characters or more, and through LIKE
 * over the rows otherwise (trigrams cannot serve 1-2 character needles).
 *
 * Schema versions (schema_version table):
 *   1  the object tables, their unique and (column, seq) indexes, meta
 *   2  the FTS5 trigram tables of the filter= fields, their triggers, and
 *      a rebuild of what version 1 rows hold
 *   3  cb_counts, the row count of every object table kept by triggers:
 *      the total of an unfiltered list without a count(*) over the table
 * Every open also adds columns for fields added to a descriptor since the
 * table was made (ALTER TABLE ADD COLUMN, unset for existing rows).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "lib/mem.h"
#include "lib/strbuf.h"
#include "services/callbridge/cb_db.h"

/* Prepared statements by SQL text: the API's statements are few and
 * repeat (one per object and operation), and preparing them again for
 * every request costs more than running them. */
#define STMT_CACHE 96

struct stmt_slot {
	char *sql;
	sqlite3_stmt *st;
};

struct cb_db_sqlite {
	struct cb_db base;
	sqlite3 *h;
	struct stmt_slot cache[STMT_CACHE];
	size_t ncache, next_evict;
};

static sqlite3 *H(struct cb_db *db)
{
	return ((struct cb_db_sqlite *)db)->h;
}

static bool stored(const struct cb_field *f)
{
	return !(f->flags & CB_F_NOCOL);
}

static bool has_filter(const struct cb_obj *o)
{
	for (size_t i = 0; i < o->nfields; i++)
		if (o->fields[i].flags & CB_F_FILTER)
			return true;
	return false;
}

/* The table a REF field points to, when this store holds it. */
static const struct cb_obj *ref_obj(const struct cb_field *f)
{
	for (size_t i = 0; cb_objs[i]; i++)
		if (strcmp(cb_objs[i]->coll, f->ref) == 0)
			return cb_objs[i];
	return NULL;
}

static int exec(sqlite3 *h, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		if (err)
			snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(h));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static void column_def(struct strbuf *sb, const struct cb_field *f)
{
	const struct cb_obj *r;

	sb_printf(sb, ", \"%s\" %s", f->name, f->type == CB_T_INT ? "INTEGER" : "TEXT");
	if (f->type == CB_T_REF && (r = ref_obj(f)) != NULL)
		sb_printf(sb, " REFERENCES %s(id) ON DELETE %s", r->table,
			  (f->flags & CB_F_CASCADE) ? "CASCADE" : "SET NULL");
}

static void index_defs(struct strbuf *sb, const struct cb_obj *o)
{
	for (size_t i = 0; i < o->nfields; i++) {
		const struct cb_field *f = &o->fields[i];

		if (!stored(f))
			continue;
		/* Partial indexes: most optional fields are unset in most
		 * rows, and a NULL costs no index write (a create writes
		 * fewer pages); "col = ?" implies "col IS NOT NULL", so
		 * the lookups and lists still use them. */
		if (f->flags & CB_F_UNIQUE)
			sb_printf(sb, "CREATE UNIQUE INDEX IF NOT EXISTS %s_u_%s ON %s(\"%s\") "
				      "WHERE \"%s\" IS NOT NULL;\n",
				  o->table, f->name, o->table, f->name, f->name);
		if (f->flags & CB_F_INDEX)
			sb_printf(sb, "CREATE INDEX IF NOT EXISTS %s_i_%s ON %s(\"%s\", seq) "
				      "WHERE \"%s\" IS NOT NULL;\n",
				  o->table, f->name, o->table, f->name, f->name);
	}
}

static int step_v1(sqlite3 *h, char *err, size_t errlen)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	sb_puts(&sb, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n");
	for (size_t k = 0; cb_objs[k]; k++) {
		const struct cb_obj *o = cb_objs[k];

		sb_printf(&sb, "CREATE TABLE %s (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE",
			  o->table);
		for (size_t i = 0; i < o->nfields; i++)
			if (stored(&o->fields[i]))
				column_def(&sb, &o->fields[i]);
		sb_puts(&sb, ");\n");
		index_defs(&sb, o);
	}
	r = exec(h, sb_str(&sb), err, errlen);
	sb_free(&sb);
	return r;
}

static void fts_cols(struct strbuf *sb, const struct cb_obj *o, const char *prefix)
{
	for (size_t i = 0; i < o->nfields; i++)
		if (o->fields[i].flags & CB_F_FILTER)
			sb_printf(sb, ", %s\"%s\"", prefix, o->fields[i].name);
}

static int step_v2(sqlite3 *h, char *err, size_t errlen)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	for (size_t k = 0; cb_objs[k]; k++) {
		const struct cb_obj *o = cb_objs[k];
		const char *t = o->table;

		if (!has_filter(o))
			continue;
		sb_printf(&sb, "CREATE VIRTUAL TABLE %s_fts USING fts5(", t);
		/* fts_cols() starts every column with ", ". */
		{
			struct strbuf c = STRBUF_INIT;

			fts_cols(&c, o, "");
			sb_puts(&sb, sb_str(&c) + 2);
			sb_free(&c);
		}
		sb_printf(&sb, ", content='%s', content_rowid='seq', "
			       "tokenize='trigram case_sensitive 0');\n", t);
		sb_printf(&sb, "CREATE TRIGGER %s_fts_i AFTER INSERT ON %s BEGIN "
			       "INSERT INTO %s_fts(rowid", t, t, t);
		fts_cols(&sb, o, "");
		sb_puts(&sb, ") VALUES (new.seq");
		fts_cols(&sb, o, "new.");
		sb_puts(&sb, "); END;\n");
		sb_printf(&sb, "CREATE TRIGGER %s_fts_d AFTER DELETE ON %s BEGIN "
			       "INSERT INTO %s_fts(%s_fts, rowid", t, t, t, t);
		fts_cols(&sb, o, "");
		sb_puts(&sb, ") VALUES ('delete', old.seq");
		fts_cols(&sb, o, "old.");
		sb_puts(&sb, "); END;\n");
		sb_printf(&sb, "CREATE TRIGGER %s_fts_u AFTER UPDATE ON %s BEGIN "
			       "INSERT INTO %s_fts(%s_fts, rowid", t, t, t, t);
		fts_cols(&sb, o, "");
		sb_puts(&sb, ") VALUES ('delete', old.seq");
		fts_cols(&sb, o, "old.");
		sb_printf(&sb, "); INSERT INTO %s_fts(rowid", t);
		fts_cols(&sb, o, "");
		sb_puts(&sb, ") VALUES (new.seq");
		fts_cols(&sb, o, "new.");
		sb_puts(&sb, "); END;\n");
		sb_printf(&sb, "INSERT INTO %s_fts(%s_fts) VALUES ('rebuild');\n", t, t);
	}
	r = exec(h, sb_str(&sb), err, errlen);
	sb_free(&sb);
	return r;
}

/* Row counts kept by triggers: an unfiltered total is one lookup, where
 * count(*) walks every page of the table (20 ms at 100,000 coSpaces, more
 * than the rest of the request). Cascaded deletes fire the triggers too. */
static int step_v3(sqlite3 *h, char *err, size_t errlen)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	sb_puts(&sb, "CREATE TABLE cb_counts (tbl TEXT PRIMARY KEY, n INTEGER NOT NULL) "
		     "WITHOUT ROWID;\n");
	for (size_t k = 0; cb_objs[k]; k++) {
		const char *t = cb_objs[k]->table;

		sb_printf(&sb, "INSERT INTO cb_counts SELECT '%s', count(*) FROM %s;\n", t, t);
		sb_printf(&sb, "CREATE TRIGGER %s_count_i AFTER INSERT ON %s BEGIN "
			       "UPDATE cb_counts SET n = n + 1 WHERE tbl = '%s'; END;\n", t, t, t);
		sb_printf(&sb, "CREATE TRIGGER %s_count_d AFTER DELETE ON %s BEGIN "
			       "UPDATE cb_counts SET n = n - 1 WHERE tbl = '%s'; END;\n", t, t, t);
	}
	r = exec(h, sb_str(&sb), err, errlen);
	sb_free(&sb);
	return r;
}

/* Columns of fields added to a descriptor after its table was made. */
static int add_columns(sqlite3 *h, char *err, size_t errlen)
{
	struct strbuf sb = STRBUF_INIT;
	int r = 0;

	for (size_t k = 0; cb_objs[k] && r == 0; k++) {
		const struct cb_obj *o = cb_objs[k];

		for (size_t i = 0; i < o->nfields; i++) {
			const struct cb_field *f = &o->fields[i];
			sqlite3_stmt *st;
			char *sql;
			bool have = false;

			if (!stored(f))
				continue;
			sql = xasprintf("SELECT 1 FROM pragma_table_info('%s') WHERE name = ?",
					o->table);
			if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
				free(sql);
				snprintf(err, errlen, "%s", sqlite3_errmsg(h));
				r = -EIO;
				break;
			}
			free(sql);
			sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
			have = sqlite3_step(st) == SQLITE_ROW;
			sqlite3_finalize(st);
			if (have)
				continue;
			/* SQLite refuses ADD COLUMN with REFERENCES and a
			 * non-NULL default only; ours default to NULL. */
			sb_reset(&sb);
			sb_printf(&sb, "ALTER TABLE %s ADD COLUMN ", o->table);
			column_def(&sb, f);
			/* column_def() starts with ", ". */
			{
				char *s = sb_steal(&sb);
				char *p = strstr(s, ", \"");

				memmove(p, p + 2, strlen(p + 2) + 1);
				r = exec(h, s, err, errlen);
				free(s);
			}
			if (r < 0)
				break;
		}
		if (r == 0) {
			sb_reset(&sb);
			index_defs(&sb, o);
			if (sb.len)
				r = exec(h, sb_str(&sb), err, errlen);
		}
	}
	sb_free(&sb);
	return r;
}

static int schema_version(sqlite3 *h, int *ret)
{
	sqlite3_stmt *st;
	int r = -EIO;

	if (sqlite3_prepare_v2(h, "SELECT version FROM schema_version", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*ret = sqlite3_column_int(st, 0);
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

static int migrate(sqlite3 *h, int target, char *err, size_t errlen)
{
	static int (*const steps[])(sqlite3 *, char *, size_t) = { step_v1, step_v2, step_v3 };
	int v = 0, r;

	/* One transaction: a crash mid-migration leaves the old version. */
	if ((r = exec(h, "BEGIN IMMEDIATE", err, errlen)) < 0)
		return r;
	r = exec(h, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", err,
		 errlen);
	if (r < 0)
		goto fail;
	if (schema_version(h, &v) < 0) {
		v = 0;
		if ((r = exec(h, "INSERT INTO schema_version VALUES (0)", err, errlen)) < 0)
			goto fail;
	}
	if (v > CB_DB_SCHEMA_VERSION) {
		snprintf(err, errlen,
			 "the database has schema version %d, newer than this build's %d", v,
			 CB_DB_SCHEMA_VERSION);
		r = -EPROTO;
		goto fail;
	}
	for (; v < target; v++) {
		char sql[64];

		if ((r = steps[v](h, err, errlen)) < 0)
			goto fail;
		snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d", v + 1);
		if ((r = exec(h, sql, err, errlen)) < 0)
			goto fail;
	}
	if ((r = add_columns(h, err, errlen)) < 0)
		goto fail;
	return exec(h, "COMMIT", err, errlen);
fail:
	exec(h, "ROLLBACK", NULL, 0);
	return r;
}

static const struct cb_db_ops sqlite_ops;

int cb_db_sqlite_open_version(const char *path, int version, struct cb_db **ret, char *err,
			      size_t errlen)
{
	struct cb_db_sqlite *db;
	sqlite3 *h = NULL;
	int r;

	/* NOMUTEX: one thread (the event loop) uses the connection, so
	 * SQLite's per-call connection mutex only costs (a lock and unlock
	 * around every sqlite3_column_text(): 9% of a list request). */
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				   SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
			 h ? sqlite3_errmsg(h) : "out of memory");
		sqlite3_close(h);
		return -EIO;
	}
	sqlite3_extended_result_codes(h, 1);
	sqlite3_busy_timeout(h, 5000);
	/* WAL + synchronous=FULL: every COMMIT fsyncs the WAL before it
	 * returns; NORMAL would lose the last commits on power loss. */
	r = exec(h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
		 err, errlen);
	if (r == 0)
		r = migrate(h, version, err, errlen);
	if (r < 0) {
		sqlite3_close(h);
		return r;
	}
	db = xcalloc(1, sizeof(*db));
	db->base.ops = &sqlite_ops;
	db->h = h;
	*ret = &db->base;
	return 0;
}

int cb_db_sqlite_open(const char *path, struct cb_db **ret, char *err, size_t errlen)
{
	return cb_db_sqlite_open_version(path, CB_DB_SCHEMA_VERSION, ret, err, errlen);
}

void *cb_db_sqlite_handle(struct cb_db *db)
{
	return H(db);
}

static void sq_close(struct cb_db *db)
{
	struct cb_db_sqlite *d = (struct cb_db_sqlite *)db;

	for (size_t i = 0; i < d->ncache; i++) {
		sqlite3_finalize(d->cache[i].st);
		free(d->cache[i].sql);
	}
	sqlite3_close(d->h);
	free(d);
}

static int sq_begin(struct cb_db *db)
{
	return exec(H(db), "BEGIN IMMEDIATE", NULL, 0);
}

static int sq_commit(struct cb_db *db)
{
	return exec(H(db), "COMMIT", NULL, 0);
}

static int sq_rollback(struct cb_db *db)
{
	return exec(H(db), "ROLLBACK", NULL, 0);
}

/* A ready statement for sql, from the cache; release it with done(). */
static int prepare(struct cb_db *db, const char *sql, sqlite3_stmt **st)
{
	struct cb_db_sqlite *d = (struct cb_db_sqlite *)db;
	struct stmt_slot *slot;

	for (size_t i = 0; i < d->ncache; i++)
		if (strcmp(d->cache[i].sql, sql) == 0) {
			*st = d->cache[i].st;
			return 0;
		}
	if (sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return -EIO;
	if (d->ncache < STMT_CACHE) {
		slot = &d->cache[d->ncache++];
	} else {
		slot = &d->cache[d->next_evict];
		d->next_evict = (d->next_evict + 1) % STMT_CACHE;
		sqlite3_finalize(slot->st);
		free(slot->sql);
	}
	slot->sql = xstrdup(sql);
	slot->st = *st;
	return 0;
}

/* Back to the cache: reset, bindings cleared (no value outlives its
 * request in the statement, passwords' hashes included). */
static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int map_err(int rc)
{
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return -EEXIST;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return -EINVAL;
	return -EIO;
}

static void bind_val(sqlite3_stmt *st, int idx, const struct cb_field *f, const char *v)
{
	if (!v)
		sqlite3_bind_null(st, idx);
	else if (f->type == CB_T_INT)
		sqlite3_bind_int64(st, idx, strtoll(v, NULL, 10));
	else
		sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT);
}

static int sq_insert(struct cb_db *db, const struct cb_obj *o, const char *id, char *const *vals)
{
	struct strbuf sb = STRBUF_INIT;
	sqlite3_stmt *st;
	int n = 1, rc, r;

	sb_printf(&sb, "INSERT INTO %s (id", o->table);
	for (size_t i = 0; i < o->nfields; i++)
		if (stored(&o->fields[i]))
			sb_printf(&sb, ", \"%s\"", o->fields[i].name);
	sb_puts(&sb, ") VALUES (?");
	for (size_t i = 0; i < o->nfields; i++)
		if (stored(&o->fields[i]))
			sb_puts(&sb, ", ?");
	sb_puts(&sb, ")");
	r = prepare(db, sb_str(&sb), &st);
	sb_free(&sb);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, n++, id, -1, SQLITE_STATIC);
	for (size_t i = 0; i < o->nfields; i++)
		if (stored(&o->fields[i]))
			bind_val(st, n++, &o->fields[i], vals[i]);
	rc = sqlite3_step(st);
	done(st);
	return rc == SQLITE_DONE ? 0 : map_err(rc);
}

static int sq_update(struct cb_db *db, const struct cb_obj *o, const char *id, char *const *vals,
		     const bool *set)
{
	struct strbuf sb = STRBUF_INIT;
	sqlite3_stmt *st;
	int n = 1, rc, r;
	bool any = false;

	sb_printf(&sb, "UPDATE %s SET ", o->table);
	for (size_t i = 0; i < o->nfields; i++) {
		if (!set[i] || !stored(&o->fields[i]))
			continue;
		sb_printf(&sb, "%s\"%s\" = ?", any ? ", " : "", o->fields[i].name);
		any = true;
	}
	if (!any) {
		/* Nothing to write: still say whether the object exists. */
		sb_reset(&sb);
		sb_printf(&sb, "SELECT 1 FROM %s WHERE id = ?", o->table);
	} else {
		sb_puts(&sb, " WHERE id = ?");
	}
	r = prepare(db, sb_str(&sb), &st);
	sb_free(&sb);
	if (r < 0)
		return r;
	for (size_t i = 0; any && i < o->nfields; i++)
		if (set[i] && stored(&o->fields[i]))
			bind_val(st, n++, &o->fields[i], vals[i]);
	sqlite3_bind_text(st, n, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	done(st);
	if (!any)
		return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
	if (rc != SQLITE_DONE)
		return map_err(rc);
	return sqlite3_changes(H(db)) ? 0 : -ENOENT;
}

static int sq_remove(struct cb_db *db, const struct cb_obj *o, const char *id)
{
	sqlite3_stmt *st;
	char *sql = xasprintf("DELETE FROM %s WHERE id = ?", o->table);
	int rc, r = prepare(db, sql, &st);

	free(sql);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	done(st);
	if (rc != SQLITE_DONE)
		return map_err(rc);
	return sqlite3_changes(H(db)) ? 0 : -ENOENT;
}

/* A column that a row read with (or without) list_cols holds. */
static bool selected(const struct cb_field *f, bool list_cols)
{
	return stored(f) && (!list_cols || (f->flags & CB_F_LIST));
}

/* list_cols: a list page shows a few fields (4 of a coSpace's 21 columns);
 * reading and copying the others was a fifth of a list request's CPU. */
static void select_cols(struct strbuf *sb, const struct cb_obj *o, bool list_cols)
{
	sb_puts(sb, "SELECT id");
	for (size_t i = 0; i < o->nfields; i++)
		if (selected(&o->fields[i], list_cols))
			sb_printf(sb, ", \"%s\"", o->fields[i].name);
	sb_printf(sb, " FROM %s", o->table);
}

static void read_row(sqlite3_stmt *st, const struct cb_obj *o, bool list_cols,
		     struct cb_row *row)
{
	int c = 1;

	const char *id = (const char *)sqlite3_column_text(st, 0);
	size_t n = id ? strnlen(id, sizeof(row->id) - 1) : 0;

	cb_row_init(row, o);
	memcpy(row->id, id ? id : "", n);
	row->id[n] = '\0';
	for (size_t i = 0; i < o->nfields; i++) {
		const unsigned char *t;

		if (!selected(&o->fields[i], list_cols))
			continue;
		t = sqlite3_column_text(st, c++);
		row->vals[i] = t ? xstrdup((const char *)t) : NULL;
	}
}

static int sq_get(struct cb_db *db, const struct cb_obj *o, const char *id, struct cb_row *ret)
{
	struct strbuf sb = STRBUF_INIT;
	sqlite3_stmt *st;
	int rc, r;

	select_cols(&sb, o, false);
	sb_puts(&sb, " WHERE id = ?");
	r = prepare(db, sb_str(&sb), &st);
	sb_free(&sb);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_row(st, o, false, ret);
		r = 0;
	} else {
		r = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	done(st);
	return r;
}

/* Characters (not bytes) of a UTF-8 string. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static bool use_fts(const struct cb_obj *o, const struct cb_query *q)
{
	return q->filter && *q->filter && has_filter(o) && utf8_chars(q->filter) >= 3;
}

static void where(struct strbuf *sb, const struct cb_obj *o, const struct cb_query *q)
{
	const char *and = " WHERE ";

	if (q->eq_field >= 0) {
		sb_printf(sb, "%s\"%s\" = ?", and, o->fields[q->eq_field].name);
		and = " AND ";
	}
	for (size_t i = 0; i < q->nmore; i++) {
		sb_printf(sb, "%s\"%s\" = ?", and, o->fields[q->more[i].field].name);
		and = " AND ";
	}
	if (q->filter && *q->filter) {
		if (use_fts(o, q)) {
			sb_printf(sb, "%sseq IN (SELECT rowid FROM %s_fts WHERE %s_fts MATCH ?)",
				  and, o->table, o->table);
		} else {
			const char *or = "(";

			sb_puts(sb, and);
			for (size_t i = 0; i < o->nfields; i++) {
				if (!(o->fields[i].flags & CB_F_FILTER))
					continue;
				sb_printf(sb, "%s\"%s\" LIKE ? ESCAPE '\\'", or, o->fields[i].name);
				or = " OR ";
			}
			if (*or == '(')
				sb_puts(sb, "(0");
			sb_puts(sb, ")");
		}
	}
}

char *cb_db_sqlite_list_sql(const struct cb_obj *o, const struct cb_query *q, bool count)
{
	struct strbuf sb = STRBUF_INIT;

	if (count && q->eq_field < 0 && q->nmore == 0 && !(q->filter && *q->filter)) {
		/* Everything: the count the triggers keep (schema 3). */
		sb_printf(&sb, "SELECT n FROM cb_counts WHERE tbl = '%s'", o->table);
		return sb_steal(&sb);
	}
	if (count)
		sb_printf(&sb, "SELECT count(*) FROM %s", o->table);
	else
		select_cols(&sb, o, q->list_cols);
	where(&sb, o, q);
	if (!count)
		sb_puts(&sb, " ORDER BY seq LIMIT ? OFFSET ?");
	return sb_steal(&sb);
}

static int bind_where(sqlite3_stmt *st, const struct cb_obj *o, const struct cb_query *q)
{
	int n = 1;

	if (q->eq_field >= 0)
		bind_val(st, n++, &o->fields[q->eq_field], q->eq_value);
	for (size_t i = 0; i < q->nmore; i++)
		bind_val(st, n++, &o->fields[q->more[i].field], q->more[i].value);
	if (q->filter && *q->filter) {
		if (use_fts(o, q)) {
			/* One FTS5 string (a phrase): with the trigram
			 * tokenizer, a substring match. */
			struct strbuf s = STRBUF_INIT;

			sb_putc(&s, '"');
			for (const char *p = q->filter; *p; p++) {
				if (*p == '"')
					sb_putc(&s, '"');
				sb_putc(&s, *p);
			}
			sb_putc(&s, '"');
			sqlite3_bind_text(st, n++, sb_str(&s), -1, SQLITE_TRANSIENT);
			sb_free(&s);
		} else {
			struct strbuf s = STRBUF_INIT;

			sb_putc(&s, '%');
			for (const char *p = q->filter; *p; p++) {
				if (*p == '%' || *p == '_' || *p == '\\')
					sb_putc(&s, '\\');
				sb_putc(&s, *p);
			}
			sb_putc(&s, '%');
			for (size_t i = 0; i < o->nfields; i++)
				if (o->fields[i].flags & CB_F_FILTER)
					sqlite3_bind_text(st, n++, sb_str(&s), -1,
							  SQLITE_TRANSIENT);
			sb_free(&s);
		}
	}
	return n;
}

static int sq_list(struct cb_db *db, const struct cb_obj *o, const struct cb_query *q,
		   struct cb_rows *ret)
{
	sqlite3_stmt *st;
	char *sql;
	int r, n, rc;

	memset(ret, 0, sizeof(*ret));
	sql = cb_db_sqlite_list_sql(o, q, true);
	r = prepare(db, sql, &st);
	free(sql);
	if (r < 0)
		return r;
	bind_where(st, o, q);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		done(st);
		return -EIO;
	}
	ret->total = (long)sqlite3_column_int64(st, 0);
	done(st);
	if (q->limit <= 0 || q->offset >= ret->total)
		return 0;
	sql = cb_db_sqlite_list_sql(o, q, false);
	r = prepare(db, sql, &st);
	free(sql);
	if (r < 0)
		return r;
	n = bind_where(st, o, q);
	sqlite3_bind_int64(st, n++, q->limit);
	sqlite3_bind_int64(st, n, q->offset);
	ret->rows = xcalloc((size_t)q->limit, sizeof(*ret->rows));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && ret->n < (size_t)q->limit)
		read_row(st, o, q->list_cols, &ret->rows[ret->n++]);
	done(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		cb_rows_free(ret);
		return -EIO;
	}
	return 0;
}

static int sq_find(struct cb_db *db, const struct cb_obj *o, int field, const char *value,
		   char ret_id[CB_ID_LEN + 1])
{
	sqlite3_stmt *st;
	char *sql = xasprintf("SELECT id FROM %s WHERE \"%s\" = ? LIMIT 1", o->table,
			      o->fields[field].name);
	int rc, r = prepare(db, sql, &st);

	free(sql);
	if (r < 0)
		return r;
	bind_val(st, 1, &o->fields[field], value);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(ret_id, CB_ID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
		r = 0;
	} else {
		r = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	done(st);
	return r;
}

static int sq_meta_get(struct cb_db *db, const char *key, char **ret_value)
{
	sqlite3_stmt *st;
	int rc, r = prepare(db, "SELECT value FROM meta WHERE key = ?", &st);

	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ret_value = xstrdup((const char *)sqlite3_column_text(st, 0));
		r = 0;
	} else {
		r = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	done(st);
	return r;
}

static int sq_meta_set(struct cb_db *db, const char *key, const char *value)
{
	sqlite3_stmt *st;
	int rc, r = prepare(db, "INSERT INTO meta (key, value) VALUES (?, ?) "
				"ON CONFLICT(key) DO UPDATE SET value = excluded.value", &st);

	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	done(st);
	return rc == SQLITE_DONE ? 0 : map_err(rc);
}

static const struct cb_db_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.insert = sq_insert,
	.update = sq_update,
	.remove = sq_remove,
	.get = sq_get,
	.list = sq_list,
	.find = sq_find,
	.meta_get = sq_meta_get,
	.meta_set = sq_meta_set,
};
