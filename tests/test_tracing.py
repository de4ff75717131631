"""Tracing records calls at the transport and CPU work by context manager, on one clock."""

import asyncio
import multiprocessing
import threading
import time
from dataclasses import replace

import httpx
import pytest
from google.genai import errors

from course_lib import DEFAULT_MODEL, Tracer, cpu_span, gemini_client
from course_lib.fake import FakeGemini
from course_lib.trace import traced_cpu
from course_lib.trace.lanes import Lane, named
from course_lib.trace.spans import CPU, IN_FLIGHT, Span, now, numbered
from course_lib.trace.tasks import task_context
from tests.conftest import until


def _child_clock(queue):
    queue.put(time.perf_counter())


def test_calls_are_traced_with_no_change_to_the_calling_code():
    client = gemini_client(fake=FakeGemini(latency=0.1))
    with Tracer() as tracer:
        client.models.generate_content(model=DEFAULT_MODEL, contents="Write a haiku about robots")
    (span,) = tracer.spans
    assert span.phase == IN_FLIGHT and span.outcome == "ok"
    assert span.label == "Write a haiku about robots"
    assert 0.1 <= span.duration < 0.5  # the latency, plus whatever a busy machine adds


def test_only_calls_made_while_a_tracer_is_active_are_recorded():
    client = gemini_client(fake=FakeGemini(latency=0.0))
    tracer = Tracer()
    client.models.generate_content(model=DEFAULT_MODEL, contents="before")
    with tracer:
        client.models.generate_content(model=DEFAULT_MODEL, contents="during")
    client.models.generate_content(model=DEFAULT_MODEL, contents="after")
    assert [s.label for s in tracer.spans] == ["during"]


async def test_async_tasks_get_their_own_lanes_and_task_ids():
    client = gemini_client(fake=FakeGemini(latency=0.1))

    async def ask(i):
        with task_context(i, named("coroutine", i)):
            await client.aio.models.generate_content(model=DEFAULT_MODEL, contents=f"q{i}")

    with Tracer() as tracer:
        await asyncio.gather(*(ask(i) for i in range(3)))
    assert sorted((s.task, str(s.lane)) for s in tracer.spans) == [
        (0, "coroutine 0"),
        (1, "coroutine 1"),
        (2, "coroutine 2"),
    ]
    starts = [s.start for s in tracer.spans]
    assert max(starts) - min(starts) < 0.05  # they overlapped


def test_errors_timeouts_and_cpu_work_are_recorded():
    failing = gemini_client(fake=FakeGemini(latency=0.0, rpm=1))
    hanging = gemini_client(fake=FakeGemini(latency=0.0, hang_rate=1.0), timeout_s=0.1)

    @traced_cpu
    def crunch():
        return sum(range(10_000))

    with Tracer() as tracer:
        failing.models.generate_content(model=DEFAULT_MODEL, contents="Hi")
        with pytest.raises(errors.ClientError):
            failing.models.generate_content(model=DEFAULT_MODEL, contents="Hi")
        with pytest.raises(httpx.TimeoutException):
            hanging.models.generate_content(model=DEFAULT_MODEL, contents="Hi")
        with cpu_span(task="x", label="by hand"):
            crunch()
    assert [s.outcome for s in tracer.spans if s.phase == IN_FLIGHT] == ["ok", "429", "timeout"]
    cpu = [s for s in tracer.spans if s.phase == CPU]
    assert {s.label for s in cpu} == {"crunch", "by hand"}


def test_threads_started_by_hand_are_traced_too():
    client = gemini_client(fake=FakeGemini(latency=0.0))
    with Tracer() as tracer:
        thread = threading.Thread(
            target=client.models.generate_content,
            kwargs={"model": DEFAULT_MODEL, "contents": "Hi"},
            name="mine",
        )
        thread.start()
        thread.join()
    assert [str(s.lane) for s in tracer.spans] == ["mine"]


async def test_snapshot_shows_calls_still_running():
    client = gemini_client(fake=FakeGemini(latency=1.0))
    with Tracer() as tracer:
        task = asyncio.create_task(
            client.aio.models.generate_content(model=DEFAULT_MODEL, contents="Hi")
        )
        await until(lambda: tracer.snapshot(), what="the call to start")
        started = tracer.snapshot()[0].start
        await until(lambda: now() - started > 0.05, what="time to pass")
        (running,) = tracer.snapshot()
        assert running.outcome == "running" and 0.05 < running.duration < 1.0
        assert tracer.spans == []
        await task
    assert len(tracer.snapshot()) == 1 and tracer.spans[0].outcome == "ok"


