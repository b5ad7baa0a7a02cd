#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The call bridge of issue 10 under a real mmpd, as the operator drives it
# (TAP, root): the commands of the issue through mmp, then from the peer
# namespace with curl and HTTP Basic auth:
#
#   - the `callbridge` and `webadmin` screens show the service running;
#   - authentication: no credentials, a wrong password and a user of role
#     audit get 401 with WWW-Authenticate; `user rule max_failed_logins`
#     locks an API user out of the API too;
#   - every example of spec/api.md 6.1-6.4 and 1.4: statuses, Location
#     headers, the XML, failureDetails;
#   - the error table of spec/api.md 1.6, one request each, and nothing
#     changed by any of them (every collection read before and after);
#   - bad input: an oversize body (413), bad UTF-8, an unknown parameter;
#     idle and slow clients (headers never finished) are closed while the
#     API keeps answering others;
#   - a restart of mmpd keeps every object; a call bridge killed with
#     SIGKILL is started again by mmpd;
#   - durability: SIGKILL during 1,000 creates (4 keep-alive connections):
#     every create answered 200 + Location is there after the restart, and
#     no object is half written;
#   - a symbolic link planted in the data directory in the place of the
#     database's WAL file is not followed: its target is unchanged.
#
# mmpd is the test build (CONVENE_BACKOFF_SCALE shortens the restart
# back-off). Every wait is bounded; every process is stopped by its PID.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cb_lib.sh"

cb_require
cv_init callbridge
export CONVENE_BACKOFF_SCALE=0.1
cb_start_appliance story

# --- the screens -------------------------------------------------------------------
out=$(mmp_c webadmin)
printf '%s\n' "$out" | grep -q '^STATUS                  : webadmin running$'
tap_ok $? "the webadmin screen says: webadmin running" || tap_diag "$out"
printf '%s\n' "$out" | grep -q '^Enabled                 : true$'
tap_ok $? "the webadmin screen says: Enabled true"
# The callbridge screen is S1's, byte for byte, and has no state line
# (services/callbridge/README.md); health_check says whether it runs.
out=$(mmp_c health_check)
printf '%s\n' "$out" | grep -qx 'SUCCESS: callbridge running'
tap_ok $? "health_check: callbridge running" || tap_diag "$out"
printf '%s\n' "$out" | grep -qx 'SUCCESS: webadmin running'
tap_ok $? "health_check: webadmin running" || tap_diag "$out"
tap_ok "$([ -n "$(cb_pids)" ]; echo $?)" "one convene-callbridge process runs ($(cb_pids | tr '\n' ' '))"
pid=$(cb_pids | head -n 1)
user=$(ps -o user= -p "${pid:-0}" 2>/dev/null | tr -d ' ')
tap_ok "$([ -n "$user" ] && [ "$user" != root ]; echo $?)" \
	"the call bridge dropped root after binding (runs as ${user:-?})"

# --- authentication ----------------------------------------------------------------------
code=$(in_peer curl -sk -D "$CV_TMP/h" -o /dev/null -w '%{http_code}' \
	"https://$CB_ADDR/api/v1/system/status")
tap_is "$code" 401 "no credentials: 401"
tr -d '\r' <"$CV_TMP/h" | grep -qi '^WWW-Authenticate: Basic realm="[^"]*"$'
tap_ok $? "... with WWW-Authenticate: Basic realm=\"...\"" || tap_diag_file "$CV_TMP/h"
code=$(in_peer curl -sk -o /dev/null -w '%{http_code}' -u "$API_USER:wrong.Pw.1" \
	"https://$CB_ADDR/api/v1/system/status")
tap_is "$code" 401 "a wrong password: 401"
code=$(in_peer curl -sk -o /dev/null -w '%{http_code}' -u "nobody:$API_PW" \
	"https://$CB_ADDR/api/v1/system/status")
tap_is "$code" 401 "an unknown user: 401"
cb_add_user aude audit Aude.pw.123 >/dev/null
code=$(in_peer curl -sk -o /dev/null -w '%{http_code}' -u "aude:Aude.pw.123" \
	"https://$CB_ADDR/api/v1/system/status")
tap_is "$code" 401 "a user of role audit with the right password: 401"
cb_add_user appy appadmin Appy.pw.123 >/dev/null
code=$(in_peer curl -sk -o /dev/null -w '%{http_code}' -u "appy:Appy.pw.123" \
	"https://$CB_ADDR/api/v1/system/status")
tap_is "$code" 200 "a user of role appadmin: 200"
api GET /system/status
tap_is "$API_STATUS" 200 "the api user: 200"

mmp_c "user rule max_failed_logins 3" >/dev/null
cb_add_user locky api Locky.pw.123 >/dev/null
for i in 1 2 3; do
	in_peer curl -sk -o /dev/null -u "locky:bad.$i" "https://$CB_ADDR/api/v1/system/status"
