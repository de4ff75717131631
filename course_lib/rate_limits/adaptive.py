"""Adaptive concurrency: a limit on calls in flight that finds what the server accepts (AIMD).

TCP's rule, applied to API calls: while calls succeed, raise the limit by one after every
``limit`` successes (additive increase, about +1 per round trip); on a 429, halve it (multiplicative
decrease). At most one cut per round trip: a 429 for a call sent before the last cut says nothing
new (those calls left together and are refused together), so a burst of 429s cuts once.

>>> import asyncio
>>> from google.genai import errors
>>> aimd = AIMDLimiter(4, max_limit=8, clock=lambda: 0.0)
>>> async def call(refuse: bool = False) -> None:
...     async with aimd:  # a 429 that leaves the block cuts the limit; no error adds to it
...         await asyncio.sleep(0)  # in flight: the other calls start meanwhile
...         if refuse:
...             raise errors.ClientError(429, {"error": {"status": "RESOURCE_EXHAUSTED"}})
>>> async def demo() -> None:
...     for _ in range(4):
...         await call()
...     await asyncio.gather(call(True), call(True), return_exceptions=True)
>>> asyncio.run(demo())
>>> aimd.limit, aimd.history
(2, [(0.0, 4), (0.0, 5), (0.0, 2)])
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
from collections.abc import Callable
from contextvars import ContextVar
from types import TracebackType

from course_lib import ranges
from course_lib.trace.spans import WAIT_SLOT, now, span
from course_lib.trace.tasks import current_label
from course_lib.values import SettingError

OK, THROTTLED = "ok", "429"


class Slot:
    """One call's place under the limit: report its outcome with ``succeeded()`` or
    ``throttled()``, or let the block end (no error: success; a 429 raised: throttled)."""

    __slots__ = ("epoch", "outcome", "_token")

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch  # how many cuts there had been when the call was sent
        self.outcome: str | None = None
        self._token: object = None

    def succeeded(self) -> None:
        self.outcome = OK

    def throttled(self) -> None:
        self.outcome = THROTTLED


# The slots this task holds, innermost last: ``async with aimd:`` is shared by many tasks, so its
# ``__aexit__`` finds the caller's slot here (each asyncio task has its own copy of the context).
_held: ContextVar[tuple[Slot, ...]] = ContextVar("course_aimd_slots", default=())


class AIMDLimiter:
    """At most ``limit`` calls in flight; the limit rises by one after each ``limit`` successes
    (up to ``max_limit``) and is cut by ``factor`` on a 429 (never below ``min_limit``).

    ``async with aimd:`` around one call (or ``async with aimd as slot:`` to report the outcome
    yourself). ``history`` holds (time, limit) at the start and at each change, on ``clock``
    (default: the tracer's, so it lines up with timelines). Waiting for a slot is traced as a
    ``wait_slot`` span. One event loop; not for threads.
    """

    def __init__(
        self,
        limit: int = 4,
        *,
        max_limit: int = 64,
        min_limit: int = 1,
        factor: float = 0.5,
        clock: Callable[[], float] = now,
    ) -> None:
        for name, value in (("limit", limit), ("max_limit", max_limit), ("min_limit", min_limit)):
            ranges.check(name, value)
        if min_limit > max_limit:
            raise SettingError(
                f"min_limit ({min_limit}) cannot be more than max_limit ({max_limit})"
            )
        if not min_limit <= limit <= max_limit:
            raise SettingError(
                f"limit must be from min_limit ({min_limit}) to max_limit ({max_limit}) "
                f"(got {limit})"
            )
        ranges.check("factor", factor)
        self.limit, self.max_limit, self.min_limit, self.factor = (
            limit,
            max_limit,
            min_limit,
            factor,
        )
        self.clock = clock
        self.history: list[tuple[float, int]] = [(clock(), limit)]
        self.cuts = self.ignored_429s = 0
        self._epoch = 0  # one more at every cut
        self._successes = 0  # since the last change
        self._in_flight = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def acquire(self) -> Slot:
        """Wait for a free slot (first come, first served) and take it."""
        if self._in_flight >= self.limit or self._waiters:  # never jump the queue
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            with span(WAIT_SLOT, label=current_label() or f"AIMD limit {self.limit}"):
                try:
                    await waiter  # _wake takes the slot on our behalf before it wakes us
                except asyncio.CancelledError:
                    if waiter.done() and not waiter.cancelled():
                        self._release()  # woken and cancelled at once: pass the slot on
                    else:
                        with contextlib.suppress(ValueError):
                            self._waiters.remove(waiter)
                    raise
        else:
            self._in_flight += 1
        return Slot(self._epoch)

    def release(self, slot: Slot) -> None:
        """Give the slot back and learn from its outcome (None: neither success nor 429)."""
        if slot.outcome == OK:
            self._on_success()
        elif slot.outcome == THROTTLED:
            self._on_throttled(slot)
        self._release()

    def _release(self) -> None:
        self._in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._in_flight < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._in_flight += 1
                waiter.set_result(None)

    def _on_success(self) -> None:
        self._successes += 1
        if self._successes >= self.limit and self.limit < self.max_limit:
            self._set(self.limit + 1)  # about +1 per round trip: a full window came back
            self._wake()

    def _on_throttled(self, slot: Slot) -> None:
        if slot.epoch != self._epoch:
            self.ignored_429s += 1  # sent before the last cut: that cut already answered it
            return
        self._epoch += 1
        self.cuts += 1
        self._set(max(self.min_limit, math.floor(self.limit * self.factor)))

    def _set(self, limit: int) -> None:
        self._successes = 0
        if limit != self.limit:
            self.limit = limit
            self.history.append((self.clock(), limit))

    async def __aenter__(self) -> Slot:
        slot = await self.acquire()
        slot._token = _held.set((*_held.get(), slot))
        return slot

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        slot = _held.get()[-1]
        _held.reset(slot._token)  # type: ignore[arg-type]
        if slot.outcome is None:
            if error is None:
                slot.outcome = OK
            elif getattr(error, "code", None) == 429:
                slot.outcome = THROTTLED
            # other errors (a 503, a timeout, a cancel) say nothing about the limit
        self.release(slot)

    def __repr__(self) -> str:
        return (
            f"AIMDLimiter(limit={self.limit}, in flight {self._in_flight}, "
            f"{len(self._waiters)} waiting, {self.cuts} cuts)"
        )
