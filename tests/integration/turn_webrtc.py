#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""turn_webrtc.py - one side of a real WebRTC call (aiortc: ICE, DTLS, SCTP
data channel; Debian's python3-aiortc and python3-aioice) whose ICE agent
uses relay candidates only, the way a browser with iceTransportPolicy
"relay" does. Two of them, in two network namespaces, call each other
through one TURN server: the only path is relay to relay.

  turn_webrtc.py offer|answer --dir DIR --url URL -u USER (-w PASS | --secret S)

Signalling goes through files in DIR (the offer, then the answer, each
written whole and renamed into place). The offerer opens a data channel,
sends "ping", expects "pong" and says "bye"; the answerer echoes and waits
for the "bye". Each side then prints one line, e.g.

  offer: connected relay 192.0.2.1:49160 -> relay 192.0.2.1:32790, ping/pong

and exits 0, or prints what failed and exits 1. Every wait is bounded by
--timeout (seconds, all in all).

aiortc 1.4 has no RTCConfiguration.iceTransportPolicy; aioice 0.8 has the
policy (TransportPolicy.RELAY: no host or server-reflexive candidates are
offered), so this script hands it over by wrapping aiortc's translation
of the ICE servers into aioice arguments.
"""
import argparse, asyncio, base64, hashlib, hmac, json, os, sys, time

import aioice
import aiortc.rtcicetransport as rtcicetransport
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription

_kwargs = rtcicetransport.connection_kwargs


def relay_only(servers):
    kw = _kwargs(servers)
    kw['transport_policy'] = aioice.TransportPolicy.RELAY
    return kw


rtcicetransport.connection_kwargs = relay_only


async def wait_file(path, deadline):
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError('no %s' % os.path.basename(path))
        await asyncio.sleep(0.05)
    with open(path) as f:
        return json.load(f)


def put_file(path, obj):
    with open(path + '.tmp', 'w') as f:
        json.dump(obj, f)
    os.rename(path + '.tmp', path)


def selected_pair(pc):
    """The nominated ICE pair of the data channel's transport."""
    ice = pc.sctp.transport.transport
    pair = ice._connection._nominated.get(1)
    if pair is None:
        return None
    return (pair.local_candidate.type, '%s:%d' % (pair.local_candidate.host, pair.local_candidate.port),
            pair.remote_candidate.type, '%s:%d' % pair.remote_addr)


async def run(a):
    deadline = time.monotonic() + a.timeout
    user, password = a.user, a.password
    if a.secret:
        user = '%d:%s' % (int(time.time()) + 3600, a.user)
        password = base64.b64encode(hmac.new(a.secret.encode(), user.encode(), hashlib.sha1).digest()).decode()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[
        RTCIceServer(urls=a.url, username=user, credential=password)]))
    done = asyncio.get_event_loop().create_future()
    log = []

    def finish(ok, why):
        if not done.done():
            done.set_result((ok, why))

    if a.role == 'offer':
        ch = pc.createDataChannel('r2r')

        @ch.on('open')
        def on_open():
            ch.send('ping')

        @ch.on('message')
        def on_message(m):
            log.append(m)
            if m == 'pong':
                ch.send('bye')
                finish(True, 'ping/pong')

        await pc.setLocalDescription(await pc.createOffer())
        put_file(os.path.join(a.dir, 'offer.json'), {'sdp': pc.localDescription.sdp, 'type': 'offer'})
        ans = await wait_file(os.path.join(a.dir, 'answer.json'), deadline)
        await pc.setRemoteDescription(RTCSessionDescription(**ans))
    else:
        @pc.on('datachannel')
        def on_channel(ch):
            @ch.on('message')
            def on_message(m):
                log.append(m)
                if m == 'ping':
                    ch.send('pong')
                elif m == 'bye':
                    finish(True, 'ping/pong')

        off = await wait_file(os.path.join(a.dir, 'offer.json'), deadline)
        await pc.setRemoteDescription(RTCSessionDescription(**off))
        await pc.setLocalDescription(await pc.createAnswer())
        put_file(os.path.join(a.dir, 'answer.json'), {'sdp': pc.localDescription.sdp, 'type': 'answer'})

    kinds = sorted({l.split()[7] for l in pc.localDescription.sdp.splitlines()
                    if l.startswith('a=candidate:')})
    try:
        ok, why = await asyncio.wait_for(done, max(0.1, deadline - time.monotonic()))
    except asyncio.TimeoutError:
        ok, why = False, 'timed out (ICE %s, messages %s)' % (pc.iceConnectionState, log)
    pair = selected_pair(pc) if ok else None
    await pc.close()
    if ok and kinds == ['relay'] and pair and pair[0] == 'relay' and pair[2] == 'relay':
        print('%s: connected %s %s -> %s %s, %s' % (a.role, pair[0], pair[1], pair[2], pair[3], why))
        return 0
    print('%s: FAILED: %s; offered candidates %s, pair %s' % (a.role, why, kinds, pair))
    return 1


if __name__ == '__main__':
    p = argparse.ArgumentParser()
    p.add_argument('role', choices=['offer', 'answer'])
    p.add_argument('--dir', required=True)
    p.add_argument('--url', required=True, help='turn:HOST:PORT[?transport=tcp] or turns:...')
    p.add_argument('-u', '--user', required=True)
    p.add_argument('-w', '--password', default='')
    p.add_argument('--secret', help='time-limited credentials of this shared secret (TURN REST)')
    p.add_argument('--timeout', type=float, default=30)
    sys.exit(asyncio.run(run(p.parse_args())))
