// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The media engine's ICE-lite agent and RFC 7983 demux (media_ice.h):
 * the RFC 5769 2.1 request (a real ICE check, from a controlled agent: a
 * role conflict for a lite agent), checks built as a browser builds them
 * (USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY,
 * FINGERPRINT), every refusal, selection and its move, consent, an ICE
 * restart, and the demux table.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "services/media/media_ice.h"
#include "tests/unit/tap.h"
#include "tests/unit/turn/rfc5769.h"

struct check {
	const char *username;
	const char *pwd;
	bool priority, fingerprint, integrity, use_candidate, controlled;
};

/* A Binding request as a browser's controlling agent sends it. */
static size_t build_check(const struct check *c, uint8_t *buf, size_t cap, uint8_t tid[12])
{
	struct stun_builder b;
	uint8_t tie[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	for (int i = 0; i < 12; i++)
		tid[i] = (uint8_t)(0x40 + i);
	stun_begin(&b, buf, cap, STUN_BINDING, STUN_REQUEST, tid);
	if (c->username)
		stun_put(&b, STUN_A_USERNAME, c->username, strlen(c->username));
	if (c->priority)
		stun_put_u32(&b, STUN_A_PRIORITY, 0x6e0001ff);
	stun_put(&b, c->controlled ? STUN_A_ICE_CONTROLLED : STUN_A_ICE_CONTROLLING, tie, 8);
	if (c->use_candidate)
		stun_put(&b, STUN_A_USE_CANDIDATE, NULL, 0);
	if (c->integrity)
		stun_put_integrity(&b, (const uint8_t *)c->pwd, strlen(c->pwd));
	if (c->fingerprint)
		stun_put_fingerprint(&b);
	return stun_end(&b);
}

static struct stun_addr addr4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct stun_addr x = { .family = AF_INET, .port = port };

	x.ip[0] = a;
	x.ip[1] = b;
	x.ip[2] = c;
	x.ip[3] = d;
	return x;
}

/* The response's class and code; for a success, its XOR-MAPPED-ADDRESS
 * and whether its integrity holds under pwd. */
static int response_code(const uint8_t *out, size_t n, const uint8_t *tid, const char *pwd,
			 struct stun_addr *mapped, bool *mi_ok)
{
	struct stun_msg m;
	const uint8_t *v;
	size_t vl;

	if (stun_parse(out, n, &m) < 0 || m.method != STUN_BINDING || !m.fp_at ||
	    memcmp(m.tid, tid, 12))
		return -1;
	if (m.cls == STUN_ERROR)
		return stun_error_code(&m);
	if (m.cls != STUN_SUCCESS)
		return -1;
	v = stun_attr(&m, SA_XOR_MAPPED_ADDRESS, &vl);
	if (!v || stun_xaddr_decode(v, vl, m.tid, mapped) < 0)
		return -1;
	*mi_ok = stun_check_integrity(&m, false, (const uint8_t *)pwd, strlen(pwd));
	return 200;
}

static void test_demux(void)
{
	static const struct {
		uint8_t b0, b1;
		enum media_pkt_kind want;
	} t[] = {
		{ 0x00, 0x01, MEDIA_PKT_STUN },	   { 0x01, 0x01, MEDIA_PKT_STUN },
		{ 0x03, 0x00, MEDIA_PKT_STUN },	   { 0x04, 0x00, MEDIA_PKT_UNKNOWN },
		{ 16, 0, MEDIA_PKT_UNKNOWN },	   { 19, 0, MEDIA_PKT_UNKNOWN },
		{ 20, 0xfe, MEDIA_PKT_DTLS },	   { 22, 0xfe, MEDIA_PKT_DTLS },
		{ 63, 0, MEDIA_PKT_DTLS },	   { 64, 0, MEDIA_PKT_UNKNOWN },
		{ 79, 0, MEDIA_PKT_UNKNOWN },	   { 127, 0, MEDIA_PKT_UNKNOWN },
		{ 0x80, 111, MEDIA_PKT_RTP },	   { 0x80, 96 | 0x80, MEDIA_PKT_RTP },
		{ 0x80, 200, MEDIA_PKT_RTCP },	   { 0x81, 205, MEDIA_PKT_RTCP },
		{ 0x81, 206, MEDIA_PKT_RTCP },	   { 0x80, 192, MEDIA_PKT_RTCP },
		{ 0x80, 223, MEDIA_PKT_RTCP },	   { 0x80, 224, MEDIA_PKT_RTP },
		{ 191, 0, MEDIA_PKT_RTP },	   { 192, 0, MEDIA_PKT_UNKNOWN },
		{ 255, 0, MEDIA_PKT_UNKNOWN },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t p[2] = { t[i].b0, t[i].b1 };

		is_int(media_demux(p, 2), t[i].want, "demux: first bytes %u %u", t[i].b0, t[i].b1);
	}
	is_int(media_demux(NULL, 0), MEDIA_PKT_UNKNOWN, "demux: an empty datagram");
	{
		uint8_t p[1] = { 0x80 };

		is_int(media_demux(p, 1), MEDIA_PKT_RTP, "demux: one byte 128 is RTP (too short "
							 "to be anything, the RTP layer refuses it)");
	}
}

