"""Concurrent: asyncio, at most ``concurrency`` calls in flight; analysis on the event loop."""

from __future__ import annotations

import asyncio
from typing import Any

from course_lib.client.factory import gemini_client
from course_lib.run.calls import Run, fetch
from course_lib.run.workloads import analyse
from course_lib.trace.spans import (
    cpu_span,
    task_context,
)


async def concurrent(run: Run) -> list[dict[str, Any]]:
    s, client = run.settings, gemini_client(live=False, fake=run.fake)
    sem = asyncio.Semaphore(s.concurrency)

    async def one(task: int, prompt: str) -> dict[str, Any]:
        with task_context(task, f"coroutine {task + 1}"):
            output = await fetch(client, run, sem, task, prompt)
            if output["answer"] is not None:
                with cpu_span(label="analyse"):  # runs on the event loop: blocks every coroutine
                    output["analysis"] = analyse(output["answer"], run.iterations)
        return output

    run.start_clock()
    return list(await asyncio.gather(*(one(t, p) for t, p in enumerate(s.prompt_list()))))
