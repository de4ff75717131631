"""Functions that worker processes run. They live here, not in a notebook cell, because the spawn
and forkserver start methods pickle a function by its module and name, and a cell has neither.

Each worker keeps one client for its whole life (``init_worker``) and streams its spans to the
kernel through a queue while it works, so a live timeline shows every process as it happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator
from typing import Any, NamedTuple

from course_lib.config import DEFAULT_MODEL
from course_lib.run import lifeline
from course_lib.run.calls import analysed, ask_then_analyse
from course_lib.run.results import CallRecord
from course_lib.run.settings import Settings
from course_lib.run.workloads import analyse, burn
from course_lib.trace.lanes import Lane
from course_lib.trace.spans import Tracer, task_context

_client = None
_settings = Settings()
_events = None  # a multiprocessing SimpleQueue: put() has written the event when it returns


def init_analysis_worker(events: Any, owner: int) -> None:
    """Pool initializer for CPU-only workers: where to send span events, and whose worker this is
    (it ignores interrupts and ends when its owner does: see ``course_lib.run.lifeline``)."""
    global _events
    lifeline.attach(owner)
    _events = events


def init_worker(events: Any, owner: int, base_url: str, settings: Settings) -> None:
    """Pool initializer for workers that call the model: one client per process, reused."""
    global _client, _settings
    from course_lib.client.factory import gemini_client, warm_sdk

    init_analysis_worker(events, owner)
    warm_sdk()
    _client = gemini_client(live=False, base_url=base_url)
    _settings = settings


def _traced(task: int, prompt: str):  # a tracer that streams to the kernel, and this lane
    tracer = Tracer(sink=_events.put if _events is not None else None)
    return tracer, task_context(task, Lane("process", os.getpid()), prompt)


def fetch_and_analyse(task: int, prompt: str, iterations: int) -> CallRecord:
    """The parallel scenario's unit of work, in a pool process."""
    tracer, context = _traced(task, prompt)
    with tracer, context:
        return ask_then_analyse(_client, _settings, task, prompt, iterations)


def analyse_in_worker(record: CallRecord, iterations: int) -> CallRecord:
    """The hybrid scenario's CPU step, run in a pool process."""
    tracer, context = _traced(record.task, record.prompt)
    with tracer, context:
        return analysed(record, iterations)


# -- for the lessons' own pools -------------------------------------------------------------------
_own_client = None


def ask(prompt: str) -> str:
    """Ask one prompt from a pool process, with that process's own client (made on first use,
    then reused for every task the process runs).

    The client reads the environment the process inherited: offline, ``setup()`` pointed it at
    the fake server on loopback, so every process shares one fake; in live mode it calls the
    real API, each process counting its own calls against the budget.
    """
    return own_client().models.generate_content(model=DEFAULT_MODEL, contents=prompt).text


def own_client() -> Any:
    """This process's client for ``ask``: the fake's (``fake_client``) when offline, else one
    made by ``gemini_client()`` (live, on the session's budget), once."""
    global _own_client
    from course_lib.config import ENV_BASE_URL, ENV_LIVE

    if os.environ.get(ENV_LIVE) != "1" and os.environ.get(ENV_BASE_URL):
        return fake_client()
    if _own_client is None:
        lifeline.attach()  # the owner is the kernel that ran setup(), or else the parent
        from course_lib.client.factory import gemini_client, warm_sdk

        warm_sdk()  # about 0.2 s on first use: paid here, not inside the first call
        _own_client = gemini_client()
    return _own_client