done
code=$(in_peer curl -sk -o /dev/null -w '%{http_code}' -u "locky:Locky.pw.123" \
	"https://$CB_ADDR/api/v1/system/status")
tap_is "$code" 401 "after 3 failed API logins (max_failed_logins 3) the right password gets 401"
tap_is "$(mmp_c 'user info locky' | sed -n 's/^Locked *: //p')" "yes (max_failed_logins)" \
	"user info: locky is locked by max_failed_logins"
mmp_c "user unlock locky" >/dev/null
code=$(in_peer curl -sk -o /dev/null -w '%{http_code}' -u "locky:Locky.pw.123" \
	"https://$CB_ADDR/api/v1/system/status")
tap_is "$code" 200 "after user unlock: 200"
mmp_c "user rule max_failed_logins 0" >/dev/null

# --- spec/api.md 6.1 -----------------------------------------------------------------------
api POST /coSpaces 'name=Sales&uri=sales&callId=100200300&passcode=1234'
created coSpaces "6.1 POST /coSpaces name=Sales&uri=sales&callId=100200300&passcode=1234"
SALES=$NEW_ID
api GET "/coSpaces/$SALES"
x=$(printf '%s' "$API_BODY" | xmlnorm)
st=0
for want in "<?xml version=\"1.0\"?><coSpace id=\"$SALES\">" "<name>Sales</name>" \
	"<uri>sales</uri>" "<callId>100200300</callId>" "<nonMemberAccess>true</nonMemberAccess>"; do
	case $x in *"$want"*) ;; *) st=1; tap_diag "missing: $want" ;; esac
done
printf '%s' "$x" | grep -q '<secret>[A-Za-z0-9_-]\{22\}</secret>' || { st=1; tap_diag "no 22-char secret"; }
tap_ok $st "GET /coSpaces/<id>: 200, name, uri, callId, nonMemberAccess, a 22-character secret" ||
	tap_diag "$API_STATUS $x"
api POST /calls "coSpace=$SALES"
created calls "6.1 POST /calls coSpace=<id>"
CALL=$NEW_ID
api GET "/calls/$CALL"
x=$(printf '%s' "$API_BODY" | xmlnorm)
case "$API_STATUS $x" in
"200 <?xml version=\"1.0\"?><call id=\"$CALL\">"*"<coSpace>$SALES</coSpace>"*) st=0 ;;
*) st=1 ;;
esac
tap_ok $st "GET /calls/<id>: the call of the coSpace" || tap_diag "$API_STATUS $x"
api POST "/calls/$CALL/participants" 'remoteParty=username1@example.com'
# Dialling out to SIP is out of scope (issue 10): a clear failureDetails
# answer, or a participant made; a 5xx or an empty answer is wrong.
if [ "$API_STATUS" = 200 ]; then
	created participants "6.1 POST /calls/<id>/participants remoteParty=username1@example.com"
	api GET "/participants/$NEW_ID"
	tap_is "$API_STATUS" 200 "... and the participant can be read"
else
	x=$(printf '%s' "$API_BODY" | xmlnorm)
	case "$API_STATUS $x" in
	4[0-9][0-9]" <?xml version=\"1.0\"?><failureDetails><"*"/></failureDetails>") st=0 ;;
	*) st=1 ;;
	esac
	tap_ok $st "6.1 dial-out remoteParty=username1@example.com: a 4xx failureDetails answer ($API_STATUS $x)"
fi

# --- 6.2 (no media legs exist: the leg ids name nothing) ---------------------------------
LEG=0d1e2f30-4a5b-4c6d-8e9f-a0b1c2d3e4f5
api PUT "/callLegs/$LEG" 'rxAudioMute=true'
failed 404 "<failureDetails><callLegDoesNotExist/></failureDetails>" \
	"6.2 PUT /callLegs/<no such leg> rxAudioMute=true: 404 callLegDoesNotExist"
api PUT "/callLegs/$LEG" 'chosenLayout=speakerOnly'
failed 404 "<failureDetails><callLegDoesNotExist/></failureDetails>" \
	"6.2 PUT /callLegs/<no such leg> chosenLayout=speakerOnly: 404 callLegDoesNotExist"
api PUT "/calls/$CALL/participants/*" 'layout=allEqual'
tap_is "$API_STATUS" 200 "6.2 PUT /calls/<id>/participants/* layout=allEqual: 200"
api DELETE "/callLegs/$LEG"
failed 404 "<failureDetails><callLegDoesNotExist/></failureDetails>" \
	"6.2 DELETE /callLegs/<no such leg>: 404 callLegDoesNotExist"
api DELETE "/calls/$CALL"
tap_is "$API_STATUS" 200 "6.2 DELETE /calls/<id>: 200"
api GET "/calls/$CALL"
failed 404 "<failureDetails><callDoesNotExist/></failureDetails>" \
	"the deleted call is gone: 404 callDoesNotExist"
