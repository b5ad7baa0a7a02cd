// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The media engine's I/O (media_engine.h).
 *
 * Data plane. One UDP socket. A datagram is classified by its first byte
 * (RFC 7983, media_ice.h). STUN goes to the endpoint whose ICE ufrag the
 * USERNAME names (unknown ufrags are dropped without an answer, as
 * mediasoup does); everything else only from the 5-tuple an endpoint's
 * ICE selected: DTLS to its cv_dtls, SRTP and SRTCP to its libsrtp
 * sessions once DTLS is done. A packet from any other source is counted
 * and dropped before any parsing beyond that first byte.
 *
 * Forwarding (this increment): every RTP packet an endpoint sends goes to
 * every other endpoint of its room whose DTLS is done and whose consent
 * holds, with the SSRC kept and the payload type mapped to the receiver's
 * number for the codec (Opus, VP8, H264 as each answer chose). RTCP is
 * read: keyframe requests (PLI, FIR) from a receiver go to the publisher
 * of the source they name, merged to one per 500 ms; NACKs are passed on
 * to the publisher; a receiver whose DTLS completes makes every video
 * source of its room get a PLI. Not done yet: the receiver slots of fixed
 * SSRCs, speaker selection, the retransmission cache and RTX, REMB, and
 * header extension id mapping (services/media/README.md).
 *
 * Control plane. A SOCK_SEQPACKET Unix socket, one JSON message per
 * packet (at most MEDIA_CTL_MSG_MAX bytes): only root and the call
 * bridge's user may connect (the socket is theirs, mode 0600, and
 * SO_PEERCRED is checked at accept).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "certs/tls.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "lib/strbuf.h"
#include "services/media/media_engine.h"
#include "services/media/media_ice.h"
#include "services/media/media_rtp.h"
#include "services/media/media_sdp.h"
#include "services/media/media_srtp.h"

#define CTL_CONNS_MAX 4
#define PKT_MAX 1500
#define TICK_MS 20
/* Video sources an endpoint sends (simulcast layers and RTX included). */
#define EP_VIDEO_SSRCS 8
/* Keyframe requests to one source are merged: at most one per this long
 * (mediasoup's KeyFrameRequestManager and Janus's fir_freq do the same). */
#define PLI_MIN_GAP_MS 500
/* The SSRC the engine signs its own RTCP with. */
#define ENGINE_SSRC 0x434f4e56u /* "CONV" */

struct ep {
	struct media_engine *e;
	struct ep *next;
	uint32_t id;
	char room[MEDIA_ROOM_MAX + 1];
	struct media_ice ice;
	struct cv_dtls *dtls;
	bool dtls_done, failed, consent_lost;
	struct media_srtp srtp;
	bool srtp_on;
	int16_t opus_pt, vp8_pt, h264_pt; /* this endpoint's numbers, -1: none */
	/* The video SSRCs seen from this endpoint, and when each was last
	 * asked for a keyframe. */
	uint32_t video_ssrc[EP_VIDEO_SSRCS];
	uint64_t video_pli_ms[EP_VIDEO_SSRCS];
	unsigned n_video;
	/* The lowest bitrate the receivers of this endpoint's video asked
	 * for (their REMB) since the last one we sent it, 0: none. */
	uint64_t remb_min_bps;
	uint64_t remb_sent_ms, remb_last_bps;
	uint64_t rx_rtp, rx_rtcp, tx_rtp, dropped;
	uint64_t pli_sent, pli_merged, nack_forwarded, remb_sent;
};

struct ctl_conn {
	struct media_engine *e;
	int fd;
	uv_poll_t poll;
	bool used;
};

struct media_engine {
	uv_loop_t *loop;
	struct media_engine_cfg cfg;
	uv_udp_t udp;
	bool udp_on;
	int ctl_fd;
	uv_poll_t ctl_poll;
	bool ctl_on;
	struct ctl_conn conns[CTL_CONNS_MAX];
	uv_timer_t timer;
	bool timer_on;
	struct cv_tls_creds *creds;
	char fp[128];
	struct ep *eps;
	unsigned n_eps;
	uint32_t next_id;
	uint64_t garbage, unknown_ufrag;
	struct md_sdp *offer; /* ~150 KiB: one, on the heap */
	uint8_t rbuf[PKT_MAX + MEDIA_SRTP_OVERHEAD];
	uint8_t obuf[PKT_MAX + MEDIA_SRTP_OVERHEAD];
};

