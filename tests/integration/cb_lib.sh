# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers of the call bridge scripts (sourced after lib.sh): the appliance
# of issue 10 in a private network namespace with a peer namespace joined
# by a veth pair, mmpd started there with convene-callbridge in its service
# directory, the operator story through mmp, and curl from the peer.
#
#   server namespace cvcb-<what>-<pid>:  10.124.144.90/24 on v-peer
#   peer namespace   cvcbp-<what>-<pid>: 10.124.144.10/24 on eth0
#
# Interfaces stay unmapped (empty ifmap): mmpd applies nothing to the
# kernel, it only renders interface a = 10.124.144.90 into the service's
# config; the address itself is put on the veth here.

CALLBRIDGE=$top_builddir/services/convene-callbridge
CB_ADDR=10.124.144.90
CB_PEER_ADDR=10.124.144.10
CB_NS=
CB_PEER_NS=
CB_D=
API_USER=apiuser
API_PW=Api.user.Pw1
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
CB_CLIENT="$PY $top_srcdir/tests/integration/cb_client.py"

cb_cleanup() {
	local p ns
	cv_cleanup
	for ns in $CB_PEER_NS $CB_NS; do
		# Anything still in the namespaces was started by this script
		# (or by the mmpd it started).
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	CB_NS=
	CB_PEER_NS=
}

# cb_require: root, mmpd and mmp, the call bridge program, curl, python3.
cb_require() {
	cv_require_root
	cv_require_programs
	[ -x "$CALLBRIDGE" ] || tap_bail "$CALLBRIDGE is not built"
	command -v curl >/dev/null || tap_skip_all "curl is not installed"
	command -v "$PY" >/dev/null || tap_skip_all "python3 is not installed"
}

# cb_netns WHAT: both namespaces and the veth pair between them.
cb_netns() {
	CB_NS=cvcb-$1-$$
	CB_PEER_NS=cvcbp-$1-$$
	trap cb_cleanup EXIT
	ip netns del "$CB_NS" 2>/dev/null
	ip netns del "$CB_PEER_NS" 2>/dev/null
	ip netns add "$CB_NS" || tap_bail "cannot create network namespace $CB_NS"
	ip netns add "$CB_PEER_NS" || tap_bail "cannot create network namespace $CB_PEER_NS"
	ip -n "$CB_NS" link set lo up
	ip -n "$CB_PEER_NS" link set lo up
	ip -n "$CB_NS" link add v-peer type veth peer name eth0 netns "$CB_PEER_NS" ||
		tap_bail "cannot create the veth pair"
	ip -n "$CB_NS" addr add "$CB_ADDR/24" dev v-peer
	ip -n "$CB_PEER_NS" addr add "$CB_PEER_ADDR/24" dev eth0
	# No IPv6 link-local address: it would appear a moment after the link
	# comes up (duplicate address detection), and Chromium aborts a
	# navigation under way when an address changes (ERR_NETWORK_CHANGED,
	# seen once in CI). The tests speak IPv4 only.
	ip -n "$CB_NS" link set v-peer addrgenmode none
	ip -n "$CB_PEER_NS" link set eth0 addrgenmode none
	ip -n "$CB_NS" link set v-peer up
	ip -n "$CB_PEER_NS" link set eth0 up
}

in_cb() { ip netns exec "$CB_NS" "$@"; }
in_peer() { ip netns exec "$CB_PEER_NS" "$@"; }

# peer_bg CMD...: CMD in the peer namespace in the background; BG_PID.
peer_bg() {
	ip netns exec "$CB_PEER_NS" "$@" &
	BG_PID=$!
	cv_track "$BG_PID"
}

