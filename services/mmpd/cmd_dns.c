// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The dns commands (spec/mmp.md 2.5): forward zones and local records, and
 * "dns lookup", which runs the resolver the services use (lib/resolver.h)
 * on a private loop, so what the operator tests is what the services do.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/route.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "lib/resolver.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/cmd_util.h"
#include "services/mmpd/screen.h"

/* Bounds on the stored lists (fail closed rather than grow without end). */
#define MAX_FWD_ZONES 32
#define MAX_RRS 256

/* --- dns ------------------------------------------------------------------ */

static int cmd_dns_show(struct mmp_ctx *ctx)
{
	json_object *zones = conf_array(ctx->doc, "dns.forwardzones", false);
	json_object *rrs = conf_array(ctx->doc, "dns.rrs", false);

	/* spec/mmp.md 2.5 (proposed screen). */
	mmp_printf(ctx, "Application DNS:\nForward zones:\n");
	if (!arr_len(zones))
		mmp_printf(ctx, "    none\n");
	for (size_t i = 0; i < arr_len(zones); i++) {
		json_object *z = json_object_array_get_idx(zones, i);
		const char *zone = obj_str(z, "zone", "?");

		mmp_printf(ctx, "    %-17s %s\n", zone, obj_str(z, "server", "?"));
	}
	mmp_printf(ctx, "Resource records:\n");
	if (!arr_len(rrs))
		mmp_printf(ctx, "    none\n");
	for (size_t i = 0; i < arr_len(rrs); i++) {
		json_object *r = json_object_array_get_idx(rrs, i);

		mmp_printf(ctx, "    %s %s %s\n", obj_str(r, "owner", "?"), obj_str(r, "type", "?"),
			   obj_str(r, "data", "?"));
	}
	return 0;
}

/* A forward zone is "." (every domain) or a domain name. */
static bool zone_ok(const char *s)
{
	return strcmp(s, ".") == 0 || cv_parse_hostname(s) == 0;
}

static int find_zone(json_object *zones, const char *zone, const char *server)
{
	for (size_t i = 0; i < arr_len(zones); i++) {
		json_object *z = json_object_array_get_idx(zones, i);

		if (strcasecmp(obj_str(z, "zone", ""), zone) == 0 &&
		    strcmp(obj_str(z, "server", ""), server) == 0)
			return (int)i;
	}
	return -1;
}

static int cmd_dns_zone(struct mmp_ctx *ctx)
{
	const char *zone = mmp_arg(ctx, "zone");
	const struct mmp_val *sv = mmp_val(ctx, "server-ip");
	char server[INET_ADDRSTRLEN];
	json_object *zones, *z;
	int idx;

	if (!zone_ok(zone))
		return mmp_fail(ctx, "Invalid zone \"%s\"", zone);
	ntop(sv->u.addr, server);
	zones = conf_array(ctx->doc, "dns.forwardzones", false);
	idx = find_zone(zones, zone, server);
	if (mmp_has(ctx, "del")) {
		if (idx < 0)
			return mmp_fail(ctx, "Forward zone %s %s not found", zone, server);
		json_object_array_del_idx(zones, (size_t)idx, 1);
		ctx->changed = true;
		return 0;
	}
	if (idx >= 0)
		return mmp_fail(ctx, "Forward zone %s %s already exists", zone, server);
	zones = conf_array(ctx->doc, "dns.forwardzones", true);
	if (arr_len(zones) >= MAX_FWD_ZONES)
		return mmp_fail(ctx, "Too many forward zones (at most %d)", MAX_FWD_ZONES);
	z = json_object_new_object();
	json_object_object_add(z, "zone", json_object_new_string(zone));
	json_object_object_add(z, "server", json_object_new_string(server));
	json_object_array_add(zones, z);
	ctx->changed = true;
	return 0;
}

/* Owner names of local records: labels of letters, digits, '-' and '_'
 * (SRV owners such as _xmpp-component._tcp.example.com), a leading "*"
 * label for a wildcard, no trailing dot. */
