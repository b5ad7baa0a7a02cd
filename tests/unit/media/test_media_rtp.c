// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * RTP and RTCP (media_rtp.h): packets shaped as Chromium sends them (Opus
 * with the one-byte audio-level and mid extensions, VP8 with padding,
 * two-byte extensions, CSRCs), every refusal of the RTP parser, the
 * rewrite; compound RTCP with SR + SDES, RR, BYE, NACK, PLI, FIR, REMB
 * (the example of the draft), TWCC's header, unknown types skipped, every
 * refusal; the builders read back by the parser.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "services/media/media_rtp.h"
#include "tests/unit/tap.h"

static void test_rtp(void)
{
	/* Opus, marker, PT 111, seq 0x1234, ts 0x11223344, SSRC 0xdeadbeef,
	 * one-byte extensions: id 1 audio level (voice, 42), id 3 mid "0",
	 * then one byte of padding inside the block. */
	static const uint8_t opus[] = {
		0x90, 0xef, 0x12, 0x34, 0x11, 0x22, 0x33, 0x44, 0xde, 0xad, 0xbe, 0xef,
		0xbe, 0xde, 0x00, 0x01, 0x10, 0x80 | 42, 0x30, '0',
		0xfc, 0xff, 0xfe, /* payload */
	};
	/* VP8 with two CSRCs, a two-byte extension (id 5, 2 bytes) and 4
	 * bytes of padding. */
	static const uint8_t vp8[] = {
		0xb2, 0x60, 0x00, 0x01, 0, 0, 0, 9, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2,
		0x10, 0x00, 0x00, 0x01, 0x05, 0x02, 0xaa, 0xbb,
		0x90, 0xe0, 0x12, 0x34, 0, 0, 0, 4,
	};
	struct media_rtp r;
	bool voice;
	uint8_t level, b[64];
	const struct media_rtp_ext *e;

	ok(media_rtp_parse(opus, sizeof(opus), &r) == 0, "Opus packet parses");
	ok(r.marker && r.pt == 111 && r.seq == 0x1234 && r.ts == 0x11223344 &&
		   r.ssrc == 0xdeadbeef && r.cc == 0,
	   "fixed header fields");
	is_int((int)r.n_ext, 2, "two one-byte extensions");
	ok(media_rtp_audio_level(&r, 1, &voice, &level) == 0 && voice && level == 42,
	   "RFC 6464 audio level: voice, 42 -dBov");
	ok((e = media_rtp_ext_find(&r, 3)) && e->len == 1 && e->data[0] == '0', "mid \"0\"");
	is_int(media_rtp_audio_level(&r, 4, &voice, &level), -ENOENT, "no level under id 4");
	ok(r.payload_len == 3 && r.payload[0] == 0xfc && r.hdr_len == 20, "payload after the block");

	ok(media_rtp_parse(vp8, sizeof(vp8), &r) == 0, "VP8 packet parses");
	ok(r.cc == 2 && r.csrc[0] == 1 && r.csrc[1] == 2, "two CSRCs");
	ok(r.ext_two_byte && r.n_ext == 1 && r.ext[0].id == 5 && r.ext[0].len == 2 &&
		   r.ext[0].data[0] == 0xaa,
	   "a two-byte extension element");
	ok(r.padding == 4 && r.payload_len == 4 && r.payload[0] == 0x90, "4 bytes of padding removed");

	memcpy(b, opus, sizeof(opus));
	b[0] = 0x50;
	is_int(media_rtp_parse(b, sizeof(opus), &r), -EBADMSG, "version 1 is refused");
	is_int(media_rtp_parse(opus, 11, &r), -EBADMSG, "11 bytes are refused");
	memcpy(b, vp8, sizeof(vp8));
	b[0] = 0x8f;
	is_int(media_rtp_parse(b, 20, &r), -EBADMSG, "15 CSRCs in 20 bytes are refused");
	memcpy(b, opus, sizeof(opus));
	b[15] = 9;
	is_int(media_rtp_parse(b, sizeof(opus), &r), -EBADMSG,
	       "an extension block longer than the packet is refused");
	memcpy(b, opus, sizeof(opus));
	b[16] = 0x1f; /* id 1, 16 bytes */
	is_int(media_rtp_parse(b, sizeof(opus), &r), -EBADMSG,
	       "an element running past its block is refused");
	memcpy(b, vp8, sizeof(vp8));
	b[sizeof(vp8) - 1] = 0;
	is_int(media_rtp_parse(b, sizeof(vp8), &r), -EBADMSG, "a padding count of 0 is refused");
	b[sizeof(vp8) - 1] = 9;
	is_int(media_rtp_parse(b, sizeof(vp8), &r), -EBADMSG,
	       "padding longer than the payload is refused");
	memcpy(b, opus, sizeof(opus));
	b[16] = 0xf0; /* id 15: reserved, stops the walk */
	ok(media_rtp_parse(b, sizeof(opus), &r) == 0 && r.n_ext == 0,
	   "id 15 ends the one-byte elements (RFC 8285 4.2)");

	memcpy(b, opus, sizeof(opus));
	media_rtp_rewrite(b, 0x01020304, 7, 90000);
	ok(media_rtp_parse(b, sizeof(opus), &r) == 0 && r.ssrc == 0x01020304 && r.seq == 7 &&
		   r.ts == 90000 && r.n_ext == 2 && r.payload_len == 3,
	   "rewrite changes SSRC, sequence number and timestamp only");
}

