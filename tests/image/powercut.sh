#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The power-cut test (TAP): configuration commits through mmp while the
# qemu guest is reset under them; every acknowledged commit must survive and
# the document must never be torn (tests/image/powercut.py says how and
# why; tests/image/vm.sh how it runs and when it is skipped). Two to five
# minutes under TCG. POWERCUT_SEED, POWERCUT_COMMITS and POWERCUT_ROUNDS
# repeat or resize a run.
exec "$(dirname "$0")/vm.sh" powercut.py 900
