#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The call bridge's XMPP component link against a real XMPP server (TAP,
# root): prosody 0.12 with the CMS-style direct-TLS component port
# (spec/xmpp.md 3.3: ssl_ports + net_multiplex) and dnsmasq serving the SRV
# records (spec/xmpp.md 3.7), both in the appliance's network namespace on
# loopback addresses; the call bridge under mmpd, set up by the operator
# story of issue 10 plus "tls xmpp trust" and "dns add forwardzone", and
# driven through the API from the peer namespace with curl:
#
#   - PUT /system/configuration/xmpp -> registered (status connected,
#     server, address; prosody says "External component successfully
#     authenticated"; the log line; Web Admin Status > General), and the
#     call bridge was not restarted for it;
#   - disco#items from a prosody user reaches the call bridge, which
#     answers with the user's coSpaces (when python3-slixmpp is there);
#   - a wrong secret -> authenticationFailure (not-authorized);
#   - a server certificate without the name dialled -> tlsFailure
#     (hostname mismatch); an expired one -> tlsFailure (certificate has
#     expired);
#   - the server down -> connectFailure, then started -> connected after
#     the back-off, without any API call;
#   - SRV with two targets, the first (priority 10) down -> connected to
#     the second (priority 20);
#   - no SRV record -> dnsFailure; settings removed -> idle, notConfigured.
#
# Skipped (exit 77, with the reason) without prosody, dnsmasq, openssl or
# certtool. Every wait is bounded; every process is stopped by its PID.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cb_lib.sh"

PROSODY=/usr/bin/prosody
DNSMASQ=/usr/sbin/dnsmasq
cb_require
[ -x "$PROSODY" ] || tap_skip_all "prosody is not installed (apt-get install prosody)"
[ -x "$DNSMASQ" ] || tap_skip_all "dnsmasq is not installed (apt-get install dnsmasq-base)"
command -v openssl >/dev/null || tap_skip_all "openssl is not installed"
command -v certtool >/dev/null || tap_skip_all "certtool is not installed (apt-get install gnutls-bin)"
cv_init cbxmpp
export CONVENE_BACKOFF_SCALE=0.1
SECRET=cb-secret-123
LAB=$CV_TMP/lab
PROSODY_PID=

# --- certificates (spec/xmpp.md 3.2): a lab CA; a good server certificate
# with the names dialled; one without them; one that expired in 2020.
mkdir -p "$LAB/data" "$LAB/nocerts"
(
	cd "$LAB" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Lab XMPP CA" \
		-keyout ca.key -out ca.crt 2>/dev/null || exit 1
	mk() { # mk NAME SANS
		printf '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = %s\n[ext]\n' \
			"$1.example.com" >"$1.cnf"
		printf 'subjectAltName = %s\nextendedKeyUsage = serverAuth\n' "$2" >>"$1.cnf"
		openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" \
			-config "$1.cnf" 2>/dev/null &&
			openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
				-days 30 -extfile "$1.cnf" -extensions ext -out "$1.crt" 2>/dev/null
	}
	mk good "DNS:example.com, DNS:xmpp.example.com, DNS:xmpp1.example.com, DNS:xmpp2.example.com, DNS:cb1.example.com" || exit 1
	mk nosan "DNS:example.com, DNS:other.example.com" || exit 1
	certtool --generate-privkey --key-type rsa --bits 2048 --outfile expired.key 2>/dev/null
	cat >expired.tmpl <<-'EOF'
		cn = "xmpp.example.com"
		dns_name = "example.com"
		dns_name = "xmpp.example.com"
		activation_date = "2020-01-01 00:00:00 UTC"
		expiration_date = "2020-12-31 00:00:00 UTC"
		tls_www_server
		signing_key
		encryption_key
	EOF
	certtool --generate-certificate --load-privkey expired.key --load-ca-certificate ca.crt \
		--load-ca-privkey ca.key --template expired.tmpl --outfile expired.crt 2>/dev/null
) || tap_bail "cannot make the lab certificates"
[ -s "$LAB/expired.crt" ] || tap_bail "certtool did not make the expired certificate"

