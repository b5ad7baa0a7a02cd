// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TURN core (turn_proto.c) driven through its sans-I/O interface with a
 * fake I/O layer: Binding, the 401/438 challenge and nonces, legacy MD5 and
 * RFC 8489 SHA-256 credentials, USERHASH, bid-down protection, time-limited
 * (shared-secret) users, Allocate/Refresh/CreatePermission/ChannelBind with
 * their error codes (400, 403, 420, 437, 438, 440, 441, 442, 443, 486, 508),
 * the data paths (ChannelData, Send and Data indications), lifetimes and
 * the rate limit of unauthenticated answers.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/mem.h"
#include "services/turn/turn_proto.h"
#include "tests/unit/tap.h"
#include "tests/unit/turn/turn_test_client.h"

static struct turn_config cfg;
static struct turn_shared shared;
static struct turn_core core;
static struct fake_io fio;
static struct stun_msg resp;
static uint64_t now_ms = 1000000;
static uint64_t wall = 1700000000;

static void setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	tc_config(&cfg);
	cfg.user_quota = 2;
	cfg.total_quota = 4;
	cfg.max_permissions = 4;
	cfg.max_channels = 4;
	cfg.challenge_rate = 0;
	memset(cfg.nonce_key, 7, sizeof(cfg.nonce_key));
	turn_policy_add_own(&cfg.policy, &cfg.relay4);
	turn_shared_init(&shared);
	turn_core_init(&core, &cfg, &shared, &fake_ops, &fio, cfg.port_lo, cfg.port_hi);
	turn_core_set_time(&core, now_ms, wall);
}

/* The core (and its fake I/O) xfer talks to: core, or a second core that
 * stands for another worker. */
static struct turn_core *xcore = &core;
static struct fake_io *xio = &fio;

/* Sends the client's message; parses the last answer to the client into
 * resp. Returns the number of datagrams the core sent. */
static int xfer(struct tclient *t)
{
	xio->n = 0;
	turn_core_input(xcore, &t->conn, t->buf, t->len);
	memset(&resp, 0, sizeof(resp));
	for (int i = xio->n - 1; i >= 0; i--) {
		if (!xio->sent[i].to_peer) {
			stun_parse(xio->sent[i].buf, xio->sent[i].len, &resp);
			break;
		}
	}
	return xio->n;
}

static void on_worker(struct turn_core *c, struct fake_io *f)
{
	xcore = c;
	xio = f;
}

static int code(void)
{
	if (!resp.buf)
		return -1;
	if (resp.cls == STUN_SUCCESS)
		return 0;
	return stun_error_code(&resp);
}

/* Remembers the nonce of a 401/438. */
static void take_nonce(struct tclient *t)
{
	size_t n;
	const uint8_t *v = stun_attr(&resp, SA_NONCE, &n);

	if (v && n < sizeof(t->nonce)) {
		memcpy(t->nonce, v, n);
		t->nonce[n] = '\0';
	}
}

static int allocate(struct tclient *t, uint32_t transport, int extra)
{
	struct stun_builder b;

	tc_begin(t, &b, TURN_ALLOCATE, STUN_REQUEST);
	stun_put_u32(&b, TURN_A_REQUESTED_TRANSPORT, transport << 24);
	if (extra)
		stun_put_u32(&b, TURN_A_REQUESTED_ADDRESS_FAMILY, (uint32_t)extra << 24);
	tc_end(t, &b, true);
	xfer(t);
	return code();
}

/* Allocate with the challenge round trip. */
static int allocate_auth(struct tclient *t)
{
	int c = allocate(t, 17, 0);

	if (c == 401 || c == 438) {
		take_nonce(t);
		c = allocate(t, 17, 0);
	}
	return c;
}

static int refresh(struct tclient *t, uint32_t lifetime)
{
	struct stun_builder b;

	tc_begin(t, &b, TURN_REFRESH, STUN_REQUEST);
	stun_put_u32(&b, TURN_A_LIFETIME, lifetime);
	tc_end(t, &b, false);
	xfer(t);
	return code();
}

static void peer_addr(struct stun_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	a->port = port;
	inet_pton(a->family, ip, a->ip);
}

static int create_perm_at(struct tclient *t, const struct stun_addr *p)
{
	struct stun_builder b;

	tc_begin(t, &b, TURN_CREATE_PERMISSION, STUN_REQUEST);
	stun_put_xaddr(&b, TURN_A_XOR_PEER_ADDRESS, p);
	tc_end(t, &b, false);
	xfer(t);
	return code();
}

static int create_perm(struct tclient *t, const char *ip)
{
	struct stun_addr p;

	peer_addr(&p, ip, 9);
	return create_perm_at(t, &p);
}

static int channel_bind_at(struct tclient *t, uint16_t ch, const struct stun_addr *p)
{
	struct stun_builder b;

	tc_begin(t, &b, TURN_CHANNEL_BIND, STUN_REQUEST);
	stun_put_u32(&b, TURN_A_CHANNEL_NUMBER, (uint32_t)ch << 16);
	stun_put_xaddr(&b, TURN_A_XOR_PEER_ADDRESS, p);
	tc_end(t, &b, false);
	xfer(t);
	return code();
}

static int channel_bind(struct tclient *t, uint16_t ch, const char *ip, uint16_t port)
{
	struct stun_addr p;

	peer_addr(&p, ip, port);
	return channel_bind_at(t, ch, &p);
}

static bool resp_integrity(const struct tclient *t, bool sha)
{
	uint8_t key[32];
	size_t kl = stun_longterm_key(sha ? STUN_PWALG_SHA256 : STUN_PWALG_MD5, t->user,
				      strlen(t->user), t->realm, t->pass, key);

	return stun_check_integrity(&resp, sha, key, kl);
}

