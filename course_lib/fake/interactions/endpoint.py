"""The Interactions API's endpoints, answered by the fake's generateContent engine.

``create`` reads the request (``read``), turns it and the stored conversation into the engine's
request (``conversation``), lets the engine answer (key and model checks, quota, failures, text,
function calls, tokens, latency: the same as ``generateContent``, on the same per-minute budget),
then says the answer as Interactions does (``render``, ``events``) and keeps it (``store``).
``get``, ``cancel`` and ``delete`` act on what was kept. Like ``FakeGemini``'s methods, each returns
a ``Reply`` whose delays the way in plays; none sleeps.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from course_lib.fake.answers import count_tokens
from course_lib.fake.interactions import render
from course_lib.fake.interactions.conversation import engine_request
from course_lib.fake.interactions.events import live, replay
from course_lib.fake.interactions.read import read_create
from course_lib.fake.interactions.store import Store, Stored
from course_lib.fake.interactions.turn import Turn
from course_lib.fake.interactions.values import Refused
from course_lib.fake.request import Prompt
from course_lib.fake.tiers import TIER_HEADER
from course_lib.fake.wire import Caller, Reply


class Engine(Protocol):
    """What the endpoints need of the fake (``FakeGemini`` is one)."""

    @property
    def seed(self) -> int: ...

    @property
    def error_latency_s(self) -> float: ...

    @property
    def models(self) -> tuple[str, ...]: ...

    @property
    def project_of(self) -> dict[str, str] | None: ...

    @property
    def clock(self) -> Callable[[], float]: ...

    def answer(
        self, version: str, model: str, request: Prompt, caller: Caller, stream: bool = False
    ) -> Reply: ...

    def get_model(self, version: str, model: str, caller: Caller) -> Reply: ...


class FakeInteractions:
    """``POST /v1/interactions`` and ``GET``/``DELETE /v1/interactions/{id}``, ``.../cancel``."""

    def __init__(self, engine: Engine, store: Store | None = None) -> None:
        self.engine = engine
        self.store = store or Store()
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    # -- the endpoints ---------------------------------------------------------------------------
    def create(self, version: str, body: bytes, caller: Caller) -> Reply:
        turn = read_create(body)
        if isinstance(turn, Refused):
            return self._refused(version, caller) or self._error(turn)
        previous = None
        if turn.previous is not None:
            previous = self.store.get(turn.previous, self._project(caller))
            if previous is None:
                return self._refused(version, caller) or self._not_found(turn.previous)
            if self._running(previous):
                message = f"Interaction '{previous.id}' is still in progress: wait for it to end."
                return self._error(Refused(message, "failed_precondition"))
        try:
            request = engine_request(turn, previous)
        except Refused as refused:
            return self._refused(version, caller) or self._error(refused)
        reply = self.engine.answer(version, turn.model, request, caller, stream=turn.stream)
        if reply.status != 200:
            return render.in_interaction_words(reply)
        return self._answered(turn, request, previous, reply, caller)

    def get(
        self,
        version: str,
        interaction_id: str,
        caller: Caller,
        stream: bool = False,
        last_event_id: str | None = None,
        include_input: bool = False,
    ) -> Reply:
        stored, refusal = self._find(version, interaction_id, caller)
        if stored is None:
            return refusal
        delay = self.engine.error_latency_s
        body = self._now(stored)
        if include_input and stored.input_steps is not None:
            body = {**body, "steps": stored.input_steps + body.get("steps", [])}
        if not stream:
            return Reply(200, [(delay, json.dumps(body).encode())])
        wait = max(0.0, stored.ready_at - self.engine.clock()) if self._running(stored) else 0.0
        final = self._now(stored, at_end=True)
        return Reply(200, [(delay + wait, replay(final, last_event_id))], "text/event-stream")

    def get_asked(
        self, version: str, interaction_id: str, caller: Caller, query: Mapping[str, str]
    ) -> Reply:
        """``get``, its options read from the query string (``?stream=true&last_event_id=e3``)."""
        flags = {}
        for name in ("stream", "include_input"):
            value = query.get(name, "false").lower()
            if value not in ("true", "false"):
                message = f"Invalid value at '{name}': true or false expected, got '{value[:20]}'."
                return self._error(Refused(message))
            flags[name] = value == "true"
        last = query.get("last_event_id")
        return self.get(version, interaction_id, caller, last_event_id=last, **flags)

    def cancel(self, version: str, interaction_id: str, caller: Caller) -> Reply:
        stored, refusal = self._find(version, interaction_id, caller)
        if stored is None:
            return refusal
        if not self._running(stored):
            message = f"Interaction '{interaction_id}' is not in progress: only a running "
            message += "background interaction can be cancelled."
            return self._error(Refused(message, "failed_precondition"))
        stored.cancelled = True
        return Reply(200, [(self.engine.error_latency_s, json.dumps(self._now(stored)).encode())])

    def delete(self, version: str, interaction_id: str, caller: Caller) -> Reply:
        refused = self._refused(version, caller)
        if refused is not None:
            return refused
        if not self.store.delete(interaction_id, self._project(caller)):
            return self._not_found(interaction_id)
        return Reply(200, [(self.engine.error_latency_s, b"{}")])

    # -- how an answer is said and kept ----------------------------------------------------------
    def _answered(
        self, turn: Turn, request: Prompt, previous: Stored | None, reply: Reply, caller: Caller
    ) -> Reply:
        interaction_id = self._new_id()
        parts, finish, meta, _ = render.answer_of(reply)
        steps = render.steps_of(parts, self._call_ids(interaction_id))
        usage = render.usage_of(meta, turn.media)
        created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        head = {"id": interaction_id, "status": "in_progress", "object": "interaction"}
        head.update(model=turn.model, created=created)
        body: dict[str, Any] = {**head, "status": render.status_of(steps, finish)}
        body.update(updated=created, role="model", steps=steps, usage=usage)
        # the tier that served it: Priority over its own limit is served at Standard
        body["service_tier"] = reply.headers.get(TIER_HEADER, turn.service_tier or "standard")
        if turn.previous is not None:
            body["previous_interaction_id"] = turn.previous
        if turn.store:
            self.store.put(self._kept(turn, request, previous, body, reply.duration, caller))
        if turn.stream:
            return live(reply, head, body, self._call_ids(interaction_id))
        if turn.background:  # answered at once; a GET after the engine's time sees it done
            return Reply(200, [(self.engine.error_latency_s, json.dumps(head).encode())])
        return Reply(200, [(reply.duration, json.dumps(body).encode())])

    def _kept(
        self,
        turn: Turn,
        request: Prompt,
        previous: Stored | None,
        body: dict[str, Any],
        seconds: float,
        caller: Caller,
    ) -> Stored:
        if turn.system is not None:
            system_tokens = count_tokens(turn.system)
        else:
            system_tokens = previous.system_tokens if previous is not None else 0
        usage = body["usage"]
        calls = {s["id"]: s["name"] for s in body["steps"] if s["type"] == "function_call"}
        stored = Stored(
            id=body["id"],
            project=self._project(caller),
            model=turn.model,
            body=body,
            input_steps=turn.steps,
            pending=calls,
            signatures=[s["signature"] for s in body["steps"] if s.get("signature")],
            declarations=turn.declarations
            if turn.declarations is not None
            else (previous.declarations if previous is not None else None),
            context_tokens=usage["total_input_tokens"]
            - system_tokens
            + usage["total_output_tokens"],
            system_tokens=system_tokens,
            ready_at=self.engine.clock() + seconds if turn.background else 0.0,
        )
        stored.remember_prompt(request.prompt)
        return stored

    def _now(self, stored: Stored, at_end: bool = False) -> dict[str, Any]:
        """The interaction as it stands now (or, with ``at_end``, once it has ended)."""
        if stored.cancelled:
            return {**stored.body, "status": "cancelled", "steps": []}
        if self._running(stored) and not at_end:
            keep = ("id", "object", "model", "created", "service_tier")
            return {k: stored.body[k] for k in keep if k in stored.body} | {"status": "in_progress"}
        return stored.body

    def _running(self, stored: Stored) -> bool:
        return not stored.cancelled and self.engine.clock() < stored.ready_at

    # -- small helpers ---------------------------------------------------------------------------
    def _find(
        self, version: str, interaction_id: str, caller: Caller
    ) -> tuple[Stored | None, Reply]:
        refused = self._refused(version, caller)
        if refused is not None:
            return None, refused
        stored = self.store.get(interaction_id, self._project(caller))
        return stored, self._not_found(interaction_id)

    def _refused(self, version: str, caller: Caller) -> Reply | None:
        """The engine's answer to a caller it refuses (no key, a key it does not know)."""
        checked = self.engine.get_model(version, self.engine.models[0], caller)
        return None if checked.status == 200 else render.in_interaction_words(checked)

    def _project(self, caller: Caller) -> str:
        return (self.engine.project_of or {}).get(caller.key, caller.key)

    def _error(self, refused: Refused) -> Reply:
        delay = self.engine.error_latency_s
        return render.error(refused.status, refused.message, delay, refused.code)

    def _not_found(self, interaction_id: str) -> Reply:
        message = f"Interaction '{interaction_id[:80]}' was not found (or has expired)."
        return render.error(404, message, self.engine.error_latency_s)

    def _new_id(self) -> str:
        with self._lock:
            number = next(self._numbers)
        digest = hashlib.sha256(f"{self.engine.seed}|interaction|{number}".encode()).digest()
        return "v1_" + base64.urlsafe_b64encode(digest[:18]).decode()

    @staticmethod
    def _call_ids(interaction_id: str) -> Iterator[str]:
        for n in itertools.count():
            digest = hashlib.sha256(f"{interaction_id}|call|{n}".encode()).hexdigest()
            yield digest[:8]
