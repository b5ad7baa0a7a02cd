// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TURN relay's limits and shared state: see turn_limits.h.
 */
#include "config.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>

#include "lib/mem.h"
#include "services/turn/turn_limits.h"

struct turn_user {
	struct turn_user *next;
	unsigned count;
	size_t len; /* the name is bytes from the wire: it may hold a NUL */
	char name[];
};

/* --- shared state ----------------------------------------------------------------------------- */

void turn_shared_init(struct turn_shared *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	for (size_t i = 0; i < TURN_RELAYED_WORDS; i++) {
		atomic_init(&s->relayed4[i], 0);
		atomic_init(&s->relayed6[i], 0);
	}
	s->n_buckets = 1024;
	s->users = xcalloc(s->n_buckets, sizeof(*s->users));
	atomic_init(&s->total, 0);
}

void turn_shared_free(struct turn_shared *s)
{
	for (size_t i = 0; i < s->n_buckets; i++) {
		struct turn_user *u = s->users[i], *n;

		for (; u; u = n) {
			n = u->next;
			free(u);
		}
	}
	free(s->users);
	while (s->resv) {
		struct turn_reservation *r = s->resv;

		s->resv = r->next;
		free(r);
	}
	pthread_mutex_destroy(&s->lock);
}

uint64_t turn_hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* --- quotas ----------------------------------------------------------------------------------- */

int turn_quota_take(struct turn_shared *s, unsigned total_quota, const char *name, size_t n,
		    unsigned limit, struct turn_user **ret)
{
	size_t b = turn_hash_bytes(name, n) % s->n_buckets;
	struct turn_user *u;
	int code = 0;

	pthread_mutex_lock(&s->lock);
	for (u = s->users[b]; u; u = u->next)
		if (u->len == n && !memcmp(u->name, name, n))
			break;
	if (u && limit && u->count >= limit) {
		code = 486;
	} else if (total_quota && atomic_load(&s->total) >= total_quota) {
		code = 508;
	} else {
		if (!u) {
			u = xcalloc(1, sizeof(*u) + n + 1);
			memcpy(u->name, name, n);
			u->len = n;
			u->next = s->users[b];
			s->users[b] = u;
		}
		u->count++;
		atomic_fetch_add(&s->total, 1);
		*ret = u;
	}
	pthread_mutex_unlock(&s->lock);
	return code;
}

void turn_quota_give(struct turn_shared *s, struct turn_user *u)
{
	if (!u)
		return;
	pthread_mutex_lock(&s->lock);
	atomic_fetch_sub(&s->total, 1);
	/* The last allocation of this name went: the entry goes too, or
	 * every time-limited name ("<expiry>:<name>" changes with each
	 * credential) would stay for the life of the process. */
	if (--u->count == 0) {
		size_t b = turn_hash_bytes(u->name, u->len) % s->n_buckets;

		for (struct turn_user **pp = &s->users[b]; *pp; pp = &(*pp)->next) {
			if (*pp == u) {
				*pp = u->next;
				break;
			}
		}
		free(u);
	}
	pthread_mutex_unlock(&s->lock);
}

size_t turn_shared_users(struct turn_shared *s)
{
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n_buckets; i++)
		for (struct turn_user *u = s->users[i]; u; u = u->next)
			n++;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* --- live relayed transport addresses --------------------------------------------------------- */

void turn_relayed_set(struct turn_shared *s, const struct stun_addr *relay, bool live)
{
	_Atomic uint64_t *w = relay->family == AF_INET6 ? s->relayed6 : s->relayed4;
	uint64_t bit = 1ull << (relay->port % 64);

	/* Release: whoever sees the bit sees the socket that was bound. */
	if (live)
		atomic_fetch_or_explicit(&w[relay->port / 64], bit, memory_order_release);
	else
		atomic_fetch_and_explicit(&w[relay->port / 64], ~bit, memory_order_release);
}

bool turn_relayed_live(struct turn_shared *s, uint16_t family, uint16_t port)
{
	_Atomic uint64_t *w = family == AF_INET6 ? s->relayed6 : s->relayed4;

	return atomic_load_explicit(&w[port / 64], memory_order_acquire) & (1ull << (port % 64));
}

