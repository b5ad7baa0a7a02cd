// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rtnetlink helpers on libmnl and the ethtool link-settings ioctl (see
 * netlink.h). One request at a time: every request carries NLM_F_ACK (or
 * is a dump), and the answer is read until its ack, its NLMSG_DONE or its
 * error, so the socket is always clean for the next request. The kernel's
 * extended ack (NETLINK_EXT_ACK) gives the reason of a refusal in words.
 */
#include "config.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lib/mem.h"
#include "lib/netlink.h"

/* Large enough for a dump part (the kernel fills up to about 32 KiB). */
#define NL_BUF_SIZE 65536
/* Bounds on one answer: parts of a dump and rows kept. A Convene appliance
 * has a handful of each; a router with a full table is not our case, and
 * an answer bigger than this is an error rather than an endless read. */
#define NL_MAX_PARTS 4096
#define NL_MAX_ROWS 65536
/* A kernel that does not answer within this is broken; do not hang mmpd. */
#define NL_TIMEOUT_S 5

struct cv_nl {
	struct mnl_socket *sock;
	unsigned portid;
	uint32_t seq;
	char errmsg[256];
	char *buf;
};

int cv_nl_open(struct cv_nl **ret)
{
	struct cv_nl *nl = xcalloc(1, sizeof(*nl));
	struct timeval tv = { .tv_sec = NL_TIMEOUT_S };
	int one = 1, r;

	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock) {
		r = -errno;
		free(nl);
		return r;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		mnl_socket_close(nl->sock);
		free(nl);
		return r;
	}
	/* Best effort: older kernels give no reasons and copy whole requests
	 * into errors, which the reader copes with. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	nl->buf = xmalloc(NL_BUF_SIZE);
	*ret = nl;
	return 0;
}

void cv_nl_close(struct cv_nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl->buf);
	free(nl);
}

const char *cv_nl_errmsg(const struct cv_nl *nl)
{
	return nl ? nl->errmsg : "";
}

/* --- the request/answer loop ------------------------------------------------ */

typedef int (*nl_row_fn)(const struct nlmsghdr *nlh, void *opaque);

static int ext_ack_cb(const struct nlattr *attr, void *data)
{
	struct cv_nl *nl = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(nl->errmsg, sizeof(nl->errmsg), "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

/* An NLMSG_ERROR message: 0 for an ack, else the negative errno, with the
 * extended-ack message saved. */
static int nl_error(struct cv_nl *nl, const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
	size_t off;

	if (h->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*e))
		return -EBADMSG;
	if (e->error == 0)
		return 0;
	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = sizeof(*e);
		if (!(h->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - MNL_NLMSG_HDRLEN;
		if (MNL_NLMSG_HDRLEN + MNL_ALIGN(off) <= h->nlmsg_len)
			mnl_attr_parse(h, (unsigned)off, ext_ack_cb, nl);
	}
	return e->error < 0 ? e->error : -EIO;
}

/* Sends req and reads its answer; fn gets every data message. Returns 0,
 * the kernel's error, or the first error fn returned (the answer is still
 * read to its end). */
static int nl_talk(struct cv_nl *nl, struct nlmsghdr *req, nl_row_fn fn, void *opaque)
{
	bool dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	int result = 0;

	req->nlmsg_seq = ++nl->seq;
	req->nlmsg_flags |= NLM_F_REQUEST | (dump ? 0 : NLM_F_ACK);
	nl->errmsg[0] = '\0';
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;
	for (unsigned part = 0; part < NL_MAX_PARTS; part++) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, NL_BUF_SIZE);
		const struct nlmsghdr *h = (const struct nlmsghdr *)nl->buf;
		int len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		}
		len = (int)n;
		for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			int r;

			/* Another request's late answer: not ours. */
			if (h->nlmsg_seq != nl->seq || h->nlmsg_pid != nl->portid)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				r = nl_error(nl, h);
				return r < 0 ? r : result;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				/* A dump may end with an error code of its own. */
				if (h->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof(int)) {
					int e;

					memcpy(&e, mnl_nlmsg_get_payload(h), sizeof(e));
					if (e < 0)
						return e;
				}
				if (h->nlmsg_flags & NLM_F_DUMP_INTR)
					return -EAGAIN;
				return result;
			}
			if (h->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			if (fn && result == 0 && (r = fn(h, opaque)) < 0)
				result = r;
		}
	}
	return -E2BIG;
}

