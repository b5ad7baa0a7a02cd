// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The resolver (see lib/resolver.h for the rules): local records, then the
 * forward zone with the longest matching suffix, then the system resolver;
 * SRV answers in RFC 2782 order with their targets' addresses. c-ares does
 * the DNS protocol (queries, retries, TCP fallback, answer parsing); this
 * file drives it from the libuv loop and applies the appliance's rules.
 *
 * Lifetimes. A lookup (struct rop) owns a uv_timer_t: first its deadline,
 * then the zero-delay timer that delivers the result, so a result never
 * reaches the caller from inside cv_resolve() or from inside a c-ares call
 * (where freeing the resolver would pull c-ares' channel from under it).
 * Every query in flight (struct rstep) holds a reference on its lookup;
 * c-ares calls every query back exactly once (answer, timeout, or
 * ARES_EDESTRUCTION from ares_destroy()), which drops it. The resolver
 * counts its open handles and frees itself when the last one has closed
 * after cv_resolver_free().
 */
#include "config.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "lib/mem.h"
#include "lib/parse.h"
#include "lib/resolver.h"

/* Bounds of a configuration read from a document (the shell stores at most
 * 32 zone lines and 256 records; a rendered file is checked again). */
#define CFG_ZONE_LINES_MAX 64
#define CFG_RRS_MAX 1024

/* c-ares tries a server timeout_ms, then 2 * timeout_ms in the second
 * round: 3 s for the first server of a zone, the rest of the 5 s deadline
 * for the next one. */
#define DEFAULT_TIMEOUT_MS 1000
#define DEFAULT_TRIES 2

/* --- types and names ---------------------------------------------------------- */

static const char *const type_names[] = {
	[CV_DNS_A] = "A",
	[CV_DNS_AAAA] = "AAAA",
	[CV_DNS_CNAME] = "CNAME",
	[CV_DNS_SRV] = "SRV",
};

const char *cv_dns_type_name(enum cv_dns_type type)
{
	if ((size_t)type >= sizeof(type_names) / sizeof(type_names[0]))
		return "?";
	return type_names[type];
}

int cv_dns_type_parse(const char *s, enum cv_dns_type *ret_type)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		if (strcasecmp(s, type_names[i]) == 0) {
			*ret_type = (enum cv_dns_type)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool cv_dns_name_ok(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > CV_DNS_NAME_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? name[i] : '.';

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!(isalnum((unsigned char)c) || c == '-' || c == '_'))
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}

/* Copies a valid name without its final dot into out. */
static int name_norm(const char *name, char out[CV_DNS_NAME_MAX + 1])
{
	size_t len = strlen(name);

	if (!cv_dns_name_ok(name))
		return -EINVAL;
	if (name[len - 1] == '.')
		len--;
	memcpy(out, name, len);
	out[len] = '\0';
	return 0;
}

/* True when name is zone or lies below it, label-aligned, ignoring case.
 * The zone "." holds every name. */
static bool in_zone(const char *name, const char *zone)
{
	size_t nl = strlen(name), zl = strlen(zone);

	if (strcmp(zone, ".") == 0)
		return true;
	if (zl > nl || strcasecmp(name + nl - zl, zone) != 0)
		return false;
	return nl == zl || name[nl - zl - 1] == '.';
}

/* --- configuration ------------------------------------------------------------ */

struct cv_dns_config *cv_dns_config_new(void)
{
	struct cv_dns_config *cfg = xcalloc(1, sizeof(*cfg));

	cfg->timeout_ms = DEFAULT_TIMEOUT_MS;
	cfg->tries = DEFAULT_TRIES;
	cfg->deadline_ms = CV_DNS_DEADLINE_MS;
	return cfg;
}

void cv_dns_config_free(struct cv_dns_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nzones; i++)
		free(cfg->zones[i].servers);
	free(cfg->zones);
	free(cfg->rrs);
	free(cfg);
}

static struct cv_dns_config *config_copy(const struct cv_dns_config *src)
{
	struct cv_dns_config *cfg = cv_dns_config_new();

	if (!src)
		return cfg;
	cfg->timeout_ms = src->timeout_ms ? src->timeout_ms : DEFAULT_TIMEOUT_MS;
	cfg->tries = src->tries ? src->tries : DEFAULT_TRIES;
	cfg->deadline_ms = src->deadline_ms ? src->deadline_ms : CV_DNS_DEADLINE_MS;
	cfg->nzones = src->nzones;
	cfg->zones = xcalloc(src->nzones ? src->nzones : 1, sizeof(*cfg->zones));
	for (size_t i = 0; i < src->nzones; i++) {
		struct cv_dns_zone *z = &cfg->zones[i];

		*z = src->zones[i];
		z->servers = xcalloc(z->nservers ? z->nservers : 1, sizeof(*z->servers));
		if (z->nservers)
			memcpy(z->servers, src->zones[i].servers,
			       z->nservers * sizeof(*z->servers));
	}
	cfg->nrrs = src->nrrs;
	cfg->rrs = xcalloc(src->nrrs ? src->nrrs : 1, sizeof(*cfg->rrs));
	if (src->nrrs)
		memcpy(cfg->rrs, src->rrs, src->nrrs * sizeof(*cfg->rrs));
	return cfg;
}

static bool same_server(const struct cv_dns_server *a, const struct cv_dns_server *b)
{
	if (a->family != b->family || a->port != b->port)
		return false;
	if (a->family == AF_INET)
		return a->addr.v4.s_addr == b->addr.v4.s_addr;
	return memcmp(&a->addr.v6, &b->addr.v6, sizeof(a->addr.v6)) == 0;
}

int cv_dns_config_add_server(struct cv_dns_config *cfg, const char *zone,
			     const struct cv_dns_server *server)
{
	char name[CV_DNS_NAME_MAX + 1];
	struct cv_dns_zone *z = NULL;

	if (strcmp(zone, ".") == 0)
		snprintf(name, sizeof(name), ".");
	else if (name_norm(zone, name) < 0)
		return -EINVAL;
	if (server->family != AF_INET && server->family != AF_INET6)
		return -EINVAL;
	for (size_t i = 0; i < cfg->nzones; i++)
		if (strcasecmp(cfg->zones[i].name, name) == 0)
			z = &cfg->zones[i];
	if (!z) {
		cfg->zones = xrealloc(cfg->zones, (cfg->nzones + 1) * sizeof(*cfg->zones));
		z = &cfg->zones[cfg->nzones++];
		memset(z, 0, sizeof(*z));
		snprintf(z->name, sizeof(z->name), "%s", name);
	}
	for (size_t i = 0; i < z->nservers; i++)
		if (same_server(&z->servers[i], server))
			return 0;
	z->servers = xrealloc(z->servers, (z->nservers + 1) * sizeof(*z->servers));
	z->servers[z->nservers++] = *server;
	return 0;
}

