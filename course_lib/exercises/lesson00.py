"""Checks for lesson 00 (concurrency vs parallelism): I/O- or CPU-bound, and real core counts.

>>> check_cores(2)
√ Right: the quota (2 CPUs' worth of time per period) wins over the 16 cores the host reports.
>>> bool(check_cores(16))
False
"""

from __future__ import annotations

from course_lib.exercises.feedback import Feedback, right, sorting, wrong

#: Tasks to sort into I/O-bound ("io") and CPU-bound ("cpu"), with why.
IO_OR_CPU_TASKS: dict[str, tuple[str, str]] = {
    "ask Gemini for 100 summaries": ("io", "the time is spent waiting for Google's servers"),
    "resize 10,000 photos in pure Python": ("cpu", "every pixel is computed by your own process"),
    "download 50 web pages": ("io", "the time is spent waiting for the network"),
    "count the words in 1 GB of text with a Python loop": (
        "cpu",
        "the loop runs in your interpreter the whole time",
    ),
    "read rows from a database on another machine": ("io", "the database does the work; you wait"),
}


def check_io_or_cpu(answers: dict[str, str]) -> Feedback:
    """Sort each task of ``IO_OR_CPU_TASKS`` into "io" or "cpu"."""
    return sorting(
        answers,
        IO_OR_CPU_TASKS,
        ("io", "cpu"),
        " Ask: is my own CPU busy, or am I waiting?",
        "I/O-bound work waits (concurrency helps: asyncio or threads); CPU-bound work "
        "computes (only more cores help: processes).",
    )


def check_cores(answer: int) -> Feedback:
    """``os.cpu_count()`` says 16 and /sys/fs/cgroup/cpu.max reads "200000 100000": how many
    processes can compute at the same time?"""
    given: object = answer  # what a learner passes may be ... or "2": check what came
    if given is ...:
        return wrong("replace ... with your answer, a whole number of processes.")
    if isinstance(given, str):
        number = given.strip()
        hint = "right number" if number == "2" else "answer"
        return wrong(f"give your {hint} as a number, without quotes: check_cores({number}).")
    if given == 16:
        return wrong(
            "16 is what the host machine has. cpu.max gives 200000 µs of CPU time every "
            "100000 µs: divide them."
        )
    if given == 2:
        return right(
            "the quota (2 CPUs' worth of time per period) wins over the 16 cores the host reports."
        )
    return wrong("read cpu.max as 'quota period' in microseconds: quota / period CPUs.")
