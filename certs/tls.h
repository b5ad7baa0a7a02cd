/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TLS layer every service uses (GnuTLS on the libuv loop).
 *
 *  - struct cv_tls_config: what a service's config says: its key, its
 *    certificate (full chain), an optional CA bundle sent after it, the trust
 *    bundle that verifies peers, the minimum version and the cipher policy
 *    of "tls <policy>", and whether the peer must present a certificate.
 *    cv_tls_config_from_json() reads it from the config mmpd renders for a
 *    service (run/<svc>.json).
 *  - struct cv_tls_creds: the loaded, checked credentials (refcounted: a
 *    listener holds one reference and each connection one, so a service
 *    reloads its certificates by loading new credentials and dropping its
 *    reference; open connections keep the old ones until they close).
 *  - struct cv_tls_conn: one TLS connection over a connected uv_tcp_t, in
 *    server or client mode, non-blocking, with callbacks for the handshake,
 *    received data and the close. Client mode sends SNI and checks the
 *    server's name against its SANs (RFC 6125, see cv_certs_host_match).
 *  - struct cv_dtls: one DTLS endpoint without I/O of its own (the media
 *    engine multiplexes STUN, DTLS and RTP on one UDP socket): datagrams in
 *    with cv_dtls_input(), out through a send callback, the retransmission
 *    timer driven by the caller, and the DTLS-SRTP keys (RFC 5764) exported
 *    after the handshake.
 *
 * Threads: none of its own. Credentials and connections belong to the loop
 * thread that uses them (the reference count is not atomic): a program with
 * a loop per thread loads credentials once per loop. Errors: 0 or a negative
 * errno; operator-facing reasons are in the err buffers or
 * cv_tls_conn_error().
 */
#ifndef CV_TLS_H
#define CV_TLS_H

#include <gnutls/gnutls.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* --- configuration ------------------------------------------------------ */

enum cv_tls_verify {
	CV_TLS_VERIFY_NONE, /* no peer certificate (a server does not ask for one) */
	CV_TLS_VERIFY_PEER, /* the peer's certificate must chain to the trust bundle;
			     * a client also checks the server name */
	CV_TLS_VERIFY_OCSP, /* as PEER, and a client wants a valid stapled OCSP
			     * response (servers do not staple: "tls ... verify ocsp"
			     * on a listener is the same as PEER) */
};

#define CV_TLS_PATH_MAX 512
#define CV_TLS_CIPHERS_MAX 1024

struct cv_tls_config {
	char key_file[CV_TLS_PATH_MAX];	   /* "" when the endpoint has no certificate */
	char cert_file[CV_TLS_PATH_MAX];   /* certificate or full chain, leaf first */
	char bundle_file[CV_TLS_PATH_MAX]; /* CA bundle appended to the chain sent; "" none */
	char trust_file[CV_TLS_PATH_MAX];  /* CA bundle that verifies peers; "" none */
	char min_version[8];		   /* "1.0" "1.1" "1.2" "1.3" (DTLS: "1.0" "1.2") */
	char ciphers[CV_TLS_CIPHERS_MAX];  /* "default", a GnuTLS priority string or an
					    * OpenSSL cipher-suite list (see cv_tls_priority) */
	enum cv_tls_verify verify;
	bool dtls;		     /* datagram TLS (media) */
	unsigned handshake_timeout_ms; /* 0: 10 s; a stalled handshake closes the connection */
};

/* Defaults: no files, TLS 1.2 (DTLS 1.2), "default" ciphers, no
 * verification. */
void cv_tls_config_init(struct cv_tls_config *cfg, bool dtls);

/*
 * Fills cfg from the config mmpd renders for a service:
 *   {"config": {...the service object...}, "tls": {...}, "upload_dir": "..."}
 * ident is the dotted path under "config" of the object holding "key",
 * "crt" and "bundle" ("" for the service object itself: turn, xmpp,
 * callbridge, webadmin; "https" or "c2w" for webbridge3); policy is the name
 * under "tls" ("turn", "xmpp", "webadmin", "webbridge3", "c2w", "sip",
 * "ldap"): min_version, ciphers, trust, verify ("enabled", "ocsp",
 * "disabled"). File names are joined to upload_dir. A service whose link is
 * always mutual (C2W, the XMPP component port) sets cfg->verify itself
 * afterwards, and one with its own trust setting ("webbridge3 c2w trust")
 * overwrites trust_file. -EINVAL with a reason when a value is malformed.
 */
