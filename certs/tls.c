// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TLS layer (tls.h): credentials from a service's config, TLS
 * connections over libuv TCP handles and sans-I/O DTLS endpoints with
 * DTLS-SRTP key export.
 *
 * How a connection runs: GnuTLS never touches the socket. Its pull function
 * reads from a buffer that the uv read callback fills, and returns EAGAIN
 * when the buffer is empty; its push function copies each flight into a
 * uv_write request (so it never blocks and never returns EAGAIN). After each
 * read the handshake or the record loop runs until GnuTLS wants more input.
 * A closing connection sends close_notify, lets uv_shutdown flush what is
 * queued (at most CLOSE_GRACE_MS), then closes its handles; on_close runs
 * from the last handle's close callback, so a callback may close the
 * connection at any time without freeing memory under the caller.
 *
 * Certificate checks: the peer's chain is checked by GnuTLS against the
 * credentials' trust (current time), the name by cv_certs_host_match() and
 * the reasons come from cv_certs_status_reason(), so connections and the
 * shell's checks agree (certs/README.md).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/dtls.h>
#include <gnutls/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "certs/certs.h"
#include "certs/tls.h"
#include "lib/file.h"
#include "lib/conf.h"
#include "lib/mem.h"
#include "lib/parse.h"

#define HANDSHAKE_TIMEOUT_MS 10000u
#define CLOSE_GRACE_MS 5000u
/* Received bytes not yet decrypted; reading pauses above it. */
#define IN_CAP (256u << 10)
#define READ_CHUNK 16384u
#define DTLS_MTU 1200u

/* --- configuration -------------------------------------------------------------- */

void cv_tls_config_init(struct cv_tls_config *cfg, bool dtls)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->min_version, sizeof(cfg->min_version), "1.2");
	snprintf(cfg->ciphers, sizeof(cfg->ciphers), "default");
	cfg->verify = CV_TLS_VERIFY_NONE;
	cfg->dtls = dtls;
}

static int join_upload(json_object *rendered, const char *name, char *buf, size_t len,
		       char *err, size_t errlen)
{
	const char *dir = cv_conf_get_str(rendered, "upload_dir", NULL);

	if (!name || !*name) {
		buf[0] = '\0';
		return 0;
	}
	if (cv_parse_filename(name) < 0 || !dir ||
	    (size_t)snprintf(buf, len, "%s/%s", dir, name) >= len) {
		snprintf(err, errlen, "invalid file name \"%s\"", name);
		return -EINVAL;
	}
	return 0;
}

int cv_tls_config_from_json(json_object *rendered, const char *ident, const char *policy,
			    struct cv_tls_config *cfg, char *err, size_t errlen)
{
	static const char *const keys[] = { "key", "crt", "bundle" };
	char *const dst[] = { cfg->key_file, cfg->cert_file, cfg->bundle_file };
	const char *v;
	char path[128];

	cv_tls_config_init(cfg, false);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "config%s%s.%s", ident && *ident ? "." : "",
			 ident ? ident : "", keys[i]);
		if (join_upload(rendered, cv_conf_get_str(rendered, path, NULL), dst[i],
				CV_TLS_PATH_MAX, err, errlen) < 0)
			return -EINVAL;
	}
	snprintf(path, sizeof(path), "tls.%s.trust", policy);
	if (join_upload(rendered, cv_conf_get_str(rendered, path, NULL), cfg->trust_file,
			sizeof(cfg->trust_file), err, errlen) < 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "tls.%s.min_version", policy);
	v = cv_conf_get_str(rendered, path, "1.2");
	if (strcmp(v, "1.0") && strcmp(v, "1.1") && strcmp(v, "1.2") && strcmp(v, "1.3")) {
		snprintf(err, errlen, "invalid minimum TLS version \"%s\"", v);
		return -EINVAL;
	}
	snprintf(cfg->min_version, sizeof(cfg->min_version), "%s", v);
	snprintf(path, sizeof(path), "tls.%s.ciphers", policy);
	v = cv_conf_get_str(rendered, path, "default");
	if ((size_t)snprintf(cfg->ciphers, sizeof(cfg->ciphers), "%s", v) >= sizeof(cfg->ciphers)) {
		snprintf(err, errlen, "cipher list too long");
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "tls.%s.verify", policy);
	v = cv_conf_get_str(rendered, path, "disabled");
	cfg->verify = strcmp(v, "ocsp") == 0	  ? CV_TLS_VERIFY_OCSP
		      : strcmp(v, "enabled") == 0 ? CV_TLS_VERIFY_PEER
						  : CV_TLS_VERIFY_NONE;
	return 0;
}

int cv_tls_dtls_config_from_json(json_object *rendered, struct cv_tls_config *cfg, char *err,
				 size_t errlen)
{
	const char *v = cv_conf_get_str(rendered, "tls.min_dtls_version", "1.2");

	cv_tls_config_init(cfg, true);
	if (strcmp(v, "1.0") && strcmp(v, "1.2")) {
		snprintf(err, errlen, "invalid minimum DTLS version \"%s\"", v);
		return -EINVAL;
	}
	snprintf(cfg->min_version, sizeof(cfg->min_version), "%s", v);
	return 0;
}

/* --- priority strings ------------------------------------------------------------- */

static bool gnutls_keyword_first(const char *s)
{
	static const char *const kw[] = { "NORMAL",    "SECURE128", "SECURE192", "SECURE256",
					  "PFS",       "PERFORMANCE", "LEGACY",  "SUITEB128",
					  "SUITEB192", "NONE",      NULL };
	size_t n = strcspn(s, ":");

	if (s[0] == '@')
		return true;
	for (const char *const *k = kw; *k; k++)
		if (strlen(*k) == n && strncmp(s, *k, n) == 0)
			return true;
	return false;
}

/* OpenSSL suite names -> GnuTLS keywords. A GnuTLS priority string names
 * key exchanges, ciphers and MACs, not single suites, so a translated list
 * allows every combination of the parts it names. */
