"""The strip under a timeline, on the same time axis: how many calls were in flight, how much of
the rate limit was left, and where the API said no (429s) or failed (5xx, timeouts).

All of it is worked out from the spans, so it draws the same for the kit's runs, your own traced
code, and a live run as it goes. "Quota left" counts, at each moment, the requests the API
admitted in the last ``period_s`` seconds (a 429 costs nothing, as on Gemini) against ``limit``:
the server's view of your budget. A client-side limiter keeps it at 0 or above; without one, the
429 ticks start where it reaches 0.

>>> from course_lib.trace.lanes import MAIN
>>> spans = [Span(i, MAIN, "in_flight", i * 0.1, i * 0.1 + 0.5, 1) for i in range(3)]
>>> s = strip(spans, t0=0.0, limit=2, period_s=1.0)
>>> max(s.in_flight[1]), min(s.quota_left[1])
(3, -1)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import plotly.graph_objects as go

from course_lib.trace.spans import IN_FLIGHT, Span


@dataclass
class Strip:
    """Step lines as (times, values), and tick times; ``limit`` and ``period_s`` say what "quota
    left" counts against (None: no limit was set, and that line is not drawn)."""

    in_flight: tuple[list[float], list[int]]
    quota_left: tuple[list[float], list[int]]
    refused: list[float] = field(default_factory=list)  # 429s
    failed: list[float] = field(default_factory=list)  # 5xx, timeouts, other errors
    limit: int | None = None
    period_s: float = 60.0


def _steps(changes: list[tuple[float, int]], start: int = 0) -> tuple[list[float], list[int]]:
    """A step line from (time, +n or -n) changes: the value after each moment's changes."""
    times, levels, level = [0.0], [start], start
    for t, change in sorted(changes):
        level += change
        if times[-1] == t:  # several changes at one moment: keep the last value only
            levels[-1] = level
        else:
            times.append(t)
            levels.append(level)
    return times, levels


def strip(
    spans: Iterable[Span], t0: float, limit: int | None = None, period_s: float = 60.0
) -> Strip:
    """The strip for ``spans`` (times relative to ``t0``); ``limit`` requests per ``period_s``."""
    flying: list[tuple[float, int]] = []
    admitted: list[tuple[float, int]] = []
    refused, failed = [], []
    for s in spans:
        if s.phase != IN_FLIGHT:
            continue
        start, end = s.start - t0, s.end - t0
        flying += [(start, 1), (end, -1)] if s.outcome != "running" else [(start, 1)]
        if s.outcome == "429":
            refused.append(end)
            continue
        if s.outcome not in ("ok", "running", "cancelled"):
            failed.append(end)
        admitted += [(start, -1), (start + period_s, 1)]  # it leaves the window after period_s
    quota = _steps(admitted, limit) if limit is not None else ([], [])
    return Strip(_steps(flying), quota, sorted(refused), sorted(failed), limit, period_s)


STRIP_PX = 120  # the strip's height under the bars
STRIP_ROOM = STRIP_PX + 30  # what the strip adds to a figure's height (a gap above it)
LEGEND_ROOM = 44  # and to its top margin: the strip's legend entries may take two more lines
# the quota line is purple, apart from the ideal line's green (both are dotted or dashed)
IN_FLIGHT_COLOR, QUOTA_COLOR, REFUSED_COLOR, FAILED_COLOR = "#0072B2", "#6A3D9A", "#CC0000", "#000"


def strip_traces(data: Strip) -> list[go.Scatter]:
    """Four traces on the strip's axis (``y2``), always in this order, empty when there is
    nothing to show. What moves in them while a run goes is ``strip_points``."""
    flying, quota, refused, failed = strip_points(data)
    return [
        go.Scatter(
            name="calls in flight",
            **flying,
            line=dict(shape="hv", color=IN_FLIGHT_COLOR, width=2),
            yaxis="y2",
            hovertemplate="%{y} in flight at %{x:.2f} s<extra></extra>",
        ),
        go.Scatter(
            name=f"quota left (of {data.limit} per {data.period_s:g} s)",
            **quota,
            line=dict(shape="hv", color=QUOTA_COLOR, width=2, dash="dash"),
            yaxis="y2",
            hovertemplate="%{y} requests left at %{x:.2f} s<extra></extra>",
        ),
        _ticks("a 429", refused, "line-ns-open", 16, REFUSED_COLOR),
        _ticks("a 5xx or timeout", failed, "x-thin-open", 10, FAILED_COLOR),
    ]


def strip_points(data: Strip) -> list[dict]:
    """The points of the strip's four traces, and whether each has a legend entry: what a live
    frame changes in them."""
    ticks = [
        {"x": t, "y": [0] * len(t), "showlegend": bool(t)} for t in (data.refused, data.failed)
    ]
    flying = {"x": data.in_flight[0], "y": data.in_flight[1]}
    quota = {"x": data.quota_left[0], "y": data.quota_left[1], "showlegend": data.limit is not None}
    return [flying, quota, *ticks]


def _ticks(name: str, points: dict, symbol: str, size: int, color: str) -> go.Scatter:
    """A mark on the strip's floor at each moment in ``points``."""
    return go.Scatter(
        name=name,
        **points,
        mode="markers",
        yaxis="y2",
        hoverinfo="x+name",
        marker=dict(symbol=symbol, size=size, color=color, line_width=2),
    )


def strip_layout(layout: dict) -> None:
    """Make room in a timeline's ``layout`` for the strip: the figure grows by ``STRIP_PX``,
    the bars' axis moves up, the strip's axis (``yaxis2``) goes under it, and so does the time
    axis, which both share."""
    layout["height"] += STRIP_ROOM
    layout["margin"]["t"] += LEGEND_ROOM
    plot_px = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    share = STRIP_PX / plot_px
    layout["yaxis"]["domain"] = [share + 30 / plot_px, 1]
    layout["yaxis2"] = dict(
        domain=[0, share],
        anchor="x",
        rangemode="tozero",
        title=dict(text="calls", font=dict(size=12)),
        gridcolor="#E3E3E3",
        zeroline=True,
        zerolinecolor="#888888",
    )
    layout["xaxis"]["anchor"] = "y2"
