// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of certs/certs.c with the fixtures of tests/golden/fixtures/pki/
 * (their make-fixtures.sh lists them): sniffing, loading PEM, DER, encrypted
 * keys and PKCS #12, key/certificate matching, chain order and verification
 * with every reason, validity at a pinned time, RFC 6125 name matching
 * (also compared with GnuTLS's own matcher), CSR and self-signed
 * generation, the identity check, and the TLS priority strings.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certs/certs.h"
#include "certs/tls.h"
#include "lib/file.h"
#include "lib/mem.h"
#include "tests/unit/tap.h"

/* 2024-06-15 12:00:00 UTC, the golden transcripts' clock. */
#define T0 ((time_t)1718452800)

static char *fixdir;
static char tmpdir[] = "/tmp/cvpki-certs-XXXXXX";

static char *fix(const char *name)
{
	return xasprintf("%s/%s", fixdir, name);
}

static char *load(const char *name, size_t *ret_len)
{
	char *path = fix(name), *data = NULL;
	size_t len = 0;

	if (cv_file_read(path, CV_CERTS_FILE_MAX, &data, &len) < 0) {
		printf("# cannot read %s\n", path);
		exit(2);
	}
	free(path);
	*ret_len = len;
	return data;
}

static gnutls_x509_privkey_t key_of(const char *name, const char *pw)
{
	gnutls_x509_privkey_t k = NULL;
	size_t len;
	char *d = load(name, &len);

	if (cv_certs_key_load(d, len, pw, &k) < 0)
		k = NULL;
	free(d);
	return k;
}

static struct cv_certs_list list_of(const char *name)
{
	struct cv_certs_list l = { NULL, 0 };
	size_t len;
	char *d = load(name, &len);

	cv_certs_list_load(d, len, &l);
	free(d);
	return l;
}

static void test_kind(void)
{
	static const struct {
		const char *file;
		enum cv_certs_kind kind;
		bool der;
	} v[] = {
		{ "edge.cer", CV_CERTS_CERT, false },	  { "edge-fullchain.cer", CV_CERTS_CERT, false },
		{ "edge.der", CV_CERTS_CERT, true },	  { "edge.key", CV_CERTS_KEY, false },
		{ "ec.key", CV_CERTS_KEY, false },	  { "edge-key.der", CV_CERTS_KEY, true },
		{ "edge-enc.key", CV_CERTS_ENC_KEY, false }, { "edge.csr", CV_CERTS_CSR, false },
		{ "edge.p12", CV_CERTS_PKCS12, true },	  { "garbage.txt", CV_CERTS_UNKNOWN, false },
	};
	bool der;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		char *d = load(v[i].file, &len);
		enum cv_certs_kind k = cv_certs_kind(d, len, &der);

		ok(k == v[i].kind && der == v[i].der, "kind of %s", v[i].file);
		free(d);
	}
	ok(cv_certs_kind("", 0, &der) == CV_CERTS_UNKNOWN, "an empty file is of no kind");
}

