"""What tracing a learner's own client costs (``course_lib.trace.every_client``), as a ratio
within one run: the same calls of a plain ``genai.Client()`` to the fake's loopback server, with
tracing off and on, in alternating rounds (this machine is shared and noisy).

Two cases: calls that take no time at the fake (the worst case: the hook's cost against the
client's own work per call), and calls of 0.2 s, sync one by one and async 20 at once. The target
(issue 23): under 5 % of a traced call.

Run: .venv/bin/python bench/every_client.py  [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from google import genai

from course_lib import DEFAULT_MODEL, Tracer, offline, use_fake
from course_lib.trace.every_client import every_client_traced


def sync_calls(client: genai.Client, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        client.models.generate_content(model=DEFAULT_MODEL, contents=f"question {i}")
    return time.perf_counter() - start


async def async_calls(client: genai.Client, n: int) -> float:
    start = time.perf_counter()
    await asyncio.gather(
        *(
            client.aio.models.generate_content(model=DEFAULT_MODEL, contents=f"q {i}")
            for i in range(n)
        )
    )
    return time.perf_counter() - start


def measure(latency: float, calls: int, rounds: int) -> dict[str, float]:
    use_fake(latency=latency)
    offline()
    client = genai.Client()
    sync_calls(client, 5)  # the SDK's first calls build its types
    asyncio.run(async_calls(client, 5))
    times: dict[str, list[float]] = {"sync off": [], "sync on": [], "async off": [], "async on": []}
    for _ in range(rounds):
        for traced in (False, True):
            label = "on" if traced else "off"
            if traced:
                with every_client_traced(), Tracer() as tracer:
                    times[f"sync {label}"].append(sync_calls(client, calls))
                    times[f"async {label}"].append(asyncio.run(async_calls(client, calls)))
                assert len(tracer.spans) == 2 * calls, len(tracer.spans)
            else:
                times[f"sync {label}"].append(sync_calls(client, calls))
                times[f"async {label}"].append(asyncio.run(async_calls(client, calls)))
    median = {k: statistics.median(v) for k, v in times.items()}
    return {
        "sync per call off (ms)": median["sync off"] / calls * 1000,
        "sync ratio on/off": median["sync on"] / median["sync off"],
        "async ratio on/off": median["async on"] / median["async off"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for latency, calls in ((0.0, 100), (0.2, 20)):
        row = measure(latency, calls, args.rounds)
        shown = ", ".join(f"{k} {v:.3f}" for k, v in row.items())
        print(f"latency {latency:g} s, {calls} calls: {shown}")


if __name__ == "__main__":
    main()
