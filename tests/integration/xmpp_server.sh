#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# convene-xmpp under mmpd, configured through the MMP shell as seeds 000-002
# do it (xmpp domain, listen, certs, callbridge add, enable), in a private
# namespace whose loopback holds 192.0.2.10 (interface a, unmapped: mmpd only
# renders the config). Then, with software no one here wrote
# (python3-slixmpp) and with raw bytes (xmpp_peer.py): the stream layer's
# refusals, logins refused while no call bridge is registered, a slixmpp
# component registering as the call bridge and answering the logins, two
# slixmpp clients logging in with SCRAM and PLAIN, routing, disco, ping,
# conflicts, the component port over direct TLS; the privilege drop; a
# kill -9 of the server (mmpd restarts it); disable.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/turn_lib.sh"

XMPP=$top_builddir/services/convene-xmpp
PEER="/usr/bin/python3 $top_srcdir/tests/integration/xmpp_peer.py"

cv_require_root
cv_require_programs
[ -x "$XMPP" ] || tap_bail "$XMPP is not built"
/usr/bin/python3 -c 'import slixmpp' 2>/dev/null ||
	tap_skip_all "python3-slixmpp is not installed (scripts/install-deps)"
command -v openssl >/dev/null || tap_skip_all "openssl is not installed"

cv_init xmpp-server
turn_netns xmpp
ip -n "$TURN_NS" addr add 192.0.2.10/32 dev lo || tap_bail "cannot add an address"

D=$CV_TMP/m
ns_mmpd_start "$D"
ln -s "$XMPP" "$D/svc/convene-xmpp"

run() { # run COMMAND EXPECTED-OUTPUT
	local out
	out=$(mmp_c "$1")
	tap_is "$out" "$2" "mmp: $1"
}

# A lab CA, a server certificate for example.com and one for another name.
C=$CV_TMP/certs
mkdir -p "$C"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj "/CN=Convene test CA" -keyout "$C/ca.key" -out "$C/ca.crt" >/dev/null 2>&1 ||
	tap_bail "openssl cannot make a CA"
mkcert() { # mkcert NAME SANS
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj "/CN=$1" -keyout "$D/state/files/$1.key" -out "$C/$1.csr" >/dev/null 2>&1 &&
		openssl x509 -req -in "$C/$1.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" \
			-CAcreateserial -days 2 -extfile <(printf 'subjectAltName=%s\n' "$2") \
			-out "$D/state/files/$1.crt" >/dev/null 2>&1 ||
		tap_bail "openssl cannot make a certificate for $1"
}
mkcert xmpp "DNS:example.com,DNS:xmpp.example.com"
mkcert other "DNS:other.example"
chmod 644 "$D/state/files/"*.key

run "ipv4 a add 192.0.2.10/24 192.0.2.1" ""
run "xmpp listen a" ""
run "xmpp domain example.com" ""
out=$(mmp_c "xmpp callbridge add cb1")
SECRET=$(printf '%s\n' "$out" | sed -n 's/^Secret *: //p')
case $SECRET in [A-Za-z0-9]*) [ ${#SECRET} = 20 ] && st=0 || st=1 ;; *) st=1 ;; esac
tap_ok $st "xmpp callbridge add prints a secret of 20 letters and digits ($SECRET)"

# The enable-time check: the certificate must name the domain (seeds).
run "xmpp certs other.key other.crt" ""
out=$(mmp_c "xmpp enable")
case $out in *FAILURE*example.com*) st=0 ;; *) st=1 ;; esac
tap_ok $st "xmpp enable refuses a certificate whose SANs lack the domain"
[ $st = 0 ] || tap_diag "$out"
tap_is "$(in_ns ss -lnt | grep -c ':5222 ')" "0" "nothing listens after the refused enable"

run "xmpp certs xmpp.key xmpp.crt" ""
out=$(mmp_c "xmpp enable")
case $out in *"SUCCESS: Xmpp enabled"*) st=0 ;; *) st=1 ;; esac
tap_ok $st "mmp: xmpp enable"
[ $st = 0 ] || tap_diag "$out"
turn_wait_port t 192.0.2.10 5222 && turn_wait_port t 192.0.2.10 5223 &&
	turn_wait_port t 127.0.0.1 5347
tap_ok $? "the server listens on 5222, 5223 and 127.0.0.1:5347"
[ $? = 0 ] || tap_diag_file "$D/mmpd.log"

PID=$(in_ns ss -lntp | sed -n 's/.*:5222 .*pid=\([0-9]*\).*/\1/p' | head -n 1)
user=$(ps -o user= -p "${PID:-0}" 2>/dev/null)
tap_is "$user" "convene-xmpp" "the server runs as convene-xmpp after binding"

in_ns timeout 60 $PEER 192.0.2.10 example.com "$SECRET" "$C/ca.crt" nocb >"$CV_TMP/nocb.out" 2>&1
st=$?
peer_tap "$CV_TMP/nocb.out"
tap_ok $st "the raw checks ran to the end"
[ $st = 0 ] || tap_diag_file "$CV_TMP/nocb.out"

in_ns timeout 120 $PEER 192.0.2.10 example.com "$SECRET" "$C/ca.crt" cb >"$CV_TMP/cb.out" 2>&1
st=$?
peer_tap "$CV_TMP/cb.out"
tap_ok $st "the slixmpp checks ran to the end"
[ $st = 0 ] || tap_diag_file "$CV_TMP/cb.out"

grep -q "call bridge cb1 connected from 127.0.0.1 as cb1.example.com" "$D/state/log/convene.log"
tap_ok $? "the log says the call bridge connected"
grep -q "over 64 KiB/s: reading paused" "$D/state/log/convene.log"
tap_ok $? "the log says the flooding client's reading was paused"

# kill -9: mmpd restarts the server.
kill -KILL "$PID" 2>/dev/null
i=0
NEW=
while [ "$i" -lt 150 ]; do
	NEW=$(in_ns ss -lntp | sed -n 's/.*:5222 .*pid=\([0-9]*\).*/\1/p' | head -n 1)
	[ -n "$NEW" ] && [ "$NEW" != "$PID" ] && break
	sleep 0.2
	i=$((i + 1))
done
[ -n "$NEW" ] && [ "$NEW" != "$PID" ]
tap_ok $? "after kill -9 mmpd starts the server again ($PID -> $NEW)"

run "xmpp disable" ""
turn_wait_port t 192.0.2.10 5222 gone
tap_ok $? "disable stops the server"
cv_stop_pid "$MMPD_PID" 10
cv_untrack "$MMPD_PID"
tap_done
