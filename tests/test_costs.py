"""Costs: the dated price table, the bill with a response cache, cached input and routing, the
tiers, and the simulator's bill agreeing with the bill computed from the requests."""

import pytest

from course_lib.scaling.costs import Bill, bill, is_cache_hit, price_table, request_dollars
from course_lib.scaling.simulator import SimulationSettings, simulate
from course_lib.scaling.traffic import Request, load_trace
from course_lib.values import SettingError

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons

TEN = [Request(0.0, 1000, 100)] * 10


def test_the_table_says_where_and_when_its_prices_come_from():
    table = price_table()
    assert table["source"].startswith("https://ai.google.dev/") and table["as_of"] == "2026-09"
    flash = table["models"]["gemini-2.5-flash"]
    assert (flash["input"], flash["output"], flash["cache_min_tokens"]) == (0.30, 2.50, 2048)
    assert set(table["tiers"]) == {"standard", "priority", "flex", "batch"}


def test_a_bill_by_hand():
    flash = bill(TEN, "gemini-2.5-flash")
    assert isinstance(flash, Bill) and flash.dollars == pytest.approx(10 * (300 + 250) / 1e6)
    assert flash.per_1000 == pytest.approx(0.55)
    # half of each prompt billed as cached input, at a tenth: prompts long enough to be cached
    long = [Request(0.0, 4000, 100)] * 10
    cached = bill(long, "gemini-2.5-flash", cached_input_share=0.5)
    assert cached.dollars == pytest.approx(10 * (600 + 60 + 250) / 1e6)
    assert bill(TEN, "gemini-2.5-flash", cached_input_share=0.5).dollars == flash.dollars
    assert bill(TEN, "gemini-2.5-flash", tier="batch").dollars == pytest.approx(flash.dollars / 2)
    assert bill(TEN, "gemini-2.5-flash", tier="priority").dollars > flash.dollars


def test_cache_hits_are_spread_evenly_and_never_sent():
    hits = [is_cache_hit(i, 0.25) for i in range(1000)]
    assert abs(sum(hits) - 250) <= 1 and abs(sum(hits[:100]) - 25) <= 3  # any stretch
    assert abs(bill(TEN * 10, "gemini-2.5-flash", cache_hit_rate=0.3).sent - 70) <= 1


def test_routing_sends_short_prompts_to_the_cheaper_model():
    mixed = [Request(0.0, 100, 10), Request(0.0, 5000, 10)]
    routed = bill(
        mixed, "gemini-2.5-pro", cheap_model="gemini-2.5-flash-lite", route_below_tokens=500
    )
    assert routed.by_model == (("gemini-2.5-flash-lite", 1), ("gemini-2.5-pro", 1))
    expected = request_dollars(mixed[0], "gemini-2.5-flash-lite") + request_dollars(
        mixed[1], "gemini-2.5-pro"
    )
    assert routed.dollars == pytest.approx(expected)


def test_the_simulators_bill_is_the_bill_of_what_it_sent():
    hour = load_trace("conv")[:3000]
    ways = dict(cache_hit_rate=0.2, cheap_model="gemini-2.5-flash-lite", route_below_tokens=500)
    run = simulate(hour, SimulationSettings(model="gemini-2.5-flash", **ways))
    expected = bill(hour, "gemini-2.5-flash", cached_input_share=0.4, tier="flex", **ways)
    assert run.failed == 0 and sum(s.cached for s in run.served) == 3000 - expected.sent
    assert run.dollars("flex", cached_input_share=0.4) == pytest.approx(expected.dollars)
    assert all(s.latency_s < 0.01 for s in run.served if s.cached)  # from the cache, at once


def test_bad_choices_get_one_clear_line():
    with pytest.raises(SettingError, match="tier must be one of standard"):
        bill(TEN, tier="cheap")
    with pytest.raises(SettingError, match="model must be one of"):
        bill(TEN, "gemini-1.0-pro")
    with pytest.raises(SettingError, match="cache_hit_rate"):
        bill(TEN, cache_hit_rate=1.5)
