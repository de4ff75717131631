"""Plausible content for a schema's fields: what ``fake.structured`` fills a value with.

A prompt about cookies gets cookie names and ingredients; a field's name picks its list
(``author`` a person, ``city`` a city, ``description`` a sentence); the entries of a topic's
lists run in step (a city and its country); an enum value the prompt names is chosen; "List
about 10..." gets ten items. The lists are ``data/fake_gemini/structured.json``; the random
generator is seeded from the prompt, so the same prompt and seed give the same value.

>>> Filler({}, "Recommend two books", 1).fill({"type": "array", "items": {"type": "object",
...     "properties": {"title": {}, "author": {}}}}, "", 0, {})
[{'title': 'Dune', 'author': 'Frank Herbert'}, {'title': 'Middlemarch', 'author': 'George Eliot'}]
"""

from __future__ import annotations

import datetime
import json
import random
import re
import uuid
from functools import cache
from typing import Any

from course_lib.data_files import data_file
from course_lib.fake.answers import answer_for, topic_of
from course_lib.fake.draws import seed_of
from course_lib.fake.schemas import resolve

_SHALLOW = 8  # deeper than this (a recursive schema), only what is required is filled in
_COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_COUNTS |= {"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2}
COUNT = re.compile(
    r"\b(?:list|give|name|suggest|recommend|top|generate|create|write|show|find|pick)\b"
    r"[^.?!\d]{0,30}?\b(\d{1,2}|" + "|".join(_COUNTS) + r")\b",
    re.IGNORECASE,
)
_POPULAR = re.compile(r"\b(popular|classic|common|famous|best|favou?rite|well-known)", re.I)
_WORD = re.compile(r"[a-z]+")


@cache
def _lists() -> dict[str, Any]:
    return json.loads(data_file("fake_gemini", "structured.json").read_text(encoding="utf-8"))


class Filler:
    """One value being filled in: the prompt's topic, its random generator, what was used."""

    def __init__(self, root: Any, prompt: str, seed: int, prose: str = "") -> None:
        self.root, self.prompt, self.prose = root, prompt[:2000], prose
        self.rng = random.Random(seed_of(seed, self.prompt))
        words = set(_WORD.findall(self.prompt.lower()))
        topics = _lists()["topics"]
        self.about = next((k for k, t in topics.items() if words & set(t["match"])), "")
        self.topic: dict[str, Any] = topics.get(self.about, {})
        self.picked: dict[str, int] = {}  # per list: how many values it has given
        self.row: int | None = None  # the topic's entry this object is about (a city, a book)
        self.parent: str | None = None  # the list the object's array is named after
        self.points: list[str] = []  # sentences for summaries and lists of points
        self.first = 0 if _POPULAR.search(self.prompt) else None
        found = COUNT.search(self.prompt)
        self.count = None
        if found:
            said = found.group(1).lower()
            self.count = int(said) if said.isdigit() else _COUNTS[said]

    def fill(self, schema: Any, name: str, depth: int, siblings: dict[str, Any]) -> Any:
        if not isinstance(schema, dict) or depth > 4 * _SHALLOW:
            return self.text(name, {}, siblings)
        if isinstance(schema.get("$ref"), str):
            target = resolve(self.root, schema["$ref"])
            return self.fill(target if target is not None else {}, name, depth + 1, siblings)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self.choose(schema["enum"])
        for key in ("anyOf", "any_of", "oneOf", "one_of"):
            options = [o for o in schema.get(key) or [] if _kind(o) != "null"]
            if options:
                return self.fill(options[0], name, depth + 1, siblings)
        if schema.get("allOf"):
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                part = resolve(self.root, part["$ref"]) if "$ref" in part else part
                merged |= {k: v for k, v in part.items() if k != "properties"}
                merged.setdefault("properties", {}).update(part.get("properties") or {})
            return self.fill(merged, name, depth + 1, siblings)
        kind = _kind(schema)
        if kind == "object":
            return self.object(schema, depth, name)
        if kind == "array":
            return self.array(schema, name, depth)
        if kind in ("integer", "number"):
            return self.number(schema, name, kind == "integer")
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self.text(name, schema, siblings)

    def object(self, schema: dict[str, Any], depth: int, name: str) -> dict[str, Any]:
        """An object; its ``name`` field is taken from the list its array is named after (the
        items of ``ingredients`` are named from the ingredient list)."""
        properties = schema.get("properties") or {}
        outer = self.row, self.parent
        self.row, self.parent = None, self.list_for(_words(name))
        order = schema.get("propertyOrdering") or schema.get("property_ordering") or []
        order = [k for k in order if k in properties] + [k for k in properties if k not in order]
        required = set(schema.get("required") or [])
        value: dict[str, Any] = {}
        for key in order:
            if depth < _SHALLOW or key in required:
                value[key] = self.fill(properties[key], key, depth + 1, value)
        self.row, self.parent = outer
        return value

    def array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        low = int(schema.get("minItems") or schema.get("min_items") or 0)
        high = schema.get("maxItems") or schema.get("max_items")
        if depth >= _SHALLOW:
            n = low
        elif self.count is not None and depth <= 1:
            n = self.count
        else:
            n = self.rng.randint(3, 5) if depth <= 1 else self.rng.randint(2, 4)
        n = max(low, min(n, int(high) if high is not None else 50))
        items = schema.get("items")
        if isinstance(items, list):  # a tuple's items, one schema each
            return [self.fill(item, name, depth + 1, {}) for item in items[:n]]
        return [
            self.fill(items if items is not None else {}, name, depth + 1, {}) for _ in range(n)
        ]

    def number(self, schema: dict[str, Any], name: str, whole: bool) -> int | float:
        words = set(_words(name))
        low, high = 1.0, 100.0
        for hint, bounds in _NUMBER_HINTS:
            if words & hint:
                low, high = bounds
                break
        low = max(low, float(schema.get("minimum", schema.get("exclusiveMinimum", low))))
        high = min(high, float(schema.get("maximum", schema.get("exclusiveMaximum", high))))
        if low > high:  # the schema's bounds win over the name's
            low = float(schema.get("minimum", schema.get("exclusiveMinimum", high)))
            high = float(schema.get("maximum", schema.get("exclusiveMaximum", low)))
        if whole:
            start = int(low) + (1 if "exclusiveMinimum" in schema and low.is_integer() else 0)
            end = int(high) - (1 if "exclusiveMaximum" in schema and high.is_integer() else 0)
            return self.rng.randint(start, max(start, end))
        return round(self.rng.uniform(low, high), 2)

    def choose(self, values: list[Any]) -> Any:
        """An enum value: the one the prompt names first, else one drawn."""
        said = self.prompt.lower()
        named = [(said.find(str(v).lower()), v) for v in values if _names(said, str(v).lower())]
        return min(named, key=lambda found: found[0])[1] if named else self.rng.choice(values)

    def text(self, name: str, schema: dict[str, Any], siblings: dict[str, Any]) -> str:
        words = _words(name)
        fmt = str(schema.get("format") or "")
        if fmt in ("date", "date-time", "time") or {"date", "day", "birthday"} & set(words):
            day = datetime.date(2026, 1, 1) + datetime.timedelta(days=self.rng.randint(0, 364))
            return day.isoformat() + ("T10:30:00Z" if fmt == "date-time" else "")
        if fmt == "email" or "email" in words:
            first, last = self.pick("first").lower(), self.pick("last").lower()
            return f"{first}.{last.replace(' ', '')}@example.com"
        if fmt in ("uri", "url") or {"url", "uri", "link", "website"} & set(words):
            return f"https://example.com/{'-'.join(_WORD.findall(topic_of(self.prompt).lower()))}"
        if fmt == "uuid" or words[-1:] == ["id"]:
            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        if {"quantity", "amount", "qty"} & set(words):  # as text: "2 cups", not the topic
            unit = self.rng.choice(["cups", "tablespoons", "teaspoons", "grams", "pieces"])
            return f"{self.rng.randint(1, 4)} {unit}"
        found = self.list_for(words)
        if found == "quality":
            return self.sentence(siblings)
        if found == "point":
            return self.point()
        if found == "keyword":
            return self.keyword()
        if found == "name" and self.parent not in (None, "name", "quality"):
            found = self.parent  # the name of an ingredient, in a list of ingredients
        if found and (found in self.topic or found in _lists()["fields"]):
            return self.pick(found)
        if {"answer", "text", "content", "response", "message", "body"} & set(words) and self.prose:
            return self.prose
        if found == "name" or not words:
            return self.title()
        return topic_of(self.prompt)

    def list_for(self, words: list[str]) -> str | None:
        """Which word list a field's name asks for: the topic's own (``author`` in a prompt about
        books), then the others; a specific one before ``name``."""
        synonyms, fields = _lists()["synonyms"], _lists()["fields"]
        if self.about and self.about in words:
            return "name"  # a "city" field, in a prompt about cities
        found = [w for w in words if w in self.topic and w != "match"]
        found += [key for word in words for key, said in synonyms.items() if word in said]
        found += [w for w in words if w in fields]
        specific = [key for key in found if key != "name"]
        return specific[0] if specific else found[0] if found else None

    def pick(self, key: str) -> str:
        """The next value of a list (the topic's, else the field's), each once before repeats;
        a topic's lists run in step with its names (Kyoto's country is Japan)."""
        values = self.topic.get(key) or _lists()["fields"].get(key) or [key]
        if self.row is not None and key in self.topic and len(values) == len(self.topic["name"]):
            return str(values[self.row])
        n = self.picked.get(key)
        if n is None:
            popular = self.first is not None and key == "name"
            n = (
                self.first
                if popular and self.first is not None
                else self.rng.randrange(len(values))
            )
        self.picked[key] = n + 1
        if key == "name" and self.topic:
            self.row = n % len(values)
        return str(values[n % len(values)])

    def title(self) -> str:
        if self.topic:
            return self.pick("name")
        quoted = re.findall(r'"([^"]{1,60})"', self.prompt)
        n = self.picked.get("quoted", 0)
        if n < len(quoted):
            self.picked["quoted"] = n + 1
            return quoted[n]
        about = topic_of(self.prompt)
        return f"{about[:1].upper()}{about[1:]}: {self.pick('heading')}"

    def sentence(self, siblings: dict[str, Any]) -> str:
        named = next((v for k, v in siblings.items() if isinstance(v, str) and "name" in k), None)
        if "quality" in self.topic:
            quality = self.pick("quality")
            return f"{named} with {quality}." if named else f"Known for {quality}."
        return self.point()

    def point(self) -> str:
        """The next sentence of an answer about the prompt (the fake's own prose answer, if
        given): for summaries, and lists of points or steps."""
        if not self.points:
            text = self.prose or answer_for(self.prompt, random.Random(self.rng.random()))
            self.points = [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()] or [text]
        n = self.picked.get("point", 0)
        self.picked["point"] = n + 1
        return self.points[n % len(self.points)]

    def keyword(self) -> str:
        words = [w for w in _WORD.findall(self.prompt.lower()) if len(w) > 3] or ["topic"]
        n = self.picked.get("keyword", 0)
        self.picked["keyword"] = n + 1
        return words[n % len(words)]


_NUMBER_HINTS: tuple[tuple[set[str], tuple[float, float]], ...] = (
    ({"year", "released", "published", "founded"}, (1950, 2026)),
    ({"age"}, (18, 80)),
    ({"rating", "score", "stars"}, (1, 5)),
    ({"price", "cost", "amount", "salary", "budget"}, (2, 60)),
    ({"percent", "percentage", "probability", "confidence"}, (0, 100)),
    ({"minutes", "minute", "duration", "time", "seconds"}, (5, 60)),
    ({"calories"}, (80, 600)),
    ({"population"}, (10_000, 5_000_000)),
    ({"count", "quantity", "number", "servings", "pages", "steps", "total"}, (1, 12)),
)


def _kind(schema: Any) -> str:
    """A schema's type, lower case; the first that is not null of a list; guessed if absent."""
    if not isinstance(schema, dict):
        return "string"
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if str(k).lower() != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    return str(kind).lower()


def _words(name: str) -> list[str]:
    """``recipeName`` or ``recipe_name`` -> ``["recipe", "name"]``."""
    return _WORD.findall(re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower())


def _names(prompt: str, value: str) -> bool:
    return bool(value) and re.search(rf"(?<!\w){re.escape(value)}(?!\w)", prompt) is not None
