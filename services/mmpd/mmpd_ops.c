// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What mmpd offers the command handlers (lib/cmd.h, struct mmp_env): the
 * fixed operations on the upload directory (mmp_local_ops on mmpd's own
 * descriptor of it) and a snapshot of the interface map and of the
 * services' states, taken when a command starts.
 */
#include "config.h"

#include <string.h>

#include "lib/mem.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/mmpd.h"

void mmpd_env_snapshot(struct mmpd *d, struct mmp_env *env)
{
	memset(env, 0, sizeof(*env));
	if (d->upload.dirfd >= 0) {
		env->ops = &mmp_local_ops;
		env->opaque = &d->upload;
	}
	for (int i = 0; i < 4; i++)
		snprintf(env->ifmap[i], sizeof(env->ifmap[i]), "%s", d->ifmap[i]);
	for (size_t i = 0; mmp_service_names[i] && i < MMP_MAX_SVC; i++)
		mmpd_super_state(d->super, mmp_service_names[i], &env->svc[i]);
	env->can_act = true;
}

json_object *mmpd_upload_names(struct mmpd *d)
{
	json_object *arr = json_object_new_array();
	struct mmp_upfile *files = NULL;
	size_t n = 0;

	if (d->upload.dirfd >= 0 && mmp_local_ops.list(&d->upload, &files, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, json_object_new_string(files[i].name));
		mmp_upfiles_free(files, n);
	}
	return arr;
}
