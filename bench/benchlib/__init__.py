"""Shared helpers for the bench scripts (run.py, loadgen.py, leases.py) and
screenshots/make.sh: one place each for finding the binary, reading /proc,
prctl(2), waiting for a condition, and the benchmark's range and levels.

Python 3 standard library only; Linux only.
"""

import sys


def log(msg):
    """One progress line on stderr, flushed at once."""
    print(msg, file=sys.stderr, flush=True)
