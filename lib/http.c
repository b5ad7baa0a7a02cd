// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libmicrohttpd driven from the libuv loop (see http.h). MHD runs in
 * external-select mode with MHD_USE_EPOLL: its epoll descriptor becomes
 * readable whenever one of its sockets (or its inter-thread channel, used by
 * resume) has work, so one uv_poll_t on it and one uv_timer_t for
 * MHD_get_timeout() (idle timeouts) are all the loop needs. MHD_run() is
 * always called from the loop, never from inside a callback of MHD's.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "certs/tls.h"
#include "lib/file.h"
#include "lib/http.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/strbuf.h"

#define TLS_FILE_MAX (1024 * 1024)

struct http_hdr {
	char *name, *value;
	struct http_hdr *next;
};

/* One connection, from MHD_CONNECTION_NOTIFY_STARTED to _CLOSED: its
 * deadline for the current request's head or body (see check_deadlines). */
struct http_conn {
	struct cv_http_server *srv;
	int fd;
	uint64_t deadline; /* uv_now() ms; 0: none (idle between bytes is MHD's) */
	bool ended;	   /* shut down by the deadline */
	struct http_conn *prev, *next;
};

struct cv_http_req {
	struct cv_http_server *srv;
	struct MHD_Connection *conn;
	struct http_conn *hc; /* NULL if MHD gave no socket context */
	char *method;
	char *path;
	char *query;
	char peer[INET6_ADDRSTRLEN];
	size_t raw_uri_len;
	struct strbuf body;
	int early_status; /* 413 or 431 decided while reading, 0 otherwise */
	bool dispatched;  /* on_request was called */
	bool suspended;
	bool answered;
	int status;
	char *content_type;
	char *resp_body;
	size_t resp_len;
	struct http_hdr *hdrs;
	void *data;
	struct cv_http_req *prev_wait, *next_wait; /* the suspended list */
};

struct cv_http_server {
	struct MHD_Daemon *mhd;
	struct cv_http_config cfg;
	struct cv_http_ops ops;
	void *arg;
	bool tls;
	char *key_pem, *cert_pem, *priority;
	uv_loop_t *loop;
	uv_poll_t poll;
	uv_timer_t timer; /* MHD's timeouts and our deadlines, whichever is first */
	struct http_conn *conns;
	int nhandles; /* handles still to close before srv is freed */
	bool started, stopping;
	struct cv_http_req *waiting; /* suspended requests */
};

void cv_http_config_init(struct cv_http_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_conns = CV_HTTP_MAX_CONNS;
	cfg->max_per_ip = CV_HTTP_MAX_PER_IP;
	cfg->idle_timeout_s = CV_HTTP_IDLE_TIMEOUT_S;
	cfg->header_max = CV_HTTP_HEADER_MAX;
	cfg->body_max = CV_HTTP_BODY_MAX;
	cfg->head_timeout_s = CV_HTTP_HEAD_TIMEOUT_S;
	cfg->body_timeout_s = CV_HTTP_BODY_TIMEOUT_S;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	/* MHD's own messages (a client's TLS alert, a refused connection) are
	 * noise for the operator: debug level. */
	cv_vlog(CV_LOG_DEBUG, fmt, ap);
}

static void req_free(struct cv_http_req *req)
{
	struct http_hdr *h, *n;

	for (h = req->hdrs; h; h = n) {
		n = h->next;
		free(h->name);
		free(h->value);
		free(h);
	}
	sb_free(&req->body);
	free(req->method);
	free(req->path);
	free(req->query);
	free(req->content_type);
	free(req->resp_body);
	free(req);
}

static void wait_unlink(struct cv_http_req *req)
{
	struct cv_http_server *srv = req->srv;

	if (!req->suspended)
		return;
	if (req->prev_wait)
		req->prev_wait->next_wait = req->next_wait;
	else
		srv->waiting = req->next_wait;
	if (req->next_wait)
		req->next_wait->prev_wait = req->prev_wait;
	req->prev_wait = req->next_wait = NULL;
	req->suspended = false;
}

