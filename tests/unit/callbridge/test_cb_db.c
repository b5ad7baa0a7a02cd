// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite store (services/callbridge/cb_db.h): durability settings,
 * CRUD through the operations table, transactions that roll back, cascades,
 * lists with filters, the query plans of lists (indexes, no sort of the
 * whole table), a list page costing the same at 100 and 5,000 rows (counted
 * in SQLite VM steps, not time), reopening, migrations from schema
 * version 1 and from a table missing a column, and acknowledged API creates
 * surviving a kill -9 of the process making them.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <sqlite3.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/strbuf.h"
#include "services/callbridge/cb_api.h"
#include "services/callbridge/cb_db.h"
#include "tests/unit/tap.h"

static char dir[] = "/tmp/test_cb_db.XXXXXX";

/* Sets field name of a fresh value array. */
static void put(const struct cb_obj *o, char **vals, const char *name, const char *v)
{
	int i = cb_obj_field(o, name);

	if (i < 0)
		abort();
	free(vals[i]);
	vals[i] = v ? xstrdup(v) : NULL;
}

static void free_vals(const struct cb_obj *o, char **vals)
{
	for (size_t i = 0; i < o->nfields; i++)
		free(vals[i]);
	free(vals);
}

static int insert_space(struct cb_db *db, const char *id, const char *name, const char *uri)
{
	const struct cb_obj *o = &cb_obj_cospaces;
	char **v = xcalloc(o->nfields, sizeof(char *));
	int r;

	put(o, v, "name", name);
	put(o, v, "uri", uri);
	put(o, v, "passcode", "1234");
	r = db->ops->insert(db, o, id, v);
	free_vals(o, v);
	return r;
}

static long total(struct cb_db *db, const struct cb_obj *o, const char *filter)
{
	struct cb_query q;
	struct cb_rows rows;

	cb_query_init(&q);
	q.filter = filter;
	q.limit = 0;
	if (db->ops->list(db, o, &q, &rows) < 0)
		return -1;
	return rows.total;
}

