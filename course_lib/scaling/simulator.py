"""The simulator: the kit's own client code (a semaphore, the lesson-05 ``RateLimiter``, the
kit's retries that wait what a 429 asks) and the fake's quota, run on a virtual clock
(``course_lib.scaling.virtual_clock``), so an hour of real traffic takes seconds and the same inputs
always give the same answer.

What is simulated rather than run: the API's latency (time to first token plus the answer's
tokens at a rate, as the fake's token-based model; or a request's own ``service_s``), and the
client's CPU per call (``client_cpu_ms`` on one of ``processes`` event loops: one loop computes
one call's SDK work at a time). The 429 is the fake's own, so the retries read it as a real one.

>>> from course_lib.scaling.traffic import Request
>>> arrivals = [Request(0.0, service_s=1.0), Request(0.0, service_s=1.0)]
>>> arrivals.append(Request(0.5, service_s=1.0))  # two slots: it waits 0.5 s for one
>>> result = simulate(arrivals, SimulationSettings(concurrency=2, client_cpu_ms=0))
>>> [round(r.done_s, 2) for r in result.served], round(result.mean("queue_s"), 2)
([1.0, 1.0, 2.0], 0.17)
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from google.genai import errors

from course_lib import ranges
from course_lib.fake.quota import Quota
from course_lib.fake.refusals import rate_limited
from course_lib.ranges import nth_seed
from course_lib.rate_limits.limiter import RateLimiter
from course_lib.rate_limits.retry import call_with_retries
from course_lib.scaling.costs import is_cache_hit, model_for, request_dollars, tier_factor
from course_lib.scaling.simulation_settings import SimulationSettings
from course_lib.scaling.traffic import Request
from course_lib.scaling.virtual_clock import run_virtual
from course_lib.values import SettingError

CACHE_S = 0.001  # a response cache answers in about a millisecond


@dataclass(slots=True)
class Served:
    """One request's story, on the virtual clock: when it arrived, left the queue (got a slot),
    got its first token and its whole answer; its attempts and 429s; whether it failed."""

    arrival_s: float
    started_s: float = float("nan")
    first_token_s: float = float("nan")
    done_s: float = float("nan")
    attempts: int = 0
    refused: int = 0
    failed: bool = False
    model: str = ""
    cached: bool = False

    @property
    def queue_s(self) -> float:
        return self.started_s - self.arrival_s

    @property
    def latency_s(self) -> float:
        return self.done_s - self.arrival_s

    @property
    def ttft_latency_s(self) -> float:
        return self.first_token_s - self.arrival_s


@dataclass
class Simulated:
    """A simulated run: every request's story, and every ``sample_s`` the requests in the system
    (queued or in flight), queued, and in flight."""

    settings: SimulationSettings
    served: list[Served]
    samples: list[tuple[float, int, int, int]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list, repr=False)

    def dollars(self, tier: str = "standard", cached_input_share: float = 0.0) -> float:
        """What the requests sent and answered cost (``course_lib.scaling.costs``): cache hits and
        failed requests are free."""
        ranges.check("cached_input_share", cached_input_share)  # tier: tier_factor checks it
        total = sum(
            request_dollars(request, story.model, cached_input_share)
            for request, story in zip(self.requests, self.served, strict=True)
            if not story.cached and not story.failed
        )
        return total * tier_factor(tier)

    def ok(self) -> list[Served]:
        return [s for s in self.served if not s.failed]

    def mean(self, what: str) -> float:
        """The mean of a request's ``what`` ("latency_s", "queue_s", "ttft_latency_s") over the
        answered requests."""
        done = [getattr(s, what) for s in self.ok()]
        return sum(done) / len(done) if done else float("nan")

    def percentile(self, what: str, p: float) -> float:
        """The ``p``-th percentile (0-100) of ``what`` over the answered requests."""
        done = sorted(getattr(s, what) for s in self.ok())
        if not done:
            return float("nan")
        return done[min(len(done) - 1, int(p / 100 * len(done)))]

    @property
    def span_s(self) -> float:
        """From the first arrival to the last answer."""
        return max(s.done_s for s in self.served) - min(s.arrival_s for s in self.served)

    @property
    def refused(self) -> int:
        return sum(s.refused for s in self.served)

    @property
    def failed(self) -> int:
        return sum(s.failed for s in self.served)


class SimulationStopped(Exception):
    """``simulate`` was stopped (its ``stop`` was set) when its clock was at ``simulated_s``."""

    def __init__(self, simulated_s: float) -> None:
        super().__init__(f"stopped after {simulated_s / 60:.1f} simulated minutes")
        self.simulated_s = simulated_s


class _API:
    """The API on the virtual clock: the fake's quota and 429s, a token-based latency."""

    def __init__(self, s: SimulationSettings, loop: asyncio.AbstractEventLoop) -> None:
        self.s, self.clock = s, loop.time
        self.quota = Quota(rpm=s.rpm, tpm=s.tpm, window_s=s.window_s)

    async def call(self, request: Request, project: str, story: Served) -> None:
        s = self.s
        story.attempts += 1
        refusal = self.quota.take(project, story.model, request.prompt_tokens, self.clock())
        if refusal is not None:
            story.refused += 1
            await asyncio.sleep(s.error_latency_s)
            body = rate_limited(refusal, story.model, s.error_latency_s).chunks[0][1]
            raise errors.ClientError(429, json.loads(body))
        if request.service_s is not None:
            first = total = request.service_s
        else:
            first = s.ttft_s
            total = first + request.output_tokens / s.tokens_per_s
        story.first_token_s = self.clock() + first
        await asyncio.sleep(total)


