// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The dns commands (spec/mmp.md 2.5): forward zones and local records.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/route.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "shell/cmd_areas.h"
#include "shell/cmd_util.h"
#include "shell/screen.h"

/* Bounds on the stored lists (fail closed rather than grow without end). */
#define MAX_FWD_ZONES 32
#define MAX_RRS 256

/* --- dns ------------------------------------------------------------------ */

static int cmd_dns_show(struct mmp_ctx *ctx)
{
	json_object *zones = conf_array(ctx->doc, "dns.forwardzones", false);
	json_object *rrs = conf_array(ctx->doc, "dns.rrs", false);

	/* spec/mmp.md 2.5 (proposed screen). */
	mmp_printf(ctx, "Application DNS:\nForward zones:\n");
	if (!arr_len(zones))
		mmp_printf(ctx, "    none\n");
	for (size_t i = 0; i < arr_len(zones); i++) {
		json_object *z = json_object_array_get_idx(zones, i);
		const char *zone = obj_str(z, "zone", "?");

		mmp_printf(ctx, "    %-17s %s\n", zone, obj_str(z, "server", "?"));
	}
	mmp_printf(ctx, "Resource records:\n");
	if (!arr_len(rrs))
		mmp_printf(ctx, "    none\n");
	for (size_t i = 0; i < arr_len(rrs); i++) {
		json_object *r = json_object_array_get_idx(rrs, i);

		mmp_printf(ctx, "    %s %s %s\n", obj_str(r, "owner", "?"), obj_str(r, "type", "?"),
			   obj_str(r, "data", "?"));
	}
	return 0;
}

/* A forward zone is "." (every domain) or a domain name. */
static bool zone_ok(const char *s)
{
	return strcmp(s, ".") == 0 || cv_parse_hostname(s) == 0;
}

static int find_zone(json_object *zones, const char *zone, const char *server)
{
	for (size_t i = 0; i < arr_len(zones); i++) {
		json_object *z = json_object_array_get_idx(zones, i);

		if (strcasecmp(obj_str(z, "zone", ""), zone) == 0 &&
		    strcmp(obj_str(z, "server", ""), server) == 0)
			return (int)i;
	}
	return -1;
}

static int cmd_dns_zone(struct mmp_ctx *ctx)
{
	const char *zone = mmp_arg(ctx, "zone");
	const struct mmp_val *sv = mmp_val(ctx, "server-ip");
	char server[INET_ADDRSTRLEN];
	json_object *zones, *z;
	int idx;

	if (!zone_ok(zone))
		return mmp_fail(ctx, "Invalid zone \"%s\"", zone);
	ntop(sv->u.addr, server);
	zones = conf_array(ctx->doc, "dns.forwardzones", false);
	idx = find_zone(zones, zone, server);
	if (mmp_has(ctx, "del")) {
		if (idx < 0)
			return mmp_fail(ctx, "Forward zone %s %s not found", zone, server);
		json_object_array_del_idx(zones, (size_t)idx, 1);
		ctx->changed = true;
		return 0;
	}
	if (idx >= 0)
		return mmp_fail(ctx, "Forward zone %s %s already exists", zone, server);
	zones = conf_array(ctx->doc, "dns.forwardzones", true);
	if (arr_len(zones) >= MAX_FWD_ZONES)
		return mmp_fail(ctx, "Too many forward zones (at most %d)", MAX_FWD_ZONES);
	z = json_object_new_object();
	json_object_object_add(z, "zone", json_object_new_string(zone));
	json_object_object_add(z, "server", json_object_new_string(server));
	json_object_array_add(zones, z);
	ctx->changed = true;
	return 0;
}

/* Owner names of local records: labels of letters, digits, '-' and '_'
 * (SRV owners such as _xmpp-component._tcp.example.com), a leading "*"
 * label for a wildcard, no trailing dot. */
static bool rr_owner_ok(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (len == 0 || len > CV_HOSTNAME_MAX)
		return false;
	if (s[0] == '*') {
		if (s[1] == '\0')
			return true;
		if (s[1] != '.')
			return false;
		s += 2;
	}
	for (const char *p = s;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || p[-1] == '-')
				return false;
			if (*p == '\0')
				return true;
			label = 0;
			continue;
		}
		if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_'))
			return false;
		if ((*p == '-' && label == 0) || ++label > 63)
			return false;
	}
}

static const char *const rr_types[] = { "A", "AAAA", "CNAME", "SRV" };

static const char *rr_type_of(const char *s)
{
	for (size_t i = 0; i < sizeof(rr_types) / sizeof(rr_types[0]); i++)
		if (strcasecmp(s, rr_types[i]) == 0)
			return rr_types[i];
	return NULL;
}

/*
 * Validates the minimal record form "<owner> <type> <data>" (no TTL or
 * class): A <IPv4>, AAAA <IPv6>, CNAME <name>, SRV <priority> <weight>
 * <port> <target>. Fills the normalized fields or sets *ret_why.
 */
