"""Parallel: a pool of processes, each with its own client, calling and analysing."""

from __future__ import annotations

import asyncio
from typing import Any

from course_lib.client.factory import gemini_client, warm_sdk
from course_lib.fake.server import FakeServer
from course_lib.run import pools
from course_lib.run.calls import ScenarioRun, ask_then_analyse
from course_lib.run.pools import process_pool, starting, warm
from course_lib.run.results import CallRecord
from course_lib.run.settings import ScenarioSettings
from course_lib.trace.spans import now


async def parallel(run: ScenarioRun) -> list[CallRecord]:
    s, loop = run.settings, asyncio.get_running_loop()
    run.setting_up(starting(s.processes))
    started = now()
    with FakeServer(run.fake) as url:  # processes share the fake, and its rate limit, on loopback
        async with process_pool(
            s.processes, run.tracer, init_parallel_worker, (url, s), s.start_method
        ) as pool:
            await warm(pool, s.processes)
            run.extras["pool_start_s"] = now() - started
            run.start_clock()
            return await asyncio.gather(
                *(
                    loop.run_in_executor(pool, fetch_and_analyse, task, prompt, run.iterations)
                    for task, prompt in enumerate(s.prompt_list())
                )
            )


# -- in the pool's processes ----------------------------------------------------------------------
_client: Any = None
_settings = ScenarioSettings()


def init_parallel_worker(
    events: Any, owner: int, base_url: str, settings: ScenarioSettings
) -> None:
    """Pool initializer: one client per process, reused for every prompt it is given."""
    global _client, _settings
    pools.init_worker(events, owner)
    warm_sdk()
    _client = gemini_client(live=False, base_url=base_url)
    _settings = settings


def fetch_and_analyse(task: int, prompt: str, iterations: int) -> CallRecord:
    """The scenario's unit of work: call the model (retrying), then analyse the answer."""
    tracer, context = pools.traced_task(task, prompt)
    with tracer, context:
        return ask_then_analyse(_client, _settings, task, prompt, iterations)