/* --- deadlines ---
 *
 * MHD's connection timeout is an idle timeout: 0.9.75 restarts it on every
 * byte, so a client trickling a header byte a second (slowloris) would hold
 * its connection, and one of the per-address slots, for ever. So each
 * connection also has a deadline for the phase it is in:
 *
 *   head: the TLS handshake and the whole request line and headers must be
 *         in within head_timeout_s of the connection's start, or of the end
 *         of its previous request (so a kept-alive connection idles at most
 *         that long between requests);
 *   body: the whole body within body_timeout_s of the end of the head;
 *   none: while the owner works on the request (its time, not the
 *         client's) and while the answer goes out (MHD's idle timeout
 *         covers a client that stops reading).
 *
 * An overdue connection is shut down (shutdown(2), not close: the
 * descriptor stays MHD's): its socket turns readable with an end of file,
 * MHD reads it in its next run, closes the connection and frees its state
 * through the usual callbacks. The deadlines are checked after every MHD
 * run and the loop timer is armed for the earliest one. */

static uint64_t now_ms(const struct cv_http_server *srv)
{
	return srv->loop ? uv_now(srv->loop) : 0;
}

static void conn_deadline(struct http_conn *hc, unsigned seconds)
{
	if (!hc)
		return;
	hc->deadline = seconds ? now_ms(hc->srv) + seconds * 1000ULL : 0;
}

static struct http_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* MHD_OPTION_NOTIFY_CONNECTION: a connection is accepted (before any TLS
 * handshake) or gone. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct cv_http_server *srv = cls;
	struct http_conn *hc = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

		if (!ci)
			return; /* no descriptor to end it by: MHD's idle timeout only */
		hc = xcalloc(1, sizeof(*hc));
		hc->srv = srv;
		hc->fd = ci->connect_fd;
		conn_deadline(hc, srv->cfg.head_timeout_s);
		hc->next = srv->conns;
		if (srv->conns)
			srv->conns->prev = hc;
		srv->conns = hc;
		*socket_context = hc;
		return;
	}
	if (code != MHD_CONNECTION_NOTIFY_CLOSED || !hc)
		return;
	if (hc->prev)
		hc->prev->next = hc->next;
	else
		srv->conns = hc->next;
	if (hc->next)
		hc->next->prev = hc->prev;
	free(hc);
	*socket_context = NULL;
}

/* Shuts down the overdue connections; returns how many. */
static int end_overdue(struct cv_http_server *srv)
{
	uint64_t now = now_ms(srv);
	int n = 0;

	for (struct http_conn *hc = srv->conns; hc; hc = hc->next) {
		if (hc->ended || !hc->deadline || hc->deadline > now)
			continue;
		hc->ended = true;
		if (shutdown(hc->fd, SHUT_RDWR) == 0)
			n++;
	}
	if (n)
		cv_debug("http: %d connection%s closed: request not complete in time", n,
			 n == 1 ? "" : "s");
	return n;
}

/* Milliseconds to the earliest deadline, or -1 when none. */
static int64_t next_deadline(const struct cv_http_server *srv)
{
	uint64_t now = now_ms(srv), first = 0;

	for (const struct http_conn *hc = srv->conns; hc; hc = hc->next)
		if (!hc->ended && hc->deadline && (!first || hc->deadline < first))
			first = hc->deadline;
	if (!first)
		return -1;
	return first > now ? (int64_t)(first - now) : 0;
}

/* MHD_OPTION_URI_LOG_CALLBACK: the first sight of a request, with its URI
 * as sent (MHD decodes the one it passes to the handler, and keeps no raw
 * query string). The request state is born here. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct cv_http_server *srv = cls;
	struct cv_http_req *req = xcalloc(1, sizeof(*req));
	const char *q = strchr(uri, '?');
	const union MHD_ConnectionInfo *ci;

	req->srv = srv;
	req->conn = conn;
	req->hc = conn_of(conn);
	req->raw_uri_len = strlen(uri);
	req->path = q ? xstrndup(uri, (size_t)(q - uri)) : xstrdup(uri);
	req->query = q ? xstrdup(q + 1) : NULL;
	sb_init(&req->body);
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, req->peer,
				  sizeof(req->peer));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
				  req->peer, sizeof(req->peer));
	}
	if (!req->peer[0])
		snprintf(req->peer, sizeof(req->peer), "unknown");
	return req;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct cv_http_server *srv = cls;
	struct cv_http_req *req = *con_cls;

	(void)toe;
	/* The next request on this connection has a new head deadline. */
	conn_deadline(conn_of(conn), srv->cfg.head_timeout_s);
	if (!req)
		return;
	wait_unlink(req);
	req_free(req);
	*con_cls = NULL;
}

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	size_t *n = cls;

	(void)kind;
	/* "Name: value\r\n" */
	*n += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

