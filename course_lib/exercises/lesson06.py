"""Checks for lesson 06 (agents and workflows): run one turn's tool calls at once, and fan out
sub-agents under a TaskGroup with a concurrency limit and a deadline.

The checks count what is in flight instead of timing: on a busy shared machine a count is exact
where a time is not.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from google.genai import types

from course_lib.exercises.feedback import Feedback, right, wrong

TOPICS = ["The GIL", "Routing", "Caching"]


class _Gauge:
    """Counts how many of its coroutines are running, the most at once, and how each ended."""

    def __init__(self) -> None:
        self.now = self.most = self.started = self.finished = self.cancelled = 0

    async def hold(self, seconds: float) -> None:
        self.now += 1
        self.started += 1
        self.most = max(self.most, self.now)
        try:
            await asyncio.sleep(seconds)
            self.finished += 1
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.now -= 1


async def check_tools_at_once(tools_at_once: Callable[..., Awaitable[Any]]) -> Feedback:
    """``tools_at_once(calls, tools)``: run every ``types.FunctionCall`` in ``calls`` at once,
    each by looking its function up by name in ``tools`` (a dict of async functions), and return
    one ``types.Part.from_function_response`` part per call, in the calls' order: its result as
    ``{"result": ...}``, or, if the tool raised, the error as ``{"error": "..."}``, so the model
    hears of it and the other tools' results still go back."""
    if not inspect.iscoroutinefunction(tools_at_once):
        return wrong("define it with `async def tools_at_once(calls, tools):` and pass it in.")
    gauge = _Gauge()

    async def search_docs(query: str) -> str:
        # the first call is the slowest: results must still come back in the calls' order
        await gauge.hold(0.3 if query == TOPICS[0] else 0.1)
        if query == TOPICS[1]:
            raise ConnectionError("the search service is down")
        return f"notes on {query}"

    calls = [types.FunctionCall(name="search_docs", args={"query": topic}) for topic in TOPICS]
    try:
        parts = await asyncio.wait_for(
            tools_at_once(calls, {"search_docs": search_docs}), timeout=10
        )
    except Exception as error:
        inside = error.exceptions if isinstance(error, BaseExceptionGroup) else (error,)
        if any(isinstance(e, ConnectionError) for e in inside):
            in_group = isinstance(error, BaseExceptionGroup)
            grouped = " (a TaskGroup hands it on in an ExceptionGroup)" if in_group else ""
            return wrong(
                f"one search raised ConnectionError and it ended your function{grouped}: catch "
                'it in the coroutine of that call and return response={"error": str(error)} '
                "instead."
            )
        first = inside[0] if inside else error
        return wrong(f"tools_at_once raised {type(first).__name__}: {str(first)[:200]}")
    if not isinstance(parts, list | tuple) or len(parts) != len(calls):
        return wrong(f"return one part per call, in a list ({len(calls)} here).")
    if not all(isinstance(p, types.Part) and p.function_response for p in parts):
        return wrong(
            "return parts made with types.Part.from_function_response(name=call.name, "
            'response={"result": result}): the model reads those.'
        )
    said = [(p.function_response.name, p.function_response.response or {}) for p in parts]
    wanted = [("search_docs", {"result": f"notes on {topic}"}) for topic in TOPICS]
    if gauge.started < len(calls):
        return wrong(
            f"{gauge.started} of the {len(calls)} tool calls ran: call each one's function, "
            "tools[call.name](**call.args), and send back what it returned."
        )
    answered = [str(response.get("result", "error")) for _, response in said]
    in_calls_order = [f"notes on {t}" if t != TOPICS[1] else "error" for t in TOPICS]
    if answered != in_calls_order and sorted(answered) == sorted(in_calls_order):
        return wrong(
            "every result is there, but not in the calls' order, and the model matches results "
            "to calls by position (asyncio.as_completed, for one, gives them as they finish). "
            "asyncio.gather keeps the order of what you give it."
        )
    failed = said[1][1]
    if not isinstance(failed.get("error"), str) or "down" not in failed["error"]:
        return wrong(
            f"the failed search came back as {failed}: send the error's text back as "
            '{"error": str(error)}, so the model knows that search failed.'
        )
    if [said[0], said[2]] != [wanted[0], wanted[2]]:
        return wrong(
            f"the results came back as {said}; each call's result belongs in its own part, in "
            "the calls' order (asyncio.gather keeps the order of what you give it)."
        )
    if gauge.most < len(calls):
        return wrong(
            f"at most {gauge.most} tool call(s) ran at once: start them all before you await "
            "any (asyncio.gather(*(one(call) for call in calls)))."
        )
    return right(
        f"{len(calls)} tool calls at once, their results in the calls' order, and the failed "
        "one told to the model instead of ending the turn."
    )


