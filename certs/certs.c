// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Keys, certificates, chains and bundles with GnuTLS (certs.h): loading,
 * matching, verification with OpenSSL-style reasons, RFC 6125 names, CSR and
 * self-signed generation, PKCS #12, the "pki inspect" report and the identity
 * check shared by the enable-time checks and the TLS layer. The decisions
 * are in certs/README.md.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/pkcs12.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certs/certs.h"
#include "lib/file.h"
#include "lib/mem.h"
#include "lib/parse.h"

void cv_certs_init(void)
{
	static bool done;

	if (!done) {
		gnutls_global_init();
		done = true;
	}
}

static gnutls_datum_t datum(const void *data, size_t len)
{
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)data, (unsigned)len };

	return d;
}

/* --- sniffing ------------------------------------------------------------- */

/* The label of the first PEM block at or after p ("CERTIFICATE"), copied
 * into label; NULL when there is none. Returns a pointer past the line. */
static const char *pem_next(const char *p, const char *end, char *label, size_t len)
{
	static const char begin[] = "-----BEGIN ";

	while (p && p < end) {
		const char *b = memmem(p, (size_t)(end - p), begin, sizeof(begin) - 1);
		const char *l, *dash;

		if (!b)
			return NULL;
		l = b + sizeof(begin) - 1;
		dash = memmem(l, (size_t)(end - l), "-----", 5);
		if (!dash)
			return NULL;
		if ((size_t)(dash - l) < len && !memchr(l, '\n', (size_t)(dash - l))) {
			memcpy(label, l, (size_t)(dash - l));
			label[dash - l] = '\0';
			return dash + 5;
		}
		p = dash + 5;
	}
	return NULL;
}

static bool is_pem(const void *data, size_t len)
{
	char label[64];

	return pem_next(data, (const char *)data + len, label, sizeof(label)) != NULL;
}

/* True when data holds a PEM block with one of the labels. */
static bool pem_has(const void *data, size_t len, const char *const *labels)
{
	const char *p = data, *end = p + len;
	char label[64];

	while ((p = pem_next(p, end, label, sizeof(label))) != NULL)
		for (const char *const *l = labels; *l; l++)
			if (strcmp(label, *l) == 0)
				return true;
	return false;
}

static const char *const pem_cert_labels[] = { "CERTIFICATE", "X509 CERTIFICATE",
					       "TRUSTED CERTIFICATE", NULL };
static const char *const pem_key_labels[] = { "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY",
					      "DSA PRIVATE KEY", NULL };
static const char *const pem_enckey_labels[] = { "ENCRYPTED PRIVATE KEY", NULL };
static const char *const pem_csr_labels[] = { "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST",
					      NULL };
static const char *const pem_p12_labels[] = { "PKCS12", NULL };

/* An OpenSSL "traditional" encrypted key: a key block with a Proc-Type
 * header (RFC 1421 4.6.1.1). */
static bool pem_openssl_encrypted(const void *data, size_t len)
{
	return pem_has(data, len, pem_key_labels) &&
	       memmem(data, len, "Proc-Type: 4,ENCRYPTED", 22) != NULL;
}

/* Cap on the key-derivation iterations of an encrypted key or PKCS #12
 * file: a hostile file could otherwise keep mmpd busy for hours. OpenSSL
 * and certtool write 2048 to 600000. */
#define MAX_KDF_ITER 5000000u

/* -EINVAL when an encrypted PKCS #8 key asks for more than MAX_KDF_ITER. */
static int pkcs8_iter_ok(const void *data, size_t len, gnutls_x509_crt_fmt_t fmt)
{
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)data, (unsigned)len };
	unsigned schema = 0, cipher = 0, iter = 0;

	if (gnutls_pkcs8_info(&d, fmt, &schema, &cipher, NULL, NULL, &iter, NULL) == 0 &&
	    iter > MAX_KDF_ITER)
		return -EINVAL;
	return 0;
}

static bool der_is_enc_pkcs8(const void *data, size_t len)
{
	gnutls_datum_t d = datum(data, len);
	unsigned schema = 0, cipher = 0;

	return gnutls_pkcs8_info(&d, GNUTLS_X509_FMT_DER, &schema, &cipher, NULL, NULL, NULL,
				 NULL) == 0;
}

enum cv_certs_kind cv_certs_kind(const void *data, size_t len, bool *ret_der)
{
	gnutls_datum_t d = datum(data, len);
	enum cv_certs_kind k = CV_CERTS_UNKNOWN;

	cv_certs_init();
	*ret_der = false;
	if (len == 0)
		return CV_CERTS_UNKNOWN;
	if (is_pem(data, len)) {
		if (pem_has(data, len, pem_cert_labels))
			return CV_CERTS_CERT;
		if (pem_has(data, len, pem_enckey_labels) || pem_openssl_encrypted(data, len))
			return CV_CERTS_ENC_KEY;
		if (pem_has(data, len, pem_key_labels))
			return CV_CERTS_KEY;
		if (pem_has(data, len, pem_csr_labels))
			return CV_CERTS_CSR;
		if (pem_has(data, len, pem_p12_labels))
			return CV_CERTS_PKCS12;
		return CV_CERTS_UNKNOWN;
	}
	/* DER: try each structure. */
	{
		gnutls_x509_crt_t crt;
		gnutls_x509_crq_t crq;
		gnutls_x509_privkey_t key;
		gnutls_pkcs12_t p12;

		gnutls_x509_crt_init(&crt);
		if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) == 0)
			k = CV_CERTS_CERT;
		gnutls_x509_crt_deinit(crt);
		if (k == CV_CERTS_UNKNOWN) {
			gnutls_x509_crq_init(&crq);
			if (gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_DER) == 0)
				k = CV_CERTS_CSR;
			gnutls_x509_crq_deinit(crq);
		}
		if (k == CV_CERTS_UNKNOWN && der_is_enc_pkcs8(data, len))
			k = CV_CERTS_ENC_KEY;
		if (k == CV_CERTS_UNKNOWN) {
			gnutls_x509_privkey_init(&key);
			if (gnutls_x509_privkey_import2(key, &d, GNUTLS_X509_FMT_DER, NULL,
							GNUTLS_PKCS_PLAIN) == 0)
				k = CV_CERTS_KEY;
			gnutls_x509_privkey_deinit(key);
		}
		if (k == CV_CERTS_UNKNOWN) {
			gnutls_pkcs12_init(&p12);
			if (gnutls_pkcs12_import(p12, &d, GNUTLS_X509_FMT_DER, 0) == 0)
				k = CV_CERTS_PKCS12;
			gnutls_pkcs12_deinit(p12);
		}
	}
	if (k != CV_CERTS_UNKNOWN)
		*ret_der = true;
	return k;
}

