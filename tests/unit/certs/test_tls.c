// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the TLS layer (certs/tls.c) on one libuv loop over loopback
 * TCP (127.0.0.1, an ephemeral port): a server with a full chain and a
 * client checking its name, a wrong name, an untrusted chain, mutual TLS
 * with and without a trusted client certificate, minimum versions, a
 * handshake timeout, credentials reload, and a DTLS pair (in memory)
 * exporting the same DTLS-SRTP keys on both sides, with a fingerprint
 * mismatch and a lost datagram. Every loop run is bounded by a timer.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certs/certs.h"
#include "certs/tls.h"
#include "lib/mem.h"
#include "tests/unit/tap.h"

static char *fixdir;
static uv_loop_t *loop;

static void fixpath(char *buf, const char *name)
{
	if (!name || !*name) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, CV_TLS_PATH_MAX, "%s/%s", fixdir, name);
}

static struct cv_tls_creds *creds(const char *key, const char *crt, const char *trust,
				  enum cv_tls_verify verify, const char *min, const char *ciphers,
				  char *err)
{
	struct cv_tls_config cfg;
	struct cv_tls_creds *c = NULL;

	cv_tls_config_init(&cfg, false);
	fixpath(cfg.key_file, key);
	fixpath(cfg.cert_file, crt);
	fixpath(cfg.trust_file, trust);
	cfg.verify = verify;
	if (min)
		snprintf(cfg.min_version, sizeof(cfg.min_version), "%s", min);
	if (ciphers)
		snprintf(cfg.ciphers, sizeof(cfg.ciphers), "%s", ciphers);
	err[0] = '\0';
	if (cv_tls_creds_load(&cfg, &c, err, 256) < 0)
		return NULL;
	return c;
}

/* --- one side of a connection ------------------------------------------------------ */

struct side {
	const char *name;
	struct cv_tls_conn *conn;
	int hs; /* 1: not yet; 0 ok; <0 failed */
	char err[256];
	char got[256];
	size_t ngot;
	bool closed;
	int close_status;
	bool echo;
};

static void on_handshake(struct cv_tls_conn *c, int status, void *arg)
{
	struct side *s = arg;

	s->hs = status;
	snprintf(s->err, sizeof(s->err), "%s", cv_tls_conn_error(c));
	if (status == 0 && !s->echo)
		cv_tls_write(c, "ping\n", 5);
}

static void on_read(struct cv_tls_conn *c, const uint8_t *buf, size_t len, void *arg)
{
	struct side *s = arg;

	if (s->ngot + len < sizeof(s->got)) {
		memcpy(s->got + s->ngot, buf, len);
		s->ngot += len;
		s->got[s->ngot] = '\0';
	}
	if (s->echo) {
		cv_tls_write(c, "pong:", 5);
		cv_tls_write(c, buf, len);
	} else if (strchr(s->got, '\n') && strstr(s->got, "pong:")) {
		cv_tls_close(c);
	}
}

static void on_close(struct cv_tls_conn *c, int status, void *arg)
{
	struct side *s = arg;

	s->closed = true;
	s->close_status = status;
	if (!s->err[0])
		snprintf(s->err, sizeof(s->err), "%s", cv_tls_conn_error(c));
	s->conn = NULL;
}

static const struct cv_tls_conn_ops ops = { on_handshake, on_read, on_close };

struct pair {
	uv_tcp_t listener;
	uv_connect_t connect;
	uv_timer_t deadline;
	struct cv_tls_creds *screds, *ccreds;
	const char *server_name;
	struct side server, client;
	bool timed_out;
	int port;
	/* Reload: the listener drops its credentials right after handing
	 * them to the accepted connection (which keeps its own reference). */
	bool drop_screds;
};

static void on_connection(uv_stream_t *l, int status)
{
	struct pair *p = l->data;
	uv_tcp_t *tcp;

	if (status < 0)
		return;
	tcp = xmalloc(sizeof(*tcp));
	uv_tcp_init(loop, tcp);
	if (uv_accept(l, (uv_stream_t *)tcp) < 0 ||
	    cv_tls_conn_new(tcp, p->screds, true, NULL, &ops, &p->server, &p->server.conn) < 0)
		p->server.hs = -EPROTO;
	if (p->drop_screds) {
		cv_tls_creds_unref(p->screds);
		p->screds = NULL;
	}
	uv_close((uv_handle_t *)&p->listener, NULL);
}

