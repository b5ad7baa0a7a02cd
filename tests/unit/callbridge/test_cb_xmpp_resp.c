// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The call bridge's side of the XMPP link that needs no socket: the
 * responder (services/callbridge/cb_xmpp_resp.h) against a fake user
 * table, the SCRAM keys the API stores with a password (checked against
 * xmpp_scram_derive), the link's status in /system/status and in words,
 * the settings-change hook, and serverAddressOverride with a port.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/base64.h"
#include "lib/mem.h"
#include "services/callbridge/cb_api.h"
#include "services/callbridge/cb_db.h"
#include "services/callbridge/cb_xmpp_comp.h"
#include "services/callbridge/cb_xmpp_resp.h"
#include "tests/unit/tap.h"

#define DOM "example.com"
#define COMP "cb1.example.com"

/* --- the fake directory --------------------------------------------------- */

static char *alice_sha1, *alice_sha256;
static int dir_fail; /* a negative errno every call returns, or 0 */

static int fake_verify(void *arg, const char *jid, const char *password)
{
	(void)arg;
	if (dir_fail)
		return dir_fail;
	if (strcmp(jid, "alice@" DOM) == 0)
		return strcmp(password, "s3cret pw") == 0 ? 0 : -EACCES;
	if (strcmp(jid, "bob@" DOM) == 0)
		return strcmp(password, "bobpw") == 0 ? 0 : -EACCES;
	return -ENOENT;
}

static int fake_scram(void *arg, const char *jid, enum xmpp_sasl_mech m, char **ret)
{
	(void)arg;
	if (dir_fail)
		return dir_fail;
	if (strcmp(jid, "alice@" DOM) != 0)
		return -ENOENT;
	*ret = xstrdup(m == XMPP_SASL_SCRAM_SHA_256 ? alice_sha256 : alice_sha1);
	return 0;
}

static int fake_spaces(void *arg, const char *jid,
		       void (*emit)(void *ctx, const char *id, const char *name), void *ctx)
{
	(void)arg;
	if (dir_fail)
		return dir_fail;
	if (strcmp(jid, "alice@" DOM) == 0) {
		emit(ctx, "0b8d4b1c-1a3b-4c2d-9e0f-000000000001", "Alice's <room> & co");
		emit(ctx, "0b8d4b1c-1a3b-4c2d-9e0f-000000000002", "Team");
	}
	return 0;
}

static const struct cb_xmpp_dir_ops fake_ops = {
    .verify = fake_verify,
    .scram = fake_scram,
    .spaces = fake_spaces,
};

static const struct cb_xmpp_resp responder = {
    .component = COMP,
    .domain = DOM,
    .ops = &fake_ops,
};

/* The answer to xml, "" when there is none. */
static char *answer(const char *xml, int *ret)
{
	struct strbuf sb = STRBUF_INIT;

	*ret = cb_xmpp_resp_handle(&responder, xml, strlen(xml), &sb);
	return sb_steal(&sb) ?: xstrdup("");
}

static void expect(const char *xml, const char *want, const char *what)
{
	int r;
	char *got = answer(xml, &r);

	is_int(r, 0, "%s: handled", what);
	is_str(got, want, "%s", what);
	free(got);
}

static char *b64(const char *s)
{
	char *out = xmalloc(CV_BASE64_LEN(strlen(s)) + 1);

	cv_base64_encode(s, strlen(s), out);
	return out;
}