/* --- keys ------------------------------------------------------------------ */

int cv_certs_key_load(const void *data, size_t len, const char *password,
		      gnutls_x509_privkey_t *ret_key)
{
	gnutls_datum_t d = datum(data, len);
	gnutls_x509_crt_fmt_t fmt;
	gnutls_x509_privkey_t key;
	bool encrypted;
	int r;

	cv_certs_init();
	if (len == 0)
		return -EINVAL;
	if (is_pem(data, len)) {
		fmt = GNUTLS_X509_FMT_PEM;
		encrypted = pem_has(data, len, pem_enckey_labels) ||
			    pem_openssl_encrypted(data, len);
		if (!encrypted && !pem_has(data, len, pem_key_labels))
			return -EINVAL;
	} else {
		fmt = GNUTLS_X509_FMT_DER;
		encrypted = der_is_enc_pkcs8(data, len);
	}
	if (encrypted && !password)
		return -ENOKEY;
	if (encrypted && pkcs8_iter_ok(data, len, fmt) < 0)
		return -EINVAL;
	gnutls_x509_privkey_init(&key);
	r = gnutls_x509_privkey_import2(key, &d, fmt, encrypted ? password : NULL,
					encrypted ? 0 : GNUTLS_PKCS_PLAIN);
	if (r < 0) {
		gnutls_x509_privkey_deinit(key);
		return encrypted && r == GNUTLS_E_DECRYPTION_FAILED ? -EKEYREJECTED : -EINVAL;
	}
	*ret_key = key;
	return 0;
}

static const char *pk_name(int algo)
{
	switch (algo) {
	case GNUTLS_PK_RSA:
		return "RSA";
	case GNUTLS_PK_RSA_PSS:
		return "RSA-PSS";
	case GNUTLS_PK_DSA:
		return "DSA";
	case GNUTLS_PK_ECDSA:
		return "ECDSA";
	case GNUTLS_PK_EDDSA_ED25519:
		return "Ed25519";
	case GNUTLS_PK_EDDSA_ED448:
		return "Ed448";
	default:
		return "unknown";
	}
}

void cv_certs_key_describe(gnutls_x509_privkey_t key, char *buf, size_t len)
{
	unsigned bits = 0;
	int algo = gnutls_x509_privkey_get_pk_algorithm2(key, &bits);

	snprintf(buf, len, "%s %u bits", pk_name(algo), bits);
}

static int datum_to_buf(gnutls_datum_t *d, char **ret, size_t *ret_len)
{
	char *b = xmalloc((size_t)d->size + 1);

	memcpy(b, d->data, d->size);
	b[d->size] = '\0';
	*ret = b;
	*ret_len = d->size;
	gnutls_free(d->data);
	d->data = NULL;
	return 0;
}

int cv_certs_key_export(gnutls_x509_privkey_t key, char **ret_pem, size_t *ret_len)
{
	gnutls_datum_t out = { NULL, 0 };

	if (gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
					      &out) < 0)
		return -EINVAL;
	return datum_to_buf(&out, ret_pem, ret_len);
}

int cv_certs_key_generate(enum cv_certs_keytype type, gnutls_x509_privkey_t *ret_key)
{
	gnutls_x509_privkey_t key;
	int r;

	cv_certs_init();
	gnutls_x509_privkey_init(&key);
	if (type == CV_CERTS_ECDSA_P256)
		r = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
						 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
						 0);
	else
		r = gnutls_x509_privkey_generate(key, GNUTLS_PK_RSA, 2048, 0);
	if (r < 0) {
		gnutls_x509_privkey_deinit(key);
		return -EIO;
	}
	*ret_key = key;
	return 0;
}

/* --- certificate lists -------------------------------------------------------- */

static void list_add(struct cv_certs_list *l, gnutls_x509_crt_t crt)
{
	l->crt = xrealloc(l->crt, ((size_t)l->n + 1) * sizeof(*l->crt));
	l->crt[l->n++] = crt;
}

int cv_certs_list_load(const void *data, size_t len, struct cv_certs_list *ret)
{
	gnutls_datum_t d = datum(data, len);
	struct cv_certs_list l = { NULL, 0 };

	cv_certs_init();
	if (len == 0)
		return -EINVAL;
	if (is_pem(data, len)) {
		gnutls_x509_crt_t *crts = NULL;
		unsigned n = 0;
		int r;

		if (!pem_has(data, len, pem_cert_labels))
			return -EINVAL;
		r = gnutls_x509_crt_list_import2(&crts, &n, &d, GNUTLS_X509_FMT_PEM, 0);
		if (r < 0 || n == 0)
			return -EINVAL;
		if (n > CV_CERTS_LIST_MAX) {
			for (unsigned i = 0; i < n; i++)
				gnutls_x509_crt_deinit(crts[i]);
			gnutls_free(crts);
			return -E2BIG;
		}
		for (unsigned i = 0; i < n; i++)
			list_add(&l, crts[i]);
		gnutls_free(crts);
	} else {
		gnutls_x509_crt_t crt;

		gnutls_x509_crt_init(&crt);
		if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crt);
			return -EINVAL;
		}
		list_add(&l, crt);
	}
	*ret = l;
	return 0;
}

void cv_certs_list_free(struct cv_certs_list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		gnutls_x509_crt_deinit(l->crt[i]);
	free(l->crt);
	l->crt = NULL;
	l->n = 0;
}

static gnutls_x509_crt_t crt_dup(gnutls_x509_crt_t c)
{
	gnutls_datum_t der = { NULL, 0 };
	gnutls_x509_crt_t copy;

	if (gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_DER, &der) < 0)
		return NULL;
	gnutls_x509_crt_init(&copy);
	if (gnutls_x509_crt_import(copy, &der, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(copy);
		copy = NULL;
	}
	gnutls_free(der.data);
	return copy;
}