static const struct {
	const char *name; /* OpenSSL name without the key exchange prefix */
	const char *cipher, *mac;
} ossl_ciphers[] = {
	{ "AES128-GCM-SHA256", "AES-128-GCM", "AEAD" },
	{ "AES256-GCM-SHA384", "AES-256-GCM", "AEAD" },
	{ "CHACHA20-POLY1305", "CHACHA20-POLY1305", "AEAD" },
	{ "AES128-CCM", "AES-128-CCM", "AEAD" },
	{ "AES256-CCM", "AES-256-CCM", "AEAD" },
	{ "AES128-SHA256", "AES-128-CBC", "SHA256" },
	{ "AES256-SHA384", "AES-256-CBC", "SHA384" },
	{ "AES128-SHA", "AES-128-CBC", "SHA1" },
	{ "AES256-SHA", "AES-256-CBC", "SHA1" },
	{ "DES-CBC3-SHA", "3DES-CBC", "SHA1" },
	/* TLS 1.3 (RFC 8446 B.4 names as OpenSSL spells them) */
	{ "TLS_AES_128_GCM_SHA256", "AES-128-GCM", "AEAD" },
	{ "TLS_AES_256_GCM_SHA384", "AES-256-GCM", "AEAD" },
	{ "TLS_CHACHA20_POLY1305_SHA256", "CHACHA20-POLY1305", "AEAD" },
	{ "TLS_AES_128_CCM_SHA256", "AES-128-CCM", "AEAD" },
};

static const struct {
	const char *prefix, *kx;
} ossl_kx[] = {
	{ "ECDHE-RSA-", "ECDHE-RSA" }, { "ECDHE-ECDSA-", "ECDHE-ECDSA" },
	{ "DHE-RSA-", "DHE-RSA" },     { "", "RSA" },
};

static void add_token(struct strbuf *sb, const char *tok)
{
	char t[48];
	const char *p = sb_str(sb);
	size_t n;

	snprintf(t, sizeof(t), ":+%s", tok);
	n = strlen(t);
	/* Once each: ":+X" followed by ':' or the end. */
	for (const char *f = strstr(p, t); f; f = strstr(f + 1, t))
		if (f[n] == ':' || f[n] == '\0')
			return;
	sb_puts(sb, t);
}

static int translate_openssl(const char *list, struct strbuf *out, char *err, size_t errlen)
{
	struct strbuf kx = STRBUF_INIT, ci = STRBUF_INIT, mac = STRBUF_INIT;
	const char *p = list;
	int r = 0, n = 0;

	while (*p && r == 0) {
		size_t len = strcspn(p, ":, ");
		char name[96];
		bool found = false;

		if (len == 0) {
			p++;
			continue;
		}
		if (len >= sizeof(name)) {
			snprintf(err, errlen, "unknown cipher suite \"%.*s...\"", 40, p);
			r = -EINVAL;
			break;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		for (size_t k = 0; k < sizeof(ossl_kx) / sizeof(ossl_kx[0]) && !found; k++) {
			size_t pl = strlen(ossl_kx[k].prefix);
			bool tls13 = strncmp(name, "TLS_", 4) == 0;

			if (strncmp(name, ossl_kx[k].prefix, pl) != 0)
				continue;
			for (size_t c = 0; c < sizeof(ossl_ciphers) / sizeof(ossl_ciphers[0]); c++) {
				if (strcmp(name + pl, ossl_ciphers[c].name) != 0)
					continue;
				/* TLS 1.3 suites carry no key exchange. */
				if (!tls13)
					add_token(&kx, ossl_kx[k].kx);
				add_token(&ci, ossl_ciphers[c].cipher);
				add_token(&mac, ossl_ciphers[c].mac);
				found = true;
				n++;
				break;
			}
		}
		if (!found) {
			snprintf(err, errlen,
				 "unknown cipher suite \"%s\" (use OpenSSL suite names or a GnuTLS "
				 "priority string)",
				 name);
			r = -EINVAL;
		}
	}
	if (r == 0 && n == 0) {
		snprintf(err, errlen, "empty cipher list");
		r = -EINVAL;
	}
	if (r == 0)
		sb_printf(out, "NORMAL:-CIPHER-ALL:-MAC-ALL:-KX-ALL%s%s%s", sb_str(&kx), sb_str(&ci),
			  sb_str(&mac));
	sb_free(&kx);
	sb_free(&ci);
	sb_free(&mac);
	return r;
}

int cv_tls_priority(const char *ciphers, const char *min_version, bool dtls, char *buf,
		    size_t len, char *err, size_t errlen)
{
	struct strbuf sb = STRBUF_INIT;
	const char *mv = min_version && *min_version ? min_version : "1.2";
	gnutls_priority_t prio;
	const char *errpos = NULL;
	int r = 0;

	cv_certs_init();
	if (!ciphers || !*ciphers || strcmp(ciphers, "default") == 0)
		sb_puts(&sb, "NORMAL");
	else if (gnutls_keyword_first(ciphers))
		sb_puts(&sb, ciphers);
	else if (translate_openssl(ciphers, &sb, err, errlen) < 0)
		r = -EINVAL;
	/* Only the versions below the minimum are removed (and the minimum and
	 * what lies above it up to 1.2 added), so a priority string that
	 * itself stops below TLS 1.3 keeps doing so. */
	if (r == 0 && dtls) {
		if (strcmp(mv, "1.0") == 0)
			sb_puts(&sb, ":+VERS-DTLS1.2:+VERS-DTLS1.0");
		else if (strcmp(mv, "1.2") == 0)
			sb_puts(&sb, ":+VERS-DTLS1.2:-VERS-DTLS1.0");
		else
			r = -EINVAL;
	} else if (r == 0) {
		if (strcmp(mv, "1.0") == 0)
			sb_puts(&sb, ":+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0");
		else if (strcmp(mv, "1.1") == 0)
			sb_puts(&sb, ":+VERS-TLS1.2:+VERS-TLS1.1:-VERS-TLS1.0");
		else if (strcmp(mv, "1.2") == 0)
			sb_puts(&sb, ":+VERS-TLS1.2:-VERS-TLS1.1:-VERS-TLS1.0");
		else if (strcmp(mv, "1.3") == 0)
			sb_puts(&sb, ":+VERS-TLS1.3:-VERS-TLS1.2:-VERS-TLS1.1:-VERS-TLS1.0");
		else
			r = -EINVAL;
	}
	if (r < 0 && !*err)
		snprintf(err, errlen, "invalid minimum %s version \"%s\"", dtls ? "DTLS" : "TLS", mv);
	if (r == 0) {
		sb_puts(&sb, ":%SERVER_PRECEDENCE");
		if (gnutls_priority_init(&prio, sb_str(&sb), &errpos) < 0) {
			/* The element GnuTLS stopped at, not what follows it. */
			const char *at = errpos ? errpos : sb_str(&sb);

			snprintf(err, errlen, "GnuTLS does not accept \"%.*s\"",
				 (int)(strcspn(at, ":") > 60 ? 60 : strcspn(at, ":")), at);
			r = -EINVAL;
		} else {
			gnutls_priority_deinit(prio);
			if ((size_t)snprintf(buf, len, "%s", sb_str(&sb)) >= len) {
				snprintf(err, errlen, "priority string too long");
				r = -EINVAL;
			}
		}
	}
	sb_free(&sb);
	return r;
}

/* --- credentials ------------------------------------------------------------------ */

struct cv_tls_creds {
	unsigned refs;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	enum cv_tls_verify verify;
	bool dtls;
	bool identity;
	unsigned handshake_timeout_ms;
	char fingerprint[128];
};

struct first_failure {
	char *err;
	size_t errlen;
	bool set;
};

static void keep_first_failure(void *arg, bool ok, const char *line)
{
	struct first_failure *f = arg;

	if (ok || f->set)
		return;
	if (strncmp(line, "FAILURE: ", 9) == 0)
		line += 9;
	snprintf(f->err, f->errlen, "%s", line);
	f->set = true;
}

/* "sha-256 AB:CD:..." of crt (RFC 8122 5). */
static int fingerprint_of(gnutls_x509_crt_t crt, char *buf, size_t len)
{
	unsigned char d[32];
	size_t n = sizeof(d), off;

	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, d, &n) < 0 || n != 32 ||
	    len < 8 + 3 * 32)
		return -EINVAL;
	off = (size_t)snprintf(buf, len, "sha-256 ");
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%02X", i ? ":" : "", d[i]);
	return 0;
}

