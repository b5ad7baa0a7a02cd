// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The call bridge's XMPP component client core (services/callbridge/
 * cb_xmpp_target.h, cb_xmpp_comp.h): serverAddressOverride parsing, RFC
 * 2782 SRV ordering with a fixed random sequence, the XEP-0114 handshake
 * digest, server transcripts (prosody's and ejabberd's, spec/xmpp.md 3.9)
 * fed whole and byte by byte, every failure mapping, keep-alive, timeout,
 * the back-off schedule and the target rotation.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "services/callbridge/cb_xmpp_comp.h"
#include "services/callbridge/cb_xmpp_target.h"
#include "tests/unit/tap.h"

/* --- override --- */

static void override_ok(const char *s, const char *host, unsigned port)
{
	struct cb_xmpp_target t;
	char err[200] = "";
	int r = cb_xmpp_override_parse(s, &t, err, sizeof(err));

	is_int(r, 0, "override '%s' parses (%s)", s, err);
	if (r == 0) {
		is_str(t.host, host, "override '%s' host", s);
		is_int(t.port, (int)port, "override '%s' port", s);
	}
}

static void override_bad(const char *s, const char *words)
{
	struct cb_xmpp_target t = {"untouched", 7};
	char err[200] = "";
	int r = cb_xmpp_override_parse(s, &t, err, sizeof(err));

	is_int(r, -EINVAL, "override '%s' refused", s);
	ok(strstr(err, words) != NULL, "override '%s' reason names '%s' (%s)", s, words, err);
	ok(strcmp(t.host, "untouched") == 0 && t.port == 7, "override '%s' writes nothing", s);
}

static void test_override(void)
{
	struct cb_xmpp_target t;
	char name[300];

	override_ok("xmpp.example.com", "xmpp.example.com", 5223);
	override_ok("localhost", "localhost", 5223);
	override_ok("xmpp.example.com:5347", "xmpp.example.com", 5347);
	override_ok("127.0.0.1", "127.0.0.1", 5223);
	override_ok("127.0.0.1:1", "127.0.0.1", 1);
	override_ok("[::1]", "::1", 5223);
	override_ok("[2001:db8::5]:65535", "2001:db8::5", 65535);
	is_int(cb_xmpp_override_parse("", &t, NULL, 0), -ENOENT, "empty override: SRV");
	override_bad("::1", "brackets");
	override_bad("2001:db8::5:5223", "brackets");
	override_bad("[::1", "missing ']'");
	override_bad("[::1]5223", "only ':<port>'");
	override_bad("[xmpp.example.com]:5223", "IPv6");
	override_bad("[]:5223", "IPv6");
	override_bad("xmpp.example.com:", "port");
	override_bad("xmpp.example.com:0", "port");
	override_bad("xmpp.example.com:65536", "port");
	override_bad("xmpp.example.com:52x3", "port");
	override_bad(":5223", "host name");
	override_bad("xmpp.example.com.", "host name");
	override_bad("xmpp example.com", "host name");
	override_bad("xmpp_example.com", "host name");

	ok(cb_xmpp_srv_name("example.com", name, sizeof(name)) == 0 &&
	       strcmp(name, "_xmpp-component._tcp.example.com") == 0,
	   "SRV name");
	is_int(cb_xmpp_srv_name("bad domain", name, sizeof(name)), -EINVAL, "SRV name: bad domain");
	is_int(cb_xmpp_srv_name("example.com", name, 10), -ENOSPC, "SRV name: small buffer");
}

/* --- SRV order --- */

struct seq {
	const uint32_t *v;
	size_t n, i;
	uint32_t max_seen[16];
};

/* Returns the fixed sequence, recording each max it was asked for. */
static uint32_t seq_rand(void *arg, uint32_t max)
{
	struct seq *s = arg;
	uint32_t v = s->i < s->n ? s->v[s->i] : 0;

	if (s->i < 16)
		s->max_seen[s->i] = max;
	s->i++;
	return v > max ? max : v;
}

