// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the resolver (lib/resolver.h): name checks, the choice of
 * the forward zone by longest suffix, record parsing, the configuration
 * read from the document, the RFC 2782 order with an injected random
 * source, answers from local records (no query sent), and real lookups
 * through c-ares on the libuv loop against two small DNS responders on
 * 127.0.0.1 that run on the same loop: A, AAAA, SRV with the targets'
 * addresses, a CNAME chain, NXDOMAIN, REFUSED, SERVFAIL, a timeout, a
 * closed port, and cancellation when the resolver is freed. Traffic stays
 * on loopback.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "lib/mem.h"
#include "lib/resolver.h"
#include "lib/strbuf.h"
#include "tests/unit/tap.h"

/* --- a tiny DNS responder on 127.0.0.1 ---------------------------------------- */

enum behave { ANSWER, NXDOMAIN, REFUSE, SERVFAIL_, DROP };

struct canned {
	const char *qname;
	int qtype;
	enum behave how;
	const char *records; /* "owner TYPE data;owner TYPE data" */
};

struct responder {
	uv_udp_t h;
	uint16_t port;
	const struct canned *table;
	size_t ntable;
	unsigned queries;
};

static void put16(struct strbuf *sb, unsigned v)
{
	sb_putc(sb, (char)(v >> 8));
	sb_putc(sb, (char)(v & 0xff));
}

static void put_name(struct strbuf *sb, const char *name)
{
	const char *p = name;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		sb_putc(sb, (char)len);
		sb_put(sb, p, len);
		p += len;
		if (*p == '.')
			p++;
	}
	sb_putc(sb, 0);
}

/* Appends one record "owner TYPE data" in wire form. */
static void put_record(struct strbuf *sb, const char *text)
{
	char owner[256], type[16], data[256];
	struct strbuf rd = STRBUF_INIT;
	unsigned t = 0;

	if (sscanf(text, "%255s %15s %255[^\n]", owner, type, data) != 3)
		abort();
	if (strcmp(type, "A") == 0) {
		struct in_addr a;

		t = 1;
		inet_pton(AF_INET, data, &a);
		sb_put(&rd, (const char *)&a, 4);
	} else if (strcmp(type, "AAAA") == 0) {
		struct in6_addr a;

		t = 28;
		inet_pton(AF_INET6, data, &a);
		sb_put(&rd, (const char *)&a, 16);
	} else if (strcmp(type, "CNAME") == 0) {
		t = 5;
		put_name(&rd, data);
	} else if (strcmp(type, "SRV") == 0) {
		unsigned prio, weight, port;
		char target[256];

		t = 33;
		if (sscanf(data, "%u %u %u %255s", &prio, &weight, &port, target) != 4)
			abort();
		put16(&rd, prio);
		put16(&rd, weight);
		put16(&rd, port);
		put_name(&rd, strcmp(target, ".") == 0 ? "" : target);
	} else {
		abort();
	}
	put_name(sb, owner);
	put16(sb, t);
	put16(sb, 1);	 /* IN */
	put16(sb, 0);	 /* TTL */
	put16(sb, 60);
	put16(sb, (unsigned)rd.len);
	sb_put(sb, rd.buf, rd.len);
	sb_free(&rd);
}

static void resp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	static char mem[2048];

	(void)h;
	(void)hint;
	buf->base = mem;
	buf->len = sizeof(mem);
}

static void resp_sent(uv_udp_send_t *req, int status)
{
	(void)status;
	free(req->data);
	free(req);
}

static void resp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
		      unsigned flags)
{
	struct responder *rs = h->data;
	const unsigned char *q = (const unsigned char *)buf->base;
	char qname[256] = "";
	size_t off = 12, qlen = 0, qend;
	int qtype;
	const struct canned *c = NULL;
	struct strbuf out = STRBUF_INIT;
	unsigned rcode = 0, ancount = 0;
	uv_udp_send_t *req;
	uv_buf_t b;

	(void)flags;
	if (nread < 17 || !from)
		return;
	while (off < (size_t)nread && q[off] != 0) {
		size_t l = q[off];

		if (l > 63 || off + 1 + l >= (size_t)nread || qlen + l + 2 > sizeof(qname))
			return;
		if (qlen)
			qname[qlen++] = '.';
		for (size_t i = 0; i < l; i++)
			qname[qlen++] = (char)tolower(q[off + 1 + i]);
		qname[qlen] = '\0';
		off += 1 + l;
	}
	qend = off + 5;
	if (qend > (size_t)nread)
		return;
	qtype = (q[off + 1] << 8) | q[off + 2];
	rs->queries++;
	for (size_t i = 0; i < rs->ntable; i++)
		if (strcmp(rs->table[i].qname, qname) == 0 && rs->table[i].qtype == qtype)
			c = &rs->table[i];
	if (!c)
		rcode = 3; /* unknown names do not exist */
	else if (c->how == DROP)
		return;
	else if (c->how == NXDOMAIN)
		rcode = 3;
	else if (c->how == REFUSE)
		rcode = 5;
	else if (c->how == SERVFAIL_)
		rcode = 2;
	sb_put(&out, (const char *)q, 2); /* id */
	put16(&out, 0x8180 | rcode);	   /* QR RD RA */
	put16(&out, 1);
	put16(&out, 0); /* ancount, patched below */
	put16(&out, 0);
	put16(&out, 0);
	sb_put(&out, (const char *)q + 12, qend - 12);
	if (c && c->how == ANSWER && c->records) {
		char *copy = xstrdup(c->records), *save = NULL;

		for (char *r = strtok_r(copy, ";", &save); r; r = strtok_r(NULL, ";", &save)) {
			put_record(&out, r);
			ancount++;
		}
		free(copy);
	}
	out.buf[6] = (char)(ancount >> 8);
	out.buf[7] = (char)(ancount & 0xff);
	req = xcalloc(1, sizeof(*req));
	req->data = out.buf;
	b = uv_buf_init(out.buf, (unsigned)out.len);
	if (uv_udp_send(req, h, &b, 1, from, resp_sent) < 0)
		resp_sent(req, 0);
}

