"""Agents: one ReAct agent per prompt (``course_lib.agents.react``), each asking the model, running
the ``tools_per_turn`` searches it asks for (``tool_calls``: at once or one by one) and asking
again for the answer. ``concurrency`` agents run at once on the kernel's event loop; with
``processes`` above 1, that many worker processes each run their own event loop with
``concurrency`` agents at once (isolation, and a core each for CPU work: not speed for I/O).

Each agent has its own group of rows on the timeline: its model calls, its searches.
"""

from __future__ import annotations

import asyncio
from typing import Any

from google.genai import errors

from course_lib.agents.react import AgentRun, question_for, react_agent
from course_lib.agents.search import SearchTool
from course_lib.client.factory import gemini_client, warm_sdk
from course_lib.fake.server import FakeServer
from course_lib.machine import default_start_method
from course_lib.ranges import nth_seed
from course_lib.run import pools
from course_lib.run.calls import ScenarioRun, take_slot
from course_lib.run.pools import process_pool, starting, warm
from course_lib.run.results import CallRecord
from course_lib.run.settings import ScenarioSettings
from course_lib.trace.lanes import agent
from course_lib.trace.spans import now
from course_lib.trace.tasks import task_context


async def agents(run: ScenarioRun) -> list[CallRecord]:
    s = run.settings
    tasks = list(range(s.prompts))
    if s.processes > 1:
        return await _in_processes(run, tasks)
    client = gemini_client(live=False, fake=run.fake)
    run.start_clock()
    return await run_agents(client, s, tasks)


async def run_agents(client: Any, s: ScenarioSettings, tasks: list[int]) -> list[CallRecord]:
    """Run agent ``task + 1`` for each task, ``concurrency`` at once (each waits for a slot on
    its own rows)."""
    slots = asyncio.Semaphore(s.concurrency)
    docs = SearchTool(latency_s=s.tool_latency)
    at_once = s.tool_calls == "at once"

    async def one(task: int) -> CallRecord:
        question = question_for(task + 1, s.tools_per_turn)
        record = CallRecord(task, question, sent=now())
        with task_context(task, agent(task + 1), question):
            await take_slot(slots, question)
        try:
            done = await react_agent(
                client,
                question,
                docs,
                index=task + 1,
                at_once=at_once,
                model=s.model,
                attempts=s.attempts,
                seed=nth_seed(s.seed, task),
            )
        except errors.APIError as error:  # a model call failed every attempt: this agent failed
            record.failed(error, s.attempts, now())
            return record
        finally:
            slots.release()
        return _record(record, done)

    return list(await asyncio.gather(*(one(task) for task in tasks)))


def _record(record: CallRecord, done: AgentRun) -> CallRecord:
    record.answer, record.attempts = done.answer, done.model_calls
    record.output_tokens = done.tokens  # all turns' tokens, in and out
    record.answered = record.done = done.ended
    return record


async def _in_processes(run: ScenarioRun, tasks: list[int]) -> list[CallRecord]:
    s, loop = run.settings, asyncio.get_running_loop()
    batches = [tasks[k :: s.processes] for k in range(s.processes)]
    method = s.start_method or default_start_method()
    run.setting_up(starting(s.processes))
    with FakeServer(run.fake) as url:  # the processes share the fake on loopback
        async with process_pool(
            s.processes, run.tracer, init_agent_worker, (url, s), method
        ) as pool:
            await warm(pool, s.processes)
            run.start_clock()
            done = await asyncio.gather(
                *(loop.run_in_executor(pool, agent_batch, b) for b in batches if b)
            )
    return sorted((record for batch in done for record in batch), key=lambda r: r.task)


# -- in the processes, with processes above 1 -----------------------------------------------------
_agents: tuple[Any, ScenarioSettings, Any] | None = None  # loop, settings, client


def init_agent_worker(events: Any, owner: int, base_url: str, settings: ScenarioSettings) -> None:
    """Pool initializer: this process's own event loop, and a client on it already used once
    (its first call's set-up stays out of the run)."""
    global _agents
    pools.init_worker(events, owner)
    warm_sdk()
    loop = asyncio.new_event_loop()
    client = gemini_client(live=False, base_url=base_url)
    loop.run_until_complete(client.aio.models.count_tokens(model=settings.model, contents="hi"))
    _agents = (loop, settings, client)


def agent_batch(tasks: list[int]) -> list[CallRecord]:
    """Run these agents on this process's event loop, streaming their spans to the kernel."""
    assert _agents is not None, "start the pool with init_agent_worker"
    loop, settings, client = _agents
    with pools.streaming_tracer():
        return loop.run_until_complete(run_agents(client, settings, tasks))
