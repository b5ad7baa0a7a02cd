// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmpd login checks with a keyed cache and coalescing (see cb_auth.h).
 *
 * Threads: everything but the IPC call itself runs on the loop thread. A
 * call in flight is one struct auth_pending, given to uv_queue_work(); the
 * pool thread reads only its user, password and from, and writes only its
 * status and role. The password lives in that struct until the call ends,
 * then is wiped.
 */
#include "config.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <json-c/json.h>
#include <string.h>

#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "services/callbridge/cb_auth.h"

#define MAC_LEN 32
#define CRED_MAX 256 /* user or password bytes */
#define REPLY_MAX (64 * 1024)

struct auth_entry {
	uint8_t mac[MAC_LEN];
	char role[CB_AUTH_ROLE_MAX];
	uint64_t expires;
};

struct auth_pending {
	struct cb_auth *a; /* NULL once the module is gone */
	uint8_t mac[MAC_LEN];
	char from[64];
	char *user, *password, *socket;
	int timeout_ms;
	int status;
	int ipc_err; /* cv_ipc_call's own error, for the log */
	char role[CB_AUTH_ROLE_MAX];
	struct cb_auth_wait *waiters;
	uv_work_t work;
	struct auth_pending *prev, *next;
};

struct cb_auth {
	uv_loop_t *loop;
	struct cb_auth_opts o;
	char *socket;
	uint8_t key[32];
	struct auth_entry *cache;
	unsigned ncache;
	struct auth_pending *pending;
	struct cb_auth_stats st;
};

static uint64_t now_ms(struct cb_auth *a)
{
	if (a->o.now_ms)
		return a->o.now_ms(a->o.now_arg);
	uv_update_time(a->loop);
	return uv_now(a->loop);
}

int cb_auth_new(uv_loop_t *loop, const struct cb_auth_opts *opts, struct cb_auth **ret)
{
	struct cb_auth *a = xcalloc(1, sizeof(*a));
	int r;

	a->loop = loop;
	a->o = *opts;
	if (!a->o.ttl_ms)
		a->o.ttl_ms = 30000;
	if (!a->o.max_pending)
		a->o.max_pending = 64;
	if (!a->o.max_per_ip)
		a->o.max_per_ip = 4;
	if (!a->o.timeout_ms)
		a->o.timeout_ms = 5000;
	if (!a->o.cache_max)
		a->o.cache_max = 4096;
	a->socket = xstrdup(opts->socket ? opts->socket : CV_DEFAULT_SOCKET);
	a->o.socket = a->socket;
	r = gnutls_rnd(GNUTLS_RND_KEY, a->key, sizeof(a->key));
	if (r < 0) {
		free(a->socket);
		free(a);
		return -EIO;
	}
	a->cache = xcalloc(a->o.cache_max, sizeof(*a->cache));
	*ret = a;
	return 0;
}

static void wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static void pending_unlink(struct auth_pending *p)
{
	struct cb_auth *a = p->a;

	if (!a)
		return;
	if (p->prev)
		p->prev->next = p->next;
	else
		a->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
	a->st.pending--;
}

void cb_auth_free(struct cb_auth *a)
{
	if (!a)
		return;
	while (a->pending) {
		struct auth_pending *p = a->pending;
		struct cb_auth_wait *w;

		pending_unlink(p);
		p->a = NULL;
		while ((w = p->waiters)) {
			p->waiters = w->next;
			w->p = NULL;
			w->done(w, -ECANCELED, NULL, w->arg);
		}
	}
	explicit_bzero(a->key, sizeof(a->key));
	free(a->cache);
	free(a->socket);
	free(a);
}

