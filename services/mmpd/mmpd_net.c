// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The network applier: the IPv4 address, the routes, the link state, the
 * MTU and the link settings of the mapped interfaces (d->ifmap), through
 * rtnetlink (lib/netlink.c). The ipv4.<if> and iface.<if> sections of the
 * document are the desired state (spec/mmp.md 2.1, 2.2).
 *
 * How it works: for every mapped interface whose sections differ between
 * the old and the new document (every mapped interface at start, when old
 * is NULL), the applier reads the kernel's state of that device and makes
 * it match the new document, in two passes over the interfaces:
 *   1. removals: Convene's routes and addresses the new document does not
 *      want (all interfaces first, so a default route that moves from a to
 *      b is gone from a before b gets it, and there is never a second one);
 *   2. the link (speed/duplex/auto-negotiation, MTU, up/down), then the
 *      address, then the routes through the gateway.
 * Because it converges on what the kernel has rather than replaying the
 * difference of the documents, the same code serves the start (reconcile),
 * a command, and the way back when a later step or applier fails (mmpd
 * calls it again with the documents swapped): what is already right is left
 * alone, so nothing is ever added twice.
 *
 * What is Convene's: routes carry the route protocol CV_NL_PROTO (124);
 * addresses carry the address protocol CV_NL_PROTO (IFA_PROTO, Linux 6.1
 * and later, the kernel of Debian 12). Those marks live in the kernel
 * itself, so they are right after a crash of mmpd, a hand edit or a reboot,
 * which a record in a file of ours would not be; and everything without
 * them (the operator's own addresses and routes, a DHCP client's) is left
 * alone. At start, Convene's marked addresses and routes on a device that
 * no interface is mapped to any more (the map changed) are removed too.
 * An address the configuration names that was already on the device is
 * used as it is (not marked); it is removed again only by a command that
 * removes it from the configuration (the old document says it was ours to
 * manage). On a kernel without IFA_PROTO an address left
 * over from a configuration changed while mmpd was not running is not
 * found at start; every change made through a command still is.
 *
 * Decisions:
 * - "enabled" sets the link up or down; an interface never enabled or
 *   disabled (no ipv4 config) keeps the link state it has. Routes through
 *   a disabled interface are not installed: taking a link down makes the
 *   kernel drop every route through it, and enabling it brings them back.
 * - The default route: one route 0.0.0.0/0 via the gateway of the
 *   interface marked default, metric 0, table main, protocol 124. It is
 *   installed with NLM_F_REPLACE: a metric-0 default route that someone
 *   else installed is replaced, because "ipv4 <if> default" makes that
 *   gateway *the* default route of the appliance (spec/mmp.md 2.2).
 * - Static routes ("ipv4 <if> route add") are installed with NLM_F_EXCL:
 *   a route to the same network that is not Convene's is a conflict the
 *   kernel refuses (EEXIST), and the command fails with that reason.
 * - MTU: the configured value; an interface that never had one keeps the
 *   kernel's. Going back from a configured MTU to none (the way back of a
 *   failed first "iface <if> mtu") sets 1500, the default the screen shows.
 * - Speed, duplex, auto-negotiation go through the ethtool ioctl and only
 *   when they change (or at start when they differ from the kernel's). A
 *   driver that cannot set them (veth, most virtual devices) makes the
 *   command fail with "the driver cannot set ...": the setting is not
 *   stored, rather than stored and silently not in effect.
 * - DHCP is not applied: there is no DHCP client yet. An interface set to
 *   DHCP gets no address and no routes from Convene; the command says so.
 * - Every step is tried even after one is refused, at start (one missing
 *   device does not leave the others unconfigured) as for a command; a
 *   command then fails with the FAILURE lines and mmpd runs the applier
 *   again towards the old document, which must restore all it can.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/log.h"
#include "lib/netlink.h"
#include "lib/parse.h"
#include "lib/strbuf.h"
#include "services/mmpd/mmpd.h"

/* The handlers allow 32 static routes per interface; this bound only
 * protects against a hand-edited document. */
#define MAX_ROUTES 64
#define DEFAULT_MTU 1500

struct net_route {
	struct in_addr net;
	unsigned plen;
};

/* What one document wants for one interface. */
struct want {
	int enabled;		/* 1 up, 0 down, -1 not configured (left as it is) */
	bool has_addr;
	struct in_addr addr;
	unsigned plen;
	bool has_gw;
	struct in_addr gw;
	bool dhcp;
	bool is_default;
	struct net_route routes[MAX_ROUTES];
	size_t nroutes;
	unsigned mtu;		/* 0: not configured */
	bool ls_set;		/* speed, duplex or auto-negotiation configured */
	bool autoneg;
	unsigned speed;		/* with !autoneg: 0 keeps the current speed */
	int duplex;		/* 1 full, 0 half, -1 keep */
};

struct run {
	struct cv_nl *nl;
	struct strbuf *err;
	char ifc;
	const char *dev;
};

static void sect_path(char *buf, size_t n, const char *area, char ifc)
{
	snprintf(buf, n, "%s.%c", area, ifc);
}

static json_object *sect(json_object *doc, const char *area, char ifc)
{
	char p[32];

	if (!doc)
		return NULL;
	sect_path(p, sizeof(p), area, ifc);
	return cv_conf_get(doc, p);
}

static bool get_bool(json_object *o, const char *key, int *ret)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return false;
	*ret = json_object_get_boolean(v) ? 1 : 0;
	return true;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool get_int(json_object *o, const char *key, int64_t min, int64_t max, int64_t *ret)
{
	json_object *v;
	int64_t x;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	x = json_object_get_int64(v);
	if (x < min || x > max)
		return false;
	*ret = x;
	return true;
}

/* Reads the wishes of doc for interface ifc. Values the commands would
 * never store (a hand-edited document) are logged and ignored. */
static void want_read(json_object *doc, char ifc, struct want *w)
{
	json_object *ip = sect(doc, "ipv4", ifc), *ifs = sect(doc, "iface", ifc), *routes;
	const char *s;
	int64_t n;
	int b;

	memset(w, 0, sizeof(*w));
	w->enabled = -1;
	w->duplex = -1;
	if (get_bool(ip, "enabled", &b))
		w->enabled = b;
	if (get_bool(ip, "dhcp", &b))
		w->dhcp = b;
	if (get_bool(ip, "default", &b))
		w->is_default = b;
	s = get_str(ip, "address");
	if (s && !w->dhcp) {
		if (cv_parse_ipv4(s, &w->addr) == 0 && get_int(ip, "prefixlen", 1, 32, &n)) {
			w->has_addr = true;
			w->plen = (unsigned)n;
		} else {
			cv_warn("network: ipv4.%c: ignoring the malformed address", ifc);
		}
	}
	s = get_str(ip, "gateway");
	if (s && w->has_addr) {
		if (cv_parse_ipv4(s, &w->gw) == 0)
			w->has_gw = true;
		else
			cv_warn("network: ipv4.%c: ignoring the malformed gateway", ifc);
	}
	if (ip && json_object_object_get_ex(ip, "routes", &routes) &&
	    json_object_is_type(routes, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(routes); i++) {
			json_object *e = json_object_array_get_idx(routes, i);
			struct net_route *r;

			if (w->nroutes >= MAX_ROUTES) {
				cv_warn("network: ipv4.%c: only the first %d routes are used", ifc,
					MAX_ROUTES);
				break;
			}
			r = &w->routes[w->nroutes];
			if (!json_object_is_type(e, json_type_string) ||
			    cv_parse_cidr(json_object_get_string(e), &r->net, &r->plen) < 0 ||
			    r->plen == 0) {
				cv_warn("network: ipv4.%c: ignoring a malformed route", ifc);
				continue;
			}
			w->nroutes++;
		}
	}
	if (get_int(ifs, "mtu", 576, 9000, &n))
		w->mtu = (unsigned)n;
	if (get_int(ifs, "speed", 10, 1000, &n)) {
		w->ls_set = true;
		w->autoneg = false;
		w->speed = (unsigned)n;
		s = get_str(ifs, "duplex");
		w->duplex = s && strcmp(s, "half") == 0 ? 0 : 1;
	} else if (get_bool(ifs, "autoneg", &b)) {
		w->ls_set = true;
		w->autoneg = b;
	}
}

/* --- reporting ------------------------------------------------------------------- */

/* Appends "FAILURE: interface a (dev): <what>: <reason>" to err, logs it,
 * and returns r. The reason is the errno's text, followed by the kernel's
 * own words for a refused rtnetlink request when it gave some. */
static int vfail(struct run *rn, int r, bool nl, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static int vfail(struct run *rn, int r, bool nl, const char *fmt, va_list ap)
{
	struct strbuf what = STRBUF_INIT, line = STRBUF_INIT;
	const char *ext = nl ? cv_nl_errmsg(rn->nl) : "";

	sb_vprintf(&what, fmt, ap);
	sb_printf(&line, "interface %c (%s): %s: %s", rn->ifc, rn->dev, sb_str(&what),
		  strerror(-r));
	if (ext[0])
		sb_printf(&line, " (%s)", ext);
	sb_printf(rn->err, "FAILURE: %s\n", sb_str(&line));
	cv_warn("network: %s", sb_str(&line));
	sb_free(&what);
	sb_free(&line);
	return r;
}

/* A refused rtnetlink request. */
static int fail(struct run *rn, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct run *rn, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = vfail(rn, r, true, fmt, ap);
	va_end(ap);
	return r;
}

/* A refused ioctl. */
static int fail_io(struct run *rn, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_io(struct run *rn, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = vfail(rn, r, false, fmt, ap);
	va_end(ap);
	return r;
}

static const char *ntoa(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* --- routes ----------------------------------------------------------------------- */

/* Does w install routes at all? Not without an address and a gateway, not
 * with DHCP, and not on a disabled interface. */
static bool routes_wanted(const struct want *w)
{
	return w->has_addr && w->has_gw && !w->dhcp && w->enabled != 0;
}

/* The routes w wants, as the kernel would list them. */
static size_t want_routes(const struct want *w, int oif, struct cv_nl_route *out)
{
	size_t n = 0;

	if (!routes_wanted(w))
		return 0;
	for (size_t i = 0; i < w->nroutes; i++) {
		struct cv_nl_route *r = &out[n++];

		memset(r, 0, sizeof(*r));
		r->table = CV_NL_TABLE_MAIN;
		r->protocol = CV_NL_PROTO;
		r->dst = w->routes[i].net;
		r->dst_len = w->routes[i].plen;
		r->gw = w->gw;
		r->oif = oif;
	}
	if (w->is_default) {
		struct cv_nl_route *r = &out[n++];

		memset(r, 0, sizeof(*r));
		r->table = CV_NL_TABLE_MAIN;
		r->protocol = CV_NL_PROTO;
		r->gw = w->gw;
		r->oif = oif;
	}
	return n;
}

static bool route_same(const struct cv_nl_route *a, const struct cv_nl_route *b)
{
	return a->table == b->table && a->dst.s_addr == b->dst.s_addr &&
	       a->dst_len == b->dst_len && a->gw.s_addr == b->gw.s_addr && a->oif == b->oif &&
	       a->priority == b->priority;
}

static void route_text(const struct cv_nl_route *r, char *buf, size_t n)
{
	char d[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

	if (r->dst_len == 0)
		snprintf(buf, n, "the default route via %s", ntoa(r->gw, g));
	else
		snprintf(buf, n, "route %s/%u via %s", ntoa(r->dst, d), r->dst_len,
			 ntoa(r->gw, g));
}

/* Pass 1 for routes: Convene's routes through this device that w does not
 * want. */
static int routes_remove(struct run *rn, const struct want *w, int oif)
{
	struct cv_nl_route want[MAX_ROUTES + 1], *have = NULL;
	size_t nwant = want_routes(w, oif, want), nhave = 0;
	int r = cv_nl_routes(rn->nl, CV_NL_TABLE_MAIN, &have, &nhave);

	if (r < 0)
		return fail(rn, r, "could not read the routes");
	for (size_t i = 0; i < nhave; i++) {
		bool keep = false;
		int e;
		char t[96];

		if (have[i].protocol != CV_NL_PROTO || have[i].oif != oif)
			continue;
		for (size_t j = 0; j < nwant && !keep; j++)
			keep = route_same(&have[i], &want[j]);
		if (keep)
			continue;
		route_text(&have[i], t, sizeof(t));
		e = cv_nl_route_del(rn->nl, &have[i]);
		/* Gone already (the kernel drops routes with their subnet). */
		if (e == -ESRCH || e == -ENOENT)
			continue;
		if (e < 0 && r == 0)
			r = fail(rn, e, "could not remove %s", t);
		else if (e == 0)
			cv_info("network: interface %c (%s): %s removed", rn->ifc, rn->dev, t);
	}
	free(have);
	return r;
}

/* Pass 2 for routes: what w wants and the kernel does not have. */
static int routes_add(struct run *rn, const struct want *w, int oif)
{
	struct cv_nl_route want[MAX_ROUTES + 1], *have = NULL;
	size_t nwant = want_routes(w, oif, want), nhave = 0;
	int r;

	if (nwant == 0)
		return 0;
	r = cv_nl_routes(rn->nl, CV_NL_TABLE_MAIN, &have, &nhave);
	if (r < 0)
		return fail(rn, r, "could not read the routes");
	for (size_t j = 0; j < nwant; j++) {
		bool present = false;
		char t[96];
		int e;

		/* The same route, whoever installed it, is there already. */
		for (size_t i = 0; i < nhave && !present; i++)
			present = route_same(&have[i], &want[j]);
		if (present)
			continue;
		route_text(&want[j], t, sizeof(t));
		e = cv_nl_route_add(rn->nl, &want[j], want[j].dst_len == 0);
		if (e < 0 && r == 0)
			r = e;
		if (e == -EEXIST) {
			/* NLM_F_EXCL met a route of the same destination and
			 * metric that is not Convene's: say whose it is. */
			char d[INET_ADDRSTRLEN];

			sb_printf(rn->err,
				  "FAILURE: interface %c (%s): could not add %s: the kernel has "
				  "another route to %s/%u\n",
				  rn->ifc, rn->dev, t, ntoa(want[j].dst, d), want[j].dst_len);
			cv_warn("network: interface %c (%s): could not add %s: another route to "
				"%s/%u exists",
				rn->ifc, rn->dev, t, d, want[j].dst_len);
		} else if (e < 0) {
			fail(rn, e, "could not add %s", t);
		} else {
			cv_info("network: interface %c (%s): %s added", rn->ifc, rn->dev, t);
		}
	}
	free(have);
	return r;
}

/* --- addresses --------------------------------------------------------------------- */

static bool addr_is(const struct cv_nl_addr *a, const struct want *w)
{
	return w && w->has_addr && a->addr.s_addr == w->addr.s_addr && a->plen == w->plen;
}

/* Pass 1 for addresses: Convene's addresses on the device (marked, or the
 * one the old document configured) that the new document does not want. */
static int addrs_remove(struct run *rn, const struct want *w, const struct want *old, int index)
{
	struct cv_nl_addr *have = NULL;
	size_t nhave = 0;
	int r = cv_nl_addrs(rn->nl, index, &have, &nhave);

	if (r < 0)
		return fail(rn, r, "could not read the addresses");
	for (size_t i = 0; i < nhave; i++) {
		char a[INET_ADDRSTRLEN];
		int e;

		if (have[i].proto != CV_NL_PROTO && !addr_is(&have[i], old))
			continue;
		if (addr_is(&have[i], w))
			continue;
		ntoa(have[i].addr, a);
		e = cv_nl_addr_del(rn->nl, index, have[i].addr, have[i].plen);
		if (e == -EADDRNOTAVAIL)
			continue;
		if (e < 0 && r == 0)
			r = fail(rn, e, "could not remove address %s/%u", a, have[i].plen);
		else if (e == 0)
			cv_info("network: interface %c (%s): address %s/%u removed", rn->ifc,
				rn->dev, a, have[i].plen);
	}
	free(have);
	return r;
}

static int addr_add(struct run *rn, const struct want *w, int index)
{
	struct cv_nl_addr *have = NULL;
	size_t nhave = 0;
	char a[INET_ADDRSTRLEN];
	int r;

	if (!w->has_addr)
		return 0;
	r = cv_nl_addrs(rn->nl, index, &have, &nhave);
	if (r < 0)
		return fail(rn, r, "could not read the addresses");
	for (size_t i = 0; i < nhave; i++) {
		if (addr_is(&have[i], w)) {
			free(have);
			return 0;
		}
	}
	free(have);
	ntoa(w->addr, a);
	r = cv_nl_addr_add(rn->nl, index, w->addr, w->plen);
	if (r < 0)
		return fail(rn, r, "could not add address %s/%u", a, w->plen);
	cv_info("network: interface %c (%s): address %s/%u added", rn->ifc, rn->dev, a, w->plen);
	return 0;
}

/* --- the link ---------------------------------------------------------------------- */

static bool ls_equal(const struct want *a, const struct want *b)
{
	if (a->ls_set != b->ls_set)
		return false;
	if (!a->ls_set)
		return true;
	return a->autoneg == b->autoneg && a->speed == b->speed && a->duplex == b->duplex;
}

/* Speed, duplex, auto-negotiation: on a change of the configuration, or at
 * start when the configuration says something the device does not have. */
static int link_settings(struct run *rn, const struct want *w, const struct want *old)
{
	struct cv_nl_linkset cur;
	bool autoneg;
	int r;

	if (old && ls_equal(old, w))
		return 0;
	if (!old && !w->ls_set)
		return 0;
	r = cv_ethtool_get(rn->dev, &cur);
	if (!w->ls_set) {
		/* Back to the default: auto-negotiation, where there is one. */
		if (r < 0 || !cur.autoneg_supported || cur.autoneg)
			return 0;
		autoneg = true;
	} else {
		autoneg = w->autoneg;
		if (r == 0 && cur.autoneg == autoneg &&
		    (autoneg || ((!w->speed || cur.speed == w->speed) &&
				 (w->duplex < 0 || cur.duplex == w->duplex))))
			return 0;
	}
	if (r == 0)
		r = cv_ethtool_set(rn->dev, autoneg, w->speed, w->duplex);
	if (r == -EOPNOTSUPP) {
		const char *line = "the driver cannot set speed, duplex or auto-negotiation";

		sb_printf(rn->err, "FAILURE: interface %c (%s): %s\n", rn->ifc, rn->dev, line);
		cv_warn("network: interface %c (%s): %s", rn->ifc, rn->dev, line);
		return r;
	}
	if (r < 0)
		return fail_io(rn, r, "could not set speed, duplex or auto-negotiation");
	cv_info("network: interface %c (%s): auto-negotiation %s%s", rn->ifc, rn->dev,
		autoneg ? "on" : "off", autoneg ? "" : ", speed and duplex forced");
	return 0;
}

/* The link, in an order that cannot make things worse: the settings of
 * the physical link, the MTU, then up or down. Each step is tried; the
 * first refusal is the result. */
static int link_apply(struct run *rn, const struct want *w, const struct want *old,
		      struct cv_nl_link *link)
{
	unsigned mtu = w->mtu;
	int r = link_settings(rn, w, old), e;

	if (!mtu && old && old->mtu)
		mtu = DEFAULT_MTU;
	if (mtu && link->mtu != mtu) {
		e = cv_nl_link_set_mtu(rn->nl, link->index, mtu);
		if (e < 0 && link->max_mtu && (mtu > link->max_mtu || mtu < link->min_mtu))
			e = fail(rn, e, "could not set the MTU to %u (the device allows %u-%u)",
				 mtu, link->min_mtu, link->max_mtu);
		else if (e < 0)
			e = fail(rn, e, "could not set the MTU to %u", mtu);
		if (e == 0) {
			cv_info("network: interface %c (%s): MTU %u", rn->ifc, rn->dev, mtu);
			link->mtu = mtu;
		} else if (r == 0) {
			r = e;
		}
	}
	if (w->enabled >= 0 && !!(link->flags & IFF_UP) != !!w->enabled) {
		e = cv_nl_link_set_up(rn->nl, link->index, w->enabled);
		if (e < 0) {
			e = fail(rn, e, "could not %s the link", w->enabled ? "enable" : "disable");
			return r < 0 ? r : e;
		}
		cv_info("network: interface %c (%s): link %s", rn->ifc, rn->dev,
			w->enabled ? "up" : "down");
		if (w->enabled)
			link->flags |= IFF_UP;
		else
			link->flags &= ~(unsigned)IFF_UP;
	}
	return r;
}

/* --- the applier --------------------------------------------------------------------- */

struct iface_job {
	char ifc;
	const char *dev;
	struct want new, old;
	bool has_old;
	bool ok;		/* the device exists; passes go on with it */
	struct cv_nl_link link;
};

static int job_lookup(struct run *rn, struct iface_job *j)
{
	int r = cv_nl_link_get(rn->nl, j->dev, &j->link);

	if (r == -ENODEV) {
		sb_printf(rn->err, "FAILURE: interface %c: its kernel device %s does not exist\n",
			  j->ifc, j->dev);
		cv_warn("network: interface %c: its kernel device %s does not exist", j->ifc,
			j->dev);
		return r;
	}
	if (r < 0)
		return fail(rn, r, "could not read the link");
	return 0;
}

static int pass_remove(struct run *rn, struct iface_job *j)
{
	int r = job_lookup(rn, j), e;

	if (r < 0)
		return r;
	j->ok = true;
	r = routes_remove(rn, &j->new, j->link.index);
	e = addrs_remove(rn, &j->new, j->has_old ? &j->old : NULL, j->link.index);
	return r < 0 ? r : e;
}

static int pass_add(struct run *rn, struct iface_job *j)
{
	const struct want *old = j->has_old ? &j->old : NULL;
	int r = link_apply(rn, &j->new, old, &j->link), e;

	e = addr_add(rn, &j->new, j->link.index);
	if (r == 0)
		r = e;
	if (routes_wanted(&j->new) && !(j->link.flags & IFF_UP)) {
		/* Only when enabled is not configured and the link is down. */
		cv_warn("network: interface %c (%s): the link is down; its routes wait", j->ifc,
			j->dev);
		return r;
	}
	e = routes_add(rn, &j->new, j->link.index);
	return r < 0 ? r : e;
}

static bool index_mapped(const struct iface_job *jobs, size_t njobs, int index)
{
	for (size_t i = 0; i < njobs; i++)
		if (jobs[i].ok && jobs[i].link.index == index)
			return true;
	return false;
}

/* At start: Convene's addresses and routes on a device that no interface
 * is mapped to any more (the map changed while mmpd was stopped) are
 * stale, and go. Only marked ones: nothing else is Convene's to remove. */
static int boot_sweep(struct run *rn, const struct iface_job *jobs, size_t njobs)
{
	struct cv_nl_addr *addrs = NULL;
	struct cv_nl_route *routes = NULL;
	size_t naddrs = 0, nroutes = 0;
	int r = 0, e;

	if (cv_nl_addrs(rn->nl, 0, &addrs, &naddrs) == 0) {
		for (size_t i = 0; i < naddrs; i++) {
			char a[INET_ADDRSTRLEN], dev[IF_NAMESIZE];

			if (addrs[i].proto != CV_NL_PROTO ||
			    index_mapped(jobs, njobs, addrs[i].index))
				continue;
			ntoa(addrs[i].addr, a);
			if (!if_indextoname((unsigned)addrs[i].index, dev))
				snprintf(dev, sizeof(dev), "#%d", addrs[i].index);
			e = cv_nl_addr_del(rn->nl, addrs[i].index, addrs[i].addr, addrs[i].plen);
			if (e < 0 && e != -EADDRNOTAVAIL) {
				sb_printf(rn->err,
					  "FAILURE: could not remove the stale address %s/%u "
					  "from %s: %s\n",
					  a, addrs[i].plen, dev, strerror(-e));
				if (r == 0)
					r = e;
			} else if (e == 0) {
				cv_info("network: %s is mapped to no interface: address %s/%u "
					"removed",
					dev, a, addrs[i].plen);
			}
		}
	}
	if (cv_nl_routes(rn->nl, CV_NL_TABLE_MAIN, &routes, &nroutes) == 0) {
		for (size_t i = 0; i < nroutes; i++) {
			char t[96], dev[IF_NAMESIZE];

			if (routes[i].protocol != CV_NL_PROTO ||
			    index_mapped(jobs, njobs, routes[i].oif))
				continue;
			route_text(&routes[i], t, sizeof(t));
			if (!if_indextoname((unsigned)routes[i].oif, dev))
				snprintf(dev, sizeof(dev), "#%d", routes[i].oif);
			e = cv_nl_route_del(rn->nl, &routes[i]);
			if (e < 0 && e != -ESRCH) {
				sb_printf(rn->err,
					  "FAILURE: could not remove the stale %s from %s: %s\n", t,
					  dev, strerror(-e));
				if (r == 0)
					r = e;
			} else if (e == 0) {
				cv_info("network: %s is mapped to no interface: %s removed", dev,
					t);
			}
		}
	}
	free(addrs);
	free(routes);
	return r;
}

int mmpd_net_apply(struct mmpd *d, json_object *old_doc, json_object *new_doc, struct strbuf *err)
{
	struct iface_job jobs[4];
	size_t njobs = 0;
	bool boot = old_doc == NULL;
	struct run rn = { .err = err };
	int r, first = 0;

	for (size_t i = 0; i < 4; i++) {
		char ifc = CV_IFACES[i];
		struct iface_job *j = &jobs[njobs];

		/* An unmapped interface is only configuration; with no
		 * interface mapped at all, mmpd touches no network (tests). */
		if (!d->ifmap[i][0])
			continue;
		if (!boot &&
		    json_object_equal(sect(old_doc, "ipv4", ifc), sect(new_doc, "ipv4", ifc)) &&
		    json_object_equal(sect(old_doc, "iface", ifc), sect(new_doc, "iface", ifc)))
			continue;
		memset(j, 0, sizeof(*j));
		j->ifc = ifc;
		j->dev = d->ifmap[i];
		want_read(new_doc, ifc, &j->new);
		if (!boot) {
			want_read(old_doc, ifc, &j->old);
			j->has_old = true;
		}
		njobs++;
	}
	if (njobs == 0)
		return 0;
	r = cv_nl_open(&rn.nl);
	if (r < 0) {
		sb_printf(err, "FAILURE: cannot open rtnetlink: %s\n", strerror(-r));
		return r;
	}
	/* Every step is tried even after a refusal: at start so that one
	 * missing device does not keep the others unconfigured, and on the
	 * way back (mmpd calls the applier again with the documents swapped)
	 * so that everything that can be restored is. The first error is the
	 * result; mmpd then puts the system back to the old document. */
	for (size_t i = 0; i < njobs; i++) {
		rn.ifc = jobs[i].ifc;
		rn.dev = jobs[i].dev;
		r = pass_remove(&rn, &jobs[i]);
		if (r < 0 && !first)
			first = r;
	}
	if (boot) {
		r = boot_sweep(&rn, jobs, njobs);
		if (r < 0 && !first)
			first = r;
	}
	for (size_t i = 0; i < njobs; i++) {
		if (!jobs[i].ok)
			continue;
		rn.ifc = jobs[i].ifc;
		rn.dev = jobs[i].dev;
		r = pass_add(&rn, &jobs[i]);
		if (r < 0 && !first)
			first = r;
	}
	cv_nl_close(rn.nl);
	return first;
}
