// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TURN server core: see turn_proto.h. Section numbers are RFC 8656
 * (TURN) unless they say RFC 8489 (STUN).
 *
 * Decisions:
 *  - Authentication (RFC 8489 section 9.2) is turn_auth.c's: every request
 *    but Binding needs the long-term credential mechanism.
 *  - 401 and 438 carry REALM, NONCE and PASSWORD-ALGORITHMS (MD5, SHA-256).
 *    Responses carry the integrity attribute the request used.
 *  - Unauthenticated answers (Binding, 400, 401, 420, 438) are rate-limited
 *    per source IP (token bucket in a fixed table: bounded memory under spoofed
 *    floods); over the limit they are dropped. They carry no reason phrase.
 *    Over UDP every answer to an unauthenticated request (Binding
 *    included) is at most three times the request's size (QUIC's
 *    anti-amplification rule): optional attributes go first (SOFTWARE,
 *    PASSWORD-ALGORITHMS with the nonce cookie), then the answer itself.
 *    Responses carry FINGERPRINT when the request did.
 *  - Lifetimes: Allocate and Refresh take the requested LIFETIME clamped to
 *    [600, 3600] s (600 when absent); Refresh with 0 deletes the allocation
 *    at once (section 8), so a later request on the 5-tuple gets 437 and a
 *    new Allocate succeeds.
 *  - Quotas: per user (the name after "<expiry>:" for time-limited users)
 *    486; in all, or no relay port left, 508. Permissions and channels per
 *    allocation are capped too (508).
 *  - Peers are checked against the policy (turn_policy.c) at
 *    CreatePermission, ChannelBind and Connect; data is relayed only for
 *    permissions, which only exist for permitted peers. The one own address
 *    a client may reach is another live allocation's relayed transport
 *    address (relayed_peer); a permission for an own address lets data
 *    through only to such an address, checked per datagram.
 *  - A retransmitted Allocate (same transaction ID on the 5-tuple of the
 *    allocation it made) gets the stored success response again (RFC 8489
 *    section 6.3.1); other requests are idempotent or, for Refresh(0),
 *    answered 437 on retransmission, which section 8 allows.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "services/turn/turn_auth.h"
#include "services/turn/turn_proto.h"

/* --- the allocation table ----------------------------------------------------------------- */

static size_t conn_hash(const struct turn_core *c, const struct turn_conn *k)
{
	uint64_t h = turn_hash_bytes(&k->client, sizeof(k->client));

	h ^= turn_hash_bytes(&k->local, sizeof(k->local)) * 31 + k->transport;
	return h & (c->tab_size - 1);
}

static bool conn_equal(const struct turn_conn *a, const struct turn_conn *b)
{
	return a->transport == b->transport && !memcmp(&a->client, &b->client, sizeof(a->client)) &&
	       !memcmp(&a->local, &b->local, sizeof(a->local)) &&
	       (a->transport == TURN_UDP || a->io == b->io);
}

struct turn_alloc *turn_core_find(struct turn_core *c, const struct turn_conn *conn)
{
	for (struct turn_alloc *a = c->tab[conn_hash(c, conn)]; a; a = a->hnext)
		if (conn_equal(&a->conn, conn))
			return a;
	return NULL;
}

static void tab_grow(struct turn_core *c)
{
	size_t old = c->tab_size;
	struct turn_alloc **ot = c->tab;

	c->tab_size = old * 2;
	c->tab = xcalloc(c->tab_size, sizeof(*c->tab));
	for (size_t i = 0; i < old; i++) {
		struct turn_alloc *a = ot[i], *n;

		for (; a; a = n) {
			size_t h = conn_hash(c, &a->conn);

			n = a->hnext;
			a->hnext = c->tab[h];
			c->tab[h] = a;
		}
	}
	free(ot);
}

static void alloc_link(struct turn_core *c, struct turn_alloc *a)
{
	size_t h;

	if (c->n_allocs + 1 > c->tab_size)
		tab_grow(c);
	h = conn_hash(c, &a->conn);
	a->hnext = c->tab[h];
	c->tab[h] = a;
	a->next = c->list;
	a->prev = NULL;
	if (c->list)
		c->list->prev = a;
	c->list = a;
	c->n_allocs++;
}

/* --- RFC 6062 connections ------------------------------------------------------------------ */

static struct turn_tcp *tcp_find(struct turn_core *c, uint32_t id)
{
	for (struct turn_tcp *t = c->tcp_tab[id & 255]; t; t = t->hnext)
		if (t->id == id)
			return t;
	return NULL;
}

static struct turn_tcp *tcp_new(struct turn_core *c, struct turn_alloc *a,
				const struct stun_addr *peer, uint8_t state)
{
	struct turn_tcp *t = xcalloc(1, sizeof(*t));

	/* Unpredictable enough (a salt), unique per core (a counter). */
	do {
		c->tcp_next_id++;
		t->id = c->tcp_next_id ^ ((uint32_t)c->tid_salt[0] << 24 | c->tid_salt[1] << 16);
	} while (!t->id || tcp_find(c, t->id));
	t->a = a;
	t->peer = *peer;
	t->state = state;
	t->deadline_ms = c->now_ms + TURN_TCP_TIMEOUT_MS;
	t->next = a->tcps;
	a->tcps = t;
	a->n_tcps++;
	t->hnext = c->tcp_tab[t->id & 255];
	c->tcp_tab[t->id & 255] = t;
	return t;
}

static void tcp_free(struct turn_core *c, struct turn_tcp *t)
{
	struct turn_alloc *a = t->a;

	for (struct turn_tcp **pp = &a->tcps; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			a->n_tcps--;
			break;
		}
	}
	for (struct turn_tcp **pp = &c->tcp_tab[t->id & 255]; *pp; pp = &(*pp)->hnext) {
		if (*pp == t) {
			*pp = t->hnext;
			break;
		}
	}
	memset(t->key, 0, sizeof(t->key));
	free(t);
}

