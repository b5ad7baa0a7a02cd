// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmpd: the appliance manager. The only privileged process: it owns the
 * config document and the upload directory, serves the mmp socket, and
 * supervises the services. Shape of main (STYLE.md): parse options, load
 * and validate config, open privileged resources, init modules, run the
 * loop; SIGTERM stops every service and exits.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/file.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "services/mmpd/mmpd.h"
#include "services/mmpd/mmpd_users.h"
#include "services/mmpd/cmd_areas.h"

#define LOG_MAX_BYTES (8u << 20)
#define LOG_KEEP 4

static struct mmpd mmpd;
static char **saved_argv;

static void usage(FILE *f)
{
	fprintf(f, "Usage: mmpd [--state-dir DIR] [--socket PATH] [--iface X=IFNAME]...\n"
		   "            [--service-dir DIR] [--foreground] [--appliance]\n"
		   "            [--system-users[=ETCDIR]]\n"
		   "  --state-dir DIR    configuration, upload directory and logs (default %s)\n"
		   "  --socket PATH      the mmp socket (default %s)\n"
		   "  --iface X=IFNAME   map appliance interface X (a-d) to a kernel interface\n"
		   "  --service-dir DIR  where the service programs live (default %s)\n"
		   "  --foreground       do not detach\n"
		   "  --appliance        reboot and shutdown act on the machine (reboot(2))\n"
		   "  --system-users[=ETCDIR]  keep passwd, shadow and group in ETCDIR (/etc)\n"
		   "                     in step with the MMP users (for SSH logins)\n",
		CV_DEFAULT_STATE_DIR, CV_DEFAULT_SOCKET, PKGLIBEXECDIR);
}

/* --- the default interface map: the first four Ethernet devices with a
 * bus address, in bus order (DESIGN.md section 5) --- */

struct netdev {
	char name[IF_NAMESIZE];
	char bus[PATH_MAX];
};

static int cmp_netdev(const void *a, const void *b)
{
	return strcmp(((const struct netdev *)a)->bus, ((const struct netdev *)b)->bus);
}

static void default_ifmap(struct mmpd *d)
{
	struct netdev devs[32];
	size_t n = 0;
	struct dirent *de;
	DIR *dir = opendir("/sys/class/net");

	if (!dir)
		return;
	while ((de = readdir(dir)) != NULL && n < sizeof(devs) / sizeof(devs[0])) {
		char path[PATH_MAX], buf[16];
		char *type = NULL;
		int fd;
		ssize_t len;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= IF_NAMESIZE)
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/type", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		type = buf;
		if (strtol(type, NULL, 10) != 1) /* ARPHRD_ETHER */
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/device", de->d_name);
		if (!realpath(path, devs[n].bus))
			continue; /* virtual: veth, bridge, ... */
		memcpy(devs[n].name, de->d_name, strlen(de->d_name) + 1);
		n++;
	}
	closedir(dir);
	qsort(devs, n, sizeof(devs[0]), cmp_netdev);
	for (size_t i = 0; i < n && i < 4; i++)
		memcpy(d->ifmap[i], devs[i].name, IF_NAMESIZE);
}

/* Room for MMPD_CONN_MAX clients, the workers' sockets and the services'
 * pipes: the soft limit goes up to the hard one. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* --- logging into the log store --- */

static void log_sink(int level, const char *msg, void *opaque)
{
	struct mmpd *d = opaque;

	mmpd_logstore_log(d->logs, "mmpd", level, msg);
}

/* --- stopping, reboot, shutdown --- */

