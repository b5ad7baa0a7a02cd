// SPDX-License-Identifier: GPL-2.0-or-later
/* The user commands (area table mmp_area_user). */
#include "config.h"

#include "shell/cmd_areas.h"

static const struct mmp_cmd cmds[] = {
};

MMP_AREA(mmp_area_user, "user", cmds);
