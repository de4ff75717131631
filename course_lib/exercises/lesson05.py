"""Checks for lesson 05 (rate limits and failures): a retry that waits what the server asks and
stops on a daily quota, and a pool of processes that keeps one budget.

Each check runs your function against a fake of its own with a short "minute" (1 or 1.5 s), so
a check takes a few seconds and never touches the lesson's fake or a live budget.
"""

from __future__ import annotations

import inspect
import itertools
import time
from collections.abc import Callable
from typing import Any

from google.genai import errors

from course_lib import catalogue
from course_lib.client.factory import gemini_client
from course_lib.exercises.feedback import Feedback, right, wrong
from course_lib.fake.gemini import FakeGemini
from course_lib.rate_limits.limiter import most_in_any_window

RETRY_PROMPTS = [f"Give me fact number {i} about rate limits" for i in range(4)]
WINDOW_S = 1.0  # the shared-budget check's "minute"
#: the retry check's "minute": not a round number, which a fixed pause could guess
RETRY_WINDOW_S = 1.5
#: how late a retry may come after the quota has room again: a busy machine's event loop lags,
#: a fixed 2.5 s pause (or time.sleep, one retry after the other) is later still
LATE_S = 0.6
#: the "minute" of the check that a 429 which never clears is given up on
NEVER_WINDOW_S = 0.15


def _served(fake: FakeGemini, status: int) -> int:
    return sum(1 for call in fake.log if call.status == status)


async def check_ask_with_retry(ask_with_retry: Callable[[Any, str], Any]) -> Feedback:
    """``ask_with_retry(client, prompt)`` must return the answer's text, retry a per-minute 429
    after the delay it asks (``quota_violation(error).wait_s``) up to 5 attempts, and give up at
    once on a per-day 429 and on a 400."""
    if not callable(ask_with_retry) or not inspect.iscoroutinefunction(ask_with_retry):
        return wrong("define it with `async def ask_with_retry(client, prompt):` and pass it in.")
    import asyncio

    # Four calls at once against 2 a "minute": 2 go, 2 are refused and asked to wait ~1 s; waiting
    # that, both get in on their second try: two 429s in all. RetryInfo says "0s" (whole seconds,
    # rounded down, as real ones): a retry after it is refused again.
    fake = FakeGemini(latency=0.2, rpm=2, window_s=RETRY_WINDOW_S)
    client = gemini_client(live=False, fake=fake)
    start = time.perf_counter()
    try:
        texts = await asyncio.wait_for(
            asyncio.gather(*(ask_with_retry(client, p) for p in RETRY_PROMPTS)), timeout=20
        )
    except TimeoutError:
        return wrong("4 calls took over 20 s: does your loop stop once a call succeeds?")
    except errors.APIError as error:
        if _served(fake, 429) > 2:
            return wrong(_too_early(_served(fake, 429)))
        return wrong(
            f"a call ended with {error.code} {error.status}: a per-minute 429 should be retried "
            "after the delay it asks (quota_violation(error).wait_s), not raised."
        )
    elapsed = time.perf_counter() - start
    if not isinstance(texts, list | tuple) or any(not isinstance(t, str) for t in texts):
        return wrong("return the answer's text (response.text), a string.")
    answered = _served(fake, 200)
    if answered < len(RETRY_PROMPTS):  # texts written in, or another client than the one given
        return wrong(
            f"{answered} of {len(RETRY_PROMPTS)} prompts were answered through the client your "
            "function was given: ask with client.aio.models.generate_content and return its "
            "response.text."
        )
    refused = _served(fake, 429)
    if refused > 2:
        return wrong(_too_early(refused))
    if not _overlapped(fake):
        return wrong(
            "your calls never overlapped: client.models.generate_content (or time.sleep) blocks "
            "the event loop, so four calls ran one at a time. Await the async client, "
            "client.aio.models.generate_content, and asyncio.sleep."
        )
    late = _late_retry_s(fake)
    if late > LATE_S:
        return wrong(
            f"a retry came {late:.1f} s after the quota had room again: wait what the 429 asks "
            "(quota_violation(error).wait_s), not a fixed pause, and with asyncio.sleep "
            "(time.sleep would hold up every other call's retry too)."
        )
    if elapsed > 3 * RETRY_WINDOW_S:
        return wrong(
            f"4 calls took {elapsed:.1f} s where about {RETRY_WINDOW_S:g} s was enough: wait what "
            "the 429 asks (quota_violation(error).wait_s), not longer."
        )
    # A daily quota: retrying cannot help before tomorrow, so the second call must stop at once.
    day = FakeGemini(latency=0.05, rpd=1, day_s=600.0)
    daily = gemini_client(live=False, fake=day)
    try:
        await ask_with_retry(daily, RETRY_PROMPTS[0])
    except Exception as error:
        return wrong(f"the first call of the day failed: {type(error).__name__}: {error}")
    try:
        await asyncio.wait_for(ask_with_retry(daily, RETRY_PROMPTS[1]), timeout=5)
    except TimeoutError:
        return wrong(
            "on a per-day 429 your function kept waiting: check the quotaId (per_day in "
            "quota_violation(error)) and raise instead of retrying."
        )
    except Exception:  # raising is right: any error the learner chose
        tries = _served(day, 429)
        if tries > 1:
            return wrong(f"a per-day 429 was retried {tries - 1} time(s): raise on the first.")
        mistake = await _a_400_raised(ask_with_retry) or await _gives_up(ask_with_retry)
        if mistake:
            return wrong(mistake)
        return right(
            f"two 429s for four calls at twice the limit, {elapsed:.1f} s in all; the daily "
            "quota stopped at once instead of retrying until tomorrow; a 400 raised at once; and "
            "a 429 that never clears given up after 5 attempts."
        )
    return wrong("on a per-day 429 your function returned instead of raising the error.")


