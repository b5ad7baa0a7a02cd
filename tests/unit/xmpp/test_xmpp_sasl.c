// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of services/xmpp/xmpp_sasl.c: the RFC 5802 section 5
 * (SCRAM-SHA-1) and RFC 7677 section 3 (SCRAM-SHA-256) examples byte for
 * byte, wrong passwords, unknown users, a replayed client-final message,
 * malformed messages, PLAIN (RFC 4616) and the state machine's edges.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/mem.h"
#include "services/xmpp/xmpp_sasl.h"
#include "tests/unit/tap.h"

struct fixture {
	const char *user;
	const char *password;
	const char *salt_b64;
	unsigned iterations;
	const char *snonce;
	int lookup_rc;
	int lookups;
};

static int lookup(void *arg, const char *user, enum xmpp_sasl_mech m, struct xmpp_scram_creds *ret)
{
	struct fixture *f = arg;
	uint8_t salt[64];
	size_t salt_len;

	f->lookups++;
	if (f->lookup_rc)
		return f->lookup_rc;
	if (strcmp(user, f->user) != 0)
		return -ENOENT;
	if (cv_base64_decode(f->salt_b64, strlen(f->salt_b64), salt, &salt_len) < 0)
		return -EIO;
	return xmpp_scram_derive(m, f->password, salt, salt_len, f->iterations, ret);
}

static int plain_verify(void *arg, const char *authcid, const char *password)
{
	struct fixture *f = arg;

	if (strcmp(authcid, f->user) != 0)
		return -ENOENT;
	return strcmp(password, f->password) == 0 ? 0 : -EACCES;
}

static int nonce(void *arg, char *buf, size_t size)
{
	struct fixture *f = arg;

	snprintf(buf, size, "%s", f->snonce);
	return 0;
}

static const struct xmpp_sasl_ops ops = {
	.scram_lookup = lookup,
	.plain_verify = plain_verify,
	.nonce = nonce,
};

static char *b64(const char *s)
{
	char *out = xmalloc(CV_BASE64_LEN(strlen(s)) + 1);

	cv_base64_encode(s, strlen(s), out);
	return out;
}

/* The out's data decoded as a string ("" for "="). */
static char *unb64(const struct xmpp_sasl_out *o)
{
	size_t n;
	char *buf;

	if (!o->data)
		return NULL;
	buf = xmalloc(strlen(o->data) / 4 * 3 + 1);
	if (strcmp(o->data, "=") == 0) {
		buf[0] = '\0';
		return buf;
	}
	if (cv_base64_decode(o->data, strlen(o->data), buf, &n) < 0) {
		free(buf);
		return xstrdup("(bad base64)");
	}
	buf[n] = '\0';
	return buf;
}

/* Sends one message (plain text, base64-encoded here) and returns what
 * came back, decoded. */
static char *send_msg(struct xmpp_sasl *s, const char *mech, const char *msg,
		      struct xmpp_sasl_out *o)
{
	char *enc = msg ? b64(msg) : NULL, *r;

	if (mech)
		xmpp_sasl_start(s, mech, enc ? enc : NULL, o);
	else
		xmpp_sasl_response(s, enc, o);
	free(enc);
	r = unb64(o);
	xmpp_sasl_out_clear(o);
	return r;
}

static void rfc_vector(const char *mech, const char *cnonce_msg, const char *server_first,
		       const char *client_final, const char *server_final, struct fixture *f)
{
	struct xmpp_sasl *s = xmpp_sasl_new(&ops, f, (const uint8_t *)"k", 1);
	struct xmpp_sasl_out o;
	char *r;

	r = send_msg(s, mech, cnonce_msg, &o);
	is_int(o.step, XMPP_SASL_CHALLENGE, "%s: client-first gets a challenge", mech);
	is_str(r, server_first, "%s: server-first-message as in the RFC", mech);
	free(r);
	r = send_msg(s, NULL, client_final, &o);
	is_int(o.step, XMPP_SASL_SUCCESS, "%s: the RFC's proof is accepted", mech);
	is_str(r, server_final, "%s: server-final-message (v=) as in the RFC", mech);
	is_str(xmpp_sasl_user(s), "user", "%s: authenticated user", mech);
	ok(xmpp_sasl_authzid(s) == NULL, "%s: no authzid", mech);
	free(r);
	ok(xmpp_sasl_response(s, "=", &o) == -EALREADY && o.step == XMPP_SASL_FAILURE,
	   "%s: a response after success is refused", mech);
	xmpp_sasl_free(s);
}

