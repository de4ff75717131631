"""The fake's quotas count as Gemini's do: per project and model, per minute and per day, with a
429 shaped like the real one. Exact, on an injected clock: nothing here really waits."""

import json
import threading

import httpx
import pytest
from google import genai
from google.genai import errors, types

from course_lib import DEFAULT_MODEL, gemini_client
from course_lib.fake import FakeGemini
from course_lib.fake.quota import Limit, Quota, Refusal
from course_lib.fake.refusals import rate_limited
from course_lib.fake.server import FakeServer
from course_lib.fake.transport import FAKE_BASE_URL, fake_router
from course_lib.fake.wire import Caller
from course_lib.rate_limits.quota_errors import message_retry_delay, retry_wait
from course_lib.rate_limits.retry import server_retry_delay
from course_lib.values import SettingError

OTHER_MODEL = "gemini-3.8-flash"
HELLO = b'{"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]}'
PER_MINUTE = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
PER_DAY = "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
TOKENS_PER_MINUTE = "GenerateContentInputTokensPerModelPerMinute-FreeTier"


class Clock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def quota_fake(clock, **settings):
    return FakeGemini(latency=0.0, error_latency_s=0.0, clock=clock, **settings)


def ask(fake, key="k", model=DEFAULT_MODEL, body=HELLO):
    """One generateContent: 200, or the 429's ``error`` object."""
    reply = fake.generate("v1", model, body, Caller(key=key))
    if reply.status == 200:
        return 200
    assert reply.status == 429, reply.chunks
    return json.loads(reply.chunks[0][1])["error"]


def detail(error, kind):
    return next(d for d in error["details"] if d["@type"].endswith(f".{kind}"))


def delay_of(error) -> float:
    """The wait the 429 states to the nanosecond: its message's (RetryInfo rounds it down)."""
    return message_retry_delay(errors.ClientError(429, {"error": error}))


def retry_info(error) -> str:
    return detail(error, "RetryInfo")["retryDelay"]


def quota_ids(error):
    return [v["quotaId"] for v in detail(error, "QuotaFailure")["violations"]]


# -- who shares a budget ---------------------------------------------------------------------------
def test_keys_of_one_project_share_its_budget_and_other_projects_have_their_own():
    fake = quota_fake(Clock(), rpm=2, project_of={"key-a": "team", "key-b": "team"})
    assert [ask(fake, "key-a"), ask(fake, "key-b")] == [200, 200]
    assert quota_ids(ask(fake, "key-a")) == [PER_MINUTE]  # key-b spent the team's second request
    assert quota_ids(ask(fake, "key-b")) == [PER_MINUTE]
    assert [ask(fake, "key-c"), ask(fake, "key-c")] == [200, 200]  # not listed: its own project
    assert ask(fake, "key-c") != 200


def test_by_default_every_key_is_its_own_project():
    fake = quota_fake(Clock(), rpm=1)
    assert [ask(fake, "key-a"), ask(fake, "key-b")] == [200, 200]
    assert ask(fake, "key-a") != 200


def test_each_model_has_its_own_budget():
    fake = quota_fake(Clock(), rpm=1, rpd=1)
    assert [ask(fake, model=DEFAULT_MODEL), ask(fake, model=OTHER_MODEL)] == [200, 200]
    error = ask(fake, model=OTHER_MODEL)
    dimensions = detail(error, "QuotaFailure")["violations"][0]["quotaDimensions"]
    assert dimensions == {"location": "global", "model": OTHER_MODEL}


@pytest.mark.parametrize(
    ("name", "version", "answering"),
    [
        ("gemini-flash-latest", "v1beta", "gemini-3.8-flash"),  # an alias
        ("gemini-2.5-flash", "v1", "gemini-3.5-flash-lite"),  # a retired name the API routes
    ],
)
def test_a_name_another_model_answers_spends_that_models_budget(name, version, answering):
    fake = quota_fake(Clock(), rpm=1)
    assert fake.generate(version, answering, HELLO, Caller("k")).status == 200
    error = fake.generate(version, name, HELLO, Caller("k"))
    assert error.status == 429
    body = json.loads(error.chunks[0][1])["error"]
    dimensions = detail(body, "QuotaFailure")["violations"][0]["quotaDimensions"]
    assert dimensions == {"location": "global", "model": answering}


