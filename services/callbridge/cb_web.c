// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Routing, API authentication and API tracing of the Web Admin listener
 * (see cb_web.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/base64.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/strbuf.h"
#include "services/callbridge/cb_admin.h"
#include "services/callbridge/cb_api.h"
#include "services/callbridge/cb_auth.h"
#include "services/callbridge/cb_web.h"

#define CRED_MAX CB_WEB_CRED_MAX

/* One API request waiting for its login check. */
struct api_wait {
	struct cb_web *w;
	struct cv_http_req *req;
	struct cb_auth_wait wait;
	char user[CRED_MAX + 1];
};

void cb_web_security_headers(struct cv_http_req *req)
{
	if (cv_http_req_tls(req))
		cv_http_add_header(req, "Strict-Transport-Security", "max-age=31536000");
	cv_http_add_header(req, "X-Frame-Options", "DENY");
	cv_http_add_header(req, "X-Content-Type-Options", "nosniff");
	cv_http_add_header(req, "Content-Security-Policy",
			   "default-src 'none'; style-src 'self'; img-src 'self'; "
			   "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	/* same-origin, not no-referrer: under no-referrer browsers send
	 * "Origin: null" with a form POST, which the CSRF check must refuse;
	 * other origins still get no Referer. */
	cv_http_add_header(req, "Referrer-Policy", "same-origin");
	cv_http_add_header(req, "Cache-Control", "no-store");
}

struct trace_ctx {
	unsigned long n;
};

static void trace_emit(const char *line, void *arg)
{
	struct trace_ctx *t = arg;

	cv_info("API trace %lu: %s", t->n, line);
}

static void respond_text(struct cv_http_req *req, int status, const char *text)
{
	cb_web_security_headers(req);
	cv_http_respond(req, status, "text/plain; charset=utf-8", text, strlen(text));
}

static void respond_401(struct cv_http_req *req)
{
	cv_http_add_header(req, "WWW-Authenticate", "Basic realm=\"Convene\"");
	respond_text(req, 401, "Authentication required\n");
}

static void api_run(struct cb_web *w, struct cv_http_req *req, const char *user)
{
	const char *method = cv_http_method(req);
	struct cb_request creq = { 0 };
	struct cb_response resp;
	struct trace_ctx t = { 0 };
	bool trace = cb_api_trace_until(w->api) > (int64_t)time(NULL);
	size_t blen;
	const char *body = cv_http_body(req, &blen);
	struct strbuf uri = STRBUF_INIT;

	if (trace) {
		const char *ct = cv_http_header(req, "Content-Type");

		t.n = ++w->trace_n;
		sb_puts(&uri, cv_http_path(req));
		if (cv_http_query(req)) {
			sb_putc(&uri, '?');
			sb_puts(&uri, cv_http_query(req));
		}
		{
			struct strbuf esc = STRBUF_INIT;

			sb_put_escaped(&esc, uri.buf, uri.len, false);
			cv_info("API trace %lu: %s for \"%s\" (from %s)", t.n, method, sb_str(&esc),
				cv_http_peer(req));
			sb_free(&esc);
		}
		if (blen) {
			struct strbuf esc = STRBUF_INIT;

			sb_put_escaped(&esc, ct ? ct : "", ct ? strlen(ct) : 0, false);
			cv_info("API trace %lu: content data size %zu, type \"%s\":", t.n, blen,
				sb_str(&esc));
			sb_free(&esc);
			cb_web_trace_body(body, blen, trace_emit, &t);
		}
	}
	creq.method = method;
	creq.path = cv_http_path(req) + strlen("/api/v1");
	creq.query = cv_http_query(req);
	creq.body = blen ? body : NULL;
	creq.body_len = blen;
	creq.user = user;
	creq.from = cv_http_peer(req); /* "<address>: API user ..." (seed 003) */
	cb_response_init(&resp);
	cb_api_handle(w->api, &creq, &resp);
	if (trace) {
		cv_info("API trace %lu: sending %d response, size %zu", t.n, resp.status,
			resp.body.len);
		if (resp.location[0])
			cv_info("API trace %lu: Location: %s", t.n, resp.location);
	}
	if (resp.location[0])
		cv_http_add_header(req, "Location", resp.location);
	cb_web_security_headers(req);
	cv_http_respond(req, resp.status, resp.body.len ? "text/xml" : NULL, sb_str(&resp.body),
			resp.body.len);
	cb_response_free(&resp);
	sb_free(&uri);
}

static void api_auth_done(struct cb_auth_wait *wt, int status, const char *role, void *arg)
{
	struct api_wait *aw = arg;

	(void)wt;
	cv_http_set_data(aw->req, NULL);
	if (status == 0 && cb_auth_role_api(role))
		api_run(aw->w, aw->req, aw->user);
	else if (status == 0 || status == -EACCES)
		respond_401(aw->req);
	else
		respond_text(aw->req, 503, "Login check unavailable, retry later\n");
	free(aw);
}

static void api_request(struct cb_web *w, struct cv_http_req *req)
{
	const char *path = cv_http_path(req), *method = cv_http_method(req);
	char user[CRED_MAX + 1], pw[CRED_MAX + 1], role[CB_AUTH_ROLE_MAX];
	struct api_wait *aw;
	int r;

	if (strcmp(method, "GET") && strcmp(method, "POST") && strcmp(method, "PUT") &&
	    strcmp(method, "DELETE")) {
		cv_http_add_header(req, "Allow", "GET, POST, PUT, DELETE");
		respond_text(req, 405, "Method not allowed\n");
		return;
	}
	(void)path;
	if (cb_web_basic_auth(cv_http_header(req, "Authorization"), user, sizeof(user), pw,
			      sizeof(pw)) < 0) {
		respond_401(req);
		return;
	}
	aw = xcalloc(1, sizeof(*aw));
	aw->w = w;
	aw->req = req;
	snprintf(aw->user, sizeof(aw->user), "%s", user);
	r = cb_auth_check(w->auth, user, pw, cv_http_peer(req), &aw->wait, api_auth_done, aw, role);
	explicit_bzero(pw, sizeof(pw));
	if (r == 0) {
		cv_http_set_data(req, aw);
		return;
	}
	free(aw);
	if (r == 1 && cb_auth_role_api(role))
		api_run(w, req, user);
	else if (r == -EBUSY)
		respond_text(req, 503, "Too many login checks, retry later\n");
	else
		respond_401(req);
}

static bool is_api_path(const char *path)
{
	/* "/api/v1" and what is under it; the prefix is matched exactly. */
	return strncmp(path, "/api/v1", 7) == 0 && (path[7] == '\0' || path[7] == '/');
}

static void on_request(struct cv_http_req *req, void *arg)
{
	struct cb_web *w = arg;

	if (is_api_path(cv_http_path(req)))
		api_request(w, req);
	else
		cb_admin_request(w, req);
}

static void on_abandon(struct cv_http_req *req, void *arg)
{
	void *data = cv_http_get_data(req);

	(void)arg;
	if (!data)
		return;
	if (is_api_path(cv_http_path(req))) {
		struct api_wait *aw = data;

		cb_auth_cancel(&aw->wait);
		free(aw);
	} else {
		cb_admin_abandon(req, data);
	}
	cv_http_set_data(req, NULL);
}

const struct cv_http_ops cb_web_ops = {
	.on_request = on_request,
	.on_abandon = on_abandon,
};

static void on_redirect(struct cv_http_req *req, void *arg)
{
	struct cb_web *w = arg;
	const char *path = cv_http_path(req), *q = cv_http_query(req);
	struct strbuf loc = STRBUF_INIT;

	/* The configured name, never the client's Host header: nothing the
	 * client sends chooses where it is sent. */
	sb_printf(&loc, "https://%s", w->host);
	if (w->https_port != 443)
		sb_printf(&loc, ":%u", w->https_port);
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f)
			sb_putc(&loc, *p);
	if (q) {
		sb_putc(&loc, '?');
		for (const char *p = q; *p; p++)
			if ((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f)
				sb_putc(&loc, *p);
	}
	cv_http_add_header(req, "Location", sb_str(&loc));
	cv_http_add_header(req, "X-Content-Type-Options", "nosniff");
	cv_http_respond(req, 301, "text/plain", "Moved to HTTPS\n", 15);
	sb_free(&loc);
}

const struct cv_http_ops cb_web_redirect_ops = {
	.on_request = on_redirect,
};
