/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * application/x-www-form-urlencoded, for API request bodies and query
 * strings (spec/api.md section 1.3 and 7). Sans-I/O: bytes in, decoded
 * key/value pairs out. The parser is strict because its input comes from
 * the network: a size cap, at most CB_FORM_FIELDS_MAX pairs, '%' followed
 * by exactly two hex digits, '+' as a space, no NUL byte (raw or as %00),
 * and keys and values must be well-formed UTF-8 once decoded (no overlong
 * forms, no surrogates, nothing above U+10FFFF). Control characters other
 * than tab, CR and LF are refused too: no API field can hold them.
 *
 * Repeated keys: spec/api.md section 7 says "repeated keys: last wins",
 * and the API follows it (cb_form_get() returns the last value). The
 * parser keeps every pair so that a caller can refuse repeats when it
 * prefers (CB_FORM_NO_DUPS), and the fuzz target exercises both.
 */
#ifndef CB_FORM_H
#define CB_FORM_H

#include <stdbool.h>
#include <stddef.h>

#define CB_FORM_FIELDS_MAX 128
#define CB_FORM_KEY_MAX 64

/* Flags for cb_form_parse(). */
#define CB_FORM_NO_DUPS 0x1 /* a repeated key is an error (-EEXIST) */

struct cb_form_pair {
	char *key;   /* decoded, NUL-terminated, non-empty */
	char *value; /* decoded, NUL-terminated, may be "" */
};

struct cb_form {
	struct cb_form_pair *pairs; /* in input order */
	size_t n;
	/* On failure: which key was bad ("" when none could be decoded)
	 * and a short reason, for the parameterError answer. */
	char bad_key[CB_FORM_KEY_MAX + 1];
	const char *reason;
};

/* Parses len bytes of s (need not be NUL-terminated) into form, which the
 * caller releases with cb_form_free() whatever the result. Empty input is
 * an empty form. Returns 0, or -E2BIG (more than max bytes or more than
 * CB_FORM_FIELDS_MAX pairs), -EINVAL (bad escape, NUL, bad UTF-8, empty
 * or over-long key), -EEXIST (repeat under CB_FORM_NO_DUPS); nothing is
 * kept on failure. */
int cb_form_parse(const char *s, size_t len, size_t max, unsigned flags, struct cb_form *form);
void cb_form_free(struct cb_form *form);

/* The last value given for key (exact, case-sensitive match), or NULL;
 * borrowed from form. */
const char *cb_form_get(const struct cb_form *form, const char *key);

/* True when s (n bytes) is well-formed UTF-8 without NUL. */
bool cb_utf8_valid(const char *s, size_t n);

#endif