void cv_certs_list_append(struct cv_certs_list *dst, const struct cv_certs_list *src)
{
	for (unsigned i = 0; i < src->n; i++) {
		bool have = false;
		gnutls_x509_crt_t c;

		for (unsigned j = 0; j < dst->n && !have; j++)
			have = gnutls_x509_crt_equals(dst->crt[j], src->crt[i]);
		if (!have && dst->n < CV_CERTS_LIST_MAX && (c = crt_dup(src->crt[i])) != NULL)
			list_add(dst, c);
	}
}

int cv_certs_list_export(const struct cv_certs_list *l, char **ret_pem, size_t *ret_len)
{
	struct strbuf sb = STRBUF_INIT;

	for (unsigned i = 0; i < l->n; i++) {
		gnutls_datum_t out = { NULL, 0 };

		if (gnutls_x509_crt_export2(l->crt[i], GNUTLS_X509_FMT_PEM, &out) < 0) {
			sb_free(&sb);
			return -EINVAL;
		}
		sb_put(&sb, (const char *)out.data, out.size);
		gnutls_free(out.data);
	}
	*ret_len = sb.len;
	*ret_pem = sb_steal(&sb);
	return 0;
}

int cv_certs_key_matches(gnutls_x509_privkey_t key, gnutls_x509_crt_t crt)
{
	unsigned char a[64], b[64];
	size_t na = sizeof(a), nb = sizeof(b);

	if (gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, a, &na) < 0 ||
	    gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, b, &nb) < 0)
		return -EINVAL;
	return na == nb && memcmp(a, b, na) == 0;
}

int cv_certs_key_matches_csr(gnutls_x509_privkey_t key, const void *data, size_t len)
{
	gnutls_datum_t d = datum(data, len);
	unsigned char a[64], b[64];
	size_t na = sizeof(a), nb = sizeof(b);
	gnutls_x509_crq_t crq;
	int r;

	if (len == 0)
		return -EINVAL;
	gnutls_x509_crq_init(&crq);
	if (gnutls_x509_crq_import(crq, &d, is_pem(data, len) ? GNUTLS_X509_FMT_PEM
							       : GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_crq_get_key_id(crq, GNUTLS_KEYID_USE_SHA256, b, &nb) < 0) {
		gnutls_x509_crq_deinit(crq);
		return -EINVAL;
	}
	gnutls_x509_crq_deinit(crq);
	r = gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, a, &na);
	if (r < 0)
		return -EINVAL;
	return na == nb && memcmp(a, b, na) == 0;
}

enum cv_certs_validity cv_certs_validity(gnutls_x509_crt_t crt, time_t now)
{
	time_t from = gnutls_x509_crt_get_activation_time(crt);
	time_t to = gnutls_x509_crt_get_expiration_time(crt);

	/* (time_t)-1: no well-defined time (RFC 5280 4.1.2.5 99991231235959Z). */
	if (from != (time_t)-1 && now < from)
		return CV_CERTS_NOT_YET_VALID;
	if (to != (time_t)-1 && now > to)
		return CV_CERTS_EXPIRED;
	return CV_CERTS_VALID;
}

/* False, with the reason verification would give, when crt is outside its
 * dates at now. */
static bool within_dates(gnutls_x509_crt_t crt, time_t now, char *reason, size_t reasonlen)
{
	enum cv_certs_validity v = cv_certs_validity(crt, now);

	if (v == CV_CERTS_VALID)
		return true;
	snprintf(reason, reasonlen, "%s",
		 v == CV_CERTS_EXPIRED ? "certificate has expired" : "certificate is not yet valid");
	return false;
}

/* Verification flags of our own checks: dates are compared with the
 * caller's clock instead (README: Time). */
#define NO_TIME (GNUTLS_VERIFY_DISABLE_TIME_CHECKS | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS)

int cv_certs_chain_order(const struct cv_certs_list *chain, unsigned *ret_bad)
{
	for (unsigned i = 0; i + 1 < chain->n; i++) {
		unsigned status = 0;

		if (!gnutls_x509_crt_check_issuer(chain->crt[i], chain->crt[i + 1]) ||
		    gnutls_x509_crt_verify(chain->crt[i], &chain->crt[i + 1], 1, NO_TIME,
					   &status) < 0 ||
		    (status & (GNUTLS_CERT_SIGNATURE_FAILURE | GNUTLS_CERT_SIGNER_NOT_FOUND))) {
			*ret_bad = i;
			return -EINVAL;
		}
	}
	return 0;
}

static bool self_signed(gnutls_x509_crt_t c)
{
	return gnutls_x509_crt_check_issuer(c, c) != 0;
}

const char *cv_certs_status_reason(unsigned status, bool top_self_signed, unsigned nchain)
{
	/* In the order OpenSSL would meet them: the path first, then each
	 * certificate's own problems. */
	if (status & GNUTLS_CERT_SIGNER_NOT_FOUND) {
		if (top_self_signed)
			return nchain > 1 ? "self-signed certificate in certificate chain"
					  : "self-signed certificate";
		return "unable to get local issuer certificate";
	}
	if (status & GNUTLS_CERT_REVOKED)
		return "certificate revoked";
	if (status & GNUTLS_CERT_SIGNER_NOT_CA)
		return "invalid CA certificate";
	if (status & GNUTLS_CERT_SIGNATURE_FAILURE)
		return "certificate signature failure";
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		return "insecure algorithm";
	if (status & GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE)
		return "CA constraints violated";
	if (status & GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS)
		return "unhandled critical extension";
	if (status & GNUTLS_CERT_EXPIRED)
		return "certificate has expired";
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		return "certificate is not yet valid";
	if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
		return "unsupported certificate purpose";
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
		return "hostname mismatch";
	if (status & GNUTLS_CERT_MISSING_OCSP_STATUS)
		return "no OCSP status";
	if (status & (GNUTLS_CERT_INVALID_OCSP_STATUS | GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED |
		      GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE))
		return "invalid OCSP status";
	return "certificate verification failed";
}

