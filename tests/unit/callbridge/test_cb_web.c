// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Web Admin listener's routing on 127.0.0.1 (plain HTTP, in process)
 * with a fake mmpd and a test double of the API core: Basic auth and roles,
 * 401/405, Location, security headers, the seed 003 trace lines with
 * masking, the login form, the session cookie, CSRF and Origin checks,
 * Configuration > General, logout.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "lib/http.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/strbuf.h"
#include "services/callbridge/cb_admin.h"
#include "services/callbridge/cb_api.h"
#include "services/callbridge/cb_form.h"
#include "services/callbridge/cb_auth.h"
#include "services/callbridge/cb_web.h"
#include "tests/unit/callbridge/test_net.h"
#include "tests/unit/tap.h"

extern char fake_last_method[], fake_last_path[], fake_last_query[], fake_last_user[];
extern char fake_xmpp_unique[], fake_xmpp_domain[], fake_xmpp_server[], fake_xmpp_secret[];
extern int fake_requests;

static uv_loop_t loop;
static uv_async_t stop_async;
static struct cv_http_server *srv;
static struct cb_auth *auth;
static struct cb_logring ring;

static void on_stop(uv_async_t *a)
{
	(void)a;
	cv_http_stop(srv);
	cb_auth_free(auth);
	uv_close((uv_handle_t *)&stop_async, NULL);
}

static void *loop_thread(void *arg)
{
	(void)arg;
	uv_run(&loop, UV_RUN_DEFAULT);
	return NULL;
}

static const struct fake_user users[] = {
	{ "alice", "pw-alice", "admin" },
	{ "bob", "pw-bob", "api" },
	{ "carol", "pw-carol", "audit" },
	{ NULL, NULL, NULL },
};

static char resp[200000];
static unsigned port;

static int req(const char *method, const char *path, const char *extra_headers,
	       const char *body)
{
	struct strbuf sb = STRBUF_INIT;
	int st;

	sb_printf(&sb, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s", method, path, port,
		  extra_headers ? extra_headers : "");
	if (body)
		sb_printf(&sb, "Content-Type: application/x-www-form-urlencoded\r\n"
			       "Content-Length: %zu\r\n\r\n%s",
			  strlen(body), body);
	else
		sb_puts(&sb, "\r\n");
	st = http_once(port, sb.buf, sb.len, resp, sizeof(resp));
	sb_free(&sb);
	return st;
}

static bool has_header(const char *h)
{
	char *end = strstr(resp, "\r\n\r\n");
	char *p = strcasestr(resp, h);

	return p && end && p < end;
}

struct lines {
	char l[8][128];
	int n;
};

static void collect(const char *line, void *arg)
{
	struct lines *ls = arg;

	if (ls->n < 8)
		snprintf(ls->l[ls->n++], sizeof(ls->l[0]), "%s", line);
}

/* The value of a hidden csrf field in the last page. */
static void find_csrf(char out[65])
{
	char *p = strstr(resp, "name=\"csrf\" value=\"");

	out[0] = '\0';
	if (p && strlen(p) > 19 + 64) {
		memcpy(out, p + 19, 64);
		out[64] = '\0';
	}
}

