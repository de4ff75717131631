"""Timelines and the comparison chart: rows, bars per phase, colours, the two lines, scale."""

import asyncio
from collections import Counter

import pytest

from course_lib.run.runner import run_scenario_sync
from course_lib.run.settings import ScenarioSettings
from course_lib.trace.lanes import Lane, named
from course_lib.trace.spans import IN_FLIGHT, WAIT_RATE, Span
from course_lib.view.comparison import Comparison
from course_lib.view.gantt_chart import gantt
from course_lib.view.strip import STRIP_PX, STRIP_ROOM, strip
from course_lib.view.timeline import (
    FAILED,
    PHASE_STYLE,
    REFUSED,
    TRACE_ORDER,
    TRACE_STYLE,
    timeline,
)

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons


@pytest.fixture(scope="module")
def hybrid():
    return run_scenario_sync(
        "hybrid-pipelined",
        ScenarioSettings(prompts=6, latency=0.1, concurrency=3, processes=2, cpu_work=20),
    )


def bars_by_name(fig):
    return {trace.name: len(trace.x) for trace in fig.data}


def test_one_row_per_lane_one_bar_per_span_coloured_by_phase(hybrid):
    fig = gantt(hybrid)
    assert [t.name for t in fig.data] == [TRACE_STYLE[k][0] for k in TRACE_ORDER]
    for trace, key in zip(fig.data, TRACE_ORDER, strict=True):
        assert trace.marker.color == TRACE_STYLE[key][1] and trace.orientation == "h"
    expected = Counter(s.phase for s in hybrid.spans)
    got = {k: len(t.x) for k, t in zip(TRACE_ORDER, fig.data, strict=True)}
    assert all(got[phase] == count for phase, count in expected.items())
    # the legend names what is drawn, and nothing else
    assert {t.name for t in fig.data if t.showlegend} == {
        PHASE_STYLE[phase][0] for phase in expected
    }
    lanes = {str(s.lane) for s in hybrid.spans}
    assert set(fig.layout.yaxis.categoryarray) == lanes
    rows = list(fig.layout.yaxis.categoryarray)
    processes = [row for row in rows if row.startswith("process")]  # one or both may have worked
    assert processes and rows[-len(processes) :] == processes  # below the coroutines


def test_lines_at_the_wall_time_and_the_ideal_bound(hybrid):
    fig = gantt(hybrid)
    xs = sorted(shape.x0 for shape in fig.layout.shapes)
    assert xs == sorted([hybrid.wall_s, hybrid.ideal_s])
    labels = " ".join(a.text for a in fig.layout.annotations)
    assert f"wall {hybrid.wall_s:.2f} s" in labels and f"ideal {hybrid.ideal_s:.2f} s" in labels


def test_hover_text_names_the_prompt_the_times_and_the_outcome(hybrid):
    in_flight = gantt(hybrid).data[TRACE_ORDER.index(IN_FLIGHT)]
    first_prompt = [h for h in in_flight.hovertext if "Explain AI in 50 words" in h]
    assert first_prompt and "task 0 · coroutine 1" in first_prompt[0]
    assert "outcome: ok" in first_prompt[0] and " s (" in first_prompt[0]


def test_refused_calls_are_marked_apart_from_failures_with_a_strip_below():
    spans = [
        Span(1, named("coroutine", 1), IN_FLIGHT, 0.0, 0.2, 1, "429", "Hi"),
        Span(1, named("coroutine", 1), "backoff", 0.2, 1.2, 1, "ok", "after 429"),
        Span(1, named("coroutine", 1), IN_FLIGHT, 1.2, 1.4, 1, "ok", "Hi"),
        Span(2, named("coroutine", 2), IN_FLIGHT, 0.0, 0.3, 1, "503", "Hello"),
    ]
    fig = gantt(spans=spans)
    counts = bars_by_name(fig)
    assert counts[REFUSED[0]] == 1 and counts[FAILED[0]] == 1
    assert counts[PHASE_STYLE[IN_FLIGHT][0]] == 1 and counts[PHASE_STYLE["backoff"][0]] == 1
    # the strip: ticks where the 429 and the 503 came back, on the second y axis
    ticks = {t.name: list(t.x) for t in fig.data if t.type == "scatter"}
    assert ticks["a 429"] == [pytest.approx(0.2)] and ticks["a 5xx or timeout"] == [0.3]
    assert all(t.yaxis == "y2" for t in fig.data if t.type == "scatter")
    assert fig.layout.xaxis.anchor == "y2" and fig.layout.yaxis.domain[0] > 0
    assert fig.layout.height >= 260 + STRIP_PX


