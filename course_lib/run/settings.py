"""The course's scenarios: their settings, their results, and the best wall time each could reach.

>>> s = Settings(prompts=10, latency=1.0, concurrency=3)
>>> ideal_seconds("sequential", s), ideal_seconds("concurrent", s)
(10.0, 4.0)
>>> Settings(concurrency=0)
Traceback (most recent call last):
...
course_lib.run.settings.SettingError: concurrency must be at least 1 (got 0)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from course_lib.config import DEFAULT_MODEL, KNOWN_MODELS
from course_lib.fake.answers import known_prompts
from course_lib.run.machine import effective_cpu_count
from course_lib.trace.spans import Span

SCENARIOS = ("sequential", "concurrent", "threads", "parallel", "hybrid", "hybrid-pipelined")


class SettingError(ValueError):
    """A setting a run cannot use; the message says which and what is allowed."""


@dataclass(frozen=True)
class Settings:
    """Everything a run needs. ``cpu_work`` is milliseconds of CPU per answer."""

    prompts: int = 5
    latency: float = 0.5
    jitter: float = 0.0
    concurrency: int = 5
    processes: int = 2
    cpu_work: float = 0.0
    rpm: int | None = None
    failure_rate: float = 0.0
    seed: int = 0
    attempts: int = 4
    model: str = DEFAULT_MODEL
    start_method: str | None = None  # None: forkserver where available, else spawn

    def __post_init__(self) -> None:
        def need(ok: bool, message: str) -> None:
            if not ok:
                raise SettingError(message)

        for name in ("prompts", "concurrency", "processes", "attempts"):
            value = getattr(self, name)
            need(
                isinstance(value, int) and not isinstance(value, bool),
                f"{name} must be a whole number (got {value!r})",
            )
            need(value >= 1, f"{name} must be at least 1 (got {value})")
        need(self.prompts <= 100_000, f"prompts must be at most 100000 (got {self.prompts})")
        need(self.processes <= 64, f"processes must be at most 64 (got {self.processes})")
        for name in ("latency", "jitter", "cpu_work"):
            value = getattr(self, name)
            need(
                isinstance(value, int | float) and math.isfinite(value),
                f"{name} must be a number (got {value!r})",
            )
            need(value >= 0, f"{name} must be zero or more (got {value})")
        need(self.latency > 0, f"latency must be more than 0 seconds (got {self.latency})")
        need(
            self.jitter <= self.latency,
            f"jitter ({self.jitter}) cannot be larger than the latency ({self.latency})",
        )
        need(
            self.rpm is None or (isinstance(self.rpm, int) and self.rpm >= 1),
            f"rpm must be a whole number of at least 1, or None for no limit (got {self.rpm!r})",
        )
        need(
            0 <= self.failure_rate < 1,
            f"failure_rate must be from 0 up to (not including) 1 (got {self.failure_rate})",
        )
        need(
            self.model in KNOWN_MODELS,
            f"model must be one of {', '.join(KNOWN_MODELS)} (got {self.model!r})",
        )
        need(
            self.start_method in (None, "spawn", "forkserver", "fork"),
            f"start_method must be spawn, forkserver or fork (got {self.start_method!r})",
        )

    def prompt_list(self) -> list[str]:
        """The prompts of a run: the classic five first, then the rest of the set, repeated."""
        pool = known_prompts()
        return [pool[i % len(pool)] for i in range(self.prompts)]


@dataclass
class RunResult:
    scenario: str
    wall_s: float
    settings: Settings
    spans: list[Span]
    outputs: list[dict[str, Any]]
    ideal_s: float
    t0: float  # the run's start on the tracing clock; spans are reported relative to it
    extras: dict[str, float] = field(default_factory=dict)

    @property
    def failures(self) -> int:
        return sum(1 for o in self.outputs if o.get("error"))

    def to_dict(self) -> dict[str, Any]:
        spans = [
            {**s.to_dict(), "start": s.start - self.t0, "end": s.end - self.t0}
            for s in sorted(self.spans, key=lambda s: (s.start, str(s.task)))
        ]
        return {
            "scenario": self.scenario,
            "wall_s": self.wall_s,
            "ideal_s": self.ideal_s,
            "params": asdict(self.settings),
            "extras": self.extras,
            "spans": spans,
            "outputs": self.outputs,
        }


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
