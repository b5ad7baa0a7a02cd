/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer-address policy (spec/turn.md section 8): which peers a client may
 * relay to. Deny by default the special-purpose ranges (loopback, 0/8,
 * private, CGNAT, link-local with 169.254.169.254, documentation,
 * benchmarking, multicast, reserved and broadcast, their IPv6 counterparts)
 * and the appliance's own addresses, after reducing IPv4 embedded in IPv6
 * (IPv4-mapped, IPv4-compatible, NAT64, 6to4) to the IPv4 address; an
 * explicit allow list of CIDRs wins over all of that.
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
};

/* Parses "a.b.c.d/n", "a.b.c.d", "x::y/n"; host bits must be zero. */
int turn_cidr_parse(const char *s, struct turn_cidr *ret);
bool turn_cidr_match(const struct turn_cidr *c, const struct stun_addr *a);

int turn_policy_allow(struct turn_policy *p, const char *cidr);
void turn_policy_add_own(struct turn_policy *p, const struct stun_addr *a);

/* Reduces an IPv6 address that embeds an IPv4 one to that IPv4 address
 * (port kept); other addresses are copied. */
void turn_policy_canonical(const struct stun_addr *in, struct stun_addr *out);

/* True when the policy lets a client relay to peer. */
bool turn_policy_permits(const struct turn_policy *p, const struct stun_addr *peer);

#endif