static void test_verify(void)
{
	char *pw = b64("s3cret pw"), *bad = b64("wrong"), xml[512];

	snprintf(xml, sizeof(xml),
		 "<iq type='get' id='v1' from='" DOM "' to='" COMP "'><verify "
		 "xmlns='" CB_XMPP_NS_AUTH "' jid='alice@" DOM "'>%s</verify></iq>",
		 pw);
	expect(xml, "<iq type='result' id='v1' from='" COMP "' to='" DOM "'/>",
	       "verify: right password");
	snprintf(xml, sizeof(xml),
		 "<iq type='get' id='v2' from='" DOM "' to='" COMP "'><verify "
		 "xmlns='" CB_XMPP_NS_AUTH "' jid='Alice@EXAMPLE.com/res'>%s</verify></iq>",
		 pw);
	expect(xml, "<iq type='result' id='v2' from='" COMP "' to='" DOM "'/>",
	       "verify: the jid is folded and made bare");
	snprintf(xml, sizeof(xml),
		 "<iq type='get' id='v3' from='" DOM "' to='" COMP "'><verify "
		 "xmlns='" CB_XMPP_NS_AUTH "' jid='alice@" DOM "'>%s</verify></iq>",
		 bad);
	expect(xml,
	       "<iq type='error' id='v3' from='" COMP "' to='" DOM "'><error type='auth'>"
	       "<not-authorized xmlns='" CB_XMPP_NS_STANZAS "'/></error></iq>",
	       "verify: wrong password is not-authorized");
	snprintf(xml, sizeof(xml),
		 "<iq type='get' id='v4' from='" DOM "' to='" COMP "'><verify "
		 "xmlns='" CB_XMPP_NS_AUTH "' jid='nobody@" DOM "'>%s</verify></iq>",
		 pw);
	expect(xml,
	       "<iq type='error' id='v4' from='" COMP "' to='" DOM "'><error type='auth'>"
	       "<not-authorized xmlns='" CB_XMPP_NS_STANZAS "'/></error></iq>",
	       "verify: an unknown user gets the same answer");
	snprintf(xml, sizeof(xml),
		 "<iq type='get' id='v5' from='mallory@" DOM "/x' to='" COMP "'><verify "
		 "xmlns='" CB_XMPP_NS_AUTH "' jid='alice@" DOM "'>%s</verify></iq>",
		 pw);
	expect(xml,
	       "<iq type='error' id='v5' from='" COMP "' to='mallory@" DOM "/x'><error "
	       "type='auth'><forbidden xmlns='" CB_XMPP_NS_STANZAS "'/></error></iq>",
	       "verify: only the server's domain may ask");
	expect("<iq type='get' id='v6' from='" DOM "' to='" COMP "'><verify xmlns='" CB_XMPP_NS_AUTH
	       "' jid='alice@" DOM "'>!!notbase64</verify></iq>",
	       "<iq type='error' id='v6' from='" COMP "' to='" DOM "'><error type='modify'>"
	       "<bad-request xmlns='" CB_XMPP_NS_STANZAS "'/></error></iq>",
	       "verify: bad base64 is bad-request");
	expect("<iq type='get' id='v7' from='" DOM "' to='" COMP "'><verify xmlns='" CB_XMPP_NS_AUTH
	       "' jid='alice@" DOM "'>YQBi</verify></iq>",
	       "<iq type='error' id='v7' from='" COMP "' to='" DOM "'><error type='modify'>"
	       "<bad-request xmlns='" CB_XMPP_NS_STANZAS "'/></error></iq>",
	       "verify: a NUL in the password is bad-request");
	dir_fail = -EIO;
	snprintf(xml, sizeof(xml),
		 "<iq type='get' id='v8' from='" DOM "' to='" COMP "'><verify "
		 "xmlns='" CB_XMPP_NS_AUTH "' jid='alice@" DOM "'>%s</verify></iq>",
		 pw);
	expect(xml,
	       "<iq type='error' id='v8' from='" COMP "' to='" DOM "'><error type='wait'>"
	       "<internal-server-error xmlns='" CB_XMPP_NS_STANZAS "'/></error></iq>",
	       "verify: a failing store is wait/internal-server-error");
	dir_fail = 0;
	free(pw);
	free(bad);
}

