"""Retries that respect the server, and stop when retrying cannot help or would pile on.

- a 429 per minute: wait what it asks (its message's "Please retry in 45.837906927s", which
  RetryInfo rounds down to ``"45s"``), a little more (``retry_wait``), and a random extra of up
  to a tenth of that (``ASKED_JITTER``), then retry: calls refused together, told the same
  moment, do not all come back at that one instant;
- a 429 per day: raise ``DailyQuotaExhausted`` at once (nothing gets better before the reset);
- 408, 500, 502, 503, 504, a 429 without RetryInfo, and timeouts: exponential backoff with full
  jitter, a wait drawn uniformly from 0 to min(cap, base * 2**n) before retry n + 1;
- 400, 401, 403, 404 and anything else: raised at once (the same request fails the same way).

A ``RetryBudget`` shared by the calls of a run caps how many retries they may add in all. Each
wait is recorded as a ``backoff`` span, so timelines show where the time went. ``sleep`` and the
seed are parameters, so tests check exact delays without waiting.

>>> from google.genai import errors
>>> quota = errors.ClientError(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
...     "message": "slow down", "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
...     "retryDelay": "7s"}]}})
>>> retry_wait(quota)  # whole seconds only: one more, and 2 %
8.16
>>> retry_delay(quota, attempt=1, rng=random.Random(0))  # and up to a tenth more, at random
8.84904823084444
>>> retry_delay(errors.ServerError(503, {"error": {}}), attempt=3, rng=random.Random(0))
1.6888437030500962
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

from google.genai import errors

from course_lib import ranges
from course_lib.rate_limits.quota_errors import (
    DailyQuotaExhausted,
    quota_violation,
    retry_wait,
    server_retry_delay,
)
from course_lib.rate_limits.retry_budget import RetryBudget
from course_lib.trace.spans import BACKOFF, span

__all__ = [
    "ASKED_JITTER",
    "BASE_DELAY_S",
    "MAX_DELAY_S",
    "RETRYABLE",
    "RetryBudget",  # re-exported: callers of the retries make one
    "call_with_retries",
    "retry_after",
    "backoff_delay",
    "call_with_retries_sync",
    "is_timeout",
    "retry_delay",
    "retry_wait",
    "server_retry_delay",  # re-exported: it lived here first
    "DailyQuotaExhausted",
    "quota_violation",
]

T = TypeVar("T")

RETRYABLE = (408, 429, 500, 502, 503, 504)  # as google-genai's HttpRetryOptions; 4xx others never
BASE_DELAY_S = 0.5
MAX_DELAY_S = 60.0
#: A 429's asked wait gets up to this share more, at random: enough to spread a herd of retries
#: (a 36 s wait: up to 3.6 s), too little to waste the window the server said would open.
ASKED_JITTER = 0.1


def is_timeout(error: BaseException) -> bool:
    """A call that timed out: ``TimeoutError`` (asyncio, and aiohttp, which the SDK uses for async
    calls when installed) or httpx's / httpx2's ``TimeoutException`` (the SDK wraps neither)."""
    if isinstance(error, TimeoutError):
        return True
    # By name, so that this module needs neither httpx nor httpx2 imported (nor installed).
    return any(
        cls.__name__ == "TimeoutException" and cls.__module__.split(".")[0] in {"httpx", "httpx2"}
        for cls in type(error).__mro__
    )


def backoff_delay(
    attempt: int, rng: random.Random, base: float = BASE_DELAY_S, cap: float = MAX_DELAY_S
) -> float:
    """Full jitter after failed attempt ``attempt`` (1, 2...): uniform in [0, min(cap, base *
    2**(attempt - 1))]. Spread out, so clients that failed together do not retry together.

    >>> [round(backoff_delay(n, random.Random(1)), 3) for n in (1, 2, 3)]
    [0.067, 0.134, 0.269]
    """
    return rng.uniform(0.0, min(cap, base * 2 ** (attempt - 1)))


def retry_delay(error: BaseException, attempt: int, rng: random.Random) -> float | None:
    """Seconds to wait before attempt ``attempt + 1``, or None if retrying cannot help (then a
    per-day 429 is raised as ``DailyQuotaExhausted`` by the callers below)."""
    if is_timeout(error):
        return backoff_delay(attempt, rng)
    if not isinstance(error, errors.APIError) or error.code not in RETRYABLE:
        return None
    if error.code == 429:
        violation = quota_violation(error)  # a 429 always has one, perhaps empty
        if violation is not None and violation.per_day:
            return None
        asked = violation.wait_s if violation is not None else None  # its retry_wait(error)
        if asked is not None:  # as asked, a hair more: sooner is refused again
            return asked + rng.uniform(0.0, asked * ASKED_JITTER)  # spread: no herd at one instant
    return backoff_delay(attempt, rng)


def _give_up(error: BaseException, note: str | None = None) -> NoReturn:
    """Raise what the caller should see: a per-day 429 as ``DailyQuotaExhausted``."""
    violation = quota_violation(error)
    if violation is not None and violation.per_day and not isinstance(error, DailyQuotaExhausted):
        raise DailyQuotaExhausted(error) from error  # type: ignore[arg-type]
    if note:
        error.add_note(note)
    raise error


def _next_delay(
    error: BaseException,
    attempt: int,
    attempts: int,
    rng: random.Random,
    budget: RetryBudget | None,
) -> float:
    """The wait before retrying after failed attempt ``attempt``, or raise if there is none."""
    delay = retry_delay(error, attempt, rng)
    if delay is None or attempt >= attempts:
        _give_up(error)
    # A 429 that says when to come back is not charged: waiting as asked is not hammering, and
    # at a rate limit most calls may need one such retry.
    if budget is None:
        return delay
    rate_limited = isinstance(error, errors.APIError) and error.code == 429
    told = retry_wait(error) if rate_limited else None
    if told is None and not budget.try_retry():
        _give_up(error, f"Not retried: the run's retry budget is spent ({budget}).")
    return delay


def _check(attempts: int, seed: int, budget: RetryBudget | None) -> None:
    """Refuse a bad setting before the first attempt (``attempts=0`` used to run once, and
    ``budget="x"`` to fail with an AttributeError at the first retry)."""
    ranges.check("attempts", attempts)
    ranges.check("seed", seed)
    ranges.check("budget", budget)


def _why(error: BaseException) -> str:
    return "after timeout" if is_timeout(error) else f"after {getattr(error, 'code', '?')}"


def _retryable(error: Exception) -> bool:
    return isinstance(error, errors.APIError) or is_timeout(error)


def call_with_retries_sync(
    call: Callable[[], T],
    *,
    attempts: int = 4,
    seed: int = 0,
    sleep: Callable[[float], None] = time.sleep,
    budget: RetryBudget | None = None,
) -> tuple[T, int]:
    """Run ``call`` up to ``attempts`` times; returns (result, attempts used). ``sleep`` waits
    (inject a fake one to test the delays without waiting); ``budget``, if given, is shared by
    many calls and may refuse a retry. A bad ``attempts``, ``seed`` or ``budget`` is refused
    before the first attempt (``course_lib.ranges``).

    >>> results = iter([TimeoutError("slow"), "answer"])
    >>> def flaky():
    ...     result = next(results)
    ...     if isinstance(result, Exception):
    ...         raise result
    ...     return result
    >>> waits = []
    >>> call_with_retries_sync(flaky, seed=1, sleep=waits.append), [round(w, 3) for w in waits]
    (('answer', 2), [0.067])
    """
    _check(attempts, seed, budget)
    rng = None  # made on the first failure: most calls never need it
    attempt = 0
    while True:
        attempt += 1
        try:
            result = call()
        except Exception as error:
            if not _retryable(error):
                raise
            rng = rng or random.Random(seed)
            delay = _next_delay(error, attempt, attempts, rng, budget)
            with span(BACKOFF, label=_why(error)):
                sleep(delay)
        else:
            if budget is not None:
                budget.succeeded()
            return result, attempt


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int = 4,
    seed: int = 0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    budget: RetryBudget | None = None,
) -> tuple[T, int]:
    """The asyncio twin of ``call_with_retries_sync``: waits with ``await sleep(delay)``."""
    _check(attempts, seed, budget)
    try:
        result = await call()
    except Exception as error:
        if not _retryable(error):
            raise
        return await retry_after(
            error, call, attempts=attempts, seed=seed, sleep=sleep, budget=budget
        )
    if budget is not None:
        budget.succeeded()
    return result, 1


async def retry_after(
    error: BaseException,
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int = 4,
    seed: int = 0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    budget: RetryBudget | None = None,
) -> tuple[T, int]:
    """The first attempt failed with ``error``: wait as it says, then try again (attempts 2 and
    on). Callers that make the first attempt themselves save a coroutine per call this way; with
    a ``budget``, they report their own first-attempt successes (``budget.succeeded()``)."""
    _check(attempts, seed, budget)
    rng = random.Random(seed)
    attempt = 1
    while True:
        delay = _next_delay(error, attempt, attempts, rng, budget)
        with span(BACKOFF, label=_why(error)):
            await sleep(delay)
        attempt += 1
        try:
            result = await call()
        except Exception as again:
            if not _retryable(again):
                raise
            error = again
        else:
            if budget is not None:
                budget.succeeded()
            return result, attempt