static int make_mac(struct cb_auth *a, const char *user, const char *password,
		    const char *from, uint8_t mac[MAC_LEN])
{
	size_t ul = strlen(user), pl = strlen(password), fl = strlen(from);
	uint8_t buf[2 * CRED_MAX + 64 + 2];
	int r;

	memcpy(buf, user, ul);
	buf[ul] = 0;
	memcpy(buf + ul + 1, password, pl);
	buf[ul + 1 + pl] = 0;
	memcpy(buf + ul + pl + 2, from, fl);
	r = gnutls_hmac_fast(GNUTLS_MAC_SHA256, a->key, sizeof(a->key), buf, ul + pl + 2 + fl,
			     mac);
	explicit_bzero(buf, sizeof(buf));
	return r < 0 ? -EIO : 0;
}

static struct auth_entry *cache_find(struct cb_auth *a, const uint8_t mac[MAC_LEN], uint64_t now)
{
	for (unsigned i = 0; i < a->ncache; i++) {
		struct auth_entry *e = &a->cache[i];

		if (memcmp(e->mac, mac, MAC_LEN) != 0)
			continue;
		if (e->expires <= now) {
			/* Expired: drop it (the last entry takes its slot). */
			a->cache[i] = a->cache[--a->ncache];
			a->st.cached = a->ncache;
			return NULL;
		}
		return e;
	}
	return NULL;
}

static void cache_put(struct cb_auth *a, const uint8_t mac[MAC_LEN], const char *role,
		      uint64_t now)
{
	struct auth_entry *e = cache_find(a, mac, now);

	if (!e) {
		if (a->ncache == a->o.cache_max) {
			/* Full: drop expired entries, else the one closest to
			 * expiry. */
			unsigned j = 0, oldest = 0;

			for (unsigned i = 0; i < a->ncache; i++)
				if (a->cache[i].expires > now)
					a->cache[j++] = a->cache[i];
			a->ncache = j;
			if (a->ncache == a->o.cache_max) {
				for (unsigned i = 1; i < a->ncache; i++)
					if (a->cache[i].expires < a->cache[oldest].expires)
						oldest = i;
				a->cache[oldest] = a->cache[--a->ncache];
			}
		}
		e = &a->cache[a->ncache++];
		memcpy(e->mac, mac, MAC_LEN);
	}
	snprintf(e->role, sizeof(e->role), "%s", role);
	e->expires = now + a->o.ttl_ms;
	a->st.cached = a->ncache;
}

