// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The service commands (area table mmp_area_services): callbridge, webadmin,
 * webbridge3, turn, xmpp and the tls policy (spec/mmp.md 1.3-1.5, 3.2, 6-9,
 * 11.1; the pki commands are in cmd_pki.c). Configuration commands only
 * store config (1.4): the
 * status screens show the stored values at once, and "<svc> enable" /
 * "<svc> restart" validate them and ask mmpd to (re)start the service.
 *
 * Decisions (spec/mmp.md marks these [INF]; they are ours):
 *  - Config layout, one object per service: <svc>.enabled, <svc>.listen
 *    (array of "a" tokens; webbridge3 uses "a:445" tokens under
 *    webbridge3.https.listen and webbridge3.c2w.listen), <svc>.key,
 *    <svc>.crt, <svc>.bundle, and the keys named in each handler below.
 *  - Roles: every configuration command, status screen, enable/disable and
 *    tls command is admin only (appadmin configures the application through
 *    Web Admin, not the MMP: spec 5 and 15.6).
 *  - Files named by a command must exist in the upload directory as regular
 *    files (symlinks are refused) when the command runs
 *    ("FAILURE: Unable to read file <f>", nothing stored); enable checks
 *    them again, since they may be deleted over SFTP in between.
 *  - Bad input is refused by the engine ("Invalid interface", "Invalid
 *    port", "Usage:") or here with a plain message; input errors have no
 *    FAILURE: prefix, enable-time checks and missing files do (spec 14).
 *  - A listen list may be cleared with "<svc> listen none" (spec 1.3: an
 *    empty list is the string none); a duplicate token is refused.
 *  - enable: "FAILURE: <svc> is not installed" when the program is missing.
 *    Otherwise all checks run and each failing one prints one line: listen
 *    list empty, interfaces without an IPv4 address, service-specific
 *    completeness (certificates, credentials, domain), unreadable files,
 *    the certificates, port clashes; then "SUCCESS: <Svc> enabled" or
 *    "FAILURE: <Svc> configuration not complete". Passing checks print
 *    nothing, except the certificate checks of spec 1.4 items 4-5, which
 *    print their SUCCESS lines as S4 and S11 show them.
 *  - Certificate checks (items 4-5) run through cv_certs_check_identity(),
 *    the function the services' TLS layer runs when it loads the same
 *    files (certs/README.md), for each identity whose key and certificate
 *    are set and readable: the key parses and is not encrypted, the
 *    certificate parses, "SUCCESS: Key and certificate pair match" (or
 *    "FAILURE: Key and certificate do not match"), every certificate of the
 *    file is within its dates (at the handlers' clock, cv_now()), a
 *    full chain is in order, and with a bundle "SUCCESS: certificate
 *    verified against CA bundle" (or "FAILURE: certificate failed
 *    verification: <reason>"). Each identity stops at its first failure;
 *    webbridge3's HTTPS and C2W identities are checked once when they name
 *    the same files. Trust bundles (callbridge trust *, webbridge3 c2w trust,
 *    tls <policy> trust) must hold at least one certificate ("FAILURE: <f>
 *    does not contain a certificate"); they verify peers, not our own
 *    certificate, so our certificate is not checked against them.
 *  - <Svc> is the command name with its first letter capitalised:
 *    Callbridge, Webadmin, Webbridge3, Turn, Xmpp (the S4 "Streamer enabled"
 *    pattern).
 *  - enable on an enabled service restarts it (MMP_SVC_RESTART). restart runs
 *    the same checks and prints "SUCCESS: <Svc> restarted"; on a disabled
 *    service it also enables it (S13 scripts "disable, configure, restart";
 *    S1 applies the call bridge config with restart only). disable stores
 *    enabled=false, asks mmpd to stop it and prints nothing.
 *  - The enable-time checks (ports each service binds, completeness,
 *    certificates) are in cmd_svc_checks.c.
 *  - Defaults shown before anything is set: turn "High Capacity Mode"
 *    enabled and webbridge3 "Audio priority flag" Enabled (S1 shows both on
 *    boxes that never set them), callbridge "WC3 JWT Expiry in hours" 24.
 *    The TURN password and shared secret are shown in clear (S1).
 *  - Optional lines: callbridge and webadmin "CA Bundle file" when a bundle
 *    is set; callbridge "AV1 Video Codec" (third block, column 26) once
 *    "callbridge av1" has been used. webbridge3 "HTTP redirect" shows only
 *    Enabled/Disabled (spec 8), not a non-default redirect port.
 *  - xmpp: the screen uses column 24 like webadmin and turn. "xmpp
 *    callbridge add" prints Success/Callbridge/Domain/Secret lines, the
 *    form recalled from CMS 2.x; the secret is 20 letters and digits from
 *    getrandom(2). add-secret asks for it (a prompt: it stays out of the
 *    command line and so out of the audit log). "list" shows every bridge
 *    with its secret, since the operator needs it on the call bridge side.
 *    Secrets are stored in clear in the config document: the XEP-0114
 *    handshake needs them (DESIGN.md 5: readable only by root and the
 *    service).
 *  - tls services: sip, ldap and c2w (the call bridge's SIP, LDAP and C2W
 *    links; a webbridge3 C2W listener applies tls.c2w too), webadmin,
 *    webbridge3, turn, xmpp. Defaults: minimum TLS 1.2, minimum DTLS 1.2,
 *    ciphers "default", no trust bundle, verification disabled. "tls <svc>"
 *    and "tls min-dtls-version" show them. tls commands only store config
 *    like the others (1.4, although spec 3.2 proposes restarting the
 *    affected services): the service applies them on its next restart.
 *    What each setting does in the services is certs/tls.h's business
 *    (certs/README.md): min-tls-version removes the older versions;
 *    ciphers is a GnuTLS priority string or OpenSSL cipher-suite names,
 *    checked here with cv_tls_priority() so that a stored value always
 *    loads ("Invalid cipher list "x": <reason>"); trust is the CA bundle
 *    that verifies peers; verify enable makes a listener require and check
 *    client certificates and a client check the server's chain and name
 *    (against the system CA store when no trust bundle is set); verify ocsp
 *    also makes a client require a stapled OCSP response.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certs/certs.h"
#include "certs/tls.h"
#include "lib/clock.h"
#include "lib/conf.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/cmd_services.h"
#include "services/mmpd/screen.h"
#include "services/mmpd/users.h"

#define ADMIN MMP_ROLE_ADMIN

const char *const mmp_service_names[] = {
	"callbridge", "webadmin", "webbridge3", "turn", "xmpp", NULL,
};

/* --- small helpers ----------------------------------------------------- */

/* The typed argument named name (mmp_arg would also match a keyword of the
 * same name: "xmpp domain <domain>"). */
static const char *typed_arg(const struct mmp_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->nvals; i++)
		if (ctx->vals[i].type != MMP_T_LITERAL && strcmp(ctx->vals[i].name, name) == 0)
			return ctx->vals[i].str;
	return NULL;
}

static void kv(struct mmp_ctx *ctx, int col, const char *label, const char *value)
{
	mmp_screen_kv(&ctx->out, col, label, or_none(value));
}

static void set_str(struct mmp_ctx *ctx, const char *path, const char *s)
{
	cv_conf_set_str(ctx->doc, path, s);
	ctx->changed = true;
}

static void set_bool(struct mmp_ctx *ctx, const char *path, bool b)
{
	cv_conf_set_bool(ctx->doc, path, b);
	ctx->changed = true;
}

static void del(struct mmp_ctx *ctx, const char *path)
{
	cv_conf_del(ctx->doc, path);
	ctx->changed = true;
}

/* Every file argument of the command must be readable. */
static int need_files(struct mmp_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nvals; i++)
		if (ctx->vals[i].type == MMP_T_FILE && !mmp_upload_readable(ctx->env, ctx->vals[i].str))
			return mmp_fail(ctx, "FAILURE: Unable to read file %s", ctx->vals[i].str);
	return 0;
}

/* The string elements of the array at path, at most max. */
size_t mmp_conf_list(struct mmp_ctx *ctx, const char *path, const char **ret, size_t max)
{
	json_object *a = cv_conf_get(ctx->doc, path);
	size_t n = 0;

	if (!a || !json_object_is_type(a, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(a) && n < max; i++) {
		json_object *e = json_object_array_get_idx(a, i);

		if (json_object_is_type(e, json_type_string))
			ret[n++] = json_object_get_string(e);
	}
	return n;
}

/* The list at path joined with spaces, or "none". */
static void list_line(struct mmp_ctx *ctx, int col, const char *label, const char *path)
{
	const char *v[MMP_MAX_TOKENS];
	size_t n = mmp_conf_list(ctx, path, v, MMP_MAX_TOKENS);
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < n; i++)
		sb_printf(&sb, "%s%s", i ? " " : "", v[i]);
	kv(ctx, col, label, sb_str(&sb));
	sb_free(&sb);
}

/* Stores the <if>... arguments as an array at path; refuses duplicates. */
static int set_iface_list(struct mmp_ctx *ctx, const char *path)
{
	json_object *arr = json_object_new_array();
	char seen[8] = "";
	size_t ns = 0;

	for (size_t i = 0; i < ctx->nvals; i++) {
		const struct mmp_val *v = &ctx->vals[i];
		char s[2] = { v->u.iface, '\0' };

		if (v->type != MMP_T_IFACE)
			continue;
		if (memchr(seen, v->u.iface, ns)) {
			json_object_put(arr);
			return mmp_fail(ctx, "Duplicate interface \"%s\"", s);
		}
		seen[ns++] = v->u.iface;
		json_object_array_add(arr, json_object_new_string(s));
	}
	cv_conf_set(ctx->doc, path, arr);
	ctx->changed = true;
	return 0;
}

/* Stores the <if:port>... arguments as "a:445" tokens at path; a bare
 * interface means port 443 (spec 1.3); refuses duplicates. */
static int set_ifport_list(struct mmp_ctx *ctx, const char *path)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < ctx->nvals; i++) {
		const struct mmp_val *v = &ctx->vals[i];
		char tok[16];

		if (v->type != MMP_T_IFPORT)
			continue;
		snprintf(tok, sizeof(tok), "%c:%u", v->iface, v->u.port ? v->u.port : 443u);
		for (size_t j = 0; j < json_object_array_length(arr); j++) {
			json_object *e = json_object_array_get_idx(arr, j);

			if (strcmp(json_object_get_string(e), tok) == 0) {
				json_object_put(arr);
				return mmp_fail(ctx, "Duplicate listen token \"%s\"", tok);
			}
		}
		json_object_array_add(arr, json_object_new_string(tok));
	}
	cv_conf_set(ctx->doc, path, arr);
	ctx->changed = true;
	return 0;
}

