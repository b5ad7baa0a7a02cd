// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The call bridge's XMPP component link on the libuv loop: settings from
 * the store, discovery through lib/resolver, TCP and TLS (certs/tls.h),
 * the XEP-0114 state machine of cb_xmpp_comp.c, the responder of
 * cb_xmpp_resp.c, reconnects with back-off. See cb_xmpp_link.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/pwhash.h"
#include "services/callbridge/cb_api.h"
#include "services/callbridge/cb_db.h"
#include "services/callbridge/cb_xmpp_comp.h"
#include "services/callbridge/cb_xmpp_link.h"
#include "services/callbridge/cb_xmpp_resp.h"
#include "services/callbridge/cb_xmpp_target.h"

/* At most this many spaces in one disco#items answer (the answer is one
 * stanza; a user in more spaces sees the first ones). */
#define SPACES_MAX 200

enum link_state { L_IDLE, L_RESOLVING, L_CONNECTING, L_CONNECTED, L_RETRYING };

static const char *const state_names[] = {
    [L_IDLE] = "idle",		 [L_RESOLVING] = "resolving", [L_CONNECTING] = "connecting",
    [L_CONNECTED] = "connected", [L_RETRYING] = "retrying",
};

struct server {
	char host[CB_XMPP_HOST_MAX + 1];
	uint16_t port;
	enum cv_dns_status status; /* of its address lookup */
	size_t naddrs;
	struct cv_dns_addr addrs[2 * CV_DNS_TARGET_ADDRS_MAX];
};

/* One connection attempt. It lives until its handles are closed; the
 * link lets go of it (l = NULL) when it starts over, so late callbacks
 * only clean up. */
struct
try {
	struct cb_xmpp_link *l;
	uv_tcp_t *tcp; /* ours until the TLS connection takes it */
	uv_connect_t req;
	struct cv_tls_conn *tls;
	bool handshaked;
	bool ended; /* the outcome is recorded: on_close only moves on */
};

struct cb_xmpp_link {
	uv_loop_t *loop;
	struct cb_api *api;
	struct cv_resolver *res;
	struct cv_tls_creds *creds;
	char creds_err[256];
	struct cb_xmpp_backoff backoff;
	uint32_t keepalive_ms, connect_timeout_ms;
	uv_timer_t timer; /* back-off, connect timeout, the stream's deadline */
	unsigned gen;	  /* bumped at every start-over: older lookups are stale */
	bool freeing;

	/* The settings, and the stream's 'to': <uniqueName>.<domain>. */
	char *name, *domain, *secret, *override;
	char component[sizeof(((struct cb_xmpp_comp *)0)->component)];

	/* This round. */
	struct server servers[CV_DNS_SRV_MAX];
	size_t nservers;
	struct cb_xmpp_rotation rot;
	size_t cur;	       /* the server being tried */
	size_t addr_i;	       /* its next address */
	struct server pending; /* the override host while its addresses are looked up */
	struct try *t;
	struct cb_xmpp_comp comp;
	bool comp_live;
	bool registered;

	/* What /system/status shows. */
	enum link_state state;
	enum cb_xmpp_reason reason;
	char detail[320];
	char server_txt[CB_XMPP_HOST_MAX + 16];
	char addr_txt[INET6_ADDRSTRLEN];
};

static void start_round(struct cb_xmpp_link *l);
static void next_server(struct cb_xmpp_link *l);
static void next_addr(struct cb_xmpp_link *l);

/* The back-off after a lost link ends: the next server in SRV order. */
static void backoff_done(uv_timer_t *h)
{
	next_server(h->data);
}

/* The back-off after a used-up round ends: discovery again. */
static void round_timer(uv_timer_t *h)
{
	start_round(h->data);
}

/* --- status -------------------------------------------------------------------- */

static void publish(struct cb_xmpp_link *l)
{
	const char *v[CB_API_XMPP_NFIELDS];
	bool show_server = l->state == L_CONNECTING || l->state == L_CONNECTED ||
			   (l->state == L_RETRYING && l->reason != CB_XMPP_R_DNS_FAILURE);

	v[CB_API_XMPP_STATE] = state_names[l->state];
	v[CB_API_XMPP_SERVER] = show_server ? l->server_txt : NULL;
	v[CB_API_XMPP_ADDRESS] = show_server ? l->addr_txt : NULL;
	v[CB_API_XMPP_REASON] = l->state == L_CONNECTED ? NULL : cb_xmpp_reason_name(l->reason);
	v[CB_API_XMPP_DETAIL] = l->state == L_CONNECTED ? NULL : l->detail;
	cb_api_set_xmpp_status(l->api, v);
}

