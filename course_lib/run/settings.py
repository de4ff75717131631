"""Everything a run needs, checked when it is made: a bad value is one clear message.

>>> ScenarioSettings(concurrency=0)
Traceback (most recent call last):
...
course_lib.values.SettingError: concurrency must be a whole number, from 1 to 10000 (got 0)
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from course_lib import values
from course_lib.config import DEFAULT_MODEL, KNOWN_MODELS
from course_lib.fake.answers import known_prompts
from course_lib.fake.gemini import FakeGemini
from course_lib.fake.latency import TokenRate, latency_model
from course_lib.values import SettingError

#: The largest value each setting takes: what a lesson could want, and no more (a learner's
#: slip of ``--latency 1e10`` is refused at once instead of running for ever).
MOST = {
    "prompts": 100_000,
    "latency": 600.0,  # seconds
    "concurrency": 10_000,
    "processes": 64,
    "cpu_work": 60_000.0,  # milliseconds per answer
    "rpm": 1_000_000,
    "tpm": 10**12,
    "window_s": 3_600.0,  # seconds: how long the rate limits' "minute" is
    "seed": 2**32 - 1,
    "attempts": 20,
    "tools_per_turn": 10,
    "worker_threads": 64,
    "calls_per_task": 1_000,
}


#: How a run retries a failed call: not at all; the kit's way (``course_lib.rate_limits.retry``:
#: waits what a 429 asks, backs off on 5xx); the SDK's ``HttpRetryOptions``; tenacity honouring
#: RetryInfo; or the kit's way with adaptive concurrency (``course_lib.rate_limits.adaptive``).
RETRY_POLICIES = ("none", "kit", "sdk", "tenacity", "adaptive")

#: How an agent runs the tool calls the model asks for in one turn: together (``asyncio.gather``)
#: or one after another, as the SDK's automatic function calling does.
TOOL_CALLS = ("at once", "one by one")


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
        values.whole("prompts", self.prompts, 1, MOST["prompts"])
        values.number("latency", self.latency, 0, MOST["latency"], "seconds", above_low=True)
        values.number("jitter", self.jitter, 0, MOST["latency"], "seconds")
        if self.jitter > self.latency:
            raise SettingError(
                f"jitter ({self.jitter:g}) cannot be larger than the latency ({self.latency:g})"
            )
        values.whole("concurrency", self.concurrency, 1, MOST["concurrency"])
        values.whole("processes", self.processes, 1, MOST["processes"])
        values.number("cpu_work", self.cpu_work, 0, MOST["cpu_work"], "milliseconds")
        values.limit("rpm", self.rpm, MOST["rpm"], "requests per minute")
        values.limit("tpm", self.tpm, MOST["tpm"], "input tokens per minute")
        values.number("window_s", self.window_s, 0, MOST["window_s"], "seconds", above_low=True)
        values.limit("client_rpm", self.client_rpm, MOST["rpm"], "requests per minute")
        values.choice("retry", self.retry, RETRY_POLICIES)
        values.share("failure_rate", self.failure_rate, below_one=True)
        values.whole("seed", self.seed, 0, MOST["seed"])
        values.whole("attempts", self.attempts, 1, MOST["attempts"])
        values.choice("model", self.model, KNOWN_MODELS)
        if self.start_method is not None:
            values.choice("start_method", self.start_method, ("spawn", "forkserver", "fork"))
        if self.tokens_per_s is not None:
            values.number("tokens_per_s", self.tokens_per_s, 0, 1e6, "tokens", above_low=True)
        values.number("tool_latency", self.tool_latency, 0, MOST["latency"], "seconds")
        values.whole("tools_per_turn", self.tools_per_turn, 1, MOST["tools_per_turn"])
        values.choice("tool_calls", self.tool_calls, TOOL_CALLS)
        values.whole("worker_threads", self.worker_threads, 1, MOST["worker_threads"])
        values.whole("calls_per_task", self.calls_per_task, 1, MOST["calls_per_task"])

    def changed(self, **changes: Any) -> ScenarioSettings:
        """These settings with some changed, e.g. ``changed(concurrency=10)``; a name that is not
        a setting gets a SettingError that lists those that are."""
        values.known("ScenarioSettings", changes, (f.name for f in fields(self)))
        return replace(self, **changes)

    def fake(self) -> FakeGemini:
        """The fake Gemini a run with these settings talks to (each run gets its own)."""
        if self.tokens_per_s is not None:
            share = self.jitter / self.latency  # TokenRate's jitter is relative
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
