"""The critical path: the chain of spans, each starting when the one before it ended, that sets
how long a run took. Shorten anything on it and the run ends sooner; shorten anything off it and
nothing changes. In a prompt chain every call is on it; in a fan-out only the slowest branch is.

Found backwards from the span that ended last: its predecessor is the span that ended last before
it started (within ``slack_s``: the event loop takes a moment to start the next step).

>>> from course_lib.trace.lanes import agent
>>> a = agent(1)
>>> spans = [Span(0, a, "in_flight", 0.0, 1.0, 1), Span(1, a, "tool", 1.0, 1.5, 1),
...          Span(2, a, "tool", 1.0, 2.0, 1), Span(3, a, "in_flight", 2.0, 3.0, 1)]
>>> [s.task for s in critical_path(spans)]   # the slower tool (task 2) is on it, not task 1
[0, 2, 3]
"""

from __future__ import annotations

from collections.abc import Iterable

from course_lib.trace.spans import WAIT_SLOT, Span


def critical_path(spans: Iterable[Span], slack_s: float = 0.02) -> list[Span]:
    """The critical path of ``spans``, first span first (waits for a free slot are left out: they
    wait for other work, which is on the path instead)."""
    done = sorted(
        (s for s in spans if s.phase != WAIT_SLOT and s.end == s.end), key=lambda s: s.end
    )
    if not done:
        return []
    path = [done[-1]]
    while True:
        here = path[-1]
        before = [s for s in done if s.end <= here.start + slack_s and s.start < here.start]
        if not before:
            return path[::-1]
        path.append(max(before, key=lambda s: (s.end, s.start)))


def critical_paths(spans: Iterable[Span], slack_s: float = 0.02) -> list[list[Span]]:
    """One critical path per agent (spans on ``agent`` lanes), or one for the whole run if no
    span is an agent's: each agent's own steps set when that agent is done."""
    spans = list(spans)
    groups: dict[int, list[Span]] = {}
    for s in spans:
        if s.lane.kind == "agent":
            groups.setdefault(s.lane.index, []).append(s)
    if not groups:
        return [critical_path(spans, slack_s)]
    return [critical_path(group, slack_s) for _, group in sorted(groups.items())]
