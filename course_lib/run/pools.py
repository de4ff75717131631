"""Process pools for the scenarios: workers that stream their spans to the kernel while they run,
and pools that never outlive their block (a Stop button leaves no orphan processes)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from course_lib.run import workers
from course_lib.trace.spans import (
    Tracer,
)


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
        # the fork server imports the SDK once; every worker is a fork of it, ready to go
        context.set_forkserver_preload(["course_lib.run.workers"])
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
    """Stop a pool's processes now (the executor has no public API for it)."""
    # Python 3.11 then fails futures that asyncio already cancelled, and prints an
    # InvalidStateError from its manager thread; drop those first (later versions skip them).
    pending = pool._pending_work_items
    for key, item in list(pending.items()):
        if item.future.cancelled():
            pending.pop(key, None)
    for process in list((pool._processes or {}).values()):
        process.terminate()


async def warm(pool: ProcessPoolExecutor, size: int) -> None:
    """Start every process of the pool now, so the measured run starts with a ready pool."""
    loop = asyncio.get_running_loop()
    await asyncio.gather(*(loop.run_in_executor(pool, workers.warm_up) for _ in range(size)))
