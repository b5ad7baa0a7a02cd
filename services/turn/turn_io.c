// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The I/O layer of convene-turn: see turn_io.h.
 *
 * Per worker, allocated once: a receive area of TURN_BATCH slots for client
 * datagrams (one recvmmsg fills it) and a transmit area of TURN_BATCH slots
 * for datagrams to clients. A relay socket is read with recvmmsg straight
 * into free transmit slots, TURN_HEADROOM bytes in, so the core writes the
 * ChannelData or Data indication header in front of the payload and the
 * datagram leaves without a copy. The transmit batch is flushed with
 * sendmmsg (one call per run of datagrams on the same socket) once per loop
 * iteration (uv_check) or when it fills. Client-to-peer datagrams leave with
 * one sendto on the allocation's relay socket.
 *
 * Threads and locks: the main thread binds the sockets and starts the
 * workers; each worker thread runs its own uv loop and touches only its own
 * handles and core. The only cross-thread calls are uv_async_send (stop),
 * the mutex of struct turn_shared (quotas and reservations, at allocation
 * time) and its bitmap of live relayed ports (atomic, no lock: the peer
 * policy's relay-to-relay exception, turn_proto.c).
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "certs/tls.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "services/turn/turn_io.h"

#define TURN_BATCH 64
#define TURN_SLOT 4096
/* Bytes of a datagram a slot can take. */
#define SLOT_DATA (TURN_SLOT - TURN_HEADROOM - TURN_TAILROOM)
/* Cap on what a TCP connection may have queued for writing. */
#define TCP_QUEUE_MAX (4u << 20)
/* A TCP frame is at most a STUN message (20 + 65535) or padded ChannelData. */
#define TCP_FRAME_MAX (STUN_HDR_LEN + 65535 + 4)
/* A TLS connection's buffer: an unfinished frame and one more record. */
#define TLS_BUF_MAX (TCP_FRAME_MAX + 65536)

struct io_worker;

struct io_udp {
	uv_poll_t poll;
	int fd;
	struct stun_addr local;
	struct io_worker *w;
};

struct io_tcpl {
	uv_tcp_t h;
	int fd;
	struct stun_addr local;
	struct io_worker *w;
};

/* A TCP or TLS client connection. A TLS connection's socket belongs to the
 * TLS layer (tls is set and h is unused). */
struct io_tcp {
	uv_tcp_t h;
	struct cv_tls_conn *tls;
	struct io_tcp *prev, *next;
	struct io_worker *w;
	struct turn_conn conn;
	uint8_t *buf;
	size_t len, cap;
	size_t queued;
	bool closing;
	bool dead; /* a write failed: closed at the end of the iteration */
	struct io_tcp *dnext;
	uint64_t since_ms; /* accepted, or last seen with an allocation */
	struct io_peer *pipe; /* RFC 6062: a data connection joined to a peer */
	bool pending; /* counted in the worker's pending table (conn_admit) */
};

/* RFC 6062: a TCP connection between a relayed address and a peer. */
struct io_peer {
	uv_tcp_t h;
	uv_connect_t creq;
	struct io_worker *w;
	struct turn_tcp *t;   /* NULL once the core forgot it */
	struct io_tcp *data;  /* the client data connection it is joined to */
	size_t queued;
	bool closing;
};

/* RFC 6062: the TCP listener of a TCP allocation's relayed address. */
struct io_tcprelay {
	uv_tcp_t h;
	struct turn_alloc *a;
	struct io_worker *w;
	uint16_t port;
};

/* A TCP or TLS connection without an allocation is closed after this long
 * (RFC 8656 leaves it to the server; idle connections cost descriptors). */
#define CONN_IDLE_MS 60000

/* A UDP allocation's relay socket. It is registered in its worker's relay
 * epoll set, not as a libuv handle: one epoll_ctl when it opens and none
 * when it closes (closing the descriptor leaves the set), where a uv_poll_t
 * costs six epoll_ctl calls and an ioctl over its life. A closed relay is
 * freed after the current batch of events (relay_dead). */
struct io_relay {
	int fd;
	struct turn_alloc *a;
	struct io_worker *w;
	struct io_relay *dnext;
};

struct io_worker {
	unsigned id;
	pthread_t thread;
	bool started;
	uv_loop_t loop;
	uv_async_t stop;
	uv_timer_t tick;
	uv_check_t flush;
	struct turn_core core;
	struct io_udp *udp;
	struct io_tcpl *tcpl;
	struct io_tcpl *tlsl; /* TLS listeners, when the TLS port is set */
	struct cv_tls_creds *creds;
	size_t n_listen;
	struct io_tcp *tcps;
	struct io_tcp *dead;
	/* TCP and TLS connections without an allocation, per source IP. */
	struct turn_src_table pending;
	uint64_t refused_logged_ms;
	/* The relay sockets' epoll set, itself one uv_poll_t of the loop. */
	int relay_ep;
	uv_poll_t relay_poll;
	struct io_relay *relay_dead;
	/* Ports of this worker's TCP relayed addresses (their listeners need
	 * SO_REUSEPORT, so bind() would not refuse a port twice). */
	uint8_t tcp_ports[65536 / 8];
	/* client datagrams in */
	uint8_t *rx_buf;
	struct mmsghdr rx_msgs[TURN_BATCH];
	struct iovec rx_iov[TURN_BATCH];
	struct sockaddr_storage rx_addr[TURN_BATCH];
	/* datagrams to clients out (and relay datagrams in) */
	uint8_t *tx_buf;
	struct mmsghdr tx_msgs[TURN_BATCH];
	struct iovec tx_iov[TURN_BATCH];
	struct sockaddr_storage tx_addr[TURN_BATCH];
	int tx_fd[TURN_BATCH];
	unsigned n_tx;
	/* relay recvmmsg headers (their buffers are tx slots) */
	struct mmsghdr prx_msgs[TURN_BATCH];
	struct iovec prx_iov[TURN_BATCH];
	struct sockaddr_storage prx_addr[TURN_BATCH];
};

struct turn_server {
	const struct turn_config *cfg;
	struct turn_shared *shared;
	struct io_worker *workers;
	unsigned n_workers;
};

static inline uint8_t *tx_slot(struct io_worker *w, unsigned i)
{
	return w->tx_buf + (size_t)i * TURN_SLOT;
}

/* --- sockets ---------------------------------------------------------------------------------- */

static int make_socket(const struct stun_addr *a, uint16_t port, int type, bool reuseport,
		       int *ret_fd)
{
	struct sockaddr_storage ss;
	struct stun_addr b = *a;
	socklen_t sl;
	int fd, one = 1, r;

	b.port = port;
	sl = stun_addr_to_sockaddr(&b, &ss);
	fd = socket(b.family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (b.family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* --- transmit batch ------------------------------------------------------------------------ */

static void tx_flush(struct io_worker *w)
{
	unsigned i = 0, n = w->n_tx;

	while (i < n) {
		unsigned j = i + 1;
		int fd = w->tx_fd[i];

		while (j < n && w->tx_fd[j] == fd)
			j++;
		/* A datagram the socket cannot take now is dropped, as the
		 * network would (no unbounded queue). */
		while (i < j) {
			int k = sendmmsg(fd, &w->tx_msgs[i], j - i, MSG_DONTWAIT);

			if (k <= 0) {
				if (k < 0 && errno == EINTR)
					continue;
				/* Skip the datagram that failed (EAGAIN, or an
				 * error tied to its destination). */
				i++;
				continue;
			}
			i += (unsigned)k;
		}
	}
	w->n_tx = 0;
}

static void udp_send(struct io_worker *w, struct io_udp *u, const struct stun_addr *to,
		     const uint8_t *buf, size_t len)
{
	unsigned k;
	uint8_t *slot;
	struct msghdr *h;

	if (len > TURN_SLOT)
		return;
	if (w->n_tx == TURN_BATCH)
		tx_flush(w);
	k = w->n_tx;
	slot = tx_slot(w, k);
	/* Data already in this slot (read from a relay socket) is sent in
	 * place; anything else is copied in. */
	if (!(buf >= slot && buf + len <= slot + TURN_SLOT))
		memcpy(slot, buf, len);
	else
		slot = (uint8_t *)buf;
	w->tx_iov[k].iov_base = slot;
	w->tx_iov[k].iov_len = len;
	h = &w->tx_msgs[k].msg_hdr;
	memset(h, 0, sizeof(*h));
	h->msg_name = &w->tx_addr[k];
	h->msg_namelen = stun_addr_to_sockaddr(to, &w->tx_addr[k]);
	h->msg_iov = &w->tx_iov[k];
	h->msg_iovlen = 1;
	w->tx_fd[k] = u->fd;
	w->n_tx++;
}

/* --- TCP connections -------------------------------------------------------------------------- */

static void tcp_freed(uv_handle_t *h)
{
	struct io_tcp *t = h->data;

	free(t->buf);
	free(t);
}

static void tcp_unlink(struct io_tcp *t)
{
	struct io_worker *w = t->w;

	if (t->pending) {
		t->pending = false;
		turn_src_put(&w->pending, &t->conn.client);
	}
	turn_core_conn_closed(&w->core, &t->conn);
	if (t->prev)
		t->prev->next = t->next;
	else
		w->tcps = t->next;
	if (t->next)
		t->next->prev = t->prev;
}

static void peer_close(struct io_peer *p);

static void tcp_close(struct io_tcp *t)
{
	if (t->closing)
		return;
	t->closing = true;
	tcp_unlink(t);
	if (t->pipe) {
		struct io_peer *p = t->pipe;

		t->pipe = NULL;
		p->data = NULL;
		if (p->t) {
			struct turn_tcp *tt = p->t;

			p->t = NULL;
			turn_core_tcp_closed(&t->w->core, tt);
		}
		peer_close(p);
	}
	if (t->tls)
		cv_tls_close(t->tls); /* tls_closed follows and frees t */
	else
		uv_close((uv_handle_t *)&t->h, tcp_freed);
}

struct tcp_wreq {
	uv_write_t req;
	struct io_tcp *t;
	size_t len;
	uint8_t data[];
};

static void tcp_written(uv_write_t *req, int status)
{
	struct tcp_wreq *wr = (struct tcp_wreq *)req;

	if (!wr->t->closing)
		wr->t->queued -= wr->len;
	free(wr);
}

/* Called from inside the core (while it may still use the allocation), so
 * the close waits for the end of the loop iteration. */
static void tcp_fail(struct io_tcp *t)
{
	if (t->dead || t->closing)
		return;
	t->dead = true;
	t->dnext = t->w->dead;
	t->w->dead = t;
	if (t->tls)
		cv_tls_pause(t->tls, true);
	else
		uv_read_stop((uv_stream_t *)&t->h);
}

static void tcp_send(struct io_tcp *t, const uint8_t *buf, size_t len)
{
	size_t off = 0;
	struct tcp_wreq *wr;

	if (t->closing || t->dead)
		return;
	if (t->tls) {
		/* The TLS layer queues (up to 4 MiB); beyond that the frame is
		 * dropped whole, so the framing survives. */
		int r = cv_tls_write(t->tls, buf, len);

		if (r < 0 && r != -ENOBUFS)
			tcp_fail(t);
		return;
	}
	if (t->queued == 0) {
		uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
		int n = uv_try_write((uv_stream_t *)&t->h, &b, 1);

		if (n == (int)len)
			return;
		if (n < 0 && n != UV_EAGAIN) {
			tcp_fail(t);
			return;
		}
		off = n > 0 ? (size_t)n : 0;
	}
	/* A whole frame may be dropped when the client does not read; a
	 * partly written one must be finished to keep the framing. */
	if (off == 0 && t->queued + len > TCP_QUEUE_MAX)
		return;
	wr = xmalloc(sizeof(*wr) + len - off);
	wr->t = t;
	wr->len = len - off;
	memcpy(wr->data, buf + off, len - off);
	{
		uv_buf_t b = uv_buf_init((char *)wr->data, (unsigned)wr->len);

		if (uv_write(&wr->req, (uv_stream_t *)&t->h, &b, 1, tcp_written) < 0) {
			free(wr);
			tcp_fail(t);
			return;
		}
	}
	t->queued += wr->len;
}

static void tcp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct io_tcp *t = h->data;

	if (t->cap - t->len < 512 && t->cap < TCP_FRAME_MAX) {
		t->cap = t->cap * 2 > TCP_FRAME_MAX ? TCP_FRAME_MAX : t->cap * 2;
		t->buf = xrealloc(t->buf, t->cap);
	}
	*buf = uv_buf_init((char *)t->buf + t->len, (unsigned)(t->cap - t->len));
}

/* --- RFC 6062 peer connections --------------------------------------------------------- */

struct raw_wreq {
	uv_write_t req;
	size_t len;
	size_t *queued;
	uint8_t data[];
};

static void raw_written(uv_write_t *req, int status)
{
	struct raw_wreq *wr = (struct raw_wreq *)req;

	if (status != UV_ECANCELED)
		*wr->queued -= wr->len;
	free(wr);
}

/* Writes a byte stream (no frame may be dropped): try_write, then a copied
 * uv_write; -ENOBUFS past the queue cap. */
static int raw_write(uv_stream_t *st, size_t *queued, const uint8_t *buf, size_t len)
{
	size_t off = 0;
	struct raw_wreq *wr;
	uv_buf_t b;

	if (*queued == 0) {
		int n;

		b = uv_buf_init((char *)buf, (unsigned)len);
		n = uv_try_write(st, &b, 1);
		if (n == (int)len)
			return 0;
		if (n < 0 && n != UV_EAGAIN)
			return n;
		off = n > 0 ? (size_t)n : 0;
	}
	if (*queued + len - off > TCP_QUEUE_MAX)
		return -ENOBUFS;
	wr = xmalloc(sizeof(*wr) + len - off);
	wr->len = len - off;
	wr->queued = queued;
	memcpy(wr->data, buf + off, wr->len);
	b = uv_buf_init((char *)wr->data, (unsigned)wr->len);
	if (uv_write(&wr->req, st, &b, 1, raw_written) < 0) {
		free(wr);
		return -EPIPE;
	}
	*queued += wr->len;
	return 0;
}

static void peer_freed(uv_handle_t *h)
{
	free(h->data);
}

/* Closes a peer connection and the data connection joined to it. */
static void peer_close(struct io_peer *p)
{
	if (p->closing)
		return;
	p->closing = true;
	if (p->data) {
		struct io_tcp *d = p->data;

		p->data = NULL;
		d->pipe = NULL;
		tcp_close(d);
	}
	uv_close((uv_handle_t *)&p->h, peer_freed);
}

/* The peer's side went: the core forgets the connection, both sides close. */
static void peer_gone(struct io_peer *p)
{
	if (p->t) {
		struct turn_tcp *t = p->t;

		p->t = NULL;
		turn_core_tcp_closed(&p->w->core, t);
	}
	peer_close(p);
}

/* Client data to the peer. */
static void peer_send(struct io_peer *p, const uint8_t *buf, size_t len)
{
	if (p->closing)
		return;
	if (raw_write((uv_stream_t *)&p->h, &p->queued, buf, len) < 0)
		peer_gone(p);
}

static void peer_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct io_peer *p = h->data;
	struct io_worker *w = p->w;

	/* The worker's receive area is free between callbacks. */
	*buf = uv_buf_init((char *)w->rx_buf, TURN_BATCH * TURN_SLOT);
}

/* Peer data to the client's data connection. */
static void peer_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct io_peer *p = st->data;
	struct io_tcp *d = p->data;
	int r;

	if (nread < 0) {
		peer_gone(p);
		return;
	}
	if (nread == 0 || !d || d->closing || d->dead)
		return;
	if (d->tls)
		r = cv_tls_write(d->tls, buf->base, (size_t)nread);
	else
		r = raw_write((uv_stream_t *)&d->h, &d->queued, (const uint8_t *)buf->base,
			      (size_t)nread);
	if (r < 0)
		peer_gone(p);
}

static void peer_connected(uv_connect_t *req, int status)
{
	struct io_peer *p = req->data;

	if (!p->t || p->closing)
		return; /* the core gave up on it (closed: UV_ECANCELED) */
	turn_core_set_time(&p->w->core, uv_now(&p->w->loop), p->w->core.wall_s);
	turn_core_tcp_connected(&p->w->core, p->t, status < 0 ? status : 0);
}

static void tcprelay_accept(uv_stream_t *server, int status)
{
	struct io_tcprelay *r = server->data;
	struct io_worker *w = r->w;
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	struct stun_addr peer;
	struct io_peer *p;

	if (status < 0 || !r->a)
		return;
	p = xcalloc(1, sizeof(*p));
	p->w = w;
	uv_tcp_init(&w->loop, &p->h);
	p->h.data = p;
	if (uv_accept(server, (uv_stream_t *)&p->h) < 0 ||
	    uv_tcp_getpeername(&p->h, (struct sockaddr *)&ss, &sl) < 0 ||
	    stun_addr_from_sockaddr((struct sockaddr *)&ss, &peer) < 0) {
		peer_close(p);
		return;
	}
	turn_core_set_time(&w->core, uv_now(&w->loop), w->core.wall_s);
	/* Not read until the client joins a data connection to it. */
	p->t = turn_core_tcp_accepted(&w->core, r->a, &peer, p);
	if (!p->t)
		peer_close(p);
	else
		uv_tcp_nodelay(&p->h, 1);
}

static void tcprelay_freed(uv_handle_t *h)
{
	free(h->data);
}

static int op_tcp_listen(void *io, struct turn_alloc *a, const struct stun_addr *addr)
{
	struct io_worker *w = io;
	struct io_tcprelay *r;
	int fd, e;

	if (w->tcp_ports[addr->port / 8] & (1u << (addr->port % 8)))
		return -EADDRINUSE;
	e = make_socket(addr, addr->port, SOCK_STREAM, true, &fd);
	if (e < 0)
		return e;
	if (listen(fd, 64) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	r = xcalloc(1, sizeof(*r));
	r->a = a;
	r->w = w;
	r->port = addr->port;
	uv_tcp_init(&w->loop, &r->h);
	r->h.data = r;
	if (uv_tcp_open(&r->h, fd) < 0) {
		close(fd);
		uv_close((uv_handle_t *)&r->h, tcprelay_freed);
		return -EIO;
	}
	if (uv_listen((uv_stream_t *)&r->h, 64, tcprelay_accept) < 0) {
		uv_close((uv_handle_t *)&r->h, tcprelay_freed); /* closes fd */
		return -EIO;
	}
	w->tcp_ports[addr->port / 8] |= (uint8_t)(1u << (addr->port % 8));
	a->relay_io = r;
	return 0;
}

static void tcprelay_close(struct io_worker *w, struct turn_alloc *a)
{
	struct io_tcprelay *r = a->relay_io;

	a->relay_io = NULL;
	r->a = NULL;
	w->tcp_ports[r->port / 8] &= (uint8_t)~(1u << (r->port % 8));
	uv_close((uv_handle_t *)&r->h, tcprelay_freed);
}

static int op_tcp_connect(void *io, struct turn_tcp *t)
{
	struct io_worker *w = io;
	struct io_peer *p = xcalloc(1, sizeof(*p));
	struct sockaddr_storage ss;
	int fd, r;

	p->w = w;
	p->t = t;
	t->peer_io = p;
	uv_tcp_init(&w->loop, &p->h);
	p->h.data = p;
	p->creq.data = p;
	/* From the relayed transport address (RFC 6062 section 5.2). */
	r = make_socket(&t->a->relay, t->a->relay.port, SOCK_STREAM, true, &fd);
	if (r < 0)
		return r; /* the core calls tcp_close, which frees p */
	if (uv_tcp_open(&p->h, fd) < 0) {
		close(fd);
		return -EIO;
	}
	uv_tcp_nodelay(&p->h, 1);
	stun_addr_to_sockaddr(&t->peer, &ss);
	return uv_tcp_connect(&p->creq, &p->h, (struct sockaddr *)&ss, peer_connected);
}

static void op_tcp_close(void *io, struct turn_tcp *t)
{
	struct io_peer *p = t->peer_io;

	t->peer_io = NULL;
	if (!p)
		return;
	p->t = NULL;
	peer_close(p);
}

static void op_tcp_bind(void *io, const struct turn_conn *data, struct turn_tcp *t)
{
	struct io_tcp *d = data->io;
	struct io_peer *p = t->peer_io;

	if (!p || p->closing)
		return;
	d->pipe = p;
	p->data = d;
	uv_read_start((uv_stream_t *)&p->h, peer_alloc, peer_read);
}

/*
 * A TCP or TLS connection that holds no allocation (nor is an RFC 6062
 * data connection joined to a peer) counts against the cap of its source
 * IP (max_unauth_conns, 16): beyond it, new connections from that source
 * are closed at once, so one address cannot hold the descriptors and
 * buffers of thousands of idle, unauthenticated connections (DESIGN.md 7;
 * the 60-s idle rule alone would let it keep them that long). It stops
 * counting when it gets an allocation (conn_settle) or closes. TCP and TLS
 * are served by worker 0 only, so one table sees them all.
 */
static bool conn_admit(struct io_worker *w, const struct stun_addr *src)
{
	char a[64];

	if (turn_src_take(&w->pending, src, w->core.cfg->max_unauth_conns))
		return true;
	w->core.stats.conns_refused++;
	if (!w->refused_logged_ms || uv_now(&w->loop) - w->refused_logged_ms >= 1000) {
		w->refused_logged_ms = uv_now(&w->loop);
		stun_ip_format(src, a, sizeof(a));
		cv_warn("closed a connection from %s: %u connections without an allocation", a,
			w->core.cfg->max_unauth_conns);
	}
	return false;
}

static void conn_settle(struct io_tcp *t)
{
	if (t->pending && (t->pipe || turn_core_find(&t->w->core, &t->conn))) {
		t->pending = false;
		turn_src_put(&t->w->pending, &t->conn.client);
	}
}

/* Cuts the frames buffered on t and hands them to the core. */
static void conn_feed(struct io_tcp *t)
{
	struct io_worker *w = t->w;
	size_t off = 0;

	turn_core_set_time(&w->core, uv_now(&w->loop), w->core.wall_s);
	while (!t->closing && !t->dead) {
		long f = turn_frame_len(t->buf + off, t->len - off);

		if (f < 0) {
			/* Neither STUN nor ChannelData: the stream is lost. */
			tcp_close(t);
			return;
		}
		if (f == 0 || (size_t)f > t->len - off) {
			if (f > 0 && (size_t)f > t->cap) {
				t->cap = (size_t)f;
				t->buf = xrealloc(t->buf, t->cap);
			}
			break;
		}
		turn_core_input(&w->core, &t->conn, t->buf + off, (size_t)f);
		off += (size_t)f;
		if (t->pipe) {
			/* ConnectionBind succeeded: the rest is the peer's. */
			conn_settle(t);
			if (t->len > off)
				peer_send(t->pipe, t->buf + off, t->len - off);
			t->len = 0;
			return;
		}
	}
	if (t->closing || t->dead)
		return;
	conn_settle(t);
	if (off) {
		memmove(t->buf, t->buf + off, t->len - off);
		t->len -= off;
	}
}

static void tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct io_tcp *t = s->data;

	if (nread < 0) {
		tcp_close(t);
		return;
	}
	if (nread == 0)
		return;
	if (t->pipe) {
		peer_send(t->pipe, (const uint8_t *)buf->base, (size_t)nread);
		return;
	}
	t->len += (size_t)nread;
	conn_feed(t);
}

static struct io_tcp *conn_new(struct io_worker *w, uint8_t transport,
			       const struct stun_addr *local)
{
	struct io_tcp *t = xcalloc(1, sizeof(*t));

	t->w = w;
	t->conn.transport = transport;
	t->conn.io = t;
	t->conn.local = *local;
	t->cap = 2048;
	t->buf = xmalloc(t->cap);
	t->since_ms = uv_now(&w->loop);
	return t;
}

static void conn_link(struct io_tcp *t)
{
	struct io_worker *w = t->w;

	t->next = w->tcps;
	if (w->tcps)
		w->tcps->prev = t;
	w->tcps = t;
}

/* --- TLS connections (certs/tls.h) ------------------------------------------------------ */

static void free_handle(uv_handle_t *h)
{
	free(h);
}

static void tls_handshake(struct cv_tls_conn *c, int status, void *arg)
{
	/* A failed handshake closes by itself; tls_closed follows. */
}

static void tls_data(struct cv_tls_conn *c, const uint8_t *buf, size_t len, void *arg)
{
	struct io_tcp *t = arg;

	if (t->closing || t->dead)
		return;
	if (t->pipe) {
		peer_send(t->pipe, buf, len);
		return;
	}
	if (t->len + len > TLS_BUF_MAX) {
		tcp_close(t);
		return;
	}
	if (t->len + len > t->cap) {
		t->cap = t->len + len;
		t->buf = xrealloc(t->buf, t->cap);
	}
	memcpy(t->buf + t->len, buf, len);
	t->len += len;
	conn_feed(t);
}

static void tls_closed(struct cv_tls_conn *c, int status, void *arg)
{
	struct io_tcp *t = arg;

	if (!t->closing) {
		t->closing = true;
		tcp_unlink(t);
	}
	if (t->dead) {
		/* Still queued for the end of the iteration: unlink it. */
		for (struct io_tcp **pp = &t->w->dead; *pp; pp = &(*pp)->dnext) {
			if (*pp == t) {
				*pp = t->dnext;
				break;
			}
		}
	}
	free(t->buf);
	free(t);
}

static const struct cv_tls_conn_ops tls_ops = {
	.on_handshake = tls_handshake,
	.on_read = tls_data,
	.on_close = tls_closed,
};

static void tls_accept(uv_stream_t *server, int status)
{
	struct io_tcpl *l = server->data;
	struct io_worker *w = l->w;
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	uv_tcp_t *tcp;
	struct io_tcp *t;
	static const gnutls_datum_t alpn = { (unsigned char *)"stun.turn", 9 };

	if (status < 0)
		return;
	tcp = xmalloc(sizeof(*tcp));
	uv_tcp_init(&w->loop, tcp);
	if (uv_accept(server, (uv_stream_t *)tcp) < 0) {
		uv_close((uv_handle_t *)tcp, free_handle);
		return;
	}
	uv_tcp_nodelay(tcp, 1);
	t = conn_new(w, TURN_TLS, &l->local);
	if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &sl) < 0 ||
	    stun_addr_from_sockaddr((struct sockaddr *)&ss, &t->conn.client) < 0 ||
	    !conn_admit(w, &t->conn.client)) {
		uv_close((uv_handle_t *)tcp, free_handle);
		free(t->buf);
		free(t);
		return;
	}
	sl = sizeof(ss);
	if (uv_tcp_getsockname(tcp, (struct sockaddr *)&ss, &sl) == 0)
		stun_addr_from_sockaddr((struct sockaddr *)&ss, &t->conn.local);
	/* The TLS layer owns tcp from here, also on failure. */
	if (cv_tls_conn_new(tcp, w->creds, true, NULL, &tls_ops, t, &t->tls) < 0) {
		turn_src_put(&w->pending, &t->conn.client);
		free(t->buf);
		free(t);
		return;
	}
	t->pending = true;
	/* RFC 7443: ALPN "stun.turn" when the client offers it. */
	gnutls_alpn_set_protocols(cv_tls_conn_session(t->tls), &alpn, 1, 0);
	conn_link(t);
}

