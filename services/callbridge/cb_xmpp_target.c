// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The call bridge's XMPP server targets: serverAddressOverride parsing and
 * RFC 2782 ordering of SRV answers (see cb_xmpp_target.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/parse.h"
#include "services/callbridge/cb_xmpp_target.h"

static int fail(char *err, size_t errlen, const char *msg, const char *s)
{
	if (err && errlen)
		snprintf(err, errlen, "serverAddressOverride '%.80s': %s", s, msg);
	return -EINVAL;
}

int cb_xmpp_override_parse(const char *s, struct cb_xmpp_target *ret, char *err, size_t errlen)
{
	char host[CB_XMPP_HOST_MAX + 1];
	const char *port_s = NULL;
	uint16_t port = CB_XMPP_PORT;
	size_t hl;

	if (!s || !*s)
		return -ENOENT;
	if (s[0] == '[') {
		/* "[v6]" or "[v6]:port": the brackets are what keep the
		 * address's colons apart from the port's. */
		const char *close = strchr(s, ']');
		struct in6_addr a6;

		if (!close)
			return fail(err, errlen, "missing ']' after the IPv6 address", s);
		hl = (size_t)(close - s - 1);
		if (hl == 0 || hl >= INET6_ADDRSTRLEN)
			return fail(err, errlen, "not an IPv6 address in brackets", s);
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return fail(err, errlen, "not an IPv6 address in brackets", s);
		if (close[1] == ':')
			port_s = close + 2;
		else if (close[1] != '\0')
			return fail(err, errlen, "only ':<port>' may follow ']'", s);
	} else {
		const char *colon = strchr(s, ':');

		if (colon && strchr(colon + 1, ':'))
			return fail(err, errlen,
				    "an IPv6 address must be written in brackets, "
				    "as [address]:port",
				    s);
		hl = colon ? (size_t)(colon - s) : strlen(s);
		if (hl == 0 || hl > CB_XMPP_HOST_MAX)
			return fail(err, errlen, "no host name or a host name too long", s);
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (cv_parse_host(host) < 0)
			return fail(err, errlen, "not a host name or IPv4 address", s);
		if (colon)
			port_s = colon + 1;
	}
	if (port_s && cv_parse_port(port_s, &port) < 0)
		return fail(err, errlen, "the port must be a number from 1 to 65535", s);
	memcpy(ret->host, host, hl + 1);
	ret->port = port;
	return 0;
}

int cb_xmpp_srv_name(const char *domain, char *buf, size_t len)
{
	int n;

	if (!domain || cv_parse_hostname(domain) < 0)
		return -EINVAL;
	n = snprintf(buf, len, "%s%s", CB_XMPP_SRV_PREFIX, domain);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return 0;
}

uint32_t cb_xmpp_rand_default(void *arg, uint32_t max)
{
	uint64_t r = 0;

	(void)arg;
	if (max == 0)
		return 0;
	/* 64 random bits reduced modulo max + 1: the bias is below 2^-32. */
	if (gnutls_rnd(GNUTLS_RND_NONCE, &r, sizeof(r)) < 0)
		return 0;
	return (uint32_t)(r % ((uint64_t)max + 1));
}

/* Copies a usable SRV target (trailing dot dropped) to out; false if the
 * record cannot be used. */
static bool usable(const struct cb_xmpp_srv *r, char *out)
{
	size_t l = strnlen(r->target, sizeof(r->target));

	if (l == sizeof(r->target) || r->port == 0)
		return false;
	if (l > 1 && r->target[l - 1] == '.')
		l--;
	if (l == 0 || l > CB_XMPP_HOST_MAX)
		return false;
	memcpy(out, r->target, l);
	out[l] = '\0';
	return cv_parse_hostname(out) == 0;
}

int cb_xmpp_srv_order(const struct cb_xmpp_srv *recs, size_t n, cb_xmpp_rand_fn rnd, void *arg,
		      struct cb_xmpp_target *ret)
{
	/* idx holds the usable records still to place, in answer order. */
	size_t idx[CB_XMPP_SRV_MAX], left = 0, out = 0;
	char name[CB_XMPP_HOST_MAX + 1];

	if (n > CB_XMPP_SRV_MAX)
		return -EINVAL;
	if (n == 1 && strcmp(recs[0].target, ".") == 0)
		return -ENOENT;
	for (size_t i = 0; i < n; i++)
		if (usable(&recs[i], name))
			idx[left++] = i;

	while (left > 0) {
		/* The lowest priority still unplaced. */
		uint16_t prio = UINT16_MAX;
		size_t set[CB_XMPP_SRV_MAX], m = 0;

		for (size_t i = 0; i < left; i++)
			if (recs[idx[i]].priority < prio)
				prio = recs[idx[i]].priority;
		/* RFC 2782: "arrange all SRV RRs (that have not been ordered
		 * yet) in any order, except that all those with weight 0 are
		 * placed at the beginning of the list". */
		for (size_t i = 0; i < left; i++)
			if (recs[idx[i]].priority == prio && recs[idx[i]].weight == 0)
				set[m++] = idx[i];
		for (size_t i = 0; i < left; i++)
			if (recs[idx[i]].priority == prio && recs[idx[i]].weight != 0)
				set[m++] = idx[i];
		/* Drop this priority's records from idx. */
		size_t k = 0;

		for (size_t i = 0; i < left; i++)
			if (recs[idx[i]].priority != prio)
				idx[k++] = idx[i];
		left = k;

		while (m > 0) {
			uint32_t sum = 0, pick;
			size_t j;

			for (j = 0; j < m; j++)
				sum += recs[set[j]].weight; /* <= 32 * 65535, no overflow */
			pick = rnd(arg, sum);
			if (pick > sum)
				pick = sum; /* a bad random source must not pick past the end */
			/* "select the RR whose running sum value is the first in
			 * the selected order which is greater than or equal to
			 * the random number selected". */
			uint32_t run = 0;

			for (j = 0; j < m; j++) {
				run += recs[set[j]].weight;
				if (run >= pick)
					break;
			}
			usable(&recs[set[j]], ret[out].host);
			ret[out].port = recs[set[j]].port;
			out++;
			memmove(&set[j], &set[j + 1], (m - j - 1) * sizeof(set[0]));
			m--;
		}
	}
	return out ? (int)out : -ENOENT;
}
