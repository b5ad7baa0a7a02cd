// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The XMPP stream parser (see xmpp_stream.h): libexpat in namespace mode,
 * names arrive as "URI\x1flocal" (0x1f cannot occur in XML 1.0 text, so
 * splitting at the last one is safe whatever a namespace URI holds). The
 * parser is fed in chunks of at most XMPP_FEED_CHUNK bytes, and never
 * more than one byte past the stanza cap, so that expat never buffers
 * more than the cap of an unfinished token: the cap holds even for one
 * huge start tag.
 */
#include "config.h"

#include <errno.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/mem.h"
#include "services/xmpp/xmpp_stream.h"

#define NS_SEP '\x1f'
#define XMPP_FEED_CHUNK 4096u

static const char *const serr_names[XMPP_SERR_COUNT_] = {
	[XMPP_SERR_BAD_FORMAT] = "bad-format",
	[XMPP_SERR_BAD_NAMESPACE_PREFIX] = "bad-namespace-prefix",
	[XMPP_SERR_CONFLICT] = "conflict",
	[XMPP_SERR_CONNECTION_TIMEOUT] = "connection-timeout",
	[XMPP_SERR_HOST_GONE] = "host-gone",
	[XMPP_SERR_HOST_UNKNOWN] = "host-unknown",
	[XMPP_SERR_IMPROPER_ADDRESSING] = "improper-addressing",
	[XMPP_SERR_INTERNAL_SERVER_ERROR] = "internal-server-error",
	[XMPP_SERR_INVALID_FROM] = "invalid-from",
	[XMPP_SERR_INVALID_NAMESPACE] = "invalid-namespace",
	[XMPP_SERR_INVALID_XML] = "invalid-xml",
	[XMPP_SERR_NOT_AUTHORIZED] = "not-authorized",
	[XMPP_SERR_NOT_WELL_FORMED] = "not-well-formed",
	[XMPP_SERR_POLICY_VIOLATION] = "policy-violation",
	[XMPP_SERR_REMOTE_CONNECTION_FAILED] = "remote-connection-failed",
	[XMPP_SERR_RESET] = "reset",
	[XMPP_SERR_RESOURCE_CONSTRAINT] = "resource-constraint",
	[XMPP_SERR_RESTRICTED_XML] = "restricted-xml",
	[XMPP_SERR_SEE_OTHER_HOST] = "see-other-host",
	[XMPP_SERR_SYSTEM_SHUTDOWN] = "system-shutdown",
	[XMPP_SERR_UNDEFINED_CONDITION] = "undefined-condition",
	[XMPP_SERR_UNSUPPORTED_ENCODING] = "unsupported-encoding",
	[XMPP_SERR_UNSUPPORTED_FEATURE] = "unsupported-feature",
	[XMPP_SERR_UNSUPPORTED_STANZA_TYPE] = "unsupported-stanza-type",
	[XMPP_SERR_UNSUPPORTED_VERSION] = "unsupported-version",
};

const char *xmpp_stream_err_name(enum xmpp_stream_err e)
{
	if ((int)e <= XMPP_SERR_NONE || e >= XMPP_SERR_COUNT_)
		return NULL;
	return serr_names[e];
}

/* --- element trees ------------------------------------------------------ */

struct xmpp_elem *xmpp_elem_new(const char *name, const char *ns)
{
	struct xmpp_elem *e = xcalloc(1, sizeof(*e));

	e->name = xstrdup(name);
	e->ns = ns ? xstrdup(ns) : NULL;
	return e;
}

void xmpp_elem_free(struct xmpp_elem *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nattrs; i++) {
		free(e->attrs[i].name);
		free(e->attrs[i].ns);
		free(e->attrs[i].value);
	}
	free(e->attrs);
	for (size_t i = 0; i < e->nchildren; i++)
		xmpp_elem_free(e->children[i]);
	free(e->children);
	free(e->text);
	free(e->name);
	free(e->ns);
	free(e);
}

