#!/usr/bin/env python3
"""Lease engine under load, with the release binary (not part of swift test).

  python3 bench/leases.py [--portdash PATH] [--reps 10]    (default: the release build)

1. 50 `portdash lease sN` started at the same moment on an 11-port range,
   repeated --reps times, each on a fresh state file: how many succeed, with
   how many distinct ports, how many fail and how, and whether the file
   parses with exactly the granted leases.
2. kill -9 at random moments of `lease`/`release` calls: after every call the
   file must parse and hold every outcome that was reported (exit 0).
3. Whole-process time of `portdash lease NAME` (renewal) and of a first grant:
   median of --runs runs.
Ports: a run of 11 free ports found by binding, never 5000-5010.
"""
import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib.binary import BUILD_COMMAND, BinaryNotFound, display_path, find_portdash
from benchlib.ports import port_is_free

AT_ONCE = 50  # concurrent `portdash lease` calls per repetition
RUN_LENGTH = 11  # ports in the range
SERVICES = 8  # service names the kill rounds pick from
EXIT_NO_SUCH_LEASE = 66  # `portdash release` of a service that holds no lease


def free_run(n=RUN_LENGTH):
    """(first, last) of n consecutive free ports from 21000 up, never 5000-5010."""
    for base in range(21000, 32000, 37):
        if all(port_is_free(p) for p in range(base, base + n)):
            return base, base + n - 1
    sys.exit("no free run of ports")


def load(path):
    with open(path) as f:
        return json.load(f)


def start(portdash, args, env, stderr=subprocess.PIPE):
    return subprocess.Popen([portdash, *args], env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)


def finish(proc):
    """(exit code, stdout, stderr), stripped; waits, and closes the pipes."""
    with proc:
        out, err = proc.communicate()
    return proc.returncode, (out or "").strip(), (err or "").strip()


def quiet(portdash, args, env):
    subprocess.run([portdash, *args], env=env, capture_output=True)


def fifty_at_once(portdash, rng, state, rep):
    """AT_ONCE `portdash lease sN` started together on a fresh state file; prints one line."""
    env = dict(os.environ, PORTDASH_STATE=state)
    procs = [start(portdash, ["lease", f"s{i}", "--range", rng], env) for i in range(AT_ONCE)]
    res = [finish(p) for p in procs]
    ok = [int(o) for c, o, _ in res if c == 0]
    codes = sorted({c for c, _, _ in res if c != 0})
    one_line = all(e.count("\n") == 0 for c, _, e in res if c != 0)
    stored = sorted(l["port"] for l in load(state)["leases"])
    print(f"{AT_ONCE} at once, rep {rep + 1}: {len(ok)} granted, {len(set(ok))} distinct ports, "
          f"{AT_ONCE - len(ok)} failed (exit {codes}, one-line errors: {one_line}), "
          f"file parses with {len(stored)} leases, matching grants: {stored == sorted(ok)}")


def kill_window(portdash, rng, env):
    """1.5 times one renewal's wall time: kills land anywhere in a call."""
    quiet(portdash, ["lease", "warm", "--range", rng], env)
    t0 = time.monotonic()
    quiet(portdash, ["lease", "warm", "--range", rng], env)
    return max(0.002, (time.monotonic() - t0) * 1.5)


def lost_outcomes(state, known):
    """(checks made, outcomes the file lost or 1 if it does not parse); prints each loss."""
    try:
        doc = load(state)
    except Exception as e:
        print("FILE DOES NOT PARSE:", e)
        return 0, 1
    held = {l["service"]: l["port"] for l in doc["leases"]}
    lost = 0
    for s, port in known.items():
        if held.get(s) != port:
            lost += 1
            print(f"LOST: {s} should be {port}, file has {held.get(s)}")
    return len(known), lost


def kill_one_call(portdash, rng, env, releasing, svc, window):
    """One lease/release call, SIGKILLed at a random moment: (exit code, stdout)."""
    p = start(portdash, ["release" if releasing else "lease", svc, "--range", rng], env, stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(0, window))  # the random moment is the experiment, not a wait
    p.send_signal(signal.SIGKILL)
    code, out, _ = finish(p)
    return code, out


def kill_during_writes(portdash, rng, state, rounds):
    """kill -9 at random moments; after every call the file must hold every reported outcome."""
    env = dict(os.environ, PORTDASH_STATE=state)
    window = kill_window(portdash, rng, env)
    known, killed, done, checks, bad = {}, 0, 0, 0, 0
    for r in range(rounds):
        svc = f"s{random.randrange(SERVICES)}"
        releasing = r % 3 == 2
        code, out = kill_one_call(portdash, rng, env, releasing, svc, window)
        if code == -9:
            killed += 1
            known.pop(svc, None)
        elif code == 0:
            done += 1
            known[svc] = None if releasing else int(out)
        elif code == EXIT_NO_SUCH_LEASE and releasing:
            done += 1
            known[svc] = None
        n, lost = lost_outcomes(state, known)
        checks, bad = checks + n, bad + lost
    print(f"kill -9 during writes: {rounds} calls, {killed} killed mid-way, {done} completed; "
          f"{checks} reported outcomes re-checked after each call, {bad} lost or unparsable")


def wall_ms(portdash, args, env):
    t0 = time.perf_counter()
    quiet(portdash, args, env)
    return (time.perf_counter() - t0) * 1000


def whole_process_times(portdash, rng, state, runs):
    """Median wall time of `portdash lease web` as a renewal and as a new grant."""
    env = dict(os.environ, PORTDASH_STATE=state)
    lease = ["lease", "web", "--range", rng]
    quiet(portdash, lease, env)
    renewals = [wall_ms(portdash, lease, env) for _ in range(runs)]
    grants = []
    for _ in range(runs):
        quiet(portdash, ["release", "web", "--range", rng], env)
        grants.append(wall_ms(portdash, lease, env))
    print(f"portdash lease web (renewal): median {statistics.median(renewals):.1f} ms over {runs} runs; "
          f"after a release (new grant): median {statistics.median(grants):.1f} ms")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--portdash")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--kill-rounds", type=int, default=300)
    ap.add_argument("--runs", type=int, default=30)
    a = ap.parse_args()
    try:
        portdash = find_portdash(a.portdash)
    except BinaryNotFound as e:
        sys.exit(f"leases.py: {e}\n  build it first ({BUILD_COMMAND}) or pass --portdash PATH")
    first, last = free_run()
    rng = f"{first}-{last}"
    tmp = tempfile.mkdtemp(prefix="portdash-leases-")
    print(f"range {rng}, binary {display_path(portdash)}")
    try:
        for rep in range(a.reps):
            fifty_at_once(portdash, rng, f"{tmp}/p{rep}/leases.json", rep)
        kill_during_writes(portdash, rng, f"{tmp}/k/leases.json", a.kill_rounds)
        whole_process_times(portdash, rng, f"{tmp}/t/leases.json", a.runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
