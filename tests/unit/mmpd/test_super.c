// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for mmpd's supervisor (services/mmpd/mmpd_super.c) on a real
 * libuv loop, with tests/helpers/svc_crashy as the service programs of a
 * temporary service folder and a temporary state folder:
 *
 *   start, starting until READY, running; the rendered config and the
 *   pid file; the service's lines in the log store; stop (SIGTERM); a
 *   crash restarted after back-off delays that double up to the cap,
 *   given up after 8 crashes in a row as "failed", started again by an
 *   operator's start; restart; a service that ignores SIGTERM killed
 *   after the stop timeout; what a service started dies with it (its
 *   process group); a service left running by a previous mmpd is
 *   reaped, a pid file naming another program is not; boot; shutdown
 *   calling its done callback once, when all have stopped; freeing the
 *   supervisor with a service running.
 *
 * CONVENE_BACKOFF_SCALE=0.05 (tests/helpers/test_hooks.c): back-off 25 ms
 * doubling to 1.5 s, and 3 s of health, well above the ~0.2 s svc_crashy
 * runs before it crashes, so that a loaded machine does not reset the
 * count. The stop timeout (5 s) is not scaled. Every wait is a bounded run
 * of the loop; every process the test starts itself is stopped by its pid.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "services/mmpd/mmpd.h"
#include "tests/unit/mmpd/mmpd_test.h"
#include "tests/unit/tap.h"

#define SCALE "0.05"
#define BACKOFF_FIRST_MS 25 /* 500 ms scaled */
#define BACKOFF_MAX_MS 1500 /* 30 s scaled */

static char tmpdir[] = "/tmp/cv-super-XXXXXX";
static char crashy[PATH_MAX];
static struct mmpd d;
static uv_loop_t loop;

#define WAIT_UNTIL(cond, ms) TEST_WAIT(&loop, cond, ms)

static struct mmp_svc_state st(struct mmpd_super *s, const char *svc)
{
	struct mmp_svc_state r;

	mmpd_super_state(s, svc, &r);
	return r;
}

/* <state>/run/<svc>.<ext> */
static char *run_path(const char *svc, const char *ext)
{
	return xasprintf("%s/state/run/%s.%s", tmpdir, svc, ext);
}

/* A control file of svc_crashy: <state>/run/<svc>.<what>. */
static void control(const char *svc, const char *what, bool on)
{
	char *p = run_path(svc, what);

	if (on)
		cv_file_write(p, "", 0, 0600);
	else
		unlink(p);
	free(p);
}

/* The pid in a file ("<pid>\n"), or 0. */
static pid_t read_pid(const char *path)
{
	char *text = NULL;
	unsigned long pid = 0;

	if (cv_file_read(path, 64, &text, NULL) == 0) {
		text[strcspn(text, "\n")] = '\0';
		if (cv_parse_ulong(text, 1, 4194304, &pid) < 0)
			pid = 0;
	}
	free(text);
	return (pid_t)pid;
}

/* The program pid runs is path (through links). */
static bool runs_program(pid_t pid, const char *path)
{
	char link[64], exe[PATH_MAX], real[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0 || !realpath(path, real))
		return false;
	exe[n] = '\0';
	return strcmp(exe, real) == 0;
}

static void install(const char *svc)
{
	char *p = xasprintf("%s/svc/convene-%s", tmpdir, svc);

	symlink(crashy, p);
	free(p);
}

/* Gone, or a zombie that is not ours to reap. */
static bool pid_gone(pid_t pid)
{
	char path[64], *text = NULL, *paren;
	bool gone;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (cv_file_read(path, 4096, &text, NULL) < 0)
		return true;
	paren = strrchr(text, ')');
	gone = paren && paren[1] == ' ' && paren[2] == 'Z';
	free(text);
	return gone;
}

static struct mmpd_super *super_new(void)
{
	sb_reset(&test_logged);
	return mmpd_super_new(&d);
}

