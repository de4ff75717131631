"""The Interactions client retries by default (google-genai 3.6.1: 5 attempts on 408, 409, 429 and
5xx, waiting 0.5 s x 2^n less up to a quarter, at most 8 s; a ``Retry-After`` or
``retry-after-ms`` header instead, when there is one). Against the fake's 429, which has no such
header, as Gemini's has none: five attempts in about 7 s, whatever the 429 asks. ``models.*``
makes one attempt unless given ``HttpRetryOptions``. Each attempt is a span on the timeline."""

import asyncio
import itertools
import re
import time

import pytest
from google.genai import _interactions, errors, types

from course_lib import DEFAULT_MODEL, Tracer, gemini_client
from course_lib.fake import FakeGemini
from course_lib.fake.draws import uniforms

BACKOFF_S = [0.5 * 2**n for n in range(4)]  # the ceiling of each wait; the floor is 3/4 of it


def warm():
    """The SDK builds its Interactions types on first use (about a second): not inside a timing."""
    gemini_client(fake=FakeGemini(latency=0.0)).interactions.create(model=DEFAULT_MODEL, input="w")


def gaps(starts):
    return [later - earlier for earlier, later in itertools.pairwise(starts)]


def test_a_429_is_retried_five_times_on_the_clients_own_backoff_not_on_the_delay_it_asks():
    warm()
    fake = FakeGemini(latency=0.0, error_latency_s=0.0, rpm=1)  # one call a minute
    client = gemini_client(fake=fake)  # no retry_options: the client's defaults
    client.interactions.create(model=DEFAULT_MODEL, input="first")
    with Tracer() as tracer, pytest.raises(_interactions.RateLimitError) as caught:
        client.interactions.create(model=DEFAULT_MODEL, input="second")
    tries = [call.start for call in fake.log if call.prompt == "second"]
    assert len(tries) == 5
    for waited, ceiling in zip(gaps(tries), BACKOFF_S, strict=True):
        assert 0.75 * ceiling - 0.01 <= waited <= ceiling + 0.3  # + the SDK's own time per try
    headers = caught.value.response.headers
    assert "retry-after" not in headers and "retry-after-ms" not in headers
    asked = float(re.search(r"retry in ([\d.]+)s", caught.value.message).group(1))
    assert asked > 50 > tries[-1] - tries[0]  # it asked for most of a minute; the client gave ~7 s
    spans = tracer.spans
    assert [s.outcome for s in spans] == ["429"] * 5 and len({s.lane for s in spans}) == 1


def test_the_retries_get_through_when_the_window_frees_up_in_time():
    warm()
    fake = FakeGemini(latency=0.0, error_latency_s=0.0, rpm=1, window_s=1.0)
    client = gemini_client(fake=fake)
    client.interactions.create(model=DEFAULT_MODEL, input="first")
    start = time.perf_counter()
    answer = client.interactions.create(model=DEFAULT_MODEL, input="second")
    assert answer.status == "completed" and time.perf_counter() - start >= 0.9
    statuses = [call.status for call in fake.log if call.prompt == "second"]
    assert statuses[-1] == 200 and set(statuses[:-1]) == {429} and 2 <= len(statuses) <= 4


async def test_the_async_client_retries_the_same_way_on_one_task():
    warm()
    fake = FakeGemini(latency=0.0, error_latency_s=0.0, rpm=1, window_s=1.0)
    client = gemini_client(fake=fake)
    await client.aio.interactions.create(model=DEFAULT_MODEL, input="first")
    with Tracer() as tracer:
        answer = await client.aio.interactions.create(model=DEFAULT_MODEL, input="second")
    assert answer.status == "completed"
    outcomes = [s.outcome for s in sorted(tracer.spans, key=lambda s: s.start)]
    assert outcomes[-1] == "ok" and set(outcomes[:-1]) == {"429"} and len(outcomes) >= 2
    assert len({s.lane for s in tracer.spans}) == 1  # the retries stay on the caller's row


def test_one_attempt_turns_them_off_and_models_never_retries_by_default():
    fake = FakeGemini(latency=0.0, error_latency_s=0.0, rpm=1)
    once = gemini_client(fake=fake, retry_options=types.HttpRetryOptions(attempts=1))
    once.interactions.create(model=DEFAULT_MODEL, input="first")
    with pytest.raises(_interactions.RateLimitError):
        once.interactions.create(model=DEFAULT_MODEL, input="second")
    with pytest.raises(errors.ClientError):
        gemini_client(fake=fake).models.generate_content(model=DEFAULT_MODEL, contents="third")
    assert [call.status for call in fake.log] == [200, 429, 429]


def test_a_5xx_is_retried_and_a_400_is_not():
    fake = FakeGemini(latency=0.0, error_latency_s=0.0, failure_rate=0.5, seed=5)
    # a prompt whose first asking fails and second succeeds (the fake's draws, made in advance)
    prompt = next(
        p
        for p in (f"Question {i}" for i in range(1000))
        if uniforms(5, DEFAULT_MODEL, p, 0)[0][0] < 0.5 <= uniforms(5, DEFAULT_MODEL, p, 1)[0][0]
    )
    client = gemini_client(fake=fake)
    with Tracer() as tracer:
        assert client.interactions.create(model=DEFAULT_MODEL, input=prompt).status == "completed"
        with pytest.raises(_interactions.BadRequestError):
            client.interactions.create(
                model=DEFAULT_MODEL, input="x", generation_config={"top_p": 2}
            )
    outcomes = [s.outcome for s in sorted(tracer.spans, key=lambda s: s.start)]
    assert outcomes[0] in ("500", "503") and outcomes[1:] == ["ok", "400"]


async def test_ten_calls_over_a_limit_of_five_all_get_through_on_the_default_retries():
    warm()
    fake = FakeGemini(latency=0.0, error_latency_s=0.0, rpm=5, window_s=1.0)
    client = gemini_client(fake=fake)
    answers = await asyncio.gather(
        *(client.aio.interactions.create(model=DEFAULT_MODEL, input=f"Fact {i}") for i in range(10))
    )
    assert all(a.status == "completed" for a in answers)
    statuses = [call.status for call in fake.log]
    assert statuses.count(200) == 10 and statuses.count(429) >= 5  # five fit the first window
