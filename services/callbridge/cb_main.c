// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * convene-callbridge: the call bridge of a Convene appliance, started by mmpd
 * as `convene-callbridge --config <state>/run/callbridge.json`. It serves the
 * "callbridge" and "webadmin" MMP services in one process, as CMS does: the
 * REST API and Web Admin share the HTTPS listener, which is opened only when
 * hosted.webadmin.enabled is true. The shape of every main (STYLE.md):
 * options, config (--check stops here), bind as root, drop privileges, open
 * the store, report ready, run until SIGTERM or SIGINT.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "lib/http.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/service.h"
#include "services/callbridge/cb_admin.h"
#include "services/callbridge/cb_api.h"
#include "services/callbridge/cb_auth.h"
#include "services/callbridge/cb_config.h"
#include "services/callbridge/cb_web.h"
#include "services/callbridge/cb_xmpp_link.h"

static void on_signal(uv_signal_t *h, int signum)
{
	if (signum == SIGHUP) {
		cv_info("SIGHUP: settings are applied with callbridge restart");
		return;
	}
	uv_stop(h->loop);
}

static void close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int main(int argc, char **argv)
{
	static struct cb_logring ring;
	const char *path = NULL;
	bool check;
	struct cb_config cfg;
	struct cv_http_config hc;
	struct cv_http_server *https = NULL, *redir = NULL;
	struct cb_api *api = NULL;
	struct cb_auth *auth = NULL;
	struct cb_web web;
	struct cb_auth_opts ao = { 0 };
	struct cb_xmpp_link_cfg xc = { 0 };
	struct cb_xmpp_link *xmpp = NULL;
	struct cv_tls_creds *xcreds = NULL;
	char xerr[512] = "";
	uv_loop_t *loop = uv_default_loop();
	uv_signal_t sig[3];
	int sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	char err[512];
	char *db = NULL;
	int r;

	cv_log_open("callbridge");
	if (cv_service_no_new_privs() < 0)
		return 1;
	if (!cv_service_args(argc, argv, "callbridge", &path, &check, &r))
		return r;
	umask(077);
	if (cb_config_load(path, &cfg, err, sizeof(err)) < 0) {
		cv_err("invalid configuration: %s", err);
		return 1;
	}
	if (check) {
		printf("configuration OK\n");
		cb_config_free(&cfg);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	/* The Event log page keeps this process's lines; they still go to
	 * stderr for mmpd. */
	cv_log_set_sink(cb_logring_sink, &ring);
	memset(&web, 0, sizeof(web));
	web.started = time(NULL);
	web.https_port = cfg.wa_port;
	snprintf(web.host, sizeof(web.host), "%s",
		 cfg.hostname[0] ? cfg.hostname : cfg.wa_addr_text);

	if (cfg.webadmin) {
		cv_http_config_init(&hc);
		hc.addr = cfg.wa_addr;
		hc.tls = &cfg.wa_tls;
		hc.head_timeout_s = cfg.head_timeout_s;
		hc.body_timeout_s = cfg.body_timeout_s;
		r = cv_http_bind(&hc, &cb_web_ops, &web, &https, err, sizeof(err));
		if (r < 0) {
			cv_err("Web Admin listener on %s port %u: %s", cfg.wa_addr_text, cfg.wa_port,
			       err);
			goto out;
		}
		if (cfg.http_redirect) {
			cv_http_config_init(&hc);
			hc.addr = cfg.wa_addr;
			hc.head_timeout_s = cfg.head_timeout_s;
			hc.body_timeout_s = cfg.body_timeout_s;
			if (hc.addr.ss_family == AF_INET6)
				((struct sockaddr_in6 *)&hc.addr)->sin6_port = htons(cfg.redirect_port);
			else
				((struct sockaddr_in *)&hc.addr)->sin_port = htons(cfg.redirect_port);
			r = cv_http_bind(&hc, &cb_web_redirect_ops, &web, &redir, err, sizeof(err));
			if (r < 0) {
				cv_err("Web Admin HTTP redirect on %s port %u: %s", cfg.wa_addr_text,
				       cfg.redirect_port, err);
				goto out;
			}
		}
	}
	/* The XMPP link's trust bundle and identity live in the upload
	 * directory, which only root reads: load them before dropping. A
	 * failure is the link's (tlsFailure on every try), not the
	 * process's: the API and Web Admin still serve. */
	if (cv_tls_creds_load(&cfg.xmpp_tls, &xcreds, xerr, sizeof(xerr)) < 0) {
		cv_warn("XMPP: cannot load the TLS settings: %s", xerr);
		xcreds = NULL;
	}
	r = cv_service_drop("callbridge");
	if (r < 0)
		goto out;

	db = xasprintf("%s/callbridge.db", cfg.data_dir);
	r = cb_api_open(db, cfg.hostname[0] ? cfg.hostname : "callbridge", &api, err,
			sizeof(err));
	if (r < 0) {
		cv_err("cannot open the database %s: %s", db, err);
		goto out;
	}
	ao.socket = cfg.socket;
	r = cb_auth_new(loop, &ao, &auth);
	if (r < 0) {
		cv_err("cannot start the login checks: %s", strerror(-r));
		goto out;
	}
	web.api = api;
	web.auth = auth;
	web.admin = cb_admin_new(cfg.session_idle_s, &ring);
	if (https) {
		r = cv_http_start(https, loop);
		if (r == 0 && redir)
			r = cv_http_start(redir, loop);
		if (r < 0) {
			cv_err("cannot start the Web Admin listener: %s", uv_strerror(r));
			goto out;
		}
		cv_info("Web Admin and API listening on %s port %u%s", cfg.wa_addr_text, cfg.wa_port,
			redir ? " (HTTP redirect on)" : "");
	} else {
		cv_info("Web Admin is not enabled: no HTTPS listener");
	}
	xc.loop = loop;
	xc.api = api;
	xc.creds = xcreds;
	xc.creds_error = xerr;
	xc.dns = cfg.dns;
	xc.backoff_base_ms = cfg.xmpp_backoff_base_ms;
	xc.backoff_cap_ms = cfg.xmpp_backoff_cap_ms;
	xc.keepalive_ms = cfg.xmpp_keepalive_ms;
	xc.connect_timeout_ms = cfg.xmpp_connect_timeout_ms;
	r = cb_xmpp_link_new(&xc, &xmpp);
	if (r < 0) {
		cv_err("cannot start the XMPP link: %s", strerror(-r));
		goto out;
	}
	cv_info("call bridge started");
	cv_service_ready();

	for (int i = 0; i < 3; i++) {
		uv_signal_init(loop, &sig[i]);
		uv_signal_start(&sig[i], on_signal, sigs[i]);
	}
	uv_run(loop, UV_RUN_DEFAULT);
	cv_info("stopping");
	r = 0;
out:
	cv_http_stop(https);
	cv_http_stop(redir);
	cb_auth_free(auth);
	cb_xmpp_link_free(xmpp);
	cv_tls_creds_unref(xcreds);
	/* Let the closes finish and the login calls in flight (bounded by
	 * their IPC timeout) come back before the store goes. */
	uv_walk(loop, close_walk, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	cb_admin_free(web.admin);
	if (api)
		cb_api_close(api);
	free(db);
	cb_config_free(&cfg);
	cv_log_set_sink(NULL, NULL);
	cb_logring_free(&ring);
	uv_loop_close(loop);
	return r < 0 ? 1 : 0;
}