api POST /calls "coSpace=$SALES"
created calls "a call on the coSpace again"
CALL=$NEW_ID

# --- 6.3 ---------------------------------------------------------------------------------
api POST /webBridges 'url=c2w%3A%2F%2Fedge.example.com%3A6000'
created webBridges "6.3 POST /webBridges url=c2w://edge.example.com:6000"
WB=$NEW_ID
api GET "/webBridges/$WB"
case $(printf '%s' "$API_BODY" | xmlnorm) in
*"<url>c2w://edge.example.com:6000</url>"*) st=0 ;;
*) st=1 ;;
esac
tap_ok $st "GET /webBridges/<id> shows the url" || tap_diag "$API_STATUS $API_BODY"
api GET "/webBridges/$WB/status"
x=$(printf '%s' "$API_BODY" | xmlnorm)
case "$API_STATUS $x" in
"200 <?xml version=\"1.0\"?><webBridge id=\"$WB\"><status>"*"</status></webBridge>")
	s=${x#*<status>}
	s=${s%%<*}
	case $s in unused | success | connectionFailure | dnsFailure) st=0 ;; *) st=1 ;; esac
	;;
*) st=1 ;;
esac
tap_ok $st "6.3 GET /webBridges/<id>/status: <webBridge id><status>(unused|success|connectionFailure|dnsFailure)" ||
	tap_diag "$API_STATUS $x"

# --- 6.4 ---------------------------------------------------------------------------------
api PUT /system/configuration/cluster 'uniqueName=cb1&loadLimit=96000'
tap_is "$API_STATUS:$API_LOC:$API_BODY" "200::" \
	"6.4 PUT /system/configuration/cluster uniqueName=cb1&loadLimit=96000: 200, no Location, no body"
api GET /system/configuration/cluster
x=$(printf '%s' "$API_BODY" | xmlnorm)
st=0
for want in '<?xml version="1.0"?><cluster>' "<uniqueName>cb1</uniqueName>" "<loadLimit>96000</loadLimit>" \
	"<newConferenceLoadLimitBasisPoints>5000</newConferenceLoadLimitBasisPoints>" \
	"<existingConferenceLoadLimitBasisPoints>8000</existingConferenceLoadLimitBasisPoints>" "</cluster>"; do
	case $x in *"$want"*) ;; *) st=1; tap_diag "missing: $want" ;; esac
done
tap_ok $st "GET /system/configuration/cluster: the values set and the defaults 5000/8000" ||
	tap_diag "$API_STATUS $x"
api POST /callBridgeGroups 'name=eu&loadBalancingEnabled=true'
created callBridgeGroups "6.4 POST /callBridgeGroups name=eu&loadBalancingEnabled=true"
GRP=$NEW_ID
api POST /callBridges "name=cb1&address=https%3A%2F%2Fcb1.example.com%3A445&sipDomain=cb1.example.com&callBridgeGroup=$GRP"
created callBridges "6.4 POST /callBridges name=cb1&...&callBridgeGroup=<grp>"
CB1=$NEW_ID
api POST /callBridges "name=cb2&address=https%3A%2F%2Fcb2.example.com%3A445&sipDomain=cb2.example.com&callBridgeGroup=$GRP"
created callBridges "6.4 POST /callBridges name=cb2&...&callBridgeGroup=<grp>"
api GET "/callBridges/$CB1"
x=$(printf '%s' "$API_BODY" | xmlnorm)
st=0
for want in "<?xml version=\"1.0\"?><callBridge id=\"$CB1\"><name>cb1</name><address>https://cb1.example.com:445</address>" \
	"<sipDomain>cb1.example.com</sipDomain>" "<callBridgeGroup>$GRP</callBridgeGroup>"; do
	case $x in *"$want"*) ;; *) st=1; tap_diag "missing: $want" ;; esac
done
tap_ok $st "GET /callBridges/<cb1>: name, address, sipDomain, callBridgeGroup" || tap_diag "$x"
api GET /callBridges
case $(printf '%s' "$API_BODY" | xmlnorm) in
'<?xml version="1.0"?><callBridges total="2">'*) st=0 ;;
*) st=1 ;;
esac
tap_ok $st "GET /callBridges: total=\"2\"" || tap_diag "$API_BODY"
api GET "/callBridgeGroups/$GRP"
x=$(printf '%s' "$API_BODY" | xmlnorm)
tap_is "$x" "<?xml version=\"1.0\"?><callBridgeGroup id=\"$GRP\"><name>eu</name><loadBalancingEnabled>true</loadBalancingEnabled><loadBalanceLyncCalls>false</loadBalanceLyncCalls><loadBalanceOutgoingCalls>false</loadBalanceOutgoingCalls><loadBalanceUserCalls>true</loadBalanceUserCalls><loadBalanceIndirectCalls>false</loadBalanceIndirectCalls></callBridgeGroup>" \
	"GET /callBridgeGroups/<id>: the spec's shape with its defaults"

