// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The call bridge's XEP-0114 component client, sans-I/O: our stream
 * header, the server's header and id, the SHA-1 handshake, the server's
 * answer (<handshake/> or a stream error, mapped to a status reason),
 * keep-alive and handshake timeout; plus the back-off schedule and the
 * target rotation. See cb_xmpp_comp.h for the contract.
 */
#include "config.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/parse.h"
#include "services/callbridge/cb_form.h"
#include "services/callbridge/cb_xmpp_comp.h"
#include "services/xmpp/xmpp_sasl.h"

/* One table for the reasons: API name and words for the log. */
static const struct {
	const char *name, *text;
} reasons[CB_XMPP_R_COUNT] = {
    [CB_XMPP_R_NONE] = {"", ""},
    [CB_XMPP_R_NOT_CONFIGURED] = {"notConfigured", "not configured"},
    [CB_XMPP_R_DNS_FAILURE] = {"dnsFailure", "DNS failure"},
    [CB_XMPP_R_CONNECT_FAILURE] = {"connectFailure", "connection failure"},
    [CB_XMPP_R_TLS_FAILURE] = {"tlsFailure", "TLS failure"},
    [CB_XMPP_R_AUTH_FAILURE] = {"authenticationFailure", "authentication failure"},
    [CB_XMPP_R_PROTOCOL_ERROR] = {"protocolError", "protocol error"},
    [CB_XMPP_R_TIMEOUT] = {"timeout", "no answer from the server in time"},
    [CB_XMPP_R_CONNECTION_LOST] = {"connectionLost", "connection lost"},
};

const char *cb_xmpp_reason_name(enum cb_xmpp_reason r)
{
	return (unsigned)r < CB_XMPP_R_COUNT ? reasons[r].name : "";
}

const char *cb_xmpp_reason_text(enum cb_xmpp_reason r)
{
	return (unsigned)r < CB_XMPP_R_COUNT ? reasons[r].text : "";
}

const char *cb_xmpp_state_name(enum cb_xmpp_state s)
{
	static const char *const names[] = {"idle",	 "awaitingHeader", "awaitingHandshake",
					    "connected", "failed",	   "closed"};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "";
}

void cb_xmpp_status_text(const char *state, const char *server, const char *address,
			 const char *reason, const char *detail, char *buf, size_t len)
{
	const char *words = reason;
	char with[300] = "", why[300] = "";

	/* The reason's words from the one table, its API name otherwise. */
	for (int r = 1; r < CB_XMPP_R_COUNT; r++)
		if (reason && strcmp(reason, reasons[r].name) == 0)
			words = reasons[r].text;
	if (server && *server)
		snprintf(with, sizeof(with), " with %s", server);
	if (detail && *detail)
		snprintf(why, sizeof(why), " (%s)", detail);
	if (!state || !*state)
		snprintf(buf, len, "not running");
	else if (strcmp(state, "connected") == 0)
		snprintf(buf, len, "connected to %s%s%s%s", server, address && *address ? " (" : "",
			 address && *address ? address : "", address && *address ? ")" : "");
	else if (strcmp(state, "resolving") == 0)
		snprintf(buf, len, "looking up the XMPP server");
	else if (strcmp(state, "connecting") == 0)
		snprintf(buf, len, "connecting to %s", server && *server ? server : "the server");
	else if (reason && *reason && strcmp(state, "idle") == 0)
		snprintf(buf, len, "%s%s", words, why);
	else if (reason && *reason)
		snprintf(buf, len, "not connected: %s%s%s%s", words, with, why,
			 strcmp(state, "retrying") == 0 ? ", retrying" : "");
	else
		snprintf(buf, len, "%s", state);
}

/* RFC 6120 4.9.3 defined conditions. */
static const char *const stream_conditions[] = {
    "bad-format",
    "bad-namespace-prefix",
    "conflict",
    "connection-timeout",
    "host-gone",
    "host-unknown",
    "improper-addressing",
    "internal-server-error",
    "invalid-from",
    "invalid-namespace",
    "invalid-xml",
    "not-authorized",
    "not-well-formed",
    "policy-violation",
    "remote-connection-failed",
    "reset",
    "resource-constraint",
    "restricted-xml",
    "see-other-host",
    "system-shutdown",
    "undefined-condition",
    "unsupported-encoding",
    "unsupported-feature",
    "unsupported-stanza-type",
    "unsupported-version",
};

