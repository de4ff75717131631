"""What a timeline shows, as plain data: rows (lanes) and, per phase, the bars' starts, lengths,
rows and hover texts. ``gantt`` turns it into a figure; the live timeline redraws it while a run
goes. Past ``max_lanes`` rows, one-task lanes (coroutines) are packed into reusable rows ("slots")
so 1,000 calls stay readable, and the waiting is summarised instead of drawn; agents share rows
too, one row per agent (its model calls and its tools), at most ``max_lanes`` of them, and only
the slowest agents' critical paths are drawn.

>>> from course_lib.trace.lanes import MAIN
>>> timeline([Span(0, MAIN, "in_flight", 0.0, 0.5, 1, label="Hi")]).lanes
['main']
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from course_lib.trace.critical import critical_paths
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
FAILED = ("failed (5xx, timeout, error)", "#4D0000")
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


def band_shapes(data: Timeline) -> list[dict[str, Any]]:
    """Light grey bands behind every other agent's rows (plotly shapes)."""
    return [
        dict(
            type="rect",
            xref="paper",
            x0=0,
            x1=1,
            yref="y",
            y0=first - 0.5,
            y1=last + 0.5,
            fillcolor="#F2F2F2",
            line_width=0,
            layer="below",
        )
        for first, last in data.bands or []
    ]


def trace_key(span: Span) -> str:
    """Which trace draws ``span``: its phase, or, for a call or a tool that returned no answer,
    "refused" (a 429: over the rate limit), "failed" (a 5xx, a timeout, another error) or
    "cancelled" (your code gave up on it: ``asyncio.timeout``, the losers of a hedged request, a
    sibling's failure in a TaskGroup, a Stop)."""
    if span.phase not in (IN_FLIGHT, TOOL) or span.outcome in ("ok", "running"):
        return span.phase
    if span.outcome in ("cancelled", "429"):
        return "cancelled" if span.outcome == "cancelled" else "refused"
    return "failed"


#: The critical path's name in the legend, and how many agents' paths a timeline draws once
#: agents share rows (the slowest ones: a line per agent would cover the bars).
CRITICAL, SLOWEST = "critical path (sets the wall time)", 3


@dataclass
class Timeline:
    """What a timeline figure shows, as plain lists (cheap to rebuild ten times a second)."""

    lanes: list[str]
    bars: dict[str, dict[str, list[Any]]]  # per trace: base, x, y, hovertext
    note: str = ""
    end: float = 0.0
    critical: dict[str, list[Any]] | None = None  # the critical path's line: x and y (rows)
    bands: list[tuple[int, int]] | None = None  # every other agent's rows: (first, last) row
    critical_name: str = CRITICAL  # the line's name in the legend: whose paths it draws


#: Lanes drawn as a group of rows each: an agent (its model calls, its tools), a Dask worker
#: (its calls, its CPU work), with one more row wherever calls overlap.
GROUPS = ("agent", "worker")


def agent_bands(lanes: list[Lane]) -> list[tuple[int, int]]:
    """The rows of every second agent or worker (first and last row, counted from the top), so
    that a timeline can shade them and each one's group of rows reads as one."""
    groups: list[list[int]] = []
    for row, lane in enumerate(lanes):
        if lane.kind not in GROUPS:
            continue
        if groups and lanes[groups[-1][0]].index == lane.index:
            groups[-1].append(row)
        else:
            groups.append([row])
    return [(rows[0], rows[-1]) for rows in groups[1::2]]


