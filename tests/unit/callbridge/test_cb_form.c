// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The API's form parser (services/callbridge/cb_form.h): decoding, '+',
 * the size and field caps, and every refusal (bad escapes, NUL, control
 * characters, bad UTF-8, empty keys, repeats under CB_FORM_NO_DUPS).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/strbuf.h"
#include "services/callbridge/cb_form.h"
#include "tests/unit/tap.h"

static int parse(const char *s, unsigned flags, struct cb_form *f)
{
	return cb_form_parse(s, strlen(s), 65536, flags, f);
}

static void refused(const char *s, int want, const char *reason)
{
	struct cb_form f;
	int r = parse(s, 0, &f);

	is_int(r, want, "refused: %s", tap_esc(s));
	is_str(f.reason, reason, "reason for %s", tap_esc(s));
	is_int(f.n, 0, "nothing kept for %s", tap_esc(s));
	cb_form_free(&f);
}

int main(void)
{
	struct cb_form f;
	struct strbuf sb = STRBUF_INIT;

	/* The spec 2.1 create body. */
	ok(parse("name=Johnny%20Appleseed%20Space&uri=johnny.space&requireCallId=true"
		 "&passcode=4711",
		 0, &f) == 0,
	   "spec 2.1 body parses");
	is_int(f.n, 4, "four pairs");
	is_str(cb_form_get(&f, "name"), "Johnny Appleseed Space", "%%20 decodes");
	is_str(cb_form_get(&f, "passcode"), "4711", "passcode");
	ok(cb_form_get(&f, "Name") == NULL, "keys are case-sensitive");
	cb_form_free(&f);

	ok(parse("url=c2w%3A%2F%2Fedge.example.com%3A6000&a=x+y&b=&c", 0, &f) == 0,
	   "spec 2.7 body parses");
	is_str(cb_form_get(&f, "url"), "c2w://edge.example.com:6000", "%%3A %%2F decode");
	is_str(cb_form_get(&f, "a"), "x y", "'+' is a space");
	is_str(cb_form_get(&f, "b"), "", "empty value");
	is_str(cb_form_get(&f, "c"), "", "key without '='");
	cb_form_free(&f);

	ok(parse("", 0, &f) == 0 && f.n == 0, "empty input is an empty form");
	cb_form_free(&f);
	ok(parse("&&a=1&", 0, &f) == 0 && f.n == 1, "empty pieces are skipped");
	cb_form_free(&f);

	ok(parse("a=1&a=2", 0, &f) == 0, "a repeat parses by default");
	is_str(cb_form_get(&f, "a"), "2", "the last value wins (spec 7)");
	cb_form_free(&f);
	is_int(parse("a=1&a=2", CB_FORM_NO_DUPS, &f), -EEXIST, "CB_FORM_NO_DUPS refuses a repeat");
	is_str(f.bad_key, "a", "and names it");
	cb_form_free(&f);

	ok(parse("name=%E6%97%A5%E6%9C%AC", 0, &f) == 0, "UTF-8 passes");
	is_str(cb_form_get(&f, "name"), "\xe6\x97\xa5\xe6\x9c\xac", "decoded UTF-8");
	cb_form_free(&f);

	refused("a=%zz", -EINVAL, "badEscape");
	refused("a=%4", -EINVAL, "badEscape");
	refused("a=%", -EINVAL, "badEscape");
	refused("a=%00", -EINVAL, "controlCharacter");
	refused("a=%01", -EINVAL, "controlCharacter");
	refused("a=%7F", -EINVAL, "controlCharacter");
	refused("a=%C3%28", -EINVAL, "invalidUtf8");
	refused("a=%C0%AF", -EINVAL, "invalidUtf8");     /* overlong '/' */
	refused("a=%ED%A0%80", -EINVAL, "invalidUtf8");  /* surrogate */
	refused("a=%F4%90%80%80", -EINVAL, "invalidUtf8"); /* > U+10FFFF */
	refused("a=%E6%97", -EINVAL, "invalidUtf8");     /* cut short */
	refused("=1", -EINVAL, "emptyKey");
	refused("%zz=1", -EINVAL, "badEscape");
	{
		const char raw[] = "a=b\0c";
		int r = cb_form_parse(raw, sizeof(raw) - 1, 100, 0, &f);

		is_int(r, -EINVAL, "a raw NUL is refused");
		cb_form_free(&f);
	}
	ok(parse("a=%09%0A%0D", 0, &f) == 0, "tab, LF and CR decode");
	cb_form_free(&f);

	/* Caps. */
	is_int(cb_form_parse("a=12345", 7, 6, 0, &f), -E2BIG, "over the byte cap");
	is_str(f.reason, "tooLarge", "tooLarge");
	cb_form_free(&f);
	for (int i = 0; i < CB_FORM_FIELDS_MAX; i++)
		sb_printf(&sb, "k%d=v&", i);
	ok(parse(sb_str(&sb), 0, &f) == 0 && f.n == CB_FORM_FIELDS_MAX, "%d fields pass",
	   CB_FORM_FIELDS_MAX);
	cb_form_free(&f);
	sb_puts(&sb, "one=more");
	is_int(parse(sb_str(&sb), 0, &f), -E2BIG, "one field more is refused");
	is_str(f.reason, "tooManyParameters", "tooManyParameters");
	cb_form_free(&f);
	sb_reset(&sb);
	for (int i = 0; i < 65; i++)
		sb_putc(&sb, 'k');
	sb_puts(&sb, "=1");
	is_int(parse(sb_str(&sb), 0, &f), -EINVAL, "a 65-byte key is refused");
	cb_form_free(&f);
	sb_free(&sb);

	ok(cb_utf8_valid("abc", 3), "ASCII is UTF-8");
	ok(!cb_utf8_valid("\xff", 1), "0xff is not");
	return tap_done();
}
