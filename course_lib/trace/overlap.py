"""How much overlapped: the most calls out at one moment.

>>> most_at_once([(0.0, 1.0), (0.5, 1.5), (1.0, 2.0)])  # the first ends as the third starts
2
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
