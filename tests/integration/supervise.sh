#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mmpd's supervisor with a real child: install the test-only service program
# (tests/helpers/svc_crashy) as convene-callbridge, the process that serves
# webadmin (mmpd_super.c), configure and enable webadmin through mmp, make the service crash over and over with its control
# file, and check in the log store that every crash is seen and answered with
# a restart whose back-off delay and restart count grow; then heal it and
# check it ends up running, that disable stops it, and that SIGTERM to mmpd
# stops its services too. CONVENE_BACKOFF_SCALE keeps the delays short.
# Nothing here measures time: the delays are read from mmpd's log lines, and
# every wait is a bounded poll.
set -u
. "$(dirname "$0")/lib.sh"
cv_use_test_mmpd

[ -x "$MMPD" ] || tap_skip_all "$MMPD is not built"
[ -x "$MMP" ] || tap_skip_all "$MMP is not built"
[ -x "$SVC_HELPER" ] || tap_skip_all "$SVC_HELPER is not built"
cv_require_root
cv_init supervise

export CONVENE_BACKOFF_SCALE=0.1
D=$CV_TMP/m
LOG=$D/state/log/convene.log
RUN=$D/state/run
mkdir -p "$D/state/files" "$D/svc"
cp "$SVC_HELPER" "$D/svc/convene-callbridge"
# A real key and certificate: enable checks that they parse and match.
cp "$top_srcdir/tests/golden/fixtures/pki/edge.key" "$D/state/files/x.key"
cp "$top_srcdir/tests/golden/fixtures/pki/edge-fullchain.cer" "$D/state/files/x.crt"

