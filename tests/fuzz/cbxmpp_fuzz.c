// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the bytes the call bridge's XMPP component client
 * reads from the server (services/callbridge/cb_xmpp_comp.h). The first
 * input byte picks the chunk size (1..16, or whole), the rest is fed in
 * those chunks from the moment our header is sent. Checked: the result and
 * the state agree (-EPROTO only with FAILED and a reason, CONNECTED only
 * after a stream id), the pending input stays under its cap, handed-up
 * stanzas are whole elements (start with '<', end with '>'), and the
 * output is one of the few things the client ever writes.
 * Also tests/fuzz/cbxmpp_replay in `make check` (tests/fuzz/replay.c) over
 * tests/fuzz/corpus/cbxmpp/.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/callbridge/cb_xmpp_comp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_stanza(void *arg, const char *name, const char *xml, size_t len)
{
	(void)arg;
	if (!name[0] || len < 3 || xml[0] != '<' || xml[len - 1] != '>' ||
	    len > CB_XMPP_ELEMENT_MAX)
		abort();
}

static void check_out(struct cb_xmpp_comp *c)
{
	size_t n;
	const char *o = cb_xmpp_comp_out(c, &n);

	/* Our header, <handshake>, a stream error and the end tag: small. */
	if (n > 512 || strlen(o) != n)
		abort();
	cb_xmpp_comp_sent(c, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cb_xmpp_comp_cfg cfg = {
	    .unique_name = "callbridge",
	    .domain = "example.com",
	    .secret = "cb-secret-123",
	    .on_stanza = on_stanza,
	};
	struct cb_xmpp_comp c;
	size_t chunk;
	int r = 0;

	if (size == 0)
		return 0;
	chunk = data[0] % 17 ? data[0] % 17 : size;
	data++;
	size--;
	if (cb_xmpp_comp_init(&c, &cfg) < 0 || cb_xmpp_comp_start(&c, 0) < 0)
		abort();
	check_out(&c);
	for (size_t i = 0; i < size && r == 0; i += chunk) {
		size_t n = size - i < chunk ? size - i : chunk;

		r = cb_xmpp_comp_feed(&c, data + i, n, i);
		check_out(&c);
		if (c.in_len > CB_XMPP_ELEMENT_MAX || c.depth > CB_XMPP_DEPTH_MAX)
			abort();
		if (r == -EPROTO && (c.state != CB_XMPP_FAILED || c.reason == CB_XMPP_R_NONE))
			abort();
		if (r == 0 && c.state == CB_XMPP_FAILED)
			abort();
		if (c.state == CB_XMPP_CONNECTED && !c.stream_id[0])
			abort();
		if (r != 0 && r != -EPROTO && r != -EPIPE)
			abort();
	}
	cb_xmpp_comp_tick(&c, UINT64_MAX - 1);
	check_out(&c);
	cb_xmpp_comp_free(&c);
	return 0;
}
