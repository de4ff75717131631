"""The model's turn: what one answer says, part by part, before the wire format wraps it.

From a read request (``fake.request.Prompt``) and the prose the fake composed for its prompt, a
``Turn`` holds the parts Gemini would send: function calls (``fake.tools``) when the request
declares tools and the tool config lets the model call them; else a text, which is JSON or one
enum value when the request asks for a structured answer (``fake.structured``); a thought
summary first when ``includeThoughts`` asks for one (``fake.thinking``); and a Gemini 3
model's thought signature, on the first function call, or on the last part of any other
answer (the thought-signatures page). It also counts the answer's tokens and thoughts.

>>> from course_lib.fake.request import Prompt
>>> request = Prompt(["Hi"], "Hi", {"responseMimeType": "application/json"})
>>> turn = model_turn("gemini-2.5-flash-lite", request, "Hello there.", "STOP", no_thinking())
>>> turn.parts, turn.finish
([{'text': '{"answer": "Hello there."}'}], 'STOP')
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from course_lib.fake.answers import (
    canned_answer,
    composed_answer,
    count_tokens,
    truncate_to_tokens,
)
from course_lib.fake.bad_request import Refused
from course_lib.fake.request import Prompt
from course_lib.fake.structured import structured_text
from course_lib.fake.thinking import Thinking, configured, signs_calls, thought_summary
from course_lib.fake.tools import answer_from, calls_for, missing_signatures
from course_lib.fake.wire import Usage

_ABOUT_MEDIA = "Describe this image"  # what a prompt of images alone is taken to ask


@dataclass
class Turn:
    """The parts of one answer, why it stopped, its visible tokens (``candidatesTokenCount``),
    and what thinking did (``thinking.tokens`` is ``thoughtsTokenCount``). ``whole``: function
    calls, which a stream sends in one piece."""

    parts: list[dict[str, Any]]
    finish: str
    tokens: int
    thinking: Thinking
    whole: bool = False


class Plan(NamedTuple):
    """Everything chance decided about one call: its turn, or the failure it meets instead."""

    turn: Turn | None
    first: float  # seconds to the first token
    total: float  # seconds to the whole answer
    response_id: str
    error: tuple[int, str, str] | None = None  # (code, status, message) of an injected failure


def prose(request: Prompt, seed: int) -> tuple[str, str]:
    """The prose answer to ``request``'s prompt and why it stopped: the hand-written one for a
    known prompt, else one composed with ``seed``, cut at ``maxOutputTokens``."""
    text = canned_answer(request.prompt) if not request.media else None
    if text is None:
        text = composed_answer(request.prompt or _ABOUT_MEDIA, seed)
    limit = request.config.get("maxOutputTokens")
    if limit is not None and count_tokens(text) > int(limit):
        return truncate_to_tokens(text, int(limit)), "MAX_TOKENS"
    return text, "STOP"


def usage_of(request: Prompt, turn: Turn) -> Usage:
    """The call's ``usageMetadata`` counts: prompt (per modality), answer, thoughts."""
    details = tuple((d["modality"], d["tokenCount"]) for d in request.token_details)
    return Usage(request.tokens, turn.tokens, turn.thinking.tokens, details)


def refused_by(model: str, request: Prompt) -> None:
    """Raise what the API refuses once it knows the model: thinking settings it does not take,
    a Gemini 3 history whose function calls lost their thought signatures."""
    configured(model, request.config)
    if signs_calls(model) and (unsigned := missing_signatures(request.tools)):
        raise Refused(unsigned)


def no_thinking() -> Thinking:
    return Thinking(0, 1.0, False)


def model_turn(
    model: str, request: Prompt, prose: str, finish: str, thinking: Thinking, seed: int = 0
) -> Turn:
    """The turn ``model`` answers ``request`` with; ``prose`` (and its ``finish``) is the text
    the fake composed for the prompt, used where the answer is prose."""
    signs = signs_calls(model)  # even at MINIMAL thinking: the API checks them all the same
    tools = request.tools
    if tools.calls_now():  # the model asks for tool calls, as the tool config lets it
        calls = calls_for(request.prompt, tools.callable())
        if signs and calls:  # the first call of a turn carries the signature, the others none
            calls[0]["thoughtSignature"] = _signature(model, request.key, "calls")
        names = [p["functionCall"]["name"] for p in calls]
        summary = [thought_summary(request.prompt, names)] if thinking.summary else []
        tokens = count_tokens(json.dumps(calls))
        return Turn(_thoughts(summary) + calls, "STOP", tokens, thinking, whole=True)
    text = prose
    if tools.results:  # the tools answered: an answer that uses their results
        text = f"{answer_from(tools.results)} {prose}"
    config = request.config
    schema, json_schema = config.get("responseSchema"), config.get("responseJsonSchema")
    structured = structured_text(
        config.get("responseMimeType"), request.prompt, seed, schema, json_schema, text
    )
    if structured is not None:
        text = structured
        limit = config.get("maxOutputTokens")
        if limit is not None and count_tokens(text) > int(limit):  # cut short, as the API does
            text, finish = truncate_to_tokens(text, int(limit)), "MAX_TOKENS"
    parts: list[dict[str, Any]] = [{"text": text}]
    if signs:
        parts[-1]["thoughtSignature"] = _signature(model, request.key, "text")
    summary = [thought_summary(request.prompt)] if thinking.summary else []
    return Turn(_thoughts(summary) + parts, finish, count_tokens(text), thinking)


def _thoughts(summaries: list[str]) -> list[dict[str, Any]]:
    return [{"text": text, "thought": True} for text in summaries]


def _signature(model: str, key: str, what: str) -> str:
    """An opaque signature, the same for the same request (the real one is opaque too)."""
    digest = hashlib.sha256(f"{model}|{what}|{key}".encode("utf-8", "surrogatepass")).digest()
    return base64.b64encode(digest[:24]).decode()
