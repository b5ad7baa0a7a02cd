// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The golden tests of the call bridge's REST API (spec/api.md), written
 * against cb_api.h alone: a store in a temporary directory, requests through
 * cb_api_handle(), and the status, Location and XML body checked against
 * what the spec says.
 *
 * Where the spec prints an exact document (sections 1.4, 1.6, 2.2, 2.6, 2.8,
 * 2.10) the body is compared byte for byte after one normalisation: the
 * whitespace-only runs between two tags are dropped, because the spec's
 * examples are indented for reading and XML gives that whitespace no
 * meaning. GUIDs the server chose are substituted into the golden text
 * after being checked against the lowercase 8-4-4-4-12 pattern. Where the
 * spec only gives a shape, the elements that carry the meaning are checked.
 *
 * Every request that must fail is also checked to change nothing: a
 * snapshot (every list paged through and every object's detail) is taken
 * before and after and must be identical.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/strbuf.h"
#include "services/callbridge/cb_api.h"
#include "tests/unit/tap.h"

#define GUID_LEN 36
#define PAGE_MAX 20 /* spec 1.4: our server cap, 20 objects per page */

static struct cb_api *api;
static struct cb_response R;
static char dbdir[64], dbpath[128];
static struct strbuf logs = STRBUF_INIT;

/* The log lines the API core writes: kept to check that no secret ever
 * reaches them. */
static void log_sink(int level, const char *msg, void *opaque)
{
	struct strbuf *sb = opaque;

	sb_printf(sb, "%s: %s\n", cv_log_level_name(level), msg);
}

/* One request; the response stays in R until the next one. */
static int req_n(const char *method, const char *path, const char *query, const char *body,
		 size_t body_len)
{
	struct cb_request rq = {
	    .method = method,
	    .path = path,
	    .query = query,
	    .body = body,
	    .body_len = body_len,
	    .user = "tester",
	};

	cb_response_free(&R);
	cb_response_init(&R);
	cb_api_handle(api, &rq, &R);
	return R.status;
}

static int req(const char *method, const char *path, const char *query, const char *body)
{
	return req_n(method, path, query, body, body ? strlen(body) : 0);
}

static const char *body(void)
{
	return sb_str(&R.body);
}

static bool is_guid(const char *s, size_t n)
{
	if (n != GUID_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return false;
		}
	}
	return true;
}

/* Drops the whitespace-only runs between '>' and '<' and at both ends. */
static char *canon(const char *x)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = x;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	while (*p) {
		if (*p == '>') {
			const char *q = p + 1;

			while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
				q++;
			sb_putc(&sb, '>');
			if (*q == '<' || *q == '\0')
				p = q;
			else
				p++;
			continue;
		}
		sb_putc(&sb, *p++);
	}
	sb_putc(&sb, '\0'); /* an empty document still gets a buffer */
	return sb_steal(&sb);
}

/* Compares the last response's body with a golden document (printf format,
 * the GUIDs as arguments). */
static void is_golden(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void is_golden(const char *what, const char *fmt, ...)
{
	struct strbuf want = STRBUF_INIT;
	va_list ap;
	char *g, *w;

	va_start(ap, fmt);
	sb_vprintf(&want, fmt, ap);
	va_end(ap);
	g = canon(body());
	w = canon(sb_str(&want));
	is_str(g, w, "%s: golden XML", what);
	free(g);
	free(w);
	sb_free(&want);
}

static bool has_empty(const char *s, const char *tag)
{
	char a[96], b[96], c[96];

	snprintf(a, sizeof(a), "<%s/>", tag);
	snprintf(b, sizeof(b), "<%s />", tag);
	snprintf(c, sizeof(c), "<%s></%s>", tag, tag);
	return strstr(s, a) || strstr(s, b) || strstr(s, c);
}

/* The text of the first <tag>...</tag> in s: 1 and the text, 0 for an empty
 * element (<tag/> or <tag></tag>), -1 when absent. */
static int xml_text(const char *s, const char *tag, char *out, size_t outlen)
{
	char open[96], close[96];
	const char *p, *e;
	size_t n;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if (out && outlen)
		out[0] = '\0';
	p = strstr(s, open);
	if (!p)
		return has_empty(s, tag) ? 0 : -1;
	p += strlen(open);
	e = strstr(p, close);
	if (!e)
		return -1;
	n = (size_t)(e - p);
	if (out && outlen) {
		if (n >= outlen)
			n = outlen - 1;
		memcpy(out, p, n);
		out[n] = '\0';
	}
	return e == p ? 0 : 1;
}

/* Checks that <tag> has exactly the text want. */
static void is_elem(const char *tag, const char *want, const char *what)
{
	char got[512];
	int r = xml_text(body(), tag, got, sizeof(got));

	if (r < 0) {
		ok(0, "%s: <%s> is present", what, tag);
		tap_diag_str("body: ", body());
		return;
	}
	is_str(got, want, "%s: <%s>", what, tag);
}

/* Checks that <tag> is absent or empty (an unset field). */
static void is_unset(const char *tag, const char *what)
{
	char got[512];
	int r = xml_text(body(), tag, got, sizeof(got));

	ok(r <= 0, "%s: <%s> is unset", what, tag);
	if (r > 0)
		tap_diag_str("value: ", got);
}

static long count_str(const char *s, const char *needle)
{
	long n = 0;

	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The total="N" of the root element, -1 if none. */
static long total_of(const char *s)
{
	const char *p = strstr(s, " total=\"");

	return p ? strtol(p + 8, NULL, 10) : -1;
}

/* Checks the last response is a create: 200, empty body, Location
 * "/api/v1/<coll>/<guid>" exactly; copies the GUID to id. */
static bool is_create(const char *coll, char *id, const char *what)
{
	size_t pl = strlen("/api/v1/") + strlen(coll) + 1;
	char prefix[256];
	bool good;

	snprintf(prefix, sizeof(prefix), "/api/v1/%s/", coll);
	id[0] = '\0';
	is_int(R.status, 200, "%s: 200", what);
	if (R.status != 200)
		tap_diag_str("body: ", body());
	good = strncmp(R.location, prefix, pl) == 0 &&
	       is_guid(R.location + pl, strlen(R.location) - pl);
	ok(good, "%s: Location is %s<guid>", what, prefix);
	if (!good)
		tap_diag_str("Location: ", R.location);
	is_int(R.body.len, 0, "%s: empty body", what);
	if (good)
		memcpy(id, R.location + pl, GUID_LEN + 1);
	return good && R.status == 200;
}

/* POST a create and check it; returns success. */
static bool create(const char *path, const char *coll, const char *form, char *id, const char *what)
{
	req("POST", path, NULL, form);
	return is_create(coll, id, what);
}

/* Checks a failure: the status, a failureDetails document, and (if reason
 * is given) that reason element in it. */
static void is_failure(int status, const char *reason, const char *what)
{
	const char *b = body();
	char el[96];

	is_int(R.status, status, "%s: status %d", what, status);
	ok(strncmp(b, "<?xml version=\"1.0\"?>", 21) == 0 && strstr(b, "<failureDetails>") &&
	       strstr(b, "</failureDetails>"),
	   "%s: a failureDetails document", what);
	if (reason) {
		snprintf(el, sizeof(el), "<%s", reason);
		ok(strstr(b, el) != NULL, "%s: reason %s", what, reason);
	}
	if (!strstr(b, "<failureDetails>") || (reason && !strstr(b, el)))
		tap_diag_str("body: ", b);
	ok(R.location[0] == '\0', "%s: no Location", what);
}

/* The exact error document of spec 1.6 for a reason without attributes. */
static void is_failure_exact(int status, const char *reason, const char *what)
{
	is_int(R.status, status, "%s: status %d", what, status);
	is_golden(what, "<?xml version=\"1.0\"?>\n<failureDetails><%s/></failureDetails>", reason);
	ok(R.location[0] == '\0', "%s: no Location", what);
}

/* A parameterError naming the parameter (spec 1.6: <parameterError
 * parameter="uri" error="invalidValue"/>). */
static void is_param_error(const char *param, const char *what)
{
	char a[128];

	is_failure(400, "parameterError", what);
	snprintf(a, sizeof(a), "parameter=\"%s\"", param);
	ok(strstr(body(), a) != NULL, "%s: parameterError names %s", what, param);
	if (!strstr(body(), a))
		tap_diag_str("body: ", body());
}

/* Elements appear in this order (those present). */
static void in_order(const char *what, const char *const *tags, size_t n)
{
	const char *last = body();
	bool good = true;

	for (size_t i = 0; i < n; i++) {
		char open[96];
		const char *p;

		snprintf(open, sizeof(open), "<%s>", tags[i]);
		p = strstr(body(), open);
		if (!p) {
			snprintf(open, sizeof(open), "<%s/>", tags[i]);
			p = strstr(body(), open);
		}
		if (!p)
			continue;
		if (p < last) {
			good = false;
			diag("<%s> is out of order", tags[i]);
		}
		last = p;
	}
	ok(good, "%s: elements in the spec's order", what);
}

/* ---- Snapshot: everything the API shows, to prove a failure changed
 * nothing and a reopen lost nothing. ---- */

static const char *const collections[] = {
    "coSpaces",	  "callLegProfiles",   "calls",	      "callLegs",    "participants",	 "users",
    "webBridges", "webBridgeProfiles", "turnServers", "callBridges", "callBridgeGroups",
};
#define NCOLL (sizeof(collections) / sizeof(collections[0]))

/* Removes <tag>...</tag> from sb (values that change with the clock). */
static void strip_elem(struct strbuf *sb, const char *tag)
{
	char open[64], close[64];
	char *p;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	while (sb->buf && (p = strstr(sb->buf, open))) {
		char *e = strstr(p, close);

		if (!e)
			break;
		e += strlen(close);
		memmove(p, e, strlen(e) + 1);
		sb->len -= (size_t)(e - p);
	}
}

/* Pages through one list (limit 20) and appends every object's detail. */
static void snap_list(struct strbuf *out, const char *path, bool calls_too)
{
	char q[64], ids[512][GUID_LEN + 1], sub[512];
	long total = -1, got = 0, n = 0;

	for (int page = 0; page < 100; page++) {
		const char *p;

		snprintf(q, sizeof(q), "offset=%ld&limit=%d", got, PAGE_MAX);
		sb_printf(out, "LIST %s %s -> %d\n", path, q, req("GET", path, q, NULL));
		if (R.status != 200)
			return;
		total = total_of(body());
		for (p = strstr(body(), " id=\""); p; p = strstr(p + 1, " id=\"")) {
			const char *qe = strchr(p + 5, '"');

			if (n < 512 && qe && is_guid(p + 5, (size_t)(qe - (p + 5)))) {
				memcpy(ids[n], p + 5, GUID_LEN);
				ids[n++][GUID_LEN] = '\0';
			}
			got++;
		}
		if (got >= total || !strstr(body(), " id=\""))
			break;
	}
	sb_printf(out, "TOTAL %s %ld\n", path, total);
	for (long i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "%.400s/%.36s", path, ids[i]);
		sb_printf(out, "GET %s -> %d\n", sub, req("GET", sub, NULL, NULL));
		sb_puts(out, body());
		sb_putc(out, '\n');
		if (strcmp(path, "/coSpaces") == 0) {
			snprintf(sub, sizeof(sub), "/coSpaces/%.36s/accessMethods", ids[i]);
			snap_list(out, sub, calls_too);
			snprintf(sub, sizeof(sub), "/coSpaces/%.36s/coSpaceUsers", ids[i]);
			snap_list(out, sub, calls_too);
		}
	}
}

static char *snapshot(bool calls_too)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < NCOLL; i++) {
		char path[64];

		if (!calls_too && (strcmp(collections[i], "calls") == 0 ||
				   strcmp(collections[i], "callLegs") == 0 ||
				   strcmp(collections[i], "participants") == 0))
			continue;
		snprintf(path, sizeof(path), "/%s", collections[i]);
		snap_list(&sb, path, calls_too);
	}
	sb_printf(&sb, "XMPP %d\n", req("GET", "/system/configuration/xmpp", NULL, NULL));
	sb_puts(&sb, body());
	sb_printf(&sb, "\nCLUSTER %d\n", req("GET", "/system/configuration/cluster", NULL, NULL));
	sb_puts(&sb, body());
	sb_putc(&sb, '\n');
	strip_elem(&sb, "durationSeconds");
	sb_putc(&sb, '\0');
	return sb_steal(&sb);
}

