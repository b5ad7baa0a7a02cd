#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The appliance boot test (TAP), run by tests/image/boot.sh.

Builds the image (images/mkimage, twice: the second build must give the same
bytes), boots it under qemu (TCG unless VM_ACCEL says otherwise) with
-no-reboot and a blank data disk, and drives it as an operator would:

  boot 1  serial console: a wrong password is refused; admin/admin must
          choose a new password and lands at "CMS> "; the seed 004 edge
          configuration is typed and the screens checked; `user add alice
          audit`; alice logs in on the console, changes her password and has
          the audit role; admin types `reboot` (qemu ends: -no-reboot)
  boot 2  same data disk: the new password and the configuration are
          there; `ssh admin@ 'turn'` runs one command; SFTP uploads the
          certificate files into the upload directory, `pki list` shows
          them and the seed's certificate commands complete the edge
          screens byte for byte; alice over SSH has her role; a wrong SSH
          password is refused. The account rules over SSH (sshd with PAM,
          pam_convene.so): with `user rule max_failed_logins 3` three wrong
          SSH passwords lock alice, whose right password is then refused;
          `user evict alice` on the console ends her running SSH session;
          after `user expire alice` SSH runs no command and SFTP nothing,
          and an SSH terminal gets the change (sshd runs passwd, which is
          mmp) after which the new password logs in; `factory_reset full`
          (qemu ends)
  boot 3  admin/admin again, to be changed; alice and the network settings
          are gone; `shutdown` powers the VM off

