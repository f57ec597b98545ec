"""What the dashboard costs: `portdash bench-refresh` (one refresh, timed by
portdash itself) and the real dashboard's CPU use while idle in tmux."""

import json
import os
import re
import shlex
import shutil
import subprocess
import time

from .config import RANGE
from .procfs import read_stat
from .tmux import TmuxPane
from .waiting import WaitTimeout, wait_until

REFRESH_KEYS = ("refreshMedianMs", "refreshP95Ms", "newListenerMs")
REFRESH_ITERATIONS = 200
START_TIMEOUT = 10  # seconds for the dashboard's process to appear in the pane
SCAN_TIMEOUT = 60  # seconds for its first scan, and for each refresh after it
WARM_UP_REFRESHES = 3  # refreshes drawn after the first scan before CPU is sampled
SCANNED = re.compile(r"scanned \S+( \([^)]*\))?")  # the header's "scanned 07:45:36 (1.6 ms)"


def bench_refresh(portdash, env, timeout):
    """{"value": {REFRESH_KEYS...}} or {"value": "n/a", "reason": ...}."""
    argv = [portdash, "bench-refresh", "--range", RANGE, "--iterations", str(REFRESH_ITERATIONS)]
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


def dashboard_command(portdash, env):
    """The shell command tmux runs: the dashboard at --interval 1, with our PORTDASH_* settings."""
    envs = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items() if k.startswith("PORTDASH"))
    return f"env LANG=C.UTF-8 TERM=xterm-256color {envs} {shlex.quote(portdash)} --range {RANGE} --interval 1"


def dashboard_idle_cpu(portdash, env, seconds):
    """CPU used by the real dashboard left idle at --interval 1, in a tmux pane,
    from utime+stime in /proc/PID/stat over `seconds`, once it is warm."""
    if seconds <= 0:
        return {"value": "n/a", "reason": "skipped (--idle-seconds 0)"}
    if not shutil.which("tmux"):
        return {"value": "n/a", "reason": "tmux not installed"}
    with TmuxPane(dashboard_command(portdash, env)) as pane:
        try:
            dashboard = wait_until(lambda: dashboard_process(pane), START_TIMEOUT, "the dashboard to start", 0.1)
        except WaitTimeout:
            return {"value": "n/a", "reason": "dashboard did not start"}
        try:
            wait_until_warm(pane)
            return {"value": sample_cpu(dashboard, seconds)}
        except (OSError, ValueError, WaitTimeout) as e:
            return {"value": "n/a", "reason": str(e)}


def dashboard_process(pane):
    """The ProcStat of the pane's process once it is portdash (env has exec'd it), else None."""
    pid = pane.pane_pid()
    stat = read_stat(pid) if pid else None
    return stat if stat and stat.comm == "portdash" else None


def wait_until_warm(pane):
    """Until the screen shows the first scan and WARM_UP_REFRESHES redraws of
    the "scanned" stamp after it: the first full walk is over, caches are warm."""
    seen = wait_until(lambda: scanned_stamp(pane), SCAN_TIMEOUT, "the dashboard's first scan", 0.1)
    for _ in range(WARM_UP_REFRESHES):
        seen = wait_until(lambda: new_stamp(pane, seen), SCAN_TIMEOUT, "a dashboard refresh", 0.1)


def scanned_stamp(pane):
    m = SCANNED.search(pane.screen())
    return m.group(0) if m else None


def new_stamp(pane, old):
    stamp = scanned_stamp(pane)
    return stamp if stamp and stamp != old else None


def sample_cpu(dashboard, seconds):
    """{"cpuPercent", "seconds"}: the process's CPU use over a window of `seconds`."""
    tck = os.sysconf("SC_CLK_TCK")
    t0, before = time.monotonic(), read_stat(dashboard.pid)
    time.sleep(seconds)  # the measurement window itself, not a wait for anything
    t1, after = time.monotonic(), read_stat(dashboard.pid)
    if not all(s and s.starttime == dashboard.starttime for s in (before, after)):
        raise ValueError("the dashboard exited during the measurement")
    return {"cpuPercent": 100.0 * (after.cpu_ticks - before.cpu_ticks) / tck / (t1 - t0), "seconds": round(t1 - t0, 1)}
