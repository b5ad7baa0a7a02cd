// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Applying the configuration to the system. Configuration commands change
 * a copy of the document; before it is committed, every applier makes the
 * kernel match the new document (addresses and routes, the firewall). If
 * one refuses, the ones already run are taken back to the committed
 * document, newest first, so the system is left in its previous working
 * state and the command fails with the reason. At start, mmpd applies the
 * committed document once (old == NULL): what the config says is what the
 * kernel gets.
 *
 * Each applier compares the parts of old and new it owns and does nothing
 * when they are equal, so running them on every commit costs nothing for
 * commands that do not touch them.
 */
#include "config.h"

#include "lib/log.h"
#include "services/mmpd/mmpd.h"
#include "services/mmpd/mmpd_users.h"

static const struct mmpd_applier appliers[] = {
	{ "network", mmpd_net_apply },
	{ "firewall", mmpd_fw_apply },
	{ "users", mmpd_users_apply },
};

#define NAPPLIERS (sizeof(appliers) / sizeof(appliers[0]))

int mmpd_apply(struct mmpd *d, json_object *old_doc, json_object *new_doc, struct strbuf *err)
{
	for (size_t i = 0; i < NAPPLIERS; i++) {
		int r = appliers[i].apply(d, old_doc, new_doc, err);

		if (r == 0)
			continue;
		if (!old_doc)
			return r;
		/* Back to the committed state, including whatever the failed
		 * applier did before it failed. */
		for (size_t j = i + 1; j-- > 0;) {
			struct strbuf e2 = STRBUF_INIT;

			if (appliers[j].apply(d, new_doc, old_doc, &e2) < 0)
				cv_err("could not restore the %s settings: %s", appliers[j].name,
				       sb_str(&e2));
			sb_free(&e2);
		}
		return r;
	}
	return 0;
}