The serial console is a unix socket (qemu -serial unix:...), SSH and SFTP
use the ordinary OpenSSH client with SSH_ASKPASS. Every qemu is started with
a PID file and stopped by that PID; every wait has a timeout. Prints the
image size and the boot-to-login times (targets: < 40 MB, < 10 s under TCG)
without asserting them. Standard library only.
"""
import argparse
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

ADMIN_NEW = "Edge.Admin-2024"
ALICE_FIRST = "Alice.First1"
ALICE_NEW = "Alice.Second2"
ALICE_THIRD = "Alice.Third3"
NET_A = "10.124.144.80/24,10.124.144.1"
NET_B = "10.124.42.112/24,10.124.42.1"
BOOT_TIMEOUT = 180
CMD_TIMEOUT = 60

# Seed 004, the edge server: the lines that need no uploaded file (typed on
# the console at first boot) and those that do (sent over SSH after SFTP).
SEED_CONSOLE = [
    "ipv4 a add 10.124.144.80/24 10.124.144.1",
    "ipv4 b add 10.124.42.112/24 10.124.42.1",
    "ipv4 b default",
    "turn listen a b",
    "turn credentials admin Cisco.123 cms.demo",
    "turn tls 447",
    "webbridge3 https listen b:445",
    "webbridge3 https listen a:445 b:445",
    "webbridge3 c2w listen a:6000",
    "firewall a default allow",
    "firewall a deny 22",
]
SEED_FILES = [
    "turn certs edge.key cmsedge-fullchain.cer",
    "webbridge3 https certs edge.key cmsedge-fullchain.cer",
    "webbridge3 c2w certs edge.key cmsedge-fullchain.cer",
    "webbridge3 c2w trust cmscore-fullchain.cer",
]
TURN_SCREEN = """Enabled                 : false
Username                : admin
Password                : Cisco.123
Short term credentials  : disabled
Shared secret           : none
Realm                   : cms.demo
Public IP               : none
High Capacity Mode      : enabled
Relay address           : 10.124.144.80
TLS port                : 447
TLS cert                : cmsedge-fullchain.cer
TLS key                 : edge.key
TLS bundle              : none
Listen interface      a
Listen interface      b
"""
WEBBRIDGE3_SCREEN = """Enabled                               : false
HTTPS listening ports and interfaces  : a:445 b:445
HTTPS Key file                        : edge.key
HTTPS Full chain certificate file     : cmsedge-fullchain.cer
HTTPS Frame-Ancestors                 : none
HTTP redirect                         : Disabled
C2W listening ports and interfaces    : a:6000
C2W Key file                          : edge.key
C2W Full chain certificate file       : cmsedge-fullchain.cer
C2W Trust bundle                      : cmscore-fullchain.cer
Meetingapps address                   : none
Meetingapps port                      : none
Audio priority flag                   : Enabled
Beta options                          : none
"""


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, detail=""):
        self.n += 1
        if not cond:
            self.failed += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {desc}")
        if not cond and detail:
            self.diag(detail)
        sys.stdout.flush()
        return cond

    def skip(self, desc, reason):
        self.n += 1
        print(f"ok {self.n} - {desc} # SKIP {reason}")
        sys.stdout.flush()

    @staticmethod
    def diag(text):
        for line in str(text).splitlines():
            print(f"# {line}")
        sys.stdout.flush()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class VM:
    """One qemu run of images/run with the console on a unix socket."""

    def __init__(self, args, work, data, port, extra=("--no-reboot",)):
        """extra: more images/run options (the boot test's -no-reboot by
        default: a reboot of the appliance ends qemu)."""
        self.sock = os.path.join(work, "console.sock")
        self.pidfile = os.path.join(work, "qemu.pid")
        self.log = open(os.path.join(work, "console.log"), "ab")
        self.argv = [args.run, "--image", args.image, "--data", data,
                     "--console", "socket:" + self.sock, "--daemonize",
                     "--pidfile", self.pidfile, "--ssh-port", str(port),
                     "--net-a", NET_A, "--net-b", NET_B, *extra]
        self.s = None
        self.buf = b""
        self.t0 = 0.0
        self.prompt = "CMS> "  # a regular expression: cmd() waits for it
        self.match = ""  # what the last expect() matched

    def start(self):
        for p in (self.sock, self.pidfile):
            if os.path.exists(p):
                os.unlink(p)
        self.t0 = time.time()
        subprocess.run(self.argv, check=True, timeout=60)
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(self.sock)
        self.buf = b""

    def pid(self):
        try:
            with open(self.pidfile) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def expect(self, pattern, timeout=CMD_TIMEOUT):
        """Reads until pattern; returns what came before it (CRs removed)."""
        rx = re.compile(pattern.encode())
        end = time.time() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                break
            left = end - time.time()
            if left <= 0:
                raise TimeoutError(f"waiting for {pattern!r}; last output: {self.buf[-400:]!r}")
            self.s.settimeout(min(left, 1.0))
            try:
                data = self.s.recv(4096)
            except socket.timeout:
                continue
            if not data:
                raise EOFError(f"console closed waiting for {pattern!r}")
            self.log.write(data)
            self.log.flush()
            self.buf += data
        before, self.buf = self.buf[:m.start()], self.buf[m.end():]
        self.match = m.group(0).decode(errors="replace")
        return before.decode(errors="replace").replace("\r", "")

    def drain(self, timeout):
        """Returns what is unread plus what arrives within timeout (CRs
        removed), and forgets it."""
        try:
            self.expect(r"(?!)", timeout)  # matches nothing: reads until the timeout
        except TimeoutError:
            pass
        text, self.buf = self.buf, b""
        return text.decode(errors="replace").replace("\r", "")

    def send(self, line):
        self.s.sendall(line.encode() + b"\r")

    def cmd(self, line, timeout=CMD_TIMEOUT):
        """Runs one command at the prompt; returns its output (the echoed
        command line removed)."""
        self.send(line)
        out = self.expect(r"\n[^\n]*" + self.prompt, timeout)
        # What precedes the first newline is the echo of the typed line.
        text = out.split("\n", 1)[1] if "\n" in out else ""
        return text + "\n" if text else ""

    def wait_exit(self, timeout=60):
        pid = self.pid()
        end = time.time() + timeout
        while pid and time.time() < end:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.2)
        return pid is None

    def stop(self):
        if self.s:
            self.s.close()
            self.s = None
        pid = self.pid()
        if not pid:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        if not self.wait_exit(10):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def ssh_argv(work, port, user, password, *cmd, sftp=False, tries=1, tty=False):
    """The OpenSSH client's argv and environment for user@127.0.0.1:port,
    the password given through SSH_ASKPASS (work/askpass), at most tries
    times (one connection); tty: a terminal (ssh -tt)."""
    askpass = os.path.join(work, "askpass")
    env = dict(os.environ, SSH_ASKPASS=askpass, SSH_ASKPASS_REQUIRE="force", DISPLAY="none",
               VMTEST_PASSWORD=password)
    opts = ["-F", "/dev/null", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            "-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no",
            "-o", f"NumberOfPasswordPrompts={tries}", "-o", "ConnectTimeout=10"]
    if sftp:
        argv = ["sftp", "-P", str(port)] + opts + [f"{user}@127.0.0.1"]
    else:
        argv = ["ssh", "-tt" if tty else "-T", "-p", str(port)] + opts + [f"{user}@127.0.0.1",
                                                                         *cmd]
    return argv, env


def ssh(work, port, user, password, *cmd, stdin=None, sftp=False, tries=1, tty=False):
    argv, env = ssh_argv(work, port, user, password, *cmd, sftp=sftp, tries=tries, tty=tty)
    try:
        return subprocess.run(argv, input=stdin if stdin is not None else "", capture_output=True,
                              text=True, env=env, timeout=CMD_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(argv, 255, "", f"timed out: {e}")


def new_work(work):
    """Empties the work folder and writes the askpass helper ssh() uses."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    askpass = os.path.join(work, "askpass")
    with open(askpass, "w") as f:
        f.write('#!/bin/sh\nprintf "%s\\n" "$VMTEST_PASSWORD"\n')
    os.chmod(askpass, 0o700)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build(tap, args, work, again=True):
    """Builds the image into args.image; with again, a second time into
    work/again, which must give the same bytes."""
    t = time.time()
    r = subprocess.run([args.mkimage, "--bin", args.bin, "--out", args.image],
                       capture_output=True, text=True, timeout=600)
    if not tap.ok(r.returncode == 0, "images/mkimage builds the image",
                  r.stdout + r.stderr):
        return False
    tap.diag(f"build: {time.time() - t:.1f} s")
    k = os.path.getsize(os.path.join(args.image, "vmlinuz"))
    i = os.path.getsize(os.path.join(args.image, "initrd.img"))
    tap.diag(f"image size: vmlinuz {k / 1e6:.1f} MB + initrd.img {i / 1e6:.1f} MB = "
             f"{(k + i) / 1e6:.1f} MB (target < 40 MB)")
    if not again:
        return True
    again = os.path.join(work, "again")
    r = subprocess.run([args.mkimage, "--bin", args.bin, "--out", again,
                        "--cache", os.path.join(args.image, "dl")],
                       capture_output=True, text=True, timeout=600)
    same = r.returncode == 0 and all(
        sha256(os.path.join(args.image, f)) == sha256(os.path.join(again, f))
        for f in ("vmlinuz", "initrd.img"))
    tap.ok(same, "a second build gives the same bytes (reproducible)", r.stderr)
    shutil.rmtree(again, ignore_errors=True)
    return True


