#!/usr/bin/env python3
"""Benchmark portdash against ss, lsof, netstat and fuser under a synthetic load.

    python3 bench/run.py [--levels small,medium,large] [--runs 15] [--portdash PATH]

For each level: start bench/loadgen.py, wait until the load is ready, check that
`portdash status --json` and `ss -ltnp` agree on the owner pids of every
listener in 5000-5010, then time whole processes (posix_spawn -> wait4), tools
round-robin, after warm-ups; measure max RSS; run `portdash bench-refresh`.
Writes bench/RESULTS.md and bench/results.json, prints the tables.

Exit status: 0 all good; 1 a correctness mismatch or a failed level;
2 usage error, portdash binary or ss missing.
Python 3 standard library only; Linux only.
"""

import argparse
import json
import os
import shlex
import shutil
import signal
import sys
import tempfile

from benchlib import log
from benchlib.binary import BUILD_COMMAND, BinaryNotFound, find_portdash
from benchlib.config import LEVELS
from benchlib.dashboard import REFRESH_ITERATIONS
from benchlib.measure import measure_level
from benchlib.report import machine_info, render
from benchlib.tools import bench_refresh_shown, shown, tool_table

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--levels", default="small,medium,large", help="comma-separated: small,medium,large")
    ap.add_argument("--runs", type=int, default=15, help="timed runs per tool (default 15)")
    ap.add_argument("--warmups", type=int, default=3, help="warm-up runs per tool (default 3)")
    ap.add_argument("--rss-runs", type=int, default=3, help="separate runs per tool for max RSS (default 3)")
    ap.add_argument("--portdash", help="portdash binary (default .build/release/portdash)")
    ap.add_argument("--ttl", type=int, default=900, help="loadgen time limit per level, seconds (default 900)")
    ap.add_argument("--timeout", type=int, default=120, help="per-process time limit, seconds (default 120)")
    ap.add_argument("--out-dir", default=HERE, help="where RESULTS.md and results.json go (default bench/)")
    ap.add_argument("--idle-seconds", type=int, default=30, help="how long to sample the idle dashboard's CPU per level (default 30; 0 skips)")
    args = ap.parse_args()
    args.levels = [l.strip() for l in args.levels.split(",") if l.strip()]
    bad = [l for l in args.levels if l not in LEVELS]
    if bad or not args.levels:
        ap.error(f"unknown level(s) {bad}; choose from {','.join(LEVELS)}")
    if args.runs < 1 or args.warmups < 0 or args.rss_runs < 0:
        ap.error("--runs must be >= 1, --warmups and --rss-runs >= 0")
    return args


def installed_tools(portdash):
    """The tools to time, and the names of those not installed (logged)."""
    all_tools = tool_table(portdash)
    tools = [(n, a) for n, a in all_tools if a[0]]
    missing = [n for n, a in all_tools if not a[0]]
    for n in missing:
        log(f"run.py: {n} not installed; skipping it")
    return tools, missing


def fresh_state(tmp):
    """A lease file path in a new dir under tmp, and the environment pointing portdash at it."""
    state_dir = os.path.join(tmp, "state")
    os.mkdir(state_dir)
    state_path = os.path.join(state_dir, "leases.json")
    env = dict(os.environ, PORTDASH_STATE=state_path, XDG_STATE_HOME=state_dir, LC_ALL="C")
    return state_path, env


def stop_on_term_and_hup():
    """SIGTERM and SIGHUP stop the run like Ctrl-C: the load is stopped, nothing written."""

    def on_term(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)


def run_config(args, portdash, tools, missing, state_path):
    return {
        "invocation": "python3 bench/run.py " + shlex.join(sys.argv[1:]) if sys.argv[1:] else "python3 bench/run.py",
        "levels": args.levels,
        "runs": args.runs,
        "warmups": args.warmups,
        "rssRuns": args.rss_runs,
        "portdash": portdash,
        "commands": {n: shown(n, a, state_path) for n, a in tools},
        "benchRefreshCommand": bench_refresh_shown(state_path, REFRESH_ITERATIONS),
        "missingTools": missing,
    }


def run_levels(report, args, tools, missing, env, state_path, tmp, ss):
    """Measures each level into report["levels"]; returns 0, or 1 if one failed."""
    status = 0
    for level in args.levels:
        try:
            r = measure_level(level, args, tools, env, state_path, tmp, ss)
            r["missingTools"] = missing
        except Exception as e:  # the load is already stopped by measure_level's finally
            log(f"[{level}] FAILED: {type(e).__name__}: {e}")
            r = {"level": level, "ok": False, "error": str(e)}
        report["levels"][level] = r
        if not r.get("ok"):
            status = 1
    return status


def write_results(report, out_dir):
    """RESULTS.md and results.json in out_dir; returns the markdown."""
    md = render(report)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "RESULTS.md"), "w") as f:
        f.write(md + "\n")
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    return md


def main():
    args = parse_args()
    try:
        portdash = find_portdash(args.portdash)
    except BinaryNotFound as e:
        log(f"run.py: {e}\n        build it first ({BUILD_COMMAND}) or pass --portdash PATH")
        return 2
    ss = shutil.which("ss")
    if not ss:
        log("run.py: `ss` (iproute2) not found; it is the reference for the correctness check; install iproute2")
        return 2
    tools, missing = installed_tools(portdash)
    if os.geteuid() != 0:
        log("run.py: not root: ss/lsof/netstat/fuser see only your own processes' pids (fine for the load)")

    tmp = tempfile.mkdtemp(prefix="portdash-bench.")
    state_path, env = fresh_state(tmp)
    stop_on_term_and_hup()
    report = {"machine": machine_info(), "config": run_config(args, portdash, tools, missing, state_path), "levels": {}}
    try:
        status = run_levels(report, args, tools, missing, env, state_path, tmp, ss)
    except KeyboardInterrupt as e:
        log(f"run.py: interrupted ({e or 'SIGINT'}); load stopped, partial results not written")
        return 130
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    report["ok"] = status == 0
    print(write_results(report, args.out_dir))
    if status:
        log("run.py: FAILED — see MISMATCH / FAILED lines above (exit 1)")
    return status


if __name__ == "__main__":
    sys.exit(main())
