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
from dataclasses import dataclass
from typing import Any, NamedTuple


@dataclass(slots=True)
class Reply:
    """What to send back: ``chunks`` are (seconds to wait first, bytes to send)."""

    status: int
    chunks: list[tuple[float, bytes]]
    content_type: str = "application/json"

    @property
    def duration(self) -> float:
        return sum(delay for delay, _ in self.chunks)


class Caller(NamedTuple):
    """Who sent a request, as the way in saw it: the API key (header or ``?key=``), whether the
    kit traced the call (it marks its calls with a header), and the connection."""

    key: str
    traced: bool = False
    client: str = ""


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


def candidate(text: str | list[dict[str, Any]], finish: str | None) -> dict[str, Any]:
    """One candidate: a text, or the parts themselves (function calls)."""
    parts = [{"text": text}] if isinstance(text, str) else text
    answer: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        answer["finishReason"] = finish
    return answer


def answer(
    text: str | list[dict[str, Any]],
    finish: str,
    usage: dict[str, int],
    ids: dict[str, str],
    delay: float,
) -> Reply:
    return ok({"candidates": [candidate(text, finish)], "usageMetadata": usage, **ids}, delay)


def whole(
    parts: list[dict[str, Any]],
    finish: str,
    usage: dict[str, int],
    ids: dict[str, str],
    delay: float,
    stream: bool,
) -> Reply:
    """Parts that come in one piece (function calls): a JSON answer, or one server-sent event."""
    if not stream:
        return answer(parts, finish, usage, ids, delay)
    event = {"candidates": [candidate(parts, finish)], **ids, "usageMetadata": usage}
    return Reply(
        200, [(delay, b"data: " + json.dumps(event).encode() + b"\r\n\r\n")], "text/event-stream"
    )


_WORDS = re.compile(r"\S+\s*")


def stream(
    text: str,
    finish: str,
    usage: dict[str, int],
    ids: dict[str, str],
    first: float,
    total: float,
    chunk_tokens: int,
) -> Reply:
    """Server-sent events: the first chunk after ``first`` seconds, the rest spread to ``total``."""
    words = _WORDS.findall(text) or [text]
    per_chunk = max(1, chunk_tokens * 3 // 4)  # about 0.75 words per token
    pieces = ["".join(words[i : i + per_chunk]) for i in range(0, len(words), per_chunk)]
    gap = (total - first) / max(1, len(pieces) - 1)
    chunks = []
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        event = {
            "candidates": [candidate(piece, finish if last else None)],
            **ids,
            "usageMetadata": usage if last else {"promptTokenCount": usage["promptTokenCount"]},
        }
        data = b"data: " + json.dumps(event).encode() + b"\r\n\r\n"
        chunks.append((first if i == 0 else gap, data))
    return Reply(200, chunks, "text/event-stream")