def login(vm, user, password):
    """Logs in at a "login: " prompt already seen; returns the text up to
    the first prompt or password question."""
    vm.send(user)
    vm.expect("Password: ")
    vm.send(password)


def change_password(vm, old, new):
    vm.expect("Current password: ")
    vm.send(old)
    vm.expect("New password: ")
    vm.send(new)
    vm.expect("New password again: ")
    vm.send(new)
    vm.expect("CMS> ")


def boot_login(tap, vm, label):
    vm.start()
    vm.expect("login: ", BOOT_TIMEOUT)
    t = time.time() - vm.t0
    tap.diag(f"boot {label}: login prompt {t:.1f} s after qemu started (target < 10 s, TCG)")
    return t


def first_boot(tap, vm):
    boot_login(tap, vm, 1)
    tap.ok(True, "boot 1: the serial console shows a login prompt")

    login(vm, "admin", "not-the-password")
    vm.expect("Login incorrect")
    vm.expect("login: ")
    tap.ok(True, "a wrong password is refused on the console")

    login(vm, "admin", "admin")
    vm.expect("You must change your password now.")
    change_password(vm, "admin", ADMIN_NEW)
    tap.ok(True, "admin/admin must choose a new password and lands at CMS> ")

    bad = []
    for line in SEED_CONSOLE:
        out = vm.cmd(line)
        if out:
            bad.append(f"{line}: {out!r}")
    tap.ok(not bad, f"the seed 004 edge lines are accepted ({len(SEED_CONSOLE)} commands)",
           "\n".join(bad))
    out = vm.cmd("ipv4 a")
    tap.ok("address         10.124.144.80\n" in out and "prefixlen       24\n" in out,
           "ipv4 a shows the configured address", out)
    observed = out.split("IPv4 observed values", 1)[-1]
    net_real = "10.124.144.80" in observed
    if net_real:
        tap.ok(True, "ipv4 a shows the address on the virtual NIC")
    else:
        tap.skip("ipv4 a shows the address on the virtual NIC",
                 "the network applier does not set addresses yet")
    out = vm.cmd("turn")
    want = TURN_SCREEN.replace("cmsedge-fullchain.cer", "none").replace(
        "TLS key                 : edge.key", "TLS key                 : none")
    tap.ok(out == want, "the turn screen", f"got:\n{out}want:\n{want}")

    vm.send("user add alice audit")
    vm.expect("Please enter new password: ")
    vm.send(ALICE_FIRST)
    vm.expect("Please enter new password again: ")
    vm.send(ALICE_FIRST)
    vm.expect("CMS> ")
    out = vm.cmd("user list")
    tap.ok("alice" in out, "user add alice audit", out)
    vm.send("exit")
    vm.expect("login: ")
    login(vm, "alice", ALICE_FIRST)
    vm.expect("You must change your password now.")
    change_password(vm, ALICE_FIRST, ALICE_NEW)
    out = vm.cmd("hostname")
    tap.ok(out == "Permission denied\n", "alice logs in on the console with the audit role",
           out)
    vm.send("exit")
    vm.expect("login: ")

    login(vm, "admin", ADMIN_NEW)
    vm.expect("CMS> ")
    vm.send("reboot")
    tap.ok(vm.wait_exit(90), "reboot restarts the VM (qemu -no-reboot ends)")
    vm.stop()
    return net_real


