"""The tools timed side by side, and how their commands are shown."""

import os
import shlex
import shutil

from .binary import display_path
from .config import FIRST, LAST, RANGE


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
    """The command as RESULTS.md shows it: portdash relative to the repository, with its state file."""
    first = display_path(argv[0]) if name == "portdash" else os.path.basename(argv[0])
    cmd = shlex.join([first] + argv[1:])
    return f"PORTDASH_STATE={state} {cmd}" if name == "portdash" else cmd


def bench_refresh_shown(state, iterations):
    return f"PORTDASH_STATE={state} portdash bench-refresh --range {RANGE} --iterations {iterations}"