static enum MHD_Result queue(struct cv_http_req *req)
{
	struct MHD_Response *resp;
	enum MHD_Result r;

	resp = MHD_create_response_from_buffer(req->resp_len, req->resp_body,
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (req->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, req->content_type);
	for (struct http_hdr *h = req->hdrs; h; h = h->next)
		MHD_add_response_header(resp, h->name, h->value);
	r = MHD_queue_response(req->conn, (unsigned)req->status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* An answer the server gives itself (413, 431): short text, and the
 * connection closes, since the rest of the request is not read. */
static enum MHD_Result queue_error(struct cv_http_req *req, int status)
{
	const char *text = status == 413 ? "Request body too large\n"
					 : "Request header fields too large\n";

	req->answered = true;
	req->status = status;
	free(req->content_type);
	req->content_type = xstrdup("text/plain");
	free(req->resp_body);
	req->resp_body = xstrdup(text);
	req->resp_len = strlen(text);
	cv_http_add_header(req, MHD_HTTP_HEADER_CONNECTION, "close");
	return queue(req);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload,
				 size_t *upload_size, void **con_cls)
{
	struct cv_http_server *srv = cls;
	struct cv_http_req *req = *con_cls;

	(void)url;
	(void)version;
	if (!req)
		return MHD_NO; /* on_uri always runs first */
	if (!req->method) {
		/* The first call: headers are in. */
		size_t n = req->raw_uri_len + strlen(method) + 12;
		const char *cl;

		req->method = xstrdup(method);
		conn_deadline(req->hc, srv->cfg.body_timeout_s);
		MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &n);
		if (n > srv->cfg.header_max)
			return queue_error(req, 431);
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > srv->cfg.body_max)
			return queue_error(req, 413);
		return MHD_YES;
	}
	if (*upload_size) {
		size_t len = *upload_size;

		*upload_size = 0;
		if (req->early_status)
			return MHD_YES;
		if (req->body.len + len > srv->cfg.body_max) {
			/* A chunked body that grew past the cap: answer now if MHD
			 * lets us, else drop the connection. */
			req->early_status = 413;
			sb_free(&req->body);
			return queue_error(req, 413);
		}
		sb_put(&req->body, upload, len);
		return MHD_YES;
	}
	if (req->early_status)
		return queue_error(req, req->early_status);
	if (req->answered)
		return queue(req);
	if (req->dispatched)
		return MHD_YES; /* resumed without an answer: cannot happen */
	req->dispatched = true;
	/* The whole request is in: the time from here on is ours. */
	conn_deadline(req->hc, 0);
	srv->ops.on_request(req, srv->arg);
	if (req->answered)
		return queue(req);
	req->suspended = true;
	req->next_wait = srv->waiting;
	if (srv->waiting)
		srv->waiting->prev_wait = req;
	srv->waiting = req;
	MHD_suspend_connection(conn);
	return MHD_YES;
}

/* --- the loop side --- */

static void on_timer(uv_timer_t *t);

static void run_mhd(struct cv_http_server *srv)
{
	MHD_UNSIGNED_LONG_LONG ms;

	int64_t dl;
	bool have;

	if (srv->stopping || !srv->mhd)
		return;
	MHD_run(srv->mhd);
	/* Overdue connections: shut down, then one more run so that MHD reads
	 * their end of file and lets them go now. */
	if (end_overdue(srv))
		MHD_run(srv->mhd);
	have = MHD_get_timeout(srv->mhd, &ms) == MHD_YES;
	dl = next_deadline(srv);
	if (dl >= 0 && (!have || (uint64_t)dl < ms)) {
		ms = (MHD_UNSIGNED_LONG_LONG)dl;
		have = true;
	}
	if (have) {
		if (ms > 3600 * 1000ULL)
			ms = 3600 * 1000ULL;
		uv_timer_start(&srv->timer, on_timer, (uint64_t)ms, 0);
	} else {
		uv_timer_stop(&srv->timer);
	}
}

static void on_timer(uv_timer_t *t)
{
	run_mhd(t->data);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	run_mhd(p->data);
}

static int read_pem(const char *path, char **ret, char *err, size_t errlen)
{
	int r = cv_file_read(path, TLS_FILE_MAX, ret, NULL);

	if (r < 0)
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-r));
	return r;
}

