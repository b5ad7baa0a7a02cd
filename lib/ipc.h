/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IPC framing between mmp and mmpd: each message is a 4-byte big-endian
 * length followed by that many bytes of JSON (one object). Frames larger
 * than CV_IPC_MAX are refused by both sides.
 *
 * Requests (mmp -> mmpd), replies (mmpd -> mmp):
 *   {"op":"hello"}                      -> {"status","hostname","user","role","must_change"}
 *   {"op":"run","line":L,"input":[..]}  -> {"status":0|1,"output":S}
 *        or, when the command prompts and no "input" was sent:
 *                                         {"status":0,"prompts":[{"text","secret"}]}
 *        or, for a streaming command ("syslog follow"):
 *                                         {"status":0,"output":S,"follow":true}, then
 *                                         {"line":S} messages until the client sends
 *   {"op":"unfollow"}                   -> {"status":0,"output":""}
 *   {"op":"complete","line":L}          -> {"status":0,"matches":[..]} (candidates for the
 *                                          last token)
 *   {"op":"help","line":L}              -> {"status":0,"output":S} (the "?" listing)
 * The login paths (root only: mmp-login on the console, the PAM module for
 * SSH and SFTP; services/mmpd/README.md):
 *   {"op":"login","user":U,"password":P,"from":F}
 *                                       -> {"status":0,"must_change":B} or {"status":1,...}
 *   {"op":"account","user":U,"from":F}  -> the same, without a password
 *   {"op":"session_open","user":U,"from":F,"pid":P,"tty":T}
 *                                       -> {"status":0,"id":N}
 *   {"op":"session_close","id":N}       -> {"status":0}
 * The services that check MMP logins (root or their own user, mmpd's
 * mmpd_pwcheck_services: the call bridge's API and Web Admin):
 *   {"op":"service_login","user":U,"password":P,"from":F}
 *                                       -> {"status":0,"role":R} or {"status":1,...}
 * A root caller may add "user":NAME to act as that MMP user. Every request
 * may carry "from": "console", an address, or one with its port ("ip:port",
 * "[ipv6]:port", as mmp takes it from SSH_CLIENT) for the audit line and
 * the login rules. mmpd may end a connection with a last unrequested
 * {"status":1,"output":S,"evicted":true} ("user evict").
 */
#ifndef CV_IPC_H
#define CV_IPC_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CV_IPC_MAX (1u << 20)
#define CV_DEFAULT_SOCKET "/run/convene/mmpd.sock"
#define CV_DEFAULT_STATE_DIR "/var/lib/convene"

/* Encodes msg as one frame; caller frees. */
char *cv_ipc_encode(json_object *msg, size_t *ret_len);
/* Blocking send and receive on a stream socket (the mmp side). */
int cv_ipc_write(int fd, json_object *msg);
/* -EPIPE on a clean end of stream, -EMSGSIZE, -EBADMSG on a bad frame. */
int cv_ipc_read(int fd, json_object **ret_msg);

/* Frames that carry a descriptor (mmpd and the workers it starts for each
 * command, services/mmpd/mmpd_job.c): the descriptor travels as
 * SCM_RIGHTS with the frame's bytes. Blocking; max caps the frame. A
 * second descriptor that comes with one frame is closed. *ret_fd is -1
 * when the frame came without one. */
int cv_ipc_send_fd(int sock, json_object *msg, int fd, size_t max);
int cv_ipc_recv_fd(int sock, json_object **ret_msg, int *ret_fd, size_t max);
/* The pieces of those two, for a non-blocking sender or receiver (mmpd's
 * side, services/mmpd/mmpd_job.c): puts fd as SCM_RIGHTS into mh, whose
 * control buffer cbuf holds CV_IPC_CMSG_SPACE bytes; takes the descriptors
 * mh received, keeping the first in *fd when it is -1 and closing others. */
#define CV_IPC_CMSG_SPACE CMSG_SPACE(sizeof(int) * 4)
struct msghdr;
void cv_ipc_put_fd(struct msghdr *mh, void *cbuf, int fd);
void cv_ipc_take_fds(struct msghdr *mh, int *fd);

/* Incremental receiver for an event loop (the mmpd side). */
struct cv_ipc_rx {
	uint8_t *buf;
	size_t len;
	size_t cap;
	size_t max; /* largest frame accepted: CV_IPC_MAX unless set */
};

/* A receiver for frames of at most CV_IPC_MAX bytes. */
void cv_ipc_rx_init(struct cv_ipc_rx *rx);
/* A receiver for frames of at most max bytes. */
void cv_ipc_rx_init_max(struct cv_ipc_rx *rx, size_t max);
void cv_ipc_rx_free(struct cv_ipc_rx *rx);
/* Appends received bytes; -EMSGSIZE if a frame announces more than its max. */
int cv_ipc_rx_feed(struct cv_ipc_rx *rx, const void *data, size_t n);
/* 1 and *ret_msg when a whole frame was taken, 0 when more bytes are needed,
 * -EBADMSG when the frame is not one JSON object. */
int cv_ipc_rx_next(struct cv_ipc_rx *rx, json_object **ret_msg);

/* Connects to the mmpd socket; returns the fd or a negative errno. */
int cv_ipc_connect(const char *path);

/* One request and its reply over a fresh connection to path, all of it
 * (connect, send, receive) within timeout_ms: the client of the login
 * paths (mmp-login, the PAM module), which must never hang on a stuck or
 * flooded mmpd. The reply may be at most max bytes. Never raises SIGPIPE.
 * 0 and *ret_reply (the caller's), or -ETIMEDOUT, -EMSGSIZE, -EBADMSG (a
 * bad frame, or the peer closed inside one), -EPIPE (closed before any
 * reply) or the socket's errno (-ENOENT, -ECONNREFUSED...). */
int cv_ipc_call(const char *path, json_object *req, int timeout_ms, size_t max,
		json_object **ret_reply);

#endif
