# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers of tests/integration/firewall.sh (sourced after lib.sh): the
# network namespaces, the traffic probe, and reading the kernel's ruleset
# with `nft -j` and jq.
#
# Topology (RFC 5737 addresses), every namespace created and deleted here:
#
#   $FW_PA (peer of a)            $FW_APP (the appliance: mmpd)          $FW_PB (peer of b)
#   eth0 192.0.2.2, .3/24  <-veth->  fwa 192.0.2.1/24
#                                    fwb 198.51.100.1/24  <-veth->  eth0 198.51.100.2, .3/24
#
# mmpd runs inside $FW_APP with a=fwa, b=fwb, so the firewall it builds is
# in that namespace only; the machine's own interfaces and tables are never
# touched.

FW_PROBE=$top_builddir/tests/helpers/fw_probe
FW_APP=cvfw-app-$$
FW_PA=cvfw-pa-$$
FW_PB=cvfw-pb-$$
FW_NETNS=
# How long a probe waits for an answer; a dropped connection ends here.
FW_PROBE_MS=1000

fw_cleanup() {
	local ns
	cv_cleanup
	for ns in $FW_NETNS; do
		ip netns del "$ns" 2>/dev/null
	done
	FW_NETNS=
}

fw_require() {
	local p
	cv_require_root
	cv_require_programs
	for p in ip nft jq; do
		command -v "$p" >/dev/null 2>&1 || tap_skip_all "needs $p"
	done
	[ -x "$FW_PROBE" ] || tap_bail "$FW_PROBE is not built"
	ip netns add "cvfw-probe-$$" 2>/dev/null || tap_skip_all "cannot create network namespaces"
	ip netns del "cvfw-probe-$$"
}

fw_ns() { # fw_ns NS: create a namespace (deleted by fw_cleanup) with lo up
	ip netns add "$1" || tap_bail "cannot create namespace $1"
	FW_NETNS="$FW_NETNS $1"
	ip -n "$1" link set lo up
}

fw_topology() {
	fw_ns "$FW_APP"
	fw_ns "$FW_PA"
	fw_ns "$FW_PB"
	ip -n "$FW_APP" link add fwa type veth peer name eth0 netns "$FW_PA" &&
		ip -n "$FW_APP" link add fwb type veth peer name eth0 netns "$FW_PB" ||
		tap_bail "cannot create the veth pairs"
	ip -n "$FW_PA" addr add 192.0.2.2/24 dev eth0
	ip -n "$FW_PA" addr add 192.0.2.3/24 dev eth0
	ip -n "$FW_PB" addr add 198.51.100.2/24 dev eth0
	ip -n "$FW_PB" addr add 198.51.100.3/24 dev eth0
	ip -n "$FW_APP" link set fwa up
	ip -n "$FW_APP" link set fwb up
	ip -n "$FW_PA" link set eth0 up
	ip -n "$FW_PB" link set eth0 up
}

# fw_addrs: the appliance's addresses. The ipv4 commands store them (and
# apply them where the network applier does); `ip addr replace` makes sure
# the kernel has them either way, so these tests depend on the firewall only.
fw_addrs() {
	mmp_c "ipv4 a add 192.0.2.1/24 192.0.2.254" >/dev/null
	mmp_c "ipv4 b add 198.51.100.1/24 198.51.100.254" >/dev/null
	ip -n "$FW_APP" addr replace 192.0.2.1/24 dev fwa
	ip -n "$FW_APP" addr replace 198.51.100.1/24 dev fwb
}

# fw_mmpd_start DIR: mmpd inside the appliance namespace (lib.sh's
# mmpd_start, through a wrapper that enters the namespace and execs mmpd,
# so the recorded PID is mmpd's own).
fw_mmpd_start() {
	local wrap=$CV_TMP/mmpd-in-app
	if [ ! -x "$wrap" ]; then
		printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$FW_APP" "$FW_REAL_MMPD" >"$wrap"
		chmod +x "$wrap"
	fi
	MMPD=$wrap mmpd_start "$1" --iface a=fwa --iface b=fwb
}

