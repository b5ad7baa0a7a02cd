// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The firewall applier: makes the kernel's "inet convene" nftables table
 * match the firewall part of the document (firewall/fw.h), and runs the
 * confirm-or-roll-back timers of "firewall <if> enable confirm <seconds>".
 *
 * Applying: the ruleset is built from the new document and compared with
 * the one last committed to the kernel; when they are equal nothing is sent
 * (a command that does not change the firewall costs nothing, and
 * re-applying the same configuration is a no-op in the kernel). Otherwise
 * the whole table is replaced in one netlink batch: the kernel takes all of
 * it or none, so a refusal leaves the previous firewall in place and the
 * command fails with the kernel's reason. At start (old == NULL) the table
 * is always rebuilt, so a restarted mmpd has the configured rules exactly
 * once whatever the kernel had.
 *
 * Confirming: "enable confirm" stores firewall.<if>.pending = {deadline,
 * previous} in the document, so the window survives a crash or a reboot.
 * Whenever a document has been applied, the timers are synchronised with
 * its pending entries: one appears, a timer is armed for its deadline; it
 * disappears ("firewall <if> confirm"), the timer is stopped. When a timer
 * fires, mmpd puts firewall.<if> back to "previous", applies that and
 * commits it like a command would, and logs it. A deadline that passed while
 * mmpd was not running fires at once after start.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firewall/fw.h"
#include "lib/clock.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "services/mmpd/mmpd.h"

/* A rollback that could not be applied or saved is tried again this much
 * later (the reason is in the log each time). */
#define RETRY_MS 10000
#define MAX_WINDOW_S 86400

struct pending_timer {
	uv_timer_t timer;
	struct mmpd *d;
	bool init;
	bool armed;
	int64_t deadline;
	unsigned failures; /* rollbacks of this window that failed */
	char ifc;
};

/* The firewall applier's state (d->fw, made at its first call). */
struct mmpd_fw {
	struct fw_ruleset applied; /* what the kernel has */
	bool applied_valid;	   /* after the first successful commit */
	struct pending_timer timers[FW_NIFACES];
};

static struct mmpd_fw *fw_state(struct mmpd *d)
{
	if (!d->fw)
		d->fw = xcalloc(1, sizeof(*d->fw));
	return d->fw;
}

static void log_applied(const struct fw_ruleset *rs)
{
	struct strbuf sb = STRBUF_INIT;

	if (rs->nchains == 0) {
		sb_puts(&sb, "firewall: no interface filtered (no table inet " FW_TABLE ")");
	} else {
		sb_puts(&sb, "firewall: table inet " FW_TABLE " applied:");
		for (size_t i = 0; i < rs->nchains; i++) {
			const struct fw_chain *c = &rs->chains[i];

			sb_printf(&sb, " %c (%s, default %s, %zu rule%s)", c->cfg.name, c->kernel,
				  c->cfg.default_allow ? "allow" : "deny", c->cfg.nrules,
				  c->cfg.nrules == 1 ? "" : "s");
		}
	}
	for (int i = 0; i < FW_NIFACES; i++)
		if (rs->unmapped & (1u << i))
			sb_printf(&sb, "; %c is not mapped to a device (stored only)", 'a' + i);
	cv_info("%s", sb_str(&sb));
	sb_free(&sb);
}

static void rollback(struct pending_timer *pt);

static void on_expire(uv_timer_t *t)
{
	struct pending_timer *pt = t->data;

	pt->armed = false;
	rollback(pt);
}

/* Arms, re-arms or stops the timers so they match the pending windows of
 * doc (the document just applied). */
static void pending_sync(struct mmpd *d, json_object *doc)
{
	if (!d->loop)
		return;
	for (int i = 0; i < FW_NIFACES; i++) {
		struct pending_timer *pt = &fw_state(d)->timers[i];
		char path[32];
		json_object *p;
		int64_t deadline, left_ms;

		snprintf(path, sizeof(path), "firewall.%c.pending", 'a' + i);
		p = doc ? cv_conf_get(doc, path) : NULL;
		if (!p || !json_object_is_type(p, json_type_object)) {
			if (pt->armed)
				uv_timer_stop(&pt->timer);
			pt->armed = false;
			pt->failures = 0;
			continue;
		}
		deadline = cv_conf_get_int(p, "deadline", 0);
		if (pt->armed && pt->deadline == deadline)
			continue;
		if (!pt->init) {
			uv_timer_init(d->loop, &pt->timer);
			pt->timer.data = pt;
			pt->d = d;
			pt->ifc = (char)('a' + i);
			pt->init = true;
		}
		if (pt->deadline != deadline)
			pt->failures = 0;
		pt->deadline = deadline;
		/* The clock of the commands (CONVENE_TEST_NOW in the golden
		 * tests), so a pinned clock gives the full window. */
		left_ms = deadline - (int64_t)cv_now();
		/* A deadline beyond any window (a hand-edited document) is
		 * kept within a day rather than overflowing. */
		if (left_ms > MAX_WINDOW_S)
			left_ms = MAX_WINDOW_S;
		left_ms = left_ms < 0 ? 0 : left_ms * 1000;
		if (pt->failures && left_ms < RETRY_MS)
			left_ms = RETRY_MS;
		uv_timer_start(&pt->timer, on_expire, (uint64_t)left_ms, 0);
		pt->armed = true;
	}
}

