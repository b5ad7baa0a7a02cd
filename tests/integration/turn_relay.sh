#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Relay to relay: two clients that are both forced to relay through one
# convene-turn (browsers with iceTransportPolicy "relay") reach each other
# through their relayed transport addresses, while the relay's other own
# addresses stay closed. Two checks:
#   - tests/integration/turnprobe.py relay2relay: pairs of allocations
#     exchange ChannelData and Send/Data indications, over UDP, TCP and TLS,
#     with long-term and time-limited (shared secret) credentials; pairs are
#     tried until one pair sits on two different workers and one on a single
#     worker (bounded);
#   - real WebRTC calls (aiortc: ICE, DTLS, SCTP data channel, relay
#     candidates only) between two network namespaces: UDP, TCP and TLS to
#     the relay, and behind NAT (a public IP that is routed nowhere).
#
# Addressing (RFC 5737 only, everything inside namespaces this script makes):
#
#   client 1 ns  198.51.100.2/25   --veth--  198.51.100.1/25  \
#                                                               relay ns, 192.0.2.1/32 on lo
#   client 2 ns  198.51.100.130/25 --veth--  198.51.100.129/25 /   (interface a: listen + relay)
#
# The relay runs with the production defaults (no turn allow-peer, rate
# limits and quotas as shipped); "workers": 2 pins the data plane of a
# two-CPU appliance whatever this machine has, so that allocations land on
# different workers. Every address here is in the default deny list
# (TEST-NET-1 and TEST-NET-2), which is the point: the relayed addresses are
# reached through the own-address exception, not through an allow list,
# and the clients' own addresses are never peers. The public IP of the NAT
# case, 203.0.113.10, is on no interface and has no route: relay-to-relay
# traffic must not leave for it.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/turn_lib.sh"

turn_require
# aiortc comes from Debian (python3-aiortc): the system interpreter, which
# may not be the first python3 on PATH.
WEBRTC_PY=/usr/bin/python3
WEBRTC=1
$WEBRTC_PY -c 'import aiortc, aioice' 2>/dev/null || WEBRTC=0

cv_init turn-relay
turn_netns r2r
ip -n "$TURN_NS" addr add 192.0.2.1/32 dev lo || tap_bail "cannot add the relay address"
turn_client_ns r2r1 198.51.100.1/25 198.51.100.2/25
C1=$CLIENT_NS
turn_client_ns r2r2 198.51.100.129/25 198.51.100.130/25
C2=$CLIENT_NS

turn_cert "$CV_TMP/files" IP:192.0.2.1
# The WebRTC clients verify the relay's certificate (for 192.0.2.1) against it.
export SSL_CERT_FILE=$CV_TMP/files/turn.crt

# config FILE EXTRA: production defaults on interface a = 192.0.2.1.
config() {
	turn_config "$1" 192.0.2.1 ', "username": "alice", "password": "secret123",
 "short_term": true, "shared_secret": "s3cr3t", "tls_port": 5349, "key": "turn.key",
 "crt": "turn.crt", "workers": 2'"$2"
	sed -i "s|\"hostname\"|\"upload_dir\": \"$CV_TMP/files\", \"hostname\"|" "$1"
}

start() { # start CONFIG NAME
	turn_start "$1" "$CV_TMP/turn-$2.log"
	if ! turn_wait_port u 192.0.2.1 3478 || ! turn_wait_port t 192.0.2.1 5349; then
		tap_diag_file "$CV_TMP/turn-$2.log"
		tap_bail "convene-turn ($2) did not listen on 192.0.2.1"
	fi
}

# probe NAME ARGS...: turnprobe relay2relay from client 1; one TAP line per
# check, one for the run.
probe() {
	local name=$1 out=$CV_TMP/probe-$RANDOM.txt
	shift
	in_client "$C1" $PROBE relay2relay --server 192.0.2.1 "$@" >"$out" 2>&1
	turn_tap "$name" $? "$out"
}

# call NAME URL ARGS...: a WebRTC call, offer from client 1, answer from
# client 2, relay candidates only; both sides must connect relay to relay.
N_CALL=0
call() {
	local name=$1 url=$2 d opid apid orc arc
	shift 2
	if [ $WEBRTC = 0 ]; then
		tap_skip "aiortc is not installed (apt-get install python3-aiortc)" "WebRTC call, $name"
		return
	fi
	N_CALL=$((N_CALL + 1))
	d=$CV_TMP/call-$N_CALL
	mkdir -p "$d"
	client_bg "$C1" $WEBRTC_PY "$top_srcdir/tests/integration/turn_webrtc.py" offer --dir "$d" \
		--url "$url" "$@" --timeout 40 >"$d/offer.log" 2>&1
	opid=$BG_PID
	client_bg "$C2" $WEBRTC_PY "$top_srcdir/tests/integration/turn_webrtc.py" answer --dir "$d" \
		--url "$url" "$@" --timeout 40 >"$d/answer.log" 2>&1
	apid=$BG_PID
	# Both end on their own within --timeout; the EXIT trap stops them otherwise.
	wait "$opid"
	orc=$?
	wait "$apid"
	arc=$?
	cv_untrack "$opid"
	cv_untrack "$apid"
	tap_ok "$orc" "WebRTC call, $name: $(tail -1 "$d/offer.log")" || tap_diag_file "$d/offer.log"
	tap_ok "$arc" "WebRTC call, $name: $(tail -1 "$d/answer.log")" || tap_diag_file "$d/answer.log"
}

config "$CV_TMP/prod.json" ''
start "$CV_TMP/prod.json" prod
# With 2 workers and relay ports 32768-65535, worker 1's share starts at 49152.
probe "UDP" -u alice -w secret123 --pairs 20 --split 49152
probe "TCP" --transport tcp -u alice -w secret123
probe "TLS" --transport tls --port 5349 -u alice -w secret123
probe "UDP, time-limited credentials" -u carol --secret s3cr3t
call "UDP" turn:192.0.2.1:3478 -u alice -w secret123
call "TCP" "turn:192.0.2.1:3478?transport=tcp" -u alice -w secret123
call "TLS" "turns:192.0.2.1:5349?transport=tcp" -u alice -w secret123
call "UDP, time-limited credentials" turn:192.0.2.1:3478 -u carol --secret s3cr3t
grep -q 'refused peer 192.0.2.1:3478' "$CV_TMP/turn-prod.log"
tap_ok $? "the refused listener address is logged"
turn_stop

# Behind NAT: the relayed addresses are the public IP's, which leads nowhere
# here; the relay must carry relay-to-relay traffic on the relay address.
config "$CV_TMP/nat.json" ', "public_ip": "203.0.113.10"'
start "$CV_TMP/nat.json" nat
probe "UDP, public IP" -u alice -w secret123 --pairs 20 --split 49152
call "UDP, public IP" turn:192.0.2.1:3478 -u alice -w secret123
for d in "$CV_TMP"/call-*; do
	[ -f "$d/offer.log" ] || continue
	case $(tail -1 "$d/offer.log") in *"relay 203.0.113.10:"*) nat_seen=1 ;; esac
done
tap_ok "$([ "${nat_seen:-0}" = 1 ] || [ $WEBRTC = 0 ] && echo 0 || echo 1)" \
	"behind NAT the peers saw each other at the public IP"
turn_stop
tap_done