# cb_mmpd_start: mmpd (the test build: CONVENE_BACKOFF_SCALE shortens the
# supervisor's back-off) in the server namespace, state in $CB_D. Sets
# MMPD_PID and SOCK. Keeps the state of an earlier run in $CB_D.
cb_mmpd_start() {
	local i=0
	CB_D=${CB_D:-$CV_TMP/m}
	mkdir -p "$CB_D/state" "$CB_D/svc"
	# The call bridge runs as its own user: it reaches its data directory
	# (<state>/services/callbridge) and mmpd's socket through these.
	chmod 0711 "$CV_TMP" "$CB_D"
	[ -e "$CB_D/state/ifmap" ] || : >"$CB_D/state/ifmap"
	ln -sf "$CALLBRIDGE" "$CB_D/svc/convene-callbridge"
	SOCK=$CB_D/mmpd.sock
	rm -f "$SOCK"
	ip netns exec "$CB_NS" "$MMPD_TEST" --foreground --state-dir "$CB_D/state" \
		--socket "$SOCK" --service-dir "$CB_D/svc" </dev/null >>"$CB_D/mmpd.log" 2>&1 &
	MMPD_PID=$!
	cv_track "$MMPD_PID"
	while [ ! -S "$SOCK" ] && [ "$i" -lt 100 ] && cv_alive "$MMPD_PID"; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S "$SOCK" ] && return 0
	tap_diag_file "$CB_D/mmpd.log"
	return 1
}

# cb_add_user NAME ROLE PASSWORD: user add, the password typed twice. A
# user other than api must change the password at first login: that is
# done here as the user would (passwd), to PASSWORD itself from a first one.
cb_add_user() {
	if [ "$2" = api ]; then
		printf 'user add %s %s\n%s\n%s\n' "$1" "$2" "$3" "$3" >"$CV_TMP/adduser"
		mmp_script "$CV_TMP/adduser"
		return
	fi
	printf 'user add %s %s\nFirst.%s.1\nFirst.%s.1\n' "$1" "$2" "$1" "$1" >"$CV_TMP/adduser"
	mmp_script "$CV_TMP/adduser"
	printf 'passwd\nFirst.%s.1\n%s\n%s\n' "$1" "$3" "$3" >"$CV_TMP/adduser"
	timeout 30 "$MMP" --socket "$SOCK" --user "$1" <"$CV_TMP/adduser" 2>&1
}

# cb_mmp_ok COMMAND...: each command through mmp, a TAP line "mmp: COMMAND"
# that passes when it printed no failure (the output as a diagnostic when
# it did); the last output stays in MMP_OUT.
cb_mmp_ok() {
	local c st
	for c in "$@"; do
		MMP_OUT=$(mmp_c "$c")
		case $MMP_OUT in *FAILURE* | *rror*) st=1 ;; *) st=0 ;; esac
		tap_ok $st "mmp: $c" || tap_diag "$MMP_OUT"
	done
}

# cb_operator_story: the commands of issue 10, as TAP lines; the `user add`
# answers the password prompts with $API_PW.
cb_operator_story() {
	local c out st
	cb_mmp_ok "ipv4 a add $CB_ADDR/24 10.124.144.1" "pki selfsigned core" \
		"callbridge listen a" "callbridge certs core.key core.crt" \
		"webadmin listen a 443" "webadmin certs core.key core.crt"
	out=$(cb_add_user "$API_USER" api "$API_PW")
	mmp_c "user list" | grep -q "^$API_USER  *api " 
	tap_ok $? "mmp: user add $API_USER api (password typed twice)" || tap_diag "$out"
	for c in "webadmin enable" "callbridge enable"; do
		out=$(mmp_c "$c")
		case $out in *FAILURE* | *rror*) st=1 ;; *) st=0 ;; esac
		tap_ok $st "mmp: $c${out:+ ($out)}" || tap_diag "$out"
	done
}

# cb_wait_https [SECONDS]: waits (bounded, 20 s by default) until the
# listener answers an HTTPS request from the peer (any HTTP status).
cb_wait_https() {
	local i=0 n=$((${1:-20} * 5)) code
	while [ "$i" -lt "$n" ]; do
		code=$(in_peer curl -sk -o /dev/null -w '%{http_code}' --max-time 2 \
			"https://$CB_ADDR/api/v1/system/status" 2>/dev/null)
		case $code in [1-5][0-9][0-9]) return 0 ;; esac
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# cb_pids: the pids of convene-callbridge processes in the server namespace.
cb_pids() {
	local p
	for p in $(ip netns pids "$CB_NS" 2>/dev/null); do
		case $(readlink "/proc/$p/exe" 2>/dev/null) in
		*/convene-callbridge*) echo "$p" ;;
		esac
	done
}

