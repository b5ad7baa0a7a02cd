// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the Web Admin listener's own parsers of client
 * input (services/callbridge/cb_web.h, cb_webparse.c): the Basic auth
 * header, the session cookie, the Origin/Referer check and the API trace
 * masking. The first byte picks options (bit 0: TLS listener, bit 1: put
 * "Basic " before the Authorization value); the rest is split at its
 * first three newlines into Host, Origin, Referer and the remainder, and
 * the whole rest is also the Authorization value, the Cookie header and
 * the traced body. Invariants:
 *   - basic auth: on success, user non-empty, both within CB_WEB_CRED_MAX
 *     and NUL-free, and base64 of "user:password" is what was sent;
 *   - cookie: on success the id is 64 lowercase hex digits and
 *     "cvsession=<id>" is in the header; over CB_WEB_COOKIE_MAX: refused;
 *   - origin: a yes means the Origin (if any) is "<scheme>://<host>" and
 *     the Referer (if any) starts with it followed by '/' or its end;
 *   - masking: pieces ('&') keep their count; a piece is unchanged, or it
 *     is its key, '=', "********" and the key is a secret one; an
 *     unchanged piece with '=' has a key that is not; trace lines are at
 *     most 4 * 48 bytes, without control bytes.
 * Also tests/fuzz/cbweb_replay in `make check` (tests/fuzz/replay.c) over
 * tests/fuzz/corpus/cbweb/.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/base64.h"
#include "lib/mem.h"
#include "lib/strbuf.h"
#include "services/callbridge/cb_web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_basic(const char *s, bool prefix)
{
	char user[CB_WEB_CRED_MAX + 1], pw[CB_WEB_CRED_MAX + 1];
	struct strbuf h = STRBUF_INIT;
	const char *b64;

	if (prefix)
		sb_puts(&h, "Basic ");
	sb_puts(&h, s);
	if (cb_web_basic_auth(sb_str(&h), user, sizeof(user), pw, sizeof(pw)) == 0) {
		size_t ul = strlen(user), pl = strlen(pw), len;
		char *plain;

		if (!ul || ul > CB_WEB_CRED_MAX || pl > CB_WEB_CRED_MAX)
			abort();
		/* What was sent decodes to exactly user:password. */
		b64 = sb_str(&h) + 6;
		while (*b64 == ' ')
			b64++;
		plain = xmalloc(strlen(b64) + 4);
		if (cv_base64_decode(b64, strlen(b64), plain, &len) < 0 || len != ul + 1 + pl ||
		    memcmp(plain, user, ul) != 0 || plain[ul] != ':' ||
		    memcmp(plain + ul + 1, pw, pl) != 0)
			abort();
		free(plain);
	}
	sb_free(&h);
}

static void check_cookie(const char *s)
{
	char id[65], *want;
	int r = cb_web_session_cookie(s, id);

	if (r == 0) {
		if (strlen(id) != 64 || strspn(id, "0123456789abcdef") != 64)
			abort();
		want = xasprintf("cvsession=%s", id);
		if (!strstr(s, want) || strlen(s) > CB_WEB_COOKIE_MAX)
			abort();
		free(want);
	} else if (r != -ENOENT && r != -EINVAL) {
		abort();
	}
}

static void check_origin(bool tls, const char *rest)
{
	char *copy = xstrdup(rest), *f[3] = { NULL, NULL, NULL }, *p = copy;

	for (int i = 0; i < 3 && p; i++) {
		char *nl = strchr(p, '\n');

		f[i] = p;
		if (nl)
			*nl = '\0';
		p = nl ? nl + 1 : NULL;
	}
	/* An empty field stands for a header not sent. */
	for (int i = 1; i < 3; i++)
		if (f[i] && !f[i][0])
			f[i] = NULL;
	if (cb_web_same_origin(tls, f[0], f[1], f[2])) {
		char *want;
		size_t n;

		if (!f[0] || !f[0][0] || strlen(f[0]) > CB_WEB_HOST_MAX)
			abort();
		want = xasprintf("%s://%s", tls ? "https" : "http", f[0]);
		n = strlen(want);
		if (f[1] && strcasecmp(f[1], want) != 0)
			abort();
		if (f[2] && (strncasecmp(f[2], want, n) != 0 || (f[2][n] && f[2][n] != '/')))
			abort();
		free(want);
	} else if (f[0] && f[0][0] && strlen(f[0]) <= CB_WEB_HOST_MAX) {
		/* No: then a header that was sent differs. */
		char *want = xasprintf("%s://%s", tls ? "https" : "http", f[0]);

		if ((!f[1] || !strcasecmp(f[1], want)) && (!f[2] || !strcasecmp(f[2], want)))
			abort();
		free(want);
	}
	free(copy);
}

static size_t pieces(const char *s, size_t len)
{
	size_t n = 1;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '&';
	return n;
}

static void emit(const char *line, void *arg)
{
	size_t *n = arg, len = strlen(line);

	(*n)++;
	if (len > 4 * 48)
		abort();
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			abort();
}

static void check_mask(const char *body, size_t len)
{
	struct strbuf m = STRBUF_INIT;
	const char *p = body, *end = body + len, *q, *qend;
	size_t lines = 0;

	cb_web_trace_mask(body, len, &m);
	q = sb_str(&m);
	qend = q + m.len;
	if (pieces(body, len) != pieces(q, m.len))
		abort();
	/* Walk both, piece by piece. */
	for (;;) {
		const char *a = memchr(p, '&', (size_t)(end - p));
		const char *b = memchr(q, '&', (size_t)(qend - q));
		size_t pl = (size_t)((a ? a : end) - p), ql = (size_t)((b ? b : qend) - q);
		const char *eq = memchr(p, '=', pl);

		if (pl == ql && memcmp(p, q, pl) == 0) {
			/* Unchanged: not a secret, unless its value was already the mask. */
			if (eq && cb_web_secret_key(p, (size_t)(eq - p)) &&
			    !(pl - (size_t)(eq - p) == 9 && !memcmp(eq + 1, "********", 8)))
				abort();
		} else {
			size_t kl;

			if (!eq)
				abort();
			kl = (size_t)(eq - p);
			if (ql != kl + 9 || memcmp(q, p, kl + 1) != 0 ||
			    memcmp(q + kl + 1, "********", 8) != 0 || !cb_web_secret_key(p, kl))
				abort();
		}
		if (!a || !b)
			break;
		p = a + 1;
		q = b + 1;
	}
	sb_free(&m);
	cb_web_trace_body(body, len, emit, &lines);
	if (len && !lines)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	bool tls, prefix;

	if (size < 1 || size > 70000)
		return 0;
	tls = data[0] & 1;
	prefix = data[0] & 2;
	data++;
	size--;
	s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	/* The header parsers see a C string (MHD's headers end at a NUL). */
	check_basic(s, prefix);
	check_cookie(s);
	check_origin(tls, s);
	/* The body may hold NUL bytes. */
	check_mask(s, size);
	free(s);
	return 0;
}
