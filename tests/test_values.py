"""Every bad value gets one clear line, the same wherever it is given, before anything runs.

The first test walks the table of limits (``course_lib.ranges.RANGES``): for every entry and
every place that takes it, it gives a value just below and just above the range and one of a
wrong type, and checks that the table's own message comes out, everywhere alike.
"""

import asyncio
import inspect
import math
from dataclasses import fields, is_dataclass

import pytest
from google.genai import types

from course_lib import DEFAULT_MODEL, Jittered, ScenarioSettings, gemini_client, use_fake
from course_lib.agents import SearchTool
from course_lib.cli import _OPTIONS, flag, main
from course_lib.cli_serve import DEFAULTS as SERVE_OPTIONS
from course_lib.client.live import budget_from_environment, live_rpm
from course_lib.cluster import ClusterLimits
from course_lib.fake import FakeGemini, Fixed, TokenRate
from course_lib.fake.wire import Caller
from course_lib.ranges import RANGES, SEED, check_fields, nth_seed, reader
from course_lib.rate_limits import (
    AIMDLimiter,
    RateLimiter,
    RetryBudget,
    call_with_retries,
    call_with_retries_sync,
)
from course_lib.run.runner import run_scenario_sync
from course_lib.scaling import (
    Request,
    Simulated,
    SimulationSettings,
    bill,
    load_trace,
    poisson,
    simulate,
)
from course_lib.scaling.costs import price_table
from course_lib.values import Range, SettingError, got

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons

REQUESTS = [Request(0.0, 100, 10)]


async def _answer():
    return "answer"


def _cli(name, value):
    """The command line takes text: give it the value as a learner would type it."""
    if main(["compare", flag(name), str(value)]) == 2:
        return
    raise AssertionError(f"--{name} {value} was accepted")


def _serve(name, value):
    """``python -m course_lib serve``: refused before it listens (accepted, it would serve)."""
    briefly = [] if name == "minutes" else ["--minutes", "0.0001"]
    if main(["serve", flag(name), str(value), *briefly]) == 2:
        return
    raise AssertionError(f"serve --{name} {value} was accepted")


def _environment(monkeypatch):
    def give(name, value):
        monkeypatch.setenv(name, str(value))
        (budget_from_environment if name == "COURSE_LIVE_BUDGET" else live_rpm)()

    return give


#: Each place a learner gives a value: (how to give ``name=value`` there, the table's names it
#: takes). A dataclass's or function's own parameters are read from it, so a new parameter
#: that the table lacks fails ``test_every_parameter_a_learner_sets_is_in_the_table``.
SITES = {
    "ScenarioSettings": (lambda n, v: ScenarioSettings(**{n: v}), ScenarioSettings),
    "run_scenario": (lambda n, v: run_scenario_sync("concurrent", **{n: v}), ScenarioSettings),
    "command line": (_cli, set(_OPTIONS)),
    "serve": (_serve, set(SERVE_OPTIONS)),
    "use_fake": (lambda n, v: use_fake(**{n: v}), FakeGemini),
    "FakeGemini": (lambda n, v: FakeGemini(**{n: v}), FakeGemini),
    "Fixed": (lambda n, v: Fixed(**{n: v}), Fixed),
    "Jittered": (lambda n, v: Jittered(**{"mean": 1.0, "jitter": 0.5, n: v}), Jittered),
    "TokenRate": (
        lambda n, v: TokenRate(**{"first_token_s": 0.1, "tokens_per_s": 10.0, n: v}),
        TokenRate,
    ),
    "gemini_client": (lambda n, v: gemini_client(**{n: v}), gemini_client),
    "RateLimiter": (lambda n, v: RateLimiter(**{"rpm": 5, n: v}), RateLimiter),
    "RateLimiter.shared": (lambda n, v: RateLimiter.shared(**{"rpm": 5, n: v}), RateLimiter.shared),
    "RateLimiter.acquire_sync": (lambda n, v: RateLimiter(5).acquire_sync(v), {"tokens"}),
    "call_with_retries_sync": (
        lambda n, v: call_with_retries_sync(lambda: "answer", **{n: v}),
        call_with_retries_sync,
    ),
    "call_with_retries": (
        lambda n, v: asyncio.run(call_with_retries(_answer, **{n: v})),
        call_with_retries,
    ),
    "RetryBudget": (lambda n, v: RetryBudget(**{n: v}), RetryBudget),
    "AIMDLimiter": (lambda n, v: AIMDLimiter(**{n: v}), AIMDLimiter),
    "ClusterLimits": (lambda n, v: ClusterLimits(**{n: v}), ClusterLimits),
    "SimulationSettings": (lambda n, v: SimulationSettings(**{n: v}), SimulationSettings),
    "bill": (lambda n, v: bill(REQUESTS, **{n: v}), bill),
    "Simulated.dollars": (lambda n, v: simulate(REQUESTS).dollars(**{n: v}), Simulated.dollars),
    "load_trace": (lambda n, v: load_trace(v), {"trace"}),
    "poisson": (
        lambda n, v: poisson(**{"rate": 1.0, "count": 1, "mean_service_s": 1.0, n: v}),
        poisson,
    ),
    "SearchTool": (lambda n, v: SearchTool(**{n: v}), SearchTool),
    "WhatIf": (lambda n, v: _whatif(**{n: v}), {"model", "cheap_model"}),
}
#: Parameters that are not values a learner sets: what to call, clocks, sleeps, the data.
NOT_SETTINGS = {"call", "clock", "sleep", "async_sleep", "log", "name", "requests", "self"}