/* A fresh request in nl->buf's twin: the caller's stack buffer. */
static struct nlmsghdr *nl_req(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);

	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	return h;
}

#define REQ_SIZE 1024

/* --- links ------------------------------------------------------------------------ */

static int link_row(const struct nlmsghdr *h, void *opaque)
{
	struct cv_nl_link *l = opaque;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
	const struct nlattr *a;

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*ifi))
		return 0;
	memset(l, 0, sizeof(*l));
	l->index = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	mnl_attr_for_each(a, h, sizeof(*ifi)) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(a));
			break;
		case IFLA_MTU:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				l->mtu = mnl_attr_get_u32(a);
			break;
		case IFLA_MIN_MTU:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				l->min_mtu = mnl_attr_get_u32(a);
			break;
		case IFLA_MAX_MTU:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				l->max_mtu = mnl_attr_get_u32(a);
			break;
		case IFLA_ADDRESS:
			if (mnl_attr_get_payload_len(a) == sizeof(l->mac)) {
				memcpy(l->mac, mnl_attr_get_payload(a), sizeof(l->mac));
				l->has_mac = true;
			}
			break;
		default:
			break;
		}
	}
	return 0;
}

int cv_nl_link_get(struct cv_nl *nl, const char *name, struct cv_nl_link *ret)
{
	char buf[REQ_SIZE];
	struct nlmsghdr *h = nl_req(buf, RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	struct cv_nl_link l = { .index = 0 };
	int r;

	if (strlen(name) == 0 || strlen(name) >= IF_NAMESIZE)
		return -ENODEV;
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	/* No statistics: they are most of a link message. */
	mnl_attr_put_u32(h, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	r = nl_talk(nl, h, link_row, &l);
	if (r < 0)
		return r;
	if (l.index <= 0)
		return -ENODEV;
	*ret = l;
	return 0;
}

int cv_nl_link_set_up(struct cv_nl *nl, int index, bool up)
{
	char buf[REQ_SIZE];
	struct nlmsghdr *h = nl_req(buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	ifi->ifi_flags = up ? IFF_UP : 0;
	ifi->ifi_change = IFF_UP;
	return nl_talk(nl, h, NULL, NULL);
}

int cv_nl_link_set_mtu(struct cv_nl *nl, int index, unsigned mtu)
{
	char buf[REQ_SIZE];
	struct nlmsghdr *h = nl_req(buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	mnl_attr_put_u32(h, IFLA_MTU, mtu);
	return nl_talk(nl, h, NULL, NULL);
}

/* --- growing row arrays ---------------------------------------------------------- */

struct rows {
	void *v;
	size_t n, cap, size;
	int index;	/* filter (addresses) */
	uint32_t table; /* filter (routes) */
};

static void *rows_add(struct rows *rs)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 8;
		rs->v = xrealloc(rs->v, rs->cap * rs->size);
	}
	return memset((char *)rs->v + rs->n++ * rs->size, 0, rs->size);
}

/* --- addresses -------------------------------------------------------------------- */

static int addr_row(const struct nlmsghdr *h, void *opaque)
{
	struct rows *rs = opaque;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(h);
	const struct nlattr *a;
	struct in_addr local = { 0 }, address = { 0 };
	bool has_local = false, has_address = false;
	uint8_t proto = 0;
	struct cv_nl_addr *row;

	if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*ifa) ||
	    ifa->ifa_family != AF_INET)
		return 0;
	if (rs->index && (int)ifa->ifa_index != rs->index)
		return 0;
	if (rs->n >= NL_MAX_ROWS)
		return -E2BIG;
	mnl_attr_for_each(a, h, sizeof(*ifa)) {
		switch (mnl_attr_get_type(a)) {
		case IFA_LOCAL:
			if (mnl_attr_get_payload_len(a) == 4) {
				memcpy(&local, mnl_attr_get_payload(a), 4);
				has_local = true;
			}
			break;
		case IFA_ADDRESS:
			if (mnl_attr_get_payload_len(a) == 4) {
				memcpy(&address, mnl_attr_get_payload(a), 4);
				has_address = true;
			}
			break;
		case IFA_PROTO:
			if (mnl_attr_validate(a, MNL_TYPE_U8) == 0)
				proto = mnl_attr_get_u8(a);
			break;
		default:
			break;
		}
	}
	if (!has_local && !has_address)
		return 0;
	row = rows_add(rs);
	row->index = (int)ifa->ifa_index;
	/* IFA_ADDRESS is the peer on point-to-point links; IFA_LOCAL is ours. */
	row->addr = has_local ? local : address;
	row->plen = ifa->ifa_prefixlen;
	row->proto = proto;
	return 0;
}