static void tcp_accept(uv_stream_t *server, int status)
{
	struct io_tcpl *l = server->data;
	struct io_worker *w = l->w;
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	struct io_tcp *t;

	if (status < 0)
		return;
	t = conn_new(w, TURN_TCP, &l->local);
	uv_tcp_init(&w->loop, &t->h);
	t->h.data = t;
	if (uv_accept(server, (uv_stream_t *)&t->h) < 0 ||
	    uv_tcp_getpeername(&t->h, (struct sockaddr *)&ss, &sl) < 0 ||
	    stun_addr_from_sockaddr((struct sockaddr *)&ss, &t->conn.client) < 0 ||
	    !conn_admit(w, &t->conn.client)) {
		uv_close((uv_handle_t *)&t->h, tcp_freed);
		return;
	}
	t->pending = true;
	uv_tcp_nodelay(&t->h, 1);
	sl = sizeof(ss);
	if (uv_tcp_getsockname(&t->h, (struct sockaddr *)&ss, &sl) == 0)
		stun_addr_from_sockaddr((struct sockaddr *)&ss, &t->conn.local);
	conn_link(t);
	uv_read_start((uv_stream_t *)&t->h, tcp_alloc, tcp_read);
}

/* --- the core's callbacks ----------------------------------------------------------------------- */

