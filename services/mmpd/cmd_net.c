// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The network commands (spec/mmp.md section 2): hostname, ipv4, iface, ntp
 * and timezone (dns and firewall have their own files).
 *
 * The handlers change the configuration document; mmpd's network applier
 * (services/mmpd/mmpd_net.c) then puts the ipv4 and iface settings of the
 * mapped interfaces in the kernel before the change is committed, and a
 * change the kernel refuses fails the command. The "observed" parts of the
 * ipv4 and iface screens are what the kernel has for the mapped device,
 * read through rtnetlink and the ethtool ioctl (lib/netlink.h); handlers
 * run inside mmpd, so they see its network namespace.
 *
 * The interface map is mmpd's (<state_dir>/ifmap, lines "a=IFNAME"; mmpd writes it
 * from --iface). An unmapped or absent interface has no observed values.
 * Host name, NTP and time zone are stored only (applied with the image).
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/file.h"
#include "lib/mem.h"
#include "lib/netlink.h"
#include "lib/parse.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/cmd_util.h"
#include "services/mmpd/screen.h"

/* Bounds on the stored lists (fail closed rather than grow without end). */
#define MAX_ROUTES 32
#define MAX_NTP 8
/* Linux HOST_NAME_MAX. */
#define HOSTNAME_MAX 64

#define ZONEINFO_DIR "/usr/share/zoneinfo"
#define ZONE_NAME_MAX 64
#define ZONE_LIST_MAX 4000
#define ZONE_DEPTH_MAX 3

/* --- the interface map and sysfs ------------------------------------------ */

/* Kernel interface names as they may appear in a path under /sys. */
static bool kernel_ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= IF_NAMESIZE || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (const char *p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("_.:@-", *p)))
			return false;
	return true;
}

/* The kernel device of interface ifc in mmpd's interface map (the
 * command's snapshot). False when ifc is unmapped or the name is odd. */
static bool ifmap_lookup(const struct mmp_ctx *ctx, char ifc, char dev[IF_NAMESIZE])
{
	const char *name;

	if (!ctx->env || ifc < 'a' || ifc > 'd')
		return false;
	name = ctx->env->ifmap[ifc - 'a'];
	if (!kernel_ifname_ok(name))
		return false;
	snprintf(dev, IF_NAMESIZE, "%s", name);
	return true;
}

/* The kernel's view of the device mapped to ifc: an open rtnetlink socket
 * in *ret_nl (the caller closes it) and the link. False when ifc is
 * unmapped, its device does not exist or rtnetlink cannot be opened. */
static bool observe_link(const struct mmp_ctx *ctx, char ifc, struct cv_nl **ret_nl,
			 struct cv_nl_link *ret_link)
{
	char dev[IF_NAMESIZE];
	struct cv_nl *nl;

	if (!ifmap_lookup(ctx, ifc, dev) || cv_nl_open(&nl) < 0)
		return false;
	if (cv_nl_link_get(nl, dev, ret_link) < 0) {
		cv_nl_close(nl);
		return false;
	}
	*ret_nl = nl;
	return true;
}

/* The MAC address in upper case, as CMS prints it; "none" without one. */
static void mac_text(const struct cv_nl_link *l, char *buf, size_t n)
{
	if (!l || !l->has_mac) {
		snprintf(buf, n, "none");
		return;
	}
	snprintf(buf, n, "%02X:%02X:%02X:%02X:%02X:%02X", l->mac[0], l->mac[1], l->mac[2],
		 l->mac[3], l->mac[4], l->mac[5]);
}

/* --- the restart notice ------------------------------------------------- */

/* Does a listen setting (a string "a", "a:445", or an array or object of
 * them) name interface ifc? The services area stores its listen lists in
 * these forms; this looks at every value under a key naming a listener so
 * it does not depend on each service's exact key names. */
