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
import ctypes
import datetime
import json
import os
import platform
import re
import select
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
LOADGEN = os.path.join(HERE, "loadgen.py")
DEFAULT_PORTDASH = os.path.join(REPO, ".build", "release", "portdash")
FIRST, LAST = 5000, 5010
RANGE = f"{FIRST}-{LAST}"
LEVELS = ["small", "medium", "large"]
LEVEL_DESC = {
    "small": "50 idle processes × 10 fds, 100 connections",
    "medium": "500 idle processes × 50 fds, 5,000 connections",
    "large": "1,500 idle processes × 100 fds, 20,000 connections",
}
PR_SET_CHILD_SUBREAPER = 36
REFRESH_KEYS = ("refreshMedianMs", "refreshP95Ms", "newListenerMs")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- tools


def tool_table(portdash):
    """(name, argv) in round-robin order; argv[0] is an absolute path or None."""
    ports = [str(p) for p in range(FIRST, LAST + 1)]
    return [
        ("portdash", [portdash, "status", "--json", "--range", RANGE]),
        ("ss", [shutil.which("ss"), "-ltnp", f"sport >= :{FIRST} and sport <= :{LAST}"]),
        ("lsof", [shutil.which("lsof"), "-nP", f"-iTCP:{RANGE}", "-sTCP:LISTEN"]),
        ("netstat", [shutil.which("netstat"), "-tlnp"]),
        ("fuser", [shutil.which("fuser"), "-n", "tcp"] + ports),
    ]


def shown(name, argv, state):
    first = os.path.basename(argv[0])
    if name == "portdash":
        rel = os.path.relpath(argv[0], REPO)
        first = argv[0] if rel.startswith("..") else rel
    cmd = shlex.join([first] + argv[1:])
    return f"PORTDASH_STATE={state} {cmd}" if name == "portdash" else cmd


class Timeout(Exception):
    pass


def spawn_actions(out_path, err_path):
    w = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    return [
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, out_path, w, 0o600),
        (os.POSIX_SPAWN_OPEN, 2, err_path, w, 0o600),
    ]


def run_timed(argv, env, out_path, err_path, timeout):
    """One whole process: posix_spawn -> wait4. Returns (wall ms, exit code)."""
    actions = spawn_actions(out_path, err_path)
    victim = []

    def on_alarm(_s, _f):
        for pid in victim:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        raise Timeout()

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(timeout)
    try:
        t0 = time.perf_counter_ns()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
        victim.append(pid)
        try:
            _, status, _ru = os.wait4(pid, 0)
        except Timeout:
            os.wait4(pid, 0)
            return None, "timeout"
        t1 = time.perf_counter_ns()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return (t1 - t0) / 1e6, os.waitstatus_to_exitcode(status)


