"""Function calling in the fake: a request that declares tools gets ``functionCall`` parts back, and
the turn that carries their ``functionResponse`` parts gets an answer that uses the results.

Which functions a prompt calls: every declared function whose name (its words, ``get_weather`` ->
"weather") the prompt mentions, in the order declared; if it mentions none, the first one. A
prompt that quotes several phrases (``look up "the GIL" and "process pools"``) gets one call of
each such function per phrase, the phrase as its first string argument, as Gemini asks for
parallel calls of one function. So a prompt can make the model ask for several calls in one turn,
and the same prompt always asks for the same calls. Arguments are filled from each function's JSON
schema (strings from the prompt, numbers small and fixed), so they always validate.

>>> turn = read_tools({"tools": [{"functionDeclarations": [{"name": "get_weather",
...     "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}},
...     "required": ["city"]}}]}]}, [])
>>> calls_for("What is the weather in Paris?", turn.tools)
[{'functionCall': {'name': 'get_weather', 'args': {'city': 'Paris'}}}]
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from course_lib.fake import proto
from course_lib.fake.bad_request import Refused
from course_lib.fake.schemas import check_schema

_WORD = re.compile(r"[A-Za-z]{3,}")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]{2,}\b")
_QUOTED = re.compile(r'"([^"]{1,80})"')
_TOO_DEEP = "exceeds the maximum allowed nesting depth."
_STOP = {"get", "the", "and", "for", "set", "list", "find", "fetch", "lookup", "look"}


@dataclass(frozen=True)
class Tool:
    """One declared function: its name and the JSON schema of its parameters."""

    name: str
    schema: dict[str, Any]


@dataclass
class ToolTurn:
    """What a request says about tools: the declared functions, the results the last user turn
    sends back (``functionResponse``: name and response), and the thought signatures it echoes."""

    tools: list[Tool] = field(default_factory=list)
    results: list[tuple[str, Any]] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    unsigned: list[str] = field(default_factory=list)  # earlier function calls sent back unsigned


def read_tools(request: dict[str, Any], contents: list[Any]) -> ToolTurn:
    """The request's tools and function results (a body ``fake.proto`` has checked), or raise
    the ``Refused`` 400 that refuses them."""
    turn = ToolTurn()
    for i, entry in enumerate(proto.field(request, "tools") or []):
        for j, spec in enumerate(proto.field(entry, "function_declarations") or []):
            where = f"tools[{i}].function_declarations[{j}]"
            name = proto.field(spec, "name")
            if not isinstance(name, str) or not re.fullmatch(
                r"[A-Za-z_][A-Za-z0-9_.-]{0,63}", name
            ):
                raise Refused.checked(f"{where}.name", f"Invalid function name {name!r}.")
            too_deep = f"FunctionDeclaration '{name}' in the request {_TOO_DEEP}"
            schema = proto.field(spec, "parameters")
            if schema is not None:
                check_schema(schema, f"{where}.parameters", too_deep)
            else:
                schema = proto.field(spec, "parameters_json_schema")
                if schema is not None:
                    check_schema(schema, f"{where}.parameters_json_schema", too_deep, True)
            turn.tools.append(Tool(name, schema if isinstance(schema, dict) else {}))
    names = {tool.name for tool in turn.tools}
    for i, content in enumerate(contents):  # the model's earlier calls, as the client sends them
        for j, part in enumerate(proto.field(content, "parts") or []):
            if proto.field(part, "function_call") is not None:
                if proto.field(part, "thought_signature"):
                    turn.signatures.append(proto.field(part, "thought_signature"))
                else:
                    turn.unsigned.append(f"contents[{i}].parts[{j}]")
    last = contents[-1] if contents else {}
    for j, part in enumerate(proto.field(last, "parts") or []):
        response = proto.field(part, "function_response")
        if response is None:
            continue
        where = f"contents[{len(contents) - 1}].parts[{j}].function_response"
        name = proto.field(response, "name")
        if not name:
            raise Refused.checked(f"{where}.name", "Name cannot be empty.")
        if name not in names:
            raise Refused.checked(
                where,
                f"function response for '{name}', which the request does not declare as a tool.",
            )
        turn.results.append((name, proto.field(response, "response")))
    return turn


def calls_for(prompt: str, tools: list[Tool], signed: bool = False) -> list[dict[str, Any]]:
    """The ``functionCall`` parts a model turn asks for (see the module's docstring). ``signed``:
    each carries a ``thoughtSignature``, as Gemini 3 models attach, which the client must send
    back with the call in the next turn's history (``missing_signatures`` checks)."""
    words = {w.lower() for w in _WORD.findall(prompt)}
    chosen = [t for t in tools if _name_words(t.name) & words] or tools[:1]
    phrases = _QUOTED.findall(prompt)
    parts = []
    for tool in chosen:
        field = _first_string(tool.schema)  # where a quoted phrase goes, if anywhere
        for phrase in phrases if phrases and field else [None]:
            args = args_for(tool.schema, prompt)
            if field is not None and phrase is not None:
                args[field] = phrase
            part: dict[str, Any] = {"functionCall": {"name": tool.name, "args": args}}
            if signed:
                digest = hashlib.sha256(f"{tool.name}:{phrase}:{prompt}".encode()).digest()
                part["thoughtSignature"] = base64.b64encode(digest[:24]).decode()
            parts.append(part)
    return parts


def _first_string(schema: dict[str, Any]) -> str | None:
    """The first string parameter an answer must fill, if any: where a quoted phrase goes."""
    properties = schema.get("properties") or {}
    for name in schema.get("required") or list(properties):
        if str((properties.get(name) or {}).get("type", "string")).lower() == "string":
            return name
    return None


def missing_signatures(turn: ToolTurn) -> str | None:
    """For a Gemini 3 model: the 400's message if earlier function calls came back unsigned."""
    if not turn.unsigned:
        return None
    return (
        f"Function call is missing a thought_signature in functionCall parts ({turn.unsigned[0]}). "
        "This is required for tools to work correctly: send back the model's parts as they came."
    )


def _name_words(name: str) -> set[str]:
    split = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return {w for w in re.split(r"[_.\-]+", split) if len(w) > 2 and w not in _STOP}


def args_for(schema: dict[str, Any], prompt: str) -> dict[str, Any]:
    """Arguments for every required parameter (all of them if none is marked required)."""
    properties = schema.get("properties") or {}
    wanted = schema.get("required") or list(properties)
    return {name: _value(properties.get(name) or {}, prompt) for name in wanted}


def _value(spec: dict[str, Any], prompt: str) -> Any:
    kind = str(spec.get("type", "string")).lower()
    if spec.get("enum"):
        return spec["enum"][0]
    if kind in ("integer", "number"):
        return 3
    if kind == "boolean":
        return True
    if kind == "array":
        return [_value(spec.get("items") or {}, prompt)]
    if kind == "object":
        return args_for(spec, prompt)
    names = _CAPITALISED.findall(prompt[1:])  # a name in the prompt, if there is one
    return names[-1] if names else prompt.strip()[:80]


def answer_from(results: list[tuple[str, Any]]) -> str:
    """The opening of an answer that uses the tools' results."""
    said = "; ".join(f"{name} returned {json.dumps(result)[:120]}" for name, result in results)
    return f"From the tools: {said}."