static void on_connect(uv_connect_t *req, int status)
{
	struct pair *p = req->data;
	uv_tcp_t *tcp = (uv_tcp_t *)req->handle;

	if (status < 0 || cv_tls_conn_new(tcp, p->ccreds, false, p->server_name, &ops, &p->client,
					  &p->client.conn) < 0) {
		p->client.hs = -ECONNREFUSED;
		p->client.closed = true;
		if (status < 0)
			uv_close((uv_handle_t *)tcp, (uv_close_cb)free);
	}
}

static void on_deadline(uv_timer_t *t)
{
	struct pair *p = t->data;

	p->timed_out = true;
	uv_stop(loop);
}

static void on_check(uv_timer_t *t)
{
	struct pair *p = t->data;

	if (p->server.closed && p->client.closed)
		uv_stop(loop);
}

/* Runs one connection between screds and ccreds until both sides closed
 * (at most 15 s); the client sends "ping\n" after its handshake and the
 * server echoes it. */
static void run_pair(struct pair *p)
{
	struct sockaddr_in addr;
	struct sockaddr_storage bound;
	int blen = sizeof(bound);
	uv_timer_t check;
	uv_tcp_t *ctcp = xmalloc(sizeof(*ctcp));

	p->server.name = "server";
	p->client.name = "client";
	p->server.hs = p->client.hs = 1;
	p->server.echo = true;
	uv_tcp_init(loop, &p->listener);
	p->listener.data = p;
	uv_ip4_addr("127.0.0.1", 0, &addr);
	uv_tcp_bind(&p->listener, (struct sockaddr *)&addr, 0);
	uv_listen((uv_stream_t *)&p->listener, 4, on_connection);
	uv_tcp_getsockname(&p->listener, (struct sockaddr *)&bound, &blen);
	p->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
	uv_ip4_addr("127.0.0.1", p->port, &addr);
	uv_tcp_init(loop, ctcp);
	p->connect.data = p;
	uv_tcp_connect(&p->connect, ctcp, (struct sockaddr *)&addr, on_connect);
	uv_timer_init(loop, &p->deadline);
	p->deadline.data = p;
	uv_timer_start(&p->deadline, on_deadline, 15000, 0);
	uv_timer_init(loop, &check);
	check.data = p;
	uv_timer_start(&check, on_check, 10, 10);
	uv_run(loop, UV_RUN_DEFAULT);
	/* Close whatever is left and let the loop finish the callbacks. */
	if (p->server.conn)
		cv_tls_close(p->server.conn);
	if (p->client.conn)
		cv_tls_close(p->client.conn);
	if (!uv_is_closing((uv_handle_t *)&p->listener))
		uv_close((uv_handle_t *)&p->listener, NULL);
	uv_close((uv_handle_t *)&p->deadline, NULL);
	uv_close((uv_handle_t *)&check, NULL);
	for (int i = 0; i < 1000 && uv_run(loop, UV_RUN_NOWAIT); i++)
		usleep(1000);
}