def _hover(span: Span, start: float, end: float, row: str) -> str:
    label = html.escape(span.label[:60]) or "(no label)"
    name = PHASE_STYLE.get(span.phase, (span.phase, ""))[0]
    clocks = ""
    if span.cpu_s is not None:  # CPU work: the wall clock and the CPU clock can disagree
        share = span.cpu_s / (end - start) if end > start else 1.0
        clocks = f"<br>CPU time {span.cpu_s:.2f} s of {end - start:.2f} s wall ({share:.0%})"
    call = ""
    if span.model:  # a model call: which model, and the tokens its answer counted
        call = f"<br>{html.escape(span.model)}"
        if span.tokens_in is not None or span.tokens_out is not None:
            call += f": {span.tokens_in or 0} tokens in, {span.tokens_out or 0} out"
        if span.first_at is not None:  # a stream: when its first token came
            call += f"<br>first token after {span.first_at - span.start:.2f} s"
    return (
        f"<b>{label}</b><br>task {span.task} · {row}<br>{name}: "
        f"{start:.2f} → {end:.2f} s ({end - start:.2f} s){clocks}{call}<br>"
        f"outcome: {span.outcome}"
    )


def _pack(spans: list[Span], max_lanes: int) -> tuple[dict[Lane, Lane], str]:
    """Put one-task lanes (coroutines, asyncio tasks) on shared rows: each takes the first row
    that is free when it starts. Agents share rows likewise, each on one row ("agent row 3"),
    its model calls and its tools together. Past ``max_lanes`` at once (agents, or ten thousand
    calls gathered in one cell), a lane takes the row that frees up first and is drawn over the
    one still on it. Returns each lane's row, and a note on who waited and who shares rows."""
    first: dict[Lane, float] = {}
    last: dict[Lane, float] = {}
    for s in spans:
        if s.phase != WAIT_SLOT:
            first[s.lane] = min(first.get(s.lane, s.start), s.start)
            last[s.lane] = max(last.get(s.lane, s.end), s.end)
    row_of: dict[Lane, Lane] = {}
    rows_end: dict[str, list[float]] = {"coroutine": [], "agent": []}
    crowded: set[str] = set()  # kinds with more at once than rows: some drawn over others
    for lane, begins in sorted(first.items(), key=lambda item: item[1]):
        kind = "coroutine" if lane.kind in ("coroutine", "task") else lane.kind
        if kind not in rows_end:
            row_of[lane] = lane
            continue
        ends = rows_end[kind]
        row = next((i for i, end in enumerate(ends) if end <= begins), len(ends))
        if row == len(ends) and row >= max_lanes:  # more at once than rows: over the first free
            row = min(range(len(ends)), key=ends.__getitem__)
            crowded.add(kind)
        if row == len(ends):
            ends.append(0.0)
        ends[row] = max(ends[row], last[lane])
        if kind == "agent":
            row_of[lane] = Lane("slot", row + 1, f"agent row {row + 1}")
        else:
            row_of[lane] = named("slot", row + 1)
    notes = []
    waits = sorted(s.end - s.start for s in spans if s.phase == WAIT_SLOT)
    if waits:
        notes.append(
            f"{len(waits)} tasks waited for a free slot (median {waits[len(waits) // 2]:.2f} s,"
            f" longest {waits[-1]:.2f} s)"
        )
    if rows_end["coroutine"] and (waits or "coroutine" in crowded):
        crowd = len(rows_end["coroutine"])
        over = f" (more than {crowd} at once: some drawn over others)"
        notes.append("coroutines share rows" + (over if "coroutine" in crowded else ""))
    agents, rows = sum(1 for lane in first if lane.kind == "agent"), len(rows_end["agent"])
    if agents:
        notes.append(
            f"{agents} agents share {rows} rows, one row for an agent's calls and tools"
            + (f" (more than {rows} at once: some drawn over others)" if "agent" in crowded else "")
        )
    return row_of, "; ".join(notes)


