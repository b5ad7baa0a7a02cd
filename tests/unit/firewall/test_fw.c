// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the firewall model (firewall/fw_model.h) and of building
 * the ruleset from a document (firewall/fw.c): parsing the stored rules,
 * the first-match verdict, the "can anyone reach this port" question of the
 * lock-out warning, which interfaces get a chain, and when two documents
 * give the same kernel table. The kernel side is tested in
 * tests/integration/firewall.sh.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>

#include "firewall/fw.h"
#include "tests/unit/tap.h"

static json_object *doc_from(const char *json)
{
	json_object *d = json_tokener_parse(json);

	if (!d) {
		printf("Bail out! bad JSON in the test: %s\n", json);
		exit(1);
	}
	return d;
}

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

/* firewall.a of json, parsed. */
static int iface_of(const char *json, struct fw_iface *ret, size_t *ret_bad)
{
	json_object *d = doc_from(json);
	int r = fw_iface_parse(d, 'a', ret, ret_bad);

	json_object_put(d);
	return r;
}

static void test_parse(void)
{
	static struct fw_iface f;
	size_t bad;
	char desc[80];

	is_int(iface_of("{}", &f, &bad), 0, "no firewall object: parses");
	ok(!f.enabled && f.default_allow && f.nrules == 0, "never configured: disabled, allow");

	is_int(iface_of("{\"firewall\":{\"a\":{\"enabled\":true,\"default\":\"deny\",\"rules\":["
			"{\"action\":\"deny\",\"port\":22,\"proto\":\"tcp+udp\",\"from\":\"any\"},"
			"{\"action\":\"allow\",\"port\":3478,\"proto\":\"udp\","
			"\"from\":\"198.51.100.0/24\"},"
			"{\"action\":\"allow\",\"port\":443,\"proto\":\"tcp\"}]}}}",
			&f, &bad),
	       0, "three rules parse");
	ok(f.enabled && !f.default_allow && f.nrules == 3, "enabled, deny, 3 rules");
	ok(!f.rules[0].allow && f.rules[0].protos == (FW_TCP | FW_UDP) && f.rules[0].port == 22 &&
	       f.rules[0].any_src,
	   "rule 1: deny 22 tcp+udp from any");
	ok(f.rules[1].allow && f.rules[1].protos == FW_UDP && f.rules[1].plen == 24 &&
	       f.rules[1].net.s_addr == ip("198.51.100.0").s_addr,
	   "rule 2: allow 3478/udp from 198.51.100.0/24");
	ok(f.rules[2].any_src, "a rule without \"from\" is from any");
	fw_rule_describe(&f.rules[1], desc, sizeof(desc));
	is_str(desc, "allow 3478/udp from 198.51.100.0/24", "describe a rule with a source");
	fw_rule_describe(&f.rules[0], desc, sizeof(desc));
	is_str(desc, "deny 22/tcp+udp from any", "describe a rule for both protocols");

	static const char *const bad_rules[] = {
	    "{\"action\":\"reject\",\"port\":22,\"proto\":\"tcp\"}",
	    "{\"action\":\"deny\",\"port\":0,\"proto\":\"tcp\"}",
	    "{\"action\":\"deny\",\"port\":65536,\"proto\":\"tcp\"}",
	    "{\"action\":\"deny\",\"port\":\"22\",\"proto\":\"tcp\"}",
	    "{\"action\":\"deny\",\"port\":22,\"proto\":\"icmp\"}",
	    "{\"action\":\"deny\",\"port\":22}",
	    "{\"action\":\"deny\",\"port\":22,\"proto\":\"tcp\",\"from\":\"198.51.100.1/24\"}",
	    "{\"action\":\"deny\",\"port\":22,\"proto\":\"tcp\",\"from\":\"198.51.100.1\"}",
	    "{\"action\":\"deny\",\"port\":22,\"proto\":\"tcp\",\"from\":7}",
	    "\"deny 22\"",
	};
	for (size_t i = 0; i < sizeof(bad_rules) / sizeof(bad_rules[0]); i++) {
		char json[512];

		snprintf(json, sizeof(json),
			 "{\"firewall\":{\"a\":{\"rules\":[{\"action\":\"allow\",\"port\":1,"
			 "\"proto\":\"tcp\"},%s]}}}",
			 bad_rules[i]);
		is_int(iface_of(json, &f, &bad), -EINVAL, "malformed rule refused: %s",
		       bad_rules[i]);
		is_int(bad, 2, "  and it is rule 2");
	}
	is_int(iface_of("{\"firewall\":{\"a\":{\"default\":\"reject\"}}}", &f, &bad), -EINVAL,
	       "bad default refused");
	is_int(bad, 0, "  not a rule");
	is_int(iface_of("{\"firewall\":{\"a\":{\"enabled\":\"yes\"}}}", &f, &bad), -EINVAL,
	       "non-boolean enabled refused");
	is_int(iface_of("{\"firewall\":{\"a\":{\"rules\":{}}}}", &f, &bad), -EINVAL,
	       "rules that are not a list refused");
}

