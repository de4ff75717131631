"""Rate-limited: asyncio calls against an API with a rate limit, with an optional client-side
limiter and one of five retry policies (``ScenarioSettings.retry``). With ``processes`` above 1, as
many worker processes each run their own event loop, sharing one limiter.

Each call takes a slot (a semaphore, or the adaptive limit), then a rate token if there is a
client-side limiter, and only then goes out, so the limiter's spacing is the spacing the API
sees. Retry policies:

- ``none``: one attempt; a 429 is a failed call.
- ``kit``: ``course_lib.rate_limits.retry``: wait what a 429's RetryInfo asks, back off with full
  jitter on a 5xx, stop at once on a per-day quota, within a retry budget.
- ``sdk``: the SDK's own ``HttpRetryOptions``: it retries 429s, but after its own short backoff,
  not after the delay the server asks for (see the gaps between its attempts on the timeline).
- ``tenacity``: tenacity's ``AsyncRetrying``, one per call, waiting what RetryInfo asks
  (``wait_exception``).
- ``adaptive``: the kit's retries, with the number of calls in flight found by AIMD
  (``course_lib.rate_limits.adaptive``) instead of a fixed limit, starting at ``concurrency``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from google.genai import errors, types
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exception

from course_lib.client.factory import gemini_client, warm_sdk
from course_lib.fake.gemini import FakeGemini
from course_lib.fake.server import FakeServer
from course_lib.machine import default_start_method
from course_lib.ranges import nth_seed
from course_lib.rate_limits.adaptive import AIMDLimiter
from course_lib.rate_limits.limiter import RateLimiter
from course_lib.rate_limits.quota_errors import quota_violation
from course_lib.rate_limits.retry import (
    RETRYABLE,
    backoff_delay,
    call_with_retries,
    retry_wait,
)
from course_lib.rate_limits.retry_budget import RetryBudget
from course_lib.run import pools
from course_lib.run.calls import ScenarioRun, take_slot
from course_lib.run.pools import process_pool, starting, warm
from course_lib.run.results import CallRecord
from course_lib.run.settings import ScenarioSettings
from course_lib.trace.lanes import named
from course_lib.trace.spans import BACKOFF, now, span
from course_lib.trace.tasks import task_context

MOST_ADAPTIVE = 64  # adaptive concurrency never goes past this many calls in flight
_RNG = random.Random(0)  # tenacity's backoff after a 5xx


async def rate_limited(run: ScenarioRun) -> list[CallRecord]:
    s = run.settings
    if s.processes > 1:
        return await _in_processes(run)
    client = client_for(s, fake=run.fake)
    # The limiter's window is 2 % longer than the API's: a request it lets go at t may reach the
    # server a few milliseconds later, and at exactly the limit that would be one too many.
    limiter = RateLimiter(s.client_rpm, period_s=s.window_s * 1.02) if s.client_rpm else None
    run.start_clock()
    return await ask_all(client, s, list(enumerate(s.prompt_list())), limiter)


async def _in_processes(run: ScenarioRun) -> list[CallRecord]:
    """``processes`` worker processes, each with its own event loop and ``concurrency`` calls in
    flight (the hybrid at scale), sharing one limiter: one budget for all, as Gemini counts it."""
    s, loop = run.settings, asyncio.get_running_loop()
    method = s.start_method or default_start_method()
    limiter = None
    if s.client_rpm:
        limiter = RateLimiter.shared(s.client_rpm, period_s=s.window_s * 1.02, start_method=method)
    tasks = list(enumerate(s.prompt_list()))
    batches = [tasks[k :: s.processes] for k in range(s.processes)]
    run.setting_up(starting(s.processes))
    with FakeServer(run.fake) as url:  # the processes share the fake, and its quota, on loopback
        initargs = (url, s, limiter)
        async with process_pool(
            s.processes, run.tracer, init_limited_worker, initargs, method
        ) as pool:
            await warm(pool, s.processes)
            run.start_clock()
            done = await asyncio.gather(
                *(loop.run_in_executor(pool, ask_batch, batch) for batch in batches if batch)
            )
    return sorted((record for batch in done for record in batch), key=lambda r: r.task)


def client_for(
    s: ScenarioSettings, fake: FakeGemini | None = None, base_url: str | None = None
) -> Any:
    """A client for this scenario: with the SDK's own retries if ``s.retry`` is "sdk"."""
    sdk_retries = types.HttpRetryOptions(attempts=s.attempts) if s.retry == "sdk" else None
    return gemini_client(live=False, fake=fake, base_url=base_url, retry_options=sdk_retries)


