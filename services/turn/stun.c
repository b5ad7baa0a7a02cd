// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * STUN message codec (RFC 8489) and the TURN wire pieces (RFC 8656): see
 * stun.h. Parsing walks the attributes once, records where the ones we use
 * start, checks FINGERPRINT, and stops reading attributes after the
 * integrity attributes as RFC 8489 section 14.5 says (only
 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT may follow MESSAGE-INTEGRITY,
 * only FINGERPRINT may follow MESSAGE-INTEGRITY-SHA256, nothing may follow
 * FINGERPRINT).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "services/turn/stun.h"

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* --- CRC-32 (ISO-HDLC, reflected 0xEDB88320), for FINGERPRINT ------------------------------ */

static uint32_t crc_table[256];

__attribute__((constructor)) static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t stun_crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++)
		c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

/* --- message type ------------------------------------------------------------------------- */

uint16_t stun_type(uint16_t method, uint16_t cls)
{
	return (uint16_t)(((method & 0xF80) << 2) | ((method & 0x070) << 1) | (method & 0x00F) |
			  cls);
}

static void split_type(uint16_t t, uint16_t *method, uint16_t *cls)
{
	*cls = t & 0x0110;
	*method = (uint16_t)((t & 0x000F) | ((t >> 1) & 0x0070) | ((t >> 2) & 0x0F80));
}

enum stun_kind stun_classify(const uint8_t *buf, size_t len)
{
	if (len < 1)
		return STUN_KIND_OTHER;
	if (buf[0] < 4)
		return STUN_KIND_STUN;
	if (buf[0] >= 0x40 && buf[0] <= 0x7F)
		return STUN_KIND_CHANNEL;
	return STUN_KIND_OTHER;
}

/* --- parsing ---------------------------------------------------------------------------- */

/* Attribute type -> index of what we record; -1: understood but not
 * recorded (handled specially or ignored), -2: unknown. */
static int attr_index(uint16_t type)
{
	switch (type) {
	case STUN_A_USERNAME:
		return SA_USERNAME;
	case STUN_A_ERROR_CODE:
		return SA_ERROR_CODE;
	case TURN_A_CHANNEL_NUMBER:
		return SA_CHANNEL_NUMBER;
	case TURN_A_LIFETIME:
		return SA_LIFETIME;
	case TURN_A_XOR_PEER_ADDRESS:
		return SA_XOR_PEER_ADDRESS;
	case TURN_A_DATA:
		return SA_DATA;
	case STUN_A_REALM:
		return SA_REALM;
	case STUN_A_NONCE:
		return SA_NONCE;
	case TURN_A_XOR_RELAYED_ADDRESS:
		return SA_XOR_RELAYED_ADDRESS;
	case TURN_A_REQUESTED_ADDRESS_FAMILY:
		return SA_REQUESTED_ADDRESS_FAMILY;
	case TURN_A_EVEN_PORT:
		return SA_EVEN_PORT;
	case TURN_A_REQUESTED_TRANSPORT:
		return SA_REQUESTED_TRANSPORT;
	case TURN_A_DONT_FRAGMENT:
		return SA_DONT_FRAGMENT;
	case STUN_A_PASSWORD_ALGORITHM:
		return SA_PASSWORD_ALGORITHM;
	case STUN_A_USERHASH:
		return SA_USERHASH;
	case STUN_A_XOR_MAPPED_ADDRESS:
		return SA_XOR_MAPPED_ADDRESS;
	case TURN_A_RESERVATION_TOKEN:
		return SA_RESERVATION_TOKEN;
	case TURN_A_CONNECTION_ID:
		return SA_CONNECTION_ID;
	case TURN_A_ADDITIONAL_ADDRESS_FAMILY:
		return SA_ADDITIONAL_ADDRESS_FAMILY;
	case STUN_A_PASSWORD_ALGORITHMS:
		return SA_PASSWORD_ALGORITHMS;
	case STUN_A_SOFTWARE:
		return SA_SOFTWARE;
	case STUN_A_UNKNOWN_ATTRIBUTES:
		return SA_UNKNOWN_ATTRIBUTES;
	case STUN_A_MAPPED_ADDRESS:
		return SA_MAPPED_ADDRESS;
	case STUN_A_PRIORITY: /* ICE (RFC 8445): the media engine's */
		return SA_PRIORITY;
	case STUN_A_USE_CANDIDATE:
		return SA_USE_CANDIDATE;
	case STUN_A_ICE_CONTROLLED:
		return SA_ICE_CONTROLLED;
	case STUN_A_ICE_CONTROLLING:
		return SA_ICE_CONTROLLING;
	case STUN_A_MESSAGE_INTEGRITY:
	case STUN_A_MESSAGE_INTEGRITY_SHA256:
	case STUN_A_FINGERPRINT:
	case TURN_A_ADDRESS_ERROR_CODE:
		return -1;
	default:
		return -2;
	}
}

