// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Server side SASL: SCRAM-SHA-1, SCRAM-SHA-256 and PLAIN (see
 * xmpp_sasl.h). The SCRAM messages are parsed by the grammar of RFC 5802
 * section 7; anything outside it is malformed-request, a wrong proof or
 * a nonce that is not the one this exchange made is not-authorized.
 */
#include "config.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/mem.h"
#include "lib/strbuf.h"
#include "services/xmpp/xmpp_sasl.h"

#define NONCE_MAX 128

static const char *const mech_names[XMPP_SASL_MECH_COUNT_] = {
	[XMPP_SASL_PLAIN] = "PLAIN",
	[XMPP_SASL_SCRAM_SHA_1] = "SCRAM-SHA-1",
	[XMPP_SASL_SCRAM_SHA_256] = "SCRAM-SHA-256",
};

static const char *const fail_names[XMPP_SASL_FAIL_COUNT_] = {
	[XMPP_SASL_FAIL_ABORTED] = "aborted",
	[XMPP_SASL_FAIL_ACCOUNT_DISABLED] = "account-disabled",
	[XMPP_SASL_FAIL_CREDENTIALS_EXPIRED] = "credentials-expired",
	[XMPP_SASL_FAIL_ENCRYPTION_REQUIRED] = "encryption-required",
	[XMPP_SASL_FAIL_INCORRECT_ENCODING] = "incorrect-encoding",
	[XMPP_SASL_FAIL_INVALID_AUTHZID] = "invalid-authzid",
	[XMPP_SASL_FAIL_INVALID_MECHANISM] = "invalid-mechanism",
	[XMPP_SASL_FAIL_MALFORMED_REQUEST] = "malformed-request",
	[XMPP_SASL_FAIL_MECHANISM_TOO_WEAK] = "mechanism-too-weak",
	[XMPP_SASL_FAIL_NOT_AUTHORIZED] = "not-authorized",
	[XMPP_SASL_FAIL_TEMPORARY_AUTH_FAILURE] = "temporary-auth-failure",
};

const char *xmpp_sasl_mech_name(enum xmpp_sasl_mech m)
{
	return (unsigned)m < XMPP_SASL_MECH_COUNT_ ? mech_names[m] : NULL;
}

int xmpp_sasl_mech_parse(const char *name, enum xmpp_sasl_mech *ret)
{
	for (unsigned m = 0; m < XMPP_SASL_MECH_COUNT_; m++) {
		if (strcmp(name, mech_names[m]) == 0) {
			*ret = (enum xmpp_sasl_mech)m;
			return 0;
		}
	}
	return -EINVAL;
}

const char *xmpp_sasl_fail_name(enum xmpp_sasl_fail f)
{
	if (f <= XMPP_SASL_FAIL_NONE || f >= XMPP_SASL_FAIL_COUNT_)
		return NULL;
	return fail_names[f];
}

void xmpp_sasl_out_clear(struct xmpp_sasl_out *out)
{
	free(out->data);
	out->data = NULL;
}

/* --- crypto ------------------------------------------------------------- */

static size_t hash_len(enum xmpp_sasl_mech m)
{
	return m == XMPP_SASL_SCRAM_SHA_256 ? 32 : 20;
}

static gnutls_mac_algorithm_t mac_alg(enum xmpp_sasl_mech m)
{
	return m == XMPP_SASL_SCRAM_SHA_256 ? GNUTLS_MAC_SHA256 : GNUTLS_MAC_SHA1;
}

static int hmac(enum xmpp_sasl_mech m, const void *key, size_t klen, const void *data,
		size_t dlen, uint8_t *out)
{
	return gnutls_hmac_fast(mac_alg(m), key, klen, data, dlen, out) < 0 ? -EIO : 0;
}

static int hash(enum xmpp_sasl_mech m, const void *data, size_t len, uint8_t *out)
{
	gnutls_digest_algorithm_t d = m == XMPP_SASL_SCRAM_SHA_256 ? GNUTLS_DIG_SHA256
								    : GNUTLS_DIG_SHA1;

	return gnutls_hash_fast(d, data, len, out) < 0 ? -EIO : 0;
}