int cv_dns_rr_parse(const char *owner, const char *type, const char *data,
		    struct cv_dns_rr *ret_rr)
{
	struct cv_dns_rr rr;
	char *copy = NULL, *save = NULL, *tok[5];
	size_t n = 0;
	int r = -EINVAL;

	memset(&rr, 0, sizeof(rr));
	if (strcmp(owner, "*") == 0) {
		snprintf(rr.owner, sizeof(rr.owner), "*");
	} else if (strncmp(owner, "*.", 2) == 0) {
		char rest[CV_DNS_NAME_MAX + 1];

		if (name_norm(owner + 2, rest) < 0 || strlen(rest) + 2 > CV_DNS_NAME_MAX)
			return -EINVAL;
		snprintf(rr.owner, sizeof(rr.owner), "*.%s", rest);
	} else if (name_norm(owner, rr.owner) < 0) {
		return -EINVAL;
	}
	if (cv_dns_type_parse(type, &rr.type) < 0)
		return -EINVAL;
	switch (rr.type) {
	case CV_DNS_A:
		if (cv_parse_ipv4(data, &rr.a) < 0)
			return -EINVAL;
		break;
	case CV_DNS_AAAA:
		if (inet_pton(AF_INET6, data, &rr.aaaa) != 1)
			return -EINVAL;
		break;
	case CV_DNS_CNAME:
		if (name_norm(data, rr.target) < 0)
			return -EINVAL;
		break;
	case CV_DNS_SRV:
		copy = xstrdup(data);
		for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
			if (n == 5)
				goto out;
			tok[n++] = t;
		}
		if (n != 4)
			goto out;
		for (size_t i = 0; i < 3; i++) {
			unsigned long v;

			if (cv_parse_ulong(tok[i], 0, 65535, &v) < 0)
				goto out;
			if (i == 0)
				rr.priority = (uint16_t)v;
			else if (i == 1)
				rr.weight = (uint16_t)v;
			else
				rr.port = (uint16_t)v;
		}
		/* RFC 2782: the target "." means "no such service here". */
		if (strcmp(tok[3], ".") == 0)
			snprintf(rr.target, sizeof(rr.target), ".");
		else if (name_norm(tok[3], rr.target) < 0)
			goto out;
		break;
	}
	*ret_rr = rr;
	r = 0;
out:
	free(copy);
	return r;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int parse_server(const char *s, struct cv_dns_server *ret)
{
	struct cv_dns_server sv;

	memset(&sv, 0, sizeof(sv));
	sv.port = 53;
	if (cv_parse_ipv4(s, &sv.addr.v4) == 0)
		sv.family = AF_INET;
	else if (inet_pton(AF_INET6, s, &sv.addr.v6) == 1)
		sv.family = AF_INET6;
	else
		return -EINVAL;
	*ret = sv;
	return 0;
}

/* Appends "dns: what" to err (if any); returns -EINVAL. */
static int cfg_fail(struct strbuf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int cfg_fail(struct strbuf *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -EINVAL;
	va_start(ap, fmt);
	sb_vprintf(err, fmt, ap);
	va_end(ap);
	sb_putc(err, '\n');
	return -EINVAL;
}

/* The array under key, NULL when absent; -EINVAL when it is not an array. */
static int jarray(json_object *o, const char *key, json_object **ret)
{
	json_object *v;

	*ret = NULL;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return -EINVAL;
	*ret = v;
	return 0;
}

int cv_dns_config_from_json(json_object *dns, struct cv_dns_config **ret_cfg, struct strbuf *err)
{
	struct cv_dns_config *cfg = cv_dns_config_new();
	json_object *zones = NULL, *rrs = NULL;
	size_t n;
	int r = 0;

	if (!dns || json_object_is_type(dns, json_type_null))
		goto done;
	if (!json_object_is_type(dns, json_type_object)) {
		r = cfg_fail(err, "dns: not an object");
		goto done;
	}
	if (jarray(dns, "forwardzones", &zones) < 0) {
		r = cfg_fail(err, "dns.forwardzones: not a list");
		goto done;
	}
	if (jarray(dns, "rrs", &rrs) < 0) {
		r = cfg_fail(err, "dns.rrs: not a list");
		goto done;
	}
	n = zones ? json_object_array_length(zones) : 0;
	if (n > CFG_ZONE_LINES_MAX) {
		r = cfg_fail(err, "dns.forwardzones: more than %d entries", CFG_ZONE_LINES_MAX);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(zones, i);
		bool isobj = json_object_is_type(e, json_type_object);
		const char *zone = isobj ? jstr(e, "zone") : NULL;
		const char *server = zone ? jstr(e, "server") : NULL;
		struct cv_dns_server sv;

		if (!zone || !server) {
			r = cfg_fail(err, "dns.forwardzones[%zu]: expected {\"zone\", \"server\"}",
				     i);
			goto done;
		}
		if (parse_server(server, &sv) < 0) {
			r = cfg_fail(err, "dns.forwardzones[%zu]: bad server \"%s\"", i, server);
			goto done;
		}
		if (cv_dns_config_add_server(cfg, zone, &sv) < 0) {
			r = cfg_fail(err, "dns.forwardzones[%zu]: bad zone \"%s\"", i, zone);
			goto done;
		}
	}
	n = rrs ? json_object_array_length(rrs) : 0;
	if (n > CFG_RRS_MAX) {
		r = cfg_fail(err, "dns.rrs: more than %d entries", CFG_RRS_MAX);
		goto done;
	}
	cfg->rrs = xcalloc(n ? n : 1, sizeof(*cfg->rrs));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(rrs, i);
		bool isobj = json_object_is_type(e, json_type_object);
		const char *owner = isobj ? jstr(e, "owner") : NULL;
		const char *type = isobj ? jstr(e, "type") : NULL;
		const char *data = isobj ? jstr(e, "data") : NULL;

		if (!owner || !type || !data) {
			r = cfg_fail(err, "dns.rrs[%zu]: expected {\"owner\", \"type\", \"data\"}",
				     i);
			goto done;
		}
		if (cv_dns_rr_parse(owner, type, data, &cfg->rrs[cfg->nrrs]) < 0) {
			r = cfg_fail(err, "dns.rrs[%zu]: bad record \"%s %s %s\"", i, owner, type,
				     data);
			goto done;
		}
		cfg->nrrs++;
	}
done:
	if (r < 0) {
		cv_dns_config_free(cfg);
		return r;
	}
	*ret_cfg = cfg;
	return 0;
}

