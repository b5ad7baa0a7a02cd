/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer-address policy (spec/turn.md section 8): which peers a client may
 * relay to, after reducing IPv4 embedded in IPv6 (IPv4-mapped,
 * IPv4-compatible, NAT64, 6to4) to the IPv4 address, in this order:
 *  1. the appliance's own addresses (listen, relay, public, every local
 *     interface address, and 0.0.0.0/8, 127.0.0.0/8, ::, ::1, which reach
 *     this machine too) are "own": the relay must not reach its own
 *     listeners, sshd or web admin through lo, past the firewall, whatever
 *     the allow list says. The core lets a client reach one own address
 *     only: another live allocation's relayed transport address
 *     (turn_proto.c), which two clients that both relay through us need;
 *  2. an explicit allow list of CIDRs (turn allow-peer) permits;
 *  3. the special-purpose ranges are denied by default (loopback, 0/8,
 *     private, CGNAT, link-local with 169.254.169.254, documentation,
 *     benchmarking, multicast, reserved and broadcast, their IPv6
 *     counterparts); everything else is permitted.
 * allow_own_peers (tests and benchmarks whose echo peer runs on this
 * machine, never set by an MMP command) moves step 1 after step 2, so the
 * allow list can open own addresses as it could before.
 *
 * Built once at start, read-only afterwards, so every worker thread reads it
 * without locks.
 */
#ifndef TURN_POLICY_H
#define TURN_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/turn/stun.h"

struct turn_cidr {
	uint16_t family;
	uint8_t plen;
	uint8_t ip[16];
};

#define TURN_POLICY_MAX_OWN 64
#define TURN_POLICY_MAX_ALLOW 64

struct turn_policy {
	struct turn_cidr allow[TURN_POLICY_MAX_ALLOW];
	size_t n_allow;
	/* Our own addresses (listen, relay, public, every local interface). */
	struct stun_addr own[TURN_POLICY_MAX_OWN];
	size_t n_own;
	bool allow_own_peers; /* test only: the allow list may open own addresses */
};

enum turn_peer_verdict {
	TURN_PEER_DENY,
	TURN_PEER_PERMIT,
	TURN_PEER_OWN, /* one of our own addresses: refused unless it is another
			* allocation's relayed transport address (the core decides) */
};

/* Parses "a.b.c.d/n", "a.b.c.d", "x::y/n"; host bits must be zero. */
int turn_cidr_parse(const char *s, struct turn_cidr *ret);
bool turn_cidr_match(const struct turn_cidr *c, const struct stun_addr *a);

int turn_policy_allow(struct turn_policy *p, const char *cidr);
void turn_policy_add_own(struct turn_policy *p, const struct stun_addr *a);

/* Reduces an IPv6 address that embeds an IPv4 one to that IPv4 address
 * (port kept); other addresses are copied. */
void turn_policy_canonical(const struct stun_addr *in, struct stun_addr *out);

/* What the policy says of peer (its address; the port does not matter). */
enum turn_peer_verdict turn_policy_check(const struct turn_policy *p, const struct stun_addr *peer);
/* True when the policy lets a client relay to peer (TURN_PEER_PERMIT). */
bool turn_policy_permits(const struct turn_policy *p, const struct stun_addr *peer);

#endif
