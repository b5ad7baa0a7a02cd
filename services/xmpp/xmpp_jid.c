// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * JID parsing (see xmpp_jid.h for what of RFC 7622 is and is not done).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "services/xmpp/xmpp_jid.h"

/* Valid UTF-8 (shortest forms, no surrogates, <= U+10FFFF) without
 * control characters: C0, DEL and C1 (U+0080..U+009F). */
static bool utf8_text_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], cp, need;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i <= need)
			return false;
		for (unsigned k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
			return false;
		i += need + 1;
	}
	return true;
}

static bool part_ok(const char *s, size_t n)
{
	return n >= 1 && n <= XMPP_JID_PART_MAX && utf8_text_ok((const unsigned char *)s, n);
}

bool xmpp_jid_resource_valid(const char *s, size_t len)
{
	return part_ok(s, len) && !memchr(s, '\0', len);
}

static bool local_ok(const char *s, size_t n)
{
	if (!part_ok(s, n))
		return false;
	/* RFC 7622 section 3.3.1. */
	for (size_t i = 0; i < n; i++)
		if (strchr("\"&'/:<>@ ", s[i]))
			return false;
	return true;
}

static bool is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* d is NUL-terminated, without a trailing dot. */
static bool domain_ok(const char *d, size_t n)
{
	unsigned char in6[16], in4[4];

	if (n == 0 || n > XMPP_JID_PART_MAX)
		return false;
	if (d[0] == '[') {
		char tmp[64];

		if (n < 3 || d[n - 1] != ']' || n - 2 >= sizeof(tmp))
			return false;
		memcpy(tmp, d + 1, n - 2);
		tmp[n - 2] = '\0';
		return inet_pton(AF_INET6, tmp, in6) == 1;
	}
	if (inet_pton(AF_INET, d, in4) == 1)
		return true;
	if (!utf8_text_ok((const unsigned char *)d, n))
		return false;
	for (size_t i = 0; i < n;) {
		size_t l = strcspn(d + i, ".");

		if (l == 0 || l > 63 || d[i] == '-' || d[i + l - 1] == '-')
			return false;
		for (size_t k = i; k < i + l; k++) {
			unsigned char c = (unsigned char)d[k];

			if (c < 0x80 && !is_alnum(c) && c != '-')
				return false;
		}
		i += l;
		if (i < n)
			i++; /* the dot; a final empty label fails above */
		if (i == n && d[n - 1] == '.')
			return false;
	}
	return true;
}

static void fold_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

int xmpp_jid_parse(const char *s, size_t len, struct xmpp_jid *ret)
{
	const char *slash, *at, *dom;
	size_t head, dlen;
	char *local = NULL, *domain = NULL, *resource = NULL;

	if (memchr(s, '\0', len))
		return -EINVAL;
	slash = memchr(s, '/', len);
	head = slash ? (size_t)(slash - s) : len;
	at = memchr(s, '@', head);
	dom = at ? at + 1 : s;
	dlen = head - (size_t)(dom - s);
	/* Section 3.2: a trailing dot is stripped before any comparison. */
	if (dlen > 1 && dom[dlen - 1] == '.')
		dlen--;
	if (at && !local_ok(s, (size_t)(at - s)))
		return -EINVAL;
	if (slash && !part_ok(slash + 1, len - head - 1))
		return -EINVAL;
	domain = xstrndup(dom, dlen);
	if (!domain_ok(domain, dlen)) {
		free(domain);
		return -EINVAL;
	}
	fold_ascii(domain);
	if (at) {
		local = xstrndup(s, (size_t)(at - s));
		fold_ascii(local);
	}
	if (slash)
		resource = xstrndup(slash + 1, len - head - 1);
	ret->local = local;
	ret->domain = domain;
	ret->resource = resource;
	return 0;
}

void xmpp_jid_free(struct xmpp_jid *j)
{
	free(j->local);
	free(j->domain);
	free(j->resource);
	j->local = j->domain = j->resource = NULL;
}

char *xmpp_jid_bare(const struct xmpp_jid *j)
{
	if (j->local)
		return xasprintf("%s@%s", j->local, j->domain);
	return xstrdup(j->domain);
}

char *xmpp_jid_full(const struct xmpp_jid *j)
{
	if (!j->resource)
		return xmpp_jid_bare(j);
	if (j->local)
		return xasprintf("%s@%s/%s", j->local, j->domain, j->resource);
	return xasprintf("%s/%s", j->domain, j->resource);
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

bool xmpp_jid_equal(const struct xmpp_jid *a, const struct xmpp_jid *b, bool bare)
{
	return str_eq(a->local, b->local) && str_eq(a->domain, b->domain) &&
	       (bare || str_eq(a->resource, b->resource));
}
