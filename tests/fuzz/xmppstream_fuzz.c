// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the XMPP stream parser (services/xmpp/xmpp_stream.h).
 * The first byte picks a split step: the rest is parsed whole, then again
 * in pieces of that many bytes (with what a restart leaves over fed to the
 * new stream, as the I/O layer does after SASL); both runs must give the
 * same events (see below for errors). Each stanza must serialize. Caps:
 * 2 KiB per stanza, depth 16, so that the limits are reached. Also tests/fuzz/xmppstream_replay in
 * `make check` over tests/fuzz/corpus/xmppstream/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"
#include "services/xmpp/xmpp_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	struct xmpp_stream *s;
	struct strbuf log;
};

static void ev_open(void *arg, const struct xmpp_stream_header *h)
{
	struct run *r = arg;

	sb_printf(&r->log, "open %s|%s|%s|%s|%s|%s\n", h->to ? h->to : "-", h->from ? h->from : "-",
		  h->version ? h->version : "-", h->id ? h->id : "-", h->lang ? h->lang : "-",
		  h->ns ? h->ns : "-");
}

static void ev_stanza(void *arg, struct xmpp_elem *e)
{
	struct run *r = arg;
	size_t start = r->log.len;

	if (xmpp_elem_write(e, NULL, &r->log) < 0)
		abort(); /* a parsed tree always serializes */
	if (r->log.len == start)
		abort();
	sb_putc(&r->log, '\n');
	/* "auth" and "starttls" restart the stream, like the server will. */
	if (strcmp(e->name, "auth") == 0 || strcmp(e->name, "starttls") == 0)
		xmpp_stream_restart(r->s);
}

static void ev_close(void *arg)
{
	sb_puts(&((struct run *)arg)->log, "close\n");
}

static void ev_error(void *arg, enum xmpp_stream_err cond, const char *text)
{
	if (!xmpp_stream_err_name(cond) || !text)
		abort();
	sb_printf(&((struct run *)arg)->log, "error %s\n", xmpp_stream_err_name(cond));
}

static const struct xmpp_stream_ops ops = { ev_open, ev_stanza, ev_close, ev_error };

static void run(struct run *r, const uint8_t *buf, size_t len, size_t step)
{
	size_t off = 0;

	sb_init(&r->log);
	r->s = xmpp_stream_new(XMPP_NS_CLIENT, 2048, 16, &ops, r);
	while (off < len) {
		size_t end = off + step < len ? off + step : len;

		while (off < end) {
			long n = xmpp_stream_feed(r->s, buf + off, end - off);

			if (n < 0) {
				off = len;
				break;
			}
			if (n == 0 || (size_t)n > end - off)
				abort();
			off += (size_t)n;
		}
	}
	xmpp_stream_free(r->s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run a, b;
	size_t step;

	if (size < 1)
		return 0;
	step = (size_t)data[0] + 1;
	run(&a, data + 1, size - 1, size);
	run(&b, data + 1, size - 1, step);
	/* Where the bytes are split must not matter: the same events up to
	 * the first error. Expat may see an error in a prefix fed in pieces
	 * where, fed at once, it still waits for more bytes (its encoding
	 * detection on the first bytes): one run may then have an error the
	 * other has not seen yet. And where the bytes hold two faults (text
	 * between stanzas, then "]]>" in it: the input kept as
	 * corpus/xmppstream/two-faults), which one is named first depends
	 * on how much expat was given at once; the stream ends either way,
	 * so the condition's name is not compared. */
	{
		const char *ea = strstr(sb_str(&a.log), "error "), *eb = strstr(sb_str(&b.log), "error ");
		size_t la = ea ? (size_t)(ea - a.log.buf) : a.log.len;
		size_t lb = eb ? (size_t)(eb - b.log.buf) : b.log.len;

		if (la != lb || memcmp(sb_str(&a.log), sb_str(&b.log), la) != 0)
			abort();
	}
	sb_free(&a.log);
	sb_free(&b.log);
	return 0;
}
