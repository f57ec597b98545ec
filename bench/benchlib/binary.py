"""Finding the portdash binary: one rule for the bench scripts and screenshots/make.sh.

    python3 -m benchlib.binary [--allow-debug] [PATH]    (with bench/ on PYTHONPATH)

prints the binary's absolute path, or says what is missing and exits 2.
"""

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RELEASE = os.path.join(REPO, ".build", "release", "portdash")
DEBUG = os.path.join(REPO, ".build", "debug", "portdash")
BUILD_COMMAND = "swift build -c release --static-swift-stdlib"


class BinaryNotFound(Exception):
    pass


def is_executable_file(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_portdash(explicit=None, allow_debug=False):
    """The absolute path of the portdash binary to run.

    `explicit` (a path relative to the current directory) if given; else the
    release build; else, with allow_debug, the debug build.  Raises
    BinaryNotFound naming the path it looked at.
    """
    if explicit:
        candidates = [os.path.abspath(explicit)]
    else:
        candidates = [RELEASE] + ([DEBUG] if allow_debug else [])
    for path in candidates:
        if is_executable_file(path):
            return path
    shown = " or ".join(display_path(p) for p in candidates)
    raise BinaryNotFound(f"portdash binary not found or not executable: {shown}")


def display_path(path):
    """`path` relative to the repository when it is inside it, else as it is."""
    rel = os.path.relpath(path, REPO)
    return path if rel.startswith("..") else rel


def main(argv=None):
    ap = argparse.ArgumentParser(description="Print the portdash binary's absolute path.")
    ap.add_argument("path", nargs="?", help="an explicit binary (default: the release build)")
    ap.add_argument("--allow-debug", action="store_true", help="fall back to the debug build")
    args = ap.parse_args(argv)
    try:
        print(find_portdash(args.path, args.allow_debug))
    except BinaryNotFound as e:
        print(f"{e}\n  build it first ({BUILD_COMMAND})", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
