// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Authentication of the TURN core: see turn_auth.h.
 *
 * Decisions:
 *  - Every request but Binding needs the long-term credential mechanism.
 *    Nonces are stateless: the cookie "obMatJos2", the security feature set
 *    "AAAB" (bit 0, "password algorithms", as the least significant bit:
 *    RFC 8489 errata 6290/6268), then base64 of a 4-byte issue time and the
 *    first 8 bytes of HMAC-SHA256(process secret, time | features | source
 *    IP). When an answer must stay small (turn_proto.c: three times the
 *    request over UDP), the nonce goes without the cookie and the 401 or 438
 *    without PASSWORD-ALGORITHMS (RFC 8489 section 9.2.4: the bit is set
 *    when, and only when, the attribute is sent), and the client uses MD5.
 *    No state is kept for a source before its first valid
 *    MESSAGE-INTEGRITY (spec/turn.md 8.4).
 *  - A request that echoes PASSWORD-ALGORITHMS must echo exactly ours and
 *    pick one of them (bid-down protection, 400 otherwise); a request with
 *    neither is a legacy RFC 5389 client and uses MD5.
 *    MESSAGE-INTEGRITY-SHA256 wins over MESSAGE-INTEGRITY when both are
 *    present.
 *  - Users: the static user of "turn credentials" (USERNAME or USERHASH),
 *    and with short-term credentials enabled any "<expiry>:<name>" whose
 *    expiry (unix time) is in the future, with password
 *    base64(HMAC-SHA1(secret, username)) or the same with HMAC-SHA256 (both
 *    are tried). USERHASH works only for the static user (a hash of a
 *    time-limited name cannot be resolved).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "lib/base64.h"
#include "services/turn/turn_auth.h"
#include "services/turn/turn_proto.h"

#define NONCE_COOKIE "obMatJos2"
#define NONCE_FEATURES "AAAB"

const uint8_t turn_pwalgs[8] = { 0, 1, 0, 0, 0, 2, 0, 0 };

/* --- nonces (RFC 8489 section 9.2.1) ------------------------------------------------------ */

/* The first 8 bytes of HMAC-SHA256(process key, time | features | source
 * IP): the feature flag is covered, so a nonce issued without the password
 * algorithms cannot be passed off as one with them, or the other way. */
static void nonce_mac(const struct turn_config *cfg, const struct stun_addr *src,
		      const uint8_t t[4], bool features, uint8_t out[8])
{
	uint8_t in[4 + 1 + 2 + 16], mac[32];

	memcpy(in, t, 4);
	in[4] = features;
	in[5] = (uint8_t)(src->family >> 8);
	in[6] = (uint8_t)src->family;
	memcpy(in + 7, src->ip, 16);
	stun_hmac_sha256(cfg->nonce_key, sizeof(cfg->nonce_key), in, sizeof(in), mac);
	memcpy(out, mac, 8);
}

size_t turn_nonce_make(const struct turn_config *cfg, const struct stun_addr *src,
		       uint64_t now_s, bool features, char out[TURN_NONCE_LEN + 1])
{
	uint8_t raw[12];
	size_t pre = features ? 13 : 0;

	raw[0] = (uint8_t)(now_s >> 24);
	raw[1] = (uint8_t)(now_s >> 16);
	raw[2] = (uint8_t)(now_s >> 8);
	raw[3] = (uint8_t)now_s;
	nonce_mac(cfg, src, raw, features, raw + 4);
	memcpy(out, NONCE_COOKIE NONCE_FEATURES, pre);
	return pre + cv_base64_encode(raw, sizeof(raw), out + pre);
}

int turn_nonce_check(const struct turn_config *cfg, const struct stun_addr *src, uint64_t now_s,
		     const uint8_t *nonce, size_t len, bool *ret_features)
{
	uint8_t raw[12], mac[8];
	size_t rawlen;
	bool features;
	uint32_t t;

	if (len == TURN_NONCE_LEN && !memcmp(nonce, NONCE_COOKIE NONCE_FEATURES, 13))
		features = true;
	else if (len == TURN_NONCE_LEN_PLAIN)
		features = false;
	else
		return -EINVAL;
	nonce += len - TURN_NONCE_LEN_PLAIN;
	/* 16 characters of base64 are the 12 bytes of time and MAC. */
	if (cv_base64_decode((const char *)nonce, 16, raw, &rawlen) < 0 || rawlen != sizeof(raw))
		return -EINVAL;
	nonce_mac(cfg, src, raw, features, mac);
	if (!stun_ct_equal(mac, raw + 4, 8))
		return -EINVAL;
	t = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
	if ((uint32_t)now_s - t > cfg->nonce_lifetime)
		return -ESTALE;
	*ret_features = features;
	return 0;
}

/* --- credentials ------------------------------------------------------------------------- */

/* The password of a time-limited user name: base64(HMAC(secret, name)). */
static size_t rest_password(const struct turn_config *cfg, const char *user, size_t ulen,
			    bool sha256, char out[48])
{
	uint8_t mac[32];

	if (sha256) {
		stun_hmac_sha256(cfg->secret, strlen(cfg->secret), user, ulen, mac);
		return cv_base64_encode(mac, 32, out);
	}
	stun_hmac_sha1(cfg->secret, strlen(cfg->secret), user, ulen, mac);
	return cv_base64_encode(mac, 20, out);
}