static void test_binding(void)
{
	struct tclient t;
	struct stun_builder b;
	struct stun_addr m;

	tc_init(&t, "alice", "secret123", "203.0.113.5", 40000);
	tc_begin(&t, &b, STUN_BINDING, STUN_REQUEST);
	tc_end(&t, &b, false);
	is_int(xfer(&t), 1, "Binding: one answer");
	is_int(code(), 0, "Binding: success without credentials");
	ok(stun_xaddr_decode(resp.buf + resp.off[SA_XOR_MAPPED_ADDRESS],
			     resp.alen[SA_XOR_MAPPED_ADDRESS], resp.tid, &m) == 0 &&
		   stun_addr_equal(&m, &t.conn.client, true),
	   "Binding: XOR-MAPPED-ADDRESS is the client's address");
	is_int(fio.sent[0].len, 32, "Binding: 32-byte answer to a 20-byte request (1.6x)");
	ok(!stun_has(&resp, SA_SOFTWARE) && !stun_has(&resp, SA_MAPPED_ADDRESS),
	   "Binding: no SOFTWARE, no MAPPED-ADDRESS");
}

static void test_challenge(void)
{
	struct tclient t;
	size_t n;
	const uint8_t *v;

	tc_init(&t, "alice", "secret123", "203.0.113.5", 40001);
	is_int(allocate(&t, 17, 0), 401, "Allocate without credentials: 401");
	ok(stun_has(&resp, SA_REALM) && stun_has(&resp, SA_PASSWORD_ALGORITHMS),
	   "401 carries REALM and PASSWORD-ALGORITHMS");
	v = stun_attr(&resp, SA_NONCE, &n);
	ok(v && n == TURN_NONCE_LEN && !memcmp(v, "obMatJos2AAAB", 13),
	   "401 nonce has the RFC 8489 cookie and the password-algorithms bit");
	ok(fio.sent[0].len <= 3 * t.len, "401 is at most 3x the request (%zu for %zu)",
	   fio.sent[0].len, t.len);
	take_nonce(&t);
	t.pass = "wrong";
	is_int(allocate(&t, 17, 0), 401, "wrong password: 401");
	t.pass = "secret123";
	t.nonce[20] ^= 1;
	is_int(allocate(&t, 17, 0), 438, "forged nonce: 438");
	take_nonce(&t);
	/* Another source cannot use this nonce (bound to the source IP). */
	{
		struct tclient u = t;

		inet_pton(AF_INET, "203.0.113.6", u.conn.client.ip);
		is_int(allocate(&u, 17, 0), 438, "a nonce from another source IP: 438");
	}
	turn_core_set_time(&core, now_ms + 601 * 1000, wall);
	is_int(allocate(&t, 17, 0), 438, "expired nonce: 438 (stale)");
	turn_core_set_time(&core, now_ms, wall);
}

static void test_allocate(void)
{
	struct tclient t, u;
	struct stun_addr relay;
	uint32_t lt;
	uint8_t first[256];
	size_t first_len;

	tc_init(&t, "alice", "secret123", "203.0.113.5", 40002);
	is_int(allocate_auth(&t), 0, "Allocate (MD5, MESSAGE-INTEGRITY): success");
	ok(resp_integrity(&t, false), "the success response is signed with MESSAGE-INTEGRITY");
	ok(stun_xaddr_decode(resp.buf + resp.off[SA_XOR_RELAYED_ADDRESS],
			     resp.alen[SA_XOR_RELAYED_ADDRESS], resp.tid, &relay) == 0 &&
		   relay.port >= 50000 && relay.port <= 50100,
	   "XOR-RELAYED-ADDRESS in the relay port range");
	ok(stun_attr_u32(&resp, SA_LIFETIME, &lt) == 0 && lt == 600, "LIFETIME 600");
	ok(stun_has(&resp, SA_XOR_MAPPED_ADDRESS), "XOR-MAPPED-ADDRESS");
	ok(resp.fp_at != 0, "FINGERPRINT as in the request");
	first_len = fio.sent[0].len;
	memcpy(first, fio.sent[0].buf, first_len);
	/* Retransmission: same transaction, same bytes. */
	fio.n = 0;
	turn_core_input(&core, &t.conn, t.buf, t.len);
	ok(fio.n == 1 && fio.sent[0].len == first_len && !memcmp(fio.sent[0].buf, first, first_len),
	   "a retransmitted Allocate gets the same answer");
	is_int(allocate(&t, 17, 0), 437, "a second Allocate on the 5-tuple: 437");

	tc_init(&u, "alice", "secret123", "203.0.113.5", 40003);
	u.modern = true;
	is_int(allocate(&u, 17, 0), 401, "SHA-256 client: challenge");
	take_nonce(&u);
	is_int(allocate(&u, 6, 0), 442, "REQUESTED-TRANSPORT TCP: 442");
	is_int(allocate(&u, 1, 0), 442, "REQUESTED-TRANSPORT 1: 442");
	is_int(allocate(&u, 17, 3), 440, "REQUESTED-ADDRESS-FAMILY 0x03: 440");
	is_int(allocate(&u, 17, 2), 440,
	       "REQUESTED-ADDRESS-FAMILY IPv6 without an IPv6 relay: 440");
	u.tamper_algs = true;
	is_int(allocate(&u, 17, 0), 400, "PASSWORD-ALGORITHMS not as sent (bid-down): 400");
	u.tamper_algs = false;
	is_int(allocate(&u, 17, 0), 0, "SHA-256 key and MESSAGE-INTEGRITY-SHA256: success");
	ok(resp.mi256_at && resp_integrity(&u, true),
	   "the response carries MESSAGE-INTEGRITY-SHA256 under the SHA-256 key");
	is_int(refresh(&u, 0), 0, "Refresh 0: success");

	tc_init(&u, "alice", "secret123", "203.0.113.5", 40004);
	u.modern = true;
	u.userhash = true;
	allocate(&u, 17, 0);
	take_nonce(&u);
	is_int(allocate(&u, 17, 0), 0, "USERHASH instead of USERNAME: success");
	is_int(refresh(&u, 0), 0, "Refresh 0: success");
	{
		struct stun_builder b;

		tc_begin(&u, &b, TURN_ALLOCATE, STUN_REQUEST);
		stun_put_u32(&b, 0x7F31, 0);
		tc_end(&u, &b, false);
		xfer(&u);
		is_int(code(), 420, "unknown comprehension-required attribute: 420");
		ok(stun_has(&resp, SA_UNKNOWN_ATTRIBUTES), "420 lists UNKNOWN-ATTRIBUTES");
	}
	{
		struct stun_builder b;

		tc_begin(&u, &b, TURN_ALLOCATE, STUN_REQUEST);
		tc_end(&u, &b, false);
		xfer(&u);
		is_int(code(), 400, "no REQUESTED-TRANSPORT: 400");
	}
	is_int(refresh(&t, 0), 0, "Refresh 0 deletes the first allocation");
}