/* Shows where two snapshots part: a short window of each around byte i. */
static void diag_parting(const char *a, const char *b)
{
	char wa[241], wb_[241];
	size_t i = 0, from;

	while (a[i] && a[i] == b[i])
		i++;
	from = i > 80 ? i - 80 : 0;
	snprintf(wa, sizeof(wa), "%s", a + from);
	snprintf(wb_, sizeof(wb_), "%s", b + from);
	tap_diag_str("before: ", wa);
	tap_diag_str("after:  ", wb_);
}

/* Runs one request that must fail and checks the store is unchanged. */
static char *before;
static void fail_begin(void)
{
	free(before);
	before = snapshot(true);
}

static void fail_end(const char *what)
{
	char *after = snapshot(true);
	bool same = strcmp(before, after) == 0;

	ok(same, "%s: changed nothing", what);
	if (!same)
		diag_parting(before, after);
	free(after);
}

static long list_total(const char *path, const char *query)
{
	if (req("GET", path, query, NULL) != 200)
		return -1;
	return total_of(body());
}

/* ---- The tests ---- */

/* Section 2.1 and 6.1: create a coSpace with uri/callId/passcode. */
static char sales[GUID_LEN + 1], dev[GUID_LEN + 1], johnny[GUID_LEN + 1];

static void test_cospaces(void)
{
	char path[128], v[256], id[GUID_LEN + 1];
	static const char *const order[] = {
	    "name",    "autoGenerated", "uri",	  "callId", "nonMemberAccess",
	    "ownerId", "ownerJid",	"secret",
	};

	/* A fresh store: no peers, so no cluster (2.11). */
	is_int(req("GET", "/system/status", NULL, NULL), 200,
	       "GET /system/status on a fresh store: 200");
	is_elem("clusterEnabled", "false", "fresh store status (no callBridges)");
	is_elem("callLegsActive", "0", "fresh store status");

	/* Empty collection, before anything exists (1.5). */
	req("GET", "/coSpaces", NULL, NULL);
	is_int(R.status, 200, "GET /coSpaces (empty): 200");
	is_golden("GET /coSpaces (empty)", "<?xml version=\"1.0\"?>\n<coSpaces total=\"0\"/>");

	/* 6.1 step 1 */
	create("/coSpaces", "coSpaces", "name=Sales&uri=sales&callId=100200300&passcode=1234",
	       sales, "6.1 POST /coSpaces Sales");
	snprintf(path, sizeof(path), "/coSpaces/%s", sales);
	is_int(req("GET", path, NULL, NULL), 200, "GET the Sales coSpace: 200");
	snprintf(v, sizeof(v), "<?xml version=\"1.0\"?><coSpace id=\"%s\">", sales);
	{
		char *c = canon(body());

		ok(strncmp(c, v, strlen(v)) == 0, "coSpace detail: root <coSpace id=\"<id>\">");
		free(c);
	}
	is_elem("name", "Sales", "coSpace detail");
	is_elem("autoGenerated", "false", "coSpace detail (created by the API, not LDAP)");
	is_elem("uri", "sales", "coSpace detail");
	is_elem("callId", "100200300", "coSpace detail");
	is_elem("passcode", "1234", "coSpace detail (passcode is CMR, 2.1)");
	is_elem("nonMemberAccess", "true", "coSpace detail (default true, 2.1)");
	ok(xml_text(body(), "secret", v, sizeof(v)) == 1 && strlen(v) == 22 &&
	       strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 22,
	   "coSpace detail: secret auto-chosen with callId set, 22 base64url characters (2.1)");
	in_order("coSpace detail", order, sizeof(order) / sizeof(order[0]));

	/* 2.1 example: requireCallId generates a 9-digit callId. */
	create("/coSpaces", "coSpaces",
	       "name=Johnny%20Appleseed%20Space&uri=johnny.space&requireCallId=true&passcode=4711",
	       johnny, "2.1 POST /coSpaces requireCallId=true");
	snprintf(path, sizeof(path), "/coSpaces/%s", johnny);
	req("GET", path, NULL, NULL);
	is_elem("name", "Johnny Appleseed Space", "2.1 example detail (%20 decoded)");
	is_elem("uri", "johnny.space", "2.1 example detail");
	ok(xml_text(body(), "callId", v, sizeof(v)) == 1 && strlen(v) == 9 &&
	       strspn(v, "0123456789") == 9,
	   "2.1 example detail: auto callId is 9 digits");
	ok(strstr(body(), "<requireCallId") == NULL, "2.1: requireCallId is not returned");
	ok(xml_text(body(), "secret", v, sizeof(v)) == 1 && strlen(v) == 22,
	   "2.1 example detail: secret auto-chosen");

	/* 1.4 example, byte-exact: a coSpace with name and uri only. */
	create("/coSpaces", "coSpaces", "name=DevelopmentTeam&uri=dev_team", dev,
	       "1.4 POST /coSpaces DevelopmentTeam");
	req("GET", "/coSpaces", "filter=Development", NULL);
	is_int(R.status, 200, "1.4 GET /coSpaces?filter=Development: 200");
	is_golden("1.4 GET /coSpaces?filter=Development",
		  "<?xml version=\"1.0\"?>\n"
		  "<coSpaces total=\"1\">\n"
		  "  <coSpace id=\"%s\">\n"
		  "    <name>DevelopmentTeam</name>\n"
		  "    <autoGenerated>false</autoGenerated>\n"
		  "    <uri>dev_team</uri>\n"
		  "  </coSpace>\n"
		  "</coSpaces>\n",
		  dev);

	/* Filter: case-insensitive substring over name, uri, secondaryUri, callId. */
	is_int(list_total("/coSpaces", "filter=development"), 1, "filter is case-insensitive");
	is_int(list_total("/coSpaces", "filter=SALES"), 1, "filter matches name/uri, any case");
	is_int(list_total("/coSpaces", "filter=0200300"), 1, "filter matches a callId substring");
	is_int(list_total("/coSpaces", "filter=johnny.sp"), 1, "filter matches a uri substring");
	is_int(list_total("/coSpaces", "filter=nothing-like-it"), 0, "filter matching nothing");
	is_golden("filter matching nothing", "<?xml version=\"1.0\"?>\n<coSpaces total=\"0\"/>");
	is_int(list_total("/coSpaces", NULL), 3, "GET /coSpaces: total 3");
	is_int(count_str(body(), "<coSpace id=\""), 3, "GET /coSpaces: 3 children");

	/* secondaryUri is filtered and unique like uri. */
	create("/coSpaces", "coSpaces", "name=Second&secondaryUri=second.alias", id,
	       "POST /coSpaces with secondaryUri");
	is_int(list_total("/coSpaces", "filter=second.ali"), 1, "filter matches a secondaryUri");
	snprintf(path, sizeof(path), "/coSpaces/%s", id);
	is_int(req("DELETE", path, NULL, NULL), 200, "DELETE /coSpaces/<id>: 200");
	is_int(R.body.len, 0, "DELETE: empty body");
	is_int(req("GET", path, NULL, NULL), 404, "GET a deleted coSpace: 404");
	is_failure_exact(404, "coSpaceDoesNotExist", "GET a deleted coSpace");
	is_int(list_total("/coSpaces", NULL), 3, "after DELETE: total 3");

	/* XML escaping (section 7: & < > " ') and UTF-8 text. */
	create("/coSpaces", "coSpaces", "name=A%26B+%3C%22x%27%3E&uri=esc", id,
	       "POST a name to escape");
	snprintf(path, sizeof(path), "/coSpaces/%s", id);
	req("GET", path, NULL, NULL);
	ok(strstr(body(), "<name>A&amp;B &lt;&quot;x&apos;&gt;</name>") != NULL,
	   "name escaped as A&amp;B &lt;&quot;x&apos;&gt; ('+' decoded as a space)");
	if (!strstr(body(), "<name>A&amp;B &lt;&quot;x&apos;&gt;</name>"))
		tap_diag_str("body: ", body());
	req("PUT", path, NULL, "name=Caf%C3%A9");
	is_int(R.status, 200, "PUT a UTF-8 name: 200");
	is_int(R.body.len, 0, "PUT: empty body");
	req("GET", path, NULL, NULL);
	is_elem("name", "Caf\xc3\xa9", "UTF-8 name round trip");
	req("DELETE", path, NULL, NULL);

	/* POST x= (empty) = unset: two coSpaces with an empty uri do not clash. */
	{
		char a[GUID_LEN + 1], b[GUID_LEN + 1];

		create("/coSpaces", "coSpaces", "name=NoUri1&uri=", a, "POST uri= (unset)");
		create("/coSpaces", "coSpaces", "name=NoUri2&uri=&callId=", b,
		       "POST a second uri= (unset does not clash)");
		snprintf(path, sizeof(path), "/coSpaces/%s", b);
		req("GET", path, NULL, NULL);
		is_unset("uri", "POST uri=");
		is_unset("callId", "POST callId=");
		req("DELETE", path, NULL, NULL);
		snprintf(path, sizeof(path), "/coSpaces/%s", a);
		req("DELETE", path, NULL, NULL);
	}

	/* cdrTag: string up to 100 characters (2.1). */
	{
		char form[256];

		snprintf(form, sizeof(form), "name=Tagged&cdrTag=%0100d", 0);
		create("/coSpaces", "coSpaces", form, id, "POST cdrTag of 100 characters");
		snprintf(path, sizeof(path), "/coSpaces/%s", id);
		req("DELETE", path, NULL, NULL);
		fail_begin();
		snprintf(form, sizeof(form), "name=Tagged&cdrTag=%0101d", 0);
		req("POST", "/coSpaces", NULL, form);
		is_param_error("cdrTag", "POST cdrTag of 101 characters");
		fail_end("POST cdrTag of 101 characters");
	}
}

/* Section 1.3: PUT omitted = unchanged, param= = unset; regenerateSecret. */
static void test_put(void)
{
	char path[128], s1[64], s2[64];

	snprintf(path, sizeof(path), "/coSpaces/%s", johnny);
	req("GET", path, NULL, NULL);
	xml_text(body(), "secret", s1, sizeof(s1));
	is_int(req("PUT", path, NULL, "name=Johnny%27s+Room"), 200, "PUT name only: 200");
	ok(R.location[0] == '\0', "PUT: no Location");
	req("GET", path, NULL, NULL);
	is_elem("name", "Johnny&apos;s Room", "PUT name: changed");
	is_elem("uri", "johnny.space", "PUT name: uri unchanged (omitted)");
	is_elem("passcode", "4711", "PUT name: passcode unchanged (omitted)");
	is_elem("secret", s1, "PUT name: secret unchanged (omitted)");

	is_int(req("PUT", path, NULL, "passcode="), 200, "PUT passcode= : 200");
	req("GET", path, NULL, NULL);
	is_unset("passcode", "PUT passcode= unsets it");
	is_elem("uri", "johnny.space", "PUT passcode=: uri unchanged");

	is_int(req("PUT", path, NULL, "regenerateSecret=true"), 200,
	       "PUT regenerateSecret=true: 200");
	req("GET", path, NULL, NULL);
	xml_text(body(), "secret", s2, sizeof(s2));
	ok(strlen(s2) == 22 && strcmp(s1, s2) != 0,
	   "regenerateSecret=true: a new 22-character secret");
	ok(strstr(body(), "<regenerateSecret") == NULL,
	   "regenerateSecret is not returned (M only)");

	is_int(req("PUT", path, NULL, "defaultLayout=speakerOnly&nonMemberAccess=false"), 200,
	       "PUT defaultLayout and nonMemberAccess: 200");
	req("GET", path, NULL, NULL);
	is_elem("defaultLayout", "speakerOnly", "PUT defaultLayout");
	is_elem("nonMemberAccess", "false", "PUT nonMemberAccess");
	is_int(req("PUT", path, NULL, "defaultLayout="), 200, "PUT defaultLayout= : 200");
	req("GET", path, NULL, NULL);
	is_unset("defaultLayout", "PUT defaultLayout= unsets it");
	is_elem("nonMemberAccess", "false", "PUT defaultLayout=: nonMemberAccess unchanged");
}