static void test_server_chain_and_name(void)
{
	char err[256];
	struct pair p = { 0 };

	p.screds = creds("edge.key", "edge-fullchain.cer", NULL, CV_TLS_VERIFY_NONE, NULL, NULL,
			 err);
	ok(p.screds != NULL, "server credentials load (%s)", err);
	p.ccreds = creds(NULL, NULL, "root.cer", CV_TLS_VERIFY_PEER, NULL, NULL, err);
	ok(p.ccreds != NULL, "client credentials load (%s)", err);
	p.server_name = "join.cms.demo";
	run_pair(&p);
	ok(!p.timed_out, "the exchange ends before the deadline");
	is_int(p.client.hs, 0, "client handshake with the full chain and SAN join.cms.demo (%s)",
	       p.client.err);
	is_int(p.server.hs, 0, "server handshake");
	is_str(p.server.got, "ping\n", "the server got the client's data");
	is_str(p.client.got, "pong:ping\n", "the client got the echo");
	ok(p.client.closed && p.server.closed, "both sides closed");
	is_int(p.server.close_status, 0, "the server saw an orderly close (%s)", p.server.err);
	memset(&p.server, 0, sizeof(p.server));
	memset(&p.client, 0, sizeof(p.client));
	p.timed_out = false;
	p.server_name = "wrong.cms.demo";
	run_pair(&p);
	is_int(p.client.hs, -EACCES, "a wrong name fails the client handshake");
	is_str(p.client.err, "certificate failed verification: hostname mismatch",
	       "the client says why");
	ok(p.server.hs != 0, "the server's handshake fails too (%s)", p.server.err);
	memset(&p.server, 0, sizeof(p.server));
	memset(&p.client, 0, sizeof(p.client));
	p.server_name = "edge.cms.demo";
	cv_tls_creds_unref(p.ccreds);
	p.ccreds = creds(NULL, NULL, "other-root.cer", CV_TLS_VERIFY_PEER, NULL, NULL, err);
	run_pair(&p);
	is_int(p.client.hs, -EACCES, "another CA's bundle refuses the server");
	is_str(p.client.err,
	       "certificate failed verification: self-signed certificate in certificate chain",
	       "the client says why");
	memset(&p.server, 0, sizeof(p.server));
	memset(&p.client, 0, sizeof(p.client));
	cv_tls_creds_unref(p.ccreds);
	/* Without verification a client talks to anyone. */
	p.ccreds = creds(NULL, NULL, NULL, CV_TLS_VERIFY_NONE, NULL, NULL, err);
	run_pair(&p);
	is_int(p.client.hs, 0, "no verification: handshake");
	is_str(p.client.got, "pong:ping\n", "no verification: data");
	cv_tls_creds_unref(p.screds);
	cv_tls_creds_unref(p.ccreds);
}

static void test_mutual(void)
{
	char err[256];
	struct pair p = { 0 };

	p.screds = creds("edge.key", "edge-fullchain.cer", "root.cer", CV_TLS_VERIFY_PEER, NULL,
			 NULL, err);
	p.ccreds = creds("core.key", "core-fullchain.cer", "root.cer", CV_TLS_VERIFY_PEER, NULL,
			 NULL, err);
	ok(p.screds && p.ccreds, "mutual credentials load (%s)", err);
	p.server_name = "edge.cms.demo";
	run_pair(&p);
	is_int(p.server.hs, 0, "mutual TLS: the server accepts the trusted client (%s)",
	       p.server.err);
	is_str(p.client.got, "pong:ping\n", "mutual TLS: data flows");
	{
		/* The same client without a certificate. */
		struct cv_tls_creds *anon = creds(NULL, NULL, "root.cer", CV_TLS_VERIFY_PEER, NULL,
						  NULL, err);

		memset(&p.server, 0, sizeof(p.server));
		memset(&p.client, 0, sizeof(p.client));
		cv_tls_creds_unref(p.ccreds);
		p.ccreds = anon;
		run_pair(&p);
		ok(p.server.hs < 0, "a client without certificate is refused");
		is_str(p.server.err, "certificate failed verification: no certificate presented",
		       "the server says why");
		ok(p.client.ngot == 0, "the refused client got no data");
	}
	{
		/* A server that does not trust the client's CA. */
		struct cv_tls_creds *s2 = creds("edge.key", "edge-fullchain.cer", "other-root.cer",
						CV_TLS_VERIFY_PEER, NULL, NULL, err);

		memset(&p.server, 0, sizeof(p.server));
		memset(&p.client, 0, sizeof(p.client));
		cv_tls_creds_unref(p.ccreds);
		p.ccreds = creds("core.key", "core-fullchain.cer", "root.cer", CV_TLS_VERIFY_PEER,
				 NULL, NULL, err);
		cv_tls_creds_unref(p.screds);
		p.screds = s2;
		run_pair(&p);
		ok(p.server.hs == -EACCES, "a client of another CA is refused");
		is_str(p.server.err,
		       "certificate failed verification: self-signed certificate in certificate "
		       "chain",
		       "the server says why");
	}
	cv_tls_creds_unref(p.screds);
	cv_tls_creds_unref(p.ccreds);
}

