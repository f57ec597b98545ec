"""One level of the benchmark: load, correctness, timings, max RSS, refresh, idle CPU."""

import os
import shutil
import statistics
import tempfile
import time

from . import log
from .config import level_description
from .correctness import check_correctness
from .dashboard import bench_refresh, dashboard_idle_cpu
from .everylistener import idle_all_view, refresh_all, same_owners, timed_ratio
from .load import count_load_connections, start_load, stop_load
from .procfs import loadavg
from .rss import rss_probes
from .timing import count_lines, run_timed
from .tools import shown


def measure_level(level, args, tools, env, state_path, tmp, ss):
    """The level's results; the load is stopped whatever happens."""
    res = {"level": level, "description": level_description(level), "ok": False}
    log(f"[{level}] starting load ({level_description(level)}) ...")
    t0 = time.monotonic()
    proc, info = start_load(level, args.ttl)
    try:
        log(f"[{level}] load ready in {time.monotonic() - t0:.1f} s: {info['pids']} processes")
        res["load"] = describe_load(info, ss)
        res["loadavgBefore"] = loadavg()
        res["correctness"] = logged_correctness(level, dict(tools)["portdash"], ss, env, info)
        samples, codes = time_tools(level, args, tools, env, tmp)
        log(f"[{level}] max RSS probes ...")
        rss = rss_probes(tools, env, tmp, args.rss_runs, args.timeout)
        res["rssError"] = rss.get("error") if isinstance(rss.get("error"), str) else None
        res["tools"] = summarize_tools(tools, samples, codes, rss, tmp, state_path)
        measure_dashboard(level, res, tools[0][1][0], env, args)
        res["loadavgAfter"] = loadavg()
        if proc.poll() is not None:
            raise RuntimeError("the load stopped before the level finished (raise --ttl)")
        res["ok"] = res["correctness"]["ok"] and res["everyListener"]["ownersEqual"]
    finally:
        left = stop_load(proc)
        if left:
            log(f"[{level}] WARNING: {len(left)} load processes still alive after stop; killed the group")
        res["leftoverProcesses"] = len(left)
    log(f"[{level}] done in {time.monotonic() - t0:.0f} s")
    return res


def describe_load(info, ss):
    """loadgen's ready line without the pid list, plus the connections ss sees."""
    load = {k: v for k, v in info.items() if k != "allPids"}
    load["observedEstablishedSockets"] = count_load_connections(ss, info)
    return load


def logged_correctness(level, portdash_argv, ss, env, info):
    result = check_correctness(portdash_argv, ss, env, info)
    for m in result["mismatches"]:
        log(f"[{level}] MISMATCH {m}")
    for w in result["warnings"]:
        log(f"[{level}] warning: {w}")
    return result


def time_tools(level, args, tools, env, tmp):
    """Warm-ups, then args.runs rounds, each tool once a round, the first one
    rotating. Returns ({name: [ms]}, {name: {exit code: count}})."""
    samples = {name: [] for name, _ in tools}
    codes = {name: {} for name, _ in tools}

    def once(name, argv, keep):
        out = os.path.join(tmp, f"{name}.out")
        err = os.path.join(tmp, f"{name}.err")
        ms, code = run_timed(argv, env, out, err, args.timeout)
        if keep:
            if ms is not None:
                samples[name].append(ms)
            codes[name][str(code)] = codes[name].get(str(code), 0) + 1

    n = len(tools)
    log(f"[{level}] {args.warmups} warm-up(s) and {args.runs} runs of {', '.join(t for t, _ in tools)} ...")
    for _ in range(args.warmups):
        for name, argv in tools:
            once(name, argv, False)
    for r in range(args.runs):
        for name, argv in tools[r % n :] + tools[: r % n]:  # rotate who goes first
            once(name, argv, True)
    return samples, codes


def percentile(sorted_vals, q):
    if not sorted_vals:
        return None
    i = min(len(sorted_vals) - 1, max(0, round(q * (len(sorted_vals) - 1))))
    return sorted_vals[i]


def summarize_tools(tools, samples, codes, rss, tmp, state_path):
    """{name: statistics of its samples, max RSS, exit codes}, with each median's ratio to ss's."""
    summary = {}
    for name, argv in tools:
        s = sorted(samples[name])
        kib = [v for v in (rss.get(name) or []) if isinstance(v, int)]
        summary[name] = {
            "command": shown(name, argv, state_path),
            "samplesMs": [round(v, 3) for v in samples[name]],
            "medianMs": statistics.median(s) if s else None,
            "minMs": s[0] if s else None,
            "p90Ms": percentile(s, 0.9),
            "maxMs": s[-1] if s else None,
            "exitCodes": codes[name],
            "maxRssKiB": kib,
            "maxRssMedianKiB": statistics.median(kib) if kib else None,
            "outputLines": count_lines(os.path.join(tmp, f"{name}.out")),
        }
    ss_med = summary["ss"]["medianMs"]
    for t in summary.values():
        t["ratioToSs"] = (t["medianMs"] / ss_med) if (ss_med and t["medianMs"] is not None) else None
    return summary


def measure_dashboard(level, res, portdash, env, args):
    log(f"[{level}] portdash bench-refresh ...")
    res["benchRefresh"] = bench_refresh(portdash, env, args.timeout)
    log(f"[{level}] dashboard idle CPU over {args.idle_seconds} s ...")
    res["dashboardIdle"] = dashboard_idle_cpu(portdash, env, args.idle_seconds)
    log(f"[{level}] every listener: status --all --json vs ss -ltnp, the every-listener view ...")
    res["everyListener"] = measure_every_listener(portdash, env, args)


def measure_every_listener(portdash, env, args):
    """Issue 10's rows, on the load already running (see benchlib.everylistener)."""
    ss = shutil.which("ss")
    with tempfile.TemporaryDirectory(prefix="portdash-all-") as tmp:
        mismatches = same_owners(portdash, env, ss)
        out = {"ownersEqual": not mismatches, "mismatches": mismatches}
        out.update(timed_ratio(portdash, env, tmp, args.runs, args.timeout))
        out["refreshAll"] = refresh_all(portdash, env, args.timeout)
        out["idleAllView"] = idle_all_view(portdash, env, args.idle_seconds) if args.idle_seconds > 0 else None
    return out
