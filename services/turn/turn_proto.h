/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TURN server core (RFC 8656 on RFC 8489), sans-I/O. A core belongs to
 * one worker thread and holds that worker's allocations, keyed by 5-tuple.
 * The I/O layer feeds it what arrives (turn_core_input for client traffic,
 * turn_core_peer_input for what a relay socket received) and the time
 * (turn_core_tick); the core answers through the callbacks of
 * struct turn_io_ops: send to a client, send to a peer, open and close a
 * relay socket. Unit tests and the fuzz target drive it with fake ops.
 *
 * Ownership: the config and the shared state are borrowed and must outlive
 * every core; a core owns its allocations. Nothing here is thread-safe
 * except struct turn_shared, which the cores share.
 */
#ifndef TURN_PROTO_H
#define TURN_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/turn/stun.h"
#include "services/turn/turn_auth.h"
#include "services/turn/turn_limits.h"
#include "services/turn/turn_policy.h"

/* RFC 8656 section 3.1 and the checklist in spec/turn.md 1.2. */
#define TURN_DEFAULT_LIFETIME 600
#define TURN_MAX_LIFETIME 3600
#define TURN_PERMISSION_LIFETIME 300
#define TURN_CHANNEL_LIFETIME 600
/* RFC 8656 section 7.2: a reserved port is kept about 30 s. */
#define TURN_RESERVATION_LIFETIME 30

/* Bytes the I/O layer keeps free before and after a datagram it hands to
 * turn_core_peer_input, so the core can add the ChannelData or Data
 * indication header (and padding) in place, without a copy. */
#define TURN_HEADROOM 64
#define TURN_TAILROOM 8

enum turn_transport {
	TURN_UDP = 1,
	TURN_TCP = 2,
	TURN_TLS = 3,
};

/* How one client reaches us: its 5-tuple and the I/O object it came in on
 * (a UDP listener socket or a TCP/TLS connection). */
struct turn_conn {
	uint8_t transport;
	struct stun_addr client;
	struct stun_addr local;
	void *io;
};

/* The configuration every core reads (built by turn_config.c). */
struct turn_config {
	/* Long-term credentials (turn credentials). */
	char *username;
	char *password;
	char *realm;
	uint8_t key_md5[16];
	uint8_t key_sha256[32];
	uint8_t userhash[32];
	/* Time-limited credentials from a shared secret (TURN REST API):
	 * turn short-term-credentials enable + turn shared-secret. */
	bool short_term;
	char *secret;
	/* Addresses. */
	struct stun_addr listen[8];
	size_t n_listen;
	uint16_t port;	   /* 3478 */
	uint16_t tls_port; /* 0: none */
	struct stun_addr relay4; /* relay address, port 0 */
	bool have_relay6;
	struct stun_addr relay6;
	bool have_public;
	struct stun_addr public4; /* advertised in XOR-RELAYED-ADDRESS */
	struct turn_policy policy;
	/* Data plane. */
	bool high_capacity;
	unsigned workers;
	uint16_t port_lo, port_hi;
	/* Limits. */
	unsigned user_quota;  /* allocations per time-limited user name (486) */
	unsigned static_user_quota; /* allocations of the static user; 0: no limit */
	unsigned total_quota; /* allocations in all (508) */
	unsigned max_permissions;
	unsigned max_channels;
	unsigned challenge_rate; /* unauthenticated answers per s per source IP; 0: no limit */
	unsigned max_unauth_conns; /* TCP/TLS connections without allocation per source IP */
	unsigned nonce_lifetime; /* s */
	bool software;		 /* SOFTWARE attribute in responses */
	bool strict_channels;	 /* only RFC 8656 channel numbers (0x4000-0x4FFF) */
	/* Secret of the stateless nonces (random per process). */
	uint8_t nonce_key[32];
	/* The TLS identity and policy (certs/tls.h), when tls_port is set. */
	struct cv_tls_config *tls;
};

struct turn_perm {
	struct stun_addr peer; /* port ignored (RFC 8656 section 9) */
	uint64_t expires;      /* ms */
	bool own; /* an own address: only live relayed addresses (ports) behind it */
};

