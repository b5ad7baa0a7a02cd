// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmp: the MMP admin shell (spec/mmp.md section 1). It owns no state: every
 * command line goes to mmpd over its Unix socket (framing and ops in
 * lib/ipc.h) and mmp prints what comes back. Three modes:
 *   - interactive (stdin is a terminal): libedit line editing, history,
 *     TAB completion and '?' help, both answered by mmpd;
 *   - script (stdin is not a terminal): one command per line, stop at the
 *     first failure unless --keep-going, print nothing but command output;
 *   - one command with -c.
 * SIGINT never ends an interactive session: it clears the input line, ends
 * a `syslog follow` stream ({"op":"unfollow"}), or abandons a prompt.
 *
 * Forced password change: a login session (mmp runs as the Unix account of
 * an MMP user, as sshd and mmp-login start it on the appliance image, or
 * with --login) whose user must change the password (first login with the
 * factory password, "user expire") runs `passwd` before the first prompt;
 * the session ends unless the change succeeds. Such a user gets no
 * one-shot command (-c) and no script: the change needs a terminal. Root
 * acting as a user (--user, the tests, the sandbox) is not forced.
 *
 * Started as "passwd" (the image links /usr/bin/passwd to mmp), it changes
 * the caller's password and ends: the forced change when one is due, else
 * the ordinary "passwd". That is what sshd runs in a login whose password
 * must be changed (PAM said PAM_NEW_AUTHTOK_REQD, pam_convene.so): on a
 * terminal it execs /usr/bin/passwd instead of the shell, and the user
 * logs in again afterwards; without one the login is refused.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <histedit.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include "ipc.h"
#include "mem.h"
#include "strbuf.h"

/* Longest command line (and prompt answer) accepted from a script. */
#define MMP_LINE_MAX 4096
/* Room for such a line, a CR before its newline, and the NUL. */
#define MMP_LINE_BUF (MMP_LINE_MAX + 2)
#define MMP_HISTORY_SIZE 500
#define MMP_HISTORY_FILE ".mmp_history"

/* Exit statuses: 0 success, 1 a command failed, 2 usage or mmpd unreachable. */
enum { MMP_EXIT_OK = 0, MMP_EXIT_FAIL = 1, MMP_EXIT_CONN = 2, MMP_EXIT_INTR = 130 };

/* Buffered reader for command lines and prompt answers on stdin. */
struct mmp_lines {
	char buf[8192];
	size_t start;
	size_t end;
	bool eof;
	unsigned long lineno;
};

static struct {
	const char *socket_path;
	const char *user;
	char *from;
	int fd;
	bool tty;		/* stdin is a terminal */
	bool login;		/* a login session: enforce the password change */
	bool interactive;	/* the libedit loop is running */
	EditLine *el;
	History *hist;
	HistEvent ev;
	char *histfile;
	char *prompt;
	struct mmp_lines in;
	int sigpipe[2];		/* self-pipe written by the signal handler */
} g = { .fd = -1, .sigpipe = { -1, -1 } };

static volatile sig_atomic_t got_sigint;
static volatile sig_atomic_t got_sigwinch;

static void on_signal(int sig)
{
	int saved = errno;
	char c = 's';

	if (sig == SIGINT)
		got_sigint = 1;
	else if (sig == SIGWINCH)
		got_sigwinch = 1;
	if (write(g.sigpipe[1], &c, 1) < 0) {
		/* The pipe is full: a wake-up is already pending. */
	}
	errno = saved;
}

static void drain_sigpipe(void)
{
	char buf[64];

	while (read(g.sigpipe[0], buf, sizeof(buf)) > 0)
		;
}

static int setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	if (pipe2(g.sigpipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return -errno;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGWINCH, &sa, NULL) < 0)
		return -errno;
	return 0;
}

/* Takes a pending SIGINT; true if there was one. */
static bool take_sigint(void)
{
	if (!got_sigint)
		return false;
	got_sigint = 0;
	return true;
}

/*
 * Waits until fd is readable. Returns 0 when it is, -EINTR when SIGINT
 * arrived first (the signal is taken), another negative errno on error.
 */
static int wait_readable(int fd)
{
	struct pollfd p[2] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = g.sigpipe[0], .events = POLLIN },
	};

	for (;;) {
		if (take_sigint())
			return -EINTR;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[1].revents)
			drain_sigpipe();
		if (take_sigint())
			return -EINTR;
		if (p[0].revents)
			return 0;
	}
}