static void set_state(struct cb_xmpp_link *l, enum link_state s)
{
	l->state = s;
	publish(l);
}

/* Records why the current try or round failed. */
static void set_reason(struct cb_xmpp_link *l, enum cb_xmpp_reason r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_reason(struct cb_xmpp_link *l, enum cb_xmpp_reason r, const char *fmt, ...)
{
	va_list ap;

	l->reason = r;
	va_start(ap, fmt);
	vsnprintf(l->detail, sizeof(l->detail), fmt, ap);
	va_end(ap);
}

static uint32_t rnd32(void)
{
	uint32_t v = 0;

	gnutls_rnd(GNUTLS_RND_NONCE, &v, sizeof(v));
	return v;
}

/* --- the settings ------------------------------------------------------------------- */

static void forget_settings(struct cb_xmpp_link *l)
{
	if (l->secret)
		gnutls_memset(l->secret, 0, strlen(l->secret));
	free(l->name);
	free(l->domain);
	free(l->secret);
	free(l->override);
	l->name = l->domain = l->secret = l->override = NULL;
}

/* A copy of the row's value of field name, or NULL when it is unset. */
static char *field_dup(const struct cb_row *row, const struct cb_obj *o, const char *name)
{
	const char *v = row->vals[cb_obj_field(o, name)];

	return v ? xstrdup(v) : NULL;
}

static int read_settings(struct cb_xmpp_link *l)
{
	struct cb_db *db = cb_api_db(l->api);
	const struct cb_obj *o = &cb_obj_xmpp;
	struct cb_row row;
	int r = db->ops->get(db, o, CB_DB_SINGLETON_ID, &row);

	forget_settings(l);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	l->name = field_dup(&row, o, "uniqueName");
	l->domain = field_dup(&row, o, "domain");
	l->secret = field_dup(&row, o, "sharedSecret");
	l->override = field_dup(&row, o, "serverAddressOverride");
	{
		int sf = cb_obj_field(o, "sharedSecret");

		if (row.vals[sf])
			gnutls_memset(row.vals[sf], 0, strlen(row.vals[sf]));
	}
	cb_row_free(&row);
	return 0;
}

/* --- the directory: users and spaces from the store ------------------------------ */

static int find_user(struct cb_xmpp_link *l, const char *jid, struct cb_row *ret)
{
	struct cb_db *db = cb_api_db(l->api);
	char id[CB_ID_LEN + 1];
	int r;

	r = db->ops->find(db, &cb_obj_users, cb_obj_field(&cb_obj_users, "userJid"), jid, id);
	if (r < 0)
		return r;
	return db->ops->get(db, &cb_obj_users, id, ret);
}

static int dir_verify(void *arg, const char *jid, const char *password)
{
	struct cb_row row;
	const char *hash;
	int r = find_user(arg, jid, &row);

	if (r < 0)
		return r;
	hash = row.vals[cb_obj_field(&cb_obj_users, "password")];
	/* The check of the API's own store (lib/pwhash.h), constant-time. */
	r = hash && cv_pw_verify(password, hash) ? 0 : -EACCES;
	cb_row_free(&row);
	return r;
}

static int dir_scram(void *arg, const char *jid, enum xmpp_sasl_mech m, char **ret)
{
	struct cb_row row;
	const char *v;
	int r = find_user(arg, jid, &row);

	if (r < 0)
		return r;
	v = row.vals[cb_obj_field(&cb_obj_users,
				  m == XMPP_SASL_SCRAM_SHA_256 ? "scramSha256" : "scramSha1")];
	/* A user whose password was set before the keys existed has none
	 * until it is set again. */
	r = v ? 0 : -ENOENT;
	if (v)
		*ret = xstrdup(v);
	cb_row_free(&row);
	return r;
}

struct seen {
	char (*ids)[CB_ID_LEN + 1];
	size_t n;
};

static bool seen_add(struct seen *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->ids[i], id) == 0)
			return false;
	if (s->n == SPACES_MAX)
		return false;
	snprintf(s->ids[s->n++], CB_ID_LEN + 1, "%s", id);
	return true;
}

