// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The firewall commands (spec/mmp.md 2.7): per-interface inbound policy and
 * rules, the status screen, and the lock-out protection.
 *
 * The commands change firewall.<if> in the document (layout in
 * firewall/fw_model.h); mmpd's firewall applier (services/mmpd/mmpd_fw.c)
 * turns the committed document into the kernel's "inet convene" table
 * before the command returns, and a change the kernel refuses fails the
 * command and changes nothing.
 *
 * Lock-out protection. The operator's session is ctx->from ("ip:port" of
 * the SSH client, or "console"). The interface it comes in on is the one
 * the route back to that address leaves by (a netlink route lookup in
 * mmpd's namespace, mapped back to a-d through <state>/ifmap); SSH is port
 * 22/tcp (spec/mmp.md 1.1). A change that leaves that interface's firewall
 * refusing new SSH connections from the operator's address prints the
 * warning of spec/mmp.md 2.7. When the session's interface is not known
 * (a session through an unmapped interface), every interface is checked
 * against the operator's address; from the console, the warning is given
 * for the changed interface when no source address at all could open SSH
 * on it. It is given by "enable", and by any other change that
 * closes SSH on an enabled firewall; it never blocks the change.
 * "firewall <if> enable confirm <seconds>" applies the change and rolls
 * the interface's firewall back to what it was unless "firewall <if>
 * confirm" comes within the window (every change made to the interface's
 * firewall during the window is rolled back with it).
 *
 * A session the kernel already tracks survives a change (established
 * connections are accepted first), but one opened while no firewall was
 * enabled is not tracked and is cut at once; the next login is refused
 * either way (firewall/README.md).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "firewall/fw_model.h"
#include "lib/clock.h"
#include "lib/conf.h"
#include "lib/file.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/cmd_util.h"
#include "services/mmpd/screen.h"
#include "services/mmpd/users.h"

/* The window of "enable confirm <seconds>". */
#define CONFIRM_MIN 10
#define CONFIRM_MAX 600

#define SSH_PORT 22

/* --- rules --------------------------------------------------------------------- */

struct fw_rule_arg {
	const char *action; /* "allow" or "deny" */
	unsigned port;
	const char *proto; /* "tcp", "udp" or "tcp+udp" */
	char from[32];	   /* "any" or "A.B.C.D/N" */
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
static int fw_rule_from_args(struct mmp_ctx *ctx, struct fw_rule_arg *r)
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

static int fw_find(json_object *rules, const struct fw_rule_arg *r)
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

/* --- the operator's session -------------------------------------------------------- */

struct session {
	bool ssh; /* ctx->from is an IPv4 "ip:port" */
	struct in_addr peer;
	char ifc; /* the interface it comes in on; 0 when not known */
};

/* The kernel interface the route to dst leaves by (RTM_GETROUTE). */
static int route_oif(struct in_addr dst, char ret_name[IF_NAMESIZE])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct timeval tv = {.tv_sec = 1};
	unsigned portid, seq = 1, oif = 0;
	ssize_t n;
	int left, r = -ENOENT;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	mnl_attr_put_u32(nlh, RTA_DST, dst.s_addr);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0) {
		r = -errno;
		goto out;
	}
	left = (int)n;
	for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		struct nlattr *a;

		if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != portid)
			continue;
		if (nlh->nlmsg_type == NLMSG_ERROR)
			break;
		if (nlh->nlmsg_type != RTM_NEWROUTE)
			continue;
		mnl_attr_for_each(a, nlh, sizeof(struct rtmsg)) {
			if (mnl_attr_get_type(a) == RTA_OIF &&
			    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				oif = mnl_attr_get_u32(a);
		}
	}
	if (oif && if_indextoname(oif, ret_name))
		r = 0;
out:
	mnl_socket_close(nl);
	return r;
}

/* Which of a-d is mapped to the kernel interface name (mmpd's interface
 * map, in the command's snapshot); 0 when none. */
static char ifmap_lookup(const struct mmp_env *env, const char *name)
{
	for (int i = 0; env && i < 4; i++)
		if (env->ifmap[i][0] && strcmp(env->ifmap[i], name) == 0)
			return (char)('a' + i);
	return 0;
}

static void session_find(const struct mmp_ctx *ctx, struct session *s)
{
	const char *from = ctx->from ? ctx->from : "console";
	const char *colon = strrchr(from, ':');
	char ip[INET_ADDRSTRLEN], dev[IF_NAMESIZE];
	size_t n = colon ? (size_t)(colon - from) : 0;

	memset(s, 0, sizeof(*s));
	if (!colon || n == 0 || n >= sizeof(ip))
		return;
	memcpy(ip, from, n);
	ip[n] = '\0';
	if (cv_parse_ipv4(ip, &s->peer) < 0)
		return; /* IPv6 sessions: the interface stays unknown */
	s->ssh = true;
	if (route_oif(s->peer, dev) == 0)
		s->ifc = ifmap_lookup(ctx->env, dev);
}

