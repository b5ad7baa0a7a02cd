#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The appliance boot test (TAP): builds the image twice (reproducible),
# boots it three times under qemu and drives the serial console, SSH and
# SFTP (tests/image/vmtest.py says what it checks; tests/image/vm.sh how it
# runs and when it is skipped). About a minute.
exec "$(dirname "$0")/vm.sh" vmtest.py 900