static void test_versions(void)
{
	char err[256];
	struct pair p = { 0 };

	p.screds = creds("edge.key", "edge-fullchain.cer", NULL, CV_TLS_VERIFY_NONE, "1.3", NULL,
			 err);
	/* A client that stops at TLS 1.2. */
	p.ccreds = creds(NULL, NULL, NULL, CV_TLS_VERIFY_NONE, "1.2", "NORMAL:-VERS-TLS1.3", err);
	ok(p.screds && p.ccreds, "version credentials load (%s)", err);
	run_pair(&p);
	ok(p.server.hs < 0 && p.client.hs < 0, "a TLS 1.2 client is refused by a 1.3 minimum");
	diag("server: %s; client: %s", p.server.err, p.client.err);
	memset(&p.server, 0, sizeof(p.server));
	memset(&p.client, 0, sizeof(p.client));
	cv_tls_creds_unref(p.screds);
	p.screds = creds("edge.key", "edge-fullchain.cer", NULL, CV_TLS_VERIFY_NONE, "1.2", NULL,
			 err);
	run_pair(&p);
	ok(p.server.hs == 0 && p.client.hs == 0, "the same client passes a 1.2 minimum");
	if (p.client.hs == 0)
		is_str(p.client.got, "pong:ping\n", "TLS 1.2 data");
	cv_tls_creds_unref(p.screds);
	cv_tls_creds_unref(p.ccreds);
}

/* A service reloads its certificates by loading new credentials and
 * dropping its reference to the old ones; a connection accepted with the
 * old ones keeps them until it closes. */
static void test_reload(void)
{
	char err[256];
	struct pair p = { 0 };
	struct cv_tls_creds *next;

	p.screds = creds("edge.key", "edge-fullchain.cer", NULL, CV_TLS_VERIFY_NONE, NULL, NULL,
			 err);
	p.ccreds = creds(NULL, NULL, "root.cer", CV_TLS_VERIFY_PEER, NULL, NULL, err);
	next = creds("core.key", "core-fullchain.cer", NULL, CV_TLS_VERIFY_NONE, NULL, NULL, err);
	ok(p.screds && p.ccreds && next, "reload credentials load (%s)", err);
	p.server_name = "edge.cms.demo";
	p.drop_screds = true;
	run_pair(&p);
	ok(p.screds == NULL && p.client.hs == 0 && strcmp(p.client.got, "pong:ping\n") == 0,
	   "a connection outlives the reference its listener dropped");
	memset(&p.server, 0, sizeof(p.server));
	memset(&p.client, 0, sizeof(p.client));
	p.screds = next;
	p.drop_screds = false;
	run_pair(&p);
	is_int(p.client.hs, -EACCES, "new connections get the reloaded certificate");
	is_str(p.client.err, "certificate failed verification: hostname mismatch",
	       "(core.cms.demo's certificate, not edge.cms.demo's)");
	memset(&p.server, 0, sizeof(p.server));
	memset(&p.client, 0, sizeof(p.client));
	p.server_name = "core.cms.demo";
	run_pair(&p);
	is_int(p.client.hs, 0, "and they verify as core.cms.demo");
	cv_tls_creds_unref(p.screds);
	cv_tls_creds_unref(p.ccreds);
}

