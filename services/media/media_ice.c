// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ICE-lite and RFC 7983 demultiplexing (media_ice.h).
 */
#include "config.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <string.h>

#include "services/media/media_ice.h"

enum media_pkt_kind media_demux(const uint8_t *buf, size_t len)
{
	uint8_t b;

	if (len == 0)
		return MEDIA_PKT_UNKNOWN;
	b = buf[0];
	if (b <= 3)
		return MEDIA_PKT_STUN;
	if (b >= 20 && b <= 63)
		return MEDIA_PKT_DTLS;
	if (b >= 128 && b <= 191) {
		/* RFC 5761 section 4: RTCP packet types 192-223 sit where
		 * the RTP marker bit and payload type are. */
		if (len >= 2 && buf[1] >= 192 && buf[1] <= 223)
			return MEDIA_PKT_RTCP;
		return MEDIA_PKT_RTP;
	}
	return MEDIA_PKT_UNKNOWN;
}

int media_ice_random(char *buf, size_t n)
{
	static const char ice_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					"0123456789+/";
	uint8_t rnd[MEDIA_ICE_PWD_MAX];

	if (n > sizeof(rnd) || gnutls_rnd(GNUTLS_RND_NONCE, rnd, n) < 0)
		return -EIO;
	/* 64 characters: every byte's low six bits, no bias. */
	for (size_t i = 0; i < n; i++)
		buf[i] = ice_chars[rnd[i] & 63];
	buf[n] = '\0';
	return 0;
}

static bool ice_string_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!(('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') ||
		      c == '+' || c == '/'))
			return false;
	}
	return true;
}

static int new_local(struct media_ice *ice)
{
	if (media_ice_random(ice->ufrag, MEDIA_ICE_UFRAG_LEN) < 0 ||
	    media_ice_random(ice->pwd, MEDIA_ICE_PWD_LEN) < 0)
		return -EIO;
	return 0;
}

int media_ice_init(struct media_ice *ice, const char *remote_ufrag)
{
	memset(ice, 0, sizeof(*ice));
	if (remote_ufrag && !ice_string_ok(remote_ufrag, MEDIA_ICE_UFRAG_MAX))
		return -EINVAL;
	snprintf(ice->remote_ufrag, sizeof(ice->remote_ufrag), "%s", remote_ufrag ? remote_ufrag : "");
	return new_local(ice);
}

int media_ice_restart(struct media_ice *ice, const char *remote_ufrag)
{
	if (remote_ufrag && !ice_string_ok(remote_ufrag, MEDIA_ICE_UFRAG_MAX))
		return -EINVAL;
	memcpy(ice->old_ufrag, ice->ufrag, sizeof(ice->ufrag));
	memcpy(ice->old_pwd, ice->pwd, sizeof(ice->pwd));
	snprintf(ice->remote_ufrag, sizeof(ice->remote_ufrag), "%s", remote_ufrag ? remote_ufrag : "");
	return new_local(ice);
}

int media_ice_request_ufrag(const uint8_t *pkt, size_t len, char *buf)
{
	struct stun_msg m;
	const uint8_t *u;
	const uint8_t *colon;
	size_t ul;

	if (stun_parse(pkt, len, &m) < 0 || m.method != STUN_BINDING || m.cls != STUN_REQUEST)
		return -EINVAL;
	u = stun_attr(&m, SA_USERNAME, &ul);
	if (!u || !(colon = memchr(u, ':', ul)) || colon == u ||
	    (size_t)(colon - u) > MEDIA_ICE_UFRAG_MAX)
		return -EINVAL;
	memcpy(buf, u, (size_t)(colon - u));
	buf[colon - u] = '\0';
	return 0;
}

static size_t error_response(const struct stun_msg *m, int code, uint8_t *out, size_t cap)
{
	struct stun_builder b;

	stun_begin(&b, out, cap, STUN_BINDING, STUN_ERROR, m->tid);
	stun_put_error(&b, code, NULL);
	stun_put_fingerprint(&b);
	return stun_end(&b);
}

