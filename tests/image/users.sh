#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The login path of the appliance image without a VM (TAP): mmpd
# --system-users=DIR keeps DIR/passwd, shadow and group in step with the MMP
# users (services/mmpd/mmpd_users.c); mmp-login checks a console login with
# mmpd and records its session; user evict closes the mmp connection of a
# user's uid and mmp ends; mmp --login refuses commands while the password
# must be changed.
# Runs mmpd as root with a private state dir and etc dir; touches nothing of
# this machine's own accounts.
source "$(dirname "$0")/../integration/lib.sh"

cv_require_root
cv_require_programs
LOGIN=$top_builddir/mmp-login
[ -x "$LOGIN" ] || tap_bail "$LOGIN is not built"
cv_init users

D=$CV_TMP/d
ETC=$CV_TMP/etc
mkdir -p "$ETC"
for f in passwd shadow group; do
	cp "$top_srcdir/images/rootfs/etc/$f" "$ETC/$f"
done
base_passwd=$(cat "$ETC/passwd")
nbase=$(grep -c . "$ETC/passwd")
state=$D/state

# add_user NAME ROLE PASSWORD
add_user() {
	printf 'user add %s %s\n%s\n%s\n' "$1" "$2" "$3" "$3" >"$CV_TMP/script"
	mmp_script "$CV_TMP/script"
}
pw_line() { grep "^$1:" "$ETC/passwd"; }
sh_line() { grep "^$1:" "$ETC/shadow"; }
hash_of() { # the hash mmpd stores for user $1
	/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["users"][sys.argv[2]]["hash"])' \
		"$state/config.json" "$1"
}

mmpd_start "$D" --system-users="$ETC" || tap_bail "mmpd did not start"

tap_is "$(pw_line admin)" "admin:x:2001:2000:Convene MMP user:$state/home/admin:/usr/bin/mmp" \
	"at start the factory admin gets an account with mmp as its shell"
tap_is "$(sh_line admin)" "admin:$(hash_of admin):::::::" \
	"its shadow entry is the MMP hash, with no aging fields"
tap_is "$(grep -c . "$ETC/passwd")" $((nbase + 1)) "the image's own accounts are kept"
tap_is "$(head -n "$nbase" "$ETC/passwd")" "$base_passwd" "and left as they were"
tap_is "$(grep '^mmp:' "$ETC/group")" "mmp:x:2000:" "group mmp"
tap_is "$(stat -c '%a %U %g' "$state/files")" "2770 root 1999" \
	"the upload directory is writable by group mmp-files (admin and crypto over SFTP)"
tap_is "$(stat -c '%a' "$state")" "711" "the state dir may be passed through, not listed"
tap_is "$(stat -c '%a %u %g' "$state/home/admin")" "700 2001 2000" "admin's home"
tap_is "$(stat -c '%a' "$ETC/shadow")" "600" "shadow is mode 0600"

add_user bob crypto Bob.pw1 >/dev/null
add_user carol api Carol.pw1 >/dev/null
add_user root admin Root.pw1 >/dev/null
tap_is "$(pw_line bob)" "bob:x:2002:2000:Convene MMP user:$state/home/bob:/usr/bin/mmp" \
	"user add bob: the next free uid"
tap_is "$(pw_line carol)" "" "an api user gets no login account"
tap_is "$(pw_line root)" "root:x:0:0:root:/root:/bin/sh" \
	"an MMP user named root does not touch the system's root"
tap_is "$(sh_line root)" "root:*:::::::" "nor its shadow entry"

ino=$(stat -c %i "$ETC/passwd")
mmp_c "hostname edge1" >/dev/null
tap_is "$(stat -c %i "$ETC/passwd")" "$ino" "a command that changes no user rewrites nothing"

add_user dave audit Dave.pw1 >/dev/null
mmp_c "user del bob" >/dev/null
tap_is "$(pw_line bob)$(sh_line bob)" "" "user del bob removes the account"
tap_ok "$([ ! -e "$state/home/bob" ]; echo $?)" "and its home"
mmpd_stop
mmpd_start "$D" --system-users="$ETC" || tap_bail "mmpd did not start again"
tap_is "$(pw_line dave | cut -d: -f3)" 2003 "a restart keeps the uids"
add_user erin admin Erin.pw1 >/dev/null
tap_is "$(pw_line erin | cut -d: -f3)" 2002 "a freed uid is given again"

# The console login (mmp-login) against this mmpd. erin has no account on
# this machine, so mmp-login runs the shell as root with --user (a stand-in
# shell that prints its arguments).
if getent passwd erin >/dev/null; then
	tap_skip "this machine has a user erin" "mmp-login starts the shell of a good login"
	tap_skip "this machine has a user erin" "mmp-login refuses a wrong password"
	tap_skip "this machine has a user erin" "mmp-login records the console session"
	tap_skip "this machine has a user erin" "and closes it when the shell ends"
