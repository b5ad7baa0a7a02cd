// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Password hashing with crypt(3) from libxcrypt: the MMP accounts (mmpd) and
 * the call bridge's API users store only these hashes.
 */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/pwhash.h"

int cv_pw_hash(const char *password, char **ret_hash)
{
	char *setting, *h;
	void *data = NULL;
	int size = 0, r = 0;

	/* Cost 0 asks libxcrypt for its default cost; NULL random bytes
	 * make it read them from the kernel. */
	setting = crypt_gensalt_ra("$y$", 0, NULL, 0);
	if (!setting)
		setting = crypt_gensalt_ra("$6$", 0, NULL, 0);
	if (!setting)
		return -EIO;
	h = crypt_ra(password, setting, &data, &size);
	if (!h || h[0] == '*')
		r = -EIO;
	else
		*ret_hash = xstrdup(h);
	if (data) {
		explicit_bzero(data, (size_t)size);
		free(data);
	}
	free(setting);
	return r;
}

/* Compares without an early exit, so the time does not tell how many
 * leading characters of a guess's hash were right. */
static bool ct_streq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return diff == 0;
}

bool cv_pw_verify(const char *password, const char *hash)
{
	void *data = NULL;
	int size = 0;
	const char *h;
	bool ok;

	if (!password || !hash)
		return false;
	if (strncmp(hash, "$y$", 3) != 0 && strncmp(hash, "$6$", 3) != 0)
		return false;
	h = crypt_ra(password, hash, &data, &size);
	ok = h && h[0] != '*' && ct_streq(h, hash);
	if (data) {
		explicit_bzero(data, (size_t)size);
		free(data);
	}
	return ok;
}