static void alloc_free(struct turn_core *c, struct turn_alloc *a)
{
	struct turn_alloc **pp = &c->tab[conn_hash(c, &a->conn)];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == a) {
			*pp = a->hnext;
			break;
		}
	}
	if (a->prev)
		a->prev->next = a->next;
	else
		c->list = a->next;
	if (a->next)
		a->next->prev = a->prev;
	c->n_allocs--;
	while (a->tcps) {
		c->ops->tcp_close(c->io, a->tcps);
		tcp_free(c, a->tcps);
	}
	if (!a->tcp)
		turn_relayed_set(c->shared, &a->relay, false);
	if (a->relay_io)
		c->ops->relay_close(c->io, a);
	turn_quota_give(c->shared, a->user);
	free(a->username);
	free(a->alloc_resp);
	free(a->perms);
	free(a->chans);
	free(a);
}

void turn_core_init(struct turn_core *c, const struct turn_config *cfg,
		    struct turn_shared *shared, const struct turn_io_ops *ops, void *io,
		    uint16_t port_lo, uint16_t port_hi)
{
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->shared = shared;
	c->ops = ops;
	c->io = io;
	c->tab_size = 256;
	c->tab = xcalloc(c->tab_size, sizeof(*c->tab));
	c->port_lo = port_lo;
	c->port_hi = port_hi;
	c->port_next = port_lo;
	gnutls_rnd(GNUTLS_RND_NONCE, c->tid_salt, sizeof(c->tid_salt));
}

void turn_core_free(struct turn_core *c)
{
	while (c->list)
		alloc_free(c, c->list);
	free(c->tab);
	c->tab = NULL;
}

/* --- permissions and channels ------------------------------------------------------------ */

static struct turn_perm *perm_find(struct turn_alloc *a, const struct stun_addr *peer,
				   uint64_t now)
{
	for (unsigned i = 0; i < a->n_perms; i++)
		if (a->perms[i].expires > now && stun_addr_equal(&a->perms[i].peer, peer, false))
			return &a->perms[i];
	return NULL;
}

static struct turn_chan *chan_by_num(struct turn_alloc *a, uint16_t num, uint64_t now)
{
	for (unsigned i = 0; i < a->n_chans; i++)
		if (a->chans[i].num == num && a->chans[i].expires > now)
			return &a->chans[i];
	return NULL;
}

static struct turn_chan *chan_by_peer(struct turn_alloc *a, const struct stun_addr *peer,
				      uint64_t now)
{
	for (unsigned i = 0; i < a->n_chans; i++)
		if (a->chans[i].expires > now && stun_addr_equal(&a->chans[i].peer, peer, true))
			return &a->chans[i];
	return NULL;
}

/* Drops expired entries (the arrays stay small: capped by the config). */
static void prune(struct turn_alloc *a, uint64_t now)
{
	unsigned j = 0;

	for (unsigned i = 0; i < a->n_perms; i++)
		if (a->perms[i].expires > now)
			a->perms[j++] = a->perms[i];
	a->n_perms = (uint16_t)j;
	j = 0;
	for (unsigned i = 0; i < a->n_chans; i++)
		if (a->chans[i].expires > now)
			a->chans[j++] = a->chans[i];
	a->n_chans = (uint16_t)j;
}

/* Installs or refreshes a permission; false when the cap is reached. own:
 * the peer is one of our own addresses (turn_policy_check). */
static bool perm_install(struct turn_core *c, struct turn_alloc *a, const struct stun_addr *peer,
			 bool own)
{
	uint64_t exp = c->now_ms + TURN_PERMISSION_LIFETIME * 1000ull;
	struct turn_perm *p = perm_find(a, peer, c->now_ms);

	if (p) {
		p->expires = exp;
		return true;
	}
	prune(a, c->now_ms);
	if (a->n_perms >= c->cfg->max_permissions)
		return false;
	if (a->n_perms == a->cap_perms) {
		a->cap_perms = a->cap_perms ? a->cap_perms * 2 : 4;
		a->perms = xrealloc(a->perms, a->cap_perms * sizeof(*a->perms));
	}
	p = &a->perms[a->n_perms++];
	p->peer = *peer;
	p->peer.port = 0;
	p->expires = exp;
	p->own = own;
	return true;
}

/* --- rate limit of unauthenticated answers ------------------------------------------------- */

static bool rl_allow(struct turn_core *c, const struct stun_addr *src)
{
	if (turn_rl_allow(c->rl, c->cfg->challenge_rate, c->now_ms, src))
		return true;
	c->stats.challenges_dropped++;
	return false;
}

/* --- responses ------------------------------------------------------------------------------ */

struct reply {
	struct stun_builder b;
	const struct stun_msg *req;
	const uint8_t *key;
	size_t keylen;
	bool sha256;
	size_t budget; /* the most bytes the answer may have; 0: no limit */
};

#define SOFTWARE "Convene " CONVENE_VERSION
#define ATTR_LEN(n) (4 + (((n) + 3) & ~(size_t)3))

static void reply_begin(struct turn_core *c, struct reply *r, const struct stun_msg *req,
			uint16_t cls)
{
	memset(r, 0, sizeof(*r));
	r->req = req;
	stun_begin(&r->b, c->out, sizeof(c->out), req->method, cls, req->tid);
}

/*
 * The size limit of an answer to an unauthenticated request: three times
 * the request, QUIC's anti-amplification rule (RFC 9000 section 8.1) for
 * an address that has not been validated. Over UDP a spoofed source would
 * otherwise turn the relay into an amplifier (spec/turn.md 8.6; coturn
 * PR #1588). TCP and TLS have validated the address by their handshake,
 * which is when QUIC lifts the limit too: no limit there.
 */
static void reply_unauthenticated(struct reply *r, const struct turn_conn *conn)
{
	r->budget = conn->transport == TURN_UDP ? 3 * r->req->len : 0;
}

/* Whether n more bytes (and the FINGERPRINT still to come) fit. */
static bool reply_fits(const struct reply *r, size_t n)
{
	return !r->budget || r->b.len + n + (r->req->fp_at ? 8 : 0) <= r->budget;
}

/* Adds SOFTWARE (when configured and within the budget), the integrity of
 * the request's kind under its key (when authenticated), FINGERPRINT (when
 * the request had one), and sends, unless the answer is over its budget. */
