"""Thinking: which settings a model takes, how many thought tokens a call spends, and how long
they hold back its first token. generateContent and the Interactions API both ask here.

Each model family thinks as Google's thinking pages describe (Gemini 3: ``thinking_level``,
MINIMAL to HIGH, default MEDIUM for 3.5-3.8 Flash, MINIMAL for Flash-Lite, HIGH for Pro and
3 Flash Preview; 3.7 and 3.8 Flash refuse MINIMAL; Gemini 2.5: ``thinking_budget`` only, 128 to
32,768 for Pro, which cannot turn thinking off, 0 to 24,576 for Flash, 512 to 24,576 for
Flash-Lite, which does not think by default). What the real API refuses gets its 400 (recorded:
"The thinking budget (52428) is invalid." in RooCodeInc/Roo-Code#4399, "The model does not
support setting thinking_budget to 0." in GewoonJaap/gemini-cli-openai#23; the other messages
are inferred).

Thought tokens count in ``thoughtsTokenCount`` and in the total, and are billed as output. A
call made with the model's default thinking takes what the fake's latency model says; more
thinking holds its first token back in proportion, less brings it forward, so a learner who
raises ``thinking_level`` sees slower, costlier calls.

>>> thinking_for("gemini-3.6-flash").scale, thinking_for("gemini-3.6-flash", level="high").scale
(1.0, 1.96)
>>> thinking_for("gemini-2.5-flash-lite").tokens
0
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

from course_lib.fake.answers import topic_of
from course_lib.fake.bad_request import Refused

#: A call's typical thought tokens at each level (one call spends from half to 1.5 times this).
LEVEL_TOKENS = {"MINIMAL": 0, "LOW": 400, "MEDIUM": 1000, "HIGH": 2200, "XHIGH": 4500}
#: Thinking a model does not do by default costs this many tokens per first-token time.
_REFERENCE_TOKENS = 1000
_ALL = ("MINIMAL", "LOW", "MEDIUM", "HIGH")


class Family(NamedTuple):
    """How a family of models thinks: the levels it takes (none: a budget only), its default
    level, the budgets it takes, and its default thought tokens when it takes no level."""

    levels: tuple[str, ...]
    default_level: str | None
    budgets: tuple[int, int]
    can_turn_off: bool
    default_tokens: int = 0


_PRO_3 = Family(("LOW", "MEDIUM", "HIGH", "XHIGH"), "HIGH", (128, 32_768), False)
_FAMILIES: tuple[tuple[str, Family], ...] = (
    (r"gemini-2\.5-pro", Family((), None, (128, 32_768), False, 1000)),
    (r"gemini-2\.5-flash-lite", Family((), None, (512, 24_576), True, 0)),
    (r"gemini-2\.5-flash", Family((), None, (1, 24_576), True, 1000)),
    (r"gemini-2\.", Family((), None, (1, 24_576), True, 0)),
    (r"gemini-3-flash-preview", Family(_ALL, "HIGH", (1, 24_576), False)),
    (
        r"gemini-3\.[78]-flash(?!-lite)|gemini-flash-latest",
        Family(_ALL[1:], "MEDIUM", (1, 24_576), False),
    ),
    (r".*flash-lite", Family(_ALL, "MINIMAL", (1, 24_576), False)),
    (r".*pro", _PRO_3),
)
_DEFAULT = Family(_ALL, "MEDIUM", (1, 24_576), False)  # other Gemini 3 and later Flash models


class Thinking(NamedTuple):
    """What thinking does to one call: the thought tokens it spends (``thoughtsTokenCount``),
    the factor on its time to the first token, and whether it shows a thought summary."""

    tokens: int
    scale: float
    summary: bool


@lru_cache(maxsize=256)
def family_of(model: str) -> Family:
    return next((f for pattern, f in _FAMILIES if re.match(pattern, model)), _DEFAULT)


def signs_calls(model: str) -> bool:
    """Gemini 3 and later sign their function calls and refuse a history that drops one."""
    version = re.match(r"gemini-(\d+)", model)
    return version is None or int(version.group(1)) >= 3


def refusal(model: str, level: str | None = None, budget: int | None = None) -> str | None:
    """The 400's message for thinking settings ``model`` does not take, or None."""
    family = family_of(model)
    if level is not None and budget is not None:
        return "You can only set one of thinking budget and thinking level."
    if level is not None:
        level = level.upper()
        if not family.levels:
            return "Thinking level is not supported for this model."
        if level not in family.levels and level != "THINKING_LEVEL_UNSPECIFIED":
            return f"Thinking level {level} is not supported for this model."
    if budget is not None and budget != -1:
        low, high = family.budgets
        if budget == 0 and not family.can_turn_off:
            return "The model does not support setting thinking_budget to 0."
        if budget != 0 and not low <= budget <= high:
            return f"The thinking budget ({budget}) is invalid."
    return None


def thinking_for(
    model: str,
    level: str | None = None,
    budget: int | None = None,
    include_thoughts: bool = False,
    u: float = 0.5,
) -> Thinking:
    """How ``model`` thinks with these settings (None: its default), ``u`` in [0, 1) drawing
    this call's tokens; raises ``Refused`` for settings the API refuses."""
    refused = refusal(model, level, budget)
    if refused is not None:
        raise Refused(refused)
    expected = _expected(family_of(model), level, budget)
    default = _expected(family_of(model), None, None)
    tokens = round(expected * (0.5 + u))
    if budget is not None and budget > 0:
        tokens = min(tokens, budget)
    if default > 0:
        scale = 0.2 + 0.8 * expected / default
    else:
        scale = 1.0 + expected / _REFERENCE_TOKENS
    return Thinking(tokens, round(scale, 6), include_thoughts and tokens > 0)


def configured(model: str, config: dict[str, Any], u: float = 0.5) -> Thinking:
    """``thinking_for`` with the settings of a generationConfig's ``thinkingConfig``
    (camelCase keys); raises ``Refused`` for those the API refuses."""
    settings = config.get("thinkingConfig") or {}
    budget = settings.get("thinkingBudget")
    return thinking_for(
        model,
        settings.get("thinkingLevel"),
        None if budget is None else int(budget),
        bool(settings.get("includeThoughts")),
        u,
    )


def _expected(family: Family, level: str | None, budget: int | None) -> float:
    """The typical thought tokens of a call with these settings."""
    if budget is not None and budget >= 0:
        return float(min(budget, 2 * LEVEL_TOKENS["MEDIUM"]))
    if level is not None and level.upper() in LEVEL_TOKENS:
        return float(LEVEL_TOKENS[level.upper()])
    if family.default_level is not None:
        return float(LEVEL_TOKENS[family.default_level])
    return float(family.default_tokens if budget is None else LEVEL_TOKENS["MEDIUM"])


def held_back(first: float, total: float, scale: float) -> tuple[float, float]:
    """A call's (time to first token, total time) when thinking scales its first token."""
    return first * scale, total + first * (scale - 1.0)


def thought_summary(prompt: str, calls: list[str] | None = None) -> str:
    """A thought summary (a ``"thought": true`` part), as ``include_thoughts`` asks for."""
    topic = topic_of(prompt)
    if calls:
        return f"**Choosing the tools**\n\nTo answer about {topic}, I'll call {', '.join(calls)}."
    return (
        f"**Thinking about {topic}**\n\nI'm working out what matters most about {topic}, "
        "and the clearest order to explain it in."
    )