/* --- data plane ------------------------------------------------------------------ */

static void udp_send(struct media_engine *e, const struct stun_addr *to, const uint8_t *buf,
		     size_t len)
{
	struct sockaddr_storage ss;
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);

	stun_addr_to_sockaddr(to, &ss);
	/* A full socket buffer drops the datagram, as the network would. */
	(void)uv_udp_try_send(&e->udp, &b, 1, (const struct sockaddr *)&ss);
}

static void keyframes_for_newcomer(struct media_engine *e, struct ep *newcomer);

static int dtls_send(void *arg, const uint8_t *buf, size_t len)
{
	struct ep *ep = arg;

	if (!ep->ice.selected)
		return -ENOTCONN;
	udp_send(ep->e, &ep->ice.tuple, buf, len);
	return 0;
}

static void dtls_handshake(struct cv_dtls *d, int status, void *arg)
{
	struct ep *ep = arg;
	struct cv_srtp_keys k;

	if (status < 0) {
		cv_warn("endpoint %u: DTLS failed: %s", ep->id, cv_dtls_error(d));
		ep->failed = true;
		return;
	}
	if (cv_dtls_srtp_keys(d, &k) < 0 || media_srtp_init(&ep->srtp, &k, true) < 0) {
		cv_warn("endpoint %u: no SRTP keys from the DTLS handshake", ep->id);
		ep->failed = true;
		gnutls_memset(&k, 0, sizeof(k));
		return;
	}
	ep->dtls_done = ep->srtp_on = true;
	cv_info("endpoint %u: DTLS done, SRTP %s", ep->id,
		k.profile == CV_SRTP_AES128_CM_HMAC_SHA1_32 ? "AES128_CM_HMAC_SHA1_32"
							    : "AES128_CM_HMAC_SHA1_80");
	gnutls_memset(&k, 0, sizeof(k));
	keyframes_for_newcomer(ep->e, ep);
}

static void dtls_data(struct cv_dtls *d, const uint8_t *buf, size_t len, void *arg)
{
	(void)d;
	(void)buf;
	(void)len;
	(void)arg; /* no data channels */
}

static const struct cv_dtls_ops dtls_ops = { dtls_send, dtls_handshake, dtls_data };

static struct ep *ep_by_ufrag(struct media_engine *e, const char *ufrag)
{
	for (struct ep *ep = e->eps; ep; ep = ep->next)
		if (!strcmp(ep->ice.ufrag, ufrag) ||
		    (ep->ice.old_ufrag[0] && !strcmp(ep->ice.old_ufrag, ufrag)))
			return ep;
	return NULL;
}

static struct ep *ep_by_tuple(struct media_engine *e, const struct stun_addr *from)
{
	for (struct ep *ep = e->eps; ep; ep = ep->next)
		if (ep->ice.selected && stun_addr_equal(&ep->ice.tuple, from, true))
			return ep;
	return NULL;
}

/* The receiver's payload type for what the sender sent as pt, or -1. */
static int map_pt(const struct ep *from, const struct ep *to, uint8_t pt)
{
	if (pt == from->opus_pt)
		return to->opus_pt;
	if (pt == from->vp8_pt)
		return to->vp8_pt;
	if (pt == from->h264_pt)
		return to->h264_pt;
	return -1;
}

static void forward_rtp(struct media_engine *e, struct ep *from, const uint8_t *pkt, size_t len)
{
	for (struct ep *to = e->eps; to; to = to->next) {
		size_t n = len;
		int pt;

		if (to == from || !to->srtp_on || to->consent_lost || strcmp(to->room, from->room))
			continue;
		pt = map_pt(from, to, pkt[1] & 0x7f);
		if (pt < 0)
			continue;
		memcpy(e->obuf, pkt, len);
		e->obuf[1] = (uint8_t)((e->obuf[1] & 0x80) | pt);
		if (media_srtp_protect(&to->srtp, e->obuf, &n, sizeof(e->obuf), false) < 0)
			continue;
		udp_send(e, &to->ice.tuple, e->obuf, n);
		to->tx_rtp++;
	}
}