def test_one_project_shared_by_keys_through_the_loopback_server():
    fake = FakeGemini(latency=0.0, error_latency_s=0.0, rpm=1, project_of={"a": "p", "b": "p"})
    with FakeServer(fake) as url:
        first, second = (genai.Client(api_key=k, http_options={"base_url": url}) for k in "ab")
        assert first.models.generate_content(model=DEFAULT_MODEL, contents="Hi").text
        with pytest.raises(errors.ClientError) as caught:
            second.models.generate_content(model=DEFAULT_MODEL, contents="Hi")
    assert caught.value.code == 429


# -- the windows, exact ----------------------------------------------------------------------------
@pytest.mark.parametrize("start", [0.0, 0.1, 12.5, 1e6 + 0.3, 123456.789])
def test_a_retry_after_exactly_the_advertised_delay_is_admitted_and_not_a_ms_before(start):
    clock = Clock(start)
    fake = quota_fake(clock, rpm=2)
    assert ask(fake) == 200
    clock.now = start + 0.7
    assert ask(fake) == 200
    clock.now = start + 1.3
    refused = ask(fake)
    delay = delay_of(refused)
    assert delay == pytest.approx(58.7) and retry_info(refused) == "58s"  # rounded down
    clock.now = start + 1.3 + 58.0  # RetryInfo's whole seconds: too early
    assert ask(fake) != 200
    clock.now = start + 1.3 + delay - 0.001
    assert ask(fake) != 200
    clock.now = start + 1.3 + delay
    assert ask(fake) == 200


def test_requests_per_minute_slide_with_a_shortened_minute():
    quota = Quota(rpm=3, window_s=6.0)
    assert [quota.admit("p", 1, t) for t in (0.0, 1.0, 2.0)] == [None, None, None]
    assert quota.admit("p", 1, 3.0) == 3.0  # the request at 0 leaves at 6
    assert quota.admit("p", 1, 6.0) is None
    assert quota.admit("p", 1, 6.5) == 0.5  # now the one at 1 is the oldest


def test_input_tokens_per_minute_wait_for_enough_tokens_to_leave():
    quota = Quota(tpm=100)
    assert quota.admit("p", 60, 0.25) is None
    assert quota.admit("p", 30, 5.0) is None
    refused = quota.take("p", "", 30, 6.0)  # admit() counts against model ""
    assert refused == Refusal(pytest.approx(54.25), (Limit("tpm", 100),))
    assert quota.admit("p", 30, 6.0 + refused.wait) is None
    assert quota.admit("p", 101, 70.0) == 60.0  # more than a minute's budget never fits


def test_tokens_refusal_names_the_input_token_metric():
    fake = quota_fake(Clock(), tpm=10)
    error = ask(fake, body=json.dumps({"contents": [{"parts": [{"text": "word " * 40}]}]}).encode())
    (violation,) = detail(error, "QuotaFailure")["violations"]
    assert violation["quotaId"] == TOKENS_PER_MINUTE
    assert violation["quotaMetric"].endswith("generate_content_free_tier_input_token_count")
    assert violation["quotaValue"] == "10"


def test_rejected_requests_cost_nothing():
    quota = Quota(rpm=1, tpm=50, rpd=2, day_s=600.0)
    assert quota.admit("p", 50, 0.0) is None
    for t in range(1, 60):
        assert quota.admit("p", 50, float(t)) == 60.0 - t  # refusals neither count nor move it
    assert quota.admit("p", 50, 60.0) is None
    assert quota.take("p", "", 1, 200.0).limits == (Limit("rpd", 2),)


