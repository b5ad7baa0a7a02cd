#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""stun_seeds.py - writes the seeds of tests/fuzz/stun_fuzz.c that go past
authentication: requests with the test credentials of turn_test_client.h,
the nonce placeholder and blank MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT
values, which the fuzz target signs again before the core sees them.

  python3 tests/fuzz/stun_seeds.py tests/fuzz/corpus/stun

One file per seed, named signed_*. A file is one UDP datagram (on the
allocation the target sets up) or, when it holds several messages, a TCP
stream (a fresh connection: ConnectionBind goes to a second one).
"""
import hashlib, os, struct, sys

MAGIC = 0x2112A442
ALLOCATE, REFRESH, SEND, CREATE_PERM, CHANNEL_BIND, CONNECT, CONNECTION_BIND = 3, 4, 6, 8, 9, 10, 11
REQ, IND = 0x000, 0x010
NONCE = b'obMatJos2AAAB' + b'x' * 16         # placeholder: the target puts a valid nonce here
NONCE_PLAIN = b'x' * 16
RELAY = '198.51.100.1'                       # the target's relay address (tc_config)
seq = 0


def mtype(method, cls):
    return ((method & 0xF80) << 2) | ((method & 0x70) << 1) | (method & 0xF) | cls


def xaddr(ip, port, tid):
    raw = bytes(int(x) for x in ip.split('.'))
    key = struct.pack('!I', MAGIC) + tid
    return struct.pack('!BBH', 0, 1, port ^ (MAGIC >> 16)) + bytes(a ^ b for a, b in zip(raw, key))


def msg(method, attrs, cls=REQ, user=b'alice', sha256=False, userhash=False, nonce=NONCE,
        auth=True, tid_last=0):
    """attrs: (type, value or function of the transaction ID)."""
    global seq
    seq += 1
    tid = struct.pack('!I', seq) + b'seedseed'[:7] + bytes([tid_last])
    body = []
    for t, v in attrs:
        body.append((t, v(tid) if callable(v) else v))
    if auth:
        if userhash:
            body.append((0x1E, hashlib.sha256(user + b':example.org').digest()))
        else:
            body.append((0x06, user))
        body += [(0x14, b'example.org'), (0x15, nonce)]
        if sha256:
            body += [(0x8002, b'\0\1\0\0\0\2\0\0'), (0x1D, b'\0\2\0\0'), (0x1C, bytes(32))]
        else:
            body.append((0x08, bytes(20)))
    body.append((0x8028, bytes(4)))
    raw = b''.join(struct.pack('!HH', t, len(v)) + v + b'\0' * (-len(v) % 4) for t, v in body)
    return struct.pack('!HHI', mtype(method, cls), len(raw), MAGIC) + tid + raw


def chandata(ch, data):
    return struct.pack('!HH', ch, len(data)) + data + b'\0' * (-len(data) % 4)


def u32(v):
    return struct.pack('!I', v)


def peer(ip, port):
    return (0x12, lambda tid: xaddr(ip, port, tid))


UDP17 = (0x19, u32(17 << 24))
TCP6 = (0x19, u32(6 << 24))
SEEDS = {
    # UDP datagrams on the target's allocation (8.8.8.8 permitted, channel 0x4001)
    'signed_create_permission': msg(CREATE_PERM, [peer('8.8.4.4', 9), peer('1.1.1.1', 9)]),
    'signed_create_permission_denied': msg(CREATE_PERM, [peer('10.0.0.1', 9)]),
    'signed_channel_bind': msg(CHANNEL_BIND, [(0x0C, u32(0x4003 << 16)), peer('8.8.4.4', 7000)]),
    'signed_refresh': msg(REFRESH, [(0x0D, u32(1200))]),
    'signed_refresh_zero': msg(REFRESH, [(0x0D, u32(0))]),
    'signed_refresh_sha256': msg(REFRESH, [(0x0D, u32(900))], sha256=True),
    'signed_plain_nonce': msg(REFRESH, [(0x0D, u32(900))], nonce=NONCE_PLAIN),
    # TCP streams on a fresh connection
    'signed_stream_udp_relay': b''.join([
        msg(ALLOCATE, [UDP17, (0x0D, u32(1200)), (0x1A, b'')]),
        msg(CREATE_PERM, [peer('8.8.4.4', 9)]),
        msg(CHANNEL_BIND, [(0x0C, u32(0x4002 << 16)), peer('8.8.4.4', 6000)]),
        chandata(0x4002, b'hello peer'),
        msg(SEND, [peer('8.8.4.4', 6000), (0x13, b'a send indication')], cls=IND, auth=False),
        msg(REFRESH, [(0x0D, u32(1200))]),
        msg(REFRESH, [(0x0D, u32(0))]),
        msg(REFRESH, [(0x0D, u32(600))]),
    ]),
    'signed_stream_relay_to_relay': b''.join([
        msg(ALLOCATE, [UDP17]),
        msg(CREATE_PERM, [peer(RELAY, 50000)]),
        msg(CHANNEL_BIND, [(0x0C, u32(0x4005 << 16)), peer(RELAY, 50000)]),
        chandata(0x4005, b'to the other relay'),
        msg(SEND, [peer(RELAY, 50000), (0x13, b'relay to relay')], cls=IND, auth=False),
        msg(SEND, [peer(RELAY, 22), (0x13, b'not to sshd')], cls=IND, auth=False),
        msg(CREATE_PERM, [peer(RELAY, 3478)]),
    ]),
    'signed_stream_sha256': b''.join([
        msg(ALLOCATE, [UDP17], sha256=True),
        msg(CREATE_PERM, [peer('8.8.4.4', 9)], sha256=True),
        msg(CHANNEL_BIND, [(0x0C, u32(0x4002 << 16)), peer('8.8.4.4', 6000)], sha256=True),
    ]),
    'signed_stream_userhash': b''.join([
        msg(ALLOCATE, [UDP17], sha256=True, userhash=True),
        msg(REFRESH, [(0x0D, u32(0))], sha256=True, userhash=True),
    ]),
    'signed_stream_rest_user': b''.join([
        msg(ALLOCATE, [UDP17], user=b'1800000000:bob'),
        msg(CHANNEL_BIND, [(0x0C, u32(0x4002 << 16)), peer('8.8.4.4', 6000)], user=b'1800000000:bob'),
        msg(REFRESH, [(0x0D, u32(0))], user=b'alice'),
    ]),
    'signed_stream_even_port': b''.join([
        msg(ALLOCATE, [UDP17, (0x18, b'\x80')]),
        msg(ALLOCATE, [UDP17, (0x22, b'\1\2\3\4\5\6\7\x08')]),
    ]),
    'signed_stream_families': b''.join([
        msg(ALLOCATE, [UDP17, (0x17, u32(2 << 24))]),
        msg(ALLOCATE, [UDP17, (0x8000, u32(2 << 24))]),
        msg(ALLOCATE, [(0x19, u32(1 << 24))]),
    ]),
    'signed_stream_rfc6062': b''.join([
        msg(ALLOCATE, [TCP6]),
        msg(CONNECT, [peer('8.8.4.4', 80)]),
        msg(CONNECT, [peer('8.8.4.4', 80)]),
        msg(CONNECTION_BIND, [(0x2A, u32(1))]),
        msg(CONNECT, [peer(RELAY, 22)]),
        msg(REFRESH, [(0x0D, u32(0))]),
    ]),
    'signed_stream_rfc6062_fail': b''.join([
        msg(ALLOCATE, [TCP6]),
        msg(CONNECT, [peer('8.8.4.4', 80)], tid_last=1),
        msg(CONNECTION_BIND, [(0x2A, u32(1))]),
    ]),
}

if __name__ == '__main__':
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'corpus', 'stun')
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    print('%d seeds in %s' % (len(SEEDS), out))