int cv_dns_zone_pick(const struct cv_dns_config *cfg, const char *name)
{
	char n[CV_DNS_NAME_MAX + 1];
	size_t bestlen = 0;
	int best = -1;

	if (name_norm(name, n) < 0)
		return -1;
	for (size_t i = 0; i < cfg->nzones; i++) {
		const char *z = cfg->zones[i].name;
		size_t len = strcmp(z, ".") == 0 ? 0 : strlen(z);

		if (!in_zone(n, z))
			continue;
		if (best < 0 || len > bestlen) {
			best = (int)i;
			bestlen = len;
		}
	}
	return best;
}

/* --- RFC 2782 ordering ---------------------------------------------------------- */

static uint32_t default_random(void *opaque)
{
	uint32_t v;

	(void)opaque;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	return (uint32_t)random();
}

void cv_dns_srv_order(struct cv_dns_srv *srv, size_t n, cv_dns_random_fn rnd, void *opaque)
{
	struct cv_dns_srv tmp;

	if (!rnd)
		rnd = default_random;
	/* Stable insertion sort by priority, then within a priority the
	 * zero weights first (RFC 2782: "all those with weight 0 are placed
	 * at the beginning of the list"). n is small (CV_DNS_SRV_MAX). */
	for (size_t i = 1; i < n; i++) {
		size_t j = i;

		tmp = srv[i];
		while (j > 0 && (srv[j - 1].priority > tmp.priority ||
				 (srv[j - 1].priority == tmp.priority && srv[j - 1].weight > 0 &&
				  tmp.weight == 0))) {
			srv[j] = srv[j - 1];
			j--;
		}
		srv[j] = tmp;
	}
	for (size_t g = 0; g < n;) {
		size_t e = g;

		while (e < n && srv[e].priority == srv[g].priority)
			e++;
		/* RFC 2782: sum the weights of the records not yet ordered, pick
		 * a uniform random number in [0, sum], and take the first record
		 * whose running sum is >= that number. Moving it to the front
		 * keeps the order (zero weights first) of the rest. */
		for (size_t k = g; k + 1 < e; k++) {
			uint64_t sum = 0, running = 0, pick;
			size_t sel = k;

			for (size_t j = k; j < e; j++)
				sum += srv[j].weight;
			pick = sum ? (uint64_t)rnd(opaque) % (sum + 1) : 0;
			for (size_t j = k; j < e; j++) {
				running += srv[j].weight;
				if (running >= pick) {
					sel = j;
					break;
				}
			}
			tmp = srv[sel];
			memmove(&srv[k + 1], &srv[k], (sel - k) * sizeof(*srv));
			srv[k] = tmp;
		}
		g = e;
	}
}

/* --- status ------------------------------------------------------------------- */

static const char *const status_text[] = {
	[CV_DNS_OK] = "ok",
	[CV_DNS_NXDOMAIN] = "no such domain (NXDOMAIN)",
	[CV_DNS_NODATA] = "no records of this type (NODATA)",
	[CV_DNS_NOSERVICE] = "the service is not offered here (SRV target \".\")",
	[CV_DNS_SERVFAIL] = "the DNS server failed to answer (SERVFAIL)",
	[CV_DNS_REFUSED] = "the DNS server refused the query (REFUSED)",
	[CV_DNS_TIMEOUT] = "no answer from the DNS server (timeout)",
	[CV_DNS_CONNREFUSED] = "no DNS server at that address (connection refused)",
	[CV_DNS_BADRESP] = "malformed answer from the DNS server",
	[CV_DNS_LOOP] = "too many CNAME records in a chain",
	[CV_DNS_CANCELLED] = "the lookup was cancelled",
	[CV_DNS_ERROR] = "DNS error",
};

const char *cv_dns_status_str(enum cv_dns_status status)
{
	if ((size_t)status >= sizeof(status_text) / sizeof(status_text[0]))
		return "DNS error";
	return status_text[status];
}

/* c-ares' status codes mapped at the edge (STYLE.md: one table). */
static enum cv_dns_status from_ares(int st)
{
	switch (st) {
	case ARES_SUCCESS:
		return CV_DNS_OK;
	case ARES_ENOTFOUND:
		return CV_DNS_NXDOMAIN;
	case ARES_ENODATA:
		return CV_DNS_NODATA;
	case ARES_ESERVFAIL:
		return CV_DNS_SERVFAIL;
	case ARES_EREFUSED:
		return CV_DNS_REFUSED;
	case ARES_ETIMEOUT:
		return CV_DNS_TIMEOUT;
	case ARES_ECONNREFUSED:
		return CV_DNS_CONNREFUSED;
	case ARES_EBADRESP:
	case ARES_EFORMERR:
		return CV_DNS_BADRESP;
	case ARES_EDESTRUCTION:
	case ARES_ECANCELLED:
		return CV_DNS_CANCELLED;
	default:
		return CV_DNS_ERROR;
	}
}

/* --- the CNAME chain of an answer ------------------------------------------------ */

/* A name at p in the message (compression pointers followed by c-ares,
 * which refuses loops); its encoded length in *ret_len. */
static int expand(const unsigned char *p, const unsigned char *abuf, size_t alen,
		  char out[CV_DNS_NAME_MAX + 1], long *ret_len)
{
	char *s = NULL;
	int r;

	if (ares_expand_name(p, abuf, (int)alen, &s, ret_len) != ARES_SUCCESS)
		return -EBADMSG;
	r = strlen(s) <= CV_DNS_NAME_MAX ? 0 : -EBADMSG;
	if (r == 0)
		snprintf(out, CV_DNS_NAME_MAX + 1, "%s", s);
	ares_free_string(s);
	return r;
}