def second_boot(tap, vm, work, port, net_real):
    boot_login(tap, vm, 2)
    login(vm, "admin", ADMIN_NEW)
    head = vm.expect("CMS> ")
    tap.ok("must change" not in head, "boot 2: admin logs in with the new password", head)
    out = vm.cmd("turn")
    want = TURN_SCREEN.replace("cmsedge-fullchain.cer", "none").replace(
        "TLS key                 : edge.key", "TLS key                 : none")
    tap.ok(out == want, "the configuration survived the reboot", out)

    ssh_tests = ["ssh admin@ 'turn' runs one command",
                 "an SSH session reads commands from stdin",
                 "sftp uploads into the upload directory",
                 "pki list shows the uploaded files",
                 "the seed's certificate lines complete the edge screens",
                 "alice over SSH has the audit role",
                 "a wrong SSH password is refused",
                 "over SSH, 3 wrong passwords lock the account (max_failed_logins 3)",
                 "over SSH, the locked account refuses the right password",
                 "user evict on the console ends a running SSH session",
                 "a password to be changed: SSH runs no command",
                 "a password to be changed: SFTP is refused",
                 "a password to be changed: an SSH terminal changes it (passwd is mmp)",
                 "the new password logs in over SSH"]
    if not net_real:
        for t in ssh_tests:
            tap.skip(t, "needs the network applier (interface a has no address)")
    else:
        r = None
        end = time.time() + 60
        while time.time() < end:
            r = ssh(work, port, "admin", ADMIN_NEW, "turn")
            if r.returncode == 0:
                break
            time.sleep(1)
        tap.ok(r.returncode == 0 and r.stdout == want, ssh_tests[0],
               f"status {r.returncode}\n{r.stdout}{r.stderr}")
        r = ssh(work, port, "admin", ADMIN_NEW, stdin="ipv4 b\nexit\n")
        tap.ok(r.returncode == 0 and "address         10.124.42.112" in r.stdout, ssh_tests[1],
               r.stdout + r.stderr)
        names = ["edge.key", "cmsedge-fullchain.cer", "cmscore-fullchain.cer"]
        for n in names:
            with open(os.path.join(work, n), "w") as f:
                f.write(f"test file {n}\n")
        puts = "".join(f"put {os.path.join(work, n)}\n" for n in names)
        r = ssh(work, port, "admin", ADMIN_NEW, stdin=puts + "ls\n", sftp=True)
        tap.ok(r.returncode == 0 and all(n in r.stdout for n in names), ssh_tests[2],
               r.stdout + r.stderr)
        r = ssh(work, port, "admin", ADMIN_NEW, "pki list")
        tap.ok(all(n in r.stdout for n in names), ssh_tests[3], r.stdout + r.stderr)
        r = ssh(work, port, "admin", ADMIN_NEW,
                stdin="\n".join(SEED_FILES) + "\nturn\nwebbridge3\n")
        tap.ok(r.returncode == 0 and r.stdout == TURN_SCREEN + WEBBRIDGE3_SCREEN, ssh_tests[4],
               r.stdout + r.stderr)
        r = ssh(work, port, "alice", ALICE_NEW, "hostname")
        tap.ok(r.stdout == "Permission denied\n", ssh_tests[5], r.stdout + r.stderr)
        r = ssh(work, port, "admin", "wrong-password", "turn")
        tap.ok(r.returncode != 0 and "Realm" not in r.stdout, ssh_tests[6], r.stdout)
        ssh_account_rules(tap, vm, work, port, ssh_tests[7:])

    vm.send("factory_reset full")
    vm.expect(r"Continue\? \(Y/n\)")
    vm.send("Y")
    tap.ok(vm.wait_exit(90), "factory_reset full reboots the VM")
    vm.stop()


