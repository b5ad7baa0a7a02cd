// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Web Admin listener's routing on 127.0.0.1 (plain HTTP, in process)
 * with a fake mmpd and the real API core over a store in a temporary
 * directory: Basic auth and roles, 401/405, Location, security headers,
 * the seed 003 trace and "API user" lines with the client's address and
 * masking, the login form, the session cookie, CSRF and Origin checks,
 * Configuration > General and > API, logout. The effects are read back
 * from the core with cb_api_handle() GETs (and the store, for the
 * write-only secret), run on the loop thread that owns the core.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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
#include "services/callbridge/cb_db.h"
#include "services/callbridge/cb_web.h"
#include "tests/unit/callbridge/test_net.h"
#include "tests/unit/tap.h"

static uv_loop_t loop;
static uv_async_t stop_async, job_async;
static struct cv_http_server *srv;
static struct cb_auth *auth;
static struct cb_logring ring;
static struct cb_web web;

static void on_stop(uv_async_t *a)
{
	(void)a;
	cv_http_stop(srv);
	cb_auth_free(auth);
	uv_close((uv_handle_t *)&stop_async, NULL);
	uv_close((uv_handle_t *)&job_async, NULL);
}

/* --- the core, from the test thread ---
 *
 * The core belongs to the loop thread (it is not thread-safe): once the
 * loop runs, the test hands it jobs through job_async and waits. */

struct job {
	void (*fn)(void *arg);
	void *arg;
	bool done;
};

static pthread_mutex_t job_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_cv = PTHREAD_COND_INITIALIZER;
static struct job *job_now;
static bool loop_running;

static void on_job(uv_async_t *a)
{
	struct job *j;

	(void)a;
	pthread_mutex_lock(&job_mu);
	j = job_now;
	pthread_mutex_unlock(&job_mu);
	if (!j)
		return;
	j->fn(j->arg);
	pthread_mutex_lock(&job_mu);
	j->done = true;
	job_now = NULL;
	pthread_cond_signal(&job_cv);
	pthread_mutex_unlock(&job_mu);
}

static void on_loop(void (*fn)(void *), void *arg)
{
	struct job j = { fn, arg, false };

	if (!loop_running) {
		fn(arg);
		return;
	}
	pthread_mutex_lock(&job_mu);
	job_now = &j;
	pthread_mutex_unlock(&job_mu);
	uv_async_send(&job_async);
	pthread_mutex_lock(&job_mu);
	while (!j.done)
		pthread_cond_wait(&job_cv, &job_mu);
	pthread_mutex_unlock(&job_mu);
}

struct core_call {
	const char *method, *path, *body;
	int status;
	char location[160];
};

static char core_xml[65536];

static void core_job(void *arg)
{
	struct core_call *c = arg;
	struct cb_request r = { .method = c->method, .path = c->path, .user = "test" };
	struct cb_response resp;
	const char *q = strchr(c->path, '?');
	char path[256];

	if (q) {
		snprintf(path, sizeof(path), "%.*s", (int)(q - c->path), c->path);
		r.path = path;
		r.query = q + 1;
	}
	r.body = c->body;
	r.body_len = c->body ? strlen(c->body) : 0;
	cb_response_init(&resp);
	cb_api_handle(web.api, &r, &resp);
	c->status = resp.status;
	snprintf(c->location, sizeof(c->location), "%s", resp.location);
	snprintf(core_xml, sizeof(core_xml), "%s", resp.body.len ? resp.body.buf : "");
	cb_response_free(&resp);
}

/* A request straight to the core (path under /api/v1, may hold "?query");
 * the status, the XML in core_xml, the Location in loc (may be NULL). */
static int core(const char *method, const char *path, const char *body, char loc[160])
{
	struct core_call c = { method, path, body, 0, "" };

	on_loop(core_job, &c);
	if (loc)
		snprintf(loc, 160, "%s", c.location);
	return c.status;
}

struct secret_job {
	char value[256];
	int r;
};

/* The stored xmpp sharedSecret: the API never shows it, so the store is
 * asked (test-only handle). */
static void secret_job(void *arg)
{
	struct secret_job *sj = arg;
	sqlite3 *h = cb_db_sqlite_handle(cb_api_db(web.api));
	sqlite3_stmt *st = NULL;

	sj->r = -1;
	sj->value[0] = '\0';
	if (sqlite3_prepare_v2(h, "SELECT sharedSecret FROM cfg_xmpp", -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);

		snprintf(sj->value, sizeof(sj->value), "%s", v ? (const char *)v : "");
		sj->r = 0;
	}
	sqlite3_finalize(st);
}

static const char *stored_secret(void)
{
	static struct secret_job sj;

	on_loop(secret_job, &sj);
	return sj.r == 0 ? sj.value : "(none)";
}