def _whatif(**given):
    from course_lib.view import WhatIf

    return WhatIf(REQUESTS, **given)


def _names(where):
    """The table's names a site takes: its dataclass fields or parameters, less the others."""
    if isinstance(where, set):
        return where
    if is_dataclass(where):
        found = {f.name for f in fields(where) if f.init}
    else:
        found = set(inspect.signature(where).parameters)
    return found - NOT_SETTINGS


def bad_values(known: Range) -> list:
    """Just below and just above the range, a wrong type, and None where None means nothing."""
    if known.kind in ("whole", "number"):
        step = 1 if known.kind == "whole" else 1e-6
        wrong = [known.low - step if not known.above_low else known.low, "x"]
        if known.high is not None:
            wrong.append(known.high + step if not known.below_high else known.high)
        if known.kind == "whole":
            wrong += [1.5, True]  # True is an int in Python, not a number a learner means
        else:
            wrong += [math.inf, math.nan]
    else:
        wrong = {
            "choice": ["nope", 5],
            "flag": ["yes", 1],
            "texts": ["one-string", [""], [3]],
            "text_map": ["x", {"key": 3}, {"": "project"}],
            "url": ["not a url", "ftp://example.com", "http://", 5],
            "object": ["x", 5],
        }[known.kind]
    return wrong + ([] if known.none else [None])


def _typed(value):
    """Whether the command line and the environment can give ``value``: they give text."""
    return isinstance(value, str) or (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    )


def _message(name, value):
    return f"{name} must be {RANGES[name].message} (got {got(value)})"


CASES = [
    (site, name, value)
    for site, (_, where) in SITES.items()
    for name in sorted(_names(where) & set(RANGES))
    for value in bad_values(RANGES[name])
    if site not in ("command line", "serve") or _typed(value)
]


@pytest.mark.parametrize(("site", "name", "value"), CASES, ids=str)
def test_every_bad_value_gets_the_table_s_message_wherever_it_is_given(
    site, name, value, capsys, monkeypatch
):
    give = SITES[site][0]
    if site in ("command line", "serve"):  # it reads the text as its kind, as typed
        give(name, value)
        assert capsys.readouterr().err == f"error: {_message(name, reader(name)(str(value)))}\n"
        return
    with pytest.raises(SettingError) as caught:
        give(name, value)
    assert str(caught.value) == _message(name, value)


@pytest.mark.parametrize("name", ["COURSE_LIVE_BUDGET", "COURSE_LIVE_RPM"])
def test_the_environment_s_values_get_the_table_s_message(name, monkeypatch):
    give = _environment(monkeypatch)
    known = RANGES[name]
    for value in (known.low - 1, known.high + 1, "x"):
        with pytest.raises(SettingError) as caught:
            give(name, value)
        assert str(caught.value) == _message(name, value)


def test_the_lessons_model_from_the_environment_is_a_current_one(monkeypatch):
    """setup() checks COURSE_MODEL (read at import): the table's line, or what to use instead."""
    from course_lib.client import session
    from course_lib.config import model_from_environment

    for value, said in [
        ("nope", _message("COURSE_MODEL", "nope")),
        ("gemini-2.5-pro", "COURSE_MODEL 'gemini-2.5-pro' was shut down on 2026-12-01 (the API "
         "now answers it with gemini-3.8-flash): use 'gemini-3.8-flash' instead"),
    ]:  # fmt: skip
        monkeypatch.setenv("COURSE_MODEL", value)
        monkeypatch.setattr(session, "DEFAULT_MODEL", model_from_environment())  # as if imported
        with pytest.raises(SettingError) as caught:
            session.setup()
        assert str(caught.value) == said
    monkeypatch.setenv("COURSE_MODEL", "gemini-3.8-flash")
    monkeypatch.setattr(session, "DEFAULT_MODEL", model_from_environment())
    assert "as gemini-3.8-flash" in session.setup()