/* Section 1.4: paging. */
static void test_paging(void)
{
	char ids[30][GUID_LEN + 1], form[128], q[64];
	long base = list_total("/coSpaces", NULL), total;
	char *seen;
	bool dup = false, all = true;

	for (int i = 0; i < 25; i++) {
		snprintf(form, sizeof(form), "name=Page%02d&uri=page%02d", i, i);
		req("POST", "/coSpaces", NULL, form);
		ok(R.status == 200 && strlen(R.location) == strlen("/api/v1/coSpaces/") + GUID_LEN,
		   "paging: create %d", i);
		snprintf(ids[i], sizeof(ids[i]), "%.36s", R.location + strlen("/api/v1/coSpaces/"));
	}
	total = base + 25;
	is_int(list_total("/coSpaces", NULL), total, "paging: total counts all");
	is_int(count_str(body(), "<coSpace id=\""), PAGE_MAX,
	       "paging: no limit returns the server cap 20");
	is_int(list_total("/coSpaces", "limit=5"), total, "limit=5: total is still all");
	is_int(count_str(body(), "<coSpace id=\""), 5, "limit=5: 5 children");
	is_int(list_total("/coSpaces", "limit=1000"), total, "limit=1000: total");
	is_int(count_str(body(), "<coSpace id=\""), PAGE_MAX,
	       "limit=1000: the lower of limit and cap (20)");
	snprintf(q, sizeof(q), "offset=%ld", total - 2);
	is_int(list_total("/coSpaces", q), total, "offset=total-2: total");
	is_int(count_str(body(), "<coSpace id=\""), 2, "offset=total-2: 2 children");
	snprintf(q, sizeof(q), "offset=%ld", total + 5);
	is_int(list_total("/coSpaces", q), total, "offset beyond total: 200");
	is_golden("offset beyond total", "<?xml version=\"1.0\"?>\n<coSpaces total=\"%ld\"/>",
		  total);
	is_int(list_total("/coSpaces", "filter=page&offset=3&limit=4"), 25,
	       "filter+offset+limit: total matches the filter");
	is_int(count_str(body(), "<coSpace id=\""), 4, "filter+offset+limit: 4 children");

	/* Paging with offset visits each of the 25 exactly once. */
	seen = calloc(25, 1);
	for (int off = 0; off < 25; off += 7) {
		snprintf(q, sizeof(q), "filter=page&offset=%d&limit=7", off);
		req("GET", "/coSpaces", q, NULL);
		for (const char *p = strstr(body(), " id=\""); p; p = strstr(p + 1, " id=\"")) {
			for (int i = 0; i < 25; i++)
				if (strncmp(p + 5, ids[i], GUID_LEN) == 0) {
					if (seen[i])
						dup = true;
					seen[i] = 1;
				}
		}
	}
	for (int i = 0; i < 25; i++)
		all = all && seen[i];
	ok(all && !dup, "paging by offset visits each object exactly once");
	free(seen);

	/* Bad paging values. */
	fail_begin();
	req("GET", "/coSpaces", "limit=abc", NULL);
	is_param_error("limit", "limit=abc");
	req("GET", "/coSpaces", "offset=-1", NULL);
	is_param_error("offset", "offset=-1");
	fail_end("bad limit/offset");

	for (int i = 0; i < 25; i++) {
		char path[128];

		snprintf(path, sizeof(path), "/coSpaces/%.36s", ids[i]);
		req("DELETE", path, NULL, NULL);
	}
	is_int(list_total("/coSpaces", NULL), base, "paging: the 25 deleted again");
}

/* Sub-resources of a coSpace (2.1): accessMethods and coSpaceUsers. */
static char ken[GUID_LEN + 1], profile_guest[GUID_LEN + 1];

static void test_cospace_subs(void)
{
	char path[160], coll[160], id[GUID_LEN + 1], mid[GUID_LEN + 1], form[256];

	snprintf(path, sizeof(path), "/coSpaces/%s/accessMethods", sales);
	snprintf(coll, sizeof(coll), "coSpaces/%s/accessMethods", sales);
	req("GET", path, NULL, NULL);
	is_int(R.status, 200, "GET accessMethods (empty): 200");
	is_golden("GET accessMethods (empty)",
		  "<?xml version=\"1.0\"?>\n<accessMethods total=\"0\"/>");
	snprintf(form, sizeof(form),
		 "uri=sales.guest&callId=100200301&passcode=5678&scope=public&callLegProfile=%s",
		 profile_guest);
	create(path, coll, form, id, "POST accessMethod");
	req("GET", path, NULL, NULL);
	is_int(total_of(body()), 1, "GET accessMethods: total 1");
	snprintf(form, sizeof(form), "<accessMethod id=\"%s\"", id);
	ok(strstr(body(), form) != NULL, "GET accessMethods: <accessMethod id>");
	snprintf(path, sizeof(path), "/coSpaces/%s/accessMethods/%s", sales, id);
	is_int(req("GET", path, NULL, NULL), 200, "GET accessMethod: 200");
	is_elem("uri", "sales.guest", "accessMethod detail");
	is_elem("callId", "100200301", "accessMethod detail");
	is_elem("scope", "public", "accessMethod detail");
	is_elem("callLegProfile", profile_guest, "accessMethod detail");
	snprintf(path, sizeof(path), "/cospaces/%s/ACCESSMETHODS", sales);
	is_int(list_total(path, NULL), 1, "sub-collection names are case-insensitive");

	/* Host and guest PINs (2.5, 1.6 duplicateCoSpaceIdPasscode): an access
	 * method may share its coSpace's callId with another passcode; only the
	 * (callId, passcode) pair must be unique. */
	snprintf(path, sizeof(path), "/coSpaces/%s/accessMethods", sales);
	create(path, coll, "callId=100200300&passcode=9999&uri=sales.host", mid,
	       "access method with its coSpace's callId and another passcode");
	snprintf(path, sizeof(path), "/coSpaces/%s/accessMethods/%s", sales, mid);
	if (R.status == 200)
		req("DELETE", path, NULL, NULL);
	/* The same for the uri (duplicateCoSpaceUriPasscode). */
	snprintf(path, sizeof(path), "/coSpaces/%s/accessMethods", sales);
	create(path, coll, "uri=sales&passcode=8888", mid,
	       "access method with its coSpace's uri and another passcode");
	snprintf(path, sizeof(path), "/coSpaces/%s/accessMethods/%s", sales, mid);
	if (R.status == 200)
		req("DELETE", path, NULL, NULL);
	fail_begin();
	snprintf(path, sizeof(path), "/coSpaces/%s/accessMethods", sales);
	req("POST", path, NULL, "uri=sales&passcode=1234");
	is_failure_exact(400, "duplicateCoSpaceUriPasscode",
			 "access method uri+passcode = its coSpace's");
	fail_end("duplicateCoSpaceUriPasscode");
	req("POST", "/coSpaces", NULL, "name=Other&callId=100200300&passcode=9999");
	is_failure(400, "duplicateCoSpaceId", "another coSpace with that callId (any passcode)");
	is_int(list_total("/coSpaces", "filter=Other"), 0, "  and it was not created");

	/* Uniqueness spans coSpaces and access methods (section 7). */
	fail_begin();
	req("POST", "/coSpaces", NULL, "name=Clash&uri=sales.guest");
	is_failure_exact(400, "duplicateCoSpaceUri", "coSpace uri = an access method's uri");
	snprintf(path, sizeof(path), "/coSpaces/%s/accessMethods", sales);
	req("POST", path, NULL, "uri=dev_team");
	is_failure_exact(400, "duplicateCoSpaceUri", "access method uri = a coSpace's uri");
	req("POST", path, NULL, "callId=100200300&passcode=1234");
	is_failure(400, "duplicateCoSpaceIdPasscode",
		   "access method callId+passcode = its coSpace's callId+passcode");
	req("POST", path, NULL, "uri=sales.host&callId=100200300&passcode=1234");
	is_failure(400, "duplicateCoSpaceIdPasscode",
		   "access method callId+passcode = its coSpace's (with a fresh uri)");
	req("POST", path, NULL, "scope=sideways");
	is_param_error("scope", "access method scope=sideways");
	snprintf(form, sizeof(form), "uri=am.x&callLegProfile=%s",
		 "00000000-0000-4000-8000-000000000000");
	req("POST", path, NULL, form);
	is_failure(400, "callLegProfileDoesNotExist",
		   "access method with an unknown callLegProfile");
	snprintf(path, sizeof(path), "/coSpaces/%s/accessMethods/%s", sales,
		 "00000000-0000-4000-8000-000000000000");
	req("GET", path, NULL, NULL);
	is_failure_exact(404, "accessMethodDoesNotExist", "GET an unknown access method");
	snprintf(path, sizeof(path), "/coSpaces/%s/accessMethods",
		 "00000000-0000-4000-8000-000000000000");
	req("GET", path, NULL, NULL);
	is_failure_exact(404, "coSpaceDoesNotExist", "accessMethods of an unknown coSpace");
	fail_end("access method failures");

	/* coSpaceUsers (2.1): members are users. */
	create("/users", "users",
	       "userJid=ken%40ciscolabs.com&name=Ken+Thompson&email=ken%40ciscolabs.com&password="
	       "Unix%23Rules1969",
	       ken, "POST /users (Convene extension)");
	snprintf(path, sizeof(path), "/coSpaces/%s/coSpaceUsers", sales);
	snprintf(coll, sizeof(coll), "coSpaces/%s/coSpaceUsers", sales);
	req("GET", path, NULL, NULL);
	is_golden("GET coSpaceUsers (empty)",
		  "<?xml version=\"1.0\"?>\n<coSpaceUsers total=\"0\"/>");
	create(path, coll, "userJid=ken%40ciscolabs.com&canDestroy=true&canChangeName=false", mid,
	       "POST coSpaceUser");
	req("GET", path, NULL, NULL);
	is_int(total_of(body()), 1, "GET coSpaceUsers: total 1");
	snprintf(form, sizeof(form), "<coSpaceUser id=\"%s\"", mid);
	ok(strstr(body(), form) != NULL, "GET coSpaceUsers: <coSpaceUser id>");
	snprintf(path, sizeof(path), "/coSpaces/%s/coSpaceUsers/%s", sales, mid);
	is_int(req("GET", path, NULL, NULL), 200, "GET coSpaceUser: 200");
	is_elem("userJid", "ken@ciscolabs.com", "coSpaceUser detail");
	is_elem("canDestroy", "true", "coSpaceUser detail");
	is_elem("canChangeName", "false", "coSpaceUser detail");
	is_int(req("PUT", path, NULL, "canDestroy=false"), 200, "PUT coSpaceUser: 200");
	req("GET", path, NULL, NULL);
	is_elem("canDestroy", "false", "PUT coSpaceUser canDestroy");
	is_elem("canChangeName", "false", "PUT coSpaceUser: omitted unchanged");

	/* Deleting a coSpace takes its access methods and members along. */
	{
		char tmp[GUID_LEN + 1], am[GUID_LEN + 1], mem[GUID_LEN + 1], c2[160];

		create("/coSpaces", "coSpaces", "name=Doomed&uri=doomed", tmp,
		       "POST a coSpace to delete");
		snprintf(path, sizeof(path), "/coSpaces/%s/accessMethods", tmp);
		snprintf(c2, sizeof(c2), "coSpaces/%s/accessMethods", tmp);
		create(path, c2, "uri=doomed.guest", am, "its access method");
		snprintf(path, sizeof(path), "/coSpaces/%s/coSpaceUsers", tmp);
		snprintf(c2, sizeof(c2), "coSpaces/%s/coSpaceUsers", tmp);
		create(path, c2, "userJid=ken%40ciscolabs.com", mem, "its member");
		snprintf(path, sizeof(path), "/coSpaces/%s", tmp);
		is_int(req("DELETE", path, NULL, NULL), 200,
		       "DELETE the coSpace with an access method and a member");
		snprintf(path, sizeof(path), "/coSpaces/%s/accessMethods/%s", tmp, am);
		is_int(req("GET", path, NULL, NULL), 404, "its access method is gone");
		snprintf(path, sizeof(path), "/coSpaces/%s/coSpaceUsers/%s", tmp, mem);
		is_int(req("GET", path, NULL, NULL), 404, "its member is gone");
		create("/coSpaces", "coSpaces", "name=Reborn&uri=doomed.guest", tmp,
		       "the access method's uri is free again");
		snprintf(path, sizeof(path), "/coSpaces/%s", tmp);
		req("DELETE", path, NULL, NULL);
	}

	fail_begin();
	snprintf(path, sizeof(path), "/coSpaces/%s/coSpaceUsers", sales);
	req("POST", path, NULL, "userJid=nobody%40ciscolabs.com");
	is_failure(400, "userDoesNotExist", "coSpaceUser for an unknown userJid");
	req("POST", path, NULL, "userJid=ken%40ciscolabs.com&canDestroy=perhaps");
	is_param_error("canDestroy", "coSpaceUser canDestroy=perhaps");
	fail_end("coSpaceUser failures");
}