static void responder_start(uv_loop_t *loop, struct responder *rs, const struct canned *table,
			    size_t n)
{
	struct sockaddr_in sa;
	int len = sizeof(sa);

	memset(rs, 0, sizeof(*rs));
	rs->table = table;
	rs->ntable = n;
	uv_udp_init(loop, &rs->h);
	rs->h.data = rs;
	uv_ip4_addr("127.0.0.1", 0, &sa);
	if (uv_udp_bind(&rs->h, (const struct sockaddr *)&sa, 0) < 0)
		abort();
	uv_udp_getsockname(&rs->h, (struct sockaddr *)&sa, &len);
	rs->port = ntohs(sa.sin_port);
	uv_udp_recv_start(&rs->h, resp_alloc, resp_recv);
}

/* --- running lookups and rendering results ------------------------------------- */

struct capture {
	bool done;
	unsigned calls;
	struct strbuf text;
	char servers[256];
};

static void fmt_addr(struct strbuf *sb, const char *owner, const struct cv_dns_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(a->family, &a->u, buf, sizeof(buf));
	sb_printf(sb, "; %s %s %s", owner, a->family == AF_INET ? "A" : "AAAA", buf);
}

/* "STATUS source; records..." in a compact form for comparisons. */
static void capture_cb(void *opaque, const struct cv_dns_result *r)
{
	struct capture *cap = opaque;
	const char *owner = r->name;

	cap->done = true;
	cap->calls++;
	snprintf(cap->servers, sizeof(cap->servers), "%s", r->servers ? r->servers : "-");
	sb_reset(&cap->text);
	sb_printf(&cap->text, "%s %s", cv_dns_status_str(r->status),
		  r->source == CV_DNS_SRC_LOCAL ? "local"
		  : r->source == CV_DNS_SRC_ZONE ? r->zone
						  : "system");
	for (size_t i = 0; i < r->ncnames; i++) {
		sb_printf(&cap->text, "; %s CNAME %s", r->cnames[i].owner, r->cnames[i].target);
		owner = r->cnames[i].target;
	}
	for (size_t i = 0; i < r->naddrs; i++)
		fmt_addr(&cap->text, owner, &r->addrs[i]);
	for (size_t i = 0; i < r->nsrv; i++) {
		const struct cv_dns_srv *s = &r->srv[i];

		sb_printf(&cap->text, "; SRV %u %u %u %s", s->priority, s->weight, s->port,
			  s->target);
		for (size_t k = 0; k < s->naddrs; k++)
			fmt_addr(&cap->text, s->target, &s->addrs[k]);
		if (s->status != CV_DNS_OK)
			sb_printf(&cap->text, " (%s)", cv_dns_status_str(s->status));
	}
}

/* Looks name up and runs the loop until the result (bounded by the
 * resolver's deadline; the count is a second guard). */
static struct capture cap;

static const char *lookup(uv_loop_t *loop, struct cv_resolver *res, enum cv_dns_type type,
			  const char *name, unsigned flags)
{
	int r;

	sb_free(&cap.text);
	memset(&cap, 0, sizeof(cap));
	r = cv_resolve(res, type, name, flags, capture_cb, &cap);
	if (r < 0)
		return "cv_resolve failed";
	for (int i = 0; i < 100000 && !cap.done; i++)
		uv_run(loop, UV_RUN_ONCE);
	return cap.done ? sb_str(&cap.text) : "no result";
}

/* Runs the pending close callbacks (the responders stay active, so the
 * loop would not end by itself). */
static void settle(uv_loop_t *loop)
{
	for (int i = 0; i < 10; i++)
		uv_run(loop, UV_RUN_NOWAIT);
}

static void resolver_done(uv_loop_t *loop, struct cv_resolver *res)
{
	cv_resolver_free(res);
	settle(loop);
}

/* --- pure rules ------------------------------------------------------------------ */