int cv_tls_config_from_json(json_object *rendered, const char *ident, const char *policy,
			    struct cv_tls_config *cfg, char *err, size_t errlen);

/* The media engine's DTLS policy: "tls min-dtls-version" (tls.min_dtls_version
 * of the rendered config, default 1.2), no files (use
 * cv_tls_creds_ephemeral()). */
int cv_tls_dtls_config_from_json(json_object *rendered, struct cv_tls_config *cfg, char *err,
				 size_t errlen);

/*
 * The GnuTLS priority string for a cipher setting and minimum version.
 * ciphers is "default" (or "" / NULL: GnuTLS "NORMAL"), a GnuTLS priority
 * string (it starts with one of GnuTLS's keywords: NORMAL, SECURE128,
 * SECURE192, SECURE256, PFS, PERFORMANCE, LEGACY, SUITEB128, SUITEB192,
 * NONE, or @), or a colon-separated list of OpenSSL cipher-suite names
 * (ECDHE-RSA-AES128-GCM-SHA256, TLS_AES_256_GCM_SHA384, ...), translated to
 * the key exchanges, ciphers and MACs they name. The versions below
 * min_version are removed. -EINVAL with a reason when GnuTLS refuses the
 * result or a name is unknown. The "tls <policy> ciphers" command checks
 * its argument with this, so a stored setting always loads.
 */
int cv_tls_priority(const char *ciphers, const char *min_version, bool dtls, char *buf,
		    size_t len, char *err, size_t errlen);

/* --- credentials ---------------------------------------------------------- */

struct cv_tls_creds;

/*
 * Loads and checks cfg: the identity passes cv_certs_check_identity() at
 * the current time (key readable, unencrypted and matching, chain in order
 * and valid, verified against the bundle when one is set), the trust
 * bundle holds certificates, the priority string is accepted. The first
 * failure is returned as -EINVAL with its line in err (without the
 * "FAILURE: " prefix). A server needs an identity; a client may have none.
 * The caller owns the one reference returned.
 */
int cv_tls_creds_load(const struct cv_tls_config *cfg, struct cv_tls_creds **ret, char *err,
		      size_t errlen);
/* Credentials with a fresh ECDSA P-256 key and a self-signed certificate
 * (CN "convene"), for DTLS-SRTP where the peer checks a fingerprint
 * (RFC 8122) rather than a chain; cfg gives the policy (its files are
 * ignored). */
int cv_tls_creds_ephemeral(const struct cv_tls_config *cfg, struct cv_tls_creds **ret,
			   char *err, size_t errlen);
struct cv_tls_creds *cv_tls_creds_ref(struct cv_tls_creds *c);
void cv_tls_creds_unref(struct cv_tls_creds *c);
/* "sha-256 AB:CD:..." of the credentials' own certificate (RFC 8122). */
int cv_tls_creds_fingerprint(const struct cv_tls_creds *c, char *buf, size_t len);

/* --- TLS connections over libuv --------------------------------------------- */

struct cv_tls_conn;

struct cv_tls_conn_ops {
	/* The handshake finished: status 0, or a negative errno with the
	 * reason in cv_tls_conn_error(); after a failure the connection
	 * closes by itself (on_close follows). */
	void (*on_handshake)(struct cv_tls_conn *c, int status, void *arg);
	/* Application data; buf is valid during the call. */
	void (*on_read)(struct cv_tls_conn *c, const uint8_t *buf, size_t len, void *arg);
	/* The connection is closed (peer close, error, timeout or
	 * cv_tls_close); c is freed when this returns. status 0 for an orderly
	 * close, else a negative errno. Always called exactly once. */
	void (*on_close)(struct cv_tls_conn *c, int status, void *arg);
};

/*
 * Starts TLS on tcp, a connected (or accepted) TCP handle that was allocated
 * with xmalloc()/malloc() and initialised on its loop; the connection owns it
 * from now on (it reads, writes, closes and frees it; tcp->data is its own).
 * Nothing must be reading from tcp. A client (server false) sends
 * server_name as SNI and, with verification on, checks it against the
 * server's certificate; a server ignores server_name. Takes a reference to
 * creds. The handshake starts from the loop, so session options set right
 * after this call (gnutls_alpn_set_protocols() on cv_tls_conn_session())
 * apply to it. On error tcp is closed and freed too, and no callback runs.
 */
int cv_tls_conn_new(uv_tcp_t *tcp, struct cv_tls_creds *creds, bool server,
		    const char *server_name, const struct cv_tls_conn_ops *ops, void *arg,
		    struct cv_tls_conn **ret);
