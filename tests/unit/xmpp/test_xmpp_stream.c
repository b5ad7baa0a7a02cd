// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of services/xmpp/xmpp_stream.c: a c2s transcript (header,
 * SASL, restart, bind, presence, message, roster, close) gives the same
 * events whole, split at every byte boundary and byte by byte; restarts
 * (SASL keeps the rest of the buffer, STARTTLS drops it); every refusal
 * with its RFC 6120 condition; the caps at their exact edges; the
 * serializer's escaping and namespaces.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/strbuf.h"
#include "services/xmpp/xmpp_stream.h"
#include "tests/unit/tap.h"

struct rec {
	struct xmpp_stream *s;
	struct strbuf log;
	bool restart_on_auth;
	struct xmpp_elem *kept;
};

static void ev_open(void *arg, const struct xmpp_stream_header *h)
{
	struct rec *r = arg;

	sb_printf(&r->log, "open to=%s from=%s version=%s id=%s lang=%s ns=%s\n",
		  h->to ? h->to : "-", h->from ? h->from : "-", h->version ? h->version : "-",
		  h->id ? h->id : "-", h->lang ? h->lang : "-", h->ns ? h->ns : "-");
}

static void ev_stanza(void *arg, struct xmpp_elem *e)
{
	struct rec *r = arg;

	sb_puts(&r->log, "stanza ");
	if (xmpp_elem_write(e, XMPP_NS_CLIENT, &r->log) < 0)
		sb_puts(&r->log, "(unwritable)");
	sb_putc(&r->log, '\n');
	if (r->restart_on_auth &&
	    (strcmp(e->name, "auth") == 0 || strcmp(e->name, "starttls") == 0))
		xmpp_stream_restart(r->s);
	if (strcmp(e->name, "keep") == 0)
		r->kept = xmpp_stream_take_stanza(r->s);
	if (strcmp(e->name, "refuse") == 0)
		xmpp_stream_fail(r->s, XMPP_SERR_UNSUPPORTED_STANZA_TYPE, "no");
}

static void ev_close(void *arg)
{
	sb_puts(&((struct rec *)arg)->log, "close\n");
}

static void ev_error(void *arg, enum xmpp_stream_err cond, const char *text)
{
	(void)text;
	sb_printf(&((struct rec *)arg)->log, "error %s\n", xmpp_stream_err_name(cond));
}

static const struct xmpp_stream_ops ops = { ev_open, ev_stanza, ev_close, ev_error };

static void rec_init(struct rec *r, const char *ns, size_t max, unsigned depth)
{
	memset(r, 0, sizeof(*r));
	sb_init(&r->log);
	r->s = xmpp_stream_new(ns, max, depth, &ops, r);
	r->restart_on_auth = true;
}

static void rec_free(struct rec *r)
{
	xmpp_stream_free(r->s);
	xmpp_elem_free(r->kept);
	sb_free(&r->log);
}

/* Feeds one piece the way the I/O layer would after a SASL restart: what
 * the parser did not consume goes to the new stream. Returns the last
 * result of feed. */
static long feed(struct rec *r, const char *buf, size_t len)
{
	long n = 0;

	while (len > 0) {
		n = xmpp_stream_feed(r->s, (const uint8_t *)buf, len);
		if (n <= 0)
			break;
		buf += n;
		len -= (size_t)n;
	}
	return n;
}

static const char transcript[] =
	"<?xml version='1.0'?>"
	"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
	"to='example.com' version='1.0' xml:lang='en'>\n"
	"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAGFsaWNlcGFzcw==</auth>"
	"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
	"to='example.com' version='1.0'>"
	"<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
	"<resource>cli</resource></bind></iq>\n \t\r\n"
	"<presence/>"
	"<message to='bob@example.com' type=\"chat\" xml:lang='de'><body>a &lt; b &amp; c &gt; d "
	"&#x263A; &quot;q&apos; \xc3\xa9<![CDATA[<raw>]]></body></message>"
	"<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>"
	"<s:iq xmlns:s='jabber:client' xmlns:x='urn:x' x:a='1' type='get' id='p'>"
	"<ping xmlns='urn:xmpp:ping'/></s:iq>"
	"</stream:stream>";

