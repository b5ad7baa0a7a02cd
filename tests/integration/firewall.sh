#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The firewall for real (spec/mmp.md 2.7, firewall/README.md): mmpd runs in
# an appliance network namespace with a and b mapped to veth devices whose
# other ends are in two peer namespaces (firewall_lib.sh has the picture).
# The test configures the firewall with mmp, reads the kernel's ruleset
# with `nft -j` and sends real TCP and UDP traffic from the peers:
#
#  - the seed sequence (default allow, deny 22, enable): 22 is dropped, 443
#    answers, the other interface is untouched;
#  - default deny with allow rules per port, protocol and source network;
#  - one table, "inet convene", replaced atomically; re-applying the same
#    configuration does not touch the kernel; a foreign table survives all;
#  - disable restores reachability; disabling the last interface removes
#    the table;
#  - restarting mmpd (clean, after SIGKILL, after the table was deleted)
#    brings the rules back exactly once;
#  - a change the kernel refuses fails, is reported, and changes nothing;
#  - lock-out protection: the warning for the operator's own SSH interface
#    only (or every interface when it is not known), "enable confirm"
#    rolled back on time and after a crash, and kept by "confirm";
#  - bad input changes neither the configuration nor the kernel;
#  - 256 rules on one interface in one batch.
#
# Nothing here measures time: a dropped connection is one whose probe gets
# no answer within FW_PROBE_MS, and the rollback is awaited with a bound.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/firewall_lib.sh"

fw_require
cv_init firewall
trap fw_cleanup EXIT
FW_REAL_MMPD=$MMPD
# The tests choose the operator's session themselves.
unset SSH_CLIENT SSH_CONNECTION

