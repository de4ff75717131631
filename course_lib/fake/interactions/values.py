"""Checking one value of an Interactions request: each check returns the value, or raises the 400
that names where it is.

>>> a_string("hi", "model")
'hi'
>>> try:
...     one_of("warm", ("low", "high"), "generation_config.thinking_level")
... except Refused as refused:
...     print(refused.message)
The value 'warm' is not supported for 'thinking_level' at 'generation_config'.
"""

from __future__ import annotations

import json
from typing import Any


class Refused(Exception):  # noqa: N818 (a refusal, not a failure: the request was bad)
    """A request the Interactions API answers with a 400: ``code`` and ``message`` are its body's
    (``invalid_request``, ``parameter_unknown``, ``failed_precondition``...)."""

    def __init__(self, message: str, code: str = "invalid_request", status: int = 400) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status

    def __repr__(self) -> str:
        return f"Refused({self.status}, {self.code!r}, {self.message!r})"


def kind_of(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "true or false"}
    return kinds.get(type(value), "null" if value is None else "a number")


def _wrong(where: str, expected: str, value: Any) -> Refused:
    shown = json.dumps(value)[:40] if isinstance(value, str | int | float) else kind_of(value)
    return Refused(f"Invalid value at '{where}': {expected} expected, got {shown}.")


def an_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _wrong(where, "an object", value)
    return value


def a_list(value: Any, where: str) -> list[Any]:
    """A list; a missing (null) one is empty."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _wrong(where, "a list", value)
    return value


def a_string(value: Any, where: str) -> str:
    if value is None:
        raise Refused(f"'{where}' is required.")
    if not isinstance(value, str):
        raise _wrong(where, "a string", value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800"): JSON allows it, UTF-8 does not
        raise Refused(f"Invalid value at '{where}': the text is not valid Unicode.") from None
    return value


def a_bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise _wrong(where, "true or false", value)
    return value


def a_number(value: Any, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong(where, "a number", value)
    if not low <= value <= high:
        raise Refused(f"Invalid value at '{where}': must be from {low:g} to {high:g}, got {value}.")
    return value


def a_whole(value: Any, where: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(where, "a whole number", value)
    if value < low:
        raise Refused(f"Invalid value at '{where}': must be at least {low}, got {value}.")
    return value


def one_of(value: Any, allowed: tuple[str, ...], where: str) -> str:
    """``value``, if it is one of ``allowed``."""
    if isinstance(value, str) and value in allowed:
        return value
    parent, _, name = where.rpartition(".")
    shown = value if isinstance(value, str) else json.dumps(value)[:40]
    at = f" at '{parent}'" if parent else ""
    raise Refused(f"The value '{shown}' is not supported for '{name}'{at}.")
