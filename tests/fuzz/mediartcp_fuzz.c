// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for compound RTCP (services/media/media_rtp.h): the
 * walk moves forward and stays inside the input, every packet type the
 * engine parses keeps its counts within bounds, and a NACK's sequence
 * numbers survive the builder (built again and parsed back, the same
 * set). Also tests/fuzz/mediartcp_replay in `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/media/media_rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct media_rtcp r, back;
static uint8_t built[4096];
static bool want[65536], got[65536];

static void check_nack(void)
{
	size_t n = media_rtcp_build_nack(built, sizeof(built), r.sender_ssrc, r.media_ssrc,
					 r.nack, r.n_nack), off = 0;

	if (r.n_nack == 0)
		return;
	if (!n || media_rtcp_next(built, n, &off, &back) != 1 || back.kind != MEDIA_RTCP_K_NACK)
		abort();
	memset(want, 0, sizeof(want));
	memset(got, 0, sizeof(got));
	for (unsigned i = 0; i < r.n_nack; i++)
		want[r.nack[i]] = true;
	for (unsigned i = 0; i < back.n_nack; i++)
		got[back.nack[i]] = true;
	if (memcmp(want, got, sizeof(want)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0, prev;
	int rc;

	for (size_t i = 0; i <= size / 4; i++) {
		prev = off;
		rc = media_rtcp_next(data, size, &off, &r);
		if (rc <= 0)
			break;
		if (off <= prev || off > size || r.data != data + prev || r.len != off - prev)
			abort();
		if (r.n_reports > MEDIA_RTCP_REPORTS_MAX ||
		    r.n_nack > sizeof(r.nack) / sizeof(r.nack[0]) ||
		    r.n_remb_ssrcs > MEDIA_RTCP_REMB_SSRCS_MAX || strlen(r.cname) > 255)
			abort();
		if (r.kind == MEDIA_RTCP_K_NACK)
			check_nack();
	}
	return 0;
}
