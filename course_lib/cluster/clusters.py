"""Dask clusters for lesson 08: one on this machine (``LocalCluster``), one started as separate
processes (``dask scheduler``, ``dask worker``) as on several machines, and what they cost.

    with separate_processes(workers=2) as address:  # a scheduler and workers, on loopback
        client = Client(address)                     # the one line that differs on a real cluster

Nothing outlives its block: ``separate_processes`` stops every process it started, killing
those that do not stop in time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import dask
import psutil  # distributed needs it, so it is always there with Dask
from distributed import Client, LocalCluster

from course_lib.cluster.limits import quiet_closing_noise
from course_lib.machine import (
    default_start_method,
    fork_server_loads,
    fork_server_pid,
    fresh_forkserver,
    load_in_fork_servers,
)

STARTS_WITHIN_S = 60.0


class Started(NamedTuple):
    """A running cluster, its client, how long it took to start and the memory of its worker
    processes (a LocalCluster's scheduler and nannies live in the kernel)."""

    cluster: LocalCluster
    client: Client
    seconds: float
    memory_mib: float


def local_cluster(workers: int = 2, threads: int = 1) -> Started:
    """A ``LocalCluster`` of ``workers`` processes with ``threads`` threads each, its dashboard
    on a free port (never 8787, which another kernel's cluster may hold)."""
    # On a busy machine a worker can take over 4 s to stop; the nanny then kills it and warns,
    # which is noise in a lesson (the worker is stopped either way).
    logging.getLogger("distributed.nanny").setLevel(logging.ERROR)
    quiet_closing_noise()  # in the kernel too (its side of a closing cluster)
    started = time.perf_counter()
    # Workers forked from a fork server start in a tenth of the time spawned ones take (the
    # server imports Python once; every later cluster's workers skip it): the kit's pools too.
    method = default_start_method()
    with dask.config.set({"distributed.worker.multiprocessing-method": method}):
        if method == "forkserver":
            _fork_server_with_dask()
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=threads, processes=True, dashboard_address=":0"
        )
    client = Client(cluster)
    seconds = time.perf_counter() - started
    return Started(cluster, client, seconds, cluster_mib(client))


#: What a cluster's workers run: the kit's tasks (and the SDK they use), and Dask.
TASKS = "course_lib.cluster.tasks"


def _fork_server_with_dask() -> None:
    """Dask asks the fork server to load Dask (and what it uses) before it forks a worker, and
    the kit adds its tasks (and the SDK they use): each worker then starts with them loaded,
    instead of importing them itself (about 0.6 s of CPU a worker here, beside Dask's 0.45 s).
    Only a server started after that request has them; one started before (by a pool of the
    kit's) is let go, the pools already running keeping their workers, and the cluster's first
    worker starts a new one. A fork server started later in this process loads them too (a
    second or two of CPU, and bigger workers), unless a pool of the kit's has set its own list
    since."""
    from distributed.utils import get_mp_context

    get_mp_context()  # Dask's list (set once per process; the kit's pools set their own)
    load_in_fork_servers(["distributed", TASKS])
    if fork_server_pid() is not None and not fork_server_loads(TASKS):
        fresh_forkserver()


def cluster_mib(client: Client) -> float:
    """The resident memory of the cluster's worker processes, in MiB: each worker, and its
    nanny where that is a process of its own, measured where it runs (on its own machine, on a
    real cluster). A LocalCluster keeps its nannies and its scheduler in the kernel, which is not
    counted."""
    here = (socket.gethostname(), os.getpid())
    measured = [*client.run(_memory).values(), *client.run(_memory, nanny=True).values()]
    processes = {(host, pid): rss for host, pid, rss in measured if (host, pid) != here}
    return sum(processes.values()) / 2**20


def _memory() -> tuple[str, int, int]:
    """Run on a worker (or its nanny): its machine, its pid and its resident memory."""
    return socket.gethostname(), os.getpid(), psutil.Process().memory_info().rss


def worker_pids(client: Client) -> dict[str, int]:
    """Each worker's address and the pid of the process that runs its tasks (on its machine)."""
    return client.run(os.getpid)


def kill_a_worker(client: Client) -> str:
    """Kill the busiest worker's process at once (SIGKILL: no goodbye), as a machine that dies
    would; returns its address. The worker kills itself, on its own machine (a pid means
    nothing elsewhere). Its nanny, if it has one, starts a new worker in its place."""
    busy = {address: len(keys) for address, keys in client.processing().items()}
    address = max(client.scheduler_info()["workers"], key=lambda a: busy.get(a, 0))
    client.run(_die, workers=[address], wait=False)
    return address


async def _die() -> None:
    """Run on a worker: end its own process, as a machine that dies would (a coroutine:
    ``client.run`` does not wait for one when told not to, and this one never answers)."""
    os.kill(os.getpid(), signal.SIGKILL)


def kill_a_worker_when(client: Client, ready: Callable[[], bool]) -> threading.Thread:
    """A thread that kills the busiest worker as soon as ``ready()`` says so (say, once calls
    are in flight), within ``STARTS_WITHIN_S``; ``join()`` it after the run."""

    def wait_then_kill() -> None:
        deadline = time.monotonic() + STARTS_WITHIN_S
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.01)
        kill_a_worker(client)

    killer = threading.Thread(target=wait_then_kill, name="worker-killer", daemon=True)
    killer.start()
    return killer


@contextlib.contextmanager
def separate_processes(workers: int = 2, threads: int = 1) -> Iterator[str]:
    """A scheduler and ``workers`` workers, each started as its own ``dask`` command on loopback,
    as they would be on separate machines; yields the scheduler's address."""
    folder = Path(tempfile.mkdtemp(prefix="dask-"))
    info = folder / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    log = (folder / "log.txt").open("w")
    started: list[subprocess.Popen] = []

    def start(*args: str) -> None:
        started.append(subprocess.Popen([*dask, *args], stdout=log, stderr=log))

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--scheduler-file", str(info))  # fmt: skip
        address = _wait_for_address(info, started[0], folder)
        for k in range(workers):
            start("worker", address, "--name", str(k), "--nthreads", str(threads),
                  "--host", "127.0.0.1", "--no-dashboard")  # fmt: skip
        with Client(address) as client:
            client.wait_for_workers(workers, timeout=STARTS_WITHIN_S)
        yield address
    finally:
        _stop(started)  # workers and scheduler at once: each takes a second or two to stop
        log.close()
        if sys.exc_info()[0] is None:  # else keep the log the error may point to
            shutil.rmtree(folder, ignore_errors=True)


def _wait_for_address(info: Path, scheduler: subprocess.Popen, folder: Path) -> str:
    deadline = time.monotonic() + STARTS_WITHIN_S
    while time.monotonic() < deadline:
        if scheduler.poll() is not None:
            raise RuntimeError(f"dask scheduler stopped at start; see {folder / 'log.txt'}")
        with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
            return json.loads(info.read_text())["address"]
        time.sleep(0.05)
    raise RuntimeError(f"dask scheduler did not start in {STARTS_WITHIN_S:g} s")


def _stop(processes: list[subprocess.Popen]) -> None:
    """Stop these processes and every process they started (a worker's nanny starts the
    worker): politely, then for sure, on Linux, macOS and Windows alike."""
    family: list[psutil.Process] = []
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            parent = psutil.Process(process.pid)
            family += [*parent.children(recursive=True), parent]
    for member in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.terminate()
    _, alive = psutil.wait_procs(family, timeout=10)
    for member in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
    psutil.wait_procs(alive, timeout=10)
    for process in processes:
        process.wait(timeout=10)
