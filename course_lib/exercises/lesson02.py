"""Checks for lesson 02 (concurrent): gather every call, then limit them with a semaphore."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any

from course_lib.client.factory import gemini_client
from course_lib.exercises.feedback import (
    CHECK_PROMPTS,
    Feedback,
    answers_problem,
    most_in_flight,
    right,
    wrong,
)
from course_lib.fake.gemini import FakeGemini
from course_lib.trace.spans import Span, Tracer


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


async def check_ask_all_async(ask_all_async: Callable[..., Any]) -> Feedback:
    """``await ask_all_async(client, prompts)`` asks every prompt at once, answers in order."""
    problem = _async_problem(ask_all_async, "ask_all_async")
    if problem is not None:
        return problem
    client = gemini_client(live=False, fake=FakeGemini(latency=0.2))
    try:
        got, spans, wall = await _run_learner(ask_all_async, client, list(CHECK_PROMPTS))
    except Exception as error:
        return wrong(f"your function raised {type(error).__name__}: {error}")
    problem = answers_problem(got, CHECK_PROMPTS)
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
    calls in flight at once, answers in order."""
    problem = _async_problem(ask_limited, "ask_limited")
    if problem is not None:
        return problem
    prompts, limit = CHECK_PROMPTS * 2, 2
    try:
        inspect.signature(ask_limited).bind(None, prompts, limit)
    except TypeError:
        return wrong("it should take three arguments: (client, prompts, limit).")
    client = gemini_client(live=False, fake=FakeGemini(latency=0.1))
    try:
        got, spans, _ = await _run_learner(ask_limited, client, list(prompts), limit)
    except Exception as error:
        return wrong(f"your function raised {type(error).__name__}: {error}")
    problem = answers_problem(got, prompts)
    if problem is not None:
        return problem
    most = most_in_flight(spans)
    if most > limit:
        return wrong(
            f"up to {most} calls were in flight with limit={limit}: is every call made inside "
            "`async with semaphore:`, and is the semaphore made with the limit?"
        )
    if most < limit:
        return wrong(
            f"never more than {most} call at a time: the limit allows {limit}. Make one "
            "semaphore outside the per-prompt function, shared by all the calls."
        )
    return right(f"at most {limit} in flight, all {len(got)} answers in order.")
