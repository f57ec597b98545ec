"""Timing one whole process: posix_spawn -> wait4, stdout and stderr to files."""

import os
import signal
import time


class Timeout(Exception):
    pass


def spawn_actions(out_path, err_path):
    """stdin /dev/null, stdout and stderr to fresh files."""
    w = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    return [
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, out_path, w, 0o600),
        (os.POSIX_SPAWN_OPEN, 2, err_path, w, 0o600),
    ]


def run_timed(argv, env, out_path, err_path, timeout):
    """One whole process: posix_spawn -> wait4. Returns (wall ms, exit code),
    or (None, "timeout") when it is killed after `timeout` seconds."""
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


def count_lines(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)