static bool known_condition(const char *s)
{
	for (size_t i = 0; i < sizeof(stream_conditions) / sizeof(stream_conditions[0]); i++)
		if (strcmp(s, stream_conditions[i]) == 0)
			return true;
	return false;
}

enum cb_xmpp_reason cb_xmpp_error_reason(const char *condition, bool registered)
{
	(void)condition; /* every condition maps the same way; kept for the log */
	return registered ? CB_XMPP_R_CONNECTION_LOST : CB_XMPP_R_AUTH_FAILURE;
}

/* --- the handshake ------------------------------------------------------ */

int cb_xmpp_handshake_digest(const char *id, const char *secret, char hex[41])
{
	if (strlen(id) > CB_XMPP_ID_MAX || strlen(secret) > CB_XMPP_SECRET_MAX)
		return -EINVAL;
	/* The same computation as the server's check (services/xmpp). */
	return xmpp_component_digest(id, secret, hex);
}

/* --- set-up and output -------------------------------------------------- */

static void queue(struct cb_xmpp_comp *c, const char *s, uint64_t now_ms)
{
	sb_puts(&c->out, s);
	c->last_out_ms = now_ms;
}

static int bad_cfg(struct cb_xmpp_comp *c, const char *msg)
{
	c->state = CB_XMPP_FAILED;
	c->reason = CB_XMPP_R_NOT_CONFIGURED;
	snprintf(c->text, sizeof(c->text), "%s", msg);
	return -EINVAL;
}

int cb_xmpp_comp_init(struct cb_xmpp_comp *c, const struct cb_xmpp_comp_cfg *cfg)
{
	const char *name = cfg->unique_name ? cfg->unique_name : "";
	const char *domain = cfg->domain ? cfg->domain : "";
	const char *secret = cfg->secret ? cfg->secret : "";
	size_t nl = strlen(name), dl = strlen(domain);

	memset(c, 0, sizeof(*c));
	sb_init(&c->out);
	sb_init(&c->etext);
	c->keepalive_ms = cfg->keepalive_ms ? cfg->keepalive_ms : 60000;
	c->handshake_ms = cfg->handshake_ms ? cfg->handshake_ms : 30000;
	c->on_stanza = cfg->on_stanza;
	c->arg = cfg->arg;

	if (!*name)
		return bad_cfg(c, "uniqueName is not set");
	if (!*domain)
		return bad_cfg(c, "domain is not set");
	if (!*secret)
		return bad_cfg(c, "sharedSecret is not set");
	if (strlen(secret) > CB_XMPP_SECRET_MAX)
		return bad_cfg(c, "sharedSecret is longer than 256 bytes");
	if (cv_parse_hostname(domain) < 0)
		return bad_cfg(c, "domain is not a DNS name");
	/* spec/xmpp.md 1.2: the stream 'to' is <name>.<domain>; Cisco says
	 * the name needs "no domain part", so one already there is kept. */
	if (nl > dl + 1 && name[nl - dl - 1] == '.' && strcmp(name + nl - dl, domain) == 0)
		snprintf(c->component, sizeof(c->component), "%s", name);
	else if (nl + 1 + dl < sizeof(c->component))
		snprintf(c->component, sizeof(c->component), "%s.%s", name, domain);
	if (!c->component[0] || cv_parse_hostname(c->component) < 0)
		return bad_cfg(c, "uniqueName.domain is not a DNS name");
	snprintf(c->secret, sizeof(c->secret), "%s", secret);
	c->in = xmalloc(CB_XMPP_ELEMENT_MAX);
	c->state = CB_XMPP_IDLE;
	return 0;
}

void cb_xmpp_comp_free(struct cb_xmpp_comp *c)
{
	gnutls_memset(c->secret, 0, sizeof(c->secret));
	sb_free(&c->out);
	sb_free(&c->etext);
	free(c->in);
	c->in = NULL;
}