async def ask_all(
    client: Any, s: ScenarioSettings, tasks: list[tuple[int, str]], limiter: RateLimiter | None
) -> list[CallRecord]:
    """Ask every (task, prompt) at once, at most ``concurrency`` in flight (or the adaptive
    limit), each attempt after a rate token, retried under ``s.retry``."""
    gate: AIMDLimiter | asyncio.Semaphore
    if s.retry == "adaptive":
        gate = AIMDLimiter(s.concurrency, max_limit=max(MOST_ADAPTIVE, s.concurrency))
    else:
        gate = asyncio.Semaphore(s.concurrency)
    budget = RetryBudget() if s.retry in ("kit", "adaptive") else None

    async def one(task: int, prompt: str) -> CallRecord:
        async def attempt() -> Any:
            async with _slot(gate, prompt):
                if limiter is not None:
                    await limiter.acquire(label=prompt)
                return await client.aio.models.generate_content(model=s.model, contents=prompt)

        record = CallRecord(task, prompt)
        with task_context(task, named("coroutine", task + 1), prompt):
            record.sent = now()
            try:
                response, tries = await _with_policy(
                    s.retry, attempt, s.attempts, nth_seed(s.seed, task), budget
                )
                record.took(response, tries, now())
            except errors.APIError as error:
                record.failed(error, s.attempts, now())
        return record

    return list(await asyncio.gather(*(one(t, p) for t, p in tasks)))


@contextlib.asynccontextmanager
async def _slot(gate: AIMDLimiter | asyncio.Semaphore, prompt: str) -> AsyncIterator[None]:
    """A slot for one attempt: the AIMD limiter traces its own waits and hears of 429s."""
    if isinstance(gate, AIMDLimiter):
        async with gate:
            yield
        return
    await take_slot(gate, prompt)
    try:
        yield
    finally:
        gate.release()


async def _with_policy(
    policy: str,
    attempt: Callable[[], Awaitable[Any]],
    attempts: int,
    seed: int,
    budget: RetryBudget | None,
) -> tuple[Any, int]:
    """Make the call under ``policy``; returns (response, attempts made by this code)."""
    if policy in ("none", "sdk"):  # the SDK retries inside its one call, out of our sight
        return await attempt(), 1
    if policy in ("kit", "adaptive"):
        return await call_with_retries(attempt, attempts=attempts, seed=seed, budget=budget)
    retrying = AsyncRetrying(  # tenacity: a new object per call (a shared one gives up early)
        stop=stop_after_attempt(attempts),
        retry=retry_if_exception(_retryable),
        wait=wait_exception(_asked_or_backoff),
        sleep=_traced_sleep,
        reraise=True,
    )
    async for try_ in retrying:
        with try_:
            response = await attempt()
        if not try_.retry_state.outcome.failed:  # type: ignore[union-attr]
            return response, try_.retry_state.attempt_number
    raise AssertionError("unreachable: tenacity re-raises the last error")


def _retryable(error: BaseException) -> bool:
    """What tenacity retries: what the kit retries, but never a daily quota."""
    if not isinstance(error, errors.APIError) or error.code not in RETRYABLE:
        return False
    violation = quota_violation(error)
    return violation is None or not violation.per_day


def _asked_or_backoff(error: BaseException) -> float:
    """What a 429 asks for (a hair more: ``retry_wait``); for a 5xx, a short backoff."""
    asked = retry_wait(error)
    return asked if asked is not None else backoff_delay(1, _RNG)


async def _traced_sleep(seconds: float) -> None:
    with span(BACKOFF, label="tenacity"):
        await asyncio.sleep(seconds)


# -- in the processes, with processes above 1 -----------------------------------------------------
_limited: tuple[Any, ScenarioSettings, Any, Any] | None = None  # loop, settings, limiter, client


def init_limited_worker(
    events: Any, owner: int, base_url: str, settings: ScenarioSettings, limiter: Any
) -> None:
    """Pool initializer: an event loop of this process's own and a client on it, already used
    once (the first call on a new client is slow, and a slow call between a rate token and its
    send would arrive late), and the limiter every process shares (None: no client-side
    limiter)."""
    global _limited
    pools.init_worker(events, owner)
    warm_sdk()  # generate_content's own first-use set-up (its data models), on a private fake
    loop = asyncio.new_event_loop()
    client = client_for(settings, base_url=base_url)
    # countTokens: not counted by any quota, and no tracer is listening yet
    loop.run_until_complete(client.aio.models.count_tokens(model=settings.model, contents="hi"))
    _limited = (loop, settings, limiter, client)


def ask_batch(tasks: list[tuple[int, str]]) -> list[CallRecord]:
    """Ask a batch of (task, prompt) on this process's event loop, as the scenario does in the
    kernel, streaming the spans to it."""
    assert _limited is not None, "start the pool with init_limited_worker"
    loop, settings, limiter, client = _limited
    with pools.streaming_tracer():
        return loop.run_until_complete(ask_all(client, settings, tasks, limiter))
