/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The resolver every Convene program uses (spec/mmp.md 2.5): c-ares on the
 * libuv loop, with the appliance's own rules on top.
 *
 *  1. Local records first. The records of "dns add rr" answer before any
 *     query is sent. As in unbound's "transparent" local data, a name that
 *     owns local records is answered from them only: asked for a type it has
 *     no record of, the answer is "no records of this type" (NODATA), except
 *     that a local CNAME is followed (at most CV_DNS_CNAME_MAX hops, through
 *     local records and then DNS). An owner "*.zone" matches every name below
 *     zone that owns no record itself; an owner "*" matches every name.
 *  2. Then the forward zone whose name is the longest suffix of the name,
 *     compared label by label and ignoring case ("." matches every name):
 *     the query goes to that zone's first server; on a timeout, a refused
 *     connection, SERVFAIL, REFUSED or a malformed answer, to the next one,
 *     in the order they were added. NXDOMAIN and NODATA are answers.
 *  3. A name no forward zone covers goes to the system resolver: the servers
 *     of /etc/resolv.conf, read by c-ares when the system resolver is first
 *     needed, asked in the same way (the search list is not used: every
 *     name is taken as fully qualified).
 *
 * SRV answers come back in RFC 2782 order: priority ascending; within a
 * priority, a weighted random order (the random source can be replaced for
 * tests). With CV_DNS_F_ADDR4/ADDR6 the addresses of every SRV target are
 * looked up too, each target through the same three steps.
 *
 * c-ares plugs into libuv through its socket-state callback: one uv_poll_t
 * per socket c-ares opens and one uv_timer_t per channel for ares_timeout()
 * (as FRR's lib/resolver.c does with its own loop). Results are always
 * delivered from the loop, never from inside cv_resolve().
 *
 * Everything is bounded: names are at most CV_DNS_NAME_MAX characters, and
 * answers are cut at CV_DNS_ADDRS_MAX addresses, CV_DNS_SRV_MAX SRV records
 * and CV_DNS_TARGET_ADDRS_MAX addresses per target and family. Every lookup
 * ends within the configured deadline (default 5 s).
 */
#ifndef CV_RESOLVER_H
#define CV_RESOLVER_H

#include <json-c/json.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "lib/strbuf.h"

#define CV_DNS_NAME_MAX 253
#define CV_DNS_ADDRS_MAX 32
#define CV_DNS_SRV_MAX 16
#define CV_DNS_TARGET_ADDRS_MAX 8
#define CV_DNS_CNAME_MAX 8
#define CV_DNS_DEADLINE_MS 5000

enum cv_dns_type {
	CV_DNS_A,
	CV_DNS_AAAA,
	CV_DNS_CNAME, /* local records only: never asked for */
	CV_DNS_SRV,
};

/* "A", "AAAA", "CNAME", "SRV". */
const char *cv_dns_type_name(enum cv_dns_type type);
/* Parses a type name (any case); -EINVAL for anything else. */
int cv_dns_type_parse(const char *s, enum cv_dns_type *ret_type);

/* --- configuration ---------------------------------------------------------- */

struct cv_dns_server {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	uint16_t port; /* 53 unless a test says otherwise */
};

struct cv_dns_zone {
	char name[CV_DNS_NAME_MAX + 1]; /* "." or a domain without the final dot */
	size_t nservers;
	struct cv_dns_server *servers;
};

struct cv_dns_rr {
	char owner[CV_DNS_NAME_MAX + 1]; /* may start with "*" (wildcard) */
	enum cv_dns_type type;
	struct in_addr a;
	struct in6_addr aaaa;
	uint16_t priority, weight, port;	  /* SRV */
	char target[CV_DNS_NAME_MAX + 1]; /* CNAME and SRV */
};

struct cv_dns_config {
	size_t nzones;
	struct cv_dns_zone *zones;
	size_t nrrs;
	struct cv_dns_rr *rrs;
	unsigned timeout_ms;  /* per try and server (c-ares doubles it per round) */
	unsigned tries;	      /* rounds over the servers */
	unsigned deadline_ms; /* a whole cv_resolve(), SRV targets included */
};

/* An empty configuration with the default timeouts. Free with
 * cv_dns_config_free(). */
struct cv_dns_config *cv_dns_config_new(void);
void cv_dns_config_free(struct cv_dns_config *cfg);

/* Adds server to the forward zone (created at the end of the list if new;
 * zone names compare ignoring case). -EINVAL for a bad zone name. */
int cv_dns_config_add_server(struct cv_dns_config *cfg, const char *zone,
			     const struct cv_dns_server *server);

/* Parses a local record in its stored form: owner, type name and data
 * ("<address>", "<target>" or "<priority> <weight> <port> <target>"). */
int cv_dns_rr_parse(const char *owner, const char *type, const char *data,
		    struct cv_dns_rr *ret_rr);

/* Builds a configuration from the document's "dns" object
 * ({"forwardzones": [{"zone","server"}], "rrs": [{"owner","type","data"}]},
 * as mmpd stores it and renders it into every service's config; NULL means
 * no zones and no records). Fails closed: a bad entry gives -EINVAL and a
 * line naming it in err (when err is not NULL). */
int cv_dns_config_from_json(json_object *dns, struct cv_dns_config **ret_cfg, struct strbuf *err);

/* --- the pure rules (exported for the tests) ---------------------------------- */

/* Index of the forward zone chosen for name (longest suffix), or -1. */
int cv_dns_zone_pick(const struct cv_dns_config *cfg, const char *name);

/* True for a name this resolver accepts: 1-253 characters once a final dot
 * is removed, labels of 1-63 letters, digits, '-' or '_'. */
bool cv_dns_name_ok(const char *name);

/* A uniform 32-bit random number. */
typedef uint32_t (*cv_dns_random_fn)(void *opaque);

struct cv_dns_addr {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} u;
};

