#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The PAM module pam_convene.so against a test mmpd, without sshd (TAP):
# tests/helpers/pam_client stands where sshd stands and reads a PAM
# configuration of its own (pam_start_confdir) that names the built module
# by its absolute path; nothing of this machine's /etc/pam.d is used.
#
#   - authentication: the right password passes, a wrong one fails and is
#     counted; max_failed_logins failures lock the account, which then
#     refuses the right password; allowed hosts (PAM_RHOST) and duty hours
#     (the clock pinned with CONVENE_TEST_NOW) refuse; no PAM_RHOST, a
#     host name, an unreachable mmpd and a bad module argument refuse;
#   - account (no password): the same rules, and the due password change;
#     it never counts a failure;
#   - sessions: an open session shows in `user list` and goes at close;
#     `user evict` ends the session process (SIGHUP, or SIGKILL when it
#     ignores SIGHUP) and never a process that reuses a recorded pid;
#   - the session ops refuse bad input and anybody but root.
#
# The script runs in a PID namespace of its own (unshare, with its own
# /proc) when it can: the pid reuse is then made for real, by setting
# ns_last_pid, without touching the machine's other processes; and every
# process it started ends with it. Without one that case is skipped.
set -u
. "$(dirname "$0")/lib.sh"
cv_use_test_mmpd

cv_require_root
cv_require_programs
PAMC=$top_builddir/tests/helpers/pam_client
MODULE=$top_builddir/pam_convene.so
IPC_CALL=$top_srcdir/tests/integration/ipc_call.py
[ -x "$PAMC" ] || tap_bail "$PAMC is not built"
[ -f "$MODULE" ] || tap_bail "$MODULE is not built"
[ -x "$MMPD" ] || tap_bail "$MMPD is not built"