static bool ns_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static void attr_append(struct xmpp_elem *e, const char *name, const char *ns, const char *value)
{
	e->attrs = xrealloc(e->attrs, (e->nattrs + 1) * sizeof(*e->attrs));
	e->attrs[e->nattrs].name = xstrdup(name);
	e->attrs[e->nattrs].ns = ns ? xstrdup(ns) : NULL;
	e->attrs[e->nattrs].value = xstrdup(value);
	e->nattrs++;
}

void xmpp_elem_set_attr(struct xmpp_elem *e, const char *name, const char *ns, const char *value)
{
	for (size_t i = 0; i < e->nattrs; i++) {
		if (strcmp(e->attrs[i].name, name) == 0 && ns_eq(e->attrs[i].ns, ns)) {
			if (!value) {
				free(e->attrs[i].name);
				free(e->attrs[i].ns);
				free(e->attrs[i].value);
				e->attrs[i] = e->attrs[--e->nattrs];
				return;
			}
			free(e->attrs[i].value);
			e->attrs[i].value = xstrdup(value);
			return;
		}
	}
	if (value)
		attr_append(e, name, ns, value);
}

struct xmpp_elem *xmpp_elem_add_child(struct xmpp_elem *e, struct xmpp_elem *child)
{
	e->children = xrealloc(e->children, (e->nchildren + 1) * sizeof(*e->children));
	e->children[e->nchildren++] = child;
	return child;
}

void xmpp_elem_add_text(struct xmpp_elem *e, const char *s, size_t n)
{
	e->text = xrealloc(e->text, e->text_len + n + 1);
	memcpy(e->text + e->text_len, s, n);
	e->text_len += n;
	e->text[e->text_len] = '\0';
}

const char *xmpp_elem_attr(const struct xmpp_elem *e, const char *name, const char *ns)
{
	for (size_t i = 0; i < e->nattrs; i++)
		if (strcmp(e->attrs[i].name, name) == 0 && ns_eq(e->attrs[i].ns, ns))
			return e->attrs[i].value;
	return NULL;
}

struct xmpp_elem *xmpp_elem_child(const struct xmpp_elem *e, const char *name, const char *ns)
{
	for (size_t i = 0; i < e->nchildren; i++) {
		struct xmpp_elem *c = e->children[i];

		if (strcmp(c->name, name) == 0 && (!ns || ns_eq(c->ns, ns)))
			return c;
	}
	return NULL;
}

/* --- serializer --------------------------------------------------------- */

/* XML 1.0 section 2.2: of the C0 controls only tab, LF and CR exist. */
static bool chars_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return false;
	}
	return true;
}

/* In attributes, tab, LF and CR become references so that attribute
 * value normalization (XML 1.0 section 3.3.3) keeps them. */
static void put_escaped(struct strbuf *sb, const char *s, size_t n, bool attr)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '\r': rep = "&#13;"; break;
		case '\'': rep = attr ? "&apos;" : NULL; break;
		case '"': rep = attr ? "&quot;" : NULL; break;
		case '\t': rep = attr ? "&#9;" : NULL; break;
		case '\n': rep = attr ? "&#10;" : NULL; break;
		}
		if (!rep)
			continue;
		sb_put(sb, s + run, i - run);
		sb_puts(sb, rep);
		run = i + 1;
	}
	sb_put(sb, s + run, n - run);
}

static bool elem_ok(const struct xmpp_elem *e, unsigned depth)
{
	/* Trees from the parser are bounded by its depth cap; built ones
	 * are ours. The bound keeps the recursion finite either way. */
	if (depth > 256 || !e->name || !e->name[0] || !chars_ok(e->name, strlen(e->name)))
		return false;
	if (e->text && !chars_ok(e->text, e->text_len))
		return false;
	for (size_t i = 0; i < e->nattrs; i++) {
		const struct xmpp_attr *a = &e->attrs[i];

		if (!a->name[0] || !chars_ok(a->value, strlen(a->value)))
			return false;
	}
	for (size_t i = 0; i < e->nchildren; i++)
		if (!elem_ok(e->children[i], depth + 1))
			return false;
	return true;
}

