#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A small client of the call bridge's REST API for the integration tests
and tests/bench/api: HTTPS keep-alive with http.client, Basic auth, the
certificate not checked (the appliance's is self-signed).

  cb_client.py creates HOST USER PW COUNT THREADS PREFIX ACKFILE [DEADLINE]
      COUNT coSpace creates (name=PREFIX-<i>&uri=PREFIX-<i>) spread over
      THREADS keep-alive connections. Each create that gets 200 and a
      Location is written to ACKFILE as "<i> <location>" and flushed at
      once, so that a run killed halfway still says what was acknowledged.
      A create whose connection fails is written as "<i> FAIL <reason>" and
      not retried; the connection is then made again (for DEADLINE seconds
      at most, 120 by default: the server may be restarting). Prints
      "acked A failed F seconds S".
  cb_client.py list HOST USER PW FILTER
      Every coSpace whose name contains FILTER, paging with offset: one line
      "<id>\t<name>\t<uri>" each, then "total <N>" (the server's total).
  cb_client.py slow HOST NCONN MODE MAXWAIT
      NCONN TLS connections that never finish their request: MODE "idle"
      sends nothing after the handshake, "trickle" sends a request line and
      then one header byte a second. Waits (MAXWAIT seconds at most) for the
      server to close them. Prints "closed C of N, longest S s".

Exit status 0 when the command ran (what it found is in its output), 2 on
bad usage, 1 on an error it could not get past.
"""

import base64
import http.client
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

TIMEOUT = 20


def context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def auth(user, pw):
    tok = base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
    return "Basic " + tok


class Client:
    def __init__(self, host, user, pw):
        self.host = host
        self.hdr = {"Authorization": auth(user, pw)}
        self.conn = None

    def connect(self):
        self.close()
        self.conn = http.client.HTTPSConnection(self.host, 443, context=context(),
                                                timeout=TIMEOUT)
        self.conn.connect()

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, form=None):
        """One request on the kept-alive connection (made if needed);
        returns (status, location, body). Raises on a transport error."""
        if self.conn is None:
            self.connect()
        headers = dict(self.hdr)
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, "/api/v1" + path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        return resp.status, resp.getheader("Location", ""), data


def cmd_creates(host, user, pw, count, threads, prefix, ackfile, deadline=120):
    count, threads, deadline = int(count), int(threads), float(deadline)
    lock = threading.Lock()
    out = open(ackfile, "a", buffering=1)
    nexti = [0]
    acked = [0]
    failed = [0]

    def take():
        with lock:
            if nexti[0] >= count:
                return None
            nexti[0] += 1
            return nexti[0] - 1

    def write(line):
        with lock:
            out.write(line + "\n")
            out.flush()

    def worker():
        c = Client(host, user, pw)
        while True:
            i = take()
            if i is None:
                break
            name = "%s-%d" % (prefix, i)
            try:
                st, loc, body = c.request("POST", "/coSpaces", {"name": name, "uri": name})
            except (OSError, http.client.HTTPException) as e:
                c.close()
                write("%d FAIL %s" % (i, type(e).__name__))
                with lock:
                    failed[0] += 1
                reconnect(c, deadline)
                continue
            if st == 200 and loc:
                write("%d %s" % (i, loc))
                with lock:
                    acked[0] += 1
            else:
                write("%d FAIL status %d %s" % (i, st, body[:200].decode("utf-8", "replace")))
                with lock:
                    failed[0] += 1
        c.close()

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("acked %d failed %d seconds %.2f" % (acked[0], failed[0], time.monotonic() - t0))
    return 0


def reconnect(c, deadline):
    """Makes the connection again, waiting (bounded) for the server."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            c.connect()
            return
        except OSError:
            c.close()
            time.sleep(0.2)


def cmd_list(host, user, pw, filt):
    c = Client(host, user, pw)
    offset = 0
    total = None
    seen = 0
    # Bounded: at most 100,000 pages.
    for _ in range(100000):
        q = urllib.parse.urlencode({"filter": filt, "offset": offset, "limit": 20})
        st, _, body = c.request("GET", "/coSpaces?" + q)
        if st != 200:
            print("error status %d %s" % (st, body[:200]), file=sys.stderr)
            return 1
        root = ET.fromstring(body)
        total = int(root.get("total"))
        kids = root.findall("coSpace")
        for k in kids:
            print("%s\t%s\t%s" % (k.get("id"), k.findtext("name", ""), k.findtext("uri", "")))
        seen += len(kids)
        offset += len(kids)
        if not kids or offset >= total:
            break
    print("total %d" % (total if total is not None else -1))
    c.close()
    return 0


def cmd_slow(host, nconn, mode, maxwait):
    nconn, maxwait = int(nconn), float(maxwait)
    conns = []
    for _ in range(nconn):
        raw = socket.create_connection((host, 443), timeout=10)
        s = context().wrap_socket(raw)
        s.setblocking(False)
        if mode == "trickle":
            s.send(b"GET /api/v1/system/status HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        conns.append([s, None])
    t0 = time.monotonic()
    longest = 0.0
    while time.monotonic() - t0 < maxwait:
        open_ = 0
        for c in conns:
            if c[1] is not None:
                continue
            s = c[0]
            gone = False
            try:
                d = s.recv(4096)
                if d == b"":
                    gone = True
            except ssl.SSLWantReadError:
                pass
            except BlockingIOError:
                pass
            except OSError:
                gone = True
            if not gone and mode == "trickle":
                try:
                    s.send(b"a")
                except (ssl.SSLWantWriteError, BlockingIOError):
                    pass
                except OSError:
                    gone = True
            if gone:
                c[1] = time.monotonic() - t0
                longest = max(longest, c[1])
            else:
                open_ += 1
        if open_ == 0:
            break
        time.sleep(1.0)
    closed = sum(1 for c in conns if c[1] is not None)
    for c in conns:
        c[0].close()
    print("closed %d of %d, longest %.0f s" % (closed, nconn, longest))
    return 0


def main(argv):
    cmds = {"creates": (cmd_creates, 7, 8), "list": (cmd_list, 4, 4), "slow": (cmd_slow, 4, 4)}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    fn, lo, hi = cmds[argv[1]]
    args = argv[2:]
    if not lo <= len(args) <= hi:
        print(__doc__, file=sys.stderr)
        return 2
    return fn(*args)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