static void test_rfc5769(void)
{
	struct media_ice ice;
	uint8_t req[256], out[MEDIA_ICE_RESPONSE_MAX];
	size_t n = unhex(sample_request, req), on;
	struct stun_addr from = addr4(192, 0, 2, 1, 32853), mapped;
	bool mi;
	char uf[MEDIA_ICE_UFRAG_MAX + 1];

	ok(media_ice_request_ufrag(req, n, uf) == 0 && !strcmp(uf, "evtj"),
	   "RFC 5769 2.1: the local ufrag of the request is evtj");
	media_ice_init(&ice, NULL);
	strcpy(ice.ufrag, "evtj");
	strcpy(ice.pwd, "VOkJxbRl1RmTxUk/WvJxBt");
	/* The sample pads USERNAME "evtj:h6vY" with spaces after its 9
	 * bytes; the remote ufrag is h6vY. */
	strcpy(ice.remote_ufrag, "h6vY");
	is_int(media_ice_input(&ice, req, n, &from, 0, out, sizeof(out), &on), MEDIA_ICE_ERROR,
	       "RFC 5769 2.1: integrity holds, but the request says ICE-CONTROLLED");
	is_int(response_code(out, on, req + 8, ice.pwd, &mapped, &mi), 487,
	       "RFC 5769 2.1: 487 role conflict (a lite agent is controlled)");
	strcpy(ice.pwd, "VOkJxbRl1RmTxUk/WvJxBu");
	media_ice_input(&ice, req, n, &from, 0, out, sizeof(out), &on);
	is_int(response_code(out, on, req + 8, ice.pwd, &mapped, &mi), 401,
	       "RFC 5769 2.1 under another password: 401");
}

