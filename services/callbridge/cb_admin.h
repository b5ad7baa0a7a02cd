/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Web Admin: server-rendered HTML pages (no JavaScript) on the call bridge's
 * listener, as CMS serves them (spec/api.md 1.1): a login form and a session
 * cookie, Status > General, Configuration > General (the XMPP settings of
 * seed 000), Configuration > API (every API object, through cb_api_handle),
 * Logs > Event log, Logs > Detailed tracing, logout.
 *
 * Sessions: a random 256-bit id in the cookie "cvsession" (HttpOnly, Secure,
 * SameSite=Strict, Path=/), at most CB_ADMIN_SESSIONS at once (the least
 * recently used goes), ended after session_idle_s unused or by logout. Every
 * state-changing POST carries the session's CSRF token in the hidden field
 * "csrf" (compared in constant time), and is refused with 403 when the
 * token is wrong or an Origin or Referer header names another origin.
 */
#ifndef CB_ADMIN_H
#define CB_ADMIN_H

#include <stddef.h>

#include "lib/http.h"

struct cb_web;
struct cb_admin;

#define CB_ADMIN_SESSIONS 64
#define CB_LOGRING_LINES 500

/* The Event log page's ring: the last 500 log lines of this process. It is
 * the log sink (cv_log_set_sink): each line is also written on stderr as
 * "<level>: <message>" for mmpd. */
struct cb_logring {
	char *lines[CB_LOGRING_LINES];
	unsigned next, count;
};
void cb_logring_sink(int level, const char *msg, void *opaque);
void cb_logring_free(struct cb_logring *ring);

struct cb_admin *cb_admin_new(unsigned session_idle_s, struct cb_logring *ring);
void cb_admin_free(struct cb_admin *a);

/* A request that is not under /api/v1 (cb_web.c routes it here). */
void cb_admin_request(struct cb_web *w, struct cv_http_req *req);
/* The server drops a request that waited for a login check. */
void cb_admin_abandon(struct cv_http_req *req, void *data);

/* Decodes the value of key in an application/x-www-form-urlencoded text
 * ('+' is a space, %XX a byte; the last of repeated keys wins) into out.
 * 1 when found, 0 when absent, -EINVAL for a bad escape, -ENOSPC when the
 * value does not fit. */
int cb_form_get(const char *form, size_t len, const char *key, char *out, size_t outlen);

#endif
