// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmp-login: the console login of the appliance image. getty runs it on the
 * console (getty -n -l /usr/sbin/mmp-login ...). It asks for a user name
 * and a password and has mmpd check them ({"op":"login"}, root only), which
 * applies every MMP account rule: locked accounts, duty hours, password
 * expiry, failure counting and lockout (the console is always an allowed
 * host); the attempt is recorded in the user's record. After three refusals
 * it exits and getty starts it again.
 *
 * A good login becomes the user: with a Unix account for the MMP user
 * (mmpd --system-users writes them), mmp-login takes the account's uid and
 * the mmp group, hands it the terminal and runs its login shell (mmp) as
 * "-mmp", exactly as sshd does; mmpd then knows the user from the socket's
 * peer credentials. Without an account (an mmpd without --system-users),
 * mmp runs as root with --user NAME --login. Either way mmp forces the
 * password change before its first prompt when the password is due.
 *
 * The shell runs in a child: the parent records the login session with
 * mmpd ({"op":"session_open"} with the child's pid, so that "user list"
 * shows the user and "user evict" ends the shell with SIGHUP), waits for
 * the child, closes the session and exits with the shell's status. It
 * passes SIGHUP and SIGTERM on to the shell and ignores the terminal's
 * SIGINT and SIGQUIT. A session mmpd does not record (it has too many)
 * does not refuse the console: the console is the recovery path.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "ipc.h"
#include "mem.h"

#define LOGIN_TRIES 3
#define NAME_PROMPTS 20
#define FIELD_MAX 256
/* How long to wait for mmpd at boot, in seconds. */
#define MMPD_WAIT 60
#define FAIL_DELAY 2
/* How long one request to mmpd may take (a login check hashes, and may
 * look up the allowed hosts' names), and the largest reply taken. */
#define MMPD_CALL_MS 30000
#define REPLY_MAX 65536
#define DEFAULT_MMP "/usr/bin/mmp"

static const char *socket_path;
static const char *mmp_path = DEFAULT_MMP;

/* Reads one line from the terminal into buf (at most FIELD_MAX bytes are
 * kept). Returns its length, or -1 at end of input. */
static int read_field(char buf[FIELD_MAX + 1])
{
	size_t n = 0;

	for (;;) {
		char c;
		ssize_t k = read(STDIN_FILENO, &c, 1);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return n ? (int)n : -1;
		if (c == '\n' || c == '\r')
			break;
		if (n < FIELD_MAX)
			buf[n++] = c;
	}
	buf[n] = '\0';
	return (int)n;
}

/* Shows prompt with echo off (switched off first, so that an answer typed
 * as soon as the prompt shows is neither echoed nor lost). */
static int read_secret(const char *prompt, char buf[FIELD_MAX + 1])
{
	struct termios old, quiet;
	bool restore = false;
	int n;

	if (tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		restore = tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
	}
	fputs(prompt, stdout);
	fflush(stdout);
	n = read_field(buf);
	if (restore)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	return n;
}

/* One request and its reply over a fresh connection, bounded in time and
 * size; NULL when mmpd is unreachable or does not answer. */
static json_object *ask_mmpd(json_object *req)
{
	json_object *reply = NULL;

	if (cv_ipc_call(socket_path, req, MMPD_CALL_MS, REPLY_MAX, &reply) < 0)
		reply = NULL;
	json_object_put(req);
	return reply;
}

static json_object *request(const char *op)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string(op));
	json_object_object_add(o, "from", json_object_new_string("console"));
	return o;
}

static int reply_status(json_object *reply)
{
	json_object *v;

	if (!reply || !json_object_object_get_ex(reply, "status", &v))
		return -1;
	return json_object_get_int(v);
}

/* The host name for the prompt; waits (bounded) for mmpd at boot. */
static char *hostname_from_mmpd(void)
{
	for (int i = 0; i < MMPD_WAIT; i++) {
		json_object *reply = ask_mmpd(request("hello"));
		json_object *v;

		if (reply) {
			char *host = xstrdup("mmp");

			if (json_object_object_get_ex(reply, "hostname", &v) &&
			    json_object_get_string_len(v) > 0) {
				free(host);
				host = xstrdup(json_object_get_string(v));
			}
			json_object_put(reply);
			return host;
		}
		if (i == 0) {
			printf("Waiting for mmpd...\n");
			fflush(stdout);
		}
		sleep(1);
	}
	return NULL;
}

/* 0 when mmpd accepts the login, -EACCES when it refuses, -EIO when it
 * cannot be asked. */
static int check_login(const char *user, const char *password)
{
	json_object *req = request("login");
	json_object *reply;
	int st;

	json_object_object_add(req, "user", json_object_new_string(user));
	json_object_object_add(req, "password", json_object_new_string(password));
	reply = ask_mmpd(req);
	st = reply_status(reply);
	json_object_put(reply);
	if (st < 0)
		return -EIO;
	return st == 0 ? 0 : -EACCES;
}