/* The config path of a listen or certs command: its keywords before the
 * last one, joined by dots ("webbridge3 c2w listen" -> "webbridge3.c2w"),
 * plus suffix. */
static void cmd_path(const struct mmp_ctx *ctx, const char *last, const char *suffix, char *buf,
		     size_t len)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < ctx->nvals && strcmp(ctx->vals[i].str, last) != 0; i++)
		sb_printf(&sb, "%s%s", i ? "." : "", ctx->vals[i].str);
	snprintf(buf, len, "%s%s", sb_str(&sb), suffix);
	sb_free(&sb);
}

/* "<svc> [https|c2w] listen (<if>...|<if:port>...|none)": replaces the list. */
static int cmd_listen(struct mmp_ctx *ctx)
{
	char path[64];

	cmd_path(ctx, "listen", ".listen", path, sizeof(path));
	if (mmp_has(ctx, "none")) {
		cv_conf_set(ctx->doc, path, json_object_new_array());
		ctx->changed = true;
		return 0;
	}
	if (mmp_val(ctx, "if:port"))
		return set_ifport_list(ctx, path);
	return set_iface_list(ctx, path);
}

/* "<svc> [https|c2w] certs <key> <crt> [<bundle>]": <prefix>.key, .crt and
 * .bundle (removed when not given). */
static int cmd_certs(struct mmp_ctx *ctx)
{
	const char *bundle = mmp_arg(ctx, "bundle"), *crt;
	char prefix[48], path[64];

	cmd_path(ctx, "certs", "", prefix, sizeof(prefix));
	if (need_files(ctx) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s.key", prefix);
	set_str(ctx, path, mmp_arg(ctx, "key"));
	snprintf(path, sizeof(path), "%s.crt", prefix);
	crt = mmp_arg(ctx, "crt") ? mmp_arg(ctx, "crt") : mmp_arg(ctx, "fullchain-crt");
	set_str(ctx, path, crt);
	snprintf(path, sizeof(path), "%s.bundle", prefix);
	if (bundle)
		set_str(ctx, path, bundle);
	else
		del(ctx, path);
	return 0;
}

/* Checks a free-text argument: 1..max bytes of printable ASCII (space
 * allowed: the tokenizer groups quoted words) without the characters in bad. */
static int check_text(struct mmp_ctx *ctx, const char *what, const char *s, size_t max,
		      const char *bad)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return mmp_fail(ctx, "Invalid %s \"%s\": 1 to %zu characters", what, s, max);
	for (const char *p = s; *p; p++)
		if (*p < 0x20 || *p > 0x7e || (bad && strchr(bad, *p)))
			return mmp_fail(ctx, "Invalid %s \"%s\"", what, s);
	return 0;
}

