#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 11 end to end on one appliance (TAP, root): Convene's XMPP server
# and its call bridge under one mmpd, set up with the seeds' commands
# (xmpp domain/listen/certs, xmpp callbridge add, xmpp enable; tls xmpp
# trust; a local DNS record for the server's name), the call bridge pointed
# at it through the API (PUT /system/configuration/xmpp), then from the peer
# namespace, as a client would:
#   - the call bridge registers (status connected, both logs say so, the
#     MMP xmpp screen lists it);
#   - a python3-slixmpp client logs in as a call bridge user (the server
#     asks the call bridge, which checks the user's stored SCRAM keys) and
#     its disco#items to the call bridge lists the user's coSpaces;
#   - a wrong password is refused; a user that does not exist is refused;
#   - an unknown call bridge name and a wrong secret: authenticationFailure
#     with the server's condition;
#   - kill -9 of the XMPP server: mmpd restarts it and the call bridge
#     registers again by itself; the client logs in again.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cb_lib.sh"

XMPP=$top_builddir/services/convene-xmpp
PEER="/usr/bin/python3 $top_srcdir/tests/integration/xmpp_peer.py"
cb_require
[ -x "$XMPP" ] || tap_bail "$XMPP is not built"
/usr/bin/python3 -c 'import slixmpp' 2>/dev/null ||
	tap_skip_all "python3-slixmpp is not installed (scripts/install-deps)"
command -v openssl >/dev/null || tap_skip_all "openssl is not installed"
cv_init xmppcb
export CONVENE_BACKOFF_SCALE=0.1

cb_start_appliance xmppcb
ln -sf "$XMPP" "$CB_D/svc/convene-xmpp"
F=$CB_D/state/files
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj "/CN=Convene test XMPP CA" -keyout "$CV_TMP/ca.key" -out "$F/xmppca.crt" \
	>/dev/null 2>&1 &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj "/CN=xmpp.example.com" -keyout "$F/xmpp.key" -out "$CV_TMP/xmpp.csr" \
		>/dev/null 2>&1 &&
	openssl x509 -req -in "$CV_TMP/xmpp.csr" -CA "$F/xmppca.crt" -CAkey "$CV_TMP/ca.key" \
		-CAcreateserial -days 2 \
		-extfile <(echo "subjectAltName=DNS:example.com,DNS:xmpp.example.com") \
		-out "$F/xmpp.crt" >/dev/null 2>&1 || tap_bail "openssl cannot make the certificates"

cb_mmp_ok "xmpp listen a" "xmpp domain example.com" "xmpp certs xmpp.key xmpp.crt" \
	"xmpp callbridge add cb1"
SECRET=$(printf '%s\n' "$MMP_OUT" | sed -n 's/^Secret *: //p')
cb_mmp_ok "tls xmpp trust xmppca.crt" "dns add rr \"xmpp.example.com A $CB_ADDR\"" \
	"xmpp enable" "callbridge restart"
cb_wait_https 30
tap_ok $? "the API answers after the restart" || tap_diag_file "$CB_D/mmpd.log"

api PUT /system/configuration/xmpp \
	"uniqueName=cb1&domain=example.com&sharedSecret=$SECRET&serverAddressOverride=xmpp.example.com"
tap_is "$API_STATUS" 200 "PUT /system/configuration/xmpp: 200"
wait_status xmppState connected
tap_ok $? "the call bridge registers with Convene's XMPP server ($(xs xmppState) $(xs xmppReason) $(xs xmppDetail))" ||
	tap_diag "$(grep -i xmpp "$CB_D/state/log/convene.log" | tail -n 20)"
tap_is "$(xs xmppServer) $(xs xmppServerAddress)" "xmpp.example.com:5223 $CB_ADDR" \
	"status: the server dialled and its address"