/* Sends our own RTCP packet (built in e->obuf[0..n)) to ep over SRTCP. */
static void send_rtcp(struct media_engine *e, struct ep *ep, size_t n)
{
	if (media_srtp_protect(&ep->srtp, e->obuf, &n, sizeof(e->obuf), true) == 0)
		udp_send(e, &ep->ice.tuple, e->obuf, n);
}

/* Asks the publisher ep for a keyframe of its video source i, at most once
 * per PLI_MIN_GAP_MS: requests in between are merged into that one. */
static void request_keyframe(struct media_engine *e, struct ep *ep, unsigned i)
{
	uint64_t now = uv_now(e->loop);
	size_t n;

	if (!ep->srtp_on || ep->consent_lost)
		return;
	if (ep->video_pli_ms[i] && now - ep->video_pli_ms[i] < PLI_MIN_GAP_MS) {
		ep->pli_merged++;
		return;
	}
	ep->video_pli_ms[i] = now;
	n = media_rtcp_build_pli(e->obuf, sizeof(e->obuf), ENGINE_SSRC, ep->video_ssrc[i]);
	send_rtcp(e, ep, n);
	ep->pli_sent++;
}

/* A new receiver in the room (its DTLS is done): every video source there
 * is asked for a keyframe, so that the receiver can start decoding at
 * once rather than at the sender's next keyframe. */
static void keyframes_for_newcomer(struct media_engine *e, struct ep *newcomer)
{
	for (struct ep *ep = e->eps; ep; ep = ep->next)
		if (ep != newcomer && !strcmp(ep->room, newcomer->room))
			for (unsigned i = 0; i < ep->n_video; i++)
				request_keyframe(e, ep, i);
}

static void note_video_ssrc(struct ep *ep, uint32_t ssrc)
{
	for (unsigned i = 0; i < ep->n_video; i++)
		if (ep->video_ssrc[i] == ssrc)
			return;
	if (ep->n_video < EP_VIDEO_SSRCS)
		ep->video_ssrc[ep->n_video++] = ssrc;
}

/* The publisher of source ssrc in the room of from, and the index of that
 * source; NULL if none. */
static struct ep *publisher_of(struct media_engine *e, const struct ep *from, uint32_t ssrc,
			       unsigned *ret_i)
{
	for (struct ep *ep = e->eps; ep; ep = ep->next) {
		if (ep == from || strcmp(ep->room, from->room))
			continue;
		for (unsigned i = 0; i < ep->n_video; i++)
			if (ep->video_ssrc[i] == ssrc) {
				*ret_i = i;
				return ep;
			}
	}
	return NULL;
}

/* A receiver's RTCP: keyframe requests (PLI, FIR) go to the publisher of
 * the source they name, merged; NACKs are passed on to it as they are
 * (the publisher resends on the same SSRC, spec/media.md 0.4). Reports
 * and the rest are only counted for now. */
static void on_rtcp(struct media_engine *e, struct ep *from, const uint8_t *buf, size_t len)
{
	static struct media_rtcp r;
	size_t off = 0;
	unsigned i;
	struct ep *pub;

	for (unsigned k = 0; k <= len / 4 && media_rtcp_next(buf, len, &off, &r) == 1; k++) {
		if (r.kind == MEDIA_RTCP_K_PLI || r.kind == MEDIA_RTCP_K_FIR) {
			pub = publisher_of(e, from, r.media_ssrc, &i);
			if (pub)
				request_keyframe(e, pub, i);
		} else if (r.kind == MEDIA_RTCP_K_REMB && r.n_remb_ssrcs) {
			/* Each receiver estimates what it can take; the
			 * publisher is told the lowest (remb_tick). */
			pub = publisher_of(e, from, r.remb_ssrcs[0], &i);
			if (pub && (!pub->remb_min_bps || r.remb_bps < pub->remb_min_bps))
				pub->remb_min_bps = r.remb_bps;
		} else if (r.kind == MEDIA_RTCP_K_NACK && r.n_nack) {
			size_t n;

			pub = publisher_of(e, from, r.media_ssrc, &i);
			if (!pub || !pub->srtp_on)
				continue;
			n = media_rtcp_build_nack(e->obuf, sizeof(e->obuf), ENGINE_SSRC,
						  r.media_ssrc, r.nack, r.n_nack);
			if (n) {
				send_rtcp(e, pub, n);
				pub->nack_forwarded++;
			}
		}
	}
}

