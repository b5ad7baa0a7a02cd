#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The power-cut test (TAP), run by tests/image/powercut.sh.

tests/integration/crash_commits.sh kills mmpd with SIGKILL during 1,000
commits, but a killed process leaves its writes in the kernel's page cache,
which survives it: that test passes with every fsync removed. This one cuts
the power under the whole guest instead. It boots the appliance image under
qemu with a data disk, streams configuration commits through mmp over one
SSH session, resets the guest through the qemu monitor (`system_reset`: no
shutdown, no sync, the guest's memory is simply gone) at a seeded random
moment, boots again and checks that mmpd loads the document and that it
holds every commit the host saw acknowledged.

Why a guest reset is a power cut for the guest's page cache, and what the
qemu drive settings must be (images/run --data-cache):
  - A write of the guest travels: mmpd's write() -> the guest's page cache
    -> (writeback, or fsync) -> a virtio-blk request -> qemu -> the image
    file on the host. A reset discards the guest's RAM, so whatever is
    still in the guest's page cache is lost, exactly as at a power cut.
    qemu drains the requests in flight on reset, so a request the guest
    submitted completes (a real disk may or may not complete it: both are
    allowed outcomes for unacknowledged commits).
  - cache=writeback (qemu's default, given explicitly): qemu writes each
    request into the host's page cache, which the reset does not touch, and
    turns the guest's flushes into fsync on the host. So what reached the
    virtual disk survives and what stayed in the guest does not: the cut
    falls between the guest's memory and its disk, which is what the
    configuration's fsync discipline (DESIGN.md section 5) is about.
    cache=unsafe would do the same here (flushes ignored, the host does not
    crash); none/directsync would bypass the host's cache and only be
    slower.
  - What this cannot show: a disk whose own volatile write cache loses
    writes that were not flushed. The virtual disk keeps every completed
    write, so a missing flush (as opposed to a missing fsync) goes
    unnoticed; catching that needs a block device that drops unflushed
    writes at the cut (dm-flakey's drop_writes or a log-writes replay),
    not available here.
  - The window: ext4 on the data disk (data=ordered, the journal committed
    every 5 s, dirty data written back after 30 s). Without fsync, a
    commit is on disk only once the journal has committed its rename, so a
    cut loses the last seconds of acknowledged commits; with fsync of the
    file and of the directory (lib/conf.c) none. The defaults give that
    window without any tuning. A file that replaces another by rename gets
    its data written before the rename commits (ext4's auto_da_alloc), so
    config.json was never seen torn; a file renamed to a new name has no
    such help and can come back empty.

Shown to fail: built by hand from a copy of the tree with the two fsync
calls of cv_write_file_atomic (lib/conf.c) removed, every run failed
(while tests/integration/crash_commits.sh passed, 120 of 120): 86, 252, 2,
96 and 252 acknowledged commits lost in five runs (up to the last 3 s of
commits, in some runs with the setup before them), and the interface map
written at the first boot (<state>/ifmap, a new file) came back empty, so
interface a got no address and SSH no longer answered.

The commits: step i sets one of three values in turn (the TURN user name,
the TURN TLS port, the host name, as crash_commits.sh does), followed by
`hostname`, whose output is the acknowledgement the host waits for before
it sends step i + 1 (lock-step: at most one step is in flight). After the
cut, with k steps acknowledged, the document must be the state after step
k, or after k + 1 when that one was sent: all three values of the same
step, so neither a lost acknowledged commit nor a mix of two documents
passes. mmpd refuses a torn or empty document (it would not start and no
login would work), and the console must not show its "cannot load". The
values are read on the console, which works whatever happened to the
network; `ipv4 a` must show interface a's address on the NIC (the stored
network and the interface map), and SSH must answer again.

Rounds: the cut points are drawn (seeded; the seed is printed, POWERCUT_SEED
repeats a run) among the first POWERCUT_COMMITS (1,000) steps, one per
round (POWERCUT_ROUNDS, 4); within the step the cut falls after a random
fraction of the mean step time, so it lands anywhere in the write, fsync,
rename, fsync sequence. Every qemu has a PID file and is stopped by that
PID, the SSH client is stopped by its PID, every wait has a timeout, the
loops are bounded by the step count. Standard library only.
"""
import os
import random
import re
import select
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmtest  # noqa: E402 (the boot test's helpers, shared)

PASSWORD = "Power.Cut-2024"
ADDR_A = vmtest.NET_A.split("/")[0]  # interface a, for SSH
STEP_TIMEOUT = 30
SSH_TIMEOUT = 90


def step_of(i):
    """Step i: (key, value, command line), as in crash_commits.sh."""
    if i % 3 == 0:
        return "user", f"user{i}", f"turn credentials user{i} pw{i} cms.demo"
    if i % 3 == 1:
        return "tls", str(1024 + i), f"turn tls {1024 + i}"
    return "host", f"h{i}", f"hostname h{i}"


def state_after(base, first, last):
    """The document's three values after steps first..last on top of base."""
    st = dict(base)
    for i in range(first, last + 1):
        key, val, _ = step_of(i)
        st[key] = val
    return st


def console_values(vm):
    """Logs admin in on the console (mmp-login asks mmpd, so this also shows
    that mmpd runs), reads the three values and the `ipv4 a` screen, logs
    out. Returns (values or None, what the console showed, whether
    interface a has its address on the NIC)."""
    vmtest.login(vm, "admin", PASSWORD)
    head = vm.expect(r"Login incorrect|You must change your password now\.|" + vm.prompt)
    if vm.match == "Login incorrect" or vm.match.startswith("You must"):
        text = head + vm.match + vm.drain(2)
        return None, text + "(admin's password is not the one set at the start: "\
            "the document is older than that)", False
    host = vm.cmd("hostname")
    turn = vm.cmd("turn")
    ipv4 = vm.cmd("ipv4 a")
    vm.send("exit")
    vm.expect("login: ")
    user = re.search(r"^Username *: (.*)$", turn, re.M)
    tls = re.search(r"^TLS port *: (.*)$", turn, re.M)
    text = host + turn + ipv4
    # mmpd applies the network before it answers: an address missing from
    # the observed values means the document or the interface map lost it.
    net = ADDR_A in ipv4.split("IPv4 observed values", 1)[-1]
    if not user or not tls or host.count("\n") != 1:
        return None, text, net
    return {"user": user.group(1), "tls": tls.group(1), "host": host.strip()}, text, net


def wait_ssh(tap, work, port, what):
    """Waits (bounded) until mmp answers over SSH."""
    end = time.time() + SSH_TIMEOUT
    while True:
        r = vmtest.ssh(work, port, "admin", PASSWORD, "hostname")
        if r.returncode == 0 or time.time() > end:
            return tap.ok(r.returncode == 0, f"{what}: mmp answers over SSH", r.stdout + r.stderr)
        time.sleep(1)


class Monitor:
    """qemu's human monitor on a unix socket (images/run --monitor)."""

    def __init__(self, path):
        self.path = path
        self.s = None

    def _until_prompt(self, timeout=10):
        buf = b""
        end = time.time() + timeout
        while not buf.endswith(b"(qemu) "):
            left = end - time.time()
            if left <= 0:
                raise TimeoutError(f"qemu monitor: no prompt; got {buf[-200:]!r}")
            self.s.settimeout(left)
            data = self.s.recv(4096)
            if not data:
                raise EOFError("qemu monitor closed")
            buf += data
        return buf

    def connect(self):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(self.path)
        self._until_prompt()

    def command(self, line):
        self.s.sendall(line.encode() + b"\n")
        return self._until_prompt()

    def close(self):
        if self.s:
            self.s.close()
            self.s = None


class Stream:
    """One SSH session running mmp in script mode, fed one step at a time."""

    def __init__(self, work, port):
        argv, env = vmtest.ssh_argv(work, port, "admin", PASSWORD)
        self.err = open(os.path.join(work, "stream.err"), "ab")
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.err, env=env)
        self.buf = b""

    def send(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()

    def read(self, timeout):
        """Appends what arrives within timeout; False at end of output."""
        fd = self.p.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], max(timeout, 0))
        if not ready:
            return True
        data = os.read(fd, 65536)
        if not data:
            return False
        self.buf += data
        return True

    def take_ack(self, host):
        """The acknowledgement of the step in flight: its output ends with
        the `hostname` line, host. Consumes it and returns True if there."""
        want = host.encode() + b"\n"
        if self.buf == want or self.buf.endswith(b"\n" + want):
            self.buf = b""
            return True
        return False

    def stop(self):
        """Stops the SSH client by its PID; returns what it had left."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(10)
        rest = self.p.stdout.read()
        self.buf += rest or b""
        for f in (self.p.stdin, self.p.stdout):
            try:
                f.close()
            except OSError:
                pass
        self.err.close()


def setup(tap, vm, work, port):
    """First boot: admin's password, interface a (for SSH); returns the
    three values of the fresh document, or None."""
    vmtest.boot_login(tap, vm, 1)
    vmtest.login(vm, "admin", "admin")
    vm.expect("You must change your password now.")
    vmtest.change_password(vm, "admin", PASSWORD)
    addr, gw = vmtest.NET_A.split(",")
    out = vm.cmd(f"ipv4 a add {addr} {gw}")
    tap.ok(out == "", "boot 1: admin's password and interface a are set", out)
    vm.send("exit")
    vm.expect("login: ")
    vals, text, net = console_values(vm)
    tap.ok(vals is not None and net, "the console shows the host name, the turn screen and "
           "the address of interface a", text)
    if not wait_ssh(tap, work, port, "boot 1"):
        return None
    return vals


def run_round(tap, vm, mon, work, port, rnd, first, cut, frac, base, times):
    """Steps first..cut, the cut within step cut, the boot after it. times:
    the step durations so far (the first step of a session, which includes
    the SSH login, left out). Returns the values found after the cut (the
    next round's base), or None when the run cannot go on."""
    stream = Stream(work, port)
    mon.connect()
    acked = first - 1
    sent = acked
    ack_time = {acked: time.time()}  # step -> when the host saw it acknowledged
    try:
        for i in range(first, cut + 1):
            _, _, line = step_of(i)
            host = state_after(base, first, i)["host"]
            t = time.time()
            stream.send(line + "\nhostname")
            sent = i
            if i == cut:
                # The mean step time places the cut inside this step.
                mean = sum(times) / len(times) if times else 0.1
                time.sleep(frac * mean)
                t_cut = time.time()
                mon.command("system_reset")
                break
            end = time.time() + STEP_TIMEOUT
            while not stream.take_ack(host):
                if time.time() >= end or not stream.read(end - time.time()):
                    raise RuntimeError(f"step {i} ({line}): no acknowledgement; "
                                       f"output {stream.buf[-300:]!r}")
            acked = i
            ack_time[i] = time.time()
            if i > first:
                times.append(time.time() - t)
        # What the guest sent before the reset may still be on its way.
        end = t_cut + 3
        while stream.read(end - time.time()) and time.time() < end:
            pass
    finally:
        mon.close()
        stream.stop()
    if stream.take_ack(state_after(base, first, cut)["host"]):
        acked = cut  # sent by the guest before the reset, read after it
        ack_time[cut] = t_cut
    tap.diag(f"round {rnd}: steps {first}..{cut}, {acked - first + 1} acknowledged, "
             f"cut {frac:.2f} of a step ({frac * mean * 1000:.0f} ms) into step {cut}")

    vm.buf = b""
    boot = vm.expect("login: ", vmtest.BOOT_TIMEOUT)
    vals, text, net = console_values(vm)
    if not tap.ok(vals is not None, f"round {rnd}: after the cut mmpd loads the document "
                  "(admin logs in on the console, the screens show)",
                  "console at boot:\n" + boot + "\nat login:\n" + text):
        return None
    tap.ok("cannot load" not in boot, f"round {rnd}: no \"cannot load\" from mmpd on the "
           "console", boot)
    tap.ok(net, f"round {rnd}: interface a has its address (the stored network and the "
           "interface map survived)", text)
    allowed = {acked: state_after(base, first, acked)}
    if sent > acked:
        allowed[sent] = state_after(base, first, sent)
    found = [j for j, st in allowed.items() if st == vals]
    detail = "" if found else (f"found {vals}\nwant one of {list(allowed.values())}\n"
                               + lost(base, first, acked, vals, ack_time, t_cut))
    if tap.ok(bool(found), f"round {rnd}: the document holds every acknowledged commit "
              f"(step {acked}{' or ' + str(sent) if sent > acked else ''})", detail):
        tap.diag(f"round {rnd}: the document is at step {found[0]}"
                 + (" (the one in flight at the cut)" if found[0] > acked else ""))
    # After lost commits the next round starts from what is there.
    if not wait_ssh(tap, work, port, f"round {rnd}"):
        return None
    return vals


def lost(base, first, acked, vals, ack_time, t_cut):
    """Names the newest step the values belong to, if any (how much was lost)."""
    for j in range(acked, first - 2, -1):
        if state_after(base, first, j) == vals:
            return (f"the document is at step {j}: {acked - j} acknowledged commits lost, "
                    f"the newest of them acknowledged {t_cut - ack_time[acked]:.1f} s and the "
                    f"first {t_cut - ack_time[j + 1]:.1f} s before the cut")
    return "the values match no single step: a mix of documents, or older than this round"


def main():
    ap = vmtest.arg_parser()
    ap.add_argument("--seed", type=int,
                    default=int(os.environ.get("POWERCUT_SEED", time.time_ns() % 1000000)))
    ap.add_argument("--commits", type=int, default=int(os.environ.get("POWERCUT_COMMITS", 1000)))
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("POWERCUT_ROUNDS", 4)))
    ap.add_argument("--no-build", action="store_true", help="use the image in --image as it is")
    args = ap.parse_args()
    vmtest.exit_on_sigterm()
    tap = vmtest.Tap()
    work = args.work
    vmtest.new_work(work)
    rng = random.Random(args.seed)
    cuts = sorted(rng.sample(range(10, args.commits + 1), args.rounds))
    fracs = [rng.random() for _ in cuts]
    tap.diag(f"seed {args.seed} (POWERCUT_SEED={args.seed} repeats this run): cuts in steps "
             + ", ".join(f"{c} (+{f:.2f})" for c, f in zip(cuts, fracs)))
    port = vmtest.free_port()
    mon_path = os.path.join(work, "monitor.sock")
    vm = vmtest.VM(args, work, os.path.join(work, "data.img"), port,
                   extra=("--monitor", mon_path, "--data-cache", "writeback"))
    vm.prompt = r"[\w.-]+> "  # the prompt is the host name, which the steps change
    mon = Monitor(mon_path)
    t_start = time.time()
    try:
        if args.no_build or vmtest.build(tap, args, work, again=False):
            base = setup(tap, vm, work, port)
            first = 1
            times = []
            for rnd, (cut, frac) in enumerate(zip(cuts, fracs), 1):
                if base is None:
                    break
                base = run_round(tap, vm, mon, work, port, rnd, first, cut, frac, base, times)
                first = cut + 1
    except Exception as e:  # a timeout or a closed console: the rest cannot run
        tap.ok(False, "the scenario ran to its end", repr(e))
        tap.diag(f"console log: {os.path.join(work, 'console.log')}")
    finally:
        vm.stop()
    if times:
        tap.diag(f"{len(times)} steps timed: {sum(times) / len(times) * 1000:.0f} ms per "
                 "commit and its acknowledgement")
    tap.diag(f"{time.time() - t_start:.0f} s in all")
    print(f"1..{tap.n}")
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
