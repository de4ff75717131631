"""Scenario runners: span invariants, agreement with theory, retries, cancellation, results."""

import asyncio
import json
import math
import multiprocessing
import re

import pytest

from course_lib.machine import default_start_method
from course_lib.run.pools import process_pool, warm
from course_lib.run.registry import SCENARIOS, ideal_seconds
from course_lib.run.runner import run_scenario, run_scenario_sync
from course_lib.run.settings import ScenarioSettings, SettingError
from course_lib.trace.spans import BACKOFF, CPU, IN_FLIGHT, WAIT_SLOT, Tracer
from tests import helpers_mp
from tests.conftest import children, leftover_workers, new_workers, until
from tests.helpers_scenario import max_overlap


def test_sequential_never_overlaps():
    result = run_scenario_sync("sequential", ScenarioSettings(prompts=6, latency=0.05, cpu_work=5))
    spans = sorted(result.spans, key=lambda s: s.start)
    assert {s.phase for s in spans} == {IN_FLIGHT, CPU} and {str(s.lane) for s in spans} == {"main"}
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    assert [s.task for s in spans if s.phase == IN_FLIGHT] == list(range(6))


@pytest.mark.parametrize("scenario", ["concurrent", "threads"])
def test_no_more_than_the_limit_in_flight(scenario):
    result = run_scenario_sync(scenario, ScenarioSettings(prompts=12, latency=0.15, concurrency=4))
    in_flight = [s for s in result.spans if s.phase == IN_FLIGHT]
    assert len(in_flight) == 12
    assert max_overlap(in_flight) == 4
    kind = "coroutine" if scenario == "concurrent" else "thread"
    lanes = {str(s.lane) for s in result.spans}
    expected = 12 if scenario == "concurrent" else 4  # a pool of 4 threads, numbered 1 to 4
    assert lanes == {f"{kind} {i}" for i in range(1, expected + 1)}


def test_concurrent_tasks_that_wait_for_a_slot_show_it():
    result = run_scenario_sync(
        "concurrent", ScenarioSettings(prompts=6, latency=0.1, concurrency=2)
    )
    waits = [s for s in result.spans if s.phase == WAIT_SLOT]
    assert len(waits) == 4  # the first two start at once; the other four wait their turn
    assert all(
        w.end <= min(s.start for s in result.spans if s.task == w.task and s.phase == IN_FLIGHT)
        for w in waits
    )


@pytest.mark.parametrize(("n", "c", "latency"), [(10, 3, 0.5), (20, 5, 0.5), (5, 5, 0.5)])
def test_concurrent_wall_time_agrees_with_theory(n, c, latency):
    result = run_scenario_sync(
        "concurrent", ScenarioSettings(prompts=n, latency=latency, concurrency=c)
    )
    theory = math.ceil(n / c) * latency
    assert result.wall_s == pytest.approx(theory, rel=0.10)


def test_parallel_uses_every_process_of_the_pool():
    result = run_scenario_sync(
        "parallel", ScenarioSettings(prompts=9, latency=0.2, processes=3, cpu_work=20)
    )
    lanes = {str(s.lane) for s in result.spans}
    assert lanes == {"process 1", "process 2", "process 3"}
    assert len({s.pid for s in result.spans}) == 3
    assert max_overlap([s for s in result.spans if s.phase == IN_FLIGHT]) == 3
    assert result.extras["pool_start_s"] > 0
    assert all(o.analysis["words"] > 0 for o in result.outputs)


async def test_warming_a_pool_waits_for_every_process_even_one_slow_to_start():
    """Else the process ready first takes every warm-up, and then the run's batches one after
    another: the run measures one process where it asked for two."""
    context = multiprocessing.get_context(default_start_method())
    started = context.Value("i", 0)
    initializer = helpers_mp.init_second_slowly  # the second to start takes 2 s more
    async with process_pool(2, Tracer(), initializer, (started,)) as pool:
        await warm(pool, 2)
        assert started.value == 2