static void reply_send(struct turn_core *c, struct reply *r, const struct turn_conn *conn)
{
	size_t n;

	if (c->cfg->software && reply_fits(r, ATTR_LEN(strlen(SOFTWARE))))
		stun_put(&r->b, STUN_A_SOFTWARE, SOFTWARE, strlen(SOFTWARE));
	if (r->key) {
		if (r->sha256)
			stun_put_integrity_sha256(&r->b, r->key, r->keylen);
		else
			stun_put_integrity(&r->b, r->key, r->keylen);
	}
	if (r->req->fp_at)
		stun_put_fingerprint(&r->b);
	n = stun_end(&r->b);
	if (n && r->budget && n > r->budget) {
		c->stats.unanswered++;
		return;
	}
	if (n)
		c->ops->send_client(c->io, conn, c->out, n);
}

/* An error answer before authentication: rate-limited, no integrity. */
static void send_error(struct turn_core *c, const struct turn_conn *conn,
		       const struct stun_msg *req, int code)
{
	struct reply r;

	if (req->cls != STUN_REQUEST)
		return;
	if (!rl_allow(c, &conn->client))
		return;
	reply_begin(c, &r, req, STUN_ERROR);
	reply_unauthenticated(&r, conn);
	stun_put_error(&r.b, code, NULL);
	if (code == 420) {
		uint8_t v[2 * STUN_MAX_UNKNOWN];

		for (unsigned i = 0; i < req->n_unknown; i++) {
			v[2 * i] = (uint8_t)(req->unknown[i] >> 8);
			v[2 * i + 1] = (uint8_t)req->unknown[i];
		}
		stun_put(&r.b, STUN_A_UNKNOWN_ATTRIBUTES, v, 2 * req->n_unknown);
	}
	reply_send(c, &r, conn);
}

/*
 * 401 or 438: the realm, a fresh nonce and our password algorithms. When
 * that would be over the budget, the optional part goes: PASSWORD-ALGORITHMS
 * and with it the nonce cookie (the client then uses MD5, as RFC 5389
 * clients do). REALM and NONCE are what the client needs; when even they do
 * not fit (a tiny request, a long realm), there is no answer.
 */
static void send_challenge(struct turn_core *c, const struct turn_conn *conn,
			   const struct stun_msg *req, int code)
{
	char nonce[TURN_NONCE_LEN + 1];
	size_t realm_len = strlen(c->cfg->realm), n;
	struct reply r;
	bool algs;

	if (!rl_allow(c, &conn->client))
		return;
	c->stats.challenges++;
	reply_begin(c, &r, req, STUN_ERROR);
	reply_unauthenticated(&r, conn);
	stun_put_error(&r.b, code, NULL);
	stun_put(&r.b, STUN_A_REALM, c->cfg->realm, realm_len);
	algs = reply_fits(&r, ATTR_LEN(TURN_NONCE_LEN) + ATTR_LEN(sizeof(turn_pwalgs)));
	n = turn_nonce_make(c->cfg, &conn->client, c->now_ms / 1000, algs, nonce);
	stun_put(&r.b, STUN_A_NONCE, nonce, n);
	if (algs)
		stun_put(&r.b, STUN_A_PASSWORD_ALGORITHMS, turn_pwalgs, sizeof(turn_pwalgs));
	reply_send(c, &r, conn);
}

/* An error answer after authentication: signed. */
static void send_auth_error(struct turn_core *c, const struct turn_conn *conn, struct reply *r,
			    int code)
{
	const uint8_t *key = r->key;
	size_t keylen = r->keylen;
	bool sha = r->sha256;

	reply_begin(c, r, r->req, STUN_ERROR);
	r->key = key;
	r->keylen = keylen;
	r->sha256 = sha;
	stun_put_error(&r->b, code, NULL);
	reply_send(c, r, conn);
}

/* --- requests ------------------------------------------------------------------------------ */

static uint32_t clamp_lifetime(const struct stun_msg *m, bool *ret_zero)
{
	uint32_t v;

	*ret_zero = false;
	if (stun_attr_u32(m, SA_LIFETIME, &v) < 0)
		return TURN_DEFAULT_LIFETIME;
	if (v == 0) {
		*ret_zero = true;
		return 0;
	}
	if (v < TURN_DEFAULT_LIFETIME)
		return TURN_DEFAULT_LIFETIME;
	return v > TURN_MAX_LIFETIME ? TURN_MAX_LIFETIME : v;
}

static bool same_name(const char *name, const struct turn_auth *au)
{
	return strlen(name) == au->ulen && !memcmp(name, au->user, au->ulen);
}

static bool same_user(const struct turn_alloc *a, const struct turn_auth *au)
{
	return strlen(a->username) == au->ulen && !memcmp(a->username, au->user, au->ulen);
}

/* Finds a free port in this core's slice and opens the relay there. */
static int relay_open(struct turn_core *c, struct turn_alloc *a, const struct stun_addr *base,
		      bool even)
{
	unsigned span = (unsigned)(c->port_hi - c->port_lo) + 1;
	struct stun_addr addr = *base;

	/* Bounded: a busy slice answers 508 after 64 tries. */
	for (unsigned i = 0; i < 64 && i < span; i++) {
		uint16_t p = c->port_next;
		int r;

		c->port_next = p >= c->port_hi ? c->port_lo : (uint16_t)(p + 1);
		if (even && (p & 1))
			continue;
		addr.port = p;
		r = a->tcp ? c->ops->tcp_listen(c->io, a, &addr) : c->ops->relay_open(c->io, a, &addr);
		if (r == 0) {
			a->relay = addr;
			return 0;
		}
		if (r != -EADDRINUSE)
			return r;
	}
	return -EADDRINUSE;
}

