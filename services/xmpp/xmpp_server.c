// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The XMPP server: listeners, connections and routing (xmpp_server.h).
 *
 * Connections. Each accepted TCP connection is one struct xc with one
 * stream parser (xmpp_stream.h). Client connections (port 5222) start in
 * plain text and must do STARTTLS before anything else (RFC 6120 5.3.1);
 * component connections are TLS from the first byte on port 5223 (the CMS
 * model, spec/xmpp.md 1.2) or plain on 127.0.0.1:5347. The transport is
 * either the uv_tcp_t itself (plain) or a cv_tls_conn that owns it. A
 * connection is freed only from its transport's close callback, so code
 * that routes a stanza may end any other connection (mark it closing) and
 * keep using the pointer until it returns to the loop.
 *
 * Logins go through the call bridge (seed 000: "XMPP talks to the call
 * bridge to start the connection"): the SASL exchange (xmpp_sasl.h) is
 * started only when the call bridge component has answered for the user,
 * in the private namespace urn:convene:xmpp:cb-auth:0 (README.md):
 * <verify/> with the PLAIN password, <scram/> for the stored SCRAM keys.
 * With no call bridge registered, a login fails with temporary-auth-failure
 * and a text that says so.
 *
 * Limits, each enforced here: stanza size (10 000 bytes before
 * authentication, 256 KiB after, 512 KiB on component links, prosody's
 * figures), depth 32, 30 s to authenticate, 600 s without a byte, a token
 * bucket of 64 KiB/s (burst 256 KiB) on what each connection sends (reading
 * pauses when it is empty), 4 MiB of output queued per connection, 16
 * resources per user, 10 000 connections, 5 s for the call bridge's answer.
 * One timer sweeps every connection once a second for the deadlines.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/base64.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "lib/strbuf.h"
#include "services/xmpp/xmpp_jid.h"
#include "services/xmpp/xmpp_sasl.h"
#include "services/xmpp/xmpp_server.h"
#include "services/xmpp/xmpp_stream.h"

#define NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"
#define NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define NS_BIND "urn:ietf:params:xml:ns:xmpp-bind"
#define NS_SESSION "urn:ietf:params:xml:ns:xmpp-session"
#define NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_ROSTER "jabber:iq:roster"
#define NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define NS_PING "urn:xmpp:ping"
#define NS_VERSION "jabber:iq:version"
#define NS_CB_AUTH "urn:convene:xmpp:cb-auth:0"

#define STANZA_MAX_PREAUTH 10000u
#define STANZA_MAX_C2S (256u * 1024)
#define STANZA_MAX_COMP (512u * 1024)
#define AUTH_TIMEOUT_MS 30000u
#define IDLE_TIMEOUT_MS 600000u
#define CB_ANSWER_MS 5000u
#define RATE_BYTES_PER_S (64.0 * 1024)
#define RATE_BURST (256.0 * 1024)
#define OUT_CAP (4u << 20)
#define RESOURCES_MAX 16
#define CONNS_MAX 10000
#define SASL_FAILURES_MAX 5
#define DIRECTED_MAX 64
#define HASH_BUCKETS 4096u
#define READ_BUF (64u * 1024)

enum xc_kind { XC_C2S, XC_COMP };

struct xc {
	struct xmpp_server *srv;
	struct xc *prev, *next;	  /* srv->conns */
	struct xc *hnext;	  /* a session hash bucket (bound clients) */
	uint64_t serial;
	enum xc_kind kind;
	bool closing, freed_transport;
	uv_tcp_t *tcp;		  /* plain transport; NULL once TLS owns it */
	struct cv_tls_conn *tls;
	size_t plain_queued;	  /* bytes in uv_write requests */
	unsigned plain_writes;	  /* uv_write requests not yet called back */
	bool free_when_written;	  /* TLS set-up failed with writes in flight */
	bool paused, was_paused;
	struct xmpp_stream *st;
	const char *content_ns;
	bool hdr_sent, decl_sent, starttls_now, tls_on;
	char stream_id[33];
	char peer[INET6_ADDRSTRLEN + 8];
	uint64_t opened_ms, last_rx_ms;
	double tokens;
	uint64_t tokens_ms;

	/* c2s */
	struct xmpp_sasl *sasl;
	unsigned sasl_failures;
	bool authed, bound, available;
	int priority;
	char *user, *bare, *full;
	char **directed;
	size_t n_directed;
	/* A login waiting for the call bridge. */
	bool auth_pending;
	char auth_id[40];
	uint64_t auth_bridge;	  /* serial of the component asked */
	uint64_t auth_deadline;
	char *auth_mech, *auth_data;
	int auth_verdict;
	struct xmpp_scram_creds auth_creds;

	/* component */
	const struct xmpp_bridge *bridge;
	bool registered;
};

struct xmpp_server {
	uv_loop_t *loop;
	const struct xmpp_config *cfg;
	struct cv_tls_creds *creds;
	uv_tcp_t *listeners[2 * XMPP_LISTEN_MAX + 1];
	enum xc_kind listener_kind[2 * XMPP_LISTEN_MAX + 1];
	bool listener_tls[2 * XMPP_LISTEN_MAX + 1];
	size_t n_listeners;
	uv_timer_t sweep;
	bool sweep_on, shutting_down;
	struct xc *conns;
	size_t n_conns;
	/* The registered link of each configured call bridge, in the order
	 * of cfg->bridges; NULL while it has none. */
	struct xc *comps[XMPP_BRIDGES_MAX];
	uint64_t next_serial, next_auth;
	struct xc *sessions[HASH_BUCKETS];
	uint8_t mock_key[32];
	char readbuf[READ_BUF];
	bool readbuf_busy;
};

static uint64_t now_ms(struct xmpp_server *srv)
{
	return uv_now(srv->loop);
}

static void conn_close(struct xc *c);
static void route(struct xmpp_server *srv, struct xc *origin, struct xmpp_elem *st);

/* --- output ----------------------------------------------------------------------- */

struct wreq {
	uv_write_t req;
	struct xc *c;
	size_t len;
	char data[];
};

static void conn_free(struct xc *c);

static void plain_written(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct xc *c = w->c;

	/* libuv runs every write callback (ECANCELED at the latest) before
	 * the handle's close callback, so c is still here. */
	(void)status;
	c->plain_queued -= w->len;
	c->plain_writes--;
	free(w);
	if (c->free_when_written && c->plain_writes == 0)
		conn_free(c);
}

static void send_raw(struct xc *c, const char *s, size_t n)
{
	if (c->closing || n == 0)
		return;
	if (c->tls) {
		if (cv_tls_write(c->tls, s, n) < 0) {
			cv_warn("%s: output queue full or connection gone: closing", c->peer);
			conn_close(c);
		}
		return;
	}
	if (c->plain_queued + n > OUT_CAP) {
		cv_warn("%s: output queue full: closing", c->peer);
		conn_close(c);
		return;
	}
	struct wreq *w = xmalloc(sizeof(*w) + n);
	uv_buf_t b = uv_buf_init(w->data, (unsigned)n);

	memcpy(w->data, s, n);
	w->c = c;
	w->len = n;
	if (uv_write(&w->req, (uv_stream_t *)c->tcp, &b, 1, plain_written) < 0) {
		free(w);
		conn_close(c);
		return;
	}
	c->plain_queued += n;
	c->plain_writes++;
}

static void send_sb(struct xc *c, struct strbuf *sb)
{
	send_raw(c, sb->buf ? sb->buf : "", sb->len);
	sb_reset(sb);
}

/* Every element in the tree that is in namespace from moves to to. */
static void renamespace(struct xmpp_elem *e, const char *from, const char *to)
{
	if (e->ns && !strcmp(e->ns, from)) {
		free(e->ns);
		e->ns = xstrdup(to);
	}
	for (size_t i = 0; i < e->nchildren; i++)
		renamespace(e->children[i], from, to);
}

/* Writes a stanza on c's stream, in c's content namespace. */
static void send_elem(struct xc *c, struct xmpp_elem *e)
{
	struct strbuf sb = STRBUF_INIT;

	if (c->closing)
		return;
	if (c->kind == XC_COMP)
		renamespace(e, XMPP_NS_CLIENT, XMPP_NS_COMPONENT);
	else
		renamespace(e, XMPP_NS_COMPONENT, XMPP_NS_CLIENT);
	if (xmpp_elem_write(e, c->content_ns, &sb) == 0)
		send_sb(c, &sb);
	sb_free(&sb);
}

static void send_header(struct xc *c, const char *from)
{
	struct strbuf sb = STRBUF_INIT;
	uint8_t rnd[16];

	/* RFC 6120 4.7.3: unpredictable ids, a new one per header. */
	gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(c->stream_id + 2 * i, 3, "%02x", rnd[i]);
	xmpp_stream_header_write(&sb, !c->decl_sent, c->content_ns, from, NULL, c->stream_id,
				 c->kind == XC_C2S ? "en" : NULL);
	c->decl_sent = c->hdr_sent = true;
	send_sb(c, &sb);
	sb_free(&sb);
}

/* Sends a stream error (after a header when none went out yet) and ends
 * the connection. */
static void stream_error(struct xc *c, enum xmpp_stream_err cond, const char *text)
{
	struct strbuf sb = STRBUF_INIT;

	if (c->closing)
		return;
	if (!c->hdr_sent)
		send_header(c, c->srv->cfg->domain);
	xmpp_stream_error_write(&sb, cond, text);
	send_sb(c, &sb);
	sb_free(&sb);
	conn_close(c);
}

static struct xmpp_elem *elem_text(const char *name, const char *ns, const char *text)
{
	struct xmpp_elem *e = xmpp_elem_new(name, ns);

	if (text)
		xmpp_elem_add_text(e, text, strlen(text));
	return e;
}

/* A reply to st of the given name and type: its id, addressed back to its
 * sender, from what it was sent to. */
static struct xmpp_elem *reply_to(const struct xmpp_elem *st, const char *name, const char *type)
{
	struct xmpp_elem *r = xmpp_elem_new(name, XMPP_NS_CLIENT);
	const char *id = xmpp_elem_attr(st, "id", NULL);
	const char *from = xmpp_elem_attr(st, "from", NULL), *to = xmpp_elem_attr(st, "to", NULL);

	xmpp_elem_set_attr(r, "type", NULL, type);
	if (id)
		xmpp_elem_set_attr(r, "id", NULL, id);
	if (from)
		xmpp_elem_set_attr(r, "to", NULL, from);
	if (to)
		xmpp_elem_set_attr(r, "from", NULL, to);
	return r;
}

static struct xmpp_elem *iq_result(const struct xmpp_elem *st)
{
	return reply_to(st, "iq", "result");
}

/* An error stanza answering st (to its sender): RFC 6120 8.3. */
static struct xmpp_elem *stanza_error(const struct xmpp_elem *st, const char *type,
				      const char *cond, const char *text)
{
	struct xmpp_elem *r = reply_to(st, st->name, "error"), *err;

	err = xmpp_elem_add_child(r, xmpp_elem_new("error", XMPP_NS_CLIENT));
	xmpp_elem_set_attr(err, "type", NULL, type);
	xmpp_elem_add_child(err, xmpp_elem_new(cond, NS_STANZAS));
	if (text)
		xmpp_elem_add_child(err, elem_text("text", NS_STANZAS, text));
	return r;
}

/* Bounces st to its sender with an error, unless st is an error itself
 * (RFC 6120 8.3.1: never answer an error with an error) or a presence
 * other than a probe or subscription (they are dropped silently). */
static void bounce(struct xmpp_server *srv, const struct xmpp_elem *st, const char *type,
		   const char *cond, const char *text)
{
	const char *t = xmpp_elem_attr(st, "type", NULL);
	struct xmpp_elem *r;

	if (t && !strcmp(t, "error"))
		return;
	if (!strcmp(st->name, "presence"))
		return;
	if (!strcmp(st->name, "iq") && t && strcmp(t, "get") && strcmp(t, "set"))
		return;
	if (!xmpp_elem_attr(st, "from", NULL))
		return;
	r = stanza_error(st, type, cond, text);
	route(srv, NULL, r);
	xmpp_elem_free(r);
}

/* --- sessions and components ------------------------------------------------------- */

static unsigned hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % HASH_BUCKETS;
}

