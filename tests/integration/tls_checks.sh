#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The enable-time certificate checks (spec/mmp.md 1.4 items 3-5) for what a
# golden transcript cannot set up: files that disappear, turn into symlinks
# or directories after "turn certs" accepted them, and a key replaced by
# another behind the service's back. Each failed enable prints the FAILURE
# line, exits 1 and leaves config.json byte-identical; putting the right
# file back makes enable pass again. Real mmpd and mmp processes; nothing
# leaves this machine (no interface is mapped).
set -u
. "$(dirname "$0")/lib.sh"
cv_use_test_mmpd

cv_require_root
cv_require_programs
[ -x "$SVC_HELPER" ] || tap_bail "$SVC_HELPER is not built"
FIX=$top_srcdir/tests/golden/fixtures/pki

cv_init tls_checks
export CONVENE_TEST_NOW=1718452800 TZ=UTC
D=$CV_TMP/m
F=$D/state/files
mkdir -p "$F" "$D/svc"
ln -s "$SVC_HELPER" "$D/svc/convene-turn"
cp "$FIX/edge.key" "$F/edge.key"
cp "$FIX/edge-fullchain.cer" "$F/edge.cer"
cp "$FIX/root.cer" "$F/root.cer"

if ! mmpd_start "$D"; then
	tap_ok 1 "mmpd starts"
	tap_done
	exit 1
fi

st=0
for c in 'ipv4 a add 192.0.2.10/24 192.0.2.1' 'turn listen a' \
	'turn credentials admin Secret.123 cms.demo' 'turn tls 447' \
	'turn certs edge.key edge.cer root.cer'; do
	o=$(mmp_c "$c") || st=1
	[ -z "$o" ] || st=1
done
tap_ok "$st" "turn is configured"

# enable_fails WHAT LINE: turn enable fails with LINE, changing nothing.
enable_fails() {
	local out rc
	cp "$D/state/config.json" "$CV_TMP/before.json"
	out=$(mmp_c 'turn enable')
	rc=$?
	tap_is "$rc:$out" "1:$2
FAILURE: Turn configuration not complete" "turn enable: $1"
	cmp -s "$CV_TMP/before.json" "$D/state/config.json"
	tap_ok $? "turn enable: $1 changes nothing"
}

enable_passes() {
	local out rc
	out=$(mmp_c 'turn enable')
	rc=$?
	tap_is "$rc:$out" "0:SUCCESS: Key and certificate pair match
SUCCESS: certificate verified against CA bundle
SUCCESS: Turn enabled" "turn enable: $1"
	mmp_c 'turn disable' >/dev/null
}

enable_passes "all files in place"

mv "$F/edge.key" "$CV_TMP/edge.key"
enable_fails "the key was deleted" "FAILURE: Unable to read file edge.key"

ln -s "$CV_TMP/edge.key" "$F/edge.key"
enable_fails "the key is a symlink (refused, even to a good key)" \
	"FAILURE: Unable to read file edge.key"
rm "$F/edge.key"

mkdir "$F/edge.key"
enable_fails "the key is a directory" "FAILURE: Unable to read file edge.key"
rmdir "$F/edge.key"

cp "$FIX/other.key" "$F/edge.key"
enable_fails "the key was replaced by another one" "FAILURE: Key and certificate do not match"

mv "$CV_TMP/edge.key" "$F/edge.key"
rm "$F/root.cer"
enable_fails "the bundle was deleted" "FAILURE: Unable to read file root.cer"
cp "$FIX/other-root.cer" "$F/root.cer"
enable_fails "the bundle is another CA's" "SUCCESS: Key and certificate pair match
FAILURE: certificate failed verification: self-signed certificate in certificate chain"

cp "$FIX/root.cer" "$F/root.cer"
enable_passes "everything back in place"

mmpd_stop
if grep -qiE 'AddressSanitizer|runtime error:' "$D/mmpd.log"; then
	tap_ok 1 "mmpd log has no sanitizer reports"
	tap_diag_file "$D/mmpd.log"
fi
tap_done
