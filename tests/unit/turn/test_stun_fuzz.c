// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The STUN fuzz target (tests/fuzz/stun_fuzz.c) signs mutated messages
 * again so that the fuzzer gets past authentication: its signed_* seeds
 * (tests/fuzz/stun_seeds.py, placeholders where the nonce and the integrity
 * go) must reach Allocate, CreatePermission, ChannelBind, Refresh, Send,
 * relay to relay, Connect and ConnectionBind with no challenge and no
 * authentication failure. Runs the target on each seed and reads what it
 * reached.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib/file.h"
#include "tests/fuzz/stun_fuzz.h"
#include "tests/unit/tap.h"

/* Runs the seed; false when it cannot be read. */
static bool run(const char *name)
{
	const char *srcdir = getenv("top_srcdir");
	char path[4096], *buf = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/stun/%s", srcdir ? srcdir : ".", name);
	if (cv_file_read(path, 1u << 20, &buf, &len) < 0) {
		ok(0, "read %s", path);
		return false;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	free(buf);
	return true;
}

/* No 401 or 438 and no wrong credentials: every request authenticated. */
static void authenticated(const char *name)
{
	const struct turn_stats *st = &stun_fuzz_reach.stats;

	if (run(name))
		ok(st->challenges == 0 && st->auth_failures == 0,
		   "%s: authenticated (%llu challenges, %llu failures)", name,
		   (unsigned long long)st->challenges, (unsigned long long)st->auth_failures);
}

int main(void)
{
	const struct turn_stats *st = &stun_fuzz_reach.stats;
	static const char *const udp[] = {
		"signed_create_permission", "signed_channel_bind", "signed_refresh",
		"signed_refresh_zero", "signed_refresh_sha256", "signed_plain_nonce",
		"signed_create_permission_denied",
	};

	for (size_t i = 0; i < sizeof(udp) / sizeof(udp[0]); i++)
		authenticated(udp[i]);
	is_int(st->denied_peers, 1,
	       "signed_create_permission_denied: the peer policy refused 10.0.0.1");
	run("signed_refresh_zero");
	is_int(st->allocs_deleted, 1, "signed_refresh_zero: the allocation is deleted");

	authenticated("signed_stream_udp_relay");
	ok(st->allocs == 2 && st->allocs_deleted == 1 && stun_fuzz_reach.peer_sends >= 2,
	   "signed_stream_udp_relay: Allocate over TCP, ChannelData and Send reach the peer, "
	   "Refresh 0 deletes (%llu allocations, %d datagrams to peers)",
	   (unsigned long long)st->allocs, stun_fuzz_reach.peer_sends);
	authenticated("signed_stream_relay_to_relay");
	ok(stun_fuzz_reach.peer_sends >= 2 && st->denied_peers == 1,
	   "signed_stream_relay_to_relay: data to the other relayed address, the listener refused");
	authenticated("signed_stream_sha256");
	is_int(st->allocs, 2, "signed_stream_sha256: Allocate with MESSAGE-INTEGRITY-SHA256");
	authenticated("signed_stream_userhash");
	is_int(st->allocs_deleted, 1, "signed_stream_userhash: Allocate and Refresh 0 by USERHASH");
	authenticated("signed_stream_rest_user");
	is_int(st->allocs, 2, "signed_stream_rest_user: a time-limited user allocates");
	authenticated("signed_stream_even_port");
	authenticated("signed_stream_families");
	authenticated("signed_stream_rfc6062");
	is_int(stun_fuzz_reach.tcp_bound, 1,
	       "signed_stream_rfc6062: Connect, then ConnectionBind joins");
	authenticated("signed_stream_rfc6062_fail");
	is_int(stun_fuzz_reach.tcp_bound, 0,
	       "signed_stream_rfc6062_fail: a failed Connect, no join");
	return tap_done();
}