int cv_dns_answer_cnames(const unsigned char *abuf, size_t alen, const char *qname,
			 struct cv_dns_cname *out, size_t max, size_t *ret_n)
{
	struct cv_dns_cname found[CV_DNS_CNAME_MAX * 2];
	size_t nfound = 0, n = 0, p = 12;
	unsigned qd, an;
	const char *cur = qname;
	char name[CV_DNS_NAME_MAX + 1];
	long len;

	if (alen < 12 || alen > 65535)
		return -EBADMSG;
	qd = (unsigned)abuf[4] << 8 | abuf[5];
	an = (unsigned)abuf[6] << 8 | abuf[7];
	for (unsigned i = 0; i < qd; i++) {
		if (p >= alen || expand(abuf + p, abuf, alen, name, &len) < 0)
			return -EBADMSG;
		p += (size_t)len + 4; /* type, class */
		if (p > alen)
			return -EBADMSG;
	}
	for (unsigned i = 0; i < an; i++) {
		unsigned type, cls;
		size_t rdlen;

		if (p >= alen || expand(abuf + p, abuf, alen, name, &len) < 0)
			return -EBADMSG;
		p += (size_t)len;
		if (p + 10 > alen)
			return -EBADMSG;
		type = (unsigned)abuf[p] << 8 | abuf[p + 1];
		cls = (unsigned)abuf[p + 2] << 8 | abuf[p + 3];
		rdlen = (size_t)abuf[p + 8] << 8 | abuf[p + 9];
		p += 10;
		if (p + rdlen > alen)
			return -EBADMSG;
		if (type == ns_t_cname && cls == ns_c_in &&
		    nfound < sizeof(found) / sizeof(found[0])) {
			struct cv_dns_cname *c = &found[nfound];

			if (expand(abuf + p, abuf, alen, c->target, &len) < 0)
				return -EBADMSG;
			snprintf(c->owner, sizeof(c->owner), "%s", name);
			nfound++;
		}
		p += rdlen;
	}
	/* The chain from qname, whatever order the records came in; a loop
	 * ends when max links are taken. */
	while (n < max) {
		const struct cv_dns_cname *next = NULL;

		for (size_t i = 0; i < nfound && !next; i++)
			if (strcasecmp(found[i].owner, cur) == 0)
				next = &found[i];
		if (!next)
			break;
		out[n++] = *next;
		cur = next->target;
	}
	*ret_n = n;
	return 0;
}

/* --- the resolver --------------------------------------------------------------- */

/* One c-ares channel per server: the failover from one server to the next
 * is ours, so every error is reported as the server gave it (c-ares would
 * turn a REFUSED into a generic failure after trying every server) and the
 * screen can say which server answered. */
struct rchan {
	struct cv_resolver *res;
	ares_channel ch;
	uv_timer_t timer; /* ares_timeout() */
	char *server;	  /* "192.0.2.53" */
};

/* A forward zone's servers, or the system resolver's. */
struct rgroup {
	bool ready;
	const char *zone; /* the config's zone name; NULL for the system resolver */
	size_t n;
	struct rchan **chans;
};

/* One socket c-ares asked us to watch. */
struct rpoll {
	uv_poll_t h;
	struct rchan *c;
	ares_socket_t fd;
	struct rpoll *next;
};

struct cv_resolver {
	uv_loop_t *loop;
	struct cv_dns_config *cfg;
	struct rgroup *zgroups; /* per cfg zone, set up on first use */
	struct rgroup sys;	/* set up on first use */
	struct rpoll *polls;
	struct rop *ops;	/* lookups not delivered yet */
	cv_dns_random_fn rnd;
	void *rnd_opaque;
	unsigned handles;	/* open or closing uv handles */
	bool freeing;
};

/* What the address lookups of one SRV target found, per family. */
struct rtarget {
	size_t n4, n6;
	struct cv_dns_addr a4[CV_DNS_TARGET_ADDRS_MAX], a6[CV_DNS_TARGET_ADDRS_MAX];
	enum cv_dns_status st4, st6;
};

/* One cv_resolve(). */
struct rop {
	struct cv_resolver *res;
	struct rop *next;
	unsigned refs;	  /* the timer handle, and each query in flight */
	uv_timer_t timer;
	bool main_done;	  /* the name asked has its answer */
	bool done;	  /* the result is final (delivered or about to be) */
	unsigned pending; /* steps not finished */
	cv_dns_cb cb;
	void *opaque;
	unsigned flags;
	enum cv_dns_type type;
	char name[CV_DNS_NAME_MAX + 1];

	enum cv_dns_status status;
	enum cv_dns_source source;
	const char *zone;
	char servers[256];
	size_t ncnames;
	struct cv_dns_cname cnames[CV_DNS_CNAME_MAX];
	size_t naddrs;
	struct cv_dns_addr addrs[CV_DNS_ADDRS_MAX];
	size_t nsrv;
	struct cv_dns_srv srv[CV_DNS_SRV_MAX];
	struct rtarget tgt[CV_DNS_SRV_MAX];
};

/* One name and type to answer: the name asked (target -1) or one family of
 * an SRV target. */
struct rstep {
	struct rop *op;
	int target;
	enum cv_dns_type type;
	unsigned hops;	  /* CNAMEs followed */
	struct rgroup *g; /* while asking DNS: the servers, and which one */
	size_t si;
	char name[CV_DNS_NAME_MAX + 1];
};

static void group_free(struct rgroup *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->chans[i]->server);
		free(g->chans[i]);
	}
	free(g->chans);
}

static void res_maybe_free(struct cv_resolver *res)
{
	if (!res->freeing || res->handles > 0)
		return;
	for (size_t i = 0; i < res->cfg->nzones; i++)
		group_free(&res->zgroups[i]);
	group_free(&res->sys);
	free(res->zgroups);
	cv_dns_config_free(res->cfg);
	free(res);
	ares_library_cleanup();
}

static void handle_closed(uv_handle_t *h)
{
	struct cv_resolver *res = h->data;

	res->handles--;
	res_maybe_free(res);
}

static void poll_closed(uv_handle_t *h)
{
	struct rpoll *p = h->data;
	struct cv_resolver *res = p->c->res;

	free(p);
	res->handles--;
	res_maybe_free(res);
}