# xmpp (2.10) and system/status (2.11)
api PUT /system/configuration/xmpp 'uniqueName=ciscolabs-local&domain=ciscolabs.com&serverAddressOverride=localhost'
tap_is "$API_STATUS:$API_LOC" "200:" "PUT /system/configuration/xmpp: 200, no Location"
api GET /system/configuration/xmpp
tap_is "$(printf '%s' "$API_BODY" | xmlnorm)" \
	'<?xml version="1.0"?><xmpp><uniqueName>ciscolabs-local</uniqueName><domain>ciscolabs.com</domain><serverAddressOverride>localhost</serverAddressOverride></xmpp>' \
	"GET /system/configuration/xmpp: the spec's example"
api POST /system/configuration/xmpp 'sharedSecret=Xmpp.Secret.42'
tap_is "$API_STATUS:$API_LOC" "200:" "POST /system/configuration/xmpp sharedSecret=...: 200 (POST modifies a singleton)"
api GET /system/status
x=$(printf '%s' "$API_BODY" | xmlnorm)
st=0
for want in '<?xml version="1.0"?><status>' "<hostId>" "<softwareVersion>" "<uptimeSeconds>" \
	"<activated>true</activated>" "<callLegsActive>" "</status>"; do
	case $x in *"$want"*) ;; *) st=1; tap_diag "missing: $want" ;; esac
done
printf '%s' "$x" | grep -q "<hostId>$GUID_RE</hostId>" || st=1
tap_ok $st "GET /system/status: hostId (a GUID), softwareVersion, uptimeSeconds, activated, callLegsActive" ||
	tap_diag "$API_STATUS $x"

# --- 1.4 listing and the Johnny Appleseed example of 2.1 -----------------------------------
api POST /coSpaces 'name=DevelopmentTeam&uri=dev_team'
created coSpaces "POST /coSpaces name=DevelopmentTeam&uri=dev_team"
DEV=$NEW_ID
api GET '/coSpaces?filter=Development'
tap_is "$API_STATUS $(printf '%s' "$API_BODY" | xmlnorm)" \
	"200 <?xml version=\"1.0\"?><coSpaces total=\"1\"><coSpace id=\"$DEV\"><name>DevelopmentTeam</name><autoGenerated>false</autoGenerated><uri>dev_team</uri></coSpace></coSpaces>" \
	"1.4 GET /coSpaces?filter=Development: the spec's example"
grep -qi '^Content-Type: text/xml' <<<"$API_HDRS"
tap_ok $? "... Content-Type: text/xml"
api GET '/coSpaces?filter=development'
case $(printf '%s' "$API_BODY" | xmlnorm) in *'<coSpaces total="1">'*) st=0 ;; *) st=1 ;; esac
tap_ok $st "the filter is case-insensitive"
api POST /coSpaces 'name=Johnny%20Appleseed%20Space&uri=johnny.space&requireCallId=true&passcode=4711'
created coSpaces "2.1 POST /coSpaces name=Johnny%20Appleseed%20Space&uri=johnny.space&requireCallId=true&passcode=4711"
JOHNNY=$NEW_ID
api GET "/coSpaces/$JOHNNY"
x=$(printf '%s' "$API_BODY" | xmlnorm)
st=0
for want in "<name>Johnny Appleseed Space</name>" "<uri>johnny.space</uri>" "<nonMemberAccess>true</nonMemberAccess>"; do
	case $x in *"$want"*) ;; *) st=1; tap_diag "missing: $want" ;; esac
done
printf '%s' "$x" | grep -q '<callId>[0-9]\{9\}</callId>' || { st=1; tap_diag "no 9-digit callId"; }
printf '%s' "$x" | grep -q '<secret>[A-Za-z0-9_-]\{22\}</secret>' || { st=1; tap_diag "no secret"; }
tap_ok $st "GET: the name decoded, a generated 9-digit callId and a 22-character secret" || tap_diag "$x"
for i in $(seq 1 22); do
	api POST /coSpaces "name=Page%20$i&uri=page.$i"
	[ "$API_STATUS" = 200 ] || break
done
tap_is "$API_STATUS" 200 "22 more coSpaces created (25 in all)"
api GET '/coSpaces?limit=5&offset=0'
x=$(printf '%s' "$API_BODY" | xmlnorm)
n=$(printf '%s' "$x" | grep -o '<coSpace id=' | wc -l)
tap_is "$(printf '%s' "$x" | grep -o '<coSpaces total="[0-9]*">') $n" '<coSpaces total="25"> 5' \
	"GET /coSpaces?limit=5: 5 of total=\"25\""
