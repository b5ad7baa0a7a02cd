/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SDP offer/answer for the media engine, free of I/O: a strict parser of
 * the remote offer (RFC 8866 as JSEP, RFC 8829, has browsers write it) and
 * the builder of our answer (ICE-lite, DTLS server, BUNDLE, rtcp-mux).
 *
 * The offer comes from a browser through the call bridge, so it is
 * untrusted: everything is capped (MD_SDP_MAX_*), every number is range
 * checked, and a refusal comes with a distinct negative errno and a short
 * English reason naming the line:
 *   -EMSGSIZE         the description or one line is over its byte cap
 *   -E2BIG            more m-sections, payload types, attributes,
 *                     candidates, SSRCs, rids... than the caps allow
 *   -EBADMSG          not SDP: no v= first, a line that is not type=value,
 *                     NUL or control bytes, lines out of order, a field
 *                     that is not a number where one is due
 *   -ERANGE           a number outside its range (payload type 300)
 *   -EINVAL           a value outside its grammar (fingerprint hex,
 *                     ice-ufrag characters, a=setup:sometimes)
 *   -EEXIST           something said twice that may be said once (two
 *                     m-sections with one mid, two rtpmaps for a PT)
 *   -ENOENT           a reference to what is not there (BUNDLE naming an
 *                     unknown mid, an rtpmap for a PT not on the m= line)
 *   -ENODATA          something required is missing (a=mid, c=, t=, the
 *                     ICE credentials or fingerprint of a live m-section)
 *   -EPROTONOSUPPORT  audio or video over another proto than
 *                     UDP/TLS/RTP/SAVPF
 *
 * The parser does not allocate: strings in the result are slices of the
 * caller's input (struct md_sdp_str, not NUL-terminated), so the input
 * must outlive the result. struct md_sdp is large (about 150 KiB): put it
 * on the heap or in static storage, not on a thread's stack.
 *
 * Not done here: resolving names (mDNS ".local" candidates are counted and
 * skipped, other names are kept unresolved), ICE restarts and renegotiation
 * (each offer is parsed on its own), accepting simulcast (the answer
 * declines it: no a=simulcast, no a=rid), data channels (rejected).
 */
#ifndef MEDIA_SDP_H
#define MEDIA_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"

/* Caps on the offer; exactly at the cap passes, one over is refused. */
#define MD_SDP_MAX_LEN 65536 /* bytes in the description */
#define MD_SDP_MAX_LINE 4096 /* bytes in one line, without its CRLF or LF */
#define MD_SDP_MAX_MSECT 16  /* m-sections */
#define MD_SDP_MAX_PT 64     /* payload types on one m= line */
/* a= lines at session level or in one m-section: Chromium's video section
 * carries 130 and more (25+ payload types, each with rtpmap, fmtp and up
 * to five rtcp-fb), so 128 would refuse every browser offer. */
#define MD_SDP_MAX_ATTR 256
#define MD_SDP_MAX_CAND 32   /* candidates kept per m-section */
#define MD_SDP_MAX_EXTMAP 14 /* one-byte header extension ids (RFC 8285) */
#define MD_SDP_MAX_SSRC 16   /* distinct SSRCs per m-section */
#define MD_SDP_MAX_GROUP 8   /* a=ssrc-group lines per m-section */
#define MD_SDP_MAX_GROUP_SSRC 8
#define MD_SDP_MAX_RID 8
#define MD_SDP_MAX_MID 32 /* characters in a mid */
#define MD_SDP_FP_MAX 64  /* bytes of a fingerprint (sha-512) */

/* A slice of the parsed input; p is NULL when the field was absent. */
struct md_sdp_str {
	const char *p;
	size_t len;
};

enum md_sdp_kind {
	MD_SDP_AUDIO,
	MD_SDP_VIDEO,
	MD_SDP_APPLICATION,
	MD_SDP_OTHER,
};

enum md_sdp_dir {
	MD_SDP_SENDRECV, /* the default when no direction is given */
	MD_SDP_SENDONLY,
	MD_SDP_RECVONLY,
	MD_SDP_INACTIVE,
};
/* "sendrecv", ... */
const char *md_sdp_dir_name(enum md_sdp_dir d);

enum md_sdp_setup {
	MD_SDP_SETUP_NONE,
	MD_SDP_SETUP_ACTPASS,
	MD_SDP_SETUP_ACTIVE,
	MD_SDP_SETUP_PASSIVE,
	MD_SDP_SETUP_HOLDCONN,
};

/* RFC 8122 hash names; only sha-256 is used to check the peer's
 * certificate, the others are parsed and kept with usable false. */
enum md_sdp_hash {
	MD_SDP_HASH_OTHER,
	MD_SDP_HASH_MD5,
	MD_SDP_HASH_SHA1,
	MD_SDP_HASH_SHA224,
	MD_SDP_HASH_SHA256,
	MD_SDP_HASH_SHA384,
	MD_SDP_HASH_SHA512,
};

struct md_sdp_fp {
	bool present;
	bool usable; /* sha-256 */
	enum md_sdp_hash hash;
	struct md_sdp_str alg; /* as written ("sha-256") */
	uint8_t len;
	uint8_t bytes[MD_SDP_FP_MAX];
};