/* Emits the space id (if new) with its name. */
static int emit_space(struct cb_db *db, struct seen *s, const char *id,
		      void (*emit)(void *ctx, const char *id, const char *name), void *ctx)
{
	struct cb_row sp;
	int r;

	if (!id || !seen_add(s, id))
		return 0;
	r = db->ops->get(db, &cb_obj_cospaces, id, &sp);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	emit(ctx, id, sp.vals[cb_obj_field(&cb_obj_cospaces, "name")]);
	cb_row_free(&sp);
	return 0;
}

/* The spaces of a user: memberships (coSpaces/<id>/coSpaceUsers, linked
 * by userId) and the spaces it owns (ownerId). */
static int dir_spaces(void *arg, const char *jid,
		      void (*emit)(void *ctx, const char *id, const char *name), void *ctx)
{
	struct cb_xmpp_link *l = arg;
	struct cb_db *db = cb_api_db(l->api);
	struct seen s = {.ids = xcalloc(SPACES_MAX, CB_ID_LEN + 1)};
	char uid[CB_ID_LEN + 1];
	int r;

	r = db->ops->find(db, &cb_obj_users, cb_obj_field(&cb_obj_users, "userJid"), jid, uid);
	if (r == -ENOENT) {
		r = 0;
		goto out;
	}
	if (r < 0)
		goto out;
	for (int pass = 0; pass < 2 && r == 0; pass++) {
		const struct cb_obj *o = pass ? &cb_obj_cospaces : &cb_obj_cospace_users;
		struct cb_query q;
		struct cb_rows rows;

		cb_query_init(&q);
		q.eq_field = cb_obj_field(o, pass ? "ownerId" : "userId");
		q.eq_value = uid;
		q.limit = SPACES_MAX;
		if ((r = db->ops->list(db, o, &q, &rows)) < 0)
			break;
		for (size_t i = 0; i < rows.n && r == 0; i++)
			r = emit_space(db, &s,
				       pass ? rows.rows[i].id
					    : rows.rows[i].vals[cb_obj_field(o, "coSpace")],
				       emit, ctx);
		cb_rows_free(&rows);
	}
out:
	free(s.ids);
	return r;
}

static const struct cb_xmpp_dir_ops dir_ops = {
    .verify = dir_verify,
    .scram = dir_scram,
    .spaces = dir_spaces,
};

/* --- the stream over TLS ------------------------------------------------------------ */

static uint64_t now_ms(struct cb_xmpp_link *l)
{
	return uv_now(l->loop);
}

static void on_timer(uv_timer_t *h);

/* Writes what the stream has queued and arms the timer for its next
 * deadline. */
static void pump(struct cb_xmpp_link *l)
{
	size_t n;
	const char *out;
	uint64_t dl, now = now_ms(l);

	if (!l->comp_live || !l->t || !l->t->tls)
		return;
	out = cb_xmpp_comp_out(&l->comp, &n);
	if (n) {
		if (cv_tls_write(l->t->tls, out, n) < 0)
			cb_xmpp_comp_fail(&l->comp, CB_XMPP_R_CONNECTION_LOST,
					  "cannot write to the server");
		cb_xmpp_comp_sent(&l->comp, now);
	}
	dl = cb_xmpp_comp_deadline(&l->comp);
	if (dl != UINT64_MAX)
		uv_timer_start(&l->timer, on_timer, dl > now ? dl - now : 0, 0);
	else
		uv_timer_stop(&l->timer);
}

static void on_stanza(void *arg, const char *name, const char *xml, size_t len)
{
	struct cb_xmpp_link *l = arg;
	struct cb_xmpp_resp r = {
	    .component = l->comp.component,
	    .domain = l->domain,
	    .ops = &dir_ops,
	    .arg = l,
	};
	struct strbuf out = STRBUF_INIT;

	if (cb_xmpp_resp_handle(&r, xml, len, &out) < 0)
		cv_warn("XMPP: could not read a <%s/> from the server", name);
	else if (out.len)
		cb_xmpp_comp_send(&l->comp, out.buf, out.len, now_ms(l));
	sb_free(&out);
}

/* The try failed or ended: records nothing more, closes the TLS
 * connection (flushing what is queued); on_close moves on. */
static void end_try(struct cb_xmpp_link *l)
{
	struct try *t = l->t;

	if (!t)
		return;
	t->ended = true;
	uv_timer_stop(&l->timer);
	if (t->tls)
		cv_tls_close(t->tls);
}