static int rr_parse(const char *text, char **ret_owner, const char **ret_type, char **ret_data,
		    const char **ret_why)
{
	char *copy = xstrdup(text), *save = NULL, *tok[8];
	size_t n = 0;
	const char *type;
	struct strbuf data = STRBUF_INIT;
	int r = -EINVAL;

	for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == 8) {
			*ret_why = "too many fields";
			goto out;
		}
		tok[n++] = t;
	}
	if (n < 3) {
		*ret_why = "expected \"<owner> <type> <data>\"";
		goto out;
	}
	if (!rr_owner_ok(tok[0])) {
		*ret_why = "bad owner name";
		goto out;
	}
	type = rr_type_of(tok[1]);
	if (!type) {
		*ret_why = "the type must be A, AAAA, CNAME or SRV";
		goto out;
	}
	if (strcmp(type, "SRV") == 0) {
		unsigned long v;

		if (n != 6) {
			*ret_why = "expected \"<owner> SRV <priority> <weight> <port> <target>\"";
			goto out;
		}
		for (size_t i = 2; i < 5; i++)
			if (cv_parse_ulong(tok[i], 0, 65535, &v) < 0) {
				*ret_why = "bad number";
				goto out;
			}
		if (cv_parse_hostname(tok[5]) < 0) {
			*ret_why = "bad target name";
			goto out;
		}
		sb_printf(&data, "%s %s %s %s", tok[2], tok[3], tok[4], tok[5]);
	} else {
		struct in6_addr a6;
		struct in_addr a4;

		if (n != 3) {
			*ret_why = "expected \"<owner> <type> <data>\"";
			goto out;
		}
		if (strcmp(type, "A") == 0 && cv_parse_ipv4(tok[2], &a4) < 0) {
			*ret_why = "bad IPv4 address";
			goto out;
		}
		if (strcmp(type, "AAAA") == 0 && inet_pton(AF_INET6, tok[2], &a6) != 1) {
			*ret_why = "bad IPv6 address";
			goto out;
		}
		if (strcmp(type, "CNAME") == 0 && cv_parse_hostname(tok[2]) < 0) {
			*ret_why = "bad target name";
			goto out;
		}
		sb_puts(&data, tok[2]);
	}
	*ret_owner = xstrdup(tok[0]);
	*ret_type = type;
	*ret_data = sb_steal(&data);
	r = 0;
out:
	sb_free(&data);
	free(copy);
	return r;
}

static int cmd_dns_add_rr(struct mmp_ctx *ctx)
{
	const char *text = mmp_arg(ctx, "record"), *type = NULL, *why = NULL;
	char *owner = NULL, *data = NULL;
	json_object *rrs, *r;
	int ret = 0;

	if (rr_parse(text, &owner, &type, &data, &why) < 0)
		return mmp_fail(ctx, "Invalid resource record \"%s\": %s", text, why);
	rrs = conf_array(ctx->doc, "dns.rrs", true);
	for (size_t i = 0; i < arr_len(rrs); i++) {
		json_object *e = json_object_array_get_idx(rrs, i);

		if (strcasecmp(obj_str(e, "owner", ""), owner) == 0 &&
		    strcmp(obj_str(e, "type", ""), type) == 0 &&
		    strcasecmp(obj_str(e, "data", ""), data) == 0) {
			ret = mmp_fail(ctx, "Resource record \"%s %s %s\" already exists", owner,
				       type, data);
			goto out;
		}
	}
	if (arr_len(rrs) >= MAX_RRS) {
		ret = mmp_fail(ctx, "Too many resource records (at most %d)", MAX_RRS);
		goto out;
	}
	r = json_object_new_object();
	json_object_object_add(r, "owner", json_object_new_string(owner));
	json_object_object_add(r, "type", json_object_new_string(type));
	json_object_object_add(r, "data", json_object_new_string(data));
	json_object_array_add(rrs, r);
	ctx->changed = true;
out:
	free(owner);
	free(data);
	return ret;
}

static int cmd_dns_del_rr(struct mmp_ctx *ctx)
{
	const char *owner = mmp_arg(ctx, "owner");
	const char *type = rr_type_of(mmp_arg(ctx, "type"));
	json_object *rrs = conf_array(ctx->doc, "dns.rrs", false);
	bool found = false;

	if (!type)
		return mmp_fail(ctx, "Invalid record type \"%s\"", mmp_arg(ctx, "type"));
	/* Every record of that owner and type goes. */
	for (size_t i = arr_len(rrs); i-- > 0;) {
		json_object *e = json_object_array_get_idx(rrs, i);

		if (strcasecmp(obj_str(e, "owner", ""), owner) == 0 &&
		    strcmp(obj_str(e, "type", ""), type) == 0) {
			json_object_array_del_idx(rrs, i, 1);
			found = true;
		}
	}
	if (!found)
		return mmp_fail(ctx, "Resource record %s %s not found", owner, type);
	ctx->changed = true;
	return 0;
}

/* --- the table ------------------------------------------------------------ */

#define A MMP_ROLE_ADMIN

static const struct mmp_cmd cmds[] = {
	{ "dns", "Shows the forward zones and local resource records", A, cmd_dns_show },
	{ "dns (add|del) forwardzone <zone> <server-ip>",
	  "Forwards a domain (\".\" for all) to a DNS server", A, cmd_dns_zone },
	{ "dns add rr <record>", "Adds a local record: \"<owner> (A|AAAA|CNAME|SRV) <data>\"", A,
	  cmd_dns_add_rr },
	{ "dns del rr <owner> <type>", "Removes the local records of an owner and type", A,
	  cmd_dns_del_rr },
};

MMP_AREA(mmp_area_dns, "dns", cmds);
