/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers the media engine's parts share: big-endian loads and
 * stores on packet buffers (RTP, RTCP, STUN and DTLS are all network
 * order). Every caller checks the length before it reads.
 */
#ifndef MEDIA_UTIL_H
#define MEDIA_UTIL_H

#include <stdint.h>

static inline uint16_t md_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t md_get24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t md_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void md_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void md_put24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

static inline void md_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Serial-number arithmetic on 16-bit sequence numbers (RFC 1982):
 * true when a comes after b. */
static inline int md_seq_after(uint16_t a, uint16_t b)
{
	return (int16_t)(uint16_t)(a - b) > 0;
}

#endif