static struct cb_xmpp_srv srv(unsigned prio, unsigned weight, unsigned port, const char *target)
{
	struct cb_xmpp_srv r = {(uint16_t)prio, (uint16_t)weight, (uint16_t)port, ""};

	snprintf(r.target, sizeof(r.target), "%s", target);
	return r;
}

static void test_srv(void)
{
	struct cb_xmpp_target out[CB_XMPP_SRV_MAX];
	/* spec/xmpp.md 3.9 case 2: three targets, two priorities. */
	struct cb_xmpp_srv lab[] = {
	    srv(20, 10, 5223, "xmpp2.example.com."),
	    srv(10, 60, 5223, "xmpp1.example.com."),
	    srv(10, 40, 5223, "xmpp3.example.com."),
	};
	uint32_t lo[] = {0, 0, 0}, hi[] = {100, 0, 0}, mid[] = {60, 0, 0}, mid1[] = {61, 0, 0};
	struct seq s = {lo, 3, 0, {0}};
	int n;

	n = cb_xmpp_srv_order(lab, 3, seq_rand, &s, out);
	is_int(n, 3, "three targets");
	is_str(out[0].host, "xmpp1.example.com", "random 0: first of priority 10 in answer order");
	is_str(out[1].host, "xmpp3.example.com", "then the other one of priority 10");
	is_str(out[2].host, "xmpp2.example.com", "priority 20 last, trailing dot dropped");
	is_int(s.max_seen[0], 100, "weights 60+40: random in [0,100]");
	is_int(s.max_seen[1], 40, "then [0,40]");
	is_int(s.max_seen[2], 10, "priority 20 alone: [0,10]");

	s = (struct seq){hi, 3, 0, {0}};
	cb_xmpp_srv_order(lab, 3, seq_rand, &s, out);
	is_str(out[0].host, "xmpp3.example.com", "random 100 picks the last running sum");
	is_str(out[1].host, "xmpp1.example.com", "the remaining one next");
	s = (struct seq){mid, 3, 0, {0}};
	cb_xmpp_srv_order(lab, 3, seq_rand, &s, out);
	is_str(out[0].host, "xmpp1.example.com", "random 60 = running sum 60: xmpp1");
	s = (struct seq){mid1, 3, 0, {0}};
	cb_xmpp_srv_order(lab, 3, seq_rand, &s, out);
	is_str(out[0].host, "xmpp3.example.com", "random 61 > 60: xmpp3");

	/* Weight 0: placed first, chosen only by a random 0. */
	struct cb_xmpp_srv z[] = {
	    srv(0, 10, 5223, "a.example.com"),
	    srv(0, 0, 5224, "zero.example.com"),
	};
	s = (struct seq){lo, 3, 0, {0}};
	n = cb_xmpp_srv_order(z, 2, seq_rand, &s, out);
	is_int(n, 2, "two targets");
	is_str(out[0].host, "zero.example.com", "weight 0 goes first on a random 0");
	is_int(out[0].port, 5224, "its port");
	uint32_t one[] = {1, 0};

	s = (struct seq){one, 2, 0, {0}};
	cb_xmpp_srv_order(z, 2, seq_rand, &s, out);
	is_str(out[0].host, "a.example.com", "random 1 passes the weight-0 record");
	is_str(out[1].host, "zero.example.com", "which still comes after");
	struct cb_xmpp_srv zz[] = {
	    srv(5, 0, 5223, "p.example.com"),
	    srv(5, 0, 5223, "q.example.com"),
	};
	s = (struct seq){lo, 3, 0, {0}};
	cb_xmpp_srv_order(zz, 2, seq_rand, &s, out);
	ok(strcmp(out[0].host, "p.example.com") == 0 && strcmp(out[1].host, "q.example.com") == 0 &&
	       s.max_seen[0] == 0,
	   "all weights 0: answer order, random in [0,0]");

	/* "." and unusable records. */
	struct cb_xmpp_srv dot[] = {srv(0, 0, 0, ".")};

	is_int(cb_xmpp_srv_order(dot, 1, seq_rand, &s, out), -ENOENT, "'.' means no service");
	struct cb_xmpp_srv junk[] = {
	    srv(0, 0, 0, "noport.example.com"),
	    srv(0, 0, 5223, "bad_name.example.com"),
	    srv(1, 5, 5223, "ok.example.com"),
	    srv(0, 5, 5223, "."),
	};
	s = (struct seq){lo, 3, 0, {0}};
	n = cb_xmpp_srv_order(junk, 4, seq_rand, &s, out);
	ok(n == 1 && strcmp(out[0].host, "ok.example.com") == 0,
	   "port 0, bad names and '.' among others are skipped");
	is_int(cb_xmpp_srv_order(junk, 2, seq_rand, &s, out), -ENOENT, "nothing usable: -ENOENT");
	is_int(cb_xmpp_srv_order(junk, 0, seq_rand, &s, out), -ENOENT, "no answers: -ENOENT");
	is_int(cb_xmpp_srv_order(junk, CB_XMPP_SRV_MAX + 1, seq_rand, &s, out), -EINVAL,
	       "more than the cap: -EINVAL");
	/* A random source that overshoots cannot select past the end. */
	uint32_t huge[] = {UINT32_MAX, UINT32_MAX, UINT32_MAX};

	s = (struct seq){huge, 3, 0, {0}};
	n = cb_xmpp_srv_order(lab, 3, seq_rand, &s, out);
	is_int(n, 3, "an overshooting random source still orders all");
	ok(cb_xmpp_rand_default(NULL, 0) == 0 && cb_xmpp_rand_default(NULL, 5) <= 5,
	   "default random source stays in range");
}