static int relay_register(struct io_worker *w, struct turn_alloc *a, int fd)
{
	struct io_relay *r = xcalloc(1, sizeof(*r));
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = r};

	r->fd = fd;
	r->a = a;
	r->w = w;
	if (epoll_ctl(w->relay_ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = -errno;

		free(r);
		return e;
	}
	a->relay_io = r;
	return 0;
}

static int op_relay_open(void *io, struct turn_alloc *a, const struct stun_addr *addr)
{
	struct io_worker *w = io;
	int fd, r = make_socket(addr, addr->port, SOCK_DGRAM, false, &fd);

	if (r < 0)
		return r;
	if (a->dont_fragment && addr->family == AF_INET) {
		int v = IP_PMTUDISC_DO;

		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
	}
	r = relay_register(w, a, fd);
	if (r < 0)
		close(fd);
	return r;
}

static int op_relay_adopt(void *io, struct turn_alloc *a, int fd)
{
	return relay_register(io, a, fd);
}

static void op_relay_close(void *io, struct turn_alloc *a)
{
	struct io_relay *r = a->relay_io;

	if (!r)
		return;
	if (a->tcp) {
		tcprelay_close(io, a);
		return;
	}
	a->relay_io = NULL;
	r->a = NULL;
	/* Leaves the epoll set with the descriptor; the struct may still be
	 * named by an event of the batch being handled. */
	close(r->fd);
	r->fd = -1;
	r->dnext = r->w->relay_dead;
	r->w->relay_dead = r;
}

