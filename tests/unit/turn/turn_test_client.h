/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A tiny TURN client for the core's unit tests: builds requests with the
 * long-term credential mechanism (legacy MD5 + MESSAGE-INTEGRITY, or
 * RFC 8489 PASSWORD-ALGORITHMS + SHA-256 + MESSAGE-INTEGRITY-SHA256, with
 * USERNAME or USERHASH), and a fake I/O layer that records what the core
 * sends. Header-only, test code.
 */
#ifndef TURN_TEST_CLIENT_H
#define TURN_TEST_CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "lib/mem.h"
#include "services/turn/stun.h"
#include "services/turn/turn_proto.h"

/* The test configuration: user alice/secret123 in realm example.org (both
 * long-term keys and the USERHASH), time-limited credentials from the secret
 * "s3cr3t", relay address 198.51.100.1 with ports 50000-50100, nonces valid
 * 600 s. Quotas, limits and the nonce key are the caller's. */
static inline void tc_config(struct turn_config *cfg)
{
	cfg->username = xstrdup("alice");
	cfg->password = xstrdup("secret123");
	cfg->realm = xstrdup("example.org");
	stun_longterm_key(STUN_PWALG_MD5, "alice", 5, cfg->realm, cfg->password, cfg->key_md5);
	stun_longterm_key(STUN_PWALG_SHA256, "alice", 5, cfg->realm, cfg->password,
			  cfg->key_sha256);
	stun_userhash("alice", 5, cfg->realm, cfg->userhash);
	cfg->short_term = true;
	cfg->secret = xstrdup("s3cr3t");
	cfg->relay4.family = AF_INET;
	inet_pton(AF_INET, "198.51.100.1", cfg->relay4.ip);
	cfg->port_lo = 50000;
	cfg->port_hi = 50100;
	cfg->nonce_lifetime = 600;
}

/* --- fake I/O --------------------------------------------------------------------------- */

struct sent {
	bool to_peer;
	struct stun_addr to;
	uint8_t buf[2048];
	size_t len;
};

struct fake_io {
	struct sent sent[64];
	int n;
	int relays;
	int busy_ports; /* relay_open answers EADDRINUSE this many times */
	/* RFC 6062 */
	struct turn_tcp *connecting; /* the last tcp_connect */
	int connect_fail;	     /* tcp_connect fails at once */
	int tcp_closed;
	int tcp_bound;
	int peer_sends; /* datagrams to peers in all (fio.n is reset, this is not) */
};

static int fake_relay_open(void *io, struct turn_alloc *a, const struct stun_addr *addr)
{
	struct fake_io *f = io;

	if (f->busy_ports > 0) {
		f->busy_ports--;
		return -EADDRINUSE;
	}
	a->relay_io = f;
	f->relays++;
	return 0;
}

static int fake_relay_adopt(void *io, struct turn_alloc *a, int fd)
{
	a->relay_io = io;
	((struct fake_io *)io)->relays++;
	return 0;
}

static void fake_relay_close(void *io, struct turn_alloc *a)
{
	a->relay_io = NULL;
	((struct fake_io *)io)->relays--;
}

static void fake_record(struct fake_io *f, bool peer, const struct stun_addr *to,
			const uint8_t *buf, size_t len)
{
	struct sent *s;

	if (f->n >= 64 || len > sizeof(s->buf))
		return;
	s = &f->sent[f->n++];
	s->to_peer = peer;
	s->to = *to;
	memcpy(s->buf, buf, len);
	s->len = len;
}

static void fake_send_client(void *io, const struct turn_conn *c, const uint8_t *buf, size_t len)
{
	fake_record(io, false, &c->client, buf, len);
}

static void fake_send_peer(void *io, struct turn_alloc *a, const struct stun_addr *peer,
			   const uint8_t *buf, size_t len)
{
	((struct fake_io *)io)->peer_sends++;
	fake_record(io, true, peer, buf, len);
}

static int fake_reserve(void *io, const struct stun_addr *addr)
{
	return 100;
}

static void fake_close_fd(void *io, int fd)
{
}

static int fake_tcp_listen(void *io, struct turn_alloc *a, const struct stun_addr *addr)
{
	return fake_relay_open(io, a, addr);
}

static int fake_tcp_connect(void *io, struct turn_tcp *t)
{
	struct fake_io *f = io;

	f->connecting = t;
	t->peer_io = f;
	return f->connect_fail ? -ENETUNREACH : 0;
}

