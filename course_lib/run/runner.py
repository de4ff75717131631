"""The scenario runners: the same batch of prompts, run six ways, each traced and timed.

Every runner is a coroutine, so a notebook awaits it (and a Stop button can cancel it) while the
kernel stays responsive; ``run_sync`` runs one from a script. Each run gets its own fake Gemini,
seeded from the settings, so runs are reproducible and do not share a rate-limit budget.

The notebooks show the concurrency code itself; these are the tested versions the panels, the CLI
and the benchmarks use.

>>> result = run_sync("concurrent", Settings(prompts=4, latency=0.1, concurrency=2))
>>> result.scenario, len(result.outputs), round(result.wall_s, 1)
('concurrent', 4, 0.2)
"""

from __future__ import annotations

import asyncio
import contextvars
import multiprocessing
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from google.genai import errors

from course_lib.client.factory import gemini_client, warm_sdk
from course_lib.fake.gemini import FakeGemini
from course_lib.fake.latency import latency_model
from course_lib.fake.server import FakeServer
from course_lib.run import workers
from course_lib.run.retry import acall_with_retries
from course_lib.run.settings import SCENARIOS, RunResult, SettingError, Settings, ideal_seconds
from course_lib.run.workloads import analyse, iterations_for
from course_lib.trace.spans import (
    WAIT_SLOT,
    Tracer,
    cpu_span,
    now,
    process_lane_names,
    span,
    task_context,
)


@dataclass
class _Run:
    settings: Settings
    fake: FakeGemini
    iterations: int
    tracer: Tracer
    extras: dict[str, float] = field(default_factory=dict)

    def start_clock(self) -> None:
        self.tracer.t0 = now()


# -- building blocks -------------------------------------------------------------------------------
async def _fetch(
    client: Any, run: _Run, sem: asyncio.Semaphore, task: int, prompt: str
) -> dict[str, Any]:
    """Wait for a free slot, then call the model (retrying); the slot is freed before analysis."""
    s = run.settings
    output: dict[str, Any] = {"task": task, "prompt": prompt, "answer": None, "analysis": None}
    if sem.locked():  # only a real wait becomes a span
        with span(WAIT_SLOT, label=prompt):
            await sem.acquire()
    else:
        await sem.acquire()
    try:
        response, tries = await acall_with_retries(
            lambda: client.aio.models.generate_content(model=s.model, contents=prompt),
            attempts=s.attempts,
            seed=s.seed + task,
        )
        output.update(answer=response.text, attempts=tries, error=None)
    except errors.APIError as error:
        output.update(attempts=s.attempts, error=f"{error.code} {error.status}")
    finally:
        sem.release()
    return output


def default_start_method() -> str:
    """forkserver where it exists (Linux; Python 3.14's default there), else spawn.

    Never fork inside a Jupyter kernel: it is multi-threaded, and a forked child can deadlock.
    """
    if sys.platform == "linux" and "forkserver" in multiprocessing.get_all_start_methods():
        return "forkserver"
    return "spawn"


@asynccontextmanager
async def process_pool(
    size: int,
    tracer: Tracer,
    initializer: Callable[..., None] = workers.init_analysis_worker,
    initargs: tuple = (),
    start_method: str | None = None,
) -> AsyncIterator[ProcessPoolExecutor]:
    """A process pool whose workers stream their spans into ``tracer`` while they run, and that
    never outlives the block: on error or cancellation its processes are terminated, so a Stop
    button leaves no orphans."""
    context = multiprocessing.get_context(start_method or default_start_method())
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(
            ["course_lib.run.workers"]
        )  # import the SDK once, fork after
    events = context.SimpleQueue()
    drain = threading.Thread(target=_drain, args=(events, tracer), name="span-events", daemon=True)
    drain.start()
    pool = ProcessPoolExecutor(
        size, mp_context=context, initializer=initializer, initargs=(events, *initargs)
    )
    try:
        yield pool
    except BaseException:
        _terminate(pool)
        raise
    finally:
        await asyncio.shield(asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True))
        # The end mark follows every worker's events: they were written before their results. It is
        # sent from a thread of its own: a worker terminated mid-write leaves the queue's lock
        # held, and then this put would block forever; the kernel must not block with it.
        threading.Thread(target=events.put, args=(None,), daemon=True).start()
        await asyncio.to_thread(drain.join, 10)


