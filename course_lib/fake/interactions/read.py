"""What an Interactions request asks (``POST /v1/interactions``), read and checked as the API does.

``input`` is a string, typed content (``{"type": "text", "text": ...}``, an image as base64
``data`` or a ``uri``...), or a list of steps (``user_input``, ``model_output``, ``thought``,
``function_call``, ``function_result``); the settings have names of their own
(``system_instruction``, ``generation_config``, ``response_format``, ``tools``). ``read_create``
checks every field and says what the fake's engine needs in generateContent's words
(``generationConfig``, ``functionDeclarations``, ``toolConfig``): one engine answers both APIs.
A field the API would refuse gets a 400 whose message names it (``input[0].content[1].data``).

>>> turn = read_create(b'{"model": "m", "input": "Hi", "generation_config": {"temperature": 0}}')
>>> turn.texts, turn.generation
(['Hi'], {'temperature': 0})
>>> read_create(b'{"model": "m", "input": "Hi", "config": {}}').message
"Unknown parameter 'config'."
"""

from __future__ import annotations

import binascii
import json
from typing import Any

from course_lib.fake.interactions.settings import read_settings
from course_lib.fake.interactions.turn import Result, Turn
from course_lib.fake.interactions.values import Refused, a_list, a_string, an_object, kind_of
from course_lib.fake.media import tokens_of

#: Every field of a create request (the SDK's CreateModelInteraction and CreateAgentInteraction).
FIELDS = frozenset(
    "model agent agent_config background cached_content continuation_token environment "
    "generation_config input labels previous_interaction_id response_format response_mime_type "
    "response_modalities safety_settings service_tier store stream system_instruction tools "
    "webhook_config".split()
)
_MEDIA = ("image", "audio", "video", "document")
_CONTENT = ("text", *_MEDIA)
_STEPS = ("user_input", "model_output", "thought", "function_call", "function_result")


def read_create(body: bytes) -> Turn | Refused:
    """The request as a ``Turn``, or the ``Refused`` 400 that answers it."""
    try:
        request = json.loads(body or b"{}")
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        return Refused("Invalid JSON payload received. The body is not valid JSON.")
    try:
        return _read(an_object(request, "The request body"))
    except Refused as refused:
        return refused


def _read(request: dict[str, Any]) -> Turn:
    for name in request:
        if name not in FIELDS:
            raise Refused(f"Unknown parameter '{name}'.", "parameter_unknown")
    if "agent" in request or "agent_config" in request:
        raise Refused("The offline fake Gemini serves models, not agents: set 'model' instead.")
    if "model" not in request:
        raise Refused("'model' is required.")
    turn = Turn(model=a_string(request["model"], "model"))
    if "input" not in request or request["input"] in ("", []):
        raise Refused("'input' is required and must not be empty.")
    _read_input(request["input"], turn)
    read_settings(request, turn)
    return turn


def _read_input(value: Any, turn: Turn) -> None:
    if isinstance(value, str):
        _content({"type": "text", "text": a_string(value, "input")}, "input", turn, user=True)
        turn.steps.append({"type": "user_input", "content": [{"type": "text", "text": value}]})
    elif isinstance(value, dict):  # one content block
        if value.get("type") in _STEPS:
            raise Refused(f"'input' holds one {value['type']} step: send steps as a list.")
        _content(value, "input", turn, user=True)
        turn.steps.append({"type": "user_input", "content": [value]})
    elif isinstance(value, list):
        if all(isinstance(v, dict) and v.get("type") in _CONTENT for v in value):
            for i, item in enumerate(value):
                _content(item, f"input[{i}]", turn, user=True)
            turn.steps.append({"type": "user_input", "content": value})
        else:
            _steps(value, turn)
            turn.steps.extend(value)
    else:
        raise Refused(
            f"Invalid value at 'input': a string, a content or a list expected, got "
            f"{kind_of(value)}."
        )