static bool value_names_iface(json_object *v, char ifc, int depth)
{
	if (depth > 3 || !v)
		return false;
	switch (json_object_get_type(v)) {
	case json_type_string: {
		const char *s = json_object_get_string(v);

		return s[0] == ifc && (s[1] == '\0' || s[1] == ':');
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (value_names_iface(json_object_array_get_idx(v, i), ifc, depth + 1))
				return true;
		return false;
	case json_type_object: {
		json_object_object_foreach(v, k, sub) {
			(void)k;
			if (value_names_iface(sub, ifc, depth + 1))
				return true;
		}
		return false;
	}
	default:
		return false;
	}
}

static bool svc_listens_on(json_object *o, char ifc, int depth)
{
	if (depth > 2 || !json_object_is_type(o, json_type_object))
		return false;
	json_object_object_foreach(o, k, v) {
		if ((strstr(k, "listen") || strcmp(k, "interface") == 0) &&
		    value_names_iface(v, ifc, 0))
			return true;
		if (json_object_is_type(v, json_type_object) && svc_listens_on(v, ifc, depth + 1))
			return true;
	}
	return false;
}

/* spec/mmp.md 2.2: an address change on an interface that an enabled service
 * listens on needs a restart of that service. */
static void restart_notice(struct mmp_ctx *ctx, char ifc)
{
	static const char *const svcs[] = { "callbridge", "webadmin", "webbridge3", "turn",
					    "xmpp" };

	for (size_t i = 0; i < sizeof(svcs) / sizeof(svcs[0]); i++) {
		json_object *o = cv_conf_get(ctx->doc, svcs[i]);
		char p[64];

		snprintf(p, sizeof(p), "%s.enabled", svcs[i]);
		if (!cv_conf_get_bool(ctx->doc, p, false) || !svc_listens_on(o, ifc, 0))
			continue;
		mmp_printf(ctx, "A restart of services using interface %c is required\n", ifc);
		return;
	}
}

/* --- hostname ------------------------------------------------------------- */

static int cmd_hostname_show(struct mmp_ctx *ctx)
{
	mmp_printf(ctx, "%s\n", cv_conf_get_str(ctx->doc, "hostname", "CMS"));
	return 0;
}

static int cmd_hostname_set(struct mmp_ctx *ctx)
{
	/* vals[0] is the keyword "hostname", which shares the placeholder's
	 * name: the argument is the second value. */
	const char *name = ctx->vals[1].str;

	/* The engine checked the RFC 1123 form; the kernel's limit is shorter. */
	if (strlen(name) > HOSTNAME_MAX)
		return mmp_fail(ctx, "Invalid host name \"%s\"", name);
	cv_conf_set_str(ctx->doc, "hostname", name);
	ctx->changed = true;
	mmp_printf(ctx, "A reboot is required for the change to take effect\n");
	return 0;
}

/* --- ipv4 ----------------------------------------------------------------- */

/*
 * The route rows of the ipv4 screen (spec/mmp.md 2.2): the routes of the
 * local and main tables through the device, in the order of the S14
 * screen. For each address: its local route (local table, the address as
 * /32), the routes to its network address (a broadcast route of the local
 * table on older kernels, then the network route of the main table), and
 * the broadcast route of its subnet; then every other route through the
 * device in the kernel's order; the default routes last. Linux IPv4 routes
 * have no source selector in practice (RTA_SRC), so "source" is 0.0.0.0;
 * "global" is true for routes of scope global, that is the routes through
 * a gateway; local and broadcast routes have scope host and link.
 *
 * The CMS screen (an older kernel) shows the network address twice: its
 * kernel added a broadcast route for the network address to the local
 * table. Recent kernels (6.x at least) do not, and the row then shows once:
 * the screen shows what the kernel has, never a made-up row.
 */
struct obs_routes {
	struct cv_nl_route *v;
	bool *used;
	size_t n;
	bool header;
};

static void route_print(struct mmp_ctx *ctx, struct obs_routes *o, size_t i)
{
	const struct cv_nl_route *r = &o->v[i];
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

	if (o->used[i])
		return;
	o->used[i] = true;
	if (!o->header) {
		mmp_printf(ctx, "    %-16s%-16s%-16s%s\n", "source", "destination", "gateway",
			   "global");
		o->header = true;
	}
	ntop(r->src, s);
	ntop(r->dst, d);
	ntop(r->gw, g);
	mmp_printf(ctx, "    %-16s%-16s%-16s%s\n", s, d, g,
		   r->scope == RT_SCOPE_UNIVERSE ? "true" : "false");
}

/* Prints the rows of table whose destination is dst/dst_len (any length
 * when dst_len is negative) and whose type is type (any when 0). */
static void routes_print_match(struct mmp_ctx *ctx, struct obs_routes *o, uint32_t table,
			       uint8_t type, struct in_addr dst, int dst_len)
{
	for (size_t i = 0; i < o->n; i++) {
		const struct cv_nl_route *r = &o->v[i];

		if (r->table != table || (type && r->type != type) || r->dst.s_addr != dst.s_addr ||
		    (dst_len >= 0 && r->dst_len != (unsigned)dst_len))
			continue;
		route_print(ctx, o, i);
	}
}

static void ipv4_observed(struct mmp_ctx *ctx, char ifc)
{
	struct cv_nl *nl = NULL;
	struct cv_nl_link link;
	struct cv_nl_addr *addrs = NULL;
	struct cv_nl_route *all = NULL;
	struct obs_routes o = { NULL, NULL, 0, false };
	size_t naddrs = 0, nall = 0;
	bool have = observe_link(ctx, ifc, &nl, &link);

	mmp_printf(ctx, "IPv4 observed values\nAddresses:\n");
	if (have && cv_nl_addrs(nl, link.index, &addrs, &naddrs) == 0) {
		for (size_t i = 0; i < naddrs; i++) {
			char a[INET_ADDRSTRLEN];

			ntop(addrs[i].addr, a);
			mmp_printf(ctx, "%s/%u\n", a, addrs[i].plen);
		}
	}
	mmp_printf(ctx, "Routes:\n");
	if (!have || cv_nl_routes(nl, 0, &all, &nall) < 0)
		goto out;
	/* The local and main tables' routes through this device. */
	o.v = xcalloc(nall ? nall : 1, sizeof(*o.v));
	for (size_t i = 0; i < nall; i++)
		if (all[i].oif == link.index && (all[i].table == CV_NL_TABLE_LOCAL ||
						 all[i].table == CV_NL_TABLE_MAIN))
			o.v[o.n++] = all[i];
	o.used = xcalloc(o.n ? o.n : 1, sizeof(*o.used));
	for (size_t i = 0; i < naddrs; i++) {
		uint32_t mask = cv_ipv4_mask(addrs[i].plen);
		struct in_addr net = { addrs[i].addr.s_addr & mask };
		struct in_addr bcast = { addrs[i].addr.s_addr | ~mask };

		routes_print_match(ctx, &o, CV_NL_TABLE_LOCAL, RTN_LOCAL, addrs[i].addr, 32);
		if (addrs[i].plen >= 31)
			continue;
		routes_print_match(ctx, &o, CV_NL_TABLE_LOCAL, RTN_BROADCAST, net, 32);
		routes_print_match(ctx, &o, CV_NL_TABLE_MAIN, 0, net, (int)addrs[i].plen);
		routes_print_match(ctx, &o, CV_NL_TABLE_LOCAL, RTN_BROADCAST, bcast, 32);
	}
	for (size_t i = 0; i < o.n; i++)
		if (o.v[i].dst_len != 0)
			route_print(ctx, &o, i);
	for (size_t i = 0; i < o.n; i++)
		route_print(ctx, &o, i);
out:
	free(o.v);
	free(o.used);
	free(all);
	free(addrs);
	cv_nl_close(nl);
}

static int cmd_ipv4_show(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64], mac[64];
	json_object *o = cv_conf_get(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, NULL));
	json_object *routes = conf_array(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "routes"),
					 false);
	int64_t plen = obj_int(o, "prefixlen", -1);
	struct cv_nl *nl = NULL;
	struct cv_nl_link link;

	mac_text(observe_link(ctx, ifc, &nl, &link) ? &link : NULL, mac, sizeof(mac));
	cv_nl_close(nl);
	/* The keys in alphabetical order, 16 columns (spec/mmp.md 2.2). */
	mmp_printf(ctx, "IPv4 configuration:\n");
	mmp_printf(ctx, "    %-16s%s\n", "address", obj_str(o, "address", "none"));
	mmp_printf(ctx, "    %-16s%s\n", "default",
		   cv_conf_get_bool(o, "default", false) ? "true" : "false");
	mmp_printf(ctx, "    %-16s%s\n", "dhcp",
		   cv_conf_get_bool(o, "dhcp", false) ? "true" : "false");
	mmp_printf(ctx, "    %-16s%s\n", "enabled",
		   cv_conf_get_bool(o, "enabled", false) ? "true" : "false");
	mmp_printf(ctx, "    %-16s%s\n", "gateway", obj_str(o, "gateway", "none"));
	mmp_printf(ctx, "    %-16s%s\n", "macaddress", mac);
	if (plen >= 0)
		mmp_printf(ctx, "    %-16s%lld\n", "prefixlen", (long long)plen);
	else
		mmp_printf(ctx, "    %-16s%s\n", "prefixlen", "none");
	/* "routes" is ours: the static routes, shown only when there are
	 * some, so the screen of an interface without them is the CMS one. */
	if (arr_len(routes)) {
		mmp_printf(ctx, "    %-16s", "routes");
		for (size_t i = 0; i < arr_len(routes); i++)
			mmp_printf(ctx, "%s%s", i ? " " : "",
				   json_object_get_string(json_object_array_get_idx(routes, i)));
		mmp_printf(ctx, "\n");
	}
	ipv4_observed(ctx, ifc);
	return 0;
}

