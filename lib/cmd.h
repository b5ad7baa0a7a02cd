/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MMP command engine (HAProxy cli_kws, FRR DEFPY): every command is one
 * entry in a static table per area, with its syntax, help text, the roles
 * that may run it and a handler. The engine tokenizes a line, matches it
 * against the tables, converts each argument to a typed value with the
 * strict parsers in lib/, and reports "Unknown command", "Usage:" or the
 * argument's own error. The same tables drive completion, "?", "help", the
 * role check and the golden tests.
 *
 * Syntax strings:
 *   word            a literal keyword
 *   <name>          a typed argument; the type comes from the name (see
 *                   mmp_arg_types in cmd.c: <if>, <addr>, <prefix>, <port>,
 *                   <if:port>, <key>, <crt>, <bundle>, <file>, <host>, ...)
 *   (a|b|<port>)    one of several literals or arguments
 *   [x]             optional (one element)
 *   x...            one or more (last element only)
 *   [x...]          zero or more (last element only)
 *
 * Handlers run inside mmpd on a working copy of the config document; the
 * engine's caller commits it when the handler succeeds and set ctx->changed.
 */
#ifndef MMP_CMD_H
#define MMP_CMD_H

#include <json-c/json.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "lib/strbuf.h"

enum mmp_role {
	MMP_ROLE_ADMIN = 1 << 0,
	MMP_ROLE_CRYPTO = 1 << 1,
	MMP_ROLE_AUDIT = 1 << 2,
	MMP_ROLE_APPADMIN = 1 << 3,
	MMP_ROLE_API = 1 << 4,
};

#define MMP_ROLES_ALL 0x1fu
#define MMP_ROLES_PKI (MMP_ROLE_ADMIN | MMP_ROLE_CRYPTO)

/* "admin", "crypto", ... ; NULL for an unknown bit. */
const char *mmp_role_name(unsigned role);
/* Parses a role name; -EINVAL if unknown. */
int mmp_role_parse(const char *s, unsigned *ret_role);

enum mmp_arg_type {
	MMP_T_LITERAL,	/* a keyword */
	MMP_T_WORD,	/* any token without control characters */
	MMP_T_IFACE,	/* a b c d */
	MMP_T_IPV4,	/* dotted quad */
	MMP_T_PREFIX,	/* address/prefixlen */
	MMP_T_CIDR,	/* network[/prefixlen] */
	MMP_T_PORT,	/* 1-65535 */
	MMP_T_IFPORT,	/* <if>:<port> */
	MMP_T_FILE,	/* bare file name in the upload directory */
	MMP_T_HOST,	/* host name or address */
	MMP_T_HOSTNAME, /* host name */
	MMP_T_USER,	/* MMP user name */
	MMP_T_NUM,	/* non-negative decimal */
};

#define MMP_MAX_TOKENS 32
#define MMP_LINE_MAX 4096

struct mmp_val {
	const char *name;	/* placeholder name without <>, or the keyword */
	const char *str;	/* the token as typed */
	enum mmp_arg_type type;
	union {
		char iface;
		struct in_addr addr;
		uint16_t port;
		unsigned long num;
	} u;
	char iface;		/* MMP_T_IFPORT: the interface (u.port is the port) */
	unsigned plen;		/* MMP_T_PREFIX, MMP_T_CIDR */
};

struct mmp_prompt {
	const char *text;
	bool secret;
};

struct mmp_ctx;
typedef int (*mmp_handler_fn)(struct mmp_ctx *ctx);

struct mmp_cmd {
	const char *syntax;
	const char *help;
	unsigned roles;
	mmp_handler_fn handler;
	/* Lines the shell asks for before running the command (passwords,
	 * confirmations); NULL or ended by an entry with text NULL. */
	const struct mmp_prompt *prompts;
};

/* One table per area; the list of areas is in cmd_tables.c. */
struct mmp_area {
	const char *name;
	const struct mmp_cmd *cmds;
	size_t ncmds;
};

#define MMP_AREA(sym, nm, table)                                                                   \
	const struct mmp_area sym = { nm, table, sizeof(table) / sizeof(table[0]) }

