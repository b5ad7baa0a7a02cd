// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * RTP and RTCP parsing and building (media_rtp.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "services/media/media_rtp.h"
#include "services/media/media_util.h"

/* --- RTP ------------------------------------------------------------------- */

static void ext_add(struct media_rtp *r, uint8_t id, const uint8_t *data, size_t len)
{
	if (r->n_ext == MEDIA_RTP_EXT_MAX)
		return;
	r->ext[r->n_ext].id = id;
	r->ext[r->n_ext].len = (uint8_t)len;
	r->ext[r->n_ext].data = data;
	r->n_ext++;
}

/* RFC 8285 4.2 (one-byte, profile 0xBEDE) and 4.3 (two-byte, 0x100X). */
static int parse_ext(struct media_rtp *r, uint16_t profile, const uint8_t *b, size_t n)
{
	size_t i = 0;

	if (profile == 0xBEDE) {
		while (i < n) {
			uint8_t id = b[i] >> 4, l = (uint8_t)((b[i] & 0x0f) + 1);

			if (b[i] == 0) { /* padding */
				i++;
				continue;
			}
			if (id == 15)
				break; /* reserved: stop, RFC 8285 4.2 */
			if (i + 1 + l > n)
				return -EBADMSG;
			ext_add(r, id, b + i + 1, l);
			i += 1 + (size_t)l;
		}
	} else if ((profile & 0xfff0) == 0x1000) {
		r->ext_two_byte = true;
		while (i < n) {
			uint8_t id = b[i], l;

			if (id == 0) {
				i++;
				continue;
			}
			if (i + 2 > n)
				return -EBADMSG;
			l = b[i + 1];
			if (i + 2 + l > n)
				return -EBADMSG;
			ext_add(r, id, b + i + 2, l);
			i += 2 + (size_t)l;
		}
	}
	/* Any other profile: opaque (RFC 3550 5.3.1). */
	return 0;
}

int media_rtp_parse(const uint8_t *buf, size_t len, struct media_rtp *r)
{
	size_t off;

	memset(r, 0, sizeof(*r));
	if (len < MEDIA_RTP_HDR || buf[0] >> 6 != 2)
		return -EBADMSG;
	r->cc = buf[0] & 0x0f;
	r->marker = buf[1] >> 7;
	r->pt = buf[1] & 0x7f;
	r->seq = md_get16(buf + 2);
	r->ts = md_get32(buf + 4);
	r->ssrc = md_get32(buf + 8);
	off = MEDIA_RTP_HDR + 4u * r->cc;
	if (off > len)
		return -EBADMSG;
	for (unsigned i = 0; i < r->cc; i++)
		r->csrc[i] = md_get32(buf + MEDIA_RTP_HDR + 4 * i);
	if (buf[0] & 0x10) {
		uint16_t profile;
		size_t words;

		if (off + 4 > len)
			return -EBADMSG;
		profile = md_get16(buf + off);
		words = md_get16(buf + off + 2);
		if (off + 4 + 4 * words > len)
			return -EBADMSG;
		if (parse_ext(r, profile, buf + off + 4, 4 * words) < 0)
			return -EBADMSG;
		off += 4 + 4 * words;
	}
	r->hdr_len = off;
	r->payload = buf + off;
	r->payload_len = len - off;
	if (buf[0] & 0x20) {
		uint8_t pad = buf[len - 1];

		if (pad == 0 || pad > r->payload_len)
			return -EBADMSG;
		r->padding = pad;
		r->payload_len -= pad;
	}
	return 0;
}

const struct media_rtp_ext *media_rtp_ext_find(const struct media_rtp *r, uint8_t id)
{
	for (unsigned i = 0; i < r->n_ext; i++)
		if (r->ext[i].id == id)
			return &r->ext[i];
	return NULL;
}

int media_rtp_audio_level(const struct media_rtp *r, uint8_t id, bool *voice, uint8_t *level)
{
	const struct media_rtp_ext *e = id ? media_rtp_ext_find(r, id) : NULL;

	if (!e || e->len != 1)
		return -ENOENT;
	*voice = e->data[0] >> 7;
	*level = e->data[0] & 0x7f;
	return 0;
}

void media_rtp_rewrite(uint8_t *buf, uint32_t ssrc, uint16_t seq, uint32_t ts)
{
	md_put16(buf + 2, seq);
	md_put32(buf + 4, ts);
	md_put32(buf + 8, ssrc);
}

/* --- RTCP parsing ---------------------------------------------------------- */

static void read_reports(const uint8_t *p, unsigned n, struct media_rtcp *r)
{
	for (unsigned i = 0; i < n; i++, p += 24) {
		struct media_rtcp_report *b = &r->reports[i];
		uint32_t cl = md_get24(p + 5);

		b->ssrc = md_get32(p);
		b->fraction_lost = p[4];
		b->cumulative_lost = (cl & 0x800000) ? (int32_t)(cl | 0xff000000u) : (int32_t)cl;
		b->highest_seq = md_get32(p + 8);
		b->jitter = md_get32(p + 12);
		b->lsr = md_get32(p + 16);
		b->dlsr = md_get32(p + 20);
	}
	r->n_reports = n;
}

