// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the SASL exchanges (services/xmpp/xmpp_sasl.h).
 * The input is a sequence of lines: the first names the mechanism, each
 * further line is one client message (raw; it is base64-encoded here, and
 * a line "!" is sent as bad base64, "-" as an absent payload). The user
 * "user" with password "pencil" exists for SCRAM (2 iterations) and
 * PLAIN. Checks: every step gives exactly one of challenge (with data),
 * success or failure (with a named condition); success only for the user
 * that exists, with the authenticated name; no user after a failure;
 * nothing after a success or failure but refusals; and xmpp_sasl_peek()
 * on the first message. Also
 * tests/fuzz/xmppsasl_replay in `make check`.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/mem.h"
#include "services/xmpp/xmpp_sasl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct xmpp_scram_creds creds[XMPP_SASL_MECH_COUNT_];

static int lookup(void *arg, const char *user, enum xmpp_sasl_mech m, struct xmpp_scram_creds *ret)
{
	(void)arg;
	if (strcmp(user, "user") != 0)
		return -ENOENT;
	*ret = creds[m];
	return 0;
}

static int verify(void *arg, const char *authcid, const char *password)
{
	(void)arg;
	return strcmp(authcid, "user") == 0 && strcmp(password, "pencil") == 0 ? 0 : -EACCES;
}

static int nonce(void *arg, char *buf, size_t size)
{
	(void)arg;
	snprintf(buf, size, "%s", "3rfcNHYJY1ZVvWVs7j");
	return 0;
}

static const struct xmpp_sasl_ops ops = { lookup, verify, nonce };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	const char *p = (const char *)data, *end = p + size;
	struct xmpp_sasl *s;
	struct xmpp_sasl_out o;
	bool first = true, over = false;
	char mech[32];
	const char *nl;

	if (!init) {
		/* Small iteration counts keep the fuzzer fast; the code path
		 * is the same. */
		if (xmpp_scram_derive(XMPP_SASL_SCRAM_SHA_1, "pencil", (const uint8_t *)"salt", 4, 2,
				      &creds[XMPP_SASL_SCRAM_SHA_1]) < 0 ||
		    xmpp_scram_derive(XMPP_SASL_SCRAM_SHA_256, "pencil", (const uint8_t *)"salt", 4, 2,
				      &creds[XMPP_SASL_SCRAM_SHA_256]) < 0)
			abort();
		init = true;
	}
	nl = memchr(p, '\n', size);
	if (!nl || (size_t)(nl - p) >= sizeof(mech))
		return 0;
	memcpy(mech, p, (size_t)(nl - p));
	mech[nl - p] = '\0';
	p = nl + 1;
	s = xmpp_sasl_new(&ops, NULL, (const uint8_t *)"k", 1);
	for (int i = 0; i < 8 && p <= end; i++) {
		const char *line_end = memchr(p, '\n', (size_t)(end - p));
		size_t len = line_end ? (size_t)(line_end - p) : (size_t)(end - p);
		char *enc = NULL;
		const char *payload;
		int rc;

		if (len == 1 && p[0] == '!') {
			payload = "@@@@";
		} else if (len == 1 && p[0] == '-') {
			payload = NULL;
		} else {
			enc = xmalloc(CV_BASE64_LEN(len) + 1);
			cv_base64_encode(p, len, enc);
			payload = enc;
		}
		if (first) {
			/* What the server reads before the exchange: a user
			 * that is a non-empty string, a password for PLAIN. */
			enum xmpp_sasl_mech m;
			char *u = NULL, *pw = NULL;

			if (xmpp_sasl_mech_parse(mech, &m) == 0 &&
			    xmpp_sasl_peek(m, payload, &u, &pw) == 0 &&
			    (!u || !*u || (m == XMPP_SASL_PLAIN) != (pw != NULL)))
				abort();
			free(u);
			free(pw);
		}
		rc = first ? xmpp_sasl_start(s, mech, payload, &o) : xmpp_sasl_response(s, payload, &o);
		first = false;
		free(enc);
		if (over && (rc != -EALREADY || o.step != XMPP_SASL_FAILURE))
			abort(); /* nothing moves after the end */
		switch (o.step) {
		case XMPP_SASL_CHALLENGE:
			if (!o.data || o.fail != XMPP_SASL_FAIL_NONE)
				abort();
			break;
		case XMPP_SASL_SUCCESS:
			if (!xmpp_sasl_done(s) || strcmp(xmpp_sasl_user(s), "user") != 0)
				abort();
			over = true;
			break;
		case XMPP_SASL_FAILURE:
			if (!xmpp_sasl_fail_name(o.fail) || xmpp_sasl_done(s) || xmpp_sasl_user(s))
				abort();
			over = true;
			break;
		default:
			abort();
		}
		xmpp_sasl_out_clear(&o);
		if (!line_end)
			break;
		p = line_end + 1;
	}
	xmpp_sasl_free(s);
	return 0;
}