static struct cv_tls_creds *creds_new(const struct cv_tls_config *cfg, char *err, size_t errlen)
{
	struct cv_tls_creds *c = xcalloc(1, sizeof(*c));
	char prio[CV_TLS_CIPHERS_MAX + 128];

	cv_certs_init();
	c->refs = 1;
	c->verify = cfg->verify;
	c->dtls = cfg->dtls;
	c->handshake_timeout_ms = cfg->handshake_timeout_ms ? cfg->handshake_timeout_ms
							    : HANDSHAKE_TIMEOUT_MS;
	if (cv_tls_priority(cfg->ciphers, cfg->min_version, cfg->dtls, prio, sizeof(prio), err,
			    errlen) < 0 ||
	    gnutls_priority_init(&c->prio, prio, NULL) < 0) {
		free(c);
		return NULL;
	}
	if (gnutls_certificate_allocate_credentials(&c->cred) < 0) {
		gnutls_priority_deinit(c->prio);
		free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return c;
}

static int creds_set_trust(struct cv_tls_creds *c, const struct cv_tls_config *cfg, char *err,
			   size_t errlen)
{
	if (cfg->trust_file[0]) {
		struct first_failure f = { err, errlen, false };
		struct cv_certs_list l = { NULL, 0 };
		char *data = NULL;
		size_t len = 0;
		int r;

		if (cv_certs_check_trust(NULL, cfg->trust_file, keep_first_failure, &f) < 0)
			return -EINVAL;
		if (cv_file_read(cfg->trust_file, CV_CERTS_FILE_MAX, &data, &len) < 0 ||
		    cv_certs_list_load(data, len, &l) < 0) {
			free(data);
			snprintf(err, errlen, "Unable to read file %s", cfg->trust_file);
			return -EINVAL;
		}
		free(data);
		r = gnutls_certificate_set_x509_trust(c->cred, l.crt, (int)l.n);
		cv_certs_list_free(&l);
		if (r < 0) {
			snprintf(err, errlen, "GnuTLS refuses the trust bundle: %s",
				 gnutls_strerror(r));
			return -EINVAL;
		}
	} else if (cfg->verify != CV_TLS_VERIFY_NONE) {
		/* Verification without a bundle of our own: the system store. */
		gnutls_certificate_set_x509_system_trust(c->cred);
	}
	return 0;
}

int cv_tls_creds_load(const struct cv_tls_config *cfg, struct cv_tls_creds **ret, char *err,
		      size_t errlen)
{
	struct cv_tls_creds *c;

	err[0] = '\0';
	c = creds_new(cfg, err, errlen);
	if (!c)
		return -EINVAL;
	if (cfg->key_file[0] || cfg->cert_file[0]) {
		struct first_failure f = { err, errlen, false };
		struct cv_certs_list chain = { NULL, 0 };
		gnutls_x509_privkey_t key = NULL;
		int r;

		if (!cfg->key_file[0] || !cfg->cert_file[0]) {
			snprintf(err, errlen, "no key and certificate configured");
			goto fail;
		}
		if (cv_certs_check_identity(NULL, cfg->key_file, cfg->cert_file,
					    cfg->bundle_file[0] ? cfg->bundle_file : NULL,
					    time(NULL), keep_first_failure, &f, &key, &chain) < 0)
			goto fail;
		if (cfg->bundle_file[0]) {
			struct cv_certs_list b = { NULL, 0 };
			char *data = NULL;
			size_t len = 0;

			/* The bundle's certificates follow the file's own in
			 * what we send (the peer may lack the intermediates). */
			if (cv_file_read(cfg->bundle_file, CV_CERTS_FILE_MAX, &data, &len) == 0 &&
			    cv_certs_list_load(data, len, &b) == 0)
				cv_certs_list_append(&chain, &b);
			cv_certs_list_free(&b);
			free(data);
		}
		fingerprint_of(chain.crt[0], c->fingerprint, sizeof(c->fingerprint));
		r = gnutls_certificate_set_x509_key(c->cred, chain.crt, (int)chain.n, key);
		gnutls_x509_privkey_deinit(key);
		cv_certs_list_free(&chain);
		if (r < 0) {
			snprintf(err, errlen, "GnuTLS refuses the key and certificate: %s",
				 gnutls_strerror(r));
			goto fail;
		}
		c->identity = true;
	}
	if (creds_set_trust(c, cfg, err, errlen) < 0)
		goto fail;
	*ret = c;
	return 0;
fail:
	cv_tls_creds_unref(c);
	return -EINVAL;
}

int cv_tls_creds_ephemeral(const struct cv_tls_config *cfg, struct cv_tls_creds **ret,
			   char *err, size_t errlen)
{
	struct cv_certs_subject subj = { .cn = "convene" };
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	struct cv_tls_creds *c;
	int r;

	err[0] = '\0';
	c = creds_new(cfg, err, errlen);
	if (!c)
		return -EINVAL;
	if (cv_certs_key_generate(CV_CERTS_ECDSA_P256, &key) < 0 ||
	    cv_certs_selfsigned_generate(key, &subj, time(NULL), 30, &crt) < 0) {
		snprintf(err, errlen, "cannot generate a key and certificate");
		goto fail;
	}
	fingerprint_of(crt, c->fingerprint, sizeof(c->fingerprint));
	r = gnutls_certificate_set_x509_key(c->cred, &crt, 1, key);
	if (r < 0) {
		snprintf(err, errlen, "GnuTLS refuses the key and certificate: %s",
			 gnutls_strerror(r));
		goto fail;
	}
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	c->identity = true;
	if (creds_set_trust(c, cfg, err, errlen) < 0) {
		cv_tls_creds_unref(c);
		return -EINVAL;
	}
	*ret = c;
	return 0;
fail:
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	cv_tls_creds_unref(c);
	return -EINVAL;
}

struct cv_tls_creds *cv_tls_creds_ref(struct cv_tls_creds *c)
{
	c->refs++;
	return c;
}

void cv_tls_creds_unref(struct cv_tls_creds *c)
{
	if (!c || --c->refs > 0)
		return;
	gnutls_certificate_free_credentials(c->cred);
	gnutls_priority_deinit(c->prio);
	free(c);
}

int cv_tls_creds_fingerprint(const struct cv_tls_creds *c, char *buf, size_t len)
{
	if (!c->fingerprint[0])
		return -ENOENT;
	snprintf(buf, len, "%s", c->fingerprint);
	return 0;
}

/* --- what TLS and DTLS sessions share ------------------------------------------- */

/* The session pointer of both kinds points at this (first member). */
struct peer_check {
	struct cv_tls_creds *creds;
	bool server;
	char *server_name;		/* client: the name to check; may be NULL */
	char expected_fp[128];		/* DTLS: "sha-256 AB:..."; "" for none */
	bool verify_failed;		/* err is a certificate verification failure */
	char err[256];
};

static void __attribute__((format(printf, 2, 3))) set_err(struct peer_check *pc, const char *fmt,
							   ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pc->err, sizeof(pc->err), fmt, ap);
	va_end(ap);
}

