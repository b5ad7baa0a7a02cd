/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the service commands (cmd_services.c) and their enable-time
 * checks (cmd_svc_checks.c).
 */
#ifndef MMP_CMD_SERVICES_H
#define MMP_CMD_SERVICES_H

#include <stdbool.h>
#include <stdio.h>

#include "lib/conf.h"
#include "lib/cmd.h"
#include "services/mmpd/upload.h"

static inline const char *or_none(const char *s)
{
	return s && *s ? s : "none";
}

/* The state of service svc when the command started (env->svc); an
 * unknown service or no snapshot reads as not installed. */
const struct mmp_svc_state *mmp_svc_snapshot(const struct mmp_ctx *ctx, const char *svc);
/* The string at path, or NULL. */
static inline const char *cstr(struct mmp_ctx *ctx, const char *path)
{
	return cv_conf_get_str(ctx->doc, path, NULL);
}

static inline bool svc_enabled(struct mmp_ctx *ctx, const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "%s.enabled", name);
	return cv_conf_get_bool(ctx->doc, path, false);
}

/* The string elements of the array at path, at most max. */
size_t mmp_conf_list(struct mmp_ctx *ctx, const char *path, const char **ret, size_t max);
/* "Turn" for "turn": the title in "SUCCESS: <Svc> enabled"; NULL for an
 * unknown service. */
const char *mmp_service_title(const char *svc);

#endif
