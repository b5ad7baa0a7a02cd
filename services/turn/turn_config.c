// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reads the config mmpd renders for turn (see turn_config.h). The keys under
 * "config" are the turn section of the appliance document, as the MMP
 * commands write it (services/mmpd/cmd_services.c): listen, username, password,
 * realm, short_term, shared_secret, public_ip, tls_port, high_capacity,
 * key, crt, bundle, allow_peers, enabled. A few more keys are not set by any
 * MMP command; they exist for tests, benchmarks and standalone runs and
 * are listed in man/turn.8: port, relay_ports, workers, user_quota,
 * static_user_quota, total_quota, max_permissions, max_channels,
 * challenge_rate, nonce_lifetime, software, relay6, strict_channels,
 * allow_own_peers, max_unauth_conns.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "certs/tls.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "services/turn/turn_config.h"

static const char *const known_keys[] = {
	"enabled", "listen", "username", "password", "realm", "short_term", "shared_secret",
	"public_ip", "tls_port", "high_capacity", "key", "crt", "bundle", "allow_peers",
	/* not set by MMP commands (man/turn.8, "Other keys") */
	"port", "relay_ports", "workers", "user_quota", "static_user_quota", "total_quota",
	"max_permissions", "max_channels", "challenge_rate", "nonce_lifetime", "software",
	"relay6", "strict_channels", "allow_own_peers", "max_unauth_conns", NULL,
};

static int get_str(json_object *o, const char *key, char **ret, char *err, size_t errlen)
{
	json_object *v;

	*ret = NULL;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return cv_fail(err, errlen, "config.%s: not a string", key);
	*ret = xstrdup(json_object_get_string(v));
	return 0;
}

static int get_bool(json_object *o, const char *key, bool dflt, bool *ret, char *err,
		    size_t errlen)
{
	json_object *v;

	*ret = dflt;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return cv_fail(err, errlen, "config.%s: not true or false", key);
	*ret = json_object_get_boolean(v);
	return 0;
}

static int get_uint(json_object *o, const char *key, unsigned dflt, unsigned max, unsigned *ret,
		    char *err, size_t errlen)
{
	json_object *v;
	int64_t n;

	*ret = dflt;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return cv_fail(err, errlen, "config.%s: not a number", key);
	n = json_object_get_int64(v);
	if (n < 0 || n > max)
		return cv_fail(err, errlen, "config.%s: %lld is out of range 0-%u", key, (long long)n,
			    max);
	*ret = (unsigned)n;
	return 0;
}

static int parse_ip(const char *s, struct stun_addr *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (inet_pton(AF_INET, s, ret->ip) == 1) {
		ret->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, ret->ip) == 1) {
		ret->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* Every address of this machine's (namespace's) interfaces is ours. */
static void add_local_addresses(struct turn_policy *p)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i; i = i->ifa_next) {
		struct stun_addr a;

		if (i->ifa_addr && stun_addr_from_sockaddr(i->ifa_addr, &a) == 0)
			turn_policy_add_own(p, &a);
	}
	freeifaddrs(ifa);
}