static void elem_write(const struct xmpp_elem *e, const char *parent_ns, struct strbuf *sb)
{
	unsigned nprefix = 0;

	sb_putc(sb, '<');
	sb_puts(sb, e->name);
	if (e->ns && !ns_eq(e->ns, parent_ns)) {
		sb_puts(sb, " xmlns='");
		put_escaped(sb, e->ns, strlen(e->ns), true);
		sb_putc(sb, '\'');
	}
	for (size_t i = 0; i < e->nattrs; i++) {
		const struct xmpp_attr *a = &e->attrs[i];

		sb_putc(sb, ' ');
		if (a->ns && strcmp(a->ns, XMPP_NS_XML) == 0) {
			sb_puts(sb, "xml:");
		} else if (a->ns) {
			/* A qualified attribute of another namespace gets a
			 * prefix declared on this element. */
			sb_printf(sb, "xmlns:a%u='", nprefix);
			put_escaped(sb, a->ns, strlen(a->ns), true);
			sb_printf(sb, "' a%u:", nprefix++);
		}
		sb_puts(sb, a->name);
		sb_puts(sb, "='");
		put_escaped(sb, a->value, strlen(a->value), true);
		sb_putc(sb, '\'');
	}
	if (e->nchildren == 0 && e->text_len == 0) {
		sb_puts(sb, "/>");
		return;
	}
	sb_putc(sb, '>');
	if (e->text_len)
		put_escaped(sb, e->text, e->text_len, false);
	for (size_t i = 0; i < e->nchildren; i++)
		elem_write(e->children[i], e->ns ? e->ns : parent_ns, sb);
	sb_puts(sb, "</");
	sb_puts(sb, e->name);
	sb_putc(sb, '>');
}

int xmpp_elem_write(const struct xmpp_elem *e, const char *parent_ns, struct strbuf *sb)
{
	if (!elem_ok(e, 0))
		return -EINVAL;
	elem_write(e, parent_ns, sb);
	return 0;
}

static void put_attr(struct strbuf *sb, const char *name, const char *value)
{
	if (!value)
		return;
	sb_printf(sb, " %s='", name);
	put_escaped(sb, value, strlen(value), true);
	sb_putc(sb, '\'');
}

void xmpp_stream_header_write(struct strbuf *sb, bool decl, const char *content_ns,
			      const char *from, const char *to, const char *id, const char *lang)
{
	if (decl)
		sb_puts(sb, "<?xml version='1.0'?>");
	sb_puts(sb, "<stream:stream");
	put_attr(sb, "xmlns", content_ns);
	put_attr(sb, "xmlns:stream", XMPP_NS_STREAMS);
	put_attr(sb, "from", from);
	put_attr(sb, "to", to);
	put_attr(sb, "id", id);
	put_attr(sb, "version", "1.0");
	put_attr(sb, "xml:lang", lang);
	sb_putc(sb, '>');
}

void xmpp_stream_error_write(struct strbuf *sb, enum xmpp_stream_err cond, const char *text)
{
	const char *name = xmpp_stream_err_name(cond);

	sb_printf(sb, "<stream:error><%s xmlns='" XMPP_NS_STREAM_ERRORS "'/>",
		  name ? name : "undefined-condition");
	if (text) {
		sb_puts(sb, "<text xmlns='" XMPP_NS_STREAM_ERRORS "'>");
		put_escaped(sb, text, strlen(text), false);
		sb_puts(sb, "</text>");
	}
	sb_puts(sb, "</stream:error></stream:stream>");
}

/* --- the parser --------------------------------------------------------- */

enum stream_state { ST_OPEN, ST_CLOSED, ST_FAILED };

struct xmpp_stream {
	XML_Parser p;
	const struct xmpp_stream_ops *ops;
	void *arg;
	char *content_ns;
	size_t stanza_max;
	unsigned depth_max;
	enum stream_state state;

	unsigned depth;		   /* 0 before the header, 1 in the stream */
	struct xmpp_elem **stack; /* stack[0] is the stanza being built */
	char *hdr_ns;		   /* default namespace declared on the header */

	/* Byte positions since the last reset (expat's index base). */
	unsigned long long fed;	 /* bytes given to expat */
	unsigned long long mark; /* start of the stanza, or end of the last event */
	unsigned long long stop_at;

