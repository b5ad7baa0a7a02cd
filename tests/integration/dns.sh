#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The resolver (lib/resolver.h) through "dns lookup", against real dnsmasq
# servers: mmpd runs in the namespace cvdns-app-<pid>, two dnsmasq in
# cvdns-srv-<pid> on 198.51.100.53 and .54, each with its own records.
# Checked, by the whole output of each lookup: SRV records in RFC 2782
# order with their targets' A and AAAA addresses, AAAA, a CNAME, a forward
# zone sending the query to its own server (the other server knows the name
# with another address), NXDOMAIN, REFUSED, a closed port, a timeout, the
# failover to a zone's second server, the system resolver (the namespace's
# resolv.conf), the resolver settings in a service's rendered config, and
# local records answering with the DNS server stopped.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_lib.sh"

cv_require_root
cv_require_programs
command -v ip >/dev/null || tap_skip_all "ip (iproute2) is not installed"
command -v ss >/dev/null || tap_skip_all "ss (iproute2) is not installed"
[ -x "$DNSMASQ" ] || tap_skip_all "dnsmasq is not installed (apt-get install dnsmasq-base)"
cv_init dns
dns_netns || tap_bail "cannot create the network namespaces"
dns_resolv_conf "nameserver 198.51.100.54"

# --- the DNS servers ---
# .53 serves example.com (names it does not know do not exist there) and
# knows www.other.test with the WRONG address; .54 serves other.test,
# fo.test and sys.test. Neither has an upstream, so any other name is
# REFUSED.
dnsmasq_start dns1 198.51.100.53 \
	--local=/example.com/ \
	--host-record=xmpp1.example.com,192.0.2.11,2001:db8::11 \
	--host-record=xmpp2.example.com,192.0.2.12 \
	--srv-host=_xmpp-component._tcp.example.com,xmpp2.example.com,5223,20,10 \
	--srv-host=_xmpp-component._tcp.example.com,xmpp3.example.com,5224,30,0 \
	--srv-host=_xmpp-component._tcp.example.com,xmpp1.example.com,5223,10,60 \
	--srv-host=_sip._udp.example.com,xmpp1.example.com,5060,10,60 \
	--srv-host=_sip._udp.example.com,xmpp2.example.com,5060,10,20 \
	--srv-host=_sip._udp.example.com,xmpp3.example.com,5060,5,0 \
	--cname=alias.example.com,xmpp1.example.com \
	--host-record=www.other.test,192.0.2.201
tap_ok $? "dnsmasq 1 answers on 198.51.100.53" || tap_bail "no DNS server"
DNS1_PID=$DNSMASQ_PID
dnsmasq_start dns2 198.51.100.54 \
	--local=/other.test/ --local=/fo.test/ --local=/sys.test/ \
	--host-record=www.other.test,192.0.2.202 \
	--host-record=www.fo.test,192.0.2.203 \
	--host-record=www.sys.test,192.0.2.204
tap_ok $? "dnsmasq 2 answers on 198.51.100.54" || tap_bail "no DNS server"

D=$CV_TMP/m
dns_mmpd_start "$D"
tap_ok $? "mmpd starts in the appliance namespace" || tap_bail "no mmpd"

out=
st=0
for cmd in 'dns add forwardzone example.com 198.51.100.53' \
	'dns add forwardzone other.test 198.51.100.54' \
	'dns add forwardzone refused.test 198.51.100.53' \
	'dns add forwardzone closed.test 198.51.100.55' \
	'dns add forwardzone silent.test 198.51.100.66' \
	'dns add forwardzone fo.test 198.51.100.55' \
	'dns add forwardzone fo.test 198.51.100.54'; do
	o=$(mmp_c "$cmd") || st=1
	out="$out$o"
done
tap_is "$st:$out" "0:" "the forward zones are added"

# --- answers ---
dns_check "SRV: RFC 2782 order (priorities 10, 20, 30), then the targets' addresses" 0 \
	'dns lookup srv _xmpp-component._tcp.example.com' <<'EOF'
Source: forward zone example.com (198.51.100.53)
_xmpp-component._tcp.example.com SRV 10 60 5223 xmpp1.example.com
_xmpp-component._tcp.example.com SRV 20 10 5223 xmpp2.example.com
_xmpp-component._tcp.example.com SRV 30 0 5224 xmpp3.example.com
xmpp1.example.com A 192.0.2.11
xmpp1.example.com AAAA 2001:db8::11
xmpp2.example.com A 192.0.2.12
xmpp3.example.com: no such domain (NXDOMAIN)
EOF