static void relay_reap(struct io_worker *w)
{
	while (w->relay_dead) {
		struct io_relay *r = w->relay_dead;

		w->relay_dead = r->dnext;
		free(r);
	}
}

static void op_send_client(void *io, const struct turn_conn *c, const uint8_t *buf, size_t len)
{
	struct io_worker *w = io;

	if (c->transport == TURN_UDP)
		udp_send(w, c->io, &c->client, buf, len);
	else
		tcp_send(c->io, buf, len);
}

static void op_send_peer(void *io, struct turn_alloc *a, const struct stun_addr *peer,
			 const uint8_t *buf, size_t len)
{
	struct io_relay *r = a->relay_io;
	struct sockaddr_storage ss;
	socklen_t sl;

	if (!r)
		return;
	sl = stun_addr_to_sockaddr(peer, &ss);
	/* Dropped if the socket buffer is full, like any UDP datagram. */
	(void)!sendto(r->fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl);
}

static int op_reserve_port(void *io, const struct stun_addr *addr)
{
	int fd, r = make_socket(addr, addr->port, SOCK_DGRAM, false, &fd);

	return r < 0 ? r : fd;
}

static void op_close_fd(void *io, int fd)
{
	close(fd);
}

static const struct turn_io_ops io_ops = {
	.relay_open = op_relay_open,
	.relay_adopt = op_relay_adopt,
	.relay_close = op_relay_close,
	.send_client = op_send_client,
	.send_peer = op_send_peer,
	.reserve_port = op_reserve_port,
	.close_fd = op_close_fd,
	.tcp_listen = op_tcp_listen,
	.tcp_connect = op_tcp_connect,
	.tcp_close = op_tcp_close,
	.tcp_bind = op_tcp_bind,
};