cb_start_appliance xmpp

# prosody_start CERT: prosody in the appliance namespace, direct-TLS
# component port 5223 on 127.0.0.1 with CERT (LAB/CERT.crt, .key), c2s 5222.
# Every name the call bridge dials is a host of it: prosody refuses an SNI
# that is none of its hosts with unrecognized_name (spec/xmpp.md 1.2).
prosody_start() {
	local i=0
	cat >"$LAB/prosody.cfg.lua" <<-EOF
		run_as_root = true
		data_path = "$LAB/data"
		pidfile = "$LAB/prosody.pid"
		log = { { levels = { min = "info" }, to = "console" } }
		interfaces = { "127.0.0.1" }
		local_interfaces = { "127.0.0.1" }
		c2s_ports = { 5222 }
		component_ports = { 5347 }
		component_interfaces = { "127.0.0.1" }
		ssl_ports = { 5223 }
		ssl_interfaces = { "127.0.0.1" }
		modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "posix"; "net_multiplex"; }
		modules_disabled = { "s2s" }
		authentication = "internal_hashed"
		c2s_require_encryption = true
		allow_registration = false
		certificates = "$LAB/nocerts"
		ssl = { certificate = "$LAB/$1.crt"; key = "$LAB/$1.key"; }
		VirtualHost "example.com"
		VirtualHost "xmpp.example.com"
		VirtualHost "xmpp1.example.com"
		VirtualHost "xmpp2.example.com"
		Component "cb1.example.com"
		  component_secret = "$SECRET"
	EOF
	: >"$LAB/prosody.log"
	# ip netns exec execs prosody: $! is prosody's PID (not a subshell's).
	ip netns exec "$CB_NS" "$PROSODY" --config "$LAB/prosody.cfg.lua" -F </dev/null \
		>>"$LAB/prosody.all" 2>&1 &
	PROSODY_PID=$!
	cv_track "$PROSODY_PID"
	while [ "$i" -lt 100 ] && cv_alive "$PROSODY_PID"; do
		[ "$(grep -c "Activated service 'multiplex_ssl' on \[127.0.0.1\]:5223" \
			"$LAB/prosody.all")" -ge "$PROSODY_STARTS" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	tap_diag_file "$LAB/prosody.all"
	return 1
}
PROSODY_STARTS=0
prosody_up() { # prosody_up CERT: as prosody_start, counting the starts
	PROSODY_STARTS=$((PROSODY_STARTS + 1))
	prosody_start "$1"
}
prosody_stop() {
	[ -n "$PROSODY_PID" ] || return 0
	cv_stop_pid "$PROSODY_PID" 5
	cv_untrack "$PROSODY_PID"
	PROSODY_PID=
}

# --- the XMPP side ------------------------------------------------------------------
ip netns exec "$CB_NS" "$DNSMASQ" --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
	--bind-interfaces --listen-address=127.0.0.53 --port=53 --pid-file= --user=root \
	--log-facility="$LAB/dnsmasq.log" --log-queries --local=/example.com/ \
	--host-record=xmpp.example.com,127.0.0.1 \
	--host-record=xmpp1.example.com,127.0.0.2 \
	--host-record=xmpp2.example.com,127.0.0.1 \
	--srv-host=_xmpp-component._tcp.example.com,xmpp1.example.com,5223,10,10 \
	--srv-host=_xmpp-component._tcp.example.com,xmpp2.example.com,5223,20,10 \
	</dev/null >"$LAB/dnsmasq.out" 2>&1 &
DNSMASQ_PID=$!
cv_track "$DNSMASQ_PID"
prosody_up good
tap_ok $? "prosody listens on 127.0.0.1:5223 (direct TLS, component streams)" ||
	tap_bail "prosody did not start"
in_cb prosodyctl --config "$LAB/prosody.cfg.lua" register alice example.com alicepass \
	>/dev/null 2>&1

