"""What a run gives back: its wall time, ideal bound, spans and one output per prompt."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from course_lib.run.settings import Settings
from course_lib.trace.spans import Span


@dataclass
class RunResult:
    scenario: str
    wall_s: float
    settings: Settings
    spans: list[Span]
    outputs: list[dict[str, Any]]
    ideal_s: float
    t0: float  # the run's start on the tracing clock; spans are reported relative to it
    extras: dict[str, float] = field(default_factory=dict)

    @property
    def failures(self) -> int:
        return sum(1 for o in self.outputs if o.get("error"))

    def to_dict(self) -> dict[str, Any]:
        spans = [
            {**s.to_dict(), "start": s.start - self.t0, "end": s.end - self.t0}
            for s in sorted(self.spans, key=lambda s: (s.start, str(s.task)))
        ]
        return {
            "scenario": self.scenario,
            "wall_s": self.wall_s,
            "ideal_s": self.ideal_s,
            "params": asdict(self.settings),
            "extras": self.extras,
            "spans": spans,
            "outputs": self.outputs,
        }
