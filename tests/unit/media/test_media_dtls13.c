// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The regression test of spec/media.md 0.2: Chromium 156 offers DTLS 1.3
 * with a post-quantum key share (X25519MLKEM768, 1216 bytes, plus X25519),
 * which makes its ClientHello 1413 bytes; it sends it as two handshake
 * fragments in two datagrams. Here the body is 1373 bytes, fragmented at
 * 1175 (a 1200-byte first datagram) and 198. A DTLS
 * server that cannot reassemble a fragmented ClientHello, or chokes on the
 * hybrid group, fails silently (FreeSWITCH, mbedTLS, wolfSSL reports). The
 * media engine's DTLS server (cv_dtls on GnuTLS, certs/tls.h) must wait
 * for the second fragment, ignore the group it does not know and answer
 * with a DTLS 1.2 ServerHello and use_srtp.
 *
 * The ClientHello is built here in the shape Chromium sends (legacy
 * version DTLS 1.2, TLS 1.3 and ECDHE-ECDSA suites, supported_versions
 * DTLS 1.3 + 1.2, supported_groups X25519MLKEM768 + X25519 + P-256,
 * key_share for the first two, use_srtp with CM-80 and the AEAD profiles,
 * extended master secret, renegotiation_info).
 */
#include "config.h"

#include <string.h>

#include "certs/tls.h"
#include "services/media/media_util.h"
#include "tests/unit/tap.h"

static uint8_t hello[2048];
static size_t hello_len;
static uint8_t sent[16][2048];
static size_t sent_len[16], n_sent;

static int on_send(void *arg, const uint8_t *buf, size_t len)
{
	(void)arg;
	if (n_sent < 16 && len <= sizeof(sent[0])) {
		memcpy(sent[n_sent], buf, len);
		sent_len[n_sent++] = len;
	}
	return 0;
}

static void on_hs(struct cv_dtls *d, int status, void *arg)
{
	(void)d;
	(void)status;
	(void)arg;
}

static void on_data(struct cv_dtls *d, const uint8_t *buf, size_t len, void *arg)
{
	(void)d;
	(void)buf;
	(void)len;
	(void)arg;
}

static const struct cv_dtls_ops ops = { on_send, on_hs, on_data };

static size_t put(uint8_t *p, size_t at, const void *v, size_t n)
{
	if (n) /* an empty extension has no value pointer: memcpy(.., NULL, 0) is UB */
		memcpy(p + at, v, n);
	return at + n;
}

static size_t ext(uint8_t *p, size_t at, uint16_t type, const uint8_t *v, size_t n)
{
	md_put16(p + at, type);
	md_put16(p + at + 2, (uint16_t)n);
	return put(p, at + 4, v, n);
}

/* The ClientHello body (without the handshake header). */
static void build_hello(void)
{
	static const uint8_t suites[] = { 0, 6, 0x13, 0x01, 0xc0, 0x2b, 0xc0, 0x2f };
	static const uint8_t groups[] = { 0, 6, 0x11, 0xec, 0x00, 0x1d, 0x00, 0x17 };
	static const uint8_t versions[] = { 4, 0xfe, 0xfc, 0xfe, 0xfd };
	static const uint8_t sigalgs[] = { 0, 8, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03 };
	static const uint8_t points[] = { 1, 0 };
	static const uint8_t srtp[] = { 0, 6, 0x00, 0x07, 0x00, 0x08, 0x00, 0x01, 0 };
	static const uint8_t reneg[] = { 0 };
	uint8_t ks[2 + 4 + 1216 + 4 + 32];
	uint8_t *p = hello;
	size_t at = 0, ext_at;

	md_put16(p, 0xfefd); /* legacy_version: DTLS 1.2 */
	at = 2;
	for (int i = 0; i < 32; i++)
		p[at++] = (uint8_t)(i * 37 + 1);
	p[at++] = 0; /* session id */
	p[at++] = 0; /* cookie */
	at = put(p, at, suites, sizeof(suites));
	p[at++] = 1;
	p[at++] = 0; /* null compression */
	ext_at = at;
	at += 2;
	at = ext(p, at, 0x0017, NULL, 0);		       /* extended_master_secret */
	at = ext(p, at, 0xff01, reneg, sizeof(reneg));	       /* renegotiation_info */
	at = ext(p, at, 0x000a, groups, sizeof(groups));       /* supported_groups */
	at = ext(p, at, 0x000b, points, sizeof(points));       /* ec_point_formats */
	at = ext(p, at, 0x000d, sigalgs, sizeof(sigalgs));     /* signature_algorithms */
	at = ext(p, at, 0x000e, srtp, sizeof(srtp));	       /* use_srtp */
	at = ext(p, at, 0x002b, versions, sizeof(versions));   /* supported_versions */
	/* key_share: X25519MLKEM768 (1216 bytes) and X25519 (32). */
	md_put16(ks, sizeof(ks) - 2);
	md_put16(ks + 2, 0x11ec);
	md_put16(ks + 4, 1216);
	for (int i = 0; i < 1216; i++)
		ks[6 + i] = (uint8_t)(i * 13 + 7);
	md_put16(ks + 6 + 1216, 0x001d);
	md_put16(ks + 8 + 1216, 32);
	for (int i = 0; i < 32; i++)
		ks[10 + 1216 + i] = (uint8_t)(i * 29 + 3);
	at = ext(p, at, 0x0033, ks, sizeof(ks));
	md_put16(p + ext_at, (uint16_t)(at - ext_at - 2));
	hello_len = at;
}

