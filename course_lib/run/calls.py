"""What every scenario does with one prompt: wait for a slot, call the model (retrying), analyse
the answer, and write it all down in a ``CallRecord``.

``ScenarioRun`` carries what one run needs: its settings, its own fake Gemini, the CPU work per
answer and the tracer that records it. The scenarios in ``course_lib.run.scenarios`` differ only in
how they spread these steps over coroutines, threads and processes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from google.genai import errors

from course_lib.ranges import nth_seed
from course_lib.rate_limits.retry import call_with_retries_sync, retry_after
from course_lib.run.results import CallRecord
from course_lib.run.settings import ScenarioSettings
from course_lib.run.workloads import analyse
from course_lib.trace.lanes import Lane
from course_lib.trace.spans import WAIT_SLOT, Tracer, cpu_span, now, span
from course_lib.trace.tasks import task_context

if TYPE_CHECKING:
    from course_lib.fake.gemini import FakeGemini


@dataclass
class ScenarioRun:
    settings: ScenarioSettings
    fake: FakeGemini
    iterations: int  # loop steps of CPU work per answer (see course_lib.run.workloads)
    tracer: Tracer
    extras: dict[str, float] = field(default_factory=dict)
    ended: float | None = None  # set by ``stop_clock``; else the run ends when its coroutine does

    def __post_init__(self) -> None:
        self.start_clock()  # a scenario restarts it once its set-up (a pool, say) is done

    def start_clock(self) -> None:
        """The measured run starts now: its wall time and its timeline count from here."""
        self.tracer.t0 = now()
        self.tracer.setting_up = ""

    def setting_up(self, what: str) -> None:
        """Seconds of set-up come first (``what``: "Starting the cluster (4 workers)"): the clock
        stops until ``start_clock``, and a panel shows ``what`` instead of an empty timeline."""
        self.tracer.setting_up = what
        self.tracer.t0 = None

    def stop_clock(self) -> None:
        """The measured run ends now: what follows (closing a cluster, say) is not timed."""
        self.ended = now()


async def take_slot(slots: asyncio.Semaphore, label: str) -> None:
    """Acquire ``slots``; only a real wait becomes a span (most acquisitions do not wait, and a
    span each would bury the timeline)."""
    if slots.locked():
        with span(WAIT_SLOT, label=label):
            await slots.acquire()
    else:
        await slots.acquire()


async def fetch(
    client: Any,
    s: ScenarioSettings,
    sem: asyncio.Semaphore,
    task: int,
    prompt: str,
    lane: Lane,
    analyse_here: int | None = None,
) -> CallRecord:
    """One prompt, on ``lane``: wait for a free slot, then call the model (retrying); the slot is
    freed before any analysis. With ``analyse_here`` (loop steps of CPU work), the answer is then
    analysed right here, on the event loop. One coroutine does it all: with a thousand calls in
    flight, every extra layer of coroutines costs time at every step."""
    record = CallRecord(task, prompt)
    with task_context(task, lane, prompt):
        if sem.locked():  # only a real wait becomes a span
            with span(WAIT_SLOT, label=prompt):
                await sem.acquire()
        else:
            await sem.acquire()
        record.sent = now()
        try:  # the first attempt made here, the others (if any) by retry_after
            try:
                response = await client.aio.models.generate_content(model=s.model, contents=prompt)
                tries = 1
            except errors.APIError as error:
                response, tries = await retry_after(
                    error,
                    lambda: client.aio.models.generate_content(model=s.model, contents=prompt),
                    attempts=s.attempts,
                    seed=nth_seed(s.seed, task),
                )
            record.took(response, tries, now())
        except errors.APIError as error:
            record.failed(error, s.attempts, now())
        finally:
            sem.release()
        if analyse_here is not None:
            analysed(record, analyse_here)
    return record


def analysed(record: CallRecord, iterations: int) -> CallRecord:
    """Analyse the record's answer here, as CPU work on the timeline (nothing if it failed)."""
    if record.answer is not None:
        with cpu_span(label="analyse"):
            record.analysis = analyse(record.answer, iterations)
        record.done = now()
    return record


def ask_then_analyse(
    client: Any, s: ScenarioSettings, task: int, prompt: str, iterations: int
) -> CallRecord:
    """One blocking unit of work: call the model (retrying), then analyse the answer. The
    sequential and threads scenarios run it in the kernel; the parallel one in worker processes."""
    record = CallRecord(task, prompt, sent=now())
    try:
        response, tries = call_with_retries_sync(
            lambda: client.models.generate_content(model=s.model, contents=prompt),
            attempts=s.attempts,
            seed=nth_seed(s.seed, task),
        )
        record.took(response, tries, now())
    except errors.APIError as error:
        record.failed(error, s.attempts, now())
    return analysed(record, iterations)
