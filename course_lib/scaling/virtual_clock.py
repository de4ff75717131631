"""An asyncio event loop on a virtual clock: when every task is waiting for a timer, the clock
jumps to the next timer instead of sleeping. An hour of ``asyncio.sleep`` takes no time, and the
same code gives the same answer every run: lesson 07 replays an hour of traffic in seconds.

Everything that waits through the loop (``asyncio.sleep``, ``asyncio.timeout``, the kit's
``RateLimiter`` given ``clock=loop.time``, its retries) follows the virtual clock; anything that
reads the OS clock itself (``time.perf_counter``, ``time.sleep``) does not.

>>> async def hour() -> float:
...     await asyncio.sleep(3600)
...     return asyncio.get_running_loop().time()
>>> run_virtual(hour())
3600.0
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class _Skipping(selectors.DefaultSelector):
    """Asked to wait ``timeout`` seconds for I/O that nobody is doing, move the clock instead."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[Any]:
        ready = super().select(0)  # I/O that is there already (the loop's own wake-ups)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer left, and nothing to read: it would wait for ever
            raise RuntimeError(
                "the simulation is stuck: every task waits for something no timer will bring"
            )
        self.now += timeout
        return []


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """A loop whose ``time()`` starts at 0 and moves only when everything is waiting."""

    def __init__(self) -> None:
        self._skipping = _Skipping()
        super().__init__(self._skipping)

    def time(self) -> float:
        return self._skipping.now


def run_virtual(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to the end on a new virtual-clock loop. In a thread that runs an event
    loop already (a notebook's), it runs in a thread of its own while this one waits: a thread
    has one running loop at most. From async code that must stay responsive meanwhile,
    ``await asyncio.to_thread(run_virtual, ...)``."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        loop = VirtualClockLoop()
        try:
            return loop.run_until_complete(coroutine)
        finally:
            loop.close()
    with ThreadPoolExecutor(1, thread_name_prefix="virtual-clock") as thread:
        done: Future[T] = thread.submit(run_virtual, coroutine)
        return done.result()
