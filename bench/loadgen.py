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
import ctypes
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

LEVELS = {
    # name: (idle processes K, fds per idle process F, established connections C)
    "small": (50, 10, 100),
    "medium": (500, 50, 5000),
    "large": (1500, 100, 20000),
}

RANGE_FIRST, RANGE_LAST = 5000, 5010
PORT_PLAIN = 5000
PORTS_MULTI = (5001, 5002)
PORT_IPV6 = 5003
PORT_SHARED = 5004

MAX_CONNS_PER_PROCESS = 2500  # < net.core.somaxconn (4096): the accept queue never overflows
READY_TIMEOUT = 180.0

PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15
PR_SET_CHILD_SUBREAPER = 36

_libc = ctypes.CDLL(None, use_errno=True)
_LINGER0 = struct.pack("ii", 1, 0)
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM)


class Stop(Exception):
    """Raised in the loadgen process by a stop signal or the ttl alarm."""


def log(msg):
    print(f"loadgen: {msg}", file=sys.stderr, flush=True)


def prctl(option, arg):
    if _libc.prctl(option, arg, 0, 0, 0) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"prctl({option}): {os.strerror(e)}")


def set_name(name):
    try:
        _libc.prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)
    except Exception:
        pass


def die_with_parent(expected_ppid):
    """PR_SET_PDEATHSIG=SIGKILL; exit if the parent already died before the prctl."""
    prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if os.getppid() != expected_ppid:
        os._exit(0)


def seconds_left(deadline):
    return max(1, int(math.ceil(deadline - time.monotonic())))


def raise_nofile():
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


def in_bench_range(port):
    return RANGE_FIRST <= port <= RANGE_LAST


# ---------------------------------------------------------------- children


def close_all_except(keep, maxfd):
    prev = 3
    for fd in sorted(k for k in keep if k >= 3):
        if fd > prev:
            os.closerange(prev, fd)
        prev = fd + 1
    os.closerange(prev, maxfd)


def child_setup(name, parent_pid, deadline, keep, maxfd):
    """First thing every child does after fork (signals are still blocked)."""
    gc.disable()
    for s in _STOP_SIGNALS + (signal.SIGCHLD,):
        signal.signal(s, signal.SIG_DFL)
    die_with_parent(parent_pid)
    signal.alarm(seconds_left(deadline))  # default SIGALRM action: terminate
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    set_name(name)
    close_all_except(keep, maxfd)
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        if null != fd:
            os.dup2(null, fd)
    if null > 2:
        os.close(null)


def report(ready_w, line):
    os.write(ready_w, (line + "\n").encode()[:4000])  # < PIPE_BUF: atomic
    os.close(ready_w)


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
            try:
                report(ctx.ready_w, f"E {os.getpid()} {name}: {type(e).__name__}: {e}")
            except BaseException:
                pass
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


def listener_body(sockets, ports, shared_child=False):
    def body(ready_w):
        if shared_child:
            me = os.getpid()
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    signal.signal(signal.SIGALRM, signal.SIG_DFL)
                    die_with_parent(me)
                    signal.alarm(seconds_left(DEADLINE[0]))
                    set_name("lg-shared-kid")
                    report(ready_w, f"R {os.getpid()} L {','.join(map(str, ports))}")
                    sleep_forever()
                except BaseException as e:
                    code = 1
                    try:
                        report(ready_w, f"E {os.getpid()} shared child: {e}")
                    except BaseException:
                        pass
                finally:
                    os._exit(code)
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


DEADLINE = [0.0]  # for the grandchild in listener_body


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


