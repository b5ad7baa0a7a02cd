// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pki commands (spec/mmp.md section 4): list, csr, selfsigned,
 * inspect, verify, match, unlock and pkcs12-to-pem, on the files of the
 * upload directory, through certs/certs.h (the same library the enable-time
 * checks and the services use).
 *
 * Decisions (spec 4 marks these [REC]/[INF]; they are ours):
 *  - Roles: admin and crypto (spec 15.6).
 *  - pki list: every regular file of the upload directory (no filter by
 *    extension), oldest modification time first (upload order, S4), equal
 *    times by name; dot files and symlinks are skipped.
 *  - pki csr / selfsigned take "NAME:value" attributes: CN, OU, O, L, ST,
 *    C, emailAddress, subjectAltName (comma-separated host names or IP
 *    addresses) as in spec 4, plus keytype:rsa (RSA 2048, the default) or
 *    keytype:ecdsa (P-256), and for selfsigned days:<1-3650> (default 365).
 *    Attribute names are matched ignoring case; each may be given once.
 *    Without CN the appliance's hostname is the CN. Without subjectAltName
 *    the CN becomes the only SAN when it is a host name (browsers ignore
 *    the CN, RFC 6125 6.4.4). The output is the S4 text without the
 *    progress dots ("Created key file tac.key and CSR tac.csr", "CSR file
 *    tac.csr ready for download via SFTP"); selfsigned prints "Created key
 *    file lab.key and certificate lab.crt".
 *  - Commands never overwrite a file they create (a key in use by a service
 *    would be lost): "FAILURE: <f> already exists". The files are written to
 *    a hidden temporary name, synced and linked into place; keys get mode
 *    0600, certificates and CSRs 0640, all owned by the owner of the upload
 *    directory with its group (so admin and crypto users can download the
 *    certificates and requests over SFTP, not the keys). If the second file of
 *    a pair cannot be written, the first is removed: a failed command
 *    leaves nothing behind.
 *  - pki verify <crt> [<bundle>]: the chain must be in order (leaf first),
 *    then it is verified against the bundle, or against the system CA store
 *    without one ("SUCCESS: certificate verified against the system CA
 *    store"). Dates are checked at the handlers' clock (pinned in the golden
 *    transcripts).
 *  - pki unlock rewrites the key in place (atomically, mode 0600) as
 *    unencrypted PKCS #8; the passphrase is a prompt, so it is never on the
 *    command line or in the audit log. A key that is not encrypted is left
 *    alone with a FAILURE line.
 *  - pki pkcs12-to-pem <p12> [<basename>] writes <basename>.key and
 *    <basename>.crt (leaf first, then the other certificates of the bundle);
 *    the basename defaults to the bundle's name without its extension.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "certs/certs.h"
#include "lib/clock.h"
#include "lib/conf.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/upload.h"
#include "services/mmpd/users.h"

#define PKI MMP_ROLES_PKI
#define DEFAULT_DAYS 365u
#define MAX_DAYS 3650u

/* --- the upload directory ------------------------------------------------------ */

/* Reads an upload file; prints the spec 14 FAILURE line when it cannot. */
static int read_upload(struct mmp_ctx *ctx, const char *name, char **ret, size_t *ret_len)
{
	if (mmp_upload_read(ctx->env, name, CV_CERTS_FILE_MAX, ret, ret_len) < 0)
		return mmp_fail(ctx, "FAILURE: Unable to read file %s", name);
	return 0;
}

/* --- pki list ------------------------------------------------------------------- */

static int pki_list(struct mmp_ctx *ctx)
{
	struct mmp_upfile *files = NULL;
	size_t n = 0;

	if (mmp_upload_list(ctx->env, &files, &n) < 0)
		return mmp_fail(ctx, "FAILURE: Unable to read the upload directory");
	mmp_printf(ctx, "User supplied certificates and keys:\n");
	for (size_t i = 0; i < n; i++)
		mmp_printf(ctx, "%s\n", files[i].name);
	mmp_upfiles_free(files, n);
	return 0;
}

/* --- pki csr, pki selfsigned ------------------------------------------------------------ */

struct gen_args {
	struct cv_certs_subject subj;
	enum cv_certs_keytype keytype;
	unsigned days;
	char *sanbuf; /* owns the SAN strings */
};

/* "CN:edge.example.com" and friends into a. */
static int parse_attrs(struct mmp_ctx *ctx, struct gen_args *a, bool selfsigned)
{
	static const char *const names[] = { "CN", "OU", "O", "L", "ST", "C", "emailAddress",
					     "subjectAltName", "keytype", "days" };
	bool seen[sizeof(names) / sizeof(names[0])] = { false };
	const struct mmp_val *v;
	size_t nv = mmp_vals(ctx, "attribute", &v);
	char err[160];

	memset(a, 0, sizeof(*a));
	a->keytype = CV_CERTS_RSA2048;
	a->days = DEFAULT_DAYS;
	/* The attributes are the last element of the syntax: consecutive. */
	for (size_t i = 0; i < nv; i++) {
		const char *tok = v[i].str, *colon = strchr(tok, ':'), *val;
		size_t k, nlen = colon ? (size_t)(colon - tok) : 0;

		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (colon && strlen(names[k]) == nlen && strncasecmp(tok, names[k], nlen) == 0)
				break;
		if (!colon || k == sizeof(names) / sizeof(names[0]) ||
		    (k == 9 && !selfsigned)) {
			return mmp_fail(ctx,
					"Unknown attribute \"%s\": use CN, OU, O, L, ST, C, "
					"emailAddress, subjectAltName%s",
					tok, selfsigned ? ", keytype or days" : " or keytype");
		}
		if (seen[k])
			return mmp_fail(ctx, "Duplicate attribute %s", names[k]);
		seen[k] = true;
		val = colon + 1;
		switch (k) {
		case 0:
			a->subj.cn = val;
			break;
		case 1:
			a->subj.ou = val;
			break;
		case 2:
			a->subj.o = val;
			break;
		case 3:
			a->subj.l = val;
			break;
		case 4:
			a->subj.st = val;
			break;
		case 5:
			a->subj.c = val;
			break;
		case 6:
			a->subj.email = val;
			break;
		case 7: {
			char *save = NULL, *s;

			free(a->sanbuf);
			a->sanbuf = xstrdup(val);
			for (s = strtok_r(a->sanbuf, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
				if (a->subj.nsans == CV_CERTS_MAX_SANS)
					return mmp_fail(ctx, "Too many subjectAltName entries (at most "
							     "%d)",
							CV_CERTS_MAX_SANS);
				a->subj.sans[a->subj.nsans++] = s;
			}
			if (a->subj.nsans == 0)
				return mmp_fail(ctx, "Invalid subjectAltName \"%s\"", val);
			break;
		}
		case 8:
			if (strcasecmp(val, "rsa") == 0)
				a->keytype = CV_CERTS_RSA2048;
			else if (strcasecmp(val, "ecdsa") == 0)
				a->keytype = CV_CERTS_ECDSA_P256;
			else
				return mmp_fail(ctx, "Invalid keytype \"%s\": rsa or ecdsa", val);
			break;
		case 9: {
			unsigned long d;

			if (cv_parse_ulong(val, 1, MAX_DAYS, &d) < 0)
				return mmp_fail(ctx, "Invalid days \"%s\": 1 to %u", val, MAX_DAYS);
			a->days = (unsigned)d;
			break;
		}
		}
	}
	if (!a->subj.cn)
		a->subj.cn = cv_conf_get_str(ctx->doc, "hostname", "CMS");
	if (a->subj.nsans == 0 && cv_parse_hostname(strncmp(a->subj.cn, "*.", 2) == 0
							    ? a->subj.cn + 2
							    : a->subj.cn) == 0) {
		a->subj.sans[0] = a->subj.cn;
		a->subj.nsans = 1;
	}
	if (cv_certs_subject_check(&a->subj, err, sizeof(err)) < 0)
		return mmp_fail(ctx, "%s", err);
	return 0;
}

/* <basename>.<ext> must be a valid upload file name. */
static int out_name(struct mmp_ctx *ctx, const char *base, const char *ext, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s.%s", base, ext) >= len || base[0] == '.' ||
	    cv_parse_filename(buf) < 0)
		return mmp_fail(ctx, "Invalid file name \"%s\"", base);
	return 0;
}

static int refuse_existing(struct mmp_ctx *ctx, const char *a, const char *b)
{
	if (mmp_upload_exists(ctx->env, a))
		return mmp_fail(ctx, "FAILURE: %s already exists", a);
	if (b && mmp_upload_exists(ctx->env, b))
		return mmp_fail(ctx, "FAILURE: %s already exists", b);
	return 0;
}

/* Writes the key file then the second file; on a failure neither stays. */
static int write_pair(struct mmp_ctx *ctx, const char *keyname, const char *keypem, size_t keylen,
		      const char *name2, const char *pem2, size_t len2)
{
	int r = mmp_upload_write(ctx->env, keyname, keypem, keylen, 0600, true);

	if (r < 0)
		return mmp_fail(ctx, "FAILURE: cannot write %s: %s", keyname, strerror(-r));
	r = mmp_upload_write(ctx->env, name2, pem2, len2, 0640, true);
	if (r < 0) {
		mmp_upload_remove(ctx->env, keyname);
		return mmp_fail(ctx, "FAILURE: cannot write %s: %s", name2, strerror(-r));
	}
	return 0;
}

static int pki_generate(struct mmp_ctx *ctx, bool selfsigned)
{
	const char *base = mmp_arg(ctx, "basename");
	char keyname[CV_FILENAME_MAX + 8], outname[CV_FILENAME_MAX + 8];
	gnutls_x509_privkey_t key = NULL;
	char *keypem = NULL, *outpem = NULL;
	size_t keylen = 0, outlen = 0;
	struct gen_args a;
	int r = -1;

	if (!ctx->env || !ctx->env->ops)
		return mmp_fail(ctx, "FAILURE: Unable to read the upload directory");
	if (out_name(ctx, base, "key", keyname, sizeof(keyname)) < 0 ||
	    out_name(ctx, base, selfsigned ? "crt" : "csr", outname, sizeof(outname)) < 0)
		return -1;
	if (parse_attrs(ctx, &a, selfsigned) < 0)
		goto out;
	if (refuse_existing(ctx, keyname, outname) < 0)
		goto out;
	if (cv_certs_key_generate(a.keytype, &key) < 0 ||
	    cv_certs_key_export(key, &keypem, &keylen) < 0) {
		mmp_fail(ctx, "FAILURE: key generation failed");
		goto out;
	}
	if (selfsigned) {
		gnutls_x509_crt_t crt = NULL;
		struct cv_certs_list l = { NULL, 0 };

		if (cv_certs_selfsigned_generate(key, &a.subj, cv_now(), a.days, &crt) < 0) {
			mmp_fail(ctx, "FAILURE: certificate generation failed");
			goto out;
		}
		l.crt = &crt;
		l.n = 1;
		r = cv_certs_list_export(&l, &outpem, &outlen);
		gnutls_x509_crt_deinit(crt);
		if (r < 0) {
			mmp_fail(ctx, "FAILURE: certificate generation failed");
			goto out;
		}
	} else if (cv_certs_csr_generate(key, &a.subj, &outpem, &outlen) < 0) {
		mmp_fail(ctx, "FAILURE: CSR generation failed");
		goto out;
	}
	r = write_pair(ctx, keyname, keypem, keylen, outname, outpem, outlen);
	if (r < 0)
		goto out;
	if (selfsigned) {
		mmp_printf(ctx, "Created key file %s and certificate %s\n", keyname, outname);
	} else {
		mmp_printf(ctx, "Created key file %s and CSR %s\n", keyname, outname);
		mmp_printf(ctx, "CSR file %s ready for download via SFTP\n", outname);
	}
	r = 0;
out:
	if (key)
		gnutls_x509_privkey_deinit(key);
	if (keypem) {
		explicit_bzero(keypem, keylen);
		free(keypem);
	}
	free(outpem);
	free(a.sanbuf);
	return r;
}

static int pki_csr(struct mmp_ctx *ctx)
{
	return pki_generate(ctx, false);
}

static int pki_selfsigned(struct mmp_ctx *ctx)
{
	return pki_generate(ctx, true);
}

/* --- pki inspect, verify, match --------------------------------------------------------- */

static int pki_inspect(struct mmp_ctx *ctx)
{
	const char *name = mmp_arg(ctx, "file");
	struct strbuf sb = STRBUF_INIT;
	char *data = NULL;
	size_t len = 0;
	int r;

	if (read_upload(ctx, name, &data, &len) < 0)
		return -1;
	r = cv_certs_describe(name, data, len, &sb);
	mmp_printf(ctx, "%s", sb_str(&sb));
	sb_free(&sb);
	free(data);
	return r < 0 ? -1 : 0;
}

/* The certificates of an upload file, with the FAILURE lines of spec 14. */
static int load_list(struct mmp_ctx *ctx, const char *name, struct cv_certs_list *ret)
{
	char *data = NULL;
	size_t len = 0;
	int r;

	if (read_upload(ctx, name, &data, &len) < 0)
		return -1;
	r = cv_certs_list_load(data, len, ret);
	free(data);
	if (r < 0)
		return mmp_fail(ctx, "FAILURE: %s does not contain a certificate", name);
	return 0;
}

static int pki_verify(struct mmp_ctx *ctx)
{
	const char *crt = mmp_arg(ctx, "crt"), *bundle = mmp_arg(ctx, "bundle");
	struct cv_certs_list chain = { NULL, 0 }, trust = { NULL, 0 };
	char reason[128];
	unsigned bad;
	int r = -1;

	if (load_list(ctx, crt, &chain) < 0 || (bundle && load_list(ctx, bundle, &trust) < 0))
		goto out;
	if (cv_certs_chain_order(&chain, &bad) < 0) {
		mmp_fail(ctx,
			 "FAILURE: certificate chain in %s is out of order: certificate %u did not "
			 "issue certificate %u",
			 crt, bad + 2, bad + 1);
		goto out;
	}
	if (cv_certs_verify(&chain, bundle ? &trust : NULL, cv_now(), reason,
			    sizeof(reason)) < 0) {
		mmp_fail(ctx, "FAILURE: certificate failed verification: %s", reason);
		goto out;
	}
	mmp_printf(ctx, "SUCCESS: certificate verified against %s\n",
		   bundle ? "CA bundle" : "the system CA store");
	r = 0;
out:
	cv_certs_list_free(&chain);
	cv_certs_list_free(&trust);
	return r;
}

/* A private key from an upload file; FAILURE lines for the usual reasons. */
static int load_key(struct mmp_ctx *ctx, const char *name, gnutls_x509_privkey_t *ret)
{
	char *data = NULL;
	size_t len = 0;
	int r;

	if (read_upload(ctx, name, &data, &len) < 0)
		return -1;
	r = cv_certs_key_load(data, len, NULL, ret);
	explicit_bzero(data, len);
	free(data);
	if (r == -ENOKEY)
		return mmp_fail(ctx, "FAILURE: %s is encrypted (use pki unlock %s)", name, name);
	if (r < 0)
		return mmp_fail(ctx, "FAILURE: %s is not a private key", name);
	return 0;
}

static int pki_match(struct mmp_ctx *ctx)
{
	const char *kname = mmp_arg(ctx, "key"), *cname = mmp_arg(ctx, "crt");
	struct cv_certs_list chain = { NULL, 0 };
	gnutls_x509_privkey_t key = NULL;
	char *data = NULL;
	size_t len = 0;
	bool der;
	int r = -1, m;

	if (load_key(ctx, kname, &key) < 0 || read_upload(ctx, cname, &data, &len) < 0)
		goto out;
	/* A CSR made for the key pairs with it too (before it goes to a CA). */
	if (cv_certs_kind(data, len, &der) == CV_CERTS_CSR) {
		if (cv_certs_key_matches_csr(key, data, len) != 1) {
			mmp_fail(ctx, "FAILURE: Key and CSR do not match");
			goto out;
		}
		mmp_printf(ctx, "SUCCESS: Key and CSR pair match\n");
		r = 0;
		goto out;
	}
	if (cv_certs_list_load(data, len, &chain) < 0) {
		mmp_fail(ctx, "FAILURE: %s does not contain a certificate", cname);
		goto out;
	}
	m = cv_certs_key_matches(key, chain.crt[0]);
	if (m != 1) {
		mmp_fail(ctx, "FAILURE: Key and certificate do not match");
		goto out;
	}
	mmp_printf(ctx, "SUCCESS: Key and certificate pair match\n");
	r = 0;
out:
	if (key)
		gnutls_x509_privkey_deinit(key);
	cv_certs_list_free(&chain);
	free(data);
	return r;
}

/* --- pki unlock, pki pkcs12-to-pem -------------------------------------------------------- */

static const char *answer(const struct mmp_ctx *ctx)
{
	return ctx->ninput > 0 && ctx->input[0] ? ctx->input[0] : "";
}

static int pki_unlock(struct mmp_ctx *ctx)
{
	const char *name = mmp_arg(ctx, "key");
	gnutls_x509_privkey_t key = NULL;
	char *data = NULL, *pem = NULL;
	size_t len = 0, plen = 0;
	int r;

	if (read_upload(ctx, name, &data, &len) < 0)
		return -1;
	r = cv_certs_key_load(data, len, NULL, &key);
	if (r == 0) {
		gnutls_x509_privkey_deinit(key);
		explicit_bzero(data, len);
		free(data);
		return mmp_fail(ctx, "FAILURE: %s is not encrypted", name);
	}
	if (r == -ENOKEY)
		r = cv_certs_key_load(data, len, answer(ctx), &key);
	explicit_bzero(data, len);
	free(data);
	if (r == -EKEYREJECTED)
		return mmp_fail(ctx, "FAILURE: wrong passphrase for %s", name);
	if (r < 0)
		return mmp_fail(ctx, "FAILURE: %s is not a private key", name);
	r = cv_certs_key_export(key, &pem, &plen);
	gnutls_x509_privkey_deinit(key);
	if (r == 0)
		r = mmp_upload_write(ctx->env, name, pem, plen, 0600, false);
	if (pem) {
		explicit_bzero(pem, plen);
		free(pem);
	}
	if (r < 0)
		return mmp_fail(ctx, "FAILURE: cannot write %s: %s", name, strerror(-r));
	mmp_printf(ctx, "SUCCESS: passphrase removed from %s\n", name);
	return 0;
}

static int pki_p12(struct mmp_ctx *ctx)
{
	const char *p12 = mmp_arg(ctx, "file"), *base = mmp_arg(ctx, "basename");
	char keyname[CV_FILENAME_MAX + 8], crtname[CV_FILENAME_MAX + 8], stem[CV_FILENAME_MAX + 1];
	struct cv_certs_list chain = { NULL, 0 };
	gnutls_x509_privkey_t key = NULL;
	char *data = NULL, *keypem = NULL, *crtpem = NULL;
	size_t len = 0, keylen = 0, crtlen = 0;
	int r = -1;

	if (!base) {
		/* "edge.p12" -> "edge" */
		const char *dot = strrchr(p12, '.');
		size_t n = dot && dot != p12 ? (size_t)(dot - p12) : strlen(p12);

		snprintf(stem, sizeof(stem), "%.*s", (int)n, p12);
		base = stem;
	}
	if (out_name(ctx, base, "key", keyname, sizeof(keyname)) < 0 ||
	    out_name(ctx, base, "crt", crtname, sizeof(crtname)) < 0)
		return -1;
	if (read_upload(ctx, p12, &data, &len) < 0)
		return -1;
	r = cv_certs_pkcs12_parse(data, len, answer(ctx), &key, &chain);
	free(data);
	if (r == -EKEYREJECTED)
		return mmp_fail(ctx, "FAILURE: wrong password for %s", p12);
	if (r < 0)
		return mmp_fail(ctx, "FAILURE: %s is not a PKCS#12 bundle with a key and certificate",
				p12);
	r = -1;
	if (refuse_existing(ctx, keyname, crtname) < 0)
		goto out;
	if (cv_certs_key_export(key, &keypem, &keylen) < 0 ||
	    cv_certs_list_export(&chain, &crtpem, &crtlen) < 0) {
		mmp_fail(ctx, "FAILURE: cannot convert %s", p12);
		goto out;
	}
	if (write_pair(ctx, keyname, keypem, keylen, crtname, crtpem, crtlen) < 0)
		goto out;
	mmp_printf(ctx, "Created key file %s and certificate file %s (%u certificate%s, leaf first)\n",
		   keyname, crtname, chain.n, chain.n == 1 ? "" : "s");
	r = 0;
out:
	gnutls_x509_privkey_deinit(key);
	cv_certs_list_free(&chain);
	if (keypem) {
		explicit_bzero(keypem, keylen);
		free(keypem);
	}
	free(crtpem);
	return r;
}

/* --- the table ------------------------------------------------------------------------- */

static const struct mmp_prompt unlock_prompt[] = {
	{ "Enter the passphrase of the key: ", true },
	{ NULL, false },
};

static const struct mmp_prompt p12_prompt[] = {
	{ "Enter the PKCS#12 password: ", true },
	{ NULL, false },
};

static const struct mmp_cmd cmds[] = {
	{ "pki list", "Lists the user-supplied keys and certificates", PKI, pki_list },
	{ "pki csr <basename> [<attribute>]...",
	  "Creates <basename>.key and a CSR <basename>.csr; attributes CN:, OU:, O:, L:, ST:, C:, "
	  "emailAddress:, subjectAltName:<n1>,<n2>, keytype:(rsa|ecdsa)",
	  PKI, pki_csr },
	{ "pki selfsigned <basename> [<attribute>]...",
	  "Creates <basename>.key and a self-signed <basename>.crt; attributes as for csr, and "
	  "days:<n>",
	  PKI, pki_selfsigned },
	{ "pki inspect <file>", "Shows what a key, certificate, CSR or PKCS#12 file holds", PKI,
	  pki_inspect },
	{ "pki verify <crt> [<bundle>]", "Verifies a certificate chain against a CA bundle", PKI,
	  pki_verify },
	{ "pki match <key> <crt>", "Checks that a key and a certificate pair", PKI, pki_match },
	{ "pki unlock <key>", "Removes the passphrase from an encrypted key (asks for it)", PKI,
	  pki_unlock, unlock_prompt },
	{ "pki pkcs12-to-pem <file> [<basename>]",
	  "Converts a PKCS#12 bundle to <basename>.key and <basename>.crt (asks for its password)",
	  PKI, pki_p12, p12_prompt },
};

MMP_AREA(mmp_area_pki, "pki", cmds);
