// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The call bridge's answers to the XMPP server's stanzas (see
 * cb_xmpp_resp.h): login checks of the private cb-auth namespace and the
 * coSpace list of disco#items.
 */
#include "config.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "services/callbridge/cb_xmpp_comp.h"
#include "services/callbridge/cb_xmpp_resp.h"
#include "services/xmpp/xmpp_jid.h"
#include "services/xmpp/xmpp_stream.h"

/* --- parsing one stanza ---------------------------------------------------- */

struct one {
	struct xmpp_stream *s;
	struct xmpp_elem *stanza;
	int n;
};

static void one_stanza(void *arg, struct xmpp_elem *e)
{
	struct one *o = arg;

	(void)e;
	o->n++;
	if (!o->stanza)
		o->stanza = xmpp_stream_take_stanza(o->s);
}

static void one_error(void *arg, enum xmpp_stream_err cond, const char *text)
{
	(void)arg;
	(void)cond;
	(void)text;
}

static const struct xmpp_stream_ops one_ops = {
    .stanza = one_stanza,
    .error = one_error,
};

/* The stanza's tree, or NULL when xml is not exactly one element. The
 * header gives the stanza the component stream's default namespace, as
 * the real stream did. */
static struct xmpp_elem *parse_stanza(const char *xml, size_t len)
{
	static const char hdr[] =
	    "<stream:stream xmlns='" XMPP_NS_COMPONENT "' xmlns:stream='" XMPP_NS_STREAMS "'>";
	struct one o = {0};
	long r;

	o.s = xmpp_stream_new(XMPP_NS_COMPONENT, CB_XMPP_ELEMENT_MAX, CB_XMPP_DEPTH_MAX, &one_ops,
			      &o);
	r = xmpp_stream_feed(o.s, (const uint8_t *)hdr, sizeof(hdr) - 1);
	if (r == (long)sizeof(hdr) - 1)
		r = xmpp_stream_feed(o.s, (const uint8_t *)xml, len);
	xmpp_stream_free(o.s);
	if (r != (long)len || o.n != 1) {
		xmpp_elem_free(o.stanza);
		return NULL;
	}
	return o.stanza;
}

/* --- answers --------------------------------------------------------------- */

/* <iq type=T id=ID from=OURS to=THEIRS/>, the addresses swapped from the
 * request (RFC 6120 8.2.3: a response goes back to the sender). */
static struct xmpp_elem *reply(const struct xmpp_elem *iq, const char *type)
{
	struct xmpp_elem *e = xmpp_elem_new("iq", XMPP_NS_COMPONENT);
	const char *id = xmpp_elem_attr(iq, "id", NULL);
	const char *from = xmpp_elem_attr(iq, "from", NULL);
	const char *to = xmpp_elem_attr(iq, "to", NULL);

	xmpp_elem_set_attr(e, "type", NULL, type);
	if (id)
		xmpp_elem_set_attr(e, "id", NULL, id);
	if (to)
		xmpp_elem_set_attr(e, "from", NULL, to);
	if (from)
		xmpp_elem_set_attr(e, "to", NULL, from);
	return e;
}

/* RFC 6120 8.3: <error type=T><COND xmlns=stanzas/></error>. */
static struct xmpp_elem *error_reply(const struct xmpp_elem *iq, const char *type, const char *cond)
{
	struct xmpp_elem *e = reply(iq, "error");
	struct xmpp_elem *err = xmpp_elem_add_child(e, xmpp_elem_new("error", XMPP_NS_COMPONENT));

	xmpp_elem_set_attr(err, "type", NULL, type);
	xmpp_elem_add_child(err, xmpp_elem_new(cond, CB_XMPP_NS_STANZAS));
	return e;
}

/* The bare form of a JID attribute, or NULL when it is not a JID. */
static char *bare_of(const char *s)
{
	struct xmpp_jid j;
	char *b;

	if (!s || xmpp_jid_parse(s, strlen(s), &j) < 0)
		return NULL;
	b = xmpp_jid_bare(&j);
	xmpp_jid_free(&j);
	return b;
}

/* True when the IQ comes from the server's domain itself (no localpart,
 * no resource). */
static bool from_server(const struct cb_xmpp_resp *r, const struct xmpp_elem *iq)
{
	const char *from = xmpp_elem_attr(iq, "from", NULL);
	struct xmpp_jid j, d;
	bool ok = false;

	if (!from || xmpp_jid_parse(from, strlen(from), &j) < 0)
		return false;
	if (xmpp_jid_parse(r->domain, strlen(r->domain), &d) == 0) {
		ok = !j.local && !j.resource && xmpp_jid_equal(&j, &d, false);
		xmpp_jid_free(&d);
	}
	xmpp_jid_free(&j);
	return ok;
}