static bool rr_owner_ok(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (len == 0 || len > CV_HOSTNAME_MAX)
		return false;
	if (s[0] == '*') {
		if (s[1] == '\0')
			return true;
		if (s[1] != '.')
			return false;
		s += 2;
	}
	for (const char *p = s;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || p[-1] == '-')
				return false;
			if (*p == '\0')
				return true;
			label = 0;
			continue;
		}
		if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_'))
			return false;
		if ((*p == '-' && label == 0) || ++label > 63)
			return false;
	}
}

static const char *const rr_types[] = { "A", "AAAA", "CNAME", "SRV" };

static const char *rr_type_of(const char *s)
{
	for (size_t i = 0; i < sizeof(rr_types) / sizeof(rr_types[0]); i++)
		if (strcasecmp(s, rr_types[i]) == 0)
			return rr_types[i];
	return NULL;
}

/*
 * Validates the minimal record form "<owner> <type> <data>" (no TTL or
 * class): A <IPv4>, AAAA <IPv6>, CNAME <name>, SRV <priority> <weight>
 * <port> <target>. Fills the normalized fields or sets *ret_why.
 */
static int rr_parse(const char *text, char **ret_owner, const char **ret_type, char **ret_data,
		    const char **ret_why)
{
	char *copy = xstrdup(text), *save = NULL, *tok[8];
	size_t n = 0;
	const char *type;
	struct strbuf data = STRBUF_INIT;
	int r = -EINVAL;

	for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == 8) {
			*ret_why = "too many fields";
			goto out;
		}
		tok[n++] = t;
	}
	if (n < 3) {
		*ret_why = "expected \"<owner> <type> <data>\"";
		goto out;
	}
	if (!rr_owner_ok(tok[0])) {
		*ret_why = "bad owner name";
		goto out;
	}
	type = rr_type_of(tok[1]);
	if (!type) {
		*ret_why = "the type must be A, AAAA, CNAME or SRV";
		goto out;
	}
	if (strcmp(type, "SRV") == 0) {
		unsigned long v;

		if (n != 6) {
			*ret_why = "expected \"<owner> SRV <priority> <weight> <port> <target>\"";
			goto out;
		}
		for (size_t i = 2; i < 5; i++)
			if (cv_parse_ulong(tok[i], 0, 65535, &v) < 0) {
				*ret_why = "bad number";
				goto out;
			}
		/* RFC 2782: the target "." says the service is not offered. */
		if (strcmp(tok[5], ".") != 0 && cv_parse_hostname(tok[5]) < 0) {
			*ret_why = "bad target name";
			goto out;
		}
		sb_printf(&data, "%s %s %s %s", tok[2], tok[3], tok[4], tok[5]);
	} else {
		struct in6_addr a6;
		struct in_addr a4;

		if (n != 3) {
			*ret_why = "expected \"<owner> <type> <data>\"";
			goto out;
		}
		if (strcmp(type, "A") == 0 && cv_parse_ipv4(tok[2], &a4) < 0) {
			*ret_why = "bad IPv4 address";
			goto out;
		}
		if (strcmp(type, "AAAA") == 0 && inet_pton(AF_INET6, tok[2], &a6) != 1) {
			*ret_why = "bad IPv6 address";
			goto out;
		}
		if (strcmp(type, "CNAME") == 0 && cv_parse_hostname(tok[2]) < 0) {
			*ret_why = "bad target name";
			goto out;
		}
		sb_puts(&data, tok[2]);
	}
	*ret_owner = xstrdup(tok[0]);
	*ret_type = type;
	*ret_data = sb_steal(&data);
	r = 0;
out:
	sb_free(&data);
	free(copy);
	return r;
}