/* 2.5 callLegProfiles. */
static void test_calllegprofiles(void)
{
	char path[128], id[GUID_LEN + 1];

	create("/callLegProfiles", "callLegProfiles",
	       "name=guests&needsActivation=true&defaultLayout=speakerOnly", profile_guest,
	       "POST /callLegProfiles");
	snprintf(path, sizeof(path), "/callLegProfiles/%s", profile_guest);
	is_int(req("GET", path, NULL, NULL), 200, "GET callLegProfile: 200");
	is_elem("needsActivation", "true", "callLegProfile detail");
	is_elem("defaultLayout", "speakerOnly", "callLegProfile detail");
	is_int(req("PUT", path, NULL, "needsActivation=&participantCounter=always"), 200,
	       "PUT callLegProfile needsActivation= : 200");
	req("GET", path, NULL, NULL);
	is_unset("needsActivation", "PUT needsActivation= unsets (inherit)");
	is_elem("participantCounter", "always", "PUT participantCounter");
	is_elem("defaultLayout", "speakerOnly", "PUT: defaultLayout unchanged");
	is_int(req("PUT", path, NULL, "needsActivation=true"), 200,
	       "PUT needsActivation=true: 200");

	/* Case-insensitive collection names (1.2): calllegprofiles. */
	req("POST", "/calllegprofiles", NULL, "name=hosts&needsActivation=false");
	is_create("callLegProfiles", id, "POST /calllegprofiles (lowercase)");
	is_int(list_total("/CallLegProfiles", NULL), 2, "GET /CallLegProfiles: total 2");
	is_int(count_str(body(), "<callLegProfile id=\""), 2,
	       "GET callLegProfiles: 2 <callLegProfile id>");
	ok(strstr(body(), "<callLegProfiles total=\"2\">") != NULL, "callLegProfiles list root");

	fail_begin();
	req("POST", "/callLegProfiles", NULL, "defaultLayout=sideBySide");
	is_param_error("defaultLayout", "callLegProfile defaultLayout=sideBySide (not in 2.1.1)");
	req("POST", "/callLegProfiles", NULL, "needsActivation=yes");
	is_param_error("needsActivation",
		       "callLegProfile needsActivation=yes (booleans are true/false)");
	req("PUT", path, NULL, "participantCounter=sometimes");
	is_param_error("participantCounter", "PUT participantCounter=sometimes");
	req("POST", "/coSpaces", NULL,
	    "name=X&callLegProfile=00000000-0000-4000-8000-000000000000");
	is_failure(400, "callLegProfileDoesNotExist",
		   "coSpace with an unknown callLegProfile (1.6: 400)");
	fail_end("callLegProfile failures");

	/* The 2.1.1 layout names are all accepted. */
	{
		static const char *const layouts[] = {
		    "allEqual",		  "speakerOnly",
		    "telepresence",	  "stacked",
		    "allEqualQuarters",	  "allEqualNinths",
		    "allEqualSixteenths", "allEqualTwentyFifths",
		    "onePlusFive",	  "onePlusSeven",
		    "onePlusNine",	  "automatic",
		    "onePlusN",
		};
		int good = 0;

		for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
			char form[64];

			snprintf(form, sizeof(form), "defaultLayout=%s", layouts[i]);
			if (req("PUT", path, NULL, form) == 200 &&
			    req("GET", path, NULL, NULL) == 200 &&
			    xml_text(body(), "defaultLayout", form, sizeof(form)) == 1 &&
			    strcmp(form, layouts[i]) == 0)
				good++;
			else
				diag("layout %s refused or not stored", layouts[i]);
		}
		is_int(good, sizeof(layouts) / sizeof(layouts[0]),
		       "every layout of 2.1.1 is accepted");
	}
	req("PUT", path, NULL, "defaultLayout=speakerOnly");
	snprintf(path, sizeof(path), "/coSpaces/%s", sales);
	is_int(req("PUT", path, NULL, NULL), 200, "PUT with no body: 200 (nothing to change)");
}

/* 2.2, 6.1, 6.2: calls on a coSpace; dial-out is refused. */
static void test_calls(void)
{
	char call[GUID_LEN + 1], corr[64], path[160], form[128];
	long n;

	req("GET", "/calls", NULL, NULL);
	is_golden("GET /calls (empty)", "<?xml version=\"1.0\"?>\n<calls total=\"0\"/>");
	snprintf(form, sizeof(form), "coSpace=%s", sales);
	create("/calls", "calls", form, call, "6.1 POST /calls coSpace=<id>");

	req("GET", "/calls", NULL, NULL);
	xml_text(body(), "callCorrelator", corr, sizeof(corr));
	ok(is_guid(corr, strlen(corr)), "call: callCorrelator is a GUID");
	is_golden("2.2 GET /calls",
		  "<?xml version=\"1.0\"?>\n"
		  "<calls total=\"1\">\n"
		  "  <call id=\"%s\">\n"
		  "    <name>Sales</name>\n"
		  "    <coSpace>%s</coSpace>\n"
		  "    <callCorrelator>%s</callCorrelator>\n"
		  "  </call>\n"
		  "</calls>\n",
		  call, sales, corr);
	snprintf(path, sizeof(path), "/calls/%s", call);
	is_int(req("GET", path, NULL, NULL), 200, "GET /calls/<id>: 200");
	snprintf(form, sizeof(form), "<call id=\"%s\">", call);
	ok(strstr(body(), form) != NULL, "call detail: root <call id>");
	is_elem("coSpace", sales, "call detail");
	is_elem("callCorrelator", corr, "call detail");
	is_elem("name", "Sales", "call detail");

	/* One call per coSpace on this call bridge (2.2). */
	snprintf(form, sizeof(form), "coSpace=%s", sales);
	req("POST", "/calls", NULL, form);
	ok(R.status >= 400 || (R.status == 200 && strstr(R.location, call)),
	   "a second POST /calls on the same coSpace does not make a second call");
	is_int(list_total("/calls", NULL), 1, "still one call");

	/* Typed filter. */
	snprintf(form, sizeof(form), "coSpaceFilter=%s", sales);
	is_int(list_total("/calls", form), 1, "calls?coSpaceFilter=<its coSpace>: 1");
	snprintf(form, sizeof(form), "coSpaceFilter=%s", dev);
	is_int(list_total("/calls", form), 0, "calls?coSpaceFilter=<another coSpace>: 0");

	/* PUT a CMR field. */
	is_int(req("PUT", path, NULL, "locked=true"), 200, "PUT /calls/<id> locked=true: 200");
	req("GET", path, NULL, NULL);
	is_elem("locked", "true", "PUT locked");

	/* Participants and legs: empty lists of the right shape. */
	req("GET", "/participants", NULL, NULL);
	is_golden("GET /participants (none)",
		  "<?xml version=\"1.0\"?>\n<participants total=\"0\"/>");
	snprintf(path, sizeof(path), "/calls/%s/participants", call);
	req("GET", path, NULL, NULL);
	is_golden("GET /calls/<id>/participants",
		  "<?xml version=\"1.0\"?>\n<participants total=\"0\"/>");
	req("GET", "/callLegs", NULL, NULL);
	is_golden("GET /callLegs (none)", "<?xml version=\"1.0\"?>\n<callLegs total=\"0\"/>");
	snprintf(path, sizeof(path), "/calls/%s/callLegs", call);
	req("GET", path, NULL, NULL);
	is_golden("GET /calls/<id>/callLegs", "<?xml version=\"1.0\"?>\n<callLegs total=\"0\"/>");

	/* 6.1 step 3 and a callLeg dial-out: out of scope, a clear refusal. */
	fail_begin();
	snprintf(path, sizeof(path), "/calls/%s/participants", call);
	req("POST", path, NULL, "remoteParty=username1%40example.com");
	ok(R.status >= 400 && R.status < 500 && strstr(body(), "<failureDetails><") &&
	       R.location[0] == '\0',
	   "6.1 POST participants remoteParty=username1@example.com: 4xx + failureDetails");
	if (R.status < 400 || !strstr(body(), "<failureDetails><")) {
		diag("status %d", R.status);
		tap_diag_str("body: ", body());
	}
	snprintf(path, sizeof(path), "/calls/%s/callLegs", call);
	req("POST", path, NULL, "remoteParty=sip%3Aalice%40example.com");
	ok(R.status >= 400 && R.status < 500 && strstr(body(), "<failureDetails><") &&
	       R.location[0] == '\0',
	   "POST callLegs remoteParty=sip:alice@example.com: 4xx + failureDetails");
	if (R.status < 400 || !strstr(body(), "<failureDetails><")) {
		diag("status %d", R.status);
		tap_diag_str("body: ", body());
	}
	fail_end("dial-out requests");
	is_int(list_total("/participants", NULL), 0, "dial-out: no participant created");
	is_int(list_total("/callLegs", NULL), 0, "dial-out: no call leg created");

	/* 6.2 on objects that do not exist / on all participants. */
	snprintf(path, sizeof(path), "/calls/%s/participants/*", call);
	is_int(req("PUT", path, NULL, "layout=allEqual"), 200,
	       "6.2 PUT /calls/<id>/participants/* layout=allEqual: 200");
	fail_begin();
	req("PUT", path, NULL, "layout=mosaic");
	is_param_error("layout", "PUT participants/* layout=mosaic");
	req("PUT", "/callLegs/00000000-0000-4000-8000-000000000000", NULL, "rxAudioMute=true");
	is_failure_exact(404, "callLegDoesNotExist",
			 "6.2 PUT /callLegs/<unknown> rxAudioMute=true");
	req("PUT", "/callLegs/00000000-0000-4000-8000-000000000000", NULL,
	    "chosenLayout=speakerOnly");
	is_failure_exact(404, "callLegDoesNotExist", "6.2 PUT /callLegs/<unknown> chosenLayout");
	req("DELETE", "/callLegs/00000000-0000-4000-8000-000000000000", NULL, NULL);
	is_failure_exact(404, "callLegDoesNotExist", "6.2 DELETE /callLegs/<unknown>");
	req("GET", "/participants/00000000-0000-4000-8000-000000000000", NULL, NULL);
	is_failure_exact(404, "participantDoesNotExist", "GET /participants/<unknown>");
	req("GET", "/calls/00000000-0000-4000-8000-000000000000/participants", NULL, NULL);
	is_failure_exact(404, "callDoesNotExist", "GET /calls/<unknown>/participants");
	req("POST", "/calls", NULL, "coSpace=00000000-0000-4000-8000-000000000000");
	is_failure(400, "coSpaceDoesNotExist",
		   "POST /calls with an unknown coSpace (referenced: 400)");
	fail_end("6.2 on unknown objects");

	/* 6.2: DELETE /calls/<call> ends the meeting. */
	snprintf(path, sizeof(path), "/calls/%s", call);
	is_int(req("DELETE", path, NULL, NULL), 200, "6.2 DELETE /calls/<id>: 200");
	n = list_total("/calls", NULL);
	is_int(n, 0, "after DELETE: no call");
	req("GET", path, NULL, NULL);
	is_failure_exact(404, "callDoesNotExist", "GET a deleted call");

	/* A call that stays, for the status and durability checks. */
	snprintf(form, sizeof(form), "coSpace=%s", dev);
	create("/calls", "calls", form, call, "POST /calls on DevelopmentTeam");
}

