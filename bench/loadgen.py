#!/usr/bin/env python3
"""Bounded, loopback-only, self-stopping load for the portdash benchmark.

    python3 bench/loadgen.py --level small --ttl 300

Starts, by os.fork():
  * K idle processes, each with exactly F open fds (ls /proc/PID/fd | wc -l == F):
    0-2 on /dev/null, one pipe, one AF_UNIX socketpair, the rest /dev/null;
  * C established TCP connections on 127.0.0.1, both ends kept open, spread over
    pairs of processes (one accepting server, one client; at most 2,500
    connections per process).  The server port is chosen by the kernel
    (ephemeral range) and is never in 5000-5010; the listener is closed once all
    connections are accepted, so only ESTABLISHED sockets remain;
  * listeners in the benchmark range, all loopback:
      5000        plain listener, 127.0.0.1
      5001, 5002  one process listening on both, 127.0.0.1
      5003        IPv6 listener on ::1 (IPV6_V6ONLY)
      5004        one socket shared by a parent and its forked child, 127.0.0.1
    A port that is already in use is skipped, and reported on stderr and in
    "skipped".

When everything is in place it prints one JSON line on stdout
({"ready": true, ...}) and stays in the foreground until SIGTERM/SIGINT/SIGHUP
or --ttl seconds, then kills everything it started.

Nothing outlives the time limit, even if this process or its parent is killed
with SIGKILL:
  * loadgen itself sets PR_SET_PDEATHSIG=SIGKILL (it dies with its parent,
    e.g. bench/run.py) and has its own alarm(ttl);
  * every child sets PR_SET_PDEATHSIG=SIGKILL (dies with its parent) and
    alarm(remaining ttl) with the default SIGALRM action (terminate);
  * all TCP sockets use SO_LINGER {on, 0}, so closing them sends RST and leaves
    no TIME_WAIT behind to skew the next run.

Level sizes (idle processes K, fds per idle process F, connections C):
  small 50/10/100, medium 500/50/5000, large 1500/100/20000.
Python 3 standard library only; Linux only.
"""

import argparse
import errno
import gc
import json
import math
import os
import resource
import select
import signal
import socket
import struct
import sys
import time

from benchlib.config import LEVEL_SIZES, in_bench_range
from benchlib.prctl import become_child_subreaper, die_with_parent, set_process_name

PORT_PLAIN = 5000
PORTS_MULTI = (5001, 5002)
PORT_IPV6 = 5003
PORT_SHARED = 5004

MAX_CONNS_PER_PROCESS = 2500  # < net.core.somaxconn (4096): the accept queue never overflows
READY_TIMEOUT = 180.0

_LINGER0 = struct.pack("ii", 1, 0)
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM)


class Stop(Exception):
    """Raised in the loadgen process by a stop signal or the ttl alarm."""


def log(msg):
    print(f"loadgen: {msg}", file=sys.stderr, flush=True)


def seconds_left(deadline):
    return max(1, int(math.ceil(deadline - time.monotonic())))