int cv_certs_verify(const struct cv_certs_list *chain, const struct cv_certs_list *trust,
		    time_t now, char *reason, size_t reasonlen)
{
	gnutls_x509_trust_list_t tl;
	gnutls_x509_crt_t anchor = NULL;
	unsigned status = 0;
	int r;

	cv_certs_init();
	if (chain->n == 0) {
		snprintf(reason, reasonlen, "no certificate");
		return -EBADMSG;
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
		snprintf(reason, reasonlen, "out of memory");
		return -ENOMEM;
	}
	if (trust) {
		for (unsigned i = 0; i < trust->n; i++) {
			gnutls_x509_crt_t c = crt_dup(trust->crt[i]);

			/* The trust list owns c from here (freed by deinit(all)). */
			if (c && gnutls_x509_trust_list_add_cas(tl, &c, 1, 0) != 1)
				gnutls_x509_crt_deinit(c);
		}
	} else {
		gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	}
	r = gnutls_x509_trust_list_verify_crt2(tl, chain->crt, chain->n, NULL, 0, NO_TIME,
					       &status, NULL);
	if (r < 0 || status) {
		snprintf(reason, reasonlen, "%s",
			 r < 0 ? "certificate verification failed"
			       : cv_certs_status_reason(status,
							self_signed(chain->crt[chain->n - 1]),
							chain->n));
		gnutls_x509_trust_list_deinit(tl, 1);
		return -EBADMSG;
	}
	/* Dates on the path: the certificates of the chain, then the anchor
	 * that issued the last of them. */
	for (unsigned i = 0; i < chain->n; i++)
		if (!within_dates(chain->crt[i], now, reason, reasonlen)) {
			gnutls_x509_trust_list_deinit(tl, 1);
			return -EBADMSG;
		}
	if (gnutls_x509_trust_list_get_issuer(tl, chain->crt[chain->n - 1], &anchor,
					      GNUTLS_TL_GET_COPY) == 0) {
		bool ok = within_dates(anchor, now, reason, reasonlen);

		gnutls_x509_crt_deinit(anchor);
		if (!ok) {
			gnutls_x509_trust_list_deinit(tl, 1);
			return -EBADMSG;
		}
	}
	gnutls_x509_trust_list_deinit(tl, 1);
	return 0;
}

/* --- names (RFC 6125) --------------------------------------------------------- */

/* Length without one trailing dot. */
static size_t name_len(const char *s)
{
	size_t n = strlen(s);

	return n > 1 && s[n - 1] == '.' ? n - 1 : n;
}

/* Every label non-empty, no '*' (a reference identifier, RFC 6125 6.2). */
static bool host_ok(const char *h, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (h[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (h[i] == '*' || (unsigned char)h[i] <= 0x20 || (unsigned char)h[i] >= 0x7f)
			return false;
		label++;
	}
	return label > 0;
}

bool cv_certs_name_match(const char *pattern, const char *host)
{
	size_t pn = name_len(pattern), hn = name_len(host);
	const char *hdot;

	if (!host_ok(host, hn) || pn == 0)
		return false;
	if (!memchr(pattern, '*', pn))
		return pn == hn && strncasecmp(pattern, host, pn) == 0;
	/* RFC 6125 6.4.3: only "*" as the whole left-most label, one label. */
	if (pn < 3 || pattern[0] != '*' || pattern[1] != '.' || memchr(pattern + 1, '*', pn - 1))
		return false;
	/* At least two labels after the wildcard ("*.com" matches nothing). */
	if (!memchr(pattern + 2, '.', pn - 2) || !host_ok(pattern + 2, pn - 2))
		return false;
	hdot = memchr(host, '.', hn);
	if (!hdot || hdot == host)
		return false;
	return (size_t)(host + hn - (hdot + 1)) == pn - 2 &&
	       strncasecmp(hdot + 1, pattern + 2, pn - 2) == 0;
}

bool cv_certs_host_match(gnutls_x509_crt_t crt, const char *host)
{
	unsigned char ip[16];
	size_t iplen = 0;
	bool have_dns = false;
	char buf[1024];

	if (inet_pton(AF_INET, host, ip) == 1)
		iplen = 4;
	else if (inet_pton(AF_INET6, host, ip) == 1)
		iplen = 16;
	for (unsigned seq = 0; seq < 1024; seq++) {
		size_t n = sizeof(buf) - 1;
		unsigned crit = 0;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, seq, buf, &n, &crit);

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type == GNUTLS_E_SHORT_MEMORY_BUFFER || type < 0)
			continue;
		if (type == GNUTLS_SAN_IPADDRESS) {
			if (iplen && n == iplen && memcmp(buf, ip, iplen) == 0)
				return true;
		} else if (type == GNUTLS_SAN_DNSNAME) {
			have_dns = true;
			buf[n] = '\0';
			if (!iplen && strlen(buf) == n && cv_certs_name_match(buf, host))
				return true;
		}
	}
	if (iplen || have_dns)
		return false;
	/* RFC 6125 6.4.4: the CN only without any dNSName SAN; the most
	 * specific (last) CN. */
	for (int idx = 16; idx >= 0; idx--) {
		size_t n = sizeof(buf) - 1;

		if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, (unsigned)idx, 0,
						  buf, &n) == 0) {
			buf[n] = '\0';
			return strlen(buf) == n && cv_certs_name_match(buf, host);
		}
	}
	return false;
}

/* --- generation ----------------------------------------------------------------- */

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return false;
	return true;
}

/* A DNS-ID we are willing to put in a certificate: a host name, optionally
 * with "*." in front. */
static bool san_dns_ok(const char *s)
{
	if (strncmp(s, "*.", 2) == 0)
		s += 2;
	return cv_parse_hostname(s) == 0;
}

static bool san_ip(const char *s, unsigned char *ip, size_t *ret_len)
{
	if (inet_pton(AF_INET, s, ip) == 1) {
		*ret_len = 4;
		return true;
	}
	if (inet_pton(AF_INET6, s, ip) == 1) {
		*ret_len = 16;
		return true;
	}
	return false;
}

/* One SAN as GnuTLS takes it: an address (4 or 16 bytes in ip) or a DNS
 * name. CSRs and certificates have separate setters with the same shape. */
struct san_value {
	gnutls_x509_subject_alt_name_t type;
	const void *data;
	unsigned len;
};

static struct san_value san_value(const char *s, unsigned char ip[16])
{
	size_t n;

	if (san_ip(s, ip, &n))
		return (struct san_value){ GNUTLS_SAN_IPADDRESS, ip, (unsigned)n };
	return (struct san_value){ GNUTLS_SAN_DNSNAME, s, (unsigned)strlen(s) };
}