/* Service control requested by a handler, carried out after the commit. */
enum mmp_svc_op {
	MMP_SVC_START,
	MMP_SVC_STOP,
	MMP_SVC_RESTART,
};

/* Runtime state of a supervised service, as mmpd sees it. */
struct mmp_svc_state {
	bool installed;		/* its program exists */
	bool wanted;		/* mmpd is keeping it running */
	bool running;		/* started and reported ready */
	bool failed;		/* it kept crashing; mmpd gave up (last_exit says why) */
	int pid;
	unsigned restarts;	/* restarts after crashes since enable */
	char last_exit[128];	/* "exited with status 1", "killed by signal 9", or "" */
	/* What the running service says about itself (its status file,
	 * mmpd_super.c), printable ASCII, or "". */
#define MMP_SVC_STATUS_MAX 512
	char status[MMP_SVC_STATUS_MAX];
};

/* Services a snapshot describes, at most. */
#define MMP_MAX_SVC 8

/* How full the disks are, in percent (as df(1) counts). */
struct mmp_disk_usage {
	unsigned state_pct;  /* the file system that holds the configuration */
	bool upload_apart;   /* the upload directory is a file system of its own */
	unsigned upload_pct; /* that one's use (upload_apart only) */
};

/* A regular file of the upload directory. */
struct mmp_upfile {
	char *name;
	struct timespec mtime;
	off_t size;
};

/*
 * The fixed operations on the system that a handler may ask for. In mmpd a
 * handler runs in an unprivileged worker process and each call is a
 * request to mmpd's privileged side (services/mmpd/mmpd_ops.c), which
 * checks it against the caller's role before doing it; the unit tests bind
 * the same operations to a directory of their own (mmp_local_ops,
 * services/mmpd/upload.c). Names are bare file names of the upload
 * directory; links are never followed. Each returns 0 or a negative errno.
 */
struct mmp_ops {
	/* Opens the regular file name for reading: *ret_fd (the caller closes
	 * it) and its size. */
	int (*open)(void *opaque, const char *name, int *ret_fd, size_t *ret_size);
	/* Writes name atomically with mode; with excl, -EEXIST if it exists. */
	int (*write)(void *opaque, const char *name, const void *data, size_t len, mode_t mode,
		     bool excl);
	int (*remove)(void *opaque, const char *name);
	/* The regular files, oldest first (the caller frees the list with
	 * mmp_upfiles_free). */
	int (*list)(void *opaque, struct mmp_upfile **ret, size_t *ret_n);
	/* Use of the file systems of the configuration and the uploads. */
	int (*disk_usage)(void *opaque, struct mmp_disk_usage *ret);
};

void mmp_upfiles_free(struct mmp_upfile *files, size_t n);

/* Login names are at most this long (cv_parse_username). */
#define MMP_USER_MAX 32
/* Entries of mmp_env.logins: one per MMP user (services/mmpd/users.h
 * MMP_USERS_MAX). */
#define MMP_MAX_LOGINS 256

/* One MMP user who is logged in, as mmpd saw it when the command started. */
struct mmp_login {
	char user[MMP_USER_MAX + 1];
	unsigned sessions; /* login sessions mmpd recorded (console, SSH, SFTP) */
	unsigned conns;	   /* mmp connections from the user's own uid */
};

/* What the handlers know of the system: the fixed operations and a
 * snapshot taken when the command started. Unit tests fill their own. */
struct mmp_env {
	const struct mmp_ops *ops; /* NULL: no upload directory */
	void *opaque;
	/* Kernel names of the interfaces a-d ("" when unmapped). */
	char ifmap[4][16];
	/* The state of each service of mmp_service_names, in that order. */
	struct mmp_svc_state svc[MMP_MAX_SVC];
	/* The media engine's process, which runs beside the call bridge
	 * (not an MMP service of its own). */
	struct mmp_svc_state media;
	/* The command may ask for a reboot or shutdown (ctx->system_action). */
	bool can_act;
	/* Who is logged in ("user list", "user evict"), in no order. */
	struct mmp_login logins[MMP_MAX_LOGINS];
	size_t nlogins;
};

struct mmp_svc_action {
	const char *svc;
	enum mmp_svc_op op;
};

