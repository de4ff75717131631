"""Exercise checks: call ``check_...(your_answer)`` and read the feedback.

Each check returns a ``Feedback``: it shows as one friendly line in a notebook and is truthy when
the answer is right. Checks that take your function run it against a private fake Gemini, so
they work offline and never spend live calls.

>>> check_cores(2)
✅ Right: the quota (2 CPUs' worth of time per period) wins over the 16 cores the host reports.
>>> bool(check_cores(16))
False
"""

from __future__ import annotations

import inspect
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from course_lib.client.factory import gemini_client
from course_lib.fake.answers import answer_for
from course_lib.fake.gemini import FakeGemini
from course_lib.run.settings import Settings, ideal_seconds
from course_lib.trace.spans import IN_FLIGHT, Span, Tracer


@dataclass(frozen=True)
class Feedback:
    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return f"{'✅ Right' if self.ok else '❌ Not yet'}: {self.message}"


def _right(message: str) -> Feedback:
    return Feedback(True, message)


def _wrong(message: str) -> Feedback:
    return Feedback(False, message)


def _number(value: Any, what: str) -> float | Feedback:
    """The answer as a float, or feedback saying what was expected instead."""
    if value is ...:
        return _wrong(f"replace ... with {what}, a number of seconds.")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return _wrong(f"{what} should be a number of seconds, like 2.5 (got {value!r}).")
    return float(value)


def _close(value: float, expected: float, tolerance: float = 0.05) -> bool:
    return abs(value - expected) <= tolerance * expected + 1e-9


def _sorting(
    answers: Any, table: dict[str, tuple[str, str]], choices: tuple[str, str], hint: str, right: str
) -> Feedback:
    """The sorting exercises: every item of ``table`` ({item: (answer, why)}) gets one of
    ``choices``; a wrong one gets its why as a hint."""
    if not isinstance(answers, dict):
        return _wrong(f"pass a dict like {{'task': '{choices[0]}', ...}}, with every task listed.")
    missing = [task for task in table if task not in answers]
    if missing:
        return _wrong(f"these tasks have no answer yet: {missing}.")
    wrong = []
    for task, (expected, _) in table.items():
        given = str(answers[task]).strip().lower().replace("/", "")  # "I/O" counts as "io"
        if given not in choices:
            return _wrong(f"answer {task!r} with one of {list(choices)} (got {answers[task]!r}).")
        if given != expected:
            wrong.append(task)
    if wrong:
        return _wrong(
            f"{len(wrong)} of {len(table)} need another look. Hint for {wrong[0]!r}: "
            f"{table[wrong[0]][1]}.{hint}"
        )
    return _right(right)