/* 2.6 users (POST/PUT are a Convene extension; the password is write-only). */
static void test_users(void)
{
	char path[128], id[GUID_LEN + 1];

	/* ken was created in test_cospace_subs; he is the only user. */
	req("GET", "/users", NULL, NULL);
	is_int(R.status, 200, "GET /users: 200");
	is_golden("2.6 GET /users",
		  "<?xml version=\"1.0\"?>\n"
		  "<users total=\"1\">\n"
		  "  <user id=\"%s\"><userJid>ken@ciscolabs.com</userJid></user>\n"
		  "</users>\n",
		  ken);
	snprintf(path, sizeof(path), "/users/%s", ken);
	is_int(req("GET", path, NULL, NULL), 200, "GET /users/<id>: 200");
	is_elem("userJid", "ken@ciscolabs.com", "user detail");
	is_elem("name", "Ken Thompson", "user detail");
	is_elem("email", "ken@ciscolabs.com", "user detail");
	ok(!strstr(body(), "assword") && !strstr(body(), "Unix#Rules1969") &&
	       !strstr(body(), "$y$") && !strstr(body(), "$6$") && !strstr(body(), "$7$"),
	   "user detail: no password, no hash");
	is_int(req("PUT", path, NULL, "password=An0ther%21Secret&name=Ken+T."), 200,
	       "PUT user password and name: 200");
	req("GET", path, NULL, NULL);
	is_elem("name", "Ken T.", "PUT user name");
	is_elem("email", "ken@ciscolabs.com", "PUT user: email unchanged");
	ok(!strstr(body(), "assword") && !strstr(body(), "An0ther!Secret"),
	   "PUT password: still not shown");

	create("/users", "users", "userJid=dmr%40ciscolabs.com&name=Dennis&password=C-is-fine-1972",
	       id, "POST a second user");
	is_int(list_total("/users", NULL), 2, "GET /users: total 2");
	ok(!strstr(body(), "assword") && !strstr(body(), "C-is-fine-1972"),
	   "users list: no password");
	is_int(list_total("/users", "filter=dmr"), 1, "users?filter=dmr: 1");

	fail_begin();
	req("POST", "/users", NULL, "userJid=ken%40ciscolabs.com&password=x1234567");
	ok(R.status == 400 && strstr(body(), "<failureDetails><"),
	   "POST a duplicate userJid: 400 + failureDetails");
	req("POST", "/users", NULL, "name=NoJid&password=x1234567");
	ok(R.status == 400 && strstr(body(), "<failureDetails><"),
	   "POST a user without userJid: 400 + failureDetails");
	req("GET", "/users/00000000-0000-4000-8000-000000000000", NULL, NULL);
	is_failure_exact(404, "userDoesNotExist", "GET /users/<unknown>");
	fail_end("user failures");

	snprintf(path, sizeof(path), "/users/%s", id);
	is_int(req("DELETE", path, NULL, NULL), 200, "DELETE an API-created user: 200");
	is_int(list_total("/users", NULL), 1, "after DELETE: 1 user");
}

/* 2.7, 6.3: webBridges and webBridgeProfiles. */
static char wb[GUID_LEN + 1], wbp[GUID_LEN + 1], grp_eu[GUID_LEN + 1], grp_na[GUID_LEN + 1];

static void test_webbridges(void)
{
	char path[160], v[64], form[256];

	create("/webBridgeProfiles", "webBridgeProfiles",
	       "name=wbp1&allowPasscodes=false&resolveCoSpaceUris=domainSuggestionEnabled", wbp,
	       "POST /webBridgeProfiles");
	snprintf(path, sizeof(path), "/webBridgeProfiles/%s", wbp);
	is_int(req("GET", path, NULL, NULL), 200, "GET webBridgeProfile: 200");
	snprintf(v, sizeof(v), "<webBridgeProfile id=\"%s\">", wbp);
	ok(strstr(body(), v) != NULL, "webBridgeProfile detail root");
	is_elem("name", "wbp1", "webBridgeProfile detail");
	is_elem("allowPasscodes", "false", "webBridgeProfile detail");
	is_elem("resolveCoSpaceUris", "domainSuggestionEnabled", "webBridgeProfile detail");

	/* 6.3 */
	create("/webBridges", "webBridges", "url=c2w://edge.example.com:6000", wb,
	       "6.3 POST /webBridges url=c2w://edge.example.com:6000");
	snprintf(path, sizeof(path), "/webBridges/%s", wb);
	is_int(req("GET", path, NULL, NULL), 200, "GET webBridge: 200");
	snprintf(v, sizeof(v), "<webBridge id=\"%s\">", wb);
	ok(strstr(body(), v) != NULL, "webBridge detail root");
	is_elem("url", "c2w://edge.example.com:6000", "webBridge detail");
	snprintf(path, sizeof(path), "/webBridges/%s/status", wb);
	is_int(req("GET", path, NULL, NULL), 200, "6.3 GET /webBridges/<id>/status: 200");
	{
		char st[64];
		char *c = canon(body());

		snprintf(form, sizeof(form), "<?xml version=\"1.0\"?><webBridge id=\"%s\"><status>",
			 wb);
		ok(strncmp(c, form, strlen(form)) == 0,
		   "6.3 status: <webBridge id=\"<id>\"><status>");
		free(c);
		xml_text(body(), "status", st, sizeof(st));
		ok(!strcmp(st, "unused") || !strcmp(st, "connectionFailure") ||
		       !strcmp(st, "dnsFailure"),
		   "6.3 status is a 2.7 value and not \"success\" (no C2W link exists)");
		if (strcmp(st, "unused") && strcmp(st, "connectionFailure") &&
		    strcmp(st, "dnsFailure"))
			tap_diag_str("status: ", st);
	}

	/* 2.7 example: url percent-encoded with a callBridgeGroup. */
	create("/callBridgeGroups", "callBridgeGroups", "name=eu&loadBalancingEnabled=true", grp_eu,
	       "6.4 POST /callBridgeGroups name=eu");
	{
		char id[GUID_LEN + 1];

		snprintf(form, sizeof(form),
			 "url=c2w%%3A%%2F%%2Fedge2.example.com%%3A6000&callBridgeGroup=%s&"
			 "webBridgeProfile=%s",
			 grp_eu, wbp);
		create("/webBridges", "webBridges", form, id,
		       "2.7 POST /webBridges (encoded url, group, profile)");
		snprintf(path, sizeof(path), "/webBridges/%s", id);
		req("GET", path, NULL, NULL);
		is_elem("url", "c2w://edge2.example.com:6000", "2.7 webBridge detail");
		is_elem("callBridgeGroup", grp_eu, "2.7 webBridge detail");
		is_elem("webBridgeProfile", wbp, "2.7 webBridge detail");
	}
	is_int(list_total("/webBridges", NULL), 2, "GET /webBridges: total 2");
	is_int(count_str(body(), "<webBridge id=\""), 2, "GET /webBridges: 2 <webBridge id>");

	fail_begin();
	req("POST", "/webBridges", NULL, "url=not+a+url");
	is_param_error("url", "POST /webBridges url=not a url");
	req("POST", "/webBridges", NULL,
	    "url=c2w://"
	    "edge3.example.com:6000&callBridgeGroup=00000000-0000-4000-8000-000000000000");
	is_failure(400, "callBridgeGroupDoesNotExist", "webBridge with an unknown callBridgeGroup");
	req("POST", "/webBridgeProfiles", NULL, "resolveCoSpaceUris=always");
	is_param_error("resolveCoSpaceUris", "webBridgeProfile resolveCoSpaceUris=always");
	req("GET", "/webBridges/00000000-0000-4000-8000-000000000000/status", NULL, NULL);
	is_failure_exact(404, "webBridgeDoesNotExist", "status of an unknown webBridge");
	req("GET", "/webBridgeProfiles/00000000-0000-4000-8000-000000000000", NULL, NULL);
	is_failure_exact(404, "webBridgeProfileDoesNotExist", "GET an unknown webBridgeProfile");
	fail_end("webBridge failures");
}

/* turnServers (a CMS object; the spec's object list only names it). */
static char turn[GUID_LEN + 1];

static void test_turnservers(void)
{
	char path[128], v[96];

	create("/turnServers", "turnServers",
	       "serverAddress=turn.example.com&clientAddress=turn.example.com&username=cbuser&"
	       "password=TurnPw%2199",
	       turn, "POST /turnServers");
	is_int(list_total("/turnServers", NULL), 1, "GET /turnServers: total 1");
	snprintf(v, sizeof(v), "<turnServers total=\"1\"><turnServer id=\"%s\">", turn);
	{
		char *c = canon(body());

		ok(strstr(c, v) != NULL, "turnServers list shape");
		free(c);
	}
	snprintf(path, sizeof(path), "/turnServers/%s", turn);
	is_int(req("GET", path, NULL, NULL), 200, "GET turnServer: 200");
	is_elem("serverAddress", "turn.example.com", "turnServer detail");
	is_elem("clientAddress", "turn.example.com", "turnServer detail");
	is_elem("username", "cbuser", "turnServer detail");
	ok(!strstr(body(), "TurnPw!99"), "turnServer detail: the password is not shown");
	fail_begin();
	req("GET", "/turnServers/00000000-0000-4000-8000-000000000000", NULL, NULL);
	is_failure_exact(404, "turnServerDoesNotExist", "GET an unknown turnServer");
	fail_end("turnServer failure");
}

