"""Process pools for the scenarios: workers that stream their spans to the kernel while they run,
and pools that never outlive their block (a Stop button leaves no orphan processes).

Each scenario's own worker functions (its pool initializer and the batch it hands a worker) live
in its module in ``course_lib.run.scenarios``; they start from ``init_worker`` and record with
``streaming_tracer``. The functions the lessons' own pools run are in ``course_lib.pool_tasks``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from course_lib.machine import default_start_method
from course_lib.run import lifeline
from course_lib.trace.lanes import Lane
from course_lib.trace.spans import Tracer
from course_lib.trace.tasks import task_context

# The fork server imports these once (the SDK among them); every worker is a fork of it, ready.
PRELOAD = ("course_lib.run.pools", "course_lib.run.calls")

_events = None  # in a worker: a multiprocessing SimpleQueue (put() has written when it returns)


def init_worker(events: Any, owner: int) -> None:
    """Every pool worker's set-up (the pool initializer for CPU-only workers): where to send span
    events, and whose worker this is (it ignores interrupts and ends when its owner does: see
    ``course_lib.run.lifeline``). A scenario's own initializer calls it first."""
    global _events
    lifeline.attach(owner)
    _events = events


def streaming_tracer() -> Tracer:
    """In a worker: a tracer whose spans go to the kernel as they happen."""
    return Tracer(sink=_events.put if _events is not None else None)


def traced_task(task: int, prompt: str) -> tuple[Tracer, task_context]:
    """In a worker: a streaming tracer, and the context that puts ``task`` on this process's row."""
    return streaming_tracer(), task_context(task, Lane("process", os.getpid()), prompt)


def warm_up(hold_s: float = 0.0) -> int:
    """A no-op task: makes the pool start its processes before the clock matters. It holds its
    worker ``hold_s`` seconds, so that the next one is left to another worker (``warm``)."""
    time.sleep(hold_s)
    return os.getpid()


def starting(processes: int) -> str:
    """What a run says while its pool starts (a panel shows it as start-up, not as run time).

    >>> starting(1), starting(4)
    ('Starting 1 worker process', 'Starting 4 worker processes')
    """
    return f"Starting {processes} worker process{'es' * (processes != 1)}"


@asynccontextmanager
async def process_pool(
    size: int,
    tracer: Tracer,
    initializer: Callable[..., None] = init_worker,
    initargs: tuple = (),
    start_method: str | None = None,
) -> AsyncIterator[ProcessPoolExecutor]:
    """A process pool whose workers stream their spans into ``tracer`` while they run, and that
    never outlives the block: on error or cancellation its processes are terminated, so a Stop
    button leaves no orphans."""
    context = multiprocessing.get_context(start_method or default_start_method())
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload([*PRELOAD, initializer.__module__])
    events = context.SimpleQueue()
    drain = threading.Thread(target=_drain, args=(events, tracer), name="span-events", daemon=True)
    drain.start()
    pool = ProcessPoolExecutor(
        size, mp_context=context, initializer=initializer, initargs=(events, os.getpid(), *initargs)
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
    """Terminate a pool's workers now, on error or cancellation (``process_pool``'s ``finally``
    shuts the pool down and cancels what has not started)."""
    if sys.version_info >= (3, 14):
        pool.terminate_workers()  # shuts down (cancelling what has not started), then terminates
        return
    # Before Python 3.14 the executor has no public API for this, so this reaches into it (drop
    # this branch once 3.14 is the floor). Python 3.11 then fails futures that asyncio already
    # cancelled, and prints an InvalidStateError from its manager thread; those get a stand-in
    # nobody waits for (removing them instead races the manager thread: a KeyError, seen when
    # Stop came while the pool was still starting). Later versions skip cancelled futures.
    for item in list(pool._pending_work_items.values()):
        if item.future.cancelled():
            item.future = Future()
    for process in list((pool._processes or {}).values()):
        process.terminate()


async def warm(pool: ProcessPoolExecutor, size: int) -> None:
    """Start every process of the pool now, and wait until each has run its initializer and a
    task, so the measured run starts with a ready pool. One warm-up per process is not enough:
    the process ready first takes them all while the others still start (and then, the run's
    batches one after another). Each warm-up holds its worker a moment, and rounds of them go on
    until every process has answered one."""
    loop = asyncio.get_running_loop()
    answered: set[int] = set()
    while len(answered) < size:
        warm_ups = (loop.run_in_executor(pool, warm_up, 0.02) for _ in range(size))
        answered.update(await asyncio.gather(*warm_ups))