static void chan_timer_cb(uv_timer_t *t);

static void chan_timer_update(struct rchan *c)
{
	struct timeval tv, *tvp;
	uint64_t ms;

	if (c->res->freeing)
		return;
	tvp = ares_timeout(c->ch, NULL, &tv);
	if (!tvp) {
		uv_timer_stop(&c->timer);
		return;
	}
	ms = (uint64_t)tvp->tv_sec * 1000 + ((uint64_t)tvp->tv_usec + 999) / 1000;
	uv_timer_start(&c->timer, chan_timer_cb, ms, 0);
}

static void chan_timer_cb(uv_timer_t *t)
{
	struct rchan *c = t->data;

	ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	chan_timer_update(c);
}

static void poll_cb(uv_poll_t *h, int status, int events)
{
	struct rpoll *p = h->data;
	struct rchan *c = p->c;
	ares_socket_t fd = p->fd;

	/* p may be closed inside ares_process_fd: use only c and fd after. */
	if (status < 0)
		ares_process_fd(c->ch, fd, fd); /* let c-ares see the error */
	else
		ares_process_fd(c->ch, (events & UV_READABLE) ? fd : ARES_SOCKET_BAD,
				(events & UV_WRITABLE) ? fd : ARES_SOCKET_BAD);
	chan_timer_update(c);
}

/* c-ares opens, changes or closes a socket (ARES_OPT_SOCK_STATE_CB). It
 * calls this with (0, 0) before it closes the socket, so the poll handle is
 * gone before the descriptor number can be reused. */
static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct rchan *c = data;
	struct cv_resolver *res = c->res;
	struct rpoll **pp, *p = NULL;

	for (pp = &res->polls; *pp; pp = &(*pp)->next) {
		if ((*pp)->fd == fd) {
			p = *pp;
			break;
		}
	}
	if (!readable && !writable) {
		if (p) {
			*pp = p->next;
			uv_poll_stop(&p->h);
			uv_close((uv_handle_t *)&p->h, poll_closed);
		}
		return;
	}
	if (!p) {
		p = xcalloc(1, sizeof(*p));
		p->c = c;
		p->fd = fd;
		p->h.data = p;
		/* On failure the query is simply never answered: c-ares times
		 * it out, and the lookup's deadline bounds it anyway. */
		if (uv_poll_init(res->loop, &p->h, fd) < 0) {
			free(p);
			return;
		}
		res->handles++;
		p->next = res->polls;
		res->polls = p;
	}
	uv_poll_start(&p->h, (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0), poll_cb);
}

static char *fmt_server(int family, const void *addr, int port)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(family, addr, a, sizeof(a));
	if (port == 53 || port == 0)
		return xstrdup(a);
	if (family == AF_INET6)
		return xasprintf("[%s]:%d", a, port);
	return xasprintf("%s:%d", a, port);
}

/* A channel asking server (NULL: the servers of /etc/resolv.conf). */
static struct rchan *chan_new(struct cv_resolver *res, struct ares_addr_port_node *server)
{
	struct rchan *c = xcalloc(1, sizeof(*c));
	struct ares_options o;
	int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;

	memset(&o, 0, sizeof(o));
	o.sock_state_cb = sock_state_cb;
	o.sock_state_cb_data = c;
	o.timeout = (int)res->cfg->timeout_ms;
	o.tries = (int)res->cfg->tries;
	/* NOCHECKRESP: a SERVFAIL or REFUSED comes back to us as such. */
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOCHECKRESP;
	c->res = res;
	if (ares_init_options(&c->ch, &o, mask) != ARES_SUCCESS) {
		free(c);
		return NULL;
	}
	if (server) {
		server->next = NULL;
		if (ares_set_servers_ports(c->ch, server) != ARES_SUCCESS) {
			ares_destroy(c->ch);
			free(c);
			return NULL;
		}
		c->server = fmt_server(server->family, &server->addr, server->udp_port);
	}
	uv_timer_init(res->loop, &c->timer);
	c->timer.data = c;
	res->handles++;
	return c;
}

static void group_add(struct rgroup *g, struct rchan *c)
{
	if (!c)
		return;
	g->chans = xrealloc(g->chans, (g->n + 1) * sizeof(*g->chans));
	g->chans[g->n++] = c;
}

static void node_of(const struct cv_dns_server *s, struct ares_addr_port_node *n)
{
	memset(n, 0, sizeof(*n));
	n->family = s->family;
	if (s->family == AF_INET)
		n->addr.addr4 = s->addr.v4;
	else
		memcpy(&n->addr.addr6, &s->addr.v6, sizeof(s->addr.v6));
	n->udp_port = s->port;
	n->tcp_port = s->port;
}

/* The system resolver: c-ares reads /etc/resolv.conf into a first channel,
 * which keeps the first server; each further server gets its own. */
static void group_init_system(struct cv_resolver *res, struct rgroup *g)
{
	struct ares_addr_port_node *list = NULL, *n;
	struct rchan *first = chan_new(res, NULL);

	if (!first)
		return;
	if (ares_get_servers_ports(first->ch, &list) != ARES_SUCCESS || !list) {
		first->server = xstrdup("none");
		group_add(g, first);
		return;
	}
	n = list->next;
	list->next = NULL;
	ares_set_servers_ports(first->ch, list);
	first->server = fmt_server(list->family, &list->addr, list->udp_port);
	group_add(g, first);
	for (; n; n = n->next) {
		struct ares_addr_port_node one = *n;

		group_add(g, chan_new(res, &one));
	}
	ares_free_data(list);
}

/* The servers that answer name: its forward zone's, or the system's. */
static struct rgroup *group_for(struct cv_resolver *res, const char *name)
{
	int z = cv_dns_zone_pick(res->cfg, name);
	struct rgroup *g = z >= 0 ? &res->zgroups[z] : &res->sys;

	if (g->ready)
		return g;
	g->ready = true;
	if (z < 0) {
		group_init_system(res, g);
		return g;
	}
	g->zone = res->cfg->zones[z].name;
	for (size_t i = 0; i < res->cfg->zones[z].nservers; i++) {
		struct ares_addr_port_node node;

		node_of(&res->cfg->zones[z].servers[i], &node);
		group_add(g, chan_new(res, &node));
	}
	return g;
}

