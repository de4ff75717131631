"""Lesson 08's Dask clusters: what they cost to start and to hold, and what a cluster-wide limit
adds to each call.

- Start-up: a two-worker LocalCluster (one thread each) and a scheduler with two workers started
  as separate ``dask`` commands, in seconds, and the LocalCluster's memory in MiB (workers and
  nannies), against Binder's 2,048 MiB.
- The pipeline's overhead: the ``dask`` scenario's wall time over its ideal bound, for 48 calls
  of 0.5 s with 8 calls per task, with no limit and with a cluster-wide cap (every call asks the
  scheduler for a lease): a ratio in one run, not a timed assertion.

Run: .venv/bin/python bench/cluster.py
"""

from __future__ import annotations

import time

from distributed import Client

from course_lib import DEFAULT_MODEL, ScenarioSettings
from course_lib.cluster import clusters, tasks
from course_lib.run import run_scenario_sync

BINDER_MIB = 2048


def main() -> None:
    started = clusters.local_cluster(2, 1)
    with started.cluster, started.client as client:
        client.run(tasks.prepare, None, DEFAULT_MODEL)  # the SDK loaded, a client made
        mib = clusters.cluster_mib(client)
        print(
            f"LocalCluster, 2 workers: {started.seconds:.2f} s to start, "
            f"{mib:.0f} MiB with the SDK loaded ({mib / BINDER_MIB:.0%} of Binder's)"
        )
    begin = time.perf_counter()
    with clusters.separate_processes(workers=2) as address, Client(address):
        print(f"dask scheduler + 2 dask workers: {time.perf_counter() - begin:.2f} s to start")
    s = ScenarioSettings(prompts=48, latency=0.5, processes=2, calls_per_task=8)
    for name, changes in (("no limit", {"concurrency": 10_000}), ("cap of 16", {})):
        run = run_scenario_sync("dask", s, **({"concurrency": 16} | changes))
        print(
            f"48 calls, {name}: {run.wall_s:.2f} s, ideal {run.ideal_s:.2f} s, "
            f"ratio {run.wall_s / run.ideal_s:.2f}"
        )


if __name__ == "__main__":  # Dask starts processes that import this module again
    main()
