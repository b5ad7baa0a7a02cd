// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * convene-xmpp: the XMPP server of a Convene appliance, started by mmpd as
 * `convene-xmpp --config <state>/run/xmpp.json`. The shape of every main
 * (STYLE.md): parse options, load and validate the config (--check stops
 * here), bind the listeners, drop privileges, load the certificate, report
 * ready, run until SIGTERM or SIGINT, then end every stream with
 * system-shutdown.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <uv.h>

#include "lib/log.h"
#include "lib/service.h"
#include "services/xmpp/xmpp_config.h"
#include "services/xmpp/xmpp_server.h"

static struct xmpp_server *server;

static int load(const char *path, void *cfg, char *err, size_t errlen)
{
	return xmpp_config_load(path, cfg, err, errlen);
}

static void on_signal(uv_signal_t *h, int signum)
{
	if (signum == SIGHUP) {
		cv_info("SIGHUP: settings are applied with xmpp restart");
		return;
	}
	cv_info("stopping");
	xmpp_server_shutdown(server);
	for (int i = 0; i < 3; i++)
		uv_close((uv_handle_t *)&((uv_signal_t *)h->data)[i], NULL);
}

int main(int argc, char **argv)
{
	static struct xmpp_config cfg;
	uv_signal_t sig[3];
	int sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	char err[512], a[INET_ADDRSTRLEN];
	int r;

	if (!cv_service_begin(argc, argv, "xmpp", load, NULL, &cfg, &r))
		return r;
	signal(SIGPIPE, SIG_IGN);
	r = xmpp_server_bind(uv_default_loop(), &cfg, &server, err, sizeof(err));
	if (r < 0) {
		cv_err("%s", err);
		return 1;
	}
	if (cv_service_drop("xmpp") < 0 || xmpp_server_start(server) < 0) {
		xmpp_server_shutdown(server);
		uv_run(uv_default_loop(), UV_RUN_DEFAULT);
		xmpp_server_free(server);
		return 1;
	}
	for (size_t i = 0; i < cfg.n_listen; i++) {
		inet_ntop(AF_INET, &cfg.listen[i], a, sizeof(a));
		cv_info("listening on %s, client port %u (STARTTLS), call bridge port %u (TLS)", a,
			cfg.c2s_port, cfg.comp_port);
	}
	if (cfg.plain_port)
		cv_info("call bridge port %u without TLS on 127.0.0.1", cfg.plain_port);
	cv_info("domain %s, %zu call bridge%s configured", cfg.domain, cfg.n_bridges,
		cfg.n_bridges == 1 ? "" : "s");
	cv_service_ready();

	for (int i = 0; i < 3; i++) {
		uv_signal_init(uv_default_loop(), &sig[i]);
		sig[i].data = sig;
		uv_signal_start(&sig[i], on_signal, sigs[i]);
	}
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	xmpp_server_free(server);
	return 0;
}