static void test_lifecycle(void)
{
	struct tclient t, r;
	uint32_t lt;
	char user[64];

	tc_init(&t, "alice", "secret123", "203.0.113.7", 41000);
	is_int(allocate_auth(&t), 0, "Allocate");
	is_int(fio.relays, 1, "one relay socket open");
	is_int(refresh(&t, 7200), 0, "Refresh 7200: success");
	ok(stun_attr_u32(&resp, SA_LIFETIME, &lt) == 0 && lt == 3600, "lifetime capped at 3600");
	is_int(refresh(&t, 0), 0, "Refresh 0: success");
	is_int(fio.relays, 0, "the relay socket is closed at once");
	is_int(refresh(&t, 600), 437, "Refresh after the delete: 437");
	is_int(allocate(&t, 17, 0), 0, "a new Allocate on the same 5-tuple succeeds");
	turn_core_set_time(&core, now_ms + 601 * 1000, wall);
	turn_core_tick(&core);
	ok(turn_core_find(&core, &t.conn) == NULL, "the allocation expires after its lifetime");
	is_int(fio.relays, 0, "its relay socket is closed");
	turn_core_set_time(&core, now_ms, wall);

	/* Time-limited credentials: "<expiry>:<name>", base64(HMAC(secret, name)). */
	snprintf(user, sizeof(user), "%llu:bob", (unsigned long long)wall + 3600);
	for (int sha = 0; sha < 2; sha++) {
		uint8_t mac[32];
		char pass[64];

		if (sha)
			stun_hmac_sha256("s3cr3t", 6, user, strlen(user), mac);
		else
			stun_hmac_sha1("s3cr3t", 6, user, strlen(user), mac);
		cv_base64_encode(mac, sha ? 32 : 20, pass);
		tc_init(&r, user, pass, "203.0.113.8", (uint16_t)(42000 + sha));
		is_int(allocate_auth(&r), 0, "shared-secret user, HMAC-%s password: success",
		       sha ? "SHA256" : "SHA1");
		is_int(refresh(&r, 0), 0, "Refresh 0");
	}
	snprintf(user, sizeof(user), "%llu:bob", (unsigned long long)wall - 1);
	tc_init(&r, user, "whatever", "203.0.113.8", 42005);
	is_int(allocate_auth(&r), 401, "an expired shared-secret user name: 401");

	/* 441: another user on the allocation's 5-tuple. */
	tc_init(&t, "alice", "secret123", "203.0.113.9", 43000);
	is_int(allocate_auth(&t), 0, "Allocate as alice");
	{
		uint8_t mac[20];
		char pass[64];

		snprintf(user, sizeof(user), "%llu:carol", (unsigned long long)wall + 3600);
		stun_hmac_sha1("s3cr3t", 6, user, strlen(user), mac);
		cv_base64_encode(mac, 20, pass);
		tc_init(&r, user, pass, "203.0.113.9", 43000);
		memcpy(r.nonce, t.nonce, sizeof(r.nonce));
		is_int(refresh(&r, 600), 441, "Refresh by another user on the 5-tuple: 441");
	}
	is_int(refresh(&t, 0), 0, "Refresh 0");
}

static void test_quota(void)
{
	struct tclient t[6];
	char user[64];
	uint8_t mac[20];
	char pass[64];

	snprintf(user, sizeof(user), "%llu:dave", (unsigned long long)wall + 3600);
	stun_hmac_sha1("s3cr3t", 6, user, strlen(user), mac);
	cv_base64_encode(mac, 20, pass);
	for (int i = 0; i < 3; i++) {
		tc_init(&t[i], user, pass, "203.0.113.10", (uint16_t)(44000 + i));
		allocate_auth(&t[i]);
		if (i < 2)
			is_int(code(), 0, "dave's allocation %d of 2: success", i + 1);
		else
			is_int(code(), 486, "dave's third allocation: 486 (user quota)");
	}
	for (int i = 3; i < 6; i++) {
		tc_init(&t[i], "alice", "secret123", "203.0.113.11", (uint16_t)(44100 + i));
		allocate_auth(&t[i]);
	}
	is_int(code(), 508, "the fifth allocation in all: 508 (total quota 4)");
	for (int i = 0; i < 6; i++)
		refresh(&t[i], 0);
	is_int(atomic_load(&shared.total), 0, "every quota slot is given back");
	fio.busy_ports = 1000;
	tc_init(&t[0], "alice", "secret123", "203.0.113.12", 44200);
	is_int(allocate_auth(&t[0]), 508, "no free relay port: 508");
	fio.busy_ports = 0;
	is_int(atomic_load(&shared.total), 0, "the failed allocation took no quota");
}

/* A time-limited user of the shared secret "s3cr3t": "<expiry>:<name>". */
static void rest_client(struct tclient *t, char user[64], char pass[64], const char *name,
			const char *ip, uint16_t port)
{
	uint8_t mac[20];

	snprintf(user, 64, "%llu:%s", (unsigned long long)wall + 3600, name);
	stun_hmac_sha1("s3cr3t", 6, user, strlen(user), mac);
	cv_base64_encode(mac, 20, pass);
	tc_init(t, user, pass, ip, port);
}

/* Per-user counts (the quotas) exist only while the user has allocations:
 * time-limited names change with every credential, so entries that stayed
 * would grow without bound. */