async def test_cancelled_calls_are_marked_cancelled():
    client = gemini_client(fake=FakeGemini(latency=5.0))
    with Tracer() as tracer:
        task = asyncio.create_task(
            client.aio.models.generate_content(model=DEFAULT_MODEL, contents="Hi")
        )
        await until(lambda: tracer.snapshot(), what="the call to be in flight")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert [s.outcome for s in tracer.spans] == ["cancelled"]


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_the_clock_is_comparable_across_processes(method):
    context = multiprocessing.get_context(method)
    queue = context.Queue()
    before = now()
    child = context.Process(target=_child_clock, args=(queue,))
    child.start()
    child_time = queue.get(timeout=60)
    child.join()
    assert before < child_time < now()


def test_events_from_other_processes_are_replayed_without_mixing_them_up():
    sent = []
    with Tracer(sink=sent.append) as worker:
        with task_context(1, Lane("process", 11)):
            first = worker.begin(CPU)
            worker.finish(first)
    kernel = Tracer()
    for event in sent:
        kernel.apply(event)
    # a second process uses the same handle numbers; its events must not close the first's spans
    mine = sent[0][2]
    kernel.apply(("begin", 0, replace(mine, pid=22, lane=Lane("process", 22))))
    assert [s.pid for s in kernel.spans] == [mine.pid]
    assert [s.lane.index for s in kernel.snapshot()] == [11, 22]
    kernel.apply(("end", 22, 0, now(), "ok", None))
    assert sorted(s.pid for s in kernel.spans) == sorted([mine.pid, 22])


async def test_process_spans_reach_the_kernel_while_the_run_is_going():
    from course_lib.run.runner import run_scenario
    from course_lib.run.settings import ScenarioSettings

    tracer = Tracer()
    task = asyncio.create_task(
        run_scenario(
            "parallel", ScenarioSettings(prompts=6, latency=1.0, processes=2), tracer=tracer
        )
    )

    def running():
        return [s for s in tracer.snapshot() if s.phase == IN_FLIGHT and s.outcome == "running"]

    await until(lambda: len(running()) == 2, timeout=60, what="two calls in flight")
    seen = running()
    assert {s.lane for s in seen} == {Lane("process", s.pid) for s in seen}
    assert not task.done()
    result = await task
    assert {str(s.lane) for s in result.spans} == {"process 1", "process 2"}


def test_lanes_get_readable_names_in_the_order_they_started():
    spans = [
        Span(1, Lane("task", 9), "in_flight", 2.0, 3.0, 1),
        Span(2, Lane("process", 77), "cpu", 1.0, 2.0, 77),
        Span(3, Lane("task", 4), "in_flight", 1.5, 3.0, 1),
        Span(4, named("coroutine", 1), "in_flight", 0.0, 3.0, 1),
        Span(5, Lane("task", 9), "cpu", 3.0, 3.5, 1),
    ]
    assert [(s.task, str(s.lane)) for s in numbered(spans)] == [
        (4, "coroutine 1"),
        (2, "process 1"),
        (3, "task 1"),
        (1, "task 2"),
        (5, "task 2"),
    ]


async def test_asyncio_tasks_named_by_asyncio_are_numbered_and_named_ones_keep_their_name():
    with Tracer() as tracer:
        await asyncio.gather(
            asyncio.create_task(_cpu_step()), asyncio.create_task(_cpu_step(), name="fetcher")
        )
    lanes = sorted(str(s.lane) for s in numbered(tracer.spans))
    assert lanes == ["fetcher", "task 1"]


async def _cpu_step():
    with cpu_span(label="step"):
        await asyncio.sleep(0)


def test_cpu_spans_record_their_cpu_time_beside_their_wall_time():
    from course_lib.run.workloads import burn, iterations_for
    from course_lib.view.gantt_chart import gantt

    with Tracer() as tracer:
        with cpu_span(label="waiting, not computing"):
            time.sleep(0.2)
        with cpu_span(label="computing"):
            burn(iterations_for(100))
    idle, busy = tracer.spans
    assert idle.cpu_s < 0.05 < 0.2 <= idle.duration  # the wall clock ran, the CPU did not
    assert 0.05 < busy.cpu_s <= busy.duration + 0.01
    hover = " ".join(
        next(d for d in gantt(spans=tracer.spans).data if d.name == "CPU work").hovertext
    )
    assert "CPU time" in hover and "wall" in hover
