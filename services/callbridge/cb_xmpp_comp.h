/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The call bridge's XEP-0114 component client, sans-I/O (issue 11,
 * spec/xmpp.md 1.2, 1.3). The I/O layer (TLS over libuv, a later
 * increment) calls cb_xmpp_comp_start() once the TLS session is up, hands
 * every byte it reads to cb_xmpp_comp_feed() (split anywhere), writes what
 * cb_xmpp_comp_out() holds, and calls cb_xmpp_comp_tick() at
 * cb_xmpp_comp_deadline() for the keep-alive and the handshake timeout.
 * Time is passed in (milliseconds, any monotonic origin).
 *
 * The server's bytes are read by a small strict scanner of our own
 * (cb_xmpp_comp.c): restricted XML only (no comments, PIs other than the
 * XML declaration, DTDs or CDATA), the five predefined entities and
 * character references, matched end tags, a depth cap and a size cap on
 * the pending element. It is kept behind this interface so that it can be
 * replaced by the shared libexpat stream parser of services/xmpp/ when
 * that lands.
 *
 * Also here: the reconnect back-off schedule and the rotation over the
 * server targets (one server at a time, the next one in SRV order on loss).
 */
#ifndef CB_XMPP_COMP_H
#define CB_XMPP_COMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"

#define CB_XMPP_NS_COMPONENT "jabber:component:accept"
#define CB_XMPP_NS_STREAM "http://etherx.jabber.org/streams"
#define CB_XMPP_NS_STREAMS_ERR "urn:ietf:params:xml:ns:xmpp-streams"

/* Largest element (stream header, one stanza) the scanner holds. prosody's
 * component stanza limit is 512 KiB; the call bridge's traffic is small
 * IQs, so 64 KiB. */
#define CB_XMPP_ELEMENT_MAX 65536
#define CB_XMPP_DEPTH_MAX 32
#define CB_XMPP_NAME_MAX 64
#define CB_XMPP_ID_MAX 128
#define CB_XMPP_SECRET_MAX 256
#define CB_XMPP_TEXT_MAX 256

enum cb_xmpp_state {
	CB_XMPP_IDLE,		 /* before cb_xmpp_comp_start() */
	CB_XMPP_AWAIT_HEADER,	 /* our header sent, waiting for the server's */
	CB_XMPP_AWAIT_HANDSHAKE, /* <handshake> sent */
	CB_XMPP_CONNECTED,	 /* <handshake/> received: registered */
	CB_XMPP_FAILED,		 /* see reason, condition, text */
	CB_XMPP_CLOSED,		 /* stream closed by either side, no error */
};

/*
 * Why the link is not up, as /system/status and Web Admin will show it
 * (spec/api.md gives no XMPP status fields: these names are ours, in the
 * API's camelCase; CMS's status page says "authentication failure" for a
 * bad secret, spec/xmpp.md 1.1). The resolver/TLS ones are set by the I/O
 * layer, the rest by this state machine.
 */
enum cb_xmpp_reason {
	CB_XMPP_R_NONE,
	CB_XMPP_R_NOT_CONFIGURED,  /* uniqueName, domain or secret missing */
	CB_XMPP_R_DNS_FAILURE,	   /* no SRV record, or no address for a target */
	CB_XMPP_R_CONNECT_FAILURE, /* TCP connect refused / unreachable */
	CB_XMPP_R_TLS_FAILURE,	   /* handshake or certificate check failed */
	CB_XMPP_R_AUTH_FAILURE,	   /* stream error before <handshake/> */
	CB_XMPP_R_PROTOCOL_ERROR,  /* the server's bytes broke the rules */
	CB_XMPP_R_TIMEOUT,	   /* no <handshake/> in time */
	CB_XMPP_R_CONNECTION_LOST, /* an established link ended */
	CB_XMPP_R_COUNT
};

