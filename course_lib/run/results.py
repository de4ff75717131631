"""What a run gives back: one ``CallRecord`` per prompt, and the ``RunResult`` around them.

>>> record = CallRecord(task=0, prompt="Hi")
>>> record.outcome, CallRecord(1, "Hi", error="429 RESOURCE_EXHAUSTED").outcome
('not sent', '429 RESOURCE_EXHAUSTED')
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from course_lib.run.settings import ScenarioSettings
from course_lib.trace.spans import Span

_NOT_YET = math.nan


@dataclass(slots=True)
class CallRecord:
    """One prompt's story: its answer (or error), how many attempts it took, its tokens, and when
    it was sent, answered and done (analysed), on the tracing clock."""

    task: int
    prompt: str
    answer: str | None = None
    analysis: dict[str, Any] | None = None
    attempts: int = 0
    error: str | None = None  # e.g. "429 RESOURCE_EXHAUSTED" once every attempt has failed
    prompt_tokens: int = 0
    output_tokens: int = 0
    thought_tokens: int = 0  # thinking: billed as output, not part of the answer
    sent: float = _NOT_YET
    answered: float = _NOT_YET
    done: float = _NOT_YET

    @property
    def outcome(self) -> str:
        if self.error is not None:
            return self.error
        return "ok" if self.answer is not None else "not sent"

    def took(self, response: Any, attempts: int, at: float) -> None:
        """The call succeeded: keep the answer's text and token counts."""
        usage = response.usage_metadata
        self.answer, self.attempts, self.answered = response.text, attempts, at
        self.prompt_tokens = (usage and usage.prompt_token_count) or 0
        self.output_tokens = (usage and usage.candidates_token_count) or 0
        self.thought_tokens = (usage and usage.thoughts_token_count) or 0

    def failed(self, error: Any, attempts: int, at: float) -> None:
        """Every attempt failed with an API error."""
        self.error, self.attempts, self.answered = f"{error.code} {error.status}", attempts, at

    def to_dict(self, t0: float = 0.0) -> dict[str, Any]:
        """Plain JSON types; times relative to ``t0`` (None where it never happened)."""
        fields = asdict(self)
        for name in ("sent", "answered", "done"):
            value = fields[name]
            fields[name] = None if math.isnan(value) else value - t0
        fields["outcome"] = self.outcome
        return fields


@dataclass
class RunResult:
    scenario: str
    wall_s: float
    settings: ScenarioSettings
    spans: list[Span]
    outputs: list[CallRecord]
    ideal_s: float
    t0: float  # the run's start on the tracing clock; spans are reported relative to it
    extras: dict[str, float] = field(default_factory=dict)
    # CPU seconds an answer's analysis took in this run, on average, on the CPU clock (None: no
    # CPU work). A busy or throttled core makes "200 ms" of work cost more or less than 200 ms;
    # ``ideal_s`` is computed from this, so no run can beat its own ideal.
    cpu_s: float | None = None

    @property
    def failures(self) -> int:
        return sum(1 for o in self.outputs if o.error is not None)

    def to_dict(self) -> dict[str, Any]:
        spans = [
            {**s.to_dict(), "start": s.start - self.t0, "end": s.end - self.t0}
            for s in sorted(self.spans, key=lambda s: (s.start, str(s.task)))
        ]
        return {
            "scenario": self.scenario,
            "wall_s": self.wall_s,
            "ideal_s": self.ideal_s,
            "cpu_s": self.cpu_s,
            "params": asdict(self.settings),
            "extras": self.extras,
            "spans": spans,
            "outputs": [o.to_dict(self.t0) for o in self.outputs],
        }