/* 2.8, 6.4: callBridges and callBridgeGroups. */
static void test_cluster_objects(void)
{
	char path[128], id[GUID_LEN + 1], na1[GUID_LEN + 1], form[256];

	req("GET", "/callBridges", NULL, NULL);
	is_int(R.status, 200, "GET /callBridges (empty): 200");
	is_golden("1.5 empty collection", "<?xml version=\"1.0\"?>\n<callBridges total=\"0\"/>");

	/* 2.8 examples, byte-exact. */
	create("/callBridgeGroups", "callBridgeGroups", "name=na-1", grp_na,
	       "POST /callBridgeGroups name=na-1");
	snprintf(path, sizeof(path), "/callBridgeGroups/%s", grp_na);
	is_int(req("GET", path, NULL, NULL), 200, "GET callBridgeGroup: 200");
	is_golden("2.8 callBridgeGroup (defaults)",
		  "<?xml version=\"1.0\"?>\n"
		  "<callBridgeGroup id=\"%s\">\n"
		  "  <name>na-1</name>\n"
		  "  <loadBalancingEnabled>false</loadBalancingEnabled>\n"
		  "  <loadBalanceLyncCalls>false</loadBalanceLyncCalls>\n"
		  "  <loadBalanceOutgoingCalls>false</loadBalanceOutgoingCalls>\n"
		  "  <loadBalanceUserCalls>true</loadBalanceUserCalls>\n"
		  "  <loadBalanceIndirectCalls>false</loadBalanceIndirectCalls>\n"
		  "</callBridgeGroup>\n",
		  grp_na);
	snprintf(path, sizeof(path), "/callBridgeGroups/%s", grp_eu);
	req("GET", path, NULL, NULL);
	is_elem("loadBalancingEnabled", "true", "6.4 group eu");

	create("/callBridges", "callBridges", "name=na-cb-1&address=https://1.1.1.1:8443", na1,
	       "POST /callBridges na-cb-1");
	snprintf(path, sizeof(path), "/callBridges/%s", na1);
	is_int(req("GET", path, NULL, NULL), 200, "GET callBridge: 200");
	is_golden("2.8 callBridge",
		  "<?xml version=\"1.0\"?>\n"
		  "<callBridge id=\"%s\">\n"
		  "  <name>na-cb-1</name>\n"
		  "  <address>https://1.1.1.1:8443</address>\n"
		  "</callBridge>\n",
		  na1);

	/* 6.4 */
	snprintf(form, sizeof(form),
		 "name=cb1&address=https://"
		 "cb1.example.com:445&sipDomain=cb1.example.com&callBridgeGroup=%s",
		 grp_eu);
	create("/callBridges", "callBridges", form, id, "6.4 POST /callBridges cb1");
	snprintf(path, sizeof(path), "/callBridges/%s", id);
	req("GET", path, NULL, NULL);
	is_elem("name", "cb1", "6.4 cb1");
	is_elem("address", "https://cb1.example.com:445", "6.4 cb1");
	is_elem("sipDomain", "cb1.example.com", "6.4 cb1");
	is_elem("callBridgeGroup", grp_eu, "6.4 cb1");
	snprintf(form, sizeof(form),
		 "name=cb2&address=https://"
		 "cb2.example.com:445&sipDomain=cb2.example.com&callBridgeGroup=%s",
		 grp_eu);
	create("/callBridges", "callBridges", form, id, "6.4 POST /callBridges cb2");
	snprintf(path, sizeof(path), "/callBridges/%s", id);
	is_int(list_total("/callBridges", NULL), 3, "GET /callBridges: total 3");
	is_int(count_str(body(), "<callBridge id=\""), 3, "GET /callBridges: 3 <callBridge id>");
	is_int(list_total("/callBridgeGroups", NULL), 2, "GET /callBridgeGroups: total 2");

	fail_begin();
	req("POST", "/callBridges", NULL, "name=cb1&address=https://other.example.com:445");
	is_failure_exact(400, "duplicateCallBridgeName", "POST a duplicate callBridge name");
	req("PUT", path, NULL, "name=cb1");
	is_failure_exact(400, "duplicateCallBridgeName", "PUT cb2 to the name cb1");
	req("POST", "/callBridges", NULL,
	    "name=cb9&callBridgeGroup=00000000-0000-4000-8000-000000000000");
	is_failure(400, "callBridgeGroupDoesNotExist", "callBridge with an unknown group");
	req("POST", "/callBridgeGroups", NULL, "name=x&loadBalancingEnabled=sometimes");
	is_param_error("loadBalancingEnabled", "callBridgeGroup loadBalancingEnabled=sometimes");
	req("GET", "/callBridges/00000000-0000-4000-8000-000000000000", NULL, NULL);
	is_failure_exact(404, "callBridgeDoesNotExist", "GET an unknown callBridge");
	req("GET", "/callBridgeGroups/00000000-0000-4000-8000-000000000000", NULL, NULL);
	is_failure_exact(404, "callBridgeGroupDoesNotExist", "GET an unknown callBridgeGroup");
	fail_end("callBridge failures");
}

/* 2.9, 2.10, 6.4: the singletons. */
static void test_singletons(void)
{
	static const char *const status_order[] = {
	    "hostId",
	    "softwareVersion",
	    "uptimeSeconds",
	    "cdrTime",
	    "activated",
	    "clusterEnabled",
	    "cdrCorrelatorIndex",
	    "callLegsActive",
	    "callLegsMaxActive",
	    "callLegsCompleted",
	};
	char v[128];

	/* 2.9: the cluster uniqueName defaults to the name given to cb_api_open. */
	is_int(req("GET", "/system/configuration/cluster", NULL, NULL), 200, "GET cluster: 200");
	ok(strncmp(body(), "<?xml version=\"1.0\"?>", 21) == 0 && strstr(body(), "<cluster>"),
	   "GET cluster: root <cluster>");
	is_elem("uniqueName", "golden-cb", "cluster default uniqueName (cb_api.h)");
	is_elem("newConferenceLoadLimitBasisPoints", "5000", "cluster default (2.9)");
	is_elem("existingConferenceLoadLimitBasisPoints", "8000", "cluster default (2.9)");

	/* 6.4 */
	is_int(req("PUT", "/system/configuration/cluster", NULL, "uniqueName=cb1&loadLimit=96000"),
	       200, "6.4 PUT cluster uniqueName=cb1&loadLimit=96000: 200");
	ok(R.location[0] == '\0', "PUT cluster: singletons return no Location (1.3)");
	req("GET", "/system/configuration/cluster", NULL, NULL);
	is_elem("uniqueName", "cb1", "6.4 cluster");
	is_elem("loadLimit", "96000", "6.4 cluster");
	is_elem("newConferenceLoadLimitBasisPoints", "5000", "6.4 cluster: default kept");
	is_int(req("POST", "/system/configuration/cluster", NULL, "participantLimit=200"), 200,
	       "POST cluster (accepted like PUT, 1.3): 200");
	ok(R.location[0] == '\0', "POST cluster: no Location");
	req("GET", "/system/configuration/cluster", NULL, NULL);
	is_elem("participantLimit", "200", "POST cluster");
	is_elem("loadLimit", "96000", "POST cluster: loadLimit unchanged");
	is_int(req("PUT", "/system/configuration/cluster", NULL, "participantLimit="), 200,
	       "PUT participantLimit= : 200");
	req("GET", "/system/configuration/cluster", NULL, NULL);
	is_unset("participantLimit", "PUT participantLimit= unsets");
	is_elem("uniqueName", "cb1", "PUT participantLimit=: uniqueName unchanged");

	/* 2.10, byte-exact: the shared secret is write-only. */
	is_int(req("PUT", "/system/configuration/xmpp", NULL,
		   "uniqueName=ciscolabs-local&domain=ciscolabs.com&serverAddressOverride="
		   "localhost&sharedSecret=Xmpp%24hared1"),
	       200, "PUT /system/configuration/xmpp: 200");
	ok(R.location[0] == '\0', "PUT xmpp: no Location");
	req("GET", "/system/configuration/xmpp", NULL, NULL);
	is_int(R.status, 200, "GET xmpp: 200");
	is_golden("2.10 GET xmpp", "<?xml version=\"1.0\"?>\n"
				   "<xmpp>\n"
				   "  <uniqueName>ciscolabs-local</uniqueName>\n"
				   "  <domain>ciscolabs.com</domain>\n"
				   "  <serverAddressOverride>localhost</serverAddressOverride>\n"
				   "</xmpp>\n");
	is_int(req("POST", "/system/configuration/xmpp", NULL, "domain=example.org"), 200,
	       "POST xmpp: 200");
	req("GET", "/system/configuration/xmpp", NULL, NULL);
	is_elem("domain", "example.org", "POST xmpp domain");
	is_elem("uniqueName", "ciscolabs-local", "POST xmpp: uniqueName unchanged");
	req("PUT", "/system/configuration/xmpp", NULL, "domain=ciscolabs.com");

	fail_begin();
	req("PUT", "/system/configuration/xmpp", NULL, "domain=x.org&colour=blue");
	is_param_error("colour", "PUT xmpp with an unknown parameter");
	req("PUT", "/system/configuration/cluster", NULL, "loadLimit=lots");
	is_param_error("loadLimit", "PUT cluster loadLimit=lots");
	req("DELETE", "/system/configuration/xmpp", NULL, NULL);
	is_int(R.status, 405, "DELETE xmpp: 405");
	req("PUT", "/system/status", NULL, "uptimeSeconds=1");
	is_int(R.status, 405, "PUT /system/status: 405");
	fail_end("singleton failures");

	/* 2.11 */
	is_int(req("GET", "/system/status", NULL, NULL), 200, "GET /system/status: 200");
	ok(strncmp(body(), "<?xml version=\"1.0\"?>", 21) == 0 && strstr(body(), "<status>"),
	   "GET /system/status: root <status>");
	ok(xml_text(body(), "hostId", v, sizeof(v)) == 1 && is_guid(v, strlen(v)),
	   "status: hostId is a GUID");
	is_elem("softwareVersion", CONVENE_VERSION, "status");
	ok(xml_text(body(), "uptimeSeconds", v, sizeof(v)) == 1 &&
	       strspn(v, "0123456789") == strlen(v),
	   "status: uptimeSeconds is a number");
	is_elem("activated", "true", "status (always true, 2.11)");
	is_elem("clusterEnabled", "true", "status (the /callBridges peer table has rows, 2.8)");
	is_elem("callLegsActive", "0", "status (no call legs)");
	if (xml_text(body(), "cdrTime", v, sizeof(v)) == 1)
		ok(strlen(v) == 20 && v[4] == '-' && v[10] == 'T' && v[19] == 'Z',
		   "status: cdrTime is RFC 3339 Z");
	in_order("GET /system/status", status_order,
		 sizeof(status_order) / sizeof(status_order[0]));
}

/* 2.3, 2.4, 6.2 on live objects: participants and legs added the way the
 * web app issue will add them (cb_api.h), then driven through the API. */
