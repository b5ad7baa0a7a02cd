// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Web Admin pages, sessions and CSRF checks (see cb_admin.h). The pages read
 * and write the API objects only through cb_api_handle(), so a value saved
 * from a form is validated and stored by the same code as a PUT of the API,
 * and lands in the same row. The XML answers are read back with a small
 * reader of the API core's own output (bounded in depth and size).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/strbuf.h"
#include "services/callbridge/cb_admin.h"
#include "services/callbridge/cb_api.h"
#include "services/callbridge/cb_auth.h"
#include "services/callbridge/cb_form.h"
#include "services/callbridge/cb_web.h"
#include "services/callbridge/cb_xmpp_comp.h"

#define FIELD_MAX 1024
#define XML_DEPTH 8
#define XML_NODES 20000

struct session {
	bool used;
	char id[65];   /* hex of 32 random bytes */
	char csrf[65];
	char user[260];
	char role[CB_AUTH_ROLE_MAX];
	time_t last;
};

struct cb_admin {
	struct session s[CB_ADMIN_SESSIONS];
	unsigned idle_s;
	struct cb_logring *ring;
};

struct login_wait {
	struct cb_web *w;
	struct cv_http_req *req;
	struct cb_auth_wait wait;
	char user[257];
};

/* --- the log ring --- */

void cb_logring_sink(int level, const char *msg, void *opaque)
{
	struct cb_logring *ring = opaque;
	char ts[32];
	struct timespec now;
	struct tm tm;

	dprintf(STDERR_FILENO, "%s: %s\n", cv_log_level_name(level), msg);
	if (level == CV_LOG_DEBUG)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	free(ring->lines[ring->next]);
	ring->lines[ring->next] = xasprintf("%s.%03ld %s %s", ts, now.tv_nsec / 1000000,
					    level <= CV_LOG_ERR ? "Error"
					    : level == CV_LOG_WARNING ? "Warning"
								      : "Info",
					    msg);
	ring->next = (ring->next + 1) % CB_LOGRING_LINES;
	if (ring->count < CB_LOGRING_LINES)
		ring->count++;
}

void cb_logring_free(struct cb_logring *ring)
{
	for (unsigned i = 0; i < CB_LOGRING_LINES; i++) {
		free(ring->lines[i]);
		ring->lines[i] = NULL;
	}
	ring->next = ring->count = 0;
}

struct cb_admin *cb_admin_new(unsigned session_idle_s, struct cb_logring *ring)
{
	struct cb_admin *a = xcalloc(1, sizeof(*a));

	a->idle_s = session_idle_s ? session_idle_s : 1800;
	a->ring = ring;
	return a;
}

void cb_admin_free(struct cb_admin *a)
{
	if (a)
		explicit_bzero(a, sizeof(*a));
	free(a);
}

/* --- forms --- */

static void form_put(struct strbuf *sb, const char *key, const char *val)
{
	if (sb->len)
		sb_putc(sb, '&');
	sb_puts(sb, key);
	sb_putc(sb, '=');
	for (const unsigned char *p = (const unsigned char *)val; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~')
			sb_putc(sb, (char)*p);
		else
			sb_printf(sb, "%%%02X", *p);
	}
}

/* --- HTML --- */

static void esc(struct strbuf *sb, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': sb_puts(sb, "&amp;"); break;
		case '<': sb_puts(sb, "&lt;"); break;
		case '>': sb_puts(sb, "&gt;"); break;
		case '"': sb_puts(sb, "&quot;"); break;
		case '\'': sb_puts(sb, "&#39;"); break;
		default: sb_putc(sb, *s);
		}
	}
}

static const char style_css[] =
	"body{font-family:sans-serif;margin:0;color:#222}"
	"header{background:#1b3b5a;color:#fff;padding:.6em 1em}"
	"nav{background:#e8eef4;padding:.4em 1em}nav a{margin-right:1em}"
	"main{padding:1em}table{border-collapse:collapse}"
	"td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}"
	".err{color:#a00}.ok{color:#070}label{display:inline-block;min-width:12em}"
	"form.inline{display:inline}textarea{width:40em;height:6em}\n";

