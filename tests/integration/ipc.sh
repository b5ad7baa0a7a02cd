#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mmpd's socket against clients that misbehave, and against local users of
# every role (issue 14, items 1, 2, 4, 8 and 9):
#
#   - clients that hang up at every point of every op, as root and as a
#     local user mmpd does not know: mmpd lives on and answers;
#   - one local user holding 1,000 connections: mmpd keeps 16 of them and
#     answers root and the other users throughout;
#   - half a frame and then silence: the connection is closed;
#   - a `syslog follow` that stops reading while the log grows by megabytes:
#     cut off, and mmpd lives on;
#   - identity by uid: with --system-users (into a private etc folder) each
#     MMP user is known by the uid of its account, never by a name a system
#     account shares; a uid that is no MMP user's is refused; a user whose
#     password must be changed can do nothing else, whatever client it uses;
#   - the commands run in a worker as convene-helper: a key behind a link, a
#     backup's name taken by planted links, and a file name with an escape
#     sequence change nothing and show nothing raw;
#   - the installed mmpd ignores CONVENE_TEST_NOW.
#
# The test build of mmpd is used (CONVENE_BACKOFF_SCALE shortens the frame
# deadline to a fraction of a second); the last check starts the installed
# one. Every wait is bounded; every process is stopped by its PID.
set -u
. "$(dirname "$0")/lib.sh"
cv_use_test_mmpd

cv_require_root
cv_require_programs
[ -x "$MMPD" ] || tap_bail "$MMPD is not built"
command -v setpriv >/dev/null || tap_skip_all "setpriv is not installed (util-linux)"
cv_init ipc

export CONVENE_BACKOFF_SCALE=0.02
ATTACK="/usr/bin/python3 $top_srcdir/tests/integration/ipc_attack.py"
D=$CV_TMP/m
ETC=$CV_TMP/etc
STATE=$D/state
mkdir -p "$D" "$ETC"
for f in passwd shadow group; do
	cp "$top_srcdir/images/rootfs/etc/$f" "$ETC/$f"
done
# Other users must reach the socket (mmpd makes it 0666).
chmod 711 "$CV_TMP" "$D"

mmpd_start "$D" --system-users="$ETC" || tap_bail "mmpd did not start"

alive_and_answers() { # DESCRIPTION
	local out
	out=$(mmp_c version)
	if cv_alive "$MMPD_PID" && [ -n "$out" ] && [ "${out#FAILURE}" = "$out" ]; then
		tap_ok 0 "$1"
	else
		tap_ok 1 "$1"
		tap_diag "version: $out"
		tap_diag_file "$D/mmpd.log"
	fi
}

uid_of() { awk -F: -v u="$1" '$1 == u { print $3 }' "$ETC/passwd"; }
# as_uid UID CMD...: CMD as that uid with the mmp group only.
as_uid() {
	local uid=$1
	shift
	timeout 30 setpriv --reuid="$uid" --regid=2000 --clear-groups "$@" 2>&1
}
as_user() { # as_user NAME CMD...
	local uid
	uid=$(uid_of "$1")
	shift
	as_uid "$uid" "$@"
}

# --- hang-ups ------------------------------------------------------------------------
n=$($ATTACK hangup "$SOCK")
tap_ok $? "root's clients hang up at every point of every op ($n connections)"
alive_and_answers "mmpd lives on and answers root"
n=$(as_uid 65534 $ATTACK hangup "$SOCK")
tap_ok $? "an unknown local user does the same ($n connections)"
alive_and_answers "mmpd lives on and answers root again"

# --- users of every role --------------------------------------------------------------
add_user() { # NAME ROLE
	printf 'user add %s %s\nPw.%s.123\nPw.%s.123\n' "$1" "$2" "$1" "$1" >"$CV_TMP/script"
	mmp_script "$CV_TMP/script" >/dev/null
}
for u in "alice admin" "carl crypto" "aude audit" "appy appadmin" "daemon admin"; do
	add_user $u
done
# Accounts made now start out with the password to be changed: as root
# acting as each user the change is done here, as the user would.
for u in alice carl aude appy daemon; do
	printf 'passwd\nPw.%s.123\nNew.%s.456\nNew.%s.456\n' "$u" "$u" "$u" >"$CV_TMP/script"
	timeout 30 "$MMP" --socket "$SOCK" --user "$u" <"$CV_TMP/script" >/dev/null 2>&1
done
ok_uids=0
for u in "alice admin" "carl crypto" "aude audit" "appy appadmin"; do
	set -- $u
	got=$(as_user "$1" $ATTACK hello "$SOCK")
	[ "$got" = "0 $1 $2 " ] || { ok_uids=1; tap_diag "$1: $got"; }
done
tap_ok $ok_uids "each MMP user is known by the uid of its account, with its role"
tap_is "$(as_uid 65534 $ATTACK hello "$SOCK")" "1 None None Permission denied" \
	"a uid that is no MMP user's is refused"
# The system account daemon (uid 1) shares its name with the MMP user
# daemon, whose account has another uid: no way in by the name.
tap_ok "$([ "$(uid_of daemon)" != 1 ]; echo $?)" "the MMP user daemon got an account uid of its own ($(uid_of daemon))"
tap_is "$(as_uid 1 $ATTACK hello "$SOCK")" "1 None None Permission denied" \
	"the system account daemon is not the MMP user daemon"

