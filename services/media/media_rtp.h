/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RTP and RTCP as the SFU reads and writes them, free of I/O: the RTP
 * fixed header with its CSRCs, header extensions (RFC 8285 one-byte and
 * two-byte forms) and padding (RFC 3550 5.1); compound RTCP (RFC 3550 6,
 * RFC 5761 reduced size allowed, RFC 5506) walked packet by packet with
 * the types the engine acts on parsed: SR, RR, SDES (CNAME), BYE, generic
 * NACK (RFC 4585 6.2.1), PLI and FIR (RFC 4585 6.3.1, RFC 5104 4.3.1),
 * REMB (draft-alvestrand-rmcat-remb) and transport-wide feedback's header
 * (draft-holmer-rmcat-transport-wide-cc-extensions); builders for what the
 * engine sends: RR, NACK, PLI, FIR, REMB.
 *
 * Every length is checked against the buffer before it is read; nothing
 * allocates; a parsed packet borrows the caller's buffer.
 */
#ifndef MEDIA_RTP_H
#define MEDIA_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEDIA_RTP_HDR 12
/* RFC 8285: ids 1-14 (one-byte form) and 1-255 (two-byte form). */
#define MEDIA_RTP_EXT_MAX 16

struct media_rtp_ext {
	uint8_t id;
	uint8_t len;
	const uint8_t *data;
};

struct media_rtp {
	bool marker;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint8_t cc;
	uint32_t csrc[15];
	struct media_rtp_ext ext[MEDIA_RTP_EXT_MAX];
	unsigned n_ext;
	bool ext_two_byte;
	const uint8_t *payload;
	size_t payload_len;
	size_t hdr_len; /* up to the payload */
	uint8_t padding;
};

/*
 * Parses one RTP packet (after SRTP). -EBADMSG when it is not one:
 * version other than 2, too short for its CSRCs, extension or padding,
 * a padding count of 0 or past the payload, an extension element that
 * runs past its block. Unknown extension profiles are skipped as opaque
 * (RFC 3550 5.3.1); elements past MEDIA_RTP_EXT_MAX are ignored.
 */
int media_rtp_parse(const uint8_t *buf, size_t len, struct media_rtp *ret);
/* The extension with this id, or NULL. */
const struct media_rtp_ext *media_rtp_ext_find(const struct media_rtp *r, uint8_t id);
/*
 * RFC 6464 audio level (one byte: V bit and level 0-127 -dBov). -ENOENT
 * when the extension is absent or not one byte.
 */
int media_rtp_audio_level(const struct media_rtp *r, uint8_t id, bool *voice,
			  uint8_t *level);
/* Rewrites the SSRC, sequence number and timestamp in place (the SFU's
 * forwarding onto a receiver's slot). */
void media_rtp_rewrite(uint8_t *buf, uint32_t ssrc, uint16_t seq, uint32_t ts);

/* --- RTCP -------------------------------------------------------------------- */

enum {
	MEDIA_RTCP_SR = 200,
	MEDIA_RTCP_RR = 201,
	MEDIA_RTCP_SDES = 202,
	MEDIA_RTCP_BYE = 203,
	MEDIA_RTCP_APP = 204,
	MEDIA_RTCP_RTPFB = 205,
	MEDIA_RTCP_PSFB = 206,
};

#define MEDIA_RTCP_REPORTS_MAX 31
#define MEDIA_RTCP_NACK_MAX 64	 /* FCI entries kept per NACK packet */
#define MEDIA_RTCP_REMB_SSRCS_MAX 16

struct media_rtcp_report { /* RFC 3550 6.4.1 report block */
	uint32_t ssrc;
	uint8_t fraction_lost;
	int32_t cumulative_lost; /* 24-bit signed */
	uint32_t highest_seq;
	uint32_t jitter;
	uint32_t lsr;
	uint32_t dlsr;
};

enum media_rtcp_kind {
	MEDIA_RTCP_K_SR,
	MEDIA_RTCP_K_RR,
	MEDIA_RTCP_K_SDES,
	MEDIA_RTCP_K_BYE,
	MEDIA_RTCP_K_NACK,
	MEDIA_RTCP_K_TWCC,
	MEDIA_RTCP_K_PLI,
	MEDIA_RTCP_K_FIR,
	MEDIA_RTCP_K_REMB,
	MEDIA_RTCP_K_OTHER, /* APP, unknown types and formats: skipped */
};

/* One packet of a compound. */
struct media_rtcp {
	enum media_rtcp_kind kind;
	uint8_t pt, fmt; /* the header's packet type and count/format field */
	uint32_t sender_ssrc;
	uint32_t media_ssrc;   /* feedback: the source it is about */
	/* SR */
	uint64_t ntp;
	uint32_t rtp_ts, packets, octets;
	/* SR, RR */
	struct media_rtcp_report reports[MEDIA_RTCP_REPORTS_MAX];
	unsigned n_reports;
	/* NACK: every sequence number it asks for (PID + BLP expanded),
	 * at most MEDIA_RTCP_NACK_MAX * 17 of them. */
	uint16_t nack[MEDIA_RTCP_NACK_MAX * 17];
	unsigned n_nack;
	/* FIR: the request's sequence number for media_ssrc */
	uint8_t fir_seq;
	/* REMB */
	uint64_t remb_bps;
	uint32_t remb_ssrcs[MEDIA_RTCP_REMB_SSRCS_MAX];
	unsigned n_remb_ssrcs;
	/* TWCC: base sequence number and status count (the chunks are
	 * not decoded yet) */
	uint16_t twcc_base;
	uint16_t twcc_count;
	/* SDES: the first CNAME of the first chunk */
	char cname[256];
	/* the packet's bytes */
	const uint8_t *data;
	size_t len;
};

/*
 * Walks a compound packet: *off starts at 0; each call parses the packet
 * at *off into *ret and moves *off past it. 1 for a packet, 0 at the end,
 * -EBADMSG when the compound is malformed (version, a length past the
 * buffer, a packet too short for its type); the caller drops the rest.
 */
int media_rtcp_next(const uint8_t *buf, size_t len, size_t *off, struct media_rtcp *ret);

/* Builders: write one packet at buf (cap bytes), return its length or 0
 * when it does not fit. */
size_t media_rtcp_build_rr(uint8_t *buf, size_t cap, uint32_t sender,
			   const struct media_rtcp_report *reports, unsigned n);
/* Generic NACK for seqs (any order, duplicates allowed), packed into
 * PID + BLP entries. */
size_t media_rtcp_build_nack(uint8_t *buf, size_t cap, uint32_t sender, uint32_t media,
			     const uint16_t *seqs, unsigned n);
size_t media_rtcp_build_pli(uint8_t *buf, size_t cap, uint32_t sender, uint32_t media);
size_t media_rtcp_build_fir(uint8_t *buf, size_t cap, uint32_t sender, uint32_t media,
			    uint8_t seq);
/* REMB: bitrate as 6-bit exponent and 18-bit mantissa. */
size_t media_rtcp_build_remb(uint8_t *buf, size_t cap, uint32_t sender, uint64_t bps,
			     const uint32_t *ssrcs, unsigned n);

#endif
