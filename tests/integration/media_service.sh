#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The media engine under mmpd (TAP, root): "callbridge enable" brings up
# convene-media beside the call bridge (issue 12 item 1), on the call
# bridge's listen interface, unprivileged, its control socket reachable by
# the call bridge's user only; the callbridge screen says how it is; kill
# -9 and mmpd starts it again; callbridge disable stops it; Web Admin alone
# does not start it. The appliance of issue 10 in a namespace (cb_lib.sh).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cb_lib.sh"

MEDIA=$top_builddir/services/convene-media
cb_require
[ -x "$MEDIA" ] || tap_bail "$MEDIA is not built"
cv_init media-service
export CONVENE_BACKOFF_SCALE=0.1

cb_netns media
cb_mmpd_start || tap_bail "mmpd did not start"
ln -sf "$MEDIA" "$CB_D/svc/convene-media"
cb_operator_story
cb_wait_https 30
tap_ok $? "the call bridge answers on https://$CB_ADDR/"

media_pid() { # the pid of convene-media in the namespace, or nothing
	local p
	for p in $(ip netns pids "$CB_NS" 2>/dev/null); do
		case $(readlink "/proc/$p/exe" 2>/dev/null) in
		*/convene-media*) echo "$p" ;;
		esac
	done | head -n 1
}
wait_media() { # wait_media up|down [NOT_PID]: 15 s at most
	local i=0 p
	while [ "$i" -lt 75 ]; do
		p=$(media_pid)
		if [ "$1" = up ]; then
			[ -n "$p" ] && [ "$p" != "${2:-}" ] &&
				in_cb ss -lnu | grep -q "$CB_ADDR:10000 " && return 0
		else
			[ -z "$p" ] && return 0
		fi
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

wait_media up
tap_ok $? "callbridge enable brought up the media engine on $CB_ADDR UDP 10000" ||
	tap_diag "$(grep -i media "$CB_D/state/log/convene.log" | tail -n 10)"
PID=$(media_pid)
tap_is "$(ps -o user= -p "${PID:-0}" 2>/dev/null)" "convene-media" \
	"the engine runs as convene-media"
SOCKF=$CB_D/state/services/media.sock
tap_is "$(stat -c '%a %U' "$SOCKF" 2>/dev/null)" "600 convene-callbridge" \
	"its control socket is the call bridge's, mode 0600"
out=$(mmp_c callbridge)
printf '%s\n' "$out" | grep -qx "Media engine              : running (pid $PID)"
tap_ok $? "the callbridge screen shows the engine running" || tap_diag "$out"

# The call bridge's user reaches the control socket; another user does not.
probe() { # probe USER: what the control socket answers to a stats request
	in_cb setpriv --reuid="$1" --regid=nogroup --clear-groups /usr/bin/python3 -c "
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(3)
try:
    s.connect(sys.argv[1])
    s.send(b'{\"op\":\"stats\"}')
    r = s.recv(65536)
    print('ok' if r and json.loads(r).get('ok') else 'closed')
except (OSError, ValueError):
    print('refused')
" "$SOCKF" 2>&1
}
tap_is "$(probe convene-callbridge)" "ok" "the call bridge's user gets an answer on the control socket"
tap_is "$(probe nobody)" "refused" "another user cannot connect"

kill -KILL "$PID"
wait_media up "$PID"
tap_ok $? "after kill -9 mmpd starts the engine again ($PID -> $(media_pid))"

mmp_c "callbridge disable" >/dev/null
wait_media down
tap_ok $? "callbridge disable stops the engine"
out=$(mmp_c "webadmin restart")
sleep 1
tap_is "$(media_pid)" "" "Web Admin alone does not start it"
mmp_c "callbridge enable" >/dev/null
wait_media up
tap_ok $? "callbridge enable starts it again"
mmpd_stop
wait_media down
tap_ok $? "mmpd's stop stops it"
tap_done
