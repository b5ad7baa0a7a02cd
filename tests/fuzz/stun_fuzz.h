/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the STUN fuzz target's last input reached (tests/fuzz/stun_fuzz.c
 * fills it when an input is done): read by tests/unit/turn/test_stun_fuzz.c,
 * which checks that the signed seeds get past authentication.
 */
#ifndef STUN_FUZZ_H
#define STUN_FUZZ_H

#include "services/turn/turn_proto.h"

struct stun_fuzz_reach {
	struct turn_stats stats; /* the core's counters */
	int peer_sends;		 /* datagrams sent to peers */
	int tcp_bound;		 /* RFC 6062 data connections joined */
};

extern struct stun_fuzz_reach stun_fuzz_reach;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