int cv_nl_addrs(struct cv_nl *nl, int index, struct cv_nl_addr **ret, size_t *ret_n)
{
	char buf[REQ_SIZE];
	struct nlmsghdr *h = nl_req(buf, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	struct rows rs = { .size = sizeof(struct cv_nl_addr), .index = index };
	int r;

	ifa->ifa_family = AF_INET;
	r = nl_talk(nl, h, addr_row, &rs);
	if (r < 0) {
		free(rs.v);
		return r;
	}
	*ret = rs.v;
	*ret_n = rs.n;
	return 0;
}

static uint32_t plen_mask(unsigned plen)
{
	return plen == 0 ? 0 : htonl(0xffffffffu << (32 - plen));
}

static int addr_change(struct cv_nl *nl, uint16_t type, uint16_t flags, int index,
		       struct in_addr addr, unsigned plen)
{
	char buf[REQ_SIZE];
	struct nlmsghdr *h = nl_req(buf, type, flags);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));

	if (plen > 32)
		return -EINVAL;
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (uint8_t)plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)index;
	mnl_attr_put(h, IFA_LOCAL, 4, &addr);
	mnl_attr_put(h, IFA_ADDRESS, 4, &addr);
	if (type == RTM_NEWADDR) {
		/* /31 (RFC 3021) and /32 have no broadcast address. */
		if (plen < 31) {
			struct in_addr b = { addr.s_addr | ~plen_mask(plen) };

			mnl_attr_put(h, IFA_BROADCAST, 4, &b);
		}
		mnl_attr_put_u8(h, IFA_PROTO, CV_NL_PROTO);
	}
	return nl_talk(nl, h, NULL, NULL);
}

int cv_nl_addr_add(struct cv_nl *nl, int index, struct in_addr addr, unsigned plen)
{
	return addr_change(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, index, addr, plen);
}

int cv_nl_addr_del(struct cv_nl *nl, int index, struct in_addr addr, unsigned plen)
{
	return addr_change(nl, RTM_DELADDR, 0, index, addr, plen);
}

/* --- routes ----------------------------------------------------------------------- */

static void get_in4(const struct nlattr *a, struct in_addr *out)
{
	if (mnl_attr_get_payload_len(a) == 4)
		memcpy(out, mnl_attr_get_payload(a), 4);
}