/* After the stream has been fed or ticked: registration, failure. */
static void after_stream(struct cb_xmpp_link *l)
{
	struct cb_xmpp_comp *c = &l->comp;

	if (c->state == CB_XMPP_CONNECTED && !l->registered) {
		l->registered = true;
		cb_xmpp_rot_up(&l->rot);
		l->reason = CB_XMPP_R_NONE;
		l->detail[0] = '\0';
		set_state(l, L_CONNECTED);
		cv_info("XMPP: registered with %s (%s) as %s", l->server_txt, l->addr_txt,
			c->component);
	}
	if (c->state == CB_XMPP_FAILED || c->state == CB_XMPP_CLOSED) {
		if (c->condition[0] && c->text[0])
			set_reason(l, c->reason, "%s: %s", c->condition, c->text);
		else
			set_reason(l, c->reason, "%s", c->condition[0] ? c->condition : c->text);
		pump(l); /* our closing tag */
		end_try(l);
		return;
	}
	pump(l);
}

static void on_timer(uv_timer_t *h)
{
	struct cb_xmpp_link *l = h->data;

	if (!l->comp_live)
		return;
	cb_xmpp_comp_tick(&l->comp, now_ms(l));
	after_stream(l);
}

static void tls_handshake(struct cv_tls_conn *c, int status, void *arg)
{
	struct try *t = arg;
	struct cb_xmpp_link *l = t->l;
	struct cb_xmpp_comp_cfg cc;

	if (!l)
		return;
	if (status < 0) {
		/* The connection closes by itself; on_close moves on. */
		set_reason(l, CB_XMPP_R_TLS_FAILURE, "%s", cv_tls_conn_error(c));
		t->ended = true;
		return;
	}
	t->handshaked = true;
	memset(&cc, 0, sizeof(cc));
	cc.unique_name = l->name;
	cc.domain = l->domain;
	cc.secret = l->secret;
	cc.keepalive_ms = l->keepalive_ms;
	cc.handshake_ms = l->connect_timeout_ms;
	cc.on_stanza = on_stanza;
	cc.arg = l;
	if (cb_xmpp_comp_init(&l->comp, &cc) < 0) {
		/* Checked when the settings were read: cannot happen. */
		set_reason(l, CB_XMPP_R_NOT_CONFIGURED, "%s", l->comp.text);
		cb_xmpp_comp_free(&l->comp);
		end_try(l);
		return;
	}
	l->comp_live = true;
	cb_xmpp_comp_start(&l->comp, now_ms(l));
	pump(l);
}

static void tls_read(struct cv_tls_conn *c, const uint8_t *buf, size_t len, void *arg)
{
	struct try *t = arg;
	struct cb_xmpp_link *l = t->l;

	(void)c;
	if (!l || !l->comp_live || t->ended)
		return;
	cb_xmpp_comp_feed(&l->comp, buf, len, now_ms(l));
	after_stream(l);
}

/* The try is over (its connection closed): on to the next candidate, or
 * the back-off after a lost link. */
static void try_over(struct cb_xmpp_link *l)
{
	bool was_registered = l->registered;
	bool tls_or_later;

	if (l->comp_live) {
		cb_xmpp_comp_free(&l->comp);
		l->comp_live = false;
	}
	l->registered = false;
	uv_timer_stop(&l->timer);
	if (l->freeing)
		return;
	if (was_registered) {
		uint32_t d = cb_xmpp_backoff_ms(&l->backoff, l->rot.failed_rounds, rnd32());

		cb_xmpp_rot_lost(&l->rot);
		if (l->reason == CB_XMPP_R_NONE)
			set_reason(l, CB_XMPP_R_CONNECTION_LOST, "the connection closed");
		cv_warn("XMPP: connection to %s lost (%s), reconnecting in %u s", l->server_txt,
			l->detail, (d + 999) / 1000);
		set_state(l, L_RETRYING);
		uv_timer_start(&l->timer, backoff_done, d, 0);
		return;
	}
	switch (l->reason) {
	case CB_XMPP_R_TLS_FAILURE:
		cv_warn("XMPP: TLS failure with %s (%s): %s", l->server_txt, l->addr_txt,
			l->detail);
		break;
	case CB_XMPP_R_AUTH_FAILURE:
		cv_warn("XMPP: authentication failure with %s as %s: %s", l->server_txt,
			l->component, l->detail);
		break;
	default:
		cv_warn("XMPP: %s with %s (%s): %s", cb_xmpp_reason_text(l->reason), l->server_txt,
			l->addr_txt, l->detail);
	}
	/* A refused connection may be one address of several; a server that
	 * answered and then failed is done with. */
	tls_or_later = l->reason != CB_XMPP_R_CONNECT_FAILURE;
	if (tls_or_later)
		next_server(l);
	else
		next_addr(l);
}

