/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The RFC 5769 section 2.1 sample request (an ICE connectivity check:
 * SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME "evtj:h6vY", integrity
 * under "VOkJxbRl1RmTxUk/WvJxBt", FINGERPRINT) and a hex reader, shared by
 * the STUN codec's tests and the media engine's ICE tests.
 */
#ifndef TESTS_UNIT_TURN_RFC5769_H
#define TESTS_UNIT_TURN_RFC5769_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of the hex digits in s (anything else is skipped). */
static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

/* RFC 5769 section 2.1 (username padded with spaces, as printed). */
static const char sample_request[] =
	"00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
	"80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74"
	"00 24 00 04 6e 00 01 ff"
	"80 29 00 08 93 2f f9 b1 51 26 3b 36"
	"00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20"
	"00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2"
	"80 28 00 04 e5 7a 3b cf";

#endif
