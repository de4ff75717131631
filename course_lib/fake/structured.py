"""Structured answers: a value that fits a response schema, as JSON or as one enum value.

``value_for_schema(schema, prompt, seed)`` is a pure function: the same schema, prompt and seed
give the same value, whatever else the fake is doing. It reads both dialects the API takes: an
OpenAPI-style ``Schema`` (``responseSchema``: upper-case types, ``propertyOrdering``,
``nullable``, ``anyOf``) and JSON Schema (``responseJsonSchema``, the Interactions API's
``response_format``: ``$ref``/``$defs``, ``anyOf``/``oneOf``/``allOf``, ``const``, type lists,
bounds). Content is plausible rather than random: a prompt about cookies gets cookie names and
ingredients (``data/fake_gemini/structured.json``), a field's name picks what goes in it
(``author`` a person, ``city`` a city, ``description`` a sentence), an enum value the prompt
names is chosen, and "List about 10..." gets ten items.

>>> value_for_schema({"type": "ARRAY", "items": {"type": "OBJECT", "properties": {
...     "recipe_name": {"type": "STRING"}}}}, "List 2 popular cookie recipes")
[{'recipe_name': 'Chocolate Chip Cookies'}, {'recipe_name': 'Oatmeal Raisin Cookies'}]
>>> structured_text("text/x.enum", "Is a cello a string instrument?",
...     schema={"type": "STRING", "enum": ["Percussion", "String"]})
'String'
"""

from __future__ import annotations

import json
import re
from typing import Any

from course_lib.fake.plausible import COUNT, Filler

#: MIME types whose answers are structured; any other gets prose.
#: MIME types whose answers are structured; any other gets prose.
STRUCTURED = ("application/json", "text/x.enum")


def structured_text(
    mime_type: str | None,
    prompt: str,
    seed: int = 0,
    schema: Any = None,
    json_schema: Any = None,
    prose: str = "",
) -> str | None:
    """The answer's text for ``mime_type``, or None when it asks for prose. ``schema`` is a
    ``responseSchema``, ``json_schema`` a JSON Schema; JSON with neither follows a schema the
    prompt spells out (``Recipe = {'recipe_name': str}  Return: list[Recipe]``), else answers
    ``{"answer": prose}``. ``text/x.enum`` gives the bare value, JSON a quoted one."""
    mime = (mime_type or "").lower()
    chosen = schema if schema is not None else json_schema
    if mime not in STRUCTURED or (mime == "text/x.enum" and chosen is None):
        return None
    if chosen is None:
        chosen = schema_in_prompt(prompt) or _fallback(prompt)
    value = value_for_schema(chosen, prompt, seed, prose)
    if mime == "text/x.enum" and isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def value_for_schema(schema: Any, prompt: str, seed: int = 0, prose: str = "") -> Any:
    """A value that fits ``schema`` (either dialect), about ``prompt`` (see the module)."""
    return Filler(schema, prompt, seed, prose).fill(schema, "", 0, {})


def schema_in_prompt(prompt: str) -> dict[str, Any] | None:
    """The JSON Schema a prompt spells out in Python's notation, as the cookbook's JSON mode
    example does (``Recipe = {'recipe_name': str}`` and ``Return: list[Recipe]``), or None.

    >>> schema_in_prompt("Recipe = {'name': str, 'minutes': int}\\nReturn: list[Recipe]")["items"]
    {'type': 'object', 'properties': {'name': {'type': 'string'}, 'minutes': {'type': 'integer'}}, \
'required': ['name', 'minutes']}
    """
    text = prompt[:4000]
    defined: dict[str, dict[str, Any]] = {}
    for name, body in re.findall(r"(\w+)\s*=\s*\{([^{}]*)\}", text):
        fields = re.findall(r"['\"](\w+)['\"]\s*:\s*([\w\[\]]+)", body)
        if fields:
            properties = {key: _annotation(kind, defined) for key, kind in fields}
            defined[name] = {
                "type": "object",
                "properties": properties,
                "required": list(properties),
            }
    returned = re.search(r"Return\w*\s*:\s*([\w\[\]]+)", text)
    if returned:
        return _annotation(returned.group(1), defined)
    return next(iter(defined.values()), None)


def _annotation(kind: str, defined: dict[str, dict[str, Any]]) -> dict[str, Any]:
    inner = re.fullmatch(r"(?:list|List)\[(\w+)\]", kind)
    if inner:
        return {"type": "array", "items": _annotation(inner.group(1), defined)}
    simple = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}
    return defined.get(kind) or {"type": simple.get(kind, "string")}


def _fallback(prompt: str) -> dict[str, Any]:
    if COUNT.search(prompt[:2000]) or re.match(r"\s*list\b", prompt, re.IGNORECASE):
        item = {"type": "object", "properties": {"name": {}, "description": {}}}
        return {"type": "array", "items": item}
    return {"type": "object", "properties": {"answer": {"type": "string"}}}