cp "$LAB/ca.crt" "$CB_D/state/files/xmppca.crt"
cb_mmp_ok "tls xmpp trust xmppca.crt" "dns add forwardzone example.com 127.0.0.53" \
	"callbridge restart"
cb_wait_https 30
tap_ok $? "the API answers after the restart" || tap_diag_file "$CB_D/mmpd.log"

# --- helpers ---------------------------------------------------------------------------

put_xmpp() {
	api PUT /system/configuration/xmpp "$1"
	[ "$API_STATUS" = 200 ]
}

# --- registered -------------------------------------------------------------------------
api GET /system/status
tap_is "$(xs xmppState)/$(xs xmppReason)" "idle/notConfigured" \
	"before any setting: idle, notConfigured ($(status_line))"
pid_before=$(cb_pids | head -n 1)
put_xmpp "uniqueName=cb1&domain=example.com&sharedSecret=$SECRET&serverAddressOverride=xmpp.example.com"
tap_ok $? "PUT /system/configuration/xmpp with the server's name: 200" || tap_diag "$API_BODY"
wait_status xmppState connected
tap_ok $? "status: connected ($(status_line))" ||
	{ tap_diag "$(grep XMPP "$CB_D/mmpd.log" | tail -n 20)"; tap_diag_file "$LAB/prosody.all"; }
tap_is "$(xs xmppServer) $(xs xmppServerAddress)" "xmpp.example.com:5223 127.0.0.1" \
	"status: the server dialled and its address"
grep -q "External component successfully authenticated" "$LAB/prosody.all"
tap_ok $? "prosody: External component successfully authenticated"
logged "XMPP: connecting to xmpp.example.com:5223 (127.0.0.1)"
tap_ok $? "log: XMPP: connecting to xmpp.example.com:5223 (127.0.0.1)"
logged "XMPP: registered with xmpp.example.com:5223 (127.0.0.1) as cb1.example.com"
tap_ok $? "log: XMPP: registered with xmpp.example.com:5223 (127.0.0.1) as cb1.example.com"
tap_is "$(cb_pids | head -n 1)" "$pid_before" "the call bridge applied the settings without a restart"

# Web Admin Status > General says the same in words.
cb_add_user wadm admin Wadm.pw.123 >/dev/null
in_peer curl -sk -c "$CV_TMP/jar" -o /dev/null --max-time 10 \
	--data-urlencode username=wadm --data-urlencode password=Wadm.pw.123 \
	"https://$CB_ADDR/login"
page=$(in_peer curl -sk -b "$CV_TMP/jar" --max-time 10 "https://$CB_ADDR/status")
printf '%s' "$page" | grep -q '<td id="xmpp">connected to xmpp.example.com:5223 (127.0.0.1)</td>'
tap_ok $? "Web Admin Status > General: connected to xmpp.example.com:5223 (127.0.0.1)" ||
	tap_diag "$(printf '%s' "$page" | grep -o '<td id="xmpp">[^<]*' | head -n 1)"

# --- a user with spaces in the call bridge's store ----------------------------------------
api POST /users "userJid=alice@example.com&name=Alice&password=alicepass"
created users "user alice@example.com"
api POST /coSpaces "name=Alice%27s+room&uri=alice.room"
created coSpaces "a coSpace" && sp1=$NEW_ID
api POST "/coSpaces/$sp1/coSpaceUsers" "userJid=alice@example.com"
created "coSpaces/$sp1/coSpaceUsers" "alice is a member"
api POST /coSpaces "name=Owned&uri=owned.room&ownerJid=alice@example.com"
created coSpaces "a coSpace alice owns" && sp2=$NEW_ID

