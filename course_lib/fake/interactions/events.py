"""An interaction as server-sent events, the way ``create(stream=True)`` and ``get(stream=True)``
receive it: ``interaction.created``, ``interaction.status_update``, then for each step
``step.start``, its ``step.delta`` events and ``step.stop``, then ``interaction.completed`` with the
usage, and ``data: [DONE]``. Each event is ``event: <type>`` and ``data: <json>``, the JSON
carrying ``event_type`` and an ``event_id`` (``last_event_id`` resumes after one).

A streamed call keeps the engine's timing: each of the engine's chunks becomes the events that
say it, sent after the same delay, so the first text arrives after the same time to first token.

>>> events = Events({"id": "v1_x", "status": "in_progress", "model": "m"})
>>> b"".join(events.opening()).count(b"event: ")
2
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from course_lib.fake.interactions.render import chunks_of
from course_lib.fake.wire import Reply

DONE = b"data: [DONE]\n\n"


class Events:
    """The events of one interaction, numbered as they are made."""

    def __init__(self, head: dict[str, Any]) -> None:
        self.head = head  # id, status, model...: what interaction.created says
        self.count = 0
        self.index = -1  # the step being sent
        self.open: str | None = None  # the type of the step being sent, if one is open

    def event(self, kind: str, **fields: Any) -> bytes:
        payload = {"event_type": kind, **fields, "event_id": f"evt_{self.count}"}
        self.count += 1
        return f"event: {kind}\ndata: {json.dumps(payload)}\n\n".encode()

    def opening(self) -> list[bytes]:
        status = {"interaction_id": self.head["id"], "status": "in_progress"}
        return [
            self.event("interaction.created", interaction=self.head),
            self.event("interaction.status_update", **status),
        ]

    def close(self) -> list[bytes]:
        if self.open is None:
            return []
        self.open = None
        return [self.event("step.stop", index=self.index)]

    def delta(
        self, kind: str, delta: dict[str, Any], start: dict[str, Any] | None = None
    ) -> list[bytes]:
        """One delta of a step of ``kind``: into the open one, or a new one (``start`` says it)."""
        out = []
        if self.open != kind:
            out += self.close()
            self.index += 1
            self.open = kind
            out.append(self.event("step.start", index=self.index, step=start or {"type": kind}))
        return [*out, self.event("step.delta", index=self.index, delta=delta)]

    def whole(self, step: dict[str, Any]) -> list[bytes]:
        """A step sent whole: opened, said in deltas, closed."""
        out = self.close()
        kind = step["type"]
        if kind == "model_output":
            for item in step.get("content", []):
                out += self.delta(kind, {"type": "text", "text": item.get("text", "")})
        elif kind == "thought":
            out += self.thought(step)
        elif kind == "function_call":
            start = {**step, "arguments": {}}
            arguments = {"type": "arguments_delta", "arguments": json.dumps(step["arguments"])}
            out += self.delta(kind, arguments, start)
        return out + self.close()

    def thought(self, step: dict[str, Any]) -> list[bytes]:
        out = []
        for item in step.get("summary", []):
            out += self.delta("thought", {"type": "thought_summary", "content": item})
        if step.get("signature"):
            out += self.delta(
                "thought", {"type": "thought_signature", "signature": step["signature"]}
            )
        return out

    def closing(self, body: dict[str, Any]) -> list[bytes]:
        keep = ("id", "status", "model", "usage", "created")
        ending: dict[str, Any] = {k: body[k] for k in keep if k in body}
        ending["updated"] = body.get("updated", body.get("created"))
        completed = self.event("interaction.completed", interaction={**self.head, **ending})
        return [*self.close(), completed, DONE]


def live(reply: Reply, head: dict[str, Any], body: dict[str, Any], ids: Iterator[str]) -> Reply:
    """The engine's streamed answer as Interactions events, each chunk after its own delay."""
    events = Events(head)
    chunks = [(0.0, b"".join(events.opening()))]
    for delay, data in reply.chunks:
        out: list[bytes] = []
        for chunk in chunks_of(Reply(reply.status, [(0.0, data)], reply.content_type)):
            for part in ((chunk.get("candidates") or [{}])[0].get("content") or {}).get(
                "parts"
            ) or []:
                out += _part(events, part, ids)
        chunks.append((delay, b"".join(out)))
    last_delay, last = chunks[-1]
    chunks[-1] = (last_delay, last + b"".join(events.closing(body)))
    return Reply(200, chunks, "text/event-stream")


def _part(events: Events, part: dict[str, Any], ids: Iterator[str]) -> list[bytes]:
    signature = part.get("thoughtSignature")
    if part.get("thought"):
        summary = {"type": "text", "text": part.get("text", "")}
        step = {"type": "thought", "summary": [summary], "signature": signature}
        return events.thought(step)
    out = []
    if "functionCall" in part:
        if signature:
            out += events.whole({"type": "thought", "signature": signature})
        call = part["functionCall"]
        step = {"type": "function_call", "id": next(ids), "name": call.get("name", "")}
        return out + events.whole({**step, "arguments": call.get("args") or {}})
    if "text" in part:
        out += events.delta("model_output", {"type": "text", "text": part["text"]})
    if signature:
        out += events.whole({"type": "thought", "signature": signature})
    return out


def replay(body: dict[str, Any], after: str | None = None) -> bytes:
    """A stored interaction's events, all at once, resuming after event ``after`` if given."""
    head: dict[str, Any] = {k: body[k] for k in ("id", "model", "created", "object") if k in body}
    events = Events({**head, "status": "in_progress"})
    sent = events.opening()
    for step in body.get("steps", []):
        sent += events.whole(step)
    sent += events.closing(body)
    marks = [f'"event_id": "{after}"'.encode() in event for event in sent]
    return b"".join(sent[marks.index(True) + 1 :] if True in marks else sent)
