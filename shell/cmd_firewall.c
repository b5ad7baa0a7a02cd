// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The firewall commands (spec/mmp.md 2.7): per-interface inbound policy and rules.
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
#define MAX_FW_RULES 256

/* --- firewall ------------------------------------------------------------- */

struct fw_rule {
	const char *action; /* "allow" or "deny" */
	unsigned port;
	const char *proto;  /* "tcp", "udp" or "tcp+udp" */
	char from[32];	    /* "any" or "A.B.C.D/N" */
};

/* "<port>[/(tcp|udp)]"; without a protocol the rule matches both. */
static int portspec_parse(const char *s, unsigned *ret_port, const char **ret_proto)
{
	const char *slash = strchr(s, '/');
	char num[8];
	uint16_t port;
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	if (cv_parse_port(num, &port) < 0)
		return -EINVAL;
	if (!slash)
		*ret_proto = "tcp+udp";
	else if (strcmp(slash + 1, "tcp") == 0)
		*ret_proto = "tcp";
	else if (strcmp(slash + 1, "udp") == 0)
		*ret_proto = "udp";
	else
		return -EINVAL;
	*ret_port = port;
	return 0;
}

/* Fills r from the command's arguments; prints the error on failure. */
static int fw_rule_from_args(struct mmp_ctx *ctx, struct fw_rule *r)
{
	const char *spec = mmp_arg(ctx, "portspec");
	const struct mmp_val *from = mmp_val(ctx, "cidr");

	r->action = mmp_has(ctx, "allow") ? "allow" : "deny";
	if (portspec_parse(spec, &r->port, &r->proto) < 0)
		return mmp_fail(ctx, "Invalid port \"%s\"", spec);
	if (from) {
		char a[INET_ADDRSTRLEN];

		ntop(from->u.addr, a);
		snprintf(r->from, sizeof(r->from), "%s/%u", a, from->plen);
	} else {
		snprintf(r->from, sizeof(r->from), "any");
	}
	return 0;
}

static int fw_find(json_object *rules, const struct fw_rule *r)
{
	for (size_t i = 0; i < arr_len(rules); i++) {
		json_object *e = json_object_array_get_idx(rules, i);

		if (strcmp(obj_str(e, "action", ""), r->action) == 0 &&
		    obj_int(e, "port", 0) == (int64_t)r->port &&
		    strcmp(obj_str(e, "proto", ""), r->proto) == 0 &&
		    strcmp(obj_str(e, "from", ""), r->from) == 0)
			return (int)i;
	}
	return -1;
}

static int cmd_fw_show(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64];
	json_object *o = cv_conf_get(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, NULL));
	json_object *rules = conf_array(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, "rules"),
					false);

	/* spec/mmp.md 2.7. The firewall is off until enabled; the default
	 * policy of an interface never configured is allow. */
	mmp_screen_kv(&ctx->out, 16, "Firewall status",
		      cv_conf_get_bool(o, "enabled", false) ? "enabled" : "disabled");
	mmp_screen_kv(&ctx->out, 16, "Default policy", obj_str(o, "default", "allow"));
	mmp_printf(ctx, "Rules:\n");
	for (size_t i = 0; i < arr_len(rules); i++) {
		json_object *e = json_object_array_get_idx(rules, i);
		char num[24], port[40];

		snprintf(num, sizeof(num), "%zu", i + 1);
		snprintf(port, sizeof(port), "%lld/%s", (long long)obj_int(e, "port", 0),
			 obj_str(e, "proto", "?"));
		/* Columns 3, 7 and 12 wide, always at least one space. */
		mmp_printf(ctx, "    %-2s %-6s %-11s from %s\n", num, obj_str(e, "action", "?"),
			   port, obj_str(e, "from", "any"));
	}
	return 0;
}

static int cmd_fw_default(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64];

	cv_conf_set_str(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, "default"),
			mmp_has(ctx, "allow") ? "allow" : "deny");
	ctx->changed = true;
	return 0;
}

