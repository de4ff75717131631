"""Sequential: one call after another, each answer analysed before the next call."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from course_lib.client.factory import gemini_client
from course_lib.run import workers
from course_lib.run.calls import Run
from course_lib.trace.spans import (
    task_context,
)


async def sequential(run: Run) -> list[dict[str, Any]]:
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