static int route_row(const struct nlmsghdr *h, void *opaque)
{
	struct rows *rs = opaque;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(h);
	const struct nlattr *a;
	struct cv_nl_route r = { .table = 0 };

	if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*rtm) ||
	    rtm->rtm_family != AF_INET || (rtm->rtm_flags & RTM_F_CLONED))
		return 0;
	r.table = rtm->rtm_table;
	r.type = rtm->rtm_type;
	r.scope = rtm->rtm_scope;
	r.protocol = rtm->rtm_protocol;
	r.dst_len = rtm->rtm_dst_len;
	r.src_len = rtm->rtm_src_len;
	mnl_attr_for_each(a, h, sizeof(*rtm)) {
		switch (mnl_attr_get_type(a)) {
		case RTA_TABLE:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				r.table = mnl_attr_get_u32(a);
			break;
		case RTA_DST:
			get_in4(a, &r.dst);
			break;
		case RTA_SRC:
			get_in4(a, &r.src);
			break;
		case RTA_GATEWAY:
			get_in4(a, &r.gw);
			break;
		case RTA_PREFSRC:
			get_in4(a, &r.prefsrc);
			break;
		case RTA_OIF:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				r.oif = (int)mnl_attr_get_u32(a);
			break;
		case RTA_PRIORITY:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				r.priority = mnl_attr_get_u32(a);
			break;
		default:
			break;
		}
	}
	if (rs->table && r.table != rs->table)
		return 0;
	if (rs->n >= NL_MAX_ROWS)
		return -E2BIG;
	*(struct cv_nl_route *)rows_add(rs) = r;
	return 0;
}

int cv_nl_routes(struct cv_nl *nl, uint32_t table, struct cv_nl_route **ret, size_t *ret_n)
{
	char buf[REQ_SIZE];
	struct nlmsghdr *h = nl_req(buf, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));
	struct rows rs = { .size = sizeof(struct cv_nl_route), .table = table };
	int r;

	rtm->rtm_family = AF_INET;
	r = nl_talk(nl, h, route_row, &rs);
	if (r < 0) {
		free(rs.v);
		return r;
	}
	*ret = rs.v;
	*ret_n = rs.n;
	return 0;
}

static void route_put(struct nlmsghdr *h, struct rtmsg *rtm, const struct cv_nl_route *r)
{
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = (uint8_t)r->dst_len;
	rtm->rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	mnl_attr_put_u32(h, RTA_TABLE, r->table);
	if (r->dst_len)
		mnl_attr_put(h, RTA_DST, 4, &r->dst);
	if (r->gw.s_addr)
		mnl_attr_put(h, RTA_GATEWAY, 4, &r->gw);
	if (r->oif)
		mnl_attr_put_u32(h, RTA_OIF, (uint32_t)r->oif);
	mnl_attr_put_u32(h, RTA_PRIORITY, r->priority);
}

int cv_nl_route_add(struct cv_nl *nl, const struct cv_nl_route *r, bool replace)
{
	char buf[REQ_SIZE];
	struct nlmsghdr *h =
		nl_req(buf, RTM_NEWROUTE, NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL));
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));

	if (r->dst_len > 32)
		return -EINVAL;
	route_put(h, rtm, r);
	rtm->rtm_protocol = r->protocol;
	rtm->rtm_type = RTN_UNICAST;
	/* Through a gateway the route reaches beyond the link. */
	rtm->rtm_scope = r->gw.s_addr ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	return nl_talk(nl, h, NULL, NULL);
}

int cv_nl_route_del(struct cv_nl *nl, const struct cv_nl_route *r)
{
	char buf[REQ_SIZE];
	struct nlmsghdr *h = nl_req(buf, RTM_DELROUTE, 0);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));

	if (r->dst_len > 32)
		return -EINVAL;
	route_put(h, rtm, r);
	/* Only a route of this protocol; any scope. */
	rtm->rtm_protocol = r->protocol;
	rtm->rtm_scope = RT_SCOPE_NOWHERE;
	rtm->rtm_type = r->type ? r->type : RTN_UNICAST;
	return nl_talk(nl, h, NULL, NULL);
}

/* --- ethtool --------------------------------------------------------------------- */

/* ETHTOOL_GLINKSETTINGS with its three link-mode masks (supported,
 * advertising, link partner) in link_mode_masks[], the flexible array at
 * the end of struct ethtool_link_settings; SCHAR_MAX words each is the
 * kernel's own bound on link_mode_masks_nwords. A word array keeps the
 * struct aligned without a variable-sized member inside another struct. */
