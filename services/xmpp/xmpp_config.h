/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The xmpp program's settings, read from the config mmpd renders
 * (<state>/run/xmpp.json, services/mmpd/mmpd_super.c render_config):
 *
 *   config.domain          the XMPP domain ("xmpp domain")
 *   config.listen          interface letters ("xmpp listen a b"); their
 *                          IPv4 addresses come from interfaces.<if>.address
 *   config.key/crt/bundle  the certificate ("xmpp certs"), names in upload_dir
 *   config.callbridges     {"<name>": {"secret": "..."}} ("xmpp callbridge add")
 *   tls.xmpp               the "tls xmpp" policy (min version, ciphers)
 *   data_dir               the service's own directory (the status line)
 *
 * The ports are fixed as CMS has them (spec/xmpp.md 1.1): 5222 for clients
 * (STARTTLS required), 5223 for call bridges (XEP-0114 inside direct TLS),
 * and 5347 on 127.0.0.1 for XEP-0114 without TLS (a call bridge on the same
 * appliance, and the tests' components; loopback only, so nothing but a
 * local process reaches it, and it still needs a call bridge's secret).
 */
#ifndef XMPP_CONFIG_H
#define XMPP_CONFIG_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "certs/tls.h"

#define XMPP_C2S_PORT 5222
#define XMPP_COMP_PORT 5223
#define XMPP_COMP_PLAIN_PORT 5347
#define XMPP_LISTEN_MAX 4
#define XMPP_BRIDGES_MAX 64
#define XMPP_DOMAIN_MAX 253
#define XMPP_BRIDGE_NAME_MAX 63
#define XMPP_BRIDGE_SECRET_MAX 128

struct xmpp_bridge {
	char name[XMPP_BRIDGE_NAME_MAX + 1];	   /* the unique name, one DNS label */
	char jid[XMPP_BRIDGE_NAME_MAX + XMPP_DOMAIN_MAX + 2]; /* name.domain, lower case */
	char secret[XMPP_BRIDGE_SECRET_MAX + 1];
};

struct xmpp_config {
	char domain[XMPP_DOMAIN_MAX + 1]; /* lower case */
	struct in_addr listen[XMPP_LISTEN_MAX];
	size_t n_listen;
	uint16_t c2s_port, comp_port, plain_port; /* plain_port 0: none */
	struct xmpp_bridge bridges[XMPP_BRIDGES_MAX];
	size_t n_bridges;
	struct cv_tls_config tls;
	/* <state>/services/xmpp (mmpd makes it, ours alone), where the
	 * server keeps its status line for the MMP screen; "" without. */
	char data_dir[512];
};

/* Reads and checks the rendered config at path. -EINVAL (or the errno of
 * the read) with the reason in err. */
int xmpp_config_load(const char *path, struct xmpp_config *cfg, char *err, size_t errlen);

/* The bridge whose component name is name (the unique name alone or
 * name.domain, ASCII case-insensitive), or NULL. */
const struct xmpp_bridge *xmpp_config_bridge(const struct xmpp_config *cfg, const char *name);

#endif
