// SPDX-License-Identifier: GPL-2.0-or-later
/* Readiness and privileges of the service programs (service.h). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/service.h"

static void service_usage(FILE *f, const char *name)
{
	fprintf(f, "Usage: convene-%s --config FILE [--check]\n"
		   "  --config FILE  the rendered service config (mmpd writes <state>/run/%s.json)\n"
		   "  --check        validate the config and exit\n"
		   "See %s(8).\n",
		name, name, name);
}

bool cv_service_args(int argc, char **argv, const char *name, const char **ret_path,
		     bool *ret_check, int *ret_exit)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*ret_path = NULL;
	*ret_check = false;
	while ((c = getopt_long(argc, argv, "c:kh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*ret_path = optarg;
			break;
		case 'k':
			*ret_check = true;
			break;
		case 'h':
			service_usage(stdout, name);
			*ret_exit = 0;
			return false;
		default:
			service_usage(stderr, name);
			*ret_exit = 2;
			return false;
		}
	}
	if (!*ret_path || optind != argc) {
		service_usage(stderr, name);
		*ret_exit = 2;
		return false;
	}
	return true;
}

bool cv_service_begin(int argc, char **argv, const char *name, cv_service_load_fn load,
		      void (*unload)(void *cfg), void *cfg, int *ret_exit)
{
	const char *path;
	bool check;
	char err[512];

	cv_log_open(name);
	*ret_exit = 1;
	if (cv_service_no_new_privs() < 0)
		return false;
	if (!cv_service_args(argc, argv, name, &path, &check, ret_exit))
		return false;
	if (load(path, cfg, err, sizeof(err)) < 0) {
		cv_err("invalid configuration: %s", err);
		*ret_exit = 1;
		return false;
	}
	if (check) {
		printf("configuration OK\n");
		if (unload)
			unload(cfg);
		*ret_exit = 0;
		return false;
	}
	return true;
}

int cv_service_config(const char *path, json_object **ret_root, json_object **ret_config,
		      char *err, size_t errlen)
{
	int r = cv_conf_read(path, ret_root, err, errlen);

	if (r < 0)
		return r;
	if (!json_object_object_get_ex(*ret_root, "config", ret_config) ||
	    !json_object_is_type(*ret_config, json_type_object)) {
		json_object_put(*ret_root);
		*ret_root = NULL;
		return cv_fail(err, errlen, "config: missing");
	}
	return 0;
}

int cv_service_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		cv_err("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int cv_service_drop(const char *service)
{
	char name[64], buf[1024];
	struct passwd pw, *res = NULL;

	if (geteuid() != 0)
		return 0;
	snprintf(name, sizeof(name), "%s%s", CV_SERVICE_USER_PREFIX, service);
	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || !res) {
		cv_err("no user %s to run as (scripts/install-users creates it)", name);
		return -ESRCH;
	}
	if (res->pw_uid == 0 || res->pw_gid == 0) {
		cv_err("user %s has root's uid or group", name);
		return -EPERM;
	}
	if (setgroups(0, NULL) < 0 || setresgid(res->pw_gid, res->pw_gid, res->pw_gid) < 0 ||
	    setresuid(res->pw_uid, res->pw_uid, res->pw_uid) < 0) {
		int r = -errno;

		cv_err("cannot drop privileges to %s: %s", name, strerror(-r));
		return r;
	}
	if (setuid(0) == 0 || geteuid() == 0) {
		cv_err("privileges were not dropped");
		return -EPERM;
	}
	cv_info("running as user %s", name);
	return 0;
}

void cv_service_ready(void)
{
	const char *s = getenv("CONVENE_READY_FD");
	unsigned long fd;

	if (!s || cv_parse_ulong(s, 0, 1024, &fd) < 0)
		return;
	if (write((int)fd, "READY\n", 6) != 6)
		cv_warn("cannot report readiness on fd %lu: %s", fd, strerror(errno));
	close((int)fd);
}
