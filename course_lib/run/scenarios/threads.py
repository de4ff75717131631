"""Threads: a pool of ``concurrency`` threads, each making blocking calls and analysing."""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

from course_lib.client.factory import gemini_client
from course_lib.run.calls import ScenarioRun, ask_then_analyse
from course_lib.run.results import CallRecord
from course_lib.trace.lanes import Lane, named
from course_lib.trace.tasks import task_context


async def threads(run: ScenarioRun) -> list[CallRecord]:
    s, client = run.settings, gemini_client(live=False, fake=run.fake)
    lanes: dict[int, Lane] = {}  # thread id -> "thread 1", "thread 2"... in the order they start
    numbers, lock = itertools.count(1), threading.Lock()

    def one(task: int, prompt: str) -> CallRecord:
        with lock:
            ident = threading.get_ident()
            if ident not in lanes:
                lanes[ident] = named("thread", next(numbers))
            lane = lanes[ident]
        with task_context(task, lane, prompt):
            return ask_then_analyse(client, s, task, prompt, run.iterations)

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
