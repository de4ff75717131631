"""What a generateContent request asks, read and checked as the real API does.

A body the API would refuse gets the API's own kind of answer: 400 INVALID_ARGUMENT with a message
that names the field, never a crash. Tools and function results are read by ``fake.tools``;
anything else the fake does not use (images, safety settings) is accepted and left alone.

>>> read_prompt(b'{"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}').prompt
'Hi'
>>> read_prompt(b'{"contents": [{"parts": [{"text": 5}]}]}')
"Invalid value at 'contents[0].parts[0].text' (TYPE_STRING), 5"
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from course_lib.fake.answers import count_tokens
from course_lib.fake.tools import ToolTurn, read_tools

#: The largest request body the API takes (20 MB); larger ones get a 400.
MAX_BODY_BYTES = 20 * 1024 * 1024

#: generationConfig fields the fake checks, with their type (numbers: int or float; counts: int).
_NUMBERS = ("temperature", "topP", "presencePenalty", "frequencyPenalty")
_COUNTS = ("maxOutputTokens", "topK", "candidateCount", "seed")


@dataclass
class Prompt:
    """What a generateContent request asks: every text (for token counts), the last user text
    (what the answer is about), and the generation config."""

    texts: list[str]
    prompt: str
    config: dict[str, Any] = field(default_factory=dict)
    tools: ToolTurn = field(default_factory=ToolTurn)  # function calling: see fake.tools

    @property
    def tokens(self) -> int:
        return sum(count_tokens(t) for t in self.texts)


class _Refused(Exception):
    """A field the API would refuse; its message is the 400's."""


def read_prompt(body: bytes) -> Prompt | str:
    """The request's prompt, or what is wrong with it (the message of a 400 INVALID_ARGUMENT)."""
    if len(body) > MAX_BODY_BYTES:
        return f"Request payload size exceeds the limit: {MAX_BODY_BYTES} bytes."
    try:
        request = json.loads(body or b"{}")
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        return "Invalid JSON payload received. The body is not valid JSON."
    try:
        return _read(request)
    except _Refused as refused:
        return str(refused)


def _read(request: Any) -> Prompt | str:
    request = _object(request, "The request body")
    texts, prompt = [], ""
    contents = _list(request.get("contents"), "contents")
    for i, content in enumerate(contents):
        content = _object(content, f"contents[{i}]")
        role = _string(content.get("role", "user"), f"contents[{i}].role")
        for j, part in enumerate(_list(content.get("parts"), f"contents[{i}].parts")):
            where = f"contents[{i}].parts[{j}]"
            text = _string(_object(part, where).get("text", ""), f"{where}.text")
            if text:
                texts.append(text)
                if role == "user":
                    prompt = text  # the last user text wins
    if not texts:
        return "* GenerateContentRequest.contents: contents is not specified"
    system = request.get("systemInstruction")
    if system is not None:
        parts = _list(
            _object(system, "system_instruction").get("parts"), "system_instruction.parts"
        )
        for j, part in enumerate(parts):
            where = f"system_instruction.parts[{j}]"
            text = _string(_object(part, where).get("text", ""), f"{where}.text")
            if text:
                texts.append(text)
    config = request.get("generationConfig")
    config = {} if config is None else _object(config, "generation_config")
    tools = read_tools(request, contents)
    if isinstance(tools, str):
        return tools
    return _check_config(config) or Prompt(texts, prompt, config, tools)


def _check_config(config: dict[str, Any]) -> str | None:
    for name in _NUMBERS + _COUNTS:
        value = config.get(name)
        whole = name in _COUNTS
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int if whole else int | float)
        ):
            kind = "TYPE_INT32" if whole else "TYPE_FLOAT"
            return f"Invalid value at 'generation_config.{name}' ({kind}), {json.dumps(value)}"
    temperature = config.get("temperature")
    if temperature is not None and not 0 <= temperature <= 2:
        return f"* GenerationConfig.temperature: must be in [0.0, 2.0], got {temperature}"
    limit = config.get("maxOutputTokens")
    if limit is not None and limit < 1:
        return f"* GenerationConfig.max_output_tokens: must be positive, got {limit}"
    return None


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Refused(
            f"Invalid JSON payload received. {where} must be an object, not {_kind(value)}."
        )
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Refused(
            f"Invalid JSON payload received. {where} must be a list, not {_kind(value)}."
        )
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _Refused(f"Invalid value at '{where}' (TYPE_STRING), {json.dumps(value)[:40]}")
    return value


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true or false"}.get(
        type(value), "null" if value is None else "a number"
    )