/* Addresses an interface may not have: "this network", loopback, multicast
 * and reserved. */
static bool ipv4_unicast_ok(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);
	unsigned first = h >> 24;

	return first != 0 && first != 127 && first < 224;
}

/*
 * After "add" or "dhcp" configured an address. Decision: the first
 * configuration enables an interface that was never enabled or disabled,
 * so the seed sequences (S1: "ipv4 a add" with no "ipv4 a enable") work
 * and the S14 screen shows enabled true; an explicit "ipv4 <if> disable"
 * is kept. "ipv4 <if> enable" (S17's bootstrap) stays harmless.
 */
static int ipv4_configured(struct mmp_ctx *ctx, char ifc)
{
	char p[64];

	if (!cv_conf_get(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "enabled")))
		cv_conf_set_bool(ctx->doc, p, true);
	ctx->changed = true;
	restart_notice(ctx, ifc);
	return 0;
}

static int cmd_ipv4_add(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64], a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	char net[INET_ADDRSTRLEN];
	const struct mmp_val *pv = mmp_val(ctx, "prefix"), *gv = mmp_val(ctx, "gw");
	struct in_addr addr = pv->u.addr, gw = gv->u.addr, netaddr;
	unsigned plen = pv->plen;
	uint32_t mask = cv_ipv4_mask(plen);
	const char *cur = cv_conf_get_str(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "address"),
					  NULL);

	if (cur)
		return mmp_fail(ctx,
				"Address already configured on interface %c; use \"ipv4 %c del "
				"%s\" first",
				ifc, ifc, cur);
	ntop(addr, a);
	ntop(gw, g);
	netaddr.s_addr = addr.s_addr & mask;
	ntop(netaddr, net);
	if (!ipv4_unicast_ok(addr) || plen == 0)
		return mmp_fail(ctx, "Invalid address \"%s\"", pv->str);
	/* Up to /30 the all-zeros and all-ones hosts are the network and
	 * broadcast addresses; /31 (RFC 3021) and /32 have none. */
	if (plen <= 30 && ((addr.s_addr & ~mask) == 0 || (addr.s_addr | mask) == 0xffffffffu))
		return mmp_fail(ctx, "Address %s is the network or broadcast address of %s/%u", a,
				net, plen);
	if (!ipv4_unicast_ok(gw) || !cv_ipv4_in_subnet(gw, addr, plen))
		return mmp_fail(ctx, "Gateway %s is not on subnet %s/%u", g, net, plen);
	if (gw.s_addr == addr.s_addr ||
	    (plen <= 30 && ((gw.s_addr & ~mask) == 0 || (gw.s_addr | mask) == 0xffffffffu)))
		return mmp_fail(ctx, "Gateway %s is not a host address of %s/%u", g, net, plen);
	for (const char *o = CV_IFACES; *o; o++) {
		const char *other;

		if (*o == ifc)
			continue;
		other = cv_conf_get_str(ctx->doc, ipath(p, sizeof(p), "ipv4", *o, "address"), "");
		if (strcmp(other, a) == 0)
			return mmp_fail(ctx, "Address %s is already configured on interface %c", a,
					*o);
	}
	cv_conf_set_str(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "address"), a);
	cv_conf_set_int(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "prefixlen"), plen);
	cv_conf_set_str(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "gateway"), g);
	/* A static address replaces DHCP. */
	cv_conf_set_bool(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "dhcp"), false);
	return ipv4_configured(ctx, ifc);
}

