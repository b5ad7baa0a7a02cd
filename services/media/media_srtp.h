/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SRTP and SRTCP for one DTLS-SRTP association (RFC 5764), on libsrtp2:
 * the keys cv_dtls_srtp_keys() exports (certs/tls.h) make one inbound and
 * one outbound session. GnuTLS 3.7 negotiates AES128_CM_HMAC_SHA1_80 or
 * _32 (spec/media.md 0.3); both are handled.
 *
 * The media engine is the DTLS server, so it sends with the server's key
 * and salt and receives with the client's. Retransmissions (NACK answered
 * from the cache on the original SSRC, spec/media.md 0.4) re-protect an
 * index already used, which libsrtp refuses unless allow_repeat_tx is set:
 * it is, for the outbound session only. A replayed packet from the peer
 * (a NACK for a packet we had) is a duplicate, not an error: -EALREADY.
 *
 * Threads: a session belongs to one worker; srtp_init() runs once per
 * process (media_srtp_global_init).
 */
#ifndef MEDIA_SRTP_H
#define MEDIA_SRTP_H

#include <srtp2/srtp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certs/tls.h"

/* Bytes protect may add: the caller's buffer needs this much room past
 * the packet (SRTCP adds its 4-byte index too). */
#define MEDIA_SRTP_OVERHEAD (SRTP_MAX_TRAILER_LEN + 4)

struct media_srtp {
	srtp_t in, out;
	uint64_t duplicates;	/* replayed packets dropped */
	uint64_t auth_failures; /* packets whose tag did not match */
};

/* srtp_init(), once per process; -EIO if libsrtp will not start. */
int media_srtp_global_init(void);

/* Both sessions from the exported keys; server is our DTLS role.
 * -EINVAL for a profile or key length we do not know, -EIO when libsrtp
 * refuses. */
int media_srtp_init(struct media_srtp *s, const struct cv_srtp_keys *k, bool server);
void media_srtp_free(struct media_srtp *s);

/* In place: *len grows by the trailer; cap is the buffer's size. 0, or
 * -ENOSPC (no room), -EIO (libsrtp refused). */
int media_srtp_protect(struct media_srtp *s, uint8_t *buf, size_t *len, size_t cap, bool rtcp);
/* In place: *len shrinks to the plain packet. 0, -EALREADY for a
 * replayed packet, -EBADMSG for an authentication failure or a packet
 * that is not SRTP/SRTCP. */
int media_srtp_unprotect(struct media_srtp *s, uint8_t *buf, size_t *len, bool rtcp);

#endif
