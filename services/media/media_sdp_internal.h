/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What media_sdp.c (the parser) and media_sdp_answer.c (the builder)
 * share: helpers on input slices and the fingerprint grammar. Not for
 * other users; media_sdp.h is the interface.
 */
#ifndef MEDIA_SDP_INTERNAL_H
#define MEDIA_SDP_INTERNAL_H

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "services/media/media_sdp.h"

static inline bool str_is(struct md_sdp_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.p && s.len == n && memcmp(s.p, lit, n) == 0;
}

static inline bool str_case_is(struct md_sdp_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.p && s.len == n && strncasecmp(s.p, lit, n) == 0;
}

static inline bool str_eq(struct md_sdp_str a, struct md_sdp_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* Splits the next space-separated token off *rest (runs of spaces count as
 * one: Chrome writes "a=msid-semantic: WMS"). Empty when none is left. */
static inline struct md_sdp_str next_tok(struct md_sdp_str *rest)
{
	struct md_sdp_str t = { rest->p, 0 };
	size_t i = 0;

	while (i < rest->len && rest->p[i] == ' ')
		i++;
	t.p = rest->p + i;
	while (i < rest->len && rest->p[i] != ' ')
		i++, t.len++;
	while (i < rest->len && rest->p[i] == ' ')
		i++;
	rest->p += i;
	rest->len -= i;
	return t;
}

/* Splits off up to the first c; the rest is after it, or empty with
 * *found false. */
static inline struct md_sdp_str split_at(struct md_sdp_str *rest, char c, bool *found)
{
	const char *q = rest->len ? memchr(rest->p, c, rest->len) : NULL;
	struct md_sdp_str t = *rest;

	*found = q != NULL;
	if (!q) {
		rest->p += rest->len;
		rest->len = 0;
		return t;
	}
	t.len = (size_t)(q - rest->p);
	rest->len -= t.len + 1;
	rest->p = q + 1;
	return t;
}

/* RFC 8866 section 9 token-char. */
static inline bool is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !strchr("\"(),/:;<=>?@[\\]", c);
}

static inline bool is_token(struct md_sdp_str s, size_t max)
{
	if (!s.len || s.len > max)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (!is_token_char((unsigned char)s.p[i]))
			return false;
	return true;
}

/* RFC 8866 section 9: proto = token *("/" token). */
static inline bool is_proto(struct md_sdp_str s)
{
	if (!s.len || s.len > 64 || s.p[0] == '/' || s.p[s.len - 1] == '/')
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (!(is_token_char((unsigned char)s.p[i]) ||
		      (s.p[i] == '/' && s.p[i - 1] != '/')))
			return false;
	return true;
}

/* RFC 8839 section 5.1 ice-char. */
static inline bool is_ice_chars(struct md_sdp_str s, size_t min, size_t max)
{
	if (s.len < min || s.len > max)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return false;
	}
	return true;
}

static inline struct md_sdp_pt *md_sdp_find_pt(const struct md_sdp_msect *m, unsigned pt)
{
	for (unsigned i = 0; i < m->n_pts; i++)
		if (m->pts[i].pt == pt)
			return (struct md_sdp_pt *)&m->pts[i];
	return NULL;
}

/* "sha-256 AB:CD:..." (RFC 8122 section 5) into *ret; -EINVAL with a
 * short reason in *why. */
int md_sdp_fp_parse(struct md_sdp_str v, struct md_sdp_fp *ret, const char **why);

#endif