# Two records share priority 10 (weights 60 and 20): their order is a
# weighted draw, so only the grouping is checked: priority 5 first, then
# both priority 10 records.
out=$(mmp_c 'dns lookup srv _sip._udp.example.com')
srv=$(printf '%s\n' "$out" | grep ' SRV ' | awk '{ print $3 "/" $6 }' | tr '\n' ' ')
case $srv in
"5/xmpp3.example.com 10/xmpp1.example.com 10/xmpp2.example.com " | \
	"5/xmpp3.example.com 10/xmpp2.example.com 10/xmpp1.example.com ")
	tap_ok 0 "SRV: the lower priority first, the equal priorities together" ;;
*)
	tap_ok 1 "SRV: the lower priority first, the equal priorities together"
	tap_diag "$out" ;;
esac

dns_check "AAAA" 0 'dns lookup aaaa xmpp1.example.com' <<'EOF'
Source: forward zone example.com (198.51.100.53)
xmpp1.example.com AAAA 2001:db8::11
EOF

dns_check "a CNAME in the answer is shown and followed" 0 'dns lookup a alias.example.com' <<'EOF'
Source: forward zone example.com (198.51.100.53)
alias.example.com CNAME xmpp1.example.com
xmpp1.example.com A 192.0.2.11
EOF

before=$(grep -c 'query\[A\] www.other.test' "$CV_TMP/dns1.log")
dns_check "a forward zone sends the query to its own server" 0 'dns lookup a www.other.test' <<'EOF'
Source: forward zone other.test (198.51.100.54)
www.other.test A 192.0.2.202
EOF
grep -q 'query\[A\] www.other.test from 198.51.100.1' "$CV_TMP/dns2.log" &&
	[ "$(grep -c 'query\[A\] www.other.test' "$CV_TMP/dns1.log")" = "$before" ]
tap_ok $? "server 2 logged the query, server 1 did not see it" || tap_diag_file "$CV_TMP/dns2.log"

# --- failures ---
dns_check "NXDOMAIN gives a clear message" 1 'dns lookup a nope.example.com' <<'EOF'
Source: forward zone example.com (198.51.100.53)
FAILURE: nope.example.com: no such domain (NXDOMAIN)
EOF

dns_check "NODATA names the type" 1 'dns lookup aaaa xmpp2.example.com' <<'EOF'
Source: forward zone example.com (198.51.100.53)
FAILURE: xmpp2.example.com: no AAAA records (NODATA)
EOF

dns_check "REFUSED" 1 'dns lookup a www.refused.test' <<'EOF'
Source: forward zone refused.test (198.51.100.53)
FAILURE: www.refused.test: the DNS server refused the query (REFUSED)
EOF

dns_check "nothing listening: connection refused" 1 'dns lookup a www.closed.test' <<'EOF'
Source: forward zone closed.test (198.51.100.55)
FAILURE: www.closed.test: no DNS server at that address (connection refused)
EOF

dns_check "no answer at all: a timeout, within the deadline" 1 \
	'dns lookup a www.silent.test' <<'EOF'
Source: forward zone silent.test (198.51.100.66)
FAILURE: www.silent.test: no answer from the DNS server (timeout)
EOF

dns_check "the zone's second server answers when the first cannot" 0 \
	'dns lookup a www.fo.test' <<'EOF'
Source: forward zone fo.test (198.51.100.54)
www.fo.test A 192.0.2.203
EOF

dns_check "a name no zone covers goes to the system resolver (resolv.conf)" 0 \
	'dns lookup a www.sys.test' <<'EOF'
Source: system resolver (198.51.100.54)
www.sys.test A 192.0.2.204
EOF

# --- the services get the same settings ---
PKI=$top_srcdir/tests/golden/fixtures/pki
if [ -x "$SVC_HELPER" ] && [ -f "$PKI/edge.key" ] && [ -f "$PKI/edge-fullchain.cer" ]; then
	mkdir -p "$D/state/files"
	# webadmin is served by the call bridge's process (mmpd_super.c).
	cp "$SVC_HELPER" "$D/svc/convene-callbridge"
	cp "$PKI/edge.key" "$D/state/files/x.key"
	cp "$PKI/edge-fullchain.cer" "$D/state/files/x.crt"
	out=
	for cmd in 'ipv4 a add 192.0.2.10/24 192.0.2.1' 'webadmin listen a 443' \
		'webadmin certs x.key x.crt' 'webadmin enable'; do
		out="$out$(mmp_c "$cmd")"
	done
	RUNCONF=$D/state/run/callbridge.json
	ok=1
	for _ in $(seq 1 100); do
		[ -f "$RUNCONF" ] && break
		sleep 0.1
	done
	if [ -f "$RUNCONF" ] && tr -d ' \n' <"$RUNCONF" | grep -q \
		'"dns":{"forwardzones":\[{"zone":"example.com","server":"198.51.100.53"}'; then
		ok=0
	fi
	tap_ok $ok "a service's rendered config carries the forward zones" ||
		{ tap_diag "$out"; tap_diag_file "$RUNCONF"; }
	mmp_c 'webadmin disable' >/dev/null