api GET '/coSpaces?limit=100'
n=$(printf '%s' "$API_BODY" | grep -o '<coSpace id=' | wc -l)
tap_is "$n" 20 "limit=100: the server's cap, 20"
api GET '/coSpaces?offset=20&limit=20'
n=$(printf '%s' "$API_BODY" | grep -o '<coSpace id=' | wc -l)
tap_is "$n" 5 "offset=20: the last 5"
api GET '/coSpaces?offset=25'
tap_is "$API_STATUS $(printf '%s' "$API_BODY" | xmlnorm)" '200 <?xml version="1.0"?><coSpaces total="25"/>' \
	"offset beyond the total: 200, <coSpaces total=\"25\"/>"
api GET '/cospaces?limit=1'
tap_is "$API_STATUS" 200 "collection names are matched case-insensitively (/cospaces)"
api GET '/CALLBRIDGEGROUPS'
tap_is "$API_STATUS" 200 "... (/CALLBRIDGEGROUPS)"

# --- the error table of 1.6, one request each; nothing changes -------------------------
snapshot() { # [stored]: every collection and singleton as the API shows it;
	# with "stored" not the live calls, call legs and participants (a restart
	# of the call bridge ends calls, as it does on CMS)
	local p live="/calls /callLegs /participants"
	[ "${1:-}" = stored ] && live=
	for p in '/coSpaces?limit=20' '/coSpaces?offset=20' $live \
		/callLegProfiles /users /webBridges /webBridgeProfiles /callBridges \
		/callBridgeGroups /turnServers /system/configuration/xmpp \
		/system/configuration/cluster "/coSpaces/$SALES" "/coSpaces/$SALES/accessMethods" \
		"/coSpaces/$SALES/coSpaceMembers"; do
		api GET "$p"
		printf '%s %s %s\n' "$p" "$API_STATUS" "$API_BODY"
	done
}
before=$(snapshot)
NOID=7a3c0b54-3e33-4b6f-9a5d-1c2e3f405162
e() { # e STATUS REASON-XML DESCRIPTION METHOD PATH [BODY]
	local st=$1 reason=$2 desc=$3
	shift 3
	api "$@"
	failed "$st" "<failureDetails>$reason</failureDetails>" "1.6 $desc: $st $reason"
}
e 404 "<coSpaceDoesNotExist/>" "GET /coSpaces/<unknown>" GET "/coSpaces/$NOID"
e 404 "<coSpaceDoesNotExist/>" "PUT /coSpaces/<unknown>" PUT "/coSpaces/$NOID" 'name=x'
e 404 "<coSpaceDoesNotExist/>" "DELETE /coSpaces/<unknown>" DELETE "/coSpaces/$NOID"
# A referenced object that does not exist is a 400 (spec 1.6's mapping: 404
# is for the object the path names).
e 400 "<coSpaceDoesNotExist/>" "POST /calls coSpace=<unknown>" POST /calls "coSpace=$NOID"
e 404 "<callDoesNotExist/>" "GET /calls/<unknown>" GET "/calls/$NOID"
e 404 "<callLegDoesNotExist/>" "GET /callLegs/<unknown>" GET "/callLegs/$NOID"
e 404 "<participantDoesNotExist/>" "GET /participants/<unknown>" GET "/participants/$NOID"
e 404 "<userDoesNotExist/>" "GET /users/<unknown>" GET "/users/$NOID"
e 404 "<callBridgeDoesNotExist/>" "GET /callBridges/<unknown>" GET "/callBridges/$NOID"
e 404 "<callBridgeGroupDoesNotExist/>" "GET /callBridgeGroups/<unknown>" GET "/callBridgeGroups/$NOID"
e 404 "<callLegProfileDoesNotExist/>" "GET /callLegProfiles/<unknown>" GET "/callLegProfiles/$NOID"
e 400 "<callLegProfileDoesNotExist/>" "POST /coSpaces callLegProfile=<unknown>" POST /coSpaces \
	"name=ref&uri=ref.1&callLegProfile=$NOID"
e 400 "<callBridgeGroupDoesNotExist/>" "POST /callBridges callBridgeGroup=<unknown>" POST /callBridges \
	"name=cb9&address=https%3A%2F%2Fcb9.example.com&callBridgeGroup=$NOID"
e 400 "<duplicateCoSpaceUri/>" "POST /coSpaces uri=sales (taken)" POST /coSpaces 'name=Other&uri=sales'
e 400 "<duplicateCoSpaceId/>" "POST /coSpaces callId=100200300 (taken)" POST /coSpaces \
	'name=Other&uri=other.1&callId=100200300'
e 400 "<duplicateCoSpaceUri/>" "PUT /coSpaces/<dev> uri=sales (taken)" PUT "/coSpaces/$DEV" 'uri=sales'
e 400 "<duplicateCallBridgeName/>" "POST /callBridges name=cb1 (taken)" POST /callBridges \
	'name=cb1&address=https%3A%2F%2Fx.example.com'
