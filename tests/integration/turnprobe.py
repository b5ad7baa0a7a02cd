#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""turnprobe.py - a TURN client (Python standard library only) for Convene's
conformance/security probe, its interop scripts and its benchmark.

It is written independently of the server's C codec, so it checks the wire
and not a shared implementation. Modes:

  probe   RFC 8489/8656 conformance and the security defaults of
          spec/turn.md section 8: peer policy (every default-deny target,
          IPv4-in-IPv6 forms), Refresh(0) deletes, 437/438/440/442/420/400,
          SHA-256 integrity with PASSWORD-ALGORITHMS, USERHASH, bid-down
          protection, shared-secret users, quotas (486, 508), the rate limit
          of 401s and the amplification ratios of Binding and 401 answers.
          Prints PASS/FAIL lines and "probe: N/M passed"; exit 1 on a FAIL.
  rtt     one allocation, ChannelBind, ping-pong ChannelData via an echo peer:
          RTT percentiles in microseconds
  direct  the same pings straight to the echo peer (baseline)
  alloc   W threads loop 401 -> Allocate -> Refresh(0) on fresh sockets
  hold    open N allocations (+1 ChannelBind each) and hold them
  relay   one allocation: returns the XOR-RELAYED-ADDRESS (for scripts)
  conns   --count TCP or TLS connections from --bind that do not allocate: the
          relay keeps --limit of them and closes the rest; a client from
          another address still allocates; a kept connection that allocates
          stops counting
  relay2relay  pairs of clients, each with an allocation, relay to each other
          through their relayed addresses (two WebRTC peers both forced to
          relay through one server): ChannelData one way, Send/Data
          indications the other, and the relay's own addresses stay closed.
          --split PORT: the first port of the second worker's share, to
          count pairs whose allocations sit on different workers

