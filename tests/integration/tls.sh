#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The TLS layer (certs/tls.h) against GnuTLS's own tools (gnutls-bin):
# tests/unit/certs/tls_peer is our side, gnutls-serv and gnutls-cli the other.
#   - server mode: a full chain lets a client that trusts only the root
#     verify us; a leaf alone does not;
#   - client mode: the server's name is checked against its SANs (a second
#     SAN passes, a wrong name fails), and against the trust bundle;
#   - mutual TLS: a client certificate from the trusted CA is accepted, none
#     or one from another CA is refused, and a server that trusts another CA
#     refuses ours; the same from the client side against gnutls-serv;
#   - versions and ciphers: TLS 1.1 is refused with a 1.2 minimum (and
#     accepted with 1.1, where GnuTLS still speaks it), TLS 1.2 with a 1.3
#     minimum, and an OpenSSL cipher list admits only its ciphers.
# Everything runs on the loopback of a network namespace this script
# creates (gnutls-serv cannot bind to one address), deleted on exit. Every
# process is stopped by its PID; every wait is bounded.
set -u
. "$(dirname "$0")/lib.sh"

cv_require_root
for p in gnutls-serv gnutls-cli ip timeout; do
	command -v "$p" >/dev/null || tap_skip_all "$p is not installed (apt-get install gnutls-bin iproute2)"
done
PEER=$top_builddir/tests/unit/certs/tls_peer
[ -x "$PEER" ] || tap_bail "$PEER is not built"
FIX=$top_srcdir/tests/golden/fixtures/pki

cv_init tls
NS=cvpki-tls-$$
tls_cleanup() {
	cv_cleanup
	ip netns del "$NS" 2>/dev/null
}
# A check at the end that every process this script started is gone.
all_stopped() {
	local p left=
	for p in $STARTED; do
		cv_alive "$p" && [ "$(ps -o stat= -p "$p" | cut -c1)" != Z ] && left="$left $p"
	done
	[ -z "$left" ] || tap_diag "still running:$left"
	[ -z "$left" ]
}
STARTED=
trap tls_cleanup EXIT
ip netns add "$NS" 2>/dev/null || tap_skip_all "cannot create network namespace $NS"
ip -n "$NS" link set lo up || tap_bail "cannot bring up lo in $NS"

# In the namespace. For a background process use "ip netns exec" itself,
# not this function: ip execs the program, so $! is the program's PID (a
# function would run in a subshell whose PID is not the program's).
nsx() { ip netns exec "$NS" "$@"; }

# wait_for FILE TEXT: until FILE contains TEXT (at most 10 s).
wait_for() {
	local i=0
	while ! grep -q -- "$2" "$1" 2>/dev/null && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q -- "$2" "$1" 2>/dev/null
}

# wait_exit PID: the exit status of a background child (at most 25 s; the
# peers end themselves within 20 s).
wait_exit() {
	local rc
	if cv_wait_gone "$1" 250; then
		wait "$1"
		rc=$?
	else
		cv_stop_pid "$1" 2
		rc=124
	fi
	cv_untrack "$1"
	return "$rc"
}

PORT=4430
# peer_server NAME ARGS...: starts tls_peer server on a new port (PORT),
# log in $CV_TMP/NAME.peer; sets SPID.
peer_server() {
	local name=$1
	shift
	PORT=$((PORT + 1))
	ip netns exec "$NS" "$PEER" server --port "$PORT" "$@" >"$CV_TMP/$name.peer" 2>&1 &
	SPID=$!
	cv_track "$SPID"
	STARTED="$STARTED $SPID"
	wait_for "$CV_TMP/$name.peer" listening ||
		tap_diag "tls_peer did not listen: $(cat "$CV_TMP/$name.peer")"
}

# cli NAME ARGS...: gnutls-cli to 127.0.0.1:PORT sending "hello", output in
# $CV_TMP/NAME.cli; returns its status.
cli() {
	local name=$1
	shift
	printf 'hello\n' >"$CV_TMP/hello"
	nsx timeout 20 gnutls-cli --port "$PORT" "$@" 127.0.0.1 <"$CV_TMP/hello" \
		>"$CV_TMP/$name.cli" 2>&1
}

has() { grep -q -- "$2" "$CV_TMP/$1"; }

show() { # the last lines of the logs of a case, as TAP comments
	local f
	for f in "$CV_TMP/$1".*; do
		tap_diag "--- $(basename "$f")"
		tail -n 8 "$f" | sed 's/^/# /'
	done
}

check() { # check NAME STATUS DESCRIPTION
	tap_ok "$2" "$3" || show "$1"
}

# --- our server, gnutls-cli as the client --------------------------------------

peer_server full --key "$FIX/edge.key" --cert "$FIX/edge-fullchain.cer"
cli full --x509cafile "$FIX/root.cer" --verify-hostname edge.cms.demo
st=$?
wait_exit "$SPID"
rc=$?
check full "$( [ "$st" -eq 0 ] && has full.cli 'The certificate is trusted' && echo 0 || echo 1)" \
	"server mode: gnutls-cli trusting only the root verifies our full chain"