int xmpp_scram_derive(enum xmpp_sasl_mech m, const char *password, const uint8_t *salt,
		      size_t salt_len, unsigned iterations, struct xmpp_scram_creds *ret)
{
	uint8_t salted[XMPP_SCRAM_HASH_MAX], client_key[XMPP_SCRAM_HASH_MAX];
	struct xmpp_scram_creds c = { 0 };
	gnutls_datum_t key = { (unsigned char *)password, (unsigned)strlen(password) };
	gnutls_datum_t sd = { (unsigned char *)salt, (unsigned)salt_len };
	size_t hl = hash_len(m);
	int r = -EIO;

	if (m != XMPP_SASL_SCRAM_SHA_1 && m != XMPP_SASL_SCRAM_SHA_256)
		return -EINVAL;
	if (salt_len == 0 || salt_len > XMPP_SCRAM_SALT_MAX || iterations == 0 ||
	    iterations > XMPP_SCRAM_ITER_MAX)
		return -EINVAL;
	/* RFC 5802 section 3: SaltedPassword := Hi(password, salt, i),
	 * which is PBKDF2 with HMAC as the PRF and one block. */
	if (gnutls_pbkdf2(mac_alg(m), &key, &sd, iterations, salted, hl) < 0)
		goto out;
	if (hmac(m, salted, hl, "Client Key", 10, client_key) < 0 ||
	    hash(m, client_key, hl, c.stored_key) < 0 ||
	    hmac(m, salted, hl, "Server Key", 10, c.server_key) < 0)
		goto out;
	memcpy(c.salt, salt, salt_len);
	c.salt_len = salt_len;
	c.iterations = iterations;
	*ret = c;
	r = 0;
out:
	gnutls_memset(salted, 0, sizeof(salted));
	gnutls_memset(client_key, 0, sizeof(client_key));
	gnutls_memset(&c, 0, sizeof(c));
	return r;
}

/* --- the exchange ------------------------------------------------------- */

enum sasl_state {
	SS_INIT,
	SS_WAIT_INITIAL, /* the mechanism was chosen without initial response */
	SS_WAIT_FINAL,	 /* SCRAM: server-first sent */
	SS_DONE,
	SS_FAILED,
};

struct xmpp_sasl {
	const struct xmpp_sasl_ops *ops;
	void *arg;
	uint8_t mock_key[32];
	enum sasl_state state;
	enum xmpp_sasl_mech mech;
	char *user;
	char *authzid;
	/* SCRAM */
	struct xmpp_scram_creds creds;
	char *gs2_header;    /* "n,," or "y,a=...," as received */
	char *client_first;  /* client-first-message-bare */
	char *server_first;
	char *nonce;	     /* client nonce + server nonce */
};

struct xmpp_sasl *xmpp_sasl_new(const struct xmpp_sasl_ops *ops, void *arg,
				const uint8_t *mock_key, size_t mock_key_len)
{
	struct xmpp_sasl *s = xcalloc(1, sizeof(*s));

	s->ops = ops;
	s->arg = arg;
	if (mock_key && mock_key_len) {
		/* Fold any key length into one HMAC key. */
		if (gnutls_hash_fast(GNUTLS_DIG_SHA256, mock_key, mock_key_len, s->mock_key) < 0)
			abort();
	} else if (gnutls_rnd(GNUTLS_RND_RANDOM, s->mock_key, sizeof(s->mock_key)) < 0) {
		abort();
	}
	return s;
}

void xmpp_sasl_free(struct xmpp_sasl *s)
{
	if (!s)
		return;
	free(s->user);
	free(s->authzid);
	free(s->gs2_header);
	free(s->client_first);
	free(s->server_first);
	free(s->nonce);
	gnutls_memset(s, 0, sizeof(*s));
	free(s);
}

static int set_fail(struct xmpp_sasl *s, struct xmpp_sasl_out *out, enum xmpp_sasl_fail f)
{
	s->state = SS_FAILED;
	out->step = XMPP_SASL_FAILURE;
	out->fail = f;
	out->data = NULL;
	free(s->user);
	free(s->authzid);
	s->user = s->authzid = NULL;
	return 0;
}

static void set_data(struct xmpp_sasl_out *out, enum xmpp_sasl_step step, const void *data,
		     size_t n)
{
	out->step = step;
	out->fail = XMPP_SASL_FAIL_NONE;
	if (n == 0) {
		out->data = xstrdup("=");
		return;
	}
	out->data = xmalloc(CV_BASE64_LEN(n) + 1);
	cv_base64_encode(data, n, out->data);
}

/* Decodes a payload: NULL or "=" is empty. The result is NUL-terminated
 * (the NUL is not counted). */
static enum xmpp_sasl_fail decode(const char *data, char **ret, size_t *ret_len)
{
	size_t n = data ? strlen(data) : 0, len;
	char *buf;

