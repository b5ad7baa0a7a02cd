/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An HTTP(S) server on the libuv loop: libmicrohttpd in its external-select
 * epoll mode. MHD's epoll descriptor is watched with a uv_poll_t and its
 * timeouts with a uv_timer_t (MHD_get_timeout), so every callback runs on
 * the loop thread and may touch loop-owned state: no locks, no threads of
 * its own (STYLE.md "runtime shape"). TLS is MHD's own GnuTLS session, fed
 * with the key, chain and priority string of a struct cv_tls_config
 * (certs/tls.h), checked with cv_tls_creds_load() first so that a bad file
 * is refused with the same reason as everywhere else.
 *
 * A request is handed to the owner once, whole: method, raw path and query
 * (not decoded), headers, and the body up to body_max (413 beyond). The
 * owner answers with cv_http_respond() at once, or later (after asynchronous
 * work such as an mmpd login check): the connection is suspended until then
 * and resumed by the answer.
 *
 * Limits (the defaults are the Web Admin listener's, DESIGN.md section 7):
 * 256 connections, 32 per source address, 30 s idle timeout, 16 KiB of
 * request line and headers (431 beyond), 64 KiB of body (413 beyond).
 * Deadlines, which bytes trickling in do not restart (slowloris): the TLS
 * handshake and the request head within 10 s of the connection's start or
 * of the end of its previous request (so a kept-alive connection idles at
 * most 10 s), the body within 30 s of the head; an overdue connection is
 * closed without an answer.
 *
 * Ownership: the server owns every struct cv_http_req; a request stays
 * valid from on_request until cv_http_respond() returns (or, for a request
 * the server gives up while it waits, until on_abandon returns).
 */
#ifndef CV_HTTP_H
#define CV_HTTP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <uv.h>

struct cv_tls_config;
struct cv_http_server;
struct cv_http_req;

struct cv_http_ops {
	/* A whole request. Answer with cv_http_respond() now or later. */
	void (*on_request)(struct cv_http_req *req, void *arg);
	/* A request that waited for its answer is dropped (the server stops):
	 * forget req, it is freed when this returns. Optional. */
	void (*on_abandon)(struct cv_http_req *req, void *arg);
};

struct cv_http_config {
	struct sockaddr_storage addr; /* where to listen (port 0: any, see cv_http_port) */
	const struct cv_tls_config *tls; /* NULL: plain HTTP */
	unsigned max_conns;		 /* 0: 256 */
	unsigned max_per_ip;		 /* 0: 32 */
	unsigned idle_timeout_s;	 /* 0: 30 */
	size_t header_max;		 /* 0: 16 KiB (request line and headers) */
	size_t body_max;		 /* 0: 64 KiB */
	unsigned head_timeout_s;	 /* 0: 10 (handshake, request line, headers) */
	unsigned body_timeout_s;	 /* 0: 30 (the whole body, from the head's end) */
};

#define CV_HTTP_MAX_CONNS 256
#define CV_HTTP_MAX_PER_IP 32
#define CV_HTTP_IDLE_TIMEOUT_S 30
#define CV_HTTP_HEADER_MAX (16 * 1024)
#define CV_HTTP_BODY_MAX (64 * 1024)
#define CV_HTTP_HEAD_TIMEOUT_S 10
#define CV_HTTP_BODY_TIMEOUT_S 30

void cv_http_config_init(struct cv_http_config *cfg);

/* Loads the TLS files (when cfg->tls), binds and listens (do this as root,
 * before the privileges go); nothing is served until cv_http_start().
 * -EINVAL with a reason in err for bad TLS settings, the bind's errno
 * otherwise. */
int cv_http_bind(const struct cv_http_config *cfg, const struct cv_http_ops *ops, void *arg,
		 struct cv_http_server **ret, char *err, size_t errlen);
/* Starts serving on loop. */
int cv_http_start(struct cv_http_server *srv, uv_loop_t *loop);
/* The bound port. */
unsigned cv_http_port(const struct cv_http_server *srv);
bool cv_http_is_tls(const struct cv_http_server *srv);
/* Abandons the waiting requests (on_abandon), closes every connection and
 * the listener, and frees srv once its handles are closed (run the loop).
 * NULL is fine. */
void cv_http_stop(struct cv_http_server *srv);

/* --- one request --- */

const char *cv_http_method(const struct cv_http_req *req);
/* The path as sent, not decoded, without the query ("/api/v1/coSpaces"). */
const char *cv_http_path(const struct cv_http_req *req);
/* The raw query string without '?', or NULL. */
const char *cv_http_query(const struct cv_http_req *req);
/* A request header (case-insensitive name), or NULL. */
const char *cv_http_header(const struct cv_http_req *req, const char *name);
/* The body (NUL-terminated; len excludes the NUL), "" when none. */
const char *cv_http_body(const struct cv_http_req *req, size_t *ret_len);
/* The client's address as text ("192.0.2.1", "2001:db8::1"). */
const char *cv_http_peer(const struct cv_http_req *req);
bool cv_http_req_tls(const struct cv_http_req *req);
/* The owner's pointer for this request (NULL at first). */
void cv_http_set_data(struct cv_http_req *req, void *data);
void *cv_http_get_data(const struct cv_http_req *req);

/* Adds a response header (copied); before cv_http_respond(). */
void cv_http_add_header(struct cv_http_req *req, const char *name, const char *value);
/* Answers: status, Content-Type (NULL: none) and body (copied; may be
 * empty). Resumes the connection when the request waited. Once per
 * request. */
void cv_http_respond(struct cv_http_req *req, int status, const char *content_type,
		     const char *body, size_t len);

#endif
