// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the mmpd side of the mmp socket: the incremental
 * frame receiver (cv_ipc_rx_feed / cv_ipc_rx_next) and the JSON parse of
 * each frame. The first input byte picks the chunk size the rest is fed in,
 * so frames split at every position are explored; each decoded message is
 * serialised again to touch all of it.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cv_ipc_rx rx;
	size_t chunk, off = 0;

	if (size == 0)
		return 0;
	chunk = (size_t)(data[0] % 32) + 1;
	data++;
	size--;
	cv_ipc_rx_init(&rx);
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		json_object *msg;
		int r;

		if (cv_ipc_rx_feed(&rx, data + off, n) < 0)
			break;
		off += n;
		while ((r = cv_ipc_rx_next(&rx, &msg)) != 0) {
			if (r == 1) {
				(void)json_object_to_json_string(msg);
				json_object_put(msg);
			} else if (r != -EBADMSG) {
				goto out;
			}
		}
	}
out:
	cv_ipc_rx_free(&rx);
	return 0;
}