def test_a_shortened_day_starts_at_the_first_request_and_resets_on_time():
    clock = Clock(3.0)
    fake = quota_fake(clock, rpd=2, day_s=10.0)
    assert ask(fake, "other-project") == 200  # the first request: the day runs from 3 to 13
    clock.now = 4.0
    assert [ask(fake), ask(fake)] == [200, 200]
    clock.now = 5.5
    error = ask(fake)
    assert quota_ids(error) == [PER_DAY] and delay_of(error) == 7.5 and retry_info(error) == "7s"
    assert f"limit: 2, model: {DEFAULT_MODEL}\nPlease retry in 7.5s." in error["message"]
    clock.now = 13.0 - 0.001
    assert ask(fake) != 200
    clock.now = 13.0
    assert [ask(fake), ask(fake)] == [200, 200]
    clock.now = 22.999  # still the second day
    assert ask(fake) != 200
    clock.now = 23.0 + 25.0  # days go by unused: the fifth day ends at 53
    assert [ask(fake), ask(fake)] == [200, 200]
    assert delay_of(ask(fake)) == pytest.approx(5.0)


def test_a_request_over_both_limits_lists_both_and_waits_for_the_later():
    clock = Clock()
    fake = quota_fake(clock, rpm=1, rpd=1, day_s=100.0)
    assert ask(fake) == 200
    clock.now = 1.0
    error = ask(fake)
    assert quota_ids(error) == [PER_MINUTE, PER_DAY]
    assert delay_of(error) == 99.0  # a client that reads the per-day id knows to stop instead


def test_one_budget_however_many_threads_ask_at_once():
    quota = Quota(rpm=50)
    admitted = []

    def hammer():
        admitted.extend(quota.admit("p", 1, 0.0) is None for _ in range(20))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert admitted.count(True) == 50


# -- the 429 as the SDK sees it --------------------------------------------------------------------
def test_the_sdk_sees_a_429_shaped_like_the_real_one():
    clock = Clock()
    client = gemini_client(fake=quota_fake(clock, rpm=2))
    client.models.generate_content(model=DEFAULT_MODEL, contents="Hello")
    clock.now = 0.25
    client.models.generate_content(model=DEFAULT_MODEL, contents="Hello")
    clock.now = 14.162093073  # the first call leaves the window at 60 s
    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model=DEFAULT_MODEL, contents="Hello")
    error = caught.value
    assert (error.code, error.status) == (429, "RESOURCE_EXHAUSTED")
    body = error.details["error"]
    assert body["message"].startswith("You exceeded your current quota, please check your plan")
    assert (
        "* Quota exceeded for metric: generativelanguage.googleapis.com/"
        f"generate_content_free_tier_requests, limit: 2, model: {DEFAULT_MODEL}\n"
        "Please retry in 45.837906927s." in body["message"]
    )
    kinds = [d["@type"].rsplit(".", 1)[1] for d in body["details"]]
    assert kinds == ["QuotaFailure", "Help", "RetryInfo"]
    assert detail(body, "QuotaFailure")["violations"] == [
        {
            "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
            "quotaId": PER_MINUTE,
            "quotaDimensions": {"location": "global", "model": DEFAULT_MODEL},
            "quotaValue": "2",
        }
    ]
    assert detail(body, "Help")["links"][0]["url"].startswith("https://ai.google.dev/")
    assert detail(body, "RetryInfo")["retryDelay"] == "45s"  # whole seconds, rounded down
    assert server_retry_delay(error) == 45.0
    saved = clock.now
    clock.now += server_retry_delay(error)  # too early
    with pytest.raises(errors.ClientError):
        client.models.generate_content(model=DEFAULT_MODEL, contents="Hello")
    clock.now = saved + retry_wait(error)  # the message's 45.837906927 s, and a little more
    assert client.models.generate_content(model=DEFAULT_MODEL, contents="Hello").text


def test_the_429_has_no_retry_after_header():
    fake = quota_fake(Clock(), rpm=1)
    with httpx.Client(transport=httpx.MockTransport(fake_router(fake).handler)) as http:
        url = f"{FAKE_BASE_URL}/v1/models/{DEFAULT_MODEL}:generateContent"
        replies = [http.post(url, content=HELLO, headers={"x-goog-api-key": "k"}) for _ in "ab"]
    assert [r.status_code for r in replies] == [200, 429]
    assert "retry-after" not in replies[1].headers