static void session_add(struct xc *c)
{
	unsigned b = hash_str(c->bare);

	c->hnext = c->srv->sessions[b];
	c->srv->sessions[b] = c;
}

static void session_del(struct xc *c)
{
	struct xc **pp = &c->srv->sessions[hash_str(c->bare)];

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			return;
		}
}

/* The bound sessions of a bare JID: iterate with next_session. */
static struct xc *first_session(struct xmpp_server *srv, const char *bare)
{
	for (struct xc *c = srv->sessions[hash_str(bare)]; c; c = c->hnext)
		if (!c->closing && !strcmp(c->bare, bare))
			return c;
	return NULL;
}

static struct xc *next_session(struct xc *c, const char *bare)
{
	for (c = c->hnext; c; c = c->hnext)
		if (!c->closing && !strcmp(c->bare, bare))
			return c;
	return NULL;
}

/* The registered link of the i-th configured call bridge, or NULL. */
static struct xc *bridge_conn(struct xmpp_server *srv, size_t i)
{
	struct xc *c = srv->comps[i];

	return c && !c->closing ? c : NULL;
}

/* The registered link of the call bridge whose JID (name.domain) is jid:
 * a look among the configured bridges, not the connections, since every
 * stanza to a component domain asks. */
static struct xc *find_component(struct xmpp_server *srv, const char *jid)
{
	const struct xmpp_config *cfg = srv->cfg;

	for (size_t i = 0; i < cfg->n_bridges; i++)
		if (!strcasecmp(cfg->bridges[i].jid, jid))
			return bridge_conn(srv, i);
	return NULL;
}

/* The call bridge that verifies logins: the first registered one in the
 * order of the configuration (they share one user table in a cluster). */
static struct xc *auth_bridge(struct xmpp_server *srv)
{
	for (size_t i = 0; i < srv->cfg->n_bridges; i++)
		if (bridge_conn(srv, i))
			return bridge_conn(srv, i);
	return NULL;
}

/*
 * The status line mmpd shows on the "xmpp" screen: the registered call
 * bridges and where they connected from, "cb1 (192.0.2.20), cb2 (...)".
 * Written to <data_dir>/status through a temporary file and a rename, so
 * mmpd never reads half a line (mmpd_super.c reads it without following
 * links and only if it is a regular file of ours).
 */
static void write_status(struct xmpp_server *srv)
{
	const struct xmpp_config *cfg = srv->cfg;
	struct strbuf sb = STRBUF_INIT;
	char tmp[600], path[600];
	int fd;

	if (!cfg->data_dir[0])
		return;
	for (size_t i = 0; i < cfg->n_bridges; i++) {
		struct xc *c = bridge_conn(srv, i);

		if (c)
			sb_printf(&sb, "%s%s (%s)", sb.len ? ", " : "", cfg->bridges[i].name, c->peer);
	}
	sb_putc(&sb, '\n');
	snprintf(tmp, sizeof(tmp), "%s/status.tmp", cfg->data_dir);
	snprintf(path, sizeof(path), "%s/status", cfg->data_dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, sb.buf, sb.len) != (ssize_t)sb.len || close(fd) < 0 ||
	    rename(tmp, path) < 0)
		cv_warn("cannot write %s: %s", path, strerror(errno));
	sb_free(&sb);
}

/* --- presence ---------------------------------------------------------------------- */

static void directed_note(struct xc *c, const char *to, bool available)
{
	for (size_t i = 0; i < c->n_directed; i++)
		if (!strcmp(c->directed[i], to)) {
			if (!available) {
				free(c->directed[i]);
				c->directed[i] = c->directed[--c->n_directed];
			}
			return;
		}
	if (!available || c->n_directed == DIRECTED_MAX)
		return;
	c->directed = xrealloc(c->directed, (c->n_directed + 1) * sizeof(*c->directed));
	c->directed[c->n_directed++] = xstrdup(to);
}