static void on_stun(struct media_engine *e, const struct stun_addr *from, const uint8_t *buf,
		    size_t len)
{
	char ufrag[MEDIA_ICE_UFRAG_MAX + 1], a[64];
	uint8_t out[MEDIA_ICE_RESPONSE_MAX];
	size_t on;
	struct ep *ep;

	if (media_ice_request_ufrag(buf, len, ufrag) < 0 || !(ep = ep_by_ufrag(e, ufrag))) {
		e->unknown_ufrag++;
		return;
	}
	switch (media_ice_input(&ep->ice, buf, len, from, uv_now(e->loop), out, sizeof(out),
				&on)) {
	case MEDIA_ICE_SELECTED:
		stun_addr_format(from, a, sizeof(a));
		cv_info("endpoint %u: ICE selected %s", ep->id, a);
		ep->consent_lost = false;
		/* fall through */
	case MEDIA_ICE_OK:
	case MEDIA_ICE_ERROR:
		if (on)
			udp_send(e, from, out, on);
		break;
	case MEDIA_ICE_IGNORED:
		break;
	}
}

static void on_datagram(struct media_engine *e, const struct stun_addr *from, uint8_t *buf,
			size_t len)
{
	enum media_pkt_kind k = media_demux(buf, len);
	struct ep *ep;

	if (k == MEDIA_PKT_STUN) {
		on_stun(e, from, buf, len);
		return;
	}
	ep = ep_by_tuple(e, from);
	if (!ep || k == MEDIA_PKT_UNKNOWN) {
		e->garbage++;
		return;
	}
	if (k == MEDIA_PKT_DTLS) {
		if (ep->dtls && !ep->failed)
			cv_dtls_input(ep->dtls, buf, len);
		return;
	}
	if (!ep->srtp_on) {
		ep->dropped++;
		return;
	}
	if (media_srtp_unprotect(&ep->srtp, buf, &len, k == MEDIA_PKT_RTCP) < 0) {
		ep->dropped++;
		return;
	}
	if (k == MEDIA_PKT_RTCP) {
		ep->rx_rtcp++;
		on_rtcp(e, ep, buf, len);
		return;
	}
	{
		struct media_rtp r;

		if (media_rtp_parse(buf, len, &r) < 0) {
			ep->dropped++;
			return;
		}
		if ((ep->vp8_pt >= 0 && r.pt == ep->vp8_pt) ||
		    (ep->h264_pt >= 0 && r.pt == ep->h264_pt))
			note_video_ssrc(ep, r.ssrc);
	}
	ep->rx_rtp++;
	forward_rtp(e, ep, buf, len);
}

static void udp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct media_engine *e = h->data;

	(void)hint;
	/* Room past the largest datagram we accept: SRTP unprotects in
	 * place and never grows a packet. */
	*buf = uv_buf_init((char *)e->rbuf, PKT_MAX);
}

static void udp_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *buf, const struct sockaddr *addr,
		     unsigned flags)
{
	struct media_engine *e = u->data;
	struct stun_addr from;

	if (n <= 0 || !addr || (flags & UV_UDP_PARTIAL)) {
		if (n > 0)
			e->garbage++;
		return;
	}
	if (stun_addr_from_sockaddr(addr, &from) < 0)
		return;
	on_datagram(e, &from, (uint8_t *)buf->base, (size_t)n);
}

/* --- endpoints ----------------------------------------------------------------------- */

static void ep_free(struct ep *ep)
{
	if (ep->dtls)
		cv_dtls_free(ep->dtls);
	if (ep->srtp_on)
		media_srtp_free(&ep->srtp);
	gnutls_memset(&ep->ice, 0, sizeof(ep->ice));
	free(ep);
}

static void ep_unlink(struct media_engine *e, struct ep *ep)
{
	for (struct ep **pp = &e->eps; *pp; pp = &(*pp)->next)
		if (*pp == ep) {
			*pp = ep->next;
			e->n_eps--;
			return;
		}
}

static struct ep *ep_find(struct media_engine *e, uint32_t id)
{
	for (struct ep *ep = e->eps; ep; ep = ep->next)
		if (ep->id == id)
			return ep;
	return NULL;
}

