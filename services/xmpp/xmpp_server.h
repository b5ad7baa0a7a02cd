/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The XMPP server's I/O and routing (issue 11 part 1 and 2): listeners,
 * connections, STARTTLS, SASL through the call bridge, resource binding,
 * presence, message and iq routing, XEP-0114 components. One libuv loop,
 * one thread; services/xmpp/README.md describes the behaviour and limits.
 */
#ifndef XMPP_SERVER_H
#define XMPP_SERVER_H

#include <stddef.h>
#include <uv.h>

#include "services/xmpp/xmpp_config.h"

struct xmpp_server;

/* Loads the certificate and binds every listener (as root, before
 * privileges go). The config is borrowed and must outlive the server.
 * -errno with the reason in err. */
int xmpp_server_bind(uv_loop_t *loop, const struct xmpp_config *cfg, struct xmpp_server **ret,
		     char *err, size_t errlen);
/* Starts the deadline sweep (after the privilege drop). */
int xmpp_server_start(struct xmpp_server *srv);
/* Ends every stream with system-shutdown and closes the listeners; the
 * loop then runs until the connections are gone. */
void xmpp_server_shutdown(struct xmpp_server *srv);
void xmpp_server_free(struct xmpp_server *srv);

#endif
