#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Peers for Convene's XMPP server (tests/integration/xmpp_server.sh).

usage: xmpp_peer.py ADDR DOMAIN SECRET CAFILE STAGE [USER PASSWORD]

Prints one "PASS name" or "FAIL name: why" line per check.

Stage "nocb": raw byte-level checks that need no call bridge: the refusals
of the stream layer (STARTTLS first, restricted XML, the pre-auth stanza
cap, a peer that hangs up mid-stanza, the 30 s authentication timeout, the
rate limit slowing a flood without dropping it), the component port's refusals
(unknown name, wrong secret), and a client login refused with
temporary-auth-failure because no call bridge is registered.

Stage "login" (USER PASSWORD): logs in and prints what the call bridge
cb1 answers to disco#items (the user's coSpaces): the end-to-end check of
tests/integration/xmpp_callbridge.sh with the real call bridge.

Stage "cb": a slixmpp component registers as the call bridge cb1 on the
loopback port and answers the server's login questions (the private
namespace urn:convene:xmpp:cb-auth:0, SCRAM keys derived here from a small
user table) and disco#items; slixmpp clients log in with SCRAM and PLAIN,
bind, get the roster, send presence and a message to each other; wrong
passwords and unknown users fail; a second component of the same name
gets conflict; a component over direct TLS on 5223 checks the certificate
and is refused while cb1 is connected, and registers after it left.
"""
import asyncio
import base64
import hashlib
import hmac
import os
import re
import socket
import ssl
import sys
import time

import logging

from peer_results import finish, result

logging.basicConfig(level=logging.CRITICAL)

ADDR, DOMAIN, SECRET, CAFILE, STAGE = sys.argv[1:6]
COMP = "cb1." + DOMAIN
USERS = {"alice": "alicepass", "bob": "bob-secret-2"}
SPACES = {"alice": [("space1", "Alice's space"), ("space2", "Team")], "bob": []}


# --- raw helpers ----------------------------------------------------------------

class Raw:
    def __init__(self, port, host=None):
        self.s = socket.create_connection((host or ADDR, port), timeout=3)
        self.buf = b""

    def tls(self):
        ctx = ssl.create_default_context(cafile=CAFILE)
        self.s = ctx.wrap_socket(self.s, server_hostname=DOMAIN)

    def tx(self, data):
        self.s.sendall(data.encode() if isinstance(data, str) else data)

    def rx(self, pattern, limit=3.0):
        """Reads until pattern matches the bytes read so far (or EOF)."""
        self.s.settimeout(limit)
        while not re.search(pattern, self.buf):
            try:
                chunk = self.s.recv(65536)
            except (socket.timeout, TimeoutError, ssl.SSLError, OSError):
                break
            if not chunk:
                break
            self.buf += chunk
        data, self.buf = self.buf, b""
        return data.decode(errors="replace")

    def closed(self, limit=3.0):
        self.s.settimeout(limit)
        try:
            while True:
                chunk = self.s.recv(65536)
                if not chunk:
                    return True
        except (socket.timeout, TimeoutError):
            return False
        except (OSError, ssl.SSLError):
            return True

    def close(self):
        self.s.close()


C2S_HDR = ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
           "xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>" % DOMAIN)


def comp_hdr(to):
    return ("<stream:stream xmlns='jabber:component:accept' "
            "xmlns:stream='http://etherx.jabber.org/streams' to='%s'>" % to)


def c2s_to_sasl():
    """A client stream up to the SASL mechanisms, over TLS."""
    r = Raw(5222)
    r.tx(C2S_HDR)
    feats = r.rx(rb"</stream:features>")
    assert "<starttls" in feats and "<required" in feats, feats
    r.tx("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    assert "<proceed" in r.rx(rb"<proceed[^>]*>")
    r.tls()
    r.tx(C2S_HDR)
    feats = r.rx(rb"</stream:features>")
    assert "SCRAM-SHA-1" in feats and "PLAIN" in feats, feats
    return r, feats


def plain_auth(user, pw):
    return base64.b64encode(b"\0" + user.encode() + b"\0" + pw.encode()).decode()


def stage_nocb():
    # A client that says nothing after its header: timed out at 30 s
    # (checked at the end of this stage).
    idle = Raw(5222)
    idle.tx(C2S_HDR)
    idle_since = time.monotonic()

    # A client over the rate limit (64 KiB/s, burst 256 KiB): 512 KiB of
    # whitespace keep-alives before STARTTLS. The server pauses reading
    # (its log says so, xmpp_server.sh checks) and still serves it after.
    r = Raw(5222)
    r.tx(C2S_HDR)
    r.rx(rb"</stream:features>")
    r.s.settimeout(30)
    r.tx(b" " * (512 * 1024))
    r.tx("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    out = r.rx(rb"<proceed[^>]*>", 30)
    result("c2s: a client past the rate limit is slowed, not dropped", "<proceed" in out, out)
    r.close()

    # STARTTLS is required: a message before it ends the stream.
    r = Raw(5222)
    r.tx(C2S_HDR)
    r.rx(rb"</stream:features>")
    r.tx("<message to='bob@%s'><body>x</body></message>" % DOMAIN)
    out = r.rx(rb"</stream:stream>")
    result("c2s: a stanza before STARTTLS gets policy-violation",
           "policy-violation" in out and r.closed(), out)
    r.close()

    # PLAIN before TLS: encryption-required.
    r = Raw(5222)
    r.tx(C2S_HDR)
    r.rx(rb"</stream:features>")
    r.tx("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>" %
         plain_auth("alice", "alicepass"))
    out = r.rx(rb"</stream:stream>")
    result("c2s: PLAIN before TLS gets encryption-required",
           "encryption-required" in out, out)
    r.close()

    # Restricted XML: a DTD.
    r = Raw(5222)
    r.tx("<?xml version='1.0'?><!DOCTYPE lol [<!ENTITY a 'aaaa'>]>" + C2S_HDR[21:])
    out = r.rx(rb"</stream:stream>")
    result("c2s: a DTD gets restricted-xml", "restricted-xml" in out and r.closed(), out)
    r.close()

    # A stanza over the pre-authentication cap (10 000 bytes).
    r = Raw(5222)
    r.tx(C2S_HDR)
    r.rx(rb"</stream:features>")
    r.tx("<message><body>" + "x" * 20000 + "</body></message>")
    out = r.rx(rb"</stream:stream>")
    result("c2s: a 20 kB stanza before authentication gets policy-violation",
           "policy-violation" in out, out)
    r.close()

    # A peer that hangs up in the middle of a stanza, then a new one works.
    r = Raw(5222)
    r.tx(C2S_HDR + "<message to='x@%s'><bo" % DOMAIN)
    r.close()
    r = Raw(5222)
    r.tx(C2S_HDR)
    out = r.rx(rb"</stream:features>")
    result("c2s: the server serves after a peer hung up mid-stanza", "<starttls" in out, out)
    r.close()

    # Wrong domain.
    r = Raw(5222)
    r.tx(C2S_HDR.replace(DOMAIN, "other.example"))
    out = r.rx(rb"</stream:stream>")
    result("c2s: another domain gets host-unknown", "host-unknown" in out, out)
    r.close()

    # Logins need a call bridge.
    r, _ = c2s_to_sasl()
    r.tx("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>" %
         plain_auth("alice", "alicepass"))
    out = r.rx(rb"</failure>")
    result("c2s: with no call bridge a login gets temporary-auth-failure with a text",
           "temporary-auth-failure" in out and "No call bridge" in out, out)
    r.close()

    # Component port: unknown name, wrong secret.
    r = Raw(5347, "127.0.0.1")
    r.tx(comp_hdr("nosuch." + DOMAIN))
    out = r.rx(rb"</stream:stream>")
    result("component: an unknown name gets host-unknown", "host-unknown" in out, out)
    r.close()
    r = Raw(5347, "127.0.0.1")
    r.tx(comp_hdr(COMP))
    hdr = r.rx(rb"id='[^']*'[^>]*>")
    m = re.search(r"id='([^']*)'", hdr)
    sid = m.group(1) if m else ""
    r.tx("<handshake>%s</handshake>" % hashlib.sha1((sid + "wrong").encode()).hexdigest())
    out = r.rx(rb"</stream:stream>")
    result("component: a wrong secret gets not-authorized",
           "not-authorized" in out and r.closed(), hdr + out)
    r.close()
    r = Raw(5347, "127.0.0.1")
    r.tx(comp_hdr(COMP))
    r.rx(rb"id='[^']*'[^>]*>")
    r.tx("<message to='alice@%s'><body>x</body></message>" % DOMAIN)
    out = r.rx(rb"</stream:stream>")
    result("component: a stanza before the handshake gets not-authorized",
           "not-authorized" in out, out)
    r.close()

    left = idle_since + 33 - time.monotonic()
    out = idle.rx(rb"</stream:stream>", max(left, 1))
    result("c2s: a stream that does not authenticate in 30 s gets connection-timeout",
           "connection-timeout" in out and time.monotonic() - idle_since >= 29, out)
    idle.close()


# --- slixmpp peers ----------------------------------------------------------------

from slixmpp import ClientXMPP, ComponentXMPP  # noqa: E402
from slixmpp.xmlstream import ET  # noqa: E402
from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import MatchXPath  # noqa: E402

NS_AUTH = "urn:convene:xmpp:cb-auth:0"
NS_ITEMS = "http://jabber.org/protocol/disco#items"


def scram_keys(mech, password, salt, iterations):
    h = "sha1" if mech == "SCRAM-SHA-1" else "sha256"
    salted = hashlib.pbkdf2_hmac(h, password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", h).digest()
    stored = hashlib.new(h, client_key).digest()
    server = hmac.new(salted, b"Server Key", h).digest()
    return stored, server


class CallBridge(ComponentXMPP):
    """The call bridge's side of the login protocol, for this test."""

    def __init__(self, port, tls=False):
        super().__init__(COMP, SECRET, "127.0.0.1" if not tls else ADDR, port)
        self.use_aiodns = False
        self.asked = []
        self.registered = asyncio.get_event_loop().create_future()
        if tls:
            self.ca_certs = CAFILE
            self.default_domain = DOMAIN

            async def here(domain, port=None):
                return [(domain, ADDR, port or 5223)]
            self.get_dns_records = here
        self.add_event_handler("session_start", lambda _: self.registered.done() or
                               self.registered.set_result(True))
        self.add_event_handler("stream_error", lambda e: self.registered.done() or
                               self.registered.set_result(e["condition"]))
        for tag in ("verify", "scram"):
            self.register_handler(Callback(
                "cb-auth " + tag,
                MatchXPath("{jabber:component:accept}iq/{%s}%s" % (NS_AUTH, tag)),
                self.on_auth))
        self.register_handler(Callback(
            "disco items", MatchXPath("{jabber:component:accept}iq/{%s}query" % NS_ITEMS),
            self.on_items))

    def user_of(self, jid):
        local, _, dom = jid.partition("@")
        return local if dom == DOMAIN and local in USERS else None

    def on_auth(self, iq):
        q = iq.xml[0]
        tag = q.tag.split("}")[1]
        user = self.user_of(q.get("jid", ""))
        self.asked.append((tag, q.get("jid")))
        reply = iq.reply(clear=True)
        if tag == "verify":
            pw = base64.b64decode(q.text or "").decode()
            if user and USERS[user] == pw:
                reply.send()
            else:
                reply["type"] = "error"
                reply["error"]["type"] = "auth"
                reply["error"]["condition"] = "not-authorized"
                reply.send()
            return
        if not user:
            reply["type"] = "error"
            reply["error"]["type"] = "cancel"
            reply["error"]["condition"] = "item-not-found"
            reply.send()
            return
        mech = q.get("mechanism")
        salt = hashlib.sha256(user.encode()).digest()[:16]
        stored, server = scram_keys(mech, USERS[user], salt, 4096)
        e = ET.Element("{%s}scram" % NS_AUTH, {
            "mechanism": mech, "salt": base64.b64encode(salt).decode(),
            "iterations": "4096", "stored-key": base64.b64encode(stored).decode(),
            "server-key": base64.b64encode(server).decode()})
        reply.append(e)
        reply.send()

    def on_items(self, iq):
        user = self.user_of(str(iq["from"].bare))
        reply = iq.reply(clear=True)
        q = ET.SubElement(reply.xml, "{%s}query" % NS_ITEMS)
        for sid, name in SPACES.get(user or "", []):
            ET.SubElement(q, "{%s}item" % NS_ITEMS, {"jid": "%s@%s" % (sid, COMP), "name": name})
        reply.send()


