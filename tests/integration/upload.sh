#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The upload directory and the roles (issue 14 item 3), with system accounts
# in a private etc folder (mmpd --system-users) and the upload directory on
# a small file system of its own (a loop-mounted ext4 file, as the image and
# the sandbox have it):
#
#   - admin and crypto accounts (group mmp-files) reach the directory, audit
#     accounts do not; keys mmpd writes are root's alone, certificates and
#     backups readable by the right group (backups: admins only);
#   - a backup that a crypto user put there is not rolled back;
#   - filling the upload file system leaves the configuration's alone:
#     commits go on, a backup fails cleanly, health_check says so;
#   - factory_reset full removes the keys and backups.
#
# File access is tried as the accounts' uids with the groups the private
# group file gives them (what sshd's initgroups would give an SFTP login).
set -u
. "$(dirname "$0")/lib.sh"
cv_use_test_mmpd

cv_require_root
cv_require_programs
cv_init upload

D=$CV_TMP/m
ETC=$CV_TMP/etc
F=$D/state/files
mkdir -p "$D/state" "$ETC"
for f in passwd shadow group; do
	cp "$top_srcdir/images/rootfs/etc/$f" "$ETC/$f"
done
chmod 711 "$CV_TMP" "$D"

# The upload file system: 12 MiB.
LOOPFS=
truncate -s 12M "$CV_TMP/uploads.img" && mkfs.ext4 -q -F -m 0 "$CV_TMP/uploads.img" &&
	mkdir -p "$F" && mount -o loop,nosuid,nodev,noexec "$CV_TMP/uploads.img" "$F" && LOOPFS=1
upload_cleanup() {
	local pid
	# mmpd first (it holds the directory), then the mount, then the files.
	for pid in $CV_PIDS; do
		cv_stop_pid "$pid" 5
	done
	CV_PIDS=
	[ -n "$LOOPFS" ] && umount "$F" 2>/dev/null
	cv_cleanup
}
trap upload_cleanup EXIT

mmpd_start "$D" --system-users="$ETC" || tap_bail "mmpd did not start"

uid_of() { awk -F: -v u="$1" '$1 == u { print $3 }' "$ETC/passwd"; }
# The supplementary groups the private group file gives NAME.
groups_of() {
	awk -F: -v u="$1" '{ n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) print $3 }' \
		"$ETC/group" | paste -sd, -
}
as_user() { # as_user NAME CMD...
	local u=$1 g grp
	shift
	g=$(groups_of "$u")
	if [ -n "$g" ]; then grp=--groups="$g"; else grp=--clear-groups; fi
	timeout 30 setpriv --reuid="$(uid_of "$u")" --regid=2000 "$grp" "$@" 2>&1
}
add_user() { # NAME ROLE
	printf 'user add %s %s\nPw.%s.123\nPw.%s.123\n' "$1" "$2" "$1" "$1" >"$CV_TMP/script"
	mmp_script "$CV_TMP/script" >/dev/null
}
add_user alice admin
add_user carl crypto
add_user aude audit

# --- who reaches what ----------------------------------------------------------------------
tap_is "$(stat -c '%a %U %g' "$F")" "2770 root 1999" "the upload directory is root:mmp-files 02770"
tap_is "$(grep '^mmp-files:' "$ETC/group")" "mmp-files:x:1999:admin,alice,carl" \
	"mmp-files holds the admin and crypto accounts"
tap_is "$(grep '^mmp-admin:' "$ETC/group")" "mmp-admin:x:1998:admin,alice" \
	"mmp-admin holds the admin accounts"

out=$(mmp_c 'pki selfsigned site')
tap_is "$out" "Created key file site.key and certificate site.crt" "pki selfsigned writes a pair"
tap_is "$(stat -c '%a %U %g' "$F/site.key") $(stat -c '%a %U %g' "$F/site.crt")" \
	"600 root 1999 640 root 1999" "the key is root's alone, the certificate readable by mmp-files"
out=$(mmp_c 'backup snapshot snap')
tap_is "$(stat -c '%a %U %g' "$F/snap.bak")" "640 root 1998" "a backup is readable by mmp-admin only"

as_user aude ls "$F" >/dev/null
tap_ok "$([ $? -ne 0 ]; echo $?)" "an audit account cannot enter the upload directory"
as_user carl cat "$F/site.crt" >/dev/null
tap_ok $? "a crypto account reads a certificate"
as_user carl cat "$F/site.key" >/dev/null
tap_ok "$([ $? -ne 0 ]; echo $?)" "but not a key made on the appliance"
as_user carl cat "$F/snap.bak" >/dev/null
tap_ok "$([ $? -ne 0 ]; echo $?)" "nor a backup"
as_user alice cat "$F/snap.bak" >/dev/null
tap_ok $? "an admin account downloads the backup"
as_user carl sh -c "umask 027; echo data > '$F/carl.crt'"
tap_ok $? "a crypto account uploads a file"

# A crypto user's file under a backup's name is not rolled back: it could
# make its author an admin.
as_user carl cp "$F/site.crt" "$F/evil.bak"
printf 'backup rollback evil\nY\n' >"$CV_TMP/script"
out=$(mmp_script "$CV_TMP/script")
tap_is "$out" "FAILURE: evil.bak was not written by mmpd or an admin user" \
	"a backup owned by a crypto account is refused"

# --- the upload file system fills, the configuration's does not --------------------------------
if [ -n "$LOOPFS" ]; then
	as_user alice dd if=/dev/zero of="$F/fill" bs=4k count=16384 >/dev/null 2>&1
	sync
	avail=$(df --output=avail -k "$F" | tail -n 1 | tr -d ' ')
	tap_ok "$([ "$avail" -lt 64 ]; echo $?)" \
		"an admin's upload fills the upload file system ($avail KiB left)"
	out=$(mmp_c 'dns add rr "full.example.com A 192.0.2.9"')
	tap_is "$?:$out" "0:" "configuration commits go on"
	out=$(mmp_c 'backup snapshot more')
	tap_is "$out" "FAILURE: cannot write more.bak: No space left on device" \
		"a backup fails cleanly"
	out=$(mmp_c health_check)
	printf '%s\n' "$out" | grep -qxE 'WARNING: upload directory usage (9[1-9]|100)% \(a file system of its own\)'
	tap_ok $? "health_check reports the full upload file system" || tap_diag "$out"
	rm -f "$F/fill"
else
	tap_skip "no loop device to make a file system with" "uploads fill their own file system"
	out=$(mmp_c health_check)
	printf '%s\n' "$out" | grep -qx "WARNING: the upload directory shares the configuration's file system: uploads can fill it"
	tap_ok $? "health_check warns that uploads share the configuration's file system"
fi

# --- factory_reset full removes keys and backups -------------------------------------------
printf 'factory_reset full\nY\n' >"$CV_TMP/script"
mmp_script "$CV_TMP/script" >/dev/null
# mmpd starts again in place (no --appliance): wait for its socket.
for _ in $(seq 1 100); do
	mmp_c version >/dev/null 2>&1 && break
	sleep 0.1
done
left=$(find "$F" -maxdepth 1 -type f | wc -l)
tap_is "$left" 0 "factory_reset full leaves no key, certificate or backup"

mmpd_stop
tap_done
