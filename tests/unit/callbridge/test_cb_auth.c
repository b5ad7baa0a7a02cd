// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cb_auth against a fake mmpd on a Unix socket: answers, the cache (hits,
 * expiry on a test clock, no caching of failures, the source address in the
 * key), coalescing of identical checks, the bounds, cancel, and an absent
 * mmpd.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <uv.h>

#include "services/callbridge/cb_auth.h"
#include "tests/unit/callbridge/test_net.h"
#include "tests/unit/tap.h"

struct result {
	int done;
	int status;
	char role[CB_AUTH_ROLE_MAX];
};

static void on_done(struct cb_auth_wait *w, int status, const char *role, void *arg)
{
	struct result *r = arg;

	(void)w;
	r->done++;
	r->status = status;
	snprintf(r->role, sizeof(r->role), "%s", role ? role : "");
}

static uint64_t clock_ms;
static uint64_t test_now(void *arg)
{
	(void)arg;
	return clock_ms;
}

static const struct fake_user users[] = {
	{ "alice", "pw-alice", "admin" },
	{ "bob", "pw-bob", "api" },
	{ "carol", "pw-carol", "audit" },
	{ NULL, NULL, NULL },
};

int main(void)
{
	struct fake_mmpd m;
	struct cb_auth *a;
	struct cb_auth_opts o = { 0 };
	struct cb_auth_wait w[8];
	struct result res[8];
	struct cb_auth_stats st;
	char role[CB_AUTH_ROLE_MAX];
	uv_loop_t *loop = uv_default_loop();
	int r;

	if (fake_mmpd_start(&m, users) < 0) {
		printf("1..0 # SKIP cannot start the fake mmpd\n");
		return 0;
	}
	o.socket = m.path;
	o.now_ms = test_now;
	o.ttl_ms = 30000;
	ok(cb_auth_new(loop, &o, &a) == 0, "cb_auth_new");

	/* A first check goes to mmpd. */
	memset(res, 0, sizeof(res));
	r = cb_auth_check(a, "alice", "pw-alice", "192.0.2.1", &w[0], on_done, &res[0], role);
	ok(r == 0, "first check is under way (%d)", r);
	uv_run(loop, UV_RUN_DEFAULT);
	ok(res[0].done == 1 && res[0].status == 0, "mmpd said yes (%d)", res[0].status);
	is_str(res[0].role, "admin", "role from mmpd");
	ok(fake_mmpd_calls(&m) == 1, "one IPC call");
	is_str(m.last_from, "192.0.2.1", "the source address reaches mmpd");
	ok(m.bad_requests == 0, "requests are service_login with user, password, from");

	/* 1,000 more checks: all from the cache. */
	{
		int hits = 0;

		for (int i = 0; i < 1000; i++)
			if (cb_auth_check(a, "alice", "pw-alice", "192.0.2.1", &w[1], on_done,
					  &res[1], role) == 1 &&
			    !strcmp(role, "admin"))
				hits++;
		ok(hits == 1000, "1000 cached answers (%d)", hits);
		ok(fake_mmpd_calls(&m) == 1, "still one IPC call (%d)", fake_mmpd_calls(&m));
	}

	/* Another password or another source address is another key. */
	memset(res, 0, sizeof(res));
	ok(cb_auth_check(a, "alice", "wrong", "192.0.2.1", &w[0], on_done, &res[0], role) == 0,
	   "a wrong password is not answered from the cache");
	ok(cb_auth_check(a, "alice", "pw-alice", "192.0.2.9", &w[1], on_done, &res[1], role) == 0,
	   "another source address is checked again");
	uv_run(loop, UV_RUN_DEFAULT);
	ok(res[0].done == 1 && res[0].status == -EACCES, "wrong password refused");
	ok(res[1].done == 1 && res[1].status == 0, "other address accepted by mmpd");
	ok(cb_auth_check(a, "alice", "wrong", "192.0.2.1", &w[0], on_done, &res[0], role) == 0,
	   "a failure is not cached: the next try reaches mmpd again");
	uv_run(loop, UV_RUN_DEFAULT);
	ok(fake_mmpd_calls(&m) == 4, "four IPC calls so far (%d)", fake_mmpd_calls(&m));

	/* Coalescing: three identical checks issued together make one call. */
	memset(res, 0, sizeof(res));
	for (int i = 0; i < 3; i++)
		cb_auth_check(a, "bob", "pw-bob", "192.0.2.2", &w[i], on_done, &res[i], role);
	cb_auth_get_stats(a, &st);
	ok(st.joined == 2 && st.pending == 1, "two checks joined the one in flight");
	uv_run(loop, UV_RUN_DEFAULT);
	ok(res[0].done == 1 && res[1].done == 1 && res[2].done == 1 && res[2].status == 0 &&
		   !strcmp(res[1].role, "api"),
	   "all three got the answer");
	ok(fake_mmpd_calls(&m) == 5, "one IPC call for three checks (%d)", fake_mmpd_calls(&m));

	/* Expiry on the test clock. */
	clock_ms += 29999;
	ok(cb_auth_check(a, "bob", "pw-bob", "192.0.2.2", &w[0], on_done, &res[0], role) == 1,
	   "cached just before 30 s");
	clock_ms += 2;
	memset(res, 0, sizeof(res));
	ok(cb_auth_check(a, "bob", "pw-bob", "192.0.2.2", &w[0], on_done, &res[0], role) == 0,
	   "expired after 30 s: asked again");
	uv_run(loop, UV_RUN_DEFAULT);
	ok(res[0].status == 0, "and accepted again");

	/* Bounds: 4 distinct checks in flight per source address. */
	memset(res, 0, sizeof(res));
	{
		char pw[32];
		int got[6];

		for (int i = 0; i < 5; i++) {
			snprintf(pw, sizeof(pw), "guess%d", i);
			got[i] = cb_auth_check(a, "alice", pw, "198.51.100.7", &w[i], on_done,
					       &res[i], role);
		}
		got[5] = cb_auth_check(a, "alice", "guess9", "198.51.100.8", &w[5], on_done,
				       &res[5], role);
		ok(got[0] == 0 && got[3] == 0 && got[4] == -EBUSY,
		   "the fifth check from one address is refused (%d)", got[4]);
		ok(got[5] == 0, "another address still gets a check");
		/* Cancel one: its callback must not run. */
		cb_auth_cancel(&w[1]);
		uv_run(loop, UV_RUN_DEFAULT);
		ok(res[0].done == 1 && res[1].done == 0 && res[5].done == 1, "cancelled waiter not called");
	}
	cb_auth_free(a);

	/* A global cap of 2. */
	o.max_pending = 2;
	cb_auth_new(loop, &o, &a);
	memset(res, 0, sizeof(res));
	ok(cb_auth_check(a, "u1", "p", "192.0.2.10", &w[0], on_done, &res[0], role) == 0 &&
		   cb_auth_check(a, "u2", "p", "192.0.2.11", &w[1], on_done, &res[1], role) == 0 &&
		   cb_auth_check(a, "u3", "p", "192.0.2.12", &w[2], on_done, &res[2], role) ==
			   -EBUSY,
	   "the global cap refuses the third check");
	cb_auth_get_stats(a, &st);
	ok(st.refused == 1, "refusal counted");
	/* Freeing with checks in flight: waiters hear -ECANCELED; the calls
	 * finish on the pool. */
	cb_auth_free(a);
	ok(res[0].done == 1 && res[0].status == -ECANCELED, "free cancels waiters");
	uv_run(loop, UV_RUN_DEFAULT);
	ok(res[0].done == 1, "a finished call after free calls nobody");

	/* Role rules. */
	ok(cb_auth_role_api("admin") && cb_auth_role_api("api") && cb_auth_role_api("appadmin") &&
		   !cb_auth_role_api("audit") && !cb_auth_role_api("crypto"),
	   "API roles: admin, api, appadmin");
	ok(cb_auth_role_webadmin("admin") && cb_auth_role_webadmin("appadmin") &&
		   !cb_auth_role_webadmin("api"),
	   "Web Admin roles: admin, appadmin");

	/* Empty user or oversize credentials. */
	o.max_pending = 0;
	cb_auth_new(loop, &o, &a);
	{
		char big[300];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		ok(cb_auth_check(a, "", "p", "192.0.2.1", &w[0], on_done, &res[0], role) == -EINVAL &&
			   cb_auth_check(a, "u", big, "192.0.2.1", &w[0], on_done, &res[0], role) ==
				   -EINVAL,
		   "empty user and oversize password refused");
	}
	fake_mmpd_stop(&m);

	/* mmpd absent: an IPC error, not a refusal. */
	memset(res, 0, sizeof(res));
	cb_auth_check(a, "alice", "pw-alice", "192.0.2.1", &w[0], on_done, &res[0], role);
	uv_run(loop, UV_RUN_DEFAULT);
	ok(res[0].done == 1 && res[0].status != 0 && res[0].status != -EACCES,
	   "no mmpd: an error the HTTP layer turns into 503 (%d)", res[0].status);
	cb_auth_free(a);
	uv_loop_close(loop);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
