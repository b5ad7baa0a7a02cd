// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of services/media/media_sdp.c: the Chromium 156 and aiortc
 * offers of the seed corpus (tests/fuzz/corpus/mediasdp/) parsed field by
 * field, with CRLF and with LF; our answer to each, checked as text and
 * parsed back with the same parser; every rejection reason of the answer;
 * every cap at its edge (at the cap passes, one over fails with the named
 * reason); malformed offers, each with its errno and the line it names.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/file.h"
#include "lib/mem.h"
#include "lib/strbuf.h"
#include "services/media/media_sdp.h"
#include "tests/unit/tap.h"

/* Large: static, not on the stack. */
static struct md_sdp sdp, ans;

static char *load(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char *path = xasprintf("%s/tests/fuzz/corpus/mediasdp/%s", top ? top : "..", name);
	char *buf = NULL;

	if (cv_file_read(path, 1u << 20, &buf, len) < 0) {
		printf("Bail out! cannot read %s\n", path);
		exit(1);
	}
	free(path);
	return buf;
}

static bool eq(struct md_sdp_str s, const char *lit)
{
	return s.p && s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

/* The slice as a string for is_str (one of a few rotating buffers). */
static const char *str(struct md_sdp_str s)
{
	static char b[4][256];
	static int k;
	char *p = b[k++ & 3];

	if (!s.p)
		return NULL;
	snprintf(p, sizeof(b[0]), "%.*s", (int)(s.len < 255 ? s.len : 255), s.p);
	return p;
}

static const struct md_sdp_pt *pt_of(const struct md_sdp_msect *m, unsigned pt)
{
	for (unsigned i = 0; i < m->n_pts; i++)
		if (m->pts[i].pt == pt)
			return &m->pts[i];
	return NULL;
}

static int parse(const char *s, size_t len, char *err, size_t errlen)
{
	return md_sdp_parse((const uint8_t *)s, len, &sdp, err, errlen);
}

#define FP32                                                                                       \
	"4E:9A:1C:7B:22:0D:E5:F3:61:8A:B2:C4:D6:E8:FA:0C:1E:30:42:54:66:78:8A:9C:AE:B0:C2:D4:E6:"  \
	"F8:0A:1C"
#define HDR "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
#define TRANSPORT                                                                                  \
	"a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=fingerprint:sha-256 " FP32      \
	"\r\na=setup:actpass\r\n"
#define AUDIO(mid)                                                                                 \
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:" mid "\r\na=rtcp-mux\r\n"   \
		TRANSPORT "a=rtpmap:111 opus/48000/2\r\n"
#define VIDEO(mid)                                                                                 \
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=mid:" mid                      \
	"\r\na=rtcp-mux\r\n" TRANSPORT "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack pli\r\n"        \
	"a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"

static const char *const our_fp = "sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
				  "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";

static void local_init(struct md_sdp_local *l)
{
	memset(l, 0, sizeof(*l));
	l->sess_id = 4611731400430051336ull;
	l->sess_version = 2;
	l->ice_ufrag = "srvU";
	l->ice_pwd = "serverpasswordserverpass";
	l->fingerprint = our_fp;
	l->n_cands = 1;
	l->cands[0].addr = "192.0.2.10";
	l->cands[0].port = 40500;
	l->cname = "convene";
}

/* --- the Chromium offer ------------------------------------------------------------------ */

static void check_chrome(const char *label)
{
	const struct md_sdp_msect *a = &sdp.m[0], *v = &sdp.m[1];
	const struct md_sdp_pt *p;

	is_int(sdp.sess_id, 4215775240449105457ull, "%s: o= session id", label);
	is_int(sdp.sess_version, 2, "%s: o= version", label);
	ok(sdp.has_bundle && sdp.n_bundle == 2 && eq(sdp.bundle[0], "0") && eq(sdp.bundle[1], "1"),
	   "%s: a=group:BUNDLE 0 1", label);
	ok(sdp.extmap_allow_mixed, "%s: a=extmap-allow-mixed", label);
	is_str(str(sdp.msid_semantic), "WMS", "%s: msid-semantic WMS", label);
	is_str(str(sdp.msid_semantic_ids), "b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
	       "%s: msid-semantic stream", label);
	ok(!sdp.ice_lite, "%s: not ice-lite", label);
	is_str(str(sdp.ice.ufrag), "Ey3n", "%s: ice-ufrag (from the media level)", label);
	is_str(str(sdp.ice.pwd), "5ZmIJCWkBYp8L6H3m2JdIw1r", "%s: ice-pwd", label);
	ok(sdp.ice.trickle && !sdp.ice.ice2, "%s: ice-options trickle", label);
	ok(sdp.fp.present && sdp.fp.usable && sdp.fp.hash == MD_SDP_HASH_SHA256 &&
		   sdp.fp.len == 32,
	   "%s: sha-256 fingerprint, 32 bytes, usable", label);
	is_int(sdp.setup, MD_SDP_SETUP_ACTPASS, "%s: setup actpass", label);
	is_int(sdp.n_m, 2, "%s: two m-sections", label);

	is_int(a->kind, MD_SDP_AUDIO, "%s: audio", label);
	is_int(a->port, 9, "%s: audio port 9", label);
	is_str(str(a->proto), "UDP/TLS/RTP/SAVPF", "%s: audio proto", label);
	ok(a->rtp, "%s: audio formats are payload types", label);
	is_str(str(a->mid), "0", "%s: audio mid", label);
	is_int(a->dir, MD_SDP_SENDRECV, "%s: audio sendrecv", label);
	ok(a->rtcp_mux && a->rtcp_rsize, "%s: audio rtcp-mux, rtcp-rsize", label);
	is_int(a->n_pts, 8, "%s: audio has 8 payload types", label);
	p = &a->pts[0];
	ok(p->pt == 111 && eq(p->name, "opus") && p->clock == 48000 && p->channels == 2,
	   "%s: 111 opus/48000/2 first", label);
	is_str(str(p->fmtp), "minptime=10;useinbandfec=1", "%s: opus fmtp raw", label);
	is_int(p->fb, MD_SDP_FB_TRANSPORT_CC, "%s: opus rtcp-fb transport-cc", label);
	p = pt_of(a, 63);
	ok(p && eq(p->name, "red") && eq(p->fmtp, "111/111") && p->apt == -1,
	   "%s: 63 red with its fmtp, no apt", label);
	p = pt_of(a, 110);
	ok(p && eq(p->name, "telephone-event") && p->clock == 48000 && p->channels == 0,
	   "%s: 110 telephone-event/48000, no channels", label);
	ok(a->n_ext == 4 && a->ext[0].id == 1 &&
		   eq(a->ext[0].uri, "urn:ietf:params:rtp-hdrext:ssrc-audio-level") &&
		   a->ext[3].id == 4 && eq(a->ext[3].uri, "urn:ietf:params:rtp-hdrext:sdes:mid"),
	   "%s: audio extmaps 1-4", label);
	ok(a->n_ssrcs == 1 && a->ssrcs[0].ssrc == 3735928559u &&
		   eq(a->ssrcs[0].cname, "oH2nXw2k0dWQdU4J") &&
		   eq(a->ssrcs[0].msid, "b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d "
					"0a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d"),
	   "%s: audio ssrc with cname and msid", label);
	ok(eq(a->msid_stream, "b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d") &&
		   eq(a->msid_track, "0a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d"),
	   "%s: audio a=msid", label);
	is_int(a->n_cands, 3, "%s: three candidates kept", label);
	is_int(a->mdns_skipped, 1, "%s: the .local candidate is skipped", label);
	ok(eq(a->cands[0].foundation, "1467250027") && a->cands[0].component == 1 &&
		   !a->cands[0].tcp && a->cands[0].priority == 2122260223u &&
		   eq(a->cands[0].addr, "127.0.0.1") && a->cands[0].family == AF_INET &&
		   a->cands[0].ip[0] == 127 && a->cands[0].port == 46243 &&
		   a->cands[0].type == MD_SDP_CAND_HOST && !a->cands[0].raddr.p,
	   "%s: host candidate", label);
	ok(a->cands[1].type == MD_SDP_CAND_SRFLX && eq(a->cands[1].addr, "198.51.100.20") &&
		   eq(a->cands[1].raddr, "127.0.0.1") && a->cands[1].rport == 46243,
	   "%s: srflx candidate with raddr/rport", label);
	ok(a->cands[2].tcp && a->cands[2].port == 9, "%s: TCP candidate kept, flagged", label);
	ok(a->end_of_candidates, "%s: end-of-candidates", label);
	is_int(a->unknown_attrs, 1, "%s: a=rtcp counted as unknown", label);
	is_int(a->n_attrs, 33, "%s: 33 attributes in the audio section", label);

	is_int(v->kind, MD_SDP_VIDEO, "%s: video", label);
	is_str(str(v->mid), "1", "%s: video mid", label);
	is_int(v->n_pts, 25, "%s: video has 25 payload types", label);
	is_int(v->n_attrs, 130, "%s: 130 attributes in the video section", label);
	p = pt_of(v, 96);
	ok(p && eq(p->name, "VP8") && p->clock == 90000 &&
		   p->fb == (MD_SDP_FB_NACK | MD_SDP_FB_NACK_PLI | MD_SDP_FB_CCM_FIR |
			     MD_SDP_FB_GOOG_REMB | MD_SDP_FB_TRANSPORT_CC),
	   "%s: 96 VP8 with the five feedback types", label);
	p = pt_of(v, 97);
	ok(p && eq(p->name, "rtx") && p->apt == 96 && p->fb == 0, "%s: 97 rtx apt=96", label);
	p = pt_of(v, 102);
	ok(p && eq(p->name, "H264") && p->has_plid && p->profile_level_id == 0x42001f &&
		   p->packetization_mode == 1 && p->level_asymmetry,
	   "%s: 102 H264 42001f mode 1", label);
	p = pt_of(v, 108);
	ok(p && p->profile_level_id == 0x42e01f && p->packetization_mode == 0,
	   "%s: 108 H264 42e01f mode 0", label);
	p = pt_of(v, 118);
	ok(p && eq(p->name, "ulpfec") && !p->fmtp.p, "%s: 118 ulpfec, no fmtp", label);
	is_int(v->n_ext, 11, "%s: 11 one-byte extmaps kept", label);
	is_int(v->ext_two_byte, 1, "%s: the id-16 extmap counted, not kept", label);
	ok(v->ext[0].id == 14 && eq(v->ext[0].uri, "urn:ietf:params:rtp-hdrext:toffset"),
	   "%s: extmaps in offer order", label);
	ok(v->n_groups == 1 && v->groups[0].kind == MD_SDP_GROUP_FID && v->groups[0].n == 2 &&
		   v->groups[0].ssrc[0] == 2882400001u && v->groups[0].ssrc[1] == 2882400002u,
	   "%s: ssrc-group FID", label);
	is_int(v->n_ssrcs, 2, "%s: two video SSRCs", label);
	ok(eq(v->ice.ufrag, "Ey3n") && v->fp.usable && v->setup == MD_SDP_SETUP_ACTPASS,
	   "%s: video transport values", label);
}

static void test_chrome(void)
{
	size_t len, n = 0;
	char *buf = load("chrome156-av-bundle.sdp", &len), *lf = xmalloc(len);
	char err[160];
	int r = parse(buf, len, err, sizeof(err));

	is_int(r, 0, "Chromium 156 offer parses");
	if (r)
		diag("%s", err);
	check_chrome("crlf");
	/* The same offer with LF line ends. */
	for (size_t i = 0; i < len; i++)
		if (buf[i] != '\r')
			lf[n++] = buf[i];
	r = parse(lf, n, err, sizeof(err));
	is_int(r, 0, "the same offer with LF line ends parses");
	check_chrome("lf");
	/* ... and without the last line end. */
	r = parse(lf, n - 1, err, sizeof(err));
	is_int(r, 0, "the same offer without its last line end parses");
	free(lf);
	free(buf);
}

static void test_chrome_simulcast(void)
{
	size_t len;
	char *buf = load("chrome156-simulcast-datachannel.sdp", &len);
	char err[160];
	const struct md_sdp_msect *v = &sdp.m[1], *d = &sdp.m[2];
	int r = parse(buf, len, err, sizeof(err));

	is_int(r, 0, "Chromium simulcast + data channel offer parses");
	is_int(v->dir, MD_SDP_SENDONLY, "simulcast video is sendonly");
	ok(v->n_rids == 3 && eq(v->rids[0].id, "q") && v->rids[0].send && eq(v->rids[2].id, "f"),
	   "three send rids q, h, f");
	ok(v->has_simulcast && eq(v->simulcast_send, "q;h;f") && !v->simulcast_recv.p &&
		   v->simulcast_send_streams == 3,
	   "a=simulcast:send q;h;f, three streams");
	is_int(v->n_ssrcs, 0, "no a=ssrc lines with rid simulcast");
	ok(d->kind == MD_SDP_APPLICATION && !d->rtp && eq(d->fmts, "webrtc-datachannel") &&
		   eq(d->proto, "UDP/DTLS/SCTP") && eq(d->mid, "2"),
	   "the data channel section");
	is_int(d->unknown_attrs, 2, "sctp-port and max-message-size counted as unknown");
	ok(sdp.m[0].n_cands == 0 && !sdp.m[0].end_of_candidates, "no candidates yet (trickle)");
	free(buf);
}

static void test_aiortc(void)
{
	size_t len;
	char *buf = load("aiortc14-av.sdp", &len);
	char err[160];
	const struct md_sdp_msect *a = &sdp.m[0], *v = &sdp.m[1];
	const struct md_sdp_pt *p;
	int r = parse(buf, len, err, sizeof(err));

	is_int(r, 0, "aiortc 1.4 offer parses");
	is_int(sdp.sess_id, 3899193743u, "aiortc o= session id");
	ok(eq(sdp.msid_semantic, "WMS") && eq(sdp.msid_semantic_ids, "*"),
	   "a=msid-semantic:WMS * without the space");
	is_str(str(sdp.ice.ufrag), "Xm4A", "aiortc ufrag (after its candidates)");
	is_str(str(sdp.ice.pwd), "0g1o7b3X7tr4zTN1FeRKhk", "aiortc 22-character pwd");
	ok(!sdp.ice.trickle, "aiortc does not trickle");
	ok(a->port == 50314 && a->n_cands == 2 && a->end_of_candidates,
	   "aiortc audio: real port, two candidates, end-of-candidates");
	ok(eq(a->cands[0].foundation, "a1b2c3d4e5f60718293a4b5c6d7e8f90"),
	   "32-character foundation kept");
	ok(a->pts[0].pt == 96 && eq(a->pts[0].name, "opus") && !a->pts[0].fmtp.p,
	   "aiortc opus on 96 without fmtp");
	ok(a->n_ext == 2 && eq(a->ext[0].uri, "urn:ietf:params:rtp-hdrext:sdes:mid"),
	   "aiortc audio extmaps");
	p = pt_of(v, 98);
	ok(p && p->apt == 97, "aiortc rtx 98 apt=97");
	p = pt_of(v, 101);
	ok(p && p->profile_level_id == 0x42e01f && p->packetization_mode == 1 &&
		   p->fb == (MD_SDP_FB_NACK | MD_SDP_FB_NACK_PLI | MD_SDP_FB_GOOG_REMB),
	   "aiortc H264 101 42e01f with nack, pli, remb");
	ok(v->n_groups == 1 && v->n_ssrcs == 2 && eq(v->ssrcs[1].cname,
						     "c1d9e2f3-a4b5-c6d7-e8f9-0a1b2c3d4e5f"),
	   "aiortc video FID group and cnames");
	free(buf);
	buf = load("aiortc14-audio-lf.sdp", &len);
	r = parse(buf, len, err, sizeof(err));
	ok(r == 0 && sdp.n_m == 1 && sdp.m[0].kind == MD_SDP_AUDIO, "aiortc audio-only, LF");
	free(buf);
}

/* --- answers ----------------------------------------------------------------------------- */

/* Answers the offer in sdp into sb and parses the answer into ans. */
static int answer(const struct md_sdp_local *l, struct strbuf *sb, struct md_sdp_answer_info *info)
{
	char err[160];
	int r;

	sb_reset(sb);
	r = md_sdp_answer(&sdp, l, sb, info, err, sizeof(err));
	if (r < 0) {
		diag("answer: %s", err);
		return r;
	}
	r = md_sdp_parse((const uint8_t *)sb->buf, sb->len, &ans, err, sizeof(err));
	if (r < 0) {
		diag("answer parse: %s", err);
		tap_diag_str("answer: ", sb_str(sb));
	}
	return r;
}

static bool has(const struct strbuf *sb, const char *s)
{
	return strstr(sb_str(sb), s) != NULL;
}

static void test_answer_chrome(void)
{
	size_t len;
	char *buf = load("chrome156-av-bundle.sdp", &len);
	struct strbuf sb = STRBUF_INIT;
	struct md_sdp_local l;
	struct md_sdp_answer_info info;
	const struct md_sdp_msect *a, *v;
	int r;

	local_init(&l);
	l.send[1].ssrc = 1234;
	l.send[1].rtx_ssrc = 5678;
	l.send[1].stream = "convene";
	l.send[1].track = "video0";
	ok(parse(buf, len, NULL, 0) == 0, "offer parses");
	r = answer(&l, &sb, &info);
	is_int(r, 0, "the answer to Chromium parses back");
	ok(info.n_m == 2 && info.m[0].reject == MD_SDP_ACCEPTED &&
		   info.m[1].reject == MD_SDP_ACCEPTED,
	   "both sections accepted");
	is_int(info.m[0].opus_pt, 111, "opus on the offer's 111");
	ok(info.m[0].vp8_pt < 0 && info.m[0].h264_pt < 0, "no video codec in audio");
	ok(info.m[0].ext_audio_level == 1 && info.m[0].ext_abs_send_time == 2 &&
		   info.m[0].ext_twcc == 0 && info.m[0].ext_mid == 4,
	   "audio extension ids echoed, transport-wide-cc declined (the engine sends REMB)");
	ok(info.m[1].vp8_pt == 96 && info.m[1].vp8_rtx_pt == 97, "VP8 96 with rtx 97");
	ok(info.m[1].h264_pt == 106 && info.m[1].h264_rtx_pt == 107,
	   "H264 106 (42e01f, mode 1) with rtx 107, over 102 (42001f)");
	ok(info.m[1].ext_audio_level == 0 && info.m[1].ext_mid == 4 && info.m[1].ext_twcc == 0,
	   "video extensions: no audio-level, no transport-wide-cc");
	is_int(info.m[1].fb,
	       MD_SDP_FB_NACK | MD_SDP_FB_NACK_PLI | MD_SDP_FB_CCM_FIR | MD_SDP_FB_GOOG_REMB,
	       "video feedback without transport-cc");
	ok(info.m[1].sending && !info.m[0].sending, "sending only where an SSRC was given");

	ok(has(&sb, "v=0\r\no=- 4611731400430051336 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
		    "a=group:BUNDLE 0 1\r\na=ice-lite\r\na=msid-semantic: WMS\r\n"),
	   "session lines");
	ok(has(&sb, "m=audio 40500 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 192.0.2.10\r\na=mid:0\r\n"
		    "a=sendrecv\r\na=rtcp-mux\r\n"),
	   "audio m= line, c=, mid, direction, rtcp-mux");
	ok(has(&sb, "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"),
	   "opus rtpmap and our fmtp");
	ok(has(&sb, "m=video 40500 UDP/TLS/RTP/SAVPF 96 97 106 107\r\n"), "video formats, VP8 first");
	ok(has(&sb, "a=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm fir\r\n"
		    "a=rtcp-fb:96 goog-remb\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"),
	   "VP8 feedback and rtx");
	ok(has(&sb, "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;"
		    "profile-level-id=42e01f\r\n"),
	   "H264 fmtp keeps the offer's profile");
	ok(!has(&sb, "transport-cc") && !has(&sb, "VP9") && !has(&sb, "toffset"),
	   "nothing we do not do");
	ok(has(&sb, "a=msid:convene video0\r\na=ssrc-group:FID 1234 5678\r\n"
		    "a=ssrc:1234 cname:convene\r\na=ssrc:1234 msid:convene video0\r\n"
		    "a=ssrc:5678 cname:convene\r\n"),
	   "our msid, FID group and ssrc lines");
	ok(has(&sb, "a=candidate:1 1 udp 2130706431 192.0.2.10 40500 typ host\r\n"
		    "a=end-of-candidates\r\n"),
	   "our host candidate");

	a = &ans.m[0];
	v = &ans.m[1];
	ok(ans.ice_lite && ans.has_bundle && ans.n_bundle == 2, "answer: ice-lite, BUNDLE 0 1");
	ok(a->setup == MD_SDP_SETUP_PASSIVE && v->setup == MD_SDP_SETUP_PASSIVE,
	   "answer: setup passive");
	ok(a->fp.usable && a->fp.bytes[0] == 0xAA && a->fp.bytes[31] == 0x99,
	   "answer: our fingerprint");
	ok(eq(a->ice.ufrag, "srvU") && eq(a->ice.pwd, "serverpasswordserverpass"),
	   "answer: our ICE credentials");
	ok(a->n_pts == 1 && a->pts[0].pt == 111 && eq(a->pts[0].fmtp, "minptime=10;useinbandfec=1"),
	   "answer: opus only");
	ok(v->n_pts == 4 && v->pts[1].apt == 96 && v->pts[3].apt == 106, "answer: rtx apts");
	ok(v->n_ssrcs == 2 && v->n_groups == 1 && eq(v->ssrcs[0].cname, "convene"),
	   "answer: ssrc lines");
	ok(a->n_cands == 1 && a->cands[0].port == 40500 && a->port == 40500,
	   "answer: candidate and default port");
	ok(a->rtcp_rsize, "answer: rtcp-rsize echoed");
	sb_free(&sb);
	free(buf);
}

/* Replaces the first "from" in buf by "to" (same length or shorter). */
static char *subst(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	char *out;

	if (!at)
		return xstrdup(s);
	out = xasprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	return out;
}

static void test_answer_directions(void)
{
	static const struct {
		const char *offer, *want;
	} dirs[] = {
		{ "a=sendonly", "a=recvonly" },
		{ "a=recvonly", "a=sendonly" },
		{ "a=inactive", "a=inactive" },
		{ "a=sendrecv", "a=sendrecv" },
	};
	struct strbuf sb = STRBUF_INIT;
	struct md_sdp_local l;
	struct md_sdp_answer_info info;

	local_init(&l);
	l.send[0].ssrc = 42;
	l.send[0].stream = "s";
	l.send[0].track = "t";
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *s = xasprintf(HDR "a=group:BUNDLE 0\r\n" AUDIO("0") "%s\r\n", dirs[i].offer);
		bool sends = !strcmp(dirs[i].want, "a=sendonly") || !strcmp(dirs[i].want,
									     "a=sendrecv");
		int r = parse(s, strlen(s), NULL, 0);

		ok(r == 0 && answer(&l, &sb, &info) == 0, "offer %s answered", dirs[i].offer);
		ok(has(&sb, dirs[i].want), "offer %s -> answer %s", dirs[i].offer, dirs[i].want);
		ok(has(&sb, "a=ssrc:42 cname:convene") == sends && info.m[0].sending == sends,
		   "offer %s: our SSRC %s", dirs[i].offer, sends ? "written" : "left out");
		free(s);
	}
	sb_free(&sb);
}

