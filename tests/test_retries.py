"""The retry policy, error by error, on an injected sleep and a seeded random: exact delays.

The 429s are built here, in the shape a real one has (QuotaFailure, Help, RetryInfo), so these
tests do not depend on what the fake sends.
"""

import pickle
import random

import httpx
import pytest
from google.genai import errors

from course_lib.rate_limits.quota_errors import (
    DailyQuotaExhausted,
    QuotaViolation,
    parse_duration,
    quota_violation,
)
from course_lib.rate_limits.retry import (
    ASKED_JITTER,
    BASE_DELAY_S,
    MAX_DELAY_S,
    backoff_delay,
    call_with_retries,
    call_with_retries_sync,
    is_timeout,
    retry_after,
    retry_delay,
)
from course_lib.rate_limits.retry_budget import RetryBudget
from course_lib.trace.spans import BACKOFF, Tracer

PER_MINUTE = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
PER_DAY = "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
TOKENS_PER_MINUTE = "GenerateContentInputTokensPerModelPerMinute-FreeTier"


def too_many(quota_id: str | None = PER_MINUTE, delay: str | None = "45.837906927s", value="10"):
    """A 429 as Gemini sends it (a real body, from FACTS.md); parts left out when None."""
    details = []
    if quota_id is not None:
        violation = {
            "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
            "quotaId": quota_id,
            "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"},
            "quotaValue": value,
        }
        details.append(
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [violation]}
        )
    details.append(
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [{"description": "quotas", "url": "https://ai.google.dev/gemini-api/docs"}],
        }
    )
    if delay is not None:
        details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay})
    body = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "quota exceeded"}}
    body["error"]["details"] = details
    return errors.ClientError(429, body)


def status(code: int) -> errors.APIError:
    kind = errors.ServerError if code >= 500 else errors.ClientError
    return kind(code, {"error": {"code": code, "status": "X", "message": "no"}})


def scripted(*outcomes):
    """A call that raises or returns each outcome in turn, counting its calls."""
    left = list(outcomes)

    def call():
        call.count += 1
        outcome = left.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    call.count = 0
    return call


def asynced(sync_call):
    async def call():
        return sync_call()

    return call


# -- reading a 429 ---------------------------------------------------------------------------


def test_a_per_minute_429_is_read_for_learners():
    v = quota_violation(too_many())
    assert v == QuotaViolation(
        quota_id=PER_MINUTE,
        metric="generativelanguage.googleapis.com/generate_content_free_tier_requests",
        value=10,
        model="gemini-2.5-flash",
        per_day=False,
        retry_delay_s=45.837906927,
        wait_s=pytest.approx(45.837906927 * 1.02),  # a little more than asked
    )
    assert v.window == "minute"
    assert str(v).startswith("10 requests per minute (")


def test_per_day_and_token_quotas_are_told_apart_by_their_id():
    assert quota_violation(too_many(PER_DAY, value="250")).per_day
    tokens = quota_violation(too_many(TOKENS_PER_MINUTE, value="250000"))
    assert not tokens.per_day and str(tokens).startswith("250000 input tokens per minute")


def test_a_429_listing_both_windows_is_a_per_day_one():
    error = too_many()
    error.details["error"]["details"][0]["violations"].append(
        {"quotaId": PER_DAY, "quotaValue": "250"}
    )
    v = quota_violation(error)
    assert v.per_day and v.value == 250


def test_what_is_not_a_429_has_no_violation_and_a_bare_429_has_no_quota():
    assert quota_violation(status(503)) is None
    assert quota_violation(TimeoutError()) is None
    bare = quota_violation(errors.ClientError(429, {"error": {"code": 429}}))
    assert bare == QuotaViolation(None, None, None, None, False, None)


@pytest.mark.parametrize(
    "text, seconds", [("45.837906927s", 45.837906927), ("7s", 7.0), ("0.5s", 0.5)]
)
def test_retry_delays_are_read_to_the_nanosecond(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "7", "s", "-1s", "1m", None])
def test_what_is_not_a_duration_is_none(text):
    assert parse_duration(text) is None