static char *pragma(struct cb_db *db, const char *sql)
{
	sqlite3_stmt *st;
	char *v = NULL;

	if (sqlite3_prepare_v2(cb_db_sqlite_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

/* The EXPLAIN QUERY PLAN lines of sql, joined by '|'. */
static char *plan(struct cb_db *db, const char *sql)
{
	char *eqp = xasprintf("EXPLAIN QUERY PLAN %s", sql);
	sqlite3_stmt *st;
	struct strbuf sb = STRBUF_INIT;

	if (sqlite3_prepare_v2(cb_db_sqlite_handle(db), eqp, -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			sb_puts(&sb, (const char *)sqlite3_column_text(st, 3));
			sb_putc(&sb, '|');
		}
		sqlite3_finalize(st);
	}
	free(eqp);
	return sb_steal(&sb);
}

/* VM steps of one page (limit 20) of the plain list, or of the list of one
 * parent's access methods. */
static long page_steps(struct cb_db *db, const struct cb_obj *o, const struct cb_query *q)
{
	char *sql = cb_db_sqlite_list_sql(o, q, false);
	sqlite3_stmt *st;
	long steps = -1;
	int n = 1;

	if (sqlite3_prepare_v2(cb_db_sqlite_handle(db), sql, -1, &st, NULL) == SQLITE_OK) {
		if (q->eq_field >= 0)
			sqlite3_bind_text(st, n++, q->eq_value, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, n++, 20);
		sqlite3_bind_int(st, n, 0);
		while (sqlite3_step(st) == SQLITE_ROW)
			;
		steps = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 0);
		sqlite3_finalize(st);
	}
	free(sql);
	return steps;
}

static void fill(struct cb_db *db, int from, int to, const char *parent)
{
	db->ops->begin(db);
	for (int i = from; i < to; i++) {
		char id[CB_ID_LEN + 1], name[32], uri[32];

		cb_guid_new(id);
		snprintf(name, sizeof(name), "space %d", i);
		snprintf(uri, sizeof(uri), "s%d", i);
		insert_space(db, id, name, uri);
		if (parent && i % 2 == 0) {
			const struct cb_obj *am = &cb_obj_access_methods;
			char **v = xcalloc(am->nfields, sizeof(char *));
			char amid[CB_ID_LEN + 1];

			cb_guid_new(amid);
			put(am, v, "coSpace", parent);
			db->ops->insert(db, am, amid, v);
			free_vals(am, v);
		}
	}
	db->ops->commit(db);
}

static void quiet(int level, const char *msg, void *opaque)
{
	(void)level;
	(void)msg;
	(void)opaque;
}

/* A child creates spaces through cb_api_handle() and writes the id of each
 * one acknowledged (200 + Location) to a pipe; it is killed with SIGKILL
 * in the middle. Every acknowledged space must be in the store after, and
 * no space half-written (each row's name and uri agree). */
static void kill_durability(void)
{
	char path[128], err[256];
	int pfd[2];
	pid_t pid;
	char (*ids)[CB_ID_LEN + 1] = xcalloc(100000, sizeof(*ids));
	size_t n = 0, got = 0;
	char rec[CB_ID_LEN + 1];
	struct cb_api *api;
	int bad = 0, status;

	snprintf(path, sizeof(path), "%s/kill.db", dir);
	if (pipe(pfd) < 0) {
		ok(0, "pipe");
		free(ids);
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		cv_log_set_sink(quiet, NULL);
		if (cb_api_open(path, "cb", &api, err, sizeof(err)) < 0)
			_exit(1);
		for (int i = 0; i < 100000; i++) {
			char body[96];
			struct cb_request req = { "POST", "/coSpaces", NULL, body, 0, "t" };
			struct cb_response resp;

			req.body_len = (size_t)snprintf(body, sizeof(body),
							"name=k%%20%d&uri=k.%d&callId=%d", i, i,
							500000000 + i);
			cb_response_init(&resp);
			cb_api_handle(api, &req, &resp);
			if (resp.status == 200) {
				size_t ll = strlen(resp.location);

				memcpy(rec, resp.location + ll - CB_ID_LEN, CB_ID_LEN);
				rec[CB_ID_LEN] = '\n';
				if (write(pfd[1], rec, sizeof(rec)) != (ssize_t)sizeof(rec))
					_exit(1);
			}
			cb_response_free(&resp);
		}
		_exit(0);
	}
	close(pfd[1]);
	/* Read acknowledgements; kill after 300 of them. */
	while (n < 100000) {
		ssize_t r = read(pfd[0], (char *)rec + got, sizeof(rec) - got);

		if (r <= 0)
			break;
		got += (size_t)r;
		if (got < sizeof(rec))
			continue;
		got = 0;
		memcpy(ids[n], rec, CB_ID_LEN);
		ids[n++][CB_ID_LEN] = '\0';
		if (n == 300 && pid > 0) {
			kill(pid, SIGKILL);
			/* What was written before the kill is still read. */
		}
	}
	close(pfd[0]);
	waitpid(pid, &status, 0);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the creating process was killed");
	ok(n >= 300, "%zu creates acknowledged before the kill", n);
	if (cb_api_open(path, "cb", &api, err, sizeof(err)) < 0) {
		ok(0, "reopen after kill: %s", err);
		free(ids);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct cb_row row;

		if (cb_api_db(api)->ops->get(cb_api_db(api), &cb_obj_cospaces, ids[i], &row) < 0) {
			bad++;
			continue;
		}
		cb_row_free(&row);
	}
	is_int(bad, 0, "every acknowledged space is in the store after kill -9");
	{
		struct cb_db *db = cb_api_db(api);
		struct cb_query q;
		struct cb_rows rows;
		int torn = 0;
		char *ic = pragma(db, "PRAGMA integrity_check");

		is_str(ic, "ok", "integrity_check after kill -9");
		free(ic);
		cb_query_init(&q);
		q.limit = 200000;
		db->ops->list(db, &cb_obj_cospaces, &q, &rows);
		ok(rows.total >= (long)n && rows.total <= (long)n + 1,
		   "%ld spaces stored for %zu acknowledged (at most one commit unacknowledged)",
		   rows.total, n);
		for (size_t i = 0; i < rows.n; i++) {
			const char *nm = rows.rows[i].vals[cb_obj_field(&cb_obj_cospaces, "name")];
			const char *uri = rows.rows[i].vals[cb_obj_field(&cb_obj_cospaces, "uri")];

			if (!nm || !uri || strncmp(nm, "k ", 2) != 0 ||
			    strcmp(nm + 2, uri + 2) != 0)
				torn++;
		}
		is_int(torn, 0, "no space half-written");
		cb_rows_free(&rows);
	}
	cb_api_close(api);
	free(ids);
}

int main(void)
{
	char err[256], path[128], id1[CB_ID_LEN + 1], id2[CB_ID_LEN + 1], found[CB_ID_LEN + 1];
	const struct cb_obj *cs = &cb_obj_cospaces, *am = &cb_obj_access_methods;
	struct cb_db *db = NULL;
	struct cb_row row;
	char *s;
	int r;

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/cb.db", dir);
	r = cb_db_sqlite_open(path, &db, err, sizeof(err));
	ok(r == 0, "open a new store (%s)", r ? err : "ok");
	if (r)
		return tap_done();

	s = pragma(db, "PRAGMA journal_mode");
	is_str(s, "wal", "journal_mode WAL");
	free(s);
	s = pragma(db, "PRAGMA synchronous");
	is_str(s, "2", "synchronous FULL (2)");
	free(s);
	s = pragma(db, "PRAGMA foreign_keys");
	is_str(s, "1", "foreign keys on");
	free(s);
	s = pragma(db, "SELECT version FROM schema_version");
	is_str(s, "3", "schema version 3");
	free(s);

	/* CRUD */
	cb_guid_new(id1);
	cb_guid_new(id2);
	ok(cb_guid_valid(id1) && strcmp(id1, id2) != 0, "GUIDs are valid and differ");
	is_int(id1[14], '4', "version 4 GUID");
	is_int(insert_space(db, id1, "Sales", "sales"), 0, "insert");
	is_int(insert_space(db, id2, "Other", "sales"), -EEXIST, "unique uri: -EEXIST");
	is_int(db->ops->get(db, cs, id1, &row), 0, "get");
	is_str(row.vals[cb_obj_field(cs, "name")], "Sales", "name stored");
	ok(row.vals[cb_obj_field(cs, "callId")] == NULL, "unset is NULL");
	cb_row_free(&row);
	is_int(db->ops->find(db, cs, cb_obj_field(cs, "uri"), "sales", found), 0, "find by uri");
	is_str(found, id1, "found the right one");
	is_int(db->ops->find(db, cs, cb_obj_field(cs, "uri"), "nope", found), -ENOENT,
	       "find nothing: -ENOENT");
	{
		char **v = xcalloc(cs->nfields, sizeof(char *));
		bool *set = xcalloc(cs->nfields, sizeof(bool));

		put(cs, v, "name", "Sales 2");
		set[cb_obj_field(cs, "name")] = true;
		set[cb_obj_field(cs, "uri")] = true; /* NULL: unset */
		is_int(db->ops->update(db, cs, id1, v, set), 0, "update");
		is_int(db->ops->update(db, cs, id2, v, set), -ENOENT, "update of nothing: -ENOENT");
		free_vals(cs, v);
		free(set);
	}
	db->ops->get(db, cs, id1, &row);
	is_str(row.vals[cb_obj_field(cs, "name")], "Sales 2", "name updated");
	ok(row.vals[cb_obj_field(cs, "uri")] == NULL, "uri unset");
	cb_row_free(&row);

	/* Transactions */
	is_int(db->ops->begin(db), 0, "begin");
	is_int(insert_space(db, id2, "Temp", "temp"), 0, "insert in a transaction");
	is_int(db->ops->rollback(db), 0, "rollback");
	is_int(db->ops->get(db, cs, id2, &row), -ENOENT, "rolled back: gone");
	db->ops->begin(db);
	insert_space(db, id2, "Temp", "temp");
	{
		char id3[CB_ID_LEN + 1];

		cb_guid_new(id3);
		is_int(insert_space(db, id3, "Clash", "temp"), -EEXIST, "a failing write in it");
	}
	db->ops->rollback(db);
	is_int(total(db, cs, NULL), 1, "the whole transaction rolled back");

	/* Cascades: a space's access methods go with it. */
	{
		char **v = xcalloc(am->nfields, sizeof(char *));
		char amid[CB_ID_LEN + 1];

		cb_guid_new(amid);
		put(am, v, "coSpace", id1);
		put(am, v, "uri", "sales.guest");
		is_int(db->ops->insert(db, am, amid, v), 0, "access method of the space");
		put(am, v, "coSpace", id2);
		put(am, v, "uri", "other.guest");
		cb_guid_new(amid);
		is_int(db->ops->insert(db, am, amid, v), -EINVAL,
		       "an access method of no space is refused (foreign key)");
		free_vals(am, v);
		is_int(total(db, am, NULL), 1, "one access method");
		is_int(db->ops->remove(db, cs, id1), 0, "remove the space");
		is_int(total(db, am, NULL), 0, "its access method went with it");
		is_int(db->ops->remove(db, cs, id1), -ENOENT, "remove again: -ENOENT");
	}

	/* Lists and filters */
	fill(db, 0, 100, NULL);
	is_int(total(db, cs, NULL), 100, "100 spaces");
	is_int(total(db, cs, "space 4"), 11, "filter 'space 4' (FTS): 4, 40-49");
	is_int(total(db, cs, "SPACE 99"), 1, "filter is case-insensitive");
	is_int(total(db, cs, "s9"), 11, "2-character filter (LIKE): s9, s90-s99");
	is_int(total(db, cs, "%"), 0, "'%%' is literal");
	is_int(total(db, cs, "e\"x"), 0, "a quote in the filter is literal");
	{
		struct cb_query q;
		struct cb_rows rows;

		cb_query_init(&q);
		q.offset = 95;
		q.limit = 20;
		is_int(db->ops->list(db, cs, &q, &rows), 0, "list offset 95");
		is_int(rows.n, 5, "5 rows left");
		is_int(rows.total, 100, "total is all");
		is_str(rows.rows[4].vals[cb_obj_field(cs, "name")], "space 99",
		       "creation order");
		cb_rows_free(&rows);
		q.offset = 200;
		db->ops->list(db, cs, &q, &rows);
		ok(rows.n == 0 && rows.total == 100, "offset past the end: empty, total kept");
		cb_rows_free(&rows);
		q.offset = 0;
		q.limit = 2;
		db->ops->list(db, cs, &q, &rows);
		ok(rows.n == 2 && rows.rows[0].vals[cb_obj_field(cs, "passcode")] &&
			   !strcmp(rows.rows[0].vals[cb_obj_field(cs, "passcode")], "1234"),
		   "a list reads every column");
		cb_rows_free(&rows);
		q.list_cols = true;
		db->ops->list(db, cs, &q, &rows);
		ok(rows.n == 2 && rows.total == 100 &&
			   !strcmp(rows.rows[1].vals[cb_obj_field(cs, "name")], "space 1") &&
			   !strcmp(rows.rows[1].vals[cb_obj_field(cs, "uri")], "s1") &&
			   !rows.rows[1].vals[cb_obj_field(cs, "passcode")],
		   "list_cols: the list fields, not the others");
		cb_rows_free(&rows);
	}

	/* Query plans: no list sorts or scans the table but the rowid walk
	 * that stops after the page. */
	{
		struct cb_query q;
		char *sql, *p;

		cb_query_init(&q);
		sql = cb_db_sqlite_list_sql(cs, &q, false);
		p = plan(db, sql);
		ok(strstr(p, "TEMP B-TREE") == NULL, "plain list: no sort (%s)", p);
		free(sql);
		free(p);
		sql = cb_db_sqlite_list_sql(cs, &q, true);
		p = plan(db, sql);
		ok(strstr(p, "SEARCH cb_counts") && !strstr(p, "cospaces"),
		   "plain total: the kept count, not the table (%s)", p);
		free(sql);
		free(p);
		p = pragma(db, "SELECT count(*) FROM cospaces");
		is_int(total(db, cs, NULL), strtol(p, NULL, 10), "the kept count is count(*)");
		free(p);
		q.filter = "sales";
		sql = cb_db_sqlite_list_sql(cs, &q, false);
		p = plan(db, sql);
		ok(strstr(p, "VIRTUAL TABLE INDEX") && !strstr(p, "TEMP B-TREE"),
		   "filter list: FTS index (%s)", p);
		free(sql);
		free(p);
		sql = cb_db_sqlite_list_sql(cs, &q, true);
		p = plan(db, sql);
		ok(strstr(p, "VIRTUAL TABLE INDEX") != NULL, "filter total: FTS index (%s)", p);
		free(sql);
		free(p);
		cb_query_init(&q);
		q.eq_field = cb_obj_field(am, "coSpace");
		q.eq_value = id1;
		sql = cb_db_sqlite_list_sql(am, &q, false);
		p = plan(db, sql);
		ok(strstr(p, "SEARCH") && strstr(p, "INDEX") && !strstr(p, "TEMP B-TREE"),
		   "sub-collection list: index search (%s)", p);
		free(sql);
		free(p);
		sql = cb_db_sqlite_list_sql(am, &q, true);
		p = plan(db, sql);
		ok(strstr(p, "SEARCH") && strstr(p, "INDEX"), "sub-collection total: index (%s)",
		   p);
		free(sql);
		free(p);
		cb_query_init(&q);
		q.eq_field = cb_obj_field(&cb_obj_calls, "coSpace");
		q.eq_value = id1;
		sql = cb_db_sqlite_list_sql(&cb_obj_calls, &q, false);
		p = plan(db, sql);
		ok(strstr(p, "SEARCH") && !strstr(p, "TEMP B-TREE"), "coSpaceFilter: index (%s)",
		   p);
		free(sql);
		free(p);
	}

	/* The cost of a page does not grow with the table. */
	{
		struct cb_query q;
		char parent[CB_ID_LEN + 1];
		long small, big, sub_small, sub_big;

		cb_guid_new(parent);
		insert_space(db, parent, "parent", "parent");
		fill(db, 100, 140, parent);
		cb_query_init(&q);
		small = page_steps(db, cs, &q);
		cb_query_init(&q);
		q.eq_field = cb_obj_field(am, "coSpace");
		q.eq_value = parent;
		sub_small = page_steps(db, am, &q);
		fill(db, 140, 5000, parent);
		cb_query_init(&q);
		big = page_steps(db, cs, &q);
		q.eq_field = cb_obj_field(am, "coSpace");
		q.eq_value = parent;
		sub_big = page_steps(db, am, &q);
		ok(small > 0 && big == small, "a page of 20: %ld VM steps at 141 rows, %ld at 5001",
		   small, big);
		ok(sub_small > 0 && sub_big == sub_small,
		   "a page of access methods: %ld steps with 20, %ld with 2450", sub_small,
		   sub_big);
	}

	/* Reopen keeps everything. */
	cb_db_close(db);
	r = cb_db_sqlite_open(path, &db, err, sizeof(err));
	ok(r == 0, "reopen");
	is_int(total(db, cs, NULL), 5001, "every space is still there");
	is_int(total(db, cs, "space 4999"), 1, "and the filter index too");
	cb_db_close(db);

	/* Migration from version 1 (no FTS) with rows in it. */
	snprintf(path, sizeof(path), "%s/v1.db", dir);
	r = cb_db_sqlite_open_version(path, 1, &db, err, sizeof(err));
	ok(r == 0, "make a version 1 store");
	fill(db, 0, 50, NULL);
	s = pragma(db, "SELECT count(*) FROM sqlite_master WHERE name = 'cospaces_fts'");
	is_str(s, "0", "version 1 has no FTS table");
	free(s);
	/* A table made before a field existed. */
	ok(sqlite3_exec(cb_db_sqlite_handle(db),
			"ALTER TABLE cospaces DROP COLUMN meetingScheduler", NULL, NULL,
			NULL) == SQLITE_OK,
	   "drop a column as an older build had it");
	cb_db_close(db);
	r = cb_db_sqlite_open(path, &db, err, sizeof(err));
	ok(r == 0, "open migrates (%s)", r ? err : "ok");
	s = pragma(db, "SELECT version FROM schema_version");
	is_str(s, "3", "now version 3");
	free(s);
	is_int(total(db, cs, "space 1"), 11, "FTS built from the old rows");
	s = pragma(db, "SELECT count(*) FROM pragma_table_info('cospaces') "
		       "WHERE name = 'meetingScheduler'");
	is_str(s, "1", "the missing column was added");
	free(s);
	is_int(total(db, cs, NULL), 50, "no row lost");
	sqlite3_exec(cb_db_sqlite_handle(db), "UPDATE schema_version SET version = 99", NULL, NULL,
		     NULL);
	cb_db_close(db);
	r = cb_db_sqlite_open(path, &db, err, sizeof(err));
	is_int(r, -EPROTO, "a newer schema is refused: %s", err);

	kill_durability();

	{
		struct cb_db *pg = NULL;

		is_int(cb_db_open("postgresql://db.example.com/cms", &pg, err, sizeof(err)),
		       -EPROTONOSUPPORT, "a PostgreSQL location is refused clearly: %s", err);
		ok(pg == NULL, "and nothing is opened");
	}

	{
		char *cmd = xasprintf("rm -rf %s", dir);

		if (strncmp(dir, "/tmp/test_cb_db.", 16) == 0 && system(cmd) != 0)
			diag("could not remove %s", dir);
		free(cmd);
	}
	return tap_done();
}
