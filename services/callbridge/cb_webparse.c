// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The parsers of the Web Admin listener's own headers (cb_web.h): pure
 * functions, no I/O, apart from the listener so that tests/fuzz/cbweb_fuzz
 * runs them alone. Each has a size cap of its own, whatever the HTTP
 * layer's header cap is.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/base64.h"
#include "lib/parse.h"
#include "lib/strbuf.h"
#include "services/callbridge/cb_web.h"

#define TRACE_LINE 48

int cb_web_basic_auth(const char *header, char *user, size_t ulen, char *password, size_t plen)
{
	char buf[2 * CB_WEB_CRED_MAX + 8];
	size_t n, len;
	char *colon;

	if (!header || strncasecmp(header, "Basic ", 6) != 0)
		return -EINVAL;
	header += 6;
	while (*header == ' ')
		header++;
	/* The cap: base64 of at most sizeof(buf) - 8 bytes. */
	n = strnlen(header, CV_BASE64_LEN(sizeof(buf) - 8) + 1);
	if (n == 0 || CV_BASE64_LEN(sizeof(buf) - 8) < n)
		return -EINVAL;
	if (cv_base64_decode(header, n, buf, &len) < 0 || len >= sizeof(buf))
		return -EINVAL;
	buf[len] = '\0';
	colon = memchr(buf, ':', len);
	if (!colon || strlen(buf) != len || colon == buf) {
		explicit_bzero(buf, sizeof(buf));
		return -EINVAL;
	}
	*colon = '\0';
	if ((size_t)(colon - buf) >= ulen || strlen(colon + 1) >= plen ||
	    (size_t)(colon - buf) > CB_WEB_CRED_MAX || strlen(colon + 1) > CB_WEB_CRED_MAX) {
		explicit_bzero(buf, sizeof(buf));
		return -EINVAL;
	}
	snprintf(user, ulen, "%s", buf);
	snprintf(password, plen, "%s", colon + 1);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}


bool cb_web_secret_key(const char *k, size_t n)
{
	struct strbuf low = STRBUF_INIT;
	bool secret;

	/* Judged on the key as the API core will read it: %XX and '+'
	 * decoded ("pass%77ord" is "password"), lower case, over its whole
	 * length; NUL bytes are dropped, so that "pass%00word" is one too
	 * (the core refuses it, but the trace line comes first). */
	for (size_t i = 0; i < n; i++) {
		char c = k[i];

		if (c == '%' && i + 2 < n && cv_hexval(k[i + 1]) >= 0 && cv_hexval(k[i + 2]) >= 0) {
			c = (char)(cv_hexval(k[i + 1]) * 16 + cv_hexval(k[i + 2]));
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c)
			sb_putc(&low, (char)tolower((unsigned char)c));
	}
	secret = low.len && (strstr(low.buf, "password") || strstr(low.buf, "secret") ||
			     strstr(low.buf, "passcode"));
	sb_free(&low);
	return secret;
}

void cb_web_trace_mask(const char *body, size_t len, struct strbuf *out)
{
	const char *p = body, *end = body + len;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pe - p));

		if (eq && cb_web_secret_key(p, (size_t)(eq - p))) {
			sb_put(out, p, (size_t)(eq - p) + 1);
			sb_puts(out, "********");
		} else {
			sb_put(out, p, (size_t)(pe - p));
		}
		if (amp)
			sb_putc(out, '&');
		p = amp ? amp + 1 : end;
	}
}

void cb_web_trace_body(const char *body, size_t len, void (*emit)(const char *line, void *arg),
		       void *arg)
{
	struct strbuf masked = STRBUF_INIT;
	const char *p, *end;

	/* The cap: the API's; the HTTP layer refuses more before this. */
	if (len > CB_WEB_TRACE_MAX)
		len = CB_WEB_TRACE_MAX;
	/* Mask first, so that no cut can leave part of a secret on a line. */
	cb_web_trace_mask(body, len, &masked);
	p = sb_str(&masked);
	end = p + masked.len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp + 1 : end;

		while (p < pe) {
			size_t n = (size_t)(pe - p) > TRACE_LINE ? TRACE_LINE : (size_t)(pe - p);
			struct strbuf line = STRBUF_INIT;

			/* Control bytes and bad UTF-8 cannot reach the log. */
			sb_put_escaped(&line, p, n, false);
			emit(sb_str(&line), arg);
			sb_free(&line);
			p += n;
		}
	}
	sb_free(&masked);
}

int cb_web_session_cookie(const char *cookie, char id[65])
{
	const char *p;
	size_t n;

	id[0] = '\0';
	if (!cookie)
		return -ENOENT;
	n = strnlen(cookie, CB_WEB_COOKIE_MAX + 1);
	if (n > CB_WEB_COOKIE_MAX)
		return -EINVAL;
	/* The first cookie named exactly cvsession (at the start or after
	 * "; " or ";"), not one whose name merely ends so (xcvsession=). */
	for (p = cookie; (p = strstr(p, "cvsession=")); p += 10)
		if (p == cookie || p[-1] == ' ' || p[-1] == ';')
			break;
	if (!p)
		return -ENOENT;
	p += 10;
	if (strspn(p, "0123456789abcdef") != 64)
		return -EINVAL;
	memcpy(id, p, 64);
	id[64] = '\0';
	return 0;
}

bool cb_web_same_origin(bool tls, const char *host, const char *origin, const char *referer)
{
	char want[CB_WEB_HOST_MAX + 16];
	size_t n;

	if (!host || strnlen(host, CB_WEB_HOST_MAX + 1) > CB_WEB_HOST_MAX || !host[0])
		return false;
	n = (size_t)snprintf(want, sizeof(want), "%s://%s", tls ? "https" : "http", host);
	if (origin && strcasecmp(origin, want) != 0)
		return false;
	if (referer &&
	    (strnlen(referer, CB_WEB_REFERER_MAX + 1) > CB_WEB_REFERER_MAX ||
	     strncasecmp(referer, want, n) != 0 || (referer[n] != '/' && referer[n] != '\0')))
		return false;
	return true;
}
