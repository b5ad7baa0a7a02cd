/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The call bridge's XMPP component link (issue 11 part 3): the I/O shell
 * around the sans-I/O parts (cb_xmpp_target.h, cb_xmpp_comp.h,
 * cb_xmpp_resp.h), on the call bridge's libuv loop.
 *
 *  - Settings: the /system/configuration/xmpp row, read at start and
 *    again after every change through the API (cb_api_on_xmpp_change):
 *    the link drops what it has and starts over with the new values, the
 *    process keeps running. No uniqueName, domain or sharedSecret: idle,
 *    reason notConfigured.
 *  - Discovery (spec/xmpp.md 1.5): serverAddressOverride "host[:port]"
 *    (port 5223 by default), else SRV _xmpp-component._tcp.<domain>
 *    through lib/resolver (RFC 2782 order, targets' A/AAAA looked up with
 *    it). No SRV record: reason dnsFailure, retried with back-off; there
 *    is no fallback to <domain>:5223 (README "XMPP": an operator who
 *    wants one server sets serverAddressOverride).
 *  - One server at a time (cb_xmpp_rotation): each address of a server in
 *    turn, then the next server; a round used up waits the back-off of
 *    cb_xmpp_backoff_ms and resolves again. A registered link that is
 *    lost waits the back-off and goes on with the next server in SRV
 *    order.
 *  - Each try: TCP connect (bounded), TLS client (certs/tls.h) with SNI
 *    the host name dialled, the chain verified against the trust bundle
 *    and the name against the SANs; then XEP-0114 with
 *    to='<uniqueName>.<domain>'; <handshake/> = registered.
 *  - Registered: stanzas from the server go to the responder; keep-alive
 *    from cb_xmpp_comp_tick() on a timer.
 *  - Status: pushed to the API (cb_api_set_xmpp_status) at every change,
 *    and log lines in words at every step.
 *
 * Threads: the loop's only. Password checks (yescrypt) run on the loop
 * thread: a login costs the loop a few tens of milliseconds.
 */
#ifndef CB_XMPP_LINK_H
#define CB_XMPP_LINK_H

#include <stdint.h>
#include <uv.h>

#include "certs/tls.h"
#include "lib/resolver.h"

struct cb_api;
struct cb_xmpp_link;

struct cb_xmpp_link_cfg {
	uv_loop_t *loop;
	struct cb_api *api;		 /* borrowed; outlives the link */
	struct cv_tls_creds *creds;	 /* the client side's; a reference is taken; NULL: */
	const char *creds_error;	 /* ...then every try fails with this tlsFailure */
	const struct cv_dns_config *dns; /* copied; NULL: the system resolver only */
	uint32_t backoff_base_ms, backoff_cap_ms; /* 0: 1 s, 60 s */
	uint32_t keepalive_ms;			  /* 0: 60 s */
	uint32_t connect_timeout_ms;		  /* 0: 10 s, also the TLS handshake's */
};

/* Starts the link: reads the settings and goes. Registers itself for the
 * API's change hook. -errno when the resolver cannot start. */
int cb_xmpp_link_new(const struct cb_xmpp_link_cfg *cfg, struct cb_xmpp_link **ret);
/* Reads the settings again and starts over (the API's hook calls this). */
void cb_xmpp_link_reload(struct cb_xmpp_link *l);
/* Ends the stream, closes everything; the memory goes with the handles'
 * close callbacks, so run the loop afterwards. NULL is fine. */
void cb_xmpp_link_free(struct cb_xmpp_link *l);

#endif