if [ -z "${CV_PAM_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
	CV_PAM_PIDNS=1 exec unshare --pid --fork --mount-proc /bin/bash "$0" "$@"
fi

cv_init pam
# Saturday 2024-06-15 12:00 UTC; the SIGKILL of an eviction 0.2 s after
# its SIGHUP.
export CONVENE_TEST_NOW=1718452800 TZ=UTC CONVENE_BACKOFF_SCALE=0.1
D=$CV_TMP/inst
mkdir -p "$D"
mmpd_start "$D" || tap_bail "mmpd does not start"
CONF=$CV_TMP/pam.d
mkdir -p "$CONF"

pam_conf() { # pam_conf MODULE-ARGS...: the PAM service "convene" in $CONF
	{
		for stage in auth account session; do
			echo "$stage required $MODULE $*"
		done
		echo "password required pam_deny.so"
	} >"$CONF/convene"
}
pamc() { # pamc USER RHOST PASSWORD STEP...: pam_client's lines as one line
	timeout 60 "$PAMC" "$CONF" convene "$@" </dev/null 2>&1 | tr '\n' ' ' | sed 's/ $//'
}
info() { # info USER FIELD: one field of `user info`
	mmp_c "user info $1" | sed -n "s/^$2 *: //p"
}
listed() { # listed USER: LOGGED IN of user list
	mmp_c "user list" | awk -v u="$1" '$1 == u {print $NF}'
}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
ipc() { timeout 60 "$PY" "$IPC_CALL" "$SOCK" "$1" 2>&1; }

pam_conf socket="$SOCK"
printf 'user add alice audit\nAlice.pw1\nAlice.pw1\n' >"$CV_TMP/add"
mmp_script "$CV_TMP/add" >/dev/null

# --- authentication and account -----------------------------------------------
tap_is "$(pamc alice 192.0.2.7 Alice.pw1 auth account)" \
	"auth PAM_SUCCESS account PAM_NEW_AUTHTOK_REQD" \
	"a first login authenticates, and the account stage asks for the change"
printf 'passwd\nAlice.pw1\nAlice.pw2\nAlice.pw2\n' >"$CV_TMP/pw"
mmp_script "$CV_TMP/pw" --user alice >/dev/null
tap_is "$(pamc alice 192.0.2.7 Alice.pw2 auth account)" "auth PAM_SUCCESS account PAM_SUCCESS" \
	"the right password: authenticated, the account usable"
tap_is "$(info alice 'Last login from')" 192.0.2.7 "mmpd recorded the login and its PAM_RHOST"
tap_is "$(pamc alice 192.0.2.7 wrong auth)" "auth PAM_AUTH_ERR" "a wrong password is refused"
tap_is "$(info alice 'Failed login attempts')" 1 "and counted by mmpd"
tap_is "$(pamc alice 192.0.2.7 wrong account)" "account PAM_SUCCESS" \
	"the account stage takes no password"
tap_is "$(info alice 'Failed login attempts')" 1 "and counts no failure"

mmp_c "user rule max_failed_logins 3" >/dev/null
pamc alice 192.0.2.7 wrong auth >/dev/null
pamc alice 192.0.2.7 wrong auth >/dev/null
tap_is "$(info alice Locked)" "yes (max_failed_logins)" "max_failed_logins 3 wrong passwords lock"
tap_is "$(pamc alice 192.0.2.7 Alice.pw2 auth)" "auth PAM_AUTH_ERR" \
	"a locked account refuses the right password"
tap_is "$(pamc alice 192.0.2.7 x account)" "account PAM_PERM_DENIED" \
	"and its account stage refuses"
mmp_c "user unlock alice" >/dev/null
mmp_c "user rule max_failed_logins 0" >/dev/null
tap_is "$(pamc alice 192.0.2.7 Alice.pw2 auth account)" "auth PAM_SUCCESS account PAM_SUCCESS" \
	"user unlock lets it in again"

mmp_c "user host alice add 192.0.2.10" >/dev/null
tap_is "$(pamc alice 192.0.2.11 Alice.pw2 auth)" "auth PAM_AUTH_ERR" \
	"user host: a PAM_RHOST not allowed is refused"
tap_is "$(pamc alice 2001:db8::10 Alice.pw2 auth)" "auth PAM_AUTH_ERR" "an IPv6 one too"
tap_is "$(pamc alice 192.0.2.11 x account)" "account PAM_PERM_DENIED" "so is its account stage"
tap_is "$(pamc alice 192.0.2.10 Alice.pw2 auth account)" "auth PAM_SUCCESS account PAM_SUCCESS" \
	"the allowed host gets in"
tap_is "$(info alice 'Failed login attempts')" 0 "a host refusal is not a password failure"
mmp_c "user host alice delete 192.0.2.10" >/dev/null

mmp_c "user duty alice Wk0900-1700" >/dev/null
tap_is "$(pamc alice 192.0.2.7 Alice.pw2 auth)" "auth PAM_AUTH_ERR" \
	"user duty: refused outside the duty hours (Saturday 12:00)"
tap_is "$(pamc alice 192.0.2.7 x account)" "account PAM_PERM_DENIED" "so is the account stage"
mmp_c "user duty alice Sa1100-1300" >/dev/null
tap_is "$(pamc alice 192.0.2.7 Alice.pw2 auth account)" "auth PAM_SUCCESS account PAM_SUCCESS" \
	"and let in inside them"
mmp_c "user duty alice none" >/dev/null

tap_is "$(pamc alice - Alice.pw2 auth)" "auth PAM_AUTH_ERR" \
	"no PAM_RHOST: refused (it must not pass for the console)"
tap_is "$(pamc alice host.example Alice.pw2 auth)" "auth PAM_AUTH_ERR" \
	"a host name as PAM_RHOST: refused"
tap_is "$(pamc nobody 192.0.2.7 Alice.pw2 auth)" "auth PAM_AUTH_ERR" "an unknown user: refused"
tap_is "$(info alice 'Failed login attempts')" 0 "none of those counted a failure"
pam_conf socket="$CV_TMP/nothing.sock"
tap_is "$(pamc alice 192.0.2.7 Alice.pw2 auth)" "auth PAM_AUTHINFO_UNAVAIL" \
	"mmpd unreachable: PAM_AUTHINFO_UNAVAIL"
tap_is "$(pamc alice 192.0.2.7 Alice.pw2 account)" "account PAM_AUTHINFO_UNAVAIL" \
	"for the account stage too"
pam_conf socket="$SOCK" colour=blue
tap_is "$(pamc alice 192.0.2.7 Alice.pw2 auth)" "auth PAM_SERVICE_ERR" \
	"an unknown module argument is a configuration error"
pam_conf socket="$SOCK"

# --- sessions -----------------------------------------------------------------------
# start_session NAME STEP...: pam_client alice ... STEP... hold close, with
# its stdin a FIFO held open on fd 8; sets HELD to its pid once it holds.
start_session() {
	local name=$1 i
	shift
	rm -f "$CV_TMP/$name.in"
	mkfifo "$CV_TMP/$name.in"
	"$PAMC" "$CONF" convene alice 192.0.2.7 Alice.pw2 "$@" hold close \
		<"$CV_TMP/$name.in" >"$CV_TMP/$name.out" 2>&1 &
	HELD=$!
	cv_track "$HELD"
	exec 8>"$CV_TMP/$name.in"
	for i in $(seq 1 300); do
		grep -q '^hold ' "$CV_TMP/$name.out" && return 0
		cv_alive "$HELD" || break
		sleep 0.1
	done
	tap_diag_file "$CV_TMP/$name.out"
	return 1
}

tap_is "$(listed alice)" no "no session: alice is not logged in"
start_session s1 auth account open
tap_ok $? "a session opens and stays open"
tap_is "$(listed alice)" yes "user list: alice is logged in while the session is open"
exec 8>&-
cv_wait_gone "$HELD" 300
wait "$HELD"
tap_is "$?:$(tr '\n' ' ' <"$CV_TMP/s1.out")" \
	"0:auth PAM_SUCCESS account PAM_SUCCESS open PAM_SUCCESS hold $HELD close PAM_SUCCESS " \
	"the session closes"
cv_untrack "$HELD"
tap_is "$(listed alice)" no "user list: alice is no longer logged in"

start_session s2 open
tap_is "$(mmp_c "user evict alice")" "Ended 1 session of alice" \
	"user evict alice ends her one session"
cv_wait_gone "$HELD" 100
wait "$HELD"
tap_is "$?" 129 "the session process ended on SIGHUP"
exec 8>&-
cv_untrack "$HELD"
tap_is "$(listed alice)" no "user list: alice is logged out"
tap_is "$(pamc alice 192.0.2.7 Alice.pw2 auth)" "auth PAM_SUCCESS" "evicting locks nothing"

# A session process that ignores SIGHUP gets SIGKILL.
bash -c 'trap "" HUP; exec sleep 1000' &
STUBBORN=$!
cv_track "$STUBBORN"
r=$(ipc "{\"op\":\"session_open\",\"user\":\"alice\",\"from\":\"192.0.2.7\",\"pid\":$STUBBORN}")
tap_ok "$(case $r in *'"status": 0'*) echo 0 ;; *) echo 1 ;; esac)" \
	"session_open with another process's pid (root)" || tap_diag "$r"
tap_is "$(mmp_c "user evict alice")" "Ended 1 session of alice" "user evict alice"
cv_wait_gone "$STUBBORN" 100
wait "$STUBBORN"
tap_is "$?" 137 "a session process that ignores SIGHUP is killed"
cv_untrack "$STUBBORN"

# A recorded pid whose process ended and whose number went to a new
# process: the new one is not the session and is never signalled.
if [ -n "${CV_PAM_PIDNS:-}" ] && [ -w /proc/sys/kernel/ns_last_pid ]; then
	sleep 1000 &
	OLD=$!
	cv_track "$OLD"
	ipc "{\"op\":\"session_open\",\"user\":\"alice\",\"from\":\"192.0.2.7\",\"pid\":$OLD}" >/dev/null
	tap_is "$(listed alice)" yes "a session with a sleeping process"
	kill "$OLD"
	wait "$OLD"
	cv_untrack "$OLD"
	echo $((OLD - 1)) >/proc/sys/kernel/ns_last_pid
	sleep 1000 &
	NEW=$!
	cv_track "$NEW"
	if [ "$NEW" = "$OLD" ]; then
		tap_is "$(listed alice)" no "its process ended; the new process with its pid $NEW is not the session"
		tap_is "$(mmp_c "user evict alice")" "Ended 0 sessions of alice" \
			"user evict finds nothing to end"
		sleep 0.5 # more than the 0.2 s before a SIGKILL would come
		tap_ok "$(cv_alive "$NEW"; echo $?)" "the process that reuses the pid lives on"
	else
		for t in 1 2 3; do
			tap_skip "the kernel gave pid $NEW, not $OLD" "a process that reuses a recorded pid is spared ($t)"
		done
	fi
	kill "$NEW"
	wait "$NEW"
	cv_untrack "$NEW"
else
	for t in 1 2 3 4; do
		tap_skip "no PID namespace of our own (unshare --pid)" "a process that reuses a recorded pid is spared ($t)"
	done
fi

# --- bad input to the session ops --------------------------------------------------
sleep 1000 &
IDLE=$!
cv_track "$IDLE"
tap_is "$(ipc "{\"op\":\"session_open\",\"user\":\"alice\",\"from\":\"host.example\",\"pid\":$IDLE}")" \
	'{"output": "Invalid from\n", "status": 1}' "session_open: a host name as from"
tap_is "$(ipc '{"op":"session_open","user":"alice","from":"console","pid":1}')" \
	'{"output": "Invalid pid\n", "status": 1}' "session_open: pid 1"
tap_is "$(ipc '{"op":"session_open","user":"alice","from":"console","pid":"12"}')" \
	'{"output": "Invalid pid\n", "status": 1}' "session_open: a pid that is not a number"
tap_is "$(ipc "{\"op\":\"session_open\",\"user\":\"alice\",\"from\":\"console\",\"pid\":$IDLE,\"tty\":\"\\u001b[2J\"}")" \
	'{"output": "Invalid tty\n", "status": 1}' "session_open: a tty with an escape sequence"
tap_is "$(ipc "{\"op\":\"session_open\",\"user\":\"zed\",\"from\":\"console\",\"pid\":$IDLE}")" \
	'{"output": "No such user\n", "status": 1}' "session_open: an unknown user"
tap_is "$(ipc '{"op":"session_close","id":999}')" \
	'{"output": "No such session\n", "status": 1}' "session_close: an unknown id"
tap_is "$(ipc '{"op":"login","user":"alice","password":"Alice.pw2","from":"a b"}')" \
	'{"output": "Login incorrect\n", "status": 1}' "login: a from that is not an origin"
tap_is "$(listed alice)" no "none of them recorded a session"
chmod 0711 "$CV_TMP" # the socket is reached through it
tap_is "$(setpriv --reuid=65534 --regid=65534 --clear-groups -- "$PY" "$IPC_CALL" "$SOCK" \
	"{\"op\":\"session_open\",\"user\":\"alice\",\"from\":\"console\",\"pid\":$IDLE}" 2>&1)" \
	'{"output": "Permission denied\n", "status": 1}' "session_open is root's only"
kill "$IDLE"
wait "$IDLE"
cv_untrack "$IDLE"

# --- service_login: the call bridge's API and Web Admin logins ------------------
printf 'user add apiuser api\nApi.pass1\nApi.pass1\n' >"$CV_TMP/add"
mmp_script "$CV_TMP/add" >/dev/null
tap_is "$(ipc '{"op":"service_login","user":"apiuser","password":"Api.pass1","from":"192.0.2.7"}')" \
	'{"role": "api", "status": 0}' "service_login: the right password gives the user's role"
tap_is "$(ipc '{"op":"service_login","user":"apiuser","password":"wrong","from":"192.0.2.7"}')" \
	'{"output": "Login incorrect\n", "status": 1}' "service_login: a wrong password is refused"
tap_is "$(info apiuser 'Failed login attempts')" 1 "and counts towards the lockout"
tap_is "$(ipc '{"op":"service_login","user":"nosuch","password":"Api.pass1","from":"192.0.2.7"}')" \
	'{"output": "Login incorrect\n", "status": 1}' "service_login: an unknown user, the same answer"
tap_is "$(setpriv --reuid=65534 --regid=65534 --clear-groups -- "$PY" "$IPC_CALL" "$SOCK" \
	'{"op":"service_login","user":"apiuser","password":"Api.pass1","from":"192.0.2.7"}' 2>&1)" \
	'{"output": "Permission denied\n", "status": 1}' "service_login: not for any local user"
cbuid=$(id -u convene-callbridge)
tap_is "$(setpriv --reuid="$cbuid" --regid="$(id -g convene-callbridge)" --clear-groups -- \
	"$PY" "$IPC_CALL" "$SOCK" \
	'{"op":"service_login","user":"apiuser","password":"Api.pass1","from":"192.0.2.7"}' 2>&1)" \
	'{"role": "api", "status": 0}' "service_login: the call bridge's user may ask"
tap_is "$(info apiuser 'Failed login attempts')" 0 "a success clears the failures"
! grep -q 'Api.pass1' "$D/log/convene.log"
tap_ok $? "no password in the log"

mmpd_stop
tap_done