static void test_keys(void)
{
	gnutls_x509_privkey_t k;
	char desc[64];
	size_t len;
	char *d;

	k = key_of("edge.key", NULL);
	ok(k != NULL, "PKCS #1 PEM key loads");
	cv_certs_key_describe(k, desc, sizeof(desc));
	is_str(desc, "RSA 2048 bits", "describes the RSA key");
	gnutls_x509_privkey_deinit(k);
	k = key_of("ec.key", NULL);
	ok(k != NULL, "SEC1 EC key loads");
	cv_certs_key_describe(k, desc, sizeof(desc));
	is_str(desc, "ECDSA 256 bits", "describes the EC key");
	gnutls_x509_privkey_deinit(k);
	k = key_of("edge-key.der", NULL);
	ok(k != NULL, "DER key loads");
	gnutls_x509_privkey_deinit(k);

	d = load("edge-enc.key", &len);
	is_int(cv_certs_key_load(d, len, NULL, &k), -ENOKEY, "encrypted key without password");
	is_int(cv_certs_key_load(d, len, "wrong", &k), -EKEYREJECTED, "wrong password");
	is_int(cv_certs_key_load(d, len, "Secret.123", &k), 0, "right password");
	{
		char *pem = NULL;
		size_t plen = 0;
		gnutls_x509_privkey_t k2;
		bool der;

		ok(cv_certs_key_export(k, &pem, &plen) == 0 && strstr(pem, "BEGIN PRIVATE KEY"),
		   "exported as unencrypted PKCS #8");
		ok(cv_certs_kind(pem, plen, &der) == CV_CERTS_KEY,
		   "the export is an unencrypted key");
		ok(cv_certs_key_load(pem, plen, NULL, &k2) == 0, "the export loads without password");
		gnutls_x509_privkey_deinit(k2);
		free(pem);
	}
	gnutls_x509_privkey_deinit(k);
	free(d);
	d = load("edge.cer", &len);
	is_int(cv_certs_key_load(d, len, NULL, &k), -EINVAL, "a certificate is not a key");
	free(d);
	d = load("garbage.txt", &len);
	is_int(cv_certs_key_load(d, len, NULL, &k), -EINVAL, "text is not a key");
	free(d);
	d = load("edge.der", &len);
	is_int(cv_certs_key_load(d, len, NULL, &k), -EINVAL, "a DER certificate is not a key");
	free(d);
}

static void test_lists(void)
{
	struct cv_certs_list l;
	unsigned bad = 99;
	size_t len;
	char *d;

	l = list_of("edge-fullchain.cer");
	is_int(l.n, 3, "the full chain has 3 certificates");
	ok(cv_certs_chain_order(&l, &bad) == 0, "the full chain is in order");
	{
		gnutls_x509_crt_t t = l.crt[0];

		l.crt[0] = l.crt[1];
		l.crt[1] = t;
		ok(cv_certs_chain_order(&l, &bad) == -EINVAL && bad == 0,
		   "a swapped chain is out of order at certificate 1");
	}
	cv_certs_list_free(&l);
	l = list_of("edge.der");
	is_int(l.n, 1, "DER certificate loads");
	cv_certs_list_free(&l);
	d = load("edge.key", &len);
	is_int(cv_certs_list_load(d, len, &l), -EINVAL, "a key has no certificate");
	free(d);
	d = load("garbage.txt", &len);
	is_int(cv_certs_list_load(d, len, &l), -EINVAL, "text has no certificate");
	free(d);
	{
		struct cv_certs_list a = list_of("edge.cer"), b = list_of("edge-fullchain.cer");
		char *pem = NULL;
		size_t plen = 0;

		cv_certs_list_append(&a, &b);
		is_int(a.n, 3, "append skips a certificate already present");
		ok(cv_certs_list_export(&a, &pem, &plen) == 0 &&
			   strstr(pem, "BEGIN CERTIFICATE") != NULL,
		   "exports the list as PEM");
		free(pem);
		cv_certs_list_free(&a);
		cv_certs_list_free(&b);
	}
}

