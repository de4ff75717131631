"""Gemini's REST wire format, the way back: the JSON the API sends (``fake.request`` reads what
comes in).

A ``Reply`` is a status and the bytes to send, each after a delay; the ways in (in-process and
loopback) play it with their own clocks.

>>> reply = error(404, "NOT_FOUND", "no such model", delay=0.02)
>>> reply.status, json.loads(reply.chunks[0][1])["error"]["status"]
(404, 'NOT_FOUND')
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple


@dataclass(slots=True)
class Reply:
    """What to send back: ``chunks`` are (seconds to wait first, bytes to send), and headers
    beside the content type (``x-gemini-service-tier``: the tier that served a call)."""

    status: int
    chunks: list[tuple[float, bytes]]
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return sum(delay for delay, _ in self.chunks)


class Caller(NamedTuple):
    """Who sent a request, as the way in saw it: the API key (header or ``?key=``), whether the
    kit traced the call (it marks its calls with a header), and the connection."""

    key: str
    traced: bool = False
    client: str = ""


class ServedCall(NamedTuple):
    """The fake's own record of a call: all it can tell about calls the kit did not trace.
    ``traced`` is True for calls the kit's clients marked: they mark calls to a loopback server,
    which a learner's own ``genai.Client()`` may share; in-process calls are not marked.
    (A tuple of plain values: Python's cycle collector stops scanning those, however many.)"""

    start: float
    end: float
    status: int
    model: str
    prompt: str
    traced: bool
    client: str


# -- replies ---------------------------------------------------------------------------------------
def ok(payload: dict[str, Any], delay: float) -> Reply:
    return Reply(200, [(delay, json.dumps(payload).encode())])


def error(
    code: int, status: str, message: str, delay: float, details: list[Any] | None = None
) -> Reply:
    body: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        body["details"] = details
    return Reply(code, [(delay, json.dumps({"error": body}).encode())])


def candidate(parts: list[dict[str, Any]], finish: str | None) -> dict[str, Any]:
    answer: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        answer["finishReason"] = finish
    return answer


class Usage(NamedTuple):
    """A call's tokens: its prompt's (and per modality), its answer's and its thoughts', and
    the service tier that served it."""

    prompt: int
    answer: int
    thoughts: int = 0
    details: tuple[tuple[str, int], ...] = ()
    tier: str = ""

    def metadata(self, answer: int | None = None) -> dict[str, Any]:
        """``usageMetadata``, with ``answer`` tokens so far (a stream's running count). The total
        counts the thoughts too, as the real API's does (prompt 5 + answer 39 + thoughts 186 =
        230, in a recorded stream: simonw/llm-gemini#97)."""
        said = self.answer if answer is None else answer
        usage: dict[str, Any] = {
            "promptTokenCount": self.prompt,
            "candidatesTokenCount": said,
            "totalTokenCount": self.prompt + said + self.thoughts,
        }
        if self.details:
            usage["promptTokensDetails"] = [
                {"modality": m, "tokenCount": n} for m, n in self.details
            ]
        if self.thoughts:
            usage["thoughtsTokenCount"] = self.thoughts
        if self.tier:  # third-party reports show it beside the header; google-genai drops it
            usage["serviceTier"] = self.tier
        return usage


def answer(
    parts: list[dict[str, Any]], finish: str, usage: Usage, ids: dict[str, str], delay: float
) -> Reply:
    """A generateContent answer, whole."""
    body = {"candidates": [candidate(parts, finish)], "usageMetadata": usage.metadata(), **ids}
    return ok(body, delay)


_WORDS = re.compile(r"\S+\s*")


def stream(
    parts: list[dict[str, Any]],
    finish: str,
    usage: Usage,
    ids: dict[str, str],
    timing: tuple[float, float],
    chunk_tokens: int,
    sse: bool = True,
    whole: bool = False,
) -> Reply:
    """A streamed answer: the first event after ``timing[0]`` seconds, the rest spread to
    ``timing[1]``. Thought summaries come first, then the text in pieces of about
    ``chunk_tokens``; function calls (``whole``) in one event. Every event carries the usage so
    far, ``modelVersion`` and ``responseId``; the last one its ``finishReason`` and, for Gemini 3,
    the thought signature. ``sse``: server-sent events (``?alt=sse``, what google-genai asks
    for), else one JSON array sent bit by bit (no ``alt``: the REST default)."""
    first, total = timing
    thoughts = [p for p in parts if p.get("thought")]
    said = [p for p in parts if not p.get("thought")]
    events: list[tuple[list[dict[str, Any]], int]] = []  # (parts, answer tokens so far)
    if whole:
        events.append((parts, usage.answer))
    else:
        events += [([p], 0) for p in thoughts]
        text = "".join(str(p.get("text", "")) for p in said)
        words = _WORDS.findall(text) or [text]
        per_chunk = max(1, chunk_tokens * 3 // 4)  # about 0.75 words per token
        pieces = ["".join(words[i : i + per_chunk]) for i in range(0, len(words), per_chunk)]
        so_far = ""
        for i, piece in enumerate(pieces):
            so_far += piece
            part: dict[str, Any] = {"text": piece}
            if i == len(pieces) - 1 and said and "thoughtSignature" in said[-1]:
                part["thoughtSignature"] = said[-1]["thoughtSignature"]
            last = i == len(pieces) - 1
            events.append(([part], usage.answer if last else min(usage.answer, _tokens(so_far))))
    gap = (total - first) / max(1, len(events) - 1)
    chunks = []
    for i, (event_parts, tokens) in enumerate(events):
        last = i == len(events) - 1
        event = {
            "candidates": [candidate(event_parts, finish if last else None)],
            "usageMetadata": usage.metadata(tokens),
            **ids,
        }
        chunks.append((first if i == 0 else gap, _framed(event, i, last, sse)))
    return Reply(200, chunks, "text/event-stream" if sse else "application/json")


def _framed(event: dict[str, Any], i: int, last: bool, sse: bool) -> bytes:
    if sse:
        return b"data: " + json.dumps(event).encode() + b"\r\n\r\n"
    # the REST default: one JSON array, pretty-printed, its elements sent as they come
    text = ("[" if i == 0 else "\n,\r\n") + json.dumps(event, indent=2) + ("\n]" if last else "")
    return text.encode()


def _tokens(text: str) -> int:
    return -(-len(text) // 4)  # fake.answers.count_tokens, without importing the answers
