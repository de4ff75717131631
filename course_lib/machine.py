"""What this machine offers: how many CPU cores this process may really use, and how the kit
starts worker processes.

Containers (Binder, Colab, CI) often report the host's cores in ``os.cpu_count()`` while a cgroup
quota lets them use one or two. Parallel speed-ups are bounded by the effective count.

>>> effective_cpu_count() <= (os.cpu_count() or 1)
True
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
from pathlib import Path


def cgroup_cpu_quota(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """CPUs the cgroup quota allows (v2 ``cpu.max`` or v1 ``cfs_quota``); None if unlimited."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        if quota != "max":
            return int(quota) / int(period)
        return None
    except (OSError, ValueError):
        pass
    try:
        quota_us = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period_us = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return quota_us / period_us if quota_us > 0 else None
    except (OSError, ValueError):
        return None


def memory_limit(
    root: Path = Path("/sys/fs/cgroup"), membership: Path = Path("/proc/self/cgroup")
) -> int | None:
    """Bytes of memory this process may use: the smallest limit of its cgroup and the cgroups
    above it (v2 ``memory.max``, found from ``membership``; or v1 ``memory.limit_in_bytes``) and
    the machine's memory; None if none can be read (not Linux)."""
    places = [root / "memory.max", root / "memory" / "memory.limit_in_bytes"]
    try:  # cgroup v2: "0::/path/of/this/cgroup"; its limit, and those of the ones above it
        line = next(x for x in membership.read_text().splitlines() if x.startswith("0::"))
        parts = Path(line[3:]).parts[1:]
        for depth in range(1, len(parts) + 1):
            places.append(root.joinpath(*parts[:depth], "memory.max"))
    except (OSError, StopIteration):
        pass
    limits = []
    for path in places:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit():  # "max" in v2 means none; v1 writes a huge number for none
            limits.append(int(text))
    try:
        limits.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        pass
    return min(limits) if limits else None


def effective_cpu_count(
    reported: int | None = None,
    allowed: int | None = None,
    quota: float | None = None,
    *,
    look: bool = True,
) -> int:
    """The smallest of: cores reported, cores this process may run on (its affinity), and the
    cgroup quota rounded up. Each is read from this machine unless given (``look=False``: only
    what is given)."""
    if look:
        reported = reported if reported is not None else os.cpu_count()
        if allowed is None and hasattr(os, "sched_getaffinity"):
            allowed = len(os.sched_getaffinity(0))
        quota = quota if quota is not None else cgroup_cpu_quota()
    counts = [n for n in (reported, allowed) if n]
    if quota is not None:
        counts.append(max(1, math.ceil(quota)))
    return min(counts, default=1)


def default_start_method() -> str:
    """forkserver where it exists (Linux; Python 3.14's default there), else spawn.

    Never fork inside a Jupyter kernel: it is multi-threaded, and a forked child can deadlock.
    """
    if sys.platform == "linux" and "forkserver" in multiprocessing.get_all_start_methods():
        return "forkserver"
    return "spawn"


def fresh_forkserver() -> None:
    """A fork server hands every worker it starts the environment it had when it started: stop
    this process's (pools already running keep their workers), so that the next pool's workers
    start from one that sees the room (or, on leaving, this machine's fake). ``_stop`` is private:
    CPython's own tests use it (3.8-3.14); without it, nothing is stopped."""
    from multiprocessing import forkserver

    stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)
    if callable(stop):
        stop()