int main(void)
{
	struct fake_mmpd m;
	struct cb_web web;
	struct cb_auth_opts ao = { 0 };
	struct cv_http_config hc;
	struct sockaddr_in *sin = (struct sockaddr_in *)&hc.addr;
	char err[256], cookie[200], csrf[65], hdr[600], body[600];
	pthread_t th;
	int st;

	/* The trace body split of seed 003, exactly. */
	{
		struct lines ls = { 0 };
		const char *b = "movedParticipant=26de0160-30b5-4d7b-8a05-304472af284a&"
				"needsActivation=false";

		cb_web_trace_body(b, strlen(b), collect, &ls);
		ok(ls.n == 3, "seed 003 body: three trace lines (%d)", ls.n);
		is_str(ls.l[0], "movedParticipant=26de0160-30b5-4d7b-8a05-304472a", "line 1");
		is_str(ls.l[1], "f284a&", "line 2");
		is_str(ls.l[2], "needsActivation=false", "line 3");
		memset(&ls, 0, sizeof(ls));
		b = "name=Sales&passcode=1234&sharedSecret=topsecret";
		cb_web_trace_body(b, strlen(b), collect, &ls);
		ok(ls.n == 3 && !strcmp(ls.l[1], "passcode=********&") &&
			   !strcmp(ls.l[2], "sharedSecret=********"),
		   "passcode and sharedSecret masked");
	}
	/* Forms. */
	{
		char v[32];

		ok(cb_form_value("a=1&b=x+y%21&a=2", 16, "a", v, sizeof(v)) == 1 && !strcmp(v, "2"),
		   "form: last of repeated keys wins");
		ok(cb_form_value("a=1&b=x+y%21&a=2", 16, "b", v, sizeof(v)) == 1 &&
			   !strcmp(v, "x y!"),
		   "form: + and %%XX decoded");
		ok(cb_form_value("b=%4", 4, "b", v, sizeof(v)) == -EINVAL, "form: bad escape");
		ok(cb_form_value("b=%00", 5, "b", v, sizeof(v)) == -EINVAL, "form: NUL refused");
		ok(cb_form_value("b=123456", 8, "b", v, 4) == -ENOSPC, "form: too long");
		ok(cb_form_value("b=1", 3, "c", v, sizeof(v)) == 0, "form: absent");
	}
	{
		char u[300], p[300];

		ok(cb_web_basic_auth("Basic Ym9iOmJ1aWxkZXI=", u, sizeof(u), p, sizeof(p)) == 0 &&
			   !strcmp(u, "bob") && !strcmp(p, "builder"),
		   "Basic bob:builder (spec/api.md 1.1)");
		ok(cb_web_basic_auth("Basic !!!", u, sizeof(u), p, sizeof(p)) < 0 &&
			   cb_web_basic_auth("Bearer x", u, sizeof(u), p, sizeof(p)) < 0 &&
			   cb_web_basic_auth("Basic Ym9i", u, sizeof(u), p, sizeof(p)) < 0,
		   "bad Authorization headers refused");
	}

	if (fake_mmpd_start(&m, users) < 0) {
		printf("1..0 # SKIP cannot start the fake mmpd\n");
		return 0;
	}
	cv_log_set_sink(cb_logring_sink, &ring);
	uv_loop_init(&loop);
	memset(&web, 0, sizeof(web));
	web.started = time(NULL);
	snprintf(web.host, sizeof(web.host), "127.0.0.1");
	cb_api_open(":memory:", "cb1", &web.api, err, sizeof(err));
	ao.socket = m.path;
	cb_auth_new(&loop, &ao, &auth);
	web.auth = auth;
	web.admin = cb_admin_new(1800, &ring);
	cv_http_config_init(&hc);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok(cv_http_bind(&hc, &cb_web_ops, &web, &srv, err, sizeof(err)) == 0, "listener bound");
	port = cv_http_port(srv);
	cv_http_start(srv, &loop);
	uv_async_init(&loop, &stop_async, on_stop);
	pthread_create(&th, NULL, loop_thread, NULL);

	/* --- the API --- */
	st = req("GET", "/api/v1/coSpaces", NULL, NULL);
	ok(st == 401 && has_header("\r\nWWW-Authenticate: Basic realm=\"Convene\""),
	   "no credentials: 401 with WWW-Authenticate (%d)", st);
	st = req("GET", "/api/v1/coSpaces", "Authorization: Basic Ym9iOmJ1aWxkZXI=\r\n", NULL);
	ok(st == 401, "wrong password: 401 (%d)", st);
	/* carol:pw-carol has role audit. */
	st = req("GET", "/api/v1/coSpaces", "Authorization: Basic Y2Fyb2w6cHctY2Fyb2w=\r\n", NULL);
	ok(st == 401, "role audit: 401 (%d)", st);
	fake_requests = 0;
	/* bob:pw-bob, role api */
	st = req("GET", "/api/v1/coSpaces?filter=Development&limit=5",
		 "Authorization: Basic Ym9iOnB3LWJvYg==\r\n", NULL);
	ok(st == 200 && strstr(resp, "<coSpaces total=\"1\">"), "role api: 200 and the XML (%d)",
	   st);
	ok(has_header("\r\nContent-Type: text/xml"), "Content-Type text/xml");
	is_str(fake_last_path, "/coSpaces", "the core gets the path under /api/v1");
	is_str(fake_last_query, "filter=Development&limit=5", "and the raw query");
	is_str(fake_last_user, "bob", "and the user");
	ok(has_header("\r\nX-Frame-Options: DENY") && has_header("\r\nX-Content-Type-Options: nosniff") &&
		   has_header("\r\nContent-Security-Policy: "),
	   "security headers");
	{
		int calls = fake_mmpd_calls(&m);

		for (int i = 0; i < 20; i++)
			req("GET", "/api/v1/coSpaces", "Authorization: Basic Ym9iOnB3LWJvYg==\r\n",
			    NULL);
		ok(fake_mmpd_calls(&m) == calls, "20 more requests, no more mmpd calls");
	}
	cb_api_set_trace_until(web.api, time(NULL) + 60);
	st = req("POST", "/api/v1/coSpaces", "Authorization: Basic Ym9iOnB3LWJvYg==\r\n",
		 "name=Sales&uri=sales&callId=100200300&passcode=1234");
	ok(st == 200 && has_header("\r\nLocation: /api/v1/coSpaces/581caae0-420a-43df-9a9e-f690c70e12d3"),
	   "create: 200 and Location (%d)", st);
	cb_api_set_trace_until(web.api, 0);
	{
		bool first = false, size = false, sending = false, loc = false, secret = false;

		for (unsigned i = 0; i < ring.count; i++) {
			const char *l = ring.lines[i];

			if (!l)
				continue;
			if (strstr(l, "API trace 1: POST for \"/api/v1/coSpaces\" (from 127.0.0.1)"))
				first = true;
			if (strstr(l, "API trace 1: content data size 51, type "
				      "\"application/x-www-form-urlencoded\":"))
				size = true;
			if (strstr(l, "API trace 1: sending 200 response, size 0"))
				sending = true;
			if (strstr(l, "API trace 1: Location: /api/v1/coSpaces/581caae0-"))
				loc = true;
			if (strstr(l, "1234"))
				secret = true;
		}
		ok(first && size && sending && loc, "seed 003 trace lines");
		ok(!secret, "the passcode is not in the log");
	}
	st = req("PATCH", "/api/v1/coSpaces", "Authorization: Basic Ym9iOnB3LWJvYg==\r\n", NULL);
	ok(st == 405, "PATCH: 405 (%d)", st);

	/* --- Web Admin --- */
	st = req("GET", "/", NULL, NULL);
	ok(st == 303 && has_header("\r\nLocation: /login"), "/ without a session: to /login");
	st = req("GET", "/login", NULL, NULL);
	ok(st == 200 && strstr(resp, "id=\"username\" name=\"username\"") &&
		   strstr(resp, "id=\"password\" name=\"password\" type=\"password\"") &&
		   strstr(resp, "type=\"submit\""),
	   "login form");
	st = req("POST", "/login", NULL, "username=alice&password=nope");
	ok(st == 401 && strstr(resp, "Invalid username or password"), "wrong password");
	st = req("POST", "/login", NULL, "username=nobody&password=nope");
	ok(st == 401 && strstr(resp, "Invalid username or password"), "unknown user: same words");
	st = req("POST", "/login", NULL, "username=bob&password=pw-bob");
	ok(st == 401 && strstr(resp, "Invalid username or password"), "api role cannot log in");
	st = req("POST", "/login", "Origin: https://evil.example\r\n",
		 "username=alice&password=pw-alice");
	ok(st == 403, "cross-origin login refused (%d)", st);
	st = req("POST", "/login", NULL, "username=alice&password=pw-alice");
	ok(st == 303 && has_header("\r\nLocation: /status"), "admin logs in: 303 to /status (%d)",
	   st);
	{
		char *c = strcasestr(resp, "\r\nSet-Cookie: cvsession=");

		cookie[0] = '\0';
		if (c) {
			size_t n = strcspn(c + 14, ";\r");

			snprintf(cookie, sizeof(cookie), "Cookie: %.*s\r\n", (int)n, c + 14);
		}
		ok(c && strlen(cookie) == 8 + 10 + 64 + 2, "cookie cvsession with a 256-bit id");
		ok(c && strstr(c, "HttpOnly") && strstr(c, "SameSite=Strict") && strstr(c, "Path=/"),
		   "HttpOnly, SameSite=Strict, Path=/");
	}
	st = req("GET", "/status", cookie, NULL);
	ok(st == 200 && strstr(resp, "id=\"callbridge\">running") &&
		   strstr(resp, "c2w://edge.example.com:6000") && strstr(resp, "success") &&
		   strstr(resp, "id=\"version\">") && strstr(resp, "id=\"calls\">0"),
	   "Status > General: state, version, web bridge and its status, calls");
	st = req("GET", "/config/general", cookie, NULL);
	ok(st == 200 && strstr(resp, "name=\"uniqueName\" value=\"cb1\"") &&
		   strstr(resp, "name=\"domain\" value=\"example.com\""),
	   "Configuration > General shows the XMPP row");
	ok(!strstr(resp, "s3cret"), "the shared secret is not echoed");
	find_csrf(csrf);
	ok(strlen(csrf) == 64, "a CSRF token in the form");
	st = req("POST", "/config/general", cookie,
		 "uniqueName=cb9&domain=d.example&serverAddress=x.example&sharedSecret=");
	ok(st == 403 && !strcmp(fake_xmpp_unique, "cb1"), "no csrf: 403, nothing changed");
	snprintf(body, sizeof(body),
		 "csrf=%.32sffffffffffffffffffffffffffffffff&uniqueName=cb9&domain=d.example", csrf);
	st = req("POST", "/config/general", cookie, body);
	ok(st == 403 && !strcmp(fake_xmpp_unique, "cb1"), "wrong csrf: 403");
	snprintf(body, sizeof(body),
		 "csrf=%s&uniqueName=cb9&domain=d.example&serverAddress=x.example&sharedSecret=",
		 csrf);
	snprintf(hdr, sizeof(hdr), "%sOrigin: https://evil.example\r\n", cookie);
	st = req("POST", "/config/general", hdr, body);
	ok(st == 403 && !strcmp(fake_xmpp_unique, "cb1"), "right csrf, other Origin: 403");
	snprintf(hdr, sizeof(hdr), "%sOrigin: http://127.0.0.1:%u\r\n", cookie, port);
	st = req("POST", "/config/general", hdr, body);
	ok(st == 200 && strstr(resp, "Saved") && !strcmp(fake_xmpp_unique, "cb9") &&
		   !strcmp(fake_xmpp_server, "x.example"),
	   "saved through PUT /system/configuration/xmpp");
	ok(!strcmp(fake_xmpp_secret, "s3cret"), "an empty secret field keeps the secret");
	st = req("GET", "/config/api?c=/coSpaces", cookie, NULL);
	ok(st == 200 && strstr(resp, "DevelopmentTeam") &&
		   strstr(resp, "o=/coSpaces/581caae0-420a-43df-9a9e-f690c70e12d3"),
	   "Configuration > API lists coSpaces");
	st = req("GET", "/logs/event", cookie, NULL);
	ok(st == 200 && strstr(resp, "logged in"), "Event log shows this process's lines");
	snprintf(body, sizeof(body), "csrf=%s", csrf);
	st = req("POST", "/logout", cookie, body);
	ok(st == 303, "logout");
	st = req("GET", "/status", cookie, NULL);
	ok(st == 303 && has_header("\r\nLocation: /login"), "the old cookie is dead");

	uv_async_send(&stop_async);
	pthread_join(th, NULL);
	cb_admin_free(web.admin);
	cb_api_close(web.api);
	uv_loop_close(&loop);
	fake_mmpd_stop(&m);
	cv_log_set_sink(NULL, NULL);
	cb_logring_free(&ring);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