/* "<expiry>:<name>" with a future expiry. */
static bool rest_user_valid(const char *u, size_t n, uint64_t wall_s)
{
	uint64_t exp = 0;
	size_t i;

	for (i = 0; i < n && u[i] != ':'; i++) {
		if (u[i] < '0' || u[i] > '9' || i > 12)
			return false;
		exp = exp * 10 + (uint64_t)(u[i] - '0');
	}
	return i > 0 && i < n && exp > wall_s;
}

int turn_auth_check(struct turn_core *c, const struct turn_conn *conn, const struct stun_msg *m,
		    struct turn_auth *ret)
{
	const struct turn_config *cfg = c->cfg;
	size_t ulen = 0, nlen = 0, rlen = 0, hlen = 0, alen = 0, aslen = 0;
	const uint8_t *user = stun_attr(m, SA_USERNAME, &ulen);
	const uint8_t *uhash = stun_attr(m, SA_USERHASH, &hlen);
	const uint8_t *nonce = stun_attr(m, SA_NONCE, &nlen);
	const uint8_t *realm = stun_attr(m, SA_REALM, &rlen);
	const uint8_t *alg = stun_attr(m, SA_PASSWORD_ALGORITHM, &alen);
	const uint8_t *algs = stun_attr(m, SA_PASSWORD_ALGORITHMS, &aslen);
	bool sha256 = m->mi256_at != 0;
	bool features = false;
	int pwalg = STUN_PWALG_MD5;
	int r;

	if (!m->mi_at && !m->mi256_at)
		return 401;
	if ((!user && !uhash) || !nonce || !realm)
		return 400;
	/* RFC 8489 section 14.3, 14.9, 14.10: bounds. */
	if ((user && ulen > 509) || rlen > 763 || nlen > 763)
		return 400;
	/* A USERNAME is an OpaqueString (RFC 8265): no control characters.
	 * A NUL would also cut the name short where it is kept as a string. */
	for (size_t i = 0; user && i < ulen; i++)
		if (user[i] < 0x20 || user[i] == 0x7F)
			return 400;
	r = turn_nonce_check(cfg, &conn->client, c->now_ms / 1000, nonce, nlen, &features);
	if (r < 0)
		return 438;
	if (rlen != strlen(cfg->realm) || memcmp(realm, cfg->realm, rlen))
		return 401;
	/* Bid-down protection (section 9.2.4 step 4): a request that names
	 * password algorithms must echo exactly the list that came with its
	 * nonce; a nonce issued without one (the answer had to stay small)
	 * has none to echo. */
	if (alg || algs) {
		uint16_t a;

		if (!features || !alg || !algs || aslen != sizeof(turn_pwalgs) ||
		    memcmp(algs, turn_pwalgs, aslen) || alen != 4)
			return 400;
		a = (uint16_t)(alg[0] << 8 | alg[1]);
		if (a != STUN_PWALG_MD5 && a != STUN_PWALG_SHA256)
			return 400;
		pwalg = a;
	}
	memset(ret, 0, sizeof(*ret));
	ret->sha256 = sha256;

	/* The static user. */
	if (cfg->username && cfg->password) {
		bool match = false;

		if (uhash)
			match = hlen == 32 && stun_ct_equal(uhash, cfg->userhash, 32);
		else
			match = ulen == strlen(cfg->username) &&
				!memcmp(user, cfg->username, ulen);
		if (match) {
			ret->user = cfg->username;
			ret->ulen = strlen(cfg->username);
			if (pwalg == STUN_PWALG_SHA256) {
				memcpy(ret->key, cfg->key_sha256, 32);
				ret->keylen = 32;
			} else {
				memcpy(ret->key, cfg->key_md5, 16);
				ret->keylen = 16;
			}
			if (stun_check_integrity(m, sha256, ret->key, ret->keylen))
				return 0;
			c->stats.auth_failures++;
			return 401;
		}
	}
	/* A time-limited user (TURN REST API). */
	if (cfg->short_term && cfg->secret && user &&
	    rest_user_valid((const char *)user, ulen, c->wall_s)) {
		char name[512], pass[48];

		memcpy(name, user, ulen);
		name[ulen] = '\0';
		for (int v = 0; v < 2; v++) {
			rest_password(cfg, name, ulen, v == 1, pass);
			ret->keylen = stun_longterm_key(pwalg, name, ulen, cfg->realm, pass,
							ret->key);
			if (ret->keylen && stun_check_integrity(m, sha256, ret->key, ret->keylen)) {
				ret->user = (const char *)user;
				ret->ulen = ulen;
				return 0;
			}
		}
	}
	c->stats.auth_failures++;
	return 401;
}

bool turn_auth_quota_name(const struct turn_auth *au, const char **ret, size_t *ret_len)
{
	const char *colon = memchr(au->user, ':', au->ulen);

	if (colon && colon != au->user && colon[0] == ':' &&
	    (size_t)(colon - au->user) < au->ulen) {
		bool digits = true;

		for (const char *p = au->user; p < colon; p++)
			digits &= *p >= '0' && *p <= '9';
		if (digits) {
			*ret = colon + 1;
			*ret_len = au->ulen - (size_t)(colon + 1 - au->user);
			return true;
		}
	}
	*ret = au->user;
	*ret_len = au->ulen;
	return false;
}
