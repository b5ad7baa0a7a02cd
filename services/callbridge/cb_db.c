// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What every store back end shares (cb_db.h): choosing the back end from
 * the store's location, and the row and query helpers.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "services/callbridge/cb_db.h"

int cb_db_open(const char *location, struct cb_db **ret, char *err, size_t errlen)
{
	/* A database cluster (DESIGN.md 4) will be named by a PostgreSQL
	 * connection URI; its back end is a later issue. */
	if (strncmp(location, "postgresql://", 13) == 0 ||
	    strncmp(location, "postgres://", 11) == 0) {
		snprintf(err, errlen, "PostgreSQL stores are not in this build");
		return -EPROTONOSUPPORT;
	}
	return cb_db_sqlite_open(location, ret, err, errlen);
}

void cb_row_init(struct cb_row *row, const struct cb_obj *o)
{
	row->id[0] = '\0';
	row->n = o->nfields;
	row->vals = xcalloc(o->nfields ? o->nfields : 1, sizeof(char *));
}

void cb_row_free(struct cb_row *row)
{
	if (!row->vals)
		return;
	for (size_t i = 0; i < row->n; i++)
		free(row->vals[i]);
	free(row->vals);
	row->vals = NULL;
}

void cb_rows_free(struct cb_rows *rows)
{
	for (size_t i = 0; i < rows->n; i++)
		cb_row_free(&rows->rows[i]);
	free(rows->rows);
	rows->rows = NULL;
	rows->n = 0;
}

void cb_query_init(struct cb_query *q)
{
	memset(q, 0, sizeof(*q));
	q->eq_field = -1;
	q->limit = 20;
}