static void read_cname(const uint8_t *p, size_t n, struct media_rtcp *r)
{
	/* The first chunk: SSRC, then items until the end item. */
	size_t i = 4;

	if (n < 4)
		return;
	r->sender_ssrc = md_get32(p);
	while (i + 2 <= n && p[i] != 0) {
		uint8_t type = p[i], l = p[i + 1];

		if (i + 2 + l > n)
			return;
		if (type == 1) {
			memcpy(r->cname, p + i + 2, l);
			r->cname[l] = '\0';
			return;
		}
		i += 2 + (size_t)l;
	}
}

static void read_nack(const uint8_t *p, size_t n, struct media_rtcp *r)
{
	for (size_t i = 0; i + 4 <= n && i / 4 < MEDIA_RTCP_NACK_MAX; i += 4) {
		uint16_t pid = md_get16(p + i), blp = md_get16(p + i + 2);

		r->nack[r->n_nack++] = pid;
		for (int b = 0; b < 16; b++)
			if (blp & (1u << b))
				r->nack[r->n_nack++] = (uint16_t)(pid + b + 1);
	}
}

static int read_remb(const uint8_t *p, size_t n, struct media_rtcp *r)
{
	unsigned ns, exp;
	uint32_t mant;

	if (n < 8 || memcmp(p, "REMB", 4))
		return -ENOENT;
	ns = p[4];
	exp = p[5] >> 2;
	mant = (uint32_t)(p[5] & 3) << 16 | md_get16(p + 6);
	if (8 + 4 * (size_t)ns > n)
		return -EBADMSG;
	/* 18 bits shifted by up to 63 would overflow: saturate. */
	r->remb_bps = exp > 46 && mant ? UINT64_MAX : (uint64_t)mant << exp;
	for (unsigned i = 0; i < ns && i < MEDIA_RTCP_REMB_SSRCS_MAX; i++)
		r->remb_ssrcs[r->n_remb_ssrcs++] = md_get32(p + 8 + 4 * i);
	return 0;
}

int media_rtcp_next(const uint8_t *buf, size_t len, size_t *off, struct media_rtcp *r)
{
	const uint8_t *p;
	size_t plen;

	if (*off >= len)
		return 0;
	memset(r, 0, offsetof(struct media_rtcp, nack));
	r->n_nack = 0;
	r->n_remb_ssrcs = 0;
	r->cname[0] = '\0';
	p = buf + *off;
	if (len - *off < 4 || p[0] >> 6 != 2)
		return -EBADMSG;
	plen = ((size_t)md_get16(p + 2) + 1) * 4;
	if (plen > len - *off)
		return -EBADMSG;
	r->fmt = p[0] & 0x1f;
	r->pt = p[1];
	r->data = p;
	r->len = plen;
	r->kind = MEDIA_RTCP_K_OTHER;
	/* Padding (the P bit) is only allowed on the last packet and is
	 * inside plen: the parsers below stay within plen. */
	switch (r->pt) {
	case MEDIA_RTCP_SR:
		if (plen < 28 + 24 * (size_t)r->fmt)
			return -EBADMSG;
		r->kind = MEDIA_RTCP_K_SR;
		r->sender_ssrc = md_get32(p + 4);
		r->ntp = (uint64_t)md_get32(p + 8) << 32 | md_get32(p + 12);
		r->rtp_ts = md_get32(p + 16);
		r->packets = md_get32(p + 20);
		r->octets = md_get32(p + 24);
		read_reports(p + 28, r->fmt, r);
		break;
	case MEDIA_RTCP_RR:
		if (plen < 8 + 24 * (size_t)r->fmt)
			return -EBADMSG;
		r->kind = MEDIA_RTCP_K_RR;
		r->sender_ssrc = md_get32(p + 4);
		read_reports(p + 8, r->fmt, r);
		break;
	case MEDIA_RTCP_SDES:
		r->kind = MEDIA_RTCP_K_SDES;
		if (r->fmt)
			read_cname(p + 4, plen - 4, r);
		break;
	case MEDIA_RTCP_BYE:
		r->kind = MEDIA_RTCP_K_BYE;
		if (r->fmt && plen >= 8)
			r->sender_ssrc = md_get32(p + 4);
		break;
	case MEDIA_RTCP_RTPFB:
	case MEDIA_RTCP_PSFB:
		if (plen < 12)
			return -EBADMSG;
		r->sender_ssrc = md_get32(p + 4);
		r->media_ssrc = md_get32(p + 8);
		if (r->pt == MEDIA_RTCP_RTPFB && r->fmt == 1) {
			r->kind = MEDIA_RTCP_K_NACK;
			read_nack(p + 12, plen - 12, r);
		} else if (r->pt == MEDIA_RTCP_RTPFB && r->fmt == 15) {
			if (plen < 20)
				return -EBADMSG;
			r->kind = MEDIA_RTCP_K_TWCC;
			r->twcc_base = md_get16(p + 12);
			r->twcc_count = md_get16(p + 14);
		} else if (r->pt == MEDIA_RTCP_PSFB && r->fmt == 1) {
			r->kind = MEDIA_RTCP_K_PLI;
		} else if (r->pt == MEDIA_RTCP_PSFB && r->fmt == 4) {
			/* RFC 5104 4.3.1: the media SSRC field is 0, the
			 * source is in the FCI. */
			if (plen < 20)
				return -EBADMSG;
			r->kind = MEDIA_RTCP_K_FIR;
			r->media_ssrc = md_get32(p + 12);
			r->fir_seq = p[16];
		} else if (r->pt == MEDIA_RTCP_PSFB && r->fmt == 15) {
			int e = read_remb(p + 12, plen - 12, r);

			if (e == -EBADMSG)
				return -EBADMSG;
			if (e == 0)
				r->kind = MEDIA_RTCP_K_REMB;
		}
		break;
	default:
		break;
	}
	*off += plen;
	return 1;
}

