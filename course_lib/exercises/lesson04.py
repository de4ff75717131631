"""Checks for lesson 04 (hybrid): predict the two shapes, and judge when a pool pays off."""

from __future__ import annotations

from course_lib.exercises.feedback import Feedback, as_number, close_to, right, sorting, wrong
from course_lib.run.registry import ideal_seconds
from course_lib.run.settings import Settings

#: The workload of the hybrid prediction exercise.
HYBRID_EXERCISE = Settings(prompts=8, latency=1.0, concurrency=2, processes=2, cpu_work=500)


def check_hybrid_prediction(fetch_all: float, pipelined: float) -> Feedback:
    """With ``HYBRID_EXERCISE`` on 2 cores: the best wall time of "fetch all, then analyse"
    and of the pipelined hybrid."""
    for value, what in ((fetch_all, "fetch_all"), (pipelined, "pipelined")):
        checked = as_number(value, what)
        if isinstance(checked, Feedback):
            return checked
    s = HYBRID_EXERCISE
    want_all = ideal_seconds("hybrid", s, cores=2)
    want_pipe = ideal_seconds("hybrid-pipelined", s, cores=2)
    if not close_to(fetch_all, want_all):
        if close_to(fetch_all, 4 + 8 * 0.5):
            return wrong("fetch_all: the analysis is shared by 2 processes, 4 answers each.")
        return wrong(
            "fetch_all: first every call (8 calls, 2 at a time, 1 s each), then every "
            "analysis (8 × 0.5 s shared by 2 processes)."
        )
    if not close_to(pipelined, want_pipe):
        return wrong(
            "pipelined: answers arrive 2 at a time, every second, and each is analysed at once "
            "while the next calls are out. Only the last pair's analysis (0.5 s) is left after "
            "the last call returns."
        )
    return right(
        f"{want_all:g} s and {want_pipe:g} s: pipelining hides the analysis behind the "
        "waiting, all but the last answer's."
    )


#: Workloads to judge: is a process pool for the analysis worth it on top of asyncio?
HYBRID_WORTH_IT: dict[str, tuple[str, str]] = {
    "count the words of each answer (about 50 µs)": (
        "no",
        "it is tiny next to a call; sending it to a process costs more than doing it",
    ),
    "score each answer with 400 ms of pure-Python parsing": (
        "yes",
        "400 ms of CPU per answer would block the event loop; processes run it on other cores",
    ),
    "send each answer to a second web API": (
        "no",
        "that is more waiting, not computing: asyncio handles it alone",
    ),
    "run a 2-second pure-Python simulation per answer, on a 2-core machine": (
        "yes",
        "heavy CPU work: two processes halve it, and the event loop stays free for the calls",
    ),
}


def check_hybrid_worth_it(answers: dict[str, str]) -> Feedback:
    """Answer "yes" or "no" for each workload of ``HYBRID_WORTH_IT``."""
    return sorting(
        answers,
        HYBRID_WORTH_IT,
        ("yes", "no"),
        "",
        "processes pay off for heavy CPU work per answer, never for waiting.",
    )