int cb_xmpp_comp_start(struct cb_xmpp_comp *c, uint64_t now_ms)
{
	struct strbuf sb = STRBUF_INIT;

	if (c->state != CB_XMPP_IDLE || !c->in)
		return -EALREADY;
	/* XEP-0114 section 3, step 1. */
	sb_printf(&sb,
		  "<stream:stream xmlns='" CB_XMPP_NS_COMPONENT "' xmlns:stream='" CB_XMPP_NS_STREAM
		  "' to='%s'>",
		  c->component);
	queue(c, sb_str(&sb), now_ms);
	sb_free(&sb);
	c->started_ms = now_ms;
	c->state = CB_XMPP_AWAIT_HEADER;
	return 0;
}

const char *cb_xmpp_comp_out(const struct cb_xmpp_comp *c, size_t *ret_len)
{
	*ret_len = c->out.len;
	return c->out.len ? c->out.buf : "";
}

int cb_xmpp_comp_send(struct cb_xmpp_comp *c, const char *xml, size_t len, uint64_t now_ms)
{
	if (c->state != CB_XMPP_CONNECTED)
		return -ENOTCONN;
	sb_put(&c->out, xml, len);
	c->last_out_ms = now_ms;
	return 0;
}

void cb_xmpp_comp_sent(struct cb_xmpp_comp *c, uint64_t now_ms)
{
	if (c->out.len)
		c->last_out_ms = now_ms;
	sb_reset(&c->out);
}

/* Ends the stream with a reason; our own stream error when cond is set
 * (RFC 6120 4.9.1: the entity that detects the error sends it). */
static int fail(struct cb_xmpp_comp *c, enum cb_xmpp_reason r, const char *cond, const char *text,
		uint64_t now_ms)
{
	bool header_sent = c->state == CB_XMPP_AWAIT_HEADER ||
			   c->state == CB_XMPP_AWAIT_HANDSHAKE || c->state == CB_XMPP_CONNECTED;

	if (header_sent) {
		if (cond && r == CB_XMPP_R_PROTOCOL_ERROR) {
			char buf[160];

			snprintf(buf, sizeof(buf),
				 "<stream:error><%s xmlns='" CB_XMPP_NS_STREAMS_ERR
				 "'/></stream:error>",
				 cond);
			queue(c, buf, now_ms);
		}
		queue(c, "</stream:stream>", now_ms);
	}
	c->state = CB_XMPP_FAILED;
	c->reason = r;
	snprintf(c->condition, sizeof(c->condition), "%s", cond ? cond : "");
	snprintf(c->text, sizeof(c->text), "%s", text ? text : "");
	c->in_len = c->scan = 0;
	c->depth = 0;
	return -EPROTO;
}

void cb_xmpp_comp_fail(struct cb_xmpp_comp *c, enum cb_xmpp_reason r, const char *text)
{
	if (c->state == CB_XMPP_FAILED)
		return;
	c->state = CB_XMPP_FAILED;
	c->reason = r;
	c->condition[0] = '\0';
	snprintf(c->text, sizeof(c->text), "%s", text ? text : "");
	c->in_len = c->scan = 0;
	c->depth = 0;
}

void cb_xmpp_comp_close(struct cb_xmpp_comp *c)
{
	if (c->state == CB_XMPP_AWAIT_HEADER || c->state == CB_XMPP_AWAIT_HANDSHAKE ||
	    c->state == CB_XMPP_CONNECTED)
		queue(c, "</stream:stream>", c->last_out_ms);
	if (c->state != CB_XMPP_FAILED)
		c->state = CB_XMPP_CLOSED;
}

uint64_t cb_xmpp_comp_deadline(const struct cb_xmpp_comp *c)
{
	switch (c->state) {
	case CB_XMPP_AWAIT_HEADER:
	case CB_XMPP_AWAIT_HANDSHAKE:
		return c->started_ms + c->handshake_ms;
	case CB_XMPP_CONNECTED:
		return c->last_out_ms + c->keepalive_ms;
	default:
		return UINT64_MAX;
	}
}

