"""The live timeline and the control panels, driven as a notebook would drive them."""

import asyncio
import json

import pytest

from course_lib.run.registry import SCENARIOS
from course_lib.run.runner import run_scenario, run_scenario_sync
from course_lib.run.settings import ScenarioSettings, SettingError
from course_lib.trace.lanes import MAIN
from course_lib.trace.spans import Span, Tracer
from course_lib.view.controls import default_controls
from course_lib.view.gantt_chart import gantt
from course_lib.view.live import LiveTimeline, choose_mode
from course_lib.view.panels import Panel
from tests.conftest import children, leftover_workers, new_workers, until


def figure_data(figure):
    def values(array):
        return [] if array is None else list(array)

    return [
        (t.name, values(getattr(t, "base", None)), values(t.x), values(t.y)) for t in figure.data
    ]


@pytest.mark.parametrize("mode", ["widget", "redraw"])
async def test_the_live_picture_grows_and_ends_equal_to_the_static_one(mode):
    live = LiveTimeline(mode=mode)
    tracer = Tracer()
    result = await live.follow(
        run_scenario(
            "concurrent", ScenarioSettings(prompts=8, latency=0.6, concurrency=4), tracer=tracer
        ),
        tracer,
    )
    # At least once while running (fewer frames when busy: drawing is throttled), then at the end.
    assert live.draws >= 2
    static = gantt(result)
    assert figure_data(live.figure) == figure_data(static)
    assert [s.x0 for s in live.figure.layout.shapes] == [s.x0 for s in static.layout.shapes]


async def test_the_live_strip_counts_calls_in_flight_and_ends_equal_to_the_static_one():
    """A run over a rate limit, watched with the strip: while it runs the strip's traces follow
    the calls; the last frame is gantt(result), 429 ticks included."""
    live = LiveTimeline(mode="widget")
    tracer = Tracer()
    settings = ScenarioSettings(prompts=8, latency=0.3, concurrency=8, rpm=5, attempts=1)
    in_flight = []
    run = run_scenario("concurrent", settings, tracer=tracer)
    task = asyncio.ensure_future(live.follow(run, tracer, quota=(5, 60.0)))
    await until(lambda: tracer.t0 is not None and live.draws >= 1, what="a first live frame")

    def line():  # the strip's line in the frame the page has now
        return next((t for t in live.figure.data if t.name == "calls in flight"), None)

    await until(lambda: line() is not None and len(line().y or ()) > 1, what="the strip to move")
    in_flight = list(line().y)
    result = await task
    assert max(in_flight) >= 2
    static = gantt(result)
    assert [t.name for t in static.data if t.type == "scatter"][-2:] == [
        "a 429",
        "a 5xx or timeout",
    ]
    assert figure_data(live.figure) == figure_data(static)
    assert len(next(t for t in live.figure.data if t.name == "a 429").x) == 3  # 8 calls, 5 a minute


def test_the_mode_can_be_forced(monkeypatch):
    monkeypatch.setenv("COURSE_TIMELINE", "redraw")
    assert choose_mode() == "redraw"
    monkeypatch.delenv("COURSE_TIMELINE")
    assert choose_mode() == "widget"  # anywidget is installed here


def test_panels_share_plotly_js_and_make_one_figure_each_at_their_first_frame():
    """plotly.js (4.6 MB) goes to the page once per kernel, in one PlotlyOnPage widget, however
    many panels draw; a panel makes its one figure at its first frame, none before (a reloaded
    page fetches every open widget's state)."""
    import ipywidgets

    from course_lib.view.page_figure import PageFigure, PlotlyOnPage

    def open_widgets(kind: type) -> int:
        live = getattr(ipywidgets.widgets.widget, "_instances", None)  # ipywidgets 8
        if live is None:
            live = ipywidgets.Widget.widgets  # ipywidgets 7
        return sum(isinstance(w, kind) for w in list(live.values()))

    before = open_widgets(PageFigure)
    panels = [Panel("concurrent") for _ in range(3)]
    assert open_widgets(PageFigure) == before, "making a panel opened a figure"
    for panel in panels:  # a first frame makes the panel's one figure
        panel.timeline.start("<b>concurrent</b>: 4 prompts")
    assert open_widgets(PageFigure) == before + 3
    assert open_widgets(PlotlyOnPage) == 1


