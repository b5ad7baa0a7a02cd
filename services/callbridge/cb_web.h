/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The routing of the Web Admin listener (lib/http.h): /api/v1/... goes
 * through HTTP Basic auth (cb_auth.h) to the API core (cb_api_handle), with
 * the API trace lines of seed 003 while tracing is on; everything else is
 * Web Admin (cb_admin.h). Every answer carries the security headers (HSTS
 * on HTTPS, X-Frame-Options DENY, a Content-Security-Policy without
 * scripts, nosniff, no referrer).
 *
 * The plain HTTP listener of "webadmin http-redirect" uses cb_web_redirect_ops:
 * every request gets 301 to the same path on the HTTPS port.
 */
#ifndef CB_WEB_H
#define CB_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/http.h"
#include "lib/strbuf.h"

struct cb_api;
struct cb_auth;
struct cb_admin;

struct cb_web {
	struct cb_api *api;
	struct cb_auth *auth;
	struct cb_admin *admin;
	char host[256];	    /* the redirect target's host: hostname or address */
	uint16_t https_port;
	unsigned long trace_n; /* the "API trace N" counter */
	time_t started;
};

extern const struct cv_http_ops cb_web_ops;	     /* arg: struct cb_web */
extern const struct cv_http_ops cb_web_redirect_ops; /* arg: struct cb_web */

/* Adds the security headers to an answer. */
void cb_web_security_headers(struct cv_http_req *req);

/*
 * The parsers of what a client sends that the API core does not parse
 * (cb_webparse.c): pure functions, each with its own size cap, fuzzed by
 * tests/fuzz/cbweb_fuzz.c.
 */
#define CB_WEB_CRED_MAX 256	   /* user or password bytes */
#define CB_WEB_COOKIE_MAX 4096	   /* a Cookie header */
#define CB_WEB_HOST_MAX 256	   /* a Host header */
#define CB_WEB_REFERER_MAX 4096	   /* a Referer header */
#define CB_WEB_TRACE_MAX (64 * 1024) /* a traced body (the API's body cap) */

/* Splits "Basic <base64(user:password)>" into user and password (NUL-
 * terminated, at most CB_WEB_CRED_MAX bytes each, no NUL, a user not
 * empty). 0 or -EINVAL. */
int cb_web_basic_auth(const char *header, char *user, size_t ulen, char *password, size_t plen);

/* Whether a form key names a secret: decoded as the API core will read it
 * (%XX, '+'), it holds password, secret or passcode in any case. */
bool cb_web_secret_key(const char *key, size_t len);
/* The body with the value of every secret key replaced by "********";
 * every other byte as it came. Appends to out. */
void cb_web_trace_mask(const char *body, size_t len, struct strbuf *out);
/* The trace lines of one API request body (seed 003): masked, split after
 * each '&', and every piece cut into lines of at most 48 bytes (escaped:
 * no control byte or bad UTF-8 in a line). At most CB_WEB_TRACE_MAX bytes
 * of body. Calls emit once per line. */
void cb_web_trace_body(const char *body, size_t len, void (*emit)(const char *line, void *arg),
		       void *arg);

/* The Web Admin session id from a Cookie header: the value of the cookie
 * named cvsession, 64 lowercase hex digits, into id. 0; -ENOENT when there
 * is none; -EINVAL for a malformed one or a header over CB_WEB_COOKIE_MAX. */
int cb_web_session_cookie(const char *cookie, char id[65]);

/* Whether Origin and Referer (either may be NULL: not sent) name this
 * listener's own origin, "<http|https>://<host>" from the Host header
 * (which must be there, 1-CB_WEB_HOST_MAX bytes); a Referer must continue
 * with '/' or end there, and is at most CB_WEB_REFERER_MAX bytes. */
bool cb_web_same_origin(bool tls, const char *host, const char *origin, const char *referer);

#endif