static int cmd_ipv4_del(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64];
	const struct mmp_val *v = mmp_val(ctx, "addr");
	char a[INET_ADDRSTRLEN];
	const char *cur = cv_conf_get_str(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "address"),
					  NULL);

	ntop(v->u.addr, a);
	if (!cur)
		return mmp_fail(ctx, "No address configured on interface %c", ifc);
	if (strcmp(cur, a) != 0)
		return mmp_fail(ctx, "Address %s is not configured on interface %c", a, ifc);
	/* Static routes go through this gateway: they must go first. */
	if (arr_len(conf_array(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "routes"), false)))
		return mmp_fail(ctx,
				"Static routes use the gateway of interface %c; use \"ipv4 %c "
				"route del <net>\" first",
				ifc, ifc);
	cv_conf_del(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "address"));
	cv_conf_del(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "prefixlen"));
	cv_conf_del(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "gateway"));
	/* The default route was this interface's gateway. */
	cv_conf_set_bool(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "default"), false);
	ctx->changed = true;
	restart_notice(ctx, ifc);
	return 0;
}

/* DHCP is stored but not applied: there is no DHCP client yet. */
static void dhcp_warning(struct mmp_ctx *ctx, char ifc, const char *what)
{
	mmp_printf(ctx, "WARNING: DHCP is not applied yet: interface %c %s\n", ifc, what);
}

