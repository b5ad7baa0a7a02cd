#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Interop of convene-turn with coturn's real clients (Debian package coturn:
# turnutils_uclient, turnutils_peer) and the conformance/security probe
# (tests/integration/turnprobe.py), in a private network namespace on
# loopback: UDP and TCP, channels and Send/Data indications, RTP/RTCP pairs
# (EVEN-PORT with a reservation), RFC 6062 TCP allocations, long-term and
# shared-secret credentials, IPv6 relaying, TLS 1.2 and 1.3 (our client),
# zero loss at a moderate rate; then the probe against the production
# defaults (no allow list).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/turn_lib.sh"

turn_require
# Without coturn's clients the interop cases are skipped; the probe runs.
COTURN=1
command -v turnutils_uclient >/dev/null && command -v turnutils_peer >/dev/null || COTURN=0

cv_init turn-interop
turn_netns io

# A self-signed identity for the TLS port (in the "upload directory").
turn_cert "$CV_TMP/files"

# Test-only: loopback peers allowed (the echo peer is on loopback, one of the
# relay's own addresses: allow_own_peers lets the allow list open them).
turn_config "$CV_TMP/bench.json" 127.0.0.1 ', "username": "alice", "password": "secret123",
 "short_term": true, "shared_secret": "s3cr3t", "allow_peers": ["127.0.0.0/8", "::1/128"],
 "allow_own_peers": true,
 "relay6": "::1", "challenge_rate": 0, "tls_port": 5349, "key": "turn.key", "crt": "turn.crt"'
sed -i "s|\"hostname\"|\"upload_dir\": \"$CV_TMP/files\", \"hostname\"|" "$CV_TMP/bench.json"
turn_start "$CV_TMP/bench.json" "$CV_TMP/turn.log"
if ! turn_wait_port u 127.0.0.1 3478 || ! turn_wait_port t 127.0.0.1 3478; then
	tap_diag_file "$CV_TMP/turn.log"
	tap_bail "convene-turn did not listen on 127.0.0.1:3478"
fi
turn_wait_port t 127.0.0.1 5349 || tap_bail "convene-turn did not listen on TLS 5349"
tap_ok 0 "convene-turn listens on UDP and TCP 127.0.0.1:3478 and TLS 5349"
user=$(ps -o user= -p "$(turn_pids_in_ns | head -1)" 2>/dev/null | tr -d ' ')
tap_ok "$([ -n "$user" ] && [ "$user" != root ] && echo 0 || echo 1)" \
	"privileges dropped after binding (runs as ${user:-?})"

if [ $COTURN = 1 ]; then
	ns_bg turnutils_peer -L 127.0.0.1 -p 3480 >"$CV_TMP/peer4.log" 2>&1
	ns_bg turnutils_peer -L ::1 -p 3480 >"$CV_TMP/peer6.log" 2>&1
	sleep 0.3
fi

# uclient NAME ARGS...: runs a client; passes when every message came back.
uclient() {
	local name=$1 log=$CV_TMP/uc-$RANDOM.log sent recv
	shift
	if [ $COTURN = 0 ]; then
		tap_skip "coturn's test clients are not installed (apt-get install coturn)" "$name"
		return
	fi
	in_ns timeout 90 turnutils_uclient "$@" >"$log" 2>&1
	read -r sent recv < <(grep -E 'tot_send_msgs=[0-9]+, tot_recv_msgs=[0-9]+$' "$log" |
		tail -1 | sed -E 's/.*tot_send_msgs=([0-9]+), tot_recv_msgs=([0-9]+)/\1 \2/')
	if [ -n "${sent:-}" ] && [ "$sent" -gt 0 ] && [ "$sent" = "$recv" ] &&
		grep -q 'Total lost packets 0 ' "$log"; then
		tap_ok 0 "$name: $recv/$sent messages, no loss"
	else
		tap_ok 1 "$name: sent=${sent:-?} received=${recv:-?}"
		tap_diag_file "$log" 30
	fi
}

LT="-u alice -w secret123 -e 127.0.0.1 -r 3480 -l 170"
uclient "UDP, channels" $LT -X -g -c -n 500 -m 5 -z 5 127.0.0.1
uclient "UDP, Send/Data indications" $LT -X -c -s -n 300 -m 3 -z 5 127.0.0.1
uclient "UDP, RTP/RTCP allocation pairs (EVEN-PORT, RESERVATION-TOKEN)" $LT -X -n 200 -m 2 -z 5 127.0.0.1
uclient "TCP, channels" $LT -X -t -c -n 300 -m 3 -z 5 127.0.0.1
uclient "TCP, Send/Data indications" $LT -X -t -c -s -n 300 -m 3 -z 5 127.0.0.1
uclient "UDP, shared-secret (TURN REST) credentials" -u bob -W s3cr3t -e 127.0.0.1 -r 3480 \
	-l 170 -X -c -n 300 -m 3 -z 5 127.0.0.1
