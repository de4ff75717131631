"""How a value is checked, and the one line a mistake gets: ``{name} must be {what} (got ...)``.

What each setting allows is in ``course_lib.ranges``, the one table every call site checks with;
this module holds what that table is made of: the error, the ``Range`` record (a kind, a range, a
unit, what None means), the tests a value must pass and how numbers are written in a message.

>>> shown(2**32 - 1), shown(600.0), shown(0.5)
('4294967295', '600', '0.5')
>>> refuse("seed", "a whole number, from 0 to 4294967295", -1)
Traceback (most recent call last):
...
course_lib.values.SettingError: seed must be a whole number, from 0 to 4294967295 (got -1)
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import urlsplit


class SettingError(ValueError):
    """A value the kit cannot use; the message says which, and what is allowed.

    In a notebook it shows as that one line, not as a traceback.
    """

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of the traceback
        return [f"SettingError: {self}"]


def shown(number: float) -> str:
    """A number as a message writes it: whole numbers in full (4294967295, never 4.29497e+09),
    so a learner can copy a limit straight from the message."""
    if isinstance(number, int) or (math.isfinite(number) and float(number).is_integer()):
        return str(int(number))
    return f"{number:g}"


def got(value: Any) -> str:
    """What was given, as a message quotes it: a float briefly (1e+09), anything else as Python
    writes it ('5' for a string, so it shows that it was one)."""
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:g}"
    return repr(value)


def refuse(name: str, what: str, value: Any) -> NoReturn:
    """Raise the one line every mistake gets."""
    raise SettingError(f"{name} must be {what} (got {got(value)})")


def span(low: float, high: float | None, above_low: bool = False, below_high: bool = False) -> str:
    """A range in words: "from 1 to 64", "more than 0 and at most 600", "0 or more"..."""
    start = f"more than {shown(low)}" if above_low else f"from {shown(low)}"
    if high is None:
        return start if above_low else f"{shown(low)} or more"
    if above_low:
        return f"{start} and {'less than' if below_high else 'at most'} {shown(high)}"
    return f"{start} {'up to (not including)' if below_high else 'to'} {shown(high)}"


def is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # True is an int in Python


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def within(
    value: float, low: float, high: float | None, above_low: bool = False, below_high: bool = False
) -> bool:
    too_low = value <= low if above_low else value < low
    too_high = high is not None and (value >= high if below_high else value > high)
    return not (too_low or too_high)


def is_texts(value: Any) -> bool:
    """A list, tuple or set of non-empty strings. A lone string is not one: ``"key" in "my-key"``
    is True, so a string taken for a list of keys would match every piece of itself."""
    return isinstance(value, list | tuple | set | frozenset) and all(
        isinstance(v, str) and v for v in value
    )


def is_text_map(value: Any) -> bool:
    """A dict from non-empty strings to non-empty strings."""
    return isinstance(value, dict) and all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
    )


def is_url(value: Any) -> bool:
    """An http:// or https:// URL with a host (else ``"not a url"`` fails only at the first
    call, deep in the SDK)."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def is_a(value: Any, class_name: str) -> bool:
    """An instance of the class called ``class_name`` (or of a subclass), found by name so that
    the table, at the bottom of the package, imports none of the classes it names."""
    return any(cls.__name__ == class_name for cls in type(value).__mro__)


def from_environment(name: str, default: int) -> Any:
    """The environment variable ``name`` as a whole number if it is one, else as written (to be
    refused with its range's message); ``default`` when it is not set."""
    raw = os.environ.get(name, str(default))
    try:
        return int(raw)
    except ValueError:
        return raw


def known(name: str, given: Iterable[str], allowed: Iterable[str]) -> None:
    """Every name in ``given`` is one of ``allowed``; else say which are not, and what is."""
    allowed = tuple(allowed)
    unknown = [g for g in given if g not in allowed]
    if unknown:
        raise SettingError(
            f"{name} has no setting {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(allowed)}"
        )


@dataclass(frozen=True)
class Range:
    """What one value may be: its ``kind`` (whole, number, choice, flag, texts, text_map, url,
    object), ``about`` it in a few words, its range (``low`` to ``high``, the ends excluded if
    ``above_low``/``below_high``) and ``unit``, its ``options`` (a choice's words, an object's
    class, an example list of texts), what None means (``none``; empty: None is refused), and
    the words a choice refuses with their own reason (``refused``)."""

    kind: str
    about: str
    low: float = 0
    high: float | None = None
    unit: str = ""
    above_low: bool = False
    below_high: bool = False
    options: tuple[str, ...] = ()
    none: str = ""
    #: Words a choice refuses with a clause of their own (a retired model: what to use instead).
    refused: tuple[tuple[str, str], ...] = ()

    @property
    def what(self) -> str:
        """What a value must be, in words (the command line's help says it too)."""
        of = f" of {self.unit}" if self.unit else ""
        if self.kind in ("whole", "number"):
            kind = "a whole number" if self.kind == "whole" else "a number"
            return f"{kind}{of}, {span(self.low, self.high, self.above_low, self.below_high)}"
        if self.kind == "choice":  # quoted when a word has a space: 'at once', 'one by one'
            spaced = any(" " in option for option in self.options)
            return "one of " + ", ".join(map(repr, self.options) if spaced else self.options)
        return {
            "flag": "True or False",
            "texts": f"a list of {self.unit} (non-empty strings), e.g. {list(self.options)}",
            "text_map": f"a dict from {self.unit} (non-empty strings)",
            "url": "an http:// or https:// URL with a host, e.g. 'http://127.0.0.1:8000'",
            "object": f"a {self.options[0] if self.options else 'value'}",
        }[self.kind]

    @property
    def message(self) -> str:
        """What a mistake is told: ``{name} must be {message} (got ...)``."""
        return f"{self.what}, or None for {self.none}" if self.none else self.what

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` is of this kind and in range (None aside)."""
        if self.kind == "whole" or self.kind == "number":
            right = is_whole(value) if self.kind == "whole" else is_number(value)
            return right and within(value, self.low, self.high, self.above_low, self.below_high)
        if self.kind == "choice":
            return isinstance(value, str) and value in self.options
        if self.kind == "flag":
            return isinstance(value, bool)
        if self.kind == "texts":
            return is_texts(value)
        if self.kind == "text_map":
            return is_text_map(value)
        if self.kind == "url":
            return is_url(value)
        return is_a(value, self.options[0])

    def check(self, name: str, value: Any, needed_by: str = "") -> Any:
        """``value`` if it is in range (a number as a float, a list of texts as a tuple, a dict
        as a copy), else the one-line SettingError. ``needed_by`` names a place that takes no
        None where others do (``RateLimiter`` needs an rpm)."""
        if value is None and self.none:
            if not needed_by:
                return None
            raise SettingError(f"{needed_by} needs {name}: {self.what} (got None)")
        why = dict(self.refused).get(value) if isinstance(value, str) else None
        if why is not None:
            raise SettingError(f"{name} {value!r} {why}")
        if not self.accepts(value):
            refuse(name, self.message, value)
        if self.kind == "number":
            return float(value)
        if self.kind == "texts":
            return tuple(value)
        if self.kind == "text_map":
            return dict(value)
        return value
