#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# convene-media with real WebRTC peers (TAP, root): the engine in a private
# network namespace on loopback, driven through its control socket, and two
# python3-aiortc peers (media_peer.py): offers answered, ICE-lite, DTLS,
# SRTP, one peer's Opus tone decoded by the other through the engine;
# garbage on the media port; destroy; consent expiry. Here too: the
# privilege drop, the control socket refusing a user that is neither root
# nor the configured one, and --check on bad configs. mmpd does not start
# the engine yet (services/media/README.md).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/turn_lib.sh"

media_require
/usr/bin/python3 -c 'import aiortc' 2>/dev/null ||
	tap_skip_all "python3-aiortc is not installed (scripts/install-deps)"

cv_init media-engine
chmod 0755 "$CV_TMP"
turn_netns media
CTL=$CV_TMP/media.sock
cat >"$CV_TMP/media.json" <<JSON
{"config": {"address": "127.0.0.1", "port": 10000, "control": "$CTL"}}
JSON
printf '{"config": {"address": "127.0.0.1", "port": 80, "control": "%s"}}\n' "$CTL" \
	>"$CV_TMP/bad.json"
out=$("$MEDIA" --config "$CV_TMP/bad.json" --check 2>&1)
case $out in *"config.port"*) st=0 ;; *) st=1 ;; esac
tap_ok $st "--check refuses port 80 and names the key ($out)"
out=$("$MEDIA" --config "$CV_TMP/media.json" --check 2>&1)
tap_is "$out" "configuration OK" "--check accepts the test config"
printf '{"config": {"address": "127.0.0.1", "port": 10000, "control": "%s"},
 "tls": {"min_dtls_version": "1.1"}}\n' "$CTL" >"$CV_TMP/bad.json"
out=$("$MEDIA" --config "$CV_TMP/bad.json" --check 2>&1)
case $out in *"minimum DTLS version"*) st=0 ;; *) st=1 ;; esac
tap_ok $st "--check refuses tls min-dtls-version 1.1 ($out)"

ns_media_start "$CV_TMP/media.json" "$CTL"
PID=$MEDIA_PID
sleep 0.2
tap_is "$(ps -o user= -p "$PID")" "convene-media" "the engine runs as convene-media after binding"
tap_is "$(stat -c %a "$CTL")" "600" "the control socket is mode 0600"

# A user that is neither root nor the configured one: refused at accept
# even if the file mode would let it in.
chmod 0666 "$CTL"
out=$(in_ns setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(3)
s.connect(sys.argv[1])
try:
    s.send(b'{\"op\":\"stats\"}')
    print('answered' if s.recv(65536) else 'closed')
except (OSError, socket.timeout):
    print('closed')
" "$CTL" 2>&1)
tap_is "$out" "closed" "the control socket refuses another user (SO_PEERCRED)"
chmod 0600 "$CTL"

in_ns timeout 170 /usr/bin/python3 "$top_srcdir/tests/integration/media_peer.py" "$CTL" \
	127.0.0.1 10000 >"$CV_TMP/peer.out" 2>&1
st=$?
peer_tap "$CV_TMP/peer.out"
tap_ok $st "the aiortc peers ran to the end"
[ $st = 0 ] || tap_diag_file "$CV_TMP/peer.out"
cv_alive "$PID"
tap_ok $? "the engine is still running"
cv_stop_pid "$PID" 10
cv_untrack "$PID"
tap_done
