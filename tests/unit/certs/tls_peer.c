// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tls_peer: our side of tests/integration/tls.sh, one TLS endpoint through
 * the layer (certs/tls.h) on 127.0.0.1, facing gnutls-serv or gnutls-cli.
 *
 *   tls_peer server --port P [options]   accepts one connection, prints
 *       "listening" once bound, then "handshake ok" or "handshake failed:
 *       <reason>"; prints each line it reads as "got: <line>" and answers
 *       it with "echo: <line>"; exits
 *       when the peer closes (0 after a handshake, 1 otherwise).
 *   tls_peer client --port P [--name N] [options]   connects, prints the
 *       handshake line, sends "hello from tls_peer\n", prints the first
 *       line it receives as "got: <line>" and closes (0 when it got one).
 *
 * Options: --key F --cert F [--bundle F] (identity), --trust F, --verify
 * (peer verification), --min 1.0|1.1|1.2|1.3, --ciphers S. Every run ends
 * within 20 s (exit 2 on the deadline).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/certs.h"
#include "certs/tls.h"
#include "lib/mem.h"
#include "lib/parse.h"

static uv_loop_t *loop;
static uv_tcp_t listener;
static uv_timer_t deadline;
static struct cv_tls_creds *creds;
static bool server, handshaked, got_line;
static const char *name;
static char line[1024];
static size_t nline;
static int rc = 1;

static void stop_all(void)
{
	if (!uv_is_closing((uv_handle_t *)&listener))
		uv_close((uv_handle_t *)&listener, NULL);
	if (!uv_is_closing((uv_handle_t *)&deadline))
		uv_close((uv_handle_t *)&deadline, NULL);
}

static void on_handshake(struct cv_tls_conn *c, int status, void *arg)
{
	if (status == 0) {
		handshaked = true;
		printf("handshake ok\n");
		if (!server)
			cv_tls_write(c, "hello from tls_peer\n", 20);
	} else {
		printf("handshake failed: %s\n", cv_tls_conn_error(c));
	}
	fflush(stdout);
}

static void on_read(struct cv_tls_conn *c, const uint8_t *buf, size_t len, void *arg)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n') {
			if (nline + 1 < sizeof(line))
				line[nline++] = (char)buf[i];
			continue;
		}
		line[nline] = '\0';
		if (server) {
			printf("got: %s\n", line);
			fflush(stdout);
			cv_tls_write(c, "echo: ", 6);
			cv_tls_write(c, line, nline);
			cv_tls_write(c, "\n", 1);
		} else if (!got_line) {
			got_line = true;
			printf("got: %s\n", line);
			fflush(stdout);
			cv_tls_close(c);
		}
		nline = 0;
	}
}

static void on_close(struct cv_tls_conn *c, int status, void *arg)
{
	if (!handshaked && !*cv_tls_conn_error(c))
		printf("handshake failed: connection closed\n");
	else if (handshaked && status < 0 && *cv_tls_conn_error(c))
		printf("closed: %s\n", cv_tls_conn_error(c));
	fflush(stdout);
	rc = server ? (handshaked ? 0 : 1) : (got_line ? 0 : 1);
	stop_all();
}

static const struct cv_tls_conn_ops ops = { on_handshake, on_read, on_close };

static void on_connection(uv_stream_t *l, int status)
{
	uv_tcp_t *tcp;
	struct cv_tls_conn *c;

	if (status < 0)
		return;
	tcp = xmalloc(sizeof(*tcp));
	uv_tcp_init(loop, tcp);
	if (uv_accept(l, (uv_stream_t *)tcp) < 0) {
		uv_close((uv_handle_t *)tcp, (uv_close_cb)free);
		return;
	}
	/* One connection per run. */
	uv_close((uv_handle_t *)&listener, NULL);
	if (cv_tls_conn_new(tcp, creds, true, NULL, &ops, NULL, &c) < 0) {
		printf("handshake failed: cannot start TLS\n");
		stop_all();
	}
}