def test_every_entry_of_the_table_is_taken_somewhere_and_every_setting_is_in_the_table():
    taken = {name for _, where in SITES.values() for name in _names(where)}
    environment = {"COURSE_LIVE_BUDGET", "COURSE_LIVE_RPM", "COURSE_MODEL"}
    panel_only = {"routed_share", "offline_share"}  # the what-if panel's own sliders
    assert set(RANGES) - taken == environment | panel_only
    assert taken - set(RANGES) == set()


def test_a_field_the_table_lacks_is_refused_loudly():
    from dataclasses import dataclass

    @dataclass
    class Lesson09Settings:
        prompts: int = 1
        warp_factor: int = 9

    with pytest.raises(LookupError, match="warp_factor is not in course_lib.ranges.RANGES"):
        check_fields(Lesson09Settings())


# -- what was accepted, or failed late, and now fails at once with one line -----------------------
@pytest.mark.parametrize(
    "bad", [{"attempts": 0}, {"attempts": -1}, {"attempts": 1.5}, {"budget": "x"}]
)
def test_the_retries_refuse_a_bad_setting_before_the_first_attempt(bad):
    calls = []

    async def call():
        calls.append(1)
        return "answer"

    with pytest.raises(SettingError, match=f"^{next(iter(bad))} must be "):
        call_with_retries_sync(lambda: calls.append(1), **bad)
    with pytest.raises(SettingError, match=f"^{next(iter(bad))} must be "):
        asyncio.run(call_with_retries(call, **bad))
    assert calls == []  # attempts=0 used to run once; budget="x" failed at the first retry


def test_keys_are_a_list_and_a_key_matches_only_as_a_whole():
    with pytest.raises(SettingError) as caught:
        use_fake(keys="secret-key")  # a string: every piece of it used to be a valid key
    assert str(caught.value) == (
        "keys must be a list of API keys (non-empty strings), e.g. ['my-key'], "
        "or None for any key (got 'secret-key')"
    )
    fake = FakeGemini(latency=0.0, keys=["secret-key"])
    body = b'{"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]}'
    assert fake.generate("v1", DEFAULT_MODEL, body, Caller(key="secret-key")).status == 200
    assert fake.generate("v1", DEFAULT_MODEL, body, Caller(key="secret")).status == 400


def test_a_simulation_and_a_bill_take_only_models_the_price_table_prices():
    priced = ", ".join(price_table()["models"])
    for make in (
        lambda name: SimulationSettings(model=name),
        lambda name: SimulationSettings(cheap_model=name),
        lambda name: bill(REQUESTS, name),
    ):
        with pytest.raises(SettingError, match=r"^(cheap_)?model must be one of gemini-3.6-flash,"):
            make("nope")  # not a model at all: the table's message, as ScenarioSettings says
        with pytest.raises(SettingError, match=r"^(cheap_)?model 'gemini-2.5-flash' was shut down"):
            make("gemini-2.5-flash")  # retired: what to use instead
        with pytest.raises(SettingError) as caught:
            make("gemini-3.7-flash")  # a current model the fake serves, with no official price
        assert str(caught.value).endswith(
            f"must be a model with a price in course_lib.catalogue: {priced} "
            "(got 'gemini-3.7-flash')"
        )
    assert simulate(REQUESTS, SimulationSettings(model="gemini-3.1-pro-preview")).dollars() > 0


def test_the_simulator_s_retry_is_a_policy_name_it_simulates():
    assert SimulationSettings(retry="none").retry == "none"
    with pytest.raises(SettingError, match=r"^retry must be one of none, kit, .* \(got False\)$"):
        SimulationSettings(retry=False)  # it was a bool: the run's retry is a policy name
    with pytest.raises(SettingError) as caught:
        SimulationSettings(retry="sdk")
    assert str(caught.value) == (
        "retry must be 'kit' or 'none' in a simulation: it runs the kit's retries or none "
        "(got 'sdk')"
    )


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"fake": "fake"}, "fake must be a FakeGemini, or None for the one use_fake set"),
        ({"base_url": "not a url"}, "base_url must be an http:// or https:// URL with a host"),
        ({"base_url": "localhost:8000"}, "(got 'localhost:8000')"),
        ({"base_url": "http://"}, "(got 'http://')"),
        ({"base_url": "http://127.0.0.1:port"}, "(got 'http://127.0.0.1:port')"),
        ({"retry_options": 3}, "retry_options must be a HttpRetryOptions, or None"),
        ({"live": "yes"}, "live must be True or False, or None for COURSE_LIVE to decide"),
    ],
)
def test_gemini_client_refuses_a_bad_argument_when_called_not_at_the_first_call(given, says):
    with pytest.raises(SettingError) as caught:
        gemini_client(**given)
    assert says in str(caught.value) and str(caught.value).startswith(next(iter(given)))