static void handle_allocate(struct turn_core *c, const struct turn_conn *conn,
			    const struct stun_msg *m, struct reply *r, const struct turn_auth *au)
{
	const struct turn_config *cfg = c->cfg;
	struct turn_alloc *a = turn_core_find(c, conn);
	uint32_t transport, family = 0;
	size_t n = 0;
	const uint8_t *even = stun_attr(m, SA_EVEN_PORT, &n);
	const uint8_t *token = stun_attr(m, SA_RESERVATION_TOKEN, NULL);
	const struct stun_addr *base = &cfg->relay4;
	struct turn_reservation *resv = NULL;
	uint8_t resv_token[8];
	bool zero, reserve = false, rest;
	uint32_t lifetime;
	const char *qn;
	size_t qlen;
	int code, rr;

	if (a) {
		/* Section 7.2 step 2; RFC 8489 6.3.1: a retransmission gets the
		 * stored answer. */
		if (a->alloc_resp && !memcmp(a->alloc_tid, m->tid, STUN_TID_LEN))
			c->ops->send_client(c->io, conn, a->alloc_resp, a->alloc_resp_len);
		else
			send_auth_error(c, conn, r, 437);
		return;
	}
	if (stun_attr_u32(m, SA_REQUESTED_TRANSPORT, &transport) < 0)
		return send_auth_error(c, conn, r, 400);
	/* UDP relaying, and TCP (RFC 6062 section 5.1) over a TCP or TLS
	 * control connection; anything else gets 442. */
	if ((transport >> 24) == 6) {
		if (conn->transport == TURN_UDP || !c->ops->tcp_listen)
			return send_auth_error(c, conn, r, 442);
		if (even || token)
			return send_auth_error(c, conn, r, 400);
	} else if ((transport >> 24) != 17) {
		return send_auth_error(c, conn, r, 442);
	}
	if (token && (even || stun_has(m, SA_REQUESTED_ADDRESS_FAMILY)))
		return send_auth_error(c, conn, r, 400);
	if (even && n != 1)
		return send_auth_error(c, conn, r, 400);
	if (stun_has(m, SA_REQUESTED_ADDRESS_FAMILY)) {
		if (stun_has(m, SA_ADDITIONAL_ADDRESS_FAMILY))
			return send_auth_error(c, conn, r, 400);
		if (stun_attr_u32(m, SA_REQUESTED_ADDRESS_FAMILY, &family) < 0)
			return send_auth_error(c, conn, r, 400);
		family >>= 24;
		if (family == 0x02) {
			if (!cfg->have_relay6)
				return send_auth_error(c, conn, r, 440);
			base = &cfg->relay6;
		} else if (family != 0x01) {
			return send_auth_error(c, conn, r, 440);
		}
	}
	lifetime = clamp_lifetime(m, &zero);
	if (zero)
		lifetime = TURN_DEFAULT_LIFETIME;

	a = xcalloc(1, sizeof(*a));
	a->conn = *conn;
	a->tcp = (transport >> 24) == 6;
	rest = turn_auth_quota_name(au, &qn, &qlen) &&
	       !(cfg->username && same_name(cfg->username, au));
	code = turn_quota_take(c->shared, cfg->total_quota, qn, qlen,
			       rest ? cfg->user_quota : cfg->static_user_quota, &a->user);
	if (code) {
		free(a);
		return send_auth_error(c, conn, r, code);
	}
	a->dont_fragment = stun_has(m, SA_DONT_FRAGMENT);
	if (token) {
		resv = turn_resv_take(c->shared, token);
		if (!resv || !c->ops->relay_adopt) {
			free(resv);
			turn_quota_give(c->shared, a->user);
			free(a);
			return send_auth_error(c, conn, r, 508);
		}
		rr = c->ops->relay_adopt(c->io, a, resv->fd);
		if (rr == 0)
			a->relay = resv->addr;
		else
			c->ops->close_fd(c->io, resv->fd);
		free(resv);
	} else {
		rr = relay_open(c, a, base, even != NULL);
		/* EVEN-PORT with R: reserve the next port as well. */
		if (rr == 0 && even && (even[0] & 0x80)) {
			struct stun_addr next = a->relay;
			int fd;

			next.port++;
			fd = c->ops->reserve_port ? c->ops->reserve_port(c->io, &next) : -ENOTSUP;
			if (fd < 0) {
				c->ops->relay_close(c->io, a);
				a->relay_io = NULL;
				rr = -EADDRINUSE;
			} else {
				struct turn_reservation *rv = xcalloc(1, sizeof(*rv));

				gnutls_rnd(GNUTLS_RND_NONCE, resv_token, sizeof(resv_token));
				memcpy(rv->token, resv_token, 8);
				rv->fd = fd;
				rv->addr = next;
				rv->expires_s = c->now_ms / 1000 + TURN_RESERVATION_LIFETIME;
				turn_resv_add(c->shared, rv);
				reserve = true;
			}
		}
	}
	if (rr < 0) {
		turn_quota_give(c->shared, a->user);
		free(a);
		return send_auth_error(c, conn, r, 508);
	}
	a->username = xstrndup(au->user, au->ulen);
	a->expires = c->now_ms + lifetime * 1000ull;
	a->advertised = a->relay;
	if (cfg->have_public && a->relay.family == AF_INET) {
		a->advertised = cfg->public4;
		a->advertised.port = a->relay.port;
	}
	alloc_link(c, a);
	if (!a->tcp)
		turn_relayed_set(c->shared, &a->relay, true);
	c->stats.allocs++;

	stun_put_xaddr(&r->b, TURN_A_XOR_RELAYED_ADDRESS, &a->advertised);
	stun_put_u32(&r->b, TURN_A_LIFETIME, lifetime);
	if (reserve)
		stun_put(&r->b, TURN_A_RESERVATION_TOKEN, resv_token, 8);
	stun_put_xaddr(&r->b, STUN_A_XOR_MAPPED_ADDRESS, &conn->client);
	if (stun_has(m, SA_ADDITIONAL_ADDRESS_FAMILY)) {
		/* Dual allocation is not offered: say so (section 7.2). */
		uint8_t v[4] = { 0x02, 0, 4, 40 };

		stun_put(&r->b, TURN_A_ADDRESS_ERROR_CODE, v, 4);
	}
	reply_send(c, r, conn);
	a->alloc_resp_len = (uint16_t)stun_end(&r->b);
	if (a->alloc_resp_len) {
		a->alloc_resp = xmalloc(a->alloc_resp_len);
		memcpy(a->alloc_resp, c->out, a->alloc_resp_len);
		memcpy(a->alloc_tid, m->tid, STUN_TID_LEN);
	}
}