async def _a_400_raised(ask_with_retry: Callable[[Any, str], Any]) -> str:
    """What is wrong with how ``ask_with_retry`` takes a 400 (a prompt longer than any model
    takes: the caller's mistake, which a retry repeats), or "" if it raised at once."""
    import asyncio

    bad = FakeGemini(latency=0.05)
    too_long = "x" * (4 * max(m.input_token_limit for m in catalogue.MODELS.values()) + 4)
    try:
        await asyncio.wait_for(ask_with_retry(gemini_client(live=False, fake=bad), too_long), 10)
    except TimeoutError:
        return "a 400 (a prompt too long for the model) was retried for 10 s: raise it at once."
    except Exception:  # raising is right: any error the learner chose
        tries = _served(bad, 400)
        if tries > 1:
            return (
                f"a 400 (a prompt too long for the model) was retried {tries - 1} time(s): only a "
                "per-minute 429 is worth waiting for; raise anything else at once."
            )
        return ""
    return "on a 400 (a prompt too long for the model) your function returned instead of raising."


async def _gives_up(ask_with_retry: Callable[[Any, str], Any]) -> str:
    """What is wrong with how ``ask_with_retry`` takes a per-minute 429 that never clears (a
    prompt larger than a whole minute's token budget: every attempt is refused and asked to wait
    the window), or "" if it raised after at most 5 attempts (6 forgiven: retries or attempts)."""
    import asyncio

    never = FakeGemini(latency=0.05, tpm=5, window_s=NEVER_WINDOW_S)
    client = gemini_client(live=False, fake=never)
    try:
        await asyncio.wait_for(ask_with_retry(client, RETRY_PROMPTS[0]), 20 * NEVER_WINDOW_S)
    except TimeoutError:
        return (
            f"a 429 that never cleared was tried {_served(never, 429)} times in "
            f"{20 * NEVER_WINDOW_S:g} s and your function was still trying: stop after 5 "
            "attempts and raise the last error (a loop with no end hangs a program for good)."
        )
    except Exception:  # raising is right: any error the learner chose
        tries = _served(never, 429)
        if tries > 6:
            return (
                f"a 429 that never cleared was tried {tries} times: stop after 5 attempts and "
                "raise the last error."
            )
        return ""
    return "when every attempt got a 429, your function returned instead of raising the error."


def _overlapped(fake: FakeGemini) -> bool:
    """Whether any two answered calls were in flight at the same moment."""
    answered = sorted((c.start, c.end) for c in fake.log if c.status == 200)
    return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(answered))