#define SHA1_FIRST "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"
#define SHA1_SFIRST "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"
#define SHA1_FINAL                                                                                 \
	"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
#define SHA1_SFINAL "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="

#define SHA256_FIRST "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
#define SHA256_SFIRST                                                                              \
	"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define SHA256_FINAL                                                                               \
	"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"                             \
	"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define SHA256_SFINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static struct fixture sha1_fx(void)
{
	return (struct fixture){ "user", "pencil", "QSXCR+Q6sek8bf92", 4096, "3rfcNHYJY1ZVvWVs7j" };
}

/* A SCRAM-SHA-1 exchange with the RFC's first message, then final; the
 * returned failure condition (NONE on success). */
static enum xmpp_sasl_fail sha1_with(struct fixture *f, const char *first, const char *final)
{
	struct xmpp_sasl *s = xmpp_sasl_new(&ops, f, (const uint8_t *)"k", 1);
	struct xmpp_sasl_out o;
	enum xmpp_sasl_fail r;

	free(send_msg(s, "SCRAM-SHA-1", first, &o));
	if (o.step == XMPP_SASL_FAILURE) {
		xmpp_sasl_free(s);
		return o.fail;
	}
	free(send_msg(s, NULL, final, &o));
	r = o.step == XMPP_SASL_SUCCESS ? XMPP_SASL_FAIL_NONE : o.fail;
	if (o.step == XMPP_SASL_CHALLENGE)
		r = XMPP_SASL_FAIL_COUNT_;
	xmpp_sasl_free(s);
	return r;
}