static const char transcript_events[] =
	"open to=example.com from=- version=1.0 id=- lang=en ns=jabber:client\n"
	"stanza <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
	"AGFsaWNlAGFsaWNlcGFzcw==</auth>\n"
	"open to=example.com from=- version=1.0 id=- lang=- ns=jabber:client\n"
	"stanza <iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
	"<resource>cli</resource></bind></iq>\n"
	"stanza <presence/>\n"
	"stanza <message to='bob@example.com' type='chat' xml:lang='de'><body>a &lt; b &amp; c &gt; "
	"d \xe2\x98\xba \"q' \xc3\xa9&lt;raw&gt;</body></message>\n"
	"stanza <iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>\n"
	"stanza <iq xmlns:a0='urn:x' a0:a='1' type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>\n"
	"close\n";

static void test_transcript(void)
{
	size_t len = sizeof(transcript) - 1;
	struct rec r;
	bool all_same = true;
	size_t bad_split = 0;

	rec_init(&r, XMPP_NS_CLIENT, 0, 0);
	feed(&r, transcript, len);
	is_str(sb_str(&r.log), transcript_events, "whole transcript: the expected events");
	is_int(xmpp_stream_feed(r.s, (const uint8_t *)"<a/>", 4), -EPIPE, "feed after close: -EPIPE");
	rec_free(&r);

	for (size_t i = 0; i <= len; i++) {
		rec_init(&r, XMPP_NS_CLIENT, 0, 0);
		feed(&r, transcript, i);
		feed(&r, transcript + i, len - i);
		if (strcmp(sb_str(&r.log), transcript_events) != 0 && all_same) {
			all_same = false;
			bad_split = i;
			tap_diag_str("got: ", sb_str(&r.log));
		}
		rec_free(&r);
	}
	ok(all_same, "split at each of %zu boundaries: the same events (first bad: %zu)", len + 1,
	   bad_split);

	rec_init(&r, XMPP_NS_CLIENT, 0, 0);
	for (size_t i = 0; i < len; i++)
		feed(&r, transcript + i, 1);
	is_str(sb_str(&r.log), transcript_events, "byte by byte: the same events");
	rec_free(&r);
}

static void test_restart(void)
{
	static const char hdr[] = "<stream:stream xmlns='jabber:client' "
				  "xmlns:stream='http://etherx.jabber.org/streams' to='e'>";
	static const char tls[] = "<stream:stream xmlns='jabber:client' "
				  "xmlns:stream='http://etherx.jabber.org/streams' to='e'>"
				  "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><iq id='injected'/>";
	struct rec r;
	long n;

	/* STARTTLS: feed stops after <starttls/>; the plaintext after it is
	 * the caller's to drop (never parsed as part of the TLS stream). */
	rec_init(&r, XMPP_NS_CLIENT, 0, 0);
	n = xmpp_stream_feed(r.s, (const uint8_t *)tls, sizeof(tls) - 1);
	is_int(n, (long)(sizeof(tls) - 1 - strlen("<iq id='injected'/>")),
	       "restart: feed consumed exactly up to the end of <starttls/>");
	ok(strstr(sb_str(&r.log), "injected") == NULL, "restart: nothing after <starttls/> parsed");
	n = xmpp_stream_feed(r.s, (const uint8_t *)hdr, sizeof(hdr) - 1);
	is_int(n, (long)(sizeof(hdr) - 1), "restart: the new stream takes a new header");
	{
		const char *first = strstr(sb_str(&r.log), "open to=e");

		ok(first && strstr(first + 1, "open to=e"), "restart: a second open event");
	}
	rec_free(&r);

	/* A restart asked outside any callback resets at once. */
	rec_init(&r, XMPP_NS_CLIENT, 0, 0);
	xmpp_stream_feed(r.s, (const uint8_t *)hdr, sizeof(hdr) - 1);
	xmpp_stream_feed(r.s, (const uint8_t *)"<iq", 3);
	xmpp_stream_restart(r.s);
	n = xmpp_stream_feed(r.s, (const uint8_t *)hdr, sizeof(hdr) - 1);
	ok(n == (long)(sizeof(hdr) - 1) && strstr(sb_str(&r.log), "error") == NULL,
	   "restart outside a callback: a half stanza is dropped, a new header parses");
	rec_free(&r);

	/* take_stanza and fail from a callback. */
	rec_init(&r, NULL, 0, 0);
	feed(&r, hdr, sizeof(hdr) - 1);
	feed(&r, "<keep a='1'><x/></keep>", 23);
	ok(r.kept && strcmp(r.kept->name, "keep") == 0 && r.kept->nchildren == 1 &&
		   strcmp(xmpp_elem_attr(r.kept, "a", NULL), "1") == 0,
	   "take_stanza: the consumer keeps the tree");
	is_int(feed(&r, "<refuse/><iq/>", 14), -EPROTO, "fail from a callback: -EPROTO");
	ok(strstr(sb_str(&r.log), "error unsupported-stanza-type\n") &&
		   !strstr(sb_str(&r.log), "stanza <iq"),
	   "fail from a callback: its condition, nothing parsed after");
	is_int(xmpp_stream_feed(r.s, (const uint8_t *)"<a/>", 4), -EPROTO, "feed after error: -EPROTO");
	rec_free(&r);
}