# cb_start_appliance WHAT: namespaces, mmpd, the operator story, the
# listener up. The TAP lines of the story are printed.
cb_start_appliance() {
	cb_netns "$1"
	cb_mmpd_start || tap_bail "mmpd did not start"
	cb_operator_story
	cb_wait_https 30
	tap_ok $? "the Web Admin/API listener answers on https://$CB_ADDR/" ||
		{ tap_diag_file "$CB_D/mmpd.log"; tap_diag "$(mmp_c 'syslog' | tail -n 30)"; }
}

# --- the API through curl from the peer ------------------------------------------------

# api METHOD PATH [BODY] [curl options...]: one request as $API_USER to
# https://$CB_ADDR/api/v1$PATH with BODY as a form body. Sets API_STATUS,
# API_LOC (the Location header, "" if none), API_BODY and API_HDRS.
api() {
	local m=$1 p=$2 body=${3-} d=$CV_TMP/api
	shift 2
	[ $# -gt 0 ] && shift
	mkdir -p "$d"
	: >"$d/h"
	: >"$d/b"
	if [ -n "$body" ] || [ "$m" = POST ] || [ "$m" = PUT ]; then
		printf '%s' "$body" >"$d/req"
		set -- --data-binary @"$d/req" -H 'Content-Type: application/x-www-form-urlencoded' "$@"
	fi
	API_STATUS=$(in_peer curl -sk -X "$m" --max-time 20 -u "$API_USER:$API_PW" \
		-D "$d/h" -o "$d/b" -w '%{http_code}' "$@" "https://$CB_ADDR/api/v1$p" 2>/dev/null)
	API_HDRS=$(tr -d '\r' <"$d/h")
	API_LOC=$(printf '%s\n' "$API_HDRS" | sed -n 's/^[Ll]ocation: *//p' | tail -n 1)
	API_BODY=$(cat "$d/b")
}

# xmlnorm: the XML on stdin on one line, without the white space between
# elements (the spec's examples are indented; the comparison is not).
xmlnorm() { tr -d '\r\n' | sed -e 's/>[[:space:]]*</></g' -e 's/^[[:space:]]*//;s/[[:space:]]*$//'; }

GUID_RE='[0-9a-f]\{8\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{12\}'

# created COLLECTION DESCRIPTION: the last api call was a create: 200, a
# Location /api/v1/COLLECTION/<guid>, an empty body. Sets NEW_ID.
created() {
	NEW_ID=
	if [ "$API_STATUS" = 200 ] && [ -z "$API_BODY" ] &&
		printf '%s' "$API_LOC" | grep -q "^/api/v1/$1/$GUID_RE\$"; then
		NEW_ID=${API_LOC##*/}
		tap_ok 0 "$2: 200, Location /api/v1/$1/<id>"
	else
		tap_ok 1 "$2"
		tap_diag "status $API_STATUS, Location '$API_LOC', body: $API_BODY"
		return 1
	fi
}

# failed STATUS XML DESCRIPTION: the last api call got STATUS and the
# failureDetails body XML (compared without white space).
failed() {
	local got
	got=$(printf '%s' "$API_BODY" | xmlnorm)
	tap_is "$API_STATUS $got" "$1 <?xml version=\"1.0\"?>$2" "$3"
}

# --- the XMPP link's status (the XMPP tests) ---------------------------------------

# xs FIELD: the field of the last status read (xmppState, xmppServer...).
xs() { printf '%s' "$API_BODY" | sed -n "s|.*<$1>\\(.*\\)</$1>.*|\\1|p" | head -n 1; }

# wait_status FIELD VALUE [SECONDS]: polls /system/status (bounded, 20 s by
# default) until FIELD is VALUE; the last body stays in API_BODY.
wait_status() {
	local i=0 n=$((${3:-20} * 4))
	while [ "$i" -lt "$n" ]; do
		api GET /system/status
		[ "$(xs "$1")" = "$2" ] && return 0
		sleep 0.25
		i=$((i + 1))
	done
	return 1
}

# status_line: the XMPP fields of the last status, for diagnostics.
status_line() {
	printf 'state=%s server=%s address=%s reason=%s detail=%s' "$(xs xmppState)" \
		"$(xs xmppServer)" "$(xs xmppServerAddress)" "$(xs xmppReason)" "$(xs xmppDetail)"
}

# logged TEXT: the log store (the call bridge's lines through mmpd) has TEXT.
logged() { grep -F -q -- "$1" "$CB_D/state/log/convene.log"; }