static void test_answer_simulcast_datachannel(void)
{
	size_t len;
	char *buf = load("chrome156-simulcast-datachannel.sdp", &len);
	struct strbuf sb = STRBUF_INIT;
	struct md_sdp_local l;
	struct md_sdp_answer_info info;

	local_init(&l);
	ok(parse(buf, len, NULL, 0) == 0 && answer(&l, &sb, &info) == 0,
	   "simulcast + data channel answered and parsed back");
	ok(info.m[1].reject == MD_SDP_ACCEPTED && info.m[1].dir == MD_SDP_RECVONLY,
	   "simulcast video accepted as recvonly");
	ok(!has(&sb, "a=simulcast") && !has(&sb, "a=rid"), "simulcast declined (no rid lines)");
	is_int(info.m[2].reject, MD_SDP_REJ_KIND, "data channel rejected");
	ok(has(&sb, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
		    "a=mid:2\r\n") &&
		   sb.buf[sb.len - 1] == '\n' && strstr(sb_str(&sb), "a=mid:2\r\n")[9] == '\0',
	   "the rejected section: port 0 and its mid only");
	ok(has(&sb, "a=group:BUNDLE 0 1\r\n"), "BUNDLE lists the accepted mids only");
	ok(ans.m[2].port == 0 && eq(ans.m[2].mid, "2") && ans.m[2].n_attrs == 1,
	   "parsed back: port 0, one attribute");
	sb_free(&sb);
	free(buf);
}