/* GnuTLS calls this when the peer's Certificate message arrived; non-zero
 * aborts the handshake with an alert. */
static int verify_peer(gnutls_session_t s)
{
	struct peer_check *pc = gnutls_session_get_ptr(s);
	const gnutls_datum_t *peers;
	unsigned npeers = 0, status = 0;
	gnutls_x509_crt_t leaf = NULL;
	bool want = pc->creds->verify != CV_TLS_VERIFY_NONE;
	int r = -1;

	if (!want && !pc->expected_fp[0])
		return 0;
	peers = gnutls_certificate_get_peers(s, &npeers);
	if (!peers || npeers == 0) {
		set_err(pc, "certificate failed verification: no certificate presented");
		pc->verify_failed = true;
		return -1;
	}
	gnutls_x509_crt_init(&leaf);
	if (gnutls_x509_crt_import(leaf, &peers[0], GNUTLS_X509_FMT_DER) < 0) {
		set_err(pc, "certificate failed verification: malformed certificate");
		goto out;
	}
	if (pc->expected_fp[0]) {
		char fp[128];

		if (fingerprint_of(leaf, fp, sizeof(fp)) < 0 ||
		    strcasecmp(fp, pc->expected_fp) != 0) {
			set_err(pc, "certificate failed verification: fingerprint mismatch");
			goto out;
		}
	}
	if (want) {
		if (gnutls_certificate_verify_peers2(s, &status) < 0)
			status = GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND;
		if (status) {
			gnutls_x509_crt_t top = NULL;
			bool top_ss = false;

			gnutls_x509_crt_init(&top);
			if (gnutls_x509_crt_import(top, &peers[npeers - 1], GNUTLS_X509_FMT_DER) ==
			    0)
				top_ss = gnutls_x509_crt_check_issuer(top, top) != 0;
			gnutls_x509_crt_deinit(top);
			set_err(pc, "certificate failed verification: %s",
				cv_certs_status_reason(status, top_ss, npeers));
			goto out;
		}
		if (!pc->server && pc->server_name && !cv_certs_host_match(leaf, pc->server_name)) {
			set_err(pc, "certificate failed verification: hostname mismatch");
			goto out;
		}
		if (!pc->server && pc->creds->verify == CV_TLS_VERIFY_OCSP &&
		    !gnutls_ocsp_status_request_is_checked(s, 0)) {
			set_err(pc, "certificate failed verification: no OCSP status");
			goto out;
		}
	}
	r = 0;
out:
	gnutls_x509_crt_deinit(leaf);
	pc->verify_failed = r != 0;
	return r;
}

static int session_setup(gnutls_session_t s, struct peer_check *pc, char *err, size_t errlen)
{
	int r;

	gnutls_session_set_ptr(s, pc);
	if ((r = gnutls_priority_set(s, pc->creds->prio)) < 0 ||
	    (r = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, pc->creds->cred)) < 0) {
		snprintf(err, errlen, "%s", gnutls_strerror(r));
		return -EINVAL;
	}
	gnutls_session_set_verify_function(s, verify_peer);
	if (pc->server) {
		if (!pc->creds->identity) {
			snprintf(err, errlen, "no key and certificate configured");
			return -EINVAL;
		}
		if (pc->creds->verify != CV_TLS_VERIFY_NONE || pc->expected_fp[0]) {
			gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
			/* No list of acceptable CAs in the request: a client then
			 * sends its certificate whoever issued it, and the log
			 * says why it was refused rather than "no certificate". */
			gnutls_certificate_send_x509_rdn_sequence(s, 1);
		}
	} else {
		unsigned char ip[16];

		/* RFC 6066 3: no IP literal in SNI. */
		if (pc->server_name && inet_pton(AF_INET, pc->server_name, ip) != 1 &&
		    inet_pton(AF_INET6, pc->server_name, ip) != 1)
			gnutls_server_name_set(s, GNUTLS_NAME_DNS, pc->server_name,
					       strlen(pc->server_name));
		if (pc->creds->verify == CV_TLS_VERIFY_OCSP)
			gnutls_ocsp_status_request_enable_client(s, NULL, 0, NULL);
	}
	return 0;
}