int cv_resolver_new(uv_loop_t *loop, const struct cv_dns_config *cfg, struct cv_resolver **ret_res)
{
	struct cv_resolver *res;
	int r;

	r = ares_library_init(ARES_LIB_INIT_ALL);
	if (r != ARES_SUCCESS)
		return r == ARES_ENOMEM ? -ENOMEM : -EIO;
	res = xcalloc(1, sizeof(*res));
	res->loop = loop;
	res->cfg = config_copy(cfg);
	res->zgroups = xcalloc(res->cfg->nzones ? res->cfg->nzones : 1, sizeof(*res->zgroups));
	res->rnd = default_random;
	*ret_res = res;
	return 0;
}

void cv_resolver_set_random(struct cv_resolver *res, cv_dns_random_fn rnd, void *opaque)
{
	res->rnd = rnd ? rnd : default_random;
	res->rnd_opaque = opaque;
}

static void op_unref(struct rop *op)
{
	if (--op->refs == 0)
		free(op);
}

static void op_timer_closed(uv_handle_t *h)
{
	struct rop *op = h->data;
	struct cv_resolver *res = op->res;

	op_unref(op);
	res->handles--;
	res_maybe_free(res);
}

/* Hands the result to the caller and closes the lookup. Runs only from a
 * timer callback or from cv_resolver_free(), never inside c-ares. */
static void op_deliver(struct rop *op)
{
	struct cv_dns_result r;

	op->done = true;
	for (struct rop **pp = &op->res->ops; *pp; pp = &(*pp)->next) {
		if (*pp == op) {
			*pp = op->next;
			break;
		}
	}
	uv_timer_stop(&op->timer);
	memset(&r, 0, sizeof(r));
	r.status = op->status;
	r.type = op->type;
	r.name = op->name;
	r.source = op->source;
	r.zone = op->zone;
	r.servers = op->source == CV_DNS_SRC_LOCAL ? NULL : op->servers;
	r.ncnames = op->ncnames;
	r.cnames = op->cnames;
	r.naddrs = op->naddrs;
	r.addrs = op->addrs;
	r.nsrv = op->nsrv;
	r.srv = op->srv;
	op->cb(op->opaque, &r);
	if (!uv_is_closing((uv_handle_t *)&op->timer))
		uv_close((uv_handle_t *)&op->timer, op_timer_closed);
}

static void op_deliver_cb(uv_timer_t *t)
{
	op_deliver(t->data);
}

/* A target's outcome: any address is success; otherwise the first real
 * failure of the families asked, else "no records". */
static void target_finalize(struct rop *op, size_t i)
{
	struct cv_dns_srv *s = &op->srv[i];
	struct rtarget *t = &op->tgt[i];
	enum cv_dns_status st[2] = { CV_DNS_NODATA, CV_DNS_NODATA };

	s->naddrs = 0;
	for (size_t k = 0; k < t->n4; k++)
		s->addrs[s->naddrs++] = t->a4[k];
	for (size_t k = 0; k < t->n6; k++)
		s->addrs[s->naddrs++] = t->a6[k];
	if (op->flags & CV_DNS_F_ADDR4)
		st[0] = t->st4;
	if (op->flags & CV_DNS_F_ADDR6)
		st[1] = t->st6;
	if (s->naddrs)
		s->status = CV_DNS_OK;
	else if (st[0] != CV_DNS_OK && st[0] != CV_DNS_NODATA)
		s->status = st[0];
	else if (st[1] != CV_DNS_OK && st[1] != CV_DNS_NODATA)
		s->status = st[1];
	else
		s->status = CV_DNS_NODATA;
}

static void op_finalize(struct rop *op)
{
	op->done = true;
	if (op->type == CV_DNS_SRV && op->status == CV_DNS_OK &&
	    (op->flags & (CV_DNS_F_ADDR4 | CV_DNS_F_ADDR6)))
		for (size_t i = 0; i < op->nsrv; i++)
			target_finalize(op, i);
}

/* Every step finished: deliver from the loop on its next turn. */
static void op_complete(struct rop *op)
{
	op_finalize(op);
	uv_timer_stop(&op->timer);
	uv_timer_start(&op->timer, op_deliver_cb, 0, 0);
}

static void op_deadline_cb(uv_timer_t *t)
{
	struct rop *op = t->data;

	/* Queries still in flight are left to c-ares; their answers are
	 * dropped. What is missing counts as timed out. */
	if (!op->main_done)
		op->status = CV_DNS_TIMEOUT;
	op_finalize(op);
	op_deliver(op);
}

/* The local records of name: an exact owner, else the longest wildcard
 * above it. Returns the owner as stored, or NULL. */
static const char *local_owner(const struct cv_dns_config *cfg, const char *name)
{
	const char *best = NULL;
	size_t bestlen = 0;

	for (size_t i = 0; i < cfg->nrrs; i++)
		if (strcasecmp(cfg->rrs[i].owner, name) == 0)
			return cfg->rrs[i].owner;
	for (size_t i = 0; i < cfg->nrrs; i++) {
		const char *o = cfg->rrs[i].owner, *zone;
		size_t len;

		if (o[0] != '*')
			continue;
		zone = o[1] == '\0' ? "." : o + 2;
		len = strcmp(zone, ".") == 0 ? 0 : strlen(zone);
		if (!in_zone(name, zone) || strcasecmp(name, zone) == 0)
			continue;
		if (!best || len > bestlen) {
			best = o;
			bestlen = len;
		}
	}
	return best;
}

static void add_addr(struct cv_dns_addr *arr, size_t *n, size_t max, int family, const void *a)
{
	if (*n >= max)
		return;
	arr[*n].family = family;
	if (family == AF_INET)
		memcpy(&arr[*n].u.v4, a, sizeof(arr[*n].u.v4));
	else
		memcpy(&arr[*n].u.v6, a, sizeof(arr[*n].u.v6));
	(*n)++;
}

