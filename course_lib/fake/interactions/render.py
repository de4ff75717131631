"""The engine's generateContent answer in the Interactions API's words: steps, usage, errors.

The engine answers in generateContent's wire format (``fake.wire``); this module reads that answer
and says it as Interactions does. Every field it reads is a field of the real generateContent
answer, so what the engine learns to send there (thought summaries, ``thoughtsTokenCount``,
signatures, JSON text) reaches Interactions with no change here:

- a part with ``"thought": true`` -> a ``thought`` step's ``summary``; a ``thoughtSignature`` -> a
  ``thought`` step's ``signature``, before the step of its part;
- ``functionCall`` parts -> ``function_call`` steps (``id``, ``name``, ``arguments``);
- text parts -> one ``model_output`` step;
- ``usageMetadata`` -> ``usage`` (``total_input_tokens``, ``total_thought_tokens``...).

>>> steps_of([{"text": "Hi"}], ids=iter([]))
[{'type': 'model_output', 'content': [{'type': 'text', 'text': 'Hi'}]}]
>>> usage_of({"promptTokenCount": 3, "candidatesTokenCount": 5, "totalTokenCount": 8}, {})
... # doctest: +ELLIPSIS
{'total_input_tokens': 3, 'total_output_tokens': 5, 'total_thought_tokens': 0, ...}
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from course_lib.fake.wire import Reply

#: Each HTTP status's ``error.code`` (the docs' "API errors" page; the 5xx codes are inferred).
CODES = {
    400: "invalid_request",
    401: "authentication",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    429: "rate_limit_exceeded",
    500: "internal",
    503: "unavailable",
    504: "deadline_exceeded",
}


def error(status: int, message: str, delay: float, code: str | None = None) -> Reply:
    """An Interactions error: ``{"error": {"code": "not_found", "message": ...}}``."""
    body = {"error": {"code": code or CODES.get(status, "unknown"), "message": message}}
    return Reply(status, [(delay, json.dumps(body).encode())])


def in_interaction_words(reply: Reply) -> Reply:
    """An engine error (generateContent's shape) as Interactions says it, after the same delay.
    A 429 for a daily quota is ``quota_exceeded``; for a per-minute one ``rate_limit_exceeded``."""
    try:
        sent = json.loads(reply.chunks[0][1])["error"]
        message = str(sent.get("message", ""))
    except (ValueError, KeyError, TypeError):
        sent, message = {}, reply.chunks[0][1].decode("utf-8", "replace")
    code = None
    if reply.status == 429 and "PerDay" in json.dumps(sent.get("details", [])):
        code = "quota_exceeded"
    return error(reply.status, message, reply.duration, code)


def answer_of(reply: Reply) -> tuple[list[dict[str, Any]], str | None, dict[str, Any], str]:
    """The parts, finish reason, usage metadata and response id of an engine answer, whether it
    came as one JSON body or as server-sent events (whose parts are joined)."""
    parts: list[dict[str, Any]] = []
    finish: str | None = None
    meta: dict[str, Any] = {}
    response_id = ""
    for chunk in chunks_of(reply):
        candidate = (chunk.get("candidates") or [{}])[0]
        parts.extend(((candidate.get("content") or {}).get("parts")) or [])
        finish = candidate.get("finishReason", finish)
        meta = chunk.get("usageMetadata", meta)
        response_id = chunk.get("responseId", response_id)
    return parts, finish, meta, response_id


def chunks_of(reply: Reply) -> Iterator[dict[str, Any]]:
    """Each answer the engine sent: the JSON body, or each event's ``data``."""
    for _, data in reply.chunks:
        if reply.content_type != "text/event-stream":
            yield json.loads(data)
            continue
        for line in data.decode().splitlines():
            if line.startswith("data:"):
                yield json.loads(line[5:])


def steps_of(parts: list[dict[str, Any]], ids: Iterator[str]) -> list[dict[str, Any]]:
    """The output steps that ``parts`` say; function calls get their ids from ``ids``."""
    thought: dict[str, Any] = {"type": "thought"}
    steps: list[dict[str, Any]] = []
    for part in parts:
        if part.get("thought"):  # a thought summary (the model's reasoning, summed up)
            thought.setdefault("summary", []).append({"type": "text", "text": part.get("text", "")})
            if part.get("thoughtSignature"):
                thought["signature"] = part["thoughtSignature"]
            continue
        signature = part.get("thoughtSignature")
        if "functionCall" in part:
            if signature:  # Gemini signs the calls of a turn: the step before carries it
                steps.append({"type": "thought", "signature": signature})
            call = part["functionCall"]
            step = {"type": "function_call", "id": next(ids), "name": call.get("name", "")}
            steps.append({**step, "arguments": call.get("args") or {}})
        elif "text" in part:
            if signature:  # an answer without calls: the signature is on its last part
                thought["signature"] = signature
            if steps and steps[-1]["type"] == "model_output":
                steps[-1]["content"][0]["text"] += part["text"]
            else:
                content = [{"type": "text", "text": part["text"]}]
                steps.append({"type": "model_output", "content": content})
    return ([thought] if len(thought) > 1 else []) + steps


def usage_of(meta: dict[str, Any], media: dict[str, int]) -> dict[str, Any]:
    """generateContent's ``usageMetadata`` as an interaction's ``usage`` (``media``: the tokens
    of each kind of media part the input had)."""
    prompt = int(meta.get("promptTokenCount", 0))
    output = int(meta.get("candidatesTokenCount", 0))
    thought = int(meta.get("thoughtsTokenCount", 0))  # HOOK: thinking (see fake.interactions)
    tool_use = int(meta.get("toolUsePromptTokenCount", 0))
    total = int(meta.get("totalTokenCount", prompt + output + thought + tool_use))
    by_kind = dict(media)
    inputs = [{"modality": "text", "tokens": prompt - sum(by_kind.values())}]
    inputs += [{"modality": kind, "tokens": tokens} for kind, tokens in by_kind.items()]
    return {
        "total_input_tokens": prompt,
        "total_output_tokens": output,
        "total_thought_tokens": thought,
        "total_cached_tokens": int(meta.get("cachedContentTokenCount", 0)),
        "total_tool_use_tokens": tool_use,
        "total_tokens": total,
        "input_tokens_by_modality": inputs,
        "output_tokens_by_modality": [{"modality": "text", "tokens": output}],
    }


def status_of(steps: list[dict[str, Any]], finish: str | None) -> str:
    """``requires_action`` while function calls wait for results; ``incomplete`` when the answer
    was cut at ``max_output_tokens``; else ``completed``."""
    if any(step["type"] == "function_call" for step in steps):
        return "requires_action"
    return "incomplete" if finish == "MAX_TOKENS" else "completed"