/* "TLS handshake failed: ..." for a GnuTLS error, naming a received alert. */
static void handshake_err(struct peer_check *pc, gnutls_session_t s, int r)
{
	if (pc->err[0])
		return; /* verify_peer said why */
	if (r == GNUTLS_E_CERTIFICATE_REQUIRED || r == GNUTLS_E_NO_CERTIFICATE_FOUND) {
		set_err(pc, "certificate failed verification: no certificate presented");
		pc->verify_failed = true;
	} else if (r == GNUTLS_E_FATAL_ALERT_RECEIVED || r == GNUTLS_E_WARNING_ALERT_RECEIVED) {
		set_err(pc, "TLS handshake failed: peer sent alert \"%s\"",
			gnutls_alert_get_name(gnutls_alert_get(s)));
	} else {
		set_err(pc, "TLS handshake failed: %s", gnutls_strerror(r));
	}
}

/* --- TLS connections --------------------------------------------------------------- */

struct wreq {
	uv_write_t req;
	struct cv_tls_conn *c;
	size_t len;
	unsigned char data[];
};

struct cv_tls_conn {
	struct peer_check pc; /* first: the session pointer */
	uv_tcp_t *tcp;
	uv_timer_t timer;
	uv_shutdown_t shutdown;
	gnutls_session_t session;
	const struct cv_tls_conn_ops *ops;
	void *arg;
	unsigned char *in; /* received, not yet given to GnuTLS */
	size_t in_off, in_len, in_cap;
	unsigned char *pending; /* application data before the handshake */
	size_t pending_len;
	size_t queued; /* bytes in uv write requests */
	unsigned open_handles;
	int close_status;
	bool handshaked, closing, reading, paused, eof, session_ok;
	bool kicked; /* the handshake has been started from the loop */
};

/* libuv reads into this and conn_read copies at once what was read, so one
 * buffer per thread (each loop is one thread) serves every connection: an
 * idle connection holds no read buffer. */
static __thread unsigned char conn_rbuf[READ_CHUNK];

static void conn_fail(struct cv_tls_conn *c, int status);
static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf);
static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static ssize_t conn_pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
	struct cv_tls_conn *c = p;
	size_t avail = c->in_len - c->in_off;

	if (avail == 0) {
		if (c->eof)
			return 0;
		gnutls_transport_set_errno(c->session, EAGAIN);
		return -1;
	}
	if (len > avail)
		len = avail;
	memcpy(buf, c->in + c->in_off, len);
	c->in_off += len;
	if (c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
	return (ssize_t)len;
}

static int conn_pull_timeout(gnutls_transport_ptr_t p, unsigned ms)
{
	struct cv_tls_conn *c = p;

	return c->in_len > c->in_off || c->eof ? 1 : 0;
}

static void conn_write_done(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct cv_tls_conn *c = w->c;

	c->queued -= w->len;
	free(w);
	if (status < 0 && status != UV_ECANCELED && !c->closing) {
		snprintf(c->pc.err, sizeof(c->pc.err), "write failed: %s", uv_strerror(status));
		conn_fail(c, -EPIPE);
	}
}

static ssize_t conn_push(gnutls_transport_ptr_t p, const void *buf, size_t len)
{
	struct cv_tls_conn *c = p;
	struct wreq *w;
	uv_buf_t b;

	if (uv_is_closing((uv_handle_t *)c->tcp)) {
		gnutls_transport_set_errno(c->session, EPIPE);
		return -1;
	}
	w = xmalloc(sizeof(*w) + len);
	w->c = c;
	w->len = len;
	memcpy(w->data, buf, len);
	b = uv_buf_init((char *)w->data, (unsigned)len);
	if (uv_write(&w->req, (uv_stream_t *)c->tcp, &b, 1, conn_write_done) < 0) {
		free(w);
		gnutls_transport_set_errno(c->session, EPIPE);
		return -1;
	}
	c->queued += len;
	return (ssize_t)len;
}

static void conn_handle_closed(uv_handle_t *h)
{
	struct cv_tls_conn *c = h->data;

	if (h == (uv_handle_t *)c->tcp)
		free(c->tcp);
	if (--c->open_handles > 0)
		return;
	if (c->ops && c->ops->on_close)
		c->ops->on_close(c, c->close_status, c->arg);
	if (c->session_ok)
		gnutls_deinit(c->session);
	cv_tls_creds_unref(c->pc.creds);
	free(c->pc.server_name);
	free(c->in);
	free(c->pending);
	free(c);
}

static void conn_close_handles(struct cv_tls_conn *c)
{
	uv_timer_stop(&c->timer);
	if (!uv_is_closing((uv_handle_t *)&c->timer))
		uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
	if (!uv_is_closing((uv_handle_t *)c->tcp))
		uv_close((uv_handle_t *)c->tcp, conn_handle_closed);
}

static void conn_shutdown_done(uv_shutdown_t *req, int status)
{
	conn_close_handles(req->data);
}

static void conn_grace_expired(uv_timer_t *t)
{
	conn_close_handles(t->data);
}

/* Starts closing: with flush, close_notify and queued data go out first
 * (bounded by CLOSE_GRACE_MS); without, the handles close at once. */
static void conn_begin_close(struct cv_tls_conn *c, int status, bool flush)
{
	if (c->closing)
		return;
	c->closing = true;
	c->close_status = status;
	if (c->reading)
		uv_read_stop((uv_stream_t *)c->tcp);
	c->reading = false;
	uv_timer_stop(&c->timer);
	if (flush) {
		if (c->handshaked)
			gnutls_bye(c->session, GNUTLS_SHUT_WR);
		c->shutdown.data = c;
		if (uv_shutdown(&c->shutdown, (uv_stream_t *)c->tcp, conn_shutdown_done) == 0) {
			uv_timer_start(&c->timer, conn_grace_expired, CLOSE_GRACE_MS, 0);
			return;
		}
	}
	conn_close_handles(c);
}