	if (n > XMPP_SASL_MSG_MAX)
		return XMPP_SASL_FAIL_MALFORMED_REQUEST;
	if (!data || strcmp(data, "=") == 0) {
		*ret = xstrdup("");
		*ret_len = 0;
		return XMPP_SASL_FAIL_NONE;
	}
	buf = xmalloc(n / 4 * 3 + 1);
	if (cv_base64_decode(data, n, buf, &len) < 0) {
		free(buf);
		return XMPP_SASL_FAIL_INCORRECT_ENCODING;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return XMPP_SASL_FAIL_NONE;
}

/* RFC 5802 section 7: saslname, with "=2C" for ',' and "=3D" for '='. */
static char *saslname_decode(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	if (n == 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '=') {
			sb_putc(&sb, s[i]);
		} else if (n - i >= 3 && strncmp(s + i, "=2C", 3) == 0) {
			sb_putc(&sb, ',');
			i += 2;
		} else if (n - i >= 3 && strncmp(s + i, "=3D", 3) == 0) {
			sb_putc(&sb, '=');
			i += 2;
		} else {
			sb_free(&sb);
			return NULL;
		}
	}
	return sb_steal(&sb);
}

/* printable = %x21-2B / %x2D-7E */
static bool nonce_ok(const char *s, size_t n)
{
	if (n == 0 || n > NONCE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == ',')
			return false;
	return true;
}

static int make_nonce(struct xmpp_sasl *s, char *buf, size_t size)
{
	uint8_t rnd[18];

	if (s->ops->nonce)
		return s->ops->nonce(s->arg, buf, size);
	if (size < CV_BASE64_LEN(sizeof(rnd)) + 1 ||
	    gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd)) < 0)
		return -EIO;
	cv_base64_encode(rnd, sizeof(rnd), buf);
	return 0;
}

/* Credentials for a user that does not exist: a salt that is the same on
 * every attempt and a StoredKey no proof matches. */
static int mock_creds(struct xmpp_sasl *s, struct xmpp_scram_creds *c)
{
	uint8_t mac[32];

	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, s->mock_key, sizeof(s->mock_key), s->user,
			     strlen(s->user), mac) < 0)
		return -EIO;
	memset(c, 0, sizeof(*c));
	memcpy(c->salt, mac, 16);
	c->salt_len = 16;
	c->iterations = XMPP_SCRAM_ITER_MIN;
	if (gnutls_rnd(GNUTLS_RND_NONCE, c->stored_key, sizeof(c->stored_key)) < 0)
		return -EIO;
	return 0;
}

static int scram_first(struct xmpp_sasl *s, const char *msg, size_t len, struct xmpp_sasl_out *out)
{
	const char *p = msg, *end = msg + len, *bare, *n, *r, *rend;
	char snonce[NONCE_MAX + 1], saltb64[CV_BASE64_LEN(XMPP_SCRAM_SALT_MAX) + 1];
	int rc;

	if (memchr(msg, '\0', len))
		return set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);
	/* gs2-header = gs2-cbind-flag "," [ authzid ] "," */
	if (len >= 2 && (p[0] == 'n' || p[0] == 'y') && p[1] == ',') {
		p += 2;
	} else {
		/* "p=" asks for channel binding, which is not offered. */
		return set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);
	}
	if (p < end && *p != ',') {
		const char *c = memchr(p, ',', (size_t)(end - p));

		if (!c || end - p < 3 || strncmp(p, "a=", 2) != 0)
			return set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);
		s->authzid = saslname_decode(p + 2, (size_t)(c - p - 2));
		if (!s->authzid)
			return set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);
		p = c;
	}
	if (p >= end || *p != ',')
		return set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);
	p++;
	bare = p;
	/* client-first-message-bare = [reserved-mext ","] username "," nonce
	 * ["," extensions]; "m=" is a mandatory extension we do not know. */
	if (end - p < 2 || strncmp(p, "n=", 2) != 0)
		return set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);
	n = p + 2;
	r = memchr(n, ',', (size_t)(end - n));
	if (!r || end - r < 4 || strncmp(r, ",r=", 3) != 0)
		return set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);
	s->user = saslname_decode(n, (size_t)(r - n));
	if (!s->user)
		return set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);
	r += 3;
	rend = memchr(r, ',', (size_t)(end - r));
	if (!rend)
		rend = end;
	if (!nonce_ok(r, (size_t)(rend - r)))
		return set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);

	rc = s->ops->scram_lookup ? s->ops->scram_lookup(s->arg, s->user, s->mech, &s->creds)
				  : -ENOENT;
	if (rc == -ENOENT)
		rc = mock_creds(s, &s->creds);
	if (rc == -EACCES)
		return set_fail(s, out, XMPP_SASL_FAIL_ACCOUNT_DISABLED);
	if (rc < 0 || s->creds.salt_len == 0 || s->creds.salt_len > XMPP_SCRAM_SALT_MAX ||
	    s->creds.iterations == 0 || s->creds.iterations > XMPP_SCRAM_ITER_MAX)
		return set_fail(s, out, XMPP_SASL_FAIL_TEMPORARY_AUTH_FAILURE);

	snonce[0] = '\0';
	if (make_nonce(s, snonce, sizeof(snonce)) < 0 ||
	    !nonce_ok(snonce, strnlen(snonce, sizeof(snonce))))
		return set_fail(s, out, XMPP_SASL_FAIL_TEMPORARY_AUTH_FAILURE);
	s->gs2_header = xstrndup(msg, (size_t)(bare - msg));
	s->client_first = xstrndup(bare, (size_t)(end - bare));
	s->nonce = xasprintf("%.*s%s", (int)(rend - r), r, snonce);
	cv_base64_encode(s->creds.salt, s->creds.salt_len, saltb64);
	s->server_first = xasprintf("r=%s,s=%s,i=%u", s->nonce, saltb64, s->creds.iterations);
	s->state = SS_WAIT_FINAL;
	set_data(out, XMPP_SASL_CHALLENGE, s->server_first, strlen(s->server_first));
	return 0;
}