def test_plotly_js_travels_in_a_message_never_in_the_widget_state(monkeypatch):
    """A reloaded page fetches every widget's state with a 4 s timeout (ipywidgets #3633): the
    library's state stays a few bytes, plotly.js goes as a message's buffer when the widget is
    made, and again when a page asks (not twice within RESEND_AFTER_S: it may be on its way)."""
    from course_lib.view import page_figure

    sent: list[tuple[dict, list]] = []
    monkeypatch.setattr(
        page_figure.PlotlyOnPage,
        "send",
        lambda self, content, buffers=None: sent.append((content, buffers)),
    )
    clock = iter([100.0, 101.0, 109.0, 110.0])
    monkeypatch.setattr(page_figure.time, "monotonic", lambda: next(clock))
    library = page_figure.PlotlyOnPage()
    state = json.dumps(library.get_state(), default=str)
    assert len(state) < 5_000, "plotly.js is in the widget's state"
    assert (
        len(sent) == 1
        and sent[0][1][0].rstrip().endswith(b"}));")
        and len(sent[0][1][0]) > 3_000_000
    )
    assert sent[0][0] == {"plotly.js": len(sent[0][1][0])}
    library._answer(library, {"want": "plotly.js"}, [])  # 1 s after: still on its way
    assert len(sent) == 1
    library._answer(library, {"want": "plotly.js"}, [])  # 9 s after: a page that needs it
    assert len(sent) == 2
    library._answer(library, {"want": "something else"}, [])
    assert len(sent) == 2
    library.close()


def test_on_colab_the_figure_brings_plotly_js_along(monkeypatch):
    """Colab shows each output in a frame of its own, where a never-displayed PlotlyOnPage's
    plotly.js would not be: there the figure carries it; elsewhere it does not (5 MB a figure)."""
    import sys
    import types

    here = LiveTimeline(mode="widget")
    here.start("<b>concurrent</b>: 4 prompts")
    assert here._one.source == ""
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    colab = LiveTimeline(mode="widget")
    waiting = colab.widget.outputs[0]["data"]  # before any run: no plotly figure in an Output
    assert "application/vnd.plotly.v1+json" not in waiting and "text/html" not in waiting
    colab.start("<b>concurrent</b>: 4 prompts")
    assert colab._one.source.rstrip().endswith("}));")  # plotly.min.js, whole
    assert len(colab._one.source) > 3_000_000
    assert colab._one is colab.widget._course_figure  # the placeholder's: plotly.js came once
    assert waiting[WIDGET]["model_id"] == colab._one.model_id


def test_on_colab_every_figure_in_an_output_brings_plotly_js_once_and_redraws_in_place(
    monkeypatch,
):
    """A plotly figure shown in an Output fails on Colab ("Plotly is not defined", colabtools
    #5889): each Output the kit fills (the runs compared, the what-if panel, a placeholder) shows
    a figure that brings plotly.js along, made once and redrawn in place; without anywidget,
    HTML that carries plotly.js itself."""
    import sys
    import types

    import ipywidgets
    import plotly.graph_objects as go

    from course_lib.view.show import show_in

    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    output = ipywidgets.Output()
    show_in(output, go.Figure(go.Bar(x=[1, 2])))
    first = output._course_figure
    assert output.outputs[0]["data"][WIDGET]["model_id"] == first.model_id
    assert len(first.source) > 3_000_000
    show_in(output, go.Figure(go.Bar(x=[3, 4, 5])))  # the next run's chart: the same figure
    assert output._course_figure is first and first.figure["data"][0]["x"] == [3, 4, 5]
    show_in(output, ipywidgets.HTML("a widget"))  # something else shown in between...
    show_in(output, go.Figure(go.Bar(x=[6])))  # ...then a figure again: a new one, shown
    assert output.outputs[0]["data"][WIDGET]["model_id"] == output._course_figure.model_id
    assert output._course_figure is not first

    monkeypatch.setitem(sys.modules, "course_lib.view.page_figure", None)  # no anywidget
    bare = ipywidgets.Output()
    show_in(bare, go.Figure(go.Bar(x=[1])))
    html = bare.outputs[0]["data"]["text/html"]
    assert len(html) > 3_000_000 and "Plotly.newPlot" in html