static struct xmpp_elem *on_verify(const struct cb_xmpp_resp *r, const struct xmpp_elem *iq,
				   const struct xmpp_elem *q)
{
	const char *jid = xmpp_elem_attr(q, "jid", NULL);
	char *bare = bare_of(jid);
	struct xmpp_elem *ans;
	size_t n = q->text_len, plen = 0;
	char *pw = NULL;
	int v = -EACCES;

	/* RFC 6120 8.3.3.16: a malformed request is bad-request. */
	if (!bare || n == 0 || n > CB_XMPP_VERIFY_B64_MAX) {
		ans = error_reply(iq, "modify", "bad-request");
		goto out;
	}
	pw = xmalloc(n / 4 * 3 + 1);
	if (cv_base64_decode(q->text, n, pw, &plen) < 0 || memchr(pw, '\0', plen)) {
		ans = error_reply(iq, "modify", "bad-request");
		goto out;
	}
	pw[plen] = '\0';
	v = r->ops->verify(r->arg, bare, pw);
	if (v == 0)
		ans = reply(iq, "result");
	else if (v == -EACCES || v == -ENOENT)
		/* The same answer whether the user exists or not. */
		ans = error_reply(iq, "auth", "not-authorized");
	else
		ans = error_reply(iq, "wait", "internal-server-error");
out:
	if (pw) {
		gnutls_memset(pw, 0, n / 4 * 3 + 1);
		free(pw);
	}
	free(bare);
	return ans;
}

int cb_xmpp_scram_parse(const char *s, enum xmpp_sasl_mech m, struct xmpp_scram_creds *ret)
{
	size_t hl = m == XMPP_SASL_SCRAM_SHA_256 ? 32 : m == XMPP_SASL_SCRAM_SHA_1 ? 20 : 0;
	const char *p[4];
	size_t l[4];
	uint8_t buf[3][96];
	size_t got[3];
	unsigned long it;
	char num[16];

	if (!s || !hl)
		return -EINVAL;
	p[0] = s;
	for (int i = 0; i < 4; i++) {
		const char *c = strchr(p[i], ',');

		if ((i < 3) != (c != NULL))
			return -EINVAL;
		l[i] = c ? (size_t)(c - p[i]) : strlen(p[i]);
		if (i < 3)
			p[i + 1] = c + 1;
	}
	if (l[0] == 0 || l[0] >= sizeof(num))
		return -EINVAL;
	memcpy(num, p[0], l[0]);
	num[l[0]] = '\0';
	if (cv_parse_ulong(num, XMPP_SCRAM_ITER_MIN, XMPP_SCRAM_ITER_MAX, &it) < 0)
		return -EINVAL;
	for (int i = 0; i < 3; i++)
		if (l[i + 1] == 0 || l[i + 1] / 4 * 3 > sizeof(buf[i]) ||
		    cv_base64_decode(p[i + 1], l[i + 1], buf[i], &got[i]) < 0)
			return -EINVAL;
	if (got[0] == 0 || got[0] > XMPP_SCRAM_SALT_MAX || got[1] != hl || got[2] != hl)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->salt, buf[0], got[0]);
	ret->salt_len = got[0];
	ret->iterations = (unsigned)it;
	memcpy(ret->stored_key, buf[1], hl);
	memcpy(ret->server_key, buf[2], hl);
	return 0;
}

static struct xmpp_elem *on_scram(const struct cb_xmpp_resp *r, const struct xmpp_elem *iq,
				  const struct xmpp_elem *q)
{
	const char *mech = xmpp_elem_attr(q, "mechanism", NULL);
	char *bare = bare_of(xmpp_elem_attr(q, "jid", NULL));
	enum xmpp_sasl_mech m;
	struct xmpp_scram_creds c;
	struct xmpp_elem *ans, *sc;
	char *stored = NULL;
	size_t hl;
	char b[CV_BASE64_LEN(XMPP_SCRAM_SALT_MAX) + 1], num[16];
	int v;

	if (!bare || !mech || xmpp_sasl_mech_parse(mech, &m) < 0 || m == XMPP_SASL_PLAIN) {
		ans = error_reply(iq, "modify", "bad-request");
		goto out;
	}
	v = r->ops->scram(r->arg, bare, m, &stored);
	if (v == -ENOENT) {
		ans = error_reply(iq, "cancel", "item-not-found");
		goto out;
	}
	if (v < 0 || cb_xmpp_scram_parse(stored, m, &c) < 0) {
		ans = error_reply(iq, "wait", "internal-server-error");
		goto out;
	}
	hl = m == XMPP_SASL_SCRAM_SHA_256 ? 32 : 20;
	ans = reply(iq, "result");
	sc = xmpp_elem_add_child(ans, xmpp_elem_new("scram", CB_XMPP_NS_AUTH));
	xmpp_elem_set_attr(sc, "mechanism", NULL, xmpp_sasl_mech_name(m));
	cv_base64_encode(c.salt, c.salt_len, b);
	xmpp_elem_set_attr(sc, "salt", NULL, b);
	snprintf(num, sizeof(num), "%u", c.iterations);
	xmpp_elem_set_attr(sc, "iterations", NULL, num);
	cv_base64_encode(c.stored_key, hl, b);
	xmpp_elem_set_attr(sc, "stored-key", NULL, b);
	cv_base64_encode(c.server_key, hl, b);
	xmpp_elem_set_attr(sc, "server-key", NULL, b);
	gnutls_memset(&c, 0, sizeof(c));
out:
	free(stored);
	free(bare);
	return ans;
}

