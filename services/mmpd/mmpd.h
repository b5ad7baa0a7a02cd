/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mmpd internals: the daemon state, the config store, the IPC server, the
 * service supervisor and the log store. See README.md in this folder.
 */
#ifndef MMPD_H
#define MMPD_H

#include <json-c/json.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <uv.h>

#include "lib/cmd.h"
#include "services/mmpd/upload.h"

struct mmpd_super;
struct mmpd_logstore;
struct mmpd_job;
struct mmpd_ipc;
struct mmpd_fw;
struct mmpd_sessions;

/* The user mmpd's workers run as (mmpd_job.c): it owns nothing. */
#define MMPD_HELPER_USER "convene-helper"

/* The MMP user a request runs for, and the role mmpd found for it. */
struct mmpd_caller {
	char user[64];
	unsigned role;
	uid_t uid; /* of the connection */
};

struct mmpd {
	uv_loop_t *loop;
	char *state_dir;	/* --state-dir */
	char *socket_path;	/* --socket */
	char *service_dir;	/* --service-dir: where service programs live */
	char *upload_dir;	/* <state-dir>/files */
	char *conf_path;	/* <state-dir>/config.json */
	char *log_path;		/* <state-dir>/log/convene.log */
	char ifmap[4][IF_NAMESIZE]; /* kernel names of a, b, c, d ("" if unmapped) */
	char *etc_dir;		/* --system-users: where passwd, shadow, group live */
	json_object *doc;	/* the committed config document */
	uint64_t gen;		/* bumped at every commit of doc */
	struct mmpd_super *super;
	struct mmpd_logstore *logs;
	struct mmp_local_dir upload; /* the upload directory, for mmp_local_ops */
	struct mmpd_ipc *ipc;	/* the clients (mmpd_ipc.c) */
	struct mmpd_fw *fw;	/* the firewall applier's state (mmpd_fw.c) */
	bool appliance;		/* --appliance: reboot and shutdown act on the machine */
	struct mmpd_job *jobs;	/* workers running or being reaped */
	struct mmpd_sessions *sessions; /* login sessions (mmpd_sessions.c) */
	uid_t helper_uid;	/* MMPD_HELPER_USER */
	gid_t helper_gid;
	/* The users of the services that check MMP logins with
	 * service_login (mmpd_pwcheck_services; those that exist). */
	uid_t pwcheck_uids[4];
	size_t npwcheck;
	uv_signal_t sigterm, sigint, sighup;
	bool stopping;
};

/* The host name shown in the prompt and in log lines. */
const char *mmpd_hostname(const struct mmpd *d);

/* --- config store (mmpd_store.c) --- */
/* Loads <state-dir>/config.json (a new document if none), migrating it. */
int mmpd_store_open(struct mmpd *d);
/* Makes doc the committed document: saves it durably, then swaps it in
 * (taking ownership). On failure d->doc is unchanged and doc is freed. */
int mmpd_store_commit(struct mmpd *d, json_object *doc);
/* Loads/saves the interface map <state-dir>/ifmap ("a=eth0" lines). */
int mmpd_ifmap_load(struct mmpd *d);
int mmpd_ifmap_save(const struct mmpd *d);

/* "reboot" or "shutdown" (mmpd_main.c): stops every service, then, with
 * --appliance, syncs and reboots or powers off the machine (reboot(2));
 * without it (the sandbox, tests) shutdown exits and reboot starts mmpd
 * again in place. */
void mmpd_system_action(struct mmpd *d, const char *action);

/* --- applying the configuration to the system (mmpd_apply.c) ---
 * An applier makes the system match new_doc; old_doc is what was applied
 * before (NULL at start). It returns 0, or a negative errno with the
 * operator-facing reason appended to err as "FAILURE: ..." lines. It must
 * be idempotent and cheap when its part of the documents is unchanged. */