def refused_then_retried(coroutines):
    """Each coroutine: a 429, a backoff, an answer (a strip is drawn under them)."""
    spans = []
    for k in range(coroutines):
        lane, at = named("coroutine", k + 1), 0.01 * k
        spans.append(Span(k, lane, IN_FLIGHT, at, at + 0.05, 1, "429", "Hi"))
        spans.append(Span(k, lane, "backoff", at + 0.05, at + 0.5, 1, "ok", "after 429"))
        spans.append(Span(k, lane, IN_FLIGHT, at + 0.5, at + 0.7, 1, "ok", "Hi"))
    return spans


def test_a_timeline_and_its_strip_fit_a_900_pixel_screen_together():
    """40 rows and the strip under them were 1,050 px: taller than a 1400x900 window."""
    fig = gantt(spans=refused_then_retried(40))
    assert len(fig.layout.yaxis.categoryarray) == 40 and fig.layout.height == 900
    assert fig.layout.yaxis.tickfont.size < 13  # thinner rows, smaller names
    few = gantt(spans=refused_then_retried(5))  # a few rows: as tall as they need, as before
    assert few.layout.height == 170 + 22 * 5 + STRIP_ROOM and few.layout.yaxis.tickfont.size == 13


def test_a_timeline_can_be_given_its_height_and_its_rows_share_it():
    """Lesson 05's AIMD timeline (30 coroutines and the strip) was 980 px; its caption did not fit
    beside it on a 900 px screen."""
    fig = gantt(spans=refused_then_retried(30), height=560)
    assert fig.layout.height == 560 and len(fig.layout.yaxis.categoryarray) == 30
    plot_px = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    rows_px = (1 - fig.layout.yaxis.domain[0]) * plot_px
    assert rows_px >= 30 * 7  # every row still a visible bar
    assert gantt(spans=refused_then_retried(30), show_strip=False, height=400).layout.height == 400


def test_no_strip_where_nothing_was_refused_limited_or_failed(hybrid):
    assert all(t.type == "bar" for t in gantt(hybrid).data)
    assert any(t.type == "scatter" for t in gantt(hybrid, show_strip=True).data)


def test_the_strip_counts_calls_in_flight_and_the_quota_left_in_each_window():
    """Three calls 0.1 s apart, 0.5 s each, against 2 per second: the third goes over (the
    server's view: -1 left) until the first leaves the window at 1.0 s."""
    spans = [Span(i, named("task", i), IN_FLIGHT, i * 0.1, i * 0.1 + 0.5, 1) for i in range(3)]
    s = strip(spans, t0=0.0, limit=2, period_s=1.0)
    assert s.in_flight == ([0.0, 0.1, 0.2, 0.5, 0.6, 0.7], [1, 2, 3, 2, 1, 0])
    times, left = s.quota_left
    assert list(zip(times, left, strict=True))[:4] == [(0.0, 1), (0.1, 0), (0.2, -1), (1.0, 0)]
    assert left[-1] == 2  # all three have left the window
    # a 429 costs nothing: it is not taken from the quota
    refused = [Span(0, named("task", 0), IN_FLIGHT, 0.0, 0.02, 1, "429")]
    assert strip(refused, 0.0, limit=2, period_s=1.0).quota_left == ([0.0], [2])


def test_waiting_for_a_rate_token_has_its_own_colour_and_pattern():
    spans = [
        Span(1, named("task", 1), WAIT_RATE, 0.0, 0.4, 1),
        Span(1, named("task", 1), IN_FLIGHT, 0.4, 0.9, 1),
    ]
    fig = gantt(spans=spans, rpm=5, window_s=1.0)
    rate = fig.data[TRACE_ORDER.index(WAIT_RATE)]
    assert len(rate.x) == 1 and rate.marker.pattern.shape == "."
    assert rate.marker.color not in {TRACE_STYLE[k][1] for k in TRACE_ORDER if k != WAIT_RATE}
    assert "quota left (of 5 per 1 s)" in [t.name for t in fig.data]


def test_calls_given_up_on_are_told_apart_from_failures():
    lane = named("coroutine", 1)
    spans = [
        Span(1, lane, IN_FLIGHT, 0.0, 1.0, 1, "cancelled", "too slow: cancelled at a deadline"),
        Span(2, named("coroutine", 2), IN_FLIGHT, 0.0, 0.3, 1, "ok", "the winner"),
        Span(3, named("coroutine", 3), IN_FLIGHT, 0.0, 0.1, 1, "500", "a server error"),
    ]
    counts = bars_by_name(gantt(spans=spans))
    assert counts["cancelled before its answer"] == counts[FAILED[0]] == 1 and REFUSED[0] in counts


