"""What a timeline shows, as plain data: rows (lanes) and, per phase, the bars' starts, lengths,
rows and hover texts. ``gantt`` turns it into a figure; the live timeline redraws it while a run
goes. Past ``max_lanes`` rows, one-task lanes (coroutines) are packed into reusable rows ("slots")
so 1,000 calls stay readable, and the waiting is summarised instead of drawn.

>>> from course_lib.trace.lanes import MAIN
>>> timeline([Span(0, MAIN, "in_flight", 0.0, 0.5, 1, label="Hi")]).lanes
['main']
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from course_lib.trace.lanes import Lane, named
from course_lib.trace.spans import (
    BACKOFF,
    CPU,
    IN_FLIGHT,
    TOOL,
    WAIT_RATE,
    WAIT_SLOT,
    Span,
    numbered,
)

#: (legend name, colour) per phase: colour-blind-safe (after Okabe-Ito), each at least 3:1 against
#: the white plot, so a projector shows them too.
PHASE_STYLE: dict[str, tuple[str, str]] = {
    WAIT_SLOT: ("waiting for a free slot", "#8A8A8A"),  # 3.4:1 against the white background
    WAIT_RATE: ("waiting for a rate-limit token", "#AA4499"),
    BACKOFF: ("backing off before a retry", "#B77B00"),
    IN_FLIGHT: ("in flight (waiting for the model)", "#0072B2"),
    CPU: ("CPU work", "#D55E00"),
    TOOL: ("a tool running (search, lookup)", "#009E73"),
}
REFUSED = ("refused: 429 rate limit", "#CC0000")
FAILED = ("failed call (5xx, timeout)", "#4D0000")
CANCELLED = ("cancelled before its answer", "#0072B2")  # the in-flight blue, hatched
TRACE_ORDER = (
    WAIT_SLOT,
    WAIT_RATE,
    BACKOFF,
    IN_FLIGHT,
    CPU,
    TOOL,
    "refused",
    "failed",
    "cancelled",
)
#: (legend name, colour) of each trace in ``TRACE_ORDER``.
TRACE_STYLE: dict[str, tuple[str, str]] = {
    **PHASE_STYLE,
    "refused": REFUSED,
    "failed": FAILED,
    "cancelled": CANCELLED,
}


def trace_key(span: Span) -> str:
    """Which trace draws ``span``: its phase, or, for a call that returned no answer, "refused"
    (a 429: over the rate limit), "failed" (a 5xx, a timeout, another error) or "cancelled"
    (your code gave up on it: ``asyncio.timeout``, the losers of a hedged request, a Stop)."""
    if span.phase != IN_FLIGHT or span.outcome in ("ok", "running"):
        return span.phase
    if span.outcome in ("cancelled", "429"):
        return "cancelled" if span.outcome == "cancelled" else "refused"
    return "failed"


@dataclass
class Timeline:
    """What a timeline figure shows, as plain lists (cheap to rebuild ten times a second)."""

    lanes: list[str]
    bars: dict[str, dict[str, list[Any]]]  # per trace: base, x, y, hovertext
    note: str = ""
    end: float = 0.0


def _hover(span: Span, start: float, end: float, row: str) -> str:
    label = html.escape(span.label[:60]) or "(no label)"
    name = PHASE_STYLE.get(span.phase, (span.phase, ""))[0]
    clocks = ""
    if span.cpu_s is not None:  # CPU work: the wall clock and the CPU clock can disagree
        share = span.cpu_s / (end - start) if end > start else 1.0
        clocks = f"<br>CPU time {span.cpu_s:.2f} s of {end - start:.2f} s wall ({share:.0%})"
    return (
        f"<b>{label}</b><br>task {span.task} · {row}<br>{name}: "
        f"{start:.2f} → {end:.2f} s ({end - start:.2f} s){clocks}<br>outcome: {span.outcome}"
    )


def _pack(spans: list[Span]) -> tuple[dict[Lane, Lane], str]:
    """Put one-task lanes (coroutines, asyncio tasks) on shared rows: each takes the first row
    that is free when it starts. Returns each lane's row, and a note on who waited."""
    first: dict[Lane, float] = {}
    last: dict[Lane, float] = {}
    for s in spans:
        if s.phase != WAIT_SLOT:
            first[s.lane] = min(first.get(s.lane, s.start), s.start)
            last[s.lane] = max(last.get(s.lane, s.end), s.end)
    rows_end: list[float] = []
    row_of: dict[Lane, Lane] = {}
    slots: list[Lane] = []
    for lane, begins in sorted(first.items(), key=lambda item: item[1]):
        if lane.kind not in ("coroutine", "task"):
            row_of[lane] = lane
            continue
        row = next((i for i, end in enumerate(rows_end) if end <= begins), len(rows_end))
        if row == len(rows_end):
            rows_end.append(0.0)
            slots.append(named("slot", row + 1))
        rows_end[row] = last[lane]
        row_of[lane] = slots[row]
    waits = sorted(s.end - s.start for s in spans if s.phase == WAIT_SLOT)
    note = ""
    if waits:
        note = (
            f"{len(waits)} tasks waited for a free slot (median {waits[len(waits) // 2]:.2f} s,"
            f" longest {waits[-1]:.2f} s); coroutines share rows"
        )
    return row_of, note


def timeline(
    spans: Iterable[Span], t0: float | None = None, max_lanes: int = 40, hover: bool = True
) -> Timeline:
    """The bars of a timeline, with times relative to ``t0`` (default: the earliest start).
    ``hover=False`` leaves the hover texts out: a live frame does not need them, and they are
    most of its cost."""
    spans = numbered(spans)
    note, packed = "", False
    row_of: dict[Lane, Lane] = {}
    if len({s.lane for s in spans}) > max_lanes:
        (row_of, note), packed = _pack(spans), True
    if t0 is None:
        t0 = min((s.start for s in spans), default=0.0)
    bars = {key: {"base": [], "x": [], "y": [], "hovertext": []} for key in TRACE_ORDER}
    rows: dict[Lane, str] = {}
    end = 0.0
    for s in spans:
        if packed and s.phase == WAIT_SLOT:  # summarised in the note instead
            continue
        bar = bars.get(trace_key(s))
        if bar is None:
            continue
        lane = row_of.get(s.lane, s.lane)
        row = rows.get(lane) or rows.setdefault(lane, str(lane))
        start, stop = s.start - t0, s.end - t0
        bar["base"].append(start)
        bar["x"].append(max(stop - start, 0.0))
        bar["y"].append(row)
        if hover:
            bar["hovertext"].append(_hover(s, start, stop, row))
        end = max(end, stop)
    lanes = sorted(rows, key=Lane.sort_key)
    return Timeline([rows[lane] for lane in lanes], bars, note, end)
