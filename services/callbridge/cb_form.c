// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The form parser of cb_form.h: one pass over the input, each '&'-separated
 * pair decoded into fresh strings. Nothing of a bad input is kept.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/parse.h"
#include "services/callbridge/cb_form.h"

bool cb_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t need;
		unsigned cp, min;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false; /* continuation byte, 0xc0/0xc1, 0xf5.. */
		}
		if (n - i - 1 < need)
			return false;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}


/* Decodes n bytes of s into a new string; -EINVAL with *why set. */
static int decode(const char *s, size_t n, char **ret, const char **why)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3 || (hi = cv_hexval(s[i + 1])) < 0 ||
			    (lo = cv_hexval(s[i + 2])) < 0) {
				*why = "badEscape";
				goto bad;
			}
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		/* Tab, LF and CR may appear in free text; other C0
		 * controls and DEL have no place in any API field and
		 * would only smuggle things into logs or XML. */
		if (c == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
			*why = "controlCharacter";
			goto bad;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (!cb_utf8_valid(out, o)) {
		*why = "invalidUtf8";
		goto bad;
	}
	*ret = out;
	return 0;
bad:
	free(out);
	return -EINVAL;
}

static void set_bad(struct cb_form *form, const char *key, size_t klen, const char *why)
{
	size_t n = klen < CB_FORM_KEY_MAX ? klen : CB_FORM_KEY_MAX;

	/* Only a key that is itself clean goes into the error answer. */
	memcpy(form->bad_key, key, n);
	form->bad_key[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)form->bad_key[i];

		if (c < 0x20 || c >= 0x7f || c == '%' || c == '&' || c == '<' || c == '"') {
			form->bad_key[0] = '\0';
			break;
		}
	}
	form->reason = why;
}

void cb_form_free(struct cb_form *form)
{
	for (size_t i = 0; i < form->n; i++) {
		free(form->pairs[i].key);
		/* Values may be passwords and shared secrets. */
		explicit_bzero(form->pairs[i].value, strlen(form->pairs[i].value));
		free(form->pairs[i].value);
	}
	free(form->pairs);
	form->pairs = NULL;
	form->n = 0;
}

int cb_form_parse(const char *s, size_t len, size_t max, unsigned flags, struct cb_form *form)
{
	size_t pos = 0;
	int r = 0;

	memset(form, 0, sizeof(*form));
	if (len > max) {
		form->reason = "tooLarge";
		return -E2BIG;
	}
	form->pairs = xcalloc(CB_FORM_FIELDS_MAX, sizeof(*form->pairs));
	while (pos < len) {
		const char *p = s + pos;
		const char *amp = memchr(p, '&', len - pos);
		size_t plen = amp ? (size_t)(amp - p) : len - pos;
		const char *eq = memchr(p, '=', plen);
		size_t klen = eq ? (size_t)(eq - p) : plen;
		const char *why = NULL;
		char *key = NULL, *value = NULL;

		pos += plen + (amp ? 1 : 0);
		if (plen == 0)
			continue; /* "a=1&&b=2" and a trailing '&' */
		if (form->n == CB_FORM_FIELDS_MAX) {
			form->reason = "tooManyParameters";
			r = -E2BIG;
			goto fail;
		}
		if (klen == 0 || klen > CB_FORM_KEY_MAX * 3) {
			set_bad(form, p, klen, klen ? "keyTooLong" : "emptyKey");
			r = -EINVAL;
			goto fail;
		}
		if (decode(p, klen, &key, &why) < 0) {
			set_bad(form, p, klen, why);
			r = -EINVAL;
			goto fail;
		}
		if (key[0] == '\0' || strlen(key) > CB_FORM_KEY_MAX) {
			set_bad(form, key, strlen(key), "keyTooLong");
			free(key);
			r = -EINVAL;
			goto fail;
		}
		if (eq)
			r = decode(eq + 1, plen - klen - 1, &value, &why);
		else
			value = xstrdup("");
		if (r < 0) {
			set_bad(form, key, strlen(key), why);
			free(key);
			goto fail;
		}
		if ((flags & CB_FORM_NO_DUPS) && cb_form_get(form, key)) {
			set_bad(form, key, strlen(key), "duplicateParameter");
			free(key);
			free(value);
			r = -EEXIST;
			goto fail;
		}
		form->pairs[form->n].key = key;
		form->pairs[form->n].value = value;
		form->n++;
	}
	return 0;
fail:
	{
		char bad[sizeof(form->bad_key)];
		const char *why = form->reason;

		memcpy(bad, form->bad_key, sizeof(bad));
		cb_form_free(form);
		memcpy(form->bad_key, bad, sizeof(bad));
		form->reason = why;
	}
	return r;
}

const char *cb_form_get(const struct cb_form *form, const char *key)
{
	for (size_t i = form->n; i-- > 0;)
		if (strcmp(form->pairs[i].key, key) == 0)
			return form->pairs[i].value;
	return NULL;
}

int cb_form_value(const char *s, size_t len, const char *key, char *out, size_t outlen)
{
	struct cb_form form;
	const char *v;
	int r;

	r = cb_form_parse(s, len, len, 0, &form);
	if (r < 0) {
		cb_form_free(&form);
		return -EINVAL;
	}
	v = cb_form_get(&form, key);
	if (!v)
		r = 0;
	else if (strlen(v) >= outlen)
		r = -ENOSPC;
	else {
		memcpy(out, v, strlen(v) + 1);
		r = 1;
	}
	cb_form_free(&form);
	return r;
}