static void close_walk(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void stopped(struct mmpd *d)
{
	cv_info("stopped");
	uv_walk(d->loop, close_walk, NULL);
}

static void rebooted(struct mmpd *d)
{
	cv_info("restarting");
	mmpd_logstore_close(d->logs);
	d->logs = NULL;
	cv_log_set_sink(NULL, NULL);
	execv("/proc/self/exe", saved_argv);
	fprintf(stderr, "mmpd: cannot restart: %s\n", strerror(errno));
	_exit(1);
}

static void begin_stop(struct mmpd *d, void (*done)(struct mmpd *))
{
	if (d->stopping)
		return;
	d->stopping = true;
	mmpd_ipc_close(d);
	mmpd_jobs_stop(d);
	mmpd_super_shutdown(d->super, done);
}

/*
 * On the appliance (--appliance) the machine itself reboots or powers off,
 * once every service has stopped: the log is closed, the file systems are
 * synced (every commit is already durable: this covers the logs and the
 * files the services wrote) and reboot(2) is called. mmpd runs as root under
 * init there; should reboot(2) still fail, mmpd falls back to what it does
 * elsewhere (a new start, or an exit).
 */
static void machine_action(struct mmpd *d, int how)
{
	cv_info("%s the machine", how == RB_POWER_OFF ? "powering off" : "rebooting");
	mmpd_logstore_close(d->logs);
	d->logs = NULL;
	cv_log_set_sink(NULL, NULL);
	sync();
	if (reboot(how) < 0)
		cv_err("reboot(2) failed: %s", strerror(errno));
}

static void machine_reboot(struct mmpd *d)
{
	machine_action(d, RB_AUTOBOOT);
	rebooted(d);
}

static void machine_poweroff(struct mmpd *d)
{
	machine_action(d, RB_POWER_OFF);
	stopped(d);
}

void mmpd_system_action(struct mmpd *d, const char *action)
{
	bool reboot_it = strcmp(action, "reboot") == 0;

	cv_info("%s requested", action);
	if (d->appliance)
		begin_stop(d, reboot_it ? machine_reboot : machine_poweroff);
	else
		begin_stop(d, reboot_it ? rebooted : stopped);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct mmpd *d = s->data;

	if (signum == SIGHUP) {
		/* The configuration is applied by commands; SIGHUP only
		 * reopens the log file (after an outside rotation). */
		mmpd_logstore_reopen(d->logs);
		cv_info("SIGHUP: log file reopened");
		return;
	}
	cv_info("received %s, stopping", signum == SIGTERM ? "SIGTERM" : "SIGINT");
	begin_stop(d, stopped);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "iface", required_argument, NULL, 'i' },
		{ "service-dir", required_argument, NULL, 'D' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "appliance", no_argument, NULL, 'A' },
		{ "system-users", optional_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct mmpd *d = &mmpd;
	bool foreground = false, iface_given = false;
	char ifmap[4][IF_NAMESIZE] = { { 0 } };
	int c, r;

	/* The worker of one command (mmpd_worker.c), started by mmpd itself. */
	if (argc >= 2 && strcmp(argv[1], "--worker") == 0)
		return mmpd_worker_main(argc, argv);
	saved_argv = argv;
	d->state_dir = xstrdup(CV_DEFAULT_STATE_DIR);
	d->socket_path = xstrdup(CV_DEFAULT_SOCKET);
	d->service_dir = xstrdup(PKGLIBEXECDIR);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			free(d->state_dir);
			d->state_dir = xstrdup(optarg);
			break;
		case 'S':
			free(d->socket_path);
			d->socket_path = xstrdup(optarg);
			break;
		case 'D':
			free(d->service_dir);
			d->service_dir = xstrdup(optarg);
			break;
		case 'i': {
			char iface, name[2] = { optarg[0], '\0' };

			if (optarg[0] == '\0' || optarg[1] != '=' || cv_parse_iface(name, &iface) < 0 ||
			    optarg[2] == '\0' || strlen(optarg + 2) >= IF_NAMESIZE) {
				fprintf(stderr, "mmpd: --iface wants X=IFNAME with X one of a-d: \"%s\"\n",
					optarg);
				return 2;
			}
			snprintf(ifmap[iface - 'a'], IF_NAMESIZE, "%s", optarg + 2);
			iface_given = true;
			break;
		}
		case 'f':
			foreground = true;
			break;
		case 'A':
			d->appliance = true;
			break;
		case 'U':
			if (optarg && optarg[0] != '/') {
				fprintf(stderr, "mmpd: --system-users wants an absolute folder: \"%s\"\n",
					optarg);
				return 2;
			}
			mmpd_users_enable(d, optarg ? optarg : "/etc");
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("mmpd %s\n", CONVENE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* daemon() moves to /: every path becomes absolute first. */
	{
		char *paths[] = { d->state_dir, d->socket_path, d->service_dir };

		for (size_t i = 0; i < 3; i++) {
			if (paths[i][0] == '/')
				continue;
			char cwd[PATH_MAX];

			if (!getcwd(cwd, sizeof(cwd))) {
				fprintf(stderr, "mmpd: cannot find the current directory\n");
				return 1;
			}
			paths[i] = xasprintf("%s/%s", cwd, paths[i]);
		}
		free(d->state_dir == paths[0] ? NULL : d->state_dir);
		free(d->socket_path == paths[1] ? NULL : d->socket_path);
		free(d->service_dir == paths[2] ? NULL : d->service_dir);
		d->state_dir = paths[0];
		d->socket_path = paths[1];
		d->service_dir = paths[2];
	}
	d->upload_dir = xasprintf("%s/files", d->state_dir);
	d->conf_path = xasprintf("%s/config.json", d->state_dir);
	d->log_path = xasprintf("%s/log/convene.log", d->state_dir);
	{
		char *run = xasprintf("%s/run", d->state_dir);
		char *sockdir = xstrdup(d->socket_path);
		char *slash = strrchr(sockdir, '/');

		if (slash && slash != sockdir)
			*slash = '\0';
		if ((r = cv_mkdir_p(d->state_dir, 0700)) < 0 || (r = cv_mkdir_p(d->upload_dir, 0750)) < 0 ||
		    (r = cv_mkdir_p(run, 0700)) < 0 || (slash && (r = cv_mkdir_p(sockdir, 0755)) < 0)) {
			fprintf(stderr, "mmpd: cannot create %s: %s\n", d->state_dir,
				strerror(-r));
			return 1;
		}
		free(run);
		free(sockdir);
	}
	cv_log_open("mmpd");
	/* A client that hangs up before its answer is written must cost its
	 * connection, not mmpd (issue 14): every write to a closed peer then
	 * fails with EPIPE instead of killing the process. */
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	if ((r = mmpd_helper_lookup(d)) < 0) {
		fprintf(stderr,
			"mmpd: %s: the user %s is %s (scripts/install-users creates it; the "
			"commands run as it)\n",
			strerror(-r), MMPD_HELPER_USER,
			r == -ENOENT ? "missing" : "root's uid or group");
		return 1;
	}
	if (mmpd_store_open(d) < 0)
		return 1;
	if (iface_given) {
		memcpy(d->ifmap, ifmap, sizeof(ifmap));
		mmpd_ifmap_save(d);
	} else if (mmpd_ifmap_load(d) == -ENOENT) {
		default_ifmap(d);
		mmpd_ifmap_save(d);
	}
	if (!foreground && daemon(0, 0) < 0) {
		fprintf(stderr, "mmpd: cannot detach: %s\n", strerror(errno));
		return 1;
	}
	d->loop = uv_default_loop();
	d->logs = mmpd_logstore_open(d, d->log_path, LOG_MAX_BYTES, LOG_KEEP);
	if (d->logs)
		cv_log_set_sink(log_sink, d);
	d->upload.dirfd = -1;
	if ((r = mmp_local_open(&d->upload, d->upload_dir, d->state_dir)) < 0)
		cv_err("cannot open the upload directory %s: %s", d->upload_dir, strerror(-r));
	/* With system accounts, backups go to the admins' group only. */
	d->upload.bak_group = d->etc_dir != NULL;
	d->upload.bak_gid = MMPD_ADMIN_GID;
	mmp_engine_init(mmp_areas, mmp_nareas);
	d->super = mmpd_super_new(d);
	if (mmpd_ipc_listen(d) < 0)
		return 1;
	mmpd_jobs_start(d);
	uv_signal_init(d->loop, &d->sigterm);
	uv_signal_init(d->loop, &d->sigint);
	uv_signal_init(d->loop, &d->sighup);
	d->sigterm.data = d->sigint.data = d->sighup.data = d;
	uv_signal_start(&d->sigterm, on_signal, SIGTERM);
	uv_signal_start(&d->sigint, on_signal, SIGINT);
	uv_signal_start(&d->sighup, on_signal, SIGHUP);
	cv_info("started: state %s, socket %s", d->state_dir, d->socket_path);
	{
		/* Boot: the kernel gets what the committed document says. */
		struct strbuf err = STRBUF_INIT;

		if (mmpd_apply(d, NULL, d->doc, &err) < 0)
			cv_err("applying the configuration at start failed: %s", sb_str(&err));
		sb_free(&err);
	}
	mmpd_super_boot(d->super);
	uv_run(d->loop, UV_RUN_DEFAULT);
	mmpd_super_free(d->super);
	mmpd_sessions_free(d);
	mmpd_logstore_close(d->logs);
	json_object_put(d->doc);
	uv_loop_close(d->loop);
	return 0;
}