const struct mmp_svc_state *mmp_svc_snapshot(const struct mmp_ctx *ctx, const char *svc)
{
	static const struct mmp_svc_state none;

	for (size_t i = 0; ctx->env && mmp_service_names[i] && i < MMP_MAX_SVC; i++)
		if (strcmp(mmp_service_names[i], svc) == 0)
			return &ctx->env->svc[i];
	return &none;
}

static bool svc_installed(const struct mmp_ctx *ctx, const char *svc)
{
	return mmp_svc_snapshot(ctx, svc)->installed;
}

/* "<svc> enable|disable|restart" for every service. */
static int cmd_control(struct mmp_ctx *ctx)
{
	const char *svc = ctx->vals[0].str, *title = mmp_service_title(svc);
	char path[64];
	bool was;

	if (!title)
		return mmp_fail(ctx, "Unknown service %s", svc);
	snprintf(path, sizeof(path), "%s.enabled", svc);
	was = cv_conf_get_bool(ctx->doc, path, false);
	if (mmp_has(ctx, "disable")) {
		if (was)
			set_bool(ctx, path, false);
		mmp_svc_action(ctx, svc, MMP_SVC_STOP);
		return 0;
	}
	if (!svc_installed(ctx, svc))
		return mmp_fail(ctx, "FAILURE: %s is not installed", svc);
	if (mmp_services_check(ctx, svc) < 0)
		return mmp_fail(ctx, "FAILURE: %s configuration not complete", title);
	if (!was)
		set_bool(ctx, path, true);
	mmp_svc_action(ctx, svc, was ? MMP_SVC_RESTART : MMP_SVC_START);
	mmp_printf(ctx, "SUCCESS: %s %s\n", title,
		   mmp_has(ctx, "restart") ? "restarted" : "enabled");
	return 0;
}

/* --- callbridge (spec 6) ------------------------------------------------- */

static int cb_status(struct mmp_ctx *ctx)
{
	json_object *av1 = cv_conf_get(ctx->doc, "callbridge.av1");

	list_line(ctx, 22, "Listening interfaces", "callbridge.listen");
	kv(ctx, 22, "Preferred interface", cstr(ctx, "callbridge.prefer"));
	kv(ctx, 22, "Key file", cstr(ctx, "callbridge.key"));
	kv(ctx, 22, "Certificate file", cstr(ctx, "callbridge.crt"));
	kv(ctx, 22, "Address", cstr(ctx, "callbridge.address"));
	if (cstr(ctx, "callbridge.bundle"))
		kv(ctx, 22, "CA Bundle file", cstr(ctx, "callbridge.bundle"));
	kv(ctx, 36, "C2W trusted certs", cstr(ctx, "callbridge.trust.c2w"));
	kv(ctx, 36, "Callbridge cluster trusted certs", cstr(ctx, "callbridge.trust.cluster"));
	kv(ctx, 36, "Callbridge trust branding certs", cstr(ctx, "callbridge.trust.branding"));
	kv(ctx, 26, "UCM trusted certs", cstr(ctx, "callbridge.trust.ucm"));
	kv(ctx, 26, "UCM verification mode",
	   cv_conf_get_bool(ctx->doc, "callbridge.ucm_verify", false) ? "enabled" : "disabled");
	kv(ctx, 26, "IMPS trusted certs", cstr(ctx, "callbridge.trust.imps"));
	kv(ctx, 26, "IMPS verification mode",
	   cv_conf_get_bool(ctx->doc, "callbridge.imps_verify", false) ? "enabled" : "disabled");
	mmp_screen_kvf(&ctx->out, 26, "WC3 JWT Expiry in hours", "%lld",
		       (long long)cv_conf_get_int(ctx->doc, "callbridge.wc3jwt_expiry", 24));
	/* S2 (3.9): the line exists once AV1 has been configured; it is in the
	 * third block (flattened onto the JWT line in the scrape). */
	if (av1)
		kv(ctx, 26, "AV1 Video Codec",
		   json_object_get_boolean(av1) ? "enabled" : "disabled");
	/* Not on CMS's screen: the media engine runs beside the call bridge
	 * here (issue 12), so the screen says how it is while enabled. */
	if (svc_enabled(ctx, "callbridge") && ctx->env) {
		const struct mmp_svc_state *m = &ctx->env->media;

		if (!m->installed)
			kv(ctx, 26, "Media engine", "not installed");
		else if (m->failed)
			mmp_screen_kvf(&ctx->out, 26, "Media engine", "failed (%s)", m->last_exit);
		else if (m->running)
			mmp_screen_kvf(&ctx->out, 26, "Media engine", "running (pid %d)", m->pid);
		else
			kv(ctx, 26, "Media engine", "starting");
	}
	return 0;
}

static int cb_prefer(struct mmp_ctx *ctx)
{
	if (mmp_has(ctx, "none"))
		del(ctx, "callbridge.prefer");
	else
		set_str(ctx, "callbridge.prefer", mmp_arg(ctx, "if"));
	return 0;
}

static int cb_certs_none(struct mmp_ctx *ctx)
{
	del(ctx, "callbridge.key");
	del(ctx, "callbridge.crt");
	del(ctx, "callbridge.bundle");
	return 0;
}

static int cb_trust(struct mmp_ctx *ctx)
{
	char path[64];

	/* vals: callbridge trust <kind> <bundle>|none */
	snprintf(path, sizeof(path), "callbridge.trust.%s", ctx->vals[2].str);
	if (mmp_has(ctx, "none")) {
		del(ctx, path);
		return 0;
	}
	if (need_files(ctx) < 0)
		return -1;
	set_str(ctx, path, mmp_arg(ctx, "bundle"));
	return 0;
}

static int cb_verify(struct mmp_ctx *ctx)
{
	set_bool(ctx, mmp_has(ctx, "ucm") ? "callbridge.ucm_verify" : "callbridge.imps_verify",
		 mmp_has(ctx, "enable"));
	return 0;
}

static int cb_wc3jwt(struct mmp_ctx *ctx)
{
	const struct mmp_val *v = mmp_val(ctx, "hours");

	if (v->u.num < 1 || v->u.num > 24)
		return mmp_fail(ctx, "Invalid number of hours \"%s\": must be 1-24", v->str);
	cv_conf_set_int(ctx->doc, "callbridge.wc3jwt_expiry", (int64_t)v->u.num);
	ctx->changed = true;
	return 0;
}