static void handle_refresh(struct turn_core *c, const struct turn_conn *conn,
			   const struct stun_msg *m, struct reply *r, const struct turn_auth *au)
{
	struct turn_alloc *a = turn_core_find(c, conn);
	bool zero;
	uint32_t lifetime;

	if (!a)
		return send_auth_error(c, conn, r, 437);
	if (!same_user(a, au))
		return send_auth_error(c, conn, r, 441);
	lifetime = clamp_lifetime(m, &zero);
	if (zero) {
		c->stats.allocs_deleted++;
		alloc_free(c, a);
	} else {
		a->expires = c->now_ms + lifetime * 1000ull;
	}
	stun_put_u32(&r->b, TURN_A_LIFETIME, lifetime);
	reply_send(c, r, conn);
}

static void log_denied(struct turn_core *c, const struct turn_alloc *a,
		       const struct stun_addr *peer)
{
	c->stats.denied_peers++;
	/* At most one line a second per worker (spec/turn.md 8.3). */
	if (c->now_ms - c->denied_logged_ms >= 1000 || !c->denied_logged_ms) {
		char cl[64], pl[64];

		c->denied_logged_ms = c->now_ms;
		stun_addr_format(&a->conn.client, cl, sizeof(cl));
		stun_addr_format(peer, pl, sizeof(pl));
		cv_warn("refused peer %s for %s (user %s): address not permitted", pl, cl,
			a->username);
	}
}

/*
 * The one own address a client may reach (turn_policy.h): the relayed
 * transport address of another live UDP allocation on this server, named
 * by the relay address or, behind NAT, by the public IP it is advertised
 * as. Two clients that are both forced to relay (WebRTC's iceTransportPolicy
 * "relay") through this server relay to each other this way. Sets *ret_to
 * to where the datagrams go: always the relay address itself, so that
 * relay-to-relay traffic does not depend on the NAT sending the public
 * address back in (hairpinning). An allocation's own relayed address does
 * not count, and nothing counts for a TCP allocation (RFC 6062 peers are
 * never own addresses: no relay-to-relay over TCP).
 *
 * The set of live relayed addresses spans every worker: turn_shared's
 * bitmap, read without a lock (turn_limits.h). The check runs at
 * CreatePermission and ChannelBind, and again for each datagram sent to an
 * own address, so an allocation that goes takes its reachability along.
 */
static bool relayed_peer(struct turn_core *c, const struct turn_alloc *a,
			 const struct stun_addr *peer, struct stun_addr *ret_to)
{
	const struct turn_config *cfg = c->cfg;
	struct stun_addr to;

	if (a->tcp)
		return false;
	if (peer->family == AF_INET &&
	    (stun_addr_equal(peer, &cfg->relay4, false) ||
	     (cfg->have_public && stun_addr_equal(peer, &cfg->public4, false))))
		to = cfg->relay4;
	else if (peer->family == AF_INET6 && cfg->have_relay6 &&
		 stun_addr_equal(peer, &cfg->relay6, false))
		to = cfg->relay6;
	else
		return false;
	to.port = peer->port;
	if (stun_addr_equal(&to, &a->relay, true) ||
	    !turn_relayed_live(c->shared, to.family, to.port))
		return false;
	*ret_to = to;
	return true;
}

/* Decodes and checks one XOR-PEER-ADDRESS: 0, or an error code; *ret_own
 * tells that the peer is an own address let through by relayed_peer. */
static int check_peer(struct turn_core *c, struct turn_alloc *a, const struct stun_msg *m,
		      const uint8_t *v, size_t len, struct stun_addr *ret, bool *ret_own)
{
	int r = stun_xaddr_decode(v, len, m->tid, ret);
	struct stun_addr to;

	if (r == -EAFNOSUPPORT)
		return 443;
	if (r < 0)
		return 400;
	if (ret->family != a->relay.family)
		return 443;
	*ret_own = false;
	switch (turn_policy_check(&c->cfg->policy, ret)) {
	case TURN_PEER_PERMIT:
		return 0;
	case TURN_PEER_OWN:
		if (relayed_peer(c, a, ret, &to)) {
			*ret_own = true;
			return 0;
		}
		break;
	case TURN_PEER_DENY:
		break;
	}
	log_denied(c, a, ret);
	return 403;
}

/* Where a datagram for peer goes, under permission p: the peer, or for an
 * own address the live relayed address it names; NULL: dropped. */
static const struct stun_addr *peer_dest(struct turn_core *c, const struct turn_alloc *a,
					 const struct turn_perm *p, const struct stun_addr *peer,
					 struct stun_addr *to)
{
	if (!p)
		return NULL;
	if (!p->own)
		return peer;
	return relayed_peer(c, a, peer, to) ? to : NULL;
}

static void handle_create_permission(struct turn_core *c, const struct turn_conn *conn,
				     const struct stun_msg *m, struct reply *r,
				     const struct turn_auth *au)
{
	struct turn_alloc *a = turn_core_find(c, conn);
	struct stun_addr peers[STUN_MAX_PEERS];
	bool own[STUN_MAX_PEERS];

	if (!a)
		return send_auth_error(c, conn, r, 437);
	if (!same_user(a, au))
		return send_auth_error(c, conn, r, 441);
	if (!m->n_peers || m->too_many_peers)
		return send_auth_error(c, conn, r, 400);
	/* All or nothing (section 10.2). */
	for (unsigned i = 0; i < m->n_peers; i++) {
		int code = check_peer(c, a, m, m->buf + m->peer_off[i], m->peer_len[i], &peers[i],
				      &own[i]);

		if (code)
			return send_auth_error(c, conn, r, code);
	}
	prune(a, c->now_ms);
	{
		unsigned fresh = 0;

		for (unsigned i = 0; i < m->n_peers; i++)
			fresh += !perm_find(a, &peers[i], c->now_ms);
		if (a->n_perms + fresh > c->cfg->max_permissions)
			return send_auth_error(c, conn, r, 508);
	}
	for (unsigned i = 0; i < m->n_peers; i++)
		perm_install(c, a, &peers[i], own[i]);
	reply_send(c, r, conn);
}

