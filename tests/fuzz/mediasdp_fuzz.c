// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the SDP offer parser and the answer builder
 * (services/media/media_sdp.h). The input is an offer. Checks: a refusal
 * is one of the errnos the header lists, with a reason; an offer that
 * parses always gets an answer (our side's values are fixed and valid,
 * sending on every m-section with RTX), and that answer parses again
 * with the same m-sections, mids and accepted codecs. Also
 * tests/fuzz/mediasdp_replay in `make check` over
 * tests/fuzz/corpus/mediasdp/.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"
#include "services/media/media_sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Large; static so that the stack stays small under ASan. */
static struct md_sdp offer, answer;

static bool known_errno(int r)
{
	return r == -EMSGSIZE || r == -E2BIG || r == -EBADMSG || r == -ERANGE || r == -EINVAL ||
	       r == -EEXIST || r == -ENOENT || r == -ENODATA || r == -EPROTONOSUPPORT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct md_sdp_local l = {
		.sess_id = 4611731400430051336ull,
		.sess_version = 2,
		.ice_ufrag = "srvU",
		.ice_pwd = "serverpasswordserverpass",
		.fingerprint = "sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
			       "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99",
		.n_cands = 2,
		.cands = { { "192.0.2.10", 40500 }, { "2001:db8::10", 40500 } },
		.cname = "convene",
	};
	struct md_sdp_answer_info info;
	struct strbuf sb = STRBUF_INIT;
	char err[160];
	int r;

	for (unsigned i = 0; i < MD_SDP_MAX_MSECT; i++) {
		l.send[i].ssrc = 1000 + i;
		l.send[i].rtx_ssrc = 2000 + i;
		l.send[i].stream = "convene";
		l.send[i].track = "t";
	}
	r = md_sdp_parse(data, size, &offer, err, sizeof(err));
	if (r < 0) {
		if (!known_errno(r) || !err[0])
			abort();
		return 0;
	}
	if (md_sdp_answer(&offer, &l, &sb, &info, err, sizeof(err)) < 0)
		abort(); /* our side is valid: every parsed offer gets an answer */
	r = md_sdp_parse((const uint8_t *)sb.buf, sb.len, &answer, err, sizeof(err));
	if (r < 0 || answer.n_m != offer.n_m || info.n_m != offer.n_m || !answer.ice_lite)
		abort();
	for (unsigned i = 0; i < offer.n_m; i++) {
		const struct md_sdp_msect *o = &offer.m[i], *a = &answer.m[i];
		bool accepted = info.m[i].reject == MD_SDP_ACCEPTED;

		if (a->mid.len != o->mid.len || memcmp(a->mid.p, o->mid.p, o->mid.len) != 0)
			abort();
		if (accepted != (a->port != 0))
			abort();
		if (accepted && (a->setup != MD_SDP_SETUP_PASSIVE || !a->rtcp_mux ||
				 a->n_pts == 0 || a->n_cands != 2 || !a->fp.usable))
			abort();
	}
	sb_free(&sb);
	return 0;
}