static int cb_av1(struct mmp_ctx *ctx)
{
	set_bool(ctx, "callbridge.av1", mmp_has(ctx, "enable"));
	return 0;
}

/* --- webadmin (spec 7) ---------------------------------------------------- */

static int wa_status(struct mmp_ctx *ctx)
{
	const struct mmp_svc_state *st = mmp_svc_snapshot(ctx, "webadmin");
	int64_t port = cv_conf_get_int(ctx->doc, "webadmin.port", 0);
	bool enabled = svc_enabled(ctx, "webadmin");
	const char *state;

	if (!enabled)
		state = "webadmin disabled";
	else if (st->running)
		state = "webadmin running";
	else
		state = "webadmin not running";
	kv(ctx, 24, "Enabled", enabled ? "true" : "false");
	kv(ctx, 24, "TLS listening interface", cstr(ctx, "webadmin.interface"));
	if (port)
		mmp_screen_kvf(&ctx->out, 24, "TLS listening port", "%lld", (long long)port);
	else
		kv(ctx, 24, "TLS listening port", NULL);
	kv(ctx, 24, "Key file", cstr(ctx, "webadmin.key"));
	kv(ctx, 24, "Certificate file", cstr(ctx, "webadmin.crt"));
	if (cstr(ctx, "webadmin.bundle"))
		kv(ctx, 24, "CA Bundle file", cstr(ctx, "webadmin.bundle"));
	kv(ctx, 24, "HTTP redirect",
	   cv_conf_get_bool(ctx->doc, "webadmin.http_redirect", false) ? "Enabled" : "Disabled");
	kv(ctx, 24, "STATUS", state);
	return 0;
}

static int wa_listen(struct mmp_ctx *ctx)
{
	set_str(ctx, "webadmin.interface", mmp_arg(ctx, "if"));
	cv_conf_set_int(ctx->doc, "webadmin.port", mmp_val(ctx, "port")->u.port);
	return 0;
}

static int wa_redirect(struct mmp_ctx *ctx)
{
	set_bool(ctx, "webadmin.http_redirect", mmp_has(ctx, "enable"));
	return 0;
}

/* --- webbridge3 (spec 8) -------------------------------------------------- */

static int wb_status(struct mmp_ctx *ctx)
{
	int64_t maport = cv_conf_get_int(ctx->doc, "webbridge3.meetingapps.port", 0);

	kv(ctx, 38, "Enabled", svc_enabled(ctx, "webbridge3") ? "true" : "false");
	list_line(ctx, 38, "HTTPS listening ports and interfaces", "webbridge3.https.listen");
	kv(ctx, 38, "HTTPS Key file", cstr(ctx, "webbridge3.https.key"));
	kv(ctx, 38, "HTTPS Full chain certificate file", cstr(ctx, "webbridge3.https.crt"));
	kv(ctx, 38, "HTTPS Frame-Ancestors", cstr(ctx, "webbridge3.https.frame_ancestors"));
	/* spec 8: Enabled or Disabled; a non-default redirect port is not shown. */
	kv(ctx, 38, "HTTP redirect",
	   cv_conf_get_bool(ctx->doc, "webbridge3.http_redirect", false) ? "Enabled" : "Disabled");
	list_line(ctx, 38, "C2W listening ports and interfaces", "webbridge3.c2w.listen");
	kv(ctx, 38, "C2W Key file", cstr(ctx, "webbridge3.c2w.key"));
	kv(ctx, 38, "C2W Full chain certificate file", cstr(ctx, "webbridge3.c2w.crt"));
	kv(ctx, 38, "C2W Trust bundle", cstr(ctx, "webbridge3.c2w.trust"));
	kv(ctx, 38, "Meetingapps address", cstr(ctx, "webbridge3.meetingapps.host"));
	if (maport)
		mmp_screen_kvf(&ctx->out, 38, "Meetingapps port", "%lld", (long long)maport);
	else
		kv(ctx, 38, "Meetingapps port", NULL);
	/* Default Enabled: the S1 screen shows it on a box that never set it. */
	kv(ctx, 38, "Audio priority flag",
	   cv_conf_get_bool(ctx->doc, "webbridge3.audio_priority", true) ? "Enabled" : "Disabled");
	kv(ctx, 38, "Beta options", cstr(ctx, "webbridge3.options"));
	return 0;
}

static int wb_c2w_trust(struct mmp_ctx *ctx)
{
	if (need_files(ctx) < 0)
		return -1;
	set_str(ctx, "webbridge3.c2w.trust", mmp_arg(ctx, "bundle"));
	return 0;
}

static int wb_frame_ancestors(struct mmp_ctx *ctx)
{
	const char *list = mmp_arg(ctx, "list");

	if (mmp_has(ctx, "none")) {
		del(ctx, "webbridge3.https.frame_ancestors");
		return 0;
	}
	/* CSP source expressions, space separated (quote the list); ';' and ','
	 * would end the directive or the header. */
	if (check_text(ctx, "frame-ancestors list", list, 1024, ";,\"\\") < 0)
		return -1;
	set_str(ctx, "webbridge3.https.frame_ancestors", list);
	return 0;
}

static int wb_redirect_enable(struct mmp_ctx *ctx)
{
	const struct mmp_val *p = mmp_val(ctx, "port");

	set_bool(ctx, "webbridge3.http_redirect", true);
	if (p)
		cv_conf_set_int(ctx->doc, "webbridge3.http_redirect_port", p->u.port);
	else
		cv_conf_del(ctx->doc, "webbridge3.http_redirect_port");
	return 0;
}

static int wb_redirect_disable(struct mmp_ctx *ctx)
{
	set_bool(ctx, "webbridge3.http_redirect", false);
	cv_conf_del(ctx->doc, "webbridge3.http_redirect_port");
	return 0;
}

static int wb_options(struct mmp_ctx *ctx)
{
	const char *list = mmp_arg(ctx, "list");

	if (mmp_has(ctx, "none")) {
		del(ctx, "webbridge3.options");
		return 0;
	}
	/* A comma-separated list of option words. */
	for (const char *p = list; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') ||
		      ('0' <= *p && *p <= '9') || strchr("_-.,=", *p)))
			return mmp_fail(ctx, "Invalid options list \"%s\"", list);
	if (check_text(ctx, "options list", list, 512, NULL) < 0)
		return -1;
	set_str(ctx, "webbridge3.options", list);
	return 0;
}

static int wb_audio_priority(struct mmp_ctx *ctx)
{
	set_bool(ctx, "webbridge3.audio_priority", mmp_has(ctx, "enable"));
	return 0;
}