static void test_match_validity(void)
{
	static const struct {
		const char *key, *crt, *pw;
		int want;
	} v[] = {
		{ "edge.key", "edge.cer", NULL, 1 },	     { "edge.key", "edge-fullchain.cer", NULL, 1 },
		{ "other.key", "edge.cer", NULL, 0 },	     { "edge-key.der", "edge.der", NULL, 1 },
		{ "edge-enc.key", "edge.cer", "Secret.123", 1 }, { "ec.key", "ec.cer", NULL, 1 },
		{ "ec.key", "edge.cer", NULL, 0 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		gnutls_x509_privkey_t k = key_of(v[i].key, v[i].pw);
		struct cv_certs_list l = list_of(v[i].crt);

		ok(k && l.n && cv_certs_key_matches(k, l.crt[0]) == v[i].want, "%s %s %s", v[i].key,
		   v[i].want ? "matches" : "does not match", v[i].crt);
		if (k)
			gnutls_x509_privkey_deinit(k);
		cv_certs_list_free(&l);
	}
	{
		struct cv_certs_list e = list_of("edge.cer"), x = list_of("expired.cer"),
				     n = list_of("notyet.cer");

		ok(cv_certs_validity(e.crt[0], T0) == CV_CERTS_VALID, "edge is valid in 2024");
		ok(cv_certs_validity(x.crt[0], T0) == CV_CERTS_EXPIRED, "expired has expired");
		ok(cv_certs_validity(n.crt[0], T0) == CV_CERTS_NOT_YET_VALID,
		   "notyet is not yet valid");
		ok(cv_certs_validity(e.crt[0], (time_t)1577836799) == CV_CERTS_NOT_YET_VALID,
		   "edge is not valid a second before 2020");
		cv_certs_list_free(&e);
		cv_certs_list_free(&x);
		cv_certs_list_free(&n);
	}
}

static void test_verify(void)
{
	static const struct {
		const char *chain, *trust;
		time_t now;
		const char *want; /* NULL: verifies */
	} v[] = {
		{ "edge-fullchain.cer", "root.cer", T0, NULL },
		{ "edge.cer", "chain.cer", T0, NULL },
		{ "core-fullchain.cer", "root.cer", T0, NULL },
		{ "edge.cer", "root.cer", T0, "unable to get local issuer certificate" },
		{ "other.cer", "root.cer", T0, "unable to get local issuer certificate" },
		{ "other-fullchain.cer", "root.cer", T0,
		  "self-signed certificate in certificate chain" },
		{ "selfsigned.cer", "root.cer", T0, "self-signed certificate" },
		{ "selfsigned.cer", "selfsigned.cer", T0, NULL },
		{ "expired.cer", "chain.cer", T0, "certificate has expired" },
		{ "notyet.cer", "chain.cer", T0, "certificate is not yet valid" },
		/* 2100-01-02: the root itself has expired. */
		{ "edge.cer", "chain.cer", (time_t)4102531200, "certificate has expired" },
		{ "edge-fullchain.cer", "other-root.cer", T0,
		  "self-signed certificate in certificate chain" },
	};
	char reason[128];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct cv_certs_list c = list_of(v[i].chain), t = list_of(v[i].trust);
		int r;

		reason[0] = '\0';
		r = cv_certs_verify(&c, &t, v[i].now, reason, sizeof(reason));
		if (v[i].want)
			ok(r == -EBADMSG && strcmp(reason, v[i].want) == 0,
			   "%s against %s: %s (got \"%s\")", v[i].chain, v[i].trust, v[i].want,
			   reason);
		else
			ok(r == 0, "%s verifies against %s (%s)", v[i].chain, v[i].trust, reason);
		cv_certs_list_free(&c);
		cv_certs_list_free(&t);
	}
	{
		struct cv_certs_list c = list_of("edge.cer");

		ok(cv_certs_verify(&c, NULL, T0, reason, sizeof(reason)) == -EBADMSG &&
			   strcmp(reason, "unable to get local issuer certificate") == 0,
		   "a private CA is not in the system store");
		cv_certs_list_free(&c);
	}
}

/* A certificate whose only dNSName SAN (or CN when san is NULL) is name. */
static gnutls_x509_crt_t crt_with(gnutls_x509_privkey_t key, const char *san, const char *cn)
{
	struct cv_certs_subject s = { .cn = cn };
	gnutls_x509_crt_t crt = NULL;

	if (san) {
		s.sans[0] = san;
		s.nsans = 1;
	}
	if (cv_certs_selfsigned_generate(key, &s, T0, 30, &crt) < 0)
		return NULL;
	return crt;
}

