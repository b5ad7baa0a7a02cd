// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the backup parser (services/mmpd/backup.c): an
 * arbitrary file given to "backup rollback" goes through
 * mmp_backup_parse(), the JSON parse, the product, version and config
 * checks, the migration of the config and the strict base64 of every file.
 * What it accepts must be what the rollback may restore: a migrated config
 * object, names a backup carries, at most MMP_BACKUP_FILES_MAX bytes; what
 * it refuses must say why on one FAILURE line. A breach aborts.
 *
 * Seeds (tests/fuzz/corpus/backup/): snapshots written by "backup snapshot"
 * and hand-made broken ones.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "services/mmpd/backup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const struct mmp_backup *b)
{
	json_object *v;
	size_t total = 0;

	if (!json_object_is_type(b->config, json_type_object) ||
	    !json_object_object_get_ex(b->config, "schema", &v) ||
	    json_object_get_int64(v) != CV_CONF_SCHEMA)
		abort();
	for (size_t i = 0; i < b->nfiles; i++) {
		if (!b->files[i].name || !mmp_backup_carries(b->files[i].name) ||
		    !b->files[i].data)
			abort();
		total += b->files[i].len;
	}
	if (total > MMP_BACKUP_FILES_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf err = STRBUF_INIT;
	struct mmp_backup b;
	int r;

	memset(&b, 0xa5, sizeof(b));
	r = mmp_backup_parse("fuzz", (const char *)data, size, &b, &err);
	if (r == 0) {
		check_accepted(&b);
		if (err.len != 0)
			abort();
		mmp_backup_free(&b);
	} else if (strncmp(sb_str(&err), "FAILURE: ", 9) != 0 || strchr(sb_str(&err), '\n')) {
		/* A refusal is one line for the operator, and *ret is not
		 * touched (the poison above would crash mmp_backup_free). */
		abort();
	}
	sb_free(&err);
	return 0;
}