static int scram_final(struct xmpp_sasl *s, const char *msg, size_t len, struct xmpp_sasl_out *out)
{
	const char *end = msg + len, *p, *pf, *r, *rend;
	size_t hl = hash_len(s->mech), cb_len, proof_len;
	uint8_t proof[64], sig[XMPP_SCRAM_HASH_MAX], key[XMPP_SCRAM_HASH_MAX];
	uint8_t stored[XMPP_SCRAM_HASH_MAX], ssig[XMPP_SCRAM_HASH_MAX];
	char cb[XMPP_SASL_MSG_MAX], *auth = NULL;
	int rc = 0;

	if (memchr(msg, '\0', len))
		return set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);
	/* client-final-message-without-proof "," proof; the proof is last. */
	pf = NULL;
	for (p = msg; (p = memchr(p, ',', (size_t)(end - p))); p++)
		pf = p;
	if (!pf || end - pf < 4 || strncmp(pf, ",p=", 3) != 0)
		return set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);
	/* channel-binding "c=" base64(gs2-header), nothing bound here. */
	if (len < 2 || strncmp(msg, "c=", 2) != 0)
		return set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);
	r = memchr(msg, ',', len);
	if ((size_t)(r - msg - 2) / 4 * 3 > sizeof(cb) ||
	    cv_base64_decode(msg + 2, (size_t)(r - msg - 2), cb, &cb_len) < 0)
		return set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);
	if (cb_len != strlen(s->gs2_header) || memcmp(cb, s->gs2_header, cb_len) != 0)
		return set_fail(s, out, XMPP_SASL_FAIL_NOT_AUTHORIZED);
	if (end - r < 4 || strncmp(r, ",r=", 3) != 0)
		return set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);
	r += 3;
	rend = memchr(r, ',', (size_t)(end - r));
	/* A nonce other than this exchange's (a replayed message) fails. */
	if ((size_t)(rend - r) != strlen(s->nonce) || memcmp(r, s->nonce, (size_t)(rend - r)) != 0)
		return set_fail(s, out, XMPP_SASL_FAIL_NOT_AUTHORIZED);
	if ((size_t)(end - pf - 3) > sizeof(proof) / 3 * 4 ||
	    cv_base64_decode(pf + 3, (size_t)(end - pf - 3), proof, &proof_len) < 0 ||
	    proof_len != hl)
		return set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);

	/* RFC 5802 section 3:
	 * AuthMessage := client-first-message-bare "," server-first-message ","
	 *                client-final-message-without-proof
	 * ClientKey := ClientProof XOR HMAC(StoredKey, AuthMessage)
	 * valid when H(ClientKey) == StoredKey. */
	auth = xasprintf("%s,%s,%.*s", s->client_first, s->server_first, (int)(pf - msg), msg);
	if (hmac(s->mech, s->creds.stored_key, hl, auth, strlen(auth), sig) < 0 ||
	    hmac(s->mech, s->creds.server_key, hl, auth, strlen(auth), ssig) < 0) {
		rc = set_fail(s, out, XMPP_SASL_FAIL_TEMPORARY_AUTH_FAILURE);
		goto out;
	}
	for (size_t i = 0; i < hl; i++)
		key[i] = proof[i] ^ sig[i];
	if (hash(s->mech, key, hl, stored) < 0) {
		rc = set_fail(s, out, XMPP_SASL_FAIL_TEMPORARY_AUTH_FAILURE);
		goto out;
	}
	if (gnutls_memcmp(stored, s->creds.stored_key, hl) != 0) {
		rc = set_fail(s, out, XMPP_SASL_FAIL_NOT_AUTHORIZED);
		goto out;
	}
	/* RFC 6120 6.3.10: the server-final-message is success's data. */
	{
		char v[3 + CV_BASE64_LEN(XMPP_SCRAM_HASH_MAX) + 1];

		memcpy(v, "v=", 2);
		cv_base64_encode(ssig, hl, v + 2);
		set_data(out, XMPP_SASL_SUCCESS, v, strlen(v));
	}
	s->state = SS_DONE;
