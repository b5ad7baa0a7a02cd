/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rtnetlink through libmnl: links (state, MTU, MAC), IPv4 addresses and
 * IPv4 routes of the network namespace the caller runs in; and the link
 * settings (speed, duplex, auto-negotiation) through the ethtool ioctl
 * SIOCETHTOOL (ETHTOOL_GLINKSETTINGS / ETHTOOL_SLINKSETTINGS).
 *
 * mmpd applies the network configuration with these (services/mmpd/
 * mmpd_net.c); the ipv4 and iface screens read the observed values with
 * them (services/mmpd/cmd_net.c). Every call is synchronous: a request, then the
 * kernel's answer on the same socket. Errors are negative errnos; when the
 * kernel gave a reason in its extended ack ("Nexthop has invalid gateway"),
 * cv_nl_errmsg() returns it until the next request.
 *
 * What Convene puts in the kernel carries a mark so it can find it again
 * and leave everything else alone: routes get the route protocol
 * CV_NL_PROTO (rtm_protocol, shown by `ip route` as "proto 124"), addresses
 * the address protocol CV_NL_PROTO (IFA_PROTO, Linux 6.1 and later).
 */
#ifndef CV_NETLINK_H
#define CV_NETLINK_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Not assigned in linux/rtnetlink.h (RTPROT_*) or by iproute2. */
#define CV_NL_PROTO 124

/* The main and local routing tables (RT_TABLE_MAIN, RT_TABLE_LOCAL). */
#define CV_NL_TABLE_MAIN 254
#define CV_NL_TABLE_LOCAL 255

struct cv_nl;

/* Opens an rtnetlink socket; the caller closes it with cv_nl_close(). */
int cv_nl_open(struct cv_nl **ret);
void cv_nl_close(struct cv_nl *nl);
/* The kernel's extended-ack message for the last failed request, or "". */
const char *cv_nl_errmsg(const struct cv_nl *nl);

struct cv_nl_link {
	int index;
	char name[IF_NAMESIZE];
	unsigned flags;		/* IFF_UP, IFF_RUNNING, ... */
	unsigned mtu;
	unsigned min_mtu;	/* 0 when the kernel does not say */
	unsigned max_mtu;	/* 0 when the kernel does not say */
	uint8_t mac[6];
	bool has_mac;		/* an Ethernet-sized hardware address */
};

/* Looks the link up by name: -ENODEV when there is no such device. */
int cv_nl_link_get(struct cv_nl *nl, const char *name, struct cv_nl_link *ret);
/* Sets the administrative state (IFF_UP) of link index. */
int cv_nl_link_set_up(struct cv_nl *nl, int index, bool up);
int cv_nl_link_set_mtu(struct cv_nl *nl, int index, unsigned mtu);

struct cv_nl_addr {
	int index;		/* the link */
	struct in_addr addr;	/* IFA_LOCAL */
	unsigned plen;
	uint8_t proto;		/* IFA_PROTO; 0 when absent */
};

/* The IPv4 addresses of link index (of every link when index is 0), in the
 * kernel's order. The caller frees *ret (NULL when there are none). */
int cv_nl_addrs(struct cv_nl *nl, int index, struct cv_nl_addr **ret, size_t *ret_n);
/* Adds addr/plen with the broadcast address of the subnet and the address
 * protocol CV_NL_PROTO; -EEXIST when the link already has it. */
int cv_nl_addr_add(struct cv_nl *nl, int index, struct in_addr addr, unsigned plen);
int cv_nl_addr_del(struct cv_nl *nl, int index, struct in_addr addr, unsigned plen);

struct cv_nl_route {
	uint32_t table;		/* CV_NL_TABLE_MAIN, CV_NL_TABLE_LOCAL, ... */
	uint8_t type;		/* RTN_UNICAST, RTN_LOCAL, RTN_BROADCAST, ... */
	uint8_t scope;		/* RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, RT_SCOPE_HOST */
	uint8_t protocol;	/* RTPROT_KERNEL, CV_NL_PROTO, ... */
	struct in_addr dst;
	unsigned dst_len;
	struct in_addr src;	/* source selector (RTA_SRC) */
	unsigned src_len;
	struct in_addr gw;	/* 0.0.0.0 when the route has no gateway */
	struct in_addr prefsrc;
	int oif;		/* 0 when the route has no single device */
	uint32_t priority;	/* the metric */
};

/* The IPv4 routes of table (of every table when table is 0), in the
 * kernel's order. The caller frees *ret (NULL when there are none). */
int cv_nl_routes(struct cv_nl *nl, uint32_t table, struct cv_nl_route **ret, size_t *ret_n);
/* Adds a unicast route: r's table, dst/dst_len, gw (if not 0.0.0.0), oif,
 * priority and protocol. With replace, a route of the same destination
 * and metric is replaced (NLM_F_REPLACE); otherwise such a route makes the
 * call fail with -EEXIST (NLM_F_EXCL). */
int cv_nl_route_add(struct cv_nl *nl, const struct cv_nl_route *r, bool replace);
int cv_nl_route_del(struct cv_nl *nl, const struct cv_nl_route *r);

/* Link settings through the ethtool ioctl. */
struct cv_nl_linkset {
	unsigned speed;		/* Mb/s; 0 when unknown (no link, no PHY) */
	int duplex;		/* 1 full, 0 half, -1 unknown */
	bool autoneg;		/* auto-negotiation is on */
	bool autoneg_supported;	/* the device can negotiate */
};

/* Reads the settings of device name; -EOPNOTSUPP when its driver does not
 * report them. */
int cv_ethtool_get(const char *name, struct cv_nl_linkset *ret);
/* Sets auto-negotiation on (speed and duplex are ignored; every supported
 * mode is advertised), or off with speed (Mb/s) and duplex (1 full, 0 half;
 * 0 and -1 keep the current values). -EOPNOTSUPP when the driver cannot
 * change them. */
int cv_ethtool_set(const char *name, bool autoneg, unsigned speed, int duplex);

#endif