/* Frees s and turns the loop until its handles are closed. */
static void super_free(struct mmpd_super *s)
{
	mmpd_super_free(s);
	for (int i = 0; i < 20; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
}

/* --- the tests --------------------------------------------------------------------------- */

static void test_installed(void)
{
	struct mmpd_super *s = super_new();

	ok(mmpd_super_installed(s, "turn"), "a service whose program is there is installed");
	ok(!mmpd_super_installed(s, "callbridge"), "one whose program is not, is not");
	ok(!mmpd_super_installed(s, "nosuch"), "nor is a service that does not exist");
	is_int(mmpd_super_start(s, "callbridge"), -ENOENT, "starting it is -ENOENT");
	ok(test_logged_has("service callbridge is not installed (no program "), "and says so");
	is_int(mmpd_super_start(s, "nosuch"), -EINVAL, "starting an unknown service is -EINVAL");
	is_int(mmpd_super_stop(s, "nosuch"), -EINVAL, "and so is stopping one");
	super_free(s);
}

static void test_start_stop(void)
{
	struct mmpd_super *s = super_new();
	struct mmp_svc_state v;
	char *pidfile = run_path("turn", "pid"), *conf = run_path("turn", "json"), want[64];
	json_object *o;
	struct stat sb;
	pid_t pid;

	is_int(mmpd_super_start(s, "turn"), 0, "start turn");
	v = st(s, "turn");
	pid = v.pid;
	ok(v.wanted && !v.running && pid > 0, "it is wanted and starting, not yet running");
	ok(WAIT_UNTIL(st(s, "turn").running, 10000), "running once it wrote READY");
	snprintf(want, sizeof(want), "service turn is running (pid %d)", (int)pid);
	ok(test_logged_has(want), "the log says so: %s", want);
	ok(WAIT_UNTIL(test_logged_has(" turn: INFO : test service turn starting"), 5000),
	   "the service's own lines are in the log under its name");
	ok(read_pid(pidfile) == pid, "<state>/run/turn.pid holds its pid");
	o = json_object_from_file(conf);
	ok(o && stat(conf, &sb) == 0 && (sb.st_mode & 0777) == 0600 &&
		   strcmp(json_object_get_string(json_object_object_get(o, "service")), "turn") ==
			   0,
	   "its config was rendered to run/turn.json, mode 0600");
	json_object_put(o);
	is_int(mmpd_super_start(s, "turn"), 0, "starting it again is a no-op");
	is_int(st(s, "turn").pid, pid, "the same process");

	is_int(mmpd_super_stop(s, "turn"), 0, "stop turn");
	ok(WAIT_UNTIL(st(s, "turn").pid == 0, 10000), "it exits");
	v = st(s, "turn");
	ok(!v.wanted && !v.running && !v.failed, "not wanted, not running, not failed");
	is_str(v.last_exit, "exited with status 0", "SIGTERM: it exited with status 0");
	ok(test_logged_has("service turn stopped (exited with status 0)"), "the log says so");
	ok(access(pidfile, F_OK) < 0, "its pid file is gone");
	ok(pid_gone(pid), "and so is the process");
	free(pidfile);
	free(conf);
	super_free(s);
}

/* The back-off delays the log announced for svc, in ms, in order. */
static size_t delays(const char *svc, double *ret, size_t max, unsigned *ret_last_restart)
{
	char *needle = xasprintf("service %s exited with status 3; restarting in ", svc);
	const char *p = sb_str(&test_logged);
	size_t n = 0;

	while ((p = strstr(p, needle)) != NULL && n < max) {
		double secs;
		unsigned restart;

		p += strlen(needle);
		if (sscanf(p, "%lf s (restart %u)", &secs, &restart) == 2) {
			ret[n++] = secs * 1000;
			*ret_last_restart = restart;
		}
	}
	free(needle);
	return n;
}

static void test_crash_backoff_give_up(void)
{
	struct mmpd_super *s = super_new();
	struct mmp_svc_state v;
	double ms[16];
	unsigned last = 0;
	size_t n;
	bool doubling = true;
	pid_t first;

	control("turn", "crash", true);
	is_int(mmpd_super_start(s, "turn"), 0, "start turn, which crashes 200 ms after its start");
	first = st(s, "turn").pid;
	ok(WAIT_UNTIL(st(s, "turn").failed, 30000), "after its crashes it is given up (failed)");
	n = delays("turn", ms, 16, &last);
	is_int(n, 7, "7 restarts were announced before the 8th crash");
	is_int(last, 7, "numbered up to restart 7");
	for (size_t i = 0; i < n; i++) {
		double want = BACKOFF_FIRST_MS * (double)(1u << i);

		if (want > BACKOFF_MAX_MS)
			want = BACKOFF_MAX_MS;
		if (ms[i] < want - 0.5 || ms[i] > want + 0.5) {
			doubling = false;
			diag("delay %zu: %.1f ms, want %.1f", i + 1, ms[i], want);
		}
	}
	ok(doubling, "the delays double from %d ms up to %d ms", BACKOFF_FIRST_MS, BACKOFF_MAX_MS);
	ok(test_logged_has("service turn failed: it stopped 8 times in a row, last exited with "
			   "status 3; not restarting it"),
	   "the log says it is given up, and why");
	v = st(s, "turn");
	ok(v.failed && v.wanted && !v.running && v.pid == 0 && v.restarts == 7,
	   "state: failed, still wanted, not running, 7 restarts");
	is_str(v.last_exit, "exited with status 3", "with its last exit");
	ok(!WAIT_UNTIL(st(s, "turn").pid != 0, BACKOFF_MAX_MS + 500),
	   "and it is not started again by itself");

	control("turn", "crash", false);
	is_int(mmpd_super_start(s, "turn"), 0, "an operator's start tries again");
	v = st(s, "turn");
	ok(!v.failed && v.restarts == 0 && v.pid > 0 && v.pid != first,
	   "not failed, restarts from 0, a new process");
	ok(WAIT_UNTIL(st(s, "turn").running, 10000), "and it runs, healed");
	mmpd_super_stop(s, "turn");
	ok(WAIT_UNTIL(st(s, "turn").pid == 0, 10000), "stopped");
	super_free(s);
}

static void test_restart(void)
{
	struct mmpd_super *s = super_new();
	pid_t pid;

	mmpd_super_start(s, "turn");
	ok(WAIT_UNTIL(st(s, "turn").running, 10000), "turn runs");
	pid = st(s, "turn").pid;
	is_int(mmpd_super_restart(s, "turn"), 0, "restart turn");
	ok(WAIT_UNTIL(st(s, "turn").running && st(s, "turn").pid != pid, 10000),
	   "a new process runs");
	ok(test_logged_has("service turn restarting") &&
		   test_logged_has("service turn stopped (exited with status 0); starting it again"),
	   "after the old one stopped");
	ok(pid_gone(pid), "the old one is gone");
	mmpd_super_stop(s, "turn");
	ok(WAIT_UNTIL(st(s, "turn").pid == 0, 10000), "stopped");
	super_free(s);
}

static void test_ignoreterm(void)
{
	struct mmpd_super *s = super_new();
	pid_t pid;

	control("turn", "ignoreterm", true);
	mmpd_super_start(s, "turn");
	ok(WAIT_UNTIL(st(s, "turn").running, 10000), "a turn that ignores SIGTERM runs");
	pid = st(s, "turn").pid;
	mmpd_super_stop(s, "turn");
	ok(!WAIT_UNTIL(st(s, "turn").pid == 0, 1000), "stop: SIGTERM does not end it");
	ok(WAIT_UNTIL(st(s, "turn").pid == 0, 15000), "SIGKILL does, after the stop timeout");
	is_str(st(s, "turn").last_exit, "killed by signal 9", "killed by signal 9");
	ok(test_logged_has("service turn did not stop within 5 s; killing it"), "the log says why");
	ok(pid_gone(pid), "the process is gone");
	control("turn", "ignoreterm", false);
	super_free(s);
}

static void test_process_group(void)
{
	struct mmpd_super *s = super_new();
	char *childpid = run_path("turn", "childpid");
	pid_t child;

	unlink(childpid);
	control("turn", "child", true);
	mmpd_super_start(s, "turn");
	ok(WAIT_UNTIL(st(s, "turn").running && access(childpid, F_OK) == 0, 10000),
	   "turn runs and started a child that ignores SIGTERM");
	(void)WAIT_UNTIL(read_pid(childpid) > 0, 2000);
	child = read_pid(childpid);
	ok(child > 0 && !pid_gone(child), "the child (pid %d) lives", (int)child);
	mmpd_super_stop(s, "turn");
	ok(WAIT_UNTIL(st(s, "turn").pid == 0, 10000), "turn stops");
	ok(child > 0 && WAIT_UNTIL(pid_gone(child), 5000),
	   "its child went with it (the process group is killed)");
	if (child > 0 && !pid_gone(child))
		kill(child, SIGKILL);
	control("turn", "child", false);
	unlink(childpid);
	free(childpid);
	super_free(s);
}

/* A service program started as a previous mmpd would have, in a session of
 * its own, its pid in <state>/run/<svc>.pid. */
static pid_t start_stale(const char *prog, const char *svc)
{
	char *conf = xasprintf("%s/stale-%s.json", tmpdir, svc), *pidfile;
	char *text = xasprintf("{\"service\":\"%s\",\"config\":{}}", svc), buf[32];
	pid_t pid;

	cv_file_write(conf, text, strlen(text), 0600);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		setsid();
		execl(prog, prog, "--config", conf, (char *)NULL);
		_exit(127);
	}
	pidfile = run_path(svc, "pid");
	snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	cv_file_write(pidfile, buf, strlen(buf), 0600);
	free(pidfile);
	free(text);
	free(conf);
	return pid;
}

