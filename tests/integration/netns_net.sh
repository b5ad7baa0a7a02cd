# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for tests/integration/net.sh (sourced after lib.sh, bash): the
# network namespaces of an appliance with interfaces a and b, mmpd started
# inside the appliance namespace, and the kernel's state read back with
# `ip -j` and jq.
#
# Layout (names carry the "cvnet" prefix and this shell's PID, so parallel
# runs never collide):
#
#   $NS_APP  the appliance: veth "a" and "b", mmpd --iface a=a --iface b=b
#   $NS_PA   the peer of a: veth "pa"
#   $NS_PB   the peer of b: veth "pb"
#
# The appliance's a and b start down and without addresses: what they get
# is mmpd's doing. The namespaces are deleted in the EXIT trap.

NS_APP=cvnet-app-$$
NS_PA=cvnet-pa-$$
NS_PB=cvnet-pb-$$

netns_net_del() {
	ip netns del "$NS_APP" 2>/dev/null
	ip netns del "$NS_PA" 2>/dev/null
	ip netns del "$NS_PB" 2>/dev/null
	return 0
}

netns_net_cleanup() { # the EXIT trap: processes first, then namespaces
	cv_cleanup
	netns_net_del
}

# netns_net_setup: fresh namespaces and veth pairs (no addresses).
netns_net_setup() {
	netns_net_del
	ip netns add "$NS_APP" && ip netns add "$NS_PA" && ip netns add "$NS_PB" || return 1
	# "name" and "dev" spelled out: a bare "a" or "b" reads as a keyword.
	ip link add name a netns "$NS_APP" type veth peer name pa netns "$NS_PA" || return 1
	ip link add name b netns "$NS_APP" type veth peer name pb netns "$NS_PB" || return 1
	ip -n "$NS_APP" link set dev lo up &&
		ip -n "$NS_PA" link set dev lo up &&
		ip -n "$NS_PB" link set dev lo up &&
		ip -n "$NS_PA" link set dev pa up &&
		ip -n "$NS_PB" link set dev pb up
}

# netns_net_usable: can this machine make namespaces and veth pairs?
netns_net_usable() {
	local probe=cvnet-probe-$$ ok=1
	ip netns add "$probe" 2>/dev/null || return 1
	ip -n "$probe" link add name x type veth peer name y 2>/dev/null || ok=0
	ip netns del "$probe" 2>/dev/null
	[ "$ok" -eq 1 ]
}

# netns_net_mmpd_start DIR [ARGS...]: mmpd_start with mmpd running in
# $NS_APP. `ip netns exec` execs the program, so the wrapper's PID (the one
# lib.sh records and stops) is mmpd's own.
netns_net_mmpd_start() {
	local w=$CV_TMP/mmpd-in-$NS_APP
	if [ ! -x "$w" ]; then
		printf '#!/bin/sh\nexec ip netns exec %s "%s" "$@"\n' "$NS_APP" \
			"$top_builddir/mmpd" >"$w"
		chmod +x "$w"
	fi
	MMPD=$w mmpd_start "$@"
}

# --- the kernel's state -------------------------------------------------------

# app_addrs DEV: the IPv4 addresses of DEV in the appliance, "addr/plen"
# one per line, sorted (duplicates kept: "exactly once" is tested on this).
app_addrs() {
	ip -j -n "$NS_APP" addr show dev "$1" |
		jq -r '.[0].addr_info[]? | select(.family == "inet") | "\(.local)/\(.prefixlen)"' |
		sort
}

# app_routes: the main table of the appliance, one route per line, sorted:
# "dst via gw dev D proto P" (gw "-" when the route has none).
app_routes() {
	ip -j -n "$NS_APP" route show table main |
		jq -r '.[] | "\(.dst) via \(.gateway // "-") dev \(.dev) proto \(.protocol // "-")"' |
		sort
}

# app_defaults: the default routes of the appliance, one per line.
app_defaults() {
	app_routes | grep '^default ' || true
}

# app_link_up DEV: prints "true" when DEV is administratively up.
app_link_up() {
	ip -j -n "$NS_APP" link show dev "$1" | jq -r '.[0].flags | index("UP") != null'
}

