"""Costs: the dated price table, the bill with a response cache, cached input and routing, the
tiers, and the simulator's bill agreeing with the bill computed from the requests."""

import pytest

from course_lib.scaling.costs import Bill, bill, is_cache_hit, price_table, request_dollars
from course_lib.scaling.simulation_settings import SimulationSettings
from course_lib.scaling.simulator import simulate
from course_lib.scaling.traffic import Request, load_trace
from course_lib.values import SettingError

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons

TEN = [Request(0.0, 1000, 100)] * 10
FLASH, LITE, PRO = "gemini-3.6-flash", "gemini-3.5-flash-lite", "gemini-3.1-pro-preview"


def test_the_table_says_where_and_when_its_prices_come_from():
    table = price_table()
    assert table["source"] == "https://ai.google.dev/gemini-api/docs/pricing"
    assert table["as_of"] == "2026-12-05"
    flash = table["models"][FLASH]
    assert (flash["input"], flash["output"], flash["cache_min_tokens"]) == (1.50, 7.50, 4096)
    assert "whats-new-gemini-3.6" in flash["source"]
    assert table["models"]["gemini-3.8-flash"]["note"] == (
        "billed at its regular price; launch price $0.75 in, $3.75 out until 2026-12-31"
    )
    assert all(m["source"] for m in table["models"].values())
    assert "gemini-3.7-flash" not in table["models"]  # no official price found: none invented
    assert set(table["tiers"]) == {"standard", "priority", "flex", "batch"}


@pytest.mark.parametrize(
    ("requests", "model", "ways", "dollars"),
    [
        (TEN, FLASH, {}, 10 * (1000 * 1.50 + 100 * 7.50) / 1e6),
        (TEN, LITE, {}, 10 * (1000 * 0.30 + 100 * 2.50) / 1e6),
        (TEN, FLASH, {"tier": "batch"}, 10 * (1000 * 1.50 + 100 * 7.50) / 2e6),
        (TEN, FLASH, {"tier": "flex"}, 10 * (1000 * 1.50 + 100 * 7.50) / 2e6),
        (TEN, FLASH, {"tier": "priority"}, 1.75 * 10 * (1000 * 1.50 + 100 * 7.50) / 1e6),
        # half of each prompt billed as cached input, at a tenth, for prompts long enough (4,096)
        ([Request(0.0, 5000, 100)], FLASH, {"cached_input_share": 0.5}, (2500 * 1.65 + 750) / 1e6),
        (TEN, FLASH, {"cached_input_share": 0.5}, 10 * (1000 * 1.50 + 100 * 7.50) / 1e6),
        ([Request(0.0, 4095, 0)], FLASH, {"cached_input_share": 1.0}, 4095 * 1.50 / 1e6),
        ([Request(0.0, 2048, 0)], "gemini-2.5-flash-lite", {"cached_input_share": 1.0}, 2048e-8),
        # a long prompt on a model priced higher over 200k tokens
        ([Request(0.0, 200_000, 100)], PRO, {}, (200_000 * 2 + 100 * 12) / 1e6),
        ([Request(0.0, 200_001, 100)], PRO, {}, (200_001 * 4 + 100 * 18) / 1e6),
    ],
)
def test_a_bill_by_hand(requests, model, ways, dollars):
    assert bill(requests, model, **ways).dollars == pytest.approx(dollars)


def test_a_bill_per_1000_and_its_default_model():
    flash = bill(TEN)
    assert isinstance(flash, Bill) and flash.by_model == ((FLASH, 10),)
    assert flash.per_1000 == pytest.approx(2.25)


def test_cache_hits_are_spread_evenly_and_never_sent():
    hits = [is_cache_hit(i, 0.25) for i in range(1000)]
    assert abs(sum(hits) - 250) <= 1 and abs(sum(hits[:100]) - 25) <= 3  # any stretch
    assert abs(bill(TEN * 10, FLASH, cache_hit_rate=0.3).sent - 70) <= 1


def test_routing_sends_short_prompts_to_the_cheaper_model():
    mixed = [Request(0.0, 100, 10), Request(0.0, 5000, 10)]
    routed = bill(mixed, PRO, cheap_model=LITE, route_below_tokens=500)
    assert routed.by_model == ((PRO, 1), (LITE, 1))  # sorted by name
    expected = request_dollars(mixed[0], LITE) + request_dollars(mixed[1], PRO)
    assert routed.dollars == pytest.approx(expected)


def test_the_simulators_bill_is_the_bill_of_what_it_sent():
    hour = load_trace("conv")[:3000]
    ways = dict(cache_hit_rate=0.2, cheap_model=LITE, route_below_tokens=500)
    run = simulate(hour, SimulationSettings(model=FLASH, **ways))
    expected = bill(hour, FLASH, cached_input_share=0.4, tier="flex", **ways)
    assert run.failed == 0 and sum(s.cached for s in run.served) == 3000 - expected.sent
    assert run.dollars("flex", cached_input_share=0.4) == pytest.approx(expected.dollars)
    assert all(s.latency_s < 0.01 for s in run.served if s.cached)  # from the cache, at once


def test_bad_choices_get_one_clear_line():
    with pytest.raises(SettingError, match="tier must be one of standard"):
        bill(TEN, tier="cheap")
    with pytest.raises(SettingError, match="model must be one of"):
        bill(TEN, "gemini-1.0-pro")
    with pytest.raises(SettingError, match="use 'gemini-3.5-flash-lite' instead"):
        bill(TEN, "gemini-2.5-flash")
    with pytest.raises(SettingError, match="cache_hit_rate"):
        bill(TEN, cache_hit_rate=1.5)
