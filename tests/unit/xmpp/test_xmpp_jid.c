// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of services/xmpp/xmpp_jid.c: RFC 7622 examples (section 3.5
 * and its invalid ones), the length caps, case folding of localpart and
 * domainpart, and the trailing dot.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "services/xmpp/xmpp_jid.h"
#include "tests/unit/tap.h"

static void good(const char *in, const char *want_full)
{
	struct xmpp_jid j;
	int r = xmpp_jid_parse(in, strlen(in), &j);
	char *full;

	ok(r == 0, "valid: %s", tap_esc(in));
	if (r != 0)
		return;
	full = xmpp_jid_full(&j);
	is_str(full, want_full, "normalized: %s", tap_esc(in));
	free(full);
	xmpp_jid_free(&j);
}

static void bad(const char *in, size_t len, const char *why)
{
	struct xmpp_jid j = { 0 };

	ok(xmpp_jid_parse(in, len, &j) < 0 && !j.domain, "invalid (%s): %s", why, tap_esc(in));
}

int main(void)
{
	struct xmpp_jid a, b;
	char *s, *big;

	/* RFC 7622 section 3.5, the valid examples (ASCII ones; the
	 * Unicode ones pass as they are, unnormalized). */
	good("juliet@example.com", "juliet@example.com");
	good("juliet@example.com/foo", "juliet@example.com/foo");
	good("juliet@example.com/foo bar", "juliet@example.com/foo bar");
	good("juliet@example.com/foo@bar", "juliet@example.com/foo@bar");
	good("foo\\20bar@example.com", "foo\\20bar@example.com");
	good("fussball@example.com", "fussball@example.com");
	good("fu\xc3\x9f" "ball@example.com", "fu\xc3\x9f" "ball@example.com");
	good("\xcf\x80@example.com", "\xcf\x80@example.com");
	good("example.com", "example.com");
	good("example.com/foobar", "example.com/foobar");
	good("a.example.com/b@example.net", "a.example.com/b@example.net");
	/* Folding and the trailing dot. */
	good("Juliet@Example.COM/Balcony", "juliet@example.com/Balcony");
	good("juliet@example.com./r", "juliet@example.com/r");
	good("romeo@[::1]/x", "romeo@[::1]/x");
	good("romeo@127.0.0.1", "romeo@127.0.0.1");
	good("room@conference.example.com/nick/with/slashes", "room@conference.example.com/nick/with/slashes");

	/* Section 3.5, the invalid examples, and more. */
	bad("\"juliet\"@example.com", 20, "quote in localpart");
	bad("foo bar@example.com", 19, "space in localpart");
	bad("juliet@example.com/", 19, "empty resourcepart");
	bad("@example.com/", 13, "empty localpart");
	bad("@example.com", 12, "empty localpart");
	bad("", 0, "empty");
	bad("juliet@", 7, "empty domainpart");
	bad("/foo", 4, "empty domainpart");
	bad("a:b@example.com", 15, "':' in localpart");
	bad("a<b@example.com", 15, "'<' in localpart");
	bad("juliet@exa mple.com", 19, "space in domainpart");
	bad("juliet@example..com", 19, "empty label");
	bad("juliet@-example.com", 19, "label starts with '-'");
	bad("juliet@example_com", 18, "'_' in domainpart");
	bad("juliet@.", 8, "only a dot");
	bad("juliet@[::1", 11, "unclosed IPv6 literal");
	bad("juliet@[nothex]", 15, "bad IPv6 literal");
	bad("jul\x01iet@example.com", 19, "control character");
	bad("juliet@example.com/a\x7f", 21, "DEL in resourcepart");
	bad("juliet@example.com/\xc2\x85", 21, "C1 control in resourcepart");
	bad("juliet@example.com/\xc3", 20, "truncated UTF-8");
	bad("juliet@example.com/\xed\xa0\x80", 22, "UTF-16 surrogate");
	bad("juliet@example.com/\xc0\xaf", 21, "overlong UTF-8");
	bad("jul\0iet@example.com", 19, "NUL");
	bad("juliet@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", 75,
	    "label over 63");
	good("juliet@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", "juliet@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com");

	/* Length caps: 1023 bytes per part. */
	big = xmalloc(1100 + 32);
	memset(big, 'a', 1023);
	memcpy(big + 1023, "@example.com", 13);
	ok(xmpp_jid_parse(big, strlen(big), &a) == 0, "1023-byte localpart is valid");
	xmpp_jid_free(&a);
	memset(big, 'a', 1024);
	memcpy(big + 1024, "@example.com", 13);
	bad(big, strlen(big), "1024-byte localpart");
	memcpy(big, "a@example.com/", 14);
	memset(big + 14, 'r', 1023);
	big[14 + 1023] = '\0';
	ok(xmpp_jid_parse(big, strlen(big), &a) == 0, "1023-byte resourcepart is valid");
	xmpp_jid_free(&a);
	memset(big + 14, 'r', 1024);
	big[14 + 1024] = '\0';
	bad(big, strlen(big), "1024-byte resourcepart");
	free(big);

	/* Comparison and bare forms. */
	xmpp_jid_parse("Juliet@EXAMPLE.com/a", 20, &a);
	xmpp_jid_parse("juliet@example.com/b", 20, &b);
	ok(xmpp_jid_equal(&a, &b, true), "bare JIDs equal after folding");
	ok(!xmpp_jid_equal(&a, &b, false), "full JIDs differ by resource");
	s = xmpp_jid_bare(&a);
	is_str(s, "juliet@example.com", "bare form");
	free(s);
	xmpp_jid_free(&a);
	xmpp_jid_free(&b);
	xmpp_jid_parse("example.com/r", 13, &a);
	ok(a.local == NULL && strcmp(a.resource, "r") == 0, "domain JID with resource: no localpart");
	xmpp_jid_free(&a);
	ok(xmpp_jid_resource_valid("cli", 3), "resource 'cli' valid");
	ok(!xmpp_jid_resource_valid("", 0), "empty resource invalid");
	ok(!xmpp_jid_resource_valid("a\0b", 3), "resource with NUL invalid");
	return tap_done();
}