int cv_certs_subject_check(const struct cv_certs_subject *s, char *err, size_t errlen)
{
	/* X.520 upper bounds (RFC 5280 appendix A.1). */
	static const struct {
		const char *what;
		size_t off, max;
	} f[] = {
		{ "CN", offsetof(struct cv_certs_subject, cn), 64 },
		{ "OU", offsetof(struct cv_certs_subject, ou), 64 },
		{ "O", offsetof(struct cv_certs_subject, o), 64 },
		{ "L", offsetof(struct cv_certs_subject, l), 128 },
		{ "ST", offsetof(struct cv_certs_subject, st), 128 },
		{ "emailAddress", offsetof(struct cv_certs_subject, email), 128 },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		const char *v = *(const char *const *)((const char *)s + f[i].off);

		if (!v)
			continue;
		if (!*v || strlen(v) > f[i].max || !printable(v)) {
			snprintf(err, errlen, "Invalid %s \"%s\": 1 to %zu printable characters",
				 f[i].what, v, f[i].max);
			return -EINVAL;
		}
	}
	if (s->c && !(strlen(s->c) == 2 && ((s->c[0] >= 'A' && s->c[0] <= 'Z') ||
					     (s->c[0] >= 'a' && s->c[0] <= 'z')) &&
		      ((s->c[1] >= 'A' && s->c[1] <= 'Z') || (s->c[1] >= 'a' && s->c[1] <= 'z')))) {
		snprintf(err, errlen, "Invalid C \"%s\": a two-letter country code", s->c);
		return -EINVAL;
	}
	if (s->email && (!strchr(s->email, '@') || strchr(s->email, ' '))) {
		snprintf(err, errlen, "Invalid emailAddress \"%s\"", s->email);
		return -EINVAL;
	}
	for (size_t i = 0; i < s->nsans; i++) {
		unsigned char ip[16];
		size_t n;

		if (!san_ip(s->sans[i], ip, &n) && !san_dns_ok(s->sans[i])) {
			snprintf(err, errlen, "Invalid subjectAltName \"%s\"", s->sans[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/* Sets the DN of a request or a certificate, most general first (C, ST,
 * L, O, OU, CN, email), so RFC 4514 strings show the CN first. */
typedef int (*set_dn_fn)(void *obj, const char *oid, const char *v);

static int crq_set_dn(void *obj, const char *oid, const char *v)
{
	return gnutls_x509_crq_set_dn_by_oid(obj, oid, 0, v, (unsigned)strlen(v));
}

static int crt_set_dn(void *obj, const char *oid, const char *v)
{
	return gnutls_x509_crt_set_dn_by_oid(obj, oid, 0, v, (unsigned)strlen(v));
}

static int set_subject(void *obj, set_dn_fn fn, const struct cv_certs_subject *s)
{
	const struct {
		const char *oid;
		const char *v;
	} rdn[] = {
		{ GNUTLS_OID_X520_COUNTRY_NAME, s->c },
		{ GNUTLS_OID_X520_STATE_OR_PROVINCE_NAME, s->st },
		{ GNUTLS_OID_X520_LOCALITY_NAME, s->l },
		{ GNUTLS_OID_X520_ORGANIZATION_NAME, s->o },
		{ GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, s->ou },
		{ GNUTLS_OID_X520_COMMON_NAME, s->cn },
		{ GNUTLS_OID_PKCS9_EMAIL, s->email },
	};

	for (size_t i = 0; i < sizeof(rdn) / sizeof(rdn[0]); i++)
		if (rdn[i].v && fn(obj, rdn[i].oid, rdn[i].v) < 0)
			return -EINVAL;
	return 0;
}

static unsigned key_usage_for(gnutls_x509_privkey_t key)
{
	unsigned bits = 0;
	int algo = gnutls_x509_privkey_get_pk_algorithm2(key, &bits);

	/* RSA key transport needs keyEncipherment (RFC 5280 4.2.1.3). */
	return GNUTLS_KEY_DIGITAL_SIGNATURE |
	       (algo == GNUTLS_PK_RSA ? GNUTLS_KEY_KEY_ENCIPHERMENT : 0u);
}

int cv_certs_csr_generate(gnutls_x509_privkey_t key, const struct cv_certs_subject *s,
			  char **ret_pem, size_t *ret_len)
{
	gnutls_x509_crq_t crq;
	gnutls_privkey_t pk = NULL;
	gnutls_datum_t out = { NULL, 0 };
	int r = -EINVAL;

	cv_certs_init();
	gnutls_x509_crq_init(&crq);
	if (gnutls_x509_crq_set_version(crq, 1) < 0 || set_subject(crq, crq_set_dn, s) < 0 ||
	    gnutls_x509_crq_set_key(crq, key) < 0)
		goto out;
	for (size_t i = 0; i < s->nsans; i++) {
		unsigned char ip[16];
		struct san_value v = san_value(s->sans[i], ip);

		r = gnutls_x509_crq_set_subject_alt_name(crq, v.type, v.data, v.len,
							 GNUTLS_FSAN_APPEND);
		if (r < 0) {
			r = -EINVAL;
			goto out;
		}
	}
	r = -EINVAL;
	if (gnutls_x509_crq_set_key_usage(crq, key_usage_for(key)) < 0 ||
	    gnutls_x509_crq_set_key_purpose_oid(crq, GNUTLS_KP_TLS_WWW_SERVER, 0) < 0 ||
	    gnutls_x509_crq_set_key_purpose_oid(crq, GNUTLS_KP_TLS_WWW_CLIENT, 0) < 0)
		goto out;
	gnutls_privkey_init(&pk);
	if (gnutls_privkey_import_x509(pk, key, 0) < 0 ||
	    gnutls_x509_crq_privkey_sign(crq, pk, GNUTLS_DIG_SHA256, 0) < 0 ||
	    gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_PEM, &out) < 0)
		goto out;
	r = datum_to_buf(&out, ret_pem, ret_len);
out:
	if (pk)
		gnutls_privkey_deinit(pk);
	gnutls_x509_crq_deinit(crq);
	return r;
}

int cv_certs_selfsigned_generate(gnutls_x509_privkey_t key, const struct cv_certs_subject *s,
				 time_t now, unsigned days, gnutls_x509_crt_t *ret_crt)
{
	unsigned char serial[16], keyid[64];
	size_t kidlen = sizeof(keyid);
	gnutls_privkey_t pk = NULL;
	gnutls_x509_crt_t crt;
	int r = -EINVAL;

	cv_certs_init();
	if (gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)) < 0)
		return -EIO;
	/* A positive INTEGER of 16 octets (RFC 5280 4.1.2.2). */
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);
	gnutls_x509_crt_init(&crt);
	if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - 3600) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now + (time_t)days * 86400) < 0 ||
	    set_subject(crt, crt_set_dn, s) < 0 || gnutls_x509_crt_set_key(crt, key) < 0)
		goto out;
	for (size_t i = 0; i < s->nsans; i++) {
		unsigned char ip[16];
		struct san_value v = san_value(s->sans[i], ip);

		if (gnutls_x509_crt_set_subject_alt_name(crt, v.type, v.data, v.len,
							 GNUTLS_FSAN_APPEND) < 0)
			goto out;
	}
	if (gnutls_x509_crt_set_basic_constraints(crt, 0, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(crt, key_usage_for(key)) < 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0) < 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0) < 0 ||
	    gnutls_x509_crt_get_key_id(crt, 0, keyid, &kidlen) < 0 ||
	    gnutls_x509_crt_set_subject_key_id(crt, keyid, kidlen) < 0)
		goto out;
	gnutls_privkey_init(&pk);
	if (gnutls_privkey_import_x509(pk, key, 0) < 0 ||
	    gnutls_x509_crt_privkey_sign(crt, crt, pk, GNUTLS_DIG_SHA256, 0) < 0)
		goto out;
	/* GnuTLS reads some fields (SANs) and verifies a certificate from its
	 * encoded form: hand back a parsed copy of what was signed. */
	*ret_crt = crt_dup(crt);
	r = *ret_crt ? 0 : -EINVAL;