static void test_participants(void)
{
	static const char *const leg_order[] = {
	    "name",	 "remoteParty", "originalRemoteParty", "call",	 "type",
	    "direction", "canMove",	"configuration",       "status",
	};
	char call[GUID_LEN + 1], again[GUID_LEN + 1], pid[GUID_LEN + 1], lid[GUID_LEN + 1];
	char pid2[GUID_LEN + 1], lid2[GUID_LEN + 1], path[160], v[128];
	long legs0 = list_total("/callLegs", NULL), parts0 = list_total("/participants", NULL);
	int rc;

	rc = cb_api_call_start(api, johnny, call);
	is_int(rc, 0, "cb_api_call_start on a space");
	ok(is_guid(call, strlen(call)), "cb_api_call_start: a call id");
	memset(again, 0, sizeof(again));
	is_int(cb_api_call_start(api, johnny, again), -EEXIST,
	       "a second start: -EEXIST (one call per space)");
	is_str(again, call, "a second start: the running call's id");
	is_int(cb_api_call_start(api, "00000000-0000-4000-8000-000000000000", again), -ENOENT,
	       "start on an unknown space: -ENOENT");

	rc = cb_api_participant_add(api, call, "User X", "guest2316075499", pid, lid);
	is_int(rc, 0, "cb_api_participant_add");
	ok(is_guid(pid, strlen(pid)) && is_guid(lid, strlen(lid)) && strcmp(pid, lid) != 0,
	   "participant and leg ids are distinct GUIDs");
	is_int(cb_api_participant_add(api, "00000000-0000-4000-8000-000000000000", "Y", NULL, pid2,
				      lid2),
	       -ENOENT, "participant on an unknown call: -ENOENT");

	/* Lists. */
	is_int(list_total("/participants", NULL), parts0 + 1, "GET /participants: one more");
	snprintf(v, sizeof(v), "<participant id=\"%s\">", pid);
	ok(strstr(body(), v) != NULL, "GET /participants: <participant id>");
	snprintf(path, sizeof(path), "/calls/%s/participants", call);
	is_int(list_total(path, NULL), 1, "GET /calls/<id>/participants: 1");
	snprintf(path, sizeof(path), "/calls/%s/callLegs", call);
	is_int(list_total(path, NULL), 1, "GET /calls/<id>/callLegs: 1");
	snprintf(v, sizeof(v), "<callLeg id=\"%s\">", lid);
	ok(strstr(body(), v) != NULL, "GET /calls/<id>/callLegs: <callLeg id>");
	snprintf(path, sizeof(path), "/participants/%s/callLegs", pid);
	is_int(list_total(path, NULL), 1, "GET /participants/<id>/callLegs: 1 (2.4)");
	is_int(list_total("/callLegs", NULL), legs0 + 1, "GET /callLegs: one more");
	is_int(list_total("/participants", "filter=user+x"), 1,
	       "participants?filter=user x (name, any case)");
	is_int(list_total("/participants", "filter=nobody"), 0, "participants?filter=nobody");
	is_int(list_total("/callLegs", "filter=User"), 1, "callLegs?filter=User");

	/* Participant detail (2.4). */
	snprintf(path, sizeof(path), "/participants/%s", pid);
	is_int(req("GET", path, NULL, NULL), 200, "GET /participants/<id>: 200");
	snprintf(v, sizeof(v), "<participant id=\"%s\">", pid);
	ok(strstr(body(), v) != NULL, "participant detail root");
	is_elem("name", "User X", "participant detail");
	is_elem("call", call, "participant detail");
	is_elem("state", "initial", "participant detail: status/state");
	is_elem("numCallLegs", "1", "participant detail");

	/* Call leg detail (2.3). */
	snprintf(path, sizeof(path), "/callLegs/%s", lid);
	is_int(req("GET", path, NULL, NULL), 200, "GET /callLegs/<id>: 200");
	snprintf(v, sizeof(v), "<callLeg id=\"%s\">", lid);
	ok(strstr(body(), v) != NULL, "callLeg detail root");
	is_elem("name", "User X", "callLeg detail");
	is_elem("call", call, "callLeg detail");
	is_elem("type", "acano", "callLeg detail (WB3 legs report acano, 2.3)");
	is_elem("direction", "incoming", "callLeg detail");
	ok(strstr(body(), "<status>") && strstr(body(), "</status>"),
	   "callLeg detail: a <status> element");
	is_elem("state", "initial", "callLeg detail: status/state");
	in_order("callLeg detail", leg_order, sizeof(leg_order) / sizeof(leg_order[0]));

	/* State changes, seen by the leg, the participant and /system/status. */
	is_int(cb_api_participant_set_state(api, pid, "connected"), 0, "set_state connected");
	req("GET", path, NULL, NULL);
	is_elem("state", "connected", "callLeg after set_state");
	req("GET", "/system/status", NULL, NULL);
	is_elem("callLegsActive", "1", "status: one active leg");
	ok(cb_api_participant_set_state(api, pid, "dancing") < 0,
	   "set_state with a bad state: an error");
	req("GET", path, NULL, NULL);
	is_elem("state", "connected", "a bad set_state changed nothing");

	/* 6.2 on a live leg. */
	is_int(req("PUT", path, NULL, "rxAudioMute=true"), 200,
	       "6.2 PUT /callLegs/<leg> rxAudioMute=true: 200");
	req("GET", path, NULL, NULL);
	ok(strstr(body(), "<configuration>") && strstr(body(), "<rxAudioMute>true</rxAudioMute>"),
	   "rxAudioMute=true shows in <configuration>");
	is_int(req("PUT", path, NULL, "chosenLayout=speakerOnly"), 200,
	       "6.2 PUT chosenLayout=speakerOnly: 200");
	req("GET", path, NULL, NULL);
	is_elem("chosenLayout", "speakerOnly", "6.2 chosenLayout");
	ok(strstr(body(), "<rxAudioMute>true</rxAudioMute>") != NULL,
	   "chosenLayout PUT: rxAudioMute unchanged");
	fail_begin();
	req("PUT", path, NULL, "remoteParty=sip%3Aeve%40example.com");
	ok(R.status == 400 && strstr(body(), "<failureDetails><"),
	   "PUT /callLegs/<leg> remoteParty: 400 (cannot change remoteParty, 2.3)");
	req("PUT", path, NULL, "rxAudioMute=loud");
	is_param_error("rxAudioMute", "PUT rxAudioMute=loud");
	fail_end("bad PUTs on a live leg");
	snprintf(path, sizeof(path), "/calls/%s/participants/*", call);
	is_int(req("PUT", path, NULL, "layout=allEqual"), 200,
	       "6.2 PUT /calls/<call>/participants/* layout=allEqual: 200");
	snprintf(path, sizeof(path), "/participants/%s", pid);
	is_int(req("PUT", path, NULL, "importance=5"), 200,
	       "PUT /participants/<id> importance=5: 200");
	req("GET", path, NULL, NULL);
	is_elem("importance", "5", "participant importance (configuration, 2.4)");

	/* The call counts its participants. */
	snprintf(path, sizeof(path), "/calls/%s", call);
	req("GET", path, NULL, NULL);
	is_elem("numCallLegs", "1", "call detail numCallLegs");
	is_elem("numParticipantsLocal", "1", "call detail numParticipantsLocal");

	/* 6.2 DELETE /callLegs/<leg>. */
	snprintf(path, sizeof(path), "/callLegs/%s", lid);
	is_int(req("DELETE", path, NULL, NULL), 200, "6.2 DELETE /callLegs/<leg>: 200");
	req("GET", path, NULL, NULL);
	is_failure_exact(404, "callLegDoesNotExist", "GET a deleted leg");
	is_int(list_total("/callLegs", NULL), legs0, "after DELETE: the leg is gone");

	/* DELETE /participants/<id> removes it and its legs. */
	is_int(cb_api_participant_add(api, call, "Second", NULL, pid2, lid2), 0,
	       "add a second participant");
	snprintf(path, sizeof(path), "/participants/%s", pid2);
	is_int(req("DELETE", path, NULL, NULL), 200, "DELETE /participants/<id>: 200");
	req("GET", path, NULL, NULL);
	is_failure_exact(404, "participantDoesNotExist", "GET a deleted participant");
	snprintf(path, sizeof(path), "/callLegs/%s", lid2);
	req("GET", path, NULL, NULL);
	is_failure_exact(404, "callLegDoesNotExist", "the deleted participant's leg is gone");

	/* cb_api_participant_remove, and DELETE /calls/<call> takes the rest. */
	is_int(cb_api_participant_add(api, call, "Third", NULL, pid2, lid2), 0,
	       "add a third participant");
	is_int(cb_api_participant_remove(api, pid2), 0, "cb_api_participant_remove");
	snprintf(path, sizeof(path), "/participants/%s", pid2);
	is_int(req("GET", path, NULL, NULL), 404, "a removed participant: 404");
	ok(cb_api_participant_remove(api, pid2) < 0, "removing it again: an error");
	is_int(cb_api_participant_add(api, call, "Fourth", NULL, pid2, lid2), 0,
	       "add a fourth participant");
	snprintf(path, sizeof(path), "/calls/%s", call);
	is_int(req("DELETE", path, NULL, NULL), 200,
	       "DELETE the call with a participant in it: 200");
	is_int(list_total("/participants", NULL), parts0,
	       "ending the call removed its participants");
	is_int(list_total("/callLegs", NULL), legs0, "ending the call removed its legs");
	req("GET", "/system/status", NULL, NULL);
	is_elem("callLegsActive", "0", "status: no active leg after the call ended");

	/* 6.3: the status a C2W client reports, byte-exact. */
	is_int(cb_api_webbridge_set_status(api, wb, "success"), 0,
	       "cb_api_webbridge_set_status success");
	snprintf(path, sizeof(path), "/webBridges/%s/status", wb);
	is_int(req("GET", path, NULL, NULL), 200, "6.3 GET /webBridges/<id>/status: 200");
	is_golden(
	    "6.3 webBridge status",
	    "<?xml version=\"1.0\"?>\n<webBridge id=\"%s\"><status>success</status></webBridge>",
	    wb);
	ok(cb_api_webbridge_set_status(api, wb, "fine") < 0,
	   "set_status with a value not in 2.7: an error");
	req("GET", path, NULL, NULL);
	is_elem("status", "success", "a bad set_status changed nothing");
	/* A status for an id that names no web bridge is refused (and makes
	 * none appear). */
	ok(cb_api_webbridge_set_status(api, "00000000-0000-4000-8000-000000000000", "success") < 0,
	   "set_status on an unknown webBridge: an error");
	req("GET", "/webBridges/00000000-0000-4000-8000-000000000000/status", NULL, NULL);
	is_failure_exact(404, "webBridgeDoesNotExist",
			 "status of an unknown webBridge after a set_status for it");
	cb_api_webbridge_set_status(api, wb, "unused");
}

/* Convene extension: /system/configuration/tracing. */
static void test_tracing(void)
{
	time_t t0, t1;
	int64_t until;
	char v[64];

	is_int(cb_api_trace_until(api), 0, "tracing is off after open");
	is_int(req("GET", "/system/configuration/tracing", NULL, NULL), 200, "GET tracing: 200");
	is_elem("apiTracing", "0", "tracing off");
	t0 = time(NULL);
	is_int(req("PUT", "/system/configuration/tracing", NULL, "apiTracing=600"), 200,
	       "PUT apiTracing=600: 200");
	t1 = time(NULL);
	until = cb_api_trace_until(api);
	ok(until >= (int64_t)t0 + 600 && until <= (int64_t)t1 + 600,
	   "cb_api_trace_until() = now + 600");
	req("GET", "/system/configuration/tracing", NULL, NULL);
	ok(xml_text(body(), "apiTracing", v, sizeof(v)) == 1 && atol(v) > 0 && atol(v) <= 600,
	   "GET tracing shows the remaining seconds (0 < n <= 600)");

	/* With tracing on, a password in a body still never reaches the log. */
	{
		char id[GUID_LEN + 1];

		create("/users", "users", "userJid=traced%40ciscolabs.com&password=Tr4ced%21Pw", id,
		       "POST a user while tracing");
	}

	fail_begin();
	req("PUT", "/system/configuration/tracing", NULL, "apiTracing=86401");
	is_param_error("apiTracing", "apiTracing=86401 (max 86400)");
	req("PUT", "/system/configuration/tracing", NULL, "apiTracing=-5");
	is_param_error("apiTracing", "apiTracing=-5");
	fail_end("bad apiTracing");
	is_int(cb_api_trace_until(api), until, "bad apiTracing left the time limit unchanged");

	is_int(req("PUT", "/system/configuration/tracing", NULL, "apiTracing=0"), 200,
	       "PUT apiTracing=0: 200");
	is_int(cb_api_trace_until(api), 0, "apiTracing=0 turns it off");
	t0 = time(NULL);
	is_int(cb_api_set_trace_until(api, (int64_t)t0 + 120), 0,
	       "cb_api_set_trace_until(now + 120)");
	req("GET", "/system/configuration/tracing", NULL, NULL);
	ok(xml_text(body(), "apiTracing", v, sizeof(v)) == 1 && atol(v) > 0 && atol(v) <= 120,
	   "GET tracing reflects cb_api_set_trace_until");
	cb_api_set_trace_until(api, 0);
}