/* --- handshake digest --- */

static void test_digest(void)
{
	char hex[41];

	/* XEP-0114's example id and secret; the value is computed with
	 * sha1sum (spec/xmpp.md 1.3 records the same one). */
	ok(cb_xmpp_handshake_digest("3BF96D32", "secret", hex) == 0, "digest computes");
	is_str(hex, "b09ea9b3b7f586be8a08d0a3dd7466f110aeb136", "XEP-0114 example digest");
	/* Escaping: SHA-1("a&amp;b" "x&lt;") vs sha1sum. */
	cb_xmpp_handshake_digest("a&b", "x<", hex);
	is_str(hex, "a9a72cc2f21c6eab25cd09c57a41582518896816", "id and secret are XML-escaped");
	char big[CB_XMPP_ID_MAX + 2];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	is_int(cb_xmpp_handshake_digest(big, "s", hex), -EINVAL, "over-long id refused");
}

/* --- the state machine --- */

static const char *const PROSODY_OK =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xml:lang='en' "
    "id='3166c1e2-e984-41d8-b225-33d1a8621974' from='callbridge.example.com' "
    "xmlns:stream='http://etherx.jabber.org/streams'><handshake/>";

struct got {
	int n;
	char name[32];
	char xml[256];
};

static void on_stanza(void *arg, const char *name, const char *xml, size_t len)
{
	struct got *g = arg;

	g->n++;
	snprintf(g->name, sizeof(g->name), "%s", name);
	snprintf(g->xml, sizeof(g->xml), "%.*s", (int)len, xml);
}

static struct got got;

static void comp(struct cb_xmpp_comp *c, const char *secret)
{
	struct cb_xmpp_comp_cfg cfg = {
	    .unique_name = "callbridge",
	    .domain = "example.com",
	    .secret = secret,
	    .keepalive_ms = 1000,
	    .handshake_ms = 5000,
	    .on_stanza = on_stanza,
	    .arg = &got,
	};
	int r = cb_xmpp_comp_init(c, &cfg);

	if (r < 0)
		diag("init: %s", c->text);
	cb_xmpp_comp_start(c, 0);
}

static char outbuf[1024];