int stun_parse(const uint8_t *buf, size_t len, struct stun_msg *m)
{
	size_t mlen, pos;
	uint16_t type;
	/* 0: before MI; 1: after MI; 2: after MI-SHA256; 3: after FINGERPRINT */
	int stage = 0;

	memset(m, 0, sizeof(*m));
	if (len < STUN_HDR_LEN || len > STUN_MAX_MSG)
		return -EBADMSG;
	type = rd16(buf);
	if (type & 0xC000)
		return -EBADMSG;
	mlen = rd16(buf + 2);
	if (mlen % 4 || STUN_HDR_LEN + mlen != len || rd32(buf + 4) != STUN_MAGIC)
		return -EBADMSG;
	m->buf = buf;
	m->len = len;
	m->tid = buf + 8;
	split_type(type, &m->method, &m->cls);

	for (pos = STUN_HDR_LEN; pos < len;) {
		uint16_t at, al;
		size_t padded;
		int idx;

		if (len - pos < 4)
			return -EBADMSG;
		at = rd16(buf + pos);
		al = rd16(buf + pos + 2);
		padded = ((size_t)al + 3) & ~(size_t)3;
		if (padded > len - pos - 4)
			return -EBADMSG;
		if (stage == 3)
			return -EBADMSG; /* nothing may follow FINGERPRINT */
		if (at == STUN_A_FINGERPRINT) {
			uint32_t want;

			if (al != 4)
				return -EBADMSG;
			if (pos + 8 != len)
				return -EBADMSG;
			/* CRC over the message up to the attribute, with the
			 * length field as sent (it already counts FINGERPRINT). */
			want = stun_crc32(buf, pos) ^ 0x5354554Eu;
			if (rd32(buf + pos + 4) != want)
				return -EBADMSG;
			m->fp_at = (uint16_t)pos;
			stage = 3;
		} else if (at == STUN_A_MESSAGE_INTEGRITY_SHA256 && stage < 2) {
			/* 16 to 32 bytes, a multiple of 4 (section 14.6). */
			if (al < 16 || al > 32 || al % 4)
				return -EBADMSG;
			m->mi256_at = (uint16_t)pos;
			stage = 2;
		} else if (at == STUN_A_MESSAGE_INTEGRITY && stage == 0) {
			if (al != 20)
				return -EBADMSG;
			m->mi_at = (uint16_t)pos;
			stage = 1;
		} else if (stage > 0) {
			/* Ignored: follows the integrity attributes. */
		} else if ((idx = attr_index(at)) >= 0) {
			if (idx == SA_XOR_PEER_ADDRESS) {
				if (m->n_peers < STUN_MAX_PEERS) {
					m->peer_off[m->n_peers] = (uint16_t)(pos + 4);
					m->peer_len[m->n_peers] = al;
					m->n_peers++;
				} else {
					m->too_many_peers = true;
				}
			}
			if (!m->off[idx]) {
				m->off[idx] = (uint16_t)(pos + 4);
				m->alen[idx] = al;
			}
		} else if (idx == -2 && at < 0x8000) {
			/* Comprehension-required and unknown: 420 (section 14.13). */
			bool seen = false;

			for (unsigned i = 0; i < m->n_unknown; i++)
				seen |= m->unknown[i] == at;
			if (!seen && m->n_unknown < STUN_MAX_UNKNOWN)
				m->unknown[m->n_unknown++] = at;
		}
		pos += 4 + padded;
	}
	return 0;
}