e 404 "<unrecognizedObject/>" "GET /system/profile (unknown path element)" GET /system/profile
e 404 "<unrecognizedObject/>" "GET /noSuchThing" GET /noSuchThing
e 404 "<unrecognizedObject/>" "GET /coSpaces/<id>/noSuchThing" GET "/coSpaces/$SALES/noSuchThing"
api POST /coSpaces 'name=x&bogus=1'
case "$API_STATUS $(printf '%s' "$API_BODY" | xmlnorm)" in
'400 <?xml version="1.0"?><failureDetails><parameterError parameter="bogus"'*'/></failureDetails>') st=0 ;;
*) st=1 ;;
esac
tap_ok $st "1.6 POST /coSpaces bogus=1 (unknown parameter): 400 parameterError parameter=\"bogus\"" ||
	tap_diag "$API_STATUS $API_BODY"
api POST /coSpaces 'name=x&defaultLayout=notALayout'
case "$API_STATUS $(printf '%s' "$API_BODY" | xmlnorm)" in
'400 <?xml version="1.0"?><failureDetails><parameterError parameter="defaultLayout"'*'/></failureDetails>') st=0 ;;
*) st=1 ;;
esac
tap_ok $st "1.6 POST /coSpaces defaultLayout=notALayout: 400 parameterError parameter=\"defaultLayout\"" ||
	tap_diag "$API_STATUS $API_BODY"
api POST /coSpaces 'name=%FF%FEbad'
case "$API_STATUS $(printf '%s' "$API_BODY" | xmlnorm)" in
'400 <?xml version="1.0"?><failureDetails><parameterError parameter="name"'*) st=0 ;;
*) st=1 ;;
esac
tap_ok $st "POST /coSpaces name=<bad UTF-8>: 400 parameterError parameter=\"name\"" ||
	tap_diag "$API_STATUS $API_BODY"
api POST /coSpaces 'name=x&nonMemberAccess=maybe'
case "$API_STATUS $(printf '%s' "$API_BODY" | xmlnorm)" in
'400 <?xml version="1.0"?><failureDetails><parameterError parameter="nonMemberAccess"'*) st=0 ;;
*) st=1 ;;
esac
tap_ok $st "POST /coSpaces nonMemberAccess=maybe: 400 parameterError" || tap_diag "$API_STATUS $API_BODY"
api GET /coSpaces/not-a-guid
case "$API_STATUS $(printf '%s' "$API_BODY" | xmlnorm)" in
4[0-9][0-9]' <?xml version="1.0"?><failureDetails>'*'</failureDetails>') st=0 ;;
*) st=1 ;;
esac
tap_ok $st "GET /coSpaces/not-a-guid: a 4xx failureDetails answer ($API_STATUS)" || tap_diag "$API_BODY"
api DELETE /system/status
case "$API_STATUS $(printf '%s' "$API_BODY" | xmlnorm)" in
40[05]' <?xml version="1.0"?><failureDetails>'*'</failureDetails>') st=0 ;;
*) st=1 ;;
esac
tap_ok $st "DELETE /system/status (wrong method): 400/405 with failureDetails ($API_STATUS)" ||
	tap_diag "$API_BODY"
api PATCH "/coSpaces/$SALES" 'name=patched'
case $API_STATUS in 400 | 405) st=0 ;; *) st=1 ;; esac
tap_ok $st "PATCH /coSpaces/<id> (wrong method): 400/405 ($API_STATUS)"
# A body larger than the API's 64 KiB cap. The client asks first (Expect:
# 100-continue, RFC 9110 10.1.1), so the 413 comes before any of the body:
# one that sends it anyway may see the connection reset under its answer.
head -c 100000 /dev/zero | tr '\0' 'a' | sed 's/^/name=/' >"$CV_TMP/big"
code=$(in_peer curl -sk -o /dev/null -w '%{http_code}' -u "$API_USER:$API_PW" \
	-H 'Expect: 100-continue' \
	-H 'Content-Type: application/x-www-form-urlencoded' --data-binary @"$CV_TMP/big" \
	"https://$CB_ADDR/api/v1/coSpaces")
tap_is "$code" 413 "a 100,000-byte body: 413"
# Headers beyond any sane size.
code=$(in_peer curl -sk -o /dev/null -w '%{http_code}' -u "$API_USER:$API_PW" \
	-H "X-Big: $(head -c 65000 /dev/zero | tr '\0' 'b')" "https://$CB_ADDR/api/v1/system/status")
case $code in 4[0-9][0-9] | 000) st=0 ;; *) st=1 ;; esac
tap_ok $st "a 65,000-byte header: refused ($code)"
after=$(snapshot)
tap_is "$after" "$before" "nothing changed: every collection reads the same after the bad requests"

# --- the log store ---------------------------------------------------------------------------
# Seed 003's words: `<addr>: API user "admin" created new participant <id>, ...`;
# a coSpace is a "space" in the call bridge's words (services/callbridge/README.md).
LOG=$CB_D/state/log/convene.log
grep "API user \"$API_USER\" created new space $SALES" "$LOG" | grep -q "$CB_PEER_ADDR: "
tap_ok $? "the log store has: $CB_PEER_ADDR: API user \"$API_USER\" created new space <id>" ||
	tap_diag "$(grep -i 'api user' "$LOG" | tail -n 5)"