/* Reaps our child pid within ms: its wait status, or -1. */
static int reap(pid_t pid, int ms)
{
	uint64_t dl = test_now_ms() + (uint64_t)ms;
	int status;

	while (test_now_ms() < dl) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		usleep(10000);
	}
	return -1;
}

static void test_stale(void)
{
	char *prog = xasprintf("%s/svc/convene-turn", tmpdir), want[96];
	char *pidfile = run_path("turn", "pid"), *other = run_path("xmpp", "pid");
	struct mmpd_super *s;
	pid_t stale, bystander;
	int status;

	stale = start_stale(prog, "turn");
	/* Until it runs the service's program, its exe is this test's. */
	ok(WAIT_UNTIL(runs_program(stale, crashy), 5000),
	   "a turn runs with a pid file, as a killed mmpd leaves it");
	/* A pid file of an installed service naming a process of another
	 * program (this test): not touched. */
	bystander = fork();
	if (bystander == 0) {
		pause();
		_exit(0);
	}
	snprintf(want, sizeof(want), "%d\n", (int)bystander);
	cv_file_write(other, want, strlen(want), 0600);

	s = super_new();
	status = reap(stale, 5000);
	ok(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	   "a service left running by a previous mmpd is killed at start");
	snprintf(want, sizeof(want), "service turn (pid %d) was left running by a previous mmpd",
		 (int)stale);
	ok(test_logged_has(want), "and the log says so");
	ok(access(pidfile, F_OK) < 0, "its pid file is gone");
	ok(waitpid(bystander, &status, WNOHANG) == 0,
	   "a pid file's process of another program is left alone");
	ok(access(other, F_OK) < 0, "and that pid file is dropped");
	kill(bystander, SIGKILL);
	reap(bystander, 5000);
	if (status == -1) {
		kill(-stale, SIGKILL);
		reap(stale, 5000);
	}
	super_free(s);
	free(pidfile);
	free(other);
	free(prog);
}