void cb_xmpp_comp_tick(struct cb_xmpp_comp *c, uint64_t now_ms)
{
	if ((c->state == CB_XMPP_AWAIT_HEADER || c->state == CB_XMPP_AWAIT_HANDSHAKE) &&
	    now_ms >= c->started_ms + c->handshake_ms) {
		fail(c, CB_XMPP_R_TIMEOUT, NULL, "no <handshake/> from the server", now_ms);
		return;
	}
	/* RFC 6120 4.6.1: whitespace between stanzas keeps the link and any
	 * NAT or firewall state alive; only when nothing else is waiting. */
	if (c->state == CB_XMPP_CONNECTED && c->out.len == 0 &&
	    now_ms >= c->last_out_ms + c->keepalive_ms)
		queue(c, " ", now_ms);
}

/* --- the scanner -------------------------------------------------------- */

#define ATTRS_MAX 16
#define VALUE_MAX 1024

struct attr {
	char name[CB_XMPP_NAME_MAX + 1];
	char value[VALUE_MAX + 1];
};

struct tag {
	char name[CB_XMPP_NAME_MAX + 1];
	struct attr attrs[ATTRS_MAX];
	size_t n;
	bool end, empty;
};

static bool is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static bool name_char(unsigned char ch, bool first)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == ':' ||
	    ch >= 0x80)
		return true;
	return !first && ((ch >= '0' && ch <= '9') || ch == '-' || ch == '.');
}

/* Reads an XML name at s[*i..n) into out; false if there is none or it is
 * longer than CB_XMPP_NAME_MAX. */
static bool read_name(const char *s, size_t n, size_t *i, char *out)
{
	size_t st = *i;

	while (*i < n && name_char((unsigned char)s[*i], *i == st))
		(*i)++;
	if (*i == st || *i - st > CB_XMPP_NAME_MAX)
		return false;
	memcpy(out, s + st, *i - st);
	out[*i - st] = '\0';
	return true;
}

static void put_utf8(char *out, size_t *o, uint32_t cp)
{
	if (cp < 0x80) {
		out[(*o)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*o)++] = (char)(0xc0 | (cp >> 6));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*o)++] = (char)(0xe0 | (cp >> 12));
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*o)++] = (char)(0xf0 | (cp >> 18));
		out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/*
 * Decodes character data s[0..n): the five predefined entities and
 * character references (XML 1.0 Char only), no raw '<', no control
 * characters but tab, LF, CR, valid UTF-8. With out (room for cap bytes
 * and a NUL) the result is written, truncated at cap when truncate is
 * set, else too long is an error; without out it is only checked.
 */
