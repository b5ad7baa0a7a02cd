// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The backup file's parser (backup.h): what "backup rollback" checks of a
 * .bak before it restores anything. It runs in a worker (the handlers never
 * run in mmpd) and is the fuzz target tests/fuzz/backup_fuzz.c; nothing
 * here does I/O.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "services/mmpd/backup.h"

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

bool mmp_backup_carries(const char *name)
{
	return name[0] != '.' && cv_parse_filename(name) == 0 && !has_suffix(name, ".bak") &&
	       !has_suffix(name, ".tmp");
}

/* A string of the file in a message: one line, nothing that could drive the
 * operator's terminal (mmp keeps the newlines of an output). */
static void put_untrusted(struct strbuf *sb, const char *s)
{
	sb_put_escaped(sb, s, strlen(s), false);
}

void mmp_backup_free(struct mmp_backup *b)
{
	for (size_t i = 0; i < b->nfiles; i++) {
		free(b->files[i].name);
		free(b->files[i].data);
	}
	free(b->files);
	json_object_put(b->config);
	memset(b, 0, sizeof(*b));
}

/* The entries of files, decoded; the same checks and messages as the
 * rest of mmp_backup_parse(). */
static int decode_files(const char *name, json_object *files, struct mmp_backup *b,
			struct strbuf *err)
{
	size_t total = 0;

	b->files = xcalloc(json_object_object_length(files) + 1, sizeof(*b->files));
	json_object_object_foreach(files, fname, fdata)
	{
		struct mmp_backup_file *f = &b->files[b->nfiles];
		size_t elen = json_object_is_type(fdata, json_type_string)
				      ? (size_t)json_object_get_string_len(fdata)
				      : 0;

		if (mmp_backup_carries(fname) && json_object_is_type(fdata, json_type_string))
			f->data = xmalloc(elen / 4 * 3 + 1);
		if (!f->data ||
		    cv_base64_decode(json_object_get_string(fdata), elen, f->data, &f->len) < 0) {
			free(f->data);
			f->data = NULL;
			sb_printf(err, "FAILURE: %s.bak has a bad entry for file ", name);
			put_untrusted(err, fname);
			return -EINVAL;
		}
		f->name = xstrdup(fname);
		b->nfiles++;
		total += f->len;
		if (total > MMP_BACKUP_FILES_MAX) {
			sb_printf(err, "FAILURE: %s.bak holds more than %u MiB of files", name,
				  MMP_BACKUP_FILES_MAX >> 20);
			return -EFBIG;
		}
	}
	return 0;
}

int mmp_backup_parse(const char *name, const char *text, size_t len, struct mmp_backup *ret,
		     struct strbuf *err)
{
	struct mmp_backup b = { 0 };
	struct json_tokener *tok = NULL;
	json_object *root = NULL, *v, *config, *files;
	char why[160];
	int r = -EINVAL;

	if (len > MMP_BACKUP_MAX) {
		sb_printf(err, "FAILURE: %s.bak is larger than %u MiB", name, MMP_BACKUP_MAX >> 20);
		return -EFBIG;
	}
	tok = json_tokener_new();
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root || json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "product", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "convene") != 0 ||
	    !json_object_object_get_ex(root, "version", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !json_object_object_get_ex(root, "config", &config) ||
	    !json_object_is_type(config, json_type_object) ||
	    !json_object_object_get_ex(root, "files", &files) ||
	    !json_object_is_type(files, json_type_object)) {
		sb_printf(err, "FAILURE: %s.bak is not a Convene backup", name);
		goto out;
	}
	if (strcmp(json_object_get_string(v), CONVENE_VERSION) != 0) {
		sb_printf(err, "FAILURE: backup %s was made by version ", name);
		put_untrusted(err, json_object_get_string(v));
		sb_printf(err, "; this is %s", CONVENE_VERSION);
		r = -ENOTSUP;
		goto out;
	}
	if (json_object_deep_copy(config, &b.config, NULL) != 0 ||
	    cv_conf_migrate(b.config, why, sizeof(why)) < 0) {
		sb_printf(err, "FAILURE: the configuration in %s.bak is not valid", name);
		goto out;
	}
	r = decode_files(name, files, &b, err);
	if (r < 0)
		goto out;
	*ret = b;
	b = (struct mmp_backup){ 0 };
out:
	mmp_backup_free(&b);
	json_object_put(root);
	json_tokener_free(tok);
	return r;
}