static void test_names(void)
{
	/* gnutls: what gnutls_x509_crt_check_hostname2() (3.7) answers for a
	 * certificate with that one SAN, where it differs from us:
	 *  - a trailing dot: we take "x." and "x" as the same (absolute) name;
	 *  - "*.cms.demo" against ".cms.demo": GnuTLS lets the wildcard match
	 *    an empty label, we do not;
	 *  - "*e.cms.demo": GnuTLS takes this partial wildcard, we take none
	 *    (RFC 6125 6.4.3 allows them as a MAY; the CA/Browser Forum
	 *    baseline requirements forbid them in certificates). */
	static const struct {
		const char *pattern, *host;
		bool want, gnutls;
	} v[] = {
		{ "edge.cms.demo", "edge.cms.demo", true, true },
		{ "edge.cms.demo", "EDGE.Cms.Demo", true, true },
		{ "edge.cms.demo", "edge.cms.demo.", true, false },
		{ "edge.cms.demo.", "edge.cms.demo", true, false },
		{ "edge.cms.demo", "join.cms.demo", false, false },
		{ "edge.cms.demo", "cms.demo", false, false },
		{ "*.cms.demo", "edge.cms.demo", true, true },
		{ "*.cms.demo", "EDGE.CMS.DEMO", true, true },
		{ "*.cms.demo", "cms.demo", false, false },
		{ "*.cms.demo", "a.edge.cms.demo", false, false },
		{ "*.cms.demo", ".cms.demo", false, true },
		{ "*.demo", "cms.demo", false, false },
		{ "*", "demo", false, false },
		{ "e*.cms.demo", "edge.cms.demo", false, false },
		{ "*e.cms.demo", "edge.cms.demo", false, true },
		{ "ed*ge.cms.demo", "edge.cms.demo", false, false },
		{ "edge.*.demo", "edge.cms.demo", false, false },
		{ "*.*.demo", "a.cms.demo", false, false },
		{ "*.xn--bcher-kva.example", "a.xn--bcher-kva.example", true, true },
		{ "xn--*.cms.demo", "xn--bcher-kva.cms.demo", false, false },
	};
	gnutls_x509_privkey_t key = NULL;

	ok(cv_certs_key_generate(CV_CERTS_ECDSA_P256, &key) == 0, "EC key for the name tests");
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		gnutls_x509_crt_t crt = crt_with(key, v[i].pattern, "x");
		bool mine = cv_certs_name_match(v[i].pattern, v[i].host);
		bool gnutls;

		ok(mine == v[i].want, "pattern %s %s %s", v[i].pattern,
		   v[i].want ? "matches" : "does not match", v[i].host);
		if (!crt) {
			ok(0, "certificate for %s", v[i].pattern);
			continue;
		}
		ok(cv_certs_host_match(crt, v[i].host) == v[i].want,
		   "a certificate with SAN %s %s %s", v[i].pattern,
		   v[i].want ? "is valid for" : "is not valid for", v[i].host);
		gnutls = gnutls_x509_crt_check_hostname2(crt, v[i].host, 0) != 0;
		ok(gnutls == v[i].gnutls, "GnuTLS's matcher %s %s for %s%s",
		   v[i].gnutls ? "accepts" : "refuses", v[i].pattern, v[i].host,
		   v[i].gnutls != v[i].want ? " (we differ on purpose)" : "");
		gnutls_x509_crt_deinit(crt);
	}
	ok(!cv_certs_name_match("*.cms.demo", "*.cms.demo"), "a host name with * matches nothing");
	ok(!cv_certs_name_match("", "a"), "an empty pattern matches nothing");
	ok(!cv_certs_name_match("a..b", "a..b"), "empty labels match nothing");
	{
		struct cv_certs_list core = list_of("core.cer"), edge = list_of("edge.cer"),
				     wild = list_of("wild.cer");
		gnutls_x509_crt_t cnonly = crt_with(key, NULL, "cn.cms.demo");

		ok(cv_certs_host_match(core.crt[0], "192.0.2.20"), "IP SAN matches its address");
		ok(!cv_certs_host_match(core.crt[0], "192.0.2.21"), "IP SAN: another address");
		ok(!cv_certs_host_match(edge.crt[0], "192.0.2.20"), "no IP SAN, no IP match");
		ok(cv_certs_host_match(edge.crt[0], "join.cms.demo"), "second SAN matches");
		ok(!cv_certs_host_match(core.crt[0], "Convene Test"), "O is never a name");
		ok(cv_certs_host_match(wild.crt[0], "cms.demo") &&
			   cv_certs_host_match(wild.crt[0], "x.cms.demo"),
		   "wild.cer: *.cms.demo and cms.demo");
		ok(cnonly && cv_certs_host_match(cnonly, "cn.cms.demo"),
		   "the CN counts without a dNSName SAN");
		ok(!cv_certs_host_match(edge.crt[0], "edge"), "CN is ignored when SANs exist");
		cv_certs_list_free(&core);
		cv_certs_list_free(&edge);
		cv_certs_list_free(&wild);
		if (cnonly)
			gnutls_x509_crt_deinit(cnonly);
	}
	gnutls_x509_privkey_deinit(key);
}

