/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Server side SASL for XMPP (RFC 6120 section 6), free of I/O: a state
 * machine that takes the client's <auth/> and <response/> payloads (the
 * base64 text) and says what to send back: a challenge, success (with its
 * additional data) or a failure condition.
 *
 * Mechanisms: SCRAM-SHA-1 (RFC 5802) and SCRAM-SHA-256 (RFC 7677) without
 * channel binding (the -PLUS variants are not offered: a client that asks
 * for binding with "p=" fails), and PLAIN (RFC 4616; the I/O layer must
 * offer it only over TLS). Credentials come from the consumer: stored
 * SCRAM keys (salt, iteration count, StoredKey, ServerKey) through a
 * lookup, PLAIN passwords through a verify callback. Crypto is GnuTLS.
 *
 * Not done: SASLprep (RFC 4013) of user names and passwords: they are
 * used as the UTF-8 bytes received, which equals SASLprep for ASCII.
 */
#ifndef XMPP_SASL_H
#define XMPP_SASL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum xmpp_sasl_mech {
	XMPP_SASL_PLAIN,
	XMPP_SASL_SCRAM_SHA_1,
	XMPP_SASL_SCRAM_SHA_256,
	XMPP_SASL_MECH_COUNT_,
};

/* The mechanism's name ("SCRAM-SHA-1"); -EINVAL from the parser below for
 * any other name. */
const char *xmpp_sasl_mech_name(enum xmpp_sasl_mech m);
int xmpp_sasl_mech_parse(const char *name, enum xmpp_sasl_mech *ret);

/* RFC 6120 section 6.5: the failure conditions, named by
 * xmpp_sasl_fail_name ("not-authorized"). */
enum xmpp_sasl_fail {
	XMPP_SASL_FAIL_NONE = 0,
	XMPP_SASL_FAIL_ABORTED,
	XMPP_SASL_FAIL_ACCOUNT_DISABLED,
	XMPP_SASL_FAIL_CREDENTIALS_EXPIRED,
	XMPP_SASL_FAIL_ENCRYPTION_REQUIRED,
	XMPP_SASL_FAIL_INCORRECT_ENCODING,
	XMPP_SASL_FAIL_INVALID_AUTHZID,
	XMPP_SASL_FAIL_INVALID_MECHANISM,
	XMPP_SASL_FAIL_MALFORMED_REQUEST,
	XMPP_SASL_FAIL_MECHANISM_TOO_WEAK,
	XMPP_SASL_FAIL_NOT_AUTHORIZED,
	XMPP_SASL_FAIL_TEMPORARY_AUTH_FAILURE,
	XMPP_SASL_FAIL_COUNT_,
};
const char *xmpp_sasl_fail_name(enum xmpp_sasl_fail f);

#define XMPP_SCRAM_HASH_MAX 32 /* SHA-256 */
#define XMPP_SCRAM_SALT_MAX 64
#define XMPP_SCRAM_ITER_MIN 4096     /* RFC 7677 section 4 */
#define XMPP_SCRAM_ITER_MAX 10000000 /* a stored count above is corrupt */
/* Cap on one client message (base64 text); longer is malformed-request. */
#define XMPP_SASL_MSG_MAX 4096

/* A user's SCRAM credentials for one hash (RFC 5802 section 3). */
struct xmpp_scram_creds {
	uint8_t salt[XMPP_SCRAM_SALT_MAX];
	size_t salt_len;
	unsigned iterations;
	uint8_t stored_key[XMPP_SCRAM_HASH_MAX];
	uint8_t server_key[XMPP_SCRAM_HASH_MAX];
};

/* Derives the stored keys from a password (SaltedPassword = PBKDF2),
 * for the given SCRAM mechanism. -EINVAL for PLAIN, a salt longer than
 * XMPP_SCRAM_SALT_MAX or iterations out of range; -EIO if GnuTLS fails. */
int xmpp_scram_derive(enum xmpp_sasl_mech m, const char *password, const uint8_t *salt,
		      size_t salt_len, unsigned iterations, struct xmpp_scram_creds *ret);