static void test_quota_entries(void)
{
	static char users[40][64], passes[40][64];
	struct tclient t[40];
	size_t before = turn_shared_users(&shared);
	int made = 0;

	cfg.total_quota = 100;
	for (int i = 0; i < 40; i++) {
		char name[16];

		snprintf(name, sizeof(name), "user%d", i);
		rest_client(&t[i], users[i], passes[i], name, "203.0.113.13",
			    (uint16_t)(44300 + i));
		made += allocate_auth(&t[i]) == 0;
	}
	is_int(made, 40, "40 time-limited users allocate");
	is_int(turn_shared_users(&shared), before + 40, "40 per-user entries while they hold them");
	for (int i = 0; i < 20; i++)
		refresh(&t[i], 0);
	is_int(turn_shared_users(&shared), before + 20, "Refresh 0 frees the entries of 20 users");
	turn_core_set_time(&core, now_ms + 601 * 1000, wall);
	turn_core_tick(&core);
	turn_core_set_time(&core, now_ms, wall);
	is_int(turn_shared_users(&shared), before, "expiry frees the other 20");
	is_int(atomic_load(&shared.total), 0, "no quota slot is left taken");
	cfg.total_quota = 4;
	/* Names are bytes: one with a NUL is one entry, found again and freed
	 * (the fuzzer's crash-quota-name-with-nul freed an entry it had not
	 * unlinked). */
	{
		struct turn_user *u1 = NULL, *u2 = NULL;

		is_int(turn_quota_take(&shared, 0, "a\0b", 3, 0, &u1), 0,
		       "a name with a NUL: taken");
		is_int(turn_quota_take(&shared, 0, "a\0b", 3, 0, &u2), 0, "... twice");
		ok(u1 == u2 && turn_shared_users(&shared) == before + 1, "... one entry");
		turn_quota_give(&shared, u1);
		turn_quota_give(&shared, u2);
		is_int(turn_shared_users(&shared), before, "... freed with its last slot");
	}
	/* Nor does such a name get that far: USERNAME is an OpaqueString. */
	{
		struct tclient e;
		char user[64], pass[64];

		rest_client(&e, user, pass, "eve", "203.0.113.14", 44400);
		user[strlen(user) - 2] = '\x0f';
		e.user = user;
		allocate(&e, 17, 0);
		take_nonce(&e);
		is_int(allocate(&e, 17, 0), 400, "a USERNAME with a control character: 400");
	}
}

static void test_data(void)
{
	struct tclient t;
	struct stun_builder b;
	struct stun_addr p;
	struct turn_alloc *a;
	uint8_t frame[64], pkt[TURN_HEADROOM + 64 + TURN_TAILROOM];

	tc_init(&t, "alice", "secret123", "203.0.113.20", 45000);
	is_int(allocate_auth(&t), 0, "Allocate");
	is_int(create_perm(&t, "127.0.0.1"), 403, "CreatePermission to 127.0.0.1: 403");
	is_int(create_perm(&t, "10.1.2.3"), 403, "CreatePermission to 10.1.2.3: 403");
	is_int(create_perm(&t, "198.51.100.1"), 403, "CreatePermission to our relay address: 403");
	is_int(create_perm(&t, "2001:4860::1"), 443, "an IPv6 peer on an IPv4 relay: 443");
	is_int(create_perm(&t, "8.8.8.8"), 0, "CreatePermission to 8.8.8.8: success");
	is_int(channel_bind(&t, 0x3FFF, "8.8.4.4", 5000), 400, "ChannelBind 0x3FFF: 400");
	is_int(channel_bind(&t, 0x4001, "127.0.0.1", 5000), 403, "ChannelBind to loopback: 403");
	is_int(channel_bind(&t, 0x4001, "8.8.4.4", 5000), 0, "ChannelBind 0x4001: success");
	is_int(channel_bind(&t, 0x4001, "8.8.4.4", 5001), 400,
	       "the channel bound to another peer: 400");
	is_int(channel_bind(&t, 0x4002, "8.8.4.4", 5000), 400,
	       "the peer bound to another channel: 400");
	is_int(channel_bind(&t, 0x4001, "8.8.4.4", 5000), 0, "ChannelBind refresh: success");

	/* ChannelData from the client reaches the peer. */
	memcpy(frame, "\x40\x01\x00\x05hello\0\0\0", 12);
	fio.n = 0;
	turn_core_input(&core, &t.conn, frame, 12);
	ok(fio.n == 1 && fio.sent[0].to_peer && fio.sent[0].len == 5 &&
		   !memcmp(fio.sent[0].buf, "hello", 5) && fio.sent[0].to.port == 5000,
	   "ChannelData 0x4001 goes to 8.8.4.4:5000 without its header");
	frame[1] = 0x09;
	fio.n = 0;
	turn_core_input(&core, &t.conn, frame, 12);
	is_int(fio.n, 0, "ChannelData on an unbound channel is dropped");

	/* Peer data: a channel gives ChannelData, a permission a Data indication. */
	a = turn_core_find(&core, &t.conn);
	peer_addr(&p, "8.8.4.4", 5000);
	memcpy(pkt + TURN_HEADROOM, "world", 5);
	fio.n = 0;
	turn_core_peer_input(&core, a, &p, pkt + TURN_HEADROOM, 5);
	ok(fio.n == 1 && fio.sent[0].len == 9 &&
	       !memcmp(fio.sent[0].buf, "\x40\x01\x00\x05world", 9),
	   "peer data on a channel: ChannelData to the client");
	peer_addr(&p, "8.8.8.8", 7000);
	memcpy(pkt + TURN_HEADROOM, "world", 5);
	fio.n = 0;
	turn_core_peer_input(&core, a, &p, pkt + TURN_HEADROOM, 5);
	{
		struct stun_msg m;
		struct stun_addr x;
		size_t dl;
		const uint8_t *d;

		ok(fio.n == 1 && stun_parse(fio.sent[0].buf, fio.sent[0].len, &m) == 0 &&
			   m.method == TURN_DATA && m.cls == STUN_INDICATION,
		   "peer data with a permission only: a Data indication");
		d = fio.n == 1 ? stun_attr(&m, SA_DATA, &dl) : NULL;
		ok(d && dl == 5 && !memcmp(d, "world", 5) &&
			   stun_xaddr_decode(m.buf + m.off[SA_XOR_PEER_ADDRESS],
					     m.alen[SA_XOR_PEER_ADDRESS], m.tid, &x) == 0 &&
			   stun_addr_equal(&x, &p, true),
		   "the indication carries DATA and XOR-PEER-ADDRESS 8.8.8.8:7000");
	}
	peer_addr(&p, "9.9.9.9", 7000);
	fio.n = 0;
	turn_core_peer_input(&core, a, &p, pkt + TURN_HEADROOM, 5);
	is_int(fio.n, 0, "peer data without a permission is dropped");

	/* Send indications. */
	for (int k = 0; k < 2; k++) {
		peer_addr(&p, k ? "9.9.9.9" : "8.8.8.8", 6000);
		tc_begin(&t, &b, TURN_SEND, STUN_INDICATION);
		stun_put_xaddr(&b, TURN_A_XOR_PEER_ADDRESS, &p);
		stun_put(&b, TURN_A_DATA, "ping", 4);
		t.len = stun_end(&b);
		fio.n = 0;
		turn_core_input(&core, &t.conn, t.buf, t.len);
		if (k)
			is_int(fio.n, 0, "a Send indication without a permission is dropped");
		else
			ok(fio.n == 1 && fio.sent[0].to_peer && fio.sent[0].len == 4,
			   "a Send indication with a permission reaches the peer");
	}
	/* Permissions expire after 300 s, channels after 600 s. */
	turn_core_set_time(&core, now_ms + 301 * 1000, wall);
	is_int(refresh(&t, 600), 0, "Refresh (the nonce lives 600 s)");
	peer_addr(&p, "8.8.8.8", 7000);
	fio.n = 0;
	turn_core_peer_input(&core, a, &p, pkt + TURN_HEADROOM, 5);
	is_int(fio.n, 0, "the permission is gone after 300 s");
	for (int i = 0; i < 4; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "8.8.8.%d", 10 + i);
		create_perm(&t, ip);
	}
	is_int(create_perm(&t, "8.8.8.99"), 508, "more permissions than the cap: 508");
	turn_core_set_time(&core, now_ms, wall);
	refresh(&t, 0);
}