static int cmd_dns_add_rr(struct mmp_ctx *ctx)
{
	const char *text = mmp_arg(ctx, "record"), *type = NULL, *why = NULL;
	char *owner = NULL, *data = NULL;
	json_object *rrs, *r;
	int ret = 0;

	if (rr_parse(text, &owner, &type, &data, &why) < 0)
		return mmp_fail(ctx, "Invalid resource record \"%s\": %s", text, why);
	rrs = conf_array(ctx->doc, "dns.rrs", true);
	for (size_t i = 0; i < arr_len(rrs); i++) {
		json_object *e = json_object_array_get_idx(rrs, i);

		if (strcasecmp(obj_str(e, "owner", ""), owner) == 0 &&
		    strcmp(obj_str(e, "type", ""), type) == 0 &&
		    strcasecmp(obj_str(e, "data", ""), data) == 0) {
			ret = mmp_fail(ctx, "Resource record \"%s %s %s\" already exists", owner,
				       type, data);
			goto out;
		}
	}
	if (arr_len(rrs) >= MAX_RRS) {
		ret = mmp_fail(ctx, "Too many resource records (at most %d)", MAX_RRS);
		goto out;
	}
	r = json_object_new_object();
	json_object_object_add(r, "owner", json_object_new_string(owner));
	json_object_object_add(r, "type", json_object_new_string(type));
	json_object_object_add(r, "data", json_object_new_string(data));
	json_object_array_add(rrs, r);
	ctx->changed = true;
out:
	free(owner);
	free(data);
	return ret;
}

static int cmd_dns_del_rr(struct mmp_ctx *ctx)
{
	const char *owner = mmp_arg(ctx, "owner");
	const char *type = rr_type_of(mmp_arg(ctx, "type"));
	json_object *rrs = conf_array(ctx->doc, "dns.rrs", false);
	bool found = false;

	if (!type)
		return mmp_fail(ctx, "Invalid record type \"%s\"", mmp_arg(ctx, "type"));
	/* Every record of that owner and type goes. */
	for (size_t i = arr_len(rrs); i-- > 0;) {
		json_object *e = json_object_array_get_idx(rrs, i);

		if (strcasecmp(obj_str(e, "owner", ""), owner) == 0 &&
		    strcmp(obj_str(e, "type", ""), type) == 0) {
			json_object_array_del_idx(rrs, i, 1);
			found = true;
		}
	}
	if (!found)
		return mmp_fail(ctx, "Resource record %s %s not found", owner, type);
	ctx->changed = true;
	return 0;
}

/* --- dns lookup ----------------------------------------------------------- */

struct lookup {
	struct mmp_ctx *ctx;
	bool done;
};

static void print_addr(struct mmp_ctx *ctx, const char *owner, const struct cv_dns_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(a->family, &a->u, buf, sizeof(buf));
	mmp_printf(ctx, "%s %s %s\n", owner, a->family == AF_INET ? "A" : "AAAA", buf);
}

/* The reason a lookup failed. NODATA names the type asked. */
static void print_failure(struct mmp_ctx *ctx, const char *name, const char *prefix,
			  enum cv_dns_status st, const char *types)
{
	if (st == CV_DNS_NODATA)
		mmp_printf(ctx, "%s%s: no %s records (NODATA)\n", prefix, name, types);
	else
		mmp_printf(ctx, "%s%s: %s\n", prefix, name, cv_dns_status_str(st));
}

/*
 * The screen: where the answer came from, then the records in the form
 * "dns add rr" takes (owner, type, data), in the order the services use
 * them: the CNAME chain, the addresses; for SRV the records in RFC 2782
 * order, then each target's addresses (or why it has none).
 */
static void lookup_done(void *opaque, const struct cv_dns_result *r)
{
	struct lookup *lk = opaque;
	struct mmp_ctx *ctx = lk->ctx;
	const char *owner = r->name;

	if (r->status == CV_DNS_CANCELLED)
		return; /* the guard below gave up: reported there */
	lk->done = true;
	if (r->source == CV_DNS_SRC_LOCAL)
		mmp_printf(ctx, "Source: local records\n");
	else if (r->source == CV_DNS_SRC_ZONE)
		mmp_printf(ctx, "Source: forward zone %s (%s)\n", r->zone, r->servers);
	else
		mmp_printf(ctx, "Source: system resolver (%s)\n", r->servers);
	for (size_t i = 0; i < r->ncnames; i++) {
		mmp_printf(ctx, "%s CNAME %s\n", r->cnames[i].owner, r->cnames[i].target);
		owner = r->cnames[i].target;
	}
	if (r->status != CV_DNS_OK) {
		ctx->failed = true;
		print_failure(ctx, owner, "FAILURE: ", r->status, cv_dns_type_name(r->type));
		return;
	}
	for (size_t i = 0; i < r->naddrs; i++)
		print_addr(ctx, owner, &r->addrs[i]);
	for (size_t i = 0; i < r->nsrv; i++) {
		const struct cv_dns_srv *s = &r->srv[i];

		mmp_printf(ctx, "%s SRV %u %u %u %s\n", r->name, s->priority, s->weight, s->port,
			   s->target);
	}
	for (size_t i = 0; i < r->nsrv; i++) {
		const struct cv_dns_srv *s = &r->srv[i];
		bool seen = false;

		/* A target named by several records is shown once. */
		for (size_t j = 0; j < i; j++)
			seen = seen || strcasecmp(r->srv[j].target, s->target) == 0;
		if (seen)
			continue;
		for (size_t k = 0; k < s->naddrs; k++)
			print_addr(ctx, s->target, &s->addrs[k]);
		if (s->status != CV_DNS_OK)
			print_failure(ctx, s->target, "", s->status, "A or AAAA");
	}
}

