/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Authentication of the TURN core (RFC 8489 section 9.2, the long-term
 * credential mechanism): stateless nonces, the static user of "turn
 * credentials" and the time-limited users of a shared secret (TURN REST
 * API), MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256 under MD5 or SHA-256
 * keys, PASSWORD-ALGORITHMS with its bid-down protection. Sans-I/O; called
 * by turn_proto.c on the worker that owns the core, no locks.
 */
#ifndef TURN_AUTH_H
#define TURN_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/turn/stun.h"

struct turn_config;
struct turn_core;
struct turn_conn;

/* PASSWORD-ALGORITHMS as we send it: MD5 and SHA-256, no parameters. */
extern const uint8_t turn_pwalgs[8];

/* Who a request authenticated as, and the key of its integrity attribute
 * (the answer is signed with the same kind). user borrows the request's
 * buffer or the config. */
struct turn_auth {
	uint8_t key[32];
	size_t keylen;
	bool sha256;
	const char *user; /* USERNAME as sent, or the static user for USERHASH */
	size_t ulen;
};

/*
 * RFC 8489 section 9.2.4. Returns 0 with ret filled, or the error code to
 * answer: 400, 401 (challenge) or 438 (stale nonce, challenge). Counts
 * wrong credentials in the core's stats.
 */
int turn_auth_check(struct turn_core *c, const struct turn_conn *conn, const struct stun_msg *m,
		    struct turn_auth *ret);

/* The quota name of an authenticated user: the user, or the part after
 * "<expiry>:"; returns true for a time-limited user name. */
bool turn_auth_quota_name(const struct turn_auth *au, const char **ret, size_t *ret_len);

/*
 * Nonces: with features, the RFC 8489 cookie and "password algorithms" bit
 * (TURN_NONCE_LEN characters, for answers that carry PASSWORD-ALGORITHMS);
 * without, the bare value (TURN_NONCE_LEN_PLAIN). make writes a NUL after
 * the nonce and returns its length. check: 0 with *ret_features set,
 * -ESTALE expired, -EINVAL not ours.
 */
#define TURN_NONCE_LEN 29
#define TURN_NONCE_LEN_PLAIN 16
size_t turn_nonce_make(const struct turn_config *cfg, const struct stun_addr *src,
		       uint64_t now_s, bool features, char out[TURN_NONCE_LEN + 1]);
int turn_nonce_check(const struct turn_config *cfg, const struct stun_addr *src, uint64_t now_s,
		     const uint8_t *nonce, size_t len, bool *ret_features);

#endif