def _agent_rows(spans: list[Span]) -> dict[int, Lane]:
    """Rows for agents' spans (by position in ``spans``, which go by start): an agent's model
    calls on "<agent> · model", its tools on "<agent> · tools", and one more row ("· tools 2")
    for each call that overlaps those already on a row, so concurrent calls never hide each
    other."""
    ends: dict[tuple[Lane, str], list[float]] = {}
    rows: dict[int, Lane] = {}
    for i, s in enumerate(spans):
        if s.lane.kind not in GROUPS:
            continue
        calls = "model" if s.lane.kind == "agent" else "calls"
        what = "tools" if s.phase == TOOL else "CPU" if s.phase == CPU else calls
        free = ends.setdefault((s.lane, what), [])
        k = next((k for k, end in enumerate(free) if end <= s.start + 1e-6), len(free))
        free[k : k + 1] = [s.end]  # takes row k (a new row past the last)
        label = f"{s.lane} · {what}" + (f" {k + 1}" if k else "")
        rank = {"model": 0, "calls": 0, "tools": 1}.get(what, 2)
        rows[i] = Lane(s.lane.kind, s.lane.index, f"{rank}{k:03d}{label}")
    return rows


def _row_label(lane: Lane) -> str:
    return lane.label[4:] if lane.kind in GROUPS and lane.label[:4].isdigit() else str(lane)


def timeline(
    spans: Iterable[Span],
    t0: float | None = None,
    max_lanes: int = 40,
    hover: bool = True,
    critical: bool = False,
) -> Timeline:
    """The bars of a timeline, with times relative to ``t0`` (default: the earliest start).
    ``hover=False`` leaves the hover texts out: a live frame does not need them, and they are
    most of its cost. ``critical``: also the line of the critical path (per agent, if there are
    agents: see ``course_lib.trace.critical``)."""
    spans = numbered(spans)
    agent_rows = _agent_rows(spans)
    note, packed = "", False
    row_of: dict[Lane, Lane] = {}
    rows_needed = set(agent_rows.values()) | {s.lane for s in spans if s.lane.kind not in GROUPS}
    if len(rows_needed) > max_lanes:
        (row_of, note), packed = _pack(spans, max_lanes), True
        if any(s.lane.kind == "agent" for s in spans):
            agent_rows = {i: lane for i, lane in agent_rows.items() if lane.kind != "agent"}
    if t0 is None:
        t0 = min((s.start for s in spans), default=0.0)
    bars: dict[str, dict[str, list[Any]]] = {
        key: {"base": [], "x": [], "y": [], "hovertext": []} for key in TRACE_ORDER
    }
    rows: dict[Lane, str] = {}
    end = 0.0
    row_of_span: dict[int, str] = {}
    for i, s in enumerate(spans):
        if packed and s.phase == WAIT_SLOT:  # summarised in the note instead
            continue
        bar = bars.get(trace_key(s))
        if bar is None:
            continue
        lane = agent_rows.get(i) or row_of.get(s.lane, s.lane)
        row = rows.get(lane) or rows.setdefault(lane, _row_label(lane))
        row_of_span[id(s)] = row
        start, stop = s.start - t0, s.end - t0
        bar["base"].append(start)
        bar["x"].append(max(stop - start, 0.0))
        bar["y"].append(row)
        if hover:
            where = f"{s.lane} on {row}" if lane.kind != s.lane.kind else row  # a shared row
            bar["hovertext"].append(_hover(s, start, stop, where))
        end = max(end, stop)
    lanes = sorted(rows, key=Lane.sort_key)
    line: dict[str, list[Any]] | None = None
    name = CRITICAL
    if critical:
        line = {"x": [], "y": []}
        paths = critical_paths(spans)
        if packed and len(paths) > SLOWEST:  # one line per agent would cover the shared rows
            name = f"critical path of the {SLOWEST} slowest agents (of {len(paths)})"
            paths = sorted(paths, key=_took, reverse=True)[:SLOWEST]
        for path in paths:
            for s in path:
                line["x"] += [s.start - t0, s.end - t0]
                line["y"] += [row_of_span.get(id(s))] * 2
            line["x"].append(None)  # a gap between agents
            line["y"].append(None)
    return Timeline([rows[lane] for lane in lanes], bars, note, end, line, agent_bands(lanes), name)


def _took(path: list[Span]) -> float:
    """How long an agent took, from its first step on its critical path to its last."""
    return path[-1].end - path[0].start if path else 0.0
