"""Lanes: the rows of a timeline. A lane says what ran a span: the main thread, a coroutine, an
asyncio task, a thread or a process, which one, and what to call it.

Lanes are data, never strings to parse: a runner names its coroutines ``Lane("coroutine", 3,
"coroutine 3")``; a worker process is ``Lane("process", pid)`` with no label yet, and
``number_lanes`` (``course_lib.trace.spans.numbered`` for spans) calls the processes "process 1",
"process 2"... in the order they first did something (asyncio tasks likewise), because a pid
means nothing to a learner.

>>> spans_lanes = [Lane("process", 4242), Lane("process", 77), Lane("process", 4242)]
>>> [str(lane) for lane in number_lanes(spans_lanes)]
['process 1', 'process 2', 'process 1']
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass

#: Rows go top to bottom in this order of kinds; kinds not listed come last.
KIND_ORDER = ("main", "agent", "worker", "coroutine", "task", "slot", "thread", "process")


@dataclass(frozen=True, slots=True)
class Lane:
    """``kind``: what ran it; ``index``: which one (a number, or a pid before numbering);
    ``label``: its name on the timeline ("" until ``number_lanes`` gives it one)."""

    kind: str
    index: int = 0
    label: str = ""

    def __str__(self) -> str:
        return self.label or f"{self.kind} {self.index}"

    @property
    def labelled(self) -> bool:
        return bool(self.label)

    def sort_key(self) -> tuple:
        rank = KIND_ORDER.index(self.kind) if self.kind in KIND_ORDER else len(KIND_ORDER)
        return (rank, self.kind, self.index, self.label)


def agent(index: int, name: str = "") -> Lane:
    """The lanes of agent ``index`` (called ``name``, default "agent <index>"): timelines give
    each agent a group of rows, its model calls on one and its tool calls on another, with more
    rows where calls overlap (see ``course_lib.view.timeline``)."""
    return Lane("agent", index, name or f"agent {index}")


def named(kind: str, index: int) -> Lane:
    """A lane the code chose: ``named("coroutine", 3)`` is "coroutine 3"."""
    return Lane(kind, index, f"{kind} {index}")


MAIN = Lane("main", 0, "main")

#: The lane a runner chose for the code running now (``task_context`` sets it).
chosen_lane: ContextVar[Lane | None] = ContextVar("course_lane", default=None)


def current_lane() -> Lane:
    """Where a span being recorded now belongs: the lane a runner set (``task_context``), else
    the asyncio task, the thread, or the process that is running."""
    lane = chosen_lane.get()
    if lane is not None:
        return lane
    try:
        task = asyncio.current_task()
    except RuntimeError:
        task = None
    if task is not None:
        name = task.get_name()
        # asyncio names tasks "Task-<n>" itself; a name the code chose is kept as it is
        counter = name[5:]
        if name.startswith("Task-") and counter.isdigit():
            return Lane("task", int(counter))
        return Lane("task", id(task), name)
    thread = threading.current_thread()
    if thread is not threading.main_thread():
        return Lane("thread", thread.ident or 0, thread.name)
    return Lane("process", os.getpid())


def number_lanes(lanes: Iterable[Lane]) -> list[Lane]:
    """The same lanes, with the unlabelled ones numbered per kind in the order given (give
    them in the order they first did something)."""
    lanes = list(lanes)
    numbers: dict[Lane, Lane] = {}
    counts: dict[str, int] = {}
    for lane in lanes:
        if not lane.labelled and lane not in numbers:
            counts[lane.kind] = counts.get(lane.kind, 0) + 1
            numbers[lane] = named(lane.kind, counts[lane.kind])
    return [numbers.get(lane, lane) for lane in lanes]
