"""Everything a run needs, checked when it is made: a bad value is one clear message.

>>> ScenarioSettings(concurrency=0)
Traceback (most recent call last):
...
course_lib.values.SettingError: concurrency must be a whole number, from 1 to 1000000 (got 0)
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from course_lib import ranges, values
from course_lib.config import DEFAULT_MODEL
from course_lib.fake.answers import known_prompts
from course_lib.fake.gemini import FakeGemini
from course_lib.fake.latency import LatencyModel, TokenRate, latency_model
from course_lib.ranges import RETRY_POLICIES as RETRY_POLICIES  # re-exported: the panels use them
from course_lib.ranges import TOOL_CALLS as TOOL_CALLS
from course_lib.values import SettingError


@dataclass(frozen=True)
class ScenarioSettings:
    """Everything a run needs, checked when it is made. ``cpu_work`` is milliseconds of CPU per
    answer; ``rpm`` and ``tpm`` (the API's limits, per ``window_s`` seconds: a "minute" a lesson
    may shorten) None mean no limit; ``client_rpm`` is a client-side limiter's rate (None: none);
    ``retry`` one of ``RETRY_POLICIES``; ``start_method`` None means forkserver where available,
    else spawn. With ``tokens_per_s``, a call's first token comes after ``latency`` seconds and
    the rest of its answer at that many tokens a second, so long answers take longer. Agents
    (the ``agents`` scenario): each search takes ``tool_latency`` seconds, the model asks for
    ``tools_per_turn`` of them in its first turn, and ``tool_calls`` says how they run. On Dask
    (the ``dask`` scenario), each of the ``processes`` workers has ``worker_threads`` threads,
    and each task asks ``calls_per_task`` prompts."""

    prompts: int = 5
    latency: float = 0.5
    jitter: float = 0.0
    concurrency: int = 5
    processes: int = 2
    cpu_work: float = 0.0
    rpm: int | None = None
    tpm: int | None = None
    window_s: float = 60.0
    client_rpm: int | None = None
    retry: str = "kit"
    failure_rate: float = 0.0
    seed: int = 0
    attempts: int = 4
    model: str = DEFAULT_MODEL
    start_method: str | None = None
    tokens_per_s: float | None = None
    tool_latency: float = 0.5
    tools_per_turn: int = 2
    tool_calls: str = "at once"
    worker_threads: int = 1
    calls_per_task: int = 1

    def __post_init__(self) -> None:
        ranges.check_fields(self)  # each setting's range and message: course_lib.ranges
        if self.jitter > self.latency:
            raise SettingError(
                f"jitter ({self.jitter:g}) cannot be larger than the latency ({self.latency:g})"
            )

    def changed(self, **changes: Any) -> ScenarioSettings:
        """These settings with some changed, e.g. ``changed(concurrency=10)``; a name that is not
        a setting gets a SettingError that lists those that are."""
        values.known("ScenarioSettings", changes, (f.name for f in fields(self)))
        return replace(self, **changes)

    def fake(self) -> FakeGemini:
        """The fake Gemini a run with these settings talks to (each run gets its own)."""
        latency: LatencyModel
        if self.tokens_per_s is not None:
            # TokenRate's jitter is a share of the latency (and jitter <= latency, so 0 here at 0)
            share = self.jitter / self.latency if self.latency else 0.0
            latency = TokenRate(self.latency, self.tokens_per_s, min(share, 1.0))
        else:
            latency = latency_model(self.latency, self.jitter)
        return FakeGemini(
            latency=latency,
            rpm=self.rpm,
            tpm=self.tpm,
            window_s=self.window_s,
            failure_rate=self.failure_rate,
            seed=self.seed,
        )

    def call_seconds(self) -> list[float]:
        """How long each call of a run will take (the same draws the run's fake makes): with
        jitter or answers of different lengths, the calls differ, and ideal bounds use them."""
        if self.jitter == 0 and self.tokens_per_s is None:
            return [self.latency] * self.prompts
        return self.fake().planned_seconds(self.model, self.prompt_list())

    def prompt_list(self) -> list[str]:
        """The prompts of a run: the classic five first, then the rest of the set, repeated."""
        pool = known_prompts()
        return [pool[i % len(pool)] for i in range(self.prompts)]
