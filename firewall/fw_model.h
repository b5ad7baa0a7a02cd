/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The firewall rule model: one interface's firewall as the configuration
 * document stores it (spec/mmp.md 2.7),
 *
 *   firewall.<if> = { "enabled": bool, "default": "allow" | "deny",
 *                     "rules": [ { "action": "allow" | "deny", "port": 1-65535,
 *                                  "proto": "tcp" | "udp" | "tcp+udp",
 *                                  "from": "any" | "A.B.C.D/N" }, ... ],
 *                     "pending": { "deadline": epoch seconds,
 *                                  "previous": <firewall.<if> before> | null } }
 *
 * and the first-match evaluation that the interface's nftables chain
 * performs for a new inbound connection: the rules in order, then the
 * default policy. The shell uses the evaluation for the lock-out warning,
 * libfw builds the chain from the same parsed form, so the two cannot
 * disagree about what a rule means.
 *
 * Header-only on purpose: the command handlers (libmmpcmd) are linked into
 * programs (mmp_doc, the unit tests, the fuzz targets) that do not link
 * libfw and libnftnl. Everything here is pure: no I/O.
 */
#ifndef CV_FW_MODEL_H
#define CV_FW_MODEL_H

#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/parse.h"

/* Bound on the rules of one interface (the shell refuses more). */
#define FW_MAX_RULES 256

/* Protocol bits of a rule. */
#define FW_TCP 1u
#define FW_UDP 2u

struct fw_rule {
	bool allow;	    /* accept, else drop */
	uint8_t protos;	    /* FW_TCP, FW_UDP or both */
	uint16_t port;	    /* destination port, 1-65535 */
	uint8_t plen;	    /* source network prefix length; 0 with any_src */
	bool any_src;	    /* no "from": any source, IPv4 and IPv6 */
	struct in_addr net; /* source network (host bits zero) unless any_src */
};

struct fw_iface {
	char name; /* 'a'..'d' */
	bool enabled;
	bool default_allow; /* an interface never configured allows */
	size_t nrules;
	struct fw_rule rules[FW_MAX_RULES];
};

/* Parses one stored rule object. -EINVAL if any field is missing or bad. */
static inline int fw_rule_parse(json_object *e, struct fw_rule *ret)
{
	json_object *v;
	const char *s;
	struct fw_rule r;
	int64_t port;

	memset(&r, 0, sizeof(r));
	if (!e || !json_object_is_type(e, json_type_object))
		return -EINVAL;
	if (!json_object_object_get_ex(e, "action", &v) ||
	    !json_object_is_type(v, json_type_string))
		return -EINVAL;
	s = json_object_get_string(v);
	if (strcmp(s, "allow") == 0)
		r.allow = true;
	else if (strcmp(s, "deny") != 0)
		return -EINVAL;
	if (!json_object_object_get_ex(e, "port", &v) || !json_object_is_type(v, json_type_int))
		return -EINVAL;
	port = json_object_get_int64(v);
	if (port < 1 || port > 65535)
		return -EINVAL;
	r.port = (uint16_t)port;
	if (!json_object_object_get_ex(e, "proto", &v) || !json_object_is_type(v, json_type_string))
		return -EINVAL;
	s = json_object_get_string(v);
	if (strcmp(s, "tcp") == 0)
		r.protos = FW_TCP;
	else if (strcmp(s, "udp") == 0)
		r.protos = FW_UDP;
	else if (strcmp(s, "tcp+udp") == 0)
		r.protos = FW_TCP | FW_UDP;
	else
		return -EINVAL;
	/* A rule stored without "from" matches any source. */
	s = "any";
	if (json_object_object_get_ex(e, "from", &v)) {
		if (!json_object_is_type(v, json_type_string))
			return -EINVAL;
		s = json_object_get_string(v);
	}
	if (strcmp(s, "any") == 0) {
		r.any_src = true;
	} else {
		const char *slash = strchr(s, '/');
		unsigned plen;

		/* Stored as "A.B.C.D/N" (the shell always writes the length). */
		if (!slash || cv_parse_cidr(s, &r.net, &plen) < 0)
			return -EINVAL;
		r.plen = (uint8_t)plen;
	}
	*ret = r;
	return 0;
}

/* Reads firewall.<ifc> of doc into ret (absent: disabled, allow, no rules).
 * -EINVAL when the stored form is bad; *ret_bad_rule is then the 1-based
 * number of the bad rule, or 0 when another field is bad. */
