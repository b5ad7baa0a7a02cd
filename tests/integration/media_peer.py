#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Real WebRTC peers (python3-aiortc, Debian's) against convene-media, for
tests/integration/media_engine.sh.

usage: media_peer.py CONTROL_SOCKET ENGINE_ADDR ENGINE_PORT

Prints one "PASS name" or "FAIL name: why" line per check:
  - the control socket: a bad message, an unknown op, an offer that is not
    SDP (the reason names the line);
  - peer A offers a 440 Hz Opus tone (sendrecv), peer B offers recvonly
    audio; both get answers from endpoint_create in one room, reach
    "connected" (ICE-lite, DTLS 1.2, SRTP), and B decodes A's tone as
    forwarded by the engine (frames decoded, the tone's energy there);
  - the engine's stats count what A sent and what B got;
  - garbage datagrams and a STUN check with an unknown ufrag sent to the
    media port get no answer and change nothing: B still decodes;
  - endpoint_destroy removes B;
  - C publishes VP8 video, D joins later and decodes it at once: the
    engine asked C for a keyframe (PLI) when D's DTLS completed;
  - A stops without a word: its consent expires after 30 s (RFC 7675).
aioice skips 127.0.0.1 when gathering: its host addresses are forced to
the loopback address, as spec/media.md 3.4 does.
"""
import asyncio
import fractions
import json
import os
import socket
import struct
import sys
import time

import logging

from peer_results import finish, result

logging.basicConfig(level=logging.CRITICAL)

import aioice.ice  # noqa: E402
import av  # noqa: E402
import numpy as np  # noqa: E402
from aiortc import (MediaStreamTrack, RTCPeerConnection, RTCSessionDescription,  # noqa: E402
                    VideoStreamTrack)

CTL, ADDR, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [ADDR]


def ctl(msg):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(CTL)
    s.send(msg if isinstance(msg, bytes) else json.dumps(msg).encode())
    r = json.loads(s.recv(1 << 17))
    s.close()
    return r


class Tone(MediaStreamTrack):
    kind = "audio"

    def __init__(self, hz=440, rate=48000, ptime=0.02):
        super().__init__()
        self.hz, self.rate, self.n, self.pts = hz, rate, int(rate * ptime), 0

    async def recv(self):
        await asyncio.sleep(self.n / self.rate)
        t = (np.arange(self.n) + self.pts) / self.rate
        pcm = (np.sin(2 * np.pi * self.hz * t) * 8000).astype(np.int16).reshape(1, -1)
        f = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        f.sample_rate, f.pts, f.time_base = self.rate, self.pts, fractions.Fraction(1, self.rate)
        self.pts += self.n
        return f


async def join(pc, room):
    await pc.setLocalDescription(await pc.createOffer())
    r = ctl({"op": "endpoint_create", "room": room, "offer": pc.localDescription.sdp})
    if not r.get("ok"):
        return None, r.get("error")
    await pc.setRemoteDescription(RTCSessionDescription(sdp=r["answer"], type="answer"))
    for _ in range(100):
        if pc.connectionState in ("connected", "failed"):
            break
        await asyncio.sleep(0.1)
    return r, r["answer"]


async def decode(track, n, limit=10.0):
    """Frames decoded from track within limit seconds, and their RMS."""
    frames, energy = 0, 0.0
    deadline = time.monotonic() + limit
    while frames < n and time.monotonic() < deadline:
        try:
            f = await asyncio.wait_for(track.recv(), deadline - time.monotonic())
        except (asyncio.TimeoutError, Exception):
            break
        frames += 1
        a = f.to_ndarray().astype(np.float64)
        energy = max(energy, float(np.sqrt(np.mean(a * a))))
    return frames, energy


def stats():
    r = ctl({"op": "stats"})
    return {e["endpoint"]: e for e in r.get("endpoints", [])}, r


async def video_stage():
    """C publishes VP8 video; D joins 2 s later. aiortc's encoder makes a
    keyframe only every few thousand frames unless asked: D decodes at once
    only because the engine sends C a PLI when D's DTLS completes."""
    c = RTCPeerConnection()
    c.addTrack(VideoStreamTrack())
    rc, ans = await join(c, "v1")
    result("C (VP8 video) is connected", rc is not None and c.connectionState == "connected",
           ans)
    if rc is None:
        return
    await asyncio.sleep(2)
    st, _ = stats()
    before = st.get(rc["endpoint"], {}).get("pli_sent", 0)
    d = RTCPeerConnection()
    d.addTransceiver("video", direction="recvonly")
    tracks = []
    d.on("track", lambda t: tracks.append(t))
    rd, ans = await join(d, "v1")
    result("D (recvonly video) is connected", rd is not None and d.connectionState == "connected",
           ans)
    for _ in range(50):
        if tracks:
            break
        await asyncio.sleep(0.1)
    frames = 0
    deadline = time.monotonic() + 8
    while tracks and frames < 5 and time.monotonic() < deadline:
        try:
            f = await asyncio.wait_for(tracks[0].recv(), deadline - time.monotonic())
            frames += 1 if f.width > 0 else 0
        except (asyncio.TimeoutError, Exception):
            break
    result("D, joining late, decodes C's video within 8 s (%d frames)" % frames, frames >= 5,
           frames)
    st, _ = stats()
    ec = st.get(rc["endpoint"], {})
    result("the engine asked C for a keyframe when D arrived (pli_sent %s -> %s)" %
           (before, ec.get("pli_sent")),
           ec.get("pli_sent", 0) > before and ec.get("video_sources", 0) >= 1, ec)
    await d.close()
    await c.close()
    for r in (rc, rd):
        ctl({"op": "endpoint_destroy", "endpoint": r["endpoint"]})


async def main():
    r = ctl(b"{not json")
    result("control: a message that is not JSON gets ok=false", r.get("ok") is False, r)
    r = ctl({"op": "dance"})
    result("control: an unknown op is named", r.get("ok") is False and "dance" in r.get("error", ""),
           r)
    r = ctl({"op": "endpoint_create", "room": "r1", "offer": "v=0\r\nbogus\r\n"})
    result("control: an offer that is not SDP is refused with the line",
           r.get("ok") is False and "line" in r.get("error", ""), r)

    a = RTCPeerConnection()
    a.addTrack(Tone())
    ra, answer_a = await join(a, "r1")
    result("A (Opus tone, sendrecv) gets an answer", ra is not None, answer_a)
    if ra is None:
        return
    result("the answer is ICE-lite with setup:passive",
           "a=ice-lite" in answer_a and "a=setup:passive" in answer_a, answer_a)
    result("A is connected (ICE, DTLS, SRTP)", a.connectionState == "connected", a.connectionState)

    b = RTCPeerConnection()
    b.addTransceiver("audio", direction="recvonly")
    tracks = []
    b.on("track", lambda t: tracks.append(t))
    rb, answer_b = await join(b, "r1")
    result("B (recvonly audio) gets an answer", rb is not None, answer_b)
    if rb is None:
        return
    result("B is connected", b.connectionState == "connected", b.connectionState)
    for _ in range(50):
        if tracks:
            break
        await asyncio.sleep(0.1)
    result("B has a remote audio track", bool(tracks), tracks)
    if not tracks:
        return
    frames, energy = await decode(tracks[0], 50)
    result("B decodes A's tone through the engine (%d frames, RMS %.0f)" % (frames, energy),
           frames >= 50 and energy > 1000, (frames, energy))

    st, raw = stats()
    ea, eb = st.get(ra["endpoint"], {}), st.get(rb["endpoint"], {})
    result("stats: A connected and sending (%s rtp)" % ea.get("rx_rtp"),
           ea.get("state") == "connected" and ea.get("rx_rtp", 0) > 50, ea)
    result("stats: B connected and receiving (%s rtp)" % eb.get("tx_rtp"),
           eb.get("state") == "connected" and eb.get("tx_rtp", 0) > 50, eb)

    # Garbage and a STUN check with an unknown ufrag: no answer.
    g = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    g.settimeout(0.5)
    for i in range(200):
        g.sendto(os.urandom(1 + i * 7 % 1400), (ADDR, PORT))
        time.sleep(0.001)  # paced: the count below is not a socket buffer test
    tid = os.urandom(12)
    user = b"nobody:x"
    body = struct.pack("!HH", 0x0006, len(user)) + user + b"\0" * ((4 - len(user) % 4) % 4)
    g.sendto(struct.pack("!HHI", 0x0001, len(body), 0x2112A442) + tid + body, (ADDR, PORT))
    try:
        g.recvfrom(2048)
        answered = True
    except socket.timeout:
        answered = False
    result("garbage and an unknown ufrag on the media port get no answer", not answered)
    st2, raw2 = stats()
    result("the engine counted them (garbage %s, unknown ufrag %s)" %
           (raw2.get("garbage"), raw2.get("unknown_ufrag")),
           raw2.get("garbage", 0) + raw2.get("unknown_ufrag", 0) >= 190 and
           raw2.get("unknown_ufrag", 0) >= 1, raw2)
    frames, energy = await decode(tracks[0], 25)
    result("B still decodes after the garbage (%d frames)" % frames, frames >= 25, frames)

    r = ctl({"op": "endpoint_destroy", "endpoint": rb["endpoint"]})
    st3, _ = stats()
    result("endpoint_destroy removes B", r.get("ok") and rb["endpoint"] not in st3, (r, st3))
    r = ctl({"op": "endpoint_destroy", "endpoint": 99999})
    result("destroying an unknown endpoint is refused", r.get("ok") is False, r)
    await b.close()

    await video_stage()

    # A stops without a word: its consent expires (RFC 7675, 30 s).
    await a.close()
    state = None
    for _ in range(80):
        st4, _ = stats()
        state = st4.get(ra["endpoint"], {}).get("state")
        if state == "consent-expired":
            break
        await asyncio.sleep(0.5)
    result("A's consent expires after it stopped (%s)" % state, state == "consent-expired", state)


try:
    asyncio.get_event_loop().run_until_complete(asyncio.wait_for(main(), 150))
except Exception as e:  # noqa: BLE001
    result("the peers ran to the end", False, repr(e))
finish()