static void page_start(struct strbuf *sb, const char *title, const struct session *s)
{
	sb_puts(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<title>");
	esc(sb, title);
	sb_puts(sb, " - Convene</title><link rel=\"stylesheet\" href=\"/style.css\"></head>"
		    "<body><header>Convene Meeting Server");
	if (s) {
		sb_puts(sb, " &mdash; ");
		esc(sb, s->user);
	}
	sb_puts(sb, "</header>\n");
	if (s) {
		sb_puts(sb, "<nav><a href=\"/status\">Status</a>"
			    "<a href=\"/config/general\">Configuration &gt; General</a>"
			    "<a href=\"/config/api\">Configuration &gt; API</a>"
			    "<a href=\"/logs/event\">Logs &gt; Event log</a>"
			    "<a href=\"/logs/tracing\">Logs &gt; Detailed tracing</a>"
			    "<form class=\"inline\" method=\"post\" action=\"/logout\">"
			    "<input type=\"hidden\" name=\"csrf\" value=\"");
		sb_puts(sb, s->csrf);
		sb_puts(sb, "\"><button type=\"submit\" id=\"logout\">Log out</button></form>"
			    "</nav>\n");
	}
	sb_puts(sb, "<main><h1>");
	esc(sb, title);
	sb_puts(sb, "</h1>\n");
}

static void csrf_field(struct strbuf *sb, const struct session *s)
{
	sb_printf(sb, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", s->csrf);
}

static void send_page(struct cv_http_req *req, int status, struct strbuf *sb)
{
	sb_puts(sb, "</main></body></html>\n");
	cb_web_security_headers(req);
	cv_http_respond(req, status, "text/html; charset=utf-8", sb_str(sb), sb->len);
	sb_free(sb);
}

static void redirect(struct cv_http_req *req, const char *to)
{
	cb_web_security_headers(req);
	cv_http_add_header(req, "Location", to);
	cv_http_respond(req, 303, "text/plain", "See other\n", 10);
}

static void forbidden(struct cv_http_req *req, const char *why)
{
	cb_web_security_headers(req);
	cv_http_respond(req, 403, "text/plain; charset=utf-8", why, strlen(why));
}

/* --- sessions --- */

static bool ct_equal(const char *a, const char *b, size_t n)
{
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return d == 0;
}

static void random_hex(char out[65])
{
	uint8_t b[32];

	if (gnutls_rnd(GNUTLS_RND_KEY, b, sizeof(b)) < 0)
		abort(); /* no randomness: no safe session ids */
	for (int i = 0; i < 32; i++) {
		out[2 * i] = "0123456789abcdef"[b[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[b[i] & 15];
	}
	out[64] = '\0';
	explicit_bzero(b, sizeof(b));
}

static struct session *session_find(struct cb_admin *a, struct cv_http_req *req)
{
	char id[65];
	struct session *found = NULL;
	time_t now = time(NULL);

	if (cb_web_session_cookie(cv_http_header(req, "Cookie"), id) < 0)
		return NULL;
	for (int i = 0; i < CB_ADMIN_SESSIONS; i++) {
		struct session *s = &a->s[i];

		if (!s->used)
			continue;
		if (now - s->last >= (time_t)a->idle_s) {
			explicit_bzero(s, sizeof(*s));
			continue;
		}
		if (ct_equal(s->id, id, 64))
			found = s;
	}
	if (found)
		found->last = now;
	return found;
}

static struct session *session_new(struct cb_admin *a, const char *user, const char *role)
{
	struct session *s = NULL;

	for (int i = 0; i < CB_ADMIN_SESSIONS; i++) {
		if (!a->s[i].used) {
			s = &a->s[i];
			break;
		}
		if (!s || a->s[i].last < s->last)
			s = &a->s[i];
	}
	memset(s, 0, sizeof(*s));
	s->used = true;
	random_hex(s->id);
	random_hex(s->csrf);
	snprintf(s->user, sizeof(s->user), "%s", user);
	snprintf(s->role, sizeof(s->role), "%s", role);
	s->last = time(NULL);
	return s;
}

/* Origin and Referer, when sent, must name this listener's own origin:
 * the scheme of the listener and the Host the browser asked for. */
static bool same_origin(struct cv_http_req *req)
{
	return cb_web_same_origin(cv_http_req_tls(req), cv_http_header(req, "Host"),
				  cv_http_header(req, "Origin"), cv_http_header(req, "Referer"));
}

static bool csrf_ok(struct cv_http_req *req, const struct session *s)
{
	size_t blen;
	const char *body = cv_http_body(req, &blen);
	char tok[80];

	if (!same_origin(req))
		return false;
	if (cb_form_value(body, blen, "csrf", tok, sizeof(tok)) != 1 || strlen(tok) != 64)
		return false;
	return ct_equal(tok, s->csrf, 64);
}

/* --- the API through the core --- */

/* The Web Admin user's address (req) starts the core's log lines, as an
 * API client's does. */
static void api_call(struct cb_web *w, struct cv_http_req *req, const struct session *s,
		     const char *method, const char *path, const char *query, const char *body,
		     struct cb_response *resp)
{
	struct cb_request r = {
		.method = method, .path = path, .query = query, .body = body,
		.body_len = body ? strlen(body) : 0, .user = s ? s->user : "webadmin",
		.from = cv_http_peer(req),
	};

	cb_response_init(resp);
	cb_api_handle(w->api, &r, resp);
}

/* A node of the XML the API core writes. */
struct xnode {
	char *name, *id, *total, *text;
	struct xnode *child, *next;
};

static void xfree(struct xnode *n)
{
	while (n) {
		struct xnode *next = n->next;

		xfree(n->child);
		free(n->name);
		free(n->id);
		free(n->total);
		free(n->text);
		free(n);
		n = next;
	}
}

static char *xunescape(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < n; i++) {
		static const struct { const char *e; char c; } ents[] = {
			{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
			{ "&quot;", '"' }, { "&apos;", '\'' },
		};
		bool done = false;

		if (s[i] == '&')
			for (size_t k = 0; k < 5 && !done; k++) {
				size_t el = strlen(ents[k].e);

				if (n - i >= el && memcmp(s + i, ents[k].e, el) == 0) {
					sb_putc(&sb, ents[k].c);
					i += el - 1;
					done = true;
				}
			}
		if (!done)
			sb_putc(&sb, s[i]);
	}
	return sb_steal(&sb);
}

static char *xattr(const char *tag, size_t n, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i + nl + 2 < n; i++) {
		if ((tag[i] == ' ') && memcmp(tag + i + 1, name, nl) == 0 && tag[i + 1 + nl] == '=' &&
		    tag[i + 2 + nl] == '"') {
			const char *v = tag + i + 3 + nl, *e = memchr(v, '"', n - i - 3 - nl);

			if (e)
				return xunescape(v, (size_t)(e - v));
		}
	}
	return NULL;
}

/* Parses one element at *pp (after optional prolog); NULL on bad input. */
static struct xnode *xparse_el(const char **pp, const char *end, int depth, int *budget)
{
	const char *p = *pp, *gt, *name_end;
	struct xnode *n, **tail;
	bool empty;

	if (depth > XML_DEPTH || --*budget < 0 || p >= end || *p != '<')
		return NULL;
	gt = memchr(p, '>', (size_t)(end - p));
	if (!gt)
		return NULL;
	empty = gt[-1] == '/';
	for (name_end = p + 1; name_end < gt && *name_end != ' ' && *name_end != '/'; name_end++)
		;
	n = xcalloc(1, sizeof(*n));
	n->name = xstrndup(p + 1, (size_t)(name_end - p - 1));
	n->id = xattr(p, (size_t)(gt - p), "id");
	n->total = xattr(p, (size_t)(gt - p), "total");
	p = gt + 1;
	if (empty) {
		*pp = p;
		return n;
	}
	tail = &n->child;
	for (;;) {
		const char *lt = memchr(p, '<', (size_t)(end - p));

		if (!lt)
			goto bad;
		if (lt + 1 < end && lt[1] == '/') {
			size_t nl = strlen(n->name);

			if (!n->child) {
				n->text = xunescape(p, (size_t)(lt - p));
			}
			if ((size_t)(end - lt) < nl + 3 || memcmp(lt + 2, n->name, nl) != 0 ||
			    lt[2 + nl] != '>')
				goto bad;
			*pp = lt + 3 + nl;
			return n;
		}
		p = lt;
		*tail = xparse_el(&p, end, depth + 1, budget);
		if (!*tail)
			goto bad;
		tail = &(*tail)->next;
	}
bad:
	xfree(n);
	return NULL;
}

static struct xnode *xparse(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	int budget = XML_NODES;

	if (len >= 5 && memcmp(p, "<?xml", 5) == 0) {
		const char *e = strstr(p, "?>");

		if (!e)
			return NULL;
		p = e + 2;
	}
	while (p < end && isspace((unsigned char)*p))
		p++;
	return xparse_el(&p, end, 0, &budget);
}

static const char *xchild_text(const struct xnode *n, const char *name)
{
	for (const struct xnode *c = n ? n->child : NULL; c; c = c->next)
		if (!strcmp(c->name, name))
			return c->text ? c->text : "";
	return NULL;
}

/* The failure reasons of an error answer, for the page. */
static void api_error(struct strbuf *sb, const struct cb_response *resp)
{
	struct xnode *x = xparse(resp->body.buf ? resp->body.buf : "", resp->body.len);

	sb_printf(sb, "<p class=\"err\" id=\"error\">Error %d", resp->status);
	if (x && !strcmp(x->name, "failureDetails")) {
		sb_puts(sb, ":");
		for (struct xnode *c = x->child; c; c = c->next) {
			sb_putc(sb, ' ');
			esc(sb, c->name);
		}
	}
	sb_puts(sb, "</p>\n");
	if (resp->body.len) {
		sb_puts(sb, "<pre>");
		esc(sb, sb_str(&resp->body));
		sb_puts(sb, "</pre>\n");
	}
	xfree(x);
}

/* --- pages --- */

static void page_login(struct cv_http_req *req, int status, const char *msg)
{
	struct strbuf sb = STRBUF_INIT;

	page_start(&sb, "Log in", NULL);
	if (msg) {
		sb_puts(&sb, "<p class=\"err\" id=\"error\">");
		esc(&sb, msg);
		sb_puts(&sb, "</p>\n");
	}
	sb_puts(&sb, "<form method=\"post\" action=\"/login\">"
		     "<p><label for=\"username\">Username</label>"
		     "<input id=\"username\" name=\"username\" autocomplete=\"username\"></p>"
		     "<p><label for=\"password\">Password</label>"
		     "<input id=\"password\" name=\"password\" type=\"password\" "
		     "autocomplete=\"current-password\"></p>"
		     "<p><button type=\"submit\" id=\"login\">Log in</button></p></form>\n");
	send_page(req, status, &sb);
}

static void page_status(struct cb_web *w, struct cv_http_req *req, const struct session *s)
{
	struct strbuf sb = STRBUF_INIT;
	struct cb_response resp;
	struct xnode *x;
	long up = (long)(time(NULL) - w->started);

	page_start(&sb, "Status > General", s);
	sb_puts(&sb, "<table id=\"status\">");
	sb_printf(&sb, "<tr><th>Uptime</th><td id=\"uptime\">%ld days %02ld:%02ld:%02ld</td></tr>",
		  up / 86400, up / 3600 % 24, up / 60 % 60, up % 60);
	sb_printf(&sb, "<tr><th>Software version</th><td id=\"version\">%s</td></tr>",
		  PACKAGE_VERSION);
	sb_puts(&sb, "<tr><th>Call bridge</th><td id=\"callbridge\">running</td></tr>");
	/* The XMPP link in words: the fields of /system/status
	 * (cb_api_set_xmpp_status) through one pure function. */
	{
		char words[768];

		cb_xmpp_status_text(cb_api_xmpp_status(w->api, CB_API_XMPP_STATE),
				    cb_api_xmpp_status(w->api, CB_API_XMPP_SERVER),
				    cb_api_xmpp_status(w->api, CB_API_XMPP_ADDRESS),
				    cb_api_xmpp_status(w->api, CB_API_XMPP_REASON),
				    cb_api_xmpp_status(w->api, CB_API_XMPP_DETAIL), words,
				    sizeof(words));
		sb_puts(&sb, "<tr><th>XMPP connection</th><td id=\"xmpp\">");
		esc(&sb, words);
		sb_puts(&sb, "</td></tr>");
	}
	api_call(w, req, s, "GET", "/calls", "limit=1", NULL, &resp);
	x = resp.status == 200 ? xparse(resp.body.buf ? resp.body.buf : "", resp.body.len) : NULL;
	sb_puts(&sb, "<tr><th>Active calls</th><td id=\"calls\">");
	esc(&sb, x && x->total ? x->total : "unknown");
	sb_puts(&sb, "</td></tr></table>\n");
	xfree(x);
	cb_response_free(&resp);

	sb_puts(&sb, "<h2>Web bridges</h2>\n");
	api_call(w, req, s, "GET", "/webBridges", NULL, NULL, &resp);
	x = resp.status == 200 ? xparse(resp.body.buf ? resp.body.buf : "", resp.body.len) : NULL;
	if (!x || !x->child) {
		sb_puts(&sb, "<p id=\"webbridges\">No web bridges configured</p>\n");
	} else {
		sb_puts(&sb, "<table id=\"webbridges\"><tr><th>Web bridge</th><th>URL</th>"
			     "<th>Status</th></tr>");
		for (struct xnode *c = x->child; c; c = c->next) {
			struct cb_response st;
			struct xnode *sx;
			char *path = xasprintf("/webBridges/%s/status", c->id ? c->id : "");
			const char *txt;

			api_call(w, req, s, "GET", path, NULL, NULL, &st);
			sx = st.status == 200 ? xparse(st.body.buf ? st.body.buf : "", st.body.len)
					      : NULL;
			txt = xchild_text(sx, "status");
			sb_puts(&sb, "<tr><td>");
			esc(&sb, c->id);
			sb_puts(&sb, "</td><td>");
			esc(&sb, xchild_text(c, "url"));
			sb_puts(&sb, "</td><td>");
			esc(&sb, txt ? txt : (sx && sx->text ? sx->text : "unknown"));
			sb_puts(&sb, "</td></tr>");
			xfree(sx);
			cb_response_free(&st);
			free(path);
		}
		sb_puts(&sb, "</table>\n");
	}
	xfree(x);
	cb_response_free(&resp);
	send_page(req, 200, &sb);
}

/* The form's field names, and the API's (spec 2.10) for each: the page
 * says "Server address" as CMS's does; the API calls it an override. */
static const char *const xmpp_fields[] = { "uniqueName", "domain", "serverAddress", NULL };
static const char *const xmpp_api_fields[] = { "uniqueName", "domain", "serverAddressOverride" };
static const char *const xmpp_labels[] = { "Unique Call Bridge name", "Domain",
					   "Server address" };

static void page_general(struct cb_web *w, struct cv_http_req *req, const struct session *s,
			 const struct cb_response *err, bool saved)
{
	struct strbuf sb = STRBUF_INIT;
	struct cb_response resp;
	struct xnode *x;

	page_start(&sb, "Configuration > General", s);
	if (err)
		api_error(&sb, err);
	if (saved)
		sb_puts(&sb, "<p class=\"ok\" id=\"saved\">Saved</p>\n");
	api_call(w, req, s, "GET", "/system/configuration/xmpp", NULL, NULL, &resp);
	x = resp.status == 200 ? xparse(resp.body.buf ? resp.body.buf : "", resp.body.len) : NULL;
	sb_puts(&sb, "<h2>XMPP server settings</h2><form method=\"post\" "
		     "action=\"/config/general\">");
	csrf_field(&sb, s);
	for (int i = 0; xmpp_fields[i]; i++) {
		const char *v = xchild_text(x, xmpp_api_fields[i]);

		sb_printf(&sb, "<p><label for=\"%s\">%s</label><input id=\"%s\" name=\"%s\" "
			       "value=\"",
			  xmpp_fields[i], xmpp_labels[i], xmpp_fields[i], xmpp_fields[i]);
		esc(&sb, v ? v : "");
		sb_puts(&sb, "\"></p>");
	}
	/* The secret is never sent back: an empty field keeps it. */
	sb_puts(&sb, "<p><label for=\"sharedSecret\">Shared secret</label><input "
		     "id=\"sharedSecret\" name=\"sharedSecret\" type=\"password\" "
		     "autocomplete=\"new-password\" placeholder=\"unchanged\"></p>"
		     "<p><button type=\"submit\" id=\"submit\">Submit</button></p></form>\n");
	xfree(x);
	cb_response_free(&resp);
	send_page(req, 200, &sb);
}

static void post_general(struct cb_web *w, struct cv_http_req *req, const struct session *s)
{
	size_t blen;
	const char *body = cv_http_body(req, &blen);
	struct strbuf form = STRBUF_INIT;
	struct cb_response resp;
	char v[FIELD_MAX];

	for (int i = 0; xmpp_fields[i]; i++) {
		int r = cb_form_value(body, blen, xmpp_fields[i], v, sizeof(v));

		if (r < 0)
			goto bad;
		if (r == 1)
			form_put(&form, xmpp_api_fields[i], v);
	}
	{
		int r = cb_form_value(body, blen, "sharedSecret", v, sizeof(v));

		if (r < 0)
			goto bad;
		if (r == 1 && v[0])
			form_put(&form, "sharedSecret", v);
		explicit_bzero(v, sizeof(v));
	}
	api_call(w, req, s, "PUT", "/system/configuration/xmpp", NULL, sb_str(&form), &resp);
	if (form.buf)
		explicit_bzero(form.buf, form.len);
	sb_free(&form);
	if (resp.status == 200)
		cv_info("Web Admin user \"%s\" changed the XMPP server settings", s->user);
	page_general(w, req, s, resp.status == 200 ? NULL : &resp, resp.status == 200);
	cb_response_free(&resp);
	return;
bad:
	sb_free(&form);
	forbidden(req, "Malformed form\n");
}

static const char *const collections[] = {
	"coSpaces", "callLegProfiles", "calls", "callLegs", "participants", "users",
	"webBridges", "webBridgeProfiles", "turnServers", "callBridges", "callBridgeGroups",
	"system/status", "system/configuration/xmpp", "system/configuration/cluster", NULL,
};

/* An API path from a form or query: "/" and letters, digits, '-', '/'. */
static bool api_path_ok(const char *p)
{
	return p[0] == '/' && strlen(p) < 200 &&
	       strspn(p, "/abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") ==
		       strlen(p) &&
	       !strstr(p, "//");
}

static void api_object_form(struct strbuf *sb, const struct session *s, const char *path,
			    const struct xnode *x)
{
	sb_puts(sb, "<form method=\"post\" action=\"/config/api\">");
	csrf_field(sb, s);
	sb_puts(sb, "<input type=\"hidden\" name=\"action\" value=\"save\">"
		    "<input type=\"hidden\" name=\"path\" value=\"");
	esc(sb, path);
	sb_puts(sb, "\"><table id=\"fields\">");
	for (const struct xnode *c = x->child; c; c = c->next) {
		sb_puts(sb, "<tr><th>");
		esc(sb, c->name);
		sb_puts(sb, "</th><td>");
		if (c->child) {
			/* Nested status or configuration: shown, not edited. */
			for (const struct xnode *g = c->child; g; g = g->next) {
				esc(sb, g->name);
				sb_puts(sb, ": ");
				esc(sb, g->text ? g->text : "");
				sb_puts(sb, "<br>");
			}
		} else {
			sb_puts(sb, "<input name=\"f.");
			esc(sb, c->name);
			sb_puts(sb, "\" value=\"");
			esc(sb, c->text ? c->text : "");
			sb_puts(sb, "\">");
		}
		sb_puts(sb, "</td></tr>");
	}
	sb_puts(sb, "</table><p><label for=\"extra\">Other parameters (name=value, one a "
		    "line)</label><br><textarea id=\"extra\" name=\"extra\"></textarea></p>"
		    "<p><button type=\"submit\" id=\"save\">Save</button></p></form>\n");
}

static void page_api(struct cb_web *w, struct cv_http_req *req, const struct session *s,
		     const char *coll, const char *obj, const char *offset,
		     const struct cb_response *err, const char *note)
{
	struct strbuf sb = STRBUF_INIT;
	struct cb_response resp;
	struct xnode *x = NULL;

	page_start(&sb, "Configuration > API", s);
	if (err)
		api_error(&sb, err);
	if (note) {
		sb_puts(&sb, "<p class=\"ok\" id=\"saved\">");
		esc(&sb, note);
		sb_puts(&sb, "</p>\n");
	}
	sb_puts(&sb, "<p id=\"collections\">");
	for (int i = 0; collections[i]; i++) {
		sb_printf(&sb, "<a href=\"/config/api?%s=/%s\">/api/v1/%s</a> ",
			  strchr(collections[i], '/') ? "o" : "c", collections[i], collections[i]);
	}
	sb_puts(&sb, "</p>\n");
	if (obj) {
		api_call(w, req, s, "GET", obj, NULL, NULL, &resp);
		sb_puts(&sb, "<h2>/api/v1");
		esc(&sb, obj);
		sb_puts(&sb, "</h2>\n");
		x = resp.status == 200 ? xparse(resp.body.buf ? resp.body.buf : "", resp.body.len)
				       : NULL;
		if (!x) {
			api_error(&sb, &resp);
		} else {
			api_object_form(&sb, s, obj, x);
			if (strncmp(obj, "/system/", 8) != 0) {
				sb_puts(&sb, "<form method=\"post\" action=\"/config/api\">");
				csrf_field(&sb, s);
				sb_puts(&sb, "<input type=\"hidden\" name=\"action\" value=\"delete\">"
					     "<input type=\"hidden\" name=\"path\" value=\"");
				esc(&sb, obj);
				sb_puts(&sb, "\"><button type=\"submit\" id=\"delete\">Delete"
					     "</button></form>\n");
			}
		}
		cb_response_free(&resp);
	} else if (coll) {
		char *q = xasprintf("offset=%s&limit=20", offset ? offset : "0");

		api_call(w, req, s, "GET", coll, q, NULL, &resp);
		free(q);
		sb_puts(&sb, "<h2>/api/v1");
		esc(&sb, coll);
		sb_puts(&sb, "</h2>\n");
		x = resp.status == 200 ? xparse(resp.body.buf ? resp.body.buf : "", resp.body.len)
				       : NULL;
		if (!x) {
			api_error(&sb, &resp);
		} else {
			long off = offset ? strtol(offset, NULL, 10) : 0;
			long total = x->total ? strtol(x->total, NULL, 10) : 0;

			sb_printf(&sb, "<p>%ld objects</p><table id=\"objects\">", total);
			for (struct xnode *c = x->child; c; c = c->next) {
				sb_puts(&sb, "<tr><td><a href=\"/config/api?o=");
				esc(&sb, coll);
				sb_putc(&sb, '/');
				esc(&sb, c->id);
				sb_puts(&sb, "\">");
				esc(&sb, c->id);
				sb_puts(&sb, "</a></td><td>");
				for (struct xnode *f = c->child; f; f = f->next) {
					esc(&sb, f->name);
					sb_puts(&sb, "=");
					esc(&sb, f->text ? f->text : "");
					sb_puts(&sb, " ");
				}
				sb_puts(&sb, "</td></tr>");
			}
			sb_puts(&sb, "</table>\n");
			if (off + 20 < total) {
				sb_puts(&sb, "<p><a href=\"/config/api?c=");
				esc(&sb, coll);
				sb_printf(&sb, "&amp;offset=%ld\">Next page</a></p>", off + 20);
			}
			sb_puts(&sb, "<h3>Create</h3><form method=\"post\" action=\"/config/api\">");
			csrf_field(&sb, s);
			sb_puts(&sb, "<input type=\"hidden\" name=\"action\" value=\"create\">"
				     "<input type=\"hidden\" name=\"path\" value=\"");
			esc(&sb, coll);
			sb_puts(&sb, "\"><p><label for=\"extra\">Parameters (name=value, one a line)"
				     "</label><br><textarea id=\"extra\" name=\"extra\"></textarea>"
				     "</p><p><button type=\"submit\" id=\"create\">Create</button>"
				     "</p></form>\n");
		}
		cb_response_free(&resp);
	}
	xfree(x);
	send_page(req, 200, &sb);
}

/* "name=value" lines of a textarea into a form body. */
static int extra_lines(const char *text, struct strbuf *form)
{
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\r\n");
		const char *eq = memchr(p, '=', n);

		if (n) {
			char key[128], *val;

			if (!eq || eq == p || (size_t)(eq - p) >= sizeof(key))
				return -EINVAL;
			memcpy(key, p, (size_t)(eq - p));
			key[eq - p] = '\0';
			val = xstrndup(eq + 1, n - (size_t)(eq - p) - 1);
			form_put(form, key, val);
			free(val);
		}
		p += n;
		p += strspn(p, "\r\n");
	}
	return 0;
}

static void post_api(struct cb_web *w, struct cv_http_req *req, const struct session *s)
{
	size_t blen;
	const char *body = cv_http_body(req, &blen);
	char action[16], path[256];
	char *extra = xmalloc(CV_HTTP_BODY_MAX + 1);
	struct strbuf form = STRBUF_INIT;
	struct cb_response resp;

	if (cb_form_value(body, blen, "action", action, sizeof(action)) != 1 ||
	    cb_form_value(body, blen, "path", path, sizeof(path)) != 1 || !api_path_ok(path))
		goto bad;
	if (cb_form_value(body, blen, "extra", extra, CV_HTTP_BODY_MAX + 1) < 0)
		goto bad;
	if (!strcmp(action, "save")) {
		/* The object's fields as the form shows them ("f.<name>"), then
		 * the extra lines. An unchanged value is sent again: PUT of the
		 * same value is a no-op. */
		const char *p = body, *end = body + blen;

		while (p < end) {
			const char *amp = memchr(p, '&', (size_t)(end - p));
			const char *pe = amp ? amp : end;
			const char *eq = memchr(p, '=', (size_t)(pe - p));

			if (eq && eq - p > 2 && !memcmp(p, "f.", 2) && eq - p < 130) {
				char key[130], val[FIELD_MAX];

				memcpy(key, p, (size_t)(eq - p));
				key[eq - p] = '\0';
				if (cb_form_value(body, blen, key, val, sizeof(val)) != 1)
					goto bad;
				form_put(&form, key + 2, val);
			}
			p = amp ? amp + 1 : end;
		}
		if (extra_lines(extra, &form) < 0)
			goto bad;
		api_call(w, req, s, "PUT", path, NULL, sb_str(&form), &resp);
		page_api(w, req, s, NULL, path, NULL, resp.status == 200 ? NULL : &resp,
			 resp.status == 200 ? "Saved" : NULL);
	} else if (!strcmp(action, "create")) {
		if (extra_lines(extra, &form) < 0)
			goto bad;
		api_call(w, req, s, "POST", path, NULL, sb_str(&form), &resp);
		if (resp.status == 200 && !strncmp(resp.location, "/api/v1/", 8))
			page_api(w, req, s, NULL, resp.location + 7, NULL, NULL, "Created");
		else
			page_api(w, req, s, path, NULL, NULL, resp.status == 200 ? NULL : &resp,
				 NULL);
	} else if (!strcmp(action, "delete")) {
		char coll[256];
		char *slash;

		api_call(w, req, s, "DELETE", path, NULL, NULL, &resp);
		snprintf(coll, sizeof(coll), "%s", path);
		slash = strrchr(coll, '/');
		if (slash && slash != coll)
			*slash = '\0';
		page_api(w, req, s, coll, NULL, NULL, resp.status == 200 ? NULL : &resp,
			 resp.status == 200 ? "Deleted" : NULL);
	} else {
		goto bad;
	}
	cb_response_free(&resp);
	sb_free(&form);
	free(extra);
	return;
bad:
	sb_free(&form);
	free(extra);
	forbidden(req, "Malformed form\n");
}

static void page_events(struct cb_admin *a, struct cv_http_req *req, const struct session *s)
{
	struct strbuf sb = STRBUF_INIT;
	struct cb_logring *ring = a->ring;

	page_start(&sb, "Logs > Event log", s);
	sb_puts(&sb, "<pre id=\"events\">");
	if (ring) {
		unsigned start = (ring->next + CB_LOGRING_LINES - ring->count) % CB_LOGRING_LINES;

		for (unsigned i = 0; i < ring->count; i++) {
			esc(&sb, ring->lines[(start + i) % CB_LOGRING_LINES]);
			sb_putc(&sb, '\n');
		}
	}
	sb_puts(&sb, "</pre>\n");
	send_page(req, 200, &sb);
}

static void page_tracing(struct cb_web *w, struct cv_http_req *req, const struct session *s)
{
	struct strbuf sb = STRBUF_INIT;
	int64_t until = cb_api_trace_until(w->api);
	static const struct { const char *v, *label; } opts[] = {
		{ "1", "1 minute" }, { "10", "10 minutes" }, { "30", "30 minutes" },
		{ "1440", "24 hours" }, { "0", "Off" },
	};

	page_start(&sb, "Logs > Detailed tracing", s);
	sb_puts(&sb, "<p id=\"tracing\">API tracing: ");
	if (until > (int64_t)time(NULL)) {
		char ts[64];
		time_t t = (time_t)until;
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
		sb_printf(&sb, "on until %s", ts);
	} else {
		sb_puts(&sb, "off");
	}
	sb_puts(&sb, "</p><form method=\"post\" action=\"/logs/tracing\">");
	csrf_field(&sb, s);
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		sb_printf(&sb, "<button type=\"submit\" name=\"minutes\" value=\"%s\" "
			       "id=\"trace%s\">%s</button> ",
			  opts[i].v, opts[i].v, opts[i].label);
	sb_puts(&sb, "</form>\n");
	send_page(req, 200, &sb);
}

static void post_tracing(struct cb_web *w, struct cv_http_req *req, const struct session *s)
{
	size_t blen;
	const char *body = cv_http_body(req, &blen);
	char v[8];
	long m;

	if (cb_form_value(body, blen, "minutes", v, sizeof(v)) != 1) {
		forbidden(req, "Malformed form\n");
		return;
	}
	m = strtol(v, NULL, 10);
	if (m != 0 && m != 1 && m != 10 && m != 30 && m != 1440) {
		forbidden(req, "Malformed form\n");
		return;
	}
	cb_api_set_trace_until(w->api, m ? (int64_t)time(NULL) + m * 60 : 0);
	cv_info("Web Admin user \"%s\" set API tracing %s%s", s->user, m ? "on for " : "off",
		m ? v : "");
	redirect(req, "/logs/tracing");
}

/* --- login --- */

static void login_done(struct cb_auth_wait *wt, int status, const char *role, void *arg)
{
	struct login_wait *lw = arg;
	struct cb_admin *a = lw->w->admin;

	(void)wt;
	cv_http_set_data(lw->req, NULL);
	if (status == 0 && cb_auth_role_webadmin(role)) {
		struct session *s = session_new(a, lw->user, role);
		char *cookie = xasprintf("cvsession=%s; HttpOnly; %sSameSite=Strict; Path=/", s->id,
					 cv_http_req_tls(lw->req) ? "Secure; " : "");

		cv_info("Web Admin user \"%s\" logged in from %s", lw->user, cv_http_peer(lw->req));
		cv_http_add_header(lw->req, "Set-Cookie", cookie);
		free(cookie);
		redirect(lw->req, "/status");
	} else if (status == 0 || status == -EACCES) {
		cv_info("Web Admin login failed for \"%s\" from %s", lw->user,
			cv_http_peer(lw->req));
		page_login(lw->req, 401, "Invalid username or password");
	} else {
		page_login(lw->req, 503, "The login service is unavailable, try again later");
	}
	free(lw);
}

static void post_login(struct cb_web *w, struct cv_http_req *req)
{
	size_t blen;
	const char *body = cv_http_body(req, &blen);
	char user[257], pw[257], role[CB_AUTH_ROLE_MAX];
	struct login_wait *lw;
	int r;

	if (!same_origin(req)) {
		forbidden(req, "Cross-origin request refused\n");
		return;
	}
	if (cb_form_value(body, blen, "username", user, sizeof(user)) != 1 ||
	    cb_form_value(body, blen, "password", pw, sizeof(pw)) != 1 || !user[0]) {
		explicit_bzero(pw, sizeof(pw));
		page_login(req, 401, "Invalid username or password");
		return;
	}
	lw = xcalloc(1, sizeof(*lw));
	lw->w = w;
	lw->req = req;
	snprintf(lw->user, sizeof(lw->user), "%s", user);
	r = cb_auth_check(w->auth, user, pw, cv_http_peer(req), &lw->wait, login_done, lw, role);
	explicit_bzero(pw, sizeof(pw));
	if (r == 0) {
		cv_http_set_data(req, lw);
		return;
	}
	if (r == 1) {
		login_done(&lw->wait, 0, role, lw);
		return;
	}
	free(lw);
	if (r == -EBUSY)
		page_login(req, 503, "Too many login attempts in progress, try again later");
	else
		page_login(req, 401, "Invalid username or password");
}

void cb_admin_abandon(struct cv_http_req *req, void *data)
{
	struct login_wait *lw = data;

	(void)req;
	cb_auth_cancel(&lw->wait);
	free(lw);
}

void cb_admin_request(struct cb_web *w, struct cv_http_req *req)
{
	struct cb_admin *a = w->admin;
	const char *path = cv_http_path(req), *method = cv_http_method(req);
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	bool post = !strcmp(method, "POST");
	struct session *s;

	if (!get && !post) {
		cv_http_add_header(req, "Allow", "GET, HEAD, POST");
		cb_web_security_headers(req);
		cv_http_respond(req, 405, "text/plain", "Method not allowed\n", 19);
		return;
	}
	if (get && !strcmp(path, "/style.css")) {
		cb_web_security_headers(req);
		cv_http_respond(req, 200, "text/css", style_css, sizeof(style_css) - 1);
		return;
	}
	s = session_find(a, req);
	if (!strcmp(path, "/login")) {
		if (post)
			post_login(w, req);
		else if (s)
			redirect(req, "/status");
		else
			page_login(req, 200, NULL);
		return;
	}
	if (!s) {
		if (post)
			forbidden(req, "Not logged in\n");
		else
			redirect(req, "/login");
		return;
	}
	if (post && !csrf_ok(req, s)) {
		cv_warn("Web Admin: refused a %s of %s for \"%s\" from %s (CSRF check)", method,
			path, s->user, cv_http_peer(req));
		forbidden(req, "Request refused (CSRF check)\n");
		return;
	}
	if (!strcmp(path, "/")) {
		redirect(req, "/status");
	} else if (!strcmp(path, "/status") && get) {
		page_status(w, req, s);
	} else if (!strcmp(path, "/config/general")) {
		if (post)
			post_general(w, req, s);
		else
			page_general(w, req, s, NULL, false);
	} else if (!strcmp(path, "/config/api")) {
		if (post) {
			post_api(w, req, s);
		} else {
			const char *q = cv_http_query(req);
			char c[256], o[256], off[16];
			bool hc = q && cb_form_value(q, strlen(q), "c", c, sizeof(c)) == 1 &&
				  api_path_ok(c);
			bool ho = q && cb_form_value(q, strlen(q), "o", o, sizeof(o)) == 1 &&
				  api_path_ok(o);
			bool hoff = q && cb_form_value(q, strlen(q), "offset", off, sizeof(off)) == 1 &&
				    off[0] && strspn(off, "0123456789") == strlen(off) &&
				    strlen(off) < 9;

			page_api(w, req, s, hc ? c : NULL, ho ? o : NULL, hoff ? off : NULL, NULL,
				 NULL);
		}
	} else if (!strcmp(path, "/logs/event") && get) {
		page_events(a, req, s);
	} else if (!strcmp(path, "/logs/tracing")) {
		if (post)
			post_tracing(w, req, s);
		else
			page_tracing(w, req, s);
	} else if (!strcmp(path, "/logout") && post) {
		cv_info("Web Admin user \"%s\" logged out", s->user);
		explicit_bzero(s, sizeof(*s));
		cv_http_add_header(req, "Set-Cookie",
				   "cvsession=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0");
		redirect(req, "/login");
	} else {
		cb_web_security_headers(req);
		cv_http_respond(req, 404, "text/plain", "Not found\n", 10);
	}
}