def make_range_listeners(skipped):
    """Bind the listeners in the parent; returns [(sockets, ports, shared)]."""

    def try_bind(family, addr, port):
        try:
            return bind_listener(family, addr, port)
        except OSError as e:
            why = "in use" if e.errno == errno.EADDRINUSE else f"{e.strerror}"
            skipped[str(port)] = why
            log(f"port {port} ({addr}) skipped: {why}")
            return None

    groups = []
    s = try_bind(socket.AF_INET, "127.0.0.1", PORT_PLAIN)
    if s:
        groups.append(([s], [PORT_PLAIN], False))
    pair = [(p, try_bind(socket.AF_INET, "127.0.0.1", p)) for p in PORTS_MULTI]
    pair = [(p, s) for p, s in pair if s]
    if pair:
        groups.append(([s for _, s in pair], [p for p, _ in pair], False))
    if socket.has_ipv6:
        s = try_bind(socket.AF_INET6, "::1", PORT_IPV6)
        if s:
            groups.append(([s], [PORT_IPV6], False))
    else:
        skipped[str(PORT_IPV6)] = "no IPv6 support"
    s = try_bind(socket.AF_INET, "127.0.0.1", PORT_SHARED)
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--level", choices=sorted(LEVELS), default="small")
    ap.add_argument("--ttl", type=float, default=600, help="seconds before everything stops by itself (default 600)")
    ap.add_argument("--idle", type=int, help="override K, the number of idle processes")
    ap.add_argument("--fds", type=int, help="override F, open fds per idle process")
    ap.add_argument("--conns", type=int, help="override C, established loopback connections")
    ap.add_argument("--no-listeners", action="store_true", help="do not open the 5000-5004 listeners")
    args = ap.parse_args()
    if args.ttl <= 0:
        ap.error("--ttl must be > 0")

    k, f, c = LEVELS[args.level]
    k = args.idle if args.idle is not None else k
    f = args.fds if args.fds is not None else f
    c = args.conns if args.conns is not None else c
    t0 = time.monotonic()
    deadline = t0 + args.ttl
    DEADLINE[0] = deadline

    # Die with our parent (e.g. run.py), and stop by ourselves at the deadline.
    die_with_parent(os.getppid())
    # Orphaned grandchildren (the 5004 child) come back to us, so we reap them.
    prctl(PR_SET_CHILD_SUBREAPER, 1)

    def on_signal(signum, _frame):
        raise Stop(signal.Signals(signum).name)

    for s in _STOP_SIGNALS:
        signal.signal(s, on_signal)
    signal.alarm(seconds_left(deadline))

    maxfd = raise_nofile()
    if f > maxfd - 8:
        log(f"F={f} exceeds the fd limit {maxfd}; using {maxfd - 8}")
        f = maxfd - 8
    per_proc = max(1, min(MAX_CONNS_PER_PROCESS, maxfd - 16))
    lo, hi = local_port_range()
    if c > (hi - lo + 1) * 0.9:
        log(f"warning: {c} connections vs local port range {lo}-{hi}")

    ready_r, ready_w = os.pipe()
    os.set_blocking(ready_r, False)
    ctx = Ctx(deadline, ready_w, maxfd)
    skipped = {}
    expected = 0
    gc.collect()
    gc.freeze()  # children do not touch (copy) the parent's objects
    block = set(_STOP_SIGNALS)
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, block)
        try:
            for _ in range(k):
                spawn(ctx, "lg-idle", idle_body(f))
                expected += 1
            remaining = c
            while remaining > 0:
                n = min(per_proc, remaining)
                ls = conn_listener()
                ls.listen(min(n + 16, 4096))
                port = ls.getsockname()[1]
                spawn(ctx, "lg-conn-srv", conn_server_body(ls, n), keep=[ls.fileno()])
                ls.close()
                spawn(ctx, "lg-conn-cli", conn_client_body(port, n))
                expected += 2
                remaining -= n
            if not args.no_listeners:
                for socks, ports, shared in make_range_listeners(skipped):
                    name = "lg-l" + "+".join(map(str, ports))
                    spawn(ctx, name, listener_body(socks, ports, shared), keep=[s.fileno() for s in socks])
                    for s in socks:
                        s.close()
                    expected += 2 if shared else 1
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, block)
        os.close(ready_w)

        # Wait for every process to report.
        listeners, conn_ports, errors = {}, [], []
        established = {"server": 0, "client": 0}
        buf = b""
        limit = time.monotonic() + min(READY_TIMEOUT, args.ttl)
        while len(ctx.reported) < expected and not errors:
            if time.monotonic() > limit:
                errors.append(f"timeout: {len(ctx.reported)} of {expected} processes ready")
                break
            r, _, _ = select.select([ready_r], [], [], 0.2)
            if r:
                chunk = os.read(ready_r, 65536)
                if not chunk:
                    errors.append("ready pipe closed early")
                    break
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    parts = line.decode(errors="replace").split(" ")
                    if parts[0] == "E":
                        errors.append(" ".join(parts[2:]))
                        continue
                    pid = int(parts[1])
                    ctx.reported[pid] = parts[2:]
                    if parts[2] == "L":
                        for p in parts[3].split(","):
                            listeners.setdefault(p, []).append(pid)
                    elif parts[2] == "S":
                        conn_ports.append(int(parts[3]))
                        established["server"] += int(parts[4])
                    elif parts[2] == "C":
                        established["client"] += int(parts[4])
            else:  # a child that died before reporting?
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    pid = 0
                if pid and pid not in ctx.reported:
                    errors.append(f"child {pid} exited early (status {status})")

        if errors:
            log("failed: " + "; ".join(errors[:5]))
            print(json.dumps({"ready": False, "level": args.level, "error": errors[0]}), flush=True)
            return 1

        for pids in listeners.values():
            pids.sort()
        info = {
            "ready": True,
            "level": args.level,
            "listeners": dict(sorted(listeners.items())),
            "pids": len(ctx.reported),
            "skipped": skipped,
            "idle": k,
            "fdsPerIdleProcess": f,
            "connections": established["client"],
            "acceptedConnections": established["server"],
            "connPorts": sorted(conn_ports),
            "loadgenPid": os.getpid(),
            "allPids": sorted(ctx.reported),
            "ttl": args.ttl,
            "deadlineEpoch": round(time.time() + (deadline - time.monotonic()), 3),
            "startupSeconds": round(time.monotonic() - t0, 3),
        }
        print(json.dumps(info), flush=True)
        log(
            f"ready: {args.level}, {len(ctx.reported)} processes, {established['client']} connections, "
            f"listeners {','.join(sorted(listeners))}, {info['startupSeconds']} s; stops in {args.ttl:g} s"
        )
        while time.monotonic() < deadline:
            time.sleep(min(60.0, max(0.05, deadline - time.monotonic())))
        log("ttl reached, stopping")
        return 0
    except Stop as e:
        log(f"{e}, stopping")
        return 0
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, block)
        kill_all(ctx)


if __name__ == "__main__":
    sys.exit(main())
