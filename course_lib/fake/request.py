"""What a generateContent (or countTokens) request asks, read and checked as the real API does.

First the JSON parser's checks (``fake.proto``: unknown fields, values of the wrong type), then
the API's own (``contents is not specified``, a temperature out of range, a schema that names a
property it lacks...). A body the API would refuse gets its 400 INVALID_ARGUMENT, naming the
field (``fake.bad_request``), never a crash. Tools and function results are read by
``fake.tools``, images and files by ``fake.media``; what the fake does not use (safety
settings, labels) is accepted as it comes.

>>> read_prompt(b'{"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}').prompt
'Hi'
>>> read_prompt(b'{"contents": [{"parts": [{"text": 5}]}]}').message
"Invalid value at 'contents[0].parts[0].text' (TYPE_STRING), 5"
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from course_lib.fake import proto
from course_lib.fake.answers import count_tokens
from course_lib.fake.bad_request import Refused, invalid_value, payload
from course_lib.fake.media import Media, media_of, token_details
from course_lib.fake.schemas import check_schema
from course_lib.fake.tools import ToolTurn, read_tools

#: The largest request body the API takes (20 MB); larger ones get a 400.
MAX_BODY_BYTES = 20 * 1024 * 1024
#: ``responseMimeType`` values the API takes, and its message for any other (as recorded).
MIME_TYPES = (
    "text/plain",
    "application/json",
    "application/xml",
    "application/yaml",
    "text/x.enum",
)
_MIME_MESSAGE = (
    "allowed mimetypes are `text/plain`, `application/json`, `application/xml`, "
    "`application/yaml` and `text/x.enum`."
)
_SCHEMA_TOO_DEEP = (
    "A schema in GenerationConfig in the request exceeds the maximum allowed nesting depth."
)


@dataclass
class Prompt:
    """What a generateContent request asks: every text (for token counts), the last user text
    (what the answer is about), the generation config (camelCase keys, ``thinkingConfig``'s
    too: ``{"thinkingLevel": "LOW"}``), the tools, and the images and files it sends."""

    texts: list[str]
    prompt: str
    config: dict[str, Any] = field(default_factory=dict)
    tools: ToolTurn = field(default_factory=ToolTurn)  # function calling: see fake.tools
    media: list[Media] = field(default_factory=list)
    tier: str = "standard"  # the service tier asked: standard, flex or priority

    @property
    def text_tokens(self) -> int:
        return sum(count_tokens(t) for t in self.texts)

    @property
    def tokens(self) -> int:
        return self.text_tokens + sum(m.tokens for m in self.media)

    @property
    def token_details(self) -> list[dict[str, Any]]:
        """``promptTokensDetails``: the tokens per modality."""
        return token_details(self.text_tokens, self.media)

    @property
    def key(self) -> str:
        """What the answer depends on: the prompt, and the files sent with it."""
        return self.prompt + "".join(f"|{m.digest}" for m in self.media)


def read_prompt(body: bytes, count: bool = False) -> Prompt | Refused:
    """The request's prompt, or the 400 that refuses it. ``count``: a countTokens body (its
    ``contents``, or a whole ``generateContentRequest``)."""
    if len(body) > MAX_BODY_BYTES:
        return Refused(f"Request payload size exceeds the limit: {MAX_BODY_BYTES} bytes.")
    try:
        request = json.loads(body or b"{}")
    except RecursionError:  # JSON nested thousands deep
        return Refused.parsed([payload("Message too deep. Max recursion depth reached.")])
    except ValueError:
        return Refused.parsed([payload("Unexpected token.")])
    found = proto.parse_violations(
        "CountTokensRequest" if count else "GenerateContentRequest", request
    )
    if found:
        return Refused.parsed(found)
    inner = proto.field(request, "generate_content_request")
    try:
        return _read(inner if count and isinstance(inner, dict) else request)
    except Refused as refused:
        return refused


def read_parsed(request: dict[str, Any]) -> Prompt | Refused:
    """``read_prompt`` for a request the parser took already (one of a batch job's)."""
    try:
        return _read(request)
    except Refused as refused:
        return refused


def _read(request: dict[str, Any]) -> Prompt:
    """The API's own checks, on a body the parser took (so every field has its type)."""
    texts: list[str] = []
    media: list[Media] = []
    prompt, asked = "", False
    contents = proto.field(request, "contents") or []
    for i, content in enumerate(contents):
        role = proto.field(content, "role") or "user"
        for j, part in enumerate(proto.field(content, "parts") or []):
            text = _text(part, f"contents[{i}].parts[{j}].text")
            found = media_of(part)
            if found is not None:
                media.append(found)
            asked = asked or bool(text) or found is not None or _calls(part)
            if text:
                texts.append(text)
                if role == "user":
                    prompt = text  # the last user text wins
    if not asked:
        raise Refused.checked("contents", "contents is not specified")
    system = proto.field(request, "system_instruction") or {}
    for j, part in enumerate(proto.field(system, "parts") or []):
        text = _text(part, f"system_instruction.parts[{j}].text")
        if text:
            texts.append(text)
    config = _config(proto.field(request, "generation_config") or {})
    tools = read_tools(request, contents)
    return Prompt(texts, prompt, config, tools, media, tier_asked(request))


def tier_asked(request: dict[str, Any]) -> str:
    """The service tier a request asks for (``serviceTier``, which the parser checked):
    ``standard`` (also when absent or unspecified), ``flex`` or ``priority``."""
    asked = str(proto.field(request, "service_tier") or "").lower().removeprefix("service_tier_")
    return asked if asked in ("flex", "priority") else "standard"


def _text(part: dict[str, Any], where: str) -> str:
    text = proto.field(part, "text") or ""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # "\ud800" in the JSON: a lone surrogate is no character
            raise Refused.parsed([invalid_value(where, "TYPE_STRING", text)]) from None
    return text


def _calls(part: dict[str, Any]) -> bool:
    return any(proto.field(part, k) for k in ("function_call", "function_response"))


_SNAKE = re.compile(r"_([a-z0-9])")


def camel(value: dict[str, Any]) -> dict[str, Any]:
    """A config's keys in camelCase, whichever way they came (the SDK sends ``thinkingConfig``'s
    snake_case: ``{"thinking_budget": 1024}``)."""
    return {_SNAKE.sub(lambda m: m.group(1).upper(), k): v for k, v in value.items()}


def _config(config: dict[str, Any]) -> dict[str, Any]:
    config = camel(config)
    if isinstance(config.get("thinkingConfig"), dict):
        config["thinkingConfig"] = camel(config["thinkingConfig"])
    temperature = config.get("temperature")
    if temperature is not None and not 0 <= float(temperature) <= 2:
        raise Refused.checked(
            "generation_config.temperature", f"must be in [0.0, 2.0], got {temperature}"
        )
    limit = config.get("maxOutputTokens")
    if limit is not None and int(limit) < 1:
        raise Refused.checked(
            "generation_config.max_output_tokens", f"must be positive, got {limit}"
        )
    mime = config.get("responseMimeType")
    if mime is not None and mime not in MIME_TYPES:
        raise Refused.checked("generation_config.response_mime_type", _MIME_MESSAGE)
    if isinstance(config.get("responseSchema"), dict):
        check_schema(
            config["responseSchema"], "generation_config.response_schema", _SCHEMA_TOO_DEEP
        )
    if "responseJsonSchema" in config:
        check_schema(
            config["responseJsonSchema"],
            "generation_config.response_json_schema",
            _SCHEMA_TOO_DEEP,
            json_schema=True,
        )
    return config
