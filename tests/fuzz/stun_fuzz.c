// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for everything a TURN client or peer can send: the STUN
 * parser, the TURN core (as a UDP datagram on the 5-tuple of a live
 * allocation with a permission and a channel, and as TCP streams cut by the
 * stream framing into STUN and padded ChannelData frames), the RFC 6062
 * connection events, the peer data path (ChannelData / Data indication
 * building) and the timers. The same file is the _replay program of
 * `make check` (tests/fuzz/replay.c) for the seed corpus in
 * tests/fuzz/corpus/stun/.
 *
 * Mutated messages would all stop at authentication, so every STUN message
 * is signed again before the core sees it, with the test credentials
 * (turn_test_client.h): a NONCE whose value is the placeholder, 16 'x'
 * after the RFC 8489 cookie "obMatJos2AAAB" or 16 'x' alone, becomes a
 * valid nonce of that form; MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256
 * are computed again under the key of the message's USERNAME (alice's for
 * "alice" and for USERHASH; for "<expiry>:<name>" the shared secret's
 * password; otherwise alice's password) with MD5 or SHA-256 as its
 * PASSWORD-ALGORITHM says; FINGERPRINT last. So Allocate, Refresh,
 * CreatePermission, ChannelBind, Send, Connect and ConnectionBind are
 * fuzzed past authentication. A message without integrity stays as it is
 * (the unauthenticated answers), and so does one whose nonce is not the
 * placeholder (stale and forged nonces).
 *
 * Each input starts from the same state (a fresh core, its allocation, a
 * fixed clock, CONNECTION-IDs from 1), so a crash input replays alike.
 * Frames of a TCP stream go to the control connection, ConnectionBind
 * requests to a second (data) connection; a Connect is answered (made, or
 * failed when the transaction ID's last byte is odd) after its frame; a
 * peer then connects to the TCP allocation; the clock moves 31 s and 700 s.
 * tests/fuzz/stun_seeds.py writes the seeds for these paths.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "services/turn/stun.h"
#include "services/turn/turn_proto.h"
#include "tests/fuzz/stun_fuzz.h"
#include "tests/unit/turn/turn_test_client.h"

struct stun_fuzz_reach stun_fuzz_reach;

#define NOW_MS 1000000
#define WALL_S 1700000000

static struct turn_config cfg;
static struct turn_shared shared;
static struct turn_core core;
static struct fake_io fio;
static struct tclient cl;
static struct turn_conn tcp, tcp_data;
static uint8_t scratch[STUN_MAX_MSG];

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* --- signing again ---------------------------------------------------------------------------- */

/* The long-term key for the credentials msg names. */
static size_t resign_key(const uint8_t *msg, size_t len, size_t user_off, size_t ulen,
			 bool userhash, bool sha256, uint8_t key[32])
{
	char user[512], pass[48];
	int alg = sha256 ? STUN_PWALG_SHA256 : STUN_PWALG_MD5;
	size_t i = 0;

	if (userhash || !user_off || ulen >= sizeof(user))
		return stun_longterm_key(alg, "alice", 5, cfg.realm, cfg.password, key);
	memcpy(user, msg + user_off, ulen);
	user[ulen] = '\0';
	while (i < ulen && user[i] >= '0' && user[i] <= '9')
		i++;
	if (i > 0 && i < ulen && user[i] == ':') {
		uint8_t mac[20];

		stun_hmac_sha1(cfg.secret, strlen(cfg.secret), user, ulen, mac);
		cv_base64_encode(mac, 20, pass);
		return stun_longterm_key(alg, user, ulen, cfg.realm, pass, key);
	}
	return stun_longterm_key(alg, user, ulen, cfg.realm, cfg.password, key);
}

/* The MAC of msg[0..at) with the length field as if the message ended with
 * the vlen-byte attribute at at (RFC 8489 sections 14.5, 14.6). */
static void resign_mac(uint8_t *msg, size_t at, size_t vlen, bool sha256, const uint8_t *key,
		       size_t keylen)
{
	uint8_t mac[32];
	size_t ml = at + 4 + vlen - STUN_HDR_LEN;

	memcpy(scratch, msg, at);
	scratch[2] = (uint8_t)(ml >> 8);
	scratch[3] = (uint8_t)ml;
	if (sha256)
		stun_hmac_sha256(key, keylen, scratch, at, mac);
	else
		stun_hmac_sha1(key, keylen, scratch, at, mac);
	memcpy(msg + at + 4, mac, vlen);
}

/* Signs the STUN message msg[0..len) again (see the top of the file). */
static void resign(uint8_t *msg, size_t len)
{
	static const char cookie[] = "obMatJos2AAAB";
	size_t pos, user_off = 0, ulen = 0, mi = 0, mi256 = 0, fp = 0, mi256_len = 0;
	bool userhash = false, sha256 = false;
	int stage = 0;
	uint8_t key[32];
	size_t keylen = 0;

	if (len < STUN_HDR_LEN || (msg[0] & 0xC0) || STUN_HDR_LEN + (size_t)rd16(msg + 2) != len)
		return;
	for (pos = STUN_HDR_LEN; pos + 4 <= len;) {
		uint16_t at = rd16(msg + pos), al = rd16(msg + pos + 2);
		size_t padded = ((size_t)al + 3) & ~(size_t)3;
		uint8_t *v = msg + pos + 4;

		if (padded > len - pos - 4)
			return;
		if (at == STUN_A_FINGERPRINT) {
			if (al == 4 && pos + 8 == len)
				fp = pos;
			break;
		} else if (at == STUN_A_MESSAGE_INTEGRITY_SHA256 && stage < 2) {
			mi256 = pos;
			mi256_len = al;
			stage = 2;
		} else if (at == STUN_A_MESSAGE_INTEGRITY && stage == 0) {
			mi = pos;
			stage = 1;
		} else if (stage > 0) {
			/* after the integrity attributes: ignored */
		} else if (at == STUN_A_USERNAME && !user_off) {
			user_off = pos + 4;
			ulen = al;
		} else if (at == STUN_A_USERHASH) {
			userhash = true;
		} else if (at == STUN_A_PASSWORD_ALGORITHM && al == 4) {
			sha256 = rd16(v) == STUN_PWALG_SHA256;
		} else if (at == STUN_A_NONCE) {
			char n[TURN_NONCE_LEN + 1];
			bool full = al == TURN_NONCE_LEN && !memcmp(v, cookie, 13);
			const uint8_t *body = full ? v + 13 : v;

			if ((full || al == TURN_NONCE_LEN_PLAIN) &&
			    !memcmp(body, "xxxxxxxxxxxxxxxx", 16)) {
				turn_nonce_make(&cfg, &cl.conn.client, NOW_MS / 1000, full, n);
				memcpy(v, n, al);
			}
		}
		pos += 4 + padded;
	}
	if (mi || mi256)
		keylen = resign_key(msg, len, user_off, ulen, userhash, sha256, key);
	if (mi && mi + 24 <= len && rd16(msg + mi + 2) == 20)
		resign_mac(msg, mi, 20, false, key, keylen);
	if (mi256 && mi256_len >= 16 && mi256_len <= 32 && mi256 + 4 + mi256_len <= len)
		resign_mac(msg, mi256, mi256_len, true, key, keylen);
	if (fp) {
		uint32_t crc = stun_crc32(msg, fp) ^ 0x5354554Eu;

		msg[fp + 4] = (uint8_t)(crc >> 24);
		msg[fp + 5] = (uint8_t)(crc >> 16);
		msg[fp + 6] = (uint8_t)(crc >> 8);
		msg[fp + 7] = (uint8_t)crc;
	}
}

/* --- the state each input starts from ------------------------------------------------------ */

static void request(uint16_t method, uint16_t ch)
{
	struct stun_builder b;
	struct stun_addr p;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.port = 5000;
	memcpy(p.ip, "\x08\x08\x08\x08", 4);
	tc_begin(&cl, &b, method, STUN_REQUEST);
	if (method == TURN_ALLOCATE)
		stun_put_u32(&b, TURN_A_REQUESTED_TRANSPORT, 17u << 24);
	if (method == TURN_CHANNEL_BIND)
		stun_put_u32(&b, TURN_A_CHANNEL_NUMBER, (uint32_t)ch << 16);
	if (method != TURN_ALLOCATE)
		stun_put_xaddr(&b, TURN_A_XOR_PEER_ADDRESS, &p);
	tc_end(&cl, &b, true);
	fio.n = 0;
	turn_core_input(&core, &cl.conn, cl.buf, cl.len);
}

/* Log lines are formatted and dropped: "refused peer" every run would slow
 * the fuzzer down (each input has a fresh core, so no line is held back). */
static void log_nowhere(int level, const char *msg, void *opaque)
{
}

static void configure(void)
{
	cv_log_set_sink(log_nowhere, NULL);
	tc_config(&cfg);
	cfg.user_quota = 10;
	cfg.total_quota = 100;
	cfg.max_permissions = 8;
	cfg.max_channels = 8;
	cfg.challenge_rate = 0;
	memset(cfg.nonce_key, 3, sizeof(cfg.nonce_key));
	turn_policy_add_own(&cfg.policy, &cfg.relay4);
	tc_init(&cl, "alice", "secret123", "203.0.113.5", 40000);
	turn_nonce_make(&cfg, &cl.conn.client, NOW_MS / 1000, true, cl.nonce);
	tcp = cl.conn;
	tcp.transport = TURN_TCP;
	tcp.io = &tcp;
	tcp_data = tcp;
	tcp_data.client.port++;
	tcp_data.io = &tcp_data;
}

/* A fresh core with a live allocation, a permission and channel 0x4001 to
 * 8.8.8.8:5000 on the UDP 5-tuple of cl. */
static void start(void)
{
	memset(&fio, 0, sizeof(fio));
	turn_shared_init(&shared);
	turn_core_init(&core, &cfg, &shared, &fake_ops, &fio, cfg.port_lo, cfg.port_hi);
	memset(core.tid_salt, 0, sizeof(core.tid_salt)); /* CONNECTION-IDs 1, 2, ... */
	turn_core_set_time(&core, NOW_MS, WALL_S);
	cl.seq = 0;
	request(TURN_ALLOCATE, 0);
	request(TURN_CHANNEL_BIND, 0x4001);
}

static void finish(void)
{
	stun_fuzz_reach.stats = core.stats;
	stun_fuzz_reach.peer_sends = fio.peer_sends;
	stun_fuzz_reach.tcp_bound = fio.tcp_bound;
	turn_core_conn_closed(&core, &tcp);
	turn_core_conn_closed(&core, &tcp_data);
	turn_core_free(&core);
	turn_shared_free(&shared);
}

/* --- the input ------------------------------------------------------------------------------ */

/* One frame of the TCP stream: ConnectionBind on the data connection, the
 * rest on the control connection; a Connect is answered at once. */
static void stream_frame(uint8_t *f, size_t n)
{
	bool bind = n >= STUN_HDR_LEN && stun_type(TURN_CONNECTION_BIND, STUN_REQUEST) == rd16(f);

	resign(f, n);
	fio.n = 0;
	fio.connecting = NULL;
	turn_core_input(&core, bind ? &tcp_data : &tcp, f, n);
	if (fio.connecting)
		turn_core_tcp_connected(&core, fio.connecting,
					n >= STUN_HDR_LEN && (f[19] & 1) ? -ECONNREFUSED : 0);
}

static void peer_data(struct turn_alloc *a, const uint8_t *data, size_t size, uint16_t port)
{
	uint8_t *p = xmalloc(TURN_HEADROOM + size + TURN_TAILROOM);
	struct stun_addr peer;

	memset(&peer, 0, sizeof(peer));
	peer.family = AF_INET;
	peer.port = port;
	memcpy(peer.ip, "\x08\x08\x08\x08", 4);
	memcpy(p + TURN_HEADROOM, data, size);
	fio.n = 0;
	turn_core_peer_input(&core, a, &peer, p + TURN_HEADROOM, size);
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct stun_msg m;
	struct turn_alloc *a;
	uint8_t *buf;
	size_t off = 0;

	if (!ready) {
		configure();
		ready = true;
	}
	if (size > STUN_MAX_MSG + 64)
		return 0;
	start();
	stun_parse(data, size, &m);

	/* As a UDP datagram on the allocation's 5-tuple. */
	buf = xmalloc(size + 1);
	memcpy(buf, data, size);
	resign(buf, size);
	fio.n = 0;
	turn_core_input(&core, &cl.conn, buf, size);

	/* As a TCP stream (a fresh 5-tuple: Allocate works there). */
	memcpy(buf, data, size);
	while (off < size) {
		long f = turn_frame_len(buf + off, size - off);

		if (f <= 0 || (size_t)f > size - off)
			break;
		stream_frame(buf + off, (size_t)f);
		off += (size_t)f;
	}
	/* A peer connects to the stream's TCP allocation, if it made one. */
	a = turn_core_find(&core, &tcp);
	if (a && a->tcp) {
		struct stun_addr peer;

		memset(&peer, 0, sizeof(peer));
		peer.family = AF_INET;
		peer.port = 5000;
		memcpy(peer.ip, "\x08\x08\x08\x08", 4);
		fio.n = 0;
		turn_core_tcp_accepted(&core, a, &peer, &fio);
	}
	free(buf);

	/* As peer data, from the channel's peer and from another one. */
	a = turn_core_find(&core, &cl.conn);
	if (a && size <= 4000)
		peer_data(a, data, size, size & 1 ? 5000 : 5001);
	a = turn_core_find(&core, &tcp);
	if (a && !a->tcp && size <= 4000)
		peer_data(a, data, size, 5000);

	/* Timers: RFC 6062's 30 s, then every lifetime. */
	turn_core_set_time(&core, NOW_MS + 31000, WALL_S + 31);
	turn_core_tick(&core);
	turn_core_set_time(&core, NOW_MS + 700000, WALL_S + 700);
	turn_core_tick(&core);
	finish();
	return 0;
}