out:
	if (pk)
		gnutls_privkey_deinit(pk);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	return r;
}

/* The MAC and every encrypted bag within MAX_KDF_ITER iterations. */
static int pkcs12_iter_ok(gnutls_pkcs12_t p12)
{
	unsigned mac = 0, iter = 0;
	char *oid = NULL;
	int r;

	/* GnuTLS 3.7 allocates the OID even when not asked for it; take it
	 * and free it. */
	r = gnutls_pkcs12_mac_info(p12, &mac, NULL, NULL, &iter, &oid);
	gnutls_free(oid);
	if (r == 0 && iter > MAX_KDF_ITER)
		return -EINVAL;
	for (int i = 0; i < 64; i++) {
		gnutls_pkcs12_bag_t bag;
		unsigned schema = 0, cipher = 0;
		char *boid = NULL;
		int be;

		gnutls_pkcs12_bag_init(&bag);
		r = gnutls_pkcs12_get_bag(p12, i, bag);
		if (r < 0) {
			gnutls_pkcs12_bag_deinit(bag);
			break;
		}
		iter = 0;
		if (gnutls_pkcs12_bag_get_type(bag, 0) == GNUTLS_BAG_ENCRYPTED) {
			be = gnutls_pkcs12_bag_enc_info(bag, &schema, &cipher, NULL, NULL, &iter,
							&boid);
			gnutls_free(boid);
			if (be == 0 && iter > MAX_KDF_ITER) {
				gnutls_pkcs12_bag_deinit(bag);
				return -EINVAL;
			}
		}
		gnutls_pkcs12_bag_deinit(bag);
	}
	return 0;
}

int cv_certs_pkcs12_parse(const void *data, size_t len, const char *password,
			  gnutls_x509_privkey_t *ret_key, struct cv_certs_list *ret_chain)
{
	gnutls_datum_t d = datum(data, len);
	gnutls_x509_crt_t *chain = NULL, *extra = NULL;
	unsigned nchain = 0, nextra = 0;
	gnutls_x509_privkey_t key = NULL;
	struct cv_certs_list l = { NULL, 0 };
	const char *pw = password ? password : "";
	gnutls_pkcs12_t p12;
	int r;

	cv_certs_init();
	if (len == 0)
		return -EINVAL;
	gnutls_pkcs12_init(&p12);
	if (gnutls_pkcs12_import(p12, &d, GNUTLS_X509_FMT_DER, 0) < 0 &&
	    gnutls_pkcs12_import(p12, &d, GNUTLS_X509_FMT_PEM, 0) < 0) {
		gnutls_pkcs12_deinit(p12);
		return -EINVAL;
	}
	if (pkcs12_iter_ok(p12) < 0) {
		gnutls_pkcs12_deinit(p12);
		return -EINVAL;
	}
	/* An empty password is "" for some writers and absent for others. */
	if (gnutls_pkcs12_verify_mac(p12, pw) < 0) {
		if (*pw || gnutls_pkcs12_verify_mac(p12, NULL) < 0) {
			gnutls_pkcs12_deinit(p12);
			return -EKEYREJECTED;
		}
		pw = NULL;
	}
	r = gnutls_pkcs12_simple_parse(p12, pw, &key, &chain, &nchain, &extra, &nextra, NULL, 0);
	gnutls_pkcs12_deinit(p12);
	if (r < 0 || !key || nchain == 0) {
		if (key)
			gnutls_x509_privkey_deinit(key);
		for (unsigned i = 0; i < nchain; i++)
			gnutls_x509_crt_deinit(chain[i]);
		for (unsigned i = 0; i < nextra; i++)
			gnutls_x509_crt_deinit(extra[i]);
		gnutls_free(chain);
		gnutls_free(extra);
		return r == GNUTLS_E_DECRYPTION_FAILED ? -EKEYREJECTED : -EINVAL;
	}
	for (unsigned i = 0; i < nchain; i++)
		list_add(&l, chain[i]);
	for (unsigned i = 0; i < nextra; i++)
		list_add(&l, extra[i]);
	gnutls_free(chain);
	gnutls_free(extra);
	*ret_key = key;
	*ret_chain = l;
	return 0;
}

/* --- pki inspect -------------------------------------------------------------- */

/* "Feb  1 00:00:00 2024 GMT" (OpenSSL's form), locale-independent. */
static void fmt_time(time_t t, char *buf, size_t len)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (t == (time_t)-1 || !gmtime_r(&t, &tm)) {
		snprintf(buf, len, "none");
		return;
	}
	snprintf(buf, len, "%s %2d %02d:%02d:%02d %d GMT", mon[tm.tm_mon], tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}

typedef int (*san_fn)(void *obj, unsigned seq, void *buf, size_t *len, unsigned *type);

