"""Every bad value gets one clear line, the same wherever it is given, before anything runs."""

import pytest

from course_lib import Jittered, ScenarioSettings, gemini_client, use_fake
from course_lib.fake import FakeGemini, TokenRate
from course_lib.run.runner import run_scenario_sync
from course_lib.values import SettingError


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: use_fake(rpm=0), "rpm must be a whole number of requests per minute, from 1"),
        (lambda: use_fake(rpm=True), "rpm must be a whole number"),
        (lambda: use_fake(latency=-1), "latency must be a number of seconds, from 0 to 600"),
        (lambda: use_fake(latency="slow"), "latency must be a number of seconds"),
        (lambda: use_fake(latency=float("inf")), "(got inf)"),
        (lambda: use_fake(failure_rate=2), "failure_rate must be a number, from 0 to 1"),
        (lambda: use_fake(tpm=-5), "tpm must be a whole number of tokens per minute"),
        (lambda: use_fake(seed="x"), "seed must be a whole number"),
        (lambda: use_fake(latencyy=1), "use_fake has no setting 'latencyy'; choose from latency"),
        (lambda: FakeGemini(window_s=0), "window_s must be a number of seconds, more than 0"),
        (lambda: Jittered(1.0, -0.5), "jitter must be a number of seconds, from 0"),
        (lambda: Jittered(1.0, 0.5, "gaussian"), "distribution must be one of uniform, lognormal"),
        (
            lambda: TokenRate(0.2, 0),
            "tokens_per_s must be a number of tokens per second, more than 0",
        ),
        (lambda: gemini_client(timeout_s=float("nan")), "timeout_s must be a number of seconds"),
        (lambda: gemini_client(timeout_s=float("inf")), "(got inf)"),
        (lambda: gemini_client(timeout_s="5"), "(got '5')"),
        (
            lambda: gemini_client(timeout_s=-1),
            "more than 0 and at most 3600, or None for no timeout (got -1)",
        ),
        (lambda: gemini_client(timeout_s=0), "more than 0"),  # 0 meant "no timeout", silently
        (
            lambda: run_scenario_sync("concurrent", [1, 2]),
            "settings must be a ScenarioSettings(...), not list",
        ),
        (
            lambda: run_scenario_sync("concurrent", "fast"),
            "settings must be a ScenarioSettings(...), not str",
        ),
        (lambda: run_scenario_sync("concurrent", concurency=3), "no setting 'concurency'"),
        (
            lambda: ScenarioSettings(jitter=2.0),
            "jitter (2) cannot be larger than the latency (0.5)",
        ),
    ],
)
def test_bad_values_get_one_line_that_says_what_is_allowed(make, says):
    with pytest.raises(SettingError) as caught:
        make()
    message = str(caught.value)
    assert says in message and "\n" not in message


def test_the_same_mistake_gets_the_same_message_everywhere():
    def message(make):
        with pytest.raises(SettingError) as caught:
            make()
        return str(caught.value)

    assert message(lambda: ScenarioSettings(rpm=0)) == message(lambda: use_fake(rpm=0))
    assert message(lambda: ScenarioSettings(failure_rate=-1)).startswith(
        "failure_rate must be a number"
    )


def test_a_notebook_shows_a_bad_value_as_one_line():
    error = SettingError("latency must be a number of seconds (got 'x')")
    assert error._render_traceback_() == [
        "SettingError: latency must be a number of seconds (got 'x')"
    ]