static void fp_format(const struct md_sdp_fp *fp, char *buf, size_t len)
{
	size_t at = (size_t)snprintf(buf, len, "sha-256 ");

	for (unsigned i = 0; i < fp->len && at + 3 < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%02X", i ? ":" : "", fp->bytes[i]);
}

/* endpoint_create: the offer in, the answer out. */
static json_object *ctl_create(struct media_engine *e, json_object *req, char *err, size_t errlen)
{
	const char *room = json_object_get_string(json_object_object_get(req, "room"));
	json_object *jo = json_object_object_get(req, "offer");
	const char *offer = json_object_get_string(jo);
	struct md_sdp_local local;
	struct md_sdp_answer_info info;
	struct strbuf sb = STRBUF_INIT;
	char ufrag[MEDIA_ICE_UFRAG_MAX + 1], rfp[200], addr[INET_ADDRSTRLEN];
	uint8_t rnd[8];
	struct ep *ep;
	json_object *res;
	int r;

	if (!room || !*room || strlen(room) > MEDIA_ROOM_MAX) {
		cv_fail(err, errlen, "room: missing or longer than %d characters", MEDIA_ROOM_MAX);
		return NULL;
	}
	if (!offer || !json_object_is_type(jo, json_type_string)) {
		cv_fail(err, errlen, "offer: missing");
		return NULL;
	}
	if (e->n_eps >= MEDIA_ENDPOINTS_MAX) {
		cv_fail(err, errlen, "too many endpoints (%d)", MEDIA_ENDPOINTS_MAX);
		return NULL;
	}
	r = md_sdp_parse((const uint8_t *)offer, (size_t)json_object_get_string_len(jo), e->offer,
			 err, errlen);
	if (r < 0)
		return NULL;
	if (!e->offer->ice.ufrag.p || e->offer->ice.ufrag.len > MEDIA_ICE_UFRAG_MAX ||
	    !e->offer->fp.usable) {
		cv_fail(err, errlen, "offer: no ICE ufrag or sha-256 fingerprint");
		return NULL;
	}
	memcpy(ufrag, e->offer->ice.ufrag.p, e->offer->ice.ufrag.len);
	ufrag[e->offer->ice.ufrag.len] = '\0';
	fp_format(&e->offer->fp, rfp, sizeof(rfp));

	ep = xcalloc(1, sizeof(*ep));
	ep->e = e;
	ep->id = ++e->next_id;
	snprintf(ep->room, sizeof(ep->room), "%s", room);
	ep->opus_pt = ep->vp8_pt = ep->h264_pt = -1;
	if (media_ice_init(&ep->ice, ufrag) < 0) {
		cv_fail(err, errlen, "offer: the ICE ufrag is not ice-chars");
		goto fail;
	}
	if (cv_dtls_new(e->creds, true, rfp, &dtls_ops, ep, &ep->dtls) < 0 ||
	    cv_dtls_start(ep->dtls) < 0) {
		cv_fail(err, errlen, "cannot set up DTLS");
		goto fail;
	}
	memset(&local, 0, sizeof(local));
	gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd));
	memcpy(&local.sess_id, rnd, sizeof(rnd));
	local.sess_id &= 0x7fffffffffffffffull;
	local.sess_version = 1;
	local.ice_ufrag = ep->ice.ufrag;
	local.ice_pwd = ep->ice.pwd;
	local.fingerprint = e->fp;
	inet_ntop(AF_INET, &e->cfg.addr, addr, sizeof(addr));
	local.n_cands = 1;
	local.cands[0].addr = addr;
	local.cands[0].port = e->cfg.port;
	local.cname = "convene";
	if (md_sdp_answer(e->offer, &local, &sb, &info, err, errlen) < 0)
		goto fail;
	for (unsigned i = 0; i < info.n_m; i++) {
		const struct md_sdp_choice *c = &info.m[i];

		if (c->reject != MD_SDP_ACCEPTED)
			continue;
		if (c->opus_pt >= 0 && ep->opus_pt < 0)
			ep->opus_pt = c->opus_pt;
		if (c->vp8_pt >= 0 && ep->vp8_pt < 0)
			ep->vp8_pt = c->vp8_pt;
		if (c->h264_pt >= 0 && ep->h264_pt < 0)
			ep->h264_pt = c->h264_pt;
	}
	ep->next = e->eps;
	e->eps = ep;
	e->n_eps++;
	cv_info("endpoint %u: created in room %s (opus %d, vp8 %d, h264 %d)", ep->id, ep->room,
		ep->opus_pt, ep->vp8_pt, ep->h264_pt);
	res = json_object_new_object();
	json_object_object_add(res, "endpoint", json_object_new_int64(ep->id));
	json_object_object_add(res, "answer", json_object_new_string(sb_str(&sb)));
	sb_free(&sb);
	return res;
