#!/usr/bin/env python3
"""Supervision figures for docs/speed.md: a 400-process fork storm (setsid'd,
TERM ignored) stopped by Ctrl-C — seconds from SIGINT to `up`'s exit with an
empty group, and processes left — and Ctrl-C latency while a service runs
`yes` into a pipe that is read, and into one nobody reads.

    PORTDASH=.build/release/portdash python3 bench/supervision.py [--rounds 3] [--base 31500]
"""
import argparse, os, signal, subprocess, sys, tempfile, time

STORM = open(os.path.join(os.path.dirname(__file__), "..", "Tests", "PortDashEndToEndTests", "SupervisionTests.swift")).read()
STORM = STORM[STORM.index('let stormScript = """') + 22:]
STORM = "\n".join(l[4:] for l in STORM[:STORM.index('    """')].split("\n"))


def marked(marker):
    n = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in open(f"/proc/{pid}/cmdline", "rb").read() and open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z":
                n += 1
        except OSError:
            pass
    return n


def up(exe, d, port, mode, toml, stdout):
    open(os.path.join(d, "portdash.toml"), "w").write(toml)
    env = dict(os.environ, PORTDASH_STATE=os.path.join(d, "state.json"), PORTDASH_SUPERVISION=mode, XDG_RUNTIME_DIR=d)
    return subprocess.Popen([exe, "up", "--range", f"{port}-{port + 3}", "--grace", "1"], cwd=d, env=env,
                            stdout=stdout, stderr=subprocess.DEVNULL, start_new_session=True)


def storm(exe, port, mode):
    with tempfile.TemporaryDirectory() as d:
        marker = f"bench-storm-{os.getpid()}-{mode}"
        open(os.path.join(d, "storm.py"), "w").write(STORM)
        p = up(exe, d, port, mode, f'[services.storm]\ncommand = "python3 storm.py {marker} 200"\nready = "none"\n', subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while marked(marker) < 400 and time.monotonic() < deadline:
            time.sleep(0.05)
        count = marked(marker)
        t0 = time.monotonic()
        os.killpg(p.pid, signal.SIGINT)
        p.wait()
        return count, time.monotonic() - t0, marked(marker)


def loud(exe, port, mode, read):
    with tempfile.TemporaryDirectory() as d:
        r, w = os.pipe()
        p = up(exe, d, port, mode, '[services.loud]\ncommand = "exec yes"\nready = "none"\n', w)
        os.close(w)
        reader = subprocess.Popen(["cat"], stdin=r, stdout=subprocess.DEVNULL) if read else None
        time.sleep(2)
        t0 = time.monotonic()
        os.killpg(p.pid, signal.SIGINT)
        p.wait()
        dt = time.monotonic() - t0
        os.close(r)
        if reader:
            reader.wait()
        return dt


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--rounds", type=int, default=3)
    a.add_argument("--base", type=int, default=31500)
    args = a.parse_args()
    exe = os.path.abspath(os.environ.get("PORTDASH", ".build/release/portdash"))
    modes = ["cgroup", "pidfd"] if os.geteuid() == 0 else ["pidfd"]
    for i in range(args.rounds):
        for mode in modes:
            n, dt, left = storm(exe, args.base, mode)
            print(f"storm  {mode:6} round {i + 1}: {n} processes, Ctrl-C to exit {dt * 1000:.0f} ms, left {left}", flush=True)
            for read in (True, False):
                dt = loud(exe, args.base, mode, read)
                print(f"yes    {mode:6} round {i + 1}: stdout {'read' if read else 'unread'}, Ctrl-C to exit {dt * 1000:.0f} ms", flush=True)


if __name__ == "__main__":
    sys.exit(main())