/* An enabled interface with a default and rules given as (allow, protos,
 * port, "any" or "net/plen") tuples. */
struct r {
	bool allow;
	unsigned protos;
	uint16_t port;
	const char *from;
};

static void mk(struct fw_iface *f, bool default_allow, const struct r *rules, size_t n)
{
	memset(f, 0, sizeof(*f));
	f->name = 'a';
	f->enabled = true;
	f->default_allow = default_allow;
	for (size_t i = 0; i < n; i++) {
		struct fw_rule *x = &f->rules[i];
		unsigned plen;

		x->allow = rules[i].allow;
		x->protos = (uint8_t)rules[i].protos;
		x->port = rules[i].port;
		if (strcmp(rules[i].from, "any") == 0) {
			x->any_src = true;
		} else if (cv_parse_cidr(rules[i].from, &x->net, &plen) == 0) {
			x->plen = (uint8_t)plen;
		} else {
			printf("Bail out! bad network in the test: %s\n", rules[i].from);
			exit(1);
		}
	}
	f->nrules = n;
}

#define N(a) (sizeof(a) / sizeof(a[0]))

static void test_verdicts(void)
{
	static struct fw_iface f;
	struct in_addr peer = ip("198.51.100.7"), other = ip("203.0.113.9");

	/* The seed (S1): default allow, deny 22. */
	{
		static const struct r rs[] = {{false, FW_TCP | FW_UDP, 22, "any"}};

		mk(&f, true, rs, N(rs));
		ok(!fw_accepts(&f, FW_TCP, 22, peer), "seed: 22/tcp dropped");
		ok(!fw_accepts(&f, FW_UDP, 22, peer), "seed: 22/udp dropped");
		ok(fw_accepts(&f, FW_TCP, 443, peer), "seed: 443/tcp by the default");
		ok(!fw_accepts_some(&f, FW_TCP, 22), "seed: nobody reaches SSH");
		ok(fw_accepts_some(&f, FW_TCP, 443), "seed: 443 reachable");
		f.enabled = false;
		ok(fw_accepts(&f, FW_TCP, 22, peer), "disabled: everything passes");
		ok(fw_accepts_some(&f, FW_TCP, 22), "disabled: SSH reachable");
	}
	/* Default deny with SSH from one network. */
	{
		static const struct r rs[] = {{true, FW_TCP, 22, "198.51.100.0/24"},
					      {true, FW_UDP, 22, "any"}};

		mk(&f, false, rs, N(rs));
		ok(fw_accepts(&f, FW_TCP, 22, peer), "allow from the peer's network");
		ok(!fw_accepts(&f, FW_TCP, 22, other), "another network: default deny");
		ok(fw_accepts(&f, FW_UDP, 22, other), "udp rule does not open tcp, but udp");
		ok(fw_accepts_some(&f, FW_TCP, 22), "someone reaches SSH");
		ok(!fw_accepts_some(&f, FW_TCP, 23), "nobody reaches 23");
	}
	/* First match wins: a deny before the allow hides it. */
	{
		static const struct r rs[] = {{false, FW_TCP, 22, "198.51.100.0/24"},
					      {true, FW_TCP, 22, "198.51.100.0/25"}};

		mk(&f, false, rs, N(rs));
		ok(!fw_accepts(&f, FW_TCP, 22, peer), "earlier deny wins");
		ok(!fw_accepts_some(&f, FW_TCP, 22),
		   "an allow inside an earlier deny opens nothing");
	}
	/* An allow wider than the deny before it still lets some in. */
	{
		static const struct r rs[] = {{false, FW_TCP, 22, "198.51.100.0/25"},
					      {true, FW_TCP, 22, "198.51.100.0/24"}};

		mk(&f, false, rs, N(rs));
		ok(!fw_accepts(&f, FW_TCP, 22, peer), ".7 is in the denied half");
		ok(fw_accepts(&f, FW_TCP, 22, ip("198.51.100.200")), ".200 is allowed");
		ok(fw_accepts_some(&f, FW_TCP, 22), "the upper half reaches SSH");
	}
	/* Two denied halves cover the allowed network. */
	{
		static const struct r rs[] = {{false, FW_TCP, 22, "198.51.100.0/25"},
					      {false, FW_TCP | FW_UDP, 22, "198.51.100.128/25"},
					      {true, FW_TCP, 22, "198.51.100.0/24"}};

		mk(&f, false, rs, N(rs));
		ok(!fw_accepts_some(&f, FW_TCP, 22), "both halves denied: nobody");
	}
	/* Default allow: reachable unless the denies cover everything. */
	{
		static const struct r rs[] = {{false, FW_TCP, 22, "0.0.0.0/1"},
					      {false, FW_TCP, 22, "128.0.0.0/1"}};

		mk(&f, true, rs, N(rs));
		ok(!fw_accepts_some(&f, FW_TCP, 22), "0/1 and 128/1 cover everything");
		f.nrules = 1;
		ok(fw_accepts_some(&f, FW_TCP, 22), "0/1 alone leaves 128/1");
		ok(fw_accepts(&f, FW_TCP, 22, ip("192.0.2.1")), "192.0.2.1 is in 128/1");
		ok(!fw_accepts(&f, FW_TCP, 22, ip("10.0.0.1")), "10.0.0.1 is in 0/1");
	}
	/* Host rules. */
	{
		static const struct r rs[] = {{false, FW_TCP, 22, "198.51.100.7/32"}};

		mk(&f, true, rs, N(rs));
		ok(!fw_accepts(&f, FW_TCP, 22, peer), "the one host is denied");
		ok(fw_accepts(&f, FW_TCP, 22, ip("198.51.100.8")), "its neighbour is not");
		ok(fw_accepts_some(&f, FW_TCP, 22), "others reach SSH");
	}
	/* Many small denies (the recursion stays bounded). */
	{
		static struct r rs[FW_MAX_RULES];
		static char nets[FW_MAX_RULES][24];

		for (size_t i = 0; i < FW_MAX_RULES; i++) {
			snprintf(nets[i], sizeof(nets[i]), "10.0.%zu.0/24", i);
			rs[i] = (struct r){false, FW_TCP, 22, nets[i]};
		}
		mk(&f, true, rs, N(rs));
		ok(fw_accepts_some(&f, FW_TCP, 22), "256 denied /24s leave the rest open");
		ok(!fw_accepts(&f, FW_TCP, 22, ip("10.0.255.1")), "the last /24 is denied");
		rs[FW_MAX_RULES - 1] = (struct r){true, FW_TCP, 22, "10.0.0.0/16"};
		mk(&f, false, rs, N(rs));
		ok(fw_accepts_some(&f, FW_TCP, 22),
		   "allow 10.0/16 after denies of 10.0.0-254.0/24 opens 10.0.255.0/24");
		ok(fw_accepts(&f, FW_TCP, 22, ip("10.0.255.9")), "10.0.255.9 is allowed");
		rs[FW_MAX_RULES - 1] = (struct r){false, FW_TCP, 22, "10.0.255.0/24"};
		rs[FW_MAX_RULES - 2] = (struct r){true, FW_TCP, 22, "10.0.0.0/16"};
		mk(&f, false, rs, N(rs));
		ok(fw_accepts_some(&f, FW_TCP, 22),
		   "the allow before the last deny still opens it");
	}
}