static const char *take(struct cb_xmpp_comp *c)
{
	size_t n;
	const char *o = cb_xmpp_comp_out(c, &n);

	snprintf(outbuf, sizeof(outbuf), "%.*s", (int)n, o);
	cb_xmpp_comp_sent(c, 0);
	return outbuf;
}

/* Feeds s whole or byte by byte; returns the last result. */
static int feed(struct cb_xmpp_comp *c, const char *s, bool bytewise)
{
	size_t n = strlen(s);
	int r = 0;

	if (!bytewise)
		return cb_xmpp_comp_feed(c, s, n, 1);
	for (size_t i = 0; i < n && r == 0; i++)
		r = cb_xmpp_comp_feed(c, s + i, 1, 1);
	return r;
}

static void test_transcript(bool bytewise)
{
	struct cb_xmpp_comp c;
	const char *how = bytewise ? "byte by byte" : "whole";

	memset(&got, 0, sizeof(got));
	comp(&c, "cb-secret-123");
	is_str(take(&c),
	       "<stream:stream xmlns='jabber:component:accept' "
	       "xmlns:stream='http://etherx.jabber.org/streams' to='callbridge.example.com'>",
	       "our stream header (%s)", how);
	is_int(c.state, CB_XMPP_AWAIT_HEADER, "awaiting the header");
	/* The lab's transcript, spec/xmpp.md 3.9 case 4: the digest prosody
	 * accepted for this id and secret. */
	is_int(feed(&c, PROSODY_OK, bytewise), 0, "prosody's answer reads (%s)", how);
	is_str(c.stream_id, "3166c1e2-e984-41d8-b225-33d1a8621974", "stream id taken");
	is_str(take(&c), "<handshake>792268b0db968c276393138ac65c03638762c4c7</handshake>",
	       "handshake as verified against prosody (%s)", how);
	is_int(c.state, CB_XMPP_CONNECTED, "connected (%s)", how);
	is_str(cb_xmpp_state_name(c.state), "connected", "state name");
	/* Keep-alive whitespace from the server, then a stanza. */
	is_int(feed(&c,
		    " \n<message from='alice@example.com/cli' to='room1@callbridge.example.com' "
		    "type='chat'><body>hi &amp; &#x263A; <b/></body></message>",
		    bytewise),
	       0, "a stanza reads (%s)", how);
	is_int(got.n, 1, "one stanza handed up (%s)", how);
	is_str(got.name, "message", "its name");
	ok(strncmp(got.xml, "<message from=", 14) == 0 &&
	       strstr(got.xml, "</message>") == got.xml + strlen(got.xml) - 10,
	   "its raw bytes, from start to end tag (%s)", how);
	is_int(feed(&c, "<iq type='get' id='1' from='example.com' to='callbridge.example.com'/>",
		    bytewise),
	       0, "an empty stanza");
	is_int(got.n, 2, "handed up too");
	is_str(got.name, "iq", "iq");
	is_int(c.in_len, 0, "nothing kept between stanzas");
	/* The server ends the stream. */
	is_int(feed(&c, "</stream:stream>", bytewise), 0, "server close reads");
	is_int(c.state, CB_XMPP_CLOSED, "closed (%s)", how);
	is_str(cb_xmpp_reason_name(c.reason), "connectionLost", "reason connectionLost");
	is_str(take(&c), "</stream:stream>", "we close ours");
	is_int(cb_xmpp_comp_feed(&c, " ", 1, 2), -EPIPE, "bytes after the end: -EPIPE");
	cb_xmpp_comp_free(&c);
}

