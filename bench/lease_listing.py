#!/usr/bin/env python3
"""`portdash leases --json` with many leases and many TIME_WAITs, against
`ss -ltn`, as whole processes (not part of swift test).

    python3 bench/lease_listing.py [--portdash PATH] [--baseline PATH] [--leases 1000]
                                   [--time-waits 10000] [--runs 15]

1. A state file of --leases TTL leases (no owner process: their status asks
   whether something listens on their port) on ports 40000 and up.
2. --time-waits server-side TIME_WAITs on loopback: a listener on a port this
   script found free (outside 5000-5010) accepts each connection and closes it
   first; the client (from 127.0.1.1 and up) reads the end of stream and closes. They last 60 s, so
   they are topped up before every round; each round checks the count with
   sock_diag's view as `ss -tan state time-wait` prints it.
3. Alternating whole-process runs (A B A B …, the first one rotating): portdash
   `leases --json` (and --baseline, an older binary, when given) against
   `ss -ltn`; medians, and the median of the ratios pair by pair.
Prints one line per command and one JSON line at the end.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib.binary import BUILD_COMMAND, BinaryNotFound, display_path, find_portdash
from benchlib.ports import port_is_free
from benchlib.timing import run_timed

FIRST_LEASE_PORT = 40000
RUN_TIMEOUT = 300


def free_port():
    """A free port from 21000 up, never 5000-5010."""
    for port in range(21000, 32000, 7):
        if port_is_free(port):
            return port
    sys.exit("lease_listing.py: no free port for the TIME_WAIT listener")


def write_state(path, count):
    """`count` TTL leases, an hour to go, in the state file's documented shape (docs/state-file.md)."""
    now = int(time.time())
    leases = [{"service": f"s{i}", "port": FIRST_LEASE_PORT + i, "kind": "lease", "granted": now,
               "expires": now + 3600, "ttl": 3600} for i in range(count)]
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    with open(path, "w") as f:
        json.dump({"version": 2, "leases": leases, "lastUsed": []}, f)
    os.chmod(path, 0o600)


def time_wait_count(port):
    """Server-side TIME_WAITs on `port`, as ss counts them."""
    out = subprocess.run(["ss", "-Htan", "state", "time-wait", f"sport = :{port}"], capture_output=True, text=True).stdout
    return sum(1 for line in out.splitlines() if line.strip())


def top_up(listener, port, want):
    """Adds server-side TIME_WAITs on `port` until `want` are there. Clients
    bind source addresses 127.0.1.1 and up in turn: a new connection whose
    4-tuple matched a TIME_WAIT would recycle it (a SYN ends a TIME_WAIT)."""
    for _ in range(10):
        missing = want - time_wait_count(port)
        if missing <= 0:
            break
        for i in range(missing):
            c = socket.socket()
            c.bind((f"127.0.{1 + i // 250 % 250}.{1 + i % 250}", 0))
            c.connect(("127.0.0.1", port))
            s, _ = listener.accept()
            s.close()  # the server closes first: the TIME_WAIT is on its port
            c.recv(1)  # end of stream
            c.close()
    return time_wait_count(port)


def measure(cmds, env, tmp, runs, listener, port, want):
    ms = {name: [] for name, _ in cmds}
    seen = []
    for r in range(runs + 1):  # round 0 warms up
        seen.append(top_up(listener, port, want))
        order = cmds[r % len(cmds):] + cmds[:r % len(cmds)]
        for name, argv in order:
            t, code = run_timed(argv, env, os.path.join(tmp, name + ".out"), os.path.join(tmp, name + ".err"), RUN_TIMEOUT)
            if code != 0:
                sys.exit(f"lease_listing.py: {name} exited {code}: {open(os.path.join(tmp, name + '.err')).read()[:500]}")
            if r > 0:
                ms[name].append(t)
    return ms, min(seen)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--portdash")
    ap.add_argument("--baseline", help="an older portdash binary, timed alongside")
    ap.add_argument("--leases", type=int, default=1000)
    ap.add_argument("--time-waits", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=15)
    a = ap.parse_args()
    try:
        portdash = find_portdash(a.portdash)
    except BinaryNotFound as e:
        sys.exit(f"lease_listing.py: {e}\n  build it first ({BUILD_COMMAND}) or pass --portdash PATH")
    tmp = tempfile.mkdtemp(prefix="portdash-lease-listing-")
    state = os.path.join(tmp, "state", "leases.json")
    write_state(state, a.leases)
    env = dict(os.environ, PORTDASH_STATE=state)
    cmds = [("portdash", [portdash, "leases", "--json"])]
    if a.baseline:
        cmds.append(("baseline", [os.path.abspath(a.baseline), "leases", "--json"]))
    cmds.append(("ss", [shutil.which("ss"), "-ltn"]))
    port = free_port()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(128)
    try:
        listed = json.loads(subprocess.run(cmds[0][1], env=env, capture_output=True, text=True).stdout)["leases"]
        if len(listed) != a.leases:
            sys.exit(f"lease_listing.py: leases --json listed {len(listed)} leases, not {a.leases}")
        ms, fewest = measure(cmds, env, tmp, a.runs, listener, port, a.time_waits)
        result = {"leases": a.leases, "timeWaitsAtLeast": fewest, "timeWaitPort": port, "runs": a.runs}
        print(f"{a.leases} leases, at least {fewest} TIME_WAITs on 127.0.0.1:{port}, {a.runs} alternating rounds, "
              f"binary {display_path(portdash)}")
        for name, argv in cmds:
            med = statistics.median(ms[name])
            line = f"  {' '.join([os.path.basename(argv[0])] + argv[1:])}: median {med:.1f} ms (min {min(ms[name]):.1f}, max {max(ms[name]):.1f})"
            if name != "ss":
                ratios = [x / y for x, y in zip(ms[name], ms["ss"]) if y]
                line += f", {statistics.median(ratios):.2f}x ss -ltn (pairwise median)"
                result[name + "RatioToSs"] = round(statistics.median(ratios), 3)
            result[name + "MedianMs"] = round(med, 2)
            print(line)
        print(json.dumps(result))
    finally:
        listener.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
