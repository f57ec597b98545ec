#!/usr/bin/env python3
"""Benchmark `portdash status --all --json` against `ss -ltnp` under the
synthetic loads, and the dashboard's every-listener view.

    python3 bench/every_listener.py [--levels small,medium,large] [--runs 15]

Per level: start bench/loadgen.py; check that portdash and ss name the same
owner pids on every listening port; time both as whole processes,
alternating; run `portdash bench-refresh --all`; sample the idle dashboard's
CPU on its every-listener view. Prints one JSON line per level and writes
bench/EVERY-LISTENER.md. Exit 1 on an owner mismatch.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile

from benchlib import log
from benchlib.binary import find_portdash
from benchlib.config import LEVELS, level_description
from benchlib.everylistener import idle_all_view, refresh_all, same_owners, timed_ratio
from benchlib.load import start_load, stop_load

HERE = os.path.dirname(os.path.abspath(__file__))


def measure(level, portdash, env, args, tmp, ss):
    proc, info = start_load(level, 900)
    try:
        mismatches = same_owners(portdash, env, ss)
        res = {"level": level, "load": level_description(level), "ownersEqual": not mismatches, "mismatches": mismatches}
        res.update(timed_ratio(portdash, env, tmp, args.runs, 120))
        res["refreshAll"] = refresh_all(portdash, env, 300)
        res["idleAllView"] = idle_all_view(portdash, env, args.idle_seconds) if shutil.which("tmux") else None
        return res
    finally:
        stop_load(proc)


def report(results):
    lines = ["# Every listener: `portdash status --all --json` vs `ss -ltnp`", "",
             "Medians of alternating whole-process runs, with the median of the pairwise ratios; "
             "`bench-refresh --all` times the dashboard's every-listener refresh in-process; idle CPU of "
             "the real dashboard on that view at `--interval 1`. Made by `python3 bench/every_listener.py`.", "",
             "| level | portdash ms | ss -ltnp ms | ratio | same owners | refresh median ms | idle CPU % |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        idle = r["idleAllView"]["cpuPercent"] if r.get("idleAllView") else "n/a"
        lines.append(f"| {r['level']} ({r['load']}) | {r['portdashMedianMs']:.1f} | {r['ssMedianMs']:.1f} | "
                     f"{r['ratioMedian']:.2f} | {'yes' if r['ownersEqual'] else 'NO'} | "
                     f"{r['refreshAll']['refreshMedianMs']:.2f} | {idle if isinstance(idle, str) else f'{idle:.2f}'} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--levels", default="small,medium,large")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--idle-seconds", type=int, default=10)
    ap.add_argument("--portdash")
    args = ap.parse_args()
    levels = [l for l in args.levels.split(",") if l in LEVELS]
    portdash = find_portdash(args.portdash, allow_debug=False)
    ss = shutil.which("ss")
    if not ss:
        sys.exit("ss (iproute2) is not installed")
    with tempfile.TemporaryDirectory(prefix="portdash-everylistener-") as tmp:
        env = dict(os.environ, PORTDASH_STATE=os.path.join(tmp, "leases.json"))
        results = []
        for level in levels:
            log(f"[{level}] ...")
            results.append(measure(level, portdash, env, args, tmp, ss))
            print(json.dumps(results[-1]), flush=True)
    with open(os.path.join(HERE, "EVERY-LISTENER.md"), "w") as f:
        f.write(report(results))
    sys.exit(0 if all(r["ownersEqual"] for r in results) else 1)


if __name__ == "__main__":
    main()
