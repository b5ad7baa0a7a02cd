/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command handlers' access to the upload directory (DESIGN.md section 5:
 * one flat directory of keys, certificates, bundles and backups, written by
 * operators over SFTP). Every handler goes through these functions, which go
 * through lib/file.h: names are bare file names, links are never followed,
 * only regular files are read, reads are bounded and writes are atomic and
 * durable.
 *
 * A write gives the file the owner and group of the directory and a
 * modification time after every other file's, so "pki list" shows files in
 * the order they arrived even when two come within one clock tick.
 */
#ifndef MMP_UPLOAD_H
#define MMP_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "shell/cmd.h"

/* Reads name (at most max bytes, NUL-terminated). -ENOENT with no upload
 * directory; the errors of cv_file_read_at() otherwise. */
int mmp_upload_read(const struct mmp_env *env, const char *name, size_t max, char **ret,
		    size_t *ret_len);
/* True when name is a regular file that can be opened for reading. */
bool mmp_upload_readable(const struct mmp_env *env, const char *name);
/* True when something (of any type) has that name. */
bool mmp_upload_exists(const struct mmp_env *env, const char *name);
/* Writes name with mode; with excl, -EEXIST when it exists. */
int mmp_upload_write(const struct mmp_env *env, const char *name, const void *data, size_t len,
		     mode_t mode, bool excl);
int mmp_upload_remove(const struct mmp_env *env, const char *name);

struct mmp_upfile {
	char *name;
	struct timespec mtime;
	off_t size;
};

/* The regular files of the directory (no dot files, no links), oldest
 * first, equal times by name; at most MMP_UPLOAD_LIST_MAX. */
#define MMP_UPLOAD_LIST_MAX 4096
int mmp_upload_list(const struct mmp_env *env, struct mmp_upfile **ret, size_t *ret_n);
void mmp_upload_list_free(struct mmp_upfile *files, size_t n);

#endif