uclient "TCP, shared-secret credentials" -u bob -W s3cr3t -e 127.0.0.1 -r 3480 -l 170 -X -t \
	-c -n 300 -m 3 -z 5 127.0.0.1
if in_ns ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/'; then
	uclient "IPv6 relaying (IPv6 relay and peer ::1, REQUESTED-ADDRESS-FAMILY)" -u alice \
		-w secret123 -e ::1 -r 3480 -l 170 -x -c -n 300 -m 3 -z 5 127.0.0.1
else
	tap_skip "no IPv6 in the namespace" "IPv6 relaying"
fi
uclient "UDP, 10 sessions at 1000 messages/s each (10k round trips/s)" $LT -X -c -z 1 \
	-n 2000 -m 10 127.0.0.1
uclient "RFC 6062 TCP allocations, client to client (Connect, ConnectionAttempt, ConnectionBind)" \
	-T -u alice -w secret123 -X -z 5 -l 170 -n 300 -m 3 127.0.0.1

# TLS on the TLS port (through certs/tls.h), with our own client: coturn
# 4.6's uclient cannot do TLS against OpenSSL 3 (spec/turn.md 0.9).
for v in 1.2 1.3; do
	r=$(in_ns $PROBE relay --transport tls --port 5349 -u alice -w secret123 \
		--tls-version "$v" 2>&1 | tail -1)
	case $r in "127.0.0.1 "*"TLSv$v alpn=stun.turn") st=0 ;; *) st=1 ;; esac
	tap_ok $st "TLS $v: Allocate over TLS, ALPN stun.turn ($r)"
done
# Ping-pong through the relay to the echo peer (the figures are not checked).
for tr in tls udp; do
	if [ $COTURN = 0 ]; then
		tap_skip "no echo peer (turnutils_peer, package coturn)" "ChannelData ping-pong ($tr)"
		continue
	fi
	r=$(in_ns $PROBE rtt --transport $tr --port "$([ $tr = tls ] && echo 5349 || echo 3478)" \
		-u alice -w secret123 --peer 127.0.0.1 --peer-port 3480 --duration 1 2>&1 | tail -1)
	case $r in rtt*lost=0*) tap_ok 0 "ChannelData ping-pong ($tr): $r" ;;
	*) tap_ok 1 "ChannelData ping-pong ($tr): $r" ;; esac
done
turn_stop

# The probe against the production defaults: no allow list.
turn_config "$CV_TMP/prod.json" 127.0.0.1 ', "username": "alice", "password": "secret123",
 "short_term": true, "shared_secret": "s3cr3t", "public_ip": "203.0.113.10", "relay6": "::1",
 "challenge_rate": 20, "user_quota": 3, "total_quota": 20, "tls_port": 5349, "key": "turn.key",
 "crt": "turn.crt"'
sed -i "s|\"hostname\"|\"upload_dir\": \"$CV_TMP/files\", \"hostname\"|" "$CV_TMP/prod.json"
turn_start "$CV_TMP/prod.json" "$CV_TMP/turn-prod.log"
turn_wait_port u 127.0.0.1 3478 && turn_wait_port t 127.0.0.1 5349 ||
	tap_bail "convene-turn (production config) did not start"
in_ns $PROBE probe -u alice -w secret123 --secret-checks s3cr3t --user-quota 3 \
	--total-quota 20 --rate-limit --public-ip 203.0.113.10 --no-route >"$CV_TMP/probe.txt" 2>&1
turn_tap probe $? "$CV_TMP/probe.txt"
grep -q 'refused peer 127.0.0.1' "$CV_TMP/turn-prod.log"
tap_ok $? "a refused peer is logged"
# Connections without an allocation: 16 per source address (loopback has
# them all: 127.0.0.2 holds connections, 127.0.0.3 allocates meanwhile).
for tr in tcp tls; do
	in_ns $PROBE conns --transport $tr --port "$([ $tr = tls ] && echo 5349 || echo 3478)" \
		-u alice -w secret123 --count 24 --limit 16 \
		--bind "127.0.0.$([ $tr = tls ] && echo 4 || echo 2)" --other 127.0.0.3 \
		>"$CV_TMP/conns-$tr.txt" 2>&1
	turn_tap "$tr" $? "$CV_TMP/conns-$tr.txt"
done
grep -q 'closed a connection from 127.0.0.2: 16 connections without an allocation' \
	"$CV_TMP/turn-prod.log"
tap_ok $? "the refused connections are logged"
! grep -qE 'secret123|s3cr3t' "$CV_TMP/turn-prod.log"
tap_ok $? "no password or secret in the log"
turn_stop
tap_done