fw_topology
fw_listen 22 443 8080 5060/udp 3478/udp
D=$CV_TMP/m
start() {
	fw_mmpd_start "$D" || tap_bail "mmpd did not start"
	fw_addrs
}
no_convene() { [ "$(fw_ntables convene)" = 0 ]; }
# Is interface $1 still inside its confirm window?
in_window() { [ "$(jq -c ".firewall.$1 | has(\"pending\")" "$D/state/config.json")" = true ]; }
start

# A table that is not ours, with a rule and a counter: it must survive.
fw_nft -f - <<'EOF' || tap_bail "cannot create the foreign table"
table inet cvfwforeign {
	chain c {
		type filter hook input priority 10; policy accept;
		tcp dport 9 counter
	}
}
EOF
foreign=$(fw_foreign)

# --- before any firewall ---------------------------------------------------------
tap_is "$(fw_ntables convene)" 0 "no table inet convene before the firewall is enabled"
fw_reach "no firewall: 22 answers on a" open "$FW_PA" 192.0.2.1 22
fw_reach "no firewall: 443 answers on a" open "$FW_PA" 192.0.2.1 443

# --- the seed sequence (S1) ---------------------------------------------------------
tap_is "$(mmp_c 'firewall a default allow')" "" "firewall a default allow"
tap_is "$(mmp_c 'firewall a deny 22')" "" "firewall a deny 22"
tap_is "$(fw_ntables convene)" 0 "rules of a disabled firewall are only stored"
tap_is "$(mmp_c 'firewall a enable')" \
	"WARNING: no rule allows SSH (port 22) on interface a; you may lose access" \
	"firewall a enable (from the console: SSH closed to everyone on a)"
tap_is "$(fw_ntables convene)" 1 "one table inet convene"
tap_is "$(fw_chains)" "input input accept
input_a - -" "a base chain at input (policy accept) and a chain for a"
tap_is "$(fw_rules input)" "iifname == lo accept
iifname == fwa jump:input_a" "input: loopback accepted, fwa sent to input_a"
seed_rules="ct.state in established,related accept
icmpv6.type == nd-router-solicit-nd-neighbor-advert accept
tcp.dport == 22 drop
udp.dport == 22 drop
accept"
tap_is "$(fw_rules input_a)" "$seed_rules" \
	"input_a: established/related, neighbour discovery, deny 22 tcp and udp, default allow"
fw_reach "seed: 22 from a's peer is dropped" timeout "$FW_PA" 192.0.2.1 22
fw_reach "seed: 443 from a's peer answers" open "$FW_PA" 192.0.2.1 443
fw_reach "seed: 8080 from a's peer answers (default allow)" open "$FW_PA" 192.0.2.1 8080
fw_reach "seed: 22 on b is untouched" open "$FW_PB" 198.51.100.1 22
tap_is "$(mmp_c 'firewall a')" "Firewall status : enabled
Default policy  : allow
Rules:
    1  deny   22/tcp+udp  from any" "firewall a shows the state and the rule"

# --- idempotence: the same configuration does not touch the kernel ---------------------
h1=$(fw_handles)
mmp_c 'firewall a enable' >/dev/null
mmp_c 'firewall a default allow' >/dev/null
mmp_c 'hostname fwtest' >/dev/null
tap_is "$(fw_handles)" "$h1" "re-applying the same firewall leaves the kernel's table as it was"

# --- bad input changes nothing ------------------------------------------------------------
conf_before=$(cat "$D/state/config.json")
for cmd in 'firewall a allow 70000' 'firewall a deny 22/icmp' 'firewall a allow 22 from 198.51.100.1/24' \
	'firewall a delete allow 22' 'firewall e enable' 'firewall a enable confirm 5' \
	'firewall c confirm' 'firewall c delete'; do
	mmp_c "$cmd" >/dev/null
	st=$?
	[ "$st" -eq 1 ] && [ "$(cat "$D/state/config.json")" = "$conf_before" ] &&
		[ "$(fw_handles)" = "$h1" ]
	tap_ok $? "bad input changes neither the config nor the kernel: $cmd"
done

# --- default deny, ports, protocols, sources -------------------------------------------
mmp_c 'firewall b default deny' >/dev/null
mmp_c 'firewall b allow 443/tcp' >/dev/null
mmp_c 'firewall b allow 5060/udp' >/dev/null
mmp_c 'firewall b allow 3478/udp from 198.51.100.3' >/dev/null
mmp_c 'firewall b allow 22/tcp from 198.51.100.3/32' >/dev/null
out=$(mmp_c 'firewall b enable')
tap_is "$out" "" "firewall b enable (SSH open to 198.51.100.3: no warning)"
tap_is "$(fw_rules input)" "iifname == lo accept
iifname == fwa jump:input_a
iifname == fwb jump:input_b" "input: a chain per enabled interface"
tap_is "$(fw_rules input_b)" "ct.state in established,related accept
icmpv6.type == nd-router-solicit-nd-neighbor-advert accept
tcp.dport == 443 accept
udp.dport == 5060 accept
ip.saddr == 198.51.100.3 udp.dport == 3478 accept
ip.saddr == 198.51.100.3 tcp.dport == 22 accept
drop" "input_b: the rules in order, then the default drop"
tap_is "$(fw_rules input_a)" "$seed_rules" "input_a is unchanged"
fw_reach "b: 443/tcp allowed" open "$FW_PB" 198.51.100.1 443
fw_reach "b: 8080 dropped by the default deny" timeout "$FW_PB" 198.51.100.1 8080
fw_reach "b: 5060/udp allowed" open "$FW_PB" 198.51.100.1 5060/udp
fw_reach "b: 3478/udp from 198.51.100.3 allowed" open "$FW_PB" --from 198.51.100.3 198.51.100.1 3478/udp
fw_reach "b: 3478/udp from 198.51.100.2 dropped" timeout "$FW_PB" --from 198.51.100.2 198.51.100.1 3478/udp
fw_reach "b: 22 from 198.51.100.3 allowed" open "$FW_PB" --from 198.51.100.3 198.51.100.1 22
fw_reach "b: 22 from 198.51.100.2 dropped" timeout "$FW_PB" --from 198.51.100.2 198.51.100.1 22
fw_reach "a: 8080 still answers (a's default is allow)" open "$FW_PA" 192.0.2.1 8080

# Rule order: a deny before an allow wins.
mmp_c 'firewall b delete allow 443/tcp' >/dev/null
mmp_c 'firewall b deny 443/tcp from 198.51.100.2' >/dev/null
mmp_c 'firewall b allow 443/tcp' >/dev/null
fw_reach "b: 443 from .2 dropped by the earlier deny" timeout "$FW_PB" --from 198.51.100.2 198.51.100.1 443
fw_reach "b: 443 from .3 allowed by the later allow" open "$FW_PB" --from 198.51.100.3 198.51.100.1 443

# --- restart: the rules come back exactly once ---------------------------------------
rules_a=$(fw_rules input_a)
rules_b=$(fw_rules input_b)
mmpd_stop
tap_is "$(fw_rules input_b)" "$rules_b" "the firewall stays in place while mmpd is stopped"
start
tap_is "$(fw_ntables convene)" 1 "restart: one table"
tap_is "$(fw_rules input)" "iifname == lo accept
iifname == fwa jump:input_a
iifname == fwb jump:input_b" "restart: input rules exactly once"
tap_is "$(fw_rules input_a)" "$rules_a" "restart: input_a exactly once"
tap_is "$(fw_rules input_b)" "$rules_b" "restart: input_b exactly once"
mmpd_kill9
fw_nft delete table inet convene
tap_is "$(fw_ntables convene)" 0 "the table is gone (as after a reboot)"
start
tap_is "$(fw_rules input_a)$(fw_rules input_b)" "$rules_a$rules_b" "start: the rules are back"
fw_reach "start: 22 on a dropped again" timeout "$FW_PA" 192.0.2.1 22
fw_reach "start: 8080 on b dropped again" timeout "$FW_PB" 198.51.100.1 8080

# --- disable restores reachability ----------------------------------------------------
mmp_c 'firewall b disable' >/dev/null
tap_is "$(fw_chains)" "input input accept
input_a - -" "b disabled: its chain is gone"
fw_reach "b disabled: 8080 answers" open "$FW_PB" 198.51.100.1 8080
fw_reach "b disabled: 22 from .2 answers" open "$FW_PB" --from 198.51.100.2 198.51.100.1 22
mmp_c 'firewall a disable' >/dev/null
tap_is "$(fw_ntables convene)" 0 "no interface enabled: the table is removed"
fw_reach "a disabled: 22 answers" open "$FW_PA" 192.0.2.1 22

# --- a change the kernel refuses ------------------------------------------------------
# Another process holds a table of the same name with the "owner" flag: the
# kernel refuses our batch (EPERM) and takes none of it.
mkfifo "$CV_TMP/owner.in"
ip netns exec "$FW_APP" nft -i <"$CV_TMP/owner.in" >"$CV_TMP/owner.out" 2>&1 &
owner=$!
cv_track "$owner"
exec 7>"$CV_TMP/owner.in"
echo 'add table inet convene { flags owner; }' >&7
owner_holds() { fw_nft list table inet convene 2>/dev/null | grep -q 'flags owner'; }
fw_wait_for "a foreign owner holds table inet convene" 50 owner_holds
conf_before=$(cat "$D/state/config.json")
out=$(mmp_c 'firewall b enable')
st=$?
tap_is "$st" 1 "the kernel's refusal fails the command"
tap_is "$out" "FAILURE: firewall: the kernel refused to create table inet convene: Operation not permitted; the previous firewall stays in place" \
	"and says what was refused"
tap_is "$(cat "$D/state/config.json")" "$conf_before" "the configuration is unchanged"
tap_is "$(mmp_c 'firewall b' | head -n 1)" "Firewall status : disabled" "b is still disabled"
fw_reach "8080 still answers on b" open "$FW_PB" 198.51.100.1 8080
owner_holds && [ "$(fw_nft list table inet convene | grep -c chain)" = 0 ]
tap_ok $? "the owner's table was not touched"
exec 7>&-
cv_stop_pid "$owner" 5
cv_untrack "$owner"
fw_wait_for "the owner's table goes with it" 50 no_convene
tap_is "$(mmp_c 'firewall b enable')" "" "then the same command works"
tap_is "$(fw_rules input_b | tail -n 1)" "drop" "and b's chain is there"
mmp_c 'firewall b disable' >/dev/null

# --- lock-out protection ---------------------------------------------------------------
# The operator's SSH session comes from 198.51.100.2, through b.
as_b2() { SSH_CLIENT="198.51.100.2 40022 22" mmp_c "$1"; }
as_b3() { SSH_CLIENT="198.51.100.3 40022 22" mmp_c "$1"; }
tap_is "$(as_b2 'firewall a enable')" "" \
	"session through b: closing SSH on a gives no warning (the seed's case)"
mmp_c 'firewall a disable' >/dev/null
tap_is "$(as_b2 'firewall b enable')" "WARNING: no rule allows SSH (port 22) on interface b; you may lose access
Use \"firewall b enable confirm <seconds>\" to have such a change rolled back unless confirmed" \
	"session from .2 through b: enabling b (SSH only from .3) warns and offers confirm"
tap_is "$(as_b3 'firewall b enable')" "" "session from .3: SSH stays open to it, no warning"
tap_is "$(as_b3 'firewall b delete allow 22/tcp from 198.51.100.3/32')" \
	"WARNING: no rule allows SSH (port 22) on interface b; you may lose access" \
	"session from .3: removing its SSH rule warns"
mmp_c 'firewall b disable' >/dev/null
# A session whose interface is not known (here from 127.0.0.1, through lo,
# which is not mapped): every interface is checked against its address.
as_lo() { SSH_CLIENT="127.0.0.1 40022 22" mmp_c "$1"; }
tap_is "$(as_lo 'firewall b enable')" \
	"WARNING: no rule allows SSH (port 22) on interface b; you may lose access" \
	"unknown interface: enabling b (closed to 127.0.0.1) warns, without the offer"
tap_is "$(as_lo 'firewall b allow 22/tcp from 127.0.0.0/8')" "" \
	"unknown interface: opening SSH to the session's address"
tap_is "$(as_lo 'firewall a enable')" \
	"WARNING: no rule allows SSH (port 22) on interface a; you may lose access" \
	"unknown interface: a is checked too"
tap_is "$(as_b2 'firewall b enable')" "WARNING: no rule allows SSH (port 22) on interface b; you may lose access
Use \"firewall b enable confirm <seconds>\" to have such a change rolled back unless confirmed" \
	"the same rules for a session from .2 through b: closed"
mmp_c 'firewall b delete allow 22/tcp from 127.0.0.0/8' >/dev/null
mmp_c 'firewall b disable' >/dev/null
mmp_c 'firewall a disable' >/dev/null

# Rolled back on time: the window closes SSH for .2; nobody confirms.
fw_reach "before the window: 22 from .2 answers" open "$FW_PB" --from 198.51.100.2 198.51.100.1 22
conf_before=$(jq -c .firewall.b "$D/state/config.json")
tap_is "$(as_b2 'firewall b enable confirm 10')" "WARNING: no rule allows SSH (port 22) on interface b; you may lose access
Confirm with \"firewall b confirm\" within 10 seconds, or the firewall of interface b is rolled back" \
	"enable confirm 10: the warning and the window"
tap_is "$(jq -c '.firewall.b.pending.previous' "$D/state/config.json")" "$conf_before" \
	"the window and the state to go back to are committed"
got=$(fw_probe "$FW_PB" --from 198.51.100.2 198.51.100.1 22)
if in_window b; then
	tap_is "$got" timeout "in the window: 22 from .2 dropped"
else
	tap_skip "the window closed before the probe (slow machine)" "in the window: 22 from .2 dropped"
fi
rolled_back() { [ "$(jq -c .firewall.b "$D/state/config.json")" = "$conf_before" ]; }
fw_wait_for "not confirmed: b is rolled back" 400 rolled_back
tap_is "$(fw_chains)" "" "the kernel is back too (no interface enabled: no table)"
fw_reach "after the rollback: 22 from .2 answers" open "$FW_PB" --from 198.51.100.2 198.51.100.1 22
grep -q "firewall: the change on interface b was not confirmed in time; rolled back" \
	"$D/state/log/convene.log"
tap_ok $? "the rollback is logged"

# Confirmed in time: kept.
as_b2 'firewall b enable confirm 600' >/dev/null
tap_is "$(as_b2 'firewall b confirm')" "" "firewall b confirm"
tap_is "$(jq -c '.firewall.b | has("pending")' "$D/state/config.json")" false "the window is closed"
tap_is "$(fw_rules input_b | tail -n 1)" "drop" "b's firewall stays"
mmp_c 'firewall b disable' >/dev/null

# A crash inside the window: the window is in the committed document, so
# the next mmpd rolls back.
mmp_c 'firewall a enable confirm 10' >/dev/null
chains=$(fw_chains)
mmpd_kill9
if in_window a; then
	tap_is "$chains" "input input accept
input_a - -" "the window's firewall is applied"
else
	tap_skip "the window closed before mmpd was killed (slow machine)" "the window's firewall is applied"
fi
start
a_disabled() { [ "$(jq -c '.firewall.a.enabled' "$D/state/config.json")" = false ] &&
	[ "$(jq -c '.firewall.a | has("pending")' "$D/state/config.json")" = false ]; }
fw_wait_for "after a crash in the window: a is rolled back" 400 a_disabled
tap_is "$(fw_ntables convene)" 0 "and the kernel with it"

# --- many rules in one batch -------------------------------------------------------------
mmp_c 'firewall a delete' >/dev/null
{
	for i in $(seq 1 256); do
		echo "firewall a deny $((20000 + i))"
	done
	echo "firewall a enable"
} >"$CV_TMP/many"
mmp_script "$CV_TMP/many" >/dev/null
tap_is "$(fw_rules input_a | wc -l)" $((2 + 512 + 1)) \
	"256 rules for tcp and udp: 512 kernel rules in one batch"
tap_is "$(mmp_c 'firewall a deny 30000')" "Too many rules on interface a (at most 256)" \
	"the 257th rule is refused"
fw_reach "with 256 rules: 20001 dropped" timeout "$FW_PA" 192.0.2.1 20001
fw_reach "with 256 rules: 443 answers" open "$FW_PA" 192.0.2.1 443
tap_is "$(mmp_c 'firewall a delete')" "" "firewall a delete removes the 256 rules"
tap_is "$(fw_ntables convene)" 0 "the whole configuration and the table are gone"

# --- other tables ----------------------------------------------------------------------
tap_is "$(fw_foreign)" "$foreign" "the foreign table survived everything"

mmpd_stop
tap_done