enum cv_dns_status {
	CV_DNS_OK,
	CV_DNS_NXDOMAIN,    /* the name does not exist */
	CV_DNS_NODATA,	    /* it exists but has no record of the type */
	CV_DNS_NOSERVICE,   /* SRV: the only target is "." (RFC 2782) */
	CV_DNS_SERVFAIL,    /* the server could not answer */
	CV_DNS_REFUSED,	    /* the server refused to answer */
	CV_DNS_TIMEOUT,	    /* no answer in time */
	CV_DNS_CONNREFUSED, /* nothing listens on the server's port */
	CV_DNS_BADRESP,	    /* a malformed or unusable answer */
	CV_DNS_LOOP,	    /* a CNAME chain longer than CV_DNS_CNAME_MAX */
	CV_DNS_CANCELLED,   /* the resolver was freed first */
	CV_DNS_ERROR,	    /* anything else (out of sockets...) */
};

/* The operator-facing text, for example "no such domain (NXDOMAIN)". */
const char *cv_dns_status_str(enum cv_dns_status status);

struct cv_dns_srv {
	uint16_t priority, weight, port;
	char target[CV_DNS_NAME_MAX + 1];
	/* With CV_DNS_F_ADDR4/6: the target's addresses, IPv4 first, and the
	 * outcome of their lookup (CV_DNS_OK when there is any address). */
	enum cv_dns_status status;
	size_t naddrs;
	struct cv_dns_addr addrs[2 * CV_DNS_TARGET_ADDRS_MAX];
};

/* Puts srv[0..n) in RFC 2782 order: by priority, and within a priority by
 * weighted random selection (zero weights first in the running sum).
 * rnd NULL draws from getrandom(). */
void cv_dns_srv_order(struct cv_dns_srv *srv, size_t n, cv_dns_random_fn rnd, void *opaque);

struct cv_dns_cname {
	char owner[CV_DNS_NAME_MAX + 1];
	char target[CV_DNS_NAME_MAX + 1];
};

/* The CNAME chain that starts at qname in the answer section of the DNS
 * message abuf (untrusted bytes: every length is checked, names go through
 * c-ares' ares_expand_name). At most max links go to out, in chain order.
 * -EBADMSG for a malformed message. */
int cv_dns_answer_cnames(const unsigned char *abuf, size_t alen, const char *qname,
			 struct cv_dns_cname *out, size_t max, size_t *ret_n);

/* --- the resolver ------------------------------------------------------------- */

enum cv_dns_source {
	CV_DNS_SRC_LOCAL,  /* the local records */
	CV_DNS_SRC_ZONE,   /* a forward zone's servers */
	CV_DNS_SRC_SYSTEM, /* the servers of /etc/resolv.conf */
};

/* What a lookup found. Everything it points to belongs to the resolver and
 * is valid only during the callback. */
struct cv_dns_result {
	enum cv_dns_status status;
	enum cv_dns_type type;
	const char *name;	/* as asked, without a final dot */
	/* Who answered the name asked (after local CNAMEs, the last hop). */
	enum cv_dns_source source;
	const char *zone;	/* CV_DNS_SRC_ZONE: the zone's name */
	/* ZONE and SYSTEM: the server that answered ("192.0.2.53"), or after
	 * a failure every server tried ("192.0.2.53, 192.0.2.54"). */
	const char *servers;
	/* The CNAME chain from the name asked to the name answered. */
	size_t ncnames;
	const struct cv_dns_cname *cnames;
	/* A and AAAA: the addresses, in the order of the answer. */
	size_t naddrs;
	const struct cv_dns_addr *addrs;
	/* SRV: the records in RFC 2782 order (targets "." left out). */
	size_t nsrv;
	const struct cv_dns_srv *srv;
};

typedef void (*cv_dns_cb)(void *opaque, const struct cv_dns_result *result);

struct cv_resolver;

/* Creates a resolver on loop with a copy of cfg (NULL: no zones, no records).
 * -errno style errors when c-ares cannot be initialised. */
int cv_resolver_new(uv_loop_t *loop, const struct cv_dns_config *cfg,
		    struct cv_resolver **ret_res);

/* Cancels every pending lookup (their callbacks run with CV_DNS_CANCELLED
 * before this returns) and closes every handle. The memory is released by
 * the handles' close callbacks: run the loop once more before closing it.
 * May be called from inside a result callback. */
void cv_resolver_free(struct cv_resolver *res);

/* Replaces the random source of the SRV ordering (tests). */
void cv_resolver_set_random(struct cv_resolver *res, cv_dns_random_fn rnd, void *opaque);

/* SRV lookups: also look up the targets' IPv4 / IPv6 addresses. */
#define CV_DNS_F_ADDR4 (1u << 0)
#define CV_DNS_F_ADDR6 (1u << 1)

/* Starts a lookup of name (A, AAAA or SRV). cb runs exactly once, from the
 * loop, within the deadline. -EINVAL for a bad name or type. */
int cv_resolve(struct cv_resolver *res, enum cv_dns_type type, const char *name, unsigned flags,
	       cv_dns_cb cb, void *opaque);

#endif
