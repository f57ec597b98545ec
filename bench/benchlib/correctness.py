"""Is portdash right? Per port, the owner pids of the LISTEN sockets in
`portdash status --json` must equal the pids `ss -ltnp` shows."""

import json
import re
import subprocess

from .config import FIRST, LAST, RANGE

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
        res[port] = (entry.get("state"), listen_owner_pids(entry))
    return res


def listen_owner_pids(entry):
    """The owner pids of one port entry's LISTEN sockets."""
    pids = set()
    for sock in entry.get("sockets") or []:
        if sock.get("tcpState") == "LISTEN":
            for owner in sock.get("owners") or []:
                if owner.get("pid") is not None:
                    pids.add(int(owner["pid"]))
    return pids


def read_portdash_status(portdash_argv, env):
    """(the parsed listener pids, None) or (None, the reason it failed)."""
    try:
        proc = subprocess.run(portdash_argv, capture_output=True, text=True, env=env, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"portdash status --json failed to run: {e}"
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or [""])[0]
        return None, f"portdash status --json exited {proc.returncode}: {first}"
    try:
        return portdash_listener_pids(json.loads(proc.stdout)), None
    except (ValueError, KeyError, TypeError) as e:
        return None, f"portdash status --json: unreadable output ({type(e).__name__}: {e})"


def compare_port(port, pd, ss_pids):
    """(the port's entry for the report or None, a mismatch message or None)."""
    want = ss_pids.get(port, set())
    if port not in pd:
        return None, f"port {port}: missing from portdash output (ss pids {sorted(want)})"
    state, got = pd[port]
    entry = {"state": state, "portdash": sorted(got), "ss": sorted(want)}
    if got != want:
        return entry, (
            f"port {port}: portdash LISTEN owners {sorted(got)} != ss -ltnp {sorted(want)}"
            f" (missing {sorted(want - got)}, extra {sorted(got - want)})"
        )
    if port in ss_pids and state == "free":
        return entry, f"port {port}: portdash says free, ss shows a listener {sorted(want)}"
    return entry, None


def load_warnings(load, ss_pids):
    """Listeners loadgen reported that ss does not show."""
    return [
        f"load check: ss does not show loadgen pids {pids} on port {port}"
        for port, pids in (load.get("listeners") or {}).items()
        if not set(pids) <= ss_pids.get(int(port), set())
    ]


def check_correctness(portdash_argv, ss, env, load):
    """Compare, per port, LISTEN owner pids: portdash status --json vs ss -ltnp."""
    result = {"ok": False, "mismatches": [], "warnings": []}
    pd, failure = read_portdash_status(portdash_argv, env)
    ss_pids = ss_listener_pids(ss)
    if failure:
        result["mismatches"].append(failure)
        return result
    per_port = {}
    for port in range(FIRST, LAST + 1):
        entry, mismatch = compare_port(port, pd, ss_pids)
        if entry is not None:
            per_port[str(port)] = entry
        if mismatch:
            result["mismatches"].append(mismatch)
    result["warnings"].extend(load_warnings(load, ss_pids))
    extra = sorted(set(pd) - set(range(FIRST, LAST + 1)))
    if extra:
        result["mismatches"].append(f"portdash lists ports outside {RANGE}: {extra}")
    result["ports"] = per_port
    result["ok"] = not result["mismatches"]
    return result