static int wb_meetingapps_add(struct mmp_ctx *ctx)
{
	set_str(ctx, "webbridge3.meetingapps.host", mmp_arg(ctx, "host"));
	cv_conf_set_int(ctx->doc, "webbridge3.meetingapps.port", mmp_val(ctx, "port")->u.port);
	return 0;
}

static int wb_meetingapps_del(struct mmp_ctx *ctx)
{
	del(ctx, "webbridge3.meetingapps");
	return 0;
}

/* --- turn (spec 9) -------------------------------------------------------- */

static int turn_status(struct mmp_ctx *ctx)
{
	const char *ifs[MMP_MAX_TOKENS];
	size_t n = mmp_conf_list(ctx, "turn.listen", ifs, MMP_MAX_TOKENS);
	int64_t tls = cv_conf_get_int(ctx->doc, "turn.tls_port", 0);
	const char *relay = NULL;

	/* The relay address is that of the first listen interface (spec 9). */
	if (n > 0 && ifs[0][0]) {
		char path[32];

		snprintf(path, sizeof(path), "ipv4.%c.address", ifs[0][0]);
		relay = cstr(ctx, path);
	}
	kv(ctx, 24, "Enabled", svc_enabled(ctx, "turn") ? "true" : "false");
	kv(ctx, 24, "Username", cstr(ctx, "turn.username"));
	/* Shown in clear, as in S1; the shared secret likewise. */
	kv(ctx, 24, "Password", cstr(ctx, "turn.password"));
	kv(ctx, 24, "Short term credentials",
	   cv_conf_get_bool(ctx->doc, "turn.short_term", false) ? "enabled" : "disabled");
	kv(ctx, 24, "Shared secret", cstr(ctx, "turn.shared_secret"));
	kv(ctx, 24, "Realm", cstr(ctx, "turn.realm"));
	kv(ctx, 24, "Public IP", cstr(ctx, "turn.public_ip"));
	/* Default enabled: S1 shows it on a box that never set it. */
	kv(ctx, 24, "High Capacity Mode",
	   cv_conf_get_bool(ctx->doc, "turn.high_capacity", true) ? "enabled" : "disabled");
	kv(ctx, 24, "Relay address", relay);
	if (tls)
		mmp_screen_kvf(&ctx->out, 24, "TLS port", "%lld", (long long)tls);
	else
		kv(ctx, 24, "TLS port", NULL);
	kv(ctx, 24, "TLS cert", cstr(ctx, "turn.crt"));
	kv(ctx, 24, "TLS key", cstr(ctx, "turn.key"));
	kv(ctx, 24, "TLS bundle", cstr(ctx, "turn.bundle"));
	/* No colon; the name sits at column 22 (S1). */
	for (size_t i = 0; i < n; i++)
		mmp_printf(ctx, "%-22s%s\n", "Listen interface", ifs[i]);
	/* Ours, in the same form, only when set: peers the relay may reach
	 * although its default policy refuses them (services/turn). */
	n = mmp_conf_list(ctx, "turn.allow_peers", ifs, MMP_MAX_TOKENS);
	for (size_t i = 0; i < n; i++)
		mmp_printf(ctx, "%-22s%s\n", "Allowed peer", ifs[i]);
	return 0;
}

/* "turn allow-peer [delete] <cidr>": turn.allow_peers, a list of
 * "a.b.c.d/n" (normalised), at most TURN_MAX_ALLOW_PEERS. */
#define TURN_MAX_ALLOW_PEERS 32

static int turn_allow_peer(struct mmp_ctx *ctx)
{
	const struct mmp_val *v = mmp_val(ctx, "cidr");
	const char *cur[MMP_MAX_TOKENS];
	size_t n = mmp_conf_list(ctx, "turn.allow_peers", cur, MMP_MAX_TOKENS);
	json_object *arr = json_object_new_array();
	char net[INET_ADDRSTRLEN], cidr[INET_ADDRSTRLEN + 4];
	bool found = false;

	inet_ntop(AF_INET, &v->u.addr, net, sizeof(net));
	snprintf(cidr, sizeof(cidr), "%s/%u", net, v->plen);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(cur[i], cidr))
			found = true;
		else
			json_object_array_add(arr, json_object_new_string(cur[i]));
	}
	if (mmp_has(ctx, "delete") ? !found : found) {
		json_object_put(arr);
		return mmp_fail(ctx, found ? "Allowed peer already exists: %s"
					   : "Allowed peer not found: %s",
				cidr);
	}
	if (!mmp_has(ctx, "delete")) {
		if (n >= TURN_MAX_ALLOW_PEERS) {
			json_object_put(arr);
			return mmp_fail(ctx, "Too many allowed peers (at most %d)",
					TURN_MAX_ALLOW_PEERS);
		}
		json_object_array_add(arr, json_object_new_string(cidr));
	}
	if (json_object_array_length(arr) == 0) {
		json_object_put(arr);
		del(ctx, "turn.allow_peers");
	} else {
		cv_conf_set(ctx->doc, "turn.allow_peers", arr);
		ctx->changed = true;
	}
	return 0;
}

static int turn_credentials(struct mmp_ctx *ctx)
{
	/* RFC 8489 section 14: USERNAME under 509 bytes, REALM under 128
	 * characters; we keep both well inside. */
	if (check_text(ctx, "username", mmp_arg(ctx, "username"), 128, NULL) < 0 ||
	    check_text(ctx, "password", mmp_arg(ctx, "password"), 128, NULL) < 0 ||
	    check_text(ctx, "realm", mmp_arg(ctx, "realm"), 127, NULL) < 0)
		return -1;
	set_str(ctx, "turn.username", mmp_arg(ctx, "username"));
	set_str(ctx, "turn.password", mmp_arg(ctx, "password"));
	set_str(ctx, "turn.realm", mmp_arg(ctx, "realm"));
	return 0;
}

static int turn_public_ip(struct mmp_ctx *ctx)
{
	if (mmp_has(ctx, "none"))
		del(ctx, "turn.public_ip");
	else
		set_str(ctx, "turn.public_ip", mmp_arg(ctx, "addr"));
	return 0;
}

static int turn_tls(struct mmp_ctx *ctx)
{
	if (mmp_has(ctx, "none")) {
		del(ctx, "turn.tls_port");
		return 0;
	}
	cv_conf_set_int(ctx->doc, "turn.tls_port", mmp_val(ctx, "port")->u.port);
	ctx->changed = true;
	return 0;
}

static int turn_short_term(struct mmp_ctx *ctx)
{
	set_bool(ctx, "turn.short_term", mmp_has(ctx, "enable"));
	return 0;
}

