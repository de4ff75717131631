"""Lesson 07's pieces: its exercise checks (right and wrong), the what-if panel, the pictures,
and one event loop's calls per second measured for real."""

import asyncio
import random
import re
import threading

import pytest

from course_lib import pool_tasks
from course_lib.catalogue import CHEAP_MODEL, DEFAULT_MODEL
from course_lib.exercises import IN_FLIGHT, LIMITS, check_bill, check_plan
from course_lib.exercises.lesson07 import _simulated, first_20_minutes
from course_lib.fake import FakeGemini
from course_lib.pool_tasks import calls_on_one_loop, fake_in_its_own_process
from course_lib.scaling.costs import is_cache_hit, price_table
from course_lib.scaling.simulation_settings import SimulationSettings
from course_lib.scaling.simulator import SimulationStopped, simulate
from course_lib.scaling.traffic import load_trace
from course_lib.view.scale import (
    LEGEND_LINE_PX,
    LINES,
    TITLE_PX,
    queue_figure,
    summary,
    traffic_figure,
)
from course_lib.view.whatif import WhatIf
from tests.conftest import until
from tests.helpers_scenario import max_overlap


def plan(requests, target):
    """The lesson's solution, with the check's own cache of simulations of the trace's first
    minutes (the check gives those: a simulation of 20 minutes takes 1.6 s here)."""

    def meets(in_flight, rpm):
        run = _simulated(in_flight, rpm, round(requests[-1].arrival_s / 60))
        return run.failed == 0 and run.percentile("latency_s", 95) <= target

    rpm = next(r for r in LIMITS if meets(max(IN_FLIGHT), r))
    return next(c for c in IN_FLIGHT if meets(c, rpm)), rpm


@pytest.mark.beside_lessons  # simulated on a virtual clock: no timing
def test_check_plan_right_and_wrong():
    assert check_plan(plan)
    assert "so does 600/min" in str(check_plan(lambda requests, target: (160, 1200)))
    assert "p95 is" in str(check_plan(lambda requests, target: (10, 420)))
    assert "so does 20" in str(check_plan(lambda requests, target: (40, 420)))
    assert "two numbers" in str(check_plan(lambda requests, target: None))
    assert "choose rpm from LIMITS" in str(check_plan(lambda requests, target: (20, 400)))
    best = plan(first_20_minutes(), 6.0)
    written_in = str(check_plan(lambda requests, target: best))  # right for 6 s only
    assert "but asked for 5.5 s on the first 5 minutes" in written_in, written_in


@pytest.mark.beside_lessons  # simulated on a virtual clock: no timing
def test_check_bill_right_and_wrong():
    def hour_cost(requests, cache=0.2):
        models, total = price_table()["models"], 0.0
        for i, r in enumerate(requests):
            if is_cache_hit(i, cache):
                continue
            price = models[CHEAP_MODEL if r.prompt_tokens < 500 else DEFAULT_MODEL]
            total += (r.prompt_tokens * price["input"] + r.output_tokens * price["output"]) / 1e6
        return total

    assert check_bill(hour_cost)
    assert "cache hits were billed" in str(check_bill(lambda rs: hour_cost(rs, cache=0.0)))
    assert "1,000,000" in str(check_bill(lambda rs: hour_cost(rs) * 1000))
    assert "raised" in str(check_bill(lambda requests: 1 / 0))
    dollars = hour_cost(first_20_minutes())
    written_in = str(check_bill(lambda requests: dollars))  # right for the first 20 minutes only
    assert "but $" in written_in and "for the next 20" in written_in, written_in
    flat = str(check_bill(lambda rs: hour_cost(rs, cache=0.0) * 0.8))  # 20 % off everything
    assert "20 % off the whole bill" in flat, flat

    def drawn_hits(requests):  # 20 % of requests skipped, but drawn at random
        rng = random.Random(1)
        return hour_cost([r for r in requests if rng.random() >= 0.2], cache=0.0)

    assert "where the simulator billed" in str(check_bill(drawn_hits))
    rounded = str(check_bill(lambda requests: round(dollars, 2)))  # the right bill, to the cent
    assert "only rounding apart" in rounded and "20 % off" not in rounded, rounded
    untouched = str(check_bill(lambda requests: None))  # the stub, as the lesson gives it
    assert "return the dollars, a number" in untouched and "raised" not in untouched, untouched


@pytest.mark.beside_lessons  # simulated on a virtual clock: no timing
async def test_the_what_if_panel_numbers_its_runs_for_good_and_draws_the_last_four():
    """It labelled runs "4.", "3.", "4." (a counter taken from a list capped at three), and a
    run with the same settings as one on the chart replaced it."""
    panel = WhatIf(load_trace("conv")[:2000])
    for rpm in (0, 300, 120, 60, 60):
        panel.sliders["rpm"].value = rpm
        panel.start()
        assert panel.button.disabled and not panel.stop_button.disabled
        await panel.task
    assert not panel.button.disabled and panel.stop_button.disabled
    labels = [label for label, _ in panel.runs]
    assert [label.split(".")[0] for label in labels] == ["1", "2", "3", "4", "5"]
    assert labels[3][3:] == labels[4][3:] and labels[4].startswith("5. 60/min")  # both kept
    assert "for the hour" in panel.status.value and "p95" in panel.status.value
    figure = panel.figure()
    assert [t.name for t in figure.data] == labels[1:]  # the last four, and the chart says so
    assert "runs 2 to 5, the last 4 of 5" in figure.layout.title.text
    assert [t.line.color for t in figure.data] == list(LINES[1:5])  # each keeps its colour
    panel.sliders["offline"].value = 0.5
    panel.sliders["routed"].value = 0.5
    settings, live, offline = panel.settings()
    assert abs(len(offline) - 1000) <= 2 and len(live) + len(offline) == 2000
    below = sum(r.prompt_tokens < settings.route_below_tokens for r in live)
    assert abs(below / len(live) - 0.5) < 0.02


