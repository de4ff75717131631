"""What every check shares: the ``Feedback`` it returns, and helpers that judge an answer.

>>> right("well done")
√ Right: well done
>>> bool(wrong("not quite"))
False
"""

from __future__ import annotations

import html
import inspect
import math
import random
from dataclasses import dataclass
from typing import Any

from course_lib.fake.answers import answer_for

#: The verdict's mark and word, and its colour in a notebook. "√" and "×" are in every font a
#: browser may fall back to (Liberation and DejaVu included); the emoji marks (U+2705, U+274C) and
#: the check marks (U+2713, U+2717) show as empty boxes where no emoji or symbol font is installed
#: (Debian's Chromium with fonts-liberation only).
VERDICTS = {True: ("√ Right", "#007A5A"), False: ("× Not yet", "#CC0000")}


@dataclass(frozen=True)
class Feedback:
    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:  # text/plain: a terminal, a script, nbconvert --to markdown
        return f"{VERDICTS[self.ok][0]}: {self.message}"

    def _repr_html_(self) -> str:  # a notebook: the verdict in bold and in colour
        verdict, colour = VERDICTS[self.ok]
        # mathjax_ignore: JupyterLab's MathJax would typeset the text between two "$" as maths
        return (
            f"<span class='mathjax_ignore tex2jax_ignore'>"
            f"<span style='color:{colour};font-weight:bold'>{verdict}</span>: "
            f"{html.escape(self.message)}</span>"
        )


def right(message: str) -> Feedback:
    return Feedback(True, message)


def wrong(message: str) -> Feedback:
    return Feedback(False, message)


def as_number(value: Any, what: str) -> float | Feedback:
    """The answer as a float, or feedback saying what was expected instead."""
    if value is ...:
        return wrong(f"replace ... with {what}, a number of seconds.")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return wrong(f"{what} should be a number of seconds, like 2.5 (got {value!r}).")
    return float(value)


def close_to(value: float, expected: float, tolerance: float = 0.05) -> bool:
    return abs(value - expected) <= tolerance * expected + 1e-9


def sorting(
    answers: Any,
    table: dict[str, tuple[str, str]],
    choices: tuple[str, str],
    hint: str,
    praise: str,
) -> Feedback:
    """The sorting exercises: every item of ``table`` ({item: (answer, why)}) gets one of
    ``choices``; a wrong one gets its why as a hint."""
    if not isinstance(answers, dict):
        return wrong(f"pass a dict like {{'task': '{choices[0]}', ...}}, with every task listed.")
    missing = [task for task in table if task not in answers]
    if missing:
        return wrong(f"these tasks have no answer yet: {missing}.")
    mistaken = []
    for task, (expected, _) in table.items():
        given = str(answers[task]).strip().lower().replace("/", "")  # "I/O" counts as "io"
        if given not in choices:
            return wrong(f"answer {task!r} with one of {list(choices)} (got {answers[task]!r}).")
        if given != expected:
            mistaken.append(task)
    if mistaken:
        return wrong(
            f"{len(mistaken)} of {len(table)} need another look. Hint for {mistaken[0]!r}: "
            f"{table[mistaken[0]][1]}.{hint}"
        )
    return right(praise)


CHECK_PROMPTS = ["Write a haiku about robots", "What is asyncio?", "Explain the Python GIL"]


def expected_answers(prompts: list[str]) -> list[str]:
    return [answer_for(p, random.Random(0)) for p in prompts]


def answers_problem(got: Any, prompts: list[str]) -> Feedback | None:
    items = got if isinstance(got, list) else [got]
    coroutines = [item for item in items if inspect.iscoroutine(item)]
    if coroutines:
        for coroutine in coroutines:  # never awaited: close them, so Python does not warn
            coroutine.close()
        return wrong("you returned coroutines, not answers: something was not awaited.")
    if not isinstance(got, list | tuple):
        return wrong(f"return a list of answer texts (got {type(got).__name__}).")
    if len(got) != len(prompts):
        return wrong(f"{len(prompts)} prompts should give {len(prompts)} answers (got {len(got)}).")
    if any(not isinstance(g, str) for g in got):
        return wrong("return the answers' text (response.text), not the response objects.")
    if list(got) != expected_answers(prompts):
        if sorted(got) == sorted(expected_answers(prompts)):
            return wrong("the answers are there, but not in the order of the prompts.")
        return wrong("the answers do not match the prompts: did every prompt get its own call?")
    return None
