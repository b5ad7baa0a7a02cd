#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The client load generator of tests/bench/xmpp: the same raw XMPP clients
against any server (Convene's, prosody).

  xmpp_load.py clients ADDR DOMAIN CAFILE N CONCURRENCY MESSAGES RATE PIDFILE
      Logs in N clients u0..uN-1 (password "pw"): STARTTLS, SASL PLAIN,
      bind, initial presence, at most CONCURRENCY logins at once; then
      sends MESSAGES chat messages at RATE per second, client i to client
      i+1, each carrying its send time; then holds the connections idle for
      a moment. Reads the server's PID from PIDFILE and prints, one per
      line: logins_per_s, login_cpu_ms (server CPU per login),
      logins_per_cpu_s (logins per second of server CPU: the server's
      capacity when the client is the bottleneck), idle_kib_per_conn
      (server RSS growth per logged-in idle connection), msg_cpu_us
      (server CPU per routed message), p50_ms, p99_ms (message routing
      latency), lost.

  xmpp_load.py component DOMAIN SECRET
      The call bridge's side of Convene's logins for this load: a raw
      XEP-0114 component cb1.DOMAIN on 127.0.0.1:5347 that answers every
      <verify/> for uN@DOMAIN with password "pw". Runs until killed.
"""
import asyncio
import base64
import hashlib
import re
import ssl
import sys
import time

STREAM = ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>")


class Conn:
    def __init__(self, r, w):
        self.r, self.w, self.buf = r, w, b""

    async def until(self, pat, limit=30):
        deadline = time.monotonic() + limit
        while not re.search(pat, self.buf):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("waiting for %r, have %r" % (pat, self.buf[-200:]))
            chunk = await asyncio.wait_for(self.r.read(65536), left)
            if not chunk:
                raise ConnectionError("closed while waiting for %r: %r" % (pat, self.buf[-200:]))
            self.buf += chunk
        m = re.search(pat, self.buf)
        self.buf = self.buf[m.end():]


async def login(addr, domain, ctx, i):
    r, w = await asyncio.open_connection(addr, 5222)
    c = Conn(r, w)
    hdr = (STREAM % domain).encode()
    w.write(hdr)
    await c.until(rb"</stream:features>")
    w.write(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    await c.until(rb"<proceed[^>]*>")
    await w.start_tls(ctx, server_hostname=domain)
    w.write(hdr)
    await c.until(rb"</stream:features>")
    auth = base64.b64encode(b"\0u%d\0pw" % i).decode()
    w.write(("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>"
             % auth).encode())
    await c.until(rb"<success[^>]*(/>|</success>)")
    w.write(hdr)
    await c.until(rb"</stream:features>")
    w.write(b"<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
            b"<resource>load</resource></bind></iq>")
    await c.until(rb"</iq>")
    w.write(b"<presence/>")
    return c


def proc_cpu_ms(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    import os
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def proc_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def clients(addr, domain, cafile, n, conc, messages, rate, pidfile):
    pid = int(open(pidfile).read().split()[0])
    ctx = ssl.create_default_context(cafile=cafile)
    sem = asyncio.Semaphore(conc)
    conns = [None] * n

    async def one(i):
        async with sem:
            conns[i] = await login(addr, domain, ctx, i)

    rss0, cpu0, t0 = proc_rss_kib(pid), proc_cpu_ms(pid), time.monotonic()
    await asyncio.gather(*(one(i) for i in range(n)))
    t1, cpu1 = time.monotonic(), proc_cpu_ms(pid)
    await asyncio.sleep(1.0)
    rss1 = proc_rss_kib(pid)
    print("logins_per_s %.1f" % (n / (t1 - t0)))
    print("login_cpu_ms %.3f" % ((cpu1 - cpu0) / n))
    # What the server could take alone: logins per second of its CPU.
    print("logins_per_cpu_s %.0f" % (n * 1000.0 / max(cpu1 - cpu0, 1.0)))
    print("idle_kib_per_conn %.1f" % ((rss1 - rss0) / n))

    lat = []
    done = asyncio.Event()

    async def reader(c):
        try:
            while True:
                chunk = await c.r.read(65536)
                if not chunk:
                    return
                c.buf += chunk
                while True:
                    m = re.search(rb"<body>t=(\d+)</body>", c.buf)
                    if not m:
                        break
                    lat.append((time.monotonic_ns() - int(m.group(1))) / 1e6)
                    c.buf = c.buf[m.end():]
                    if len(lat) >= messages:
                        done.set()
                if len(c.buf) > 65536:
                    c.buf = c.buf[-4096:]
        except (ConnectionError, asyncio.CancelledError):
            return

    for c in conns:
        c.buf = b""
    readers = [asyncio.ensure_future(reader(c)) for c in conns]
    mcpu0 = proc_cpu_ms(pid)
    interval = 1.0 / rate
    start = time.monotonic()
    for k in range(messages):
        i = k % n
        to = "u%d@%s" % ((i + 1) % n, domain)
        conns[i].w.write(("<message type='chat' to='%s'><body>t=%d</body></message>"
                          % (to, time.monotonic_ns())).encode())
        delay = start + (k + 1) * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
    try:
        await asyncio.wait_for(done.wait(), 10)
    except asyncio.TimeoutError:
        pass
    mcpu1 = proc_cpu_ms(pid)
    lat.sort()
    if lat:
        print("msg_cpu_us %.1f" % ((mcpu1 - mcpu0) * 1000.0 / len(lat)))
        print("p50_ms %.2f" % lat[len(lat) // 2])
        print("p99_ms %.2f" % lat[min(len(lat) - 1, int(len(lat) * 0.99))])
    print("lost %d" % (messages - len(lat)))
    for r in readers:
        r.cancel()
    for c in conns:
        c.w.write(b"</stream:stream>")
        c.w.close()


async def component_main(domain, secret):
    jid = "cb1." + domain
    r, w = await asyncio.open_connection("127.0.0.1", 5347)
    w.write(("<stream:stream xmlns='jabber:component:accept' "
             "xmlns:stream='http://etherx.jabber.org/streams' to='%s'>" % jid).encode())
    buf = b""
    while not re.search(rb"\sid='([^']*)'", buf):
        chunk = await r.read(4096)
        if not chunk:
            raise ConnectionError("no stream header")
        buf += chunk
    sid = re.search(rb"\sid='([^']*)'", buf).group(1).decode()
    w.write(("<handshake>%s</handshake>" % hashlib.sha1((sid + secret).encode()).hexdigest())
            .encode())
    buf = b""
    iq = re.compile(rb"<iq [^>]*id='([^']*)'[^>]*><verify [^>]*jid='([^']*)'[^>]*>([^<]*)</verify></iq>")
    while True:
        chunk = await r.read(65536)
        if not chunk:
            return
        buf += chunk
        out = []
        while True:
            m = iq.search(buf)
            if not m:
                break
            user = m.group(2).decode().split("@")[0]
            ok = re.fullmatch(r"u\d+", user) and base64.b64decode(m.group(3)) == b"pw"
            if ok:
                out.append("<iq type='result' id='%s' from='%s' to='%s'/>"
                           % (m.group(1).decode(), jid, domain))
            else:
                out.append("<iq type='error' id='%s' from='%s' to='%s'><error type='auth'>"
                           "<not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                           "</error></iq>" % (m.group(1).decode(), jid, domain))
            buf = buf[m.end():]
        if out:
            w.write("".join(out).encode())
        if len(buf) > 1 << 20:
            buf = buf[-65536:]


if __name__ == "__main__":
    if sys.argv[1] == "component":
        asyncio.run(component_main(sys.argv[2], sys.argv[3]))
    else:
        a = sys.argv[2:]
        asyncio.run(clients(a[0], a[1], a[2], int(a[3]), int(a[4]), int(a[5]), float(a[6]),
                            a[7]))