static void test_generate(void)
{
	struct cv_certs_subject s = { .cn = "edge.cms.demo",
				      .ou = "IT",
				      .o = "Example Inc.",
				      .l = "Oslo",
				      .st = "Oslo",
				      .c = "NO",
				      .email = "pki@cms.demo",
				      .sans = { "edge.cms.demo", "join.cms.demo", "192.0.2.5" },
				      .nsans = 3 };
	gnutls_x509_privkey_t key = NULL, ek = NULL;
	gnutls_x509_crt_t crt = NULL;
	char err[128], *pem = NULL;
	size_t len = 0;

	ok(cv_certs_subject_check(&s, err, sizeof(err)) == 0, "the subject is accepted");
	ok(cv_certs_key_generate(CV_CERTS_RSA2048, &key) == 0, "RSA 2048 key generated");
	ok(cv_certs_csr_generate(key, &s, &pem, &len) == 0 &&
		   strstr(pem, "BEGIN NEW CERTIFICATE REQUEST"),
	   "CSR generated");
	if (pem) {
		gnutls_datum_t d = { (unsigned char *)pem, (unsigned)len }, dn = { NULL, 0 };
		gnutls_x509_crq_t crq;
		struct strbuf sb = STRBUF_INIT;

		gnutls_x509_crq_init(&crq);
		ok(gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_PEM) == 0 &&
			   gnutls_x509_crq_verify(crq, 0) == 0,
		   "the CSR parses and its signature verifies");
		gnutls_x509_crq_get_dn3(crq, &dn, 0);
		is_str((char *)dn.data,
		       "EMAIL=pki@cms.demo,CN=edge.cms.demo,OU=IT,O=Example Inc.,L=Oslo,ST=Oslo,C=NO",
		       "the CSR subject");
		gnutls_free(dn.data);
		cv_certs_describe("edge.csr", pem, len, &sb);
		ok(strstr(sb_str(&sb), "Subject alternative names: DNS:edge.cms.demo, "
				       "DNS:join.cms.demo, IP:192.0.2.5\n") != NULL,
		   "the CSR has the SANs");
		ok(strstr(sb_str(&sb), "Public key: RSA 2048 bits") != NULL, "the CSR key");
		sb_free(&sb);
		gnutls_x509_crq_deinit(crq);
	}
	free(pem);
	ok(cv_certs_selfsigned_generate(key, &s, T0, 365, &crt) == 0, "self-signed generated");
	if (crt) {
		struct cv_certs_list l = { &crt, 1 };
		char reason[128] = "";

		ok(cv_certs_key_matches(key, crt) == 1, "its key matches");
		ok(cv_certs_verify(&l, &l, T0, reason, sizeof(reason)) == 0,
		   "it verifies against itself (%s)", reason);
		ok(cv_certs_verify(&l, &l, T0 + 366 * 86400, reason, sizeof(reason)) == -EBADMSG &&
			   strcmp(reason, "certificate has expired") == 0,
		   "it expires after 365 days");
		ok(cv_certs_host_match(crt, "join.cms.demo") && cv_certs_host_match(crt, "192.0.2.5"),
		   "it carries the SANs");
		gnutls_x509_crt_deinit(crt);
	}
	gnutls_x509_privkey_deinit(key);
	ok(cv_certs_key_generate(CV_CERTS_ECDSA_P256, &ek) == 0, "ECDSA P-256 key generated");
	if (ek) {
		char desc[64];

		cv_certs_key_describe(ek, desc, sizeof(desc));
		is_str(desc, "ECDSA 256 bits", "it is P-256");
		gnutls_x509_privkey_deinit(ek);
	}
	{
		struct cv_certs_subject bad = { .cn = "x", .c = "NOR" };

		ok(cv_certs_subject_check(&bad, err, sizeof(err)) == -EINVAL &&
			   strstr(err, "country"),
		   "a three-letter country is refused: %s", err);
		bad.c = NULL;
		bad.sans[0] = "bad_name!";
		bad.nsans = 1;
		ok(cv_certs_subject_check(&bad, err, sizeof(err)) == -EINVAL &&
			   strstr(err, "subjectAltName"),
		   "a bad SAN is refused: %s", err);
		bad.nsans = 0;
		bad.cn = "0123456789012345678901234567890123456789012345678901234567890123x";
		ok(cv_certs_subject_check(&bad, err, sizeof(err)) == -EINVAL,
		   "a 65-character CN is refused");
		bad.cn = "*.cms.demo";
		bad.sans[0] = "*.cms.demo";
		bad.nsans = 1;
		ok(cv_certs_subject_check(&bad, err, sizeof(err)) == 0, "a wildcard SAN is fine");
	}
}

