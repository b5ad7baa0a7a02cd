# SPDX-License-Identifier: GPL-2.0-or-later
# A scripted XMPP server for cb_xmpp.sh: it stands in for our own server
# (which will ask these), since prosody does not send the call bridge's
# private IQs. Listens with direct TLS on 127.0.0.1:PORT for one component
# connection, checks the XEP-0114 handshake digest, then sends the IQs of
# urn:convene:xmpp:cb-auth:0 and prints one line per answer: the password
# checks, and the SCRAM keys compared with keys derived here (RFC 5802) from
# the password and the salt the call bridge returned.
#
# usage: cb_authserver.py PORT CERT KEY SECRET
import base64
import hashlib
import hmac
import re
import socket
import ssl
import sys

port, cert, key, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(1)
ls.settimeout(30)
print("LISTENING", flush=True)
c = ctx.wrap_socket(ls.accept()[0], server_side=True)
c.settimeout(10)
buf = b""


def until(pat):
    """Reads until pat matches; consumes up to the end of the match."""
    global buf
    while True:
        m = re.search(pat, buf, re.S)
        if m:
            buf = buf[m.end():]
            return m
        d = c.recv(65536)
        if not d:
            raise SystemExit("EOF")
        buf += d


to = until(rb"<stream:stream[^>]*to='([^']*)'[^>]*>").group(1).decode()
c.sendall(("<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
           "xmlns:stream='http://etherx.jabber.org/streams' from='%s' id='s1d'>" % to).encode())
hs = until(rb"<handshake>([0-9a-f]+)</handshake>").group(1).decode()
want = hashlib.sha1(("s1d" + secret).encode()).hexdigest()
print("HANDSHAKE", "ok" if hs == want else "bad", to, flush=True)
c.sendall(b"<handshake/>")


def ask(iid, frm, child):
    c.sendall(("<iq type='get' id='%s' from='%s' to='%s'>%s</iq>" % (iid, frm, to, child)).encode())
    return until(rb"<iq [^>]*id='" + iid.encode() + rb"'[^>]*?(/>|>.*?</iq>)").group(0).decode()


def cond(r):
    m = re.search(r"<error type='(\w+)'><([a-z-]+)", r)
    return "%s/%s" % m.groups() if m else ""


def verify(iid, jid, pw, frm="example.com"):
    b = base64.b64encode(pw.encode()).decode()
    r = ask(iid, frm, "<verify xmlns='urn:convene:xmpp:cb-auth:0' jid='%s'>%s</verify>" % (jid, b))
    print(iid, re.search(r"type='(\w+)'", r).group(1), cond(r), flush=True)


verify("v1", "alice@example.com", "alicepass")
verify("v2", "alice@example.com", "wrongpass")
verify("v3", "nobody@example.com", "alicepass")
verify("v4", "alice@example.com", "alicepass", frm="mallory@example.com/x")
for iid, mech, h in (("k1", "SCRAM-SHA-1", "sha1"), ("k2", "SCRAM-SHA-256", "sha256")):
    r = ask(iid, "example.com", "<scram xmlns='urn:convene:xmpp:cb-auth:0' "
            "jid='alice@example.com' mechanism='%s'/>" % mech)
    a = dict(re.findall(r"([a-z-]+)='([^']*)'", r.split("<scram", 1)[1]))
    salt = base64.b64decode(a["salt"])
    salted = hashlib.pbkdf2_hmac(h, b"alicepass", salt, int(a["iterations"]))
    stored = hashlib.new(h, hmac.new(salted, b"Client Key", h).digest()).digest()
    server = hmac.new(salted, b"Server Key", h).digest()
    same = (base64.b64decode(a["stored-key"]) == stored and
            base64.b64decode(a["server-key"]) == server)
    print(iid, a["mechanism"], a["iterations"], len(salt),
          "keys match" if same else "keys differ", flush=True)
r = ask("k3", "example.com", "<scram xmlns='urn:convene:xmpp:cb-auth:0' "
        "jid='nobody@example.com' mechanism='SCRAM-SHA-1'/>")
print("k3", cond(r), flush=True)
r = ask("x1", "example.com", "<query xmlns='jabber:iq:version'/>")
print("x1", cond(r), flush=True)
c.sendall(b"</stream:stream>")
c.close()
