"""The Batch API with inline requests: ``client.batches.create / get / list / cancel / delete``.

A job is created with ``POST models/{model}:batchGenerateContent`` and answered later: it is
``BATCH_STATE_PENDING``, then ``RUNNING``, then ``SUCCEEDED`` when its turnaround has passed,
with one inlined response (or error) per request, in order. Google targets 24 hours ("in the
majority of cases, it is much quicker"); the fake's ``batch_turnaround_s`` sets it (shorten it to
see a job through, as lesson 05 shortens the quota's minute). Half price, no per-minute limits:
the Batch API has its own, the tokens of a model's pending jobs (``batch_tokens``) and 100 jobs
in progress per project; over either, the create gets a 429.

The wire format is the one google-genai 3.6 reads (``batches.py``): an Operation whose
``metadata`` holds the job (``state``, ``createTime``, ``output.inlinedResponses``); the list's
key is ``operations``, and it leaves out the responses (the cookbook's Batch_mode notebook relies
on that). Where no recorded answer was found (the 429's and a cancel's wording), the fake says
so plainly in Google's usual shape. A request the parser refuses refuses the whole job with a
400 naming it (``batch.input_config.requests.requests[0].request.generation_config``, as recorded
in googleapis/python-genai#1103).

>>> from course_lib.fake.gemini import FakeGemini
>>> from course_lib.fake.wire import Caller
>>> fake = FakeGemini(latency=0.0, batch_turnaround_s=0.0)
>>> body = b'{"batch": {"inputConfig": {"requests": {"requests": [{"request": {"contents": [{"parts": [{"text": "Hi"}]}]}}]}}}}'
>>> job = json.loads(fake.batches.create("v1", "gemini-3.6-flash", body, Caller("k")).chunks[0][1])
>>> job["metadata"]["state"], len(job["metadata"]["output"]["inlinedResponses"]["inlinedResponses"])
('BATCH_STATE_SUCCEEDED', 1)
"""  # noqa: E501

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from course_lib.fake import proto, wire
from course_lib.fake.bad_request import Refused
from course_lib.fake.batch_jobs import FINAL, Engine, Job, answer_in_batch, operation
from course_lib.fake.request import MAX_BODY_BYTES, read_parsed
from course_lib.fake.wire import Caller, Reply

_PREFIX = "batch.input_config.requests.requests"
#: Jobs in progress a project may have (the rate-limits page: "Concurrent batch requests: 100").
MAX_ACTIVE = 100
#: Jobs the fake remembers in all; past this, the oldest finished ones are forgotten (a 404).
MAX_KEPT = 500