struct mmp_ctx {
	json_object *doc;	/* working copy of the config document */
	bool changed;		/* the handler changed doc; commit it */
	bool failed;		/* the command failed (exit status 1) */
	struct strbuf out;	/* what the shell prints */
	const char *user;
	unsigned role;
	const char *from;	/* "ip:port" of the SSH client, or "console" */
	const struct mmp_cmd *cmd;
	struct mmp_val vals[MMP_MAX_TOKENS];
	size_t nvals;
	const char *const *input; /* answers to cmd->prompts */
	size_t ninput;
	const struct mmp_env *env;
	struct mmp_svc_action actions[8];
	size_t nactions;
	/* Set by the handler for streaming commands ("syslog follow"). */
	bool follow;
	/* "reboot" or "shutdown": carried out by mmpd once the change is
	 * committed and the reply is sent ("" for none). */
	char system_action[16];
	/* A user whose login sessions and mmp connections mmpd ends once the
	 * reply is sent ("user evict"; "" for none). */
	char evict[MMP_USER_MAX + 1];
};

/* Compiles every table of areas (in "help" order); aborts on a malformed
 * syntax string (a programming error that the unit tests catch).
 * Idempotent: the first call's tables stay. Nothing below knows any
 * command before it was called. */
void mmp_engine_init(const struct mmp_area *const *areas, size_t nareas);

/* The result of matching one line. Token strings are owned by it. */
struct mmp_match {
	const struct mmp_cmd *cmd;
	struct mmp_val vals[MMP_MAX_TOKENS];
	size_t nvals;
	char *tokbuf;
};

/* Tokenizes (whitespace; double quotes group and are dropped) into argv,
 * which points into *ret_buf (caller frees). -EINVAL on an unterminated
 * quote, -E2BIG for too many tokens or a line over MMP_LINE_MAX. */
int mmp_tokenize(const char *line, char **ret_buf, const char **argv, size_t *ret_argc);

/* Matches line. On success fills ret (free with mmp_match_free) and returns 0.
 * On failure returns -EINVAL and appends the message lines to err
 * ("Unknown command: x", "Usage: ...", "Invalid interface \"x\""). An empty
 * line returns -ENOENT with nothing in err. */
int mmp_match_line(const char *line, struct mmp_match *ret, struct strbuf *err);
void mmp_match_free(struct mmp_match *m);

/* Candidates for the last (possibly empty) token of line that role may use,
 * one per json array entry. Arguments of a closed set complete to values
 * (interfaces a-d; file arguments to the names in files, a json array of
 * strings, when given). */
json_object *mmp_complete(const char *line, unsigned role, json_object *files);
/* The "?" listing for what may follow line: one "  token  help" row each,
 * and "  <cr>" when line is already a whole command. */
void mmp_help_next(const char *line, unsigned role, struct strbuf *out);
/* The syntax and help of every command role may run whose syntax starts
 * with prefix ("" for all). */
void mmp_help_list(const char *prefix, unsigned role, struct strbuf *out);

/* Runs a matched command: fills ctx from m and calls the handler. The
 * caller set ctx->doc, env, user, role, input first. */
int mmp_exec(struct mmp_ctx *ctx, const struct mmp_match *m);
void mmp_ctx_init(struct mmp_ctx *ctx);
void mmp_ctx_free(struct mmp_ctx *ctx);

/* Handler helpers. */
const struct mmp_val *mmp_val(const struct mmp_ctx *ctx, const char *name);
const char *mmp_arg(const struct mmp_ctx *ctx, const char *name);
/* Number of values named name; *ret_first points at the first. */
size_t mmp_vals(const struct mmp_ctx *ctx, const char *name, const struct mmp_val **ret_first);
/* True when the keyword kw was typed. */
bool mmp_has(const struct mmp_ctx *ctx, const char *kw);
void mmp_printf(struct mmp_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends a line, marks the command failed, returns -1 (for "return mmp_fail(...)"). */
int mmp_fail(struct mmp_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mmp_svc_action(struct mmp_ctx *ctx, const char *svc, enum mmp_svc_op op);

/* Iterates over every compiled command (for docs and tests). */
size_t mmp_ncmds(void);
const struct mmp_cmd *mmp_cmd_at(size_t i);

#endif