static void test_build(void)
{
	static struct fw_ruleset a, b;
	const char ifmap[4][IF_NAMESIZE] = {"veth-a", "", "veth-c", ""};
	struct strbuf err = STRBUF_INIT;
	json_object *d1, *d2;

	d1 = doc_from("{\"firewall\":{"
		      "\"a\":{\"enabled\":true,\"default\":\"allow\",\"rules\":"
		      "[{\"action\":\"deny\",\"port\":22,\"proto\":\"tcp+udp\",\"from\":\"any\"}]},"
		      "\"b\":{\"enabled\":true,\"default\":\"deny\"},"
		      "\"c\":{\"enabled\":false,\"default\":\"deny\"}}}");
	is_int(fw_ruleset_build(d1, ifmap, &a, &err), 0, "build");
	is_int(a.nchains, 1, "one chain: a (b is unmapped, c disabled)");
	is_str(a.chains[0].kernel, "veth-a", "a is veth-a");
	is_int(a.unmapped, 2, "b is enabled but unmapped");

	/* Pending confirmation and key order do not change the table. */
	d2 = doc_from("{\"firewall\":{"
		      "\"a\":{\"rules\":[{\"from\":\"any\",\"proto\":\"tcp+udp\",\"port\":22,"
		      "\"action\":\"deny\"}],\"enabled\":true,"
		      "\"pending\":{\"deadline\":1,\"previous\":null}},"
		      "\"b\":{\"enabled\":true,\"default\":\"deny\",\"rules\":[]}}}");
	is_int(fw_ruleset_build(d2, ifmap, &b, &err), 0, "build the second");
	ok(fw_ruleset_equal(&a, &b), "same table: default allow is the default, pending ignored");
	json_object_put(d2);

	d2 = doc_from("{\"firewall\":{"
		      "\"a\":{\"enabled\":true,\"rules\":[{\"action\":\"deny\",\"port\":22,"
		      "\"proto\":\"tcp\",\"from\":\"any\"}]}}}");
	fw_ruleset_build(d2, ifmap, &b, &err);
	ok(!fw_ruleset_equal(&a, &b), "tcp instead of tcp+udp: another table");
	json_object_put(d2);

	d2 = doc_from("{\"firewall\":{"
		      "\"c\":{\"enabled\":true},"
		      "\"a\":{\"enabled\":true,\"rules\":[{\"action\":\"deny\",\"port\":22,"
		      "\"proto\":\"tcp+udp\",\"from\":\"any\"}]}}}");
	fw_ruleset_build(d2, ifmap, &b, &err);
	ok(!fw_ruleset_equal(&a, &b), "c enabled too: another table");
	is_int(b.nchains, 2, "two chains");
	ok(b.chains[0].cfg.name == 'a' && b.chains[1].cfg.name == 'c', "in interface order");
	json_object_put(d2);

	is_int(fw_ruleset_build(d1, NULL, &b, &err), 0, "build with no map");
	is_int(b.nchains, 0, "nothing mapped: no chain");
	is_int(b.unmapped, 3, "a and b enabled, unmapped");

	d2 = doc_from("{\"firewall\":{\"b\":{\"rules\":[{\"action\":\"deny\"}]}}}");
	sb_reset(&err);
	is_int(fw_ruleset_build(d2, ifmap, &b, &err), -EINVAL, "a malformed rule fails the build");
	is_str(sb_str(&err), "FAILURE: firewall: rule 1 of interface b is malformed\n",
	       "and says which");
	json_object_put(d2);
	json_object_put(d1);
	sb_free(&err);
}

int main(void)
{
	test_parse();
	test_verdicts();
	test_build();
	return tap_done();
}
