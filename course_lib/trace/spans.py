"""Tracing: every LLM call and every CPU step becomes a ``Span`` on one clock.

Calls are recorded at the transport (``TracedTransport``), so the code being traced needs no
changes; CPU work is recorded with ``with cpu_span():`` or the ``@traced_cpu`` decorator. The clock
is ``time.perf_counter``, which on Linux, macOS and Windows is one system-wide monotonic clock, so
spans from worker processes line up with the kernel's.

>>> with Tracer() as tracer:
...     with cpu_span(task=1, label="count words"):
...         _ = sum(range(1000))
>>> [(s.task, s.phase) for s in tracer.spans]
[(1, 'cpu')]
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, replace
from typing import Any, TypeVar

import httpx

WAIT_SLOT = "wait_slot"  # waiting for a free slot (semaphore, pool worker)
BACKOFF = "backoff"  # waiting before a retry, e.g. after a 429
IN_FLIGHT = "in_flight"  # the request is out; waiting for the answer
CPU = "cpu"  # computing

now = time.perf_counter


@dataclass
class Span:
    task: int | str
    lane: str
    phase: str
    start: float
    end: float
    pid: int
    outcome: str = "ok"  # "ok", an HTTP status such as "429", "timeout", "cancelled", "error"
    label: str = ""  # what the task was about, e.g. the prompt

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_active: ContextVar[Tracer | None] = ContextVar("course_tracer", default=None)
_fallback: list[Tracer] = []  # for threads the learner starts, which do not inherit context
_task: ContextVar[int | str | None] = ContextVar("course_task", default=None)
_lane: ContextVar[str | None] = ContextVar("course_lane", default=None)


class Tracer:
    """Collects spans while active (``with tracer:``). Thread-safe; cheap enough to leave on.

    ``sink``, if given, also receives every begin and end as a small tuple: worker processes use
    it to stream their spans to the kernel while they run (see ``apply``).
    """

    def __init__(self, sink: Callable[[tuple], None] | None = None) -> None:
        self.spans: list[Span] = []
        self.t0: float | None = None  # when the measured run started, if a runner says so
        self._open: dict[object, Span] = {}
        self._sink = sink
        self._ids = itertools.count()
        self._auto_task = itertools.count(1)
        self._lock = threading.Lock()
        self._token = None

    def __enter__(self) -> Tracer:
        self._token = _active.set(self)
        _fallback.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _active.reset(self._token)
        _fallback.remove(self)

    def begin(self, phase: str, task: int | str | None = None, label: str = "") -> int:
        """Open a span now; returns a handle for ``finish``. Open spans show in ``snapshot``."""
        if task is None:
            task = _task.get()
            if task is None:
                task = next(self._auto_task)
        span = Span(task, current_lane(), phase, now(), float("nan"), os.getpid(), "running", label)
        handle = next(self._ids)
        with self._lock:
            self._open[handle] = span
        if self._sink:
            self._sink(("begin", handle, asdict(span)))
        return handle

    def finish(self, handle: object, outcome: str = "ok", end: float | None = None) -> None:
        with self._lock:
            span = self._open.pop(handle, None)
            if span is None:
                return
            span.end, span.outcome = now() if end is None else end, outcome
            self.spans.append(span)
        if self._sink:
            self._sink(("end", span.pid, handle, span.end, outcome))

    def apply(self, event: tuple) -> None:
        """Replay a begin or end event that another process's tracer sent to its sink."""
        if event[0] == "begin":
            _, handle, fields = event
            with self._lock:
                self._open[(fields["pid"], handle)] = Span(**fields)
        else:
            _, pid, handle, end, outcome = event
            self.finish((pid, handle), outcome, end)

    def snapshot(self) -> list[Span]:
        """Finished spans plus running ones cut at the present moment (for live pictures)."""
        t = now()
        with self._lock:
            running = [replace(s, end=t) for s in self._open.values()]
            return self.spans + running


def process_lane_names(spans: list[Span]) -> dict[str, str]:
    """{'pid 4242': 'process 1', 'Task-17': 'task 1', ...}: readable lane names, numbered in the
    order the processes (or asyncio tasks) first did something."""
    names: dict[str, str] = {}
    counts = {"process": 0, "task": 0}
    for s in sorted(spans, key=lambda s: s.start):
        kind = "process" if s.lane.startswith("pid ") else "task" if _TASK.match(s.lane) else ""
        if kind and s.lane not in names:
            counts[kind] += 1
            names[s.lane] = f"{kind} {counts[kind]}"
    return names


_TASK = re.compile(r"Task-\d+$")  # asyncio's default task names


def current_tracer() -> Tracer | None:
    return _active.get() or (_fallback[-1] if _fallback else None)


def current_lane() -> str:
    """The lane a span belongs to: set by a runner, else the asyncio task, thread or process."""
    lane = _lane.get()
    if lane:
        return lane
    try:
        task = asyncio.current_task()
    except RuntimeError:
        task = None
    if task is not None:
        return task.get_name()
    thread = threading.current_thread()
    if thread is not threading.main_thread():
        return thread.name
    return f"process {os.getpid()}"


@contextmanager
def task_context(task: int | str, lane: str | None = None) -> Iterator[None]:
    """Spans recorded inside belong to ``task`` (and ``lane``, if given)."""
    task_token = _task.set(task)
    lane_token = _lane.set(lane) if lane else None
    try:
        yield
    finally:
        _task.reset(task_token)
        if lane_token:
            _lane.reset(lane_token)


@contextmanager
def span(phase: str, *, task: int | str | None = None, label: str = "") -> Iterator[None]:
    """Record the block as one span of ``phase``; does nothing when no tracer is active."""
    tracer = current_tracer()
    if tracer is None:
        yield
        return
    handle = tracer.begin(phase, task, label)
    outcome = "ok"
    try:
        yield
    except BaseException as error:
        outcome = outcome_of(error)
        raise
    finally:
        tracer.finish(handle, outcome)


def cpu_span(*, task: int | str | None = None, label: str = ""):
    """``with cpu_span(label="analyse"):`` records CPU work."""
    return span(CPU, task=task, label=label)


F = TypeVar("F", bound=Callable[..., Any])


def traced_cpu(func: F) -> F:
    """Decorator: each call of ``func`` is recorded as CPU work."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with cpu_span(label=func.__name__):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def outcome_of(error: BaseException) -> str:
    if isinstance(error, asyncio.CancelledError):
        return "cancelled"
    return "timeout" if isinstance(error, httpx.TimeoutException) else "error"