/* Broadcast presence st (from c, no 'to') to c's own available resources,
 * c included (the echo clients expect, spec/xmpp.md 2.5). The roster is
 * empty (rosters are not stored yet), so there are no contacts. */
static void presence_broadcast(struct xc *c, struct xmpp_elem *st)
{
	for (struct xc *o = first_session(c->srv, c->bare); o; o = next_session(o, c->bare)) {
		if (!o->available && o != c)
			continue;
		xmpp_elem_set_attr(st, "to", NULL, o->full);
		send_elem(o, st);
	}
}

static void presence_unavailable(struct xc *c)
{
	struct xmpp_elem *p;

	if (!c->available)
		return;
	c->available = false;
	p = xmpp_elem_new("presence", XMPP_NS_CLIENT);
	xmpp_elem_set_attr(p, "type", NULL, "unavailable");
	xmpp_elem_set_attr(p, "from", NULL, c->full);
	for (struct xc *o = first_session(c->srv, c->bare); o; o = next_session(o, c->bare))
		if (o != c && o->available) {
			xmpp_elem_set_attr(p, "to", NULL, o->full);
			send_elem(o, p);
		}
	for (size_t i = 0; i < c->n_directed; i++) {
		xmpp_elem_set_attr(p, "to", NULL, c->directed[i]);
		route(c->srv, NULL, p);
	}
	xmpp_elem_free(p);
}

/* --- the server's own answers ------------------------------------------------------ */

static void answer_to(struct xmpp_server *srv, struct xc *origin, struct xmpp_elem *r)
{
	if (origin)
		send_elem(origin, r);
	else
		route(srv, NULL, r);
}

static void disco_info(struct xmpp_server *srv, struct xc *origin, const struct xmpp_elem *st)
{
	static const char *const features[] = { NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING,
						NS_VERSION, NULL };
	struct xmpp_elem *r = iq_result(st), *q, *id;

	q = xmpp_elem_add_child(r, xmpp_elem_new("query", NS_DISCO_INFO));
	id = xmpp_elem_add_child(q, xmpp_elem_new("identity", NS_DISCO_INFO));
	xmpp_elem_set_attr(id, "category", NULL, "server");
	xmpp_elem_set_attr(id, "type", NULL, "im");
	xmpp_elem_set_attr(id, "name", NULL, "Convene");
	for (int i = 0; features[i]; i++)
		xmpp_elem_set_attr(xmpp_elem_add_child(q, xmpp_elem_new("feature", NS_DISCO_INFO)),
				   "var", NULL, features[i]);
	answer_to(srv, origin, r);
	xmpp_elem_free(r);
}

static void disco_items(struct xmpp_server *srv, struct xc *origin, const struct xmpp_elem *st)
{
	struct xmpp_elem *r = iq_result(st), *q;

	q = xmpp_elem_add_child(r, xmpp_elem_new("query", NS_DISCO_ITEMS));
	for (size_t i = 0; i < srv->cfg->n_bridges; i++) {
		struct xmpp_elem *it;

		if (!bridge_conn(srv, i))
			continue;
		it = xmpp_elem_add_child(q, xmpp_elem_new("item", NS_DISCO_ITEMS));
		xmpp_elem_set_attr(it, "jid", NULL, srv->cfg->bridges[i].jid);
		xmpp_elem_set_attr(it, "name", NULL, "Call bridge");
	}
	answer_to(srv, origin, r);
	xmpp_elem_free(r);
}

/* An iq to the server's domain (or from a client to no one). */
static void server_iq(struct xmpp_server *srv, struct xc *origin, struct xmpp_elem *st)
{
	const char *type = xmpp_elem_attr(st, "type", NULL);
	struct xmpp_elem *q = st->nchildren == 1 ? st->children[0] : NULL;
	bool get = type && !strcmp(type, "get"), set = type && !strcmp(type, "set");
	struct xmpp_elem *r;

	if (!get && !set)
		return; /* results and errors addressed to the server: nothing asked */
	if (!q || !q->ns) {
		bounce(srv, st, "modify", "bad-request", NULL);
		return;
	}
	if (get && !strcmp(q->ns, NS_DISCO_INFO) && !strcmp(q->name, "query")) {
		disco_info(srv, origin, st);
	} else if (get && !strcmp(q->ns, NS_DISCO_ITEMS) && !strcmp(q->name, "query")) {
		disco_items(srv, origin, st);
	} else if (get && !strcmp(q->ns, NS_PING) && !strcmp(q->name, "ping")) {
		r = iq_result(st);
		answer_to(srv, origin, r);
		xmpp_elem_free(r);
	} else if (get && !strcmp(q->ns, NS_VERSION) && !strcmp(q->name, "query")) {
		struct xmpp_elem *v;

		r = iq_result(st);
		v = xmpp_elem_add_child(r, xmpp_elem_new("query", NS_VERSION));
		xmpp_elem_add_child(v, elem_text("name", NS_VERSION, "Convene"));
		xmpp_elem_add_child(v, elem_text("version", NS_VERSION, PACKAGE_VERSION));
		answer_to(srv, origin, r);
		xmpp_elem_free(r);
	} else {
		bounce(srv, st, "cancel", "service-unavailable", NULL);
	}
}

/* An iq a client sends to its own account (no 'to', or its bare JID). */
static void account_iq(struct xc *c, struct xmpp_elem *st)
{
	const char *type = xmpp_elem_attr(st, "type", NULL);
	struct xmpp_elem *q = st->nchildren == 1 ? st->children[0] : NULL, *r;

	if (!type || (strcmp(type, "get") && strcmp(type, "set")))
		return;
	if (q && q->ns && !strcmp(q->ns, NS_ROSTER) && !strcmp(q->name, "query")) {
		/* Rosters are not stored: an empty roster answers a get
		 * (RFC 6121 2.1.3), and a set is refused. */
		if (strcmp(type, "get")) {
			bounce(c->srv, st, "cancel", "not-allowed", "Rosters are not stored here");
			return;
		}
		r = iq_result(st);
		xmpp_elem_set_attr(xmpp_elem_add_child(r, xmpp_elem_new("query", NS_ROSTER)), "ver",
				   NULL, "1");
		send_elem(c, r);
		xmpp_elem_free(r);
		return;
	}
	if (q && q->ns && !strcmp(q->ns, NS_SESSION) && !strcmp(q->name, "session")) {
		r = iq_result(st);
		send_elem(c, r);
		xmpp_elem_free(r);
		return;
	}
	server_iq(c->srv, c, st);
}

/* --- routing ---------------------------------------------------------------------- */

static void deliver_bare(struct xmpp_server *srv, const char *bare, struct xmpp_elem *st)
{
	const char *type = xmpp_elem_attr(st, "type", NULL);
	int best = -1;

	if (!strcmp(st->name, "presence")) {
		for (struct xc *o = first_session(srv, bare); o; o = next_session(o, bare))
			if (o->available)
				send_elem(o, st);
		return;
	}
	if (!strcmp(st->name, "iq")) {
		/* RFC 6121 8.5.3.1: the server answers for the account. */
		bounce(srv, st, "cancel", "service-unavailable", NULL);
		return;
	}
	/* A message: the available resources of the highest non-negative
	 * priority (RFC 6121 8.5.2.1.1); there is no offline storage. */
	for (struct xc *o = first_session(srv, bare); o; o = next_session(o, bare))
		if (o->available && o->priority >= 0 && o->priority > best)
			best = o->priority;
	if (best < 0) {
		if (!type || strcmp(type, "groupchat"))
			bounce(srv, st, "cancel", "service-unavailable", NULL);
		return;
	}
	for (struct xc *o = first_session(srv, bare); o; o = next_session(o, bare))
		if (o->available && o->priority == best)
			send_elem(o, st);
}

/* Routes st (with 'from' set) by its 'to'. origin is the connection it came
 * from (NULL for the server's own stanzas). */
