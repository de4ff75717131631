"""Checks for lesson 02 (concurrent): gather every call, then limit them with a semaphore."""

from __future__ import annotations

import inspect
import itertools
import time
from collections.abc import Callable
from typing import Any

from course_lib.client.factory import gemini_client
from course_lib.exercises.feedback import CHECK_PROMPTS, Feedback, answers_problem, right, wrong
from course_lib.fake.gemini import FakeGemini
from course_lib.fake.latency import Fixed
from course_lib.trace.overlap import below_limit_s, most_in_flight
from course_lib.trace.spans import IN_FLIGHT, Span, Tracer

#: the check's calls take 0.05 s and 0.45 s in turn: in waves, a slot stays free 0.4 s a wave
UNEVEN_S = (0.05, 0.45)
#: how long slots may stay free in all before the calls count as waves (a busy machine's event
#: loop starts the next call late, a few tens of milliseconds each time)
WAVE_S = 0.2


async def _run_learner(fn: Callable[..., Any], *args: Any) -> tuple[Any, list[Span], float]:
    with Tracer() as tracer:
        start = time.perf_counter()
        got = await fn(*args)
        return got, tracer.spans, time.perf_counter() - start


def _async_problem(fn: Any, name: str) -> Feedback | None:
    if not callable(fn):
        return wrong(f"pass the function itself: await check_{name}({name}), without brackets.")
    if not inspect.iscoroutinefunction(fn):
        return wrong("define it with `async def`, so it can `await` the calls.")
    return None


class _Uneven:
    """Calls take ``short`` and ``long`` seconds in turn, in the order they arrive. A semaphore
    starts the next call as soon as any one ends; calls sent in waves wait for each wave's
    slowest, leaving a slot free for ``long - short`` seconds."""

    def __init__(self, short: float, long: float) -> None:
        self.times = (short, long)
        self.calls = itertools.count()

    def draw(self, u: float, output_tokens: int) -> tuple[float, float]:
        return Fixed(self.times[next(self.calls) % 2]).draw(u, output_tokens)


def _watched_client(latency: float | _Uneven) -> tuple[Any, FakeGemini, list[str]]:
    """A private client on a private fake; ``blocking`` notes each use of the blocking API."""
    fake = FakeGemini(latency=latency)
    client = gemini_client(live=False, fake=fake)
    blocking: list[str] = []
    plain = client.models.generate_content

    def noted(*args: Any, **kwargs: Any) -> Any:
        blocking.append("generate_content")
        return plain(*args, **kwargs)

    client.models.generate_content = noted  # type: ignore[method-assign]  # this client only
    return client, fake, blocking


def _misused(
    fake: FakeGemini, blocking: list[str], calls: int, spans: list[Span]
) -> Feedback | None:
    if blocking and most_in_flight(spans) > 1:  # the blocking API, in threads (to_thread)
        return wrong(
            "your calls overlapped, each in a thread of its own (the blocking "
            "client.models.generate_content, through asyncio.to_thread or an executor): that "
            "works, but it is not this lesson's way. Await client.aio.models.generate_content: "
            "no thread per call, so a thousand calls cost a thousand small tasks, not threads."
        )
    if blocking:
        return wrong(
            "you called client.models.generate_content, the blocking API: inside `async def` it "
            "holds the event loop until the answer comes, so nothing overlaps. Await "
            "client.aio.models.generate_content instead."
        )
    if len(fake.log) < calls:
        return wrong(
            "the calls did not go through the `client` you were given: use it (a client of "
            "your own would not be traced, and, live, would not count against the budget)."
        )
    return None


async def check_ask_all_async(ask_all_async: Callable[..., Any]) -> Feedback:
    """``await ask_all_async(client, prompts)`` asks every prompt at once, answers in order."""
    problem = _async_problem(ask_all_async, "ask_all_async")
    if problem is not None:
        return problem
    client, fake, blocking = _watched_client(0.2)
    try:
        got, spans, wall = await _run_learner(ask_all_async, client, list(CHECK_PROMPTS))
    except Exception as error:
        return wrong(f"your function raised {type(error).__name__}: {error}")
    problem = answers_problem(got, CHECK_PROMPTS)  # (feedback is falsy when wrong: no `or`)
    if problem is None:
        problem = _misused(fake, blocking, len(CHECK_PROMPTS), spans)
    if problem is not None:
        return problem
    if most_in_flight(spans) < len(CHECK_PROMPTS):
        return wrong(
            f"right answers, but they took {wall:.2f} s: the calls did not all run at once. "
            "Awaiting each call in a loop waits for one before starting the next: "
            "create them all, then `await asyncio.gather(*calls)`."
        )
    return right(f"{len(got)} calls in flight together; {wall:.2f} s for all (one call: 0.2 s).")


async def check_ask_limited(ask_limited: Callable[..., Any]) -> Feedback:
    """``await ask_limited(client, prompts, limit)``: all prompts, never more than ``limit``
    calls in flight at once, answers in order. Tried with two limits."""
    problem = _async_problem(ask_limited, "ask_limited")
    if problem is not None:
        return problem
    prompts = CHECK_PROMPTS * 2
    try:
        inspect.signature(ask_limited).bind(None, prompts, 2)
    except TypeError:
        return wrong("it should take three arguments: (client, prompts, limit).")
    most_seen, idle = {}, {}
    for limit in (2, 3):
        client, fake, blocking = _watched_client(_Uneven(*UNEVEN_S))
        try:
            got, spans, _ = await _run_learner(ask_limited, client, list(prompts), limit)
        except Exception as error:
            return wrong(f"your function raised {type(error).__name__}: {error}")
        problem = answers_problem(got, prompts)
        if problem is None:
            problem = _misused(fake, blocking, len(prompts), spans)
        if problem is not None:
            return problem
        most_seen[limit] = most_in_flight(spans)
        calls = [(s.start, s.end) for s in spans if s.phase == IN_FLIGHT]
        idle[limit] = below_limit_s(calls, limit)
    for limit, most in most_seen.items():
        if most > limit:
            return wrong(
                f"up to {most} calls were in flight with limit={limit}: make ONE semaphore, "
                "Semaphore(limit), before the calls, and make every call inside `async with` "
                "that same one (a semaphore made per call limits nothing)."
            )
    if all(most == limit - 1 for limit, most in most_seen.items()):
        return wrong(
            "always one call fewer than the limit in flight: make the semaphore with `limit` "
            "itself (Semaphore(limit) lets exactly `limit` calls in at once)."
        )
    if most_seen[2] == most_seen[3]:
        return wrong(
            f"at most {most_seen[3]} in flight with limit=2 and with limit=3 alike: is the "
            "semaphore made with the `limit` argument, not a number written in?"
        )
    for limit, most in most_seen.items():
        if most < limit:
            return wrong(
                f"never more than {most} call at a time with limit={limit}. Make one semaphore "
                "outside the per-prompt function, shared by all the calls."
            )
    for limit, free in idle.items():
        if free > WAVE_S:
            return wrong(
                f"with limit={limit}, a slot stayed free for {free:.1f} s while prompts were "
                "waiting: the calls went in waves, each waiting for its slowest call. Give every "
                "call the same semaphore, so a new call starts as soon as any one ends."
            )
    return right(
        f"at most the limit in flight (tried 2 and 3), all {len(prompts)} answers in order."
    )
