"""CPU work with a cost you can dial: the "analysis" each answer gets in the CPU-bound lessons.

The work is pure Python, so it holds the GIL: threads cannot run it in parallel, processes can.
Its cost is set in milliseconds of CPU time on this machine: ``calibrate()`` measures, on the CPU
clock, how many loop iterations a millisecond is worth, once per process, and the parent passes
that number to its workers so every process does the same amount of work. On a busy core the same
work takes longer on the wall clock: CPU spans record both (``Span.cpu_s``).

>>> result = analyse("Steel hands learn to fold paper cranes", iterations=1_000)
>>> result["words"], result["top_words"][0]
(7, 'steel')
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache


class WorkStopped(Exception):
    """The run this CPU work belonged to was stopped, so the work stopped too."""


#: Set while a run goes (``stop_when``): CPU work of that run, in any thread, stops when it is set.
_stop: ContextVar[threading.Event | None] = ContextVar("course_stop", default=None)
_CHUNK = 1 << 16  # about 3 ms of work between two looks at whether to stop


def burn(iterations: int, seed: int = 0) -> int:
    """Spin the CPU for ``iterations`` steps of a rolling hash (pure Python: holds the GIL).

    It stops early (within milliseconds) if its run was stopped, or, on an event loop, if its
    task was cancelled: a Stop button or one Ctrl-C must not wait for minutes of CPU work.
    """
    stop = _stop.get()
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no event loop in this thread
        task = None
    h = seed
    for start in range(0, iterations, _CHUNK):
        for i in range(start, min(start + _CHUNK, iterations)):
            h = (h * 31 + i) % 1_000_003
        if stop is not None and stop.is_set():
            raise WorkStopped("the run was stopped")
        if task is not None and task.cancelling():
            raise asyncio.CancelledError()
    return h


@contextmanager
def stop_when(event: threading.Event) -> Iterator[None]:
    """CPU work started inside (and in threads started with this context) stops once ``event``
    is set."""
    token = _stop.set(event)
    try:
        yield
    finally:
        _stop.reset(token)


@cache
def calibrate() -> int:
    """Loop iterations per millisecond of CPU on this machine (best of five ~20 ms runs, after
    one untimed run that lets the interpreter specialise the loop and the CPU reach its speed).

    Timed on this thread's CPU clock, not the wall clock: on a busy machine (a shared Binder or
    Colab core) the wall clock also counts the time other processes had the core, and "300 ms
    of work" would come out as much less."""
    probe = 200_000
    burn(probe)
    best = float("inf")
    for _ in range(5):
        start = time.thread_time()
        burn(probe)
        best = min(best, time.thread_time() - start)
    return max(1, int(probe / (max(best, 1e-6) * 1000)))


def iterations_for(cpu_ms: float) -> int:
    """How many iterations make ``cpu_ms`` milliseconds of CPU work here."""
    if cpu_ms < 0:
        raise ValueError(f"CPU work must be zero or more milliseconds, got {cpu_ms}")
    return int(cpu_ms * calibrate())


def analyse(text: str, iterations: int = 0) -> dict[str, object]:
    """Analyse an answer: word and sentence counts, the top words, and a fingerprint whose cost
    is ``iterations`` (see ``iterations_for``)."""
    words = re.findall(r"[a-z']+", text.lower())
    sentences = [s for s in re.split(r"[.!?]+\s", text) if s.strip()]
    top = [w for w, _ in Counter(w for w in words if len(w) > 3).most_common(3)]
    return {
        "words": len(words),
        "sentences": len(sentences),
        "top_words": top,
        "fingerprint": burn(iterations, seed=len(text)),
    }
