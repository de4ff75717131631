"""The live timeline: a Gantt chart that grows while a run is in progress.

>>> live, tracer = LiveTimeline(), Tracer()              # doctest: +SKIP
>>> live.widget                                          # doctest: +SKIP
>>> result = await live.follow(run_scenario("concurrent", tracer=tracer), tracer)  # doctest: +SKIP

A bar appears when a call starts and grows until it ends. Updates are throttled (10 a second by
default) and drawn from ``tracer.snapshot()``, which works for asyncio, thread and process runs
alike. When the run ends, the picture is redrawn from the result, so it equals ``gantt(result)``.

The page draws it from one ``PageFigure`` (``view.page_figure``: why not plotly's FigureWidget).
Without anywidget, the timeline falls back to redrawing a plain figure a few times a second;
``COURSE_TIMELINE=redraw`` forces that.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import time
from collections.abc import Awaitable

import ipywidgets
import plotly.graph_objects as go

from course_lib.run.results import RunResult
from course_lib.trace.spans import Tracer
from course_lib.view.gantt_chart import gantt, layout_for, outline_width, traces_for
from course_lib.view.page_figure import PageFigure, plain
from course_lib.view.show import placeholder, show_in
from course_lib.view.strip import Strip, strip, strip_points
from course_lib.view.timeline import TRACE_ORDER, Timeline, timeline

REDRAW_FPS = 3.0  # a whole new figure each time: keep it to a few a second
DRAW_BUDGET = 25  # wait at least 25 times as long as the last draw took


def choose_mode() -> str:
    """'widget' (one PageFigure, redrawn in place) or 'redraw' (plain figures, re-displayed)."""
    forced = os.environ.get("COURSE_TIMELINE")
    if forced in ("widget", "redraw"):
        return forced
    return "widget" if importlib.util.find_spec("anywidget") else "redraw"


class LiveTimeline:
    """A timeline you can watch grow. Show ``.widget``, then ``await .follow(run, tracer)``.

    One figure serves every run: a PageFigure made at the first run and redrawn in place ever
    after. A run begins with its own title and ideal line, so nothing of the previous run shows;
    live frames are laid out as the final frame (same height, axes, strip and title lines); the
    last frame is exactly ``gantt(result)`` (or, if the run was stopped, what had happened by
    then), and a page reload shows it again. Where a PageFigure cannot work, plain figures are
    redrawn instead (``choose_mode``).
    """

    def __init__(
        self, title: str = "", max_lanes: int = 40, fps: float = 10.0, mode: str | None = None
    ) -> None:
        self.title, self.max_lanes, self.fps = title, max_lanes, fps
        self.mode = mode or choose_mode()
        self.draws = 0
        self._ideal: float | None = None
        self._quota: tuple[int | None, float] | None = None
        self._began = time.perf_counter()  # when the run was asked for: start-up counts
        self.drawing_s = 0.0  # time spent drawing live frames (the benchmark reports it)
        # The figure lives inside an Output, which shows the placeholder before the first run
        # and the PageFigure from then on (or, in redraw mode, each new figure).
        self.widget = ipywidgets.Output()
        self._one: PageFigure | None = None  # the one PageFigure, from the first run on
        self._figure: go.Figure = waiting_for_run(title)  # the last whole figure shown
        self._frame: dict | None = None  # the live frame shown since, as plain data
        show_in(self.widget, self._figure)

    @property
    def figure(self) -> go.Figure:
        """What the page shows now, as a plotly figure (a live frame's is made when asked)."""
        return self._figure if self._frame is None else go.Figure(self._frame)

    def start(
        self,
        title: str,
        ideal_s: float | None = None,
        quota: tuple[int | None, float] | None = None,
    ) -> None:
        """A new run begins: the figure shows its title (marked as starting) and ideal line,
        and no bar yet. ``quota`` (requests, per seconds) adds the strip under the bars
        (``view.strip``); a limit of None draws it without the quota line."""
        self.title = title
        self._ideal, self._quota = ideal_s, quota
        self._began = time.perf_counter()
        empty = timeline([])
        under = strip([], 0.0, *quota) if quota is not None else None
        layout = layout_for(
            empty, None, ideal_s, title, with_strip=under is not None, status="Starting… "
        )
        self._show(go.Figure(data=traces_for(empty, under), layout=layout))

    def _show(self, figure: go.Figure) -> None:
        """Show ``figure`` whole: in widget mode the one PageFigure draws it (made the first
        time), in redraw mode the plain figure is shown."""
        self.draws += 1
        self._figure, self._frame = figure, None
        if self.mode == "redraw":
            show_in(self.widget, figure)
        elif self._one is None:
            if "google.colab" in sys.modules:  # the Output's own figure, placeholder and all
                show_in(self.widget, figure)  # (view.show: it brings plotly.js along)
                self._one = self.widget._course_figure
            else:
                self._one = PageFigure(figure)
                show_in(self.widget, self._one)
        else:
            self._one.show(figure)

    def draw(
        self,
        data: Timeline,
        wall_s: float | None = None,
        ideal_s: float | None = None,
        title: str | None = None,
        final: bool = True,
        under: Strip | None = None,
        status: str = "",
    ) -> None:
        """Show ``data`` (and the strip ``under`` it) now, titled ``status`` + ``title``. A
        final frame is a whole new figure; a live frame (``final=False``) is the last whole
        figure's traces with today's points in them, and the layout of now, as plain data:
        plotly checking each value would cost ten times as much, ten times a second."""
        title = self.title if title is None else title
        layout = layout_for(data, wall_s, ideal_s, title, under is not None, status)
        if final or self.mode == "redraw" or self._one is None:
            self._show(go.Figure(data=traces_for(data, under), layout=layout))
            return
        self.draws += 1
        outline = outline_width(data)
        traces = [dict(trace) for trace in self._one.figure["data"]]  # the last whole figure's
        for trace, key in zip(traces, TRACE_ORDER, strict=False):  # one bar trace per key
            bar = data.bars[key]
            marker = trace.get("marker", {})
            trace.update(
                base=rounded(bar["base"]),
                x=rounded(bar["x"]),
                y=bar["y"],
                hovertext=None,  # a live frame has none: they are most of a frame's cost
                showlegend=bool(bar["x"]),
                marker={**marker, "line": {**marker.get("line", {}), "width": outline}},
            )
        if under is not None:  # the strip's four traces come after the bars
            for trace, points in zip(traces[len(TRACE_ORDER) :], strip_points(under), strict=True):
                trace.update(points, x=rounded(points["x"]))
        self._frame = {"data": traces, "layout": plain(layout)}
        self._one.show_data(self._frame)

    def show(self, result: RunResult) -> None:
        """The final picture: exactly ``gantt(result)``."""
        self._show(gantt(result, max_lanes=self.max_lanes))

    def show_figure(self, figure: go.Figure) -> None:
        """The final picture of code that was not a run (``%%timeline``): ``figure``, whole."""
        self._show(figure)

    def _strip(self, spans: list, t0: float | None) -> Strip | None:
        return strip(spans, t0 or 0.0, *self._quota) if self._quota is not None else None

    def stopped(self, tracer: Tracer) -> None:
        """The last frame of a run that was stopped: what had happened, and when it stopped,
        on the calls' clock (and the start-up before it, if it took a while); stopped before
        any call, a word on the start-up instead."""
        now = time.perf_counter()
        if tracer.t0 is None:
            after = now - self._began
            text = f"Stopped during start-up, {after:.1f} s after Run: no call had started."
            self._show(placeholder(text, 160, layout_for(timeline([]), None, None, self.title)))
            return
        at, start_up = now - tracer.t0, tracer.t0 - self._began
        spans = tracer.snapshot()
        data = timeline(spans, tracer.t0, self.max_lanes)
        status = f"Stopped at {at:.2f} s: "
        if start_up >= 0.5:  # a pool or a cluster started first: say so, or the time looks wrong
            status = f"Stopped at {at:.2f} s, after {start_up:.1f} s of start-up: "
        self.draw(
            data, at, self._ideal, self.title, under=self._strip(spans, tracer.t0), status=status
        )

    async def follow(
        self,
        run: Awaitable[RunResult],
        tracer: Tracer,
        title: str | None = None,
        ideal_s: float | None = None,
        quota: tuple[int | None, float] | None = None,
    ) -> RunResult:
        """Await ``run`` while drawing ``tracer``'s spans as they happen; returns its result.
        ``quota``: (requests, per seconds) for a strip under the bars, as ``start`` takes it.
        Until the run's clock starts (worker processes, a cluster), the title counts the
        start-up's seconds."""
        self.start(self.title if title is None else title, ideal_s, quota)
        task = asyncio.ensure_future(run)
        fps = self.fps if self.mode == "widget" else min(self.fps, REDRAW_FPS)
        cost = 0.0  # a moving average of what a frame costs: one slow frame does not stall
        empty = timeline([])
        try:
            while not task.done():
                started = time.perf_counter()
                if tracer.t0 is not None:  # the run's clock has started
                    spans = tracer.snapshot()
                    live = timeline(spans, tracer.t0, self.max_lanes, hover=False)
                    under = self._strip(spans, tracer.t0)
                    self.draw(live, None, ideal_s, final=False, under=under, status="Running… ")
                elif started - self._began >= 0.5:  # say that it is starting, and for how long
                    status = f"Starting… {started - self._began:.1f} s "
                    under = self._strip([], 0.0)
                    self.draw(empty, None, ideal_s, final=False, under=under, status=status)
                spent = time.perf_counter() - started
                self.drawing_s += spent
                cost = spent if not cost else 0.7 * cost + 0.3 * spent
                await asyncio.wait({task}, timeout=pause(fps, cost))
        except asyncio.CancelledError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            self.stopped(tracer)
            raise
        result = task.result()
        self.show(result)
        return result


def pause(fps: float, cost: float) -> float:
    """Seconds to wait before the next frame: ``fps`` frames a second while a frame is cheap,
    and never more than 1/25 of the time drawing (4 %), however big the run: a run busy computing
    would be slowed by every millisecond spent here.

    >>> pause(10, 0.002), pause(10, 0.02)
    (0.1, 0.5)
    """
    return max(1.0 / fps, DRAW_BUDGET * cost)


def waiting_for_run(title: str = "") -> go.Figure:
    """The picture before the first run: a word on what to do instead of empty axes."""
    text = "Press <b>Run</b>: the timeline of the calls draws itself here as they go."
    return placeholder(text, 160, layout_for(timeline([]), None, None, title))


def rounded(times: list[float]) -> list[float]:
    """Seconds to the tenth of a millisecond: what a live frame needs, in a third of the bytes.

    >>> rounded([0.123456789, 2.0])
    [0.1235, 2.0]
    """
    return [round(t, 4) for t in times]
