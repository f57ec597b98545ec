"""Starting and stopping bench/loadgen.py, and checking what it left behind."""

import json
import os
import select
import signal
import subprocess
import sys
import time

from .procfs import pgrp_members
from .waiting import WaitTimeout, wait_until

LOADGEN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "loadgen.py")
STOP_GRACE = 30  # seconds loadgen has to stop after SIGTERM
LEFTOVER_GRACE = 10  # seconds its process group then has to empty


def start_load(level, ttl, timeout=300):
    """Starts loadgen in its own process group; returns (Popen, its ready line as a dict)."""
    proc = subprocess.Popen(
        [sys.executable, LOADGEN, "--level", level, "--ttl", str(ttl)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        start_new_session=True,  # own process group: killpg() as a last resort
    )
    line = read_ready_line(proc, timeout)
    if line is None:
        stop_load(proc)
        raise RuntimeError(f"loadgen not ready after {timeout} s")
    try:
        info = json.loads(line)
    except ValueError:
        info = {"ready": False, "error": f"loadgen said {line[:200]!r}"}
    if not info.get("ready"):
        stop_load(proc)
        raise RuntimeError(f"loadgen failed: {info.get('error')}")
    return proc, info


def read_ready_line(proc, timeout):
    """loadgen's first stdout line (or all it wrote before closing), None on timeout."""
    end = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        left = end - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            return None
        chunk = os.read(proc.stdout.fileno(), 1 << 20)
        if not chunk:
            break
        line += chunk
    return line


def stop_load(proc):
    """Stop loadgen and make sure nothing it started is left. Returns the leftovers' pids."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    proc.stdout.close()
    try:
        wait_until(lambda: not pgrp_members(proc.pid), LEFTOVER_GRACE, "the load's process group to empty", 0.1)
        return []
    except WaitTimeout:
        left = pgrp_members(proc.pid)
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