def rss_probes(jobs, env, tmp, runs, timeout):
    """Max RSS (KiB) of each job, from os.wait4's ru_maxrss.

    A process forked (or vforked) from this Python interpreter starts with the
    interpreter's resident pages counted in its ru_maxrss (about 10-14 MiB), which
    would hide the tools' real peaks.  So each probe starts the tool through
    /bin/sh as a trampoline ("$@" &): the tool is forked from a small shell, the
    shell exits at once, the tool is re-parented to us (PR_SET_CHILD_SUBREAPER),
    and os.wait4 on the tool itself gives its own ru_maxrss.  This runs in a
    forked child so that only these probes are ever re-parented to it.
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(r)
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG: die with run.py
            if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
            res = {name: [rss_one(argv, env, tmp, name, timeout) for _ in range(runs)] for name, argv in jobs}
            os.write(w, json.dumps(res).encode())
        except BaseException as e:
            code = 1
            os.write(w, json.dumps({"error": f"{type(e).__name__}: {e}"}).encode())
        finally:
            os._exit(code)
    os.close(w)
    data = read_to_eof(r)
    os.waitpid(pid, 0)
    return json.loads(data or b'{"error": "no answer"}')


def read_to_eof(fd):
    """Everything a pipe gives until its writers close it; closes `fd`."""
    data = b""
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    os.close(fd)
    return data


def rss_one(argv, env, tmp, name, timeout):
    r, w = os.pipe()
    out_path = os.path.join(tmp, f"{name}.rss.out")
    err_path = os.path.join(tmp, f"{name}.rss.err")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    script = '"$@" >&3 2>&4 3>&- 4>&- </dev/null & echo $!'
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, w, 1),
        (os.POSIX_SPAWN_OPEN, 3, out_path, flags, 0o600),
        (os.POSIX_SPAWN_OPEN, 4, err_path, flags, 0o600),
    ]
    sh = os.posix_spawn("/bin/sh", ["sh", "-c", script, "sh"] + argv, env, file_actions=actions)
    os.close(w)
    text = read_to_eof(r)
    os.waitpid(sh, 0)
    tool = int(text.split()[0])
    end = time.monotonic() + timeout
    while True:  # the tool is our child now (re-parented when sh exited)
        pid, status, ru = os.wait4(tool, os.WNOHANG)
        if pid:
            return ru.ru_maxrss
        if time.monotonic() > end:
            os.kill(tool, signal.SIGKILL)
            os.wait4(tool, 0)
            return None
        time.sleep(0.002)


# ---------------------------------------------------------------- correctness


USERS_PID = re.compile(r",pid=(\d+),fd=\d+\)")


def ss_listener_pids(ss):
    """{port: set(pids)} for every TCP listener ss -ltnp shows in the range."""
    out = subprocess.run([ss, "-Hltnp"], capture_output=True, text=True, timeout=300).stdout
    res = {}
    for line in out.splitlines():
        cols = line.split(None, 5)
        if len(cols) < 5 or cols[0] == "State":
            continue
        try:
            port = int(cols[3].rsplit(":", 1)[1])
        except (IndexError, ValueError):
            continue
        if FIRST <= port <= LAST:
            pids = {int(p) for p in USERS_PID.findall(cols[5] if len(cols) > 5 else "")}
            res.setdefault(port, set()).update(pids)
    return res


def portdash_listener_pids(doc):
    """{port: (state, set(pids of LISTEN sockets))}; raises ValueError on a bad schema."""
    if not isinstance(doc, dict) or not isinstance(doc.get("ports"), list):
        raise ValueError('no "ports" list')
    rng = doc.get("range") or {}
    if rng.get("first") != FIRST or rng.get("last") != LAST:
        raise ValueError(f'"range" is {rng}, expected first {FIRST}, last {LAST}')
    res = {}
    for entry in doc["ports"]:
        port = entry["port"]
        if port in res:
            raise ValueError(f"port {port} listed twice")
        pids = set()
        for sock in entry.get("sockets") or []:
            if sock.get("tcpState") == "LISTEN":
                for owner in sock.get("owners") or []:
                    if owner.get("pid") is not None:
                        pids.add(int(owner["pid"]))
        res[port] = (entry.get("state"), pids)
    return res


def check_correctness(portdash_argv, ss, env, load):
    """Compare, per port, LISTEN owner pids: portdash status --json vs ss -ltnp."""
    result = {"ok": False, "mismatches": [], "warnings": []}
    try:
        proc = subprocess.run(portdash_argv, capture_output=True, text=True, env=env, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        result["mismatches"].append(f"portdash status --json failed to run: {e}")
        return result
    ss_pids = ss_listener_pids(ss)
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or [""])[0]
        result["mismatches"].append(f"portdash status --json exited {proc.returncode}: {first}")
        return result
    try:
        pd = portdash_listener_pids(json.loads(proc.stdout))
    except (ValueError, KeyError, TypeError) as e:
        result["mismatches"].append(f"portdash status --json: unreadable output ({type(e).__name__}: {e})")
        return result
    per_port = {}
    for port in range(FIRST, LAST + 1):
        want = ss_pids.get(port, set())
        if port not in pd:
            result["mismatches"].append(f"port {port}: missing from portdash output (ss pids {sorted(want)})")
            continue
        state, got = pd[port]
        per_port[str(port)] = {"state": state, "portdash": sorted(got), "ss": sorted(want)}
        if got != want:
            result["mismatches"].append(
                f"port {port}: portdash LISTEN owners {sorted(got)} != ss -ltnp {sorted(want)}"
                f" (missing {sorted(want - got)}, extra {sorted(got - want)})"
            )
        elif port in ss_pids and state == "free":
            result["mismatches"].append(f"port {port}: portdash says free, ss shows a listener {sorted(want)}")
    for port, pids in (load.get("listeners") or {}).items():
        if not set(pids) <= ss_pids.get(int(port), set()):
            result["warnings"].append(f"load check: ss does not show loadgen pids {pids} on port {port}")
    extra = sorted(set(pd) - set(range(FIRST, LAST + 1)))
    if extra:
        result["mismatches"].append(f"portdash lists ports outside {RANGE}: {extra}")
    result["ports"] = per_port
    result["ok"] = not result["mismatches"]
    return result


# ---------------------------------------------------------------- load


def start_load(level, ttl, timeout=300):
    proc = subprocess.Popen(
        [sys.executable, LOADGEN, "--level", level, "--ttl", str(ttl)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        start_new_session=True,  # own process group: killpg() as a last resort
    )
    end = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        left = end - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            stop_load(proc, None)
            raise RuntimeError(f"loadgen not ready after {timeout} s")
        chunk = os.read(proc.stdout.fileno(), 1 << 20)
        if not chunk:
            break
        line += chunk
    try:
        info = json.loads(line)
    except ValueError:
        info = {"ready": False, "error": f"loadgen said {line[:200]!r}"}
    if not info.get("ready"):
        stop_load(proc, None)
        raise RuntimeError(f"loadgen failed: {info.get('error')}")
    return proc, info


def pgrp_members(pgid):
    """Live (non-zombie) processes in process group pgid."""
    live = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != b"Z":
            live.append(int(d))
    return live


def stop_load(proc, info):
    """Stop loadgen and make sure nothing it started is left. Returns leftovers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    end = time.monotonic() + 10
    left = pgrp_members(proc.pid)
    while left and time.monotonic() < end:
        time.sleep(0.1)
        left = pgrp_members(proc.pid)
    if left:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