static void flush_stdout(void)
{
	fflush(stdout);
}

static void __attribute__((noreturn)) die_lost(int err)
{
	flush_stdout();
	if (err == -EMSGSIZE || err == -EBADMSG)
		fprintf(stderr, "mmp: bad message from mmpd: %s\n", strerror(-err));
	else
		fprintf(stderr, "mmp: lost connection to mmpd\n");
	exit(MMP_EXIT_CONN);
}

/* ---- requests ---------------------------------------------------------- */

static void print_output(json_object *reply);

/* "user evict" logged this session out: mmpd says so in a last frame
 * ({"evicted":true,"output":...}) and closes the connection. mmp ends
 * then, rather than reconnect. Any other msg stays the caller's. */
static void check_evicted(json_object *msg)
{
	json_object *v;

	if (!json_object_object_get_ex(msg, "evicted", &v) || !json_object_get_boolean(v))
		return;
	print_output(msg);
	flush_stdout();
	exit(MMP_EXIT_FAIL);
}

static char *from_ssh_client(void)
{
	/* SSH_CLIENT is "<ip> <port> <localport>". */
	const char *s = getenv("SSH_CLIENT");
	const char *sp1, *port, *sp2;

	if (!s || !*s)
		return xstrdup("console");
	sp1 = strchr(s, ' ');
	if (!sp1 || sp1 == s)
		return xstrdup("console");
	port = sp1 + 1;
	sp2 = strchr(port, ' ');
	if (!sp2)
		sp2 = port + strlen(port);
	if (sp2 == port)
		return xstrdup("console");
	/* "<ip>:<port>", an IPv6 address in brackets (RFC 5952 section 6),
	 * as mmpd's mmp_from_valid() takes it. */
	if (memchr(s, ':', (size_t)(sp1 - s)))
		return xasprintf("[%.*s]:%.*s", (int)(sp1 - s), s, (int)(sp2 - port), port);
	return xasprintf("%.*s:%.*s", (int)(sp1 - s), s, (int)(sp2 - port), port);
}

static json_object *request_new(const char *op)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string(op));
	if (g.user)
		json_object_object_add(o, "user", json_object_new_string(g.user));
	json_object_object_add(o, "from", json_object_new_string(g.from));
	return o;
}

static void send_msg(json_object *msg)
{
	int r = cv_ipc_write(g.fd, msg);

	if (r < 0)
		die_lost(r);
}

/*
 * Reads one message. While waiting, SIGINT is ignored in the interactive
 * shell (the reply is on its way) and ends mmp otherwise.
 */
static json_object *recv_msg(void)
{
	json_object *msg = NULL;
	int r;

	for (;;) {
		r = wait_readable(g.fd);
		if (r == -EINTR) {
			if (g.interactive)
				continue;
			flush_stdout();
			exit(MMP_EXIT_INTR);
		}
		if (r < 0)
			die_lost(r);
		break;
	}
	r = cv_ipc_read(g.fd, &msg);
	if (r < 0)
		die_lost(r);
	check_evicted(msg);
	return msg;
}

/* mmpd closes a connection that stayed idle for a long time (its
 * MMPD_IDLE_MS): an operator who comes back to the prompt gets a new one,
 * as the same user, before the next request goes out. */
static void reconnect_if_closed(void)
{
	struct pollfd p = { .fd = g.fd, .events = POLLIN };
	char c;
	int fd;

	if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP)))
		return;
	/* Closed with a last frame waiting: "user evict" (check_evicted). */
	if ((p.revents & POLLHUP) && recv(g.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 1) {
		json_object *msg = NULL;

		if (cv_ipc_read(g.fd, &msg) == 0) {
			check_evicted(msg);
			json_object_put(msg);
		}
	} else if (recv(g.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) != 0) {
		return;
	}
	fd = cv_ipc_connect(g.socket_path);
	if (fd < 0)
		die_lost(fd);
	close(g.fd);
	g.fd = fd;
}

/* Sends req (taking it) and returns the reply (caller puts it). */
static json_object *transact(json_object *req)
{
	reconnect_if_closed();
	send_msg(req);
	json_object_put(req);
	return recv_msg();
}

static const char *get_str(json_object *o, const char *key, size_t *ret_len)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	if (ret_len)
		*ret_len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