static void handle_channel_bind(struct turn_core *c, const struct turn_conn *conn,
				const struct stun_msg *m, struct reply *r,
				const struct turn_auth *au)
{
	struct turn_alloc *a = turn_core_find(c, conn);
	struct stun_addr peer;
	struct turn_chan *ch, *byp;
	uint32_t v;
	uint16_t num;
	bool own;
	int code;

	if (!a)
		return send_auth_error(c, conn, r, 437);
	if (!same_user(a, au))
		return send_auth_error(c, conn, r, 441);
	if (stun_attr_u32(m, SA_CHANNEL_NUMBER, &v) < 0 || !m->n_peers || a->tcp)
		return send_auth_error(c, conn, r, 400);
	num = (uint16_t)(v >> 16);
	/* Section 12: 0x4000-0x4FFF. RFC 5766 clients (coturn 4.6.1's
	 * uclient among them) pick from 0x4000-0x7FFF; they are accepted
	 * unless strict_channels is set: our demultiplexing (first byte
	 * 0x40-0x7F) cannot mistake them for anything else. */
	if (num < TURN_CHANNEL_MIN ||
	    num > (c->cfg->strict_channels ? TURN_CHANNEL_MAX : TURN_CHANNEL_MAX_RFC5766))
		return send_auth_error(c, conn, r, 400);
	code = check_peer(c, a, m, m->buf + m->peer_off[0], m->peer_len[0], &peer, &own);
	if (code)
		return send_auth_error(c, conn, r, code);
	ch = chan_by_num(a, num, c->now_ms);
	byp = chan_by_peer(a, &peer, c->now_ms);
	/* Section 11.2: a channel bound to another peer, or the peer bound
	 * to another channel. */
	if ((ch && !stun_addr_equal(&ch->peer, &peer, true)) || (byp && byp != ch))
		return send_auth_error(c, conn, r, 400);
	if (!ch) {
		prune(a, c->now_ms);
		if (a->n_chans >= c->cfg->max_channels ||
		    (!perm_find(a, &peer, c->now_ms) && a->n_perms >= c->cfg->max_permissions))
			return send_auth_error(c, conn, r, 508);
		if (a->n_chans == a->cap_chans) {
			a->cap_chans = a->cap_chans ? a->cap_chans * 2 : 2;
			a->chans = xrealloc(a->chans, a->cap_chans * sizeof(*a->chans));
		}
		ch = &a->chans[a->n_chans++];
		ch->num = num;
		ch->peer = peer;
	}
	ch->expires = c->now_ms + TURN_CHANNEL_LIFETIME * 1000ull;
	perm_install(c, a, &peer, own);
	reply_send(c, r, conn);
}

static void handle_send(struct turn_core *c, const struct turn_conn *conn,
			const struct stun_msg *m)
{
	struct turn_alloc *a = turn_core_find(c, conn);
	struct stun_addr peer, to;
	const struct stun_addr *dst;
	size_t dlen;
	const uint8_t *data = stun_attr(m, SA_DATA, &dlen);

	/* Section 11.2: silently dropped unless everything is right. */
	if (!a || !data || !m->n_peers || a->tcp)
		return;
	if (stun_xaddr_decode(m->buf + m->peer_off[0], m->peer_len[0], m->tid, &peer) < 0)
		return;
	if (peer.family != a->relay.family)
		return;
	/* A permission covers an address, any port; to an own address only
	 * live relayed addresses may be reached. */
	dst = peer_dest(c, a, perm_find(a, &peer, c->now_ms), &peer, &to);
	if (!dst)
		return;
	a->rx_pkts++;
	c->ops->send_peer(c->io, a, dst, data, dlen);
}

/* RFC 6062 section 5.2. The answer comes with turn_core_tcp_connected. */
static void handle_connect(struct turn_core *c, const struct turn_conn *conn,
			   const struct stun_msg *m, struct reply *r, const struct turn_auth *au)
{
	struct turn_alloc *a = turn_core_find(c, conn);
	struct stun_addr peer;
	struct turn_tcp *t;
	bool own;
	int code;

	if (!a)
		return send_auth_error(c, conn, r, 437);
	if (!same_user(a, au))
		return send_auth_error(c, conn, r, 441);
	if (!a->tcp || !m->n_peers)
		return send_auth_error(c, conn, r, 400);
	/* Own addresses are refused (relayed_peer lets nothing through for a
	 * TCP allocation), relayed addresses included. */
	code = check_peer(c, a, m, m->buf + m->peer_off[0], m->peer_len[0], &peer, &own);
	if (code)
		return send_auth_error(c, conn, r, code);
	for (t = a->tcps; t; t = t->next)
		if (stun_addr_equal(&t->peer, &peer, true))
			return send_auth_error(c, conn, r, 446);
	if (a->n_tcps >= TURN_MAX_TCP_CONNS)
		return send_auth_error(c, conn, r, 508);
	perm_install(c, a, &peer, own);
	t = tcp_new(c, a, &peer, TURN_TCP_CONNECTING);
	memcpy(t->tid, m->tid, STUN_TID_LEN);
	memcpy(t->key, au->key, au->keylen);
	t->keylen = (uint8_t)au->keylen;
	t->sha256 = au->sha256;
	t->fingerprint = m->fp_at != 0;
	if (c->ops->tcp_connect(c->io, t) < 0) {
		c->ops->tcp_close(c->io, t);
		tcp_free(c, t);
		return send_auth_error(c, conn, r, 447);
	}
}

/* RFC 6062 section 5.4: on a new connection, joins it to a peer connection. */
static void handle_connection_bind(struct turn_core *c, const struct turn_conn *conn,
				   const struct stun_msg *m, struct reply *r,
				   const struct turn_auth *au)
{
	struct turn_tcp *t;
	uint32_t id;

	if (conn->transport == TURN_UDP || turn_core_find(c, conn) ||
	    stun_attr_u32(m, SA_CONNECTION_ID, &id) < 0)
		return send_auth_error(c, conn, r, 400);
	t = tcp_find(c, id);
	if (!t || t->state != TURN_TCP_PENDING)
		return send_auth_error(c, conn, r, 400);
	if (!same_user(t->a, au))
		return send_auth_error(c, conn, r, 441);
	reply_send(c, r, conn);
	t->state = TURN_TCP_BOUND;
	c->ops->tcp_bind(c->io, conn, t);
}

