/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Keys, certificates, chains and bundles with GnuTLS: loading (PEM or DER,
 * encrypted keys with a passphrase, PKCS #12), key/certificate matching,
 * chain verification with a reason, host-name matching (RFC 6125), CSR and
 * self-signed generation, and the identity check that the enable-time
 * checks of mmp (services/mmpd/cmd_services.c), the pki commands (services/mmpd/cmd_pki.c)
 * and the TLS layer (certs/tls.c) all use, so that they agree on what a
 * valid certificate is.
 *
 * Everything works on bytes in memory; files are read with lib/file.h
 * (never through a link, only regular files, at most CV_CERTS_FILE_MAX).
 * Functions return 0 or a negative errno; where an operator-facing reason
 * is useful they take a buffer (err, errlen) and fill it with a short
 * lowercase text without a trailing period ("not a private key").
 * Returned GnuTLS objects and buffers belong to the caller.
 */
#ifndef CV_CERTS_H
#define CV_CERTS_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lib/strbuf.h"

/* Cap on a key, certificate, bundle or PKCS #12 file. */
#define CV_CERTS_FILE_MAX (1u << 20)
/* Cap on the number of certificates in one file (a system CA bundle has
 * about 150). */
#define CV_CERTS_LIST_MAX 512u

/* Calls gnutls_global_init() once per process (GnuTLS >= 3.3 does it at
 * load time too; this keeps the order explicit). Idempotent. */
void cv_certs_init(void);

/* --- what a file holds ------------------------------------------------- */

enum cv_certs_kind {
	CV_CERTS_UNKNOWN,
	CV_CERTS_CERT,	  /* one or more X.509 certificates */
	CV_CERTS_KEY,	  /* a private key */
	CV_CERTS_ENC_KEY, /* an encrypted private key (PKCS #8 or OpenSSL PEM) */
	CV_CERTS_CSR,	  /* a PKCS #10 certificate request */
	CV_CERTS_PKCS12,  /* a PKCS #12 bundle */
};

/* Sniffs data: the kind, and whether it is DER (not PEM). */
enum cv_certs_kind cv_certs_kind(const void *data, size_t len, bool *ret_der);

/* --- keys -------------------------------------------------------------- */

/*
 * Loads a private key (RSA, ECDSA, Ed25519; PKCS #1, SEC1 or PKCS #8; PEM
 * or DER). password decrypts an encrypted key; NULL for none.
 * -ENOKEY: the key is encrypted and no password was given;
 * -EKEYREJECTED: the password is wrong; -EINVAL: not a private key.
 */
int cv_certs_key_load(const void *data, size_t len, const char *password,
		      gnutls_x509_privkey_t *ret_key);
/* "RSA 2048 bits", "ECDSA P-256", ... into buf. */
void cv_certs_key_describe(gnutls_x509_privkey_t key, char *buf, size_t len);
/* The key as unencrypted PKCS #8 PEM. */
int cv_certs_key_export(gnutls_x509_privkey_t key, char **ret_pem, size_t *ret_len);

enum cv_certs_keytype {
	CV_CERTS_RSA2048,
	CV_CERTS_ECDSA_P256,
};

int cv_certs_key_generate(enum cv_certs_keytype type, gnutls_x509_privkey_t *ret_key);

/* --- certificate lists ------------------------------------------------- */

/* A list of certificates, in file order (a full chain is leaf first). */
struct cv_certs_list {
	gnutls_x509_crt_t *crt;
	unsigned n;
};

/* Loads every certificate of a PEM file, or the one of a DER file.
 * -EINVAL when there is none (or one is malformed), -E2BIG past
 * CV_CERTS_LIST_MAX. */
int cv_certs_list_load(const void *data, size_t len, struct cv_certs_list *ret);
void cv_certs_list_free(struct cv_certs_list *l);
/* Appends copies of the certificates of src not already in dst. */
void cv_certs_list_append(struct cv_certs_list *dst, const struct cv_certs_list *src);
/* PEM of every certificate of l, in order. */
int cv_certs_list_export(const struct cv_certs_list *l, char **ret_pem, size_t *ret_len);

/* 1 when key is the private key of crt's public key, 0 when not, <0 on
 * error. */
int cv_certs_key_matches(gnutls_x509_privkey_t key, gnutls_x509_crt_t crt);
/* The same for a certificate request (PEM or DER in data); -EINVAL when
 * data is not one. */
int cv_certs_key_matches_csr(gnutls_x509_privkey_t key, const void *data, size_t len);

enum cv_certs_validity {
	CV_CERTS_VALID,
	CV_CERTS_EXPIRED,
	CV_CERTS_NOT_YET_VALID,
};

enum cv_certs_validity cv_certs_validity(gnutls_x509_crt_t crt, time_t now);

/* Checks that each certificate of a chain is issued (and signed) by the
 * next one. Returns 0, or -EINVAL with *ret_bad the 0-based index of the
 * first certificate whose successor did not issue it. */
int cv_certs_chain_order(const struct cv_certs_list *chain, unsigned *ret_bad);

/*
 * Verifies chain (leaf first, intermediates after it in any order) against
 * the trust anchors: the certificates of trust, or the system CA store when
 * trust is NULL. Validity dates are checked at now for every certificate
 * of the path, the anchor included. Returns 0, or -EBADMSG with an
 * OpenSSL-style reason in reason ("unable to get local issuer
 * certificate", "certificate has expired", "self-signed certificate", ...).
 */
int cv_certs_verify(const struct cv_certs_list *chain, const struct cv_certs_list *trust,
		    time_t now, char *reason, size_t reasonlen);

/* Maps the status bits of a GnuTLS verification to the same reasons
 * (used by the TLS layer). nchain is the length of the verified chain and
 * top_self_signed tells whether its last certificate is self-signed. */
const char *cv_certs_status_reason(unsigned status, bool top_self_signed, unsigned nchain);

/* --- names (RFC 6125) -------------------------------------------------- */

/*
 * True when the DNS-ID pattern (from a certificate) matches host. Case is
 * ignored, one trailing dot on either side is ignored. A wildcard is only
 * accepted as the whole left-most label ("*.example.com"), matches exactly
 * one non-empty label, and needs at least two labels after it; no other
 * use of '*' matches anything (RFC 6125 6.4.3, CA/Browser Forum BR 3.2.2.6).
 * IDNs must be in their A-label (xn--) form on both sides.
 */
bool cv_certs_name_match(const char *pattern, const char *host);
/* True when crt is valid for host: an IPv4/IPv6 literal is compared with
 * the iPAddress SANs; a name with the dNSName SANs, or with the subject CN
 * when the certificate has no dNSName SAN at all (RFC 6125 6.4.4). */
bool cv_certs_host_match(gnutls_x509_crt_t crt, const char *host);

/* --- generation -------------------------------------------------------- */

#define CV_CERTS_MAX_SANS 16

struct cv_certs_subject {
	const char *cn, *ou, *o, *l, *st, *c, *email; /* NULL when absent */
	const char *sans[CV_CERTS_MAX_SANS];	       /* host names or IP literals */
	size_t nsans;
};

/* Checks a subject given by an operator (lengths, character sets, country
 * code, SAN syntax). -EINVAL with the reason in err. */
int cv_certs_subject_check(const struct cv_certs_subject *s, char *err, size_t errlen);
/* A PKCS #10 request for key, signed with it (SHA-256). */
int cv_certs_csr_generate(gnutls_x509_privkey_t key, const struct cv_certs_subject *s,
			  char **ret_pem, size_t *ret_len);
/* A self-signed certificate for key: a random 16-byte serial, valid from
 * now minus one hour for days days, server and client purposes. */
int cv_certs_selfsigned_generate(gnutls_x509_privkey_t key, const struct cv_certs_subject *s,
				 time_t now, unsigned days, gnutls_x509_crt_t *ret_crt);

/* Parses a PKCS #12 bundle (DER or PEM) with password (NULL or "" for
 * none): the key, and the chain leaf first followed by any other
 * certificates. -EKEYREJECTED: wrong password; -EINVAL: not PKCS #12 or no
 * key and certificate in it. */
int cv_certs_pkcs12_parse(const void *data, size_t len, const char *password,
			  gnutls_x509_privkey_t *ret_key, struct cv_certs_list *ret_chain);

/* --- reports ------------------------------------------------------------ */

/* "pki inspect": describes data (named name) in the lines of spec/mmp.md
 * section 4. Returns 0, or -EINVAL (after "Checking ..." and a FAILURE
 * line) when data is none of the known kinds. */
int cv_certs_describe(const char *name, const void *data, size_t len, struct strbuf *out);

/* Where the checks below read their files: read() fills a NUL-terminated
 * buffer of at most CV_CERTS_FILE_MAX bytes for name (the caller frees it)
 * or returns a negative errno. A NULL reader means names are paths, read
 * with cv_file_read() (lib/file.h); the enable-time checks read upload
 * files through mmpd's fixed operations instead. */
struct cv_certs_reader {
	int (*read)(void *opaque, const char *name, char **ret, size_t *ret_len);
	void *opaque;
};

/* An enable-time check result line: ok is false for a FAILURE line. */
typedef void (*cv_certs_emit_fn)(void *arg, bool ok, const char *line);

/*
 * The identity check of spec/mmp.md 1.4 items 3-5 for a key, a certificate
 * (or full chain) and an optional CA bundle, read through rd (lines name
 * them by their base name). Emits, in order and stopping at the first
 * failure:
 *   FAILURE: Unable to read file <f>
 *   FAILURE: <key> is not a private key | is encrypted (use pki unlock <key>)
 *   FAILURE: <crt> does not contain a certificate
 *   SUCCESS: Key and certificate pair match | FAILURE: Key and certificate do not match
 *   FAILURE: certificate <crt> has expired | is not yet valid
 *     (for a certificate after the first: "certificate <i> in <crt> ...")
 *   FAILURE: certificate chain in <crt> is out of order: certificate <i+1>
 *            did not issue certificate <i>
 *   SUCCESS: certificate verified against CA bundle
 *     | FAILURE: certificate failed verification: <reason>   (with a bundle)
 * Returns 0 when everything passed, -EINVAL otherwise. The chain, when
 * wanted (ret_key/ret_chain non-NULL), is handed over on success.
 */
int cv_certs_check_identity(const struct cv_certs_reader *rd, const char *key_path,
			    const char *crt_path, const char *bundle_path, time_t now,
			    cv_certs_emit_fn emit, void *arg,
			    gnutls_x509_privkey_t *ret_key, struct cv_certs_list *ret_chain);

/* A trust file (CA bundle used to verify peers) must hold at least one
 * certificate: emits "FAILURE: Unable to read file <f>" or
 * "FAILURE: <f> does not contain a certificate" and returns -EINVAL. */
int cv_certs_check_trust(const struct cv_certs_reader *rd, const char *path,
			 cv_certs_emit_fn emit, void *arg);

#endif
