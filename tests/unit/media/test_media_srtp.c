// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SRTP/SRTCP of a DTLS-SRTP association (media_srtp.h): both roles from
 * one set of exported keys talk to each other in both directions, for
 * both profiles GnuTLS negotiates; a replay is a duplicate, a changed byte
 * an authentication failure; the engine may re-send a packet it sent
 * (allow_repeat_tx, the NACK answer without RTX); the size checks.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "services/media/media_srtp.h"
#include "tests/unit/tap.h"

static struct cv_srtp_keys keys(enum cv_srtp_profile p)
{
	struct cv_srtp_keys k = { .profile = p, .key_len = 16, .salt_len = 14 };

	for (int i = 0; i < 16; i++) {
		k.client_key[i] = (uint8_t)(i + 1);
		k.server_key[i] = (uint8_t)(0xa0 + i);
	}
	for (int i = 0; i < 14; i++) {
		k.client_salt[i] = (uint8_t)(0x30 + i);
		k.server_salt[i] = (uint8_t)(0xc0 + i);
	}
	return k;
}

/* An Opus-like RTP packet: PT 111, the given sequence number. */
static size_t rtp(uint8_t *b, uint16_t seq, uint32_t ssrc)
{
	memset(b, 0, 64);
	b[0] = 0x80;
	b[1] = 111;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = 0;
	b[7] = 160;
	b[8] = (uint8_t)(ssrc >> 24);
	b[9] = (uint8_t)(ssrc >> 16);
	b[10] = (uint8_t)(ssrc >> 8);
	b[11] = (uint8_t)ssrc;
	for (int i = 12; i < 52; i++)
		b[i] = (uint8_t)(i * 7);
	return 52;
}

/* A PLI (RFC 4585 6.3.1): PT 206, FMT 1. */
static size_t pli(uint8_t *b)
{
	static const uint8_t p[] = { 0x81, 206, 0, 2, 0, 0, 0, 1, 0x11, 0x22, 0x33, 0x44 };

	memcpy(b, p, sizeof(p));
	return sizeof(p);
}

static void roundtrip(enum cv_srtp_profile prof, const char *name)
{
	struct cv_srtp_keys k = keys(prof);
	struct media_srtp eng, peer;
	uint8_t b[256], plain[256], copy[256];
	size_t n, pn, cn;

	ok(media_srtp_init(&eng, &k, true) == 0 && media_srtp_init(&peer, &k, false) == 0,
	   "%s: sessions for the engine (DTLS server) and the browser (client)", name);
	pn = rtp(plain, 1000, 0x11223344);
	memcpy(b, plain, pn);
	n = pn;
	ok(media_srtp_protect(&peer, b, &n, sizeof(b), false) == 0 &&
		   n == pn + (prof == CV_SRTP_AES128_CM_HMAC_SHA1_80 ? 10 : 4),
	   "%s: the browser protects RTP (tag of %d bytes)", name,
	   prof == CV_SRTP_AES128_CM_HMAC_SHA1_80 ? 10 : 4);
	ok(memcmp(b + 12, plain + 12, pn - 12) != 0, "%s: the payload is encrypted", name);
	memcpy(copy, b, n);
	cn = n;
	ok(media_srtp_unprotect(&eng, b, &n, false) == 0 && n == pn && !memcmp(b, plain, pn),
	   "%s: the engine gets the plain packet back", name);
	n = cn;
	memcpy(b, copy, n);
	is_int(media_srtp_unprotect(&eng, b, &n, false), -EALREADY,
	       "%s: the same packet again is a duplicate", name);
	ok(eng.duplicates == 1 && eng.auth_failures == 0, "%s: counted as a duplicate", name);
	pn = rtp(plain, 1001, 0x11223344);
	memcpy(b, plain, pn);
	n = pn;
	media_srtp_protect(&peer, b, &n, sizeof(b), false);
	b[20] ^= 1;
	is_int(media_srtp_unprotect(&eng, b, &n, false), -EBADMSG,
	       "%s: a changed byte fails authentication", name);
	ok(eng.auth_failures == 1, "%s: counted as an authentication failure", name);

	/* The other way, and the engine re-sending a packet (NACK without RTX). */
	pn = rtp(plain, 7, 0xdeadbeef);
	memcpy(b, plain, pn);
	n = pn;
	ok(media_srtp_protect(&eng, b, &n, sizeof(b), false) == 0 &&
		   media_srtp_unprotect(&peer, b, &n, false) == 0 && !memcmp(b, plain, pn),
	   "%s: engine to browser", name);
	memcpy(b, plain, pn);
	n = pn;
	ok(media_srtp_protect(&eng, b, &n, sizeof(b), false) == 0,
	   "%s: the engine may protect the same packet again (a retransmission)", name);

	/* SRTCP both ways. */
	pn = pli(plain);
	memcpy(b, plain, pn);
	n = pn;
	ok(media_srtp_protect(&eng, b, &n, sizeof(b), true) == 0 && n == pn + 4 + 10,
	   "%s: SRTCP adds the index and an 80-bit tag", name);
	ok(media_srtp_unprotect(&peer, b, &n, true) == 0 && n == pn && !memcmp(b, plain, pn),
	   "%s: the browser reads the engine's PLI", name);
	memcpy(b, plain, pn);
	n = pn;
	ok(media_srtp_protect(&peer, b, &n, sizeof(b), true) == 0 &&
		   media_srtp_unprotect(&eng, b, &n, true) == 0 && n == pn,
	   "%s: the engine reads the browser's RTCP", name);
	media_srtp_free(&eng);
	media_srtp_free(&peer);
}

static void limits(void)
{
	struct cv_srtp_keys k = keys(CV_SRTP_AES128_CM_HMAC_SHA1_80);
	struct media_srtp s;
	uint8_t b[64];
	size_t n;

	media_srtp_init(&s, &k, true);
	n = rtp(b, 1, 1);
	is_int(media_srtp_protect(&s, b, &n, n + 4, false), -ENOSPC,
	       "protect without room for the trailer: -ENOSPC");
	n = 15;
	is_int(media_srtp_unprotect(&s, b, &n, false), -EBADMSG, "15 bytes are not SRTP");
	n = 21;
	is_int(media_srtp_unprotect(&s, b, &n, true), -EBADMSG, "21 bytes are not SRTCP");
	media_srtp_free(&s);
	k.key_len = 32;
	is_int(media_srtp_init(&s, &k, true), -EINVAL, "a 32-byte key (another profile) is refused");
	k = keys((enum cv_srtp_profile)0x0007);
	is_int(media_srtp_init(&s, &k, true), -EINVAL, "an AEAD profile GnuTLS cannot give is refused");
}

int main(void)
{
	ok(media_srtp_global_init() == 0 && media_srtp_global_init() == 0, "libsrtp starts once");
	roundtrip(CV_SRTP_AES128_CM_HMAC_SHA1_80, "CM-80");
	roundtrip(CV_SRTP_AES128_CM_HMAC_SHA1_32, "CM-32");
	limits();
	return tap_done();
}
