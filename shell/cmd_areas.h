/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command tables, one per area (cmd_tables.c lists them in order). */
#ifndef MMP_CMD_AREAS_H
#define MMP_CMD_AREAS_H

#include "shell/cmd.h"

extern const struct mmp_area mmp_area_net;	/* hostname ipv4 iface dns ntp timezone firewall */
extern const struct mmp_area mmp_area_system;	/* syslog version health_check backup
						 * factory_reset reboot shutdown database help */
extern const struct mmp_area mmp_area_services; /* callbridge webadmin webbridge3 turn xmpp
						 * tls pki */
extern const struct mmp_area mmp_area_user;	/* user passwd */

extern const struct mmp_area *const mmp_areas[];
extern const size_t mmp_nareas;

#endif
