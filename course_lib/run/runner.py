"""The scenario runners: the same batch of prompts, run six ways, each traced and timed.

Every runner is a coroutine, so a notebook awaits it (and a Stop button can cancel it) while the
kernel stays responsive; ``run_sync`` runs one from a script. Each run gets its own fake Gemini,
seeded from the settings, so runs are reproducible and do not share a rate-limit budget.

The notebooks show the concurrency code itself; these are the tested versions the panels, the CLI
and the benchmarks use.

>>> result = run_sync("concurrent", Settings(prompts=4, latency=0.1, concurrency=2))
>>> result.scenario, len(result.outputs), round(result.wall_s, 1)
('concurrent', 4, 0.2)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from course_lib.client.factory import warm_sdk
from course_lib.fake.gemini import FakeGemini
from course_lib.fake.latency import latency_model
from course_lib.run.calls import Run
from course_lib.run.ideal import ideal_seconds
from course_lib.run.results import RunResult
from course_lib.run.scenarios.concurrent import concurrent
from course_lib.run.scenarios.hybrid import hybrid
from course_lib.run.scenarios.parallel import parallel
from course_lib.run.scenarios.sequential import sequential
from course_lib.run.scenarios.threads import threads
from course_lib.run.settings import SCENARIOS, SettingError, Settings
from course_lib.run.workloads import iterations_for
from course_lib.trace.spans import (
    Tracer,
    now,
    process_lane_names,
)

_RUNNERS: dict[str, Callable[[Run], Awaitable[list[dict[str, Any]]]]] = {
    "sequential": sequential,
    "concurrent": concurrent,
    "threads": threads,
    "parallel": parallel,
    "hybrid": lambda run: hybrid(run, pipelined=False),
    "hybrid-pipelined": lambda run: hybrid(run, pipelined=True),
}


async def run_scenario(
    scenario: str, settings: Settings | None = None, *, tracer: Tracer | None = None, **changes: Any
) -> RunResult:
    """Run one scenario; ``changes`` override single settings, e.g. ``concurrency=10``.

    Pass a ``tracer`` to watch the run while it happens (``tracer.snapshot()``); by default the
    run gets a fresh one.
    """
    if scenario not in _RUNNERS:
        raise SettingError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    s = replace(settings or Settings(), **changes)
    await asyncio.to_thread(warm_sdk)  # once per process, outside the timed part
    fake = FakeGemini(
        latency=latency_model(s.latency, s.jitter),
        rpm=s.rpm,
        failure_rate=s.failure_rate,
        seed=s.seed,
    )
    tracer = tracer or Tracer()
    with tracer:
        run = Run(s, fake, iterations_for(s.cpu_work), tracer)
        outputs = await _RUNNERS[scenario](run)
        wall = now() - tracer.t0
    names = process_lane_names(tracer.spans)
    for traced in tracer.spans:
        traced.lane = names.get(traced.lane, traced.lane)
    outputs.sort(key=lambda o: o["task"])
    return RunResult(
        scenario, wall, s, tracer.spans, outputs, ideal_seconds(scenario, s), tracer.t0, run.extras
    )


def run_sync(scenario: str, settings: Settings | None = None, **changes: Any) -> RunResult:
    """``run_scenario`` for scripts. In a notebook, write ``await run_scenario(...)`` instead."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run_scenario(scenario, settings, **changes))
    raise RuntimeError(
        "An event loop is already running (as in Jupyter): "
        "use `await run_scenario(...)` instead of run_sync(...)."
    )


async def compare(
    settings: Settings | None = None, scenarios: tuple[str, ...] = SCENARIOS
) -> list[RunResult]:
    """Run several scenarios one after another with the same settings."""
    return [await run_scenario(name, settings) for name in scenarios]
