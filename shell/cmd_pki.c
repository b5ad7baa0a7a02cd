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
 *    0600, certificates and CSRs 0644, all owned by the owner of the upload
 *    directory (so the SFTP user can download them). If the second file of
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

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "certs/certs.h"
#include "lib/conf.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "shell/cmd_areas.h"
#include "shell/users.h"

#define PKI MMP_ROLES_PKI
#define DEFAULT_DAYS 365u
#define MAX_DAYS 3650u

/* --- the upload directory ------------------------------------------------------ */

static char *upath(const struct mmp_ctx *ctx, const char *name)
{
	return xasprintf("%s/%s", ctx->env->upload_dir, name);
}

static bool have_upload_dir(struct mmp_ctx *ctx)
{
	return ctx->env && ctx->env->upload_dir;
}

/* Reads an upload file; prints the spec 14 FAILURE line when it cannot. */
static int read_upload(struct mmp_ctx *ctx, const char *name, char **ret, size_t *ret_len)
{
	char *path;
	int r;

	if (!have_upload_dir(ctx))
		return mmp_fail(ctx, "FAILURE: Unable to read file %s", name);
	path = upath(ctx, name);
	r = cv_certs_read_file(path, ret, ret_len);
	free(path);
	if (r < 0)
		return mmp_fail(ctx, "FAILURE: Unable to read file %s", name);
	return 0;
}

static bool upload_exists(const struct mmp_ctx *ctx, const char *name)
{
	struct stat st;
	char *path = upath(ctx, name);
	bool e = lstat(path, &st) == 0;

	free(path);
	return e;
}

static int fsync_upload_dir(const struct mmp_ctx *ctx)
{
	int fd = open(ctx->env->upload_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* The newest modification time of the upload directory's files. */
static struct timespec newest_mtime(const struct mmp_ctx *ctx)
{
	struct timespec t = { 0, 0 };
	struct dirent *de;
	DIR *d = opendir(ctx->env->upload_dir);

	if (!d)
		return t;
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (st.st_mtim.tv_sec > t.tv_sec ||
		    (st.st_mtim.tv_sec == t.tv_sec && st.st_mtim.tv_nsec > t.tv_nsec))
			t = st.st_mtim;
	}
	closedir(d);
	return t;
}

/*
 * Writes name in the upload directory: a hidden temporary file (pki list
 * skips dot files), fsync, then link() for a new file (fails with -EEXIST
 * rather than replacing one) or rename() to replace, and an fsync of the
 * directory. The file gets mode and the owner of the directory, and a
 * modification time after every other file's: pki list shows files in the
 * order they arrived, and two files written within one clock tick (a key
 * and its CSR) would otherwise share a time.
 */
static int write_upload(const struct mmp_ctx *ctx, const char *name, const void *data,
			size_t len, mode_t mode, bool replace)
{
	char *tmp = xasprintf("%s/.%s.XXXXXX", ctx->env->upload_dir, name);
	char *path = upath(ctx, name);
	struct stat dst;
	int fd, r = 0;

	fd = mkstemp(tmp);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (fchmod(fd, mode) < 0 ||
	    (stat(ctx->env->upload_dir, &dst) == 0 && fchown(fd, dst.st_uid, dst.st_gid) < 0 &&
	     errno != EPERM)) {
		r = -errno;
		goto fail;
	}
	r = cv_write_all(fd, data, len);
	if (r < 0)
		goto fail;
	{
		struct timespec ts[2], last = newest_mtime(ctx);

		clock_gettime(CLOCK_REALTIME, &ts[1]);
		if (ts[1].tv_sec < last.tv_sec ||
		    (ts[1].tv_sec == last.tv_sec && ts[1].tv_nsec <= last.tv_nsec)) {
			ts[1] = last;
			if (++ts[1].tv_nsec == 1000000000L) {
				ts[1].tv_sec++;
				ts[1].tv_nsec = 0;
			}
		}
		ts[0] = ts[1];
		futimens(fd, ts);
	}
	if (fsync(fd) < 0) {
		r = -errno;
		goto fail;
	}
	close(fd);
	fd = -1;
	if (replace ? rename(tmp, path) < 0 : link(tmp, path) < 0) {
		r = -errno;
		goto fail;
	}
	if (!replace)
		unlink(tmp);
	r = fsync_upload_dir(ctx);
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(path);
	return r;
}

static void remove_upload(const struct mmp_ctx *ctx, const char *name)
{
	char *path = upath(ctx, name);

	unlink(path);
	free(path);
	fsync_upload_dir(ctx);
}

/* --- pki list ------------------------------------------------------------------- */

struct upfile {
	char *name;
	struct timespec mtime;
};

static int cmp_upfile(const void *a, const void *b)
{
	const struct upfile *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int pki_list(struct mmp_ctx *ctx)
{
	struct upfile *files = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	if (!have_upload_dir(ctx) || !(d = opendir(ctx->env->upload_dir)))
		return mmp_fail(ctx, "FAILURE: Unable to read the upload directory");
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			files = xrealloc(files, cap * sizeof(*files));
		}
		files[n].name = xstrdup(de->d_name);
		files[n].mtime = st.st_mtim;
		n++;
	}
	closedir(d);
	if (n)
		qsort(files, n, sizeof(*files), cmp_upfile);
	mmp_printf(ctx, "User supplied certificates and keys:\n");
	for (size_t i = 0; i < n; i++) {
		mmp_printf(ctx, "%s\n", files[i].name);
		free(files[i].name);
	}
	free(files);
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
	if (upload_exists(ctx, a))
		return mmp_fail(ctx, "FAILURE: %s already exists", a);
	if (b && upload_exists(ctx, b))
		return mmp_fail(ctx, "FAILURE: %s already exists", b);
	return 0;
}

/* Writes the key file then the second file; on a failure neither stays. */
static int write_pair(struct mmp_ctx *ctx, const char *keyname, const char *keypem, size_t keylen,
		      const char *name2, const char *pem2, size_t len2)
{
	int r = write_upload(ctx, keyname, keypem, keylen, 0600, false);

	if (r < 0)
		return mmp_fail(ctx, "FAILURE: cannot write %s: %s", keyname, strerror(-r));
	r = write_upload(ctx, name2, pem2, len2, 0644, false);
	if (r < 0) {
		remove_upload(ctx, keyname);
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

	if (!have_upload_dir(ctx))
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

		if (cv_certs_selfsigned_generate(key, &a.subj, mmp_users_now(), a.days, &crt) < 0) {
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
	if (cv_certs_verify(&chain, bundle ? &trust : NULL, mmp_users_now(), reason,
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
		r = write_upload(ctx, name, pem, plen, 0600, true);
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