/* Section 1.6, one request each; each changes nothing. */
static void test_errors(void)
{
	char path[160], *big;

	fail_begin();

	/* Bad GUID: names no object. */
	req("GET", "/coSpaces/not-a-guid", NULL, NULL);
	is_failure_exact(404, "coSpaceDoesNotExist", "GET /coSpaces/not-a-guid");
	req("PUT", "/coSpaces/1234", NULL, "name=x");
	is_failure_exact(404, "coSpaceDoesNotExist", "PUT /coSpaces/1234");
	req("DELETE", "/coSpaces/zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", NULL, NULL);
	is_failure_exact(404, "coSpaceDoesNotExist", "DELETE /coSpaces/<not hex>");

	/* Unknown object: 404 + the exact document of 1.6. */
	req("GET", "/coSpaces/00000000-0000-4000-8000-000000000000", NULL, NULL);
	is_failure_exact(404, "coSpaceDoesNotExist", "1.6 GET /coSpaces/<unknown>");
	req("PUT", "/coSpaces/00000000-0000-4000-8000-000000000000", NULL, "name=x");
	is_failure_exact(404, "coSpaceDoesNotExist", "PUT /coSpaces/<unknown>");
	req("DELETE", "/calls/00000000-0000-4000-8000-000000000000", NULL, NULL);
	is_failure_exact(404, "callDoesNotExist", "DELETE /calls/<unknown>");
	req("GET", "/callLegProfiles/00000000-0000-4000-8000-000000000000", NULL, NULL);
	is_failure_exact(404, "callLegProfileDoesNotExist", "GET /callLegProfiles/<unknown>");
	req("GET", "/webBridges/00000000-0000-4000-8000-000000000000", NULL, NULL);
	is_failure_exact(404, "webBridgeDoesNotExist", "GET /webBridges/<unknown>");

	/* Unknown parameter. */
	req("POST", "/coSpaces", NULL, "name=Bogus&flavour=vanilla");
	is_param_error("flavour", "POST /coSpaces with an unknown parameter");
	snprintf(path, sizeof(path), "/coSpaces/%s", sales);
	req("PUT", path, NULL, "name=Renamed&flavour=vanilla");
	is_param_error("flavour", "PUT with an unknown parameter (and a good one)");

	/* Bad values. */
	req("POST", "/coSpaces", NULL, "name=Bad&nonMemberAccess=maybe");
	is_param_error("nonMemberAccess", "POST nonMemberAccess=maybe");
	req("POST", "/coSpaces", NULL, "name=Bad&callId=12ab");
	is_param_error("callId", "POST callId=12ab (numeric string)");
	req("PUT", path, NULL, "defaultLayout=grid");
	is_param_error("defaultLayout", "PUT defaultLayout=grid");
	req("POST", "/coSpaces", NULL, "name=Bad&callLegProfile=not-a-guid");
	ok(R.status == 400 && strstr(body(), "<failureDetails><"),
	   "POST callLegProfile=not-a-guid: 400");

	/* Duplicates (1.6): exact documents. */
	req("POST", "/coSpaces", NULL, "name=Dup&uri=sales");
	is_failure_exact(400, "duplicateCoSpaceUri", "POST a duplicate uri");
	req("POST", "/coSpaces", NULL, "name=Dup&callId=100200300");
	is_failure_exact(400, "duplicateCoSpaceId", "POST a duplicate callId");
	req("POST", "/coSpaces", NULL, "name=Dup&secondaryUri=sales");
	is_failure_exact(400, "duplicateCoSpaceUri", "POST secondaryUri = another coSpace's uri");
	snprintf(path, sizeof(path), "/coSpaces/%s", dev);
	req("PUT", path, NULL, "uri=sales");
	is_failure_exact(400, "duplicateCoSpaceUri", "PUT a uri taken by another coSpace");
	req("PUT", path, NULL, "name=Changed&callId=100200300");
	is_failure_exact(400, "duplicateCoSpaceId",
			 "PUT a taken callId (with a good name: all or nothing)");

	/* Wrong method: 405. */
	req("DELETE", "/coSpaces", NULL, NULL);
	is_int(R.status, 405, "DELETE on a collection: 405");
	req("PUT", "/coSpaces", NULL, "name=x");
	is_int(R.status, 405, "PUT on a collection: 405");
	req("POST", path, NULL, "name=x");
	is_int(R.status, 405, "POST on an object: 405");
	req("PATCH", path, NULL, "name=x");
	is_int(R.status, 405, "PATCH: 405");
	req("POST", "/system/status", NULL, NULL);
	is_int(R.status, 405, "POST /system/status: 405");

	/* Bad UTF-8, bad escapes, NUL. */
	req("POST", "/coSpaces", NULL, "name=%FF%FEbad");
	ok(R.status == 400 && strstr(body(), "<failureDetails><"),
	   "percent-encoded bad UTF-8: 400 + failureDetails");
	req("POST", "/coSpaces", NULL, "name=\xc3\x28");
	ok(R.status == 400 && strstr(body(), "<failureDetails><"),
	   "raw bad UTF-8: 400 + failureDetails");
	req("POST", "/coSpaces", NULL, "name=%C0%AF");
	ok(R.status == 400 && strstr(body(), "<failureDetails><"),
	   "overlong UTF-8: 400 + failureDetails");
	req("POST", "/coSpaces", NULL, "name=%G1x");
	ok(R.status == 400 && strstr(body(), "<failureDetails><"),
	   "bad %% escape: 400 + failureDetails");
	req("POST", "/coSpaces", NULL, "name=a%00b");
	ok(R.status == 400 && strstr(body(), "<failureDetails><"),
	   "%%00 in a value: 400 + failureDetails");
	req_n("POST", "/coSpaces", NULL, "name=a\0b", 8);
	ok(R.status == 400 && strstr(body(), "<failureDetails><"),
	   "a raw NUL in the body: 400 + failureDetails");
	req("GET", "/coSpaces", "filter=%FF", NULL);
	ok(R.status == 400 && strstr(body(), "<failureDetails><"),
	   "bad UTF-8 in the query: 400 + failureDetails");

	/* Oversize body. */
	big = malloc(CB_API_BODY_MAX + 16);
	memcpy(big, "name=", 5);
	memset(big + 5, 'a', CB_API_BODY_MAX + 10);
	big[CB_API_BODY_MAX + 1] = '\0';
	req_n("POST", "/coSpaces", NULL, big, CB_API_BODY_MAX + 1);
	ok(R.status == 413 || R.status == 400,
	   "a body of CB_API_BODY_MAX + 1 bytes: 413 or 400 (got %d)", R.status);
	ok(R.location[0] == '\0', "oversize body: no Location");
	free(big);

	/* Unknown path: 404 <unrecognizedObject/> (1.2). */
	req("GET", "/coSpacez", NULL, NULL);
	is_failure_exact(404, "unrecognizedObject", "GET /coSpacez");
	req("GET", "/system/profile", NULL, NULL);
	is_failure_exact(404, "unrecognizedObject", "1.2 GET /system/profile");
	snprintf(path, sizeof(path), "/coSpaces/%s/bogus", sales);
	req("GET", path, NULL, NULL);
	is_failure_exact(404, "unrecognizedObject", "GET /coSpaces/<id>/bogus");
	req("POST", "/nothing", NULL, "name=x");
	is_failure_exact(404, "unrecognizedObject", "POST /nothing");
	req("GET", "", NULL, NULL);
	ok(R.status == 404 || R.status == 405, "GET the API root: 404 or 405");

	fail_end("the 1.6 error table");

	/* Repeated keys: either refused, or the last one wins (section 7). */
	{
		char id[GUID_LEN + 1];
		long before_n = list_total("/coSpaces", NULL);

		req("POST", "/coSpaces", NULL, "name=First&name=Last&uri=repeat");
		if (R.status == 200) {
			snprintf(id, sizeof(id), "%.36s", R.location + strlen("/api/v1/coSpaces/"));
			snprintf(path, sizeof(path), "/coSpaces/%s", id);
			req("GET", path, NULL, NULL);
			is_elem("name", "Last", "repeated key accepted: the last one wins");
			req("DELETE", path, NULL, NULL);
		} else {
			ok(R.status == 400 && strstr(body(), "<failureDetails><"),
			   "repeated key refused: 400");
			is_int(list_total("/coSpaces", NULL), before_n,
			       "repeated key refused: nothing created");
		}
	}

	/* Case-insensitive collection names (1.2). */
	is_int(list_total("/cospaces", NULL), list_total("/coSpaces", NULL),
	       "GET /cospaces = GET /coSpaces");
	is_int(list_total("/COSPACES", "filter=sales"), 1, "GET /COSPACES?filter=sales");
	snprintf(path, sizeof(path), "/COSPACES/%s", sales);
	is_int(req("GET", path, NULL, NULL), 200, "GET /COSPACES/<id>: 200");
	is_elem("name", "Sales", "GET /COSPACES/<id>");
}

/* The store survives close and reopen; every object is still there. */
static void test_durability(void)
{
	char *a, *b, err[256];
	int rc;

	a = snapshot(false);
	cb_api_close(api);
	api = NULL;
	rc = cb_api_open(dbpath, "golden-cb", &api, err, sizeof(err));
	is_int(rc, 0, "reopen the store");
	if (rc < 0) {
		diag("%s", err);
		free(a);
		exit(tap_done() | 1);
	}
	b = snapshot(false);
	ok(strcmp(a, b) == 0, "after reopen: every object, list and singleton is the same");
	if (strcmp(a, b) != 0)
		diag_parting(a, b);
	ok(count_str(a, "GET /") >= 10, "the snapshot holds the objects created (%ld details)",
	   count_str(a, "GET /"));
	req("GET", "/system/configuration/cluster", NULL, NULL);
	is_elem("uniqueName", "cb1", "after reopen: the PUT uniqueName, not the open-time default");
	req("GET", "/system/configuration/xmpp", NULL, NULL);
	is_elem("uniqueName", "ciscolabs-local", "after reopen: xmpp");
	/* Calls are live meetings: a call bridge that stops drops them (3.1,
	 * "CB failure during a meeting drops its calls"); its spaces stay and
	 * a new call starts on them. */
	req("GET", "/calls", NULL, NULL);
	is_golden("after reopen: the previous run's calls have ended",
		  "<?xml version=\"1.0\"?>\n<calls total=\"0\"/>");
	is_int(list_total("/participants", NULL), 0, "after reopen: no participants");
	is_int(list_total("/callLegs", NULL), 0, "after reopen: no call legs");
	{
		char form[64], id[GUID_LEN + 1];

		snprintf(form, sizeof(form), "coSpace=%s", dev);
		create("/calls", "calls", form, id, "after reopen: a new call on DevelopmentTeam");
	}
	free(a);
	free(b);
}

/* A log line holding all of the given pieces (NULL ends the list). */
static bool log_has_line(const char *first, ...)
{
	const char *l = sb_str(&logs);

	while (*l) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		char *line = strndup(l, n);
		bool all = strstr(line, first) != NULL;
		const char *piece;
		va_list ap;

		va_start(ap, first);
		while (all && (piece = va_arg(ap, const char *)))
			all = strstr(line, piece) != NULL;
		va_end(ap);
		free(line);
		if (all)
			return true;
		l += n + (e ? 1 : 0);
	}
	return false;
}

/* No secret that went through the API reached the log lines. */
static void test_log(void)
{
	static const char *const secrets[] = {
	    "Unix#Rules1969", "Unix%23Rules1969", "An0ther!Secret", "An0ther%21Secret",
	    "C-is-fine-1972", "Tr4ced!Pw",	  "Tr4ced%21Pw",    "Xmpp$hared1",
	    "Xmpp%24hared1",  "TurnPw!99",	  "TurnPw%2199",
	};
	const char *l = sb_str(&logs);
	bool clean = true;

	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		if (strstr(l, secrets[i])) {
			clean = false;
			diag("log holds %s", secrets[i]);
		}
	}
	ok(clean, "no password or shared secret in the %zu bytes of log lines", logs.len);

	/* The seeds' words (003, 004). */
	ok(log_has_line("API user \"tester\" created", sales, NULL),
	   "log: API user \"tester\" created ... <the Sales coSpace id>");
	ok(log_has_line("Space GUID: ", sales, "Call Correlator GUID: ", "Internal GUID: ", NULL),
	   "log: API \"..\" Space GUID: <id> <--> Call Correlator GUID: .. <--> Internal GUID: .. "
	   "(seed 004)");
	ok(log_has_line("API call leg ", " in call ", "(API call ", NULL),
	   "log: API call leg <id> in call <id> (API call <id>) (seed 004)");
}

static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[256];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%.64s/%.180s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

int main(void)
{
	char err[256];
	int rc;

	cv_log_set_sink(log_sink, &logs);
	snprintf(dbdir, sizeof(dbdir), "/tmp/cb_api_test.XXXXXX");
	if (!mkdtemp(dbdir)) {
		perror("mkdtemp");
		return 99;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/callbridge.db", dbdir);
	cb_response_init(&R);
	rc = cb_api_open(dbpath, "golden-cb", &api, err, sizeof(err));
	is_int(rc, 0, "cb_api_open on a new store");
	if (rc < 0) {
		diag("%s", err);
		rm_dir(dbdir);
		return tap_done() | 1;
	}

	test_cospaces();
	test_put();
	test_paging();
	test_calllegprofiles();
	test_cospace_subs();
	test_calls();
	test_users();
	test_webbridges();
	test_turnservers();
	test_cluster_objects();
	test_singletons();
	test_participants();
	test_tracing();
	test_errors();
	test_durability();
	test_log();

	/* A store that cannot be opened: an error, no crash. */
	{
		struct cb_api *bad = NULL;

		err[0] = '\0';
		rc = cb_api_open("/nonexistent-dir/x/cb.db", "x", &bad, err, sizeof(err));
		ok(rc < 0 && err[0] != '\0' && bad == NULL,
		   "cb_api_open on an impossible path: error and a sentence");
	}

	cb_api_close(api);
	cb_response_free(&R);
	free(before);
	sb_free(&logs);
	rm_dir(dbdir);
	return tap_done();
}
