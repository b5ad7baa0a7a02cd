# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers of the TURN integration scripts (sourced after lib.sh): a private
# network namespace named cvturn-<what>-<pid> (deleted on exit), running
# commands in it, client namespaces joined to it by veth pairs, starting
# convene-turn with a JSON config, and bounded waits for a listening port.

TURN=$top_builddir/services/convene-turn
PROBE="python3 $top_srcdir/tests/integration/turnprobe.py"
TURN_NS=
TURN_CLIENT_NS=

turn_cleanup() {
	local p ns
	cv_cleanup
	for ns in $TURN_CLIENT_NS $TURN_NS; do
		# Anything still in the namespaces was started by this script.
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	TURN_NS=
	TURN_CLIENT_NS=
}

# turn_netns WHAT: creates the namespace with lo up; sets TURN_NS.
turn_netns() {
	TURN_NS=cvturn-$1-$$
	ip netns del "$TURN_NS" 2>/dev/null
	ip netns add "$TURN_NS" || tap_bail "cannot create network namespace $TURN_NS"
	trap turn_cleanup EXIT
	ip -n "$TURN_NS" link set lo up
}

# turn_client_ns WHAT SERVER_CIDR CLIENT_CIDR: a client namespace
# cvturn-WHAT-<pid> joined to the server namespace (turn_netns first) by a
# veth pair, SERVER_CIDR on the server's end, CLIENT_CIDR on the client's,
# the client's default route through it. Sets CLIENT_NS.
turn_client_ns() {
	CLIENT_NS=cvturn-$1-$$
	ip netns del "$CLIENT_NS" 2>/dev/null
	ip netns add "$CLIENT_NS" || tap_bail "cannot create network namespace $CLIENT_NS"
	TURN_CLIENT_NS="$TURN_CLIENT_NS $CLIENT_NS"
	ip -n "$CLIENT_NS" link set lo up
	ip -n "$TURN_NS" link add "v-$1" type veth peer name eth0 netns "$CLIENT_NS" ||
		tap_bail "cannot create a veth pair for $1"
	ip -n "$TURN_NS" addr add "$2" dev "v-$1"
	ip -n "$CLIENT_NS" addr add "$3" dev eth0
	ip -n "$TURN_NS" link set "v-$1" up
	ip -n "$CLIENT_NS" link set eth0 up
	ip -n "$CLIENT_NS" route add default via "${2%/*}" ||
		tap_bail "cannot route $1 through ${2%/*}"
}

# Foreground only: a function run with & is a subshell whose PID is not the
# program's. In the background use ns_bg, which starts the program itself
# (ip netns exec execs it) and records its PID in BG_PID.
in_ns() { ip netns exec "$TURN_NS" "$@"; }

ns_bg() {
	ip netns exec "$TURN_NS" "$@" &
	BG_PID=$!
	cv_track "$BG_PID"
}

# in_client NS CMD... (foreground) and client_bg NS CMD... (sets BG_PID):
# the same in a client namespace.
in_client() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

client_bg() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" &
	BG_PID=$!
	cv_track "$BG_PID"
}

# ns_mmpd_start DIR: mmpd in the namespace with its state in DIR/state,
# services from DIR/svc and no interface mapped (it renders configs and
# applies nothing to the kernel); sets SOCK and MMPD_PID.
ns_mmpd_start() {
	local d=$1 i=0
	mkdir -p "$d/state/files" "$d/svc"
	: >"$d/state/ifmap"
	SOCK=$d/mmpd.sock
	ns_bg "$MMPD" --foreground --state-dir "$d/state" --socket "$SOCK" --service-dir "$d/svc" \
		</dev/null >>"$d/mmpd.log" 2>&1
	MMPD_PID=$BG_PID
	while [ ! -S "$SOCK" ] && [ "$i" -lt 100 ] && cv_alive "$MMPD_PID"; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S "$SOCK" ] || { tap_diag_file "$d/mmpd.log"; tap_bail "mmpd did not start"; }
}

