// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pam_client: a PAM application for the tests of pam_convene.so
 * (tests/integration/pam.sh), standing where sshd stands, without sshd:
 *
 *   pam_client CONFDIR SERVICE USER RHOST PASSWORD STEP...
 *
 * It starts PAM with pam_start_confdir() (Linux-PAM >= 1.4), so the
 * configuration is CONFDIR/SERVICE (the test writes one that names the
 * built module by its absolute path) and nothing of this machine's
 * /etc/pam.d is read. RHOST becomes PAM_RHOST ("-": left unset); the
 * conversation answers every hidden prompt with PASSWORD. The steps run in
 * order, each printing one line "STEP RESULT", RESULT being the name of
 * the PAM return code (PAM_SUCCESS, PAM_AUTH_ERR...):
 *
 *   auth      pam_authenticate
 *   account   pam_acct_mgmt
 *   open      pam_open_session (PAM_TTY is "pts/9")
 *   close     pam_close_session
 *   hold      prints "hold PID" and waits until stdin ends: the session
 *             stays open, in this process, as in sshd's monitor
 *
 * The first step that fails ends it: exit status 1 (0 when all passed, 2
 * for bad usage). pam_end() always runs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <security/pam_appl.h>

static const char *password;

static int conv(int n, const struct pam_message **msg, struct pam_response **ret, void *data)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF) {
			r[i].resp = strdup(password);
			if (!r[i].resp) {
				for (int k = 0; k < i; k++)
					free(r[k].resp);
				free(r);
				return PAM_BUF_ERR;
			}
		}
	}
	*ret = r;
	return PAM_SUCCESS;
}

static const char *code_name(int r)
{
	static const struct {
		int code;
		const char *name;
	} names[] = {
		{ PAM_SUCCESS, "PAM_SUCCESS" },
		{ PAM_AUTH_ERR, "PAM_AUTH_ERR" },
		{ PAM_AUTHINFO_UNAVAIL, "PAM_AUTHINFO_UNAVAIL" },
		{ PAM_PERM_DENIED, "PAM_PERM_DENIED" },
		{ PAM_NEW_AUTHTOK_REQD, "PAM_NEW_AUTHTOK_REQD" },
		{ PAM_SESSION_ERR, "PAM_SESSION_ERR" },
		{ PAM_SERVICE_ERR, "PAM_SERVICE_ERR" },
		{ PAM_USER_UNKNOWN, "PAM_USER_UNKNOWN" },
		{ PAM_ACCT_EXPIRED, "PAM_ACCT_EXPIRED" },
		{ PAM_SYSTEM_ERR, "PAM_SYSTEM_ERR" },
		{ PAM_BUF_ERR, "PAM_BUF_ERR" },
		{ PAM_CONV_ERR, "PAM_CONV_ERR" },
		{ PAM_ABORT, "PAM_ABORT" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == r)
			return names[i].name;
	return "PAM_OTHER";
}

/* Waits until stdin ends (the test closes its end of the FIFO). */
static void hold(void)
{
	char buf[64];

	printf("hold %d\n", (int)getpid());
	fflush(stdout);
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
}

int main(int argc, char **argv)
{
	struct pam_conv c = { conv, NULL };
	pam_handle_t *pamh = NULL;
	int r, status = 0;

	if (argc < 7) {
		fprintf(stderr, "usage: pam_client CONFDIR SERVICE USER RHOST PASSWORD STEP...\n");
		return 2;
	}
	password = argv[5];
	r = pam_start_confdir(argv[2], argv[3], &c, argv[1], &pamh);
	if (r != PAM_SUCCESS) {
		printf("start %s\n", code_name(r));
		return 1;
	}
	if (strcmp(argv[4], "-") != 0)
		pam_set_item(pamh, PAM_RHOST, argv[4]);
	pam_set_item(pamh, PAM_TTY, "pts/9");
	for (int i = 6; i < argc && status == 0; i++) {
		const char *step = argv[i];

		if (strcmp(step, "hold") == 0) {
			hold();
			continue;
		}
		if (strcmp(step, "auth") == 0)
			r = pam_authenticate(pamh, 0);
		else if (strcmp(step, "account") == 0)
			r = pam_acct_mgmt(pamh, 0);
		else if (strcmp(step, "open") == 0)
			r = pam_open_session(pamh, 0);
		else if (strcmp(step, "close") == 0)
			r = pam_close_session(pamh, 0);
		else {
			fprintf(stderr, "pam_client: unknown step \"%s\"\n", step);
			status = 2;
			break;
		}
		printf("%s %s\n", step, code_name(r));
		fflush(stdout);
		if (r != PAM_SUCCESS)
			status = 1;
	}
	pam_end(pamh, r);
	return status;
}