def test_an_sdk_client_with_its_own_key_counts_against_its_project():
    clock = Clock()
    fake = quota_fake(clock, rpm=1, project_of={"mine": "course", "yours": "course"})

    def client(key):
        http = httpx.Client(transport=httpx.MockTransport(fake_router(fake).handler))
        options = types.HttpOptions(base_url=FAKE_BASE_URL, httpx_client=http)
        return genai.Client(api_key=key, http_options=options)

    mine, yours = client("mine"), client("yours")
    assert mine.models.generate_content(model=DEFAULT_MODEL, contents="Hi").text
    with pytest.raises(errors.ClientError) as caught:
        yours.models.generate_content(model=DEFAULT_MODEL, contents="Hi")
    assert server_retry_delay(caught.value) == 60.0


@pytest.mark.parametrize(
    ("wait", "whole", "exact", "said"),
    [
        (58.0, "58s", "58s", "58s"),
        (47.5, "47s", "47.500s", "47.5s"),
        (0.9002, "0s", "0.900200s", "900.2ms"),  # recorded: "Please retry in 900.2ms."
        (34_833.0, "34833s", "34833s", "9h40m33s"),  # recorded: a daily quota's "9h40m33s"
        (1e-12, "0s", "0.000000001s", "1ns"),
    ],
)
def test_retry_info_is_rounded_down_and_the_message_has_the_fraction(wait, whole, exact, said):
    """As recorded real 429s show it (RetryInfo whole seconds, the message Go's duration);
    ``exact`` is the other shape, rounded up to the nanosecond."""
    for shape, delay in ((True, whole), (False, exact)):
        reply = rate_limited(Refusal(wait, (Limit("rpm", 5),)), "m", 0.0, whole_seconds=shape)
        error = json.loads(reply.chunks[0][1])["error"]
        assert detail(error, "RetryInfo")["retryDelay"] == delay
        assert error["message"].endswith(f"Please retry in {said}.")


def test_the_other_shape_of_retry_info_is_a_setting():
    clock = Clock()
    fake = quota_fake(clock, rpm=1, retry_delay_format="exact")
    assert ask(fake) == 200
    clock.now = 12.5
    assert retry_info(ask(fake)) == "47.500s"


# -- bad settings ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"rpd": -1}, "rpd must be a whole number of requests per day, from 1"),
        ({"rpd": 2.5}, "rpd must be a whole number of requests per day"),
        ({"day_s": 0}, "day_s must be a number of seconds, more than 0"),
        ({"project_of": "x"}, "project_of must be a dict from API key to project name"),
        ({"project_of": {"key": 3}}, "or None for one project per key (got {'key': 3})"),
        ({"project_of": {"": "team"}}, "(non-empty strings)"),
    ],
)
def test_bad_quota_settings_get_one_clear_line(settings, says):
    with pytest.raises(SettingError) as caught:
        FakeGemini(**settings)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_a_quota_forgets_projects_with_nothing_left_to_count_and_keeps_the_rest():
    """A room's server meets a budget per key; a script of random keys must not grow them for
    good. Past MAX_BUDGETS, budgets whose window is empty (and, under a daily limit, that
    counted nothing today) are forgotten: forgetting them changes no answer."""
    from course_lib.fake.quota import MAX_BUDGETS

    quota = Quota(rpm=5, window_s=1.0)
    for k in range(MAX_BUDGETS):
        assert quota.admit(f"old-{k}", 1, now=0.0) is None
    assert quota.admit("new", 1, now=5.0) is None  # the old ones' windows have passed
    assert len(quota._budgets) == 1
    assert all(quota.admit("old-1", 1, now=5.0) is None for _ in range(5))  # as if never seen
    assert quota.admit("old-1", 1, now=5.0) is not None

    daily = Quota(rpm=5, window_s=1.0, rpd=3)
    for k in range(MAX_BUDGETS):
        daily.admit(f"old-{k}", 1, now=0.0)
    daily.admit("new", 1, now=5.0)  # each old one counted a call today: all kept
    assert len(daily._budgets) == MAX_BUDGETS + 1
    assert daily.admit("old-1", 1, now=6.0) is None and daily.admit("old-1", 1, now=7.0) is None
    assert daily.admit("old-1", 1, now=8.0) == Refusal(86_392.0, (Limit("rpd", 3),)).wait
    daily.admit("newer", 1, now=9.0)  # no second look until twice as many: O(1) a new project
    assert daily._forget_at == 2 * MAX_BUDGETS