static void test_names(void)
{
	char long_label[70], long_name[300];

	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	for (int i = 0; i < 64; i++)
		memcpy(long_name + 4 * i, "abc.", 4);
	long_name[256] = '\0'; /* 256 characters */
	ok(cv_dns_name_ok("example.com"), "a plain name is accepted");
	ok(cv_dns_name_ok("example.com."), "a final dot is accepted");
	ok(cv_dns_name_ok("_xmpp-component._tcp.example.com"), "SRV owners are accepted");
	ok(!cv_dns_name_ok(""), "the empty name is refused");
	ok(!cv_dns_name_ok("."), "the root alone is refused");
	ok(!cv_dns_name_ok("a..b"), "an empty label is refused");
	ok(!cv_dns_name_ok("a b"), "a space is refused");
	ok(!cv_dns_name_ok(long_label), "a 64-character label is refused");
	ok(!cv_dns_name_ok(long_name), "a name over 253 characters is refused");
}

static void test_zone_pick(void)
{
	struct cv_dns_config *cfg = cv_dns_config_new();
	struct cv_dns_server sv = { .family = AF_INET, .port = 53 };

	inet_pton(AF_INET, "192.0.2.53", &sv.addr.v4);
	is_int(cv_dns_zone_pick(cfg, "example.com"), -1, "no zones: no match");
	cv_dns_config_add_server(cfg, ".", &sv);
	cv_dns_config_add_server(cfg, "example.com", &sv);
	cv_dns_config_add_server(cfg, "Sub.Example.COM.", &sv);
	cv_dns_config_add_server(cfg, "example.com", &sv); /* a duplicate */
	is_int(cfg->nzones, 3, "servers of one zone share it");
	is_int(cfg->zones[1].nservers, 1, "a duplicate server is kept once");
	is_str(cfg->zones[2].name, "Sub.Example.COM", "the final dot is dropped");
	is_int(cv_dns_zone_pick(cfg, "www.sub.example.com"), 2, "the longest suffix wins");
	is_int(cv_dns_zone_pick(cfg, "SUB.example.com."), 2, "the zone itself, any case");
	is_int(cv_dns_zone_pick(cfg, "www.example.com"), 1, "a shorter zone");
	is_int(cv_dns_zone_pick(cfg, "notexample.com"), 0, "suffixes match whole labels");
	is_int(cv_dns_zone_pick(cfg, "example.org"), 0, "\".\" covers the rest");
	ok(cv_dns_config_add_server(cfg, "a..b", &sv) == -EINVAL, "a bad zone is refused");
	cv_dns_config_free(cfg);
}

static void test_rr_parse(void)
{
	struct cv_dns_rr rr;

	ok(cv_dns_rr_parse("edge.cms.demo", "A", "192.0.2.80", &rr) == 0 && rr.type == CV_DNS_A,
	   "an A record");
	ok(cv_dns_rr_parse("v6.cms.demo.", "aaaa", "2001:db8::1", &rr) == 0 &&
		   strcmp(rr.owner, "v6.cms.demo") == 0,
	   "an AAAA record, any case, final dot dropped");
	ok(cv_dns_rr_parse("_x._tcp.cms.demo", "SRV", "10 60 5223 xmpp.cms.demo", &rr) == 0 &&
		   rr.priority == 10 && rr.weight == 60 && rr.port == 5223 &&
		   strcmp(rr.target, "xmpp.cms.demo") == 0,
	   "an SRV record");
	ok(cv_dns_rr_parse("_x._tcp.cms.demo", "SRV", "0 0 0 .", &rr) == 0 &&
		   strcmp(rr.target, ".") == 0,
	   "an SRV record with target \".\"");
	ok(cv_dns_rr_parse("*.cms.demo", "CNAME", "edge.cms.demo", &rr) == 0, "a wildcard");
	ok(cv_dns_rr_parse("edge.cms.demo", "A", "192.0.2", &rr) < 0, "a bad address");
	ok(cv_dns_rr_parse("edge.cms.demo", "MX", "10 mx", &rr) < 0, "an unknown type");
	ok(cv_dns_rr_parse("_x._tcp", "SRV", "10 60 65536 x", &rr) < 0, "a port over 65535");
	ok(cv_dns_rr_parse("_x._tcp", "SRV", "10 60 5223", &rr) < 0, "a missing SRV target");
	ok(cv_dns_rr_parse("a*.cms.demo", "A", "192.0.2.1", &rr) < 0, "a '*' inside a label");
}

