// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The API core's create rate: N (default 10,000) POST /coSpaces through
 * cb_api_handle() on a store in a directory given on the command line
 * (default: a temporary one under /tmp), each its own transaction with
 * synchronous=FULL in WAL mode, then GET /coSpaces?limit=20 and a filtered
 * GET, timed. Prints the figures; asserts nothing about time (the issue's
 * goal is 10,000 creates in under 10 s; the report says what this disk did).
 *
 *   tests/bench/cb_create [count] [dir]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "services/callbridge/cb_api.h"

static void quiet(int level, const char *msg, void *opaque)
{
	(void)level;
	(void)msg;
	(void)opaque;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int request(struct cb_api *api, const char *m, const char *path, const char *query,
		   const char *body)
{
	struct cb_request req = { m, path, query, body, body ? strlen(body) : 0, "bench" };
	struct cb_response resp;
	int status;

	cb_response_init(&resp);
	cb_api_handle(api, &req, &resp);
	status = resp.status;
	cb_response_free(&resp);
	return status;
}

static void time_gets(struct cb_api *api, int n)
{
	double t0 = now();

	for (int i = 0; i < 200; i++)
		request(api, "GET", "/coSpaces", "limit=20", NULL);
	printf("%d spaces: GET /coSpaces?limit=20: %.3f ms each\n", n, (now() - t0) / 200 * 1e3);
	t0 = now();
	for (int i = 0; i < 200; i++)
		request(api, "GET", "/coSpaces", "filter=space%2012&limit=20", NULL);
	printf("%d spaces: GET /coSpaces?filter=space 12&limit=20: %.3f ms each\n", n,
	       (now() - t0) / 200 * 1e3);
}

int main(int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 10000;
	char tmpl[] = "/tmp/cb_create.XXXXXX";
	const char *dir = argc > 2 ? argv[2] : mkdtemp(tmpl);
	char path[512], err[256], body[128];
	struct cb_api *api;
	double t0, t;
	int fails = 0;

	if (!dir || count <= 0)
		return 2;
	cv_log_set_sink(quiet, NULL);
	snprintf(path, sizeof(path), "%s/callbridge.db", dir);
	if (cb_api_open(path, "bench", &api, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t0 = now();
	for (int i = 0; i < count; i++) {
		snprintf(body, sizeof(body), "name=space%%20%d&uri=space.%d&callId=%d", i, i,
			 100000000 + i);
		if (request(api, "POST", "/coSpaces", NULL, body) != 200)
			fails++;
		if (i + 1 == 100)
			time_gets(api, 100);
	}
	t = now() - t0;
	printf("%d creates in %.2f s (%.0f per second, %.3f ms each), %d failed\n", count, t,
	       count / t, t / count * 1e3, fails);
	time_gets(api, count);
	cb_api_close(api);
	snprintf(path, sizeof(path), "%s/callbridge.db", dir);
	if (argc <= 2) {
		unlink(path);
		snprintf(path, sizeof(path), "%s/callbridge.db-wal", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/callbridge.db-shm", dir);
		unlink(path);
		rmdir(dir);
	}
	return fails ? 1 : 0;
}
