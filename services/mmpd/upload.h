/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command handlers' access to the upload directory (DESIGN.md section 5:
 * one flat directory of keys, certificates, bundles and backups, written by
 * operators over SFTP). Handlers call these helpers, which call the fixed
 * operations of env->ops (lib/cmd.h); names are bare file names and links
 * are never followed.
 *
 * mmp_local_ops are those operations done by this process on a directory it
 * opened (lib/file.h underneath): mmpd's privileged side runs them after its
 * checks (mmpd_ops.c), and the unit tests bind them to a directory of their
 * own. A write gives the file the owner and group of the directory and a
 * modification time after every other file's, so "pki list" shows files in
 * the order they arrived even when two come within one clock tick.
 */
#ifndef MMP_UPLOAD_H
#define MMP_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/cmd.h"

/* Reads name (at most max bytes, NUL-terminated). -ENOENT with no upload
 * directory; -ELOOP, -EINVAL, -EFBIG or the errno of the open otherwise. */
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
/* The regular files (no dot files, no links, no names a command would
 * refuse), oldest first, equal times by name; at most MMP_UPLOAD_LIST_MAX.
 * Free with mmp_upfiles_free(). */
#define MMP_UPLOAD_LIST_MAX 4096
int mmp_upload_list(const struct mmp_env *env, struct mmp_upfile **ret, size_t *ret_n);

/* A directory this process works on with mmp_local_ops. */
struct mmp_local_dir {
	int dirfd;	    /* the upload directory */
	char *state_dir;    /* its file system's use is disk_usage */
	bool bak_group;	    /* backups (*.bak) get the group bak_gid */
	gid_t bak_gid;
};

extern const struct mmp_ops mmp_local_ops;
/* Opens upload_dir for mmp_local_ops; state_dir may be NULL. */
int mmp_local_open(struct mmp_local_dir *ld, const char *upload_dir, const char *state_dir);
void mmp_local_close(struct mmp_local_dir *ld);

#endif
