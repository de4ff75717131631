"""The live timeline: a Gantt chart that grows while a run is in progress.

>>> live, tracer = LiveTimeline(), Tracer()              # doctest: +SKIP
>>> live.widget                                          # doctest: +SKIP
>>> result = await live.follow(run_scenario("concurrent", tracer=tracer), tracer)  # doctest: +SKIP

A bar appears when a call starts and grows until it ends. Updates are throttled (10 a second by
default) and drawn from ``tracer.snapshot()``, which works for asyncio, thread and process runs
alike. When the run ends, the picture is redrawn from the result, so it equals ``gantt(result)``.

Where plotly's FigureWidget cannot work (no anywidget, or Colab with plotly 5), the timeline falls
back to redrawing a plain figure a few times a second. ``COURSE_TIMELINE=redraw`` forces that.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable

import ipywidgets
import numpy as np
import plotly
import plotly.graph_objects as go

from course_lib.run.results import RunResult
from course_lib.trace.spans import Tracer
from course_lib.view.gantt_chart import gantt, layout_for, outline_width, traces_for
from course_lib.view.show import placeholder, show_in
from course_lib.view.strip import Strip, strip, strip_traces
from course_lib.view.timeline import TRACE_ORDER, Timeline, timeline

REDRAW_FPS = 3.0  # a whole new figure each time: keep it to a few a second
DRAW_BUDGET = 25  # wait at least 25 times as long as the last draw took


def choose_mode() -> str:
    """'widget' (a FigureWidget updated in place) or 'redraw' (plain figures, re-displayed)."""
    forced = os.environ.get("COURSE_TIMELINE")
    if forced in ("widget", "redraw"):
        return forced
    if "google.colab" in sys.modules and int(plotly.__version__.split(".")[0]) < 6:
        return "redraw"  # Colab's plotly 5 FigureWidget needs a widget manager it lacks
    try:
        go.FigureWidget()
    except Exception:  # plotly 6+ without anywidget raises ImportError
        return "redraw"
    return "widget"


class LiveTimeline:
    """A timeline you can watch grow. Show ``.widget``, then ``await .follow(run, tracer)``.

    Each run gets a fresh figure with its own title and ideal line from its first frame, so
    nothing of the previous run shows; while it runs, a FigureWidget is updated in place (or a
    plain figure redrawn). The last frame is a plain figure, exactly ``gantt(result)`` (or, if
    the run was stopped, what had happened by then): it is saved with the notebook and shows
    again after a page reload.
    """

    def __init__(
        self, title: str = "", max_lanes: int = 40, fps: float = 10.0, mode: str | None = None
    ) -> None:
        self.title, self.max_lanes, self.fps = title, max_lanes, fps
        self.mode = mode or choose_mode()
        self.draws = 0
        self._ideal: float | None = None
        self._quota: tuple[int | None, float] | None = None
        self.drawing_s = 0.0  # time spent drawing live frames (the benchmark reports it)
        # The figure lives inside an Output: a FigureWidget nested straight into a Box can render
        # broken in plotly 6 (plotly.py #4998); displayed into an Output it renders reliably.
        self.widget = ipywidgets.Output()
        self.figure: go.FigureWidget | go.Figure = waiting_for_run(title)
        show_in(self.widget, self.figure)

    def start(
        self,
        title: str,
        ideal_s: float | None = None,
        quota: tuple[int | None, float] | None = None,
    ) -> None:
        """A new run begins: a fresh figure with its title (marked as running) and ideal line.
        ``quota`` (requests, per seconds) adds the strip under the bars (``view.strip``); a
        limit of None draws it without the quota line."""
        self.title = title
        self._ideal, self._quota = ideal_s, quota
        empty = timeline([])
        under = strip([], 0.0, *quota) if quota is not None else None
        layout = layout_for(empty, None, ideal_s, f"Running… {title}", with_strip=under is not None)
        figure = go.FigureWidget if self.mode == "widget" else go.Figure
        self.figure = figure(data=traces_for(empty, under), layout=layout)
        show_in(self.widget, self.figure)

    def draw(
        self,
        data: Timeline,
        wall_s: float | None = None,
        ideal_s: float | None = None,
        title: str | None = None,
        final: bool = True,
        under: Strip | None = None,
    ) -> None:
        """Show ``data`` (and the strip ``under`` it) now. A final frame is a plain figure with
        everything; a live frame (``final=False``) sends only what moves: the bars, the strip's
        lines, the rows, the axis and the title."""
        title = self.title if title is None else title
        layout = layout_for(data, wall_s, ideal_s, title, with_strip=under is not None)
        self.draws += 1
        if final or self.mode == "redraw":
            self.figure = go.Figure(data=traces_for(data, under), layout=layout)
            show_in(self.widget, self.figure)
            return
        outline = outline_width(data)
        bars = self.figure.data[: len(TRACE_ORDER)]
        with self.figure.batch_update():
            if under is not None:  # the strip's four traces come after the bars
                strips = self.figure.data[len(TRACE_ORDER) :]
                for trace, fresh in zip(strips, strip_traces(under), strict=True):
                    trace.update(x=fresh.x, y=fresh.y, showlegend=fresh.showlegend)
            for trace, key in zip(bars, data.bars, strict=True):
                bar = data.bars[key]
                # numpy arrays every time: plotly checks them at once and sends them as binary,
                # and one type throughout keeps its change detection exact
                trace.update(
                    base=np.asarray(bar["base"], dtype=float),
                    x=np.asarray(bar["x"], dtype=float),
                    y=np.asarray(bar["y"], dtype=object),
                    showlegend=bool(bar["x"]),
                    marker_line_width=outline,
                )
            self.figure.layout.update(
                height=layout["height"],
                legend_y=layout["legend"]["y"],
                margin_t=layout["margin"]["t"],
                xaxis_range=layout["xaxis"]["range"],
                yaxis_categoryarray=layout["yaxis"]["categoryarray"],
                title_text=layout["title"]["text"],  # "Running…", and past 40 rows who waits
            )

    def show(self, result: RunResult) -> None:
        """The final picture: exactly ``gantt(result)``."""
        self.draws += 1
        self.figure = gantt(result, max_lanes=self.max_lanes)
        show_in(self.widget, self.figure)

    def _strip(self, spans: list, t0: float | None) -> Strip | None:
        return strip(spans, t0 or 0.0, *self._quota) if self._quota is not None else None

    def stopped(self, tracer: Tracer) -> None:
        """The last frame of a run that was stopped: what had happened, and when it stopped."""
        at = time.perf_counter() - (tracer.t0 or time.perf_counter())
        spans = tracer.snapshot()
        data = timeline(spans, tracer.t0, self.max_lanes)
        title = f"Stopped at {at:.2f} s: {self.title}"
        self.draw(data, at, self._ideal, title, under=self._strip(spans, tracer.t0))

    async def follow(
        self,
        run: Awaitable[RunResult],
        tracer: Tracer,
        title: str | None = None,
        ideal_s: float | None = None,
        quota: tuple[int | None, float] | None = None,
    ) -> RunResult:
        """Await ``run`` while drawing ``tracer``'s spans as they happen; returns its result.
        ``quota``: (requests, per seconds) for a strip under the bars, as ``start`` takes it."""
        self.start(self.title if title is None else title, ideal_s, quota)
        task = asyncio.ensure_future(run)
        fps = self.fps if self.mode == "widget" else min(self.fps, REDRAW_FPS)
        cost = 0.0  # a moving average of what a frame costs: one slow frame does not stall
        try:
            while not task.done():
                started = time.perf_counter()
                if tracer.t0 is not None:  # the run's clock has started
                    spans = tracer.snapshot()
                    live = timeline(spans, tracer.t0, self.max_lanes, hover=False)
                    under = self._strip(spans, tracer.t0)
                    running = f"Running… {self.title}"
                    self.draw(live, ideal_s=ideal_s, title=running, final=False, under=under)
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
