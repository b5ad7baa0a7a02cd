/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The backup file (spec/mmp.md 12): "<name>.bak" in the upload directory is
 * one JSON object
 *
 *   {"product":"convene", "version":V, "created":T, "config":{...},
 *    "files":{"<file name>":"<base64>", ...}}
 *
 * that "backup snapshot" writes and "backup rollback" reads back
 * (cmd_system.c). Reading it is sans-I/O: mmp_backup_parse() makes every
 * check the rollback needs before it writes anything, so the handler only
 * reads the file and writes what comes out, and the fuzz target
 * (tests/fuzz/backup_fuzz.c) calls the same function.
 */
#ifndef MMP_BACKUP_H
#define MMP_BACKUP_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/conf.h"
#include "lib/strbuf.h"

/* Cap on the files one backup carries; the .bak holds them in base64
 * (4/3 of the size) plus the config document. */
#define MMP_BACKUP_FILES_MAX (64u << 20)
#define MMP_BACKUP_MAX (MMP_BACKUP_FILES_MAX / 3 * 4 + CV_CONF_MAX + (1u << 20))

/* Files a backup carries: regular files of the upload directory except
 * backups themselves and temporary files of atomic writes. The rollback
 * restores no other name. */
bool mmp_backup_carries(const char *name);

struct mmp_backup_file {
	char *name;	     /* a name mmp_backup_carries() accepts */
	unsigned char *data; /* decoded */
	size_t len;
};

/* A checked backup; everything in it is owned by it (mmp_backup_free). */
struct mmp_backup {
	json_object *config; /* the configuration, migrated to this build's schema */
	struct mmp_backup_file *files;
	size_t nfiles;
};

/* Parses and checks the len bytes of text, the file "<name>.bak": a JSON
 * object and nothing after it, of product "convene" and this build's
 * version, whose config is an object that migrates (cv_conf_migrate) and
 * whose files are names a backup carries with strict base64 contents, at
 * most MMP_BACKUP_FILES_MAX decoded bytes in all (and text at most
 * MMP_BACKUP_MAX bytes). name is only for the messages, which show what
 * comes from the file (a file name, the version) escaped as "\xHH" where it
 * is not printable text (sb_put_escaped). Returns 0 and
 * fills *ret, or a negative errno with one "FAILURE: ..." line (no
 * newline) appended to err: -EINVAL for what is not a valid backup,
 * -ENOTSUP for another version, -EFBIG for the caps. */
int mmp_backup_parse(const char *name, const char *text, size_t len, struct mmp_backup *ret,
		     struct strbuf *err);
void mmp_backup_free(struct mmp_backup *b);

#endif