static void failure(const char *label, const char *server, enum cb_xmpp_reason want,
		    const char *cond, const char *text)
{
	for (int bw = 0; bw < 2; bw++) {
		struct cb_xmpp_comp c;

		comp(&c, "cb-secret-123");
		take(&c);
		is_int(feed(&c, server, bw), -EPROTO, "%s: fails (%s)", label,
		       bw ? "byte by byte" : "whole");
		is_int(c.state, CB_XMPP_FAILED, "%s: state failed", label);
		is_str(cb_xmpp_reason_name(c.reason), cb_xmpp_reason_name(want), "%s: reason",
		       label);
		is_str(c.condition, cond, "%s: condition", label);
		if (text)
			is_str(c.text, text, "%s: text", label);
		ok(strstr(take(&c), "</stream:stream>") != NULL, "%s: we close the stream", label);
		is_int(cb_xmpp_comp_feed(&c, "<x/>", 4, 1), -EPROTO, "%s: stays failed", label);
		cb_xmpp_comp_free(&c);
	}
}

#define HDR(id)                                                                                    \
	"<stream:stream xmlns='jabber:component:accept' "                                          \
	"xmlns:stream='http://etherx.jabber.org/streams' id='" id "'>"
#define ERR(cond, txt)                                                                             \
	"<stream:error><" cond " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" txt                \
	"</stream:error></stream:stream>"
#define TEXT(t) "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>" t "</text>"

