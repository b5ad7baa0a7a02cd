#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Web Admin in real Chromium (issue 10, "Proof"; TAP, root): the appliance
# started as callbridge.sh starts it (cb_lib.sh), an MMP admin user, then
# tests/browser/webadmin.mjs in the peer namespace drives Debian's
# chromium with playwright-core: log in, change the XMPP settings on
# Configuration > General and read them back through the API, open
# Configuration > API and Status, the Logs pages, CSRF refused (a wrong or
# missing token, a foreign Origin, and a page of another origin, served by
# python's http.server in the peer namespace, that posts a form to
# /config/general), log out and the old cookie refused.
#
# Needs node and playwright-core (scripts/install-browser-deps puts it in
# tests/browser/node_modules; scripts/check runs it and points
# $CONVENE_BROWSER_MODULES there for the asan and distcheck trees): without
# them the test fails and says so. It is skipped only when chromium cannot
# run here (absent, or it does not start headless).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cb_lib.sh"

cb_require
browser_require
cv_init webadmin-browser
browser_probe
export CONVENE_BACKOFF_SCALE=0.1
cb_start_appliance browser
ADMIN_USER=wadmin
ADMIN_PW=Wadmin.Pw.123
cb_add_user "$ADMIN_USER" admin "$ADMIN_PW" >/dev/null
mmp_c "user list" | grep -q "^$ADMIN_USER  *admin "
tap_ok $? "an MMP user of role admin for Web Admin"

# The attacker's page, on another origin (the peer's own address, port 8081).
EVIL_DIR=$CV_TMP/evil
mkdir -p "$EVIL_DIR"
cat >"$EVIL_DIR/evil.html" <<HTML
<!doctype html>
<html><body>
<form id="f" method="POST" action="https://$CB_ADDR/config/general">
<input name="uniqueName" value="evil-csrf"><input name="domain" value="evil.example">
<input name="serverAddress" value="evil.example"><input name="sharedSecret" value="evil">
<input name="csrf" value="guessed0123456789abcdef">
</form>
<script>document.getElementById("f").submit();</script>
</body></html>
HTML
peer_bg "$PY" -m http.server 8081 --bind "$CB_PEER_ADDR" --directory "$EVIL_DIR" \
	>"$CV_TMP/evil.log" 2>&1
EVIL_PID=$BG_PID
i=0
until in_peer curl -s -o /dev/null "http://$CB_PEER_ADDR:8081/evil.html" || [ "$i" -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done

browser_scripts webadmin.mjs
in_peer env HOME="$CV_TMP/home" CB_URL="https://$CB_ADDR" EVIL_URL="http://$CB_PEER_ADDR:8081/evil.html" \
	ADMIN_USER="$ADMIN_USER" ADMIN_PW="$ADMIN_PW" API_USER="$API_USER" API_PW="$API_PW" \
	CHROMIUM="$CHROMIUM" \
	timeout 300 "$NODE" "$CV_TMP/run/webadmin.mjs" >"$CV_TMP/browser.out" 2>&1
st=$?
while read -r line; do
	case $line in
	PASS*) tap_ok 0 "browser: ${line#PASS }" ;;
	FAIL*) tap_ok 1 "browser: ${line#FAIL }" ;;
	esac
done <"$CV_TMP/browser.out"
grep -q '^DONE$' "$CV_TMP/browser.out"
tap_ok $? "the browser run got to its end (exit status $st)" || tap_diag_file "$CV_TMP/browser.out" 60
# The attacker's page was fetched: the cross-origin attempt really ran.
grep -q 'GET /evil.html' "$CV_TMP/evil.log"
tap_ok $? "the browser loaded the page of the other origin"

cv_stop_pid "$EVIL_PID" 5
cv_untrack "$EVIL_PID"
cv_stop_pid "$MMPD_PID" 20
cv_untrack "$MMPD_PID"
tap_done
