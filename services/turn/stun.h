/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * STUN message codec (RFC 8489), sans-I/O: parse a message held in a caller
 * buffer into offsets of its attributes, and build messages into a caller
 * buffer. Also the pieces TURN adds to the wire (RFC 8656 ChannelData
 * framing, the method and attribute code points) and the crypto helpers the
 * long-term credential mechanism needs (HMAC-SHA1/SHA256, MD5/SHA-256 keys,
 * CRC-32 for FINGERPRINT), on top of GnuTLS.
 *
 * Nothing here allocates except the GnuTLS HMAC contexts used to check and
 * add MESSAGE-INTEGRITY(-SHA256); a parsed message borrows the caller's
 * buffer. Every length read from the wire is checked against the buffer
 * before use (coturn's uint16 truncation bugs #1844/#1964 are the warning).
 */
#ifndef TURN_STUN_H
#define TURN_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_HDR_LEN 20
#define STUN_MAGIC 0x2112A442u
#define STUN_TID_LEN 12
/* Largest STUN message: 20-byte header plus a 16-bit body length. */
#define STUN_MAX_MSG (STUN_HDR_LEN + 65535)

/* Classes (RFC 8489 section 5), as bits of the message type. */
#define STUN_REQUEST 0x0000
#define STUN_INDICATION 0x0010
#define STUN_SUCCESS 0x0100
#define STUN_ERROR 0x0110

/* Methods (RFC 8489 section 18.2, RFC 8656 section 17, RFC 6062). */
#define STUN_BINDING 0x001
#define TURN_ALLOCATE 0x003
#define TURN_REFRESH 0x004
#define TURN_SEND 0x006
#define TURN_DATA 0x007
#define TURN_CREATE_PERMISSION 0x008
#define TURN_CHANNEL_BIND 0x009
#define TURN_CONNECT 0x00A
#define TURN_CONNECTION_BIND 0x00B
#define TURN_CONNECTION_ATTEMPT 0x00C

/* Attributes (RFC 8489 section 18.3, RFC 8656 section 18, RFC 6062). */
#define STUN_A_MAPPED_ADDRESS 0x0001
#define STUN_A_USERNAME 0x0006
#define STUN_A_MESSAGE_INTEGRITY 0x0008
#define STUN_A_ERROR_CODE 0x0009
#define STUN_A_UNKNOWN_ATTRIBUTES 0x000A
#define TURN_A_CHANNEL_NUMBER 0x000C
#define TURN_A_LIFETIME 0x000D
#define TURN_A_XOR_PEER_ADDRESS 0x0012
#define TURN_A_DATA 0x0013
#define STUN_A_REALM 0x0014
#define STUN_A_NONCE 0x0015
#define TURN_A_XOR_RELAYED_ADDRESS 0x0016
#define TURN_A_REQUESTED_ADDRESS_FAMILY 0x0017
#define TURN_A_EVEN_PORT 0x0018
#define TURN_A_REQUESTED_TRANSPORT 0x0019
#define TURN_A_DONT_FRAGMENT 0x001A
#define STUN_A_ACCESS_TOKEN 0x001B
#define STUN_A_MESSAGE_INTEGRITY_SHA256 0x001C
#define STUN_A_PASSWORD_ALGORITHM 0x001D
#define STUN_A_USERHASH 0x001E
#define STUN_A_XOR_MAPPED_ADDRESS 0x0020
#define TURN_A_RESERVATION_TOKEN 0x0022
#define STUN_A_PRIORITY 0x0024
#define STUN_A_USE_CANDIDATE 0x0025
#define TURN_A_CONNECTION_ID 0x002A
#define TURN_A_ADDITIONAL_ADDRESS_FAMILY 0x8000
#define TURN_A_ADDRESS_ERROR_CODE 0x8001
#define STUN_A_PASSWORD_ALGORITHMS 0x8002
#define STUN_A_SOFTWARE 0x8022
#define STUN_A_FINGERPRINT 0x8028
#define STUN_A_ICE_CONTROLLED 0x8029
#define STUN_A_ICE_CONTROLLING 0x802A

/* PASSWORD-ALGORITHM numbers (RFC 8489 section 18.5). */
#define STUN_PWALG_MD5 0x0001
#define STUN_PWALG_SHA256 0x0002

/*
 * The attributes the parser records, by index. The first occurrence wins
 * (coturn #2016); a later duplicate is ignored.
 */
enum stun_attr_idx {
	SA_USERNAME,
	SA_ERROR_CODE,
	SA_CHANNEL_NUMBER,
	SA_LIFETIME,
	SA_XOR_PEER_ADDRESS,
	SA_DATA,
	SA_REALM,
	SA_NONCE,
	SA_XOR_RELAYED_ADDRESS,
	SA_REQUESTED_ADDRESS_FAMILY,
	SA_EVEN_PORT,
	SA_REQUESTED_TRANSPORT,
	SA_DONT_FRAGMENT,
	SA_PASSWORD_ALGORITHM,
	SA_USERHASH,
	SA_XOR_MAPPED_ADDRESS,
	SA_RESERVATION_TOKEN,
	SA_CONNECTION_ID,
	SA_ADDITIONAL_ADDRESS_FAMILY,
	SA_PASSWORD_ALGORITHMS,
	SA_SOFTWARE,
	SA_UNKNOWN_ATTRIBUTES,
	SA_MAPPED_ADDRESS,
	/* ICE (RFC 8445 section 16.1): the media engine's connectivity
	 * checks; TURN ignores them. */
	SA_PRIORITY,
	SA_USE_CANDIDATE,
	SA_ICE_CONTROLLED,
	SA_ICE_CONTROLLING,
	SA__COUNT
};

#define STUN_MAX_UNKNOWN 8
/* XOR-PEER-ADDRESS may repeat in CreatePermission (RFC 8656 section 10). */
#define STUN_MAX_PEERS 16

/* A transport address: the family (AF_INET or AF_INET6), the port in host
 * order and the address bytes (IPv4 in ip[0..3], the rest zero). Compact
 * and padding-free so it can be hashed and compared with memcmp. */
struct stun_addr {
	uint16_t family;
	uint16_t port;
	uint8_t ip[16];
};

/* A parsed message. Offsets are from the start of the message; 0 means
 * absent (no attribute value can start before byte 24). */
struct stun_msg {
	const uint8_t *buf;
	size_t len; /* 20 + the header's length field */
	uint16_t method;
	uint16_t cls;
	const uint8_t *tid;
	uint16_t off[SA__COUNT];
	uint16_t alen[SA__COUNT];
	/* Offsets of the attribute headers (not values) of the integrity
	 * and fingerprint attributes, 0 when absent. */
	uint16_t mi_at;
	uint16_t mi256_at;
	uint16_t fp_at;
	/* Every XOR-PEER-ADDRESS value, in order (CreatePermission). */
	uint16_t peer_off[STUN_MAX_PEERS];
	uint16_t peer_len[STUN_MAX_PEERS];
	unsigned n_peers;
	bool too_many_peers;
	/* Comprehension-required attributes we do not understand (420). */
	uint16_t unknown[STUN_MAX_UNKNOWN];
	unsigned n_unknown;
};

/* What kind of data a buffer starts with (RFC 7983 demultiplexing). */
enum stun_kind {
	STUN_KIND_STUN,
	STUN_KIND_CHANNEL, /* ChannelData, channel 0x4000-0x7FFF */
	STUN_KIND_OTHER,
};

/* The first byte decides: 0-3 STUN, 64-127 ChannelData (RFC 5766 range). */
enum stun_kind stun_classify(const uint8_t *buf, size_t len);

/*
 * Parses the message in buf[0..len): len must equal 20 plus the header's
 * length field. Returns 0, or -EBADMSG when it is not a well-formed STUN
 * message (wrong cookie, bad lengths, attributes after FINGERPRINT, a
 * FINGERPRINT that does not match). The message borrows buf.
 */
int stun_parse(const uint8_t *buf, size_t len, struct stun_msg *ret);

/* Attribute value accessors; NULL / false when absent. */
static inline const uint8_t *stun_attr(const struct stun_msg *m, enum stun_attr_idx i,
				       size_t *ret_len)
{
	if (!m->off[i])
		return NULL;
	if (ret_len)
		*ret_len = m->alen[i];
	return m->buf + m->off[i];
}

static inline bool stun_has(const struct stun_msg *m, enum stun_attr_idx i)
{
	return m->off[i] != 0;
}

/* A 4-byte attribute as a number (LIFETIME, REQUESTED-TRANSPORT...):
 * -EBADMSG when present with the wrong length, -ENOENT when absent. */
int stun_attr_u32(const struct stun_msg *m, enum stun_attr_idx i, uint32_t *ret);

/* Decodes an XOR-*-ADDRESS value (RFC 8489 section 14.2). -EBADMSG on a
 * bad length or an unknown family (-EAFNOSUPPORT). */
int stun_xaddr_decode(const uint8_t *v, size_t len, const uint8_t *tid, struct stun_addr *ret);

/* The error code of an ERROR-CODE value (class * 100 + number). */
int stun_error_code(const struct stun_msg *m);

/* Message type from method and class, and back. */
uint16_t stun_type(uint16_t method, uint16_t cls);

/* --- building ---------------------------------------------------------------------- */

/* A message under construction in a caller buffer. Every put zeroes the
 * padding; on overflow the builder records it and stun_end returns 0. */
struct stun_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

void stun_begin(struct stun_builder *b, uint8_t *buf, size_t cap, uint16_t method, uint16_t cls,
		const uint8_t *tid);
void stun_put(struct stun_builder *b, uint16_t type, const void *val, size_t len);
void stun_put_u32(struct stun_builder *b, uint16_t type, uint32_t v);
void stun_put_xaddr(struct stun_builder *b, uint16_t type, const struct stun_addr *a);
/* ERROR-CODE with an optional reason phrase (NULL: none, to keep
 * unauthenticated answers small, as coturn #1829 does). */
void stun_put_error(struct stun_builder *b, int code, const char *reason);
/* MESSAGE-INTEGRITY (HMAC-SHA1) / MESSAGE-INTEGRITY-SHA256 (32 bytes) over
 * what was built so far, with the length field counting the attribute. */
void stun_put_integrity(struct stun_builder *b, const uint8_t *key, size_t keylen);
void stun_put_integrity_sha256(struct stun_builder *b, const uint8_t *key, size_t keylen);
void stun_put_fingerprint(struct stun_builder *b);
/* Returns the message length, or 0 if the buffer was too small. */
size_t stun_end(struct stun_builder *b);

/* --- integrity ------------------------------------------------------------------------ */

/* Checks MESSAGE-INTEGRITY (sha256 false) or MESSAGE-INTEGRITY-SHA256
 * (true) of m under key, in constant time. False when absent. */
bool stun_check_integrity(const struct stun_msg *m, bool sha256, const uint8_t *key,
			  size_t keylen);

/* Long-term key (RFC 8489 section 9.2.2): MD5 or SHA-256 of
 * "username:realm:password". Writes 16 or 32 bytes; returns the length. */
size_t stun_longterm_key(int pwalg, const char *user, size_t ulen, const char *realm,
			 const char *pass, uint8_t *out);
/* USERHASH (RFC 8489 section 14.4): SHA-256 of "username:realm". */
void stun_userhash(const char *user, size_t ulen, const char *realm, uint8_t out[32]);

uint32_t stun_crc32(const uint8_t *p, size_t n);
/* HMAC helpers: out gets 20 (SHA1) or 32 (SHA256) bytes. */
void stun_hmac_sha1(const void *key, size_t keylen, const void *data, size_t len, uint8_t out[20]);
void stun_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
		      uint8_t out[32]);