/* An RFC 6062 TCP allocation on a TCP connection from ip:port. */
static int tcp_allocation(struct tclient *t, const char *ip, uint16_t port)
{
	tc_init(t, "alice", "secret123", ip, port);
	t->conn.transport = TURN_TCP;
	t->conn.io = t;
	allocate(t, 6, 0);
	take_nonce(t);
	return allocate(t, 6, 0);
}

static int connect_req(struct tclient *t, const char *ip, uint16_t port)
{
	struct stun_builder b;
	struct stun_addr p;

	peer_addr(&p, ip, port);
	tc_begin(t, &b, TURN_CONNECT, STUN_REQUEST);
	stun_put_xaddr(&b, TURN_A_XOR_PEER_ADDRESS, &p);
	tc_end(t, &b, false);
	return xfer(t);
}

static void test_rfc6062(void)
{
	struct tclient t, d;
	struct stun_builder b;
	struct stun_addr p;
	struct turn_alloc *a;
	struct turn_tcp *tt;
	uint32_t id = 0;

	is_int(tcp_allocation(&t, "203.0.113.40", 47000), 0,
	       "RFC 6062: TCP allocation over TCP: success");
	a = turn_core_find(&core, &t.conn);
	ok(a && a->tcp, "it is a TCP allocation");
	connect_req(&t, "127.0.0.1", 80);
	is_int(code(), 403, "Connect to 127.0.0.1: 403");
	connect_req(&t, "0.0.0.0", 80);
	is_int(code(), 403, "Connect to 0.0.0.0: 403");
	is_int(channel_bind(&t, 0x4001, "8.8.8.8", 80), 400,
	       "ChannelBind on a TCP allocation: 400");
	is_int(connect_req(&t, "8.8.8.8", 80), 0,
	       "Connect to 8.8.8.8: no answer before the connection");
	tt = fio.connecting;
	ok(tt && tt->state == TURN_TCP_CONNECTING, "the connection is being made");
	connect_req(&t, "8.8.8.8", 80);
	is_int(code(), 446, "a second Connect to the same peer: 446");
	fio.n = 0;
	turn_core_tcp_connected(&core, tt, 0);
	if (fio.n == 1)
		stun_parse(fio.sent[0].buf, fio.sent[0].len, &resp);
	ok(fio.n == 1 && code() == 0 && stun_attr_u32(&resp, SA_CONNECTION_ID, &id) == 0 &&
		   id == tt->id && resp_integrity(&t, false),
	   "connected: a signed success with CONNECTION-ID");

	/* ConnectionBind on a new connection. */
	tc_init(&d, "alice", "secret123", "203.0.113.40", 47001);
	d.conn.transport = TURN_TCP;
	d.conn.io = &d;
	memcpy(d.nonce, t.nonce, sizeof(d.nonce));
	tc_begin(&d, &b, TURN_CONNECTION_BIND, STUN_REQUEST);
	stun_put_u32(&b, TURN_A_CONNECTION_ID, id + 1);
	tc_end(&d, &b, false);
	xfer(&d);
	is_int(code(), 400, "ConnectionBind with an unknown CONNECTION-ID: 400");
	tc_begin(&d, &b, TURN_CONNECTION_BIND, STUN_REQUEST);
	stun_put_u32(&b, TURN_A_CONNECTION_ID, id);
	tc_end(&d, &b, false);
	xfer(&d);
	ok(code() == 0 && fio.tcp_bound == 1 && tt->state == TURN_TCP_BOUND,
	   "ConnectionBind: success, the data connection is joined");
	xfer(&d);
	is_int(code(), 400, "a second ConnectionBind: 400");

	/* A peer connects to the relayed address. */
	peer_addr(&p, "9.9.9.9", 4000);
	ok(turn_core_tcp_accepted(&core, a, &p, &fio) == NULL,
	   "a peer without a permission is refused");
	create_perm(&t, "9.9.9.9");
	fio.n = 0;
	tt = turn_core_tcp_accepted(&core, a, &p, &fio);
	{
		struct stun_msg m;
		uint32_t cid;

		ok(tt && fio.n == 1 && stun_parse(fio.sent[0].buf, fio.sent[0].len, &m) == 0 &&
			   m.method == TURN_CONNECTION_ATTEMPT && m.cls == STUN_INDICATION &&
			   stun_attr_u32(&m, SA_CONNECTION_ID, &cid) == 0 && tt && cid == tt->id,
		   "a permitted peer: ConnectionAttempt indication with its CONNECTION-ID");
	}
	fio.tcp_closed = 0;
	turn_core_set_time(&core, now_ms + 31000, wall);
	turn_core_tick(&core);
	is_int(fio.tcp_closed, 1, "no ConnectionBind within 30 s: the peer connection closes");

	fio.connect_fail = 1;
	connect_req(&t, "8.8.4.4", 80);
	is_int(code(), 447, "a connection that fails at once: 447");
	fio.connect_fail = 0;
	fio.tcp_closed = 0;
	refresh(&t, 0);
	is_int(code(), 0, "Refresh 0");
	is_int(fio.tcp_closed, 1, "deleting the allocation closes its bound connection");
	turn_core_set_time(&core, now_ms, wall);

	tc_init(&t, "alice", "secret123", "203.0.113.41", 47002);
	allocate(&t, 6, 0);
	take_nonce(&t);
	is_int(allocate(&t, 6, 0), 442, "a TCP allocation over UDP: 442");
}

