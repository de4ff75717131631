"""A function call's arguments, taken from what the prompt says and typed by the declared schema.

Numbers the prompt gives go to the number parameters, in order ("I have 57 cats, each owns 44
mittens" -> ``a=57, b=44``); a place after "in", "at" or "near" goes to a parameter named like
one (``location``, ``city``: "in Mountain View, CA" -> "Mountain View, CA"); a name the prompt
capitalises to the other strings ("the Barbie movie" -> ``movie="Barbie"``); an enum value the
prompt names, else its first; a boolean is false where the prompt says off, stop or no. Every
required parameter gets a value (all of them when none is marked required), of its declared
type, so the arguments always validate.

>>> schema = {"type": "object", "properties": {"location": {"type": "string"},
...     "movie": {"type": "string"}}, "required": ["location", "movie"]}
>>> args_for(schema, "Which theaters in Mountain View, CA show the Barbie movie?")
{'location': 'Mountain View, CA', 'movie': 'Barbie'}
>>> args_for({"properties": {"a": {"type": "NUMBER"}, "b": {"type": "INTEGER"}}}, "57 x 44")
{'a': 57, 'b': 44}
"""

from __future__ import annotations

import re
from typing import Any

from course_lib.fake.schemas import resolve

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.]*\d)")
_PLACE = re.compile(
    r"\b(?:in|at|near|around|from|to)\s+((?:[A-Z][\w'.-]*\s+)*[A-Z][\w'.-]*(?:,\s*[A-Z]{2}\b)?)"
)
_CAPITALISED = re.compile(r"\b[A-Z][a-zA-Z0-9'-]+\b")
_PLACE_NAMES = {"location", "city", "place", "address", "destination", "where", "region"}
_PLACE_NAMES |= {"country", "town", "area", "origin", "venue"}
_DATE = re.compile(
    r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b"  # 01/01/2025, 2025-01-01
    r"|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?"
    r"(?:,? \d{4})?\b|\b(?:today|tomorrow|tonight|yesterday)\b",  # March 3rd, 2025; today
    re.IGNORECASE,
)
_DATE_NAMES = {"date", "day", "when", "on"}
_OFF = re.compile(r"\b(off|stop|disable|no|not|don't|false)\b", re.IGNORECASE)
_QUESTION_WORDS = {"What", "Which", "Who", "Where", "When", "Why", "How", "Is", "Are", "Can"}


def args_for(schema: dict[str, Any], prompt: str, root: Any = None) -> dict[str, Any]:
    """Arguments for every required parameter of ``schema`` (all of them if none is marked
    required), from ``prompt``; ``root``: where ``$ref`` points into (the schema itself)."""
    return _Arguments(prompt[:2000], schema if root is None else root).object(schema)


class _Arguments:
    def __init__(self, prompt: str, root: Any) -> None:
        self.prompt, self.root = prompt, root
        self.numbers = [_number(n) for n in _NUMBER.findall(prompt)]
        self.places = [p.strip() for p in _PLACE.findall(prompt)]
        self.dates = [d.group() for d in _DATE.finditer(prompt)]
        taken = " ".join(self.places)
        self.names = [n for n in _names(prompt) if n not in taken and n not in _QUESTION_WORDS]
        self.used = {"number": 0, "name": 0, "place": 0}

    def object(self, schema: dict[str, Any]) -> dict[str, Any]:
        properties = schema.get("properties") or {}
        wanted = schema.get("required") or list(properties)
        if any(_words_of(str(name)) & _PLACE_NAMES for name in wanted):
            self.used["place"] += 1  # the place goes there, not into another parameter too
        return {name: self.value(properties.get(name) or {}, name) for name in wanted}

    def value(self, spec: Any, name: str) -> Any:
        if isinstance(spec, dict) and isinstance(spec.get("$ref"), str):
            spec = resolve(self.root, spec["$ref"]) or {}
        if not isinstance(spec, dict):
            return self.text(name)
        options = spec.get("anyOf") or spec.get("any_of") or spec.get("oneOf") or []
        if options:
            spec = next((o for o in options if _kind(o) != "null"), options[0])
            return self.value(spec, name)
        if spec.get("enum"):
            said = self.prompt.lower()
            named = [v for v in spec["enum"] if str(v).lower() in said]
            return named[0] if named else spec["enum"][0]
        kind = _kind(spec)
        if kind in ("integer", "number"):
            return self.number(kind == "integer")
        if kind == "boolean":
            return not _OFF.search(self.prompt)
        if kind == "array":
            return [self.value(spec.get("items") or {}, name)]
        if kind == "object":
            return self.object(spec)
        return self.text(name)

    def number(self, whole: bool) -> int | float:
        n = self.used["number"]
        self.used["number"] += 1
        value = self.numbers[n] if n < len(self.numbers) else 3
        return int(value) if whole else value

    def text(self, name: str) -> str:
        words = _words_of(name)
        if words & _PLACE_NAMES and self.places:
            return self.places[0]
        if words & _DATE_NAMES and self.dates:
            return self.dates[0]
        n = self.used["name"]
        if n < len(self.names):
            self.used["name"] += 1
            return self.names[n]
        if self.names:
            return self.names[-1]
        if self.places and not self.used["place"]:  # a place no location parameter took
            return self.places[0]
        first = re.split(r"[.!?\n]\s", self.prompt.strip() + " ", maxsplit=1)[0]
        return first.strip()[:80]  # "Find comedy movies playing in Mountain View, CA on ..."


def _words_of(name: str) -> set[str]:
    """A parameter name's words: "startDate" and "start_date" are {"start", "date"}."""
    return set(re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower()))


def _names(prompt: str) -> list[str]:
    """Capitalised words, except those a sentence or a line starts with ("First, find...")."""
    found = []
    for match in _CAPITALISED.finditer(prompt):
        before = prompt[: match.start()].rstrip(" \t")
        if before and before[-1] not in ".!?\n":
            found.append(match.group())
    return found


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def _kind(spec: Any) -> str:
    if not isinstance(spec, dict):
        return "string"
    kind = spec.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if str(k).lower() != "null"), "null")
    return str(kind).lower()


def first_string(schema: dict[str, Any]) -> str | None:
    """The first string parameter a call must fill, if any: where a quoted phrase goes."""
    properties = schema.get("properties") or {}
    for name in schema.get("required") or list(properties):
        if _kind(properties.get(name) or {}) == "string" and not (properties.get(name) or {}).get(
            "enum"
        ):
            return name
    return None