	bool stop;     /* XML_StopParser called: ignore further handlers */
	bool restart;  /* a callback asked for a restart */
	bool closed;   /* the stream's end tag was seen */
	bool taken;    /* the stanza callback took the stanza */
	bool in_cb;
	enum xmpp_stream_err err;
	char errtext[160];
};

static void set_handlers(struct xmpp_stream *s);

/* Splits an expat name "URI\x1flocal" into a copy of the URI (*ns, NULL
 * when the name has none; the caller frees it) and the local name (a
 * pointer into name). Expat's strings are never written: it reuses them
 * for the end tags. */
static const char *split_name(const char *name, char **ns)
{
	const char *sep = strrchr(name, NS_SEP);

	if (!sep) {
		*ns = NULL;
		return name;
	}
	*ns = xstrndup(name, (size_t)(sep - name));
	return sep + 1;
}

static unsigned long long event_end(struct xmpp_stream *s)
{
	return (unsigned long long)XML_GetCurrentByteIndex(s->p) +
	       (unsigned long long)XML_GetCurrentByteCount(s->p);
}

static void stop_parser(struct xmpp_stream *s)
{
	if (!s->stop) {
		s->stop = true;
		s->stop_at = event_end(s);
		XML_StopParser(s->p, XML_FALSE);
	}
}

static void fail(struct xmpp_stream *s, enum xmpp_stream_err cond, const char *text)
{
	if (s->err != XMPP_SERR_NONE)
		return;
	s->err = cond;
	snprintf(s->errtext, sizeof(s->errtext), "%s", text);
	if (s->in_cb)
		return; /* feed stops the parser after the callback */
	stop_parser(s);
}

static void drop_stanza(struct xmpp_stream *s)
{
	if (s->depth >= 2)
		xmpp_elem_free(s->stack[0]);
	s->depth = s->depth ? 1 : 0;
}

/* Checks what the stanza in progress has consumed so far. */
static bool over_cap(struct xmpp_stream *s)
{
	if (event_end(s) - s->mark > s->stanza_max) {
		fail(s, XMPP_SERR_POLICY_VIOLATION, "stanza too large");
		return true;
	}
	return false;
}

static void after_cb(struct xmpp_stream *s)
{
	s->in_cb = false;
	if (s->err != XMPP_SERR_NONE || s->restart || s->closed)
		stop_parser(s);
}

static void on_ns_decl(void *ud, const XML_Char *prefix, const XML_Char *uri)
{
	struct xmpp_stream *s = ud;

	/* Only the header's default namespace matters: it names the
	 * content namespace (RFC 6120 section 4.8.2). */
	if (s->stop || s->depth != 0 || prefix)
		return;
	free(s->hdr_ns);
	s->hdr_ns = uri ? xstrdup(uri) : NULL;
}

