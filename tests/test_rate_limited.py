"""Lesson 05's scenario: calls against a rate limit, with and without a client-side limiter, under
each retry policy. The API's "minute" is shortened to one second so each run takes a few seconds.
"""

import pytest

from course_lib.rate_limits.limiter import most_in_any_window
from course_lib.rate_limits.quota_errors import RETRY_MARGIN
from course_lib.rate_limits.retry import ASKED_JITTER
from course_lib.run.runner import run_scenario_sync
from course_lib.run.settings import RETRY_POLICIES, ScenarioSettings, SettingError
from course_lib.trace.spans import BACKOFF, IN_FLIGHT, WAIT_RATE

OVER = ScenarioSettings(prompts=12, latency=0.2, concurrency=6, rpm=5, window_s=1.0, processes=1)


def spans_of(result, phase, outcome=None):
    return [s for s in result.spans if s.phase == phase and outcome in (None, s.outcome)]


def test_without_a_limiter_or_retries_calls_past_the_limit_fail_with_429():
    result = run_scenario_sync("rate-limited", OVER.changed(retry="none"))
    refused = spans_of(result, IN_FLIGHT, "429")
    assert result.failures == len(refused) == 7  # 12 at once, 5 a second: 7 refused
    assert not spans_of(result, BACKOFF)


def test_a_client_side_limiter_keeps_every_window_within_the_limit():
    result = run_scenario_sync("rate-limited", OVER.changed(retry="none", client_rpm=5))
    assert result.failures == 0 and not spans_of(result, IN_FLIGHT, "429")
    sent = [s.start for s in spans_of(result, IN_FLIGHT)]
    assert most_in_any_window(sent, 1.0) <= 5
    assert len(spans_of(result, WAIT_RATE)) == 7  # the first 5 go at once, 7 wait their turn
    assert result.wall_s >= 2.0  # 12 calls at 5 a second: the last goes out after 2 s


@pytest.mark.parametrize("policy", ["kit", "tenacity", "adaptive"])
def test_retries_that_wait_what_the_server_asks_get_every_call_through(policy):
    result = run_scenario_sync("rate-limited", OVER.changed(retry=policy))
    assert result.failures == 0
    refused = spans_of(result, IN_FLIGHT, "429")
    waits = spans_of(result, BACKOFF)
    assert refused and len(waits) == len(refused)  # one wait after each 429
    # each wait ends when the window has room again (and a little jitter later, up to a tenth
    # of the wait): never a retry into a full window, nor one that wastes the next
    assert all(w.duration <= 1.0 * (1 + RETRY_MARGIN) * (1 + ASKED_JITTER) + 0.05 for w in waits)


def test_the_sdks_own_retries_retry_out_of_sight_of_the_timeline():
    result = run_scenario_sync("rate-limited", OVER.changed(retry="sdk", attempts=5))
    refused = spans_of(result, IN_FLIGHT, "429")
    assert refused and not spans_of(result, BACKOFF)  # its waits are not ours to trace


def test_retry_policies_are_checked():
    assert "kit" in RETRY_POLICIES
    with pytest.raises(SettingError, match="retry"):
        ScenarioSettings(retry="forever")
    with pytest.raises(SettingError, match="window_s"):
        ScenarioSettings(window_s=0)


def test_processes_with_one_shared_limiter_keep_one_budget():
    """Three processes, each with its own event loop and 4 calls in flight, share one limiter of
    5 requests a window: the 12 requests take three windows, where a limiter in each process (15
    a window between them) would let all 12 go at once. Judged at the client, where the limiter
    decides: on a busy machine a request it let go reaches the fake a little later, and the
    kit's retries take the rare 429 that makes."""
    shared = OVER.changed(processes=3, concurrency=4, retry="kit", client_rpm=5)
    result = run_scenario_sync("rate-limited", shared)
    assert result.failures == 0 and [r.task for r in result.outputs] == list(range(12))
    first_sends = sorted(
        min(s.start for s in spans_of(result, IN_FLIGHT) if s.task == task) for task in range(12)
    )
    # The 11th request waits for the third window: two windows (2.04 s) after the first. A
    # limiter per process would send it with the first; half that wait is a margin no load eats.
    assert first_sends[10] - first_sends[0] > 1.0
    assert len({s.pid for s in result.spans}) >= 2  # processes, not one event loop


def test_processes_without_a_limiter_go_past_the_limit():
    result = run_scenario_sync(
        "rate-limited", OVER.changed(processes=3, concurrency=4, retry="none")
    )
    assert result.failures == len(spans_of(result, IN_FLIGHT, "429")) == 7


@pytest.mark.parametrize("policy", ["sdk", "tenacity", "adaptive"])
def test_every_retry_policy_runs_in_worker_processes_too(policy):
    settings = OVER.changed(processes=2, concurrency=3, retry=policy, attempts=5)
    result = run_scenario_sync("rate-limited", settings)
    assert result.failures == 0 and len({s.pid for s in result.spans}) == 2
    assert spans_of(result, IN_FLIGHT, "429")  # they met the limit, and got through it


def test_tenacity_never_retries_a_daily_quota():
    from google.genai import errors

    from course_lib.run.scenarios.limited import _retryable

    def too_many(quota_id):
        detail = {"@type": "type.googleapis.com/google.rpc.QuotaFailure"}
        detail["violations"] = [{"quotaId": quota_id, "quotaValue": "5"}]
        return errors.ClientError(429, {"error": {"code": 429, "details": [detail]}})

    assert _retryable(too_many("GenerateRequestsPerMinutePerProjectPerModel-FreeTier"))
    assert not _retryable(too_many("GenerateRequestsPerDayPerProjectPerModel-FreeTier"))
    assert not _retryable(errors.ClientError(400, {"error": {"code": 400}}))