/*
 * USERNAME is "<ours>:<theirs>": ours must be the current or the previous
 * local ufrag, theirs the remote ufrag when the offer gave one. Returns the
 * password to check the integrity with, or NULL; *is_new says whether the
 * current credentials were used.
 */
static const char *match_username(const struct media_ice *ice, const struct stun_msg *m,
				  bool *is_new)
{
	size_t ul, ll;
	const uint8_t *u = stun_attr(m, SA_USERNAME, &ul), *colon;

	if (!u || !(colon = memchr(u, ':', ul)))
		return NULL;
	ll = (size_t)(colon - u);
	if (ice->remote_ufrag[0] && (ul - ll - 1 != strlen(ice->remote_ufrag) ||
				     memcmp(colon + 1, ice->remote_ufrag, ul - ll - 1)))
		return NULL;
	if (ll == strlen(ice->ufrag) && !memcmp(u, ice->ufrag, ll)) {
		*is_new = true;
		return ice->pwd;
	}
	if (ice->old_ufrag[0] && ll == strlen(ice->old_ufrag) && !memcmp(u, ice->old_ufrag, ll)) {
		*is_new = false;
		return ice->old_pwd;
	}
	return NULL;
}

enum media_ice_result media_ice_input(struct media_ice *ice, const uint8_t *pkt, size_t len,
				      const struct stun_addr *from, uint64_t now_ms, uint8_t *out,
				      size_t cap, size_t *out_len)
{
	struct stun_msg m;
	struct stun_builder b;
	const char *pwd;
	bool is_new = false, moved;

	*out_len = 0;
	if (stun_parse(pkt, len, &m) < 0 || m.method != STUN_BINDING || m.cls != STUN_REQUEST)
		return MEDIA_ICE_IGNORED; /* responses and indications: a lite agent sends none */
	ice->requests++;
	if (!m.fp_at || !stun_has(&m, SA_PRIORITY) || !stun_has(&m, SA_USERNAME) || !m.mi_at) {
		ice->failures++;
		*out_len = error_response(&m, 400, out, cap);
		return MEDIA_ICE_ERROR;
	}
	pwd = match_username(ice, &m, &is_new);
	if (!pwd || !stun_check_integrity(&m, false, (const uint8_t *)pwd, strlen(pwd))) {
		ice->failures++;
		*out_len = error_response(&m, 401, out, cap);
		return MEDIA_ICE_ERROR;
	}
	if (stun_has(&m, SA_ICE_CONTROLLED)) {
		/* RFC 8445 7.3.1.1: both sides controlled. A lite agent
		 * cannot switch: the peer must. */
		ice->failures++;
		*out_len = error_response(&m, 487, out, cap);
		return MEDIA_ICE_ERROR;
	}
	if (is_new && ice->old_ufrag[0]) {
		/* The restart took: the old credentials are done. */
		gnutls_memset(ice->old_pwd, 0, sizeof(ice->old_pwd));
		ice->old_ufrag[0] = '\0';
	}
	stun_begin(&b, out, cap, STUN_BINDING, STUN_SUCCESS, m.tid);
	stun_put_xaddr(&b, STUN_A_XOR_MAPPED_ADDRESS, from);
	stun_put_integrity(&b, (const uint8_t *)pwd, strlen(pwd));
	stun_put_fingerprint(&b);
	*out_len = stun_end(&b);
	if (!*out_len)
		return MEDIA_ICE_IGNORED;
	moved = false;
	if (stun_has(&m, SA_USE_CANDIDATE) &&
	    (!ice->selected || !stun_addr_equal(&ice->tuple, from, true))) {
		ice->tuple = *from;
		ice->selected = true;
		moved = true;
	}
	if (ice->selected && stun_addr_equal(&ice->tuple, from, true))
		ice->consent_ms = now_ms;
	return moved ? MEDIA_ICE_SELECTED : MEDIA_ICE_OK;
}

bool media_ice_consent_expired(const struct media_ice *ice, uint64_t now_ms)
{
	return ice->selected && now_ms - ice->consent_ms > MEDIA_ICE_CONSENT_MS;
}
