/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The XMPP stream parser (RFC 6120 section 4), free of I/O: bytes in,
 * events out. One libexpat parser per stream in namespace mode; the stream
 * header becomes an open event, each complete top-level stanza (depth 2) a
 * small element tree, the end of the stream a close event, and anything
 * the RFC forbids a stream error condition to send (section 4.9.3):
 * restricted XML (section 11.1: DTDs, entity declarations and references
 * other than the five predefined ones, comments, processing instructions),
 * stanzas over the byte or depth cap (policy-violation), a wrong stream
 * namespace, a wrong content namespace, a version other than 1.x.
 *
 * Stream restarts (after STARTTLS and after SASL success, sections 5.4.3.3
 * and 6.4.6) reset the parser: the consumer calls xmpp_stream_restart()
 * from its stanza callback, xmpp_stream_feed() stops right after that
 * stanza and returns the bytes it consumed; whether the rest of the buffer
 * is fed to the new stream (SASL) or thrown away (plaintext after
 * <starttls/>, which must never reach the TLS stream) is the caller's call.
 */
#ifndef XMPP_STREAM_H
#define XMPP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"

#define XMPP_NS_STREAMS "http://etherx.jabber.org/streams"
#define XMPP_NS_STREAM_ERRORS "urn:ietf:params:xml:ns:xmpp-streams"
#define XMPP_NS_CLIENT "jabber:client"
#define XMPP_NS_COMPONENT "jabber:component:accept"
#define XMPP_NS_XML "http://www.w3.org/XML/1998/namespace"

/* Defaults for the caps (the I/O layer may pass its own: prosody keeps
 * 10 000 bytes before authentication and 256 KiB after, spec/xmpp.md 2.1). */
#define XMPP_STANZA_MAX_DEFAULT (64u * 1024)
#define XMPP_DEPTH_MAX_DEFAULT 32u

/* RFC 6120 section 4.9.3: the stream error conditions, one table
 * (xmpp_stream_err_name) maps them to their element names. */
enum xmpp_stream_err {
	XMPP_SERR_NONE = 0,
	XMPP_SERR_BAD_FORMAT,
	XMPP_SERR_BAD_NAMESPACE_PREFIX,
	XMPP_SERR_CONFLICT,
	XMPP_SERR_CONNECTION_TIMEOUT,
	XMPP_SERR_HOST_GONE,
	XMPP_SERR_HOST_UNKNOWN,
	XMPP_SERR_IMPROPER_ADDRESSING,
	XMPP_SERR_INTERNAL_SERVER_ERROR,
	XMPP_SERR_INVALID_FROM,
	XMPP_SERR_INVALID_NAMESPACE,
	XMPP_SERR_INVALID_XML,
	XMPP_SERR_NOT_AUTHORIZED,
	XMPP_SERR_NOT_WELL_FORMED,
	XMPP_SERR_POLICY_VIOLATION,
	XMPP_SERR_REMOTE_CONNECTION_FAILED,
	XMPP_SERR_RESET,
	XMPP_SERR_RESOURCE_CONSTRAINT,
	XMPP_SERR_RESTRICTED_XML,
	XMPP_SERR_SEE_OTHER_HOST,
	XMPP_SERR_SYSTEM_SHUTDOWN,
	XMPP_SERR_UNDEFINED_CONDITION,
	XMPP_SERR_UNSUPPORTED_ENCODING,
	XMPP_SERR_UNSUPPORTED_FEATURE,
	XMPP_SERR_UNSUPPORTED_STANZA_TYPE,
	XMPP_SERR_UNSUPPORTED_VERSION,
	XMPP_SERR_COUNT_,
};

/* The element name of a condition ("restricted-xml"); NULL for NONE or
 * out of range. */
const char *xmpp_stream_err_name(enum xmpp_stream_err e);

/* An attribute: local name, namespace URI (NULL when unqualified, as most
 * are; XMPP_NS_XML for xml:lang) and value. */
struct xmpp_attr {
	char *name;
	char *ns;
	char *value;
};

/* An element: local name, namespace URI (NULL only for elements built
 * without one), attributes, child elements and the concatenation of the
 * character data directly inside it (XMPP has no mixed content that
 * matters: the relative order of text and children is not kept). Every
 * string is NUL-terminated UTF-8 that expat checked; text may hold NUL
 * only if built so (text_len is authoritative). The tree owns all of it. */
struct xmpp_elem {
	char *name;
	char *ns;
	struct xmpp_attr *attrs;
	size_t nattrs;
	struct xmpp_elem **children;
	size_t nchildren;
	char *text;
	size_t text_len;
};