/* --- EVEN-PORT reservations (RFC 8656 section 7.2) ------------------------------------------- */

void turn_resv_add(struct turn_shared *s, struct turn_reservation *r)
{
	pthread_mutex_lock(&s->lock);
	r->next = s->resv;
	s->resv = r;
	pthread_mutex_unlock(&s->lock);
}

struct turn_reservation *turn_resv_take(struct turn_shared *s, const uint8_t token[8])
{
	struct turn_reservation *r = NULL;

	pthread_mutex_lock(&s->lock);
	for (struct turn_reservation **pp = &s->resv; *pp; pp = &(*pp)->next) {
		if (!memcmp((*pp)->token, token, 8)) {
			r = *pp;
			*pp = r->next;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

struct turn_reservation *turn_resv_expired(struct turn_shared *s, uint64_t now_s)
{
	struct turn_reservation *dead = NULL;

	pthread_mutex_lock(&s->lock);
	for (struct turn_reservation **pp = &s->resv; *pp;) {
		struct turn_reservation *r = *pp;

		if (r->expires_s <= now_s) {
			*pp = r->next;
			r->next = dead;
			dead = r;
		} else {
			pp = &r->next;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return dead;
}

/* --- rate limit of unauthenticated answers ------------------------------------------------- */

bool turn_rl_allow(struct turn_rl_bucket tab[TURN_RL_BUCKETS], unsigned rate, uint64_t now_ms,
		   const struct stun_addr *src)
{
	struct turn_rl_bucket *b;
	struct stun_addr k = *src;
	uint64_t burst;

	if (!rate)
		return true;
	k.port = 0;
	b = &tab[turn_hash_bytes(&k, sizeof(k)) % TURN_RL_BUCKETS];
	burst = 2000ull * rate; /* two seconds' worth, in thousandths */
	if (memcmp(&b->src, &k, sizeof(k))) {
		/* A new source takes the slot (a collision only makes the
		 * limit reset for someone: never more than burst). */
		b->src = k;
		b->tokens = (uint32_t)(burst > UINT32_MAX ? UINT32_MAX : burst);
		b->last_ms = now_ms;
	} else {
		uint64_t add = (now_ms - b->last_ms) * rate, t = b->tokens + add;

		b->tokens = (uint32_t)(t > burst ? burst : t);
		b->last_ms = now_ms;
	}
	if (b->tokens < 1000)
		return false;
	b->tokens -= 1000;
	return true;
}

/* --- connections per source ------------------------------------------------------------------ */

struct turn_src_count {
	struct turn_src_count *next;
	struct stun_addr ip; /* port 0 */
	unsigned n;
};

static struct turn_src_count **src_slot(struct turn_src_table *t, const struct stun_addr *src,
					struct stun_addr *ret_key)
{
	struct turn_src_count **pp;

	*ret_key = *src;
	ret_key->port = 0;
	pp = &t->b[turn_hash_bytes(ret_key, sizeof(*ret_key)) % TURN_SRC_BUCKETS];
	while (*pp && memcmp(&(*pp)->ip, ret_key, sizeof(*ret_key)))
		pp = &(*pp)->next;
	return pp;
}

bool turn_src_take(struct turn_src_table *t, const struct stun_addr *src, unsigned limit)
{
	struct stun_addr k;
	struct turn_src_count **pp = src_slot(t, src, &k);

	if (!*pp) {
		*pp = xcalloc(1, sizeof(**pp));
		(*pp)->ip = k;
		t->n_entries++;
	} else if (limit && (*pp)->n >= limit) {
		return false;
	}
	(*pp)->n++;
	return true;
}

void turn_src_put(struct turn_src_table *t, const struct stun_addr *src)
{
	struct stun_addr k;
	struct turn_src_count **pp = src_slot(t, src, &k), *e = *pp;

	if (!e)
		return;
	if (--e->n == 0) {
		*pp = e->next;
		free(e);
		t->n_entries--;
	}
}

void turn_src_free(struct turn_src_table *t)
{
	for (size_t i = 0; i < TURN_SRC_BUCKETS; i++) {
		while (t->b[i]) {
			struct turn_src_count *e = t->b[i];

			t->b[i] = e->next;
			free(e);
		}
	}
	t->n_entries = 0;
}
