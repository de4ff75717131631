"""Retries that respect the server: wait as long as a 429 says, back off exponentially on 5xx.

Each wait is recorded as a ``backoff`` span, so timelines show where the time went.

>>> from google.genai import errors
>>> quota = errors.ClientError(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
...     "message": "slow down", "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
...     "retryDelay": "7s"}]}})
>>> retry_delay(quota, attempt=1, rng=random.Random(0))
7.0
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from google.genai import errors

from course_lib.trace.spans import BACKOFF, span

T = TypeVar("T")

RETRYABLE = (429, 500, 502, 503, 504)
BASE_DELAY_S = 0.5
MAX_DELAY_S = 60.0


def server_retry_delay(error: errors.APIError) -> float | None:
    """The wait a 429 asks for in its RetryInfo detail (``"retryDelay": "7s"``), if any."""
    details = (
        (error.details or {}).get("error", {}).get("details", [])
        if isinstance(error.details, dict)
        else []
    )
    for detail in details:
        if detail.get("@type", "").endswith("RetryInfo"):
            try:
                return float(str(detail.get("retryDelay", "")).rstrip("s"))
            except ValueError:
                return None
    return None


def retry_delay(error: BaseException, attempt: int, rng: random.Random) -> float | None:
    """Seconds to wait before attempt ``attempt + 1``, or None if retrying cannot help."""
    if not isinstance(error, errors.APIError) or error.code not in RETRYABLE:
        return None
    asked = server_retry_delay(error) if error.code == 429 else None
    if asked is not None:
        return asked
    # Exponential backoff with jitter, so clients that failed together do not retry together.
    return min(MAX_DELAY_S, BASE_DELAY_S * 2 ** (attempt - 1) * (1 + rng.random() / 2))


def call_with_retries(
    call: Callable[[], T],
    *,
    attempts: int = 4,
    seed: int = 0,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[T, int]:
    """Run ``call`` up to ``attempts`` times; returns (result, attempts used). ``sleep`` waits
    (inject a fake one to test the delays without waiting)."""
    rng = None  # made on the first failure: most calls never need it
    for attempt in range(1, attempts + 1):
        try:
            return call(), attempt
        except errors.APIError as error:
            rng = rng or random.Random(seed)
            delay = retry_delay(error, attempt, rng)
            if delay is None or attempt == attempts:
                raise
            with span(BACKOFF, label=f"after {error.code}"):
                sleep(delay)
    raise AssertionError("unreachable")


async def acall_with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int = 4,
    seed: int = 0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> tuple[T, int]:
    """The asyncio twin of ``call_with_retries``: waits with ``await sleep(delay)``."""
    try:
        return await call(), 1
    except errors.APIError as error:
        return await aretry_after(error, call, attempts=attempts, seed=seed, sleep=sleep)


async def aretry_after(
    error: errors.APIError,
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int = 4,
    seed: int = 0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> tuple[T, int]:
    """The first attempt failed with ``error``: wait as it says, then try again (attempts 2 and
    on). Callers that make the first attempt themselves save a coroutine per call this way."""
    rng = random.Random(seed)
    for attempt in range(2, attempts + 1):
        delay = retry_delay(error, attempt - 1, rng)
        if delay is None:
            raise error
        with span(BACKOFF, label=f"after {error.code}"):
            await sleep(delay)
        try:
            return await call(), attempt
        except errors.APIError as again:
            error = again
    raise error