/* Prints an "error" member of a reply to stderr; true if there was one. */
static bool reply_error(json_object *reply)
{
	const char *err = get_str(reply, "error", NULL);

	if (!err)
		return false;
	flush_stdout();
	fprintf(stderr, "mmp: %s\n", err);
	return true;
}

/* Writes text from mmpd to the terminal: nothing in it (a file name, a
 * log line) may be an escape sequence for the terminal (strbuf.h). */
static void put_text(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	sb_put_escaped(&sb, s, n, true);
	fwrite(sb_str(&sb), 1, sb.len, stdout);
	sb_free(&sb);
}

static void print_output(json_object *reply)
{
	size_t n;
	const char *s = get_str(reply, "output", &n);

	if (s && n)
		put_text(s, n);
	flush_stdout();
}

/* The 0/1 status of a reply, or dflt when it has none. */
static int reply_status(json_object *reply, int dflt)
{
	json_object *v;

	if (!json_object_object_get_ex(reply, "status", &v) ||
	    !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int(v) == 0 ? 0 : 1;
}

/* Refreshes the prompt "<hostname>> " from a hello reply. */
static void refresh_prompt(void)
{
	json_object *reply = transact(request_new("hello"));
	const char *host = get_str(reply, "hostname", NULL);

	/* mmpd refused the session (an unknown user, for example). */
	if (reply_error(reply) || reply_status(reply, 0) != 0) {
		print_output(reply);
		exit(MMP_EXIT_FAIL);
	}

	free(g.prompt);
	g.prompt = xasprintf("%s> ", host && *host ? host : "mmp");
	json_object_put(reply);
}

/* True when hello says the user of this session must change its password. */
static bool password_due(void)
{
	json_object *reply = transact(request_new("hello"));
	json_object *v;
	bool due;

	if (reply_error(reply) || reply_status(reply, 0) != 0) {
		print_output(reply);
		exit(MMP_EXIT_FAIL);
	}
	due = json_object_object_get_ex(reply, "must_change", &v) && json_object_get_boolean(v);
	json_object_put(reply);
	return due;
}

/* ---- reading lines from stdin ------------------------------------------ */

/*
 * Reads one line of stdin without its newline (and a CR before it) into
 * out (NUL-terminated). Returns 1 for a line, 0 at end of input, -E2BIG
 * for a line longer than MMP_LINE_MAX (the rest of it is skipped), -EINTR
 * when SIGINT arrived, another negative errno on a read error.
 * On a terminal in canonical mode read() returns at most one line, so no
 * byte meant for libedit is ever taken into the buffer.
 */
static int read_stdin_line(char out[MMP_LINE_BUF])
{
	struct mmp_lines *in = &g.in;
	size_t len = 0;
	bool too_long = false;

	if (in->eof && !g.tty)
		return 0;
	for (;;) {
		char *nl;
		size_t take;
		ssize_t n;
		int r;

		if (in->start < in->end) {
			nl = memchr(in->buf + in->start, '\n', in->end - in->start);
			take = (nl ? (size_t)(nl - in->buf) : in->end) - in->start;
			if (!too_long && len + take < MMP_LINE_BUF) {
				memcpy(out + len, in->buf + in->start, take);
				len += take;
			} else {
				too_long = true;
			}
			in->start += take;
			if (nl) {
				in->start++;
				break;
			}
			continue;
		}
		in->start = in->end = 0;
		r = wait_readable(STDIN_FILENO);
		if (r < 0)
			return r;
		n = read(STDIN_FILENO, in->buf, sizeof(in->buf));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0) {
			in->eof = true;
			if (len == 0 && !too_long)
				return 0;
			break;
		}
		in->end = (size_t)n;
	}
	in->lineno++;
	if (!too_long && len > 0 && out[len - 1] == '\r')
		len--;
	if (too_long || len > MMP_LINE_MAX)
		return -E2BIG;
	out[len] = '\0';
	if (memchr(out, '\0', len))
		return -EILSEQ;
	return 1;
}

/* Names the offending line of a script on stderr. */
static void report_input_error(int r)
{
	unsigned long n = g.in.lineno;

	flush_stdout();
	if (r == -E2BIG)
		fprintf(stderr, "mmp: line %lu: longer than %d bytes\n", n, MMP_LINE_MAX);
	else if (r == -EILSEQ)
		fprintf(stderr, "mmp: line %lu: contains a NUL byte\n", n);
	else if (r == -EPIPE)
		fprintf(stderr, "mmp: line %lu: end of input while answering a prompt\n", n);
	else
		fprintf(stderr, "mmp: reading standard input: %s\n", strerror(-r));
}