static void test_answer_aiortc(void)
{
	size_t len;
	char *buf = load("aiortc14-av.sdp", &len);
	struct strbuf sb = STRBUF_INIT;
	struct md_sdp_local l;
	struct md_sdp_answer_info info;

	local_init(&l);
	l.n_cands = 2;
	l.cands[0].addr = "2001:db8::10";
	l.cands[1].addr = "192.0.2.10";
	l.cands[1].port = 40501;
	ok(parse(buf, len, NULL, 0) == 0 && answer(&l, &sb, &info) == 0,
	   "aiortc answered and parsed back");
	ok(info.m[0].opus_pt == 96 && info.m[0].ext_mid == 1 && info.m[0].ext_audio_level == 2,
	   "aiortc: opus 96, its extension ids");
	ok(info.m[1].vp8_pt == 97 && info.m[1].vp8_rtx_pt == 98 && info.m[1].h264_pt == 101 &&
		   info.m[1].h264_rtx_pt == 102,
	   "aiortc: VP8 97/98, H264 101/102");
	is_int(info.m[1].fb, MD_SDP_FB_NACK | MD_SDP_FB_NACK_PLI | MD_SDP_FB_GOOG_REMB,
	       "aiortc: no ccm fir answered where none was offered");
	ok(has(&sb, "c=IN IP6 2001:db8::10\r\n") &&
		   has(&sb, "a=candidate:2 1 udp 2130706175 192.0.2.10 40501 typ host\r\n"),
	   "IPv6 default candidate, second candidate with a lower priority");
	ok(ans.m[0].n_cands == 2 && ans.m[0].cands[0].family == AF_INET6, "parsed back");
	sb_free(&sb);
	free(buf);
}