async def check_research(research: Callable[..., Awaitable[Any]]) -> Feedback:
    """``research(questions, ask, limit, deadline_s)``: ``ask(question)`` for each question under
    an ``asyncio.TaskGroup``, at most ``limit`` at once, the whole team within ``deadline_s``
    (``asyncio.timeout``); return the answers in the questions' order. On the deadline, the
    ``TimeoutError`` goes to the caller, and nothing is left running."""
    if not inspect.iscoroutinefunction(research):
        return wrong(
            "define it with `async def research(questions, ask, limit, deadline_s):` and pass it."
        )
    questions = [f"question {k}" for k in range(6)]

    def asker(gauge: _Gauge, fail_on: str | None = None) -> Callable[[str], Awaitable[str]]:
        async def ask(question: str) -> str:
            if question == fail_on:
                await asyncio.sleep(0.05)
                raise ConnectionError("the search service is down")
            await gauge.hold(0.2)
            return f"answer to {question}"

        return ask

    calm = _Gauge()  # 6 questions, 2 at once, 0.2 s each: about 0.6 s against a 5 s deadline
    try:
        answers = await research(questions, asker(calm), 2, 5.0)
    except Exception as error:
        inner = error.exceptions[0] if isinstance(error, BaseExceptionGroup) else error
        return wrong(
            f"research raised {type(inner).__name__}: {str(inner)[:200]} (read each task's "
            "result after the `async with asyncio.TaskGroup()` block, when they have all ended)."
        )
    if list(answers or []) != [f"answer to {q}" for q in questions]:
        return wrong("return every answer, in the questions' order (keep the tasks, or a list).")
    if calm.started < len(questions):
        return wrong(
            f"{calm.started} of the {len(questions)} questions were asked, yet every answer came "
            "back: call ask(question) for each one and return what it gives."
        )
    if calm.most > 2:
        return wrong(
            f"{calm.most} asks ran at once for a limit of 2: use asyncio.Semaphore(limit)."
        )
    if calm.most < 2:
        return wrong("the asks ran one at a time: create every task before awaiting any.")
    wider = _Gauge()  # the limit as given, 3 this time: not a number written in
    try:
        await research(questions, asker(wider), 3, 5.0)
    except Exception as error:
        return wrong(f"with a limit of 3, research raised {type(error).__name__}: {error}"[:300])
    if wider.most != 3:
        return wrong(
            f"with a limit of 3, {wider.most} asks ran at once: make the semaphore from the "
            "limit given, asyncio.Semaphore(limit), not a number written in."
        )
    late = _Gauge()  # the same work cannot finish within 0.3 s
    try:
        await research(questions, asker(late), 2, 0.3)
    except TimeoutError:
        pass
    except Exception as error:
        return wrong(f"on the deadline, let the TimeoutError through (got {type(error).__name__}).")
    else:
        if late.cancelled:
            return wrong(
                "the deadline cancelled the asks, but research returned as if nothing happened: "
                "let the TimeoutError out to the caller (do not catch it inside research)."
            )
        return wrong(
            "6 asks of 0.2 s, 2 at once, take 0.6 s, and research let them all finish past a "
            "0.3 s deadline: put the team under asyncio.timeout(deadline_s)."
        )
    await asyncio.sleep(0)
    if late.now:
        return wrong(f"{late.now} ask(s) still ran after the deadline: cancel them (TaskGroup).")
    broken = _Gauge()
    try:
        await research(questions, asker(broken, fail_on="question 1"), 6, 5.0)
        return wrong("one ask failed and research returned: let its error out.")
    except Exception as error:  # a TaskGroup raises an ExceptionGroup, gather the error itself
        failure = error
    wrapped = isinstance(failure, BaseExceptionGroup)
    inside = failure.exceptions if isinstance(failure, BaseExceptionGroup) else (failure,)
    if not any(isinstance(e, ConnectionError) for e in inside):
        return wrong(f"one ask's ConnectionError became {failure!r}: let it out as it is.")
    ran_on = broken.now + broken.finished
    if ran_on:
        return wrong(
            f"{ran_on} asks ran on after one failed (asyncio.gather lets the error out but does "
            "not cancel the others): run them in an asyncio.TaskGroup, which cancels them."
        )
    if not wrapped:
        return wrong(
            "a TaskGroup lets a failure out in an ExceptionGroup (catch it with except* "
            "ConnectionError): let that group through rather than one error."
        )
    return right(
        f"{len(questions)} answers, at most {calm.most} at once; the deadline cancelled "
        f"{late.cancelled} running asks and let the TimeoutError out; one failure cancelled "
        f"the {broken.cancelled} others."
    )