static void tls_close(struct cv_tls_conn *c, int status, void *arg)
{
	struct try *t = arg;
	struct cb_xmpp_link *l = t->l;

	(void)status;
	t->tls = NULL;
	if (l) {
		l->t = NULL;
		if (!t->ended) {
			/* Closed by the server or the transport. */
			if (!t->handshaked)
				set_reason(l, CB_XMPP_R_TLS_FAILURE, "%s",
					   cv_tls_conn_error(c)[0]
					       ? cv_tls_conn_error(c)
					       : "the connection closed during the TLS handshake");
			else if (l->comp_live && l->comp.state == CB_XMPP_CONNECTED)
				set_reason(l, CB_XMPP_R_CONNECTION_LOST,
					   "the server closed the connection");
			else
				set_reason(l, CB_XMPP_R_CONNECTION_LOST,
					   "the server closed the connection before registration");
		}
		try_over(l);
	}
	free(t);
}

static const struct cv_tls_conn_ops tls_ops = {
    .on_handshake = tls_handshake,
    .on_read = tls_read,
    .on_close = tls_close,
};

/* --- TCP ----------------------------------------------------------------------------- */

static void tcp_closed(uv_handle_t *h)
{
	struct try *t = h->data;
	struct cb_xmpp_link *l = t->l;

	free(h);
	if (l) {
		l->t = NULL;
		try_over(l);
	}
	free(t);
}

static void on_connect(uv_connect_t *req, int status)
{
	struct try *t = req->data;
	struct cb_xmpp_link *l = t->l;
	const char *sni;
	int r;

	if (!l || status < 0 || t->ended) {
		if (l && !t->ended)
			set_reason(l, CB_XMPP_R_CONNECT_FAILURE, "%s", uv_strerror(status));
		t->ended = true;
		if (!uv_is_closing((uv_handle_t *)t->tcp))
			uv_close((uv_handle_t *)t->tcp, tcp_closed);
		return;
	}
	uv_timer_stop(&l->timer);
	if (!l->creds) {
		set_reason(l, CB_XMPP_R_TLS_FAILURE, "%s", l->creds_err);
		t->ended = true;
		uv_close((uv_handle_t *)t->tcp, tcp_closed);
		return;
	}
	/* SNI and the SAN check use the name dialled (RFC 6066 3: no IP
	 * literal in SNI; cv_tls_conn_new leaves it out and checks the
	 * certificate's IP SANs then). */
	sni = l->servers[l->cur].host;
	r = cv_tls_conn_new(t->tcp, l->creds, false, sni, &tls_ops, t, &t->tls);
	t->tcp = NULL; /* the TLS connection's now, or closed and freed */
	if (r < 0) {
		set_reason(l, CB_XMPP_R_TLS_FAILURE, "cannot start TLS: %s", strerror(-r));
		l->t = NULL;
		free(t);
		try_over(l);
	}
}

static void connect_timeout(uv_timer_t *h)
{
	struct cb_xmpp_link *l = h->data;
	struct try *t = l->t;

	if (!t || !t->tcp || t->ended)
		return;
	set_reason(l, CB_XMPP_R_CONNECT_FAILURE, "no answer in %u s",
		   (l->connect_timeout_ms + 999) / 1000);
	t->ended = true;
	/* Closing cancels the connect request (its callback runs with
	 * UV_ECANCELED) and tcp_closed moves on. */
	uv_close((uv_handle_t *)t->tcp, tcp_closed);
}

static void addr_text(const struct cv_dns_addr *a, char *buf, size_t len)
{
	inet_ntop(a->family, a->family == AF_INET ? (const void *)&a->u.v4 : (const void *)&a->u.v6,
		  buf, (socklen_t)len);
}