struct mmpd_applier {
	const char *name;
	int (*apply)(struct mmpd *d, json_object *old_doc, json_object *new_doc,
		     struct strbuf *err);
};
/* Runs every applier; on a failure puts the system back to old_doc. */
int mmpd_apply(struct mmpd *d, json_object *old_doc, json_object *new_doc, struct strbuf *err);
int mmpd_net_apply(struct mmpd *d, json_object *old_doc, json_object *new_doc, struct strbuf *err);
int mmpd_fw_apply(struct mmpd *d, json_object *old_doc, json_object *new_doc, struct strbuf *err);

/* --- what the command handlers see (mmpd_ops.c) --- */
/* Fills env for one command: the fixed operations on the upload directory
 * and a snapshot of the interface map and of every service's state. */
void mmpd_env_snapshot(struct mmpd *d, struct mmp_env *env);
/* The upload directory's file names (for completion); caller puts. */
json_object *mmpd_upload_names(struct mmpd *d);
/* The entry of env->logins for user, added when missing; NULL when user
 * is not a valid name or the table is full. */
struct mmp_login *mmpd_env_login(struct mmp_env *env, const char *user);

/* --- login sessions (mmpd_sessions.c) ---
 * Recorded by the login programs (the PAM module, mmp-login) through the
 * IPC ops session_open and session_close; in memory only. */
/* Records a session of user from from (mmp_from_valid) on tty ("" for
 * none) whose process is pid: *ret_id. -ESRCH when pid has no live
 * process, -EINVAL for pid 0 or 1, -ENOSPC when too many are open. */
int mmpd_session_open(struct mmpd *d, const char *user, const char *from, const char *tty,
		      pid_t pid, uint64_t *ret_id);
/* Forgets session id; -ENOENT when there is none. */
int mmpd_session_close(struct mmpd *d, uint64_t id);
/* Forgets the sessions whose process has gone (its pid has no process,
 * or one with another start time). */
void mmpd_sessions_prune(struct mmpd *d);
/* Adds the live sessions to env->logins. */
void mmpd_sessions_count(struct mmpd *d, struct mmp_env *env);
/* Ends every session of user: SIGHUP to its process, SIGKILL if it is
 * still there a moment later, never to a process that only reuses the
 * pid. Returns how many processes were signalled; the records are gone. */
unsigned mmpd_sessions_evict(struct mmpd *d, const char *user);
void mmpd_sessions_free(struct mmpd *d);
/* The start time of process pid (clock ticks after boot, /proc/PID/stat);
 * -ESRCH when there is no such process or it is a zombie. */
int mmpd_proc_start(pid_t pid, unsigned long long *ret_start);

/* --- the privileged operations (mmpd_ops.c) ---
 * One request of a worker: checks who may ask for op, does it and returns
 * the reply (with "status": 0 or a negative errno). in_fd is a descriptor
 * that came with the request (-1: none; the caller closes it); *ret_fd is
 * one to send with the reply (-1: none; the caller sends and closes it). */
json_object *mmpd_ops_call(struct mmpd *d, const struct mmpd_caller *who, const char *op,
			   json_object *req, int in_fd, int *ret_fd);

/* --- what clients and workers send, checked without I/O (mmpd_check.c) --- */
/* Answers to a command's prompts a request may carry, the longest answer
 * (and password of a login), the longest "from" ("[<IPv6>%<zone>]:<port>"
 * fits) and the longest terminal name of a login session. */
