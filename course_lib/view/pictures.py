"""Pictures for the concepts lesson: the barista who makes three coffees.

Each coffee is 1 s of the barista's hands (grind and tamp), 3 s of the machine brewing while
nobody needs to watch it, and 1 s of hands again (pour). Hands are CPU; brewing is waiting (I/O).

>>> [round(max(s.end for s in barista_spans(k)), 1) for k in BARISTA_WAYS]
[15.0, 7.0, 5.0]
"""

from __future__ import annotations

import plotly.graph_objects as go

from course_lib.trace.lanes import Lane, named
from course_lib.trace.spans import CPU, IN_FLIGHT, Span
from course_lib.view.gantt_chart import gantt

BARISTA_WAYS = ("one at a time", "concurrent", "parallel")
_HANDS, _BREW = 1.0, 3.0


def _coffee(order: int, lane: Lane, start: float, pour_at: float | None = None) -> list[Span]:
    brewed = start + _HANDS + _BREW
    pour = brewed if pour_at is None else max(brewed, pour_at)
    return [
        Span(order, lane, CPU, start, start + _HANDS, 0, "ok", "grind and tamp"),
        Span(order, lane, IN_FLIGHT, start + _HANDS, brewed, 0, "ok", "the machine brews"),
        Span(order, lane, CPU, pour, pour + _HANDS, 0, "ok", "pour"),
    ]


def barista_spans(way: str) -> list[Span]:
    """Three coffees made ``way``: one of ``BARISTA_WAYS``."""
    if way == "one at a time":  # one barista, finishes each coffee before starting the next
        return [s for i in range(3) for s in _coffee(i + 1, named("coffee", i + 1), i * 5.0)]
    if way == "concurrent":  # one barista: starts every coffee, pours each once it is brewed
        spans = [s for i in range(3) for s in _coffee(i + 1, named("coffee", i + 1), i * _HANDS, 0)]
        hands_free = 3 * _HANDS
        for s in sorted((s for s in spans if s.label == "pour"), key=lambda s: s.start):
            s.start = max(s.start, hands_free)  # one pair of hands: pours wait their turn
            s.end = hands_free = s.start + _HANDS
        return spans
    if way == "parallel":  # three baristas, one coffee each, at the same time
        return [s for i in range(3) for s in _coffee(i + 1, named("barista", i + 1), 0.0)]
    raise ValueError(f"way must be one of {', '.join(BARISTA_WAYS)} (got {way!r})")


def barista(way: str) -> go.Figure:
    """The timeline of three coffees made ``way``. Orange: hands busy (CPU); blue: waiting."""
    spans = barista_spans(way)
    wall = max(s.end for s in spans)
    figure = gantt(spans=spans, t0=0.0, wall_s=wall, title=f"<b>{way}</b>: 3 coffees in {wall:g} s")
    figure.update_layout(height=300)
    names = {
        "CPU work": "hands busy (for a program: CPU)",
        "in flight": "the machine brews (waiting)",
    }
    for trace in figure.data:
        for old, new in names.items():
            if trace.name and trace.name.startswith(old):
                trace.name = new
    return figure