/* Builders (xmalloc: they do not fail). ns may be NULL. */
struct xmpp_elem *xmpp_elem_new(const char *name, const char *ns);
void xmpp_elem_free(struct xmpp_elem *e);
/* Sets (or replaces) an attribute; ns may be NULL; value NULL removes it. */
void xmpp_elem_set_attr(struct xmpp_elem *e, const char *name, const char *ns, const char *value);
/* Takes child; returns it. */
struct xmpp_elem *xmpp_elem_add_child(struct xmpp_elem *e, struct xmpp_elem *child);
void xmpp_elem_add_text(struct xmpp_elem *e, const char *s, size_t n);

/* Lookups: borrowed pointers or NULL. ns NULL matches unqualified
 * attributes (attr) or any namespace (child). */
const char *xmpp_elem_attr(const struct xmpp_elem *e, const char *name, const char *ns);
struct xmpp_elem *xmpp_elem_child(const struct xmpp_elem *e, const char *name, const char *ns);

/* Appends e as XML to sb. parent_ns is the default namespace in scope
 * where e is written (e.g. "jabber:client" for a stanza inside a client
 * stream): xmlns is written only where the namespace changes. Text and
 * attribute values are escaped (& < > ' ", and \t \n \r as character
 * references in attributes, \r in text). -EINVAL, with sb as it was, if a
 * string holds a character XML 1.0 cannot carry (C0 controls but tab, LF
 * and CR) or a name is empty. */
int xmpp_elem_write(const struct xmpp_elem *e, const char *parent_ns, struct strbuf *sb);

/* The stream header as received: every field NULL when absent. ns is the
 * content namespace (the default namespace declared on the header). */
struct xmpp_stream_header {
	const char *to;
	const char *from;
	const char *version;
	const char *id;
	const char *lang;
	const char *ns;
};

/* Writes a stream header (after an XML declaration when decl): from, to,
 * id and lang are written when non-NULL, version is always '1.0'. Values
 * are escaped like attributes. */
void xmpp_stream_header_write(struct strbuf *sb, bool decl, const char *content_ns,
			      const char *from, const char *to, const char *id, const char *lang);
/* Writes <stream:error><COND/>[<text>]</stream:error></stream:stream>. */
void xmpp_stream_error_write(struct strbuf *sb, enum xmpp_stream_err cond, const char *text);

/* Events. All pointers are borrowed for the duration of the call: the
 * header's strings and the stanza tree are freed after it returns (a
 * consumer that keeps a stanza takes it with xmpp_stream_take_stanza()). */
struct xmpp_stream_ops {
	void (*open)(void *arg, const struct xmpp_stream_header *h);
	void (*stanza)(void *arg, struct xmpp_elem *stanza);
	void (*close)(void *arg);
	/* Once per stream; text is a short English explanation. After it
	 * the stream is dead: feed returns -EPROTO. */
	void (*error)(void *arg, enum xmpp_stream_err cond, const char *text);
};

struct xmpp_stream;

/* content_ns: the namespace the header must declare as default
 * (XMPP_NS_CLIENT, XMPP_NS_COMPONENT) or NULL for any. stanza_max and
 * depth_max: 0 for the defaults. ops is borrowed and must outlive s. */
struct xmpp_stream *xmpp_stream_new(const char *content_ns, size_t stanza_max, unsigned depth_max,
				    const struct xmpp_stream_ops *ops, void *arg);
void xmpp_stream_free(struct xmpp_stream *s);
/* Changes the stanza cap (e.g. larger after authentication). */
void xmpp_stream_set_stanza_max(struct xmpp_stream *s, size_t stanza_max);

/* Parses len bytes. Returns the number of bytes consumed: len, or less
 * when a callback asked for a restart (the parser is then fresh and
 * expects a new header) or the stream closed. -EPROTO once the stream had
 * an error (the error callback has been called), -EPIPE after close. */
long xmpp_stream_feed(struct xmpp_stream *s, const uint8_t *buf, size_t len);
/* From a callback: stop after the current stanza and start a new stream.
 * Outside a callback: reset at once. */
void xmpp_stream_restart(struct xmpp_stream *s);
/* From the stanza callback: take ownership of the stanza (the consumer
 * frees it with xmpp_elem_free). */
struct xmpp_elem *xmpp_stream_take_stanza(struct xmpp_stream *s);
/* From a callback: stop the stream with this error (e.g. a stanza the
 * consumer refuses: unsupported-stanza-type); the error callback is
 * called with it and feed returns -EPROTO. */
void xmpp_stream_fail(struct xmpp_stream *s, enum xmpp_stream_err cond, const char *text);

#endif