@pytest.mark.cpu_bound
def test_hybrid_fetches_then_analyses_and_pipelined_overlaps_them():
    # Six waves of calls a second long: the last answer comes 4 s or more after the first, the
    # time a starved machine has to hand the first analysis to the pool (at half a second a wave,
    # 1.8 s, a clean-clone CI on three timed workers once started it 0.2 s too late)
    settings = ScenarioSettings(
        prompts=12, latency=1.0, jitter=0.1, concurrency=2, processes=2, cpu_work=30
    )
    batch = run_scenario_sync("hybrid", settings)
    last_fetch = max(s.end for s in batch.spans if s.phase == IN_FLIGHT)
    batch_cpu = [s for s in batch.spans if s.phase == CPU]
    assert len(batch_cpu) == 12 and all(s.start >= last_fetch for s in batch_cpu)
    assert {str(s.lane) for s in batch_cpu} <= {"process 1", "process 2"}

    piped = run_scenario_sync("hybrid-pipelined", settings)
    last_fetch = max(s.end for s in piped.spans if s.phase == IN_FLIGHT)
    piped_cpu = sorted(s.start for s in piped.spans if s.phase == CPU)
    assert len(piped_cpu) == 12, f"{len(piped_cpu)} of 12 analyses traced"  # seen failing once
    assert piped_cpu[0] < last_fetch, (last_fetch, piped_cpu)
    assert [o.analysis for o in piped.outputs] == [o.analysis for o in batch.outputs]


def test_failures_are_retried_with_backoff_and_reported():
    result = run_scenario_sync(
        "concurrent",
        ScenarioSettings(prompts=20, latency=0.05, concurrency=10, failure_rate=0.3, seed=5),
    )
    backoffs = [s for s in result.spans if s.phase == BACKOFF]
    assert backoffs and all(s.label in ("after 500", "after 503") for s in backoffs)
    assert any(o.attempts > 1 for o in result.outputs)
    for output in result.outputs:
        assert (output.answer is None) == (output.error is not None)
    failed_calls = [s for s in result.spans if s.phase == IN_FLIGHT and s.outcome != "ok"]
    assert len(failed_calls) == len(backoffs) + result.failures


def test_same_seed_same_outputs():
    settings = ScenarioSettings(prompts=7, latency=0.02, jitter=0.01, seed=3)
    first = run_scenario_sync("sequential", settings)
    second = run_scenario_sync("concurrent", settings)
    assert [o.answer for o in first.outputs] == [o.answer for o in second.outputs]


async def test_cancelling_a_parallel_run_leaves_no_worker_processes():
    before = children()
    tracer = Tracer()
    task = asyncio.create_task(
        run_scenario(
            "parallel", ScenarioSettings(prompts=40, latency=1.0, processes=2), tracer=tracer
        )
    )
    workers = await new_workers(before, at_least=2)
    await until(lambda: any(s.phase == IN_FLIGHT for s in tracer.snapshot()), what="a call")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert leftover_workers(workers) == []


async def test_cancelling_a_concurrent_run_is_clean():
    tracer = Tracer()
    task = asyncio.create_task(
        run_scenario("concurrent", prompts=50, latency=2.0, concurrency=50, tracer=tracer)
    )
    await until(lambda: len(tracer.snapshot()) == 50, what="every call in flight")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(asyncio.all_tasks()) == 1  # only this test is left
    assert {s.outcome for s in tracer.spans} == {"cancelled"} and len(tracer.spans) == 50


def test_results_serialise_to_the_documented_json():
    result = run_scenario_sync("threads", ScenarioSettings(prompts=3, latency=0.05))
    data = json.loads(json.dumps(result.to_dict()))
    assert {"scenario", "wall_s", "params", "spans", "outputs"} <= set(data)
    assert set(data["spans"][0]) >= {"task", "lane", "phase", "start", "end", "pid"}
    assert min(s["start"] for s in data["spans"]) >= 0
    assert data["params"]["prompts"] == 3


def test_ideal_bounds():
    s = ScenarioSettings(prompts=10, latency=1.0, concurrency=5, processes=2, cpu_work=500)
    assert ideal_seconds("sequential", s) == 15.0
    assert ideal_seconds("concurrent", s) == 6.0  # ten analyses of 0.5 s on one core + one call
    assert ideal_seconds("hybrid", s, cores=2) == 2.0 + 2.5
    assert ideal_seconds("hybrid-pipelined", s, cores=2) == 3.5
    assert ideal_seconds("parallel", s, cores=2) == 7.5
    limited = ScenarioSettings(prompts=25, latency=1.0, concurrency=25, rpm=10)
    assert ideal_seconds("concurrent", limited) == 121.0


