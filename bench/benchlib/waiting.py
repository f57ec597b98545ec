"""Waiting for a condition: polling with a time limit, never a fixed sleep."""

import time


class WaitTimeout(Exception):
    pass


def wait_until(condition, timeout, what, interval=0.05):
    """Calls condition() until it returns a true value, and returns that value.

    Raises WaitTimeout("... waiting for <what>") after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)
