"""The scenario registry: one record per way of running a batch of prompts.

A scenario is its name, a label and a colour for pictures, the coroutine that runs it (named as
``"module:function"`` and imported only when it runs, so a scenario may need a package that
``import course_lib`` does not), its ideal bound, and the settings it uses beyond the workload
every scenario shares. The command line, the panels, the pictures and ``run_scenario`` all read
this table.

Adding a scenario is one module in ``course_lib/run/scenarios/`` (an ``async def`` that takes a
``ScenarioRun``, calls ``run.start_clock()`` once its set-up is done, and returns one ``CallRecord``
per prompt) and one ``register(...)`` below, whose ``ideal`` is a function of ``ideal.py`` or a
lambda here: never in the scenario's module, which is imported only when it runs. A scenario that
needs a new setting also adds it to ``ScenarioSettings``, its range to ``course_lib.ranges``
(whose words the command line's help uses), the command line's options and, for a slider,
``view/controls.CONTROLS`` (a test says when one is missing). Its module may import a
heavy package (Dask does): the registry imports it only when the scenario runs. That package goes in
pyproject's dependencies all the same: the doctests import every module.

>>> scenario("concurrent").uses
('concurrency',)
>>> scenario("turbo")
Traceback (most recent call last):
...
course_lib.values.SettingError: unknown scenario 'turbo'; choose one of sequential, \
concurrent, threads, parallel, hybrid, hybrid-pipelined, rate-limited, agents, dask
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from course_lib.machine import effective_cpu_count
from course_lib.run import ideal
from course_lib.run.settings import ScenarioSettings, SettingError

if TYPE_CHECKING:
    from course_lib.run.calls import ScenarioRun
    from course_lib.run.results import CallRecord

#: The settings every scenario uses: what the work is, whatever the way it is run.
WORKLOAD = (
    "prompts",
    "latency",
    "jitter",
    "tokens_per_s",
    "cpu_work",
    "rpm",
    "tpm",
    "window_s",
    "failure_rate",
    "seed",
    "attempts",
    "model",
)


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str  # says in a few words how the prompts are run
    colour: str  # its colour wherever runs are compared
    runner: str  # "module:coroutine function", imported when the scenario runs
    # (settings, CPU seconds per answer, cores, each call's seconds) -> the best wall time
    ideal: Callable[[ScenarioSettings, float, int, list[float]], float]
    uses: tuple[str, ...] = ()  # settings beyond WORKLOAD that change how it runs
    names: Mapping[str, str] = field(default_factory=dict)  # what it calls a setting

    @property
    def settings(self) -> tuple[str, ...]:
        """Every setting that means something for this scenario."""
        return WORKLOAD + self.uses

    def refuse_unused(self, given: Iterable[str], spelled: Callable[[str], str] = str) -> None:
        """The one message for a setting this scenario does not use (``spelled``: how the caller
        writes a setting's name; the command line writes ``--processes``)."""
        unused = [name for name in given if name not in self.settings]
        if unused:
            takes = ", ".join(spelled(name) for name in self.settings)
            raise SettingError(
                f"{spelled(unused[0])} does not apply to the {self.name} scenario; it takes {takes}"
            )

    def name_of(self, setting: str) -> str:
        """'concurrency' is 'threads' for the threads scenario."""
        return self.names.get(setting, setting)

    def load(self) -> Callable[[ScenarioRun], Awaitable[list[CallRecord]]]:
        module, _, function = self.runner.partition(":")
        return getattr(import_module(module), function)

    def ideal_seconds(
        self,
        s: ScenarioSettings,
        cpu_s: float | None = None,
        cores: int | None = None,
        calls: list[float] | None = None,
    ) -> float:
        """The shortest wall time it could take with no overhead (CPU work per answer:
        ``cpu_work`` milliseconds unless ``cpu_s`` says otherwise; each call's latency: the
        settings' own draws unless ``calls`` says otherwise)."""
        w = s.cpu_work / 1000 if cpu_s is None else cpu_s
        calls = s.call_seconds() if calls is None else calls
        return self.ideal(s, w, cores or effective_cpu_count(), calls)


_SCENARIOS: dict[str, Scenario] = {}
#: name -> Scenario, in the order they were registered (read-only: use ``register``).
SCENARIOS: Mapping[str, Scenario] = MappingProxyType(_SCENARIOS)


def register(new: Scenario) -> Scenario:
    if new.name in _SCENARIOS:
        raise ValueError(f"a scenario named {new.name!r} is registered already")
    _SCENARIOS[new.name] = new
    return new


def scenario(name: Any) -> Scenario:
    """The scenario called ``name``; the one place that says a name is unknown."""
    if not isinstance(name, str) or name not in _SCENARIOS:
        raise SettingError(f"unknown scenario {name!r}; choose one of {', '.join(_SCENARIOS)}")
    return _SCENARIOS[name]


def ideal_seconds(
    name: str,
    s: ScenarioSettings,
    cpu_s: float | None = None,
    cores: int | None = None,
    calls: list[float] | None = None,
) -> float:
    """``scenario(name).ideal_seconds(...)``, for short."""
    return scenario(name).ideal_seconds(s, cpu_s, cores, calls)


def one_at_a_time_seconds(name: str, s: ScenarioSettings, cpu_s: float | None = None) -> float:
    """The ideal time of the same work done one step at a time: the baseline of every "N× the
    speed of sequential". For agents, one agent after another, each running its searches one
    after another; for the rest, the sequential scenario."""
    if "tools_per_turn" in scenario(name).uses:
        alone = s.changed(concurrency=1, processes=1, tool_calls="one by one")
        return ideal_seconds(name, alone, cpu_s)
    return ideal_seconds("sequential", s, cpu_s)


_HERE = "course_lib.run.scenarios"
register(
    Scenario(
        name="sequential",
        label="one call after another",
        colour="#4D4D4D",
        runner=f"{_HERE}.sequential:sequential",
        ideal=ideal.sequential,
    )
)
register(
    Scenario(
        name="concurrent",
        label="asyncio: calls overlap on one thread",
        colour="#332288",
        runner=f"{_HERE}.concurrent:concurrent",
        ideal=ideal.concurrent,
        uses=("concurrency",),
    )
)
register(
    Scenario(
        name="threads",
        label="a pool of threads",
        colour="#AA4499",
        runner=f"{_HERE}.threads:threads",
        ideal=ideal.concurrent,
        uses=("concurrency",),
        names={"concurrency": "threads"},
    )
)
register(
    Scenario(
        name="parallel",
        label="a pool of processes",
        colour="#882255",
        runner=f"{_HERE}.parallel:parallel",
        ideal=ideal.parallel,
        uses=("processes", "start_method"),
    )
)
register(
    Scenario(
        name="hybrid",
        label="asyncio fetches every answer, then processes analyse them",
        colour="#8C564B",
        runner=f"{_HERE}.hybrid:fetch_all_then_analyse",
        ideal=ideal.hybrid,
        uses=("concurrency", "processes", "start_method"),
    )
)
register(
    Scenario(
        name="hybrid-pipelined",
        label="asyncio fetches, processes analyse each answer as it arrives",
        colour="#1F6F6F",
        runner=f"{_HERE}.hybrid:pipelined",
        ideal=ideal.hybrid_pipelined,
        uses=("concurrency", "processes", "start_method"),
    )
)
register(
    Scenario(
        name="rate-limited",
        label="asyncio under a rate limit: a client-side limiter and a retry policy",
        colour="#117733",
        runner=f"{_HERE}.limited:rate_limited",
        ideal=ideal.rate_limited,
        uses=("concurrency", "processes", "start_method", "client_rpm", "retry"),
        names={"concurrency": "in flight"},
    )
)
register(
    Scenario(
        name="agents",
        label="ReAct agents: a model call, the searches it asks for, a model call",
        colour="#44AA99",
        runner=f"{_HERE}.agents:agents",
        ideal=ideal.agents,
        uses=(
            "concurrency",
            "processes",
            "start_method",
            "tool_latency",
            "tools_per_turn",
            "tool_calls",
        ),
        names={"prompts": "agents", "concurrency": "agents at once"},
    )
)
register(
    Scenario(
        name="dask",
        label="a Dask cluster: asyncio calls in worker tasks under one cluster-wide limit",
        colour="#997700",
        runner=f"{_HERE}.on_dask:on_dask",
        ideal=ideal.on_dask,
        uses=(
            "concurrency",
            "processes",
            "client_rpm",
            "worker_threads",
            "calls_per_task",
        ),
        names={"processes": "workers", "concurrency": "in flight (cluster)"},
    )
)