check full "$(has full.cli 'echo: hello' && echo 0 || echo 1)" "server mode: data both ways"
check full "$( [ "$rc" -eq 0 ] && has full.peer 'got: hello' && echo 0 || echo 1)" \
	"server mode: tls_peer completed its handshake and read the line"

peer_server leaf --key "$FIX/edge.key" --cert "$FIX/edge.cer"
cli leaf --x509cafile "$FIX/root.cer" --verify-hostname edge.cms.demo
st=$?
wait_exit "$SPID"
check leaf "$( [ "$st" -ne 0 ] && has leaf.cli 'NOT trusted' && echo 0 || echo 1)" \
	"server mode: a leaf without its intermediate does not verify (the control)"

# --- our client, gnutls-serv as the server --------------------------------------

PORT=$((PORT + 1))
SERV_PORT=$PORT
ip netns exec "$NS" gnutls-serv --echo --port "$SERV_PORT" --x509keyfile "$FIX/edge.key" \
	--x509certfile "$FIX/edge-fullchain.cer" >"$CV_TMP/serv.log" 2>&1 &
SERV=$!
cv_track "$SERV"
STARTED="$STARTED $SERV"
wait_for "$CV_TMP/serv.log" "listening" || tap_diag "gnutls-serv: $(cat "$CV_TMP/serv.log")"

# client NAME ARGS...: tls_peer client to gnutls-serv; output in NAME.peer.
client() {
	local name=$1
	shift
	nsx "$PEER" client --port "$SERV_PORT" "$@" >"$CV_TMP/$name.peer" 2>&1
}

client name --name edge.cms.demo --trust "$FIX/root.cer" --verify
st=$?
check name "$( [ "$st" -eq 0 ] && has name.peer 'handshake ok' &&
	has name.peer 'got: hello from tls_peer' && echo 0 || echo 1)" \
	"client mode: edge.cms.demo matches the server's SAN, data echoed"
client name2 --name join.cms.demo --trust "$FIX/root.cer" --verify
st=$?
check name2 "$( [ "$st" -eq 0 ] && echo 0 || echo 1)" "client mode: the second SAN join.cms.demo"
client wrong --name wrong.cms.demo --trust "$FIX/root.cer" --verify
st=$?
check wrong "$( [ "$st" -ne 0 ] &&
	has wrong.peer 'handshake failed: certificate failed verification: hostname mismatch' &&
	echo 0 || echo 1)" "client mode: wrong.cms.demo is refused (hostname mismatch)"
client untrusted --name edge.cms.demo --trust "$FIX/other-root.cer" --verify
st=$?
check untrusted "$( [ "$st" -ne 0 ] && has untrusted.peer \
	'certificate failed verification: self-signed certificate in certificate chain' &&
	echo 0 || echo 1)" "client mode: a server of another CA is refused"
client noverify --name wrong.cms.demo
st=$?
check noverify "$( [ "$st" -eq 0 ] && echo 0 || echo 1)" \
	"client mode: verification off (tls ... verify disable) connects anyway"
cv_stop_pid "$SERV" 5
cv_untrack "$SERV"

# --- mutual TLS ------------------------------------------------------------------------

MUTUAL=(--key "$FIX/edge.key" --cert "$FIX/edge-fullchain.cer" --trust "$FIX/root.cer" --verify)
peer_server mutual "${MUTUAL[@]}"
cli mutual --x509cafile "$FIX/root.cer" --verify-hostname edge.cms.demo \
	--x509keyfile "$FIX/core.key" --x509certfile "$FIX/core-fullchain.cer"
st=$?
wait_exit "$SPID"
rc=$?
check mutual "$( [ "$st" -eq 0 ] && [ "$rc" -eq 0 ] && has mutual.peer 'handshake ok' &&
	has mutual.cli 'echo: hello' && echo 0 || echo 1)" \
	"mutual TLS: a client certificate of the trusted CA is accepted"

peer_server nocert "${MUTUAL[@]}"
cli nocert --x509cafile "$FIX/root.cer" --verify-hostname edge.cms.demo
wait_exit "$SPID"
rc=$?
check nocert "$( [ "$rc" -ne 0 ] && has nocert.peer \
	'handshake failed: certificate failed verification: no certificate presented' &&
	! has nocert.cli 'echo: hello' && echo 0 || echo 1)" \
	"mutual TLS: a client without a certificate is refused"

peer_server othercert "${MUTUAL[@]}"
cli othercert --x509cafile "$FIX/root.cer" --verify-hostname edge.cms.demo \
	--x509keyfile "$FIX/other.key" --x509certfile "$FIX/other-fullchain.cer"
wait_exit "$SPID"
rc=$?
check othercert "$( [ "$rc" -ne 0 ] && has othercert.peer \
	'certificate failed verification: self-signed certificate in certificate chain' &&
	echo 0 || echo 1)" "mutual TLS: a client certificate of another CA is refused"

peer_server nottrusted --key "$FIX/edge.key" --cert "$FIX/edge-fullchain.cer" \
	--trust "$FIX/other-root.cer" --verify
