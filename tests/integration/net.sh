#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The network applier for real (spec/mmp.md 2.1, 2.2): mmpd runs in an
# appliance network namespace with a and b on veth pairs whose peers sit in
# two more namespaces, and the commands must change the kernel: addresses,
# link state, MTU, the one default route, static routes. The kernel's state
# is read back with `ip -j`; reachability is proven with ping from the
# peers. Restarting mmpd must give back the same state exactly once, a
# change the kernel refuses must change nothing, and addresses Convene did
# not put there are left alone.
#
# Part 1 uses RFC 5737 addresses; part 2 replays the seed's edge lines
# (10.124.x, seed 004) inside fresh namespaces.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns_net.sh"

cv_require_root
cv_require_programs
for p in ip jq ping; do
	command -v "$p" >/dev/null 2>&1 ||
		tap_skip_all "needs $p (Debian packages iproute2, jq, iputils-ping)"
done
netns_net_usable || tap_skip_all "cannot create network namespaces with veth pairs here"

cv_init net
trap netns_net_cleanup EXIT

# run CMD: its output in $OUT, its exit status in $RC.
run() {
	OUT=$(mmp_c "$1")
	RC=$?
}

# quiet CMD: succeeds and prints nothing (spec/mmp.md 1.1).
quiet() {
	run "$1"
	tap_is "$RC:$OUT" "0:" "$1: succeeds silently"
}

# refused CMD WANT: fails with exactly WANT and leaves config.json as it was.
refused() {
	local before
	before=$(cat "$D/state/config.json")
	run "$1"
	tap_is "$RC:$OUT" "1:$2" "$1: refused with the reason"
	tap_is "$(cat "$D/state/config.json")" "$before" "$1: the configuration is unchanged"
}

# kernel_snapshot: everything Convene may touch, for exactly-once checks.
kernel_snapshot() {
	echo "a: $(app_addrs a | tr '\n' ' ') up=$(app_link_up a) mtu=$(app_mtu a)"
	echo "b: $(app_addrs b | tr '\n' ' ') up=$(app_link_up b) mtu=$(app_mtu b)"
	app_routes
}

# ipv4_screen DEV ADDR PLEN GW DEFAULT(true|false) ROUTES [STATIC...]: the
# expected "ipv4 <if>" screen of the interface mapped to DEV; ROUTES is the
# "routes" value or "".
ipv4_screen() {
	local dev=$1 addr=$2 plen=$3 gw=$4 def=$5 routes=$6
	shift 6
	printf 'IPv4 configuration:\n'
	printf '    %-16s%s\n' address "$addr" default "$def" dhcp false enabled true \
		gateway "$gw" macaddress "$(app_mac "$dev")" prefixlen "$plen"
	[ -z "$routes" ] || printf '    %-16s%s\n' routes "$routes"
	printf 'IPv4 observed values\nAddresses:\n%s/%s\nRoutes:\n' "$addr" "$plen"
	ipv4_screen_routes "$dev" "$addr" "$plen" "$gw" \
		"$([ "$def" = true ] && echo default || echo no)" "$@"
}

# ==========================================================================
# Part 1: RFC 5737 addresses.
#   a 192.0.2.10/24, gateway 192.0.2.1 (the peer pa)
#   b 198.51.100.10/24, gateway 198.51.100.1 (the peer pb)
# The peers have an extra address on lo (203.0.113.65 behind a, 203.0.113.1
# behind b): an echo from there is answered only if the appliance routes
# the reply back through the right gateway.
# ==========================================================================
netns_net_setup || tap_bail "could not create the namespaces"
ip -n "$NS_PA" addr add 192.0.2.1/24 dev pa
ip -n "$NS_PA" addr add 203.0.113.65/32 dev lo
ip -n "$NS_PB" addr add 198.51.100.1/24 dev pb
ip -n "$NS_PB" addr add 203.0.113.1/32 dev lo
# Interface c: a macvlan on a veth of its own, which refuses an MTU above
# its lower device's (a real kernel refusal). Skipped where the kernel has
# no macvlan.
have_macvlan=0
if ip -n "$NS_APP" link add name lowc type veth peer name lowc2 &&
	ip -n "$NS_APP" link add link lowc name mv0 type macvlan mode bridge 2>/dev/null; then
	have_macvlan=1
fi
# Something that is not Convene's, which it must leave alone.
ip -n "$NS_APP" link set dev b up
ip -n "$NS_APP" addr add 192.0.2.99/32 dev b