static void on_connect(uv_connect_t *req, int status)
{
	uv_tcp_t *tcp = (uv_tcp_t *)req->handle;
	struct cv_tls_conn *c;

	free(req);
	if (status < 0) {
		printf("connect failed: %s\n", uv_strerror(status));
		uv_close((uv_handle_t *)tcp, (uv_close_cb)free);
		stop_all();
		return;
	}
	if (cv_tls_conn_new(tcp, creds, false, name, &ops, NULL, &c) < 0) {
		printf("handshake failed: cannot start TLS\n");
		stop_all();
	}
}

static void on_deadline(uv_timer_t *t)
{
	printf("deadline reached\n");
	fflush(stdout);
	rc = 2;
	uv_stop(loop);
}

static int usage(void)
{
	fprintf(stderr, "usage: tls_peer (server|client) --port P [--name N] [--key F --cert F "
			"[--bundle F]] [--trust F] [--verify] [--min V] [--ciphers S]\n");
	return 64;
}

static int copy_opt(char *dst, size_t len, const char *v)
{
	return (size_t)snprintf(dst, len, "%s", v) < len ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct cv_tls_config cfg;
	struct sockaddr_in addr;
	uint16_t port = 0;
	char err[256];

	if (argc < 2)
		return usage();
	server = strcmp(argv[1], "server") == 0;
	if (!server && strcmp(argv[1], "client") != 0)
		return usage();
	cv_tls_config_init(&cfg, false);
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int r = 0;

		if (strcmp(o, "--verify") == 0) {
			cfg.verify = CV_TLS_VERIFY_PEER;
			continue;
		}
		if (!v)
			return usage();
		i++;
		if (strcmp(o, "--port") == 0)
			r = cv_parse_port(v, &port);
		else if (strcmp(o, "--name") == 0)
			name = v;
		else if (strcmp(o, "--key") == 0)
			r = copy_opt(cfg.key_file, sizeof(cfg.key_file), v);
		else if (strcmp(o, "--cert") == 0)
			r = copy_opt(cfg.cert_file, sizeof(cfg.cert_file), v);
		else if (strcmp(o, "--bundle") == 0)
			r = copy_opt(cfg.bundle_file, sizeof(cfg.bundle_file), v);
		else if (strcmp(o, "--trust") == 0)
			r = copy_opt(cfg.trust_file, sizeof(cfg.trust_file), v);
		else if (strcmp(o, "--min") == 0)
			r = copy_opt(cfg.min_version, sizeof(cfg.min_version), v);
		else if (strcmp(o, "--ciphers") == 0)
			r = copy_opt(cfg.ciphers, sizeof(cfg.ciphers), v);
		else
			return usage();
		if (r < 0)
			return usage();
	}
	if (!port)
		return usage();
	cv_certs_init();
	if (cv_tls_creds_load(&cfg, &creds, err, sizeof(err)) < 0) {
		printf("credentials refused: %s\n", err);
		return 1;
	}
	loop = uv_default_loop();
	uv_timer_init(loop, &deadline);
	uv_timer_start(&deadline, on_deadline, 20000, 0);
	uv_tcp_init(loop, &listener);
	uv_ip4_addr("127.0.0.1", port, &addr);
	if (server) {
		int r = uv_tcp_bind(&listener, (struct sockaddr *)&addr, 0);

		if (r == 0)
			r = uv_listen((uv_stream_t *)&listener, 4, on_connection);
		if (r < 0) {
			printf("listen failed: %s\n", uv_strerror(r));
			return 1;
		}
		printf("listening\n");
		fflush(stdout);
	} else {
		uv_tcp_t *tcp = xmalloc(sizeof(*tcp));
		uv_connect_t *req = xmalloc(sizeof(*req));

		uv_close((uv_handle_t *)&listener, NULL);
		uv_tcp_init(loop, tcp);
		uv_tcp_connect(req, tcp, (struct sockaddr *)&addr, on_connect);
	}
	uv_run(loop, UV_RUN_DEFAULT);
	cv_tls_creds_unref(creds);
	return rc;
}