struct xmpp_sasl_ops {
	/* SCRAM: the credentials of user for mechanism m. 0, -ENOENT for
	 * an unknown user (the exchange then continues with made-up
	 * credentials and fails with not-authorized at the proof, RFC 5802
	 * section 9, so that it does not tell which users exist),
	 * -EACCES for a disabled account, anything else for a temporary
	 * failure. */
	int (*scram_lookup)(void *arg, const char *user, enum xmpp_sasl_mech m,
			    struct xmpp_scram_creds *ret);
	/* PLAIN: 0 if password is right for authcid, -EACCES (or -ENOENT)
	 * if not, anything else for a temporary failure. */
	int (*plain_verify)(void *arg, const char *authcid, const char *password);
	/* Writes the server's part of the SCRAM nonce, NUL-terminated, at
	 * most size - 1 printable ASCII characters but ','. NULL: 24 base64
	 * characters of gnutls_rnd. Tests set it to reproduce the RFC
	 * examples; a nonce that breaks the rules fails the exchange with
	 * temporary-auth-failure. */
	int (*nonce)(void *arg, char *buf, size_t size);
};

/* What to send: <challenge>data</challenge>, <success>data</success>
 * (data NULL: no additional data) or <failure><COND/></failure>. */
enum xmpp_sasl_step {
	XMPP_SASL_CHALLENGE,
	XMPP_SASL_SUCCESS,
	XMPP_SASL_FAILURE,
};

struct xmpp_sasl_out {
	enum xmpp_sasl_step step;
	enum xmpp_sasl_fail fail;
	/* Base64 text ("=" stands for empty data, RFC 6120 6.4.2), owned
	 * by the out struct: free with xmpp_sasl_out_clear. */
	char *data;
};
void xmpp_sasl_out_clear(struct xmpp_sasl_out *out);

struct xmpp_sasl;

/* ops is borrowed and must outlive the exchange. mock_key (may be NULL):
 * a server-wide secret from which made-up salts for unknown users are
 * derived, so that they are the same on every attempt. */
struct xmpp_sasl *xmpp_sasl_new(const struct xmpp_sasl_ops *ops, void *arg,
				const uint8_t *mock_key, size_t mock_key_len);
void xmpp_sasl_free(struct xmpp_sasl *s);

/* The <auth mechanism='mech'> element; data is its text (NULL when the
 * element is empty: no initial response; "=" is an empty one). A name
 * that is not offered is invalid-mechanism. Returns 0 (out says what to
 * send) or -EALREADY when the exchange was already started (the caller
 * should answer with a failure, as out does too). */
int xmpp_sasl_start(struct xmpp_sasl *s, const char *mech, const char *data,
		    struct xmpp_sasl_out *out);
/* A <response/>; data as above. */
int xmpp_sasl_response(struct xmpp_sasl *s, const char *data, struct xmpp_sasl_out *out);
/* An <abort/>: the failure is "aborted". */
void xmpp_sasl_abort(struct xmpp_sasl *s, struct xmpp_sasl_out *out);

/* After success: the authenticated user (authcid; borrowed) and the
 * authzid the client asked for (NULL if none: the consumer must check a
 * non-NULL one, RFC 6120 6.3.8). NULL before success. */
const char *xmpp_sasl_user(const struct xmpp_sasl *s);
const char *xmpp_sasl_authzid(const struct xmpp_sasl *s);
bool xmpp_sasl_done(const struct xmpp_sasl *s);

/*
 * The user a start message names, read before the exchange begins (the
 * XMPP server asks the call bridge for that user's credentials first, and
 * starts the exchange when the answer is there): PLAIN's authcid and
 * password (RFC 4616), SCRAM's "n=" with =2C and =3D decoded (RFC 5802
 * 5.1). data is the base64 text of <auth/>. 0 with both set (*ret_pw NULL
 * for SCRAM; the caller frees and should wipe the password), or -EINVAL
 * for anything malformed, which the exchange itself then refuses with the
 * right condition. Input is capped at XMPP_SASL_MSG_MAX.
 */
int xmpp_sasl_peek(enum xmpp_sasl_mech m, const char *data, char **ret_user, char **ret_pw);

/*
 * XEP-0114 section 3: the component handshake value, lowercase hex of
 * SHA-1(stream id ‖ secret), each with the five predefined XML entities
 * escaped. Used by both ends (the server's check, the call bridge's
 * component client). -EINVAL when either is longer than 1024 bytes, -EIO
 * if GnuTLS fails.
 */
int xmpp_component_digest(const char *id, const char *secret, char hex[41]);

#endif