static void test_creds_errors(void)
{
	char err[256];
	struct cv_tls_creds *c;

	c = creds("other.key", "edge.cer", NULL, CV_TLS_VERIFY_NONE, NULL, NULL, err);
	ok(!c, "a mismatched pair does not load");
	is_str(err, "Key and certificate do not match", "and says why");
	c = creds("expired.key", "expired.cer", NULL, CV_TLS_VERIFY_NONE, NULL, NULL, err);
	ok(!c, "an expired certificate does not load");
	is_str(err, "certificate expired.cer has expired", "and says why");
	c = creds("edge-enc.key", "edge.cer", NULL, CV_TLS_VERIFY_NONE, NULL, NULL, err);
	is_str(err, "edge-enc.key is encrypted (use pki unlock edge-enc.key)", "encrypted key");
	c = creds("edge.key", "edge.cer", "garbage.txt", CV_TLS_VERIFY_PEER, NULL, NULL, err);
	is_str(err, "garbage.txt does not contain a certificate", "a bad trust file");
	c = creds("edge.key", "edge.cer", NULL, CV_TLS_VERIFY_NONE, "1.2", "HIGH", err);
	ok(!c && strstr(err, "unknown cipher suite"), "a bad cipher list: %s", err);
	c = creds("edge.key", NULL, NULL, CV_TLS_VERIFY_NONE, NULL, NULL, err);
	is_str(err, "no key and certificate configured", "a key without certificate");
	{
		/* From the config mmpd renders. */
		json_object *r = json_tokener_parse(
			"{\"config\":{\"https\":{\"key\":\"edge.key\",\"crt\":\"edge-fullchain.cer\"}},"
			"\"tls\":{\"webbridge3\":{\"min_version\":\"1.3\",\"verify\":\"enabled\","
			"\"trust\":\"root.cer\"}},\"upload_dir\":\"/u\"}");
		struct cv_tls_config cfg;

		ok(cv_tls_config_from_json(r, "https", "webbridge3", &cfg, err, sizeof(err)) == 0,
		   "config from the rendered JSON");
		is_str(cfg.key_file, "/u/edge.key", "key path");
		is_str(cfg.cert_file, "/u/edge-fullchain.cer", "certificate path");
		is_str(cfg.bundle_file, "", "no bundle");
		is_str(cfg.trust_file, "/u/root.cer", "trust path");
		is_str(cfg.min_version, "1.3", "minimum version");
		is_str(cfg.ciphers, "default", "ciphers");
		ok(cfg.verify == CV_TLS_VERIFY_PEER, "verification");
		json_object_put(r);
		r = json_tokener_parse("{\"tls\":{\"min_dtls_version\":\"1.0\"}}");
		ok(cv_tls_dtls_config_from_json(r, &cfg, err, sizeof(err)) == 0 && cfg.dtls &&
			   strcmp(cfg.min_version, "1.0") == 0,
		   "the media engine's DTLS minimum");
		json_object_put(r);
		r = json_tokener_parse("{\"config\":{\"key\":\"../etc/shadow\"},\"upload_dir\":\"/u\"}");
		ok(cv_tls_config_from_json(r, "", "turn", &cfg, err, sizeof(err)) == -EINVAL,
		   "a file name with a path is refused: %s", err);
		json_object_put(r);
	}
}

static void connected_quietly(uv_connect_t *req, int status)
{
}

/* A server whose handshake never starts: the timeout closes it. */
static void test_handshake_timeout(void)
{
	struct cv_tls_config cfg;
	struct pair p = { 0 };
	char err[256];

	cv_tls_config_init(&cfg, false);
	fixpath(cfg.key_file, "edge.key");
	fixpath(cfg.cert_file, "edge-fullchain.cer");
	cfg.handshake_timeout_ms = 200;
	ok(cv_tls_creds_load(&cfg, &p.screds, err, sizeof(err)) == 0, "short timeout creds");
	/* The client side is a TLS server too: nobody speaks first. */
	p.ccreds = cv_tls_creds_ref(p.screds);
	{
		/* run_pair makes the client a TLS client; emulate a silent
		 * peer with a server-mode "client". */
		struct sockaddr_in addr;
		uv_tcp_t *c = xmalloc(sizeof(*c));
		uv_connect_t req;
		uv_timer_t deadline;

		p.server.hs = 1;
		p.server.echo = true;
		uv_tcp_init(loop, &p.listener);
		p.listener.data = &p;
		uv_ip4_addr("127.0.0.1", 0, &addr);
		uv_tcp_bind(&p.listener, (struct sockaddr *)&addr, 0);
		uv_listen((uv_stream_t *)&p.listener, 4, on_connection);
		{
			struct sockaddr_storage b;
			int bl = sizeof(b);

			uv_tcp_getsockname(&p.listener, (struct sockaddr *)&b, &bl);
			uv_ip4_addr("127.0.0.1", ntohs(((struct sockaddr_in *)&b)->sin_port), &addr);
		}
		uv_tcp_init(loop, c);
		uv_tcp_connect(&req, c, (struct sockaddr *)&addr, connected_quietly);
		uv_timer_init(loop, &deadline);
		deadline.data = &p;
		uv_timer_start(&deadline, on_deadline, 5000, 0);
		for (int i = 0; i < 500 && !p.server.closed && !p.timed_out; i++)
			uv_run(loop, UV_RUN_ONCE);
		ok(p.server.hs == -ETIMEDOUT, "a silent peer times out the handshake");
		is_str(p.server.err, "TLS handshake timed out", "and the server says so");
		uv_close((uv_handle_t *)c, (uv_close_cb)free);
		uv_close((uv_handle_t *)&deadline, NULL);
		for (int i = 0; i < 100 && uv_run(loop, UV_RUN_NOWAIT); i++)
			usleep(1000);
	}
	cv_tls_creds_unref(p.screds);
	cv_tls_creds_unref(p.ccreds);
}

