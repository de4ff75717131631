"""Function calling in the fake: a request that declares tools gets ``functionCall`` parts back, and
the turn that carries their ``functionResponse`` parts gets an answer that uses the results.

Which functions a prompt calls: every declared function whose name (its words, ``get_weather`` ->
"weather") the prompt mentions, in the order declared; else the one a sum asks for ("57 x 44",
"each owns 44": ``multiply``; "in total": ``add``), or one a word hints at ("raining": weather);
else the first one. A prompt that quotes several phrases (``look up "the GIL" and "process
pools"``) gets one call of each such function per phrase, the phrase as its first string
argument, as Gemini asks for parallel calls of one function. So a prompt can make the model ask
for several calls in one turn, and the same prompt always asks for the same calls. Arguments use
what the prompt says, typed by each function's schema (``fake.arguments``), so they validate.

``toolConfig.functionCallingConfig`` decides whether the model calls at all: ``NONE`` never,
``ANY`` always (even after the results came back), ``AUTO`` and ``VALIDATED`` when no results
came back yet; ``allowedFunctionNames`` limits ``ANY`` and ``VALIDATED`` to those functions.

>>> turn = read_tools({"tools": [{"functionDeclarations": [{"name": "get_weather",
...     "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}},
...     "required": ["city"]}}]}]}, [])
>>> calls_for("What is the weather in Paris?", turn.tools)
[{'functionCall': {'name': 'get_weather', 'args': {'city': 'Paris'}}}]
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from course_lib.fake import proto
from course_lib.fake.arguments import args_for, first_string
from course_lib.fake.bad_request import Refused
from course_lib.fake.media import media_of
from course_lib.fake.schemas import check_schema

_WORD = re.compile(r"[A-Za-z]{3,}")
_QUOTED = re.compile(r'"([^"]{1,80})"')
_TOO_DEEP = "exceeds the maximum allowed nesting depth."
_STOP = {"get", "the", "and", "for", "set", "list", "find", "fetch", "lookup", "look"}


@dataclass(frozen=True)
class Tool:
    """One declared function: its name, the JSON schema of its parameters, its description."""

    name: str
    schema: dict[str, Any]
    description: str = ""


@dataclass
class ToolTurn:
    """What a request says about tools: the declared functions, the results the last user turn
    sends back (``functionResponse``: name and response), and the thought signatures it echoes."""

    tools: list[Tool] = field(default_factory=list)
    results: list[tuple[str, Any]] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    #: the current turn's function calls sent back unsigned: (the content's position, the name)
    unsigned: list[tuple[int, str]] = field(default_factory=list)
    mode: str = "AUTO"  # toolConfig.functionCallingConfig.mode
    allowed: list[str] = field(default_factory=list)  # ... and its allowedFunctionNames

    def calls_now(self) -> bool:
        """Whether this turn's answer is function calls, as the tool config decides."""
        if not self.tools or self.mode == "NONE":
            return False
        return self.mode == "ANY" or not self.results

    def callable(self) -> list[Tool]:
        """The functions the model may call now."""
        if self.allowed and self.mode in ("ANY", "VALIDATED"):
            return [t for t in self.tools if t.name in self.allowed]
        return self.tools


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
            described = proto.field(spec, "description")
            turn.tools.append(
                Tool(
                    name,
                    schema if isinstance(schema, dict) else {},
                    described if isinstance(described, str) else "",
                )
            )
    names = {tool.name for tool in turn.tools}
    _read_config(proto.field(request, "tool_config") or {}, names, turn)
    _read_calls(contents, turn)
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


def _read_config(config: dict[str, Any], names: set[str], turn: ToolTurn) -> None:
    calling = proto.field(config, "function_calling_config") or {}
    turn.mode = (
        str(proto.field(calling, "mode") or "AUTO").upper().replace("MODE_UNSPECIFIED", "AUTO")
    )
    turn.allowed = list(proto.field(calling, "allowed_function_names") or [])
    for k, name in enumerate(turn.allowed):
        if name not in names:  # the real API's wording for this is not recorded
            where = f"tool_config.function_calling_config.allowed_function_names[{k}]"
            raise Refused.checked(where, f"'{name}' is not a declared function.")


def _read_calls(contents: list[Any], turn: ToolTurn) -> None:
    """The model's earlier calls, as the client sends them back: the signatures they carry, and
    the model turns of the current turn (after the last user message of text or files) whose
    first call lost its signature (the only one a Gemini 3 turn signs)."""
    current = 0
    for i, content in enumerate(contents):
        parts = proto.field(content, "parts") or []
        said = any(proto.field(p, "text") or media_of(p) for p in parts)
        if (proto.field(content, "role") or "user") == "user" and said:
            current = i + 1
    for i, content in enumerate(contents):
        calls = [p for p in proto.field(content, "parts") or [] if proto.field(p, "function_call")]
        for part in calls:
            if proto.field(part, "thought_signature"):
                turn.signatures.append(proto.field(part, "thought_signature"))
        if calls and i >= current and not proto.field(calls[0], "thought_signature"):
            name = proto.field(proto.field(calls[0], "function_call"), "name") or ""
            turn.unsigned.append((i + 1, name))