/* ---- prompts ----------------------------------------------------------- */

/*
 * Asks one prompt on the terminal: prints its text and reads a line, with
 * echo off when secret. Returns 0, -EINTR (Ctrl-C), or -EPIPE (Ctrl-D).
 */
static int ask_tty(const char *text, bool secret, char out[MMP_LINE_BUF])
{
	struct termios old, quiet;
	bool restore = false;
	int r;

	/* Echo goes off before the prompt shows, and what was typed after
	 * the prompt appeared is kept (TCSANOW, not TCSAFLUSH): a person or
	 * a script may answer as soon as they see it. */
	if (secret && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		if (tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0)
			restore = true;
	}
	fputs(text, stdout);
	flush_stdout();
	r = read_stdin_line(out);
	if (restore)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	if (r == 1)
		return 0;
	/* Ctrl-C or Ctrl-D: end the half-written line. */
	fputc('\n', stdout);
	flush_stdout();
	if (r == -EINTR)
		return r;
	if (r == -E2BIG) {
		fprintf(stderr, "mmp: answer longer than %d bytes\n", MMP_LINE_MAX);
		return r;
	}
	return -EPIPE;
}

/*
 * Collects the answers to a "prompts" array. On a terminal each prompt is
 * shown; from a script the answers are the next lines of stdin, unshown.
 * Returns 0 and the answers array, or a negative errno (message printed).
 */
static int ask_prompts(json_object *prompts, json_object **ret_input)
{
	json_object *input = json_object_new_array();
	char answer[MMP_LINE_BUF];
	size_t n = json_object_array_length(prompts);

	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(prompts, i);
		json_object *sec;
		const char *text = get_str(p, "text", NULL);
		bool secret = json_object_object_get_ex(p, "secret", &sec) &&
			      json_object_get_boolean(sec);
		int r;

		if (g.tty) {
			r = ask_tty(text ? text : "", secret, answer);
		} else {
			r = read_stdin_line(answer);
			if (r == 0)
				r = -EPIPE;
			if (r == -EINTR) {
				flush_stdout();
				exit(MMP_EXIT_INTR);
			}
			if (r < 0)
				report_input_error(r);
			else
				r = 0;
		}
		if (r < 0) {
			json_object_put(input);
			return r;
		}
		json_object_array_add(input, json_object_new_string(answer));
	}
	explicit_bzero(answer, sizeof(answer));
	*ret_input = input;
	return 0;
}

/* ---- running a command ------------------------------------------------- */

/*
 * `syslog follow`: prints {"line":S} messages until SIGINT, then sends
 * {"op":"unfollow"} and reads on until the message carrying "status".
 */
static int follow_stream(bool *stopped)
{
	for (;;) {
		json_object *msg;
		json_object *st;
		const char *line;
		size_t n;
		int r = wait_readable(g.fd);

		if (r == -EINTR) {
			if (!*stopped) {
				json_object *req = request_new("unfollow");

				send_msg(req);
				json_object_put(req);
				*stopped = true;
				if (g.tty) {
					fputs("^C\n", stdout);
					flush_stdout();
				}
			}
			continue;
		}
		if (r < 0)
			die_lost(r);
		r = cv_ipc_read(g.fd, &msg);
		if (r < 0)
			die_lost(r);
		check_evicted(msg);
		line = get_str(msg, "line", &n);
		if (line) {
			put_text(line, n);
			fputc('\n', stdout);
			flush_stdout();
		}
		if (json_object_object_get_ex(msg, "status", &st)) {
			print_output(msg);
			r = reply_error(msg) ? 1 : reply_status(msg, *stopped ? 0 : 1);
			json_object_put(msg);
			return r;
		}
		json_object_put(msg);
	}
}

static int follow(void)
{
	struct termios old, quiet;
	bool restore = false;
	bool stopped = false;
	int status;

	/*
	 * The terminal would echo ^C at a moment of its own choosing, racing
	 * with the log lines; we print it ourselves instead.
	 */
	if (g.tty && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHOCTL;
		restore = tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
	}
	status = follow_stream(&stopped);
	if (restore)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	return status;
}