static int send_ind(struct tclient *t, const struct stun_addr *p, const char *data)
{
	struct stun_builder b;

	tc_begin(t, &b, TURN_SEND, STUN_INDICATION);
	stun_put_xaddr(&b, TURN_A_XOR_PEER_ADDRESS, p);
	stun_put(&b, TURN_A_DATA, data, strlen(data));
	t->len = stun_end(&b);
	return xfer(t);
}

/* The relayed address an Allocate answered (XOR-RELAYED-ADDRESS). */
static struct stun_addr relayed_of(void)
{
	struct stun_addr r;

	memset(&r, 0, sizeof(r));
	if (resp.off[SA_XOR_RELAYED_ADDRESS])
		stun_xaddr_decode(resp.buf + resp.off[SA_XOR_RELAYED_ADDRESS],
				  resp.alen[SA_XOR_RELAYED_ADDRESS], resp.tid, &r);
	return r;
}

/*
 * Relay to relay (two clients both forced to relay through us, WebRTC's
 * iceTransportPolicy "relay"): each may reach the other's relayed transport
 * address, though it is one of our own addresses, and nothing else of ours:
 * not a port without a live allocation, not its own relayed address, not
 * the listener, not through Send to another port, not after the other
 * allocation went. A runs on this core, B on a second core (another worker)
 * sharing turn_shared; with a public IP, the relayed addresses are named
 * by it and the datagrams still go to the relay address itself.
 */
static void test_relay_to_relay(bool public_ip)
{
	struct turn_core core2;
	struct fake_io fio2;
	struct tclient ta, tb;
	struct stun_addr ra, rb, x, relay_ip;
	struct turn_alloc *aa, *ab;
	uint8_t frame[16], pkt[TURN_HEADROOM + 64 + TURN_TAILROOM];
	const char *v = public_ip ? " (public IP)" : "";

	memset(&fio2, 0, sizeof(fio2));
	if (public_ip) {
		cfg.have_public = true;
		peer_addr(&cfg.public4, "203.0.113.77", 0);
		turn_policy_add_own(&cfg.policy, &cfg.public4);
	}
	turn_core_init(&core2, &cfg, &shared, &fake_ops, &fio2, 50050, 50100);
	turn_core_set_time(&core2, now_ms, wall);
	tc_init(&ta, "alice", "secret123", "203.0.113.50", 48000);
	tc_init(&tb, "alice", "secret123", "203.0.113.51", 48001);
	is_int(allocate_auth(&ta), 0, "A allocates on worker 1%s", v);
	ra = relayed_of();
	aa = turn_core_find(&core, &ta.conn);
	/* B on the second core: its own table, the shared set. */
	on_worker(&core2, &fio2);
	is_int(allocate_auth(&tb), 0, "B allocates on worker 2%s", v);
	on_worker(&core, &fio);
	rb = relayed_of();
	ab = turn_core_find(&core2, &tb.conn);
	ok(aa && ab && ab->relay.port >= 50050,
	   "the allocations live on different cores (ports %u and %u)", ra.port, rb.port);
	relay_ip = cfg.relay4;
	ok(stun_addr_equal(&ra, public_ip ? &cfg.public4 : &relay_ip, false),
	   "XOR-RELAYED-ADDRESS is the %s", public_ip ? "public IP" : "relay address");

	is_int(create_perm_at(&ta, &rb), 0, "A: CreatePermission to B's relayed address%s", v);
	is_int(channel_bind_at(&ta, 0x4001, &rb), 0, "A: ChannelBind to B's relayed address%s", v);
	x = rb;
	x.port = 50099;
	is_int(create_perm_at(&ta, &x), 403,
	       "A: CreatePermission to a relay port nobody holds: 403");
	x.port = 3478;
	is_int(create_perm_at(&ta, &x), 403, "A: CreatePermission to our listener port: 403");
	is_int(channel_bind_at(&ta, 0x4002, &x), 403, "A: ChannelBind to our listener port: 403");
	is_int(create_perm_at(&ta, &ra), 403,
	       "A: CreatePermission to its own relayed address: 403");

	/* A's data to B leaves A's relay socket for B's relay address. */
	memcpy(frame, "\x40\x01\x00\x04ping", 8);
	fio.n = 0;
	turn_core_input(&core, &ta.conn, frame, 8);
	x = ab->relay;
	ok(fio.n == 1 && fio.sent[0].to_peer && stun_addr_equal(&fio.sent[0].to, &x, true) &&
		   fio.sent[0].len == 4,
	   "A's ChannelData goes to B's relay socket at %s",
	   public_ip ? "the relay address, not the public IP" : "the relay address");
	x.port = 22;
	send_ind(&ta, &x, "ssh?");
	is_int(fio.n, 0, "a Send indication to another port of the relay address is dropped");
	if (public_ip) {
		x = cfg.public4;
		x.port = 22;
		send_ind(&ta, &x, "ssh?");
		is_int(fio.n, 0, "... and to another port of the public IP");
	}
	send_ind(&ta, &rb, "pong");
	ok(fio.n == 1 && fio.sent[0].to_peer && stun_addr_equal(&fio.sent[0].to, &ab->relay, true),
	   "a Send indication to B's relayed address reaches B's relay socket");

	/* It arrives at B's relay socket from A's relay socket: B's client
	 * gets it once B has a permission for A's relayed address. */
	memcpy(pkt + TURN_HEADROOM, "ping", 4);
	fio2.n = 0;
	turn_core_peer_input(&core2, ab, &aa->relay, pkt + TURN_HEADROOM, 4);
	is_int(fio2.n, 0, "at B, without a permission for A: dropped");
	on_worker(&core2, &fio2);
	is_int(create_perm_at(&tb, &ra), 0, "B: CreatePermission to A's relayed address%s", v);
	on_worker(&core, &fio);
	fio2.n = 0;
	memcpy(pkt + TURN_HEADROOM, "ping", 4);
	turn_core_peer_input(&core2, ab, &aa->relay, pkt + TURN_HEADROOM, 4);
	{
		struct stun_msg m;
		size_t dl;
		const uint8_t *d = NULL;

		if (fio2.n == 1 && stun_parse(fio2.sent[0].buf, fio2.sent[0].len, &m) == 0 &&
		    m.method == TURN_DATA && m.off[SA_XOR_PEER_ADDRESS])
			d = stun_attr(&m, SA_DATA, &dl);
		ok(d && dl == 4 && !memcmp(d, "ping", 4) &&
			   stun_xaddr_decode(m.buf + m.off[SA_XOR_PEER_ADDRESS],
					     m.alen[SA_XOR_PEER_ADDRESS], m.tid, &x) == 0 &&
			   stun_addr_equal(&x, &ra, true),
		   "B's client gets the data from A's relayed address as it knows it%s", v);
	}

	/* B goes: A can no longer reach its address. */
	on_worker(&core2, &fio2);
	refresh(&tb, 0);
	on_worker(&core, &fio);
	fio.n = 0;
	turn_core_input(&core, &ta.conn, frame, 8);
	is_int(fio.n, 0, "after B's allocation is deleted, A's ChannelData to it is dropped");
	send_ind(&ta, &rb, "pong");
	is_int(fio.n, 0, "... and its Send indications");
	is_int(create_perm_at(&ta, &rb), 403, "... and a CreatePermission to it gets 403");
	refresh(&ta, 0);
	turn_core_free(&core2);
	if (public_ip) {
		cfg.have_public = false;
		cfg.policy.n_own--;
	}
}