def test_gemini_client_takes_a_loopback_url_and_the_sdk_s_retries():
    gemini_client(base_url="http://127.0.0.1:9", retry_options=types.HttpRetryOptions(attempts=2))


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: RateLimiter(None), "RateLimiter needs rpm: a whole number of requests per minute"),
        (lambda: TokenRate(0.1, None), "TokenRate needs tokens_per_s: a number of tokens per s"),
        (lambda: SimulationSettings(tokens_per_s=None), "SimulationSettings needs tokens_per_s"),
        (lambda: AIMDLimiter(5, max_limit=4), "limit must be from min_limit (1) to max_limit (4)"),
        (lambda: AIMDLimiter(3, min_limit=4, max_limit=2), "min_limit (4) cannot be more than"),
        (
            lambda: ScenarioSettings(jitter=2.0),
            "jitter (2) cannot be larger than the latency (0.5)",
        ),
        (lambda: RateLimiter(5, tpm=10).acquire_sync(11), "a request of 11 tokens can never fit"),
        (lambda: simulate([]), "simulate needs at least one request"),
        (lambda: simulate(REQUESTS, {"concurrency": 2}), "settings must be a SimulationSettings"),
        (lambda: run_scenario_sync("concurrent", [1, 2]), "settings must be a ScenarioSettings"),
        (
            lambda: run_scenario_sync("concurrent", concurency=3),
            "ScenarioSettings has no setting 'concurency'",
        ),
        (lambda: use_fake(latencyy=1), "use_fake has no setting 'latencyy'; choose from latency"),
    ],
)
def test_a_value_wrong_only_beside_another_gets_one_line_too(make, says):
    with pytest.raises(SettingError) as caught:
        make()
    assert str(caught.value).startswith(says) and "\n" not in str(caught.value)


def test_whole_numbers_are_written_whole_in_every_message():
    with pytest.raises(SettingError, match=r"from 0 to 4294967295 \(got -1\)$"):
        ScenarioSettings(seed=-1)
    assert not [name for name, known in RANGES.items() if "e+" in known.message]


def test_a_run_seeded_at_the_top_of_the_range_still_seeds_each_call_s_retries():
    assert nth_seed(SEED, 0) == SEED and nth_seed(SEED, 1) == 0 and nth_seed(5, 2) == 7
    result = run_scenario_sync("concurrent", prompts=6, latency=0.01, failure_rate=0.5, seed=SEED)
    assert len(result.outputs) == 6 and max(o.attempts for o in result.outputs) > 1


def test_the_panels_sliders_stay_inside_the_table():
    from course_lib.view import WhatIf
    from course_lib.view.controls import CONTROLS, ZERO_IS_NONE

    def inside(name, slider, zero_is_none):
        known = RANGES[name]
        if hasattr(slider, "options"):  # a dropdown
            return set(slider.options) <= set(known.options)
        low_ok = (slider.min == 0 and zero_is_none and known.none) or known.accepts(slider.min)
        return low_ok and known.accepts(slider.max)

    defaults = ScenarioSettings()
    for name, make in CONTROLS.items():
        start = getattr(defaults, name)
        slider = make(0 if name in ZERO_IS_NONE and start is None else start)
        assert inside(name, slider, name in ZERO_IS_NONE), f"the {name} slider"
    panel = WhatIf(REQUESTS)
    for key, slider in panel.sliders.items():
        assert inside(WhatIf.SETS[key], slider, key in ("rpm", "tpm")), f"the what-if {key} slider"
    # the what-if panel paces all projects together: rpm x projects must be a client_rpm too
    most = panel.sliders["rpm"].max * panel.sliders["projects"].max
    assert RANGES["client_rpm"].accepts(most)


def test_the_table_s_choices_match_the_data_they_name():
    assert RANGES["tier"].options == tuple(price_table()["tiers"])
    assert all(len(load_trace(name)) > 1000 for name in RANGES["trace"].options)


def test_a_notebook_shows_a_bad_value_as_one_line():
    error = SettingError("latency must be a number of seconds (got 'x')")
    assert error._render_traceback_() == [
        "SettingError: latency must be a number of seconds (got 'x')"
    ]
