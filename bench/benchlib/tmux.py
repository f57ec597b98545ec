"""One pane in a tmux server of our own (-L), to run the real dashboard in a
real terminal and read its screen."""

import os
import subprocess


class TmuxPane:
    def __init__(self, command, width=120, height=32):
        self.socket = f"portdash-bench-{os.getpid()}"
        self.command = command
        self.width, self.height = width, height

    def __enter__(self):
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "B",
                  "-x", str(self.width), "-y", str(self.height), self.command)
        return self

    def __exit__(self, *_exc):
        self.tmux("kill-server")

    def tmux(self, *args):
        """Runs one tmux command on our server; returns its stdout."""
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True).stdout

    def pane_pid(self):
        """The pid of the pane's process, or None before there is one."""
        out = self.tmux("display-message", "-p", "-t", "B", "#{pane_pid}").strip()
        return int(out) if out.isdigit() else None

    def screen(self):
        """The pane's text, as a person would see it."""
        return self.tmux("capture-pane", "-p", "-t", "B")