@pytest.mark.beside_lessons  # simulated on a virtual clock: no timing
def test_the_queue_chart_keeps_its_legend_between_the_title_and_the_plot():
    """Long labels wrapped a legend laid out in a row up over the title."""
    run = simulate(load_trace("conv")[:300], SimulationSettings(concurrency=5))
    long = "60/min unpaced, 400,000 tokens/min, 500 in flight, 10 project(s), 30% cached"
    for count in (1, 4):
        figure = queue_figure({f"{n}. {long}": run for n in range(1, count + 1)})
        layout = figure.layout
        assert layout.legend.orientation == "v"  # one run a line: no wrapping
        assert layout.legend.yanchor == "bottom" and layout.legend.y == 1  # on top of the plot
        assert layout.margin.t >= TITLE_PX + LEGEND_LINE_PX * count  # ...and under the title
        assert layout.title.yref == "container" and layout.title.yanchor == "top"


@pytest.mark.beside_lessons  # simulated on a virtual clock: no timing
def test_a_simulation_reports_its_progress_and_stops_when_asked():
    hour = load_trace("conv")
    settings = SimulationSettings(rpm=60, concurrency=500)  # unpaced: the slow case (a 429 storm)
    stop, seen = threading.Event(), []

    def progress(simulated_s):
        seen.append(simulated_s)
        if simulated_s >= 300:
            stop.set()

    with pytest.raises(SimulationStopped) as stopped:
        simulate(hour, settings, progress=progress, stop=stop)
    assert stopped.value.simulated_s == pytest.approx(300, abs=1.5)
    assert seen == sorted(seen) and len(seen) >= 300  # every simulated second


@pytest.mark.beside_lessons  # simulated on a virtual clock: no timing
async def test_the_what_if_panel_shows_how_far_it_got_and_stops():
    """An unpaced 60/min run with 500 in flight simulated for 25 s with no word and no Stop."""
    panel = WhatIf(load_trace("conv"))
    panel.sliders["rpm"].value, panel.pace.value = 60, False
    panel.sliders["concurrency"].value = 500
    panel.start()
    assert "simulated 0 of 58 min" in panel.status.value
    await until(lambda: "simulated 0 of" not in panel.status.value, what="the line to move on")
    assert re.search(r"simulated [1-9]\d* of 58 min… \(<b>Stop</b> ends it\)", panel.status.value)
    assert not panel.stop_button.disabled
    panel.stop_button.click()
    await asyncio.wait_for(panel.task, timeout=30)
    assert panel.status.value.startswith("Stopped after") and panel.runs == []
    assert not panel.button.disabled and panel.stop_button.disabled
    panel.sliders["rpm"].value, panel.pace.value = 0, True  # usable again, its Stop forgotten
    panel.requests = panel.requests[:300]
    panel.start()
    await panel.task
    assert [label[:3] for label, _ in panel.runs] == ["1. "]


@pytest.mark.beside_lessons  # simulated on a virtual clock: no timing
def test_the_pictures_and_the_summary():
    hour = load_trace("conv")
    traffic = traffic_figure(hour)
    assert len(traffic.data[0].y) == 59 and sum(traffic.data[0].y) == len(hour)
    run = simulate(hour[:1000], SimulationSettings(concurrency=5))
    numbers = summary(run)
    assert numbers["p50_s"] <= numbers["p95_s"] <= numbers["p99_s"]
    assert numbers["most_in_system"] >= 5 and numbers["failed"] == 0
    figure = queue_figure({"five in flight": run})
    assert figure.data[0].name == "five in flight" and max(figure.data[0].y) > 5


@pytest.mark.parametrize("on_loopback", [False, True])
def test_one_event_loop_makes_calls_as_fast_as_its_cpu_allows(on_loopback):
    if on_loopback:  # the fake in a process of its own, as lesson 07 measures
        with fake_in_its_own_process() as url:
            load = calls_on_one_loop(200, in_flight=50, base_url=url)
    else:  # the fake answers inside the process
        load = calls_on_one_loop(200, in_flight=50)
    assert load.calls == 200 and load.end > load.start and load.cpu_s > 0


def test_one_event_loops_load_test_keeps_its_calls_in_flight_at_once(monkeypatch):
    """Its calls overlap, up to ``in_flight`` and never more: the fake, slowed to half a second
    a call, saw them at once (a busy machine starts them later: 5 of 20 is a wide margin)."""
    fakes = []

    def slowed(**settings):
        fakes.append(FakeGemini(**{**settings, "latency": 0.5}))
        return fakes[-1]

    monkeypatch.setattr(pool_tasks, "FakeGemini", slowed)
    load = calls_on_one_loop(40, in_flight=20)
    (fake,) = fakes
    calls = [c for c in fake.log if c.prompt.startswith("Hi ")]
    assert load.calls == len(calls) == 40
    assert 5 <= max_overlap(calls) <= 20


@pytest.mark.beside_lessons  # reads the notebook: no timing
def test_lesson_07s_exercise_names_the_models_its_check_bills():
    """The exercise's text and its solution name the models check_bill bills with."""
    import json
    from pathlib import Path

    lesson = Path(__file__).resolve().parent.parent / "notebooks" / "07_scaling.ipynb"
    cells = json.loads(lesson.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells)
    assert f"the dollars for `requests` on `{DEFAULT_MODEL}` (standard tier)" in text
    assert f"prompts under 500 tokens go to `{CHEAP_MODEL}`." in text
    assert f'model = "{CHEAP_MODEL}" if request.prompt_tokens < 500 else "{DEFAULT_MODEL}"' in text