static void fake_tcp_close(void *io, struct turn_tcp *t)
{
	struct fake_io *f = io;

	if (f->connecting == t)
		f->connecting = NULL;
	t->peer_io = NULL;
	f->tcp_closed++;
}

static void fake_tcp_bind(void *io, const struct turn_conn *data, struct turn_tcp *t)
{
	((struct fake_io *)io)->tcp_bound++;
}

static const struct turn_io_ops fake_ops = {
	.relay_open = fake_relay_open,
	.relay_adopt = fake_relay_adopt,
	.relay_close = fake_relay_close,
	.send_client = fake_send_client,
	.send_peer = fake_send_peer,
	.reserve_port = fake_reserve,
	.close_fd = fake_close_fd,
	.tcp_listen = fake_tcp_listen,
	.tcp_connect = fake_tcp_connect,
	.tcp_close = fake_tcp_close,
	.tcp_bind = fake_tcp_bind,
};

/* --- client ----------------------------------------------------------------------------- */

struct tclient {
	const char *user;
	const char *pass;
	const char *realm;
	char nonce[128];
	bool modern; /* PASSWORD-ALGORITHMS + SHA-256 key + MESSAGE-INTEGRITY-SHA256 */
	bool userhash;
	bool tamper_algs; /* echo a PASSWORD-ALGORITHMS list without MD5 (bid-down) */
	struct turn_conn conn;
	uint8_t tid[STUN_TID_LEN];
	uint32_t seq;
	uint8_t buf[2048];
	size_t len;
};

static void tc_init(struct tclient *t, const char *user, const char *pass, const char *ip,
		    uint16_t port)
{
	memset(t, 0, sizeof(*t));
	t->user = user;
	t->pass = pass;
	t->realm = "example.org";
	t->conn.transport = TURN_UDP;
	t->conn.client.family = AF_INET;
	t->conn.client.port = port;
	inet_pton(AF_INET, ip, t->conn.client.ip);
	t->conn.local.family = AF_INET;
	t->conn.local.port = 3478;
	inet_pton(AF_INET, "198.51.100.1", t->conn.local.ip);
}

static void tc_begin(struct tclient *t, struct stun_builder *b, uint16_t method, uint16_t cls)
{
	t->seq++;
	memset(t->tid, 0, sizeof(t->tid));
	memcpy(t->tid, &t->seq, sizeof(t->seq));
	memcpy(t->tid + 4, t->user, strlen(t->user) < 8 ? strlen(t->user) : 8);
	stun_begin(b, t->buf, sizeof(t->buf), method, cls, t->tid);
}

/* Adds the credentials (when a nonce is known) and ends the message. */
static void tc_end(struct tclient *t, struct stun_builder *b, bool fingerprint)
{
	if (t->nonce[0]) {
		uint8_t key[32];
		size_t kl;
		static const uint8_t algs[8] = { 0, 1, 0, 0, 0, 2, 0, 0 };
		static const uint8_t bad[8] = { 0, 2, 0, 0, 0, 2, 0, 0 };
		static const uint8_t sha[4] = { 0, 2, 0, 0 };

		if (t->userhash) {
			uint8_t h[32];

			stun_userhash(t->user, strlen(t->user), t->realm, h);
			stun_put(b, STUN_A_USERHASH, h, 32);
		} else {
			stun_put(b, STUN_A_USERNAME, t->user, strlen(t->user));
		}
		stun_put(b, STUN_A_REALM, t->realm, strlen(t->realm));
		stun_put(b, STUN_A_NONCE, t->nonce, strlen(t->nonce));
		if (t->modern) {
			stun_put(b, STUN_A_PASSWORD_ALGORITHMS, t->tamper_algs ? bad : algs, 8);
			stun_put(b, STUN_A_PASSWORD_ALGORITHM, sha, 4);
			kl = stun_longterm_key(STUN_PWALG_SHA256, t->user, strlen(t->user), t->realm,
					       t->pass, key);
			stun_put_integrity_sha256(b, key, kl);
		} else {
			kl = stun_longterm_key(STUN_PWALG_MD5, t->user, strlen(t->user), t->realm,
					       t->pass, key);
			stun_put_integrity(b, key, kl);
		}
	}
	if (fingerprint)
		stun_put_fingerprint(b);
	t->len = stun_end(b);
}

#endif
