// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The STUN codec against published vectors: RFC 5769 (sections 2.1-2.4:
 * short-term and long-term MESSAGE-INTEGRITY, FINGERPRINT, IPv4 and IPv6
 * XOR-MAPPED-ADDRESS) and RFC 8489 Appendix B.1 as corrected by errata 6268
 * (USERHASH, PASSWORD-ALGORITHM SHA-256, MESSAGE-INTEGRITY-SHA256); the
 * builder reproduces the RFC 5769 responses byte for byte. Plus the parser's
 * refusals, the message type interleaving, stream framing and base64.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "services/turn/stun.h"
#include "services/turn/turn_proto.h"
#include "tests/unit/tap.h"

#include "tests/unit/turn/rfc5769.h"

/* Section 2.2. */
static const char sample_v4[] = "01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
				"80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
				"00 20 00 08 00 01 a1 47 e1 12 a6 43"
				"00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7"
				"80 28 00 04 c0 7d 4c 96";

/* Section 2.3. */
static const char sample_v6[] =
	"01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
	"80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
	"00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9"
	"00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41"
	"80 28 00 04 c8 fb 0b 4c";

/* Section 2.4. */
static const char sample_lt[] =
	"00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e"
	"00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00"
	"00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 "
	"73 41"
	"00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00"
	"00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66";

/* RFC 8489 Appendix B.1 with errata 6268. */
static const char sample_b1[] =
	"00 01 00 90 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e"
	"00 1e 00 20 4a 3c f3 8f ef 69 92 bd a9 52 c6 78 04 17 da 0f 24 81 94 15 56 9e 60 b2 05 c4 "
	"6e 41 40 7f 17 04"
	"00 15 00 29 6f 62 4d 61 74 4a 6f 73 32 41 41 41 43 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f "
	"4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41 00 00 00"
	"00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00"
	"00 1d 00 04 00 02 00 00"
	"00 1c 00 20 b5 c7 bf 00 5b 6c 52 a2 1c 51 c5 e8 92 f8 19 24 13 62 96 cb 92 7c 43 14 93 09 "
	"27 8c c6 51 8e 65";