static void __attribute__((noreturn)) fail(const char *what)
{
	fprintf(stderr, "mmp-login: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Becomes user and runs its shell; does not return. */
static void __attribute__((noreturn)) start_shell(const char *user)
{
	struct passwd *pw = getpwnam(user);
	const char *term = getenv("TERM");
	char *term_copy = term ? xstrdup(term) : NULL;

	if (!pw || pw->pw_uid == 0) {
		/* No Unix account: mmp as root, acting as the MMP user. */
		if (socket_path)
			execl(mmp_path, "-mmp", "--login", "--user", user, "--socket", socket_path,
			      (char *)NULL);
		else
			execl(mmp_path, "-mmp", "--login", "--user", user, (char *)NULL);
		fail(mmp_path);
	}
	if (fchown(STDIN_FILENO, pw->pw_uid, pw->pw_gid) < 0 || fchmod(STDIN_FILENO, 0600) < 0) {
		/* Not a terminal we may hand over (a test's pipe): carry on. */
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0)
		fail("initgroups");
	if (setgid(pw->pw_gid) < 0)
		fail("setgid");
	if (setuid(pw->pw_uid) < 0)
		fail("setuid");
	if (setuid(0) == 0) {
		errno = EPERM;
		fail("dropping root");
	}
	clearenv();
	setenv("HOME", pw->pw_dir, 1);
	setenv("USER", pw->pw_name, 1);
	setenv("LOGNAME", pw->pw_name, 1);
	setenv("SHELL", pw->pw_shell, 1);
	setenv("PATH", "/usr/bin:/bin", 1);
	if (term_copy)
		setenv("TERM", term_copy, 1);
	if (socket_path)
		setenv("CONVENE_SOCKET", socket_path, 1);
	if (chdir(pw->pw_dir) < 0 && chdir("/") < 0)
		fail("chdir");
	execl(pw->pw_shell, "-mmp", (char *)NULL);
	fail(pw->pw_shell);
}

/* --- the session ------------------------------------------------------------ */

static volatile pid_t shell_pid;

static void pass_on(int sig)
{
	if (shell_pid > 0)
		kill(shell_pid, sig);
}

/* Records the session of user whose process is pid: its id, or 0 when
 * mmpd did not record it. */
static int64_t session_open(const char *user, pid_t pid)
{
	json_object *req = request("session_open"), *reply, *v;
	const char *tty = ttyname(STDIN_FILENO);
	int64_t id = 0;

	if (tty && strncmp(tty, "/dev/", 5) == 0)
		tty += 5;
	json_object_object_add(req, "user", json_object_new_string(user));
	json_object_object_add(req, "pid", json_object_new_int64(pid));
	json_object_object_add(req, "tty", json_object_new_string(tty ? tty : ""));
	reply = ask_mmpd(req);
	if (reply_status(reply) == 0 && json_object_object_get_ex(reply, "id", &v) &&
	    json_object_is_type(v, json_type_int))
		id = json_object_get_int64(v);
	else
		fprintf(stderr, "mmp-login: mmpd did not record the session\n");
	json_object_put(reply);
	return id;
}

static void session_close(int64_t id)
{
	json_object *req = request("session_close");

	json_object_object_add(req, "id", json_object_new_int64(id));
	json_object_put(ask_mmpd(req));
}

/* Runs user's shell in a child within a recorded session; returns the
 * shell's exit status. */
static int run_session(const char *user)
{
	struct sigaction pass = { .sa_handler = pass_on }, ign = { .sa_handler = SIG_IGN };
	int64_t id;
	pid_t pid;
	int st = 0;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fail("fork");
	if (pid == 0)
		start_shell(user);
	shell_pid = pid;
	sigemptyset(&pass.sa_mask);
	sigemptyset(&ign.sa_mask);
	sigaction(SIGHUP, &pass, NULL);
	sigaction(SIGTERM, &pass, NULL);
	sigaction(SIGINT, &ign, NULL);
	sigaction(SIGQUIT, &ign, NULL);
	id = session_open(user, pid);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (id > 0)
		session_close(id);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: mmp-login [--socket PATH] [--mmp PATH] [USER]\n"
		   "The console login of the Convene appliance: checks the user with mmpd,\n"
		   "then runs the mmp shell as that user.\n"
		   "  -s, --socket PATH  mmpd socket (default %s)\n"
		   "  -m, --mmp PATH     mmp, for users without a Unix account (default %s)\n",
		CV_DEFAULT_SOCKET, DEFAULT_MMP);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "mmp", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char user[FIELD_MAX + 1], password[FIELD_MAX + 1];
	const char *given = NULL;
	char *host;
	int c, prompts = 0, status = 1;

	while ((c = getopt_long(argc, argv, "s:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			socket_path = optarg;
			break;
		case 'm':
			mmp_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		given = argv[optind];
	if (!socket_path) {
		const char *env = getenv("CONVENE_SOCKET");

		socket_path = env && *env ? env : CV_DEFAULT_SOCKET;
	}
	if (getuid() != 0) {
		fprintf(stderr, "mmp-login: must run as root\n");
		return 1;
	}
	host = hostname_from_mmpd();
	if (!host) {
		fprintf(stderr, "mmp-login: mmpd is not running (%s)\n", socket_path);
		return 1;
	}
	for (int tries = 0; tries < LOGIN_TRIES;) {
		int r;

		if (given) {
			snprintf(user, sizeof(user), "%s", given);
			given = NULL;
		} else {
			printf("%s login: ", host);
			fflush(stdout);
			if (read_field(user) < 0)
				goto out_quiet;
			if (!user[0]) {
				if (++prompts >= NAME_PROMPTS)
					goto out_quiet;
				continue;
			}
		}
		if (read_secret("Password: ", password) < 0)
			goto out_quiet;
		r = check_login(user, password);
		explicit_bzero(password, sizeof(password));
		if (r == 0) {
			free(host);
			return run_session(user);
		}
		tries++;
		sleep(FAIL_DELAY);
		printf(r == -EIO ? "mmpd did not answer\n" : "Login incorrect\n");
		fflush(stdout);
	}
	goto out;
out_quiet:
	/* End of input or no name given: getty starts a new login. */
	status = 0;
out:
	free(host);
	return status;
}
