"""Verdicts: one-line conclusions computed from what was measured, so a lesson never claims what
this machine did not do. Each starts with "→" and names its numbers, so a reader (and a test) can
check the words against them.

>>> print(compare_times("2 processes", 0.31, "one after the other", 0.6))
→ 2 processes took 0.31 s, one after the other 0.60 s: 2 processes were 1.9x faster.
>>> print(compare_times("threads", 1.02, "one after the other", 0.98))
→ threads took 1.02 s, one after the other 0.98 s: about the same (within 10 %).
>>> print(cores_used(2, work_s=0.6, wall_s=0.33, cores=2))
→ 2 processes did 0.60 s of CPU work in 0.33 s: about 1.8 cores' worth at once (you have 2).
"""

from __future__ import annotations

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
    return line