/* Queues application data (before the handshake ends it is held and sent
 * after it). -ENOBUFS when more than CV_TLS_WRITE_CAP bytes are queued,
 * -EPIPE once the connection is closing. */
#define CV_TLS_WRITE_CAP (4u << 20)
int cv_tls_write(struct cv_tls_conn *c, const void *buf, size_t len);
/* Bytes queued and not yet written to the socket. */
size_t cv_tls_write_queued(const struct cv_tls_conn *c);
/* Stops or resumes on_read (backpressure). */
void cv_tls_pause(struct cv_tls_conn *c, bool pause);
/* Sends close_notify and closes; on_close follows (from the loop, never
 * from inside this call). Idempotent. */
void cv_tls_close(struct cv_tls_conn *c);
/* Closes at once, without close_notify or flushing what is queued (a
 * program that is exiting: its handles must be closing before it walks
 * the loop); on_close follows with -ECANCELED. Idempotent. */
void cv_tls_abort(struct cv_tls_conn *c);
/* The reason of the last failure ("" if none). */
const char *cv_tls_conn_error(const struct cv_tls_conn *c);
/* The GnuTLS session, for ALPN, the negotiated version or the peer's
 * certificates (borrowed). */
gnutls_session_t cv_tls_conn_session(const struct cv_tls_conn *c);
void *cv_tls_conn_arg(const struct cv_tls_conn *c);

/* --- DTLS, sans I/O -------------------------------------------------------------- */

struct cv_dtls;

struct cv_dtls_ops {
	/* Sends one datagram to the peer; returns 0 or a negative errno. */
	int (*send)(void *arg, const uint8_t *buf, size_t len);
	void (*on_handshake)(struct cv_dtls *d, int status, void *arg);
	void (*on_data)(struct cv_dtls *d, const uint8_t *buf, size_t len, void *arg);
};

/* RFC 5764 4.1.2 profiles, by their IANA values (the ones GnuTLS 3.7
 * negotiates; it has no AEAD profiles of RFC 7714). */
enum cv_srtp_profile {
	CV_SRTP_AES128_CM_HMAC_SHA1_80 = 0x0001,
	CV_SRTP_AES128_CM_HMAC_SHA1_32 = 0x0002,
};

/* RFC 5764 4.2: the master keys and salts of each direction (for
 * AES128_CM: 16-byte keys, 14-byte salts). */
struct cv_srtp_keys {
	enum cv_srtp_profile profile;
	uint8_t client_key[32], server_key[32];
	uint8_t client_salt[14], server_salt[14];
	size_t key_len, salt_len;
};

/*
 * A DTLS endpoint (creds loaded with cfg.dtls true, usually ephemeral). Both
 * sides present a certificate; the peer's is checked against
 * expected_fingerprint ("sha-256 AB:CD:..." from SDP) when it is given, and
 * against the trust bundle when the creds verify peers. The SRTP profiles
 * offered are AES128_CM_HMAC_SHA1_80 and AES128_CM_HMAC_SHA1_32, in that
 * order. The path MTU is 1200 bytes. A server sends no HelloVerifyRequest
 * cookie: the media engine only answers peers that passed ICE connectivity
 * checks (RFC 8842 / RFC 5764 6.7), which is what cookies guard against.
 */
int cv_dtls_new(struct cv_tls_creds *creds, bool server, const char *expected_fingerprint,
		const struct cv_dtls_ops *ops, void *arg, struct cv_dtls **ret);
/* Starts the handshake (a client sends its first flight). */
int cv_dtls_start(struct cv_dtls *d);
/* One received datagram. */
int cv_dtls_input(struct cv_dtls *d, const uint8_t *pkt, size_t len);
/* Milliseconds until cv_dtls_tick() must run (retransmission), or -1 when
 * no timer is needed. */
int cv_dtls_timeout_ms(const struct cv_dtls *d);
int cv_dtls_tick(struct cv_dtls *d);
int cv_dtls_write(struct cv_dtls *d, const void *buf, size_t len);
/* After the handshake: the negotiated profile and keys. */
int cv_dtls_srtp_keys(struct cv_dtls *d, struct cv_srtp_keys *ret);
int cv_dtls_peer_fingerprint(const struct cv_dtls *d, char *buf, size_t len);
const char *cv_dtls_error(const struct cv_dtls *d);
void cv_dtls_free(struct cv_dtls *d);

#endif