/* Where the addresses of st go. */
static void step_addr_slot(struct rstep *st, struct cv_dns_addr **ret_arr, size_t **ret_n,
			   size_t *ret_max)
{
	struct rop *op = st->op;

	if (st->target < 0) {
		*ret_arr = op->addrs;
		*ret_n = &op->naddrs;
		*ret_max = CV_DNS_ADDRS_MAX;
	} else if (st->type == CV_DNS_A) {
		*ret_arr = op->tgt[st->target].a4;
		*ret_n = &op->tgt[st->target].n4;
		*ret_max = CV_DNS_TARGET_ADDRS_MAX;
	} else {
		*ret_arr = op->tgt[st->target].a6;
		*ret_n = &op->tgt[st->target].n6;
		*ret_max = CV_DNS_TARGET_ADDRS_MAX;
	}
}

static void add_srv(struct rop *op, uint16_t prio, uint16_t weight, uint16_t port,
		    const char *target, bool *saw_dot)
{
	struct cv_dns_srv *s;

	if (target[0] == '\0' || strcmp(target, ".") == 0) {
		*saw_dot = true;
		return;
	}
	if (op->nsrv >= CV_DNS_SRV_MAX || !cv_dns_name_ok(target))
		return;
	s = &op->srv[op->nsrv++];
	memset(s, 0, sizeof(*s));
	s->priority = prio;
	s->weight = weight;
	s->port = port;
	name_norm(target, s->target);
}

static void step_run(struct rstep *st);
static void ares_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen);

static void step_start(struct rop *op, int target, enum cv_dns_type type, const char *name)
{
	struct rstep *st = xcalloc(1, sizeof(*st));

	st->op = op;
	st->target = target;
	st->type = type;
	snprintf(st->name, sizeof(st->name), "%s", name);
	op->pending++;
	step_run(st);
}

/* The name asked has an SRV answer: order it and look up the targets. */
static void srv_answered(struct rop *op, bool saw_dot)
{
	unsigned fl = op->flags;

	if (op->nsrv == 0) {
		op->status = saw_dot ? CV_DNS_NOSERVICE : CV_DNS_NODATA;
		return;
	}
	cv_dns_srv_order(op->srv, op->nsrv, op->res->rnd, op->res->rnd_opaque);
	for (size_t i = 0; i < op->nsrv; i++) {
		/* Still missing when the deadline comes: timed out. */
		op->tgt[i].st4 = op->tgt[i].st6 = CV_DNS_TIMEOUT;
		if (fl & CV_DNS_F_ADDR4)
			step_start(op, (int)i, CV_DNS_A, op->srv[i].target);
		if (fl & CV_DNS_F_ADDR6)
			step_start(op, (int)i, CV_DNS_AAAA, op->srv[i].target);
	}
}

/* A step has its outcome (its data already stored). The caller frees it. */
static void step_finish(struct rstep *st, enum cv_dns_status status, bool saw_dot)
{
	struct rop *op = st->op;

	if (st->target < 0) {
		op->main_done = true;
		op->status = status;
		if (status == CV_DNS_OK && op->type == CV_DNS_SRV)
			srv_answered(op, saw_dot); /* may start more steps */
	} else if (st->type == CV_DNS_A) {
		op->tgt[st->target].st4 = status;
	} else {
		op->tgt[st->target].st6 = status;
	}
	if (--op->pending == 0)
		op_complete(op);
}

/* Answers st from the local records if its name owns any; true if so.
 * A local CNAME changes st's name and sets *ret_follow instead. */
static bool step_local(struct rstep *st, bool *ret_follow)
{
	struct rop *op = st->op;
	const struct cv_dns_config *cfg = op->res->cfg;
	const struct cv_dns_rr *cname = NULL;
	const char *owner = local_owner(cfg, st->name);
	struct cv_dns_addr *arr;
	size_t *n, max;
	bool found = false, saw_dot = false;

	*ret_follow = false;
	if (!owner)
		return false;
	if (st->target < 0) {
		op->source = CV_DNS_SRC_LOCAL;
		op->zone = NULL;
	}
	step_addr_slot(st, &arr, &n, &max);
	for (size_t i = 0; i < cfg->nrrs; i++) {
		const struct cv_dns_rr *rr = &cfg->rrs[i];

		if (strcasecmp(rr->owner, owner) != 0)
			continue;
		if (rr->type == CV_DNS_CNAME && !cname)
			cname = rr;
		if (rr->type != st->type)
			continue;
		found = true;
		if (rr->type == CV_DNS_A)
			add_addr(arr, n, max, AF_INET, &rr->a);
		else if (rr->type == CV_DNS_AAAA)
			add_addr(arr, n, max, AF_INET6, &rr->aaaa);
		else if (rr->type == CV_DNS_SRV)
			add_srv(op, rr->priority, rr->weight, rr->port, rr->target, &saw_dot);
	}
	if (found) {
		step_finish(st, CV_DNS_OK, saw_dot);
		return true;
	}
	if (!cname) {
		step_finish(st, CV_DNS_NODATA, false);
		return true;
	}
	if (st->hops >= CV_DNS_CNAME_MAX) {
		step_finish(st, CV_DNS_LOOP, false);
		return true;
	}
	if (st->target < 0 && op->ncnames < CV_DNS_CNAME_MAX) {
		struct cv_dns_cname *c = &op->cnames[op->ncnames++];

		snprintf(c->owner, sizeof(c->owner), "%s", st->name);
		snprintf(c->target, sizeof(c->target), "%s", cname->target);
	}
	st->hops++;
	snprintf(st->name, sizeof(st->name), "%s", cname->target);
	*ret_follow = true;
	return false;
}

/* Stores the DNS answer of st; returns its status. */
static enum cv_dns_status step_parse(struct rstep *st, const unsigned char *abuf, int alen,
				     bool *saw_dot)
{
	struct rop *op = st->op;
	struct cv_dns_addr *arr;
	size_t *n, max, before;
	int r;

	if (st->type == CV_DNS_SRV) {
		struct ares_srv_reply *list = NULL;

		r = ares_parse_srv_reply(abuf, alen, &list);
		if (r != ARES_SUCCESS)
			return from_ares(r);
		for (struct ares_srv_reply *s = list; s; s = s->next)
			add_srv(op, s->priority, s->weight, s->port, s->host, saw_dot);
		ares_free_data(list);
		return CV_DNS_OK;
	}
	step_addr_slot(st, &arr, &n, &max);
	before = *n;
	if (st->type == CV_DNS_A) {
		struct ares_addrttl ttl[CV_DNS_ADDRS_MAX];
		int cnt = (int)max;

		r = ares_parse_a_reply(abuf, alen, NULL, ttl, &cnt);
		if (r != ARES_SUCCESS)
			return from_ares(r);
		for (int i = 0; i < cnt; i++)
			add_addr(arr, n, max, AF_INET, &ttl[i].ipaddr);
	} else {
		struct ares_addr6ttl ttl[CV_DNS_ADDRS_MAX];
		int cnt = (int)max;

		r = ares_parse_aaaa_reply(abuf, alen, NULL, ttl, &cnt);
		if (r != ARES_SUCCESS)
			return from_ares(r);
		for (int i = 0; i < cnt; i++)
			add_addr(arr, n, max, AF_INET6, &ttl[i].ip6addr);
	}
	/* The CNAME chain inside the answer, for the screen. */
	if (st->target < 0) {
		size_t nc = 0;

		if (cv_dns_answer_cnames(abuf, (size_t)alen, st->name, op->cnames + op->ncnames,
					 CV_DNS_CNAME_MAX - op->ncnames, &nc) == 0)
			op->ncnames += nc;
	}
	return *n > before ? CV_DNS_OK : CV_DNS_NODATA;
}