static void test_answer_rejects(void)
{
	static const struct {
		const char *what;
		const char *sdp;
		enum md_sdp_reject want0, want1;
	} cases[] = {
		{ "port 0", HDR "a=group:BUNDLE 1\r\n" AUDIO("0") VIDEO("1"), MD_SDP_REJ_PORT0,
		  MD_SDP_ACCEPTED },
		{ "no rtcp-mux", HDR "a=group:BUNDLE 0 1\r\n" AUDIO("0") VIDEO("1"),
		  MD_SDP_REJ_NO_RTCP_MUX, MD_SDP_ACCEPTED },
		{ "setup passive", HDR "a=group:BUNDLE 0 1\r\n" AUDIO("0") VIDEO("1"),
		  MD_SDP_REJ_SETUP, MD_SDP_ACCEPTED },
		{ "sha-1 only", HDR "a=group:BUNDLE 0 1\r\n" AUDIO("0") VIDEO("1"),
		  MD_SDP_REJ_FINGERPRINT, MD_SDP_ACCEPTED },
		{ "ice-lite offerer", HDR "a=ice-lite\r\na=group:BUNDLE 0 1\r\n" AUDIO("0") VIDEO("1"),
		  MD_SDP_REJ_ICE_LITE, MD_SDP_REJ_ICE_LITE },
		{ "no common codec", HDR "a=group:BUNDLE 0 1\r\n" AUDIO("0") VIDEO("1"),
		  MD_SDP_REJ_NO_CODEC, MD_SDP_ACCEPTED },
		{ "outside BUNDLE", HDR "a=group:BUNDLE 1\r\n" AUDIO("0") VIDEO("1"),
		  MD_SDP_REJ_NOT_BUNDLED, MD_SDP_ACCEPTED },
		{ "no BUNDLE: first only", HDR AUDIO("0") VIDEO("1"), MD_SDP_ACCEPTED,
		  MD_SDP_REJ_NOT_BUNDLED },
	};
	struct strbuf sb = STRBUF_INIT;
	struct md_sdp_local l;
	struct md_sdp_answer_info info;

	local_init(&l);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = xstrdup(cases[i].sdp), *t;
		int r;

		/* Each case changes the audio section (the first occurrence). */
		if (i == 0)
			t = subst(s, "m=audio 9", "m=audio 0");
		else if (i == 1)
			t = subst(s, "a=rtcp-mux\r\n", "");
		else if (i == 2)
			t = subst(s, "a=setup:actpass", "a=setup:passive");
		else if (i == 3)
			t = subst(s, "sha-256 " FP32, "sha-1 4E:9A:1C:7B:22:0D:E5:F3:61:8A:B2:C4:D6:"
						      "E8:FA:0C:1E:30:42:54");
		else if (i == 5)
			t = subst(s, "opus/48000/2", "PCMU/8000");
		else
			t = xstrdup(s);
		r = parse(t, strlen(t), NULL, 0);
		ok(r == 0 && answer(&l, &sb, &info) == 0, "%s: answered and parsed back",
		   cases[i].what);
		ok(info.m[0].reject == cases[i].want0 && info.m[1].reject == cases[i].want1,
		   "%s: %s / %s", cases[i].what, md_sdp_reject_name(info.m[0].reject),
		   md_sdp_reject_name(info.m[1].reject));
		if (cases[i].want0 != MD_SDP_ACCEPTED)
			ok(ans.m[0].port == 0 && ans.m[0].n_attrs == 1 && eq(ans.m[0].mid, "0"),
			   "%s: the rejected section has port 0 and its mid only", cases[i].what);
		if (i == 3)
			ok(sdp.m[0].fp.present && !sdp.m[0].fp.usable &&
				   sdp.m[0].fp.hash == MD_SDP_HASH_SHA1 && sdp.m[0].fp.len == 20,
			   "sha-1 fingerprint kept but flagged");
		free(t);
		free(s);
	}
	sb_free(&sb);
}