static void conn_fail(struct cv_tls_conn *c, int status)
{
	conn_begin_close(c, status, false);
}

static void conn_flush_pending(struct cv_tls_conn *c)
{
	size_t off = 0;

	while (off < c->pending_len && !c->closing) {
		size_t n = c->pending_len - off > READ_CHUNK ? READ_CHUNK : c->pending_len - off;
		ssize_t w = gnutls_record_send(c->session, c->pending + off, n);

		if (w < 0) {
			snprintf(c->pc.err, sizeof(c->pc.err), "TLS write failed: %s",
				 gnutls_strerror((int)w));
			conn_fail(c, -EIO);
			break;
		}
		off += (size_t)w;
	}
	free(c->pending);
	c->pending = NULL;
	c->pending_len = 0;
}

static void conn_handshake(struct cv_tls_conn *c)
{
	/* Non-fatal alerts (warnings) are skipped; each round consumes input
	 * or ends in EAGAIN, so the loop is bounded by what was received. */
	for (unsigned round = 0; round < 64 && !c->closing; round++) {
		int r = gnutls_handshake(c->session);

		if (r == 0) {
			c->handshaked = true;
			uv_timer_stop(&c->timer);
			if (c->ops->on_handshake)
				c->ops->on_handshake(c, 0, c->arg);
			if (!c->closing && c->pending_len)
				conn_flush_pending(c);
			return;
		}
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			if (c->in_len > c->in_off)
				continue;
			if (c->eof) {
				snprintf(c->pc.err, sizeof(c->pc.err),
					 "TLS handshake failed: the peer closed the connection");
				break;
			}
			return;
		}
		if (!gnutls_error_is_fatal(r))
			continue;
		handshake_err(&c->pc, c->session, r);
		break;
	}
	if (c->closing)
		return;
	if (!c->pc.err[0])
		snprintf(c->pc.err, sizeof(c->pc.err), "TLS handshake failed");
	if (c->ops->on_handshake)
		c->ops->on_handshake(c, c->pc.verify_failed ? -EACCES : -EPROTO, c->arg);
	conn_fail(c, -EPROTO);
}

static void conn_records(struct cv_tls_conn *c)
{
	unsigned char buf[READ_CHUNK];

	while (!c->closing && !c->paused) {
		size_t before = c->in_len - c->in_off;
		ssize_t n = gnutls_record_recv(c->session, buf, sizeof(buf));

		if (n > 0) {
			if (c->ops->on_read)
				c->ops->on_read(c, buf, (size_t)n, c->arg);
			continue;
		}
		if (n == 0) { /* close_notify */
			conn_begin_close(c, 0, true);
			return;
		}
		/* GnuTLS also says AGAIN after a post-handshake message (a
		 * TLS 1.3 NewSessionTicket) with more records still buffered:
		 * go on while there is input (each round consumes some). */
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			size_t after = c->in_len - c->in_off;

			if (after > 0 && after < before)
				continue;
			break;
		}
		if (n == GNUTLS_E_REHANDSHAKE) {
			/* RFC 5746: we never renegotiate. */
			gnutls_alert_send(c->session, GNUTLS_AL_WARNING,
					  GNUTLS_A_NO_RENEGOTIATION);
			continue;
		}
		if (n == GNUTLS_E_PREMATURE_TERMINATION) {
			conn_begin_close(c, 0, false);
			return;
		}
		if (!gnutls_error_is_fatal((int)n))
			continue;
		snprintf(c->pc.err, sizeof(c->pc.err), "TLS read failed: %s",
			 gnutls_strerror((int)n));
		conn_fail(c, -EPROTO);
		return;
	}
	if (!c->closing && c->eof && c->in_len == c->in_off && !c->paused)
		conn_begin_close(c, 0, false);
}

static void conn_process(struct cv_tls_conn *c)
{
	if (!c->handshaked)
		conn_handshake(c);
	if (c->handshaked && !c->closing)
		conn_records(c);
	/* Resume reading once the buffer drained (it stops at IN_CAP). */
	if (!c->closing && !c->reading && !c->eof && c->in_len - c->in_off < IN_CAP &&
	    !(c->paused && c->handshaked)) {
		if (uv_read_start((uv_stream_t *)c->tcp, conn_alloc, conn_read) == 0)
			c->reading = true;
	}
}

static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	(void)h;
	*buf = uv_buf_init((char *)conn_rbuf, sizeof(conn_rbuf));
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct cv_tls_conn *c = s->data;

	if (c->closing)
		return;
	if (nread < 0) {
		if (nread != UV_EOF) {
			snprintf(c->pc.err, sizeof(c->pc.err), "read failed: %s",
				 uv_strerror((int)nread));
			conn_fail(c, -ECONNRESET);
			return;
		}
		c->eof = true;
		uv_read_stop(s);
		c->reading = false;
		conn_process(c);
		if (!c->closing && !c->handshaked) {
			if (!c->pc.err[0])
				snprintf(c->pc.err, sizeof(c->pc.err),
					 "TLS handshake failed: the peer closed the connection");
			if (c->ops->on_handshake)
				c->ops->on_handshake(c, -ECONNRESET, c->arg);
			conn_fail(c, -ECONNRESET);
		}
		return;
	}
	if (nread == 0)
		return;
	if (c->in_len + (size_t)nread > c->in_cap) {
		c->in_cap = c->in_len + (size_t)nread + READ_CHUNK;
		c->in = xrealloc(c->in, c->in_cap);
	}
	memcpy(c->in + c->in_len, buf->base, (size_t)nread);
	c->in_len += (size_t)nread;
	if (c->in_len - c->in_off >= IN_CAP) {
		uv_read_stop(s);
		c->reading = false;
	}
	conn_process(c);
	/* Everything went to GnuTLS: an idle connection keeps no input
	 * buffer (thousands of idle XMPP clients, issue 11). */
	if (!c->closing && c->in_len == 0 && c->in) {
		free(c->in);
		c->in = NULL;
		c->in_cap = 0;
	}
}

