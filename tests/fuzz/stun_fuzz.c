// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for everything a TURN client or peer can send: the STUN
 * parser, the TURN core (as a UDP datagram and as a TCP stream cut by the
 * stream framing into STUN and padded ChannelData frames) on the 5-tuple of
 * a live allocation with a permission and a channel, and the peer data path
 * (ChannelData / Data indication building). The same file is the _replay
 * program of `make check` (tests/fuzz/replay.c) for the seed corpus in
 * tests/fuzz/corpus/stun/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "services/turn/stun.h"
#include "services/turn/turn_proto.h"
#include "tests/unit/turn/turn_test_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct turn_config cfg;
static struct turn_shared shared;
static struct turn_core core;
static struct fake_io fio;
static struct tclient cl;
static struct turn_conn tcp;

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

static void init(void)
{
	struct stun_msg m;

	tc_config(&cfg);
	cfg.user_quota = 10;
	cfg.total_quota = 100;
	cfg.max_permissions = 8;
	cfg.max_channels = 8;
	memset(cfg.nonce_key, 3, sizeof(cfg.nonce_key));
	turn_shared_init(&shared);
	turn_core_init(&core, &cfg, &shared, &fake_ops, &fio, cfg.port_lo, cfg.port_hi);
	turn_core_set_time(&core, 1000000, 1700000000);
	/* A live allocation with a permission and channel 0x4001 to 8.8.8.8:5000. */
	tc_init(&cl, "alice", "secret123", "203.0.113.5", 40000);
	request(TURN_ALLOCATE, 0);
	if (fio.n && stun_parse(fio.sent[0].buf, fio.sent[0].len, &m) == 0) {
		size_t n;
		const uint8_t *v = stun_attr(&m, SA_NONCE, &n);

		if (v && n < sizeof(cl.nonce)) {
			memcpy(cl.nonce, v, n);
			cl.nonce[n] = '\0';
		}
	}
	request(TURN_ALLOCATE, 0);
	request(TURN_CHANNEL_BIND, 0x4001);
	tcp = cl.conn;
	tcp.transport = TURN_TCP;
	tcp.io = &tcp;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct stun_msg m;
	struct turn_alloc *a;
	struct stun_addr peer;
	uint8_t *buf;
	size_t off = 0;

	if (!ready) {
		init();
		ready = true;
	}
	if (size > STUN_MAX_MSG + 64)
		return 0;
	stun_parse(data, size, &m);

	/* As a UDP datagram on the allocation's 5-tuple. */
	buf = xmalloc(size + 1);
	memcpy(buf, data, size);
	fio.n = 0;
	turn_core_input(&core, &cl.conn, buf, size);

	/* As a TCP stream. */
	memcpy(buf, data, size);
	while (off < size) {
		long f = turn_frame_len(buf + off, size - off);

		if (f <= 0 || (size_t)f > size - off)
			break;
		fio.n = 0;
		turn_core_input(&core, &tcp, buf + off, (size_t)f);
		off += (size_t)f;
	}
	turn_core_conn_closed(&core, &tcp);
	free(buf);

	/* As peer data, from the channel's peer and from another one. */
	a = turn_core_find(&core, &cl.conn);
	if (a && size <= 4000) {
		uint8_t *p = xmalloc(TURN_HEADROOM + size + TURN_TAILROOM);

		memset(&peer, 0, sizeof(peer));
		peer.family = AF_INET;
		peer.port = size & 1 ? 5000 : 5001;
		memcpy(peer.ip, "\x08\x08\x08\x08", 4);
		memcpy(p + TURN_HEADROOM, data, size);
		fio.n = 0;
		turn_core_peer_input(&core, a, &peer, p + TURN_HEADROOM, size);
		free(p);
	}
	return 0;
}
