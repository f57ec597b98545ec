"""Max RSS of whole processes, from os.wait4's ru_maxrss.

A process forked (or vforked) from this Python interpreter starts with the
interpreter's resident pages counted in its ru_maxrss (about 10-14 MiB), which
would hide the tools' real peaks.  So each probe starts the tool through
/bin/sh as a trampoline ("$@" &): the tool is forked from a small shell, the
shell exits at once, the tool is re-parented to us (PR_SET_CHILD_SUBREAPER),
and os.wait4 on the tool itself gives its own ru_maxrss.  This runs in a
forked child so that only these probes are ever re-parented to it.
"""

import json
import os
import signal

from .prctl import become_child_subreaper, set_parent_death_signal
from .waiting import WaitTimeout, wait_until

# Runs "$@" in the background with stdout/stderr on fds 3/4, prints its pid, exits.
TRAMPOLINE = '"$@" >&3 2>&4 3>&- 4>&- </dev/null & echo $!'


def rss_probes(jobs, env, tmp, runs, timeout):
    """{name: [max RSS KiB or None per run]} for each (name, argv) job, or {"error": ...}."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:  # never fall back into the parent's code
            os.close(r)
            code = probe_in_child(w, jobs, env, tmp, runs, timeout)
        finally:
            os._exit(code)
    os.close(w)
    data = read_to_eof(r)
    os.waitpid(pid, 0)
    return json.loads(data or b'{"error": "no answer"}')


def probe_in_child(w, jobs, env, tmp, runs, timeout):
    """The forked child's work: answer on `w` as JSON; returns the exit code."""
    code = 0
    try:
        set_parent_death_signal(signal.SIGKILL)  # die with run.py
        become_child_subreaper()
        res = {name: [rss_one(argv, env, tmp, name, timeout) for _ in range(runs)] for name, argv in jobs}
    except BaseException as e:
        code = 1
        res = {"error": f"{type(e).__name__}: {e}"}
    os.write(w, json.dumps(res).encode())
    return code


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
    """Max RSS (KiB) of one run of argv, or None if it outlives `timeout` seconds."""
    tool = start_through_trampoline(argv, env, tmp, name)
    try:  # the tool is our child now (re-parented when sh exited)
        ru = wait_until(lambda: reaped(tool), timeout, f"{name} to exit", interval=0.002)
        return ru.ru_maxrss
    except WaitTimeout:
        os.kill(tool, signal.SIGKILL)
        os.wait4(tool, 0)
        return None


def start_through_trampoline(argv, env, tmp, name):
    """Starts argv from /bin/sh, which exits at once; returns the tool's pid."""
    r, w = os.pipe()
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, w, 1),
        (os.POSIX_SPAWN_OPEN, 3, os.path.join(tmp, f"{name}.rss.out"), flags, 0o600),
        (os.POSIX_SPAWN_OPEN, 4, os.path.join(tmp, f"{name}.rss.err"), flags, 0o600),
    ]
    sh = os.posix_spawn("/bin/sh", ["sh", "-c", TRAMPOLINE, "sh"] + argv, env, file_actions=actions)
    os.close(w)
    text = read_to_eof(r)
    os.waitpid(sh, 0)
    return int(text.split()[0])


def reaped(pid):
    """The rusage of child `pid` if it has exited (and is now reaped), else None."""
    done, _status, ru = os.wait4(pid, os.WNOHANG)
    return ru if done else None
