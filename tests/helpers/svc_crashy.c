// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * svc_crashy: a TEST-ONLY service program, never installed. The golden
 * runner (@install) and tests/integration/supervise.sh copy or link it as
 * convene-<svc> into a temporary service directory, so that mmpd's
 * supervisor has a real child to start, watch, stop and restart.
 *
 *   convene-<svc> --config FILE [--check]
 *
 * It reads FILE with json-c (proving the rendered config arrives; --check
 * stops there), logs "info: test service <svc> starting" on stderr, writes
 * "READY\n" to the fd named by CONVENE_READY_FD, and then runs until SIGTERM
 * or SIGINT (exit status 0). Its behaviour is steered by control files next
 * to its config, or by SVC_CRASHY_MODE for every service at once:
 *
 *   <config dir>/<svc>.crash       exit with status 3 once it has run ~200 ms
 *                                  (checked every 100 ms, so creating the file
 *                                  crashes a running instance; deleting it heals)
 *   <config dir>/<svc>.noready     never report ready
 *   <config dir>/<svc>.ignoreterm  ignore SIGTERM (only SIGKILL stops it)
 *   <config dir>/<svc>.longline    log one 5000-byte line after READY
 *   <config dir>/<svc>.child       start a child that ignores SIGTERM and
 *                                  sleeps, its pid in <config dir>/<svc>.childpid
 *                                  (mmpd must end it with the service's
 *                                  process group)
 *   SVC_CRASHY_MODE=crash|noready|ignoreterm|longline|child
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CRASHY_RUN_BEFORE_CRASH_MS 200
#define CRASHY_POLL_MS 100

static char *conf_dir;
static const char *svc = "unknown";

static bool control(const char *what)
{
	const char *mode = getenv("SVC_CRASHY_MODE");
	char path[4096];

	if (mode && strcmp(mode, what) == 0)
		return true;
	snprintf(path, sizeof(path), "%s/%s.%s", conf_dir, svc, what);
	return access(path, F_OK) == 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int usage(void)
{
	dprintf(STDERR_FILENO, "err: usage: convene-<svc> --config FILE [--check]\n");
	return 2;
}

static int ready_fd(void)
{
	const char *e = getenv("CONVENE_READY_FD");
	char *end;
	long fd;

	if (!e)
		return -1;
	errno = 0;
	fd = strtol(e, &end, 10);
	if (errno || end == e || *end || fd < 0 || fd > 1024)
		return -1;
	return (int)fd;
}

int main(int argc, char **argv)
{
	const char *conf_path = NULL;
	json_object *doc, *o;
	bool check = false;
	sigset_t set;
	long long start;
	char *slash;
	int fd, nkeys;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			conf_path = argv[++i];
		else if (strcmp(argv[i], "--check") == 0)
			check = true;
		else
			return usage();
	}
	if (!conf_path)
		return usage();

	doc = json_object_from_file(conf_path);
	if (!doc || !json_object_is_type(doc, json_type_object)) {
		dprintf(STDERR_FILENO, "err: cannot read config %s: %s\n", conf_path,
			json_util_get_last_err() ? json_util_get_last_err() : "not an object");
		return 1;
	}
	if (json_object_object_get_ex(doc, "service", &o) &&
	    json_object_is_type(o, json_type_string))
		svc = strdup(json_object_get_string(o));
	if (!svc)
		return 1;
	if (!json_object_object_get_ex(doc, "config", &o) ||
	    !json_object_is_type(o, json_type_object)) {
		dprintf(STDERR_FILENO, "err: config %s has no \"config\" object\n", conf_path);
		json_object_put(doc);
		return 1;
	}
	nkeys = json_object_object_length(o);
	json_object_put(doc);
	if (check)
		return 0;

	conf_dir = strdup(strchr(conf_path, '/') ? conf_path : "./");
	if (!conf_dir)
		return 1;
	slash = strrchr(conf_dir, '/');
	*slash = '\0';

	dprintf(STDERR_FILENO, "info: test service %s starting\n", svc);
	dprintf(STDOUT_FILENO, "debug: test service %s read a config with %d keys\n", svc, nkeys);

	/* Signals are taken with sigtimedwait(): no handlers, no races. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	if (control("ignoreterm"))
		signal(SIGTERM, SIG_IGN);
	else
		sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);

	fd = ready_fd();
	if (!control("noready")) {
		if (fd < 0 || write(fd, "READY\n", 6) != 6)
			dprintf(STDERR_FILENO, "warning: test service %s cannot report ready\n",
				svc);
	}
	if (fd >= 0)
		close(fd);
	if (control("longline")) {
		static char line[5001];

		memset(line, 'x', sizeof(line) - 1);
		dprintf(STDERR_FILENO, "warning: %s\n", line);
	}

	if (control("child")) {
		char path[4096];
		pid_t child = fork();

		if (child == 0) {
			/* Outlives a SIGTERM to the service; bounded anyway. */
			signal(SIGTERM, SIG_IGN);
			sleep(300);
			_exit(0);
		}
		snprintf(path, sizeof(path), "%s/%s.childpid", conf_dir, svc);
		if (child > 0) {
			FILE *f = fopen(path, "w");

			if (f) {
				fprintf(f, "%d\n", (int)child);
				fclose(f);
			}
		}
	}

	start = now_ms();
	for (;;) {
		struct timespec ts = {0, CRASHY_POLL_MS * 1000000L};
		int sig = sigtimedwait(&set, NULL, &ts);

		if (sig > 0) {
			dprintf(STDERR_FILENO, "info: test service %s stopping on signal %d\n", svc,
				sig);
			return 0;
		}
		if (control("crash") && now_ms() - start >= CRASHY_RUN_BEFORE_CRASH_MS) {
			dprintf(STDERR_FILENO, "err: test service %s crashing on purpose\n", svc);
			return 3;
		}
	}
}
