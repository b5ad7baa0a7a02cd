#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""One request to mmpd, as the login programs send it (lib/ipc.h framing):

    ipc_call.py SOCKET '{"op":"session_open","user":"alice","pid":123}'

prints the reply (one JSON object) on stdout. The tests use it for the
root-only ops of the login paths with values no login program would send
(another process's pid, a bad origin). Exit status 0 when mmpd answered.
Standard library only; every read is bounded by a timeout.
"""
import json
import socket
import struct
import sys


def main():
    if len(sys.argv) != 3:
        print("usage: ipc_call.py SOCKET JSON", file=sys.stderr)
        return 2
    body = json.dumps(json.loads(sys.argv[2])).encode()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sys.argv[1])
    s.sendall(struct.pack(">I", len(body)) + body)
    buf = b""
    while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
        if len(buf) >= 4 and struct.unpack(">I", buf[:4])[0] > 1 << 20:
            print("reply too large", file=sys.stderr)
            return 1
        data = s.recv(65536)
        if not data:
            print("mmpd closed the connection", file=sys.stderr)
            return 1
        buf += data
    n = struct.unpack(">I", buf[:4])[0]
    print(json.dumps(json.loads(buf[4:4 + n]), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