def _drain(events: Any, tracer: Tracer) -> None:
    while (event := events.get()) is not None:
        tracer.apply(event)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's processes now (the executor has no public API for it)."""
    # Python 3.11 then fails futures that asyncio already cancelled, and prints an
    # InvalidStateError from its manager thread; drop those first (later versions skip them).
    pending = pool._pending_work_items
    for key, item in list(pending.items()):
        if item.future.cancelled():
            pending.pop(key, None)
    for process in list((pool._processes or {}).values()):
        process.terminate()


async def _warm(pool: ProcessPoolExecutor, size: int) -> None:
    """Start every process of the pool now, so the measured run starts with a ready pool."""
    loop = asyncio.get_running_loop()
    await asyncio.gather(*(loop.run_in_executor(pool, workers.warm_up) for _ in range(size)))


# -- the scenarios ---------------------------------------------------------------------------------
async def _sequential(run: _Run) -> list[dict[str, Any]]:
    s, client = run.settings, gemini_client(live=False, fake=run.fake)
    stop = threading.Event()

    def one_after_another() -> list[dict[str, Any]]:
        outputs = []
        for task, prompt in enumerate(s.prompt_list()):
            if stop.is_set():  # cancelled: finish the call in progress, start no more
                break
            with task_context(task, "main"):
                outputs.append(
                    workers.fetch_then_analyse(
                        client, s.model, task, prompt, run.iterations, s.attempts, s.seed
                    )
                )
        return outputs

    run.start_clock()
    try:  # a thread keeps the notebook's event loop free while the calls block
        return await asyncio.to_thread(one_after_another)
    finally:
        stop.set()


async def _concurrent(run: _Run) -> list[dict[str, Any]]:
    s, client = run.settings, gemini_client(live=False, fake=run.fake)
    sem = asyncio.Semaphore(s.concurrency)

    async def one(task: int, prompt: str) -> dict[str, Any]:
        with task_context(task, f"coroutine {task + 1}"):
            output = await _fetch(client, run, sem, task, prompt)
            if output["answer"] is not None:
                with cpu_span(label="analyse"):  # runs on the event loop: blocks every coroutine
                    output["analysis"] = analyse(output["answer"], run.iterations)
        return output

    run.start_clock()
    return list(await asyncio.gather(*(one(t, p) for t, p in enumerate(s.prompt_list()))))


async def _threads(run: _Run) -> list[dict[str, Any]]:
    s, client = run.settings, gemini_client(live=False, fake=run.fake)

    def one(task: int, prompt: str) -> dict[str, Any]:
        number = int(threading.current_thread().name.rsplit("_", 1)[-1]) + 1
        with task_context(task, f"thread {number}"):
            return workers.fetch_then_analyse(
                client, s.model, task, prompt, run.iterations, s.attempts, s.seed
            )

    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=s.concurrency, thread_name_prefix="thread")
    run.start_clock()
    try:  # copy_context: each thread sees the run's tracer
        return list(
            await asyncio.gather(
                *(
                    loop.run_in_executor(pool, contextvars.copy_context().run, one, task, prompt)
                    for task, prompt in enumerate(s.prompt_list())
                )
            )
        )
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


async def _parallel(run: _Run) -> list[dict[str, Any]]:
    s, loop = run.settings, asyncio.get_running_loop()
    started = now()
    with FakeServer(run.fake) as url:  # processes share the fake, and its rate limit, on loopback
        async with process_pool(
            s.processes, run.tracer, workers.init_worker, (url, s.model), s.start_method
        ) as pool:
            await _warm(pool, s.processes)
            run.extras["pool_start_s"] = now() - started
            run.start_clock()
            return await asyncio.gather(
                *(
                    loop.run_in_executor(
                        pool,
                        workers.fetch_and_analyse,
                        task,
                        prompt,
                        run.iterations,
                        s.attempts,
                        s.seed,
                    )
                    for task, prompt in enumerate(s.prompt_list())
                )
            )