static void route(struct xmpp_server *srv, struct xc *origin, struct xmpp_elem *st)
{
	const char *to = xmpp_elem_attr(st, "to", NULL);
	struct xmpp_jid j;
	char *bare;

	if (!to) {
		if (!strcmp(st->name, "iq"))
			server_iq(srv, origin, st);
		return;
	}
	if (xmpp_jid_parse(to, strlen(to), &j) < 0) {
		bounce(srv, st, "modify", "jid-malformed", NULL);
		return;
	}
	if (!strcmp(j.domain, srv->cfg->domain)) {
		if (!j.local) {
			if (!strcmp(st->name, "iq"))
				server_iq(srv, origin, st);
			else if (!strcmp(st->name, "message"))
				bounce(srv, st, "cancel", "service-unavailable", NULL);
		} else if (j.resource) {
			char *full = xmpp_jid_full(&j);
			struct xc *o;

			bare = xmpp_jid_bare(&j);
			for (o = first_session(srv, bare); o; o = next_session(o, bare))
				if (!strcmp(o->full, full))
					break;
			if (o)
				send_elem(o, st);
			else if (!strcmp(st->name, "message"))
				deliver_bare(srv, bare, st);
			else if (!strcmp(st->name, "iq"))
				bounce(srv, st, "cancel", "service-unavailable", NULL);
			free(full);
			free(bare);
		} else {
			bare = xmpp_jid_bare(&j);
			deliver_bare(srv, bare, st);
			free(bare);
		}
	} else {
		struct xc *comp = find_component(srv, j.domain);

		if (comp)
			send_elem(comp, st);
		else if (xmpp_config_bridge(srv->cfg, j.domain))
			bounce(srv, st, "cancel", "service-unavailable", "Component unavailable");
		else
			bounce(srv, st, "cancel", "remote-server-not-found",
			       "Communication with remote domains is not enabled");
	}
	xmpp_jid_free(&j);
}

/* --- logins through the call bridge -------------------------------------------------- */

static void sasl_emit(struct xc *c, struct xmpp_sasl_out *out);

static int cached_scram(void *arg, const char *user, enum xmpp_sasl_mech m,
			struct xmpp_scram_creds *ret)
{
	struct xc *c = arg;

	(void)user;
	(void)m;
	if (c->auth_verdict == 0)
		*ret = c->auth_creds;
	return c->auth_verdict;
}

static int cached_plain(void *arg, const char *authcid, const char *password)
{
	struct xc *c = arg;

	(void)authcid;
	(void)password;
	return c->auth_verdict;
}

static const struct xmpp_sasl_ops cached_ops = {
	.scram_lookup = cached_scram,
	.plain_verify = cached_plain,
};

static void sasl_failure(struct xc *c, const char *cond, const char *text)
{
	struct xmpp_elem *f = xmpp_elem_new("failure", NS_SASL);

	xmpp_elem_add_child(f, xmpp_elem_new(cond, NS_SASL));
	if (text)
		xmpp_elem_add_child(f, elem_text("text", NS_SASL, text));
	send_elem(c, f);
	xmpp_elem_free(f);
	xmpp_sasl_free(c->sasl);
	c->sasl = NULL;
	if (++c->sasl_failures >= SASL_FAILURES_MAX)
		stream_error(c, XMPP_SERR_POLICY_VIOLATION, "Too many failed authentication attempts");
}

static void auth_clear(struct xc *c)
{
	c->auth_pending = false;
	free(c->auth_mech);
	free(c->auth_data);
	c->auth_mech = c->auth_data = NULL;
	gnutls_memset(&c->auth_creds, 0, sizeof(c->auth_creds));
}

/* The call bridge answered (verdict: 0, -ENOENT, -EACCES, or another
 * errno for a temporary failure): run the SASL step that was waiting. */
static void auth_resume(struct xc *c, int verdict)
{
	struct xmpp_sasl_out out = { 0 };

	c->auth_verdict = verdict;
	if (!c->sasl) {
		auth_clear(c);
		return;
	}
	xmpp_sasl_start(c->sasl, c->auth_mech, c->auth_data, &out);
	auth_clear(c);
	sasl_emit(c, &out);
	xmpp_sasl_out_clear(&out);
}

static void sasl_auth(struct xc *c, struct xmpp_elem *st)
{
	struct xmpp_server *srv = c->srv;
	const char *mech = xmpp_elem_attr(st, "mechanism", NULL);
	const char *data = st->text_len ? st->text : NULL;
	enum xmpp_sasl_mech m;
	char *user = NULL, *pw = NULL, *jid = NULL;
	struct xmpp_jid j;
	struct xmpp_elem *iq, *q;
	struct xc *cb;

	if (c->sasl) {
		sasl_failure(c, "aborted", "An authentication exchange is already running");
		return;
	}
	c->sasl = xmpp_sasl_new(&cached_ops, c, srv->mock_key, sizeof(srv->mock_key));
	c->auth_mech = xstrdup(mech ? mech : "");
	c->auth_data = data ? xstrdup(data) : NULL;
	if (!mech || xmpp_sasl_mech_parse(mech, &m) < 0 ||
	    xmpp_sasl_peek(m, data, &user, &pw) < 0) {
		/* Malformed: xmpp_sasl names the condition. */
		auth_resume(c, -ENOENT);
		goto out;
	}
	jid = xasprintf("%s@%s", user, srv->cfg->domain);
	if (xmpp_jid_parse(jid, strlen(jid), &j) < 0 || j.resource) {
		auth_resume(c, -ENOENT);
		goto out;
	}
	xmpp_jid_free(&j);
	cb = auth_bridge(srv);
	if (!cb) {
		auth_clear(c);
		sasl_failure(c, "temporary-auth-failure",
			     "No call bridge is connected to verify logins");
		cv_info("%s: login of %s refused: no call bridge is connected", c->peer, jid);
		goto out;
	}
	snprintf(c->auth_id, sizeof(c->auth_id), "cvauth-%llx",
		 (unsigned long long)++srv->next_auth);
	iq = xmpp_elem_new("iq", XMPP_NS_COMPONENT);
	xmpp_elem_set_attr(iq, "type", NULL, "get");
	xmpp_elem_set_attr(iq, "id", NULL, c->auth_id);
	xmpp_elem_set_attr(iq, "from", NULL, srv->cfg->domain);
	xmpp_elem_set_attr(iq, "to", NULL, cb->bridge->jid);
	if (m == XMPP_SASL_PLAIN) {
		char *b64 = xmalloc(CV_BASE64_LEN(strlen(pw)) + 1);

		cv_base64_encode(pw, strlen(pw), b64);
		q = xmpp_elem_add_child(iq, elem_text("verify", NS_CB_AUTH, b64));
		gnutls_memset(b64, 0, strlen(b64));
		free(b64);
	} else {
		q = xmpp_elem_add_child(iq, xmpp_elem_new("scram", NS_CB_AUTH));
		xmpp_elem_set_attr(q, "mechanism", NULL, xmpp_sasl_mech_name(m));
	}
	xmpp_elem_set_attr(q, "jid", NULL, jid);
	send_elem(cb, iq);
	if (q->text)
		gnutls_memset(q->text, 0, q->text_len);
	xmpp_elem_free(iq);
	c->auth_pending = true;
	c->auth_bridge = cb->serial;
	c->auth_deadline = now_ms(srv) + CB_ANSWER_MS;
out:
	if (pw)
		gnutls_memset(pw, 0, strlen(pw));
	free(pw);
	free(user);
	free(jid);
}

static int b64_field(const struct xmpp_elem *q, const char *name, uint8_t *buf, size_t cap,
		     size_t *ret_len)
{
	const char *v = xmpp_elem_attr(q, name, NULL);
	size_t n = v ? strlen(v) : 0;
	uint8_t tmp[128];

	if (!n || n / 4 * 3 > sizeof(tmp) || cv_base64_decode(v, n, tmp, ret_len) < 0 ||
	    *ret_len > cap)
		return -EINVAL;
	memcpy(buf, tmp, *ret_len);
	return 0;
}