int stun_attr_u32(const struct stun_msg *m, enum stun_attr_idx i, uint32_t *ret)
{
	size_t n;
	const uint8_t *v = stun_attr(m, i, &n);

	if (!v)
		return -ENOENT;
	if (n != 4)
		return -EBADMSG;
	*ret = rd32(v);
	return 0;
}

int stun_error_code(const struct stun_msg *m)
{
	size_t n;
	const uint8_t *v = stun_attr(m, SA_ERROR_CODE, &n);

	if (!v || n < 4)
		return -1;
	return (v[2] & 7) * 100 + v[3];
}

int stun_xaddr_decode(const uint8_t *v, size_t len, const uint8_t *tid, struct stun_addr *ret)
{
	struct stun_addr a;
	uint8_t key[16];

	if (len < 4)
		return -EBADMSG;
	memset(&a, 0, sizeof(a));
	wr32(key, STUN_MAGIC);
	memcpy(key + 4, tid, STUN_TID_LEN);
	a.port = rd16(v + 2) ^ (uint16_t)(STUN_MAGIC >> 16);
	if (v[1] == 0x01) {
		if (len != 8)
			return -EBADMSG;
		a.family = AF_INET;
		for (int i = 0; i < 4; i++)
			a.ip[i] = v[4 + i] ^ key[i];
	} else if (v[1] == 0x02) {
		if (len != 20)
			return -EBADMSG;
		a.family = AF_INET6;
		for (int i = 0; i < 16; i++)
			a.ip[i] = v[4 + i] ^ key[i];
	} else {
		return -EAFNOSUPPORT;
	}
	*ret = a;
	return 0;
}

/* --- building ------------------------------------------------------------------------------- */

void stun_begin(struct stun_builder *b, uint8_t *buf, size_t cap, uint16_t method, uint16_t cls,
		const uint8_t *tid)
{
	b->buf = buf;
	b->cap = cap;
	b->len = STUN_HDR_LEN;
	b->overflow = cap < STUN_HDR_LEN;
	if (b->overflow)
		return;
	wr16(buf, stun_type(method, cls));
	wr16(buf + 2, 0);
	wr32(buf + 4, STUN_MAGIC);
	memcpy(buf + 8, tid, STUN_TID_LEN);
}

/* Reserves an attribute of n value bytes; returns where the value goes. */
static uint8_t *put_hdr(struct stun_builder *b, uint16_t type, size_t n)
{
	size_t padded = (n + 3) & ~(size_t)3;
	uint8_t *p;

	if (b->overflow || n > 0xFFFF || b->cap - b->len < 4 + padded ||
	    b->len + 4 + padded > STUN_MAX_MSG) {
		b->overflow = true;
		return NULL;
	}
	p = b->buf + b->len;
	wr16(p, type);
	wr16(p + 2, (uint16_t)n);
	/* Zero padding: no stale buffer bytes leave (CVE-2020-4067). */
	memset(p + 4 + n, 0, padded - n);
	b->len += 4 + padded;
	wr16(b->buf + 2, (uint16_t)(b->len - STUN_HDR_LEN));
	return p + 4;
}

void stun_put(struct stun_builder *b, uint16_t type, const void *val, size_t len)
{
	uint8_t *p = put_hdr(b, type, len);

	if (p && len)
		memcpy(p, val, len);
}

void stun_put_u32(struct stun_builder *b, uint16_t type, uint32_t v)
{
	uint8_t *p = put_hdr(b, type, 4);

	if (p)
		wr32(p, v);
}

