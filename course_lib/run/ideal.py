"""The shortest wall time each scenario could reach with no overhead at all: one function each.

Each takes the settings, the CPU seconds per answer ``w`` and the cores that can compute at once.
Latency is its mean; a rate limit adds a full window for every ``rpm`` calls past the first batch.

>>> from course_lib.run.settings import Settings
>>> s = Settings(prompts=10, latency=1.0, concurrency=3)
>>> sequential(s, w=0.0, cores=2), concurrent(s, w=0.0, cores=2)
(10.0, 4.0)
"""

from __future__ import annotations

import math

from course_lib.run.settings import Settings


def waiting(s: Settings, slots: int) -> float:
    """The calls alone, ``slots`` at a time (and no faster than the rate limit lets them)."""
    n, latency = s.prompts, s.latency
    bound = math.ceil(n / slots) * latency
    if s.rpm is not None and n > s.rpm:
        bound = max(bound, (n - 1) // s.rpm * 60.0 + latency)
    return bound


def sequential(s: Settings, w: float, cores: int) -> float:
    return max(s.prompts * (s.latency + w), waiting(s, 1) + s.prompts * w)


def concurrent(s: Settings, w: float, cores: int) -> float:
    """Asyncio or threads: one interpreter, so the CPU work cannot overlap itself."""
    return max(waiting(s, s.concurrency) + w, s.latency + s.prompts * w)


def parallel(s: Settings, w: float, cores: int) -> float:
    usable = min(s.processes, cores)
    rounds = math.ceil(s.prompts / s.processes)
    return max(waiting(s, s.processes) + rounds * w, s.latency + math.ceil(s.prompts / usable) * w)


def hybrid(s: Settings, w: float, cores: int) -> float:
    """Fetch everything, then analyse everything on the pool."""
    return waiting(s, s.concurrency) + math.ceil(s.prompts / min(s.processes, cores)) * w


def hybrid_pipelined(s: Settings, w: float, cores: int) -> float:
    """Each answer analysed on the pool as soon as it arrives."""
    usable = min(s.processes, cores)
    return max(waiting(s, s.concurrency) + w, s.latency + math.ceil(s.prompts / usable) * w)
