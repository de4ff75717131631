"""The fake Gemini: it answers Gemini's REST requests with the real wire format, after a while.

One method per endpoint (``generate``, ``count_tokens``, ``get_model``, ``list_models``); the ways
in route requests to them (``fake.transport`` through respx in-process, ``fake.server`` on
loopback). A method never sleeps: it returns a ``Reply`` whose delays the way in plays with its
own clock. Everything random is drawn from a hash of the seed, the model, the prompt and how often
that prompt was asked, so a run is reproducible however its calls interleave.

>>> fake = FakeGemini(latency=0.5, seed=1)
>>> body = b'{"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]}'
>>> reply = fake.generate("v1", "gemini-2.5-flash", body, Caller(key="k"))
>>> reply.status, reply.duration
(200, 0.5)
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple, cast

from course_lib import ranges
from course_lib.config import KNOWN_MODELS
from course_lib.fake import wire
from course_lib.fake.answers import canned_answer, composed_answer, count_tokens, truncate_to_tokens
from course_lib.fake.bad_request import Refused
from course_lib.fake.draws import Plan, seed_of, uniforms
from course_lib.fake.latency import LatencyModel, latency_model
from course_lib.fake.quota import Quota
from course_lib.fake.refusals import rate_limited
from course_lib.fake.request import Prompt, read_prompt
from course_lib.fake.tools import answer_from, calls_for, missing_signatures
from course_lib.fake.wire import Caller, Reply

METHODS = ("generateContent", "streamGenerateContent", "countTokens")
_ENDPOINT = re.compile(r"^/(v1|v1beta)/models(/[^/:]+(:(" + "|".join(METHODS) + r"))?)?$")
_BAD_KEY = "API key not valid. Please pass a valid API key."
_NO_KEY = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity."
)


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
    seed: int = 0
    models: tuple[str, ...] = KNOWN_MODELS
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
        # how often each (model, prompt) was asked, the prompt kept as a 16-byte digest only: a
        # long-running server must not keep every prompt it was sent (300 prompts of 1 MB each
        # once took one from 124 to 447 MB)
        self._asked: dict[tuple[str, bytes], int] = {}
        self._lock = threading.Lock()

    @property
    def _latency(self) -> LatencyModel:
        return cast(LatencyModel, self.latency)  # __post_init__ made seconds a model

    # -- the endpoints ---------------------------------------------------------------------------
    def generate(
        self, version: str, model: str, body: bytes, caller: Caller, stream: bool = False
    ) -> Reply:
        """``models/{model}:generateContent``, or ``:streamGenerateContent`` with ``stream``."""
        start = self.clock()
        request = self._read(version, model, body, caller)
        if isinstance(request, Reply):
            reply, prompt = request, ""
        else:
            reply, prompt = self._generate(model, request, caller, stream), request.prompt
        self._served(start, reply, model, prompt, caller)
        return reply

    def count_tokens(self, version: str, model: str, body: bytes, caller: Caller) -> Reply:
        """``models/{model}:countTokens``."""
        start = self.clock()
        request = self._read(version, model, body, caller, count=True)
        if isinstance(request, Reply):
            reply = request
        else:
            counted = {"totalTokens": request.tokens, "promptTokensDetails": request.token_details}
            reply = wire.ok(counted, self.error_latency_s)
        self._served(start, reply, model, "", caller)
        return reply

    def get_model(self, version: str, model: str, caller: Caller) -> Reply:
        """``GET models/{model}``."""
        return self._refused(version, model, caller) or wire.ok(
            self._model_info(model), self.error_latency_s
        )

    def list_models(self, version: str, caller: Caller) -> Reply:
        """``GET models``."""
        refused = self._refused(version, self.models[0], caller)
        if refused is not None:
            return refused
        models = [self._model_info(m) for m in self.models]
        return wire.ok({"models": models}, self.error_latency_s)

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
        self, version: str, model: str, body: bytes, caller: Caller, count: bool = False
    ) -> Prompt | Reply:
        """The request's prompt, or the error reply that refuses it (key, model, bad body)."""
        refused = self._refused(version, model, caller)
        if refused is not None:
            return refused
        request = read_prompt(body, count)
        if isinstance(request, Refused):
            return request.reply(self.error_latency_s)
        return request

    def _refused(self, version: str, model: str, caller: Caller) -> Reply | None:
        if not caller.key:
            return self._error(403, "PERMISSION_DENIED", _NO_KEY)
        if self.keys is not None and caller.key not in self.keys:
            return self._error(400, "INVALID_ARGUMENT", _BAD_KEY)
        if model not in self.models:
            return self._error(
                404,
                "NOT_FOUND",
                f"models/{model} is not found for API version {version}, or is not supported "
                "for generateContent. Call ListModels to see the list of available models.",
            )
        return None

    def _generate(self, model: str, request: Prompt, caller: Caller, stream: bool) -> Reply:
        tokens = request.tokens
        project = (self.project_of or {}).get(caller.key, caller.key)
        refused = self.quota.take(project, model, tokens, self.clock())
        if refused is not None:
            return rate_limited(refused, model, self.error_latency_s)
        key = (model, _digest(request.prompt))
        with self._lock:
            asked = self._asked.get(key, 0)
            self._asked[key] = asked + 1
        plan = self._plan(model, request.prompt, asked, request.config)
        if plan.error:
            code, status, message = plan.error
            return self._error(code, status, message, plan.total)
        reply: str | list[dict] = plan.text
        thinking = model.startswith("gemini-3")  # its calls carry thought signatures
        if thinking and (unsigned := missing_signatures(request.tools)):
            return self._error(400, "INVALID_ARGUMENT", unsigned)
        if request.tools.tools and not request.tools.results:  # the model asks for tool calls
            reply = calls_for(request.prompt, request.tools.tools, signed=thinking)
        elif request.tools.results:  # the tools answered: an answer that uses their results
            reply = f"{answer_from(request.tools.results)} {plan.text}"
        output_tokens = count_tokens(reply if isinstance(reply, str) else json.dumps(reply))
        usage = {
            "promptTokenCount": tokens,
            "candidatesTokenCount": output_tokens,
            "totalTokenCount": tokens + output_tokens,
        }
        ids = {"modelVersion": f"{model}-fake-001", "responseId": plan.response_id}
        if not isinstance(reply, str):  # function calls come whole, streamed or not
            return wire.whole(reply, plan.finish, usage, ids, plan.total, stream)
        if not stream:
            return wire.answer(reply, plan.finish, usage, ids, plan.total)
        return wire.stream(
            reply, plan.finish, usage, ids, plan.first, plan.total, self.stream_chunk_tokens
        )

    def planned_seconds(self, model: str, prompts: list[str]) -> list[float]:
        """How long each call of ``prompts``, asked in this order, will take (its latency, before
        any answer is sent): the same draws ``generate`` will make, so a run's ideal bound can
        use each call's real latency. Changes nothing."""
        asked: dict[str, int] = {}
        seconds = []
        for prompt in prompts:
            nth = self._asked.get((model, _digest(prompt)), 0) + asked.get(prompt, 0)
            asked[prompt] = asked.get(prompt, 0) + 1
            seconds.append(self._plan(model, prompt, nth, {}).total)
        return seconds

    def _plan(self, model: str, prompt: str, asked: int, config: dict) -> Plan:
        """Everything chance decides about the ``asked``-th asking of ``prompt``: failure, text,
        and timing, drawn from one hash, so it is the same however calls interleave."""
        draws, response_id = uniforms(self.seed, model, prompt, asked)
        if draws[0] < self.failure_rate:
            _, seconds = self._latency.draw(draws[1], 0)
            if draws[2] < 0.5:
                error = (500, "INTERNAL", "An internal error has occurred.")
            else:
                error = (503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
            return Plan("", "", seconds, seconds, response_id, error)
        text = canned_answer(prompt)
        if text is None:  # temperature 0 always gives the same text; else a repeat may vary
            variant = 0 if config.get("temperature") == 0 else asked
            text = composed_answer(prompt, seed_of(self.seed, model, prompt, variant))
        finish = "STOP"
        limit = config.get("maxOutputTokens")
        if limit is not None and count_tokens(text) > limit:
            text, finish = truncate_to_tokens(text, int(limit)), "MAX_TOKENS"
        first, total = self._latency.draw(draws[1], count_tokens(text))
        if draws[3] < self.hang_rate:
            first = total = self.hang_s
        return Plan(text, finish, first, total, response_id)

    def _model_info(self, name: str) -> dict:
        return {
            "name": f"models/{name}",
            "displayName": name,
            "version": "fake-001",
            "inputTokenLimit": 1_048_576,
            "outputTokenLimit": 65_536,
            "supportedGenerationMethods": list(METHODS),
        }

    def _error(self, code: int, status: str, message: str, seconds: float | None = None) -> Reply:
        delay = self.error_latency_s if seconds is None else seconds
        return wire.error(code, status, message, delay)

    def _served(self, start: float, reply: Reply, model: str, prompt: str, caller: Caller) -> None:
        end = start + reply.duration
        self.log.append(
            ServedCall(start, end, reply.status, model, prompt[:80], caller.traced, caller.client)
        )


def _digest(prompt: str) -> bytes:
    """A prompt's fingerprint: what the fake remembers of it (16 bytes, whatever its size)."""
    return hashlib.blake2b(prompt.encode("utf-8", "surrogatepass"), digest_size=16).digest()