static void test_checks(void)
{
	struct media_ice ice;
	uint8_t req[512], out[MEDIA_ICE_RESPONSE_MAX], tid[12];
	char user[600];
	struct stun_addr a = addr4(198, 51, 100, 7, 50000), b = addr4(203, 0, 113, 9, 40000), m;
	struct check c;
	size_t n, on;
	bool mi;

	ok(media_ice_init(&ice, "Rm0t") == 0, "init with the offer's ufrag");
	is_int((int)strlen(ice.ufrag), MEDIA_ICE_UFRAG_LEN, "our ufrag has %d characters",
	       MEDIA_ICE_UFRAG_LEN);
	is_int((int)strlen(ice.pwd), MEDIA_ICE_PWD_LEN, "our pwd has %d characters",
	       MEDIA_ICE_PWD_LEN);
	ok(strspn(ice.pwd, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") ==
		   MEDIA_ICE_PWD_LEN,
	   "our pwd is ice-chars only");
	ok(media_ice_init(&ice, "bad ufrag") == -EINVAL, "a remote ufrag with a space is refused");
	media_ice_init(&ice, "Rm0t");
	snprintf(user, sizeof(user), "%s:Rm0t", ice.ufrag);

	c = (struct check){ user, ice.pwd, true, true, true, false, false };
	n = build_check(&c, req, sizeof(req), tid);
	is_int(media_ice_input(&ice, req, n, &a, 1000, out, sizeof(out), &on), MEDIA_ICE_OK,
	       "a check without USE-CANDIDATE: success");
	ok(response_code(out, on, tid, ice.pwd, &m, &mi) == 200 && mi &&
		   stun_addr_equal(&m, &a, true),
	   "the success carries XOR-MAPPED-ADDRESS = the source, integrity under our pwd, "
	   "FINGERPRINT");
	ok(!ice.selected, "nothing is selected before USE-CANDIDATE");

	c.use_candidate = true;
	n = build_check(&c, req, sizeof(req), tid);
	is_int(media_ice_input(&ice, req, n, &a, 2000, out, sizeof(out), &on), MEDIA_ICE_SELECTED,
	       "USE-CANDIDATE selects the tuple");
	ok(ice.selected && stun_addr_equal(&ice.tuple, &a, true) && ice.consent_ms == 2000,
	   "the selected tuple is the source, consent at 2000");
	is_int(media_ice_input(&ice, req, n, &a, 3000, out, sizeof(out), &on), MEDIA_ICE_OK,
	       "the same nomination again: success, no new selection");
	is_int(media_ice_input(&ice, req, n, &b, 4000, out, sizeof(out), &on), MEDIA_ICE_SELECTED,
	       "a nomination from another address moves the selection");
	c.use_candidate = false;
	n = build_check(&c, req, sizeof(req), tid);
	media_ice_input(&ice, req, n, &a, 5000, out, sizeof(out), &on);
	ok(ice.consent_ms == 4000, "a check on a tuple that is not selected does not refresh consent");
	media_ice_input(&ice, req, n, &b, 6000, out, sizeof(out), &on);
	ok(ice.consent_ms == 6000, "a check on the selected tuple refreshes consent");
	ok(!media_ice_consent_expired(&ice, 6000 + MEDIA_ICE_CONSENT_MS),
	   "consent holds for 30 s");
	ok(media_ice_consent_expired(&ice, 6001 + MEDIA_ICE_CONSENT_MS),
	   "consent expires after 30 s without a check");

	/* Refusals. */
	c = (struct check){ user, ice.pwd, true, false, true, false, false };
	n = build_check(&c, req, sizeof(req), tid);
	media_ice_input(&ice, req, n, &a, 0, out, sizeof(out), &on);
	is_int(response_code(out, on, tid, ice.pwd, &m, &mi), 400, "no FINGERPRINT: 400");
	c = (struct check){ user, ice.pwd, false, true, true, false, false };
	n = build_check(&c, req, sizeof(req), tid);
	media_ice_input(&ice, req, n, &a, 0, out, sizeof(out), &on);
	is_int(response_code(out, on, tid, ice.pwd, &m, &mi), 400, "no PRIORITY: 400");
	c = (struct check){ user, ice.pwd, true, true, false, false, false };
	n = build_check(&c, req, sizeof(req), tid);
	media_ice_input(&ice, req, n, &a, 0, out, sizeof(out), &on);
	is_int(response_code(out, on, tid, ice.pwd, &m, &mi), 400, "no MESSAGE-INTEGRITY: 400");
	c = (struct check){ NULL, ice.pwd, true, true, true, false, false };
	n = build_check(&c, req, sizeof(req), tid);
	media_ice_input(&ice, req, n, &a, 0, out, sizeof(out), &on);
	is_int(response_code(out, on, tid, ice.pwd, &m, &mi), 400, "no USERNAME: 400");
	c = (struct check){ user, "wrong-password-wrong-pw", true, true, true, true, false };
	n = build_check(&c, req, sizeof(req), tid);
	media_ice_input(&ice, req, n, &a, 0, out, sizeof(out), &on);
	is_int(response_code(out, on, tid, ice.pwd, &m, &mi), 401, "a wrong password: 401");
	ok(stun_addr_equal(&ice.tuple, &b, true), "a refused nomination selects nothing");
	c = (struct check){ "nobody:Rm0t", ice.pwd, true, true, true, false, false };
	n = build_check(&c, req, sizeof(req), tid);
	media_ice_input(&ice, req, n, &a, 0, out, sizeof(out), &on);
	is_int(response_code(out, on, tid, ice.pwd, &m, &mi), 401, "another local ufrag: 401");
	snprintf(user, sizeof(user), "%s:Other", ice.ufrag);
	c = (struct check){ user, ice.pwd, true, true, true, false, false };
	n = build_check(&c, req, sizeof(req), tid);
	media_ice_input(&ice, req, n, &a, 0, out, sizeof(out), &on);
	is_int(response_code(out, on, tid, ice.pwd, &m, &mi), 401, "another remote ufrag: 401");
	snprintf(user, sizeof(user), "%s", ice.ufrag);
	c = (struct check){ user, ice.pwd, true, true, true, false, false };
	n = build_check(&c, req, sizeof(req), tid);
	media_ice_input(&ice, req, n, &a, 0, out, sizeof(out), &on);
	is_int(response_code(out, on, tid, ice.pwd, &m, &mi), 401, "USERNAME without a colon: 401");

	/* Not requests: ignored, nothing sent. */
	{
		struct stun_builder sb;

		stun_begin(&sb, req, sizeof(req), STUN_BINDING, STUN_SUCCESS, tid);
		stun_put_fingerprint(&sb);
		n = stun_end(&sb);
		is_int(media_ice_input(&ice, req, n, &a, 0, out, sizeof(out), &on),
		       MEDIA_ICE_IGNORED, "a Binding response is ignored");
		is_int((int)on, 0, "and nothing is sent");
		stun_begin(&sb, req, sizeof(req), STUN_BINDING, STUN_INDICATION, tid);
		n = stun_end(&sb);
		is_int(media_ice_input(&ice, req, n, &a, 0, out, sizeof(out), &on),
		       MEDIA_ICE_IGNORED, "a Binding indication is ignored");
		memset(req, 0xab, 64);
		req[0] = 0;
		is_int(media_ice_input(&ice, req, 64, &a, 0, out, sizeof(out), &on),
		       MEDIA_ICE_IGNORED, "garbage that starts like STUN is ignored");
	}
}

static void test_restart(void)
{
	struct media_ice ice;
	uint8_t req[512], out[MEDIA_ICE_RESPONSE_MAX], tid[12];
	char user_old[600], user_new[600], old_pwd[MEDIA_ICE_PWD_MAX + 1];
	struct stun_addr a = addr4(198, 51, 100, 7, 50000), m;
	struct check c;
	size_t n, on;
	bool mi;

	media_ice_init(&ice, "aaaa");
	snprintf(user_old, sizeof(user_old), "%s:aaaa", ice.ufrag);
	strcpy(old_pwd, ice.pwd);
	ok(media_ice_restart(&ice, "bbbb") == 0, "ICE restart with the new remote ufrag");
	ok(strcmp(ice.pwd, old_pwd) != 0, "new local credentials");
	snprintf(user_new, sizeof(user_new), "%s:bbbb", ice.ufrag);
	c = (struct check){ user_old, old_pwd, true, true, true, true, false };
	n = build_check(&c, req, sizeof(req), tid);
	ice.remote_ufrag[0] = '\0'; /* the old checks name the old remote ufrag */
	media_ice_input(&ice, req, n, &a, 0, out, sizeof(out), &on);
	ok(response_code(out, on, tid, old_pwd, &m, &mi) == 200 && mi,
	   "the old credentials answer until the new ones are used");
	c = (struct check){ user_new, ice.pwd, true, true, true, true, false };
	n = build_check(&c, req, sizeof(req), tid);
	media_ice_input(&ice, req, n, &a, 0, out, sizeof(out), &on);
	ok(response_code(out, on, tid, ice.pwd, &m, &mi) == 200 && mi,
	   "the new credentials answer");
	c = (struct check){ user_old, old_pwd, true, true, true, true, false };
	n = build_check(&c, req, sizeof(req), tid);
	media_ice_input(&ice, req, n, &a, 0, out, sizeof(out), &on);
	is_int(response_code(out, on, tid, old_pwd, &m, &mi), 401,
	       "after a check with the new ones the old ones are refused");
}

int main(void)
{
	test_demux();
	test_rfc5769();
	test_checks();
	test_restart();
	return tap_done();
}