/* Constant-time comparison. */
bool stun_ct_equal(const uint8_t *a, const uint8_t *b, size_t n);

/* --- ChannelData (RFC 8656 section 12.4) ------------------------------------------------ */

#define TURN_CHANNEL_MIN 0x4000
#define TURN_CHANNEL_MAX 0x4FFF
#define TURN_CHANNEL_MAX_RFC5766 0x7FFF

/*
 * Length of the ChannelData frame at the start of buf (its 4-byte header and
 * data; pad adds the padding to a multiple of 4, as TCP and TLS carry it),
 * or 0 if fewer than 4 bytes are available.
 */
size_t turn_channel_frame_len(const uint8_t *buf, size_t len, bool pad);

/* --- addresses ----------------------------------------------------------------------------- */

int stun_addr_from_sockaddr(const struct sockaddr *sa, struct stun_addr *ret);
/* Fills a sockaddr_in/in6 in storage; returns its length. */
socklen_t stun_addr_to_sockaddr(const struct stun_addr *a, struct sockaddr_storage *ss);
/* "ip:port" or "[ip]:port". */
void stun_addr_format(const struct stun_addr *a, char *buf, size_t size);
/* The address alone. */
void stun_ip_format(const struct stun_addr *a, char *buf, size_t size);
/* Same address (and port when with_port). */
bool stun_addr_equal(const struct stun_addr *a, const struct stun_addr *b, bool with_port);

#endif