def count_load_connections(ss, info):
    """ESTABLISHED TCP sockets whose local or peer port is one of loadgen's connection ports."""
    ports = {str(p) for p in info.get("connPorts", [])}
    out = subprocess.run([ss, "-Htn", "state", "established"], capture_output=True, text=True, timeout=300).stdout
    n = 0
    for line in out.splitlines():
        cols = line.split()
        if len(cols) >= 4 and (cols[2].rsplit(":", 1)[-1] in ports or cols[3].rsplit(":", 1)[-1] in ports):
            n += 1
    return n


# ---------------------------------------------------------------- measurement


def bench_refresh(portdash, env, timeout):
    argv = [portdash, "bench-refresh", "--range", RANGE, "--iterations", "200"]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"value": "n/a", "reason": f"timed out after {timeout} s"}
    except OSError as e:
        return {"value": "n/a", "reason": str(e)}
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or [""])[0][:160]
        return {"value": "n/a", "reason": f"exit {proc.returncode}: {first}"}
    lines = [l for l in proc.stdout.splitlines() if l.strip()]
    try:
        doc = json.loads(lines[-1])
        vals = {k: float(doc[k]) for k in REFRESH_KEYS}
    except (IndexError, ValueError, KeyError, TypeError):
        return {"value": "n/a", "reason": f"unexpected output: {proc.stdout[:160]!r}"}
    return {"value": vals}