# -- what is retried, and after how long -------------------------------------------------------


@pytest.mark.parametrize(
    ("delay", "message", "waited"),
    [
        ("45s", "Please retry in 45.837906927s.", 45.837906927 * 1.02),  # as real ones say it
        ("0s", "Please retry in 900.2ms.", 0.9002 * 1.02),  # under a second: RetryInfo says 0
        ("45.837906927s", "quota exceeded", 45.837906927 * 1.02),  # the other shape
        ("7s", "quota exceeded", 8 * 1.02),  # whole seconds alone: maybe rounded down, so +1 s
        ("0.001s", "quota exceeded", 0.011),  # at least 10 ms more
    ],
)
def test_a_per_minute_429_waits_what_it_asks_and_a_little_more(delay, message, waited):
    waits = []
    error = too_many(delay=delay)
    error.message = message
    call = scripted(error, "ok")
    assert call_with_retries_sync(call, sleep=waits.append) == ("ok", 2)
    assert len(waits) == 1 and waited <= waits[0] <= waited * (1 + ASKED_JITTER)


def test_calls_refused_together_do_not_come_back_at_one_instant():
    """Ten calls told the same wait retry at ten moments within a tenth of it (a herd spread)."""
    waits = []
    for seed in range(10):
        error = too_many(delay="0s")
        error.message = "Please retry in 900.2ms."
        call_with_retries_sync(scripted(error, "ok"), seed=seed, sleep=waits.append)
    asked = 0.9002 * 1.02
    assert all(asked <= wait <= asked * (1 + ASKED_JITTER) for wait in waits)
    assert max(waits) - min(waits) > asked * ASKED_JITTER / 2  # spread, not one instant


def test_a_per_day_429_is_raised_at_once_with_no_wait():
    waits = []
    call = scripted(too_many(PER_DAY, delay="3s", value="250"), "ok")
    with pytest.raises(DailyQuotaExhausted) as raised:
        call_with_retries_sync(call, attempts=5, sleep=waits.append, budget=RetryBudget())
    assert waits == [] and call.count == 1
    error = raised.value
    assert isinstance(error, errors.ClientError) and error.code == 429  # handlers still catch it
    assert error.violation.quota_id == PER_DAY and error.violation.value == 250
    text = str(error)
    assert PER_DAY in text and "250 requests per day" in text
    assert "paid tier" in text and "fewer calls" in text and "reset" in text
    assert "3.000 s" not in text  # a per-day 429's retryDelay would mislead
    assert error._render_traceback_() == [f"DailyQuotaExhausted: {text}"]
    assert isinstance(error.__cause__, errors.ClientError)
    copy = pickle.loads(pickle.dumps(error))  # worker processes send errors back pickled
    assert type(copy) is DailyQuotaExhausted and str(copy) == text


async def test_a_per_day_429_is_not_retried_by_the_async_helpers_either():
    waits = []

    async def sleep(seconds):
        waits.append(seconds)

    call = scripted(too_many(PER_DAY), "ok")
    with pytest.raises(DailyQuotaExhausted):
        await call_with_retries(asynced(call), sleep=sleep)
    with pytest.raises(DailyQuotaExhausted):
        await retry_after(too_many(PER_DAY), asynced(scripted("ok")), sleep=sleep)
    assert waits == [] and call.count == 1


@pytest.mark.parametrize("code", [408, 500, 502, 503, 504])
def test_server_errors_and_408_back_off_with_full_jitter(code):
    waits = []
    call = scripted(status(code), status(code), status(code), "ok")
    assert call_with_retries_sync(call, attempts=4, seed=3, sleep=waits.append) == ("ok", 4)
    rng = random.Random(3)
    assert waits == [rng.uniform(0, BASE_DELAY_S * 2**n) for n in range(3)]


