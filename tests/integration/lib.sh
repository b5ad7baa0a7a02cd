# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for the integration scripts (sourced, bash): TAP output,
# private temporary directories, and starting/stopping mmpd by its PID.
#
# Every process a script starts is recorded and stopped by PID in the EXIT
# trap; every wait is bounded. The scripts find the programs through
# $top_builddir and the data through $top_srcdir (set by `make check`; when
# run by hand they default to the build tree found from the current
# directory and the source tree beside this file).

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$PWD}"
export top_srcdir top_builddir

MMPD=$top_builddir/mmpd
# The test build of mmpd (tests/helpers/test_hooks.c): the same program, but
# it honours CONVENE_TEST_NOW and CONVENE_BACKOFF_SCALE. Scripts that pin
# the clock or shorten the back-off use it with cv_use_test_mmpd.
MMPD_TEST=$top_builddir/tests/helpers/mmpd-test
cv_use_test_mmpd() { MMPD=$MMPD_TEST; }
MMP=$top_builddir/mmp
SVC_HELPER=$top_builddir/tests/helpers/svc_crashy

# --- TAP ------------------------------------------------------------------------

TAP_N=0
TAP_FAILED=0

tap_ok() { # tap_ok STATUS DESCRIPTION  (STATUS 0 passes)
	# A "#" in the description would start a TAP directive: escape it.
	local desc=${2//#/\\#}
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_N - $desc"
	else
		echo "not ok $TAP_N - $desc"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
	return "$1"
}

tap_is() { # tap_is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then
		tap_ok 0 "$3"
	else
		tap_ok 1 "$3"
		tap_diag "got:  $(printf '%s' "$1" | head -c 2000)"
		tap_diag "want: $(printf '%s' "$2" | head -c 2000)"
		return 1
	fi
}

tap_skip() { # tap_skip REASON DESCRIPTION
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $2 # SKIP $1"
}

tap_diag() { # every line of "$*" as a TAP comment
	printf '%s\n' "$*" | sed 's/^/# /'
}

tap_diag_file() { # the first lines of a file as TAP comments
	[ -f "$1" ] && head -n "${2:-40}" "$1" | sed 's/^/# /'
	return 0
}

# browser_require: node, playwright-core and chromium for the browser tests;
# sets BROWSER_DIR, MODULES, NODE and CHROMIUM. Missing node or
# playwright-core fails (scripts/install-browser-deps installs them); a
# missing chromium skips.
browser_require() {
	BROWSER_DIR=$top_srcdir/tests/browser
	MODULES=${CONVENE_BROWSER_MODULES:-$BROWSER_DIR/node_modules}
	NODE=$(command -v node) || tap_bail "node is not installed (run scripts/install-browser-deps)"
	[ -d "$MODULES/playwright-core" ] ||
		tap_bail "playwright-core is not in $MODULES (run scripts/install-browser-deps)"
	CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
	[ -x "$CHROMIUM" ] || tap_skip_all "$CHROMIUM is not installed (apt-get install chromium)"
}

# browser_probe (after cv_init): can chromium start at all here (a container
# without the kernel features it needs, say)? Asked once, outside playwright,
# so that the answer is a skip with chromium's own words rather than a
# failure of the test. Makes $CV_TMP/home, the browser's HOME.
browser_probe() {
	local st
	mkdir -p "$CV_TMP/home"
	HOME="$CV_TMP/home" timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-dev-shm-usage --dump-dom about:blank >"$CV_TMP/probe.out" 2>&1
	st=$?
	if [ "$st" -ne 0 ] || ! grep -q '<body' "$CV_TMP/probe.out"; then
		tap_skip_all "chromium cannot run here (exit status $st): $(grep -v '^$' \
			"$CV_TMP/probe.out" | tail -n 1 | cut -c1-200)"
	fi
}

# browser_scripts SCRIPT...: the scripts (and tap.mjs) in $CV_TMP/run with
# node_modules beside them: node resolves an ES module's imports from the
# script's folder (NODE_PATH does not apply to them), and the distcheck
# tree has no node_modules of its own.
browser_scripts() {
	mkdir -p "$CV_TMP/run"
	for f in tap.mjs "$@"; do
		cp "$BROWSER_DIR/$f" "$CV_TMP/run/"
	done
	ln -sfn "$MODULES" "$CV_TMP/run/node_modules"
}

peer_tap() { # peer_tap FILE: the PASS/FAIL lines of a peer script (peer_results.py) as TAP
	local line
	while read -r line; do
		case $line in
		"PASS "*) tap_ok 0 "${line#PASS }" ;;
		"FAIL "*) tap_ok 1 "${line#FAIL }" ;;
		esac
	done <"$1"
}

tap_skip_all() { # tap_skip_all REASON: the whole script does not apply here
	echo "1..0 # SKIP $1"
	exit 0
}

tap_bail() {
	echo "Bail out! $*"
	exit 1
}

tap_done() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}

# --- environment checks -------------------------------------------------------------

