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
import signal
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

from course_lib.machine import default_start_method

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
    started = time.perf_counter()
    # Workers forked from a fork server start in a tenth of the time spawned ones take (the
    # server imports Python once; every later cluster's workers skip it): the kit's pools too.
    with dask.config.set({"distributed.worker.multiprocessing-method": default_start_method()}):
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=threads, processes=True, dashboard_address=":0"
        )
    client = Client(cluster)
    seconds = time.perf_counter() - started
    return Started(cluster, client, seconds, cluster_mib(client))


def cluster_mib(client: Client) -> float:
    """The resident memory of the cluster's processes on this machine, in MiB: its workers, and
    their nannies where those are processes of their own (a LocalCluster keeps its nannies and
    its scheduler in the kernel, which is not counted)."""
    pids = set(worker_pids(client).values())
    for pid in list(pids):
        with contextlib.suppress(psutil.Error):
            nanny = psutil.Process(pid).parent()
            if nanny is not None and nanny.pid != os.getpid():
                pids.add(nanny.pid)
    total = 0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            total += psutil.Process(pid).memory_info().rss
    return total / 2**20


def worker_pids(client: Client) -> dict[str, int]:
    """Each worker's address and the pid of the process that runs its tasks."""
    return client.run(os.getpid)


def kill_a_worker(client: Client) -> str:
    """Kill the busiest worker's process at once (SIGKILL: no goodbye), as a machine that dies
    would; returns its address. Its nanny, if it has one, starts a new worker in its place."""
    busy = {address: len(keys) for address, keys in client.processing().items()}
    address, pid = max(worker_pids(client).items(), key=lambda item: busy.get(item[0], 0))
    os.kill(pid, signal.SIGKILL)
    return address


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