/* The call bridge's answer to a login question: <scram/> keys in a
 * result, or an error. */
static int auth_answer_verdict(struct xc *c, const struct xmpp_elem *st)
{
	const char *type = xmpp_elem_attr(st, "type", NULL);
	struct xmpp_elem *err = xmpp_elem_child(st, "error", NULL), *q;
	struct xmpp_scram_creds *k = &c->auth_creds;
	enum xmpp_sasl_mech m;
	size_t hl, n;
	unsigned long it;

	if (type && !strcmp(type, "error")) {
		if (err && (xmpp_elem_child(err, "not-authorized", NS_STANZAS) ||
			    xmpp_elem_child(err, "forbidden", NS_STANZAS)))
			return -EACCES;
		if (err && xmpp_elem_child(err, "item-not-found", NS_STANZAS))
			return -ENOENT;
		return -EIO;
	}
	if (!type || strcmp(type, "result"))
		return -EIO;
	if (xmpp_sasl_mech_parse(c->auth_mech, &m) < 0 || m == XMPP_SASL_PLAIN)
		return 0;
	q = xmpp_elem_child(st, "scram", NS_CB_AUTH);
	if (!q)
		return -EIO;
	hl = m == XMPP_SASL_SCRAM_SHA_1 ? 20 : 32;
	if (b64_field(q, "salt", k->salt, sizeof(k->salt), &k->salt_len) < 0 ||
	    b64_field(q, "stored-key", k->stored_key, hl, &n) < 0 || n != hl ||
	    b64_field(q, "server-key", k->server_key, hl, &n) < 0 || n != hl ||
	    !xmpp_elem_attr(q, "iterations", NULL) ||
	    cv_parse_ulong(xmpp_elem_attr(q, "iterations", NULL), XMPP_SCRAM_ITER_MIN,
			   XMPP_SCRAM_ITER_MAX, &it) < 0) {
		cv_warn("call bridge %s: malformed SCRAM keys for a login", c->auth_id);
		return -EIO;
	}
	k->iterations = (unsigned)it;
	return 0;
}

/* A result or error from a component to the server's domain: an answer to
 * a login question, or nothing we asked. */
static void auth_answer(struct xmpp_server *srv, struct xc *comp, const struct xmpp_elem *st)
{
	const char *id = xmpp_elem_attr(st, "id", NULL);

	if (!id)
		return;
	for (struct xc *c = srv->conns; c; c = c->next) {
		if (!c->auth_pending || c->auth_bridge != comp->serial || strcmp(c->auth_id, id))
			continue;
		if (!c->closing)
			auth_resume(c, auth_answer_verdict(c, st));
		return;
	}
}

/* The call bridge asked went away or did not answer in time. */
static void auth_give_up(struct xc *c, const char *why)
{
	auth_clear(c);
	sasl_failure(c, "temporary-auth-failure", why);
}

static void sasl_emit(struct xc *c, struct xmpp_sasl_out *out)
{
	struct xmpp_elem *e;
	const char *user, *authz;
	char *jid;
	struct xmpp_jid j;

	switch (out->step) {
	case XMPP_SASL_CHALLENGE:
		e = elem_text("challenge", NS_SASL, out->data);
		send_elem(c, e);
		xmpp_elem_free(e);
		return;
	case XMPP_SASL_FAILURE:
		cv_info("%s: login failed: %s", c->peer, xmpp_sasl_fail_name(out->fail));
		sasl_failure(c, xmpp_sasl_fail_name(out->fail), NULL);
		return;
	case XMPP_SASL_SUCCESS:
		break;
	}
	user = xmpp_sasl_user(c->sasl);
	authz = xmpp_sasl_authzid(c->sasl);
	jid = xasprintf("%s@%s", user, c->srv->cfg->domain);
	if (xmpp_jid_parse(jid, strlen(jid), &j) < 0) {
		free(jid);
		sasl_failure(c, "not-authorized", NULL);
		return;
	}
	free(jid);
	if (authz && *authz) {
		struct xmpp_jid a;
		bool same = xmpp_jid_parse(authz, strlen(authz), &a) == 0 &&
			    xmpp_jid_equal(&a, &j, true) && !a.resource;

		if (same)
			xmpp_jid_free(&a);
		if (!same) {
			xmpp_jid_free(&j);
			sasl_failure(c, "invalid-authzid", NULL);
			return;
		}
	}
	e = elem_text("success", NS_SASL, out->data);
	send_elem(c, e);
	xmpp_elem_free(e);
	c->user = xstrdup(j.local);
	c->bare = xmpp_jid_bare(&j);
	xmpp_jid_free(&j);
	c->authed = true;
	xmpp_sasl_free(c->sasl);
	c->sasl = NULL;
	xmpp_stream_set_stanza_max(c->st, STANZA_MAX_C2S);
	/* RFC 6120 6.4.6: a new stream follows on the same TLS session. */
	xmpp_stream_restart(c->st);
	c->hdr_sent = false;
}

/* --- client streams ------------------------------------------------------------------- */

static void c2s_features(struct xc *c)
{
	struct xmpp_elem *f = xmpp_elem_new("features", XMPP_NS_STREAMS), *e;

	if (!c->tls_on) {
		e = xmpp_elem_add_child(f, xmpp_elem_new("starttls", NS_TLS));
		xmpp_elem_add_child(e, xmpp_elem_new("required", NS_TLS));
	} else if (!c->authed) {
		static const char *const mechs[] = { "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", NULL };

		e = xmpp_elem_add_child(f, xmpp_elem_new("mechanisms", NS_SASL));
		for (int i = 0; mechs[i]; i++)
			xmpp_elem_add_child(e, elem_text("mechanism", NS_SASL, mechs[i]));
	} else {
		e = xmpp_elem_add_child(f, xmpp_elem_new("bind", NS_BIND));
		xmpp_elem_add_child(e, xmpp_elem_new("required", NS_BIND));
		e = xmpp_elem_add_child(f, xmpp_elem_new("session", NS_SESSION));
		xmpp_elem_add_child(e, xmpp_elem_new("optional", NS_SESSION));
	}
	/* With the stream: prefix that the header declares, as every
	 * server writes it (clients that match bytes expect it). */
	{
		struct strbuf sb = STRBUF_INIT;

		sb_puts(&sb, "<stream:features>");
		for (size_t i = 0; i < f->nchildren; i++)
			xmpp_elem_write(f->children[i], c->content_ns, &sb);
		sb_puts(&sb, "</stream:features>");
		send_sb(c, &sb);
		sb_free(&sb);
	}
	xmpp_elem_free(f);
}

static void on_open(void *arg, const struct xmpp_stream_header *h)
{
	struct xc *c = arg;
	const struct xmpp_config *cfg = c->srv->cfg;

	if (c->kind == XC_COMP) {
		const struct xmpp_bridge *b;

		if (!h->to) {
			stream_error(c, XMPP_SERR_IMPROPER_ADDRESSING, "No component name given");
			return;
		}
		b = xmpp_config_bridge(cfg, h->to);
		if (!b) {
			cv_warn("%s: component %s refused: no such call bridge (xmpp callbridge "
				"list)",
				c->peer, h->to);
			stream_error(c, XMPP_SERR_HOST_UNKNOWN,
				     "That name does not match any configured call bridge");
			return;
		}
		if (find_component(c->srv, b->jid)) {
			cv_warn("%s: component %s refused: already connected", c->peer, b->jid);
			stream_error(c, XMPP_SERR_CONFLICT, "Component already connected");
			return;
		}
		c->bridge = b;
		send_header(c, b->jid);
		return;
	}
	if (!h->to || strcasecmp(h->to, cfg->domain)) {
		stream_error(c, XMPP_SERR_HOST_UNKNOWN, "This server serves another domain");
		return;
	}
	if (!h->version || strncmp(h->version, "1.", 2)) {
		stream_error(c, XMPP_SERR_UNSUPPORTED_VERSION, "XMPP 1.0 is required");
		return;
	}
	send_header(c, cfg->domain);
	c2s_features(c);
}

