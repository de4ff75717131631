"""How much memory the whole course takes on Binder (1 GB guaranteed, 2 GB at most).

A learner on Binder opens the lessons one after another and rarely shuts a kernel down: this runs
every lesson top to bottom, offline, each in a kernel of its own that stays alive, and samples
twice a second the memory of every kernel and everything it started (worker pools, lesson 08's
Dask cluster, the fake's server). Memory is PSS (each shared page counted once, shared out among
the processes that map it): what a container's memory limit sees of them, closer than the sum
of RSS, which counts a forked worker's shared pages again in every worker.

    make test-binder && .venv-binder/bin/python bench/binder_memory.py   # about 6 minutes

Run it in Binder's environment (make test-binder builds one) for Binder's numbers.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import nbformat
import psutil
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
MIB = 2**20


def family_pss(pids: list[int]) -> float:
    """PSS of these processes and all their descendants, in MiB."""
    total, seen = 0, set()
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for process in [root, *root.children(recursive=True)]:
                if process.pid not in seen:
                    seen.add(process.pid)
                    total += process.memory_full_info().pss
        except psutil.Error:
            continue  # a process that ended between the listing and the reading
    return total / MIB


def main() -> int:
    kernels: list[KernelManager] = []
    peak = {"MiB": 0.0, "during": ""}
    running = {"lesson": ""}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            pids = [k.provisioner.process.pid for k in kernels if k.provisioner]
            now = family_pss(pids)
            if now > peak["MiB"]:
                peak.update(MiB=now, during=running["lesson"])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    print(f"{'lesson':36} {'its kernel after':>17} {'all kernels':>12}")
    try:
        for path in sorted(NOTEBOOKS.glob("0*.ipynb")):
            running["lesson"] = path.stem
            notebook = nbformat.read(path, as_version=4)
            manager = KernelManager(kernel_name="python3")
            manager.start_kernel(cwd=str(NOTEBOOKS))  # ours: the client leaves it running
            kernels.append(manager)
            NotebookClient(notebook, km=manager, timeout=900).execute()
            mine = family_pss([manager.provisioner.process.pid])
            everyone = family_pss([k.provisioner.process.pid for k in kernels])
            print(f"{path.stem:36} {mine:13.0f} MiB {everyone:8.0f} MiB", flush=True)
    finally:
        stop.set()
        sampler.join()
        for manager in kernels:
            manager.shutdown_kernel(now=True)
    print(f"peak, all kernels together: {peak['MiB']:.0f} MiB (during {peak['during']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