static void test_scram(void)
{
	struct xmpp_scram_creds stored, derived;
	char *want, b[3][64];

	ok(cb_api_scram_encode(XMPP_SASL_SCRAM_SHA_1, "s3cret pw", &alice_sha1) == 0,
	   "scram: SHA-1 keys made");
	ok(cb_api_scram_encode(XMPP_SASL_SCRAM_SHA_256, "s3cret pw", &alice_sha256) == 0,
	   "scram: SHA-256 keys made");
	ok(strncmp(alice_sha1, "4096,", 5) == 0, "scram: 4096 iterations (%s)", alice_sha1);
	is_int(cb_xmpp_scram_parse(alice_sha256, XMPP_SASL_SCRAM_SHA_256, &stored), 0,
	       "scram: stored form parses");
	is_int((int)stored.salt_len, 16, "scram: 16-byte salt");
	xmpp_scram_derive(XMPP_SASL_SCRAM_SHA_256, "s3cret pw", stored.salt, stored.salt_len, 4096,
			  &derived);
	ok(memcmp(stored.stored_key, derived.stored_key, 32) == 0 &&
	       memcmp(stored.server_key, derived.server_key, 32) == 0,
	   "scram: keys equal xmpp_scram_derive's for the same salt");
	is_int(cb_xmpp_scram_parse(alice_sha256, XMPP_SASL_SCRAM_SHA_1, &stored), -EINVAL,
	       "scram: SHA-256 keys are not SHA-1 keys");
	is_int(cb_xmpp_scram_parse("4096,AAAA,AAAA", XMPP_SASL_SCRAM_SHA_1, &stored), -EINVAL,
	       "scram: three parts refused");
	is_int(cb_xmpp_scram_parse("12,AAAA,AAAA,AAAA", XMPP_SASL_SCRAM_SHA_1, &stored), -EINVAL,
	       "scram: too few iterations refused");

	cb_xmpp_scram_parse(alice_sha1, XMPP_SASL_SCRAM_SHA_1, &stored);
	cv_base64_encode(stored.salt, stored.salt_len, b[0]);
	cv_base64_encode(stored.stored_key, 20, b[1]);
	cv_base64_encode(stored.server_key, 20, b[2]);
	want = xasprintf("<iq type='result' id='s1' from='" COMP "' to='" DOM
			 "'><scram xmlns='" CB_XMPP_NS_AUTH
			 "' mechanism='SCRAM-SHA-1' salt='%s' iterations='4096' stored-key='%s' "
			 "server-key='%s'/></iq>",
			 b[0], b[1], b[2]);
	expect("<iq type='get' id='s1' from='" DOM "' to='" COMP "'><scram xmlns='" CB_XMPP_NS_AUTH
	       "' jid='alice@" DOM "' mechanism='SCRAM-SHA-1'/></iq>",
	       want, "scram: SHA-1 keys of a user");
	free(want);
	{
		int r;
		char *got = answer("<iq type='get' id='s2' from='" DOM "' to='" COMP
				   "'><scram xmlns='" CB_XMPP_NS_AUTH "' jid='alice@" DOM
				   "' mechanism='SCRAM-SHA-256'/></iq>",
				   &r);

		ok(strstr(got, "mechanism='SCRAM-SHA-256'") && strlen(got) > 200,
		   "scram: SHA-256 keys of a user (%s)", got);
		free(got);
	}
	expect("<iq type='get' id='s3' from='" DOM "' to='" COMP "'><scram xmlns='" CB_XMPP_NS_AUTH
	       "' jid='nobody@" DOM "' mechanism='SCRAM-SHA-1'/></iq>",
	       "<iq type='error' id='s3' from='" COMP "' to='" DOM "'><error type='cancel'>"
	       "<item-not-found xmlns='" CB_XMPP_NS_STANZAS "'/></error></iq>",
	       "scram: unknown user is item-not-found");
	expect("<iq type='get' id='s4' from='" DOM "' to='" COMP "'><scram xmlns='" CB_XMPP_NS_AUTH
	       "' jid='alice@" DOM "' mechanism='PLAIN'/></iq>",
	       "<iq type='error' id='s4' from='" COMP "' to='" DOM "'><error type='modify'>"
	       "<bad-request xmlns='" CB_XMPP_NS_STANZAS "'/></error></iq>",
	       "scram: PLAIN is bad-request");
	expect("<iq type='get' id='s5' from='alice@" DOM "/r' to='" COMP
	       "'><scram xmlns='" CB_XMPP_NS_AUTH "' jid='alice@" DOM
	       "' mechanism='SCRAM-SHA-1'/></iq>",
	       "<iq type='error' id='s5' from='" COMP "' to='alice@" DOM "/r'><error type='auth'>"
	       "<forbidden xmlns='" CB_XMPP_NS_STANZAS "'/></error></iq>",
	       "scram: a user may not ask for keys");
}

