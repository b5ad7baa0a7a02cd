// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the media engine's ICE-lite agent and demux
 * (services/media/media_ice.h): any datagram goes through media_demux()
 * and, when it looks like STUN, media_ice_input() and
 * media_ice_request_ufrag() with fixed credentials. Checks: an answer is a
 * well-formed STUN Binding response with the request's transaction id and
 * a FINGERPRINT; a success only for a request whose integrity holds under
 * our password, with XOR-MAPPED-ADDRESS = the source; a selection only
 * with a success. Also tests/fuzz/mediaice_replay in `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/media/media_ice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct media_ice ice;
	struct stun_addr from = { .family = AF_INET, .port = 5000, .ip = { 192, 0, 2, 1 } }, m;
	uint8_t out[MEDIA_ICE_RESPONSE_MAX];
	char uf[MEDIA_ICE_UFRAG_MAX + 1];
	struct stun_msg req, resp;
	enum media_ice_result r;
	size_t on;

	(void)media_demux(data, size);
	(void)media_ice_request_ufrag(data, size, uf);
	media_ice_init(&ice, "h6vY");
	strcpy(ice.ufrag, "evtj");
	strcpy(ice.pwd, "VOkJxbRl1RmTxUk/WvJxBt");
	r = media_ice_input(&ice, data, size, &from, 1, out, sizeof(out), &on);
	if (r == MEDIA_ICE_IGNORED) {
		if (on)
			abort();
		return 0;
	}
	if (stun_parse(data, size, &req) < 0 || stun_parse(out, on, &resp) < 0 ||
	    resp.method != STUN_BINDING || !resp.fp_at || memcmp(resp.tid, req.tid, 12))
		abort();
	if (r == MEDIA_ICE_ERROR) {
		if (resp.cls != STUN_ERROR || ice.selected)
			abort();
		return 0;
	}
	{
		size_t vl = 0;
		const uint8_t *v = stun_attr(&resp, SA_XOR_MAPPED_ADDRESS, &vl);

		if (resp.cls != STUN_SUCCESS ||
		    !stun_check_integrity(&req, false, (const uint8_t *)ice.pwd, strlen(ice.pwd)) ||
		    !stun_check_integrity(&resp, false, (const uint8_t *)ice.pwd,
					  strlen(ice.pwd)) ||
		    !v || stun_xaddr_decode(v, vl, resp.tid, &m) < 0 ||
		    !stun_addr_equal(&m, &from, true))
			abort();
		if ((r == MEDIA_ICE_SELECTED) != ice.selected)
			abort();
	}
	return 0;
}
