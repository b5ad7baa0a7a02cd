// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Peer-address policy: see turn_policy.h. The deny table is spec/turn.md
 * section 8 item 1 (IANA special-purpose registries); the IPv4-in-IPv6
 * reduction is item 2 (coturn CVE-2026-27624 and PR #1945 were bypasses
 * through these encodings).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "lib/parse.h"
#include "services/turn/turn_policy.h"

struct deny4 {
	uint8_t a, b, c, d;
	uint8_t plen;
};

static const struct deny4 deny_v4[] = {
	{ 0, 0, 0, 0, 8 },	 /* "this network" */
	{ 10, 0, 0, 0, 8 },	 /* private */
	{ 100, 64, 0, 0, 10 },	 /* CGNAT */
	{ 127, 0, 0, 0, 8 },	 /* loopback */
	{ 169, 254, 0, 0, 16 },	 /* link-local, cloud metadata 169.254.169.254 */
	{ 172, 16, 0, 0, 12 },	 /* private */
	{ 192, 0, 0, 0, 24 },	 /* IETF protocol assignments */
	{ 192, 0, 2, 0, 24 },	 /* TEST-NET-1 */
	{ 192, 88, 99, 0, 24 },	 /* 6to4 relay anycast */
	{ 192, 168, 0, 0, 16 },	 /* private */
	{ 198, 18, 0, 0, 15 },	 /* benchmarking */
	{ 198, 51, 100, 0, 24 }, /* TEST-NET-2 */
	{ 203, 0, 113, 0, 24 },	 /* TEST-NET-3 */
	{ 224, 0, 0, 0, 4 },	 /* multicast */
	{ 240, 0, 0, 0, 4 },	 /* reserved, 255.255.255.255 broadcast */
};

struct deny6 {
	uint8_t ip[16];
	uint8_t plen;
};

static const struct deny6 deny_v6[] = {
	{ { 0 }, 128 },					       /* :: unspecified */
	{ { [15] = 1 }, 128 },				       /* ::1 loopback */
	{ { 0x01, 0x00 }, 64 },				       /* 100::/64 discard */
	{ { 0x20, 0x01, 0x00, 0x00 }, 23 },		       /* 2001::/23 IETF (Teredo...) */
	{ { 0x20, 0x01, 0x0d, 0xb8 }, 32 },		       /* documentation */
	{ { 0xfc }, 7 },				       /* unique local */
	{ { 0xfe, 0x80 }, 10 },				       /* link-local */
	{ { 0xfe, 0xc0 }, 10 },				       /* site-local */
	{ { 0xff }, 8 },				       /* multicast */
	{ { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48 },	       /* 64:ff9b:1::/48 local NAT64 */
	{ { 0x00, 0x64, 0xff, 0x9b }, 96 },		       /* 64:ff9b::/96 NAT64 */
	{ { 0x20, 0x02 }, 16 },				       /* 6to4 */
	{ { [10] = 0xff, [11] = 0xff }, 96 },		       /* IPv4-mapped */
};

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned plen)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(a, b, full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xFF << (8 - rest));

		return (a[full] & mask) == (b[full] & mask);
	}
	return true;
}

int turn_cidr_parse(const char *s, struct turn_cidr *ret)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	struct turn_cidr c;
	unsigned long plen;

	if (n == 0 || n >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, n);
	ip[n] = '\0';
	memset(&c, 0, sizeof(c));
	if (inet_pton(AF_INET, ip, c.ip) == 1) {
		c.family = AF_INET;
		plen = 32;
	} else if (inet_pton(AF_INET6, ip, c.ip) == 1) {
		c.family = AF_INET6;
		plen = 128;
	} else {
		return -EINVAL;
	}
	if (slash && cv_parse_ulong(slash + 1, 0, plen, &plen) < 0)
		return -EINVAL;
	c.plen = (uint8_t)plen;
	/* Host bits must be zero, as the MMP <cidr> type requires. */
	for (unsigned i = c.plen; i < (c.family == AF_INET ? 32u : 128u); i++)
		if (c.ip[i / 8] & (0x80 >> (i % 8)))
			return -EINVAL;
	*ret = c;
	return 0;
}

bool turn_cidr_match(const struct turn_cidr *c, const struct stun_addr *a)
{
	return c->family == a->family && prefix_match(c->ip, a->ip, c->plen);
}

int turn_policy_allow(struct turn_policy *p, const char *cidr)
{
	struct turn_cidr c;
	int r = turn_cidr_parse(cidr, &c);

	if (r < 0)
		return r;
	if (p->n_allow >= TURN_POLICY_MAX_ALLOW)
		return -ENOSPC;
	p->allow[p->n_allow++] = c;
	return 0;
}