static void test_pkcs12(void)
{
	gnutls_x509_privkey_t key = NULL;
	struct cv_certs_list l = { NULL, 0 };
	size_t len;
	char *d = load("edge.p12", &len);

	is_int(cv_certs_pkcs12_parse(d, len, "wrong", &key, &l), -EKEYREJECTED, "wrong password");
	ok(cv_certs_pkcs12_parse(d, len, "Secret.123", &key, &l) == 0, "PKCS #12 parses");
	is_int(l.n, 3, "leaf, intermediate and root");
	ok(l.n && cv_certs_key_matches(key, l.crt[0]) == 1, "its key matches its leaf");
	if (key)
		gnutls_x509_privkey_deinit(key);
	cv_certs_list_free(&l);
	free(d);
	d = load("edge.cer", &len);
	is_int(cv_certs_pkcs12_parse(d, len, "x", &key, &l), -EINVAL, "a certificate is not PKCS #12");
	free(d);
}

static void test_describe(void)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len;
	char *d = load("edge.cer", &len);

	ok(cv_certs_describe("edge.cer", d, len, &sb) == 0, "describes edge.cer");
	is_str(sb_str(&sb),
	       "Checking edge.cer ...\n"
	       "File contains a PEM encoded certificate\n"
	       "Certificate details:\n"
	       "    Subject: CN=edge.cms.demo,O=Convene Test,C=US\n"
	       "    Issuer:  CN=Convene Test Intermediate CA,O=Convene Test,C=US\n"
	       "    Valid from: Jan  1 00:00:00 2020 GMT\n"
	       "    Valid to:   Dec 31 23:59:59 2099 GMT\n"
	       "    Subject alternative names: DNS:edge.cms.demo, DNS:join.cms.demo\n"
	       "    Serial number: 2001\n"
	       "    Public key: RSA 2048 bits\n",
	       "the edge.cer report");
	free(d);
	sb_reset(&sb);
	d = load("garbage.txt", &len);
	ok(cv_certs_describe("garbage.txt", d, len, &sb) == -EINVAL &&
		   strstr(sb_str(&sb), "FAILURE: garbage.txt is not a key"),
	   "garbage is refused");
	free(d);
	sb_free(&sb);
}

/* --- the identity check ---------------------------------------------------------- */

static struct strbuf lines = STRBUF_INIT;

static void collect(void *arg, bool okk, const char *line)
{
	sb_printf(&lines, "%s\n", line);
}

static int ident(const char *key, const char *crt, const char *bundle, time_t now)
{
	char *k = fix(key), *c = fix(crt), *b = bundle ? fix(bundle) : NULL;
	int r;

	sb_reset(&lines);
	r = cv_certs_check_identity(NULL, k, c, b, now, collect, NULL, NULL, NULL);
	free(k);
	free(c);
	free(b);
	return r;
}

