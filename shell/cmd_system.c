// SPDX-License-Identifier: GPL-2.0-or-later
/* System commands: version, help and the appliance-wide operations. */
#include "config.h"

#include "shell/cmd_areas.h"

static int cmd_version(struct mmp_ctx *ctx)
{
	mmp_printf(ctx, "%s\n", CONVENE_VERSION);
	return 0;
}

static int cmd_help(struct mmp_ctx *ctx)
{
	const char *topic = mmp_arg(ctx, "command");

	mmp_help_list(topic ? topic : "", ctx->role, &ctx->out);
	return 0;
}

static const struct mmp_cmd cmds[] = {
	{ "version", "Shows the software version", MMP_ROLES_ALL, cmd_version },
	{ "help [<command>]", "Lists the commands, or those of one command", MMP_ROLES_ALL, cmd_help },
};

MMP_AREA(mmp_area_system, "system", cmds);