static void test_disco_and_rest(void)
{
	expect("<iq type='get' id='d1' from='alice@" DOM "/res' to='" COMP
	       "'><query xmlns='" CB_XMPP_NS_DISCO_ITEMS "'/></iq>",
	       "<iq type='result' id='d1' from='" COMP "' to='alice@" DOM
	       "/res'><query xmlns='" CB_XMPP_NS_DISCO_ITEMS
	       "'><item jid='0b8d4b1c-1a3b-4c2d-9e0f-000000000001@" COMP
	       "' name='Alice&apos;s &lt;room&gt; &amp; co'/><item "
	       "jid='0b8d4b1c-1a3b-4c2d-9e0f-000000000002@" COMP "' name='Team'/></query></iq>",
	       "disco#items: alice's spaces, names escaped");
	expect("<iq type='get' id='d2' from='carol@" DOM "/res' to='" COMP
	       "'><query xmlns='" CB_XMPP_NS_DISCO_ITEMS "'/></iq>",
	       "<iq type='result' id='d2' from='" COMP "' to='carol@" DOM
	       "/res'><query xmlns='" CB_XMPP_NS_DISCO_ITEMS "'/></iq>",
	       "disco#items: a user without spaces gets an empty list");
	expect("<iq type='get' id='x1' from='alice@" DOM "/res' to='" COMP
	       "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
	       "<iq type='error' id='x1' from='" COMP "' to='alice@" DOM "/res'><error "
	       "type='cancel'><service-unavailable xmlns='" CB_XMPP_NS_STANZAS "'/></error></iq>",
	       "another IQ get: service-unavailable");
	expect("<iq type='set' id='x2' from='" DOM "' to='" COMP
	       "'><ping xmlns='urn:xmpp:ping'/></iq>",
	       "<iq type='error' id='x2' from='" COMP "' to='" DOM "'><error "
	       "type='cancel'><service-unavailable xmlns='" CB_XMPP_NS_STANZAS "'/></error></iq>",
	       "another IQ set: service-unavailable");
	expect("<iq type='result' id='x3' from='" DOM "' to='" COMP "'/>", "",
	       "an IQ result: no answer");
	expect("<iq type='error' id='x4' from='" DOM "' to='" COMP "'/>", "",
	       "an IQ error: no answer");
	expect("<message from='alice@" DOM "/r' to='room@" COMP "'><body>hi</body></message>", "",
	       "a message: no answer");
	expect("<presence from='alice@" DOM "/r' to='" COMP "'/>", "", "presence: no answer");
	expect("<iq type='get' id='x5' from='" DOM "' to='" COMP "'/>",
	       "<iq type='error' id='x5' from='" COMP "' to='" DOM "'><error type='modify'>"
	       "<bad-request xmlns='" CB_XMPP_NS_STANZAS "'/></error></iq>",
	       "an IQ get without a child: bad-request");
	{
		int r;
		char *got = answer("<iq type='get'><a></iq>", &r);

		is_int(r, -EBADMSG, "malformed bytes refused");
		is_str(got, "", "malformed bytes: no answer");
		free(got);
		got = answer("<iq type='get'/><iq type='get'/>", &r);
		is_int(r, -EBADMSG, "two stanzas refused");
		free(got);
	}
}

/* --- through the API --------------------------------------------------------- */

static int changed;

static void on_change(void *arg)
{
	(void)arg;
	changed++;
}

static int call(struct cb_api *api, const char *m, const char *path, const char *body,
		struct cb_response *resp)
{
	struct cb_request req = {
	    .method = m,
	    .path = path,
	    .body = body,
	    .body_len = body ? strlen(body) : 0,
	    .user = "admin",
	};

	cb_response_free(resp);
	cb_response_init(resp);
	cb_api_handle(api, &req, resp);
	return resp->status;
}