D=$CV_TMP/m1
netns_net_mmpd_start "$D" --iface a=a --iface b=b --iface c=mv0 || tap_bail "mmpd did not start"

tap_is "$(app_addrs a)" "" "start with no ipv4 config: a gets no address"
tap_is "$(app_link_up a)" "false" "start with no ipv4 config: the link state of a is left alone"
tap_is "$(app_addrs b)" "192.0.2.99/32" "start: an address Convene did not put on b stays"

# Addresses and the link state.
quiet "ipv4 a add 192.0.2.10/24 192.0.2.1"
tap_is "$(app_addrs a)" "192.0.2.10/24" "ipv4 a add: a has the address, once"
tap_is "$(app_link_up a)" "true" "ipv4 a add: the link of a is up (first configuration enables)"
quiet "ipv4 b add 198.51.100.10/24 198.51.100.1"
tap_is "$(app_addrs b)" "$(printf '192.0.2.99/32\n198.51.100.10/24')" \
	"ipv4 b add: b has the address, and the foreign one still"
peer_ping "$NS_PA" 192.0.2.10
tap_ok $? "the peer of a reaches 192.0.2.10"
peer_ping "$NS_PB" 198.51.100.10
tap_ok $? "the peer of b reaches 198.51.100.10"
ip -n "$NS_APP" addr del 192.0.2.99/32 dev b

# The default route: one at a time.
tap_is "$(app_defaults)" "" "no default route before ipv4 <if> default"
# "ipv4 <if> default" makes that gateway *the* default route: one that
# someone else installed (same metric) is replaced, not doubled.
ip -n "$NS_APP" route add default via 198.51.100.1 dev b
quiet "ipv4 a default"
tap_is "$(app_defaults)" "default via 192.0.2.1 dev a proto 124" \
	"ipv4 a default: one default route via a, in place of the one that was there"
quiet "ipv4 b default"
tap_is "$(app_defaults)" "default via 198.51.100.1 dev b proto 124" \
	"ipv4 b default: the default route moved to b, still one"
peer_ping "$NS_PB" 198.51.100.10 203.0.113.1
tap_ok $? "a host behind b's gateway is answered through the default route"

# A static route through a's gateway.
peer_ping_fails "$NS_PA" 192.0.2.10 203.0.113.65
tap_ok $? "without a route, a host behind a's gateway gets no answer (it goes to b)"
quiet "ipv4 a route add 203.0.113.64/26"
tap_is "$(app_routes | grep '^203')" "203.0.113.64/26 via 192.0.2.1 dev a proto 124" \
	"ipv4 a route add: the route is in the kernel"
peer_ping "$NS_PA" 192.0.2.10 203.0.113.65
tap_ok $? "with the route, the host behind a's gateway is answered"

# The screens (spec/mmp.md 2.2), observed part from the kernel.
run "ipv4 a"
tap_is "$RC:$OUT" "0:$(ipv4_screen a 192.0.2.10 24 192.0.2.1 false 203.0.113.64/26 203.0.113.64/26)" \
	"ipv4 a: configuration and observed addresses and routes"
run "ipv4 b"
tap_is "$RC:$OUT" "0:$(ipv4_screen b 198.51.100.10 24 198.51.100.1 true "")" \
	"ipv4 b: the default route is the last row, global true"

# iface: MAC, configured and observed link settings; the MTU applies.
quiet "iface a mtu 1400"
tap_is "$(app_mtu a)" "1400" "iface a mtu 1400: the kernel has MTU 1400"
iface_a=$(printf 'Mac address %s\nConfigured values:\n' "$(app_mac a)"
	printf '        %-18s%s\n' Auto-negotiation: default Speed: default Duplex: default MTU: 1400
	printf 'Observed values:\n'
	printf '        %-18s%s\n' Auto-negotiation: off Speed: 10000 Duplex: full MTU: 1400)
run "iface a"
tap_is "$RC:$OUT" "0:$iface_a" "iface a: MAC, configured and observed values (veth: 10000 full)"
refused "iface a 1000 full" \
	"FAILURE: interface a (a): the driver cannot set speed, duplex or auto-negotiation"
refused "iface a autoneg on" \
	"FAILURE: interface a (a): the driver cannot set speed, duplex or auto-negotiation"
run "iface a"
tap_is "$RC:$OUT" "0:$iface_a" "iface a: unchanged after the refusals"
quiet "iface a mtu 9000"
tap_is "$(app_mtu a)" "9000" "iface a mtu 9000: applied"
quiet "iface a mtu 1500"
tap_is "$(app_mtu a)" "1500" "iface a mtu 1500: applied"