struct turn_chan {
	uint16_t num;
	struct stun_addr peer;
	uint64_t expires; /* ms */
};

struct turn_alloc;

/* RFC 6062: one TCP connection between a TCP allocation's relayed address
 * and a peer, made by a Connect request or accepted from the peer. */
enum turn_tcp_state {
	TURN_TCP_CONNECTING, /* Connect sent, the connection is being made */
	TURN_TCP_PENDING,    /* waiting for the client's ConnectionBind (30 s) */
	TURN_TCP_BOUND,	     /* joined to a client data connection */
};

struct turn_tcp {
	struct turn_tcp *next;	/* in the allocation's list */
	struct turn_tcp *hnext; /* in the core's table by id */
	struct turn_alloc *a;
	uint32_t id; /* CONNECTION-ID */
	uint8_t state;
	struct stun_addr peer;
	void *peer_io; /* the I/O layer's peer connection */
	uint64_t deadline_ms;
	/* The Connect request, answered when the connection is made. */
	uint8_t tid[STUN_TID_LEN];
	uint8_t key[32];
	uint8_t keylen;
	bool sha256;
	bool fingerprint;
};

#define TURN_TCP_TIMEOUT_MS 30000
#define TURN_MAX_TCP_CONNS 32

struct turn_alloc {
	struct turn_alloc *hnext;
	struct turn_alloc *prev, *next;
	struct turn_conn conn;
	struct stun_addr relay;	     /* the bound relay transport address */
	struct stun_addr advertised; /* relay, or the public IP with the relay port */
	void *relay_io;		     /* the I/O layer's relay socket */
	uint64_t expires;	     /* ms */
	char *username;
	struct turn_user *user;
	uint8_t alloc_tid[STUN_TID_LEN];
	uint8_t *alloc_resp; /* the success response, for a retransmitted Allocate */
	uint16_t alloc_resp_len;
	uint16_t n_perms, cap_perms;
	uint16_t n_chans, cap_chans;
	struct turn_perm *perms;
	struct turn_chan *chans;
	bool dont_fragment;
	bool tcp; /* an RFC 6062 TCP allocation: relay_io is a TCP listener */
	struct turn_tcp *tcps;
	unsigned n_tcps;
	uint64_t rx_pkts, tx_pkts;
};

struct turn_core;

struct turn_io_ops {
	/* Opens and binds a UDP relay socket at addr (port included) for a.
	 * 0, or a negative errno: -EADDRINUSE makes the core try another port. */
	int (*relay_open)(void *io, struct turn_alloc *a, const struct stun_addr *addr);
	/* Hands over a reserved socket (EVEN-PORT R bit) to a. */
	int (*relay_adopt)(void *io, struct turn_alloc *a, int fd);
	void (*relay_close)(void *io, struct turn_alloc *a);
	/* Sends buf to the client of c (a datagram, or a frame on a stream). */
	void (*send_client)(void *io, const struct turn_conn *c, const uint8_t *buf, size_t len);
	/* Sends buf from a's relay socket to peer. */
	void (*send_peer)(void *io, struct turn_alloc *a, const struct stun_addr *peer,
			  const uint8_t *buf, size_t len);
	/* Reserves port (+1 of an even port) by binding it; returns an fd. */
	int (*reserve_port)(void *io, const struct stun_addr *addr);
	void (*close_fd)(void *io, int fd);
	/* RFC 6062. tcp_listen: a TCP listener at addr (port included) as a's
	 * relayed address, like relay_open (relay_close closes it).
	 * tcp_connect: starts a connection from a's relayed address to t->peer
	 * and sets t->peer_io; the result comes with turn_core_tcp_connected.
	 * tcp_close: closes t's peer connection and its data connection; the
	 * I/O layer forgets t (the core frees it). tcp_bind: from now on the
	 * client connection data carries t's bytes, both ways. */
	int (*tcp_listen)(void *io, struct turn_alloc *a, const struct stun_addr *addr);
	int (*tcp_connect)(void *io, struct turn_tcp *t);
	void (*tcp_close)(void *io, struct turn_tcp *t);
	void (*tcp_bind)(void *io, const struct turn_conn *data, struct turn_tcp *t);
};