static bool uses_dhcp(struct mmp_ctx *ctx, char ifc)
{
	char p[64];

	return cv_conf_get_bool(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "dhcp"), false);
}

static int cmd_ipv4_dhcp(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64];
	const char *cur = cv_conf_get_str(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "address"),
					  NULL);

	if (cur)
		return mmp_fail(ctx,
				"Address already configured on interface %c; use \"ipv4 %c del "
				"%s\" first",
				ifc, ifc, cur);
	/* No DHCP client runs yet: the setting is stored, and the operator
	 * is told plainly that it gives the interface no address. */
	dhcp_warning(ctx, ifc, "gets no address");
	if (cv_conf_get_bool(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "dhcp"), false))
		return 0;
	cv_conf_set_bool(ctx->doc, p, true);
	return ipv4_configured(ctx, ifc);
}

static int cmd_ipv4_enable(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64];
	bool on = mmp_has(ctx, "enable");

	ipath(p, sizeof(p), "ipv4", ifc, "enabled");
	if (cv_conf_get(ctx->doc, p) && cv_conf_get_bool(ctx->doc, p, !on) == on)
		return 0;
	cv_conf_set_bool(ctx->doc, p, on);
	ctx->changed = true;
	restart_notice(ctx, ifc);
	return 0;
}

/* The interface can reach a gateway: a static one, or one from DHCP. */
static bool has_gateway(struct mmp_ctx *ctx, char ifc)
{
	char p[64];

	return cv_conf_get_str(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "gateway"), NULL) ||
	       cv_conf_get_bool(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "dhcp"), false);
}

static int cmd_ipv4_default(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64];

	if (!has_gateway(ctx, ifc))
		return mmp_fail(ctx, "Interface %c has no gateway", ifc);
	/* One default route at a time (spec/mmp.md 2.2). */
	for (const char *o = CV_IFACES; *o; o++)
		if (cv_conf_get(ctx->doc, ipath(p, sizeof(p), "ipv4", *o, NULL)))
			cv_conf_set_bool(ctx->doc, ipath(p, sizeof(p), "ipv4", *o, "default"),
					 *o == ifc);
	ctx->changed = true;
	if (uses_dhcp(ctx, ifc))
		dhcp_warning(ctx, ifc, "has no gateway for the default route");
	return 0;
}

static int cmd_ipv4_route(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64], n[INET_ADDRSTRLEN], net[32];
	const struct mmp_val *v = mmp_val(ctx, "net");
	json_object *routes;
	int idx;

	ntop(v->u.addr, n);
	snprintf(net, sizeof(net), "%s/%u", n, v->plen);
	routes = conf_array(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "routes"), false);
	idx = arr_find_str(routes, net, false);
	if (mmp_has(ctx, "del")) {
		if (idx < 0)
			return mmp_fail(ctx, "Route %s is not configured on interface %c", net,
					ifc);
		json_object_array_del_idx(routes, (size_t)idx, 1);
		ctx->changed = true;
		return 0;
	}
	if (v->plen == 0)
		return mmp_fail(ctx, "Use \"ipv4 <if> default\" for the default route");
	for (const char *o = CV_IFACES; *o; o++)
		if (arr_find_str(conf_array(ctx->doc, ipath(p, sizeof(p), "ipv4", *o, "routes"),
					    false),
				 net, false) >= 0)
			return mmp_fail(ctx, "Route %s is already configured on interface %c", net,
					*o);
	if (!has_gateway(ctx, ifc))
		return mmp_fail(ctx, "Interface %c has no gateway", ifc);
	routes = conf_array(ctx->doc, ipath(p, sizeof(p), "ipv4", ifc, "routes"), true);
	if (arr_len(routes) >= MAX_ROUTES)
		return mmp_fail(ctx, "Too many routes on interface %c (at most %d)", ifc,
				MAX_ROUTES);
	json_object_array_add(routes, json_object_new_string(net));
	ctx->changed = true;
	if (uses_dhcp(ctx, ifc))
		dhcp_warning(ctx, ifc, "has no gateway for its routes");
	return 0;
}

