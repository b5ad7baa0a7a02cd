// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reads the config mmpd renders for the call bridge (see cb_config.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/http.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "lib/strbuf.h"
#include "services/callbridge/cb_config.h"

/* o.key as a string: *ret is NULL when absent or null. */
static int get_str(json_object *o, const char *where, const char *key, const char **ret,
		   char *err, size_t errlen)
{
	json_object *v;

	*ret = NULL;
	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return cv_fail(err, errlen, "%s%s: not a string", where, key);
	*ret = json_object_get_string(v);
	return 0;
}

static int get_bool(json_object *o, const char *where, const char *key, bool dflt, bool *ret,
		    char *err, size_t errlen)
{
	json_object *v;

	*ret = dflt;
	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return cv_fail(err, errlen, "%s%s: not true or false", where, key);
	*ret = json_object_get_boolean(v);
	return 0;
}

static int get_uint(json_object *o, const char *where, const char *key, int64_t lo, int64_t hi,
		    int64_t dflt, int64_t *ret, char *err, size_t errlen)
{
	json_object *v;
	int64_t n;

	*ret = dflt;
	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return cv_fail(err, errlen, "%s%s: not a number", where, key);
	n = json_object_get_int64(v);
	if (n < lo || n > hi)
		return cv_fail(err, errlen, "%s%s: %lld is not in %lld-%lld", where, key,
			    (long long)n, (long long)lo, (long long)hi);
	*ret = n;
	return 0;
}

static json_object *get_obj(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

/* The Web Admin listener: hosted.webadmin. */
static int load_webadmin(json_object *root, struct cb_config *cfg, char *err, size_t errlen)
{
	json_object *wa = get_obj(get_obj(root, "hosted"), "webadmin");
	json_object *wc = get_obj(wa, "config"), *ifs, *tlsdoc, *v;
	const char *iface, *addr;
	int64_t n;
	int r;

	if ((r = get_bool(wa, "hosted.webadmin.", "enabled", false, &cfg->webadmin, err,
			  errlen)) < 0)
		return r;
	if ((r = get_uint(wa, "hosted.webadmin.", "session_idle", 10, 7 * 86400,
			  CB_SESSION_IDLE_DEFAULT, &n, err, errlen)) < 0)
		return r;
	cfg->session_idle_s = (unsigned)n;
	if ((r = get_uint(wa, "hosted.webadmin.", "head_timeout", 1, 3600, CV_HTTP_HEAD_TIMEOUT_S,
			  &n, err, errlen)) < 0)
		return r;
	cfg->head_timeout_s = (unsigned)n;
	if ((r = get_uint(wa, "hosted.webadmin.", "body_timeout", 1, 3600, CV_HTTP_BODY_TIMEOUT_S,
			  &n, err, errlen)) < 0)
		return r;
	cfg->body_timeout_s = (unsigned)n;
	if ((r = get_uint(wa, "hosted.webadmin.", "redirect_port", 1, 65535, 80, &n, err,
			  errlen)) < 0)
		return r;
	cfg->redirect_port = (uint16_t)n;
	if (!cfg->webadmin)
		return 0;
	if (!wc)
		return cv_fail(err, errlen, "hosted.webadmin.config: missing");
	if ((r = get_str(wc, "hosted.webadmin.config.", "interface", &iface, err, errlen)) < 0)
		return r;
	if (!iface || strlen(iface) != 1 || iface[0] < 'a' || iface[0] > 'd')
		return cv_fail(err, errlen, "hosted.webadmin.config.interface: not one of a-d");
	cfg->wa_iface = iface[0];
	if ((r = get_uint(wc, "hosted.webadmin.config.", "port", 1, 65535, 0, &n, err, errlen)) < 0)
		return r;
	if (!n)
		return cv_fail(err, errlen, "hosted.webadmin.config.port: missing");
	cfg->wa_port = (uint16_t)n;
	if ((r = get_bool(wc, "hosted.webadmin.config.", "http_redirect", false,
			  &cfg->http_redirect, err, errlen)) < 0)
		return r;
	ifs = get_obj(get_obj(root, "interfaces"), iface);
	if ((r = get_str(ifs, "interfaces.", "address", &addr, err, errlen)) < 0)
		return r;
	if (!addr)
		return cv_fail(err, errlen, "interface %s has no address (webadmin listen %s)", iface,
			    iface);
	{
		struct sockaddr_in *sin = (struct sockaddr_in *)&cfg->wa_addr;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&cfg->wa_addr;

		memset(&cfg->wa_addr, 0, sizeof(cfg->wa_addr));
		if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons(cfg->wa_port);
		} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(cfg->wa_port);
		} else {
			return cv_fail(err, errlen, "interfaces.%s.address: \"%s\" is not an address",
				    iface, addr);
		}
		snprintf(cfg->wa_addr_text, sizeof(cfg->wa_addr_text), "%s", addr);
	}
	/* cv_tls_config_from_json() reads the identity from under "config":
	 * hand it the webadmin section there, with the tls policies and the
	 * upload directory of the rendered document. */
	tlsdoc = json_object_new_object();
	json_object_object_add(tlsdoc, "config", json_object_get(wc));
	if (json_object_object_get_ex(root, "tls", &v))
		json_object_object_add(tlsdoc, "tls", json_object_get(v));
	if (json_object_object_get_ex(root, "upload_dir", &v))
		json_object_object_add(tlsdoc, "upload_dir", json_object_get(v));
	r = cv_tls_config_from_json(tlsdoc, "", "webadmin", &cfg->wa_tls, err, errlen);
	json_object_put(tlsdoc);
	if (r < 0)
		return r;
	if (!cfg->wa_tls.key_file[0] || !cfg->wa_tls.cert_file[0])
		return cv_fail(err, errlen, "webadmin certs are not set");
	return 0;
}

