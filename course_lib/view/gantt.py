"""Timelines (Gantt charts) of a run.

``gantt(result)`` draws one row per lane (the coroutine, thread or process that did the work) and
one bar per span, coloured by phase, with a line at the wall time and one at the ideal bound. Past
``max_lanes`` rows, coroutines share rows (see ``course_lib.view.timeline``).

The figure has one horizontal ``Bar`` trace per phase (``base`` = starts, ``x`` = durations), plus
one for failed calls, always in the same order: the live timeline updates those arrays in place.

>>> from course_lib.trace.lanes import MAIN
>>> from course_lib.trace.spans import Span
>>> spans = [Span(0, MAIN, "in_flight", 0.0, 0.5, 1, label="Hi")]
>>> fig = gantt(spans=spans, wall_s=0.5, ideal_s=0.5)
>>> [trace.name for trace in fig.data][2], len(fig.layout.shapes)
('in flight (waiting for the model)', 2)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import plotly.graph_objects as go

from course_lib.run.registry import scenario
from course_lib.run.results import RunResult
from course_lib.trace.spans import WAIT_SLOT, Span
from course_lib.view.timeline import FAILED, PHASE_STYLE, TRACE_ORDER, Timeline, timeline

ROW_PX, MIN_HEIGHT, MAX_HEIGHT = 22, 260, 900


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
        font=dict(color=color, size=11),
    )
    return shape, note


def layout_for(
    data: Timeline, wall_s: float | None, ideal_s: float | None, title: str
) -> dict[str, Any]:
    """The figure layout: lanes top to bottom, the two lines, a height that fits the rows."""
    shapes, notes = [], []
    if ideal_s is not None:
        shape, note = _line(ideal_s, f"ideal {ideal_s:.2f} s", "dot", "#009E73")
        shapes.append(shape)
        notes.append({**note, "xanchor": "right"})
    if wall_s is not None:
        shape, note = _line(wall_s, f"wall {wall_s:.2f} s", "dash", "#000000")
        shapes.append(shape)
        notes.append({**note, "xanchor": "left"})
    if data.note:  # a subtitle: below the plot it would collide with the axis title
        title = f"{title}<br><sup>{data.note}</sup>"
    right = max([data.end, wall_s or 0, ideal_s or 0, 0.1]) * 1.1  # room for the labels
    return dict(
        title=dict(text=title, x=0.01),
        barmode="overlay",
        bargap=0.25,
        height=min(MAX_HEIGHT, max(MIN_HEIGHT, 130 + ROW_PX * len(data.lanes))),
        margin=dict(l=10, r=10, t=70, b=110),
        xaxis=dict(title=None, ticksuffix=" s", range=[0, right], zeroline=False),
        yaxis=dict(
            categoryorder="array",
            categoryarray=data.lanes,
            autorange="reversed",
            title=None,
            automargin=True,
        ),
        legend=dict(orientation="h", yanchor="top", y=-0.18, x=0, xanchor="left"),
        shapes=shapes,
        annotations=notes,
        hoverlabel=dict(align="left"),
    )


def traces_for(data: Timeline) -> list[go.Bar]:
    """One Bar trace per phase, then failed calls; always all five, in ``TRACE_ORDER``."""
    traces = []
    for key in TRACE_ORDER:
        name, color = FAILED if key == "failed" else PHASE_STYLE[key]
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
                marker_line=dict(width=0),
                showlegend=True,
                marker_pattern_shape="x" if key == "failed" else "",
                opacity=0.55 if key == WAIT_SLOT else 1.0,
            )
        )
    return traces


def gantt(
    result: RunResult | None = None,
    *,
    spans: Iterable[Span] | None = None,
    t0: float | None = None,
    wall_s: float | None = None,
    ideal_s: float | None = None,
    title: str | None = None,
    max_lanes: int = 40,
) -> go.Figure:
    """A timeline of a run: ``gantt(result)``; for your own code, ``gantt(spans=tracer.spans)``."""
    if result is not None:
        spans, t0 = result.spans, result.t0
        wall_s = result.wall_s if wall_s is None else wall_s
        ideal_s = result.ideal_s if ideal_s is None else ideal_s
        title = title or run_title(result)
    data = timeline(spans or [], t0, max_lanes)
    return go.Figure(data=traces_for(data), layout=layout_for(data, wall_s, ideal_s, title or ""))


def run_title(result: RunResult) -> str:
    """'<b>concurrent</b>: 20 prompts, latency 0.5 s, concurrency 5': what a run was."""
    s, chosen = result.settings, scenario(result.scenario)
    parts = [f"{s.prompts} prompts", f"latency {s.latency:g} s"]
    if "concurrency" in chosen.uses:
        named_as = chosen.name_of("concurrency")
        parts.append(
            f"{s.concurrency} {named_as}"
            if named_as != "concurrency"
            else f"concurrency {s.concurrency}"
        )
    if "processes" in chosen.uses:
        parts.append(f"{s.processes} processes")
    if s.cpu_work:
        parts.append(f"CPU {s.cpu_work:g} ms per answer")
    return f"<b>{result.scenario}</b>: {', '.join(parts)}"
