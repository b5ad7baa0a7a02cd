// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The answer to a parsed offer (see media_sdp.h). Choices come first, per
 * m-section, then the text: our values are checked before anything is
 * written, and everything written passes md_sdp_parse() again (the fuzz
 * target holds us to that). The shape is spec/media.md section 2.2, the
 * answer Chromium 156 took: ICE-lite, DTLS server, rtcp-mux, BUNDLE.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "services/media/media_sdp.h"
#include "services/media/media_sdp_internal.h"

/* The header extensions we echo (RFC 6464, RFC 8843 section 15, and the two
 * of Chrome's congestion control that have no RFC). */
#define URI_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define URI_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define URI_ABS_SEND_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define URI_TWCC "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

/* The feedback we answer for video: what the SFU sends or acts on
 * (spec/media.md 2.6); transport-cc waits for its feedback sender. */
#define ANSWER_FB (MD_SDP_FB_NACK | MD_SDP_FB_NACK_PLI | MD_SDP_FB_CCM_FIR | MD_SDP_FB_GOOG_REMB)

static const char *const reject_names[] = {
	[MD_SDP_ACCEPTED] = "accepted",
	[MD_SDP_REJ_PORT0] = "port 0 in the offer",
	[MD_SDP_REJ_KIND] = "media we do not carry",
	[MD_SDP_REJ_NO_CODEC] = "no common codec",
	[MD_SDP_REJ_NO_RTCP_MUX] = "no rtcp-mux",
	[MD_SDP_REJ_SETUP] = "the offer does not let us be DTLS server",
	[MD_SDP_REJ_FINGERPRINT] = "no sha-256 fingerprint",
	[MD_SDP_REJ_ICE_LITE] = "the offerer is ICE-lite too",
	[MD_SDP_REJ_NOT_BUNDLED] = "outside the BUNDLE group",
};

const char *md_sdp_reject_name(enum md_sdp_reject r)
{
	return (unsigned)r <= MD_SDP_REJ_NOT_BUNDLED ? reject_names[r] : "?";
}