else
	printf '#!/bin/sh\necho "shell: $0 $*"\n' >"$CV_TMP/shell"
	chmod 755 "$CV_TMP/shell"
	out=$(printf 'erin\nErin.pw1\n' | timeout 30 "$LOGIN" --socket "$SOCK" --mmp "$CV_TMP/shell" 2>&1)
	tap_is "$out" "edge1 login: Password: shell: $CV_TMP/shell --login --user erin --socket $SOCK" \
		"mmp-login starts the shell of a good login"
	out=$(printf 'erin\nwrong\n' | timeout 30 "$LOGIN" --socket "$SOCK" --mmp "$CV_TMP/shell" 2>&1)
	tap_is "$out" "edge1 login: Password: Login incorrect
edge1 login: " "mmp-login refuses a wrong password"
	# The console session: mmpd knows it while the shell runs.
	cat >"$CV_TMP/listshell" <<-EOF
		#!/bin/sh
		"$MMP" --socket "$SOCK" -c "user list" | awk '\$1 == "erin" {print "erin logged in: " \$NF}'
	EOF
	chmod 755 "$CV_TMP/listshell"
	out=$(printf 'erin\nErin.pw1\n' | timeout 30 "$LOGIN" --socket "$SOCK" --mmp "$CV_TMP/listshell" 2>&1)
	tap_is "$out" "edge1 login: Password: erin logged in: yes" \
		"mmp-login records the console session while the shell runs"
	tap_is "$(mmp_c "user list" | awk '$1 == "erin" {print $NF}')" no \
		"and closes it when the shell ends"
fi

# user evict closes the mmp connections of the user's uid, and mmp ends
# instead of reconnecting. dave's mmp runs under dave's uid, reading its
# commands from a FIFO so that it stays connected until told otherwise.
printf 'passwd\nDave.pw1\nDave.pw2\nDave.pw2\n' >"$CV_TMP/script"
mmp_script "$CV_TMP/script" --user dave >/dev/null
chmod 0711 "$CV_TMP" # the socket is reached through it
mkfifo "$CV_TMP/dave.in"
setpriv --reuid="$(pw_line dave | cut -d: -f3)" --regid=2000 --clear-groups -- \
	"$MMP" --socket "$SOCK" <"$CV_TMP/dave.in" >"$CV_TMP/dave.out" 2>&1 &
DAVE=$!
cv_track "$DAVE"
exec 7>"$CV_TMP/dave.in"
listed=
for _ in $(seq 1 100); do
	listed=$(mmp_c "user list" | grep '^dave ')
	case $listed in *yes) break ;; esac
	sleep 0.1
done
tap_is "${listed##* }" yes "user list: a user with an mmp connection of its own uid is logged in"
tap_is "$(mmp_c "user evict dave")" "Ended 0 sessions of dave
Closed 1 mmp connection of dave" "user evict dave closes dave's connection"
echo hostname >&7
cv_wait_gone "$DAVE" 300
wait "$DAVE"
tap_is "$?:$(cat "$CV_TMP/dave.out")" "1:Logged out by an administrator" \
	"dave's mmp ends with the notice, and its next command never runs"
exec 7>&-
cv_untrack "$DAVE"
tap_is "$(mmp_c "user list" | grep -c '^dave .*yes$')" 0 "dave is no longer logged in"

# A lock (failed logins) shows in shadow as "!" once the next change is
# applied; user unlock takes it away.
mmp_c "user rule max_failed_logins 1" >/dev/null
printf 'dave\nwrong\n' | timeout 30 "$LOGIN" --socket "$SOCK" --mmp /bin/false >/dev/null 2>&1
mmp_c "hostname edge2" >/dev/null
tap_is "$(sh_line dave)" "dave:!$(hash_of dave):::::::" "a locked account is locked for sshd"
mmp_c "user unlock dave" >/dev/null
tap_is "$(sh_line dave)" "dave:$(hash_of dave):::::::" "user unlock unlocks it"

# A login session whose password must be changed gets no command.
out=$(timeout 30 "$MMP" --socket "$SOCK" --login --user erin -c turn </dev/null 2>&1)
tap_is "$?:$out" "1:mmp: your password must be changed first: log in on the console or with an interactive SSH session" \
	"mmp --login -c refuses while the password must be changed"
out=$(echo turn | timeout 30 "$MMP" --socket "$SOCK" --login --user erin 2>&1)
tap_ok "$([ "$?" = 1 ] && [ -z "${out##*must be changed first*}" ]; echo $?)" \
	"so does a script"
out=$(timeout 30 "$MMP" --socket "$SOCK" --user erin -c "turn" </dev/null 2>&1)
tap_ok "$([ -n "${out##*must be changed*}" ]; echo $?)" "root acting as erin is not forced"

mmpd_stop
mmpd_start "$D" || tap_bail "mmpd did not start without --system-users"
mmp_c "user del dave" >/dev/null
tap_is "$(pw_line dave | cut -d: -f1)" dave "without --system-users nothing is written"
mmpd_stop
tap_done