static void dial(struct cb_xmpp_link *l, const struct server *s, const struct cv_dns_addr *a)
{
	struct sockaddr_storage ss;
	struct try *t;
	int r;

	memset(&ss, 0, sizeof(ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = a->u.v4;
		sin->sin_port = htons(s->port);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = a->u.v6;
		sin6->sin6_port = htons(s->port);
	}
	if (strchr(s->host, ':'))
		snprintf(l->server_txt, sizeof(l->server_txt), "[%s]:%u", s->host, s->port);
	else
		snprintf(l->server_txt, sizeof(l->server_txt), "%s:%u", s->host, s->port);
	addr_text(a, l->addr_txt, sizeof(l->addr_txt));
	l->reason = CB_XMPP_R_NONE;
	l->detail[0] = '\0';
	set_state(l, L_CONNECTING);
	cv_info("XMPP: connecting to %s (%s)", l->server_txt, l->addr_txt);

	t = xcalloc(1, sizeof(*t));
	t->l = l;
	t->tcp = xmalloc(sizeof(*t->tcp));
	uv_tcp_init(l->loop, t->tcp);
	t->tcp->data = t;
	t->req.data = t;
	l->t = t;
	r = uv_tcp_connect(&t->req, t->tcp, (struct sockaddr *)&ss, on_connect);
	if (r < 0) {
		set_reason(l, CB_XMPP_R_CONNECT_FAILURE, "%s", uv_strerror(r));
		t->ended = true;
		uv_close((uv_handle_t *)t->tcp, tcp_closed);
		return;
	}
	uv_timer_start(&l->timer, connect_timeout, l->connect_timeout_ms, 0);
}

/* --- discovery and rotation ------------------------------------------------------------ */

/* The round is used up (or discovery failed): wait and start over. */
static void round_failed(struct cb_xmpp_link *l)
{
	uint32_t d = cb_xmpp_backoff_ms(
	    &l->backoff, l->rot.failed_rounds ? l->rot.failed_rounds - 1 : 0, rnd32());

	set_state(l, L_RETRYING);
	cv_info("XMPP: no server left to try (%s: %s), trying again in %u s",
		cb_xmpp_reason_text(l->reason), l->detail, (d + 999) / 1000);
	uv_timer_start(&l->timer, round_timer, d, 0);
}

static void next_addr(struct cb_xmpp_link *l)
{
	struct server *s = &l->servers[l->cur];

	if (l->addr_i >= s->naddrs) {
		if (s->naddrs == 0) {
			set_reason(l, CB_XMPP_R_DNS_FAILURE, "no address for %s: %s", s->host,
				   cv_dns_status_str(s->status));
			cv_warn("XMPP: no address for %s (%s)", s->host,
				cv_dns_status_str(s->status));
		}
		next_server(l);
		return;
	}
	dial(l, s, &s->addrs[l->addr_i++]);
}

static void next_server(struct cb_xmpp_link *l)
{
	size_t i;

	/* The back-off timer lands here too (after a lost link). */
	if (cb_xmpp_rot_take(&l->rot, &i) < 0) {
		round_failed(l);
		return;
	}
	l->cur = i;
	l->addr_i = 0;
	next_addr(l);
}

struct lookup {
	struct cb_xmpp_link *l;
	unsigned gen;
	enum cv_dns_type type;
};

static void begin_servers(struct cb_xmpp_link *l)
{
	cb_xmpp_rot_start(&l->rot, l->nservers);
	next_server(l);
}

static void on_lookup(void *opaque, const struct cv_dns_result *res)
{
	struct lookup *lk = opaque;
	struct cb_xmpp_link *l = lk->l;
	unsigned gen = lk->gen;
	enum cv_dns_type type = lk->type;

	free(lk);
	if (res->status == CV_DNS_CANCELLED || l->freeing || gen != l->gen)
		return;
	if (type == CV_DNS_SRV) {
		if (res->status != CV_DNS_OK || res->nsrv == 0) {
			if (res->status == CV_DNS_NXDOMAIN || res->status == CV_DNS_NODATA ||
			    res->status == CV_DNS_OK)
				set_reason(l, CB_XMPP_R_DNS_FAILURE, "no SRV record for %s",
					   res->name);
			else if (res->status == CV_DNS_NOSERVICE)
				set_reason(l, CB_XMPP_R_DNS_FAILURE,
					   "%s says there is no such service", res->name);
			else
				set_reason(l, CB_XMPP_R_DNS_FAILURE, "SRV lookup of %s: %s",
					   res->name, cv_dns_status_str(res->status));
			cv_warn("XMPP: %s", l->detail);
			l->rot.failed_rounds++;
			round_failed(l);
			return;
		}
		l->nservers = 0;
		for (size_t i = 0; i < res->nsrv && l->nservers < CV_DNS_SRV_MAX; i++) {
			const struct cv_dns_srv *r = &res->srv[i];
			struct server *s = &l->servers[l->nservers];

			if (strlen(r->target) > CB_XMPP_HOST_MAX || r->port == 0)
				continue;
			memset(s, 0, sizeof(*s));
			snprintf(s->host, sizeof(s->host), "%s", r->target);
			s->port = r->port;
			s->status = r->status;
			s->naddrs = r->naddrs;
			memcpy(s->addrs, r->addrs, r->naddrs * sizeof(r->addrs[0]));
			l->nservers++;
			cv_info("XMPP: SRV %s: %s port %u, priority %u, weight %u, %zu address%s",
				res->name, s->host, s->port, r->priority, r->weight, s->naddrs,
				s->naddrs == 1 ? "" : "es");
		}
		begin_servers(l);
		return;
	}
	/* The override's host: A, then AAAA (IPv4 first, as the resolver
	 * orders an SRV target's addresses). */
	{
		struct server *s = &l->pending;

		for (size_t i = 0;
		     i < res->naddrs && s->naddrs < sizeof(s->addrs) / sizeof(s->addrs[0]); i++)
			s->addrs[s->naddrs++] = res->addrs[i];
		/* The A lookup's outcome, unless it only found no A record. */
		if (type == CV_DNS_A || s->status == CV_DNS_NODATA)
			s->status = res->status;
		if (type == CV_DNS_A) {
			struct lookup *n = xcalloc(1, sizeof(*n));

			n->l = l;
			n->gen = l->gen;
			n->type = CV_DNS_AAAA;
			if (cv_resolve(l->res, CV_DNS_AAAA, s->host, 0, on_lookup, n) == 0)
				return;
			free(n);
		}
		if (s->naddrs)
			s->status = CV_DNS_OK;
		l->servers[0] = *s;
		l->nservers = 1;
		begin_servers(l);
	}
}

static void start_round(struct cb_xmpp_link *l)
{
	struct cb_xmpp_target t;
	struct lookup *lk;
	char why[160], srv[CB_XMPP_HOST_MAX + 32];
	int r;

	l->gen++;
	l->reason = CB_XMPP_R_NONE;
	l->detail[0] = '\0';
	set_state(l, L_RESOLVING);
	lk = xcalloc(1, sizeof(*lk));
	lk->l = l;
	lk->gen = l->gen;
	if (l->override && *l->override) {
		struct server *s = &l->pending;
		struct in_addr a4;
		struct in6_addr a6;

		/* Checked by the API and by load_settings(). */
		cb_xmpp_override_parse(l->override, &t, why, sizeof(why));
		memset(s, 0, sizeof(*s));
		snprintf(s->host, sizeof(s->host), "%s", t.host);
		s->port = t.port;
		if (inet_pton(AF_INET, t.host, &a4) == 1 || inet_pton(AF_INET6, t.host, &a6) == 1) {
			s->naddrs = 1;
			s->addrs[0].family = strchr(t.host, ':') ? AF_INET6 : AF_INET;
			if (s->addrs[0].family == AF_INET)
				s->addrs[0].u.v4 = a4;
			else
				s->addrs[0].u.v6 = a6;
			free(lk);
			l->servers[0] = *s;
			l->nservers = 1;
			begin_servers(l);
			return;
		}
		s->status = CV_DNS_OK;
		lk->type = CV_DNS_A;
		r = cv_resolve(l->res, CV_DNS_A, s->host, 0, on_lookup, lk);
	} else {
		cb_xmpp_srv_name(l->domain, srv, sizeof(srv));
		lk->type = CV_DNS_SRV;
		r = cv_resolve(l->res, CV_DNS_SRV, srv, CV_DNS_F_ADDR4 | CV_DNS_F_ADDR6, on_lookup,
			       lk);
	}
	if (r < 0) {
		free(lk);
		set_reason(l, CB_XMPP_R_DNS_FAILURE, "cannot start the lookup: %s", strerror(-r));
		l->rot.failed_rounds++;
		round_failed(l);
	}
}

/* --- start, stop ------------------------------------------------------------------------- */

/* Lets go of the current try, lookups and timers. */
static void stop(struct cb_xmpp_link *l)
{
	l->gen++;
	uv_timer_stop(&l->timer);
	if (l->t) {
		struct try *t = l->t;

		t->l = NULL;
		l->t = NULL;
		if (t->tls && l->freeing) {
			/* The program is exiting and walks its loop next:
			 * no polite close that would outlive it. */
			cv_tls_abort(t->tls);
		} else if (t->tls) {
			/* End the stream politely, then close. */
			if (l->comp_live && (l->comp.state == CB_XMPP_CONNECTED ||
					     l->comp.state == CB_XMPP_AWAIT_HANDSHAKE ||
					     l->comp.state == CB_XMPP_AWAIT_HEADER)) {
				size_t n;
				const char *out;

				cb_xmpp_comp_close(&l->comp);
				out = cb_xmpp_comp_out(&l->comp, &n);
				if (n)
					cv_tls_write(t->tls, out, n);
			}
			cv_tls_close(t->tls);
		} else if (t->tcp && !uv_is_closing((uv_handle_t *)t->tcp)) {
			uv_close((uv_handle_t *)t->tcp, tcp_closed);
		}
	}
	if (l->comp_live) {
		cb_xmpp_comp_free(&l->comp);
		l->comp_live = false;
	}
	l->registered = false;
}

void cb_xmpp_link_reload(struct cb_xmpp_link *l)
{
	struct cb_xmpp_comp probe;
	struct cb_xmpp_comp_cfg cc = {0};
	struct cb_xmpp_target t;
	char why[160];
	bool was = l->state == L_CONNECTED;
	int r;

	if (was)
		cv_info("XMPP: settings changed, leaving %s", l->server_txt);
	stop(l);
	memset(&l->rot, 0, sizeof(l->rot));
	l->server_txt[0] = l->addr_txt[0] = '\0';
	r = read_settings(l);
	if (r < 0) {
		set_reason(l, CB_XMPP_R_NOT_CONFIGURED, "cannot read the settings: %s",
			   strerror(-r));
		set_state(l, L_IDLE);
		cv_warn("XMPP: %s", l->detail);
		return;
	}
	/* The component client's own checks say what is missing. */
	cc.unique_name = l->name;
	cc.domain = l->domain;
	cc.secret = l->secret;
	r = cb_xmpp_comp_init(&probe, &cc);
	if (r == 0 && l->override && *l->override &&
	    cb_xmpp_override_parse(l->override, &t, why, sizeof(why)) < 0) {
		snprintf(probe.text, sizeof(probe.text), "serverAddressOverride: %s", why);
		r = -EINVAL;
	}
	if (r < 0) {
		set_reason(l, CB_XMPP_R_NOT_CONFIGURED, "%s", probe.text);
		set_state(l, L_IDLE);
		cv_info("XMPP: not configured (%s)", l->detail);
	} else if (l->override && *l->override) {
		cv_info("XMPP: component %s, server %s (serverAddressOverride)", probe.component,
			l->override);
	} else {
		cv_info("XMPP: component %s, servers from SRV " CB_XMPP_SRV_PREFIX "%s",
			probe.component, l->domain);
	}
	snprintf(l->component, sizeof(l->component), "%s", r == 0 ? probe.component : "");
	cb_xmpp_comp_free(&probe);
	if (r == 0)
		start_round(l);
}

static void on_change(void *arg)
{
	cb_xmpp_link_reload(arg);
}

int cb_xmpp_link_new(const struct cb_xmpp_link_cfg *cfg, struct cb_xmpp_link **ret)
{
	struct cb_xmpp_link *l = xcalloc(1, sizeof(*l));
	int r;

	l->loop = cfg->loop;
	l->api = cfg->api;
	r = cv_resolver_new(cfg->loop, cfg->dns, &l->res);
	if (r < 0) {
		free(l);
		return r;
	}
	l->creds = cfg->creds ? cv_tls_creds_ref(cfg->creds) : NULL;
	snprintf(l->creds_err, sizeof(l->creds_err), "%s",
		 cfg->creds_error ? cfg->creds_error : "no TLS credentials");
	l->backoff.base_ms = cfg->backoff_base_ms;
	l->backoff.cap_ms = cfg->backoff_cap_ms;
	l->keepalive_ms = cfg->keepalive_ms ? cfg->keepalive_ms : 60000;
	l->connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms : 10000;
	uv_timer_init(cfg->loop, &l->timer);
	l->timer.data = l;
	cb_api_on_xmpp_change(cfg->api, on_change, l);
	cb_xmpp_link_reload(l);
	*ret = l;
	return 0;
}

static void link_closed(uv_handle_t *h)
{
	free(h->data);
}

void cb_xmpp_link_free(struct cb_xmpp_link *l)
{
	if (!l)
		return;
	cb_api_on_xmpp_change(l->api, NULL, NULL);
	l->freeing = true;
	stop(l);
	cv_resolver_free(l->res);
	cv_tls_creds_unref(l->creds);
	forget_settings(l);
	uv_close((uv_handle_t *)&l->timer, link_closed);
}
