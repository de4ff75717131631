"""Checks for lesson 03 (parallel): CPU work in threads and processes, start methods, and a
process pool of your own."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from course_lib.exercises.feedback import Feedback, as_number, close_to, right, wrong
from course_lib.pool_tasks import Timed
from course_lib.run.workloads import burn, iterations_for


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
            "functions in a module (course_lib.pool_tasks) and use spawn or forkserver."
        )
    if given in ("spawn", "forkserver"):
        return wrong(
            f"{given} starts a fresh interpreter that imports the function by module and name; "
            "a cell's function lives in __main__ of the kernel, which the worker does not have."
        )
    return wrong(f"choose one of 'fork', 'spawn' or 'forkserver' (got {answer!r}).")


def _overlap(timed: list[Timed]) -> bool:
    """Whether two of the tasks ran at the same time (in the wall clock's sense)."""
    spans = sorted((t.start, t.end) for t in timed)
    return any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:], strict=False))


@contextmanager
def _pool_sizes() -> Iterator[list[int | None]]:
    """The number of workers asked of each process pool made meanwhile: ProcessPoolExecutor's
    ``max_workers`` or multiprocessing's Pool's ``processes`` (None: as many as cores)."""
    import concurrent.futures
    import multiprocessing.pool

    sizes: list[int | None] = []
    executor, pool = concurrent.futures.ProcessPoolExecutor, multiprocessing.pool.Pool
    executor_init, pool_init = executor.__init__, pool.__init__

    def noted_executor(self: Any, max_workers: int | None = None, *args: Any, **kw: Any) -> None:
        sizes.append(max_workers)
        executor_init(self, max_workers, *args, **kw)

    def noted_pool(self: Any, processes: int | None = None, *args: Any, **kw: Any) -> None:
        sizes.append(processes)
        pool_init(self, processes, *args, **kw)

    executor.__init__ = noted_executor  # type: ignore[method-assign]
    pool.__init__ = noted_pool  # type: ignore[method-assign]
    try:
        yield sizes
    finally:
        executor.__init__ = executor_init  # type: ignore[method-assign]
        pool.__init__ = pool_init  # type: ignore[method-assign]


def _run(
    burn_in_pool: Callable[[list[int], int], list[Timed]], tasks: list[int], processes: int = 2
) -> list[Timed] | Feedback:
    """One try of ``burn_in_pool`` on ``tasks`` with ``processes``: its results, checked for
    shape and order, or the Feedback that says what is wrong with them."""
    try:
        got = burn_in_pool(list(tasks), processes)
    except Exception as error:  # a lambda or a cell's function cannot be pickled by name
        if "pickle" in str(error).lower() or "Can't get attribute" in str(error):
            return wrong(
                "a worker could not load the function you sent it: send timed_burn itself (a "
                "lambda or a function from this notebook cannot travel to a worker)."
            )
        return wrong(f"your function raised {type(error).__name__}: {error}")
    if not isinstance(got, list | tuple) or len(got) != len(tasks):
        return wrong(f"return a list of {len(tasks)} results, one per task (got {got!r:.60}).")
    if not all(isinstance(t, Timed) for t in got):
        return wrong("return what timed_burn returned for each task (pool.map gives them back).")
    if [t.value for t in got] != [burn(n) for n in tasks]:
        return wrong("the results are not in the order of the tasks: pool.map keeps the order.")
    return list(got)


def check_burn_in_pool(burn_in_pool: Callable[[list[int], int], list[Timed]]) -> Feedback:
    """``burn_in_pool(tasks, processes)`` runs ``timed_burn(n)`` for every ``n`` of ``tasks`` on a
    pool of ``processes`` worker processes, and returns the results in the order of ``tasks``.

    On a busy machine a pool's second worker can start after the first has done most of the
    tasks: a right answer then shows one process, or two that never overlap, once in a while
    (seen in make test, with forkserver: 1 check in 3 on an idle machine with 60 ms tasks). A
    wrong answer (one worker, or each task waited for before the next is sent) shows that every
    time. So the tasks take about 150 ms each, and the function gets three tries to overlap."""
    if not callable(burn_in_pool):
        return wrong("pass the function itself: check_burn_in_pool(burn_in_pool).")
    tasks = [iterations_for(150) + i for i in range(4)]  # four different tasks of about 150 ms
    for _ in range(3):
        got = _run(burn_in_pool, tasks)
        if isinstance(got, Feedback):
            return got
        pids = {t.pid for t in got}
        if os.getpid() in pids:
            return wrong(
                "the tasks ran in this kernel, not in worker processes: create a "
                "ProcessPoolExecutor(max_workers=processes) and map timed_burn over the tasks."
            )
        if len(pids) > 2:
            return wrong(
                f"{len(pids)} processes worked for processes=2: use max_workers=processes."
            )
        if len(pids) == 2 and _overlap(got):
            break
    else:
        if len(pids) < 2:
            return wrong("one process did all the work: the pool should have `processes` workers.")
        return wrong("the two processes never worked at the same time: submit all the tasks.")
    with _pool_sizes() as sizes:  # once more with 3: the pool follows `processes`
        again = _run(burn_in_pool, [iterations_for(20) + i for i in range(3)], processes=3)
    if isinstance(again, Feedback):
        return again
    if sizes and sizes[-1] != 3:
        return wrong(
            f"asked for processes=3, your pool had {sizes[-1]} workers: give it the "
            "`processes` argument (max_workers=processes), not a number written in."
        )
    return right(
        f"{len(got)} tasks on {len(pids)} worker processes, side by side, results in order. "
        "(On one core they take turns, but still run at the same time.)"
    )
