#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""One request to convene-media's control socket: the JSON on stdin, the
answer on stdout (tests/browser/media.mjs; node has no SOCK_SEQPACKET).
usage: media_ctl.py SOCKET"""
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(10)
s.connect(sys.argv[1])
s.send(sys.stdin.buffer.read())
sys.stdout.write(s.recv(1 << 17).decode())