static void test_config_json(void)
{
	struct cv_dns_config *cfg = NULL;
	struct strbuf err = STRBUF_INIT;
	json_object *doc = json_tokener_parse(
		"{\"forwardzones\":[{\"zone\":\".\",\"server\":\"192.0.2.53\"},"
		"{\"zone\":\"cms.demo\",\"server\":\"192.0.2.54\"},"
		"{\"zone\":\"cms.demo\",\"server\":\"2001:db8::53\"}],"
		"\"rrs\":[{\"owner\":\"edge.cms.demo\",\"type\":\"A\",\"data\":\"192.0.2.80\"}]}");

	ok(cv_dns_config_from_json(doc, &cfg, &err) == 0, "a stored dns object is read");
	ok(cfg && cfg->nzones == 2 && cfg->zones[1].nservers == 2 &&
		   cfg->zones[1].servers[1].family == AF_INET6 && cfg->nrrs == 1,
	   "its zones, servers and records");
	cv_dns_config_free(cfg);
	json_object_put(doc);

	ok(cv_dns_config_from_json(NULL, &cfg, &err) == 0 && cfg->nzones == 0,
	   "no dns object: an empty configuration");
	cv_dns_config_free(cfg);

	doc = json_tokener_parse("{\"forwardzones\":[{\"zone\":\"x\",\"server\":\"dns.x\"}]}");
	ok(cv_dns_config_from_json(doc, &cfg, &err) == -EINVAL, "a bad server fails closed");
	is_str(sb_str(&err), "dns.forwardzones[0]: bad server \"dns.x\"\n", "and says which");
	json_object_put(doc);
	sb_reset(&err);
	doc = json_tokener_parse("{\"rrs\":[{\"owner\":\"x\",\"type\":\"A\",\"data\":\"1.2\"}]}");
	ok(cv_dns_config_from_json(doc, &cfg, &err) == -EINVAL, "a bad record fails closed");
	is_str(sb_str(&err), "dns.rrs[0]: bad record \"x A 1.2\"\n", "and says which");
	json_object_put(doc);
	sb_reset(&err);
	doc = json_tokener_parse("{\"rrs\":{}}");
	ok(cv_dns_config_from_json(doc, &cfg, &err) == -EINVAL, "a record list that is not a list");
	json_object_put(doc);
	sb_free(&err);
}

/* A random source that returns the numbers it is given, in turn. */
struct seq {
	const uint32_t *v;
	size_t n, i;
};

static uint32_t seq_next(void *opaque)
{
	struct seq *s = opaque;
	uint32_t v = s->v[s->i % s->n];

	s->i++;
	return v;
}

static void srv_set(struct cv_dns_srv *s, uint16_t prio, uint16_t weight, const char *target)
{
	memset(s, 0, sizeof(*s));
	s->priority = prio;
	s->weight = weight;
	s->port = 5223;
	snprintf(s->target, sizeof(s->target), "%s", target);
}

static const char *srv_names(const struct cv_dns_srv *s, size_t n)
{
	static char buf[256];

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strncat(buf, " ", sizeof(buf) - strlen(buf) - 1);
		strncat(buf, s[i].target, sizeof(buf) - strlen(buf) - 1);
	}
	return buf;
}

static void test_srv_order(void)
{
	struct cv_dns_srv s[4];
	uint32_t zero = 0, sixty = 60, sixtyone = 61;
	struct seq q = { &zero, 1, 0 };
	unsigned first_a = 0;

	/* Priority first, whatever the weights. */
	srv_set(&s[0], 20, 0, "c");
	srv_set(&s[1], 10, 60, "a");
	srv_set(&s[2], 10, 20, "b");
	srv_set(&s[3], 5, 0, "d");
	cv_dns_srv_order(s, 4, seq_next, &q);
	is_str(srv_names(s, 4), "d a b c", "priority ascending; random 0 picks the first weight");

	/* RFC 2782: random number in [0, sum]; the first running sum >= it. */
	q.v = &sixty;
	srv_set(&s[0], 10, 60, "a");
	srv_set(&s[1], 10, 20, "b");
	cv_dns_srv_order(s, 2, seq_next, &q);
	is_str(srv_names(s, 2), "a b", "60 of 80: the running sum of a (60) covers it");
	q.v = &sixtyone;
	srv_set(&s[0], 10, 60, "a");
	srv_set(&s[1], 10, 20, "b");
	cv_dns_srv_order(s, 2, seq_next, &q);
	is_str(srv_names(s, 2), "b a", "61 of 80: b's running sum (80) is the first to cover it");

	/* Every number of [0, 80] once: a is first 61 times, b 20 times. */
	for (uint32_t v = 0; v <= 80; v++) {
		q.v = &v;
		q.i = 0;
		srv_set(&s[0], 10, 60, "a");
		srv_set(&s[1], 10, 20, "b");
		cv_dns_srv_order(s, 2, seq_next, &q);
		first_a += strcmp(s[0].target, "a") == 0;
	}
	is_int(first_a, 61, "weights 60:20 give a the first place 61 times in 81");

	/* Zero weights go first in the running sum: chosen only by 0. */
	q.v = &zero;
	srv_set(&s[0], 1, 10, "y");
	srv_set(&s[1], 1, 0, "x");
	cv_dns_srv_order(s, 2, seq_next, &q);
	is_str(srv_names(s, 2), "x y", "a zero weight is placed first and taken by 0");
	q.v = &sixty;
	srv_set(&s[0], 1, 10, "y");
	srv_set(&s[1], 1, 0, "x");
	cv_dns_srv_order(s, 2, seq_next, &q);
	is_str(srv_names(s, 2), "y x", "otherwise the weighted record comes first");
	srv_set(&s[0], 1, 0, "p");
	srv_set(&s[1], 1, 0, "q");
	srv_set(&s[2], 1, 0, "r");
	cv_dns_srv_order(s, 3, NULL, NULL);
	is_str(srv_names(s, 3), "p q r", "all weights zero: the order of the answer");
}

/* --- lookups ----------------------------------------------------------------------- */