struct md_sdp_ice {
	struct md_sdp_str ufrag;
	struct md_sdp_str pwd;
	bool trickle; /* a=ice-options:trickle */
	bool ice2;    /* a=ice-options:ice2 (RFC 8445) */
};

/* a=rtcp-fb types kept per payload type (others are ignored). */
#define MD_SDP_FB_NACK (1u << 0)
#define MD_SDP_FB_NACK_PLI (1u << 1)
#define MD_SDP_FB_CCM_FIR (1u << 2)
#define MD_SDP_FB_GOOG_REMB (1u << 3)
#define MD_SDP_FB_TRANSPORT_CC (1u << 4)

struct md_sdp_pt {
	uint8_t pt;
	bool has_rtpmap;
	struct md_sdp_str name; /* encoding name ("opus", "VP8") */
	uint32_t clock;
	uint8_t channels; /* 0: not given */
	struct md_sdp_str fmtp; /* the raw parameters */
	int16_t apt;		   /* rtx: the payload type repaired, -1: none */
	bool has_plid;
	uint32_t profile_level_id; /* H264, 24 bits */
	int8_t packetization_mode; /* H264, -1: not given */
	bool level_asymmetry;	   /* H264 level-asymmetry-allowed=1 */
	unsigned fb;		   /* MD_SDP_FB_* */
};

struct md_sdp_extmap {
	uint8_t id;
	struct md_sdp_str uri;
};

struct md_sdp_ssrc {
	uint32_t ssrc;
	struct md_sdp_str cname;
	struct md_sdp_str msid; /* "stream track" as written */
};

enum md_sdp_group_kind {
	MD_SDP_GROUP_OTHER,
	MD_SDP_GROUP_FID,
	MD_SDP_GROUP_SIM,
};

struct md_sdp_ssrc_group {
	enum md_sdp_group_kind kind;
	struct md_sdp_str semantics;
	uint8_t n;
	uint32_t ssrc[MD_SDP_MAX_GROUP_SSRC];
};

struct md_sdp_rid {
	struct md_sdp_str id;
	bool send; /* "send", else "recv" */
	struct md_sdp_str params;
};

enum md_sdp_cand_type {
	MD_SDP_CAND_HOST,
	MD_SDP_CAND_SRFLX,
	MD_SDP_CAND_PRFLX,
	MD_SDP_CAND_RELAY,
};

struct md_sdp_cand {
	struct md_sdp_str foundation;
	uint16_t component;
	bool tcp; /* else UDP */
	uint32_t priority;
	struct md_sdp_str addr;
	int family; /* AF_INET, AF_INET6, or 0 for a name (kept, not resolved) */
	uint8_t ip[16];
	uint16_t port;
	enum md_sdp_cand_type type;
	struct md_sdp_str raddr; /* absent for host candidates */
	uint16_t rport;
};

struct md_sdp_msect {
	unsigned line; /* of the m= line, for messages */
	enum md_sdp_kind kind;
	struct md_sdp_str media; /* the m= media token as written */
	uint16_t port;		 /* 0: the offerer rejected or bundled-only it */
	struct md_sdp_str proto;
	bool rtp;		   /* proto is RTP: the formats are payload types */
	struct md_sdp_str fmts;	   /* the m= formats as written */
	struct md_sdp_str mid;
	enum md_sdp_dir dir;
	bool rtcp_mux;
	bool rtcp_rsize;
	bool bundle_only;
	bool end_of_candidates;
	/* Effective values: the section's own, else the session's. */
	struct md_sdp_ice ice;
	struct md_sdp_fp fp;
	enum md_sdp_setup setup;
	uint8_t n_pts; /* in m= line order */
	struct md_sdp_pt pts[MD_SDP_MAX_PT];
	uint8_t n_ext;
	struct md_sdp_extmap ext[MD_SDP_MAX_EXTMAP];
	unsigned ext_two_byte; /* extmaps with ids 15-255, not kept */
	uint8_t n_ssrcs;
	struct md_sdp_ssrc ssrcs[MD_SDP_MAX_SSRC];
	uint8_t n_groups;
	struct md_sdp_ssrc_group groups[MD_SDP_MAX_GROUP];
	uint8_t n_rids;
	struct md_sdp_rid rids[MD_SDP_MAX_RID];
	bool has_simulcast;
	struct md_sdp_str simulcast_send; /* "f;h;q" as written, or absent */
	struct md_sdp_str simulcast_recv;
	uint8_t simulcast_send_streams; /* ';'-separated entries of send */
	struct md_sdp_str msid_stream;	/* a=msid */
	struct md_sdp_str msid_track;
	uint8_t n_cands;
	struct md_sdp_cand cands[MD_SDP_MAX_CAND];
	unsigned mdns_skipped;	 /* ".local" candidates, not kept */
	unsigned cands_skipped;	 /* unknown transports (RFC 8839: ignored) */
	unsigned n_attrs;	 /* a= lines */
	unsigned unknown_attrs;	 /* a= lines not understood, ignored */
};