/* Counters, per core (read by the I/O layer for the log). */
struct turn_stats {
	uint64_t allocs, allocs_deleted, allocs_expired;
	uint64_t denied_peers;
	uint64_t challenges, challenges_dropped;
	uint64_t unanswered; /* the answer would have been over 3x the request (UDP) */
	uint64_t conns_refused; /* TCP/TLS: over max_unauth_conns (the I/O layer's) */
	uint64_t bad_messages;
	uint64_t auth_failures;
};

struct turn_core {
	const struct turn_config *cfg;
	struct turn_shared *shared;
	const struct turn_io_ops *ops;
	void *io;
	uint64_t now_ms;  /* monotonic, set by turn_core_tick / the I/O layer */
	uint64_t wall_s;  /* unix time, for REST credential expiry */
	struct turn_alloc **tab;
	size_t tab_size;
	size_t n_allocs;
	struct turn_alloc *list;
	/* This core's slice of the relay port range. */
	uint16_t port_lo, port_hi, port_next;
	struct turn_rl_bucket rl[TURN_RL_BUCKETS];
	struct turn_stats stats;
	uint64_t denied_logged_ms;
	uint8_t tid_salt[4];
	uint64_t tid_seq;
	/* RFC 6062 connections by CONNECTION-ID. */
	struct turn_tcp *tcp_tab[256];
	uint32_t tcp_next_id;
	/* Scratch for responses. */
	uint8_t out[1500];
};

void turn_core_init(struct turn_core *c, const struct turn_config *cfg,
		    struct turn_shared *shared, const struct turn_io_ops *ops, void *io,
		    uint16_t port_lo, uint16_t port_hi);
/* Frees every allocation (closing its relay through the ops). */
void turn_core_free(struct turn_core *c);

/* Sets the clocks: monotonic milliseconds and unix seconds. */
static inline void turn_core_set_time(struct turn_core *c, uint64_t now_ms, uint64_t wall_s)
{
	c->now_ms = now_ms;
	c->wall_s = wall_s;
}

/*
 * A message from a client: one datagram (UDP) or one frame cut by
 * turn_frame_len (TCP/TLS). buf may be modified. The data of a ChannelData
 * message is passed on to the peer from buf without a copy.
 */
void turn_core_input(struct turn_core *c, const struct turn_conn *conn, uint8_t *buf, size_t len);

/* A datagram a's relay socket received from peer. data has TURN_HEADROOM
 * writable bytes before it and TURN_TAILROOM after it. */
void turn_core_peer_input(struct turn_core *c, struct turn_alloc *a, const struct stun_addr *peer,
			  uint8_t *data, size_t len);

/* RFC 6062 events from the I/O layer: the connection of a Connect was made
 * (status 0) or failed; a peer connected to a's relayed address (returns
 * the new connection, or NULL: refuse it, no permission); a peer or data
 * connection of t closed (the I/O layer closes the other side itself; the
 * core forgets t). */
void turn_core_tcp_connected(struct turn_core *c, struct turn_tcp *t, int status);
struct turn_tcp *turn_core_tcp_accepted(struct turn_core *c, struct turn_alloc *a,
					const struct stun_addr *peer, void *peer_io);
void turn_core_tcp_closed(struct turn_core *c, struct turn_tcp *t);

/* A TCP/TLS connection closed: its allocation goes. */
void turn_core_conn_closed(struct turn_core *c, const struct turn_conn *conn);

/* Expires allocations, permissions and channels; call about once a second. */
void turn_core_tick(struct turn_core *c);

/* The allocation of a 5-tuple, or NULL. */
struct turn_alloc *turn_core_find(struct turn_core *c, const struct turn_conn *conn);

/*
 * Stream framing (TCP and TLS, RFC 8656 section 12.5): the length of the
 * frame at the start of buf (a STUN message or a padded ChannelData
 * message), 0 if more bytes are needed to tell, or -1 if buf starts with
 * neither (the connection must be closed).
 */
long turn_frame_len(const uint8_t *buf, size_t len);

#endif
