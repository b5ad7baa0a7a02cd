#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two mmp sessions at once: two provisioning scripts run through mmp's
# stdin in parallel against one mmpd. Each sets its own service (A: turn,
# B: webbridge3) many times over and both add rules to the same firewall
# list, so their commits interleave. Both must succeed, and the final
# document must hold the last value of each and all rules of both: no
# commit may overwrite another's change with a stale copy.
set -u
. "$(dirname "$0")/lib.sh"

cv_require_root
cv_require_programs
cv_init sessions

ROUNDS=${SESSIONS_ROUNDS:-100}
D=$CV_TMP/inst
mkdir -p "$D"
mmpd_start "$D" || tap_bail "mmpd does not start"

for r in $(seq 1 "$ROUNDS"); do
	echo "turn credentials alice$r pw$r cms.demo"
	echo "turn tls $((3000 + r))"
	echo "firewall a allow $((10000 + r))"
done >"$CV_TMP/a.txt"
for r in $(seq 1 "$ROUNDS"); do
	echo "webbridge3 c2w listen a:$((6000 + r))"
	echo "webbridge3 https listen a:$((7000 + r)) b:$((7000 + r))"
	echo "firewall a allow $((20000 + r))"
done >"$CV_TMP/b.txt"

timeout 120 "$MMP" --socket "$SOCK" <"$CV_TMP/a.txt" >"$CV_TMP/a.out" 2>&1 &
A=$!
cv_track "$A"
timeout 120 "$MMP" --socket "$SOCK" --user admin <"$CV_TMP/b.txt" >"$CV_TMP/b.out" 2>&1 &
B=$!
cv_track "$B"
wait "$A"
rc_a=$?
wait "$B"
rc_b=$?
cv_untrack "$A"
cv_untrack "$B"

tap_ok $rc_a "session A ($((ROUNDS * 3)) commands) succeeds" || tap_diag_file "$CV_TMP/a.out"
tap_ok $rc_b "session B ($((ROUNDS * 3)) commands) succeeds" || tap_diag_file "$CV_TMP/b.out"
tap_is "$(cat "$CV_TMP/a.out")" "" "session A printed nothing (configuration commands are silent)"
tap_is "$(cat "$CV_TMP/b.out")" "" "session B printed nothing"

turn=$(mmp_c turn)
wb=$(mmp_c webbridge3)
fw=$(mmp_c "firewall a")

tap_is "$(printf '%s\n' "$turn" | sed -n 's/^Username *: //p')" "alice$ROUNDS" \
	"turn holds session A's last user name"
tap_is "$(printf '%s\n' "$turn" | sed -n 's/^TLS port *: //p')" "$((3000 + ROUNDS))" \
	"turn holds session A's last TLS port"
tap_is "$(printf '%s\n' "$wb" | sed -n 's/^C2W listening ports and interfaces *: //p')" \
	"a:$((6000 + ROUNDS))" "webbridge3 holds session B's last C2W listener"
tap_is "$(printf '%s\n' "$wb" | sed -n 's/^HTTPS listening ports and interfaces *: //p')" \
	"a:$((7000 + ROUNDS)) b:$((7000 + ROUNDS))" "webbridge3 holds session B's last HTTPS listeners"

missing_a=0 missing_b=0
for r in $(seq 1 "$ROUNDS"); do
	printf '%s\n' "$fw" | grep -qE "[[:space:]]$((10000 + r))(/|[[:space:]]|$)" ||
		missing_a=$((missing_a + 1))
	printf '%s\n' "$fw" | grep -qE "[[:space:]]$((20000 + r))(/|[[:space:]]|$)" ||
		missing_b=$((missing_b + 1))
done
tap_is "$missing_a" 0 "the firewall list holds all $ROUNDS rules of session A" ||
	tap_diag "$(printf '%s\n' "$fw" | head -n 10)"
tap_is "$missing_b" 0 "the firewall list holds all $ROUNDS rules of session B"
# How often the list switches between the sessions' rules: a sign that the
# commits did interleave (a figure, not a check: it depends on timing).
switches=$(printf '%s\n' "$fw" | grep -oE '[[:space:]][12][0-9]{4}(/|[[:space:]]|$)' |
	cut -c2 | uniq | wc -l)
