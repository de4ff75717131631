"""One limit for a whole Dask cluster: at most ``in_flight`` calls at once and at most ``rpm``
requests in any ``window_s`` seconds, however many workers ask. Gemini counts a project's calls
wherever they come from, so a limit per worker would multiply as workers are added (lesson 05
showed it for processes).

Both limits are ``distributed.Semaphore``s, which the scheduler keeps. The rate is a semaphore
too: a request takes one of ``rpm`` leases as it goes and gives it back ``window_s`` after its
answer, so no window holds more than ``rpm`` requests: lesson 05's exact rule, kept by the
scheduler instead of in one machine's shared memory. A worker that dies gives its leases back
when the scheduler stops hearing from it (``distributed.scheduler.locks.lease-timeout``, 30 s
by default).

In the notebook the limits are plain data (they travel with each task); in a worker's ``async
def`` task, one ``async with`` per attempt::

    limits = ClusterLimits(in_flight=8, rpm=60)
    ...
    async with limits.slot(label=prompt):  # waits for a slot, then for the rate
        response = await client.aio.models.generate_content(model=..., contents=prompt)
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from distributed import Semaphore

from course_lib import ranges
from course_lib.trace.spans import WAIT_RATE, WAIT_SLOT, current_tracer, now

WAITED_S = 0.02  # asking the scheduler takes a few milliseconds: only longer waits are drawn

_semaphores: dict[str, Semaphore] = {}  # this process's handle on each cluster-wide semaphore


@dataclass(frozen=True)
class ClusterLimits:
    """``in_flight`` calls at once and ``rpm`` requests per ``window_s`` for the whole cluster
    (None: no such limit). ``name`` tells one set of limits from another on the scheduler."""

    in_flight: int | None = None
    rpm: int | None = None
    window_s: float = 60.0
    name: str = field(default_factory=lambda: f"limits-{uuid.uuid4().hex[:8]}")

    def __post_init__(self) -> None:
        ranges.check_fields(self, skip=("name",))

    @asynccontextmanager
    async def slot(self, label: str = "") -> AsyncIterator[None]:
        """Inside a worker's async task: wait for a free slot, then for the rate. The slot is
        free again when the block ends; the rate's lease ``window_s`` after that, because a
        request reaches the API some time after it leaves, at the latest when its answer comes
        back, and the API counts it from then."""
        cap = _semaphore(f"{self.name}-in-flight", self.in_flight) if self.in_flight else None
        rate = _semaphore(f"{self.name}-rpm", self.rpm) if self.rpm else None
        if cap is not None:
            await _acquire(cap, WAIT_SLOT, label)
        leased = False
        try:
            if rate is not None:
                await _acquire(rate, WAIT_RATE, label)
                leased = True
            yield
        finally:
            if leased and rate is not None:
                later = asyncio.get_running_loop().call_later
                later(self.window_s, lambda: asyncio.ensure_future(rate.release()))
            if cap is not None:
                await cap.release()


class _ClosingNoise(logging.Filter):
    """Drops distributed's error logs that say only that the cluster was closing: a rate lease
    given back (``ClusterLimits``: ``window_s`` after a call) or a worker's heartbeat sent just
    as the connections closed. Each printed a traceback into the notebook under a run that went
    well (lesson 08's exercise check: in 7 of 10 runs beside a CPU hog; none with this filter).
    Any other failure still shows."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, RuntimeError) and "ConnectionPool is closed" in str(error):
            return False  # a lease given back after the worker's connections closed
        closed = type(error).__name__ == "CommClosedError"
        return not (closed and record.getMessage().startswith("Failed to communicate"))


def quiet_closing_noise() -> None:
    """Stop the closing-time noise (``_ClosingNoise``) in this process: a worker (the kit's
    worker plugin calls it) or the kernel (``local_cluster`` does)."""
    for name in ("distributed.semaphore", "distributed.worker"):
        log = logging.getLogger(name)
        if not any(isinstance(f, _ClosingNoise) for f in log.filters):
            log.addFilter(_ClosingNoise())


def _semaphore(name: str, leases: int) -> Semaphore:
    """This worker's handle on the semaphore called ``name`` (the scheduler keeps the leases)."""
    if name not in _semaphores:
        _semaphores[name] = Semaphore(max_leases=leases, name=name)
    return _semaphores[name]


async def _acquire(semaphore: Semaphore, phase: str, label: str) -> None:
    """Take a lease; a wait longer than asking takes is drawn as a ``phase`` span."""
    started = now()
    await semaphore.acquire()
    tracer = current_tracer()
    if tracer is not None and now() - started > WAITED_S:
        tracer.finish(tracer.begin(phase, label=label, start=started))
