"""Running a scenario: the same batch of prompts, run one of the registered ways, traced and timed.

Every runner is a coroutine, so a notebook awaits it (and a Stop button can cancel it) while the
kernel stays responsive; ``run_scenario_sync`` runs one from a script. Each run gets its own fake
Gemini, seeded from the settings, so runs are reproducible and do not share a rate-limit budget.

The notebooks show the concurrency code itself; these are the tested versions the panels, the CLI
and the benchmarks use.

>>> s = ScenarioSettings(prompts=4, latency=0.1, concurrency=2)
>>> result = run_scenario_sync("concurrent", s)
>>> result.scenario, len(result.outputs), result.ideal_s
('concurrent', 4, 0.2)
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from typing import Any

from course_lib.client.factory import warm_sdk
from course_lib.run.calls import ScenarioRun
from course_lib.run.registry import SCENARIOS, scenario
from course_lib.run.results import RunResult
from course_lib.run.settings import ScenarioSettings, SettingError
from course_lib.run.workloads import iterations_for, stop_when
from course_lib.trace.spans import CPU, Span, Tracer, now, numbered

_DEFAULTS = {f.name: f.default for f in fields(ScenarioSettings)}


async def run_scenario(
    name: str,
    settings: ScenarioSettings | None = None,
    *,
    tracer: Tracer | None = None,
    **changes: Any,
) -> RunResult:
    """Run one scenario; ``changes`` override single settings, e.g. ``concurrency=10``. A change
    to a setting the scenario does not use (``processes`` for ``concurrent``) is refused, as the
    command line refuses its option: it would change nothing, silently.

    Pass a ``tracer`` to watch the run while it happens (``tracer.snapshot()``); by default the
    run gets a fresh one.
    """
    chosen = scenario(name)
    if settings is not None and not isinstance(settings, ScenarioSettings):
        raise SettingError(
            f"settings must be a ScenarioSettings(...), not {type(settings).__name__}; "
            "e.g. run_scenario('concurrent', ScenarioSettings(prompts=10))"
        )
    s = (settings or ScenarioSettings()).changed(**changes)
    # a setting's default, given again, changes nothing: a loop over scenarios may pass it
    chosen.refuse_unused(n for n, value in changes.items() if value != _DEFAULTS[n])
    runner = chosen.load()  # a scenario's own imports happen here, not at `import course_lib`
    await asyncio.to_thread(warm_sdk)  # once per process, outside the timed part
    fake = s.fake()
    calls = fake.planned_seconds(s.model, s.prompt_list())  # before the run asks anything
    tracer = tracer or Tracer()
    stopped = threading.Event()  # set when the run ends however it ends: its CPU work stops too
    try:
        with tracer, _heap_set_aside(), stop_when(stopped):
            run = ScenarioRun(s, fake, iterations_for(s.cpu_work), tracer)
            records = await runner(run)
            t0 = tracer.t0
            assert t0 is not None, "a ScenarioRun starts the clock when it is made"
            wall = (run.ended or now()) - t0
    finally:
        stopped.set()
    tracer.spans[:] = numbered(tracer.spans)
    records.sort(key=lambda r: r.task)
    cpu_s = measured_cpu(tracer.spans) if s.cpu_work else None
    return RunResult(
        name,
        wall,
        s,
        tracer.spans,
        records,
        chosen.ideal_seconds(s, cpu_s, calls=calls),
        t0,
        run.extras,
        cpu_s,
    )


def measured_cpu(spans: list[Span]) -> float | None:
    """The CPU seconds an answer's analysis took, on average, as measured on the CPU clock.

    ``cpu_work`` is calibrated once, but a shared core speeds up and slows down (other tenants,
    turbo): the same work can cost 30 % more or less a few seconds later. The ideal bound uses
    what the work really cost in this run.
    """
    times = [s.cpu_s for s in spans if s.phase == CPU and s.cpu_s is not None and s.outcome == "ok"]
    return sum(times) / len(times) if times else None


@contextmanager
def _heap_set_aside() -> Iterator[None]:
    """While a run goes, Python's cycle collector leaves alone the objects that existed before it.

    A notebook's heap can hold millions of objects; a full collection scans them all, and one
    landing mid-run would add a pause (0.1 s and more) to the timeline that the calls did not
    cause. ``gc.freeze`` sets them aside and ``gc.unfreeze`` gives them back, so nothing is kept
    alive that would otherwise be freed: it is only collected after the run instead of during it.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], 10_000), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def run_scenario_sync(
    name: str, settings: ScenarioSettings | None = None, **changes: Any
) -> RunResult:
    """``run_scenario`` for scripts. In a notebook, write ``await run_scenario(...)`` instead."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run_scenario(name, settings, **changes))
    raise RuntimeError(
        "An event loop is already running (as in Jupyter): "
        "use `await run_scenario(...)` instead of run_scenario_sync(...)."
    )


async def compare(
    settings: ScenarioSettings | None = None, names: Iterable[str] | None = None
) -> list[RunResult]:
    """Run several scenarios (default: all) one after another with the same settings."""
    return [await run_scenario(name, settings) for name in names or list(SCENARIOS)]
