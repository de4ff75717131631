"""A client-side rate limiter: at most ``rpm`` requests and ``tpm`` tokens in any ``period_s``.

It keeps a log of the requests it let through (when, and how many tokens) and books each new one
the earliest moment the log leaves room for it, first come, first served. It is exact: no window
of ``period_s`` holds more than the limits, the first one included (aiolimiter's
``AsyncLimiter(10, 60)`` starts full and lets 19 through in its first minute).

>>> t = [0.0]  # an injected clock: examples and tests need no real waiting
>>> limiter = RateLimiter(rpm=2, tpm=100, clock=lambda: t[0])
>>> limiter.acquire_sync(tokens=30)  # returns the moment it was let through
0.0
>>> t[0] = 10.0
>>> limiter.acquire_sync(tokens=60), limiter.available()  # (requests, tokens) left
(10.0, (0, 10))
>>> limiter.delay(tokens=30)  # both limits are full until the first request leaves, at 60 s
50.0
>>> limiter.delay(tokens=500)
Traceback (most recent call last):
...
course_lib.values.SettingError: a request of 500 tokens can never fit in 100 tokens per 60 s: \
split it, or raise tpm

In asyncio, ``await limiter.acquire(tokens=...)`` or ``async with limiter.acquire(...)``; in a
thread, ``limiter.acquire_sync(...)``. A wait shows on timelines as a ``wait_rate`` span.

Gemini's limits are per project, so a pool of processes needs one budget, not one each::

    limiter = RateLimiter.shared(rpm=15)  # in the parent, before the pool
    with ProcessPoolExecutor(4, **limiter.pool_options()) as pool:
        passed = list(pool.map(take_turn, [0] * 30))  # course_lib.pool_tasks.take_turn
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from array import array
from collections.abc import Awaitable, Callable, Generator, Iterable
from multiprocessing.context import BaseContext
from typing import Any

from course_lib import ranges
from course_lib.config import ENV_BASE_URL
from course_lib.machine import default_start_method
from course_lib.trace.spans import WAIT_RATE, span
from course_lib.trace.tasks import current_label
from course_lib.values import SettingError

NOT_SHARED = (
    "this limiter belongs to one process; for one budget across a pool, make it with "
    "RateLimiter.shared(...) and pass **limiter.pool_options() to ProcessPoolExecutor"
)


class RateLimiter:
    """At most ``rpm`` requests, and ``tpm`` tokens (None: no token limit), in any ``period_s``
    seconds. ``clock`` must be one every caller shares (``time.perf_counter`` is system-wide on
    Linux, macOS and Windows, and is what spans use); ``sleep`` and ``async_sleep`` do the
    waiting. Inject all three to test without waiting."""

    def __init__(
        self,
        rpm: int,
        tpm: int | None = None,
        *,
        period_s: float = 60.0,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], object] = time.sleep,
        async_sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        # rpm at most ranges.RPM: the log keeps one entry per request in the window (1.6 MB)
        self.rpm: int = ranges.check("rpm", rpm, needed_by="RateLimiter")
        self.tpm: int | None = ranges.check("tpm", tpm)
        self.period_s: float = ranges.check("period_s", period_s)
        self.clock, self.sleep, self.async_sleep = clock, sleep, async_sleep
        self.context: BaseContext | None = None  # set when processes share it
        # The log is a ring of at most rpm entries (never more fit in one window): when each
        # request goes, and its tokens; and [where the oldest is, how many, their tokens].
        # Plain arrays, so that the shared log, in shared memory, is the same code.
        self._times: Any = array("d", bytes(8 * self.rpm))
        self._tokens: Any = array("q", bytes(8 * self.rpm))
        self._ring: Any = array("q", [0, 0, 0])
        self._lock: Any = threading.Lock()

    @classmethod
    def shared(
        cls,
        rpm: int,
        tpm: int | None = None,
        *,
        period_s: float = 60.0,
        start_method: str | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> RateLimiter:
        """A limiter that processes share: one log in shared memory, under one lock. Make it in
        the parent; hand it to a pool's workers with ``pool_options()``. ``start_method`` is the
        pool's (None: forkserver where it exists, else spawn, as the kit's pools use)."""
        limiter = cls(rpm, tpm, period_s=period_s, clock=clock)
        start_method = ranges.check("start_method", start_method) or default_start_method()
        # A lock made in one start method's context cannot go to another's processes.
        context = limiter.context = multiprocessing.get_context(start_method)
        limiter._times = context.RawArray("d", limiter.rpm)  # raw: our own lock guards them
        limiter._tokens = context.RawArray("q", limiter.rpm)
        limiter._ring = context.RawArray("q", 3)
        limiter._lock = context.Lock()
        return limiter

    def pool_options(self) -> dict[str, Any]:
        """``ProcessPoolExecutor(n, **limiter.pool_options())``: every worker gets this limiter
        (``installed()``). Only an initializer can pass it: multiprocessing hands locks and shared
        memory to a process only as it starts, never with a task."""
        if self.context is None:
            raise TypeError(NOT_SHARED)
        # the fake's address too: a forkserver started before setup() would hand its workers
        # the environment it had then
        url = os.environ.get(ENV_BASE_URL)
        return {"mp_context": self.context, "initializer": install, "initargs": (self, url)}

    def __getstate__(self) -> dict[str, Any]:
        if self.context is None:  # else pickle's own message names a thread lock, not the fix
            raise TypeError(NOT_SHARED)
        return self.__dict__

    # -- the decision: pure, on any clock ----------------------------------------------------------
    def delay(self, tokens: int = 0, now: float | None = None) -> float:
        """Seconds a request of ``tokens`` asking at ``now`` (default: the clock's now) would
        wait; 0.0: none. Books nothing."""
        tokens = self._checked(tokens)
        with self._lock:
            now = self.clock() if now is None else now
            return self._plan(tokens, now)[0] - now

    def available(self, now: float | None = None) -> tuple[int, int | None]:
        """(requests, tokens) left in the window that ends at ``now``, for a live strip. Requests
        booked by callers still waiting count as taken; tokens is None when there is no limit."""
        with self._lock:
            now = self.clock() if now is None else now
            oldest, count, used = self._ring
            gone = 0
            while gone < count and self._times[(oldest + gone) % self.rpm] + self.period_s <= now:
                used -= self._tokens[(oldest + gone) % self.rpm]
                gone += 1
        return self.rpm - (count - gone), None if self.tpm is None else self.tpm - used

    def _plan(self, tokens: int, now: float) -> tuple[float, int, int]:
        """When a request of ``tokens`` may go: from ``now`` on, not before the last one booked,
        the earliest moment the window ending then has room for it. Also how many of the oldest
        entries have left the window by then, and the tokens of those still in it."""
        oldest, count, used = self._ring
        at = max(now, self._times[(oldest + count - 1) % self.rpm]) if count else now
        gone = 0
        while gone < count:
            i = (oldest + gone) % self.rpm
            leaves = self._times[i] + self.period_s  # it counts until then, not at that moment
            room = count - gone < self.rpm and (self.tpm is None or used + tokens <= self.tpm)
            if room and leaves > at:
                break
            # No room yet (or it has left anyway): wait for the oldest entry to leave.
            at, used, gone = max(at, leaves), used - self._tokens[i], gone + 1
        return at, gone, used

    def _book(self, tokens: int) -> tuple[float, float]:
        """Book the earliest moment a request may go; returns (now, that moment). Booking first,
        then waiting, keeps it first come, first served, with one look at the log per request."""
        with self._lock:
            now = self.clock()
            at, gone, used = self._plan(tokens, now)
            oldest, count = (self._ring[0] + gone) % self.rpm, self._ring[1] - gone
            end = (oldest + count) % self.rpm
            self._times[end], self._tokens[end] = at, tokens
            self._ring[0], self._ring[1], self._ring[2] = oldest, count + 1, used + tokens
        return now, at

    def _checked(self, tokens: int) -> int:
        ranges.check("tokens", tokens)
        if self.tpm is not None and tokens > self.tpm:  # it would wait for ever
            raise SettingError(
                f"a request of {tokens} tokens can never fit in {self.tpm} tokens per "
                f"{self.period_s:g} s: split it, or raise tpm"
            )
        return tokens

    # -- the waiting ----------------------------------------------------------------------------
    def acquire_sync(self, tokens: int = 0, *, label: str = "") -> float:
        """Block this thread until a request of ``tokens`` may go; returns when it was let
        through (on ``clock``). For threads and processes."""
        now, at = self._book(self._checked(tokens))
        if at > now:  # only a real wait is traced
            with span(WAIT_RATE, label=label or current_label()):
                while (left := at - self.clock()) > 0:  # a sleep may end a hair early
                    self.sleep(left)
        return at

    def acquire(self, tokens: int = 0, *, label: str = "") -> _Acquire:
        """``await limiter.acquire(tokens=...)`` or ``async with limiter.acquire(...)``: wait
        without blocking the event loop; gives when it was let through (on ``clock``)."""
        return _Acquire(self, self._checked(tokens), label)

    async def _wait(self, tokens: int, label: str) -> float:
        # A task cancelled while it waits keeps its booking: the budget is used, never exceeded.
        now, at = self._book(tokens)
        if at > now:
            with span(WAIT_RATE, label=label or current_label()):
                while (left := at - self.clock()) > 0:
                    await self.async_sleep(left)
        return at

    def __repr__(self) -> str:
        tpm = "" if self.tpm is None else f", tpm={self.tpm}"
        kind = "shared " if self.context else ""
        return f"<{kind}RateLimiter rpm={self.rpm}{tpm} per {self.period_s:g} s>"


class _Acquire:
    """What ``acquire`` returns: awaitable, and an async context manager (nothing to release:
    a request, once sent, counts for the whole window)."""

    __slots__ = ("_args",)

    def __init__(self, limiter: RateLimiter, tokens: int, label: str) -> None:
        self._args = (limiter, tokens, label)

    def __await__(self) -> Generator[Any, None, float]:
        limiter, tokens, label = self._args
        return limiter._wait(tokens, label).__await__()

    async def __aenter__(self) -> float:
        return await self

    async def __aexit__(self, *exc: object) -> None:
        return None


# -- in worker processes ---------------------------------------------------------------------------
_installed: RateLimiter | None = None


def install(limiter: RateLimiter, fake_url: str | None = None) -> None:
    """Pool initializer (see ``RateLimiter.pool_options``): this process's tasks use ``limiter``
    (and reach the fake at ``fake_url``, the parent's at the pool's start)."""
    global _installed
    _installed = limiter
    if fake_url:
        os.environ[ENV_BASE_URL] = fake_url


def installed() -> RateLimiter:
    """The shared limiter this worker process was given."""
    if _installed is None:
        raise RuntimeError(
            "this process has no shared limiter: make the pool with "
            "ProcessPoolExecutor(n, **limiter.pool_options())"
        )
    return _installed


def most_in_any_window(times: Iterable[float], period_s: float) -> int:
    """The most of ``times`` in any window [t, t + period_s): at most the limit, if it held.

    >>> most_in_any_window([0.0, 0.5, 1.0, 1.2], period_s=1.0)
    3
    """
    ordered, most, first = sorted(times), 0, 0
    for last, t in enumerate(ordered):
        while ordered[first] + period_s <= t:
            first += 1
        most = max(most, last - first + 1)
    return most
