// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The network applier: addresses, routes and link settings of the mapped
 * interfaces through rtnetlink. Not written yet: the configuration is
 * stored but not applied to the kernel (the network issue).
 */
#include "config.h"

#include "services/mmpd/mmpd.h"

int mmpd_net_apply(struct mmpd *d, json_object *old_doc, json_object *new_doc, struct strbuf *err)
{
	return 0;
}