#define HDR                                                                                        \
	"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "    \
	"version='1.0'>"

static void refused(const char *in, size_t len, const char *cond, size_t max, unsigned depth,
		    const char *why)
{
	struct rec r;
	char want[64];
	long n;

	rec_init(&r, XMPP_NS_CLIENT, max, depth);
	n = feed(&r, in, len);
	snprintf(want, sizeof(want), "error %s\n", cond);
	ok(n == -EPROTO && strstr(sb_str(&r.log), want) != NULL, "%s: %s", why, cond);
	if (!strstr(sb_str(&r.log), want))
		tap_diag_str("events: ", sb_str(&r.log));
	rec_free(&r);
}

static void refused_str(const char *in, const char *cond, const char *why)
{
	refused(in, strlen(in), cond, 0, 0, why);
}

static void accepted(const char *in, size_t len, size_t max, unsigned depth, const char *why)
{
	struct rec r;
	long n;

	rec_init(&r, XMPP_NS_CLIENT, max, depth);
	n = feed(&r, in, len);
	ok(n == (long)len && strstr(sb_str(&r.log), "stanza") && !strstr(sb_str(&r.log), "error"),
	   "%s", why);
	rec_free(&r);
}

static void test_refusals(void)
{
	struct strbuf sb = STRBUF_INIT;
	size_t hl = strlen(HDR);

	refused_str("<!DOCTYPE stream:stream>" HDR, "restricted-xml", "DTD before the header");
	refused_str("<?xml version='1.0'?><!DOCTYPE s [<!ENTITY x 'y'>]>" HDR, "restricted-xml",
		    "internal subset with an entity");
	refused_str(HDR "<!-- hi -->", "restricted-xml", "comment between stanzas");
	refused_str(HDR "<message><!-- hi --></message>", "restricted-xml", "comment in a stanza");
	refused_str("<!-- hi -->" HDR, "restricted-xml", "comment before the header");
	refused_str(HDR "<?php x?>", "restricted-xml", "processing instruction");
	refused_str(HDR "<message><body>&lol;</body></message>", "restricted-xml",
		    "undeclared entity reference");
	refused_str("<?xml version='1.0' encoding='ISO-8859-1'?>" HDR, "unsupported-encoding",
		    "encoding other than UTF-8");
	refused_str("<stream:stream xmlns='jabber:client' xmlns:stream='urn:wrong'>",
		    "invalid-namespace", "wrong stream namespace");
	refused_str("<stream xmlns='jabber:client'>", "invalid-namespace", "unqualified stream");
	refused_str("<stream:features xmlns='jabber:client' "
		    "xmlns:stream='http://etherx.jabber.org/streams'>",
		    "bad-format", "root element not a stream");
	refused_str("<stream:stream xmlns='jabber:server' "
		    "xmlns:stream='http://etherx.jabber.org/streams'>",
		    "invalid-namespace", "wrong content namespace");
	refused_str("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>",
		    "invalid-namespace", "no content namespace");
	refused_str("<stream:stream xmlns='jabber:client' "
		    "xmlns:stream='http://etherx.jabber.org/streams' version='2.0'>",
		    "unsupported-version", "version 2.0");
	refused_str("<stream:stream xmlns='jabber:client' "
		    "xmlns:stream='http://etherx.jabber.org/streams' version='one'>",
		    "unsupported-version", "malformed version");
	refused_str(HDR "<foo:bar/>", "bad-namespace-prefix", "unbound prefix");
	refused_str(HDR "<a></b>", "not-well-formed", "mismatched tags");
	refused_str(HDR "hello<a/>", "bad-format", "text between stanzas");
	refused_str(HDR "<a>\xff\xfe</a>", "not-well-formed", "invalid UTF-8");
	refused_str(HDR "<a>&#0;</a>", "not-well-formed", "character reference to NUL");
	refused_str(HDR "<a x='1' x='2'/>", "not-well-formed", "duplicate attribute");

	/* The byte cap at its edge: a stanza of exactly max bytes passes,
	 * one more byte is a policy violation. */
	sb_puts(&sb, HDR "<m>");
	while (sb.len < hl + 100 - 4)
		sb_putc(&sb, 'x');
	sb_puts(&sb, "</m>");
	is_int(sb.len - hl, 100, "edge stanza is 100 bytes");
	accepted(sb.buf, sb.len, 100, 0, "stanza of exactly the cap (100 bytes) accepted");
	refused(sb.buf, sb.len, "policy-violation", 99, 0, "stanza one byte over the cap");
	sb_reset(&sb);
	/* The default cap (64 KiB), and a start tag that never ends. */
	sb_puts(&sb, HDR "<m>");
	for (size_t i = 0; i < 70000; i++)
		sb_putc(&sb, 'x');
	sb_puts(&sb, "</m>");
	refused(sb.buf, sb.len, "policy-violation", 0, 0, "70 000-byte stanza, default cap");
	sb_reset(&sb);
	sb_puts(&sb, HDR "<m a='");
	for (size_t i = 0; i < 200000; i++)
		sb_putc(&sb, 'x');
	refused(sb.buf, sb.len, "policy-violation", 0, 0, "unfinished 200 000-byte start tag");
	sb_reset(&sb);
	/* Depth: 4 levels pass with a cap of 4, 5 do not. */
	accepted(HDR "<a><b><c><d/></c></b></a>", hl + 25, 0, 4, "depth 4 with cap 4 accepted");
	sb_free(&sb);
}