/* The document with firewall.<ifc> put back as it was before the window. */
static json_object *rolled_back(json_object *doc, char ifc)
{
	char path[32], ppath[64];
	json_object *copy = NULL, *prev;

	if (json_object_deep_copy(doc, &copy, NULL) < 0)
		return NULL;
	snprintf(path, sizeof(path), "firewall.%c", ifc);
	snprintf(ppath, sizeof(ppath), "%s.pending.previous", path);
	prev = cv_conf_get(copy, ppath);
	if (prev && json_object_is_type(prev, json_type_object)) {
		json_object *p = NULL;

		if (json_object_deep_copy(prev, &p, NULL) < 0) {
			json_object_put(copy);
			return NULL;
		}
		/* The previous state never has a window of its own. */
		json_object_object_del(p, "pending");
		cv_conf_set(copy, path, p);
	} else {
		/* There was no firewall configuration before. */
		cv_conf_del(copy, path);
	}
	return copy;
}

static void rollback(struct pending_timer *pt)
{
	struct mmpd *d = pt->d;
	struct strbuf err = STRBUF_INIT;
	json_object *newdoc, *olddoc;
	char path[32];
	int r;

	if (d->stopping)
		return;
	snprintf(path, sizeof(path), "firewall.%c.pending", pt->ifc);
	if (!cv_conf_get(d->doc, path))
		return; /* confirmed in the meantime */
	newdoc = rolled_back(d->doc, pt->ifc);
	if (!newdoc) {
		cv_err("firewall: interface %c was not confirmed, but the rollback could not be "
		       "prepared; trying again",
		       pt->ifc);
		goto retry;
	}
	/* The same path as a command: the system first, then the commit. */
	if (mmpd_apply(d, d->doc, newdoc, &err) < 0) {
		cv_err("firewall: interface %c was not confirmed, but rolling it back failed: %s",
		       pt->ifc, sb_str(&err));
		json_object_put(newdoc);
		goto retry;
	}
	olddoc = json_object_get(d->doc);
	r = mmpd_store_commit(d, newdoc);
	if (r < 0) {
		struct strbuf e2 = STRBUF_INIT;

		mmpd_apply(d, NULL, olddoc, &e2);
		sb_free(&e2);
		json_object_put(olddoc);
		cv_err("firewall: interface %c was not confirmed, but the rolled back "
		       "configuration could not be saved: %s",
		       pt->ifc, strerror(-r));
		goto retry;
	}
	json_object_put(olddoc);
	pt->failures = 0;
	cv_warn("firewall: the change on interface %c was not confirmed in time; rolled back",
		pt->ifc);
	sb_free(&err);
	return;
retry:
	/* Applying the old document again armed the timer at once (its
	 * deadline has passed): wait before the next try instead. */
	sb_free(&err);
	pt->failures++;
	uv_timer_start(&pt->timer, on_expire, RETRY_MS, 0);
	pt->armed = true;
}

static bool any_mapped(const struct mmpd *d)
{
	for (int i = 0; i < FW_NIFACES; i++)
		if (d->ifmap[i][0])
			return true;
	return false;
}

int mmpd_fw_apply(struct mmpd *d, json_object *old_doc, json_object *new_doc, struct strbuf *err)
{
	struct fw_ruleset *want = xcalloc(1, sizeof(*want));
	struct mmpd_fw *fw = fw_state(d);
	size_t errlen = err->len;
	int r;

	r = fw_ruleset_build(new_doc, (const char(*)[IF_NAMESIZE])d->ifmap, want, err);
	if (r < 0)
		goto out;
	/* With no interface mapped there is nothing this mmpd may filter,
	 * and the kernel is never touched, not even to look (the golden
	 * tests run so, on the machine's own namespace). */
	if (!any_mapped(d))
		goto sync;
	if (old_doc && fw->applied_valid && fw_ruleset_equal(want, &fw->applied)) {
		/* Unchanged: nothing goes to the kernel. */
		goto sync;
	}
	r = fw_ruleset_commit(want, err);
	if (r < 0) {
		/* Refused: the kernel kept what it had. Unknown outcome:
		 * the next apply sends the table again. */
		char *msg = xstrdup(sb_str(err) + errlen);
		size_t n = strlen(msg);

		if (r == -EIO)
			fw->applied_valid = false;
		while (n && msg[n - 1] == '\n')
			msg[--n] = '\0';
		cv_err("firewall: the ruleset was not applied: %s", msg);
		free(msg);
		goto out;
	}
	fw->applied = *want;
	fw->applied_valid = true;
	log_applied(want);
sync:
	pending_sync(d, new_doc);
out:
	/* At start the document is committed whatever the kernel says: its
	 * windows run even when its ruleset could not be applied (the
	 * rollback may be what repairs it). */
	if (r < 0 && !old_doc)
		pending_sync(d, new_doc);
	free(want);
	return r;
}
