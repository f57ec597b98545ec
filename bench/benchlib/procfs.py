"""Reading /proc: one parser for /proc/PID/stat, and whole small files read
with every file closed again.

Field numbers are those of proc_pid_stat(5), counting from 1.
"""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcStat:
    pid: int
    comm: str  # field 2: between the first "(" and the LAST ")", since a name may hold ")" or spaces
    state: str  # field 3, e.g. "S", "Z"
    ppid: int  # field 4
    pgrp: int  # field 5
    utime: int  # field 14, clock ticks in user mode
    stime: int  # field 15, clock ticks in kernel mode
    starttime: int  # field 22, clock ticks after boot: with the pid, names one process

    @property
    def cpu_ticks(self):
        return self.utime + self.stime


def parse_stat(pid, raw):
    """A ProcStat from the bytes of /proc/PID/stat; ValueError if malformed."""
    try:
        name_start, name_end = raw.index(b"(") + 1, raw.rindex(b")")
        after = raw[name_end + 2 :].split()  # after[0] is field 3

        def field(n):
            return after[n - 3]

        return ProcStat(
            pid=pid,
            comm=raw[name_start:name_end].decode(errors="replace"),
            state=field(3).decode(),
            ppid=int(field(4)),
            pgrp=int(field(5)),
            utime=int(field(14)),
            stime=int(field(15)),
            starttime=int(field(22)),
        )
    except IndexError as e:
        raise ValueError(f"/proc/{pid}/stat: too few fields") from e


def read_stat(pid):
    """The ProcStat of a live process, or None when it is gone (or unreadable)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    return parse_stat(pid, raw)


def all_pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def pgrp_members(pgid):
    """Pids of the live (non-zombie) processes in process group `pgid`."""
    members = []
    for pid in all_pids():
        stat = read_stat(pid)
        if stat and stat.pgrp == pgid and stat.state != "Z":
            members.append(pid)
    return members


def read_text(path):
    with open(path) as f:
        return f.read()


def loadavg():
    """The 1, 5 and 15 minute load averages, as the strings /proc/loadavg has."""
    return read_text("/proc/loadavg").split()[:3]


def mem_total_kib():
    for line in read_text("/proc/meminfo").splitlines():
        if line.startswith("MemTotal"):
            return int(line.split()[1])
    return None


def cpu_model():
    try:
        for line in read_text("/proc/cpuinfo").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"