/* One datagram: a DTLS 1.0 record (as first ClientHellos are) holding
 * the fragment [off, off + len) of the ClientHello. */
static size_t record(uint8_t *d, uint64_t seq, size_t off, size_t len)
{
	d[0] = 22; /* handshake */
	md_put16(d + 1, 0xfeff);
	md_put16(d + 3, 0);			  /* epoch */
	md_put16(d + 5, (uint16_t)(seq >> 32));
	md_put32(d + 7, (uint32_t)seq);
	md_put16(d + 11, (uint16_t)(12 + len));
	d[13] = 1; /* client_hello */
	md_put24(d + 14, (uint32_t)hello_len);
	md_put16(d + 17, 0);			  /* message_seq */
	md_put24(d + 19, (uint32_t)off);
	md_put24(d + 22, (uint32_t)len);
	memcpy(d + 25, hello + off, len);
	return 25 + len;
}

int main(void)
{
	struct cv_tls_config cfg;
	struct cv_tls_creds *creds = NULL;
	struct cv_dtls *d = NULL;
	char err[256];
	uint8_t dg[2048];
	size_t n, first = 1175;
	bool server_hello = false, srtp = false;

	build_hello();
	ok(hello_len + 25 > 1200, "the ClientHello (%zu bytes) does not fit one 1200-byte datagram",
	   hello_len);
	cv_tls_config_init(&cfg, true);
	ok(cv_tls_creds_ephemeral(&cfg, &creds, err, sizeof(err)) == 0, "server credentials (%s)",
	   err);
	ok(creds && cv_dtls_new(creds, true, NULL, &ops, NULL, &d) == 0 && cv_dtls_start(d) == 0,
	   "a DTLS server as the media engine runs it");
	if (!d)
		return tap_done();

	n = record(dg, 0, 0, first);
	ok(n <= 1200, "the first datagram (%zu bytes) fits the path MTU", n);
	cv_dtls_input(d, dg, n);
	is_int((int)n_sent, 0, "after the first fragment the server waits for the rest");
	n = record(dg, 1, first, hello_len - first);
	cv_dtls_input(d, dg, n);
	ok(n_sent > 0, "after the second fragment the server answers (%zu datagrams; %s)", n_sent,
	   cv_dtls_error(d));
	/* The first record of the answer: handshake, DTLS 1.2, a ServerHello
	 * whose version is DTLS 1.2, with use_srtp among its extensions. */
	if (n_sent) {
		const uint8_t *r = sent[0];

		server_hello = sent_len[0] > 25 + 2 && r[0] == 22 && md_get16(r + 1) == 0xfefd &&
			       r[13] == 2 && md_get16(r + 25) == 0xfefd;
		for (size_t i = 0; i + 6 <= sent_len[0]; i++)
			if (md_get16(r + i) == 0x000e && md_get16(r + i + 2) == 5 &&
			    md_get16(r + i + 4) == 2 && md_get16(r + i + 6) == 0x0001)
				srtp = true;
	}
	ok(server_hello, "the answer is a DTLS 1.2 ServerHello (the 1.3 offer and the "
			 "X25519MLKEM768 share are ignored)");
	ok(srtp, "the ServerHello selects SRTP_AES128_CM_HMAC_SHA1_80 from the offered profiles");
	cv_dtls_free(d);
	cv_tls_creds_unref(creds);
	return tap_done();
}
