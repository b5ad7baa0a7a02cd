#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The appliance boot test (TAP): builds the image into images/out of the
# build directory (what `make image` makes), boots it twice under qemu and
# drives the serial console, SSH and SFTP (tests/image/vmtest.py says what
# it checks). Needs qemu-system-x86, the image's build packages (images/mkimage
# names any that are missing), openssh-client and python3; a few minutes.
#
# Under `make distcheck` it is skipped: the check of the source tree has just
# booted the same image, and twice the boots would only cost CI time.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
builddir=$(cd "$top_builddir" && pwd)
case $builddir in
*/_build/sub)
	echo "1..0 # SKIP in make distcheck (the source tree's check boots the image)"
	exit 0
	;;
esac
for c in qemu-system-x86_64 ssh sftp timeout; do
	if ! command -v "$c" >/dev/null 2>&1; then
		echo "Bail out! $c not found (apt-get install qemu-system-x86 openssh-client)"
		exit 1
	fi
done
py=/usr/bin/python3
[ -x "$py" ] || py=python3
# The whole scenario stays well inside this (each wait also has its own).
exec timeout -k 10 900 "$py" "$top_srcdir/tests/image/vmtest.py" \
	--mkimage "$top_srcdir/images/mkimage" --run "$top_srcdir/images/run" \
	--bin "$builddir" --image "$builddir/images/out" --work "$builddir/tests/image/work"
