/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libfw: the appliance firewall as one nftables table, "inet convene",
 * built from the configuration document with libnftnl and committed in a
 * single netlink batch (README.md in this folder has the layout):
 *
 *   table inet convene
 *     chain input     type filter hook input priority filter; policy accept
 *                     iifname "lo" accept
 *                     iifname "<dev of a>" jump input_a      (one per interface)
 *     chain input_a   ct state established,related accept
 *                     icmpv6 neighbour discovery accept
 *                     the rules of firewall.a, in order
 *                     the default policy of firewall.a (accept or drop)
 *
 * Only interfaces that are enabled and mapped to a kernel device get a
 * chain. The batch replaces the whole table (add, delete, add again, all in
 * one transaction), so the kernel has either the old table or the new one,
 * never a mix, and no other table is ever touched.
 */
#ifndef CV_FW_H
#define CV_FW_H

#include <json-c/json.h>
#include <net/if.h>
#include <stdbool.h>

#include "firewall/fw_model.h"
#include "lib/strbuf.h"

#define FW_TABLE "convene"
#define FW_NIFACES 4

/* One chain: an enabled interface and the kernel device it is mapped to. */
struct fw_chain {
	char kernel[IF_NAMESIZE];
	struct fw_iface cfg;
};

struct fw_ruleset {
	size_t nchains;
	struct fw_chain chains[FW_NIFACES]; /* in interface order a..d */
	unsigned unmapped;		    /* bit i: interface 'a'+i is enabled but not mapped */
};

/* Builds the ruleset of doc; ifmap[i] is the kernel name of interface
 * 'a'+i ("" when unmapped). Returns 0, or -EINVAL with "FAILURE: ..." lines
 * in err when the stored firewall configuration is malformed. */
int fw_ruleset_build(json_object *doc, const char (*ifmap)[IF_NAMESIZE], struct fw_ruleset *ret,
		     struct strbuf *err);

/* Do a and b give the same kernel table? */
bool fw_ruleset_equal(const struct fw_ruleset *a, const struct fw_ruleset *b);

/* Makes the kernel's "inet convene" table match rs in one netlink batch
 * (removes the table when rs has no chain). Returns 0; or a negative errno
 * with a "FAILURE: ..." line in err saying what the kernel refused, in which
 * case the kernel still has its previous table. -EIO means the outcome is
 * unknown (no answer from the kernel). */
int fw_ruleset_commit(const struct fw_ruleset *rs, struct strbuf *err);

/* A one-line description of rule r ("deny 22/tcp+udp from any"). */
void fw_rule_describe(const struct fw_rule *r, char *buf, size_t len);

#endif