fail:
	sb_free(&sb);
	ep_free(ep);
	return NULL;
}

static const char *ep_state(const struct ep *ep)
{
	if (ep->failed)
		return "failed";
	if (ep->consent_lost)
		return "consent-expired";
	if (ep->dtls_done)
		return "connected";
	if (ep->ice.selected)
		return "ice-connected";
	return "new";
}

static json_object *ctl_stats(struct media_engine *e)
{
	json_object *res = json_object_new_object(), *a = json_object_new_array();

	for (struct ep *ep = e->eps; ep; ep = ep->next) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "endpoint", json_object_new_int64(ep->id));
		json_object_object_add(o, "room", json_object_new_string(ep->room));
		json_object_object_add(o, "state", json_object_new_string(ep_state(ep)));
		json_object_object_add(o, "rx_rtp", json_object_new_int64((int64_t)ep->rx_rtp));
		json_object_object_add(o, "rx_rtcp", json_object_new_int64((int64_t)ep->rx_rtcp));
		json_object_object_add(o, "tx_rtp", json_object_new_int64((int64_t)ep->tx_rtp));
		json_object_object_add(o, "dropped", json_object_new_int64((int64_t)ep->dropped));
		json_object_object_add(o, "srtp_duplicates",
				       json_object_new_int64((int64_t)ep->srtp.duplicates));
		json_object_object_add(o, "video_sources", json_object_new_int64(ep->n_video));
		json_object_object_add(o, "pli_sent", json_object_new_int64((int64_t)ep->pli_sent));
		json_object_object_add(o, "pli_merged",
				       json_object_new_int64((int64_t)ep->pli_merged));
		json_object_object_add(o, "nack_forwarded",
				       json_object_new_int64((int64_t)ep->nack_forwarded));
		json_object_object_add(o, "remb_sent", json_object_new_int64((int64_t)ep->remb_sent));
		json_object_object_add(o, "remb_bps", json_object_new_int64((int64_t)ep->remb_last_bps));
		json_object_array_add(a, o);
	}
	json_object_object_add(res, "endpoints", a);
	json_object_object_add(res, "garbage", json_object_new_int64((int64_t)e->garbage));
	json_object_object_add(res, "unknown_ufrag",
			       json_object_new_int64((int64_t)e->unknown_ufrag));
	return res;
}

/* One control message; the reply is {"ok":true,...} or {"ok":false,"error":"..."}. */
static json_object *ctl_handle(struct media_engine *e, const char *msg, size_t len)
{
	json_tokener *tok = json_tokener_new_ex(8);
	json_object *req = NULL, *res = NULL;
	const char *op;
	char err[256] = "";

	if (tok)
		req = json_tokener_parse_ex(tok, msg, (int)len);
	if (!req || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(req, json_type_object)) {
		snprintf(err, sizeof(err), "not a JSON object");
		goto out;
	}
	op = json_object_get_string(json_object_object_get(req, "op"));
	if (!op) {
		snprintf(err, sizeof(err), "op: missing");
	} else if (!strcmp(op, "endpoint_create")) {
		res = ctl_create(e, req, err, sizeof(err));
	} else if (!strcmp(op, "endpoint_destroy")) {
		json_object *jid = json_object_object_get(req, "endpoint");
		struct ep *ep = jid ? ep_find(e, (uint32_t)json_object_get_int64(jid)) : NULL;

		if (!ep) {
			snprintf(err, sizeof(err), "endpoint: no such endpoint");
		} else {
			cv_info("endpoint %u: destroyed", ep->id);
			ep_unlink(e, ep);
			ep_free(ep);
			res = json_object_new_object();
		}
	} else if (!strcmp(op, "stats")) {
		res = ctl_stats(e);
	} else {
		snprintf(err, sizeof(err), "op: unknown operation \"%.64s\"", op);
	}
out:
	if (tok)
		json_tokener_free(tok);
	json_object_put(req);
	if (!res) {
		res = json_object_new_object();
		json_object_object_add(res, "ok", json_object_new_boolean(false));
		json_object_object_add(res, "error", json_object_new_string(err));
	} else {
		json_object_object_add(res, "ok", json_object_new_boolean(true));
	}
	return res;
}

