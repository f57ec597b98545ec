"""prctl(2) through ctypes, with each option named once.

The option numbers are those of <linux/prctl.h>, as documented in prctl(2).
"""

import ctypes
import os

PR_SET_PDEATHSIG = 1  # prctl(2): the signal we get when our parent dies
PR_SET_NAME = 15  # prctl(2): the calling thread's name, /proc/PID/comm (16 bytes with the NUL)
PR_SET_CHILD_SUBREAPER = 36  # prctl(2): orphaned descendants are re-parented to us

_OPTION_NAMES = {PR_SET_PDEATHSIG: "PR_SET_PDEATHSIG", PR_SET_NAME: "PR_SET_NAME",
                 PR_SET_CHILD_SUBREAPER: "PR_SET_CHILD_SUBREAPER"}

COMM_MAX = 15  # PR_SET_NAME keeps at most 15 bytes and a NUL

_libc = ctypes.CDLL(None, use_errno=True)


def prctl(option, arg):
    """prctl(option, arg, 0, 0, 0) with `arg` a ctypes value; raises OSError on failure."""
    zero = ctypes.c_ulong(0)
    if _libc.prctl(ctypes.c_int(option), arg, zero, zero, zero) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl({_OPTION_NAMES.get(option, option)}): {os.strerror(err)}")


def set_parent_death_signal(signum):
    prctl(PR_SET_PDEATHSIG, ctypes.c_ulong(int(signum)))


def die_with_parent(expected_ppid, signum):
    """Get `signum` when the parent dies; exit now if it already died before the prctl."""
    set_parent_death_signal(signum)
    if os.getppid() != expected_ppid:
        os._exit(0)


def become_child_subreaper():
    prctl(PR_SET_CHILD_SUBREAPER, ctypes.c_ulong(1))


def set_process_name(name):
    """The name ps and /proc/PID/comm show (cut to 15 bytes); best effort."""
    try:
        prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()[:COMM_MAX]))
    except OSError:
        pass