/* --- RTCP building ---------------------------------------------------------- */

static void header(uint8_t *p, uint8_t fmt, uint8_t pt, size_t len)
{
	p[0] = (uint8_t)(0x80 | fmt);
	p[1] = pt;
	md_put16(p + 2, (uint16_t)(len / 4 - 1));
}

size_t media_rtcp_build_rr(uint8_t *buf, size_t cap, uint32_t sender,
			   const struct media_rtcp_report *rep, unsigned n)
{
	size_t len = 8 + 24 * (size_t)n;

	if (n > MEDIA_RTCP_REPORTS_MAX || len > cap)
		return 0;
	header(buf, (uint8_t)n, MEDIA_RTCP_RR, len);
	md_put32(buf + 4, sender);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = buf + 8 + 24 * i;

		md_put32(p, rep[i].ssrc);
		p[4] = rep[i].fraction_lost;
		md_put24(p + 5, (uint32_t)rep[i].cumulative_lost & 0xffffff);
		md_put32(p + 8, rep[i].highest_seq);
		md_put32(p + 12, rep[i].jitter);
		md_put32(p + 16, rep[i].lsr);
		md_put32(p + 20, rep[i].dlsr);
	}
	return len;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

size_t media_rtcp_build_nack(uint8_t *buf, size_t cap, uint32_t sender, uint32_t media,
			     const uint16_t *seqs, unsigned n)
{
	uint16_t s[MEDIA_RTCP_NACK_MAX * 17];
	size_t len = 12;
	unsigned i = 0;

	if (n == 0 || n > sizeof(s) / sizeof(s[0]) || cap < 16)
		return 0;
	memcpy(s, seqs, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_u16);
	while (i < n) {
		uint16_t pid = s[i], blp = 0;

		if (len + 4 > cap || (len - 12) / 4 == MEDIA_RTCP_NACK_MAX)
			return 0;
		for (i++; i < n && (uint16_t)(s[i] - pid) <= 16; i++)
			if (s[i] != pid)
				blp |= (uint16_t)(1u << ((uint16_t)(s[i] - pid) - 1));
		md_put16(buf + len, pid);
		md_put16(buf + len + 2, blp);
		len += 4;
	}
	header(buf, 1, MEDIA_RTCP_RTPFB, len);
	md_put32(buf + 4, sender);
	md_put32(buf + 8, media);
	return len;
}

size_t media_rtcp_build_pli(uint8_t *buf, size_t cap, uint32_t sender, uint32_t media)
{
	if (cap < 12)
		return 0;
	header(buf, 1, MEDIA_RTCP_PSFB, 12);
	md_put32(buf + 4, sender);
	md_put32(buf + 8, media);
	return 12;
}

size_t media_rtcp_build_fir(uint8_t *buf, size_t cap, uint32_t sender, uint32_t media,
			    uint8_t seq)
{
	if (cap < 20)
		return 0;
	header(buf, 4, MEDIA_RTCP_PSFB, 20);
	md_put32(buf + 4, sender);
	md_put32(buf + 8, 0);
	md_put32(buf + 12, media);
	buf[16] = seq;
	buf[17] = buf[18] = buf[19] = 0;
	return 20;
}

size_t media_rtcp_build_remb(uint8_t *buf, size_t cap, uint32_t sender, uint64_t bps,
			     const uint32_t *ssrcs, unsigned n)
{
	size_t len = 20 + 4 * (size_t)n;
	unsigned exp = 0;

	if (n > 255 || len > cap)
		return 0;
	while (exp < 63 && (bps >> exp) >= (1u << 18))
		exp++;
	header(buf, 15, MEDIA_RTCP_PSFB, len);
	md_put32(buf + 4, sender);
	md_put32(buf + 8, 0);
	memcpy(buf + 12, "REMB", 4);
	buf[16] = (uint8_t)n;
	md_put24(buf + 17, (uint32_t)(exp << 18) | (uint32_t)((bps >> exp) & 0x3ffff));
	for (unsigned i = 0; i < n; i++)
		md_put32(buf + 20 + 4 * i, ssrcs[i]);
	return len;
}
