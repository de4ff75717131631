"""Lesson 07's pieces: its exercise checks (right and wrong), the what-if panel, the pictures,
and one event loop's calls per second measured for real."""

import pytest

from course_lib.catalogue import CHEAP_MODEL, DEFAULT_MODEL
from course_lib.exercises import IN_FLIGHT, LIMITS, check_bill, check_plan
from course_lib.pool_tasks import calls_on_one_loop, fake_in_its_own_process
from course_lib.scaling.costs import is_cache_hit, price_table
from course_lib.scaling.simulator import SimulationSettings, simulate
from course_lib.scaling.traffic import load_trace
from course_lib.view.scale import queue_figure, summary, traffic_figure
from course_lib.view.whatif import WhatIf


def plan(requests, target):
    def meets(in_flight, rpm):
        run = simulate(requests, SimulationSettings(concurrency=in_flight, rpm=rpm))
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


@pytest.mark.beside_lessons  # simulated on a virtual clock: no timing
async def test_the_what_if_panel_simulates_and_keeps_the_last_three_runs():
    panel = WhatIf(load_trace("conv")[:2000])
    for rpm in (0, 300, 120, 60):
        panel.sliders["rpm"].value = rpm
        panel.start()
        assert panel.button.disabled
        await panel.task
    assert not panel.button.disabled and len(panel.runs) == 3
    assert list(panel.runs)[-1].startswith("4. 60/min")
    assert "for the hour" in panel.status.value and "p95" in panel.status.value
    panel.sliders["offline"].value = 0.5
    panel.sliders["routed"].value = 0.5
    settings, live, offline = panel.settings()
    assert abs(len(offline) - 1000) <= 2 and len(live) + len(offline) == 2000
    below = sum(r.prompt_tokens < settings.route_below_tokens for r in live)
    assert abs(below / len(live) - 0.5) < 0.02


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