# Kernel refusals change nothing.
if [ "$have_macvlan" -eq 1 ]; then
	refused "iface c mtu 9000" \
		"FAILURE: interface c (mv0): could not set the MTU to 9000: Invalid argument"
	tap_is "$(app_mtu mv0)" "1500" "the refused MTU is not on mv0"
	quiet "iface c mtu 1400"
	tap_is "$(app_mtu mv0)" "1400" "iface c mtu 1400: within the lower device's MTU, applied"
else
	tap_skip "no macvlan in this kernel" "iface c mtu 9000 refused by the kernel"
fi
ip -n "$NS_APP" route add 198.51.100.128/25 dev a
refused "ipv4 b route add 198.51.100.128/25" \
	"FAILURE: interface b (b): could not add route 198.51.100.128/25 via 198.51.100.1: the kernel has another route to 198.51.100.128/25"
tap_is "$(app_routes | grep '^198.51.100.128' | sed 's/ proto .*//')" "198.51.100.128/25 via - dev a" \
	"the other route is untouched and no route of Convene's was added"
ip -n "$NS_APP" route del 198.51.100.128/25 dev a

# Bad input changes nothing, in the kernel either.
before=$(kernel_snapshot)
refused "ipv4 a add 192.0.2.11/24 192.0.2.1" \
	'Address already configured on interface a; use "ipv4 a del 192.0.2.10" first'
refused "ipv4 c add 192.0.2.20/24 198.51.100.1" "Gateway 198.51.100.1 is not on subnet 192.0.2.0/24"
refused "iface a mtu 9001" 'Invalid MTU "9001" (576-9000)'
refused "ipv4 e add 192.0.2.20/24 192.0.2.1" 'Invalid interface "e"'
tap_is "$(kernel_snapshot)" "$before" "bad input leaves the kernel as it was"

# disable / enable: the link goes down and takes its routes; enable brings
# everything back, once.
quiet "ipv4 a disable"
tap_is "$(app_link_up a)" "false" "ipv4 a disable: the link is down"
tap_is "$(app_routes | grep ' dev a ')" "" "ipv4 a disable: no route through a"
tap_is "$(app_addrs a)" "192.0.2.10/24" "ipv4 a disable: the address stays"
quiet "ipv4 a enable"
tap_is "$(app_link_up a)" "true" "ipv4 a enable: the link is up"
tap_is "$(app_routes | grep ' dev a ')" "$(printf '%s\n%s' \
	'192.0.2.0/24 via - dev a proto kernel' '203.0.113.64/26 via 192.0.2.1 dev a proto 124')" \
	"ipv4 a enable: the routes through a are back, once"

# Restart: the same state, exactly once.
before=$(kernel_snapshot)
screen_b=$(mmp_c "ipv4 b")
mmpd_stop
netns_net_mmpd_start "$D" --iface a=a --iface b=b --iface c=mv0 || tap_bail "mmpd did not restart"
tap_is "$(kernel_snapshot)" "$before" "restart: addresses, routes, links unchanged (nothing twice)"
tap_is "$(mmp_c "ipv4 b")" "$screen_b" "restart: the ipv4 b screen is the same"

# Start reconciles: what the configuration says is what the kernel gets.
mmpd_stop
ip -n "$NS_APP" addr flush dev a
ip -n "$NS_APP" route flush table main proto 124
ip -n "$NS_APP" addr add 192.0.2.77/24 dev a
ip -n "$NS_APP" link set dev a mtu 1280
jq '.ipv4.b.address = "198.51.100.11"' "$D/state/config.json" >"$D/config.new" &&
	mv "$D/config.new" "$D/state/config.json"
netns_net_mmpd_start "$D" --iface a=a --iface b=b --iface c=mv0 || tap_bail "mmpd did not restart"
tap_is "$(app_addrs a)" "$(printf '192.0.2.10/24\n192.0.2.77/24')" \
	"start: a's address is back; the one Convene did not put there stays"
tap_is "$(app_addrs b)" "198.51.100.11/24" "start: b's old address (Convene's) is replaced by the configured one"
tap_is "$(app_defaults)" "default via 198.51.100.1 dev b proto 124" "start: the default route is back"
tap_is "$(app_routes | grep '^203')" "203.0.113.64/26 via 192.0.2.1 dev a proto 124" \
	"start: the static route is back"
