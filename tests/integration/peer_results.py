# SPDX-License-Identifier: GPL-2.0-or-later
"""The result lines of the peer scripts (xmpp_peer.py, media_peer.py): one
"PASS name" or "FAIL name: why" per check, flushed at once, and a last
"N failed" line; lib.sh's peer_tap turns them into TAP lines."""
import sys

failures = 0


def result(name, ok, why=""):
    global failures
    if ok:
        print("PASS", name, flush=True)
    else:
        failures += 1
        print("FAIL %s: %s" % (name, why), flush=True)


def finish():
    print("%d failed" % failures)
    sys.exit(1 if failures else 0)
