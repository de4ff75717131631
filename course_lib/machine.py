"""What this machine offers: how many CPU cores this process may really use, and how the kit
starts worker processes.

Containers (Binder, Colab, CI) often report the host's cores in ``os.cpu_count()`` while a cgroup
quota lets them use one or two. Parallel speed-ups are bounded by the effective count.

>>> effective_cpu_count() <= (os.cpu_count() or 1)
True
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import sys
import threading
from pathlib import Path
from typing import Any


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
    """Let this process's fork server go, so that the next worker starts a new one. A fork
    server hands every worker the environment it had when it started (the next pool's workers
    should see a room just joined, or, on leaving, this machine's fake), and the modules it
    loaded (a Dask cluster's workers start fast from one with Dask loaded).

    Pools already running keep their workers: the old server ends when the last of them does,
    and a thread collects it then. (``ForkServer._stop``, which CPython's own tests use, waits
    for that end: with a pool still open it waited for ever.) The attributes set here are
    private (read in Python 3.8 to 3.13's source; 3.14 adds an authentication key, cleared
    too); where they are missing, nothing is changed."""
    from multiprocessing import util

    server = _fork_server()
    if server is None or not all(hasattr(server, a) for a in _FORK_SERVER_STATE + ("_lock",)):
        return
    with server._lock:
        pid, alive, address = (getattr(server, a) for a in _FORK_SERVER_STATE)
        if pid is None:
            return
        os.close(alive)  # the server's signal to end, once no worker of its holds it open
        for attribute in (*_FORK_SERVER_STATE, "_forkserver_authkey"):
            if hasattr(server, attribute):
                setattr(server, attribute, None)  # as ensure_running() leaves a dead server
    threading.Thread(
        target=_collect, args=(pid, address, util), name="old-fork-server", daemon=True
    ).start()


def fork_server_pid() -> int | None:
    """The pid of this process's fork server, if one is running."""
    return getattr(_fork_server(), "_forkserver_pid", None)


def fork_server_loads(module: str) -> bool:
    """Whether this process's running fork server loaded ``module`` when it started (its
    command line lists what it loads)."""
    import psutil

    pid = fork_server_pid()
    try:
        return pid is not None and repr(module) in " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return False


def load_in_fork_servers(modules: list[str]) -> None:
    """Have every fork server started from now on load ``modules`` too, beside what others
    asked (the kit's pools and Dask each set the list; the last to set it wins)."""
    asked = list(getattr(_fork_server(), "_preload_modules", []))
    multiprocessing.set_forkserver_preload(asked + [m for m in modules if m not in asked])


def _fork_server() -> Any:
    from multiprocessing import forkserver

    return getattr(forkserver, "_forkserver", None)


_FORK_SERVER_STATE = ("_forkserver_pid", "_forkserver_alive_fd", "_forkserver_address")


def _collect(pid: int, address: str, util: Any) -> None:
    """Wait for an old fork server to end (no zombie left), then remove its socket's file."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    if address and not util.is_abstract_socket_namespace(address):
        with contextlib.suppress(OSError):
            os.unlink(address)
