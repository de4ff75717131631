"""Retries and quotas on an injected clock: exact delays and windows, and no real waiting.

The fake's quota reads ``clock``; the retry helpers wait with ``sleep``. Here both are the same
hand-moved clock, so a test can say "the 429 asked for 58 s, so the retry came 58 s later" and be
exact, in a few milliseconds.
"""

import random

import pytest
from google.genai import errors

from course_lib import DEFAULT_MODEL, gemini_client
from course_lib.fake import FakeGemini
from course_lib.rate_limits.retry import (
    ASKED_JITTER,
    BASE_DELAY_S,
    call_with_retries,
    call_with_retries_sync,
    retry_delay,
)

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons


class Clock:
    """A clock that moves only when something sleeps on it."""

    def __init__(self) -> None:
        self.now, self.slept = 0.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def server_error(code: int = 503) -> errors.ServerError:
    return errors.ServerError(code, {"error": {"code": code, "status": "UNAVAILABLE"}})


def quota_error(delay: str) -> errors.ClientError:
    retry = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}
    body = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [retry]}}
    return errors.ClientError(429, body)


def failing(times: int, error_factory=server_error):
    """A call that fails ``times`` times, then answers "ok"."""
    left = [times]

    def call():
        if left[0]:
            left[0] -= 1
            raise error_factory()
        return "ok"

    return call


def expected_backoff(seed: int, failures: int) -> list[float]:
    """Exponential backoff with full jitter: uniform up to 0.5 s, 1 s, 2 s..., from the seed."""
    rng = random.Random(seed)
    return [rng.random() * BASE_DELAY_S * 2**k for k in range(failures)]


def test_server_errors_back_off_exponentially_with_jitter_exactly():
    clock = Clock()
    result, attempts = call_with_retries_sync(failing(3), attempts=4, seed=7, sleep=clock.sleep)
    assert (result, attempts) == ("ok", 4)
    assert clock.slept == expected_backoff(7, 3)
    for k, delay in enumerate(clock.slept):  # anywhere up to a ceiling that doubles
        assert 0 <= delay <= BASE_DELAY_S * 2**k
    assert clock.slept != expected_backoff(8, 3)  # another seed, other jitter


async def test_the_async_retries_wait_the_same():
    clock = Clock()
    sync_call = failing(2)

    async def call():
        return sync_call()

    result, attempts = await call_with_retries(call, attempts=4, seed=7, sleep=clock.asleep)
    assert (result, attempts) == ("ok", 3)
    assert clock.slept == expected_backoff(7, 2)


@pytest.mark.parametrize(("delay", "waited"), [("7s", 8.0), ("45.837906927s", 45.837906927)])
def test_a_429_waits_what_its_retry_info_asks_and_a_little_more(delay, waited):
    """Whole seconds alone may be rounded down (real ones are): a second more, then 2 %."""
    clock = Clock()
    call = failing(1, lambda: quota_error(delay))
    assert call_with_retries_sync(call, attempts=3, sleep=clock.sleep) == ("ok", 2)
    asked = waited * 1.02  # and up to a tenth more, at random
    assert len(clock.slept) == 1 and asked <= clock.slept[0] <= asked * (1 + ASKED_JITTER)


@pytest.mark.parametrize("code", [400, 401, 403, 404])
def test_client_errors_are_never_retried(code):
    clock = Clock()

    def refused():
        raise errors.ClientError(code, {"error": {"code": code, "status": "NO"}})

    with pytest.raises(errors.ClientError):
        call_with_retries_sync(refused, attempts=5, sleep=clock.sleep)
    assert clock.slept == []
    assert retry_delay(errors.ClientError(code, {"error": {}}), 1, random.Random(0)) is None


def test_giving_up_after_the_last_attempt_raises_the_last_error():
    clock = Clock()
    with pytest.raises(errors.ServerError):
        call_with_retries_sync(failing(10), attempts=3, seed=1, sleep=clock.sleep)
    assert len(clock.slept) == 2  # between attempts 1-2 and 2-3, not after the last


def test_the_fake_quota_window_through_the_sdk_on_an_injected_clock():
    clock = Clock()
    client = gemini_client(fake=FakeGemini(latency=0.0, rpm=2, clock=clock))

    def ask():
        return client.models.generate_content(model=DEFAULT_MODEL, contents="Hello")

    ask()
    clock.now = 1.0
    ask()
    clock.now = 2.0
    with pytest.raises(errors.ClientError) as refused:
        ask()
    retry = [d for d in refused.value.details["error"]["details"] if "RetryInfo" in d["@type"]]
    assert retry[0]["retryDelay"] == "58s"  # the first call leaves the window at 60 s
    clock.now = 59.999
    with pytest.raises(errors.ClientError):
        ask()
    clock.now = 60.0
    assert ask().text  # exactly at the edge of the window


def test_retrying_against_the_fake_waits_as_asked_and_then_gets_through():
    clock = Clock()
    client = gemini_client(fake=FakeGemini(latency=0.0, rpm=1, clock=clock))

    def ask():
        return client.models.generate_content(model=DEFAULT_MODEL, contents="Hello")

    ask()
    clock.now = 12.5
    response, attempts = call_with_retries_sync(ask, attempts=3, sleep=clock.sleep)
    assert attempts == 2 and response.text
    # 60 - 12.5, as the message says it (RetryInfo says "47s"), and 2 % more
    asked = 47.5 * 1.02  # and up to a tenth more, at random
    assert len(clock.slept) == 1 and asked <= clock.slept[0] <= asked * (1 + ASKED_JITTER)
    assert clock.now == pytest.approx(12.5 + clock.slept[0])  # after the 60 s window, not in it