static int crt_san(void *obj, unsigned seq, void *buf, size_t *len, unsigned *type)
{
	int r = gnutls_x509_crt_get_subject_alt_name(obj, seq, buf, len, NULL);

	*type = r >= 0 ? (unsigned)r : 0;
	return r < 0 ? r : 0;
}

static int crq_san(void *obj, unsigned seq, void *buf, size_t *len, unsigned *type)
{
	return gnutls_x509_crq_get_subject_alt_name(obj, seq, buf, len, type, NULL);
}

/* "DNS:a, DNS:b, IP:192.0.2.1" or "none". */
static void sans_line(void *obj, san_fn fn, struct strbuf *out)
{
	size_t start = out->len;

	for (unsigned seq = 0; seq < 256; seq++) {
		unsigned char buf[512];
		size_t n = sizeof(buf) - 1;
		unsigned type = 0;
		int r = fn(obj, seq, buf, &n, &type);
		const char *sep = out->len > start ? ", " : "";

		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r < 0)
			continue;
		buf[n] = '\0';
		switch (type) {
		case GNUTLS_SAN_DNSNAME:
			sb_printf(out, "%sDNS:%s", sep, printable((char *)buf) ? (char *)buf : "?");
			break;
		case GNUTLS_SAN_RFC822NAME:
			sb_printf(out, "%semail:%s", sep, printable((char *)buf) ? (char *)buf : "?");
			break;
		case GNUTLS_SAN_URI:
			sb_printf(out, "%sURI:%s", sep, printable((char *)buf) ? (char *)buf : "?");
			break;
		case GNUTLS_SAN_IPADDRESS: {
			char a[INET6_ADDRSTRLEN];

			if ((n == 4 && inet_ntop(AF_INET, buf, a, sizeof(a))) ||
			    (n == 16 && inet_ntop(AF_INET6, buf, a, sizeof(a))))
				sb_printf(out, "%sIP:%s", sep, a);
			break;
		}
		default:
			break;
		}
	}
	if (out->len == start)
		sb_puts(out, "none");
}

/* Control characters of a DN (possible in hostile files) become '?'. */
static void put_clean(struct strbuf *out, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_putc(out, s[i] < 0x20 || s[i] == 0x7f ? '?' : (char)s[i]);
}

static void dn_line(struct strbuf *out, const char *label, int r, gnutls_datum_t *dn)
{
	sb_puts(out, label);
	if (r < 0 || !dn->data || dn->size == 0)
		sb_puts(out, "(empty)");
	else
		put_clean(out, dn->data, dn->size);
	sb_putc(out, '\n');
	gnutls_free(dn->data);
	dn->data = NULL;
}

static void describe_crt(gnutls_x509_crt_t crt, struct strbuf *out)
{
	gnutls_datum_t dn = { NULL, 0 };
	unsigned char serial[64];
	size_t slen = sizeof(serial);
	unsigned bits = 0;
	int algo;
	char t[64];

	dn_line(out, "    Subject: ", gnutls_x509_crt_get_dn3(crt, &dn, 0), &dn);
	dn_line(out, "    Issuer:  ", gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0), &dn);
	fmt_time(gnutls_x509_crt_get_activation_time(crt), t, sizeof(t));
	sb_printf(out, "    Valid from: %s\n", t);
	fmt_time(gnutls_x509_crt_get_expiration_time(crt), t, sizeof(t));
	sb_printf(out, "    Valid to:   %s\n", t);
	sb_puts(out, "    Subject alternative names: ");
	sans_line(crt, crt_san, out);
	sb_putc(out, '\n');
	sb_puts(out, "    Serial number: ");
	if (gnutls_x509_crt_get_serial(crt, serial, &slen) == 0 && slen > 0) {
		for (size_t i = 0; i < slen; i++)
			sb_printf(out, "%02x", serial[i]);
	} else {
		sb_puts(out, "none");
	}
	sb_putc(out, '\n');
	algo = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
	sb_printf(out, "    Public key: %s %u bits\n", pk_name(algo), bits);
}

static const char *enc_name(bool der)
{
	return der ? "DER" : "PEM";
}

static int describe_csr(const void *data, size_t len, bool der, struct strbuf *out)
{
	gnutls_datum_t d = datum(data, len), dn = { NULL, 0 };
	gnutls_x509_crq_t crq;
	unsigned bits = 0;
	int algo;

	gnutls_x509_crq_init(&crq);
	if (gnutls_x509_crq_import(crq, &d, der ? GNUTLS_X509_FMT_DER : GNUTLS_X509_FMT_PEM) < 0) {
		gnutls_x509_crq_deinit(crq);
		return -EINVAL;
	}
	sb_printf(out, "File contains a %s encoded certificate signing request\n", enc_name(der));
	sb_puts(out, "Request details:\n");
	dn_line(out, "    Subject: ", gnutls_x509_crq_get_dn3(crq, &dn, 0), &dn);
	sb_puts(out, "    Subject alternative names: ");
	sans_line(crq, crq_san, out);
	sb_putc(out, '\n');
	algo = gnutls_x509_crq_get_pk_algorithm(crq, &bits);
	sb_printf(out, "    Public key: %s %u bits\n", pk_name(algo), bits);
	gnutls_x509_crq_deinit(crq);
	return 0;
}