#define ECMD_WORDS ((sizeof(struct ethtool_link_settings) + 3 * SCHAR_MAX * 4) / 4 + 1)

struct ecmd {
	uint32_t words[ECMD_WORDS];
};

static struct ethtool_link_settings *ecmd_s(struct ecmd *e)
{
	return (struct ethtool_link_settings *)e->words;
}

static int ethtool_ioctl(int fd, const char *name, struct ecmd *e)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)e->words;
	return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

/* The handshake of linux/ethtool.h: ask with no masks, the kernel answers
 * with the negated number of words it needs; ask again with that. */
static int ethtool_read(int fd, const char *name, struct ecmd *e)
{
	struct ethtool_link_settings *s = ecmd_s(e);
	int r;

	memset(e, 0, sizeof(*e));
	s->cmd = ETHTOOL_GLINKSETTINGS;
	r = ethtool_ioctl(fd, name, e);
	if (r < 0)
		return r;
	if (s->link_mode_masks_nwords >= 0 || s->cmd != ETHTOOL_GLINKSETTINGS)
		return -EOPNOTSUPP;
	s->link_mode_masks_nwords = (int8_t)-s->link_mode_masks_nwords;
	r = ethtool_ioctl(fd, name, e);
	if (r < 0)
		return r;
	if (s->link_mode_masks_nwords <= 0 || s->cmd != ETHTOOL_GLINKSETTINGS)
		return -EOPNOTSUPP;
	return 0;
}

static int ethtool_fd(const char *name)
{
	if (strlen(name) == 0 || strlen(name) >= IF_NAMESIZE)
		return -ENODEV;
	return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

int cv_ethtool_get(const char *name, struct cv_nl_linkset *ret)
{
	struct ecmd e;
	struct ethtool_link_settings *s = ecmd_s(&e);
	struct cv_nl_linkset ls = { .duplex = -1 };
	int fd = ethtool_fd(name), r;

	if (fd < 0)
		return fd == -ENODEV ? fd : -errno;
	r = ethtool_read(fd, name, &e);
	close(fd);
	if (r < 0)
		return r;
	/* SPEED_UNKNOWN is (u32)-1; no real link is faster than 10 Tb/s. */
	if (s->speed != (uint32_t)SPEED_UNKNOWN && s->speed > 0 && s->speed <= 10000000)
		ls.speed = s->speed;
	if (s->duplex == DUPLEX_FULL)
		ls.duplex = 1;
	else if (s->duplex == DUPLEX_HALF)
		ls.duplex = 0;
	ls.autoneg = s->autoneg == AUTONEG_ENABLE;
	/* The supported mask is the first of the three. */
	ls.autoneg_supported = (s->link_mode_masks[ETHTOOL_LINK_MODE_Autoneg_BIT / 32] >>
				(ETHTOOL_LINK_MODE_Autoneg_BIT % 32)) &
			       1;
	*ret = ls;
	return 0;
}

int cv_ethtool_set(const char *name, bool autoneg, unsigned speed, int duplex)
{
	struct ecmd e;
	struct ethtool_link_settings *s = ecmd_s(&e);
	int fd = ethtool_fd(name), r, nw;

	if (fd < 0)
		return fd == -ENODEV ? fd : -errno;
	r = ethtool_read(fd, name, &e);
	if (r < 0)
		goto out;
	nw = s->link_mode_masks_nwords;
	s->cmd = ETHTOOL_SLINKSETTINGS;
	if (autoneg) {
		s->autoneg = AUTONEG_ENABLE;
		/* Advertise every mode the device supports. */
		memcpy(&s->link_mode_masks[nw], &s->link_mode_masks[0],
		       (size_t)nw * sizeof(uint32_t));
	} else {
		s->autoneg = AUTONEG_DISABLE;
		if (speed)
			s->speed = speed;
		if (duplex == 1)
			s->duplex = DUPLEX_FULL;
		else if (duplex == 0)
			s->duplex = DUPLEX_HALF;
	}
	r = ethtool_ioctl(fd, name, &e);
out:
	close(fd);
	return r;
}
