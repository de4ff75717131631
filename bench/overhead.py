"""What the kit costs, measured as ratios within one run (this machine is shared and noisy).

(The kit against the bare SDK, call for call, is bench/against_sdk.py.)

1. Wall time against the ideal bound for 5, 100 and 1,000 concurrent calls of 0.5 s.
2. Replay of real production traffic (data/azure_llm_trace_2023, CC-BY 4.0): arrival
   times and output sizes of the first requests, time-compressed; how late calls start and finish
   compared with the schedule the fake planned.

Run: make bench  (or .venv/bin/python bench/overhead.py --quick)
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

from google.genai import types

from course_lib import DEFAULT_MODEL, Tracer, gemini_client
from course_lib.client.factory import warm_sdk
from course_lib.data_files import data_file
from course_lib.fake import FakeGemini
from course_lib.fake.latency import TokenRate
from course_lib.run.runner import run_scenario
from course_lib.run.settings import ScenarioSettings

TRACE = data_file("azure_llm_trace_2023", "AzureLLMInferenceTrace_conv.csv")


async def wall_ratios(sizes: list[int]) -> list[dict[str, float]]:
    rows = []
    for n in sizes:
        for concurrency in sorted({n, min(n, 50)}):
            result = await run_scenario(
                "concurrent", ScenarioSettings(prompts=n, latency=0.5, concurrency=concurrency)
            )
            rows.append(
                {
                    "calls": n,
                    "concurrency": concurrency,
                    "wall_s": result.wall_s,
                    "ideal_s": result.ideal_s,
                    "ratio": result.wall_s / result.ideal_s,
                }
            )
    return rows


def load_trace(limit: int) -> list[tuple[float, int]]:
    """(arrival seconds from the first request, generated tokens) for the first requests."""
    rows = []
    with TRACE.open(newline="") as f:
        for row in csv.DictReader(f):
            when = dt.datetime.fromisoformat(row["TIMESTAMP"][:26])
            rows.append((when, int(row["GeneratedTokens"])))
            if len(rows) == limit:
                break
    first = rows[0][0]
    return [((when - first).total_seconds(), tokens) for when, tokens in rows]


async def replay(limit: int, speedup: float) -> dict[str, float]:
    """Replay arrivals ``speedup`` times faster; latency = 0.2 s + tokens / 200 per s."""
    trace = load_trace(limit)
    fake = FakeGemini(latency=TokenRate(first_token_s=0.2, tokens_per_s=200.0))
    client = gemini_client(fake=fake)
    start_lags, end_lags = [], []

    async def one(i: int, at: float, tokens: int) -> None:
        await asyncio.sleep(max(0.0, t0 + at / speedup - time.perf_counter()))
        start_lags.append(time.perf_counter() - (t0 + at / speedup))
        # Ask for an answer of the trace's size: max_output_tokens cuts the fake's text there.
        begun = time.perf_counter()
        response = await client.aio.models.generate_content(
            model=DEFAULT_MODEL,
            contents=f"Describe request {i} in detail",
            config=types.GenerateContentConfig(max_output_tokens=max(1, tokens)),
        )
        planned = 0.2 + response.usage_metadata.candidates_token_count / 200.0
        end_lags.append(time.perf_counter() - begun - planned)

    t0 = time.perf_counter() + 0.1
    with Tracer():
        await asyncio.gather(*(one(i, at, tokens) for i, (at, tokens) in enumerate(trace)))
    span = trace[-1][0] / speedup
    return {
        "requests": limit,
        "trace_seconds": trace[-1][0],
        "replayed_in_s": span,
        "peak_rate_per_s": max_rate(trace) * speedup,
        "start_lag_p50_ms": statistics.median(start_lags) * 1e3,
        "start_lag_p99_ms": quantile(start_lags, 0.99) * 1e3,
        "finish_lag_p50_ms": statistics.median(end_lags) * 1e3,
        "finish_lag_p99_ms": quantile(end_lags, 0.99) * 1e3,
    }


def max_rate(trace: list[tuple[float, int]]) -> float:
    """The most arrivals in any one second of the trace."""
    times, best, j = [t for t, _ in trace], 0, 0
    for i, t in enumerate(times):
        while times[j] < t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return float(best)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(quick: bool) -> dict:
    await asyncio.to_thread(warm_sdk)
    results: dict = {"python": sys.version.split()[0]}
    results["wall"] = await wall_ratios([5, 100] if quick else [5, 100, 1000])
    results["replay"] = await replay(300 if quick else 2000, speedup=10.0)
    return results


def report(results: dict) -> str:
    lines = [
        "## Wall time against the ideal bound (latency 0.5 s)",
        "",
        "| calls | concurrency | wall (s) | ideal (s) | wall / ideal |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['calls']} | {r['concurrency']} | {r['wall_s']:.3f} | {r['ideal_s']:.3f} | "
        f"{r['ratio']:.3f} |"
        for r in results["wall"]
    ]
    r = results["replay"]
    lines += ["", "## Replaying real production arrivals (Azure LLM inference trace, conv)", ""]
    if isinstance(r, str):
        lines.append(r)
    else:
        lines += [
            f"{r['requests']} requests ({r['trace_seconds']:.0f} s of the trace) replayed 10x "
            f"faster in {r['replayed_in_s']:.1f} s, peaking at {r['peak_rate_per_s']:.0f} "
            "arrivals per second.",
            "",
            "| | p50 (ms) | p99 (ms) |",
            "|---|---|---|",
            f"| call started late by | {r['start_lag_p50_ms']:.1f} | {r['start_lag_p99_ms']:.1f} |",
            f"| call took longer than planned by | {r['finish_lag_p50_ms']:.1f} | "
            f"{r['finish_lag_p99_ms']:.1f} |",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = parser.parse_args()
    numbers = asyncio.run(main(args.quick))
    print(report(numbers))
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=2))