static void c2s_bind(struct xc *c, struct xmpp_elem *st, struct xmpp_elem *b)
{
	struct xmpp_elem *res = xmpp_elem_child(b, "resource", NS_BIND), *r, *rb;
	char gen[24];
	const char *want = res && res->text_len ? res->text : NULL;
	struct xc *o, *old = NULL;
	size_t n = 0;
	char *full;

	if (c->bound) {
		bounce(c->srv, st, "cancel", "not-allowed", "A resource is already bound");
		return;
	}
	if (want && !xmpp_jid_resource_valid(want, res->text_len)) {
		r = stanza_error(st, "modify", "bad-request", "Invalid resource");
		send_elem(c, r);
		xmpp_elem_free(r);
		return;
	}
	if (!want) {
		uint8_t rnd[6];

		gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd));
		snprintf(gen, sizeof(gen), "convene-%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
			 rnd[2], rnd[3], rnd[4], rnd[5]);
		want = gen;
	}
	full = xasprintf("%s/%s", c->bare, want);
	for (o = first_session(c->srv, c->bare); o; o = next_session(o, c->bare)) {
		n++;
		if (!strcmp(o->full, full))
			old = o;
	}
	if (!old && n >= RESOURCES_MAX) {
		free(full);
		r = stanza_error(st, "wait", "resource-constraint", "Too many resources");
		send_elem(c, r);
		xmpp_elem_free(r);
		return;
	}
	if (old) {
		/* RFC 6120 7.7.2.2: the new session wins, the old one ends. */
		cv_info("%s: %s logged in again: the older session ends", c->peer, full);
		stream_error(old, XMPP_SERR_CONFLICT, "Replaced by a new connection");
	}
	c->full = full;
	c->bound = true;
	session_add(c);
	r = iq_result(st);
	xmpp_elem_set_attr(r, "from", NULL, NULL);
	rb = xmpp_elem_add_child(r, xmpp_elem_new("bind", NS_BIND));
	xmpp_elem_add_child(rb, elem_text("jid", NS_BIND, full));
	/* The result goes to the client itself, which has no full JID yet
	 * in its view: no 'to'. */
	xmpp_elem_set_attr(r, "to", NULL, NULL);
	send_elem(c, r);
	xmpp_elem_free(r);
	cv_info("%s: %s logged in", c->peer, full);
}

static void c2s_presence(struct xc *c, struct xmpp_elem *st)
{
	const char *to = xmpp_elem_attr(st, "to", NULL), *type = xmpp_elem_attr(st, "type", NULL);
	struct xmpp_elem *p = xmpp_elem_child(st, "priority", NULL);

	if (to) {
		if (!type || !strcmp(type, "unavailable"))
			directed_note(c, to, !type);
		route(c->srv, c, st);
		return;
	}
	if (type && strcmp(type, "unavailable"))
		return; /* subscriptions need a 'to' */
	if (type) {
		presence_unavailable(c);
		return;
	}
	c->priority = 0;
	if (p && p->text_len) {
		long v = strtol(p->text, NULL, 10);

		c->priority = v < -128 ? -128 : v > 127 ? 127 : (int)v;
	}
	c->available = true;
	presence_broadcast(c, st);
}

static void c2s_stanza(struct xc *c, struct xmpp_elem *st)
{
	const char *from;

	if (!c->tls_on) {
		if (!strcmp(st->name, "starttls") && st->ns && !strcmp(st->ns, NS_TLS)) {
			struct xmpp_elem *p = xmpp_elem_new("proceed", NS_TLS);

			send_elem(c, p);
			xmpp_elem_free(p);
			c->starttls_now = true;
			xmpp_stream_restart(c->st);
			c->hdr_sent = false;
			return;
		}
		if (!strcmp(st->name, "auth") && st->ns && !strcmp(st->ns, NS_SASL)) {
			struct xmpp_elem *f = xmpp_elem_new("failure", NS_SASL);

			xmpp_elem_add_child(f, xmpp_elem_new("encryption-required", NS_SASL));
			send_elem(c, f);
			xmpp_elem_free(f);
		}
		stream_error(c, XMPP_SERR_POLICY_VIOLATION, "STARTTLS is required");
		return;
	}
	if (!c->authed) {
		struct xmpp_sasl_out out = { 0 };

		if (!st->ns || strcmp(st->ns, NS_SASL)) {
			stream_error(c, XMPP_SERR_NOT_AUTHORIZED, "Authenticate first");
			return;
		}
		if (c->auth_pending) {
			/* The exchange waits for the call bridge: RFC 6120 6.4.5
			 * has the client wait too. */
			stream_error(c, XMPP_SERR_POLICY_VIOLATION, "Wait for the server's answer");
			return;
		}
		if (!strcmp(st->name, "auth")) {
			sasl_auth(c, st);
			return;
		}
		if (!c->sasl) {
			sasl_failure(c, "malformed-request", "No authentication exchange is running");
			return;
		}
		if (!strcmp(st->name, "response"))
			xmpp_sasl_response(c->sasl, st->text_len ? st->text : NULL, &out);
		else if (!strcmp(st->name, "abort"))
			xmpp_sasl_abort(c->sasl, &out);
		else {
			stream_error(c, XMPP_SERR_UNSUPPORTED_STANZA_TYPE, NULL);
			return;
		}
		sasl_emit(c, &out);
		xmpp_sasl_out_clear(&out);
		return;
	}
	if (!st->ns || strcmp(st->ns, XMPP_NS_CLIENT) ||
	    (strcmp(st->name, "iq") && strcmp(st->name, "message") &&
	     strcmp(st->name, "presence"))) {
		stream_error(c, XMPP_SERR_UNSUPPORTED_STANZA_TYPE, NULL);
		return;
	}
	if (!c->bound) {
		struct xmpp_elem *b = st->nchildren ? st->children[0] : NULL;
		const char *type = xmpp_elem_attr(st, "type", NULL);

		if (!strcmp(st->name, "iq") && b && b->ns && !strcmp(b->ns, NS_BIND) && type &&
		    !strcmp(type, "set")) {
			c2s_bind(c, st, b);
			return;
		}
		stream_error(c, XMPP_SERR_NOT_AUTHORIZED, "Bind a resource first");
		return;
	}
	/* RFC 6120 8.1.2.1: the server stamps the full JID; a client may
	 * only name itself. */
	from = xmpp_elem_attr(st, "from", NULL);
	if (from && strcmp(from, c->full) && strcmp(from, c->bare)) {
		stream_error(c, XMPP_SERR_INVALID_FROM, "That is not your address");
		return;
	}
	xmpp_elem_set_attr(st, "from", NULL, c->full);
	if (!strcmp(st->name, "presence")) {
		c2s_presence(c, st);
		return;
	}
	if (!strcmp(st->name, "iq")) {
		const char *to = xmpp_elem_attr(st, "to", NULL);

		if (!to || !strcmp(to, c->bare)) {
			account_iq(c, st);
			return;
		}
	}
	route(c->srv, c, st);
}

/* --- component streams ------------------------------------------------------------------ */

static void comp_registered(struct xc *c)
{
	struct xmpp_elem *h = xmpp_elem_new("handshake", XMPP_NS_COMPONENT);

	send_elem(c, h);
	xmpp_elem_free(h);
	c->registered = true;
	c->srv->comps[c->bridge - c->srv->cfg->bridges] = c;
	xmpp_stream_set_stanza_max(c->st, STANZA_MAX_COMP);
	cv_info("call bridge %s connected from %s as %s", c->bridge->name, c->peer, c->bridge->jid);
	write_status(c->srv);
}

