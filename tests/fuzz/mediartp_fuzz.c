// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the RTP parser (services/media/media_rtp.h):
 * when a packet parses, header, extensions, payload and padding account
 * for every byte and point inside the input; the audio level reader and
 * the rewrite keep the packet parseable with the same layout. Also
 * tests/fuzz/mediartp_replay in `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/media/media_rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct media_rtp r, r2;
	uint8_t *copy;
	bool voice;
	uint8_t level;

	if (media_rtp_parse(data, size, &r) < 0)
		return 0;
	if (r.hdr_len + r.payload_len + r.padding != size || r.payload != data + r.hdr_len ||
	    r.n_ext > MEDIA_RTP_EXT_MAX)
		abort();
	for (unsigned i = 0; i < r.n_ext; i++)
		if (r.ext[i].data < data || r.ext[i].data + r.ext[i].len > data + r.hdr_len)
			abort();
	for (uint8_t id = 1; id < 16; id++)
		if (media_rtp_audio_level(&r, id, &voice, &level) == 0 && level > 127)
			abort();
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	media_rtp_rewrite(copy, r.ssrc ^ 1, (uint16_t)(r.seq + 1), r.ts + 3000);
	if (media_rtp_parse(copy, size, &r2) < 0 || r2.ssrc != (r.ssrc ^ 1) ||
	    r2.seq != (uint16_t)(r.seq + 1) || r2.hdr_len != r.hdr_len ||
	    r2.payload_len != r.payload_len || r2.n_ext != r.n_ext)
		abort();
	free(copy);
	return 0;
}