static void test_failures(void)
{
	/* spec/xmpp.md 3.9 cases 5, 6, 8 and ejabberd's 9. */
	failure("wrong secret (prosody)",
		HDR("abc")
		    ERR("not-authorized", TEXT("Given token does not match calculated token")),
		CB_XMPP_R_AUTH_FAILURE, "not-authorized",
		"Given token does not match calculated token");
	failure("wrong secret (ejabberd)", HDR("1234") ERR("not-authorized", ""),
		CB_XMPP_R_AUTH_FAILURE, "not-authorized", "");
	failure("unknown name (prosody: id='' then error)",
		"<?xml version='1.0'?>" HDR("")
		    ERR("host-unknown", TEXT("nosuch.example.com does not match any configured "
					     "external components")),
		CB_XMPP_R_AUTH_FAILURE, "host-unknown", NULL);
	failure("second connection", HDR("x") ERR("conflict", TEXT("Component already connected")),
		CB_XMPP_R_AUTH_FAILURE, "conflict", "Component already connected");
	failure("improper addressing", HDR("x") ERR("improper-addressing", ""),
		CB_XMPP_R_AUTH_FAILURE, "improper-addressing", NULL);
	failure("error in a foreign namespace",
		HDR("x") "<stream:error><conflict xmlns='x'/></stream:error>",
		CB_XMPP_R_AUTH_FAILURE, "undefined-condition", NULL);
	failure("unknown condition", HDR("x") ERR("made-up", ""), CB_XMPP_R_AUTH_FAILURE,
		"undefined-condition", NULL);
	failure("text with entities", HDR("x") ERR("not-authorized", TEXT("a &lt;b&gt; &#233;")),
		CB_XMPP_R_AUTH_FAILURE, "not-authorized", "a <b> \xc3\xa9");

	/* Protocol errors: we send the stream error. */
	failure(
	    "wrong stream namespace",
	    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
	    "id='1'>",
	    CB_XMPP_R_PROTOCOL_ERROR, "invalid-namespace", NULL);
	failure("no stream prefix binding",
		"<stream:stream xmlns='jabber:component:accept' id='1'>", CB_XMPP_R_PROTOCOL_ERROR,
		"invalid-namespace", NULL);
	failure("not a stream", "<foo>", CB_XMPP_R_PROTOCOL_ERROR, "not-well-formed", NULL);
	failure("comment", HDR("1") "<!-- hi -->", CB_XMPP_R_PROTOCOL_ERROR, "restricted-xml",
		NULL);
	failure("DTD", "<!DOCTYPE x [<!ENTITY a 'b'>]>", CB_XMPP_R_PROTOCOL_ERROR, "restricted-xml",
		NULL);
	failure("PI after start", HDR("1") "<?php x?>", CB_XMPP_R_PROTOCOL_ERROR, "restricted-xml",
		NULL);
	failure("XML declaration not first", " <?xml version='1.0'?>", CB_XMPP_R_PROTOCOL_ERROR,
		"restricted-xml", NULL);
	failure("stanza before the handshake", HDR("1") "<message/>", CB_XMPP_R_PROTOCOL_ERROR,
		"not-authorized", NULL);
	failure("text at stream level", HDR("1") "hello", CB_XMPP_R_PROTOCOL_ERROR,
		"not-well-formed", NULL);
	failure("mismatched end tag", HDR("1") "<handshake></other>", CB_XMPP_R_PROTOCOL_ERROR,
		"not-well-formed", NULL);
	failure("handshake with content", HDR("1") "<handshake>x</handshake>",
		CB_XMPP_R_PROTOCOL_ERROR, "not-well-formed", NULL);
	failure("unknown entity", HDR("1") ERR("conflict", TEXT("&nbsp;")),
		CB_XMPP_R_PROTOCOL_ERROR, "not-well-formed", NULL);
	failure("NUL reference", HDR("1") ERR("conflict", TEXT("&#0;")), CB_XMPP_R_PROTOCOL_ERROR,
		"not-well-formed", NULL);
	failure("duplicate attribute", HDR("1") "<handshake a='1' a='2'/>",
		CB_XMPP_R_PROTOCOL_ERROR, "not-well-formed", NULL);
	failure("bad UTF-8", HDR("1") ERR("conflict", TEXT("\xc3\x28")), CB_XMPP_R_PROTOCOL_ERROR,
		"not-well-formed", NULL);
	failure("stream prefix rebound", HDR("1") "<handshake xmlns:stream='urn:x'/>",
		CB_XMPP_R_PROTOCOL_ERROR, "bad-namespace-prefix", NULL);

	/* Too deep and too large. */
	{
		struct cb_xmpp_comp c;
		char deep[CB_XMPP_DEPTH_MAX * 4 + 200];
		size_t o = 0;

		comp(&c, "s");
		o += (size_t)snprintf(deep, sizeof(deep), "%s", HDR("1") "<handshake/>");
		for (int i = 0; i < CB_XMPP_DEPTH_MAX; i++)
			o += (size_t)snprintf(deep + o, sizeof(deep) - o, "<a>");
		is_int(cb_xmpp_comp_feed(&c, deep, o, 1), -EPROTO, "nesting past the cap fails");
		is_str(c.condition, "policy-violation", "as policy-violation");
		cb_xmpp_comp_free(&c);

		comp(&c, "s");
		feed(&c, HDR("1") "<handshake/><message><body>", false);
		int r = 0;
		size_t fed = 0;
		char chunk[4096];

		memset(chunk, 'x', sizeof(chunk));
		for (int i = 0; i < 20 && r == 0; i++) {
			r = cb_xmpp_comp_feed(&c, chunk, sizeof(chunk), 1);
			fed += sizeof(chunk);
		}
		is_int(r, -EPROTO, "a stanza over 64 KiB fails");
		ok(fed <= CB_XMPP_ELEMENT_MAX + sizeof(chunk), "no later than the cap");
		is_str(c.condition, "policy-violation", "as policy-violation");
		cb_xmpp_comp_free(&c);
	}
	/* Lots of whitespace between stanzas is not an element: no cap. */
	{
		struct cb_xmpp_comp c;
		char ws[8192];
		int r = 0;

		comp(&c, "s");
		feed(&c, HDR("1") "<handshake/>", false);
		memset(ws, ' ', sizeof(ws));
		for (int i = 0; i < 20 && r == 0; i++)
			r = cb_xmpp_comp_feed(&c, ws, sizeof(ws), 1);
		is_int(r, 0, "160 KiB of keep-alive whitespace is fine");
		is_int(c.state, CB_XMPP_CONNECTED, "still connected");
		cb_xmpp_comp_free(&c);
	}

	/* Errors after registration: the link is lost. */
	{
		struct cb_xmpp_comp c;

		comp(&c, "s");
		feed(&c, HDR("1") "<handshake/>", false);
		is_int(feed(&c, ERR("conflict", TEXT("replaced")), true), -EPROTO,
		       "kick_old conflict after registration");
		is_str(cb_xmpp_reason_name(c.reason), "connectionLost", "is a lost connection");
		is_str(c.condition, "conflict", "with its condition");
		cb_xmpp_comp_free(&c);

		comp(&c, "s");
		is_int(feed(&c, HDR("1") "</stream:stream>", false), 0,
		       "close before the handshake");
		is_int(c.state, CB_XMPP_CLOSED, "closed");
		is_str(c.text, "the server closed the stream before registration", "says so");
		cb_xmpp_comp_free(&c);
	}

	/* The mapping table. */
	is_int(cb_xmpp_error_reason("not-authorized", false), CB_XMPP_R_AUTH_FAILURE,
	       "not-authorized before: authenticationFailure");
	is_int(cb_xmpp_error_reason("system-shutdown", true), CB_XMPP_R_CONNECTION_LOST,
	       "system-shutdown after: connectionLost");
	is_str(cb_xmpp_reason_text(CB_XMPP_R_AUTH_FAILURE), "authentication failure",
	       "the words CMS shows");
	for (int r = 0; r < CB_XMPP_R_COUNT; r++)
		ok(r == 0 || cb_xmpp_reason_name(r)[0], "reason %d has a name", r);
	is_str(cb_xmpp_reason_name(CB_XMPP_R_COUNT), "", "out of range: empty");
}