/* "authenticationFailure", ...; "" for NONE. */
const char *cb_xmpp_reason_name(enum cb_xmpp_reason r);
/* "authentication failure", ... for log lines and Web Admin. */
const char *cb_xmpp_reason_text(enum cb_xmpp_reason r);
const char *cb_xmpp_state_name(enum cb_xmpp_state s);

/*
 * The link's status in words for Web Admin (Status > General), from the
 * fields /system/status shows (cb_api.h): state ("idle", "resolving",
 * "connecting", "connected", "retrying", or "" when no link runs), server
 * "host:port", its address, the reason's API name and the detail. Pure.
 */
void cb_xmpp_status_text(const char *state, const char *server, const char *address,
			 const char *reason, const char *detail, char *buf, size_t len);

/*
 * RFC 6120 4.9.3 condition name -> reason for a stream error, given whether
 * the link was already registered: every error before <handshake/> is an
 * authentication failure (spec/xmpp.md 1.3: prosody says host-unknown or
 * conflict at header time, ejabberd not-authorized after the handshake);
 * afterwards the link is lost. Unknown names count as undefined-condition.
 */
enum cb_xmpp_reason cb_xmpp_error_reason(const char *condition, bool registered);

struct cb_xmpp_comp_cfg {
	const char *unique_name; /* the call bridge's name, with or without domain */
	const char *domain;	 /* the XMPP domain */
	const char *secret;	 /* shared secret; never logged */
	uint32_t keepalive_ms;	 /* whitespace ping after this long without output; 0: 60 s */
	uint32_t handshake_ms;	 /* max time from start to <handshake/>; 0: 30 s */
	/* Called for each complete top-level stanza once registered, with
	 * its raw bytes (borrowed) and element name; may be NULL. */
	void (*on_stanza)(void *arg, const char *name, const char *xml, size_t len);
	void *arg;
};

struct cb_xmpp_tag {
	char name[CB_XMPP_NAME_MAX + 1];
};

/* One component stream. Members are read-only for callers. */
struct cb_xmpp_comp {
	enum cb_xmpp_state state;
	enum cb_xmpp_reason reason;
	char condition[CB_XMPP_NAME_MAX + 1];	  /* stream error condition, or "" */
	char text[CB_XMPP_TEXT_MAX + 1];	  /* its <text>, or our explanation */
	char component[CB_XMPP_NAME_MAX * 4 + 2]; /* the stream 'to': name.domain */
	char stream_id[CB_XMPP_ID_MAX + 1];
	char secret[CB_XMPP_SECRET_MAX + 1];
	uint32_t keepalive_ms, handshake_ms;
	uint64_t started_ms, last_out_ms;
	void (*on_stanza)(void *arg, const char *name, const char *xml, size_t len);
	void *arg;

	struct strbuf out;

	/* The scanner: in[0..in_len) is unconsumed input, the element being
	 * read starts at in[0] (depth >= 2) or the next token does. */
	char *in;
	size_t in_len, scan;
	unsigned depth;
	bool seen_token; /* any token yet: the XML declaration must be first */
	struct cb_xmpp_tag open[CB_XMPP_DEPTH_MAX];
	/* About the top-level element being read (depth 2 in XML terms). */
	bool in_error;
	bool in_error_text;
	struct strbuf etext;
};

/*
 * Checks the settings and sets c up (state IDLE). -EINVAL with the reason
 * NOT_CONFIGURED and a message in c->text for a missing or malformed
 * name, domain or secret; c must still be released with
 * cb_xmpp_comp_free().
 */
int cb_xmpp_comp_init(struct cb_xmpp_comp *c, const struct cb_xmpp_comp_cfg *cfg);
void cb_xmpp_comp_free(struct cb_xmpp_comp *c);

/* Queues our stream header (state AWAIT_HEADER). -EALREADY if not IDLE. */
int cb_xmpp_comp_start(struct cb_xmpp_comp *c, uint64_t now_ms);