/* --- DTLS --------------------------------------------------------------------------- */

struct dgram {
	uint8_t buf[2048];
	size_t len;
};

struct dside {
	struct cv_dtls *d;
	struct dgram q[64]; /* datagrams on their way to this side */
	size_t nq;
	int hs;
	char got[64];
	unsigned drop; /* datagrams to lose on the way to this side */
};

static struct dside dsides[2];

static int dsend(void *arg, const uint8_t *buf, size_t len)
{
	struct dside *to = arg;

	if (to->drop) {
		to->drop--;
		return 0;
	}
	if (to->nq >= 64 || len > sizeof(to->q[0].buf))
		return -ENOBUFS;
	memcpy(to->q[to->nq].buf, buf, len);
	to->q[to->nq].len = len;
	to->nq++;
	return 0;
}

static void dhs(struct cv_dtls *d, int status, void *arg)
{
	struct dside *s = arg;

	s->hs = status;
}

static void ddata(struct cv_dtls *d, const uint8_t *buf, size_t len, void *arg)
{
	struct dside *s = arg;

	if (len < sizeof(s->got)) {
		memcpy(s->got, buf, len);
		s->got[len] = '\0';
	}
}

/* The send callback's arg is the receiving side; the callbacks' arg is the
 * side itself: two ops tables. */
static int send_to_server(void *arg, const uint8_t *b, size_t n)
{
	return dsend(&dsides[0], b, n);
}

static int send_to_client(void *arg, const uint8_t *b, size_t n)
{
	return dsend(&dsides[1], b, n);
}

static const struct cv_dtls_ops server_ops = { send_to_client, dhs, ddata };
static const struct cv_dtls_ops client_ops = { send_to_server, dhs, ddata };

/* Delivers queued datagrams until nothing moves (bounded), with
 * retransmission ticks of at most 3 s of real waiting in all. */
static void dpump(void)
{
	for (int round = 0; round < 200; round++) {
		bool moved = false;

		for (int i = 0; i < 2; i++) {
			struct dside *s = &dsides[i];

			while (s->nq) {
				struct dgram g = s->q[0];

				memmove(s->q, s->q + 1, (s->nq - 1) * sizeof(s->q[0]));
				s->nq--;
				cv_dtls_input(s->d, g.buf, g.len);
				moved = true;
			}
		}
		if (moved)
			continue;
		if (dsides[0].hs != 1 && dsides[1].hs != 1)
			return;
		/* Nothing in flight and a handshake still open: wait for the
		 * retransmission timer of whoever has one. */
		{
			int t0 = cv_dtls_timeout_ms(dsides[0].d), t1 = cv_dtls_timeout_ms(dsides[1].d);
			int t = t0 < 0 ? t1 : (t1 < 0 || t0 < t1 ? t0 : t1);

			if (t < 0 || round > 20)
				return;
			usleep((useconds_t)(t > 1500 ? 1500 : t) * 1000 + 1000);
			cv_dtls_tick(dsides[0].d);
			cv_dtls_tick(dsides[1].d);
		}
	}
}

static int dtls_pair(const char *sfp, const char *cfp, unsigned drop_to_server,
		     struct cv_tls_creds *sc, struct cv_tls_creds *cc)
{
	memset(dsides, 0, sizeof(dsides));
	dsides[0].hs = dsides[1].hs = 1;
	dsides[0].drop = drop_to_server;
	if (cv_dtls_new(sc, true, sfp, &server_ops, &dsides[0], &dsides[0].d) < 0 ||
	    cv_dtls_new(cc, false, cfp, &client_ops, &dsides[1], &dsides[1].d) < 0)
		return -1;
	cv_dtls_start(dsides[0].d);
	cv_dtls_start(dsides[1].d);
	dpump();
	return 0;
}