struct items_ctx {
	struct xmpp_elem *query;
	const char *component;
};

static void add_item(void *ctx, const char *id, const char *name)
{
	struct items_ctx *ic = ctx;
	struct xmpp_elem *it =
	    xmpp_elem_add_child(ic->query, xmpp_elem_new("item", CB_XMPP_NS_DISCO_ITEMS));
	char *jid = xasprintf("%s@%s", id, ic->component);

	xmpp_elem_set_attr(it, "jid", NULL, jid);
	if (name && *name)
		xmpp_elem_set_attr(it, "name", NULL, name);
	free(jid);
}

static struct xmpp_elem *on_items(const struct cb_xmpp_resp *r, const struct xmpp_elem *iq,
				  const struct xmpp_elem *q)
{
	char *bare = bare_of(xmpp_elem_attr(iq, "from", NULL));
	struct items_ctx ic;
	struct xmpp_elem *ans;

	/* Items of a node are not offered: only the component's list. */
	if (!bare || xmpp_elem_attr(q, "node", NULL)) {
		free(bare);
		return error_reply(iq, "cancel", "item-not-found");
	}
	ans = reply(iq, "result");
	ic.query = xmpp_elem_add_child(ans, xmpp_elem_new("query", CB_XMPP_NS_DISCO_ITEMS));
	ic.component = r->component;
	if (r->ops->spaces(r->arg, bare, add_item, &ic) < 0) {
		xmpp_elem_free(ans);
		ans = error_reply(iq, "wait", "internal-server-error");
	}
	free(bare);
	return ans;
}

/* True when the stanza is addressed to the component itself (a bare
 * domain JID equal to ours). */
static bool to_us(const struct cb_xmpp_resp *r, const struct xmpp_elem *iq)
{
	const char *to = xmpp_elem_attr(iq, "to", NULL);
	struct xmpp_jid j, c;
	bool ok = false;

	if (!to || xmpp_jid_parse(to, strlen(to), &j) < 0)
		return false;
	if (xmpp_jid_parse(r->component, strlen(r->component), &c) == 0) {
		ok = !j.local && !j.resource && xmpp_jid_equal(&j, &c, false);
		xmpp_jid_free(&c);
	}
	xmpp_jid_free(&j);
	return ok;
}

int cb_xmpp_resp_handle(const struct cb_xmpp_resp *r, const char *xml, size_t len,
			struct strbuf *out)
{
	struct xmpp_elem *st = parse_stanza(xml, len), *ans = NULL, *q;
	const char *type;
	int ret = 0;

	if (!st)
		return -EBADMSG;
	/* Stanzas arrive in the component namespace; prosody also passes
	 * jabber:client through (spec/xmpp.md 1.3). xmlns='' leaves a stanza
	 * in no namespace at all: not ours to answer. */
	if (strcmp(st->name, "iq") != 0 || !st->ns ||
	    (strcmp(st->ns, XMPP_NS_COMPONENT) != 0 && strcmp(st->ns, XMPP_NS_CLIENT) != 0))
		goto out; /* messages and presence: nothing to say */
	type = xmpp_elem_attr(st, "type", NULL);
	if (!type || (strcmp(type, "get") != 0 && strcmp(type, "set") != 0))
		goto out; /* never answer a result or an error (RFC 6120 8.2.3) */
	/* RFC 6120 8.2.3: an IQ request has exactly one child. */
	q = st->nchildren == 1 ? st->children[0] : NULL;
	if (!q) {
		ans = error_reply(st, "modify", "bad-request");
	} else if (strcmp(type, "get") == 0 && q->ns && strcmp(q->ns, CB_XMPP_NS_AUTH) == 0 &&
		   (strcmp(q->name, "verify") == 0 || strcmp(q->name, "scram") == 0)) {
		if (!from_server(r, st))
			ans = error_reply(st, "auth", "forbidden");
		else if (strcmp(q->name, "verify") == 0)
			ans = on_verify(r, st, q);
		else
			ans = on_scram(r, st, q);
	} else if (strcmp(type, "get") == 0 && q->ns &&
		   strcmp(q->ns, CB_XMPP_NS_DISCO_ITEMS) == 0 && strcmp(q->name, "query") == 0 &&
		   to_us(r, st)) {
		ans = on_items(r, st, q);
	} else {
		ans = error_reply(st, "cancel", "service-unavailable");
	}
	if (ans && xmpp_elem_write(ans, XMPP_NS_COMPONENT, out) < 0)
		ret = -EBADMSG;
out:
	xmpp_elem_free(ans);
	xmpp_elem_free(st);
	return ret;
}
