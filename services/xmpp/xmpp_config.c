// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The xmpp program's settings from the rendered config (xmpp_config.h).
 * Everything is checked here so that a bad value stops the program at
 * start (and "convene-xmpp --check") with the key's name in the message.
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/conf.h"
#include "lib/parse.h"
#include "lib/service.h"
#include "services/xmpp/xmpp_config.h"

static void lower(char *s)
{
	for (; *s; s++)
		if ('A' <= *s && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static int load_bridges(json_object *c, struct xmpp_config *cfg, char *err, size_t errlen)
{
	json_object *cbs;

	if (!json_object_object_get_ex(c, "callbridges", &cbs) ||
	    json_object_is_type(cbs, json_type_null))
		return 0;
	if (!json_object_is_type(cbs, json_type_object))
		return cv_fail(err, errlen, "config.callbridges: not an object");
	json_object_object_foreach(cbs, name, e)
	{
		struct xmpp_bridge *b;
		const char *secret;
		size_t n = strlen(name);

		if (cfg->n_bridges == XMPP_BRIDGES_MAX)
			return cv_fail(err, errlen, "config.callbridges: more than %d entries",
				       XMPP_BRIDGES_MAX);
		if (n == 0 || n > XMPP_BRIDGE_NAME_MAX || strspn(name, "abcdefghijklmnopqrstuvwxyz"
								 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
								 "0123456789-") != n)
			return cv_fail(err, errlen, "config.callbridges: \"%s\" is not a name",
				       name);
		secret = json_object_is_type(e, json_type_object)
				 ? cv_conf_get_str(e, "secret", NULL)
				 : NULL;
		if (!secret || !*secret || strlen(secret) > XMPP_BRIDGE_SECRET_MAX)
			return cv_fail(err, errlen, "config.callbridges.%s.secret: missing or "
						    "longer than %d characters",
				       name, XMPP_BRIDGE_SECRET_MAX);
		b = &cfg->bridges[cfg->n_bridges++];
		snprintf(b->name, sizeof(b->name), "%s", name);
		snprintf(b->secret, sizeof(b->secret), "%s", secret);
		{
			char jid[sizeof(b->jid)];

			snprintf(jid, sizeof(jid), "%s.%s", name, cfg->domain);
			lower(jid);
			memcpy(b->jid, jid, sizeof(jid));
		}
	}
	return 0;
}

static int load_listen(json_object *root, json_object *c, struct xmpp_config *cfg, char *err,
		       size_t errlen)
{
	json_object *v;

	if (!json_object_object_get_ex(c, "listen", &v) ||
	    !json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
		return cv_fail(err, errlen, "config.listen: no listen interface (xmpp listen)");
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *e = json_object_array_get_idx(v, i);
		const char *ifn = json_object_get_string(e);
		const char *addr;
		char path[64], ifc;

		if (!json_object_is_type(e, json_type_string) || cv_parse_iface(ifn, &ifc) < 0)
			return cv_fail(err, errlen, "config.listen: \"%s\" is not an interface",
				       ifn);
		if (cfg->n_listen == XMPP_LISTEN_MAX)
			return cv_fail(err, errlen, "config.listen: too many interfaces");
		snprintf(path, sizeof(path), "interfaces.%c.address", ifc);
		addr = cv_conf_get_str(root, path, NULL);
		if (!addr || cv_parse_ipv4(addr, &cfg->listen[cfg->n_listen]) < 0)
			return cv_fail(err, errlen, "config.listen: interface %c has no address",
				       ifc);
		cfg->n_listen++;
	}
	return 0;
}

int xmpp_config_load(const char *path, struct xmpp_config *cfg, char *err, size_t errlen)
{
	json_object *root = NULL, *c;
	const char *domain;
	char why[256];
	int r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->c2s_port = XMPP_C2S_PORT;
	cfg->comp_port = XMPP_COMP_PORT;
	cfg->plain_port = XMPP_COMP_PLAIN_PORT;
	r = cv_service_config(path, &root, &c, err, errlen);
	if (r < 0)
		return r;
	r = -EINVAL;
	domain = cv_conf_get_str(c, "domain", NULL);
	if (!domain || cv_parse_hostname(domain) < 0 || strlen(domain) > XMPP_DOMAIN_MAX) {
		cv_fail(err, errlen, "config.domain: %s (xmpp domain)",
			domain ? "not a domain name" : "not set");
		goto out;
	}
	snprintf(cfg->domain, sizeof(cfg->domain), "%s", domain);
	snprintf(cfg->data_dir, sizeof(cfg->data_dir), "%s",
		 cv_conf_get_str(root, "data_dir", ""));
	lower(cfg->domain);
	if (load_listen(root, c, cfg, err, errlen) < 0 || load_bridges(c, cfg, err, errlen) < 0)
		goto out;
	if (cv_tls_config_from_json(root, "", "xmpp", &cfg->tls, why, sizeof(why)) < 0) {
		cv_fail(err, errlen, "%s", why);
		goto out;
	}
	if (!cfg->tls.key_file[0] || !cfg->tls.cert_file[0]) {
		cv_fail(err, errlen, "config.key/crt: no certificate (xmpp certs)");
		goto out;
	}
	/* Clients are not asked for certificates (SASL authenticates them);
	 * a call bridge authenticates with its secret. */
	cfg->tls.verify = CV_TLS_VERIFY_NONE;
	r = 0;
out:
	json_object_put(root);
	return r;
}

const struct xmpp_bridge *xmpp_config_bridge(const struct xmpp_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_bridges; i++)
		if (!strcasecmp(name, cfg->bridges[i].name) || !strcasecmp(name, cfg->bridges[i].jid))
			return &cfg->bridges[i];
	return NULL;
}