/* The pool thread: one IPC call. */
static void work_call(uv_work_t *work)
{
	struct auth_pending *p = work->data;
	json_object *req = json_object_new_object(), *reply = NULL, *v;
	int r;

	json_object_object_add(req, "op", json_object_new_string("service_login"));
	json_object_object_add(req, "user", json_object_new_string(p->user));
	json_object_object_add(req, "password", json_object_new_string(p->password));
	json_object_object_add(req, "from", json_object_new_string(p->from));
	r = cv_ipc_call(p->socket, req, p->timeout_ms, REPLY_MAX, &reply);
	/* json-c keeps its own copy of the password: wipe it before freeing. */
	if (json_object_object_get_ex(req, "password", &v)) {
		char *s = (char *)json_object_get_string(v);

		explicit_bzero(s, strlen(s));
	}
	json_object_put(req);
	if (r < 0) {
		/* -EACCES means "mmpd refused" to our callers: a socket we may
		 * not open is an unreachable mmpd, not a wrong password. */
		p->status = (r == -EACCES || r == -EPERM) ? -ECONNREFUSED : r;
		p->ipc_err = r;
		return;
	}
	if (!json_object_object_get_ex(reply, "status", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		p->status = -EBADMSG;
	} else if (json_object_get_int(v) != 0) {
		p->status = -EACCES;
	} else if (!json_object_object_get_ex(reply, "role", &v) ||
		   !json_object_is_type(v, json_type_string) ||
		   json_object_get_string_len(v) == 0 ||
		   (size_t)json_object_get_string_len(v) >= CB_AUTH_ROLE_MAX) {
		p->status = -EBADMSG;
	} else {
		const char *s = json_object_get_string(v);

		p->status = 0;
		for (const char *c = s; *c; c++)
			if (*c < 'a' || *c > 'z')
				p->status = -EBADMSG;
		if (p->status == 0)
			snprintf(p->role, sizeof(p->role), "%s", s);
	}
	json_object_put(reply);
}

static void work_done(uv_work_t *work, int status)
{
	struct auth_pending *p = work->data;
	struct cb_auth *a = p->a;
	struct cb_auth_wait *w;

	(void)status;
	wipe_free(p->password);
	p->password = NULL;
	if (a) {
		pending_unlink(p);
		if (p->status == 0)
			cache_put(a, p->mac, p->role, now_ms(a));
		else if (p->status != -EACCES)
			cv_warn("login check for \"%s\" from %s: mmpd did not answer: %s", p->user,
				p->from, strerror(p->ipc_err ? -p->ipc_err : -p->status));
	}
	while ((w = p->waiters)) {
		p->waiters = w->next;
		w->p = NULL;
		w->done(w, p->status, p->status == 0 ? p->role : NULL, w->arg);
	}
	free(p->user);
	free(p->socket);
	free(p);
}

int cb_auth_check(struct cb_auth *a, const char *user, const char *password, const char *from,
		  struct cb_auth_wait *w, cb_auth_done_fn done, void *arg,
		  char ret_role[CB_AUTH_ROLE_MAX])
{
	uint8_t mac[MAC_LEN];
	struct auth_entry *e;
	struct auth_pending *p;
	unsigned same_ip = 0;
	int r;

	if (!user[0] || strlen(user) > CRED_MAX || strlen(password) > CRED_MAX ||
	    strlen(from) >= sizeof(p->from))
		return -EINVAL;
	r = make_mac(a, user, password, from, mac);
	if (r < 0)
		return r;
	e = cache_find(a, mac, now_ms(a));
	if (e) {
		a->st.hits++;
		memcpy(ret_role, e->role, CB_AUTH_ROLE_MAX);
		return 1;
	}
	for (p = a->pending; p; p = p->next) {
		if (memcmp(p->mac, mac, MAC_LEN) == 0)
			break;
		if (strcmp(p->from, from) == 0)
			same_ip++;
	}
	w->done = done;
	w->arg = arg;
	if (p) {
		/* The same check is in flight: wait for its answer. */
		w->p = p;
		w->next = p->waiters;
		p->waiters = w;
		a->st.joined++;
		return 0;
	}
	if (a->st.pending >= a->o.max_pending || same_ip >= a->o.max_per_ip) {
		a->st.refused++;
		return -EBUSY;
	}
	p = xcalloc(1, sizeof(*p));
	p->a = a;
	memcpy(p->mac, mac, MAC_LEN);
	snprintf(p->from, sizeof(p->from), "%s", from);
	p->user = xstrdup(user);
	p->password = xstrdup(password);
	p->socket = xstrdup(a->socket);
	p->timeout_ms = a->o.timeout_ms;
	p->work.data = p;
	r = uv_queue_work(a->loop, &p->work, work_call, work_done);
	if (r < 0) {
		wipe_free(p->password);
		free(p->user);
		free(p->socket);
		free(p);
		return r;
	}
	p->next = a->pending;
	if (a->pending)
		a->pending->prev = p;
	a->pending = p;
	a->st.pending++;
	a->st.calls++;
	w->p = p;
	w->next = NULL;
	p->waiters = w;
	return 0;
}

void cb_auth_cancel(struct cb_auth_wait *w)
{
	struct auth_pending *p = w->p;

	if (!p)
		return;
	for (struct cb_auth_wait **pp = &p->waiters; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	w->p = NULL;
}

void cb_auth_get_stats(const struct cb_auth *a, struct cb_auth_stats *ret)
{
	*ret = a->st;
}

bool cb_auth_role_api(const char *role)
{
	return role && (!strcmp(role, "admin") || !strcmp(role, "api") ||
			!strcmp(role, "appadmin"));
}

bool cb_auth_role_webadmin(const char *role)
{
	return role && (!strcmp(role, "admin") || !strcmp(role, "appadmin"));
}