static void test_identity(void)
{
	ok(ident("edge.key", "edge-fullchain.cer", "root.cer", T0) == 0, "edge identity passes");
	is_str(sb_str(&lines),
	       "SUCCESS: Key and certificate pair match\n"
	       "SUCCESS: certificate verified against CA bundle\n",
	       "edge identity lines");
	ok(ident("edge.key", "edge.cer", NULL, T0) == 0, "without a bundle");
	is_str(sb_str(&lines), "SUCCESS: Key and certificate pair match\n", "one line");
	ident("other.key", "edge.cer", NULL, T0);
	is_str(sb_str(&lines), "FAILURE: Key and certificate do not match\n", "mismatch");
	ident("expired.key", "expired.cer", NULL, T0);
	is_str(sb_str(&lines),
	       "SUCCESS: Key and certificate pair match\n"
	       "FAILURE: certificate expired.cer has expired\n",
	       "expired");
	ident("notyet.key", "notyet.cer", NULL, T0);
	is_str(sb_str(&lines),
	       "SUCCESS: Key and certificate pair match\n"
	       "FAILURE: certificate notyet.cer is not yet valid\n",
	       "not yet valid");
	ident("edge.key", "edge-fullchain.cer", NULL, (time_t)4102531200);
	is_str(sb_str(&lines),
	       "SUCCESS: Key and certificate pair match\n"
	       "FAILURE: certificate edge-fullchain.cer has expired\n",
	       "in 2100 the leaf has expired first");
	ident("edge-enc.key", "edge.cer", NULL, T0);
	is_str(sb_str(&lines), "FAILURE: edge-enc.key is encrypted (use pki unlock edge-enc.key)\n",
	       "encrypted key");
	ident("garbage.txt", "edge.cer", NULL, T0);
	is_str(sb_str(&lines), "FAILURE: garbage.txt is not a private key\n", "not a key");
	ident("edge.key", "edge.key", NULL, T0);
	is_str(sb_str(&lines), "FAILURE: edge.key does not contain a certificate\n", "no cert");
	ident("edge.key", "missing.cer", NULL, T0);
	is_str(sb_str(&lines), "FAILURE: Unable to read file missing.cer\n", "missing file");
	ident("edge.key", "edge.cer", "root.cer", T0);
	is_str(sb_str(&lines),
	       "SUCCESS: Key and certificate pair match\n"
	       "FAILURE: certificate failed verification: unable to get local issuer "
	       "certificate\n",
	       "no intermediate: the chain does not verify");
	ident("edge.key", "edge-fullchain.cer", "other-root.cer", T0);
	is_str(sb_str(&lines),
	       "SUCCESS: Key and certificate pair match\n"
	       "FAILURE: certificate failed verification: self-signed certificate in "
	       "certificate chain\n",
	       "another CA's bundle");
	ident("edge.key", "edge-fullchain.cer", "edge.key", T0);
	is_str(sb_str(&lines),
	       "SUCCESS: Key and certificate pair match\n"
	       "FAILURE: edge.key does not contain a certificate\n",
	       "a key as the bundle");
	{
		/* A symlink in the upload directory is refused; so is a chain
		 * out of order. */
		char *link = xasprintf("%s/link.cer", tmpdir), *target = fix("edge.cer");
		char *bad = xasprintf("%s/bad-chain.cer", tmpdir);
		char *k = fix("edge.key"), *c1 = fix("edge.cer"), *c2 = fix("root.cer");
		char *d1 = NULL, *d2 = NULL;
		size_t n1 = 0, n2 = 0;
		FILE *f;

		ok(symlink(target, link) == 0, "symlink made");
		sb_reset(&lines);
		cv_certs_check_identity(NULL, k, link, NULL, T0, collect, NULL, NULL, NULL);
		is_str(sb_str(&lines), "FAILURE: Unable to read file link.cer\n", "symlink refused");
		cv_file_read(c1, CV_CERTS_FILE_MAX, &d1, &n1);
		cv_file_read(c2, CV_CERTS_FILE_MAX, &d2, &n2);
		f = fopen(bad, "w");
		if (f) {
			fwrite(d1, 1, n1, f);
			fwrite(d2, 1, n2, f);
			fclose(f);
		}
		sb_reset(&lines);
		cv_certs_check_identity(NULL, k, bad, NULL, T0, collect, NULL, NULL, NULL);
		is_str(sb_str(&lines),
		       "SUCCESS: Key and certificate pair match\n"
		       "FAILURE: certificate chain in bad-chain.cer is out of order: certificate 2 "
		       "did not issue certificate 1\n",
		       "a chain that skips the intermediate");
		unlink(link);
		unlink(bad);
		free(link);
		free(target);
		free(bad);
		free(k);
		free(c1);
		free(c2);
		free(d1);
		free(d2);
	}
	{
		char *t = fix("chain.cer"), *g = fix("garbage.txt");

		sb_reset(&lines);
		ok(cv_certs_check_trust(NULL, t, collect, NULL) == 0 && lines.len == 0, "trust file ok");
		ok(cv_certs_check_trust(NULL, g, collect, NULL) == -EINVAL, "garbage trust refused");
		is_str(sb_str(&lines), "FAILURE: garbage.txt does not contain a certificate\n",
		       "garbage trust line");
		free(t);
		free(g);
	}
}