static void on_header(struct xmpp_stream *s, const char *name, const XML_Char **atts)
{
	struct xmpp_stream_header h = { 0 };
	char *ns;
	const char *local = split_name(name, &ns);
	bool ns_ok = ns && strcmp(ns, XMPP_NS_STREAMS) == 0;

	free(ns);
	/* RFC 6120 section 4.8.1: the stream namespace is fixed. */
	if (!ns_ok) {
		fail(s, XMPP_SERR_INVALID_NAMESPACE, "the stream element is not in the streams namespace");
		return;
	}
	if (strcmp(local, "stream") != 0) {
		fail(s, XMPP_SERR_BAD_FORMAT, "the root element is not a stream");
		return;
	}
	if (s->content_ns && (!s->hdr_ns || strcmp(s->hdr_ns, s->content_ns) != 0)) {
		fail(s, XMPP_SERR_INVALID_NAMESPACE, "wrong content namespace");
		return;
	}
	for (size_t i = 0; atts[i]; i += 2) {
		char *ans;
		const char *aname = split_name(atts[i], &ans);
		bool xml = ans && strcmp(ans, XMPP_NS_XML) == 0, qualified = ans != NULL;

		free(ans);
		if (xml && strcmp(aname, "lang") == 0)
			h.lang = atts[i + 1];
		else if (qualified)
			continue;
		else if (strcmp(aname, "to") == 0)
			h.to = atts[i + 1];
		else if (strcmp(aname, "from") == 0)
			h.from = atts[i + 1];
		else if (strcmp(aname, "version") == 0)
			h.version = atts[i + 1];
		else if (strcmp(aname, "id") == 0)
			h.id = atts[i + 1];
	}
	/* Section 4.7.5: major.minor as non-negative integers; we speak 1.x
	 * (a missing version means pre-1.0, the consumer decides). */
	if (h.version) {
		const char *v = h.version;
		size_t maj = strspn(v, "0123456789");

		if (maj == 0 || v[maj] != '.' || strspn(v + maj + 1, "0123456789") == 0 ||
		    v[maj + 1 + strspn(v + maj + 1, "0123456789")] != '\0') {
			fail(s, XMPP_SERR_UNSUPPORTED_VERSION, "malformed version");
			return;
		}
		while (maj > 1 && *v == '0') {
			v++;
			maj--;
		}
		if (maj != 1 || *v != '1') {
			fail(s, XMPP_SERR_UNSUPPORTED_VERSION, "only version 1.x is supported");
			return;
		}
	}
	h.ns = s->hdr_ns;
	s->depth = 1;
	s->mark = event_end(s);
	if (s->ops->open) {
		s->in_cb = true;
		s->ops->open(s->arg, &h);
		after_cb(s);
	}
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xmpp_stream *s = ud;
	struct xmpp_elem *e;
	char *ns;
	const char *local;

	if (s->stop)
		return;
	if (s->depth == 0) {
		on_header(s, name, atts);
		return;
	}
	if (s->depth == 1)
		s->mark = (unsigned long long)XML_GetCurrentByteIndex(s->p);
	if (over_cap(s))
		return;
	if (s->depth - 1 >= s->depth_max) {
		fail(s, XMPP_SERR_POLICY_VIOLATION, "stanza nested too deep");
		return;
	}
	local = split_name(name, &ns);
	e = xmpp_elem_new(local, ns);
	free(ns);
	for (size_t i = 0; atts[i]; i += 2) {
		char *ans;
		const char *aname = split_name(atts[i], &ans);

		/* Expat refuses duplicate attributes: no lookup needed. */
		attr_append(e, aname, ans, atts[i + 1]);
		free(ans);
	}
	if (s->depth == 1)
		s->stack[0] = e;
	else
		xmpp_elem_add_child(s->stack[s->depth - 2], e);
	s->stack[s->depth - 1] = e;
	s->depth++;
}

static void on_end(void *ud, const XML_Char *name)
{
	struct xmpp_stream *s = ud;
	struct xmpp_elem *stanza;

	(void)name;
	if (s->stop)
		return;
	if (s->depth == 1) {
		s->depth = 0;
		s->closed = true;
		s->in_cb = true;
		if (s->ops->close)
			s->ops->close(s->arg);
		after_cb(s);
		return;
	}
	if (over_cap(s))
		return;
	s->depth--;
	if (s->depth > 1)
		return;
	stanza = s->stack[0];
	s->mark = event_end(s);
	s->taken = false;
	s->in_cb = true;
	if (s->ops->stanza)
		s->ops->stanza(s->arg, stanza);
	if (!s->taken)
		xmpp_elem_free(stanza);
	s->stack[0] = NULL;
	after_cb(s);
}

static void on_text(void *ud, const XML_Char *text, int len)
{
	struct xmpp_stream *s = ud;

	if (s->stop)
		return;
	if (s->depth == 1) {
		/* Between stanzas only white space (keepalives, 4.6.1). */
		for (int i = 0; i < len; i++) {
			if (!strchr(" \t\r\n", text[i]) || !text[i]) {
				fail(s, XMPP_SERR_BAD_FORMAT, "text between stanzas");
				return;
			}
		}
		s->mark = event_end(s);
		return;
	}
	if (s->depth < 2 || over_cap(s))
		return;
	xmpp_elem_add_text(s->stack[s->depth - 2], text, (size_t)len);
}

/* RFC 6120 section 11.1: restricted XML. */
static void on_comment(void *ud, const XML_Char *data)
{
	(void)data;
	fail(ud, XMPP_SERR_RESTRICTED_XML, "comments are not allowed");
}

