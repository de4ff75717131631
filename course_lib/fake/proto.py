"""What the API's JSON parser accepts in a generateContent or countTokens body: its messages,
their fields (camelCase or snake_case, as proto JSON allows) and each field's type.

``parse_violations`` walks a parsed body against them and lists what the real parser refuses,
in its words (``fake.bad_request``): unknown names, values of the wrong type, lists where one
value goes. The fields are those google-genai 3.6.1 sends to the Gemini API (its
``models._*_to_mldev`` converters); parts of a message the fake does not read (``googleSearch``,
``speechConfig``...) are taken as they come. ``parametersJsonSchema`` and
``responseJsonSchema`` are a ``google.protobuf.Value``: anything parses there (``fake.schemas``
checks them as JSON Schema).

>>> parse_violations("GenerateContentRequest", {"contents": [], "thinking": {}})[0].description
'Invalid JSON payload received. Unknown name "thinking": Cannot find field.'
>>> parse_violations("GenerateContentRequest", {"generationConfig": {"topK": 1.5}})[0].field
'generation_config.top_k'
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

from course_lib.fake.bad_request import (
    Violation,
    invalid_value,
    not_a_list,
    not_base64,
    not_repeating,
    payload,
    unknown_name,
)

TYPES = "type.googleapis.com/google.ai.generativelanguage.v1beta."
#: Past this depth the parser gives up (protobuf's JSON parser stops at 100 levels too).
MAX_DEPTH = 100
#: A message lists at most this many problems (a body can hold thousands).
MAX_VIOLATIONS = 20


class F(NamedTuple):
    """A field: its type (``string``, ``int``, ``float``, ``bool``, ``bytes``, ``value`` (any
    JSON), ``struct`` (a JSON object), ``opaque`` (not checked), an enum in ``ENUMS`` or a
    message in ``MESSAGES``), and whether it is a list or a map of that type."""

    kind: str
    repeated: bool = False
    map: bool = False


_S, _I, _N, _B, _ANY = F("string"), F("int"), F("float"), F("bool"), F("opaque")
_SCHEMA = F("Schema")

ENUMS: dict[str, tuple[str, ...]] = {
    "Type": (
        "TYPE_UNSPECIFIED", "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL",
    ),
    "FunctionCallingConfig.Mode": ("MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"),
    "ThinkingConfig.ThinkingLevel": (
        "THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH", "XHIGH",
    ),
    # google-genai sends "flex" (types.ServiceTier); older docs pages wrote SERVICE_TIER_FLEX
    "ServiceTier": (
        "UNSPECIFIED", "STANDARD", "FLEX", "PRIORITY", "SERVICE_TIER_UNSPECIFIED",
        "SERVICE_TIER_STANDARD", "SERVICE_TIER_FLEX", "SERVICE_TIER_PRIORITY",
    ),
}  # fmt: skip

# Keyed by the proto's snake_case names; JSON may spell each one in camelCase too.
MESSAGES: dict[str, dict[str, F]] = {
    "GenerateContentRequest": {
        "model": _S, "contents": F("Content", True), "system_instruction": F("Content"),
        "tools": F("Tool", True), "tool_config": F("ToolConfig"),
        "safety_settings": F("SafetySetting", True), "generation_config": F("GenerationConfig"),
        "cached_content": _S, "service_tier": F("ServiceTier"), "labels": F("string", map=True),
        "store": _B, "continuation_token": _S,
    },
    # the Batch API (batchGenerateContent) with inline requests; a file's name is taken as is
    "BatchGenerateContentRequest": {"batch": F("GenerateContentBatch")},
    "GenerateContentBatch": {
        "model": _S, "name": _S, "display_name": _S, "input_config": F("InputConfig"),
        "priority": _I, "webhook_config": _ANY,
    },
    "InputConfig": {"file_name": _S, "requests": F("InlinedRequests")},
    "InlinedRequests": {"requests": F("InlinedRequest", True)},
    "InlinedRequest": {"request": F("GenerateContentRequest"), "metadata": F("struct")},
    "CountTokensRequest": {
        "model": _S, "contents": F("Content", True),
        "generate_content_request": F("GenerateContentRequest"),
    },
    "Content": {"parts": F("Part", True), "role": _S},
    "Part": {
        "text": _S, "inline_data": F("Blob"), "file_data": F("FileData"),
        "function_call": F("FunctionCall"), "function_response": F("FunctionResponse"),
        "thought": _B, "thought_signature": F("bytes"), "executable_code": _ANY,
        "code_execution_result": _ANY, "video_metadata": _ANY, "media_resolution": _ANY,
        "part_metadata": F("struct"), "tool_call": _ANY, "tool_response": _ANY,
        "audio_transcription": _ANY, "audio_metadata": _ANY, "document_metadata": _ANY,
        "media_processing": _ANY, "speech_metadata": _ANY, "spreadsheet_metadata": _ANY,
    },
    "Blob": {"mime_type": _S, "data": F("bytes"), "display_name": _S},
    "FileData": {"mime_type": _S, "file_uri": _S, "display_name": _S},
    "FunctionCall": {"id": _S, "name": _S, "args": F("struct")},
    "FunctionResponse": {
        "id": _S, "name": _S, "response": F("struct"), "parts": F("opaque", True),
        "will_continue": _B, "scheduling": _S,
    },
    "Tool": {
        "function_declarations": F("FunctionDeclaration", True), "google_search": _ANY,
        "google_search_retrieval": _ANY, "code_execution": _ANY, "url_context": _ANY,
        "computer_use": _ANY, "file_search": _ANY, "google_maps": _ANY,
        "mcp_servers": F("opaque", True),
    },
    "FunctionDeclaration": {
        "name": _S, "description": _S, "parameters": _SCHEMA, "parameters_json_schema": F("value"),
        "response": _SCHEMA, "response_json_schema": F("value"), "behavior": _S,
    },
    "Schema": {
        "type": F("Type"), "format": _S, "title": _S, "description": _S, "nullable": _B,
        "enum": F("string", True), "max_items": _I, "min_items": _I,
        "properties": F("Schema", map=True), "required": F("string", True),
        "min_properties": _I, "max_properties": _I, "min_length": _I, "max_length": _I,
        "pattern": _S, "example": F("value"), "any_of": F("Schema", True),
        "property_ordering": F("string", True), "default": F("value"), "items": _SCHEMA,
        "minimum": _N, "maximum": _N,
    },
    "ToolConfig": {
        "function_calling_config": F("FunctionCallingConfig"), "retrieval_config": _ANY,
        "include_server_side_tool_invocations": _B,
    },
    "FunctionCallingConfig": {
        "mode": F("FunctionCallingConfig.Mode"), "allowed_function_names": F("string", True),
        "stream_function_call_arguments": _B,
    },
    "SafetySetting": {"category": _S, "threshold": _S},
    "GenerationConfig": {
        "stop_sequences": F("string", True), "response_mime_type": _S,
        "response_schema": _SCHEMA, "response_json_schema": F("value"),
        "response_modalities": F("string", True), "candidate_count": _I,
        "max_output_tokens": _I, "temperature": _N, "top_p": _N, "top_k": _I, "seed": _I,
        "presence_penalty": _N, "frequency_penalty": _N, "response_logprobs": _B,
        "logprobs": _I, "enable_enhanced_civic_answers": _B, "speech_config": _ANY,
        "thinking_config": F("ThinkingConfig"), "image_config": _ANY, "media_resolution": _S,
        "audio_transcription_config": _ANY,
    },
    "ThinkingConfig": {
        "include_thoughts": _B, "thinking_budget": _I,
        "thinking_level": F("ThinkingConfig.ThinkingLevel"),
    },
}  # fmt: skip

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
_SCALARS = {"string": "TYPE_STRING", "int": "TYPE_INT32", "float": "TYPE_FLOAT"}
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]*={0,2}")


@lru_cache(maxsize=1024)
def snake(name: str) -> str:
    """``maxOutputTokens`` -> ``max_output_tokens`` (proto JSON takes either)."""
    return _CAMEL.sub(r"_\1", name).lower()


def field(message: dict[str, Any], name: str) -> Any:
    """The value of a field in a parsed message, spelled either way (None if absent)."""
    if not isinstance(message, dict):
        return None
    if name in message:
        return message[name]
    return message.get(_camel(name))


@lru_cache(maxsize=256)
def _camel(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)


def parse_violations(message: str, value: Any) -> list[Violation]:
    """What the parser refuses in ``value``, read as a ``message`` (the request's root)."""
    found: list[Violation] = []
    if not isinstance(value, dict):
        found.append(payload("Root element must be a message."))
    else:
        _message(message, value, "", 0, found)
    return found[:MAX_VIOLATIONS]


def _message(
    name: str, value: dict[str, Any], path: str, depth: int, found: list[Violation]
) -> None:
    if depth > MAX_DEPTH:
        found.append(payload("Message too deep. Max recursion depth reached.", path))
        return
    fields = MESSAGES[name]
    for key, item in value.items():
        spec = fields.get(snake(key)) if isinstance(key, str) else None
        if spec is None:
            found.append(unknown_name(str(key), path))
            continue
        where = f"{path}.{snake(key)}" if path else snake(key)
        if item is None:  # null means "not set" in proto JSON
            continue
        if spec.map:
            _map(key, spec, item, path, where, depth, found)
        elif spec.repeated:
            if not isinstance(item, list):
                found.append(not_a_list(where, item))
                continue
            for i, element in enumerate(item):
                if element is None:  # no null in a list (protobuf's JSON parser refuses it too)
                    found.append(invalid_value(f"{where}[{i}]", _type_url(spec.kind), None))
                else:
                    _value(key, spec, element, path, f"{where}[{i}]", depth, found)
                if len(found) >= MAX_VIOLATIONS:
                    return
        elif isinstance(item, list) and spec.kind not in ("value", "opaque"):
            found.append(not_repeating(key, path))
        else:
            _value(key, spec, item, path, where, depth, found)
        if len(found) >= MAX_VIOLATIONS:
            return


def _map(key: str, spec: F, item: Any, parent: str, where: str, depth: int, found: list) -> None:
    if isinstance(item, list):
        found.append(not_repeating(key, parent))
    elif not isinstance(item, dict):
        found.append(invalid_value(where, f"{_type_url(spec.kind)}Entry", item))
    else:
        for i, element in enumerate(item.values()):  # map entries are named by position
            _value(key, spec, element, parent, f"{where}[{i}].value", depth, found)


def _value(
    key: str, spec: F, item: Any, parent: str, where: str, depth: int, found: list[Violation]
) -> None:
    kind = spec.kind
    if kind in ("value", "opaque") or item is None:
        return
    if kind in MESSAGES:
        if isinstance(item, dict):
            _message(kind, item, where, depth + 1, found)
        elif isinstance(item, list):
            found.append(not_repeating(key, parent))
        else:
            found.append(invalid_value(where, _type_url(kind), item))
    elif kind == "struct":
        if not isinstance(item, dict):
            found.append(invalid_value(where, "type.googleapis.com/google.protobuf.Struct", item))
    elif kind in ENUMS:
        if not isinstance(item, str) or item.upper() not in ENUMS[kind]:
            found.append(invalid_value(where, _type_url(kind), item))
    elif not _scalar_fits(kind, item):
        if kind == "bytes" and isinstance(item, str):
            found.append(not_base64(where, item))
        else:
            found.append(invalid_value(where, _SCALARS.get(kind, f"TYPE_{kind.upper()}"), item))


def _scalar_fits(kind: str, item: Any) -> bool:
    if kind == "string":
        return isinstance(item, str)
    if kind == "bool":
        return isinstance(item, bool)
    if kind == "bytes":
        return isinstance(item, str) and len(item) % 4 != 1 and bool(_BASE64.fullmatch(item))
    if isinstance(item, bool):
        return False
    if isinstance(item, str):  # proto JSON takes numbers as strings too ("9")
        try:
            item = float(item) if kind == "float" else int(item)
        except ValueError:
            return False
    if kind == "int":
        return isinstance(item, int) or (isinstance(item, float) and item.is_integer())
    return isinstance(item, int | float)


def _type_url(kind: str) -> str:
    return TYPES + kind
