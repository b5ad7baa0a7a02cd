#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# man/mmp-commands.7 must be what services/mmpd/mmp_doc prints from the command
# tables: a command added, removed or re-worded without `make man-update`
# fails here.
set -u
doc=${top_builddir:?}/services/mmpd/mmp_doc
page=${top_srcdir:?}/man/mmp-commands.7
echo "1..2"
if [ ! -x "$doc" ]; then
	echo "not ok 1 - services/mmpd/mmp_doc is built"
	echo "not ok 2 - man/mmp-commands.7 matches the command tables # SKIP no mmp_doc"
	exit 0
fi
echo "ok 1 - services/mmpd/mmp_doc is built"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$doc" >"$out"
if cmp -s "$out" "$page"; then
	echo "ok 2 - man/mmp-commands.7 matches the command tables"
else
	echo "not ok 2 - man/mmp-commands.7 matches the command tables (run make man-update)"
	diff -u "$page" "$out" | head -n 40 | sed 's/^/# /'
fi