static inline int fw_iface_parse(json_object *doc, char ifc, struct fw_iface *ret,
				 size_t *ret_bad_rule)
{
	char path[16] = "firewall.?";
	json_object *o, *v, *rules = NULL;
	size_t n;

	path[9] = ifc;
	memset(ret, 0, sizeof(*ret));
	ret->name = ifc;
	ret->default_allow = true;
	*ret_bad_rule = 0;
	o = doc ? cv_conf_get(doc, path) : NULL;
	if (!o)
		return 0;
	if (!json_object_is_type(o, json_type_object))
		return -EINVAL;
	if (json_object_object_get_ex(o, "enabled", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return -EINVAL;
		ret->enabled = json_object_get_boolean(v);
	}
	if (json_object_object_get_ex(o, "default", &v)) {
		const char *s =
		    json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";

		if (strcmp(s, "deny") == 0)
			ret->default_allow = false;
		else if (strcmp(s, "allow") != 0)
			return -EINVAL;
	}
	if (json_object_object_get_ex(o, "rules", &rules) &&
	    !json_object_is_type(rules, json_type_array))
		return -EINVAL;
	n = rules ? json_object_array_length(rules) : 0;
	if (n > FW_MAX_RULES)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		if (fw_rule_parse(json_object_array_get_idx(rules, i), &ret->rules[i]) < 0) {
			*ret_bad_rule = i + 1;
			return -EINVAL;
		}
	}
	ret->nrules = n;
	return 0;
}

static inline bool fw_net_contains(struct in_addr net, unsigned plen, struct in_addr addr)
{
	return cv_ipv4_in_subnet(addr, net, plen);
}

/* Does rule r match a new connection of proto (FW_TCP or FW_UDP) to port
 * from the IPv4 address src? */
static inline bool fw_rule_matches(const struct fw_rule *r, unsigned proto, uint16_t port,
				   struct in_addr src)
{
	if (!(r->protos & proto) || r->port != port)
		return false;
	return r->any_src || fw_net_contains(r->net, r->plen, src);
}

/* The chain's verdict for a new connection of proto to port from src: the
 * first matching rule decides, else the default policy. A disabled
 * firewall accepts everything. */
static inline bool fw_accepts(const struct fw_iface *f, unsigned proto, uint16_t port,
			      struct in_addr src)
{
	if (!f->enabled)
		return true;
	for (size_t i = 0; i < f->nrules; i++)
		if (fw_rule_matches(&f->rules[i], proto, port, src))
			return f->rules[i].allow;
	return f->default_allow;
}

/* Is every address of net/plen inside one of the networks in[0..n)? The
 * networks are prefixes, so two of them are nested or disjoint: net/plen
 * is covered when one of them contains it, or when both of its halves are
 * covered. Only a network strictly inside net/plen makes it split, so the
 * recursion is at most 32 deep and visits O(32 n) networks. */
static inline bool fw_covered(struct in_addr net, unsigned plen, const struct fw_rule *const *in,
			      size_t n)
{
	bool inside = false;

	for (size_t i = 0; i < n; i++) {
		unsigned p = in[i]->any_src ? 0 : in[i]->plen;
		struct in_addr a = in[i]->any_src ? (struct in_addr){0} : in[i]->net;

		if (p <= plen && fw_net_contains(a, p, net))
			return true;
		if (p > plen && fw_net_contains(net, plen, a))
			inside = true;
	}
	if (!inside || plen >= 32)
		return false;
	{
		struct in_addr hi = {htonl(ntohl(net.s_addr) | (0x80000000u >> plen))};

		return fw_covered(net, plen + 1, in, n) && fw_covered(hi, plen + 1, in, n);
	}
}

/* Can a new connection of proto to port come in from at least one IPv4
 * source? (When the operator's own address is not known, the lock-out
 * check asks this: "no rule allows SSH" means no source at all may
 * connect.) A disabled firewall accepts everything. */
static inline bool fw_accepts_some(const struct fw_iface *f, unsigned proto, uint16_t port)
{
	const struct fw_rule *denied[FW_MAX_RULES];
	size_t nd = 0;

	if (!f->enabled)
		return true;
	for (size_t i = 0; i < f->nrules; i++) {
		const struct fw_rule *r = &f->rules[i];
		struct in_addr net = r->any_src ? (struct in_addr){0} : r->net;

		if (!(r->protos & proto) || r->port != port)
			continue;
		if (!r->allow) {
			denied[nd++] = r;
			continue;
		}
		/* An allow rule lets in whatever of its network the deny
		 * rules before it have not already dropped. */
		if (!fw_covered(net, r->any_src ? 0 : r->plen, denied, nd))
			return true;
	}
	return f->default_allow && !fw_covered((struct in_addr){0}, 0, denied, nd);
}

#endif