async def _hybrid(run: _Run, pipelined: bool) -> list[dict[str, Any]]:
    s, loop = run.settings, asyncio.get_running_loop()
    client = gemini_client(live=False, fake=run.fake)
    sem = asyncio.Semaphore(s.concurrency)
    started = now()
    async with process_pool(s.processes, run.tracer, start_method=s.start_method) as pool:
        await _warm(pool, s.processes)
        run.extras["pool_start_s"] = now() - started

        async def analyse_elsewhere(output: dict[str, Any]) -> None:
            if output["answer"] is not None:
                output["analysis"] = await loop.run_in_executor(
                    pool,
                    workers.analyse_in_worker,
                    output["task"],
                    output["answer"],
                    run.iterations,
                )

        async def one(task: int, prompt: str) -> dict[str, Any]:
            with task_context(task, f"coroutine {task + 1}"):
                output = await _fetch(client, run, sem, task, prompt)
            if pipelined:  # analyse this answer while the others are still being fetched
                await analyse_elsewhere(output)
            return output

        run.start_clock()
        outputs = list(await asyncio.gather(*(one(t, p) for t, p in enumerate(s.prompt_list()))))
        if not pipelined:  # fetch everything first, then analyse everything
            await asyncio.gather(*(analyse_elsewhere(o) for o in outputs))
    return outputs


_RUNNERS: dict[str, Callable[[_Run], Awaitable[list[dict[str, Any]]]]] = {
    "sequential": _sequential,
    "concurrent": _concurrent,
    "threads": _threads,
    "parallel": _parallel,
    "hybrid": lambda run: _hybrid(run, pipelined=False),
    "hybrid-pipelined": lambda run: _hybrid(run, pipelined=True),
}


async def run_scenario(
    scenario: str, settings: Settings | None = None, *, tracer: Tracer | None = None, **changes: Any
) -> RunResult:
    """Run one scenario; ``changes`` override single settings, e.g. ``concurrency=10``.

    Pass a ``tracer`` to watch the run while it happens (``tracer.snapshot()``); by default the
    run gets a fresh one.
    """
    if scenario not in _RUNNERS:
        raise SettingError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    s = replace(settings or Settings(), **changes)
    await asyncio.to_thread(warm_sdk)  # once per process, outside the timed part
    fake = FakeGemini(
        latency=latency_model(s.latency, s.jitter),
        rpm=s.rpm,
        failure_rate=s.failure_rate,
        seed=s.seed,
    )
    tracer = tracer or Tracer()
    with tracer:
        run = _Run(s, fake, iterations_for(s.cpu_work), tracer)
        outputs = await _RUNNERS[scenario](run)
        wall = now() - tracer.t0
    names = process_lane_names(tracer.spans)
    for traced in tracer.spans:
        traced.lane = names.get(traced.lane, traced.lane)
    outputs.sort(key=lambda o: o["task"])
    return RunResult(
        scenario, wall, s, tracer.spans, outputs, ideal_seconds(scenario, s), tracer.t0, run.extras
    )


def run_sync(scenario: str, settings: Settings | None = None, **changes: Any) -> RunResult:
    """``run_scenario`` for scripts. In a notebook, write ``await run_scenario(...)`` instead."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run_scenario(scenario, settings, **changes))
    raise RuntimeError(
        "An event loop is already running (as in Jupyter): "
        "use `await run_scenario(...)` instead of run_sync(...)."
    )


async def compare(
    settings: Settings | None = None, scenarios: tuple[str, ...] = SCENARIOS
) -> list[RunResult]:
    """Run several scenarios one after another with the same settings."""
    return [await run_scenario(name, settings) for name in scenarios]
