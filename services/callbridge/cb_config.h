/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rendered config of convene-callbridge: the JSON mmpd writes to
 * <state>/run/callbridge.json (services/mmpd/mmpd_super.c, render_config):
 *
 *   "service": "callbridge", "config": {the callbridge section},
 *   "hosted": {"webadmin": {"enabled": B, "config": {interface, port, key, crt,
 *              bundle, http_redirect}}},
 *   "tls": {policies; tls.webadmin applies to the listener},
 *   "interfaces": {"a": {"address", "prefixlen", "kernel"}}, "hostname",
 *   "socket": mmpd's IPC socket, "data_dir": where callbridge.db lives,
 *   "upload_dir": where the key and certificate files are.
 *
 * Keys no MMP command sets, for tests and standalone runs (man/callbridge.8):
 * hosted.webadmin.session_idle (seconds a Web Admin session lives unused,
 * default 1800), hosted.webadmin.redirect_port (the plain HTTP port of
 * "webadmin http-redirect", default 80), hosted.webadmin.head_timeout and
 * body_timeout (seconds a client has for its request head and body,
 * defaults 10 and 30: lib/http.h); xmpp_link.backoff_base_ms,
 * backoff_cap_ms, keepalive_ms, connect_timeout_ms (the XMPP link's
 * timers, cb_xmpp_link.h; defaults 1000, 60000, 60000, 10000).
 *
 * The XMPP component link's TLS: the call bridge's own key and
 * certificate (config.key/crt, "callbridge certs") as the client
 * identity when set, and the "tls xmpp" policy: tls.xmpp.trust is the
 * bundle that verifies the XMPP server (the system's trust store when
 * unset), min_version and ciphers apply; verification is always on
 * (tls.xmpp.verify ocsp adds OCSP). The resolver: the "dns" object.
 *
 * Fails closed: a value of the wrong type, a listener interface without an
 * address, a port out of range or unreadable TLS settings is an error that
 * names the key.
 */
#ifndef CB_CONFIG_H
#define CB_CONFIG_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "certs/tls.h"
#include "lib/resolver.h"

#define CB_SESSION_IDLE_DEFAULT 1800

struct cb_config {
	char *hostname;	/* "" when none */
	char *socket;	/* mmpd's IPC socket */
	char *data_dir; /* the store's directory */
	bool webadmin;	/* hosted.webadmin.enabled: open the listener */
	char wa_iface;	/* 'a'..'d' */
	struct sockaddr_storage wa_addr; /* the interface's address and port */
	char wa_addr_text[64];
	uint16_t wa_port;
	bool http_redirect;
	uint16_t redirect_port;
	unsigned session_idle_s;
	unsigned head_timeout_s; /* deadlines of the listeners (lib/http.h) */
	unsigned body_timeout_s;
	struct cv_tls_config wa_tls;
	struct cv_tls_config xmpp_tls; /* the component link, client side */
	struct cv_dns_config *dns;     /* never NULL after a successful load */
	unsigned xmpp_backoff_base_ms, xmpp_backoff_cap_ms, xmpp_keepalive_ms,
		xmpp_connect_timeout_ms;
};

int cb_config_from_json(json_object *root, struct cb_config *cfg, char *err, size_t errlen);
int cb_config_load(const char *path, struct cb_config *cfg, char *err, size_t errlen);
void cb_config_free(struct cb_config *cfg);

#endif
