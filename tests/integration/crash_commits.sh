#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Durable commits under crashes: 1,000 configuration commands go through
# mmp one by one while a second loop SIGKILLs mmpd at random moments. After
# every crash mmpd is started again on the same state directory; the
# document must load and hold every change that was acknowledged (exit
# status 0) - or a later one whose reply was lost in the crash.
#
# Three settings are overwritten in turn: the TURN user name, the TURN TLS
# port and the host name. For each the test keeps the set of values it may
# find: the last acknowledged one plus any sent after it without an answer.
# Loops are bounded in count and in time (about 50 s); the killer only
# signals the PID this script started, after checking it is that mmpd.
set -u
. "$(dirname "$0")/lib.sh"

cv_require_root
cv_require_programs
cv_init crash

COMMITS=${CRASH_COMMITS:-1000}
TIME_CAP=${CRASH_TIME_CAP:-50}
D=$CV_TMP/inst
PIDFILE=$CV_TMP/mmpd.pid
ARMED=$CV_TMP/armed
STOP=$CV_TMP/stop
KILLS=$CV_TMP/kills
MMPD_REAL=$(readlink -f "$MMPD")

# key -> the values the document may hold for it (filled from the first read).
declare -A cand

# The command and the value it sets, for commit i.
cmd_for() {
	case $(($1 % 3)) in
	0) key=user val=user$1 line="turn credentials user$1 pw$1 cms.demo" ;;
	1) key=tls val=$((1024 + $1)) line="turn tls $((1024 + $1))" ;;
	2) key=host val=h$1 line="hostname h$1" ;;
	esac
}

# Reads the three values through mmp; non-zero if mmpd did not answer.
read_values() {
	local turn host
	turn=$(mmp_c turn) || return 1
	host=$(mmp_c hostname) || return 1
	got_user=$(printf '%s\n' "$turn" | sed -n 's/^Username *: //p')
	got_tls=$(printf '%s\n' "$turn" | sed -n 's/^TLS port *: //p')
	got_host=$host
	return 0
}

in_set() { # in_set VALUE "SET": VALUE is one of the words of SET
	local v
	for v in $2; do
		[ "$v" = "$1" ] && return 0
	done
	return 1
}

# Checks the document against the candidate sets, then narrows each set to
# what was found. Retries (bounded) if mmpd dies under it.
verify() {
	local what=$1 try=0
	while [ "$try" -lt 5 ]; do
		if read_values; then
			local bad=
			in_set "$got_user" "${cand[user]}" || bad="$bad user=$got_user (want one of: ${cand[user]})"
			in_set "$got_tls" "${cand[tls]}" || bad="$bad tls=$got_tls (want one of: ${cand[tls]})"
			in_set "$got_host" "${cand[host]}" || bad="$bad host=$got_host (want one of: ${cand[host]})"
			if [ -z "$bad" ]; then
				tap_ok 0 "$what: every acknowledged change is there"
			else
				tap_ok 1 "$what: every acknowledged change is there"
				tap_diag "lost:$bad"
			fi
			cand[user]=$got_user
			cand[tls]=$got_tls
			cand[host]=$got_host
			return 0
		fi
		restart || return 1
		try=$((try + 1))
	done
	tap_ok 1 "$what: mmpd answers after a restart"
	return 1
}

restart() {
	rm -f "$ARMED"
	mmpd_kill9 # reaps it if the killer already did the job
	if ! mmpd_start "$D"; then
		tap_ok 1 "mmpd starts again after a crash (the document loads)"
		return 1
	fi
	echo "$MMPD_PID" >"$PIDFILE"
	restarts=$((restarts + 1))
	return 0
}

# The killer: at random moments, SIGKILL the mmpd whose PID is in PIDFILE,
# after checking that this PID is our mmpd on our state directory.
killer() {
	local k pid
	for k in $(seq 1 2000); do
		sleep "0.$(printf '%03d' $((RANDOM % 250 + 30)))"
		[ -f "$STOP" ] && return 0
		[ -f "$ARMED" ] || continue
		pid=$(cat "$PIDFILE" 2>/dev/null) || continue
		[ -n "$pid" ] || continue
		[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$MMPD_REAL" ] || continue
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$D/state" || continue
		kill -KILL "$pid" 2>/dev/null && echo "$pid" >>"$KILLS"
	done
}

mkdir -p "$D"
restarts=0
mmpd_start "$D" || tap_bail "mmpd does not start"
echo "$MMPD_PID" >"$PIDFILE"
read_values || tap_bail "mmpd does not answer: $(mmp_c turn)"
[ -n "$got_user" ] && [ -n "$got_tls" ] && [ -n "$got_host" ] ||
	tap_bail "the turn or hostname screen lacks Username, TLS port or the name"
cand[user]=$got_user
cand[tls]=$got_tls
cand[host]=$got_host

killer &
KILLER_PID=$!
cv_track "$KILLER_PID"
touch "$ARMED"

start=$SECONDS
acked=0
failed_alive=0
i=0
while [ "$i" -lt "$COMMITS" ] && [ $((SECONDS - start)) -lt "$TIME_CAP" ]; do
	i=$((i + 1))
	cmd_for "$i"
	out=$(timeout 10 "$MMP" --socket "$SOCK" -c "$line" </dev/null 2>&1)
	if [ $? -eq 0 ]; then
		cand[$key]=$val
		acked=$((acked + 1))
		continue
	fi
	# No answer: the change may or may not have been committed.
	cand[$key]="${cand[$key]} $val"
	if cv_alive "$MMPD_PID" && [ "$(ps -o stat= -p "$MMPD_PID" | cut -c1)" != Z ]; then
		# mmpd is up yet the command failed: that is a bug, not a crash.
		sleep 0.2
		if cv_alive "$MMPD_PID" && [ "$(ps -o stat= -p "$MMPD_PID" | cut -c1)" != Z ]; then
			failed_alive=$((failed_alive + 1))
			[ "$failed_alive" -le 3 ] && tap_diag "\"$line\" failed with mmpd running: $out"
			continue
		fi
	fi
	restart || break
	verify "crash $restarts (after commit $i)" || break
	touch "$ARMED"
done

touch "$STOP"
rm -f "$ARMED"
cv_stop_pid "$KILLER_PID" 2
cv_untrack "$KILLER_PID"
elapsed=$((SECONDS - start))
kills=$(wc -l <"$KILLS" 2>/dev/null || echo 0)

tap_diag "$i commands sent, $acked acknowledged, $kills kills, $restarts restarts, ${elapsed}s"
[ "$i" -lt "$COMMITS" ] && tap_diag "stopped at the time cap of ${TIME_CAP}s after $i commands"
tap_is "$failed_alive" 0 "no command failed while mmpd was running"
tap_ok $((acked > 0 ? 0 : 1)) "commands were acknowledged ($acked)"

# A clean restart at the end holds the final state too.
if cv_alive "${MMPD_PID:-0}" || restart; then
	mmpd_stop
	if mmpd_start "$D"; then
		verify "clean restart at the end"
		mmpd_stop
	else
		tap_ok 1 "mmpd starts after the run"
	fi
fi
if ls "$D/state" | grep -q '\.tmp$'; then
	tap_diag "left over: $(ls "$D/state" | grep '\.tmp$' | tr '\n' ' ')"
fi
tap_done