def test_full_jitter_stays_within_its_doubling_ceiling_and_the_cap():
    for seed in range(200):
        for attempt in range(1, 12):
            ceiling = min(MAX_DELAY_S, BASE_DELAY_S * 2 ** (attempt - 1))
            assert 0 <= backoff_delay(attempt, random.Random(seed)) <= ceiling
    draws = [backoff_delay(20, random.Random(seed)) for seed in range(200)]
    assert max(draws) <= MAX_DELAY_S and max(draws) > 0.9 * MAX_DELAY_S  # capped, not stuck
    assert min(draws) < 0.1 * MAX_DELAY_S  # full jitter: near zero too, not 50-100 %


def test_the_same_seed_gives_the_same_waits_and_another_seed_others():
    def waits(seed):
        slept = []
        call_with_retries_sync(scripted(*[status(503)] * 3, "ok"), seed=seed, sleep=slept.append)
        return slept

    assert waits(11) == waits(11)
    assert waits(11) != waits(12)


def test_a_429_without_retry_info_falls_back_to_backoff():
    waits = []
    call = scripted(too_many(delay=None), too_many(quota_id=None, delay=None), "ok")
    assert call_with_retries_sync(call, seed=5, sleep=waits.append) == ("ok", 3)
    rng = random.Random(5)
    assert waits == [rng.uniform(0, 0.5), rng.uniform(0, 1.0)]


@pytest.mark.parametrize("code", [400, 401, 403, 404])
def test_requests_that_cannot_get_better_are_never_retried(code):
    waits, budget = [], RetryBudget()
    call = scripted(status(code), "ok")
    with pytest.raises(errors.ClientError) as raised:
        call_with_retries_sync(call, attempts=5, sleep=waits.append, budget=budget)
    assert raised.value.code == code and call.count == 1 and waits == []
    assert budget.retries == 0  # and it cost no retry
    assert retry_delay(status(code), 1, random.Random(0)) is None


def test_other_exceptions_are_raised_untouched():
    call = scripted(ValueError("a bug in the caller"), "ok")
    with pytest.raises(ValueError):
        call_with_retries_sync(call, sleep=lambda s: None)
    assert call.count == 1


@pytest.mark.parametrize(
    "timeout",
    [
        httpx.ReadTimeout("read"),  # our own httpx clients (gemini_client)
        httpx.ConnectTimeout("connect"),
        TimeoutError("aiohttp"),  # the SDK's async calls through aiohttp raise this
    ],
)
def test_timeouts_are_retried_with_backoff(timeout):
    assert is_timeout(timeout)
    waits = []
    call = scripted(timeout, "ok")
    assert call_with_retries_sync(call, seed=2, sleep=waits.append) == ("ok", 2)
    assert waits == [random.Random(2).uniform(0, BASE_DELAY_S)]


def test_httpx2_timeouts_count_too():
    httpx2 = pytest.importorskip("httpx2")  # the SDK's default sync transport in 3.x
    assert is_timeout(httpx2.ReadTimeout("read"))
    assert not is_timeout(httpx2.ConnectError("refused"))


def test_a_timeout_through_the_sdk_is_retried():
    """A real timed-out call through google-genai (our httpx client times out) is retried."""
    from google import genai
    from google.genai import types

    def handler(request):
        if handler.calls == 0:
            handler.calls += 1
            raise httpx.ReadTimeout("timed out", request=request)
        text = '{"candidates": [{"content": {"role": "model", "parts": [{"text": "hi"}]}}]}'
        return httpx.Response(200, text=text, headers={"content-type": "application/json"})

    handler.calls = 0
    http = httpx.Client(transport=httpx.MockTransport(handler))
    options = types.HttpOptions(base_url="http://fake.invalid", httpx_client=http)
    client = genai.Client(api_key="offline", http_options=options)
    waits = []
    response, tries = call_with_retries_sync(
        lambda: client.models.generate_content(model="gemini-2.5-flash", contents="hi"),
        sleep=waits.append,
    )
    assert (response.text, tries, len(waits)) == ("hi", 2, 1)


def test_the_last_attempt_raises_the_last_error_without_waiting_after_it():
    waits = []
    with pytest.raises(errors.ServerError):
        call_with_retries_sync(scripted(*[status(503)] * 9), attempts=3, sleep=waits.append)
    assert len(waits) == 2