# --- disco#items through prosody, answered from the call bridge's store ----------------
if /usr/bin/python3 -c 'import slixmpp' 2>/dev/null; then
	# spec/xmpp.md 3.4's client, asking the component for its items.
	cat >"$LAB/disco.py" <<-'EOF'
		import asyncio, sys
		from slixmpp import ClientXMPP
		class C(ClientXMPP):
		    def __init__(self):
		        super().__init__("alice@example.com/t", "alicepass")
		        self.add_event_handler("session_start", self.start)
		        self.add_event_handler("failed_auth", lambda _: self.disconnect())
		    async def start(self, _):
		        try:
		            r = await self["xep_0030"].get_items(jid="cb1.example.com", timeout=10)
		            for it in r["disco_items"]["items"]:
		                print("ITEM", it[0], it[2])
		        except Exception as e:
		            print("ERROR", repr(e))
		        self.disconnect()
		c = C()
		c.register_plugin("xep_0030")
		c.ca_certs = sys.argv[1]
		c.use_aiodns = False
		c.connect(("127.0.0.1", 5222))
		asyncio.get_event_loop().run_until_complete(c.disconnected)
	EOF
	in_cb timeout 30 /usr/bin/python3 "$LAB/disco.py" "$LAB/ca.crt" >"$LAB/disco.out" 2>&1
	out=$(grep -E '^(ITEM|ERROR)' "$LAB/disco.out" | sort)
	want=$(printf 'ITEM %s@cb1.example.com Alice'"'"'s room\nITEM %s@cb1.example.com Owned\n' \
		"$sp1" "$sp2" | sort)
	tap_is "$out" "$want" "disco#items from alice@example.com: her coSpaces from the call bridge" ||
		tap_diag_file "$LAB/disco.out"
else
	tap_skip "python3-slixmpp is not installed" "disco#items through prosody"
fi

# --- the login checks of urn:convene:xmpp:cb-auth:0 ----------------------------------------
# Our own XMPP server will ask them, prosody cannot: cb_authserver.py does
# (direct TLS, the handshake checked), and compares the SCRAM keys with
# keys it derives from the password and the salt returned.
ip netns exec "$CB_NS" /usr/bin/python3 "$top_srcdir/tests/integration/cb_authserver.py" 5299 \
	"$LAB/good.crt" "$LAB/good.key" "$SECRET" </dev/null >"$LAB/authserver.out" 2>&1 &
AUTHSRV_PID=$!
cv_track "$AUTHSRV_PID"
i=0
while [ "$i" -lt 50 ] && ! grep -q LISTENING "$LAB/authserver.out"; do
	sleep 0.1
	i=$((i + 1))
done
put_xmpp "serverAddressOverride=xmpp.example.com:5299"
tap_ok $? "PUT serverAddressOverride=xmpp.example.com:5299 (the scripted server): 200"
cv_wait_gone "$AUTHSRV_PID" 300
cv_untrack "$AUTHSRV_PID"
want="LISTENING
HANDSHAKE ok cb1.example.com
v1 result 
v2 error auth/not-authorized
v3 error auth/not-authorized
v4 error auth/forbidden
k1 SCRAM-SHA-1 4096 16 keys match
k2 SCRAM-SHA-256 4096 16 keys match
k3 cancel/item-not-found
x1 cancel/service-unavailable"
tap_is "$(cat "$LAB/authserver.out")" "$want" \
	"cb-auth: verify (right, wrong, unknown user, not asked by the domain), scram SHA-1 and SHA-256 keys, unknown user; another IQ" ||
	tap_diag "$(grep XMPP "$CB_D/state/log/convene.log" | tail -n 10)"
put_xmpp "serverAddressOverride=xmpp.example.com"
wait_status xmppState connected
tap_ok $? "back to prosody: connected ($(status_line))"

# --- wrong secret -----------------------------------------------------------------------
put_xmpp "sharedSecret=wrong-secret"
tap_ok $? "PUT sharedSecret=wrong-secret: 200"
wait_status xmppReason authenticationFailure
tap_ok $? "a wrong secret: authenticationFailure ($(status_line))"
case $(xs xmppDetail) in not-authorized*) st=0 ;; *) st=1 ;; esac
tap_ok $st "... detail names not-authorized"
logged "XMPP: authentication failure with xmpp.example.com:5223 as cb1.example.com"
tap_ok $? "log: XMPP: authentication failure with xmpp.example.com:5223 as cb1.example.com"
put_xmpp "sharedSecret=$SECRET"
wait_status xmppState connected
tap_ok $? "the right secret again: connected ($(status_line))"