cv_require_root() {
	[ "$(id -u)" -eq 0 ] || tap_skip_all "needs root (mmp --user and SO_PEERCRED roles)"
}

cv_require_programs() {
	[ -x "$MMPD" ] || tap_bail "$MMPD is not built"
	[ -x "$MMP" ] || tap_bail "$MMP is not built"
}

# --- temporary directories and cleanup -------------------------------------------

CV_TMP=
CV_PIDS=

cv_cleanup() {
	local pid
	for pid in $CV_PIDS; do
		cv_stop_pid "$pid" 5
	done
	CV_PIDS=
	if [ -n "$CV_TMP" ] && [ -d "$CV_TMP" ] && [ -z "${CV_KEEP_TMP:-}" ]; then
		rm -rf "$CV_TMP"
	fi
}

cv_init() { # cv_init NAME: private temp dir in $CV_TMP, cleanup on exit
	CV_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cv-$1-XXXXXX") || tap_bail "mktemp failed"
	trap cv_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

cv_track() { CV_PIDS="$CV_PIDS $1"; }

cv_untrack() {
	local p out=
	for p in $CV_PIDS; do
		[ "$p" = "$1" ] || out="$out $p"
	done
	CV_PIDS=$out
}

cv_alive() { kill -0 "$1" 2>/dev/null; }

# cv_wait_gone PID TENTHS: wait (bounded) until PID is gone; reaps our children.
# A zombie counts as gone: it has ended, and one that is not our child (a
# service's child, reparented to a PID 1 that may not reap) stays a zombie.
cv_wait_gone() {
	local i=0
	while cv_alive "$1" && [ "$i" -lt "$2" ]; do
		if [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]; then
			wait "$1" 2>/dev/null
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	! cv_alive "$1"
}

# cv_stop_pid PID SECONDS: SIGTERM, wait (bounded), then SIGKILL.
cv_stop_pid() {
	cv_alive "$1" || { wait "$1" 2>/dev/null; return 0; }
	kill -TERM "$1" 2>/dev/null
	if ! cv_wait_gone "$1" $(($2 * 10)); then
		kill -KILL "$1" 2>/dev/null
		cv_wait_gone "$1" 50
	fi
	wait "$1" 2>/dev/null
	return 0
}

# --- mmpd --------------------------------------------------------------------------------

# An mmpd instance lives in a directory D: D/state (the state dir), D/svc
# (service dir), D/mmpd.sock, D/mmpd.log (its stdout and stderr).
# mmpd_start D [EXTRA ARGS...] sets MMPD_PID and SOCK; returns non-zero
# (with the log as TAP comments) if the socket does not appear in 10 s.
mmpd_start() {
	local d=$1 i=0
	shift
	mkdir -p "$d/state" "$d/svc"
	# No interface is mapped unless the test says so: mmpd would otherwise
	# map a-d to this machine's own Ethernet devices, and the screens would
	# depend on the machine.
	[ -e "$d/state/ifmap" ] || : >"$d/state/ifmap"
	SOCK=$d/mmpd.sock
	rm -f "$SOCK" # a killed instance leaves its socket behind
	"$MMPD" --foreground --state-dir "$d/state" --socket "$SOCK" \
		--service-dir "$d/svc" "$@" </dev/null >>"$d/mmpd.log" 2>&1 &
	MMPD_PID=$!
	cv_track "$MMPD_PID"
	while [ ! -S "$SOCK" ] && [ "$i" -lt 100 ]; do
		if ! cv_alive "$MMPD_PID"; then
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	if [ ! -S "$SOCK" ]; then
		tap_diag "mmpd did not open $SOCK; its log:"
		tap_diag_file "$d/mmpd.log"
		cv_stop_pid "$MMPD_PID" 2
		cv_untrack "$MMPD_PID"
		return 1
	fi
	return 0
}

mmpd_stop() { # SIGTERM the current mmpd and wait for it
	[ -n "${MMPD_PID:-}" ] || return 0
	cv_stop_pid "$MMPD_PID" 10
	cv_untrack "$MMPD_PID"
	MMPD_PID=
}

mmpd_kill9() { # SIGKILL the current mmpd and reap it
	[ -n "${MMPD_PID:-}" ] || return 0
	kill -KILL "$MMPD_PID" 2>/dev/null
	cv_wait_gone "$MMPD_PID" 50
	wait "$MMPD_PID" 2>/dev/null
	cv_untrack "$MMPD_PID"
	MMPD_PID=
}

# mmp_c [--user U] COMMAND: one command against $SOCK; output on stdout+stderr.
mmp_c() {
	if [ "$1" = --user ]; then
		timeout 30 "$MMP" --socket "$SOCK" --user "$2" -c "$3" </dev/null 2>&1
	else
		timeout 30 "$MMP" --socket "$SOCK" -c "$1" </dev/null 2>&1
	fi
}

# mmp_script FILE [ARGS...]: the lines of FILE through mmp's stdin.
mmp_script() {
	local f=$1
	shift
	timeout 120 "$MMP" --socket "$SOCK" "$@" <"$f" 2>&1
}
