/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Login checks of the API and Web Admin: the call bridge never reads MMP
 * password hashes (DESIGN.md section 2). It asks mmpd over its IPC socket
 *
 *   {"op":"service_login","user":U,"password":P,"from":"<ip>"}
 *     -> {"status":0,"role":"admin|api|appadmin|..."} or {"status":1,"output":S}
 *
 * and mmpd applies the "user rule" lockout, "user host" and duty hours. The
 * call runs on the libuv thread pool (cv_ipc_call blocks up to its timeout),
 * never on the loop.
 *
 * A positive answer is cached for 30 s, keyed by HMAC-SHA256 under a random
 * key made at start of (user, NUL, password, NUL, source address): the
 * password is never stored, and 1,000 API requests with the same
 * credentials cost one mmpd round trip (and one yescrypt run). The source
 * address is part of the key because mmpd's answer depends on it ("user
 * host"). Failures are not cached: each one reaches mmpd, which counts it.
 * Identical checks in flight are coalesced into one call. At most 64 calls
 * are in flight, 4 per source address; beyond that a check is refused with
 * -EBUSY (the HTTP layer answers 503, spec/api.md 1.6: "retry later").
 *
 * Consequence: a user deleted, locked or given a new password keeps API
 * access with the old credentials for at most the cache's lifetime.
 */
#ifndef CB_AUTH_H
#define CB_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct cb_auth;
struct cb_auth_wait;

/* status: 0 (role is mmpd's answer, borrowed for the call), -EACCES (mmpd
 * refused: wrong password, locked, ...), -ECANCELED (the auth module was
 * freed), or the IPC error (-ETIMEDOUT, -ECONNREFUSED, -EBADMSG...). */
typedef void (*cb_auth_done_fn)(struct cb_auth_wait *w, int status, const char *role,
				void *arg);

/* The caller's storage for one waiting check (inside its request state). */
struct cb_auth_wait {
	struct cb_auth_wait *next;
	struct auth_pending *p;
	cb_auth_done_fn done;
	void *arg;
};

struct cb_auth_opts {
	const char *socket;   /* mmpd's IPC socket */
	unsigned ttl_ms;      /* 0: 30000 */
	unsigned max_pending; /* 0: 64 */
	unsigned max_per_ip;  /* 0: 4 */
	int timeout_ms;	      /* 0: 5000, the IPC call's budget */
	unsigned cache_max;   /* 0: 4096 entries */
	/* The clock of the cache (tests); NULL: uv_now() of the loop. */
	uint64_t (*now_ms)(void *arg);
	void *now_arg;
};

#define CB_AUTH_ROLE_MAX 16

int cb_auth_new(uv_loop_t *loop, const struct cb_auth_opts *opts, struct cb_auth **ret);
/* Calls the waiting checks' done with -ECANCELED; calls in flight finish
 * on the pool and free themselves (run the loop until they have). */
void cb_auth_free(struct cb_auth *a);

/*
 * Checks user and password from the address from. Returns 1 with the role
 * in ret_role when a cached answer applies (done is not called), 0 when the
 * check is under way (done is called later from the loop, w must stay
 * valid until then or until cb_auth_cancel), -EBUSY when too many checks
 * are in flight, -EINVAL for empty or oversize credentials.
 */
int cb_auth_check(struct cb_auth *a, const char *user, const char *password, const char *from,
		  struct cb_auth_wait *w, cb_auth_done_fn done, void *arg,
		  char ret_role[CB_AUTH_ROLE_MAX]);
/* Forgets a waiting check (done is not called). */
void cb_auth_cancel(struct cb_auth_wait *w);

/* Counters for tests and the status page. */
struct cb_auth_stats {
	unsigned long calls;   /* IPC calls made */
	unsigned long hits;    /* answers from the cache */
	unsigned long joined;  /* checks that joined one in flight */
	unsigned long refused; /* -EBUSY */
	unsigned pending;      /* calls in flight now */
	unsigned cached;       /* cache entries */
};
void cb_auth_get_stats(const struct cb_auth *a, struct cb_auth_stats *ret);

/* True for the roles that may use /api/v1 (spec/api.md 1.1): admin, api,
 * appadmin; and for Web Admin: admin, appadmin. */
bool cb_auth_role_api(const char *role);
bool cb_auth_role_webadmin(const char *role);

#endif
