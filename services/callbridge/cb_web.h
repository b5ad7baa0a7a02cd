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

#include <stdint.h>
#include <time.h>

#include "lib/http.h"

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

/* Splits "Basic <base64(user:password)>" into user and password (NUL-
 * terminated, at most 256 bytes each). 0 or -EINVAL. */
int cb_web_basic_auth(const char *header, char *user, size_t ulen, char *password, size_t plen);

/* The trace lines of one API request body (seed 003): split after each
 * '&', and every piece cut into lines of at most 48 bytes; the values of
 * password, secret and passcode fields masked. Calls emit once per line. */
void cb_web_trace_body(const char *body, size_t len, void (*emit)(const char *line, void *arg),
		       void *arg);

#endif