static int turn_shared_secret(struct mmp_ctx *ctx)
{
	if (mmp_has(ctx, "none")) {
		del(ctx, "turn.shared_secret");
		return 0;
	}
	if (check_text(ctx, "shared secret", mmp_arg(ctx, "secret"), 256, NULL) < 0)
		return -1;
	set_str(ctx, "turn.shared_secret", mmp_arg(ctx, "secret"));
	return 0;
}

static int turn_high_capacity(struct mmp_ctx *ctx)
{
	set_bool(ctx, "turn.high_capacity", mmp_has(ctx, "enable"));
	return 0;
}

/* --- xmpp (spec 11.1) ------------------------------------------------------ */

#define XMPP_SECRET_LEN 20

static json_object *xmpp_bridges(struct mmp_ctx *ctx)
{
	json_object *o = cv_conf_get(ctx->doc, "xmpp.callbridges");

	return o && json_object_is_type(o, json_type_object) ? o : NULL;
}

static int xmpp_status(struct mmp_ctx *ctx)
{
	json_object *cbs = xmpp_bridges(ctx);

	kv(ctx, 24, "Enabled", svc_enabled(ctx, "xmpp") ? "true" : "false");
	list_line(ctx, 24, "Listening interfaces", "xmpp.listen");
	kv(ctx, 24, "Domain", cstr(ctx, "xmpp.domain"));
	kv(ctx, 24, "Key file", cstr(ctx, "xmpp.key"));
	kv(ctx, 24, "Certificate file", cstr(ctx, "xmpp.crt"));
	kv(ctx, 24, "CA Bundle file", cstr(ctx, "xmpp.bundle"));
	mmp_screen_kvf(&ctx->out, 24, "Call bridges", "%d",
		       cbs ? json_object_object_length(cbs) : 0);
	/* What the running server says (services/xmpp/README.md): the call
	 * bridges registered with it now. */
	if (mmp_svc_snapshot(ctx, "xmpp")->running)
		kv(ctx, 24, "Connected call bridges",
		   mmp_svc_snapshot(ctx, "xmpp")->status[0] ? mmp_svc_snapshot(ctx, "xmpp")->status
							    : "none");
	return 0;
}

static int xmpp_domain(struct mmp_ctx *ctx)
{
	set_str(ctx, "xmpp.domain", typed_arg(ctx, "domain"));
	return 0;
}

/* A call bridge name becomes the first label of its component JID
 * (<name>.<domain>): one DNS label. */
static int xmpp_check_name(struct mmp_ctx *ctx, const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 63 || name[0] == '-' || name[n - 1] == '-')
		return mmp_fail(ctx, "Invalid call bridge name \"%s\"", name);
	for (const char *p = name; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') ||
		      ('0' <= *p && *p <= '9') || *p == '-'))
			return mmp_fail(ctx, "Invalid call bridge name \"%s\"", name);
	return 0;
}

/* XMPP_SECRET_LEN letters and digits from getrandom(2), without modulo bias. */
static int xmpp_gen_secret(char *ret, size_t retlen)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	size_t have = 0;

	/* 62 * 4 = 248: bytes at or above it are dropped. Each round keeps
	 * about 97% of 64 bytes, so one round nearly always suffices; ten
	 * rounds bound the loop. */
	for (int round = 0; round < 10 && have < XMPP_SECRET_LEN; round++) {
		unsigned char buf[64];
		ssize_t got = getrandom(buf, sizeof(buf), 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (ssize_t i = 0; i < got && have < XMPP_SECRET_LEN; i++)
			if (buf[i] < 248)
				ret[have++] = alphabet[buf[i] % 62];
	}
	if (have < XMPP_SECRET_LEN || retlen <= XMPP_SECRET_LEN)
		return -EIO;
	ret[have] = '\0';
	return 0;
}

/* The "xmpp callbridge add" answer, in the form CMS 2.x prints [REC]. */
static void xmpp_bridge_lines(struct mmp_ctx *ctx, const char *name, const char *secret)
{
	kv(ctx, 24, "Callbridge", name);
	kv(ctx, 24, "Domain", cstr(ctx, "xmpp.domain"));
	if (secret)
		kv(ctx, 24, "Secret", secret);
}

static int xmpp_bridge_store(struct mmp_ctx *ctx, const char *name, const char *secret)
{
	json_object *cbs = xmpp_bridges(ctx), *e;

	if (!cbs) {
		cbs = json_object_new_object();
		cv_conf_set(ctx->doc, "xmpp.callbridges", cbs);
	}
	if (json_object_object_get_ex(cbs, name, NULL))
		return mmp_fail(ctx, "FAILURE: call bridge %s already exists", name);
	e = json_object_new_object();
	json_object_object_add(e, "secret", json_object_new_string(secret));
	json_object_object_add(cbs, name, e);
	ctx->changed = true;
	return 0;
}

static int xmpp_cb_add(struct mmp_ctx *ctx)
{
	const char *name = mmp_arg(ctx, "name");
	char secret[XMPP_SECRET_LEN + 1];

	if (xmpp_check_name(ctx, name) < 0)
		return -1;
	if (xmpp_gen_secret(secret, sizeof(secret)) < 0)
		return mmp_fail(ctx, "FAILURE: unable to generate a secret");
	if (xmpp_bridge_store(ctx, name, secret) < 0)
		return -1;
	kv(ctx, 24, "Success", "true");
	xmpp_bridge_lines(ctx, name, secret);
	return 0;
}

static int xmpp_cb_add_secret(struct mmp_ctx *ctx)
{
	const char *name = mmp_arg(ctx, "name");
	const char *secret = ctx->ninput > 0 ? ctx->input[0] : NULL;

	if (xmpp_check_name(ctx, name) < 0)
		return -1;
	if (!secret || !secret[0])
		return mmp_fail(ctx, "FAILURE: no secret given");
	for (const char *p = secret; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p > 0x7e)
			return mmp_fail(ctx, "Invalid secret: use printable characters without "
					     "spaces");
	if (strlen(secret) > 256)
		return mmp_fail(ctx, "Invalid secret: at most 256 characters");
	if (xmpp_bridge_store(ctx, name, secret) < 0)
		return -1;
	kv(ctx, 24, "Success", "true");
	xmpp_bridge_lines(ctx, name, NULL);
	return 0;
}