static int done_calls;

static void shutdown_done(struct mmpd *dd)
{
	done_calls++;
}

static void test_boot_shutdown(void)
{
	struct mmpd_super *s = super_new();
	pid_t turn, web;

	cv_conf_set_bool(d.doc, "turn.enabled", true);
	cv_conf_set_bool(d.doc, "xmpp.enabled", true);
	cv_conf_set_bool(d.doc, "callbridge.enabled", true);
	mmpd_super_boot(s);
	ok(test_logged_has("service callbridge is not installed"),
	   "boot: an enabled service without its program is logged");
	ok(WAIT_UNTIL(st(s, "turn").running && st(s, "xmpp").running, 10000),
	   "boot starts the enabled services");
	ok(!st(s, "webbridge3").wanted, "and only those");
	turn = st(s, "turn").pid;
	web = st(s, "xmpp").pid;
	done_calls = 0;
	mmpd_super_shutdown(s, shutdown_done);
	is_int(done_calls, 0, "shutdown: done is not called while services run");
	ok(WAIT_UNTIL(done_calls > 0, 10000), "it is called once they have stopped");
	ok(st(s, "turn").pid == 0 && st(s, "xmpp").pid == 0 && pid_gone(turn) &&
		   pid_gone(web),
	   "both are gone");
	ok(test_logged_has("all services stopped"), "the log says so");
	(void)WAIT_UNTIL(false, 200);
	is_int(done_calls, 1, "done was called once");
	is_int(mmpd_super_start(s, "turn"), -ECANCELED, "nothing starts after shutdown");
	super_free(s);
	json_object_put(d.doc);
	d.doc = cv_conf_new();

	s = super_new();
	done_calls = 0;
	mmpd_super_shutdown(s, shutdown_done);
	is_int(done_calls, 1, "with nothing running, shutdown calls done at once");
	super_free(s);
}

