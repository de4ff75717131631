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
from course_lib.view.gantt import layout_for, run_title, traces_for
from course_lib.view.timeline import Timeline, timeline

REDRAW_FPS = 3.0  # a whole new figure each time: keep it to a few a second
DRAW_BUDGET = 25  # wait at least 25 times as long as the last draw took


def show_in(output: ipywidgets.Output, obj: go.Figure | ipywidgets.Widget) -> None:
    """Make ``output`` show ``obj`` instead of what it showed.

    Sets the Output's contents directly, so it is safe from a Run button's background task. Both
    ``with output: display(obj)`` and ``output.append_display_data(obj)`` can go astray there:
    the first routes by whichever message is being handled at that moment, and the second lets
    plotly's ``_ipython_display_`` print into the current cell instead.
    """
    if hasattr(obj, "_repr_mimebundle_"):
        bundle = obj._repr_mimebundle_()
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
    else:  # ipywidgets 7 widgets only have _ipython_display_
        data = {
            "application/vnd.jupyter.widget-view+json": {
                "version_major": 2,
                "version_minor": 0,
                "model_id": obj.model_id,
            }
        }
        metadata = {}
    if not data and isinstance(obj, go.Figure):  # no renderer configured (outside a notebook)
        data = {"application/vnd.plotly.v1+json": obj.to_plotly_json()}
    data.setdefault("text/plain", f"<{type(obj).__name__}>")
    output.outputs = ({"output_type": "display_data", "data": data, "metadata": metadata},)


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
    """A timeline you can watch grow. Show ``.widget``, then ``await .follow(run, tracer)``."""

    def __init__(
        self, title: str = "", max_lanes: int = 40, fps: float = 10.0, mode: str | None = None
    ) -> None:
        self.title, self.max_lanes, self.fps = title, max_lanes, fps
        self.mode = mode or choose_mode()
        self.draws = 0
        self.drawing_s = 0.0  # time spent drawing live frames (the benchmark reports it)
        # The figure lives inside an Output: a FigureWidget nested straight into a Box can render
        # broken in plotly 6 (plotly.py #4998); displayed into an Output it renders reliably.
        self.widget = ipywidgets.Output()
        self.figure: go.FigureWidget | go.Figure
        empty = timeline([])
        figure = go.FigureWidget if self.mode == "widget" else go.Figure
        self.figure = figure(data=traces_for(empty), layout=layout_for(empty, None, None, title))
        self._redisplay()

    def draw(
        self,
        data: Timeline,
        wall_s: float | None = None,
        ideal_s: float | None = None,
        title: str | None = None,
        final: bool = True,
    ) -> None:
        """Show ``data`` now. Live frames (``final=False``) send only what moves: the bars, the
        rows and the axis range; hover texts and the rest of the layout come with the final one."""
        layout = layout_for(data, wall_s, ideal_s, self.title if title is None else title)
        self.draws += 1
        if self.mode == "redraw":
            self.figure = go.Figure(data=traces_for(data), layout=layout)
            self._redisplay()
            return
        with self.figure.batch_update():
            for trace, key in zip(self.figure.data, data.bars, strict=True):
                bar = data.bars[key]
                # numpy arrays every time: plotly checks them at once and sends them as binary,
                # and one type throughout keeps its change detection exact
                trace.update(
                    base=np.asarray(bar["base"], dtype=float),
                    x=np.asarray(bar["x"], dtype=float),
                    y=np.asarray(bar["y"], dtype=object),
                )
                if final:
                    trace.update(hovertext=bar["hovertext"])
            if final:
                self.figure.layout.update(layout)
            else:
                self.figure.layout.update(
                    height=layout["height"],
                    xaxis_range=layout["xaxis"]["range"],
                    yaxis_categoryarray=layout["yaxis"]["categoryarray"],
                )

    def show(self, result: RunResult) -> None:
        """The final picture: exactly ``gantt(result)``."""
        data = timeline(result.spans, result.t0, self.max_lanes)
        self.draw(data, result.wall_s, result.ideal_s, run_title(result))

    async def follow(self, run: Awaitable[RunResult], tracer: Tracer) -> RunResult:
        """Await ``run`` while drawing ``tracer``'s spans as they happen; returns its result."""
        task = asyncio.ensure_future(run)
        period = 1.0 / (self.fps if self.mode == "widget" else min(self.fps, REDRAW_FPS))
        try:
            while not task.done():
                started = time.perf_counter()
                self.draw(timeline(tracer.snapshot(), tracer.t0, self.max_lanes), final=False)
                # Drawing may take at most 1/25 of the time (4 %), however big the run gets:
                # a run that is busy computing would be slowed by every millisecond spent here.
                spent = time.perf_counter() - started
                self.drawing_s += spent
                await asyncio.wait({task}, timeout=max(period, DRAW_BUDGET * spent))
        except asyncio.CancelledError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise
        result = task.result()
        self.show(result)
        return result

    def _redisplay(self) -> None:
        show_in(self.widget, self.figure)
