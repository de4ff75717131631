"""Hybrid: asyncio fetches, a process pool analyses; every answer fetched first, or pipelined."""

from __future__ import annotations

import asyncio

from course_lib.client.factory import gemini_client
from course_lib.run import pools
from course_lib.run.calls import ScenarioRun, analysed, fetch
from course_lib.run.pools import process_pool, starting, warm
from course_lib.run.results import CallRecord
from course_lib.trace.lanes import named
from course_lib.trace.spans import now


async def fetch_all_then_analyse(run: ScenarioRun) -> list[CallRecord]:
    return await _hybrid(run, pipelined=False)


async def pipelined(run: ScenarioRun) -> list[CallRecord]:
    return await _hybrid(run, pipelined=True)


async def _hybrid(run: ScenarioRun, pipelined: bool) -> list[CallRecord]:
    s, loop = run.settings, asyncio.get_running_loop()
    client = gemini_client(live=False, fake=run.fake)
    sem = asyncio.Semaphore(s.concurrency)
    run.setting_up(starting(s.processes))
    started = now()
    async with process_pool(s.processes, run.tracer, start_method=s.start_method) as pool:
        await warm(pool, s.processes)
        run.extras["pool_start_s"] = now() - started

        async def analyse_elsewhere(record: CallRecord) -> CallRecord:
            if record.answer is None:
                return record
            return await loop.run_in_executor(pool, analyse_in_worker, record, run.iterations)

        async def one(task: int, prompt: str) -> CallRecord:
            record = await fetch(client, s, sem, task, prompt, named("coroutine", task + 1))
            if pipelined:  # analyse this answer while the others are still being fetched
                record = await analyse_elsewhere(record)
            return record

        run.start_clock()
        records = list(await asyncio.gather(*(one(t, p) for t, p in enumerate(s.prompt_list()))))
        if not pipelined:  # fetch everything first, then analyse everything
            records = list(await asyncio.gather(*(analyse_elsewhere(r) for r in records)))
    return records


def analyse_in_worker(record: CallRecord, iterations: int) -> CallRecord:
    """The CPU step, in a pool process (started with ``pools.init_worker``)."""
    tracer, context = pools.traced_task(record.task, record.prompt)
    with tracer, context:
        return analysed(record, iterations)
