// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The enable-time checks of the service commands (spec/mmp.md 1.4), run by
 * "<svc> enable|restart" (cmd_services.c) and by health_check: one service
 * descriptor per service says which interfaces and ports it binds, what a
 * complete configuration needs and which upload files it names.
 *
 * Decisions (spec/mmp.md marks these [INF]; they are ours; the rest of the
 * service commands' decisions are at the top of cmd_services.c):
 *  - Ports each service binds, per listen interface, for the clash check
 *    (protocols are not told apart: a TCP and a UDP listener on one port
 *    count as a clash, which is stricter than needed but never wrong):
 *      callbridge  5060 (SIP UDP/TCP) and 5061 (SIP TLS)
 *      webadmin    its port; 80 when http-redirect is enabled
 *      webbridge3  every https and c2w if:port; the http-redirect port
 *                  (default 80) on each https interface when enabled
 *      turn        3478 (UDP/TCP) and the TLS port when set
 *      xmpp        5222 (clients) and 5223 (components, XEP-0114 over TLS)
 *    A clash with another enabled service or within the service itself is a
 *    failure.
 *  - Completeness checks per service: callbridge needs a key and
 *    certificate (and UCM/IMPS trust when their verification is on);
 *    webadmin a key and certificate; webbridge3 HTTPS and C2W keys and
 *    certificates, a C2W listener and the C2W trust bundle (without it the
 *    call bridges cannot connect, spec 8); turn long-term credentials
 *    (username, password, realm) or short-term ones (shared secret and
 *    realm), and certificates when a TLS port is set (S4's text); xmpp a
 *    domain, a key and a certificate.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/certs.h"
#include "lib/clock.h"
#include "lib/conf.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/cmd_services.h"
#include "services/mmpd/users.h"

struct bind {
	char iface;
	uint16_t port;
};

#define MAX_BINDS 64

struct binds {
	struct bind b[MAX_BINDS];
	size_t n;
};

static void bind_add(struct binds *bs, char iface, uint16_t port)
{
	if (bs->n < MAX_BINDS && port) {
		bs->b[bs->n].iface = iface;
		bs->b[bs->n].port = port;
		bs->n++;
	}
}

/* "a:445" -> iface and port (0 on a malformed stored token). */
static void split_ifport(const char *tok, char *ret_iface, uint16_t *ret_port)
{
	if (cv_parse_iface_port(tok, ret_iface, ret_port) < 0) {
		*ret_iface = tok[0];
		*ret_port = 0;
	}
}

struct svc_desc {
	const char *name;  /* command and config key */
	const char *title; /* in "SUCCESS: <Svc> enabled" */
	/* Its listen list ("a" tokens) and the ports it binds on each of
	 * those interfaces; NULL when ifaces and binds say. */
	const char *listen;
	uint16_t ports[2];
	/* The interfaces it listens on, each once, in order (NULL: those of
	 * the listen list). */
	size_t (*ifaces)(struct mmp_ctx *ctx, char *ret, size_t max);
	/* Its if:port pairs (NULL: ports on every listen interface). */
	void (*binds)(struct mmp_ctx *ctx, struct binds *bs);
	/* Prints one FAILURE line per incomplete item; returns their count. */
	int (*complete)(struct mmp_ctx *ctx);
	/* Config paths naming upload files, NULL-terminated. */
	const char *const *files;
	/* tls policies whose trust bundle this service uses, NULL-terminated. */
	const char *const *tls;
	/* Config prefixes of its TLS identities (<p>.key, <p>.crt and the
	 * optional <p>.bundle), NULL-terminated; the other files are trust
	 * bundles. */
	const char *const *idents;
};

static size_t add_iface(char *ret, size_t n, size_t max, char c)
{
	if (n < max && !memchr(ret, c, n))
		ret[n++] = c;
	return n;
}

static size_t ifaces_of_list(struct mmp_ctx *ctx, const char *path, char *ret, size_t n,
			     size_t max)
{
	const char *v[MMP_MAX_TOKENS];
	size_t k = mmp_conf_list(ctx, path, v, MMP_MAX_TOKENS);

	for (size_t i = 0; i < k; i++)
		if (v[i][0])
			n = add_iface(ret, n, max, v[i][0]);
	return n;
}

static void binds_of_list(struct mmp_ctx *ctx, const char *path, struct binds *bs,
			  const uint16_t *ports, size_t nports)
{
	const char *v[MMP_MAX_TOKENS];
	size_t k = mmp_conf_list(ctx, path, v, MMP_MAX_TOKENS);

	for (size_t i = 0; i < k; i++)
		for (size_t j = 0; j < nports; j++)
			bind_add(bs, v[i][0], ports[j]);
}

static int need_certs(struct mmp_ctx *ctx, const char *prefix, const char *what)
{
	char k[64], c[64];

	snprintf(k, sizeof(k), "%s.key", prefix);
	snprintf(c, sizeof(c), "%s.crt", prefix);
	if (cstr(ctx, k) && cstr(ctx, c))
		return 0;
	mmp_printf(ctx, "FAILURE: no %skey and certificate configured\n", what);
	return 1;
}

/* callbridge */

static int cb_complete(struct mmp_ctx *ctx)
{
	int bad = need_certs(ctx, "callbridge", "");

	if (cv_conf_get_bool(ctx->doc, "callbridge.ucm_verify", false) &&
	    !cstr(ctx, "callbridge.trust.ucm")) {
		mmp_printf(ctx, "FAILURE: UCM verification enabled but no UCM trusted certs "
				"configured\n");
		bad++;
	}
	if (cv_conf_get_bool(ctx->doc, "callbridge.imps_verify", false) &&
	    !cstr(ctx, "callbridge.trust.imps")) {
		mmp_printf(ctx, "FAILURE: IMPS verification enabled but no IMPS trusted certs "
				"configured\n");
		bad++;
	}
	return bad;
}

static const char *const cb_files[] = {
	"callbridge.key",	   "callbridge.crt",	     "callbridge.bundle",
	"callbridge.trust.c2w",	   "callbridge.trust.cluster", "callbridge.trust.branding",
	"callbridge.trust.ucm",	   "callbridge.trust.imps",    NULL,
};
static const char *const cb_tlsp[] = { "sip", "ldap", "c2w", NULL };
static const char *const cb_idents[] = { "callbridge", NULL };

/* webadmin */

static size_t wa_ifaces(struct mmp_ctx *ctx, char *ret, size_t max)
{
	const char *i = cstr(ctx, "webadmin.interface");

	if (!i || !i[0] || !cv_conf_get_int(ctx->doc, "webadmin.port", 0))
		return 0;
	return add_iface(ret, 0, max, i[0]);
}

static void wa_binds(struct mmp_ctx *ctx, struct binds *bs)
{
	const char *i = cstr(ctx, "webadmin.interface");

	if (!i || !i[0])
		return;
	bind_add(bs, i[0], (uint16_t)cv_conf_get_int(ctx->doc, "webadmin.port", 0));
	if (cv_conf_get_bool(ctx->doc, "webadmin.http_redirect", false))
		bind_add(bs, i[0], 80);
}

static int wa_complete(struct mmp_ctx *ctx)
{
	return need_certs(ctx, "webadmin", "");
}

static const char *const wa_files[] = { "webadmin.key", "webadmin.crt", "webadmin.bundle", NULL };
static const char *const wa_tlsp[] = { "webadmin", NULL };
static const char *const wa_idents[] = { "webadmin", NULL };

/* webbridge3 */

static size_t wb_ifaces(struct mmp_ctx *ctx, char *ret, size_t max)
{
	size_t n = ifaces_of_list(ctx, "webbridge3.https.listen", ret, 0, max);

	return ifaces_of_list(ctx, "webbridge3.c2w.listen", ret, n, max);
}

static void wb_binds_list(struct mmp_ctx *ctx, const char *path, struct binds *bs)
{
	const char *v[MMP_MAX_TOKENS];
	size_t k = mmp_conf_list(ctx, path, v, MMP_MAX_TOKENS);

	for (size_t i = 0; i < k; i++) {
		char iface;
		uint16_t port;

		split_ifport(v[i], &iface, &port);
		bind_add(bs, iface, port);
	}
}

static void wb_binds(struct mmp_ctx *ctx, struct binds *bs)
{
	wb_binds_list(ctx, "webbridge3.https.listen", bs);
	wb_binds_list(ctx, "webbridge3.c2w.listen", bs);
	if (cv_conf_get_bool(ctx->doc, "webbridge3.http_redirect", false)) {
		uint16_t port = (uint16_t)cv_conf_get_int(ctx->doc, "webbridge3.http_redirect_port",
							  80);
		char ifs[8];
		size_t n = ifaces_of_list(ctx, "webbridge3.https.listen", ifs, 0, sizeof(ifs));

		for (size_t i = 0; i < n; i++)
			bind_add(bs, ifs[i], port);
	}
}

static int wb_complete(struct mmp_ctx *ctx)
{
	const char *v[1];
	int bad = need_certs(ctx, "webbridge3.https", "HTTPS ");

	if (mmp_conf_list(ctx, "webbridge3.c2w.listen", v, 1) == 0) {
		mmp_printf(ctx, "FAILURE: no C2W listening interfaces configured\n");
		bad++;
	}
	bad += need_certs(ctx, "webbridge3.c2w", "C2W ");
	if (!cstr(ctx, "webbridge3.c2w.trust")) {
		/* Without it the call bridges cannot connect (spec 8). */
		mmp_printf(ctx, "FAILURE: no C2W trust bundle configured\n");
		bad++;
	}
	return bad;
}

static const char *const wb_files[] = {
	"webbridge3.https.key", "webbridge3.https.crt", "webbridge3.c2w.key",
	"webbridge3.c2w.crt",	"webbridge3.c2w.trust", NULL,
};
static const char *const wb_tlsp[] = { "webbridge3", "c2w", NULL };
static const char *const wb_idents[] = { "webbridge3.https", "webbridge3.c2w", NULL };

/* turn */

#define TURN_PORT 3478

static void turn_binds(struct mmp_ctx *ctx, struct binds *bs)
{
	uint16_t ports[2] = { TURN_PORT, (uint16_t)cv_conf_get_int(ctx->doc, "turn.tls_port", 0) };

	binds_of_list(ctx, "turn.listen", bs, ports, ports[1] ? 2 : 1);
}

static int turn_complete(struct mmp_ctx *ctx)
{
	int bad = 0;
	bool lt = cstr(ctx, "turn.username") && cstr(ctx, "turn.password") &&
		  cstr(ctx, "turn.realm");
	bool st = cv_conf_get_bool(ctx->doc, "turn.short_term", false) &&
		  cstr(ctx, "turn.shared_secret") && cstr(ctx, "turn.realm");

	if (!lt && !st) {
		mmp_printf(ctx, "FAILURE: no credentials configured\n");
		bad++;
	}
	if (cv_conf_get_int(ctx->doc, "turn.tls_port", 0) &&
	    !(cstr(ctx, "turn.key") && cstr(ctx, "turn.crt"))) {
		/* Verbatim from S4 (streamer). */
		mmp_printf(ctx, "FAILURE: TLS port set but no certificates configured\n");
		bad++;
	}
	return bad;
}

static const char *const turn_files[] = { "turn.key", "turn.crt", "turn.bundle", NULL };
static const char *const turn_tlsp[] = { "turn", NULL };
static const char *const turn_idents[] = { "turn", NULL };

/* xmpp */

static const char *cert_file(struct mmp_ctx *ctx, const char *confpath);

/* The seeds: "the XMPP certificate must carry the XMPP domain as a SAN"
 * (call bridges check it when they connect, spec/xmpp.md 1.1), so a
 * certificate that would make every call bridge fail is refused here. */
static int xmpp_cert_names_domain(struct mmp_ctx *ctx)
{
	const char *domain = cstr(ctx, "xmpp.domain"), *crt = cert_file(ctx, "xmpp.crt");
	struct cv_certs_list l = { 0 };
	char *data = NULL;
	size_t len;
	bool ok;

	if (!domain || !crt || !ctx->env || !ctx->env->ops)
		return 0;
	if (mmp_upload_read(ctx->env, crt, CV_CERTS_FILE_MAX, &data, &len) < 0 ||
	    cv_certs_list_load(data, len, &l) < 0) {
		free(data);
		return 0; /* the certificate checks say what is wrong with it */
	}
	ok = l.n > 0 && cv_certs_host_match(l.crt[0], domain);
	cv_certs_list_free(&l);
	free(data);
	if (ok)
		return 0;
	mmp_printf(ctx, "FAILURE: certificate %s does not name the XMPP domain %s "
			"(its SANs must include it)\n",
		   crt, domain);
	return 1;
}

static int xmpp_complete(struct mmp_ctx *ctx)
{
	int bad = 0;

	if (!cstr(ctx, "xmpp.domain")) {
		mmp_printf(ctx, "FAILURE: no domain configured\n");
		bad++;
	}
	bad += need_certs(ctx, "xmpp", "");
	return bad + xmpp_cert_names_domain(ctx);
}

static const char *const xmpp_files[] = { "xmpp.key", "xmpp.crt", "xmpp.bundle", NULL };
static const char *const xmpp_tlsp[] = { "xmpp", NULL };
static const char *const xmpp_idents[] = { "xmpp", NULL };

/* In the order of mmp_service_names. */
static const struct svc_desc services[] = {
	{ "callbridge", "Callbridge", "callbridge.listen", { 5060, 5061 }, NULL, NULL, cb_complete,
	  cb_files, cb_tlsp, cb_idents },
	{ "webadmin", "Webadmin", NULL, { 0, 0 }, wa_ifaces, wa_binds, wa_complete, wa_files,
	  wa_tlsp, wa_idents },
	{ "webbridge3", "Webbridge3", NULL, { 0, 0 }, wb_ifaces, wb_binds, wb_complete, wb_files,
	  wb_tlsp, wb_idents },
	{ "turn", "Turn", "turn.listen", { 0, 0 }, NULL, turn_binds, turn_complete, turn_files,
	  turn_tlsp, turn_idents },
	{ "xmpp", "Xmpp", "xmpp.listen", { 5222, 5223 }, NULL, NULL, xmpp_complete, xmpp_files,
	  xmpp_tlsp, xmpp_idents },
};

static size_t svc_ifaces(struct mmp_ctx *ctx, const struct svc_desc *sd, char *ret, size_t max)
{
	if (sd->ifaces)
		return sd->ifaces(ctx, ret, max);
	return ifaces_of_list(ctx, sd->listen, ret, 0, max);
}

static void svc_binds(struct mmp_ctx *ctx, const struct svc_desc *sd, struct binds *bs)
{
	if (sd->binds)
		sd->binds(ctx, bs);
	else
		binds_of_list(ctx, sd->listen, bs, sd->ports, 2);
}

#define NSERVICES (sizeof(services) / sizeof(services[0]))

static const struct svc_desc *svc_find(const char *name)
{
	for (size_t i = 0; i < NSERVICES; i++)
		if (strcmp(services[i].name, name) == 0)
			return &services[i];
	return NULL;
}

static bool clash_reported(const struct bind *seen, size_t n, struct bind b)
{
	for (size_t i = 0; i < n; i++)
		if (seen[i].iface == b.iface && seen[i].port == b.port)
			return true;
	return false;
}

/* spec 1.4 check 6: no if:port of sd is used by another enabled service or
 * twice by sd itself. */
static int check_ports(struct mmp_ctx *ctx, const struct svc_desc *sd)
{
	struct binds mine = { 0 };
	struct bind reported[MAX_BINDS];
	size_t nrep = 0;
	int bad = 0;

	svc_binds(ctx, sd, &mine);
	for (size_t i = 0; i < mine.n; i++) {
		const struct bind b = mine.b[i];
		const char *owner = NULL;

		if (clash_reported(reported, nrep, b))
			continue;
		for (size_t j = 0; j < i && !owner; j++)
			if (mine.b[j].iface == b.iface && mine.b[j].port == b.port)
				owner = sd->name;
		for (size_t s = 0; s < NSERVICES && !owner; s++) {
			struct binds other = { 0 };

			if (&services[s] == sd || !svc_enabled(ctx, services[s].name))
				continue;
			svc_binds(ctx, &services[s], &other);
			for (size_t j = 0; j < other.n; j++)
				if (other.b[j].iface == b.iface && other.b[j].port == b.port) {
					owner = services[s].name;
					break;
				}
		}
		if (owner) {
			mmp_printf(ctx,
				   "FAILURE: port %u on interface %c is already in use by %s\n",
				   b.port, b.iface, owner);
			reported[nrep++] = b;
			bad++;
		}
	}
	return bad;
}

static bool iface_has_address(struct mmp_ctx *ctx, char iface)
{
	char path[32];
	const char *a;

	snprintf(path, sizeof(path), "ipv4.%c.address", iface);
	a = cstr(ctx, path);
	return a && a[0];
}

struct cert_lines {
	struct mmp_ctx *ctx;
	int failures;
};

/* Prints a line of the certificate checks; counts the failures. */
static void emit_line(void *arg, bool ok, const char *line)
{
	struct cert_lines *cl = arg;

	mmp_printf(cl->ctx, "%s\n", line);
	if (!ok)
		cl->failures++;
}

/* The upload file at a config path, when it is set and readable (an
 * unreadable one was reported by check 3). Borrowed from the document. */
static const char *cert_file(struct mmp_ctx *ctx, const char *confpath)
{
	const char *name = cstr(ctx, confpath);

	if (!name || !mmp_upload_readable(ctx->env, name))
		return NULL;
	return name;
}

/* The checks of certs/ read upload files through mmpd's operations. */
static int read_upload(void *opaque, const char *name, char **ret, size_t *ret_len)
{
	return mmp_upload_read(opaque, name, CV_CERTS_FILE_MAX, ret, ret_len);
}

static bool is_ident_file(const struct svc_desc *sd, const char *path)
{
	for (const char *const *p = sd->idents; *p; p++) {
		size_t n = strlen(*p);

		if (strncmp(path, *p, n) == 0 &&
		    (strcmp(path + n, ".key") == 0 || strcmp(path + n, ".crt") == 0 ||
		     strcmp(path + n, ".bundle") == 0))
			return true;
	}
	return false;
}

/*
 * spec 1.4 items 4-5 with cv_certs_check_identity(): for each identity
 * whose key and certificate are set and readable, "SUCCESS: Key and
 * certificate pair match" (or the FAILURE saying what is wrong), then
 * validity, chain order and, with a bundle, "SUCCESS: certificate
 * verified against CA bundle". Two identities naming the same files are
 * checked once. Then every trust bundle must hold a certificate. Dates are
 * checked at cv_now(). Returns the number of failures.
 */
static int check_certs(struct mmp_ctx *ctx, const struct svc_desc *sd)
{
	const char *done[4][3];
	size_t ndone = 0;
	const char *trust_seen[16];
	size_t ntrust = 0;
	struct cert_lines cl = { ctx, 0 };
	struct cv_certs_reader rd = { read_upload, (void *)ctx->env };

	if (!ctx->env || !ctx->env->ops)
		return 0;
	for (const char *const *p = sd->idents; *p; p++) {
		char kp[64], cp[64], bp[64];
		const char *key, *crt, *bundle = NULL;
		bool dup = false;

		snprintf(kp, sizeof(kp), "%s.key", *p);
		snprintf(cp, sizeof(cp), "%s.crt", *p);
		snprintf(bp, sizeof(bp), "%s.bundle", *p);
		if (!cstr(ctx, kp) || !cstr(ctx, cp))
			continue;
		for (size_t i = 0; i < ndone && !dup; i++)
			dup = strcmp(done[i][0], cstr(ctx, kp)) == 0 &&
			      strcmp(done[i][1], cstr(ctx, cp)) == 0 &&
			      strcmp(done[i][2], or_none(cstr(ctx, bp))) == 0;
		if (dup || ndone == 4)
			continue;
		done[ndone][0] = cstr(ctx, kp);
		done[ndone][1] = cstr(ctx, cp);
		done[ndone][2] = or_none(cstr(ctx, bp));
		ndone++;
		key = cert_file(ctx, kp);
		crt = cert_file(ctx, cp);
		if (cstr(ctx, bp))
			bundle = cert_file(ctx, bp);
		if (key && crt && (bundle || !cstr(ctx, bp)))
			cv_certs_check_identity(&rd, key, crt, bundle, cv_now(), emit_line, &cl,
						NULL, NULL);
	}
	for (const char *const *f = sd->files; *f; f++) {
		const char *path;
		bool dup = false;

		if (is_ident_file(sd, *f) || !cstr(ctx, *f))
			continue;
		for (size_t i = 0; i < ntrust && !dup; i++)
			dup = strcmp(trust_seen[i], cstr(ctx, *f)) == 0;
		if (dup || ntrust == 16)
			continue;
		trust_seen[ntrust++] = cstr(ctx, *f);
		path = cert_file(ctx, *f);
		if (path)
			cv_certs_check_trust(&rd, path, emit_line, &cl);
	}
	for (const char *const *t = sd->tls; *t; t++) {
		char tp[64];
		const char *path;
		bool dup = false;

		snprintf(tp, sizeof(tp), "tls.%s.trust", *t);
		if (!cstr(ctx, tp))
			continue;
		for (size_t i = 0; i < ntrust && !dup; i++)
			dup = strcmp(trust_seen[i], cstr(ctx, tp)) == 0;
		if (dup || ntrust == 16)
			continue;
		trust_seen[ntrust++] = cstr(ctx, tp);
		path = cert_file(ctx, tp);
		if (path)
			cv_certs_check_trust(&rd, path, emit_line, &cl);
	}
	return cl.failures;
}

static int check_service(struct mmp_ctx *ctx, const struct svc_desc *sd)
{
	char ifs[8];
	size_t nifs = svc_ifaces(ctx, sd, ifs, sizeof(ifs));
	int bad = 0;

	/* 1. the listen list */
	if (nifs == 0) {
		mmp_printf(ctx, "FAILURE: no listening interfaces configured\n");
		bad++;
	}
	/* 2. addresses */
	for (size_t i = 0; i < nifs; i++)
		if (!iface_has_address(ctx, ifs[i])) {
			mmp_printf(ctx, "FAILURE: interface %c has no IPv4 address\n", ifs[i]);
			bad++;
		}
	/* certificates, credentials, domain */
	bad += sd->complete(ctx);
	/* 3. the files exist (each named once, though two settings may use it) */
	{
		const char *names[16];
		size_t n = 0;

		for (const char *const *f = sd->files; *f && n < 16; f++)
			if (cstr(ctx, *f))
				names[n++] = cstr(ctx, *f);
		for (const char *const *t = sd->tls; *t && n < 16; t++) {
			char path[64];

			snprintf(path, sizeof(path), "tls.%s.trust", *t);
			if (cstr(ctx, path))
				names[n++] = cstr(ctx, path);
		}
		for (size_t i = 0; i < n; i++) {
			bool dup = false;

			for (size_t j = 0; j < i && !dup; j++)
				dup = strcmp(names[i], names[j]) == 0;
			if (!dup && !mmp_upload_readable(ctx->env, names[i])) {
				mmp_printf(ctx, "FAILURE: Unable to read file %s\n", names[i]);
				bad++;
			}
		}
	}
	/* 4.-5. each key and certificate pair (and bundle), then the trust
	 * bundles, through the same checks the services run when they load
	 * them (certs/certs.h). */
	bad += check_certs(ctx, sd);
	/* 6. port clashes */
	bad += check_ports(ctx, sd);
	return bad ? -1 : 0;
}

const char *mmp_service_title(const char *svc)
{
	const struct svc_desc *sd = svc_find(svc);

	return sd ? sd->title : NULL;
}

int mmp_services_check(struct mmp_ctx *ctx, const char *svc)
{
	const struct svc_desc *sd = svc_find(svc);

	if (!sd)
		return -EINVAL;
	return check_service(ctx, sd);
}