out=$(as_user aude "$MMP" --socket "$SOCK" -c 'pki list')
tap_is "$out" "Permission denied" "an audit user cannot list the upload directory"
out=$(as_user carl "$MMP" --socket "$SOCK" -c 'pki list')
tap_is "$(printf '%s\n' "$out" | head -n 1)" "User supplied certificates and keys:" \
	"a crypto user can"
out=$(as_user appy "$MMP" --socket "$SOCK" -c 'backup list')
tap_is "$out" "Permission denied" "an appadmin user cannot list backups"

mmp_c 'user expire aude' >/dev/null
out=$(as_user aude $ATTACK run "$SOCK" 'syslog follow')
tap_is "$out" "$(printf '1\nYour password must be changed first: run passwd')" \
	"a user whose password must change gets nothing else done, whatever the client"

# --- 1,000 connections of one user ----------------------------------------------------
as_uid 65534 $ATTACK hold "$SOCK" 1000 6 >"$CV_TMP/hold.out" &
HOLD=$!
cv_track "$HOLD"
for _ in $(seq 1 200); do
	[ -s "$CV_TMP/hold.out" ] && break
	sleep 0.1
done
tap_is "$(cat "$CV_TMP/hold.out")" 16 "of 1,000 connections of one local user mmpd keeps 16"
alive_and_answers "root is answered while they are held"
got=$(as_user alice $ATTACK hello "$SOCK")
tap_is "$got" "0 alice admin " "and so is another user"
cv_stop_pid "$HOLD" 10
cv_untrack "$HOLD"

# --- half a frame ------------------------------------------------------------------------
got=$($ATTACK partial "$SOCK" 10)
tap_ok "$([ "$got" != open ]; echo $?)" "half a frame and silence: closed after ${got} s (frame deadline, scaled)"

# --- a follower that stops reading ------------------------------------------------------
rm -f "$CV_TMP/nr" "$CV_TMP/nr.ready"
$ATTACK nonreader "$SOCK" "$CV_TMP/nr" &
NR=$!
cv_track "$NR"
for _ in $(seq 1 100); do
	[ -f "$CV_TMP/nr.ready" ] && break
	sleep 0.1
done
# About 2 KB of log per unknown command (its audit line): some 6 MB.
long=$(head -c 2200 /dev/zero | tr '\0' x)
for _ in $(seq 1 2800); do
	echo "bogus $long"
done >"$CV_TMP/flood"
timeout 120 "$MMP" --socket "$SOCK" --keep-going <"$CV_TMP/flood" >/dev/null 2>&1
kill -USR1 "$NR"
for _ in $(seq 1 150); do
	[ -f "$CV_TMP/nr" ] && break
	sleep 0.1
done
tap_is "$(cat "$CV_TMP/nr" 2>/dev/null)" closed "a syslog follower that stopped reading is cut off"
grep -q 'closed an IPC connection (uid 0) that stopped reading' "$STATE/log/convene.log"
tap_ok $? "and the log says why"
cv_stop_pid "$NR" 5
cv_untrack "$NR"
alive_and_answers "mmpd lives on"

# --- files behind links and names with escapes ----------------------------------------------
F=$STATE/files
echo precious >"$CV_TMP/target"
ln -s "$CV_TMP/target" "$F/snap.bak.tmp"
ln -s "$CV_TMP/target" "$F/snap.bak"
out=$(mmp_c 'backup snapshot snap')
tap_is "$out" "Backup file snap.bak ready for download" "backup snapshot over planted links"
tap_is "$(cat "$CV_TMP/target")" precious "the links' target is untouched"
tap_ok "$([ -f "$F/snap.bak" ] && [ ! -L "$F/snap.bak" ]; echo $?)" "snap.bak is a file of its own"
ln -s /etc/shadow "$F/shadow.crt"
out=$(mmp_c 'pki inspect shadow.crt')
tap_is "$out" "FAILURE: Unable to read file shadow.crt" "a link to /etc/shadow is not read"
touch "$F/$(printf 'evil\033]0;owned\007.crt')"
out=$(mmp_c 'pki list')
printf '%s' "$out" | grep -q "$(printf '\033')"
tap_ok "$([ $? -ne 0 ]; echo $?)" "a file name with an escape sequence never reaches the terminal raw"
out=$(mmp_c 'xyzzy'"$(printf '\033')"'[31m')
grep -q "$(printf '\033')" "$STATE/log/convene.log"
tap_ok "$([ $? -ne 0 ]; echo $?)" "nor the log, where a typed escape is written as \\x1b"
grep -qF 'xyzzy\x1b[31m' "$STATE/log/convene.log"
tap_ok $? "(the audit line shows it escaped)"

alive_and_answers "mmpd answers after all of it"
mmpd_stop

# --- the installed mmpd has no test switches ------------------------------------------------
MMPD=$top_builddir/mmpd
D2=$CV_TMP/real
CONVENE_TEST_NOW=86400 mmpd_start "$D2" || tap_bail "the installed mmpd did not start"
created=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["users"]["admin"]["created"])' \
	"$D2/state/config.json")
tap_ok "$([ "$created" -gt 1000000000 ]; echo $?)" \
	"the installed mmpd ignores CONVENE_TEST_NOW (admin created at $created)"
mmpd_stop

tap_done