static void on_pi(void *ud, const XML_Char *target, const XML_Char *data)
{
	(void)target;
	(void)data;
	fail(ud, XMPP_SERR_RESTRICTED_XML, "processing instructions are not allowed");
}

static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
		       const XML_Char *pubid, int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	fail(ud, XMPP_SERR_RESTRICTED_XML, "DTDs are not allowed");
}

static void on_entity_decl(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
			   int value_len, const XML_Char *base, const XML_Char *sysid,
			   const XML_Char *pubid, const XML_Char *notation)
{
	(void)name;
	(void)is_param;
	(void)value;
	(void)value_len;
	(void)base;
	(void)sysid;
	(void)pubid;
	(void)notation;
	fail(ud, XMPP_SERR_RESTRICTED_XML, "entity declarations are not allowed");
}

static void on_skipped_entity(void *ud, const XML_Char *name, int is_param)
{
	(void)name;
	(void)is_param;
	fail(ud, XMPP_SERR_RESTRICTED_XML, "entity references are not allowed");
}

static void on_xml_decl(void *ud, const XML_Char *version, const XML_Char *encoding,
			int standalone)
{
	(void)version;
	(void)standalone;
	/* Section 11.6: UTF-8 only (the parser is forced to UTF-8, so a
	 * declaration naming another encoding would be silently wrong). */
	if (encoding && strcasecmp(encoding, "UTF-8") != 0)
		fail(ud, XMPP_SERR_UNSUPPORTED_ENCODING, "only UTF-8 is supported");
}

static void set_handlers(struct xmpp_stream *s)
{
	XML_SetUserData(s->p, s);
	XML_SetElementHandler(s->p, on_start, on_end);
	XML_SetCharacterDataHandler(s->p, on_text);
	XML_SetStartNamespaceDeclHandler(s->p, on_ns_decl);
	XML_SetCommentHandler(s->p, on_comment);
	XML_SetProcessingInstructionHandler(s->p, on_pi);
	XML_SetStartDoctypeDeclHandler(s->p, on_doctype);
	XML_SetEntityDeclHandler(s->p, on_entity_decl);
	XML_SetSkippedEntityHandler(s->p, on_skipped_entity);
	XML_SetXmlDeclHandler(s->p, on_xml_decl);
	XML_SetParamEntityParsing(s->p, XML_PARAM_ENTITY_PARSING_NEVER);
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 6)
	/* Expat 2.6 may hold back a token until more data arrives; a
	 * stream must see each stanza as soon as its last byte is in. */
	XML_SetReparseDeferralEnabled(s->p, XML_FALSE);
#endif
}

static void reset(struct xmpp_stream *s)
{
	drop_stanza(s);
	XML_ParserReset(s->p, "UTF-8");
	set_handlers(s);
	free(s->hdr_ns);
	s->hdr_ns = NULL;
	s->depth = 0;
	s->fed = s->mark = s->stop_at = 0;
	s->stop = s->restart = s->closed = false;
}

struct xmpp_stream *xmpp_stream_new(const char *content_ns, size_t stanza_max, unsigned depth_max,
				    const struct xmpp_stream_ops *ops, void *arg)
{
	struct xmpp_stream *s = xcalloc(1, sizeof(*s));

	s->p = XML_ParserCreateNS("UTF-8", NS_SEP);
	if (!s->p)
		abort(); /* out of memory, like xmalloc */
	s->ops = ops;
	s->arg = arg;
	s->content_ns = content_ns ? xstrdup(content_ns) : NULL;
	s->stanza_max = stanza_max ? stanza_max : XMPP_STANZA_MAX_DEFAULT;
	s->depth_max = depth_max ? depth_max : XMPP_DEPTH_MAX_DEFAULT;
	s->stack = xcalloc(s->depth_max, sizeof(*s->stack));
	set_handlers(s);
	return s;
}

void xmpp_stream_free(struct xmpp_stream *s)
{
	if (!s)
		return;
	drop_stanza(s);
	XML_ParserFree(s->p);
	free(s->hdr_ns);
	free(s->content_ns);
	free(s->stack);
	free(s);
}

