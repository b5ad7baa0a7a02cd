// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmpd's config store: the committed document in <state-dir>/config.json
 * and the interface map in <state-dir>/ifmap. Commits are atomic and durable
 * (lib/conf.c); the in-memory document changes only after the file did.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "services/mmpd/mmpd.h"
#include "services/mmpd/cmd_areas.h"

const char *mmpd_hostname(const struct mmpd *d)
{
	return d->doc ? cv_conf_get_str(d->doc, "hostname", "CMS") : "CMS";
}

int mmpd_store_open(struct mmpd *d)
{
	char err[256];
	json_object *doc = NULL;
	int dfd, r;

	/* A crash between writing and renaming leaves a temporary file: the
	 * committed document is the one under the real name. */
	if (cv_dir_open(d->state_dir, &dfd) == 0) {
		cv_file_clean_tmp(dfd, "config.json");
		close(dfd);
	}
	r = cv_conf_load(d->conf_path, &doc, err, sizeof(err));
	if (r == -ENOENT) {
		doc = cv_conf_new();
		mmp_users_defaults(doc);
		r = cv_conf_save(d->conf_path, doc);
		if (r < 0) {
			cv_err("cannot write %s: %s", d->conf_path, strerror(-r));
			json_object_put(doc);
			return r;
		}
		cv_info("created a new configuration in %s", d->conf_path);
	} else if (r < 0) {
		cv_err("cannot load the configuration: %s", err);
		return r;
	}
	d->doc = doc;
	return 0;
}

int mmpd_store_commit(struct mmpd *d, json_object *doc)
{
	int r = cv_conf_save(d->conf_path, doc);

	if (r < 0) {
		cv_err("cannot save the configuration to %s: %s", d->conf_path, strerror(-r));
		json_object_put(doc);
		return r;
	}
	json_object_put(d->doc);
	d->doc = doc;
	d->gen++;
	return 0;
}

int mmpd_ifmap_load(struct mmpd *d)
{
	char *path = xasprintf("%s/ifmap", d->state_dir);
	char *text = NULL, *line, *save = NULL;
	int r;

	r = cv_file_read(path, 4096, &text, NULL);
	free(path);
	if (r < 0)
		return r;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char iface;
		char name[2] = { line[0], '\0' };

		if (line[0] == '\0' || line[1] != '=' || cv_parse_iface(name, &iface) < 0 ||
		    strlen(line + 2) >= IF_NAMESIZE) {
			cv_warn("ignoring bad interface map line \"%s\"", line);
			continue;
		}
		snprintf(d->ifmap[iface - 'a'], IF_NAMESIZE, "%s", line + 2);
	}
	free(text);
	return 0;
}

int mmpd_ifmap_save(const struct mmpd *d)
{
	char *path = xasprintf("%s/ifmap", d->state_dir);
	struct strbuf sb = STRBUF_INIT;
	int r;

	for (int i = 0; i < 4; i++)
		if (d->ifmap[i][0])
			sb_printf(&sb, "%c=%s\n", 'a' + i, d->ifmap[i]);
	r = cv_file_write(path, sb_str(&sb), sb.len, 0644);
	sb_free(&sb);
	free(path);
	return r;
}
