"""What every scenario does with one prompt: wait for a slot, call the model (retrying), record.

``Run`` carries what one run needs: its settings, its own fake Gemini, the CPU work per answer and
the tracer that records it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from google.genai import errors

from course_lib.fake.gemini import FakeGemini
from course_lib.run.retry import acall_with_retries
from course_lib.run.settings import Settings
from course_lib.trace.spans import (
    WAIT_SLOT,
    Tracer,
    now,
    span,
)


@dataclass
class Run:
    settings: Settings
    fake: FakeGemini
    iterations: int
    tracer: Tracer
    extras: dict[str, float] = field(default_factory=dict)

    def start_clock(self) -> None:
        self.tracer.t0 = now()


async def fetch(
    client: Any, run: Run, sem: asyncio.Semaphore, task: int, prompt: str
) -> dict[str, Any]:
    """Wait for a free slot, then call the model (retrying); the slot is freed before analysis."""
    s = run.settings
    output: dict[str, Any] = {"task": task, "prompt": prompt, "answer": None, "analysis": None}
    if sem.locked():  # only a real wait becomes a span
        with span(WAIT_SLOT, label=prompt):
            await sem.acquire()
    else:
        await sem.acquire()
    try:
        response, tries = await acall_with_retries(
            lambda: client.aio.models.generate_content(model=s.model, contents=prompt),
            attempts=s.attempts,
            seed=s.seed + task,
        )
        output.update(answer=response.text, attempts=tries, error=None)
    except errors.APIError as error:
        output.update(attempts=s.attempts, error=f"{error.code} {error.status}")
    finally:
        sem.release()
    return output
