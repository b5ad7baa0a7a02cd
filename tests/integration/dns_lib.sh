# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers of the DNS integration script (sourced after lib.sh): two network
# namespaces, cvdns-app-<pid> (mmpd, the appliance) and cvdns-srv-<pid>
# (the DNS servers), joined by a veth pair on 198.51.100.0/24; dnsmasq
# instances started with their own command-line configuration and stopped
# by PID; mmpd started inside the appliance namespace. Everything is removed
# in the EXIT trap: processes first, then the namespaces and the
# namespace's resolv.conf under /etc/netns.

DNSMASQ=${DNSMASQ:-$(command -v dnsmasq 2>/dev/null || echo /usr/sbin/dnsmasq)}
DNS_APP=
DNS_SRV=
DNS_MADE_ETC_NETNS=

dns_cleanup() {
	local ns p
	cv_cleanup
	for ns in $DNS_APP $DNS_SRV; do
		# Anything still in the namespace was started by this script.
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	# /etc/netns is left as it was found.
	[ -n "$DNS_MADE_ETC_NETNS" ] && rmdir /etc/netns 2>/dev/null
	DNS_APP=
	DNS_SRV=
}

# dns_netns: the two namespaces and the link. The appliance is 198.51.100.1;
# the servers' side holds 198.51.100.53, .54 (dnsmasq) and .55 (nothing
# listens: connection refused). 198.51.100.66 is a permanent neighbour
# entry with a MAC nobody has, so what is sent there is never answered.
dns_netns() {
	DNS_APP=cvdns-app-$$
	DNS_SRV=cvdns-srv-$$
	trap dns_cleanup EXIT
	ip netns add "$DNS_APP" || return 1
	ip netns add "$DNS_SRV" || return 1
	ip -n "$DNS_APP" link set lo up &&
		ip -n "$DNS_SRV" link set lo up &&
		ip -n "$DNS_APP" link add cvdns0 type veth peer name cvdns1 netns "$DNS_SRV" &&
		ip -n "$DNS_APP" addr add 198.51.100.1/24 dev cvdns0 &&
		ip -n "$DNS_APP" link set cvdns0 up &&
		ip -n "$DNS_SRV" addr add 198.51.100.53/24 dev cvdns1 &&
		ip -n "$DNS_SRV" addr add 198.51.100.54/24 dev cvdns1 &&
		ip -n "$DNS_SRV" addr add 198.51.100.55/24 dev cvdns1 &&
		ip -n "$DNS_SRV" link set cvdns1 up &&
		ip -n "$DNS_APP" neigh add 198.51.100.66 lladdr 02:00:00:00:00:66 dev cvdns0 \
			nud permanent
}

# dns_resolv_conf LINES...: /etc/resolv.conf as the appliance namespace sees
# it (ip netns exec bind-mounts /etc/netns/<ns>/resolv.conf over it).
dns_resolv_conf() {
	[ -d /etc/netns ] || DNS_MADE_ETC_NETNS=1
	mkdir -p "/etc/netns/$DNS_APP" &&
		printf '%s\n' "$@" >"/etc/netns/$DNS_APP/resolv.conf"
}

# dns_wait_port ADDR: waits (10 s at most) until something listens on UDP
# port 53 of ADDR in the servers' namespace.
dns_wait_port() {
	local i=0
	while [ "$i" -lt 100 ]; do
		ip netns exec "$DNS_SRV" ss -lnu 2>/dev/null | grep -q " $1:53 " && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# dnsmasq_start NAME ADDR RECORD-OPTIONS...: a dnsmasq answering on ADDR:53
# in the servers' namespace, from its command line only (no config file, no
# resolv.conf, no /etc/hosts); it logs every query to $CV_TMP/NAME.log.
# Sets DNSMASQ_PID.
dnsmasq_start() {
	local name=$1 addr=$2
	shift 2
	ip netns exec "$DNS_SRV" "$DNSMASQ" --keep-in-foreground --conf-file=/dev/null \
		--no-resolv --no-hosts --no-poll --bind-interfaces --listen-address="$addr" \
		--pid-file="$CV_TMP/$name.pid" --log-facility="$CV_TMP/$name.log" --log-queries \
		"$@" </dev/null >"$CV_TMP/$name.out" 2>&1 &
	DNSMASQ_PID=$!
	cv_track "$DNSMASQ_PID"
	if ! dns_wait_port "$addr"; then
		tap_diag "dnsmasq $name did not listen on $addr:53"
		tap_diag_file "$CV_TMP/$name.out"
		tap_diag_file "$CV_TMP/$name.log"
		return 1
	fi
}

# dns_mmpd_start D: mmpd (empty ifmap) inside the appliance namespace; its
# socket is a file, so mmp connects from anywhere. Sets MMPD_PID and SOCK.
dns_mmpd_start() {
	local d=$1 i=0
	mkdir -p "$d/state" "$d/svc"
	: >"$d/state/ifmap"
	SOCK=$d/mmpd.sock
	ip netns exec "$DNS_APP" "$MMPD" --foreground --state-dir "$d/state" --socket "$SOCK" \
		--service-dir "$d/svc" </dev/null >>"$d/mmpd.log" 2>&1 &
	MMPD_PID=$!
	cv_track "$MMPD_PID"
	while [ ! -S "$SOCK" ] && [ "$i" -lt 100 ] && cv_alive "$MMPD_PID"; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S "$SOCK" ] && return 0
	tap_diag "mmpd did not open $SOCK; its log:"
	tap_diag_file "$d/mmpd.log"
	return 1
}

# dns_check DESCRIPTION STATUS COMMAND <<EXPECTED: runs the command, and
# compares its exit status and whole output with the expected text.
dns_check() {
	local desc=$1 want_st=$2 cmd=$3 want out st
	want=$(cat)
	out=$(mmp_c "$cmd")
	st=$?
	tap_is "$st:$out" "$want_st:$want" "$desc"
}
