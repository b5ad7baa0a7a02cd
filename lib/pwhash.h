/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Password hashes with crypt(3) (lib/pwhash.c). */
#ifndef CV_PWHASH_H
#define CV_PWHASH_H

#include <stdbool.h>

/* Hashes password with a fresh salt: yescrypt ("$y$"), or SHA-512 crypt
 * ("$6$") when this libxcrypt has no yescrypt. *ret_hash is the caller's.
 * -EIO if crypt(3) fails. */
int cv_pw_hash(const char *password, char **ret_hash);
/* True when password matches hash. Only "$y$" and "$6$" hashes are
 * accepted (a corrupted entry must not fall back to DES); the comparison
 * of the computed and stored hash is constant-time. */
bool cv_pw_verify(const char *password, const char *hash);

#endif
