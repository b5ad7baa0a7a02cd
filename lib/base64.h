/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Standard base64 (RFC 4648 section 4) with padding: the one codec of
 * Convene (backups, TURN nonces and REST passwords, later JWTs' cousins).
 * The decoder is strict: a multiple of four characters of the alphabet,
 * padding only at the end, no white space.
 */
#ifndef CV_BASE64_H
#define CV_BASE64_H

#include <stddef.h>

/* Characters cv_base64_encode() writes for n bytes (without the NUL). */
#define CV_BASE64_LEN(n) (((n) + 2) / 3 * 4)

/* Encodes n bytes of in into out, which holds CV_BASE64_LEN(n) + 1 bytes;
 * NUL-terminates and returns the length. */
size_t cv_base64_encode(const void *in, size_t n, char *out);
/* Decodes n characters of in into out, which holds n / 4 * 3 bytes.
 * -EINVAL for anything but strict base64; *ret_len is the decoded size. */
int cv_base64_decode(const char *in, size_t n, void *out, size_t *ret_len);

#endif
