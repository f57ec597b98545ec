#!/usr/bin/env python3
"""`binds` figures for docs/speed.md: what seccomp user notification costs a
service, and what a forwarder (pasta, the network-namespace candidate)
would cost instead.

  1. connect(2): N connections in one process, with and without the filter —
     to a moved port (portdash performs the call) and to a port not moved
     (the kernel carries it on) — µs per call.
  2. wrk against a node server that binds its port itself under `run --binds`,
     against the same server on the leased port with no filter, and (when
     pasta is installed) through `pasta -t` into a network namespace.
Rounds alternate A, B, C so that a drifting machine affects each alike.

    PORTDASH=.build/release/portdash python3 bench/binds.py [--rounds 3] [--base 31600]
"""
import argparse, os, re, shutil, socket, subprocess, sys, tempfile, time

CONNECTS = r'''
import socket, sys, threading, time
n, listen_port, target, other = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", listen_port)); s.listen(512)
o = socket.socket(); o.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
o.bind(("127.0.0.1", other)); o.listen(512)
def drain(l):
    while True:
        c, _ = l.accept(); c.close()
for l in (s, o): threading.Thread(target=drain, args=(l,), daemon=True).start()
def run(port):
    t = time.perf_counter()
    for _ in range(n):
        c = socket.socket(); c.connect(("127.0.0.1", port)); c.close()
    return (time.perf_counter() - t) / n * 1e6
run(target); run(other)
print("moved %.1f other %.1f" % (run(target), run(other)), flush=True)
'''

NODE = "require('http').createServer((q, r) => r.end('ok')).listen(+process.argv[1], '127.0.0.1')"
MARKER = f"bench-binds-{os.getpid()}"


def env(d):
    return dict(os.environ, PORTDASH_STATE=os.path.join(d, "state.json"), XDG_RUNTIME_DIR=d)


def wait_port(port, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def connects(exe, d, base, n, filtered):
    script = os.path.join(d, "connects.py")
    open(script, "w").write(CONNECTS)
    if filtered:  # binds 7000 → base: the program names 7000, portdash moves its bind and its connects
        argv = [exe, "run", "--range", f"{base}-{base + 1}", "c", "--binds", "7000", "--", "python3", script, str(n), "7000", "7000", str(base + 1)]
    else:
        argv = ["python3", script, str(n), str(base), str(base), str(base + 1)]
    out = subprocess.run(argv, env=env(d), capture_output=True, text=True, timeout=300).stdout
    m = re.search(r"moved ([\d.]+) other ([\d.]+)", out)
    return (float(m.group(1)), float(m.group(2))) if m else None


def wrk(port, seconds):
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{port}/"],
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    return rps, float(p99.group(1)) * scale


def served(argv, port, d, seconds):
    p = subprocess.Popen(argv, env=env(d), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        if not wait_port(port):
            return None
        return wrk(port, seconds)
    finally:
        os.killpg(p.pid, 15)
        p.wait()
        # pasta's child lives in namespaces of its own, out of our process group's reach.
        subprocess.run(["pkill", "-KILL", "-f", MARKER])  # as init of its pid namespace it ignores TERM
        time.sleep(0.3)


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--rounds", type=int, default=3)
    a.add_argument("--base", type=int, default=31600)
    a.add_argument("--connects", type=int, default=5000)
    a.add_argument("--seconds", type=int, default=5)
    o = a.parse_args()
    exe = os.environ.get("PORTDASH", ".build/release/portdash")
    pasta = shutil.which("pasta")
    with tempfile.TemporaryDirectory() as d:
        rows = {"plain": [], "filtered": []}
        # A fresh pair of ports each time: the connections' TIME_WAIT keeps the last pair from a clean bind probe.
        for r in range(o.rounds):
            for i, kind in enumerate(("plain", "filtered")):
                rows[kind].append(connects(exe, d, o.base + 100 + 4 * (2 * r + i), o.connects, kind == "filtered"))
        for kind, xs in rows.items():
            xs = [x for x in xs if x]
            print(f"connect µs/call {kind:8}: moved port {sorted(x[0] for x in xs)}, port not moved {sorted(x[1] for x in xs)}")
        node = shutil.which("node")
        web = {"no filter": [], "run --binds": [], "pasta -t": []}
        runas = ["--runas", "0"] if os.geteuid() == 0 else []  # as root pasta would change to nobody, who cannot map users here
        for r in range(o.rounds):
            for i, kind in enumerate(web):
                port = o.base + 200 + 4 * (3 * r + i)  # fresh: TIME_WAIT keeps a used port from a clean bind probe
                argv = {"no filter": [node, "-e", NODE, str(port), MARKER],
                        "run --binds": [exe, "run", "--range", f"{port}-{port + 1}", "w", "--binds", "7000", "--", node, "-e", NODE, "7000", MARKER],
                        "pasta -t": [pasta, *runas, "--config-net", "-q", "-f", "-t", f"{port}:7000", "--", node, "-e", NODE, "7000", MARKER] if pasta else None}[kind]
                if argv:
                    web[kind].append(served(argv, port, d, o.seconds))
        for kind, xs in web.items():
            xs = [x for x in xs if x]
            if xs:
                print(f"wrk -t2 -c32 {kind:12}: req/s {sorted(round(x[0]) for x in xs)}, p99 ms {sorted(x[1] for x in xs)}")


if __name__ == "__main__":
    main()