else
	tap_skip "$SVC_HELPER or the PKI fixtures are missing" \
		"a service's rendered config carries the forward zones"
fi

# --- a slow lookup and a key generation run off mmpd's loop (issue 14) ---
# www.silent.test is never answered: the lookup waits for its deadline. While
# it and an RSA key generation run in their workers, another session's
# commands are answered, each before the lookup ends (an order, not a time
# limit; the latencies are shown). The worker is the helper user, with no
# capability and no way to gain privileges.
HELPER_UID=$(id -u convene-helper 2>/dev/null)
timeout 30 "$MMP" --socket "$SOCK" -c 'dns lookup a www.silent.test' >"$CV_TMP/slow.out" 2>&1 &
SLOW=$!
cv_track "$SLOW"
timeout 60 "$MMP" --socket "$SOCK" -c 'pki selfsigned slowkey keytype:rsa' >"$CV_TMP/key.out" 2>&1 &
KEY=$!
cv_track "$KEY"
WORKER=
for _ in $(seq 1 50); do
	for p in $(pgrep -P "$MMPD_PID"); do
		[ "$(awk '/^Uid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)" = "$HELPER_UID" ] &&
			WORKER=$p
	done
	[ -n "$WORKER" ] && break
	sleep 0.1
done
st=1
if [ -n "$WORKER" ] && [ -n "$HELPER_UID" ]; then
	ids=$(awk '/^(Uid|Gid):/ { print $2, $3, $4, $5 }' "/proc/$WORKER/status" | tr '\n' ' ')
	nnp=$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$WORKER/status")
	cap=$(awk '/^CapEff:/ { print $2 }' "/proc/$WORKER/status")
	grp=$(awk '/^Groups:/ { print $2 }' "/proc/$WORKER/status")
	hg=$(id -g convene-helper)
	[ "$ids" = "$HELPER_UID $HELPER_UID $HELPER_UID $HELPER_UID $hg $hg $hg $hg " ] &&
		[ "$nnp" = 1 ] && [ "$cap" = 0000000000000000 ] && [ -z "$grp" ] && st=0
fi
tap_ok $st "a command runs in a worker as convene-helper (pid $WORKER): no groups, no capabilities, NoNewPrivs" ||
	tap_diag "ids=$ids nnp=$nnp cap=$cap groups=$grp"
lat=
answered=0
for _ in 1 2 3 4 5; do
	t0=$(date +%s%N)
	out=$(mmp_c version)
	t1=$(date +%s%N)
	[ -n "$out" ] && answered=$((answered + 1))
	lat="$lat $(((t1 - t0) / 1000000))"
done
cv_alive "$SLOW"
still=$?
tap_ok "$([ "$answered" = 5 ] && [ "$still" = 0 ]; echo $?)" \
	"another session is answered 5 times while the lookup still runs (ms:$lat)"
cv_wait_gone "$SLOW" 300
wait "$SLOW" 2>/dev/null
cv_untrack "$SLOW"
tap_is "$(tail -n 1 "$CV_TMP/slow.out")" \
	"FAILURE: www.silent.test: no answer from the DNS server (timeout)" "and the lookup ends with its timeout"
cv_wait_gone "$KEY" 300
wait "$KEY" 2>/dev/null
cv_untrack "$KEY"
tap_is "$(cat "$CV_TMP/key.out")" "Created key file slowkey.key and certificate slowkey.crt" \
	"the key generation completes too"

# --- local records first ---
out=$(mmp_c 'dns add rr "static.example.com A 192.0.2.250"')
tap_is "$?:$out" "0:" "a local record is added"
cv_stop_pid "$DNS1_PID" 5
cv_untrack "$DNS1_PID"
dns_check "with dnsmasq 1 stopped, the server is really gone" 1 \
	'dns lookup a xmpp1.example.com' <<'EOF'
Source: forward zone example.com (198.51.100.53)
FAILURE: xmpp1.example.com: no DNS server at that address (connection refused)
EOF
dns_check "the local record answers without any server" 0 \
	'dns lookup a static.example.com' <<'EOF'
Source: local records
static.example.com A 192.0.2.250
EOF
! grep -q 'static.example.com' "$CV_TMP/dns1.log" "$CV_TMP/dns2.log"
tap_ok $? "no server ever saw a query for the local name"

mmpd_stop
tap_done