static void test_answer_local(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct md_sdp_local l;
	char err[160];
	const char *s = HDR "a=group:BUNDLE 0\r\n" AUDIO("0");
	struct {
		const char *what;
		int field;
	} bad[] = {
		{ "ufrag", 0 }, { "pwd", 1 },	  { "fingerprint", 2 },	  { "no candidates", 3 },
		{ "name", 4 },	{ "no cname", 5 }, { "msid", 6 },	  { "rtx == ssrc", 7 },
		{ "sha-1", 8 },
	};

	ok(parse(s, strlen(s), NULL, 0) == 0, "small offer parses");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		local_init(&l);
		l.send[0].ssrc = 7;
		l.send[0].stream = "s";
		l.send[0].track = "t";
		switch (bad[i].field) {
		case 0: l.ice_ufrag = "abc"; break;
		case 1: l.ice_pwd = "short"; break;
		case 2: l.fingerprint = "sha-256 AA:BB"; break;
		case 3: l.n_cands = 0; break;
		case 4: l.cands[0].addr = "media.example.com"; break;
		case 5: l.cname = NULL; break;
		case 6: l.send[0].track = "a b"; break;
		case 7: l.send[0].rtx_ssrc = 7; break;
		case 8:
			l.fingerprint = "sha-1 4E:9A:1C:7B:22:0D:E5:F3:61:8A:B2:C4:D6:E8:FA:0C:1E:30:"
					"42:54";
			break;
		}
		sb_reset(&sb);
		sb_puts(&sb, "keep");
		is_int(md_sdp_answer(&sdp, &l, &sb, NULL, err, sizeof(err)), -EINVAL,
		       "our %s refused", bad[i].what);
		ok(sb.len == 4 && err[0], "our %s: nothing appended, reason \"%s\"", bad[i].what,
		   err);
	}
	sb_free(&sb);
}

/* --- caps at their edge ------------------------------------------------------------------ */

static void expect(int r, int want, const char *err, const char *substr, const char *what)
{
	is_int(r, want, "%s", what);
	if (substr) {
		ok(strstr(err, substr) != NULL, "%s: reason names it", what);
		if (!strstr(err, substr))
			diag("reason \"%s\", wanted \"%s\"", err, substr);
	}
}

/* An offer of exactly total bytes: the small audio offer padded with
 * unknown session attributes. */
static char *sized(size_t total)
{
	const char *body = AUDIO("0");
	struct strbuf sb = STRBUF_INIT;

	sb_puts(&sb, HDR);
	while (sb.len + strlen(body) + 4000 < total) {
		sb_puts(&sb, "a=x-pad:");
		for (int i = 0; i < 3990; i++)
			sb_putc(&sb, 'p');
		sb_puts(&sb, "\r\n");
	}
	/* the last pad line takes the rest: "a=x-pad:" + n + "\r\n" */
	sb_puts(&sb, "a=x-pad:");
	while (sb.len + 2 + strlen(body) < total)
		sb_putc(&sb, 'q');
	sb_puts(&sb, "\r\n");
	sb_puts(&sb, body);
	return sb_steal(&sb);
}