void stun_put_xaddr(struct stun_builder *b, uint16_t type, const struct stun_addr *a)
{
	size_t n = a->family == AF_INET6 ? 16 : 4;
	uint8_t *p = put_hdr(b, type, 4 + n);
	uint8_t key[16];

	if (!p)
		return;
	wr32(key, STUN_MAGIC);
	memcpy(key + 4, b->buf + 8, STUN_TID_LEN);
	p[0] = 0;
	p[1] = a->family == AF_INET6 ? 0x02 : 0x01;
	wr16(p + 2, a->port ^ (uint16_t)(STUN_MAGIC >> 16));
	for (size_t i = 0; i < n; i++)
		p[4 + i] = a->ip[i] ^ key[i];
}

void stun_put_error(struct stun_builder *b, int code, const char *reason)
{
	size_t rl = reason ? strlen(reason) : 0;
	uint8_t *p = put_hdr(b, STUN_A_ERROR_CODE, 4 + rl);

	if (!p)
		return;
	p[0] = p[1] = 0;
	p[2] = (uint8_t)(code / 100);
	p[3] = (uint8_t)(code % 100);
	if (rl)
		memcpy(p + 4, reason, rl);
}

static void put_mac(struct stun_builder *b, uint16_t type, gnutls_mac_algorithm_t alg,
		    size_t maclen, const uint8_t *key, size_t keylen)
{
	size_t start = b->len;
	uint8_t *p = put_hdr(b, type, maclen);

	if (!p)
		return;
	/* The length field now counts the attribute (section 14.5); the MAC
	 * covers everything before the attribute. */
	gnutls_hmac_fast(alg, key, keylen, b->buf, start, p);
}

void stun_put_integrity(struct stun_builder *b, const uint8_t *key, size_t keylen)
{
	put_mac(b, STUN_A_MESSAGE_INTEGRITY, GNUTLS_MAC_SHA1, 20, key, keylen);
}

void stun_put_integrity_sha256(struct stun_builder *b, const uint8_t *key, size_t keylen)
{
	put_mac(b, STUN_A_MESSAGE_INTEGRITY_SHA256, GNUTLS_MAC_SHA256, 32, key, keylen);
}

void stun_put_fingerprint(struct stun_builder *b)
{
	size_t start = b->len;
	uint8_t *p = put_hdr(b, STUN_A_FINGERPRINT, 4);

	if (p)
		wr32(p, stun_crc32(b->buf, start) ^ 0x5354554Eu);
}

size_t stun_end(struct stun_builder *b)
{
	return b->overflow ? 0 : b->len;
}

/* --- integrity --------------------------------------------------------------------------- */

bool stun_ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

bool stun_check_integrity(const struct stun_msg *m, bool sha256, const uint8_t *key,
			  size_t keylen)
{
	size_t at = sha256 ? m->mi256_at : m->mi_at;
	gnutls_mac_algorithm_t alg = sha256 ? GNUTLS_MAC_SHA256 : GNUTLS_MAC_SHA1;
	gnutls_hmac_hd_t h;
	uint8_t hdr[STUN_HDR_LEN], mac[32];
	size_t vlen;

	if (!at)
		return false;
	vlen = rd16(m->buf + at + 2);
	/* The header's length field as if the message ended with this
	 * attribute (RFC 8489 sections 14.5 and 14.6). */
	memcpy(hdr, m->buf, STUN_HDR_LEN);
	wr16(hdr + 2, (uint16_t)(at + 4 + vlen - STUN_HDR_LEN));
	if (at <= 1500) {
		/* The common case, without a context allocation: one copy. */
		uint8_t tmp[1500];

		memcpy(tmp, hdr, STUN_HDR_LEN);
		memcpy(tmp + STUN_HDR_LEN, m->buf + STUN_HDR_LEN, at - STUN_HDR_LEN);
		if (gnutls_hmac_fast(alg, key, keylen, tmp, at, mac) < 0)
			return false;
		return stun_ct_equal(mac, m->buf + at + 4, vlen);
	}
	if (gnutls_hmac_init(&h, alg, key, keylen) < 0)
		return false;
	gnutls_hmac(h, hdr, STUN_HDR_LEN);
	gnutls_hmac(h, m->buf + STUN_HDR_LEN, at - STUN_HDR_LEN);
	gnutls_hmac_deinit(h, mac);
	/* MESSAGE-INTEGRITY-SHA256 may be truncated to 16..32 bytes. */
	return stun_ct_equal(mac, m->buf + at + 4, vlen);
}

