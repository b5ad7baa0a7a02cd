// SPDX-License-Identifier: GPL-2.0-or-later
/* Base64 (base64.h). */
#include "config.h"

#include <errno.h>
#include <stdint.h>

#include "base64.h"

static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t cv_base64_encode(const void *in, size_t n, char *out)
{
	const uint8_t *p = in;
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t left = n - i;

		if (left > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = left > 1 ? tab[(v >> 6) & 63] : '=';
		out[o++] = left > 2 ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

static int val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int cv_base64_decode(const char *in, size_t n, void *out, size_t *ret_len)
{
	uint8_t *o = out;
	size_t k = 0;

	if (n % 4 != 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;

		for (int j = 0; j < 4; j++) {
			/* '=' only in the last two places of the last group,
			 * and "x=y=" is not padding. */
			if (in[i + j] == '=' && i + 4 == n && j >= 2 &&
			    (j == 3 || in[i + 3] == '=')) {
				v[j] = 0;
				pad++;
				continue;
			}
			v[j] = pad ? -1 : val(in[i + j]);
			if (v[j] < 0)
				return -EINVAL;
		}
		o[k++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			o[k++] = (uint8_t)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			o[k++] = (uint8_t)((v[2] & 3) << 6 | v[3]);
	}
	*ret_len = k;
	return 0;
}
