// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The peer-address policy (spec/turn.md section 8): every default-deny range,
 * the IPv4-in-IPv6 encodings reduced before the check (coturn
 * CVE-2026-27624, PR #1945), the allow list winning over the deny list, and
 * our own addresses (loopback and "this host" included) refused before the
 * allow list is consulted.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "services/turn/turn_policy.h"
#include "tests/unit/tap.h"

static struct stun_addr addr(const char *ip)
{
	struct stun_addr a;

	memset(&a, 0, sizeof(a));
	a.family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	a.port = 9;
	inet_pton(a.family, ip, a.ip);
	return a;
}

int main(void)
{
	static const char *const denied[] = {
		"127.0.0.1", "127.255.0.9", "0.0.0.0", "0.1.2.3", "10.0.0.1", "172.16.0.1",
		"172.31.255.255", "192.168.1.1", "169.254.169.254", "169.254.1.1", "100.64.0.1",
		"100.127.255.254", "224.0.0.1", "239.1.1.1", "255.255.255.255", "240.0.0.1",
		"192.0.0.8", "192.0.2.10", "198.51.100.7", "203.0.113.9", "198.18.0.1",
		"192.88.99.1", "::", "::1", "fe80::1", "fc00::1", "fd12::1", "fec0::1", "ff02::1",
		"2001:db8::1", "2001::1", "100::1", "::ffff:127.0.0.1", "::ffff:8.8.8.8",
		"::127.0.0.1", "64:ff9b::7f00:1", "64:ff9b::808:808", "64:ff9b:1::1",
		"2002:7f00:1::1", "2002:808:808::1", "::ffff:169.254.169.254",
		"93.184.216.34", /* ours, below */
	};
	static const char *const allowed[] = {
		"8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.32.0.1", "11.0.0.1",
		"2001:4860:4860::8888", "2a00:1450::1", "2600::1",
	};
	struct turn_policy p;
	struct stun_addr own = addr("93.184.216.34"), a;
	struct turn_cidr c;

	memset(&p, 0, sizeof(p));
	turn_policy_add_own(&p, &own);
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		a = addr(denied[i]);
		ok(!turn_policy_permits(&p, &a), "%s is refused", denied[i]);
	}
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		a = addr(allowed[i]);
		ok(turn_policy_permits(&p, &a), "%s is permitted", allowed[i]);
	}
	is_int(turn_policy_allow(&p, "10.1.0.0/16"), 0, "allow 10.1.0.0/16");
	is_int(turn_policy_allow(&p, "10.1.0.1/16"), -EINVAL, "host bits set: refused");
	is_int(turn_policy_allow(&p, "10.1.0.0/33"), -EINVAL, "/33: refused");
	is_int(turn_policy_allow(&p, "fd00::/8"), 0, "allow fd00::/8");
	a = addr("10.1.2.3");
	ok(turn_policy_permits(&p, &a), "10.1.2.3 permitted by the allow list");
	a = addr("::ffff:10.1.2.3");
	ok(turn_policy_permits(&p, &a), "::ffff:10.1.2.3 permitted by the allow list too");
	a = addr("10.2.0.1");
	ok(!turn_policy_permits(&p, &a), "10.2.0.1 still refused");
	a = addr("fd12::1");
	ok(turn_policy_permits(&p, &a), "fd12::1 permitted by fd00::/8");
	/* Own addresses come before the allow list: "turn allow-peer" of a
	 * range that holds them (or of them alone) opens nothing of ours. */
	is_int(turn_policy_allow(&p, "93.184.216.0/24"), 0, "allow 93.184.216.0/24 (ours inside)");
	is_int(turn_policy_allow(&p, "127.0.0.0/8"), 0, "allow 127.0.0.0/8");
	is_int(turn_policy_allow(&p, "0.0.0.0/8"), 0, "allow 0.0.0.0/8");
	is_int(turn_policy_allow(&p, "::1/128"), 0, "allow ::1/128");
	is_int(turn_policy_allow(&p, "::/128"), 0, "allow ::/128");
	{
		static const char *const own_addrs[] = {
			"93.184.216.34", "127.0.0.1", "127.9.9.9", "0.0.0.0", "::1", "::",
			"::ffff:127.0.0.1", "::ffff:93.184.216.34", "64:ff9b::5db8:d822",
		};

		for (size_t i = 0; i < sizeof(own_addrs) / sizeof(own_addrs[0]); i++) {
			a = addr(own_addrs[i]);
			is_int(turn_policy_check(&p, &a), TURN_PEER_OWN,
			       "%s is own, whatever the allow list says", own_addrs[i]);
		}
	}
	a = addr("93.184.216.35");
	ok(turn_policy_permits(&p, &a), "93.184.216.35 (not ours) is permitted by the allow list");
	a = addr("192.0.2.10");
	is_int(turn_policy_check(&p, &a), TURN_PEER_DENY, "192.0.2.10 is denied, not own");
	/* The test-only switch restores the allow list's precedence. */
	p.allow_own_peers = true;
	a = addr("127.0.0.1");
	ok(turn_policy_permits(&p, &a), "allow_own_peers: 127.0.0.1 permitted by 127.0.0.0/8");
	a = addr("93.184.216.34");
	ok(turn_policy_permits(&p, &a), "allow_own_peers: our address permitted by the allow list");
	a = addr("::ffff:7f00:1");
	ok(turn_policy_permits(&p, &a), "allow_own_peers: ::ffff:127.0.0.1 permitted too");
	p.allow_own_peers = false;
	p.n_allow = 0;
	a = addr("127.0.0.1");
	is_int(turn_policy_check(&p, &a), TURN_PEER_OWN, "without allow list: 127.0.0.1 is own");
	ok(turn_cidr_parse("1.2.3.4", &c) == 0 && c.plen == 32, "a bare address is a /32");
	ok(turn_cidr_parse("nonsense", &c) < 0, "nonsense is no CIDR");
	return tap_done();
}