static void conn_timer(uv_timer_t *t)
{
	struct cv_tls_conn *c = t->data;

	if (c->closing)
		return;
	if (!c->kicked) {
		/* A client's first flight, from the loop: options the caller
		 * set after cv_tls_conn_new() (ALPN) are in it. */
		c->kicked = true;
		uv_timer_start(&c->timer, conn_timer, c->pc.creds->handshake_timeout_ms, 0);
		conn_process(c);
		return;
	}
	if (!c->handshaked) {
		snprintf(c->pc.err, sizeof(c->pc.err), "TLS handshake timed out");
		if (c->ops->on_handshake)
			c->ops->on_handshake(c, -ETIMEDOUT, c->arg);
		conn_fail(c, -ETIMEDOUT);
		return;
	}
	/* A resume scheduled by cv_tls_pause(). */
	conn_process(c);
}

int cv_tls_conn_new(uv_tcp_t *tcp, struct cv_tls_creds *creds, bool server,
		    const char *server_name, const struct cv_tls_conn_ops *ops, void *arg,
		    struct cv_tls_conn **ret)
{
	struct cv_tls_conn *c = xcalloc(1, sizeof(*c));
	char err[160];
	int r;

	c->tcp = tcp;
	c->ops = ops;
	c->arg = arg;
	c->pc.creds = cv_tls_creds_ref(creds);
	c->pc.server = server;
	c->pc.server_name = server_name && *server_name ? xstrdup(server_name) : NULL;
	tcp->data = c;
	c->timer.data = c;
	uv_timer_init(tcp->loop, &c->timer);
	c->open_handles = 2;
	r = gnutls_init(&c->session, (server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NONBLOCK);
	if (r < 0)
		goto fail;
	c->session_ok = true;
	if (session_setup(c->session, &c->pc, err, sizeof(err)) < 0)
		goto fail;
	gnutls_transport_set_ptr(c->session, c);
	gnutls_transport_set_push_function(c->session, conn_push);
	gnutls_transport_set_pull_function(c->session, conn_pull);
	gnutls_transport_set_pull_timeout_function(c->session, conn_pull_timeout);
	if (uv_read_start((uv_stream_t *)tcp, conn_alloc, conn_read) < 0)
		goto fail;
	c->reading = true;
	/* A server waits for the ClientHello; a client sends it from the
	 * loop (conn_timer). */
	c->kicked = server;
	uv_timer_start(&c->timer, conn_timer, server ? creds->handshake_timeout_ms : 0, 0);
	*ret = c;
	return 0;
fail:
	/* No callback for a connection the caller never got. */
	c->ops = NULL;
	c->closing = true;
	if (c->reading)
		uv_read_stop((uv_stream_t *)tcp);
	conn_close_handles(c);
	return -EPROTO;
}

int cv_tls_write(struct cv_tls_conn *c, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t off = 0;

	if (c->closing)
		return -EPIPE;
	if (c->queued + c->pending_len + len > CV_TLS_WRITE_CAP)
		return -ENOBUFS;
	if (!c->handshaked) {
		c->pending = xrealloc(c->pending, c->pending_len + len);
		memcpy(c->pending + c->pending_len, buf, len);
		c->pending_len += len;
		return 0;
	}
	while (off < len) {
		size_t n = len - off > READ_CHUNK ? READ_CHUNK : len - off;
		ssize_t w = gnutls_record_send(c->session, p + off, n);

		if (w < 0) {
			snprintf(c->pc.err, sizeof(c->pc.err), "TLS write failed: %s",
				 gnutls_strerror((int)w));
			conn_fail(c, -EIO);
			return -EIO;
		}
		off += (size_t)w;
	}
	return 0;
}

size_t cv_tls_write_queued(const struct cv_tls_conn *c)
{
	return c->queued + c->pending_len;
}

void cv_tls_pause(struct cv_tls_conn *c, bool pause)
{
	if (c->closing || c->paused == pause)
		return;
	c->paused = pause;
	if (pause) {
		if (c->handshaked && c->reading) {
			uv_read_stop((uv_stream_t *)c->tcp);
			c->reading = false;
		}
		return;
	}
	/* Deliver what is buffered from the loop, not from inside this call. */
	if (c->handshaked)
		uv_timer_start(&c->timer, conn_timer, 0, 0);
}

void cv_tls_close(struct cv_tls_conn *c)
{
	conn_begin_close(c, 0, true);
}

void cv_tls_abort(struct cv_tls_conn *c)
{
	conn_begin_close(c, -ECANCELED, false);
}

const char *cv_tls_conn_error(const struct cv_tls_conn *c)
{
	return c->pc.err;
}

gnutls_session_t cv_tls_conn_session(const struct cv_tls_conn *c)
{
	return c->session;
}

void *cv_tls_conn_arg(const struct cv_tls_conn *c)
{
	return c->arg;
}

/* --- DTLS -------------------------------------------------------------------------------- */

struct cv_dtls {
	struct peer_check pc; /* first: the session pointer */
	gnutls_session_t session;
	const struct cv_dtls_ops *ops;
	void *arg;
	const unsigned char *in; /* the datagram being processed */
	size_t in_len;
	bool started, handshaked, failed;
	bool sent; /* a flight went out: a retransmission timer runs */
};

static ssize_t dtls_pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
	struct cv_dtls *d = p;

	if (!d->in) {
		gnutls_transport_set_errno(d->session, EAGAIN);
		return -1;
	}
	/* One datagram per read; a datagram longer than buf is truncated
	 * like recv(2) would. */
	if (len > d->in_len)
		len = d->in_len;
	memcpy(buf, d->in, len);
	d->in = NULL;
	d->in_len = 0;
	return (ssize_t)len;
}

static int dtls_pull_timeout(gnutls_transport_ptr_t p, unsigned ms)
{
	struct cv_dtls *d = p;

	return d->in ? 1 : 0;
}

static ssize_t dtls_push(gnutls_transport_ptr_t p, const void *buf, size_t len)
{
	struct cv_dtls *d = p;
	int r = d->ops->send(d->arg, buf, len);

	d->sent = true;
	if (r < 0) {
		gnutls_transport_set_errno(d->session, -r);
		return -1;
	}
	return (ssize_t)len;
}

static void dtls_fail(struct cv_dtls *d, int r)
{
	d->failed = true;
	if (r == GNUTLS_E_TIMEDOUT && !d->pc.err[0])
		set_err(&d->pc, "DTLS handshake timed out");
	else
		handshake_err(&d->pc, d->session, r);
	if (d->ops->on_handshake)
		d->ops->on_handshake(d,
				     r == GNUTLS_E_TIMEDOUT ? -ETIMEDOUT
				     : d->pc.verify_failed  ? -EACCES
							    : -EPROTO,
				     d->arg);
}