tap_diag "the rule list switches between the two sessions $((switches - 1)) times"

# An interactive session on a terminal (tmux, on a private server socket)
# while a script session runs: completion, "?" and a command typed by hand.
pane() { tmux -S "$TMUX_SOCK" capture-pane -p -t cv 2>/dev/null; }
wait_pane() { # wait_pane REGEX: poll the screen, at most 10 s
	local i=0
	while [ "$i" -lt 100 ]; do
		pane | grep -qE -- "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
if ! command -v tmux >/dev/null; then
	tap_skip "tmux is not installed" "an interactive session works alongside a script"
else
	TMUX_SOCK=$CV_TMP/tmux.sock
	for r in $(seq 1 "$ROUNDS"); do echo "firewall b allow $((30000 + r))"; done >"$CV_TMP/c.txt"
	tmux -S "$TMUX_SOCK" -f /dev/null new-session -d -s cv -x 160 -y 50 \
		"$MMP --socket $SOCK; echo mmp-exited-\$?; sleep 30"
	TMUX_PID=$(tmux -S "$TMUX_SOCK" display-message -p '#{pid}' 2>/dev/null)
	[ -n "$TMUX_PID" ] && cv_track "$TMUX_PID"
	timeout 120 "$MMP" --socket "$SOCK" <"$CV_TMP/c.txt" >"$CV_TMP/c.out" 2>&1 &
	C=$!
	cv_track "$C"
	wait_pane '^CMS> *$'
	tap_ok $? "the interactive shell shows the prompt CMS> " || tap_diag "$(pane)"
	tmux -S "$TMUX_SOCK" send-keys -t cv "tu" Tab
	wait_pane '^CMS> turn *$'
	tap_ok $? "TAB completes tu to turn" || tap_diag "$(pane)"
	tmux -S "$TMUX_SOCK" send-keys -t cv "li" Tab
	wait_pane '^CMS> turn listen *$'
	tap_ok $? "TAB completes li to listen" || tap_diag "$(pane)"
	tmux -S "$TMUX_SOCK" send-keys -t cv "a c" Enter "turn" Enter
	wait_pane '^Listen interface +c$'
	tap_ok $? "the typed command is committed and shown by turn" || tap_diag "$(pane)"
	tmux -S "$TMUX_SOCK" send-keys -t cv "ipv4 ?"
	wait_pane '^ +<if> '
	tap_ok $? "? lists what may follow ipv4" || tap_diag "$(pane)"
	tmux -S "$TMUX_SOCK" send-keys -t cv C-u "exit" Enter
	wait_pane '^mmp-exited-0$'
	tap_ok $? "exit leaves the shell with status 0" || tap_diag "$(pane)"
	wait "$C"
	tap_ok $? "the script session beside it succeeds" || tap_diag_file "$CV_TMP/c.out"
	cv_untrack "$C"
	if [ -n "$TMUX_PID" ]; then
		cv_stop_pid "$TMUX_PID" 5
		cv_untrack "$TMUX_PID"
	fi
	fw_b=$(mmp_c "firewall b")
	missing_c=0
	for r in $(seq 1 "$ROUNDS"); do
		printf '%s\n' "$fw_b" | grep -qE "[[:space:]]$((30000 + r))(/|[[:space:]]|$)" ||
			missing_c=$((missing_c + 1))
	done
	tap_is "$missing_c" 0 "the script session's $ROUNDS rules are all there"
fi
turn=$(mmp_c turn)

# The same after a restart: the shared state was committed, not just held.
mmpd_stop
if mmpd_start "$D"; then
	tap_is "$(mmp_c "firewall a")" "$fw" "the firewall screen is the same after a restart"
	tap_is "$(mmp_c turn)" "$turn" "the turn screen is the same after a restart"
	mmpd_stop
else
	tap_ok 1 "mmpd starts again"
fi
tap_done
