"""The fake Gemini: it answers Gemini's REST requests with the real wire format, after a while.

One method per endpoint (``generate``, ``count_tokens``, ``get_model``, ``list_models``; the
Interactions and Batch APIs in ``interactions`` and ``batches``); the ways in route requests to
them (``fake.transport`` through respx in-process, ``fake.server`` on loopback). A method never
sleeps: it returns a ``Reply`` whose delays the way in plays with its own clock. What chance
decides about a call is planned in ``fake.plan``, repeatably however calls interleave.

>>> fake = FakeGemini(latency=0.5, seed=1)
>>> body = b'{"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]}'
>>> reply = fake.generate("v1", "gemini-3.6-flash", body, Caller(key="k"))
>>> reply.status, reply.duration
(200, 0.5)
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from course_lib import catalogue, ranges
from course_lib.fake import wire
from course_lib.fake.bad_request import Refused
from course_lib.fake.batches import FakeBatches
from course_lib.fake.draws import digest
from course_lib.fake.interactions import FakeInteractions
from course_lib.fake.latency import LatencyModel, latency_model
from course_lib.fake.plan import plan_call, too_long
from course_lib.fake.quota import Quota
from course_lib.fake.refusals import rate_limited
from course_lib.fake.request import Prompt, read_prompt
from course_lib.fake.tiers import TIER_HEADER, Tiers
from course_lib.fake.turn import Plan, refused_by, usage_of
from course_lib.fake.wire import Caller, Reply, ServedCall

METHODS = ("generateContent", "streamGenerateContent", "countTokens", "batchGenerateContent")
_ENDPOINT = re.compile(r"^/(v1|v1beta)/models(/[^/:]+(:(" + "|".join(METHODS) + r"))?)?$")
_BAD_KEY = "API key not valid. Please pass a valid API key."
_NO_KEY = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity."
)


@dataclass
class FakeGemini:
    """A Gemini API stand-in with mocked latency, quotas and failures.

    latency: seconds per call, or a model from ``course_lib.fake.latency``.
    rpm, tpm, rpd: requests and input tokens per minute, requests per day (None: unlimited), one
      budget per project and model, as Gemini counts them (see ``course_lib.fake.quota``).
    window_s, day_s: how long "a minute" and "a day" are (shorten them to show a quota in seconds);
      the first day starts at the fake's first request.
    project_of: API key -> project name; keys of one project share its budgets. A key not listed
      (and every key, by default) is a project of its own.
    failure_rate: share of calls that fail with 500 INTERNAL or 503 UNAVAILABLE.
    hang_rate: share of calls that hang for ``hang_s`` seconds (past any sensible timeout).
    keys: the only API keys the fake accepts, e.g. ``["my-key"]`` (None: any key), as the real API
      refuses a key it does not know. A list, even of one: a lone string is refused.
    retry_delay_format: how a 429's RetryInfo gives its delay: ``"whole"`` seconds rounded down,
      as recorded real 429s do (the message has the fraction), or ``"exact"``.
    flex_minute_s, flex_shed_rate: a Flex call (``service_tier="flex"``) queues for 1 to 15
      "minutes" of this many seconds; this share of them is shed with a 503 (``fake.tiers``).
    batch_turnaround_s, batch_tokens: a batch job's time from created to done, and the most tokens
      a model's jobs in progress may hold (None: no limit); see ``course_lib.fake.batches``.
    clock: what "now" is for the quota (inject one to test windows without waiting).
    """

    latency: float | LatencyModel = 0.5
    rpm: int | None = None
    tpm: int | None = None
    window_s: float = 60.0
    rpd: int | None = None
    day_s: float = 86_400.0
    project_of: dict[str, str] | None = None
    failure_rate: float = 0.0
    hang_rate: float = 0.0
    hang_s: float = 300.0
    error_latency_s: float = 0.02
    stream_chunk_tokens: int = 12
    retry_delay_format: str = "whole"
    flex_minute_s: float = 60.0
    flex_shed_rate: float = 0.05
    batch_turnaround_s: float = 900.0
    batch_tokens: int | None = None
    seed: int = 0
    models: tuple[str, ...] = catalogue.ANSWERED
    keys: tuple[str, ...] | None = None
    clock: Callable[[], float] = time.perf_counter
    log: deque[ServedCall] = field(default_factory=lambda: deque(maxlen=100_000), repr=False)

    def __post_init__(self) -> None:
        if not hasattr(self.latency, "draw"):  # seconds, not a model from fake.latency
            self.latency = latency_model(ranges.check("latency", self.latency))
        ranges.check_fields(self, skip=("latency", "project_of", "models", "keys", "clock", "log"))
        self.project_of = ranges.check("project_of", self.project_of)  # copies: ours to keep
        self.models = ranges.check("models", self.models)
        self.keys = ranges.check("keys", self.keys)
        self.quota = Quota(self.rpm, self.tpm, self.window_s, self.rpd, self.day_s)
        self.tiers = Tiers(
            self.rpm, self.tpm, self.window_s, self.flex_minute_s, self.flex_shed_rate
        )
        # how often each (model, prompt digest) was asked: never the prompt itself (a server kept
        self._asked: dict[tuple[str, bytes], int] = {}  # 300 of 1 MB: 124 -> 447 MB)
        self._lock = threading.Lock()
        self.interactions = FakeInteractions(self)  # /v1/interactions, with its store of them
        self.batches = FakeBatches(self)  # the Batch API's jobs

    @property
    def latency_model(self) -> LatencyModel:
        return cast(LatencyModel, self.latency)  # __post_init__ made seconds a model

    # -- the endpoints ---------------------------------------------------------------------------
    def generate(
        self,
        version: str,
        model: str,
        body: bytes,
        caller: Caller,
        stream: bool = False,
        sse: bool = True,
    ) -> Reply:
        """``models/{model}:generateContent``, or ``:streamGenerateContent`` with ``stream``
        (``sse``: asked with ``?alt=sse``, as google-genai does; else a JSON array)."""
        start = self.clock()
        method = "streamGenerateContent" if stream else "generateContent"
        request = self._read(version, model, body, caller, method)
        if isinstance(request, Reply):
            reply, prompt = request, ""
        else:  # an alias, or a retired name the API routes, is answered by another model
            reply = self._generate(self.answering(model, version), request, caller, stream, sse)
            prompt = request.prompt
        self._served(start, reply, model, prompt, caller)
        return reply

    def count_tokens(self, version: str, model: str, body: bytes, caller: Caller) -> Reply:
        """``models/{model}:countTokens``."""
        start = self.clock()
        request = self._read(version, model, body, caller, "countTokens", count=True)
        if isinstance(request, Reply):
            reply = request
        else:
            counted = {"totalTokens": request.tokens, "promptTokensDetails": request.token_details}
            reply = wire.ok(counted, self.error_latency_s)
        self._served(start, reply, model, "", caller)
        return reply

    def answer(
        self, version: str, model: str, request: Prompt, caller: Caller, stream: bool = False
    ) -> Reply:
        """``generate`` for a request another endpoint read (the Interactions API)."""
        start = self.clock()
        refused = self.refused(version, model, caller, "interactions.create")
        answering = self.answering(model, version)
        reply = refused or self._generate(answering, request, caller, stream)
        self._served(start, reply, model, request.prompt, caller)
        return reply

    def plan_asked(self, model: str, request: Prompt, tier: str = "standard") -> Plan:
        """Count one more asking of ``request`` and plan its answer (see ``fake.plan``)."""
        key = (model, digest(request.key))
        with self._lock:
            asked = self._asked.get(key, 0)
            self._asked[key] = asked + 1
        return plan_call(self, model, request, asked, tier)

    def get_model(self, version: str, model: str, caller: Caller) -> Reply:
        """``GET models/{model}``."""
        # The GET's own 404 wording was not found recorded: generateContent's stands in for it.
        return self.refused(version, model, caller, "generateContent") or wire.ok(
            catalogue.resource(model), self.error_latency_s
        )

    def list_models(self, version: str, caller: Caller) -> Reply:
        """``GET models``."""
        listed = [m for m in self.models if catalogue.refusal(m, version, "") is None]
        models = [catalogue.resource(m) for m in listed]
        return self.refused_key(caller) or wire.ok({"models": models}, self.error_latency_s)

    def not_found(self, path: str, method: str = "GET") -> Reply:
        """What no route took: an endpoint asked with the wrong HTTP method (405), or a path the
        API does not have (404)."""
        if _ENDPOINT.match(path):
            allowed = "GET" if ":" not in path else "POST"
            return self._error(
                405, "METHOD_NOT_ALLOWED", f"{method} is not allowed on {path}; use {allowed}."
            )
        return self._error(404, "NOT_FOUND", f"Method not found: {path}")

    def failed(self, error: Exception) -> Reply:
        """The fake itself failed: a 500 in the API's shape, never a traceback in your output."""
        return self._error(500, "INTERNAL", f"The fake Gemini failed ({type(error).__name__}).")

    # -- how an answer is made -------------------------------------------------------------------
    def _read(
        self,
        version: str,
        model: str,
        body: bytes,
        caller: Caller,
        method: str,
        count: bool = False,
    ) -> Prompt | Reply:
        """The request's prompt, or the error reply that refuses it (key, model, bad body)."""
        refused = self.refused(version, model, caller, method)
        if refused is not None:
            return refused
        request = read_prompt(body, count)
        if isinstance(request, Refused):
            return request.reply(self.error_latency_s)
        return request

    def refused_key(self, caller: Caller) -> Reply | None:
        """The 403 or 400 a request without a key, or with a key the fake does not take, gets."""
        if not caller.key:
            return self._error(403, "PERMISSION_DENIED", _NO_KEY)
        if self.keys is not None and caller.key not in self.keys:
            return self._error(400, "INVALID_ARGUMENT", _BAD_KEY)
        return None

    def answering(self, model: str, version: str) -> str:
        """The model that answers ``model`` (an alias, or a retired name the API routes)."""
        return catalogue.served(model, version) or model

    def refused(self, version: str, model: str, caller: Caller, method: str) -> Reply | None:
        """The 403, 400 or 404 that a request to ``model`` gets for its key or the model name,
        or None (the Batch API checks these too)."""
        if (unkeyed := self.refused_key(caller)) is not None:
            return unkeyed
        refusal = catalogue.refusal(model, version, method)  # shut down, an alias on v1, unknown
        if refusal is None and model not in self.models:  # a model this fake was told to refuse
            refusal = catalogue.not_found(model, version, method)
        return None if refusal is None else self._error(404, "NOT_FOUND", refusal)

    def _generate(
        self, model: str, request: Prompt, caller: Caller, stream: bool, sse: bool = True
    ) -> Reply:
        """Answer a read request: its 400s, the quota's 429, an injected failure, or the answer
        (``stream``: streamed, as server-sent events if ``sse``, else as a JSON array)."""
        try:
            refused_by(model, request)
        except Refused as bad:
            return bad.reply(self.error_latency_s)
        if (too_much := too_long(model, request)) is not None:
            return self._error(400, "INVALID_ARGUMENT", too_much)
        project = (self.project_of or {}).get(caller.key, caller.key)
        now = self.clock()
        over = self.quota.take(project, model, request.tokens, now)
        if over is not None:  # every tier counts towards the limits (Flex and Priority too)
            whole = self.retry_delay_format == "whole"
            return rate_limited(over, model, self.error_latency_s, whole)
        tier = self.tiers.serving(request.tier, project, model, request.tokens, now)
        plan = self.plan_asked(model, request, tier)
        if plan.turn is None:
            code, status, message = plan.error or (500, "INTERNAL", "")
            return self._error(code, status, message, plan.total)
        turn = plan.turn
        usage = usage_of(request, turn)._replace(tier=tier)
        ids = {"modelVersion": model, "responseId": plan.response_id}
        if not stream:
            reply = wire.answer(turn.parts, turn.finish, usage, ids, plan.total)
        else:
            timing = (plan.first, plan.total)
            chunk_tokens = self.stream_chunk_tokens
            reply = wire.stream(
                turn.parts, turn.finish, usage, ids, timing, chunk_tokens, sse, turn.whole
            )
        reply.headers[TIER_HEADER] = tier
        return reply

    def planned_seconds(self, model: str, prompts: list[str]) -> list[float]:
        """How long each call of ``prompts``, asked in this order, will take (its latency, before
        any answer is sent): the same draws ``generate`` will make, so a run's ideal bound can
        use each call's real latency. Changes nothing."""
        asked: dict[str, int] = {}
        seconds = []
        for prompt in prompts:
            nth = self._asked.get((model, digest(prompt)), 0) + asked.get(prompt, 0)
            asked[prompt] = asked.get(prompt, 0) + 1
            seconds.append(plan_call(self, model, Prompt([prompt], prompt), nth).total)
        return seconds

    def _error(self, code: int, status: str, message: str, seconds: float | None = None) -> Reply:
        delay = self.error_latency_s if seconds is None else seconds
        return wire.error(code, status, message, delay)

    def _served(self, start: float, reply: Reply, model: str, prompt: str, caller: Caller) -> None:
        end = start + reply.duration
        self.log.append(
            ServedCall(start, end, reply.status, model, prompt[:80], caller.traced, caller.client)
        )