static int xmpp_cb_del(struct mmp_ctx *ctx)
{
	const char *name = mmp_arg(ctx, "name");
	json_object *cbs = xmpp_bridges(ctx);

	if (!cbs || !json_object_object_get_ex(cbs, name, NULL))
		return mmp_fail(ctx, "FAILURE: no call bridge named %s", name);
	json_object_object_del(cbs, name);
	ctx->changed = true;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One block per call bridge, sorted by name, with its secret: the operator
 * needs it to configure the call bridge side. */
static int xmpp_cb_list(struct mmp_ctx *ctx)
{
	json_object *cbs = xmpp_bridges(ctx);
	size_t n = cbs ? (size_t)json_object_object_length(cbs) : 0, k = 0;
	const char **names;

	if (n == 0) {
		mmp_printf(ctx, "No call bridges configured\n");
		return 0;
	}
	names = xcalloc(n, sizeof(*names));
	json_object_object_foreach(cbs, key, val)
	{
		(void)val;
		if (k < n)
			names[k++] = key;
	}
	qsort(names, k, sizeof(*names), cmp_str);
	for (size_t i = 0; i < k; i++) {
		json_object *e = NULL;

		if (i)
			mmp_printf(ctx, "\n");
		json_object_object_get_ex(cbs, names[i], &e);
		xmpp_bridge_lines(ctx, names[i], e ? cv_conf_get_str(e, "secret", NULL) : NULL);
	}
	free(names);
	return 0;
}

/* --- tls (spec 3.2) --------------------------------------------------------- */

#define TLS_SERVICES "(sip|ldap|webadmin|webbridge3|c2w|turn|xmpp)"

static void tls_path(struct mmp_ctx *ctx, const char *key, char *buf, size_t len)
{
	/* vals: tls <service> ... */
	snprintf(buf, len, "tls.%s.%s", ctx->vals[1].str, key);
}

static int tls_status(struct mmp_ctx *ctx)
{
	char p[64];

	tls_path(ctx, "min_version", p, sizeof(p));
	kv(ctx, 24, "Minimum TLS version", cv_conf_get_str(ctx->doc, p, "1.2"));
	tls_path(ctx, "ciphers", p, sizeof(p));
	kv(ctx, 24, "Ciphers", cv_conf_get_str(ctx->doc, p, "default"));
	tls_path(ctx, "trust", p, sizeof(p));
	kv(ctx, 24, "Trust bundle", cstr(ctx, p));
	tls_path(ctx, "verify", p, sizeof(p));
	kv(ctx, 24, "Verification", cv_conf_get_str(ctx->doc, p, "disabled"));
	return 0;
}

static int tls_dtls_status(struct mmp_ctx *ctx)
{
	kv(ctx, 24, "Minimum DTLS version",
	   cv_conf_get_str(ctx->doc, "tls.min_dtls_version", "1.2"));
	return 0;
}

static int tls_min_version(struct mmp_ctx *ctx)
{
	char p[64];

	tls_path(ctx, "min_version", p, sizeof(p));
	set_str(ctx, p, ctx->vals[3].str);
	return 0;
}

static int tls_min_dtls(struct mmp_ctx *ctx)
{
	set_str(ctx, "tls.min_dtls_version", ctx->vals[2].str);
	return 0;
}

static int tls_trust(struct mmp_ctx *ctx)
{
	char p[64];

	tls_path(ctx, "trust", p, sizeof(p));
	if (mmp_has(ctx, "none")) {
		del(ctx, p);
		return 0;
	}
	if (need_files(ctx) < 0)
		return -1;
	set_str(ctx, p, mmp_arg(ctx, "bundle"));
	return 0;
}

static int tls_verify(struct mmp_ctx *ctx)
{
	char p[64];

	tls_path(ctx, "verify", p, sizeof(p));
	set_str(ctx, p,
		mmp_has(ctx, "ocsp") ? "ocsp" : mmp_has(ctx, "enable") ? "enabled" : "disabled");
	return 0;
}

static int tls_ciphers(struct mmp_ctx *ctx)
{
	const char *list = mmp_arg(ctx, "list");
	char p[64], mv[64], prio[CV_TLS_CIPHERS_MAX + 128], err[160] = "";

	tls_path(ctx, "ciphers", p, sizeof(p));
	if (mmp_has(ctx, "default")) {
		del(ctx, p);
		return 0;
	}
	/* An OpenSSL-style cipher list or a GnuTLS priority string; the
	 * service validates it when it starts. Here: its character set. */
	for (const char *c = list; *c; c++)
		if (!(('a' <= *c && *c <= 'z') || ('A' <= *c && *c <= 'Z') ||
		      ('0' <= *c && *c <= '9') || strchr(":+-!._@=%,", *c)))
			return mmp_fail(ctx, "Invalid cipher list \"%s\"", list);
	if (check_text(ctx, "cipher list", list, 1024, NULL) < 0)
		return -1;
	/* What the services will make of it (certs/tls.h): a GnuTLS priority
	 * string or OpenSSL suite names, accepted by GnuTLS. */
	tls_path(ctx, "min_version", mv, sizeof(mv));
	if (cv_tls_priority(list, cv_conf_get_str(ctx->doc, mv, "1.2"), false, prio, sizeof(prio),
			    err, sizeof(err)) < 0)
		return mmp_fail(ctx, "Invalid cipher list \"%s\": %s", list, err);
	set_str(ctx, p, list);
	return 0;
}

/* --- the table ------------------------------------------------------------ */

static const struct mmp_prompt secret_prompt[] = {
	{ "Enter call bridge secret: ", true },
	{ NULL, false },
};

static const struct mmp_cmd cmds[] = {
	/* callbridge */
	{ "callbridge", "Shows the Call Bridge configuration", ADMIN, cb_status },
	{ "callbridge listen <if>...", "Sets the Call Bridge interfaces", ADMIN, cmd_listen },
	{ "callbridge listen none", "Clears the Call Bridge interfaces", ADMIN, cmd_listen },
	{ "callbridge prefer (<if>|none)", "Sets the preferred outbound interface", ADMIN,
	  cb_prefer },
	{ "callbridge certs <key> <crt> [<bundle>]", "Sets the Call Bridge key and certificate",
	  ADMIN, cmd_certs },
	{ "callbridge certs none", "Clears the Call Bridge key and certificate", ADMIN,
	  cb_certs_none },
	{ "callbridge trust (c2w|cluster|branding|ucm|imps) (<bundle>|none)",
	  "Sets a trusted certificate bundle", ADMIN, cb_trust },
	{ "callbridge (ucm|imps) verify (enable|disable)", "Sets UCM or IM&P verification", ADMIN,
	  cb_verify },
	{ "callbridge wc3jwt expiry <hours>", "Sets the web app JWT lifetime (1-24 hours)", ADMIN,
	  cb_wc3jwt },
	{ "callbridge av1 (enable|disable)", "Sets the AV1 video codec", ADMIN, cb_av1 },
	{ "callbridge (enable|disable|restart)", "Controls the Call Bridge", ADMIN, cmd_control },
	/* webadmin */
	{ "webadmin", "Shows the Web Admin configuration", ADMIN, wa_status },
	{ "webadmin listen <if> <port>", "Sets the Web Admin interface and TLS port", ADMIN,
	  wa_listen },
	{ "webadmin certs <key> <crt> [<bundle>]", "Sets the Web Admin key and certificate",
	  ADMIN, cmd_certs },
	{ "webadmin http-redirect (enable|disable)", "Redirects HTTP port 80 to HTTPS", ADMIN,
	  wa_redirect },
	{ "webadmin (enable|disable|restart)", "Controls Web Admin", ADMIN, cmd_control },
	/* webbridge3 */
	{ "webbridge3", "Shows the Web Bridge 3 configuration", ADMIN, wb_status },
	{ "webbridge3 https listen <if:port>...", "Sets the HTTPS listeners (port 443 if omitted)",
	  ADMIN, cmd_listen },
	{ "webbridge3 https listen none", "Clears the HTTPS listeners", ADMIN,
	  cmd_listen },
	{ "webbridge3 https certs <key> <fullchain-crt>", "Sets the HTTPS key and certificate",
	  ADMIN, cmd_certs },
	{ "webbridge3 https frame-ancestors (<list>|none)", "Sets the CSP frame-ancestors", ADMIN,
	  wb_frame_ancestors },
	{ "webbridge3 http-redirect enable [<port>]", "Redirects HTTP (port 80) to HTTPS", ADMIN,
	  wb_redirect_enable },
	{ "webbridge3 http-redirect disable", "Stops the HTTP redirect", ADMIN,
	  wb_redirect_disable },
	{ "webbridge3 c2w listen <if:port>...", "Sets the C2W listeners", ADMIN, cmd_listen },
	{ "webbridge3 c2w listen none", "Clears the C2W listeners", ADMIN, cmd_listen },
	{ "webbridge3 c2w certs <key> <fullchain-crt>", "Sets the C2W key and certificate", ADMIN,
	  cmd_certs },
	{ "webbridge3 c2w trust <bundle>", "Sets the bundle trusted for Call Bridges", ADMIN,
	  wb_c2w_trust },
	{ "webbridge3 options (<list>|none)", "Sets the beta options", ADMIN, wb_options },
	{ "webbridge3 audio-priority (enable|disable)", "Sets the audio priority flag", ADMIN,
	  wb_audio_priority },
	{ "webbridge3 meetingapps add <host> <port>", "Sets the MeetingApps backend", ADMIN,
	  wb_meetingapps_add },
	{ "webbridge3 meetingapps del", "Clears the MeetingApps backend", ADMIN,
	  wb_meetingapps_del },
	{ "webbridge3 (enable|disable|restart)", "Controls Web Bridge 3", ADMIN, cmd_control },
	/* turn */
	{ "turn", "Shows the TURN configuration", ADMIN, turn_status },
	{ "turn listen <if>...", "Sets the TURN interfaces", ADMIN, cmd_listen },
	{ "turn listen none", "Clears the TURN interfaces", ADMIN, cmd_listen },
	{ "turn certs <key> <crt> [<bundle>]", "Sets the TURN TLS key and certificate", ADMIN,
	  cmd_certs },
	{ "turn credentials <username> <password> <realm>", "Sets the long-term credentials",
	  ADMIN, turn_credentials },
	{ "turn public-ip (<addr>|none)", "Sets the public (NAT) address", ADMIN, turn_public_ip },
	{ "turn tls (<port>|none)", "Sets the TURN TLS port", ADMIN, turn_tls },
	{ "turn short-term-credentials (enable|disable)", "Sets short-term credentials", ADMIN,
	  turn_short_term },
	{ "turn shared-secret (<secret>|none)", "Sets the short-term credentials secret", ADMIN,
	  turn_shared_secret },
	{ "turn high-capacity-mode (enable|disable)", "Sets the large relay port range", ADMIN,
	  turn_high_capacity },
	{ "turn allow-peer <cidr>", "Lets the relay reach peers in a refused range", ADMIN,
	  turn_allow_peer },
	{ "turn allow-peer delete <cidr>", "Removes an allowed peer range", ADMIN,
	  turn_allow_peer },
	{ "turn (enable|disable|restart)", "Controls the TURN server", ADMIN, cmd_control },
	/* xmpp */
	{ "xmpp", "Shows the XMPP server configuration", ADMIN, xmpp_status },
	{ "xmpp listen <if>...", "Sets the XMPP interfaces", ADMIN, cmd_listen },
	{ "xmpp listen none", "Clears the XMPP interfaces", ADMIN, cmd_listen },
	{ "xmpp domain <domain>", "Sets the XMPP domain", ADMIN, xmpp_domain },
	{ "xmpp certs <key> <crt> [<bundle>]", "Sets the XMPP key and certificate", ADMIN,
	  cmd_certs },
	{ "xmpp callbridge add <name>", "Adds a call bridge with a generated secret", ADMIN,
	  xmpp_cb_add },
	{ "xmpp callbridge add-secret <name>", "Adds a call bridge with a given secret", ADMIN,
	  xmpp_cb_add_secret, secret_prompt },
	{ "xmpp callbridge del <name>", "Removes a call bridge", ADMIN, xmpp_cb_del },
	{ "xmpp callbridge list", "Lists the call bridges and their secrets", ADMIN,
	  xmpp_cb_list },
	{ "xmpp (enable|disable|restart)", "Controls the XMPP server", ADMIN, cmd_control },
	/* tls */
	{ "tls " TLS_SERVICES, "Shows a service's TLS policy", ADMIN, tls_status },
	{ "tls " TLS_SERVICES " min-tls-version (1.0|1.1|1.2|1.3)", "Sets the minimum TLS version",
	  ADMIN, tls_min_version },
	{ "tls " TLS_SERVICES " trust (<bundle>|none)", "Sets the CA bundle that verifies peers",
	  ADMIN, tls_trust },
	{ "tls " TLS_SERVICES " verify (enable|disable|ocsp)", "Sets peer certificate verification",
	  ADMIN, tls_verify },
	{ "tls " TLS_SERVICES " ciphers (<list>|default)", "Sets the cipher list", ADMIN,
	  tls_ciphers },
	{ "tls min-dtls-version", "Shows the minimum DTLS version", ADMIN, tls_dtls_status },
	{ "tls min-dtls-version (1.0|1.2)", "Sets the minimum DTLS version for media", ADMIN,
	  tls_min_dtls },
};

MMP_AREA(mmp_area_services, "services", cmds);
