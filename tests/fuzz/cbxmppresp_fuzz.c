// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the call bridge's answers to the XMPP server's
 * stanzas (services/callbridge/cb_xmpp_resp.h). The input is one stanza's
 * bytes as the link hands them over; a fake directory knows a@example.com
 * (password "pw", good SCRAM keys) and b@example.com (corrupt stored keys)
 * and lists two spaces with awkward names. Checked: the result is 0 or
 * -EBADMSG, nothing is written with -EBADMSG, and an answer is exactly
 * one well-formed <iq/> of the component namespace (parsed back with the
 * shared stream parser) of bounded size.
 * Also tests/fuzz/cbxmppresp_replay in `make check` over
 * tests/fuzz/corpus/cbxmppresp/.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "services/callbridge/cb_xmpp_resp.h"
#include "services/xmpp/xmpp_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int f_verify(void *arg, const char *jid, const char *password)
{
	(void)arg;
	if (strcmp(jid, "a@example.com") != 0)
		return -ENOENT;
	return strcmp(password, "pw") == 0 ? 0 : -EACCES;
}

static int f_scram(void *arg, const char *jid, enum xmpp_sasl_mech m, char **ret)
{
	(void)arg;
	(void)m;
	if (strcmp(jid, "a@example.com") == 0)
		*ret = xstrdup(m == XMPP_SASL_SCRAM_SHA_256
				       ? "4096,AAAAAAAAAAAAAAAAAAAAAA==,"
					 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,"
					 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
				       : "4096,AAAAAAAAAAAAAAAAAAAAAA==,AAAAAAAAAAAAAAAAAAAAAAAAAAA=,"
					 "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	else if (strcmp(jid, "b@example.com") == 0)
		*ret = xstrdup("12,,x,");
	else
		return -ENOENT;
	return 0;
}

static int f_spaces(void *arg, const char *jid,
		    void (*emit)(void *ctx, const char *id, const char *name), void *ctx)
{
	(void)arg;
	(void)jid;
	emit(ctx, "00000000-0000-4000-8000-000000000001", "<&'\">");
	emit(ctx, "00000000-0000-4000-8000-000000000002", NULL);
	return 0;
}

static const struct cb_xmpp_dir_ops ops = {
	.verify = f_verify,
	.scram = f_scram,
	.spaces = f_spaces,
};

struct count {
	int n;
	bool iq;
};

static void c_stanza(void *arg, struct xmpp_elem *e)
{
	struct count *c = arg;

	c->n++;
	c->iq = strcmp(e->name, "iq") == 0 && e->ns && strcmp(e->ns, XMPP_NS_COMPONENT) == 0;
}

static void c_error(void *arg, enum xmpp_stream_err cond, const char *text)
{
	(void)arg;
	(void)cond;
	(void)text;
	abort(); /* our own answer is not well-formed */
}

static const struct xmpp_stream_ops check_ops = {
	.stanza = c_stanza,
	.error = c_error,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char hdr[] = "<stream:stream xmlns='" XMPP_NS_COMPONENT
				  "' xmlns:stream='" XMPP_NS_STREAMS "'>";
	const struct cb_xmpp_resp r = {
		.component = "cb1.example.com",
		.domain = "example.com",
		.ops = &ops,
	};
	struct strbuf out = STRBUF_INIT;
	int ret;

	if (size > 65536)
		return 0; /* the link's scanner never hands over more */
	ret = cb_xmpp_resp_handle(&r, (const char *)data, size, &out);
	if (ret != 0 && ret != -EBADMSG)
		abort();
	if (ret < 0 && out.len)
		abort();
	if (out.len) {
		struct count c = { 0 };
		struct xmpp_stream *s = xmpp_stream_new(XMPP_NS_COMPONENT, 0, 0, &check_ops, &c);

		/* Every input byte can be echoed at most as an id, to or from. */
		if (out.len > 4 * size + 4096)
			abort();
		if (xmpp_stream_feed(s, (const uint8_t *)hdr, sizeof(hdr) - 1) !=
			    (long)sizeof(hdr) - 1 ||
		    xmpp_stream_feed(s, (const uint8_t *)out.buf, out.len) != (long)out.len ||
		    c.n != 1 || !c.iq)
			abort();
		xmpp_stream_free(s);
	}
	sb_free(&out);
	return 0;
}