app_mtu() {
	ip -j -n "$NS_APP" link show dev "$1" | jq -r '.[0].mtu'
}

# app_mac DEV: the MAC address in upper case, as the screens print it.
app_mac() {
	ip -j -n "$NS_APP" link show dev "$1" | jq -r '.[0].address' | tr 'a-f' 'A-F'
}

# app_has_bcast_net DEV NET: does the local table hold a broadcast route to
# the network address NET (older kernels add one, current ones do not)?
app_has_bcast_net() {
	ip -j -n "$NS_APP" route show table local dev "$1" |
		jq -e --arg n "$2" '[.[] | select(.type == "broadcast" and .dst == $n)] | length > 0' \
			>/dev/null
}

# peer_ping NS ADDR [SOURCE]: one echo from namespace NS, at most 3 tries
# of 2 s each (the first may wait for ARP).
peer_ping() {
	local i=0
	while [ "$i" -lt 3 ]; do
		if [ -n "${3:-}" ]; then
			ip netns exec "$1" ping -n -q -c 1 -W 2 -I "$3" "$2" >/dev/null 2>&1 && return 0
		else
			ip netns exec "$1" ping -n -q -c 1 -W 2 "$2" >/dev/null 2>&1 && return 0
		fi
		i=$((i + 1))
	done
	return 1
}

# peer_ping_fails NS ADDR SOURCE: one echo that must go unanswered.
peer_ping_fails() {
	! ip netns exec "$1" ping -n -q -c 1 -W 2 -I "$3" "$2" >/dev/null 2>&1
}

# ipv4_screen_routes DEV ADDR PLEN GW DEFAULT [STATIC...]: the route rows
# of the ipv4 screen for an interface with address ADDR/PLEN: the local
# route, the network (twice on kernels that keep a broadcast route for the
# network address), the broadcast, the static routes via GW, then the
# default route via GW when DEFAULT is "default" (spec/mmp.md 2.2).
ipv4_screen_routes() {
	local dev=$1 addr=$2 plen=$3 gw=$4 def=$5 net bcast r
	shift 5
	net=$(ipv4_net "$addr" "$plen")
	bcast=$(ipv4_bcast "$addr" "$plen")
	printf '    %-16s%-16s%-16s%s\n' source destination gateway global
	printf '    %-16s%-16s%-16s%s\n' 0.0.0.0 "$addr" 0.0.0.0 false
	if app_has_bcast_net "$dev" "$net"; then
		printf '    %-16s%-16s%-16s%s\n' 0.0.0.0 "$net" 0.0.0.0 false
	fi
	printf '    %-16s%-16s%-16s%s\n' 0.0.0.0 "$net" 0.0.0.0 false
	printf '    %-16s%-16s%-16s%s\n' 0.0.0.0 "$bcast" 0.0.0.0 false
	for r in "$@"; do
		printf '    %-16s%-16s%-16s%s\n' 0.0.0.0 "${r%/*}" "$gw" true
	done
	if [ "$def" = default ]; then
		printf '    %-16s%-16s%-16s%s\n' 0.0.0.0 0.0.0.0 "$gw" true
	fi
}

ipv4_to_int() {
	local IFS=.
	# shellcheck disable=SC2086 # the split is the point
	set -- $1
	echo $((($1 << 24) | ($2 << 16) | ($3 << 8) | $4))
}

int_to_ipv4() {
	echo "$((($1 >> 24) & 255)).$((($1 >> 16) & 255)).$((($1 >> 8) & 255)).$(($1 & 255))"
}

ipv4_net() { # ADDR PLEN
	local a m
	a=$(ipv4_to_int "$1")
	m=$(((0xffffffff << (32 - $2)) & 0xffffffff))
	int_to_ipv4 $((a & m))
}

ipv4_bcast() { # ADDR PLEN
	local a m
	a=$(ipv4_to_int "$1")
	m=$(((0xffffffff << (32 - $2)) & 0xffffffff))
	int_to_ipv4 $(((a & m) | (~m & 0xffffffff)))
}