Auth: -u USER -w PASS (long-term), or -u NAME --secret S (time-limited:
user "<expiry>:NAME", password base64(HMAC-SHA1(S, user))).
"""
import argparse, base64, hashlib, hmac, os, socket, ssl, struct, sys, threading, time, zlib

MAGIC = 0x2112A442
BINDING, ALLOCATE, REFRESH, SEND, DATA, CREATE_PERM, CHANNEL_BIND = 1, 3, 4, 6, 7, 8, 9
CONNECT = 0x00A
A_CONNECTION_ID = 0x2A
A_USERNAME, A_MI, A_ERR, A_UNKNOWN, A_CHANNEL, A_LIFETIME = 0x06, 0x08, 0x09, 0x0A, 0x0C, 0x0D
A_XPEER, A_DATA, A_REALM, A_NONCE, A_XRELAY, A_RAF, A_EVEN = 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18
A_REQ_TRANSPORT, A_MI256, A_PWALG, A_USERHASH, A_XMAPPED = 0x19, 0x1C, 0x1D, 0x1E, 0x20
A_PWALGS, A_SOFTWARE, A_FP = 0x8002, 0x8022, 0x8028
REQ, IND, OK, ERR = 0x000, 0x010, 0x100, 0x110
TLS_VERSION = None  # --tls-version: '1.2' or '1.3' pins the version


def mtype(method, cls):
    return ((method & 0xF80) << 2) | ((method & 0x70) << 1) | (method & 0xF) | cls


def xaddr(ip, port, tid):
    fam = socket.AF_INET6 if ':' in ip else socket.AF_INET
    raw = socket.inet_pton(fam, ip)
    key = struct.pack('!I', MAGIC) + tid
    return struct.pack('!BBH', 0, 1 if fam == socket.AF_INET else 2, port ^ (MAGIC >> 16)) + \
        bytes(a ^ b for a, b in zip(raw, key))


def parse_xaddr(v, tid):
    port = struct.unpack('!H', v[2:4])[0] ^ (MAGIC >> 16)
    key = struct.pack('!I', MAGIC) + tid
    raw = bytes(a ^ b for a, b in zip(v[4:], key))
    return socket.inet_ntop(socket.AF_INET if v[1] == 1 else socket.AF_INET6, raw), port


class Msg:
    def __init__(self, method, cls=REQ):
        self.method, self.cls, self.tid, self.attrs = method, cls, os.urandom(12), []

    def add(self, t, v):
        self.attrs.append((t, v))
        return self

    def encode(self, key=None, sha256=False, fingerprint=False):
        body = b''.join(struct.pack('!HH', t, len(v)) + v + b'\0' * (-len(v) % 4)
                        for t, v in self.attrs)
        hdr = lambda n: struct.pack('!HHI', mtype(self.method, self.cls), n, MAGIC) + self.tid
        if key is not None:
            if sha256:
                mac = hmac.new(key, hdr(len(body) + 36) + body, hashlib.sha256).digest()
                body += struct.pack('!HH', A_MI256, 32) + mac
            else:
                mac = hmac.new(key, hdr(len(body) + 24) + body, hashlib.sha1).digest()
                body += struct.pack('!HH', A_MI, 20) + mac
        if fingerprint:
            crc = (zlib.crc32(hdr(len(body) + 8) + body) ^ 0x5354554E) & 0xFFFFFFFF
            body += struct.pack('!HHI', A_FP, 4, crc)
        return hdr(len(body)) + body


def parse(buf):
    typ, ln, _ = struct.unpack('!HHI', buf[:8])
    r = {'cls': typ & 0x110, 'method': (typ & 0xF) | ((typ >> 1) & 0x70) | ((typ >> 2) & 0xF80),
         'tid': buf[8:20], 'attrs': {}, 'raw': buf, 'offs': {}}
    off = 20
    while off + 4 <= 20 + ln:
        t, l = struct.unpack('!HH', buf[off:off + 4])
        if t not in r['attrs']:
            r['attrs'][t] = buf[off + 4:off + 4 + l]
            r['offs'][t] = off
        off += 4 + l + (-l % 4)
    e = r['attrs'].get(A_ERR)
    r['code'] = e[2] * 100 + e[3] if e else (0 if r['cls'] == OK else None)
    return r


def check_mi(r, key, sha256):
    t = A_MI256 if sha256 else A_MI
    if t not in r['offs']:
        return False
    off, raw = r['offs'][t], r['raw']
    n = len(r['attrs'][t])
    hdr = raw[:2] + struct.pack('!H', off + 4 + n - 20) + raw[4:20]
    mac = hmac.new(key, hdr + raw[20:off], hashlib.sha256 if sha256 else hashlib.sha1).digest()
    return hmac.compare_digest(mac[:n], r['attrs'][t])


class Conn:
    def __init__(self, host, port, transport, bind=None):
        fam = socket.AF_INET6 if ':' in host else socket.AF_INET
        self.udp = transport == 'udp'
        self.s = socket.socket(fam, socket.SOCK_DGRAM if self.udp else socket.SOCK_STREAM)
        self.s.settimeout(3)
        if bind:
            self.s.bind((bind, 0))
        self.s.connect((host, port))
        if not self.udp:
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.tls_version = self.alpn = None
        if transport == 'tls':
            # The server's certificate is not verified: a test CA is not the point here.
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(['stun.turn'])
            if TLS_VERSION:
                v = ssl.TLSVersion.TLSv1_3 if TLS_VERSION == '1.3' else ssl.TLSVersion.TLSv1_2
                ctx.minimum_version = ctx.maximum_version = v
            self.s = ctx.wrap_socket(self.s)
            self.tls_version, self.alpn = self.s.version(), self.s.selected_alpn_protocol()
        self.buf = b''

    def send(self, b):
        if self.udp:
            self.s.send(b)
        else:
            self.s.sendall(b)

    def recv(self, timeout):
        self.s.settimeout(max(timeout, 0.001))
        if self.udp:
            return self.s.recv(65536)
        while True:
            if len(self.buf) >= 4:
                if self.buf[0] < 0x40:
                    need = 20 + struct.unpack('!H', self.buf[2:4])[0]
                else:
                    n = struct.unpack('!H', self.buf[2:4])[0]
                    need = 4 + n + (-n % 4)
                if len(self.buf) >= need:
                    m, self.buf = self.buf[:need], self.buf[need:]
                    return m
            d = self.s.recv(65536)
            if not d:
                raise ConnectionError('closed')
            self.buf += d


class Client:
    """modern: PASSWORD-ALGORITHMS + SHA-256 key + MESSAGE-INTEGRITY-SHA256."""

    def __init__(self, a, transport=None, modern=False, userhash=False, secret_sha256=False,
                 conn=None):
        self.a = a
        self.c = conn or Conn(a.server, a.port, transport or a.transport)
        self.user, self.pw = a.user, a.password
        if a.secret:
            self.user = '%d:%s' % (int(time.time()) + 86400, a.user)
            h = hashlib.sha256 if secret_sha256 else hashlib.sha1
            self.pw = base64.b64encode(hmac.new(a.secret.encode(), self.user.encode(), h).digest()).decode()
        self.modern, self.userhash = modern, userhash
        self.realm = self.nonce = self.key = self.algs = None
        self.tamper = False

    def close(self):
        self.c.s.close()

    def txn(self, m, auth=True, timeout=3.0):
        sha = False
        if auth and self.nonce:
            if self.userhash:
                m.add(A_USERHASH, hashlib.sha256(self.user.encode() + b':' + self.realm).digest())
            else:
                m.add(A_USERNAME, self.user.encode())
            m.add(A_REALM, self.realm).add(A_NONCE, self.nonce)
            if self.modern and self.algs is not None:
                algs = self.algs if not self.tamper else b'\0\2\0\0'
                m.add(A_PWALGS, algs).add(A_PWALG, b'\0\2\0\0')
                sha = True
        if self.modern:                     # RFC 8489 section 14.14: clients SHOULD send it
            m.add(A_SOFTWARE, b'turnprobe')
        self.c.send(m.encode(self.key if auth and self.nonce else None, sha256=sha))
        deadline = time.monotonic() + timeout
        while True:
            b = self.c.recv(deadline - time.monotonic())
            if b[0] < 0x40 and b[8:20] == m.tid:
                r = parse(b)
                r['signed'] = self.key is not None and check_mi(r, self.key, sha)
                return r

    def challenge(self, r):
        self.realm, self.nonce = r['attrs'].get(A_REALM, self.realm), r['attrs'][A_NONCE]
        self.algs = r['attrs'].get(A_PWALGS)
        if self.modern and self.algs is not None:
            self.key = hashlib.sha256(b'%s:%s:%s' % (self.user.encode(), self.realm, self.pw.encode())).digest()
        else:
            self.key = hashlib.md5(b'%s:%s:%s' % (self.user.encode(), self.realm, self.pw.encode())).digest()

    def request(self, method, attrs, auth=True):
        r = self.txn(self.mk(method, attrs), auth)
        if auth and r['code'] in (401, 438) and A_NONCE in r['attrs']:
            self.challenge(r)
            r = self.txn(self.mk(method, attrs), auth)
        return r

    @staticmethod
    def mk(method, attrs):
        m = Msg(method)
        for t, v in attrs:
            m.add(t, v(m.tid) if callable(v) else v)
        return m

    def allocate(self, lifetime=None, family=None, transport=b'\x11\0\0\0'):
        at = [(A_REQ_TRANSPORT, transport)]
        if lifetime is not None:
            at.append((A_LIFETIME, struct.pack('!I', lifetime)))
        if family is not None:
            at.append((A_RAF, bytes([family, 0, 0, 0])))
        return self.request(ALLOCATE, at)

    def perm(self, ip, port=9):
        return self.request(CREATE_PERM, [(A_XPEER, lambda tid: xaddr(ip, port, tid))])['code']

    def bind(self, ch, ip, port):
        return self.request(CHANNEL_BIND, [(A_CHANNEL, struct.pack('!HH', ch, 0)),
                                           (A_XPEER, lambda tid: xaddr(ip, port, tid))])['code']

    def refresh(self, lifetime):
        return self.request(REFRESH, [(A_LIFETIME, struct.pack('!I', lifetime))])['code']

    def send_ind(self, ip, port, data):
        m = Msg(SEND, IND).add(A_XPEER, b'').add(A_DATA, data)
        m.attrs[0] = (A_XPEER, xaddr(ip, port, m.tid))
        self.c.send(m.encode())


def new_allocation(a, transport=None):
    """A client with an allocation. A 437 on a fresh socket means the kernel
    reused the source port of an allocation another client left behind (coturn's
    uclient exits without deleting its allocations); RFC 8656 section 7.3: try
    again from another source address."""
    for _ in range(5):
        cl = Client(a, transport)
        r = cl.allocate()
        if r['code'] != 437:
            return cl, r
        cl.close()
    return cl, r


class Checks:
    """The PASS/FAIL lines of a mode (the TAP scripts read them) and their
    tally. A set as want lists acceptable answers."""

    def __init__(self):
        self.res = []

    def __call__(self, name, got, want):
        ok = got in want if isinstance(want, set) else got == want
        self.res.append(ok)
        print('%-4s %-64s got=%s want=%s' % ('PASS' if ok else 'FAIL', name, got, want), flush=True)
        return ok

    def done(self, summary):
        print('%s: %d/%d passed' % (summary, sum(self.res), len(self.res)))
        return 0 if self.res and all(self.res) else 1


def pct(xs, p):
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] if xs else float('nan')


def mode_probe(a):
    check = Checks()

    cl = Client(a)
    req = Msg(BINDING).encode()
    cl.c.send(req)
    rb = cl.c.recv(3.0)
    r = parse(rb)
    check('Binding without auth -> success + XOR-MAPPED-ADDRESS', (r['code'], A_XMAPPED in r['attrs']), (0, True))
    check('Binding answer has no SOFTWARE', A_SOFTWARE in r['attrs'], False)
    check('Binding amplification <= 1.6', len(rb) / len(req) <= 1.6, True)
    print('     binding amplification factor: %d/%d = %.2f' % (len(rb), len(req), len(rb) / len(req)))
    # Anti-amplification: at most 3x the request before authentication,
    # with the smallest requests (QUIC's rule, over UDP).
    if cl.c.udp:
        req = Msg(ALLOCATE).encode()
        cl.c.send(req)
        try:
            rb = cl.c.recv(0.5)
        except (socket.timeout, TimeoutError):
            rb = b''
        check('bare Allocate (20 bytes): no answer over 3x', len(rb) <= 3 * len(req), True)
    req = Msg(ALLOCATE).add(A_REQ_TRANSPORT, b'\x11\0\0\0').encode()
    cl.c.send(req)
    rb = cl.c.recv(3.0)
    r = parse(rb)
    check('Allocate without credentials -> 401 with REALM+NONCE', (r['code'], A_REALM in r['attrs'] and A_NONCE in r['attrs']), (401, True))
    check('401 to the smallest Allocate (%d bytes) <= 3x' % len(req), len(rb) <= 3 * len(req), True)
    print('     401 amplification factor: %d/%d = %.2f' % (len(rb), len(req), len(rb) / len(req)))
    req = Msg(ALLOCATE).add(A_REQ_TRANSPORT, b'\x11\0\0\0').add(A_SOFTWARE, b'turnprobe').encode(fingerprint=True)
    cl.c.send(req)
    rb = cl.c.recv(3.0)
    r = parse(rb)
    check('401 nonce has the RFC 8489 cookie', r['attrs'].get(A_NONCE, b'')[:9], b'obMatJos2')
    check('401 offers PASSWORD-ALGORITHMS MD5 and SHA-256', r['attrs'].get(A_PWALGS), b'\0\1\0\0\0\2\0\0')
    check('401 with PASSWORD-ALGORITHMS (%d-byte request) <= 3x' % len(req), len(rb) <= 3 * len(req), True)
    print('     401 amplification factor: %d/%d = %.2f' % (len(rb), len(req), len(rb) / len(req)))
    bad = Client(a)
    bad.pw = 'wrong-' + bad.pw
    check('Allocate with a wrong password -> 401', bad.allocate()['code'], 401)
    bad.close()
    r = cl.allocate(lifetime=600)
    check('Allocate with valid credentials -> success', r['code'], 0)
    check('the success response is signed (MESSAGE-INTEGRITY)', r['signed'], True)
    if A_XRELAY in r['attrs']:
        ip, port = parse_xaddr(r['attrs'][A_XRELAY], r['tid'])
        print('     relayed=%s:%d lifetime=%s' % (ip, port, struct.unpack('!I', r['attrs'][A_LIFETIME])[0]))
        if a.public_ip:
            check('XOR-RELAYED-ADDRESS is the public IP', ip, a.public_ip)
    check('second Allocate on the same 5-tuple -> 437', cl.allocate()['code'], 437)
    fresh = Client(a)
    check('Allocate REQUESTED-TRANSPORT=1 -> 442', fresh.allocate(transport=b'\x01\0\0\0')['code'], 442)
    check('Allocate REQUESTED-TRANSPORT=6 (TCP) over UDP -> 442', fresh.allocate(transport=b'\x06\0\0\0')['code'], 442)
    check('Allocate REQUESTED-ADDRESS-FAMILY=0x03 -> 440', fresh.allocate(family=3)['code'], 440)
    r = fresh.request(ALLOCATE, [])
    check('Allocate without REQUESTED-TRANSPORT -> 400', r['code'], 400)
    r = fresh.request(REFRESH, [(0x7F31, b'\0\0\0\0')])
    check('unknown comprehension-required attribute -> 420', (r['code'], A_UNKNOWN in r['attrs']), (420, True))
    # A forged (or stale) nonce: 438 with a fresh nonce, then the client recovers.
    fresh.nonce = fresh.nonce[:-2] + (b'AA' if fresh.nonce[-2:] != b'AA' else b'BB')
    r = fresh.txn(Client.mk(ALLOCATE, [(A_REQ_TRANSPORT, b'\x11\0\0\0')]))
    check('a forged nonce -> 438 with a new NONCE', (r['code'], A_NONCE in r['attrs']), (438, True))
    fresh.challenge(r)
    check('retry with the new nonce -> success', fresh.allocate()['code'], 0)
    check('Refresh(0) -> success', fresh.refresh(0), 0)
    fresh.close()

    # Peer policy on IPv4 (IPv6 targets on an IPv6 relay when there is one).
    v6 = None
    for ip in a.deny:
        c = cl
        if ':' in ip and not ip.startswith('::ffff:'):
            if v6 is None:
                v6 = Client(a)
                r6 = v6.allocate(family=2)
                print('     IPv6 allocation for the IPv6 targets: code=%s' % r6['code'])
                if r6['code'] != 0:
                    v6 = False
            if v6 is False:
                check('CreatePermission to %s on an IPv4 relay -> 443' % ip, cl.perm(ip), 443)
                continue
            c = v6
        want = 403
        if ip.startswith('::ffff:') and c is cl:
            want = {403, 443}
        check('CreatePermission to %s -> 403' % ip, c.perm(ip), want)
    for ip in a.allow:
        check('CreatePermission to %s -> success' % ip, cl.perm(ip), 0)
    check('ChannelBind to 127.0.0.1 -> 403', cl.bind(0x4002, '127.0.0.1', 5000), 403)
    check('ChannelBind channel 0x3FFF -> 400', cl.bind(0x3FFF, a.allow[0], 5000), 400)
    check('ChannelBind channel 0x4001 -> success', cl.bind(0x4001, a.allow[0], 5000), 0)
    check('ChannelBind 0x4001 to another peer -> 400', cl.bind(0x4001, a.allow[0], 5001), 400)
    # Send indication to a denied peer never leaves: a socket on loopback
    # listens and must get nothing (a bounded wait for the absence).
    try:
        trap = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        trap.bind(('127.0.0.1', 0))
        tport = trap.getsockname()[1]
        cl.send_ind('127.0.0.1', tport, b'must not arrive')
        trap.settimeout(0.5)
        try:
            trap.recv(100)
            got = 'arrived'
        except socket.timeout:
            got = 'dropped'
        trap.close()
        check('Send indication to 127.0.0.1 (no permission) is dropped', got, 'dropped')
    except OSError as e:
        check('Send indication probe socket', type(e).__name__, 'ok')
    check('Refresh lifetime 0 -> success', cl.refresh(0), 0)
    check('Refresh after delete -> 437', cl.refresh(600), 437)
    check('new Allocate on the same 5-tuple after delete -> success', cl.allocate()['code'], 0)
    check('Refresh lifetime 0 -> success', cl.refresh(0), 0)
    if v6:
        v6.refresh(0)
        v6.close()
    cl.close()

    # RFC 6062 TCP allocations: the peer policy holds for Connect too
    # (CVE-2020-26262 was reached through Connect to 0.0.0.0).
    try:
        ct = Client(a, 'tcp')
        r = ct.allocate(transport=b'\x06\0\0\0')
        check('RFC 6062 TCP allocation over TCP -> success', r['code'], 0)
        for ip in ('127.0.0.1', '0.0.0.0', '10.0.0.1', '169.254.169.254'):
            code = ct.request(CONNECT, [(A_XPEER, lambda tid, ip=ip: xaddr(ip, 9, tid))])['code']
            check('RFC 6062 Connect to %s -> 403' % ip, code, 403)
        check('ChannelBind on a TCP allocation -> 400', ct.bind(0x4001, a.allow[0], 5000), 400)
        if a.no_route:
            code = ct.request(CONNECT, [(A_XPEER, lambda tid: xaddr(a.allow[0], 9, tid))])['code']
            check('RFC 6062 Connect to an unreachable peer -> 447', code, 447)
        check('Refresh(0) of the TCP allocation -> success', ct.refresh(0), 0)
        ct.close()
    except (OSError, ConnectionError) as e:
        check('RFC 6062 TCP allocation reachable', type(e).__name__, 'ok')

    # RFC 8489 integrity: SHA-256, PASSWORD-ALGORITHMS, USERHASH, bid-down.
    if not a.secret:
        m = Client(a, modern=True)
        r = m.allocate()
        check('SHA-256 client: Allocate -> success', r['code'], 0)
        check('... answer signed with MESSAGE-INTEGRITY-SHA256', (r['signed'], A_MI256 in r['attrs']), (True, True))
        check('... Refresh(0)', m.refresh(0), 0)
        m.tamper = True
        check('bid-down (PASSWORD-ALGORITHMS changed) -> 400', m.allocate()['code'], 400)
        m.close()
        m = Client(a, modern=True, userhash=True)
        m.request(BINDING, [], auth=False)
        r = m.allocate()
        if r['code'] == 401:
            r = m.allocate()
        check('USERHASH instead of USERNAME -> success', r['code'], 0)
        m.refresh(0)
        m.close()
    if a.secret_checks:
        b = argparse.Namespace(**vars(a))
        b.secret = a.secret_checks
        for sha in (False, True):
            m = Client(b, secret_sha256=sha)
            check('shared-secret user, HMAC-%s password -> success' % ('SHA256' if sha else 'SHA1'), m.allocate()['code'], 0)
            m.refresh(0)
            m.close()
        b.user = 'quota'
        ms = []
        codes = []
        for i in range(a.user_quota + 1):
            m = Client(b)
            codes.append(m.allocate()['code'])
            ms.append(m)
        check('allocation %d of one shared-secret user -> 486' % (a.user_quota + 1), codes[-1], 486)
        for m in ms:
            m.refresh(0)
            m.close()
    if a.total_quota:
        ms, code = [], None
        for i in range(a.total_quota + 1):
            m = Client(a)
            code = m.allocate()['code']
            ms.append(m)
        check('allocation %d in all -> 508' % (a.total_quota + 1), code, 508)
        for m in ms:
            m.refresh(0)
            m.close()
    if a.rate_limit:
        for what, m in (('401s', Msg(ALLOCATE).add(A_REQ_TRANSPORT, b'\x11\0\0\0')),
                        ('Binding answers', Msg(BINDING))):
            s = socket.socket(socket.AF_INET6 if ':' in a.server else socket.AF_INET, socket.SOCK_DGRAM)
            s.connect((a.server, a.port))
            for i in range(200):
                m.tid = os.urandom(12)
                s.send(m.encode())
            n = 0
            s.settimeout(0.5)
            try:
                while True:
                    s.recv(2048)
                    n += 1
            except socket.timeout:
                pass
            s.close()
            check('%s to one source are rate-limited (%d of 200 answered)' % (what, n), 0 < n < 200, True)
            time.sleep(2.1)             # the bucket refills (burst: 2 s worth) for what follows
    return check.done('probe')


def mode_relay(a):
    cl, r = new_allocation(a)
    if r['code'] != 0:
        print('error %s' % r['code'])
        return 1
    ip, port = parse_xaddr(r['attrs'][A_XRELAY], r['tid'])
    if cl.c.tls_version:
        print('%s %d %s alpn=%s' % (ip, port, cl.c.tls_version, cl.c.alpn))
    else:
        print('%s %d' % (ip, port))
    cl.refresh(0)
    return 0


def recv_relayed(cl, timeout=1.0):
    """The next relayed datagram for a client: (kind, peer, data), kind
    'channel' (ChannelData: peer is its channel number) or 'data' (a Data
    indication: peer is (ip, port) of XOR-PEER-ADDRESS)."""
    deadline = time.monotonic() + timeout
    while True:
        b = cl.c.recv(deadline - time.monotonic())
        if b[0] >= 0x40:
            n = struct.unpack('!H', b[2:4])[0]
            return 'channel', struct.unpack('!H', b[0:2])[0], b[4:4 + n]
        r = parse(b)
        if r['method'] == DATA and r['cls'] == IND and A_XPEER in r['attrs']:
            return 'data', parse_xaddr(r['attrs'][A_XPEER], r['tid']), r['attrs'].get(A_DATA)


def relay_pair(a, n, check):
    """One pair: A and B allocate, permit each other's relayed address and
    exchange a datagram each way. Returns the two relayed ports or None."""
    A, ra = new_allocation(a)
    B, rb = new_allocation(a)
    if ra['code'] != 0 or rb['code'] != 0:
        check('pair %d: both allocate' % n, (ra['code'], rb['code']), (0, 0))
        return None
    pa = parse_xaddr(ra['attrs'][A_XRELAY], ra['tid'])
    pb = parse_xaddr(rb['attrs'][A_XRELAY], rb['tid'])
    ok = check('pair %d: A CreatePermission + ChannelBind to B\'s relayed %s:%d' % (n, pb[0], pb[1]),
               (A.perm(*pb), A.bind(0x4000, *pb)), (0, 0))
    ok &= check('pair %d: B CreatePermission to A\'s relayed %s:%d' % (n, pa[0], pa[1]), B.perm(*pa), 0)
    got = None
    for _ in range(3):                      # UDP: a lost datagram is sent again
        payload = b'r2r ping %d' % n
        A.c.send(struct.pack('!HH', 0x4000, len(payload)) + payload + (b'' if A.c.udp else b'\0' * (-len(payload) % 4)))
        try:
            got = recv_relayed(B)
            break
        except (socket.timeout, TimeoutError):
            pass
    ok &= check('pair %d: A -> B ChannelData arrives as a Data indication from A\'s relayed address' % n,
                got, ('data', pa, payload))
    got = None
    for _ in range(3):
        B.send_ind(pa[0], pa[1], b'r2r pong %d' % n)
        try:
            got = recv_relayed(A)
            break
        except (socket.timeout, TimeoutError):
            pass
    ok &= check('pair %d: B -> A Send indication arrives on A\'s channel' % n, got,
                ('channel', 0x4000, b'r2r pong %d' % n))
    if n == 0:
        # The relay's own addresses stay closed but for live relayed ones.
        check('A CreatePermission to the relay\'s listener %s:%d -> 403' % (pa[0], a.port), A.perm(pa[0], a.port), 403)
        check('A CreatePermission to its own relayed address -> 403', A.perm(*pa), 403)
        free = pb[1] + 1 if pb[1] + 1 != pa[1] else pb[1] + 2
        check('A CreatePermission to a relay port without allocation -> 403', A.perm(pa[0], free), 403)
        check('B Refresh(0)', B.refresh(0), 0)
        check('A CreatePermission to B\'s relayed address after B left -> 403', A.perm(*pb), 403)
    else:
        B.refresh(0)
    A.refresh(0)
    A.close()
    B.close()
    return (pa[1], pb[1]) if ok else None


def mode_relay2relay(a):
    check = Checks()
    across = same = 0
    for n in range(a.pairs):
        ports = relay_pair(a, n, check)
        if not ports:
            break                           # a failed pair says enough
        if a.split:
            if (ports[0] < a.split) != (ports[1] < a.split):
                across += 1
            else:
                same += 1
            if across and same:
                break
        else:
            break
    if a.split:
        check('a pair across workers and a pair on one worker (%d and %d)' % (across, same),
              (across > 0, same > 0), (True, True))
    return check.done('relay2relay: %d pairs across workers, %d on one worker;' % (across, same))


def conn_alive(c):
    """True when the relay answers a Binding on the connection; False when
    it was closed (EOF, reset, or a TLS handshake that could not happen)."""
    try:
        req = Msg(BINDING)
        c.send(req.encode())
        b = c.recv(3.0)
        return parse(b)['tid'] == req.tid
    except (OSError, ConnectionError, ssl.SSLError):
        return False


def open_conns(a, n):
    cs = []
    for _ in range(n):
        try:
            cs.append(Conn(a.server, a.port, a.transport, bind=a.bind))
        except (OSError, ConnectionError, ssl.SSLError):
            cs.append(None)                 # a TLS handshake on a closed connection
    return cs


def mode_conns(a):
    check = Checks()
    cs = open_conns(a, a.count)
    alive = [c for c in cs if c and conn_alive(c)]
    check('%d %s connections from %s without allocation: %d kept, the rest closed' % (
        a.count, a.transport, a.bind, a.limit), len(alive), a.limit)
    cl = Client(a, conn=Conn(a.server, a.port, a.transport, bind=a.other))
    check('meanwhile a client from %s allocates' % a.other, cl.allocate()['code'], 0)
    check('... and deletes its allocation', cl.refresh(0), 0)
    cl.close()
    if alive:
        held = Client(a, conn=alive[0])
        check('a kept connection allocates', held.allocate()['code'], 0)
        more = open_conns(a, 2)
        check('then one more connection from %s is kept, the next closed' % a.bind,
              [bool(c and conn_alive(c)) for c in more], [True, False])
        held.refresh(0)
        cs += more
    for c in cs:
        if c:
            c.s.close()
    return check.done('conns')


def mode_direct(a):
    s = socket.socket(socket.AF_INET6 if ':' in a.peer else socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((a.peer, a.peer_port))
    s.settimeout(0.5)
    rtts, lost, t_end, seq = [], 0, time.monotonic() + a.duration, 0
    pad = b'\0' * max(0, a.size - 12)
    while time.monotonic() < t_end:
        seq += 1
        s.send(struct.pack('!IQ', seq, time.perf_counter_ns()) + pad)
        try:
            while True:
                b = s.recv(65536)
                if struct.unpack('!I', b[:4])[0] == seq:
                    rtts.append((time.perf_counter_ns() - struct.unpack('!Q', b[4:12])[0]) / 1000)
                    break
        except socket.timeout:
            lost += 1
        if a.interval:
            time.sleep(a.interval / 1000)
    rtts.sort()
    print('direct n=%d lost=%d p50=%.0fus p90=%.0fus p99=%.0fus' % (
        len(rtts), lost, pct(rtts, 50), pct(rtts, 90), pct(rtts, 99)))


def mode_rtt(a):
    cl, r = new_allocation(a)
    assert r['code'] == 0, 'allocate failed: %s' % r['code']
    ch = 0x4000
    assert cl.bind(ch, a.peer, a.peer_port) == 0, 'channel bind failed'
    pad = b'\0' * max(0, a.size - 12)
    rtts, lost, t_end, seq = [], 0, time.monotonic() + a.duration, 0
    while time.monotonic() < t_end:
        seq += 1
        payload = struct.pack('!IQ', seq, time.perf_counter_ns()) + pad
        cl.c.send(struct.pack('!HH', ch, len(payload)) + payload + (b'' if cl.c.udp else b'\0' * (-len(payload) % 4)))
        try:
            while True:
                b = cl.c.recv(0.5)
                if b[0] >= 0x40 and struct.unpack('!I', b[4:8])[0] == seq:
                    rtts.append((time.perf_counter_ns() - struct.unpack('!Q', b[8:16])[0]) / 1000)
                    break
        except socket.timeout:
            lost += 1
        if a.interval:
            time.sleep(a.interval / 1000)
    cl.refresh(0)
    rtts.sort()
    print('rtt transport=%s n=%d lost=%d p50=%.0fus p90=%.0fus p99=%.0fus' % (
        a.transport, len(rtts), lost, pct(rtts, 50), pct(rtts, 90), pct(rtts, 99)))


def mode_alloc(a):
    lat, errs, lock, stop = [], {}, threading.Lock(), time.monotonic() + a.duration

    def worker():
        mine = []
        while time.monotonic() < stop:
            try:
                t0 = time.perf_counter()
                cl = Client(a)
                r = cl.allocate()
                if r['code'] == 0:
                    mine.append(time.perf_counter() - t0)
                    cl.refresh(0)
                else:
                    with lock:
                        errs[r['code']] = errs.get(r['code'], 0) + 1
                cl.close()
            except Exception as e:
                with lock:
                    errs[type(e).__name__] = errs.get(type(e).__name__, 0) + 1
        with lock:
            lat.extend(mine)
    t0 = time.monotonic()
    th = [threading.Thread(target=worker) for _ in range(a.workers)]
    [t.start() for t in th]
    [t.join() for t in th]
    el = time.monotonic() - t0
    lat.sort()
    print('alloc transport=%s workers=%d allocs=%d secs=%.1f rate=%.0f/s alloc_p50=%.2fms p99=%.2fms errors=%s' % (
        a.transport, a.workers, len(lat), el, len(lat) / el, pct(lat, 50) * 1e3, pct(lat, 99) * 1e3, errs))


def mode_hold(a):
    cls, t0, fails = [], time.monotonic(), 0
    for i in range(a.count):
        try:
            cl, r = new_allocation(a)
            if r['code'] != 0:
                fails += 1
                cl.close()
                continue
            cl.bind(0x4000, a.peer, a.peer_port)
            cls.append(cl)
        except (OSError, ConnectionError):
            fails += 1
    print('hold allocations=%d failed=%d setup_secs=%.1f; holding %.0fs' % (
        len(cls), fails, time.monotonic() - t0, a.duration), flush=True)
    time.sleep(a.duration)
    for cl in cls:
        try:
            cl.refresh(0)
        except (OSError, ConnectionError):
            pass
        cl.close()


if __name__ == '__main__':
    p = argparse.ArgumentParser()
    p.add_argument('mode', choices=['probe', 'rtt', 'direct', 'alloc', 'hold', 'relay', 'relay2relay',
                                    'conns'])
    p.add_argument('--server', default='127.0.0.1')
    p.add_argument('--port', type=int, default=3478)
    p.add_argument('--transport', choices=['udp', 'tcp', 'tls'], default='udp')
    p.add_argument('--tls-version', choices=['1.2', '1.3'])
    p.add_argument('-u', '--user', default='')
    p.add_argument('-w', '--password', default='')
    p.add_argument('--secret', help='authenticate as a time-limited user of this shared secret')
    p.add_argument('--secret-checks', help='probe: also check time-limited users of this secret')
    p.add_argument('--user-quota', type=int, default=0, help='probe: the per-user quota to check (486)')
    p.add_argument('--total-quota', type=int, default=0, help='probe: the total quota to check (508)')
    p.add_argument('--rate-limit', action='store_true', help='probe: check the 401 rate limit')
    p.add_argument('--public-ip', help='probe: the expected XOR-RELAYED-ADDRESS')
    p.add_argument('--no-route', action='store_true', help='probe: the --allow peer is unreachable (447)')
    p.add_argument('--peer', default='127.0.0.1')
    p.add_argument('--peer-port', type=int, default=3480)
    p.add_argument('--duration', type=float, default=5)
    p.add_argument('--interval', type=float, default=1, help='ms between pings')
    p.add_argument('--size', type=int, default=170)
    p.add_argument('--workers', type=int, default=4)
    p.add_argument('--count', type=int, default=1000)
    p.add_argument('--pairs', type=int, default=1, help='relay2relay: pairs to try at most')
    p.add_argument('--bind', help='conns: the source address of the connections')
    p.add_argument('--other', help='conns: the source address of the client that allocates')
    p.add_argument('--limit', type=int, default=16, help='conns: connections the relay keeps')
    p.add_argument('--split', type=int, default=0,
                   help='relay2relay: first relay port of the second worker (count pairs across workers)')
    p.add_argument('--deny', nargs='*', default=[
        '127.0.0.1', '0.0.0.0', '10.0.0.1', '172.16.0.1', '192.168.1.1', '169.254.169.254',
        '100.64.0.1', '224.0.0.1', '255.255.255.255', '240.0.0.1', '192.0.2.10', '198.51.100.7',
        '203.0.113.9', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::1', '::', 'fe80::1', 'fc00::1',
        'ff02::1', '64:ff9b::7f00:1', '2002:7f00:1::1', '::127.0.0.1', '2001:db8::1'])
    p.add_argument('--allow', nargs='*', default=['8.8.8.8'])
    a = p.parse_args()
    TLS_VERSION = a.tls_version
    sys.exit({'probe': mode_probe, 'rtt': mode_rtt, 'direct': mode_direct, 'alloc': mode_alloc,
              'hold': mode_hold, 'relay': mode_relay, 'relay2relay': mode_relay2relay,
              'conns': mode_conns}[a.mode](a) or 0)