class Client(ClientXMPP):
    def __init__(self, user, password, mech=None, resource="test"):
        kw = {"sasl_mech": mech} if mech else {}
        super().__init__("%s@%s/%s" % (user, DOMAIN, resource), password, **kw)
        self.ca_certs = CAFILE
        self.use_aiodns = False
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0199")
        loop = asyncio.get_event_loop()
        self.started = loop.create_future()
        self.inbox = asyncio.Queue()
        self.add_event_handler("session_start", lambda _: self.started.done() or
                               self.started.set_result(True))
        self.add_event_handler("failed_auth", lambda _: self.started.done() or
                               self.started.set_result(False))
        self.add_event_handler("message", lambda m: self.inbox.put_nowait(m))
        self.add_event_handler("message_error", lambda m: self.inbox.put_nowait(m))

    async def login(self, limit=8):
        self.connect((ADDR, 5222))
        try:
            return await asyncio.wait_for(asyncio.shield(self.started), limit)
        except asyncio.TimeoutError:
            return None

    async def bye(self):
        self.disconnect()
        try:
            await asyncio.wait_for(self.disconnected, 3)
        except asyncio.TimeoutError:
            pass


async def stage_cb():
    cb = CallBridge(5347)
    cb.connect()
    ok = await asyncio.wait_for(cb.registered, 5)
    result("component: a slixmpp component registers as the call bridge", ok is True, ok)

    # The same name again: conflict.
    r = Raw(5347, "127.0.0.1")
    r.tx(comp_hdr(COMP))
    out = r.rx(rb"</stream:stream>")
    result("component: a second link with the same name gets conflict", "conflict" in out, out)
    r.close()

    alice = Client("alice", USERS["alice"])
    ok = await alice.login()
    result("client: alice logs in with SCRAM through the call bridge", ok is True, ok)
    result("client: the call bridge was asked for SCRAM keys",
           any(t == "scram" for t, _ in cb.asked), cb.asked)
    result("client: alice is bound to the resource she asked for",
           str(alice.boundjid) == "alice@%s/test" % DOMAIN, str(alice.boundjid))
    roster = await alice.get_roster(timeout=5)
    result("client: the roster get is answered", roster["type"] == "result", roster)
    alice.send_presence()

    bob = Client("bob", USERS["bob"], mech="PLAIN", resource="phone")
    ok = await bob.login()
    result("client: bob logs in with PLAIN over TLS through the call bridge", ok is True, ok)
    result("client: the call bridge was asked to verify a password",
           ("verify", "bob@" + DOMAIN) in cb.asked, cb.asked)
    bob.send_presence()
    await asyncio.sleep(0.3)

    alice.send_message(mto="bob@" + DOMAIN, mbody="hello bob", mtype="chat")
    try:
        m = await asyncio.wait_for(bob.inbox.get(), 5)
        result("routing: a message to a bare JID reaches the resource",
               m["body"] == "hello bob" and str(m["from"]) == "alice@%s/test" % DOMAIN,
               "%s %s" % (m["from"], m["body"]))
    except asyncio.TimeoutError:
        result("routing: a message to a bare JID reaches the resource", False, "no message")
    bob.send_message(mto="alice@%s/test" % DOMAIN, mbody="hello alice", mtype="chat")
    try:
        m = await asyncio.wait_for(alice.inbox.get(), 5)
        result("routing: a message to a full JID reaches it", m["body"] == "hello alice",
               m["body"])
    except asyncio.TimeoutError:
        result("routing: a message to a full JID reaches it", False, "no message")

    items = await alice["xep_0030"].get_items(jid=COMP, timeout=5)
    got = sorted(i[0] for i in items["disco_items"]["items"])
    result("call bridge: alice's disco#items lists her coSpaces",
           got == ["space1@" + COMP, "space2@" + COMP], got)
    info = await alice["xep_0030"].get_info(jid=DOMAIN, timeout=5)
    result("server: disco#info names the server",
           ("server", "im") in [(i[0], i[1]) for i in info["disco_info"]["identities"]],
           info)
    pong = await alice["xep_0199"].send_ping(jid=DOMAIN, timeout=5)
    result("server: XEP-0199 ping is answered", pong is not None, pong)

    # A message to another domain bounces.
    alice.send_message(mto="carol@elsewhere.example", mbody="x", mtype="chat")
    try:
        m = await asyncio.wait_for(alice.inbox.get(), 5)
        result("routing: another domain bounces with an error",
               m["type"] == "error" and m["error"]["condition"] == "remote-server-not-found",
               m)
    except asyncio.TimeoutError:
        result("routing: another domain bounces with an error", False, "no bounce")

    bad = Client("alice", "wrong-password", resource="bad")
    ok = await bad.login()
    result("client: a wrong password is refused", ok is False, ok)
    await bad.bye()
    bad = Client("mallory", "whatever", mech="PLAIN", resource="bad")
    ok = await bad.login()
    result("client: an unknown user is refused", ok is False, ok)
    await bad.bye()

    # A second login with the same resource replaces the first.
    alice2 = Client("alice", USERS["alice"])
    ok = await alice2.login()
    await asyncio.sleep(0.5)
    result("client: a second session with the same resource replaces the first",
           ok is True and alice.transport is None, (ok, alice.transport))
    await alice2.bye()
    await alice.bye()
    await bob.bye()

    # Direct TLS on 5223 while cb1 is connected: conflict; after it left: registers.
    tlscb = CallBridge(5223, tls=True)
    tlscb.connect(use_ssl=True)
    ok = await asyncio.wait_for(tlscb.registered, 5)
    result("component over TLS: refused with conflict while cb1 is connected",
           ok == "conflict", ok)
    tlscb.disconnect()
    cb.disconnect()
    await asyncio.wait_for(cb.disconnected, 3)
    await asyncio.sleep(0.3)
    tlscb = CallBridge(5223, tls=True)
    tlscb.connect(use_ssl=True)
    ok = await asyncio.wait_for(tlscb.registered, 5)
    result("component over TLS: registers on 5223 with the certificate checked", ok is True, ok)
    tlscb.disconnect()
    await asyncio.wait_for(tlscb.disconnected, 3)


async def stage_login(user, password):
    """Logs in as user@DOMAIN and prints the call bridge cb1's disco#items
    ("ITEMS jid name|jid name"), or "AUTH FAILED"."""
    c = Client(user, password)
    ok = await c.login()
    if ok is not True:
        print("AUTH FAILED" if ok is False else "NO SESSION")
        await c.bye()
        return
    items = await c["xep_0030"].get_items(jid=COMP, timeout=5)
    print("ITEMS " + "|".join(sorted("%s %s" % (i[0], i[2]) for i in
                                     items["disco_items"]["items"])))
    await c.bye()


if STAGE == "login":
    asyncio.get_event_loop().run_until_complete(
        asyncio.wait_for(stage_login(sys.argv[6], sys.argv[7]), 30))
    sys.exit(0)
if STAGE == "nocb":
    try:
        stage_nocb()
    except Exception as e:  # noqa: BLE001
        result("nocb stage", False, repr(e))
else:
    try:
        asyncio.get_event_loop().run_until_complete(asyncio.wait_for(stage_cb(), 90))
    except Exception as e:  # noqa: BLE001
        result("cb stage", False, repr(e))
finish()