static void add_rr(struct cv_dns_config *cfg, const char *owner, const char *type,
		   const char *data)
{
	cfg->rrs = xrealloc(cfg->rrs, (cfg->nrrs + 1) * sizeof(*cfg->rrs));
	if (cv_dns_rr_parse(owner, type, data, &cfg->rrs[cfg->nrrs]) < 0)
		abort();
	cfg->nrrs++;
}

static void add_zone(struct cv_dns_config *cfg, const char *zone, uint16_t port)
{
	struct cv_dns_server sv = { .family = AF_INET, .port = port };

	inet_pton(AF_INET, "127.0.0.1", &sv.addr.v4);
	if (cv_dns_config_add_server(cfg, zone, &sv) < 0)
		abort();
}

static const struct canned table1[] = {
	{ "www.example.com", 1, ANSWER, "www.example.com A 192.0.2.10" },
	{ "www.example.com", 28, ANSWER, "www.example.com AAAA 2001:db8::10" },
	{ "www.sub.example.com", 1, ANSWER, "www.sub.example.com A 192.0.2.99" },
	{ "alias.example.com", 1, ANSWER,
	  "alias.example.com CNAME mid.example.com;mid.example.com CNAME www.example.com;"
	  "www.example.com A 192.0.2.10" },
	{ "_xmpp-component._tcp.example.com", 33, ANSWER,
	  "_xmpp-component._tcp.example.com SRV 20 0 5223 xmpp3.example.com;"
	  "_xmpp-component._tcp.example.com SRV 10 60 5223 xmpp1.example.com;"
	  "_xmpp-component._tcp.example.com SRV 10 20 5224 xmpp2.example.com" },
	{ "xmpp1.example.com", 1, ANSWER, "xmpp1.example.com A 192.0.2.11" },
	{ "xmpp1.example.com", 28, ANSWER, "xmpp1.example.com AAAA 2001:db8::11" },
	{ "xmpp2.example.com", 1, ANSWER, "xmpp2.example.com A 192.0.2.12" },
	{ "xmpp2.example.com", 28, ANSWER, NULL }, /* NODATA */
	{ "_none._tcp.example.com", 33, ANSWER, "_none._tcp.example.com SRV 0 0 0 ." },
	{ "refused.example.com", 1, REFUSE, NULL },
	{ "broken.example.com", 1, SERVFAIL_, NULL },
	{ "slow.example.com", 1, DROP, NULL },
	{ "slowtarget.example.com", 1, DROP, NULL },
	{ "_slow._tcp.example.com", 33, ANSWER,
	  "_slow._tcp.example.com SRV 1 0 80 slowtarget.example.com;"
	  "_slow._tcp.example.com SRV 2 0 80 www.example.com" },
};

static const struct canned table2[] = {
	{ "www.sub.example.com", 1, ANSWER, "www.sub.example.com A 198.51.100.7" },
};

/* Every random number 0: the first weight of a priority wins. */
static uint32_t rnd_zero(void *opaque)
{
	(void)opaque;
	return 0;
}

