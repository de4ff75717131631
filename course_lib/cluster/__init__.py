"""Lesson 08, beyond one machine, on Dask distributed (imported only when a name is first used).

- ``clusters``: a ``LocalCluster`` measured (``local_cluster``, ``cluster_mib``), a scheduler and
  workers as separate processes (``separate_processes``), a worker killed mid-run
- ``limits``: ``ClusterLimits``, one cap and one rate for the whole cluster, on the scheduler
- ``tasks``: the pipeline as Dask tasks (``ask_batch``, ``analyse_batch``, ``submit_all``,
  ``gather_in_order``), with one client per worker, made by ``EachWorker`` (a worker plugin)
"""

from course_lib._lazy import lazy_names

_WHERE = {
    "local_cluster": "clusters",
    "cluster_mib": "clusters",
    "separate_processes": "clusters",
    "kill_a_worker_when": "clusters",
    "ClusterLimits": "limits",
    "batches": "tasks",
    "EachWorker": "tasks",
    "prepare": "tasks",
    "ask_batch": "tasks",
    "analyse_batch": "tasks",
    "submit_all": "tasks",
    "gather_in_order": "tasks",
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