static int load_tls(struct cv_http_server *srv, const struct cv_tls_config *tls, char *err,
		    size_t errlen)
{
	struct cv_tls_creds *creds = NULL;
	char prio[2048];
	char *bundle = NULL;
	int r;

	/* The same checks (key matches, chain in order and valid) and reasons
	 * as every other TLS endpoint; MHD then loads the files itself. */
	r = cv_tls_creds_load(tls, &creds, err, errlen);
	if (r < 0)
		return r;
	cv_tls_creds_unref(creds);
	r = cv_tls_priority(tls->ciphers, tls->min_version, false, prio, sizeof(prio), err,
			    errlen);
	if (r < 0)
		return r;
	r = read_pem(tls->key_file, &srv->key_pem, err, errlen);
	if (r < 0)
		return r;
	r = read_pem(tls->cert_file, &srv->cert_pem, err, errlen);
	if (r < 0)
		return r;
	if (tls->bundle_file[0]) {
		char *chain;

		r = read_pem(tls->bundle_file, &bundle, err, errlen);
		if (r < 0)
			return r;
		chain = xasprintf("%s\n%s", srv->cert_pem, bundle);
		free(srv->cert_pem);
		srv->cert_pem = chain;
		free(bundle);
	}
	srv->priority = xstrdup(prio);
	srv->tls = true;
	return 0;
}

static void srv_free(struct cv_http_server *srv)
{
	if (srv->key_pem) {
		/* The private key leaves memory with the server. */
		explicit_bzero(srv->key_pem, strlen(srv->key_pem));
		free(srv->key_pem);
	}
	free(srv->cert_pem);
	free(srv->priority);
	free(srv);
}

int cv_http_bind(const struct cv_http_config *cfg, const struct cv_http_ops *ops, void *arg,
		 struct cv_http_server **ret, char *err, size_t errlen)
{
	struct cv_http_server *srv = xcalloc(1, sizeof(*srv));
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	const struct sockaddr *sa = (const struct sockaddr *)&cfg->addr;
	struct MHD_OptionItem o[16];
	int n = 0, r;
	uint16_t port;

	srv->cfg = *cfg;
	if (!srv->cfg.max_conns)
		srv->cfg.max_conns = CV_HTTP_MAX_CONNS;
	if (!srv->cfg.max_per_ip)
		srv->cfg.max_per_ip = CV_HTTP_MAX_PER_IP;
	if (!srv->cfg.idle_timeout_s)
		srv->cfg.idle_timeout_s = CV_HTTP_IDLE_TIMEOUT_S;
	if (!srv->cfg.header_max)
		srv->cfg.header_max = CV_HTTP_HEADER_MAX;
	if (!srv->cfg.body_max)
		srv->cfg.body_max = CV_HTTP_BODY_MAX;
	if (!srv->cfg.head_timeout_s)
		srv->cfg.head_timeout_s = CV_HTTP_HEAD_TIMEOUT_S;
	if (!srv->cfg.body_timeout_s)
		srv->cfg.body_timeout_s = CV_HTTP_BODY_TIMEOUT_S;
	srv->cfg.tls = NULL;
	srv->ops = *ops;
	srv->arg = arg;
	if (cfg->tls) {
		r = load_tls(srv, cfg->tls, err, errlen);
		if (r < 0) {
			srv_free(srv);
			return r;
		}
		flags |= MHD_USE_TLS;
	}
	if (sa->sa_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	} else {
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	}

	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, (void *)sa };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, srv->cfg.max_conns, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
					  srv->cfg.max_per_ip, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
					  srv->cfg.idle_timeout_s, NULL };
	/* The per-connection pool holds the request line and headers and the
	 * answer's headers: room for the header cap plus some, so that our own
	 * check (431 with a reason) runs before MHD's pool runs out. */
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
					  (intptr_t)(srv->cfg.header_max + 16 * 1024), NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, srv };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed,
					  srv };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection,
					  srv };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, srv };
	if (srv->tls) {
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, srv->key_pem };
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, srv->cert_pem };
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, srv->priority };
	}
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	srv->mhd = MHD_start_daemon(flags, port, NULL, NULL, on_access, srv, MHD_OPTION_ARRAY, o,
				    MHD_OPTION_END);
	if (!srv->mhd) {
		r = errno ? -errno : -EADDRNOTAVAIL;
		snprintf(err, errlen, "cannot listen on port %u: %s", port, strerror(-r));
		srv_free(srv);
		return r;
	}
	*ret = srv;
	return 0;
}