# --- certificates -------------------------------------------------------------------------
prosody_stop
prosody_up nosan || tap_bail "prosody did not start with the second certificate"
wait_status xmppReason tlsFailure 30
tap_ok $? "a certificate without the name dialled: tlsFailure ($(status_line))"
case $(xs xmppDetail) in *"hostname mismatch"*) st=0 ;; *) st=1 ;; esac
tap_ok $st "... detail: hostname mismatch"
logged "XMPP: TLS failure with xmpp.example.com:5223 (127.0.0.1): certificate failed verification: hostname mismatch"
tap_ok $? "log: XMPP: TLS failure with xmpp.example.com:5223 (127.0.0.1): ... hostname mismatch"

prosody_stop
prosody_up expired || tap_bail "prosody did not start with the expired certificate"
i=0
while [ "$i" -lt 120 ]; do
	api GET /system/status
	case $(xs xmppDetail) in *"certificate has expired"*) break ;; esac
	sleep 0.25
	i=$((i + 1))
done
tap_is "$(xs xmppReason)" tlsFailure "an expired certificate: tlsFailure ($(status_line))"
case $(xs xmppDetail) in *"certificate has expired"*) st=0 ;; *) st=1 ;; esac
tap_ok $st "... detail: certificate has expired"

# --- the server down, then up ---------------------------------------------------------------
prosody_stop
wait_status xmppReason connectFailure 30
tap_ok $? "no server listening: connectFailure ($(status_line))"
prosody_up good || tap_bail "prosody did not start again"
wait_status xmppState connected 40
tap_ok $? "the server back: connected after the back-off, no API call ($(status_line))"

# --- an override host without an address ------------------------------------------------------
put_xmpp "serverAddressOverride=nohost.example.com"
wait_status xmppReason dnsFailure 20
tap_ok $? "an override host without an address: dnsFailure ($(status_line))"
case $(xs xmppDetail) in "no address for nohost.example.com: "*) st=0 ;; *) st=1 ;; esac
tap_ok $st "... detail: no address for nohost.example.com: <the resolver's words>"

# --- SRV ----------------------------------------------------------------------------------------
put_xmpp "serverAddressOverride="
tap_ok $? "PUT serverAddressOverride= (use SRV): 200"
wait_status xmppState connected 30
tap_ok $? "SRV: connected ($(status_line))"
tap_is "$(xs xmppServer) $(xs xmppServerAddress)" "xmpp2.example.com:5223 127.0.0.1" \
	"SRV: the first target (priority 10) is down, the second (priority 20) took us"
logged "XMPP: connecting to xmpp1.example.com:5223 (127.0.0.2)"
tap_ok $? "log: the priority 10 target was tried first"

put_xmpp "domain=nosrv.example.com"
wait_status xmppReason dnsFailure 30
tap_ok $? "no SRV record: dnsFailure ($(status_line))"
tap_is "$(xs xmppDetail)" "no SRV record for _xmpp-component._tcp.nosrv.example.com" \
	"... detail names the SRV name"
logged "XMPP: no SRV record for _xmpp-component._tcp.nosrv.example.com"
tap_ok $? "log: XMPP: no SRV record for _xmpp-component._tcp.nosrv.example.com"

put_xmpp "domain="
wait_status xmppReason notConfigured 10
tap_is "$(xs xmppState)/$(xs xmppReason)" "idle/notConfigured" \
	"domain unset: idle, notConfigured ($(status_line))"
tap_is "$(cb_pids | head -n 1)" "$pid_before" "the same call bridge process throughout"

prosody_stop
tap_done
