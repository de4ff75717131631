"""Verdicts: one-line conclusions computed from what was measured, so a lesson never claims what
this machine did not do. Each starts with "→" and names its numbers, so a reader (and a test) can
check the words against them.

>>> print(compare_times("2 processes", 0.31, "one after the other", 0.6))
→ 2 processes took 0.31 s, one after the other 0.60 s: 2 processes were 1.9x faster.
>>> print(compare_times("threads", 1.02, "one after the other", 0.98))
→ threads took 1.02 s, one after the other 0.98 s: about the same (within 10 %).
>>> print(cores_used(2, work_s=0.6, wall_s=0.33, cores=2))
→ 2 processes did 0.60 s of CPU work in 0.33 s: about 1.8 cores' worth at once (you have 2).
>>> print(calls_verdict([(0.0, 1.0), (1.0, 2.0), (2.0, 3.1)], span_s=3.1))
→ 3 calls, at most 1 in flight: they ran one after another (3.10 s of waiting in 3.10 s).
>>> print(calls_verdict([(0.0, 1.0), (0.0, 1.1), (0.1, 1.0)], span_s=1.1))
→ 3 calls, up to 3 in flight at once: they overlapped, 3.00 s of waiting in 1.10 s (2.7x).
>>> print(calls_verdict([(0.0, 0.1), (0.0, 0.1), (1.0, 1.1)], span_s=1.1))  # a retry's wait
→ 3 calls, up to 2 in flight at once, but only 0.30 s of waiting in 1.10 s: most of the time \
passed between calls (waits the code chose, such as a retry's, or its own work).
"""

from __future__ import annotations

from course_lib.trace.overlap import most_at_once

SAME = 1.1  # within 10 %: about the same, on a machine whose timings wobble


def _were(name: str) -> str:
    return "were" if name.endswith("s") and not name.endswith("ss") else "was"


def compare_times(a: str, a_s: float, b: str, b_s: float) -> str:
    """Which of two measured times was faster, and by how much; "about the same" within 10 %."""
    line = f"→ {a} took {a_s:.2f} s, {b} {b_s:.2f} s: "
    fast, slow = (a, b) if a_s <= b_s else (b, a)
    ratio = max(a_s, b_s) / max(min(a_s, b_s), 1e-9)
    if ratio < SAME:
        return line + "about the same (within 10 %)."
    return line + f"{fast} {_were(fast)} {ratio:.1f}x faster."


def cores_used(workers: int, work_s: float, wall_s: float, cores: int) -> str:
    """How many cores' worth of computing ``workers`` got: ``work_s`` of CPU in ``wall_s``."""
    worth = work_s / max(wall_s, 1e-9)
    line = (
        f"→ {workers} processes did {work_s:.2f} s of CPU work in {wall_s:.2f} s: "
        f"about {worth:.1f} cores' worth at once (you have {cores})."
    )
    if worth < min(workers, cores) * 0.75:
        line += " Something else was using the cores too."
    elif worth > min(workers, cores) * 1.1:  # more than they can have: the work was timed slow
        line += (
            " More than they could have: the work ran faster in the processes than when it was"
            " timed here (a shared core speeds up and slows down)."
        )
    return line


def calls_verdict(calls: list[tuple[float, float]], span_s: float) -> str:
    """What the calls (each one's start and end) did in ``span_s``, from the first call out to
    the last answer: one after another, or overlapping, and by how much, from the measurement
    alone."""
    if not calls:
        return f"→ No Gemini call in {span_s:.2f} s."
    n, most = len(calls), most_at_once(calls)
    waiting = sum(end - start for start, end in calls)
    what = "1 call" if n == 1 else f"{n} calls"
    if most == 1:
        how = "it was the only one" if n == 1 else "they ran one after another"
        return (
            f"→ {what}, at most 1 in flight: {how} ({waiting:.2f} s of waiting in {span_s:.2f} s)."
        )
    gain = waiting / max(span_s, 1e-9)
    if gain < 1:  # they overlapped at times, but most of the time went between calls
        return (
            f"→ {what}, up to {most} in flight at once, but only {waiting:.2f} s of waiting in "
            f"{span_s:.2f} s: most of the time passed between calls (waits the code chose, such "
            "as a retry's, or its own work)."
        )
    return (
        f"→ {what}, up to {most} in flight at once: they overlapped, {waiting:.2f} s of waiting "
        f"in {span_s:.2f} s ({gain:.1f}x)."
    )


def ideal_bounds(calls: list[tuple[float, float]]) -> tuple[float, float]:
    """Two bounds on the wall time these calls could take, as they were: shared among as many at
    once as overlapped here (their summed time divided by that), and all at once (the longest).

    >>> ideal_bounds([(0.0, 1.0), (1.0, 2.0), (0.5, 1.5)])
    (1.5, 1.0)
    """
    most = max(most_at_once(calls), 1)
    waiting = sum(end - start for start, end in calls)
    return waiting / most, max((end - start for start, end in calls), default=0.0)
