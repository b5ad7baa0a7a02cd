/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where the call bridge's XMPP component link goes (issue 11, spec/xmpp.md
 * 1.5): the serverAddressOverride setting ("host", "host:port",
 * "[v6]:port", default port 5223), or, when it is empty, the SRV name
 * "_xmpp-component._tcp.<domain>" and the RFC 2782 order of its answers.
 * Pure functions, no I/O: the resolver hands in the SRV answers, and the
 * random source of the weighted selection is injected so tests can fix it.
 */
#ifndef CB_XMPP_TARGET_H
#define CB_XMPP_TARGET_H

#include <stddef.h>
#include <stdint.h>

#define CB_XMPP_PORT 5223
#define CB_XMPP_SRV_PREFIX "_xmpp-component._tcp."
#define CB_XMPP_HOST_MAX 253
/* More SRV answers than this are ignored (a DNS answer for one name). */
#define CB_XMPP_SRV_MAX 32

struct cb_xmpp_target {
	/* A host name (RFC 1123, no trailing dot), a dotted quad, or an IPv6
	 * literal without its brackets. */
	char host[CB_XMPP_HOST_MAX + 1];
	uint16_t port;
};

/*
 * Parses a serverAddressOverride value into *ret. "" is -ENOENT (use SRV);
 * anything malformed is -EINVAL with a reason in err (nothing written to
 * *ret). Surrounding spaces are not trimmed: the API stores what it got.
 */
int cb_xmpp_override_parse(const char *s, struct cb_xmpp_target *ret, char *err, size_t errlen);

/* Writes "_xmpp-component._tcp.<domain>" to buf; -EINVAL for a domain that
 * is not a host name, -ENOSPC when buf is too small. */
int cb_xmpp_srv_name(const char *domain, char *buf, size_t len);

struct cb_xmpp_srv {
	uint16_t priority;
	uint16_t weight;
	uint16_t port;
	char target[CB_XMPP_HOST_MAX + 2]; /* may end in '.', "." = no service */
};

/*
 * A uniform random number in [0, max] (both ends included). The default
 * one (arg unused) draws from GnuTLS's nonce generator.
 */
typedef uint32_t (*cb_xmpp_rand_fn)(void *arg, uint32_t max);
uint32_t cb_xmpp_rand_default(void *arg, uint32_t max);

/*
 * RFC 2782 order of n SRV answers, written as targets to ret (room for n):
 * priority ascending; within one priority, repeated weighted random
 * selection where the weight-0 records are put first and can still be
 * chosen (a random number of 0 picks the first record whose running sum is
 * >= 0). A trailing dot of a target is dropped; records with port 0 or a
 * target that is not a host name are skipped. Returns the number of
 * targets (>= 1), -ENOENT when the only answer is "." ("decidedly not
 * available", RFC 2782) or nothing usable is left, -EINVAL for n >
 * CB_XMPP_SRV_MAX. recs is not changed.
 */
int cb_xmpp_srv_order(const struct cb_xmpp_srv *recs, size_t n, cb_xmpp_rand_fn rnd, void *arg,
		      struct cb_xmpp_target *ret);

#endif