/* Would the firewall of f refuse a new SSH connection from the operator?
 * From the console: from every source. */
static bool ssh_closed(const struct fw_iface *f, const struct session *s)
{
	if (s->ssh)
		return !fw_accepts(f, FW_TCP, SSH_PORT, s->peer);
	return !fw_accepts_some(f, FW_TCP, SSH_PORT);
}

/* The interface's firewall as the working document has it. A malformed
 * stored form (never written by these commands) counts as disabled. */
static void iface_now(struct mmp_ctx *ctx, char ifc, struct fw_iface *ret)
{
	size_t bad;

	if (fw_iface_parse(ctx->doc, ifc, ret, &bad) < 0) {
		memset(ret, 0, sizeof(*ret));
		ret->name = ifc;
	}
}

/* A change of interface ifc's firewall, with the lock-out check around it. */
struct change {
	char ifc;
	struct session s;
	bool closed_before;
	struct fw_iface *f; /* scratch */
};

static void change_begin(struct mmp_ctx *ctx, struct change *c)
{
	c->ifc = arg_iface(ctx);
	c->f = xmalloc(sizeof(*c->f));
	session_find(ctx, &c->s);
	iface_now(ctx, c->ifc, c->f);
	c->closed_before = c->f->enabled && ssh_closed(c->f, &c->s);
}

/* Prints the warning when the change closes SSH (or enables a firewall
 * that does); returns whether it did. */
static bool change_end(struct mmp_ctx *ctx, struct change *c, bool enabling)
{
	bool warn;

	/* Only the interface the session comes in on can lock it out. */
	iface_now(ctx, c->ifc, c->f);
	warn = !(c->s.ifc && c->s.ifc != c->ifc) && c->f->enabled && ssh_closed(c->f, &c->s) &&
	       (enabling || !c->closed_before);
	if (warn)
		mmp_printf(ctx,
			   "WARNING: no rule allows SSH (port 22) on interface %c; you may lose "
			   "access\n",
			   c->ifc);
	free(c->f);
	c->f = NULL;
	return warn;
}

/* --- the screen ------------------------------------------------------------------ */

static int cmd_fw_show(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64];
	json_object *o = cv_conf_get(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, NULL));
	json_object *rules =
	    conf_array(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, "rules"), false);
	json_object *pending =
	    cv_conf_get(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, "pending"));

	/* spec/mmp.md 2.7. The firewall is off until enabled; the default
	 * policy of an interface never configured is allow. */
	mmp_screen_kv(&ctx->out, 16, "Firewall status",
		      cv_conf_get_bool(o, "enabled", false) ? "enabled" : "disabled");
	mmp_screen_kv(&ctx->out, 16, "Default policy", obj_str(o, "default", "allow"));
	if (pending) {
		char when[32], line[64];

		mmp_user_format_time(obj_int(pending, "deadline", 0), when, sizeof(when));
		snprintf(line, sizeof(line), "%s (else rolled back)", when);
		mmp_screen_kv(&ctx->out, 16, "Confirm by", line);
	}
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

/* --- configuration ------------------------------------------------------------------ */

static int cmd_fw_default(struct mmp_ctx *ctx)
{
	struct change c;
	char p[64];

	change_begin(ctx, &c);
	cv_conf_set_str(ctx->doc, ipath(p, sizeof(p), "firewall", c.ifc, "default"),
			mmp_has(ctx, "allow") ? "allow" : "deny");
	ctx->changed = true;
	change_end(ctx, &c, false);
	return 0;
}

static int cmd_fw_rule(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64];
	struct fw_rule_arg r;
	struct change c;
	json_object *rules, *e;
	int idx;

	if (fw_rule_from_args(ctx, &r) < 0)
		return -1;
	rules = conf_array(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, "rules"), false);
	idx = fw_find(rules, &r);
	if (mmp_has(ctx, "delete") && idx < 0)
		return mmp_fail(ctx, "Rule not found: %s %u/%s from %s", r.action, r.port, r.proto,
				r.from);
	if (!mmp_has(ctx, "delete") && idx >= 0)
		return mmp_fail(ctx, "Rule already exists: %s %u/%s from %s", r.action, r.port,
				r.proto, r.from);
	if (!mmp_has(ctx, "delete") && arr_len(rules) >= FW_MAX_RULES)
		return mmp_fail(ctx, "Too many rules on interface %c (at most %d)", ifc,
				FW_MAX_RULES);
	change_begin(ctx, &c);
	if (mmp_has(ctx, "delete")) {
		json_object_array_del_idx(rules, (size_t)idx, 1);
	} else {
		rules = conf_array(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, "rules"), true);
		e = json_object_new_object();
		json_object_object_add(e, "action", json_object_new_string(r.action));
		json_object_object_add(e, "port", json_object_new_int((int32_t)r.port));
		json_object_object_add(e, "proto", json_object_new_string(r.proto));
		json_object_object_add(e, "from", json_object_new_string(r.from));
		json_object_array_add(rules, e);
	}
	ctx->changed = true;
	change_end(ctx, &c, false);
	return 0;
}

