"""Latency models for the fake Gemini: how long a call takes, and when its first token arrives.

Every model turns one uniform random number ``u`` (in [0, 1), drawn by the caller from its seed)
into a latency, so a run is reproducible and a draw costs no random generator of its own.

>>> TokenRate(first_token_s=0.4, tokens_per_s=100).draw(u=0.5, output_tokens=200)
(0.4, 2.4)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Protocol

from course_lib import ranges


class LatencyModel(Protocol):
    def draw(self, u: float, output_tokens: int) -> tuple[float, float]:
        """Return (seconds to the first token, seconds to the whole answer)."""
        ...


# Real endpoints deliver the first token after roughly a fifth of a short answer's time.
_FIRST_TOKEN_SHARE = 0.2
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Fixed:
    """Every call takes exactly ``seconds``."""

    seconds: float

    def __post_init__(self) -> None:
        ranges.check_fields(self)

    def draw(self, u: float, output_tokens: int) -> tuple[float, float]:
        return self.seconds * _FIRST_TOKEN_SHARE, self.seconds


@dataclass(frozen=True)
class Jittered:
    """Calls take ``mean`` seconds give or take ``jitter``.

    ``uniform`` spreads evenly over [mean - jitter, mean + jitter]; ``lognormal`` has median
    ``mean`` and a long right tail (a few slow calls), which is what production traces look like.
    """

    mean: float
    jitter: float
    distribution: str = "uniform"

    def __post_init__(self) -> None:
        ranges.check_fields(self)

    def draw(self, u: float, output_tokens: int) -> tuple[float, float]:
        if self.jitter <= 0 or self.mean <= 0:
            total = max(self.mean, 0.0)
        elif self.distribution == "uniform":
            total = max(0.0, self.mean + (2 * u - 1) * self.jitter)
        else:
            sigma = math.log1p(self.jitter / self.mean)
            z = _NORMAL.inv_cdf(min(max(u, 1e-12), 1 - 1e-12))
            total = math.exp(math.log(self.mean) + sigma * z)
        return total * _FIRST_TOKEN_SHARE, total


@dataclass(frozen=True)
class TokenRate:
    """Time to first token, then ``tokens_per_s`` for the rest: long answers take longer. Each
    call's times vary by up to ``relative_jitter`` of themselves, either way (0.1: +-10 %)."""

    first_token_s: float
    tokens_per_s: float
    relative_jitter: float = 0.0

    def __post_init__(self) -> None:
        ranges.check_fields(self, needs=("tokens_per_s",))

    def draw(self, u: float, output_tokens: int) -> tuple[float, float]:
        factor = 1.0 + (2 * u - 1) * self.relative_jitter
        first = self.first_token_s * factor
        return first, first + output_tokens / self.tokens_per_s * factor


def latency_model(
    latency: float, jitter: float = 0.0, distribution: str = "uniform"
) -> LatencyModel:
    """The model the course's sliders describe: a mean latency and an optional jitter."""
    return Fixed(latency) if jitter <= 0 else Jittered(latency, jitter, distribution)