static void test_rtcp_parse(void)
{
	/* SR with one report block, then SDES with a CNAME. */
	static const uint8_t sr_sdes[] = {
		0x81, 200, 0x00, 0x0c, 0, 0, 0, 1,
		0xe0, 0, 0, 1, 0x80, 0, 0, 0, 0, 0, 0x3e, 0x80, 0, 0, 0, 10, 0, 0, 4, 0,
		0, 0, 0, 9, 0x40, 0xff, 0xff, 0xfe, 0, 0, 0x12, 0x34, 0, 0, 0, 5,
		0, 0, 0, 6, 0, 0, 0, 7,
		0x81, 202, 0x00, 0x03, 0, 0, 0, 1, 1, 4, 'a', 'b', 'c', 'd', 0, 0,
	};
	/* NACK for 100, 102 and 116 (BLP bits 1 and 15); PLI; FIR; REMB of
	 * the draft's shape: 1 SSRC, exponent 1, mantissa 0x3ffff; BYE;
	 * APP (skipped); TWCC header. */
	static const uint8_t fb[] = {
		0x81, 205, 0, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 100, 0x80, 0x02,
		0x81, 206, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3,
		0x84, 206, 0, 4, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 9, 0, 0, 0,
		0x8f, 206, 0, 5, 0, 0, 0, 2, 0, 0, 0, 0, 'R', 'E', 'M', 'B', 1, 0x07, 0xff, 0xff,
		0, 0, 0, 3,
		0x81, 203, 0, 1, 0, 0, 0, 2,
		0x80, 204, 0, 2, 0, 0, 0, 2, 'n', 'a', 'm', 'e',
		0x8f, 205, 0, 4, 0, 0, 0, 2, 0, 0, 0, 3, 0, 50, 0, 2, 0, 0, 1, 0,
	};
	struct media_rtcp r;
	size_t off = 0;
	uint8_t b[128];

	ok(media_rtcp_next(sr_sdes, sizeof(sr_sdes), &off, &r) == 1 && r.kind == MEDIA_RTCP_K_SR,
	   "SR");
	ok(r.sender_ssrc == 1 && r.ntp == 0xe000000180000000ull && r.rtp_ts == 16000 &&
		   r.packets == 10 && r.octets == 1024,
	   "SR sender info");
	ok(r.n_reports == 1 && r.reports[0].ssrc == 9 && r.reports[0].fraction_lost == 0x40 &&
		   r.reports[0].cumulative_lost == -2 && r.reports[0].highest_seq == 0x1234 &&
		   r.reports[0].jitter == 5 && r.reports[0].lsr == 6 && r.reports[0].dlsr == 7,
	   "SR report block (cumulative loss is signed: -2)");
	ok(media_rtcp_next(sr_sdes, sizeof(sr_sdes), &off, &r) == 1 &&
		   r.kind == MEDIA_RTCP_K_SDES && !strcmp(r.cname, "abcd"),
	   "SDES CNAME abcd");
	is_int(media_rtcp_next(sr_sdes, sizeof(sr_sdes), &off, &r), 0, "end of the compound");

	off = 0;
	ok(media_rtcp_next(fb, sizeof(fb), &off, &r) == 1 && r.kind == MEDIA_RTCP_K_NACK &&
		   r.media_ssrc == 3 && r.n_nack == 3 && r.nack[0] == 100 && r.nack[1] == 102 &&
		   r.nack[2] == 116,
	   "NACK: 100, and BLP bits 1 and 15: 102, 116");
	ok(media_rtcp_next(fb, sizeof(fb), &off, &r) == 1 && r.kind == MEDIA_RTCP_K_PLI &&
		   r.sender_ssrc == 2 && r.media_ssrc == 3,
	   "PLI for SSRC 3");
	ok(media_rtcp_next(fb, sizeof(fb), &off, &r) == 1 && r.kind == MEDIA_RTCP_K_FIR &&
		   r.media_ssrc == 3 && r.fir_seq == 9,
	   "FIR: the source and sequence number from the FCI");
	ok(media_rtcp_next(fb, sizeof(fb), &off, &r) == 1 && r.kind == MEDIA_RTCP_K_REMB &&
		   r.remb_bps == 0x3ffffull << 1 && r.n_remb_ssrcs == 1 && r.remb_ssrcs[0] == 3,
	   "REMB: 0x3ffff << 1 bit/s for SSRC 3");
	ok(media_rtcp_next(fb, sizeof(fb), &off, &r) == 1 && r.kind == MEDIA_RTCP_K_BYE &&
		   r.sender_ssrc == 2,
	   "BYE");
	ok(media_rtcp_next(fb, sizeof(fb), &off, &r) == 1 && r.kind == MEDIA_RTCP_K_OTHER &&
		   r.pt == 204,
	   "APP is skipped as other");
	ok(media_rtcp_next(fb, sizeof(fb), &off, &r) == 1 && r.kind == MEDIA_RTCP_K_TWCC &&
		   r.twcc_base == 50 && r.twcc_count == 2,
	   "transport-cc: base 50, 2 packets");
	is_int(media_rtcp_next(fb, sizeof(fb), &off, &r), 0, "end");

	off = 0;
	memcpy(b, fb, 16);
	b[0] = 0x41;
	is_int(media_rtcp_next(b, 16, &off, &r), -EBADMSG, "version 1 is refused");
	off = 0;
	b[0] = 0x81;
	b[3] = 9;
	is_int(media_rtcp_next(b, 16, &off, &r), -EBADMSG, "a length past the buffer is refused");
	off = 0;
	is_int(media_rtcp_next(b, 3, &off, &r), -EBADMSG, "3 bytes are refused");
	off = 0;
	memcpy(b, sr_sdes, 8);
	b[0] = 0x82;
	b[3] = 1;
	is_int(media_rtcp_next(b, 8, &off, &r), -EBADMSG, "an SR too short for its reports");
	off = 0;
	memcpy(b, fb, 40);
	b[3] = 1;
	is_int(media_rtcp_next(b, 8, &off, &r), -EBADMSG, "feedback without the media SSRC");
	off = 0;
	memcpy(b, fb + 28, 20);
	b[3] = 3;
	is_int(media_rtcp_next(b, 16, &off, &r), -EBADMSG, "a FIR without its entry");
	off = 0;
	memcpy(b, fb + 48, 24);
	b[16] = 5; /* five SSRCs announced, one present */
	is_int(media_rtcp_next(b, 24, &off, &r), -EBADMSG, "a REMB short of its SSRCs");
}