/* Statuses after which the next server of the zone is asked. */
static bool try_next_server(enum cv_dns_status s)
{
	return s == CV_DNS_TIMEOUT || s == CV_DNS_CONNREFUSED || s == CV_DNS_SERVFAIL ||
	       s == CV_DNS_REFUSED || s == CV_DNS_BADRESP || s == CV_DNS_ERROR;
}

static void step_query(struct rstep *st)
{
	static const int qtypes[] = {
		[CV_DNS_A] = ns_t_a,
		[CV_DNS_AAAA] = ns_t_aaaa,
		[CV_DNS_CNAME] = ns_t_cname,
		[CV_DNS_SRV] = ns_t_srv,
	};
	struct rchan *c = st->g->chans[st->si];

	/* May call ares_cb at once (no servers...): st is not touched after. */
	ares_query(c->ch, st->name, ns_c_in, qtypes[st->type], ares_cb, st);
	chan_timer_update(c);
}

static void ares_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct rstep *st = arg;
	struct rop *op = st->op;
	struct rchan *c = st->g->chans[st->si];
	bool saw_dot = false;

	(void)timeouts;
	if (!op->done) {
		enum cv_dns_status s = from_ares(status);

		if (s == CV_DNS_OK)
			s = step_parse(st, abuf, alen, &saw_dot);
		if (try_next_server(s) && st->si + 1 < st->g->n) {
			st->si++;
			if (st->target < 0) {
				size_t len = strlen(op->servers);

				snprintf(op->servers + len, sizeof(op->servers) - len, ", %s",
					 st->g->chans[st->si]->server);
			}
			step_query(st); /* keeps st and its reference */
			return;
		}
		/* An answer names the server that gave it; a failure lists
		 * every server tried. */
		if (st->target < 0 && !try_next_server(s))
			snprintf(op->servers, sizeof(op->servers), "%s", c->server);
		step_finish(st, s, saw_dot);
	}
	free(st);
	op_unref(op);
}

static void step_run(struct rstep *st)
{
	struct rop *op = st->op;
	bool follow;

	do {
		if (step_local(st, &follow)) {
			free(st);
			return;
		}
	} while (follow);
	st->g = group_for(op->res, st->name);
	st->si = 0;
	if (st->target < 0) {
		op->source = st->g->zone ? CV_DNS_SRC_ZONE : CV_DNS_SRC_SYSTEM;
		op->zone = st->g->zone;
		snprintf(op->servers, sizeof(op->servers), "%s",
			 st->g->n ? st->g->chans[0]->server : "none");
	}
	if (st->g->n == 0) {
		step_finish(st, CV_DNS_ERROR, false);
		free(st);
		return;
	}
	op->refs++;
	step_query(st);
}

int cv_resolve(struct cv_resolver *res, enum cv_dns_type type, const char *name, unsigned flags,
	       cv_dns_cb cb, void *opaque)
{
	struct rop *op;

	if (res->freeing)
		return -ECANCELED;
	if (type != CV_DNS_A && type != CV_DNS_AAAA && type != CV_DNS_SRV)
		return -EINVAL;
	op = xcalloc(1, sizeof(*op));
	if (name_norm(name, op->name) < 0) {
		free(op);
		return -EINVAL;
	}
	op->res = res;
	op->refs = 1;
	op->cb = cb;
	op->opaque = opaque;
	op->flags = type == CV_DNS_SRV ? flags : 0;
	op->type = type;
	op->status = CV_DNS_TIMEOUT;
	op->next = res->ops;
	res->ops = op;
	uv_timer_init(res->loop, &op->timer);
	op->timer.data = op;
	res->handles++;
	uv_timer_start(&op->timer, op_deadline_cb, res->cfg->deadline_ms, 0);
	/* The lookup counts as one step until it has started all its own, so
	 * local answers found on the way cannot complete it early. */
	op->pending = 1;
	step_start(op, -1, type, op->name);
	if (--op->pending == 0)
		op_complete(op);
	return 0;
}

static void group_close(struct rgroup *g)
{
	for (size_t i = 0; i < g->n; i++) {
		struct rchan *c = g->chans[i];

		/* Calls back every query (ARES_EDESTRUCTION) and closes its
		 * sockets through sock_state_cb. */
		ares_destroy(c->ch);
		uv_timer_stop(&c->timer);
		c->timer.data = c->res;
		uv_close((uv_handle_t *)&c->timer, handle_closed);
	}
}

void cv_resolver_free(struct cv_resolver *res)
{
	if (!res || res->freeing)
		return;
	res->freeing = true;
	while (res->ops) {
		struct rop *op = res->ops;

		/* A result already complete (waiting for its zero-delay timer)
		 * is delivered as it is. */
		if (!op->done) {
			op->status = CV_DNS_CANCELLED;
			op->main_done = true;
			op_finalize(op);
		}
		op_deliver(op); /* unlinks it */
	}
	for (size_t i = 0; i < res->cfg->nzones; i++)
		group_close(&res->zgroups[i]);
	group_close(&res->sys);
	while (res->polls) {
		struct rpoll *p = res->polls;

		res->polls = p->next;
		uv_poll_stop(&p->h);
		uv_close((uv_handle_t *)&p->h, poll_closed);
	}
	res_maybe_free(res);
}
