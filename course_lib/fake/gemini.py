"""The fake Gemini: it answers Gemini's REST requests with the real wire format, after a while.

``FakeGemini.handle`` turns one HTTP request into a ``Reply``: a status and the bytes to send, each
after a delay. It never sleeps itself; the two ways in (``fake_transport`` in-process through respx,
``fake_server`` on loopback for worker processes) play the reply with their own clocks. Everything
random is drawn from the seed, the model, the prompt and how often that prompt was asked, so a run
is reproducible however its calls interleave.

>>> fake = FakeGemini(latency=0.5, seed=1)
>>> reply = fake.handle("POST", "/v1/models/gemini-2.5-flash:generateContent",
...                     b'{"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]}',
...                     {"x-goog-api-key": "k"})
>>> reply.status, reply.duration
(200, 0.5)
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from course_lib.config import KNOWN_MODELS
from course_lib.fake.answers import answer_for, count_tokens, truncate_to_tokens
from course_lib.fake.latency import LatencyModel, latency_model
from course_lib.fake.quota import Quota

_ROUTE = re.compile(r"^/(v1|v1beta)/models(?:/([^:/]+))?(?::(\w+))?$")
_METHODS = ("generateContent", "streamGenerateContent", "countTokens")
TRACE_HEADER = "x-course-span"  # set by the kit's traced transports, so the fake knows who traced


@dataclass
class Reply:
    """What to send back: ``chunks`` are (seconds to wait first, bytes to send)."""

    status: int
    chunks: list[tuple[float, bytes]]
    content_type: str = "application/json"

    @property
    def duration(self) -> float:
        return sum(delay for delay, _ in self.chunks)


@dataclass(frozen=True)
class ServedCall:
    """The fake's own record of a call: all it can tell about calls the kit did not trace."""

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

    latency: seconds per call, or a model from ``course_lib.latency``.
    rpm, tpm: requests and prompt tokens per minute, one budget per API key (None: unlimited).
    failure_rate: share of calls that fail with 500 INTERNAL or 503 UNAVAILABLE.
    hang_rate: share of calls that hang for ``hang_s`` seconds (past any sensible timeout).
    """

    latency: float | LatencyModel = 0.5
    rpm: int | None = None
    tpm: int | None = None
    window_s: float = 60.0
    failure_rate: float = 0.0
    hang_rate: float = 0.0
    hang_s: float = 300.0
    error_latency_s: float = 0.02
    stream_chunk_tokens: int = 12
    seed: int = 0
    models: tuple[str, ...] = KNOWN_MODELS
    clock: Callable[[], float] = time.perf_counter
    log: deque[ServedCall] = field(default_factory=lambda: deque(maxlen=100_000), repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.latency, int | float):
            self.latency = latency_model(float(self.latency))
        for name in ("failure_rate", "hang_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {getattr(self, name)}")
        self.quota = Quota(rpm=self.rpm, tpm=self.tpm, window_s=self.window_s)
        self._asked: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    # -- the one entry point -------------------------------------------------------------------
    def handle(
        self,
        method: str,
        path: str,
        body: bytes,
        headers: Mapping[str, str],
        client: str = "",
        query: str = "",
    ) -> Reply:
        """Answer one request. ``headers`` keys are lower-case; ``client`` names the caller;
        ``query`` is the URL's query string (the docs' curl examples send the key as ``?key=``)."""
        if "x-goog-api-key" not in headers:
            key = parse_qs(query).get("key", [""])[0]
            if key:
                headers = {**headers, "x-goog-api-key": key}
        start = self.clock()
        model, prompt, reply = self._answer(method, path, body, headers)
        self.log.append(
            ServedCall(
                start,
                start + reply.duration,
                reply.status,
                model,
                prompt[:80],
                TRACE_HEADER in headers,
                client,
            )
        )
        return reply

    def _answer(
        self, method: str, path: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[str, str, Reply]:
        route = _ROUTE.match(path)
        if route is None or (route.group(3) and route.group(3) not in _METHODS):
            return "", "", self._error(404, "NOT_FOUND", f"Method not found: {path}")
        version, model, verb = route.groups()
        if not headers.get("x-goog-api-key"):
            return (
                model or "",
                "",
                self._error(
                    403,
                    "PERMISSION_DENIED",
                    "Method doesn't allow unregistered callers (callers without established "
                    "identity). Please use API Key or other form of API consumer identity.",
                ),
            )
        if method == "GET":
            return model or "", "", self._model_info(version, model)
        if model not in self.models:
            return (
                model or "",
                "",
                self._error(
                    404,
                    "NOT_FOUND",
                    f"models/{model} is not found for API version {version}, or is not supported "
                    f"for {verb}. Call ListModels to see the list of available models.",
                ),
            )
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return model, "", self._error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        contents = request.get("contents") or []
        texts = [
            p.get("text", "") for c in contents for p in c.get("parts", []) if isinstance(p, dict)
        ]
        prompt = next(
            (
                t
                for c in reversed(contents)
                if c.get("role", "user") == "user"
                for t in (p.get("text", "") for p in c.get("parts", []))
                if t
            ),
            "",
        )
        if not contents or not any(texts):
            return (
                model,
                "",
                self._error(
                    400,
                    "INVALID_ARGUMENT",
                    "* GenerateContentRequest.contents: contents is not specified",
                ),
            )
        system = request.get("systemInstruction") or {}
        prompt_tokens = sum(count_tokens(t) for t in texts) + sum(
            count_tokens(p.get("text", "")) for p in system.get("parts", [])
        )
        if verb == "countTokens":
            return model, prompt, self._ok(self.error_latency_s, {"totalTokens": prompt_tokens})
        config = request.get("generationConfig") or {}
        problem = _check_config(config)
        if problem:
            return model, prompt, self._error(400, "INVALID_ARGUMENT", problem)
        wait = self.quota.admit(headers.get("x-goog-api-key", ""), prompt_tokens, self.clock())
        if wait is not None:
            return model, prompt, self._rate_limited(wait)
        return model, prompt, self._generate(model, prompt, prompt_tokens, config, verb)

    # -- answers ---------------------------------------------------------------------------------
    def _generate(
        self, model: str, prompt: str, prompt_tokens: int, config: dict, verb: str
    ) -> Reply:
        with self._lock:
            asked = self._asked.get((model, prompt), 0)
            self._asked[(model, prompt)] = asked + 1
        rng = _rng(self.seed, model, prompt, asked)
        if rng.random() < self.failure_rate:
            _, seconds = self.latency.draw(rng, 0)
            if rng.random() < 0.5:
                return self._error(500, "INTERNAL", "An internal error has occurred.", seconds)
            return self._error(
                503, "UNAVAILABLE", "The model is overloaded. Please try again later.", seconds
            )
        hangs = rng.random() < self.hang_rate
        # Temperature 0 always gives the same text; otherwise a repeated prompt may vary.
        text_rng = _rng(self.seed, model, prompt, 0 if config.get("temperature") == 0 else asked)
        text = answer_for(prompt, text_rng)
        finish = "STOP"
        limit = config.get("maxOutputTokens")
        if limit is not None and count_tokens(text) > limit:
            text, finish = truncate_to_tokens(text, int(limit)), "MAX_TOKENS"
        output_tokens = count_tokens(text)
        first, total = self.latency.draw(rng, output_tokens)
        if hangs:
            first = total = self.hang_s
        usage = {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": output_tokens,
            "totalTokenCount": prompt_tokens + output_tokens,
        }
        ids = {
            "modelVersion": f"{model}-fake-001",
            "responseId": uuid.UUID(int=rng.getrandbits(128)).hex,
        }
        if verb == "generateContent":
            return self._ok(
                total, {"candidates": [_candidate(text, finish)], "usageMetadata": usage, **ids}
            )
        return self._stream(text, finish, usage, ids, first, total)

    def _stream(
        self, text: str, finish: str, usage: dict, ids: dict, first: float, total: float
    ) -> Reply:
        words = re.findall(r"\S+\s*", text) or [text]
        per_chunk = max(1, self.stream_chunk_tokens * 3 // 4)  # about 0.75 words per token
        pieces = ["".join(words[i : i + per_chunk]) for i in range(0, len(words), per_chunk)]
        gap = (total - first) / max(1, len(pieces) - 1)
        chunks = []
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            event = {
                "candidates": [_candidate(piece, finish if last else None)],
                **ids,
                "usageMetadata": usage if last else {"promptTokenCount": usage["promptTokenCount"]},
            }
            chunks.append(
                (first if i == 0 else gap, b"data: " + json.dumps(event).encode() + b"\r\n\r\n")
            )
        return Reply(200, chunks, "text/event-stream")

    def _model_info(self, version: str, model: str | None) -> Reply:
        def info(name: str) -> dict:
            return {
                "name": f"models/{name}",
                "displayName": name,
                "version": "fake-001",
                "inputTokenLimit": 1_048_576,
                "outputTokenLimit": 65_536,
                "supportedGenerationMethods": list(_METHODS),
            }

        if model is None:
            return self._ok(self.error_latency_s, {"models": [info(m) for m in self.models]})
        if model not in self.models:
            return self._error(
                404, "NOT_FOUND", f"models/{model} is not found for API version {version}."
            )
        return self._ok(self.error_latency_s, info(model))

    # -- replies ---------------------------------------------------------------------------------
    def _ok(self, seconds: float, payload: dict) -> Reply:
        return Reply(200, [(seconds, json.dumps(payload).encode())])

    def _error(
        self,
        code: int,
        status: str,
        message: str,
        seconds: float | None = None,
        details: list | None = None,
    ) -> Reply:
        error = {"code": code, "message": message, "status": status}
        if details:
            error["details"] = details
        delay = self.error_latency_s if seconds is None else seconds
        return Reply(code, [(delay, json.dumps({"error": error}).encode())])

    def _rate_limited(self, wait: float) -> Reply:
        seconds = max(1, round(wait + 0.5))  # the real API rounds up to whole seconds
        limits = ", ".join(
            f"{n} {name}"
            for n, name in ((self.rpm, "requests"), (self.tpm, "tokens"))
            if n is not None
        )
        return self._error(
            429,
            "RESOURCE_EXHAUSTED",
            f"You exceeded your current quota ({limits} per {self.window_s:g} s). "
            f"Please retry in {seconds}s.",
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {"quotaMetric": "generate_content_requests", "quotaValue": str(self.rpm)}
                    ],
                },
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{seconds}s"},
            ],
        )


def _candidate(text: str, finish: str | None) -> dict:
    candidate = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    return candidate


def _check_config(config: dict) -> str | None:
    temperature = config.get("temperature")
    if temperature is not None and not 0 <= temperature <= 2:
        return f"* GenerationConfig.temperature: must be in [0.0, 2.0], got {temperature}"
    limit = config.get("maxOutputTokens")
    if limit is not None and limit < 1:
        return f"* GenerationConfig.max_output_tokens: must be positive, got {limit}"
    return None


def _rng(*parts: object) -> random.Random:
    # hashlib, not hash(): Python salts str hashes per process, and workers must agree.
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))
