// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the API router and handlers (cb_api_handle) over an
 * in-memory store emptied before each input (opening and migrating a new
 * one per input made the target ten times slower), so that a crash input
 * replays alike; only the counters of /system/status and the web bridges'
 * link states carry over between inputs.
 * An input is up to 8 requests separated by a line "--"; each request is
 * "METHOD PATH[?QUERY]" on its first line and the form body after it.
 * "$L" in a path or body stands for the id of the last object created
 * (the tail of the last Location), so that inputs reach GET/PUT/DELETE
 * of live objects and their sub-resources. Every response must have a
 * status of 200 or more and, when not 200, a failureDetails body or none;
 * a successful create must carry a Location.
 * Also tests/fuzz/cbapi_replay in `make check` over tests/fuzz/corpus/cbapi/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/strbuf.h"
#include "services/callbridge/cb_api.h"
#include "services/callbridge/cb_db.h"
#include "services/callbridge/cb_obj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REQUESTS 8

static void quiet(int level, const char *msg, void *opaque)
{
	(void)level;
	(void)msg;
	(void)opaque;
}

/* s with every "$L" replaced by last. */
static char *expand(const char *s, size_t n, const char *last)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '$' && i + 1 < n && s[i + 1] == 'L') {
			sb_puts(&sb, last);
			i++;
		} else {
			sb_putc(&sb, s[i]);
		}
	}
	return sb_steal(&sb);
}

static void one(struct cb_api *api, const char *rec, size_t len, char *last)
{
	const char *nl = memchr(rec, '\n', len);
	size_t l1 = nl ? (size_t)(nl - rec) : len;
	char *line = expand(rec, l1, last);
	char *body = nl ? expand(nl + 1, len - l1 - 1, last) : NULL;
	char *sp = strchr(line, ' '), *q;
	struct cb_request req = { 0 };
	struct cb_response resp;

	if (!sp) {
		free(line);
		free(body);
		return;
	}
	*sp = '\0';
	q = strchr(sp + 1, '?');
	if (q)
		*q++ = '\0';
	req.method = line;
	req.path = sp + 1;
	req.query = q;
	req.body = body;
	/* expand() of a body with NUL bytes stops at them: the length is
	 * what the string holds, as an HTTP layer would pass it. */
	req.body_len = body ? strlen(body) : 0;
	req.user = "fuzz";
	cb_response_init(&resp);
	cb_api_handle(api, &req, &resp);
	if (resp.status < 200)
		abort();
	if (resp.status != 200 && resp.body.len &&
	    !strstr(sb_str(&resp.body), "<failureDetails>"))
		abort();
	if (resp.status == 200 && strcmp(req.method, "POST") == 0 && !strstr(req.path, "system")) {
		size_t ll = strlen(resp.location);

		if (ll < 36)
			abort();
		memcpy(last, resp.location + ll - 36, 37);
	}
	cb_response_free(&resp);
	free(line);
	free(body);
}

/* Deletes every object (children before their owners) and the tracing. */
static void empty_store(struct cb_api *api)
{
	struct cb_db *db = cb_api_db(api);
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0;

	while (cb_objs[n])
		n++;
	sb_puts(&sb, "BEGIN;");
	for (size_t i = n; i-- > 0;)
		sb_printf(&sb, "DELETE FROM %s;", cb_objs[i]->table);
	sb_puts(&sb, "COMMIT;");
	if (sqlite3_exec(cb_db_sqlite_handle(db), sb_str(&sb), NULL, NULL, NULL) != SQLITE_OK)
		abort();
	sb_free(&sb);
	cb_api_set_trace_until(api, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cb_api *api;
	char err[256], last[37] = "00000000-0000-0000-0000-000000000000";
	const char *p = (const char *)data, *end = p + size;
	int n = 0;

	if (!data || size == 0)
		return 0;
	if (!api) {
		cv_log_set_sink(quiet, NULL);
		if (cb_api_open(":memory:", "fuzz", &api, err, sizeof(err)) < 0)
			abort();
	}
	empty_store(api);
	while (p < end && n++ < MAX_REQUESTS) {
		size_t left = (size_t)(end - p), len = left;

		for (size_t i = 0; i + 4 <= left; i++)
			if (memcmp(p + i, "\n--\n", 4) == 0) {
				len = i;
				break;
			}
		one(api, p, len, last);
		p += len < left ? len + 4 : len;
	}
	return 0;
}