static const char short_pw[] = "VOkJxbRl1RmTxUk/WvJxBt";
/* "マトリックス" in UTF-8 */
static const char matrix_user[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf"
				  "\xe3\x82\xb9";

static void test_request(void)
{
	uint8_t b[256];
	size_t n = unhex(sample_request, b), ul;
	struct stun_msg m;
	const uint8_t *u;

	is_int(n, 108, "2.1: 108 bytes");
	is_int(stun_parse(b, n, &m), 0, "2.1: parses (FINGERPRINT checks)");
	is_int(m.method, STUN_BINDING, "2.1: Binding");
	is_int(m.cls, STUN_REQUEST, "2.1: request");
	u = stun_attr(&m, SA_USERNAME, &ul);
	ok(u && ul == 9 && !memcmp(u, "evtj:h6vY", 9), "2.1: USERNAME evtj:h6vY");
	ok(m.fp_at != 0, "2.1: FINGERPRINT found");
	ok(stun_check_integrity(&m, false, (const uint8_t *)short_pw, strlen(short_pw)),
	   "2.1: MESSAGE-INTEGRITY checks with the short-term password");
	ok(!stun_check_integrity(&m, false, (const uint8_t *)"VOkJxbRl1RmTxUk/WvJxBT", 22),
	   "2.1: a wrong password does not check");
	is_int(m.n_unknown, 0, "2.1: PRIORITY and ICE-CONTROLLED are not comprehension-required "
			       "unknowns");
	b[30] ^= 1;
	is_int(stun_parse(b, n, &m), -EBADMSG, "2.1: a changed byte breaks FINGERPRINT");
}

static void test_response(const char *hex, const char *ip, int family, const char *what)
{
	uint8_t b[256], out[256];
	size_t n = unhex(hex, b), on;
	struct stun_msg m;
	struct stun_addr a, want;
	struct stun_builder bl;

	memset(&want, 0, sizeof(want));
	want.family = (uint16_t)family;
	want.port = 32853;
	inet_pton(family, ip, want.ip);
	is_int(stun_parse(b, n, &m), 0, "%s: parses", what);
	is_int(m.cls, STUN_SUCCESS, "%s: success response", what);
	ok(stun_check_integrity(&m, false, (const uint8_t *)short_pw, strlen(short_pw)),
	   "%s: MESSAGE-INTEGRITY checks", what);
	ok(stun_xaddr_decode(m.buf + m.off[SA_XOR_MAPPED_ADDRESS], m.alen[SA_XOR_MAPPED_ADDRESS],
			     m.tid, &a) == 0 &&
		   stun_addr_equal(&a, &want, true),
	   "%s: XOR-MAPPED-ADDRESS %s port 32853", what, ip);
	/* The builder writes the same bytes (the RFC pads SOFTWARE with a
	 * space; padding may be anything, ours is zero, so put it in). */
	stun_begin(&bl, out, sizeof(out), STUN_BINDING, STUN_SUCCESS, b + 8);
	stun_put(&bl, STUN_A_SOFTWARE, "test vector", 11);
	out[STUN_HDR_LEN + 4 + 11] = 0x20;
	stun_put_xaddr(&bl, STUN_A_XOR_MAPPED_ADDRESS, &want);
	stun_put_integrity(&bl, (const uint8_t *)short_pw, strlen(short_pw));
	stun_put_fingerprint(&bl);
	on = stun_end(&bl);
	ok(on == n && !memcmp(out, b, n), "%s: the builder reproduces the RFC's bytes", what);
}

static void test_long_term(void)
{
	uint8_t b[256], key[32];
	size_t n = unhex(sample_lt, b), kl;
	struct stun_msg m;

	is_int(stun_parse(b, n, &m), 0, "2.4: parses");
	ok(m.fp_at == 0, "2.4: no FINGERPRINT");
	kl = stun_longterm_key(STUN_PWALG_MD5, matrix_user, strlen(matrix_user), "example.org",
			       "TheMatrIX", key);
	is_int(kl, 16, "2.4: MD5 key is 16 bytes");
	ok(stun_check_integrity(&m, false, key, kl), "2.4: integrity under MD5(user:realm:pass)");
	stun_longterm_key(STUN_PWALG_MD5, matrix_user, strlen(matrix_user), "example.org",
			  "TheMatrix", key);
	ok(!stun_check_integrity(&m, false, key, kl), "2.4: a wrong password does not check");
}

static void test_b1(void)
{
	uint8_t b[256], key[32], uh[32];
	size_t n = unhex(sample_b1, b), kl, hl;
	struct stun_msg m;
	const uint8_t *h;

	is_int(stun_parse(b, n, &m), 0, "B.1: parses");
	ok(m.mi256_at != 0 && m.mi_at == 0, "B.1: MESSAGE-INTEGRITY-SHA256 only");
	stun_userhash(matrix_user, strlen(matrix_user), "example.org", uh);
	h = stun_attr(&m, SA_USERHASH, &hl);
	ok(h && hl == 32 && !memcmp(h, uh, 32), "B.1: USERHASH = SHA-256(user:realm)");
	kl = stun_longterm_key(STUN_PWALG_SHA256, matrix_user, strlen(matrix_user), "example.org",
			       "TheMatrIX", key);
	is_int(kl, 32, "B.1: SHA-256 key is 32 bytes");
	ok(stun_check_integrity(&m, true, key, kl), "B.1: MESSAGE-INTEGRITY-SHA256 checks");
	key[0] ^= 1;
	ok(!stun_check_integrity(&m, true, key, kl), "B.1: a wrong key does not check");
	ok(!stun_check_integrity(&m, false, key, kl), "B.1: no MESSAGE-INTEGRITY to check");
}

static void test_junk(void)
{
	uint8_t b[256];
	size_t n = unhex(sample_request, b);
	struct stun_msg m;

	ok(stun_parse(b, 19, &m) < 0, "19 bytes are not a message");
	b[4] ^= 1;
	ok(stun_parse(b, n, &m) < 0, "a wrong magic cookie is refused");
	b[4] ^= 1;
	b[3] = 0x5c;
	ok(stun_parse(b, n, &m) < 0, "a length past the datagram is refused");
	b[3] = 0x58;
	ok(stun_parse(b, n - 4, &m) < 0, "a datagram shorter than the length is refused");
	b[23] = 0x40;
	ok(stun_parse(b, n, &m) < 0, "an attribute past the message is refused");
	b[23] = 0x10;
	b[0] = 0x80;
	ok(stun_parse(b, n, &m) < 0, "top bits set is refused");
	b[0] = 0;
	ok(stun_parse(b, n, &m) == 0, "restored vector parses again");
}

static void test_types(void)
{
	struct {
		uint16_t method, cls, type;
	} v[] = {
		{ STUN_BINDING, STUN_REQUEST, 0x0001 },
		{ STUN_BINDING, STUN_SUCCESS, 0x0101 },
		{ STUN_BINDING, STUN_ERROR, 0x0111 },
		{ TURN_ALLOCATE, STUN_REQUEST, 0x0003 },
		{ TURN_ALLOCATE, STUN_ERROR, 0x0113 },
		{ TURN_SEND, STUN_INDICATION, 0x0016 },
		{ TURN_DATA, STUN_INDICATION, 0x0017 },
		{ TURN_CHANNEL_BIND, STUN_SUCCESS, 0x0109 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		is_int(stun_type(v[i].method, v[i].cls), v[i].type, "type 0x%04x", v[i].type);
}

static void test_misc(void)
{
	uint8_t f[8] = { 0x40, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l' };

	is_int(stun_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u, "CRC-32 check value");
	/* Base64 is lib/base64.c's (tests/unit/lib/test_file.c has the
	 * RFC 4648 vectors). */
	is_int(turn_frame_len(f, 3), 0, "framing: 3 bytes are not enough to tell");
	is_int(turn_frame_len(f, 8), 12, "framing: ChannelData of 5 bytes is 12 with padding");
	f[0] = 0x00;
	f[1] = 0x01;
	f[2] = 0x00;
	f[3] = 0x08;
	is_int(turn_frame_len(f, 8), 28, "framing: STUN of length 8 is 28 bytes");
	f[0] = 0xC0;
	is_int(turn_frame_len(f, 8), -1, "framing: neither STUN nor ChannelData");
	is_int(stun_classify(f, 1), STUN_KIND_OTHER, "0xC0 is not ours (RFC 7983)");
}

int main(void)
{
	test_request();
	test_response(sample_v4, "192.0.2.1", AF_INET, "2.2 IPv4");
	test_response(sample_v6, "2001:db8:1234:5678:11:2233:4455:6677", AF_INET6, "2.3 IPv6");
	test_long_term();
	test_b1();
	test_junk();
	test_types();
	test_misc();
	return tap_done();
}
