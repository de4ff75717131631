"""Sequential: one call after another, each answer analysed before the next call."""

from __future__ import annotations

import asyncio
import threading

from course_lib.client.factory import gemini_client
from course_lib.run.calls import ScenarioRun, ask_then_analyse
from course_lib.run.results import CallRecord
from course_lib.trace.lanes import MAIN
from course_lib.trace.tasks import task_context


async def sequential(run: ScenarioRun) -> list[CallRecord]:
    s, client = run.settings, gemini_client(live=False, fake=run.fake)
    stop = threading.Event()

    def one_after_another() -> list[CallRecord]:
        records = []
        for task, prompt in enumerate(s.prompt_list()):
            if stop.is_set():  # cancelled: finish the call in progress, start no more
                break
            with task_context(task, MAIN, prompt):
                records.append(ask_then_analyse(client, s, task, prompt, run.iterations))
        return records

    run.start_clock()
    try:  # a thread keeps the notebook's event loop free while the calls block
        return await asyncio.to_thread(one_after_another)
    finally:
        stop.set()