def _late_retry_s(fake: FakeGemini) -> float:
    """How long after the quota had room again the last retry of a refused prompt arrived. Room
    comes back when the window's oldest admitted call leaves it: ``RETRY_WINDOW_S`` after the first
    window's calls started (two of them, at 2 a "minute")."""
    admitted = sorted(c.start for c in fake.log if c.status != 429)
    refused = {c.prompt for c in fake.log if c.status == 429}
    if len(admitted) < 2 or not refused:
        return 0.0
    room = admitted[1] + RETRY_WINDOW_S
    retries = [c.start for c in fake.log if c.prompt in refused and c.status != 429]
    return max(retries, default=room) - room


def _too_early(refused: int) -> str:
    return (
        f"the fake answered 429 {refused} times where 2 were enough: you retried before the "
        "window had room. Wait what the 429 asks, quota_violation(error).wait_s: not a fixed "
        "pause, nor .retry_delay_s (RetryInfo's whole seconds, rounded down: 0 here)."
    )


def check_shared_budget(ask_in_pool: Callable[[list[str], int, float], list[str]]) -> Feedback:
    """``ask_in_pool(prompts, rpm, period_s)``: a pool of 4 processes that asks every prompt and
    keeps one budget of ``rpm`` requests per ``period_s`` between them all (no 429s). The check
    gives a ``period_s`` half as long again as the API's window: a request the limiter lets go
    reaches the server later, a few milliseconds on a quiet machine and hundreds on a busy one
    (at 5 % longer, the lesson's own solution got 429s at load 6-15: a busy machine, not the
    learner's doing). Sharing no budget still sends 16 requests in the first window."""
    if not callable(ask_in_pool):
        return wrong("pass the function itself: check_shared_budget(ask_in_pool).")
    from course_lib.client.session import SESSION

    SESSION.offline()  # worker processes reach the fake through its loopback server
    server = SESSION.server
    assert server is not None
    mine = FakeGemini(latency=0.05, rpm=4, window_s=WINDOW_S)
    theirs, server.fake = server.fake, mine
    prompts = [f"Summarise rate limits in {n} words" for n in range(10, 22)]
    try:
        answers = ask_in_pool(prompts, 4, WINDOW_S * 1.5)
    except errors.APIError as error:
        return wrong(
            f"a call ended with {error.code} {error.status}: each process kept its own budget "
            "(or none). Make one RateLimiter.shared(...) in the parent and give it to the pool "
            "with ProcessPoolExecutor(4, **limiter.pool_options())."
        )
    except Exception as error:
        return wrong(f"ask_in_pool raised {type(error).__name__}: {str(error)[:200]}")
    finally:
        server.fake = theirs
    if not isinstance(answers, list) or len(answers) != len(prompts):
        return wrong(f"return one answer per prompt, in a list ({len(prompts)} here).")
    refused = _served(mine, 429)
    admitted = [call.start for call in mine.log if call.status == 200]
    if len(admitted) < len(prompts) and not refused:  # written in, or asked outside the pool
        return wrong(
            f"{len(admitted)} of {len(prompts)} prompts reached the API from the pool: ask each "
            "prompt in a worker process (pool.map over the prompts), with a client made there."
        )
    most = most_in_any_window(admitted, WINDOW_S)
    if refused or most > 4:
        return wrong(
            f"the API refused {refused} call(s) ({most} in one window, for a limit of 4): each "
            "process kept its own budget. Make one RateLimiter.shared(...) in the parent and give "
            "it to the pool with ProcessPoolExecutor(4, **limiter.pool_options())."
        )
    connections = {call.client for call in mine.log if call.status == 200}
    if len(connections) < 2:  # one process asked them all: no budget was shared
        return wrong(
            "every prompt came over one connection, from one process: ask from a pool of 4 "
            "(ProcessPoolExecutor(4, **limiter.pool_options())), so that four processes share "
            "the budget."
        )
    return right(
        f"{len(prompts)} prompts answered through the API, at most {most} in any window of "
        f"{WINDOW_S:g} s and not one 429: one budget, shared."
    )