#define MMPD_INPUT_MAX 8
#define MMPD_ANSWER_MAX 1024
#define MMPD_FROM_MAX 80
#define MMPD_TTY_MAX 32
/* The requests a client may send (lib/ipc.h). */
enum mmpd_req {
	MMPD_REQ_HELLO,
	MMPD_REQ_RUN,
	MMPD_REQ_COMPLETE,
	MMPD_REQ_HELP,
	MMPD_REQ_UNFOLLOW,
	MMPD_REQ_LOGIN,
	MMPD_REQ_ACCOUNT,
	MMPD_REQ_SESSION_OPEN,
	MMPD_REQ_SESSION_CLOSE,
	MMPD_REQ_SERVICE_LOGIN,
	MMPD_REQ_COUNT
};
/* The request's "op": -EINVAL when it names none. */
int mmpd_req_of(json_object *req, enum mmpd_req *ret);
/* Is op one of the login paths' (login, account, session_open,
 * session_close: mmp-login and the PAM module, which run as root;
 * service_login: the services that check MMP logins, root or the users in
 * d->pwcheck_uids)? */
bool mmpd_req_login_path(enum mmpd_req op);
/* The MMP user and role of a request on a connection of uid: root may act
 * as any user ("user" in req, "admin" by default), any other uid is the
 * user the system users applier gave it (mmpd_users_by_uid). -ENOENT when
 * there is none. Reads d->doc and d->etc_dir only. */
int mmpd_caller_of(struct mmpd *d, uid_t uid, json_object *req, struct mmpd_caller *ret);
/* Who asks for op on a connection of uid: for a request of the login
 * paths, root only (service_login: also the service users of
 * d->pwcheck_uids; -EPERM for any other uid), as the MMP user "login"
 * with no role (its "user" is the one logging in); for any other,
 * mmpd_caller_of. */
int mmpd_req_caller(struct mmpd *d, enum mmpd_req op, uid_t uid, json_object *req,
		   struct mmpd_caller *ret);
/* The request's "from" as the audit line and the login rules see it:
 * "console" when the request has none, or an address that fits size (with
 * a port as mmp takes it from SSH_CLIENT, bare from the PAM module's
 * PAM_RHOST: mmp_from_valid). -EINVAL, with "console" in buf, for
 * anything else: a command's audit line shows "console" then, and a
 * request of the login paths is refused. */
int mmpd_request_from(json_object *req, char *buf, size_t size);
/* The answers in the request's "input" (borrowed from req): 0 when there
 * is none, 1 with *ret_n of them, -EINVAL when it is not an array of at
 * most max strings of at most MMPD_ANSWER_MAX bytes. */
int mmpd_read_input(json_object *req, const char **input, size_t max, size_t *ret_n);
/* What becomes of a "run" request of who for cmd (its line matched cmd). */
enum mmpd_admit {
	MMPD_ADMIT_RUN,		/* a worker runs it */
	MMPD_ADMIT_PROMPTS,	/* the client is sent the command's prompts */
	MMPD_ADMIT_DENIED,	/* "Permission denied": not for who's role */
	MMPD_ADMIT_MUST_CHANGE, /* who must change the password first */
	MMPD_ADMIT_BAD_ANSWERS, /* "input" is not one answer per prompt */
};
enum mmpd_admit mmpd_run_admit(json_object *doc, const struct mmpd_caller *who,
			       const struct mmp_cmd *cmd, json_object *req, time_t now);
/* The "user" of a request of the login paths (borrowed from req): a valid
 * user name (cv_parse_username), else NULL. */
const char *mmpd_login_user(json_object *req);
/* What a session_open request asks for (borrowed from req). */
struct mmpd_session_req {
	const char *user; /* who has a record in the document */
	const char *tty;  /* "" for none */
	pid_t pid;	  /* the session's process */
};
/* Why a session_open request is refused, in the order of the checks. */
enum mmpd_session_check {
	MMPD_SESSION_OK,
	MMPD_SESSION_NO_USER,  /* "user" is no valid name with a record in doc */
	MMPD_SESSION_BAD_FROM, /* from is NULL: its "from" is no origin */
	MMPD_SESSION_BAD_TTY,  /* "tty" is not a short terminal name */
	MMPD_SESSION_BAD_PID,  /* "pid" is not a number from 2 to INT32_MAX */
};
/* A session_open request from from (mmpd_request_from; NULL when that
 * refused it) on a connection of process peer (SO_PEERCRED): the
 * session's process is "pid", or peer when there is none; the terminal
 * "tty" ("" when there is none) is at most MMPD_TTY_MAX characters of
 * [A-Za-z0-9/._:-], nothing a log line could be made to show. *ret is set
 * on MMPD_SESSION_OK only. */