# media_require: root and the built engine; sets MEDIA.
media_require() {
	MEDIA=$top_builddir/services/convene-media
	cv_require_root
	[ -x "$MEDIA" ] || tap_bail "$MEDIA is not built"
}

# ns_media_start CONFIG CTL: convene-media ($MEDIA) with CONFIG in the
# namespace, waiting (5 s at most) for its control socket CTL; sets
# MEDIA_PID.
ns_media_start() {
	local i=0
	ns_bg "$MEDIA" --config "$1"
	MEDIA_PID=$BG_PID
	while [ ! -S "$2" ] && [ "$i" -lt 50 ] && cv_alive "$MEDIA_PID"; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S "$2" ] || tap_bail "the engine did not open its control socket"
}

# turn_wait_port PROTO(u|t) ADDR PORT [gone]: waits (10 s at most) until the
# namespace has (or, with "gone", no longer has) a listener there.
turn_wait_port() {
	local i=0 pat
	case $2 in *:*) pat="\[$2\]:$3 " ;; *) pat="$2:$3 " ;; esac
	while [ "$i" -lt 100 ]; do
		if in_ns ss -ln"$1" 2>/dev/null | grep -q "$pat"; then
			[ "${4:-}" = gone ] || return 0
		else
			[ "${4:-}" = gone ] && return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# turn_start CONFIG LOG: starts convene-turn in the namespace; sets TURN_PID.
turn_start() {
	ns_bg "$TURN" --config "$1" >"$2" 2>&1
	TURN_PID=$BG_PID
}

turn_stop() {
	[ -n "${TURN_PID:-}" ] || return 0
	cv_stop_pid "$TURN_PID" 5
	cv_untrack "$TURN_PID"
	TURN_PID=
}

# turn_require: root, the built relay and python3 (the probe), or the script
# does not apply.
turn_require() {
	cv_require_root
	[ -x "$TURN" ] || tap_bail "$TURN is not built"
	command -v python3 >/dev/null || tap_skip_all "python3 is not installed"
}

# turn_cert DIR [SUBJECT-ALT-NAME]: a self-signed identity DIR/turn.key and
# DIR/turn.crt (DIR is the "upload directory" of the TLS port's config).
turn_cert() {
	mkdir -p "$1"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=turn.test" ${2:+-addext "subjectAltName=$2"} \
		-keyout "$1/turn.key" -out "$1/turn.crt" >/dev/null 2>&1 ||
		tap_bail "openssl cannot make a test certificate"
}

# turn_tap NAME STATUS FILE: what turnprobe.py wrote to FILE as TAP lines
# "NAME: ...": one per PASS or FAIL line, its amplification figures as
# comments, and one for the run (STATUS, its last line).
turn_tap() {
	local line
	while read -r line; do
		case $line in
		PASS*) tap_ok 0 "$1: ${line#PASS }" ;;
		FAIL*) tap_ok 1 "$1: ${line#FAIL }" ;;
		*amplification*) tap_diag "$line" ;;
		esac
	done <"$3"
	tap_ok "$2" "$1: $(tail -1 "$3")" || tap_diag_file "$3"
}

# turn_config FILE LISTEN_IP EXTRA_JSON: a rendered config as mmpd writes it,
# interface a = LISTEN_IP; EXTRA_JSON is added to the "config" object.
turn_config() {
	cat >"$1" <<JSON
{"service": "turn",
 "config": {"enabled": true, "listen": ["a"], "realm": "example.org"$3},
 "tls": {}, "interfaces": {"a": {"address": "$2", "prefixlen": 24, "kernel": null}},
 "hostname": "CMS"}
JSON
}

# The pids of convene-turn processes in the namespace.
turn_pids_in_ns() {
	local p
	for p in $(ip netns pids "$TURN_NS" 2>/dev/null); do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = convene-turn ] && echo "$p"
	done
}
