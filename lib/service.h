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

/* "convene-" and the service's name. */
#define CV_SERVICE_USER_PREFIX "convene-"

/* The command line every service program takes:
 *   convene-<name> --config FILE [--check]
 * True when main goes on with *ret_path and *ret_check; false when it
 * returns *ret_exit (0 after --help, 2 after a usage error, with the usage
 * on stdout or stderr). */
bool cv_service_args(int argc, char **argv, const char *name, const char **ret_path,
		     bool *ret_check, int *ret_exit);

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