/* webadmin is served by the call bridge's process: either enable starts
 * it, the rendered config says which are enabled, a change of that set
 * starts the process again, and it stops when neither is enabled. */
static bool hosted_enabled(bool want)
{
	char *conf = run_path("callbridge", "json");
	json_object *o = json_object_from_file(conf), *v;
	bool ok = o && json_object_object_get_ex(o, "hosted", &v) &&
		  json_object_object_get_ex(v, "webadmin", &v) &&
		  json_object_object_get_ex(v, "enabled", &v) &&
		  json_object_get_boolean(v) == want;

	json_object_put(o);
	free(conf);
	return ok;
}

static void test_hosted(void)
{
	struct mmpd_super *s = super_new();
	char *datadir = xasprintf("%s/services/callbridge", d.state_dir);
	struct stat sb;
	pid_t pid, pid2;

	ok(mmpd_super_installed(s, "webadmin"), "webadmin is installed with the call bridge");
	is_int(mmpd_super_start(s, "webadmin"), 0, "webadmin enable");
	ok(WAIT_UNTIL(st(s, "webadmin").running, 10000), "webadmin runs");
	ok(!st(s, "callbridge").wanted && !st(s, "callbridge").running,
	   "the call bridge itself is not enabled");
	pid = st(s, "webadmin").pid;
	ok(pid > 0 && runs_program(pid, crashy), "in the call bridge's process");
	ok(hosted_enabled(true), "whose config says webadmin is enabled");
	ok(stat(datadir, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 07777) == 0700,
	   "it has its data directory, mode 0700");
	ok(stat(d.state_dir, &sb) == 0 && (sb.st_mode & 0011) == 0011,
	   "which its user reaches through the state directory");

	is_int(mmpd_super_start(s, "callbridge"), 0, "callbridge enable");
	ok(WAIT_UNTIL(st(s, "callbridge").running && st(s, "callbridge").pid != pid, 10000),
	   "the process starts again with both");
	pid2 = st(s, "callbridge").pid;
	is_int(st(s, "webadmin").pid, pid2, "one process serves both");
	ok(pid_gone(pid) || WAIT_UNTIL(pid_gone(pid), 5000), "the first is gone");
	is_int(mmpd_super_start(s, "callbridge"), 0, "enabling it again");
	is_int(st(s, "callbridge").pid, pid2, "changes nothing");

	is_int(mmpd_super_stop(s, "webadmin"), 0, "webadmin disable");
	ok(WAIT_UNTIL(st(s, "callbridge").running && st(s, "callbridge").pid != pid2, 10000),
	   "the call bridge starts again without it");
	ok(!st(s, "webadmin").wanted && st(s, "webadmin").pid == 0, "webadmin is off");
	ok(hosted_enabled(false), "and its config says so");
	pid = st(s, "callbridge").pid;
	is_int(mmpd_super_stop(s, "callbridge"), 0, "callbridge disable");
	ok(WAIT_UNTIL(st(s, "callbridge").pid == 0, 10000) && WAIT_UNTIL(pid_gone(pid), 5000),
	   "neither enabled: the process stops");
	super_free(s);

	sb_reset(&test_logged);
	cv_conf_set_bool(d.doc, "webadmin.enabled", true);
	cv_conf_set_bool(d.doc, "callbridge.enabled", true);
	s = super_new();
	mmpd_super_boot(s);
	ok(WAIT_UNTIL(st(s, "callbridge").running && st(s, "webadmin").running, 10000),
	   "boot: both run");
	{
		const char *first = strstr(sb_str(&test_logged), "service callbridge started");

		ok(first && !strstr(first + 1, "service callbridge started"), "from one start");
	}
	pid = st(s, "callbridge").pid;
	mmpd_super_stop(s, "callbridge");
	mmpd_super_stop(s, "webadmin");
	ok(WAIT_UNTIL(st(s, "callbridge").pid == 0, 10000) && WAIT_UNTIL(pid_gone(pid), 5000),
	   "both disabled: it stops");
	super_free(s);
	json_object_put(d.doc);
	d.doc = cv_conf_new();
	rmdir(datadir);
	free(datadir);
	datadir = xasprintf("%s/services", d.state_dir);
	rmdir(datadir);
	free(datadir);
}

