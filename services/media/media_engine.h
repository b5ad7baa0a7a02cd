/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The media engine's I/O: one UDP port shared by every endpoint (demuxed
 * by the ICE ufrag, then by the selected 5-tuple), the control socket the
 * call bridge drives, and the forwarding between the endpoints of a room.
 * One libuv loop, one thread. services/media/README.md describes the
 * control messages and what is not done yet.
 */
#ifndef MEDIA_ENGINE_H
#define MEDIA_ENGINE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define MEDIA_CTL_MSG_MAX 65536 /* one control message (an SDP offer fits) */
#define MEDIA_ENDPOINTS_MAX 1024
#define MEDIA_ROOM_MAX 128 /* characters in a room name */

struct media_engine_cfg {
	struct in_addr addr;	   /* the address the UDP port binds and candidates name */
	uint16_t port;		   /* the shared UDP port */
	char control[108];	   /* the control socket's path */
	uid_t control_uid;	   /* the peer allowed besides root (the call bridge) */
	char min_dtls[8];	   /* "tls min-dtls-version": "1.0" or "1.2" */
};

struct media_engine;

/* Binds the UDP port and the control socket (as root, before the drop).
 * -errno with the reason in err. */
int media_engine_bind(uv_loop_t *loop, const struct media_engine_cfg *cfg,
		      struct media_engine **ret, char *err, size_t errlen);
/* Makes the DTLS credentials and starts the timers. */
int media_engine_start(struct media_engine *e, char *err, size_t errlen);
void media_engine_stop(struct media_engine *e);
void media_engine_free(struct media_engine *e);

#endif