static int cmd_fw_rule(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64];
	struct fw_rule r;
	json_object *rules, *e;
	int idx;

	if (fw_rule_from_args(ctx, &r) < 0)
		return -1;
	rules = conf_array(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, "rules"), false);
	idx = fw_find(rules, &r);
	if (mmp_has(ctx, "delete")) {
		if (idx < 0)
			return mmp_fail(ctx, "Rule not found: %s %u/%s from %s", r.action, r.port,
					r.proto, r.from);
		json_object_array_del_idx(rules, (size_t)idx, 1);
		ctx->changed = true;
		return 0;
	}
	if (idx >= 0)
		return mmp_fail(ctx, "Rule already exists: %s %u/%s from %s", r.action, r.port,
				r.proto, r.from);
	rules = conf_array(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, "rules"), true);
	if (arr_len(rules) >= MAX_FW_RULES)
		return mmp_fail(ctx, "Too many rules on interface %c (at most %d)", ifc,
				MAX_FW_RULES);
	e = json_object_new_object();
	json_object_object_add(e, "action", json_object_new_string(r.action));
	json_object_object_add(e, "port", json_object_new_int((int32_t)r.port));
	json_object_object_add(e, "proto", json_object_new_string(r.proto));
	json_object_object_add(e, "from", json_object_new_string(r.from));
	json_object_array_add(rules, e);
	ctx->changed = true;
	return 0;
}

/* Is there an allow rule that lets TCP port 22 in (from any source or a
 * given network: either way the operator chose who keeps SSH)? */
static bool fw_allows_ssh(json_object *rules)
{
	for (size_t i = 0; i < arr_len(rules); i++) {
		json_object *e = json_object_array_get_idx(rules, i);

		if (strcmp(obj_str(e, "action", ""), "allow") == 0 && obj_int(e, "port", 0) == 22 &&
		    strcmp(obj_str(e, "proto", ""), "udp") != 0)
			return true;
	}
	return false;
}

static int cmd_fw_enable(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64];
	bool on = mmp_has(ctx, "enable");
	json_object *o;

	/* Stored only: the nftables ruleset is built by firewall/ later. */
	cv_conf_set_bool(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, "enabled"), on);
	ctx->changed = true;
	if (!on)
		return 0;
	o = cv_conf_get(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, NULL));
	/* spec/mmp.md 2.7. We cannot tell which interface the operator's SSH
	 * session comes in on, so the warning is given for any interface. */
	if (strcmp(obj_str(o, "default", "allow"), "deny") == 0 &&
	    !fw_allows_ssh(conf_array(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, "rules"),
				      false)))
		mmp_printf(ctx,
			   "WARNING: no rule allows SSH (port 22) on interface %c; you may lose "
			   "access\n",
			   ifc);
	return 0;
}

/* --- the table ------------------------------------------------------------ */

#define A MMP_ROLE_ADMIN

static const struct mmp_cmd cmds[] = {
	{ "firewall <if>", "Shows the firewall state, default policy and rules", A, cmd_fw_show },
	{ "firewall <if> default (allow|deny)", "Sets the default policy", A, cmd_fw_default },
	/* "[from <cidr>]": an optional element is one token, so the form
	 * with a source is its own entry. */
	{ "firewall <if> (allow|deny) <portspec>", "Adds a rule for <port>[/(tcp|udp)]", A,
	  cmd_fw_rule },
	{ "firewall <if> (allow|deny) <portspec> from <cidr>",
	  "Adds a rule for <port>[/(tcp|udp)] from a network", A, cmd_fw_rule },
	{ "firewall <if> delete (allow|deny) <portspec>", "Removes a rule", A, cmd_fw_rule },
	{ "firewall <if> delete (allow|deny) <portspec> from <cidr>", "Removes a rule", A,
	  cmd_fw_rule },
	{ "firewall <if> (enable|disable)", "Enables or disables the firewall", A, cmd_fw_enable },
};

MMP_AREA(mmp_area_firewall, "firewall", cmds);