/* "turn allow-peer" of our own address opens nothing: the own check comes
 * first. */
static void test_own_allowed(void)
{
	struct tclient t;
	struct stun_addr x;

	turn_policy_allow(&cfg.policy, "198.51.100.0/24");
	turn_policy_allow(&cfg.policy, "127.0.0.0/8");
	tc_init(&t, "alice", "secret123", "203.0.113.52", 48002);
	is_int(allocate_auth(&t), 0, "Allocate (allow list holds the relay address and 127/8)");
	is_int(create_perm(&t, "198.51.100.1"), 403,
	       "CreatePermission to the relay address allowed by the list: still 403");
	is_int(create_perm(&t, "127.0.0.1"), 403,
	       "CreatePermission to 127.0.0.1 allowed by the list: 403");
	is_int(create_perm(&t, "198.51.100.2"), 0, "another address of the allowed range: success");
	peer_addr(&x, "198.51.100.1", 3478);
	is_int(channel_bind_at(&t, 0x4001, &x), 403, "ChannelBind to our listener: 403");
	refresh(&t, 0);
	is_int(tcp_allocation(&t, "203.0.113.52", 48003), 0, "a TCP allocation");
	connect_req(&t, "198.51.100.1", 22);
	is_int(code(), 403, "RFC 6062 Connect to the relay address allowed by the list: 403");
	connect_req(&t, "127.0.0.1", 22);
	is_int(code(), 403, "RFC 6062 Connect to 127.0.0.1 allowed by the list: 403");
	refresh(&t, 0);
	cfg.policy.n_allow = 0;
}

/* Sends the 20-byte header of a request with no attributes, as UDP from
 * the client of t; returns the size of the answer (0: none). */
static size_t bare_request(struct tclient *t, uint16_t method)
{
	struct stun_builder b;

	tc_begin(t, &b, method, STUN_REQUEST);
	t->len = stun_end(&b);
	xfer(t);
	return fio.n ? fio.sent[fio.n - 1].len : 0;
}

/*
 * Anti-amplification (QUIC's rule, RFC 9000 section 8.1): over UDP, every
 * answer to an unauthenticated request is at most three times the
 * request, with the smallest requests there are; optional attributes go
 * first, then the answer. TCP has a validated source: full answers.
 */
