"""Parallel: a pool of processes, each with its own client, calling and analysing."""

from __future__ import annotations

import asyncio

from course_lib.fake.server import FakeServer
from course_lib.run import workers
from course_lib.run.calls import Run
from course_lib.run.pools import process_pool, warm
from course_lib.run.results import CallRecord
from course_lib.trace.spans import now


async def parallel(run: Run) -> list[CallRecord]:
    s, loop = run.settings, asyncio.get_running_loop()
    started = now()
    with FakeServer(run.fake) as url:  # processes share the fake, and its rate limit, on loopback
        async with process_pool(
            s.processes, run.tracer, workers.init_worker, (url, s), s.start_method
        ) as pool:
            await warm(pool, s.processes)
            run.extras["pool_start_s"] = now() - started
            run.start_clock()
            return await asyncio.gather(
                *(
                    loop.run_in_executor(
                        pool, workers.fetch_and_analyse, task, prompt, run.iterations
                    )
                    for task, prompt in enumerate(s.prompt_list())
                )
            )