static void test_dtls(void)
{
	struct cv_tls_config cfg;
	struct cv_tls_creds *sc = NULL, *cc = NULL;
	char err[256], sfp[128], cfp[128], peer[128];
	struct cv_srtp_keys ks, kc;

	cv_tls_config_init(&cfg, true);
	ok(cv_tls_creds_ephemeral(&cfg, &sc, err, sizeof(err)) == 0 &&
		   cv_tls_creds_ephemeral(&cfg, &cc, err, sizeof(err)) == 0,
	   "ephemeral DTLS credentials (%s)", err);
	if (!sc || !cc)
		return;
	cv_tls_creds_fingerprint(sc, sfp, sizeof(sfp));
	cv_tls_creds_fingerprint(cc, cfp, sizeof(cfp));
	ok(strncmp(sfp, "sha-256 ", 8) == 0 && strlen(sfp) == 8 + 95, "fingerprint form: %s", sfp);
	/* Each side expects the other's fingerprint (from SDP). */
	ok(dtls_pair(cfp, sfp, 0, sc, cc) == 0, "DTLS pair created");
	is_int(dsides[0].hs, 0, "DTLS server handshake (%s)", cv_dtls_error(dsides[0].d));
	is_int(dsides[1].hs, 0, "DTLS client handshake (%s)", cv_dtls_error(dsides[1].d));
	ok(cv_dtls_srtp_keys(dsides[0].d, &ks) == 0 && cv_dtls_srtp_keys(dsides[1].d, &kc) == 0,
	   "both export SRTP keys");
	ok(ks.profile == CV_SRTP_AES128_CM_HMAC_SHA1_80 && ks.profile == kc.profile,
	   "the first offered profile (AES128_CM_HMAC_SHA1_80) is chosen");
	ok(ks.key_len == 16 && ks.salt_len == 14, "AES128_CM: 16-byte keys, 14-byte salts");
	ok(memcmp(ks.client_key, ks.server_key, 16) != 0, "each direction has its own key");
	ok(memcmp(&ks, &kc, sizeof(ks)) == 0, "both sides have the same keys");
	ok(cv_dtls_peer_fingerprint(dsides[0].d, peer, sizeof(peer)) == 0 &&
		   strcmp(peer, cfp) == 0,
	   "the server sees the client's fingerprint");
	ok(cv_dtls_write(dsides[1].d, "hello", 5) == 0, "client writes");
	dpump();
	is_str(dsides[0].got, "hello", "the server reads it");
	cv_dtls_free(dsides[0].d);
	cv_dtls_free(dsides[1].d);

	ok(dtls_pair(cfp, "sha-256 00:11", 0, sc, cc) == 0, "pair with a wrong fingerprint");
	is_int(dsides[1].hs, -EACCES, "the client refuses the server");
	is_str(cv_dtls_error(dsides[1].d), "certificate failed verification: fingerprint mismatch",
	       "and says why");
	cv_dtls_free(dsides[0].d);
	cv_dtls_free(dsides[1].d);

	ok(dtls_pair(cfp, sfp, 1, sc, cc) == 0, "pair losing the first ClientHello");
	ok(dsides[0].hs == 0 && dsides[1].hs == 0, "retransmission completes the handshake");
	cv_dtls_free(dsides[0].d);
	cv_dtls_free(dsides[1].d);
	cv_tls_creds_unref(sc);
	cv_tls_creds_unref(cc);
}

int main(void)
{
	const char *src = getenv("top_srcdir");

	fixdir = xasprintf("%s/tests/golden/fixtures/pki", src ? src : ".");
	cv_certs_init();
	loop = uv_default_loop();
	test_server_chain_and_name();
	test_mutual();
	test_versions();
	test_reload();
	test_creds_errors();
	test_handshake_timeout();
	test_dtls();
	uv_loop_close(loop);
	free(fixdir);
	return tap_done();
}