static bool decode(const char *s, size_t n, char *out, size_t cap, bool truncate)
{
	size_t o = 0;
	char tmp[4];

	if (!cb_utf8_valid(s, n))
		return false;
	for (size_t i = 0; i < n;) {
		unsigned char ch = (unsigned char)s[i];
		size_t w;
		const char *dst = tmp;

		w = 0;
		if (ch == '<' || (ch < 0x20 && !is_ws((char)ch)) || ch == 0x7f)
			return false;
		if (ch == '&') {
			const char *semi = memchr(s + i, ';', n - i);
			size_t el;

			if (!semi || (el = (size_t)(semi - s - i - 1)) == 0 || el > 10)
				return false;
			const char *e = s + i + 1;

			if (el == 2 && memcmp(e, "lt", 2) == 0)
				tmp[w++] = '<';
			else if (el == 2 && memcmp(e, "gt", 2) == 0)
				tmp[w++] = '>';
			else if (el == 3 && memcmp(e, "amp", 3) == 0)
				tmp[w++] = '&';
			else if (el == 4 && memcmp(e, "quot", 4) == 0)
				tmp[w++] = '"';
			else if (el == 4 && memcmp(e, "apos", 4) == 0)
				tmp[w++] = '\'';
			else if (e[0] == '#') {
				bool hex = el > 1 && e[1] == 'x';
				size_t k = hex ? 2 : 1;
				uint32_t cp = 0;

				if (k == el)
					return false;
				for (; k < el; k++) {
					char d = e[k];
					unsigned v;

					if (d >= '0' && d <= '9')
						v = (unsigned)(d - '0');
					else if (hex && d >= 'a' && d <= 'f')
						v = (unsigned)(d - 'a' + 10);
					else if (hex && d >= 'A' && d <= 'F')
						v = (unsigned)(d - 'A' + 10);
					else
						return false;
					cp = cp * (hex ? 16 : 10) + v;
					if (cp > 0x10ffff)
						return false;
				}
				/* XML 1.0 section 2.2 Char. */
				if (!(cp == 0x9 || cp == 0xa || cp == 0xd ||
				      (cp >= 0x20 && cp <= 0xd7ff) ||
				      (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000))
					return false;
				put_utf8(tmp, &w, cp);
			} else {
				return false; /* no other entities exist without a DTD */
			}
			i += el + 2;
		} else {
			/* A whole UTF-8 sequence at a time (s is valid UTF-8),
			 * so truncation never splits one. */
			dst = s + i;
			w = ch < 0x80 ? 1 : ch < 0xe0 ? 2 : ch < 0xf0 ? 3 : 4;
			i += w;
		}
		if (out) {
			if (o + w > cap) {
				if (!truncate)
					return false;
				break;
			}
			memcpy(out + o, dst, w);
		}
		o += w;
	}
	if (out)
		out[o < cap ? o : cap] = '\0';
	return true;
}

/* Parses the inside of a tag, s[0..n) between '<' and '>'. */
static bool parse_tag(const char *s, size_t n, struct tag *t)
{
	size_t i = 0;

	t->name[0] = '\0';
	t->n = 0;
	t->end = t->empty = false;
	if (n > 0 && s[0] == '/') {
		t->end = true;
		i = 1;
	}
	if (!read_name(s, n, &i, t->name))
		return false;
	if (t->end) {
		while (i < n && is_ws(s[i]))
			i++;
		return i == n;
	}
	for (;;) {
		size_t ws = i;

		while (i < n && is_ws(s[i]))
			i++;
		if (i == n)
			return true;
		if (s[i] == '/') {
			t->empty = true;
			return i + 1 == n;
		}
		if (i == ws || t->n == ATTRS_MAX)
			return false; /* attributes are separated by space; cap */
		struct attr *a = &t->attrs[t->n];

		if (!read_name(s, n, &i, a->name))
			return false;
		while (i < n && is_ws(s[i]))
			i++;
		if (i == n || s[i] != '=')
			return false;
		i++;
		while (i < n && is_ws(s[i]))
			i++;
		if (i == n || (s[i] != '\'' && s[i] != '"'))
			return false;
		char q = s[i++];
		const char *end = memchr(s + i, q, n - i);

		if (!end)
			return false;
		if (!decode(s + i, (size_t)(end - s - i), a->value, VALUE_MAX, false))
			return false;
		i = (size_t)(end - s) + 1;
		for (size_t k = 0; k < t->n; k++)
			if (strcmp(t->attrs[k].name, a->name) == 0)
				return false; /* XML 1.0 3.1: unique attributes */
		t->n++;
	}
}

static const char *attr(const struct tag *t, const char *name)
{
	for (size_t k = 0; k < t->n; k++)
		if (strcmp(t->attrs[k].name, name) == 0)
			return t->attrs[k].value;
	return NULL;
}

/* The server's stream header. */
static int on_header(struct cb_xmpp_comp *c, const struct tag *t, uint64_t now_ms)
{
	const char *ns = attr(t, "xmlns"), *sns = attr(t, "xmlns:stream"), *id = attr(t, "id");

	if (strcmp(t->name, "stream:stream") != 0 || t->empty || t->end)
		return fail(c, CB_XMPP_R_PROTOCOL_ERROR, "not-well-formed",
			    "the server did not open a stream", now_ms);
	if (!sns || strcmp(sns, CB_XMPP_NS_STREAM) != 0)
		return fail(c, CB_XMPP_R_PROTOCOL_ERROR, "invalid-namespace",
			    "the server's stream header has the wrong stream namespace", now_ms);
	if (!ns || strcmp(ns, CB_XMPP_NS_COMPONENT) != 0)
		return fail(c, CB_XMPP_R_PROTOCOL_ERROR, "invalid-namespace",
			    "the server's stream is not jabber:component:accept", now_ms);
	c->stream_id[0] = '\0';
	if (id && strlen(id) > CB_XMPP_ID_MAX)
		return fail(c, CB_XMPP_R_PROTOCOL_ERROR, "policy-violation",
			    "the server's stream id is longer than 128 bytes", now_ms);
	if (id)
		snprintf(c->stream_id, sizeof(c->stream_id), "%s", id);
	/* prosody refuses an unknown name with id='' and a stream error
	 * right after the header (spec/xmpp.md 3.9 case 6): no handshake
	 * without an id, wait for the error. */
	if (c->stream_id[0]) {
		char hex[41], buf[64];

		if (cb_xmpp_handshake_digest(c->stream_id, c->secret, hex) < 0)
			return fail(c, CB_XMPP_R_PROTOCOL_ERROR, "internal-server-error",
				    "cannot compute the handshake", now_ms);
		snprintf(buf, sizeof(buf), "<handshake>%s</handshake>", hex);
		queue(c, buf, now_ms);
		c->state = CB_XMPP_AWAIT_HANDSHAKE;
	}
	return 0;
}

/* A whole top-level element in c->in[0..c->scan) has been read. */
static int on_element(struct cb_xmpp_comp *c, const char *name, uint64_t now_ms)
{
	if (strcmp(name, "stream:error") == 0) {
		bool registered = c->state == CB_XMPP_CONNECTED;
		const char *cond = c->condition[0] ? c->condition : "undefined-condition";
		enum cb_xmpp_reason r = cb_xmpp_error_reason(cond, registered);
		char cbuf[CB_XMPP_NAME_MAX + 1], tbuf[CB_XMPP_TEXT_MAX + 1];

		snprintf(cbuf, sizeof(cbuf), "%s", cond);
		snprintf(tbuf, sizeof(tbuf), "%s", sb_str(&c->etext));
		fail(c, r, NULL, tbuf, now_ms);
		snprintf(c->condition, sizeof(c->condition), "%s", cbuf);
		return -EPROTO;
	}
	if (strcmp(name, "handshake") == 0) {
		if (c->state != CB_XMPP_AWAIT_HANDSHAKE)
			return fail(c, CB_XMPP_R_PROTOCOL_ERROR, "not-authorized",
				    "unexpected <handshake/> from the server", now_ms);
		c->state = CB_XMPP_CONNECTED;
		return 0;
	}
	if (c->state != CB_XMPP_CONNECTED)
		return fail(c, CB_XMPP_R_PROTOCOL_ERROR, "not-authorized",
			    "a stanza from the server before the handshake", now_ms);
	if (strchr(name, ':'))
		return fail(c, CB_XMPP_R_PROTOCOL_ERROR, "unsupported-stanza-type",
			    "an unknown top-level element from the server", now_ms);
	if (c->on_stanza)
		c->on_stanza(c->arg, name, c->in, c->scan);
	return 0;
}

/* Drops the consumed input c->in[0..c->scan). */
static void consume(struct cb_xmpp_comp *c)
{
	memmove(c->in, c->in + c->scan, c->in_len - c->scan);
	c->in_len -= c->scan;
	c->scan = 0;
}

/* A start, end or empty tag t, c->in[st..c->scan) in the buffer. */
static int on_tag(struct cb_xmpp_comp *c, const struct tag *t, size_t st, uint64_t now_ms)
{
	if (c->depth == 0) {
		int r = on_header(c, t, now_ms);

		if (r == 0) {
			snprintf(c->open[0].name, sizeof(c->open[0].name), "%s", t->name);
			c->depth = 1;
		}
		return r;
	}

	if (t->end) {
		if (strcmp(t->name, c->open[c->depth - 1].name) != 0)
			return fail(c, CB_XMPP_R_PROTOCOL_ERROR, "not-well-formed",
				    "mismatched end tag from the server", now_ms);
		c->depth--;
		if (c->depth == 0) {
			/* </stream:stream>: the server ends the stream. */
			bool registered = c->state == CB_XMPP_CONNECTED;

			queue(c, "</stream:stream>", now_ms);
			c->state = CB_XMPP_CLOSED;
			c->reason = CB_XMPP_R_CONNECTION_LOST;
			snprintf(c->text, sizeof(c->text), "%s",
				 registered ? "the server closed the stream"
					    : "the server closed the stream before registration");
			return 0;
		}
		if (c->depth == 2 && c->in_error)
			c->in_error_text = false;
		if (c->depth == 1)
			return on_element(c, t->name, now_ms);
		return 0;
	}

	/* A start or empty tag. */
	const char *sns = attr(t, "xmlns:stream");

	if (sns && strcmp(sns, CB_XMPP_NS_STREAM) != 0)
		return fail(c, CB_XMPP_R_PROTOCOL_ERROR, "bad-namespace-prefix",
			    "the server rebinds the stream: prefix", now_ms);
	if (c->depth == 1) {
		/* A new top-level element: keep it from its first byte. */
		c->scan -= st;
		memmove(c->in, c->in + st, c->in_len - st);
		c->in_len -= st;
		c->in_error = strcmp(t->name, "stream:error") == 0;
		c->in_error_text = false;
		c->condition[0] = '\0';
		sb_reset(&c->etext);
		if (strcmp(t->name, "handshake") == 0) {
			const char *ns = attr(t, "xmlns");

			if ((ns && strcmp(ns, CB_XMPP_NS_COMPONENT) != 0) || !t->empty)
				return fail(c, CB_XMPP_R_PROTOCOL_ERROR, "not-well-formed",
					    "the server's <handshake/> is not empty", now_ms);
		}
	} else if (c->depth == 2 && c->in_error) {
		const char *ns = attr(t, "xmlns");

		if (ns && strcmp(ns, CB_XMPP_NS_STREAMS_ERR) == 0) {
			if (strcmp(t->name, "text") == 0)
				c->in_error_text = !t->empty;
			else if (!c->condition[0] && known_condition(t->name))
				snprintf(c->condition, sizeof(c->condition), "%s", t->name);
		}
	}
	if (t->empty)
		return c->depth == 1 ? on_element(c, t->name, now_ms) : 0;
	if (c->depth == CB_XMPP_DEPTH_MAX)
		return fail(c, CB_XMPP_R_PROTOCOL_ERROR, "policy-violation",
			    "elements from the server nested too deep", now_ms);
	snprintf(c->open[c->depth].name, sizeof(c->open[0].name), "%s", t->name);
	c->depth++;
	return 0;
}

/* Reads every complete token in the buffer. 0: wait for more input. */
static int scan(struct cb_xmpp_comp *c, uint64_t now_ms)
{
	struct tag t, *tp = &t;

	while (c->scan < c->in_len) {
		const char *p = c->in + c->scan;
		size_t avail = c->in_len - c->scan;

		if (*p != '<') {
			const char *lt = memchr(p, '<', avail);
			size_t n = lt ? (size_t)(lt - p) : avail;

			if (c->depth <= 1) {
				/* Between top-level elements only whitespace
				 * (the server's keep-alive). */
				for (size_t i = 0; i < n; i++)
					if (!is_ws(p[i]))
						return fail(c, CB_XMPP_R_PROTOCOL_ERROR,
							    "not-well-formed",
							    "text outside a stanza from the server",
							    now_ms);
				c->scan += n;
				c->seen_token = true;
				if (c->depth == 1)
					consume(c);
				continue;
			}
			if (!lt)
				return 0; /* a reference may be split: wait for '<' */
			if (!decode(p, n, NULL, 0, false))
				return fail(c, CB_XMPP_R_PROTOCOL_ERROR, "not-well-formed",
					    "bad character data from the server", now_ms);
			if (c->in_error && c->in_error_text && c->depth == 3 &&
			    c->etext.len < CB_XMPP_TEXT_MAX) {
				char buf[CB_XMPP_TEXT_MAX + 1];

				decode(p, n, buf, CB_XMPP_TEXT_MAX - c->etext.len, true);
				sb_puts(&c->etext, buf);
			}
			c->scan += n;
			continue;
		}

		/* A tag: find its '>' outside quoted values. */
		size_t i = 1;
		char q = 0;

		for (; i < avail; i++) {
			if (q) {
				if (p[i] == q)
					q = 0;
			} else if (p[i] == '\'' || p[i] == '"') {
				q = p[i];
			} else if (p[i] == '>') {
				break;
			}
		}
		if (avail > 1 && (p[1] == '!' || (p[1] == '?' && c->seen_token)))
			return fail(c, CB_XMPP_R_PROTOCOL_ERROR, "restricted-xml",
				    "comment, DTD, CDATA or processing instruction from the server",
				    now_ms);
		if (i == avail)
			return 0;
		size_t st = c->scan;

		c->scan += i + 1;
		if (p[1] == '?') {
			/* The XML declaration, first thing in the stream. */
			if (i < 7 || memcmp(p, "<?xml", 5) != 0 || !is_ws(p[5]) || p[i - 1] != '?')
				return fail(c, CB_XMPP_R_PROTOCOL_ERROR, "restricted-xml",
					    "processing instruction from the server", now_ms);
			c->seen_token = true;
			consume(c);
			continue;
		}
		c->seen_token = true;
		if (!parse_tag(p + 1, i - 1, tp))
			return fail(c, CB_XMPP_R_PROTOCOL_ERROR, "not-well-formed",
				    "malformed tag from the server", now_ms);
		int r = on_tag(c, tp, st, now_ms);

		if (r < 0 || c->state == CB_XMPP_CLOSED)
			return r;
		/* Between top-level elements nothing is kept. */
		if (c->depth <= 1)
			consume(c);
	}
	return 0;
}

int cb_xmpp_comp_feed(struct cb_xmpp_comp *c, const void *buf, size_t len, uint64_t now_ms)
{
	const char *b = buf;

	if (c->state == CB_XMPP_FAILED)
		return -EPROTO;
	if (c->state != CB_XMPP_AWAIT_HEADER && c->state != CB_XMPP_AWAIT_HANDSHAKE &&
	    c->state != CB_XMPP_CONNECTED)
		return -EPIPE;
	while (len > 0) {
		size_t room = CB_XMPP_ELEMENT_MAX - c->in_len;
		size_t n = len < room ? len : room;
		int r;

		if (n == 0)
			return fail(c, CB_XMPP_R_PROTOCOL_ERROR, "policy-violation",
				    "an element from the server is larger than 64 KiB", now_ms);
		memcpy(c->in + c->in_len, b, n);
		c->in_len += n;
		b += n;
		len -= n;
		r = scan(c, now_ms);
		if (r < 0)
			return r;
		if (c->state == CB_XMPP_CLOSED)
			return len ? -EPIPE : 0;
	}
	return 0;
}

/* --- back-off and rotation ---------------------------------------------- */

uint32_t cb_xmpp_backoff_ms(const struct cb_xmpp_backoff *b, unsigned attempt, uint32_t rnd)
{
	uint64_t base = b && b->base_ms ? b->base_ms : 1000;
	uint64_t cap = b && b->cap_ms ? b->cap_ms : 60000;
	uint64_t d = attempt >= 32 ? cap : base << attempt;

	if (d > cap)
		d = cap;
	/* Equal jitter: call bridges that lost the same server do not all
	 * come back in the same millisecond, and none waits less than half. */
	return (uint32_t)(d - d / 2 + (d / 2) * rnd / UINT32_MAX);
}

void cb_xmpp_rot_start(struct cb_xmpp_rotation *r, size_t n)
{
	unsigned failed = r->failed_rounds;

	memset(r, 0, sizeof(*r));
	r->n = n;
	r->left = n;
	r->failed_rounds = failed;
}

int cb_xmpp_rot_take(struct cb_xmpp_rotation *r, size_t *ret_index)
{
	if (r->left == 0) {
		/* The caller waits the back-off, resolves again and calls
		 * cb_xmpp_rot_start(). */
		r->failed_rounds++;
		return -ENOENT;
	}
	r->current = r->next;
	r->next = (r->next + 1) % r->n;
	r->left--;
	*ret_index = r->current;
	return 0;
}

void cb_xmpp_rot_up(struct cb_xmpp_rotation *r)
{
	r->failed_rounds = 0;
}

void cb_xmpp_rot_lost(struct cb_xmpp_rotation *r)
{
	if (r->n == 0)
		return;
	r->next = (r->current + 1) % r->n;
	r->left = r->n;
}