static void tcp_answer(struct turn_core *c, struct turn_tcp *t, int code)
{
	struct stun_builder b;
	size_t n;

	stun_begin(&b, c->out, sizeof(c->out), TURN_CONNECT, code ? STUN_ERROR : STUN_SUCCESS,
		   t->tid);
	if (code)
		stun_put_error(&b, code, NULL);
	else
		stun_put_u32(&b, TURN_A_CONNECTION_ID, t->id);
	if (t->sha256)
		stun_put_integrity_sha256(&b, t->key, t->keylen);
	else
		stun_put_integrity(&b, t->key, t->keylen);
	if (t->fingerprint)
		stun_put_fingerprint(&b);
	n = stun_end(&b);
	if (n)
		c->ops->send_client(c->io, &t->a->conn, c->out, n);
}

void turn_core_tcp_connected(struct turn_core *c, struct turn_tcp *t, int status)
{
	if (t->state != TURN_TCP_CONNECTING)
		return;
	if (status < 0) {
		tcp_answer(c, t, 447);
		c->ops->tcp_close(c->io, t);
		tcp_free(c, t);
		return;
	}
	tcp_answer(c, t, 0);
	t->state = TURN_TCP_PENDING;
	t->deadline_ms = c->now_ms + TURN_TCP_TIMEOUT_MS;
}

struct turn_tcp *turn_core_tcp_accepted(struct turn_core *c, struct turn_alloc *a,
					const struct stun_addr *peer, void *peer_io)
{
	struct turn_tcp *t;
	struct stun_builder b;
	uint8_t tid[STUN_TID_LEN];
	size_t n;

	/* Section 5.3: only peers with a permission. */
	if (!a->tcp || a->n_tcps >= TURN_MAX_TCP_CONNS || !perm_find(a, peer, c->now_ms))
		return NULL;
	t = tcp_new(c, a, peer, TURN_TCP_PENDING);
	t->peer_io = peer_io;
	memcpy(tid, c->tid_salt, 4);
	c->tid_seq++;
	memcpy(tid + 4, &c->tid_seq, 8);
	stun_begin(&b, c->out, sizeof(c->out), TURN_CONNECTION_ATTEMPT, STUN_INDICATION, tid);
	stun_put_xaddr(&b, TURN_A_XOR_PEER_ADDRESS, peer);
	stun_put_u32(&b, TURN_A_CONNECTION_ID, t->id);
	n = stun_end(&b);
	if (n)
		c->ops->send_client(c->io, &a->conn, c->out, n);
	return t;
}

void turn_core_tcp_closed(struct turn_core *c, struct turn_tcp *t)
{
	tcp_free(c, t);
}

static void handle_binding(struct turn_core *c, const struct turn_conn *conn,
			   const struct stun_msg *m)
{
	struct reply r;

	/* Binding needs no credentials: its answers share the per-source
	 * token bucket of the other unauthenticated answers, or a spoofed
	 * flood would be reflected at full rate. */
	if (!rl_allow(c, &conn->client))
		return;
	/* RFC 8489 section 6.3.1: XOR-MAPPED-ADDRESS only; no MAPPED-ADDRESS,
	 * RESPONSE-ORIGIN or OTHER-ADDRESS (amplification, spec/turn.md 8.6):
	 * 32 bytes (44 for IPv6) for the smallest, 20-byte, request. */
	reply_begin(c, &r, m, STUN_SUCCESS);
	reply_unauthenticated(&r, conn);
	stun_put_xaddr(&r.b, STUN_A_XOR_MAPPED_ADDRESS, &conn->client);
	reply_send(c, &r, conn);
}

static void handle_stun(struct turn_core *c, const struct turn_conn *conn, const uint8_t *buf,
			size_t len)
{
	struct stun_msg m;
	struct reply r;
	struct turn_auth au;
	int code;

	if (stun_parse(buf, len, &m) < 0) {
		c->stats.bad_messages++;
		return;
	}
	if (m.cls == STUN_INDICATION) {
		if (m.method == TURN_SEND && !m.n_unknown)
			handle_send(c, conn, &m);
		return;
	}
	if (m.cls != STUN_REQUEST)
		return; /* responses to a server: dropped */
	if (m.n_unknown)
		return send_error(c, conn, &m, 420);
	switch (m.method) {
	case STUN_BINDING:
		return handle_binding(c, conn, &m);
	case TURN_ALLOCATE:
	case TURN_REFRESH:
	case TURN_CREATE_PERMISSION:
	case TURN_CHANNEL_BIND:
	case TURN_CONNECT:
	case TURN_CONNECTION_BIND:
		break;
	default:
		return send_error(c, conn, &m, 400);
	}
	code = turn_auth_check(c, conn, &m, &au);
	if (code == 401 || code == 438)
		return send_challenge(c, conn, &m, code);
	if (code)
		return send_error(c, conn, &m, code);
	reply_begin(c, &r, &m, STUN_SUCCESS);
	r.key = au.key;
	r.keylen = au.keylen;
	r.sha256 = au.sha256;
	switch (m.method) {
	case TURN_ALLOCATE:
		return handle_allocate(c, conn, &m, &r, &au);
	case TURN_REFRESH:
		return handle_refresh(c, conn, &m, &r, &au);
	case TURN_CREATE_PERMISSION:
		return handle_create_permission(c, conn, &m, &r, &au);
	case TURN_CHANNEL_BIND:
		return handle_channel_bind(c, conn, &m, &r, &au);
	case TURN_CONNECT:
		return handle_connect(c, conn, &m, &r, &au);
	case TURN_CONNECTION_BIND:
		return handle_connection_bind(c, conn, &m, &r, &au);
	}
}

/* --- the data paths --------------------------------------------------------------------------- */