def calls_for(prompt: str, tools: list[Tool]) -> list[dict[str, Any]]:
    """The ``functionCall`` parts a model turn asks for, from ``tools`` (see the module's
    docstring); a Gemini 3 model signs the first (``fake.turn``)."""
    chosen = chosen_tools(prompt, tools)
    phrases = _QUOTED.findall(prompt)
    parts = []
    for tool in chosen:
        field = first_string(tool.schema)  # where a quoted phrase goes, if anywhere
        for phrase in phrases if phrases and field else [None]:
            args = args_for(tool.schema, prompt)
            if field is not None and phrase is not None:
                args[field] = phrase
            parts.append({"functionCall": {"name": tool.name, "args": args}})
    return parts


def chosen_tools(prompt: str, tools: list[Tool]) -> list[Tool]:
    """The functions a prompt asks for: those it names (of two it names by the same words, the
    one whose description it echoes more: "Turn on the lights!" is enable_lights, "Turn on the
    lighting system.", not stop_lights, "Stop flashing lights."); else the one its sum or hints
    ask for; else the first."""
    words = {w.lower() for w in _WORD.findall(prompt)}
    named = [t for t in tools if _name_words(t.name) & words]
    if named:
        by = {t.name: frozenset(_name_words(t.name) & words) for t in named}
        echoed = {t.name: len(words & _described_words(t) - by[t.name]) for t in named}
        return [
            t
            for t in named
            if echoed[t.name] == max(echoed[u.name] for u in named if by[u.name] == by[t.name])
        ]
    operation = _operation(prompt, words)
    for wanted in ([operation] if operation else []) + sorted(words & set(_HINTS)):
        hinted = [t for t in tools if _name_words(t.name) & _HINTS.get(wanted, {wanted})]
        if hinted:
            return hinted[:1]
    return tools[:1]


#: Words of a function's name each operation (or hint word in a prompt) points to.
_HINTS: dict[str, set[str]] = {
    "multiply": {"multiply", "mul", "times", "product"},
    "divide": {"divide", "div", "quotient", "split"},
    "subtract": {"subtract", "sub", "minus", "difference"},
    "add": {"add", "sum", "plus", "total"},
    "raining": {"weather", "forecast"}, "rain": {"weather", "forecast"},
    "sunny": {"weather", "forecast"}, "temperature": {"weather", "temperature"},
    "dark": {"lights", "light", "lamp"}, "bright": {"lights", "light", "lamp"},
    "clock": {"time"}, "hour": {"time"},
    **dict.fromkeys(
        "red orange yellow green blue purple violet pink white black colour color".split(),
        {"color", "colour"},
    ),
}  # fmt: skip
#: Cues of each operation, strongest first: "each owns 44 ... in total" is a product.
_SUMS = (
    (
        "multiply",
        re.compile(r"\d\s*(?:x|×|\*)\s*\d|\b(?:times|each|every|per|product|multipl\w*)\b"),
    ),
    (
        "divide",
        re.compile(r"\d\s*(?:/|\u00f7)\s*\d|\b(?:divided|split|share|shared|average|ratio)\b"),
    ),
    (
        "subtract",
        re.compile(r"\d\s+-\s*\d|\b(?:minus|left|remain\w*|difference|fewer|lost|gave)\b"),
    ),
    ("add", re.compile(r"\d\s*\+\s*\d|\b(?:plus|sum|total|altogether|combined|more)\b")),
)


def _operation(prompt: str, words: set[str]) -> str | None:
    """The arithmetic a prompt with two numbers asks for, if any."""
    if len(re.findall(r"\d+", prompt[:2000])) < 2:
        return None
    return next((name for name, cue in _SUMS if cue.search(prompt[:2000].lower())), None)


def missing_signatures(turn: ToolTurn) -> str | None:
    """For a Gemini 3 model: the 400's message if a function call of the current turn came back
    without its signature, worded as recorded (niki914/zafiro#100, csells/dartantic#86)."""
    if not turn.unsigned:
        return None
    position, name = turn.unsigned[0]
    return (
        "Function call is missing a thought_signature in functionCall parts. This is required "
        "for tools to work correctly, and missing thought_signature may lead to degraded model "
        f"performance. Additional data, function call `default_api:{name}` , position {position}. "
        "Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
    )


def _described_words(tool: Tool) -> set[str]:
    """The words of a function's description that may tell it from another."""
    return {w.lower() for w in _WORD.findall(tool.description)} - _STOP - _COMMON


_COMMON = {"this", "that", "with", "for", "are", "must", "from", "any", "all", "can", "you"}


def _name_words(name: str) -> set[str]:
    split = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return {w for w in re.split(r"[_.\-]+", split) if len(w) > 2 and w not in _STOP}


def answer_from(results: list[tuple[str, Any]]) -> str:
    """The opening of an answer that uses the tools' results."""
    said = "; ".join(f"{name} returned {json.dumps(result)[:120]}" for name, result in results)
    return f"From the tools: {said}."