def test_calls_one_after_another_stay_separate_bars():
    """Five 0.5 s calls on one row: a white edge wide enough to see between them; hundreds of
    short bars get a thin one, or they would be all edge."""
    five = [Span(i, named("task", 1), IN_FLIGHT, i * 0.5, i * 0.5 + 0.5, 1) for i in range(5)]
    assert gantt(spans=five).data[TRACE_ORDER.index(IN_FLIGHT)].marker.line.width >= 2
    many = [Span(i, named("task", 1), IN_FLIGHT, i * 0.01, i * 0.01 + 0.01, 1) for i in range(500)]
    assert gantt(spans=many).data[TRACE_ORDER.index(IN_FLIGHT)].marker.line.width < 1


def test_the_legend_sits_between_the_title_and_the_line_labels():
    """In pixels, whatever the figure's height: the labels of the two lines reach about 40 px
    above the plot; the legend starts above them, and the title above the legend."""
    for lanes in (1, 20, 60):
        spans = [Span(i, named("task", i), IN_FLIGHT, 0, 1, 1) for i in range(1, lanes + 1)]
        layout = gantt(spans=spans, wall_s=1.0, ideal_s=0.95).layout
        plot_px = layout.height - layout.margin.t - layout.margin.b
        legend_px = (layout.legend.y - 1) * plot_px
        assert 40 <= legend_px and legend_px + 30 + 25 <= layout.margin.t


def test_a_runs_ideal_uses_the_cpu_time_its_work_really_took():
    """A busy or throttled core makes "100 ms" of work cost more or less: the ideal bound is
    computed from what this run measured, so the run can never beat its own ideal."""
    s = ScenarioSettings(prompts=4, latency=0.05, cpu_work=100)
    result = run_scenario_sync("sequential", s)
    assert result.cpu_s is not None and 0.02 < result.cpu_s < 0.5
    assert result.ideal_s == pytest.approx(4 * 0.05 + 4 * result.cpu_s)
    assert result.wall_s >= result.ideal_s
    assert run_scenario_sync("sequential", s.changed(cpu_work=0)).cpu_s is None


def test_a_thousand_calls_are_packed_into_readable_rows():
    result = run_scenario_sync(
        "concurrent", ScenarioSettings(prompts=1000, latency=0.05, concurrency=25)
    )
    fig = gantt(result)
    assert len(fig.layout.yaxis.categoryarray) <= 26  # about one row per slot, not 1,000
    assert "975 tasks waited for a free slot" in fig.layout.title.text
    assert sum(len(t.x) for t in fig.data) == 2000  # every call and every analysis is drawn
    assert fig.layout.height <= 900


