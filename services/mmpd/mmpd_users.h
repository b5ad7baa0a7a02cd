/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The system users applier (mmpd --system-users): on the appliance image,
 * every MMP user is also a Unix account, so that sshd checks MMP passwords
 * and runs mmp as the login shell. See mmpd_users.c.
 */
#ifndef MMPD_USERS_H
#define MMPD_USERS_H

#include <json-c/json.h>
#include <sys/types.h>

#include "lib/strbuf.h"

struct mmpd;

/* Uids of the Unix accounts of MMP users: MMPD_USERS_UID_MIN and up. */
#define MMPD_USERS_UID_MIN 2001
#define MMPD_USERS_UID_MAX 2999
/* Their primary group "mmp", which also owns the upload directory. */
#define MMPD_USERS_GID 2000
#define MMPD_USERS_GROUP "mmp"
/* The upload directory's group: the accounts of admin and crypto users
 * (the roles that handle keys and certificates) are its members, so only
 * they reach the directory over SFTP. */
#define MMPD_FILES_GID 1999
#define MMPD_FILES_GROUP "mmp-files"
/* The group of backups (*.bak): admin accounts only, so only they can
 * download a backup, which holds every password hash. */
#define MMPD_ADMIN_GID 1998
#define MMPD_ADMIN_GROUP "mmp-admin"
/* The login shell written into passwd (where the image installs mmp). */
#define MMPD_USERS_SHELL "/usr/bin/mmp"

/* Turns the applier on, writing passwd, shadow and group in etc_dir
 * ("/etc" on the image; the tests use a folder of their own). Without
 * this call the applier does nothing. */
void mmpd_users_enable(struct mmpd *d, const char *etc_dir);
/* The MMP user whose account has uid (the record's "uid", which the
 * applier assigns); NULL without --system-users or when none has it.
 * Borrowed from d->doc. */
const char *mmpd_users_by_uid(struct mmpd *d, uid_t uid);

/* The applier (services/mmpd/mmpd_apply.c). */
int mmpd_users_apply(struct mmpd *d, json_object *old_doc, json_object *new_doc,
		     struct strbuf *err);

#endif
