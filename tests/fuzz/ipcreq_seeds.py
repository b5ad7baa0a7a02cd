#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ipcreq_seeds.py - writes the seeds of tests/fuzz/ipcreq_fuzz.c:

  python3 tests/fuzz/ipcreq_seeds.py tests/fuzz/corpus/ipcreq

A seed is four bytes of choices (what, role bits, who, flags) and one JSON
object: a client's request, a worker's result of a command or of a login or
account check, or a worker's operation. The results carry the target's committed
document, changed the way a command would change it, so that the fuzzer
starts next to the line between what is allowed and what is not.
"""
import copy, json, os, sys

NOW = 1718452800
ADMIN, CRYPTO, AUDIT, APPADMIN, API = 1, 2, 4, 8, 16
EKEYEXPIRED = 127
EPERM, EADDRNOTAVAIL, ETIME = 1, 99, 62

# The users of the target's committed document (fuzz_users in
# ipcreq_fuzz.c: keep them in step); the index is the "who" byte.
USERS = [
    ('admin', 'admin', 0, False),
    ('alice', 'admin', 2001, False),
    ('carl', 'crypto', 2002, False),
    ('aude', 'audit', 2003, True),
    ('appy', 'appadmin', 2004, False),
    ('apiu', 'api', 0, False),
    ('mallory', None, 0, False),
]
WHO = {u[0]: i for i, u in enumerate(USERS)}
# The "who" byte of a request picks a uid: 0, 2001 ... 2004, 2005, 65534, 1.
UID = {0: 0, 2001: 1, 2002: 2, 2003: 3, 2004: 4, 2005: 5, 65534: 6, 1: 7}
REQUEST, RESULT, LOGIN, OPERATION = 0, 1, 2, 3
# A request's flags: bit 1 makes the connection's process pid 1.
PEER_INIT = 2


def committed():
    users = {}
    for name, role, uid, must in USERS:
        if not role:
            continue
        r = {'role': role, 'hash': '$y$j9T$fuzz$fuzz', 'created': NOW - 86400,
             'pw_changed': NOW - 86400, 'must_change': must, 'failed_logins': 0}
        if uid:
            r['uid'] = uid
        users[name] = r
    return {'schema': 1, 'hostname': 'cms1', 'turn': {'listen': ['a'], 'enabled': True},
            'syslog': {'servers': ['192.0.2.7:514']}, 'users': users}


def changed(**edits):
    """The committed document with dotted paths set (None deletes)."""
    doc = copy.deepcopy(committed())
    for path, value in edits.items():
        keys = path.split('__')
        o = doc
        for k in keys[:-1]:
            o = o.setdefault(k, {})
        if value is None:
            o.pop(keys[-1], None)
        else:
            o[keys[-1]] = value
    return doc


seeds = {}


def seed(name, what, obj, role=0, who=0, flags=0):
    body = obj if isinstance(obj, bytes) else json.dumps(obj, separators=(',', ':')).encode()
    seeds[name] = bytes([what, role, who, flags]) + body


# --- clients' requests: byte 2 is the connection's uid ---------------------------------
seed('req-hello-root', REQUEST, {'op': 'hello'}, who=UID[0])
seed('req-hello-as-carl', REQUEST, {'op': 'hello', 'user': 'carl'}, who=UID[0])
seed('req-hello-as-nobody', REQUEST, {'op': 'hello', 'user': 'nobody'}, who=UID[0])
seed('req-hello-bad-user', REQUEST, {'op': 'hello', 'user': 'Root!'}, who=UID[0])
seed('req-hello-unmapped', REQUEST, {'op': 'hello'}, who=UID[2005])
seed('req-hello-65534', REQUEST, {'op': 'hello', 'user': 'admin'}, who=UID[65534])
seed('req-version-carl', REQUEST, {'op': 'run', 'line': 'version'}, who=UID[2002])
seed('req-pki-list-aude', REQUEST, {'op': 'run', 'line': 'pki list'}, who=UID[2003])
seed('req-passwd-aude', REQUEST,
     {'op': 'run', 'line': 'passwd', 'input': ['Old.1', 'New.Pw.1', 'New.Pw.1']}, who=UID[2003])
seed('req-turn-appy', REQUEST, {'op': 'run', 'line': 'turn listen a', 'from': '192.0.2.1:22'},
     who=UID[2004])
seed('req-rollback-prompts', REQUEST, {'op': 'run', 'line': 'backup rollback snap'}, who=UID[2001])
seed('req-rollback-answered', REQUEST,
     {'op': 'run', 'line': 'backup rollback snap', 'input': ['Y']}, who=UID[0])
seed('req-rollback-two-answers', REQUEST,
     {'op': 'run', 'line': 'backup rollback snap', 'input': ['Y', 'Y']}, who=UID[0])
seed('req-user-add', REQUEST,
     {'op': 'run', 'line': 'user add bob audit', 'input': ['Pw.1.bob', 'Pw.1.bob'],
      'from': '2001:db8::1:2222'}, who=UID[0])
seed('req-input-not-array', REQUEST, {'op': 'run', 'line': 'passwd', 'input': 'x'}, who=UID[0])
seed('req-input-nine', REQUEST, {'op': 'run', 'line': 'passwd', 'input': ['a'] * 9}, who=UID[0])
seed('req-input-long', REQUEST, {'op': 'run', 'line': 'passwd', 'input': ['x' * 1025]}, who=UID[0])
seed('req-input-number', REQUEST, {'op': 'run', 'line': 'passwd', 'input': [1]}, who=UID[0])
seed('req-from-console', REQUEST, {'op': 'hello', 'from': 'console'}, who=UID[0])
seed('req-from-no-port', REQUEST, {'op': 'hello', 'from': '192.0.2.1'}, who=UID[0])
seed('req-from-name', REQUEST, {'op': 'hello', 'from': 'evil.example:22'}, who=UID[0])
seed('req-from-escape', REQUEST, {'op': 'hello', 'from': '\x1b[31m:22'}, who=UID[0])
seed('req-from-long', REQUEST, {'op': 'hello', 'from': '1' * 70 + ':22'}, who=UID[0])
seed('req-login', REQUEST, {'op': 'login', 'user': 'carl', 'password': 'x'}, who=UID[0])
seed('req-user-nul', REQUEST, {'op': 'hello', 'user': 'carl\u0000x'}, who=UID[0])
seed('req-from-not-string', REQUEST, {'op': 'hello', 'from': 7}, who=UID[0])
seed('req-from-v6-bare', REQUEST, {'op': 'hello', 'from': '2001:db8::7'}, who=UID[0])
seed('req-from-v6-port', REQUEST, {'op': 'hello', 'from': '[2001:db8::7]:50022'}, who=UID[0])
seed('req-from-v6-zone', REQUEST, {'op': 'hello', 'from': '[fe80::1%eth0]:22'}, who=UID[0])
seed('req-from-zone-escape', REQUEST, {'op': 'hello', 'from': 'fe80::1%e\x1b[2J'}, who=UID[0])
seed('req-from-v6-no-port', REQUEST, {'op': 'hello', 'from': '[2001:db8::7]'}, who=UID[0])
seed('req-from-v4-mapped', REQUEST, {'op': 'hello', 'from': '::ffff:192.0.2.1'}, who=UID[0])
seed('req-from-port-zero', REQUEST, {'op': 'hello', 'from': '192.0.2.1:0'}, who=UID[0])
seed('req-from-port-leading-zero', REQUEST, {'op': 'hello', 'from': '192.0.2.1:022'},
     who=UID[0])
seed('req-from-longest', REQUEST,
     {'op': 'hello',
      'from': '[0000:0000:0000:0000:0000:ffff:255.255.255.255%abcdefghijklmno]:65535'},
     who=UID[0])
seed('req-unknown-op', REQUEST, {'op': 'exec', 'line': 'version'}, who=UID[0])
seed('req-op-not-string', REQUEST, {'op': 1, 'line': 'version'}, who=UID[2002])

# --- the login paths' requests: root's only, for no MMP user ---------------------------------
seed('req-login-carl-uid', REQUEST, {'op': 'login', 'user': 'carl', 'password': 'x'},
     who=UID[2002])
seed('req-login-host-name', REQUEST,
     {'op': 'login', 'user': 'carl', 'password': 'x', 'from': 'evil.example'}, who=UID[0])
seed('req-service-login', REQUEST,
     {'op': 'service_login', 'user': 'carl', 'password': 'x', 'from': '192.0.2.7'}, who=UID[0])
seed('req-service-login-other-uid', REQUEST,
     {'op': 'service_login', 'user': 'carl', 'password': 'x'}, who=UID[2002])
seed('req-account', REQUEST, {'op': 'account', 'user': 'alice', 'from': '192.0.2.7'},
     who=UID[0])
seed('req-account-65534', REQUEST, {'op': 'account', 'user': 'alice', 'from': '192.0.2.7'},
     who=UID[65534])
seed('req-account-as-admin', REQUEST, {'op': 'account', 'user': 'admin'}, who=UID[2001])
seed('req-session-open', REQUEST,
     {'op': 'session_open', 'user': 'alice', 'from': '192.0.2.7', 'pid': 4321, 'tty': 'pts/0'},
     who=UID[0])
seed('req-session-open-own-pid', REQUEST, {'op': 'session_open', 'user': 'carl'}, who=UID[0])
seed('req-session-open-peer-init', REQUEST, {'op': 'session_open', 'user': 'carl'}, who=UID[0],
     flags=PEER_INIT)
seed('req-session-open-uid', REQUEST,
     {'op': 'session_open', 'user': 'alice', 'from': 'console', 'pid': 4321}, who=UID[2001])
seed('req-session-open-nobody', REQUEST,
     {'op': 'session_open', 'user': 'mallory', 'from': 'console', 'pid': 4321}, who=UID[0])
seed('req-session-open-bad-name', REQUEST,
     {'op': 'session_open', 'user': 'Alice', 'pid': 4321}, who=UID[0])
seed('req-session-open-host-name', REQUEST,
     {'op': 'session_open', 'user': 'alice', 'from': 'host.example', 'pid': 4321}, who=UID[0])
seed('req-session-open-tty-escape', REQUEST,
     {'op': 'session_open', 'user': 'alice', 'pid': 4321, 'tty': '\x1b[2J'}, who=UID[0])
seed('req-session-open-tty-long', REQUEST,
     {'op': 'session_open', 'user': 'alice', 'pid': 4321, 'tty': 'p' * 33}, who=UID[0])
seed('req-session-open-tty-32', REQUEST,
     {'op': 'session_open', 'user': 'alice', 'pid': 4321, 'tty': 'p' * 32}, who=UID[0])
seed('req-session-open-tty-number', REQUEST,
     {'op': 'session_open', 'user': 'alice', 'pid': 4321, 'tty': 0}, who=UID[0])
seed('req-session-open-pid-1', REQUEST, {'op': 'session_open', 'user': 'alice', 'pid': 1},
     who=UID[0])
seed('req-session-open-pid-string', REQUEST,
     {'op': 'session_open', 'user': 'alice', 'pid': '12'}, who=UID[0])
seed('req-session-open-pid-huge', REQUEST,
     {'op': 'session_open', 'user': 'alice', 'pid': 2 ** 31}, who=UID[0])
seed('req-session-open-pid-max', REQUEST,
     {'op': 'session_open', 'user': 'alice', 'pid': 2 ** 31 - 1}, who=UID[0])
seed('req-session-close', REQUEST, {'op': 'session_close', 'id': 1}, who=UID[0])
seed('req-session-close-65534', REQUEST, {'op': 'session_close', 'id': 1}, who=UID[65534])

# --- results of commands: byte 1 the role, byte 2 the user -------------------------------
seed('res-nothing', RESULT, {'status': 0, 'output': 'x\n', 'changed': False}, ADMIN, WHO['admin'])
seed('res-failed', RESULT, {'status': 1, 'output': 'FAILURE: x\n', 'changed': True,
                            'doc': changed(hostname='x')}, ADMIN, WHO['admin'])
seed('res-admin-hostname', RESULT,
     {'status': 0, 'output': '', 'changed': True, 'doc': changed(hostname='cms2'),
      'actions': [{'svc': 'turn', 'op': 2}], 'follow': False, 'system_action': 'reboot'},
     ADMIN, WHO['alice'])
seed('res-audit-own-hash', RESULT,
     {'status': 0, 'output': '', 'changed': True,
      'doc': changed(users__aude__hash='$y$new', users__aude__must_change=False,
                     users__aude__history=['$y$j9T$fuzz$fuzz'], users__aude__pw_changed=NOW)},
     AUDIT, WHO['aude'])
seed('res-audit-own-role', RESULT,
     {'status': 0, 'output': '', 'changed': True, 'doc': changed(users__aude__role='admin')},
     AUDIT, WHO['aude'])
seed('res-audit-hostname', RESULT,
     {'status': 0, 'output': '', 'changed': True, 'doc': changed(hostname='owned')},
     AUDIT, WHO['aude'])
seed('res-crypto-other-hash', RESULT,
     {'status': 0, 'output': '', 'changed': True, 'doc': changed(users__admin__hash='$y$x')},
     CRYPTO, WHO['carl'])
seed('res-crypto-drop-user', RESULT,
     {'status': 0, 'output': '', 'changed': True, 'doc': changed(users__appy=None)},
     CRYPTO, WHO['carl'])
seed('res-nobody-adds-self', RESULT,
     {'status': 0, 'output': '', 'changed': True, 'doc': changed(users__mallory={'hash': 'x'})},
     APPADMIN, WHO['mallory'])
seed('res-doc-not-object', RESULT, {'status': 0, 'changed': True, 'doc': [1]}, ADMIN,
     WHO['admin'])
seed('res-no-doc', RESULT, {'status': 0, 'changed': True}, AUDIT, WHO['aude'])
seed('res-follow-audit', RESULT, {'status': 0, 'output': '', 'follow': True}, AUDIT, WHO['aude'])
seed('res-follow-appadmin', RESULT, {'status': 0, 'follow': True}, APPADMIN, WHO['appy'])
seed('res-shutdown-crypto', RESULT, {'status': 0, 'system_action': 'shutdown'}, CRYPTO,
     WHO['carl'])
seed('res-actions', RESULT,
     {'status': 0, 'actions': [{'svc': 'turn', 'op': 0}, {'svc': 'nosuch', 'op': 0},
                               {'svc': 'xmpp', 'op': 7}, {'svc': 'webadmin', 'op': '1'}]
      + [{'svc': 'callbridge', 'op': 1}] * 6},
     ADMIN, WHO['admin'])
seed('res-status-string', RESULT, {'status': '0', 'changed': True, 'doc': changed()}, ADMIN,
     WHO['admin'])
# user evict: an admin's, of a user name; the worker sends "" for none.
seed('res-evict-admin', RESULT, {'status': 0, 'output': 'Ended 1 session of carl\n',
                                 'evict': 'carl', 'system_action': ''}, ADMIN, WHO['alice'])
seed('res-evict-none', RESULT, {'status': 0, 'evict': ''}, ADMIN, WHO['admin'])
seed('res-evict-audit', RESULT, {'status': 0, 'evict': 'alice'}, AUDIT, WHO['aude'])
seed('res-evict-crypto-self', RESULT, {'status': 0, 'evict': 'carl'}, CRYPTO, WHO['carl'])
seed('res-evict-bad-name', RESULT, {'status': 0, 'evict': 'Alice;x'}, ADMIN, WHO['admin'])
seed('res-evict-long-name', RESULT, {'status': 0, 'evict': 'a' * 33}, ADMIN, WHO['admin'])
seed('res-evict-no-record', RESULT, {'status': 0, 'evict': 'mallory'}, ADMIN, WHO['admin'])
seed('res-evict-failed', RESULT, {'status': 1, 'evict': 'carl'}, ADMIN, WHO['admin'])
seed('res-evict-not-string', RESULT, {'status': 0, 'evict': ['carl']}, ADMIN, WHO['admin'])

# --- results of login checks: byte 2 the login user ---------------------------------------
seed('login-ok-records', LOGIN,
     {'rc': 0, 'msg': '', 'changed': True,
      'doc': changed(users__carl__last_login=NOW, users__carl__last_login_from='console',
                     users__carl__failed_logins=0)}, 0, WHO['carl'])
seed('login-expired', LOGIN, {'rc': -EKEYEXPIRED, 'msg': 'expired', 'changed': False}, 0,
     WHO['aude'])
seed('login-lockout', LOGIN,
     {'rc': -13, 'msg': 'locked', 'changed': True,
      'doc': changed(users__appy__locked=True, users__appy__failed_logins=5)}, 0, WHO['appy'])
seed('login-role-change', LOGIN,
     {'rc': 0, 'changed': True, 'doc': changed(users__carl__role='admin')}, 0, WHO['carl'])
seed('login-other-user', LOGIN,
     {'rc': 0, 'changed': True, 'doc': changed(users__admin__hash='$y$x')}, 0, WHO['carl'])
seed('login-unknown-user', LOGIN, {'rc': -2, 'msg': '', 'changed': False}, 0, WHO['mallory'])
seed('login-no-rc', LOGIN, {'changed': True, 'doc': changed()}, 0, WHO['alice'])

# --- results of account checks (no password; the same rules): byte 2 the user -------------
seed('account-ok', LOGIN, {'rc': 0, 'msg': 'Account usable', 'changed': False}, 0, WHO['carl'])
seed('account-idle-lock', LOGIN,
     {'rc': -EPERM, 'msg': 'Account locked: no login for 90 days (max_idle)', 'changed': True,
      'doc': changed(users__carl__locked='idle')}, 0, WHO['carl'])
seed('account-must-change', LOGIN,
     {'rc': -EKEYEXPIRED, 'msg': 'The password must be changed now', 'changed': False}, 0,
     WHO['aude'])
seed('account-host', LOGIN,
     {'rc': -EADDRNOTAVAIL, 'msg': 'Login from 192.0.2.9 is not allowed', 'changed': False}, 0,
     WHO['alice'])
seed('account-duty', LOGIN, {'rc': -ETIME, 'msg': 'Outside duty hours'}, 0, WHO['appy'])
seed('account-admin-locks-other', LOGIN,
     {'rc': 0, 'changed': True, 'doc': changed(users__carl__locked='idle')}, 0, WHO['alice'])
seed('account-sets-hosts', LOGIN,
     {'rc': 0, 'changed': True, 'doc': changed(users__alice__hosts=['0.0.0.0'])}, 0,
     WHO['alice'])
seed('account-rc-string', LOGIN, {'rc': '0', 'changed': False}, 0, WHO['carl'])

# --- operations of workers: byte 1 the role, byte 3 bit 0 a memfd -------------------------
for role, rname in ((ADMIN, 'admin'), (CRYPTO, 'crypto'), (AUDIT, 'audit'), (0, 'login')):
    seed('op-open-dictionary-' + rname, OPERATION, {'op': 'open', 'name': 'dictionary'}, role)
    seed('op-open-key-' + rname, OPERATION, {'op': 'open', 'name': 'a.key'}, role)
    seed('op-open-backup-' + rname, OPERATION, {'op': 'open', 'name': 'b.bak'}, role)
    seed('op-list-' + rname, OPERATION, {'op': 'list'}, role)
    seed('op-write-' + rname, OPERATION,
         {'op': 'write', 'name': 'new.key', 'mode': 0o600, 'excl': True}, role, 0, 1)
seed('op-open-link', OPERATION, {'op': 'open', 'name': 'c.crt'}, ADMIN)
seed('op-open-fifo', OPERATION, {'op': 'open', 'name': 'd.crt'}, ADMIN)
seed('op-open-dir', OPERATION, {'op': 'open', 'name': 'e.crt'}, ADMIN)
seed('op-open-dotdot', OPERATION, {'op': 'open', 'name': '../config.json'}, ADMIN)
seed('op-open-hidden', OPERATION, {'op': 'open', 'name': '.hidden'}, ADMIN)
seed('op-write-backup-crypto', OPERATION, {'op': 'write', 'name': 'x.bak', 'mode': 0o600},
     CRYPTO, 0, 1)
seed('op-write-over-link', OPERATION, {'op': 'write', 'name': 'c.crt', 'mode': 0o644}, ADMIN,
     0, 1)
seed('op-write-mode-755', OPERATION, {'op': 'write', 'name': 'x.sh', 'mode': 0o755}, ADMIN, 0, 1)
seed('op-write-no-fd', OPERATION, {'op': 'write', 'name': 'x.crt', 'mode': 0o640}, ADMIN)
seed('op-write-excl-exists', OPERATION,
     {'op': 'write', 'name': 'a.key', 'mode': 0o600, 'excl': True}, ADMIN, 0, 1)
seed('op-remove-key', OPERATION, {'op': 'remove', 'name': 'a.key'}, CRYPTO)
seed('op-remove-backup-crypto', OPERATION, {'op': 'remove', 'name': 'b.bak'}, CRYPTO)
seed('op-remove-dir', OPERATION, {'op': 'remove', 'name': 'e.crt'}, ADMIN)
seed('op-disk-admin', OPERATION, {'op': 'disk'}, ADMIN)
seed('op-disk-crypto', OPERATION, {'op': 'disk'}, CRYPTO)
seed('op-log', OPERATION, {'op': 'log', 'level': 3, 'msg': 'a line\n\x1b[31m'}, 0)
seed('op-log-level', OPERATION, {'op': 'log', 'level': 99, 'msg': 'x'}, AUDIT)
seed('op-unknown', OPERATION, {'op': 'exec', 'name': 'a.key'}, ADMIN)
seed('op-done', OPERATION, {'op': 'done', 'status': 0}, ADMIN)

# --- what cv_ipc_rx_next() would not let through ---------------------------------------------
seed('bad-array', REQUEST, b'[{"op":"hello"}]')
seed('bad-trailing', REQUEST, b'{"op":"hello"}x')
seed('bad-short', REQUEST, b'')

if __name__ == '__main__':
    out = sys.argv[1] if len(sys.argv) > 1 else 'tests/fuzz/corpus/ipcreq'
    os.makedirs(out, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    print('%d seeds in %s' % (len(seeds), out))
