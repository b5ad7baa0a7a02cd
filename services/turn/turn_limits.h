/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TURN relay's limits and the state its workers share: allocation
 * quotas per user and in all (RFC 8656 section 7.2: 486 and 508), the ports
 * held for EVEN-PORT pairs (section 7.2, RESERVATION-TOKEN), and the
 * per-source token buckets that limit answers to unauthenticated requests
 * (spec/turn.md section 8 item 6), and the per-source count of connections
 * without an allocation.
 *
 * struct turn_shared is shared by every worker's core: one mutex, taken
 * when an allocation is made or freed and when reservations are made,
 * claimed or expire, never per packet. The token buckets belong to one
 * core (one worker thread) and take no lock.
 */
#ifndef TURN_LIMITS_H
#define TURN_LIMITS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/turn/stun.h"

/* One user's count of allocations (the quota name: the user, or the name
 * after "<expiry>:" of a time-limited user). Owned by struct turn_shared. */
struct turn_user;

/* A port held for the second allocation of an EVEN-PORT pair (R bit). */
struct turn_reservation {
	struct turn_reservation *next;
	uint8_t token[8];
	int fd;
	struct stun_addr addr;
	uint64_t expires_s;
};

/*
 * The live relayed transport addresses of UDP allocations, for the one own
 * address a client may reach: another allocation's relayed address
 * (turn_proto.c). They all share the relay address (IPv4, or the IPv6
 * relay6), so a bit per port and family says it all: 8 KiB each, set when
 * an allocation's relay socket opens and cleared before it closes, by the
 * worker that owns it, read by any worker without a lock (atomic loads; a
 * mutex would do as well for the rare CreatePermission, but the data path
 * checks a bit too, per packet to an own address).
 */
#define TURN_RELAYED_WORDS (65536 / 64)

struct turn_shared {
	pthread_mutex_t lock;
	struct turn_user **users;
	size_t n_buckets;
	atomic_uint total;
	struct turn_reservation *resv;
	_Atomic uint64_t relayed4[TURN_RELAYED_WORDS];
	_Atomic uint64_t relayed6[TURN_RELAYED_WORDS];
};

void turn_shared_init(struct turn_shared *s);
/* Frees the counts and the reservation list (not the reserved sockets:
 * the I/O layer closes them). */
void turn_shared_free(struct turn_shared *s);

/*
 * Takes a slot of the user's quota (limit, 0: none) and of the total
 * (total_quota, 0: none): 0 with *ret set, or the error code 486 (the
 * user's quota) or 508 (the total). turn_quota_give returns the slot; the
 * user's entry is freed with its last slot.
 */
int turn_quota_take(struct turn_shared *s, unsigned total_quota, const char *name, size_t n,
		    unsigned limit, struct turn_user **ret);
void turn_quota_give(struct turn_shared *s, struct turn_user *u);
/* How many users have a count (walks the table: for tests and stats). */
size_t turn_shared_users(struct turn_shared *s);

/* Reservations: add takes r (xmalloc'd); take returns the one holding
 * token, removed from the list, or NULL; expired detaches and returns those
 * whose time is up (the caller closes their fds and frees them). */
void turn_resv_add(struct turn_shared *s, struct turn_reservation *r);
struct turn_reservation *turn_resv_take(struct turn_shared *s, const uint8_t token[8]);
struct turn_reservation *turn_resv_expired(struct turn_shared *s, uint64_t now_s);

/* Marks the relayed transport address relay (a UDP allocation's) live or
 * not; tells whether a port of the IPv4 or IPv6 relay address is live. */
void turn_relayed_set(struct turn_shared *s, const struct stun_addr *relay, bool live);
bool turn_relayed_live(struct turn_shared *s, uint16_t family, uint16_t port);

/* Per-source token buckets in a fixed table: bounded memory under floods
 * from spoofed sources. */
#define TURN_RL_BUCKETS 1024

struct turn_rl_bucket {
	struct stun_addr src;
	uint64_t last_ms;
	uint32_t tokens; /* thousandths */
};

/* True when src (its IP; the port is ignored) may have one more answer:
 * rate a second, bursts of two seconds' worth. rate 0: no limit. */
bool turn_rl_allow(struct turn_rl_bucket tab[TURN_RL_BUCKETS], unsigned rate, uint64_t now_ms,
		   const struct stun_addr *src);

/*
 * A count per source IP address (the port is ignored): the TCP and TLS
 * connections of one worker that hold no allocation yet, capped per source
 * (spec/turn.md section 8 item 7: bounded state before authentication).
 * An entry exists while its count is not zero, so the table holds at most
 * one entry per such connection. One worker's: no lock.
 */
#define TURN_SRC_BUCKETS 256

struct turn_src_count;

struct turn_src_table {
	struct turn_src_count *b[TURN_SRC_BUCKETS];
	size_t n_entries;
};

/* Counts one more for src unless it has limit already (limit 0: none):
 * true when counted. turn_src_put gives one back. */
bool turn_src_take(struct turn_src_table *t, const struct stun_addr *src, unsigned limit);
void turn_src_put(struct turn_src_table *t, const struct stun_addr *src);
void turn_src_free(struct turn_src_table *t);

/* FNV-1a, for the hash tables of the relay. */
uint64_t turn_hash_bytes(const void *p, size_t n);

#endif