enum mmpd_session_check mmpd_session_open_check(json_object *doc, json_object *req,
						const char *from, pid_t peer,
						struct mmpd_session_req *ret);
/* May a worker's document doc replace committed? With any (an admin's
 * command) whenever it is an object; otherwise only when nothing but
 * user's own password and login records differ. */
bool mmpd_change_allowed(json_object *committed, json_object *doc, const char *user, bool any);
/* A worker's result of a command of who, checked against the committed
 * document. Everything is borrowed from res. actions, system_action,
 * evict and follow apply only when the command does not fail: failed can
 * still become true when the commit of doc fails. */
#define MMPD_ACTIONS_MAX 8
struct mmpd_result {
	bool failed;		   /* status not 0, or refused */
	bool refused;		   /* it changed what who may not: nothing is committed */
	const char *output;	   /* NULL: none */
	json_object *doc;	   /* the document to commit; NULL: unchanged */
	struct {
		const char *svc;   /* one of mmp_service_names */
		enum mmp_svc_op op;
	} actions[MMPD_ACTIONS_MAX];
	size_t nactions;
	const char *system_action; /* "reboot" or "shutdown" of an admin, or NULL */
	const char *evict;	   /* user evict: a user name, of an admin, or NULL */
	bool follow;		   /* stream the log (admins and audit users) */
};
void mmpd_result_check(json_object *committed, const struct mmpd_caller *who, json_object *res,
		       struct mmpd_result *ret);
/* A worker's result of a login or an account check of login_user (both
 * may change that user's records only): *ret_rc is the mmp_user_login()
 * or mmp_user_account() code it reports (-EIO when missing), *ret_doc the
 * document to commit (borrowed from res; NULL: none). False when that
 * document changed more than login_user's records: then *ret_rc is -EIO
 * and *ret_doc NULL. */
bool mmpd_login_result_check(json_object *committed, const char *login_user, json_object *res,
			     int *ret_rc, json_object **ret_doc);

/* --- jobs: the worker processes of commands and logins (mmpd_job.c,
 * mmpd_worker.c) --- */
/* The worker's end of its socketpair, and the largest frame either side
 * takes (a configuration document, at most CV_CONF_MAX, and an output). */
#define MMPD_JOB_FD 3
/* Jobs running at once (further ones wait in line, mmpd_ipc.c). */
#define MMPD_JOBS_MAX 32
#define MMPD_JOB_FRAME_MAX (8u << 20)
/* Called once on mmpd's loop: result is the worker's result (borrowed),
 * or NULL when it did not finish, with the reason in why. */
typedef void (*mmpd_job_done_fn)(struct mmpd *d, json_object *result, const char *why,
				 void *opaque);
/* Gives a worker of who's identity (an idle one, the spare, or a new one)
 * the job init (taken): {"kind":"run" or "login", "doc", "user", "role",
 * "from", "env", and "line" and "input", or "login_user" and "password"};
 * done(opaque) follows. -EAGAIN when no worker can be started. */
int mmpd_job_start(struct mmpd *d, const struct mmpd_caller *who, json_object *init,
		   mmpd_job_done_fn done, void *opaque);
/* The worker's main (mmpd --worker UID GID, mmpd_worker.c). */
int mmpd_worker_main(int argc, char **argv);
/* The snapshot of env as the worker gets it in its init frame, and back. */
json_object *mmpd_env_to_json(const struct mmp_env *env);
void mmpd_env_from_json(json_object *o, struct mmp_env *env);
/* Starts the spare worker (at start), and sends the idle workers away
 * (when mmpd stops). */