static void test_depth(void)
{
	refused(HDR "<a><b><c><d><e/></d></c></b></a>", strlen(HDR) + 32, "policy-violation", 0, 4,
		"depth 5 with cap 4");
}

static void test_writer(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct xmpp_elem *m = xmpp_elem_new("message", XMPP_NS_CLIENT);
	struct xmpp_elem *b;

	xmpp_elem_set_attr(m, "to", NULL, "a'b\"c<d>&e\tf\ng\rh");
	xmpp_elem_set_attr(m, "lang", XMPP_NS_XML, "en");
	b = xmpp_elem_add_child(m, xmpp_elem_new("body", XMPP_NS_CLIENT));
	xmpp_elem_add_text(b, "1 < 2 & 3 > 2 'q' \"d\"\r\n", 23);
	xmpp_elem_add_child(m, xmpp_elem_new("x", "urn:x"));
	ok(xmpp_elem_write(m, XMPP_NS_CLIENT, &sb) == 0, "writer: a built tree writes");
	is_str(sb_str(&sb),
	       "<message to='a&apos;b&quot;c&lt;d&gt;&amp;e&#9;f&#10;g&#13;h' xml:lang='en'>"
	       "<body>1 &lt; 2 &amp; 3 &gt; 2 'q' \"d\"&#13;\n</body><x xmlns='urn:x'/></message>",
	       "writer: escaping and namespaces");
	sb_reset(&sb);
	xmpp_elem_write(m, NULL, &sb);
	ok(strncmp(sb_str(&sb), "<message xmlns='jabber:client' ", 31) == 0,
	   "writer: xmlns where the namespace changes");
	sb_reset(&sb);
	xmpp_elem_add_text(b, "\x01", 1);
	is_int(xmpp_elem_write(m, XMPP_NS_CLIENT, &sb), -EINVAL, "writer: control character refused");
	is_int(sb.len, 0, "writer: nothing written on refusal");
	xmpp_elem_free(m);

	xmpp_stream_header_write(&sb, true, XMPP_NS_CLIENT, "example.com", NULL, "abc", "en");
	is_str(sb_str(&sb),
	       "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
	       "xmlns:stream='http://etherx.jabber.org/streams' from='example.com' id='abc' "
	       "version='1.0' xml:lang='en'>",
	       "header writer");
	sb_reset(&sb);
	xmpp_stream_error_write(&sb, XMPP_SERR_RESTRICTED_XML, "no <comments>");
	is_str(sb_str(&sb),
	       "<stream:error><restricted-xml xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
	       "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>no &lt;comments&gt;</text>"
	       "</stream:error></stream:stream>",
	       "stream error writer");
	sb_free(&sb);
	is_str(xmpp_stream_err_name(XMPP_SERR_UNSUPPORTED_VERSION), "unsupported-version",
	       "condition names");
	ok(xmpp_stream_err_name(XMPP_SERR_NONE) == NULL && xmpp_stream_err_name(XMPP_SERR_COUNT_) == NULL,
	   "no name out of range");
}

int main(void)
{
	test_transcript();
	test_restart();
	test_refusals();
	test_depth();
	test_writer();
	return tap_done();
}
