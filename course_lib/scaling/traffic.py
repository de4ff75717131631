"""Traffic for the simulator: requests with an arrival time and token counts, from the real Azure
LLM inference trace of 2023 (shipped in ``data/azure_llm_trace_2023``, CC-BY 4.0: see its
README) or drawn at random (Poisson arrivals) for checks against queueing theory.

>>> hour = load_trace("conv")
>>> len(hour), hour[0].arrival_s, (hour[0].prompt_tokens, hour[0].output_tokens)
(19366, 0.0, (374, 44))
>>> round(hour[-1].arrival_s / 60, 1)
58.4
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from course_lib import ranges
from course_lib.data_files import data_file

TRACES = {name: f"AzureLLMInferenceTrace_{name}.csv" for name in ranges.TRACES}


@dataclass(frozen=True, slots=True)
class Request:
    """One request: when it arrives (seconds from the start), its prompt and answer sizes in
    tokens, and, if given, exactly how long the API takes to serve it (else the latency model's)."""

    arrival_s: float
    prompt_tokens: int = 0
    output_tokens: int = 0
    service_s: float | None = None


@cache
def load_trace(name: str = "conv") -> tuple[Request, ...]:
    """The trace ``name`` ("conv": a conversation service, 19,366 requests in 58 minutes; "code":
    a coding assistant, 8,819), arrivals counted from its first request."""
    ranges.check("trace", name)
    with data_file("azure_llm_trace_2023", TRACES[name]).open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    times = [datetime.fromisoformat(row["TIMESTAMP"][:26]) for row in rows]
    start = times[0]
    return tuple(
        Request((t - start).total_seconds(), int(row["ContextTokens"]), int(row["GeneratedTokens"]))
        for t, row in zip(times, rows, strict=True)
    )


def poisson(rate: float, count: int, mean_service_s: float, seed: int = 0) -> list[Request]:
    """``count`` requests arriving at random at ``rate`` a second (a Poisson process), each
    served in an exponentially distributed time of mean ``mean_service_s``: the textbooks'
    M/M/c queue."""
    ranges.check("rate", rate)
    ranges.check("count", count)
    ranges.check("mean_service_s", mean_service_s)
    rng = random.Random(ranges.check("seed", seed))
    now, requests = 0.0, []
    for _ in range(count):
        now += rng.expovariate(rate)
        requests.append(Request(now, service_s=rng.expovariate(1 / mean_service_s)))
    return requests


def slice_of(
    requests: tuple[Request, ...] | list[Request], start_s: float, end_s: float
) -> list[Request]:
    """The requests arriving in [start_s, end_s), their arrivals counted from ``start_s``."""
    return [
        Request(r.arrival_s - start_s, r.prompt_tokens, r.output_tokens, r.service_s)
        for r in requests
        if start_s <= r.arrival_s < end_s
    ]
