// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * convene-turn: the TURN relay (RFC 8656) of a Convene appliance, started by
 * mmpd as `convene-turn --config <state>/run/turn.json`. The shape of every
 * main (STYLE.md): parse options, load and validate the config (--check
 * stops here), bind the listeners, drop privileges, start the workers,
 * report ready (READY on $CONVENE_READY_FD), run until SIGTERM or SIGINT.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include "lib/log.h"
#include "lib/parse.h"
#include "lib/service.h"
#include "services/turn/turn_config.h"
#include "services/turn/turn_io.h"

/* Enough descriptors for one relay socket per allocation (as root, before
 * the privileges go, the hard limit may be raised too); if the system
 * will not give them, the total quota shrinks to fit (508 beyond). */
static void raise_nofile(struct turn_config *cfg)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)cfg->total_quota + 4096;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want && geteuid() == 0)
		rl.rlim_max = want;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		/* No CAP_SYS_RESOURCE (a container): take what the hard limit gives. */
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur >= want)
			return;
		if (rl.rlim_cur > 2048) {
			if (cfg->total_quota > rl.rlim_cur - 1024)
				cfg->total_quota = (unsigned)(rl.rlim_cur - 1024);
			cv_info("descriptor limit %llu: at most %u allocations",
				(unsigned long long)rl.rlim_cur, cfg->total_quota);
			return;
		}
		cv_warn("cannot raise the descriptor limit to %llu: %s", (unsigned long long)want,
			strerror(errno));
	}
}

static int load(const char *path, void *cfg, char *err, size_t errlen)
{
	return turn_config_load(path, cfg, err, errlen);
}

static void unload(void *cfg)
{
	turn_config_free(cfg);
}

static void on_signal(uv_signal_t *h, int signum)
{
	if (signum == SIGHUP) {
		cv_info("SIGHUP: settings are applied with turn restart");
		return;
	}
	uv_stop(h->loop);
}

int main(int argc, char **argv)
{
	struct turn_config cfg;
	struct turn_shared shared;
	struct turn_server *srv = NULL;
	uv_signal_t sig[3];
	int sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	char err[512], a[64], pub[64];
	int r;

	if (!cv_service_begin(argc, argv, "turn", load, unload, &cfg, &r))
		return r;
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(&cfg);
	turn_shared_init(&shared);
	r = turn_server_bind(&cfg, &shared, &srv, err, sizeof(err));
	if (r < 0) {
		cv_err("%s", err);
		goto out;
	}
	r = cv_service_drop("turn");
	if (r < 0)
		goto out;
	r = turn_server_start(srv);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < cfg.n_listen; i++) {
		stun_ip_format(&cfg.listen[i], a, sizeof(a));
		if (cfg.tls_port)
			cv_info("listening on %s, UDP and TCP port %u, TLS port %u", a, cfg.port,
				cfg.tls_port);
		else
			cv_info("listening on %s, UDP and TCP port %u", a, cfg.port);
	}
	stun_ip_format(&cfg.relay4, a, sizeof(a));
	if (cfg.have_public)
		stun_ip_format(&cfg.public4, pub, sizeof(pub));
	cv_info("relay address %s%s%s, ports %u-%u, %u worker%s%s", a,
		cfg.have_public ? " advertised as " : "", cfg.have_public ? pub : "", cfg.port_lo,
		cfg.port_hi, cfg.workers, cfg.workers == 1 ? "" : "s",
		cfg.high_capacity ? " (high capacity mode)" : "");
	cv_service_ready();

	for (int i = 0; i < 3; i++) {
		uv_signal_init(uv_default_loop(), &sig[i]);
		uv_signal_start(&sig[i], on_signal, sigs[i]);
	}
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	cv_info("stopping");
	r = 0;
out:
	turn_server_stop(srv);
	turn_shared_free(&shared);
	turn_config_free(&cfg);
	return r < 0 ? 1 : 0;
}