# -- 00: concepts ----------------------------------------------------------------------------------
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
    return _sorting(
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
    if answer is ...:
        return _wrong("replace ... with your answer, a whole number of processes.")
    if answer == 16:
        return _wrong(
            "16 is what the host machine has. cpu.max gives 200000 µs of CPU time every "
            "100000 µs: divide them."
        )
    if answer == 2:
        return _right(
            "the quota (2 CPUs' worth of time per period) wins over the 16 cores the host reports."
        )
    return _wrong("read cpu.max as 'quota period' in microseconds: quota / period CPUs.")


# -- 01: sequential --------------------------------------------------------------------------------
#: The workload of the sequential prediction exercise.
SEQUENTIAL_EXERCISE = Settings(prompts=8, latency=1.5, cpu_work=50)


def check_sequential_time(seconds: float) -> Feedback:
    """8 prompts, each call takes 1.5 s and each answer then needs 50 ms of CPU, one at a time:
    how long in all?"""
    value = _number(seconds, "your estimate")
    if isinstance(value, Feedback):
        return value
    if _close(value, ideal_seconds("sequential", SEQUENTIAL_EXERCISE), 0.02):
        return _right("8 × (1.5 s + 0.05 s) = 12.4 s. One at a time, every second adds up.")
    if _close(value, 12.0, 0.02):
        return _wrong("that is the waiting alone; the 50 ms of CPU per answer adds up too.")
    if value < 3:
        return _wrong("one after another, nothing overlaps: add up every call and every analysis.")
    return _wrong("add, for each of the 8 prompts, its call (1.5 s) and its analysis (0.05 s).")


_CHECK_PROMPTS = ["Write a haiku about robots", "What is asyncio?", "Explain the Python GIL"]


def _expected(prompts: list[str]) -> list[str]:
    return [answer_for(p, random.Random(0)) for p in prompts]


def _most_in_flight(spans: list[Span]) -> int:
    """The largest number of calls that were out at the same moment."""
    edges = sorted(
        [(s.start, 1) for s in spans if s.phase == IN_FLIGHT]
        + [(s.end, -1) for s in spans if s.phase == IN_FLIGHT]
    )
    most = now = 0
    for _, step in edges:  # ends sort before starts at the same moment
        now += step
        most = max(most, now)
    return most


def _answers_feedback(got: Any, prompts: list[str]) -> Feedback | None:
    items = got if isinstance(got, list) else [got]
    coroutines = [item for item in items if inspect.iscoroutine(item)]
    if coroutines:
        for coroutine in coroutines:  # never awaited: close them, so Python does not warn
            coroutine.close()
        return _wrong("you returned coroutines, not answers: something was not awaited.")
    if not isinstance(got, list | tuple):
        return _wrong(f"return a list of answer texts (got {type(got).__name__}).")
    if len(got) != len(prompts):
        return _wrong(
            f"{len(prompts)} prompts should give {len(prompts)} answers (got {len(got)})."
        )
    if any(not isinstance(g, str) for g in got):
        return _wrong("return the answers' text (response.text), not the response objects.")
    if list(got) != _expected(prompts):
        if sorted(got) == sorted(_expected(prompts)):
            return _wrong("the answers are there, but not in the order of the prompts.")
        return _wrong("the answers do not match the prompts: did every prompt get its own call?")
    return None


def check_ask_all(ask_all: Callable[[Any, list[str]], list[str]]) -> Feedback:
    """``ask_all(client, prompts)`` asks each prompt in turn and returns the answers' text."""
    if not callable(ask_all):
        return _wrong("pass the function itself: check_ask_all(ask_all), without brackets.")
    if inspect.iscoroutinefunction(ask_all):
        return _wrong("this one is a plain `def`; the async version comes in notebook 02.")
    client = gemini_client(live=False, fake=FakeGemini(latency=0.1))
    with Tracer() as tracer:
        try:
            got = ask_all(client, list(_CHECK_PROMPTS))
        except Exception as error:
            return _wrong(f"your function raised {type(error).__name__}: {error}")
    problem = _answers_feedback(got, _CHECK_PROMPTS)
    if problem is not None:
        return problem
    if _most_in_flight(tracer.spans) > 1:
        return _wrong("the answers are right, but calls overlapped: this exercise is sequential.")
    return _right(f"{len(got)} answers, in order, one call at a time: your sequential baseline.")


# -- 02: concurrent --------------------------------------------------------------------------------
async def _run_learner(fn: Callable[..., Any], *args: Any) -> tuple[Any, list[Span], float]:
    with Tracer() as tracer:
        start = time.perf_counter()
        got = await fn(*args)
        return got, tracer.spans, time.perf_counter() - start


def _async_problem(fn: Any, name: str) -> Feedback | None:
    if not callable(fn):
        return _wrong(f"pass the function itself: await check_{name}({name}), without brackets.")
    if not inspect.iscoroutinefunction(fn):
        return _wrong("define it with `async def`, so it can `await` the calls.")
    return None


async def check_ask_all_async(ask_all_async: Callable[..., Any]) -> Feedback:
    """``await ask_all_async(client, prompts)`` asks every prompt at once, answers in order."""
    problem = _async_problem(ask_all_async, "ask_all_async")
    if problem is not None:
        return problem
    client = gemini_client(live=False, fake=FakeGemini(latency=0.2))
    try:
        got, spans, wall = await _run_learner(ask_all_async, client, list(_CHECK_PROMPTS))
    except Exception as error:
        return _wrong(f"your function raised {type(error).__name__}: {error}")
    problem = _answers_feedback(got, _CHECK_PROMPTS)
    if problem is not None:
        return problem
    if _most_in_flight(spans) < len(_CHECK_PROMPTS):
        return _wrong(
            f"right answers, but they took {wall:.2f} s: the calls did not all run at once. "
            "Awaiting each call in a loop waits for one before starting the next: "
            "create them all, then `await asyncio.gather(*calls)`."
        )
    return _right(f"{len(got)} calls in flight together; {wall:.2f} s for all (one call: 0.2 s).")


async def check_ask_limited(ask_limited: Callable[..., Any]) -> Feedback:
    """``await ask_limited(client, prompts, limit)``: all prompts, never more than ``limit``
    calls in flight at once, answers in order."""
    problem = _async_problem(ask_limited, "ask_limited")
    if problem is not None:
        return problem
    prompts, limit = _CHECK_PROMPTS * 2, 2
    try:
        inspect.signature(ask_limited).bind(None, prompts, limit)
    except TypeError:
        return _wrong("it should take three arguments: (client, prompts, limit).")
    client = gemini_client(live=False, fake=FakeGemini(latency=0.1))
    try:
        got, spans, _ = await _run_learner(ask_limited, client, list(prompts), limit)
    except Exception as error:
        return _wrong(f"your function raised {type(error).__name__}: {error}")
    problem = _answers_feedback(got, prompts)
    if problem is not None:
        return problem
    most = _most_in_flight(spans)
    if most > limit:
        return _wrong(
            f"up to {most} calls were in flight with limit={limit}: is every call made inside "
            "`async with semaphore:`, and is the semaphore made with the limit?"
        )
    if most < limit:
        return _wrong(
            f"never more than {most} call at a time: the limit allows {limit}. Make one "
            "semaphore outside the per-prompt function, shared by all the calls."
        )
    return _right(f"at most {limit} in flight, all {len(got)} answers in order.")


# -- 03: parallel ----------------------------------------------------------------------------------
def check_cpu_prediction(threads_s: float, processes_s: float) -> Feedback:
    """4 tasks of 0.5 s of pure-Python CPU each, on a 2-core machine: how long with a pool of 4
    threads, and with a pool of 4 processes?"""
    for value, what in ((threads_s, "threads_s"), (processes_s, "processes_s")):
        checked = _number(value, what)
        if isinstance(checked, Feedback):
            return checked
    threads_ok, processes_ok = _close(threads_s, 2.0, 0.1), _close(processes_s, 1.0, 0.1)
    if threads_ok and processes_ok:
        return _right(
            "threads take turns holding the GIL (4 × 0.5 s = 2 s); processes use both cores, "
            "two tasks at a time (2 × 0.5 s = 1 s)."
        )
    if not threads_ok:
        if _close(threads_s, 0.5, 0.2) or _close(threads_s, 1.0, 0.1):
            return _wrong(
                "threads_s: only one thread runs Python bytecode at a time (the GIL), so "
                "the four CPU tasks add up as if they ran one after another."
            )
        return _wrong("threads_s: with the GIL, CPU work in threads adds up as if sequential.")
    if _close(processes_s, 0.5, 0.2):
        return _wrong("processes_s: four processes, but only two cores: they take turns.")
    return _wrong("processes_s: 4 tasks on 2 cores is two rounds of 0.5 s.")


def check_start_method(answer: str) -> Feedback:
    """Which start method can run a function defined in a notebook cell in a process pool?"""
    given = str(answer).strip().lower()
    if given == "fork":
        return _right(
            "fork copies the whole kernel, cell functions included, so nothing is pickled by "
            "name. But a kernel runs threads, and a forked copy can deadlock: put worker "
            "functions in a module (course_lib.workers) and use spawn or forkserver."
        )
    if given in ("spawn", "forkserver"):
        return _wrong(
            f"{given} starts a fresh interpreter that imports the function by module and name; "
            "a cell's function lives in __main__ of the kernel, which the worker does not have."
        )
    return _wrong(f"choose one of 'fork', 'spawn' or 'forkserver' (got {answer!r}).")


# -- 04: hybrid ------------------------------------------------------------------------------------
#: The workload of the hybrid prediction exercise.
HYBRID_EXERCISE = Settings(prompts=8, latency=1.0, concurrency=2, processes=2, cpu_work=500)


def check_hybrid_prediction(fetch_all: float, pipelined: float) -> Feedback:
    """With ``HYBRID_EXERCISE`` on 2 cores: the best wall time of "fetch all, then analyse"
    and of the pipelined hybrid."""
    for value, what in ((fetch_all, "fetch_all"), (pipelined, "pipelined")):
        checked = _number(value, what)
        if isinstance(checked, Feedback):
            return checked
    s = HYBRID_EXERCISE
    want_all = ideal_seconds("hybrid", s, cores=2)
    want_pipe = ideal_seconds("hybrid-pipelined", s, cores=2)
    if not _close(fetch_all, want_all):
        if _close(fetch_all, 4 + 8 * 0.5):
            return _wrong("fetch_all: the analysis is shared by 2 processes, 4 answers each.")
        return _wrong(
            "fetch_all: first every call (8 calls, 2 at a time, 1 s each), then every "
            "analysis (8 × 0.5 s shared by 2 processes)."
        )
    if not _close(pipelined, want_pipe):
        return _wrong(
            "pipelined: answers arrive 2 at a time, every second, and each is analysed at once "
            "while the next calls are out. Only the last pair's analysis (0.5 s) is left after "
            "the last call returns."
        )
    return _right(
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
    return _sorting(
        answers,
        HYBRID_WORTH_IT,
        ("yes", "no"),
        "",
        "processes pay off for heavy CPU work per answer, never for waiting.",
    )


__all__ = [
    "Feedback",
    "HYBRID_EXERCISE",
    "HYBRID_WORTH_IT",
    "IO_OR_CPU_TASKS",
    "SEQUENTIAL_EXERCISE",
    "check_ask_all",
    "check_ask_all_async",
    "check_ask_limited",
    "check_cores",
    "check_cpu_prediction",
    "check_hybrid_prediction",
    "check_hybrid_worth_it",
    "check_io_or_cpu",
    "check_sequential_time",
    "check_start_method",
]