static void test_priority(void)
{
	char buf[2048], err[256];

	err[0] = '\0';
	ok(cv_tls_priority("default", "1.2", false, buf, sizeof(buf), err, sizeof(err)) == 0,
	   "default priority");
	is_str(buf, "NORMAL:+VERS-TLS1.2:-VERS-TLS1.1:-VERS-TLS1.0:%SERVER_PRECEDENCE",
	       "default, minimum 1.2");
	ok(cv_tls_priority(NULL, "1.3", false, buf, sizeof(buf), err, sizeof(err)) == 0 &&
		   strstr(buf, "-VERS-TLS1.2"),
	   "minimum 1.3 removes 1.2");
	ok(cv_tls_priority("default", "1.0", false, buf, sizeof(buf), err, sizeof(err)) == 0 &&
		   strstr(buf, "+VERS-TLS1.0"),
	   "minimum 1.0 adds 1.0");
	ok(cv_tls_priority("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384", "1.2", false,
			   buf, sizeof(buf), err, sizeof(err)) == 0,
	   "an OpenSSL list translates");
	is_str(buf,
	       "NORMAL:-CIPHER-ALL:-MAC-ALL:-KX-ALL:+ECDHE-RSA:+AES-128-GCM:+AES-256-GCM:+AEAD:"
	       "+VERS-TLS1.2:-VERS-TLS1.1:-VERS-TLS1.0:%SERVER_PRECEDENCE",
	       "the translation");
	ok(cv_tls_priority("TLS_AES_256_GCM_SHA384", "1.3", false, buf, sizeof(buf), err,
			   sizeof(err)) == 0,
	   "a TLS 1.3 suite name");
	ok(cv_tls_priority("SECURE256:-VERS-TLS1.0", "1.2", false, buf, sizeof(buf), err,
			   sizeof(err)) == 0 &&
		   strncmp(buf, "SECURE256:-VERS-TLS1.0:", 23) == 0,
	   "a GnuTLS priority string is kept");
	err[0] = '\0';
	ok(cv_tls_priority("HIGH:!aNULL", "1.2", false, buf, sizeof(buf), err, sizeof(err)) ==
			   -EINVAL &&
		   strstr(err, "unknown cipher suite \"HIGH\""),
	   "OpenSSL keywords are refused: %s", err);
	err[0] = '\0';
	ok(cv_tls_priority("NORMAL:+BOGUS", "1.2", false, buf, sizeof(buf), err, sizeof(err)) ==
			   -EINVAL &&
		   strstr(err, "GnuTLS does not accept \"+BOGUS\""),
	   "GnuTLS refuses a bad keyword: %s", err);
	ok(cv_tls_priority("default", "1.0", true, buf, sizeof(buf), err, sizeof(err)) == 0 &&
		   strstr(buf, "+VERS-DTLS1.0"),
	   "DTLS minimum 1.0");
	err[0] = '\0';
	ok(cv_tls_priority("default", "1.3", true, buf, sizeof(buf), err, sizeof(err)) == -EINVAL,
	   "DTLS has no 1.3 here: %s", err);
}

int main(void)
{
	const char *src = getenv("top_srcdir");

	fixdir = xasprintf("%s/tests/golden/fixtures/pki", src ? src : ".");
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! mkdtemp failed\n");
		return 1;
	}
	cv_certs_init();
	test_kind();
	test_keys();
	test_lists();
	test_match_validity();
	test_verify();
	test_names();
	test_generate();
	test_pkcs12();
	test_describe();
	test_identity();
	test_priority();
	rmdir(tmpdir);
	sb_free(&lines);
	free(fixdir);
	return tap_done();
}