__attribute__((format(printf, 3, 4))) static int local_fail(char *err, size_t errlen,
							    const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static struct md_sdp_str cstr(const char *s)
{
	return (struct md_sdp_str){ s, s ? strlen(s) : 0 };
}

/* Our side's values are written into the answer as they are, so they
 * must pass our own parser: checked here, before anything is written. */
static int check_local(const struct md_sdp_local *l, int fam[MD_SDP_MAX_LOCAL_CAND], char *err,
		       size_t errlen)
{
	struct md_sdp_fp fp;
	const char *why;

	if (!is_ice_chars(cstr(l->ice_ufrag), 4, 256))
		return local_fail(err, errlen, "our ice-ufrag is not 4 to 256 ice-chars");
	if (!is_ice_chars(cstr(l->ice_pwd), 22, 256))
		return local_fail(err, errlen, "our ice-pwd is not 22 to 256 ice-chars");
	if (!l->fingerprint || md_sdp_fp_parse(cstr(l->fingerprint), &fp, &why) < 0 || !fp.usable ||
	    !str_is(fp.alg, "sha-256"))
		return local_fail(err, errlen, "our fingerprint is not \"sha-256 <32 hex bytes>\"");
	if (l->n_cands < 1 || l->n_cands > MD_SDP_MAX_LOCAL_CAND)
		return local_fail(err, errlen, "not 1 to %d candidates of ours",
				  MD_SDP_MAX_LOCAL_CAND);
	for (unsigned i = 0; i < l->n_cands; i++) {
		uint8_t ip[16];
		const char *a = l->cands[i].addr;

		if (!a || !l->cands[i].port)
			return local_fail(err, errlen, "our candidate %u has no address or port", i);
		if (inet_pton(AF_INET, a, ip) == 1)
			fam[i] = AF_INET;
		else if (inet_pton(AF_INET6, a, ip) == 1)
			fam[i] = AF_INET6;
		else
			return local_fail(err, errlen, "our candidate %u is not an address literal",
					  i);
	}
	for (unsigned i = 0; i < MD_SDP_MAX_MSECT; i++) {
		if (!l->send[i].ssrc)
			continue;
		if (!is_token(cstr(l->cname), 64))
			return local_fail(err, errlen, "our cname is not 1 to 64 token-chars");
		if (!is_token(cstr(l->send[i].stream), 64) || !is_token(cstr(l->send[i].track), 64))
			return local_fail(err, errlen,
					  "m-section %u: our msid is not two tokens of 1 to 64", i);
		if (l->send[i].rtx_ssrc == l->send[i].ssrc)
			return local_fail(err, errlen, "m-section %u: the RTX SSRC is the SSRC", i);
	}
	return 0;
}

static bool in_bundle(const struct md_sdp *offer, struct md_sdp_str mid)
{
	for (unsigned i = 0; i < offer->n_bundle; i++)
		if (str_eq(offer->bundle[i], mid))
			return true;
	return false;
}

/* The rtx payload type the offer pairs with pt (RFC 4588 section 8.6). */
static int16_t rtx_for(const struct md_sdp_msect *m, int16_t pt)
{
	for (unsigned i = 0; i < m->n_pts; i++) {
		const struct md_sdp_pt *p = &m->pts[i];

		if (p->has_rtpmap && str_case_is(p->name, "rtx") && p->clock == 90000 &&
		    p->apt == pt)
			return p->pt;
	}
	return -1;
}

static void choose_codecs(const struct md_sdp_msect *m, struct md_sdp_choice *c)
{
	int16_t h264_any = -1;

	for (unsigned i = 0; i < m->n_pts; i++) {
		const struct md_sdp_pt *p = &m->pts[i];

		if (!p->has_rtpmap)
			continue;
		if (m->kind == MD_SDP_AUDIO && c->opus_pt < 0 && str_case_is(p->name, "opus") &&
		    p->clock == 48000 && p->channels == 2)
			c->opus_pt = p->pt;
		if (m->kind != MD_SDP_VIDEO || p->clock != 90000)
			continue;
		if (c->vp8_pt < 0 && str_case_is(p->name, "VP8"))
			c->vp8_pt = p->pt;
		/* H264 in packetization mode 1 (FU-A, what browsers send);
		 * constrained baseline 42e01f first, else another baseline
		 * (profile_idc 0x42) as offered. */
		if (str_case_is(p->name, "H264") && p->packetization_mode == 1 && p->has_plid &&
		    p->profile_level_id >> 16 == 0x42) {
			if (c->h264_pt < 0 && p->profile_level_id == 0x42e01f)
				c->h264_pt = p->pt;
			if (h264_any < 0)
				h264_any = p->pt;
		}
	}
	if (m->kind == MD_SDP_VIDEO && c->h264_pt < 0)
		c->h264_pt = h264_any;
	if (c->vp8_pt >= 0) {
		c->vp8_rtx_pt = rtx_for(m, c->vp8_pt);
		c->fb |= md_sdp_find_pt(m, (unsigned)c->vp8_pt)->fb & ANSWER_FB;
	}
	if (c->h264_pt >= 0) {
		c->h264_rtx_pt = rtx_for(m, c->h264_pt);
		c->fb |= md_sdp_find_pt(m, (unsigned)c->h264_pt)->fb & ANSWER_FB;
	}
}

static void choose(const struct md_sdp *offer, const struct md_sdp_msect *m, bool have_one,
		   const struct md_sdp_local *l, unsigned idx, struct md_sdp_choice *c)
{
	static const enum md_sdp_dir mirror[] = {
		[MD_SDP_SENDRECV] = MD_SDP_SENDRECV,
		[MD_SDP_SENDONLY] = MD_SDP_RECVONLY,
		[MD_SDP_RECVONLY] = MD_SDP_SENDONLY,
		[MD_SDP_INACTIVE] = MD_SDP_INACTIVE,
	};

	memset(c, 0, sizeof(*c));
	c->opus_pt = c->vp8_pt = c->vp8_rtx_pt = c->h264_pt = c->h264_rtx_pt = -1;
	if (!m->port)
		c->reject = MD_SDP_REJ_PORT0;
	else if (m->kind != MD_SDP_AUDIO && m->kind != MD_SDP_VIDEO)
		c->reject = MD_SDP_REJ_KIND;
	else if (offer->ice_lite)
		c->reject = MD_SDP_REJ_ICE_LITE;
	else if (!m->rtcp_mux)
		c->reject = MD_SDP_REJ_NO_RTCP_MUX;
	else if (m->setup != MD_SDP_SETUP_ACTPASS && m->setup != MD_SDP_SETUP_ACTIVE)
		c->reject = MD_SDP_REJ_SETUP; /* RFC 8842 section 5.2 */
	else if (!m->fp.usable)
		c->reject = MD_SDP_REJ_FINGERPRINT;
	if (c->reject)
		return;
	choose_codecs(m, c);
	if (c->opus_pt < 0 && c->vp8_pt < 0 && c->h264_pt < 0) {
		c->reject = MD_SDP_REJ_NO_CODEC;
		return;
	}
	/* One ICE/DTLS transport for everything: with a BUNDLE group only
	 * its members, without one only the first section we can take. */
	if (offer->has_bundle ? !in_bundle(offer, m->mid) : have_one) {
		c->reject = MD_SDP_REJ_NOT_BUNDLED;
		return;
	}
	c->dir = mirror[m->dir];
	c->sending = (c->dir == MD_SDP_SENDRECV || c->dir == MD_SDP_SENDONLY) &&
		     l->send[idx].ssrc;
	for (unsigned i = 0; i < m->n_ext; i++) {
		const struct md_sdp_extmap *e = &m->ext[i];

		if (m->kind == MD_SDP_AUDIO && str_is(e->uri, URI_AUDIO_LEVEL))
			c->ext_audio_level = e->id;
		else if (str_is(e->uri, URI_MID))
			c->ext_mid = e->id;
		else if (str_is(e->uri, URI_ABS_SEND_TIME))
			c->ext_abs_send_time = e->id;
		/* transport-wide-cc (URI_TWCC) is not taken: with it, Chromium
		 * estimates on the sending side and its receivers send
		 * transport-cc feedback instead of REMB; the engine neither
		 * makes nor translates that feedback yet, so a publisher would
		 * stay at the no-feedback floor (spec/media.md 0.5). Without
		 * it, receivers send REMB, which the engine aggregates for the
		 * publisher (media_engine.c remb_tick). ext_twcc stays 0. */
	}
}

static void put_fb(struct strbuf *sb, int pt, unsigned fb)
{
	static const struct {
		unsigned bit;
		const char *text;
	} fbs[] = {
		{ MD_SDP_FB_NACK, "nack" },
		{ MD_SDP_FB_NACK_PLI, "nack pli" },
		{ MD_SDP_FB_CCM_FIR, "ccm fir" },
		{ MD_SDP_FB_GOOG_REMB, "goog-remb" },
	};

	for (size_t i = 0; i < sizeof(fbs) / sizeof(fbs[0]); i++)
		if (fb & fbs[i].bit)
			sb_printf(sb, "a=rtcp-fb:%d %s\r\n", pt, fbs[i].text);
}

static void put_rtx(struct strbuf *sb, int rtx, int apt)
{
	if (rtx < 0)
		return;
	sb_printf(sb, "a=rtpmap:%d rtx/90000\r\n", rtx);
	sb_printf(sb, "a=fmtp:%d apt=%d\r\n", rtx, apt);
}

static void put_ssrc(struct strbuf *sb, uint32_t ssrc, const struct md_sdp_local *l, unsigned idx)
{
	sb_printf(sb, "a=ssrc:%u cname:%s\r\n", ssrc, l->cname);
	sb_printf(sb, "a=ssrc:%u msid:%s %s\r\n", ssrc, l->send[idx].stream, l->send[idx].track);
}

static void put_accepted(struct strbuf *sb, const struct md_sdp_msect *m,
			 const struct md_sdp_choice *c, const struct md_sdp_local *l, unsigned idx,
			 const int *fam)
{
	const int16_t pts[] = { c->opus_pt, c->vp8_pt, c->vp8_rtx_pt, c->h264_pt, c->h264_rtx_pt };
	const uint8_t ids[] = { c->ext_audio_level, c->ext_mid, c->ext_abs_send_time, c->ext_twcc };
	const char *const uris[] = { URI_AUDIO_LEVEL, URI_MID, URI_ABS_SEND_TIME, URI_TWCC };
	const struct md_sdp_pt *h264;

	sb_printf(sb, "m=%.*s %u UDP/TLS/RTP/SAVPF", (int)m->media.len, m->media.p,
		  l->cands[0].port);
	for (size_t i = 0; i < sizeof(pts) / sizeof(pts[0]); i++)
		if (pts[i] >= 0)
			sb_printf(sb, " %d", pts[i]);
	/* c= carries the default candidate (RFC 8839 section 4.2.1.1). */
	sb_printf(sb, "\r\nc=IN %s %s\r\n", fam[0] == AF_INET6 ? "IP6" : "IP4", l->cands[0].addr);
	sb_printf(sb, "a=mid:%.*s\r\n", (int)m->mid.len, m->mid.p);
	sb_printf(sb, "a=%s\r\n", md_sdp_dir_name(c->dir));
	sb_puts(sb, "a=rtcp-mux\r\n");
	if (m->rtcp_rsize)
		sb_puts(sb, "a=rtcp-rsize\r\n");
	sb_printf(sb, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", l->ice_ufrag, l->ice_pwd);
	sb_printf(sb, "a=fingerprint:%s\r\n", l->fingerprint);
	/* RFC 8842 section 5.1: the answerer of actpass picks; we are the
	 * DTLS server, so the browser starts the handshake as soon as ICE
	 * has a pair (spec/media.md 1.2). */
	sb_puts(sb, "a=setup:passive\r\n");
	/* In the offer's order, with the offer's ids (RFC 8285 section 6). */
	for (unsigned i = 0; i < m->n_ext; i++)
		for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++)
			if (ids[k] && ids[k] == m->ext[i].id)
				sb_printf(sb, "a=extmap:%u %s\r\n", ids[k], uris[k]);
	if (c->opus_pt >= 0) {
		sb_printf(sb, "a=rtpmap:%d opus/48000/2\r\n", c->opus_pt);
		sb_printf(sb, "a=fmtp:%d minptime=10;useinbandfec=1\r\n", c->opus_pt);
	}
	if (c->vp8_pt >= 0) {
		sb_printf(sb, "a=rtpmap:%d VP8/90000\r\n", c->vp8_pt);
		put_fb(sb, c->vp8_pt,
		       md_sdp_find_pt(m, (unsigned)c->vp8_pt)->fb & ANSWER_FB);
		put_rtx(sb, c->vp8_rtx_pt, c->vp8_pt);
	}
	if (c->h264_pt >= 0) {
		h264 = md_sdp_find_pt(m, (unsigned)c->h264_pt);
		sb_printf(sb, "a=rtpmap:%d H264/90000\r\n", c->h264_pt);
		put_fb(sb, c->h264_pt, h264->fb & ANSWER_FB);
		/* RFC 6184 section 8.2.2: the answer keeps the offer's
		 * profile-level-id for a PT it accepts. */
		sb_printf(sb, "a=fmtp:%d %spacketization-mode=1;profile-level-id=%06x\r\n",
			  c->h264_pt, h264->level_asymmetry ? "level-asymmetry-allowed=1;" : "",
			  (unsigned)h264->profile_level_id);
		put_rtx(sb, c->h264_rtx_pt, c->h264_pt);
	}
	if (c->sending) {
		uint32_t ssrc = l->send[idx].ssrc, rtx = l->send[idx].rtx_ssrc;
		bool with_rtx = rtx && (c->vp8_rtx_pt >= 0 || c->h264_rtx_pt >= 0);

		sb_printf(sb, "a=msid:%s %s\r\n", l->send[idx].stream, l->send[idx].track);
		if (with_rtx)
			sb_printf(sb, "a=ssrc-group:FID %u %u\r\n", ssrc, rtx);
		put_ssrc(sb, ssrc, l, idx);
		if (with_rtx)
			put_ssrc(sb, rtx, l, idx);
	}
	/* RFC 8445 section 5.1.2.1 priority of host candidates, component 1,
	 * the first one preferred. */
	for (unsigned i = 0; i < l->n_cands; i++)
		sb_printf(sb, "a=candidate:%u 1 udp %u %s %u typ host\r\n", i + 1,
			  (126u << 24) | ((65535u - i) << 8) | 255u, l->cands[i].addr,
			  l->cands[i].port);
	sb_puts(sb, "a=end-of-candidates\r\n");
}

int md_sdp_answer(const struct md_sdp *offer, const struct md_sdp_local *local,
		  struct strbuf *out, struct md_sdp_answer_info *info, char *err, size_t errlen)
{
	struct md_sdp_answer_info ai = { .n_m = offer->n_m };
	int fam[MD_SDP_MAX_LOCAL_CAND];
	bool have_one = false;
	int r;

	if (err && errlen)
		err[0] = '\0';
	r = check_local(local, fam, err, errlen);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < offer->n_m; i++) {
		choose(offer, &offer->m[i], have_one, local, i, &ai.m[i]);
		have_one |= ai.m[i].reject == MD_SDP_ACCEPTED;
	}
	/* RFC 8829 section 5.3.1; o= and c= addresses JSEP leaves as
	 * placeholders. */
	sb_printf(out, "v=0\r\no=- %llu %llu IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
		  (unsigned long long)local->sess_id, (unsigned long long)local->sess_version);
	if (have_one) {
		/* RFC 8843 section 7.3: the accepted mids, in the offer's
		 * order; the first is the one whose transport everything
		 * uses. */
		sb_puts(out, "a=group:BUNDLE");
		for (unsigned i = 0; i < offer->n_m; i++)
			if (ai.m[i].reject == MD_SDP_ACCEPTED)
				sb_printf(out, " %.*s", (int)offer->m[i].mid.len,
					  offer->m[i].mid.p);
		sb_puts(out, "\r\n");
	}
	sb_puts(out, "a=ice-lite\r\na=msid-semantic: WMS\r\n");
	for (unsigned i = 0; i < offer->n_m; i++) {
		const struct md_sdp_msect *m = &offer->m[i];
		struct md_sdp_str fmts = m->fmts;
		struct md_sdp_str f0 = next_tok(&fmts);

		if (ai.m[i].reject == MD_SDP_ACCEPTED) {
			put_accepted(out, m, &ai.m[i], local, i, fam);
			continue;
		}
		/* RFC 8829 section 5.3.1: a rejected section keeps its media,
		 * proto and one format, port 0, and its mid. */
		sb_printf(out, "m=%.*s 0 %.*s %.*s\r\nc=IN IP4 0.0.0.0\r\na=mid:%.*s\r\n",
			  (int)m->media.len, m->media.p, (int)m->proto.len, m->proto.p,
			  (int)f0.len, f0.p, (int)m->mid.len, m->mid.p);
	}
	if (info)
		*info = ai;
	return 0;
}