# fw_listen PORTS...: the probe's listeners in the appliance namespace.
fw_listen() {
	local out=$CV_TMP/listen.out i=0
	: >"$out"
	ip netns exec "$FW_APP" "$FW_PROBE" listen 0.0.0.0 "$@" >"$out" 2>&1 &
	FW_LISTEN_PID=$!
	cv_track "$FW_LISTEN_PID"
	while ! grep -q READY "$out" && [ "$i" -lt 50 ]; do
		cv_alive "$FW_LISTEN_PID" || break
		sleep 0.1
		i=$((i + 1))
	done
	grep -q READY "$out" || {
		tap_diag_file "$out"
		tap_bail "the listeners did not start"
	}
}

# fw_probe NS [--from SRC] ADDR PORT[/udp]: "open", "refused" or "timeout".
fw_probe() {
	local ns=$1
	shift
	ip netns exec "$ns" timeout 10 "$FW_PROBE" connect "$@" "$FW_PROBE_MS" 2>&1
}

# fw_reach DESC WANT NS [--from SRC] ADDR PORT: one TAP line.
fw_reach() {
	local desc=$1 want=$2
	shift 2
	tap_is "$(fw_probe "$@")" "$want" "$desc"
}

fw_nft() { ip netns exec "$FW_APP" nft "$@"; }

# The number of tables named $1 in the appliance namespace.
fw_ntables() {
	fw_nft -j list tables | jq --arg n "$1" '[.nftables[] | select(.table.name == $n)] | length'
}

# fw_rules CHAIN: the rules of chain CHAIN of table inet convene, one line
# each, in a compact form read from `nft -j list ruleset`:
# "tcp.dport == 22 drop", "iifname == fwa jump:input_a",
# "ct.state in established,related accept".
fw_rules() {
	fw_nft -j list ruleset | jq -r --arg c "$1" '
		def val: if type == "object" then
				(if .prefix then "\(.prefix.addr)/\(.prefix.len)"
				 elif .range then "\(.range[0])-\(.range[1])"
				 elif .set then (.set | map(tostring) | join(","))
				 else tostring end)
			 elif type == "array" then (map(tostring) | join(","))
			 else tostring end;
		def key: if .payload then "\(.payload.protocol).\(.payload.field)"
			 elif .meta then .meta.key
			 elif .ct then "ct.\(.ct.key)"
			 else tostring end;
		.nftables[] | select(.rule and .rule.family == "inet" and .rule.table == "convene"
				     and .rule.chain == $c)
		| [.rule.expr[] |
			if .match then "\(.match.left | key) \(.match.op) \(.match.right | val)"
			elif has("accept") then "accept"
			elif has("drop") then "drop"
			elif has("jump") then "jump:\(.jump.target)"
			else tostring end] | join(" ")'
}

# fw_chains: "name hook policy" of every chain of table inet convene.
fw_chains() {
	fw_nft -j list ruleset | jq -r '
		.nftables[] | select(.chain and .chain.family == "inet" and .chain.table == "convene")
		| .chain | "\(.name) \(.hook // "-") \(.policy // "-")"'
}

# Every handle of table inet convene: a rebuilt table has new ones, so equal
# handles mean the kernel was not touched.
fw_handles() {
	fw_nft -j list ruleset | jq -c '[.nftables[] | (.table // .chain // .rule)
		| select(. != null and .family == "inet" and (.table == "convene" or .name == "convene"))
		| .handle]'
}

# The foreign table the test puts next to ours (without its counters).
fw_foreign() {
	fw_nft -j list table inet cvfwforeign | jq -c '[.nftables[] | select(.rule or .chain)
		| (.rule // .chain) | del(.expr[]?.counter?)]'
}

# fw_wait_for DESC TENTHS COMMAND...: runs COMMAND until it succeeds, at
# most TENTHS tenths of a second apart; one TAP line.
fw_wait_for() {
	local desc=$1 n=$2 i=0
	shift 2
	while ! "$@" && [ "$i" -lt "$n" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	"$@"
	tap_ok $? "$desc"
}