/* Runs one command line; returns 0 for success, 1 for failure. */
static int run_command(const char *line)
{
	json_object *req = request_new("run");
	json_object *reply, *prompts, *fol;
	int status;

	json_object_object_add(req, "line", json_object_new_string(line));
	reply = transact(req);
	if (json_object_object_get_ex(reply, "prompts", &prompts) &&
	    json_object_is_type(prompts, json_type_array)) {
		json_object *input;

		print_output(reply);
		if (ask_prompts(prompts, &input) < 0) {
			json_object_put(reply);
			return 1;
		}
		json_object_put(reply);
		req = request_new("run");
		json_object_object_add(req, "line", json_object_new_string(line));
		json_object_object_add(req, "input", input);
		reply = transact(req);
		if (json_object_object_get_ex(reply, "prompts", NULL)) {
			flush_stdout();
			fprintf(stderr, "mmp: mmpd asked again for input\n");
			json_object_put(reply);
			return 1;
		}
	}
	print_output(reply);
	if (reply_error(reply)) {
		json_object_put(reply);
		return 1;
	}
	if (json_object_object_get_ex(reply, "follow", &fol) && json_object_get_boolean(fol)) {
		json_object_put(reply);
		return follow();
	}
	status = reply_status(reply, -1);
	json_object_put(reply);
	if (status < 0) {
		flush_stdout();
		fprintf(stderr, "mmp: reply from mmpd has no status\n");
		return 1;
	}
	return status;
}

/* Strips leading and trailing blanks in place; returns the start. */
static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static bool is_exit(const char *s)
{
	return strcmp(s, "exit") == 0 || strcmp(s, "quit") == 0;
}

/* ---- the forced password change --------------------------------------- */

#define MMP_CHANGE_TRIES 3

static int run_command(const char *line);

/* Runs `passwd` until it succeeds (at most MMP_CHANGE_TRIES times). Only
 * an interactive session can (can_ask). */
static int forced_change(bool can_ask)
{
	if (!can_ask) {
		fprintf(stderr, "mmp: your password must be changed first: log in on the console"
				" or with an interactive SSH session\n");
		return MMP_EXIT_FAIL;
	}
	printf("You must change your password now.\n");
	flush_stdout();
	for (int i = 0; i < MMP_CHANGE_TRIES; i++) {
		if (run_command("passwd") == 0 && !password_due())
			return MMP_EXIT_OK;
		/* Ctrl-D at a prompt ends the session. */
		if (g.in.eof)
			return MMP_EXIT_FAIL;
		take_sigint();
	}
	printf("Password not changed\n");
	flush_stdout();
	return MMP_EXIT_FAIL;
}

/* ---- script mode ------------------------------------------------------- */

static int run_script(bool keep_going)
{
	char buf[MMP_LINE_BUF];
	bool failed = false;

	for (;;) {
		int r = read_stdin_line(buf);
		char *line;

		if (r == 0)
			break;
		if (r == -EINTR) {
			flush_stdout();
			return MMP_EXIT_INTR;
		}
		if (r < 0) {
			report_input_error(r);
			failed = true;
			/* A bad line can be skipped; a read error cannot. */
			if (keep_going && (r == -E2BIG || r == -EILSEQ))
				continue;
			break;
		}
		line = trim(buf);
		if (!*line || *line == '#')
			continue;
		if (is_exit(line))
			break;
		if (run_command(line) != 0) {
			failed = true;
			if (!keep_going)
				break;
		}
	}
	return failed ? MMP_EXIT_FAIL : MMP_EXIT_OK;
}

/* ---- interactive mode -------------------------------------------------- */

static char *prompt_fn(EditLine *el)
{
	return g.prompt;
}

/* The text from the start of the line to the cursor (caller frees). */
static char *line_to_cursor(EditLine *el)
{
	const LineInfo *li = el_line(el);

	return xstrndup(li->buffer, (size_t)(li->cursor - li->buffer));
}

/* Number of characters (not bytes) in s, for el_deletestr(). */
static int char_count(const char *s)
{
	mbstate_t st = { 0 };
	size_t len = strlen(s);
	int n = 0;

	while (len > 0) {
		size_t k = mbrlen(s, len, &st);

		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			k = 1;
			memset(&st, 0, sizeof(st));
		}
		s += k;
		len -= k;
		n++;
	}
	return n;
}

static bool in_quotes(const char *s)
{
	bool q = false;

	for (; *s; s++)
		if (*s == '"')
			q = !q;
	return q;
}

