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
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar, Token
from dataclasses import asdict, dataclass, replace
from typing import Any, TypeVar

from course_lib.trace.lanes import Lane, current_lane, number_lanes
from course_lib.trace.tasks import current_task

WAIT_SLOT = "wait_slot"  # waiting for a free slot (semaphore, pool worker)
WAIT_RATE = "wait_rate"  # waiting for a rate-limit token (requests or tokens per minute)
BACKOFF = "backoff"  # waiting before a retry, e.g. after a 429
IN_FLIGHT = "in_flight"  # the request is out; waiting for the answer
CPU = "cpu"  # computing
TOOL = "tool"  # an agent's tool running (a search, a lookup), not a model call

now = time.perf_counter


@dataclass(slots=True)
class Span:
    """One stretch of time: ``task`` (which prompt) spent ``start``..``end`` in ``phase`` on
    ``lane``. ``outcome`` is "ok", an HTTP status such as "429", "timeout", "cancelled", "error",
    or "running" while it is still open; ``label`` says what it was about, e.g. the prompt. For CPU
    work, ``cpu_s`` is the CPU time it had: on a busy core it is less than its wall time."""

    task: int | str
    lane: Lane
    phase: str
    start: float
    end: float
    pid: int
    outcome: str = "ok"
    label: str = ""
    cpu_s: float | None = None  # CPU work: the CPU time it used (its wall time may be longer)
    # A model call: which model, and the tokens its answer counted (input; output, thinking
    # included: both are billed as output), where the transport could read them
    model: str = ""
    tokens_in: int | None = None
    tokens_out: int | None = None
    first_at: float | None = None  # a streamed call: when its first chunk came (first token)

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: the lane becomes its label, with its kind beside it."""
        fields = asdict(self)
        fields["lane"], fields["lane_kind"] = str(self.lane), self.lane.kind
        return fields


def numbered(spans: Iterable[Span]) -> list[Span]:
    """The spans with readable lanes: processes and asyncio tasks numbered in the order they
    first did something ("process 1", "task 2"), other lanes as they are."""
    ordered = sorted(spans, key=lambda s: s.start)
    lanes = number_lanes(s.lane for s in ordered)
    pairs = zip(ordered, lanes, strict=True)
    return [s if s.lane == lane else replace(s, lane=lane) for s, lane in pairs]


_active: ContextVar[Tracer | None] = ContextVar("course_tracer", default=None)
_fallback: list[Tracer] = []  # for threads the learner starts, which do not inherit context
_watchers: list[Tracer] = []  # see every span any other tracer records (``trace_everywhere``)


class Tracer:
    """Collects spans while active (``with tracer:``). Thread-safe; cheap enough to leave on.

    ``sink``, if given, also receives every begin and end as a small tuple: worker processes use
    it to stream their spans to the kernel while they run (see ``apply``).
    """

    def __init__(self, sink: Callable[[tuple], None] | None = None) -> None:
        self.spans: list[Span] = []
        self.t0: float | None = None  # when the measured run started, if a runner says so
        # what the run is setting up before its clock starts ("Starting the cluster (4
        # workers)"), for whoever watches it; its t0 is None meanwhile
        self.setting_up = ""
        self._open: dict[object, Span] = {}
        self._sink = sink
        self._ids = itertools.count()
        self._auto_task = itertools.count(1)
        self._lock = threading.Lock()
        self._token: Token[Tracer | None] | None = None

    def __enter__(self) -> Tracer:
        self._token = _active.set(self)
        _fallback.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _active.reset(self._token)
        _fallback.remove(self)

    def begin(
        self,
        phase: str,
        task: int | str | None = None,
        label: str = "",
        start: float | None = None,
        model: str = "",
    ) -> int:
        """Open a span (now, or at ``start`` on another clock, e.g. a simulator's); returns a
        handle for ``finish``. Open spans show in ``snapshot``."""
        if task is None:
            task = current_task()
            if task is None:
                task = next(self._auto_task)
        at = now() if start is None else start
        span = Span(task, current_lane(), phase, at, float("nan"), os.getpid(), "running", label)
        span.model = model
        handle = next(self._ids)
        with self._lock:
            self._open[handle] = span
        if self._sink:
            self._sink(("begin", handle, span))
        if _watchers:
            self._tell_watchers(handle, span)
        return handle

    def _tell_watchers(self, handle: object, span: Span) -> None:
        for watcher in _watchers:
            if watcher is not self:
                with watcher._lock:
                    watcher._open[(id(self), handle)] = span

    def finish(
        self,
        handle: object,
        outcome: str = "ok",
        end: float | None = None,
        cpu_s: float | None = None,
        tokens: tuple[int | None, int | None] = (None, None),
    ) -> None:
        """Close a span (now, or at ``end``); ``cpu_s``: the CPU time it used, if measured;
        ``tokens``: a call's input and output tokens, if its answer said."""
        with self._lock:
            span = self._open.pop(handle, None)
            if span is None:
                return
            span.end, span.outcome = now() if end is None else end, outcome
            span.cpu_s = cpu_s
            span.tokens_in, span.tokens_out = tokens
            self.spans.append(span)
        if self._sink:
            self._sink(("end", span.pid, handle, span.end, outcome, cpu_s, tokens))
        if _watchers:
            for watcher in _watchers:
                if watcher is not self:
                    with watcher._lock:
                        if watcher._open.pop((id(self), handle), None) is not None:
                            watcher.spans.append(span)

    def open_span(self, handle: object) -> Span | None:
        """The span ``handle`` opened, while it is open (to add what is learnt about it later,
        e.g. a call's tokens, read after its span ended)."""
        with self._lock:
            return self._open.get(handle)

    def apply(self, event: tuple) -> None:
        """Replay a begin or end event that another process's tracer sent to its sink."""
        if event[0] == "begin":
            _, handle, span = event
            with self._lock:
                self._open[(span.pid, handle)] = span
            if _watchers:
                self._tell_watchers((span.pid, handle), span)
        else:
            _, pid, handle, end, outcome, cpu_s, *tokens = event
            self.finish((pid, handle), outcome, end, cpu_s, *tokens)

    def snapshot(self) -> list[Span]:
        """Finished spans plus running ones cut at the present moment (for live pictures)."""
        t = now()
        with self._lock:
            running = [replace(s, end=t) for s in self._open.values()]
            return self.spans + running


def trace_everywhere(tracer: Tracer) -> Callable[[], None]:
    """Make ``tracer`` the one that every thread and task records to, unless a ``with tracer:``
    block chose another, and give it a copy of every span those other tracers record (an
    exercise's check, a panel's run); returns what undoes it. ``%%timeline`` uses it: a cell's
    code runs in tasks and threads that no ``with`` block encloses."""
    _fallback.append(tracer)
    _watchers.append(tracer)

    def undo() -> None:
        for where in (_fallback, _watchers):
            if tracer in where:
                where.remove(tracer)

    return undo


def current_tracer() -> Tracer | None:
    return _active.get() or (_fallback[-1] if _fallback else None)


@contextmanager
def span(phase: str, *, task: int | str | None = None, label: str = "") -> Iterator[None]:
    """Record the block as one span of ``phase``; does nothing when no tracer is active."""
    tracer = current_tracer()
    if tracer is None:
        yield
        return
    handle = tracer.begin(phase, task, label)
    outcome = "ok"
    cpu_started = time.thread_time() if phase == CPU else None  # this thread's CPU clock
    try:
        yield
    except BaseException as error:
        outcome = outcome_of(error)
        raise
    finally:
        cpu_s = None if cpu_started is None else time.thread_time() - cpu_started
        tracer.finish(handle, outcome, cpu_s=cpu_s)


def cpu_span(*, task: int | str | None = None, label: str = "") -> AbstractContextManager[None]:
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
    """How a span that ended in ``error`` is marked: "cancelled", "timeout" or "error"."""
    if isinstance(error, asyncio.CancelledError):
        return "cancelled"
    # TimeoutError, and httpx's timeouts (this module does not import httpx)
    names = {cls.__name__ for cls in type(error).__mro__}
    return "timeout" if names & {"TimeoutError", "TimeoutException"} else "error"