leak=
for s in "$API_PW" Xmpp.Secret.42 Aude.pw.123 Locky.pw.123 Appy.pw.123 wrong.Pw.1; do
	grep -qF -- "$s" "$LOG" && leak="$leak $s"
done
tap_is "$leak" "" "no password or shared secret appears in the log store"

# --- idle and slow clients ----------------------------------------------------------------
peer_bg $CB_CLIENT slow "$CB_ADDR" 10 idle 150 >"$CV_TMP/idle.out" 2>&1
IDLE=$BG_PID
peer_bg $CB_CLIENT slow "$CB_ADDR" 10 trickle 150 >"$CV_TMP/trickle.out" 2>&1
TRICKLE=$BG_PID
sleep 3
api GET /system/status
tap_is "$API_STATUS" 200 "while 20 slow clients hold connections, the API answers"
cv_wait_gone "$IDLE" 1600
cv_wait_gone "$TRICKLE" 1600
out=$(cat "$CV_TMP/idle.out")
case $out in "closed 10 of 10"*) st=0 ;; *) st=1 ;; esac
tap_ok $st "10 idle TLS connections are closed by the server ($out)"
out=$(cat "$CV_TMP/trickle.out")
case $out in "closed 10 of 10"*) st=0 ;; *) st=1 ;; esac
tap_ok $st "10 slowloris clients (a header byte a second, never finished) are closed ($out)"
cv_untrack "$IDLE"
cv_untrack "$TRICKLE"

# --- restarts --------------------------------------------------------------------------------
keep=$(snapshot stored)
api GET "/coSpaces/$JOHNNY"
keep="$keep
$API_BODY"
oldpid=$(cb_pids | head -n 1)
cv_stop_pid "$MMPD_PID" 20
cv_untrack "$MMPD_PID"
i=0
while [ -n "$(cb_pids)" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
tap_is "$(cb_pids)" "" "mmpd stopped: no call bridge process is left"
cb_mmpd_start || tap_bail "mmpd did not start again"
cb_wait_https 30
tap_ok $? "mmpd started again: the call bridge answers" || tap_diag_file "$CB_D/mmpd.log"
now=$(snapshot stored)
api GET "/coSpaces/$JOHNNY"
now="$now
$API_BODY"
tap_is "$now" "$keep" "after the restart of mmpd every object reads the same"
out=$(mmp_c webadmin)
printf '%s\n' "$out" | grep -q '^STATUS                  : webadmin running$'
tap_ok $? "the webadmin screen says running again"
out=$(mmp_c "callbridge restart")
case $out in *FAILURE*) st=1 ;; *) st=0 ;; esac
tap_ok $st "mmp: callbridge restart ($out)"
cb_wait_https 30
now=$(snapshot stored)
api GET "/coSpaces/$JOHNNY"
tap_is "$now
$API_BODY" "$keep" "after callbridge restart every object reads the same"

pid=$(cb_pids | head -n 1)
kill -KILL "${pid:-0}" 2>/dev/null
i=0
while [ "$i" -lt 300 ]; do
	newpid=$(cb_pids | head -n 1)
	[ -n "$newpid" ] && [ "$newpid" != "$pid" ] && break
	sleep 0.1
	i=$((i + 1))
done
tap_ok "$([ -n "$newpid" ] && [ "$newpid" != "$pid" ]; echo $?)" \
	"a call bridge killed with SIGKILL is started again by mmpd ($pid -> ${newpid:-none})"
cb_wait_https 30
tap_ok $? "... and answers"

# --- durability: SIGKILL during 1,000 creates ------------------------------------------------
ACK=$CV_TMP/acks
: >"$ACK"
peer_bg $CB_CLIENT creates "$CB_ADDR" "$API_USER" "$API_PW" 1000 4 dur "$ACK" 120 \
	>"$CV_TMP/creates.out" 2>&1
CREATES=$BG_PID
i=0
while [ "$(wc -l <"$ACK")" -lt 300 ] && [ "$i" -lt 1200 ] && cv_alive "$CREATES"; do
	sleep 0.05
	i=$((i + 1))
