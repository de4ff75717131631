"""The kit against the bare SDK, as ratios measured side by side in one run.

1. The concurrent scenario at N = 1,000, C = 1,000, 0.5 s per call, against the same 1,000 calls
   made with the bare SDK (``asyncio.gather``) into a one-route respx mock that waits 0.5 s and
   returns the same answers. Target: the kit within 1.15x. Rounds alternate, each after a
   ``gc.collect()``, and the medians are compared. The kit is also measured without its run-time
   garbage-collection measures (``course_lib.run.runner._heap_set_aside``), to show what they buy.
2. CPU per call, one call after another at zero latency, with the cycle collector paused while
   timing: the bare SDK, the kit's client untraced and traced. Target: tracing under 5 % of a
   traced call.

Run: make bench  (or .venv/bin/python bench/against_sdk.py [--rounds 7] [--json out.json])
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import statistics
import sys
import time
from pathlib import Path

import httpx
import respx
from google import genai
from google.genai import types

from course_lib import DEFAULT_MODEL, ScenarioSettings, Tracer, gemini_client
from course_lib.client.factory import warm_sdk
from course_lib.fake import FakeGemini
from course_lib.fake.answers import known_prompts
from course_lib.fake.wire import Caller
from course_lib.run import runner
from course_lib.run.runner import run_scenario

CALLS, LATENCY = 1000, 0.5


def _answers() -> dict[bytes, bytes]:
    """The fake's own answer body for each request body, so both sides parse the same bytes."""
    fake, bodies = FakeGemini(latency=0.0), {}
    for prompt in known_prompts():
        request = json.dumps({"contents": [{"parts": [{"text": prompt}], "role": "user"}]})
        bodies[prompt] = fake.generate("v1", DEFAULT_MODEL, request.encode(), Caller("k"))
    return {p: reply.chunks[0][1] for p, reply in bodies.items()}


def bare_sdk_client(latency: float) -> genai.Client:
    """The SDK with one respx route: wait ``latency``, answer with the fake's bytes."""
    answers = _answers()

    async def answer(request: httpx.Request) -> httpx.Response:
        prompt = json.loads(request.content)["contents"][-1]["parts"][-1]["text"]
        await asyncio.sleep(latency)
        return httpx.Response(200, content=answers[prompt])

    router = respx.Router(assert_all_called=False)
    router.route().mock(side_effect=answer)
    http = httpx.AsyncClient(
        transport=httpx.MockTransport(router.async_handler),
        limits=httpx.Limits(max_connections=None),
    )
    options = types.HttpOptions(base_url="http://bare.invalid", httpx_async_client=http)
    return genai.Client(api_key="k", http_options=options)


def prompts(n: int) -> list[str]:
    return ScenarioSettings(prompts=n).prompt_list()  # the scenario's own prompts, in its order


async def bare_run(n: int) -> float:
    client = bare_sdk_client(LATENCY)
    asks = prompts(n)
    start = time.perf_counter()
    await asyncio.gather(
        *(client.aio.models.generate_content(model=DEFAULT_MODEL, contents=p) for p in asks)
    )
    return time.perf_counter() - start


async def kit_run(n: int, gc_measures: bool = True) -> float:
    settings = ScenarioSettings(prompts=n, latency=LATENCY, concurrency=n)
    if gc_measures:
        return (await run_scenario("concurrent", settings)).wall_s
    kept = runner._heap_set_aside
    runner._heap_set_aside = contextlib.nullcontext
    try:
        return (await run_scenario("concurrent", settings)).wall_s
    finally:
        runner._heap_set_aside = kept


async def scenario_against_sdk(rounds: int, n: int = CALLS) -> dict[str, float]:
    walls: dict[str, list[float]] = {"bare": [], "kit": [], "kit_plain_gc": []}
    for _ in range(rounds):
        for name, run in (
            ("bare", lambda: bare_run(n)),
            ("kit", lambda: kit_run(n)),
            ("kit_plain_gc", lambda: kit_run(n, gc_measures=False)),
        ):
            gc.collect()
            walls[name].append(await run())
    medians = {name: statistics.median(values) for name, values in walls.items()}
    return {
        "calls": n,
        "bare_s": medians["bare"],
        "kit_s": medians["kit"],
        "kit_plain_gc_s": medians["kit_plain_gc"],
        "ratio": medians["kit"] / medians["bare"],
        "ratio_plain_gc": medians["kit_plain_gc"] / medians["bare"],
    }


async def per_call(client: genai.Client, traced: bool, n: int = 540) -> float:
    """Microseconds of CPU per call, one call after another at zero latency. The cycle collector
    is paused while timing: where its passes land is chance, and this compares the work itself."""
    asks = prompts(n)

    async def calls() -> None:
        for p in asks:
            await client.aio.models.generate_content(model=DEFAULT_MODEL, contents=p)

    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        if traced:
            with Tracer():
                await calls()
        else:
            await calls()
        return (time.process_time() - start) / n * 1e6
    finally:
        gc.enable()


async def cpu_per_call(rounds: int) -> dict[str, float]:
    clients = {
        "sdk": bare_sdk_client(0.0),
        "kit": gemini_client(fake=FakeGemini(latency=0.0, error_latency_s=0.0)),
    }
    times: dict[str, list[float]] = {"sdk": [], "kit": [], "kit_traced": []}
    for _ in range(rounds):
        times["sdk"].append(await per_call(clients["sdk"], traced=False))
        times["kit"].append(await per_call(clients["kit"], traced=False))
        times["kit_traced"].append(await per_call(clients["kit"], traced=True))
    us = {name: statistics.median(values) for name, values in times.items()}
    return {
        "sdk_us": us["sdk"],
        "kit_us": us["kit"],
        "kit_traced_us": us["kit_traced"],
        "tracing_share": (us["kit_traced"] - us["kit"]) / us["kit_traced"],
    }


def report(r: dict) -> str:
    s, c = r["scenario"], r["per_call"]
    return "\n".join(
        [
            f"## The concurrent scenario against the bare SDK ({s['calls']} calls at once, "
            f"{LATENCY} s each; median of {r['rounds']} alternating rounds)",
            "",
            "| | wall (s) | against the bare SDK |",
            "|---|---|---|",
            f"| bare SDK, gather, one-route respx mock | {s['bare_s']:.3f} | 1.00 |",
            f"| the kit: run_scenario('concurrent') | {s['kit_s']:.3f} | {s['ratio']:.3f} |",
            f"| the kit, without its GC measures | {s['kit_plain_gc_s']:.3f} | "
            f"{s['ratio_plain_gc']:.3f} |",
            "",
            "## CPU per call, one after another, zero latency (collector paused while timing)",
            "",
            "| path | µs per call |",
            "|---|---|",
            f"| bare SDK, one-route respx mock | {c['sdk_us']:.0f} |",
            f"| the kit's client, untraced | {c['kit_us']:.0f} |",
            f"| the kit's client, traced | {c['kit_traced_us']:.0f} |",
            "",
            f"Tracing is {c['tracing_share']:.1%} of a traced call.",
        ]
    )


async def main(rounds: int) -> dict:
    await asyncio.to_thread(warm_sdk)
    await bare_run(100)  # both paths warmed before anything is measured
    await kit_run(100)
    return {
        "python": sys.version.split()[0],
        "rounds": rounds,
        "scenario": await scenario_against_sdk(rounds),
        "per_call": await cpu_per_call(rounds),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = parser.parse_args()
    numbers = asyncio.run(main(args.rounds))
    print(report(numbers))
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=2))