int cv_http_start(struct cv_http_server *srv, uv_loop_t *loop)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	int r;

	if (!di)
		return -EINVAL;
	srv->loop = loop;
	r = uv_poll_init(loop, &srv->poll, di->epoll_fd);
	if (r < 0)
		return r;
	uv_timer_init(loop, &srv->timer);
	srv->poll.data = srv;
	srv->timer.data = srv;
	srv->started = true;
	uv_poll_start(&srv->poll, UV_READABLE, on_poll);
	run_mhd(srv);
	return 0;
}

unsigned cv_http_port(const struct cv_http_server *srv)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);

	return di ? di->port : 0;
}

bool cv_http_is_tls(const struct cv_http_server *srv)
{
	return srv->tls;
}

static void on_handle_closed(uv_handle_t *h)
{
	struct cv_http_server *srv = h->data;

	if (--srv->nhandles == 0)
		srv_free(srv);
}

void cv_http_stop(struct cv_http_server *srv)
{
	if (!srv || srv->stopping)
		return;
	/* MHD must not be stopped with suspended connections: tell their
	 * owners, answer 503 and let MHD take them back first. */
	while (srv->waiting) {
		struct cv_http_req *req = srv->waiting;

		if (srv->ops.on_abandon)
			srv->ops.on_abandon(req, srv->arg);
		wait_unlink(req);
		req->answered = true;
		req->status = 503;
		MHD_resume_connection(req->conn);
	}
	if (srv->mhd) {
		MHD_run(srv->mhd);
		MHD_stop_daemon(srv->mhd);
		srv->mhd = NULL;
	}
	/* MHD told us of every close; nothing should be left. */
	while (srv->conns) {
		struct http_conn *hc = srv->conns;

		srv->conns = hc->next;
		free(hc);
	}
	srv->stopping = true;
	if (!srv->started) {
		srv_free(srv);
		return;
	}
	srv->nhandles = 2;
	uv_close((uv_handle_t *)&srv->poll, on_handle_closed);
	uv_close((uv_handle_t *)&srv->timer, on_handle_closed);
}

/* --- requests --- */

const char *cv_http_method(const struct cv_http_req *req)
{
	return req->method;
}

const char *cv_http_path(const struct cv_http_req *req)
{
	return req->path;
}

const char *cv_http_query(const struct cv_http_req *req)
{
	return req->query;
}

const char *cv_http_header(const struct cv_http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *cv_http_body(const struct cv_http_req *req, size_t *ret_len)
{
	if (ret_len)
		*ret_len = req->body.len;
	return sb_str(&req->body);
}

const char *cv_http_peer(const struct cv_http_req *req)
{
	return req->peer;
}

bool cv_http_req_tls(const struct cv_http_req *req)
{
	return req->srv->tls;
}

void cv_http_set_data(struct cv_http_req *req, void *data)
{
	req->data = data;
}

void *cv_http_get_data(const struct cv_http_req *req)
{
	return req->data;
}

void cv_http_add_header(struct cv_http_req *req, const char *name, const char *value)
{
	struct http_hdr *h = xcalloc(1, sizeof(*h)), **pp = &req->hdrs;

	h->name = xstrdup(name);
	h->value = xstrdup(value);
	while (*pp)
		pp = &(*pp)->next;
	*pp = h;
}

void cv_http_respond(struct cv_http_req *req, int status, const char *content_type,
		     const char *body, size_t len)
{
	struct cv_http_server *srv = req->srv;

	if (req->answered)
		return;
	req->answered = true;
	req->status = status;
	req->content_type = content_type ? xstrdup(content_type) : NULL;
	req->resp_body = xmalloc(len + 1);
	memcpy(req->resp_body, body ? body : "", len);
	req->resp_body[len] = '\0';
	req->resp_len = len;
	if (req->suspended) {
		wait_unlink(req);
		MHD_resume_connection(req->conn);
		/* MHD takes the connection back in its next run: from the loop,
		 * not from inside whatever called us. */
		if (srv->started && !srv->stopping)
			uv_timer_start(&srv->timer, on_timer, 0, 0);
	}
}
