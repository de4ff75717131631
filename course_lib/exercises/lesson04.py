"""Checks for lesson 04 (hybrid): predict the two shapes, and judge when a pool pays off."""

from __future__ import annotations

import asyncio
import inspect
import multiprocessing
import os
import random
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from course_lib.client.factory import gemini_client
from course_lib.exercises.feedback import (
    CHECK_PROMPTS,
    Feedback,
    as_number,
    close_to,
    right,
    sorting,
    wrong,
)
from course_lib.fake.answers import answer_for
from course_lib.fake.gemini import FakeGemini
from course_lib.fake.latency import Jittered
from course_lib.machine import default_start_method
from course_lib.pool_tasks import Timed
from course_lib.run.pools import warm_up
from course_lib.run.registry import ideal_seconds
from course_lib.run.settings import ScenarioSettings
from course_lib.run.workloads import analyse
from course_lib.trace.overlap import most_in_flight
from course_lib.trace.spans import IN_FLIGHT, Tracer

#: The workload of the hybrid prediction exercise.
HYBRID_EXERCISE = ScenarioSettings(prompts=8, latency=1.0, concurrency=2, processes=2, cpu_work=500)


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


class _WatchedPool(ProcessPoolExecutor):
    """A process pool that notes, in this process, when each task was handed to it: the moment
    the learner's code asked for an analysis, whatever the worker's start-up delay on a busy
    machine (``run_in_executor``, ``submit`` and ``map`` all come through ``submit``); and how
    often a task's result was waited for on the running event loop (``future.result()`` before
    it was done, ``pool.map``), which stops every other coroutine meanwhile."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.submitted: list[float] = []
        self.blocked = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted.append(time.perf_counter())
        future = super().submit(fn, *args, **kwargs)
        result = future.result

        def watched(timeout: float | None = None) -> Any:
            if not future.done() and _on_the_loop():
                self.blocked += 1
            return result(timeout)

        future.result = watched  # type: ignore[method-assign]
        return future


def _on_the_loop() -> bool:
    """Whether this thread is running an event loop (a coroutine's code, not a worker thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def check_pipeline(fetch_then_analyse_all: Callable[..., Any]) -> Feedback:
    """``await fetch_then_analyse_all(client, pool, prompts)``: every call at once with asyncio,
    each answer analysed in ``pool`` (``timed_analyse``, through ``run_in_executor``) as soon as
    it arrives; the ``Timed`` results in the order of the prompts."""
    if not callable(fetch_then_analyse_all) or not inspect.iscoroutinefunction(
        fetch_then_analyse_all
    ):
        return wrong("pass the `async def` function itself: await check_pipeline(your_function).")
    prompts = list(CHECK_PROMPTS) * 2
    # answers from 0.1 s to 1.5 s: a pipeline asks for its first analysis long before the last
    # answer, however busy the machine (fetch-all-then-analyse asks for none before it)
    client = gemini_client(live=False, fake=FakeGemini(latency=Jittered(0.8, 0.7), seed=4))
    context = multiprocessing.get_context(default_start_method())
    with _WatchedPool(2, mp_context=context) as pool:
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(pool, warm_up) for _ in range(2)))
        pool.submitted.clear()
        with Tracer() as tracer:
            try:
                got = await fetch_then_analyse_all(client, pool, list(prompts))
            except Exception as error:
                return wrong(f"your function raised {type(error).__name__}: {error}")
    if not isinstance(got, list | tuple) or len(got) != len(prompts):
        return wrong(f"return one result per prompt, {len(prompts)} in all (got {got!r:.60}).")
    if not all(isinstance(t, Timed) for t in got):
        return wrong("return what timed_analyse gave back for each answer.")
    answers = [answer_for(p, random.Random(0)) for p in prompts]
    if [t.value for t in got] != [analyse(a) for a in answers]:
        return wrong("the analyses are not of the answers in the prompts' order.")
    if os.getpid() in {t.pid for t in got}:
        return wrong(
            "the analysis ran here, on the event loop: hand it to the pool with "
            "`await loop.run_in_executor(pool, timed_analyse, text)`."
        )
    if pool.blocked:
        return wrong(
            f"{pool.blocked} analysis result(s) were waited for with .result() (or pool.map) on "
            "the event loop: that stops every other call meanwhile. Await it instead: "
            "`await loop.run_in_executor(pool, timed_analyse, text)`."
        )
    calls = [s for s in tracer.spans if s.phase == IN_FLIGHT]
    if most_in_flight(calls) < len(prompts):
        return wrong("the calls did not all run at once: start them all, then gather.")
    # judged by when the analyses were asked for, here, not when a worker began them: on a
    # busy machine a worker can start late, and that is not the learner's doing
    last_answer = max(s.end for s in calls)
    first_asked = min(pool.submitted, default=last_answer)
    if first_asked >= last_answer:
        return wrong(
            "every analysis waited for the last answer: that is fetch-all-then-analyse. Analyse "
            "each answer in the same coroutine, right after its own call."
        )
    return right(
        "every call at once, each answer analysed in the pool as it arrived: the first "
        f"analysis was asked for {last_answer - first_asked:.2f} s before the last answer."
    )