/* --- control socket ------------------------------------------------------------------ */

/* The slot is free again only when libuv is done with its handle. */
static void ctl_closed(uv_handle_t *h)
{
	((struct ctl_conn *)h->data)->used = false;
}

static void ctl_close(struct ctl_conn *c)
{
	if (c->fd < 0)
		return;
	uv_poll_stop(&c->poll);
	uv_close((uv_handle_t *)&c->poll, ctl_closed);
	close(c->fd);
	c->fd = -1;
}

static void ctl_readable(uv_poll_t *p, int status, int events)
{
	struct ctl_conn *c = p->data;
	struct media_engine *e = c->e;
	static char msg[MEDIA_CTL_MSG_MAX + 1];
	ssize_t n;
	json_object *res;
	const char *out;

	(void)events;
	if (status < 0) {
		ctl_close(c);
		return;
	}
	/* SOCK_SEQPACKET: one message per read; a longer one is truncated
	 * (MSG_TRUNC says so) and refused. */
	n = recv(c->fd, msg, sizeof(msg), MSG_TRUNC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		ctl_close(c);
		return;
	}
	if ((size_t)n > MEDIA_CTL_MSG_MAX) {
		res = json_object_new_object();
		json_object_object_add(res, "ok", json_object_new_boolean(false));
		json_object_object_add(res, "error",
				       json_object_new_string("message longer than 64 KiB"));
	} else {
		res = ctl_handle(e, msg, (size_t)n);
	}
	out = json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN);
	if (send(c->fd, out, strlen(out), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		ctl_close(c);
	json_object_put(res);
}

static void ctl_accept(uv_poll_t *p, int status, int events)
{
	struct media_engine *e = p->data;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	int fd;

	(void)events;
	if (status < 0)
		return;
	fd = accept4(e->ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
	    (cred.uid != 0 && cred.uid != e->cfg.control_uid)) {
		cv_warn("control socket: refused a connection from uid %d", (int)cred.uid);
		close(fd);
		return;
	}
	for (int i = 0; i < CTL_CONNS_MAX; i++) {
		struct ctl_conn *c = &e->conns[i];

		if (c->used)
			continue;
		c->used = true;
		c->e = e;
		c->fd = fd;
		uv_poll_init(e->loop, &c->poll, fd);
		c->poll.data = c;
		uv_poll_start(&c->poll, UV_READABLE, ctl_readable);
		return;
	}
	cv_warn("control socket: more than %d connections", CTL_CONNS_MAX);
	close(fd);
}

/* --- timers ----------------------------------------------------------------------------- */

/* Once a second: each publisher that receivers sent REMB about gets the
 * lowest of their estimates for its video sources (the SFU's aggregation:
 * the sender may not go above what its slowest receiver takes; simulcast
 * layers will lift that rule). */
static void remb_tick(struct media_engine *e, struct ep *ep, uint64_t now)
{
	size_t n;

	if (!ep->remb_min_bps || !ep->n_video || !ep->srtp_on || now - ep->remb_sent_ms < 1000)
		return;
	n = media_rtcp_build_remb(e->obuf, sizeof(e->obuf), ENGINE_SSRC, ep->remb_min_bps,
				  ep->video_ssrc, ep->n_video);
	if (n) {
		send_rtcp(e, ep, n);
		ep->remb_sent++;
		ep->remb_last_bps = ep->remb_min_bps;
	}
	ep->remb_sent_ms = now;
	ep->remb_min_bps = 0;
}

static void on_tick(uv_timer_t *t)
{
	struct media_engine *e = t->data;
	uint64_t now = uv_now(e->loop);

	for (struct ep *ep = e->eps; ep; ep = ep->next) {
		remb_tick(e, ep, now);
		if (ep->dtls && !ep->dtls_done && !ep->failed && ep->ice.selected &&
		    cv_dtls_timeout_ms(ep->dtls) == 0)
			cv_dtls_tick(ep->dtls);
		if (!ep->consent_lost && media_ice_consent_expired(&ep->ice, now)) {
			/* RFC 7675 5.1: stop sending. */
			cv_info("endpoint %u: consent expired (no check for %u s)", ep->id,
				MEDIA_ICE_CONSENT_MS / 1000);
			ep->consent_lost = true;
		}
	}
}

/* --- set-up ----------------------------------------------------------------------------- */

int media_engine_bind(uv_loop_t *loop, const struct media_engine_cfg *cfg,
		      struct media_engine **ret, char *err, size_t errlen)
{
	struct media_engine *e = xcalloc(1, sizeof(*e));
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = cfg->addr,
				   .sin_port = htons(cfg->port) };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int r;

	e->loop = loop;
	e->cfg = *cfg;
	e->ctl_fd = -1;
	e->offer = xmalloc(sizeof(*e->offer));
	uv_udp_init(loop, &e->udp);
	e->udp.data = e;
	e->udp_on = true;
	r = uv_udp_bind(&e->udp, (struct sockaddr *)&sin, 0);
	if (r < 0) {
		r = cv_fail(err, errlen, "cannot bind UDP port %u: %s", cfg->port, uv_strerror(r));
		goto fail;
	}
	if (strlen(cfg->control) >= sizeof(sun.sun_path)) {
		r = cv_fail(err, errlen, "control socket path too long");
		goto fail;
	}
	strcpy(sun.sun_path, cfg->control);
	unlink(cfg->control);
	e->ctl_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (e->ctl_fd < 0 || bind(e->ctl_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(cfg->control, 0600) < 0 ||
	    (cfg->control_uid && chown(cfg->control, cfg->control_uid, (gid_t)-1) < 0) ||
	    listen(e->ctl_fd, 8) < 0) {
		r = -errno;
		cv_fail(err, errlen, "control socket %s: %s", cfg->control, strerror(errno));
		goto fail;
	}
	*ret = e;
	return 0;
fail:
	media_engine_stop(e);
	uv_run(loop, UV_RUN_NOWAIT);
	media_engine_free(e);
	return r;
}

int media_engine_start(struct media_engine *e, char *err, size_t errlen)
{
	struct cv_tls_config cfg;
	char why[256];

	if (media_srtp_global_init() < 0)
		return cv_fail(err, errlen, "libsrtp did not start");
	cv_tls_config_init(&cfg, true);
	if (e->cfg.min_dtls[0])
		snprintf(cfg.min_version, sizeof(cfg.min_version), "%s", e->cfg.min_dtls);
	if (cv_tls_creds_ephemeral(&cfg, &e->creds, why, sizeof(why)) < 0)
		return cv_fail(err, errlen, "DTLS credentials: %s", why);
	cv_tls_creds_fingerprint(e->creds, e->fp, sizeof(e->fp));
	uv_udp_recv_start(&e->udp, udp_alloc, udp_recv);
	uv_poll_init(e->loop, &e->ctl_poll, e->ctl_fd);
	e->ctl_poll.data = e;
	e->ctl_on = true;
	uv_poll_start(&e->ctl_poll, UV_READABLE, ctl_accept);
	uv_timer_init(e->loop, &e->timer);
	e->timer.data = e;
	e->timer_on = true;
	uv_timer_start(&e->timer, on_tick, TICK_MS, TICK_MS);
	return 0;
}

void media_engine_stop(struct media_engine *e)
{
	if (!e)
		return;
	if (e->udp_on)
		uv_close((uv_handle_t *)&e->udp, NULL);
	e->udp_on = false;
	if (e->ctl_on) {
		uv_poll_stop(&e->ctl_poll);
		uv_close((uv_handle_t *)&e->ctl_poll, NULL);
	}
	e->ctl_on = false;
	if (e->timer_on)
		uv_close((uv_handle_t *)&e->timer, NULL);
	e->timer_on = false;
	for (int i = 0; i < CTL_CONNS_MAX; i++)
		if (e->conns[i].used)
			ctl_close(&e->conns[i]);
}

void media_engine_free(struct media_engine *e)
{
	if (!e)
		return;
	while (e->eps) {
		struct ep *ep = e->eps;

		e->eps = ep->next;
		ep_free(ep);
	}
	if (e->ctl_fd >= 0) {
		close(e->ctl_fd);
		unlink(e->cfg.control);
	}
	if (e->creds)
		cv_tls_creds_unref(e->creds);
	free(e->offer);
	free(e);
}