/*
 * Runs synchronously inside mmpd: a private loop and a resolver built from
 * the working document, the same code and rules as the services'. The
 * resolver's deadline (CV_DNS_DEADLINE_MS, SRV targets included) bounds
 * the wait; the loop count below is only a second guard.
 */
static int cmd_dns_lookup(struct mmp_ctx *ctx)
{
	const char *name = mmp_arg(ctx, "name");
	enum cv_dns_type type = mmp_has(ctx, "srv") ? CV_DNS_SRV
				: mmp_has(ctx, "aaaa") ? CV_DNS_AAAA
						       : CV_DNS_A;
	struct cv_dns_config *cfg = NULL;
	struct cv_resolver *res = NULL;
	struct strbuf err = STRBUF_INIT;
	struct lookup lk = { ctx, false };
	uv_loop_t loop;
	int r;

	if (!cv_dns_name_ok(name))
		return mmp_fail(ctx, "Invalid domain name \"%s\"", name);
	if (cv_dns_config_from_json(cv_conf_get(ctx->doc, "dns"), &cfg, &err) < 0) {
		r = mmp_fail(ctx, "FAILURE: the DNS configuration is invalid: %s", sb_str(&err));
		sb_free(&err);
		return r;
	}
	r = uv_loop_init(&loop);
	if (r < 0) {
		cv_dns_config_free(cfg);
		return mmp_fail(ctx, "FAILURE: cannot start the resolver: %s", uv_strerror(r));
	}
	r = cv_resolver_new(&loop, cfg, &res);
	cv_dns_config_free(cfg);
	if (r < 0) {
		uv_loop_close(&loop);
		return mmp_fail(ctx, "FAILURE: cannot start the resolver: %s", strerror(-r));
	}
	r = cv_resolve(res, type, name, CV_DNS_F_ADDR4 | CV_DNS_F_ADDR6, lookup_done, &lk);
	for (unsigned i = 0; r == 0 && !lk.done && i < 100000; i++)
		if (uv_run(&loop, UV_RUN_ONCE) == 0 && !lk.done)
			break;
	cv_resolver_free(res); /* a lookup still pending ends as cancelled */
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	if (r < 0)
		return mmp_fail(ctx, "FAILURE: cannot look up %s: %s", name, strerror(-r));
	if (!lk.done)
		return mmp_fail(ctx, "FAILURE: %s: the lookup did not finish", name);
	return ctx->failed ? -1 : 0;
}

/* --- the table ------------------------------------------------------------ */

#define A MMP_ROLE_ADMIN

static const struct mmp_cmd cmds[] = {
	{ "dns", "Shows the forward zones and local resource records", A, cmd_dns_show },
	{ "dns (add|del) forwardzone <zone> <server-ip>",
	  "Forwards a domain (\".\" for all) to a DNS server", A, cmd_dns_zone },
	{ "dns add rr <record>", "Adds a local record: \"<owner> (A|AAAA|CNAME|SRV) <data>\"", A,
	  cmd_dns_add_rr },
	{ "dns del rr <owner> <type>", "Removes the local records of an owner and type", A,
	  cmd_dns_del_rr },
	{ "dns lookup (a|aaaa|srv) <name>",
	  "Looks a name up as the services do: local records, forward zone, system resolver", A,
	  cmd_dns_lookup },
};

MMP_AREA(mmp_area_dns, "dns", cmds);
