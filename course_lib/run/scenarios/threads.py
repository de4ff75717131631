"""Threads: a pool of ``concurrency`` threads, each making blocking calls and analysing."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from course_lib.client.factory import gemini_client
from course_lib.run import workers
from course_lib.run.calls import Run
from course_lib.trace.spans import (
    task_context,
)


async def threads(run: Run) -> list[dict[str, Any]]:
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