def dashboard_idle_cpu(portdash, env, seconds):
    """CPU used by the real dashboard left idle at --interval 1, in a tmux
    pane, from utime+stime in /proc/PID/stat (fields 14 and 15) over `seconds`."""
    if seconds <= 0:
        return {"value": "n/a", "reason": "skipped (--idle-seconds 0)"}
    if not shutil.which("tmux"):
        return {"value": "n/a", "reason": "tmux not installed"}
    sock = f"portdash-bench-{os.getpid()}"
    envs = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items() if k.startswith("PORTDASH"))
    cmd = f"env LANG=C.UTF-8 TERM=xterm-256color {envs} {shlex.quote(portdash)} --range {RANGE} --interval 1"
    subprocess.run(["tmux", "-L", sock, "-f", "/dev/null", "new-session", "-d", "-s", "B", "-x", "120", "-y", "32", cmd], check=False)
    try:
        pid = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and pid is None:
            out = subprocess.run(["tmux", "-L", sock, "display-message", "-p", "-t", "B", "#{pane_pid}"],
                                 capture_output=True, text=True).stdout.strip()
            if out.isdigit() and open(f"/proc/{out}/comm").read().strip() == "portdash":
                pid = int(out)
            else:
                time.sleep(0.1)
        if pid is None:
            return {"value": "n/a", "reason": "dashboard did not start"}
        time.sleep(5)  # the first full walk and warm-up
        tck = os.sysconf("SC_CLK_TCK")

        def ticks():
            f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            return int(f[11]) + int(f[12])  # fields 14 utime and 15 stime
        t0, c0 = time.monotonic(), ticks()
        time.sleep(seconds)
        t1, c1 = time.monotonic(), ticks()
        return {"value": {"cpuPercent": 100.0 * (c1 - c0) / tck / (t1 - t0), "seconds": round(t1 - t0, 1)}}
    except (OSError, ValueError) as e:
        return {"value": "n/a", "reason": str(e)}
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], check=False, capture_output=True)


def pct(sorted_vals, q):
    if not sorted_vals:
        return None
    i = min(len(sorted_vals) - 1, max(0, round(q * (len(sorted_vals) - 1))))
    return sorted_vals[i]


def measure_level(level, args, tools, env, state_path, tmp, ss):
    res = {"level": level, "description": LEVEL_DESC[level], "ok": False}
    log(f"[{level}] starting load ({LEVEL_DESC[level]}) ...")
    t0 = time.monotonic()
    proc, info = start_load(level, args.ttl)
    try:
        log(f"[{level}] load ready in {time.monotonic() - t0:.1f} s: {info['pids']} processes")
        res["load"] = {k: v for k, v in info.items() if k != "allPids"}
        res["load"]["observedEstablishedSockets"] = count_load_connections(ss, info)
        res["loadavgBefore"] = open("/proc/loadavg").read().split()[:3]

        pd_argv = dict(tools)["portdash"]
        res["correctness"] = check_correctness(pd_argv, ss, env, info)
        for m in res["correctness"]["mismatches"]:
            log(f"[{level}] MISMATCH {m}")
        for w in res["correctness"]["warnings"]:
            log(f"[{level}] warning: {w}")

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
        for i in range(args.warmups):
            for name, argv in tools:
                once(name, argv, False)
        for r in range(args.runs):
            for name, argv in tools[r % n :] + tools[: r % n]:  # rotate who goes first
                once(name, argv, True)

        log(f"[{level}] max RSS probes ...")
        rss = rss_probes(tools, env, tmp, args.rss_runs, args.timeout)
        res["rssError"] = rss.get("error") if isinstance(rss.get("error"), str) else None

        res["tools"] = {}
        for name, argv in tools:
            s = sorted(samples[name])
            kib = [v for v in (rss.get(name) or []) if isinstance(v, int)]
            out_lines = sum(1 for _ in open(os.path.join(tmp, f"{name}.out"), "rb"))
            res["tools"][name] = {
                "command": shown(name, argv, state_path),
                "samplesMs": [round(v, 3) for v in samples[name]],
                "medianMs": statistics.median(s) if s else None,
                "minMs": s[0] if s else None,
                "p90Ms": pct(s, 0.9),
                "maxMs": s[-1] if s else None,
                "exitCodes": codes[name],
                "maxRssKiB": kib,
                "maxRssMedianKiB": statistics.median(kib) if kib else None,
                "outputLines": out_lines,
            }
        ss_med = res["tools"]["ss"]["medianMs"]
        for t in res["tools"].values():
            t["ratioToSs"] = (t["medianMs"] / ss_med) if (ss_med and t["medianMs"] is not None) else None

        log(f"[{level}] portdash bench-refresh ...")
        res["benchRefresh"] = bench_refresh(tools[0][1][0], env, args.timeout)
        log(f"[{level}] dashboard idle CPU over {args.idle_seconds} s ...")
        res["dashboardIdle"] = dashboard_idle_cpu(tools[0][1][0], env, args.idle_seconds)
        res["loadavgAfter"] = open("/proc/loadavg").read().split()[:3]
        if proc.poll() is not None:
            raise RuntimeError("the load stopped before the level finished (raise --ttl)")
        res["ok"] = res["correctness"]["ok"]
    finally:
        left = stop_load(proc, info)
        if left:
            log(f"[{level}] WARNING: {len(left)} load processes still alive after stop; killed the group")
        res["leftoverProcesses"] = len(left)
    log(f"[{level}] done in {time.monotonic() - t0:.0f} s")
    return res


