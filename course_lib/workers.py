"""Functions that worker processes run. They live here, not in a notebook cell, because the spawn
and forkserver start methods pickle a function by its module and name, and a cell has neither.

Each worker keeps one client for its whole life (``init_worker``) and sends its spans back with its
result, so the parent can draw every process on one timeline.
"""

from __future__ import annotations

import os
from typing import Any

from google.genai import errors

from .retry import call_with_retries
from .tracing import Tracer, cpu_span, task_context
from .workloads import analyse

_client = None
_model = ""


def init_worker(base_url: str, model: str) -> None:
    """Pool initializer: one client per process, reused for every task."""
    global _client, _model
    from .client import gemini_client, warm_sdk

    warm_sdk()
    _client = gemini_client(live=False, base_url=base_url)
    _model = model


def lane() -> str:
    return f"pid {os.getpid()}"


def fetch_then_analyse(
    client: Any, model: str, task: int, prompt: str, iterations: int, attempts: int, seed: int
) -> dict[str, Any]:
    """One blocking unit of work: call the model (retrying), then analyse the answer.

    The sequential and threads scenarios run this in the kernel; process workers run it too.
    """
    output: dict[str, Any] = {"task": task, "prompt": prompt, "answer": None, "analysis": None}
    try:
        response, tries = call_with_retries(
            lambda: client.models.generate_content(model=model, contents=prompt),
            attempts=attempts,
            seed=seed + task,
        )
        output.update(answer=response.text, attempts=tries, error=None)
    except errors.APIError as error:
        output.update(attempts=attempts, error=f"{error.code} {error.status}")
        return output
    with cpu_span(label="analyse"):
        output["analysis"] = analyse(output["answer"], iterations)
    return output


def fetch_and_analyse(
    task: int, prompt: str, iterations: int, attempts: int, seed: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The parallel scenario's unit of work, in a pool process; returns its spans too."""
    with Tracer() as tracer, task_context(task, lane()):
        output = fetch_then_analyse(_client, _model, task, prompt, iterations, attempts, seed)
    return output, [s.to_dict() for s in tracer.spans]


def analyse_in_worker(
    task: int, text: str, iterations: int
) -> tuple[dict[str, object], list[dict[str, Any]]]:
    """The hybrid scenario's CPU step, run in a pool process."""
    with Tracer() as tracer, task_context(task, lane()), cpu_span(label="analyse"):
        result = analyse(text, iterations)
    return result, [s.to_dict() for s in tracer.spans]


def warm_up() -> int:
    """A no-op task: makes the pool start its processes before the clock matters."""
    return os.getpid()
