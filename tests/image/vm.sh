#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs one of the image tests' drivers (TAP): tests/image/vm.sh DRIVER.py
# SECONDS. The driver builds the image into images/out of the build
# directory (what `make image` makes) and boots it under qemu; it gets
# --mkimage, --run, --bin, --image and --work (tests/image/work-NAME), and
# stops after SECONDS (each of its waits also has its own timeout). Needs
# qemu-system-x86, the image's build packages (images/mkimage names any that
# are missing), openssh-client and python3.
#
# The image tests take turns (flock on tests/image/vm.lock): they share
# images/out, and two TCG guests at once on a small CI machine would only
# slow each other down.
#
# Skipped under `make distcheck` (the check of the source tree has just
# booted the same image, and twice the boots would only cost CI time) and
# in a build with --enable-asan (scripts/check's second run: the reports
# of the sanitizers inside the guest would not reach the host, so the boots
# would add minutes and check nothing the normal build's boots do not).
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
driver=$1
limit=$2
shift 2
name=$(basename "$driver" .py)
builddir=$(cd "$top_builddir" && pwd)
case $builddir in
*/_build/sub)
	echo "1..0 # SKIP in make distcheck (the source tree's check boots the image)"
	exit 0
	;;
esac
if grep -q '^WARN_CFLAGS = .*-fsanitize=address' "$builddir/Makefile"; then
	echo "1..0 # SKIP built with --enable-asan (sanitizer reports stay in the guest;" \
		"the normal build's check boots the image)"
	exit 0
fi
for c in qemu-system-x86_64 ssh sftp timeout flock; do
	if ! command -v "$c" >/dev/null 2>&1; then
		echo "Bail out! $c not found (apt-get install qemu-system-x86 openssh-client)"
		exit 1
	fi
done
py=/usr/bin/python3
[ -x "$py" ] || py=python3
mkdir -p "$builddir/tests/image"
exec flock -w 1800 "$builddir/tests/image/vm.lock" \
	timeout -k 10 "$limit" "$py" "$top_srcdir/tests/image/$driver" \
	--mkimage "$top_srcdir/images/mkimage" --run "$top_srcdir/images/run" \
	--bin "$builddir" --image "$builddir/images/out" \
	--work "$builddir/tests/image/work-$name"