# wait_log PATTERN TENTHS [COUNT]: until the log has COUNT (default 1) lines
# matching the extended regex PATTERN, at most TENTHS tenths of a second.
wait_log() {
	local i=0 want=${3:-1}
	while [ "$i" -lt "$2" ]; do
		[ "$(grep -cE -- "$1" "$LOG" 2>/dev/null)" -ge "$want" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wait_screen COMMAND TEXT TENTHS: until COMMAND's output contains TEXT.
wait_screen() {
	local i=0
	while [ "$i" -lt "$3" ]; do
		mmp_c "$1" | grep -qF -- "$2" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# The pid in the last "service callbridge <what> (pid N)" line of the log.
last_pid() {
	grep -E "mmpd: .* service callbridge $1 \(pid [0-9]+\)" "$LOG" | tail -n 1 |
		sed -E 's/.*\(pid ([0-9]+)\).*/\1/'
}

if ! mmpd_start "$D"; then
	tap_ok 1 "mmpd starts and opens its socket"
	tap_done
	exit 1
fi
tap_ok 0 "mmpd starts and opens its socket"

# --- configure and enable (spec/mmp.md 1.4 and 7) ---
out=
st=0
for cmd in 'ipv4 a add 192.0.2.10/24 192.0.2.1' 'webadmin listen a 443' \
	'webadmin certs x.key x.crt'; do
	o=$(mmp_c "$cmd") || st=1
	out="$out$o"
done
tap_is "$st:$out" "0:" "webadmin configuration commands succeed silently"

out=$(mmp_c 'webadmin enable')
st=$?
tap_ok "$( [ "$st" -eq 0 ] && printf '%s\n' "$out" | grep -qx 'SUCCESS: Webadmin enabled'; echo $?)" \
	"webadmin enable succeeds" || tap_diag "status $st: $out"

wait_log 'mmpd: INFO : service callbridge is running \(pid [0-9]+\)' 100
tap_ok $? "the service reports ready and mmpd logs it running" || tap_diag_file "$LOG"
PID1=$(last_pid 'is running')

conf_ok=1
if [ -f "$RUN/callbridge.json" ] && [ "$(stat -c %a "$RUN/callbridge.json")" = 600 ] &&
	grep -q '"service":"callbridge"' "$RUN/callbridge.json" &&
	grep -q '"address":"192.0.2.10"' "$RUN/callbridge.json" &&
	grep -q "callbridge: INFO : test service callbridge starting" "$LOG"; then
	conf_ok=0
fi
tap_ok $conf_ok "the rendered config is mode 0600, reaches the service, and its stderr is logged" ||
	tap_diag_file "$RUN/callbridge.json"

wait_screen webadmin 'STATUS                  : webadmin running' 50
tap_ok $? "the webadmin screen shows it running" || tap_diag "$(mmp_c webadmin)"

# --- crash over and over ---
touch "$RUN/callbridge.crash"
wait_log 'mmpd: WARNING : service callbridge exited with status 3; restarting in [0-9.]+ s \(restart [0-9]+\)' 300 4
tap_ok $? "every crash is logged with a scheduled restart (4 seen)" || tap_diag_file "$LOG" 80
grep -q 'callbridge: ERROR : test service callbridge crashing on purpose' "$LOG"
tap_ok $? "the service's own last line (err: level) is logged as ERROR"

CRASHES=$(grep -E 'service callbridge exited with status 3; restarting in' "$LOG" | head -n 4)
DELAYS=$(printf '%s\n' "$CRASHES" | sed -E 's/.*restarting in ([0-9.]+) s.*/\1/' | tr '\n' ' ')
printf '%s\n' "$DELAYS" | awk '{ for (i = 2; i <= NF; i++) if ($i + 0 <= $(i - 1) + 0) exit 1;
	exit NF == 4 ? 0 : 1 }'
tap_ok $? "the back-off delays grow: $DELAYS" || tap_diag "$CRASHES"

COUNTS=$(printf '%s\n' "$CRASHES" | sed -E 's/.*\(restart ([0-9]+)\).*/\1/' | tr '\n' ' ')
tap_is "$COUNTS" "1 2 3 4 " "the restart count rises with every crash"

# --- heal ---
rm -f "$RUN/callbridge.crash"
healed=1
for _ in $(seq 1 200); do
	# Running when the last webadmin line of mmpd says so and the screen agrees.
	last=$(grep -E 'mmpd: .* service callbridge ' "$LOG" | tail -n 1)
	case $last in
	*"service callbridge is running (pid "*)
		if mmp_c webadmin | grep -qF 'STATUS                  : webadmin running'; then
			healed=0
			break
		fi
		;;
	esac
	sleep 0.1
done
tap_ok $healed "after the control file is removed the service ends up running" ||
	tap_diag_file "$LOG" 120
PID2=$(last_pid 'is running')
if [ -n "$PID2" ] && [ "$PID2" != "$PID1" ] && cv_alive "$PID2"; then st=0; else st=1; fi
tap_ok $st "it runs as a new process (pid $PID2, first was $PID1)"

out=$(mmp_c health_check)
printf '%s\n' "$out" | grep -qx 'SUCCESS: webadmin running'
tap_ok $? "health_check reports webadmin running" || tap_diag "$out"

# --- the whole process group ---
# A child of the service that ignores SIGTERM goes when the service stops.
touch "$RUN/callbridge.child"
NRUN=$(grep -c 'service callbridge is running (pid ' "$LOG")
mmp_c 'webadmin restart' >/dev/null
wait_log 'service callbridge is running \(pid [0-9]+\)' 100 $((NRUN + 1))
PID2=$(last_pid 'is running')
CHILD=
for _ in $(seq 1 50); do
	CHILD=$(cat "$RUN/callbridge.childpid" 2>/dev/null) && [ -n "$CHILD" ] && cv_alive "$CHILD" &&
		break
	sleep 0.1
done
rm -f "$RUN/callbridge.child"
[ -n "$CHILD" ] && cv_track "$CHILD"
tap_ok "$([ -n "$CHILD" ] && cv_alive "$CHILD"; echo $?)" "the service started a child (pid $CHILD)"

# --- disable stops it ---
mmp_c 'webadmin disable' >/dev/null
wait_log 'service callbridge stopped \(exited with status 0\)' 100
st=$?
[ $st -eq 0 ] && cv_wait_gone "$PID2" 50 || st=1
tap_ok $st "disable stops the service with SIGTERM (pid $PID2 gone)"
cv_wait_gone "$CHILD" 50
tap_ok $? "and its child that ignored SIGTERM with it, by its process group"

# --- a service that keeps crashing is given up ---
touch "$RUN/callbridge.crash"
mmp_c 'webadmin enable' >/dev/null
wait_log 'service callbridge failed: it stopped 8 times in a row, last exited with status 3; not restarting it' 600
tap_ok $? "after 8 crashes in a row mmpd gives the service up and says why" || tap_diag_file "$LOG" 40
NCRASH=$(grep -c 'service callbridge exited with status 3; restarting in' "$LOG")
sleep 1
tap_is "$(grep -c 'service callbridge exited with status 3; restarting in' "$LOG")" "$NCRASH" \
	"and starts it no more"
out=$(mmp_c health_check)
printf '%s\n' "$out" | grep -qx 'FAILURE: webadmin failed and is not restarted (exited with status 3); "webadmin restart" tries again'
tap_ok $? "health_check reports it failed, with its last exit" || tap_diag "$out"
rm -f "$RUN/callbridge.crash"
NRUN=$(grep -c 'service callbridge is running (pid ' "$LOG")
mmp_c 'webadmin restart' >/dev/null
wait_log 'service callbridge is running \(pid [0-9]+\)' 100 $((NRUN + 1))
tap_ok $? "webadmin restart starts it again"
mmp_c 'webadmin disable' >/dev/null
wait_log 'service callbridge stopped \(exited with status 0\)' 100 2

# --- SIGTERM to mmpd stops its services ---
NRUN=$(grep -c 'service callbridge is running (pid ' "$LOG")
mmp_c 'webadmin enable' >/dev/null
wait_log 'service callbridge is running \(pid [0-9]+\)' 100 $((NRUN + 1))
PID3=$(last_pid 'is running')
mmpd_stop
st=1
if [ -n "$PID3" ] && [ "$PID3" != "$PID2" ] && cv_wait_gone "$PID3" 50 &&
	grep -q 'mmpd: INFO : all services stopped' "$LOG"; then
	st=0
fi
tap_ok $st "SIGTERM to mmpd stops the running service (pid $PID3) and mmpd exits" ||
	tap_diag_file "$D/mmpd.log"

tap_done
