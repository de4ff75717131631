"""Concurrent: asyncio, at most ``concurrency`` calls in flight; analysis on the event loop."""

from __future__ import annotations

import asyncio

from course_lib.client.factory import gemini_client
from course_lib.run.calls import ScenarioRun, fetch
from course_lib.run.results import CallRecord
from course_lib.trace.lanes import named


async def concurrent(run: ScenarioRun) -> list[CallRecord]:
    s, client = run.settings, gemini_client(live=False, fake=run.fake)
    sem = asyncio.Semaphore(s.concurrency)

    run.start_clock()
    # Each answer is analysed on the event loop: while it computes, no other coroutine runs.
    return list(
        await asyncio.gather(
            *(
                fetch(client, s, sem, task, prompt, named("coroutine", task + 1), run.iterations)
                for task, prompt in enumerate(s.prompt_list())
            )
        )
    )
