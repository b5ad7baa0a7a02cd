/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The media engine's ICE-lite agent (RFC 8445 section 2.5 and 6.1.1.2,
 * RFC 8839 for the credentials, RFC 7675 consent freshness) and the
 * first-byte demultiplexing of one UDP port (RFC 7983), free of I/O.
 *
 * A lite agent never sends checks: it answers the browser's Binding
 * requests and selects the 5-tuple the controlling agent nominates
 * (USE-CANDIDATE). Checks on the selected tuple are the consent: when
 * none has passed for MEDIA_ICE_CONSENT_MS the tuple is gone and the
 * endpoint must stop sending (RFC 7675 section 5.1). An ICE restart gives
 * new local credentials; the old ones keep working until a request with
 * the new ones arrives (what mediasoup does, spec/media.md 1.2).
 *
 * The STUN codec is the TURN relay's (services/turn/stun.h).
 */
#ifndef MEDIA_ICE_H
#define MEDIA_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/turn/stun.h"

/* RFC 8839 5.4: ice-char is ALPHA / DIGIT / "+" / "/"; ufrag 4-256
 * characters, pwd 22-256. Ours: 8 and 24 random characters (48 and 144
 * bits). Remote ones are taken up to the limits. */
#define MEDIA_ICE_UFRAG_LEN 8
#define MEDIA_ICE_PWD_LEN 24
#define MEDIA_ICE_UFRAG_MAX 256
#define MEDIA_ICE_PWD_MAX 256
/* RFC 7675 section 5.1: consent expires 30 s after the last success. */
#define MEDIA_ICE_CONSENT_MS 30000u
/* Largest response we build (XOR-MAPPED-ADDRESS, integrity, fingerprint). */
#define MEDIA_ICE_RESPONSE_MAX 128

/* RFC 7983 section 7: what the first byte of a datagram says. */
enum media_pkt_kind {
	MEDIA_PKT_STUN,	   /* 0-3 */
	MEDIA_PKT_DTLS,	   /* 20-63 */
	MEDIA_PKT_RTP,	   /* 128-191, payload type not 192-223 (RFC 5761 4) */
	MEDIA_PKT_RTCP,	   /* 128-191, payload type 192-223 */
	MEDIA_PKT_UNKNOWN, /* ZRTP 16-19, TURN channels 64-79, anything else */
};

enum media_pkt_kind media_demux(const uint8_t *buf, size_t len);

/* Writes n random ice-chars and a NUL (buf holds n + 1). -EIO if the
 * random source fails. */
int media_ice_random(char *buf, size_t n);

/*
 * The local ufrag a Binding request names (USERNAME is "local:remote",
 * RFC 8445 7.2.2), for the shared port: the engine looks the endpoint up
 * by it. NUL-terminated into buf (MEDIA_ICE_UFRAG_MAX + 1); -EINVAL when
 * buf is not a well-formed STUN Binding request with a USERNAME that has
 * a colon.
 */
int media_ice_request_ufrag(const uint8_t *pkt, size_t len, char *buf);

struct media_ice {
	char ufrag[MEDIA_ICE_UFRAG_MAX + 1]; /* ours */
	char pwd[MEDIA_ICE_PWD_MAX + 1];
	char old_ufrag[MEDIA_ICE_UFRAG_MAX + 1]; /* before a restart, "" if none */
	char old_pwd[MEDIA_ICE_PWD_MAX + 1];
	char remote_ufrag[MEDIA_ICE_UFRAG_MAX + 1]; /* "" until the offer says */
	bool selected;		/* a tuple is nominated */
	struct stun_addr tuple; /* the remote address of the selected tuple */
	uint64_t consent_ms;	/* last check that passed on the selected tuple */
	uint64_t requests, failures; /* counters for stats */
};

/* Local credentials (random) and the remote ufrag from the offer. */
int media_ice_init(struct media_ice *ice, const char *remote_ufrag);
/* ICE restart (RFC 8445 9): new local credentials and the new remote
 * ufrag; the old local ones answer until the new ones are used. */
int media_ice_restart(struct media_ice *ice, const char *remote_ufrag);

enum media_ice_result {
	MEDIA_ICE_IGNORED,   /* not a Binding request: nothing to send */
	MEDIA_ICE_ERROR,     /* *out holds an error response (400, 401, 487) */
	MEDIA_ICE_OK,	     /* *out holds the success response */
	MEDIA_ICE_SELECTED,  /* success, and from is now the selected tuple */
};

/*
 * One datagram that media_demux() called STUN, from the remote address
 * from, at now_ms. Writes the response to send back to from into out
 * (cap MEDIA_ICE_RESPONSE_MAX at least) and its length to *out_len.
 * Binding requests only, as mediasoup's IceServer does: FINGERPRINT and
 * PRIORITY required (400), USERNAME "<our ufrag>:<their ufrag>" and
 * MESSAGE-INTEGRITY under our password (401), ICE-CONTROLLED is a role
 * conflict (487: a lite agent is always controlled). The success carries
 * XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY and FINGERPRINT. USE-CANDIDATE
 * selects from (or moves the selection to it); any passing check on the
 * selected tuple refreshes consent.
 */
enum media_ice_result media_ice_input(struct media_ice *ice, const uint8_t *pkt, size_t len,
				      const struct stun_addr *from, uint64_t now_ms, uint8_t *out,
				      size_t cap, size_t *out_len);

/* True when a tuple was selected and its consent is older than
 * MEDIA_ICE_CONSENT_MS: the endpoint must stop sending to it. */
bool media_ice_consent_expired(const struct media_ice *ice, uint64_t now_ms);

#endif