static void test_caps(void)
{
	char err[160];
	struct strbuf sb = STRBUF_INIT;
	char *s;
	int r;

	s = sized(MD_SDP_MAX_LEN);
	r = parse(s, strlen(s), err, sizeof(err));
	ok(strlen(s) == MD_SDP_MAX_LEN && r == 0, "an offer of exactly %d bytes parses",
	   MD_SDP_MAX_LEN);
	if (r)
		diag("%s", err);
	free(s);
	s = sized(MD_SDP_MAX_LEN + 1);
	expect(parse(s, strlen(s), err, sizeof(err)), -EMSGSIZE, err,
	       "65537 bytes, over the 65536 cap", "one byte more is refused");
	free(s);

	/* One line of exactly 4096 bytes, then 4097. */
	for (int extra = 0; extra < 2; extra++) {
		sb_reset(&sb);
		sb_puts(&sb, HDR "a=x-long:");
		while (sb.len - strlen(HDR) < (size_t)MD_SDP_MAX_LINE + extra)
			sb_putc(&sb, 'l');
		sb_puts(&sb, "\r\n" AUDIO("0"));
		r = parse(sb.buf, sb.len, err, sizeof(err));
		if (!extra)
			is_int(r, 0, "a line of %d bytes parses", MD_SDP_MAX_LINE);
		else
			expect(r, -EMSGSIZE, err, "line 5: the line is over 4096 bytes",
			       "a line of 4097 bytes is refused, with its number");
	}

	/* m-sections: 16, then 17. */
	for (int n = MD_SDP_MAX_MSECT; n <= MD_SDP_MAX_MSECT + 1; n++) {
		sb_reset(&sb);
		sb_puts(&sb, HDR);
		for (int i = 0; i < n; i++)
			sb_printf(&sb, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
				       "a=mid:m%d\r\na=rtcp-mux\r\n" TRANSPORT
				       "a=rtpmap:111 opus/48000/2\r\n",
				  i);
		r = parse(sb.buf, sb.len, err, sizeof(err));
		if (n == MD_SDP_MAX_MSECT)
			ok(r == 0 && sdp.n_m == 16, "16 m-sections parse");
		else
			expect(r, -E2BIG, err, "more than 16 m-sections", "17 m-sections refused");
	}

	/* Payload types on one m= line: 64, then 65 (0-64). */
	for (int n = MD_SDP_MAX_PT; n <= MD_SDP_MAX_PT + 1; n++) {
		sb_reset(&sb);
		sb_puts(&sb, HDR "m=audio 9 UDP/TLS/RTP/SAVPF");
		for (int i = 0; i < n; i++)
			sb_printf(&sb, " %d", i);
		sb_puts(&sb, "\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n" TRANSPORT);
		r = parse(sb.buf, sb.len, err, sizeof(err));
		if (n == MD_SDP_MAX_PT)
			ok(r == 0 && sdp.m[0].n_pts == 64, "64 payload types parse");
		else
			expect(r, -E2BIG, err, "line 5: m=: more than 64 payload types",
			       "65 payload types refused");
	}

	/* Attributes: 256 in a section, then 257; the same at session level. */
	for (int lvl = 0; lvl < 2; lvl++) {
		for (int n = MD_SDP_MAX_ATTR; n <= MD_SDP_MAX_ATTR + 1; n++) {
			/* the section's own: mid, rtcp-mux, 4 transport, 1 rtpmap */
			int own = lvl ? 7 : 0;

			sb_reset(&sb);
			sb_puts(&sb, HDR);
			if (lvl)
				sb_puts(&sb, AUDIO("0"));
			for (int i = 0; i < n - own; i++)
				sb_printf(&sb, "a=x-%d\r\n", i);
			if (!lvl)
				sb_puts(&sb, AUDIO("0"));
			r = parse(sb.buf, sb.len, err, sizeof(err));
			if (n == MD_SDP_MAX_ATTR)
				ok(r == 0, "%d attributes at %s level parse", n,
				   lvl ? "media" : "session");
			else
				expect(r, -E2BIG, err,
				       lvl ? "more than 256 attributes in the m-section"
					   : "more than 256 attributes in the session",
				       lvl ? "257 media attributes refused"
					   : "257 session attributes refused");
		}
	}

	/* Candidates: 32, then 33; .local ones do not count. */
	for (int n = MD_SDP_MAX_CAND; n <= MD_SDP_MAX_CAND + 1; n++) {
		sb_reset(&sb);
		sb_puts(&sb, HDR AUDIO("0"));
		sb_puts(&sb, "a=candidate:9 1 udp 1 abc-def.local 9 typ host\r\n");
		for (int i = 0; i < n; i++)
			sb_printf(&sb, "a=candidate:%d 1 udp %d 192.0.2.%d %d typ host\r\n", i,
				  1000 + i, i + 1, 5000 + i);
		r = parse(sb.buf, sb.len, err, sizeof(err));
		if (n == MD_SDP_MAX_CAND)
			ok(r == 0 && sdp.m[0].n_cands == 32 && sdp.m[0].mdns_skipped == 1,
			   "32 candidates kept, the .local one skipped");
		else
			expect(r, -E2BIG, err, "more than 32 candidates", "33 candidates refused");
	}

	/* extmap ids: 1-14 kept, 15-255 counted, 0 and 256 refused. */
	sb_reset(&sb);
	sb_puts(&sb, HDR AUDIO("0"));
	for (int i = 1; i <= 14; i++)
		sb_printf(&sb, "a=extmap:%d urn:x:%d\r\n", i, i);
	sb_puts(&sb, "a=extmap:15 urn:x:15\r\na=extmap:255/sendonly urn:x:255\r\n");
	r = parse(sb.buf, sb.len, err, sizeof(err));
	ok(r == 0 && sdp.m[0].n_ext == 14 && sdp.m[0].ext_two_byte == 2,
	   "14 one-byte extmaps kept, ids 15 and 255 counted");
	sb_puts(&sb, "a=extmap:256 urn:x:256\r\n");
	expect(parse(sb.buf, sb.len, err, sizeof(err)), -ERANGE, err, "a=extmap: id 256 out of range",
	       "extmap id 256 refused");

	/* SSRCs 16 then 17, rids 8 then 9, ssrc-groups 8 then 9. */
	for (int n = MD_SDP_MAX_SSRC; n <= MD_SDP_MAX_SSRC + 1; n++) {
		sb_reset(&sb);
		sb_puts(&sb, HDR AUDIO("0"));
		for (int i = 0; i < n; i++)
			sb_printf(&sb, "a=ssrc:%d cname:c\r\n", 100 + i);
		r = parse(sb.buf, sb.len, err, sizeof(err));
		if (n == MD_SDP_MAX_SSRC)
			ok(r == 0 && sdp.m[0].n_ssrcs == 16, "16 SSRCs parse");
		else
			expect(r, -E2BIG, err, "more than 16 SSRCs", "17 SSRCs refused");
	}
	for (int n = MD_SDP_MAX_RID; n <= MD_SDP_MAX_RID + 1; n++) {
		sb_reset(&sb);
		sb_puts(&sb, HDR AUDIO("0"));
		for (int i = 0; i < n; i++)
			sb_printf(&sb, "a=rid:r%d send\r\n", i);
		r = parse(sb.buf, sb.len, err, sizeof(err));
		if (n == MD_SDP_MAX_RID)
			ok(r == 0 && sdp.m[0].n_rids == 8, "8 rids parse");
		else
			expect(r, -E2BIG, err, "more than 8 a=rid lines", "9 rids refused");
	}
	for (int n = MD_SDP_MAX_GROUP; n <= MD_SDP_MAX_GROUP + 1; n++) {
		sb_reset(&sb);
		sb_puts(&sb, HDR AUDIO("0") "a=ssrc:1 cname:c\r\na=ssrc:2 cname:c\r\n");
		for (int i = 0; i < n; i++)
			sb_puts(&sb, "a=ssrc-group:FID 1 2\r\n");
		r = parse(sb.buf, sb.len, err, sizeof(err));
		if (n == MD_SDP_MAX_GROUP)
			ok(r == 0 && sdp.m[0].n_groups == 8, "8 ssrc-groups parse");
		else
			expect(r, -E2BIG, err, "more than 8 a=ssrc-group lines",
			       "9 ssrc-groups refused");
	}

	/* A mid of 32 characters, then 33. */
	for (int n = MD_SDP_MAX_MID; n <= MD_SDP_MAX_MID + 1; n++) {
		sb_reset(&sb);
		sb_printf(&sb, HDR "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:%.*s"
				   "\r\n" TRANSPORT,
			  n, "abcdefghijklmnopqrstuvwxyz0123456789");
		r = parse(sb.buf, sb.len, err, sizeof(err));
		if (n == MD_SDP_MAX_MID)
			is_int(r, 0, "a mid of 32 characters parses");
		else
			expect(r, -EINVAL, err, "is not a token of 1 to 32", "a mid of 33 refused");
	}
	sb_free(&sb);
}

/* --- malformed offers -------------------------------------------------------------------- */

