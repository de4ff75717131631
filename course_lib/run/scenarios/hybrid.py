"""Hybrid: asyncio fetches, a process pool analyses; all fetched first, or pipelined."""

from __future__ import annotations

import asyncio
from typing import Any

from course_lib.client.factory import gemini_client
from course_lib.run import workers
from course_lib.run.calls import Run, fetch
from course_lib.run.pools import process_pool, warm
from course_lib.trace.spans import (
    now,
    task_context,
)


async def hybrid(run: Run, pipelined: bool) -> list[dict[str, Any]]:
    s, loop = run.settings, asyncio.get_running_loop()
    client = gemini_client(live=False, fake=run.fake)
    sem = asyncio.Semaphore(s.concurrency)
    started = now()
    async with process_pool(s.processes, run.tracer, start_method=s.start_method) as pool:
        await warm(pool, s.processes)
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
                output = await fetch(client, run, sem, task, prompt)
            if pipelined:  # analyse this answer while the others are still being fetched
                await analyse_elsewhere(output)
            return output

        run.start_clock()
        outputs = list(await asyncio.gather(*(one(t, p) for t, p in enumerate(s.prompt_list()))))
        if not pipelined:  # fetch everything first, then analyse everything
            await asyncio.gather(*(analyse_elsewhere(o) for o in outputs))
    return outputs