struct trace_job {
	int64_t until;
};

static void trace_job(void *arg)
{
	cb_api_set_trace_until(web.api, ((struct trace_job *)arg)->until);
}

static void set_trace(int64_t until)
{
	struct trace_job t = { until };

	on_loop(trace_job, &t);
}

/* The text of <name> in core_xml, or "". */
static const char *xml_text(const char *name)
{
	static char v[256];
	char open[80];
	const char *p, *e;

	v[0] = '\0';
	snprintf(open, sizeof(open), "<%s>", name);
	p = strstr(core_xml, open);
	if (!p)
		return v;
	p += strlen(open);
	e = strchr(p, '<');
	if (e)
		snprintf(v, sizeof(v), "%.*s", (int)(e - p), p);
	return v;
}

/* Whether a line of this process's log holds all the given words. */
static bool logged(const char *a, const char *b)
{
	for (unsigned i = 0; i < ring.count; i++) {
		const char *l = ring.lines[i];

		if (l && strstr(l, a) && (!b || strstr(l, b)))
			return true;
	}
	return false;
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

/* rm -rf dir */
static void remove_dir(const char *dir)
{
	pid_t pid = fork();

	if (pid == 0) {
		execlp("rm", "rm", "-rf", dir, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

int main(void)
{
	struct fake_mmpd m;
	struct cb_auth_opts ao = { 0 };
	struct cv_http_config hc;
	struct sockaddr_in *sin = (struct sockaddr_in *)&hc.addr;
	char err[256], cookie[200], csrf[65], hdr[600], body[600], loc[160];
	char dir[] = "/tmp/cbweb.XXXXXX", *db_path;
	char dev_id[40] = "", wb_id[40] = "", sales_id[40] = "";
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

	/* The listener's own parsers (cb_webparse.c). */
	{
		struct lines ls = { 0 };
		const char *b = "pass%77ord=Clear1&Shared+Secret=Clear2&x=1";
		char id[65];
		const char *hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
		char c[200];
		struct strbuf big = STRBUF_INIT;

		cb_web_trace_body(b, strlen(b), collect, &ls);
		ok(ls.n == 3 && !strcmp(ls.l[0], "pass%77ord=********&") &&
			   !strcmp(ls.l[1], "Shared+Secret=********&"),
		   "keys are judged decoded: pass%%77ord and Shared+Secret masked");
		snprintf(c, sizeof(c), "theme=dark; xcvsession=%s; cvsession=%s", hex, hex);
		ok(cb_web_session_cookie(c, id) == 0 && !strcmp(id, hex),
		   "cookie: cvsession found after another one ending so");
		snprintf(c, sizeof(c), "xcvsession=%s", hex);
		ok(cb_web_session_cookie(c, id) == -ENOENT, "cookie: xcvsession is not cvsession");
		ok(cb_web_session_cookie("cvsession=ABC", id) == -EINVAL,
		   "cookie: a malformed id refused");
		sb_printf(&big, "cvsession=%s; ", hex);
		while (big.len <= CB_WEB_COOKIE_MAX)
			sb_puts(&big, "pad=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; ");
		ok(cb_web_session_cookie(big.buf, id) == -EINVAL, "cookie: over 4 KiB refused");
		sb_free(&big);
		ok(cb_web_same_origin(true, "cb.example", "https://cb.example",
				      "https://cb.example/config") &&
			   cb_web_same_origin(false, "127.0.0.1:80", NULL, NULL),
		   "origin: same origin, or none sent");
		ok(!cb_web_same_origin(true, "cb.example", "http://cb.example", NULL) &&
			   !cb_web_same_origin(true, "cb.example", NULL, "https://cb.example.evil/") &&
			   !cb_web_same_origin(true, "cb.example", "null", NULL) &&
			   !cb_web_same_origin(true, NULL, NULL, NULL),
		   "origin: other scheme, a longer host, null, no Host: refused");
	}

	if (!mkdtemp(dir) || fake_mmpd_start(&m, users) < 0) {
		printf("1..0 # SKIP cannot make a temporary directory or start the fake mmpd\n");
		return 0;
	}
	cv_log_set_sink(cb_logring_sink, &ring);
	uv_loop_init(&loop);
	memset(&web, 0, sizeof(web));
	web.started = time(NULL);
	snprintf(web.host, sizeof(web.host), "127.0.0.1");
	db_path = xasprintf("%s/callbridge.db", dir);
	st = cb_api_open(db_path, "cb1", &web.api, err, sizeof(err));
	ok(st == 0, "the API core opened a store in %s (%s)", dir, st ? err : "ok");
	if (st < 0)
		return 1;
	/* What the pages show: two spaces, a web bridge whose C2W link is up,
	 * the XMPP settings of a configured call bridge. */
	ok(core("PUT", "/system/configuration/xmpp",
		"uniqueName=cb1&domain=example.com&sharedSecret=s3cret", NULL) == 200 &&
		   core("POST", "/coSpaces", "name=DevelopmentTeam&uri=dev_team", loc) == 200 &&
		   sscanf(loc, "/api/v1/coSpaces/%36s", dev_id) == 1 &&
		   core("POST", "/coSpaces", "name=Marketing&uri=marketing", NULL) == 200 &&
		   core("POST", "/webBridges", "url=c2w://edge.example.com:6000", loc) == 200 &&
		   sscanf(loc, "/api/v1/webBridges/%36s", wb_id) == 1 &&
		   cb_api_webbridge_set_status(web.api, wb_id, "success") == 0,
	   "the store holds two coSpaces, a web bridge and the XMPP settings");
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
	uv_async_init(&loop, &job_async, on_job);
	loop_running = true;
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
	/* bob:pw-bob, role api */
	st = req("GET", "/api/v1/coSpaces", "Authorization: Basic Ym9iOnB3LWJvYg==\r\n", NULL);
	ok(st == 200 && strstr(resp, "<coSpaces total=\"2\">"), "role api: 200 and the list (%d)",
	   st);
	ok(has_header("\r\nContent-Type: text/xml"), "Content-Type text/xml");
	st = req("GET", "/api/v1/coSpaces?filter=Development&limit=5",
		 "Authorization: Basic Ym9iOnB3LWJvYg==\r\n", NULL);
	ok(st == 200 && strstr(resp, "<coSpaces total=\"1\">") && strstr(resp, dev_id) &&
		   !strstr(resp, "Marketing"),
	   "the raw query reaches the core: filter=Development finds 1 of 2");
	ok(has_header("\r\nX-Frame-Options: DENY") && has_header("\r\nX-Content-Type-Options: nosniff") &&
		   has_header("\r\nContent-Security-Policy: "),
	   "security headers");
	st = req("GET", "/api/v1/coSpaces?bogus=1", "Authorization: Basic Ym9iOnB3LWJvYg==\r\n",
		 NULL);
	ok(st == 400 && strstr(resp, "unknownParameter"),
	   "the core's failureDetails come through (%d)", st);
	{
		int calls = fake_mmpd_calls(&m);

		for (int i = 0; i < 20; i++)
			req("GET", "/api/v1/coSpaces", "Authorization: Basic Ym9iOnB3LWJvYg==\r\n",
			    NULL);
		ok(fake_mmpd_calls(&m) == calls, "20 more requests, no more mmpd calls");
	}
	set_trace(time(NULL) + 60);
	st = req("POST", "/api/v1/coSpaces", "Authorization: Basic Ym9iOnB3LWJvYg==\r\n",
		 "name=Sales&uri=sales&callId=100200300&passcode=86420975");
	ok(st == 200 && has_header("\r\nLocation: /api/v1/coSpaces/"), "create: 200 and Location (%d)",
	   st);
	{
		char *l = strcasestr(resp, "\r\nLocation: /api/v1/coSpaces/");

		if (l)
			snprintf(sales_id, sizeof(sales_id), "%.36s", l + 29);
	}
	set_trace(0);
	st = core("GET", "/coSpaces?filter=Sales", NULL, NULL);
	ok(st == 200 && strstr(core_xml, "<coSpaces total=\"1\">") && strstr(core_xml, sales_id) &&
		   !strcmp(xml_text("uri"), "sales") && strlen(sales_id) == 36,
	   "the created coSpace is in the store, at the Location's id");
	{
		char path[100];

		snprintf(path, sizeof(path), "/coSpaces/%s", sales_id);
		st = core("GET", path, NULL, NULL);
		ok(st == 200 && !strcmp(xml_text("callId"), "100200300") &&
			   !strcmp(xml_text("name"), "Sales"),
		   "with the posted fields");
	}
	{
		char first[120], loc_line[120];

		snprintf(first, sizeof(first), "API trace %lu: POST for \"/api/v1/coSpaces\" (from 127.0.0.1)",
			 web.trace_n);
		snprintf(loc_line, sizeof(loc_line), "API trace %lu: Location: /api/v1/coSpaces/%s",
			 web.trace_n, sales_id);
		ok(web.trace_n == 1 && logged(first, NULL) &&
			   logged("API trace 1: content data size 55, type "
				  "\"application/x-www-form-urlencoded\":",
				  NULL) &&
			   logged("API trace 1: sending 200 response, size 0", NULL) &&
			   logged(loc_line, NULL),
		   "seed 003 trace lines");
		ok(logged("127.0.0.1: API user \"bob\" created new space ", sales_id),
		   "the core logs the API user and the client's address: 127.0.0.1: API user "
		   "\"bob\" created new space <id>");
		ok(!logged("86420975", NULL), "the passcode is not in the log");
	}
	st = req("PATCH", "/api/v1/coSpaces", "Authorization: Basic Ym9iOnB3LWJvYg==\r\n", NULL);
	ok(st == 405, "PATCH: 405 (%d)", st);
	st = req("POST", "/api/v1/coSpaces", "Authorization: Basic Ym9iOnB3LWJvYg==\r\n",
		 "name=Bad&uri=sales");
	ok(st == 400 && strstr(resp, "duplicateCoSpaceUri") &&
		   core("GET", "/coSpaces", NULL, NULL) == 200 &&
		   strstr(core_xml, "<coSpaces total=\"3\">"),
	   "a refused create (duplicate uri) leaves the store as it was (%d)", st);

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
	core("GET", "/system/configuration/xmpp", NULL, NULL);
	ok(st == 403 && !strcmp(xml_text("uniqueName"), "cb1"), "no csrf: 403, nothing changed");
	snprintf(body, sizeof(body),
		 "csrf=%.32sffffffffffffffffffffffffffffffff&uniqueName=cb9&domain=d.example", csrf);
	st = req("POST", "/config/general", cookie, body);
	core("GET", "/system/configuration/xmpp", NULL, NULL);
	ok(st == 403 && !strcmp(xml_text("uniqueName"), "cb1"), "wrong csrf: 403, nothing changed");
	snprintf(body, sizeof(body),
		 "csrf=%s&uniqueName=cb9&domain=d.example&serverAddress=x.example&sharedSecret=",
		 csrf);
	snprintf(hdr, sizeof(hdr), "%sOrigin: https://evil.example\r\n", cookie);
	st = req("POST", "/config/general", hdr, body);
	core("GET", "/system/configuration/xmpp", NULL, NULL);
	ok(st == 403 && !strcmp(xml_text("uniqueName"), "cb1"),
	   "right csrf, other Origin: 403, nothing changed");
	/* A value the core refuses: the page says why, the row stays. */
	snprintf(body, sizeof(body), "csrf=%s&uniqueName=cb9&domain=not+a+host%%21", csrf);
	snprintf(hdr, sizeof(hdr), "%sOrigin: http://127.0.0.1:%u\r\n", cookie, port);
	st = req("POST", "/config/general", hdr, body);
	core("GET", "/system/configuration/xmpp", NULL, NULL);
	ok(st == 200 && strstr(resp, "domain") && !strstr(resp, "id=\"saved\"") &&
		   !strcmp(xml_text("uniqueName"), "cb1") && !strcmp(xml_text("domain"), "example.com"),
	   "a bad domain is refused with the core's reason, nothing changed");
	snprintf(body, sizeof(body),
		 "csrf=%s&uniqueName=cb9&domain=d.example&serverAddress=x.example&sharedSecret=",
		 csrf);
	st = req("POST", "/config/general", hdr, body);
	ok(st == 200 && strstr(resp, "id=\"saved\""), "Configuration > General: Saved (%d)", st);
	st = core("GET", "/system/configuration/xmpp", NULL, NULL);
	ok(st == 200 && !strcmp(xml_text("uniqueName"), "cb9") &&
		   !strcmp(xml_text("domain"), "d.example") &&
		   !strcmp(xml_text("serverAddressOverride"), "x.example"),
	   "GET /system/configuration/xmpp reads the form's values back");
	is_str(stored_secret(), "s3cret", "an empty secret field keeps the secret");
	snprintf(body, sizeof(body), "csrf=%s&uniqueName=cb9&domain=d.example&sharedSecret=n3w",
		 csrf);
	st = req("POST", "/config/general", hdr, body);
	ok(st == 200 && !strstr(resp, "n3w"), "a new secret is saved, not echoed");
	is_str(stored_secret(), "n3w", "the store holds the new secret");
	ok(logged("127.0.0.1: API user \"alice\" modified xmpp configuration", NULL),
	   "the core logs the Web Admin user and address");
	st = req("GET", "/config/api?c=/coSpaces", cookie, NULL);
	snprintf(body, sizeof(body), "o=/coSpaces/%s", dev_id);
	ok(st == 200 && strstr(resp, "DevelopmentTeam") && strstr(resp, body),
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
	loop_running = false;
	cb_admin_free(web.admin);
	cb_api_close(web.api);
	uv_loop_close(&loop);
	fake_mmpd_stop(&m);
	cv_log_set_sink(NULL, NULL);
	cb_logring_free(&ring);
	remove_dir(dir);
	free(db_path);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