/*
 * Consumes len bytes from the server. 0 while the stream is fine (check
 * c->state for CONNECTED / CLOSED); -EPROTO once it has failed (state
 * FAILED, reason/condition/text say why, a closing tag is queued); -EPIPE
 * for bytes after the stream ended. Nothing of a failed stream is kept.
 */
int cb_xmpp_comp_feed(struct cb_xmpp_comp *c, const void *buf, size_t len, uint64_t now_ms);

/* Keep-alive and handshake timeout; call at cb_xmpp_comp_deadline(). */
void cb_xmpp_comp_tick(struct cb_xmpp_comp *c, uint64_t now_ms);
/* When tick wants to run next, or UINT64_MAX. */
uint64_t cb_xmpp_comp_deadline(const struct cb_xmpp_comp *c);

/* Ends the stream from our side: queues </stream:stream>, state CLOSED. */
void cb_xmpp_comp_close(struct cb_xmpp_comp *c);
/* Marks a stream whose transport failed or ended (set by the I/O layer). */
void cb_xmpp_comp_fail(struct cb_xmpp_comp *c, enum cb_xmpp_reason r, const char *text);

/* Queues a stanza of ours (written by the caller, e.g. an answer of
 * cb_xmpp_resp) once registered; -ENOTCONN otherwise. */
int cb_xmpp_comp_send(struct cb_xmpp_comp *c, const char *xml, size_t len, uint64_t now_ms);

/* Bytes to send (borrowed, valid until the next call on c), then mark them
 * sent with cb_xmpp_comp_sent(). */
const char *cb_xmpp_comp_out(const struct cb_xmpp_comp *c, size_t *ret_len);
void cb_xmpp_comp_sent(struct cb_xmpp_comp *c, uint64_t now_ms);

/*
 * XEP-0114 handshake value: lowercase hex SHA-1 of the stream id followed
 * by the secret, each with the predefined XML entities escaped. hex has
 * room for 41 bytes. -EINVAL for an over-long id or secret.
 */
int cb_xmpp_handshake_digest(const char *id, const char *secret, char hex[41]);

/*
 * Reconnect back-off: attempt 0, 1, 2... (consecutive failed rounds) ->
 * delay in ms: base << attempt, capped at cap, then "equal jitter": half
 * of it fixed, the other half scaled by rnd / UINT32_MAX. Pure.
 */
struct cb_xmpp_backoff {
	uint32_t base_ms; /* 0: 1 s */
	uint32_t cap_ms;  /* 0: 60 s */
};
uint32_t cb_xmpp_backoff_ms(const struct cb_xmpp_backoff *b, unsigned attempt, uint32_t rnd);

/*
 * One server at a time over an ordered target list (spec/xmpp.md 1.1:
 * "A Call Bridge only connects to one XMPP server at a time"; 1.5: on a
 * failure try the next candidate). A round tries each target once, in
 * order; when the round is used up the caller waits the back-off for
 * `failed_rounds`, resolves again and starts a new round. After the link
 * to target i is lost, the next round starts at i + 1 (the next server in
 * SRV order) and ends with i.
 */
struct cb_xmpp_rotation {
	size_t n;		/* targets in the list */
	size_t next;		/* the index to try next */
	size_t left;		/* attempts left in this round */
	size_t current;		/* the index last handed out */
	unsigned failed_rounds; /* rounds without a registration, for the back-off */
};
void cb_xmpp_rot_start(struct cb_xmpp_rotation *r, size_t n);
/* The next target index; -ENOENT when this round is used up (then
 * failed_rounds has been counted up). */
int cb_xmpp_rot_take(struct cb_xmpp_rotation *r, size_t *ret_index);
/* The current target registered: back-off starts over. */
void cb_xmpp_rot_up(struct cb_xmpp_rotation *r);
/* The registered link to the current target was lost: a new round from
 * the next target. */
void cb_xmpp_rot_lost(struct cb_xmpp_rotation *r);

#endif
