#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The media engine with Debian's Chromium (TAP, root): convene-media in a
# private network namespace on 127.0.0.1, tests/browser/media.mjs in the
# same namespace drives chromium (fake camera and microphone) through
# playwright-core: a publisher and a subscriber in one room, connected
# (ICE-lite, DTLS 1.2, SRTP CM-80, the browser the DTLS client), video
# frames decoded and audio received at the subscriber, a keyframe request
# seen by the publisher. Needs node and playwright-core
# (scripts/install-browser-deps); skipped only when chromium cannot run.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/turn_lib.sh"

media_require
browser_require
cv_init media-browser
chmod 0755 "$CV_TMP"
browser_probe

turn_netns mbrowser
CTL=$CV_TMP/media.sock
printf '{"config": {"address": "127.0.0.1", "port": 10000, "control": "%s"}}\n' "$CTL" \
	>"$CV_TMP/media.json"
ns_media_start "$CV_TMP/media.json" "$CTL"
PID=$MEDIA_PID

browser_scripts media.mjs
in_ns env HOME="$CV_TMP/home" MEDIA_CTL="$CTL" \
	MEDIA_CTL_PY="$top_srcdir/tests/integration/media_ctl.py" CHROMIUM="$CHROMIUM" \
	timeout 180 "$NODE" "$CV_TMP/run/media.mjs" >"$CV_TMP/browser.out" 2>&1
st=$?
peer_tap "$CV_TMP/browser.out"
grep '^INFO ' "$CV_TMP/browser.out" | while read -r line; do tap_diag "${line#INFO }"; done
grep -q '^DONE$' "$CV_TMP/browser.out"
tap_ok $? "the browser run got to its end (exit status $st)" || tap_diag_file "$CV_TMP/browser.out"
cv_stop_pid "$PID" 10
cv_untrack "$PID"
tap_done