def _steps(items: list[Any], turn: Turn) -> None:
    signed = False  # a signed thought step came since the last user step
    for i, raw in enumerate(items):
        where = f"input[{i}]"
        step = an_object(raw, where)
        kind = step.get("type")
        if kind is None and "role" in step:  # the older turn shape: {"role", "content"}
            role = a_string(step["role"], f"{where}.role")
            kind = {"user": "user_input", "model": "model_output"}.get(role)
            if kind is None:
                raise Refused(f"The value '{role}' is not supported for 'role' at '{where}'.")
        if kind in ("user_input", "model_output"):
            user = kind == "user_input"
            content = step.get("content", [])
            if isinstance(content, str):  # the older shape allows a plain string
                content = [{"type": "text", "text": content}]
            for j, item in enumerate(a_list(content, f"{where}.content")):
                _content(item, f"{where}.content[{j}]", turn, user=user)
            signed = signed and not user
        elif kind == "thought":
            if step.get("signature") is not None:
                turn.signatures.append(a_string(step["signature"], f"{where}.signature"))
                signed = True
            for j, item in enumerate(a_list(step.get("summary"), f"{where}.summary")):
                _content(item, f"{where}.summary[{j}]", turn, user=False)
        elif kind == "function_call":
            call_id = a_string(step.get("id"), f"{where}.id")
            name = turn.calls[call_id] = a_string(step.get("name"), f"{where}.name")
            arguments = an_object(step.get("arguments"), f"{where}.arguments")
            turn.texts.append(json.dumps(arguments))
            if not signed:
                turn.unsigned.append((i + 1, name))
        elif kind == "function_result":
            turn.results.append(_result(step, where, turn))
            signed = False
        else:
            raise Refused(f"The value '{kind}' is not supported for 'type' at '{where}'.")


def _result(step: dict[str, Any], where: str, turn: Turn) -> Result:
    call_id = a_string(step.get("call_id"), f"{where}.call_id")
    name = step.get("name")
    if name is not None:
        a_string(name, f"{where}.name")
    if "result" not in step:
        raise Refused(f"'{where}.result' is required.")
    result = step["result"]
    if isinstance(result, list):
        for j, item in enumerate(result):
            _content(item, f"{where}.result[{j}]", turn, user=False)
    elif not isinstance(result, str | dict):
        raise Refused(
            f"Invalid value at '{where}.result': a string, an object or a list of contents "
            f"expected, got {kind_of(result)}."
        )
    else:
        turn.texts.append(result if isinstance(result, str) else json.dumps(result))
    if step.get("is_error") is not None and not isinstance(step["is_error"], bool):
        raise Refused(f"Invalid value at '{where}.is_error': true or false expected.")
    return Result(where, call_id, name, result)


def _content(item: Any, where: str, turn: Turn, user: bool) -> None:
    item = an_object(item, where)
    kind = item.get("type", "text" if "text" in item else None)
    if kind == "text":
        text = a_string(item.get("text"), f"{where}.text")
        turn.texts.append(text)
        if user and text.strip():
            turn.prompt = text  # the last user text wins
        return
    if kind not in _MEDIA:
        raise Refused(f"The value '{kind}' is not supported for 'type' at '{where}'.")
    data, uri, mime = item.get("data"), item.get("uri"), item.get("mime_type")
    if data is None and uri is None:
        raise Refused(f"'{where}' needs 'data' (base64) or 'uri'.")
    if data is not None:
        try:  # the fake never looks inside: it checks that the data is base64, and counts it
            binascii.a2b_base64(a_string(data, f"{where}.data"), strict_mode=True)
        except binascii.Error:
            raise Refused(
                f"Invalid value at '{where}.data': base64-encoded bytes expected."
            ) from None
        if mime is None:
            raise Refused(f"'{where}.mime_type' is required with 'data'.")
    if uri is not None:
        a_string(uri, f"{where}.uri")  # never fetched: the fake is offline
    if mime is not None:
        mime = a_string(mime, f"{where}.mime_type")
        family = mime.split("/")[0]
        wanted = ("application", "text") if kind == "document" else (kind,)
        if family not in wanted:
            raise Refused(
                f"The value '{mime}' is not supported for 'mime_type' at '{where}' (a {kind})."
            )
    tokens = tokens_of(mime or "", data if isinstance(data, str) else None)
    turn.media[kind] = turn.media.get(kind, 0) + tokens
