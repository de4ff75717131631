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
   the same process). With 100 in flight nothing queues (about 12 are in the system at once, on
   average), so it is run again with 14 in flight, where most requests wait for a slot: that
   checks the queue, the simulator's main business. Target: p50 and p95 of the latency within
   10 % in both, and the queued case's real run really queued (most requests waited for a slot).

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
from course_lib.scaling.simulation_settings import SimulationSettings
from course_lib.scaling.simulator import simulate
from course_lib.scaling.traffic import Request, load_trace, slice_of

SPEED = 10.0  # the real run is this many times faster than the trace
TTFT_S, TOKENS_PER_S = 0.5, 100.0  # the trace's service, before compressing
IN_FLIGHT = 100
QUEUED_IN_FLIGHT = 14  # about 12 requests are in the system on average: a queue forms


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


async def real_run(
    requests: list[Request], prompts: list[str], url: str, in_flight: int
) -> tuple[list[float], list[float], float]:
    """Each request sent at its arrival, at most ``in_flight`` at once; (latencies, waits for a
    slot, CPU per call)."""
    client = gemini_client(live=False, base_url=url)
    await client.aio.models.count_tokens(model=DEFAULT_MODEL, contents="hi")  # its set-up
    slots, loop = asyncio.Semaphore(in_flight), asyncio.get_running_loop()
    start = loop.time()
    latencies, waits = [], []

    async def one(request: Request, prompt: str) -> None:
        await asyncio.sleep(max(0.0, start + request.arrival_s - loop.time()))
        arrived = loop.time()
        async with slots:
            waits.append(loop.time() - arrived)
            await client.aio.models.generate_content(model=DEFAULT_MODEL, contents=prompt)
        latencies.append(loop.time() - arrived)

    cpu = time.process_time()
    await asyncio.gather(*(one(r, p) for r, p in zip(requests, prompts, strict=True)))
    return latencies, waits, (time.process_time() - cpu) / len(requests)


def fidelity(minutes: float, in_flight: int) -> dict:
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
        real, waits, cpu_per_call = asyncio.run(real_run(fast, prompts, url, in_flight))
    settings = SimulationSettings(
        concurrency=in_flight,
        client_cpu_ms=cpu_per_call * 1000,
        ttft_s=latency.first_token_s,
        tokens_per_s=latency.tokens_per_s,
    )
    served = simulate(fast, settings).served
    simulated = [s.latency_s for s in served]
    row = {
        "in_flight": in_flight,
        "requests": len(fast),
        "cpu_ms_per_call_client_and_fake": round(cpu_per_call * 1000, 3),
        "waited_for_a_slot_real": round(sum(w > 0.001 for w in waits) / len(waits), 3),
        "mean_slot_wait_real_s": round(sum(waits) / len(waits), 4),
        "mean_slot_wait_simulated_s": round(sum(s.queue_s for s in served) / len(served), 4),
    }
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
    report = {
        "speed": speed(),
        "fidelity": [fidelity(args.minutes, n) for n in (IN_FLIGHT, QUEUED_IN_FLIGHT)],
    }
    print(json.dumps(report, indent=1))
    ok = all(row["wall_s"] < 10 for row in report["speed"])
    ok &= all(0.9 <= row[f"p{p}_ratio"] <= 1.1 for row in report["fidelity"] for p in (50, 95))
    ok &= report["fidelity"][1]["waited_for_a_slot_real"] > 0.5  # the queued case did queue
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
