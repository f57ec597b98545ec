"""What the benchmark measures: the port range and the load levels."""

FIRST, LAST = 5000, 5010
RANGE = f"{FIRST}-{LAST}"

# name: (idle processes K, open fds per idle process F, established connections C)
LEVEL_SIZES = {
    "small": (50, 10, 100),
    "medium": (500, 50, 5000),
    "large": (1500, 100, 20000),
}
LEVELS = list(LEVEL_SIZES)


def in_bench_range(port):
    return FIRST <= port <= LAST


def level_description(level):
    """e.g. "500 idle processes × 50 fds, 5,000 connections"."""
    idle, fds, conns = LEVEL_SIZES[level]
    return f"{idle:,} idle processes × {fds} fds, {conns:,} connections"