void turn_policy_add_own(struct turn_policy *p, const struct stun_addr *a)
{
	struct stun_addr c;

	turn_policy_canonical(a, &c);
	for (size_t i = 0; i < p->n_own; i++)
		if (stun_addr_equal(&p->own[i], &c, false))
			return;
	if (p->n_own < TURN_POLICY_MAX_OWN)
		p->own[p->n_own++] = c;
}

void turn_policy_canonical(const struct stun_addr *in, struct stun_addr *out)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
	static const uint8_t zero[12];
	const uint8_t *ip = in->ip;
	const uint8_t *v4 = NULL;

	*out = *in;
	if (in->family != AF_INET6)
		return;
	if (!memcmp(ip, mapped, 12) || !memcmp(ip, nat64, 12)) {
		v4 = ip + 12; /* ::ffff:a.b.c.d, 64:ff9b::a.b.c.d */
	} else if (!memcmp(ip, zero, 12)) {
		/* IPv4-compatible ::a.b.c.d, except :: and ::1 themselves. */
		static const uint8_t z4[4], one[4] = { 0, 0, 0, 1 };

		if (memcmp(ip + 12, z4, 4) && memcmp(ip + 12, one, 4))
			v4 = ip + 12;
	} else if (ip[0] == 0x20 && ip[1] == 0x02) {
		v4 = ip + 2; /* 6to4 2002:AABB:CCDD::/48 */
	}
	if (v4) {
		memset(out->ip, 0, sizeof(out->ip));
		memcpy(out->ip, v4, 4);
		out->family = AF_INET;
	}
}

/* Addresses that reach this machine whatever its interfaces: "this host"
 * (connecting to 0.0.0.0 or :: reaches the local host: coturn's
 * CVE-2020-26262 went through Connect to 0.0.0.0) and loopback. */
static bool own(const struct turn_policy *p, const struct stun_addr *c)
{
	static const uint8_t zero[16], one[16] = { [15] = 1 };

	if (c->family == AF_INET) {
		if (c->ip[0] == 0 || c->ip[0] == 127)
			return true;
	} else if (!memcmp(c->ip, zero, 16) || !memcmp(c->ip, one, 16)) {
		return true;
	}
	for (size_t i = 0; i < p->n_own; i++)
		if (stun_addr_equal(&p->own[i], c, false))
			return true;
	return false;
}

static bool allowed(const struct turn_policy *p, const struct stun_addr *c,
		    const struct stun_addr *peer)
{
	for (size_t i = 0; i < p->n_allow; i++)
		if (turn_cidr_match(&p->allow[i], c) || turn_cidr_match(&p->allow[i], peer))
			return true;
	return false;
}

static bool denied(const struct stun_addr *c)
{
	if (c->family == AF_INET) {
		for (size_t i = 0; i < sizeof(deny_v4) / sizeof(deny_v4[0]); i++) {
			const struct deny4 *d = &deny_v4[i];
			uint8_t net[4] = { d->a, d->b, d->c, d->d };

			if (prefix_match(c->ip, net, d->plen))
				return true;
		}
	} else {
		for (size_t i = 0; i < sizeof(deny_v6) / sizeof(deny_v6[0]); i++)
			if (prefix_match(c->ip, deny_v6[i].ip, deny_v6[i].plen))
				return true;
	}
	return false;
}

enum turn_peer_verdict turn_policy_check(const struct turn_policy *p, const struct stun_addr *peer)
{
	struct stun_addr c;
	bool is_own;

	if (peer->family != AF_INET && peer->family != AF_INET6)
		return TURN_PEER_DENY;
	turn_policy_canonical(peer, &c);
	/* Both the embedded IPv4 address and the IPv6 form itself. */
	is_own = own(p, &c) || own(p, peer);
	/* Own addresses first: the allow list cannot open our listeners
	 * (a "turn allow-peer <own address>/32" would open them all). */
	if (is_own && !p->allow_own_peers)
		return TURN_PEER_OWN;
	/* The operator's allow list wins over the default deny list (CMS
	 * edges relay to an internal call bridge on a private address:
	 * spec/turn.md section 8 item 3). */
	if (allowed(p, &c, peer))
		return TURN_PEER_PERMIT;
	if (is_own)
		return TURN_PEER_OWN;
	/* NAT64, 6to4 and IPv4-mapped peers are refused whatever they
	 * embed: both forms are checked. */
	return denied(&c) || denied(peer) ? TURN_PEER_DENY : TURN_PEER_PERMIT;
}

bool turn_policy_permits(const struct turn_policy *p, const struct stun_addr *peer)
{
	return turn_policy_check(p, peer) == TURN_PEER_PERMIT;
}