int cv_certs_describe(const char *name, const void *data, size_t len, struct strbuf *out)
{
	bool der = false, any = false;
	enum cv_certs_kind kind = cv_certs_kind(data, len, &der);

	sb_printf(out, "Checking %s ...\n", name);
	/* A PEM file may hold certificates and a key together: describe both. */
	if (kind == CV_CERTS_CERT) {
		struct cv_certs_list l = { NULL, 0 };

		if (cv_certs_list_load(data, len, &l) == 0) {
			any = true;
			if (l.n == 1)
				sb_printf(out, "File contains a %s encoded certificate\n",
					  enc_name(der));
			else
				sb_printf(out, "File contains %u %s encoded certificates\n", l.n,
					  enc_name(der));
			for (unsigned i = 0; i < l.n; i++) {
				if (l.n == 1)
					sb_puts(out, "Certificate details:\n");
				else
					sb_printf(out, "Certificate %u details:\n", i + 1);
				describe_crt(l.crt[i], out);
			}
			cv_certs_list_free(&l);
		}
	}
	if (kind == CV_CERTS_ENC_KEY ||
	    (!der && (pem_has(data, len, pem_enckey_labels) || pem_openssl_encrypted(data, len)))) {
		any = true;
		sb_printf(out, "File contains an encrypted %s encoded private key\n", enc_name(der));
		sb_printf(out, "Use \"pki unlock %s\" to remove its passphrase\n", name);
	} else if (kind == CV_CERTS_KEY || (!der && pem_has(data, len, pem_key_labels))) {
		gnutls_x509_privkey_t key;

		if (cv_certs_key_load(data, len, NULL, &key) == 0) {
			char desc[64];

			any = true;
			cv_certs_key_describe(key, desc, sizeof(desc));
			sb_printf(out, "File contains a %s encoded private key\n", enc_name(der));
			sb_puts(out, "Key details:\n");
			sb_printf(out, "    Type: %s\n", desc);
			gnutls_x509_privkey_deinit(key);
		}
	}
	if (kind == CV_CERTS_CSR && describe_csr(data, len, der, out) == 0)
		any = true;
	if (kind == CV_CERTS_PKCS12) {
		any = true;
		sb_puts(out, "File contains a PKCS#12 bundle\n");
		sb_printf(out, "Use \"pki pkcs12-to-pem %s\" to extract its key and certificates\n",
			  name);
	}
	if (!any) {
		sb_printf(out,
			  "FAILURE: %s is not a key, certificate, certificate request or PKCS#12 "
			  "bundle\n",
			  name);
		return -EINVAL;
	}
	return 0;
}

/* --- the identity check ---------------------------------------------------------- */

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static void __attribute__((format(printf, 4, 5)))
emitf(cv_certs_emit_fn emit, void *arg, bool ok, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	emit(arg, ok, line);
}

static int read_or_emit(const struct cv_certs_reader *rd, const char *path, char **ret,
			size_t *ret_len, cv_certs_emit_fn emit, void *arg)
{
	int r = rd ? rd->read(rd->opaque, path, ret, ret_len)
		   : cv_file_read(path, CV_CERTS_FILE_MAX, ret, ret_len);

	if (r < 0) {
		emitf(emit, arg, false, "FAILURE: Unable to read file %s", base(path));
		return -EINVAL;
	}
	return 0;
}

int cv_certs_check_identity(const struct cv_certs_reader *rd, const char *key_path,
			    const char *crt_path, const char *bundle_path, time_t now,
			    cv_certs_emit_fn emit, void *arg,
			    gnutls_x509_privkey_t *ret_key, struct cv_certs_list *ret_chain)
{
	char *kdata = NULL, *cdata = NULL, *bdata = NULL;
	size_t klen = 0, clen = 0, blen = 0;
	struct cv_certs_list chain = { NULL, 0 }, bundle = { NULL, 0 };
	gnutls_x509_privkey_t key = NULL;
	unsigned bad;
	int r = -EINVAL, m;

	if (read_or_emit(rd, key_path, &kdata, &klen, emit, arg) < 0 ||
	    read_or_emit(rd, crt_path, &cdata, &clen, emit, arg) < 0 ||
	    (bundle_path && read_or_emit(rd, bundle_path, &bdata, &blen, emit, arg) < 0))
		goto out;
	m = cv_certs_key_load(kdata, klen, NULL, &key);
	if (m == -ENOKEY) {
		emitf(emit, arg, false, "FAILURE: %s is encrypted (use pki unlock %s)",
		      base(key_path), base(key_path));
		goto out;
	}
	if (m < 0) {
		emitf(emit, arg, false, "FAILURE: %s is not a private key", base(key_path));
		goto out;
	}
	if (cv_certs_list_load(cdata, clen, &chain) < 0) {
		emitf(emit, arg, false, "FAILURE: %s does not contain a certificate",
		      base(crt_path));
		goto out;
	}
	if (cv_certs_key_matches(key, chain.crt[0]) != 1) {
		emitf(emit, arg, false, "FAILURE: Key and certificate do not match");
		goto out;
	}
	emitf(emit, arg, true, "SUCCESS: Key and certificate pair match");
	for (unsigned i = 0; i < chain.n; i++) {
		enum cv_certs_validity v = cv_certs_validity(chain.crt[i], now);
		const char *what = v == CV_CERTS_EXPIRED ? "has expired" : "is not yet valid";

		if (v == CV_CERTS_VALID)
			continue;
		if (i == 0)
			emitf(emit, arg, false, "FAILURE: certificate %s %s", base(crt_path), what);
		else
			emitf(emit, arg, false, "FAILURE: certificate %u in %s %s", i + 1,
			      base(crt_path), what);
		goto out;
	}
	if (cv_certs_chain_order(&chain, &bad) < 0) {
		emitf(emit, arg, false,
		      "FAILURE: certificate chain in %s is out of order: certificate %u did not "
		      "issue certificate %u",
		      base(crt_path), bad + 2, bad + 1);
		goto out;
	}
	if (bundle_path) {
		char reason[128];

		if (cv_certs_list_load(bdata, blen, &bundle) < 0) {
			emitf(emit, arg, false, "FAILURE: %s does not contain a certificate",
			      base(bundle_path));
			goto out;
		}
		if (cv_certs_verify(&chain, &bundle, now, reason, sizeof(reason)) < 0) {
			emitf(emit, arg, false, "FAILURE: certificate failed verification: %s",
			      reason);
			goto out;
		}
		emitf(emit, arg, true, "SUCCESS: certificate verified against CA bundle");
	}
	r = 0;
	if (ret_key) {
		*ret_key = key;
		key = NULL;
	}
	if (ret_chain) {
		*ret_chain = chain;
		chain.crt = NULL;
		chain.n = 0;
	}
out:
	if (key)
		gnutls_x509_privkey_deinit(key);
	cv_certs_list_free(&chain);
	cv_certs_list_free(&bundle);
	free(kdata);
	free(cdata);
	free(bdata);
	return r;
}

int cv_certs_check_trust(const struct cv_certs_reader *rd, const char *path,
			 cv_certs_emit_fn emit, void *arg)
{
	struct cv_certs_list l = { NULL, 0 };
	char *data = NULL;
	size_t len = 0;
	int r;

	if (read_or_emit(rd, path, &data, &len, emit, arg) < 0)
		return -EINVAL;
	r = cv_certs_list_load(data, len, &l);
	free(data);
	if (r < 0) {
		emitf(emit, arg, false, "FAILURE: %s does not contain a certificate", base(path));
		return -EINVAL;
	}
	cv_certs_list_free(&l);
	return 0;
}