static void test_free_running(void)
{
	struct mmpd_super *s = super_new();
	pid_t pid;
	int status;

	mmpd_super_start(s, "turn");
	ok(WAIT_UNTIL(st(s, "turn").running, 10000), "turn runs");
	pid = st(s, "turn").pid;
	super_free(s);
	/* Its process handle is closed, so nobody else reaps it. */
	status = reap(pid, 5000);
	ok(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	   "freeing the supervisor kills a service still running");
	if (status == -1) {
		kill(-pid, SIGKILL);
		reap(pid, 5000);
	}
}

static void find_crashy(const char *argv0)
{
	const char *top = getenv("top_builddir");
	char *p;

	if (top) {
		p = xasprintf("%s/tests/helpers/svc_crashy", top);
	} else {
		/* tests/unit/mmpd/test_super -> tests/helpers/svc_crashy */
		char *dir = xstrdup(argv0), *slash = strrchr(dir, '/');

		if (slash)
			*slash = '\0';
		p = xasprintf("%s/../../helpers/svc_crashy", slash ? dir : ".");
		free(dir);
	}
	if (!realpath(p, crashy))
		crashy[0] = '\0';
	free(p);
}

int main(int argc, char **argv)
{
	char *svcdir, *statedir;

	find_crashy(argv[0]);
	if (!crashy[0] || access(crashy, X_OK) < 0) {
		printf("1..0 # SKIP tests/helpers/svc_crashy is not built\n");
		return 0;
	}
	setenv("CONVENE_BACKOFF_SCALE", SCALE, 1);
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! mkdtemp failed\n");
		return 1;
	}
	svcdir = xasprintf("%s/svc", tmpdir);
	statedir = xasprintf("%s/state", tmpdir);
	mkdir(svcdir, 0755);
	mkdir(statedir, 0700);
	{
		char *run = xasprintf("%s/run", statedir);

		mkdir(run, 0700);
		free(run);
	}
	install("turn");
	install("xmpp");
	uv_loop_init(&loop);
	test_tick_start(&loop, 10);
	d.loop = &loop;
	d.state_dir = statedir;
	d.service_dir = svcdir;
	d.doc = cv_conf_new();
	d.log_path = xasprintf("%s/log/convene.log", statedir);
	d.logs = mmpd_logstore_open(&d, d.log_path, 0, 0);
	mmpd_logstore_follow(d.logs, test_log_capture, NULL);
	d.upload.dirfd = -1;

	test_installed();
	test_start_stop();
	test_crash_backoff_give_up();
	test_restart();
	test_ignoreterm();
	test_process_group();
	test_stale();
	test_boot_shutdown();
	test_free_running();
	install("callbridge");
	test_hosted();

	test_tick_stop();
	uv_run(&loop, UV_RUN_NOWAIT);
	is_int(uv_loop_close(&loop), 0, "every handle of the loop is closed");
	mmpd_logstore_close(d.logs);
	json_object_put(d.doc);
	sb_free(&test_logged);
	{
		/* What the test made, by name. */
		static const char *const files[] = { "svc/convene-turn", "svc/convene-xmpp",
						     "svc/convene-callbridge", "state/run/callbridge.json",
						     "state/run/turn.json",
						     "state/run/xmpp.json",
						     "state/log/convene.log", "stale-turn.json",
						     /* freed while running: no exit to see */
						     "state/run/turn.pid" };
		/* state/services/xmpp: the XMPP server's own directory
		 * (its status line), made at each start. */
		static const char *const dirs[] = { "svc",	  "state/run", "state/log",
						    "state/services/xmpp", "state/services",
						    "state" };

		ok(test_cleanup(tmpdir, files, sizeof(files) / sizeof(files[0]), dirs,
				sizeof(dirs) / sizeof(dirs[0])),
		   "the test leaves nothing behind");
	}
	free(d.log_path);
	free(svcdir);
	free(statedir);
	return tap_done();
}