/* Prints a block below the input line; the caller returns CC_REDISPLAY. */
static void print_below(const char *text, size_t n)
{
	fputc('\n', stdout);
	put_text(text, n);
	if (n > 0 && text[n - 1] != '\n')
		fputc('\n', stdout);
	flush_stdout();
}

/* The i-th completion candidate; "" for anything but a string. */
static const char *match_at(json_object *matches, size_t i)
{
	json_object *m = json_object_array_get_idx(matches, i);

	return json_object_is_type(m, json_type_string) ? json_object_get_string(m) : "";
}

static void list_matches(EditLine *el, json_object *matches)
{
	size_t n = json_object_array_length(matches);
	size_t width = 0;
	int cols = 80, percol;
	struct strbuf sb = STRBUF_INIT;

	el_get(el, EL_GETTC, "co", &cols, (void *)NULL);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(match_at(matches, i));

		if (l > width)
			width = l;
	}
	width += 2;
	percol = cols > 0 ? (int)((size_t)cols / width) : 1;
	if (percol < 1)
		percol = 1;
	for (size_t i = 0; i < n; i++) {
		const char *m = match_at(matches, i);
		bool last = (i + 1) % (size_t)percol == 0 || i + 1 == n;

		if (last)
			sb_printf(&sb, "%s\n", m);
		else
			sb_printf(&sb, "%-*s", (int)width, m);
	}
	print_below(sb_str(&sb), sb.len);
	sb_free(&sb);
}

/* TAB: asks mmpd for the candidates of the word under the cursor. */
static unsigned char complete_fn(EditLine *el, int ch)
{
	char *prefix = line_to_cursor(el);
	char *word = prefix + strlen(prefix);
	json_object *req = request_new("complete");
	json_object *reply, *matches;
	size_t n, common = 0;
	bool literal = true;
	unsigned char ret = CC_REFRESH_BEEP;
	const LineInfo *li;

	while (word > prefix && word[-1] != ' ' && word[-1] != '\t')
		word--;
	json_object_object_add(req, "line", json_object_new_string(prefix));
	reply = transact(req);
	if (!json_object_object_get_ex(reply, "matches", &matches) ||
	    !json_object_is_type(matches, json_type_array) || *word == '"')
		goto out;
	n = json_object_array_length(matches);
	if (n == 0)
		goto out;
	/* Placeholders such as "<if>" describe a word; they are never typed in. */
	for (size_t i = 0; i < n; i++) {
		const char *m = match_at(matches, i);

		if (*m == '<' || !*m)
			literal = false;
	}
	if (literal) {
		const char *first = match_at(matches, 0);

		common = strlen(first);
		for (size_t i = 1; i < n; i++) {
			const char *m = match_at(matches, i);
			size_t k = 0;

			while (k < common && m[k] == first[k])
				k++;
			common = k;
		}
		if (n == 1 || (common > strlen(word) && strncmp(first, word, strlen(word)) == 0)) {
			char *ins = xstrndup(first, common);

			el_deletestr(el, char_count(word));
			if (el_insertstr(el, ins) == 0) {
				ret = CC_REFRESH;
				li = el_line(el);
				if (n == 1 && (li->cursor == li->lastchar || *li->cursor != ' '))
					el_insertstr(el, " ");
			}
			free(ins);
			goto out;
		}
	}
	list_matches(el, matches);
	ret = CC_REDISPLAY;
out:
	json_object_put(reply);
	free(prefix);
	return ret;
}

/* '?': shows what may follow the text before the cursor. */
static unsigned char help_fn(EditLine *el, int ch)
{
	char *prefix = line_to_cursor(el);
	json_object *req, *reply;
	const char *out;
	size_t n;
	unsigned char ret = CC_REFRESH_BEEP;

	if (in_quotes(prefix)) {
		/* Inside a quoted value '?' is just a character. */
		free(prefix);
		return el_insertstr(el, "?") == 0 ? CC_REFRESH : CC_REFRESH_BEEP;
	}
	req = request_new("help");
	json_object_object_add(req, "line", json_object_new_string(prefix));
	reply = transact(req);
	out = get_str(reply, "output", &n);
	if (out) {
		print_below(out, n);
		ret = CC_REDISPLAY;
	}
	json_object_put(reply);
	free(prefix);
	return ret;
}