def test_the_ideal_bounds_count_the_cores_and_the_last_answers_analysis():
    # four processes but one core: the ten analyses of 0.5 s run one at a time after the first
    # call; four cores: the processes' own rounds of call and analysis set the bound
    s = ScenarioSettings(prompts=10, latency=1.0, concurrency=10, processes=4, cpu_work=500)
    for name, one_core, four_cores in (
        ("parallel", 6.0, 4.5),
        ("hybrid", 6.0, 2.5),
        ("hybrid-pipelined", 6.0, 2.5),
    ):
        assert ideal_seconds(name, s, cores=1) == one_core, name
        assert ideal_seconds(name, s, cores=4) == four_cores, name
    # one call at a time: the last answer's analysis (0.1 s) comes after the four calls
    one_by_one = ScenarioSettings(prompts=4, latency=1.0, concurrency=1, cpu_work=100)
    assert ideal_seconds("concurrent", one_by_one) == pytest.approx(4.1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"prompts": 0}, "prompts must be a whole number, from 1 to 100000"),
        ({"concurrency": 2.5}, "concurrency must be a whole number"),
        ({"latency": -1}, "latency must be a number of seconds, from 0 to 600 (got -1)"),
        ({"jitter": 2.0}, "cannot be larger than the latency"),
        ({"failure_rate": 1.5}, "failure_rate must be a number, from 0 to 1 (got 1.5)"),
        ({"failure_rate": "0.1"}, "failure_rate must be a number"),
        ({"rpm": True}, "rpm must be a whole number"),
        ({"seed": 1.5}, "seed must be a whole number"),
        ({"latency": float("nan")}, "latency must be a number"),
        ({"model": "gpt-4"}, "model must be one of"),
    ],
)
def test_impossible_settings_say_what_is_wrong(changes, message):
    with pytest.raises(SettingError, match=re.escape(message)):
        ScenarioSettings(**changes)


def test_unknown_scenario_and_settings_that_are_not_settings():
    with pytest.raises(SettingError, match="choose one of sequential"):
        run_scenario_sync("turbo")
    with pytest.raises(SettingError, match="must be a ScenarioSettings"):
        run_scenario_sync("concurrent", {"prompts": 3})
    assert len(SCENARIOS) == 9


async def test_run_sync_inside_a_running_loop_explains_what_to_do():
    with pytest.raises(RuntimeError, match="await run_scenario"):
        run_scenario_sync("sequential")


def test_the_classic_five_prompts_reproduce_the_blogs_table():
    """0.91 s to the first token and 144 tokens a second over the five hand-written answers."""
    classic = ScenarioSettings(
        prompts=5, latency=0.91, tokens_per_s=144, concurrency=5, processes=5
    )
    calls = classic.call_seconds()
    assert sum(calls) == pytest.approx(15.10, abs=0.05)  # reported: sequential 15.10 s
    assert max(calls) == pytest.approx(7.38, abs=0.05)  # reported: concurrent 7.38 s
    for name, reported in (("parallel", 7.68), ("hybrid", 7.61)):
        assert ideal_seconds(name, classic) == pytest.approx(reported, rel=0.05)


def test_with_jitter_the_ideal_bound_uses_each_calls_own_latency():
    settings = ScenarioSettings(prompts=6, latency=1.0, jitter=0.8, concurrency=6, seed=3)
    planned = settings.call_seconds()
    assert len(set(planned)) == 6 and ideal_seconds("concurrent", settings) == max(planned)
    result = run_scenario_sync("concurrent", settings)
    took = [s.duration for s in sorted(result.spans, key=lambda s: s.task) if s.phase == IN_FLIGHT]
    assert took == pytest.approx(planned, abs=0.1)  # the run's calls took what was planned
    assert result.ideal_s == max(planned) <= result.wall_s