def raise_nofile():
    """Raises RLIMIT_NOFILE as far as allowed; returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    elif hard == resource.RLIM_INFINITY and soft < 1 << 20:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (1 << 20, hard))
            soft = 1 << 20
        except (ValueError, OSError):
            pass
    return soft


def local_port_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = f.read().split()
        return int(lo), int(hi)
    except (OSError, ValueError):
        return 32768, 60999


# ---------------------------------------------------------------- children


def close_all_except(keep, maxfd):
    prev = 3
    for fd in sorted(k for k in keep if k >= 3):
        if fd > prev:
            os.closerange(prev, fd)
        prev = fd + 1
    os.closerange(prev, maxfd)


def std_fds_to_null():
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        if null != fd:
            os.dup2(null, fd)
    if null > 2:
        os.close(null)


def child_setup(name, parent_pid, deadline, keep, maxfd):
    """First thing every child does after fork (signals are still blocked)."""
    gc.disable()
    for s in _STOP_SIGNALS + (signal.SIGCHLD,):
        signal.signal(s, signal.SIG_DFL)
    die_with_parent(parent_pid, signal.SIGKILL)
    signal.alarm(seconds_left(deadline))  # default SIGALRM action: terminate
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    set_process_name(name)
    close_all_except(keep, maxfd)
    std_fds_to_null()


def report(ready_w, line):
    os.write(ready_w, (line + "\n").encode()[:4000])  # < PIPE_BUF: atomic
    os.close(ready_w)


def report_error(ready_w, text):
    """Best effort: the child is failing anyway."""
    try:
        report(ready_w, f"E {os.getpid()} {text}")
    except BaseException:
        pass


def sleep_forever():
    while True:
        signal.pause()


def spawn(ctx, name, body, keep=()):
    """Fork a child that runs body(ready_w) after child_setup; returns its pid."""
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            child_setup(name, parent, ctx.deadline, tuple(keep) + (ctx.ready_w,), ctx.maxfd)
            body(ctx.ready_w)
        except BaseException as e:  # never fall back into the parent's code
            code = 1
            report_error(ctx.ready_w, f"{name}: {type(e).__name__}: {e}")
        finally:
            os._exit(code)
    ctx.children.append(pid)
    return pid


def idle_body(fds):
    def body(ready_w):
        held = []
        extra = max(0, fds - 3)  # 0, 1, 2 already count
        if extra >= 2:
            held.extend(os.pipe())
            extra -= 2
        if extra >= 2:
            held.extend(socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM))
            extra -= 2
        for _ in range(extra):
            held.append(os.open("/dev/null", os.O_RDONLY))
        report(ready_w, f"R {os.getpid()} I")
        sleep_forever()

    return body


def fork_shared_child(ready_w, ports, deadline):
    """A child of the listener that inherits (shares) its sockets and reports itself."""
    me = os.getpid()
    if os.fork() != 0:
        return
    code = 0
    try:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        die_with_parent(me, signal.SIGKILL)
        signal.alarm(seconds_left(deadline))
        set_process_name("lg-shared-kid")
        report(ready_w, f"R {os.getpid()} L {','.join(map(str, ports))}")
        sleep_forever()
    except BaseException as e:
        code = 1
        report_error(ready_w, f"shared child: {e}")
    finally:
        os._exit(code)


def listener_body(ports, deadline, shared_child=False):
    """The listening sockets are inherited: the body only reports and sleeps."""

    def body(ready_w):
        if shared_child:
            fork_shared_child(ready_w, ports, deadline)
        report(ready_w, f"R {os.getpid()} L {','.join(map(str, ports))}")
        sleep_forever()

    return body


def conn_server_body(lsock, n):
    def body(ready_w):
        held = []
        while len(held) < n:
            conn, peer = lsock.accept()
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER0)
            if in_bench_range(peer[1]):
                conn.close()  # the client drops it too
                continue
            held.append(conn)
        port = lsock.getsockname()[1]
        lsock.close()  # only ESTABLISHED sockets remain
        report(ready_w, f"R {os.getpid()} S {port} {len(held)}")
        sleep_forever()

    return body


def conn_client_body(port, n):
    def body(ready_w):
        held = []
        while len(held) < n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER0)
            s.connect(("127.0.0.1", port))
            if in_bench_range(s.getsockname()[1]):
                s.close()
                continue
            held.append(s)
        report(ready_w, f"R {os.getpid()} C {port} {len(held)}")
        sleep_forever()

    return body


# ---------------------------------------------------------------- parent


class Ctx:
    def __init__(self, deadline, ready_w, maxfd):
        self.deadline = deadline
        self.ready_w = ready_w
        self.maxfd = maxfd
        self.children = []  # direct children
        self.reported = {}  # pid -> message


def bind_listener(family, addr, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port))
        s.listen(128)
        return s
    except OSError:
        s.close()
        raise


def try_bind(family, addr, port, skipped):
    """A listener, or None with the reason in `skipped` (and on stderr)."""
    try:
        return bind_listener(family, addr, port)
    except OSError as e:
        why = "in use" if e.errno == errno.EADDRINUSE else f"{e.strerror}"
        skipped[str(port)] = why
        log(f"port {port} ({addr}) skipped: {why}")
        return None


def make_range_listeners(skipped):
    """Bind the listeners in the parent; returns [(sockets, ports, shared)]."""
    groups = []
    s = try_bind(socket.AF_INET, "127.0.0.1", PORT_PLAIN, skipped)
    if s:
        groups.append(([s], [PORT_PLAIN], False))
    pair = [(p, try_bind(socket.AF_INET, "127.0.0.1", p, skipped)) for p in PORTS_MULTI]
    pair = [(p, s) for p, s in pair if s]
    if pair:
        groups.append(([s for _, s in pair], [p for p, _ in pair], False))
    if socket.has_ipv6:
        s = try_bind(socket.AF_INET6, "::1", PORT_IPV6, skipped)
        if s:
            groups.append(([s], [PORT_IPV6], False))
    else:
        skipped[str(PORT_IPV6)] = "no IPv6 support"
    s = try_bind(socket.AF_INET, "127.0.0.1", PORT_SHARED, skipped)
    if s:
        groups.append(([s], [PORT_SHARED], True))
    return groups


def conn_listener():
    """A 127.0.0.1 listener on a kernel-chosen port outside 5000-5010."""
    for _ in range(100):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        if not in_bench_range(s.getsockname()[1]):
            return s
        s.close()
    raise RuntimeError("kernel keeps choosing ports in 5000-5010; check ip_local_port_range")


def kill_all(ctx):
    pids = set(ctx.children) | set(ctx.reported)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in ctx.children:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    while True:  # re-parented grandchildren (we are a child subreaper)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break


# ---------------------------------------------------------------- start-up


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--level", choices=sorted(LEVEL_SIZES), default="small")
    ap.add_argument("--ttl", type=float, default=600, help="seconds before everything stops by itself (default 600)")
    ap.add_argument("--idle", type=int, help="override K, the number of idle processes")
    ap.add_argument("--fds", type=int, help="override F, open fds per idle process")
    ap.add_argument("--conns", type=int, help="override C, established loopback connections")
    ap.add_argument("--no-listeners", action="store_true", help="do not open the 5000-5004 listeners")
    args = ap.parse_args()
    if args.ttl <= 0:
        ap.error("--ttl must be > 0")
    k, f, c = LEVEL_SIZES[args.level]
    args.idle = k if args.idle is None else args.idle
    args.fds = f if args.fds is None else args.fds
    args.conns = c if args.conns is None else args.conns
    return args


def guard_self(deadline):
    """Die with our parent (e.g. run.py), stop by ourselves at the deadline,
    and reap orphaned grandchildren (the 5004 child)."""
    die_with_parent(os.getppid(), signal.SIGKILL)
    become_child_subreaper()

    def on_signal(signum, _frame):
        raise Stop(signal.Signals(signum).name)

    for s in _STOP_SIGNALS:
        signal.signal(s, on_signal)
    signal.alarm(seconds_left(deadline))


def fit_to_limits(args, maxfd):
    """Cuts F to the fd limit, warns about too many connections; returns the
    most connections one process may hold."""
    if args.fds > maxfd - 8:
        log(f"F={args.fds} exceeds the fd limit {maxfd}; using {maxfd - 8}")
        args.fds = maxfd - 8
    lo, hi = local_port_range()
    if args.conns > (hi - lo + 1) * 0.9:
        log(f"warning: {args.conns} connections vs local port range {lo}-{hi}")
    return max(1, min(MAX_CONNS_PER_PROCESS, maxfd - 16))


def spawn_connections(ctx, conns, per_proc):
    """Pairs of server and client processes holding `conns` connections; returns the processes started."""
    started, remaining = 0, conns
    while remaining > 0:
        n = min(per_proc, remaining)
        ls = conn_listener()
        ls.listen(min(n + 16, 4096))
        port = ls.getsockname()[1]
        spawn(ctx, "lg-conn-srv", conn_server_body(ls, n), keep=[ls.fileno()])
        ls.close()
        spawn(ctx, "lg-conn-cli", conn_client_body(port, n))
        started += 2
        remaining -= n
    return started


def spawn_listeners(ctx, skipped):
    """The range listeners; returns how many processes will report (the shared one twice)."""
    expected = 0
    for socks, ports, shared in make_range_listeners(skipped):
        name = "lg-l" + "+".join(map(str, ports))
        spawn(ctx, name, listener_body(ports, ctx.deadline, shared), keep=[s.fileno() for s in socks])
        for s in socks:
            s.close()
        expected += 2 if shared else 1
    return expected


def spawn_everything(ctx, args, per_proc, skipped):
    """Forks the whole load with the stop signals blocked; returns how many processes will report."""
    block = set(_STOP_SIGNALS)
    signal.pthread_sigmask(signal.SIG_BLOCK, block)
    try:
        for _ in range(args.idle):
            spawn(ctx, "lg-idle", idle_body(args.fds))
        expected = args.idle + spawn_connections(ctx, args.conns, per_proc)
        if not args.no_listeners:
            expected += spawn_listeners(ctx, skipped)
        return expected
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, block)


# ---------------------------------------------------------------- ready


class Reports:
    """What the children said on the ready pipe."""

    def __init__(self):
        self.listeners = {}  # port (str) -> [pids]
        self.conn_ports = []
        self.established = {"server": 0, "client": 0}
        self.errors = []

    def add(self, ctx, line):
        parts = line.decode(errors="replace").split(" ")
        if parts[0] == "E":
            self.errors.append(" ".join(parts[2:]))
            return
        pid = int(parts[1])
        ctx.reported[pid] = parts[2:]
        if parts[2] == "L":
            for p in parts[3].split(","):
                self.listeners.setdefault(p, []).append(pid)
        elif parts[2] == "S":
            self.conn_ports.append(int(parts[3]))
            self.established["server"] += int(parts[4])
        elif parts[2] == "C":
            self.established["client"] += int(parts[4])


def child_died_early(ctx):
    """An error if a child exited before it reported, else None."""
    try:
        pid, status = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return None
    if pid and pid not in ctx.reported:
        return f"child {pid} exited early (status {status})"
    return None


def collect_reports(ctx, ready_r, expected, limit):
    """Reads the ready pipe until every process has reported, one failed, or `limit` (monotonic)."""
    reports, buf = Reports(), b""
    while len(ctx.reported) < expected and not reports.errors:
        if time.monotonic() > limit:
            reports.errors.append(f"timeout: {len(ctx.reported)} of {expected} processes ready")
            break
        if not select.select([ready_r], [], [], 0.2)[0]:
            died = child_died_early(ctx)
            if died:
                reports.errors.append(died)
            continue
        chunk = os.read(ready_r, 65536)
        if not chunk:
            reports.errors.append("ready pipe closed early")
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            reports.add(ctx, line)
    return reports


def ready_info(args, ctx, reports, skipped, t0, deadline):
    """The one JSON line run.py waits for."""
    for pids in reports.listeners.values():
        pids.sort()
    return {
        "ready": True,
        "level": args.level,
        "listeners": dict(sorted(reports.listeners.items())),
        "pids": len(ctx.reported),
        "skipped": skipped,
        "idle": args.idle,
        "fdsPerIdleProcess": args.fds,
        "connections": reports.established["client"],
        "acceptedConnections": reports.established["server"],
        "connPorts": sorted(reports.conn_ports),
        "loadgenPid": os.getpid(),
        "allPids": sorted(ctx.reported),
        "ttl": args.ttl,
        "deadlineEpoch": round(time.time() + (deadline - time.monotonic()), 3),
        "startupSeconds": round(time.monotonic() - t0, 3),
    }


def stay_until(deadline):
    """Holds the load until the deadline (the alarm set for it is the backstop)."""
    while time.monotonic() < deadline:
        time.sleep(min(60.0, max(0.05, deadline - time.monotonic())))


def start_and_report(args, ctx, ready_r, per_proc, t0):
    """Starts the load, prints the ready line (or the failure); returns the exit code."""
    skipped = {}
    expected = spawn_everything(ctx, args, per_proc, skipped)
    os.close(ctx.ready_w)
    reports = collect_reports(ctx, ready_r, expected, time.monotonic() + min(READY_TIMEOUT, args.ttl))
    if reports.errors:
        log("failed: " + "; ".join(reports.errors[:5]))
        print(json.dumps({"ready": False, "level": args.level, "error": reports.errors[0]}), flush=True)
        return 1
    info = ready_info(args, ctx, reports, skipped, t0, ctx.deadline)
    print(json.dumps(info), flush=True)
    log(
        f"ready: {args.level}, {len(ctx.reported)} processes, {info['connections']} connections, "
        f"listeners {','.join(sorted(reports.listeners))}, {info['startupSeconds']} s; stops in {args.ttl:g} s"
    )
    stay_until(ctx.deadline)
    log("ttl reached, stopping")
    return 0


def main():
    args = parse_args()
    t0 = time.monotonic()
    deadline = t0 + args.ttl
    guard_self(deadline)
    maxfd = raise_nofile()
    per_proc = fit_to_limits(args, maxfd)

    ready_r, ready_w = os.pipe()
    os.set_blocking(ready_r, False)
    ctx = Ctx(deadline, ready_w, maxfd)
    gc.collect()
    gc.freeze()  # children do not touch (copy) the parent's objects
    try:
        return start_and_report(args, ctx, ready_r, per_proc, t0)
    except Stop as e:
        log(f"{e}, stopping")
        return 0
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, set(_STOP_SIGNALS))
        kill_all(ctx)


if __name__ == "__main__":
    sys.exit(main())