void xmpp_stream_set_stanza_max(struct xmpp_stream *s, size_t stanza_max)
{
	s->stanza_max = stanza_max ? stanza_max : XMPP_STANZA_MAX_DEFAULT;
}

void xmpp_stream_restart(struct xmpp_stream *s)
{
	if (s->in_cb)
		s->restart = true;
	else if (s->state == ST_OPEN)
		reset(s);
}

struct xmpp_elem *xmpp_stream_take_stanza(struct xmpp_stream *s)
{
	if (!s->in_cb || s->depth != 1 || !s->stack[0] || s->taken)
		return NULL;
	s->taken = true;
	return s->stack[0];
}

void xmpp_stream_fail(struct xmpp_stream *s, enum xmpp_stream_err cond, const char *text)
{
	if (cond <= XMPP_SERR_NONE || cond >= XMPP_SERR_COUNT_)
		cond = XMPP_SERR_UNDEFINED_CONDITION;
	fail(s, cond, text ? text : "");
}

static enum xmpp_stream_err map_expat(enum XML_Error e)
{
	switch (e) {
	case XML_ERROR_UNBOUND_PREFIX:
	case XML_ERROR_UNDECLARING_PREFIX:
	case XML_ERROR_RESERVED_PREFIX_XML:
	case XML_ERROR_RESERVED_PREFIX_XMLNS:
	case XML_ERROR_RESERVED_NAMESPACE_URI:
		return XMPP_SERR_BAD_NAMESPACE_PREFIX;
	case XML_ERROR_UNDEFINED_ENTITY:
	case XML_ERROR_RECURSIVE_ENTITY_REF:
	case XML_ERROR_EXTERNAL_ENTITY_HANDLING:
	case XML_ERROR_ENTITY_DECLARED_IN_PE:
	case XML_ERROR_NOT_STANDALONE:
		return XMPP_SERR_RESTRICTED_XML;
	case XML_ERROR_UNKNOWN_ENCODING:
	case XML_ERROR_INCORRECT_ENCODING:
		return XMPP_SERR_UNSUPPORTED_ENCODING;
	case XML_ERROR_NO_MEMORY:
		return XMPP_SERR_RESOURCE_CONSTRAINT;
	default:
		return XMPP_SERR_NOT_WELL_FORMED;
	}
}

static long failed(struct xmpp_stream *s)
{
	s->state = ST_FAILED;
	drop_stanza(s);
	if (s->ops->error)
		s->ops->error(s->arg, s->err, s->errtext);
	return -EPROTO;
}

long xmpp_stream_feed(struct xmpp_stream *s, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	if (s->state == ST_FAILED)
		return -EPROTO;
	if (s->state == ST_CLOSED)
		return -EPIPE;
	while (off < len) {
		size_t n = len - off < XMPP_FEED_CHUNK ? len - off : XMPP_FEED_CHUNK;
		size_t room = s->stanza_max + 1 - (size_t)(s->fed - s->mark);
		enum XML_Status st;

		/* Never more than one byte past the cap in expat's hands:
		 * then the verdict on an oversized stanza (policy-violation,
		 * or what expat finds in its first max + 1 bytes) does not
		 * depend on how the bytes were split. */
		if (n > room)
			n = room;
		st = XML_Parse(s->p, (const char *)buf + off, (int)n, XML_FALSE);

		if (s->err != XMPP_SERR_NONE)
			return failed(s);
		if (st == XML_STATUS_OK) {
			s->fed += n;
			off += n;
			/* Expat keeps an unfinished token: cap what it holds. */
			if (s->fed - s->mark > s->stanza_max) {
				fail(s, XMPP_SERR_POLICY_VIOLATION, "stanza too large");
				return failed(s);
			}
			continue;
		}
		if (!s->stop) {
			enum XML_Error e = XML_GetErrorCode(s->p);

			fail(s, map_expat(e), XML_ErrorString(e));
			return failed(s);
		}
		/* Stopped by us after a stanza (restart) or the stream end. */
		off += (size_t)(s->stop_at - s->fed);
		if (s->closed) {
			s->state = ST_CLOSED;
			return (long)off;
		}
		reset(s);
		return (long)off;
	}
	return (long)off;
}