logged "call bridge cb1 connected from $CB_ADDR as cb1.example.com"
tap_ok $? "the XMPP server's log: call bridge cb1 connected from $CB_ADDR"
out=$(mmp_c xmpp)
printf '%s\n' "$out" | grep -qx "Connected call bridges  : cb1 ($CB_ADDR)"
tap_ok $? "the xmpp screen shows the connected call bridge" || tap_diag "$out"

api POST /users "userJid=alice@example.com&name=Alice&password=Alice.pw.1"
created users "user alice@example.com"
api POST /coSpaces "name=Alice+room&uri=alice.room"
created coSpaces "a coSpace" && sp1=$NEW_ID
api POST "/coSpaces/$sp1/coSpaceUsers" "userJid=alice@example.com"
created "coSpaces/$sp1/coSpaceUsers" "alice is a member"

login() { # login USER PASSWORD: the peer's slixmpp client, one line
	in_peer timeout 40 $PEER "$CB_ADDR" example.com - "$F/xmppca.crt" login "$1" "$2" 2>&1 |
		grep -E '^(ITEMS|AUTH FAILED|NO SESSION)' | head -n 1
}
out=$(login alice Alice.pw.1)
tap_is "$out" "ITEMS $sp1@cb1.example.com Alice room" \
	"alice logs in through the call bridge (SCRAM) and her disco#items lists her coSpace"
logged "alice@example.com/test logged in"
tap_ok $? "the XMPP server's log: alice@example.com/test logged in"
tap_is "$(login alice wrong-password)" "AUTH FAILED" "a wrong password is refused"
tap_is "$(login nobody Some.pw.1)" "AUTH FAILED" "a user the call bridge does not know is refused"

# kill -9 of the XMPP server: mmpd restarts it, the call bridge comes back.
XPID=$(in_cb ss -lntp | sed -n "s/.*$CB_ADDR:5222 .*pid=\\([0-9]*\\).*/\\1/p" | head -n 1)
[ -n "$XPID" ] && kill -KILL "$XPID"
tap_ok $? "kill -9 the XMPP server (pid ${XPID:-none})"
wait_status xmppState connected 40 && logged "XMPP: connection to xmpp.example.com:5223"
tap_ok $? "the call bridge noticed the loss and registered again ($(xs xmppState))" ||
	tap_diag "$(grep -i xmpp "$CB_D/state/log/convene.log" | tail -n 20)"
out=$(login alice Alice.pw.1)
tap_is "$out" "ITEMS $sp1@cb1.example.com Alice room" "alice logs in again after the restart"

# The failure table against this server: an unknown name, a wrong secret.
api PUT /system/configuration/xmpp "uniqueName=cb9"
wait_status xmppReason authenticationFailure
tap_ok $? "an unknown call bridge name: authenticationFailure ($(xs xmppDetail))"
printf '%s' "$(xs xmppDetail)" | grep -q "host-unknown"
tap_ok $? "its detail names the server's host-unknown"
api PUT /system/configuration/xmpp "uniqueName=cb1&sharedSecret=not-the-secret"
wait_status xmppReason authenticationFailure && sleep 0.5 && api GET /system/status
printf '%s' "$(xs xmppDetail)" | grep -q "not-authorized"
tap_ok $? "a wrong secret: authenticationFailure, not-authorized ($(xs xmppDetail))"
logged "call bridge cb1 from $CB_ADDR: authentication failure (wrong secret)"
tap_ok $? "the XMPP server's log: authentication failure (wrong secret)"
api PUT /system/configuration/xmpp "sharedSecret=$SECRET"
wait_status xmppState connected
tap_ok $? "the right secret again: connected"

mmp_c "xmpp disable" >/dev/null
wait_status xmppState connected 1
api GET /system/status
i=0
while [ "$(xs xmppState)" = connected ] && [ "$i" -lt 40 ]; do
	sleep 0.25
	api GET /system/status
	i=$((i + 1))
done
tap_ok $([ "$(xs xmppState)" != connected ]; echo $?) "xmpp disable: the call bridge's link is down ($(xs xmppState) $(xs xmppReason))"
mmpd_stop
tap_done