/* --- iface ---------------------------------------------------------------- */

/*
 * spec/mmp.md 2.1. The observed block mirrors the configured one: what the
 * kernel reports for the mapped device (ethtool for the link settings,
 * rtnetlink for the MTU). "unknown" where it reports nothing: the
 * interface is unmapped, the device is missing, the link is down (no
 * speed, no duplex) or the driver has no link settings at all.
 */
static int cmd_iface_show(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64], mac[64];
	json_object *o = cv_conf_get(ctx->doc, ipath(p, sizeof(p), "iface", ifc, NULL));
	json_object *an = NULL;
	const char *autoneg = "default";
	char cspeed[24] = "default", speed[24] = "unknown", mtu[24] = "unknown";
	const char *duplex = "unknown", *oautoneg = "unknown";
	int64_t sp = obj_int(o, "speed", -1);
	struct cv_nl *nl = NULL;
	struct cv_nl_link link;
	struct cv_nl_linkset ls;
	bool have = observe_link(ctx, ifc, &nl, &link);

	cv_nl_close(nl);
	mac_text(have ? &link : NULL, mac, sizeof(mac));
	if (sp > 0)
		snprintf(cspeed, sizeof(cspeed), "%lld", (long long)sp);
	if (o && json_object_object_get_ex(o, "autoneg", &an) &&
	    json_object_is_type(an, json_type_boolean))
		autoneg = json_object_get_boolean(an) ? "on" : "off";
	if (have) {
		snprintf(mtu, sizeof(mtu), "%u", link.mtu);
		if (cv_ethtool_get(link.name, &ls) == 0) {
			oautoneg = ls.autoneg ? "on" : "off";
			if (ls.speed)
				snprintf(speed, sizeof(speed), "%u", ls.speed);
			if (ls.duplex >= 0)
				duplex = ls.duplex ? "full" : "half";
		}
	}

	mmp_printf(ctx, "Mac address %s\n", mac);
	mmp_printf(ctx, "Configured values:\n");
	mmp_printf(ctx, "        %-18s%s\n", "Auto-negotiation:", autoneg);
	mmp_printf(ctx, "        %-18s%s\n", "Speed:", cspeed);
	mmp_printf(ctx, "        %-18s%s\n", "Duplex:", obj_str(o, "duplex", "default"));
	mmp_printf(ctx, "        %-18s%lld\n", "MTU:", (long long)obj_int(o, "mtu", 1500));
	mmp_printf(ctx, "Observed values:\n");
	mmp_printf(ctx, "        %-18s%s\n", "Auto-negotiation:", oautoneg);
	mmp_printf(ctx, "        %-18s%s\n", "Speed:", speed);
	mmp_printf(ctx, "        %-18s%s\n", "Duplex:", duplex);
	mmp_printf(ctx, "        %-18s%s\n", "MTU:", mtu);
	return 0;
}

static int cmd_iface_autoneg(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64];
	bool on = mmp_has(ctx, "on");

	cv_conf_set_bool(ctx->doc, ipath(p, sizeof(p), "iface", ifc, "autoneg"), on);
	/* Decision: auto-negotiation on hands speed and duplex back to the
	 * link partners, so the forced values are dropped. */
	if (on) {
		cv_conf_del(ctx->doc, ipath(p, sizeof(p), "iface", ifc, "speed"));
		cv_conf_del(ctx->doc, ipath(p, sizeof(p), "iface", ifc, "duplex"));
	}
	ctx->changed = true;
	return 0;
}

