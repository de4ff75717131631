"""Timelines (Gantt charts) of a run, and a chart that compares runs.

``gantt(result)`` draws one row per lane (the coroutine, thread or process that did the work) and
one bar per span, coloured by phase, with a line at the wall time and one at the ideal bound. Past
``max_lanes`` rows, one-task lanes (coroutines) are packed into reusable rows ("slots") so 1,000
calls stay readable, and the waiting is summarised instead of drawn.

The figure has one horizontal ``Bar`` trace per phase (``base`` = starts, ``x`` = durations), plus
one for failed calls, always in the same order: the live timeline updates those arrays in place.

>>> from course_lib.trace.spans import Span
>>> spans = [Span(0, "main", "in_flight", 0.0, 0.5, 1, label="Hi")]
>>> fig = gantt(spans=spans, wall_s=0.5, ideal_s=0.5)
>>> [trace.name for trace in fig.data][2], len(fig.layout.shapes)
('in flight (waiting for the model)', 2)
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import plotly.graph_objects as go

from course_lib.run.settings import RunResult, Settings, ideal_seconds
from course_lib.trace.spans import BACKOFF, CPU, IN_FLIGHT, WAIT_SLOT, Span, process_lane_names

#: (legend name, colour) per phase; colour-blind-safe (Okabe-Ito) and readable in print.
PHASE_STYLE: dict[str, tuple[str, str]] = {
    WAIT_SLOT: ("waiting for a free slot", "#BBBBBB"),
    BACKOFF: ("backing off before a retry", "#E69F00"),
    IN_FLIGHT: ("in flight (waiting for the model)", "#0072B2"),
    CPU: ("CPU work", "#D55E00"),
}
FAILED = ("failed call", "#CC0000")
TRACE_ORDER = (WAIT_SLOT, BACKOFF, IN_FLIGHT, CPU, "failed")
ROW_PX, MIN_HEIGHT, MAX_HEIGHT = 22, 260, 900


@dataclass
class Timeline:
    """What a timeline figure shows, as plain lists (cheap to rebuild ten times a second)."""

    lanes: list[str]
    bars: dict[str, dict[str, list[Any]]]  # per trace: base, x, y, hovertext
    note: str = ""
    end: float = 0.0


def _natural(lane: str) -> tuple:
    kind_order = {
        "main": 0,
        "task": 1,
        "coroutine": 1,
        "slot": 1,
        "thread": 2,
        "process": 3,
        "pid": 3,
    }
    words = re.split(r"(\d+)", lane)
    return (kind_order.get(words[0].strip(), 4), *(int(w) if w.isdigit() else w for w in words))


def _hover(span: Span, start: float, end: float) -> str:
    label = html.escape(span.label[:60]) or "(no label)"
    name = PHASE_STYLE.get(span.phase, (span.phase, ""))[0]
    return (
        f"<b>{label}</b><br>task {span.task} · {span.lane}<br>{name}: "
        f"{start:.2f} → {end:.2f} s ({end - start:.2f} s)<br>outcome: {span.outcome}"
    )


def _pack(spans: list[Span]) -> tuple[list[Span], str]:
    """Put one-task lanes on shared rows: a lane takes the first row free when it starts."""
    by_lane: dict[str, list[Span]] = {}
    for s in spans:
        if s.phase != WAIT_SLOT:
            by_lane.setdefault(s.lane, []).append(s)
    rows_end: list[float] = []
    lane_row: dict[str, str] = {}
    for lane, group in sorted(by_lane.items(), key=lambda kv: min(s.start for s in kv[1])):
        if not lane.startswith("coroutine"):
            lane_row[lane] = lane
            continue
        first, last = min(s.start for s in group), max(s.end for s in group)
        row = next((i for i, end in enumerate(rows_end) if end <= first), len(rows_end))
        if row == len(rows_end):
            rows_end.append(last)
        rows_end[row] = last
        lane_row[lane] = f"slot {row + 1}"
    waits = sorted(s.end - s.start for s in spans if s.phase == WAIT_SLOT)
    note = ""
    if waits:
        note = (
            f"{len(waits)} tasks waited for a free slot (median {waits[len(waits) // 2]:.2f} s,"
            f" longest {waits[-1]:.2f} s); coroutines share rows"
        )
    packed = [replace(s, lane=lane_row[s.lane]) for s in spans if s.phase != WAIT_SLOT]
    return packed, note


def timeline(spans: Iterable[Span], t0: float | None = None, max_lanes: int = 40) -> Timeline:
    """The bars of a timeline, with times relative to ``t0`` (default: the earliest start)."""
    spans = list(spans)
    names = process_lane_names(spans)
    spans = [s if s.lane not in names else replace(s, lane=names[s.lane]) for s in spans]
    note = ""
    if len({s.lane for s in spans}) > max_lanes:
        spans, note = _pack(spans)
    if t0 is None:
        t0 = min((s.start for s in spans), default=0.0)
    bars = {key: {"base": [], "x": [], "y": [], "hovertext": []} for key in TRACE_ORDER}
    end = 0.0
    for s in spans:
        key = "failed" if s.phase == IN_FLIGHT and s.outcome not in ("ok", "running") else s.phase
        bar = bars.get(key)
        if bar is None:
            continue
        start, stop = s.start - t0, s.end - t0
        bar["base"].append(start)
        bar["x"].append(max(stop - start, 0.0))
        bar["y"].append(s.lane)
        bar["hovertext"].append(_hover(s, start, stop))
        end = max(end, stop)
    return Timeline(sorted({s.lane for s in spans}, key=_natural), bars, note, end)


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
    s = result.settings
    parts = [f"{s.prompts} prompts", f"latency {s.latency:g} s"]
    if result.scenario in ("concurrent", "hybrid", "hybrid-pipelined"):
        parts.append(f"concurrency {s.concurrency}")
    if result.scenario == "threads":
        parts.append(f"{s.concurrency} threads")
    if result.scenario in ("parallel", "hybrid", "hybrid-pipelined"):
        parts.append(f"{s.processes} processes")
    if s.cpu_work:
        parts.append(f"CPU {s.cpu_work:g} ms per answer")
    return f"<b>{result.scenario}</b>: {', '.join(parts)}"


# -- comparing runs --------------------------------------------------------------------------------
@dataclass
class Comparison:
    """Runs side by side: wall time, the ideal bound, and the speed-up over sequential.

    The baseline is a sequential run with the same workload if there is one, else the sequential
    ideal bound (marked "≈").
    """

    results: list[RunResult] = field(default_factory=list)

    def add(self, result: RunResult) -> None:
        self.results.append(result)

    def speedup(self, result: RunResult) -> tuple[float, bool]:
        """(speed-up over sequential, measured?)."""
        key = _workload(result.settings)
        for other in reversed(self.results):
            if other.scenario == "sequential" and _workload(other.settings) == key:
                return other.wall_s / result.wall_s, True
        return ideal_seconds("sequential", result.settings) / result.wall_s, False

    def figure(self) -> go.Figure:
        labels = [f"{i + 1}. {r.scenario}" for i, r in enumerate(self.results)]
        texts = []
        for r in self.results:
            factor, measured = self.speedup(r)
            texts.append(f"{r.wall_s:.2f} s · {'' if measured else '≈'}{factor:.1f}×")
        hover = [run_title(r) for r in self.results]
        fig = go.Figure(
            [
                go.Bar(
                    name="wall time",
                    x=labels,
                    y=[r.wall_s for r in self.results],
                    text=texts,
                    textposition="outside",
                    hovertext=hover,
                    hoverinfo="text",
                    marker_color=PHASE_STYLE[IN_FLIGHT][1],
                ),
                go.Scatter(
                    name="ideal bound",
                    x=labels,
                    y=[r.ideal_s for r in self.results],
                    mode="markers",
                    marker=dict(
                        symbol="line-ew-open", size=28, color="#009E73", line=dict(width=3)
                    ),
                ),
            ]
        )
        fig.update_layout(
            title="Runs compared: speed-up over sequential (≈: against theory)"
            "<br><sup>ideal bounds assume no failed calls</sup>",
            yaxis_title="wall time (s)",
            height=360,
            bargap=0.4,
            margin=dict(l=10, r=10, t=60, b=40),
        )
        return fig


def _workload(s: Settings) -> tuple:
    """The settings that change the work itself, not how it is spread out."""
    return (s.prompts, s.latency, s.jitter, s.cpu_work, s.rpm, s.failure_rate, s.seed, s.model)
