// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SRTP sessions of a DTLS-SRTP association (media_srtp.h).
 */
#include "config.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <limits.h>
#include <string.h>

#include "services/media/media_srtp.h"

int media_srtp_global_init(void)
{
	static bool done;

	if (done)
		return 0;
	if (srtp_init() != srtp_err_status_ok)
		return -EIO;
	done = true;
	return 0;
}

/* One session: key ‖ salt of one direction, the profile's policy. */
static int make_session(srtp_t *ret, enum cv_srtp_profile profile, const uint8_t *key,
			const uint8_t *salt, bool outbound)
{
	uint8_t master[SRTP_AES_ICM_128_KEY_LEN_WSALT];
	srtp_policy_t p;
	srtp_err_status_t e;

	memset(&p, 0, sizeof(p));
	switch (profile) {
	case CV_SRTP_AES128_CM_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
		break;
	case CV_SRTP_AES128_CM_HMAC_SHA1_32:
		/* RFC 5764 4.1.2: SRTCP keeps the 80-bit tag. */
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
		break;
	default:
		return -EINVAL;
	}
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
	memcpy(master, key, 16);
	memcpy(master + 16, salt, 14);
	p.key = master;
	p.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	/* RFC 3711 3.3.2: at least 64; browsers reorder more under loss. */
	p.window_size = 1024;
	p.allow_repeat_tx = outbound;
	e = srtp_create(ret, &p);
	gnutls_memset(master, 0, sizeof(master));
	return e == srtp_err_status_ok ? 0 : -EIO;
}

int media_srtp_init(struct media_srtp *s, const struct cv_srtp_keys *k, bool server)
{
	int r;

	memset(s, 0, sizeof(*s));
	if (k->key_len != 16 || k->salt_len != 14)
		return -EINVAL;
	r = make_session(&s->out, k->profile, server ? k->server_key : k->client_key,
			 server ? k->server_salt : k->client_salt, true);
	if (r < 0)
		return r;
	r = make_session(&s->in, k->profile, server ? k->client_key : k->server_key,
			 server ? k->client_salt : k->server_salt, false);
	if (r < 0) {
		srtp_dealloc(s->out);
		s->out = NULL;
	}
	return r;
}

void media_srtp_free(struct media_srtp *s)
{
	if (s->in)
		srtp_dealloc(s->in);
	if (s->out)
		srtp_dealloc(s->out);
	s->in = s->out = NULL;
}

int media_srtp_protect(struct media_srtp *s, uint8_t *buf, size_t *len, size_t cap, bool rtcp)
{
	int n = (int)*len;
	srtp_err_status_t e;

	if (*len > INT_MAX - MEDIA_SRTP_OVERHEAD || *len + MEDIA_SRTP_OVERHEAD > cap)
		return -ENOSPC;
	e = rtcp ? srtp_protect_rtcp(s->out, buf, &n) : srtp_protect(s->out, buf, &n);
	if (e != srtp_err_status_ok)
		return -EIO;
	*len = (size_t)n;
	return 0;
}

int media_srtp_unprotect(struct media_srtp *s, uint8_t *buf, size_t *len, bool rtcp)
{
	int n;
	srtp_err_status_t e;

	/* The smallest SRTP packet is a 12-byte header and a 4-byte tag;
	 * SRTCP an 8-byte header, its index and a 10-byte tag. */
	if (*len < (rtcp ? 22u : 16u) || *len > 65535)
		return -EBADMSG;
	n = (int)*len;
	e = rtcp ? srtp_unprotect_rtcp(s->in, buf, &n) : srtp_unprotect(s->in, buf, &n);
	if (e == srtp_err_status_replay_fail || e == srtp_err_status_replay_old) {
		s->duplicates++;
		return -EALREADY;
	}
	if (e != srtp_err_status_ok) {
		s->auth_failures++;
		return -EBADMSG;
	}
	*len = (size_t)n;
	return 0;
}