static void handle_channel_data(struct turn_core *c, const struct turn_conn *conn, uint8_t *buf,
				size_t len)
{
	struct turn_alloc *a;
	struct turn_chan *ch;
	struct stun_addr to;
	const struct stun_addr *dst;
	size_t dlen;

	if (len < 4)
		return;
	dlen = (size_t)(buf[2] << 8 | buf[3]);
	/* Section 12.5: over UDP the datagram may carry padding. */
	if (4 + dlen > len)
		return;
	a = turn_core_find(c, conn);
	if (!a)
		return;
	ch = chan_by_num(a, (uint16_t)(buf[0] << 8 | buf[1]), c->now_ms);
	if (!ch)
		return;
	dst = peer_dest(c, a, perm_find(a, &ch->peer, c->now_ms), &ch->peer, &to);
	if (!dst)
		return;
	a->rx_pkts++;
	c->ops->send_peer(c->io, a, dst, buf + 4, dlen);
}

void turn_core_input(struct turn_core *c, const struct turn_conn *conn, uint8_t *buf, size_t len)
{
	switch (stun_classify(buf, len)) {
	case STUN_KIND_CHANNEL:
		handle_channel_data(c, conn, buf, len);
		break;
	case STUN_KIND_STUN:
		handle_stun(c, conn, buf, len);
		break;
	default:
		c->stats.bad_messages++;
		break;
	}
}

void turn_core_peer_input(struct turn_core *c, struct turn_alloc *a, const struct stun_addr *peer,
			  uint8_t *data, size_t len)
{
	const struct turn_config *cfg = c->cfg;
	struct turn_chan *ch;
	struct stun_addr pub;
	uint8_t *p;
	size_t total;

	if (len > 0xFFFF - 48)
		return;
	/* Relay to relay behind NAT: another allocation's relay socket sends
	 * from the relay address, which its client knows by the public IP
	 * (relayed_peer). Shown as the address the client named. */
	if (cfg->have_public && peer->family == AF_INET &&
	    stun_addr_equal(peer, &cfg->relay4, false)) {
		pub = cfg->public4;
		pub.port = peer->port;
		if (perm_find(a, &pub, c->now_ms))
			peer = &pub;
	}
	ch = chan_by_peer(a, peer, c->now_ms);
	if (ch && perm_find(a, peer, c->now_ms)) {
		/* ChannelData (section 12.4), padded on streams. */
		p = data - 4;
		p[0] = (uint8_t)(ch->num >> 8);
		p[1] = (uint8_t)ch->num;
		p[2] = (uint8_t)(len >> 8);
		p[3] = (uint8_t)len;
		total = 4 + len;
		if (a->conn.transport != TURN_UDP)
			while (total % 4)
				p[total++] = 0;
		a->tx_pkts++;
		c->ops->send_client(c->io, &a->conn, p, total);
		return;
	}
	if (!perm_find(a, peer, c->now_ms))
		return; /* section 11.3: no permission, no relaying */
	/* A Data indication (section 11.3): XOR-PEER-ADDRESS and DATA. */
	{
		size_t xlen = peer->family == AF_INET6 ? 20 : 8;
		size_t hdr = STUN_HDR_LEN + 4 + xlen + 4;
		size_t body = 4 + xlen + 4 + ((len + 3) & ~(size_t)3);
		uint8_t tid[STUN_TID_LEN];
		struct stun_builder b;

		p = data - hdr;
		/* Indications need no unguessable ID: a salt and a counter. */
		memcpy(tid, c->tid_salt, 4);
		c->tid_seq++;
		memcpy(tid + 4, &c->tid_seq, 8);
		stun_begin(&b, p, hdr, TURN_DATA, STUN_INDICATION, tid);
		stun_put_xaddr(&b, TURN_A_XOR_PEER_ADDRESS, peer);
		if (stun_end(&b) != STUN_HDR_LEN + 4 + xlen)
			return;
		p[hdr - 4] = (uint8_t)(TURN_A_DATA >> 8);
		p[hdr - 3] = (uint8_t)TURN_A_DATA;
		p[hdr - 2] = (uint8_t)(len >> 8);
		p[hdr - 1] = (uint8_t)len;
		total = hdr + len;
		while (total % 4)
			p[total++] = 0;
		p[2] = (uint8_t)(body >> 8);
		p[3] = (uint8_t)body;
		a->tx_pkts++;
		c->ops->send_client(c->io, &a->conn, p, total);
	}
}

void turn_core_conn_closed(struct turn_core *c, const struct turn_conn *conn)
{
	struct turn_alloc *a = turn_core_find(c, conn);

	if (a)
		alloc_free(c, a);
}

void turn_core_tick(struct turn_core *c)
{
	struct turn_alloc *a = c->list, *n;
	struct turn_shared *s = c->shared;
	uint64_t now_s = c->now_ms / 1000;

	for (; a; a = n) {
		n = a->next;
		if (a->expires <= c->now_ms) {
			c->stats.allocs_expired++;
			alloc_free(c, a);
			continue;
		}
		prune(a, c->now_ms);
		/* RFC 6062: 30 s to connect, 30 s for the ConnectionBind. */
		for (struct turn_tcp *t = a->tcps, *tn; t; t = tn) {
			tn = t->next;
			if (t->state == TURN_TCP_BOUND || t->deadline_ms > c->now_ms)
				continue;
			if (t->state == TURN_TCP_CONNECTING)
				tcp_answer(c, t, 447);
			c->ops->tcp_close(c->io, t);
			tcp_free(c, t);
		}
	}
	/* Reservations nobody claimed (section 7.2: about 30 s). */
	if (s->resv) {
		struct turn_reservation *dead = turn_resv_expired(s, now_s);

		while (dead) {
			struct turn_reservation *r = dead;

			dead = r->next;
			c->ops->close_fd(c->io, r->fd);
			free(r);
		}
	}
}

long turn_frame_len(const uint8_t *buf, size_t len)
{
	if (len < 4)
		return 0;
	switch (stun_classify(buf, len)) {
	case STUN_KIND_STUN:
		return STUN_HDR_LEN + (long)(buf[2] << 8 | buf[3]);
	case STUN_KIND_CHANNEL:
		return (long)turn_channel_frame_len(buf, len, true);
	default:
		return -1;
	}
}