static void test_api(void)
{
	char dir[] = "/tmp/test_cb_xmpp_resp.XXXXXX", path[128], err[256];
	struct cb_api *api = NULL;
	struct cb_response resp;
	struct cb_row row;
	struct xmpp_scram_creds c, d;
	const char *st[CB_API_XMPP_NFIELDS] = {"connected", "xmpp.example.com:5223", "127.0.0.1",
					       NULL, ""};
	const char *loc;
	int f;

	cb_response_init(&resp);
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/cb.db", dir);
	if (cb_api_open(path, "cb1", &api, err, sizeof(err)) < 0) {
		ok(0, "open: %s", err);
		return;
	}
	cb_api_on_xmpp_change(api, on_change, NULL);

	is_int(call(api, "PUT", "/system/configuration/xmpp",
		    "uniqueName=cb1&domain=example.com&sharedSecret=abc&serverAddressOverride="
		    "xmpp.example.com:5347",
		    &resp),
	       200, "serverAddressOverride host:port accepted");
	is_int(changed, 1, "the change hook ran once");
	is_int(call(api, "PUT", "/system/configuration/xmpp", "serverAddressOverride=[::1]:5223",
		    &resp),
	       200, "serverAddressOverride [v6]:port accepted");
	is_int(call(api, "PUT", "/system/configuration/xmpp", "serverAddressOverride=::1", &resp),
	       400, "a bare IPv6 override refused");
	is_int(changed, 2, "no hook for a refused change");
	call(api, "GET", "/system/configuration/xmpp", NULL, &resp);
	ok(strstr(sb_str(&resp.body), "<serverAddressOverride>[::1]:5223<") != NULL,
	   "the override reads back");

	call(api, "GET", "/system/status", NULL, &resp);
	ok(!strstr(sb_str(&resp.body), "xmpp"), "no XMPP fields before the link reports");
	cb_api_set_xmpp_status(api, st);
	call(api, "GET", "/system/status", NULL, &resp);
	ok(strstr(sb_str(&resp.body),
		  "  <callsActive>0</callsActive>\n  <xmppState>connected</xmppState>\n"
		  "  <xmppServer>xmpp.example.com:5223</xmppServer>\n"
		  "  <xmppServerAddress>127.0.0.1</xmppServerAddress>\n</status>") != NULL,
	   "status shows the link, empty fields left out");
	is_str(cb_api_xmpp_status(api, CB_API_XMPP_SERVER), "xmpp.example.com:5223",
	       "the status reads back for Web Admin");

	is_int(call(api, "POST", "/users", "userJid=alice@example.com&password=s3cret+pw", &resp),
	       200, "user with a password made");
	loc = strrchr(resp.location, '/');
	if (!loc || cb_api_db(api)->ops->get(cb_api_db(api), &cb_obj_users, loc + 1, &row) < 0) {
		ok(0, "the user row reads");
	} else {
		f = cb_obj_field(&cb_obj_users, "scramSha1");
		ok(row.vals[f] && cb_xmpp_scram_parse(row.vals[f], XMPP_SASL_SCRAM_SHA_1, &c) == 0,
		   "the row holds SHA-1 keys");
		xmpp_scram_derive(XMPP_SASL_SCRAM_SHA_1, "s3cret pw", c.salt, c.salt_len, 4096, &d);
		ok(memcmp(c.stored_key, d.stored_key, 20) == 0, "of the password set");
		f = cb_obj_field(&cb_obj_users, "scramSha256");
		ok(row.vals[f] &&
		       cb_xmpp_scram_parse(row.vals[f], XMPP_SASL_SCRAM_SHA_256, &c) == 0,
		   "the row holds SHA-256 keys");
		cb_row_free(&row);
		call(api, "GET", resp.location + strlen("/api/v1"), NULL, &resp);
		ok(!strstr(sb_str(&resp.body), "scram"), "the keys are never shown");
	}
	is_int(call(api, "POST", "/users", "userJid=bob@example.com&scramSha1=x", &resp), 400,
	       "the keys cannot be set");

	cb_response_free(&resp);
	cb_api_close(api);
	unlink(path);
	snprintf(path, sizeof(path), "%s/cb.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/cb.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

static void test_words(void)
{
	char buf[512];

	cb_xmpp_status_text("connected", "xmpp.example.com:5223", "127.0.0.1", "", "", buf,
			    sizeof(buf));
	is_str(buf, "connected to xmpp.example.com:5223 (127.0.0.1)", "words: connected");
	cb_xmpp_status_text("retrying", "xmpp.example.com:5223", "127.0.0.1",
			    "authenticationFailure", "not-authorized: Given token does not match",
			    buf, sizeof(buf));
	is_str(buf,
	       "not connected: authentication failure with xmpp.example.com:5223 (not-authorized: "
	       "Given token does not match), retrying",
	       "words: authentication failure");
	cb_xmpp_status_text("idle", "", "", "notConfigured", "domain is not set", buf, sizeof(buf));
	is_str(buf, "not configured (domain is not set)", "words: not configured");
	cb_xmpp_status_text("connecting", "xmpp.example.com:5223", "", "", "", buf, sizeof(buf));
	is_str(buf, "connecting to xmpp.example.com:5223", "words: connecting");
	cb_xmpp_status_text("", "", "", "", "", buf, sizeof(buf));
	is_str(buf, "not running", "words: no link");
}

int main(void)
{
	test_scram();
	test_verify();
	test_disco_and_rest();
	test_api();
	test_words();
	free(alice_sha1);
	free(alice_sha256);
	return tap_done();
}
