"""The simulator: how fast it replays the real hour, and how close it comes to a real run.

1. Speed: the Azure conversation trace (19,366 requests over 58 minutes) replayed by
   ``course_lib.scaling.simulator`` with 100 calls in flight, then under a limit of 300 requests a
   minute with the kit's retries (a 429 storm: the slow case). Target: under 10 s each; reported
   with how many times faster than real time.
2. Fidelity: the trace's first minutes, compressed 10 times (arrivals, time to first token and
   token rate alike), run for real through the SDK against the loopback fake, with asyncio and
   100 calls in flight; then simulated with the same arrivals, the same answer lengths (the
   fake's own: it cannot write an answer of a chosen length) and the CPU per call that the real
   run measured (an upper bound for the client's: the loopback fake answers from a thread of
   the same process). Target: p50 and p95 of the latency within 10 %.

Run: .venv/bin/python bench/simulator.py [--minutes 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from course_lib import DEFAULT_MODEL, gemini_client
from course_lib.client.factory import warm_sdk
from course_lib.fake import FakeGemini, TokenRate
from course_lib.fake.server import FakeServer
from course_lib.scaling.simulator import SimulationSettings, simulate
from course_lib.scaling.traffic import Request, load_trace, slice_of

SPEED = 10.0  # the real run is this many times faster than the trace
TTFT_S, TOKENS_PER_S = 0.5, 100.0  # the trace's service, before compressing
IN_FLIGHT = 100


def speed() -> list[dict]:
    hour = load_trace("conv")
    rows = []
    for label, settings in (
        ("100 in flight, no limit", SimulationSettings(concurrency=IN_FLIGHT)),
        ("300 requests/min, kit retries", SimulationSettings(concurrency=IN_FLIGHT, rpm=300)),
    ):
        start = time.perf_counter()
        run = simulate(hour, settings)
        wall = time.perf_counter() - start
        rows.append(
            {
                "case": label,
                "requests": len(hour),
                "wall_s": round(wall, 2),
                "times_real_time": round(run.span_s / wall),
                "429s": run.refused,
            }
        )
    return rows


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def real_run(requests: list[Request], prompts: list[str], url: str) -> tuple[list, float]:
    """Each request sent at its arrival, at most IN_FLIGHT at once; (latencies, CPU per call)."""
    client = gemini_client(live=False, base_url=url)
    await client.aio.models.count_tokens(model=DEFAULT_MODEL, contents="hi")  # its set-up
    slots, loop = asyncio.Semaphore(IN_FLIGHT), asyncio.get_running_loop()
    start = loop.time()
    latencies = []

    async def one(request: Request, prompt: str) -> None:
        await asyncio.sleep(max(0.0, start + request.arrival_s - loop.time()))
        arrived = loop.time()
        async with slots:
            await client.aio.models.generate_content(model=DEFAULT_MODEL, contents=prompt)
        latencies.append(loop.time() - arrived)

    cpu = time.process_time()
    await asyncio.gather(*(one(r, p) for r, p in zip(requests, prompts, strict=True)))
    return latencies, (time.process_time() - cpu) / len(requests)


def fidelity(minutes: float) -> dict:
    trace = slice_of(load_trace("conv"), 0.0, minutes * 60)
    latency = TokenRate(TTFT_S / SPEED, TOKENS_PER_S * SPEED)
    fake = FakeGemini(latency=latency, error_latency_s=0.0)
    prompts = [f"Request {i} of the hour: {r.prompt_tokens} tokens" for i, r in enumerate(trace)]
    seconds = fake.planned_seconds(DEFAULT_MODEL, prompts)
    # the answer lengths the fake will write, read back from its planned times
    tokens = [round((s - latency.first_token_s) * latency.tokens_per_s) for s in seconds]
    fast = [
        Request(r.arrival_s / SPEED, r.prompt_tokens, n) for r, n in zip(trace, tokens, strict=True)
    ]
    warm_sdk()
    with FakeServer(fake) as url:
        real, cpu_per_call = asyncio.run(real_run(fast, prompts, url))
    settings = SimulationSettings(
        concurrency=IN_FLIGHT,
        client_cpu_ms=cpu_per_call * 1000,
        ttft_s=latency.first_token_s,
        tokens_per_s=latency.tokens_per_s,
    )
    simulated = [s.latency_s for s in simulate(fast, settings).served]
    row = {"requests": len(fast), "cpu_ms_per_call_client_and_fake": round(cpu_per_call * 1000, 3)}
    for p in (50, 95):
        r, s = percentile(real, p), percentile(simulated, p)
        row[f"p{p}_real_s"], row[f"p{p}_simulated_s"] = round(r, 4), round(s, 4)
        row[f"p{p}_ratio"] = round(s / r, 3)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report = {"speed": speed(), "fidelity": fidelity(args.minutes)}
    print(json.dumps(report, indent=1))
    ok = all(row["wall_s"] < 10 for row in report["speed"])
    ok &= all(0.9 <= report["fidelity"][f"p{p}_ratio"] <= 1.1 for p in (50, 95))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