static void test_local(uv_loop_t *loop)
{
	struct cv_dns_config *cfg = cv_dns_config_new();
	struct cv_resolver *res;
	struct responder rs;

	/* A zone for everything, so a query sent by mistake is counted. */
	responder_start(loop, &rs, NULL, 0);
	add_zone(cfg, ".", rs.port);
	add_rr(cfg, "edge.cms.demo", "A", "192.0.2.80");
	add_rr(cfg, "edge.cms.demo", "A", "192.0.2.81");
	add_rr(cfg, "join.cms.demo", "CNAME", "edge.cms.demo");
	add_rr(cfg, "v6.cms.demo", "AAAA", "2001:db8::1");
	add_rr(cfg, "*.wild.cms.demo", "A", "192.0.2.90");
	add_rr(cfg, "exact.wild.cms.demo", "AAAA", "2001:db8::90");
	add_rr(cfg, "loop1.cms.demo", "CNAME", "loop2.cms.demo");
	add_rr(cfg, "loop2.cms.demo", "CNAME", "loop1.cms.demo");
	add_rr(cfg, "_xmpp-component._tcp.cms.demo", "SRV", "10 0 5223 v6.cms.demo");
	add_rr(cfg, "_xmpp-component._tcp.cms.demo", "SRV", "5 0 5222 join.cms.demo");
	add_rr(cfg, "_off._tcp.cms.demo", "SRV", "0 0 0 .");
	ok(cv_resolver_new(loop, cfg, &res) == 0, "a resolver with local records");
	cv_dns_config_free(cfg);

	is_str(lookup(loop, res, CV_DNS_A, "edge.cms.demo", 0),
	       "ok local; edge.cms.demo A 192.0.2.80; edge.cms.demo A 192.0.2.81",
	       "local A records, in their order");
	is_str(lookup(loop, res, CV_DNS_A, "JOIN.cms.demo.", 0),
	       "ok local; JOIN.cms.demo CNAME edge.cms.demo; edge.cms.demo A 192.0.2.80; "
	       "edge.cms.demo A 192.0.2.81",
	       "a local CNAME is followed (any case, final dot)");
	is_str(lookup(loop, res, CV_DNS_AAAA, "edge.cms.demo", 0),
	       "no records of this type (NODATA) local",
	       "a local owner without that type: NODATA, no query");
	is_str(lookup(loop, res, CV_DNS_A, "any.wild.cms.demo", 0),
	       "ok local; any.wild.cms.demo A 192.0.2.90", "a wildcard covers a name below it");
	is_str(lookup(loop, res, CV_DNS_A, "exact.wild.cms.demo", 0),
	       "no records of this type (NODATA) local", "an exact owner hides the wildcard");
	is_str(lookup(loop, res, CV_DNS_A, "loop1.cms.demo", 0),
	       "too many CNAME records in a chain local; loop1.cms.demo CNAME loop2.cms.demo; "
	       "loop2.cms.demo CNAME loop1.cms.demo; loop1.cms.demo CNAME loop2.cms.demo; "
	       "loop2.cms.demo CNAME loop1.cms.demo; loop1.cms.demo CNAME loop2.cms.demo; "
	       "loop2.cms.demo CNAME loop1.cms.demo; loop1.cms.demo CNAME loop2.cms.demo; "
	       "loop2.cms.demo CNAME loop1.cms.demo",
	       "a CNAME loop ends");
	is_str(lookup(loop, res, CV_DNS_SRV, "_xmpp-component._tcp.cms.demo",
		      CV_DNS_F_ADDR4 | CV_DNS_F_ADDR6),
	       "ok local; SRV 5 0 5222 join.cms.demo; join.cms.demo A 192.0.2.80; "
	       "join.cms.demo A 192.0.2.81; SRV 10 0 5223 v6.cms.demo; "
	       "v6.cms.demo AAAA 2001:db8::1",
	       "local SRV records in priority order, targets through local records");
	is_str(lookup(loop, res, CV_DNS_SRV, "_xmpp-component._tcp.cms.demo", CV_DNS_F_ADDR4),
	       "ok local; SRV 5 0 5222 join.cms.demo; join.cms.demo A 192.0.2.80; "
	       "join.cms.demo A 192.0.2.81; SRV 10 0 5223 v6.cms.demo (no records of this type "
	       "(NODATA))",
	       "IPv4 targets only");
	is_str(lookup(loop, res, CV_DNS_SRV, "_off._tcp.cms.demo", CV_DNS_F_ADDR4),
	       "the service is not offered here (SRV target \".\") local",
	       "the target \".\": the service is not offered");
	is_int(rs.queries, 0, "no query was sent for any of them");
	ok(cv_resolve(res, CV_DNS_A, "a..b", 0, capture_cb, NULL) == -EINVAL,
	   "a bad name is refused at once");
	ok(cv_resolve(res, CV_DNS_CNAME, "a.b", 0, capture_cb, NULL) == -EINVAL,
	   "CNAME is not a type to ask for");
	resolver_done(loop, res);
	uv_close((uv_handle_t *)&rs.h, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
}

static void test_dns(uv_loop_t *loop)
{
	struct cv_dns_config *cfg = cv_dns_config_new();
	struct cv_resolver *res;
	struct responder r1, r2;
	uv_udp_t closed;
	struct sockaddr_in sa;
	int salen = sizeof(sa);
	uint16_t closed_port;

	responder_start(loop, &r1, table1, sizeof(table1) / sizeof(table1[0]));
	responder_start(loop, &r2, table2, sizeof(table2) / sizeof(table2[0]));
	/* A port nothing listens on: bind, read the port, close. */
	uv_udp_init(loop, &closed);
	uv_ip4_addr("127.0.0.1", 0, &sa);
	uv_udp_bind(&closed, (const struct sockaddr *)&sa, 0);
	uv_udp_getsockname(&closed, (struct sockaddr *)&sa, &salen);
	closed_port = ntohs(sa.sin_port);
	uv_close((uv_handle_t *)&closed, NULL);
	settle(loop);

	add_zone(cfg, "example.com", r1.port);
	add_zone(cfg, "sub.example.com", r2.port);
	add_zone(cfg, "closed.test", closed_port);
	add_rr(cfg, "local.example.com", "A", "192.0.2.200");
	/* Short, but with room for a loaded machine: a dropped query times
	 * out after 0.5 s + 1 s, inside the 4 s deadline. */
	cfg->timeout_ms = 500;
	cfg->tries = 2;
	cfg->deadline_ms = 4000;
	ok(cv_resolver_new(loop, cfg, &res) == 0, "a resolver with two zones on loopback");
	cv_dns_config_free(cfg);
	cv_resolver_set_random(res, rnd_zero, NULL);

	is_str(lookup(loop, res, CV_DNS_A, "www.example.com", 0),
	       "ok example.com; www.example.com A 192.0.2.10",
	       "an A record from the zone's server");
	is_str(lookup(loop, res, CV_DNS_AAAA, "www.example.com", 0),
	       "ok example.com; www.example.com AAAA 2001:db8::10", "an AAAA record");
	is_str(lookup(loop, res, CV_DNS_A, "www.sub.example.com", 0),
	       "ok sub.example.com; www.sub.example.com A 198.51.100.7",
	       "the longer zone's server answers");
	is_int(r2.queries, 1, "the second server got exactly that query");
	is_str(lookup(loop, res, CV_DNS_A, "alias.example.com", 0),
	       "ok example.com; alias.example.com CNAME mid.example.com; mid.example.com CNAME "
	       "www.example.com; www.example.com A 192.0.2.10",
	       "a CNAME chain inside the answer");
	is_str(lookup(loop, res, CV_DNS_SRV, "_xmpp-component._tcp.example.com",
		      CV_DNS_F_ADDR4 | CV_DNS_F_ADDR6),
	       "ok example.com; SRV 10 60 5223 xmpp1.example.com; xmpp1.example.com A 192.0.2.11; "
	       "xmpp1.example.com AAAA 2001:db8::11; SRV 10 20 5224 xmpp2.example.com; "
	       "xmpp2.example.com A 192.0.2.12; SRV 20 0 5223 xmpp3.example.com (no such domain "
	       "(NXDOMAIN))",
	       "SRV in RFC 2782 order with the targets' addresses");
	is_str(lookup(loop, res, CV_DNS_SRV, "_none._tcp.example.com", CV_DNS_F_ADDR4),
	       "the service is not offered here (SRV target \".\") example.com",
	       "an SRV answer with the target \".\"");
	is_str(lookup(loop, res, CV_DNS_A, "nope.example.com", 0),
	       "no such domain (NXDOMAIN) example.com", "NXDOMAIN");
	is_str(lookup(loop, res, CV_DNS_AAAA, "xmpp2.example.com", 0),
	       "no records of this type (NODATA) example.com", "NODATA");
	is_str(lookup(loop, res, CV_DNS_A, "refused.example.com", 0),
	       "the DNS server refused the query (REFUSED) example.com", "REFUSED");
	is_str(lookup(loop, res, CV_DNS_A, "broken.example.com", 0),
	       "the DNS server failed to answer (SERVFAIL) example.com", "SERVFAIL");
	is_str(lookup(loop, res, CV_DNS_A, "slow.example.com", 0),
	       "no answer from the DNS server (timeout) example.com", "no answer: a timeout");
	is_str(lookup(loop, res, CV_DNS_SRV, "_slow._tcp.example.com", CV_DNS_F_ADDR4),
	       "ok example.com; SRV 1 0 80 slowtarget.example.com (no answer from the DNS server "
	       "(timeout)); SRV 2 0 80 www.example.com; www.example.com A 192.0.2.10",
	       "a target without an answer is marked, the others are kept");
	is_str(lookup(loop, res, CV_DNS_A, "x.closed.test", 0),
	       "no DNS server at that address (connection refused) closed.test",
	       "a closed port: connection refused");
	is_str(lookup(loop, res, CV_DNS_A, "local.example.com", 0),
	       "ok local; local.example.com A 192.0.2.200", "local records before the zone");

	/* Freeing the resolver with a lookup in flight cancels it. */
	{
		struct capture c1;

		memset(&c1, 0, sizeof(c1));
		ok(cv_resolve(res, CV_DNS_A, "slow.example.com", 0, capture_cb, &c1) == 0,
		   "a lookup that will not be answered");
		uv_run(loop, UV_RUN_NOWAIT);
		cv_resolver_free(res);
		ok(c1.calls == 1 && strncmp(sb_str(&c1.text), "the lookup was cancelled", 24) == 0,
		   "freeing the resolver calls it back once, cancelled");
		sb_free(&c1.text);
		settle(loop);
	}
	uv_close((uv_handle_t *)&r1.h, NULL);
	uv_close((uv_handle_t *)&r2.h, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
}

static const struct canned refuser[] = {
	{ "fo.example.net", 1, REFUSE, NULL },
	{ "bad.example.net", 1, REFUSE, NULL },
	{ "gone.example.net", 1, NXDOMAIN, NULL },
};

static const struct canned answerer[] = {
	{ "fo.example.net", 1, ANSWER, "fo.example.net A 192.0.2.77" },
	{ "bad.example.net", 1, SERVFAIL_, NULL },
	{ "gone.example.net", 1, ANSWER, "gone.example.net A 192.0.2.78" },
	{ "gone2.example.net", 1, ANSWER, "gone2.example.net A 192.0.2.79" },
};

/* A zone with two servers: the second is asked when the first fails, not
 * when it answers NXDOMAIN. */
static void test_failover(uv_loop_t *loop)
{
	struct cv_dns_config *cfg = cv_dns_config_new();
	struct cv_resolver *res;
	struct responder a, b;
	char want[128];
	unsigned before;

	responder_start(loop, &a, refuser, sizeof(refuser) / sizeof(refuser[0]));
	responder_start(loop, &b, answerer, sizeof(answerer) / sizeof(answerer[0]));
	add_zone(cfg, "example.net", a.port);
	add_zone(cfg, "example.net", b.port);
	cfg->timeout_ms = 500;
	cfg->tries = 2;
	cfg->deadline_ms = 4000;
	cv_resolver_new(loop, cfg, &res);
	cv_dns_config_free(cfg);

	is_str(lookup(loop, res, CV_DNS_A, "fo.example.net", 0),
	       "ok example.net; fo.example.net A 192.0.2.77",
	       "the first server refuses: the second answers");
	snprintf(want, sizeof(want), "127.0.0.1:%u", b.port);
	is_str(cap.servers, want, "the result names the server that answered");
	is_str(lookup(loop, res, CV_DNS_A, "bad.example.net", 0),
	       "the DNS server failed to answer (SERVFAIL) example.net",
	       "both fail: the last server's error");
	snprintf(want, sizeof(want), "127.0.0.1:%u, 127.0.0.1:%u", a.port, b.port);
	is_str(cap.servers, want, "and every server tried");
	before = b.queries;
	is_str(lookup(loop, res, CV_DNS_A, "gone.example.net", 0),
	       "no such domain (NXDOMAIN) example.net", "NXDOMAIN is an answer");
	is_int(b.queries, before, "the second server is not asked after an NXDOMAIN");
	resolver_done(loop, res);
	uv_close((uv_handle_t *)&a.h, NULL);
	uv_close((uv_handle_t *)&b.h, NULL);
	settle(loop);
}

static void test_answer_cnames(void)
{
	struct strbuf m = STRBUF_INIT;
	struct cv_dns_cname c[CV_DNS_CNAME_MAX];
	size_t n = 99;
	/* The question name is a compression pointer to itself. */
	unsigned char loopmsg[] = { 0, 1, 0x81, 0x80, 0, 1, 0, 0, 0,
				    0, 0, 0, 0xc0, 12, 0, 1, 0, 1 };

	/* Header, the question, then the chain out of order. */
	sb_put(&m, "\0\1\x81\x80\0\1\0\3\0\0\0\0", 12);
	put_name(&m, "a.example.com");
	put16(&m, 1);
	put16(&m, 1);
	put_record(&m, "b.example.com CNAME c.example.com");
	put_record(&m, "c.example.com A 192.0.2.1");
	put_record(&m, "A.example.com CNAME b.example.com");
	ok(cv_dns_answer_cnames((const unsigned char *)m.buf, m.len, "a.example.com", c,
				CV_DNS_CNAME_MAX, &n) == 0 && n == 2,
	   "a CNAME chain of two links");
	ok(n == 2 && strcmp(c[0].owner, "A.example.com") == 0 &&
		   strcmp(c[0].target, "b.example.com") == 0 &&
		   strcmp(c[1].target, "c.example.com") == 0,
	   "in chain order, whatever the order of the records");
	ok(cv_dns_answer_cnames((const unsigned char *)m.buf, m.len, "a.example.com", c, 1, &n) ==
			   0 && n == 1,
	   "cut at max links");
	{
		size_t accepted = 0;

		for (size_t cut = 0; cut < m.len; cut++) {
			if (cv_dns_answer_cnames((const unsigned char *)m.buf, cut, "a.example.com",
						 c, CV_DNS_CNAME_MAX, &n) == -EBADMSG)
				continue;
			if (accepted++ == 0)
				diag("a message cut at %zu of %zu bytes was not refused", cut, m.len);
		}
		is_int(accepted, 0, "a message cut anywhere (%zu places) is refused", m.len);
	}
	ok(cv_dns_answer_cnames(loopmsg, sizeof(loopmsg), "x", c, CV_DNS_CNAME_MAX, &n) ==
		   -EBADMSG,
	   "a compression pointer to itself is refused");
	sb_free(&m);
}

/* Freeing the resolver from inside a result callback is allowed. */
struct self_free {
	struct cv_resolver *res;
	struct capture *other;
	unsigned calls;
};

static void free_in_cb(void *opaque, const struct cv_dns_result *r)
{
	struct self_free *sf = opaque;

	(void)r;
	sf->calls++;
	cv_resolver_free(sf->res);
}

static void test_free_in_callback(uv_loop_t *loop)
{
	struct cv_dns_config *cfg = cv_dns_config_new();
	struct capture other;
	struct self_free sf;
	struct responder rs;

	responder_start(loop, &rs, table1, sizeof(table1) / sizeof(table1[0]));
	add_zone(cfg, "example.com", rs.port);
	add_rr(cfg, "edge.cms.demo", "A", "192.0.2.80");
	memset(&other, 0, sizeof(other));
	memset(&sf, 0, sizeof(sf));
	cv_resolver_new(loop, cfg, &sf.res);
	cv_dns_config_free(cfg);
	cv_resolve(sf.res, CV_DNS_A, "slow.example.com", 0, capture_cb, &other);
	cv_resolve(sf.res, CV_DNS_A, "edge.cms.demo", 0, free_in_cb, &sf);
	for (int i = 0; i < 1000 && !sf.calls; i++)
		uv_run(loop, UV_RUN_ONCE);
	is_int(sf.calls, 1, "a callback may free the resolver");
	is_int(other.calls, 1, "the other lookup is called back, cancelled");
	sb_free(&other.text);
	settle(loop);
	uv_close((uv_handle_t *)&rs.h, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
}

int main(void)
{
	uv_loop_t loop;

	test_names();
	test_zone_pick();
	test_rr_parse();
	test_config_json();
	test_srv_order();
	test_answer_cnames();
	uv_loop_init(&loop);
	test_local(&loop);
	test_dns(&loop);
	test_failover(&loop);
	test_free_in_callback(&loop);
	ok(uv_loop_close(&loop) == 0, "every handle was closed");
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
