"""Dask: the hybrid pipeline on a Dask cluster of ``processes`` workers with ``worker_threads``
threads each. ``ask`` tasks make ``calls_per_task`` calls each with asyncio on their worker's
event loop, at most ``concurrency`` in flight and ``client_rpm`` a minute across the whole
cluster (``ClusterLimits``); an ``analyse`` task after each does the CPU work.

The cluster is a ``LocalCluster`` started for the run (its start-up is measured, not timed:
``extras["cluster_start_s"]``); the workers share the run's fake, and its quota, on loopback.
"""

from __future__ import annotations

import asyncio
from typing import Any

from course_lib.cluster import clusters, tasks
from course_lib.cluster.limits import ClusterLimits
from course_lib.fake.server import FakeServer
from course_lib.run.calls import ScenarioRun
from course_lib.run.results import CallRecord


async def on_dask(run: ScenarioRun) -> list[CallRecord]:
    workers = run.settings.processes
    run.setting_up(f"Starting the cluster ({workers} worker{'s' * (workers > 1)})")
    # Dask's client blocks while it waits: the run goes in a thread, the kernel's loop stays free
    going: dict[str, Any] = {}
    try:
        return await asyncio.to_thread(_on_dask, run, going)
    except asyncio.CancelledError:  # Stop: cancel the tasks, and the thread closes the cluster
        going["stopped"] = True
        if "futures" in going:
            going["client"].cancel(going["futures"])
        raise


def _on_dask(run: ScenarioRun, going: dict[str, Any]) -> list[CallRecord]:
    s = run.settings
    limits = ClusterLimits(s.concurrency, s.client_rpm, s.window_s)
    with FakeServer(run.fake) as url:
        started = clusters.local_cluster(s.processes, s.worker_threads)
        with started.cluster, started.client as client:
            run.extras["cluster_start_s"] = started.seconds
            client.register_plugin(tasks.EachWorker(url, s.model))
            run.extras["cluster_mib"] = clusters.cluster_mib(client)  # with the SDK loaded
            if going.get("stopped"):  # Stop was pressed while the cluster started
                return []
            run.start_clock()
            futures = tasks.submit_all(
                client, s.prompt_list(), s, limits, url, s.calls_per_task, run.iterations
            )
            going.update(client=client, futures=futures)
            records = tasks.gather_in_order(futures, run.tracer)
            run.stop_clock()  # closing the cluster is not part of the run
    return records
