// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lib/netlink.c against the real kernel, in a network namespace of its own
 * (unshare(CLONE_NEWNET)), which holds nothing but a loopback device: link
 * lookup and state, addresses with Convene's address protocol, routes with
 * its route protocol, the kernel's refusals (EEXIST, ESRCH, ENODEV) and its
 * extended-ack reasons, and the ethtool ioctl on a device without link
 * settings. Needs root (CAP_SYS_ADMIN for the namespace); skipped otherwise.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "lib/netlink.h"
#include "tests/unit/tap.h"

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

/* How many addresses addr/plen link index has, and the protocol of the
 * last one found. */
static int count_addr(struct cv_nl *nl, int index, const char *addr, unsigned plen,
		      uint8_t *ret_proto)
{
	struct cv_nl_addr *v = NULL;
	size_t n = 0;
	int c = 0;

	if (cv_nl_addrs(nl, index, &v, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i].addr.s_addr == ip(addr).s_addr && v[i].plen == plen) {
			c++;
			if (ret_proto)
				*ret_proto = v[i].proto;
		}
	}
	free(v);
	return c;
}

/* How many routes of table to dst/len through oif with protocol proto. */
static int count_route(struct cv_nl *nl, uint32_t table, const char *dst, unsigned len, int oif,
		       uint8_t proto, uint8_t type)
{
	struct cv_nl_route *v = NULL;
	size_t n = 0;
	int c = 0;

	if (cv_nl_routes(nl, table, &v, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (v[i].dst.s_addr == ip(dst).s_addr && v[i].dst_len == len && v[i].oif == oif &&
		    (!proto || v[i].protocol == proto) && (!type || v[i].type == type))
			c++;
	free(v);
	return c;
}

static struct cv_nl_route route(const char *dst, unsigned len, const char *gw, int oif)
{
	struct cv_nl_route r;

	memset(&r, 0, sizeof(r));
	r.table = CV_NL_TABLE_MAIN;
	r.protocol = CV_NL_PROTO;
	r.dst = ip(dst);
	r.dst_len = len;
	if (gw)
		r.gw = ip(gw);
	r.oif = oif;
	return r;
}

int main(void)
{
	struct cv_nl *nl = NULL;
	struct cv_nl_link lo, l;
	struct cv_nl_linkset ls;
	struct cv_nl_route r;
	uint8_t proto = 0;

	if (unshare(CLONE_NEWNET) < 0) {
		printf("1..0 # SKIP needs root for a network namespace (unshare: %s)\n",
		       strerror(errno));
		return 0;
	}
	ok(cv_nl_open(&nl) == 0, "cv_nl_open");
	if (!nl)
		return tap_done();

	/* Links. */
	ok(cv_nl_link_get(nl, "lo", &lo) == 0, "the new namespace has lo");
	is_str(lo.name, "lo", "its name");
	ok(lo.index > 0 && lo.mtu > 0, "index %d, MTU %u", lo.index, lo.mtu);
	ok(!(lo.flags & IFF_UP), "lo starts down");
	is_int(cv_nl_link_get(nl, "cvnet-none", &l), -ENODEV, "a missing device is -ENODEV");
	is_int(cv_nl_link_get(nl, "", &l), -ENODEV, "an empty name is -ENODEV");
	is_int(cv_nl_link_get(nl, "a-name-longer-than-ifnamsiz", &l), -ENODEV,
	       "a name longer than IFNAMSIZ is -ENODEV");
	is_int(cv_nl_link_set_up(nl, lo.index, true), 0, "set lo up");
	ok(cv_nl_link_get(nl, "lo", &l) == 0 && (l.flags & IFF_UP), "lo is up");
	is_int(cv_nl_link_set_mtu(nl, lo.index, 1400), 0, "set the MTU of lo to 1400");
	ok(cv_nl_link_get(nl, "lo", &l) == 0 && l.mtu == 1400, "lo has MTU 1400 (got %u)", l.mtu);
	is_int(cv_nl_link_set_up(nl, 999999, true), -ENODEV, "setting a missing link: -ENODEV");

	/* Addresses: ours carry the address protocol. */
	is_int(cv_nl_addr_add(nl, lo.index, ip("192.0.2.1"), 24), 0, "add 192.0.2.1/24");
	is_int(count_addr(nl, lo.index, "192.0.2.1", 24, &proto), 1, "it is there once");
	is_int(proto, CV_NL_PROTO, "with Convene's address protocol");
	proto = 0;
	is_int(count_addr(nl, lo.index, "127.0.0.1", 8, &proto), 1, "the kernel's 127.0.0.1/8");
	ok(proto != CV_NL_PROTO, "is not marked as Convene's (protocol %u)", proto);
	is_int(cv_nl_addr_add(nl, lo.index, ip("192.0.2.1"), 24), -EEXIST,
	       "adding it again: -EEXIST");
	is_int(count_addr(nl, 0, "192.0.2.1", 24, NULL), 1, "listing every link finds it too");

	/* Routes: ours carry the route protocol. */
	r = route("198.51.100.0", 24, NULL, lo.index);
	is_int(cv_nl_route_add(nl, &r, false), 0, "add 198.51.100.0/24 dev lo");
	is_int(count_route(nl, CV_NL_TABLE_MAIN, "198.51.100.0", 24, lo.index, CV_NL_PROTO, 0), 1,
	       "it is in the main table once, with protocol %d", CV_NL_PROTO);
	is_int(cv_nl_route_add(nl, &r, false), -EEXIST, "adding it again exclusively: -EEXIST");
	is_int(cv_nl_route_add(nl, &r, true), 0, "replacing it");
	is_int(count_route(nl, CV_NL_TABLE_MAIN, "198.51.100.0", 24, lo.index, 0, 0), 1,
	       "still once");
	is_int(count_route(nl, CV_NL_TABLE_LOCAL, "192.0.2.1", 32, lo.index, 0, RTN_LOCAL), 1,
	       "the local table has the local route of 192.0.2.1");
	is_int(count_route(nl, 0, "192.0.2.1", 32, lo.index, 0, RTN_LOCAL), 1,
	       "listing every table finds it too");
	r = route("0.0.0.0", 0, NULL, lo.index);
	is_int(cv_nl_route_add(nl, &r, true), 0, "add a default route dev lo");
	is_int(count_route(nl, CV_NL_TABLE_MAIN, "0.0.0.0", 0, lo.index, CV_NL_PROTO, 0), 1,
	       "the default route is there once");
	is_int(cv_nl_route_del(nl, &r), 0, "delete the default route");
	is_int(count_route(nl, CV_NL_TABLE_MAIN, "0.0.0.0", 0, lo.index, 0, 0), 0, "it is gone");
	r = route("198.51.100.0", 24, NULL, lo.index);
	r.protocol = RTPROT_STATIC;
	is_int(cv_nl_route_del(nl, &r), -ESRCH, "deleting with another protocol: -ESRCH");
	r.protocol = CV_NL_PROTO;
	is_int(cv_nl_route_del(nl, &r), 0, "deleting 198.51.100.0/24");
	is_int(cv_nl_route_del(nl, &r), -ESRCH, "deleting it again: -ESRCH");

	/* A refusal with the kernel's reason: a gateway on no subnet of the
	 * device cannot be reached. */
	r = route("203.0.113.0", 24, "10.9.9.9", lo.index);
	ok(cv_nl_route_add(nl, &r, false) < 0, "a route via an unreachable gateway is refused");
	ok(cv_nl_errmsg(nl)[0] != '\0', "with the kernel's reason: \"%s\"", cv_nl_errmsg(nl));
	is_int(cv_nl_addr_del(nl, lo.index, ip("192.0.2.1"), 24), 0,
	       "a successful request clears the reason, and 192.0.2.1/24 is deleted");
	is_str(cv_nl_errmsg(nl), "", "no reason after a success");
	is_int(count_addr(nl, lo.index, "192.0.2.1", 24, NULL), 0, "the address is gone");
	is_int(cv_nl_addr_del(nl, lo.index, ip("192.0.2.1"), 24), -EADDRNOTAVAIL,
	       "deleting it again: -EADDRNOTAVAIL");

	/* ethtool: lo has no link settings. */
	is_int(cv_ethtool_get("lo", &ls), -EOPNOTSUPP, "ethtool on lo: -EOPNOTSUPP");
	is_int(cv_ethtool_set("lo", true, 0, -1), -EOPNOTSUPP, "setting them: -EOPNOTSUPP");
	is_int(cv_ethtool_get("cvnet-none", &ls), -ENODEV, "ethtool on a missing device: -ENODEV");

	is_int(cv_nl_link_set_up(nl, lo.index, false), 0, "set lo down");
	cv_nl_close(nl);
	return tap_done();
}
