/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The call bridge's answers to the stanzas the XMPP server sends over the
 * component link (issue 11 part 2, the call bridge half), sans-I/O: one
 * stanza in (the raw bytes cb_xmpp_comp hands to on_stanza), at most one
 * stanza out. The users and spaces come from a directory behind a table
 * of operations, so tests use a fake one and the program the API's store
 * (cb_xmpp_link.c).
 *
 * The private namespace urn:convene:xmpp:cb-auth:0, IQs from the server's
 * domain itself (from='DOMAIN'):
 *  - <verify jid='alice@DOMAIN'>BASE64(password)</verify>: an empty result
 *    when the user exists and the password matches, else auth /
 *    not-authorized (the same for an unknown user and a wrong password).
 *  - <scram jid=... mechanism='SCRAM-SHA-1|SCRAM-SHA-256'/>: a result with
 *    the same element carrying salt, iterations, stored-key, server-key
 *    (base64), or cancel / item-not-found for an unknown user or one
 *    without keys.
 *  Either from anyone but the domain: auth / forbidden (a client must not
 *  probe passwords through the component).
 * disco#items (XEP-0030) from a user's full JID to the component: one
 * <item jid='<coSpace id>@COMPONENT' name='<name>'/> per space the user is
 * a member or the owner of.
 * Any other IQ get/set: cancel / service-unavailable (RFC 6120 8.4).
 * IQ results and errors, messages and presence: no answer.
 *
 * The stanza is parsed with the shared libexpat stream parser
 * (services/xmpp/xmpp_stream.h) behind a fixed stream header; answers are
 * written with its serializer, so values are escaped in one place.
 */
#ifndef CB_XMPP_RESP_H
#define CB_XMPP_RESP_H

#include <stddef.h>

#include "lib/strbuf.h"
#include "services/xmpp/xmpp_sasl.h"

#define CB_XMPP_NS_AUTH "urn:convene:xmpp:cb-auth:0"
#define CB_XMPP_NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define CB_XMPP_NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
/* Largest base64 password a verify may carry (a password of 768 bytes). */
#define CB_XMPP_VERIFY_B64_MAX 1024

struct cb_xmpp_dir_ops {
	/* 0 when jid (bare, as received) names a user whose password is
	 * password; -EACCES for a wrong password, -ENOENT for no such user,
	 * any other negative errno when the directory failed. */
	int (*verify)(void *arg, const char *jid, const char *password);
	/* The user's stored SCRAM keys for m, in the users table's form
	 * "<iterations>,<salt>,<StoredKey>,<ServerKey>" (base64; cb_api.h
	 * cb_api_scram_encode), *ret the caller's; -ENOENT for no such user
	 * or no keys. */
	int (*scram)(void *arg, const char *jid, enum xmpp_sasl_mech m, char **ret);
	/* Calls emit for each space jid (bare) is a member or the owner of,
	 * each space once. 0 or a negative errno. */
	int (*spaces)(void *arg, const char *jid,
		      void (*emit)(void *ctx, const char *id, const char *name), void *ctx);
};

struct cb_xmpp_resp {
	const char *component; /* our JID: "<uniqueName>.<domain>" */
	const char *domain;    /* the XMPP server's domain */
	const struct cb_xmpp_dir_ops *ops;
	void *arg;
};

/*
 * Handles one stanza (xml[0..len), a whole top-level element of a
 * jabber:component:accept stream). Appends the answer, if any, to out.
 * 0 (answered or nothing to answer), or -EBADMSG when the bytes are not
 * one well-formed stanza (nothing written: the link's own scanner has
 * already checked them, so this means a bug or a namespace trick).
 */
int cb_xmpp_resp_handle(const struct cb_xmpp_resp *r, const char *xml, size_t len,
			struct strbuf *out);

/* Parses a stored "<iterations>,<salt>,<StoredKey>,<ServerKey>" for m.
 * -EINVAL when it is malformed or the key lengths do not fit m. */
int cb_xmpp_scram_parse(const char *s, enum xmpp_sasl_mech m, struct xmpp_scram_creds *ret);

#endif