/* The XMPP component link: its TLS policy, the resolver, the timers. */
static int load_xmpp(json_object *root, struct cb_config *cfg, char *err, size_t errlen)
{
	static const struct {
		const char *key;
		int64_t lo, hi, dflt;
		size_t off;
	} knobs[] = {
		{ "backoff_base_ms", 10, 600000, 1000, offsetof(struct cb_config, xmpp_backoff_base_ms) },
		{ "backoff_cap_ms", 10, 3600000, 60000, offsetof(struct cb_config, xmpp_backoff_cap_ms) },
		{ "keepalive_ms", 100, 3600000, 60000, offsetof(struct cb_config, xmpp_keepalive_ms) },
		{ "connect_timeout_ms", 100, 600000, 10000,
		  offsetof(struct cb_config, xmpp_connect_timeout_ms) },
	};
	json_object *xl = get_obj(root, "xmpp_link"), *dns = NULL;
	struct strbuf e = STRBUF_INIT;
	int64_t n;
	int r;

	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		if ((r = get_uint(xl, "xmpp_link.", knobs[i].key, knobs[i].lo, knobs[i].hi,
				  knobs[i].dflt, &n, err, errlen)) < 0)
			return r;
		*(unsigned *)((char *)cfg + knobs[i].off) = (unsigned)n;
	}
	/* ident "": the callbridge section's key, crt and bundle (the
	 * identity shown to the server); policy "xmpp": trust and versions. */
	r = cv_tls_config_from_json(root, "", "xmpp", &cfg->xmpp_tls, err, errlen);
	if (r < 0)
		return r;
	/* The link always checks the server (spec/xmpp.md 1.2): "tls xmpp
	 * verify" can only add OCSP. */
	if (cfg->xmpp_tls.verify == CV_TLS_VERIFY_NONE)
		cfg->xmpp_tls.verify = CV_TLS_VERIFY_PEER;
	if (!cfg->xmpp_tls.key_file[0] || !cfg->xmpp_tls.cert_file[0])
		cfg->xmpp_tls.key_file[0] = cfg->xmpp_tls.cert_file[0] =
			cfg->xmpp_tls.bundle_file[0] = '\0';
	json_object_object_get_ex(root, "dns", &dns);
	r = cv_dns_config_from_json(dns, &cfg->dns, &e);
	if (r < 0)
		cv_fail(err, errlen, "%s", sb_str(&e));
	sb_free(&e);
	return r;
}

int cb_config_from_json(json_object *root, struct cb_config *cfg, char *err, size_t errlen)
{
	const char *s;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	cv_tls_config_init(&cfg->wa_tls, false);
	if (!json_object_is_type(root, json_type_object))
		return cv_fail(err, errlen, "not a JSON object");
	if ((r = get_str(root, "", "service", &s, err, errlen)) < 0)
		goto fail;
	if (s && strcmp(s, "callbridge") != 0 && strcmp(s, "webadmin") != 0) {
		r = cv_fail(err, errlen, "service: \"%s\" is not callbridge", s);
		goto fail;
	}
	if ((r = get_str(root, "", "hostname", &s, err, errlen)) < 0)
		goto fail;
	cfg->hostname = xstrdup(s ? s : "");
	if ((r = get_str(root, "", "socket", &s, err, errlen)) < 0)
		goto fail;
	if (!s || s[0] != '/') {
		r = cv_fail(err, errlen, "socket: missing or not an absolute path");
		goto fail;
	}
	cfg->socket = xstrdup(s);
	if ((r = get_str(root, "", "data_dir", &s, err, errlen)) < 0)
		goto fail;
	if (!s || s[0] != '/') {
		r = cv_fail(err, errlen, "data_dir: missing or not an absolute path");
		goto fail;
	}
	cfg->data_dir = xstrdup(s);
	r = load_webadmin(root, cfg, err, errlen);
	if (r < 0)
		goto fail;
	r = load_xmpp(root, cfg, err, errlen);
	if (r < 0)
		goto fail;
	return 0;
fail:
	cb_config_free(cfg);
	return r;
}

int cb_config_load(const char *path, struct cb_config *cfg, char *err, size_t errlen)
{
	json_object *root;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	r = cv_conf_read(path, &root, err, errlen);
	if (r < 0)
		return r;
	r = cb_config_from_json(root, cfg, err, errlen);
	json_object_put(root);
	return r;
}

void cb_config_free(struct cb_config *cfg)
{
	free(cfg->hostname);
	free(cfg->socket);
	free(cfg->data_dir);
	cfg->hostname = cfg->socket = cfg->data_dir = NULL;
	cv_dns_config_free(cfg->dns);
	cfg->dns = NULL;
}