class FakeBatches:
    """The Batch API's endpoints, answered by ``fake`` (a ``FakeGemini``)."""

    def __init__(self, fake: Engine) -> None:
        self.fake = fake
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    # -- the endpoints ---------------------------------------------------------------------------
    def create(self, version: str, model: str, body: bytes, caller: Caller) -> Reply:
        """``POST models/{model}:batchGenerateContent``."""
        refused = self.fake.refused(version, model, caller, "batchGenerateContent")
        if refused is not None:
            return refused
        read = self._read(body)
        if isinstance(read, Refused):
            return read.reply(self.fake.error_latency_s)
        name, requests = read
        prompts = []
        for i, (request, _) in enumerate(requests):
            prompt = read_parsed(request)
            if isinstance(prompt, Refused):
                where = f"* BatchGenerateContentRequest.{_PREFIX}[{i}].request."
                prompt.message = prompt.message.replace("* GenerateContentRequest.", where)
                return prompt.reply(self.fake.error_latency_s)
            prompts.append(prompt)
        project = self._project(caller)
        tokens = sum(p.tokens for p in prompts)
        over = self._over_limits(project, model, tokens)
        if over is not None:
            return self._error(429, "RESOURCE_EXHAUSTED", over)
        answering = self.fake.answering(model, version)
        results = []
        for prompt, (_, metadata) in zip(prompts, requests, strict=True):
            result = answer_in_batch(self.fake, answering, prompt)
            if metadata is not None:
                result["metadata"] = metadata
            results.append(result)
        job = Job(
            id=self._new_id(project),
            project=project,
            model=model,
            display_name=name,
            created=self.fake.clock(),
            created_at=datetime.now(UTC),
            turnaround_s=self.fake.batch_turnaround_s,
            tokens=tokens,
            requests=len(results),
            results=results,
        )
        self._keep(job)
        return self._ok(operation(job, self.fake.clock()))

    def get(self, version: str, job_id: str, caller: Caller) -> Reply:
        """``GET batches/{id}``."""
        job = self._find(job_id, caller)
        return job if isinstance(job, Reply) else self._ok(operation(job, self.fake.clock()))

    def list_jobs(self, version: str, caller: Caller, query: Mapping[str, str]) -> Reply:
        """``GET batches?pageSize=..&pageToken=..``: newest first, without their responses."""
        refused = self.fake.refused_key(caller)
        if refused is not None:
            return refused
        try:
            size = int(query.get("pageSize", "50") or "50")
            start = int(query.get("pageToken", "0") or "0")
        except ValueError:
            return self._error(400, "INVALID_ARGUMENT", "Invalid pageSize or pageToken.")
        if size < 0 or start < 0:
            return self._error(400, "INVALID_ARGUMENT", "pageSize and pageToken must be >= 0.")
        size = min(size or 50, 1000)
        project = self._project(caller)
        with self._lock:
            jobs = [job for job in reversed(self._jobs.values()) if job.project == project]
        now = self.fake.clock()
        page = [operation(job, now, listed=True) for job in jobs[start : start + size]]
        body: dict[str, Any] = {"operations": page}
        if start + size < len(jobs):
            body["nextPageToken"] = str(start + size)
        return self._ok(body)

    def cancel(self, version: str, job_id: str, caller: Caller) -> Reply:
        """``POST batches/{id}:cancel``: a job in progress stops, with no results."""
        job = self._find(job_id, caller)
        if isinstance(job, Reply):
            return job
        state = job.state(self.fake.clock())
        if state in FINAL:
            message = f"Batch job batches/{job_id} has ended ({state}): it cannot be cancelled."
            return self._error(400, "FAILED_PRECONDITION", message)
        job.cancelled_at, job.results = self.fake.clock(), []
        return self._ok({})

    def delete(self, version: str, job_id: str, caller: Caller) -> Reply:
        """``DELETE batches/{id}``."""
        job = self._find(job_id, caller)
        if isinstance(job, Reply):
            return job
        with self._lock:
            self._jobs.pop(job.id, None)
        return self._ok({})

    # -- reading, keeping and showing jobs -------------------------------------------------------
    def _read(self, body: bytes) -> tuple[str, list[tuple[dict[str, Any], Any]]] | Refused:
        """The job's display name and its requests (each with its metadata), or the 400."""
        if len(body) > MAX_BODY_BYTES:
            return Refused(f"Request payload size exceeds the limit: {MAX_BODY_BYTES} bytes.")
        try:
            request = json.loads(body or b"{}")
        except (ValueError, RecursionError):
            return Refused("Invalid JSON payload received. Unexpected token.")
        found = proto.parse_violations("BatchGenerateContentRequest", request)
        if found:
            return Refused.parsed(found)
        batch = proto.field(request, "batch") or {}
        config = proto.field(batch, "input_config") or {}
        if proto.field(config, "file_name"):
            return Refused(
                "The fake Gemini takes inline requests only: it has no Files API "
                "(give src=[...] a list of requests)."
            )
        inlined = proto.field(proto.field(config, "requests") or {}, "requests") or []
        if not inlined:
            return Refused.checked("batch.input_config", "requests is not specified")
        requests = [
            (proto.field(item, "request") or {}, proto.field(item, "metadata")) for item in inlined
        ]
        return str(proto.field(batch, "display_name") or ""), requests

    def _over_limits(self, project: str, model: str, tokens: int) -> str | None:
        now, limit = self.fake.clock(), self.fake.batch_tokens
        with self._lock:
            active = [
                job
                for job in self._jobs.values()
                if job.project == project and job.state(now) not in FINAL
            ]
        if len(active) >= MAX_ACTIVE:
            return f"Too many batch jobs in progress: at most {MAX_ACTIVE} at a time."
        queued = sum(job.tokens for job in active if job.model == model)
        if limit is not None and queued + tokens > limit:
            return (
                f"Enqueued tokens limit exceeded for model {model}: {queued:,} tokens are queued "
                f"in jobs in progress, this job adds {tokens:,}, the limit is {limit:,}. "
                "Wait for a job to finish, or send fewer requests per job."
            )
        return None

    def _keep(self, job: Job) -> None:
        now = self.fake.clock()
        with self._lock:
            self._jobs[job.id] = job
            if len(self._jobs) > MAX_KEPT:  # forget the oldest finished job
                for old in self._jobs.values():
                    if old.state(now) in FINAL:
                        del self._jobs[old.id]
                        break

    def _find(self, job_id: str, caller: Caller) -> Job | Reply:
        """The caller's job of that id, or the reply that refuses (a job of another project, or
        one forgotten, is not found)."""
        refused = self.fake.refused_key(caller)
        if refused is not None:
            return refused
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.project != self._project(caller):
            return self._error(404, "NOT_FOUND", "Requested entity was not found.")
        return job

    def _new_id(self, project: str) -> str:
        number = next(self._numbers)
        digest = hashlib.sha256(f"{self.fake.seed}|{project}|{number}".encode()).digest()
        return base64.b32encode(digest).decode().lower().rstrip("=")[:36]

    def _project(self, caller: Caller) -> str:
        return (self.fake.project_of or {}).get(caller.key, caller.key)

    def _ok(self, body: dict[str, Any]) -> Reply:
        return wire.ok(body, self.fake.error_latency_s)

    def _error(self, code: int, status: str, message: str) -> Reply:
        return wire.error(code, status, message, self.fake.error_latency_s)
