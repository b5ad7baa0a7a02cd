#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# convene-turn under mmpd, driven through the MMP shell as an operator would
# (issue: "turn listen ... turn enable" on the seed 004 edge): configure,
# enable, the status screen, a client relaying through the addresses mmpd
# rendered (XOR-RELAYED-ADDRESS = the public IP), privileges dropped,
# --check on the rendered config, restart with changed listen interfaces,
# TLS on a TLS port and restart with a changed TLS port, disable. mmpd and the relay run in a private namespace whose loopback
# device holds the RFC 5737 addresses; interfaces stay unmapped (empty
# ifmap), so mmpd applies nothing to the kernel and only renders the config.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/turn_lib.sh"

cv_require_root
cv_require_programs
[ -x "$TURN" ] || tap_bail "$TURN is not built"
command -v python3 >/dev/null || tap_skip_all "python3 is not installed"

cv_init turn-service
turn_netns svc
ip -n "$TURN_NS" addr add 192.0.2.10/32 dev lo || tap_bail "cannot add an address"
ip -n "$TURN_NS" addr add 198.51.100.10/32 dev lo

D=$CV_TMP/m
ns_mmpd_start "$D"
ln -s "$TURN" "$D/svc/convene-turn"

run() { # run COMMAND EXPECTED-OUTPUT
	local out
	out=$(mmp_c "$1")
	tap_is "$out" "$2" "mmp: $1"
}

run "ipv4 a add 192.0.2.10/24 192.0.2.1" ""
run "ipv4 b add 198.51.100.10/24 198.51.100.1" ""
run "turn listen a" ""
run "turn credentials admin Cisco.123 cms.demo" ""
run "turn public-ip 203.0.113.10" ""
run "turn high-capacity-mode disable" ""
run "turn enable" "SUCCESS: Turn enabled"
turn_wait_port u 192.0.2.10 3478 && turn_wait_port t 192.0.2.10 3478
tap_ok $? "the relay listens on UDP and TCP 192.0.2.10:3478"
run "turn" "Enabled                 : true
Username                : admin
Password                : Cisco.123
Short term credentials  : disabled
Shared secret           : none
Realm                   : cms.demo
Public IP               : 203.0.113.10
High Capacity Mode      : disabled
Relay address           : 192.0.2.10
TLS port                : none
TLS cert                : none
TLS key                 : none
TLS bundle              : none
Listen interface      a"

r=$(in_ns $PROBE relay --server 192.0.2.10 -u admin -w Cisco.123 2>&1)
case $r in "203.0.113.10 "*) st=0 ;; *) st=1 ;; esac
tap_ok $st "a client allocates through it; XOR-RELAYED-ADDRESS is the public IP ($r)"
r=$(in_ns $PROBE relay --server 192.0.2.10 -u admin -w wrong 2>&1)
tap_is "$r" "error 401" "a wrong password is refused"

pid=$(turn_pids_in_ns | head -1)
user=$(ps -o user= -p "${pid:-0}" 2>/dev/null | tr -d ' ')
tap_ok "$([ -n "$user" ] && [ "$user" != root ] && echo 0 || echo 1)" \
	"the relay dropped root after binding (runs as ${user:-?})"
"$TURN" --config "$D/state/run/turn.json" --check >/dev/null 2>&1
tap_ok $? "--check accepts the config mmpd rendered"
grep -q 'service turn is running' "$D/state/log/convene.log"
tap_ok $? "mmpd logged the relay as running (it reported READY)"
grep -q 'turn: INFO : relay address 192.0.2.10 advertised as 203.0.113.10' \
	"$D/state/log/convene.log"
tap_ok $? "the relay's own log lines reach the log store"

# A changed setting applies on restart: listen on a and b.
run "turn listen a b" ""
run "turn restart" "SUCCESS: Turn restarted"
turn_wait_port u 198.51.100.10 3478 && turn_wait_port u 192.0.2.10 3478
tap_ok $? "after restart the relay listens on 198.51.100.10 too"
newpid=$(turn_pids_in_ns | head -1)
tap_ok "$([ -n "$newpid" ] && [ "$newpid" != "$pid" ] && echo 0 || echo 1)" \
	"restart started a new process"
r=$(in_ns $PROBE relay --server 198.51.100.10 -u admin -w Cisco.123 2>&1)
case $r in "203.0.113.10 "*) st=0 ;; *) st=1 ;; esac
tap_ok $st "a client allocates through interface b ($r)"

# TLS, then a changed TLS port: restart applies it.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj "/CN=turn.test" -keyout "$D/state/files/turn.key" \
	-out "$D/state/files/turn.crt" >/dev/null 2>&1 || tap_bail "openssl cannot make a certificate"
run "turn certs turn.key turn.crt" ""
run "turn tls 5349" ""
out=$(mmp_c "turn restart")
case $out in *"SUCCESS: Turn restarted"*) st=0 ;; *) st=1 ;; esac
tap_ok $st "mmp: turn restart with a TLS port"
[ $st = 0 ] || tap_diag "$out"
turn_wait_port t 192.0.2.10 5349
tap_ok $? "the relay listens on TLS 192.0.2.10:5349"
r=$(in_ns $PROBE relay --transport tls --port 5349 --server 192.0.2.10 -u admin -w Cisco.123 2>&1)
case $r in "203.0.113.10 "*TLSv1.[23]*) st=0 ;; *) st=1 ;; esac
tap_ok $st "a client allocates over TLS ($r)"
run "turn tls 5350" ""
mmp_c "turn restart" >/dev/null
turn_wait_port t 192.0.2.10 5350 && turn_wait_port t 192.0.2.10 5349 gone
tap_ok $? "after turn tls 5350 and restart: TLS on 5350, not on 5349"

run "turn disable" ""
turn_wait_port u 192.0.2.10 3478 gone
tap_ok $? "disable stops the relay (the port is closed)"
tap_is "$(turn_pids_in_ns)" "" "no relay process is left"
mmpd_stop
tap_done
