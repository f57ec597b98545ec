"""Issue 10's rows: `portdash status --all --json` against `ss -ltnp` (every
listener, with processes), the same owner pids on every port, and the
dashboard's every-listener view (refresh time, idle CPU)."""

import json
import os
import re
import shutil
import statistics
import subprocess

from .dashboard import SCAN_TIMEOUT, START_TIMEOUT, dashboard_command, dashboard_process, sample_cpu, wait_until_warm
from .timing import run_timed
from .tmux import TmuxPane
from .waiting import wait_until

USERS_PID = re.compile(r",pid=(\d+),fd=\d+\)")


def commands(portdash):
    return [("portdash", [portdash, "status", "--all", "--json"]), ("ss", [shutil.which("ss"), "-ltnp"])]


def ss_owners(ss):
    """{port: set(pids)} for every TCP listener ss -Hltnp shows."""
    out = subprocess.run([ss, "-Hltnp"], capture_output=True, text=True, timeout=300).stdout
    owners = {}
    for line in out.splitlines():
        cols = line.split(None, 5)
        if len(cols) < 5:
            continue
        try:
            port = int(cols[3].rsplit(":", 1)[1])
        except (IndexError, ValueError):
            continue
        owners.setdefault(port, set()).update(int(p) for p in USERS_PID.findall(cols[5] if len(cols) > 5 else ""))
    return owners


def portdash_owners(portdash, env):
    """{port: set(pids of host-namespace LISTEN sockets)} from status --all --json."""
    doc = json.loads(subprocess.run([portdash, "status", "--all", "--json"], capture_output=True, text=True,
                                    env=env, timeout=300).stdout)
    owners = {}
    for entry in doc["ports"]:
        for sock in entry["sockets"]:
            if sock.get("netns") is None and sock["tcpState"] == "LISTEN":
                owners.setdefault(entry["port"], set()).update(o["pid"] for o in sock["owners"])
    return owners


def same_owners(portdash, env, ss):
    """Mismatching ports as text (empty: equal on every port)."""
    ours, theirs = portdash_owners(portdash, env), ss_owners(ss)
    return [f"{p}: portdash {sorted(ours.get(p, set()))} ss {sorted(theirs.get(p, set()))}"
            for p in sorted(set(ours) | set(theirs)) if ours.get(p, set()) != theirs.get(p, set())]


def timed_ratio(portdash, env, tmp, runs, timeout):
    """Alternating whole-process runs (who goes first alternates); medians and
    the median of the pairwise ratios portdash/ss."""
    cmds = commands(portdash)
    ms = {name: [] for name, _ in cmds}
    for r in range(runs + 1):  # run 0 is a warm-up
        for name, argv in (cmds if r % 2 == 0 else cmds[::-1]):
            t, _code = run_timed(argv, env, os.path.join(tmp, name + ".out"), os.path.join(tmp, name + ".err"), timeout)
            if r > 0 and t is not None:
                ms[name].append(t)
    pairs = [a / b for a, b in zip(ms["portdash"], ms["ss"]) if b]
    return {"portdashMedianMs": statistics.median(ms["portdash"]), "ssMedianMs": statistics.median(ms["ss"]),
            "ratioMedian": statistics.median(pairs), "runs": runs}


def refresh_all(portdash, env, timeout):
    out = subprocess.run([portdash, "bench-refresh", "--all", "--iterations", "200"], capture_output=True,
                         text=True, env=env, timeout=timeout).stdout
    doc = json.loads(out.strip().splitlines()[-1])
    return {k: doc[k] for k in ("refreshMedianMs", "refreshP95Ms", "firstRefreshMs")}


def idle_all_view(portdash, env, seconds):
    """CPU of the real dashboard left on its every-listener view (Tab) at --interval 1."""
    with TmuxPane(dashboard_command(portdash, env)) as pane:
        dashboard = wait_until(lambda: dashboard_process(pane), START_TIMEOUT, "the dashboard to start", 0.1)
        wait_until(lambda: "scanned" in pane.screen(), SCAN_TIMEOUT, "the first scan", 0.1)
        pane.tmux("send-keys", "-t", "B", "Tab")
        wait_until(lambda: "every listener" in pane.screen(), SCAN_TIMEOUT, "the every-listener view", 0.1)
        # Its first refresh may walk /proc for sockets no process shows
        # (another user's, another pid namespace's): once, then remembered.
        # Sampled after that, as for the pool view.
        wait_until_warm(pane)
        wait_until_warm(pane)
        return sample_cpu(dashboard, seconds)