static void test_rtcp_build(void)
{
	uint8_t b[512];
	struct media_rtcp r;
	struct media_rtcp_report rep[2] = { { .ssrc = 5, .fraction_lost = 3,
					      .cumulative_lost = -1, .highest_seq = 70000,
					      .jitter = 12, .lsr = 13, .dlsr = 14 },
					    { .ssrc = 6 } };
	uint16_t seqs[] = { 10, 12, 11, 30, 26, 10, 65535 };
	uint32_t ss[2] = { 7, 8 };
	size_t n, off;

	n = media_rtcp_build_rr(b, sizeof(b), 99, rep, 2);
	off = 0;
	ok(n == 56 && media_rtcp_next(b, n, &off, &r) == 1 && r.kind == MEDIA_RTCP_K_RR &&
		   r.sender_ssrc == 99 && r.n_reports == 2 && r.reports[0].cumulative_lost == -1 &&
		   r.reports[0].highest_seq == 70000 && r.reports[1].ssrc == 6,
	   "RR with two blocks reads back");
	n = media_rtcp_build_nack(b, sizeof(b), 99, 5, seqs, 7);
	off = 0;
	ok(n && media_rtcp_next(b, n, &off, &r) == 1 && r.kind == MEDIA_RTCP_K_NACK &&
		   r.media_ssrc == 5,
	   "NACK reads back");
	{
		bool want[65536] = { 0 }, got[65536] = { 0 };
		bool same = true;

		for (unsigned i = 0; i < 7; i++)
			want[seqs[i]] = true;
		for (unsigned i = 0; i < r.n_nack; i++)
			got[r.nack[i]] = true;
		for (unsigned i = 0; i < 65536; i++)
			same &= want[i] == got[i];
		ok(same, "NACK asks for exactly 10, 11, 12, 26, 30, 65535 (sorted, packed)");
		is_int((int)((n - 12) / 4), 3, "in three PID+BLP entries (10 with 11, 12, 26; 30; 65535)");
	}
	n = media_rtcp_build_pli(b, sizeof(b), 99, 5);
	off = 0;
	ok(n == 12 && media_rtcp_next(b, n, &off, &r) == 1 && r.kind == MEDIA_RTCP_K_PLI &&
		   r.media_ssrc == 5,
	   "PLI reads back");
	n = media_rtcp_build_fir(b, sizeof(b), 99, 5, 200);
	off = 0;
	ok(n == 20 && media_rtcp_next(b, n, &off, &r) == 1 && r.kind == MEDIA_RTCP_K_FIR &&
		   r.media_ssrc == 5 && r.fir_seq == 200,
	   "FIR reads back");
	n = media_rtcp_build_remb(b, sizeof(b), 99, 2500000, ss, 2);
	off = 0;
	ok(n == 28 && media_rtcp_next(b, n, &off, &r) == 1 && r.kind == MEDIA_RTCP_K_REMB &&
		   r.n_remb_ssrcs == 2 && r.remb_ssrcs[1] == 8,
	   "REMB reads back");
	ok(r.remb_bps <= 2500000 && r.remb_bps > 2500000 - 2500000 / 100000,
	   "REMB 2.5 Mbit/s within the mantissa's precision (%llu)",
	   (unsigned long long)r.remb_bps);
	is_int((int)media_rtcp_build_pli(b, 11, 1, 2), 0, "no room: 0");
	is_int((int)media_rtcp_build_nack(b, sizeof(b), 1, 2, seqs, 0), 0, "an empty NACK: 0");
}

int main(void)
{
	test_rtp();
	test_rtcp_parse();
	test_rtcp_build();
	return tap_done();
}