cli nottrusted --x509cafile "$FIX/root.cer" --verify-hostname edge.cms.demo \
	--x509keyfile "$FIX/core.key" --x509certfile "$FIX/core-fullchain.cer"
wait_exit "$SPID"
rc=$?
check nottrusted "$( [ "$rc" -ne 0 ] && has nottrusted.peer 'certificate failed verification' &&
	echo 0 || echo 1)" "mutual TLS: without the client's CA in the trust bundle it is refused"

# Our client with its certificate against a gnutls-serv that requires one.
PORT=$((PORT + 1))
SERV_PORT=$PORT
ip netns exec "$NS" gnutls-serv --echo --port "$SERV_PORT" --x509keyfile "$FIX/edge.key" \
	--x509certfile "$FIX/edge-fullchain.cer" --x509cafile "$FIX/root.cer" \
	--require-client-cert --verify-client-cert >"$CV_TMP/serv2.log" 2>&1 &
SERV=$!
cv_track "$SERV"
STARTED="$STARTED $SERV"
wait_for "$CV_TMP/serv2.log" "listening" || tap_diag "gnutls-serv: $(cat "$CV_TMP/serv2.log")"
client cmutual --name edge.cms.demo --trust "$FIX/root.cer" --verify \
	--key "$FIX/core.key" --cert "$FIX/core-fullchain.cer"
st=$?
check cmutual "$( [ "$st" -eq 0 ] && has cmutual.peer 'got: hello from tls_peer' &&
	echo 0 || echo 1)" "mutual TLS, client side: gnutls-serv accepts our certificate"
client cnocert --name edge.cms.demo --trust "$FIX/root.cer" --verify
st=$?
check cnocert "$( [ "$st" -ne 0 ] && ! has cnocert.peer 'got: hello' && echo 0 || echo 1)" \
	"mutual TLS, client side: without a certificate gnutls-serv refuses us"
cv_stop_pid "$SERV" 5
cv_untrack "$SERV"

# --- versions and ciphers ----------------------------------------------------------------

SRV=(--key "$FIX/edge.key" --cert "$FIX/edge-fullchain.cer")
peer_server tls11 "${SRV[@]}" --min 1.2
cli tls11 --insecure --priority NORMAL:-VERS-ALL:+VERS-TLS1.1
st=$?
wait_exit "$SPID"
rc=$?
check tls11 "$( [ "$st" -ne 0 ] && [ "$rc" -ne 0 ] && has tls11.peer 'handshake failed' &&
	echo 0 || echo 1)" "TLS 1.1 is refused when the minimum is 1.2"

peer_server tls11ok "${SRV[@]}" --min 1.1
cli tls11ok --insecure --priority NORMAL:-VERS-ALL:+VERS-TLS1.1
st=$?
wait_exit "$SPID"
if [ "$st" -eq 0 ] && has tls11ok.cli 'TLS1.1'; then
	tap_ok 0 "TLS 1.1 is accepted when the minimum is 1.1 (the control)"
elif has tls11ok.peer 'handshake failed'; then
	# The library's system-wide policy may forbid TLS 1.1 altogether.
	tap_skip "this GnuTLS refuses TLS 1.1 whatever the minimum" \
		"TLS 1.1 is accepted when the minimum is 1.1 (the control)"
else
	tap_ok 1 "TLS 1.1 is accepted when the minimum is 1.1 (the control)"
	show tls11ok
fi

peer_server tls12 "${SRV[@]}" --min 1.3
cli tls12 --insecure --priority NORMAL:-VERS-ALL:+VERS-TLS1.2
st=$?
wait_exit "$SPID"
check tls12 "$( [ "$st" -ne 0 ] && has tls12.peer 'handshake failed' && echo 0 || echo 1)" \
	"TLS 1.2 is refused when the minimum is 1.3"
peer_server tls13 "${SRV[@]}" --min 1.3
cli tls13 --insecure
st=$?
wait_exit "$SPID"
check tls13 "$( [ "$st" -eq 0 ] && has tls13.cli 'TLS1.3' && echo 0 || echo 1)" \
	"TLS 1.3 passes a 1.3 minimum"

peer_server cipher "${SRV[@]}" --ciphers ECDHE-RSA-AES256-GCM-SHA384
cli cipher --insecure --priority NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM
st=$?
wait_exit "$SPID"
check cipher "$( [ "$st" -ne 0 ] && has cipher.peer 'handshake failed' && echo 0 || echo 1)" \
	"an OpenSSL cipher list keeps out a cipher it does not name"
peer_server cipher2 "${SRV[@]}" --ciphers ECDHE-RSA-AES256-GCM-SHA384
cli cipher2 --insecure --priority NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM
st=$?
wait_exit "$SPID"
check cipher2 "$( [ "$st" -eq 0 ] && has cipher2.cli 'AES-256-GCM' && echo 0 || echo 1)" \
	"and admits the one it names"

tap_ok "$(all_stopped && echo 0 || echo 1)" "every peer this script started has stopped"
tap_done