void mmpd_jobs_start(struct mmpd *d);
void mmpd_jobs_stop(struct mmpd *d);
/* The jobs started with opaque will not call done any more. */
void mmpd_job_forget(struct mmpd *d, void *opaque);
/* Jobs whose result has not come yet. */
size_t mmpd_jobs_running(const struct mmpd *d);
/* Finds MMPD_HELPER_USER (-ENOENT when there is none, -EPERM when it is
 * root's uid or gid); without root, workers stay mmpd's user. */
int mmpd_helper_lookup(struct mmpd *d);
/* The services whose users may ask service_login (the call bridge: API and
 * Web Admin logins), ended by NULL; mmpd_helper_lookup resolves them into
 * d->pwcheck_uids. */
extern const char *const mmpd_pwcheck_services[];

/* --- IPC server (mmpd_ipc.c) --- */
int mmpd_ipc_listen(struct mmpd *d);
void mmpd_ipc_close(struct mmpd *d);
/* Adds the connections of each MMP user's uid to env->logins. */
void mmpd_ipc_count(struct mmpd *d, struct mmp_env *env);
/* Tells the connections of user's uid that they are logged out and closes
 * them; returns how many. */
unsigned mmpd_ipc_evict(struct mmpd *d, const char *user);

/* --- supervisor (mmpd_super.c) ---
 * Services are the programs "convene-<name>" in d->service_dir, started as
 *   convene-<name> --config <state-dir>/run/<name>.json
 * with the write end of a readiness pipe as fd 3 (CONVENE_READY_FD=3): the
 * service writes "READY\n" there once its listeners are bound. stdout and
 * stderr are pipes whose lines go to the log store. A service that exits
 * while wanted is restarted with exponential back-off: first retry within
 * 1 s, doubling to at most 30 s, reset after 60 s of health. */
struct mmpd_super *mmpd_super_new(struct mmpd *d);
void mmpd_super_free(struct mmpd_super *s);
bool mmpd_super_installed(struct mmpd_super *s, const char *svc);
/* Renders the config and starts the service (no-op if already running). */
int mmpd_super_start(struct mmpd_super *s, const char *svc);
int mmpd_super_stop(struct mmpd_super *s, const char *svc);
int mmpd_super_restart(struct mmpd_super *s, const char *svc);
void mmpd_super_state(struct mmpd_super *s, const char *svc, struct mmp_svc_state *ret);
/* Starts every service whose "<svc>.enabled" is true in d->doc. */
void mmpd_super_boot(struct mmpd_super *s);
/* Stops every service (SIGTERM, then SIGKILL after 5 s) and calls done. */
void mmpd_super_shutdown(struct mmpd_super *s, void (*done)(struct mmpd *d));

/* --- log store (mmpd_logstore.c) ---
 * One log file, rotated at a size cap (convene.log -> convene.log.1 ...).
 * Lines are stamped in the seed format (lib/log.h). Followers ("syslog
 * follow") get every line written after they subscribe. */
struct mmpd_logstore *mmpd_logstore_open(struct mmpd *d, const char *path, size_t max_bytes,
					 int keep);
void mmpd_logstore_close(struct mmpd_logstore *ls);
/* Closes and reopens the file (SIGHUP, after an outside rotation). */
int mmpd_logstore_reopen(struct mmpd_logstore *ls);
/* Writes one already formatted line (no newline). */
void mmpd_logstore_write(struct mmpd_logstore *ls, const char *line);
/* Stamps and writes a message from tag ("mmpd", "turn", ...). */
void mmpd_logstore_log(struct mmpd_logstore *ls, const char *tag, int level, const char *msg);
typedef void (*mmpd_follow_fn)(const char *line, void *opaque);
void mmpd_logstore_follow(struct mmpd_logstore *ls, mmpd_follow_fn fn, void *opaque);
void mmpd_logstore_unfollow(struct mmpd_logstore *ls, void *opaque);

#endif
