"""The 400 INVALID_ARGUMENT the real API sends, in its two recorded families.

- **The JSON parser's**: a field the message does not have, a value of the wrong type, a list
  where one value goes. Each problem is one line of the message and one ``fieldViolation`` of a
  ``google.rpc.BadRequest`` detail, naming the field by its proto path (snake case, map entries
  by position: ``tools[0].function_declarations[0].parameters.properties[2].value``). Recorded in
  zed-industries/zed#62539, mnfst/llm-gateway#1858 (unknown names), microsoft/azure-devops-mcp#139
  (``Invalid value at ... (TYPE_STRING), 0``), zereight/gitlab-mcp#166 (a bad ``Type``),
  zed-industries/zed#53919 ("Proto field is not repeating, cannot start list").
- **The API's own checks**: ``* GenerateContentRequest.contents: contents is not specified`` and
  ``FunctionDeclaration 'f' in the request exceeds the maximum allowed nesting depth.`` (recorded
  in iBUHub/AIStudioToAPI#154 and google-gemini/gemini-cli#5923): the message names the field,
  and recorded bodies carry no details.

>>> refused = Refused.parsed([unknown_name("thinking", "")])
>>> refused.message
'Invalid JSON payload received. Unknown name "thinking": Cannot find field.'
>>> reply = refused.reply(delay=0.0)
>>> json.loads(reply.chunks[0][1])["error"]["details"][0]["fieldViolations"][0]["description"]
'Invalid JSON payload received. Unknown name "thinking": Cannot find field.'
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from course_lib.fake import wire
from course_lib.fake.wire import Reply

BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
_PAYLOAD = "Invalid JSON payload received."


class Violation(NamedTuple):
    """One ``fieldViolation``: the field's path ("" for the request itself) and what is wrong."""

    field: str
    description: str


class Refused(Exception):
    """A request the API answers with 400 INVALID_ARGUMENT: its message and field violations."""

    def __init__(self, message: str, violations: tuple[Violation, ...] = ()) -> None:
        super().__init__(message)
        self.message, self.violations = message, violations

    @classmethod
    def parsed(cls, violations: list[Violation]) -> Refused:
        """What the JSON parser refused: one line of the message per violation."""
        return cls("\n".join(v.description for v in violations), tuple(violations))

    @classmethod
    def checked(cls, field: str, problem: str) -> Refused:
        """What the API's own checks refused: ``* GenerateContentRequest.<field>: <problem>``."""
        return cls(f"* GenerateContentRequest.{field}: {problem}")

    def reply(self, delay: float) -> Reply:
        details = None
        if self.violations:
            violations = [
                {"field": v.field, "description": v.description} if v.field else
                {"description": v.description}
                for v in self.violations
            ]  # fmt: skip
            details = [{"@type": BAD_REQUEST, "fieldViolations": violations}]
        return wire.error(400, "INVALID_ARGUMENT", self.message, delay, details)


def shown(value: Any, limit: int = 40) -> str:
    """A value as the parser quotes it: JSON, cut short."""
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def invalid_value(path: str, kind: str, value: Any) -> Violation:
    """A value of the wrong type: ``Invalid value at 'generation_config.temperature'
    (TYPE_FLOAT), "hot"``; ``kind`` is ``TYPE_...`` or a message or enum's type URL."""
    return Violation(path, f"Invalid value at '{path}' ({kind}), {shown(value)}")


def not_base64(path: str, text: str) -> Violation:
    """Bytes that are not base64 (recorded for ``contents[0].parts[1].inline_data.data``)."""
    quoted = shown(text[:40])
    return Violation(
        path, f"Invalid value at '{path}' (TYPE_BYTES), Base64 decoding failed for {quoted}"
    )


def unknown_name(name: str, parent: str) -> Violation:
    where = f" at '{parent}'" if parent else ""
    return Violation(parent, f'{_PAYLOAD} Unknown name "{name}"{where}: Cannot find field.')


def not_repeating(name: str, parent: str) -> Violation:
    """A list given where one value goes."""
    where = f" at '{parent}'" if parent else ""
    text = (
        f'{_PAYLOAD} Unknown name "{name}"{where}: Proto field is not repeating, cannot start list.'
    )
    return Violation(parent, text)


def not_a_list(path: str, value: Any) -> Violation:
    """One value given where a list goes (the parser's wording for this is not recorded)."""
    return Violation(path, f"{_PAYLOAD} Expected a list at '{path}', got {shown(value)}.")


def payload(problem: str, field: str = "") -> Violation:
    """A body the parser cannot read at all: ``Invalid JSON payload received. <problem>``."""
    return Violation(field, f"{_PAYLOAD} {problem}")
