#!/usr/bin/env python3
"""Lease engine under load, with the release binary (not part of swift test).

  python3 bench/leases.py [--portdash .build/release/portdash] [--reps 10]

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
import argparse, json, os, random, signal, socket, statistics, subprocess, sys, tempfile, time

def free_run(n=11):
    for base in range(21000, 32000, 37):
        ok = True
        for p in range(base, base + n):
            for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
                s = socket.socket(fam, socket.SOCK_STREAM)
                try:
                    if fam == socket.AF_INET6:
                        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    s.bind((addr, p))
                except OSError:
                    ok = False
                finally:
                    s.close()
            if not ok:
                break
        if ok:
            return base, base + n - 1
    sys.exit("no free run of ports")

def load(path):
    with open(path) as f:
        return json.load(f)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--portdash", default=".build/release/portdash")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--kill-rounds", type=int, default=300)
    ap.add_argument("--runs", type=int, default=30)
    a = ap.parse_args()
    if not os.access(a.portdash, os.X_OK):
        sys.exit(f"{a.portdash} missing: swift build -c release --static-swift-stdlib")
    first, last = free_run()
    rng = f"{first}-{last}"
    tmp = tempfile.mkdtemp(prefix="portdash-leases-")
    print(f"range {rng}, binary {a.portdash}")

    # 1. 50 at once.
    for rep in range(a.reps):
        state = f"{tmp}/p{rep}/leases.json"
        env = dict(os.environ, PORTDASH_STATE=state)
        procs = [subprocess.Popen([a.portdash, "lease", f"s{i}", "--range", rng], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(50)]
        res = [(p.wait(), p.stdout.read().strip(), p.stderr.read().strip()) for p in procs]
        ok = [int(o) for c, o, _ in res if c == 0]
        codes = sorted({c for c, _, _ in res if c != 0})
        one_line = all(e.count("\n") == 0 for c, _, e in res if c != 0)
        doc = load(state)
        stored = sorted(l["port"] for l in doc["leases"])
        print(f"50 at once, rep {rep + 1}: {len(ok)} granted, {len(set(ok))} distinct ports, "
              f"{50 - len(ok)} failed (exit {codes}, one-line errors: {one_line}), "
              f"file parses with {len(stored)} leases, matching grants: {stored == sorted(ok)}")

    # 2. kill -9 during writes.
    state = f"{tmp}/k/leases.json"
    env = dict(os.environ, PORTDASH_STATE=state)
    subprocess.run([a.portdash, "lease", "warm", "--range", rng], env=env, capture_output=True)
    t0 = time.monotonic(); subprocess.run([a.portdash, "lease", "warm", "--range", rng], env=env, capture_output=True)
    window = max(0.002, (time.monotonic() - t0) * 1.5)
    known, killed, done, checks, bad = {}, 0, 0, 0, 0
    for r in range(a.kill_rounds):
        svc = f"s{random.randrange(8)}"
        releasing = r % 3 == 2
        p = subprocess.Popen([a.portdash, "release" if releasing else "lease", svc, "--range", rng], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        time.sleep(random.uniform(0, window))
        p.send_signal(signal.SIGKILL)
        code = p.wait()
        out = p.stdout.read().strip()
        if code == -9:
            killed += 1
            known.pop(svc, None)
        elif code == 0:
            done += 1
            known[svc] = None if releasing else int(out)
        elif code == 66 and releasing:
            done += 1
            known[svc] = None
        try:
            doc = load(state)
        except Exception as e:
            bad += 1
            print("FILE DOES NOT PARSE:", e)
            continue
        held = {l["service"]: l["port"] for l in doc["leases"]}
        for s, port in known.items():
            checks += 1
            if held.get(s) != port:
                bad += 1
                print(f"LOST: {s} should be {port}, file has {held.get(s)}")
    print(f"kill -9 during writes: {a.kill_rounds} calls, {killed} killed mid-way, {done} completed; "
          f"{checks} reported outcomes re-checked after each call, {bad} lost or unparsable")

    # 3. Whole-process time.
    env = dict(os.environ, PORTDASH_STATE=f"{tmp}/t/leases.json")
    subprocess.run([a.portdash, "lease", "web", "--range", rng], env=env, capture_output=True)
    ts = []
    for _ in range(a.runs):
        s = time.perf_counter()
        subprocess.run([a.portdash, "lease", "web", "--range", rng], env=env, capture_output=True)
        ts.append((time.perf_counter() - s) * 1000)
    gs = []
    for i in range(a.runs):
        subprocess.run([a.portdash, "release", "web", "--range", rng], env=env, capture_output=True)
        s = time.perf_counter()
        subprocess.run([a.portdash, "lease", "web", "--range", rng], env=env, capture_output=True)
        gs.append((time.perf_counter() - s) * 1000)
    print(f"portdash lease web (renewal): median {statistics.median(ts):.1f} ms over {a.runs} runs; "
          f"after a release (new grant): median {statistics.median(gs):.1f} ms")
    subprocess.run(["rm", "-rf", tmp])

if __name__ == "__main__":
    main()