/* "firewall <if> delete": the interface's whole firewall configuration
 * (state, default, rules, a confirm window) goes; it is then disabled with
 * the default allow, as if never configured. */
static int cmd_fw_delete(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64];

	if (!cv_conf_get(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, NULL)))
		return mmp_fail(ctx, "No firewall configuration on interface %c", ifc);
	cv_conf_del(ctx->doc, p);
	ctx->changed = true;
	return 0;
}

static int cmd_fw_enable(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64];
	const struct mmp_val *secs = mmp_val(ctx, "seconds");
	bool on = mmp_has(ctx, "enable");
	struct change c;
	bool warned;

	if (secs && (secs->u.num < CONFIRM_MIN || secs->u.num > CONFIRM_MAX))
		return mmp_fail(ctx, "Invalid time \"%s\": confirm within %d to %d seconds",
				secs->str, CONFIRM_MIN, CONFIRM_MAX);
	if (!on) {
		cv_conf_set_bool(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, "enabled"), false);
		ctx->changed = true;
		return 0;
	}
	change_begin(ctx, &c);
	if (secs) {
		json_object *fw = cv_conf_get(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, NULL));
		json_object *pending = fw ? cv_conf_get(fw, "pending") : NULL;
		int64_t deadline = (int64_t)cv_now() + (int64_t)secs->u.num;

		if (pending) {
			/* A new deadline for the open window; what is
			 * rolled back stays the state before it opened. */
			cv_conf_set_int(pending, "deadline", deadline);
		} else {
			json_object *prev = NULL;

			if (fw && json_object_deep_copy(fw, &prev, NULL) < 0) {
				free(c.f);
				return mmp_fail(ctx, "FAILURE: internal error copying the "
						     "configuration");
			}
			pending = json_object_new_object();
			json_object_object_add(pending, "deadline",
					       json_object_new_int64(deadline));
			json_object_object_add(pending, "previous", prev);
			cv_conf_set(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, "pending"),
				    pending);
		}
	}
	cv_conf_set_bool(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, "enabled"), true);
	ctx->changed = true;
	warned = change_end(ctx, &c, true);
	if (secs)
		mmp_printf(ctx,
			   "Confirm with \"firewall %c confirm\" within %lu seconds, or the "
			   "firewall of interface %c is rolled back\n",
			   ifc, secs->u.num, ifc);
	else if (warned && c.s.ifc == ifc)
		/* The operator's own session: offer the safe way. */
		mmp_printf(ctx,
			   "Use \"firewall %c enable confirm <seconds>\" to have such a change "
			   "rolled back unless confirmed\n",
			   ifc);
	return 0;
}

static int cmd_fw_confirm(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64];

	if (!cv_conf_get(ctx->doc, ipath(p, sizeof(p), "firewall", ifc, "pending")))
		return mmp_fail(ctx, "Nothing to confirm on interface %c", ifc);
	cv_conf_del(ctx->doc, p);
	ctx->changed = true;
	return 0;
}

/* --- the table ------------------------------------------------------------ */

#define A MMP_ROLE_ADMIN

static const struct mmp_cmd cmds[] = {
    {"firewall <if>", "Shows the firewall state, default policy and rules", A, cmd_fw_show},
    {"firewall <if> default (allow|deny)", "Sets the default policy", A, cmd_fw_default},
    /* "[from <cidr>]": an optional element is one token, so the form
     * with a source is its own entry. */
    {"firewall <if> (allow|deny) <portspec>", "Adds a rule for <port>[/(tcp|udp)]", A, cmd_fw_rule},
    {"firewall <if> (allow|deny) <portspec> from <cidr>",
     "Adds a rule for <port>[/(tcp|udp)] from a network", A, cmd_fw_rule},
    {"firewall <if> delete (allow|deny) <portspec>", "Removes a rule", A, cmd_fw_rule},
    {"firewall <if> delete (allow|deny) <portspec> from <cidr>", "Removes a rule", A, cmd_fw_rule},
    {"firewall <if> delete", "Removes the interface's whole firewall configuration", A,
     cmd_fw_delete},
    {"firewall <if> (enable|disable)", "Enables or disables the firewall", A, cmd_fw_enable},
    {"firewall <if> enable confirm <seconds>",
     "Enables the firewall; rolled back unless confirmed within 10-600 seconds", A, cmd_fw_enable},
    {"firewall <if> confirm", "Keeps the change made with \"enable confirm\"", A, cmd_fw_confirm},
};

MMP_AREA(mmp_area_firewall, "firewall", cmds);
