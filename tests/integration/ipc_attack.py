#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Clients that misbehave on mmpd's socket, for tests/integration/ipc.sh.

Written apart from lib/ipc.c (stdlib only): a frame is a 4-byte big-endian
length and that many bytes of JSON.

  ipc_attack.py hangup SOCK          every op, cut at every point, then closed
  ipc_attack.py hold SOCK N SECONDS  N connections, kept open; prints how many
                                     mmpd kept (not closed within a second)
  ipc_attack.py partial SOCK SECS    half a frame, then silence: prints how long
                                     until mmpd closed the connection
  ipc_attack.py nonreader SOCK OUT   syslog follow, then never reads; writes
                                     "open" or "closed" to OUT when told to
                                     look (SIGUSR1), and exits on SIGTERM
  ipc_attack.py hello SOCK           prints "<status> <user> <role>" of hello
  ipc_attack.py run SOCK LINE        prints the status and output of a command

Every wait is bounded. Exit status 0 unless the arguments are wrong or the
socket cannot be reached at all.
"""
import json
import os
import signal
import socket
import struct
import sys
import time


def frame(obj):
    body = json.dumps(obj).encode()
    return struct.pack(">I", len(body)) + body


def connect(path):
    """A blocking connect: when the listen queue is full (mmpd busy with
    other clients), it waits its turn instead of failing."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(10)
    return s


def recv_frame(s):
    hdr = b""
    while len(hdr) < 4:
        chunk = s.recv(4 - len(hdr))
        if not chunk:
            return None
        hdr += chunk
    (n,) = struct.unpack(">I", hdr)
    body = b""
    while len(body) < n:
        chunk = s.recv(n - len(body))
        if not chunk:
            return None
        body += chunk
    return json.loads(body)


def closed_by_peer(s, wait):
    """True when the peer closed s within wait seconds (data is drained)."""
    deadline = time.monotonic() + wait
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        s.settimeout(left)
        try:
            data = s.recv(65536)
        except socket.timeout:
            return False
        except OSError:
            return True
        if not data:
            return True


# Requests of every op; a login only works for root, the others for any
# MMP user (the rest get "Permission denied", which is fine for this).
OPS = [
    {"op": "hello"},
    {"op": "run", "line": "user list"},
    {"op": "run", "line": "pki list"},
    {"op": "run", "line": "version"},
    {"op": "run", "line": "syslog follow"},
    {"op": "run", "line": "passwd"},
    {"op": "run", "line": "no such command"},
    {"op": "run", "line": "backup snapshot hangup"},
    {"op": "complete", "line": "turn certs "},
    {"op": "help", "line": "turn "},
    {"op": "login", "user": "admin", "password": "wrong"},
    {"op": "unfollow"},
    {"op": "nonsense"},
]


def hangup(path):
    """Sends each request cut after every byte count from 0 to all of it,
    closes, and once all of it went out also closes before reading."""
    n = 0
    for req in OPS:
        data = frame(req)
        cuts = sorted(set(list(range(0, min(len(data), 8))) + [len(data) // 2, len(data) - 1,
                                                                len(data)]))
        for cut in cuts:
            s = connect(path)
            try:
                s.sendall(data[:cut])
                # An abortive close (RST) for half of them, a FIN for the rest.
                if cut % 2:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack("ii", 1, 0))
            except OSError:
                pass  # mmpd closed it first (a user past its connection cap)
            s.close()
            n += 1
    print(n)


def hold(path, count, seconds):
    conns = []
    for _ in range(count):
        try:
            conns.append(connect(path))
        except OSError:
            pass
    time.sleep(1)
    kept = [c for c in conns if not closed_by_peer(c, 0.01)]
    print(len(kept), flush=True)
    time.sleep(seconds)
    for c in conns:
        c.close()


def partial(path, limit):
    s = connect(path)
    s.sendall(frame({"op": "hello"})[:6])
    t0 = time.monotonic()
    if closed_by_peer(s, limit):
        print("%.1f" % (time.monotonic() - t0))
    else:
        print("open")


def nonreader(path, out):
    s = connect(path)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(frame({"op": "run", "line": "syslog follow"}))
    first = recv_frame(s)
    if not first or not first.get("follow"):
        print("no follow: %r" % (first,), file=sys.stderr)
    state = {"look": False, "stop": False}
    signal.signal(signal.SIGUSR1, lambda *_: state.update(look=True))
    signal.signal(signal.SIGTERM, lambda *_: state.update(stop=True))
    with open(out + ".ready", "w") as f:
        f.write("ready\n")
    for _ in range(3000):  # at most 300 s
        if state["stop"]:
            break
        if state["look"]:
            state["look"] = False
            with open(out, "w") as f:
                f.write(("closed" if closed_by_peer(s, 5) else "open") + "\n")
        time.sleep(0.1)


def hello(path):
    s = connect(path)
    s.sendall(frame({"op": "hello"}))
    r = recv_frame(s) or {}
    print(r.get("status"), r.get("user"), r.get("role"), (r.get("output") or "").strip())


def run(path, line):
    s = connect(path)
    s.sendall(frame({"op": "run", "line": line}))
    r = recv_frame(s) or {}
    print(r.get("status"))
    sys.stdout.write(r.get("output") or "")


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    mode, path = argv[1], argv[2]
    if mode == "hangup":
        hangup(path)
    elif mode == "hold" and len(argv) == 5:
        hold(path, int(argv[3]), float(argv[4]))
    elif mode == "partial" and len(argv) == 4:
        partial(path, float(argv[3]))
    elif mode == "nonreader" and len(argv) == 4:
        nonreader(path, argv[3])
    elif mode == "hello":
        hello(path)
    elif mode == "run" and len(argv) == 4:
        run(path, argv[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