size_t stun_longterm_key(int pwalg, const char *user, size_t ulen, const char *realm,
			 const char *pass, uint8_t *out)
{
	gnutls_hash_hd_t h;
	bool sha = pwalg == STUN_PWALG_SHA256;

	if (gnutls_hash_init(&h, sha ? GNUTLS_DIG_SHA256 : GNUTLS_DIG_MD5) < 0)
		return 0;
	gnutls_hash(h, user, ulen);
	gnutls_hash(h, ":", 1);
	gnutls_hash(h, realm, strlen(realm));
	gnutls_hash(h, ":", 1);
	gnutls_hash(h, pass, strlen(pass));
	gnutls_hash_deinit(h, out);
	return sha ? 32 : 16;
}

void stun_userhash(const char *user, size_t ulen, const char *realm, uint8_t out[32])
{
	gnutls_hash_hd_t h;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) {
		memset(out, 0, 32);
		return;
	}
	gnutls_hash(h, user, ulen);
	gnutls_hash(h, ":", 1);
	gnutls_hash(h, realm, strlen(realm));
	gnutls_hash_deinit(h, out);
}

void stun_hmac_sha1(const void *key, size_t keylen, const void *data, size_t len, uint8_t out[20])
{
	gnutls_hmac_fast(GNUTLS_MAC_SHA1, key, keylen, data, len, out);
}

void stun_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
		      uint8_t out[32])
{
	gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, keylen, data, len, out);
}

/* --- ChannelData --------------------------------------------------------------------------- */

size_t turn_channel_frame_len(const uint8_t *buf, size_t len, bool pad)
{
	size_t n;

	if (len < 4)
		return 0;
	n = rd16(buf + 2);
	if (pad)
		n = (n + 3) & ~(size_t)3;
	return 4 + n;
}

/* --- addresses ------------------------------------------------------------------------------ */

int stun_addr_from_sockaddr(const struct sockaddr *sa, struct stun_addr *ret)
{
	struct stun_addr a;

	memset(&a, 0, sizeof(a));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		a.family = AF_INET;
		a.port = ntohs(in->sin_port);
		memcpy(a.ip, &in->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		a.family = AF_INET6;
		a.port = ntohs(in6->sin6_port);
		memcpy(a.ip, &in6->sin6_addr, 16);
	} else {
		return -EAFNOSUPPORT;
	}
	*ret = a;
	return 0;
}

socklen_t stun_addr_to_sockaddr(const struct stun_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(a->port);
		memcpy(&in6->sin6_addr, a->ip, 16);
		return sizeof(*in6);
	}
	struct sockaddr_in *in = (struct sockaddr_in *)ss;

	in->sin_family = AF_INET;
	in->sin_port = htons(a->port);
	memcpy(&in->sin_addr, a->ip, 4);
	return sizeof(*in);
}

void stun_addr_format(const struct stun_addr *a, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->ip, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	if (a->family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", ip, a->port);
	else
		snprintf(buf, size, "%s:%u", ip, a->port);
}

void stun_ip_format(const struct stun_addr *a, char *buf, size_t size)
{
	if (!inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->ip, buf, (socklen_t)size))
		snprintf(buf, size, "?");
}

bool stun_addr_equal(const struct stun_addr *a, const struct stun_addr *b, bool with_port)
{
	if (a->family != b->family)
		return false;
	if (with_port && a->port != b->port)
		return false;
	return memcmp(a->ip, b->ip, a->family == AF_INET6 ? 16 : 4) == 0;
}
