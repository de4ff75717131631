"""What the lessons' own process pools run: functions a notebook hands to ``pool.map`` or
``pool.submit``. They live here, not in a notebook cell, because the spawn and forkserver start
methods pickle a function by its module and name, and a cell has neither.

The scenarios' pools run their own functions, in their own modules (``course_lib.run.scenarios``);
these are the lessons'. Each process keeps one client for its whole life, made on first use.

>>> timed_burn(1_000).value == timed_burn(1_000).value  # the same work, whatever the process
True
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

from google.genai import errors

from course_lib.client.factory import gemini_client, warm_sdk
from course_lib.config import DEFAULT_MODEL, ENV_BASE_URL, ENV_LIVE
from course_lib.fake.gemini import FakeGemini
from course_lib.rate_limits.limiter import installed
from course_lib.run import lifeline
from course_lib.run.workloads import analyse, burn

__all__ = [
    "ask",
    "peak_memory_mb",
    "timed_burn",
    "timed_analyse",
    "take_turn",
    "limited_ask",
    "ask_when_allowed",
    "calls_on_one_loop",
    "fake_in_its_own_process",
]

# -- lessons 03 and 04: asking and analysing in a pool --------------------------------------------
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
    if os.environ.get(ENV_LIVE) != "1" and os.environ.get(ENV_BASE_URL):
        return fake_client()
    if _own_client is None:
        lifeline.attach()  # the owner is the kernel that ran setup(), or else the parent
        warm_sdk()  # about 0.2 s on first use: paid here, not inside the first call
        _own_client = gemini_client()
    return _own_client


_fake_client = None


def fake_client() -> Any:
    """This process's client on the fake that ``offline()`` serves, whatever the mode: lesson 05's
    pools shorten the fake's minute, so they never call the live API. Its address comes in the
    environment the worker inherited (start such pools with spawn: a forkserver started earlier
    hands its workers the environment it had then)."""
    global _fake_client
    if _fake_client is None:
        lifeline.attach()
        url = os.environ.get(ENV_BASE_URL)
        if not url:
            raise RuntimeError(
                "This process cannot find the fake Gemini: run setup() (or offline()) in the "
                "notebook before starting the pool."
            )
        warm_sdk()  # the SDK's first-use set-up (0.2 s), paid before any turn is taken
        _fake_client = gemini_client(live=False, base_url=url)
    return _fake_client


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


# -- lesson 05: one rate limit for a pool ---------------------------------------------------------
class Passed(NamedTuple):
    """A worker's turn: its process, when the limiter let it go, and when it went on (waking up
    takes time), on the limiter's clock."""

    pid: int
    allowed: float
    went: float


def take_turn(tokens: int = 0) -> Passed:
    """Wait for the pool's shared limiter (``RateLimiter.pool_options``), and say when it went."""
    limiter = installed()
    allowed = limiter.acquire_sync(tokens)
    return Passed(os.getpid(), allowed, limiter.clock())


def limited_ask(prompt: str, tokens: int = 0) -> str:
    """Ask ``prompt`` on the fake, within the pool's shared limiter's budget."""
    client = fake_client()  # made first: its set-up must not come between the go and the send
    installed().acquire_sync(tokens, label=prompt)
    return client.models.generate_content(model=DEFAULT_MODEL, contents=prompt).text


def ask_when_allowed(prompt: str, model: str = DEFAULT_MODEL) -> int:
    """Wait for a turn from this process's pyrate limiter, ask ``model``, and return the HTTP
    status: 200, or the API error's code (429 when the quota refused the call).

    pyrate-limiter's own pool initializer, ``limiter_factory.init_global_limiter(bucket)``, gives
    each worker a ``Limiter`` over the bucket it was passed: a ``MultiprocessBucket`` is one
    budget for all the workers, while an ``InMemoryBucket`` arrives in each worker as a copy of
    its own (so four workers send four times the rate). The bucket must go in through
    ``initargs``: its lock can only be handed to a process as it starts, never with a task::

        ctx = multiprocessing.get_context("spawn")  # the lock must come from the pool's context
        # 5 per 1,020 ms: a window a hair longer than the API's, as lesson 05 says
        bucket = MultiprocessBucket([Rate(5, 1020)], ctx.Manager().list(), ctx.RLock())
        with ProcessPoolExecutor(4, ctx, limiter_factory.init_global_limiter, (bucket,)) as pool:
            codes = list(pool.map(ask_when_allowed, ["Question 1", "Question 2"]))
    """
    from pyrate_limiter import limiter_factory  # only in the pools that use it

    limiter = limiter_factory.LIMITER
    if limiter is None:
        raise RuntimeError(
            "This process has no pyrate limiter: start the pool with "
            "initializer=limiter_factory.init_global_limiter, initargs=(bucket,)."
        )
    client = fake_client()  # made before the turn is taken, so the call goes out on time
    limiter.try_acquire("gemini")  # blocks until the bucket has room
    try:
        client.models.generate_content(model=model, contents=prompt)
    except errors.APIError as error:
        return error.code
    return 200


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
    from course_lib.fake.server import FakeServer  # aiohttp: only in the serving process

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
