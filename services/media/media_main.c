// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * convene-media: the media engine of a Convene appliance, run as
 * `convene-media --config FILE`. The shape of every main (STYLE.md):
 * options, config (--check stops there), bind the UDP port and the
 * control socket, drop privileges, make the DTLS credentials, report
 * ready, run until SIGTERM or SIGINT.
 *
 * The config: what mmpd renders while the call bridge is enabled
 * (mmpd_super.c render_media),
 *   {"config": {"listen": ["a"], "port": 10000,
 *               "control": "<state>/services/media.sock",
 *               "control_user": "convene-callbridge"},
 *    "interfaces": {"a": {"address": "10.124.144.90", ...}}, ...}
 * or, run by hand, "address" instead of "listen". control_user is the
 * one user besides root allowed on the control socket (absent: root
 * only).
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "certs/tls.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/service.h"
#include "services/media/media_engine.h"

static struct media_engine *engine;
static uv_signal_t sigs[2];

static void on_signal(uv_signal_t *h, int signum)
{
	(void)h;
	(void)signum;
	cv_info("stopping");
	media_engine_stop(engine);
	for (int i = 0; i < 2; i++)
		uv_close((uv_handle_t *)&sigs[i], NULL);
}

static int load(const char *path, void *arg, char *err, size_t errlen)
{
	struct media_engine_cfg *cfg = arg;
	json_object *root = NULL, *c;
	const char *addr, *ctl, *user;
	int64_t port;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	r = cv_service_config(path, &root, &c, err, errlen);
	if (r < 0)
		return r;
	r = -EINVAL;
	/* Run by hand: an address. Under mmpd: the call bridge's listen
	 * interfaces, the first one's address (mmpd_super.c render_media). */
	addr = cv_conf_get_str(c, "address", NULL);
	if (!addr) {
		json_object *l = json_object_object_get(c, "listen");
		const char *ifn = l && json_object_is_type(l, json_type_array) &&
						  json_object_array_length(l) > 0
					  ? json_object_get_string(json_object_array_get_idx(l, 0))
					  : NULL;
		char key[64], ifc;

		if (!ifn || cv_parse_iface(ifn, &ifc) < 0) {
			cv_fail(err, errlen, "config.listen: no interface (callbridge listen)");
			goto out;
		}
		snprintf(key, sizeof(key), "interfaces.%c.address", ifc);
		addr = cv_conf_get_str(root, key, NULL);
		if (!addr) {
			cv_fail(err, errlen, "config.listen: interface %c has no address", ifc);
			goto out;
		}
	}
	if (cv_parse_ipv4(addr, &cfg->addr) < 0) {
		cv_fail(err, errlen, "config.address: \"%s\" is not an IPv4 address", addr);
		goto out;
	}
	port = cv_conf_get_int(c, "port", 0);
	if (port < 1024 || port > 65535) {
		cv_fail(err, errlen, "config.port: not a port from 1024 to 65535");
		goto out;
	}
	cfg->port = (uint16_t)port;
	ctl = cv_conf_get_str(c, "control", NULL);
	if (!ctl || ctl[0] != '/' || strlen(ctl) >= sizeof(cfg->control)) {
		cv_fail(err, errlen, "config.control: not an absolute path of at most %zu bytes",
			sizeof(cfg->control) - 1);
		goto out;
	}
	snprintf(cfg->control, sizeof(cfg->control), "%s", ctl);
	{
		/* "tls min-dtls-version" (spec/mmp.md: the minimum DTLS
		 * version for media), from the rendered "tls" section. */
		struct cv_tls_config tc;

		if (cv_tls_dtls_config_from_json(root, &tc, err, errlen) < 0)
			goto out;
		snprintf(cfg->min_dtls, sizeof(cfg->min_dtls), "%s", tc.min_version);
	}
	user = cv_conf_get_str(c, "control_user", NULL);
	if (user) {
		struct passwd *pw = getpwnam(user);

		if (!pw) {
			cv_fail(err, errlen, "config.control_user: no user %s", user);
			goto out;
		}
		cfg->control_uid = pw->pw_uid;
	}
	r = 0;
out:
	json_object_put(root);
	return r;
}

int main(int argc, char **argv)
{
	struct media_engine_cfg cfg;
	int signums[2] = { SIGTERM, SIGINT };
	char err[512], a[INET_ADDRSTRLEN];
	int r;

	if (!cv_service_begin(argc, argv, "media", load, NULL, &cfg, &r))
		return r;
	signal(SIGPIPE, SIG_IGN);
	if (media_engine_bind(uv_default_loop(), &cfg, &engine, err, sizeof(err)) < 0) {
		cv_err("%s", err);
		return 1;
	}
	if (cv_service_drop("media") < 0 || media_engine_start(engine, err, sizeof(err)) < 0) {
		cv_err("%s", err);
		media_engine_stop(engine);
		uv_run(uv_default_loop(), UV_RUN_DEFAULT);
		media_engine_free(engine);
		return 1;
	}
	inet_ntop(AF_INET, &cfg.addr, a, sizeof(a));
	cv_info("media on %s UDP port %u, control %s, DTLS %s and later", a, cfg.port, cfg.control,
		cfg.min_dtls[0] ? cfg.min_dtls : "1.2");
	cv_service_ready();
	for (int i = 0; i < 2; i++) {
		uv_signal_init(uv_default_loop(), &sigs[i]);
		uv_signal_start(&sigs[i], on_signal, signums[i]);
	}
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	media_engine_free(engine);
	return 0;
}