def ssh_account_rules(tap, vm, work, port, names):
    """The MMP account rules over SSH and SFTP: sshd asks mmpd through PAM."""
    t0 = time.time()
    vm.cmd("user rule max_failed_logins 3")
    r = ssh(work, port, "alice", "wrong-password", "hostname", tries=3)
    out = vm.cmd("user info alice")
    tap.ok(r.returncode == 255 and "yes (max_failed_logins)" in out, names[0],
           f"ssh: {r.returncode} {r.stderr}\n{out}")
    r = ssh(work, port, "alice", ALICE_NEW, "hostname")
    tap.ok(r.returncode == 255 and r.stdout == "", names[1], f"{r.returncode} {r.stdout}{r.stderr}")
    vm.cmd("user unlock alice")
    vm.cmd("user rule max_failed_logins 0")

    # A session that waits for commands on stdin, ended from the console.
    argv, env = ssh_argv(work, port, "alice", ALICE_NEW)
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=env)
    try:
        listed = ""
        end = time.time() + CMD_TIMEOUT
        while time.time() < end:
            listed = vm.cmd("user list")
            if re.search(r"^alice .* yes$", listed, re.M):
                break
            time.sleep(1)
        out = vm.cmd("user evict alice")
        t = time.time()
        try:
            p.wait(timeout=CMD_TIMEOUT)
            ended = True
            tap.diag(f"the evicted SSH session ended {time.time() - t:.1f} s after the reply")
        except subprocess.TimeoutExpired:
            ended = False
        tap.ok(out.startswith("Ended 1 session of alice\n") and ended, names[2],
               f"user list:\n{listed}user evict:\n{out}ssh ended: {ended}")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()

    vm.cmd("user expire alice")
    r = ssh(work, port, "alice", ALICE_NEW, "hostname")
    tap.ok(r.returncode != 0 and "Password change required" in r.stderr, names[3],
           f"{r.returncode} {r.stdout}{r.stderr}")
    r = ssh(work, port, "alice", ALICE_NEW, stdin="ls\n", sftp=True)
    tap.ok(r.returncode != 0, names[4], f"{r.returncode} {r.stdout}{r.stderr}")
    r = ssh(work, port, "alice", ALICE_NEW, tty=True,
            stdin=f"{ALICE_NEW}\n{ALICE_THIRD}\n{ALICE_THIRD}\n")
    # sshd says "WARNING: Your password has expired." and runs passwd:
    # mmp's prompts show that the change ran.
    tap.ok("Your password has expired" in r.stdout and "New password again: " in r.stdout,
           names[5],
           f"{r.returncode} {r.stdout}{r.stderr}")
    r = ssh(work, port, "alice", ALICE_THIRD, "hostname")
    tap.ok(r.returncode == 1 and r.stdout == "Permission denied\n", names[6],
           f"{r.returncode} {r.stdout}{r.stderr}")
    tap.diag(f"account rules over SSH: {time.time() - t0:.1f} s")


def third_boot(tap, vm):
    boot_login(tap, vm, 3)
    login(vm, "admin", ADMIN_NEW)
    vm.expect("Login incorrect")
    vm.expect("login: ")
    login(vm, "admin", "admin")
    vm.expect("You must change your password now.")
    change_password(vm, "admin", ADMIN_NEW)
    tap.ok(True, "boot 3: after the factory reset admin/admin is back, to be changed")
    out = vm.cmd("user list")
    tap.ok("alice" not in out and "admin" in out, "the other users are gone", out)
    out = vm.cmd("ipv4 a")
    tap.ok("10.124.144.80" not in out, "the network configuration is gone", out)
    vm.send("shutdown")
    tap.ok(vm.wait_exit(90), "shutdown powers the VM off")
    vm.stop()


def arg_parser():
    """The options boot.sh and powercut.sh give their driver."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--mkimage", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--work", required=True)
    return ap


def exit_on_sigterm():
    """The wrapper's timeout sends SIGTERM: end through the caller's
    finally, so that qemu is stopped by its PID."""
    signal.signal(signal.SIGTERM, lambda sig, frame: sys.exit(1))


def main():
    args = arg_parser().parse_args()
    exit_on_sigterm()
    tap = Tap()
    work = args.work
    new_work(work)
    data = os.path.join(work, "data.img")
    port = free_port()
    vm = VM(args, work, data, port)
    try:
        if build(tap, args, work):
            net_real = first_boot(tap, vm)
            second_boot(tap, vm, work, port, net_real)
            third_boot(tap, vm)
    except Exception as e:  # a timeout or a closed console: the rest cannot run
        tap.ok(False, "the scenario ran to its end", repr(e))
        tap.diag(f"console log: {os.path.join(work, 'console.log')}")
    finally:
        vm.stop()
    print(f"1..{tap.n}")
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
