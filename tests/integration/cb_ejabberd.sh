#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The call bridge's XMPP component link against ejabberd (TAP, root), the
# second server no one here wrote (issue 11; prosody is cb_xmpp.sh's): an
# ejabberd 23 in the appliance's namespace on 127.0.0.1:5223 with an
# ejabberd_service listener in direct TLS (spec/xmpp.md 3.8), the call
# bridge pointed at it by name (a local DNS record) with the CA trusted:
#   - the call bridge registers (status connected, ejabberd's log);
#   - a wrong secret: authenticationFailure (ejabberd accepts the header
#     and refuses the handshake with not-authorized, unlike prosody);
#   - the right secret again: connected without a restart.
# Skipped without ejabberd. ejabberd runs as its own user; it is stopped
# by the PID of its beam.smp.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cb_lib.sh"

EJCTL=/usr/sbin/ejabberdctl
cb_require
[ -x "$EJCTL" ] || tap_skip_all "ejabberd is not installed (apt-get install ejabberd)"
id ejabberd >/dev/null 2>&1 || tap_skip_all "the ejabberd user does not exist"
command -v openssl >/dev/null || tap_skip_all "openssl is not installed"
cv_init cbejabberd
export CONVENE_BACKOFF_SCALE=0.1
SECRET=EjSecret0123456789ab
EJ_BEAM=

cb_start_appliance cbej
LAB=$CV_TMP/ej
mkdir -p "$LAB/db" "$LAB/log"
F=$CB_D/state/files
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj "/CN=ejabberd test CA" -keyout "$LAB/ca.key" -out "$F/ejca.crt" >/dev/null 2>&1 &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj "/CN=xmpp.example.com" -keyout "$LAB/server.key" -out "$LAB/server.csr" \
		>/dev/null 2>&1 &&
	openssl x509 -req -in "$LAB/server.csr" -CA "$F/ejca.crt" -CAkey "$LAB/ca.key" \
		-CAcreateserial -days 2 \
		-extfile <(echo "subjectAltName=DNS:example.com,DNS:xmpp.example.com") \
		-out "$LAB/server.crt" >/dev/null 2>&1 || tap_bail "openssl cannot make the certificates"
cat "$LAB/server.crt" "$LAB/server.key" >"$LAB/server.pem"
printf '{lookup,["file"]}.\n{host,{127,0,0,1},["localhost"]}.\n' >"$LAB/inetrc"
printf 'ERLANG_NODE=ejabberd@localhost\nINET_DIST_INTERFACE=127.0.0.1\nERL_DIST_PORT=6210\nERL_EPMD_ADDRESS=127.0.0.1\n' \
	>"$LAB/ejabberdctl.cfg"
cat >"$LAB/ejabberd.yml" <<YML
hosts: [example.com]
loglevel: info
certfiles: ["$LAB/server.crt", "$LAB/server.key"]
acme: {auto: false}
auth_method: internal
s2s_access: none
acl: {local: {user_regexp: ""}}
access_rules: {local: {allow: local}, c2s: {allow: all}}
modules: {mod_roster: {}, mod_disco: {}, mod_ping: {}}
listen:
  - {port: 5223, ip: "127.0.0.1", module: ejabberd_service, tls: true, certfile: "$LAB/server.pem",
     hosts: {"cb1.example.com": {password: "$SECRET"}}}
YML
chown -R ejabberd:ejabberd "$LAB"
chmod 0711 "$CV_TMP"
EJ=("$EJCTL" --config-dir "$LAB" --config "$LAB/ejabberd.yml" --ctl-config "$LAB/ejabberdctl.cfg"
	--spool "$LAB/db" --logs "$LAB/log")
ip netns exec "$CB_NS" env ERL_INETRC="$LAB/inetrc" "${EJ[@]}" foreground >"$LAB/console.log" 2>&1 &
cv_track $!
i=0
while [ "$i" -lt 300 ]; do
	in_cb ss -lnt | grep -q "127.0.0.1:5223 " && break
	sleep 0.2
	i=$((i + 1))
done
EJ_BEAM=$(pgrep -u ejabberd -f "beam.smp.*$LAB/db" | head -n 1)
[ -n "$EJ_BEAM" ] && cv_track "$EJ_BEAM"
in_cb ss -lnt | grep -q "127.0.0.1:5223 "
tap_ok $? "ejabberd listens on 127.0.0.1:5223 (ejabberd_service, TLS)" ||
	{ tap_diag_file "$LAB/console.log"; tap_bail "ejabberd did not start"; }

cb_mmp_ok "tls xmpp trust ejca.crt" "dns add rr \"xmpp.example.com A 127.0.0.1\"" \
	"callbridge restart"
cb_wait_https 30
tap_ok $? "the API answers after the restart"

api PUT /system/configuration/xmpp \
	"uniqueName=cb1&domain=example.com&sharedSecret=$SECRET&serverAddressOverride=xmpp.example.com"
tap_is "$API_STATUS" 200 "PUT /system/configuration/xmpp: 200"
wait_status xmppState connected 30
tap_ok $? "the call bridge registers with ejabberd ($(xs xmppState) $(xs xmppReason) $(xs xmppDetail))" ||
	tap_diag "$(grep -i xmpp "$CB_D/state/log/convene.log" | tail -n 10)"
grep -rqi "cb1.example.com" "$LAB/log" "$LAB/console.log" 2>/dev/null
tap_ok $? "ejabberd's log names the component cb1.example.com"

api PUT /system/configuration/xmpp "sharedSecret=wrong-secret"
wait_status xmppReason authenticationFailure 20
tap_ok $? "a wrong secret: authenticationFailure ($(xs xmppDetail))"
printf '%s' "$(xs xmppDetail)" | grep -q "not-authorized"
tap_ok $? "ejabberd's condition: not-authorized"
api PUT /system/configuration/xmpp "sharedSecret=$SECRET"
wait_status xmppState connected 30
tap_ok $? "the right secret again: connected"

mmpd_stop
[ -n "$EJ_BEAM" ] && cv_stop_pid "$EJ_BEAM" 10
tap_done
