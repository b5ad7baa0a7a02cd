/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command tables, one per area (cmd_tables.c lists them in order). */
#ifndef MMP_CMD_AREAS_H
#define MMP_CMD_AREAS_H

#include "lib/cmd.h"

extern const struct mmp_area mmp_area_net;	/* hostname ipv4 iface ntp timezone */
extern const struct mmp_area mmp_area_dns;	/* dns */
extern const struct mmp_area mmp_area_firewall; /* firewall */
extern const struct mmp_area mmp_area_system;	/* syslog version health_check backup
						 * factory_reset reboot shutdown database help */
extern const struct mmp_area mmp_area_services; /* callbridge webadmin webbridge3 turn xmpp
						 * tls */
extern const struct mmp_area mmp_area_pki;	/* pki */
extern const struct mmp_area mmp_area_user;	/* user passwd */

/* The supervised services, in status order (cmd_services.c). */
extern const char *const mmp_service_names[];
/* Runs the enable-time checks of spec/mmp.md 1.4 for svc against ctx->doc,
 * printing one SUCCESS:/FAILURE: line per check; returns 0 when all pass
 * (cmd_services.c; health_check uses it too). */
int mmp_services_check(struct mmp_ctx *ctx, const char *svc);

/* Fills a new document's defaults, for example the first-boot admin user
 * (users.c). */
void mmp_users_defaults(json_object *doc);
/* The role of MMP user name; -ENOENT if there is no such user (users.c). */
int mmp_user_role(json_object *doc, const char *name, unsigned *ret_role);

extern const struct mmp_area *const mmp_areas[];
extern const size_t mmp_nareas;

#endif
