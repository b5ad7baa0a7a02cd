/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every service program does the same way (STYLE.md, "every main has
 * the same shape"): report readiness to mmpd and drop privileges.
 *
 * Each service runs as its own system user "convene-<service>"
 * (scripts/install-users makes them on Debian, images/rootfs has them),
 * never as root or nobody after binding (DESIGN.md section 2).
 */
#ifndef CV_SERVICE_H
#define CV_SERVICE_H

#include <stdbool.h>
#include <json-c/json.h>
#include <stddef.h>

/* "convene-" and the service's name. */
#define CV_SERVICE_USER_PREFIX "convene-"

/* The command line every service program takes:
 *   convene-<name> --config FILE [--check]
 * True when main goes on with *ret_path and *ret_check; false when it
 * returns *ret_exit (0 after --help, 2 after a usage error, with the usage
 * on stdout or stderr). */
bool cv_service_args(int argc, char **argv, const char *name, const char **ret_path,
		     bool *ret_check, int *ret_exit);

/* Loads a service's config from path; 0, or a negative errno with the
 * reason in err. */
typedef int (*cv_service_load_fn)(const char *path, void *cfg, char *err, size_t errlen);

/* The start every service's main shares: opens the log as name, sets
 * no-new-privs, reads the command line and loads the config with load
 * ("invalid configuration: ..." logged on failure); with --check prints
 * "configuration OK" and releases the config with unload (NULL: nothing
 * to release). True when main goes on; false when it returns *ret_exit. */
bool cv_service_begin(int argc, char **argv, const char *name, cv_service_load_fn load,
		      void (*unload)(void *cfg), void *cfg, int *ret_exit);

/* Reads the config mmpd renders for a service (lib/conf.h cv_conf_read)
 * and finds its "config" object: *ret_root is the caller's to put,
 * *ret_config is borrowed from it. -EINVAL with "config: missing". */
int cv_service_config(const char *path, json_object **ret_root, json_object **ret_config,
		      char *err, size_t errlen);

/* Sets PR_SET_NO_NEW_PRIVS: nothing this process runs can gain privileges.
 * Called first thing in main. */
int cv_service_no_new_privs(void);
/* Becomes the user convene-<service> (its group, no supplementary groups)
 * once the listeners are bound; checks that root cannot come back.
 * -ESRCH when the user does not exist; a process that is not root stays
 * who it is. */
int cv_service_drop(const char *service);
/* Writes "READY\n" on the descriptor CONVENE_READY_FD names (mmpd's
 * readiness pipe, services/mmpd/mmpd_super.c) and closes it. */
void cv_service_ready(void);

#endif