static int cmd_iface_speed(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64];
	long speed = mmp_has(ctx, "1000") ? 1000 : mmp_has(ctx, "100") ? 100 : 10;

	/* A forced speed and duplex means auto-negotiation off (ethtool). */
	cv_conf_set_int(ctx->doc, ipath(p, sizeof(p), "iface", ifc, "speed"), speed);
	cv_conf_set_str(ctx->doc, ipath(p, sizeof(p), "iface", ifc, "duplex"),
			mmp_has(ctx, "full") ? "full" : "half");
	cv_conf_set_bool(ctx->doc, ipath(p, sizeof(p), "iface", ifc, "autoneg"), false);
	ctx->changed = true;
	return 0;
}

static int cmd_iface_mtu(struct mmp_ctx *ctx)
{
	char ifc = arg_iface(ctx), p[64];
	const struct mmp_val *v = mmp_val(ctx, "n");

	if (v->u.num < 576 || v->u.num > 9000)
		return mmp_fail(ctx, "Invalid MTU \"%s\" (576-9000)", v->str);
	cv_conf_set_int(ctx->doc, ipath(p, sizeof(p), "iface", ifc, "mtu"), (int64_t)v->u.num);
	ctx->changed = true;
	return 0;
}

/* --- ntp ------------------------------------------------------------------ */

static int cmd_ntp_show(struct mmp_ctx *ctx)
{
	json_object *s = conf_array(ctx->doc, "ntp.servers", false);

	mmp_printf(ctx, "NTP servers:\n");
	if (!arr_len(s))
		mmp_printf(ctx, "    none\n");
	for (size_t i = 0; i < arr_len(s); i++)
		mmp_printf(ctx, "    %s\n",
			   json_object_get_string(json_object_array_get_idx(s, i)));
	return 0;
}

static int cmd_ntp_server(struct mmp_ctx *ctx)
{
	const char *host = mmp_arg(ctx, "host");
	json_object *s = conf_array(ctx->doc, "ntp.servers", false);
	/* Host names are compared without case (RFC 4343). */
	int idx = arr_find_str(s, host, true);

	if (mmp_has(ctx, "del")) {
		if (idx < 0)
			return mmp_fail(ctx, "NTP server %s is not configured", host);
		json_object_array_del_idx(s, (size_t)idx, 1);
		ctx->changed = true;
		return 0;
	}
	if (idx >= 0)
		return mmp_fail(ctx, "NTP server %s is already configured", host);
	s = conf_array(ctx->doc, "ntp.servers", true);
	if (arr_len(s) >= MAX_NTP)
		return mmp_fail(ctx, "Too many NTP servers (at most %d)", MAX_NTP);
	json_object_array_add(s, json_object_new_string(host));
	ctx->changed = true;
	return 0;
}

/* --- timezone ------------------------------------------------------------- */

/* Names in the zoneinfo tree that are not zones to offer: the alternative
 * trees, the link to the system's own zone and placeholders. */
static bool zone_skipped(const char *top)
{
	static const char *const skip[] = { "posix", "right", "localtime", "posixrules",
					    "Factory" };

	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (strcmp(top, skip[i]) == 0)
			return true;
	return false;
}

/* A TZif file (RFC 8536) under ZONEINFO_DIR; rel has been checked. */
static bool tzif_file(const char *rel)
{
	char *path = xasprintf("%s/%s", ZONEINFO_DIR, rel);
	char magic[4];
	struct stat st;
	bool ok = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	free(path);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read(fd, magic, 4) == 4 &&
	    memcmp(magic, "TZif", 4) == 0)
		ok = true;
	close(fd);
	return ok;
}

/* "Area/City": components of [A-Za-z0-9_+-], none empty or starting with
 * '.', so the name can never leave ZONEINFO_DIR. */
static bool zone_name_ok(const char *s)
{
	size_t len = strlen(s);
	char top[ZONE_NAME_MAX + 1];

	if (len == 0 || len > ZONE_NAME_MAX || s[0] == '/' || s[len - 1] == '/' ||
	    strstr(s, "//") || strstr(s, ".."))
		return false;
	for (const char *p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("_+-/", *p)))
			return false;
	snprintf(top, sizeof(top), "%.*s", (int)strcspn(s, "/"), s);
	return !zone_skipped(top);
}

static int cmd_timezone_show(struct mmp_ctx *ctx)
{
	/* Decision: an appliance that was never given a zone runs in UTC. */
	mmp_printf(ctx, "%s\n", cv_conf_get_str(ctx->doc, "timezone", "UTC"));
	return 0;
}

