"""Checking the values a learner gives: every setting of the kit is checked here, so a mistake gets
the same one-line message wherever it is made (``ScenarioSettings``, ``use_fake``,
``gemini_client``, the command line, a panel).

>>> number("latency", 0.5, low=0, high=600, unit="seconds", above_low=True)
0.5
>>> number("latency", "5", low=0, high=600, unit="seconds", above_low=True)
Traceback (most recent call last):
...
course_lib.values.SettingError: latency must be a number of seconds, more than 0 and at most 600 \
(got '5')
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from typing import Any


class SettingError(ValueError):
    """A value the kit cannot use; the message says which, and what is allowed.

    In a notebook it shows as that one line, not as a traceback.
    """

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of the traceback
        return [f"SettingError: {self}"]


def _range(low: float, high: float | None, above_low: bool) -> str:
    start = f"more than {low:g}" if above_low else f"from {low:g}"
    if high is None:
        return start if above_low else f"{low:g} or more"
    return f"{start} and at most {high:g}" if above_low else f"{start} to {high:g}"


def whole(name: str, value: Any, low: int, high: int | None = None, unit: str = "") -> int:
    """``value`` as a whole number from ``low`` to ``high``, or a SettingError."""
    what = f"a whole number{f' of {unit}' if unit else ''}, {_range(low, high, False)}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingError(f"{name} must be {what} (got {value!r})")
    if value < low or (high is not None and value > high):
        raise SettingError(f"{name} must be {what} (got {value})")
    return value


def whole_from_environment(name: str, default: int, low: int, high: int, unit: str) -> int:
    """The environment variable ``name`` as a whole number (``default`` when it is not set)."""
    raw = os.environ.get(name, str(default))
    try:
        value: Any = int(raw)
    except ValueError:
        value = raw  # refused by whole(), with its message
    return whole(name, value, low, high, unit)


def number(
    name: str,
    value: Any,
    low: float,
    high: float | None = None,
    unit: str = "",
    above_low: bool = False,
    below_high: bool = False,
) -> float:
    """``value`` as a finite number in range (``above_low``/``below_high``: the ends excluded)."""
    what = f"a number{f' of {unit}' if unit else ''}, {_range(low, high, above_low)}"
    if below_high:
        what = what.replace(f"to {high:g}", f"up to (not including) {high:g}")
        what = what.replace(f"at most {high:g}", f"less than {high:g}")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SettingError(f"{name} must be {what} (got {value!r})")
    too_low = value <= low if above_low else value < low
    too_high = high is not None and (value >= high if below_high else value > high)
    if too_low or too_high:
        raise SettingError(f"{name} must be {what} (got {value:g})")
    return float(value)


def limit(name: str, value: Any, high: int, unit: str) -> int | None:
    """A rate limit: None for none, else a whole number of ``unit`` from 1 to ``high``."""
    if value is None:
        return None
    try:
        return whole(name, value, 1, high, unit)
    except SettingError:
        raise SettingError(
            f"{name} must be a whole number of {unit} from 1 to {high}, or None for no limit "
            f"(got {value!r})"
        ) from None


def text_map(name: str, value: Any, what: str, none_means: str) -> dict[str, str] | None:
    """None, or a copy of a dict from non-empty strings to non-empty strings (``what`` they are,
    and what None means, go into the message)."""
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
    ):
        raise SettingError(
            f"{name} must be a dict from {what} (non-empty strings), or None {none_means} "
            f"(got {value!r})"
        )
    return dict(value)


def share(name: str, value: Any, below_one: bool = False) -> float:
    """A share of calls, from 0 to 1 (below 1 if ``below_one``)."""
    return number(name, value, 0, 1, below_high=below_one)


def choice(name: str, value: Any, options: Iterable[str]) -> str:
    options = tuple(options)
    if value not in options:
        raise SettingError(f"{name} must be one of {', '.join(options)} (got {value!r})")
    return value


def known(name: str, given: Iterable[str], allowed: Iterable[str]) -> None:
    """Every name in ``given`` is one of ``allowed``; else say which are not, and what is."""
    allowed = tuple(allowed)
    unknown = [g for g in given if g not in allowed]
    if unknown:
        raise SettingError(
            f"{name} has no setting {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(allowed)}"
        )