static void test_malformed(void)
{
	static const struct {
		const char *what;
		const char *sdp;
		int rc;
		const char *reason;
	} cases[] = {
		{ "empty", "", -EBADMSG, "empty" },
		{ "missing v=", "o=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", -EBADMSG,
		  "line 1: the description does not start with v=" },
		{ "v=1", "v=1\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", -EBADMSG,
		  "line 1: v= is not 0" },
		{ "s= before o=", "v=0\r\ns=-\r\no=- 1 1 IN IP4 127.0.0.1\r\nt=0 0\r\n", -EBADMSG,
		  "line 2: o= must be line 2" },
		{ "no t=", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n", -ENODATA, "no t= line" },
		{ "m= before t=", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n" AUDIO("0"), -EBADMSG,
		  "line 4: m= before any t= line" },
		{ "line without =", HDR "a-rtcp-mux\r\n", -EBADMSG,
		  "line 5: not a <type>=<value> line" },
		{ "empty line", HDR "\r\n" AUDIO("0"), -EBADMSG, "line 5: not a <type>=<value>" },
		{ "unknown type", HDR "x=1\r\n", -EBADMSG, "line 5: x= is not allowed" },
		{ "upper-case type", HDR "A=rtcp-mux\r\n", -EBADMSG, "line 5: not a <type>=" },
		{ "control byte", HDR "a=x-\001\r\n", -EBADMSG, "line 5: control character 0x01" },
		{ "bare CR", HDR "a=x-a\rb\r\n", -EBADMSG, "line 5: control character 0x0d" },
		{ "c= after a= in media", HDR "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
					      "c=IN IP4 0.0.0.0\r\n",
		  -EBADMSG, "line 7: c= after a=" },
		{ "two s=", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\ns=-\r\nt=0 0\r\n", -EBADMSG,
		  "line 4: a second s= line" },
		{ "o= with five fields", "v=0\r\no=- 1 1 IN IP4\r\ns=-\r\nt=0 0\r\n", -EBADMSG,
		  "line 2: o= does not have six fields" },
		{ "o= id not a number", "v=0\r\no=- x1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
		  -EBADMSG, "o=: session id \"x1\" is not a number" },
		{ "o= id over 64 bits", "v=0\r\no=- 18446744073709551616 1 IN IP4 127.0.0.1\r\n"
					"s=-\r\nt=0 0\r\n",
		  -ERANGE, "line 2: o=: session id 18446744073709551616 out of range" },
		{ "port not a number", HDR "m=audio nine UDP/TLS/RTP/SAVPF 111\r\n", -EBADMSG,
		  "m=: port \"nine\" is not a number" },
		{ "port 70000", HDR "m=audio 70000 UDP/TLS/RTP/SAVPF 111\r\n", -ERANGE,
		  "m=: port 70000 out of range" },
		{ "port range", HDR "m=audio 9/2 UDP/TLS/RTP/SAVPF 111\r\n", -EINVAL, "port ranges" },
		{ "m= PT 128", HDR "m=audio 9 UDP/TLS/RTP/SAVPF 128\r\n", -ERANGE,
		  "m=: payload type 128 out of range" },
		{ "m= PT twice", HDR "m=audio 9 UDP/TLS/RTP/SAVPF 111 111\r\n", -EEXIST,
		  "payload type 111 twice" },
		{ "m= no formats", HDR "m=audio 9 UDP/TLS/RTP/SAVPF\r\n", -EBADMSG, "m= is not" },
		{ "RTP/AVP audio", HDR "m=audio 9 RTP/AVP 0\r\n", -EPROTONOSUPPORT,
		  "line 5: m=: audio over RTP/AVP, not UDP/TLS/RTP/SAVPF" },
		{ "rtpmap PT 300", HDR AUDIO("0") "a=rtpmap:300 G722/8000\r\n", -ERANGE,
		  "line 14: a=rtpmap: payload type 300 out of range" },
		{ "rtpmap PT huge", HDR AUDIO("0") "a=rtpmap:99999999999999999999999 G722/8000\r\n",
		  -ERANGE, "line 14: a=rtpmap: payload type 99999999999999999999999 out of range" },
		{ "rtpmap PT not listed", HDR AUDIO("0") "a=rtpmap:9 G722/8000\r\n", -ENOENT,
		  "line 14: a=rtpmap: payload type 9 is not on the m= line" },
		{ "rtpmap twice", HDR AUDIO("0") "a=rtpmap:111 opus/48000/2\r\n", -EEXIST,
		  "a second a=rtpmap for payload type 111" },
		{ "rtpmap clock 0",
		  HDR "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/0/2\r\n",
		  -ERANGE, "a=rtpmap: clock rate 0 out of range" },
		{ "rtpmap no clock",
		  HDR "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus\r\n",
		  -EBADMSG, "not <name>/<clock>" },
		{ "fmtp apt 200", HDR VIDEO("0") "a=fmtp:96 apt=200\r\n", -ERANGE,
		  "a=fmtp: apt 200 out of range" },
		{ "fmtp apt unknown", HDR VIDEO("0") "a=fmtp:96 apt=100\r\n", -ENOENT,
		  "apt=100 is not on the m= line" },
		{ "fmtp bad profile-level-id", HDR VIDEO("0") "a=fmtp:96 profile-level-id=42e0zz\r\n",
		  -EINVAL, "profile-level-id is not 6 hex digits" },
		{ "fmtp packetization-mode 3", HDR VIDEO("0") "a=fmtp:96 packetization-mode=3\r\n",
		  -ERANGE, "packetization-mode 3 out of range" },
		{ "duplicate mids", HDR AUDIO("0") VIDEO("0"), -EEXIST,
		  "line 16: a=mid:0 repeats the mid of line 7" },
		{ "BUNDLE unknown mid", HDR "a=group:BUNDLE 0 7\r\n" AUDIO("0"), -ENOENT,
		  "line 5: a=group:BUNDLE names mid 7, which no m-section has" },
		{ "BUNDLE mid twice", HDR "a=group:BUNDLE 0 0\r\n" AUDIO("0"), -EEXIST,
		  "mid 0 twice" },
		{ "fingerprint bad hex",
		  HDR "a=fingerprint:sha-256 4E:9A:1C:7B:22:0D:E5:F3:61:8A:B2:C4:D6:E8:FA:0C:1E:30:42:"
		      "54:66:78:8A:9C:AE:B0:C2:D4:E6:F8:0A:1G\r\n",
		  -EINVAL, "line 5: a=fingerprint: bad hex" },
		{ "fingerprint trailing colon", HDR "a=fingerprint:sha-256 4E:9A:\r\n", -EINVAL,
		  "a=fingerprint: bad hex" },
		{ "fingerprint short", HDR "a=fingerprint:sha-256 4E:9A\r\n", -EINVAL,
		  "wrong length for its hash" },
		{ "fingerprint no hex", HDR "a=fingerprint:sha-256\r\n", -EINVAL,
		  "not \"<hash> <hex>\"" },
		{ "setup unknown", HDR "a=setup:sometimes\r\n", -EINVAL,
		  "a=setup: unknown role \"sometimes\"" },
		{ "ufrag short", HDR "a=ice-ufrag:abc\r\n", -EINVAL, "a=ice-ufrag: not 4 to 256" },
		{ "pwd bad char", HDR "a=ice-pwd:abcdefghijklmnopqrstu!\r\n", -EINVAL,
		  "a=ice-pwd: not 22 to 256" },
		{ "no mid", HDR "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n" TRANSPORT,
		  -ENODATA, "line 5: the m-section has no a=mid" },
		{ "no c=", HDR "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n" TRANSPORT, -ENODATA,
		  "line 5: the m-section has no c= line" },
		{ "no ice-ufrag", HDR "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
				      "a=mid:0\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n",
		  -ENODATA, "line 5: the m-section has no a=ice-ufrag" },
		{ "mid at session level", HDR "a=mid:0\r\n", -EBADMSG,
		  "a=mid is not allowed at session level" },
		{ "group at media level", HDR AUDIO("0") "a=group:BUNDLE 0\r\n", -EBADMSG,
		  "a=group is not allowed at media level" },
		{ "rtcp-mux with a value", HDR AUDIO("0") "a=rtcp-mux:yes\r\n", -EBADMSG,
		  "a=rtcp-mux takes no value" },
		{ "mid without value", HDR AUDIO("0") "a=mid\r\n", -EBADMSG, "a=mid needs a value" },
		{ "two directions", HDR AUDIO("0") "a=sendonly\r\na=recvonly\r\n", -EEXIST,
		  "a second direction attribute (a=recvonly)" },
		{ "candidate priority 0", HDR AUDIO("0") "a=candidate:1 1 udp 0 192.0.2.1 9 typ host\r\n",
		  -ERANGE, "a=candidate: priority 0 out of range" },
		{ "candidate bad type",
		  HDR AUDIO("0") "a=candidate:1 1 udp 1 192.0.2.1 9 typ sideways\r\n", -EINVAL,
		  "unknown type \"sideways\"" },
		{ "candidate no typ", HDR AUDIO("0") "a=candidate:1 1 udp 1 192.0.2.1 9 host\r\n",
		  -EBADMSG, "no \"typ\"" },
		{ "candidate bad address", HDR AUDIO("0") "a=candidate:1 1 udp 1 -bad- 9 typ host\r\n",
		  -EINVAL, "bad address \"-bad-\"" },
		{ "candidate dangling ext",
		  HDR AUDIO("0") "a=candidate:1 1 udp 1 192.0.2.1 9 typ host generation\r\n",
		  -EBADMSG, "\"generation\" without a value" },
		{ "ssrc-group unknown SSRC", HDR AUDIO("0") "a=ssrc-group:FID 1 2\r\na=ssrc:1 cname:x\r\n",
		  -ENOENT, "line 14: a=ssrc-group: SSRC 2 has no a=ssrc line" },
		{ "FID of three", HDR AUDIO("0") "a=ssrc-group:FID 1 2 3\r\n", -EINVAL,
		  "a=ssrc-group:FID with 3 SSRCs" },
		{ "simulcast unknown rid", HDR VIDEO("0") "a=rid:f send\r\na=simulcast:send f;h\r\n",
		  -ENOENT, "line 18: a=simulcast: rid h has no a=rid:h send" },
		{ "simulcast empty stream", HDR VIDEO("0") "a=rid:f send\r\na=simulcast:send f;\r\n",
		  -EINVAL, "a=simulcast: bad rid-id" },
		{ "extmap id 0", HDR AUDIO("0") "a=extmap:0 urn:x\r\n", -ERANGE,
		  "a=extmap: id 0 out of range" },
		{ "extmap id twice", HDR AUDIO("0") "a=extmap:1 urn:x\r\na=extmap:1 urn:y\r\n", -EEXIST,
		  "a=extmap: id 1 twice" },
		{ "ssrc over 32 bits", HDR AUDIO("0") "a=ssrc:4294967296 cname:x\r\n", -ERANGE,
		  "a=ssrc: SSRC 4294967296 out of range" },
		{ "t= not a number", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=now 0\r\n",
		  -EBADMSG, "t=: start time \"now\" is not a number" },
		{ "b= after a=", HDR AUDIO("0") "b=AS:1\r\n", -EBADMSG, "b= after a=" },
		{ "b= not a number", HDR "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nb=AS:lots\r\n", -EBADMSG,
		  "b=: bandwidth \"lots\" is not a number" },
		{ "b= huge", HDR "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nb=AS:99999999999\r\n", -ERANGE,
		  "b=: bandwidth 99999999999 out of range" },
	};
	char err[160];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = parse(cases[i].sdp, strlen(cases[i].sdp), err, sizeof(err));

		expect(r, cases[i].rc, err, cases[i].reason, cases[i].what);
	}

	/* A NUL byte, in the middle of an otherwise good offer. */
	{
		static const char nul[] = HDR "a=x-a\0b\r\n" AUDIO("0");

		expect(parse(nul, sizeof(nul) - 1, err, sizeof(err)), -EBADMSG, err,
		       "line 5: NUL byte", "a NUL byte");
		is_int(sdp.n_m, 0, "the result is cleared on failure");
	}
	/* A short err buffer is cut, not overrun; no buffer at all is fine. */
	{
		char small[12];

		memset(small, 'x', sizeof(small));
		parse("v=1\r\n", 5, small, 8);
		ok(strlen(small) == 7 && small[8] == 'x', "a short err buffer is cut: \"%s\"", small);
		is_int(parse("v=1\r\n", 5, NULL, 0), -EBADMSG, "no err buffer");
	}
	/* A number longer than the message shows is cut. */
	{
		const char *s = HDR AUDIO("0") "a=ssrc:123456789012345678901234567890 cname:x\r\n";

		expect(parse(s, strlen(s), err, sizeof(err)), -ERANGE, err,
		       "line 14: a=ssrc: SSRC 123456789012345678901234... out of range",
		       "a 30-digit SSRC");
	}
	/* The reason shows no raw bytes of the input. */
	{
		const char *s = HDR "a=setup:\xff\xfe\r\n";

		parse(s, strlen(s), err, sizeof(err));
		ok(strstr(err, "\"??\""), "bytes outside printable ASCII shown as '?': %s",
		   tap_esc(err));
	}
	/* Unknown attributes are counted and ignored; a port-0 section of
	 * another proto is taken as the offerer's rejection. */
	{
		const char *s = HDR "a=x-session\r\n" AUDIO("0") "a=x-one\r\na=x-two:2\r\n"
				    "m=audio 0 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n";

		is_int(parse(s, strlen(s), err, sizeof(err)), 0, "unknown attributes ignored");
		ok(sdp.unknown_attrs == 1 && sdp.m[0].unknown_attrs == 2,
		   "unknown attributes counted per level");
		ok(sdp.m[1].port == 0 && sdp.m[1].rtp && sdp.m[1].n_pts == 1,
		   "port 0 RTP/AVP section kept");
	}
}

int main(void)
{
	test_chrome();
	test_chrome_simulcast();
	test_aiortc();
	test_answer_chrome();
	test_answer_directions();
	test_answer_simulcast_datachannel();
	test_answer_aiortc();
	test_answer_rejects();
	test_answer_local();
	test_caps();
	test_malformed();
	return tap_done();
}
