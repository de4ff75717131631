"""Everything a run needs, checked when it is made: a bad value is one clear message.

>>> Settings(concurrency=0)
Traceback (most recent call last):
...
course_lib.run.settings.SettingError: concurrency must be at least 1 (got 0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from course_lib.config import DEFAULT_MODEL, KNOWN_MODELS
from course_lib.fake.answers import known_prompts


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