WIDGET = "application/vnd.jupyter.widget-view+json"


def test_each_scenario_shows_only_the_controls_that_mean_something():
    assert "processes" not in Panel("concurrent").sliders
    assert "concurrency" not in Panel("parallel").sliders
    assert set(Panel("hybrid").sliders) >= {"concurrency", "processes", "cpu_work"}
    assert Panel("threads").sliders["concurrency"].description == "threads"
    for name, scenario in SCENARIOS.items():  # the registry says which settings each one uses
        assert set(default_controls(name)) - {"prompts", "latency", "jitter", "cpu_work"} == (
            set(scenario.uses) - {"start_method"}
        )
    with pytest.raises(SettingError, match="unknown scenario"):
        Panel("turbo")
    with pytest.raises(SettingError, match="unknown control"):
        Panel("concurrent", controls=("warp",))


async def test_impossible_settings_give_a_message_in_the_panel():
    panel = Panel("concurrent")
    panel.sliders["latency"].value = 0.2
    panel.sliders["jitter"].value = 1.0
    assert panel.run() is None
    assert "cannot be larger than the latency" in panel.status.value
    assert not panel.run_button.disabled


async def test_controls_are_disabled_while_running_and_the_result_is_reported():
    panel = Panel(
        "concurrent",
        settings=ScenarioSettings(prompts=6, latency=0.3, concurrency=3),
        controls=("prompts", "latency", "concurrency", "rpm", "failure_rate"),
    )
    task = panel.run()
    assert panel.run_button.disabled and not panel.stop_button.disabled
    assert all(slider.disabled for slider in panel.sliders.values())
    assert panel.run() is task  # a second click does not start a second run
    await task
    assert not panel.run_button.disabled and panel.stop_button.disabled
    assert "wall" in panel.status.value and "ideal" in panel.status.value
    assert panel.result.settings.rpm is None  # 0 on the slider means no limit
    assert len(panel.comparison.results) == 1


async def test_stop_cancels_cleanly_and_leaves_no_worker_processes():
    before = children()
    panel = Panel("parallel", settings=ScenarioSettings(prompts=40, latency=1.0, processes=2))
    task = panel.run()
    workers = await new_workers(before, at_least=2)
    await until(
        lambda: panel.tracer and any(s.phase == "in_flight" for s in panel.tracer.snapshot()),
        what="a call in flight",
    )
    panel.stop_button.click()
    await asyncio.wait([task], timeout=30)
    assert task.cancelled()
    assert "worker processes shut down" in panel.status.value
    assert not panel.run_button.disabled
    assert leftover_workers(workers) == []
    again = panel.run()  # usable again, even if stopped before the run got going
    panel.stop()
    await asyncio.wait([again], timeout=30)
    assert again.cancelled() and not panel.run_button.disabled and "Stopped" in panel.status.value


async def test_a_stopped_asyncio_run_does_not_speak_of_worker_processes():
    panel = Panel("concurrent", settings=ScenarioSettings(prompts=20, latency=2.0))
    task = panel.run()
    await until(lambda: panel.tracer and panel.tracer.snapshot(), what="a call in flight")
    panel.stop()
    await asyncio.wait([task], timeout=30)
    assert "Calls in flight were cancelled." in panel.status.value
    assert "worker processes" not in panel.status.value


