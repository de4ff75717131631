"""Metrics with prometheus_client: counted from a run's spans while it goes, served on loopback,
read back over HTTP as Prometheus would, and equal to what the run recorded."""

import asyncio

import httpx
import pytest

from course_lib import ScenarioSettings, Tracer, run_scenario
from course_lib.scaling.metrics import Metrics, scrape
from course_lib.trace.spans import BACKOFF, IN_FLIGHT, numbered


async def test_a_runs_metrics_served_on_loopback_agree_with_its_spans():
    metrics, tracer, in_flight = Metrics(), Tracer(), []
    settings = ScenarioSettings(
        prompts=20, latency=0.2, rpm=10, window_s=1.0, concurrency=8, processes=1
    )
    with metrics.served() as url:
        assert url.startswith("http://127.0.0.1:")
        async with metrics.watch(tracer, every_s=0.05):
            run = asyncio.create_task(run_scenario("rate-limited", settings, tracer=tracer))
            while not run.done():
                in_flight.append((await scrape(url))["llm_calls_in_flight", ""])
                await asyncio.sleep(0.05)
            result = await run
        seen = await scrape(url)
    calls = [s for s in result.spans if s.phase == IN_FLIGHT]
    refused = sum(s.outcome == "429" for s in calls)
    assert refused > 0 and seen["llm_rate_limited_total", ""] == refused
    assert seen["llm_requests_total", "ok"] == 20 == seen["llm_request_latency_seconds_count", ""]
    assert seen["llm_retries_total", ""] == sum(s.phase == BACKOFF for s in result.spans)
    assert 0 < max(in_flight) <= 8 and seen["llm_calls_in_flight", ""] == 0
    # end to end: from each request's first span (its first attempt, or a wait) to its answer
    first = {}
    for s in result.spans:
        first[s.task] = min(first.get(s.task, s.start), s.start)
    answered = sum(s.end - first[s.task] for s in calls if s.outcome == "ok")
    assert seen["llm_request_latency_seconds_sum", ""] == pytest.approx(answered)
    assert seen["llm_request_latency_seconds_bucket", "0.1"] == 0  # every call took 0.2 s
    waited = seen["llm_request_latency_seconds_bucket", "0.5"]  # the refused ones waited ~1 s
    assert waited < 20 == seen["llm_request_latency_seconds_count", ""]
    with pytest.raises(httpx.ConnectError):  # the server stopped with its block
        await scrape(url)


def test_each_run_counts_from_zero():
    first, second = Metrics(), Metrics()
    first.rate_limited.inc()
    assert first.values()["llm_rate_limited_total", ""] == 1
    assert second.values()["llm_rate_limited_total", ""] == 0


def test_a_runners_re_sorting_of_its_spans_counts_none_twice_and_misses_none():
    """At its end a runner renumbers its spans' lanes and sorts them by start: following the
    tracer by position counted the early-finished span twice and the late one never."""
    tracer, metrics = Tracer(), Metrics()
    early = tracer.begin(IN_FLIGHT, task=1, start=0.0)  # starts first, ends last
    late = tracer.begin(IN_FLIGHT, task=2, start=1.0)
    tracer.finish(late, "ok", end=2.0)
    metrics.follow(tracer)
    tracer.finish(early, "429", end=3.0)
    tracer.spans[:] = numbered(tracer.spans)  # what run_scenario does at its end
    metrics.follow(tracer)
    values = metrics.values()
    assert values["llm_requests_total", "ok"] == 1
    assert values["llm_requests_total", "429"] == 1