tap_is "$(app_mtu a)" "1500" "start: the configured MTU is back"
peer_ping "$NS_PB" 198.51.100.11 203.0.113.1
tap_ok $? "after the start, b's new address answers through the default route"

# The map changes while mmpd is stopped: interface a is now the device a2.
# Convene's address and route leave the old device (the address it did not
# put there stays), and the new device gets them; then back.
ip -n "$NS_APP" link add name a2 type veth peer name a2p
ip -n "$NS_APP" link set dev a2p up
mmpd_stop
netns_net_mmpd_start "$D" --iface a=a2 --iface b=b --iface c=mv0 || tap_bail "mmpd did not restart"
tap_is "$(app_addrs a)" "192.0.2.77/24" "re-mapped: Convene's address left the old device, the other stayed"
tap_is "$(app_addrs a2)" "192.0.2.10/24" "re-mapped: the new device has a's address"
tap_is "$(app_routes | grep '^203')" "203.0.113.64/26 via 192.0.2.1 dev a2 proto 124" \
	"re-mapped: the static route moved with it"
mmpd_stop
netns_net_mmpd_start "$D" --iface a=a --iface b=b --iface c=mv0 || tap_bail "mmpd did not restart"
tap_is "$(app_addrs a2)" "" "mapped back: a2 has nothing of Convene's"
tap_is "$(app_routes | grep '^203')" "203.0.113.64/26 via 192.0.2.1 dev a proto 124" \
	"mapped back: the static route is on a again"

# An unmapped interface is configuration only.
quiet "ipv4 d add 203.0.113.200/24 203.0.113.1"
tap_is "$(ip -j -n "$NS_APP" addr | jq -r '[.[].addr_info[]? | select(.local == "203.0.113.200")] | length')" \
	"0" "ipv4 d add on an unmapped interface: stored, no address in the kernel"

# A refusal in the middle of a change is rolled back. With the default
# route on a and b's device gone, "ipv4 b default" first removes a's
# default route, then fails on b; mmpd must put a's route back.
quiet "ipv4 a default"
ip -n "$NS_APP" link del dev b
refused "ipv4 b default" "FAILURE: interface b: its kernel device b does not exist"
tap_is "$(app_defaults)" "default via 192.0.2.1 dev a proto 124" \
	"the failed change is rolled back: a's default route is back, once"
refused "iface b mtu 1400" "FAILURE: interface b: its kernel device b does not exist"
mmpd_stop

# ==========================================================================
# Part 2: the seed's edge lines (seed 004, spec/mmp.md 13) in fresh
# namespaces: a internal 10.124.144.80/24, b public 10.124.42.112/24 with
# the default route.
# ==========================================================================
netns_net_setup || tap_bail "could not create the namespaces"
ip -n "$NS_PA" addr add 10.124.144.1/24 dev pa
ip -n "$NS_PB" addr add 10.124.42.1/24 dev pb
ip -n "$NS_PB" addr add 10.124.99.1/32 dev lo
D=$CV_TMP/m2
netns_net_mmpd_start "$D" --iface a=a --iface b=b || tap_bail "mmpd did not start"
quiet "ipv4 a add 10.124.144.80/24 10.124.144.1"
quiet "ipv4 b add 10.124.42.112/24 10.124.42.1"
quiet "ipv4 b default"
tap_is "$(app_addrs a)" "10.124.144.80/24" "seed: a has 10.124.144.80/24"
tap_is "$(app_addrs b)" "10.124.42.112/24" "seed: b has 10.124.42.112/24"
tap_is "$(app_defaults)" "default via 10.124.42.1 dev b proto 124" "seed: one default route, via b"
peer_ping "$NS_PA" 10.124.144.80
tap_ok $? "seed: the internal side reaches 10.124.144.80"
peer_ping "$NS_PB" 10.124.42.112 10.124.99.1
tap_ok $? "seed: a host beyond b's gateway reaches 10.124.42.112"
run "ipv4 b"
tap_is "$RC:$OUT" "0:$(ipv4_screen b 10.124.42.112 24 10.124.42.1 true "")" \
	"seed: the ipv4 b screen"
before=$(kernel_snapshot)
mmpd_stop
netns_net_mmpd_start "$D" --iface a=a --iface b=b || tap_bail "mmpd did not restart"
tap_is "$(kernel_snapshot)" "$before" "seed: after a restart the kernel has the same, once"
mmpd_stop

tap_done
