"""The shortest wall time each scenario could reach with no overhead at all.

>>> s = Settings(prompts=10, latency=1.0, concurrency=3)
>>> ideal_seconds("sequential", s), ideal_seconds("concurrent", s)
(10.0, 4.0)
"""

from __future__ import annotations

import math

from course_lib.run.machine import effective_cpu_count
from course_lib.run.settings import SCENARIOS, SettingError, Settings


def ideal_seconds(
    scenario: str, s: Settings, cpu_s: float | None = None, cores: int | None = None
) -> float:
    """The shortest wall time ``scenario`` could take with no overhead at all.

    cpu_s is the CPU time per answer (default: ``cpu_work`` milliseconds). Latency is its mean.
    A rate limit adds a full window for every ``rpm`` calls past the first batch.
    """
    n, lat = s.prompts, s.latency
    w = s.cpu_work / 1000 if cpu_s is None else cpu_s
    cores = cores or effective_cpu_count()

    def io(slots: int) -> float:
        bound = math.ceil(n / slots) * lat
        if s.rpm is not None and n > s.rpm:
            bound = max(bound, (n - 1) // s.rpm * 60.0 + lat)
        return bound

    if scenario == "sequential":
        return max(n * (lat + w), io(1) + n * w)
    if scenario in ("concurrent", "threads"):  # one interpreter: CPU work cannot overlap itself
        return max(io(s.concurrency) + w, lat + n * w)
    usable = min(s.processes, cores)
    if scenario == "parallel":
        return max(
            io(s.processes) + math.ceil(n / s.processes) * w, lat + math.ceil(n / usable) * w
        )
    if scenario == "hybrid":  # fetch everything, then analyse everything
        return io(s.concurrency) + math.ceil(n / usable) * w
    if scenario == "hybrid-pipelined":
        return max(io(s.concurrency) + w, lat + math.ceil(n / usable) * w)
    raise SettingError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