done
pid=$(cb_pids | head -n 1)
at=$(wc -l <"$ACK")
kill -KILL "${pid:-0}" 2>/dev/null
tap_ok "$([ "$at" -ge 300 ] && [ "$at" -lt 1000 ]; echo $?)" "SIGKILL to the call bridge after $at of 1,000 creates"
cv_wait_gone "$CREATES" 2400
tap_ok $? "the client ended: $(cat "$CV_TMP/creates.out")"
cv_untrack "$CREATES"
cb_wait_https 30
newpid=$(cb_pids | head -n 1)
tap_ok "$([ -n "$newpid" ] && [ "$newpid" != "$pid" ]; echo $?)" "the call bridge was started again"
in_peer $CB_CLIENT list "$CB_ADDR" "$API_USER" "$API_PW" dur- >"$CV_TMP/list" 2>"$CV_TMP/list.err"
tap_ok $? "every dur- coSpace listed, page by page" || tap_diag_file "$CV_TMP/list.err"
# The acknowledged creates are all there; every object is whole (its name
# and uri both set, the same, one of the names sent); none twice; at most
# the unacknowledged ones besides.
out=$("$PY" - "$ACK" "$CV_TMP/list" <<'PY'
import re, sys
acked, failed = {}, set()
for line in open(sys.argv[1]):
    i, rest = line.split(" ", 1)
    if rest.startswith("FAIL"):
        failed.add(int(i))
    else:
        acked[int(i)] = rest.strip().rsplit("/", 1)[-1]
listed, total, bad = {}, None, []
for line in open(sys.argv[2]):
    line = line.rstrip("\n")
    if line.startswith("total "):
        total = int(line.split()[1])
        continue
    oid, name, uri = line.split("\t")
    m = re.fullmatch(r"dur-(\d+)", name)
    if not m or uri != name or int(m.group(1)) >= 1000:
        bad.append(line)
        continue
    i = int(m.group(1))
    if i in listed:
        bad.append("twice: " + line)
    listed[i] = oid
missing = [i for i, oid in acked.items() if listed.get(i) != oid]
extra = [i for i in listed if i not in acked and i not in failed]
print("acked %d failed %d listed %d total %s missing %d half-written/odd %d unexplained %d"
      % (len(acked), len(failed), len(listed), total, len(missing), len(bad), len(extra)))
for x in (missing[:5], bad[:5], extra[:5]):
    if x:
        print("  e.g. %s" % x)
ok = not missing and not bad and not extra and total == len(listed) and len(acked) + len(failed) == 1000
sys.exit(0 if ok else 1)
PY
)
tap_ok $? "after SIGKILL during 1,000 creates: every acknowledged create is there, none half written" ||
	true
tap_diag "$out"
db=$(find "$CB_D/state" -type f \( -name '*.db' -o -name '*.sqlite' -o -name '*.sqlite3' \) | head -n 1)
if [ -n "$db" ] && command -v sqlite3 >/dev/null; then
	tap_is "$(sqlite3 "file:$db?mode=ro" 'PRAGMA integrity_check;' 2>&1)" ok \
		"the database passes PRAGMA integrity_check ($db)"
else
	tap_skip "no database file found under the state directory (or no sqlite3)" "integrity_check"
fi

# --- a symbolic link planted in the data directory ------------------------------------------
# Assumed: the database is one SQLite file in a data directory of the
# service user's; its WAL file <db>-wal is made at open. A link planted in
# its place, to a file the service user may write, must not be followed
# (the target is unchanged), whether the service then refuses to start or
# removes the link.
if [ -n "$db" ]; then
	dir=$(dirname "$db")
	owner=$(stat -c %u:%g "$db")
	cv_stop_pid "$MMPD_PID" 20
	cv_untrack "$MMPD_PID"
	i=0
	while [ -n "$(cb_pids)" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	victim=$dir/victim.txt
	printf 'not a WAL file: the call bridge must not write here\n' >"$victim"
	chown "$owner" "$victim"
	sum=$(sha256sum <"$victim")
	rm -f "$db-wal" "$db-shm"
	ln -s "$victim" "$db-wal"
	chown -h "$owner" "$db-wal"
	cb_mmpd_start || tap_bail "mmpd did not start again"
	cb_wait_https 15
	api GET /coSpaces/$SALES >/dev/null
	api POST /coSpaces 'name=after.link&uri=after.link'
	tap_is "$(sha256sum <"$victim")" "$sum" "a link planted as <db>-wal is not followed: its target is unchanged"
	tap_diag "with the link in place the service answered: ${API_STATUS:-nothing}"
	cv_stop_pid "$MMPD_PID" 20
	cv_untrack "$MMPD_PID"
	i=0
	while [ -n "$(cb_pids)" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -L "$db-wal" ] && rm -f "$db-wal"
	rm -f "$victim"
	cb_mmpd_start || tap_bail "mmpd did not start again"
	cb_wait_https 30
	api GET "/coSpaces/$SALES"
	tap_is "$API_STATUS" 200 "without the link the call bridge serves the objects again"
else
	tap_skip "no database file found" "a link planted as <db>-wal is not followed"
fi

mmp_c "callbridge disable" >/dev/null
mmp_c "webadmin disable" >/dev/null
i=0
while [ -n "$(cb_pids)" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
tap_is "$(cb_pids)" "" "callbridge disable and webadmin disable stop the process"
cv_stop_pid "$MMPD_PID" 20
cv_untrack "$MMPD_PID"
tap_done
