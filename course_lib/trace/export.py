"""Spans as a Chrome trace-event file, which Perfetto (ui.perfetto.dev) and chrome://tracing open.

Each span is a complete event (``"ph": "X"``, times in microseconds from the run's start). Each
process is a Chrome "process" and each lane a "thread" track, named with metadata events. Events
on one track must nest, so spans that overlap on one lane (calls a learner's code made at once
from one thread) each get a track of their own: "task 1", "task 1 (2)", ...

>>> from course_lib.trace.lanes import named
>>> spans = [Span(0, named("coroutine", 1), "in_flight", 0.0, 0.5, 42, label="Hi")]
>>> [e["ph"] for e in chrome_trace(spans)["traceEvents"]]
['M', 'M', 'M', 'X']
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from course_lib.trace.lanes import Lane
from course_lib.trace.spans import Span, numbered

#: What each phase is called in the trace viewer.
PHASE_NAMES = {
    "wait_slot": "waiting for a slot",
    "backoff": "backing off",
    "in_flight": "in flight",
    "cpu": "CPU work",
}


def _tracks(spans: list[Span]) -> dict[int, tuple[Lane, int]]:
    """{span id: (lane, track number)}: on each lane, a span takes the first track that is free
    when it starts, so no two spans of one track overlap."""
    placed: dict[int, tuple[Lane, int]] = {}
    free_at: dict[Lane, list[float]] = {}
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        ends = free_at.setdefault(s.lane, [])
        track = next((i for i, end in enumerate(ends) if end <= s.start), len(ends))
        if track == len(ends):
            ends.append(s.end)
        ends[track] = s.end
        placed[id(s)] = (s.lane, track)
    return placed


def chrome_trace(spans: Iterable[Span], t0: float | None = None) -> dict[str, Any]:
    """The trace-event JSON object for ``spans``, times relative to ``t0`` (default: the first)."""
    spans = [s for s in numbered(spans) if s.end == s.end]  # still-open spans have no end yet
    if t0 is None:
        t0 = min((s.start for s in spans), default=0.0)
    tracks = _tracks(spans)
    kernel = os.getpid()
    events: list[dict[str, Any]] = []
    tids: dict[tuple[int, Lane, int], int] = {}
    for pid in sorted({s.pid for s in spans}):
        name = "this process" if pid == kernel else f"pid {pid}"
        process_lanes = {s.lane for s in spans if s.pid == pid}
        if all(lane.kind == "process" for lane in process_lanes) and len(process_lanes) == 1:
            name = str(next(iter(process_lanes)))  # a worker: "process 2"
        events.append(_meta("process_name", pid, 0, name))
    ordered = sorted(set(tracks.values()), key=lambda lt: (lt[0].sort_key(), lt[1]))
    for s in spans:
        lane, track = tracks[id(s)]
        key = (s.pid, lane, track)
        if key not in tids:
            tids[key] = len(tids) + 1
            title = str(lane) if track == 0 else f"{lane} ({track + 1})"
            events.append(_meta("thread_name", s.pid, tids[key], title))
            events.append(
                {
                    **_meta("thread_sort_index", s.pid, tids[key], ""),
                    "args": {"sort_index": ordered.index((lane, track))},
                }
            )
    for s in sorted(spans, key=lambda s: s.start):
        lane, track = tracks[id(s)]
        events.append(
            {
                "name": PHASE_NAMES.get(s.phase, s.phase),
                "cat": s.phase,
                "ph": "X",
                "ts": round((s.start - t0) * 1e6, 3),
                "dur": round(max(0.0, s.end - s.start) * 1e6, 3),
                "pid": s.pid,
                "tid": tids[(s.pid, lane, track)],
                "args": {"task": s.task, "label": s.label, "outcome": s.outcome, **_call(s)},
            }
        )
    return {"traceEvents": events, "displayTimeUnit": "ms"}


def _call(span: Span) -> dict[str, Any]:
    """A model call's model and tokens, where they are known."""
    known: dict[str, Any] = {"model": span.model, "tokens_in": span.tokens_in}
    known["tokens_out"] = span.tokens_out
    if span.first_at is not None:
        known["first_token_s"] = round(span.first_at - span.start, 6)
    return {name: value for name, value in known.items() if value not in ("", None)}


def _meta(kind: str, pid: int, tid: int, name: str) -> dict[str, Any]:
    return {"name": kind, "ph": "M", "pid": pid, "tid": tid, "args": {"name": name}}


class Recorded(Protocol):
    """What holds spans: a ``Tracer``, or a run's result."""

    spans: list[Span]
    t0: float


def save_trace(recorded: Recorded, path: str | Path) -> Path:
    """Write what ``recorded`` holds (a ``Tracer`` or a run's result) to ``path`` as a Chrome
    trace-event file (open it in Perfetto or chrome://tracing); returns the path."""
    path = Path(path)
    path.write_text(json.dumps(chrome_trace(recorded.spans, recorded.t0)), encoding="utf-8")
    return path