static int cmd_timezone_set(struct mmp_ctx *ctx)
{
	const char *z = mmp_arg(ctx, "zone");

	if (!zone_name_ok(z))
		return mmp_fail(ctx, "Invalid timezone \"%s\"", z);
	if (!tzif_file(z))
		return mmp_fail(ctx,
				"Unknown timezone \"%s\"; \"timezone list\" shows the valid "
				"names",
				z);
	cv_conf_set_str(ctx->doc, "timezone", z);
	ctx->changed = true;
	return 0;
}

struct zone_list {
	char **names;
	size_t n;
};

static void zone_walk(struct zone_list *zl, const char *rel, int depth)
{
	char *dir = rel[0] ? xasprintf("%s/%s", ZONEINFO_DIR, rel) : xstrdup(ZONEINFO_DIR);
	struct dirent *de;
	DIR *d = opendir(dir);

	free(dir);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL && zl->n < ZONE_LIST_MAX) {
		char *sub;
		struct stat st;
		char *full;

		if (de->d_name[0] == '.')
			continue;
		if (!rel[0] && zone_skipped(de->d_name))
			continue;
		sub = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		if (!zone_name_ok(sub)) {
			free(sub);
			continue;
		}
		full = xasprintf("%s/%s", ZONEINFO_DIR, sub);
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth < ZONE_DEPTH_MAX)
				zone_walk(zl, sub, depth + 1);
			free(sub);
		} else if (tzif_file(sub)) {
			zl->names = xrealloc(zl->names, (zl->n + 1) * sizeof(*zl->names));
			zl->names[zl->n++] = sub;
		} else {
			free(sub);
		}
		free(full);
	}
	closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmd_timezone_list(struct mmp_ctx *ctx)
{
	struct zone_list zl = { NULL, 0 };

	/* Bounded: ZONE_DEPTH_MAX levels, at most ZONE_LIST_MAX names. */
	zone_walk(&zl, "", 1);
	if (zl.n == 0)
		return mmp_fail(ctx, "FAILURE: no time zones found in %s", ZONEINFO_DIR);
	qsort(zl.names, zl.n, sizeof(*zl.names), cmp_str);
	for (size_t i = 0; i < zl.n; i++) {
		mmp_printf(ctx, "%s\n", zl.names[i]);
		free(zl.names[i]);
	}
	free(zl.names);
	return 0;
}

/* --- the table -------------------------------------------------------------- */

#define A MMP_ROLE_ADMIN

static const struct mmp_cmd cmds[] = {
	{ "hostname", "Shows the host name", A, cmd_hostname_show },
	{ "hostname <hostname>", "Sets the host name (takes effect after a reboot)", A,
	  cmd_hostname_set },
	{ "ipv4 <if>", "Shows the IPv4 configuration and observed addresses and routes", A,
	  cmd_ipv4_show },
	{ "ipv4 <if> add <prefix> <gw>", "Sets the static address and gateway", A, cmd_ipv4_add },
	{ "ipv4 <if> del <addr>", "Removes the static address", A, cmd_ipv4_del },
	{ "ipv4 <if> dhcp", "Takes the address from DHCP", A, cmd_ipv4_dhcp },
	{ "ipv4 <if> (enable|disable)", "Enables or disables the interface", A, cmd_ipv4_enable },
	{ "ipv4 <if> default", "Makes this interface's gateway the default route", A,
	  cmd_ipv4_default },
	{ "ipv4 <if> route (add|del) <net>", "Adds or removes a static route via the gateway", A,
	  cmd_ipv4_route },
	{ "iface <if>", "Shows the MAC address and the link settings", A, cmd_iface_show },
	{ "iface <if> autoneg (on|off)", "Link auto-negotiation", A, cmd_iface_autoneg },
	{ "iface <if> (10|100|1000) (full|half)", "Forces the link speed and duplex", A,
	  cmd_iface_speed },
	{ "iface <if> mtu <n>", "Sets the MTU (576-9000)", A, cmd_iface_mtu },
	{ "ntp", "Shows the NTP servers", A, cmd_ntp_show },
	{ "ntp server list", "Shows the NTP servers", A, cmd_ntp_show },
	{ "ntp server (add|del) <host>", "Adds or removes an NTP server", A, cmd_ntp_server },
	{ "timezone", "Shows the time zone", A, cmd_timezone_show },
	{ "timezone <zone>", "Sets the time zone (Area/City)", A, cmd_timezone_set },
	{ "timezone list", "Lists the valid time zones", A, cmd_timezone_list },
};

MMP_AREA(mmp_area_net, "net", cmds);
