"""A batch job of the fake's Batch API (``fake.batches``): what it keeps, how its state moves
with time, how each inline request is answered, and the Operation the API shows it as.

The Operation is what google-genai 3.6 reads (``batches.py``): ``name``, and in ``metadata`` the
job (``state``, ``createTime``, ``batchStats``, ``output.inlinedResponses``); ``BATCH_STATE_*``
becomes the SDK's ``JOB_STATE_*``. A job is pending for its first tenth, then running, then
succeeded when its turnaround has passed.

>>> from datetime import UTC
>>> job = Job("abc", "project", "m", "name", 0.0, datetime(2026, 1, 1, tzinfo=UTC), 10.0, 5, 1, [])
>>> [job.state(t) for t in (0.0, 5.0, 10.0)]
['BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING', 'BATCH_STATE_SUCCEEDED']
>>> operation(job, 10.0)["metadata"]["createTime"]
'2026-01-01T00:00:00.000000Z'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from course_lib.fake import wire
from course_lib.fake.bad_request import Refused
from course_lib.fake.plan import too_long
from course_lib.fake.request import Prompt
from course_lib.fake.turn import Plan, refused_by, usage_of
from course_lib.fake.wire import Caller, Reply

_TYPES = "type.googleapis.com/google.ai.generativelanguage.v1main."
#: Until this share of its turnaround, a job is pending; then it runs.
PENDING_SHARE = 0.1
#: States a job does not leave.
FINAL = ("BATCH_STATE_SUCCEEDED", "BATCH_STATE_CANCELLED")


@dataclass
class Job:
    """One batch job as the fake keeps it: its answers were made when it was created."""

    id: str
    project: str
    model: str
    display_name: str
    created: float  # the fake's clock
    created_at: datetime  # the wall clock, for createTime
    turnaround_s: float
    tokens: int
    requests: int
    results: list[dict[str, Any]]
    cancelled_at: float | None = None

    def state(self, now: float) -> str:
        if self.cancelled_at is not None:
            return "BATCH_STATE_CANCELLED"
        elapsed = now - self.created
        if elapsed >= self.turnaround_s:
            return "BATCH_STATE_SUCCEEDED"
        if elapsed < PENDING_SHARE * self.turnaround_s:
            return "BATCH_STATE_PENDING"
        return "BATCH_STATE_RUNNING"


class Engine(Protocol):
    """What the Batch API needs of the fake (``FakeGemini`` is one)."""

    @property
    def seed(self) -> int: ...

    @property
    def error_latency_s(self) -> float: ...

    @property
    def project_of(self) -> dict[str, str] | None: ...

    @property
    def batch_turnaround_s(self) -> float: ...

    @property
    def batch_tokens(self) -> int | None: ...

    def clock(self) -> float: ...

    def refused(self, version: str, model: str, caller: Caller, method: str) -> Reply | None: ...

    def refused_key(self, caller: Caller) -> Reply | None: ...

    def answering(self, model: str, version: str) -> str: ...

    def plan_asked(self, model: str, request: Prompt, tier: str = "standard") -> Plan: ...


def answer_in_batch(engine: Engine, model: str, request: Prompt) -> dict[str, Any]:
    """One inline request of a job, answered as the job's results give it: a ``response`` (a
    generateContent answer) or an ``error``; no per-minute limits, no latency (the job's
    turnaround is the wait). An error has no ``details``: google-genai 3.6 fails to read them."""
    try:
        refused_by(model, request)
    except Refused as bad:
        return {"error": {"code": 400, "message": bad.message}}
    if (too_much := too_long(model, request)) is not None:
        return {"error": {"code": 400, "message": too_much}}
    plan = engine.plan_asked(model, request)
    if plan.turn is None:
        code, _, message = plan.error or (500, "INTERNAL", "")
        return {"error": {"code": code, "message": message}}
    usage = usage_of(request, plan.turn)
    body = {
        "candidates": [wire.candidate(plan.turn.parts, plan.turn.finish)],
        "usageMetadata": usage.metadata(),
        "modelVersion": model,
        "responseId": plan.response_id,
    }
    return {"response": body}


def operation(job: Job, now: float, listed: bool = False) -> dict[str, Any]:
    """The job at ``now`` as an Operation: google-genai reads its ``metadata``; ``response``
    mirrors the results, as real answers do; a list (``listed``) leaves the results out."""
    state = job.state(now)
    stamp = job.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    ended = job.created_at + timedelta(seconds=job.turnaround_s)
    failed = sum("error" in r for r in job.results)
    done = state in FINAL
    stats = {"requestCount": str(job.requests)}  # int64 values: strings in JSON
    if state == "BATCH_STATE_SUCCEEDED":
        stats.update(
            successfulRequestCount=str(len(job.results) - failed),
            failedRequestCount=str(failed),
        )
    elif state != "BATCH_STATE_CANCELLED":
        stats["pendingRequestCount"] = stats["requestCount"]
    metadata: dict[str, Any] = {
        "@type": _TYPES + "GenerateContentBatch",
        "name": f"batches/{job.id}",
        "model": f"models/{job.model}",
        "displayName": job.display_name,
        "createTime": stamp,
        "updateTime": (ended if done else job.created_at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "batchStats": stats,
        "state": state,
    }
    operation: dict[str, Any] = {"name": f"batches/{job.id}", "metadata": metadata}
    if done:
        metadata["endTime"] = metadata["updateTime"]
        operation["done"] = True
    if state == "BATCH_STATE_SUCCEEDED" and not listed:
        output = {"inlinedResponses": {"inlinedResponses": job.results}}
        metadata["output"] = output
        operation["response"] = {"@type": _TYPES + "GenerateContentBatchOutput", **output}
    return operation