static int dtls_step(struct cv_dtls *d)
{
	for (unsigned round = 0; round < 16; round++) {
		int r = gnutls_handshake(d->session);

		if (r == 0) {
			d->handshaked = true;
			if (d->ops->on_handshake)
				d->ops->on_handshake(d, 0, d->arg);
			return 0;
		}
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			return 0;
		if (!gnutls_error_is_fatal(r))
			continue;
		dtls_fail(d, r);
		return -EPROTO;
	}
	return 0;
}

int cv_dtls_new(struct cv_tls_creds *creds, bool server, const char *expected_fingerprint,
		const struct cv_dtls_ops *ops, void *arg, struct cv_dtls **ret)
{
	struct cv_dtls *d = xcalloc(1, sizeof(*d));
	const char *errpos = NULL;
	char err[160];

	d->ops = ops;
	d->arg = arg;
	d->pc.creds = cv_tls_creds_ref(creds);
	d->pc.server = server;
	if (expected_fingerprint)
		snprintf(d->pc.expected_fp, sizeof(d->pc.expected_fp), "%s", expected_fingerprint);
	if (!creds->dtls || !creds->identity ||
	    gnutls_init(&d->session, (server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_DATAGRAM |
					     GNUTLS_NONBLOCK) < 0) {
		cv_tls_creds_unref(d->pc.creds);
		free(d);
		return -EINVAL;
	}
	/* GnuTLS 3.7 knows the AES-CM profiles of RFC 5764 only (not the
	 * AEAD ones of RFC 7714). */
	if (session_setup(d->session, &d->pc, err, sizeof(err)) < 0 ||
	    gnutls_srtp_set_profile_direct(d->session,
					   "SRTP_AES128_CM_HMAC_SHA1_80:SRTP_AES128_CM_HMAC_SHA1_32",
					   &errpos) < 0) {
		cv_dtls_free(d);
		return -EINVAL;
	}
	/* WebRTC: both sides present a certificate (RFC 8827 6.5). */
	if (server)
		gnutls_certificate_server_set_request(d->session, GNUTLS_CERT_REQUIRE);
	gnutls_dtls_set_mtu(d->session, DTLS_MTU);
	gnutls_dtls_set_timeouts(d->session, 1000, 30000);
	gnutls_transport_set_ptr(d->session, d);
	gnutls_transport_set_push_function(d->session, dtls_push);
	gnutls_transport_set_pull_function(d->session, dtls_pull);
	gnutls_transport_set_pull_timeout_function(d->session, dtls_pull_timeout);
	*ret = d;
	return 0;
}

int cv_dtls_start(struct cv_dtls *d)
{
	if (d->started)
		return 0;
	d->started = true;
	return d->pc.server ? 0 : dtls_step(d);
}

int cv_dtls_input(struct cv_dtls *d, const uint8_t *pkt, size_t len)
{
	unsigned char buf[READ_CHUNK];
	int r = 0;

	if (d->failed)
		return -EPROTO;
	d->started = true;
	d->in = pkt;
	d->in_len = len;
	if (!d->handshaked) {
		r = dtls_step(d);
		/* Records right after the last flight come in later datagrams. */
		d->in = NULL;
		return r;
	}
	while (d->in) {
		ssize_t n = gnutls_record_recv(d->session, buf, sizeof(buf));

		if (n > 0) {
			if (d->ops->on_data)
				d->ops->on_data(d, buf, (size_t)n, d->arg);
			continue;
		}
		/* A bad record is dropped (RFC 6347 4.1.2.7); so is EAGAIN. */
		break;
	}
	d->in = NULL;
	return r;
}

int cv_dtls_timeout_ms(const struct cv_dtls *d)
{
	if (!d->started || !d->sent || d->handshaked || d->failed)
		return -1;
	return (int)gnutls_dtls_get_timeout(d->session);
}

int cv_dtls_tick(struct cv_dtls *d)
{
	if (!d->started || d->handshaked || d->failed)
		return 0;
	return dtls_step(d);
}

int cv_dtls_write(struct cv_dtls *d, const void *buf, size_t len)
{
	ssize_t w;

	if (!d->handshaked || d->failed)
		return -ENOTCONN;
	w = gnutls_record_send(d->session, buf, len);
	return w < 0 ? -EIO : 0;
}

int cv_dtls_srtp_keys(struct cv_dtls *d, struct cv_srtp_keys *ret)
{
	gnutls_srtp_profile_t profile;
	gnutls_datum_t ck, cs, sk, ss;
	unsigned char km[2 * (32 + 14)];
	int r;

	if (!d->handshaked || gnutls_srtp_get_selected_profile(d->session, &profile) < 0)
		return -ENOENT;
	r = gnutls_srtp_get_keys(d->session, km, sizeof(km), &ck, &cs, &sk, &ss);
	if (r < 0 || ck.size > sizeof(ret->client_key) || cs.size > sizeof(ret->client_salt) ||
	    sk.size != ck.size || ss.size != cs.size)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->profile = (enum cv_srtp_profile)profile;
	ret->key_len = ck.size;
	ret->salt_len = cs.size;
	memcpy(ret->client_key, ck.data, ck.size);
	memcpy(ret->server_key, sk.data, sk.size);
	memcpy(ret->client_salt, cs.data, cs.size);
	memcpy(ret->server_salt, ss.data, ss.size);
	return 0;
}

int cv_dtls_peer_fingerprint(const struct cv_dtls *d, char *buf, size_t len)
{
	const gnutls_datum_t *peers;
	unsigned n = 0;
	gnutls_x509_crt_t crt;
	int r = -ENOENT;

	peers = gnutls_certificate_get_peers(d->session, &n);
	if (!peers || n == 0)
		return -ENOENT;
	gnutls_x509_crt_init(&crt);
	if (gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER) == 0)
		r = fingerprint_of(crt, buf, len);
	gnutls_x509_crt_deinit(crt);
	return r;
}

const char *cv_dtls_error(const struct cv_dtls *d)
{
	return d->pc.err;
}

void cv_dtls_free(struct cv_dtls *d)
{
	if (!d)
		return;
	gnutls_deinit(d->session);
	cv_tls_creds_unref(d->pc.creds);
	free(d);
}
