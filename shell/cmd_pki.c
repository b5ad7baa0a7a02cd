// SPDX-License-Identifier: GPL-2.0-or-later
/* The pki commands (spec/mmp.md section 4). */
#include "config.h"

#include "shell/cmd_areas.h"

static const struct mmp_cmd cmds[] = {
};

MMP_AREA(mmp_area_pki, "pki", cmds);
