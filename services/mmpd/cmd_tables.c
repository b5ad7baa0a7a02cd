// SPDX-License-Identifier: GPL-2.0-or-later
/* The list of command areas. The order is the order of "help". */
#include "config.h"

#include "services/mmpd/cmd_areas.h"

const struct mmp_area *const mmp_areas[] = {
	&mmp_area_net,
	&mmp_area_dns,
	&mmp_area_firewall,
	&mmp_area_services,
	&mmp_area_pki,
	&mmp_area_user,
	&mmp_area_system,
};

const size_t mmp_nareas = sizeof(mmp_areas) / sizeof(mmp_areas[0]);