def peak_memory_mb() -> float:
    """The most memory this process has used so far, in MB (0.0 where Python cannot tell)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)  # bytes on macOS, KB elsewhere


class Timed(NamedTuple):
    """What a task did in a worker: its process, when it ran (on the clock every process shares,
    ``time.perf_counter``) and its result. The exercises check pools with these."""

    pid: int
    start: float
    end: float
    value: Any


def timed_burn(iterations: int) -> Timed:
    """``burn(iterations)`` in this process, and when and where it ran."""
    start = time.perf_counter()
    value = burn(iterations)
    return Timed(os.getpid(), start, time.perf_counter(), value)


def timed_analyse(text: str, iterations: int = 0) -> Timed:
    """``analyse(text, iterations)`` in this process, and when and where it ran."""
    start = time.perf_counter()
    value = analyse(text, iterations)
    return Timed(os.getpid(), start, time.perf_counter(), value)


def warm_up() -> int:
    """A no-op task: makes the pool start its processes before the clock matters."""
    return os.getpid()


_fake_client = None


def fake_client() -> Any:
    """This process's client on the fake that ``offline()`` serves, whatever the mode: lesson 05's
    pools shorten the fake's minute, so they never call the live API. Its address comes in the
    environment the worker inherited (start such pools with spawn: a forkserver started earlier
    hands its workers the environment it had then)."""
    global _fake_client
    if _fake_client is None:
        lifeline.attach()
        from course_lib.client.factory import gemini_client, warm_sdk
        from course_lib.config import ENV_BASE_URL

        url = os.environ.get(ENV_BASE_URL)
        if not url:
            raise RuntimeError(
                "This process cannot find the fake Gemini: run setup() (or offline()) in the "
                "notebook before starting the pool."
            )
        warm_sdk()  # the SDK's first-use set-up (0.2 s), paid before any turn is taken
        _fake_client = gemini_client(live=False, base_url=url)
    return _fake_client


# -- lesson 05's rate-limited scenario, in processes ---------------------------------------------
_limited: tuple[Any, Settings, Any, Any] | None = None  # loop, settings, limiter, client


def init_limited_worker(
    events: Any, owner: int, base_url: str, settings: Settings, limiter: Any
) -> None:
    """Pool initializer for the rate-limited scenario: an event loop of this process's own and a
    client on it, already used once (the first call on a new client is slow, and a slow call
    between a rate token and its send would arrive late), and the limiter every process shares
    (None: no client-side limiter)."""
    global _limited
    from course_lib.client.factory import warm_sdk
    from course_lib.run.scenarios.limited import client_for

    init_analysis_worker(events, owner)
    warm_sdk()  # generate_content's own first-use set-up (its data models), on a private fake
    loop = asyncio.new_event_loop()
    client = client_for(settings, base_url=base_url)
    # countTokens: not counted by any quota, and no tracer is listening yet
    loop.run_until_complete(client.aio.models.count_tokens(model=settings.model, contents="hi"))
    _limited = (loop, settings, limiter, client)


def ask_batch(tasks: list[tuple[int, str]]) -> list[CallRecord]:
    """Ask a batch of (task, prompt) on this process's event loop, as the rate-limited scenario
    does in the kernel, streaming the spans to it."""
    from course_lib.run.scenarios.limited import ask_all

    assert _limited is not None, "start the pool with init_limited_worker"
    loop, settings, limiter, client = _limited
    with Tracer(sink=_events.put if _events is not None else None):
        return loop.run_until_complete(ask_all(client, settings, tasks, limiter))


_agents: tuple[Any, Settings, Any] | None = None  # loop, settings, client


def init_agent_worker(events: Any, owner: int, base_url: str, settings: Settings) -> None:
    """Pool initializer for the agents scenario: this process's own event loop, and a client on
    it already used once (its first call's set-up stays out of the run)."""
    global _agents
    from course_lib.client.factory import gemini_client, warm_sdk

    init_analysis_worker(events, owner)
    warm_sdk()
    loop = asyncio.new_event_loop()
    client = gemini_client(live=False, base_url=base_url)
    loop.run_until_complete(client.aio.models.count_tokens(model=settings.model, contents="hi"))
    _agents = (loop, settings, client)


def agent_batch(tasks: list[int]) -> list[CallRecord]:
    """Run these agents on this process's event loop, streaming their spans to the kernel."""
    from course_lib.run.scenarios.agents import run_agents

    assert _agents is not None, "start the pool with init_agent_worker"
    loop, settings, client = _agents
    with Tracer(sink=_events.put if _events is not None else None):
        return loop.run_until_complete(run_agents(client, settings, tasks))


# -- lesson 07: how many calls one event loop can make --------------------------------------------
class LoopLoad(NamedTuple):
    """One process's share of a load test: when it started and ended (``time.perf_counter``,
    system-wide), the CPU time it used, and how many calls it made."""

    start: float
    end: float
    cpu_s: float
    calls: int


def calls_on_one_loop(calls: int, in_flight: int = 100, base_url: str | None = None) -> LoopLoad:
    """Make ``calls`` calls from this process's own event loop, ``in_flight`` at once, as fast
    as it can: what limits it is the CPU per call. The fake answers at once from ``base_url``
    (``fake_in_its_own_process``: real sockets, as a real API needs), or, with none, from inside
    this process (then the fake's own work is in the CPU measured)."""
    from course_lib.client.factory import gemini_client, warm_sdk
    from course_lib.fake.gemini import FakeGemini

    warm_sdk()
    if base_url is None:
        client = gemini_client(live=False, fake=FakeGemini(latency=0.0, error_latency_s=0.0))
    else:
        client = gemini_client(live=False, base_url=base_url)

    async def load() -> LoopLoad:
        await client.aio.models.count_tokens(model=DEFAULT_MODEL, contents="hi")  # its set-up
        slots = asyncio.Semaphore(in_flight)

        async def one(k: int) -> None:
            async with slots:
                await client.aio.models.generate_content(model=DEFAULT_MODEL, contents=f"Hi {k}")

        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(k) for k in range(calls)))
        return LoopLoad(start, time.perf_counter(), time.process_time() - cpu, calls)

    return asyncio.run(load())


def _serve_fake(urls: Any, stop: Any) -> None:
    from course_lib.fake.gemini import FakeGemini
    from course_lib.fake.server import FakeServer

    with FakeServer(FakeGemini(latency=0.0, error_latency_s=0.0)) as url:
        urls.put(url)
        stop.wait()


@contextlib.contextmanager
def fake_in_its_own_process() -> Iterator[str]:
    """``with fake_in_its_own_process() as url:`` a fake that answers at once, served on
    loopback by a process of its own, so its work is not counted in the caller's CPU."""
    context = multiprocessing.get_context("spawn")
    urls, stop = context.Queue(), context.Event()
    server = context.Process(target=_serve_fake, args=(urls, stop), daemon=True)
    server.start()
    try:
        yield urls.get(timeout=60)
    finally:
        stop.set()
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()
