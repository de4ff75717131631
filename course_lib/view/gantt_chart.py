"""Timelines (Gantt charts) of a run.

``gantt(result)`` draws one row per lane (the coroutine, thread or process that did the work) and
one bar per span, coloured by phase, with a line at the wall time and one at the ideal bound. Past
``max_lanes`` rows, coroutines and agents share rows (see ``course_lib.view.timeline``).

The figure has one horizontal ``Bar`` trace per phase (``base`` = starts, ``x`` = durations), plus
one each for refused, failed and cancelled calls, always in the same order: the live timeline
updates those arrays in place. A strip under the bars (``course_lib.view.strip``) shows calls in
flight, the quota left, and where 429s and failures came back.

>>> from course_lib.trace.lanes import MAIN
>>> from course_lib.trace.spans import Span
>>> spans = [Span(0, MAIN, "in_flight", 0.0, 0.5, 1, label="Hi")]
>>> fig = gantt(spans=spans, wall_s=0.5, ideal_s=0.5)
>>> [trace.name for trace in fig.data][3], len(fig.layout.shapes)
('in flight (waiting for the model)', 2)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import plotly.graph_objects as go

from course_lib.run.results import RunResult
from course_lib.trace.spans import BACKOFF, IN_FLIGHT, WAIT_RATE, Span
from course_lib.view.strip import (
    LEGEND_ROOM,
    STRIP_ROOM,
    Strip,
    strip,
    strip_layout,
    strip_traces,
)
from course_lib.view.timeline import TRACE_ORDER, TRACE_STYLE, Timeline, band_shapes, timeline
from course_lib.view.titles import STATUS_CHARS, TITLE_CHARS, lines, run_title, wrap

ROW_PX, MIN_HEIGHT, MAX_HEIGHT = 22, 260, 900
LEGEND_PX = 42  # the legend's bottom edge above the plot: clear of the wall and ideal labels


FONT = dict(size=13)  # legible on a projector
PATTERNS = {"refused": "x", "failed": "x", "cancelled": "/", BACKOFF: "/", WAIT_RATE: "."}
IDEAL, WALL = "#007A5A", "#000000"


def _line(x: float, text: str, dash: str, color: str) -> tuple[dict, dict]:
    shape = dict(
        type="line",
        xref="x",
        yref="paper",
        x0=x,
        x1=x,
        y0=0,
        y1=1,
        line=dict(color=color, dash=dash, width=2),
    )
    note = dict(
        xref="x",
        yref="paper",
        x=x,
        y=1.0,
        yanchor="bottom",
        showarrow=False,
        text=text,
        font=dict(color=color, size=13),
        bgcolor="rgba(255,255,255,0.8)",
    )
    return shape, note


def layout_for(
    data: Timeline,
    wall_s: float | None,
    ideal_s: float | None,
    title: str,
    with_strip: bool = False,
    status: str = "",
    height: int | None = None,
) -> dict[str, Any]:
    """The figure layout: lanes top to bottom, the two lines, a height that fits the rows (at
    most ``MAX_HEIGHT``, the strip included), a width that follows the page (a projector, a
    narrow Colab pane); ``with_strip``: room for the strip under the bars
    (``course_lib.view.strip``); ``height``: the figure's height in pixels instead, the rows
    sharing what is left. The title wraps (``view.titles``), the same way with or without a
    ``status`` before it ("Running… "): a live frame is laid out as the final one."""
    shapes, notes = [], []
    if ideal_s is not None:
        shape, note = _line(ideal_s, f"ideal {ideal_s:.2f} s", "dot", IDEAL)
        shapes.append(shape)
        notes.append({**note, "xanchor": "right"})
    if wall_s is not None:
        shape, note = _line(wall_s, f"wall {wall_s:.2f} s", "dash", WALL)
        shapes.append(shape)
        # two labels that would overlap: the wall's goes one line up
        close = ideal_s is not None and abs(wall_s - ideal_s) < 0.12 * max(wall_s, ideal_s, 0.1)
        notes.append({**note, "xanchor": "left", "yshift": 18 if close else 0})
    shapes.extend(band_shapes(data))  # every other agent's rows, lightly shaded
    title = status + wrap(title, first=TITLE_CHARS - STATUS_CHARS)
    if data.note:  # a subtitle: below the plot it would collide with the axis title
        title = f"{title}<br><sup>{data.note}</sup>"
    right = max([data.end, wall_s or 0, ideal_s or 0, 0.1]) * 1.12  # room for the labels
    room = STRIP_ROOM if with_strip else 0  # strip_layout adds it below
    if height is None:
        height = min(MAX_HEIGHT, max(MIN_HEIGHT, 170 + ROW_PX * len(data.lanes)) + room)
    height -= room
    # from the top: the title (two lines with a note), the legend, the line labels, the plot
    top, bottom = 90 + 20 * lines(title), 40
    rows_px = height - top - bottom - (LEGEND_ROOM if with_strip else 0)
    row_px = rows_px / max(len(data.lanes), 1)
    layout = dict(
        title=dict(
            text=title,
            x=0.01,
            xanchor="left",
            y=1,
            yref="container",
            yanchor="top",
            pad=dict(t=10),
            font=dict(size=15),
        ),
        font=FONT,
        autosize=True,
        barmode="overlay",
        bargap=0.25,
        plot_bgcolor="#FFFFFF",
        height=height,
        margin=dict(l=10, r=20, t=top, b=bottom),
        xaxis=dict(
            title=None,
            ticksuffix=" s",
            range=[0, right],
            zeroline=False,
            gridcolor="#E3E3E3",
            showline=True,
            linecolor="#888888",
        ),
        yaxis=dict(
            categoryorder="array",
            categoryarray=data.lanes,
            autorange="reversed",
            title=None,
            automargin=True,
            tickfont=dict(size=min(13, max(10, round(row_px * 0.8)))),  # thin rows, small names
        ),
        # above the plot, under the title: seen first, and never pushed out of a tall figure
        legend=dict(
            orientation="h",
            yanchor="bottom",
            y=1 + LEGEND_PX / (height - top - bottom),
            x=0,
            xanchor="left",
        ),
        shapes=shapes,
        annotations=notes,
        hoverlabel=dict(align="left", font=FONT),
    )
    if with_strip:
        strip_layout(layout)
    for name in ("xaxis", "yaxis", "yaxis2"):  # no rows yet (a run starting): no empty axes
        axis = layout.get(name)
        if isinstance(axis, dict):
            axis["visible"] = bool(data.lanes)
    return layout


def traces_for(data: Timeline, under: Strip | None = None) -> list[go.Bar | go.Scatter]:
    """One Bar trace per phase, then refused, failed and cancelled calls: always one per key of
    ``TRACE_ORDER``; the legend names only those with bars. Then the four traces of the strip
    ``under`` the bars, if there is one."""
    traces = []
    outline = outline_width(data)
    for key in TRACE_ORDER:
        name, color = TRACE_STYLE[key]
        bar = data.bars[key]
        traces.append(
            go.Bar(
                name=name,
                orientation="h",
                base=bar["base"],
                x=bar["x"],
                y=bar["y"],
                hovertext=bar["hovertext"],
                hoverinfo="text",
                marker_color=color,
                # a white outline keeps apart the calls that follow each other on one row
                marker_line=dict(width=outline, color="#FFFFFF"),
                showlegend=bool(bar["x"]),
                marker_pattern_shape=PATTERNS.get(key, ""),
            )
        )
    return traces + (strip_traces(under) if under is not None else [])


def outline_width(data: Timeline) -> float:
    """Pixels of white around each bar: 2 while bars are few (five calls in a row stay five
    bars), thinner when there are hundreds (a 5 ms bar would be all outline)."""
    bars = sum(len(bar["x"]) for bar in data.bars.values())
    return 2.0 if bars <= 100 else 0.6


def gantt(
    result: RunResult | None = None,
    *,
    spans: Iterable[Span] | None = None,
    t0: float | None = None,
    wall_s: float | None = None,
    ideal_s: float | None = None,
    title: str | None = None,
    max_lanes: int = 40,
    show_strip: bool | None = None,
    rpm: int | None = None,
    window_s: float = 60.0,
    critical_path: bool | None = None,
    height: int | None = None,
) -> go.Figure:
    """A timeline of a run: ``gantt(result)``; for your own code, ``gantt(spans=tracer.spans)``.
    ``height``: the figure's height in pixels (default: 22 a row, at most 900 with the strip).

    Under the bars, a strip on the same time axis shows the calls in flight, the quota left
    (``rpm`` requests per ``window_s``; a run's own settings by default) and ticks at each 429
    and 5xx. ``show_strip`` None shows it when the run had a rate limit, waited for one, or met
    a 429 or a failure. ``critical_path``: a black line through the steps that set the wall time
    (one per agent, if the spans are agents': ``course_lib.trace.critical``); None draws it for
    a run of agents."""
    if result is not None:
        spans, t0 = result.spans, result.t0
        wall_s = result.wall_s if wall_s is None else wall_s
        ideal_s = result.ideal_s if ideal_s is None else ideal_s
        title = title or run_title(result)
        rpm = result.settings.rpm if rpm is None else rpm
        window_s = getattr(result.settings, "window_s", window_s)
    spans = list(spans or [])
    if critical_path is None:
        critical_path = result is not None and any(s.lane.kind == "agent" for s in spans)
    data = timeline(spans, t0, max_lanes, critical=critical_path)
    if show_strip is None:
        show_strip = rpm is not None or any(wants_strip(s) for s in spans)
    under = None
    if show_strip:
        start = t0 if t0 is not None else min((s.start for s in spans), default=0.0)
        under = strip(spans, start, rpm, window_s)
    layout = layout_for(data, wall_s, ideal_s, title or "", with_strip=show_strip, height=height)
    figure = go.Figure(data=traces_for(data, under), layout=layout)
    if data.critical:
        figure.add_scatter(
            **data.critical,
            mode="lines+markers",
            name=data.critical_name,
            line=dict(color="#000000", width=3),
            marker=dict(size=5, color="#000000"),
            hoverinfo="skip",
        )
    return figure


def wants_strip(span: Span) -> bool:
    """A span that the strip explains: a wait for a rate token, a 429, a failed call."""
    return span.phase == WAIT_RATE or (
        span.phase == IN_FLIGHT and span.outcome not in ("ok", "running", "cancelled")
    )