static void test_scram_failures(void)
{
	struct fixture f = sha1_fx();
	struct xmpp_sasl *s;
	struct xmpp_sasl_out o;
	char *r, *r2;

	f.password = "pencil2";
	is_int(sha1_with(&f, SHA1_FIRST, SHA1_FINAL), XMPP_SASL_FAIL_NOT_AUTHORIZED,
	       "wrong password: not-authorized");
	f = sha1_fx();
	/* Replay: the RFC's client-final against an exchange whose server
	 * nonce is another one. */
	f.snonce = "someOtherServerNonce";
	is_int(sha1_with(&f, SHA1_FIRST, SHA1_FINAL), XMPP_SASL_FAIL_NOT_AUTHORIZED,
	       "replayed client-final (old nonce): not-authorized");
	f = sha1_fx();
	is_int(sha1_with(&f, SHA1_FIRST,
			 "c=eSws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
			 "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="),
	       XMPP_SASL_FAIL_NOT_AUTHORIZED, "channel binding data other than the header");
	is_int(sha1_with(&f, SHA1_FIRST,
			 "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJ"),
	       XMPP_SASL_FAIL_MALFORMED_REQUEST, "short proof: malformed-request");
	is_int(sha1_with(&f, SHA1_FIRST, "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j"),
	       XMPP_SASL_FAIL_MALFORMED_REQUEST, "no proof: malformed-request");
	is_int(sha1_with(&f, SHA1_FIRST, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="),
	       XMPP_SASL_FAIL_MALFORMED_REQUEST, "no c=: malformed-request");
	/* The proof of another exchange's AuthMessage (the client tampered
	 * with an extension after signing) is not accepted. */
	is_int(sha1_with(&f, SHA1_FIRST,
			 "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,x=1,"
			 "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="),
	       XMPP_SASL_FAIL_NOT_AUTHORIZED, "signed message altered: not-authorized");

	static const struct {
		const char *msg;
		const char *why;
	} bad_first[] = {
		{ "p=tls-unique,,n=user,r=abc", "channel binding asked (no -PLUS offered)" },
		{ "n,,n=,r=abc", "empty user name" },
		{ "n,,n=us=er,r=abc", "bad '=' escape in the user name" },
		{ "n,,n=user", "no nonce" },
		{ "n,,n=user,r=", "empty nonce" },
		{ "n,,m=ext,n=user,r=abc", "mandatory extension" },
		{ "x,,n=user,r=abc", "unknown gs2 flag" },
		{ "n,b=x,n=user,r=abc", "bad authzid field" },
		{ "n,,r=abc,n=user", "fields out of order" },
		{ "", "empty message" },
	};
	for (size_t i = 0; i < sizeof(bad_first) / sizeof(bad_first[0]); i++)
		is_int(sha1_with(&f, bad_first[i].msg, SHA1_FINAL), XMPP_SASL_FAIL_MALFORMED_REQUEST,
		       "client-first %s: malformed-request", bad_first[i].why);

	/* A NUL inside the message. */
	{
		static const char raw[] = "n,,n=us\0er,r=abc";
		char enc[64];

		s = xmpp_sasl_new(&ops, &f, NULL, 0);
		cv_base64_encode(raw, sizeof(raw) - 1, enc);
		xmpp_sasl_start(s, "SCRAM-SHA-1", enc, &o);
		ok(o.step == XMPP_SASL_FAILURE && o.fail == XMPP_SASL_FAIL_MALFORMED_REQUEST,
		   "NUL in client-first: malformed-request");
		xmpp_sasl_free(s);
	}

	s = xmpp_sasl_new(&ops, &f, NULL, 0);
	xmpp_sasl_start(s, "SCRAM-SHA-1", "bi==ws", &o);
	ok(o.step == XMPP_SASL_FAILURE && o.fail == XMPP_SASL_FAIL_INCORRECT_ENCODING,
	   "bad base64: incorrect-encoding");
	ok(xmpp_sasl_response(s, "=", &o) == -EALREADY && o.fail == XMPP_SASL_FAIL_MALFORMED_REQUEST,
	   "a response after a failure is refused");
	xmpp_sasl_free(s);

	/* Unknown user: a challenge all the same, with the same salt on
	 * every attempt, then not-authorized. */
	s = xmpp_sasl_new(&ops, &f, (const uint8_t *)"server secret", 13);
	r = send_msg(s, "SCRAM-SHA-1", "n,,n=nobody,r=abc", &o);
	ok(o.step == XMPP_SASL_CHALLENGE && r && strncmp(r, "r=abc3rfc", 9) == 0,
	   "unknown user: a challenge like any other");
	xmpp_sasl_free(s);
	s = xmpp_sasl_new(&ops, &f, (const uint8_t *)"server secret", 13);
	r2 = send_msg(s, "SCRAM-SHA-1", "n,,n=nobody,r=abc", &o);
	is_str(r2, r, "unknown user: the same salt and count on a second attempt");
	free(send_msg(s, NULL, "c=biws,r=abc3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", &o));
	ok(o.step == XMPP_SASL_FAILURE && o.fail == XMPP_SASL_FAIL_NOT_AUTHORIZED,
	   "unknown user: not-authorized at the proof");
	xmpp_sasl_free(s);
	free(r);
	free(r2);

	f.lookup_rc = -EACCES;
	is_int(sha1_with(&f, SHA1_FIRST, SHA1_FINAL), XMPP_SASL_FAIL_ACCOUNT_DISABLED,
	       "disabled account: account-disabled");
	f.lookup_rc = -EIO;
	is_int(sha1_with(&f, SHA1_FIRST, SHA1_FINAL), XMPP_SASL_FAIL_TEMPORARY_AUTH_FAILURE,
	       "lookup failure: temporary-auth-failure");
	f = sha1_fx();
	f.snonce = "bad,nonce";
	is_int(sha1_with(&f, SHA1_FIRST, SHA1_FINAL), XMPP_SASL_FAIL_TEMPORARY_AUTH_FAILURE,
	       "a server nonce with ',' is never sent");

	/* authzid and escapes in the user name. */
	f = sha1_fx();
	f.user = "a,b=c";
	s = xmpp_sasl_new(&ops, &f, NULL, 0);
	free(send_msg(s, "SCRAM-SHA-1", "n,a=x=2Cy,n=a=2Cb=3Dc,r=abc", &o));
	ok(o.step == XMPP_SASL_CHALLENGE && f.lookups == 1, "saslname escapes decoded for lookup");
	xmpp_sasl_free(s);
}

static void test_no_initial_response(void)
{
	struct fixture f = sha1_fx();
	struct xmpp_sasl *s = xmpp_sasl_new(&ops, &f, NULL, 0);
	struct xmpp_sasl_out o;
	char *r;

	xmpp_sasl_start(s, "SCRAM-SHA-1", NULL, &o);
	is_str(o.data, "=", "no initial response: an empty challenge");
	xmpp_sasl_out_clear(&o);
	r = send_msg(s, NULL, SHA1_FIRST, &o);
	is_str(r, SHA1_SFIRST, "then client-first as a response");
	free(r);
	r = send_msg(s, NULL, SHA1_FINAL, &o);
	is_str(r, SHA1_SFINAL, "and the exchange completes");
	free(r);
	xmpp_sasl_free(s);
}

static void test_plain(void)
{
	struct fixture f = { "alice", "alicepass" };
	struct xmpp_sasl *s;
	struct xmpp_sasl_out o;

	s = xmpp_sasl_new(&ops, &f, NULL, 0);
	xmpp_sasl_start(s, "PLAIN", "AGFsaWNlAGFsaWNlcGFzcw==", &o);
	ok(o.step == XMPP_SASL_SUCCESS && o.data == NULL, "PLAIN: spec/xmpp.md 2.2 example succeeds");
	is_str(xmpp_sasl_user(s), "alice", "PLAIN: user");
	xmpp_sasl_free(s);

	static const struct {
		const char *msg;
		size_t len;
		enum xmpp_sasl_fail want;
		const char *why;
	} cases[] = {
		{ "\0alice\0wrong", 12, XMPP_SASL_FAIL_NOT_AUTHORIZED, "wrong password" },
		{ "\0bob\0alicepass", 14, XMPP_SASL_FAIL_NOT_AUTHORIZED, "unknown user" },
		{ "alice\0alicepass", 15, XMPP_SASL_FAIL_MALFORMED_REQUEST, "one NUL" },
		{ "\0\0alicepass", 11, XMPP_SASL_FAIL_MALFORMED_REQUEST, "empty authcid" },
		{ "\0alice\0", 7, XMPP_SASL_FAIL_MALFORMED_REQUEST, "empty password" },
		{ "\0alice\0alice\0pass", 17, XMPP_SASL_FAIL_MALFORMED_REQUEST, "three NULs" },
		{ "", 0, XMPP_SASL_FAIL_MALFORMED_REQUEST, "empty message" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char enc[64];

		s = xmpp_sasl_new(&ops, &f, NULL, 0);
		if (cases[i].len)
			cv_base64_encode(cases[i].msg, cases[i].len, enc);
		else
			snprintf(enc, sizeof(enc), "=");
		xmpp_sasl_start(s, "PLAIN", enc, &o);
		ok(o.step == XMPP_SASL_FAILURE && o.fail == cases[i].want, "PLAIN %s: %s",
		   cases[i].why, xmpp_sasl_fail_name(cases[i].want));
		ok(xmpp_sasl_user(s) == NULL, "PLAIN %s: no user", cases[i].why);
		xmpp_sasl_free(s);
	}

	/* Empty initial response, then the credentials; authzid kept. */
	s = xmpp_sasl_new(&ops, &f, NULL, 0);
	xmpp_sasl_start(s, "PLAIN", NULL, &o);
	ok(o.step == XMPP_SASL_CHALLENGE, "PLAIN without initial response: a challenge");
	xmpp_sasl_out_clear(&o);
	{
		static const char m[] = "alice@example.com\0alice\0alicepass";
		char enc[80];

		cv_base64_encode(m, sizeof(m) - 1, enc);
		xmpp_sasl_response(s, enc, &o);
	}
	ok(o.step == XMPP_SASL_SUCCESS, "PLAIN credentials in the response");
	is_str(xmpp_sasl_authzid(s), "alice@example.com", "PLAIN: authzid for the consumer to check");
	xmpp_sasl_free(s);
}

static void test_misc(void)
{
	struct fixture f = sha1_fx();
	struct xmpp_sasl *s;
	struct xmpp_sasl_out o;
	struct xmpp_scram_creds c;
	enum xmpp_sasl_mech m;

	s = xmpp_sasl_new(&ops, &f, NULL, 0);
	xmpp_sasl_start(s, "DIGEST-MD5", "=", &o);
	ok(o.step == XMPP_SASL_FAILURE && o.fail == XMPP_SASL_FAIL_INVALID_MECHANISM,
	   "unknown mechanism: invalid-mechanism");
	xmpp_sasl_free(s);
	s = xmpp_sasl_new(&ops, &f, NULL, 0);
	xmpp_sasl_start(s, "SCRAM-SHA-1-PLUS", "=", &o);
	ok(o.step == XMPP_SASL_FAILURE && o.fail == XMPP_SASL_FAIL_INVALID_MECHANISM,
	   "SCRAM-SHA-1-PLUS is not offered: invalid-mechanism");
	xmpp_sasl_free(s);
	s = xmpp_sasl_new(&ops, &f, NULL, 0);
	xmpp_sasl_start(s, "PLAIN", NULL, &o);
	xmpp_sasl_out_clear(&o);
	xmpp_sasl_abort(s, &o);
	ok(o.step == XMPP_SASL_FAILURE && o.fail == XMPP_SASL_FAIL_ABORTED, "abort: aborted");
	ok(xmpp_sasl_start(s, "PLAIN", "=", &o) == -EALREADY, "start after abort is refused");
	xmpp_sasl_free(s);

	{
		char big[XMPP_SASL_MSG_MAX + 8];

		memset(big, 'A', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		s = xmpp_sasl_new(&ops, &f, NULL, 0);
		xmpp_sasl_start(s, "SCRAM-SHA-1", big, &o);
		ok(o.step == XMPP_SASL_FAILURE && o.fail == XMPP_SASL_FAIL_MALFORMED_REQUEST,
		   "message over %u characters: malformed-request", XMPP_SASL_MSG_MAX);
		xmpp_sasl_free(s);
	}

	is_int(xmpp_scram_derive(XMPP_SASL_PLAIN, "x", (const uint8_t *)"s", 1, 4096, &c), -EINVAL,
	       "derive: PLAIN has no SCRAM keys");
	is_int(xmpp_scram_derive(XMPP_SASL_SCRAM_SHA_1, "x", (const uint8_t *)"s", 0, 4096, &c),
	       -EINVAL, "derive: empty salt refused");
	is_int(xmpp_scram_derive(XMPP_SASL_SCRAM_SHA_1, "x", (const uint8_t *)"s", 1, 0, &c), -EINVAL,
	       "derive: zero iterations refused");
	ok(xmpp_sasl_mech_parse("SCRAM-SHA-256", &m) == 0 && m == XMPP_SASL_SCRAM_SHA_256,
	   "mechanism names parse");
	is_str(xmpp_sasl_fail_name(XMPP_SASL_FAIL_TEMPORARY_AUTH_FAILURE), "temporary-auth-failure",
	       "failure names");
	ok(xmpp_sasl_fail_name(XMPP_SASL_FAIL_NONE) == NULL, "no name for NONE");
}

int main(void)
{
	struct fixture f1 = sha1_fx();
	struct fixture f256 = { "user", "pencil", "W22ZaJ0SNY7soEsUEjb6gQ==", 4096,
				"%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0" };

	rfc_vector("SCRAM-SHA-1", SHA1_FIRST, SHA1_SFIRST, SHA1_FINAL, SHA1_SFINAL, &f1);
	rfc_vector("SCRAM-SHA-256", SHA256_FIRST, SHA256_SFIRST, SHA256_FINAL, SHA256_SFINAL, &f256);
	test_scram_failures();
	test_no_initial_response();
	test_plain();
	test_misc();
	return tap_done();
}