struct md_sdp {
	uint64_t sess_id;
	uint64_t sess_version;
	/* The session-level values, or when absent there, the first
	 * m-section's (the BUNDLE transport's). */
	struct md_sdp_ice ice;
	struct md_sdp_fp fp;
	enum md_sdp_setup setup;
	bool ice_lite;
	bool extmap_allow_mixed;
	bool has_bundle;
	uint8_t n_bundle;
	struct md_sdp_str bundle[MD_SDP_MAX_MSECT]; /* mids, in the group's order */
	struct md_sdp_str msid_semantic;	    /* "WMS" */
	struct md_sdp_str msid_semantic_ids;	    /* the rest of the line */
	unsigned n_attrs;
	unsigned unknown_attrs;
	uint8_t n_m;
	struct md_sdp_msect m[MD_SDP_MAX_MSECT];
};

/* Parses the offer in buf (len bytes: CRLF or LF line ends, no NUL
 * needed) into *sdp, which borrows buf. 0, or one of the negative errnos
 * above with the reason in err (errlen bytes, "line 12: a=rtpmap: payload
 * type 300 out of range"); on failure *sdp is cleared. err may be NULL. */
int md_sdp_parse(const uint8_t *buf, size_t len, struct md_sdp *sdp, char *err, size_t errlen);

/* The m-section with the given mid, or NULL. */
const struct md_sdp_msect *md_sdp_find_mid(const struct md_sdp *sdp, const char *mid, size_t len);

/* --- the answer ------------------------------------------------------------------------- */

#define MD_SDP_MAX_LOCAL_CAND 4

/* What the engine brings to an answer. All strings are borrowed. */
struct md_sdp_local {
	uint64_t sess_id; /* o= (JSEP: at most 63 bits; not checked) */
	uint64_t sess_version;
	const char *ice_ufrag; /* 4-256 ice-chars (RFC 8839) */
	const char *ice_pwd;   /* 22-256 ice-chars */
	const char *fingerprint; /* "sha-256 AB:CD:..." (32 bytes) */
	/* Our host candidates, UDP, address literals; the first is also
	 * the default (m= port, c= address). */
	unsigned n_cands;
	struct {
		const char *addr;
		uint16_t port;
	} cands[MD_SDP_MAX_LOCAL_CAND];
	const char *cname; /* for a=ssrc; needed when any send SSRC is given */
	/* Indexed like the offer's m-sections: an SSRC (0: none) for the
	 * sections we send on, its RTX SSRC (0: none; written only when
	 * rtx was negotiated), and the a=msid stream and track ids. */
	struct {
		uint32_t ssrc;
		uint32_t rtx_ssrc;
		const char *stream;
		const char *track;
	} send[MD_SDP_MAX_MSECT];
};

/* Why an m-section of the offer is rejected in the answer. */
enum md_sdp_reject {
	MD_SDP_ACCEPTED,
	MD_SDP_REJ_PORT0,	/* the offer has port 0 */
	MD_SDP_REJ_KIND,	/* application (data channels) or unknown media */
	MD_SDP_REJ_NO_CODEC,	/* nothing we decode */
	MD_SDP_REJ_NO_RTCP_MUX, /* we only do rtcp-mux */
	MD_SDP_REJ_SETUP,	/* the offer wants to be DTLS server too */
	MD_SDP_REJ_FINGERPRINT, /* no sha-256 fingerprint */
	MD_SDP_REJ_ICE_LITE,	/* both ends ICE-lite: no one would check */
	MD_SDP_REJ_NOT_BUNDLED, /* outside the BUNDLE group: one transport only */
};
/* "port 0", "no common codec", ... */
const char *md_sdp_reject_name(enum md_sdp_reject r);

/* What the answer chose per m-section, for the engine to set up RTP with.
 * Payload types are the offer's numbers; -1 (or 0 for ids): not used. */
struct md_sdp_choice {
	enum md_sdp_reject reject;
	enum md_sdp_dir dir; /* ours */
	bool sending;	     /* our a=ssrc lines were written */
	int16_t opus_pt;
	int16_t vp8_pt, vp8_rtx_pt;
	int16_t h264_pt, h264_rtx_pt;
	unsigned fb; /* MD_SDP_FB_* answered for the video codecs */
	uint8_t ext_audio_level, ext_mid, ext_abs_send_time, ext_twcc;
};

struct md_sdp_answer_info {
	uint8_t n_m;
	struct md_sdp_choice m[MD_SDP_MAX_MSECT];
};

/* Appends our answer to offer (parsed by md_sdp_parse, borrowed) to out:
 * ICE-lite, a=setup:passive (we are the DTLS server), BUNDLE of the
 * accepted m-sections in the offer's order, Opus for audio, VP8 then H264
 * for video, each with rtx when offered. Rejected m-sections get port 0
 * and their mid only. 0, or -EINVAL with the reason in err when local is
 * not usable (nothing is appended then). info (may be NULL) gets what was
 * chosen. */
int md_sdp_answer(const struct md_sdp *offer, const struct md_sdp_local *local,
		  struct strbuf *out, struct md_sdp_answer_info *info, char *err, size_t errlen);

#endif
