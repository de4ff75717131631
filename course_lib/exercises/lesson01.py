"""Checks for lesson 01 (sequential): predict the wall time, then write the loop."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from course_lib.client.factory import gemini_client
from course_lib.exercises.feedback import (
    CHECK_PROMPTS,
    Feedback,
    answers_problem,
    as_number,
    close_to,
    right,
    wrong,
)
from course_lib.fake.gemini import FakeGemini
from course_lib.run.registry import ideal_seconds
from course_lib.run.settings import ScenarioSettings
from course_lib.trace.overlap import most_in_flight
from course_lib.trace.spans import Tracer

#: The workload of the sequential prediction exercise.
SEQUENTIAL_EXERCISE = ScenarioSettings(prompts=8, latency=1.5, cpu_work=50)


def check_sequential_time(seconds: float) -> Feedback:
    """8 prompts, each call takes 1.5 s and each answer then needs 50 ms of CPU, one at a time:
    how long in all?"""
    value = as_number(seconds, "your estimate")
    if isinstance(value, Feedback):
        return value
    if close_to(value, ideal_seconds("sequential", SEQUENTIAL_EXERCISE), 0.02):
        return right("8 × (1.5 s + 0.05 s) = 12.4 s. One at a time, every second adds up.")
    if close_to(value, 12.0, 0.002):
        return wrong("that is the waiting alone; the 50 ms of CPU per answer adds up too.")
    if close_to(value, 12.05, 0.002):
        return wrong("the 50 ms of CPU is counted once there: each of the 8 answers needs its own.")
    if value < 3:
        return wrong("one after another, nothing overlaps: add up every call and every analysis.")
    return wrong("add, for each of the 8 prompts, its call (1.5 s) and its analysis (0.05 s).")


def check_ask_all(ask_all: Callable[[Any, list[str]], list[str]]) -> Feedback:
    """``ask_all(client, prompts)`` asks each prompt in turn and returns the answers' text."""
    if not callable(ask_all):
        return wrong("pass the function itself: check_ask_all(ask_all), without brackets.")
    if inspect.iscoroutinefunction(ask_all):
        return wrong("this one is a plain `def`; the async version comes in notebook 02.")
    fake = FakeGemini(latency=0.1)
    client = gemini_client(live=False, fake=fake)
    with Tracer() as tracer:
        try:
            got = ask_all(client, list(CHECK_PROMPTS))
        except Exception as error:
            return wrong(f"your function raised {type(error).__name__}: {error}")
    problem = answers_problem(got, CHECK_PROMPTS)
    if problem is not None:
        return problem
    asked = [call.prompt for call in fake.log if call.status == 200]
    if sorted(asked) != sorted(CHECK_PROMPTS):
        return wrong(
            f"{len(asked)} of the {len(CHECK_PROMPTS)} prompts went through the `client` your "
            "function was given: ask each one with client.models.generate_content (answers "
            "written in, or another client, make no call the check can see)."
        )
    if most_in_flight(tracer.spans) > 1:
        return wrong("the answers are right, but calls overlapped: this exercise is sequential.")
    return right(f"{len(got)} answers, in order, one call at a time: your sequential baseline.")