async def _replay(
    requests: Sequence[Request],
    s: SimulationSettings,
    progress: Callable[[float], None] | None = None,
    stop: threading.Event | None = None,
) -> Simulated:
    loop = asyncio.get_running_loop()
    api = _API(s, loop)
    slots, cores = asyncio.Semaphore(s.concurrency), asyncio.Semaphore(s.processes)
    limiter = None
    if s.client_rpm:
        # 2 % longer than the API's window, as lesson 05's: a request the limiter lets go
        # reaches the API a little later (here, after the client's CPU work)
        limiter = RateLimiter(s.client_rpm, period_s=s.window_s * 1.02, clock=loop.time)
    stories = [Served(r.arrival_s) for r in requests]
    counts = {"queued": 0, "flying": 0}

    async def attempt(request: Request, project: str, story: Served) -> None:
        if limiter is not None:
            await limiter.acquire()  # it paces requests; a TPM limit is left to the retries
        if s.client_cpu_ms:
            async with cores:  # the SDK's work for this call, on one event loop's core
                await asyncio.sleep(s.client_cpu_ms / 1000)
        await api.call(request, project, story)

    async def one(i: int, request: Request, story: Served) -> None:
        if is_cache_hit(i, s.cache_hit_rate):  # answered from the response cache: never sent
            story.cached = True
            story.started_s = story.first_token_s = story.done_s = loop.time() + CACHE_S
            return
        story.model = model_for(request, s.model, s.cheap_model, s.route_below_tokens)
        project = f"project-{i % s.projects}"
        counts["queued"] += 1
        async with slots:
            counts["queued"] -= 1
            counts["flying"] += 1
            story.started_s = loop.time()
            try:
                if s.retry == "kit":
                    await call_with_retries(
                        lambda: attempt(request, project, story),
                        attempts=s.attempts,
                        seed=nth_seed(s.seed, i),
                    )
                else:
                    await attempt(request, project, story)
            except errors.APIError:
                story.failed = True
            finally:
                counts["flying"] -= 1
                story.done_s = loop.time()

    async def arrivals() -> None:
        """Each request's task starts when it arrives: the loop's timers then hold the calls in
        flight, not every request yet to come (an hour is 19,366 of them: replaying it took a
        tenth more CPU with a task and a timer for each from the start)."""
        started: list[asyncio.Task[None]] = []
        try:
            for i in sorted(range(len(requests)), key=lambda i: requests[i].arrival_s):
                wait = requests[i].arrival_s - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                task = loop.create_task(one(i, requests[i], stories[i]))
                task.add_done_callback(raised)
                started.append(task)
            await asyncio.gather(*started)
        finally:  # stopped (or a request's task raised): none is left on the loop
            for task in started:
                task.cancel()
            await asyncio.gather(*started, return_exceptions=True)

    crashed: list[BaseException] = []  # what a request's task raised that no retry handles

    def raised(task: asyncio.Task[None]) -> None:
        error = None if task.cancelled() else task.exception()
        if error is not None and not crashed:
            crashed.append(error)
            work.cancel()  # shown at once, not after the rest of the hour

    samples: list[tuple[float, int, int, int]] = []
    work = asyncio.ensure_future(arrivals())
    while not work.done():
        queued, flying = counts["queued"], counts["flying"]
        samples.append((loop.time(), queued + flying, queued, flying))
        if progress is not None:
            progress(loop.time())
        if stop is not None and stop.is_set():
            work.cancel()  # every request's task, so that none is left on the loop
            await asyncio.gather(work, return_exceptions=True)
            raise crashed[0] if crashed else SimulationStopped(loop.time())
        await asyncio.wait([work], timeout=s.sample_s)
    if crashed:
        raise crashed[0]
    await work
    return Simulated(s, stories, samples, list(requests))


def simulate(
    requests: Sequence[Request],
    settings: SimulationSettings | None = None,
    *,
    progress: Callable[[float], None] | None = None,
    stop: threading.Event | None = None,
) -> Simulated:
    """Replay ``requests`` against the simulated API with ``settings``, on a virtual clock. A
    notebook waits for it (an hour takes seconds, more with thousands of 429s); ``await
    asyncio.to_thread(simulate, requests, settings)`` keeps it responsive meanwhile.

    ``progress``: called with the simulated seconds so far, every ``sample_s`` of them (from
    its thread); set ``stop`` (from another) to end it then: it raises ``SimulationStopped``."""
    if settings is not None and not isinstance(settings, SimulationSettings):
        raise SettingError(
            f"settings must be a SimulationSettings(...), not {type(settings).__name__}; "
            "e.g. simulate(requests, SimulationSettings(concurrency=10))"
        )
    if not requests:
        raise SettingError("simulate needs at least one request (got none)")
    return run_virtual(_replay(list(requests), settings or SimulationSettings(), progress, stop))