static void test_amplification(void)
{
	struct tclient t, u;
	struct stun_builder b;
	char *realm = cfg.realm;
	size_t n, worst = 0;
	int over = 0;

	cfg.software = true;
	tc_init(&t, "alice", "secret123", "203.0.113.60", 49000);
	for (uint16_t m = 0x001; m <= 0x00C; m++) {
		n = bare_request(&t, m);
		over += n > 3 * STUN_HDR_LEN;
		worst = n > worst ? n : worst;
	}
	is_int(over, 0, "20-byte requests of every method: no answer over 60 bytes (largest %zu)",
	       worst);
	is_int(bare_request(&t, STUN_BINDING), 52, "Binding: 52 bytes for 20 (SOFTWARE fits)");
	ok(stun_has(&resp, SA_SOFTWARE), "... with SOFTWARE, which this config asks for");
	tc_init(&u, "alice", "secret123", "2001:db8::60", 49001);
	u.conn.client.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::60", u.conn.client.ip);
	n = bare_request(&u, STUN_BINDING);
	ok(n == 44 && code() == 0 && stun_has(&resp, SA_XOR_MAPPED_ADDRESS) &&
		   !stun_has(&resp, SA_SOFTWARE),
	   "IPv6 Binding: 44 bytes for 20, SOFTWARE left out (it would make 64)");
	is_int(bare_request(&t, TURN_ALLOCATE), 0,
	       "a bare Allocate (20 bytes): no 401, REALM and NONCE need 68");

	/* The smallest real Allocate: REQUESTED-TRANSPORT alone, 28 bytes. */
	tc_begin(&t, &b, TURN_ALLOCATE, STUN_REQUEST);
	stun_put_u32(&b, TURN_A_REQUESTED_TRANSPORT, 17u << 24);
	t.len = stun_end(&b);
	xfer(&t);
	n = fio.n ? fio.sent[0].len : 0;
	ok(t.len == 28 && code() == 401 && n <= 84 && stun_has(&resp, SA_REALM) &&
		   stun_has(&resp, SA_NONCE),
	   "Allocate of 28 bytes: 401 of %zu bytes (at most 84) with REALM and NONCE", n);
	ok(!stun_has(&resp, SA_PASSWORD_ALGORITHMS) && resp.alen[SA_NONCE] == TURN_NONCE_LEN_PLAIN,
	   "... without PASSWORD-ALGORITHMS (they need 92), a nonce without the cookie");
	take_nonce(&t);
	is_int(allocate(&t, 17, 0), 0, "the client authenticates with that nonce (MD5): success");
	refresh(&t, 0);
	u = t;
	u.conn.client.port = 49002;
	u.modern = true;
	is_int(allocate(&u, 17, 0), 400,
	       "echoing PASSWORD-ALGORITHMS under a nonce that came without them: 400");
	/* With FINGERPRINT the request is 36 bytes: room for the full 401. */
	tc_init(&u, "alice", "secret123", "203.0.113.60", 49003);
	allocate(&u, 17, 0);
	n = fio.sent[0].len;
	ok(code() == 401 && n <= 3 * 36 && stun_has(&resp, SA_PASSWORD_ALGORITHMS),
	   "Allocate of 36 bytes: a full 401 (%zu bytes, PASSWORD-ALGORITHMS)", n);
	{
		tc_begin(&u, &b, TURN_REFRESH, STUN_REQUEST);
		stun_put(&b, 0x7F31, NULL, 0);
		u.len = stun_end(&b);
		xfer(&u);
		ok(u.len == 24 && code() == 420 && fio.sent[0].len <= 72,
		   "an unknown attribute (24 bytes): 420 of %zu bytes", fio.sent[0].len);
	}

	/* A long realm cannot be sent to the smallest request over UDP; over
	 * TCP the source is validated and the answer whole. */
	cfg.realm = "a-realm-name-much-longer-than-thirty-two.example.org";
	tc_begin(&t, &b, TURN_ALLOCATE, STUN_REQUEST);
	stun_put_u32(&b, TURN_A_REQUESTED_TRANSPORT, 17u << 24);
	t.len = stun_end(&b);
	is_int(xfer(&t), 0, "a 52-character realm: no 401 to a 28-byte Allocate over UDP");
	ok(core.stats.unanswered > 0, "counted as unanswered");
	t.conn.transport = TURN_TCP;
	t.conn.io = &t;
	xfer(&t);
	ok(code() == 401 && stun_has(&resp, SA_PASSWORD_ALGORITHMS) && fio.sent[0].len > 84,
	   "over TCP: the whole 401 (%zu bytes)", fio.sent[0].len);
	cfg.realm = realm;
	cfg.software = false;
}

/* The per-source count of connections without an allocation (turn_io.c
 * closes what is over the cap). */
static void test_src_table(void)
{
	struct turn_src_table tab;
	struct stun_addr x, y;
	int taken = 0;

	memset(&tab, 0, sizeof(tab));
	peer_addr(&x, "203.0.113.70", 40000);
	peer_addr(&y, "203.0.113.71", 40000);
	for (int i = 0; i < 20; i++) {
		x.port = (uint16_t)(40000 + i);
		taken += turn_src_take(&tab, &x, 16);
	}
	is_int(taken, 16, "one source: 16 of 20 connections counted, whatever their ports");
	ok(turn_src_take(&tab, &y, 16), "another source is counted");
	turn_src_put(&tab, &x);
	ok(turn_src_take(&tab, &x, 16), "one given back: the next is counted");
	ok(!turn_src_take(&tab, &x, 16), "and then no more");
	ok(turn_src_take(&tab, &x, 0), "limit 0: no cap");
	turn_src_put(&tab, &x);
	for (int i = 0; i < 16; i++)
		turn_src_put(&tab, &x);
	turn_src_put(&tab, &y);
	is_int(tab.n_entries, 0, "every entry goes with its last connection");
	turn_src_free(&tab);
}

static void test_rate_limit(void)
{
	struct tclient t;
	int answered = 0;

	cfg.challenge_rate = 1; /* burst of 2 */
	tc_init(&t, "alice", "secret123", "203.0.113.30", 46000);
	for (int i = 0; i < 5; i++)
		answered += allocate(&t, 17, 0) == 401;
	is_int(answered, 2, "401s to one source are rate-limited (2 of 5 answered)");
	turn_core_set_time(&core, now_ms + 5000, wall);
	is_int(allocate(&t, 17, 0), 401, "the source is answered again later");
	/* Binding answers take from the same bucket. */
	answered = 0;
	for (int i = 0; i < 5; i++)
		answered += bare_request(&t, STUN_BINDING) != 0;
	is_int(answered, 1, "Binding to the same source: 1 of 5 answered (one token was left)");
	t.conn.client.port++;
	is_int(bare_request(&t, STUN_BINDING), 0, "another port of that address: no answer either");
	inet_pton(AF_INET, "203.0.113.31", t.conn.client.ip);
	ok(bare_request(&t, STUN_BINDING) != 0, "another source address is answered");
	turn_core_set_time(&core, now_ms + 10000, wall);
	inet_pton(AF_INET, "203.0.113.30", t.conn.client.ip);
	ok(bare_request(&t, STUN_BINDING) != 0, "the first source is answered again later");
	cfg.challenge_rate = 0;
	answered = 0;
	for (int i = 0; i < 50; i++)
		answered += bare_request(&t, STUN_BINDING) != 0;
	is_int(answered, 50, "challenge_rate 0: no limit (50 of 50)");
	turn_core_set_time(&core, now_ms, wall);
	cfg.challenge_rate = 0;
}

int main(void)
{
	setup();
	test_binding();
	test_challenge();
	test_allocate();
	test_lifecycle();
	test_quota();
	test_quota_entries();
	test_data();
	test_rfc6062();
	test_relay_to_relay(false);
	test_relay_to_relay(true);
	test_own_allowed();
	test_amplification();
	test_src_table();
	test_rate_limit();
	turn_core_free(&core);
	turn_shared_free(&shared);
	return tap_done();
}