out:
	gnutls_memset(key, 0, sizeof(key));
	gnutls_memset(&s->creds, 0, sizeof(s->creds));
	free(auth);
	return rc;
}

static int plain(struct xmpp_sasl *s, const char *msg, size_t len, struct xmpp_sasl_out *out)
{
	/* RFC 4616: [authzid] NUL authcid NUL passwd, each at most 255. */
	const char *a = msg, *c, *pw;
	size_t alen, clen, plen;
	int rc;

	c = memchr(a, '\0', len);
	if (!c)
		return set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);
	alen = (size_t)(c - a);
	c++;
	pw = memchr(c, '\0', len - alen - 1);
	if (!pw)
		return set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);
	clen = (size_t)(pw - c);
	pw++;
	plen = len - alen - clen - 2;
	if (memchr(pw, '\0', plen) || clen == 0 || plen == 0 || alen > 255 || clen > 255 ||
	    plen > 255)
		return set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);
	if (!s->ops->plain_verify)
		return set_fail(s, out, XMPP_SASL_FAIL_INVALID_MECHANISM);
	s->user = xstrndup(c, clen);
	s->authzid = alen ? xstrndup(a, alen) : NULL;
	rc = s->ops->plain_verify(s->arg, s->user, pw);
	if (rc == -EACCES || rc == -ENOENT)
		return set_fail(s, out, XMPP_SASL_FAIL_NOT_AUTHORIZED);
	if (rc < 0)
		return set_fail(s, out, XMPP_SASL_FAIL_TEMPORARY_AUTH_FAILURE);
	s->state = SS_DONE;
	out->step = XMPP_SASL_SUCCESS;
	out->fail = XMPP_SASL_FAIL_NONE;
	out->data = NULL;
	return 0;
}

static int step(struct xmpp_sasl *s, const char *data, struct xmpp_sasl_out *out)
{
	enum xmpp_sasl_fail f;
	char *msg;
	size_t len;
	int rc;

	f = decode(data, &msg, &len);
	if (f != XMPP_SASL_FAIL_NONE)
		return set_fail(s, out, f);
	if (s->mech == XMPP_SASL_PLAIN)
		rc = plain(s, msg, len, out);
	else if (s->state == SS_WAIT_FINAL)
		rc = scram_final(s, msg, len, out);
	else
		rc = scram_first(s, msg, len, out);
	gnutls_memset(msg, 0, len);
	free(msg);
	return rc;
}

int xmpp_sasl_start(struct xmpp_sasl *s, const char *mech, const char *data,
		    struct xmpp_sasl_out *out)
{
	enum xmpp_sasl_mech m;

	out->data = NULL;
	if (s->state != SS_INIT) {
		set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);
		return -EALREADY;
	}
	if (!mech || xmpp_sasl_mech_parse(mech, &m) < 0)
		return set_fail(s, out, XMPP_SASL_FAIL_INVALID_MECHANISM);
	s->mech = m;
	/* RFC 6120 6.4.2: no initial response, an empty challenge. */
	if (!data) {
		s->state = SS_WAIT_INITIAL;
		set_data(out, XMPP_SASL_CHALLENGE, NULL, 0);
		return 0;
	}
	return step(s, data, out);
}