def agents_in_waves(agents, at_once, tools, slow=()):
    """Spans of ``agents`` ReAct agents, ``at_once`` at a time, each: a wait for a slot, a model
    call of 0.3 s, ``tools`` searches of 0.5 s at once, a model call of 0.3 s (1.5 s for the
    agents in ``slow``)."""
    from course_lib.trace.lanes import agent
    from course_lib.trace.spans import TOOL, WAIT_SLOT

    spans = []
    for k in range(agents):
        lane, begin = agent(k + 1), 2.5 * (k // at_once)
        last = 1.5 if k in slow else 0.3
        if begin:
            spans.append(Span(k, lane, WAIT_SLOT, 0.0, begin, 1))
        spans.append(Span(k, lane, IN_FLIGHT, begin, begin + 0.3, 1))
        spans += [Span(k, lane, TOOL, begin + 0.3, begin + 0.8, 1) for _ in range(tools)]
        spans.append(Span(k, lane, IN_FLIGHT, begin + 0.8, begin + 0.8 + last, 1))
    return spans


def test_two_hundred_agents_share_rows_and_only_the_slowest_paths_are_drawn():
    """Lesson 06's panel at its most (200 agents, 6 tools a turn) drew 1,600 rows in 900 px,
    with a black critical-path line on every agent's."""
    spans = agents_in_waves(200, at_once=6, tools=6, slow=(7, 50, 120))
    fig = gantt(spans=spans, critical_path=True, title="agents")
    rows = list(fig.layout.yaxis.categoryarray)
    assert rows == [f"agent row {k}" for k in range(1, 7)]  # one row per agent at once
    assert fig.layout.height <= 900
    assert "200 agents share 6 rows" in fig.layout.title.text
    assert "194 tasks waited for a free slot" in fig.layout.title.text
    assert sum(len(t.x) for t in fig.data[:-1]) == 200 * 8  # every call and search drawn
    line = fig.data[-1]
    assert line.name == "critical path of the 3 slowest agents (of 200)"
    assert list(line.x).count(None) == 3
    drawn = {round(x, 1) for x in line.x if x is not None}
    assert {round(2.5 * (k // 6), 1) for k in (7, 50, 120)} <= drawn  # where the slow ones began
    tasks = [h for t in fig.data[:-1] for h in t.hovertext if "task 50 " in h]
    assert tasks and all("agent 51 on agent row" in h for h in tasks)  # who, on a shared row


def test_agents_never_take_more_rows_than_the_limit_even_all_at_once():
    fig = gantt(spans=agents_in_waves(200, at_once=200, tools=6), critical_path=True)
    assert len(fig.layout.yaxis.categoryarray) == 40 and fig.layout.height <= 900
    assert "200 agents share 40 rows" in fig.layout.title.text
    assert "more than 40 at once: some drawn over others" in fig.layout.title.text


def test_a_few_agents_keep_their_own_rows_and_every_critical_path():
    fig = gantt(spans=agents_in_waves(4, at_once=4, tools=2), critical_path=True)
    rows = list(fig.layout.yaxis.categoryarray)
    assert rows[:4] == [
        "agent 1 · model",
        "agent 1 · tools",
        "agent 1 · tools 2",
        "agent 2 · model",
    ]
    assert len(rows) == 12 and "share" not in fig.layout.title.text
    assert fig.data[-1].name == "critical path (sets the wall time)"
    assert list(fig.data[-1].x).count(None) == 4


async def test_your_own_gathered_calls_are_packed_into_rows_too():
    from course_lib import DEFAULT_MODEL, Tracer, gemini_client
    from course_lib.fake import FakeGemini

    client = gemini_client(fake=FakeGemini(latency=0.02))
    with Tracer() as tracer:
        sem = asyncio.Semaphore(10)

        async def ask(i):
            async with sem:
                await client.aio.models.generate_content(model=DEFAULT_MODEL, contents=f"q{i}")

        await asyncio.gather(*(ask(i) for i in range(100)))
    rows = gantt(spans=tracer.spans).layout.yaxis.categoryarray
    assert len(rows) <= 12 and all(row.startswith("slot") for row in rows)


def test_process_lanes_are_numbered_even_mid_run():
    spans = [
        Span(0, Lane("process", 77), "cpu", 1.0, 2.0, 77),
        Span(1, Lane("process", 55), "cpu", 1.5, 2.5, 55),
    ]
    assert timeline(spans).lanes == ["process 1", "process 2"]


def test_the_comparison_measures_against_sequential_when_it_can():
    comparison = Comparison()
    settings = ScenarioSettings(prompts=4, latency=0.3)
    concurrent = run_scenario_sync("concurrent", settings)
    comparison.add(concurrent)
    factor, measured = comparison.speedup(concurrent)
    assert not measured and factor == pytest.approx(1.2 / concurrent.wall_s)
    comparison.add(run_scenario_sync("sequential", settings))
    factor, measured = comparison.speedup(concurrent)
    assert measured and 2 < factor < 4.5  # about 4; a stall on a busy machine costs a little
    fig = comparison.figure()
    assert list(fig.data[0].x) == ["1. concurrent<br>limit 5", "2. sequential<br>"]
    assert fig.layout.xaxis.tickangle == 0  # level labels, one line per setting
    assert "×" in fig.data[0].text[0]
    ideal_lines = [shape.y0 for shape in fig.layout.shapes if shape.line.color != "#FFFFFF"]
    assert ideal_lines == [concurrent.ideal_s, comparison.results[1].ideal_s]


def test_comparison_labels_say_what_differs_and_every_view_follows():
    comparison = Comparison()
    views = [comparison.view(), comparison.view()]  # two panels sharing one comparison
    for view in views:  # before any run: a word on what will show there
        (shown,) = view.outputs
        assert "Your runs will be compared here" in str(shown["data"])
    for cpu_work in (0, 50):
        comparison.add(
            run_scenario_sync(
                "threads", ScenarioSettings(prompts=3, latency=0.05, cpu_work=cpu_work)
            )
        )
    assert comparison.labels() == [
        "1. threads<br>5 threads",
        "2. threads<br>5 threads<br>CPU 50 ms per answer",
    ]
    for view in views:  # both views show the second run too
        (shown,) = view.outputs
        assert "CPU 50 ms per answer" in str(shown["data"])