/* --- the data paths ------------------------------------------------------------------------------ */

static void relay_read(struct io_worker *w, struct io_relay *r)
{
	for (int round = 0; round < 4 && r->a; round++) {
		unsigned base, room;
		int n;

		if (TURN_BATCH - w->n_tx < 8)
			tx_flush(w);
		base = w->n_tx;
		room = TURN_BATCH - base;
		if (room > 16)
			room = 16;
		for (unsigned i = 0; i < room; i++) {
			struct msghdr *h = &w->prx_msgs[i].msg_hdr;

			w->prx_iov[i].iov_base = tx_slot(w, base + i) + TURN_HEADROOM;
			w->prx_iov[i].iov_len = SLOT_DATA;
			memset(h, 0, sizeof(*h));
			h->msg_name = &w->prx_addr[i];
			h->msg_namelen = sizeof(w->prx_addr[i]);
			h->msg_iov = &w->prx_iov[i];
			h->msg_iovlen = 1;
		}
		n = recvmmsg(r->fd, w->prx_msgs, room, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (int i = 0; i < n && r->a; i++) {
			struct stun_addr peer;

			if (w->prx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			if (stun_addr_from_sockaddr((struct sockaddr *)&w->prx_addr[i], &peer) < 0)
				continue;
			turn_core_peer_input(&w->core, r->a, &peer,
					     tx_slot(w, base + (unsigned)i) + TURN_HEADROOM,
					     w->prx_msgs[i].msg_len);
		}
		if ((unsigned)n < room)
			break;
	}
}

/* The relay epoll set is readable: read every ready relay socket. */
static void relays_ready(uv_poll_t *p, int status, int events)
{
	struct io_worker *w = p->data;
	struct epoll_event ev[TURN_BATCH];
	int n;

	if (status < 0)
		return;
	turn_core_set_time(&w->core, uv_now(&w->loop), w->core.wall_s);
	n = epoll_wait(w->relay_ep, ev, TURN_BATCH, 0);
	for (int i = 0; i < n; i++) {
		struct io_relay *r = ev[i].data.ptr;

		if (r->a)
			relay_read(w, r);
	}
	/* Relays closed meanwhile are freed by on_flush, after the poll phase. */
}

static void udp_read(uv_poll_t *p, int status, int events)
{
	struct io_udp *u = p->data;
	struct io_worker *w = u->w;
	struct turn_conn conn;

	if (status < 0)
		return;
	turn_core_set_time(&w->core, uv_now(&w->loop), w->core.wall_s);
	memset(&conn, 0, sizeof(conn));
	conn.transport = TURN_UDP;
	conn.local = u->local;
	conn.io = u;
	for (int round = 0; round < 8; round++) {
		int n;

		for (unsigned i = 0; i < TURN_BATCH; i++) {
			struct msghdr *h = &w->rx_msgs[i].msg_hdr;

			h->msg_namelen = sizeof(w->rx_addr[i]);
			h->msg_flags = 0;
		}
		n = recvmmsg(u->fd, w->rx_msgs, TURN_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			if (w->rx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			if (stun_addr_from_sockaddr((struct sockaddr *)&w->rx_addr[i],
						    &conn.client) < 0)
				continue;
			turn_core_input(&w->core, &conn, w->rx_buf + (size_t)i * TURN_SLOT,
					w->rx_msgs[i].msg_len);
		}
		if (n < TURN_BATCH)
			break;
	}
}

static void on_flush(uv_check_t *h)
{
	struct io_worker *w = h->data;

	if (w->n_tx)
		tx_flush(w);
	relay_reap(w);
	while (w->dead) {
		struct io_tcp *t = w->dead;

		w->dead = t->dnext;
		tcp_close(t);
	}
}

static void on_tick(uv_timer_t *h)
{
	struct io_worker *w = h->data;

	turn_core_set_time(&w->core, uv_now(&w->loop), (uint64_t)time(NULL));
	turn_core_tick(&w->core);
	for (struct io_tcp *t = w->tcps, *n; t; t = n) {
		n = t->next;
		if (t->pipe || turn_core_find(&w->core, &t->conn))
			t->since_ms = w->core.now_ms;
		else if (w->core.now_ms - t->since_ms > CONN_IDLE_MS)
			tcp_close(t);
	}
}

static void close_cb_noop(uv_handle_t *h)
{
}

static void on_stop(uv_async_t *h)
{
	struct io_worker *w = h->data;

	if (w->n_tx)
		tx_flush(w);
	w->dead = NULL;
	while (w->tcps)
		tcp_close(w->tcps);
	turn_core_free(&w->core);
	relay_reap(w);
	uv_poll_stop(&w->relay_poll);
	uv_close((uv_handle_t *)&w->relay_poll, close_cb_noop);
	for (size_t i = 0; i < w->n_listen; i++) {
		if (w->udp[i].fd >= 0) {
			uv_poll_stop(&w->udp[i].poll);
			uv_close((uv_handle_t *)&w->udp[i].poll, close_cb_noop);
		}
		if (w->tcpl[i].fd >= 0)
			uv_close((uv_handle_t *)&w->tcpl[i].h, close_cb_noop);
		if (w->tlsl[i].fd >= 0)
			uv_close((uv_handle_t *)&w->tlsl[i].h, close_cb_noop);
	}
	uv_close((uv_handle_t *)&w->tick, close_cb_noop);
	uv_close((uv_handle_t *)&w->flush, close_cb_noop);
	uv_close((uv_handle_t *)&w->stop, close_cb_noop);
}

static void *worker_main(void *arg)
{
	struct io_worker *w = arg;

	uv_run(&w->loop, UV_RUN_DEFAULT);
	return NULL;
}

/* --- server -------------------------------------------------------------------------------------- */

int turn_server_bind(const struct turn_config *cfg, struct turn_shared *shared,
		     struct turn_server **ret, char *err, size_t errlen)
{
	struct turn_server *s = xcalloc(1, sizeof(*s));
	unsigned span = (unsigned)(cfg->port_hi - cfg->port_lo) + 1;
	int r;

	s->cfg = cfg;
	s->shared = shared;
	s->n_workers = cfg->workers;
	s->workers = xcalloc(s->n_workers, sizeof(*s->workers));
	for (unsigned i = 0; i < s->n_workers; i++) {
		struct io_worker *w = &s->workers[i];

		w->id = i;
		w->n_listen = cfg->n_listen;
		w->udp = xcalloc(cfg->n_listen, sizeof(*w->udp));
		w->tcpl = xcalloc(cfg->n_listen, sizeof(*w->tcpl));
		w->tlsl = xcalloc(cfg->n_listen, sizeof(*w->tlsl));
		for (size_t k = 0; k < cfg->n_listen; k++)
			w->udp[k].fd = w->tcpl[k].fd = w->tlsl[k].fd = -1;
	}
	for (unsigned i = 0; i < s->n_workers; i++) {
		struct io_worker *w = &s->workers[i];

		for (size_t k = 0; k < cfg->n_listen; k++) {
			char a[64];
			int big = 4 << 20;

			stun_addr_format(&cfg->listen[k], a, sizeof(a));
			r = make_socket(&cfg->listen[k], cfg->port, SOCK_DGRAM, true,
					&w->udp[k].fd);
			if (r < 0) {
				snprintf(err, errlen, "cannot bind UDP %s port %u: %s", a,
					 cfg->port, strerror(-r));
				goto fail;
			}
			/* Room for bursts: as root the size may pass rmem_max. */
			if (setsockopt(w->udp[k].fd, SOL_SOCKET, SO_RCVBUFFORCE, &big,
				       sizeof(big)) < 0)
				setsockopt(w->udp[k].fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
			if (setsockopt(w->udp[k].fd, SOL_SOCKET, SO_SNDBUFFORCE, &big,
				       sizeof(big)) < 0)
				setsockopt(w->udp[k].fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
			w->udp[k].local = cfg->listen[k];
			w->udp[k].local.port = cfg->port;
			/* TCP and TLS clients all go to worker 0: RFC 6062 data
			 * connections must meet their control connection's
			 * allocation on one loop. */
			if (i > 0)
				continue;
			r = make_socket(&cfg->listen[k], cfg->port, SOCK_STREAM, true,
					&w->tcpl[k].fd);
			if (r == 0 && listen(w->tcpl[k].fd, 1024) < 0)
				r = -errno;
			if (r < 0) {
				snprintf(err, errlen, "cannot bind TCP %s port %u: %s", a,
					 cfg->port, strerror(-r));
				goto fail;
			}
			w->udp[k].local = w->tcpl[k].local = cfg->listen[k];
			w->udp[k].local.port = w->tcpl[k].local.port = cfg->port;
			if (!cfg->tls_port)
				continue;
			r = make_socket(&cfg->listen[k], cfg->tls_port, SOCK_STREAM, true,
					&w->tlsl[k].fd);
			if (r == 0 && listen(w->tlsl[k].fd, 1024) < 0)
				r = -errno;
			if (r < 0) {
				snprintf(err, errlen, "cannot bind TLS %s port %u: %s", a,
					 cfg->tls_port, strerror(-r));
				goto fail;
			}
			w->tlsl[k].local = cfg->listen[k];
			w->tlsl[k].local.port = cfg->tls_port;
		}
		/* One set of credentials per worker: their reference counts
		 * belong to one thread each. Loaded before privileges go. */
		if (cfg->tls_port && i == 0) {
			char why[256];

			r = cv_tls_creds_load(cfg->tls, &w->creds, why, sizeof(why));
			if (r < 0) {
				snprintf(err, errlen, "TLS on port %u: %s", cfg->tls_port, why);
				goto fail;
			}
		}
		(void)span;
	}
	*ret = s;
	return 0;
fail:
	turn_server_stop(s);
	return r;
}

int turn_server_start(struct turn_server *s)
{
	const struct turn_config *cfg = s->cfg;
	unsigned span = (unsigned)(cfg->port_hi - cfg->port_lo) + 1;

	for (unsigned i = 0; i < s->n_workers; i++) {
		struct io_worker *w = &s->workers[i];
		unsigned lo = cfg->port_lo + span * i / s->n_workers;
		unsigned hi = cfg->port_lo + span * (i + 1) / s->n_workers - 1;
		int r;

		uv_loop_init(&w->loop);
		w->rx_buf = xcalloc(TURN_BATCH, TURN_SLOT);
		w->tx_buf = xcalloc(TURN_BATCH, TURN_SLOT);
		for (unsigned k = 0; k < TURN_BATCH; k++) {
			struct msghdr *h = &w->rx_msgs[k].msg_hdr;

			w->rx_iov[k].iov_base = w->rx_buf + (size_t)k * TURN_SLOT;
			w->rx_iov[k].iov_len = TURN_SLOT;
			h->msg_name = &w->rx_addr[k];
			h->msg_namelen = sizeof(w->rx_addr[k]);
			h->msg_iov = &w->rx_iov[k];
			h->msg_iovlen = 1;
		}
		w->relay_ep = epoll_create1(EPOLL_CLOEXEC);
		if (w->relay_ep < 0) {
			cv_err("worker %u: epoll_create1: %s", i, strerror(errno));
			return -errno;
		}
		uv_poll_init(&w->loop, &w->relay_poll, w->relay_ep);
		w->relay_poll.data = w;
		uv_poll_start(&w->relay_poll, UV_READABLE, relays_ready);
		turn_core_init(&w->core, cfg, s->shared, &io_ops, w, (uint16_t)lo, (uint16_t)hi);
		turn_core_set_time(&w->core, uv_now(&w->loop), (uint64_t)time(NULL));
		for (size_t k = 0; k < w->n_listen; k++) {
			w->udp[k].w = w;
			uv_poll_init(&w->loop, &w->udp[k].poll, w->udp[k].fd);
			w->udp[k].poll.data = &w->udp[k];
			uv_poll_start(&w->udp[k].poll, UV_READABLE, udp_read);
			if (w->tcpl[k].fd < 0)
				continue;
			w->tcpl[k].w = w;
			uv_tcp_init(&w->loop, &w->tcpl[k].h);
			w->tcpl[k].h.data = &w->tcpl[k];
			uv_tcp_open(&w->tcpl[k].h, w->tcpl[k].fd);
			r = uv_listen((uv_stream_t *)&w->tcpl[k].h, 1024, tcp_accept);
			if (r < 0)
				cv_err("worker %u: cannot listen on TCP: %s", i, uv_strerror(r));
			if (w->tlsl[k].fd < 0)
				continue;
			w->tlsl[k].w = w;
			uv_tcp_init(&w->loop, &w->tlsl[k].h);
			w->tlsl[k].h.data = &w->tlsl[k];
			uv_tcp_open(&w->tlsl[k].h, w->tlsl[k].fd);
			r = uv_listen((uv_stream_t *)&w->tlsl[k].h, 1024, tls_accept);
			if (r < 0)
				cv_err("worker %u: cannot listen on TLS: %s", i, uv_strerror(r));
		}
		uv_timer_init(&w->loop, &w->tick);
		w->tick.data = w;
		uv_timer_start(&w->tick, on_tick, 1000, 1000);
		uv_check_init(&w->loop, &w->flush);
		w->flush.data = w;
		uv_check_start(&w->flush, on_flush);
		uv_async_init(&w->loop, &w->stop, on_stop);
		w->stop.data = w;
		r = pthread_create(&w->thread, NULL, worker_main, w);
		if (r) {
			cv_err("cannot start worker %u: %s", i, strerror(r));
			return -r;
		}
		w->started = true;
	}
	return 0;
}

void turn_server_stop(struct turn_server *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n_workers; i++) {
		struct io_worker *w = &s->workers[i];

		if (w->started)
			uv_async_send(&w->stop);
	}
	for (unsigned i = 0; i < s->n_workers; i++) {
		struct io_worker *w = &s->workers[i];

		if (w->started) {
			pthread_join(w->thread, NULL);
			uv_loop_close(&w->loop);
			close(w->relay_ep);
		} else {
			/* Never started: only the bound sockets to close. */
			for (size_t k = 0; k < w->n_listen; k++) {
				if (w->udp[k].fd >= 0)
					close(w->udp[k].fd);
				if (w->tcpl[k].fd >= 0)
					close(w->tcpl[k].fd);
				if (w->tlsl[k].fd >= 0)
					close(w->tlsl[k].fd);
			}
		}
		if (w->creds)
			cv_tls_creds_unref(w->creds);
		turn_src_free(&w->pending);
		free(w->udp);
		free(w->tcpl);
		free(w->tlsl);
		free(w->rx_buf);
		free(w->tx_buf);
	}
	/* The workers are gone: their counters can be read. */
	if (s->n_workers && s->workers[0].started) {
		struct turn_stats st;
		size_t live;

		turn_server_stats(s, &st, &live);
		cv_info("stopped: %llu allocations made, %llu refused peers, %llu authentication "
			"failures, %llu malformed messages",
			(unsigned long long)st.allocs, (unsigned long long)st.denied_peers,
			(unsigned long long)st.auth_failures, (unsigned long long)st.bad_messages);
	}
	/* Reservations nobody claimed hold sockets. */
	pthread_mutex_lock(&s->shared->lock);
	for (struct turn_reservation *r = s->shared->resv; r; r = r->next)
		close(r->fd);
	pthread_mutex_unlock(&s->shared->lock);
	free(s->workers);
	free(s);
}

void turn_server_stats(struct turn_server *s, struct turn_stats *ret, size_t *ret_allocs)
{
	memset(ret, 0, sizeof(*ret));
	*ret_allocs = 0;
	for (unsigned i = 0; i < s->n_workers; i++) {
		const struct turn_stats *t = &s->workers[i].core.stats;

		ret->allocs += t->allocs;
		ret->allocs_deleted += t->allocs_deleted;
		ret->allocs_expired += t->allocs_expired;
		ret->denied_peers += t->denied_peers;
		ret->challenges += t->challenges;
		ret->challenges_dropped += t->challenges_dropped;
		ret->unanswered += t->unanswered;
		ret->conns_refused += t->conns_refused;
		ret->bad_messages += t->bad_messages;
		ret->auth_failures += t->auth_failures;
		*ret_allocs += s->workers[i].core.n_allocs;
	}
}
