"""How much overlapped: the most calls out at one moment.

>>> most_at_once([(0.0, 1.0), (0.5, 1.5), (1.0, 2.0)])  # the first ends as the third starts
2
>>> below_limit_s([(0.0, 0.1), (0.0, 0.5), (0.5, 0.6), (0.5, 1.0)], limit=2)  # two waves
0.4
"""

from __future__ import annotations

from course_lib.trace.spans import IN_FLIGHT, Span


def most_in_flight(spans: list[Span]) -> int:
    """The largest number of calls that were out at the same moment."""
    return most_at_once([(s.start, s.end) for s in spans if s.phase == IN_FLIGHT])


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    """The most of these (start, end) intervals open at one moment."""
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    most = now = 0
    for _, step in edges:  # ends sort before starts at the same moment
        now += step
        most = max(most, now)
    return most


def below_limit_s(intervals: list[tuple[float, float]], limit: int) -> float:
    """How long fewer than ``limit`` of these (start, end) intervals were open while more were
    still to start: from the first start to the last, the time a free slot went unused (calls in
    waves leave one free until a wave's slowest call ends; a semaphore fills it at once)."""
    if not intervals:
        return 0.0
    last_start = max(start for start, _ in intervals)
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    below = 0.0
    now, open_ = edges[0][0], 0
    for at, step in edges:
        if at > last_start:
            break
        if open_ < limit:
            below += at - now
        now, open_ = at, open_ + step
    return round(below, 6)
