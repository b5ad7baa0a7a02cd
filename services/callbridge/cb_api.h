/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CMS REST API of the call bridge (spec/api.md), without any I/O: one
 * request in (method, path under /api/v1, query, form body), one response
 * out (status, Location, XML). The HTTP layer (cb_web.c) authenticates the
 * caller and hands the request here; Web Admin's pages (cb_admin.c) go
 * through the same entry point, so a setting saved from a form is validated
 * and stored by the same code as one PUT through the API.
 *
 * The objects live in the store (cb_db.h), SQLite by default.
 */
#ifndef CB_API_H
#define CB_API_H

#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"

struct cb_api;

/* Largest request body the API accepts (the HTTP layer refuses more before
 * it reaches here). */
#define CB_API_BODY_MAX (64 * 1024)

struct cb_request {
	const char *method; /* "GET", "POST", "PUT", "DELETE", other methods too */
	const char *path;   /* after "/api/v1", not decoded: "/coSpaces/<id>" */
	const char *query;  /* the raw query string without '?', or NULL */
	const char *body;   /* application/x-www-form-urlencoded, or NULL */
	size_t body_len;
	const char *user; /* the authenticated MMP user, for the log lines */
	const char *from; /* the client's address as text, or NULL: log lines start
			   * with "<from>: " as in seed 003 */
};

struct cb_response {
	int status;		/* HTTP status */
	char location[160];	/* "" or "/api/v1/coSpaces/<id>" (a create) */
	struct strbuf body;	/* an XML document, or empty */
};

void cb_response_init(struct cb_response *resp);
void cb_response_free(struct cb_response *resp);

/* Opens (creates, migrates) the store at db_path; name is this call
 * bridge's name (the cluster's uniqueName default). Calls, participants and
 * call legs a previous run left are ended (their media went with that
 * process); configuration objects stay. Negative errno and a sentence in
 * err on failure. */
int cb_api_open(const char *db_path, const char *name, struct cb_api **ret, char *err,
		size_t errlen);
void cb_api_close(struct cb_api *api);

/* Handles one request; the response is always filled (status >= 200). */
void cb_api_handle(struct cb_api *api, const struct cb_request *req, struct cb_response *resp);

/* API tracing (the seed 003 "API trace N:" lines): until this wall-clock
 * time (seconds since the epoch; 0 = off). Set from Web Admin's Logs >
 * Detailed tracing or the API's /system/configuration/tracing. */
int64_t cb_api_trace_until(struct cb_api *api);
int cb_api_set_trace_until(struct cb_api *api, int64_t until);

/* The store under the API, for Web Admin pages that only read (the
 * status page's counts). Borrowed; valid until cb_api_close(). */
struct cb_db *cb_api_db(struct cb_api *api);

/*
 * What the call bridge itself (the web app issue: WB3 joins) does to
 * calls, through the same store, log lines and counters as the API.
 */

/* Starts the call of a space (one call per space): its id in ret_call_id;
 * the id of the call already running on that space, and -EEXIST, when
 * there is one. -ENOENT: no such space. */
int cb_api_call_start(struct cb_api *api, const char *cospace_id, char ret_call_id[37]);
/* Adds a local participant with one call leg to a call (state initial,
 * direction incoming, type acano as spec 2.3 says for WB3 legs). name is
 * the display name, user the guest account or user JID (may be NULL).
 * -ENOENT when the call does not exist. */
int cb_api_participant_add(struct cb_api *api, const char *call_id, const char *name,
			   const char *user, char ret_participant_id[37], char ret_leg_id[37]);
/* Moves a participant and its legs to state ("initial", "ringing",
 * "connected", "onHold"). */
int cb_api_participant_set_state(struct cb_api *api, const char *participant_id,
				 const char *state);
/* Removes a participant and its legs (the leg teardown of seed 004). */
int cb_api_participant_remove(struct cb_api *api, const char *participant_id);

/* The state of the C2W link to a web bridge, shown by
 * GET /webBridges/<id>/status (spec 2.7): "unused" until a C2W client
 * reports; then "success", "connectionFailure" or "dnsFailure". -ENOENT
 * when no such web bridge exists, -EINVAL for another status word. */
int cb_api_webbridge_set_status(struct cb_api *api, const char *webbridge_id, const char *status);

/*
 * The XMPP component link (cb_xmpp_link.c) and the API. GET /system/status
 * shows the link's fields (Convene extensions: spec/api.md 2.11 has none)
 * once cb_api_set_xmpp_status() has been called, in this order:
 * xmppState, xmppServer (host:port), xmppServerAddress, xmppReason,
 * xmppDetail; empty values are left out. vals holds CB_API_XMPP_NFIELDS
 * strings (copied; NULL or "" = not shown).
 */
#define CB_API_XMPP_NFIELDS 5
enum { CB_API_XMPP_STATE, CB_API_XMPP_SERVER, CB_API_XMPP_ADDRESS, CB_API_XMPP_REASON,
       CB_API_XMPP_DETAIL };
extern const char *const cb_api_xmpp_fields[CB_API_XMPP_NFIELDS];
void cb_api_set_xmpp_status(struct cb_api *api, const char *const vals[CB_API_XMPP_NFIELDS]);
/* One of them as last set ("" when unset), for Web Admin; borrowed. */
const char *cb_api_xmpp_status(struct cb_api *api, int field);
/* fn(arg) runs after every successful PUT/POST of
 * /system/configuration/xmpp, once the change is committed. */
void cb_api_on_xmpp_change(struct cb_api *api, void (*fn)(void *arg), void *arg);

/*
 * A user's SCRAM keys for the XMPP server's logins, made when the password
 * is set (users' hidden fields scramSha1, scramSha256): 16 random bytes of
 * salt, 4096 iterations (RFC 7677 section 4), stored as
 * "<iterations>,<base64 salt>,<base64 StoredKey>,<base64 ServerKey>".
 * mech is XMPP_SASL_SCRAM_SHA_1 or _256 (services/xmpp/xmpp_sasl.h).
 * *ret is the caller's. -EIO when randomness or GnuTLS fails.
 */
#define CB_API_SCRAM_SALT 16
#define CB_API_SCRAM_ITERATIONS 4096
int cb_api_scram_encode(int mech, const char *password, char **ret);

#endif