/* Ctrl-C at the prompt: abandon the line and start a fresh one. */
static unsigned char interrupt_fn(EditLine *el, int ch)
{
	const LineInfoW *li = el_wline(el);
	int n;

	el_cursor(el, (int)(li->lastchar - li->cursor));
	li = el_wline(el);
	n = (int)(li->cursor - li->buffer);
	if (n > 0)
		el_deletestr(el, n);
	fputs("^C\n", stdout);
	flush_stdout();
	return CC_REDISPLAY;
}

/*
 * Character reader for libedit: waits on stdin and on the signal pipe, so
 * that SIGINT becomes a Ctrl-C key (bound to interrupt_fn) and SIGWINCH
 * a resize, instead of ending el_gets().
 */
static int getc_fn(EditLine *el, wchar_t *ret_wc)
{
	mbstate_t st = { 0 };

	for (;;) {
		unsigned char c;
		ssize_t n;
		size_t k;
		int r = wait_readable(STDIN_FILENO);

		if (got_sigwinch) {
			got_sigwinch = 0;
			el_resize(el);
		}
		if (r == -EINTR) {
			*ret_wc = 0x03;
			return 1;
		}
		if (r < 0)
			return -1;
		n = read(STDIN_FILENO, &c, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return (int)n;
		k = mbrtowc(ret_wc, (const char *)&c, 1, &st);
		if (k == (size_t)-2)
			continue;
		if (k == (size_t)-1) {
			*ret_wc = c;
			return 1;
		}
		if (k == 0)
			*ret_wc = 0;
		return 1;
	}
}

static void history_setup(void)
{
	const char *home = getenv("HOME");

	g.hist = history_init();
	history(g.hist, &g.ev, H_SETSIZE, MMP_HISTORY_SIZE);
	history(g.hist, &g.ev, H_SETUNIQUE, 1);
	if (home && *home) {
		g.histfile = xasprintf("%s/%s", home, MMP_HISTORY_FILE);
		/* A missing or unreadable history file is not an error. */
		history(g.hist, &g.ev, H_LOAD, g.histfile);
	}
}

static void history_add(const char *line)
{
	history(g.hist, &g.ev, H_ENTER, line);
	if (g.histfile) {
		mode_t old = umask(077);

		/* A read-only HOME only costs the saved history: no message. */
		history(g.hist, &g.ev, H_SAVE, g.histfile);
		umask(old);
	}
}

static int run_interactive(void)
{
	struct termios normal;
	bool have_tty;

	signal(SIGTSTP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	g.interactive = true;
	refresh_prompt();
	history_setup();
	g.el = el_init("mmp", stdin, stdout, stderr);
	if (!g.el) {
		fprintf(stderr, "mmp: cannot initialise the line editor\n");
		return MMP_EXIT_FAIL;
	}
	el_set(g.el, EL_EDITOR, "emacs");
	el_set(g.el, EL_PROMPT, prompt_fn);
	el_set(g.el, EL_HIST, history, g.hist);
	el_set(g.el, EL_GETCFN, getc_fn);
	el_wset(g.el, EL_ADDFN, L"mmp-complete", L"Complete the word under the cursor", complete_fn);
	el_wset(g.el, EL_ADDFN, L"mmp-help", L"Show what may follow", help_fn);
	el_wset(g.el, EL_ADDFN, L"mmp-interrupt", L"Abandon the line", interrupt_fn);
	el_set(g.el, EL_BIND, "^I", "mmp-complete", NULL);
	el_set(g.el, EL_BIND, "?", "mmp-help", NULL);
	el_set(g.el, EL_BIND, "^C", "mmp-interrupt", NULL);
	/* ~/.editrc may add bindings of its own. */
	el_source(g.el, NULL);
	have_tty = tcgetattr(STDIN_FILENO, &normal) == 0;

	for (;;) {
		int count = 0;
		const char *got;
		char *copy, *line;

		/*
		 * libedit prints the prompt and only then puts the terminal in
		 * its raw mode: keys typed in between (a paste, a script on the
		 * serial console) were echoed by the terminal and again by
		 * libedit. Echo is off from before the prompt; the terminal's
		 * own settings come back once the line is read.
		 */
		if (have_tty) {
			struct termios quiet = normal;

			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
		}
		got = el_gets(g.el, &count);
		if (have_tty)
			tcsetattr(STDIN_FILENO, TCSANOW, &normal);

		if (!got || count <= 0) {
			/* Ctrl-D on an empty line. */
			fputc('\n', stdout);
			break;
		}
		copy = xstrdup(got);
		line = trim(copy);
		if (!*line) {
			free(copy);
			continue;
		}
		history_add(line);
		if (is_exit(line)) {
			free(copy);
			break;
		}
		run_command(line);
		free(copy);
		take_sigint();
		refresh_prompt();
	}
	flush_stdout();
	el_end(g.el);
	history_end(g.hist);
	return MMP_EXIT_OK;
}

/* ---- main -------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f, "Usage: mmp [--socket PATH] [--user NAME] [-c COMMAND] [--keep-going] [--login]\n"
		   "       mmp --help | --version\n"
		   "\n"
		   "The MMP admin shell of Convene. With a terminal on stdin it is interactive;\n"
		   "otherwise it runs the commands read from stdin, one per line.\n"
		   "\n"
		   "  -c, --command COMMAND  run one command and exit (0 success, 1 failure)\n"
		   "  -k, --keep-going       in script mode, go on after a failed command\n"
		   "  -s, --socket PATH      mmpd socket (default $CONVENE_SOCKET or %s)\n"
		   "  -u, --user NAME        act as MMP user NAME (honoured for root only)\n"
		   "  -l, --login            a login session: a due password change comes first\n"
		   "                         (always so when not run by root)\n"
		   "  -h, --help             show this help\n"
		   "  -V, --version          show the version\n",
		CV_DEFAULT_SOCKET);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "command", required_argument, NULL, 'c' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "socket", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "login", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *command = NULL;
	bool keep_going = false, as_passwd = false;
	int c, r, status;

	setlocale(LC_CTYPE, "");
	/* "-mmp": started as a login shell (sshd, login programs). */
	g.login = argv[0] && argv[0][0] == '-';
	if (argv[0]) {
		const char *base = strrchr(argv[0], '/');

		as_passwd = strcmp(base ? base + 1 : argv[0], "passwd") == 0;
	}
	while ((c = getopt_long(argc, argv, "c:ks:u:lhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			command = optarg;
			break;
		case 'k':
			keep_going = true;
			break;
		case 's':
			g.socket_path = optarg;
			break;
		case 'u':
			g.user = optarg;
			break;
		case 'l':
			g.login = true;
			break;
		case 'h':
			usage(stdout);
			return MMP_EXIT_OK;
		case 'V':
			printf("mmp (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return MMP_EXIT_OK;
		default:
			usage(stderr);
			return MMP_EXIT_CONN;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mmp: unexpected argument \"%s\" (quote the command: -c '...')\n",
			argv[optind]);
		return MMP_EXIT_CONN;
	}
	if (!g.socket_path) {
		const char *env = getenv("CONVENE_SOCKET");

		g.socket_path = env && *env ? env : CV_DEFAULT_SOCKET;
	}
	g.from = from_ssh_client();
	g.tty = isatty(STDIN_FILENO);
	r = setup_signals();
	if (r < 0) {
		fprintf(stderr, "mmp: cannot set up signals: %s\n", strerror(-r));
		return MMP_EXIT_FAIL;
	}
	g.fd = cv_ipc_connect(g.socket_path);
	if (g.fd < 0) {
		fprintf(stderr, "mmp: cannot connect to mmpd at %s: %s\n", g.socket_path,
			strerror(-g.fd));
		return MMP_EXIT_CONN;
	}

	if (as_passwd) {
		/* sshd runs it only on a terminal; a script could not answer. */
		if (!g.tty) {
			fprintf(stderr, "passwd: the password can only be changed on a terminal\n");
			status = MMP_EXIT_FAIL;
		} else {
			status = password_due() ? forced_change(true)
						: (run_command("passwd") == 0 ? MMP_EXIT_OK
									      : MMP_EXIT_FAIL);
		}
		close(g.fd);
		free(g.from);
		return status;
	}
	if ((g.login || getuid() != 0) && password_due()) {
		status = forced_change(g.tty && !command);
		if (status != MMP_EXIT_OK) {
			close(g.fd);
			free(g.from);
			return status;
		}
	}
	if (command) {
		char *copy = xstrdup(command);
		char *line = trim(copy);

		status = (!*line || is_exit(line)) ? MMP_EXIT_OK : run_command(line);
		free(copy);
	} else if (g.tty) {
		status = run_interactive();
	} else {
		status = run_script(keep_going);
	}
	flush_stdout();
	close(g.fd);
	free(g.from);
	free(g.prompt);
	free(g.histfile);
	return status;
}
