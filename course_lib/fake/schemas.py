"""The API's own checks of a schema: a function's parameters, or a structured answer's schema.

Two kinds reach it. A ``Schema`` (``parameters``, ``responseSchema``: OpenAPI-style, upper-case
types) has already passed the JSON parser (``fake.proto``), so its fields have the right types;
here the API checks what the parser cannot: every ``required`` name is a property, an ``ARRAY``
has ``items``, and the nesting is not absurd. A JSON Schema (``parametersJsonSchema``,
``responseJsonSchema``) parses whatever it is, so its shape is checked here: ``properties`` an
object, ``required`` a list of names, ``items`` a schema, ``$ref`` resolvable.

Each problem is a 400 naming the field (``fake.bad_request.Refused``), worded as the real API
words it where a body was recorded (``property is not defined``, ``missing field.``:
iBUHub/AIStudioToAPI#154, cline/cline#7339; the nesting messages: google-gemini/gemini-cli#5923,
googleapis/js-genai#882); the JSON Schema messages are the fake's own (none was found recorded).

>>> try:
...     check_schema({"type": "OBJECT", "properties": {}, "required": ["city"]}, "parameters")
... except Refused as refused:
...     print(refused.message)
* GenerateContentRequest.parameters.required[0]: property is not defined
"""

from __future__ import annotations

from typing import Any

from course_lib.fake.bad_request import Refused, shown
from course_lib.fake.proto import field

#: How deeply schemas may nest (objects in arrays in objects...). Google publishes no number;
#: the real API refuses deep ones ("exceeds the maximum allowed nesting depth"), so does the fake.
MAX_SCHEMA_DEPTH = 20
_JSON_TYPES = {"string", "number", "integer", "boolean", "array", "object", "null"}


def check_schema(schema: Any, path: str, too_deep: str = "", json_schema: bool = False) -> None:
    """Raise ``Refused`` for the first problem in ``schema`` found at ``path`` (a proto path such
    as ``tools[0].function_declarations[0].parameters``). ``too_deep`` is the message for a schema
    nested past ``MAX_SCHEMA_DEPTH``; ``json_schema``: a JSON Schema, else a ``Schema``."""
    if json_schema:
        if not isinstance(schema, dict | bool):
            raise Refused.checked(path, f"a JSON Schema must be an object, not {_kind(schema)}")
        _json(schema, schema, path, 0, too_deep or _deep(path), set())
    elif isinstance(schema, dict):
        _proto(schema, path, 0, too_deep or _deep(path))


def _deep(path: str) -> str:
    return f"A schema at {path} in the request exceeds the maximum allowed nesting depth."


def _proto(schema: dict[str, Any], path: str, depth: int, too_deep: str) -> None:
    if depth > MAX_SCHEMA_DEPTH:
        raise Refused(too_deep)
    properties = field(schema, "properties") or {}
    for i, name in enumerate(field(schema, "required") or []):
        if name not in properties:
            raise Refused.checked(f"{path}.required[{i}]", "property is not defined")
    kind = str(field(schema, "type") or "").upper()
    items = field(schema, "items")
    if kind == "ARRAY" and items is None:
        raise Refused.checked(f"{path}.items", "missing field.")
    for name, inner in properties.items():
        _proto(inner, f"{path}.properties[{name}]", depth + 1, too_deep)
    if isinstance(items, dict):
        _proto(items, f"{path}.items", depth + 1, too_deep)
    for i, option in enumerate(field(schema, "any_of") or []):
        _proto(option, f"{path}.any_of[{i}]", depth + 1, too_deep)


def _json(root: Any, schema: Any, path: str, depth: int, too_deep: str, refs: set[str]) -> None:
    if depth > MAX_SCHEMA_DEPTH:
        raise Refused(too_deep)
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise Refused.checked(path, f"a schema must be an object, not {_kind(schema)}")
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    for k in kinds:
        if not isinstance(k, str) or k.lower() not in _JSON_TYPES:
            raise Refused.checked(f"{path}.type", f"unknown type {_shown(k)}")
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        raise Refused.checked(f"{path}.properties", f"must be an object, not {_kind(properties)}")
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(n, str) for n in required):
        raise Refused.checked(
            f"{path}.required", f"must be a list of property names, not {_shown(required)}"
        )
    ref = schema.get("$ref")
    if ref is not None:
        target = resolve(root, ref)
        if target is None:
            raise Refused.checked(f"{path}.$ref", f"cannot resolve {_shown(ref)}")
        if ref not in refs:  # a recursive schema is fine: follow each reference once
            _json(root, target, f"{path}.$ref", depth + 1, too_deep, refs | {ref})
    for name, inner in properties.items():
        _json(root, inner, f"{path}.properties.{name}", depth + 1, too_deep, refs)
    items = schema.get("items")
    if items is not None and not isinstance(items, dict | bool | list):
        raise Refused.checked(f"{path}.items", f"must be a schema (an object), not {_kind(items)}")
    for i, item in enumerate(items if isinstance(items, list) else [items] if items else []):
        where = f"{path}.items[{i}]" if isinstance(items, list) else f"{path}.items"
        _json(root, item, where, depth + 1, too_deep, refs)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        options = schema.get(key, [])
        if not isinstance(options, list):
            raise Refused.checked(
                f"{path}.{key}", f"must be a list of schemas, not {_kind(options)}"
            )
        for i, option in enumerate(options):
            _json(root, option, f"{path}.{key}[{i}]", depth + 1, too_deep, refs)
    enum = schema.get("enum")
    if enum is not None and not isinstance(enum, list):
        raise Refused.checked(f"{path}.enum", f"must be a list, not {_kind(enum)}")


def resolve(root: Any, ref: Any) -> Any:
    """The schema a local ``$ref`` points at (``#/$defs/Name``, ``#/definitions/Name``, ``#``),
    or None if it points nowhere."""
    if not isinstance(ref, str) or not ref.startswith("#"):
        return None
    node = root
    for step in [s for s in ref[1:].split("/") if s]:
        step = step.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or step not in node:
            return None
        node = node[step]
    return node


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true or false"}.get(
        type(value), "null" if value is None else "a number"
    )


def _shown(value: Any) -> str:
    return shown(value)
