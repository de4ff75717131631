"""Checks for lesson 03 (parallel): CPU work in threads and processes, and start methods."""

from __future__ import annotations

from course_lib.exercises.feedback import Feedback, as_number, close_to, right, wrong


def check_cpu_prediction(threads_s: float, processes_s: float) -> Feedback:
    """4 tasks of 0.5 s of pure-Python CPU each, on a 2-core machine: how long with a pool of 4
    threads, and with a pool of 4 processes?"""
    for value, what in ((threads_s, "threads_s"), (processes_s, "processes_s")):
        checked = as_number(value, what)
        if isinstance(checked, Feedback):
            return checked
    threads_ok, processes_ok = close_to(threads_s, 2.0, 0.1), close_to(processes_s, 1.0, 0.1)
    if threads_ok and processes_ok:
        return right(
            "threads take turns holding the GIL (4 × 0.5 s = 2 s); processes use both cores, "
            "two tasks at a time (2 × 0.5 s = 1 s)."
        )
    if not threads_ok:
        if close_to(threads_s, 0.5, 0.2) or close_to(threads_s, 1.0, 0.1):
            return wrong(
                "threads_s: only one thread runs Python bytecode at a time (the GIL), so "
                "the four CPU tasks add up as if they ran one after another."
            )
        return wrong("threads_s: with the GIL, CPU work in threads adds up as if sequential.")
    if close_to(processes_s, 0.5, 0.2):
        return wrong("processes_s: four processes, but only two cores: they take turns.")
    return wrong("processes_s: 4 tasks on 2 cores is two rounds of 0.5 s.")


def check_start_method(answer: str) -> Feedback:
    """Which start method can run a function defined in a notebook cell in a process pool?"""
    given = str(answer).strip().lower()
    if given == "fork":
        return right(
            "fork copies the whole kernel, cell functions included, so nothing is pickled by "
            "name. But a kernel runs threads, and a forked copy can deadlock: put worker "
            "functions in a module (course_lib.run.workers) and use spawn or forkserver."
        )
    if given in ("spawn", "forkserver"):
        return wrong(
            f"{given} starts a fresh interpreter that imports the function by module and name; "
            "a cell's function lives in __main__ of the kernel, which the worker does not have."
        )
    return wrong(f"choose one of 'fork', 'spawn' or 'forkserver' (got {answer!r}).")