static void comp_stanza(struct xc *c, struct xmpp_elem *st)
{
	const char *from, *to;
	struct xmpp_jid j;

	if (!c->registered) {
		char hex[41];
		bool ok;

		if (strcmp(st->name, "handshake") || st->nchildren ||
		    xmpp_component_digest(c->stream_id, c->bridge->secret, hex) < 0) {
			stream_error(c, XMPP_SERR_NOT_AUTHORIZED, "Send the handshake first");
			return;
		}
		/* Hex in either case, as prosody takes it. */
		ok = st->text_len == 40;
		for (size_t i = 0; ok && i < 40; i++)
			st->text[i] = (char)((st->text[i] >= 'A' && st->text[i] <= 'F')
						     ? st->text[i] - 'A' + 'a'
						     : st->text[i]);
		ok = ok && !gnutls_memcmp(hex, st->text, 40);
		if (!ok) {
			cv_warn("call bridge %s from %s: authentication failure (wrong secret)",
				c->bridge->name, c->peer);
			stream_error(c, XMPP_SERR_NOT_AUTHORIZED,
				     "Given token does not match calculated token");
			return;
		}
		/* A second link for the same name may have completed its
		 * handshake meanwhile: first registered wins. */
		if (find_component(c->srv, c->bridge->jid)) {
			stream_error(c, XMPP_SERR_CONFLICT, "Component already connected");
			return;
		}
		comp_registered(c);
		return;
	}
	if (strcmp(st->name, "iq") && strcmp(st->name, "message") && strcmp(st->name, "presence")) {
		stream_error(c, XMPP_SERR_UNSUPPORTED_STANZA_TYPE, NULL);
		return;
	}
	/* XEP-0114: the component speaks for its own domain only. */
	from = xmpp_elem_attr(st, "from", NULL);
	if (!from) {
		xmpp_elem_set_attr(st, "from", NULL, c->bridge->jid);
	} else {
		bool mine = xmpp_jid_parse(from, strlen(from), &j) == 0 &&
			    !strcmp(j.domain, c->bridge->jid);

		if (mine)
			xmpp_jid_free(&j);
		else {
			stream_error(c, XMPP_SERR_INVALID_FROM, "Stanzas must come from your domain");
			return;
		}
	}
	to = xmpp_elem_attr(st, "to", NULL);
	if (!to) {
		stream_error(c, XMPP_SERR_IMPROPER_ADDRESSING, "Stanzas need a 'to'");
		return;
	}
	if (!strcmp(st->name, "iq") && !strcasecmp(to, c->srv->cfg->domain)) {
		const char *type = xmpp_elem_attr(st, "type", NULL);

		if (type && (!strcmp(type, "result") || !strcmp(type, "error"))) {
			auth_answer(c->srv, c, st);
			return;
		}
	}
	route(c->srv, c, st);
}

/* --- parser events --------------------------------------------------------------------- */

static void on_stanza(void *arg, struct xmpp_elem *st)
{
	struct xc *c = arg;

	if (c->closing)
		return;
	if (c->kind == XC_COMP)
		comp_stanza(c, st);
	else
		c2s_stanza(c, st);
}

static void on_close_ev(void *arg)
{
	struct xc *c = arg;

	send_raw(c, "</stream:stream>", 16);
	conn_close(c);
}

static void on_error(void *arg, enum xmpp_stream_err cond, const char *text)
{
	struct xc *c = arg;

	if (!c->closing)
		cv_info("%s: stream error %s: %s", c->peer, xmpp_stream_err_name(cond),
			text ? text : "");
	stream_error(c, cond, text);
}

static const struct xmpp_stream_ops stream_ops = {
	.open = on_open,
	.stanza = on_stanza,
	.close = on_close_ev,
	.error = on_error,
};

/* --- transport ---------------------------------------------------------------------------- */

static void conn_free(struct xc *c)
{
	struct xmpp_server *srv = c->srv;

	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->n_conns--;
	xmpp_stream_free(c->st);
	xmpp_sasl_free(c->sasl);
	auth_clear(c);
	for (size_t i = 0; i < c->n_directed; i++)
		free(c->directed[i]);
	free(c->directed);
	free(c->user);
	free(c->bare);
	free(c->full);
	free(c);
}

static void tcp_closed(uv_handle_t *h)
{
	struct xc *c = h->data;

	free(h);
	conn_free(c);
}

static void tcp_shut(uv_shutdown_t *req, int status)
{
	struct xc *c = req->data;

	(void)status;
	free(req);
	uv_close((uv_handle_t *)c->tcp, tcp_closed);
}

/* Ends a plain connection after its queued writes (a stream error). */
static void plain_shutdown(struct xc *c)
{
	uv_shutdown_t *req = xmalloc(sizeof(*req));

	req->data = c;
	if (uv_shutdown(req, (uv_stream_t *)c->tcp, tcp_shut) < 0) {
		free(req);
		uv_close((uv_handle_t *)c->tcp, tcp_closed);
	}
}

/* Everything that must happen once, when a connection starts to end:
 * sessions, presence, components, logins waiting on this component. */
static void conn_close(struct xc *c)
{
	struct xmpp_server *srv = c->srv;

	if (c->closing)
		return;
	if (c->bound)
		presence_unavailable(c);
	c->closing = true;
	if (c->bound) {
		session_del(c);
		c->bound = false;
		cv_info("%s: %s logged out", c->peer, c->full);
	}
	if (c->kind == XC_COMP && c->registered) {
		cv_info("call bridge %s (%s) disconnected", c->bridge->name, c->peer);
		srv->comps[c->bridge - srv->cfg->bridges] = NULL;
		for (struct xc *o = srv->conns; o; o = o->next)
			if (o->auth_pending && o->auth_bridge == c->serial && !o->closing)
				auth_give_up(o, "The call bridge went away");
		write_status(srv);
	}
	if (c->tls) {
		cv_tls_close(c->tls);
	} else if (c->tcp) {
		uv_read_stop((uv_stream_t *)c->tcp);
		plain_shutdown(c);
	}
}

static void conn_pause(struct xc *c, bool pause);

static void conn_input(struct xc *c, const uint8_t *buf, size_t len)
{
	uint64_t now = now_ms(c->srv);

	c->last_rx_ms = now;
	c->tokens -= (double)len;
	while (len > 0 && !c->closing) {
		long n = xmpp_stream_feed(c->st, buf, len);

		if (n <= 0)
			break;
		if (c->starttls_now)
			return; /* plaintext after <starttls/> is dropped */
		buf += n;
		len -= (size_t)n;
	}
	if (!c->closing && c->tokens < 0)
		conn_pause(c, true);
}

static void tls_on_handshake(struct cv_tls_conn *t, int status, void *arg)
{
	struct xc *c = arg;

	(void)t;
	if (status < 0)
		cv_info("%s: TLS handshake failed: %s", c->peer, cv_tls_conn_error(t));
}

static void tls_on_read(struct cv_tls_conn *t, const uint8_t *buf, size_t len, void *arg)
{
	(void)t;
	conn_input(arg, buf, len);
}

static void tls_on_close(struct cv_tls_conn *t, int status, void *arg)
{
	struct xc *c = arg;

	(void)t;
	(void)status;
	c->tls = NULL;
	conn_close(c);
	conn_free(c);
}

static const struct cv_tls_conn_ops tls_ops = {
	.on_handshake = tls_on_handshake,
	.on_read = tls_on_read,
	.on_close = tls_on_close,
};

static void plain_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct xc *c = h->data;

	(void)hint;
	*buf = uv_buf_init(c->srv->readbuf, sizeof(c->srv->readbuf));
}

static int start_tls(struct xc *c)
{
	uv_tcp_t *tcp = c->tcp;

	c->tcp = NULL;
	c->tls_on = true;
	if (cv_tls_conn_new(tcp, c->srv->creds, true, NULL, &tls_ops, c, &c->tls) < 0) {
		/* tcp is closed and freed by cv_tls_conn_new; a <proceed/>
		 * may still be in flight. */
		conn_close(c);
		if (c->plain_writes)
			c->free_when_written = true;
		else
			conn_free(c);
		return -EIO;
	}
	return 0;
}

static void plain_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct xc *c = s->data;

	if (n < 0) {
		conn_close(c);
		return;
	}
	conn_input(c, (const uint8_t *)buf->base, (size_t)n);
	if (c->starttls_now && !c->closing) {
		c->starttls_now = false;
		uv_read_stop(s);
		start_tls(c);
	}
}

