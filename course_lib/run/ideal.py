"""The shortest wall time each scenario could reach with no overhead at all: one function each.

Each takes the settings, the CPU seconds per answer ``w``, the cores that can compute at once, and
how long each call takes (``ScenarioSettings.call_seconds()``: with jitter or answers of different
lengths the calls differ, and the bound uses each one's own latency). A rate limit adds a full
window (``window_s``) for every ``rpm`` calls past the first batch.

>>> from course_lib.run.settings import ScenarioSettings
>>> s = ScenarioSettings(prompts=10, latency=1.0, concurrency=3)
>>> sequential(s, 0.0, 2, [1.0] * 10), concurrent(s, 0.0, 2, [1.0] * 10)
(10.0, 4.0)
>>> concurrent(s, 0.0, 2, [7.4, 2.6, 0.9, 2.1, 2.1])  # five calls at once: the slowest one
7.4
"""

from __future__ import annotations

import heapq
import math

from course_lib.run.settings import ScenarioSettings


def agents(s: ScenarioSettings, w: float, cores: int, calls: list[float]) -> float:
    """Each agent: a model call, its searches (all at once: one search's time; one by one: all of
    them), a model call; ``concurrency`` agents at once in each of the processes."""
    tools = s.tool_latency * (1 if s.tool_calls == "at once" else s.tools_per_turn)
    slots = s.concurrency * (s.processes if s.processes > 1 else 1)
    return in_order([2 * call + tools + w for call in calls], slots)


def in_order(durations: list[float], slots: int) -> float:
    """When the last of ``durations`` ends if each, in order, takes the first free slot of
    ``slots`` (what a semaphore or a pool does). Equal durations: ceil(n / slots) rounds."""
    free = [0.0] * max(1, min(slots, len(durations)))
    for duration in durations:
        heapq.heappush(free, heapq.heappop(free) + duration)
    return max(free)


def waiting(s: ScenarioSettings, calls: list[float], slots: int) -> float:
    """The calls alone, ``slots`` at a time (and no faster than the rate limit lets them)."""
    bound = in_order(calls, slots)
    rates = [r for r in (s.rpm, s.client_rpm) if r is not None]
    if rates and len(calls) > min(rates):  # the API's limit, or a client-side limiter's
        bound = max(bound, (len(calls) - 1) // min(rates) * s.window_s + calls[-1])
    return bound


def sequential(s: ScenarioSettings, w: float, cores: int, calls: list[float]) -> float:
    return waiting(s, calls, 1) + len(calls) * w


def concurrent(s: ScenarioSettings, w: float, cores: int, calls: list[float]) -> float:
    """Asyncio or threads: one interpreter, so the CPU work cannot overlap itself."""
    return max(waiting(s, calls, s.concurrency) + w, min(calls) + len(calls) * w)


def parallel(s: ScenarioSettings, w: float, cores: int, calls: list[float]) -> float:
    """Each process calls, then analyses; only ``cores`` of them compute at once."""
    usable = min(s.processes, cores)
    return max(
        in_order([c + w for c in calls], s.processes),
        waiting(s, calls, s.processes) + w,
        min(calls) + math.ceil(len(calls) / usable) * w,
    )


def hybrid(s: ScenarioSettings, w: float, cores: int, calls: list[float]) -> float:
    """Fetch everything, then analyse everything on the pool."""
    return waiting(s, calls, s.concurrency) + math.ceil(len(calls) / min(s.processes, cores)) * w


def hybrid_pipelined(s: ScenarioSettings, w: float, cores: int, calls: list[float]) -> float:
    """Each answer analysed on the pool as soon as it arrives."""
    usable = min(s.processes, cores)
    return max(
        waiting(s, calls, s.concurrency) + w, min(calls) + math.ceil(len(calls) / usable) * w
    )


def rate_limited(s: ScenarioSettings, w: float, cores: int, calls: list[float]) -> float:
    """Calls only (this scenario does no analysis), ``concurrency`` in flight in each of
    ``processes`` event loops (one, in the kernel, when ``processes`` is 1)."""
    return waiting(s, calls, s.concurrency * s.processes)


def on_dask(s: ScenarioSettings, w: float, cores: int, calls: list[float]) -> float:
    """Tasks of ``calls_per_task`` calls each hold one of the workers' threads until their
    slowest call ends; at most ``concurrency`` calls in flight in the cluster; each answer
    analysed after its task, on a worker's core."""
    per = s.calls_per_task
    tasks = [max(calls[k : k + per]) for k in range(0, len(calls), per)]
    usable = min(s.processes, cores)
    return max(
        in_order(tasks, s.processes * s.worker_threads) + per * w,
        waiting(s, calls, s.concurrency) + w,
        min(calls) + math.ceil(len(calls) / usable) * w,
    )