static void test_config(void)
{
	struct cb_xmpp_comp c;
	struct cb_xmpp_comp_cfg cfg = {
	    .unique_name = "cb1", .domain = "example.com", .secret = "s"};

	is_int(cb_xmpp_comp_init(&c, &cfg), 0, "cb1 + example.com");
	is_str(c.component, "cb1.example.com", "the stream 'to' is name.domain");
	cb_xmpp_comp_free(&c);
	cfg.unique_name = "cb1.example.com";
	cb_xmpp_comp_init(&c, &cfg);
	is_str(c.component, "cb1.example.com", "a name with the domain is kept");
	cb_xmpp_comp_free(&c);

	const struct {
		const char *name, *domain, *secret, *words;
	} bad[] = {
	    {"", "example.com", "s", "uniqueName"},	{"cb1", "", "s", "domain"},
	    {"cb1", "example.com", "", "sharedSecret"}, {"cb 1", "example.com", "s", "uniqueName"},
	    {"cb1", "exa mple.com", "s", "domain"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cb_xmpp_comp_cfg b = {
		    .unique_name = bad[i].name, .domain = bad[i].domain, .secret = bad[i].secret};

		is_int(cb_xmpp_comp_init(&c, &b), -EINVAL, "settings %zu refused", i);
		ok(c.reason == CB_XMPP_R_NOT_CONFIGURED && strstr(c.text, bad[i].words),
		   "settings %zu: notConfigured, names %s (%s)", i, bad[i].words, c.text);
		is_int(cb_xmpp_comp_start(&c, 0), -EALREADY, "settings %zu: cannot start", i);
		cb_xmpp_comp_free(&c);
	}
}

static void test_timers(void)
{
	struct cb_xmpp_comp c;

	comp(&c, "s");
	take(&c);
	is_int((long long)cb_xmpp_comp_deadline(&c), 5000, "handshake deadline");
	cb_xmpp_comp_tick(&c, 4999);
	is_int(c.state, CB_XMPP_AWAIT_HEADER, "not yet");
	cb_xmpp_comp_tick(&c, 5000);
	is_int(c.state, CB_XMPP_FAILED, "timed out");
	is_str(cb_xmpp_reason_name(c.reason), "timeout", "reason timeout");
	is_str(take(&c), "</stream:stream>", "stream closed");
	ok(cb_xmpp_comp_deadline(&c) == UINT64_MAX, "no deadline once failed");
	cb_xmpp_comp_free(&c);

	comp(&c, "s");
	feed(&c, HDR("1") "<handshake/>", false);
	cb_xmpp_comp_sent(&c, 100);
	is_int((long long)cb_xmpp_comp_deadline(&c), 1100, "keep-alive due 1 s after output");
	cb_xmpp_comp_tick(&c, 1099);
	is_str(take(&c), "", "nothing before");
	c.last_out_ms = 100;
	cb_xmpp_comp_tick(&c, 1100);
	is_str(take(&c), " ", "a whitespace ping");
	cb_xmpp_comp_sent(&c, 1100);
	cb_xmpp_comp_close(&c);
	is_str(take(&c), "</stream:stream>", "close sends the end tag");
	is_int(c.state, CB_XMPP_CLOSED, "closed");
	cb_xmpp_comp_free(&c);

	comp(&c, "s");
	cb_xmpp_comp_fail(&c, CB_XMPP_R_TLS_FAILURE, "certificate has no SAN example.com");
	is_str(cb_xmpp_reason_name(c.reason), "tlsFailure", "the I/O layer's reason kept");
	is_str(c.text, "certificate has no SAN example.com", "with its words");
	cb_xmpp_comp_free(&c);
}

static void test_backoff(void)
{
	struct cb_xmpp_backoff b = {1000, 60000};
	const uint32_t want_lo[] = {500, 1000, 2000, 4000, 8000, 16000, 30000, 30000};

	for (unsigned i = 0; i < 8; i++) {
		uint32_t lo = cb_xmpp_backoff_ms(&b, i, 0),
			 hi = cb_xmpp_backoff_ms(&b, i, UINT32_MAX);

		is_int(lo, want_lo[i], "attempt %u, no jitter: half", i);
		is_int(hi, want_lo[i] * 2, "attempt %u, full jitter: capped double", i);
	}
	is_int(cb_xmpp_backoff_ms(&b, 200, UINT32_MAX), 60000, "huge attempt stays at the cap");
	is_int(cb_xmpp_backoff_ms(NULL, 0, UINT32_MAX / 2), 749,
	       "defaults: 1 s base, mid jitter: 500 + 249");
}

static void test_rotation(void)
{
	struct cb_xmpp_rotation r = {0};
	size_t i = 99;

	/* Three SRV targets; the first two are down. */
	cb_xmpp_rot_start(&r, 3);
	ok(cb_xmpp_rot_take(&r, &i) == 0 && i == 0, "first target");
	ok(cb_xmpp_rot_take(&r, &i) == 0 && i == 1, "failed: the next one");
	ok(cb_xmpp_rot_take(&r, &i) == 0 && i == 2, "and the third");
	cb_xmpp_rot_up(&r);
	is_int(r.failed_rounds, 0, "registered: back-off starts over");
	cb_xmpp_rot_lost(&r);
	ok(cb_xmpp_rot_take(&r, &i) == 0 && i == 0, "lost 2: next in order wraps to 0");
	ok(cb_xmpp_rot_take(&r, &i) == 0 && i == 1, "then 1");
	ok(cb_xmpp_rot_take(&r, &i) == 0 && i == 2, "the lost one last");
	is_int(cb_xmpp_rot_take(&r, &i), -ENOENT, "round used up");
	is_int(r.failed_rounds, 1, "one failed round");
	cb_xmpp_rot_start(&r, 2);
	ok(cb_xmpp_rot_take(&r, &i) == 0 && i == 0, "new resolution starts at its first");
	cb_xmpp_rot_take(&r, &i);
	is_int(cb_xmpp_rot_take(&r, &i), -ENOENT, "used up again");
	is_int(r.failed_rounds, 2, "failed rounds grow the back-off");
	cb_xmpp_rot_start(&r, 0);
	is_int(cb_xmpp_rot_take(&r, &i), -ENOENT, "no targets: nothing to take");
}

int main(void)
{
	test_override();
	test_srv();
	test_digest();
	test_transcript(false);
	test_transcript(true);
	test_failures();
	test_config();
	test_timers();
	test_backoff();
	test_rotation();
	return tap_done();
}