int xmpp_sasl_response(struct xmpp_sasl *s, const char *data, struct xmpp_sasl_out *out)
{
	out->data = NULL;
	if (s->state != SS_WAIT_INITIAL && s->state != SS_WAIT_FINAL) {
		set_fail(s, out, XMPP_SASL_FAIL_MALFORMED_REQUEST);
		return -EALREADY;
	}
	return step(s, data, out);
}

void xmpp_sasl_abort(struct xmpp_sasl *s, struct xmpp_sasl_out *out)
{
	out->data = NULL;
	set_fail(s, out, XMPP_SASL_FAIL_ABORTED);
}

bool xmpp_sasl_done(const struct xmpp_sasl *s)
{
	return s->state == SS_DONE;
}

const char *xmpp_sasl_user(const struct xmpp_sasl *s)
{
	return s->state == SS_DONE ? s->user : NULL;
}

const char *xmpp_sasl_authzid(const struct xmpp_sasl *s)
{
	return s->state == SS_DONE ? s->authzid : NULL;
}

/* --- the user a start names ------------------------------------------------ */

int xmpp_sasl_peek(enum xmpp_sasl_mech m, const char *data, char **ret_user, char **ret_pw)
{
	size_t n = data ? strlen(data) : 0, len;
	char *buf, *p, *end;
	int r = -EINVAL;

	*ret_user = *ret_pw = NULL;
	if (n == 0 || n > XMPP_SASL_MSG_MAX || !strcmp(data, "="))
		return -EINVAL;
	buf = xmalloc(n / 4 * 3 + 1);
	if (cv_base64_decode(data, n, buf, &len) < 0)
		goto out;
	buf[len] = '\0';
	if (memchr(buf, '\0', len) && m != XMPP_SASL_PLAIN)
		goto out;
	if (m == XMPP_SASL_PLAIN) {
		char *authcid = memchr(buf, '\0', len), *pw;

		if (!authcid)
			goto out;
		authcid++;
		pw = memchr(authcid, '\0', len - (size_t)(authcid - buf));
		if (!pw || pw == authcid)
			goto out;
		pw++;
		*ret_user = xstrdup(authcid);
		*ret_pw = xstrndup(pw, len - (size_t)(pw - buf));
		r = 0;
		goto out;
	}
	/* gs2-header "n,," / "y,," (an authzid "a=..." may sit between). */
	p = strchr(buf, ',');
	if (!p || !(p = strchr(p + 1, ',')) || strncmp(p + 1, "n=", 2))
		goto out;
	p += 3;
	end = strchr(p, ',');
	if (!end)
		goto out;
	*end = '\0';
	{
		struct strbuf u = STRBUF_INIT;

		for (; *p; p++) {
			if (p[0] == '=' && p[1] == '2' && p[2] == 'C') {
				sb_putc(&u, ',');
				p += 2;
			} else if (p[0] == '=' && p[1] == '3' && p[2] == 'D') {
				sb_putc(&u, '=');
				p += 2;
			} else {
				sb_putc(&u, *p);
			}
		}
		*ret_user = sb_steal(&u);
	}
	r = **ret_user ? 0 : -EINVAL;
out:
	if (buf)
		gnutls_memset(buf, 0, n / 4 * 3 + 1);
	free(buf);
	return r;
}

/* --- XEP-0114 ------------------------------------------------------------ */

static void put_entity_escaped(struct strbuf *sb, const char *s)
{
	static const char *const rep[] = { ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;",
					   ['"'] = "&quot;", ['\''] = "&apos;" };

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < sizeof(rep) / sizeof(rep[0]) && rep[ch])
			sb_puts(sb, rep[ch]);
		else
			sb_putc(sb, *s);
	}
}

int xmpp_component_digest(const char *id, const char *secret, char hex[41])
{
	struct strbuf sb = STRBUF_INIT;
	unsigned char md[20];
	int r;

	if (strlen(id) > 1024 || strlen(secret) > 1024)
		return -EINVAL;
	put_entity_escaped(&sb, id);
	put_entity_escaped(&sb, secret);
	r = gnutls_hash_fast(GNUTLS_DIG_SHA1, sb.buf ? sb.buf : "", sb.len, md);
	if (sb.buf)
		gnutls_memset(sb.buf, 0, sb.len);
	sb_free(&sb);
	if (r < 0)
		return -EIO;
	for (size_t i = 0; i < sizeof(md); i++) {
		hex[2 * i] = "0123456789abcdef"[md[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
	}
	hex[40] = '\0';
	return 0;
}