def test_each_wait_is_a_backoff_span():
    with Tracer() as tracer:
        call_with_retries_sync(
            scripted(too_many(delay="0s"), TimeoutError(), "ok"), sleep=lambda s: None
        )
    assert [(s.phase, s.label) for s in tracer.spans] == [
        (BACKOFF, "after 429"),
        (BACKOFF, "after timeout"),
    ]


# -- the retry budget --------------------------------------------------------------------------


def test_the_budget_stops_retries_once_spent():
    budget, waits = RetryBudget(ratio=0.1, reserve=3), []
    failures = []
    for _ in range(5):  # an API that is down: five calls, each failing every time
        with pytest.raises(errors.ServerError) as raised:
            call_with_retries_sync(
                scripted(*[status(503)] * 4), attempts=4, sleep=waits.append, budget=budget
            )
        failures.append(raised.value)
    assert budget.retries == 3 and len(waits) == 3  # the reserve, then no more
    assert budget.refused == 4  # calls 2-5 end at their first failure (call 1 ran out of tries)
    assert not hasattr(failures[0], "__notes__")
    assert any("retry budget is spent" in note for note in failures[-1].__notes__)
    assert budget.tokens == 0


def test_the_budget_refills_with_successes_up_to_its_reserve():
    budget = RetryBudget(ratio=0.2, reserve=2)
    assert budget.try_retry() and budget.try_retry() and not budget.try_retry()
    for _ in range(4):
        budget.succeeded()
    assert not budget.try_retry()  # 4 x 0.2 = 0.8 of a retry: not yet
    budget.succeeded()
    assert budget.try_retry()  # 5 x 0.2 = exactly one, with no rounding error
    for _ in range(1000):
        budget.succeeded()
    assert budget.tokens == 2  # never more than the reserve: a long calm does not bank a storm


def test_successes_through_the_helpers_earn_retries_back():
    budget = RetryBudget(ratio=0.5, reserve=1)
    call_with_retries_sync(scripted(status(503), "ok"), sleep=lambda s: None, budget=budget)
    assert budget.tokens == 0.5  # one retry spent, half earned back by its success
    call_with_retries_sync(scripted("ok"), sleep=lambda s: None, budget=budget)
    assert budget.tokens == 1.0


async def test_the_async_helpers_share_the_budget():
    budget = RetryBudget(ratio=0.1, reserve=1)

    async def sleep(seconds):
        pass

    assert await call_with_retries(asynced(scripted(status(503), "ok")), sleep=sleep, budget=budget)
    with pytest.raises(errors.ServerError):
        await retry_after(status(503), asynced(scripted("ok")), sleep=sleep, budget=budget)
    assert (budget.retries, budget.refused) == (1, 1)


@pytest.mark.parametrize("ratio, reserve", [(-0.1, 10), (1.5, 10), (0.1, -1), (0.1, 2.5)])
def test_a_budget_refuses_nonsense(ratio, reserve):
    with pytest.raises(ValueError):
        RetryBudget(ratio=ratio, reserve=reserve)


def test_a_429_retried_as_asked_is_not_charged_to_the_budget():
    """The budget is for failures that might hammer a struggling API; a 429 waited out as asked
    is the server's own throttle."""
    from course_lib.rate_limits.retry import RetryBudget, call_with_retries_sync

    budget = RetryBudget(ratio=0.1, reserve=1)
    slept: list[float] = []
    for _ in range(3):  # three calls, each refused once with a RetryInfo: all three retried
        refused = [too_many(delay="2.5s")]

        def call(refused=refused):
            if refused:
                raise refused.pop()
            return "ok"

        assert (
            call_with_retries_sync(call, attempts=2, budget=budget, sleep=slept.append)[0] == "ok"
        )
    asked = 2.5 * 1.02
    assert len(slept) == 3 and all(asked <= w <= asked * (1 + ASKED_JITTER) for w in slept)
    assert budget.retries == 0