# ---------------------------------------------------------------- report


def fmt_ms(v):
    if v is None:
        return "—"
    return f"{v:,.0f}" if v >= 100 else (f"{v:.1f}" if v >= 10 else f"{v:.2f}")


def machine_info():
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(argv):
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return ((p.stdout or p.stderr).strip().splitlines() or [""])[0]
        except (OSError, subprocess.TimeoutExpired):
            return None

    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpuModel": model,
        "kernel": platform.release(),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "uid": os.geteuid(),
        "memTotalKiB": next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), None),
        "loadavgAtStart": open("/proc/loadavg").read().split()[:3],
        "toolVersions": {
            "ss": version(["ss", "-V"]),
            "lsof": _lsof_version(),
            "netstat": version(["netstat", "--version"]),
            "fuser": version(["fuser", "-V"]),
        },
    }


def _lsof_version():
    try:
        p = subprocess.run(["lsof", "-v"], capture_output=True, text=True, timeout=10)
        m = re.search(r"revision:\s*(\S+)", p.stdout + p.stderr)
        return f"lsof {m.group(1)}" if m else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def render(report):
    m, cfg = report["machine"], report["config"]
    out = ["# portdash benchmark results", ""]
    out.append(f"Generated by `{cfg['invocation']}` on {m['date']}.")
    out.append("")
    out.append("## Machine")
    out.append("")
    out.append(f"- CPU: {m['cpuModel']}, nproc {m['nproc']}, {m['memTotalKiB'] / 1048576:.1f} GiB RAM")
    out.append(f"- kernel: {m['kernel']} (`uname -r`); Python {m['python']}; uid {m['uid']}")
    out.append(f"- load average at start: {' '.join(m['loadavgAtStart'])}")
    vers = "; ".join(f"{k}: {v}" for k, v in m["toolVersions"].items() if v)
    out.append(f"- tools: {vers}")
    out.append("")
    out.append("## Method")
    out.append("")
    out.append(
        f"Each sample is one whole process: `posix_spawn` → `wait4`, wall time by `perf_counter_ns`, "
        f"stdin `/dev/null`, stdout/stderr to files in a temp dir. Warm-ups per tool: {cfg['warmups']}; then "
        f"{cfg['runs']} runs; in each run every tool runs once, round-robin, and the first tool rotates. "
        f"Max RSS is `ru_maxrss` from `os.wait4` on the tool process, median of {cfg['rssRuns']} separate runs "
        f"started through `/bin/sh` as a trampoline (a child forked from Python would report Python's "
        f"~10-14 MiB as a floor; see README). portdash runs with `PORTDASH_STATE` (and `XDG_STATE_HOME`) in a "
        f"fresh temp dir. Load: `bench/loadgen.py` (listeners 5000, 5001+5002 in one process, 5003 on ::1, "
        f"5004 shared by a parent and its forked child; connections on a kernel-chosen port outside {RANGE})."
    )
    out.append("")
    out.append("## Commands")
    out.append("")
    out.append("| tool | command |")
    out.append("|---|---|")
    for name, cmd in cfg["commands"].items():
        out.append(f"| {name} | `{cmd}` |")
    out.append(f"| refresh | `{cfg['benchRefreshCommand']}` |")
    out.append("")
    for level in cfg["levels"]:
        r = report["levels"].get(level)
        out.append(f"## {level} — {LEVEL_DESC[level]}")
        out.append("")
        if not r or "tools" not in r:
            out.append(f"**Level failed:** {r.get('error') if r else 'not run'}")
            out.append("")
            continue
        load = r["load"]
        lst = ", ".join(f"{p}: {len(v)} pid{'s' if len(v) > 1 else ''}" for p, v in load["listeners"].items())
        out.append(
            f"Load: {load['pids']} processes, {load['connections']:,} established connections "
            f"({load['observedEstablishedSockets']:,} ESTABLISHED sockets seen by ss), listeners {lst}"
            + (f", skipped {load['skipped']}" if load.get("skipped") else "")
            + f"; ready in {load['startupSeconds']} s. Load average before/after: "
            f"{' '.join(r['loadavgBefore'])} / {' '.join(r['loadavgAfter'])}."
        )
        out.append("")
        out.append("| tool | median ms | min ms | p90 ms | max ms | × ss (median) | max RSS MiB | exit codes |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---|")
        for name, t in r["tools"].items():
            ratio = f"{t['ratioToSs']:.2f}" if t["ratioToSs"] is not None else "—"
            rss = f"{t['maxRssMedianKiB'] / 1024:.1f}" if t["maxRssMedianKiB"] is not None else "—"
            codes = ", ".join(f"{c}×{n}" for c, n in t["exitCodes"].items())
            out.append(
                f"| {name} | {fmt_ms(t['medianMs'])} | {fmt_ms(t['minMs'])} | {fmt_ms(t['p90Ms'])} | "
                f"{fmt_ms(t['maxMs'])} | {ratio} | {rss} | {codes} |"
            )
        for name in r.get("missingTools", []):
            out.append(f"| {name} | not installed | | | | | | |")
        out.append("")
        c = r["correctness"]
        if c["ok"]:
            out.append(f"Correctness: **OK** — LISTEN owner pids agree with `ss -ltnp` on every port of {RANGE}.")
        else:
            out.append("Correctness: **MISMATCH**")
            out.extend(f"- {x}" for x in c["mismatches"])
        out.extend(f"- warning: {x}" for x in c["warnings"])
        br = r["benchRefresh"]
        if isinstance(br.get("value"), dict):
            v = br["value"]
            out.append("")
            out.append(
                f"Dashboard refresh (`bench-refresh`, 200 iterations): median {v['refreshMedianMs']:.2f} ms, "
                f"p95 {v['refreshP95Ms']:.2f} ms, new listener seen in {v['newListenerMs']:.2f} ms."
            )
        else:
            out.append("")
            out.append(f"Dashboard refresh (`bench-refresh`): n/a ({br.get('reason')}).")
        di = r.get("dashboardIdle") or {}
        if isinstance(di.get("value"), dict):
            out.append("")
            out.append(f"Dashboard idle at `--interval 1` (tmux, utime+stime over {di['value']['seconds']} s): "
                       f"{di['value']['cpuPercent']:.2f}% of one core.")
        elif di:
            out.append("")
            out.append(f"Dashboard idle CPU: n/a ({di.get('reason')}).")
        if r.get("leftoverProcesses"):
            out.append(f"\n**Warning:** {r['leftoverProcesses']} load processes were left and killed.")
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--levels", default="small,medium,large", help="comma-separated: small,medium,large")
    ap.add_argument("--runs", type=int, default=15, help="timed runs per tool (default 15)")
    ap.add_argument("--warmups", type=int, default=3, help="warm-up runs per tool (default 3)")
    ap.add_argument("--rss-runs", type=int, default=3, help="separate runs per tool for max RSS (default 3)")
    ap.add_argument("--portdash", default=DEFAULT_PORTDASH, help="portdash binary (default .build/release/portdash)")
    ap.add_argument("--ttl", type=int, default=900, help="loadgen time limit per level, seconds (default 900)")
    ap.add_argument("--timeout", type=int, default=120, help="per-process time limit, seconds (default 120)")
    ap.add_argument("--out-dir", default=HERE, help="where RESULTS.md and results.json go (default bench/)")
    ap.add_argument("--idle-seconds", type=int, default=30, help="how long to sample the idle dashboard's CPU per level (default 30; 0 skips)")
    args = ap.parse_args()
    levels = [l.strip() for l in args.levels.split(",") if l.strip()]
    bad = [l for l in levels if l not in LEVELS]
    if bad or not levels:
        ap.error(f"unknown level(s) {bad}; choose from {','.join(LEVELS)}")
    if args.runs < 1 or args.warmups < 0 or args.rss_runs < 0:
        ap.error("--runs must be >= 1, --warmups and --rss-runs >= 0")

    portdash = os.path.abspath(args.portdash)
    if not (os.path.isfile(portdash) and os.access(portdash, os.X_OK)):
        log(
            f"run.py: portdash binary not found or not executable: {portdash}\n"
            f"        build it first (swift build -c release) or pass --portdash PATH"
        )
        return 2
    ss = shutil.which("ss")
    if not ss:
        log("run.py: `ss` (iproute2) not found; it is the reference for the correctness check; install iproute2")
        return 2

    all_tools = tool_table(portdash)
    tools = [(n, a) for n, a in all_tools if a[0]]
    missing = [n for n, a in all_tools if not a[0]]
    for n in missing:
        log(f"run.py: {n} not installed; skipping it")
    if os.geteuid() != 0:
        log("run.py: not root: ss/lsof/netstat/fuser see only your own processes' pids (fine for the load)")

    tmp = tempfile.mkdtemp(prefix="portdash-bench.")
    state_dir = os.path.join(tmp, "state")
    os.mkdir(state_dir)
    state_path = os.path.join(state_dir, "leases.json")
    env = dict(os.environ, PORTDASH_STATE=state_path, XDG_STATE_HOME=state_dir, LC_ALL="C")

    def on_term(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)

    report = {
        "machine": machine_info(),
        "config": {
            "invocation": "python3 bench/run.py " + shlex.join(sys.argv[1:]) if sys.argv[1:] else "python3 bench/run.py",
            "levels": levels,
            "runs": args.runs,
            "warmups": args.warmups,
            "rssRuns": args.rss_runs,
            "portdash": portdash,
            "commands": {n: shown(n, a, state_path) for n, a in tools},
            "benchRefreshCommand": f"PORTDASH_STATE={state_path} portdash bench-refresh --range {RANGE} --iterations 200",
            "missingTools": missing,
        },
        "levels": {},
    }
    status = 0
    try:
        for level in levels:
            try:
                r = measure_level(level, args, tools, env, state_path, tmp, ss)
                r["missingTools"] = missing
            except Exception as e:  # the load is already stopped by measure_level's finally
                log(f"[{level}] FAILED: {type(e).__name__}: {e}")
                r = {"level": level, "ok": False, "error": str(e)}
            report["levels"][level] = r
            if not r.get("ok"):
                status = 1
    except KeyboardInterrupt as e:
        log(f"run.py: interrupted ({e or 'SIGINT'}); load stopped, partial results not written")
        return 130
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    report["ok"] = status == 0
    md = render(report)
    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "RESULTS.md"), "w") as f:
        f.write(md + "\n")
    with open(os.path.join(args.out_dir, "results.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(md)
    if status:
        log("run.py: FAILED — see MISMATCH / FAILED lines above (exit 1)")
    return status


if __name__ == "__main__":
    sys.exit(main())