async def test_a_rate_limited_run_in_processes_draws_its_strip_and_stops_cleanly():
    """Lesson 05's panel with a pool: spans come home from every process (calls waiting for the
    shared limiter among them), the strip follows them, and Stop leaves no worker behind."""
    before = children()
    settings = ScenarioSettings(
        prompts=30, latency=0.2, rpm=5, window_s=1.0, processes=2, client_rpm=5
    )
    panel = Panel("rate-limited", settings=settings)
    task = panel.run()
    workers = await new_workers(before, at_least=2)
    await until(
        lambda: panel.tracer and any(s.phase == "wait_rate" for s in panel.tracer.snapshot()),
        what="a call waiting for the shared limiter",
    )
    await until(lambda: any(t.name == "calls in flight" for t in panel.timeline.figure.data))
    panel.stop_button.click()
    await asyncio.wait([task], timeout=30)
    assert task.cancelled() and "Stopped" in panel.status.value
    assert leftover_workers(workers) == []
    assert any(t.name == "calls in flight" for t in panel.timeline.figure.data)  # the last frame


async def test_a_run_starts_with_its_own_title_and_ideal_line_and_a_stop_leaves_a_last_frame():

    panel = Panel("concurrent", settings=ScenarioSettings(prompts=6, latency=0.2, concurrency=3))
    first = panel.run()
    await first
    done = panel.timeline.figure
    one = panel.timeline._one
    assert done.layout.title.text.startswith("<b>concurrent</b>: 6 prompts")
    # the Output shows the one PageFigure, whose state is this frame (what a reload draws)
    (shown,) = panel.timeline.widget.outputs
    model = shown["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
    assert model == one.model_id
    assert one.figure["layout"]["title"]["text"] == done.layout.title.text

    panel.sliders["prompts"].value = 40
    panel.sliders["latency"].value = 1.0
    second = panel.run()
    await until(lambda: panel.tracer is not None and panel.tracer.snapshot(), what="a call")
    await until(
        lambda: panel.timeline.figure.layout.title.text.startswith("Running… "),
        what="a live frame",
    )
    live = panel.timeline.figure
    assert panel.timeline._one is one  # one figure for every run, redrawn in place
    assert live.layout.title.text.startswith("Running… <b>concurrent</b>: 40 prompts")
    assert [shape.x0 for shape in live.layout.shapes] == [14.0]  # ceil(40 / 3) calls of 1 s
    panel.stop()
    await asyncio.wait([second], timeout=30)
    last = panel.timeline.figure
    assert panel.timeline._one is one
    assert (
        last.layout.title.text.startswith("Stopped at ") and "40 prompts" in last.layout.title.text
    )
    assert sum(len(trace.x) for trace in last.data) > 0  # what had happened by then
    assert one.figure["layout"]["title"]["text"] == last.layout.title.text  # shown after a reload


async def test_a_live_frame_is_laid_out_as_the_final_one():
    """Height, domains of the bars and the strip, and the title's lines: the same while it runs
    as at the end, so the picture does not jump when the run ends."""
    panel = Panel(
        "rate-limited",
        settings=ScenarioSettings(
            prompts=40, latency=1.0, concurrency=40, rpm=600, client_rpm=None
        ),
    )
    task = panel.run()
    figure = None

    def many_rows():
        nonlocal figure
        figure = panel.timeline.figure
        running = figure.layout.title.text.startswith("Running… ")
        return running and len(figure.layout.yaxis.categoryarray or ()) >= 30

    await until(many_rows, what="30 rows in a live frame")
    live = figure.layout.to_plotly_json()
    await task
    final = panel.timeline.figure.layout.to_plotly_json()
    assert live["title"]["text"].startswith("Running… ")
    for key in ("height", "margin"):
        assert live[key] == final[key], key
    assert live["yaxis"]["domain"] == final["yaxis"]["domain"]
    assert live["yaxis2"]["domain"] == final["yaxis2"]["domain"]
    assert live["title"]["text"].count("<br>") == final["title"]["text"].count("<br>")


def test_long_titles_wrap_instead_of_being_cut():
    from course_lib.view.titles import TITLE_CHARS, visible

    settings = ScenarioSettings(prompts=10, latency=0.5, concurrency=10, rpm=10, client_rpm=60)
    result = run_scenario_sync("rate-limited", settings)
    title = gantt(result).layout.title.text
    assert "<br>" in title and "10 requests/min" in title
    assert all(visible(line) <= TITLE_CHARS for line in title.split("<br>"))


def test_panels_never_change_a_setting_silently():
    panel = Panel(
        "concurrent", settings=ScenarioSettings(prompts=1000, concurrency=1000, latency=8.0)
    )
    assert panel.settings().prompts == 1000
    assert panel.settings().concurrency == 1000
    assert panel.settings().latency == 8.0


def test_the_live_view_paces_itself():
    from course_lib.view.live import pause

    assert pause(10, 0.001) == 0.1  # cheap frames: 10 a second
    assert pause(10, 0.008) == 0.2  # still 5 a second
    assert pause(10, 0.04) == 1.0  # costly ones: drawing stays at 4 % of the time


def running_since(before) -> set[int]:
    """This process's children started since ``before`` and running (not Python's resource
    tracker, not a zombie waiting to be reaped)."""
    import psutil

    running = set()
    for pid, process in children().items():
        try:
            if pid in before or process.status() == psutil.STATUS_ZOMBIE:
                continue
            if "resource_tracker" not in " ".join(process.cmdline()):
                running.add(pid)
        except psutil.Error:  # it ended meanwhile
            pass
    return running


async def test_a_start_up_is_said_as_one_and_a_stop_in_it_says_so():
    """A run that set up first (a Dask cluster: seconds) showed "Running…" over empty axes, and
    stopped then, "Stopped." as if calls had been cancelled."""
    from course_lib.view.startup import say_start_up, stopped_in_start_up

    tracer, said = Tracer(), []
    watching = asyncio.ensure_future(say_start_up(tracer, said.append, every_s=0.05))
    await asyncio.sleep(0.1)
    assert said == []  # nothing to say before the run says what it sets up
    tracer.setting_up = "Starting the cluster (4 workers)"  # as ScenarioRun.setting_up does
    await until(lambda: len(said) >= 3, what="the start-up said three times")
    assert all(line.startswith("Starting the cluster (4 workers)… ") for line in said)
    assert said[0] != said[-1] and said[-1].endswith(" s")  # the seconds count
    assert stopped_in_start_up(tracer).startswith("Stopped during the start-up (starting the")
    tracer.t0, tracer.setting_up = 1.0, ""  # the clock starts
    await asyncio.wait_for(watching, timeout=5)
    assert said[-1].startswith("Starting the cluster (4 workers) took ")
    assert said[-1].endswith(" s; running…")
    assert stopped_in_start_up(tracer) == "" and stopped_in_start_up(None) == ""


def test_an_empty_timeline_draws_no_axes():
    """A run that has not begun (a cluster starting) drew a time axis and nothing on it."""
    empty = gantt(spans=[], ideal_s=1.0, show_strip=True)
    assert not empty.layout.xaxis.visible and not empty.layout.yaxis.visible
    assert not empty.layout.yaxis2.visible
    live = LiveTimeline(mode="widget")
    live.start("<b>dask</b>: 4 prompts", ideal_s=1.0, quota=(10, 2.0))
    assert live.figure.layout.xaxis.visible is False
    drawn = gantt(spans=[Span(0, MAIN, "in_flight", 0.0, 0.5, 1)], show_strip=True)
    assert drawn.layout.xaxis.visible and drawn.layout.yaxis.visible and drawn.layout.yaxis2.visible


async def run_until_it_says(panel: Panel, words: str) -> asyncio.Task:
    """Click Run, and wait until the panel's status line says ``words`` (a start-up)."""
    task = panel.run()
    await until(lambda: words in panel.status.value, timeout=60, what=f"{words!r} in the status")
    return task


@pytest.mark.timeout(240)
async def test_the_dask_panel_says_its_cluster_is_starting_then_runs_or_says_it_was_stopped():
    panel = Panel("dask", settings=ScenarioSettings(prompts=4, latency=0.2, processes=2))
    task = await run_until_it_says(panel, "Starting the cluster (2 workers)… ")
    await until(lambda: panel.timeline.figure.layout.title.text.startswith("Starting… "))
    assert panel.timeline.figure.layout.xaxis.visible is False  # no empty time axis meanwhile
    await task
    assert "wall" in panel.status.value
    assert sum(len(t.x) for t in panel.timeline.figure.data if t.type == "bar") >= 4

    before = children()
    again = panel.run()
    await until(lambda: "Starting the cluster" in panel.status.value, timeout=60)
    panel.stop()
    await asyncio.wait([again], timeout=60)
    assert again.cancelled() and not panel.run_button.disabled
    assert panel.status.value.endswith(
        "Stopped during the start-up (starting the cluster (2 workers)): nothing ran.</span>"
    )
    shown = panel.timeline.figure.layout
    assert "Stopped during start-up" in shown.annotations[0].text and not shown.xaxis.visible
    # the cluster that was starting is closed once it is up: its processes come, then go
    seen, deadline = set(), asyncio.get_running_loop().time() + 90
    while asyncio.get_running_loop().time() < deadline:
        alive = running_since(before)
        seen |= alive
        if seen and not alive:
            break
        await asyncio.sleep(0.1)
    assert seen and not alive, f"the cluster's processes: {seen}, still running: {alive}"


def test_a_run_stopped_after_its_pool_started_counts_the_start_up_apart():
    """Stopped 2 s after Run, 1.5 s of it the pool's start-up: "Stopped at 0.50 s, after 1.5 s
    of start-up", not a bare "Stopped at 0.50 s" that looks like a wrong clock."""
    import time

    live = LiveTimeline(mode="widget")
    live.start("<b>parallel</b>: 4 prompts")
    live._began = time.perf_counter() - 2.0  # Run was clicked 2 s ago
    tracer = Tracer()
    tracer.t0 = live._began + 1.5  # the pool was ready 1.5 s later
    live.stopped(tracer)
    title = live.figure.layout.title.text
    assert title.startswith("Stopped at 0.5") and ", after 1.5 s of start-up: " in title
    quick = Tracer()
    quick.t0 = live._began = time.perf_counter() - 0.3  # no pool: the clock started at once
    live.stopped(quick)
    assert "start-up" not in live.figure.layout.title.text


@pytest.mark.timeout(120)
async def test_a_pool_panel_says_its_processes_are_starting_and_a_stop_then_says_nothing_ran():
    panel = Panel("parallel", settings=ScenarioSettings(prompts=4, latency=0.5, processes=2))
    task = await run_until_it_says(panel, "Starting 2 worker processes")
    await task
    assert "wall" in panel.status.value
    before = children()
    again = panel.run()
    await until(lambda: panel.tracer is not None and panel.tracer.setting_up != "", timeout=60)
    panel.stop()
    await asyncio.wait([again], timeout=60)
    assert again.cancelled() and not panel.run_button.disabled
    assert "Stopped during the start-up (starting 2 worker processes): nothing ran." in (
        panel.status.value
    )
    started = [p for pid, p in children().items() if pid not in before]
    assert leftover_workers(started) == []