int turn_config_from_json(json_object *root, struct turn_config *cfg, char *err, size_t errlen)
{
	json_object *c, *v;
	char *public_ip = NULL, *relay6 = NULL, *ports = NULL;
	char *key = NULL, *crt = NULL, *bundle = NULL;
	unsigned u;
	int r = -EINVAL;

	memset(cfg, 0, sizeof(*cfg));
	c = cv_conf_get(root, "config");
	if (!c || !json_object_is_type(c, json_type_object))
		return cv_fail(err, errlen, "config: missing");
	json_object_object_foreach(c, k, val)
	{
		bool known = false;

		(void)val;
		for (size_t i = 0; known_keys[i]; i++)
			known |= !strcmp(k, known_keys[i]);
		if (!known)
			return cv_fail(err, errlen, "config.%s: unknown key", k);
	}

	if (get_str(c, "username", &cfg->username, err, errlen) < 0 ||
	    get_str(c, "password", &cfg->password, err, errlen) < 0 ||
	    get_str(c, "realm", &cfg->realm, err, errlen) < 0 ||
	    get_str(c, "shared_secret", &cfg->secret, err, errlen) < 0 ||
	    get_str(c, "public_ip", &public_ip, err, errlen) < 0 ||
	    get_str(c, "relay6", &relay6, err, errlen) < 0 ||
	    get_str(c, "relay_ports", &ports, err, errlen) < 0 ||
	    get_str(c, "key", &key, err, errlen) < 0 || get_str(c, "crt", &crt, err, errlen) < 0 ||
	    get_str(c, "bundle", &bundle, err, errlen) < 0 ||
	    get_bool(c, "short_term", false, &cfg->short_term, err, errlen) < 0 ||
	    get_bool(c, "high_capacity", true, &cfg->high_capacity, err, errlen) < 0 ||
	    get_bool(c, "software", false, &cfg->software, err, errlen) < 0 ||
	    get_bool(c, "strict_channels", false, &cfg->strict_channels, err, errlen) < 0 ||
	    get_bool(c, "allow_own_peers", false, &cfg->policy.allow_own_peers, err, errlen) < 0)
		goto out;
	if (!cfg->realm || !*cfg->realm) {
		cv_fail(err, errlen, "config.realm: not set (turn credentials)");
		goto out;
	}
	if (strlen(cfg->realm) > 127) {
		cv_fail(err, errlen, "config.realm: longer than 127 characters");
		goto out;
	}
	/* The smallest Allocate over UDP (REQUESTED-TRANSPORT alone, 28 bytes)
	 * may get 84 bytes back (turn_proto.c: three times the request): a
	 * 401 with its plain nonce leaves room for a realm of 32 characters. */
	if (strlen(cfg->realm) > TURN_REALM_SMALL_MAX)
		cv_warn("realm \"%s\" is longer than %u characters: UDP clients whose first "
			"request is smaller than %zu bytes get no challenge",
			cfg->realm, TURN_REALM_SMALL_MAX,
			(20 + 8 + 4 + ((strlen(cfg->realm) + 3) & ~(size_t)3) + 20 + 2) / 3);
	if ((cfg->username == NULL) != (cfg->password == NULL)) {
		cv_fail(err, errlen, "config.username/password: set only one of them");
		goto out;
	}
	if (cfg->username && strlen(cfg->username) > 509) {
		cv_fail(err, errlen, "config.username: longer than 509 bytes");
		goto out;
	}
	if (!cfg->username && !(cfg->short_term && cfg->secret)) {
		cv_fail(err, errlen, "config: no credentials (turn credentials, or "
				  "short-term-credentials with a shared secret)");
		goto out;
	}
	if (cfg->username) {
		size_t n = strlen(cfg->username);

		stun_longterm_key(STUN_PWALG_MD5, cfg->username, n, cfg->realm, cfg->password,
				  cfg->key_md5);
		stun_longterm_key(STUN_PWALG_SHA256, cfg->username, n, cfg->realm, cfg->password,
				  cfg->key_sha256);
		stun_userhash(cfg->username, n, cfg->realm, cfg->userhash);
	}

	/* Listen interfaces: their IPv4 addresses; the relay address is that of
	 * the first (spec/mmp.md section 9). */
	if (!json_object_object_get_ex(c, "listen", &v) ||
	    !json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0) {
		cv_fail(err, errlen, "config.listen: no listen interface");
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *e = json_object_array_get_idx(v, i);
		const char *ifn = json_object_get_string(e);
		char path[64];
		const char *addr;
		char ifc;

		if (!json_object_is_type(e, json_type_string) || cv_parse_iface(ifn, &ifc) < 0) {
			cv_fail(err, errlen, "config.listen: \"%s\" is not an interface", ifn);
			goto out;
		}
		snprintf(path, sizeof(path), "interfaces.%c.address", ifc);
		addr = cv_conf_get_str(root, path, NULL);
		if (!addr || parse_ip(addr, &cfg->listen[cfg->n_listen]) < 0) {
			cv_fail(err, errlen, "config.listen: interface %c has no address", ifc);
			goto out;
		}
		if (cfg->n_listen + 1 >= sizeof(cfg->listen) / sizeof(cfg->listen[0])) {
			cv_fail(err, errlen, "config.listen: too many interfaces");
			goto out;
		}
		cfg->n_listen++;
	}
	cfg->relay4 = cfg->listen[0];
	if (cfg->relay4.family != AF_INET) {
		cv_fail(err, errlen, "config.listen: the first interface needs an IPv4 address");
		goto out;
	}
	if (public_ip) {
		if (parse_ip(public_ip, &cfg->public4) < 0 || cfg->public4.family != AF_INET) {
			cv_fail(err, errlen, "config.public_ip: \"%s\" is not an IPv4 address",
			     public_ip);
			goto out;
		}
		cfg->have_public = true;
	}
	if (relay6) {
		if (parse_ip(relay6, &cfg->relay6) < 0 || cfg->relay6.family != AF_INET6) {
			cv_fail(err, errlen, "config.relay6: \"%s\" is not an IPv6 address", relay6);
			goto out;
		}
		cfg->have_relay6 = true;
	}

	if (get_uint(c, "port", 3478, 65535, &u, err, errlen) < 0)
		goto out;
	cfg->port = (uint16_t)(u ? u : 3478);
	if (get_uint(c, "tls_port", 0, 65535, &u, err, errlen) < 0)
		goto out;
	cfg->tls_port = (uint16_t)u;
	if (cfg->tls_port) {
		char why[256];

		if (!key || !crt) {
			cv_fail(err, errlen, "config.tls_port: set, but no key and certificate "
					  "(turn certs)");
			goto out;
		}
		/* Identity config.key/crt/bundle, policy tls.turn. */
		cfg->tls = xcalloc(1, sizeof(*cfg->tls));
		if (cv_tls_config_from_json(root, "", "turn", cfg->tls, why, sizeof(why)) < 0) {
			cv_fail(err, errlen, "TLS: %s", why);
			goto out;
		}
	}

	/* Data plane: high-capacity mode runs one worker per core and relays
	 * on 32768-65535; otherwise one worker on 49152-65535. */
	cfg->port_lo = cfg->high_capacity ? TURN_PORTS_HIGH_LO : TURN_PORTS_NORMAL_LO;
	cfg->port_hi = cfg->high_capacity ? TURN_PORTS_HIGH_HI : TURN_PORTS_NORMAL_HI;
	if (ports) {
		unsigned long lo, hi;
		char *dash = strchr(ports, '-');

		if (!dash) {
			cv_fail(err, errlen, "config.relay_ports: \"%s\" is not LO-HI", ports);
			goto out;
		}
		*dash = '\0';
		if (cv_parse_ulong(ports, 1024, 65535, &lo) < 0 ||
		    cv_parse_ulong(dash + 1, 1024, 65535, &hi) < 0 || hi < lo) {
			cv_fail(err, errlen, "config.relay_ports: not a range within 1024-65535");
			goto out;
		}
		cfg->port_lo = (uint16_t)lo;
		cfg->port_hi = (uint16_t)hi;
	}
	{
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		unsigned dflt = cfg->high_capacity ? (unsigned)(ncpu > 0 ? ncpu : 1) : 1;

		if (dflt > 64)
			dflt = 64;
		if (get_uint(c, "workers", dflt, 64, &cfg->workers, err, errlen) < 0)
			goto out;
		if (!cfg->workers)
			cfg->workers = dflt;
		if ((unsigned)(cfg->port_hi - cfg->port_lo) + 1 < cfg->workers * 2u) {
			cv_fail(err, errlen, "config.relay_ports: too few ports for %u workers",
			     cfg->workers);
			goto out;
		}
	}
	if (get_uint(c, "total_quota", (unsigned)(cfg->port_hi - cfg->port_lo) + 1, 1u << 20,
		     &cfg->total_quota, err, errlen) < 0 ||
	    get_uint(c, "user_quota", 100, 1u << 20, &cfg->user_quota, err, errlen) < 0 ||
	    get_uint(c, "static_user_quota", 0, 1u << 20, &cfg->static_user_quota, err, errlen) <
		    0 ||
	    get_uint(c, "max_permissions", 64, 1024, &cfg->max_permissions, err, errlen) < 0 ||
	    get_uint(c, "max_channels", 64, 4096, &cfg->max_channels, err, errlen) < 0 ||
	    get_uint(c, "challenge_rate", 100, 1000000, &cfg->challenge_rate, err, errlen) < 0 ||
	    get_uint(c, "max_unauth_conns", 16, 65535, &cfg->max_unauth_conns, err, errlen) < 0 ||
	    get_uint(c, "nonce_lifetime", 600, 3600, &cfg->nonce_lifetime, err, errlen) < 0)
		goto out;
	if (cfg->nonce_lifetime < 30)
		cfg->nonce_lifetime = 30;

	/* Peer policy. */
	if (json_object_object_get_ex(c, "allow_peers", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_array)) {
			cv_fail(err, errlen, "config.allow_peers: not a list");
			goto out;
		}
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i);
			const char *s = json_object_get_string(e);

			if (!json_object_is_type(e, json_type_string) ||
			    turn_policy_allow(&cfg->policy, s) < 0) {
				cv_fail(err, errlen, "config.allow_peers: \"%s\" is not a CIDR",
				     s ? s : "");
				goto out;
			}
		}
	}
	for (size_t i = 0; i < cfg->n_listen; i++)
		turn_policy_add_own(&cfg->policy, &cfg->listen[i]);
	if (cfg->have_public)
		turn_policy_add_own(&cfg->policy, &cfg->public4);
	if (cfg->have_relay6)
		turn_policy_add_own(&cfg->policy, &cfg->relay6);
	add_local_addresses(&cfg->policy);

	gnutls_rnd(GNUTLS_RND_KEY, cfg->nonce_key, sizeof(cfg->nonce_key));
	r = 0;
out:
	free(public_ip);
	free(relay6);
	free(ports);
	free(key);
	free(crt);
	free(bundle);
	if (r < 0)
		turn_config_free(cfg);
	return r;
}

int turn_config_load(const char *path, struct turn_config *cfg, char *err, size_t errlen)
{
	json_object *root;
	int r = cv_conf_read(path, &root, err, errlen);

	if (r < 0)
		return r;
	r = turn_config_from_json(root, cfg, err, errlen);
	json_object_put(root);
	return r;
}

void turn_config_free(struct turn_config *cfg)
{
	if (cfg->password)
		memset(cfg->password, 0, strlen(cfg->password));
	if (cfg->secret)
		memset(cfg->secret, 0, strlen(cfg->secret));
	free(cfg->username);
	free(cfg->password);
	free(cfg->realm);
	free(cfg->secret);
	free(cfg->tls);
	memset(cfg, 0, sizeof(*cfg));
}