static void conn_pause(struct xc *c, bool pause)
{
	if (c->paused == pause || c->closing)
		return;
	c->paused = pause;
	if (pause && !c->was_paused) {
		/* Once per connection: a flood is not a log flood. */
		c->was_paused = true;
		cv_info("%s: over %.0f KiB/s: reading paused", c->peer, RATE_BYTES_PER_S / 1024);
	}
	if (c->tls)
		cv_tls_pause(c->tls, pause);
	else if (pause)
		uv_read_stop((uv_stream_t *)c->tcp);
	else
		uv_read_start((uv_stream_t *)c->tcp, plain_alloc, plain_read);
}

static void on_accept(uv_stream_t *l, int status)
{
	struct xmpp_server *srv = l->data;
	size_t li;
	uv_tcp_t *tcp;
	struct xc *c;
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	char ip[INET6_ADDRSTRLEN] = "?";

	if (status < 0)
		return;
	for (li = 0; li < srv->n_listeners; li++)
		if ((uv_stream_t *)srv->listeners[li] == l)
			break;
	tcp = xmalloc(sizeof(*tcp));
	uv_tcp_init(srv->loop, tcp);
	if (uv_accept(l, (uv_stream_t *)tcp) < 0 || srv->shutting_down ||
	    srv->n_conns >= CONNS_MAX) {
		if (srv->n_conns >= CONNS_MAX)
			cv_warn("connection limit (%d) reached: refusing a connection", CONNS_MAX);
		uv_close((uv_handle_t *)tcp, (uv_close_cb)free);
		return;
	}
	uv_tcp_nodelay(tcp, 1);
	c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	c->serial = ++srv->next_serial;
	c->kind = srv->listener_kind[li];
	c->content_ns = c->kind == XC_COMP ? XMPP_NS_COMPONENT : XMPP_NS_CLIENT;
	c->opened_ms = c->last_rx_ms = c->tokens_ms = now_ms(srv);
	c->tokens = RATE_BURST;
	if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
		else
			uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
	}
	snprintf(c->peer, sizeof(c->peer), "%s", ip);
	c->st = xmpp_stream_new(c->content_ns,
				STANZA_MAX_PREAUTH, 0,
				&stream_ops, c);
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->n_conns++;
	tcp->data = c;
	c->tcp = tcp;
	if (srv->listener_tls[li]) {
		start_tls(c);
		return;
	}
	uv_read_start((uv_stream_t *)tcp, plain_alloc, plain_read);
}

/* --- deadlines ------------------------------------------------------------------------ */

static void on_sweep(uv_timer_t *t)
{
	struct xmpp_server *srv = t->data;
	uint64_t now = now_ms(srv);

	for (struct xc *c = srv->conns, *next; c; c = next) {
		next = c->next;
		if (c->closing)
			continue;
		/* The token bucket refills; a paused reader resumes. */
		c->tokens += (double)(now - c->tokens_ms) * RATE_BYTES_PER_S / 1000.0;
		if (c->tokens > RATE_BURST)
			c->tokens = RATE_BURST;
		c->tokens_ms = now;
		if (c->paused && c->tokens > 0)
			conn_pause(c, false);
		if (c->auth_pending && now >= c->auth_deadline) {
			cv_warn("%s: the call bridge did not answer a login in time", c->peer);
			auth_give_up(c, "The call bridge did not answer in time");
		}
		if (!(c->kind == XC_COMP ? c->registered : c->bound) &&
		    now - c->opened_ms >= AUTH_TIMEOUT_MS && !c->auth_pending) {
			cv_info("%s: not authenticated after %u s: closing", c->peer,
				AUTH_TIMEOUT_MS / 1000);
			stream_error(c, XMPP_SERR_CONNECTION_TIMEOUT, "Authenticate sooner");
		} else if (now - c->last_rx_ms >= IDLE_TIMEOUT_MS) {
			stream_error(c, XMPP_SERR_CONNECTION_TIMEOUT, "Idle for too long");
		}
	}
}

/* --- set-up ------------------------------------------------------------------------------ */

static int listen_on(struct xmpp_server *srv, struct in_addr a, uint16_t port, enum xc_kind kind,
		     bool tls, char *err, size_t errlen)
{
	uv_tcp_t *t = xmalloc(sizeof(*t));
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = a, .sin_port = htons(port) };
	char ip[INET_ADDRSTRLEN];
	int r;

	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	uv_tcp_init(srv->loop, t);
	t->data = srv;
	r = uv_tcp_bind(t, (struct sockaddr *)&sin, 0);
	if (r == 0)
		r = uv_listen((uv_stream_t *)t, 511, on_accept);
	if (r < 0) {
		uv_close((uv_handle_t *)t, (uv_close_cb)free);
		return cv_fail(err, errlen, "cannot listen on %s port %u: %s", ip, port,
			       uv_strerror(r));
	}
	/* Not accepting until start: uv_listen has run, connections wait in
	 * the backlog until the loop runs after the privilege drop. */
	srv->listeners[srv->n_listeners] = t;
	srv->listener_kind[srv->n_listeners] = kind;
	srv->listener_tls[srv->n_listeners] = tls;
	srv->n_listeners++;
	return 0;
}

int xmpp_server_bind(uv_loop_t *loop, const struct xmpp_config *cfg, struct xmpp_server **ret,
		     char *err, size_t errlen)
{
	struct xmpp_server *srv = xcalloc(1, sizeof(*srv));
	int r = 0;

	srv->loop = loop;
	srv->cfg = cfg;
	gnutls_rnd(GNUTLS_RND_KEY, srv->mock_key, sizeof(srv->mock_key));
	/* As root: the key may be readable by root alone (the upload
	 * directory is mmpd's). */
	{
		char why[512];

		if (cv_tls_creds_load(&cfg->tls, &srv->creds, why, sizeof(why)) < 0) {
			free(srv);
			return cv_fail(err, errlen, "certificate: %s", why);
		}
	}
	for (size_t i = 0; i < cfg->n_listen && r == 0; i++) {
		r = listen_on(srv, cfg->listen[i], cfg->c2s_port, XC_C2S, false, err, errlen);
		if (r == 0)
			r = listen_on(srv, cfg->listen[i], cfg->comp_port, XC_COMP, true, err,
				      errlen);
	}
	if (r == 0 && cfg->plain_port)
		r = listen_on(srv, (struct in_addr){ htonl(INADDR_LOOPBACK) }, cfg->plain_port,
			      XC_COMP, false, err, errlen);
	if (r < 0) {
		xmpp_server_shutdown(srv);
		uv_run(loop, UV_RUN_NOWAIT);
		xmpp_server_free(srv);
		return r;
	}
	*ret = srv;
	return 0;
}

int xmpp_server_start(struct xmpp_server *srv)
{
	write_status(srv); /* none yet, whatever an earlier run left */
	uv_timer_init(srv->loop, &srv->sweep);
	srv->sweep.data = srv;
	srv->sweep_on = true;
	uv_timer_start(&srv->sweep, on_sweep, 1000, 1000);
	return 0;
}

void xmpp_server_shutdown(struct xmpp_server *srv)
{
	if (!srv || srv->shutting_down)
		return;
	srv->shutting_down = true;
	for (size_t i = 0; i < srv->n_listeners; i++)
		uv_close((uv_handle_t *)srv->listeners[i], (uv_close_cb)free);
	srv->n_listeners = 0;
	if (srv->sweep_on)
		uv_close((uv_handle_t *)&srv->sweep, NULL);
	srv->sweep_on = false;
	for (struct xc *c = srv->conns, *next; c; c = next) {
		next = c->next;
		stream_error(c, XMPP_SERR_SYSTEM_SHUTDOWN, "The server is stopping");
	}
}

void xmpp_server_free(struct xmpp_server *srv)
{
	if (!srv)
		return;
	if (srv->creds)
		cv_tls_creds_unref(srv->creds);
	free(srv);
}
